/*
 * test_sink.c: rows leave the query: encoded keys and values appended to
 * the sink topic (timestamp = event time, partition by key bytes), null
 * keys and KAFKA null values as null record fields, and the callback sink
 * with its LIMIT.
 */
#include <ftw.h>
#include <stdlib.h>

#include "log/partitioner.h"
#include "op_test.h"

static char dir[64];
static sl_log *lg;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void setup(void)
{
    op_setup();
    strcpy(dir, "/tmp/sluice-sink-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    lg = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(lg, "%s", err.msg);
}

static void teardown(void)
{
    sl_log_close(lg);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    op_teardown();
}

TestSuite(sink, .init = setup, .fini = teardown);

static void topic(const char *name, int parts)
{
    sl_topic_config c = sl_topic_config_default();
    c.partitions = parts;
    cr_assert_eq(sl_log_create_topic(lg, name, &c, NULL, &err), 0, "%s", err.msg);
}

Test(sink, appends_encoded_records)
{
    topic("out", 4);
    sl_schema s = schema_of("K:STRING:key, A:INT, B:STRING");
    sl_format_opts ko, vo;
    cr_assert_eq(sl_op_format_opts("KAFKA", NULL, -1, true, &ko, &err), 0);
    cr_assert_eq(sl_op_format_opts("JSON", NULL, -1, false, &vo, &err), 0);
    sl_operator *sk = sl_op_sink_log_new("out", s.cols, 1, 3, &ko, &vo, &err);
    cr_assert_not_null(sk, "%s", err.msg);
    sl_value in[] = {sl_null(), sl_null()};
    sl_schema xs = schema_of("X:INT");
    sl_batch b = batch_of(&xs, 2, in, 3);
    b.rows[0].out[0] = sl_string_ref("abc", 3);
    b.rows[0].out[1] = sl_int(5);
    b.rows[0].out[2] = sl_string_ref("x\"y", 3);
    b.rows[1].out[0] = sl_null();
    b.rows[1].out[1] = sl_null();
    b.rows[1].out[2] = sl_null();
    sl_log_txn *t = sl_log_txn_begin(lg);
    sl_op_sink_set_txn(sk, t);
    cr_assert_eq(sl_op_push(sk, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    cr_assert_eq(b.emitted, 2);
    int p = sl_partitioner_for_key("abc", 3, 4);
    sl_record r[4];
    int n = 0;
    cr_assert_eq(sl_log_read(lg, "out", p, 0, 4, BA, r, &n, &err), 0);
    cr_assert_geq(n, 1);
    cr_assert_eq(r[0].key_len, 3);
    cr_assert_eq(memcmp(r[0].key, "abc", 3), 0);
    cr_assert_eq(r[0].timestamp, 1000);
    char *v = sl_arena_strndup(BA, r[0].value, (size_t)r[0].value_len);
    cr_assert_str_eq(v, "{\"A\":5,\"B\":\"x\\\"y\"}");
    /* the all-NULL key row: a null key */
    int found = 0;
    for (int part = 0; part < 4; part++) {
        cr_assert_eq(sl_log_read(lg, "out", part, 0, 4, BA, r, &n, &err), 0);
        for (int i = 0; i < n; i++)
            if (r[i].key_len < 0) {
                found++;
                cr_assert_eq(r[i].timestamp, 1001);
                cr_assert_eq(memcmp(r[i].value, "{\"A\":null,\"B\":null}", r[i].value_len), 0);
            }
    }
    cr_assert_eq(found, 1);
    sl_op_close(sk);
}

Test(sink, kafka_null_value_is_a_tombstone_and_bad_values_fail)
{
    topic("out", 1);
    sl_schema s = schema_of("V:STRING");
    sl_format_opts ko, vo;
    cr_assert_eq(sl_op_format_opts("NONE", NULL, -1, true, &ko, &err), 0);
    cr_assert_eq(sl_op_format_opts("KAFKA", NULL, -1, false, &vo, &err), 0);
    sl_operator *sk = sl_op_sink_log_new("out", s.cols, 0, 1, &ko, &vo, &err);
    cr_assert_not_null(sk, "%s", err.msg);
    sl_value in[] = {sl_null(), sl_null(), sl_null()};
    sl_schema xs = schema_of("X:INT");
    sl_batch b = batch_of(&xs, 3, in, 1);
    b.rows[0].out[0] = sl_string_ref("hi", 2);
    b.rows[1].out[0] = sl_null();
    b.rows[2].out[0] = sl_int(3);   /* not a STRING: cannot be encoded */
    sl_log_txn *t = sl_log_txn_begin(lg);
    sl_op_sink_set_txn(sk, t);
    cr_assert_eq(sl_op_push(sk, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    cr_assert_eq(b.emitted, 2);
    cr_assert_eq(F.n, 1);
    cr_assert_eq(F.kind[0], SL_FAIL_SERIALIZATION);
    sl_record r[4];
    int n = 0;
    cr_assert_eq(sl_log_read(lg, "out", 0, 0, 4, BA, r, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(r[0].value_len, 2);
    cr_assert_eq(r[1].value_len, -1);
    sl_op_close(sk);
}

static int count_rows(void *ud, const sl_schema *schema, const sl_row *row)
{
    (void)schema;
    int *n = ud;
    cr_assert_eq(row->ncols, 1);
    (*n)++;
    return 0;
}

Test(sink, callback_with_limit)
{
    sl_schema s = schema_of("A:INT");
    int got = 0;
    sl_operator *sk = sl_op_sink_cb_new(&s, 3, count_rows, &got);
    sl_value in[] = {sl_int(1), sl_int(2)};
    sl_batch b = batch_of(&s, 2, in, 1);
    cr_assert_eq(sl_op_push(sk, &b, &err), 0);
    cr_assert_eq(got, 2);
    cr_assert_not(b.stop);
    sl_batch b2 = batch_of(&s, 2, in, 1);
    cr_assert_eq(sl_op_push(sk, &b2, &err), 0);
    cr_assert_eq(got, 3);
    cr_assert(b2.stop);
    cr_assert_eq(sl_op_sink_cb_count(sk), 3);
    sl_op_close(sk);
}
