/*
 * test_expr.c: the expression compiler and evaluator (engine/expr.c),
 * end to end from text: sl_eval_text for constant expressions, and
 * sl_expr_compile / sl_cexpr_eval against a hand-built schema and row for
 * columns, qualifiers, pseudocolumns and error spans.
 *
 * Expected values are JSON renderings. An expected string starting with
 * "!A " is a compile-time (analysis) error, "!E " a row error, "!S " a
 * syntax error the parser reports; the rest is
 * a fragment the message must contain.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/expr.h"
#include "grammar/parse.h"

typedef struct ecase {
    const char *expr;
    const char *want;
} ecase;

static void check_cases(const char *suite, const ecase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sl_buf out = SL_BUF_INIT;
        sl_error err;
        sl_error_clear(&err);
        int rc = sl_eval_text(cases[i].expr, &out, &err);
        const char *want = cases[i].want;
        if (want[0] == '!') {
            sl_errcode code = want[1] == 'A' ? SL_ERR_ANALYSIS
                              : want[1] == 'S' ? SL_ERR_SYNTAX : SL_ERR_EVAL;
            cr_expect_eq(rc, -1, "[%s] %s: expected an error, got %s", suite, cases[i].expr,
                         sl_buf_cstr(&out));
            if (rc == -1) {
                cr_expect_eq(err.code, code, "[%s] %s: error code %s (%s), expected %s", suite,
                             cases[i].expr, sl_errcode_name(err.code), err.msg,
                             sl_errcode_name(code));
                cr_expect(strstr(err.msg, want + 3) != NULL,
                          "[%s] %s: message '%s' lacks '%s'", suite, cases[i].expr, err.msg,
                          want + 3);
            }
        } else {
            cr_expect_eq(rc, 0, "[%s] %s: unexpected error: %s", suite, cases[i].expr, err.msg);
            if (rc == 0)
                cr_expect_str_eq(sl_buf_cstr(&out), want, "[%s] %s", suite, cases[i].expr);
        }
        sl_buf_fini(&out);
    }
}

#define CHECK(suite, cases) check_cases(suite, cases, sizeof cases / sizeof cases[0])

Test(expr, literals)
{
    static const ecase cases[] = {
        {"1", "1"},
        {"123456789012", "123456789012"},
        {"99999999999999999999", "!S out of range"},
        {"1.50", "1.50"},
        {"0.05", "0.05"},
        {"1.5E3", "1500.0"},
        {"'it''s'", "\"it's\""},
        {"''", "\"\""},
        {"TRUE", "true"},
        {"false", "false"},
        {"NULL", "null"},
    };
    CHECK("literals", cases);
}

Test(expr, integer_arithmetic)
{
    static const ecase cases[] = {
        {"1 + 2", "3"},
        {"1 - 5", "-4"},
        {"6 * 7", "42"},
        {"7 / 2", "3"},
        {"-7 / 2", "-3"},
        {"7 % 3", "1"},
        {"-7 % 3", "-1"},
        {"2 + 3 * 4", "14"},
        {"(2 + 3) * 4", "20"},
        {"-(3)", "-3"},
        {"+3", "3"},
        {"2147483647 + 1", "!E INTEGER overflow"},
        {"-2147483647 - 2", "!E INTEGER overflow"},
        {"65536 * 65536", "!E INTEGER overflow"},
        {"2147483647 + 1 + 0 * 2147483648", "!E INTEGER overflow"},
        {"2147483648 + 1", "2147483649"},
        {"9223372036854775807 + 1", "!E BIGINT overflow"},
        {"4294967296 * 4294967296", "!E BIGINT overflow"},
        {"-(-2147483647 - 1)", "!E overflow"},
        {"(-2147483647 - 1) / -1", "!E overflow"},
        {"(-2147483647 - 1) % -1", "0"},
        {"1 / 0", "!E division by zero"},
        {"1 % 0", "!E division by zero"},
        {"4294967296 / 0", "!E division by zero"},
        {"NULL + 1", "null"},
        {"1 * NULL", "null"},
        {"NULL / 0", "null"},
    };
    CHECK("integer", cases);
}

Test(expr, decimal_and_double_arithmetic)
{
    static const ecase cases[] = {
        {"1 + 2.5", "3.5"},
        {"1.10 + 2.205", "3.305"},
        {"1.10 - 2.205", "-1.105"},
        {"1.5 * 2.25", "3.375"},
        {"1.0 / 3", "0.333333333333"},
        {"10.0 / 4", "2.500000000000"},
        {"2 / 3.0", "0.666667"},
        {"-2 / 3.0", "-0.666667"},
        {"5.5 % 2", "1.5"},
        {"-5.5 % 2", "-1.5"},
        {"1.0 / 0", "!E division by zero"},
        {"1.0 % 0.0", "!E division by zero"},
        {"CAST('99999999999999999999999999999999999999' AS DECIMAL(38, 0)) + 1", "!E decimal overflow"},
        {"CAST('9999999999999999999999999999999999999.9' AS DECIMAL(38, 1)) * 10", "!E decimal overflow"},
        {"CAST(1 AS DECIMAL(38, 10)) / CAST(3 AS DECIMAL(38, 10))", "0.333333"},
        {"1.5 + 1E0", "2.5"},
        {"0.1E0 + 0.2E0", "0.30000000000000004"},
        {"1 + 1E0", "2.0"},
        {"1E0 / 0", "\"Infinity\""},
        {"-1E0 / 0", "\"-Infinity\""},
        {"0E0 / 0", "\"NaN\""},
        {"5E0 % 3", "2.0"},
        {"-(1.25)", "-1.25"},
        {"-(2.5E0)", "-2.5"},
    };
    CHECK("decimal", cases);
}

Test(expr, strings)
{
    static const ecase cases[] = {
        {"'a' + 'b'", "\"ab\""},
        {"'a' || 'b' || 'c'", "\"abc\""},
        {"'h\xc3\xa9' || 'llo'", "\"h\xc3\xa9llo\""},
        {"'a' || NULL", "null"},
        {"'a' + 1", "!A operator '+' cannot be applied to VARCHAR and INTEGER"},
        {"1 || 2", "!A operator '||'"},
        {"TRUE + 1", "!A cannot be applied to BOOLEAN and INTEGER"},
    };
    CHECK("strings", cases);
}

Test(expr, comparisons)
{
    static const ecase cases[] = {
        {"1 = 1", "true"},
        {"1 = 1.0", "true"},
        {"1 = 1E0", "true"},
        {"1.10 = 1.1", "true"},
        {"1 < 2.5", "true"},
        {"3000000000 > 2", "true"},
        {"2 >= 2", "true"},
        {"2 <= 1", "false"},
        {"1 <> 2", "true"},
        {"1 != 1", "false"},
        {"'a' < 'b'", "true"},
        {"'b' <= 'a'", "false"},
        {"'abc' = 'abc'", "true"},
        {"'ab' < 'abc'", "true"},
        {"TRUE = FALSE", "false"},
        {"FALSE < TRUE", "true"},
        {"NULL = NULL", "null"},
        {"1 = NULL", "null"},
        {"'a' = 1", "!A cannot compare VARCHAR with INTEGER"},
        {"TRUE = 1", "!A cannot compare BOOLEAN with INTEGER"},
        {"CAST('2021-01-01' AS TIMESTAMP) > '2020-12-31'", "true"},
        {"CAST('2021-01-01' AS DATE) = '2021-01-01'", "true"},
        {"CAST('2021-01-01' AS TIMESTAMP) > 'garbage'", "!E cannot cast 'garbage' to TIMESTAMP"},
        {"ARRAY[1, 2] = ARRAY[1, 2]", "true"},
        {"ARRAY[1, 2] = ARRAY[2, 1]", "false"},
        {"ARRAY[1] <> ARRAY[1.5]", "true"},
        {"MAP('a' := 1, 'b' := 2) = MAP('b' := 2, 'a' := 1)", "true"},
        {"STRUCT(A := 1) = STRUCT(A := 1)", "true"},
        {"ARRAY[1] < ARRAY[2]", "!A can only be compared for equality"},
    };
    CHECK("comparisons", cases);
}

Test(expr, logic)
{
    static const ecase cases[] = {
        {"TRUE AND TRUE", "true"},
        {"TRUE AND NULL", "null"},
        {"NULL AND TRUE", "null"},
        {"FALSE AND NULL", "false"},
        {"NULL AND FALSE", "false"},
        {"TRUE OR NULL", "true"},
        {"NULL OR TRUE", "true"},
        {"NULL OR FALSE", "null"},
        {"FALSE OR FALSE", "false"},
        {"NOT TRUE", "false"},
        {"NOT NULL", "null"},
        {"NOT (1 > 2)", "true"},
        {"FALSE AND 1 / 0 = 1", "false"},
        {"TRUE OR 1 / 0 = 1", "true"},
        {"TRUE AND 1 / 0 = 1", "!E division by zero"},
        {"1 AND TRUE", "!A AND cannot be applied to INTEGER and BOOLEAN"},
        {"NOT 'x'", "!A NOT cannot be applied to VARCHAR"},
    };
    CHECK("logic", cases);
}

Test(expr, between_in_null_distinct)
{
    static const ecase cases[] = {
        {"5 BETWEEN 1 AND 10", "true"},
        {"1 BETWEEN 1 AND 10", "true"},
        {"10 BETWEEN 1 AND 10", "true"},
        {"11 BETWEEN 1 AND 10", "false"},
        {"5 NOT BETWEEN 1 AND 10", "false"},
        {"2.5 BETWEEN 2 AND 3", "true"},
        {"'b' BETWEEN 'a' AND 'c'", "true"},
        {"NULL BETWEEN 1 AND 2", "null"},
        {"5 BETWEEN NULL AND 4", "false"},
        {"5 BETWEEN NULL AND 10", "null"},
        {"5 NOT BETWEEN NULL AND 10", "null"},
        {"5 BETWEEN 'a' AND 10", "!A cannot compare"},
        {"2 IN (1, 2, 3)", "true"},
        {"4 IN (1, 2, 3)", "false"},
        {"1 IN (1, NULL)", "true"},
        {"4 IN (1, NULL)", "null"},
        {"NULL IN (1, 2)", "null"},
        {"4 NOT IN (1, 2)", "true"},
        {"2 NOT IN (1, 2)", "false"},
        {"4 NOT IN (1, NULL)", "null"},
        {"'a' IN ('b', 'a')", "true"},
        {"1 IN (1.0, 2)", "true"},
        {"3000000000 IN (1, 3000000000)", "true"},
        {"1 IN ('a')", "!A cannot compare"},
        {"NULL IS NULL", "true"},
        {"1 IS NULL", "false"},
        {"1 IS NOT NULL", "true"},
        {"NULL IS NOT NULL", "false"},
        {"1 / 0 IS NULL", "!E division by zero"},
        {"1 IS DISTINCT FROM 1", "false"},
        {"1 IS DISTINCT FROM 2", "true"},
        {"1 IS DISTINCT FROM NULL", "true"},
        {"NULL IS DISTINCT FROM NULL", "false"},
        {"NULL IS NOT DISTINCT FROM NULL", "true"},
        {"1 IS NOT DISTINCT FROM 1.0", "true"},
        {"'a' IS DISTINCT FROM 1", "!A cannot compare"},
    };
    CHECK("between/in/null", cases);
}

Test(expr, like)
{
    static const ecase cases[] = {
        {"'abc' LIKE 'abc'", "true"},
        {"'abc' LIKE 'a%'", "true"},
        {"'abc' LIKE '%c'", "true"},
        {"'abc' LIKE '%b%'", "true"},
        {"'abc' LIKE 'a_c'", "true"},
        {"'abc' LIKE 'a_'", "false"},
        {"'abc' LIKE '___'", "true"},
        {"'abc' LIKE '____'", "false"},
        {"'abc' LIKE '%'", "true"},
        {"'' LIKE '%'", "true"},
        {"'' LIKE '_'", "false"},
        {"'' LIKE ''", "true"},
        {"'ABC' LIKE 'abc'", "false"},
        {"'mississippi' LIKE '%iss%ipp%'", "true"},
        {"'mississippi' LIKE '%iss%ipx%'", "false"},
        {"'aaa' LIKE '%a%a%a%'", "true"},
        {"'aa' LIKE '%a%a%a%'", "false"},
        {"'h\xc3\xa9llo' LIKE 'h_llo'", "true"},
        {"'\xe2\x82\xac' LIKE '_'", "true"},
        {"'a.c' LIKE 'a.c'", "true"},
        {"'abc' LIKE 'a.c'", "false"},
        {"'a%c' LIKE 'a!%c' ESCAPE '!'", "true"},
        {"'abc' LIKE 'a!%c' ESCAPE '!'", "false"},
        {"'a_c' LIKE 'a!_c' ESCAPE '!'", "true"},
        {"'a!c' LIKE 'a!!c' ESCAPE '!'", "true"},
        {"'abc' NOT LIKE 'a%'", "false"},
        {"'abc' NOT LIKE 'x%'", "true"},
        {"NULL LIKE 'a'", "null"},
        {"'abc' LIKE NULL", "null"},
        {"'abc' LIKE 'abc!' ESCAPE '!'", "!A ends with the escape character"},
        {"'a' LIKE 'a' ESCAPE 'xy'", "!S single character"},
        {"1 LIKE 'a'", "!A LIKE needs VARCHAR"},
    };
    CHECK("like", cases);
}

Test(expr, case_expressions)
{
    static const ecase cases[] = {
        {"CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' ELSE 'c' END", "\"b\""},
        {"CASE WHEN 1 > 2 THEN 'a' ELSE 'c' END", "\"c\""},
        {"CASE WHEN FALSE THEN 1 END", "null"},
        {"CASE WHEN NULL THEN 1 ELSE 2 END", "2"},
        {"CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END", "\"two\""},
        {"CASE 3 WHEN 1 THEN 'one' ELSE 'many' END", "\"many\""},
        {"CASE NULL WHEN NULL THEN 1 ELSE 0 END", "0"},
        {"CASE 1 WHEN 1.0 THEN 'y' END", "\"y\""},
        {"CASE WHEN TRUE THEN 1 ELSE 2.5 END", "1.0"},
        {"CASE WHEN TRUE THEN 1 ELSE 2E0 END", "1.0"},
        {"CASE WHEN TRUE THEN NULL ELSE 'x' END", "null"},
        {"CASE WHEN FALSE THEN 1 / 0 ELSE 3 END", "3"},
        {"CASE WHEN TRUE THEN 1 / 0 ELSE 3 END", "!E division by zero"},
        {"CASE WHEN TRUE THEN 1 ELSE 'x' END", "!A incompatible types INTEGER and VARCHAR"},
        {"CASE WHEN 1 THEN 1 END", "!A WHEN must be a BOOLEAN"},
        {"CASE 1 WHEN 'a' THEN 1 END", "!A cannot compare"},
    };
    CHECK("case", cases);
}

Test(expr, casts)
{
    static const ecase cases[] = {
        {"CAST(1.7 AS INT)", "1"},
        {"CAST(-1.7 AS BIGINT)", "-1"},
        {"CAST(1.7E0 AS INTEGER)", "1"},
        {"CAST(1E10 AS INT)", "!E out of range for INTEGER"},
        {"CAST(3000000000 AS INT)", "!E out of range for INTEGER"},
        {"CAST('12' AS BIGINT)", "12"},
        {"CAST('x' AS INT)", "!E cannot cast 'x' to INTEGER"},
        {"CAST('1.25' AS DOUBLE)", "1.25"},
        {"CAST('yes' AS BOOLEAN)", "true"},
        {"CAST(3 AS DECIMAL(4, 2))", "3.00"},
        {"CAST(2.345 AS DECIMAL(3, 2))", "2.35"},
        {"CAST(123 AS DECIMAL(4, 2))", "!E does not fit DECIMAL(4, 2)"},
        {"CAST(1 AS VARCHAR)", "\"1\""},
        {"CAST(1.5E0 AS STRING)", "\"1.5\""},
        {"CAST(TRUE AS STRING)", "\"true\""},
        {"CAST(ARRAY[1, 2] AS STRING)", "\"[1, 2]\""},
        {"CAST(NULL AS INT)", "null"},
        {"CAST(NULL AS INT) IS NULL", "true"},
        {"CAST('2021-03-04' AS DATE)", "\"2021-03-04\""},
        {"CAST('2021-03-04T05:06:07.089' AS TIMESTAMP)", "\"2021-03-04T05:06:07.089\""},
        {"CAST(CAST('2021-03-04T05:06:07' AS TIMESTAMP) AS DATE)", "\"2021-03-04\""},
        {"CAST(CAST('2021-03-04T05:06:07' AS TIMESTAMP) AS TIME)", "\"05:06:07\""},
        {"CAST(CAST('2021-03-04' AS DATE) AS TIMESTAMP)", "\"2021-03-04T00:00:00.000\""},
        {"CAST('10:11:12' AS TIME)", "\"10:11:12\""},
        {"CAST(ARRAY['1', '2'] AS ARRAY<INT>)", "[1,2]"},
        {"CAST(MAP('a' := 1) AS MAP<STRING, DOUBLE>)", "{\"a\":1.0}"},
        {"CAST(STRUCT(A := '1', B := 2) AS STRUCT<A INT, C INT>)", "{\"A\":1,\"C\":null}"},
        {"CAST(1 AS BOOLEAN)", "!A cannot cast INTEGER to BOOLEAN"},
        {"CAST(TRUE AS INT)", "!A cannot cast BOOLEAN to INTEGER"},
        {"CAST(1 AS DECIMAL(40, 2))", "!S DECIMAL precision must be between 1 and 38"},
        {"CAST(1 AS DECIMAL(2, 3))", "!S DECIMAL scale"},
        {"CAST(MAP('a' := 1) AS MAP<INT, INT>)", "!A MAP keys must be VARCHAR"},
        {"CAST(1 AS NOSUCHTYPE)", "!A type 'NOSUCHTYPE' is not defined"},
    };
    CHECK("casts", cases);
}

Test(expr, collections)
{
    static const ecase cases[] = {
        {"ARRAY[1, 2, 3]", "[1,2,3]"},
        {"ARRAY[1, 2.5]", "[1.0,2.5]"},
        {"ARRAY[1, NULL]", "[1,null]"},
        {"ARRAY['a', 1]", "!A ARRAY items have incompatible types"},
        {"ARRAY[10, 20, 30][1]", "10"},
        {"ARRAY[10, 20, 30][3]", "30"},
        {"ARRAY[10, 20, 30][-1]", "30"},
        {"ARRAY[10, 20, 30][-3]", "10"},
        {"ARRAY[10, 20, 30][0]", "null"},
        {"ARRAY[10, 20, 30][4]", "null"},
        {"ARRAY[10, 20, 30][-4]", "null"},
        {"ARRAY[10, 20, 30][NULL]", "null"},
        {"ARRAY[10, 20, 30][1 + 1]", "20"},
        {"ARRAY[ARRAY[1], ARRAY[2, 3]][2][1]", "2"},
        {"ARRAY[1]['a']", "!A array index must be an INTEGER"},
        {"MAP('a' := 1, 'b' := 2)", "{\"a\":1,\"b\":2}"},
        {"MAP('a' := 1, 'a' := 2)", "{\"a\":2}"},
        {"MAP('a' := 1, 'b' := NULL)", "{\"a\":1,\"b\":null}"},
        {"MAP('a' := 1, 'b' := 2)['b']", "2"},
        {"MAP('a' := 1, 'b' := 2)['z']", "null"},
        {"MAP('a' := 1)[NULL]", "null"},
        {"MAP('a' := 1)[1]", "!A cannot be looked up with INTEGER"},
        {"MAP(1 := 'a')", "!A MAP keys must be VARCHAR"},
        {"1[1]", "!A only an ARRAY or a MAP can be subscripted"},
        {"STRUCT(A := 1, B := 'x')", "{\"A\":1,\"B\":\"x\"}"},
        {"STRUCT(A := 1, B := 'x')->B", "\"x\""},
        {"STRUCT(A := STRUCT(C := 2.5))->A->C", "2.5"},
        {"STRUCT(A := 1)->C", "!A has no field 'C'"},
        {"STRUCT(A := 1, A := 2)", "!A duplicate STRUCT field 'A'"},
        {"(1)->A", "!A needs a STRUCT"},
    };
    CHECK("collections", cases);
}

Test(expr, functions_and_lambdas)
{
    static const ecase cases[] = {
        {"ABS(-3)", "3"},
        {"UCASE('abc')", "\"ABC\""},
        {"UCASE(NULL)", "null"},
        {"NOSUCHFN(1)", "!A can't find any functions with the name 'NOSUCHFN'"},
        {"UCASE(1, 2)", "!A does not accept"},
        {"TRANSFORM(ARRAY[1, 2, 3], x => x * 10)", "[10,20,30]"},
        {"FILTER(ARRAY[1, 2, 3, 4], x => x % 2 = 0)", "[2,4]"},
        {"REDUCE(ARRAY[1, 2, 3], 0, (s, x) => s + x)", "6"},
        {"TRANSFORM(ARRAY[ARRAY[1, 2], ARRAY[3]], a => TRANSFORM(a, x => x + 1))", "[[2,3],[4]]"},
        {"TRANSFORM(ARRAY[1, 0], x => 10 / x)", "!E division by zero"},
        {"x => x", "!S =>"},
        {"COUNT(1)", "!A aggregate function 'COUNT' cannot be used here"},
    };
    CHECK("functions", cases);
}

/* ---- columns against a hand-built schema and row ---- */

static sl_arena *A;
static sl_schema schema;
static sl_value rowvals[8];
static sl_row row;

static void col_setup(void)
{
    A = sl_arena_new(0);
    static sl_column cols[8];
    sl_field addr[2] = {{"CITY", &SL_TYPE_STRING}, {"ZIP", &SL_TYPE_INT}};
    cols[0] = (sl_column){.name = "ID", .type = &SL_TYPE_BIGINT, .kind = SL_COLK_KEY, .qualifier = "S"};
    cols[1] = (sl_column){.name = "NAME", .type = &SL_TYPE_STRING, .qualifier = "S"};
    cols[2] = (sl_column){.name = "PRICE", .type = sl_type_decimal(A, 10, 2), .qualifier = "S"};
    cols[3] = (sl_column){.name = "TAGS", .type = sl_type_array(A, &SL_TYPE_STRING), .qualifier = "S"};
    cols[4] = (sl_column){.name = "ADDR", .type = sl_type_struct(A, addr, 2), .qualifier = "S"};
    cols[5] = (sl_column){.name = "M", .type = sl_type_map(A, &SL_TYPE_STRING, &SL_TYPE_INT), .qualifier = "S"};
    cols[6] = (sl_column){.name = "ID", .type = &SL_TYPE_INT, .qualifier = "T"};
    cols[7] = (sl_column){.name = "NOTE", .type = &SL_TYPE_STRING, .qualifier = "T"};
    schema.ncols = 8;
    schema.cols = cols;
    rowvals[0] = sl_bigint(42);
    rowvals[1] = sl_string_ref("bob", 3);
    rowvals[2] = sl_decimal(1999, 10, 2);
    rowvals[3] = sl_array_new(A, 2);
    rowvals[3].u.arr.items[0] = sl_string_ref("x", 1);
    rowvals[3].u.arr.items[1] = sl_string_ref("y", 1);
    rowvals[4] = sl_struct_new(A, 2);
    rowvals[4].u.st.fields[0] = sl_string_ref("Paris", 5);
    rowvals[4].u.st.fields[1] = sl_int(75001);
    rowvals[5] = sl_map_new(A, 1);
    rowvals[5].u.map.keys[0] = sl_string_ref("k", 1);
    rowvals[5].u.map.vals[0] = sl_int(7);
    rowvals[6] = sl_int(7);
    rowvals[7] = sl_null();
    row = (sl_row){.cols = rowvals, .ncols = 8, .rowtime = 1000, .partition = 3, .offset = 99,
                   .windowed = true, .window_start = 0, .window_end = 60000};
}

static void col_teardown(void) { sl_arena_free(A); }

/* Compiles text against the schema; on success evaluates it on the row and
 * returns the JSON (or "!E msg"); on a compile error returns "!A msg" and
 * the span in *span. */
static const char *run(const char *text, bool pseudo, bool windowed, sl_span *span)
{
    static char res[700];
    sl_arena *a = sl_arena_new(0);
    sl_expr *e;
    sl_error err;
    sl_error_clear(&err);
    if (sl_parse_expr(text, strlen(text), a, &e, &err)) {
        snprintf(res, sizeof res, "!P %s", err.msg);
        sl_arena_free(a);
        return res;
    }
    sl_scope scope = {.schema = &schema, .pseudocolumns = pseudo, .windowed = windowed};
    sl_cexpr *ce = sl_expr_compile(e, &scope, a, &err);
    if (!ce) {
        snprintf(res, sizeof res, "!A %s", err.msg);
        if (span)
            *span = err.span;
        sl_arena_free(a);
        return res;
    }
    sl_evalctx cx = {.arena = a, .row = &row};
    cx.nslots = sl_cexpr_slots(ce);
    cx.slots = sl_arena_zalloc(a, sizeof(sl_value) * (size_t)(cx.nslots + 1));
    sl_value v;
    if (sl_cexpr_eval(ce, &cx, &v)) {
        snprintf(res, sizeof res, "!E %s", cx.err.msg);
        if (span)
            *span = cx.err.span;
    } else {
        sl_buf b = SL_BUF_INIT;
        sl_value_render(&b, &v, sl_cexpr_type(ce), SL_RENDER_JSON);
        snprintf(res, sizeof res, "%s", sl_buf_cstr(&b));
        sl_buf_fini(&b);
    }
    sl_cexpr_release(ce);
    sl_arena_free(a);
    return res;
}

TestSuite(columns, .init = col_setup, .fini = col_teardown);

Test(columns, values_and_types)
{
    static const ecase cases[] = {
        {"NAME", "\"bob\""},
        {"S.ID + 1", "43"},
        {"T.ID * 2", "14"},
        {"S.ID > T.ID", "true"},
        {"PRICE * 2", "39.98"},
        {"PRICE + 0.005", "19.995"},
        {"TAGS[2]", "\"y\""},
        {"TAGS[-1] || NAME", "\"ybob\""},
        {"TAGS[5]", "null"},
        {"ADDR->CITY", "\"Paris\""},
        {"ADDR->ZIP + 1", "75002"},
        {"M['k']", "7"},
        {"M['nope']", "null"},
        {"NOTE IS NULL", "true"},
        {"NOTE || 'x'", "null"},
        {"UCASE(NAME)", "\"BOB\""},
        {"TRANSFORM(TAGS, t => t || NAME)", "[\"xbob\",\"ybob\"]"},
        {"CASE WHEN S.ID > 40 THEN NAME ELSE 'small' END", "\"bob\""},
        {"NAME LIKE 'b%'", "true"},
        {"S.ID IN (1, 42)", "true"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(run(cases[i].expr, true, true, NULL), cases[i].want, "%s", cases[i].expr);
}

Test(columns, pseudocolumns)
{
    cr_expect_str_eq(run("ROWTIME", true, false, NULL), "1000");
    cr_expect_str_eq(run("ROWPARTITION", true, false, NULL), "3");
    cr_expect_str_eq(run("ROWOFFSET + 1", true, false, NULL), "100");
    cr_expect_str_eq(run("WINDOWEND - WINDOWSTART", true, true, NULL), "60000");
    cr_expect(strstr(run("ROWTIME", false, false, NULL), "!A pseudocolumn 'ROWTIME'") != NULL);
    cr_expect(strstr(run("WINDOWSTART", true, false, NULL),
                     "!A pseudocolumn 'WINDOWSTART' is only available in windowed queries") != NULL);
}

Test(columns, errors_carry_spans)
{
    sl_span sp = SL_NOSPAN;
    const char *r = run("1 + FOO", true, true, &sp);
    cr_expect_str_eq(r, "!A column 'FOO' cannot be resolved");
    cr_expect_eq(sp.off, 4);
    cr_expect_eq(sp.len, 3);

    sp = SL_NOSPAN;
    r = run("NAME = ID", true, true, &sp);
    cr_expect(strstr(r, "!A column 'ID' is ambiguous") != NULL, "%s", r);
    cr_expect_eq(sp.off, 7);
    cr_expect_eq(sp.len, 2);

    sp = SL_NOSPAN;
    r = run("X.NAME", true, true, &sp);
    cr_expect_str_eq(r, "!A column 'X.NAME' cannot be resolved");
    cr_expect_eq(sp.off, 0);

    sp = SL_NOSPAN;
    r = run("NAME + 1", true, true, &sp);
    cr_expect_str_eq(r, "!A operator '+' cannot be applied to VARCHAR and INTEGER");
    cr_expect_eq(sp.off, 0);
    cr_expect_eq(sp.len, 8);

    sp = SL_NOSPAN;
    r = run("1 + S.ID / (T.ID - 7)", true, true, &sp);
    cr_expect_str_eq(r, "!E division by zero");
    cr_expect_eq(sp.off, 4, "the row error points at the division");
    cr_expect_eq(sp.len, 17);
}

Test(columns, constness_and_slots)
{
    sl_arena *a = A;
    sl_error err;
    struct { const char *text; bool constant; int slots; } cases[] = {
        {"1 + 2 * 3", true, 0},
        {"UCASE('a') || 'b'", true, 0},
        {"S.ID + 1", false, 0},
        {"CAST('x' AS INT)", false, 0},     /* fails: left to fail per row */
        {"RANDOM() * 0", false, 0},         /* nondeterministic: never folded */
        {"ABS(-2.5) + 1", true, 0},
        {"TRANSFORM(ARRAY[1], x => x + 1)", false, 1},
        {"REDUCE(TAGS, '', (s, t) => s || t)", false, 2},
    };
    sl_scope scope = {.schema = &schema};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_expr *e;
        cr_assert_eq(sl_parse_expr(cases[i].text, strlen(cases[i].text), a, &e, &err), 0);
        sl_cexpr *ce = sl_expr_compile(e, &scope, a, &err);
        cr_assert_not_null(ce, "%s: %s", cases[i].text, err.msg);
        cr_expect_eq(sl_cexpr_is_constant(ce), cases[i].constant, "%s", cases[i].text);
        cr_expect_eq(sl_cexpr_slots(ce), cases[i].slots, "%s", cases[i].text);
        sl_cexpr_release(ce);
    }
}

/* ---- sl_type_from_ast on hand-built types (the parser rejects some of these itself) ---- */

static const sl_type *alias_lookup(void *ud, const char *name)
{
    return strcmp(name, "MONEY") == 0 ? (const sl_type *)ud : NULL;
}

Test(types_from_ast, validation_and_aliases)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err;
    sl_ast_type dec = {.kind = SL_DECIMAL, .span = {5, 13}, .precision = 40, .scale = 2};
    sl_error_clear(&err);
    cr_expect_null(sl_type_from_ast(&dec, NULL, a, &err));
    cr_expect(strstr(err.msg, "precision must be between 1 and 38") != NULL, "%s", err.msg);
    cr_expect_eq(err.span.off, 5);
    dec.precision = 4;
    dec.scale = 5;
    cr_expect_null(sl_type_from_ast(&dec, NULL, a, &err));
    cr_expect(strstr(err.msg, "scale") != NULL, "%s", err.msg);
    dec.scale = 2;
    cr_expect_str_eq(sl_type_str(a, sl_type_from_ast(&dec, NULL, a, &err)), "DECIMAL(4, 2)");

    sl_ast_type intt = {.kind = SL_INT, .span = {4, 3}};
    sl_ast_type strt = {.kind = SL_STRING};
    sl_ast_type map = {.kind = SL_MAP, .key = &intt, .elem = &strt};
    cr_expect_null(sl_type_from_ast(&map, NULL, a, &err));
    cr_expect(strstr(err.msg, "MAP keys must be VARCHAR") != NULL, "%s", err.msg);
    cr_expect_eq(err.span.off, 4);
    map.key = &strt;
    map.elem = &intt;
    cr_expect_str_eq(sl_type_str(a, sl_type_from_ast(&map, NULL, a, &err)), "MAP<VARCHAR, INTEGER>");

    sl_ast_type alias = {.kind = SL_NULL, .name = {.name = "MONEY"}};
    sl_ast_type arr = {.kind = SL_ARRAY, .elem = &alias};
    const sl_type *money = sl_type_decimal(a, 10, 2);
    sl_scope scope = {.lookup_type = alias_lookup, .lookup_ud = (void *)money};
    cr_expect_str_eq(sl_type_str(a, sl_type_from_ast(&arr, &scope, a, &err)), "ARRAY<DECIMAL(10, 2)>");
    alias.name.name = "NOPE";
    cr_expect_null(sl_type_from_ast(&arr, &scope, a, &err));
    cr_expect(strstr(err.msg, "type 'NOPE' is not defined") != NULL, "%s", err.msg);
    sl_arena_free(a);
}
