/*
 * test_cast.c: sl_value_cast (engine/cast.c) for each allowed pair, with
 * the row errors a user sees for values that do not convert.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/expr.h"

static sl_arena *A;

static void setup(void) { A = sl_arena_new(0); }
static void teardown(void) { sl_arena_free(A); }

TestSuite(cast, .init = setup, .fini = teardown);

static char got[600];

/* Casts v and renders the result as JSON, or "ERR: message". */
static const char *cast(sl_value v, const sl_type *from, const sl_type *to)
{
    sl_value r;
    sl_error err;
    sl_error_clear(&err);
    if (sl_value_cast(&v, from, to, A, &r, &err)) {
        cr_expect_eq(err.code, SL_ERR_EVAL, "a failed cast is a row error");
        snprintf(got, sizeof got, "ERR: %s", err.msg);
        return got;
    }
    sl_buf b = SL_BUF_INIT;
    sl_value_render(&b, &r, to, SL_RENDER_JSON);
    snprintf(got, sizeof got, "%s", sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return got;
}

static sl_value str(const char *s)
{
    return sl_string_ref(s, (uint32_t)strlen(s));
}

Test(cast, numbers)
{
    const sl_type *d52 = sl_type_decimal(A, 5, 2), *d31 = sl_type_decimal(A, 3, 1);
    const sl_type *I = &SL_TYPE_INT, *L = &SL_TYPE_BIGINT, *D = &SL_TYPE_DOUBLE;
    struct { sl_value v; const sl_type *from, *to; const char *want; } cases[] = {
        {sl_int(7), I, L, "7"},
        {sl_int(7), I, D, "7.0"},
        {sl_int(7), I, d52, "7.00"},
        {sl_int(1000), I, d52, "ERR: value 1000 does not fit DECIMAL(5, 2)"},
        {sl_bigint(3000000000LL), L, I, "ERR: value 3000000000 is out of range for INTEGER"},
        {sl_bigint(-2147483648LL), L, I, "-2147483648"},
        {sl_double(2.9), D, I, "2"},
        {sl_double(-2.9), D, I, "-2"},
        {sl_double(3e9), D, I, "ERR: value 3.0E9 is out of range for INTEGER"},
        {sl_double(3e9), D, L, "3000000000"},
        {sl_double(1e19), D, L, "ERR: value 1.0E19 is out of range for BIGINT"},
        {sl_double(NAN), D, L, "ERR: value NaN is out of range for BIGINT"},
        {sl_double(1.005), D, d52, "1.01"},
        {sl_double(0.125), D, d52, "0.13"},
        {sl_double(-0.125), D, d52, "-0.13"},
        {sl_double(1234.5), D, d52, "ERR: value 1234.5 does not fit DECIMAL(5, 2)"},
        {sl_double(INFINITY), D, d52, "ERR: value Infinity is out of range for DECIMAL"},
        {sl_decimal(12345, 5, 2), d52, I, "123"},
        {sl_decimal(-12399, 5, 2), d52, L, "-123"},
        {sl_decimal(12345, 5, 2), d52, D, "123.45"},
        {sl_decimal(12345, 5, 2), d52, d31, "ERR: value 123.45 does not fit DECIMAL(3, 1)"},
        {sl_decimal(1255, 5, 2), d52, d31, "12.6"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(cast(cases[i].v, cases[i].from, cases[i].to), cases[i].want,
                         "case %zu", i);
}

Test(cast, from_string)
{
    const sl_type *S = &SL_TYPE_STRING, *d52 = sl_type_decimal(A, 5, 2);
    struct { const char *in; const sl_type *to; const char *want; } cases[] = {
        {"42", &SL_TYPE_INT, "42"},
        {" -42 ", &SL_TYPE_INT, "-42"},
        {"2147483648", &SL_TYPE_INT, "ERR: cannot cast '2147483648' to INTEGER"},
        {"9223372036854775807", &SL_TYPE_BIGINT, "9223372036854775807"},
        {"9223372036854775808", &SL_TYPE_BIGINT, "ERR: cannot cast '9223372036854775808' to BIGINT"},
        {"1.5", &SL_TYPE_INT, "ERR: cannot cast '1.5' to INTEGER"},
        {"abc", &SL_TYPE_INT, "ERR: cannot cast 'abc' to INTEGER"},
        {"", &SL_TYPE_BIGINT, "ERR: cannot cast '' to BIGINT"},
        {"1.5", &SL_TYPE_DOUBLE, "1.5"},
        {"-1e3", &SL_TYPE_DOUBLE, "-1000.0"},
        {"NaN", &SL_TYPE_DOUBLE, "\"NaN\""},
        {"0x10", &SL_TYPE_DOUBLE, "ERR: cannot cast '0x10' to DOUBLE"},
        {"1.5x", &SL_TYPE_DOUBLE, "ERR: cannot cast '1.5x' to DOUBLE"},
        {"3.14159", d52, "3.14"},
        {"1.2e2", d52, "120.00"},
        {"-0.005", d52, "-0.01"},
        {"1000", d52, "ERR: value 1000 does not fit DECIMAL(5, 2)"},
        {"1,5", d52, "ERR: cannot cast '1,5' to DECIMAL(5, 2)"},
        {"true", &SL_TYPE_BOOLEAN, "true"},
        {"YES", &SL_TYPE_BOOLEAN, "true"},
        {"f", &SL_TYPE_BOOLEAN, "false"},
        {"No", &SL_TYPE_BOOLEAN, "false"},
        {"maybe", &SL_TYPE_BOOLEAN, "ERR: cannot cast 'maybe' to BOOLEAN"},
        {"2021-03-04T05:06:07.089", &SL_TYPE_TIMESTAMP, "\"2021-03-04T05:06:07.089\""},
        {"2021-03-04 05:06", &SL_TYPE_TIMESTAMP, "\"2021-03-04T05:06:00.000\""},
        {"2021-03-04", &SL_TYPE_TIMESTAMP, "\"2021-03-04T00:00:00.000\""},
        {"2021-03-04T05:06:07Z", &SL_TYPE_TIMESTAMP, "\"2021-03-04T05:06:07.000\""},
        {"2021-03-04T05:06:07+02:00", &SL_TYPE_TIMESTAMP, "\"2021-03-04T03:06:07.000\""},
        {"2021-03-04T05:06:07.123456789", &SL_TYPE_TIMESTAMP, "\"2021-03-04T05:06:07.123\""},
        {"2021-02-29T00:00:00", &SL_TYPE_TIMESTAMP, "ERR: cannot cast '2021-02-29T00:00:00' to TIMESTAMP"},
        {"2021-03-04T24:00:00", &SL_TYPE_TIMESTAMP, "ERR: cannot cast '2021-03-04T24:00:00' to TIMESTAMP"},
        {"2020-02-29", &SL_TYPE_DATE, "\"2020-02-29\""},
        {"2021-13-01", &SL_TYPE_DATE, "ERR: cannot cast '2021-13-01' to DATE"},
        {"2021-03-04T00:00", &SL_TYPE_DATE, "ERR: cannot cast '2021-03-04T00:00' to DATE"},
        {"23:59:59.999", &SL_TYPE_TIME, "\"23:59:59.999\""},
        {"12:30", &SL_TYPE_TIME, "\"12:30:00\""},
        {"12:60", &SL_TYPE_TIME, "ERR: cannot cast '12:60' to TIME"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(cast(str(cases[i].in), S, cases[i].to), cases[i].want, "case %zu (%s)",
                         i, cases[i].in);
}

Test(cast, to_string)
{
    const sl_type *S = &SL_TYPE_STRING;
    sl_field f[2] = {{"A", &SL_TYPE_INT}, {"B", &SL_TYPE_STRING}};
    const sl_type *stt = sl_type_struct(A, f, 2);
    sl_value st = sl_struct_new(A, 2);
    st.u.st.fields[0] = sl_int(1);
    st.u.st.fields[1] = str("x");
    sl_value arr = sl_array_new(A, 3);
    arr.u.arr.items[0] = sl_int(1);
    arr.u.arr.items[2] = sl_int(3);
    sl_value map = sl_map_new(A, 2);
    map.u.map.keys[0] = str("a");
    map.u.map.vals[0] = sl_int(1);
    map.u.map.keys[1] = str("b");
    map.u.map.vals[1] = sl_int(2);
    struct { sl_value v; const sl_type *from; const char *want; } cases[] = {
        {sl_int(-5), &SL_TYPE_INT, "\"-5\""},
        {sl_bigint(123456789012LL), &SL_TYPE_BIGINT, "\"123456789012\""},
        {sl_double(1.0), &SL_TYPE_DOUBLE, "\"1.0\""},
        {sl_double(1.5e10), &SL_TYPE_DOUBLE, "\"1.5E10\""},
        {sl_decimal(100, 3, 2), sl_type_decimal(A, 3, 2), "\"1.00\""},
        {sl_bool(false), &SL_TYPE_BOOLEAN, "\"false\""},
        {sl_timestamp(1614834367089LL), &SL_TYPE_TIMESTAMP, "\"2021-03-04T05:06:07.089\""},
        {sl_date(0), &SL_TYPE_DATE, "\"1970-01-01\""},
        {sl_time(3723000), &SL_TYPE_TIME, "\"01:02:03\""},
        {arr, sl_type_array(A, &SL_TYPE_INT), "\"[1, null, 3]\""},
        {map, sl_type_map(A, S, &SL_TYPE_INT), "\"{a=1, b=2}\""},
        {st, stt, "\"Struct{A=1,B=x}\""},
        {sl_null(), &SL_TYPE_INT, "null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(cast(cases[i].v, cases[i].from, S), cases[i].want, "case %zu", i);
    cr_expect_str_eq(cast(sl_bytes_copy(A, "ab", 2), &SL_TYPE_BYTES, S),
                     "ERR: cannot cast BYTES to VARCHAR");
}

Test(cast, temporal)
{
    /* 2021-03-04T05:06:07.089 and a time before the epoch */
    cr_expect_str_eq(cast(sl_timestamp(1614834367089LL), &SL_TYPE_TIMESTAMP, &SL_TYPE_DATE),
                     "\"2021-03-04\"");
    cr_expect_str_eq(cast(sl_timestamp(1614834367089LL), &SL_TYPE_TIMESTAMP, &SL_TYPE_TIME),
                     "\"05:06:07.089\"");
    cr_expect_str_eq(cast(sl_timestamp(-1), &SL_TYPE_TIMESTAMP, &SL_TYPE_DATE), "\"1969-12-31\"");
    cr_expect_str_eq(cast(sl_timestamp(-1), &SL_TYPE_TIMESTAMP, &SL_TYPE_TIME), "\"23:59:59.999\"");
    cr_expect_str_eq(cast(sl_date(18690), &SL_TYPE_DATE, &SL_TYPE_TIMESTAMP),
                     "\"2021-03-04T00:00:00.000\"");
    cr_expect_str_eq(cast(sl_time(5), &SL_TYPE_TIME, &SL_TYPE_DATE), "ERR: cannot cast TIME to DATE");
}

Test(cast, composites)
{
    const sl_type *ai = sl_type_array(A, &SL_TYPE_INT), *as = sl_type_array(A, &SL_TYPE_STRING);
    sl_value arr = sl_array_new(A, 2);
    arr.u.arr.items[0] = str("1");
    arr.u.arr.items[1] = str("x");
    cr_expect_str_eq(cast(arr, as, ai), "ERR: cannot cast 'x' to INTEGER");
    arr.u.arr.items[1] = sl_null();
    cr_expect_str_eq(cast(arr, as, ai), "[1,null]");

    const sl_type *ms = sl_type_map(A, &SL_TYPE_STRING, &SL_TYPE_STRING);
    const sl_type *md = sl_type_map(A, &SL_TYPE_STRING, &SL_TYPE_DOUBLE);
    sl_value m = sl_map_new(A, 1);
    m.u.map.keys[0] = str("k");
    m.u.map.vals[0] = str("2.5");
    cr_expect_str_eq(cast(m, ms, md), "{\"k\":2.5}");

    sl_field from_f[2] = {{"A", &SL_TYPE_STRING}, {"B", &SL_TYPE_INT}};
    sl_field to_f[2] = {{"C", &SL_TYPE_INT}, {"A", &SL_TYPE_INT}};
    const sl_type *from = sl_type_struct(A, from_f, 2), *to = sl_type_struct(A, to_f, 2);
    sl_value s = sl_struct_new(A, 2);
    s.u.st.fields[0] = str("12");
    s.u.st.fields[1] = sl_int(5);
    cr_expect_str_eq(cast(s, from, to), "{\"C\":null,\"A\":12}");
}
