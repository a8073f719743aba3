/*
 * format_internal.h: what the codecs of formats/ share; not a public
 * interface (the rest of sluice uses format.h).
 *
 * Holds the common head of decoders and encoders (each codec hangs its own
 * state off `impl`), a small output writer that writes straight into an
 * sl_buf's memory, base64, and the Java-compatible number parsers used by
 * both JSON (for strings that hold numbers) and DELIMITED.
 */
#ifndef SL_FORMAT_INTERNAL_H
#define SL_FORMAT_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "formats/format.h"

struct sl_decoder {
    sl_format_opts opts;
    int ncols;
    sl_column *cols;            /* copies, in `arena` */
    bool *wanted;               /* ncols flags, in `arena` */
    sl_arena *arena;            /* owns everything the decoder made at creation */
    void *impl;                 /* codec state, in `arena` unless `destroy` frees it */
    int (*decode)(sl_decoder *d, const uint8_t *data, size_t len, sl_arena *a, sl_value *out,
                  sl_error *err);
    /* may be NULL: sl_decode_raw then decodes and reports no raw text */
    int (*decode_raw)(sl_decoder *d, const uint8_t *data, size_t len, sl_arena *a,
                      sl_value *out, sl_rawtext *raw, sl_error *err);
    void (*destroy)(sl_decoder *d);     /* may be NULL */
};

struct sl_encoder {
    sl_format_opts opts;
    int ncols;
    sl_column *cols;
    sl_arena *arena;
    void *impl;
    int (*encode)(sl_encoder *e, const sl_value *vals, sl_buf *out, sl_error *err);
    /* may be NULL: sl_encode_raw then ignores raw */
    int (*encode_raw)(sl_encoder *e, const sl_value *vals, const sl_rawtext *raw, sl_buf *out,
                      sl_error *err);
    void (*destroy)(sl_encoder *e);
};

/* Codec constructors: fill impl / decode / encode / destroy; -1 with err. */
int sl_json_decoder_init(sl_decoder *d, sl_error *err);
int sl_json_encoder_init(sl_encoder *e, sl_error *err);
int sl_delimited_decoder_init(sl_decoder *d, sl_error *err);
int sl_delimited_encoder_init(sl_encoder *e, sl_error *err);
int sl_kafka_decoder_init(sl_decoder *d, sl_error *err);
int sl_kafka_encoder_init(sl_encoder *e, sl_error *err);

/* ---- output writer: bytes go straight into the sl_buf's memory ----
 * Between fmt_out_init and fmt_out_flush the writer owns the buffer: its
 * len (and NUL) are brought up to date by fmt_out_flush, which every encoder
 * calls before it returns or looks at the buffer. */

typedef struct fmt_out {
    sl_buf *buf;
    char *p, *lim;              /* the next byte; the end of the room (one kept for the NUL) */
} fmt_out;

void fmt_out_grow(fmt_out *o, const void *p, size_t n);     /* slow path of the two below */

static inline void fmt_out_init(fmt_out *o, sl_buf *b)
{
    o->buf = b;
    o->p = o->lim = NULL;
    if (b->data && b->cap > b->len + 1) {
        o->p = b->data + b->len;
        o->lim = b->data + b->cap - 1;
    }
}
static inline void fmt_out_flush(fmt_out *o)
{
    if (o->p) {
        o->buf->len = (size_t)(o->p - o->buf->data);
        *o->p = '\0';
    }
}
static inline void fmt_out_byte(fmt_out *o, char c)
{
    if (o->p == o->lim)
        fmt_out_grow(o, &c, 1);
    else
        *o->p++ = c;
}
static inline void fmt_out_bytes(fmt_out *o, const void *p, size_t n)
{
    if (n == 0)
        return;
    if ((size_t)(o->lim - o->p) < n) {
        fmt_out_grow(o, p, n);
        return;
    }
    const char *s = p;
    char *d = o->p;
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {        /* short pieces (numbers, names): no call */
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
    o->p += n;
}
static inline void fmt_out_str(fmt_out *o, const char *s) { fmt_out_bytes(o, s, strlen(s)); }

void fmt_out_i64(fmt_out *o, int64_t v);
void fmt_out_base64(fmt_out *o, const uint8_t *p, size_t n);
/* Java's Double.toString text ("1.0", "1.0E10", "NaN"). */
void fmt_out_double(fmt_out *o, double d);
/* Exact plain text of an unscaled decimal ("12.50", "-0.001"). */
void fmt_out_decimal(fmt_out *o, sl_int128 unscaled, int scale);

/* ---- base64 (standard alphabet; padding optional on input) ---- */

/* Decodes into `a`; false on a bad character or length. */
bool fmt_base64_decode(sl_arena *a, const char *s, size_t n, uint8_t **out, size_t *outn);

/* ---- numbers ---- */

enum { FMT_DEC_OK = 0, FMT_DEC_OVERFLOW, FMT_DEC_INEXACT };
typedef enum { FMT_ROUND_EXACT, FMT_ROUND_DOWN } fmt_round;

/*
 * The value (int digits ip[0..nint) then fraction digits fp[0..nfrac)) x 10^exp10
 * as an unscaled decimal of `scale` with at most `precision` digits.
 * FMT_ROUND_EXACT: digits that would be dropped must be zero (else INEXACT),
 * as ksqlDB's DECIMAL does; FMT_ROUND_DOWN truncates toward zero (Java's
 * intValue of a BigDecimal). Returns FMT_DEC_*.
 */
int fmt_dec_from_digits(const char *ip, int nint, const char *fp, int nfrac, int64_t exp10,
                        bool neg, int precision, int scale, fmt_round mode, sl_int128 *out);

/* Java's Integer.parseInt / Long.parseLong: [+-]digits, nothing else. */
bool fmt_parse_java_long(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);
/* Java's Double.parseDouble (decimal forms, NaN, Infinity; surrounding
 * whitespace; an f/F/d/D suffix). Independent of the C locale. */
bool fmt_parse_java_double(const char *s, size_t n, double *out);
/* new BigDecimal(text) then fitted to DECIMAL(precision, scale) exactly.
 * Returns FMT_DEC_*, or -1 for text that is not a number. */
int fmt_parse_decimal_text(const char *s, size_t n, int precision, int scale, sl_int128 *out);
/* strtod on n bytes of text, in the C locale; false unless all n are used. */
bool fmt_strtod(const char *s, size_t n, double *out);

/* "INTEGER", "DECIMAL(10, 2)", "ARRAY<VARCHAR>" of a type, into a (for messages). */
const char *fmt_type_name(sl_arena *a, const sl_type *t);

#endif
