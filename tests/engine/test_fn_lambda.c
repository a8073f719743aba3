/*
 * test_fn_lambda.c: TRANSFORM, FILTER and REDUCE (fn_lambda.c) over arrays
 * and maps, end to end through sl_eval_text: results, NULL collections and
 * states, NULL lambda results, errors raised inside a lambda, and the
 * resolution errors for lambdas of the wrong arity.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/expr.h"

#include "eval_cases.h"

Test(fn_lambda, transform)
{
    static const ecase cases[] = {
        {"TRANSFORM(ARRAY[1, 2, 3], x => x * 2)", "[2,4,6]", NULL},
        {"TRANSFORM(ARRAY[1, 2, 3], x => x > 1)", "[false,true,true]", NULL},
        {"TRANSFORM(ARRAY['a', 'b'], s => s || '!')", "[\"a!\",\"b!\"]", NULL},
        {"TRANSFORM(ARRAY[1, NULL], x => x + 1)", "[2,null]", NULL},
        {"TRANSFORM(ARRAY_REMOVE(ARRAY[1], 1), x => x + 1)", "[]", NULL},
        {"TRANSFORM(CAST(NULL AS ARRAY<INT>), x => x + 1)", "null", NULL},
        {"TRANSFORM(TRANSFORM(ARRAY[1, 2], x => x + 1), y => y * 10)", "[20,30]", NULL},
        {"TRANSFORM(MAP('a' := 1, 'b' := 2), (k, v) => k || '_x', (k, v) => v * 10)",
         "{\"a_x\":10,\"b_x\":20}", NULL},
        {"TRANSFORM(MAP('a' := 1), (k, v) => k, (k, v) => v > 0)", "{\"a\":true}", NULL},
        {"TRANSFORM(CAST(NULL AS MAP<STRING, INT>), (k, v) => k, (k, v) => v)", "null", NULL},
        {"TRANSFORM(MAP('a' := 1, 'b' := 2), (k, v) => 'same', (k, v) => v)", NULL,
         "same key"},
        {"TRANSFORM(ARRAY[2147483647], x => x + 1)", NULL, ""},
        {"TRANSFORM(ARRAY[1], (x, y) => x)", NULL, ""},
    };
    RUN(cases);
}

Test(fn_lambda, filter)
{
    static const ecase cases[] = {
        {"FILTER(ARRAY[1, 2, 3, 4], x => x % 2 = 0)", "[2,4]", NULL},
        {"FILTER(ARRAY[1, 2, 3], x => x > 5)", "[]", NULL},
        {"FILTER(ARRAY[1, NULL, 3], x => x > 1)", "[3]", NULL},
        {"FILTER(ARRAY[1, NULL, 3], x => x IS NULL)", "[null]", NULL},
        {"FILTER(CAST(NULL AS ARRAY<INT>), x => TRUE)", "null", NULL},
        {"FILTER(MAP('a' := 1, 'b' := 2, 'c' := 3), (k, v) => v > 1)", "{\"b\":2,\"c\":3}",
         NULL},
        {"FILTER(MAP('a' := 1, 'b' := 2), (k, v) => k = 'a')", "{\"a\":1}", NULL},
        {"FILTER(MAP('a' := 1), (k, v) => FALSE)", "{}", NULL},
        {"FILTER(CAST(NULL AS MAP<STRING, INT>), (k, v) => TRUE)", "null", NULL},
        {"FILTER(ARRAY[2, 1], x => x * 2147483647 > 1)", NULL, ""},
    };
    RUN(cases);
}

Test(fn_lambda, reduce)
{
    static const ecase cases[] = {
        {"REDUCE(ARRAY[1, 2, 3], 0, (s, x) => s + x)", "6", NULL},
        {"REDUCE(ARRAY[1, 2, 3], 10, (s, x) => s * x)", "60", NULL},
        {"REDUCE(ARRAY['a', 'b', 'c'], '', (s, x) => s || x)", "\"abc\"", NULL},
        {"REDUCE(ARRAY_REMOVE(ARRAY[1], 1), 7, (s, x) => s + x)", "7", NULL},
        {"REDUCE(CAST(NULL AS ARRAY<INT>), 5, (s, x) => s + x)", "5", NULL},
        {"REDUCE(ARRAY[1, 2], CAST(NULL AS INT), (s, x) => s + x)", "null", NULL},
        {"REDUCE(ARRAY[1, NULL, 3], 0, (s, x) => s + x)", "null", NULL},
        {"REDUCE(MAP('a' := 1, 'b' := 2), 10, (s, k, v) => s + v)", "13", NULL},
        {"REDUCE(MAP('a' := 1, 'b' := 2), '', (s, k, v) => s || k)", "\"ab\"", NULL},
        {"REDUCE(CAST(NULL AS MAP<STRING, INT>), 3, (s, k, v) => s + v)", "3", NULL},
        {"REDUCE(ARRAY[2147483647, 1], 0, (s, x) => s + x)", NULL, ""},
        {"REDUCE(ARRAY[1], 0, x => x)", NULL, ""},
    };
    RUN(cases);
}
