/*
 * test_fn_json.c: the JSON functions end to end through sl_eval_text:
 * JSONPath extraction (fields, indexes, quoted names, missing paths, bad
 * paths), the JSON readers on objects, arrays, scalars and invalid text
 * (NULL, never an error), JSON_CONCAT's PostgreSQL rules and TO_JSON_STRING
 * for every kind of SQL value. Results are STRINGs, so the expectations
 * below are JSON string renderings of JSON text.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/expr.h"

#include "eval_cases.h"

#define LOG "'{\"log\": {\"cloud\": \"gcp836Csd\", \"app\": \"ksProcessor\", \"instance\": 4}}'"

Test(fn_json, extractjsonfield)
{
    static const ecase cases[] = {
        {"EXTRACTJSONFIELD(" LOG ", '$.log.cloud')", "\"gcp836Csd\"", NULL},
        {"EXTRACTJSONFIELD(" LOG ", '$.log.instance')", "\"4\"", NULL},
        {"EXTRACTJSONFIELD(" LOG ", '$.log')",
         "\"{\\\"cloud\\\":\\\"gcp836Csd\\\",\\\"app\\\":\\\"ksProcessor\\\",\\\"instance\\\":4}\"", NULL},
        {"EXTRACTJSONFIELD(" LOG ", '$[''log''][\"app\"]')", "\"ksProcessor\"", NULL},
        {"EXTRACTJSONFIELD(" LOG ", '$.missing')", "null", NULL},
        {"EXTRACTJSONFIELD(" LOG ", '$.log.cloud.deeper')", "null", NULL},
        {"EXTRACTJSONFIELD('{\"a\": [10, 20, {\"b\": \"c\"}]}', '$.a[1]')", "\"20\"", NULL},
        {"EXTRACTJSONFIELD('{\"a\": [10, 20, {\"b\": \"c\"}]}', '$.a[2].b')", "\"c\"", NULL},
        {"EXTRACTJSONFIELD('{\"a\": [10, 20, {\"b\": \"c\"}]}', '$.a[5]')", "null", NULL},
        {"EXTRACTJSONFIELD('{\"a\": [10, 20, {\"b\": \"c\"}]}', '$.a.x')", "null", NULL},
        {"EXTRACTJSONFIELD('[1, 2]', '$[0]')", "\"1\"", NULL},
        {"EXTRACTJSONFIELD('{\"0\": \"zero\"}', '$[0]')", "\"zero\"", NULL},
        {"EXTRACTJSONFIELD('\"str\"', '$')", "\"str\"", NULL},
        {"EXTRACTJSONFIELD('{\"a\": null}', '$.a')", "\"null\"", NULL},
        {"EXTRACTJSONFIELD('{\"a\": true}', '$.a')", "\"true\"", NULL},
        {"EXTRACTJSONFIELD('{\"a\": 1.50e1}', '$.a')", "\"15.0\"", NULL},
        {"EXTRACTJSONFIELD('{\"a\": 1E3}', '$.a')", "\"1000\"", NULL},
        {"EXTRACTJSONFIELD('{\"a\": -2.5e-3}', '$.a')", "\"-0.0025\"", NULL},
        {"EXTRACTJSONFIELD('{\"a\": 1, \"a\": 2}', '$.a')", "\"2\"", NULL},
        {"EXTRACTJSONFIELD('{\"a b\": 1}', '$[''a b'']')", "\"1\"", NULL},
        {"EXTRACTJSONFIELD('{\"a\": \"\\u00e9\\n\"}', '$.a')", "\"é\\n\"", NULL},
        {"EXTRACTJSONFIELD('{\"a\": [ \"x\" , {\"q\" : \"\\\"\"} ]}', '$.a')",
         "\"[\\\"x\\\",{\\\"q\\\":\\\"\\\\\\\"\\\"}]\"", NULL},
        {"EXTRACTJSONFIELD('not json', '$.a')", "null", NULL},
        {"EXTRACTJSONFIELD('{\"a\": 1', '$.a')", "null", NULL},
        {"EXTRACTJSONFIELD('{\"a\": 1}', 'a')", NULL, "Invalid JSON path"},
        {"EXTRACTJSONFIELD('{\"a\": 1}', '$.*')", NULL, "Invalid JSON path"},
        {"EXTRACTJSONFIELD('{\"a\": 1}', '$[')", NULL, "Invalid JSON path"},
        {"EXTRACTJSONFIELD(NULL, '$.a')", "null", NULL},
        {"EXTRACTJSONFIELD('{}', NULL)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_json, is_json_string)
{
    static const ecase cases[] = {
        {"IS_JSON_STRING('[1, 2, 3]')", "true", NULL},
        {"IS_JSON_STRING('{}')", "true", NULL},
        {"IS_JSON_STRING('1')", "true", NULL},
        {"IS_JSON_STRING('\"abc\"')", "true", NULL},
        {"IS_JSON_STRING('null')", "true", NULL},
        {"IS_JSON_STRING('  {\"a\": [1.5e-3, -0, true]}  ')", "true", NULL},
        {"IS_JSON_STRING('')", "false", NULL},
        {"IS_JSON_STRING('abc')", "false", NULL},
        {"IS_JSON_STRING('{\"a\": 1,}')", "false", NULL},
        {"IS_JSON_STRING('[1] x')", "false", NULL},
        {"IS_JSON_STRING('01')", "false", NULL},
        {"IS_JSON_STRING('\"\\x\"')", "false", NULL},
        {"IS_JSON_STRING('NaN')", "false", NULL},
        {"IS_JSON_STRING(CONCAT('\"', CHR(1), '\"'))", "false", NULL},
        {"IS_JSON_STRING(NULL)", "false", NULL},
    };
    RUN(cases);
}

Test(fn_json, deep_nesting_is_refused_not_crashed)
{
    sl_buf text = SL_BUF_INIT;
    sl_buf_puts(&text, "IS_JSON_STRING('");
    for (int i = 0; i < 100000; i++) sl_buf_putc(&text, '[');
    sl_buf_puts(&text, "')");
    ecase cases[] = {{sl_buf_cstr(&text), "false", NULL}};
    RUN(cases);
    sl_buf_fini(&text);
}

Test(fn_json, array_length_keys_records)
{
    static const ecase cases[] = {
        {"JSON_ARRAY_LENGTH('[1, 2, 3]')", "3", NULL},
        {"JSON_ARRAY_LENGTH('[1, [1, [2]], 3]')", "3", NULL},
        {"JSON_ARRAY_LENGTH('[]')", "0", NULL},
        {"JSON_ARRAY_LENGTH('{}')", "null", NULL},
        {"JSON_ARRAY_LENGTH('123')", "null", NULL},
        {"JSON_ARRAY_LENGTH('abc')", "null", NULL},
        {"JSON_ARRAY_LENGTH(NULL)", "null", NULL},
        {"JSON_KEYS('{\"a\": \"abc\", \"b\": { \"c\": \"a\" }, \"d\": 1}')", "[\"a\",\"b\",\"d\"]", NULL},
        {"JSON_KEYS('{\"x\": 1, \"y\": 2, \"x\": 3}')", "[\"x\",\"y\"]", NULL},
        {"JSON_KEYS('{}')", "[]", NULL},
        {"JSON_KEYS('[]')", "null", NULL},
        {"JSON_KEYS('123')", "null", NULL},
        {"JSON_KEYS('')", "null", NULL},
        {"JSON_KEYS(NULL)", "null", NULL},
        {"JSON_RECORDS('{\"a\": \"abc\", \"b\": { \"c\": \"a\" }, \"d\": 1}')",
         "{\"a\":\"\\\"abc\\\"\",\"b\":\"{\\\"c\\\":\\\"a\\\"}\",\"d\":\"1\"}", NULL},
        {"JSON_RECORDS('{}')", "{}", NULL},
        {"JSON_RECORDS('[]')", "null", NULL},
        {"JSON_RECORDS('123')", "null", NULL},
        {"JSON_RECORDS('abc')", "null", NULL},
        {"JSON_RECORDS(NULL)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_json, array_contains)
{
    static const ecase cases[] = {
        {"JSON_ARRAY_CONTAINS('[1, 2, 3]', 3)", "true", NULL},
        {"JSON_ARRAY_CONTAINS('[1, 2, 3]', 4)", "false", NULL},
        {"JSON_ARRAY_CONTAINS('[1.5, 2]', 1.5E0)", "true", NULL},
        {"JSON_ARRAY_CONTAINS('[1.0]', 1)", "false", NULL},
        {"JSON_ARRAY_CONTAINS('[\"a\", \"b\"]', 'b')", "true", NULL},
        {"JSON_ARRAY_CONTAINS('[\"a\"]', 'A')", "false", NULL},
        {"JSON_ARRAY_CONTAINS('[true, false]', false)", "true", NULL},
        {"JSON_ARRAY_CONTAINS('[null]', CAST(NULL AS STRING))", "true", NULL},
        {"JSON_ARRAY_CONTAINS('[5000000000]', 5000000000)", "true", NULL},
        {"JSON_ARRAY_CONTAINS('{\"a\": 1}', 1)", "false", NULL},
        {"JSON_ARRAY_CONTAINS('[1, 2', 1)", "false", NULL},
        {"JSON_ARRAY_CONTAINS(CAST(NULL AS STRING), 1)", "false", NULL},
    };
    RUN(cases);
}

Test(fn_json, concat)
{
    static const ecase cases[] = {
        {"JSON_CONCAT('{\"a\": 1}', '{\"b\": 2}')", "\"{\\\"a\\\":1,\\\"b\\\":2}\"", NULL},
        {"JSON_CONCAT('{\"a\": {\"5\": 6}}', '{\"a\": {\"3\": 4}}')", "\"{\\\"a\\\":{\\\"3\\\":4}}\"", NULL},
        {"JSON_CONCAT('{\"a\": 1, \"b\": 2}', '{\"a\": 3}')", "\"{\\\"a\\\":3,\\\"b\\\":2}\"", NULL},
        {"JSON_CONCAT('{}', '{}')", "\"{}\"", NULL},
        {"JSON_CONCAT('[1, 2]', '[3, 4]')", "\"[1,2,3,4]\"", NULL},
        {"JSON_CONCAT('[1, [2]]', '[[[3]], [[[4]]]]')", "\"[1,[2],[[3]],[[[4]]]]\"", NULL},
        {"JSON_CONCAT('null', 'null')", "\"[null,null]\"", NULL},
        {"JSON_CONCAT('[1, 2]', '{\"a\": 1}')", "\"[1,2,{\\\"a\\\":1}]\"", NULL},
        {"JSON_CONCAT('[1, 2]', '3')", "\"[1,2,3]\"", NULL},
        {"JSON_CONCAT('1', '2')", "\"[1,2]\"", NULL},
        {"JSON_CONCAT('[]', '[]')", "\"[]\"", NULL},
        {"JSON_CONCAT('{\"a\": 1}', '[2]', '\"x\"')", "\"[{\\\"a\\\":1},2,\\\"x\\\"]\"", NULL},
        {"JSON_CONCAT('abc', '[1]')", "null", NULL},
        {"JSON_CONCAT(NULL, '[1]')", "null", NULL},
        {"JSON_CONCAT('[1]', NULL)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_json, to_json_string_scalars)
{
    static const ecase cases[] = {
        {"TO_JSON_STRING(1)", "\"1\"", NULL},
        {"TO_JSON_STRING(10000000000)", "\"10000000000\"", NULL},
        {"TO_JSON_STRING(15.3)", "\"15.3\"", NULL},
        {"TO_JSON_STRING(-0.050)", "\"-0.050\"", NULL},
        {"TO_JSON_STRING('abc')", "\"\\\"abc\\\"\"", NULL},
        {"TO_JSON_STRING(CONCAT('a\"b', CHR(1)))", "\"\\\"a\\\\\\\"b\\\\u0001\\\"\"", NULL},
        {"TO_JSON_STRING(true)", "\"true\"", NULL},
        {"TO_JSON_STRING(NULL)", "\"null\"", NULL},
        {"TO_JSON_STRING(1.5E0)", "\"1.5\"", NULL},
        {"TO_JSON_STRING(100.0E0)", "\"100.0\"", NULL},
        {"TO_JSON_STRING(1E10)", "\"1.0E10\"", NULL},
        {"TO_JSON_STRING(1.0E-5)", "\"1.0E-5\"", NULL},
        {"TO_JSON_STRING(0.001E0)", "\"0.001\"", NULL},
        {"TO_JSON_STRING(1234567.0E0)", "\"1234567.0\"", NULL},
        {"TO_JSON_STRING(12345678.0E0)", "\"1.2345678E7\"", NULL},
        {"TO_JSON_STRING(0.1E0)", "\"0.1\"", NULL},
        {"TO_JSON_STRING(TO_BYTES('AQID', 'base64'))", "\"\\\"AQID\\\"\"", NULL},
        {"TO_JSON_STRING(PARSE_DATE('2021-10-11', 'yyyy-MM-dd'))", "\"\\\"2021-10-11\\\"\"", NULL},
        {"TO_JSON_STRING(PARSE_TIME('13:25', 'HH:mm'))", "\"\\\"13:25\\\"\"", NULL},
        {"TO_JSON_STRING(PARSE_TIME('13:25:07.250', 'HH:mm:ss.SSS'))", "\"\\\"13:25:07.250\\\"\"", NULL},
        {"TO_JSON_STRING(FROM_UNIXTIME(1625055519446))", "\"\\\"2021-06-30T12:18:39.446\\\"\"", NULL},
        {"TO_JSON_STRING(FROM_UNIXTIME(-1))", "\"\\\"1969-12-31T23:59:59.999\\\"\"", NULL},
    };
    RUN(cases);
}

Test(fn_json, to_json_string_compound)
{
    static const ecase cases[] = {
        {"TO_JSON_STRING(ARRAY[1, 2, 3])", "\"[1,2,3]\"", NULL},
        {"TO_JSON_STRING(ARRAY['a', NULL])", "\"[\\\"a\\\",null]\"", NULL},
        {"TO_JSON_STRING(STRUCT(id := 1, name := 'A'))", "\"{\\\"ID\\\":1,\\\"NAME\\\":\\\"A\\\"}\"", NULL},
        {"TO_JSON_STRING(STRUCT(b := 1, a := 2))", "\"{\\\"A\\\":2,\\\"B\\\":1}\"", NULL},
        {"TO_JSON_STRING(MAP('c' := 2, 'd' := 4))", "\"{\\\"c\\\":2,\\\"d\\\":4}\"", NULL},
        {"TO_JSON_STRING(MAP('b' := 1, 'a' := 2))", "\"{\\\"a\\\":2,\\\"b\\\":1}\"", NULL},
        {"TO_JSON_STRING(ARRAY[STRUCT(json_key := 1, json_value := MAP('c' := 2, 'd' := 3))])",
         "\"[{\\\"JSON_KEY\\\":1,\\\"JSON_VALUE\\\":{\\\"c\\\":2,\\\"d\\\":3}}]\"", NULL},
    };
    RUN(cases);
}

Test(fn_json, round_trip_through_extract)
{
    static const ecase cases[] = {
        {"EXTRACTJSONFIELD(TO_JSON_STRING(STRUCT(a := ARRAY['x', 'y'])), '$.A[1]')", "\"y\"", NULL},
        {"JSON_ARRAY_LENGTH(TO_JSON_STRING(ARRAY[1, 2, 3, 4]))", "4", NULL},
        {"JSON_KEYS(TO_JSON_STRING(MAP('k1' := 1, 'k0' := 2)))", "[\"k0\",\"k1\"]", NULL},
    };
    RUN(cases);
}
