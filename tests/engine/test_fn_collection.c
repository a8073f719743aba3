/*
 * test_fn_collection.c: the array and map functions (fn_collection.c) end
 * to end through sl_eval_text: ksqlDB's documented examples, NULL
 * arguments and NULL elements, empty arrays, out-of-range positions and
 * the errors (GENERATE_SERIES steps, non-primitive elements).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/expr.h"

#include "eval_cases.h"

/* An empty ARRAY<INT>, whatever the grammar thinks of ARRAY[]. */
#define EMPTY "ARRAY_REMOVE(ARRAY[1], 1)"

Test(fn_collection, contains_concat_length)
{
    static const ecase cases[] = {
        {"ARRAY_CONTAINS(ARRAY[1, 2, 3], 3)", "true", NULL},
        {"ARRAY_CONTAINS(ARRAY[1, 2, 3], 4)", "false", NULL},
        {"ARRAY_CONTAINS(ARRAY['a', NULL], NULL)", "true", NULL},
        {"ARRAY_CONTAINS(ARRAY['a', 'b'], NULL)", "false", NULL},
        {"ARRAY_CONTAINS(CAST(NULL AS ARRAY<INT>), 1)", "false", NULL},
        {"ARRAY_CONTAINS(" EMPTY ", 1)", "false", NULL},
        {"ARRAY_CONCAT(ARRAY[1, 2, 3, 1, 2], ARRAY[4, 1])", "[1,2,3,1,2,4,1]", NULL},
        {"ARRAY_CONCAT(ARRAY['apple', 'apple', NULL, 'cherry'], ARRAY['cherry'])",
         "[\"apple\",\"apple\",null,\"cherry\",\"cherry\"]", NULL},
        {"ARRAY_CONCAT(ARRAY[1], CAST(NULL AS ARRAY<INT>))", "[1]", NULL},
        {"ARRAY_CONCAT(CAST(NULL AS ARRAY<INT>), ARRAY[2])", "[2]", NULL},
        {"ARRAY_CONCAT(CAST(NULL AS ARRAY<INT>), CAST(NULL AS ARRAY<INT>))", "null", NULL},
        {"ARRAY_CONCAT(" EMPTY ", " EMPTY ")", "[]", NULL},
        {"ARRAY_LENGTH(ARRAY[1, 2, 3])", "3", NULL},
        {"ARRAY_LENGTH(ARRAY[NULL, NULL])", "2", NULL},
        {"ARRAY_LENGTH(" EMPTY ")", "0", NULL},
        {"ARRAY_LENGTH(CAST(NULL AS ARRAY<INT>))", "null", NULL},
    };
    RUN(cases);
}

Test(fn_collection, set_operations)
{
    static const ecase cases[] = {
        {"ARRAY_DISTINCT(ARRAY[1, 1, 2, 3, 1, 2])", "[1,2,3]", NULL},
        {"ARRAY_DISTINCT(ARRAY['apple', 'apple', NULL, 'cherry'])",
         "[\"apple\",null,\"cherry\"]", NULL},
        {"ARRAY_DISTINCT(ARRAY[CAST(NULL AS INT), NULL])", "[null]", NULL},
        {"ARRAY_DISTINCT(ARRAY[1.50, 1.5, 2.0])", "[1.50,2.00]", NULL},
        {"ARRAY_DISTINCT(ARRAY[ARRAY[1], ARRAY[1], ARRAY[2]])", "[[1],[2]]", NULL},
        {"ARRAY_DISTINCT(" EMPTY ")", "[]", NULL},
        {"ARRAY_DISTINCT(CAST(NULL AS ARRAY<INT>))", "null", NULL},
        {"ARRAY_EXCEPT(ARRAY[1, 2, 3, 1, 2], ARRAY[2, 3])", "[1]", NULL},
        {"ARRAY_EXCEPT(ARRAY['apple', 'apple', NULL, 'cherry'], ARRAY['cherry'])",
         "[\"apple\",null]", NULL},
        {"ARRAY_EXCEPT(ARRAY[1, NULL], ARRAY[CAST(NULL AS INT)])", "[1]", NULL},
        {"ARRAY_EXCEPT(ARRAY[1, 2], " EMPTY ")", "[1,2]", NULL},
        {"ARRAY_EXCEPT(ARRAY[1], CAST(NULL AS ARRAY<INT>))", "null", NULL},
        {"ARRAY_INTERSECT(ARRAY[1, 2, 3, 1, 2], ARRAY[2, 1])", "[1,2]", NULL},
        {"ARRAY_INTERSECT(ARRAY['apple', 'apple', NULL, 'cherry'], ARRAY['apple'])",
         "[\"apple\"]", NULL},
        {"ARRAY_INTERSECT(ARRAY[1, 2], " EMPTY ")", "[]", NULL},
        {"ARRAY_INTERSECT(CAST(NULL AS ARRAY<INT>), ARRAY[1])", "null", NULL},
        {"ARRAY_UNION(ARRAY[1, 2, 3, 1, 2], ARRAY[4, 1])", "[1,2,3,4]", NULL},
        {"ARRAY_UNION(ARRAY['apple', 'apple', NULL, 'cherry'], ARRAY['cherry'])",
         "[\"apple\",null,\"cherry\"]", NULL},
        {"ARRAY_UNION(ARRAY[1], CAST(NULL AS ARRAY<INT>))", "null", NULL},
    };
    RUN(cases);
}

Test(fn_collection, join)
{
    static const ecase cases[] = {
        {"ARRAY_JOIN(ARRAY[1, 2, 3])", "\"1,2,3\"", NULL},
        {"ARRAY_JOIN(ARRAY['a', NULL, 'c'], '-')", "\"a-null-c\"", NULL},
        {"ARRAY_JOIN(ARRAY['a', 'b'], '')", "\"ab\"", NULL},
        {"ARRAY_JOIN(ARRAY['a', 'b'], CAST(NULL AS STRING))", "\"ab\"", NULL},
        {"ARRAY_JOIN(ARRAY[TRUE, FALSE], ' | ')", "\"true | false\"", NULL},
        {"ARRAY_JOIN(ARRAY[1.5E0, 2E0])", "\"1.5,2.0\"", NULL},
        {"ARRAY_JOIN(ARRAY[1.50, 2.25], ';')", "\"1.50;2.25\"", NULL},
        {"ARRAY_JOIN(" EMPTY ")", "\"\"", NULL},
        {"ARRAY_JOIN(CAST(NULL AS ARRAY<INT>))", "null", NULL},
        {"ARRAY_JOIN(ARRAY[ARRAY[1]])", NULL, "primitive"},
    };
    RUN(cases);
}

Test(fn_collection, max_min_remove)
{
    static const ecase cases[] = {
        {"ARRAY_MAX(ARRAY[-1, 2, NULL, 0])", "2", NULL},
        {"ARRAY_MAX(ARRAY[FALSE, NULL, TRUE])", "true", NULL},
        {"ARRAY_MAX(ARRAY['Foo', 'Bar', NULL, 'baz'])", "\"baz\"", NULL},
        {"ARRAY_MAX(ARRAY[1.5E0, -2E0])", "1.5", NULL},
        {"ARRAY_MIN(ARRAY[-1, 2, NULL, 0])", "-1", NULL},
        {"ARRAY_MIN(ARRAY[FALSE, NULL, TRUE])", "false", NULL},
        {"ARRAY_MIN(ARRAY['Foo', 'Bar', NULL, 'baz'])", "\"Bar\"", NULL},
        {"ARRAY_MAX(ARRAY[CAST(NULL AS INT)])", "null", NULL},
        {"ARRAY_MIN(" EMPTY ")", "null", NULL},
        {"ARRAY_MAX(CAST(NULL AS ARRAY<INT>))", "null", NULL},
        {"ARRAY_MAX(ARRAY[ARRAY[1]])", NULL, "primitive"},
        {"ARRAY_REMOVE(ARRAY[1, 2, 3, 2, 1], 2)", "[1,3,1]", NULL},
        {"ARRAY_REMOVE(ARRAY[FALSE, NULL, TRUE, TRUE], FALSE)", "[null,true,true]", NULL},
        {"ARRAY_REMOVE(ARRAY['Foo', 'Bar', NULL, 'baz'], NULL)", "[\"Foo\",\"Bar\",\"baz\"]",
         NULL},
        {"ARRAY_REMOVE(ARRAY[1, 2], 3)", "[1,2]", NULL},
        {"ARRAY_REMOVE(CAST(NULL AS ARRAY<INT>), 1)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_collection, sort)
{
    static const ecase cases[] = {
        {"ARRAY_SORT(ARRAY[-1, 2, NULL, 0])", "[-1,0,2,null]", NULL},
        {"ARRAY_SORT(ARRAY[FALSE, NULL, TRUE])", "[false,true,null]", NULL},
        {"ARRAY_SORT(ARRAY['Foo', 'Bar', NULL, 'baz'])", "[\"Bar\",\"Foo\",\"baz\",null]", NULL},
        {"ARRAY_SORT(ARRAY[-1, 2, NULL, 0], 'DESC')", "[2,0,-1,null]", NULL},
        {"ARRAY_SORT(ARRAY[-1, 2, NULL, 0], 'desc')", "[2,0,-1,null]", NULL},
        {"ARRAY_SORT(ARRAY[3, 1, 2], 'ascending')", "[1,2,3]", NULL},
        {"ARRAY_SORT(ARRAY[3, 1, 2], 'Descending')", "[3,2,1]", NULL},
        {"ARRAY_SORT(ARRAY[2.5E0, -1E0, 0E0])", "[-1.0,0.0,2.5]", NULL},
        {"ARRAY_SORT(ARRAY[3, 1], 'sideways')", "null", NULL},
        {"ARRAY_SORT(ARRAY[3, 1], CAST(NULL AS STRING))", "null", NULL},
        {"ARRAY_SORT(" EMPTY ")", "[]", NULL},
        {"ARRAY_SORT(CAST(NULL AS ARRAY<INT>))", "null", NULL},
        {"ARRAY_SORT(ARRAY[MAP('a' := 1)])", NULL, "primitive"},
    };
    RUN(cases);
}

Test(fn_collection, slice)
{
    static const ecase cases[] = {
        {"SLICE(ARRAY[1, 2, 3, 4], 2, 3)", "[2,3]", NULL},
        {"SLICE(ARRAY[1, 2, 3, 4], 1, 4)", "[1,2,3,4]", NULL},
        {"SLICE(ARRAY['a', 'b', 'c'], 3, 3)", "[\"c\"]", NULL},
        {"SLICE(ARRAY[1, 2, 3], 3, 2)", "[]", NULL},
        {"SLICE(ARRAY[1, 2, 3], 0, 2)", "null", NULL},
        {"SLICE(ARRAY[1, 2, 3], 2, 5)", "null", NULL},
        {"SLICE(ARRAY[1, 2, 3], -1, 2)", "null", NULL},
        {"SLICE(ARRAY[1, 2, 3], NULL, 2)", "[1,2]", NULL},
        {"SLICE(ARRAY[1, 2, 3], 2, NULL)", "[2,3]", NULL},
        {"SLICE(CAST(NULL AS ARRAY<INT>), 1, 2)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_collection, generate_series)
{
    static const ecase cases[] = {
        {"GENERATE_SERIES(1, 5)", "[1,2,3,4,5]", NULL},
        {"GENERATE_SERIES(5, 1)", "[5,4,3,2,1]", NULL},
        {"GENERATE_SERIES(3, 3)", "[3]", NULL},
        {"GENERATE_SERIES(1, 10, 3)", "[1,4,7,10]", NULL},
        {"GENERATE_SERIES(10, 1, -4)", "[10,6,2]", NULL},
        {"GENERATE_SERIES(-2, 2, 2)", "[-2,0,2]", NULL},
        {"GENERATE_SERIES(CAST(1 AS BIGINT), CAST(3 AS BIGINT))", "[1,2,3]", NULL},
        {"GENERATE_SERIES(9223372036854775806, 9223372036854775807)",
         "[9223372036854775806,9223372036854775807]", NULL},
        {"GENERATE_SERIES(2147483646, 2147483647, 5)", "[2147483646]", NULL},
        {"GENERATE_SERIES(1, CAST(NULL AS INT))", "null", NULL},
        {"GENERATE_SERIES(1, 5, 0)", NULL, "zero"},
        {"GENERATE_SERIES(1, 5, -1)", NULL, "wrong sign"},
        {"GENERATE_SERIES(5, 1, 1)", NULL, "wrong sign"},
        {"GENERATE_SERIES(0, 2000000000)", NULL, "more than"},
        {"GENERATE_SERIES(-9223372036854775807, 9223372036854775807)", NULL, "more than"},
    };
    RUN(cases);
}

Test(fn_collection, maps)
{
    static const ecase cases[] = {
        {"AS_MAP(ARRAY['a', 'b'], ARRAY[1, 2])", "{\"a\":1,\"b\":2}", NULL},
        {"AS_MAP(ARRAY['a', 'b', 'c'], ARRAY[1])", "{\"a\":1,\"b\":null,\"c\":null}", NULL},
        {"AS_MAP(ARRAY['a'], ARRAY[1, 2, 3])", "{\"a\":1}", NULL},
        {"AS_MAP(ARRAY['a', 'b', 'a'], ARRAY[1, 2, 3])", "{\"a\":3,\"b\":2}", NULL},
        {"AS_MAP(ARRAY['a', NULL], ARRAY[1, 2])", "{\"a\":1}", NULL},
        {"AS_MAP(CAST(NULL AS ARRAY<STRING>), ARRAY[1])", "null", NULL},
        {"MAP_KEYS(MAP('apple' := 10, 'banana' := 20))", "[\"apple\",\"banana\"]", NULL},
        {"MAP_VALUES(MAP('apple' := 10, 'banana' := 20))", "[10,20]", NULL},
        {"MAP_KEYS(CAST(NULL AS MAP<STRING, INT>))", "null", NULL},
        {"MAP_VALUES(CAST(NULL AS MAP<STRING, INT>))", "null", NULL},
        {"MAP_UNION(MAP('apple' := 10, 'banana' := 20), MAP('cherry' := 99))",
         "{\"apple\":10,\"banana\":20,\"cherry\":99}", NULL},
        {"MAP_UNION(MAP('apple' := 10, 'banana' := 20), MAP('apple' := 50))",
         "{\"apple\":50,\"banana\":20}", NULL},
        {"MAP_UNION(MAP('a' := 1), CAST(NULL AS MAP<STRING, INT>))", "{\"a\":1}", NULL},
        {"MAP_UNION(CAST(NULL AS MAP<STRING, INT>), CAST(NULL AS MAP<STRING, INT>))", "null",
         NULL},
        {"ENTRIES(MAP('b' := 2, 'a' := 1), TRUE)",
         "[{\"K\":\"a\",\"V\":1},{\"K\":\"b\",\"V\":2}]", NULL},
        {"ENTRIES(MAP('b' := 2, 'a' := 1), FALSE)",
         "[{\"K\":\"b\",\"V\":2},{\"K\":\"a\",\"V\":1}]", NULL},
        {"ENTRIES(MAP('x' := 'y'), TRUE)", "[{\"K\":\"x\",\"V\":\"y\"}]", NULL},
        {"ENTRIES(CAST(NULL AS MAP<STRING, INT>), TRUE)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_collection, elt_field)
{
    static const ecase cases[] = {
        {"ELT(2, 'a', 'b', 'c')", "\"b\"", NULL},
        {"ELT(1, 'a')", "\"a\"", NULL},
        {"ELT(0, 'a', 'b')", "null", NULL},
        {"ELT(3, 'a', 'b')", "null", NULL},
        {"ELT(-1, 'a', 'b')", "null", NULL},
        {"ELT(CAST(NULL AS INT), 'a')", "null", NULL},
        {"ELT(2, 'a', NULL)", "null", NULL},
        {"FIELD('b', 'a', 'b', 'c')", "2", NULL},
        {"FIELD('b', 'b', 'b')", "1", NULL},
        {"FIELD('z', 'a', 'b')", "0", NULL},
        {"FIELD('B', 'a', 'b')", "0", NULL},
        {"FIELD(NULL, 'a', NULL)", "0", NULL},
    };
    RUN(cases);
}
