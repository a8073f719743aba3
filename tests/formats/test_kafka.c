/*
 * test_kafka.c: the KAFKA codec (formats/kafka.c) against the bytes Kafka's
 * Java serializers write, wrong lengths, UTF-8 checks, round trips, absent
 * records, and the NONE format.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "fmt_test.h"

static sl_arena *A;
static sl_error err;

static void setup(void) { A = sl_arena_new(0); }
static void teardown(void) { sl_arena_free(A); }

TestSuite(kafka, .init = setup, .fini = teardown);

static const sl_format_opts KAFKA = {.kind = SL_FMT_KAFKA, .is_key = true};

static const char *one(const sl_type *t, const char *bytes, size_t len)
{
    static char out[8192];
    sl_column c = col("K", t);
    sl_decoder *d = sl_decoder_new(&KAFKA, &c, 1, NULL, &err);
    cr_assert(d, "decoder: %s", err.msg);
    sl_value v;
    if (decode_exact(d, bytes, len, A, &v, &err) < 0)
        snprintf(out, sizeof out, "ERR: %s", err.msg);
    else
        snprintf(out, sizeof out, "%s", show_row(&v, 1));
    sl_decoder_free(d);
    return out;
}

Test(kafka, decodes_java_serializer_bytes)
{
    static const struct { const sl_type *t; const char *bytes; size_t len; const char *want; } cases[] = {
        {&SL_TYPE_INT, "\x00\x00\x01\x00", 4, "i:256"},
        {&SL_TYPE_INT, "\xff\xff\xff\xfe", 4, "i:-2"},
        {&SL_TYPE_INT, "\x80\x00\x00\x00", 4, "i:-2147483648"},
        {&SL_TYPE_INT, "\x00\x00\x01", 3, "ERR: KAFKA key, column `K`: a INTEGER needs exactly 4 bytes, the record has 3"},
        {&SL_TYPE_INT, "\x00\x00\x00\x00\x01", 5, "ERR: KAFKA key, column `K`: a INTEGER needs exactly 4 bytes, the record has 5"},
        {&SL_TYPE_INT, "", 0, "ERR: KAFKA key, column `K`: a INTEGER needs exactly 4 bytes, the record has 0"},
        {&SL_TYPE_BIGINT, "\x00\x00\x00\x00\x00\x00\x00\x2a", 8, "l:42"},
        {&SL_TYPE_BIGINT, "\x80\x00\x00\x00\x00\x00\x00\x00", 8, "l:-9223372036854775808"},
        {&SL_TYPE_BIGINT, "\x00\x00\x00\x2a", 4, "ERR: KAFKA key, column `K`: a BIGINT needs exactly 8 bytes, the record has 4"},
        {&SL_TYPE_DOUBLE, "\x3f\xf8\x00\x00\x00\x00\x00\x00", 8, "d:1.5"},
        {&SL_TYPE_DOUBLE, "\xc0\x00\x00\x00\x00\x00\x00\x00", 8, "d:-2"},
        {&SL_TYPE_DOUBLE, "\x7f\xf0\x00\x00\x00\x00\x00\x00", 8, "d:inf"},
        {&SL_TYPE_DOUBLE, "\x3f\xf8", 2, "ERR: KAFKA key, column `K`: a DOUBLE needs exactly 8 bytes, the record has 2"},
        {&SL_TYPE_STRING, "h\xc3\xa9", 3, "s'h\xc3\xa9'"},
        {&SL_TYPE_STRING, "", 0, "s''"},
        {&SL_TYPE_STRING, "a\0b", 3, "s'a\\0b'"},
        {&SL_TYPE_STRING, "\xc3", 1, "ERR: KAFKA key, column `K`: invalid UTF-8 in the string"},
        {&SL_TYPE_BYTES, "\x00\xff", 2, "x:00ff"},
        {&SL_TYPE_BYTES, "", 0, "x:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = one(cases[i].t, cases[i].bytes, cases[i].len);
        cr_expect_str_eq(got, cases[i].want, "case %zu", i);
    }
}

Test(kafka, nan_and_absent_records)
{
    const char *got = one(&SL_TYPE_DOUBLE, "\x7f\xf8\x00\x00\x00\x00\x00\x00", 8);
    cr_expect_str_eq(got, "d:nan");
    sl_column c = col("K", &SL_TYPE_INT);
    sl_decoder *d = sl_decoder_new(&KAFKA, &c, 1, NULL, &err);
    sl_value v = sl_int(9);
    cr_expect_eq(sl_decode(d, NULL, 0, A, &v, &err), 0);
    cr_expect_eq(v.kind, SL_NULL);
    sl_decoder_free(d);
    /* not wanted: nothing is read, even bytes of the wrong length */
    bool no[] = {false};
    d = sl_decoder_new(&KAFKA, &c, 1, no, &err);
    v = sl_int(9);
    cr_expect_eq(decode_exact(d, "\x01", 1, A, &v, &err), 0);
    cr_expect_eq(v.kind, SL_NULL);
    sl_decoder_free(d);
}

Test(kafka, encode_then_decode_round_trips)
{
    static const struct { const sl_type *t; sl_value v; const char *bytes; size_t len; } cases[] = {
        {&SL_TYPE_INT, {.kind = SL_INT, .u.i32 = -2}, "\xff\xff\xff\xfe", 4},
        {&SL_TYPE_INT, {.kind = SL_INT, .u.i32 = 0x01020304}, "\x01\x02\x03\x04", 4},
        {&SL_TYPE_BIGINT, {.kind = SL_BIGINT, .u.i64 = 0x0102030405060708LL},
         "\x01\x02\x03\x04\x05\x06\x07\x08", 8},
        {&SL_TYPE_DOUBLE, {.kind = SL_DOUBLE, .u.d = -0.0}, "\x80\x00\x00\x00\x00\x00\x00\x00", 8},
        {&SL_TYPE_DOUBLE, {.kind = SL_DOUBLE, .u.d = 0.1}, "\x3f\xb9\x99\x99\x99\x99\x99\x9a", 8},
        {&SL_TYPE_STRING, {.kind = SL_STRING, .u.s = {"k\xc3\xa9y", 4}}, "k\xc3\xa9y", 4},
        {&SL_TYPE_BYTES, {.kind = SL_BYTES, .u.s = {"\x00\x01", 2}}, "\x00\x01", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_column c = col("K", cases[i].t);
        sl_encoder *e = sl_encoder_new(&KAFKA, &c, 1, &err);
        sl_decoder *d = sl_decoder_new(&KAFKA, &c, 1, NULL, &err);
        cr_assert(e && d);
        sl_buf b = SL_BUF_INIT;
        sl_buf_puts(&b, "prefix:");     /* the encoder appends */
        cr_assert_eq(sl_encode(e, &cases[i].v, &b, &err), 0, "%s", err.msg);
        cr_expect_eq(b.len, 7 + cases[i].len, "case %zu", i);
        cr_expect(memcmp(b.data + 7, cases[i].bytes, cases[i].len) == 0, "case %zu bytes", i);
        sl_value back;
        cr_assert_eq(decode_exact(d, b.data + 7, b.len - 7, A, &back, &err), 0, "%s", err.msg);
        char want[8192];
        snprintf(want, sizeof want, "%s", show_row(&cases[i].v, 1));
        cr_expect_str_eq(show_row(&back, 1), want, "case %zu", i);
        if (cases[i].t == &SL_TYPE_DOUBLE)
            cr_expect(signbit(back.u.d) == signbit(cases[i].v.u.d), "case %zu sign", i);
        /* NULL writes nothing (the record is absent), a wrong kind is refused */
        sl_buf_reset(&b);
        sl_value nul = sl_null();
        cr_expect_eq(sl_encode(e, &nul, &b, &err), 0);
        cr_expect_eq(b.len, 0);
        sl_value wrong = cases[i].t == &SL_TYPE_INT ? sl_bool(true) : sl_int(1);
        cr_expect_eq(sl_encode(e, &wrong, &b, &err), -1, "case %zu", i);
        cr_expect(strstr(err.msg, "KAFKA: column `K`"), "%s", err.msg);
        sl_buf_fini(&b);
        sl_encoder_free(e);
        sl_decoder_free(d);
    }
}

Test(kafka, none_format_and_keyless_kafka)
{
    sl_format_opts none = {.kind = SL_FMT_NONE, .is_key = true};
    sl_decoder *d = sl_decoder_new(&none, NULL, 0, NULL, &err);
    cr_assert(d, "%s", err.msg);
    cr_expect_eq(decode_exact(d, "whatever", 8, A, NULL, &err), 0);
    sl_decoder_free(d);
    sl_encoder *e = sl_encoder_new(&none, NULL, 0, &err);
    sl_buf b = SL_BUF_INIT;
    cr_expect_eq(sl_encode(e, NULL, &b, &err), 0);
    cr_expect_eq(b.len, 0);
    sl_encoder_free(e);
    /* KAFKA with no key column ignores the key bytes */
    d = sl_decoder_new(&KAFKA, NULL, 0, NULL, &err);
    cr_assert(d, "%s", err.msg);
    cr_expect_eq(decode_exact(d, "\x01\x02\x03", 3, A, NULL, &err), 0);
    sl_decoder_free(d);
    e = sl_encoder_new(&KAFKA, NULL, 0, &err);
    cr_expect_eq(sl_encode(e, NULL, &b, &err), 0);
    cr_expect_eq(b.len, 0);
    sl_encoder_free(e);
    sl_buf_fini(&b);
    /* a KAFKA schema of two columns is refused with ksqlDB's message */
    sl_column two[] = {col("A", &SL_TYPE_INT), col("B", &SL_TYPE_INT)};
    cr_expect_null(sl_decoder_new(&KAFKA, two, 2, NULL, &err));
    cr_expect(strstr(err.msg, "The 'KAFKA' format only supports a single field"), "%s", err.msg);
}
