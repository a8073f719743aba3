/*
 * json.c: the JSON codec (see format.h for the rules it follows).
 *
 * Does: a single-pass, schema-driven decoder written for the record path:
 * no tokenizer, no tree, no allocation per field. At creation the column
 * types are compiled into a tree of nodes; every STRUCT level (and the row
 * itself) gets an open-addressing table of its wanted fields, hashed on the
 * upper-cased name (a name of a length no wanted field has is not even
 * hashed); and each level remembers, per position, the exact text of the
 * name it last saw there (see jpred), so records of one shape match a name
 * with one 16-byte compare. The loop over an object's fields reads the
 * common values inline (integers for BIGINT / TIMESTAMP, strings of
 * printable ASCII) and calls out only for the rest. Values of unknown and
 * unwanted fields are skipped by a validating scanner that builds nothing
 * but still checks them, UTF-8 included: string bodies are stepped over 32
 * and 16 bytes at a time with SSE2 while they hold printable ASCII, and
 * the exact checks start at the first byte that is a backslash, a control
 * byte or >= 0x80; digits go 8 at a time. Only wanted columns are
 * materialized, into the batch arena: numbers exactly from their text
 * (integers of up to 18 digits in one pass, DECIMAL from the digits, DOUBLE
 * by the exact fast path or strtod), strings unescaped (\uXXXX and
 * surrogate pairs) and checked to be UTF-8. Nesting is limited to
 * JSON_MAX_DEPTH; the input is never read past its length.
 * The encoder writes compact JSON: column names as declared, DECIMAL exact,
 * DOUBLE as Java prints it (NaN and infinities as strings, as Jackson),
 * TIMESTAMP / DATE / TIME as numbers, BYTES as base64.
 * Pass-through (sl_decode_raw / sl_encode_raw): the decoder notes, per
 * top-level column, the input text of a value that is already in the form
 * the encoder writes (plain integers, DECIMAL with exactly its scale,
 * strings without escapes), and the encoder copies such text instead of
 * rendering the value.
 *
 * Does not: check that \u escapes in skipped strings pair their
 * surrogates, upper-case non-ASCII letters when matching names (Java's
 * toUpperCase would), keep Jackson's re-rendering of numbers when a number
 * becomes a STRING (the number's own text is kept), or read JSON_SR's
 * schema-registry prefix.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "formats/format_internal.h"

#define JSON_MAX_DEPTH 100

/* ---- the compiled schema ---- */

typedef struct jnode jnode;
struct jnode {
    uint8_t kind, precision, scale;
    const char *name;           /* column / field name, for lookups and messages */
    uint32_t nlen;
    const sl_type *type;
    jnode *elem;                /* ARRAY element, MAP value */
    int nfields;
    jnode *fields;              /* STRUCT fields, or the columns at the top */
    uint32_t *hashes;           /* per field: hash of the upper-cased name */
    int32_t *slots;             /* open addressing: field index or -1; NULL: nothing wanted */
    uint32_t mask;
    uint64_t lens;              /* bit l (l < 63): a wanted field's name has l bytes;
                                   bit 63: one has 63 or more */
    struct jpred *pred;         /* STRUCT: PRED_MAX predictions, written while decoding,
                                   and one that stays empty (the end) */
};

/*
 * Field-name prediction. Records of a stream nearly always spell their
 * fields the same way in the same order, so each object level remembers,
 * per position, the exact bytes `"name":` it last saw there and what the
 * name resolved to. When the input at that position starts with the same
 * bytes, the name needs no scanning, hashing or lookup: the bytes were
 * checked (quotes, no escapes, no control characters, UTF-8) when they were
 * remembered, and a name's lookup depends on nothing but its bytes.
 */
#define PRED_MAX 32
#define PRED_BYTES 40

typedef struct jpred {
    uint8_t len;                /* of text; 0: nothing remembered */
    uint16_t mask;              /* len <= 16: the low len bits set (one 16-byte compare) */
    int32_t fx;                 /* the field f and whether the name equals the field's
                                   name exactly, as f << 1 | exact; -1: no field (the
                                   value is skipped) */
    uint8_t text[PRED_BYTES];   /* `"name":` */
} jpred;

typedef struct pseg {
    const char *name;           /* NULL: an array index */
    uint32_t nlen;
    uint32_t idx;
} pseg;

typedef struct jdec {
    jnode root;                 /* a STRUCT of the columns */
    bool unwrapped;
    bool borrow;                /* sl_format_opts.borrow_input */
    const char *what;           /* "JSON key" / "JSON value" */
    sl_value *stk;              /* scratch for array items and map entries */
    size_t stkn, stkcap;
    pseg path[JSON_MAX_DEPTH + 4];
    int plen;
} jdec;

typedef struct jp {
    const uint8_t *p, *end, *start;
    sl_arena *a;
    jdec *d;
    sl_error *err;
    sl_rawtext *raw;            /* sl_decode_raw at the top level, else NULL */
    bool canon;                 /* dec_value: the scalar's text is what the encoder writes */
} jp;

/* The kinds whose canonical input text dec_value recognizes (see format.h):
 * scalars, so that nothing nested sets `canon` for them. */
#define RAW_KINDS ((1u << SL_INT) | (1u << SL_BIGINT) | (1u << SL_TIMESTAMP) | \
                   (1u << SL_DATE) | (1u << SL_TIME) | (1u << SL_DECIMAL) | (1u << SL_STRING))

/* Clears *v and gives it kind k, in place: building an sl_value in a
 * temporary and copying it makes the CPU reload bytes it has just stored
 * in pieces, which stalls (store forwarding) on the hottest path. */
static inline sl_value *set_kind(sl_value *v, sl_kind k)
{
    memset(v, 0, sizeof *v);
    v->kind = (uint8_t)k;
    return v;
}

static inline uint8_t up(uint8_t c) { return (uint8_t)(c - ((unsigned)(c - 'a') < 26u ? 32 : 0)); }

/* Hash of a field name that two names matching case-insensitively share:
 * bytes are folded with & 0xDF (which maps 'a'..'z' to 'A'..'Z'), then the
 * first and last 8 bytes and the length are mixed. No per-byte chain. */
static inline uint32_t key_hash(const uint8_t *s, uint32_t n)
{
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
    } else {
        for (uint32_t i = 0; i < n; i++)
            a |= (uint64_t)s[i] << (8 * i);
    }
    a &= 0xDFDFDFDFDFDFDFDFull;
    b &= 0xDFDFDFDFDFDFDFDFull;
    uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ n;
    return (uint32_t)(h ^ (h >> 29));
}

static uint32_t hash_upper(const char *s, size_t n)
{
    return key_hash((const uint8_t *)s, (uint32_t)n);
}

static void build_table(sl_arena *a, jnode *n, const bool *wanted)
{
    int nw = 0;
    n->hashes = sl_arena_alloc(a, sizeof(uint32_t) * (size_t)(n->nfields ? n->nfields : 1));
    for (int i = 0; i < n->nfields; i++) {
        n->hashes[i] = hash_upper(n->fields[i].name, n->fields[i].nlen);
        if (!wanted || wanted[i])
            nw++;
    }
    if (nw == 0) {
        n->slots = NULL;
        return;
    }
    uint32_t size = 4;
    while (size < (uint32_t)nw * 2)
        size *= 2;
    n->mask = size - 1;
    n->slots = sl_arena_alloc(a, sizeof(int32_t) * size);
    for (uint32_t i = 0; i < size; i++)
        n->slots[i] = -1;
    for (int i = 0; i < n->nfields; i++) {
        if (wanted && !wanted[i])
            continue;
        n->lens |= 1ull << (n->fields[i].nlen < 63 ? n->fields[i].nlen : 63);
        uint32_t s = n->hashes[i] & n->mask;
        while (n->slots[s] >= 0)
            s = (s + 1) & n->mask;
        n->slots[s] = i;
    }
}

static void build_node(sl_arena *a, jnode *n, const char *name, const sl_type *t)
{
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)t->kind;
    n->precision = t->precision;
    n->scale = t->scale;
    n->name = name ? name : "";
    n->nlen = (uint32_t)strlen(n->name);
    n->type = t;
    switch (t->kind) {
    case SL_ARRAY:
    case SL_MAP:
        n->elem = sl_arena_alloc(a, sizeof *n->elem);
        build_node(a, n->elem, NULL, t->elem);
        break;
    case SL_STRUCT:
        n->nfields = t->nfields;
        n->fields = sl_arena_alloc(a, sizeof *n->fields * (size_t)(t->nfields ? t->nfields : 1));
        for (int i = 0; i < t->nfields; i++)
            build_node(a, &n->fields[i], t->fields[i].name, t->fields[i].type);
        build_table(a, n, NULL);
        n->pred = sl_arena_zalloc(a, sizeof *n->pred * (PRED_MAX + 1));
        break;
    default:
        break;
    }
}

/* The field named k (len bytes), or -1: an exact match, else the first
 * case-insensitive one. A name of a length no wanted field has is not
 * hashed. */
static inline int lookup(const jnode *n, const uint8_t *k, uint32_t len, bool *exact)
{
    *exact = false;
    if (!n->slots || !((n->lens >> (len < 63 ? len : 63)) & 1))
        return -1;
    uint32_t h = key_hash(k, len);
    int ci = -1;
    for (uint32_t s = h & n->mask;; s = (s + 1) & n->mask) {
        int32_t f = n->slots[s];
        if (f < 0)
            break;
        const jnode *fd = &n->fields[f];
        if (fd->nlen != len || n->hashes[f] != h)
            continue;
        const uint8_t *nm = (const uint8_t *)fd->name;
        bool ex = true, cm = true;
        for (uint32_t i = 0; i < len; i++) {
            ex &= k[i] == nm[i];
            cm &= up(k[i]) == nm[i];
        }
        if (ex) {
            *exact = true;
            return f;
        }
        if (cm && ci < 0)
            ci = f;
    }
    *exact = false;
    return ci;
}

/* ---- errors ---- */

static const char *describe(const jp *j)
{
    if (j->p >= j->end)
        return "the end of the record";
    switch (*j->p) {
    case '"': return "a string";
    case '{': return "an object";
    case '[': return "an array";
    case 't': case 'f': return "a boolean";
    case 'n': return "null";
    case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
    case '8': case '9': return "a number";
    default: return "an invalid character";
    }
}

__attribute__((format(printf, 3, 4)))
static int jerr(jp *j, const uint8_t *at, const char *fmt, ...)
{
    jdec *d = j->d;
    char msg[300], where[200] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (d->plen > 0) {
        size_t w = (size_t)snprintf(where, sizeof where, ", column `%.*s`",
                                    (int)(d->path[0].nlen > 80 ? 80 : d->path[0].nlen),
                                    d->path[0].name);
        if (d->plen > 1 && w < sizeof where) {
            w += (size_t)snprintf(where + w, sizeof where - w, " at %.*s",
                                  (int)(d->path[0].nlen > 80 ? 80 : d->path[0].nlen),
                                  d->path[0].name);
            int np = d->plen < (int)(sizeof d->path / sizeof d->path[0])
                         ? d->plen : (int)(sizeof d->path / sizeof d->path[0]);
            for (int i = 1; i < np && w < sizeof where; i++) {
                if (d->path[i].name)
                    w += (size_t)snprintf(where + w, sizeof where - w, ".%.*s",
                                          (int)(d->path[i].nlen > 40 ? 40 : d->path[i].nlen),
                                          d->path[i].name);
                else
                    w += (size_t)snprintf(where + w, sizeof where - w, "[%u]", d->path[i].idx);
            }
        }
    }
    if (at > j->end)
        at = j->end;
    return sl_error_set(j->err, SL_ERR_EVAL, SL_NOSPAN, "%s%s: %s (at byte %zu)", d->what, where,
                        msg, (size_t)(at - j->start));
}

static int truncated(jp *j)
{
    return jerr(j, j->end, "the record ends inside a JSON value");
}

static int type_error(jp *j, const jnode *n)
{
    char tn[64];
    uint8_t c = *j->p;
    if (c != '"' && c != '{' && c != '[' && c != 't' && c != 'f' && c != 'n' && c != '-' &&
        (c < '0' || c > '9'))
        return jerr(j, j->p, "unexpected character '%c': a JSON value is expected",
                    c >= 0x20 && c < 0x7F ? c : '?');
    if (n->kind == SL_DECIMAL)
        snprintf(tn, sizeof tn, "DECIMAL(%d, %d)", n->precision, n->scale);
    else
        snprintf(tn, sizeof tn, "%s", sl_kind_name((sl_kind)n->kind));
    return jerr(j, j->p, "cannot convert %s to %s", describe(j), tn);
}

static inline void ws(jp *j)
{
    if (j->p < j->end && *j->p > ' ')
        return;                 /* compact JSON: the usual case */
    while (j->p < j->end && *j->p <= ' ' &&
           (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static inline uint64_t load8(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* How many of the 8 bytes in x (the first in the low byte) are ASCII digits
 * before the first that is not. A carry out of a byte can only disturb the
 * bytes after one that is not a digit, which do not count. */
static inline int ndigits8(uint64_t x)
{
    uint64_t t = ((x & 0xF0F0F0F0F0F0F0F0ull) ^ 0x3030303030303030ull) |
                 (((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) ^ 0x3030303030303030ull);
    return t ? __builtin_ctzll(t) >> 3 : 8;
}

/* The value of 8 ASCII digits in x (the first, most significant, in the low
 * byte); zero bytes count as leading zeros. */
static inline uint64_t swar8(uint64_t x)
{
    x = (x & 0x0F0F0F0F0F0F0F0Full) * 2561 >> 8;
    x = (x & 0x00FF00FF00FF00FFull) * 6553601 >> 16;
    return (x & 0x0000FFFF0000FFFFull) * 42949672960001ull >> 32;
}

/* Steps over ASCII digits from p (not past end). */
static inline const uint8_t *skip_digits(const uint8_t *p, const uint8_t *end)
{
    while (end - p >= 8) {
        int k = ndigits8(load8(p));
        p += k;
        if (k < 8)
            return p;
    }
    while (p < end && (unsigned)(*p - '0') < 10u)
        p++;
    return p;
}

static int depth_error(jp *j)
{
    return jerr(j, j->p, "JSON nested deeper than %d levels", JSON_MAX_DEPTH);
}

/* ---- strings ---- */

enum { S_ESC = 1, S_HIGH = 2 };

/*
 * The common string body, printable ASCII: from s, the first byte that ends
 * such a run (a quote, a backslash, a control byte < 0x20 or a byte >=
 * 0x80), or end if there is none. Every byte before the one returned is
 * valid text that needs no unescaping, so a string whose body is one such
 * run up to its closing quote is checked by that alone; anything else goes
 * to the exact scanner from the byte returned. start: the first byte of the
 * input (the tail is read with a load ending at `end`, which must not begin
 * before start).
 */
static inline const uint8_t *plain_run(const uint8_t *s, const uint8_t *end,
                                       const uint8_t *start)
{
#ifdef __SSE2__
    /* a signed compare with 0x20 is true for 0x00..0x1F and 0x80..0xFF */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
#define PLAIN_MASK(x) ((unsigned)_mm_movemask_epi8(_mm_or_si128( \
        _mm_or_si128(_mm_cmpeq_epi8((x), quote), _mm_cmpeq_epi8((x), bslash)), \
        _mm_cmplt_epi8((x), space))))
    while (end - s >= 32) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
        unsigned m = PLAIN_MASK(x) | PLAIN_MASK(y) << 16;
        if (m)
            return s + __builtin_ctz(m);
        s += 32;
    }
    if (end - s >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
        unsigned m = PLAIN_MASK(x);
        if (m)
            return s + __builtin_ctz(m);
        s += 16;
    }
    if (s < end && end - start >= 16) {
        /* fewer than 16 bytes left: the last 16 of the input, without the
         * bytes before s */
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
        unsigned m = PLAIN_MASK(x) >> (16 - (end - s));
        return m ? s + __builtin_ctz(m) : end;
    }
#undef PLAIN_MASK
#endif
    while (s < end && *s != '"' && *s != '\\' && *s >= 0x20 && *s < 0x80)
        s++;
    return s;
}

/* From just after an opening quote, finds the closing quote. Returns it, or
 * NULL with the error set. flags: escapes seen, bytes >= 0x80 maybe seen. */
static const uint8_t *scan_string(jp *j, const uint8_t *s, unsigned *flags)
{
    const uint8_t *end = j->end;
    unsigned fl = 0;
    s = plain_run(s, end, j->start);
    if (s < end && *s == '"') {
        *flags = 0;
        return s;
    }
    for (;;) {
#ifdef __SSE2__
        while (end - s >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
            __m128i q = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
            __m128i b = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
            __m128i c = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c));
            unsigned hi = (unsigned)_mm_movemask_epi8(x);
            if (m) {
                unsigned k = (unsigned)__builtin_ctz(m);
                if (hi & ((1u << k) - 1))
                    fl |= S_HIGH;
                s += k;
                goto stop;
            }
            if (hi)
                fl |= S_HIGH;
            s += 16;
        }
        if (s < end && end - j->start >= 16) {
            /* fewer than 16 bytes left: the last 16 of the input, without
             * the bytes before s */
            unsigned skip = (unsigned)(16 - (end - s));
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
            __m128i q = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
            __m128i b = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
            __m128i c = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c)) >> skip;
            unsigned hi = (unsigned)_mm_movemask_epi8(x) >> skip;
            if (m) {
                unsigned k = (unsigned)__builtin_ctz(m);
                if (hi & ((1u << k) - 1))
                    fl |= S_HIGH;
                s += k;
                goto stop;
            }
            if (hi)
                fl |= S_HIGH;
            s = end;
        }
#endif
        while (s < end && *s != '"' && *s != '\\' && *s >= 0x20) {
            if (*s >= 0x80)
                fl |= S_HIGH;
            s++;
        }
        if (s >= end) {
            truncated(j);
            return NULL;
        }
#ifdef __SSE2__
    stop:
#endif
        if (*s == '"') {
            *flags = fl;
            return s;
        }
        if (*s == '\\') {
            fl |= S_ESC;
            if (end - s < 2) {
                truncated(j);
                return NULL;
            }
            s += 2;
            continue;
        }
        jerr(j, s, "control character 0x%02x inside a string must be escaped", *s);
        return NULL;
    }
}

static inline int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static bool hex4(const uint8_t *s, const uint8_t *end, uint32_t *cp)
{
    if (end - s < 4)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return false;
        v = v << 4 | (uint32_t)h;
    }
    *cp = v;
    return true;
}

/* Unescapes [s, e) (escapes present) into out; returns the length, or -1
 * with the error set. out has room for e - s bytes (escapes never grow). */
static int64_t unescape(jp *j, const uint8_t *s, const uint8_t *e, uint8_t *out)
{
    uint8_t *o = out;
    while (s < e) {
        const uint8_t *bs = memchr(s, '\\', (size_t)(e - s));
        if (!bs) {
            memcpy(o, s, (size_t)(e - s));
            o += e - s;
            break;
        }
        memcpy(o, s, (size_t)(bs - s));
        o += bs - s;
        s = bs + 1;     /* scan_string guarantees a byte after a backslash */
        uint32_t cp;
        switch (*s) {
        case '"': *o++ = '"'; s++; continue;
        case '\\': *o++ = '\\'; s++; continue;
        case '/': *o++ = '/'; s++; continue;
        case 'b': *o++ = '\b'; s++; continue;
        case 'f': *o++ = '\f'; s++; continue;
        case 'n': *o++ = '\n'; s++; continue;
        case 'r': *o++ = '\r'; s++; continue;
        case 't': *o++ = '\t'; s++; continue;
        case 'u':
            if (!hex4(s + 1, e, &cp))
                return jerr(j, bs, "invalid \\u escape: four hex digits expected");
            s += 5;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (e - s < 6 || s[0] != '\\' || s[1] != 'u' || !hex4(s + 2, e, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return jerr(j, bs, "invalid \\u escape: high surrogate U+%04X without a "
                                       "low surrogate", cp);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return jerr(j, bs, "invalid \\u escape: unpaired low surrogate U+%04X", cp);
            }
            if (cp < 0x80) {
                *o++ = (uint8_t)cp;
            } else if (cp < 0x800) {
                *o++ = (uint8_t)(0xC0 | cp >> 6);
                *o++ = (uint8_t)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (uint8_t)(0xE0 | cp >> 12);
                *o++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (uint8_t)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (uint8_t)(0xF0 | cp >> 18);
                *o++ = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (uint8_t)(0x80 | (cp & 0x3F));
            }
            continue;
        default:
            return jerr(j, bs, "invalid escape '\\%c' in a string",
                        *s >= 0x20 && *s < 0x7F ? *s : '?');
        }
    }
    return o - out;
}

/* Checks the escapes of a skipped string without building it. */
static int check_escapes(jp *j, const uint8_t *s, const uint8_t *e)
{
    while (s < e) {
        const uint8_t *bs = memchr(s, '\\', (size_t)(e - s));
        if (!bs)
            return 0;
        s = bs + 1;
        uint32_t cp;
        switch (*s) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            s++;
            break;
        case 'u':
            if (!hex4(s + 1, e, &cp))
                return jerr(j, bs, "invalid \\u escape: four hex digits expected");
            s += 5;
            break;
        default:
            return jerr(j, bs, "invalid escape '\\%c' in a string",
                        *s >= 0x20 && *s < 0x7F ? *s : '?');
        }
    }
    return 0;
}

/* Parses the string at j->p (an opening quote) into the arena: *s, *n.
 * Unescaped, valid UTF-8. Leaves j->p after the closing quote. */
static int parse_string(jp *j, const char **str, uint32_t *n)
{
    const uint8_t *b = j->p + 1;
    unsigned fl;
    const uint8_t *e = scan_string(j, b, &fl);
    if (!e)
        return -1;
    if ((uint64_t)(e - b) > UINT32_MAX)
        return jerr(j, b, "string longer than 4 GiB");
    if (!(fl & S_ESC) && j->d && j->d->borrow) {
        /* nothing to unescape: the value points into the input (not NUL-terminated) */
        if ((fl & S_HIGH) && !sl_utf8_valid((const char *)b, (size_t)(e - b)))
            return jerr(j, j->p, "invalid UTF-8 in the string that starts here");
        *str = (const char *)b;
        *n = (uint32_t)(e - b);
        j->p = e + 1;
        return 0;
    }
    uint8_t *o = sl_arena_alloc(j->a, (size_t)(e - b) + 1);
    int64_t len;
    if (fl & S_ESC) {
        len = unescape(j, b, e, o);
        if (len < 0)
            return -1;
    } else {
        memcpy(o, b, (size_t)(e - b));
        len = e - b;
    }
    if ((fl & S_HIGH) && !sl_utf8_valid((const char *)o, (size_t)len))
        return jerr(j, j->p, "invalid UTF-8 in the string that starts here");
    o[len] = '\0';
    *str = (const char *)o;
    *n = (uint32_t)len;
    j->p = e + 1;
    return 0;
}

/* ---- numbers ---- */

typedef struct jnum {
    const uint8_t *s, *e;       /* the text */
    const char *ip, *fp;        /* integer digits, fraction digits */
    int nint, nfrac;
    int64_t exp;
    bool neg;
} jnum;

#define MAX_NUMBER_DIGITS 100000

static int scan_number(jp *j, jnum *n)
{
    const uint8_t *p = j->p, *end = j->end;
    n->s = p;
    n->neg = false;
    n->nfrac = 0;
    n->exp = 0;
    if (p < end && *p == '-') {
        n->neg = true;
        p++;
    }
    if (p >= end)
        return truncated(j);
    n->ip = (const char *)p;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        p = skip_digits(p + 1, end);
    } else {
        return jerr(j, p, "invalid number: a digit is expected");
    }
    if (p - (const uint8_t *)n->ip > MAX_NUMBER_DIGITS)
        return jerr(j, n->s, "number with too many digits");
    n->nint = (int)(p - (const uint8_t *)n->ip);
    n->fp = (const char *)p;
    if (p < end && *p == '.') {
        p++;
        n->fp = (const char *)p;
        p = skip_digits(p, end);
        n->nfrac = (int)(p - (const uint8_t *)n->fp);
        if (n->nfrac == 0)
            return p >= end ? truncated(j) : jerr(j, p, "invalid number: a digit is expected "
                                                        "after the decimal point");
        if (n->nfrac > MAX_NUMBER_DIGITS)
            return jerr(j, n->s, "number with too many digits");
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        const uint8_t *d0 = p;
        int64_t x = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (x < 100000000000LL)
                x = x * 10 + (*p - '0');
            p++;
        }
        if (p == d0)
            return p >= end ? truncated(j) : jerr(j, p, "invalid number: a digit is expected "
                                                        "in the exponent");
        n->exp = eneg ? -x : x;
    }
    n->e = p;
    j->p = p;
    return 0;
}

/*
 * The common case of a number, in one pass: an optional '-', then 1 to 18
 * digits without a leading zero, followed by something that cannot continue
 * a number. Returns the byte after it, with the value; NULL for anything
 * else (which scan_number then reads or rejects).
 */
static inline const uint8_t *fast_int_at(const uint8_t *p, const uint8_t *end, int64_t *out)
{
    static const uint64_t P10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                    100000000};
    bool neg = p < end && *p == '-';
    p += neg;
    const uint8_t *d0 = p;
    uint64_t v = 0;
    int nd = 0;
    while (end - p >= 8 && nd < 16) {        /* 8 digits at a time */
        uint64_t x = load8(p);
        int k = ndigits8(x);
        if (k == 0)
            break;
        v = v * P10[k] + swar8(k == 8 ? x : x << (8 * (8 - k)));
        p += k;
        nd += k;
        if (k < 8)
            goto done;
    }
    while (p < end && (unsigned)(*p - '0') < 10u && nd < 18) {
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
        nd++;
    }
done:
    if (nd == 0 || (nd > 1 && *d0 == '0'))
        return NULL;
    if (p < end && ((unsigned)(*p - '0') < 10u || *p == '.' || *p == 'e' || *p == 'E'))
        return NULL;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return p;
}

/* fast_int_at at j->p: true with j->p after the number, false with j->p
 * where it was. */
static inline bool fast_int(jp *j, int64_t *out)
{
    const uint8_t *q = fast_int_at(j->p, j->end, out);
    if (!q)
        return false;
    j->p = q;
    return true;
}

static int num_to_i64(jp *j, const jnum *n, const jnode *node, int64_t min, int64_t max,
                      int64_t *out)
{
    if (n->nfrac == 0 && n->exp == 0 && n->nint <= 18) {
        int64_t v = 0;
        for (int i = 0; i < n->nint; i++)
            v = v * 10 + (n->ip[i] - '0');
        if (n->neg)
            v = -v;
        if (v < min || v > max)
            goto range;
        *out = v;
        return 0;
    }
    sl_int128 u;
    if (fmt_dec_from_digits(n->ip, n->nint, n->fp, n->nfrac, n->exp, n->neg, 38, 0,
                            FMT_ROUND_DOWN, &u) != FMT_DEC_OK ||
        u < min || u > max)
        goto range;
    *out = (int64_t)u;
    return 0;
range:
    return jerr(j, n->s, "number %.*s is out of range for %s",
                (int)(n->e - n->s > 60 ? 60 : n->e - n->s), (const char *)n->s,
                sl_kind_name((sl_kind)node->kind));
}

static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int num_to_double(jp *j, const jnum *n, double *out)
{
    /* Exact fast path (Clinger): at most 15 significant digits and a power
     * of ten that is itself exact, so one correctly rounded operation. */
    int64_t total = (int64_t)n->nint + n->nfrac;
    if (total <= 15) {
        uint64_t m = 0;
        for (int i = 0; i < n->nint; i++)
            m = m * 10 + (uint64_t)(n->ip[i] - '0');
        for (int i = 0; i < n->nfrac; i++)
            m = m * 10 + (uint64_t)(n->fp[i] - '0');
        int64_t e10 = n->exp - n->nfrac;
        if (e10 >= -22 && e10 <= 22) {
            double d = (double)m;
            d = e10 < 0 ? d / POW10[-e10] : d * POW10[e10];
            *out = n->neg ? -d : d;
            return 0;
        }
    }
    if (!fmt_strtod((const char *)n->s, (size_t)(n->e - n->s), out))
        return jerr(j, n->s, "invalid number");
    return 0;
}

static int dec_error(jp *j, const uint8_t *at, int rc, const char *text, size_t tn,
                     const jnode *node)
{
    if (tn > 60)
        tn = 60;
    if (rc == FMT_DEC_INEXACT)
        return jerr(j, at, "cannot fit decimal '%.*s' into DECIMAL(%d, %d) without rounding",
                    (int)tn, text, node->precision, node->scale);
    if (rc == FMT_DEC_OVERFLOW)
        return jerr(j, at, "numeric field overflow: '%.*s' does not fit DECIMAL(%d, %d)",
                    (int)tn, text, node->precision, node->scale);
    return jerr(j, at, "cannot coerce string '%.*s' to DECIMAL(%d, %d)", (int)tn, text,
                node->precision, node->scale);
}

/* ---- skipping (and copying, for values that become STRING) ---- */

typedef struct abuf {
    sl_arena *a;
    char *p;
    size_t n, cap;
} abuf;

static void ab_put(abuf *b, const void *s, size_t n)
{
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        while (nc < b->n + n)
            nc *= 2;
        b->p = sl_arena_realloc(b->a, b->p, b->cap, nc);
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static int literal(jp *j, const char *word, size_t n)
{
    if ((size_t)(j->end - j->p) < n) {
        if (memcmp(j->p, word, (size_t)(j->end - j->p)) == 0)
            return truncated(j);
        return jerr(j, j->p, "invalid JSON literal");
    }
    if (memcmp(j->p, word, n) != 0)
        return jerr(j, j->p, "invalid JSON literal");
    j->p += n;
    return 0;
}

static int skip_string(jp *j, abuf *cp)
{
    unsigned fl;
    const uint8_t *e = scan_string(j, j->p + 1, &fl);
    if (!e)
        return -1;
    if ((fl & S_ESC) && check_escapes(j, j->p + 1, e) < 0)
        return -1;
    /* escapes are ASCII text, so checking the raw bytes finds every invalid
     * UTF-8 sequence the string holds */
    if ((fl & S_HIGH) && !sl_utf8_valid((const char *)j->p + 1, (size_t)(e - j->p - 1)))
        return jerr(j, j->p, "invalid UTF-8 in the string that starts here");
    if (cp)
        ab_put(cp, j->p, (size_t)(e + 1 - j->p));
    j->p = e + 1;
    return 0;
}

/* Validates the value at j->p and moves past it; with cp, appends it as
 * compact JSON (no insignificant whitespace). */
static int skip_value(jp *j, int depth, abuf *cp)
{
    if (j->p >= j->end)
        return truncated(j);
    const uint8_t *v0 = j->p;
    switch (*j->p) {
    case '"':
        return skip_string(j, cp);
    case '{':
        if (depth > JSON_MAX_DEPTH)
            return depth_error(j);
        j->p++;
        if (cp)
            ab_put(cp, "{", 1);
        ws(j);
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            if (cp)
                ab_put(cp, "}", 1);
            return 0;
        }
        for (;;) {
            ws(j);
            if (j->p >= j->end)
                return truncated(j);
            if (*j->p != '"')
                return jerr(j, j->p, "expected a field name in quotes");
            if (skip_string(j, cp) < 0)
                return -1;
            ws(j);
            if (j->p >= j->end)
                return truncated(j);
            if (*j->p != ':')
                return jerr(j, j->p, "expected ':' after a field name");
            j->p++;
            if (cp)
                ab_put(cp, ":", 1);
            ws(j);
            if (skip_value(j, depth + 1, cp) < 0)
                return -1;
            ws(j);
            if (j->p >= j->end)
                return truncated(j);
            if (*j->p == ',') {
                j->p++;
                if (cp)
                    ab_put(cp, ",", 1);
                continue;
            }
            if (*j->p == '}') {
                j->p++;
                if (cp)
                    ab_put(cp, "}", 1);
                return 0;
            }
            return jerr(j, j->p, "expected ',' or '}' in an object");
        }
    case '[':
        if (depth > JSON_MAX_DEPTH)
            return depth_error(j);
        j->p++;
        if (cp)
            ab_put(cp, "[", 1);
        ws(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            if (cp)
                ab_put(cp, "]", 1);
            return 0;
        }
        for (;;) {
            ws(j);
            if (skip_value(j, depth + 1, cp) < 0)
                return -1;
            ws(j);
            if (j->p >= j->end)
                return truncated(j);
            if (*j->p == ',') {
                j->p++;
                if (cp)
                    ab_put(cp, ",", 1);
                continue;
            }
            if (*j->p == ']') {
                j->p++;
                if (cp)
                    ab_put(cp, "]", 1);
                return 0;
            }
            return jerr(j, j->p, "expected ',' or ']' in an array");
        }
    case 't':
        if (literal(j, "true", 4) < 0)
            return -1;
        break;
    case 'f':
        if (literal(j, "false", 5) < 0)
            return -1;
        break;
    case 'n':
        if (literal(j, "null", 4) < 0)
            return -1;
        break;
    default: {
        if (*j->p != '-' && (*j->p < '0' || *j->p > '9'))
            return jerr(j, j->p, "unexpected character '%c': a JSON value is expected",
                        *j->p >= 0x20 && *j->p < 0x7F ? *j->p : '?');
        /* the usual skipped number, a plain integer, in one pass */
        const uint8_t *d0 = j->p + (*j->p == '-');
        if (d0 < j->end && *d0 >= '1' && *d0 <= '9') {
            const uint8_t *q = skip_digits(d0 + 1, j->end);
            if (q < j->end && *q != '.' && (*q | 0x20) != 'e' && q - d0 <= MAX_NUMBER_DIGITS) {
                j->p = q;
                break;
            }
        }
        jnum n;
        if (scan_number(j, &n) < 0)
            return -1;
        break;
    }
    }
    if (cp)
        ab_put(cp, v0, (size_t)(j->p - v0));
    return 0;
}

/* ksqlDB's text of a non-string JSON value for a STRING column: numbers and
 * literals as written, objects as compact JSON, arrays as "[a, b]" with each
 * element converted the same way (strings without quotes). */
static int value_text(jp *j, int depth, abuf *b)
{
    if (j->p >= j->end)
        return truncated(j);
    if (*j->p == '"') {
        const char *s;
        uint32_t n;
        if (parse_string(j, &s, &n) < 0)
            return -1;
        ab_put(b, s, n);
        return 0;
    }
    if (*j->p != '[')
        return skip_value(j, depth, b);
    if (depth > JSON_MAX_DEPTH)
        return depth_error(j);
    j->p++;
    ab_put(b, "[", 1);
    ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        ab_put(b, "]", 1);
        return 0;
    }
    for (bool first = true;; first = false) {
        ws(j);
        if (!first)
            ab_put(b, ", ", 2);
        if (value_text(j, depth + 1, b) < 0)
            return -1;
        ws(j);
        if (j->p >= j->end)
            return truncated(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == ']') {
            j->p++;
            ab_put(b, "]", 1);
            return 0;
        }
        return jerr(j, j->p, "expected ',' or ']' in an array");
    }
}

/* ---- materializing ---- */

static int dec_value(jp *j, const jnode *n, sl_value *out, int depth);

static inline void path_push(jdec *d, const char *name, uint32_t nlen, uint32_t idx)
{
    if (d->plen < (int)(sizeof d->path / sizeof d->path[0])) {
        d->path[d->plen].name = name;
        d->path[d->plen].nlen = nlen;
        d->path[d->plen].idx = idx;
    }
    d->plen++;
}

static inline void path_pop(jdec *d) { d->plen--; }

/* Reads a field name at j->p (a quote): *k / *kn point at the name (into the
 * input when it has no escapes, else into the arena); *plain when it had no
 * escapes (its bytes in the input are the name). */
static int field_name(jp *j, const uint8_t **k, uint32_t *kn, bool *plain)
{
    const uint8_t *s = j->p + 1;
    unsigned fl;
    const uint8_t *e = scan_string(j, s, &fl);
    if (!e)
        return -1;
    if (!(fl & S_ESC) && (uint64_t)(e - s) <= UINT32_MAX) {
        if ((fl & S_HIGH) && !sl_utf8_valid((const char *)s, (size_t)(e - s)))
            return jerr(j, j->p, "invalid UTF-8 in the string that starts here");
        *k = s;
        *kn = (uint32_t)(e - s);
        *plain = true;
        j->p = e + 1;
        return 0;
    }
    const char *str;
    uint32_t n;
    if (parse_string(j, &str, &n) < 0)
        return -1;
    *k = (const uint8_t *)str;
    *kn = n;
    *plain = false;
    return 0;
}

/* Whether the input at p (up to end) starts with the remembered text. */
static inline bool pred_match(const uint8_t *p, const uint8_t *end, const jpred *pr)
{
    size_t n = pr->len;
#ifdef __SSE2__
    if (pr->mask && end - p >= 16) {
        /* the usual name: one compare of 16 bytes, the first n counting */
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i t = _mm_loadu_si128((const __m128i *)(const void *)pr->text);
        return (~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, t)) & pr->mask) == 0;
    }
#endif
    if (n == 0 || (size_t)(end - p) < n)
        return false;
    if (n < 8) {
        if (n < 4)
            return memcmp(p, pr->text, n) == 0;
        uint32_t a, b, c, e;    /* two overlapping 4-byte pieces, no call */
        memcpy(&a, p, 4);
        memcpy(&b, pr->text, 4);
        memcpy(&c, p + n - 4, 4);
        memcpy(&e, pr->text + n - 4, 4);
        return a == b && c == e;
    }
    size_t i = 0;
    for (; i + 8 < n; i += 8)
        if (load8(p + i) != load8(pr->text + i))
            return false;
    return load8(p + n - 8) == load8(pr->text + n - 8);
}

/* After dec_value of a column from v0: its text, when canonical. */
static inline void set_raw(jp *j, const jnode *n, sl_rawtext *r, const uint8_t *v0)
{
    if (j->canon && ((RAW_KINDS >> n->kind) & 1u)) {
        r->ptr = (const char *)v0;
        r->len = (uint32_t)(j->p - v0);
    } else {
        r->len = 0;
    }
}

/*
 * A string of printable ASCII at p for a STRING field, the common
 * case of parse_string: valid as it is, so it is borrowed from the input or
 * copied without a check. Returns the byte after its closing quote, or NULL
 * (nothing written) for anything else.
 */
static inline const uint8_t *plain_string(jp *j, const uint8_t *p, sl_value *out)
{
    if (p >= j->end || *p != '"')
        return NULL;
    const uint8_t *q = plain_run(p + 1, j->end, j->start);
    if (q >= j->end || *q != '"' || (uint64_t)(q - p - 1) > UINT32_MAX)
        return NULL;
    uint32_t n = (uint32_t)(q - p - 1);
    const char *str = (const char *)p + 1;
    if (!j->d->borrow) {
        char *c = sl_arena_alloc(j->a, (size_t)n + 1);
        memcpy(c, str, n);
        c[n] = '\0';
        str = c;
    }
    sl_value *v = set_kind(out, SL_STRING);
    v->u.s.ptr = str;
    v->u.s.len = n;
    return q + 1;
}

/*
 * A value nobody reads, in its common forms: a string of printable ASCII
 * or a plain integer followed by ',' or '}'. Returns the byte after it, or
 * NULL for anything else, which skip_value then checks in full.
 */
static inline const uint8_t *fast_skip(const uint8_t *p, const uint8_t *end,
                                       const uint8_t *start)
{
    if (p >= end)
        return NULL;
    if (*p == '"') {
        const uint8_t *q = plain_run(p + 1, end, start);
        return q < end && *q == '"' ? q + 1 : NULL;
    }
    p += *p == '-';
    if (p < end && (unsigned)(*p - '1') < 9u) {
        const uint8_t *q = skip_digits(p + 1, end);
        if (q < end && (*q == ',' || *q == '}') && q - p <= MAX_NUMBER_DIGITS)
            return q;
    }
    return NULL;
}

/*
 * A field name that is not the one predicted at its position (pr, NULL when
 * past the last one kept): reads it, the ':' after it (j->p after that), and
 * looks it up; remembers it at pr when it is plain and tight. Returns
 * NAME_NONE (no field wanted), NAME_ERROR, or the field f and whether the
 * name matched exactly as f << 1 | exact. Out of line: it is the rare path,
 * and keeping it out of dec_object keeps that loop in registers.
 */
enum { NAME_NONE = -1, NAME_ERROR = -2 };

static __attribute__((noinline)) int name_slow(jp *j, const jnode *n, jpred *pr)
{
    const uint8_t *q0 = j->p, *k = NULL;
    uint32_t kn = 0;
    bool plain = false, exact = false;
    if (field_name(j, &k, &kn, &plain) < 0)
        return NAME_ERROR;
    bool tight = j->p < j->end && *j->p == ':';
    ws(j);
    if (j->p >= j->end) {
        truncated(j);
        return NAME_ERROR;
    }
    if (*j->p != ':') {
        jerr(j, j->p, "expected ':' after a field name");
        return NAME_ERROR;
    }
    j->p++;
    int f = lookup(n, k, kn, &exact);
    if (pr && plain && tight && (size_t)(j->p - q0) <= PRED_BYTES) {
        pr->len = (uint8_t)(j->p - q0);
        pr->mask = pr->len <= 16 ? (uint16_t)((1u << pr->len) - 1) : 0;
        memcpy(pr->text, q0, pr->len);
        pr->fx = f < 0 ? -1 : f << 1 | exact;
    }
    return f < 0 ? NAME_NONE : f << 1 | exact;
}

/* A wanted field's value at j->p in general (dec_value), with its raw text
 * when raw is not NULL (the top level). */
static __attribute__((noinline)) int value_slow(jp *j, const jnode *fn, sl_value *out,
                                                sl_rawtext *raw, int depth)
{
    const uint8_t *v0 = j->p;
    j->canon = false;
    path_push(j->d, fn->name, fn->nlen, 0);
    if (dec_value(j, fn, out, depth + 1) < 0)
        return -1;
    path_pop(j->d);
    if (raw)                    /* raw follows the value (duplicates too) */
        set_raw(j, fn, raw, v0);
    return 0;
}

/*
 * An object into the fields of node n (fields[i] for n->fields[i]); the
 * fields of a nested STRUCT never report raw text (j->raw is NULL there).
 * The loop keeps its position in a local (p) on the paths of compact
 * records of a known shape, and hands it to j->p around every call that
 * reads or reports through j: stores into the values may alias j, so the
 * compiler would otherwise reload j->p after each.
 */
static int dec_object(jp *j, const jnode *n, sl_value *fields, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return depth_error(j);
    j->p++;
    uint64_t exact_small = 0;
    uint8_t *exact_big = n->nfields > 64 ? sl_arena_zalloc(j->a, (size_t)n->nfields) : NULL;
    ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return 0;
    }
    const uint8_t *const end = j->end;
    const uint8_t *p = j->p;
    jpred *pr = n->pred, *const pr_end = n->pred + PRED_MAX;   /* pr_end: stays empty */
    for (;; pr += pr != pr_end) {
        if (p >= end || *p != '"') {
            j->p = p;
            ws(j);
            p = j->p;
            if (p >= end)
                return truncated(j);
            if (*p != '"')
                return jerr(j, p, "expected a field name in quotes");
        }
        int fx;
        if (pred_match(p, end, pr)) {
            p += pr->len;
            fx = pr->fx;
        } else {
            j->p = p;
            if ((fx = name_slow(j, n, pr != pr_end ? pr : NULL)) == NAME_ERROR)
                return -1;
            p = j->p;
        }
        int f = fx < 0 ? -1 : fx >> 1;
        bool exact = fx & 1;
        if (p >= end || *p <= ' ') {
            /* (the end of the record is reported by the value's reader,
             * which names the column when it is wanted) */
            j->p = p;
            ws(j);
            p = j->p;
        }
        /* a field matched exactly is decoded; one matched case-insensitively
         * only while no exact match has been seen */
        if (f >= 0 && (exact || !(exact_big ? exact_big[f] : (exact_small >> f) & 1))) {
            const jnode *fn = &n->fields[f];
            const uint8_t *q;
            int64_t v;
            if ((fn->kind == SL_BIGINT || fn->kind == SL_TIMESTAMP) &&
                (q = fast_int_at(p, end, &v)) != NULL) {
                set_kind(&fields[f], (sl_kind)fn->kind)->u.i64 = v;
                if (j->raw) {   /* the text is what the encoder writes, except for -0 */
                    j->raw[f].ptr = (const char *)p;
                    j->raw[f].len = v == 0 && *p == '-' ? 0 : (uint32_t)(q - p);
                }
                p = q;
            } else if (fn->kind == SL_STRING && (q = plain_string(j, p, &fields[f])) != NULL) {
                if (j->raw) {   /* no escapes: the text is what the encoder writes */
                    j->raw[f].ptr = (const char *)p;
                    j->raw[f].len = (uint32_t)(q - p);
                }
                p = q;
            } else {
                j->p = p;
                if (value_slow(j, fn, &fields[f], j->raw ? &j->raw[f] : NULL, depth) < 0)
                    return -1;
                p = j->p;
            }
            if (exact) {
                if (exact_big)
                    exact_big[f] = 1;
                else
                    exact_small |= (uint64_t)1 << f;
            }
        } else {
            const uint8_t *q = fast_skip(p, end, j->start);
            if (q) {
                p = q;
            } else {
                j->p = p;
                if (skip_value(j, depth + 1, NULL) < 0)
                    return -1;
                p = j->p;
            }
        }
        if (p < end && *p == ',') {     /* compact JSON: the usual case */
            p++;
            continue;
        }
        j->p = p;
        ws(j);
        p = j->p;
        if (p >= end)
            return truncated(j);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}') {
            j->p = p + 1;
            return 0;
        }
        return jerr(j, p, "expected ',' or '}' in an object");
    }
}

static void stk_push(jdec *d, const sl_value *v)
{
    if (d->stkn == d->stkcap) {
        size_t nc = d->stkcap ? d->stkcap * 2 : 64;
        sl_value *p = realloc(d->stk, nc * sizeof *p);
        if (!p) {
            fprintf(stderr, "sluice: out of memory in the JSON decoder\n");
            abort();
        }
        d->stk = p;
        d->stkcap = nc;
    }
    d->stk[d->stkn++] = *v;
}

static int dec_array(jp *j, const jnode *n, sl_value *out, int depth)
{
    jdec *d = j->d;
    if (depth > JSON_MAX_DEPTH)
        return depth_error(j);
    j->p++;
    size_t base = d->stkn;
    ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        *out = sl_array_new(j->a, 0);
        return 0;
    }
    for (uint32_t i = 0;; i++) {
        ws(j);
        sl_value v = sl_null();
        path_push(d, NULL, 0, i);
        if (dec_value(j, n->elem, &v, depth + 1) < 0)
            return -1;
        path_pop(d);
        stk_push(d, &v);
        ws(j);
        if (j->p >= j->end)
            return truncated(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == ']') {
            j->p++;
            break;
        }
        return jerr(j, j->p, "expected ',' or ']' in an array");
    }
    size_t cnt = d->stkn - base;
    if (cnt > UINT32_MAX)
        return jerr(j, j->p, "array too long");
    *out = sl_array_new(j->a, (uint32_t)cnt);
    memcpy(out->u.arr.items, d->stk + base, cnt * sizeof(sl_value));
    d->stkn = base;
    return 0;
}

static uint32_t hash_bytes(const char *s, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static int dec_map(jp *j, const jnode *n, sl_value *out, int depth)
{
    jdec *d = j->d;
    if (depth > JSON_MAX_DEPTH)
        return depth_error(j);
    j->p++;
    size_t base = d->stkn;
    ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        *out = sl_map_new(j->a, 0);
        return 0;
    }
    for (;;) {
        ws(j);
        if (j->p >= j->end)
            return truncated(j);
        if (*j->p != '"')
            return jerr(j, j->p, "expected a key in quotes");
        const char *ks;
        uint32_t kn;
        if (parse_string(j, &ks, &kn) < 0)
            return -1;
        sl_value key = sl_string_ref(ks, kn);
        ws(j);
        if (j->p >= j->end)
            return truncated(j);
        if (*j->p != ':')
            return jerr(j, j->p, "expected ':' after a key");
        j->p++;
        ws(j);
        sl_value v = sl_null();
        path_push(d, ks, kn, 0);
        if (dec_value(j, n->elem, &v, depth + 1) < 0)
            return -1;
        path_pop(d);
        stk_push(d, &key);
        stk_push(d, &v);
        ws(j);
        if (j->p >= j->end)
            return truncated(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == '}') {
            j->p++;
            break;
        }
        return jerr(j, j->p, "expected ',' or '}' in an object");
    }
    size_t cnt = (d->stkn - base) / 2;
    if (cnt > UINT32_MAX / 4)
        return jerr(j, j->p, "map too large");
    /* Duplicate keys: the last value wins, at the place of the first key. */
    uint32_t size = 4;
    while (size < cnt * 2)
        size *= 2;
    int32_t *slots = sl_arena_alloc(j->a, sizeof(int32_t) * size);
    for (uint32_t i = 0; i < size; i++)
        slots[i] = -1;
    sl_value m = sl_map_new(j->a, (uint32_t)cnt);
    uint32_t nout = 0;
    for (size_t i = 0; i < cnt; i++) {
        const sl_value *k = &d->stk[base + 2 * i], *v = k + 1;
        uint32_t s = hash_bytes(k->u.s.ptr, k->u.s.len) & (size - 1);
        for (;; s = (s + 1) & (size - 1)) {
            int32_t o = slots[s];
            if (o < 0) {
                slots[s] = (int32_t)nout;
                m.u.map.keys[nout] = *k;
                m.u.map.vals[nout] = *v;
                nout++;
                break;
            }
            const sl_value *ok = &m.u.map.keys[o];
            if (ok->u.s.len == k->u.s.len && memcmp(ok->u.s.ptr, k->u.s.ptr, k->u.s.len) == 0) {
                m.u.map.vals[o] = *v;
                break;
            }
        }
    }
    m.u.map.n = nout;
    *out = m;
    d->stkn = base;
    return 0;
}

/* A string that holds a number, for a numeric / temporal column. */
static int string_content(jp *j, const char **s, uint32_t *n)
{
    return parse_string(j, s, n);
}

static int dec_value(jp *j, const jnode *n, sl_value *out, int depth)
{
    if (j->p >= j->end)
        return truncated(j);
    uint8_t c = *j->p;
    if (c == 'n') {
        if (literal(j, "null", 4) < 0)
            return -1;
        *out = sl_null();
        return 0;
    }
    const uint8_t *at = j->p;
    jnum num;
    int64_t i64;
    const char *s;
    uint32_t sn;
    switch ((sl_kind)n->kind) {
    case SL_BOOLEAN:
        if (c == 't') {
            if (literal(j, "true", 4) < 0)
                return -1;
            *out = sl_bool(true);
            return 0;
        }
        if (c == 'f') {
            if (literal(j, "false", 5) < 0)
                return -1;
            *out = sl_bool(false);
            return 0;
        }
        return type_error(j, n);
    case SL_INT:
    case SL_BIGINT:
    case SL_TIMESTAMP:
    case SL_DATE:
    case SL_TIME: {
        bool wide = n->kind == SL_BIGINT || n->kind == SL_TIMESTAMP;
        int64_t lo = wide ? INT64_MIN : INT32_MIN, hi = wide ? INT64_MAX : INT32_MAX;
        bool fast = fast_int(j, &i64);
        if (fast && (i64 < lo || i64 > hi)) {
            j->p = at;          /* out of range: the general path says so */
            fast = false;
        }
        if (fast) {
            /* a plain integer of up to 18 digits, read in one pass; its
             * text is what the encoder writes, except for -0 */
            j->canon = !(i64 == 0 && c == '-');
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (scan_number(j, &num) < 0 || num_to_i64(j, &num, n, lo, hi, &i64) < 0)
                return -1;
        } else if (c == '"') {
            if (string_content(j, &s, &sn) < 0)
                return -1;
            if (!fmt_parse_java_long(s, sn, lo, hi, &i64))
                return jerr(j, at, "cannot coerce string '%.*s' to %s", (int)(sn > 60 ? 60 : sn),
                            s, sl_kind_name((sl_kind)n->kind));
        } else {
            return type_error(j, n);
        }
        switch ((sl_kind)n->kind) {
        case SL_INT: set_kind(out, SL_INT)->u.i32 = (int32_t)i64; break;
        case SL_BIGINT: set_kind(out, SL_BIGINT)->u.i64 = i64; break;
        case SL_TIMESTAMP: set_kind(out, SL_TIMESTAMP)->u.i64 = i64; break;
        case SL_DATE: set_kind(out, SL_DATE)->u.i32 = (int32_t)i64; break;
        default:
            if (i64 < 0 || i64 >= 86400000)
                return jerr(j, at, "TIME values must be milliseconds of the day, from 0 to "
                                   "86399999 (got %lld)", (long long)i64);
            set_kind(out, SL_TIME)->u.i32 = (int32_t)i64;
            break;
        }
        return 0;
    }
    case SL_DOUBLE: {
        double dv;
        if (c == '-' || (c >= '0' && c <= '9')) {
            if (scan_number(j, &num) < 0 || num_to_double(j, &num, &dv) < 0)
                return -1;
        } else if (c == '"') {
            if (string_content(j, &s, &sn) < 0)
                return -1;
            if (!fmt_parse_java_double(s, sn, &dv))
                return jerr(j, at, "cannot coerce string '%.*s' to DOUBLE",
                            (int)(sn > 60 ? 60 : sn), s);
        } else {
            return type_error(j, n);
        }
        set_kind(out, SL_DOUBLE)->u.d = dv;
        return 0;
    }
    case SL_DECIMAL: {
        sl_int128 u;
        int rc;
        if (c == '-' || (c >= '0' && c <= '9')) {
            if (scan_number(j, &num) < 0)
                return -1;
            rc = fmt_dec_from_digits(num.ip, num.nint, num.fp, num.nfrac, num.exp, num.neg,
                                     n->precision, n->scale, FMT_ROUND_EXACT, &u);
            if (rc != FMT_DEC_OK)
                return dec_error(j, at, rc, (const char *)num.s, (size_t)(num.e - num.s), n);
            /* plain digits with exactly `scale` fraction digits (no exponent,
             * not a negative zero) are what the encoder writes */
            j->canon = num.nfrac == n->scale && !(num.neg && u == 0) &&
                       num.e - num.s == num.neg + num.nint + (num.nfrac ? num.nfrac + 1 : 0);
        } else if (c == '"') {
            if (string_content(j, &s, &sn) < 0)
                return -1;
            rc = fmt_parse_decimal_text(s, sn, n->precision, n->scale, &u);
            if (rc != FMT_DEC_OK)
                return dec_error(j, at, rc, s, sn, n);
        } else {
            return type_error(j, n);
        }
        set_kind(out, SL_DECIMAL)->u.dec = u;
        out->precision = n->precision;
        out->scale = n->scale;
        return 0;
    }
    case SL_STRING:
        if (c == '"') {
            if (parse_string(j, &s, &sn) < 0)
                return -1;
            set_kind(out, SL_STRING)->u.s.ptr = s;
            out->u.s.len = sn;
            /* borrowed from the input: no backslash, so neither a quote nor a
             * control character, and the encoder would escape nothing */
            j->canon = s == (const char *)at + 1;
            return 0;
        } else {
            abuf b = {j->a, NULL, 0, 0};
            if (value_text(j, depth, &b) < 0)
                return -1;
            if (b.n > UINT32_MAX)
                return jerr(j, at, "value too long for a string");
            if (!sl_utf8_valid(b.p, b.n))
                return jerr(j, at, "invalid UTF-8 in the value that starts here");
            *out = sl_string_ref(b.p ? b.p : "", (uint32_t)b.n);
            return 0;
        }
    case SL_BYTES: {
        if (c != '"')
            return type_error(j, n);
        if (parse_string(j, &s, &sn) < 0)
            return -1;
        uint8_t *bytes;
        size_t bn;
        if (!fmt_base64_decode(j->a, s, sn, &bytes, &bn))
            return jerr(j, at, "invalid base64 text for BYTES");
        out->kind = SL_BYTES;
        out->u.s.ptr = (const char *)bytes;
        out->u.s.len = (uint32_t)bn;
        return 0;
    }
    case SL_ARRAY:
        if (c != '[')
            return type_error(j, n);
        return dec_array(j, n, out, depth);
    case SL_MAP:
        if (c != '{')
            return type_error(j, n);
        return dec_map(j, n, out, depth);
    case SL_STRUCT:
        if (c != '{')
            return type_error(j, n);
        *out = sl_struct_new(j->a, (uint32_t)n->nfields);
        sl_rawtext *raw = j->raw;
        j->raw = NULL;
        int rc = dec_object(j, n, out->u.st.fields, depth);
        j->raw = raw;
        return rc;
    default:
        return jerr(j, at, "type %s cannot be read from JSON", sl_kind_name((sl_kind)n->kind));
    }
}

static inline int decode_common(sl_decoder *base, const uint8_t *data, size_t len, sl_arena *a,
                                sl_value *out, sl_rawtext *raw, sl_error *err)
{
    jdec *d = base->impl;
    jp j = {data, data + len, data, a, d, err, raw, false};
    d->plen = 0;
    d->stkn = 0;
    memset(out, 0, sizeof *out * (size_t)base->ncols);     /* all NULL (SL_NULL is 0) */
    if (raw)
        memset(raw, 0, sizeof *raw * (size_t)base->ncols);
    if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
        j.p += 3;
    ws(&j);
    if (j.p >= j.end)
        return jerr(&j, j.p, "the record holds no JSON value");
    if (d->unwrapped) {
        if (base->wanted[0]) {
            path_push(d, d->root.fields[0].name, d->root.fields[0].nlen, 0);
            const uint8_t *v0 = j.p;
            if (dec_value(&j, &d->root.fields[0], &out[0], 1) < 0)
                return -1;
            path_pop(d);
            if (raw)
                set_raw(&j, &d->root.fields[0], &raw[0], v0);
        } else if (skip_value(&j, 1, NULL) < 0) {
            return -1;
        }
    } else if (*j.p == 'n') {
        if (literal(&j, "null", 4) < 0)
            return -1;
    } else if (*j.p != '{') {
        return jerr(&j, j.p, "expected a JSON object, found %s", describe(&j));
    } else if (dec_object(&j, &d->root, out, 1) < 0) {
        return -1;
    }
    ws(&j);
    if (j.p != j.end)
        return jerr(&j, j.p, "unexpected data after the JSON value");
    return 0;
}

static int json_decode(sl_decoder *base, const uint8_t *data, size_t len, sl_arena *a,
                       sl_value *out, sl_error *err)
{
    return decode_common(base, data, len, a, out, NULL, err);
}

/* Raw text only when the values borrow from the input (so the caller keeps
 * the input alive as long as the values): strings are recognized as
 * unescaped by pointing into it. */
static int json_decode_raw(sl_decoder *base, const uint8_t *data, size_t len, sl_arena *a,
                           sl_value *out, sl_rawtext *raw, sl_error *err)
{
    if (!((jdec *)base->impl)->borrow) {
        memset(raw, 0, sizeof *raw * (size_t)base->ncols);
        raw = NULL;
    }
    return decode_common(base, data, len, a, out, raw, err);
}

static void json_dec_destroy(sl_decoder *base)
{
    jdec *d = base->impl;
    if (d)
        free(d->stk);
}

int sl_json_decoder_init(sl_decoder *base, sl_error *err)
{
    jdec *d = sl_arena_zalloc(base->arena, sizeof *d);
    d->unwrapped = sl_format_unwrapped(&base->opts, base->ncols);
    d->borrow = base->opts.borrow_input;
    d->what = base->opts.is_key ? "JSON key" : "JSON value";
    jnode *r = &d->root;
    r->kind = SL_STRUCT;
    r->name = "";
    r->nfields = base->ncols;
    r->fields = sl_arena_alloc(base->arena,
                               sizeof *r->fields * (size_t)(base->ncols ? base->ncols : 1));
    for (int i = 0; i < base->ncols; i++)
        build_node(base->arena, &r->fields[i], base->cols[i].name, base->cols[i].type);
    build_table(base->arena, r, base->wanted);
    r->pred = sl_arena_zalloc(base->arena, sizeof *r->pred * (PRED_MAX + 1));
    base->impl = d;
    base->decode = json_decode;
    base->decode_raw = json_decode_raw;
    base->destroy = json_dec_destroy;
    return 0;
}

/* ---- encoding ---- */

typedef struct jenc {
    bool unwrapped;
    const char **keys;          /* per column: ,"NAME": ({"NAME": for the first) */
    size_t *keylens;
} jenc;

static const uint8_t ESC_CLASS[256] = {
    /* 0: as is; 1: needs an escape */
    [0 ... 0x1F] = 1, ['"'] = 1, ['\\'] = 1,
};

static void out_json_string(fmt_out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    fmt_out_byte(o, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
#ifdef __SSE2__
        /* skip 16 bytes at a time while none needs escaping ('"', '\\', < 0x20) */
        while (n - i >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            __m128i q = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
            __m128i b = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
            __m128i c = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c));
            if (m) {
                i += (size_t)__builtin_ctz(m);
                break;
            }
            i += 16;
        }
        if (i >= n)
            break;
#endif
        uint8_t c = (uint8_t)s[i];
        if (!ESC_CLASS[c])
            continue;
        fmt_out_bytes(o, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', 0, 0, 0, 0, 0};
        size_t en = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        default:
            e[1] = 'u'; e[2] = '0'; e[3] = '0'; e[4] = hex[c >> 4]; e[5] = hex[c & 15];
            en = 6;
        }
        fmt_out_bytes(o, e, en);
    }
    fmt_out_bytes(o, s + run, n - run);
    fmt_out_byte(o, '"');
}

static int enc_value(fmt_out *o, const sl_value *v, const sl_type *t, const char *col,
                     sl_error *err)
{
    if (v->kind == SL_NULL) {
        fmt_out_bytes(o, "null", 4);
        return 0;
    }
    if (v->kind != t->kind)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                            "JSON: column `%s`: a %s value where %s is expected", col,
                            sl_kind_name((sl_kind)v->kind), sl_kind_name(t->kind));
    switch (t->kind) {
    case SL_BOOLEAN:
        if (v->u.b)
            fmt_out_bytes(o, "true", 4);
        else
            fmt_out_bytes(o, "false", 5);
        return 0;
    case SL_INT:
    case SL_DATE:
    case SL_TIME:
        fmt_out_i64(o, v->u.i32);
        return 0;
    case SL_BIGINT:
    case SL_TIMESTAMP:
        fmt_out_i64(o, v->u.i64);
        return 0;
    case SL_DOUBLE:
        if (isnan(v->u.d) || isinf(v->u.d)) {
            fmt_out_byte(o, '"');
            fmt_out_double(o, v->u.d);
            fmt_out_byte(o, '"');
        } else {
            fmt_out_double(o, v->u.d);
        }
        return 0;
    case SL_DECIMAL:
        fmt_out_decimal(o, v->u.dec, v->scale);
        return 0;
    case SL_STRING:
        out_json_string(o, v->u.s.ptr, v->u.s.len);
        return 0;
    case SL_BYTES:
        fmt_out_byte(o, '"');
        fmt_out_base64(o, (const uint8_t *)v->u.s.ptr, v->u.s.len);
        fmt_out_byte(o, '"');
        return 0;
    case SL_ARRAY:
        fmt_out_byte(o, '[');
        for (uint32_t i = 0; i < v->u.arr.n; i++) {
            if (i)
                fmt_out_byte(o, ',');
            if (enc_value(o, &v->u.arr.items[i], t->elem, col, err) < 0)
                return -1;
        }
        fmt_out_byte(o, ']');
        return 0;
    case SL_MAP:
        fmt_out_byte(o, '{');
        for (uint32_t i = 0; i < v->u.map.n; i++) {
            const sl_value *k = &v->u.map.keys[i];
            if (k->kind != SL_STRING)
                return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN,
                                    "JSON: column `%s`: a MAP key is %s; JSON keys are strings",
                                    col, k->kind == SL_NULL ? "NULL" : "not a string");
            if (i)
                fmt_out_byte(o, ',');
            out_json_string(o, k->u.s.ptr, k->u.s.len);
            fmt_out_byte(o, ':');
            if (enc_value(o, &v->u.map.vals[i], t->elem, col, err) < 0)
                return -1;
        }
        fmt_out_byte(o, '}');
        return 0;
    case SL_STRUCT:
        fmt_out_byte(o, '{');
        for (int i = 0; i < t->nfields; i++) {
            if (i)
                fmt_out_byte(o, ',');
            out_json_string(o, t->fields[i].name, strlen(t->fields[i].name));
            fmt_out_byte(o, ':');
            sl_value nul = sl_null();
            const sl_value *fv = (uint32_t)i < v->u.st.n ? &v->u.st.fields[i] : &nul;
            if (enc_value(o, fv, t->fields[i].type, col, err) < 0)
                return -1;
        }
        fmt_out_byte(o, '}');
        return 0;
    default:
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                            "JSON: column `%s`: type %s cannot be written", col,
                            sl_kind_name(t->kind));
    }
}

/* raw: NULL, or per column text to copy instead of rendering (format.h). */
static inline int encode_common(sl_encoder *base, const sl_value *vals, const sl_rawtext *raw,
                                sl_buf *out, sl_error *err)
{
    jenc *e = base->impl;
    fmt_out o;
    fmt_out_init(&o, out);
    size_t mark = out->len;
    int rc = 0;
    if (e->unwrapped) {
        if (raw && raw[0].len && vals[0].kind != SL_NULL)
            fmt_out_bytes(&o, raw[0].ptr, raw[0].len);
        else
            rc = enc_value(&o, &vals[0], base->cols[0].type, base->cols[0].name, err);
    } else {
        /* keys[i] is `,"NAME":` (keys[0] `{"NAME":`) */
        if (base->ncols == 0)
            fmt_out_byte(&o, '{');
        for (int i = 0; i < base->ncols && rc == 0; i++) {
            fmt_out_bytes(&o, e->keys[i], e->keylens[i]);
            if (raw && raw[i].len && vals[i].kind != SL_NULL)
                fmt_out_bytes(&o, raw[i].ptr, raw[i].len);
            else
                rc = enc_value(&o, &vals[i], base->cols[i].type, base->cols[i].name, err);
        }
        fmt_out_byte(&o, '}');
    }
    fmt_out_flush(&o);
    if (rc < 0) {
        out->len = mark;        /* nothing half-written stays */
        if (out->data)
            out->data[mark] = '\0';
    }
    return rc;
}

static int json_encode(sl_encoder *base, const sl_value *vals, sl_buf *out, sl_error *err)
{
    return encode_common(base, vals, NULL, out, err);
}

static int json_encode_raw(sl_encoder *base, const sl_value *vals, const sl_rawtext *raw,
                           sl_buf *out, sl_error *err)
{
    return encode_common(base, vals, raw, out, err);
}

int sl_json_encoder_init(sl_encoder *base, sl_error *err)
{
    jenc *e = sl_arena_zalloc(base->arena, sizeof *e);
    int n = base->ncols;
    e->unwrapped = sl_format_unwrapped(&base->opts, n);
    e->keys = sl_arena_zalloc(base->arena, sizeof *e->keys * (size_t)(n ? n : 1));
    e->keylens = sl_arena_zalloc(base->arena, sizeof *e->keylens * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        sl_buf b = SL_BUF_INIT;
        fmt_out o;
        fmt_out_init(&o, &b);
        fmt_out_byte(&o, i ? ',' : '{');
        out_json_string(&o, base->cols[i].name, strlen(base->cols[i].name));
        fmt_out_byte(&o, ':');
        fmt_out_flush(&o);
        e->keys[i] = sl_arena_strndup(base->arena, b.data, b.len);
        e->keylens[i] = b.len;
        sl_buf_fini(&b);
    }
    base->impl = e;
    base->encode = json_encode;
    base->encode_raw = json_encode_raw;
    return 0;
}
