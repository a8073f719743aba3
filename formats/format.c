/*
 * format.c: the front of formats/ (see format.h): format names, delimiters,
 * which schemas a format can carry, decoder / encoder construction and
 * dispatch to the codecs (json.c, delimited.c, kafka.c), and the helpers they
 * share (output writer, base64, Java-compatible number parsing).
 *
 * Does not: parse or write any format itself.
 */
#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/expr_internal.h"
#include "formats/format_internal.h"

/* ---- names ---- */

static const struct { const char *name; sl_format_kind kind; } KINDS[] = {
    {"NONE", SL_FMT_NONE},
    {"JSON", SL_FMT_JSON},
    {"DELIMITED", SL_FMT_DELIMITED},
    {"KAFKA", SL_FMT_KAFKA},
};

int sl_format_parse_kind(const char *name, size_t len, sl_format_kind *out, sl_error *err)
{
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++) {
        if (strlen(KINDS[i].name) == len && strncasecmp(KINDS[i].name, name, len) == 0) {
            *out = KINDS[i].kind;
            return 0;
        }
    }
    return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                        "Unknown format: '%.*s'. Supported formats: JSON, DELIMITED, KAFKA, NONE",
                        (int)(len > 64 ? 64 : len), name);
}

const char *sl_format_kind_name(sl_format_kind k)
{
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (KINDS[i].kind == k)
            return KINDS[i].name;
    return "UNKNOWN";
}

int sl_format_parse_delimiter(const char *text, size_t len, char *out, sl_error *err)
{
    if (len == 3 && strncasecmp(text, "TAB", 3) == 0) {
        *out = '\t';
        return 0;
    }
    if (len == 5 && strncasecmp(text, "SPACE", 5) == 0) {
        *out = ' ';
        return 0;
    }
    if (len == 1 && text[0] != '"' && text[0] != '\n' && text[0] != '\r' &&
        (unsigned char)text[0] < 0x80 && text[0] != ' ' && text[0] != '\t') {
        *out = text[0];
        return 0;
    }
    if (len == 1 && (text[0] == ' ' || text[0] == '\t'))
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "Invalid delimiter value: '%c'. For space and tab delimited values, "
                            "use the special values 'SPACE' or 'TAB'",
                            text[0]);
    return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                        "Invalid delimiter value: '%.*s'. A delimiter must be a single "
                        "character (not a quote or line break), or 'TAB' or 'SPACE'",
                        (int)(len > 32 ? 32 : len), text);
}

const char *fmt_type_name(sl_arena *a, const sl_type *t)
{
    return sl_type_str(a, t);
}

/* ---- schema checks ---- */

bool sl_format_unwrapped(const sl_format_opts *opts, int ncols)
{
    if (ncols != 1)
        return false;
    if (opts->wrap_single_value == SL_WRAP_FALSE)
        return true;
    if (opts->wrap_single_value == SL_WRAP_TRUE)
        return false;
    return opts->is_key;
}

static bool nested(const sl_type *t)
{
    return t->kind == SL_ARRAY || t->kind == SL_MAP || t->kind == SL_STRUCT;
}

/* JSON carries MAPs only with STRING keys, at any depth. */
static const sl_type *bad_map_key(const sl_type *t)
{
    switch (t->kind) {
    case SL_ARRAY: return bad_map_key(t->elem);
    case SL_MAP:
        if (t->key && t->key->kind != SL_STRING)
            return t;
        return bad_map_key(t->elem);
    case SL_STRUCT:
        for (int i = 0; i < t->nfields; i++) {
            const sl_type *b = bad_map_key(t->fields[i].type);
            if (b)
                return b;
        }
        return NULL;
    default: return NULL;
    }
}

static void columns_text(sl_buf *b, const sl_column *cols, int ncols)
{
    sl_buf_putc(b, '[');
    for (int i = 0; i < ncols; i++) {
        if (i)
            sl_buf_puts(b, ", ");
        sl_buf_printf(b, "`%s` ", cols[i].name ? cols[i].name : "?");
        sl_type_format(b, cols[i].type);
    }
    sl_buf_putc(b, ']');
}

int sl_format_check(const sl_format_opts *opts, const sl_column *cols, int ncols, sl_error *err)
{
    const char *fname = sl_format_kind_name(opts->kind);
    const char *side = opts->is_key ? "key" : "value";
    if (ncols < 0)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "negative column count");
    for (int i = 0; i < ncols; i++)
        if (!cols[i].type || !cols[i].name)
            return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "column %d has no name or type",
                                i);
    if (opts->wrap_single_value != SL_WRAP_DEFAULT) {
        if (opts->is_key)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "'WRAP_SINGLE_VALUE' can only be used with value formats, "
                                "not with the key format");
        if (ncols != 1)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "'WRAP_SINGLE_VALUE' is only valid for single-field value "
                                "schemas (this one has %d fields)",
                                ncols);
        if (opts->wrap_single_value == SL_WRAP_TRUE && opts->kind != SL_FMT_JSON)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to 'true'",
                                fname);
    }
    switch (opts->kind) {
    case SL_FMT_NONE:
        if (ncols > 0) {
            sl_buf b = SL_BUF_INIT;
            columns_text(&b, cols, ncols);
            sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                         "The 'NONE' format can only be used when no columns are defined. "
                         "Got: %s",
                         sl_buf_cstr(&b));
            sl_buf_fini(&b);
            return -1;
        }
        return 0;
    case SL_FMT_KAFKA:
        if (ncols > 1) {
            sl_buf b = SL_BUF_INIT;
            columns_text(&b, cols, ncols);
            sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                         "The 'KAFKA' format only supports a single field. Got: %s",
                         sl_buf_cstr(&b));
            sl_buf_fini(&b);
            return -1;
        }
        if (ncols == 1) {
            sl_kind k = cols[0].type->kind;
            if (k != SL_INT && k != SL_BIGINT && k != SL_DOUBLE && k != SL_STRING &&
                k != SL_BYTES) {
                sl_buf b = SL_BUF_INIT;
                sl_type_format(&b, cols[0].type);
                sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                             "The 'KAFKA' format does not support type '%s' (%s column `%s`). "
                             "Supported types: INTEGER, BIGINT, DOUBLE, VARCHAR, BYTES",
                             sl_buf_cstr(&b), side, cols[0].name);
                sl_buf_fini(&b);
                return -1;
            }
        }
        return 0;
    case SL_FMT_DELIMITED: {
        char dl = opts->delimiter ? opts->delimiter : ',';
        if (dl == '"' || dl == '\n' || dl == '\r')
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "Invalid delimiter for the 'DELIMITED' format: a quote or a "
                                "line break cannot be a delimiter");
        for (int i = 0; i < ncols; i++)
            if (nested(cols[i].type))
                return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                    "The 'DELIMITED' format does not support type '%s', "
                                    "%s column: `%s`",
                                    sl_kind_name(cols[i].type->kind), side, cols[i].name);
        return 0;
    }
    case SL_FMT_JSON:
        for (int i = 0; i < ncols; i++) {
            const sl_type *bad = bad_map_key(cols[i].type);
            if (bad)
                return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                    "The 'JSON' format only supports MAP types with VARCHAR "
                                    "keys (%s column `%s` has %s keys)",
                                    side, cols[i].name, sl_kind_name(bad->key->kind));
        }
        return 0;
    }
    return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "unknown format kind %d",
                        (int)opts->kind);
}

/* ---- construction and dispatch ---- */

static sl_column *copy_columns(sl_arena *a, const sl_column *cols, int ncols)
{
    sl_column *c = sl_arena_zalloc(a, sizeof *c * (size_t)(ncols ? ncols : 1));
    for (int i = 0; i < ncols; i++) {
        c[i].name = sl_arena_strdup(a, cols[i].name);
        c[i].type = sl_type_copy(a, cols[i].type);
        c[i].kind = cols[i].kind;
        c[i].header_key = cols[i].header_key ? sl_arena_strdup(a, cols[i].header_key) : NULL;
        c[i].qualifier = cols[i].qualifier ? sl_arena_strdup(a, cols[i].qualifier) : NULL;
    }
    return c;
}

static int none_decode(sl_decoder *d, const uint8_t *data, size_t len, sl_arena *a,
                       sl_value *out, sl_error *err)
{
    return 0;
}

static int none_encode(sl_encoder *e, const sl_value *vals, sl_buf *out, sl_error *err)
{
    return 0;
}

sl_decoder *sl_decoder_new(const sl_format_opts *opts, const sl_column *cols, int ncols,
                           const bool *wanted, sl_error *err)
{
    if (sl_format_check(opts, cols, ncols, err) < 0)
        return NULL;
    sl_arena *a = sl_arena_new(4096);
    sl_decoder *d = sl_arena_zalloc(a, sizeof *d);
    d->arena = a;
    d->opts = *opts;
    if (d->opts.kind == SL_FMT_DELIMITED && !d->opts.delimiter)
        d->opts.delimiter = ',';
    d->ncols = ncols;
    d->cols = copy_columns(a, cols, ncols);
    d->wanted = sl_arena_zalloc(a, (size_t)(ncols ? ncols : 1));
    for (int i = 0; i < ncols; i++)
        d->wanted[i] = wanted ? wanted[i] : true;
    int rc;
    switch (opts->kind) {
    case SL_FMT_JSON: rc = sl_json_decoder_init(d, err); break;
    case SL_FMT_DELIMITED: rc = sl_delimited_decoder_init(d, err); break;
    case SL_FMT_KAFKA: rc = sl_kafka_decoder_init(d, err); break;
    default: d->decode = none_decode; rc = 0; break;
    }
    if (rc < 0) {
        sl_decoder_free(d);
        return NULL;
    }
    return d;
}

int sl_decode(sl_decoder *d, const void *data, size_t len, sl_arena *batch_arena,
              sl_value *out, sl_error *err)
{
    if (!data) {
        for (int i = 0; i < d->ncols; i++)
            out[i] = sl_null();
        return 0;
    }
    return d->decode(d, data, len, batch_arena, out, err);
}

int sl_decode_raw(sl_decoder *d, const void *data, size_t len, sl_arena *batch_arena,
                  sl_value *out, sl_rawtext *raw, sl_error *err)
{
    if (data && d->decode_raw)
        return d->decode_raw(d, data, len, batch_arena, out, raw, err);
    memset(raw, 0, sizeof *raw * (size_t)d->ncols);
    return sl_decode(d, data, len, batch_arena, out, err);
}

void sl_decoder_free(sl_decoder *d)
{
    if (!d)
        return;
    if (d->destroy)
        d->destroy(d);
    sl_arena_free(d->arena);
}

sl_encoder *sl_encoder_new(const sl_format_opts *opts, const sl_column *cols, int ncols,
                           sl_error *err)
{
    if (sl_format_check(opts, cols, ncols, err) < 0)
        return NULL;
    sl_arena *a = sl_arena_new(4096);
    sl_encoder *e = sl_arena_zalloc(a, sizeof *e);
    e->arena = a;
    e->opts = *opts;
    if (e->opts.kind == SL_FMT_DELIMITED && !e->opts.delimiter)
        e->opts.delimiter = ',';
    e->ncols = ncols;
    e->cols = copy_columns(a, cols, ncols);
    int rc;
    switch (opts->kind) {
    case SL_FMT_JSON: rc = sl_json_encoder_init(e, err); break;
    case SL_FMT_DELIMITED: rc = sl_delimited_encoder_init(e, err); break;
    case SL_FMT_KAFKA: rc = sl_kafka_encoder_init(e, err); break;
    default: e->encode = none_encode; rc = 0; break;
    }
    if (rc < 0) {
        sl_encoder_free(e);
        return NULL;
    }
    return e;
}

int sl_encode(sl_encoder *e, const sl_value *vals, sl_buf *out, sl_error *err)
{
    return e->encode(e, vals, out, err);
}

int sl_encode_raw(sl_encoder *e, const sl_value *vals, const sl_rawtext *raw, sl_buf *out,
                  sl_error *err)
{
    if (raw && e->encode_raw)
        return e->encode_raw(e, vals, raw, out, err);
    return e->encode(e, vals, out, err);
}

void sl_encoder_free(sl_encoder *e)
{
    if (!e)
        return;
    if (e->destroy)
        e->destroy(e);
    sl_arena_free(e->arena);
}

/* ---- output helpers ---- */

/* Appends through sl_buf_append (which at least doubles the buffer when it
 * must grow), then writes in place again. */
void fmt_out_grow(fmt_out *o, const void *p, size_t n)
{
    fmt_out_flush(o);
    sl_buf_append(o->buf, p, n);
    o->p = o->buf->data + o->buf->len;
    o->lim = o->buf->data + o->buf->cap - 1;
}

static const char DIGITS2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Writes the decimal digits of u so that they end just before `end`;
 * returns how many (at least one). Two digits per division. */
static int u64_digits(char *end, uint64_t u)
{
    char *p = end;
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        p -= 2;
        memcpy(p, DIGITS2 + 2 * r, 2);
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, DIGITS2 + 2 * u, 2);
    } else {
        *--p = (char)('0' + u);
    }
    return (int)(end - p);
}

void fmt_out_i64(fmt_out *o, int64_t v)
{
    char tmp[24];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int n = u64_digits(tmp + sizeof tmp, u);
    if (v < 0)
        tmp[sizeof tmp - 1 - n++] = '-';
    fmt_out_bytes(o, tmp + sizeof tmp - n, (size_t)n);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void fmt_out_base64(fmt_out *o, const uint8_t *p, size_t n)
{
    size_t i = 0;
    char q[4];
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        q[0] = B64[v >> 18]; q[1] = B64[(v >> 12) & 63];
        q[2] = B64[(v >> 6) & 63]; q[3] = B64[v & 63];
        fmt_out_bytes(o, q, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        q[0] = B64[v >> 18]; q[1] = B64[(v >> 12) & 63]; q[2] = '='; q[3] = '=';
        fmt_out_bytes(o, q, 4);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        q[0] = B64[v >> 18]; q[1] = B64[(v >> 12) & 63]; q[2] = B64[(v >> 6) & 63]; q[3] = '=';
        fmt_out_bytes(o, q, 4);
    }
}

void fmt_out_double(fmt_out *o, double d)
{
    /* Integral values of moderate size print fast: Java gives "123.0". */
    if (d == d && fabs(d) < 1e7 && d == (double)(int64_t)d && !(d == 0 && signbit(d))) {
        fmt_out_i64(o, (int64_t)d);
        fmt_out_bytes(o, ".0", 2);
        return;
    }
    sl_buf b = SL_BUF_INIT;
    sl_double_format(&b, d);
    fmt_out_bytes(o, b.data, b.len);
    sl_buf_fini(&b);
}

void fmt_out_decimal(fmt_out *o, sl_int128 unscaled, int scale)
{
    char dig[48];                   /* the digits of |unscaled|, at the end */
    bool neg = unscaled < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)unscaled
                              : (unsigned __int128)unscaled;
    char *end = dig + sizeof dig;
    int nd;
    if (u <= UINT64_MAX) {
        nd = u64_digits(end, (uint64_t)u);
    } else {
        /* |unscaled| < 2^127: the part above 19 digits fits 64 bits */
        const uint64_t e19 = 10000000000000000000ull;
        uint64_t lo = (uint64_t)(u % e19), hi = (uint64_t)(u / e19);
        int nl = u64_digits(end, lo);
        memset(end - 19, '0', (size_t)(19 - nl));
        nd = 19 + u64_digits(end - 19, hi);
    }
    if (scale > 0 && nd <= scale) {     /* leading zeros: 0.00ddd */
        memset(end - scale - 1, '0', (size_t)(scale + 1 - nd));
        nd = scale + 1;
    }
    char out[52];
    int n = 0;
    if (neg)
        out[n++] = '-';
    int nint = scale > 0 ? nd - scale : nd;
    memcpy(out + n, end - nd, (size_t)nint);
    n += nint;
    if (scale > 0) {
        out[n++] = '.';
        memcpy(out + n, end - scale, (size_t)scale);
        n += scale;
    }
    fmt_out_bytes(o, out, (size_t)n);
}

/* ---- base64 ---- */

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool fmt_base64_decode(sl_arena *a, const char *s, size_t n, uint8_t **out, size_t *outn)
{
    size_t pad = 0;
    while (n > 0 && s[n - 1] == '=' && pad < 2) {
        n--;
        pad++;
    }
    if (n % 4 == 1 || (pad && (n + pad) % 4 != 0))
        return false;
    uint8_t *p = sl_arena_alloc(a, n / 4 * 3 + 3);
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            p[k++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)          /* leftover bits must be zero (canonical) */
        return false;
    *out = p;
    *outn = k;
    return true;
}

/* ---- numbers ---- */

static inline int digit_at(const char *ip, int nint, const char *fp, int64_t i)
{
    return (i < nint ? ip[i] : fp[i - nint]) - '0';
}

int fmt_dec_from_digits(const char *ip, int nint, const char *fp, int nfrac, int64_t exp10,
                        bool neg, int precision, int scale, fmt_round mode, sl_int128 *out)
{
    int64_t total = (int64_t)nint + nfrac, lz = 0;
    while (lz < total && digit_at(ip, nint, fp, lz) == 0)
        lz++;
    int64_t n = total - lz;                 /* significant digits, first nonzero */
    if (n == 0) {
        *out = 0;
        return FMT_DEC_OK;
    }
    if (exp10 > 1000000000) exp10 = 1000000000;
    if (exp10 < -1000000000) exp10 = -1000000000;
    int64_t k = exp10 - nfrac + scale;      /* unscaled = digits x 10^k */
    sl_int128 u = 0;
    if (k >= 0) {
        if (n + k > precision)
            return FMT_DEC_OVERFLOW;
        for (int64_t i = 0; i < n; i++)
            u = u * 10 + digit_at(ip, nint, fp, lz + i);
        for (int64_t i = 0; i < k; i++)
            u *= 10;
    } else {
        int64_t keep = n + k;               /* digits left of the cut */
        if (keep > precision)
            return FMT_DEC_OVERFLOW;
        if (keep < 0)
            keep = 0;
        for (int64_t i = 0; i < keep; i++)
            u = u * 10 + digit_at(ip, nint, fp, lz + i);
        if (mode == FMT_ROUND_EXACT)
            for (int64_t i = keep; i < n; i++)
                if (digit_at(ip, nint, fp, lz + i) != 0)
                    return FMT_DEC_INEXACT;
    }
    *out = neg ? -u : u;
    return FMT_DEC_OK;
}

bool fmt_parse_java_long(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n == 0)
        return false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return false;
    uint64_t lim = neg ? (uint64_t)0 - (uint64_t)min : (uint64_t)max;
    uint64_t u = 0;
    for (; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c > 9)
            return false;
        if (c > lim || u > (lim - c) / 10)
            return false;
        u = u * 10 + c;
    }
    *out = neg ? (int64_t)((uint64_t)0 - u) : (int64_t)u;
    return true;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

bool fmt_strtod(const char *s, size_t n, double *out)
{
    char stack[128];
    char *buf = n < sizeof stack ? stack : malloc(n + 1);
    if (!buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    pthread_once(&c_locale_once, c_locale_init);
    char *end;
    double d = c_locale ? strtod_l(buf, &end, c_locale) : strtod(buf, &end);
    bool ok = n > 0 && end == buf + n;
    if (buf != stack)
        free(buf);
    if (ok)
        *out = d;
    return ok;
}

bool fmt_parse_java_double(const char *s, size_t n, double *out)
{
    while (n && (unsigned char)s[0] <= ' ') {
        s++;
        n--;
    }
    while (n && (unsigned char)s[n - 1] <= ' ')
        n--;
    if (n == 0)
        return false;
    size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
    bool neg = s[0] == '-';
    if (n - i == 3 && memcmp(s + i, "NaN", 3) == 0) {
        *out = NAN;
        return true;
    }
    if (n - i == 8 && memcmp(s + i, "Infinity", 8) == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    if (s[n - 1] == 'f' || s[n - 1] == 'F' || s[n - 1] == 'd' || s[n - 1] == 'D')
        n--;
    /* decimal forms only: [+-] digits [. digits] [eE [+-] digits], with a digit somewhere */
    bool digit = false;
    size_t j = i;
    while (j < n && s[j] >= '0' && s[j] <= '9') j++, digit = true;
    if (j < n && s[j] == '.') {
        j++;
        while (j < n && s[j] >= '0' && s[j] <= '9') j++, digit = true;
    }
    if (!digit)
        return false;
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        size_t d0 = j;
        while (j < n && s[j] >= '0' && s[j] <= '9') j++;
        if (j == d0)
            return false;
    }
    if (j != n)
        return false;
    return fmt_strtod(s, n, out);
}

int fmt_parse_decimal_text(const char *s, size_t n, int precision, int scale, sl_int128 *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    const char *ip = s + i;
    int nint = 0, nfrac = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, nint++;
    const char *fp = s + i;
    if (i < n && s[i] == '.') {
        i++;
        fp = s + i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, nfrac++;
    }
    if (nint + nfrac == 0)
        return -1;
    int64_t exp10 = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t d0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (exp10 < 100000000000LL)
                exp10 = exp10 * 10 + (s[i] - '0');
            i++;
        }
        if (i == d0)
            return -1;
        if (eneg)
            exp10 = -exp10;
    }
    if (i != n)
        return -1;
    return fmt_dec_from_digits(ip, nint, fp, nfrac, exp10, neg, precision, scale,
                               FMT_ROUND_EXACT, out);
}
