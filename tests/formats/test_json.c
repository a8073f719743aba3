/*
 * test_json.c: the JSON codec (formats/json.c): every type, case-insensitive
 * names, skipped fields, nested types, exact decimals, escapes and UTF-8,
 * malformed input of every kind (including every truncation of a valid
 * record), unwrapped single values, the encoder and round trips, and the
 * format checks and names of format.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fmt_test.h"

static sl_arena *A;
static sl_error err;

static void setup(void) { A = sl_arena_new(0); }
static void teardown(void) { sl_arena_free(A); }

TestSuite(json, .init = setup, .fini = teardown);

static const sl_type *dec(int p, int s) { return sl_type_decimal(A, p, s); }
static const sl_type *arr(const sl_type *e) { return sl_type_array(A, e); }
static const sl_type *map(const sl_type *v) { return sl_type_map(A, &SL_TYPE_STRING, v); }
static const sl_type *st2(const char *a, const sl_type *ta, const char *b, const sl_type *tb)
{
    sl_field f[2] = {{a, ta}, {b, tb}};
    return sl_type_struct(A, f, 2);
}

static const sl_format_opts JSONV = {.kind = SL_FMT_JSON};

/* Decodes {"C": <value>} into one column of type t. Returns the shown value,
 * or "ERR: message". */
static const char *one(const sl_type *t, const char *value)
{
    static char out[8192];
    sl_column c = col("C", t);
    sl_decoder *d = sl_decoder_new(&JSONV, &c, 1, NULL, &err);
    cr_assert(d, "decoder: %s", err.msg);
    char rec[600];
    snprintf(rec, sizeof rec, "{\"C\":%s}", value);
    sl_value v;
    if (decode_exact(d, rec, strlen(rec), A, &v, &err) < 0)
        snprintf(out, sizeof out, "ERR: %s", err.msg);
    else
        snprintf(out, sizeof out, "%s", show_row(&v, 1));
    sl_decoder_free(d);
    return out;
}

typedef struct vcase {
    int type;               /* index into the types built below */
    const char *json;
    const char *want;       /* shown value, or "ERR:" followed by a part of the message */
} vcase;

Test(json, values_of_every_type)
{
    const sl_type *types[] = {
        &SL_TYPE_BOOLEAN, &SL_TYPE_INT, &SL_TYPE_BIGINT, &SL_TYPE_DOUBLE,
        dec(25, 5), &SL_TYPE_STRING, &SL_TYPE_BYTES, &SL_TYPE_TIMESTAMP,
        &SL_TYPE_DATE, &SL_TYPE_TIME, dec(3, 2), dec(5, 1),
    };
    enum { BO, IN, BI, DO, D255, ST, BY, TS, DA, TI, D32, D51 };
    static const vcase cases[] = {
        {BO, "true", "b:true"},
        {BO, "false", "b:false"},
        {BO, "null", "null"},
        {BO, "\"true\"", "ERR:cannot convert a string to BOOLEAN"},
        {BO, "1", "ERR:cannot convert a number to BOOLEAN"},
        {IN, "42", "i:42"},
        {IN, "-2147483648", "i:-2147483648"},
        {IN, "2147483647", "i:2147483647"},
        {IN, "2147483648", "ERR:out of range for INTEGER"},
        {IN, "\"17\"", "i:17"},
        {IN, "\"+17\"", "i:17"},
        {IN, "\" 17\"", "ERR:cannot coerce string ' 17' to INTEGER"},
        {IN, "\"1.5\"", "ERR:cannot coerce string"},
        {IN, "1.9", "i:1"},
        {IN, "-1.9", "i:-1"},
        {IN, "1e3", "i:1000"},
        {IN, "2.5E1", "i:25"},
        {IN, "true", "ERR:cannot convert a boolean to INTEGER"},
        {IN, "[1]", "ERR:cannot convert an array to INTEGER"},
        {IN, "{}", "ERR:cannot convert an object to INTEGER"},
        {IN, "null", "null"},
        {BI, "9223372036854775807", "l:9223372036854775807"},
        {BI, "-9223372036854775808", "l:-9223372036854775808"},
        {BI, "9223372036854775808", "ERR:out of range for BIGINT"},
        {BI, "123456789012345678901234567890", "ERR:out of range"},
        {BI, "\"-5\"", "l:-5"},
        {BI, "0", "l:0"},
        {BI, "-0", "l:0"},
        {DO, "1.5", "d:1.5"},
        {DO, "-0.1", "d:-0.10000000000000001"},
        {DO, "3", "d:3"},
        {DO, "1e300", "d:1.0000000000000001e+300"},
        {DO, "2.2250738585072014e-308", "d:2.2250738585072014e-308"},
        {DO, "0.1234567890123456789", "d:0.12345678901234568"},
        {DO, "\"2.5\"", "d:2.5"},
        {DO, "\"NaN\"", "d:nan"},
        {DO, "\"abc\"", "ERR:cannot coerce string 'abc' to DOUBLE"},
        {D255, "12345678901234567890.12345", "n:12345678901234567890.12345"},
        {D255, "-12345678901234567890.1", "n:-12345678901234567890.10000"},
        {D255, "\"12345678901234567890.12345\"", "n:12345678901234567890.12345"},
        {D255, "0.00001", "n:0.00001"},
        {D255, "1E+3", "n:1000.00000"},
        {D255, "123456789012345678901.0", "ERR:does not fit DECIMAL(25, 5)"},
        {D255, "0.000001", "ERR:without rounding"},
        {D32, "1.5", "n:1.50"},
        {D32, "-9.99", "n:-9.99"},
        {D32, "1.230000", "n:1.23"},
        {D32, "1.234", "ERR:cannot fit decimal '1.234' into DECIMAL(3, 2) without rounding"},
        {D32, "10", "ERR:numeric field overflow"},
        {D32, "\"abc\"", "ERR:cannot coerce string 'abc' to DECIMAL(3, 2)"},
        {D32, "true", "ERR:cannot convert a boolean to DECIMAL(3, 2)"},
        {D51, "1e2", "n:100.0"},
        {D51, "25e-1", "n:2.5"},
        {D51, "0e999999999999", "n:0.0"},
        {ST, "\"hello\"", "s'hello'"},
        {ST, "\"\"", "s''"},
        {ST, "\"tab\\there \\\"q\\\" \\\\ \\/\"", "s'tab\there \"q\" \\ /'"},
        {ST, "\"\\u00e9t\\u00C9\"", "s'\xc3\xa9t\xc3\x89'"},
        {ST, "\"\\ud83d\\ude00!\"", "s'\xf0\x9f\x98\x80!'"},
        {ST, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "s'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'"},
        {ST, "10", "s'10'"},
        {ST, "1.50", "s'1.50'"},
        {ST, "true", "s'true'"},
        {ST, "{\"a\": 1, \"b\": [1, 2]}", "s'{\"a\":1,\"b\":[1,2]}'"},
        {ST, "[\"a\", 1, null, [\"x\", true]]", "s'[a, 1, null, [x, true]]'"},
        {ST, "[]", "s'[]'"},
        {ST, "\"\\ud83d\"", "ERR:high surrogate"},
        {ST, "\"\\ud83dx\"", "ERR:high surrogate"},
        {ST, "\"\\ude00\"", "ERR:unpaired low surrogate"},
        {ST, "\"\\u00g1\"", "ERR:four hex digits"},
        {ST, "\"\\u12\"", "ERR:four hex digits"},
        {ST, "\"\\q\"", "ERR:invalid escape '\\q'"},
        {ST, "\"a\x01z\"", "ERR:control character 0x01"},
        {ST, "\"a\nb\"", "ERR:control character 0x0a"},
        {ST, "\"\xc3\x28\"", "ERR:invalid UTF-8"},
        {ST, "\"\xc0\xaf\"", "ERR:invalid UTF-8"},
        {ST, "\"\xed\xa0\x80\"", "ERR:invalid UTF-8"},
        {ST, "\"\xf4\x90\x80\x80\"", "ERR:invalid UTF-8"},
        {ST, "\"\xff\"", "ERR:invalid UTF-8"},
        {BY, "\"AAEC/w==\"", "x:000102ff"},
        {BY, "\"aGk\"", "x:6869"},
        {BY, "\"\"", "x:"},
        {BY, "\"a*==\"", "ERR:invalid base64"},
        {BY, "\"abcde\"", "ERR:invalid base64"},
        {BY, "12", "ERR:cannot convert a number to BYTES"},
        {TS, "1700000000123", "ts:1700000000123"},
        {TS, "\"1700000000123\"", "ts:1700000000123"},
        {TS, "-1", "ts:-1"},
        {TS, "\"2021-01-01\"", "ERR:cannot coerce string '2021-01-01' to TIMESTAMP"},
        {DA, "19000", "dt:19000"},
        {DA, "\"-3\"", "dt:-3"},
        {TI, "3600000", "tm:3600000"},
        {TI, "\"1000\"", "tm:1000"},
        {TI, "86400000", "ERR:TIME values must be milliseconds of the day"},
        {TI, "-1", "ERR:TIME values"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const vcase *c = &cases[i];
        const char *got = one(types[c->type], c->json);
        if (strncmp(c->want, "ERR:", 4) == 0) {
            cr_expect(strncmp(got, "ERR: ", 5) == 0 && strstr(got, c->want + 4),
                      "case %zu %s: want error containing '%s', got %s", i, c->json, c->want + 4,
                      got);
            cr_expect(strncmp(got, "ERR: ", 5) != 0 || strstr(got, "column `C`"),
                      "case %zu: the error names the column: %s", i, got);
        } else {
            cr_expect_str_eq(got, c->want, "case %zu %s", i, c->json);
        }
    }
}

Test(json, nested_types)
{
    const sl_type *inner = st2("X", &SL_TYPE_INT, "Y", arr(&SL_TYPE_STRING));
    struct { const sl_type *t; const char *json, *want; } cases[] = {
        {arr(&SL_TYPE_INT), "[1, 2 ,null, 3]", "[i:1,i:2,null,i:3]"},
        {arr(&SL_TYPE_INT), "[]", "[]"},
        {arr(arr(&SL_TYPE_BIGINT)), "[[1],[],[2,3]]", "[[l:1],[],[l:2,l:3]]"},
        {map(&SL_TYPE_INT), "{\"a\":1,\"B\":2,\"a\":3}", "{s'a'=i:3,s'B'=i:2}"},
        {map(arr(&SL_TYPE_INT)), "{\"k\\u00e9\":[1]}", "{s'k\xc3\xa9'=[i:1]}"},
        {map(&SL_TYPE_INT), "{}", "{}"},
        {inner, "{\"x\":1,\"y\":[\"a\"],\"z\":{\"deep\":[1,{}]}}", "(i:1,[s'a'])"},
        {inner, "{\"Y\":[]}", "(null,[])"},
        {inner, "{}", "(null,null)"},
        {arr(inner), "[{\"X\":1},null,{\"y\":[\"q\",null]}]", "[(i:1,null),null,(null,[s'q',null])]"},
        {arr(&SL_TYPE_INT), "[1,\"x\"]", "ERR:column `C` at C[1]: cannot coerce string 'x' to INTEGER"},
        {arr(inner), "[{},{\"X\":true}]", "ERR:at C[1].X: cannot convert a boolean to INTEGER"},
        {map(&SL_TYPE_INT), "{\"k\":\"v\"}", "ERR:at C.k: cannot coerce string 'v'"},
        {arr(&SL_TYPE_INT), "{}", "ERR:cannot convert an object to ARRAY"},
        {map(&SL_TYPE_INT), "[]", "ERR:cannot convert an array to MAP"},
        {inner, "[]", "ERR:cannot convert an array to STRUCT"},
        {inner, "\"s\"", "ERR:cannot convert a string to STRUCT"},
        {arr(&SL_TYPE_INT), "[1,]", "ERR:a JSON value is expected"},
        {arr(&SL_TYPE_INT), "[1 2]", "ERR:expected ',' or ']'"},
        {map(&SL_TYPE_INT), "{1:2}", "ERR:expected a key in quotes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = one(cases[i].t, cases[i].json);
        if (strncmp(cases[i].want, "ERR:", 4) == 0)
            cr_expect(strstr(got, cases[i].want + 4), "case %zu: want '%s', got %s", i,
                      cases[i].want + 4, got);
        else
            cr_expect_str_eq(got, cases[i].want, "case %zu", i);
    }
}

/* Decodes rec with columns cols (wanted may be NULL); shows the row or the error. */
static const char *row(const sl_format_opts *o, const sl_column *cols, int n, const bool *wanted,
                       const char *rec, size_t len)
{
    static char out[4096];
    sl_decoder *d = sl_decoder_new(o, cols, n, wanted, &err);
    cr_assert(d, "decoder: %s", err.msg);
    sl_value v[16];
    if (decode_exact(d, rec, len, A, v, &err) < 0)
        snprintf(out, sizeof out, "ERR: %s", err.msg);
    else
        snprintf(out, sizeof out, "%s", show_row(v, n));
    sl_decoder_free(d);
    return out;
}

#define ROW(o, cols, wanted, lit) row(o, cols, sizeof cols / sizeof cols[0], wanted, lit, strlen(lit))

Test(json, names_match_case_insensitively_unless_quoted)
{
    sl_column cols[] = {col("ID", &SL_TYPE_INT), col("camelCase", &SL_TYPE_STRING),
                        col("NAME", &SL_TYPE_STRING)};
    cr_expect_str_eq(ROW(&JSONV, cols, NULL, "{\"id\":1,\"camelCase\":\"a\",\"Name\":\"n\"}"),
                     "i:1 | s'a' | s'n'");
    /* a quoted (mixed-case) column matches only its exact spelling */
    cr_expect_str_eq(ROW(&JSONV, cols, NULL, "{\"CAMELCASE\":\"a\",\"camelcase\":\"b\"}"),
                     "null | null | null");
    /* an exact match wins over a case-insensitive one, in either order */
    cr_expect_str_eq(ROW(&JSONV, cols, NULL, "{\"ID\":1,\"id\":2}"), "i:1 | null | null");
    cr_expect_str_eq(ROW(&JSONV, cols, NULL, "{\"id\":2,\"ID\":1}"), "i:1 | null | null");
    /* the same name twice: the last wins */
    cr_expect_str_eq(ROW(&JSONV, cols, NULL, "{\"id\":1,\"iD\":3}"), "i:3 | null | null");
    /* escaped names are unescaped before matching */
    cr_expect_str_eq(ROW(&JSONV, cols, NULL, "{\"\\u0069d\":7}"), "i:7 | null | null");
}

Test(json, unknown_and_unwanted_fields_are_skipped)
{
    sl_column cols[] = {col("A", &SL_TYPE_INT), col("B", &SL_TYPE_INT), col("S", &SL_TYPE_STRING)};
    const char *rec =
        "{ \"x\" : {\"a\":[1,2,{\"}\":\"]\"}],\"b\":\"\\\"}\\\\\"}, \"a\" : 5 ,"
        "\"y\":[[],[[]],{}], \"b\":\"not an int\", \"z\":-1.5e-7, \"t\":true,\"n\":null,"
        "\"s\":\"x\"}";
    bool want_a_s[] = {true, false, true};
    cr_expect_str_eq(ROW(&JSONV, cols, want_a_s, rec), "i:5 | null | s'x'");
    /* with B wanted, its wrong type is an error that names it */
    const char *got = ROW(&JSONV, cols, NULL, rec);
    cr_expect(strstr(got, "ERR: JSON value, column `B`: cannot coerce string 'not an int' to "
                          "INTEGER (at byte "),
              "%s", got);
    /* nothing wanted: the record is still checked */
    bool none[] = {false, false, false};
    cr_expect_str_eq(ROW(&JSONV, cols, none, rec), "null | null | null");
    cr_expect(strncmp(ROW(&JSONV, cols, none, "{\"a\":[1,}"), "ERR:", 4) == 0);
}

Test(json, malformed_records_are_errors)
{
    sl_column cols[] = {col("A", &SL_TYPE_INT), col("B", arr(&SL_TYPE_STRING))};
    static const struct { const char *rec, *msg; } cases[] = {
        {"", "no JSON value"},
        {"   \n", "no JSON value"},
        {"{\"A\":1} x", "unexpected data after the JSON value"},
        {"{\"A\":1}}", "unexpected data after"},
        {"{\"A\":1},", "unexpected data after"},
        {"{\"A\":1,}", "expected a field name"},
        {"{\"A\" 1}", "expected ':'"},
        {"{A:1}", "expected a field name"},
        {"{\"A\":01}", "expected ',' or '}'"},
        {"{\"A\":1.}", "digit is expected after the decimal point"},
        {"{\"A\":-}", "a digit is expected"},
        {"{\"A\":.5}", "unexpected character"},
        {"{\"A\":+1}", "unexpected character"},
        {"{\"A\":1e}", "digit is expected in the exponent"},
        {"{\"x\":tru}", "invalid JSON literal"},
        {"{\"x\":nul}", "invalid JSON literal"},
        {"{\"x\":NaN}", "unexpected character"},
        {"{\"x\":'a'}", "unexpected character"},
        {"{\"x\":\"\\x\"}", "invalid escape"},
        {"{\"x\":\"\\u00\"}", "four hex digits"},
        {"{\"x\":[1 2]}", "expected ',' or ']'"},
        {"{\"x\":{\"a\" 1}}", "expected ':'"},
        {"{\"x\":\"a\x1f\"}", "control character"},
        {"[1]", "expected a JSON object, found an array"},
        {"\"x\"", "expected a JSON object, found a string"},
        {"5", "expected a JSON object, found a number"},
        {"{\"A\":1", "ends inside a JSON value"},
        {"{\"B\":[\"a\"", "ends inside a JSON value"},
        {"\xef\xbb\xbf", "no JSON value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = row(&JSONV, cols, 2, NULL, cases[i].rec, strlen(cases[i].rec));
        cr_expect(strncmp(got, "ERR: JSON value", 15) == 0 && strstr(got, cases[i].msg) &&
                      strstr(got, "(at byte "),
                  "case %zu %s: want '%s', got %s", i, cases[i].rec, cases[i].msg, got);
    }
    /* a byte-order mark and surrounding whitespace are fine */
    cr_expect_str_eq(ROW(&JSONV, cols, NULL, "\xef\xbb\xbf {\"A\":1}\r\n"), "i:1 | null");
    /* the position points at the offending byte */
    const char *got = ROW(&JSONV, cols, NULL, "{\"A\":1,  \"B\":[\"ok\",7x]}");
    cr_expect(strstr(got, "(at byte 20)"), "%s", got);
}

Test(json, every_truncation_of_a_valid_record_is_an_error)
{
    const sl_type *inner = st2("X", dec(10, 3), "Y", map(&SL_TYPE_DOUBLE));
    sl_column cols[] = {col("A", &SL_TYPE_BIGINT), col("B", &SL_TYPE_STRING),
                        col("C", arr(inner)), col("D", &SL_TYPE_BOOLEAN),
                        col("E", &SL_TYPE_BYTES)};
    const char *rec = "{\"a\":-12,\"b\":\"x\\\"y\\u00e9\\ud83d\\ude00\xc3\xa9\","
                      "\"c\":[{\"x\":1.5e1,\"y\":{\"k\":-0.5E-3}},null],\"skip\":[{\"q\":[true,"
                      "false,null]}],\"d\":true,\"e\":\"AAE=\",\"f\":\"long string to skip\"}";
    size_t len = strlen(rec);
    cr_assert_str_eq(row(&JSONV, cols, 5, NULL, rec, len),
                     "l:-12 | s'x\"y\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9' | "
                     "[(n:15.000,{s'k'=d:-0.00050000000000000001}),null] | b:true | x:0001");
    for (int pass = 0; pass < 2; pass++) {
        bool few[] = {false, true, false, false, true};
        for (size_t n = 0; n < len; n++) {
            const char *got = row(&JSONV, cols, 5, pass ? few : NULL, rec, n);
            cr_expect(strncmp(got, "ERR: ", 5) == 0, "prefix of %zu bytes decoded: %s", n, got);
        }
    }
}

static const char *nest(int depth, const char *open, const char *center, const char *close)
{
    static char buf[4096];
    size_t k = 0;
    k += (size_t)snprintf(buf + k, sizeof buf - k, "{\"z\":");
    for (int i = 0; i < depth; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", open);
    k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", center);
    for (int i = 0; i < depth; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", close);
    snprintf(buf + k, sizeof buf - k, "}");
    return buf;
}

Test(json, nesting_is_limited)
{
    sl_column skipped[] = {col("A", &SL_TYPE_INT)};
    sl_column text[] = {col("Z", &SL_TYPE_STRING)};
    cr_expect_str_eq(ROW(&JSONV, skipped, NULL, nest(50, "[", "", "]")), "null");
    cr_expect_str_eq(ROW(&JSONV, skipped, NULL, nest(50, "{\"a\":", "1", "}")), "null");
    const char *got = ROW(&JSONV, skipped, NULL, nest(500, "[", "", "]"));
    cr_expect(strstr(got, "nested deeper than"), "%s", got);
    got = ROW(&JSONV, skipped, NULL, nest(500, "{\"a\":", "1", "}"));
    cr_expect(strstr(got, "nested deeper than"), "%s", got);
    got = ROW(&JSONV, text, NULL, nest(500, "[", "", "]"));
    cr_expect(strstr(got, "nested deeper than"), "%s", got);
    cr_expect_str_eq(ROW(&JSONV, text, NULL, nest(3, "[", "", "]")), "s'[[[]]]'");
    /* a deep array type decodes as deep as the limit allows */
    const sl_type *t = &SL_TYPE_INT;
    for (int i = 0; i < 120; i++)
        t = arr(t);
    sl_column deep[] = {col("Z", t)};
    got = ROW(&JSONV, deep, NULL, nest(120, "[", "", "]"));
    cr_expect(strstr(got, "nested deeper than"), "%s", got);
}

Test(json, unwrapped_single_values)
{
    sl_format_opts unwrapped = {.kind = SL_FMT_JSON, .wrap_single_value = SL_WRAP_FALSE};
    sl_format_opts key = {.kind = SL_FMT_JSON, .is_key = true};
    sl_column one_int[] = {col("V", &SL_TYPE_INT)};
    sl_column one_str[] = {col("K", &SL_TYPE_STRING)};
    sl_column two[] = {col("K1", &SL_TYPE_STRING), col("K2", &SL_TYPE_INT)};
    cr_expect_str_eq(ROW(&unwrapped, one_int, NULL, " 5 "), "i:5");
    cr_expect_str_eq(ROW(&unwrapped, one_int, NULL, "null"), "null");
    cr_expect_str_eq(ROW(&unwrapped, one_int, NULL, "\"6\""), "i:6");
    const char *got = ROW(&unwrapped, one_int, NULL, "{\"V\":5}");
    cr_expect(strstr(got, "column `V`: cannot convert an object to INTEGER"), "%s", got);
    got = ROW(&unwrapped, one_int, NULL, "5 6");
    cr_expect(strstr(got, "unexpected data after"), "%s", got);
    /* wrapped by default for values */
    cr_expect_str_eq(ROW(&JSONV, one_int, NULL, "{\"v\":5}"), "i:5");
    /* a key with one column is unwrapped by default; with two it is an object */
    cr_expect_str_eq(ROW(&key, one_str, NULL, "\"abc\""), "s'abc'");
    cr_expect_str_eq(ROW(&key, two, NULL, "{\"k1\":\"a\",\"K2\":2}"), "s'a' | i:2");
    got = ROW(&key, one_str, NULL, "\"abc");
    cr_expect(strstr(got, "JSON key, column `K`"), "%s", got);
    /* a top-level null wrapped row is all NULL, as is an absent record */
    cr_expect_str_eq(ROW(&JSONV, two, NULL, "null"), "null | null");
    sl_decoder *d = sl_decoder_new(&JSONV, two, 2, NULL, &err);
    sl_value v[2] = {sl_int(1), sl_int(2)};
    cr_expect_eq(sl_decode(d, NULL, 0, A, v, &err), 0);
    cr_expect_str_eq(show_row(v, 2), "null | null");
    sl_decoder_free(d);
}

static const char *enc(const sl_format_opts *o, const sl_column *cols, int n, const sl_value *v)
{
    static char out[4096];
    sl_encoder *e = sl_encoder_new(o, cols, n, &err);
    cr_assert(e, "encoder: %s", err.msg);
    sl_buf b = SL_BUF_INIT;
    if (sl_encode(e, v, &b, &err) < 0)
        snprintf(out, sizeof out, "ERR: %s", err.msg);
    else
        snprintf(out, sizeof out, "%s", sl_buf_cstr(&b));
    sl_buf_fini(&b);
    sl_encoder_free(e);
    return out;
}

/* A row with every type, its schema and its JSON text. */
static int rich_row(sl_column *cols, sl_value *v)
{
    const sl_type *inner = st2("X", &SL_TYPE_INT, "y", arr(&SL_TYPE_STRING));
    int n = 0;
    cols[n] = col("B", &SL_TYPE_BOOLEAN); v[n++] = sl_bool(true);
    cols[n] = col("I", &SL_TYPE_INT); v[n++] = sl_int(-7);
    cols[n] = col("L", &SL_TYPE_BIGINT); v[n++] = sl_bigint(INT64_MIN);
    cols[n] = col("D", &SL_TYPE_DOUBLE); v[n++] = sl_double(0.1);
    cols[n] = col("D2", &SL_TYPE_DOUBLE); v[n++] = sl_double(1e300);
    cols[n] = col("N", dec(25, 5));
    v[n++] = sl_decimal((sl_int128)1234567890123456789LL * 100000 + 12345, 25, 5);
    cols[n] = col("S", &SL_TYPE_STRING); v[n++] = sl_string_ref("q\"\\\n\x01\xc3\xa9", 7);
    cols[n] = col("X", &SL_TYPE_BYTES); v[n++] = sl_bytes_copy(A, "\x00\x01\xff", 3);
    cols[n] = col("TS", &SL_TYPE_TIMESTAMP); v[n++] = sl_timestamp(1700000000123LL);
    cols[n] = col("DT", &SL_TYPE_DATE); v[n++] = sl_date(-5);
    cols[n] = col("TM", &SL_TYPE_TIME); v[n++] = sl_time(86399999);
    cols[n] = col("lower", &SL_TYPE_INT); v[n++] = sl_null();
    sl_value a = sl_array_new(A, 2);
    a.u.arr.items[0] = sl_int(1);
    cols[n] = col("A", arr(&SL_TYPE_INT)); v[n++] = a;
    sl_value m = sl_map_new(A, 2);
    m.u.map.keys[0] = sl_string_ref("k", 1); m.u.map.vals[0] = sl_double(-2.5);
    m.u.map.keys[1] = sl_string_ref("", 0); m.u.map.vals[1] = sl_null();
    cols[n] = col("M", map(&SL_TYPE_DOUBLE)); v[n++] = m;
    sl_value s = sl_struct_new(A, 2);
    s.u.st.fields[0] = sl_int(3);
    s.u.st.fields[1] = sl_array_new(A, 1);
    s.u.st.fields[1].u.arr.items[0] = sl_string_ref("z", 1);
    cols[n] = col("ST", inner); v[n++] = s;
    return n;
}

Test(json, encoder_writes_every_type)
{
    sl_column cols[16];
    sl_value v[16];
    int n = rich_row(cols, v);
    cr_expect_str_eq(enc(&JSONV, cols, n, v),
                     "{\"B\":true,\"I\":-7,\"L\":-9223372036854775808,\"D\":0.1,\"D2\":1.0E300,"
                     "\"N\":1234567890123456789.12345,\"S\":\"q\\\"\\\\\\n\\u0001\xc3\xa9\","
                     "\"X\":\"AAH/\",\"TS\":1700000000123,\"DT\":-5,\"TM\":86399999,"
                     "\"lower\":null,\"A\":[1,null],\"M\":{\"k\":-2.5,\"\":null},"
                     "\"ST\":{\"X\":3,\"y\":[\"z\"]}}");
    sl_column dc[] = {col("D", &SL_TYPE_DOUBLE)};
    sl_value nan = sl_double(NAN), inf = sl_double(-INFINITY), one = sl_double(100.0);
    cr_expect_str_eq(enc(&JSONV, dc, 1, &nan), "{\"D\":\"NaN\"}");
    cr_expect_str_eq(enc(&JSONV, dc, 1, &inf), "{\"D\":\"-Infinity\"}");
    cr_expect_str_eq(enc(&JSONV, dc, 1, &one), "{\"D\":100.0}");
    sl_format_opts unwrapped = {.kind = SL_FMT_JSON, .wrap_single_value = SL_WRAP_FALSE};
    cr_expect_str_eq(enc(&unwrapped, dc, 1, &one), "100.0");
    sl_value nul = sl_null();
    cr_expect_str_eq(enc(&unwrapped, dc, 1, &nul), "null");
    /* a value of the wrong kind is refused, and nothing is left in the buffer */
    sl_value wrong = sl_int(1);
    const char *got = enc(&JSONV, dc, 1, &wrong);
    cr_expect(strstr(got, "ERR: JSON: column `D`: a INTEGER value where DOUBLE is expected"),
              "%s", got);
}

Test(json, encode_then_decode_round_trips)
{
    sl_column cols[16];
    sl_value v[16];
    int n = rich_row(cols, v);
    char want[4096];
    snprintf(want, sizeof want, "%s", show_row(v, n));
    sl_encoder *e = sl_encoder_new(&JSONV, cols, n, &err);
    sl_decoder *d = sl_decoder_new(&JSONV, cols, n, NULL, &err);
    cr_assert(e && d);
    sl_buf b = SL_BUF_INIT;
    cr_assert_eq(sl_encode(e, v, &b, &err), 0);
    sl_value back[16];
    cr_assert_eq(decode_exact(d, b.data, b.len, A, back, &err), 0, "%s", err.msg);
    cr_expect_str_eq(show_row(back, n), want);
    /* doubles keep every bit through their text */
    static const double ds[] = {0.1, 1.0 / 3, 5e-324, 1.7976931348623157e308, -123456.789e-20,
                                4.35, 1e23, 9007199254740993.0};
    sl_column dc[] = {col("D", &SL_TYPE_DOUBLE)};
    sl_encoder *de = sl_encoder_new(&JSONV, dc, 1, &err);
    sl_decoder *dd = sl_decoder_new(&JSONV, dc, 1, NULL, &err);
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        sl_value x = sl_double(ds[i]), y;
        sl_buf_reset(&b);
        cr_assert_eq(sl_encode(de, &x, &b, &err), 0);
        cr_assert_eq(decode_exact(dd, b.data, b.len, A, &y, &err), 0, "%s: %s", b.data, err.msg);
        cr_expect(y.kind == SL_DOUBLE && y.u.d == ds[i], "%.17g -> %s -> %.17g", ds[i], b.data,
                  y.u.d);
    }
    sl_buf_fini(&b);
    sl_encoder_free(e);
    sl_decoder_free(d);
    sl_encoder_free(de);
    sl_decoder_free(dd);
}

Test(json, format_names_and_checks)
{
    sl_format_kind k;
    cr_expect_eq(sl_format_parse_kind("json", 4, &k, &err), 0);
    cr_expect_eq(k, SL_FMT_JSON);
    cr_expect_eq(sl_format_parse_kind("Delimited", 9, &k, &err), 0);
    cr_expect_eq(k, SL_FMT_DELIMITED);
    cr_expect_eq(sl_format_parse_kind("KAFKA", 5, &k, &err), 0);
    cr_expect_eq(k, SL_FMT_KAFKA);
    cr_expect_eq(sl_format_parse_kind("none", 4, &k, &err), 0);
    cr_expect_eq(k, SL_FMT_NONE);
    cr_expect_eq(sl_format_parse_kind("AVRO", 4, &k, &err), -1);
    cr_expect(strstr(err.msg, "Unknown format: 'AVRO'"), "%s", err.msg);
    cr_expect_eq(sl_format_parse_kind("JSONX", 4, &k, &err), 0, "only len bytes are read");

    char dl;
    cr_expect_eq(sl_format_parse_delimiter("TAB", 3, &dl, &err), 0);
    cr_expect_eq(dl, '\t');
    cr_expect_eq(sl_format_parse_delimiter("space", 5, &dl, &err), 0);
    cr_expect_eq(dl, ' ');
    cr_expect_eq(sl_format_parse_delimiter("|", 1, &dl, &err), 0);
    cr_expect_eq(dl, '|');
    cr_expect_eq(sl_format_parse_delimiter("ab", 2, &dl, &err), -1);
    cr_expect(strstr(err.msg, "Invalid delimiter value: 'ab'"), "%s", err.msg);
    cr_expect_eq(sl_format_parse_delimiter(" ", 1, &dl, &err), -1);
    cr_expect(strstr(err.msg, "SPACE"), "%s", err.msg);
    cr_expect_eq(sl_format_parse_delimiter("\"", 1, &dl, &err), -1);

    struct { sl_format_opts o; int n; const sl_type *t1, *t2; const char *msg; } cases[] = {
        {{.kind = SL_FMT_KAFKA}, 1, &SL_TYPE_BOOLEAN, NULL,
         "The 'KAFKA' format does not support type 'BOOLEAN'"},
        {{.kind = SL_FMT_KAFKA}, 2, &SL_TYPE_INT, &SL_TYPE_STRING,
         "The 'KAFKA' format only supports a single field. Got: [`C1` INTEGER, `C2` VARCHAR]"},
        {{.kind = SL_FMT_KAFKA}, 1, dec(4, 2), NULL, "does not support type 'DECIMAL(4, 2)'"},
        {{.kind = SL_FMT_DELIMITED}, 2, &SL_TYPE_INT, arr(&SL_TYPE_INT),
         "The 'DELIMITED' format does not support type 'ARRAY', value column: `C2`"},
        {{.kind = SL_FMT_DELIMITED, .delimiter = '"'}, 1, &SL_TYPE_INT, NULL, "Invalid delimiter"},
        {{.kind = SL_FMT_NONE}, 1, &SL_TYPE_INT, NULL,
         "The 'NONE' format can only be used when no columns are defined"},
        {{.kind = SL_FMT_JSON}, 1, sl_type_map(A, &SL_TYPE_INT, &SL_TYPE_INT), NULL,
         "only supports MAP types with VARCHAR keys"},
        {{.kind = SL_FMT_JSON, .wrap_single_value = SL_WRAP_FALSE}, 2, &SL_TYPE_INT,
         &SL_TYPE_INT, "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas"},
        {{.kind = SL_FMT_JSON, .wrap_single_value = SL_WRAP_TRUE, .is_key = true}, 1,
         &SL_TYPE_INT, NULL, "can only be used with value formats"},
        {{.kind = SL_FMT_KAFKA, .wrap_single_value = SL_WRAP_TRUE}, 1, &SL_TYPE_INT, NULL,
         "Format 'KAFKA' does not support 'WRAP_SINGLE_VALUE' set to 'true'"},
        {{.kind = SL_FMT_KAFKA, .wrap_single_value = SL_WRAP_FALSE}, 1, &SL_TYPE_INT, NULL, NULL},
        {{.kind = SL_FMT_KAFKA}, 1, &SL_TYPE_BYTES, NULL, NULL},
        {{.kind = SL_FMT_KAFKA}, 0, NULL, NULL, NULL},
        {{.kind = SL_FMT_NONE}, 0, NULL, NULL, NULL},
        {{.kind = SL_FMT_DELIMITED}, 2, &SL_TYPE_BYTES, dec(4, 2), NULL},
        {{.kind = SL_FMT_JSON}, 2, map(arr(map(&SL_TYPE_INT))), st2("A", &SL_TYPE_INT, "B",
                                                                   &SL_TYPE_INT), NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_column cs[2] = {col("C1", cases[i].t1), col("C2", cases[i].t2)};
        int rc = sl_format_check(&cases[i].o, cs, cases[i].n, &err);
        if (cases[i].msg) {
            cr_expect_eq(rc, -1, "case %zu", i);
            cr_expect(strstr(err.msg, cases[i].msg), "case %zu: want '%s', got '%s'", i,
                      cases[i].msg, err.msg);
            cr_expect_eq(err.code, SL_ERR_ANALYSIS, "case %zu", i);
            cr_expect_null(sl_decoder_new(&cases[i].o, cs, cases[i].n, NULL, &err));
            cr_expect_null(sl_encoder_new(&cases[i].o, cs, cases[i].n, &err));
        } else {
            cr_expect_eq(rc, 0, "case %zu: %s", i, err.msg);
        }
    }
}

Test(json, decoder_owns_its_schema_and_values_live_in_the_batch_arena)
{
    sl_arena *schema = sl_arena_new(0);
    char *name = sl_arena_strdup(schema, "NAME");
    sl_field f[1] = {{sl_arena_strdup(schema, "INNER"), &SL_TYPE_STRING}};
    sl_column cols[] = {col(name, sl_type_struct(schema, f, 1))};
    sl_decoder *d = sl_decoder_new(&JSONV, cols, 1, NULL, &err);
    sl_arena_free(schema);      /* the decoder kept copies */
    const char *rec = "{\"name\":{\"inner\":\"v\"}}";
    sl_value v;
    cr_assert_eq(decode_exact(d, rec, strlen(rec), A, &v, &err), 0, "%s", err.msg);
    cr_expect_str_eq(show_row(&v, 1), "(s'v')");
    sl_decoder_free(d);
    sl_decoder_free(NULL);
    sl_encoder_free(NULL);
}

/* A small deterministic fuzzer: random edits of a valid record must decode
 * or fail with a message, never crash or read outside the bytes (run it
 * under ASan + UBSan). */
Test(json, random_edits_never_crash)
{
    const sl_type *inner = st2("X", dec(12, 4), "Y", map(arr(&SL_TYPE_DOUBLE)));
    sl_column cols[] = {col("A", &SL_TYPE_BIGINT), col("B", &SL_TYPE_STRING), col("C", inner),
                        col("D", arr(&SL_TYPE_BYTES)), col("E", &SL_TYPE_TIME)};
    const char *seed = "{\"a\":123,\"b\":\"x\\u00e9\\ud83d\\ude00\",\"c\":{\"x\":\"1.5\",\"y\":"
                       "{\"k\":[1e2,-0.5]}},\"d\":[\"AAE=\",null],\"e\":5,\"f\":[{},[\"s\"]]}";
    static const char alphabet[] = "{}[]\",:\\u0123456789abcdefeE.-+ tnrl\x80\xc3\xff\x00";
    size_t len = strlen(seed);
    sl_decoder *d = sl_decoder_new(&JSONV, cols, 5, NULL, &err);
    bool few[] = {true, false, true, false, false};
    sl_decoder *d2 = sl_decoder_new(&JSONV, cols, 5, few, &err);
    uint64_t r = 12345;
    char buf[256];
    int ok = 0, bad = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, seed, len);
        size_t n = len;
        int edits = 1 + (int)(r % 4);
        for (int e = 0; e < edits; e++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            size_t pos = (size_t)(r >> 33) % n;
            char c = alphabet[(r >> 20) % (sizeof alphabet - 1)];
            switch ((r >> 40) % 3) {
            case 0: buf[pos] = c; break;
            case 1: if (n < sizeof buf - 1) { memmove(buf + pos + 1, buf + pos, n - pos); buf[pos] = c; n++; } break;
            default: if (n > 1) { memmove(buf + pos, buf + pos + 1, n - pos - 1); n--; } break;
            }
        }
        sl_value v[5];
        for (int k = 0; k < 2; k++) {
            int rc = decode_exact(k ? d2 : d, buf, n, A, v, &err);
            if (rc == 0)
                ok++;
            else {
                cr_assert_eq(rc, -1);
                cr_assert(strncmp(err.msg, "JSON value", 10) == 0, "%s", err.msg);
                bad++;
            }
        }
        if ((it & 255) == 0)
            sl_arena_reset(A);
    }
    cr_expect(ok > 100 && bad > 100, "ok %d bad %d: the edits exercise both outcomes", ok, bad);
    sl_decoder_free(d);
    sl_decoder_free(d2);
}

Test(json, strings_escape_at_every_position_of_long_values)
{
    /* the encoder skips 16 bytes at a time: put each special character at
     * every position of strings up to 40 bytes and check the exact text */
    static const struct { char c; const char *esc; } specials[] = {
        {'"', "\\\""}, {'\\', "\\\\"}, {'\n', "\\n"}, {'\x01', "\\u0001"}, {'\x1f', "\\u001f"},
    };
    sl_column col = {.name = "S", .type = &SL_TYPE_STRING};
    for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
        for (int len = 1; len <= 40; len++)
            for (int pos = 0; pos < len; pos++) {
                char s[41];
                memset(s, 'a', (size_t)len);
                s[pos] = specials[k].c;
                sl_value v = sl_string_ref(s, (uint32_t)len);
                char want[128];
                snprintf(want, sizeof want, "{\"S\":\"%.*s%s%.*s\"}", pos, s, specials[k].esc,
                         len - pos - 1, s + pos + 1);
                cr_assert_str_eq(enc(&JSONV, &col, 1, &v), want, "len %d pos %d", len, pos);
            }
}

/* ---- one decoder over many records (field-name predictions) ---- */

/* Decodes rec with the decoder d (kept across calls, as the runtime does). */
static const char *with(sl_decoder *d, int n, const char *rec, size_t len)
{
    static char out[4096];
    sl_value v[16];
    if (decode_exact(d, rec, len, A, v, &err) < 0)
        snprintf(out, sizeof out, "ERR: %s", err.msg);
    else
        snprintf(out, sizeof out, "%s", show_row(v, n));
    return out;
}

#define WITH(d, n, lit) with(d, n, lit, strlen(lit))

Test(json, one_decoder_follows_records_whose_names_change)
{
    sl_column cols[] = {col("AUCTION", &SL_TYPE_BIGINT), col("BIDDER", &SL_TYPE_BIGINT),
                        col("PRICE", &SL_TYPE_BIGINT), col("EXTRA", &SL_TYPE_STRING)};
    bool want[] = {true, false, true, false};
    sl_decoder *d = sl_decoder_new(&JSONV, cols, 4, want, &err);
    cr_assert(d, "%s", err.msg);
    const char *base = "{\"auction\":1001,\"bidder\":7,\"price\":250,\"extra\":\"abc\"}";
    for (int i = 0; i < 3; i++)
        cr_expect_str_eq(WITH(d, 4, base), "l:1001 | null | l:250 | null");
    /* the same positions, other values, spellings, order and spacing */
    cr_expect_str_eq(WITH(d, 4, "{\"auction\":5,\"bidder\":7,\"price\":6,\"extra\":\"\"}"),
                     "l:5 | null | l:6 | null");
    cr_expect_str_eq(WITH(d, 4, "{\"AUCTION\":5,\"Bidder\":1,\"pRice\":3,\"extra\":\"x\"}"),
                     "l:5 | null | l:3 | null");
    cr_expect_str_eq(WITH(d, 4, "{\"price\":9,\"auction\":8}"), "l:8 | null | l:9 | null");
    cr_expect_str_eq(WITH(d, 4, "{\"auctionX\":1,\"auction_\":2,\"price\":3}"),
                     "null | null | l:3 | null");
    cr_expect_str_eq(WITH(d, 4, "{\"auctio\":1,\"bidder\":2,\"price\":3}"),
                     "null | null | l:3 | null");
    cr_expect_str_eq(WITH(d, 4, "{ \"auction\" : 4 ,\"bidder\":7,\"price\" :2}"),
                     "l:4 | null | l:2 | null");
    cr_expect_str_eq(WITH(d, 4, "{\"\\u0061uction\":6,\"bidder\":7,\"price\":2}"),
                     "l:6 | null | l:2 | null");
    /* a later duplicate still wins, an exact spelling over another one */
    cr_expect_str_eq(WITH(d, 4, "{\"auction\":1,\"auction\":2,\"price\":3}"),
                     "l:2 | null | l:3 | null");
    cr_expect_str_eq(WITH(d, 4, "{\"AUCTION\":1,\"auction\":2,\"price\":3}"),
                     "l:1 | null | l:3 | null");
    cr_expect_str_eq(WITH(d, 4, base), "l:1001 | null | l:250 | null");
    sl_decoder_free(d);
}

Test(json, a_record_that_ends_after_a_name_names_the_wanted_column)
{
    sl_column cols[] = {col("AUCTION", &SL_TYPE_BIGINT), col("PRICE", &SL_TYPE_BIGINT),
                        col("EXTRA", &SL_TYPE_STRING)};
    bool want[] = {true, true, false};
    sl_decoder *d = sl_decoder_new(&JSONV, cols, 3, want, &err);
    cr_assert(d, "%s", err.msg);
    for (int warm = 0; warm < 2; warm++) {
        cr_expect_str_eq(WITH(d, 3, "{\"auction\":1,\"price\":2,\"extra\":\"x\"}"),
                         "l:1 | l:2 | null");
        const char *got = WITH(d, 3, "{\"auction\":1,\"price\":");
        cr_expect(strstr(got, "column `PRICE`: the record ends inside a JSON value"), "%s", got);
        got = WITH(d, 3, "{\"auction\":1,\"price\": ");
        cr_expect(strstr(got, "column `PRICE`: the record ends inside a JSON value"), "%s", got);
        got = WITH(d, 3, "{\"auction\":1,\"price\":2,\"extra\":");
        cr_expect(strstr(got, "the record ends inside a JSON value"), "%s", got);
    }
    sl_decoder_free(d);
}

Test(json, long_and_short_names_are_found)
{
    /* a name is looked up only when a wanted field has a name of its length
     * (lengths of 63 bytes and more share one mark): names of 1 to 70 bytes,
     * each wanted or not, among unknown names of every length */
    char names[71][72];
    sl_column cols[70];
    for (int l = 1; l <= 70; l++) {
        memset(names[l], 'A' + l % 26, (size_t)l);
        names[l][l] = '\0';
        cols[l - 1] = col(names[l], &SL_TYPE_INT);
    }
    bool odd[70];
    for (int i = 0; i < 70; i++)
        odd[i] = (i + 1) % 2 == 1;
    for (int pass = 0; pass < 2; pass++) {
        sl_decoder *d = sl_decoder_new(&JSONV, cols, 70, pass ? odd : NULL, &err);
        cr_assert(d, "%s", err.msg);
        sl_buf rec = SL_BUF_INIT, want = SL_BUF_INIT;
        sl_buf_putc(&rec, '{');
        for (int l = 70; l >= 1; l--) {
            /* an unknown name of the same length first (other letters), then
             * the column's name in lower case */
            char unk[72], low[72];
            memset(unk, 'a' + (l + 7) % 26, (size_t)l);
            for (int i = 0; i < l; i++)
                low[i] = (char)(names[l][i] | 0x20);
            sl_buf_printf(&rec, "%s\"%.*s\":-1,\"%.*s\":%d", l == 70 ? "" : ",", l, unk, l, low, l);
        }
        sl_buf_putc(&rec, '}');
        for (int l = 1; l <= 70; l++) {
            if (l > 1)
                sl_buf_puts(&want, " | ");
            if (pass && l % 2 == 0)
                sl_buf_puts(&want, "null");
            else
                sl_buf_printf(&want, "i:%d", l);
        }
        sl_value v[70];
        cr_assert_eq(decode_exact(d, rec.data, rec.len, A, v, &err), 0, "%s", err.msg);
        sl_buf got = SL_BUF_INIT;
        for (int i = 0; i < 70; i++) {
            if (i)
                sl_buf_puts(&got, " | ");
            show_into(&got, &v[i]);
        }
        cr_expect_str_eq(sl_buf_cstr(&got), sl_buf_cstr(&want), "pass %d", pass);
        sl_buf_fini(&got);
        sl_buf_fini(&rec);
        sl_buf_fini(&want);
        sl_decoder_free(d);
    }
}

Test(json, skipped_values_are_still_checked)
{
    sl_column cols[] = {col("AUCTION", &SL_TYPE_BIGINT), col("BIDDER", &SL_TYPE_BIGINT),
                        col("PRICE", &SL_TYPE_BIGINT), col("EXTRA", &SL_TYPE_STRING)};
    bool want[] = {true, false, true, false};
    static const struct { const char *rec, *msg; } cases[] = {
        /* truncated inside a skipped field, at every kind of value */
        {"{\"auction\":1,\"bidder\":7,\"price\":2,\"extra\":\"ab", "ends inside a JSON value"},
        {"{\"auction\":1,\"bidder\":7,\"price\":2,\"extra\":[1,", "ends inside a JSON value"},
        {"{\"auction\":1,\"bidder\":7,\"price\":2,\"extra\":{\"a\":", "ends inside a JSON value"},
        {"{\"auction\":1,\"bidder\":7,\"price\":2,\"extra\":tr", "ends inside a JSON value"},
        {"{\"auction\":1,\"bidder\":7,\"price\":2,\"extra\":\"ab\\", "ends inside a JSON value"},
        {"{\"auction\":1,\"bidder\":7,\"price\":2,\"extr", "ends inside a JSON value"},
        {"{\"auction\":1,\"bidder\":-", "ends inside a JSON value"},
        /* invalid UTF-8 in a skipped string, in a field name, in an unknown field */
        {"{\"auction\":1,\"bidder\":7,\"price\":2,\"extra\":\"a\xff\"}", "invalid UTF-8"},
        {"{\"auction\":1,\"bidder\":7,\"price\":2,\"extra\":\"\xc3\x28 and more text\"}",
         "invalid UTF-8"},
        {"{\"auction\":1,\"b\xc3(\":2,\"price\":2}", "invalid UTF-8"},
        {"{\"auction\":1,\"x\":[\"ok\",{\"k\":\"\xed\xa0\x80\"}],\"price\":2}", "invalid UTF-8"},
        {"{\"auction\":1,\"x\":{\"\xf8\":1},\"price\":2}", "invalid UTF-8"},
        /* unbalanced brackets in a skipped value */
        {"{\"auction\":1,\"extra\":[1,{\"a\":2]},\"price\":2}", "expected ',' or '}'"},
        {"{\"auction\":1,\"extra\":{\"a\":[1}},\"price\":2}", "expected ',' or ']'"},
        {"{\"auction\":1,\"extra\":[[1],\"price\":2}", "expected ',' or ']'"},
        {"{\"auction\":1,\"extra\":]}", "unexpected character"},
        /* other bad text in skipped values */
        {"{\"auction\":1,\"bidder\":07,\"price\":2}", "expected ',' or '}'"},
        {"{\"auction\":1,\"bidder\":1.,\"price\":2}", "digit is expected"},
        {"{\"auction\":1,\"extra\":\"a\x01\",\"price\":2}", "control character"},
        {"{\"auction\":1,\"extra\":\"\\q\",\"price\":2}", "invalid escape"},
    };
    for (int warm = 0; warm < 2; warm++) {
        sl_decoder *d = sl_decoder_new(&JSONV, cols, 4, want, &err);
        cr_assert(d, "%s", err.msg);
        const char *good = "{\"auction\":1,\"bidder\":7,\"price\":2,\"extra\":\"abc\"}";
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            if (warm)       /* the names of the good record are predicted */
                cr_assert_str_eq(WITH(d, 4, good), "l:1 | null | l:2 | null");
            const char *got = WITH(d, 4, cases[i].rec);
            cr_expect(strncmp(got, "ERR: JSON value", 15) == 0 && strstr(got, cases[i].msg),
                      "warm %d case %zu %s: want '%s', got %s", warm, i, cases[i].rec,
                      cases[i].msg, got);
        }
        cr_expect_str_eq(WITH(d, 4, good), "l:1 | null | l:2 | null");
        sl_decoder_free(d);
    }
}

Test(json, every_truncation_is_an_error_with_names_predicted)
{
    sl_column cols[] = {col("AUCTION", &SL_TYPE_BIGINT), col("BIDDER", &SL_TYPE_BIGINT),
                        col("PRICE", &SL_TYPE_BIGINT), col("CHANNEL", &SL_TYPE_STRING),
                        col("URL", &SL_TYPE_STRING), col("DATETIME", &SL_TYPE_BIGINT),
                        col("EXTRA", &SL_TYPE_STRING)};
    const char *rec = "{\"auction\":1001,\"bidder\":1000,\"price\":7135,\"channel\":\"Google\","
                      "\"url\":\"https://www.google.com/search\",\"dateTime\":1436918400000,"
                      "\"extra\":\"uddgxqxfnkqaskn tabkyyudtd bxmnwfs\"}";
    size_t len = strlen(rec);
    bool q2[] = {true, false, true, false, false, false, false};
    for (int pass = 0; pass < 2; pass++) {
        sl_decoder *d = sl_decoder_new(&JSONV, cols, 7, pass ? q2 : NULL, &err);
        cr_assert(d, "%s", err.msg);
        const char *whole = with(d, 7, rec, len);
        cr_assert(strncmp(whole, "l:1001 | ", 9) == 0, "%s", whole);
        for (size_t n = 0; n < len; n++) {
            const char *got = with(d, 7, rec, n);
            cr_expect(strncmp(got, "ERR: ", 5) == 0, "prefix of %zu bytes decoded: %s", n, got);
        }
        sl_decoder_free(d);
    }
}

Test(json, integers_of_every_length)
{
    /* 1 to 20 digits, signed, as the whole input (no byte after the number)
     * and inside an object; the text is the oracle */
    sl_format_opts unwrapped = {.kind = SL_FMT_JSON, .wrap_single_value = SL_WRAP_FALSE};
    sl_column big[] = {col("V", &SL_TYPE_BIGINT)};
    sl_column small[] = {col("V", &SL_TYPE_INT)};
    char text[64], rec[80];
    for (int digits = 1; digits <= 20; digits++)
        for (int neg = 0; neg < 2; neg++) {
            int k = 0;
            if (neg)
                text[k++] = '-';
            for (int i = 0; i < digits; i++)
                text[k++] = (char)('1' + (i * 7 + digits) % 9);
            text[k] = '\0';
            errno = 0;
            long long want = strtoll(text, NULL, 10);
            bool fits = errno == 0;
            char shown[40];
            snprintf(shown, sizeof shown, "l:%lld", want);
            snprintf(rec, sizeof rec, "{\"v\":%s}", text);
            const char *got[2] = {ROW(&unwrapped, big, NULL, text), NULL};
            char first[128];
            snprintf(first, sizeof first, "%s", got[0]);
            got[1] = ROW(&JSONV, big, NULL, rec);
            for (int g = 0; g < 2; g++) {
                const char *s = g ? got[1] : first;
                if (fits)
                    cr_expect_str_eq(s, shown, "%s", text);
                else
                    cr_expect(strstr(s, "out of range for BIGINT"), "%s: %s", text, s);
            }
            const char *i32 = ROW(&unwrapped, small, NULL, text);
            if (want >= INT32_MIN && want <= INT32_MAX && fits) {
                snprintf(shown, sizeof shown, "i:%lld", want);
                cr_expect_str_eq(i32, shown, "%s", text);
            } else {
                cr_expect(strstr(i32, "out of range for INTEGER"), "%s: %s", text, i32);
            }
        }
    static const struct { const char *rec, *want; } cases[] = {
        {"{\"v\":0}", "l:0"},
        {"{\"v\":-0}", "l:0"},
        {"{\"v\":007}", "ERR:expected ',' or '}'"},
        {"{\"v\":-007}", "ERR:expected ',' or '}'"},
        {"{\"v\":12345678e1}", "l:123456780"},
        {"{\"v\":12345678.9}", "l:12345678"},
        {"{\"v\":123456781234567812}", "l:123456781234567812"},
        {"{\"v\":9223372036854775807}", "l:9223372036854775807"},
        {"{\"v\":-9223372036854775808}", "l:-9223372036854775808"},
        {"{\"v\":9223372036854775808}", "ERR:out of range for BIGINT"},
        {"{\"v\":-}", "ERR:a digit is expected"},
        {"{\"v\":-a}", "ERR:a digit is expected"},
        {"{\"v\":12345678x}", "ERR:expected ',' or '}'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = ROW(&JSONV, big, NULL, cases[i].rec);
        if (strncmp(cases[i].want, "ERR:", 4) == 0)
            cr_expect(strstr(got, cases[i].want + 4), "%s: want %s, got %s", cases[i].rec,
                      cases[i].want + 4, got);
        else
            cr_expect_str_eq(got, cases[i].want, "%s", cases[i].rec);
    }
}

Test(json, strings_are_checked_to_their_last_byte)
{
    /* the decoder scans strings 16 bytes at a time, and the last bytes of a
     * record through a load that ends at its end: put each special byte at
     * every position of strings that end 0 to 40 bytes before the record's
     * end, wanted and skipped */
    static const struct { const char *ins, *want; } specials[] = {
        {"\\\"", "\""}, {"\\\\", "\\"}, {"\\n", "\n"}, {"\xc3\xa9", "\xc3\xa9"},
        {"\x01", "ERR:control character"}, {"\xff", "ERR:invalid UTF-8"},
        {"\xc3", "ERR:invalid UTF-8"}, {"\\u00e9", "\xc3\xa9"},
    };
    sl_column cols[] = {col("S", &SL_TYPE_STRING), col("T", &SL_TYPE_INT)};
    bool only_t[] = {false, true};
    for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
        for (int len = 1; len <= 24; len++)
            for (int pos = 0; pos < len; pos++)
                for (int tail = 0; tail <= 2; tail++) {
                    char s[64], rec[160], want[80];
                    memset(s, 'a', (size_t)len);
                    s[len] = '\0';
                    snprintf(rec, sizeof rec, "{\"s\":\"%.*s%s%s\"%s}", pos, s, specials[k].ins,
                             s + pos + 1, tail == 0 ? "" : tail == 1 ? ",\"t\":1"
                                                                     : ",\"t\":123456789012");
                    bool is_err = strncmp(specials[k].want, "ERR:", 4) == 0;
                    for (int skip = 0; skip < 2; skip++) {
                        const char *got = row(&JSONV, cols, 2, skip ? only_t : NULL, rec,
                                              strlen(rec));
                        if (is_err) {
                            cr_assert(strstr(got, specials[k].want + 4), "%s -> %s", rec, got);
                            continue;
                        }
                        if (tail == 2) {
                            cr_assert(strstr(got, "out of range for INTEGER"), "%s -> %s", rec,
                                      got);
                            continue;
                        }
                        snprintf(want, sizeof want, "%s%.*s%s%s' | %s",
                                 skip ? "null" : "s'", pos, s, specials[k].want, s + pos + 1,
                                 tail ? "i:1" : "null");
                        if (skip)
                            snprintf(want, sizeof want, "null | %s", tail ? "i:1" : "null");
                        cr_assert_str_eq(got, want, "%s", rec);
                    }
                }
}

/*
 * The decoder steps over the body of a string 32 and 16 bytes at a time
 * while every byte is printable ASCII (no quote, backslash, control byte or
 * byte >= 0x80), then hands the rest to the exact scanner; the last bytes of
 * the input are read through a load that ends at its end, and inputs under
 * 16 bytes byte by byte. Put each kind of special byte at every offset of
 * strings of 1 to 70 bytes (past two 32-byte steps and a 16-byte one), at
 * several distances from the start and the end of the record, the string
 * wanted and skipped, with decoders that predict the names and fresh ones.
 */
Test(json, plain_string_steps_stop_at_every_special_byte)
{
    static const struct { const char *ins, *want; } specials[] = {
        {"\\\"", "\""},                         /* an escape: the exact scanner */
        {"\\\\", "\\"},
        {"\\u00e9", "\xc3\xa9"},
        {"\x7f", "\x7f"},                       /* DEL is printable enough for JSON */
        {" ", " "},
        {"\xc3\xa9", "\xc3\xa9"},               /* valid UTF-8 of 2 and 3 bytes */
        {"\xe2\x82\xac", "\xe2\x82\xac"},
        {"\x01", "ERR:control character"},
        {"\x1f", "ERR:control character"},
        {"\x80", "ERR:invalid UTF-8"},
        {"\xed\xa0\x80", "ERR:invalid UTF-8"},  /* a surrogate */
        {"\xc3", "ERR:invalid UTF-8"},          /* a lead byte cut short */
        {"\"", "ERR:expected ',' or '}'"},      /* the string ends early: junk follows */
    };
    static const char *const heads[] = {"", "\"p\":1,"};
    static const char *const tails[] = {"", ",\"t\":1", ",\"t\":1,\"u\":\"abcdefghijklmnopqrstuvwxyz\""};
    sl_column cols[] = {col("S", &SL_TYPE_STRING), col("T", &SL_TYPE_INT),
                        col("P", &SL_TYPE_INT)};
    bool only_t[] = {false, true, false};
    sl_decoder *warm[2];
    for (int skip = 0; skip < 2; skip++) {
        warm[skip] = sl_decoder_new(&JSONV, cols, 3, skip ? only_t : NULL, &err);
        cr_assert(warm[skip], "%s", err.msg);
    }
    char s[80], rec[256], want[256];
    memset(s, 'a', sizeof s);
    for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
        for (int len = 1; len <= 70; len++)
            for (int pos = 0; pos < len; pos++)
                for (int h = 0; h < 2; h++)
                    for (int t = 0; t < 3; t++) {
                        int n = snprintf(rec, sizeof rec, "{%s\"s\":\"%.*s%s%.*s\"%s}",
                                         heads[h], pos, s, specials[k].ins, len - pos - 1, s,
                                         tails[t]);
                        bool is_err = strncmp(specials[k].want, "ERR:", 4) == 0;
                        for (int skip = 0; skip < 2; skip++) {
                            if (is_err)
                                want[0] = '\0';
                            else if (skip)
                                snprintf(want, sizeof want, "null | %s | null",
                                         t ? "i:1" : "null");
                            else
                                snprintf(want, sizeof want, "s'%.*s%s%.*s' | %s | %s", pos, s,
                                         specials[k].want, len - pos - 1, s,
                                         t ? "i:1" : "null", h ? "i:1" : "null");
                            for (int w = 0; w < 2; w++) {
                                const char *got =
                                    w ? with(warm[skip], 3, rec, (size_t)n)
                                      : row(&JSONV, cols, 3, skip ? only_t : NULL, rec,
                                            (size_t)n);
                                if (is_err)
                                    cr_assert(strstr(got, specials[k].want + 4), "%s -> %s",
                                              rec, got);
                                else
                                    cr_assert_str_eq(got, want, "%s (warm %d)", rec, w);
                            }
                        }
                        sl_arena_reset(A);
                    }
    for (int skip = 0; skip < 2; skip++)
        sl_decoder_free(warm[skip]);
}

/* A skipped number is read by a shortcut when it is a plain integer before
 * ',' or '}'; whatever the form, skipping it accepts exactly what reading
 * it (as a DOUBLE) accepts. */
Test(json, skipped_numbers_are_accepted_as_read_numbers_are)
{
    static const char *const signs[] = {"", "-", "+"};
    static const char *const ints[] = {"0", "7", "12", "00", "01", "123456789", "1234567890123456",
                                       "12345678901234567", "123456789012345678901234", ""};
    static const char *const fracs[] = {"", ".", ".5", ".123456789"};
    static const char *const exps[] = {"", "e", "e5", "E-3", "e+"};
    static const char *const afters[] = {"}", ",\"t\":1}", " }", "x}", "", ","};
    sl_column cols[] = {col("N", &SL_TYPE_DOUBLE), col("T", &SL_TYPE_INT)};
    bool skip_n[] = {false, true};
    sl_decoder *warm = sl_decoder_new(&JSONV, cols, 2, skip_n, &err);
    cr_assert(warm, "%s", err.msg);
    char rec[128];
    for (size_t a = 0; a < sizeof signs / sizeof signs[0]; a++)
        for (size_t b = 0; b < sizeof ints / sizeof ints[0]; b++)
            for (size_t c = 0; c < sizeof fracs / sizeof fracs[0]; c++)
                for (size_t e = 0; e < sizeof exps / sizeof exps[0]; e++)
                    for (size_t f = 0; f < sizeof afters / sizeof afters[0]; f++) {
                        int n = snprintf(rec, sizeof rec, "{\"n\":%s%s%s%s%s", signs[a], ints[b],
                                         fracs[c], exps[e], afters[f]);
                        char read[512];
                        snprintf(read, sizeof read, "%s",
                                 row(&JSONV, cols, 2, NULL, rec, (size_t)n));
                        bool read_ok = strncmp(read, "ERR:", 4) != 0;
                        const char *skipped = row(&JSONV, cols, 2, skip_n, rec, (size_t)n);
                        cr_assert_eq(strncmp(skipped, "ERR:", 4) != 0, read_ok,
                                     "%s: read %s, skipped %s", rec, read, skipped);
                        skipped = with(warm, 2, rec, (size_t)n);
                        cr_assert_eq(strncmp(skipped, "ERR:", 4) != 0, read_ok,
                                     "%s: read %s, skipped (warm) %s", rec, read, skipped);
                        if (read_ok)
                            cr_assert(strstr(skipped, "null | "), "%s: %s", rec, skipped);
                    }
    sl_decoder_free(warm);
}

/* ---- numbers written by the encoders ---- */

Test(json, numbers_are_written_exactly)
{
    sl_column cols[] = {col("L", &SL_TYPE_BIGINT), col("D", dec(38, 10)), col("E", dec(5, 0))};
    static const int64_t ints[] = {0, 1, -1, 9, 10, 99, 100, -100, 12345678, 1436918400000,
                                   INT64_MAX, INT64_MIN, 1000000000000000000LL};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        sl_value v[3] = {sl_bigint(ints[i]), sl_null(), sl_null()};
        char want[96];
        snprintf(want, sizeof want, "{\"L\":%lld,\"D\":null,\"E\":null}", (long long)ints[i]);
        cr_expect_str_eq(enc(&JSONV, cols, 3, v), want);
    }
    /* decimals against the engine's own formatter, over every magnitude */
    uint64_t s = 12345;
    for (int i = 0; i < 3000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        uint64_t hi = s;
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        unsigned __int128 p10 = 1, x = (unsigned __int128)hi << 64 | s;
        for (int d = 1 + (int)(hi % 38); d > 0; d--)
            p10 *= 10;
        sl_int128 u = (sl_int128)(x % p10);
        if (s & 1)
            u = -u;
        if (i < 40)
            u = (i & 1 ? -1 : 1) * (sl_int128)(i / 2);
        sl_value v[3] = {sl_null(), sl_decimal(u, 38, 10), sl_decimal(u % 100000, 5, 0)};
        sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
        sl_decimal_format(&a, u, 10);
        sl_decimal_format(&b, u % 100000, 0);
        char want[160];
        snprintf(want, sizeof want, "{\"L\":null,\"D\":%s,\"E\":%s}", a.data, b.data);
        cr_assert_str_eq(enc(&JSONV, cols, 3, v), want, "case %d", i);
        sl_buf_fini(&a);
        sl_buf_fini(&b);
    }
}
