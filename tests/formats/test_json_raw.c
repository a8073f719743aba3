/*
 * test_json_raw.c: pass-through of unchanged values (sl_decode_raw /
 * sl_encode_raw). A value's input text is reported only when it is exactly
 * what the encoder writes for the decoded value; everything else (1e3 or
 * -0 for an integer, 1.50 for DECIMAL(3, 1), an escaped string, a number
 * given as a string) is left to the encoder, so decoding then encoding with
 * the raw text gives the same bytes as without it.
 */
#include <criterion/criterion.h>

#include "fmt_test.h"

static sl_arena *A;
static sl_error err;

static void setup(void) { A = sl_arena_new(0); }
static void teardown(void) { sl_arena_free(A); }

TestSuite(json_raw, .init = setup, .fini = teardown);

/* helpers of fmt_test.h this suite does not need */
static const void *const unused_helpers[] __attribute__((unused)) = {(const void *)show_row,
                                                                     (const void *)decode_exact};

static const sl_format_opts BORROW = {.kind = SL_FMT_JSON, .borrow_input = true};

/* The raw text sl_decode_raw reports for the only column (type t) of
 * {"C":value}; "-" when none. */
static const char *raw_of(const sl_type *t, const char *value, const sl_format_opts *o)
{
    sl_column c = col("C", t);
    sl_decoder *d = sl_decoder_new(o, &c, 1, NULL, &err);
    cr_assert_not_null(d, "%s", err.msg);
    char *rec = sl_arena_printf(A, "{\"C\":%s}", value);
    sl_value v;
    sl_rawtext r = {"junk", 4};
    cr_assert_eq(sl_decode_raw(d, rec, strlen(rec), A, &v, &r, &err), 0, "%s: %s", value,
                 err.msg);
    sl_decoder_free(d);
    if (r.len == 0)
        return "-";
    cr_assert_geq(r.ptr, rec, "the text points into the record");
    cr_assert_leq(r.ptr + r.len, rec + strlen(rec));
    return sl_arena_strndup(A, r.ptr, r.len);
}

Test(json_raw, canonical_text_is_reported)
{
    cr_assert_str_eq(raw_of(&SL_TYPE_BIGINT, "1436918400000", &BORROW), "1436918400000");
    cr_assert_str_eq(raw_of(&SL_TYPE_BIGINT, "-17", &BORROW), "-17");
    cr_assert_str_eq(raw_of(&SL_TYPE_BIGINT, "0", &BORROW), "0");
    cr_assert_str_eq(raw_of(&SL_TYPE_INT, "42", &BORROW), "42");
    cr_assert_str_eq(raw_of(&SL_TYPE_TIMESTAMP, "5", &BORROW), "5");
    cr_assert_str_eq(raw_of(&SL_TYPE_STRING, "\"channel-6887\"", &BORROW), "\"channel-6887\"");
    cr_assert_str_eq(raw_of(&SL_TYPE_STRING, "\"\"", &BORROW), "\"\"");
    cr_assert_str_eq(raw_of(&SL_TYPE_STRING, "\"h\xc3\xa9\"", &BORROW), "\"h\xc3\xa9\"");
    cr_assert_str_eq(raw_of(sl_type_decimal(A, 5, 2), "12.50", &BORROW), "12.50");
    cr_assert_str_eq(raw_of(sl_type_decimal(A, 5, 2), "-0.05", &BORROW), "-0.05");
    cr_assert_str_eq(raw_of(sl_type_decimal(A, 4, 0), "1234", &BORROW), "1234");
}

Test(json_raw, other_forms_are_rendered)
{
    /* numbers the encoder writes differently */
    cr_assert_str_eq(raw_of(&SL_TYPE_BIGINT, "1e3", &BORROW), "-");
    cr_assert_str_eq(raw_of(&SL_TYPE_BIGINT, "1000.0", &BORROW), "-");
    cr_assert_str_eq(raw_of(&SL_TYPE_BIGINT, "-0", &BORROW), "-");
    cr_assert_str_eq(raw_of(&SL_TYPE_BIGINT, "\"12\"", &BORROW), "-");
    cr_assert_str_eq(raw_of(&SL_TYPE_BIGINT, "1234567890123456789", &BORROW), "-");
    cr_assert_str_eq(raw_of(sl_type_decimal(A, 3, 1), "1.50", &BORROW), "-");
    cr_assert_str_eq(raw_of(sl_type_decimal(A, 3, 1), "1.5e0", &BORROW), "-");
    cr_assert_str_eq(raw_of(sl_type_decimal(A, 3, 1), "-0.0", &BORROW), "-");
    cr_assert_str_eq(raw_of(sl_type_decimal(A, 3, 1), "2", &BORROW), "-");
    /* escaped strings (the encoder may escape differently), numbers as STRING */
    cr_assert_str_eq(raw_of(&SL_TYPE_STRING, "\"\\u00e9\"", &BORROW), "-");
    cr_assert_str_eq(raw_of(&SL_TYPE_STRING, "\"a\\/b\"", &BORROW), "-");
    cr_assert_str_eq(raw_of(&SL_TYPE_STRING, "12", &BORROW), "-");
    cr_assert_str_eq(raw_of(&SL_TYPE_STRING, "true", &BORROW), "-");
    /* NULL, types without a raw form */
    cr_assert_str_eq(raw_of(&SL_TYPE_BIGINT, "null", &BORROW), "-");
    cr_assert_str_eq(raw_of(&SL_TYPE_DOUBLE, "1.5", &BORROW), "-");
    cr_assert_str_eq(raw_of(&SL_TYPE_BOOLEAN, "true", &BORROW), "-");
    cr_assert_str_eq(raw_of(sl_type_array(A, &SL_TYPE_BIGINT), "[1]", &BORROW), "-");
    /* no borrowing: nothing is reported */
    static const sl_format_opts copy = {.kind = SL_FMT_JSON};
    cr_assert_str_eq(raw_of(&SL_TYPE_BIGINT, "5", &copy), "-");
}

Test(json_raw, nested_fields_and_duplicates)
{
    const sl_type *st = sl_type_struct(A, (const sl_field[]){{"X", &SL_TYPE_BIGINT}}, 1);
    sl_column cols[] = {col("S", st), col("N", &SL_TYPE_BIGINT)};
    sl_decoder *d = sl_decoder_new(&BORROW, cols, 2, NULL, &err);
    cr_assert_not_null(d, "%s", err.msg);
    /* the struct itself has no raw text; N's last occurrence wins, with its text */
    const char *rec = "{\"S\":{\"X\":5},\"N\":7,\"N\":1e1}";
    sl_value v[2];
    sl_rawtext r[2];
    cr_assert_eq(sl_decode_raw(d, rec, strlen(rec), A, v, r, &err), 0, "%s", err.msg);
    cr_assert_eq(r[0].len, 0);
    cr_assert_eq(v[1].u.i64, 10);
    cr_assert_eq(r[1].len, 0, "the raw text follows the value that won");
    rec = "{\"N\":1e1,\"S\":{\"X\":5},\"N\":7}";
    cr_assert_eq(sl_decode_raw(d, rec, strlen(rec), A, v, r, &err), 0, "%s", err.msg);
    cr_assert_eq(v[1].u.i64, 7);
    cr_assert_eq(r[1].len, 1);
    cr_assert_eq(r[1].ptr[0], '7');
    sl_decoder_free(d);
}

/* Decodes rec with raw text, encodes with and without it: the same bytes. */
static void same_bytes(const sl_column *cols, int n, const char *rec, const char *want)
{
    sl_decoder *d = sl_decoder_new(&BORROW, cols, n, NULL, &err);
    sl_encoder *e = sl_encoder_new(&(sl_format_opts){.kind = SL_FMT_JSON}, cols, n, &err);
    cr_assert(d && e, "%s", err.msg);
    sl_value v[8];
    sl_rawtext r[8];
    cr_assert_eq(sl_decode_raw(d, rec, strlen(rec), A, v, r, &err), 0, "%s", err.msg);
    sl_buf with = SL_BUF_INIT, without = SL_BUF_INIT;
    cr_assert_eq(sl_encode_raw(e, v, r, &with, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_encode(e, v, &without, &err), 0, "%s", err.msg);
    cr_assert_str_eq(sl_buf_cstr(&with), sl_buf_cstr(&without));
    cr_assert_str_eq(sl_buf_cstr(&with), want);
    sl_buf_fini(&with);
    sl_buf_fini(&without);
    sl_encoder_free(e);
    sl_decoder_free(d);
}

Test(json_raw, raw_encoding_gives_the_same_bytes)
{
    sl_column cols[] = {col("A", &SL_TYPE_BIGINT), col("P", sl_type_decimal(A, 3, 1)),
                        col("S", &SL_TYPE_STRING), col("T", &SL_TYPE_STRING),
                        col("D", sl_type_decimal(A, 6, 2))};
    same_bytes(cols, 5, "{\"a\":1001,\"p\":1.50,\"s\":\"caf\\u00e9\",\"t\":\"plain\",\"d\":-12.30}",
               "{\"A\":1001,\"P\":1.5,\"S\":\"caf\xc3\xa9\",\"T\":\"plain\",\"D\":-12.30}");
    same_bytes(cols, 5, "{\"A\":1e3,\"P\":12.3,\"S\":\"a\\/b\\\"c\",\"T\":null,\"D\":5.00}",
               "{\"A\":1000,\"P\":12.3,\"S\":\"a/b\\\"c\",\"T\":null,\"D\":5.00}");
    /* unwrapped single values */
    sl_format_opts un = BORROW;
    un.wrap_single_value = SL_WRAP_FALSE;
    sl_decoder *d = sl_decoder_new(&un, cols, 1, NULL, &err);
    cr_assert_not_null(d, "%s", err.msg);
    sl_value v;
    sl_rawtext r;
    cr_assert_eq(sl_decode_raw(d, "  77 ", 5, A, &v, &r, &err), 0, "%s", err.msg);
    cr_assert_eq(r.len, 2);
    cr_assert_eq(memcmp(r.ptr, "77", 2), 0);
    sl_decoder_free(d);
}

Test(json_raw, the_encoder_copies_the_text_it_is_given)
{
    /* the contract: raw text is written as given (so callers must only
     * give the value's own text), and never for a NULL value */
    sl_column cols[] = {col("A", &SL_TYPE_BIGINT), col("B", &SL_TYPE_BIGINT)};
    sl_encoder *e = sl_encoder_new(&(sl_format_opts){.kind = SL_FMT_JSON}, cols, 2, &err);
    cr_assert_not_null(e, "%s", err.msg);
    sl_value v[] = {sl_bigint(5), sl_null()};
    sl_rawtext r[] = {{"0005", 4}, {"9", 1}};
    sl_buf b = SL_BUF_INIT;
    cr_assert_eq(sl_encode_raw(e, v, r, &b, &err), 0, "%s", err.msg);
    cr_assert_str_eq(sl_buf_cstr(&b), "{\"A\":0005,\"B\":null}");
    sl_buf_reset(&b);
    cr_assert_eq(sl_encode_raw(e, v, NULL, &b, &err), 0, "%s", err.msg);
    cr_assert_str_eq(sl_buf_cstr(&b), "{\"A\":5,\"B\":null}");
    sl_buf_fini(&b);
    sl_encoder_free(e);
}

Test(json_raw, other_formats_report_no_text)
{
    sl_column c = col("C", &SL_TYPE_BIGINT);
    sl_format_opts o = {.kind = SL_FMT_DELIMITED, .borrow_input = true};
    sl_decoder *d = sl_decoder_new(&o, &c, 1, NULL, &err);
    cr_assert_not_null(d, "%s", err.msg);
    sl_value v;
    sl_rawtext r = {"junk", 4};
    cr_assert_eq(sl_decode_raw(d, "15", 2, A, &v, &r, &err), 0, "%s", err.msg);
    cr_assert_eq(v.u.i64, 15);
    cr_assert_eq(r.len, 0);
    r = (sl_rawtext){"junk", 4};
    cr_assert_eq(sl_decode_raw(d, NULL, 0, A, &v, &r, &err), 0, "%s", err.msg);
    cr_assert_eq(v.kind, SL_NULL);
    cr_assert_eq(r.len, 0);
    sl_decoder_free(d);
}

Test(json_raw, every_spelling_encodes_as_without_raw_text)
{
    /* each spelling for each type: when it decodes, writing it back with
     * the raw text gives exactly the bytes of writing it without */
    static const char *const spellings[] = {
        "0", "-0", "7", "-7", "1e2", "1E2", "-1e-2", "1.0", "1.00", "12.34", "-0.00", "0.5",
        "-0.5", "5.", "123456789012345678", "1234567890123456789", "86399999", "86400000",
        "2147483648", "\"12\"", "\"a\"", "\"\\u0041\"", "\"\\n\"", "\"\\\\\"", "\"\xc3\xa9\"",
        "\"\"", "null", "true", "[1]", "{\"x\":1}", " 42 ",
    };
    const sl_type *types[] = {&SL_TYPE_BIGINT, &SL_TYPE_INT, &SL_TYPE_TIMESTAMP, &SL_TYPE_DATE,
                              &SL_TYPE_TIME, sl_type_decimal(A, 5, 2), sl_type_decimal(A, 3, 0),
                              sl_type_decimal(A, 20, 1), &SL_TYPE_STRING, &SL_TYPE_DOUBLE};
    int checked = 0, with_raw = 0;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        sl_column c = col("C", types[t]);
        sl_decoder *d = sl_decoder_new(&BORROW, &c, 1, NULL, &err);
        sl_encoder *e = sl_encoder_new(&(sl_format_opts){.kind = SL_FMT_JSON}, &c, 1, &err);
        cr_assert(d && e, "%s", err.msg);
        for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
            char *rec = sl_arena_printf(A, "{\"C\":%s}", spellings[i]);
            sl_value v;
            sl_rawtext r;
            sl_error e2;
            if (sl_decode_raw(d, rec, strlen(rec), A, &v, &r, &e2) < 0)
                continue;       /* not a value of this type */
            sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
            cr_assert_eq(sl_encode_raw(e, &v, &r, &a, &err), 0, "%s", err.msg);
            cr_assert_eq(sl_encode(e, &v, &b, &err), 0, "%s", err.msg);
            cr_assert_str_eq(sl_buf_cstr(&a), sl_buf_cstr(&b), "type %zu, %s", t, spellings[i]);
            checked++;
            with_raw += r.len > 0;
            sl_buf_fini(&a);
            sl_buf_fini(&b);
        }
        sl_encoder_free(e);
        sl_decoder_free(d);
    }
    cr_assert_gt(checked, 100);
    cr_assert_gt(with_raw, 20, "the raw text is used at all");
}

Test(json_raw, borrowed_strings_of_every_length)
{
    /* a wanted string of printable ASCII is borrowed from the record in one
     * step of 32 or 16 bytes at a time; put a byte that stops that step at
     * every offset of strings of 0 to 70 bytes: the value, whether it points
     * into the record, and the raw text must be those of the exact path */
    static const struct { const char *ins, *want; bool raw; } specials[] = {
        {"", "", true},                         /* nothing special: all plain */
        {"\\n", "\n", false},                   /* escaped: unescaped into the arena */
        {"\\\"", "\"", false},
        {"\xc3\xa9", "\xc3\xa9", true},         /* valid UTF-8: borrowed, checked */
        {"\x7f", "\x7f", true},
        {"\x80", NULL, false},                  /* invalid UTF-8: an error */
        {"\x1f", NULL, false},                  /* a control byte: an error */
    };
    sl_column cols[] = {col("S", &SL_TYPE_STRING), col("T", &SL_TYPE_BIGINT)};
    sl_decoder *d = sl_decoder_new(&BORROW, cols, 2, NULL, &err);
    cr_assert_not_null(d, "%s", err.msg);
    char a[80];
    memset(a, 'a', sizeof a);
    for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
        for (int len = 0; len <= 70; len++)
            for (int pos = 0; pos <= len; pos++) {
                if (!*specials[k].ins && pos != len)
                    continue;           /* nothing to place: once per length */
                char *text = sl_arena_printf(A, "{\"s\":\"%.*s%s%.*s\",\"t\":%d}", pos, a,
                                             specials[k].ins, len - pos, a, len);
                /* a heap copy of exactly its size: a read past it is caught */
                size_t n = strlen(text);
                char *rec = malloc(n);
                memcpy(rec, text, n);
                sl_value v[2];
                sl_rawtext r[2];
                int rc = sl_decode_raw(d, rec, n, A, v, r, &err);
                if (!specials[k].want) {
                    cr_assert_eq(rc, -1, "%s", text);
                    free(rec);
                    continue;
                }
                cr_assert_eq(rc, 0, "%s: %s", text, err.msg);
                char *want = sl_arena_printf(A, "%.*s%s%.*s", pos, a, specials[k].want,
                                             len - pos, a);
                cr_assert_eq(v[0].u.s.len, strlen(want), "%s", text);
                cr_assert_eq(memcmp(v[0].u.s.ptr, want, strlen(want)), 0, "%s", text);
                cr_assert_eq(v[1].u.i64, len);
                bool inside = v[0].u.s.ptr > rec && v[0].u.s.ptr < rec + n;
                cr_assert_eq(inside, specials[k].raw, "%s: borrowed %d", text, inside);
                if (specials[k].raw) {
                    cr_assert_eq(r[0].ptr, rec + 5, "%s", text);
                    cr_assert_eq(r[0].len, strlen(want) + 2, "%s", text);
                } else {
                    cr_assert_eq(r[0].len, 0, "%s", text);
                }
                free(rec);
            }
    sl_decoder_free(d);
}
