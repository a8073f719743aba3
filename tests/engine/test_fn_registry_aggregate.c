/*
 * test_fn_registry_aggregate.c: the aggregate and table function
 * signatures (fn_aggregate.c, fn_table.c) as the analyzer sees them:
 * found by name, of the right kind and category, resolving to ksqlDB's
 * result types, and refusing argument types ksqlDB refuses. Also checks
 * the registration of the numeric, collection and lambda families
 * (kinds, flags, descriptions) without evaluating anything.
 *
 * Uses a registry holding only these families, so it does not depend on
 * the other function families being complete.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/func.h"

static sl_registry *reg;
static sl_arena *arena;

static void setup(void)
{
    reg = sl_registry_new();
    sl_fn_register_math(reg);
    sl_fn_register_collection(reg);
    sl_fn_register_lambda(reg);
    sl_fn_register_aggregate(reg);
    sl_fn_register_table(reg);
    arena = sl_arena_new(0);
}

static void teardown(void)
{
    sl_registry_free(reg);
    sl_arena_free(arena);
}

TestSuite(fn_registry_aggregate, .init = setup, .fini = teardown);

/* Type names in a small notation for the tables: "DEC(10,2)", "ARRAY<INT>"... */
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
    if (!strcmp(s, "ARRAY<STRING>")) return sl_type_array(arena, &SL_TYPE_STRING);
    if (!strcmp(s, "MAP<STRING,INT>")) return sl_type_map(arena, &SL_TYPE_STRING, &SL_TYPE_INT);
    cr_assert_fail("unknown test type %s", s);
    return NULL;
}

typedef struct rcase {
    const char *name;
    const char *args[3];        /* NULL-terminated */
    sl_fn_kind kind;
    const char *ret;            /* as sl_type_format writes it; NULL: must not resolve */
} rcase;

static const rcase cases[] = {
    {"SUM", {"INT"}, SL_FN_AGGREGATE, "INTEGER"},
    {"SUM", {"BIGINT"}, SL_FN_AGGREGATE, "BIGINT"},
    {"SUM", {"DOUBLE"}, SL_FN_AGGREGATE, "DOUBLE"},
    {"SUM", {"DEC(10,2)"}, SL_FN_AGGREGATE, "DECIMAL(10, 2)"},
    {"SUM", {"STRING"}, SL_FN_AGGREGATE, NULL},
    {"AVG", {"INT"}, SL_FN_AGGREGATE, "DOUBLE"},
    {"AVG", {"BIGINT"}, SL_FN_AGGREGATE, "DOUBLE"},
    {"AVG", {"DOUBLE"}, SL_FN_AGGREGATE, "DOUBLE"},
    {"AVG", {"STRING"}, SL_FN_AGGREGATE, NULL},
    {"COUNT", {NULL}, SL_FN_AGGREGATE, "BIGINT"},
    {"COUNT", {"STRING"}, SL_FN_AGGREGATE, "BIGINT"},
    {"COUNT", {"ARRAY<INT>"}, SL_FN_AGGREGATE, "BIGINT"},
    {"COUNT_DISTINCT", {"STRING"}, SL_FN_AGGREGATE, "BIGINT"},
    {"COLLECT_LIST", {"STRING"}, SL_FN_AGGREGATE, "ARRAY<VARCHAR>"},
    {"COLLECT_LIST", {"DEC(4,1)"}, SL_FN_AGGREGATE, "ARRAY<DECIMAL(4, 1)>"},
    {"COLLECT_SET", {"INT"}, SL_FN_AGGREGATE, "ARRAY<INTEGER>"},
    {"CORRELATION", {"DOUBLE", "DOUBLE"}, SL_FN_AGGREGATE, "DOUBLE"},
    {"CORRELATION", {"INT", "BIGINT"}, SL_FN_AGGREGATE, "DOUBLE"},
    {"CORRELATION", {"STRING", "DOUBLE"}, SL_FN_AGGREGATE, NULL},
    {"EARLIEST_BY_OFFSET", {"INT"}, SL_FN_AGGREGATE, "INTEGER"},
    {"EARLIEST_BY_OFFSET", {"STRING", "BOOLEAN"}, SL_FN_AGGREGATE, "VARCHAR"},
    {"EARLIEST_BY_OFFSET", {"DOUBLE", "INT"}, SL_FN_AGGREGATE, "ARRAY<DOUBLE>"},
    {"EARLIEST_BY_OFFSET", {"DOUBLE", "INT", "BOOLEAN"}, SL_FN_AGGREGATE, "ARRAY<DOUBLE>"},
    {"LATEST_BY_OFFSET", {"STRING"}, SL_FN_AGGREGATE, "VARCHAR"},
    {"LATEST_BY_OFFSET", {"STRING", "INT"}, SL_FN_AGGREGATE, "ARRAY<VARCHAR>"},
    {"LATEST_BY_OFFSET", {"BIGINT", "INT", "BOOLEAN"}, SL_FN_AGGREGATE, "ARRAY<BIGINT>"},
    {"LATEST_BY_OFFSET", {"BIGINT", "STRING"}, SL_FN_AGGREGATE, NULL},
    {"HISTOGRAM", {"STRING"}, SL_FN_AGGREGATE, "MAP<VARCHAR, BIGINT>"},
    {"HISTOGRAM", {"INT"}, SL_FN_AGGREGATE, NULL},
    {"MAX", {"INT"}, SL_FN_AGGREGATE, "INTEGER"},
    {"MAX", {"DEC(4,1)"}, SL_FN_AGGREGATE, "DECIMAL(4, 1)"},
    {"MAX", {"STRING"}, SL_FN_AGGREGATE, "VARCHAR"},
    {"MIN", {"TIMESTAMP"}, SL_FN_AGGREGATE, "TIMESTAMP"},
    {"MIN", {"BIGINT"}, SL_FN_AGGREGATE, "BIGINT"},
    {"MIN", {"ARRAY<INT>"}, SL_FN_AGGREGATE, NULL},
    {"STDDEV_SAMP", {"INT"}, SL_FN_AGGREGATE, "DOUBLE"},
    {"STDDEV_SAMP", {"DOUBLE"}, SL_FN_AGGREGATE, "DOUBLE"},
    {"STDDEV_SAMPLE", {"BIGINT"}, SL_FN_AGGREGATE, "DOUBLE"},
    {"TOPK", {"INT", "INT"}, SL_FN_AGGREGATE, "ARRAY<INTEGER>"},
    {"TOPK", {"STRING", "INT"}, SL_FN_AGGREGATE, "ARRAY<VARCHAR>"},
    {"TOPK", {"DEC(10,2)", "INT"}, SL_FN_AGGREGATE, "ARRAY<DECIMAL(10, 2)>"},
    {"TOPK", {"INT"}, SL_FN_AGGREGATE, NULL},
    {"TOPKDISTINCT", {"BIGINT", "INT"}, SL_FN_AGGREGATE, "ARRAY<BIGINT>"},
    {"TOPKDISTINCT", {"DOUBLE", "INT"}, SL_FN_AGGREGATE, "ARRAY<DOUBLE>"},
    {"EXPLODE", {"ARRAY<INT>"}, SL_FN_TABLE, "INTEGER"},
    {"EXPLODE", {"ARRAY<STRING>"}, SL_FN_TABLE, "VARCHAR"},
    {"EXPLODE", {"INT"}, SL_FN_TABLE, NULL},
    {"EXPLODE", {"MAP<STRING,INT>"}, SL_FN_TABLE, NULL},
    {"CUBE_EXPLODE", {"ARRAY<STRING>"}, SL_FN_TABLE, "ARRAY<VARCHAR>"},
    {"CUBE_EXPLODE", {"ARRAY<INT>"}, SL_FN_TABLE, "ARRAY<INTEGER>"},
    {"GENERATE_SERIES", {"INT", "INT"}, SL_FN_SCALAR, "ARRAY<INTEGER>"},
    {"GENERATE_SERIES", {"BIGINT", "BIGINT", "INT"}, SL_FN_SCALAR, "ARRAY<BIGINT>"},
    {"ROUND", {"DOUBLE"}, SL_FN_SCALAR, "BIGINT"},
    {"ROUND", {"DEC(10,2)"}, SL_FN_SCALAR, "DECIMAL(9, 0)"},
    {"ROUND", {"DEC(10,2)", "INT"}, SL_FN_SCALAR, "DECIMAL(11, 2)"},
    {"TRUNC", {"DEC(10,2)"}, SL_FN_SCALAR, "DECIMAL(8, 0)"},
    {"TRUNC", {"DEC(10,2)", "INT"}, SL_FN_SCALAR, "DECIMAL(10, 2)"},
    {"CEIL", {"DEC(4,1)"}, SL_FN_SCALAR, "DECIMAL(5, 1)"},
    {"ABS", {"DEC(4,1)"}, SL_FN_SCALAR, "DECIMAL(4, 1)"},
    {"SIGN", {"BIGINT"}, SL_FN_SCALAR, "INTEGER"},
    {"ARRAY_MAX", {"ARRAY<STRING>"}, SL_FN_SCALAR, "VARCHAR"},
    {"ENTRIES", {"MAP<STRING,INT>", "BOOLEAN"}, SL_FN_SCALAR,
     "ARRAY<STRUCT<`K` VARCHAR, `V` INTEGER>>"},
};

Test(fn_registry_aggregate, resolves_with_ksqldb_types)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const rcase *c = &cases[i];
        const sl_type *argt[3];
        int n = 0;
        while (n < 3 && c->args[n]) {
            argt[n] = ty(c->args[n]);
            n++;
        }
        const sl_function *f = sl_registry_find(reg, c->name);
        cr_assert_not_null(f, "%s is not registered", c->name);
        cr_expect_eq(f->kind, c->kind, "%s: kind %d, want %d", c->name, f->kind, c->kind);
        sl_resolved res;
        sl_error err;
        sl_error_clear(&err);
        int rc = sl_registry_resolve(reg, arena, c->name, argt, NULL, n, &res, SL_NOSPAN, &err);
        if (rc == 0)
            rc = sl_registry_finish(&res, arena, argt, n, SL_NOSPAN, &err);
        if (!c->ret) {
            cr_expect_neq(rc, 0, "case %zu: %s should not accept these arguments", i, c->name);
            continue;
        }
        cr_expect_eq(rc, 0, "case %zu: %s: %s", i, c->name, err.msg);
        if (rc != 0)
            continue;
        sl_buf b = SL_BUF_INIT;
        sl_type_format(&b, res.ret);
        cr_expect_str_eq(sl_buf_cstr(&b), c->ret, "case %zu: %s returns %s, want %s", i,
                         c->name, sl_buf_cstr(&b), c->ret);
        sl_buf_fini(&b);
    }
}

Test(fn_registry_aggregate, kinds_categories_and_implementations)
{
    static const char *aggregates[] = {
        "AVG", "COLLECT_LIST", "COLLECT_SET", "CORRELATION", "COUNT", "COUNT_DISTINCT",
        "EARLIEST_BY_OFFSET", "HISTOGRAM", "LATEST_BY_OFFSET", "MAX", "MIN", "STDDEV_SAMP",
        "STDDEV_SAMPLE", "SUM", "TOPK", "TOPKDISTINCT",
    };
    for (size_t i = 0; i < sizeof aggregates / sizeof aggregates[0]; i++) {
        const sl_function *f = sl_registry_find(reg, aggregates[i]);
        cr_assert_not_null(f, "%s", aggregates[i]);
        cr_expect_eq(f->kind, SL_FN_AGGREGATE, "%s", aggregates[i]);
        cr_expect_str_eq(f->category, "AGGREGATE", "%s", aggregates[i]);
        for (int o = 0; o < f->noverloads; o++)
            cr_expect_null(f->overloads[o].impl, "%s runs in the aggregate operator",
                           aggregates[i]);
    }
    static const char *tables[] = {"EXPLODE", "CUBE_EXPLODE"};
    for (size_t i = 0; i < 2; i++) {
        const sl_function *f = sl_registry_find(reg, tables[i]);
        cr_assert_not_null(f, "%s", tables[i]);
        cr_expect_eq(f->kind, SL_FN_TABLE, "%s", tables[i]);
        cr_expect_str_eq(f->category, "TABLE", "%s", tables[i]);
    }
    /* names are case-insensitive */
    cr_expect_not_null(sl_registry_find(reg, "latest_by_offset"));
    cr_expect_null(sl_registry_find(reg, "NO_SUCH_AGG"));
}

Test(fn_registry_aggregate, scalar_families_are_complete)
{
    static const struct { const char *name, *category; } scalars[] = {
        {"ABS", "NUMERIC"}, {"ACOS", "NUMERIC"}, {"ASIN", "NUMERIC"}, {"ATAN", "NUMERIC"},
        {"ATAN2", "NUMERIC"}, {"CBRT", "NUMERIC"}, {"CEIL", "NUMERIC"}, {"COS", "NUMERIC"},
        {"COSH", "NUMERIC"}, {"COT", "NUMERIC"}, {"DEGREES", "NUMERIC"}, {"EXP", "NUMERIC"},
        {"FLOOR", "NUMERIC"}, {"GREATEST", "NUMERIC"}, {"LEAST", "NUMERIC"}, {"LN", "NUMERIC"},
        {"LOG", "NUMERIC"}, {"PI", "NUMERIC"}, {"POWER", "NUMERIC"}, {"RADIANS", "NUMERIC"},
        {"RANDOM", "NUMERIC"}, {"ROUND", "NUMERIC"}, {"SIGN", "NUMERIC"}, {"SIN", "NUMERIC"},
        {"SINH", "NUMERIC"}, {"SQRT", "NUMERIC"}, {"TAN", "NUMERIC"}, {"TANH", "NUMERIC"},
        {"TRUNC", "NUMERIC"},
        {"ARRAY_CONCAT", "ARRAY"}, {"ARRAY_CONTAINS", "ARRAY"}, {"ARRAY_DISTINCT", "ARRAY"},
        {"ARRAY_EXCEPT", "ARRAY"}, {"ARRAY_INTERSECT", "ARRAY"}, {"ARRAY_JOIN", "ARRAY"},
        {"ARRAY_LENGTH", "ARRAY"}, {"ARRAY_MAX", "ARRAY"}, {"ARRAY_MIN", "ARRAY"},
        {"ARRAY_REMOVE", "ARRAY"}, {"ARRAY_SORT", "ARRAY"}, {"ARRAY_UNION", "ARRAY"},
        {"GENERATE_SERIES", "ARRAY"}, {"SLICE", "ARRAY"}, {"AS_MAP", "MAP"},
        {"ENTRIES", "MAP"}, {"MAP_KEYS", "MAP"}, {"MAP_UNION", "MAP"}, {"MAP_VALUES", "MAP"},
        {"ELT", "OTHER"}, {"FIELD", "OTHER"},
        {"FILTER", "LAMBDA"}, {"REDUCE", "LAMBDA"}, {"TRANSFORM", "LAMBDA"},
    };
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        const sl_function *f = sl_registry_find(reg, scalars[i].name);
        cr_assert_not_null(f, "%s", scalars[i].name);
        cr_expect_eq(f->kind, SL_FN_SCALAR, "%s", scalars[i].name);
        cr_expect_str_eq(f->category, scalars[i].category, "%s", scalars[i].name);
        cr_expect(f->description && strlen(f->description) > 10, "%s has a description",
                  scalars[i].name);
        for (int o = 0; o < f->noverloads; o++) {
            cr_expect_not_null(f->overloads[o].impl, "%s overload %d", scalars[i].name, o);
            bool nondet = (f->overloads[o].flags & SL_FNF_NONDETERMINISTIC) != 0;
            cr_expect_eq(nondet, !strcmp(scalars[i].name, "RANDOM"),
                         "%s: only RANDOM is nondeterministic", scalars[i].name);
        }
    }
}

Test(fn_registry_aggregate, describe_shows_parameter_names)
{
    /* the spelling of types is func.c's business; the names are ours */
    static const struct { const char *fn; int ov; const char *want[3]; } cases[] = {
        {"LATEST_BY_OFFSET", 3, {"col ", "n ", "ignoreNulls BOOLEAN"}},
        {"REDUCE", 0, {"array ARRAY<T>", "initial S", "fn LAMBDA(S, T) => S"}},
        {"ROUND", 5, {"value DECIMAL", "scale ", NULL}},
        {"GENERATE_SERIES", 1, {"start ", "end ", "step "}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sl_function *f = sl_registry_find(reg, cases[i].fn);
        cr_assert_not_null(f, "%s", cases[i].fn);
        cr_assert_lt(cases[i].ov, f->noverloads);
        sl_buf b = SL_BUF_INIT;
        sl_overload_format(&b, f, &f->overloads[cases[i].ov]);
        cr_expect(!strncmp(sl_buf_cstr(&b), cases[i].fn, strlen(cases[i].fn)), "%s",
                  sl_buf_cstr(&b));
        for (int k = 0; k < 3 && cases[i].want[k]; k++)
            cr_expect(strstr(sl_buf_cstr(&b), cases[i].want[k]) != NULL, "'%s' lacks '%s'",
                      sl_buf_cstr(&b), cases[i].want[k]);
        sl_buf_fini(&b);
    }
}
