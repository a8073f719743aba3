/*
 * test_types.c: the type system (engine/types.c): spellings, equality,
 * widening, common types and which CASTs are allowed.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/types.h"

static sl_arena *A;

static void setup(void) { A = sl_arena_new(0); }
static void teardown(void) { sl_arena_free(A); }

TestSuite(types, .init = setup, .fini = teardown);

static const char *fmt(const sl_type *t)
{
    return t ? sl_type_str(A, t) : "(none)";
}

static const sl_type *st2(const char *n1, const sl_type *t1, const char *n2, const sl_type *t2)
{
    sl_field f[2] = {{n1, t1}, {n2, t2}};
    return sl_type_struct(A, f, n2 ? 2 : 1);
}

Test(types, format_as_ksqldb)
{
    struct { const sl_type *t; const char *want; } cases[] = {
        {&SL_TYPE_INT, "INTEGER"},
        {&SL_TYPE_BIGINT, "BIGINT"},
        {&SL_TYPE_DOUBLE, "DOUBLE"},
        {&SL_TYPE_STRING, "VARCHAR"},
        {&SL_TYPE_BOOLEAN, "BOOLEAN"},
        {&SL_TYPE_BYTES, "BYTES"},
        {&SL_TYPE_TIMESTAMP, "TIMESTAMP"},
        {&SL_TYPE_DATE, "DATE"},
        {&SL_TYPE_TIME, "TIME"},
        {sl_type_decimal(A, 10, 2), "DECIMAL(10, 2)"},
        {sl_type_array(A, &SL_TYPE_STRING), "ARRAY<VARCHAR>"},
        {sl_type_map(A, &SL_TYPE_STRING, &SL_TYPE_INT), "MAP<VARCHAR, INTEGER>"},
        {st2("A", &SL_TYPE_INT, "b c", sl_type_array(A, &SL_TYPE_DOUBLE)),
         "STRUCT<`A` INTEGER, `b c` ARRAY<DOUBLE>>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(fmt(cases[i].t), cases[i].want, "case %zu", i);
}

Test(types, equality_is_structural)
{
    cr_expect(sl_type_equal(sl_type_decimal(A, 5, 2), sl_type_decimal(A, 5, 2)));
    cr_expect(!sl_type_equal(sl_type_decimal(A, 5, 2), sl_type_decimal(A, 5, 3)));
    cr_expect(sl_type_equal(sl_type_array(A, &SL_TYPE_INT), sl_type_array(A, &SL_TYPE_INT)));
    cr_expect(!sl_type_equal(sl_type_array(A, &SL_TYPE_INT), sl_type_array(A, &SL_TYPE_BIGINT)));
    cr_expect(sl_type_equal(st2("A", &SL_TYPE_INT, NULL, NULL), st2("A", &SL_TYPE_INT, NULL, NULL)));
    cr_expect(!sl_type_equal(st2("A", &SL_TYPE_INT, NULL, NULL), st2("B", &SL_TYPE_INT, NULL, NULL)));
    cr_expect(!sl_type_equal(&SL_TYPE_INT, &SL_TYPE_BIGINT));
    const sl_type *deep = sl_type_map(A, &SL_TYPE_STRING, st2("X", sl_type_decimal(A, 3, 1), NULL, NULL));
    sl_arena *b = sl_arena_new(0);
    const sl_type *copy = sl_type_copy(b, deep);
    cr_expect(sl_type_equal(deep, copy));
    cr_expect(copy != deep);
    sl_arena_free(b);
}

Test(types, widening)
{
    const sl_type *d10_0 = sl_type_decimal(A, 10, 0), *d19_0 = sl_type_decimal(A, 19, 0);
    const sl_type *d5_2 = sl_type_decimal(A, 5, 2), *d6_3 = sl_type_decimal(A, 6, 3);
    const sl_type *d6_1 = sl_type_decimal(A, 6, 1);
    struct { const sl_type *from, *to; bool want; } cases[] = {
        {&SL_TYPE_INT, &SL_TYPE_BIGINT, true},
        {&SL_TYPE_INT, &SL_TYPE_DOUBLE, true},
        {&SL_TYPE_INT, d10_0, true},
        {&SL_TYPE_INT, d5_2, false},
        {&SL_TYPE_BIGINT, d19_0, true},
        {&SL_TYPE_BIGINT, d10_0, false},
        {&SL_TYPE_BIGINT, &SL_TYPE_INT, false},
        {&SL_TYPE_DOUBLE, &SL_TYPE_BIGINT, false},
        {d5_2, d6_3, true},
        {d5_2, d6_1, false},
        {d5_2, &SL_TYPE_DOUBLE, true},
        {&SL_TYPE_DOUBLE, d5_2, false},
        {&SL_TYPE_NULL, &SL_TYPE_STRING, true},
        {&SL_TYPE_STRING, &SL_TYPE_INT, false},
        {&SL_TYPE_INT, &SL_TYPE_STRING, false},
        {sl_type_array(A, &SL_TYPE_INT), sl_type_array(A, &SL_TYPE_BIGINT), true},
        {sl_type_array(A, &SL_TYPE_BIGINT), sl_type_array(A, &SL_TYPE_INT), false},
        {sl_type_map(A, &SL_TYPE_STRING, &SL_TYPE_INT), sl_type_map(A, &SL_TYPE_STRING, &SL_TYPE_DOUBLE), true},
        {st2("A", &SL_TYPE_INT, NULL, NULL), st2("A", &SL_TYPE_BIGINT, NULL, NULL), true},
        {st2("A", &SL_TYPE_INT, NULL, NULL), st2("B", &SL_TYPE_BIGINT, NULL, NULL), false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(sl_type_widens_to(cases[i].from, cases[i].to), cases[i].want,
                     "case %zu: %s -> %s", i, fmt(cases[i].from), fmt(cases[i].to));
}

Test(types, common_type)
{
    struct { const sl_type *x, *y; const char *want; } cases[] = {
        {&SL_TYPE_INT, &SL_TYPE_INT, "INTEGER"},
        {&SL_TYPE_INT, &SL_TYPE_BIGINT, "BIGINT"},
        {&SL_TYPE_BIGINT, &SL_TYPE_DOUBLE, "DOUBLE"},
        {&SL_TYPE_INT, sl_type_decimal(A, 4, 2), "DECIMAL(12, 2)"},
        {sl_type_decimal(A, 5, 1), sl_type_decimal(A, 4, 3), "DECIMAL(7, 3)"},
        {sl_type_decimal(A, 38, 0), sl_type_decimal(A, 38, 38), "DECIMAL(38, 0)"},
        {sl_type_decimal(A, 5, 1), &SL_TYPE_DOUBLE, "DOUBLE"},
        {&SL_TYPE_NULL, &SL_TYPE_STRING, "VARCHAR"},
        {&SL_TYPE_STRING, &SL_TYPE_NULL, "VARCHAR"},
        {&SL_TYPE_STRING, &SL_TYPE_INT, "(none)"},
        {&SL_TYPE_BOOLEAN, &SL_TYPE_INT, "(none)"},
        {&SL_TYPE_TIMESTAMP, &SL_TYPE_DATE, "(none)"},
        {sl_type_array(A, &SL_TYPE_INT), sl_type_array(A, &SL_TYPE_DOUBLE), "ARRAY<DOUBLE>"},
        {sl_type_array(A, &SL_TYPE_INT), sl_type_array(A, &SL_TYPE_STRING), "(none)"},
        {st2("A", &SL_TYPE_INT, NULL, NULL), st2("A", &SL_TYPE_BIGINT, NULL, NULL), "STRUCT<`A` BIGINT>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(fmt(sl_type_common(A, cases[i].x, cases[i].y)), cases[i].want,
                         "case %zu", i);
}

Test(types, castability_follows_ksqldb)
{
    const sl_type *dec = sl_type_decimal(A, 4, 2);
    struct { const sl_type *from, *to; bool want; } cases[] = {
        {&SL_TYPE_DOUBLE, &SL_TYPE_INT, true},
        {dec, &SL_TYPE_BIGINT, true},
        {&SL_TYPE_STRING, &SL_TYPE_INT, true},
        {&SL_TYPE_STRING, dec, true},
        {&SL_TYPE_STRING, &SL_TYPE_BOOLEAN, true},
        {&SL_TYPE_STRING, &SL_TYPE_TIMESTAMP, true},
        {&SL_TYPE_STRING, &SL_TYPE_DATE, true},
        {&SL_TYPE_STRING, &SL_TYPE_TIME, true},
        {&SL_TYPE_TIMESTAMP, &SL_TYPE_DATE, true},
        {&SL_TYPE_TIMESTAMP, &SL_TYPE_TIME, true},
        {&SL_TYPE_DATE, &SL_TYPE_TIMESTAMP, true},
        {&SL_TYPE_TIME, &SL_TYPE_TIMESTAMP, false},
        {&SL_TYPE_DATE, &SL_TYPE_TIME, false},
        {&SL_TYPE_BOOLEAN, &SL_TYPE_INT, false},
        {&SL_TYPE_INT, &SL_TYPE_BOOLEAN, false},
        {&SL_TYPE_BIGINT, &SL_TYPE_TIMESTAMP, false},
        {&SL_TYPE_BYTES, &SL_TYPE_STRING, false},
        {&SL_TYPE_STRING, &SL_TYPE_BYTES, false},
        {sl_type_array(A, &SL_TYPE_INT), &SL_TYPE_STRING, true},
        {sl_type_array(A, &SL_TYPE_STRING), sl_type_array(A, &SL_TYPE_INT), true},
        {sl_type_array(A, &SL_TYPE_BOOLEAN), sl_type_array(A, &SL_TYPE_INT), false},
        {sl_type_map(A, &SL_TYPE_STRING, &SL_TYPE_INT), sl_type_map(A, &SL_TYPE_STRING, &SL_TYPE_STRING), true},
        {st2("A", &SL_TYPE_INT, "B", &SL_TYPE_STRING), st2("A", &SL_TYPE_STRING, "C", &SL_TYPE_INT), true},
        {st2("A", &SL_TYPE_BOOLEAN, NULL, NULL), st2("A", &SL_TYPE_INT, NULL, NULL), false},
        {&SL_TYPE_NULL, &SL_TYPE_DATE, true},
        {&SL_TYPE_INT, sl_type_array(A, &SL_TYPE_INT), false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(sl_type_castable(cases[i].from, cases[i].to), cases[i].want,
                     "case %zu: %s -> %s", i, fmt(cases[i].from), fmt(cases[i].to));
}

Test(types, primitives_and_as_decimal)
{
    cr_expect_eq(sl_type_primitive(SL_INT), &SL_TYPE_INT);
    cr_expect_null(sl_type_primitive(SL_DECIMAL));
    cr_expect_null(sl_type_primitive(SL_ARRAY));
    cr_expect_str_eq(fmt(sl_type_as_decimal(A, &SL_TYPE_INT)), "DECIMAL(10, 0)");
    cr_expect_str_eq(fmt(sl_type_as_decimal(A, &SL_TYPE_BIGINT)), "DECIMAL(19, 0)");
    cr_expect(sl_type_is_numeric(sl_type_decimal(A, 3, 1)));
    cr_expect(!sl_type_is_numeric(&SL_TYPE_STRING));
    cr_expect_str_eq(sl_kind_name(SL_STRING), "VARCHAR");
    cr_expect_str_eq(sl_kind_name(SL_INT), "INTEGER");
}
