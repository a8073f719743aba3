/*
 * test_source.c: records become rows: key and value bytes decoded with
 * their formats (only the columns read), headers, event time from the
 * record or a TIMESTAMP column, tombstones skipped and counted, and bad
 * bytes reported as DESERIALIZATION failures while the rest go on.
 */
#include "op_test.h"

TestSuite(source, .init = op_setup, .fini = op_teardown);

static sl_record rec(const void *key, int klen, const char *value, int64_t ts, int64_t off)
{
    sl_record r = {0};
    r.key = key;
    r.key_len = key ? klen : -1;
    r.value = value;
    r.value_len = value ? (int32_t)strlen(value) : -1;
    r.timestamp = ts;
    r.offset = off;
    r.partition = 2;
    return r;
}

static sl_batch records_batch(sl_record *recs, int n, int nout)
{
    sl_batch b = {0};
    b.arena = BA;
    b.fail = record_fail;
    b.recs = recs;
    b.nrecs = n;
    b.nout = nout;
    return b;
}

static sl_source_spec spec_of(const sl_schema *s, const char *kf, const char *vf)
{
    sl_source_spec sp = {0};
    sp.schema = s;
    sp.ts_col = -1;
    sp.skip_null_values = true;
    cr_assert_eq(sl_op_format_opts(kf, NULL, -1, true, &sp.key_opts, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_op_format_opts(vf, NULL, -1, false, &sp.value_opts, &err), 0, "%s", err.msg);
    return sp;
}

Test(source, decodes_keys_values_and_pseudocolumns)
{
    sl_schema s = schema_of("ID:INT:key, NAME:STRING, AMOUNT:BIGINT");
    sl_source_spec sp = spec_of(&s, "KAFKA", "JSON");
    sl_operator *src = sl_op_source_new(&sp, &err);
    cr_assert_not_null(src, "%s", err.msg);
    unsigned char k[4] = {0, 0, 1, 2};
    sl_record recs[] = {
        rec(k, 4, "{\"name\":\"ann\",\"amount\":12345678901}", 77, 10),
        rec(NULL, 0, "{\"NAME\":\"bob\"}", 78, 11),
    };
    sl_batch b = records_batch(recs, 2, 1);
    cr_assert_eq(sl_op_push(src, &b, &err), 0);
    cr_assert_eq(b.n, 2);
    const sl_row *r = &b.rows[0].in;
    cr_assert_eq(r->cols[0].u.i32, 258);
    cr_assert_eq(r->cols[1].u.s.len, 3);
    cr_assert_eq(r->cols[2].u.i64, 12345678901LL);
    cr_assert_eq(r->rowtime, 77);
    cr_assert_eq(r->partition, 2);
    cr_assert_eq(r->offset, 10);
    cr_assert_eq(b.rows[0].rec, &recs[0]);
    cr_assert_not_null(b.rows[0].out);
    r = &b.rows[1].in;
    cr_assert_eq(r->cols[0].kind, SL_NULL, "a null key decodes to NULL key columns");
    cr_assert_eq(r->cols[2].kind, SL_NULL);
    sl_op_close(src);
}

Test(source, only_wanted_columns_are_materialized)
{
    sl_schema s = schema_of("ID:INT:key, NAME:STRING, AMOUNT:BIGINT");
    sl_source_spec sp = spec_of(&s, "KAFKA", "JSON");
    bool wanted[] = {false, false, true};
    sp.wanted = wanted;
    sl_operator *src = sl_op_source_new(&sp, &err);
    cr_assert_not_null(src, "%s", err.msg);
    unsigned char bad_key[2] = {1, 2};     /* not an INT, but nobody reads the key */
    sl_record recs[] = {rec(bad_key, 2, "{\"name\":\"ann\",\"amount\":5}", 1, 0)};
    sl_batch b = records_batch(recs, 1, 1);
    cr_assert_eq(sl_op_push(src, &b, &err), 0);
    cr_assert_eq(b.n, 1);
    cr_assert_eq(b.rows[0].in.cols[1].kind, SL_NULL);
    cr_assert_eq(b.rows[0].in.cols[2].u.i64, 5);
    sl_op_close(src);
}

Test(source, bad_bytes_fail_and_tombstones_skip)
{
    sl_schema s = schema_of("ID:INT:key, AMOUNT:INT");
    sl_source_spec sp = spec_of(&s, "KAFKA", "JSON");
    sl_operator *src = sl_op_source_new(&sp, &err);
    unsigned char k[4] = {0, 0, 0, 1}, shortk[3] = {0, 0, 1};
    sl_record recs[] = {
        rec(k, 4, "{\"amount\":1}", 1, 0),
        rec(k, 4, "{\"amount\":", 1, 1),
        rec(k, 4, NULL, 1, 2),
        rec(shortk, 3, "{\"amount\":2}", 1, 3),
        rec(k, 4, "{\"amount\":\"\xff\"}", 1, 4),
        rec(k, 4, "{\"amount\":3}", 1, 5),
    };
    sl_batch b = records_batch(recs, 6, 1);
    cr_assert_eq(sl_op_push(src, &b, &err), 0);
    cr_assert_eq(b.n, 2);
    cr_assert_eq(b.rows[0].in.cols[1].u.i32, 1);
    cr_assert_eq(b.rows[1].in.cols[1].u.i32, 3);
    cr_assert_eq(b.skipped, 1);
    cr_assert_eq(b.failed, 3);
    cr_assert_eq(F.n, 3);
    cr_assert_eq(F.offset[0], 1);
    cr_assert_eq(F.offset[1], 3);
    cr_assert_eq(F.offset[2], 4);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(F.kind[i], SL_FAIL_DESERIALIZATION);
    cr_assert(strstr(F.msg[0], "value"), "%s", F.msg[0]);
    cr_assert(strstr(F.msg[1], "key"), "%s", F.msg[1]);
    sl_op_close(src);
}

Test(source, delimited_values_and_event_time_column)
{
    sl_schema s = schema_of("NAME:STRING, TS:BIGINT, N:INT");
    sl_source_spec sp = spec_of(&s, "NONE", "DELIMITED");
    sp.ts_col = 1;
    sl_operator *src = sl_op_source_new(&sp, &err);
    cr_assert_not_null(src, "%s", err.msg);
    sl_record recs[] = {
        rec(NULL, 0, "\"a,b\",1500,7", 9, 0),
        rec(NULL, 0, "c,,8", 9, 1),          /* NULL event time */
        rec(NULL, 0, "d,-5,9", 9, 2),        /* negative event time */
    };
    sl_batch b = records_batch(recs, 3, 1);
    cr_assert_eq(sl_op_push(src, &b, &err), 0);
    cr_assert_eq(b.n, 1);
    cr_assert_eq(b.rows[0].in.rowtime, 1500);
    cr_assert_eq(b.rows[0].in.cols[0].u.s.len, 3);
    cr_assert_eq(F.n, 2);
    cr_assert(strstr(F.msg[0], "TS"), "%s", F.msg[0]);
    sl_op_close(src);
}

Test(source, headers)
{
    sl_schema s = schema_of("V:INT");
    s.cols[1].name = "ALL";
    s.cols[1].kind = SL_COLK_HEADERS;
    sl_field f[2] = {{"KEY", &SL_TYPE_STRING}, {"VALUE", &SL_TYPE_BYTES}};
    s.cols[1].type = sl_type_array(A, sl_type_struct(A, f, 2));
    s.cols[2].name = "T";
    s.cols[2].kind = SL_COLK_HEADER;
    s.cols[2].header_key = "t";
    s.cols[2].type = &SL_TYPE_BYTES;
    s.ncols = 3;
    sl_source_spec sp = spec_of(&s, "NONE", "JSON");
    sl_operator *src = sl_op_source_new(&sp, &err);
    cr_assert_not_null(src, "%s", err.msg);
    sl_log_header hs[] = {{"t", 1, "one", 3}, {"u", 1, NULL, -1}, {"t", 1, "two", 3}};
    sl_record recs[] = {rec(NULL, 0, "{\"v\":1}", 1, 0)};
    recs[0].headers = hs;
    recs[0].n_headers = 3;
    sl_batch b = records_batch(recs, 1, 1);
    cr_assert_eq(sl_op_push(src, &b, &err), 0);
    cr_assert_eq(b.n, 1);
    const sl_value *all = &b.rows[0].in.cols[1];
    cr_assert_eq(all->kind, SL_ARRAY);
    cr_assert_eq(all->u.arr.n, 3);
    cr_assert_eq(all->u.arr.items[1].u.st.fields[1].kind, SL_NULL);
    const sl_value *t = &b.rows[0].in.cols[2];
    cr_assert_eq(t->kind, SL_BYTES);
    cr_assert_eq(memcmp(t->u.s.ptr, "two", 3), 0, "the last header with the key wins");
    sl_op_close(src);
}
