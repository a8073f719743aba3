/*
 * fn_string.c: ksqlDB's string functions (category STRING).
 *
 * LCASE, UCASE, LEN, TRIM (and LTRIM, RTRIM), SUBSTRING, CONCAT, CONCAT_WS,
 * REPLACE, SPLIT, SPLIT_TO_MAP, LPAD, RPAD, MASK and its four variants,
 * INITCAP, INSTR, CHR, ENCODE, FROM_BYTES, TO_BYTES, MD5 and UUID.
 *
 * Positions and lengths count code points, not bytes (ksqlDB counts UTF-16
 * units; the two agree outside the astral planes). Input is assumed valid
 * UTF-8, but an invalid byte never makes anything read out of bounds: it is
 * taken as one character on its own. Results are allocated from the call's
 * arena. Case mapping and character classes use the C.UTF-8 locale through
 * the *_l functions, so the process locale is never touched.
 *
 * Not here: regular expressions (fn_regex.c), ELT and FIELD (collections),
 * JSON (fn_json.c), URL helpers (fn_url.c).
 */
#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <wctype.h>

#include "func.h"

/* Refuse to build strings beyond this many bytes: a row error, not an OOM. */
#define MAX_RESULT (64u * 1024u * 1024u)

/* ---------------------------------------------------------------- UTF-8 */

/* Decodes the code point at s[i] (i < n). Invalid or truncated sequences are
 * one U+FFFD of one byte. Returns the number of bytes consumed (>= 1). */
static size_t u8_dec(const char *str, size_t n, size_t i, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[i];
    if (c < 0x80) { *cp = c; return 1; }
    size_t need; uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { need = 2; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { need = 3; v = c & 0x07; min = 0x10000; }
    else { *cp = 0xFFFD; return 1; }
    if (n - i <= need) { *cp = 0xFFFD; return 1; }
    for (size_t k = 1; k <= need; k++) {
        unsigned cc = s[i + k];
        if ((cc & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        v = (v << 6) | (cc & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *cp = 0xFFFD; return 1; }
    *cp = v;
    return need + 1;
}

static size_t u8_enc(uint32_t cp, char *o)
{
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    if (cp > 0x10FFFF) { return u8_enc(0xFFFD, o); }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F)); return 4;
}

/* Number of code points (invalid bytes count one each). */
static size_t u8_count(const char *s, size_t n)
{
    size_t k = 0;
    uint32_t cp;
    for (size_t i = 0; i < n; i += u8_dec(s, n, i, &cp)) k++;
    return k;
}

/* Byte offset of code point number k (0-based), or n when k is past the end. */
static size_t u8_offset(const char *s, size_t n, size_t k)
{
    size_t i = 0;
    uint32_t cp;
    while (k > 0 && i < n) { i += u8_dec(s, n, i, &cp); k--; }
    return i;
}

/* ------------------------------------------------------- arena builder */

typedef struct sb {
    sl_arena *a;
    char *p;
    size_t len, cap;
    bool toolong;
} sb;

static void sb_init(sb *b, sl_arena *a, size_t cap)
{
    b->a = a;
    b->cap = cap < 16 ? 16 : cap;
    if (b->cap > MAX_RESULT) b->cap = MAX_RESULT;
    b->p = sl_arena_alloc(a, b->cap);
    b->len = 0;
    b->toolong = false;
}

static void sb_put(sb *b, const char *s, size_t n)
{
    if (b->toolong) return;
    if (n > MAX_RESULT - b->len) { b->toolong = true; return; }
    if (b->len + n > b->cap) {
        size_t nc = b->cap * 2;
        while (nc < b->len + n) nc *= 2;
        if (nc > MAX_RESULT) nc = MAX_RESULT;
        b->p = sl_arena_realloc(b->a, b->p, b->cap, nc);
        b->cap = nc;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void sb_putc(sb *b, char c) { sb_put(b, &c, 1); }

static void sb_cp(sb *b, uint32_t cp)
{
    char o[4];
    sb_put(b, o, u8_enc(cp, o));
}

/* Finishes as a STRING (or BYTES) value; a row error when it grew too large. */
static int sb_finish(sl_fcall *c, sb *b, sl_kind kind, sl_value *out)
{
    if (b->toolong) return sl_fn_error(c, "result exceeds %u bytes", MAX_RESULT);
    sl_value v = {0};
    v.kind = (uint8_t)kind;
    v.u.s.ptr = b->p;
    v.u.s.len = (uint32_t)b->len;
    *out = v;
    return 0;
}

static sl_value str_val(const char *p, size_t n)
{
    return sl_string_ref(p, (uint32_t)n);
}

static sl_value bytes_val(const char *p, size_t n)
{
    sl_value v = {0};
    v.kind = SL_BYTES;
    v.u.s.ptr = p;
    v.u.s.len = (uint32_t)n;
    return v;
}

#define S(v) ((v).u.s.ptr)
#define N(v) ((size_t)(v).u.s.len)

/* ------------------------------------------------ locale for case maps */

static locale_t g_loc;
static pthread_once_t g_loc_once = PTHREAD_ONCE_INIT;

static void loc_init(void)
{
    g_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (!g_loc) g_loc = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
}

static locale_t uloc(void)
{
    pthread_once(&g_loc_once, loc_init);
    return g_loc;
}

static uint32_t cp_lower(uint32_t cp)
{
    locale_t l = uloc();
    if (!l) return (cp < 0x80) ? (uint32_t)tolower((int)cp) : cp;
    return (uint32_t)towlower_l((wint_t)cp, l);
}

static uint32_t cp_upper(uint32_t cp)
{
    locale_t l = uloc();
    if (!l) return (cp < 0x80) ? (uint32_t)toupper((int)cp) : cp;
    return (uint32_t)towupper_l((wint_t)cp, l);
}

static bool cp_is_upper(uint32_t cp)
{
    locale_t l = uloc();
    if (!l) return cp >= 'A' && cp <= 'Z';
    return iswupper_l((wint_t)cp, l) != 0;
}

static bool cp_is_lower(uint32_t cp)
{
    locale_t l = uloc();
    if (!l) return cp >= 'a' && cp <= 'z';
    return iswlower_l((wint_t)cp, l) != 0;
}

static bool cp_is_digit(uint32_t cp) { return cp >= '0' && cp <= '9'; }

/* Java's \s: space, \t, \n, \x0B, \f, \r. */
static bool cp_is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
}

/* ------------------------------------------------------ LCASE / UCASE */

static int map_case(sl_fcall *c, const sl_value *in, bool upper, sl_value *out)
{
    const char *s = S(*in);
    size_t n = N(*in);
    sb b;
    sb_init(&b, c->arena, n + 4);
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        i += u8_dec(s, n, i, &cp);
        sb_cp(&b, upper ? cp_upper(cp) : cp_lower(cp));
    }
    return sb_finish(c, &b, SL_STRING, out);
}

static int fn_lcase(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return map_case(c, &a[0], false, out);
}

static int fn_ucase(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return map_case(c, &a[0], true, out);
}

/* ---------------------------------------------------------------- LEN */

static int fn_len_str(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    *out = sl_int((int32_t)u8_count(S(a[0]), N(a[0])));
    return 0;
}

static int fn_len_bytes(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    *out = sl_int((int32_t)N(a[0]));
    return 0;
}

/* --------------------------------------------------------------- TRIM */

/* Java's String.trim(): strips every character <= U+0020 from both ends. */
static void trim_span(const char *s, size_t n, bool left, bool right, size_t *b, size_t *e)
{
    size_t i = 0, j = n;
    if (left) while (i < j && (unsigned char)s[i] <= 0x20) i++;
    if (right) while (j > i && (unsigned char)s[j - 1] <= 0x20) j--;
    *b = i;
    *e = j;
}

static int do_trim(const sl_value *a, bool l, bool r, sl_value *out)
{
    size_t b, e;
    trim_span(S(a[0]), N(a[0]), l, r, &b, &e);
    *out = str_val(S(a[0]) + b, e - b);
    return 0;
}

static int fn_trim(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return do_trim(a, true, true, out);
}

static int fn_ltrim(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return do_trim(a, true, false, out);
}

static int fn_rtrim(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return do_trim(a, false, true, out);
}

/* ---------------------------------------------------------- SUBSTRING */

/* ksqlDB: a negative pos counts from the end; 0 and 1 both mean the start;
 * a start past the end gives ''. Works on indexes of `total` units. */
static void substr_range(int64_t total, int64_t pos, bool has_len, int64_t len,
                         int64_t *start, int64_t *end)
{
    int64_t s;
    if (pos < 0) s = total + pos < 0 ? 0 : total + pos;
    else s = pos - 1 < total ? pos - 1 : total;
    if (s < 0) s = 0;
    int64_t e = total;
    if (has_len) {
        e = s + len;
        if (e > total) e = total;
        if (e < s) e = s;
    }
    *start = s;
    *end = e;
}

static int fn_substr_str(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    const char *s = S(a[0]);
    size_t n = N(a[0]);
    int64_t total = (int64_t)u8_count(s, n), st, en;
    substr_range(total, a[1].u.i32, na > 2, na > 2 ? a[2].u.i32 : 0, &st, &en);
    size_t bs = u8_offset(s, n, (size_t)st);
    size_t be = bs + u8_offset(s + bs, n - bs, (size_t)(en - st));
    *out = str_val(s + bs, be - bs);
    return 0;
}

static int fn_substr_bytes(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    int64_t st, en;
    substr_range((int64_t)N(a[0]), a[1].u.i32, na > 2, na > 2 ? a[2].u.i32 : 0, &st, &en);
    *out = bytes_val(S(a[0]) + st, (size_t)(en - st));
    return 0;
}

/* ------------------------------------------------- CONCAT / CONCAT_WS */

static int concat_impl(sl_fcall *c, const sl_value *a, int na, sl_kind kind, sl_value *out)
{
    size_t total = 0;
    for (int i = 0; i < na; i++)
        if (!sl_is_null(&a[i])) total += N(a[i]);
    sb b;
    sb_init(&b, c->arena, total);
    for (int i = 0; i < na; i++)
        if (!sl_is_null(&a[i])) sb_put(&b, S(a[i]), N(a[i]));
    return sb_finish(c, &b, kind, out);
}

static int fn_concat_str(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return concat_impl(c, a, na, SL_STRING, out);
}

static int fn_concat_bytes(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return concat_impl(c, a, na, SL_BYTES, out);
}

static int concat_ws_impl(sl_fcall *c, const sl_value *a, int na, sl_kind kind, sl_value *out)
{
    if (sl_is_null(&a[0])) { *out = sl_null(); return 0; }
    sb b;
    sb_init(&b, c->arena, 32);
    bool first = true;
    for (int i = 1; i < na; i++) {
        if (sl_is_null(&a[i])) continue;
        if (!first) sb_put(&b, S(a[0]), N(a[0]));
        sb_put(&b, S(a[i]), N(a[i]));
        first = false;
    }
    return sb_finish(c, &b, kind, out);
}

static int fn_concat_ws_str(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return concat_ws_impl(c, a, na, SL_STRING, out);
}

static int fn_concat_ws_bytes(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return concat_ws_impl(c, a, na, SL_BYTES, out);
}

/* ------------------------------------------------------------ REPLACE */

static int fn_replace(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    const char *s = S(a[0]), *old = S(a[1]), *rep = S(a[2]);
    size_t n = N(a[0]), on = N(a[1]), rn = N(a[2]);
    sb b;
    sb_init(&b, c->arena, n + 16);
    if (on == 0) {
        /* Java: the replacement goes before every character and at the end. */
        uint32_t cp;
        for (size_t i = 0; i < n;) {
            size_t k = u8_dec(s, n, i, &cp);
            sb_put(&b, rep, rn);
            sb_put(&b, s + i, k);
            i += k;
        }
        sb_put(&b, rep, rn);
        return sb_finish(c, &b, SL_STRING, out);
    }
    size_t i = 0;
    while (i < n) {
        const char *hit = on <= n - i ? memmem(s + i, n - i, old, on) : NULL;
        if (!hit) break;
        size_t at = (size_t)(hit - s);
        sb_put(&b, s + i, at - i);
        sb_put(&b, rep, rn);
        i = at + on;
    }
    sb_put(&b, s + i, n - i);
    return sb_finish(c, &b, SL_STRING, out);
}

/* -------------------------------------------------------------- SPLIT */

static sl_value arr_of(sl_value *items, uint32_t n)
{
    sl_value v = {0};
    v.kind = SL_ARRAY;
    v.u.arr.items = items;
    v.u.arr.n = n;
    return v;
}

static int split_impl(sl_fcall *c, const sl_value *a, bool bytes, sl_value *out)
{
    const char *s = S(a[0]), *d = S(a[1]);
    size_t n = N(a[0]), dn = N(a[1]);
    sl_kind k = bytes ? SL_BYTES : SL_STRING;
    if (n == 0) {
        sl_value *it = sl_arena_alloc(c->arena, sizeof *it);
        it[0] = bytes ? bytes_val(s, 0) : str_val(s, 0);
        *out = arr_of(it, 1);
        return 0;
    }
    if (dn == 0) {
        /* every character (string) or byte (bytes) on its own */
        size_t cnt = bytes ? n : u8_count(s, n);
        sl_value *it = sl_arena_alloc(c->arena, cnt * sizeof *it);
        uint32_t cp;
        size_t i = 0;
        for (size_t j = 0; j < cnt; j++) {
            size_t len = bytes ? 1 : u8_dec(s, n, i, &cp);
            sl_value v = {0};
            v.kind = (uint8_t)k;
            v.u.s.ptr = s + i;
            v.u.s.len = (uint32_t)len;
            it[j] = v;
            i += len;
        }
        *out = arr_of(it, (uint32_t)cnt);
        return 0;
    }
    size_t cnt = 1;
    for (size_t i = 0; i + dn <= n;) {
        const char *h = memmem(s + i, n - i, d, dn);
        if (!h) break;
        cnt++;
        i = (size_t)(h - s) + dn;
    }
    sl_value *it = sl_arena_alloc(c->arena, cnt * sizeof *it);
    size_t i = 0, j = 0;
    for (;;) {
        const char *h = (i + dn <= n) ? memmem(s + i, n - i, d, dn) : NULL;
        size_t e = h ? (size_t)(h - s) : n;
        sl_value v = {0};
        v.kind = (uint8_t)k;
        v.u.s.ptr = s + i;
        v.u.s.len = (uint32_t)(e - i);
        it[j++] = v;
        if (!h) break;
        i = e + dn;
    }
    *out = arr_of(it, (uint32_t)j);
    return 0;
}

static int fn_split_str(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return split_impl(c, a, false, out);
}

static int fn_split_bytes(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return split_impl(c, a, true, out);
}

/* ------------------------------------------------------- SPLIT_TO_MAP */

static int fn_split_to_map(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    const char *s = S(a[0]), *ed = S(a[1]), *kd = S(a[2]);
    size_t n = N(a[0]), en = N(a[1]), kn = N(a[2]);
    if (en == 0 || kn == 0 || (en == kn && memcmp(ed, kd, en) == 0)) {
        *out = sl_null();
        return 0;
    }
    size_t cap = 1;
    for (size_t i = 0; i + en <= n;) {
        const char *h = memmem(s + i, n - i, ed, en);
        if (!h) break;
        cap++;
        i = (size_t)(h - s) + en;
    }
    sl_value *keys = sl_arena_alloc(c->arena, cap * sizeof *keys);
    sl_value *vals = sl_arena_alloc(c->arena, cap * sizeof *vals);
    uint32_t cnt = 0;
    size_t i = 0;
    for (;;) {
        const char *h = (i + en <= n) ? memmem(s + i, n - i, ed, en) : NULL;
        size_t e = h ? (size_t)(h - s) : n;
        const char *ent = s + i;
        size_t entn = e - i;
        const char *kv = entn >= kn ? memmem(ent, entn, kd, kn) : NULL;
        if (entn > 0 && kv) {
            size_t klen = (size_t)(kv - ent);
            const char *v = kv + kn;
            const char *vend = ent + entn;
            /* the value ends at a second kv delimiter, as Guava's splitter does */
            const char *kv2 = (size_t)(vend - v) >= kn ? memmem(v, (size_t)(vend - v), kd, kn) : NULL;
            if (kv2) vend = kv2;
            uint32_t at = cnt;
            for (uint32_t q = 0; q < cnt; q++) {
                if (N(keys[q]) == klen && memcmp(S(keys[q]), ent, klen) == 0) { at = q; break; }
            }
            keys[at] = str_val(ent, klen);
            vals[at] = str_val(v, (size_t)(vend - v));
            if (at == cnt) cnt++;
        }
        if (!h) break;
        i = e + en;
    }
    sl_value m = {0};
    m.kind = SL_MAP;
    m.u.map.keys = keys;
    m.u.map.vals = vals;
    m.u.map.n = cnt;
    *out = m;
    return 0;
}

/* -------------------------------------------------------- LPAD / RPAD */

static int pad_impl(sl_fcall *c, const sl_value *a, bool left, bool bytes, sl_value *out)
{
    const char *s = S(a[0]), *p = S(a[2]);
    size_t n = N(a[0]), pn = N(a[2]);
    int32_t target = a[1].u.i32;
    if (pn == 0 || target < 0) { *out = sl_null(); return 0; }
    if ((uint64_t)target * (bytes ? 1u : 4u) > MAX_RESULT)
        return sl_fn_error(c, "%s: target length %d is too large", left ? "LPAD" : "RPAD", target);
    size_t len = bytes ? n : u8_count(s, n);
    size_t plen = bytes ? pn : u8_count(p, pn);
    sb b;
    sb_init(&b, c->arena, (size_t)target + 4);
    size_t want = (size_t)target;
    size_t padn = want > len ? want - len : 0;
    if (!left) {
        size_t keep = len < want ? len : want;
        sb_put(&b, s, bytes ? keep : u8_offset(s, n, keep));
    }
    /* padding: whole copies, then the first characters of one more */
    size_t done = 0;
    while (done < padn) {
        size_t take = padn - done < plen ? padn - done : plen;
        sb_put(&b, p, bytes ? take : u8_offset(p, pn, take));
        done += take;
    }
    if (left) {
        size_t keep = want - padn < len ? want - padn : len;
        sb_put(&b, s, bytes ? keep : u8_offset(s, n, keep));
    }
    return sb_finish(c, &b, bytes ? SL_BYTES : SL_STRING, out);
}

static int fn_lpad_str(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return pad_impl(c, a, true, false, out);
}

static int fn_rpad_str(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return pad_impl(c, a, false, false, out);
}

static int fn_lpad_bytes(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return pad_impl(c, a, true, true, out);
}

static int fn_rpad_bytes(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return pad_impl(c, a, false, true, out);
}

/* --------------------------------------------------------------- MASK */

#define NO_MASK UINT32_MAX

typedef struct masker { uint32_t upper, lower, digit, other; } masker;

/* A mask argument: NULL keeps that class unmasked; otherwise exactly one character. */
static int mask_char(sl_fcall *c, const sl_value *v, uint32_t *out)
{
    if (sl_is_null(v)) { *out = NO_MASK; return 0; }
    uint32_t cp;
    if (N(*v) == 0 || u8_dec(S(*v), N(*v), 0, &cp) != N(*v))
        return sl_fn_error(c, "Invalid mask character. Must be only single character, but was '%.*s'",
                           (int)(N(*v) > 64 ? 64 : N(*v)), S(*v));
    *out = cp;
    return 0;
}

static int masker_from(sl_fcall *c, const sl_value *a, int first, int na, masker *m)
{
    m->upper = 'X'; m->lower = 'x'; m->digit = 'n'; m->other = '-';
    if (na < first + 4) return 0;
    if (mask_char(c, &a[first], &m->upper) || mask_char(c, &a[first + 1], &m->lower) ||
        mask_char(c, &a[first + 2], &m->digit) || mask_char(c, &a[first + 3], &m->other))
        return -1;
    return 0;
}

static uint32_t mask_one(const masker *m, uint32_t cp)
{
    uint32_t r;
    if (cp_is_upper(cp)) r = m->upper;
    else if (cp_is_lower(cp)) r = m->lower;
    else if (cp_is_digit(cp)) r = m->digit;
    else r = m->other;
    return r == NO_MASK ? cp : r;
}

/* Masks the characters with index in [from, to) and copies the others. */
static int mask_range(sl_fcall *c, const sl_value *in, const masker *m, size_t from, size_t to,
                      sl_value *out)
{
    const char *s = S(*in);
    size_t n = N(*in);
    sb b;
    sb_init(&b, c->arena, n + 4);
    uint32_t cp;
    size_t idx = 0;
    for (size_t i = 0; i < n; idx++) {
        size_t k = u8_dec(s, n, i, &cp);
        if (idx >= from && idx < to) sb_cp(&b, mask_one(m, cp));
        else sb_put(&b, s + i, k);
        i += k;
    }
    return sb_finish(c, &b, SL_STRING, out);
}

static int fn_mask(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    if (sl_is_null(&a[0])) { *out = sl_null(); return 0; }
    masker m;
    if (masker_from(c, a, 1, na, &m)) return -1;
    return mask_range(c, &a[0], &m, 0, SIZE_MAX, out);
}

enum { MK_KEEP_LEFT, MK_KEEP_RIGHT, MK_LEFT, MK_RIGHT };

static int mask_n(sl_fcall *c, const sl_value *a, int na, int mode, sl_value *out)
{
    static const char *const names[] = {"mask_keep_left", "mask_keep_right", "mask_left",
                                        "mask_right"};
    if (sl_is_null(&a[1])) { *out = sl_null(); return 0; }
    int32_t k = a[1].u.i32;
    if (k < 0)
        return sl_fn_error(c, "function %s requires a non-negative number of characters to mask or skip",
                           names[mode]);
    masker m;
    if (masker_from(c, a, 2, na, &m)) return -1;
    if (sl_is_null(&a[0])) { *out = sl_null(); return 0; }
    size_t len = u8_count(S(a[0]), N(a[0]));
    size_t kk = (size_t)k < len ? (size_t)k : len;
    switch (mode) {
    case MK_KEEP_LEFT: return mask_range(c, &a[0], &m, kk, len, out);
    case MK_KEEP_RIGHT: return mask_range(c, &a[0], &m, 0, len - kk, out);
    case MK_LEFT: return mask_range(c, &a[0], &m, 0, kk, out);
    default: return mask_range(c, &a[0], &m, len - kk, len, out);
    }
}

static int fn_mask_keep_left(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return mask_n(c, a, na, MK_KEEP_LEFT, out);
}

static int fn_mask_keep_right(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return mask_n(c, a, na, MK_KEEP_RIGHT, out);
}

static int fn_mask_left(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return mask_n(c, a, na, MK_LEFT, out);
}

static int fn_mask_right(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return mask_n(c, a, na, MK_RIGHT, out);
}

/* ------------------------------------------------------------ INITCAP */

/* ksqlDB lower-cases everything, then upper-cases the first character of every
 * run of non-whitespace; whitespace before the first word is dropped. */
static int fn_initcap(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    const char *s = S(a[0]);
    size_t n = N(a[0]);
    sb b;
    sb_init(&b, c->arena, n + 4);
    uint32_t cp;
    bool started = false, word_start = true;
    for (size_t i = 0; i < n;) {
        i += u8_dec(s, n, i, &cp);
        if (cp_is_space(cp)) {
            if (started) sb_cp(&b, cp);
            word_start = true;
            continue;
        }
        started = true;
        sb_cp(&b, word_start ? cp_upper(cp_lower(cp)) : cp_lower(cp));
        word_start = false;
    }
    return sb_finish(c, &b, SL_STRING, out);
}

/* -------------------------------------------------------------- INSTR */

/* Code-point index of the occ-th (overlapping) occurrence of sub in cps[from..], or -1. */
static int64_t nth_index(const uint32_t *h, size_t hn, const uint32_t *nd, size_t nn, size_t from,
                         int64_t occ)
{
    if (occ <= 0) return -1;
    int64_t found = 0;
    for (size_t i = from; i + nn <= hn; i++) {
        if (nn == 0 || (h[i] == nd[0] && memcmp(h + i, nd, nn * sizeof *nd) == 0)) {
            if (++found == occ) return (int64_t)i;
        }
    }
    return -1;
}

static uint32_t *to_cps(sl_arena *a, const char *s, size_t n, size_t *cnt, bool reverse)
{
    size_t k = u8_count(s, n);
    uint32_t *v = sl_arena_alloc(a, (k ? k : 1) * sizeof *v);
    uint32_t cp;
    size_t j = 0;
    for (size_t i = 0; i < n; j++) {
        i += u8_dec(s, n, i, &cp);
        v[reverse ? k - 1 - j : j] = cp;
    }
    *cnt = k;
    return v;
}

static int fn_instr(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    if (sl_is_null(&a[0]) || sl_is_null(&a[1])) { *out = sl_int(0); return 0; }
    if ((na > 2 && sl_is_null(&a[2])) || (na > 3 && sl_is_null(&a[3]))) {
        *out = sl_null();
        return 0;
    }
    int64_t pos = na > 2 ? a[2].u.i32 : 1;
    int64_t occ = na > 3 ? a[3].u.i32 : 1;
    size_t hn, nn;
    bool rev = pos < 0;
    uint32_t *h = to_cps(c->arena, S(a[0]), N(a[0]), &hn, rev);
    uint32_t *nd = to_cps(c->arena, S(a[1]), N(a[1]), &nn, rev);
    int64_t p = rev ? -pos : pos;
    if (pos == 0 || p > (int64_t)hn) { *out = sl_int(0); return 0; }
    int64_t i = nth_index(h, hn, nd, nn, (size_t)(p - 1), occ);
    if (i < 0) { *out = sl_int(0); return 0; }
    /* reversed: map the start of the match in the reversed text back */
    int64_t r = rev ? (int64_t)hn - (i + (int64_t)nn) + 1 : i + 1;
    *out = sl_int((int32_t)r);
    return 0;
}

/* ---------------------------------------------------------------- CHR */

static int fn_chr_int(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    int32_t cp = a[0].u.i32;
    if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { *out = sl_null(); return 0; }
    char *o = sl_arena_alloc(c->arena, 4);
    *out = str_val(o, u8_enc((uint32_t)cp, o));
    return 0;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* CHR('\u004b'): the text is unescaped Java-style; it must begin with \u and
 * hold at least six characters, else NULL. Surrogate pairs combine. */
static int fn_chr_str(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    const char *s = S(a[0]);
    size_t n = N(a[0]);
    if (n < 6 || s[0] != '\\' || s[1] != 'u') { *out = sl_null(); return 0; }
    sb b;
    sb_init(&b, c->arena, n);
    uint32_t hi = 0;    /* pending high surrogate */
    for (size_t i = 0; i < n;) {
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == 'u') {
            size_t j = i + 1;
            while (j < n && s[j] == 'u') j++;
            if (n - j < 4) return sl_fn_error(c, "Less than 4 hex digits in unicode value");
            uint32_t v = 0;
            for (int k = 0; k < 4; k++) {
                int h = hexval((unsigned char)s[j + k]);
                if (h < 0) return sl_fn_error(c, "Unable to parse unicode value: %.*s", 4, s + j);
                v = v * 16 + (uint32_t)h;
            }
            i = j + 4;
            if (v >= 0xD800 && v <= 0xDBFF) {
                if (hi) sb_cp(&b, 0xFFFD);
                hi = v;
                continue;
            }
            if (v >= 0xDC00 && v <= 0xDFFF) {
                if (hi) { sb_cp(&b, 0x10000 + ((hi - 0xD800) << 10) + (v - 0xDC00)); hi = 0; }
                else sb_cp(&b, 0xFFFD);
                continue;
            }
            if (hi) { sb_cp(&b, 0xFFFD); hi = 0; }
            sb_cp(&b, v);
            continue;
        }
        if (hi) { sb_cp(&b, 0xFFFD); hi = 0; }
        if (s[i] == '\\' && i + 1 < n) {
            char e = s[i + 1], r;
            switch (e) {
            case 'n': r = '\n'; break;
            case 't': r = '\t'; break;
            case 'r': r = '\r'; break;
            case 'b': r = '\b'; break;
            case 'f': r = '\f'; break;
            default: r = e; break;
            }
            sb_putc(&b, r);
            i += 2;
            continue;
        }
        uint32_t cp;
        size_t k = u8_dec(s, n, i, &cp);
        sb_put(&b, s + i, k);
        i += k;
    }
    if (hi) sb_cp(&b, 0xFFFD);
    return sb_finish(c, &b, SL_STRING, out);
}

/* ----------------------------------------------- encodings (bytes <-> text) */

typedef enum enc { ENC_HEX, ENC_UTF8, ENC_ASCII, ENC_BASE64, ENC_BAD } enc;

static enc enc_parse(const sl_value *v)
{
    static const char *const names[] = {"hex", "utf8", "ascii", "base64"};
    for (int i = 0; i < 4; i++)
        if (N(*v) == strlen(names[i]) && strncasecmp(S(*v), names[i], N(*v)) == 0) return (enc)i;
    return ENC_BAD;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 with padding; mime: CRLF after every 76 output characters (Java's MIME encoder). */
static void b64_encode(sb *b, const unsigned char *p, size_t n, bool mime)
{
    size_t col = 0;
    for (size_t i = 0; i < n; i += 3) {
        if (mime && col == 76) { sb_put(b, "\r\n", 2); col = 0; }
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        char q[4] = {B64[(v >> 18) & 63], B64[(v >> 12) & 63],
                     i + 1 < n ? B64[(v >> 6) & 63] : '=', i + 2 < n ? B64[v & 63] : '='};
        sb_put(b, q, 4);
        col += 4;
    }
}

static int b64_val(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
}

/* Lenient: characters outside the alphabet are skipped, decoding stops at '='. */
static void b64_decode(sb *b, const char *s, size_t n)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=') break;
        int v = b64_val((unsigned char)s[i]);
        if (v < 0) continue;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            sb_putc(b, (char)((acc >> bits) & 0xFF));
        }
    }
}

static void hex_encode(sb *b, const unsigned char *p, size_t n, bool upper)
{
    const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char q[2] = {d[p[i] >> 4], d[p[i] & 15]};
        sb_put(b, q, 2);
    }
}

static int hex_decode(sl_fcall *c, sb *b, const char *s, size_t n)
{
    if (n % 2) return sl_fn_error(c, "Odd number of characters in hex string");
    for (size_t i = 0; i < n; i += 2) {
        int h = hexval((unsigned char)s[i]), l = hexval((unsigned char)s[i + 1]);
        if (h < 0 || l < 0)
            return sl_fn_error(c, "Illegal hexadecimal character '%c' at index %zu",
                               h < 0 ? s[i] : s[i + 1], h < 0 ? i : i + 1);
        sb_putc(b, (char)(h * 16 + l));
    }
    return 0;
}

/* Bytes as text: invalid UTF-8 (or, for ascii, any byte >= 0x80) becomes U+FFFD. */
static void bytes_as_text(sb *b, const char *p, size_t n, bool ascii)
{
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        size_t k = u8_dec(p, n, i, &cp);
        if (ascii && (unsigned char)p[i] >= 0x80) { sb_cp(b, 0xFFFD); i += 1; continue; }
        if (cp == 0xFFFD && k == 1) sb_cp(b, 0xFFFD);
        else sb_put(b, p + i, k);
        i += k;
    }
}

/* Text as ASCII bytes: every non-ASCII character becomes '?'. */
static void text_as_ascii(sb *b, const char *s, size_t n)
{
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        size_t k = u8_dec(s, n, i, &cp);
        sb_putc(b, cp < 0x80 ? (char)cp : '?');
        i += k;
    }
}

static int fn_encode(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    enc in = enc_parse(&a[1]), to = enc_parse(&a[2]);
    if (in == ENC_BAD || to == ENC_BAD || in == to)
        return sl_fn_error(c, "Supported input and output encodings are: hex, utf8, ascii and base64");
    const char *s = S(a[0]);
    size_t n = N(a[0]);
    sb raw;
    sb_init(&raw, c->arena, n + 4);
    switch (in) {
    case ENC_HEX: {
        /* 0xAB.. (an odd digit count gets a leading 0) and X'AB..' are accepted */
        const char *h = s;
        size_t hn = n;
        if (n >= 2 && s[0] == '0' && s[1] == 'x') {
            h = s + 2; hn = n - 2;
            if (hn % 2) { sb tmp; sb_init(&tmp, c->arena, hn + 1); sb_putc(&tmp, '0');
                          sb_put(&tmp, h, hn); h = tmp.p; hn = tmp.len; }
        } else if (n >= 3 && (s[0] == 'x' || s[0] == 'X') && s[1] == '\'' && s[n - 1] == '\'') {
            h = s + 2; hn = n - 3;
        }
        if (hex_decode(c, &raw, h, hn)) return -1;
        break;
    }
    case ENC_UTF8: sb_put(&raw, s, n); break;
    case ENC_ASCII: text_as_ascii(&raw, s, n); break;
    case ENC_BASE64: b64_decode(&raw, s, n); break;
    default: break;
    }
    sb res;
    sb_init(&res, c->arena, raw.len * 2 + 4);
    switch (to) {
    case ENC_HEX: hex_encode(&res, (const unsigned char *)raw.p, raw.len, false); break;
    case ENC_UTF8: bytes_as_text(&res, raw.p, raw.len, false); break;
    case ENC_ASCII: bytes_as_text(&res, raw.p, raw.len, true); break;
    case ENC_BASE64: b64_encode(&res, (const unsigned char *)raw.p, raw.len, false); break;
    default: break;
    }
    if (raw.toolong) res.toolong = true;
    return sb_finish(c, &res, SL_STRING, out);
}

static int bad_encoding(sl_fcall *c, const sl_value *v)
{
    return sl_fn_error(c, "Unknown encoding type '%.*s'. Supported formats are 'hex', 'utf8', "
                          "'ascii', and 'base64'.", (int)(N(*v) > 64 ? 64 : N(*v)), S(*v));
}

static int fn_from_bytes(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    enc e = enc_parse(&a[1]);
    if (e == ENC_BAD) return bad_encoding(c, &a[1]);
    const unsigned char *p = (const unsigned char *)S(a[0]);
    size_t n = N(a[0]);
    sb b;
    sb_init(&b, c->arena, n * 2 + 4);
    switch (e) {
    case ENC_HEX: hex_encode(&b, p, n, true); break;
    case ENC_UTF8: bytes_as_text(&b, (const char *)p, n, false); break;
    case ENC_ASCII: bytes_as_text(&b, (const char *)p, n, true); break;
    default: b64_encode(&b, p, n, true); break;
    }
    return sb_finish(c, &b, SL_STRING, out);
}

static int fn_to_bytes(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    enc e = enc_parse(&a[1]);
    if (e == ENC_BAD) return bad_encoding(c, &a[1]);
    const char *s = S(a[0]);
    size_t n = N(a[0]);
    sb b;
    sb_init(&b, c->arena, n + 4);
    switch (e) {
    case ENC_HEX: if (hex_decode(c, &b, s, n)) return -1; break;
    case ENC_UTF8: sb_put(&b, s, n); break;
    case ENC_ASCII: text_as_ascii(&b, s, n); break;
    default: b64_decode(&b, s, n); break;
    }
    return sb_finish(c, &b, SL_BYTES, out);
}

/* ---------------------------------------------------------------- MD5 */

/* MD5 as specified in RFC 1321: per-round shift amounts and the sine table. */
static const uint32_t MD5_K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
static const uint8_t MD5_R[64] = {
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static uint32_t rotl32(uint32_t x, unsigned r) { return (x << r) | (x >> (32 - r)); }

static void md5_block(uint32_t h[4], const unsigned char *blk)
{
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)blk[i * 4] | (uint32_t)blk[i * 4 + 1] << 8 |
               (uint32_t)blk[i * 4 + 2] << 16 | (uint32_t)blk[i * 4 + 3] << 24;
    uint32_t A = h[0], B = h[1], C = h[2], D = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) { f = (B & C) | (~B & D); g = i; }
        else if (i < 32) { f = (D & B) | (~D & C); g = (5 * i + 1) % 16; }
        else if (i < 48) { f = B ^ C ^ D; g = (3 * i + 5) % 16; }
        else { f = C ^ (B | ~D); g = (7 * i) % 16; }
        uint32_t t = D;
        D = C;
        C = B;
        B = B + rotl32(A + f + MD5_K[i] + m[g], MD5_R[i]);
        A = t;
    }
    h[0] += A; h[1] += B; h[2] += C; h[3] += D;
}

static void md5(const unsigned char *p, size_t n, unsigned char digest[16])
{
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    size_t i = 0;
    for (; i + 64 <= n; i += 64) md5_block(h, p + i);
    unsigned char tail[128] = {0};
    size_t rem = n - i;
    memcpy(tail, p + i, rem);
    tail[rem] = 0x80;
    size_t tl = rem + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int k = 0; k < 8; k++) tail[tl - 8 + k] = (unsigned char)(bits >> (8 * k));
    md5_block(h, tail);
    if (tl == 128) md5_block(h, tail + 64);
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++) digest[k * 4 + j] = (unsigned char)(h[k] >> (8 * j));
}

static int fn_md5(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    unsigned char d[16];
    md5((const unsigned char *)S(a[0]), N(a[0]), d);
    sb b;
    sb_init(&b, c->arena, 32);
    hex_encode(&b, d, 16, false);
    return sb_finish(c, &b, SL_STRING, out);
}

/* --------------------------------------------------------------- UUID */

static sl_value uuid_text(sl_arena *a, const unsigned char u[16])
{
    static const char d[] = "0123456789abcdef";
    char *o = sl_arena_alloc(a, 36);
    size_t j = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) o[j++] = '-';
        o[j++] = d[u[i] >> 4];
        o[j++] = d[u[i] & 15];
    }
    return str_val(o, 36);
}

static int fn_uuid(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    unsigned char u[16];
    size_t got = 0;
    while (got < sizeof u) {
        ssize_t r = getrandom(u + got, sizeof u - got, 0);
        if (r < 0) return sl_fn_error(c, "UUID: no random bytes available");
        got += (size_t)r;
    }
    u[6] = (unsigned char)((u[6] & 0x0F) | 0x40);   /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);   /* RFC 4122 variant */
    *out = uuid_text(c->arena, u);
    return 0;
}

static int fn_uuid_bytes(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    if (N(a[0]) != 16) { *out = sl_null(); return 0; }
    *out = uuid_text(c->arena, (const unsigned char *)S(a[0]));
    return 0;
}

/* ------------------------------------------------------------ registry */

#define NN SL_FNF_NULL_ON_NULL
#define OV(sig, fn, fl) {sig, fn, fl, NULL, NULL, NULL, NULL}
#define FN(name, desc, ovs) {name, SL_FN_SCALAR, "STRING", desc, ovs, (int)(sizeof ovs / sizeof ovs[0])}

static const sl_overload ov_lcase[] = {OV("input STRING -> STRING", fn_lcase, NN)};
static const sl_overload ov_ucase[] = {OV("input STRING -> STRING", fn_ucase, NN)};
static const sl_overload ov_len[] = {
    OV("input STRING -> INT", fn_len_str, NN),
    OV("input BYTES -> INT", fn_len_bytes, NN),
};
static const sl_overload ov_trim[] = {OV("input STRING -> STRING", fn_trim, NN)};
static const sl_overload ov_ltrim[] = {OV("input STRING -> STRING", fn_ltrim, NN)};
static const sl_overload ov_rtrim[] = {OV("input STRING -> STRING", fn_rtrim, NN)};
static const sl_overload ov_substring[] = {
    OV("str STRING, pos INT -> STRING", fn_substr_str, NN),
    OV("str STRING, pos INT, len INT -> STRING", fn_substr_str, NN),
    OV("bytes BYTES, pos INT -> BYTES", fn_substr_bytes, NN),
    OV("bytes BYTES, pos INT, len INT -> BYTES", fn_substr_bytes, NN),
};
static const sl_overload ov_concat[] = {
    OV("STRING, STRING... -> STRING", fn_concat_str, 0),
    OV("BYTES, BYTES... -> BYTES", fn_concat_bytes, 0),
};
static const sl_overload ov_concat_ws[] = {
    OV("STRING, STRING, STRING... -> STRING", fn_concat_ws_str, 0),
    OV("BYTES, BYTES, BYTES... -> BYTES", fn_concat_ws_bytes, 0),
};
static const sl_overload ov_replace[] = {
    OV("input STRING, old STRING, new STRING -> STRING", fn_replace, NN),
};
static const sl_overload ov_split[] = {
    OV("input STRING, delimiter STRING -> ARRAY<STRING>", fn_split_str, NN),
    OV("input BYTES, delimiter BYTES -> ARRAY<BYTES>", fn_split_bytes, NN),
};
static const sl_overload ov_split_to_map[] = {
    OV("input STRING, entryDelimiter STRING, kvDelimiter STRING -> MAP<STRING, STRING>",
       fn_split_to_map, NN),
};
static const sl_overload ov_lpad[] = {
    OV("input STRING, length INT, padding STRING -> STRING", fn_lpad_str, NN),
    OV("input BYTES, length INT, padding BYTES -> BYTES", fn_lpad_bytes, NN),
};
static const sl_overload ov_rpad[] = {
    OV("input STRING, length INT, padding STRING -> STRING", fn_rpad_str, NN),
    OV("input BYTES, length INT, padding BYTES -> BYTES", fn_rpad_bytes, NN),
};
static const sl_overload ov_mask[] = {
    OV("input STRING -> STRING", fn_mask, NN),
    OV("input STRING, upper STRING, lower STRING, digit STRING, other STRING -> STRING", fn_mask, 0),
};
#define MASK_OVS(fn) { \
    OV("input STRING, numChars INT -> STRING", fn, 0), \
    OV("input STRING, numChars INT, upper STRING, lower STRING, digit STRING, other STRING -> STRING", fn, 0), \
}
static const sl_overload ov_mask_keep_left[] = MASK_OVS(fn_mask_keep_left);
static const sl_overload ov_mask_keep_right[] = MASK_OVS(fn_mask_keep_right);
static const sl_overload ov_mask_left[] = MASK_OVS(fn_mask_left);
static const sl_overload ov_mask_right[] = MASK_OVS(fn_mask_right);
static const sl_overload ov_initcap[] = {OV("input STRING -> STRING", fn_initcap, NN)};
static const sl_overload ov_instr[] = {
    OV("str STRING, substring STRING -> INT", fn_instr, 0),
    OV("str STRING, substring STRING, position INT -> INT", fn_instr, 0),
    OV("str STRING, substring STRING, position INT, occurrence INT -> INT", fn_instr, 0),
};
static const sl_overload ov_chr[] = {
    OV("decimal_code INT -> STRING", fn_chr_int, NN),
    OV("utf_string STRING -> STRING", fn_chr_str, NN),
};
static const sl_overload ov_encode[] = {
    OV("input STRING, input_encoding STRING, output_encoding STRING -> STRING", fn_encode, NN),
};
static const sl_overload ov_from_bytes[] = {
    OV("bytes BYTES, encoding STRING -> STRING", fn_from_bytes, NN),
};
static const sl_overload ov_to_bytes[] = {
    OV("string STRING, encoding STRING -> BYTES", fn_to_bytes, NN),
};
static const sl_overload ov_md5[] = {OV("input STRING -> STRING", fn_md5, NN)};
static const sl_overload ov_uuid[] = {
    OV("-> STRING", fn_uuid, SL_FNF_NONDETERMINISTIC),
    OV("bytes BYTES -> STRING", fn_uuid_bytes, NN),
};

static const sl_function string_functions[] = {
    FN("LCASE", "Converts a string to lower case.", ov_lcase),
    FN("UCASE", "Converts a string to upper case.", ov_ucase),
    FN("LEN", "The number of characters in a string, or of bytes in a BYTES value.", ov_len),
    FN("TRIM", "Removes whitespace and control characters from both ends of a string.", ov_trim),
    FN("LTRIM", "Removes whitespace and control characters from the start of a string.", ov_ltrim),
    FN("RTRIM", "Removes whitespace and control characters from the end of a string.", ov_rtrim),
    FN("SUBSTRING",
       "The part of a string or bytes value from a 1-based position (negative: counted from the "
       "end), to the end or for a given length.", ov_substring),
    FN("CONCAT", "Joins strings or bytes values; NULL arguments count as empty.", ov_concat),
    FN("CONCAT_WS",
       "Joins strings or bytes values with the first argument between them, skipping NULLs; "
       "NULL when the separator is NULL.", ov_concat_ws),
    FN("REPLACE", "Replaces every occurrence of a substring with another string.", ov_replace),
    FN("SPLIT",
       "Splits a string or bytes value at each occurrence of a delimiter; an empty delimiter "
       "splits into characters (bytes).", ov_split),
    FN("SPLIT_TO_MAP",
       "Splits a string into entries at one delimiter and each entry into key and value at "
       "another; later keys win.", ov_split_to_map),
    FN("LPAD",
       "Pads a string or bytes value on the left with a repeated padding up to a length, or "
       "truncates it to that length.", ov_lpad),
    FN("RPAD",
       "Pads a string or bytes value on the right with a repeated padding up to a length, or "
       "truncates it to that length.", ov_rpad),
    FN("MASK",
       "Replaces upper-case letters, lower-case letters, digits and other characters with mask "
       "characters (default X, x, n, -; NULL keeps a class).", ov_mask),
    FN("MASK_KEEP_LEFT", "Masks all but the first n characters of a string.", ov_mask_keep_left),
    FN("MASK_KEEP_RIGHT", "Masks all but the last n characters of a string.", ov_mask_keep_right),
    FN("MASK_LEFT", "Masks the first n characters of a string.", ov_mask_left),
    FN("MASK_RIGHT", "Masks the last n characters of a string.", ov_mask_right),
    FN("INITCAP",
       "Upper-cases the first letter of every whitespace-separated word and lower-cases the rest.",
       ov_initcap),
    FN("INSTR",
       "The 1-based position of the n-th occurrence of a substring, searching from a position "
       "(negative: backwards from the end); 0 when absent.", ov_instr),
    FN("CHR", "The character of a Unicode code point, given as a number or as a '\\uXXXX' string.",
       ov_chr),
    FN("ENCODE",
       "Re-encodes a string from one of hex, utf8, ascii, base64 into another.", ov_encode),
    FN("FROM_BYTES", "Renders a BYTES value as hex, utf8, ascii or base64 text.", ov_from_bytes),
    FN("TO_BYTES", "Decodes hex, utf8, ascii or base64 text into a BYTES value.", ov_to_bytes),
    FN("MD5", "The MD5 digest of a string's UTF-8 bytes, as 32 hex digits.", ov_md5),
    FN("UUID",
       "A random (version 4) UUID, or the UUID held in a 16-byte BYTES value.", ov_uuid),
};

void sl_fn_register_string(sl_registry *r)
{
    for (size_t i = 0; i < sizeof string_functions / sizeof string_functions[0]; i++)
        sl_registry_add(r, &string_functions[i]);
}
