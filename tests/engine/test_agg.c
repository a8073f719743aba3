/*
 * test_agg.c: the aggregate accumulators of engine/agg.c as the aggregate
 * operator will use them: each aggregate compiled from the registry's
 * resolution (its result type must be the registry's), fed rows with NULLs
 * or no rows, and checked for the SQL result; then, for the same rows:
 * merge at every split point equals adding everything, retracting a row
 * equals never adding it, encode / decode round trips, and every truncation
 * of the bytes is refused. Specific tests cover overflow, exact decimals,
 * the size bounds, the COUNT_DISTINCT sketch and corrupt bytes.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/agg.h"
#include "engine/func.h"

static sl_registry *reg;
static sl_arena *arena;

static void setup(void)
{
    reg = sl_registry_new();
    sl_fn_register_aggregate(reg);
    arena = sl_arena_new(0);
}

static void teardown(void)
{
    sl_registry_free(reg);
    sl_arena_free(arena);
}

TestSuite(agg, .init = setup, .fini = teardown);

/* ---- values and types in a compact notation ---- */

#define N_ {.kind = SL_NULL}
#define I(x) {.kind = SL_INT, .u.i32 = (x)}
#define L(x) {.kind = SL_BIGINT, .u.i64 = (x)}
#define F(x) {.kind = SL_DOUBLE, .u.d = (x)}
#define S(x) {.kind = SL_STRING, .u.s = {(x), sizeof(x) - 1}}
#define B(x) {.kind = SL_BOOLEAN, .u.b = (x)}
#define D(un, pr, sc) {.kind = SL_DECIMAL, .precision = (pr), .scale = (sc), .u.dec = (un)}
#define T(x) {.kind = SL_TIMESTAMP, .u.i64 = (x)}

static const sl_type *ty(const char *s)
{
    if (!strcmp(s, "INT")) return &SL_TYPE_INT;
    if (!strcmp(s, "BIGINT")) return &SL_TYPE_BIGINT;
    if (!strcmp(s, "DOUBLE")) return &SL_TYPE_DOUBLE;
    if (!strcmp(s, "STRING")) return &SL_TYPE_STRING;
    if (!strcmp(s, "BOOLEAN")) return &SL_TYPE_BOOLEAN;
    if (!strcmp(s, "TIMESTAMP")) return &SL_TYPE_TIMESTAMP;
    if (!strcmp(s, "BYTES")) return &SL_TYPE_BYTES;
    if (!strcmp(s, "DEC(10,2)")) return sl_type_decimal(arena, 10, 2);
    if (!strcmp(s, "DEC(4,1)")) return sl_type_decimal(arena, 4, 1);
    if (!strcmp(s, "ARRAY<INT>")) return sl_type_array(arena, &SL_TYPE_INT);
    cr_assert_fail("unknown test type %s", s);
    return NULL;
}

/* Compiles fn(types...) as the analyzer would: resolve, then sl_agg_new
 * with the resolved overload and parameter types. consts[i] for constants. */
static sl_agg *compile(const char *fn, const char *const *types, int n,
                       const sl_value *const *consts, const sl_type **regret, sl_error *err)
{
    const sl_type *argt[3] = {0};
    for (int i = 0; i < n; i++)
        argt[i] = ty(types[i]);
    sl_resolved res;
    sl_error_clear(err);
    if (sl_registry_resolve(reg, arena, fn, argt, NULL, n, &res, SL_NOSPAN, err) < 0 ||
        sl_registry_finish(&res, arena, argt, n, SL_NOSPAN, err) < 0)
        return NULL;
    if (regret)
        *regret = res.ret;
    return sl_agg_new(res.fn, res.ovindex, (const sl_type *const *)res.params, n, consts, arena,
                      err);
}

static const char *render(const sl_agg *g, const sl_value *v)
{
    sl_buf b = SL_BUF_INIT;
    sl_value_render(&b, v, sl_agg_result_type(g), SL_RENDER_JSON);
    char *s = sl_arena_strdup(arena, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return s;
}

static const char *result_of(const sl_agg *g, const sl_agg_state *s)
{
    sl_value v;
    sl_error err;
    cr_assert_eq(sl_agg_result(g, s, arena, &v, &err), 0, "%s", err.msg);
    return render(g, &v);
}

/* ---- the table ---- */

#define MAXROWS 8

typedef struct acase {
    const char *fn;
    const char *types[3];       /* NULL-terminated */
    sl_value c[3];              /* constant arguments (kind != NULL), by position */
    int nrows;
    sl_value rows[MAXROWS][2];  /* the non-constant arguments of each row */
    const char *expect;         /* JSON rendering of the result */
    const char *rettype;        /* the result type as ksqlDB prints it */
    bool ordered;               /* the result depends on which equal row is retracted */
} acase;

static const acase cases[] = {
    /* COUNT */
    {"COUNT", {NULL}, {N_}, 3, {{N_}, {N_}, {N_}}, "3", "BIGINT", false},
    {"COUNT", {NULL}, {N_}, 0, {{N_}}, "0", "BIGINT", false},
    {"COUNT", {"STRING"}, {N_}, 4, {{S("a")}, {N_}, {S("b")}, {N_}}, "2", "BIGINT", false},
    {"COUNT", {"STRING"}, {N_}, 2, {{N_}, {N_}}, "0", "BIGINT", false},
    /* SUM: starts at 0, skips NULLs, keeps the column's type */
    {"SUM", {"INT"}, {N_}, 4, {{I(1)}, {N_}, {I(2)}, {I(-7)}}, "-4", "INTEGER", false},
    {"SUM", {"INT"}, {N_}, 2, {{N_}, {N_}}, "0", "INTEGER", false},
    {"SUM", {"BIGINT"}, {N_}, 3, {{L(5000000000)}, {L(1)}, {N_}}, "5000000001", "BIGINT", false},
    {"SUM", {"DOUBLE"}, {N_}, 3, {{F(0.5)}, {F(0.25)}, {N_}}, "0.75", "DOUBLE", false},
    {"SUM", {"DEC(10,2)"}, {N_}, 4, {{D(10, 10, 2)}, {D(20, 10, 2)}, {N_}, {D(-5, 10, 2)}},
     "0.25", "DECIMAL(10, 2)", false},
    {"SUM", {"DEC(10,2)"}, {N_}, 0, {{N_}}, "0.00", "DECIMAL(10, 2)", false},
    /* AVG: 0.0 on no values */
    {"AVG", {"INT"}, {N_}, 4, {{I(1)}, {I(2)}, {N_}, {I(6)}}, "3.0", "DOUBLE", false},
    {"AVG", {"BIGINT"}, {N_}, 1, {{N_}}, "0.0", "DOUBLE", false},
    {"AVG", {"DOUBLE"}, {N_}, 2, {{F(1.5)}, {F(2.5)}}, "2.0", "DOUBLE", false},
    /* MIN / MAX: NULL on no values */
    {"MIN", {"INT"}, {N_}, 5, {{I(3)}, {N_}, {I(-2)}, {I(7)}, {I(-2)}}, "-2", "INTEGER", false},
    {"MAX", {"INT"}, {N_}, 5, {{I(3)}, {N_}, {I(-2)}, {I(7)}, {I(7)}}, "7", "INTEGER", false},
    {"MAX", {"INT"}, {N_}, 2, {{N_}, {N_}}, "null", "INTEGER", false},
    {"MIN", {"STRING"}, {N_}, 3, {{S("pear")}, {S("apple")}, {S("fig")}}, "\"apple\"", "VARCHAR", false},
    {"MAX", {"DEC(4,1)"}, {N_}, 3, {{D(15, 4, 1)}, {D(-99, 4, 1)}, {D(150, 4, 1)}}, "15.0",
     "DECIMAL(4, 1)", false},
    {"MIN", {"TIMESTAMP"}, {N_}, 2, {{T(2000)}, {T(1000)}}, "\"1970-01-01T00:00:01.000\"",
     "TIMESTAMP", false},
    /* TOPK keeps duplicates, TOPKDISTINCT does not; both skip NULLs, [] on none */
    {"TOPK", {"INT", "INT"}, {N_, I(3)}, 6, {{I(5)}, {I(1)}, {N_}, {I(9)}, {I(5)}, {I(2)}},
     "[9,5,5]", "ARRAY<INTEGER>", false},
    {"TOPK", {"INT", "INT"}, {N_, I(3)}, 1, {{I(4)}}, "[4]", "ARRAY<INTEGER>", false},
    {"TOPK", {"STRING", "INT"}, {N_, I(2)}, 0, {{N_}}, "[]", "ARRAY<VARCHAR>", false},
    {"TOPKDISTINCT", {"INT", "INT"}, {N_, I(3)}, 6,
     {{I(5)}, {I(1)}, {N_}, {I(9)}, {I(5)}, {I(2)}}, "[9,5,2]", "ARRAY<INTEGER>", false},
    {"TOPKDISTINCT", {"DOUBLE", "INT"}, {N_, I(2)}, 3, {{F(1.5)}, {F(1.5)}, {F(0.5)}},
     "[1.5,0.5]", "ARRAY<DOUBLE>", false},
    /* COUNT_DISTINCT: NULLs skipped */
    {"COUNT_DISTINCT", {"STRING"}, {N_}, 5, {{S("a")}, {S("b")}, {N_}, {S("a")}, {S("c")}}, "3",
     "BIGINT", false},
    {"COUNT_DISTINCT", {"INT"}, {N_}, 0, {{N_}}, "0", "BIGINT", false},
    /* *_BY_OFFSET, all four forms */
    {"LATEST_BY_OFFSET", {"INT"}, {N_}, 4, {{I(1)}, {I(2)}, {N_}, {I(3)}}, "3", "INTEGER", true},
    {"LATEST_BY_OFFSET", {"INT"}, {N_}, 3, {{I(1)}, {I(2)}, {N_}}, "2", "INTEGER", true},
    {"LATEST_BY_OFFSET", {"INT", "BOOLEAN"}, {N_, B(false)}, 3, {{I(1)}, {I(2)}, {N_}}, "null",
     "INTEGER", true},
    {"LATEST_BY_OFFSET", {"INT"}, {N_}, 0, {{N_}}, "null", "INTEGER", true},
    {"EARLIEST_BY_OFFSET", {"STRING"}, {N_}, 3, {{N_}, {S("x")}, {S("y")}}, "\"x\"", "VARCHAR",
     true},
    {"EARLIEST_BY_OFFSET", {"STRING", "BOOLEAN"}, {N_, B(false)}, 3, {{N_}, {S("x")}, {S("y")}},
     "null", "VARCHAR", true},
    {"LATEST_BY_OFFSET", {"INT", "INT"}, {N_, I(2)}, 5, {{I(1)}, {I(2)}, {I(3)}, {N_}, {I(4)}},
     "[3,4]", "ARRAY<INTEGER>", true},
    {"EARLIEST_BY_OFFSET", {"INT", "INT"}, {N_, I(3)}, 5, {{N_}, {I(1)}, {I(2)}, {I(3)}, {I(4)}},
     "[1,2,3]", "ARRAY<INTEGER>", true},
    {"LATEST_BY_OFFSET", {"INT", "INT", "BOOLEAN"}, {N_, I(2), B(false)}, 4,
     {{I(1)}, {I(2)}, {I(3)}, {N_}}, "[3,null]", "ARRAY<INTEGER>", true},
    {"EARLIEST_BY_OFFSET", {"INT", "INT", "BOOLEAN"}, {N_, I(2), B(false)}, 3,
     {{N_}, {I(1)}, {I(2)}}, "[null,1]", "ARRAY<INTEGER>", true},
    {"EARLIEST_BY_OFFSET", {"INT", "INT"}, {N_, I(2)}, 0, {{N_}}, "[]", "ARRAY<INTEGER>", true},
    /* COLLECT_LIST keeps NULLs and order; COLLECT_SET distinct, first-seen order */
    {"COLLECT_LIST", {"INT"}, {N_}, 4, {{I(3)}, {N_}, {I(1)}, {I(3)}}, "[3,null,1,3]",
     "ARRAY<INTEGER>", true},
    {"COLLECT_LIST", {"STRING"}, {N_}, 0, {{N_}}, "[]", "ARRAY<VARCHAR>", true},
    {"COLLECT_LIST", {"ARRAY<INT>"}, {N_}, 1, {{N_}}, "[null]", "ARRAY<ARRAY<INTEGER>>", true},
    {"COLLECT_SET", {"STRING"}, {N_}, 5, {{S("b")}, {S("a")}, {S("b")}, {N_}, {S("a")}},
     "[\"b\",\"a\",null]", "ARRAY<VARCHAR>", true},
    /* HISTOGRAM skips NULLs */
    {"HISTOGRAM", {"STRING"}, {N_}, 5, {{S("b")}, {S("a")}, {S("b")}, {N_}, {S("b")}},
     "{\"b\":3,\"a\":1}", "MAP<VARCHAR, BIGINT>", true},
    {"HISTOGRAM", {"STRING"}, {N_}, 0, {{N_}}, "{}", "MAP<VARCHAR, BIGINT>", false},
    /* STDDEV_SAMP: 0.0 below two values */
    {"STDDEV_SAMP", {"INT"}, {N_}, 5, {{I(2)}, {I(4)}, {N_}, {I(4)}, {I(6)}},
     "1.632993161855452", "DOUBLE", false},
    {"STDDEV_SAMPLE", {"DOUBLE"}, {N_}, 2, {{F(1.0)}, {F(3.0)}}, "1.4142135623730951", "DOUBLE", false},
    {"STDDEV_SAMP", {"BIGINT"}, {N_}, 2, {{L(5)}, {N_}}, "0.0", "DOUBLE", false},
    /* CORRELATION skips pairs with a NULL */
    {"CORRELATION", {"DOUBLE", "DOUBLE"}, {N_, N_}, 5,
     {{F(1), F(2)}, {F(2), F(4)}, {F(3), N_}, {N_, F(1)}, {F(3), F(6)}}, "1.0", "DOUBLE", false},
    {"CORRELATION", {"DOUBLE", "DOUBLE"}, {N_, N_}, 3, {{F(1), F(3)}, {F(2), F(2)}, {F(3), F(1)}},
     "-1.0", "DOUBLE", false},
};

#define NCASES (sizeof cases / sizeof cases[0])

static int nargs_of(const acase *c)
{
    int n = 0;
    while (n < 3 && c->types[n])
        n++;
    return n;
}

/* The full argument vector of row r (constants filled in). */
static void row_args(const acase *c, int r, sl_value *args)
{
    int n = nargs_of(c), col = 0;
    for (int i = 0; i < n; i++)
        args[i] = c->c[i].kind != SL_NULL ? c->c[i] : c->rows[r][col++];
}

static sl_agg *case_agg(const acase *c)
{
    int n = nargs_of(c);
    const sl_value *consts[3] = {0};
    for (int i = 0; i < n; i++)
        consts[i] = c->c[i].kind != SL_NULL ? &c->c[i] : NULL;
    sl_error err;
    const sl_type *regret = NULL;
    sl_agg *g = compile(c->fn, c->types, n, consts, &regret, &err);
    cr_assert(g, "%s: %s", c->fn, err.msg);
    cr_assert(sl_type_equal(sl_agg_result_type(g), regret), "%s: result type %s, registry %s",
              c->fn, sl_type_str(arena, sl_agg_result_type(g)), sl_type_str(arena, regret));
    cr_assert_str_eq(sl_type_str(arena, sl_agg_result_type(g)), c->rettype, "%s", c->fn);
    return g;
}

/* Adds rows [from, to) except `skip` (-1: none), row index as the offset. */
static void add_rows(const sl_agg *g, const acase *c, sl_agg_state *s, int from, int to, int skip)
{
    sl_value args[3];
    sl_error err;
    for (int r = from; r < to; r++) {
        if (r == skip)
            continue;
        row_args(c, r, args);
        cr_assert_eq(sl_agg_add(g, s, args, nargs_of(c), r, &err), 0, "%s: %s", c->fn, err.msg);
    }
}

Test(agg, results_by_table)
{
    for (size_t i = 0; i < NCASES; i++) {
        const acase *c = &cases[i];
        sl_agg *g = case_agg(c);
        sl_agg_state *s = sl_agg_state_new(g);
        add_rows(g, c, s, 0, c->nrows, -1);
        cr_expect_str_eq(result_of(g, s), c->expect, "case %zu %s", i, c->fn);
        sl_value v;
        sl_error err;
        cr_assert_eq(sl_agg_result(g, s, arena, &v, &err), 0);
        cr_expect(v.kind == SL_NULL || v.kind == sl_agg_result_type(g)->kind,
                  "case %zu %s: result kind %d", i, c->fn, v.kind);
        sl_agg_state_free(s);
    }
}

Test(agg, table_mode_gives_the_same_results)
{
    for (size_t i = 0; i < NCASES; i++) {
        const acase *c = &cases[i];
        sl_agg *g = case_agg(c);
        sl_agg_set_retract(g, true, 0);
        sl_agg_state *s = sl_agg_state_new(g);
        add_rows(g, c, s, 0, c->nrows, -1);
        cr_expect_str_eq(result_of(g, s), c->expect, "case %zu %s", i, c->fn);
        sl_agg_state_free(s);
    }
}

Test(agg, merge_at_every_split_equals_adding_all)
{
    for (size_t i = 0; i < NCASES; i++) {
        const acase *c = &cases[i];
        sl_agg *g = case_agg(c);
        for (int cut = 0; cut <= c->nrows; cut++) {
            sl_agg_state *a = sl_agg_state_new(g), *b = sl_agg_state_new(g);
            add_rows(g, c, a, 0, cut, -1);
            add_rows(g, c, b, cut, c->nrows, -1);
            sl_error err;
            cr_assert_eq(sl_agg_merge(g, a, b, &err), 0, "%s", err.msg);
            cr_expect_str_eq(result_of(g, a), c->expect, "case %zu %s, split at %d", i, c->fn,
                             cut);
            sl_agg_state_free(a);
            sl_agg_state_free(b);
        }
    }
}

static bool same_value_elsewhere(const acase *c, int r)
{
    for (int o = 0; o < c->nrows; o++) {
        if (o == r)
            continue;
        bool eq = true;
        for (int k = 0; k < 2; k++)
            eq = eq && sl_value_equal(&c->rows[o][k], &c->rows[r][k]);
        if (eq)
            return true;
    }
    return false;
}

Test(agg, retracting_a_row_equals_never_adding_it)
{
    for (size_t i = 0; i < NCASES; i++) {
        const acase *c = &cases[i];
        sl_agg *g = case_agg(c);
        sl_agg_set_retract(g, true, 0);
        for (int r = 0; r < c->nrows; r++) {
            if (c->ordered && same_value_elsewhere(c, r))
                continue;   /* which equal row leaves is unspecified (as in ksqlDB) */
            sl_agg_state *x = sl_agg_state_new(g), *y = sl_agg_state_new(g);
            add_rows(g, c, x, 0, c->nrows, -1);
            sl_value args[3];
            sl_error err;
            row_args(c, r, args);
            cr_assert_eq(sl_agg_retract(g, x, args, nargs_of(c), &err), 0, "%s", err.msg);
            add_rows(g, c, y, 0, c->nrows, r);
            const char *rx = result_of(g, x), *ry = result_of(g, y);
            if (sl_agg_result_type(g)->kind == SL_DOUBLE) {
                double dx = strtod(rx, NULL), dy = strtod(ry, NULL);
                cr_expect(fabs(dx - dy) <= 1e-9 * (1 + fabs(dy)) || (isnan(dx) && isnan(dy)),
                          "case %zu %s retract row %d: %s vs %s", i, c->fn, r, rx, ry);
            } else {
                cr_expect_str_eq(rx, ry, "case %zu %s retract row %d", i, c->fn, r);
            }
            sl_agg_state_free(x);
            sl_agg_state_free(y);
        }
    }
}

Test(agg, encode_decode_round_trip_and_truncation)
{
    for (size_t i = 0; i < NCASES; i++) {
        const acase *c = &cases[i];
        sl_agg *g = case_agg(c);
        sl_agg_state *s = sl_agg_state_new(g);
        add_rows(g, c, s, 0, c->nrows, -1);
        sl_buf b = SL_BUF_INIT, b2 = SL_BUF_INIT;
        sl_agg_encode(g, s, &b);
        sl_agg_state *d = NULL;
        sl_error err;
        cr_assert_eq(sl_agg_decode(g, b.data, b.len, &d, &err), 0, "case %zu %s: %s", i, c->fn,
                     err.msg);
        cr_expect_str_eq(result_of(g, d), c->expect, "case %zu %s after decode", i, c->fn);
        sl_agg_encode(g, d, &b2);
        cr_expect(b2.len == b.len && memcmp(b.data, b2.data, b.len) == 0,
                  "case %zu %s: re-encoding differs", i, c->fn);
        /* the decoded state keeps working */
        add_rows(g, c, d, 0, c->nrows, -1);
        add_rows(g, c, s, 0, c->nrows, -1);
        cr_expect_str_eq(result_of(g, d), result_of(g, s), "case %zu %s: adds after decode", i,
                         c->fn);
        for (size_t len = 0; len < b.len; len++) {
            sl_agg_state *t = (sl_agg_state *)1;
            cr_expect_eq(sl_agg_decode(g, b.data, len, &t, &err), -1,
                         "case %zu %s: truncated at %zu of %zu accepted", i, c->fn, len, b.len);
            cr_expect_null(t);
            cr_expect_eq(err.code, SL_ERR_IO);
        }
        /* one more byte is refused too */
        sl_buf_putc(&b, 0);
        sl_agg_state *t = NULL;
        cr_expect_eq(sl_agg_decode(g, b.data, b.len, &t, &err), -1, "case %zu %s: trailing byte",
                     i, c->fn);
        sl_agg_state_free(t);
        sl_agg_state_free(d);
        sl_agg_state_free(s);
        sl_buf_fini(&b);
        sl_buf_fini(&b2);
    }
}

/* Every byte changed to several values: decoding either refuses or gives a
 * state that still computes a result of the right type (under ASan this is
 * where a missing bounds check would show). */
Test(agg, corrupt_bytes_never_crash)
{
    static const uint8_t subst[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x0b, 0x0e};
    int refused = 0;
    for (size_t i = 0; i < NCASES; i++) {
        const acase *c = &cases[i];
        sl_agg *g = case_agg(c);
        sl_agg_state *s = sl_agg_state_new(g);
        add_rows(g, c, s, 0, c->nrows, -1);
        sl_buf b = SL_BUF_INIT;
        sl_agg_encode(g, s, &b);
        for (size_t pos = 0; pos < b.len; pos++) {
            for (size_t k = 0; k < sizeof subst; k++) {
                char old = b.data[pos];
                if ((uint8_t)old == subst[k])
                    continue;
                b.data[pos] = (char)subst[k];
                sl_agg_state *d = NULL;
                sl_error err;
                if (sl_agg_decode(g, b.data, b.len, &d, &err) == 0) {
                    sl_value v;
                    cr_assert_eq(sl_agg_result(g, d, arena, &v, &err), 0);
                    sl_value args[3];
                    row_args(c, 0, args);
                    if (c->nrows > 0)
                        (void)sl_agg_add(g, d, args, nargs_of(c), 99, &err);
                    sl_agg_state_free(d);
                } else {
                    refused++;
                    cr_expect_null(d);
                }
                b.data[pos] = old;
            }
        }
        sl_buf_fini(&b);
        sl_agg_state_free(s);
    }
    cr_expect_gt(refused, 0);
}

static sl_agg *agg1(const char *fn, const char *type)
{
    const char *types[1] = {type};
    sl_error err;
    sl_agg *g = compile(fn, types, 1, NULL, NULL, &err);
    cr_assert(g, "%s(%s): %s", fn, type, err.msg);
    return g;
}

static sl_agg *agg_k(const char *fn, const char *type, int k)
{
    const char *types[2] = {type, "INT"};
    sl_value kv = sl_int(k);
    const sl_value *consts[2] = {NULL, &kv};
    sl_error err;
    sl_agg *g = compile(fn, types, 2, consts, NULL, &err);
    cr_assert(g, "%s: %s", fn, err.msg);
    return g;
}

static void add1(const sl_agg *g, sl_agg_state *s, sl_value v, int64_t off)
{
    sl_error err;
    cr_assert_eq(sl_agg_add(g, s, &v, 1, off, &err), 0, "%s", err.msg);
}

static void addk(const sl_agg *g, sl_agg_state *s, sl_value v, int k)
{
    sl_value args[2] = {v, sl_int(k)};
    sl_error err;
    cr_assert_eq(sl_agg_add(g, s, args, 2, 0, &err), 0, "%s", err.msg);
}

static void retractk(const sl_agg *g, sl_agg_state *s, sl_value v, int k)
{
    sl_value args[2] = {v, sl_int(k)};
    sl_error err;
    cr_assert_eq(sl_agg_retract(g, s, args, 2, &err), 0, "%s", err.msg);
}

Test(agg, sum_overflow_is_a_row_error_and_keeps_the_state)
{
    struct { const char *type; sl_value first, next; const char *kept; } t[] = {
        {"INT", sl_int(INT32_MAX), sl_int(1), "2147483647"},
        {"INT", sl_int(INT32_MIN), sl_int(-1), "-2147483648"},
        {"BIGINT", sl_bigint(INT64_MAX), sl_bigint(1), "9223372036854775807"},
        {"DEC(4,1)", sl_decimal(9999, 4, 1), sl_decimal(1, 4, 1), "999.9"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        sl_agg *g = agg1("SUM", t[i].type);
        sl_agg_state *s = sl_agg_state_new(g);
        add1(g, s, t[i].first, 0);
        sl_error err;
        sl_error_clear(&err);
        cr_expect_eq(sl_agg_add(g, s, &t[i].next, 1, 1, &err), -1, "%s", t[i].type);
        cr_expect_eq(err.code, SL_ERR_EVAL);
        cr_expect(strstr(err.msg, "overflow") != NULL, "%s", err.msg);
        cr_expect_str_eq(result_of(g, s), t[i].kept, "%s", t[i].type);
        /* merging two full states overflows the same way */
        sl_agg_state *o = sl_agg_state_new(g);
        add1(g, o, t[i].first, 0);
        cr_expect_eq(sl_agg_merge(g, s, o, &err), -1);
        cr_expect_str_eq(result_of(g, s), t[i].kept);
        sl_agg_state_free(o);
        sl_agg_state_free(s);
    }
}

Test(agg, decimal_sums_are_exact)
{
    sl_agg *g = agg1("SUM", "DEC(10,2)");
    sl_agg_state *s = sl_agg_state_new(g);
    for (int i = 0; i < 1000; i++)
        add1(g, s, sl_decimal(1, 10, 2), i);       /* 0.01 a thousand times */
    cr_expect_str_eq(result_of(g, s), "10.00");
    /* a value of smaller scale is brought to the column's scale */
    add1(g, s, sl_decimal(5, 2, 1), 0);             /* 0.5 */
    cr_expect_str_eq(result_of(g, s), "10.50");
    sl_agg_state_free(s);

    /* MAX keeps the column's scale whatever scale the value came with */
    sl_agg *mx = agg1("MAX", "DEC(4,1)");
    s = sl_agg_state_new(mx);
    add1(mx, s, sl_decimal(15, 4, 1), 0);
    add1(mx, s, sl_decimal(2, 1, 0), 1);
    cr_expect_str_eq(result_of(mx, s), "2.0");
    sl_value big = sl_decimal(1000, 4, 0);
    sl_error err;
    cr_expect_eq(sl_agg_add(mx, s, &big, 1, 2, &err), -1, "1000 does not fit DECIMAL(4, 1)");
    sl_agg_state_free(s);

    sl_agg *d = agg1("SUM", "DOUBLE");
    s = sl_agg_state_new(d);
    for (int i = 0; i < 10; i++)
        add1(d, s, sl_double(0.1), i);
    cr_expect_str_neq(result_of(d, s), "1.0", "a DOUBLE sum is not exact: this checks the test");
    sl_agg_state_free(s);
}

Test(agg, stream_max_keeps_one_value_table_max_retracts)
{
    sl_agg *g = agg1("MAX", "INT");
    sl_agg_state *s = sl_agg_state_new(g);
    for (int i = 0; i < 10000; i++)
        add1(g, s, sl_int(i * 7919 % 10007), i);
    cr_expect_str_eq(result_of(g, s), "10006");
    cr_expect_lt(sl_agg_state_size(g, s), 256, "stream MAX state is %zu bytes",
                 sl_agg_state_size(g, s));
    sl_agg_state_free(s);

    sl_agg *t = agg1("MAX", "INT");
    sl_agg_set_retract(t, true, 0);
    s = sl_agg_state_new(t);
    for (int i = 1; i <= 5; i++)
        add1(t, s, sl_int(i), i);
    sl_value five = sl_int(5), four = sl_int(4);
    sl_error err;
    cr_assert_eq(sl_agg_retract(t, s, &five, 1, &err), 0);
    cr_expect_str_eq(result_of(t, s), "4");
    cr_assert_eq(sl_agg_retract(t, s, &four, 1, &err), 0);
    cr_expect_str_eq(result_of(t, s), "3");
    sl_agg_state_free(s);
}

Test(agg, table_min_past_the_retain_limit_counts_evictions)
{
    sl_agg *g = agg1("MIN", "INT");
    sl_agg_set_retract(g, true, 2);
    sl_agg_state *s = sl_agg_state_new(g);
    add1(g, s, sl_int(3), 0);
    add1(g, s, sl_int(1), 1);
    add1(g, s, sl_int(2), 2);          /* keeps 1, 2; evicts 3 */
    cr_expect_eq(sl_agg_state_dropped(s), 1);
    sl_value one = sl_int(1), two = sl_int(2);
    sl_error err;
    cr_assert_eq(sl_agg_retract(g, s, &one, 1, &err), 0);
    cr_expect_str_eq(result_of(g, s), "2");
    cr_assert_eq(sl_agg_retract(g, s, &two, 1, &err), 0);
    cr_expect_str_eq(result_of(g, s), "null", "3 was evicted: documented limit");
    sl_agg_state_free(s);
}

Test(agg, table_topk_brings_back_the_next_value)
{
    sl_agg *g = agg_k("TOPK", "INT", 3);
    sl_agg_set_retract(g, true, 0);
    sl_agg_state *s = sl_agg_state_new(g);
    for (int i = 1; i <= 10; i++)
        addk(g, s, sl_int(i), 3);
    cr_expect_str_eq(result_of(g, s), "[10,9,8]");
    retractk(g, s, sl_int(10), 3);
    retractk(g, s, sl_int(8), 3);
    cr_expect_str_eq(result_of(g, s), "[9,7,6]");
    sl_agg_state_free(s);

    /* the stream form keeps only K values */
    sl_agg *st = agg_k("TOPK", "INT", 3);
    s = sl_agg_state_new(st);
    for (int i = 1; i <= 1000; i++)
        addk(st, s, sl_int(i % 100), 3);
    cr_expect_str_eq(result_of(st, s), "[99,99,99]");
    cr_expect_lt(sl_agg_state_size(st, s), 512);
    sl_agg_state_free(s);
}

Test(agg, collect_limits_count_what_they_drop)
{
    sl_agg *g = agg1("COLLECT_LIST", "INT");
    sl_agg_set_collect_limit(g, 3);
    sl_agg_state *s = sl_agg_state_new(g);
    for (int i = 0; i < 5; i++)
        add1(g, s, sl_int(i), i);
    cr_expect_str_eq(result_of(g, s), "[0,1,2]");
    cr_expect_eq(sl_agg_state_dropped(s), 2);
    sl_agg_state_free(s);

    sl_agg *h = agg1("HISTOGRAM", "STRING");
    s = sl_agg_state_new(h);
    char buf[16];
    for (int i = 0; i < SL_AGG_COLLECT_LIMIT + 10; i++) {
        int n = snprintf(buf, sizeof buf, "k%d", i);
        add1(h, s, sl_string_ref(buf, (uint32_t)n), i);
    }
    add1(h, s, sl_string_ref("k0", 2), 0);           /* a kept key still counts */
    sl_value v;
    sl_error err;
    cr_assert_eq(sl_agg_result(h, s, arena, &v, &err), 0);
    cr_expect_eq(v.u.map.n, SL_AGG_COLLECT_LIMIT);
    cr_expect_eq(v.u.map.vals[0].u.i64, 2);
    cr_expect_eq(sl_agg_state_dropped(s), 10);
    /* state size grows with what is kept, and is bounded by the limit */
    size_t full = sl_agg_state_size(h, s);
    add1(h, s, sl_string_ref("another", 7), 0);
    cr_expect_eq(sl_agg_state_size(h, s), full);
    cr_expect_gt(full, (size_t)SL_AGG_COLLECT_LIMIT * 40);
    sl_agg_state_free(s);
}

Test(agg, count_distinct_exact_then_estimated)
{
    sl_agg *g = agg1("COUNT_DISTINCT", "BIGINT");
    sl_agg_state *s = sl_agg_state_new(g);
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < 100; i++)
            add1(g, s, sl_bigint(i), i);
    cr_expect_str_eq(result_of(g, s), "100");
    sl_value v = sl_bigint(7);
    sl_error err;
    for (int r = 0; r < 3; r++)
        cr_assert_eq(sl_agg_retract(g, s, &v, 1, &err), 0);
    cr_expect_str_eq(result_of(g, s), "99");

    /* past the exact limit: an estimate within 5% */
    sl_agg_state *big = sl_agg_state_new(g);
    const int n = 200000;
    for (int i = 0; i < n; i++)
        add1(g, big, sl_bigint(i * 2654435761LL), i);
    cr_expect_lt(sl_agg_state_size(g, big), 8192);
    sl_value est;
    cr_assert_eq(sl_agg_result(g, big, arena, &est, &err), 0);
    cr_expect(llabs(est.u.i64 - n) < n / 20, "estimate %lld", (long long)est.u.i64);
    /* retraction cannot apply to the sketch: counted */
    cr_assert_eq(sl_agg_retract(g, big, &v, 1, &err), 0);
    cr_expect_eq(sl_agg_state_dropped(big), 1);
    /* merging an exact state into the sketch, and round trip */
    cr_assert_eq(sl_agg_merge(g, big, s, &err), 0);
    sl_buf b = SL_BUF_INIT;
    sl_agg_encode(g, big, &b);
    sl_agg_state *d = NULL;
    cr_assert_eq(sl_agg_decode(g, b.data, b.len, &d, &err), 0, "%s", err.msg);
    cr_expect_str_eq(result_of(g, d), result_of(g, big));
    for (size_t len = 0; len < b.len; len += 97) {
        sl_agg_state *t = NULL;
        cr_expect_eq(sl_agg_decode(g, b.data, len, &t, &err), -1);
    }
    sl_buf_fini(&b);
    sl_agg_state_free(d);
    sl_agg_state_free(big);
    sl_agg_state_free(s);
}

Test(agg, session_merge_of_by_offset_follows_offsets)
{
    const char *types[2] = {"STRING", "INT"};
    sl_value n2 = sl_int(2);
    const sl_value *consts[2] = {NULL, &n2};
    sl_error err;
    sl_agg *g = compile("LATEST_BY_OFFSET", types, 2, consts, NULL, &err);
    cr_assert(g, "%s", err.msg);
    sl_agg_state *a = sl_agg_state_new(g), *b = sl_agg_state_new(g);
    sl_value args[2] = {sl_string_ref("late", 4), n2};
    cr_assert_eq(sl_agg_add(g, b, args, 2, 30, &err), 0);
    args[0] = sl_string_ref("early", 5);
    cr_assert_eq(sl_agg_add(g, a, args, 2, 10, &err), 0);
    args[0] = sl_string_ref("middle", 6);
    cr_assert_eq(sl_agg_add(g, a, args, 2, 20, &err), 0);
    cr_assert_eq(sl_agg_merge(g, b, a, &err), 0);
    cr_expect_str_eq(result_of(g, b), "[\"middle\",\"late\"]");
    sl_agg_state_free(a);
    sl_agg_state_free(b);
}

Test(agg, values_outlive_the_callers_arena)
{
    sl_agg *g = agg1("COLLECT_SET", "STRING");
    sl_agg_state *s = sl_agg_state_new(g);
    sl_arena *batch = sl_arena_new(0);
    for (int round = 0; round < 50; round++) {
        sl_value v = sl_string_copy(batch, "hello world, a longer string", 28);
        add1(g, s, v, round);
        v = sl_string_copy(batch, round % 2 ? "odd" : "even", round % 2 ? 3 : 4);
        add1(g, s, v, round);
        sl_arena_reset(batch);
    }
    cr_expect_str_eq(result_of(g, s), "[\"hello world, a longer string\",\"even\",\"odd\"]");
    sl_arena_free(batch);
    sl_agg_state_free(s);
}

Test(agg, many_retractions_do_not_grow_the_state)
{
    sl_agg *g = agg1("COLLECT_LIST", "STRING");
    sl_agg_state *s = sl_agg_state_new(g);
    char buf[64];
    size_t peak = 0;
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof buf, "value number %d of the stream", i);
        sl_value v = sl_string_ref(buf, (uint32_t)n);
        add1(g, s, v, i);
        sl_error err;
        cr_assert_eq(sl_agg_retract(g, s, &v, 1, &err), 0);
        size_t sz = sl_agg_state_size(g, s);
        peak = sz > peak ? sz : peak;
    }
    cr_expect_str_eq(result_of(g, s), "[]");
    cr_expect_lt(peak, 16384, "a state with nothing in it peaked at %zu bytes", peak);
    sl_agg_state_free(s);
}

Test(agg, refuses_what_it_cannot_compile)
{
    sl_error err;
    const sl_function *sum = sl_registry_find(reg, "SUM");
    const sl_type *str[1] = {&SL_TYPE_STRING};
    cr_expect_null(sl_agg_new(sum, 0, str, 1, NULL, arena, &err));
    cr_expect_eq(err.code, SL_ERR_ANALYSIS);
    cr_expect_null(sl_agg_new(sum, 9, str, 1, NULL, arena, &err));

    /* TOPK's k must be a positive constant */
    const char *types[2] = {"INT", "INT"};
    cr_expect_null(compile("TOPK", types, 2, NULL, NULL, &err));
    cr_expect(strstr(err.msg, "constant") != NULL, "%s", err.msg);
    sl_value zero = sl_int(0);
    const sl_value *consts[2] = {NULL, &zero};
    cr_expect_null(compile("TOPK", types, 2, consts, NULL, &err));

    /* ignoreNulls must be a constant too */
    const char *lt[2] = {"INT", "BOOLEAN"};
    cr_expect_null(compile("LATEST_BY_OFFSET", lt, 2, NULL, NULL, &err));

    /* a wrong argument count at run time is an error, not a crash */
    sl_agg *g = agg1("SUM", "INT");
    sl_agg_state *s = sl_agg_state_new(g);
    sl_value two[2] = {sl_int(1), sl_int(2)};
    cr_expect_eq(sl_agg_add(g, s, two, 2, 0, &err), -1);
    sl_agg_state_free(s);
}

Test(agg, decode_refuses_foreign_bytes)
{
    sl_agg *count = agg1("COUNT", "INT");
    sl_agg *sum = agg1("SUM", "INT");
    sl_agg_state *s = sl_agg_state_new(count);
    add1(count, s, sl_int(1), 0);
    sl_buf b = SL_BUF_INIT;
    sl_agg_encode(count, s, &b);
    sl_agg_state *d = NULL;
    sl_error err;
    cr_expect_eq(sl_agg_decode(sum, b.data, b.len, &d, &err), -1);
    cr_expect(strstr(err.msg, "another aggregate") != NULL, "%s", err.msg);
    b.data[1] = 9;
    cr_expect_eq(sl_agg_decode(count, b.data, b.len, &d, &err), -1);
    cr_expect(strstr(err.msg, "version") != NULL, "%s", err.msg);
    cr_expect_eq(sl_agg_decode(count, "hello", 5, &d, &err), -1);
    cr_expect_eq(sl_agg_decode(count, NULL, 0, &d, &err), -1);
    sl_buf_fini(&b);
    sl_agg_state_free(s);
}

Test(agg, fixed_states_are_small)
{
    const char *fns[] = {"COUNT", "SUM", "AVG", "STDDEV_SAMP"};
    for (size_t i = 0; i < 4; i++) {
        sl_agg *g = agg1(fns[i], "BIGINT");
        sl_agg_state *s = sl_agg_state_new(g);
        for (int k = 0; k < 1000; k++)
            add1(g, s, sl_bigint(k), k);
        cr_expect_leq(sl_agg_state_size(g, s), 144, "%s: %zu bytes", fns[i],
                      sl_agg_state_size(g, s));
        sl_buf b = SL_BUF_INIT;
        sl_agg_encode(g, s, &b);
        cr_expect_leq(b.len, 48, "%s: %zu bytes encoded", fns[i], b.len);
        sl_buf_fini(&b);
        sl_agg_state_free(s);
    }
}

/* Table aggregation as a model check: random adds and retractions of values
 * 0..49 against a multiset of counts; MIN, MAX, TOPK(3), TOPKDISTINCT(3) and
 * COUNT_DISTINCT must agree with the model after every step, including
 * across encode / decode every 97 steps. Seeded: the same run every time. */
Test(agg, table_aggregates_match_a_multiset_model)
{
    enum { NV = 50, STEPS = 4000 };
    const char *fns[] = {"MIN", "MAX", "TOPK", "TOPKDISTINCT", "COUNT_DISTINCT"};
    sl_agg *g[5];
    sl_agg_state *st[5];
    for (int f = 0; f < 5; f++) {
        g[f] = f == 2 || f == 3 ? agg_k(fns[f], "INT", 3) : agg1(fns[f], "INT");
        sl_agg_set_retract(g[f], true, 0);
        st[f] = sl_agg_state_new(g[f]);
    }
    int cnt[NV] = {0};
    uint64_t rng = 42;
    for (int step = 0; step < STEPS; step++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int v = (int)((rng >> 33) % NV);
        bool retract = ((rng >> 20) & 3) == 0 && cnt[v] > 0;
        cnt[v] += retract ? -1 : 1;
        for (int f = 0; f < 5; f++) {
            sl_value args[2] = {sl_int(v), sl_int(3)};
            sl_error err;
            int nargs = f == 2 || f == 3 ? 2 : 1;
            int rc = retract ? sl_agg_retract(g[f], st[f], args, nargs, &err)
                             : sl_agg_add(g[f], st[f], args, nargs, step, &err);
            cr_assert_eq(rc, 0, "%s", err.msg);
            if (step % 97 == 0) {
                sl_buf b = SL_BUF_INIT;
                sl_agg_encode(g[f], st[f], &b);
                sl_agg_state *d = NULL;
                cr_assert_eq(sl_agg_decode(g[f], b.data, b.len, &d, &err), 0, "%s", err.msg);
                sl_agg_state_free(st[f]);
                st[f] = d;
                sl_buf_fini(&b);
            }
        }
        /* the model's answers */
        char mn[16] = "null", mx[16] = "null", topk[64] = "[", topd[64] = "[", nd[16];
        int distinct = 0, tk = 0, td = 0;
        for (int i = 0; i < NV; i++)
            if (cnt[i]) {
                distinct++;
                if (!strcmp(mn, "null"))
                    snprintf(mn, sizeof mn, "%d", i);
                snprintf(mx, sizeof mx, "%d", i);
            }
        for (int i = NV - 1; i >= 0; i--) {
            for (int r = 0; r < cnt[i] && tk < 3; r++, tk++)
                snprintf(topk + strlen(topk), sizeof topk - strlen(topk), "%s%d", tk ? "," : "",
                         i);
            if (cnt[i] && td < 3) {
                snprintf(topd + strlen(topd), sizeof topd - strlen(topd), "%s%d", td ? "," : "",
                         i);
                td++;
            }
        }
        strcat(topk, "]");
        strcat(topd, "]");
        snprintf(nd, sizeof nd, "%d", distinct);
        const char *want[5] = {mn, mx, topk, topd, nd};
        for (int f = 0; f < 5; f++)
            cr_assert_str_eq(result_of(g[f], st[f]), want[f], "%s at step %d", fns[f], step);
    }
    for (int f = 0; f < 5; f++)
        sl_agg_state_free(st[f]);
}

Test(agg, table_latest_and_collect_set_retract)
{
    sl_agg *g = agg1("LATEST_BY_OFFSET", "STRING");
    sl_agg_set_retract(g, true, 0);
    sl_agg_state *s = sl_agg_state_new(g);
    add1(g, s, sl_string_ref("a", 1), 1);
    add1(g, s, sl_string_ref("b", 1), 2);
    add1(g, s, sl_string_ref("c", 1), 3);
    sl_value c = sl_string_ref("c", 1), b = sl_string_ref("b", 1);
    sl_error err;
    cr_assert_eq(sl_agg_retract(g, s, &c, 1, &err), 0);
    cr_expect_str_eq(result_of(g, s), "\"b\"");
    cr_assert_eq(sl_agg_retract(g, s, &b, 1, &err), 0);
    cr_expect_str_eq(result_of(g, s), "\"a\"");
    sl_agg_state_free(s);

    /* the stream form keeps only the latest value */
    sl_agg *st = agg1("LATEST_BY_OFFSET", "STRING");
    s = sl_agg_state_new(st);
    for (int i = 0; i < 5000; i++)
        add1(st, s, sl_string_ref(i % 2 ? "odd value of some length" : "even", i % 2 ? 24 : 4), i);
    cr_expect_str_eq(result_of(st, s), "\"odd value of some length\"");
    cr_expect_lt(sl_agg_state_size(st, s), 8192);
    sl_agg_state_free(s);

    /* a value added twice stays in the set until retracted twice */
    sl_agg *set = agg1("COLLECT_SET", "INT");
    s = sl_agg_state_new(set);
    add1(set, s, sl_int(1), 0);
    add1(set, s, sl_int(2), 1);
    add1(set, s, sl_int(1), 2);
    sl_value one = sl_int(1);
    cr_assert_eq(sl_agg_retract(set, s, &one, 1, &err), 0);
    cr_expect_str_eq(result_of(set, s), "[1,2]");
    cr_assert_eq(sl_agg_retract(set, s, &one, 1, &err), 0);
    cr_expect_str_eq(result_of(set, s), "[2]");
    sl_agg_state_free(s);
}

Test(agg, bounds_say_what_they_bound)
{
    const char *what;
    sl_agg *g = agg1("COLLECT_LIST", "INT");
    sl_agg_set_collect_limit(g, 7);
    cr_expect_eq(sl_agg_bound(g, &what), 7);
    cr_expect_str_eq(what, "elements");
    cr_expect_eq(sl_agg_bound(agg1("HISTOGRAM", "STRING"), &what), SL_AGG_COLLECT_LIMIT);
    cr_expect_str_eq(what, "distinct values");
    sl_agg *m = agg1("MIN", "INT");
    cr_expect_eq(sl_agg_bound(m, &what), 0, "a stream's MIN drops nothing worth reporting");
    cr_expect_str_eq(what, "");
    sl_agg_set_retract(m, true, 5);
    cr_expect_eq(sl_agg_bound(m, &what), 5);
    cr_expect(strstr(what, "retract"), "%s", what);
    sl_agg *t = agg_k("TOPK", "INT", 10);
    sl_agg_set_retract(t, true, 5);
    cr_expect_eq(sl_agg_bound(t, &what), 10, "never fewer than K");
    cr_expect_eq(sl_agg_bound(agg1("COUNT_DISTINCT", "INT"), &what), SL_AGG_DISTINCT_EXACT);
    cr_expect_eq(sl_agg_bound(agg1("SUM", "INT"), &what), 0);
}
