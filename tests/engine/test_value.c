/*
 * test_value.c: values (engine/value.c): exact decimals, UTF-8, ordering,
 * equality and hashing across numeric types, TEXT and JSON renderings,
 * deep copies.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/value.h"

static sl_arena *A;

static void setup(void) { A = sl_arena_new(0); }
static void teardown(void) { sl_arena_free(A); }

TestSuite(value, .init = setup, .fini = teardown);

static char out[512];

static const char *render(const sl_value *v, const sl_type *t, sl_render mode)
{
    sl_buf b = SL_BUF_INIT;
    sl_value_render(&b, v, t, mode);
    snprintf(out, sizeof out, "%s", sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return out;
}

static const char *decfmt(sl_int128 u, int scale)
{
    sl_buf b = SL_BUF_INIT;
    sl_decimal_format(&b, u, scale);
    snprintf(out, sizeof out, "%s", sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return out;
}

Test(value, decimal_parse_and_format)
{
    struct { const char *in; bool ok; int p, s; const char *back; } cases[] = {
        {"1.50", true, 3, 2, "1.50"},
        {"-12.340", true, 5, 3, "-12.340"},
        {"0.05", true, 2, 2, "0.05"},
        {"123", true, 3, 0, "123"},
        {"0", true, 1, 0, "0"},
        {"0.0", true, 1, 1, "0.0"},
        {"007.5", true, 2, 1, "7.5"},
        {".5", true, 1, 1, "0.5"},
        {"12345678901234567890123456789012345678", true, 38, 0, "12345678901234567890123456789012345678"},
        {"123456789012345678901234567890123456789", false, 0, 0, NULL},
        {"1e3", false, 0, 0, NULL},
        {"1.2.3", false, 0, 0, NULL},
        {"", false, 0, 0, NULL},
        {"-", false, 0, 0, NULL},
        {"abc", false, 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_int128 u = 0;
        int p = -1, s = -1;
        bool ok = sl_decimal_parse(cases[i].in, strlen(cases[i].in), &u, &p, &s);
        cr_expect_eq(ok, cases[i].ok, "case %zu '%s'", i, cases[i].in);
        if (ok && cases[i].ok) {
            cr_expect_eq(p, cases[i].p, "precision of '%s'", cases[i].in);
            cr_expect_eq(s, cases[i].s, "scale of '%s'", cases[i].in);
            cr_expect_str_eq(decfmt(u, s), cases[i].back);
        }
    }
}

Test(value, decimal_rescale_rounds_half_up)
{
    struct { long long in; int from, to; bool ok; const char *want; } cases[] = {
        {125, 2, 1, true, "1.3"},
        {-125, 2, 1, true, "-1.3"},
        {124, 2, 1, true, "1.2"},
        {149, 2, 0, true, "1"},
        {150, 2, 0, true, "2"},
        {15, 1, 3, true, "1.500"},
        {0, 0, 38, true, "0.00000000000000000000000000000000000000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_int128 r;
        bool ok = sl_decimal_rescale(cases[i].in, cases[i].from, cases[i].to, &r);
        cr_expect_eq(ok, cases[i].ok, "case %zu", i);
        if (ok)
            cr_expect_str_eq(decfmt(r, cases[i].to), cases[i].want, "case %zu", i);
    }
    /* scaling 10^30 up by 10 digits does not fit 38 digits */
    sl_int128 big = 1, r;
    for (int i = 0; i < 30; i++)
        big *= 10;
    cr_expect(!sl_decimal_rescale(big, 0, 10, &r));
    cr_expect(sl_decimal_fits(99999, 5));
    cr_expect(!sl_decimal_fits(100000, 5));
    cr_expect(sl_decimal_fits(-99999, 5));
    cr_expect(!sl_decimal_fits(-100000, 5));
}

Test(value, utf8)
{
    struct { const char *s; size_t n; bool valid; size_t len; } cases[] = {
        {"abc", 3, true, 3},
        {"h\xc3\xa9llo", 6, true, 5},
        {"\xe2\x82\xac", 3, true, 1},
        {"\xf0\x9f\x98\x80", 4, true, 1},
        {"", 0, true, 0},
        {"\xc3", 1, false, 0},              /* truncated */
        {"\xc0\xaf", 2, false, 0},          /* overlong */
        {"\xed\xa0\x80", 3, false, 0},      /* surrogate */
        {"\xf4\x90\x80\x80", 4, false, 0},  /* > U+10FFFF */
        {"\xff", 1, false, 0},
        {"a\x80", 2, false, 0},             /* stray continuation */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(sl_utf8_valid(cases[i].s, cases[i].n), cases[i].valid, "case %zu", i);
        if (cases[i].valid)
            cr_expect_eq(sl_utf8_length(cases[i].s, cases[i].n), cases[i].len, "case %zu", i);
    }
}

Test(value, compare_across_numeric_types)
{
    sl_value one_int = sl_int(1), one_big = sl_bigint(1), one_dbl = sl_double(1.0);
    sl_value one_dec = sl_decimal(100, 3, 2), two_dec = sl_decimal(2, 1, 0);
    sl_value half = sl_decimal(5, 1, 1);
    cr_expect_eq(sl_value_compare(&one_int, &one_big), 0);
    cr_expect_eq(sl_value_compare(&one_int, &one_dbl), 0);
    cr_expect_eq(sl_value_compare(&one_dec, &one_int), 0);
    cr_expect(sl_value_compare(&half, &one_int) < 0);
    cr_expect(sl_value_compare(&two_dec, &one_dec) > 0);
    cr_expect(sl_value_compare(&half, &one_dbl) < 0);
    cr_expect(sl_value_equal(&one_dec, &one_big));
    cr_expect_eq(sl_value_hash(&one_dec), sl_value_hash(&one_int));
    cr_expect_eq(sl_value_hash(&one_dbl), sl_value_hash(&one_big));
    sl_value d1 = sl_decimal(10, 2, 1), d2 = sl_decimal(1000, 4, 3);
    cr_expect(sl_value_equal(&d1, &d2));
    cr_expect_eq(sl_value_hash(&d1), sl_value_hash(&d2));
    sl_value a = sl_bigint(INT64_MAX), b = sl_bigint(INT64_MIN);
    cr_expect(sl_value_compare(&a, &b) > 0);
    cr_expect(sl_value_compare(&b, &a) < 0);
}

Test(value, compare_strings_and_others)
{
    sl_value ab = sl_string_ref("ab", 2), abc = sl_string_ref("abc", 3), b = sl_string_ref("b", 1);
    sl_value e = sl_string_ref("\xc3\xa9", 2);
    cr_expect(sl_value_compare(&ab, &abc) < 0);
    cr_expect(sl_value_compare(&abc, &b) < 0);
    cr_expect(sl_value_compare(&e, &b) > 0);  /* code point order */
    cr_expect(!sl_value_equal(&ab, &abc));
    sl_value t = sl_bool(true), f = sl_bool(false);
    cr_expect(sl_value_compare(&f, &t) < 0);
    sl_value n = sl_null();
    cr_expect(sl_value_equal(&n, &n));
    cr_expect(sl_value_compare(&n, &t) < 0);
    sl_value ts1 = sl_timestamp(-5), ts2 = sl_timestamp(3);
    cr_expect(sl_value_compare(&ts1, &ts2) < 0);
    sl_value nan = sl_double(NAN), big = sl_double(1e300);
    cr_expect(sl_value_compare(&nan, &big) > 0);
    cr_expect(sl_value_equal(&nan, &nan));
}

Test(value, composite_equality_and_hash)
{
    sl_value m1 = sl_map_new(A, 2), m2 = sl_map_new(A, 2);
    m1.u.map.keys[0] = sl_string_ref("a", 1); m1.u.map.vals[0] = sl_int(1);
    m1.u.map.keys[1] = sl_string_ref("b", 1); m1.u.map.vals[1] = sl_int(2);
    m2.u.map.keys[0] = sl_string_ref("b", 1); m2.u.map.vals[0] = sl_int(2);
    m2.u.map.keys[1] = sl_string_ref("a", 1); m2.u.map.vals[1] = sl_int(1);
    cr_expect(sl_value_equal(&m1, &m2), "maps compare as sets of entries");
    cr_expect_eq(sl_value_hash(&m1), sl_value_hash(&m2));
    m2.u.map.vals[0] = sl_int(3);
    cr_expect(!sl_value_equal(&m1, &m2));

    sl_value a1 = sl_array_new(A, 2), a2 = sl_array_new(A, 2);
    a1.u.arr.items[0] = sl_int(1);
    a2.u.arr.items[0] = sl_int(1);
    cr_expect(sl_value_equal(&a1, &a2), "NULL items are equal here");
    cr_expect_eq(sl_value_hash(&a1), sl_value_hash(&a2));
    a2.u.arr.items[1] = sl_int(5);
    cr_expect(!sl_value_equal(&a1, &a2));
    cr_expect(sl_value_compare(&a1, &a2) < 0);
    sl_value s1 = sl_string_ref("x", 1), s2 = sl_string_ref("y", 1);
    cr_expect_neq(sl_value_hash(&s1), sl_value_hash(&s2));
}

Test(value, render_json_and_text)
{
    const sl_type *dect = sl_type_decimal(A, 5, 2);
    sl_field f[2] = {{"A", &SL_TYPE_INT}, {"b", &SL_TYPE_STRING}};
    const sl_type *stt = sl_type_struct(A, f, 2);
    sl_value st = sl_struct_new(A, 2);
    st.u.st.fields[0] = sl_int(1);
    st.u.st.fields[1] = sl_string_copy(A, "q\"x", 3);
    sl_value arr = sl_array_new(A, 3);
    arr.u.arr.items[0] = sl_int(1);
    arr.u.arr.items[2] = sl_int(3);
    sl_value map = sl_map_new(A, 1);
    map.u.map.keys[0] = sl_string_ref("k", 1);
    map.u.map.vals[0] = sl_double(2.5);
    struct { sl_value v; const sl_type *t; const char *json, *text; } cases[] = {
        {sl_null(), &SL_TYPE_INT, "null", "null"},
        {sl_bool(true), &SL_TYPE_BOOLEAN, "true", "true"},
        {sl_int(-42), &SL_TYPE_INT, "-42", "-42"},
        {sl_bigint(INT64_MIN), &SL_TYPE_BIGINT, "-9223372036854775808", "-9223372036854775808"},
        {sl_double(1.0), &SL_TYPE_DOUBLE, "1.0", "1.0"},
        {sl_double(0.1), &SL_TYPE_DOUBLE, "0.1", "0.1"},
        {sl_double(-2.5), &SL_TYPE_DOUBLE, "-2.5", "-2.5"},
        {sl_double(1e7), &SL_TYPE_DOUBLE, "1.0E7", "1.0E7"},
        {sl_double(1234567.0), &SL_TYPE_DOUBLE, "1234567.0", "1234567.0"},
        {sl_double(0.001), &SL_TYPE_DOUBLE, "0.001", "0.001"},
        {sl_double(0.0001), &SL_TYPE_DOUBLE, "1.0E-4", "1.0E-4"},
        {sl_double(1.5e-10), &SL_TYPE_DOUBLE, "1.5E-10", "1.5E-10"},
        {sl_double(NAN), &SL_TYPE_DOUBLE, "\"NaN\"", "NaN"},
        {sl_double(-INFINITY), &SL_TYPE_DOUBLE, "\"-Infinity\"", "-Infinity"},
        {sl_decimal(-5, 5, 2), dect, "-0.05", "-0.05"},
        {sl_decimal(12300, 5, 2), dect, "123.00", "123.00"},
        {sl_string_ref("a\"b\n", 4), &SL_TYPE_STRING, "\"a\\\"b\\n\"", "a\"b\n"},
        {sl_bytes_copy(A, "hello", 5), &SL_TYPE_BYTES, "\"aGVsbG8=\"", "aGVsbG8="},
        {sl_timestamp(0), &SL_TYPE_TIMESTAMP, "\"1970-01-01T00:00:00.000\"", "1970-01-01T00:00:00.000"},
        {sl_timestamp(-1), &SL_TYPE_TIMESTAMP, "\"1969-12-31T23:59:59.999\"", "1969-12-31T23:59:59.999"},
        {sl_timestamp(1614834367089LL), &SL_TYPE_TIMESTAMP, "\"2021-03-04T05:06:07.089\"", "2021-03-04T05:06:07.089"},
        {sl_date(18690), &SL_TYPE_DATE, "\"2021-03-04\"", "2021-03-04"},
        {sl_date(-1), &SL_TYPE_DATE, "\"1969-12-31\"", "1969-12-31"},
        {sl_time(18367000), &SL_TYPE_TIME, "\"05:06:07\"", "05:06:07"},
        {sl_time(18367089), &SL_TYPE_TIME, "\"05:06:07.089\"", "05:06:07.089"},
        {arr, sl_type_array(A, &SL_TYPE_INT), "[1,null,3]", "[1,null,3]"},
        {map, sl_type_map(A, &SL_TYPE_STRING, &SL_TYPE_DOUBLE), "{\"k\":2.5}", "{\"k\":2.5}"},
        {st, stt, "{\"A\":1,\"b\":\"q\\\"x\"}", "{\"A\":1,\"b\":\"q\\\"x\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_str_eq(render(&cases[i].v, cases[i].t, SL_RENDER_JSON), cases[i].json,
                         "json case %zu", i);
        cr_expect_str_eq(render(&cases[i].v, cases[i].t, SL_RENDER_TEXT), cases[i].text,
                         "text case %zu", i);
    }
}

Test(value, deep_copy_outlives_source)
{
    sl_arena *src = sl_arena_new(0);
    sl_value arr = sl_array_new(src, 2);
    arr.u.arr.items[0] = sl_string_copy(src, "hello", 5);
    sl_value inner = sl_map_new(src, 1);
    inner.u.map.keys[0] = sl_string_copy(src, "k", 1);
    inner.u.map.vals[0] = sl_decimal(12345, 5, 2);
    arr.u.arr.items[1] = inner;
    sl_value copy = sl_value_copy(A, &arr);
    cr_expect(sl_value_equal(&copy, &arr));
    sl_arena_free(src);
    cr_assert_eq(copy.u.arr.n, 2);
    cr_expect_eq(copy.u.arr.items[0].u.s.len, 5);
    cr_expect(memcmp(copy.u.arr.items[0].u.s.ptr, "hello", 5) == 0);
    cr_expect(memcmp(copy.u.arr.items[1].u.map.keys[0].u.s.ptr, "k", 1) == 0);
    cr_expect(copy.u.arr.items[1].u.map.vals[0].u.dec == 12345);
}
