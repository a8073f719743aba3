/*
 * test_fn_null.c: COALESCE, IFNULL and NULLIF end to end through
 * sl_eval_text, over primitive and complex types, with the type checks
 * ksqlDB makes (all arguments of one type).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/expr.h"

#include "eval_cases.h"

Test(fn_null, coalesce)
{
    static const ecase cases[] = {
        {"COALESCE(NULL, 'a', 'b')", "\"a\"", NULL},
        {"COALESCE('x')", "\"x\"", NULL},
        {"COALESCE(1, 2)", "1", NULL},
        {"COALESCE(NULL, NULL, 3)", "3", NULL},
        {"COALESCE(CAST(NULL AS STRING), NULL)", "null", NULL},
        {"COALESCE(NULL, ARRAY[1, 2])", "[1,2]", NULL},
        {"COALESCE(ARRAY[CAST(NULL AS INT)], ARRAY[2])", "[null]", NULL},
        {"COALESCE(NULL, 10000000000)", "10000000000", NULL},
        {"COALESCE('a', 1)", NULL, "COALESCE"},
    };
    RUN(cases);
}

Test(fn_null, ifnull)
{
    static const ecase cases[] = {
        {"IFNULL(NULL, 'x')", "\"x\"", NULL},
        {"IFNULL('a', 'x')", "\"a\"", NULL},
        {"IFNULL(CAST(NULL AS INT), 5)", "5", NULL},
        {"IFNULL(CAST(NULL AS STRING), NULL)", "null", NULL},
        {"IFNULL(MAP('k' := 1), MAP('j' := 2))", "{\"k\":1}", NULL},
        {"IFNULL('a')", NULL, "IFNULL"},
    };
    RUN(cases);
}

Test(fn_null, nullif)
{
    static const ecase cases[] = {
        {"NULLIF(1, 1)", "null", NULL},
        {"NULLIF(1, 2)", "1", NULL},
        {"NULLIF('a', 'a')", "null", NULL},
        {"NULLIF('a', 'b')", "\"a\"", NULL},
        {"NULLIF(NULL, 'a')", "null", NULL},
        {"NULLIF('a', NULL)", "\"a\"", NULL},
        {"NULLIF(ARRAY[1, 2], ARRAY[1, 2])", "null", NULL},
        {"NULLIF(ARRAY[1], ARRAY[2])", "[1]", NULL},
        {"NULLIF(TRUE, FALSE)", "true", NULL},
    };
    RUN(cases);
}
