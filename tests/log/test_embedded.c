/*
 * test_embedded.c: the embedded log as its users see it: topics, round trips
 * of records, offsets across reopen, positions, transactions (commit, abort,
 * a process dying mid-transaction), the data-directory lock, retention,
 * concurrency, waiting, and corrupt data.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log/embedded_internal.h"
#include "log/log.h"
#include "log/partitioner.h"

static char dir[64];
static sl_arena *arena;
static sl_error err;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void setup(void)
{
    strcpy(dir, "/tmp/sluice-log-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    arena = sl_arena_new(0);
    sl_error_clear(&err);
}

static void teardown(void)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    sl_arena_free(arena);
}

TestSuite(embedded, .init = setup, .fini = teardown);

static sl_log *open_log(void)
{
    sl_log *log = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(log, "open: %s", err.msg);
    return log;
}

static void create(sl_log *log, const char *name, int32_t parts, int64_t ret_ms, int64_t ret_bytes)
{
    sl_topic_config c = sl_topic_config_default();
    c.partitions = parts;
    c.retention_ms = ret_ms;
    c.retention_bytes = ret_bytes;
    cr_assert_eq(sl_log_create_topic(log, name, &c, NULL, &err), 0, "create %s: %s", name, err.msg);
}

static sl_record str_rec(const char *key, const char *value, int64_t ts)
{
    sl_record r = {0};
    r.key = key;
    r.key_len = key ? (int32_t)strlen(key) : -1;
    r.value = value;
    r.value_len = value ? (int32_t)strlen(value) : -1;
    r.timestamp = ts;
    return r;
}

/* Appends values "v<first>".."v<first+n-1>" to one partition and commits. */
static void append_n(sl_log *log, const char *topic, int32_t p, int first, int n, int64_t ts0)
{
    sl_log_txn *t = sl_log_txn_begin(log);
    for (int i = first; i < first + n; i++) {
        char v[32];
        snprintf(v, sizeof v, "v%d", i);
        sl_record r = str_rec("k", v, ts0 + i);
        cr_assert_eq(sl_log_txn_append(t, topic, p, &r, NULL, NULL, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
}

static bool bytes_eq(const void *a, int32_t alen, const char *want)
{
    if (!want)
        return alen == -1 && a == NULL;
    return alen == (int32_t)strlen(want) && memcmp(a, want, (size_t)alen) == 0;
}

/* ---------------------------------------------------------------- topics */

Test(embedded, topics_create_describe_list_delete)
{
    sl_log *log = open_log();
    sl_topic_config c = sl_topic_config_default();
    cr_expect_eq(c.partitions, 1);
    cr_expect_eq(c.retention_ms, 604800000LL);
    cr_expect_eq(c.retention_bytes, -1);

    bool created = false;
    c.partitions = 3;
    c.cleanup = SL_CLEANUP_COMPACT;
    cr_assert_eq(sl_log_create_topic(log, "orders", &c, &created, &err), 0, "%s", err.msg);
    cr_expect(created);
    create(log, "clicks", 1, -1, -1);

    /* identical again: idempotent; different partition count: an error */
    cr_expect_eq(sl_log_create_topic(log, "orders", &c, &created, &err), 0);
    cr_expect_not(created);
    c.partitions = 4;
    cr_expect_eq(sl_log_create_topic(log, "orders", &c, &created, &err), -1);
    cr_expect(strstr(err.msg, "already exists with 3 partitions"), "%s", err.msg);

    static const char *bad[] = {"", "a b", "x/y", ".", "..", "é"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(sl_log_create_topic(log, bad[i], &c, NULL, &err), -1, "name '%s'", bad[i]);
    c.partitions = 0;
    cr_expect_eq(sl_log_create_topic(log, "zero", &c, NULL, &err), -1);

    const char **names;
    int n;
    cr_assert_eq(sl_log_list_topics(log, arena, &names, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(names[0], "clicks");
    cr_expect_str_eq(names[1], "orders");

    append_n(log, "orders", 1, 0, 4, 1000);
    sl_topic_info info;
    cr_assert_eq(sl_log_describe_topic(log, "orders", arena, &info, &err), 0, "%s", err.msg);
    cr_expect_str_eq(info.name, "orders");
    cr_expect_eq(info.config.partitions, 3);
    cr_expect_eq(info.config.cleanup, SL_CLEANUP_COMPACT);
    cr_expect_eq(info.partitions[0].end_offset, 0);
    cr_expect_eq(info.partitions[1].start_offset, 0);
    cr_expect_eq(info.partitions[1].end_offset, 4);
    cr_expect_gt(info.partitions[1].bytes, 4 * 16);
    cr_expect_eq(info.partitions[2].bytes, 0);

    cr_assert_eq(sl_log_delete_topic(log, "orders", &err), 0, "%s", err.msg);
    cr_expect_eq(sl_log_describe_topic(log, "orders", arena, &info, &err), -1);
    cr_expect(strstr(err.msg, "orders does not exist"), "%s", err.msg);
    cr_expect_eq(sl_log_delete_topic(log, "orders", &err), -1);

    /* re-created: empty, offsets from 0 */
    create(log, "orders", 3, -1, -1);
    cr_expect_eq(sl_log_end_offset(log, "orders", 1, &err), 0);
    sl_record out[8];
    cr_assert_eq(sl_log_read(log, "orders", 1, 0, 8, arena, out, &n, &err), 0);
    cr_expect_eq(n, 0);
    sl_log_close(log);

    /* survives reopen, deleted ones stay deleted */
    log = open_log();
    cr_assert_eq(sl_log_list_topics(log, arena, &names, &n, &err), 0);
    cr_expect_eq(n, 2);
    cr_assert_eq(sl_log_describe_topic(log, "orders", arena, &info, &err), 0);
    cr_expect_eq(info.config.partitions, 3);
    cr_expect_eq(info.config.retention_ms, -1);
    cr_expect_eq(info.partitions[1].end_offset, 0);
    sl_log_close(log);
}

/* ---------------------------------------------------------------- records */

Test(embedded, round_trip_keys_values_nulls_headers)
{
    sl_log *log = open_log();
    create(log, "t", 2, -1, -1);
    const unsigned char bin[] = {0, 0xff, 0x80, 0};
    sl_log_header h1[] = {
        {"trace", 5, "abc", 3},
        {"empty", 5, "", 0},
        {"nul", 3, NULL, -1},
    };
    sl_record in[5];
    in[0] = str_rec("k1", "hello", 1700000000000LL);
    in[0].headers = h1;
    in[0].n_headers = 3;
    in[1] = str_rec(NULL, "no key", 5);
    in[2] = str_rec("k3", NULL, 0);          /* tombstone */
    in[3] = str_rec("", "", 123);             /* empty, not null */
    in[4] = (sl_record){.key = bin, .key_len = 4, .value = bin, .value_len = 3,
                        .timestamp = INT64_MAX};

    sl_log_txn *t = sl_log_txn_begin(log);
    for (int i = 0; i < 5; i++) {
        int32_t p;
        int64_t off;
        cr_assert_eq(sl_log_txn_append(t, "t", 1, &in[i], &p, &off, &err), 0, "%s", err.msg);
        cr_expect_eq(p, 1);
        cr_expect_eq(off, i);
    }
    /* not visible before the commit */
    cr_expect_eq(sl_log_end_offset(log, "t", 1, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_expect_eq(sl_log_end_offset(log, "t", 1, &err), 5);

    sl_record out[10];
    int n;
    cr_assert_eq(sl_log_read(log, "t", 1, 0, 10, arena, out, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 5);
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(out[i].offset, i);
        cr_expect_eq(out[i].partition, 1);
        cr_expect_eq(out[i].timestamp, in[i].timestamp);
        cr_expect_eq(out[i].key_len, in[i].key_len, "record %d", i);
        cr_expect_eq(out[i].value_len, in[i].value_len, "record %d", i);
        if (in[i].key_len >= 0)
            cr_expect_arr_eq(out[i].key, in[i].key, (size_t)in[i].key_len);
        else
            cr_expect_null(out[i].key);
        if (in[i].value_len >= 0)
            cr_expect_arr_eq(out[i].value, in[i].value, (size_t)in[i].value_len);
        else
            cr_expect_null(out[i].value);
    }
    cr_expect_not_null(out[3].key, "an empty key is not a null key");
    cr_assert_eq(out[0].n_headers, 3);
    cr_expect(bytes_eq(out[0].headers[0].key, (int32_t)out[0].headers[0].key_len, "trace"));
    cr_expect(bytes_eq(out[0].headers[0].value, out[0].headers[0].value_len, "abc"));
    cr_expect(bytes_eq(out[0].headers[1].value, out[0].headers[1].value_len, ""));
    cr_expect(bytes_eq(out[0].headers[2].key, (int32_t)out[0].headers[2].key_len, "nul"));
    cr_expect(bytes_eq(out[0].headers[2].value, out[0].headers[2].value_len, NULL));
    cr_expect_eq(out[1].n_headers, 0);

    /* from the middle, a limited count, past the end */
    cr_assert_eq(sl_log_read(log, "t", 1, 2, 2, arena, out, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_expect_eq(out[0].offset, 2);
    cr_expect_eq(out[1].offset, 3);
    cr_assert_eq(sl_log_read(log, "t", 1, 5, 10, arena, out, &n, &err), 0);
    cr_expect_eq(n, 0);
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 10, arena, out, &n, &err), 0);
    cr_expect_eq(n, 0);

    /* unknown topic or partition */
    cr_expect_eq(sl_log_read(log, "nope", 0, 0, 10, arena, out, &n, &err), -1);
    cr_expect(strstr(err.msg, "nope does not exist"), "%s", err.msg);
    cr_expect_eq(sl_log_read(log, "t", 2, 0, 10, arena, out, &n, &err), -1);
    cr_expect_eq(sl_log_end_offset(log, "t", -1, &err), -1);
    t = sl_log_txn_begin(log);
    cr_expect_eq(sl_log_txn_append(t, "t", 7, &in[0], NULL, NULL, &err), -1);
    cr_expect_eq(sl_log_txn_append(t, "nope", 0, &in[0], NULL, NULL, &err), -1);
    sl_record bad = in[0];
    bad.key_len = -2;
    cr_expect_eq(sl_log_txn_append(t, "t", 0, &bad, NULL, NULL, &err), -1);
    sl_log_txn_abort(t);
    sl_log_close(log);
}

Test(embedded, timestamp_defaults_to_now)
{
    sl_log *log = open_log();
    create(log, "t", 1, -1, -1);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = str_rec("k", "v", -1);
    cr_assert_eq(sl_log_txn_append(t, "t", 0, &r, NULL, NULL, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    sl_record out[1];
    int n;
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 1, arena, out, &n, &err), 0);
    cr_assert_eq(n, 1);
    cr_expect_geq(out[0].timestamp, before);
    cr_expect_lt(out[0].timestamp, before + 60000);
    sl_log_close(log);
}

Test(embedded, partition_choice_by_key_and_round_robin)
{
    sl_log *log = open_log();
    create(log, "t", 3, -1, -1);
    sl_log_txn *t = sl_log_txn_begin(log);
    int per[3] = {0};
    for (int i = 0; i < 9; i++) {
        sl_record r = str_rec(NULL, "x", 1);
        int32_t p;
        cr_assert_eq(sl_log_txn_append(t, "t", -1, &r, &p, NULL, &err), 0);
        per[p]++;
    }
    cr_expect(per[0] == 3 && per[1] == 3 && per[2] == 3, "round robin: %d %d %d", per[0], per[1],
              per[2]);
    static const char *keys[] = {"kafka", "21", "foobar", "abc", ""};
    for (size_t i = 0; i < 5; i++) {
        sl_record r = str_rec(keys[i], "x", 1);
        int32_t p;
        cr_assert_eq(sl_log_txn_append(t, "t", -1, &r, &p, NULL, &err), 0);
        cr_expect_eq(p, sl_partitioner_for_key(keys[i], strlen(keys[i]), 3), "key %s", keys[i]);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    sl_log_close(log);
}

Test(embedded, offsets_survive_reopen)
{
    sl_log *log = open_log();
    create(log, "t", 2, -1, -1);
    append_n(log, "t", 0, 0, 5, 0);
    append_n(log, "t", 1, 0, 2, 0);
    sl_log_close(log);

    log = open_log();
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 5);
    cr_expect_eq(sl_log_end_offset(log, "t", 1, &err), 2);
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = str_rec("k", "after", 9);
    int64_t off;
    cr_assert_eq(sl_log_txn_append(t, "t", 0, &r, NULL, &off, &err), 0);
    cr_expect_eq(off, 5);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    sl_record out[10];
    int n;
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 10, arena, out, &n, &err), 0);
    cr_assert_eq(n, 6);
    cr_expect(bytes_eq(out[4].value, out[4].value_len, "v4"));
    cr_expect(bytes_eq(out[5].value, out[5].value_len, "after"));
    sl_log_close(log);
}

/* ---------------------------------------------------------------- positions */

Test(embedded, positions)
{
    sl_log *log = open_log();
    create(log, "t", 2, -1, -1);
    cr_expect_eq(sl_log_position(log, "q1", "t", 0), -1);

    sl_log_txn *t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_set_position(t, "q1", "t", 0, 42, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_set_position(t, "q2", "t", 1, 7, &err), 0);
    cr_expect_eq(sl_log_position(log, "q1", "t", 0), -1, "not before the commit");
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_expect_eq(sl_log_position(log, "q1", "t", 0), 42);
    cr_expect_eq(sl_log_position(log, "q1", "t", 1), -1);
    cr_expect_eq(sl_log_position(log, "q2", "t", 1), 7);
    cr_expect_eq(sl_log_position(log, "q", "t", 0), -1, "a prefix of a group is another group");
    cr_expect_eq(sl_log_position(log, "q1", "nope", 0), -1);

    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_set_position(t, "q1", "t", 0, 99, &err), 0);
    sl_log_txn_abort(t);
    cr_expect_eq(sl_log_position(log, "q1", "t", 0), 42);

    t = sl_log_txn_begin(log);
    cr_expect_eq(sl_log_txn_set_position(t, "q1", "t", 5, 1, &err), -1);
    cr_expect_eq(sl_log_txn_set_position(t, "q1", "nope", 0, 1, &err), -1);
    sl_log_txn_abort(t);
    sl_log_close(log);

    log = open_log();
    cr_expect_eq(sl_log_position(log, "q1", "t", 0), 42);
    /* a dropped and re-created topic forgets positions */
    cr_assert_eq(sl_log_delete_topic(log, "t", &err), 0);
    create(log, "t", 2, -1, -1);
    cr_expect_eq(sl_log_position(log, "q1", "t", 0), -1);
    sl_log_close(log);
}

/* ---------------------------------------------------------------- transactions */

Test(embedded, abort_leaves_nothing_and_gives_offsets_back)
{
    sl_log *log = open_log();
    create(log, "t", 1, -1, -1);
    append_n(log, "t", 0, 0, 2, 0);
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = str_rec("k", "aborted", 1);
    int64_t off;
    cr_assert_eq(sl_log_txn_append(t, "t", 0, &r, NULL, &off, &err), 0);
    cr_expect_eq(off, 2);
    cr_assert_eq(sl_log_txn_append(t, "t", 0, &r, NULL, &off, &err), 0);
    cr_expect_eq(off, 3);
    cr_assert_eq(sl_log_txn_put_raw(t, "state1", "sk", 2, "sv", 2, &err), 0, "%s", err.msg);
    sl_log_txn_abort(t);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 2);

    t = sl_log_txn_begin(log);
    r = str_rec("k", "kept", 1);
    cr_assert_eq(sl_log_txn_append(t, "t", 0, &r, NULL, &off, &err), 0);
    cr_expect_eq(off, 2, "offsets of an aborted transaction are given back");
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    sl_record out[10];
    int n;
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 10, arena, out, &n, &err), 0);
    cr_assert_eq(n, 3);
    cr_expect(bytes_eq(out[2].value, out[2].value_len, "kept"));

    /* the aborted raw put is absent */
    rocksdb_t *db = sl_log_embedded_db(log);
    rocksdb_column_family_handle_t *cf = sl_log_embedded_cf(log, "state1", &err);
    cr_assert(db && cf);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    char *errp = NULL;
    size_t vl;
    char *v = rocksdb_get_cf(db, ro, cf, "sk", 2, &vl, &errp);
    cr_expect_null(v);
    cr_expect_null(errp);
    rocksdb_readoptions_destroy(ro);
    cr_expect_null(sl_log_embedded_cf(log, "records", &err));
    sl_log_close(log);
}

Test(embedded, later_transaction_waits_for_earlier_on_same_partition)
{
    sl_log *log = open_log();
    create(log, "t", 1, -1, -1);
    sl_log_txn *a = sl_log_txn_begin(log), *b = sl_log_txn_begin(log);
    sl_record r = str_rec("k", "a", 1);
    int64_t oa, ob;
    cr_assert_eq(sl_log_txn_append(a, "t", 0, &r, NULL, &oa, &err), 0);
    r = str_rec("k", "b", 1);
    cr_assert_eq(sl_log_txn_append(b, "t", 0, &r, NULL, &ob, &err), 0);
    cr_expect_eq(oa, 0);
    cr_expect_eq(ob, 1);
    cr_assert_eq(sl_log_txn_commit(b, &err), 0);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 0, "a is still open below b");
    uint64_t seq = sl_log_commit_seq(log);
    sl_log_txn_abort(a);
    cr_expect_eq(sl_log_wait_since(log, seq, 0), 1, "the abort moved the end: waiters wake");
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 2);
    sl_record out[4];
    int n;
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 4, arena, out, &n, &err), 0);
    cr_assert_eq(n, 1, "offset 0 is a gap");
    cr_expect_eq(out[0].offset, 1);
    sl_log_close(log);
}

Test(embedded, raw_puts_commit_with_the_records)
{
    sl_log *log = open_log();
    create(log, "t", 1, -1, -1);
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = str_rec("k", "v", 1);
    cr_assert_eq(sl_log_txn_append(t, "t", 0, &r, NULL, NULL, &err), 0);
    cr_assert_eq(sl_log_txn_put_raw(t, "counts", "user1", 5, "3", 1, &err), 0, "%s", err.msg);
    cr_expect_eq(sl_log_txn_put_raw(t, "default", "x", 1, "y", 1, &err), -1);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    sl_log_close(log);

    log = open_log();       /* the keyspace is reopened with the database */
    rocksdb_column_family_handle_t *cf = sl_log_embedded_cf(log, "counts", &err);
    cr_assert_not_null(cf, "%s", err.msg);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    char *errp = NULL;
    size_t vl;
    char *v = rocksdb_get_cf(sl_log_embedded_db(log), ro, cf, "user1", 5, &vl, &errp);
    cr_assert_not_null(v);
    cr_expect_eq(vl, 1);
    cr_expect_eq(v[0], '3');
    rocksdb_free(v);
    rocksdb_readoptions_destroy(ro);
    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_put_raw(t, "counts", "user1", 5, NULL, 0, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    sl_log_close(log);
}

/* A process that dies (no commit, no close) mid-transaction leaves exactly
 * what it committed. */
Test(embedded, crash_mid_transaction)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        sl_error e;
        sl_log *log = sl_log_open_embedded(dir, &e);
        if (!log)
            _exit(1);
        sl_topic_config c = sl_topic_config_default();
        c.partitions = 1;
        if (sl_log_create_topic(log, "t", &c, NULL, &e))
            _exit(2);
        sl_log_txn *t = sl_log_txn_begin(log);
        for (int i = 0; i < 3; i++) {
            sl_record r = str_rec("k", "committed", i);
            if (sl_log_txn_append(t, "t", 0, &r, NULL, NULL, &e))
                _exit(3);
        }
        if (sl_log_txn_set_position(t, "q", "t", 0, 3, &e) || sl_log_txn_commit(t, &e))
            _exit(4);
        t = sl_log_txn_begin(log);
        sl_record r = str_rec("k", "lost", 9);
        if (sl_log_txn_append(t, "t", 0, &r, NULL, NULL, &e) ||
            sl_log_txn_set_position(t, "q", "t", 0, 4, &e))
            _exit(5);
        _exit(0);           /* like kill -9: nothing closed, nothing flushed */
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: %d", status);

    sl_log *log = open_log();
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 3);
    cr_expect_eq(sl_log_position(log, "q", "t", 0), 3);
    sl_record out[10];
    int n;
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 10, arena, out, &n, &err), 0);
    cr_assert_eq(n, 3);
    for (int i = 0; i < 3; i++)
        cr_expect(bytes_eq(out[i].value, out[i].value_len, "committed"));
    sl_log_close(log);
}

/* ---------------------------------------------------------------- the lock */

Test(embedded, second_opener_is_told_who_holds_the_directory)
{
    sl_log *log = open_log();
    char want[64];
    snprintf(want, sizeof want, "in use by process %ld (", (long)getpid());

    /* in this process */
    cr_expect_null(sl_log_open_embedded(dir, &err));
    cr_expect(strstr(err.msg, want), "%s", err.msg);
    cr_expect(strstr(err.msg, dir), "%s", err.msg);

    /* in another process */
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        sl_error e;
        sl_log *l = sl_log_open_embedded(dir, &e);
        if (l)
            _exit(1);
        ssize_t w = write(fds[1], e.msg, strlen(e.msg));
        _exit(w > 0 ? 0 : 2);
    }
    close(fds[1]);
    char msg[600] = {0};
    ssize_t got = read(fds[0], msg, sizeof msg - 1);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "second open succeeded");
    cr_assert_gt(got, 0);
    cr_expect(strstr(msg, want), "%s", msg);
    char prog[160];
    snprintf(prog, sizeof prog, "(%s, started ", program_invocation_short_name);
    cr_expect(strstr(msg, prog), "%s", msg);

    sl_log_close(log);
    log = sl_log_open_embedded(dir, &err);
    cr_expect_not_null(log, "close releases the directory: %s", err.msg);
    sl_log_close(log);
}

/* ---------------------------------------------------------------- retention */

Test(embedded, retention_by_time_and_reading_below_start)
{
    sl_log *log = open_log();
    create(log, "t", 1, 1000, -1);
    create(log, "forever", 1, -1, -1);
    append_n(log, "t", 0, 0, 10, 10000);        /* timestamps 10000..10009 */
    append_n(log, "forever", 0, 0, 10, 0);
    int64_t bytes_before;
    sl_topic_info info;
    cr_assert_eq(sl_log_describe_topic(log, "t", arena, &info, &err), 0);
    bytes_before = info.partitions[0].bytes;

    cr_expect_eq(sl_log_enforce_retention(log, 11000, &err), 0, "nothing older than 10000");
    cr_expect_eq(sl_log_enforce_retention(log, 11005, &err), 5, "%s", err.msg);
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 5);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 10);
    cr_expect_eq(sl_log_start_offset(log, "forever", 0, &err), 0);
    cr_assert_eq(sl_log_describe_topic(log, "t", arena, &info, &err), 0);
    cr_expect_eq(info.partitions[0].start_offset, 5);
    cr_expect_eq(info.partitions[0].bytes * 2, bytes_before);

    sl_record out[20];
    int n;
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 20, arena, out, &n, &err), 0);
    cr_assert_eq(n, 5);
    cr_expect_eq(out[0].offset, 5, "reading below the start reads from the start");
    cr_expect(bytes_eq(out[0].value, out[0].value_len, "v5"));
    sl_log_close(log);

    log = open_log();
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 5);
    cr_expect_eq(sl_log_enforce_retention(log, INT64_MAX, &err), 5);
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 10);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 10);
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 20, arena, out, &n, &err), 0);
    cr_expect_eq(n, 0);
    sl_log_close(log);
}

Test(embedded, retention_stops_at_first_unexpired_record)
{
    sl_log *log = open_log();
    create(log, "t", 1, 100, -1);
    sl_log_txn *t = sl_log_txn_begin(log);
    int64_t ts[] = {10, 5000, 20, 30};
    for (int i = 0; i < 4; i++) {
        sl_record r = str_rec(NULL, "x", ts[i]);
        cr_assert_eq(sl_log_txn_append(t, "t", 0, &r, NULL, NULL, &err), 0);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    cr_expect_eq(sl_log_enforce_retention(log, 1000, &err), 1);
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 1);
    sl_log_close(log);
}

Test(embedded, retention_by_size)
{
    sl_log *log = open_log();
    create(log, "t", 1, -1, -1);
    append_n(log, "t", 0, 0, 1, 0);
    sl_topic_info info;
    cr_assert_eq(sl_log_describe_topic(log, "t", arena, &info, &err), 0);
    int64_t one = info.partitions[0].bytes;     /* "v0" and "v9" encode alike */
    cr_assert_gt(one, 0);
    cr_assert_eq(sl_log_delete_topic(log, "t", &err), 0);

    create(log, "t", 1, -1, 3 * one);
    append_n(log, "t", 0, 0, 10, 0);
    cr_expect_eq(sl_log_enforce_retention(log, 0, &err), 7, "%s", err.msg);
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 7);
    cr_assert_eq(sl_log_describe_topic(log, "t", arena, &info, &err), 0);
    cr_expect_eq(info.partitions[0].bytes, 3 * one);
    cr_expect_eq(sl_log_enforce_retention(log, 0, &err), 0);
    append_n(log, "t", 0, 10, 1, 0);            /* "v10": one byte more than the others */
    cr_expect_eq(sl_log_enforce_retention(log, 0, &err), 2);
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 9);
    sl_log_close(log);
}

/* ---------------------------------------------------------------- threads */

typedef struct writer_arg {
    sl_log *log;
    int32_t partition;
    int records;
    int failures;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *w = p;
    sl_error e;
    for (int i = 0; i < w->records; i += 10) {
        sl_log_txn *t = sl_log_txn_begin(w->log);
        for (int j = i; j < i + 10; j++) {
            char v[32];
            snprintf(v, sizeof v, "p%d-%d", (int)w->partition, j);
            sl_record r = str_rec("k", v, j);
            int64_t off;
            if (sl_log_txn_append(t, "t", w->partition, &r, NULL, &off, &e) || off != j)
                w->failures++;
        }
        if (sl_log_txn_set_position(t, "g", "t", w->partition, i + 10, &e) ||
            sl_log_txn_commit(t, &e))
            w->failures++;
    }
    return NULL;
}

/* Tails both partitions while they are written; counts records seen out of
 * order (each partition must read back 0, 1, 2, ... without holes). */
typedef struct reader_arg {
    sl_log *log;
    int disorder;
    int64_t seen[2];
} reader_arg;

static void *reader(void *p)
{
    reader_arg *ra = p;
    sl_arena *a = sl_arena_new(0);
    sl_record out[64];
    sl_error e;
    while (ra->seen[0] < 2000 || ra->seen[1] < 2000) {
        uint64_t seq = sl_log_commit_seq(ra->log);
        int total = 0;
        for (int32_t part = 0; part < 2; part++) {
            int n;
            sl_arena_reset(a);
            if (sl_log_read(ra->log, "t", part, ra->seen[part], 64, a, out, &n, &e)) {
                ra->disorder++;
                goto done;
            }
            for (int i = 0; i < n; i++)
                if (out[i].offset != ra->seen[part]++)
                    ra->disorder++;
            total += n;
        }
        if (!total && !sl_log_wait_since(ra->log, seq, 5000))
            break;
    }
done:
    sl_arena_free(a);
    return NULL;
}

Test(embedded, concurrent_appends_to_different_partitions)
{
    sl_log *log = open_log();
    create(log, "t", 2, -1, -1);
    writer_arg args[2] = {{log, 0, 2000, 0}, {log, 1, 2000, 0}};
    reader_arg ra = {log, 0, {0, 0}};
    pthread_t th[2], rt;
    pthread_create(&rt, NULL, reader, &ra);
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, writer, &args[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    pthread_join(rt, NULL);
    cr_expect_eq(ra.disorder, 0);
    cr_expect_eq(ra.seen[0], 2000);
    cr_expect_eq(ra.seen[1], 2000);
    sl_record *out = sl_arena_alloc(arena, 2000 * sizeof *out);
    for (int p = 0; p < 2; p++) {
        cr_expect_eq(args[p].failures, 0);
        cr_expect_eq(sl_log_end_offset(log, "t", p, &err), 2000);
        cr_expect_eq(sl_log_position(log, "g", "t", p), 2000);
        int n;
        cr_assert_eq(sl_log_read(log, "t", p, 0, 2000, arena, out, &n, &err), 0);
        cr_assert_eq(n, 2000);
        int bad = 0;
        for (int i = 0; i < n; i++) {
            char v[32];
            snprintf(v, sizeof v, "p%d-%d", p, i);
            if (out[i].offset != i || !bytes_eq(out[i].value, out[i].value_len, v))
                bad++;
        }
        cr_expect_eq(bad, 0, "partition %d: %d records out of place", p, bad);
    }
    sl_log_close(log);
}

static void *late_commit(void *p)
{
    sl_log *log = p;
    usleep(50000);
    sl_error e;
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = str_rec("k", "late", 1);
    sl_log_txn_append(t, "t", 0, &r, NULL, NULL, &e);
    sl_log_txn_commit(t, &e);
    return NULL;
}

Test(embedded, wait_wakes_on_commit_and_times_out)
{
    sl_log *log = open_log();
    create(log, "t", 1, -1, -1);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    cr_expect_eq(sl_log_wait(log, 100), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    cr_expect_geq(ms, 90);

    uint64_t seq = sl_log_commit_seq(log);
    pthread_t th;
    pthread_create(&th, NULL, late_commit, log);
    cr_expect_eq(sl_log_wait_since(log, seq, 10000), 1);
    pthread_join(th, NULL);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 1);
    /* a commit that already happened is not waited for again */
    cr_expect_eq(sl_log_wait_since(log, seq, 10000), 1);
    sl_log_close(log);
}

/* ---------------------------------------------------------------- corrupt data */

Test(embedded, corrupt_record_is_an_error)
{
    sl_log *log = open_log();
    create(log, "t", 1, 1000, -1);
    append_n(log, "t", 0, 0, 3, 0);
    sl_log_close(log);

    /* overwrite offsets 1 and 2 (topic id 1) behind the log's back */
    char path[128];
    snprintf(path, sizeof path, "%s/db", dir);
    rocksdb_options_t *o = rocksdb_options_create();
    const char *names[] = {"default", "records"};
    const rocksdb_options_t *cfo[] = {o, o};
    rocksdb_column_family_handle_t *h[2];
    char *errp = NULL;
    rocksdb_t *db = rocksdb_open_column_families(o, path, 2, names, cfo, h, &errp);
    cr_assert_null(errp, "%s", errp);
    const unsigned char key[16] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const char garbage[] = {1, 2, (char)0xff, (char)0xff, (char)0xff};
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_put_cf(db, wo, h[1], (const char *)key, 16, garbage, sizeof garbage, &errp);
    cr_assert_null(errp);
    const unsigned char key2[16] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    rocksdb_put_cf(db, wo, h[1], (const char *)key2, 16, "", 0, &errp);
    cr_assert_null(errp);
    rocksdb_writeoptions_destroy(wo);
    rocksdb_column_family_handle_destroy(h[0]);
    rocksdb_column_family_handle_destroy(h[1]);
    rocksdb_close(db);
    rocksdb_options_destroy(o);

    log = open_log();
    sl_record out[4];
    int n;
    cr_expect_eq(sl_log_read(log, "t", 0, 0, 4, arena, out, &n, &err), -1);
    cr_expect(strstr(err.msg, "corrupt record"), "%s", err.msg);
    cr_expect(strstr(err.msg, "offset 1"), "%s", err.msg);
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 1, arena, out, &n, &err), 0, "offset 0 is fine");
    cr_expect_eq(n, 1);
    /* retention reads only timestamps: offset 1's is readable, offset 2 has none */
    cr_expect_eq(sl_log_enforce_retention(log, INT64_MAX, &err), -1);
    cr_expect(strstr(err.msg, "offset 2"), "%s", err.msg);
    sl_log_close(log);
}

Test(embedded, fsync_per_commit)
{
    sl_log_embedded_opts o = {.sync = true};
    sl_log *log = sl_log_open_embedded_opts(dir, &o, &err);
    cr_assert_not_null(log, "%s", err.msg);
    create(log, "t", 1, -1, -1);
    append_n(log, "t", 0, 0, 3, 0);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 3);
    sl_log_close(log);
    log = open_log();
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 3);
    sl_log_close(log);
}

Test(embedded, data_directory_created_with_parents)
{
    char sub[128];
    snprintf(sub, sizeof sub, "%s/a/b/data", dir);
    sl_log *log = sl_log_open_embedded(sub, &err);
    cr_assert_not_null(log, "%s", err.msg);
    sl_log_close(log);
    snprintf(sub, sizeof sub, "%s/a/b/data/LOCK", dir);   /* a file, not a directory */
    cr_expect_null(sl_log_open_embedded(sub, &err));
    cr_expect(strstr(err.msg, "not a directory") || strstr(err.msg, "cannot"), "%s", err.msg);
}
