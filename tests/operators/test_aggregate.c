/*
 * test_aggregate.c: what the aggregate operator reports besides its rows:
 * a record whose hopping windows are partly closed (counted per skipped
 * window, logged once, not dropped), values an aggregate leaves out past
 * its bound (counted and logged with the record), and both counts taken
 * back when the batch's transaction aborts.
 */
#include <ftw.h>
#include <stdlib.h>

#include "op_test.h"
#include "engine/func.h"

static sl_registry *reg;
static sl_log *lg;
static char dir[64];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static void setup(void)
{
    op_setup();
    reg = sl_registry_new();
    sl_fn_register_aggregate(reg);
    strcpy(dir, "/tmp/sl_aggop_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    lg = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(lg, "%s", err.msg);
}

static void teardown(void)
{
    sl_log_close(lg);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    sl_registry_free(reg);
    op_teardown();
}

TestSuite(aggregate, .init = setup, .fini = teardown);

/* An aggregate fn(arg) (or fn() when argtype is NULL) grouped by a STRING
 * key; its output rows are (K, the aggregate). */
typedef struct harness {
    sl_aggregate_spec sp;
    sl_window_spec win;
    sl_agg *aggs[1];
    int arg0[1], nargs[1];
    const sl_type *argtypes[1];
    const sl_type *const *argtype_p[1];
    bool cast[1];
    const bool *cast_p[1];
    const sl_type *pre_types[2];
    sl_cexpr *out[2];
    sl_column group[1];
} harness;

static sl_operator *make(harness *h, const char *fn, const sl_type *argtype,
                         const sl_window_spec *win, const char *outtype)
{
    memset(h, 0, sizeof *h);
    int n = argtype ? 1 : 0;
    h->argtypes[0] = argtype;
    sl_resolved res;
    cr_assert_eq(sl_registry_resolve(reg, A, fn, h->argtypes, NULL, n, &res, SL_NOSPAN, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(sl_registry_finish(&res, A, h->argtypes, n, SL_NOSPAN, &err), 0, "%s", err.msg);
    h->aggs[0] = sl_agg_new(res.fn, res.ovindex, (const sl_type *const *)res.params, n, NULL, A,
                            &err);
    cr_assert_not_null(h->aggs[0], "%s", err.msg);
    h->group[0] = (sl_column){.name = "K", .type = &SL_TYPE_STRING, .kind = SL_COLK_KEY};
    h->pre_types[0] = &SL_TYPE_STRING;
    h->pre_types[1] = argtype;
    h->arg0[0] = 1;
    h->nargs[0] = n;
    h->argtype_p[0] = h->argtypes;
    h->cast_p[0] = h->cast;
    char spec[64];
    snprintf(spec, sizeof spec, "K:STRING:key, R:%s", outtype);
    sl_schema s = schema_of(spec);
    h->out[0] = compile("K", &s);
    h->out[1] = compile("R", &s);
    sl_aggregate_spec *sp = &h->sp;
    sp->ngroup = 1;
    sp->group_cols = h->group;
    cr_assert_eq(sl_op_format_opts("KAFKA", NULL, -1, true, &sp->key_opts, &err), 0, "%s",
                 err.msg);
    sp->nagg = 1;
    sp->aggs = h->aggs;
    sp->agg_arg0 = h->arg0;
    sp->agg_nargs = h->nargs;
    sp->agg_argtype = (const sl_type *const *const *)h->argtype_p;
    sp->agg_cast = h->cast_p;
    if (win) {
        h->win = *win;
        sp->win = &h->win;
    }
    sp->npre = 1 + n;
    sp->pre_types = h->pre_types;
    sp->out_expr = h->out;
    sp->nout = 2;
    sp->nkey = 1;
    sp->log = lg;
    sp->store_name = "Q";
    sp->cache_off = true;
    sl_operator *op = sl_op_aggregate_new(sp, &err);
    cr_assert_not_null(op, "%s", err.msg);
    return op;
}

/* A batch of n records of key k: arguments args[i] (NULL: none), times ts[i]. */
static sl_batch rows_of(const char *k, int n, const sl_value *args, const int64_t *ts)
{
    sl_schema s = schema_of("V:INT");
    sl_value *in = sl_arena_zalloc(BA, (size_t)n * sizeof *in);
    sl_batch b = batch_of(&s, n, in, 2);
    for (int i = 0; i < n; i++) {
        b.rows[i].out[0] = sl_string_ref(k, (uint32_t)strlen(k));
        if (args)
            b.rows[i].out[1] = args[i];
        b.rows[i].in.rowtime = ts[i];
    }
    return b;
}

Test(aggregate, partly_closed_hopping_windows_are_counted_and_logged)
{
    sl_window_spec w;
    cr_assert_eq(sl_window_spec_init(&w, SL_WIN_HOPPING, 10000, 5000, 0, -1, &err), 0);
    harness h;
    sl_operator *op = make(&h, "COUNT", NULL, &w, "BIGINT");
    /* 12000 closes [0, 10000); 9000 is also in [5000, 15000); 2000 only in [0, 10000) */
    int64_t ts[] = {6000, 12000, 9000, 2000};
    sl_batch b = rows_of("a", 4, NULL, ts);
    cr_assert_eq(sl_op_push(op, &b, &err), 0, "%s", err.msg);
    cr_expect_eq(b.n, 5, "2 + 2 + 1 window updates");
    cr_expect_eq(b.late, 1, "only the record with no open window is dropped");
    cr_expect_eq(b.failed, 0);
    cr_assert_eq(F.n, 2);
    cr_expect_eq(F.kind[0], SL_FAIL_LATE);
    cr_expect_eq(F.offset[0], 2);
    cr_expect(strstr(F.msg[0], "1 of the record's 2 windows had closed"), "%s", F.msg[0]);
    cr_expect(strstr(F.msg[0], "earliest starting at 5000"), "%s", F.msg[0]);
    cr_expect_eq(F.offset[1], 3);
    cr_assert_eq(sl_op_flush(op, &b, &err), 0, "%s", err.msg);
    sl_aggregate_stats st;
    sl_op_aggregate_stats(op, &st);
    cr_expect_eq(st.late_window_updates, 1);
    cr_expect_eq(st.values_dropped, 0);

    /* with a shorter hop a record may miss several windows: each counts */
    cr_assert_eq(sl_window_spec_init(&w, SL_WIN_HOPPING, 10000, 2000, 0, -1, &err), 0);
    harness h2;
    sl_operator *op2 = make(&h2, "COUNT", NULL, &w, "BIGINT");
    memset(&F, 0, sizeof F);
    int64_t ts2[] = {20000, 17000};
    sl_batch b2 = rows_of("a", 2, NULL, ts2);
    cr_assert_eq(sl_op_push(op2, &b2, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_op_flush(op2, &b2, &err), 0, "%s", err.msg);
    sl_op_aggregate_stats(op2, &st);
    /* 17000 is in the windows starting 8000, 10000, 12000, 14000, 16000;
     * those ending by 20000 (8000, 10000) are closed */
    cr_expect_eq(st.late_window_updates, 2);
    cr_assert_eq(F.n, 1);
    cr_expect(strstr(F.msg[0], "2 of the record's 5 windows"), "%s", F.msg[0]);
    cr_expect(strstr(F.msg[0], "earliest starting at 12000"), "%s", F.msg[0]);
    sl_op_close(op2);
    sl_op_close(op);
}

Test(aggregate, values_past_a_bound_are_counted_and_logged)
{
    harness h;
    sl_operator *op = make(&h, "COLLECT_LIST", &SL_TYPE_INT, NULL, "ARRAY<INT>");
    sl_agg_set_collect_limit(h.aggs[0], 2);
    sl_value v[] = {sl_int(1), sl_int(2), sl_int(3), sl_int(4)};
    int64_t ts[] = {1, 2, 3, 4};
    sl_batch b = rows_of("a", 4, v, ts);
    cr_assert_eq(sl_op_push(op, &b, &err), 0, "%s", err.msg);
    cr_expect_eq(b.n, 4, "every record still updates its group");
    cr_expect_eq(b.failed, 0);
    cr_assert_eq(F.n, 2);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(F.kind[i], SL_FAIL_BOUND);
        cr_expect_eq(F.offset[i], 2 + i);
        cr_expect(strstr(F.msg[i], "COLLECT_LIST dropped 1 value"), "%s", F.msg[i]);
        cr_expect(strstr(F.msg[i], "at most 2 elements"), "%s", F.msg[i]);
    }
    cr_expect_str_eq(sl_fail_kind_name(SL_FAIL_BOUND), "AGGREGATE_BOUND");
    cr_assert_eq(sl_op_flush(op, &b, &err), 0, "%s", err.msg);
    sl_aggregate_stats st;
    sl_op_aggregate_stats(op, &st);
    cr_expect_eq(st.values_dropped, 2);

    /* an aborted batch takes its counts back */
    sl_value v2[] = {sl_int(5)};
    int64_t ts2[] = {5};
    sl_batch b2 = rows_of("a", 1, v2, ts2);
    cr_assert_eq(sl_op_push(op, &b2, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_op_flush(op, &b2, &err), 0, "%s", err.msg);
    sl_op_aggregate_stats(op, &st);
    cr_expect_eq(st.values_dropped, 3);
    cr_assert_eq(sl_op_aggregate_discard(op, &err), 0, "%s", err.msg);
    sl_op_aggregate_stats(op, &st);
    cr_expect_eq(st.values_dropped, 2);
    sl_op_close(op);
}
