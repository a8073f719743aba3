/*
 * test_delimited.c: the DELIMITED codec (formats/delimited.c): RFC 4180
 * quoting, empty fields as NULL, field counts, custom delimiters, value
 * parsing of every supported type, malformed records, and the encoder with
 * its quoting and round trips.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "fmt_test.h"

static sl_arena *A;
static sl_error err;

static void setup(void) { A = sl_arena_new(0); }
static void teardown(void) { sl_arena_free(A); }

TestSuite(delimited, .init = setup, .fini = teardown);

static const char *row(char delim, const sl_column *cols, int n, const bool *wanted,
                       const char *rec, size_t len)
{
    static char out[8192];
    sl_format_opts o = {.kind = SL_FMT_DELIMITED, .delimiter = delim};
    sl_decoder *d = sl_decoder_new(&o, cols, n, wanted, &err);
    cr_assert(d, "decoder: %s", err.msg);
    sl_value v[8];
    if (decode_exact(d, rec, len, A, v, &err) < 0)
        snprintf(out, sizeof out, "ERR: %s", err.msg);
    else
        snprintf(out, sizeof out, "%s", show_row(v, n));
    sl_decoder_free(d);
    return out;
}

Test(delimited, quoting_and_fields)
{
    sl_column cols[] = {col("A", &SL_TYPE_STRING), col("B", &SL_TYPE_STRING)};
    static const struct { const char *rec, *want; } cases[] = {
        {"x,y", "s'x' | s'y'"},
        {"\"a,b\",c", "s'a,b' | s'c'"},
        {"\"a\"\"b\",\"\"\"\"", "s'a\"b' | s'\"'"},
        {"\"line1\r\nline2\",x", "s'line1\r\nline2' | s'x'"},
        {"a\"b,c", "s'a\"b' | s'c'"},
        {"\"\",x", "null | s'x'"},
        {",", "null | null"},
        {"x,", "s'x' | null"},
        {",y", "null | s'y'"},
        {" x , y ", "s' x ' | s' y '"},
        {"x,y\r\n", "s'x' | s'y'"},
        {"x,y\n", "s'x' | s'y'"},
        {"x,\"y\"\r", "s'x' | s'y'"},
        {"caf\xc3\xa9,\xe2\x82\xac", "s'caf\xc3\xa9' | s'\xe2\x82\xac'"},
        {"x", "ERR:unexpected field count: the record has 1 field, the schema 2 columns"},
        {"x,y,z", "ERR:the record has 3 fields"},
        {"", "ERR:the record has 1 field"},
        {"\"abc\"x,y", "ERR:unexpected character after the closing quote of field 1"},
        {"x,\"abc", "ERR:a quoted field (field 2) is not closed"},
        {"x,\"ab\"\"", "ERR:is not closed"},
        {"x,y\nz,w", "ERR:unexpected data after the end of the record"},
        {"x,y\n\n", "ERR:unexpected data after the end of the record"},
        {"\xc3\x28,y", "ERR:column `A`: invalid UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = row(',', cols, 2, NULL, cases[i].rec, strlen(cases[i].rec));
        if (strncmp(cases[i].want, "ERR:", 4) == 0)
            cr_expect(strncmp(got, "ERR: DELIMITED value", 20) == 0 &&
                          strstr(got, cases[i].want + 4) && strstr(got, "(at byte "),
                      "case %zu '%s': want '%s', got %s", i, cases[i].rec, cases[i].want + 4,
                      got);
        else
            cr_expect_str_eq(got, cases[i].want, "case %zu '%s'", i, cases[i].rec);
    }
    /* one column: the empty message is one empty field */
    cr_expect_str_eq(row(',', cols, 1, NULL, "", 0), "null");
    /* a NUL byte is data, not an end */
    cr_expect_str_eq(row(',', cols, 2, NULL, "a\0b,c", 5), "s'a\\0b' | s'c'");
}

Test(delimited, other_delimiters)
{
    sl_column cols[] = {col("A", &SL_TYPE_INT), col("B", &SL_TYPE_STRING), col("C", &SL_TYPE_INT)};
    cr_expect_str_eq(row('|', cols, 3, NULL, "1|a,b|3", 7), "i:1 | s'a,b' | i:3");
    cr_expect_str_eq(row('\t', cols, 3, NULL, "1\t\"x\ty\"\t3", 9), "i:1 | s'x\ty' | i:3");
    cr_expect_str_eq(row(' ', cols, 3, NULL, "1 two 3", 7), "i:1 | s'two' | i:3");
    const char *got = row('|', cols, 3, NULL, "1,2,3", 5);
    cr_expect(strstr(got, "cannot parse '1,2,3' as INTEGER"), "%s", got);
    /* the default delimiter is a comma */
    cr_expect_str_eq(row(0, cols, 3, NULL, "1,,3", 4), "i:1 | null | i:3");
}

Test(delimited, values_of_every_type)
{
    const sl_type *types[] = {&SL_TYPE_BOOLEAN, &SL_TYPE_INT, &SL_TYPE_BIGINT, &SL_TYPE_DOUBLE,
                              sl_type_decimal(A, 25, 5), &SL_TYPE_STRING, &SL_TYPE_BYTES,
                              &SL_TYPE_TIMESTAMP, &SL_TYPE_DATE, &SL_TYPE_TIME};
    enum { BO, IN, BI, DO, DE, ST, BY, TS, DA, TI };
    static const struct { int t; const char *field, *want; } cases[] = {
        {BO, "true", "b:true"}, {BO, "TRUE", "b:true"}, {BO, "yes", "b:false"},
        {BO, "\"\"", "null"}, {BO, "", "null"},
        {IN, "42", "i:42"}, {IN, "-7", "i:-7"}, {IN, "+7", "i:7"},
        {IN, "2147483648", "ERR:cannot parse '2147483648' as INTEGER"},
        {IN, " 1", "ERR:cannot parse ' 1' as INTEGER"}, {IN, "1.0", "ERR:as INTEGER"},
        {BI, "-9223372036854775808", "l:-9223372036854775808"},
        {BI, "9223372036854775808", "ERR:as BIGINT"},
        {DO, "2.5", "d:2.5"}, {DO, " 2.5 ", "d:2.5"}, {DO, "1e3", "d:1000"},
        {DO, "NaN", "d:nan"}, {DO, "-Infinity", "d:-inf"}, {DO, "2.5d", "d:2.5"},
        {DO, "0x10", "ERR:as DOUBLE"}, {DO, "inf", "ERR:as DOUBLE"}, {DO, "1;5", "ERR:as DOUBLE"},
        {DE, "12345678901234567890.12345", "n:12345678901234567890.12345"},
        {DE, "-.5", "n:-0.50000"}, {DE, "1E2", "n:100.00000"},
        {DE, "0.123456", "ERR:without rounding"}, {DE, "1e30", "ERR:numeric field overflow"},
        {DE, "1..2", "ERR:cannot parse '1..2' as DECIMAL(25, 5)"},
        {ST, "text", "s'text'"}, {ST, "\"\"", "null"},
        {BY, "AAEC", "x:000102"}, {BY, "AA==", "x:00"}, {BY, "A", "ERR:invalid base64"},
        {TS, "1700000000000", "ts:1700000000000"}, {TS, "2021-01-01", "ERR:as TIMESTAMP"},
        {DA, "-1", "dt:-1"}, {TI, "86399999", "tm:86399999"},
        {TI, "86400000", "ERR:as TIME"}, {TI, "-5", "ERR:as TIME"}, {TI, "-0", "tm:0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_column c = col("V", types[cases[i].t]);
        const char *got = row(',', &c, 1, NULL, cases[i].field, strlen(cases[i].field));
        if (strncmp(cases[i].want, "ERR:", 4) == 0)
            cr_expect(strncmp(got, "ERR: DELIMITED value, column `V`", 32) == 0 &&
                          strstr(got, cases[i].want + 4),
                      "case %zu '%s': want '%s', got %s", i, cases[i].field, cases[i].want + 4,
                      got);
        else
            cr_expect_str_eq(got, cases[i].want, "case %zu '%s'", i, cases[i].field);
    }
}

Test(delimited, unwanted_columns_are_not_parsed)
{
    sl_column cols[] = {col("A", &SL_TYPE_INT), col("B", &SL_TYPE_INT), col("C", &SL_TYPE_STRING)};
    bool want[] = {false, false, true};
    cr_expect_str_eq(row(',', cols, 3, want, "x,\"y\"\"\",z", 9), "null | null | s'z'");
    /* the field count is still checked */
    const char *got = row(',', cols, 3, want, "x,z", 3);
    cr_expect(strstr(got, "has 2 fields"), "%s", got);
}

Test(delimited, every_truncation_is_safe)
{
    sl_column cols[] = {col("A", &SL_TYPE_STRING), col("B", sl_type_decimal(A, 6, 2)),
                        col("C", &SL_TYPE_STRING)};
    const char *rec = "\"q\"\"uo,te\",-12.5,\"x\"";
    size_t len = strlen(rec);
    cr_assert_str_eq(row(',', cols, 3, NULL, rec, len), "s'q\"uo,te' | n:-12.50 | s'x'");
    for (size_t n = 0; n < len; n++) {
        const char *got = row(',', cols, 3, NULL, rec, n);
        /* the only prefix that is itself a record: the last field cut to '"x' fails,
         * and '...,' gives three fields with C empty */
        if (n == len - 3)
            cr_expect_str_eq(got, "s'q\"uo,te' | n:-12.50 | null", "prefix %zu", n);
        else
            cr_expect(strncmp(got, "ERR: ", 5) == 0, "prefix of %zu bytes: %s", n, got);
    }
}

static const char *enc(char delim, const sl_column *cols, int n, const sl_value *v)
{
    static char out[8192];
    sl_format_opts o = {.kind = SL_FMT_DELIMITED, .delimiter = delim};
    sl_encoder *e = sl_encoder_new(&o, cols, n, &err);
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

Test(delimited, encoder_quotes_only_when_needed)
{
    sl_column cols[] = {col("S", &SL_TYPE_STRING)};
    static const struct { const char *s, *want; } cases[] = {
        {"plain", "plain"}, {"a,b", "\"a,b\""}, {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"l1\nl2", "\"l1\nl2\""}, {"cr\r", "\"cr\r\""}, {" pad", "\" pad\""},
        {"pad ", "\"pad \""}, {"a|b", "a|b"}, {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_value v = sl_string_ref(cases[i].s, (uint32_t)strlen(cases[i].s));
        cr_expect_str_eq(enc(',', cols, 1, &v), cases[i].want, "case %zu", i);
    }
    sl_value v = sl_string_ref("a|b", 3);
    cr_expect_str_eq(enc('|', cols, 1, &v), "\"a|b\"");
}

Test(delimited, encode_then_decode_round_trips)
{
    sl_column cols[] = {
        col("B", &SL_TYPE_BOOLEAN), col("I", &SL_TYPE_INT), col("L", &SL_TYPE_BIGINT),
        col("D", &SL_TYPE_DOUBLE), col("N", sl_type_decimal(A, 10, 3)),
        col("S", &SL_TYPE_STRING), col("X", &SL_TYPE_BYTES), col("TS", &SL_TYPE_TIMESTAMP),
    };
    sl_value v[] = {
        sl_bool(false), sl_int(INT32_MIN), sl_null(), sl_double(0.1 + 0.2),
        sl_decimal(-1005, 10, 3), sl_string_ref("x,\"y\"\n", 6), sl_bytes_copy(A, "\xff\x00", 2),
        sl_timestamp(-1),
    };
    const char *text = enc(',', cols, 8, v);
    cr_expect_str_eq(text, "false,-2147483648,,0.30000000000000004,-1.005,\"x,\"\"y\"\"\n\",/wA=,-1");
    char want[8192];
    snprintf(want, sizeof want, "%s", show_row(v, 8));
    cr_expect_str_eq(row(',', cols, 8, NULL, text, strlen(text)), want);
    sl_value wrong[8];
    memcpy(wrong, v, sizeof v);
    wrong[1] = sl_bigint(1);
    const char *got = enc(',', cols, 8, wrong);
    cr_expect(strstr(got, "ERR: DELIMITED: column `I`: a BIGINT value where INTEGER"), "%s", got);
}
