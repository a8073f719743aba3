/*
 * test_crc32c.c: RocksDB's CRC32C on the crc32 instruction (log/crc32c.c):
 * that the process uses it where the CPU has it, and that data directories
 * written with either implementation, closed cleanly (table and blob files)
 * or killed (write-ahead log only), read back completely with the other.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log/crc32c.h"
#include "log/log.h"

static char dir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    strcpy(dir, "/tmp/sluice-crc-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

TestSuite(crc32c, .init = setup, .fini = teardown);

#define RECORDS 300
#define VALUE_BYTES 3000

/* Record i of a topic: a value of VALUE_BYTES bytes that depends on both. */
static void value_of(const char *topic, int i, char *v)
{
    for (int j = 0; j < VALUE_BYTES; j++)
        v[j] = (char)('a' + (topic[0] * 31 + i * 7 + j * 13) % 26);
}

/* Writes RECORDS records to a new topic in 3 commits; 0 or -1. */
static int write_topic(sl_log *log, const char *topic)
{
    sl_error err;
    sl_topic_config c = sl_topic_config_default();
    if (sl_log_create_topic(log, topic, &c, NULL, &err))
        return -1;
    static char v[VALUE_BYTES];
    for (int t = 0; t < 3; t++) {
        sl_log_txn *x = sl_log_txn_begin(log);
        for (int i = t * RECORDS / 3; i < (t + 1) * RECORDS / 3; i++) {
            value_of(topic, i, v);
            sl_record r = {.key = NULL, .key_len = -1, .value = v, .value_len = VALUE_BYTES,
                           .timestamp = 1000 + i};
            if (sl_log_txn_append(x, topic, 0, &r, NULL, NULL, &err)) {
                sl_log_txn_abort(x);
                return -1;
            }
        }
        if (sl_log_txn_commit(x, &err))
            return -1;
    }
    return 0;
}

/* How many records of topic read back exactly as written (RECORDS when all). */
static int read_topic(sl_log *log, const char *topic)
{
    sl_arena *a = sl_arena_new(0);
    sl_record *out = sl_arena_alloc(a, 64 * sizeof *out);
    static char v[VALUE_BYTES];
    int good = 0;
    int64_t next = 0;
    for (;;) {
        sl_error err;
        int n = 0;
        if (sl_log_read(log, topic, 0, next, 64, a, out, &n, &err) || n == 0)
            break;
        for (int i = 0; i < n; i++) {
            value_of(topic, (int)out[i].offset, v);
            good += out[i].value_len == VALUE_BYTES && !memcmp(out[i].value, v, VALUE_BYTES);
        }
        next += n;
    }
    sl_arena_free(a);
    return good;
}

/* In a child: opens the log, writes `closed` and closes (tables and blob
 * files), opens again, writes `killed` and dies without closing (only the
 * write-ahead log holds it). Exits with 1 when anything failed. */
static void write_then_die(const char *closed, const char *killed)
{
    sl_error err;
    sl_log *log = sl_log_open_embedded(dir, &err);
    if (!log || write_topic(log, closed))
        _exit(1);
    sl_log_close(log);
    log = sl_log_open_embedded(dir, &err);
    if (!log || write_topic(log, killed))
        _exit(1);
    raise(SIGKILL);
    _exit(1);
}

static int wait_child(pid_t pid)
{
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return st;
}

Test(crc32c, the_instruction_is_used_where_the_cpu_has_it)
{
    if (getenv("SLUICE_SOFTWARE_CRC32C"))
        cr_skip_test("SLUICE_SOFTWARE_CRC32C is set");
    __builtin_cpu_init();
#if defined(__x86_64__)
    cr_expect_eq(sl_crc32c_hardware(), (bool)__builtin_cpu_supports("sse4.2"));
#else
    cr_expect(!sl_crc32c_hardware());
#endif
}

/*
 * Every RocksDB instance lives in a child forked from this process before
 * it ran RocksDB (a fork of a process with RocksDB's background threads
 * would wait for threads the child does not have), and each child picks
 * its CRC32C implementation afresh at its first checksum.
 */
Test(crc32c, stores_read_back_across_implementations)
{
    /* a software reader, started now, reading everything at the end */
    int go[2];
    cr_assert_eq(pipe(go), 0);
    pid_t reader = fork();
    cr_assert(reader >= 0);
    if (reader == 0) {
        setenv("SLUICE_SOFTWARE_CRC32C", "1", 1);
        close(go[1]);
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        sl_error err;
        sl_log *log = sl_log_open_embedded(dir, &err);
        if (!log || sl_crc32c_hardware())
            _exit(2);
        int ok = read_topic(log, "a") == RECORDS && read_topic(log, "b") == RECORDS &&
                 read_topic(log, "c") == RECORDS && read_topic(log, "d") == RECORDS;
        sl_log_close(log);
        _exit(ok ? 0 : 3);
    }
    close(go[0]);

    /* written in software: a closed, b killed */
    pid_t w = fork();
    cr_assert(w >= 0);
    if (w == 0) {
        setenv("SLUICE_SOFTWARE_CRC32C", "1", 1);
        write_then_die("a", "b");
    }
    int st = wait_child(w);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the software writer failed");

    /* read with the default implementation (the instruction, where there is
     * one), which then writes c closed and d killed */
    w = fork();
    cr_assert(w >= 0);
    if (w == 0) {
        sl_error err;
        sl_log *log = sl_log_open_embedded(dir, &err);
        if (!log)
            _exit(1);
        if (read_topic(log, "a") != RECORDS || read_topic(log, "b") != RECORDS)
            _exit(4);
        sl_log_close(log);
        write_then_die("c", "d");
    }
    st = wait_child(w);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
              "the second writer failed (exit %d: 4 when a or b did not read back)",
              WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* and everything read back in software */
    cr_assert_eq(write(go[1], "x", 1), 1);
    close(go[1]);
    st = wait_child(reader);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the software reader exited with %d",
              WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}
