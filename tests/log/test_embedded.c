/*
 * test_embedded.c: the embedded log as its users see it: topics, round trips
 * of records, offsets across reopen, positions, transactions (commit, abort,
 * a process dying mid-transaction), the data-directory lock, retention,
 * concurrency, waiting, corrupt data, record batches (reads that start,
 * stop or span them; retention freeing them whole) and the data-directory
 * format version.
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

#include <xxhash.h>

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

    /* a reader that has no use for headers gets the records without them */
    cr_assert_eq(sl_log_read_flags(log, "t", 1, 0, 10, SL_LOG_READ_NO_HEADERS, arena, out, &n,
                                   &err),
                 0, "%s", err.msg);
    cr_assert_eq(n, 5);
    cr_expect_eq(out[0].n_headers, 0);
    cr_expect_null(out[0].headers);
    cr_expect(bytes_eq(out[0].value, out[0].value_len, "hello"));

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

/* Opens the database of `dir` directly (as a tool or a stray process
 * could), with the log's two column families. */
typedef struct raw_db {
    rocksdb_t *db;
    rocksdb_options_t *o;
    rocksdb_column_family_handle_t *h[2];   /* default (metadata), records */
} raw_db;

static void raw_open(raw_db *r, bool create)
{
    char path[128];
    snprintf(path, sizeof path, "%s/db", dir);
    r->o = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->o, create);
    rocksdb_options_set_create_missing_column_families(r->o, create);
    const char *names[] = {"default", "records"};
    const rocksdb_options_t *cfo[] = {r->o, r->o};
    char *errp = NULL;
    r->db = rocksdb_open_column_families(r->o, path, 2, names, cfo, r->h, &errp);
    cr_assert_null(errp, "%s", errp);
}

static void raw_close(raw_db *r)
{
    rocksdb_column_family_handle_destroy(r->h[0]);
    rocksdb_column_family_handle_destroy(r->h[1]);
    rocksdb_close(r->db);
    rocksdb_options_destroy(r->o);
}

static void raw_put(raw_db *r, int cf, const void *k, size_t kl, const void *v, size_t vl)
{
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    char *errp = NULL;
    rocksdb_put_cf(r->db, wo, r->h[cf], k, kl, v, vl, &errp);
    cr_assert_null(errp, "%s", errp);
    rocksdb_writeoptions_destroy(wo);
}

/* The base offsets of the batches stored for topic id 1, partition p. */
static int raw_batches(raw_db *r, int32_t p, int64_t *bases, int max)
{
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(r->db, ro, r->h[1]);
    const unsigned char lo[8] = {0, 0, 0, 1, 0, 0, 0, (unsigned char)p};
    int n = 0;
    for (rocksdb_iter_seek(it, (const char *)lo, 8); rocksdb_iter_valid(it) && n < max;
         rocksdb_iter_next(it)) {
        size_t kl;
        const unsigned char *k = (const unsigned char *)rocksdb_iter_key(it, &kl);
        if (kl != 16 || memcmp(k, lo, 8))
            break;
        int64_t b = 0;
        for (int i = 8; i < 16; i++)
            b = b << 8 | k[i];
        bases[n++] = b;
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return n;
}

static void put_be64_at(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

/* Recomputes a batch's checksum (log/embedded.c: XXH3-64 of the records
 * after the 37-byte header, seeded with that of the first 29 bytes). */
static void reseal(unsigned char *v, size_t vl)
{
    put_be64_at(v + 29, XXH3_64bits_withSeed(v + 37, vl - 37, XXH3_64bits(v, 29)));
}

Test(embedded, corrupt_record_is_an_error)
{
    sl_log *log = open_log();
    create(log, "t", 1, 1000, -1);
    append_n(log, "t", 0, 0, 3, 0);     /* one batch: "v0" "v1" "v2" at ts 0, 1, 2 */
    sl_log_close(log);

    /* behind the log's back: record 1's value length and record 2's length
     * overrun the batch, checksum made to match */
    raw_db r;
    raw_open(&r, false);
    const unsigned char key[16] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    char *errp = NULL;
    size_t vl;
    char *got = rocksdb_get_cf(r.db, ro, r.h[1], (const char *)key, 16, &vl, &errp);
    rocksdb_readoptions_destroy(ro);
    cr_assert_not_null(got, "the batch at offset 0: %s", errp ? errp : "missing");
    unsigned char *v = malloc(vl);
    memcpy(v, got, vl);
    rocksdb_free(got);
    unsigned char *v1 = memmem(v, vl, "v1", 2), *v2 = memmem(v, vl, "v2", 2);
    cr_assert(v1 && v2 && v1[-1] == 3);
    v1[-1] = 0x7f;                      /* value length of record 1 */
    v2[-5] = 0x7f;                      /* length of record 2 */
    reseal(v, vl);
    raw_put(&r, 1, key, 16, v, vl);
    raw_close(&r);

    log = open_log();
    sl_record out[4];
    int n;
    cr_expect_eq(sl_log_read(log, "t", 0, 0, 4, arena, out, &n, &err), -1);
    cr_expect(strstr(err.msg, "corrupt record"), "%s", err.msg);
    cr_expect(strstr(err.msg, "offset 1"), "%s", err.msg);
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 1, arena, out, &n, &err), 0, "offset 0 is fine");
    cr_expect_eq(n, 1);
    cr_expect(bytes_eq(out[0].value, out[0].value_len, "v0"));
    /* retention reads only timestamps: offset 1's is readable, offset 2 has none */
    cr_expect_eq(sl_log_enforce_retention(log, 1002, &err), -1);
    cr_expect(strstr(err.msg, "offset 2"), "%s", err.msg);
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 0, "a failed retention moves nothing");
    sl_log_close(log);

    /* a changed byte the checksum does not cover any more */
    raw_open(&r, false);
    unsigned char *v0 = memmem(v, vl, "v0", 2);
    v0[1] = '9';
    raw_put(&r, 1, key, 16, v, vl);
    raw_close(&r);
    free(v);
    log = open_log();
    cr_expect_eq(sl_log_read(log, "t", 0, 0, 1, arena, out, &n, &err), -1);
    cr_expect(strstr(err.msg, "corrupt record batch"), "%s", err.msg);
    cr_expect(strstr(err.msg, "partition 0, batch at offset 0"), "%s", err.msg);
    cr_expect_eq(n, 0);
    sl_log_close(log);
}

/* ---------------------------------------------------------------- batches */

/* Reads partition p of t from `from` (or from its start offset, if that is
 * later) in reads of `max`, checking that the records are those of
 * append_n (value "v<offset - shift>", with check_ts timestamp 1000 +
 * offset - shift) up to `end`; returns how many were read. */
static int read_check_ts(sl_log *log, const char *t, int32_t p, int64_t from, int max, int shift,
                         int64_t end, bool check_ts)
{
    sl_record *out = sl_arena_alloc(arena, (size_t)max * sizeof *out);
    int total = 0;
    int64_t start = sl_log_start_offset(log, t, p, &err);
    int64_t next = from < start ? start : from;
    for (;;) {
        int n;
        cr_assert_eq(sl_log_read(log, t, p, next, max, arena, out, &n, &err), 0, "%s", err.msg);
        cr_assert_leq(n, max);
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            char v[32];
            snprintf(v, sizeof v, "v%d", (int)(next + i - shift));
            cr_assert_eq(out[i].offset, next + i, "from %lld max %d: record %d",
                         (long long)from, max, i);
            cr_assert(bytes_eq(out[i].value, out[i].value_len, v),
                      "from %lld max %d: offset %lld is not %s", (long long)from, max,
                      (long long)out[i].offset, v);
            cr_assert(bytes_eq(out[i].key, out[i].key_len, "k"));
            if (check_ts)
                cr_assert_eq(out[i].timestamp, 1000 + next + i - shift);
            cr_assert_eq(out[i].partition, p);
        }
        total += n;
        next += n;
    }
    cr_assert_eq(next, end, "from %lld max %d stopped at %lld", (long long)from, max,
                 (long long)next);
    return total;
}

static int read_check(sl_log *log, const char *t, int32_t p, int64_t from, int max, int shift,
                      int64_t end)
{
    return read_check_ts(log, t, p, from, max, shift, end, true);
}

Test(embedded, reads_start_mid_batch_span_batches_and_stop_mid_batch)
{
    sl_log *log = open_log();
    create(log, "t", 1, -1, -1);
    append_n(log, "t", 0, 0, 10, 1000);         /* batches [0,10) [10,15) [15,22) */
    append_n(log, "t", 0, 10, 5, 1000);
    append_n(log, "t", 0, 15, 7, 1000);
    for (int64_t from = 0; from <= 22; from++)
        for (int max = 1; max <= 25; max++) {
            sl_arena_reset(arena);
            cr_assert_eq(read_check(log, "t", 0, from, max, 0, 22), 22 - from);
        }
    /* one read spanning all three batches */
    sl_record out[30];
    int n;
    cr_assert_eq(sl_log_read(log, "t", 0, 3, 30, arena, out, &n, &err), 0);
    cr_expect_eq(n, 19);
    cr_expect_eq(out[0].offset, 3);
    cr_expect_eq(out[18].offset, 21);
    /* the arena copies outlive the next read */
    sl_record again[2];
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 2, arena, again, &n, &err), 0);
    cr_expect(bytes_eq(out[7].value, out[7].value_len, "v10"));
    sl_log_close(log);
}

/* A reader that takes a few records at a time while batches are appended
 * and retention moves the start under it: every record once, in order. */
Test(embedded, tailing_reader_in_small_steps)
{
    sl_log *log = open_log();
    create(log, "t", 1, 50, -1);
    sl_record out[5];
    int64_t next = 0;
    int appended = 0;
    for (int round = 0; round < 80; round++) {
        if (round % 3 == 0 && round < 40) {
            append_n(log, "t", 0, appended, 10, 1000);      /* ts 1000 + offset */
            appended += 10;
        }
        int n;
        cr_assert_eq(sl_log_read(log, "t", 0, next, 1 + round % 5, arena, out, &n, &err), 0,
                     "%s", err.msg);
        for (int i = 0; i < n; i++) {
            char v[32];
            snprintf(v, sizeof v, "v%lld", (long long)(next + i));
            cr_assert_eq(out[i].offset, next + i, "round %d", round);
            cr_assert(bytes_eq(out[i].value, out[i].value_len, v), "round %d", round);
        }
        next += n;
    }
    cr_assert_eq(next, appended, "read %lld of %d", (long long)next, appended);

    /* the reader stopped inside a batch; retention moves the start past it */
    int n;
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 3, arena, out, &n, &err), 0);
    cr_assert_eq(n, 3);
    cr_expect_eq(sl_log_enforce_retention(log, 1000 + 5 + 50 + 1, &err), 6);
    cr_assert_eq(sl_log_read(log, "t", 0, 3, 2, arena, out, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_expect_eq(out[0].offset, 6, "below the start reads from the start");
    cr_expect(bytes_eq(out[1].value, out[1].value_len, "v7"));
    sl_log_close(log);
}

Test(embedded, timestamps_within_a_batch_in_any_order)
{
    sl_log *log = open_log();
    create(log, "t", 1, -1, -1);
    const int64_t ts[] = {1700000000000LL, 0, INT64_MAX, 5, 1700000000000LL - 1, 0, INT64_MAX};
    const int nts = (int)(sizeof ts / sizeof ts[0]);
    sl_log_txn *t = sl_log_txn_begin(log);
    for (int i = 0; i < nts; i++) {
        sl_record r = str_rec("k", "v", ts[i]);
        cr_assert_eq(sl_log_txn_append(t, "t", 0, &r, NULL, NULL, &err), 0);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    sl_record out[8];
    int n;
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 8, arena, out, &n, &err), 0);
    cr_assert_eq(n, nts);
    for (int i = 0; i < nts; i++)
        cr_expect_eq(out[i].timestamp, ts[i], "record %d", i);
    /* time retention goes by each record: 0 and 5 expire, 1700000000000 stops */
    create(log, "r", 1, 1000, -1);
    t = sl_log_txn_begin(log);
    for (int i = 0; i < 4; i++) {
        sl_record r = str_rec("k", "v", (int64_t[]){0, 5, 1700000000000LL, 0}[i]);
        cr_assert_eq(sl_log_txn_append(t, "r", 0, &r, NULL, NULL, &err), 0);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    cr_expect_eq(sl_log_enforce_retention(log, 1000000, &err), 2);
    cr_expect_eq(sl_log_start_offset(log, "r", 0, &err), 2);
    sl_log_close(log);
}

Test(embedded, transaction_over_several_partitions)
{
    sl_log *log = open_log();
    create(log, "t", 3, -1, -1);
    sl_log_txn *t = sl_log_txn_begin(log);
    for (int i = 0; i < 300; i++) {
        char v[32];
        snprintf(v, sizeof v, "v%d", i / 3);
        sl_record r = str_rec("k", v, 1000 + i / 3);
        int64_t off;
        cr_assert_eq(sl_log_txn_append(t, "t", i % 3, &r, NULL, &off, &err), 0);
        cr_assert_eq(off, i / 3);
    }
    cr_assert_eq(sl_log_txn_set_position(t, "q", "t", 1, 50, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    for (int p = 0; p < 3; p++) {
        cr_expect_eq(sl_log_end_offset(log, "t", p, &err), 100);
        for (int max = 7; max <= 100; max += 31)
            cr_expect_eq(read_check(log, "t", p, 0, max, 0, 100), 100);
    }
    cr_expect_eq(sl_log_position(log, "q", "t", 1), 50);
    sl_log_close(log);
}

/* Two open transactions taking turns on one partition: each one's offsets
 * are not contiguous, so each writes several batches. */
Test(embedded, interleaved_transactions_on_one_partition)
{
    sl_log *log = open_log();
    create(log, "t", 1, -1, -1);
    sl_log_txn *a = sl_log_txn_begin(log), *b = sl_log_txn_begin(log), *c = sl_log_txn_begin(log);
    for (int i = 0; i < 12; i++) {
        sl_log_txn *t = i % 3 == 0 ? a : i % 3 == 1 ? b : c;
        char v[32];
        snprintf(v, sizeof v, "v%d", i);
        sl_record r = str_rec("k", v, 1000 + i);
        int64_t off;
        cr_assert_eq(sl_log_txn_append(t, "t", 0, &r, NULL, &off, &err), 0);
        cr_assert_eq(off, i);
    }
    cr_assert_eq(sl_log_txn_commit(c, &err), 0);
    sl_log_txn_abort(b);                    /* leaves gaps at 1, 4, 7, 10 */
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 0, "a is open below");
    cr_assert_eq(sl_log_txn_commit(a, &err), 0);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 12);
    for (int64_t from = 0; from < 12; from++)
        for (int max = 1; max <= 9; max++) {
            sl_record out[9];
            int n, want = 0;
            for (int64_t o = from; o < 12 && want < max; o++)
                want += o % 3 != 1;
            cr_assert_eq(sl_log_read(log, "t", 0, from, max, arena, out, &n, &err), 0);
            cr_assert_eq(n, want, "from %lld max %d", (long long)from, max);
            for (int i = 0; i < n; i++) {
                char v[32];
                snprintf(v, sizeof v, "v%lld", (long long)out[i].offset);
                cr_assert_neq(out[i].offset % 3, 1, "an aborted record came back");
                cr_assert(bytes_eq(out[i].value, out[i].value_len, v));
                cr_assert(i == 0 || out[i].offset > out[i - 1].offset);
            }
        }
    sl_log_close(log);
}

/* Transactions larger than a batch are split (by count and by bytes); a
 * record larger than a batch gets one of its own. */
Test(embedded, large_transactions_and_very_large_records)
{
    sl_log *log = open_log();
    create(log, "many", 1, -1, -1);
    append_n(log, "many", 0, 0, 10000, 1000);   /* more records than a batch holds */
    cr_expect_eq(read_check(log, "many", 0, 0, 1000, 0, 10000), 10000);
    sl_arena_reset(arena);
    cr_expect_eq(read_check(log, "many", 0, 4095, 3, 0, 10000), 10000 - 4095);
    sl_arena_reset(arena);

    create(log, "big", 1, -1, -1);
    size_t sizes[] = {300, 1 << 20, 5, 3 << 20, 200000, 200000, 0, 70000};
    int nrec = (int)(sizeof sizes / sizeof sizes[0]);
    char *vals[8];
    sl_log_txn *t = sl_log_txn_begin(log);
    for (int i = 0; i < nrec; i++) {
        vals[i] = malloc(sizes[i] + 1);
        for (size_t j = 0; j < sizes[i]; j++)
            vals[i][j] = (char)('a' + (j * 7 + (size_t)i) % 26);
        sl_log_header h = {"n", 1, vals[i], (int32_t)(sizes[i] < 1000 ? sizes[i] : 1000)};
        sl_record r = {.key = "k", .key_len = 1, .value = vals[i], .value_len = (int32_t)sizes[i],
                       .timestamp = 1000 + i, .headers = &h, .n_headers = 1};
        cr_assert_eq(sl_log_txn_append(t, "big", 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    sl_log_close(log);
    log = open_log();
    for (int from = 0; from < nrec; from++) {
        sl_record out[8];
        int n;
        sl_arena_reset(arena);
        cr_assert_eq(sl_log_read(log, "big", 0, from, 8, arena, out, &n, &err), 0, "%s", err.msg);
        cr_assert_eq(n, nrec - from);
        for (int i = 0; i < n; i++) {
            int k = from + i;
            cr_assert_eq(out[i].value_len, (int32_t)sizes[k], "record %d", k);
            cr_assert(sizes[k] == 0 || memcmp(out[i].value, vals[k], sizes[k]) == 0,
                      "record %d", k);
            cr_assert_eq(out[i].n_headers, 1);
            cr_assert_eq(out[i].headers[0].value_len, (int32_t)(sizes[k] < 1000 ? sizes[k] : 1000));
            cr_assert_eq(out[i].timestamp, 1000 + k);
        }
    }
    for (int i = 0; i < nrec; i++)
        free(vals[i]);
    sl_log_close(log);
}

/* The byte at position j of record i's value in the test below. */
static char flush_byte(int i, size_t j)
{
    return (char)('a' + (j * 31 + (size_t)i * 7) % 26);
}

/* More than two memtables' worth of records (RocksDB flushes them to
 * blob files while the writer goes on): all read back, in order, also
 * after a reopen, with a reader following the writer meanwhile. */
Test(embedded, records_written_across_memtable_flushes)
{
    enum { VAL = 3000, COMMITS = 120, PER_COMMIT = 250 };  /* 90 MB */
    sl_log *log = open_log();
    create(log, "flow", 1, -1, -1);
    char *val = malloc(VAL);
    sl_record *out = sl_arena_alloc(arena, 1000 * sizeof *out);
    int64_t read_to = 0;
    for (int c = 0; c < COMMITS; c++) {
        sl_log_txn *t = sl_log_txn_begin(log);
        for (int i = c * PER_COMMIT; i < (c + 1) * PER_COMMIT; i++) {
            for (size_t j = 0; j < VAL; j++)
                val[j] = flush_byte(i, j);
            sl_record r = {.key = NULL, .key_len = -1, .value = val, .value_len = VAL,
                           .timestamp = 1000 + i};
            cr_assert_eq(sl_log_txn_append(t, "flow", 0, &r, NULL, NULL, &err), 0, "%s",
                         err.msg);
        }
        cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
        if (c % 10 == 9) {          /* a reader following the writer */
            int n;
            sl_arena_reset(arena);
            out = sl_arena_alloc(arena, 1000 * sizeof *out);
            cr_assert_eq(sl_log_read(log, "flow", 0, read_to, 1000, arena, out, &n, &err), 0,
                         "%s", err.msg);
            cr_assert_eq(n, 1000);
            cr_assert_eq(out[n - 1].offset, read_to + n - 1);
            cr_assert_eq(out[n - 1].value_len, VAL);
            cr_assert_eq(((const char *)out[n - 1].value)[VAL - 1],
                         flush_byte((int)(read_to + n - 1), VAL - 1));
            read_to += n;
        }
    }
    free(val);
    for (int round = 0; round < 2; round++) {
        if (round) {
            sl_log_close(log);
            log = open_log();
        }
        int64_t next = 0;
        for (;;) {
            int n;
            sl_arena_reset(arena);
            out = sl_arena_alloc(arena, 1000 * sizeof *out);
            cr_assert_eq(sl_log_read(log, "flow", 0, next, 1000, arena, out, &n, &err), 0, "%s",
                         err.msg);
            if (n == 0)
                break;
            for (int i = 0; i < n; i++) {
                int k = (int)(next + i);
                cr_assert_eq(out[i].offset, k);
                cr_assert_eq(out[i].timestamp, 1000 + k);
                cr_assert_eq(out[i].value_len, VAL, "record %d", k);
                const char *v = out[i].value;
                for (size_t j = 0; j < VAL; j += 97)
                    cr_assert_eq(v[j], flush_byte(k, j), "record %d byte %zu", k, j);
            }
            next += n;
        }
        cr_assert_eq(next, COMMITS * PER_COMMIT, "round %d", round);
    }
    sl_log_close(log);
}

Test(embedded, reopen_and_read_across_old_and_new_batches)
{
    sl_log *log = open_log();
    create(log, "t", 2, -1, -1);
    append_n(log, "t", 1, 0, 8, 1000);
    append_n(log, "t", 1, 8, 8, 1000);
    sl_log_close(log);
    log = open_log();
    cr_expect_eq(read_check(log, "t", 1, 5, 4, 0, 16), 11);
    append_n(log, "t", 1, 16, 8, 1000);         /* continues at offset 16 */
    sl_log_close(log);
    log = open_log();
    sl_arena_reset(arena);
    cr_expect_eq(read_check(log, "t", 1, 13, 5, 0, 24), 11);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 0);
    sl_log_close(log);
}

/* Expired records leave readers' view one by one; their storage goes a
 * batch at a time, once every record of the batch has expired. */
Test(embedded, retention_frees_whole_batches)
{
    sl_log *log = open_log();
    create(log, "t", 1, 100, -1);
    append_n(log, "t", 0, 0, 4, 1000);          /* ts 1000..1003 */
    append_n(log, "t", 0, 4, 4, 1006);          /* ts 1010..1013 */
    append_n(log, "t", 0, 8, 4, 1012);          /* ts 1020..1023 */
    sl_topic_info info;
    cr_assert_eq(sl_log_describe_topic(log, "t", arena, &info, &err), 0);
    int64_t bytes0 = info.partitions[0].bytes;

    cr_expect_eq(sl_log_enforce_retention(log, 1112, &err), 6, "%s", err.msg);
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 6);
    cr_assert_eq(sl_log_describe_topic(log, "t", arena, &info, &err), 0);
    int64_t each = (bytes0 - 2) / 12;           /* "v10" and "v11" are a byte longer */
    cr_expect_eq(info.partitions[0].bytes, bytes0 - 6 * each, "6 of 12 records went");
    cr_expect_eq(read_check_ts(log, "t", 0, 0, 3, 0, 12, false), 6);
    sl_log_close(log);

    raw_db r;
    int64_t bases[8];
    raw_open(&r, false);
    int nb = raw_batches(&r, 0, bases, 8);
    raw_close(&r);
    cr_assert_eq(nb, 2, "the first batch is gone, the second (half expired) stays");
    cr_expect_eq(bases[0], 4);
    cr_expect_eq(bases[1], 8);

    log = open_log();
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 6);
    sl_arena_reset(arena);
    cr_expect_eq(read_check_ts(log, "t", 0, 5, 4, 0, 12, false), 6, "below the start reads from it");
    cr_expect_eq(sl_log_enforce_retention(log, 1113, &err), 1, "ts 1012 only");
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 7);
    sl_log_close(log);
    raw_open(&r, false);
    nb = raw_batches(&r, 0, bases, 8);
    raw_close(&r);
    cr_expect_eq(nb, 2, "offset 7 keeps its batch");

    log = open_log();
    cr_expect_eq(sl_log_enforce_retention(log, 1114, &err), 1);
    cr_expect_eq(sl_log_start_offset(log, "t", 0, &err), 8);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 12);
    sl_log_close(log);
    raw_open(&r, false);
    nb = raw_batches(&r, 0, bases, 8);
    raw_close(&r);
    cr_assert_eq(nb, 1);
    cr_expect_eq(bases[0], 8);
}

Test(embedded, retention_by_size_across_batches)
{
    sl_log *log = open_log();
    create(log, "one", 1, -1, -1);
    append_n(log, "one", 0, 0, 1, 0);
    sl_topic_info info;
    cr_assert_eq(sl_log_describe_topic(log, "one", arena, &info, &err), 0);
    int64_t one = info.partitions[0].bytes;
    create(log, "t", 1, -1, 5 * one);
    for (int i = 0; i < 4; i++)
        append_n(log, "t", 0, i * 3, 3, 0);     /* batches of 3: v0..v9 alike, v10 v11 longer */
    /* 10 records of `one` bytes and 2 of one + 1: 8 must go to fit in 5 */
    cr_expect_eq(sl_log_enforce_retention(log, 0, &err), 8, "%s", err.msg);
    int64_t start = sl_log_start_offset(log, "t", 0, &err);
    cr_expect_eq(start, 8);
    cr_assert_eq(sl_log_describe_topic(log, "t", arena, &info, &err), 0);
    cr_expect_eq(info.partitions[0].bytes, 4 * one + 2);
    cr_expect_eq(read_check_ts(log, "t", 0, 0, 2, 0, 12, false), 12 - start);
    sl_log_close(log);
}

/* ---------------------------------------------------------------- format */

Test(embedded, data_directory_of_an_older_format_is_refused)
{
    /* format 1: a topic and one record under its own key, no version */
    raw_db r;
    raw_open(&r, true);
    unsigned char tv[26] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    raw_put(&r, 0, "tclicks", 7, tv, sizeof tv);
    const unsigned char key[16] = {0, 0, 0, 1};
    raw_put(&r, 1, key, 16, "\x01\x02\x00\x00\x00", 5);
    raw_close(&r);

    for (int i = 0; i < 2; i++) {
        cr_expect_null(sl_log_open_embedded(dir, &err));
        cr_expect(strstr(err.msg, "data directory written by an older sluice: "), "%s", err.msg);
        cr_expect(strstr(err.msg, dir), "%s", err.msg);
        cr_expect_null(strstr(err.msg, "in use"), "a failed open releases the lock: %s",
                       err.msg);
    }
}

Test(embedded, data_directory_of_a_newer_format_is_refused)
{
    sl_log *log = open_log();
    create(log, "t", 1, -1, -1);
    sl_log_close(log);
    raw_db r;
    raw_open(&r, false);
    const unsigned char v[4] = {0, 0, 0, 99};
    raw_put(&r, 0, "v", 1, v, 4);
    raw_close(&r);
    cr_expect_null(sl_log_open_embedded(dir, &err));
    cr_expect(strstr(err.msg, "written by a newer sluice"), "%s", err.msg);
    cr_expect(strstr(err.msg, "format 99"), "%s", err.msg);
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
    cr_expect(strstr(err.msg, "the data directory") && strstr(err.msg, "LOCK is not a directory"),
              "%s", err.msg);
    snprintf(sub, sizeof sub, "%s/a/b/data/LOCK/below", dir);  /* a parent is a file */
    cr_expect_null(sl_log_open_embedded(sub, &err));
    cr_expect(strstr(err.msg, "cannot create the data directory"), "%s", err.msg);
}
