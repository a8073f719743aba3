/*
 * value.c: SQL values (see value.h).
 *
 * Does: constructors and deep copies into an arena; the total order,
 * equality and hash used by comparisons, GROUP BY and DISTINCT (numbers
 * compare by value across INT / BIGINT / DECIMAL / DOUBLE, so 1 = 1.00);
 * TEXT and JSON renderings; exact DECIMAL helpers on __int128; UTF-8
 * validation; Java-style double text and ISO-8601 date/time text shared
 * with cast.c (expr_internal.h).
 *
 * Does not: convert between types (cast.c) or know about expressions.
 * Nothing here allocates on the heap except the sl_buf it renders into.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "expr_internal.h"
#include "value.h"

typedef unsigned __int128 u128;

/* ---- constructors ---- */

sl_value sl_string_copy(sl_arena *a, const char *s, size_t len)
{
    char *p = sl_arena_alloc(a, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return sl_string_ref(p, (uint32_t)len);
}

sl_value sl_bytes_copy(sl_arena *a, const void *p, size_t len)
{
    sl_value v = sl_string_copy(a, p, len);
    v.kind = SL_BYTES;
    return v;
}

sl_value sl_array_new(sl_arena *a, uint32_t n)
{
    sl_value v = {0};
    v.kind = SL_ARRAY;
    v.u.arr.items = sl_arena_zalloc(a, sizeof(sl_value) * (n ? n : 1));
    v.u.arr.n = n;
    return v;
}

sl_value sl_map_new(sl_arena *a, uint32_t n)
{
    sl_value v = {0};
    v.kind = SL_MAP;
    v.u.map.keys = sl_arena_zalloc(a, sizeof(sl_value) * (n ? n : 1));
    v.u.map.vals = sl_arena_zalloc(a, sizeof(sl_value) * (n ? n : 1));
    v.u.map.n = n;
    return v;
}

sl_value sl_struct_new(sl_arena *a, uint32_t n)
{
    sl_value v = {0};
    v.kind = SL_STRUCT;
    v.u.st.fields = sl_arena_zalloc(a, sizeof(sl_value) * (n ? n : 1));
    v.u.st.n = n;
    return v;
}

sl_value sl_value_copy(sl_arena *a, const sl_value *v)
{
    sl_value r;
    switch (v->kind) {
    case SL_STRING:
    case SL_BYTES:
        r = sl_string_copy(a, v->u.s.ptr, v->u.s.len);
        r.kind = v->kind;
        return r;
    case SL_ARRAY:
        r = sl_array_new(a, v->u.arr.n);
        for (uint32_t i = 0; i < v->u.arr.n; i++)
            r.u.arr.items[i] = sl_value_copy(a, &v->u.arr.items[i]);
        return r;
    case SL_MAP:
        r = sl_map_new(a, v->u.map.n);
        for (uint32_t i = 0; i < v->u.map.n; i++) {
            r.u.map.keys[i] = sl_value_copy(a, &v->u.map.keys[i]);
            r.u.map.vals[i] = sl_value_copy(a, &v->u.map.vals[i]);
        }
        return r;
    case SL_STRUCT:
        r = sl_struct_new(a, v->u.st.n);
        for (uint32_t i = 0; i < v->u.st.n; i++)
            r.u.st.fields[i] = sl_value_copy(a, &v->u.st.fields[i]);
        return r;
    default:
        return *v;
    }
}

/* ---- decimals ---- */

static sl_int128 pow10_table[SL_DECIMAL_MAX_PRECISION + 1];

__attribute__((constructor)) static void init_pow10(void)
{
    sl_int128 p = 1;
    for (int i = 0; i <= SL_DECIMAL_MAX_PRECISION; i++) {
        pow10_table[i] = p;
        if (i < SL_DECIMAL_MAX_PRECISION)
            p *= 10;
    }
}

sl_int128 sl_dec_pow10(int n)
{
    if (n < 0)
        return 1;
    if (n > SL_DECIMAL_MAX_PRECISION)
        n = SL_DECIMAL_MAX_PRECISION;
    if (pow10_table[0] == 0)
        init_pow10();
    return pow10_table[n];
}

static u128 uabs128(sl_int128 v)
{
    return v < 0 ? (u128)0 - (u128)v : (u128)v;
}

int sl_dec_digits(sl_int128 v)
{
    u128 u = uabs128(v);
    int n = 1;
    while (u >= 10) {
        u /= 10;
        n++;
    }
    return n;
}

bool sl_decimal_fits(sl_int128 unscaled, int precision)
{
    if (precision < 1 || precision > SL_DECIMAL_MAX_PRECISION)
        return false;
    return uabs128(unscaled) < (u128)sl_dec_pow10(precision);
}

bool sl_decimal_rescale(sl_int128 in, int from_scale, int to_scale, sl_int128 *out)
{
    if (from_scale == to_scale) {
        *out = in;
        return true;
    }
    if (to_scale > from_scale) {
        int d = to_scale - from_scale;
        if (d > SL_DECIMAL_MAX_PRECISION)
            return in == 0 ? (*out = 0, true) : false;
        sl_int128 r;
        if (__builtin_mul_overflow(in, sl_dec_pow10(d), &r) || !sl_decimal_fits(r, 38))
            return false;
        *out = r;
        return true;
    }
    int d = from_scale - to_scale;
    if (d > SL_DECIMAL_MAX_PRECISION) {
        *out = 0;   /* |in| < 10^38 <= 10^d / 2: rounds to zero */
        return true;
    }
    u128 u = uabs128(in), p = (u128)sl_dec_pow10(d);
    u128 q = u / p, rem = u % p;
    if (rem * 2 >= p)
        q++;
    *out = in < 0 ? -(sl_int128)q : (sl_int128)q;
    return true;
}

void sl_decimal_format(sl_buf *out, sl_int128 unscaled, int scale)
{
    char digits[64];
    int n = 0;
    u128 u = uabs128(unscaled);
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale)
        digits[n++] = '0';
    if (unscaled < 0)
        sl_buf_putc(out, '-');
    for (int i = n - 1; i >= 0; i--) {
        if (i == scale - 1)
            sl_buf_putc(out, '.');
        sl_buf_putc(out, digits[i]);
    }
}

bool sl_decimal_parse(const char *s, size_t n, sl_int128 *out, int *precision, int *scale)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    sl_int128 v = 0;
    int ndigits = 0, sig = 0, sc = 0;
    bool dot = false;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (dot)
                return false;
            dot = true;
            continue;
        }
        if (c < '0' || c > '9')
            return false;
        ndigits++;
        if (dot)
            sc++;
        if (sig == 0 && c == '0') {
            continue;
        }
        if (++sig > SL_DECIMAL_MAX_PRECISION)
            return false;
        v = v * 10 + (c - '0');
    }
    /* zeros after the point still count as digits of the value */
    if (ndigits == 0 || sc > SL_DECIMAL_MAX_PRECISION)
        return false;
    /* leading zeros after the point were skipped without multiplying: they
     * carry no magnitude, so v is already the unscaled value */
    int p = sig > sc ? sig : sc;
    if (p == 0)
        p = 1;
    if (p > SL_DECIMAL_MAX_PRECISION)
        return false;
    *out = neg ? -v : v;
    *precision = p;
    *scale = sc;
    return true;
}

/* Exact division with HALF_UP rounding to scale rs, digit by digit so that no
 * intermediate exceeds 2 * 10^38 (which fits an unsigned __int128). */
bool sl_dec_div(sl_int128 a, int sa, sl_int128 b, int sb, int rs, sl_int128 *out)
{
    if (b == 0)
        return false;
    bool neg = (a < 0) != (b < 0);
    u128 A = uabs128(a), B = uabs128(b);
    /* a/b at scale rs = A * 10^(rs - sa + sb) / B */
    int k = rs - sa + sb;
    u128 limit = (u128)sl_dec_pow10(SL_DECIMAL_MAX_PRECISION);
    u128 q, r;
    bool up = false;
    if (k >= 0) {
        q = A / B;
        r = A % B;
        for (int i = 0; i <= k; i++) {
            /* next digit of r * 10 / B, and r = r * 10 % B, without overflow */
            u128 acc = 0;
            int d = 0;
            for (int j = 0; j < 10; j++) {
                acc += r;
                if (acc >= B) {
                    acc -= B;
                    d++;
                }
            }
            r = acc;
            if (i == k) {   /* the digit after the last kept one decides rounding */
                up = d >= 5;
                goto done;
            }
            if (q > (limit - 1) / 10)
                return false;
            q = q * 10 + (u128)d;
        }
        up = false;
    } else {
        /* divide further by 10^m: round on the dropped digits of the integer quotient */
        int m = -k;
        q = A / B;
        if (m > SL_DECIMAL_MAX_PRECISION) {
            q = 0;
            up = false;
        } else {
            u128 p = (u128)sl_dec_pow10(m);
            u128 t = q % p;
            q /= p;
            up = t * 2 >= p;
        }
    }
done:
    if (up)
        q++;
    if (q >= limit)
        return false;
    *out = neg ? -(sl_int128)q : (sl_int128)q;
    return true;
}

/* ---- UTF-8 ---- */

bool sl_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int len;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2; cp = c & 0x1F; min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3; cp = c & 0x0F; min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4; cp = c & 0x07; min = 0x10000;
        } else {
            return false;
        }
        if (n - i < (size_t)len)
            return false;
        for (int k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += (size_t)len;
    }
    return true;
}

size_t sl_utf8_length(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

/* ---- doubles as Java prints them ---- */

void sl_double_format(sl_buf *out, double d)
{
    if (isnan(d)) {
        sl_buf_puts(out, "NaN");
        return;
    }
    if (isinf(d)) {
        sl_buf_puts(out, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        sl_buf_puts(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    char buf[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* buf: [-]D[.DDD]e(+|-)XX */
    char digits[24];
    int nd = 0;
    const char *q = buf;
    bool neg = false;
    if (*q == '-') {
        neg = true;
        q++;
    }
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9')
            digits[nd++] = *q;
    int exp = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        sl_buf_putc(out, '-');
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e7) {
        if (exp >= 0) {
            for (int i = 0; i <= exp; i++)
                sl_buf_putc(out, i < nd ? digits[i] : '0');
            sl_buf_putc(out, '.');
            if (nd > exp + 1)
                sl_buf_append(out, digits + exp + 1, (size_t)(nd - exp - 1));
            else
                sl_buf_putc(out, '0');
        } else {
            sl_buf_puts(out, "0.");
            for (int i = 0; i < -exp - 1; i++)
                sl_buf_putc(out, '0');
            sl_buf_append(out, digits, (size_t)nd);
        }
    } else {
        sl_buf_putc(out, digits[0]);
        sl_buf_putc(out, '.');
        if (nd > 1)
            sl_buf_append(out, digits + 1, (size_t)(nd - 1));
        else
            sl_buf_putc(out, '0');
        sl_buf_printf(out, "E%d", exp);
    }
}

/* ---- dates and times ---- */

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t sl_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floordiv(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void sl_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floordiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

void sl_date_format(sl_buf *out, int32_t days)
{
    int64_t y;
    int m, d;
    sl_civil_from_days(days, &y, &m, &d);
    if (y < 0)
        sl_buf_printf(out, "-%04lld-%02d-%02d", (long long)-y, m, d);
    else
        sl_buf_printf(out, "%04lld-%02d-%02d", (long long)y, m, d);
}

static void hms(sl_buf *out, int64_t ms_of_day, bool always_ms)
{
    int h = (int)(ms_of_day / 3600000), mi = (int)(ms_of_day / 60000 % 60);
    int s = (int)(ms_of_day / 1000 % 60), ms = (int)(ms_of_day % 1000);
    sl_buf_printf(out, "%02d:%02d:%02d", h, mi, s);
    if (always_ms || ms)
        sl_buf_printf(out, ".%03d", ms);
}

void sl_timestamp_format(sl_buf *out, int64_t ms)
{
    int64_t days = floordiv(ms, 86400000);
    sl_date_format(out, (int32_t)days);
    sl_buf_putc(out, 'T');
    hms(out, ms - days * 86400000, true);
}

void sl_time_format(sl_buf *out, int32_t ms)
{
    if (ms < 0 || ms >= 86400000)
        ms = (int32_t)(((int64_t)ms % 86400000 + 86400000) % 86400000);
    hms(out, ms, false);
}

static bool digits_at(const char *s, size_t n, size_t *i, int count, int *val)
{
    int v = 0;
    for (int k = 0; k < count; k++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9')
            return false;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *val = v;
    return true;
}

static bool parse_date_part(const char *s, size_t n, size_t *i, int64_t *days)
{
    int y, m, d;
    if (!digits_at(s, n, i, 4, &y) || *i >= n || s[(*i)++] != '-' ||
        !digits_at(s, n, i, 2, &m) || *i >= n || s[(*i)++] != '-' ||
        !digits_at(s, n, i, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1)
        return false;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap))
        return false;
    *days = sl_days_from_civil(y, m, d);
    return true;
}

/* HH:mm[:ss[.fff...]] */
static bool parse_time_part(const char *s, size_t n, size_t *i, int64_t *ms)
{
    int h, mi, sec = 0, frac = 0;
    if (!digits_at(s, n, i, 2, &h) || *i >= n || s[(*i)++] != ':' || !digits_at(s, n, i, 2, &mi))
        return false;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (!digits_at(s, n, i, 2, &sec))
            return false;
        if (*i < n && s[*i] == '.') {
            (*i)++;
            int nd = 0;
            while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
                if (nd < 3)
                    frac = frac * 10 + (s[*i] - '0');
                nd++;
                (*i)++;
            }
            if (nd == 0 || nd > 9)
                return false;
            for (int k = nd; k < 3; k++)
                frac *= 10;
        }
    }
    if (h > 23 || mi > 59 || sec > 59)
        return false;
    *ms = ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac;
    return true;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\n' ||
                  (*s)[*n - 1] == '\r'))
        (*n)--;
}

bool sl_timestamp_parse(const char *s, size_t n, int64_t *ms)
{
    trim(&s, &n);
    size_t i = 0;
    int64_t days, tod = 0, off = 0;
    if (!parse_date_part(s, n, &i, &days))
        return false;
    if (i < n && (s[i] == 'T' || s[i] == ' ')) {
        i++;
        if (!parse_time_part(s, n, &i, &tod))
            return false;
    }
    if (i < n) {
        if (s[i] == 'Z' && i + 1 == n) {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
            if (!digits_at(s, n, &i, 2, &oh))
                return false;
            if (i < n && s[i] == ':')
                i++;
            if (i < n && !digits_at(s, n, &i, 2, &om))
                return false;
            if (oh > 18 || om > 59)
                return false;
            off = sign * ((int64_t)oh * 3600000 + (int64_t)om * 60000);
        }
    }
    if (i != n)
        return false;
    *ms = days * 86400000 + tod - off;
    return true;
}

bool sl_date_parse(const char *s, size_t n, int32_t *days)
{
    trim(&s, &n);
    size_t i = 0;
    int64_t d;
    if (!parse_date_part(s, n, &i, &d) || i != n)
        return false;
    *days = (int32_t)d;
    return true;
}

bool sl_time_parse(const char *s, size_t n, int32_t *ms)
{
    trim(&s, &n);
    size_t i = 0;
    int64_t t;
    if (!parse_time_part(s, n, &i, &t) || i != n)
        return false;
    *ms = (int32_t)t;
    return true;
}

/* ---- order, equality, hash ---- */

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static int cmp_dec(sl_int128 a, int sa, sl_int128 b, int sb)
{
    if (sa < sb) {
        sl_int128 r;
        if (!sl_decimal_rescale(a, sa, sb, &r))
            return a < 0 ? -1 : 1;
        a = r;
    } else if (sb < sa) {
        sl_int128 r;
        if (!sl_decimal_rescale(b, sb, sa, &r))
            return b < 0 ? 1 : -1;
        b = r;
    }
    return a < b ? -1 : a > b;
}

static int cmp_double(double a, double b)
{
    /* total order: NaN after everything, equal to itself */
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return a < b ? -1 : a > b;
}

static double dec_to_double(sl_int128 u, int scale)
{
    sl_buf b = SL_BUF_INIT;
    sl_decimal_format(&b, u, scale);
    double d = strtod(sl_buf_cstr(&b), NULL);
    sl_buf_fini(&b);
    return d;
}

static bool is_intlike(int k)
{
    return k == SL_INT || k == SL_BIGINT;
}

static int64_t intval(const sl_value *v)
{
    return v->kind == SL_INT ? v->u.i32 : v->u.i64;
}

static int cmp_numeric(const sl_value *a, const sl_value *b)
{
    if (is_intlike(a->kind) && is_intlike(b->kind))
        return cmp_i64(intval(a), intval(b));
    if (a->kind == SL_DOUBLE || b->kind == SL_DOUBLE) {
        double x = a->kind == SL_DOUBLE ? a->u.d
                   : a->kind == SL_DECIMAL ? dec_to_double(a->u.dec, a->scale)
                                           : (double)intval(a);
        double y = b->kind == SL_DOUBLE ? b->u.d
                   : b->kind == SL_DECIMAL ? dec_to_double(b->u.dec, b->scale)
                                           : (double)intval(b);
        return cmp_double(x, y);
    }
    sl_int128 x = a->kind == SL_DECIMAL ? a->u.dec : intval(a);
    sl_int128 y = b->kind == SL_DECIMAL ? b->u.dec : intval(b);
    return cmp_dec(x, a->kind == SL_DECIMAL ? a->scale : 0, y, b->kind == SL_DECIMAL ? b->scale : 0);
}

static bool is_num(int k)
{
    return k == SL_INT || k == SL_BIGINT || k == SL_DECIMAL || k == SL_DOUBLE;
}

int sl_value_compare(const sl_value *a, const sl_value *b)
{
    if (a->kind == SL_NULL || b->kind == SL_NULL)
        return (a->kind != SL_NULL) - (b->kind != SL_NULL);    /* NULL first */
    if (is_num(a->kind) && is_num(b->kind))
        return cmp_numeric(a, b);
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    switch (a->kind) {
    case SL_BOOLEAN:
        return (int)a->u.b - (int)b->u.b;
    case SL_DATE:
    case SL_TIME:
        return cmp_i64(a->u.i32, b->u.i32);
    case SL_TIMESTAMP:
        return cmp_i64(a->u.i64, b->u.i64);
    case SL_STRING:
    case SL_BYTES: {
        uint32_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
        int c = n ? memcmp(a->u.s.ptr, b->u.s.ptr, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return cmp_i64(a->u.s.len, b->u.s.len);
    }
    case SL_ARRAY: {
        uint32_t n = a->u.arr.n < b->u.arr.n ? a->u.arr.n : b->u.arr.n;
        for (uint32_t i = 0; i < n; i++) {
            int c = sl_value_compare(&a->u.arr.items[i], &b->u.arr.items[i]);
            if (c)
                return c;
        }
        return cmp_i64(a->u.arr.n, b->u.arr.n);
    }
    case SL_MAP: {
        if (a->u.map.n != b->u.map.n)
            return cmp_i64(a->u.map.n, b->u.map.n);
        for (uint32_t i = 0; i < a->u.map.n; i++) {
            int c = sl_value_compare(&a->u.map.keys[i], &b->u.map.keys[i]);
            if (!c)
                c = sl_value_compare(&a->u.map.vals[i], &b->u.map.vals[i]);
            if (c)
                return c;
        }
        return 0;
    }
    case SL_STRUCT: {
        uint32_t n = a->u.st.n < b->u.st.n ? a->u.st.n : b->u.st.n;
        for (uint32_t i = 0; i < n; i++) {
            int c = sl_value_compare(&a->u.st.fields[i], &b->u.st.fields[i]);
            if (c)
                return c;
        }
        return cmp_i64(a->u.st.n, b->u.st.n);
    }
    default:
        return 0;
    }
}

static bool map_equal(const sl_value *a, const sl_value *b)
{
    if (a->u.map.n != b->u.map.n)
        return false;
    /* maps are equal as sets of entries, whatever the insertion order */
    for (uint32_t i = 0; i < a->u.map.n; i++) {
        bool found = false;
        for (uint32_t j = 0; j < b->u.map.n && !found; j++)
            if (sl_value_equal(&a->u.map.keys[i], &b->u.map.keys[j]))
                found = sl_value_equal(&a->u.map.vals[i], &b->u.map.vals[j]) ? true : false;
        if (!found)
            return false;
    }
    return true;
}

bool sl_value_equal(const sl_value *a, const sl_value *b)
{
    if (a->kind == SL_MAP && b->kind == SL_MAP)
        return map_equal(a, b);
    if (a->kind == SL_ARRAY && b->kind == SL_ARRAY) {
        if (a->u.arr.n != b->u.arr.n)
            return false;
        for (uint32_t i = 0; i < a->u.arr.n; i++)
            if (!sl_value_equal(&a->u.arr.items[i], &b->u.arr.items[i]))
                return false;
        return true;
    }
    if (a->kind == SL_STRUCT && b->kind == SL_STRUCT) {
        if (a->u.st.n != b->u.st.n)
            return false;
        for (uint32_t i = 0; i < a->u.st.n; i++)
            if (!sl_value_equal(&a->u.st.fields[i], &b->u.st.fields[i]))
                return false;
        return true;
    }
    return sl_value_compare(a, b) == 0;
}

static uint64_t hash_tagged(uint64_t tag, const void *p, size_t n)
{
    return XXH3_64bits_withSeed(p, n, tag);
}

static uint64_t mix(uint64_t h, uint64_t x)
{
    uint64_t pair[2] = {h, x};
    return XXH3_64bits(pair, sizeof pair);
}

uint64_t sl_value_hash(const sl_value *v)
{
    switch (v->kind) {
    case SL_NULL:
        return 0x9e3779b97f4a7c15ULL;
    case SL_BOOLEAN:
        return hash_tagged(SL_BOOLEAN, &v->u.b, sizeof v->u.b);
    case SL_INT:
    case SL_BIGINT: {
        int64_t i = intval(v);
        return hash_tagged(SL_BIGINT, &i, sizeof i);
    }
    case SL_DECIMAL: {
        /* normalised so that 1, 1.0 and 1.00 hash alike (they compare equal) */
        sl_int128 u = v->u.dec;
        int s = v->scale;
        while (s > 0 && u % 10 == 0) {
            u /= 10;
            s--;
        }
        if (s == 0 && u >= INT64_MIN && u <= INT64_MAX) {
            int64_t i = (int64_t)u;
            return hash_tagged(SL_BIGINT, &i, sizeof i);
        }
        struct { sl_int128 u; int64_t s; } k;
        memset(&k, 0, sizeof k);
        k.u = u;
        k.s = s;
        return hash_tagged(SL_DECIMAL, &k, sizeof k);
    }
    case SL_DOUBLE: {
        double d = v->u.d;
        if (d == 0)
            d = 0;  /* -0.0 */
        if (isnan(d))
            d = NAN;
        if (d >= -9.2e18 && d <= 9.2e18 && d == trunc(d)) {
            int64_t i = (int64_t)d;
            return hash_tagged(SL_BIGINT, &i, sizeof i);
        }
        return hash_tagged(SL_DOUBLE, &d, sizeof d);
    }
    case SL_STRING:
    case SL_BYTES:
        return hash_tagged(v->kind, v->u.s.ptr, v->u.s.len);
    case SL_TIMESTAMP:
        return hash_tagged(SL_TIMESTAMP, &v->u.i64, sizeof v->u.i64);
    case SL_DATE:
    case SL_TIME:
        return hash_tagged(v->kind, &v->u.i32, sizeof v->u.i32);
    case SL_ARRAY: {
        uint64_t h = SL_ARRAY;
        for (uint32_t i = 0; i < v->u.arr.n; i++)
            h = mix(h, sl_value_hash(&v->u.arr.items[i]));
        return h;
    }
    case SL_MAP: {
        uint64_t h = SL_MAP;    /* order-independent, like map equality */
        for (uint32_t i = 0; i < v->u.map.n; i++)
            h += mix(sl_value_hash(&v->u.map.keys[i]), sl_value_hash(&v->u.map.vals[i]));
        return h;
    }
    case SL_STRUCT: {
        uint64_t h = SL_STRUCT;
        for (uint32_t i = 0; i < v->u.st.n; i++)
            h = mix(h, sl_value_hash(&v->u.st.fields[i]));
        return h;
    }
    default:
        return 0;
    }
}

/* ---- rendering ---- */

static void base64(sl_buf *out, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t x = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = {tab[x >> 18], tab[(x >> 12) & 63], tab[(x >> 6) & 63], tab[x & 63]};
        sl_buf_append(out, q, 4);
    }
    if (i < n) {
        uint32_t x = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        char q[4] = {tab[x >> 18], tab[(x >> 12) & 63], i + 1 < n ? tab[(x >> 6) & 63] : '=', '='};
        sl_buf_append(out, q, 4);
    }
}

/* Scalar text shared by both renderings; false for composite kinds. */
static bool scalar_text(sl_buf *out, const sl_value *v)
{
    switch (v->kind) {
    case SL_NULL: sl_buf_puts(out, "null"); return true;
    case SL_BOOLEAN: sl_buf_puts(out, v->u.b ? "true" : "false"); return true;
    case SL_INT: sl_buf_printf(out, "%d", v->u.i32); return true;
    case SL_BIGINT: sl_buf_printf(out, "%lld", (long long)v->u.i64); return true;
    case SL_DOUBLE: sl_double_format(out, v->u.d); return true;
    case SL_DECIMAL: sl_decimal_format(out, v->u.dec, v->scale); return true;
    case SL_STRING: sl_buf_append(out, v->u.s.ptr, v->u.s.len); return true;
    case SL_BYTES: base64(out, (const unsigned char *)v->u.s.ptr, v->u.s.len); return true;
    case SL_TIMESTAMP: sl_timestamp_format(out, v->u.i64); return true;
    case SL_DATE: sl_date_format(out, v->u.i32); return true;
    case SL_TIME: sl_time_format(out, v->u.i32); return true;
    default: return false;
    }
}

static void render_json(sl_buf *out, const sl_value *v, const sl_type *t)
{
    switch (v->kind) {
    case SL_DOUBLE:
        if (!isfinite(v->u.d)) {
            sl_buf_putc(out, '"');
            sl_double_format(out, v->u.d);
            sl_buf_putc(out, '"');
            return;
        }
        sl_double_format(out, v->u.d);
        return;
    case SL_STRING:
        sl_buf_json_string(out, v->u.s.ptr, v->u.s.len);
        return;
    case SL_BYTES:
    case SL_TIMESTAMP:
    case SL_DATE:
    case SL_TIME:
        sl_buf_putc(out, '"');
        scalar_text(out, v);
        sl_buf_putc(out, '"');
        return;
    case SL_ARRAY: {
        const sl_type *et = t && t->kind == SL_ARRAY ? t->elem : NULL;
        sl_buf_putc(out, '[');
        for (uint32_t i = 0; i < v->u.arr.n; i++) {
            if (i)
                sl_buf_putc(out, ',');
            render_json(out, &v->u.arr.items[i], et);
        }
        sl_buf_putc(out, ']');
        return;
    }
    case SL_MAP: {
        const sl_type *kt = t && t->kind == SL_MAP ? t->key : NULL;
        const sl_type *vt = t && t->kind == SL_MAP ? t->elem : NULL;
        sl_buf_putc(out, '{');
        for (uint32_t i = 0; i < v->u.map.n; i++) {
            if (i)
                sl_buf_putc(out, ',');
            const sl_value *k = &v->u.map.keys[i];
            if (k->kind == SL_STRING) {
                sl_buf_json_string(out, k->u.s.ptr, k->u.s.len);
            } else {
                sl_buf kb = SL_BUF_INIT;
                sl_value_render(&kb, k, kt, SL_RENDER_TEXT);
                sl_buf_json_string(out, sl_buf_cstr(&kb), kb.len);
                sl_buf_fini(&kb);
            }
            sl_buf_putc(out, ':');
            render_json(out, &v->u.map.vals[i], vt);
        }
        sl_buf_putc(out, '}');
        return;
    }
    case SL_STRUCT: {
        bool typed = t && t->kind == SL_STRUCT && (uint32_t)t->nfields == v->u.st.n;
        sl_buf_putc(out, '{');
        for (uint32_t i = 0; i < v->u.st.n; i++) {
            if (i)
                sl_buf_putc(out, ',');
            if (typed) {
                sl_buf_json_string(out, t->fields[i].name, strlen(t->fields[i].name));
            } else {
                sl_buf_printf(out, "\"F%u\"", i + 1);
            }
            sl_buf_putc(out, ':');
            render_json(out, &v->u.st.fields[i], typed ? t->fields[i].type : NULL);
        }
        sl_buf_putc(out, '}');
        return;
    }
    default:
        scalar_text(out, v);
    }
}

void sl_value_render(sl_buf *out, const sl_value *v, const sl_type *t, sl_render mode)
{
    if (mode == SL_RENDER_JSON || !scalar_text(out, v))
        render_json(out, v, t);     /* composite cells show as JSON in TEXT mode too */
}

/* ---- Java toString-like text (CAST to STRING) ---- */

void sl_value_java_text(sl_buf *out, const sl_value *v, const sl_type *t)
{
    switch (v->kind) {
    case SL_ARRAY: {
        const sl_type *et = t && t->kind == SL_ARRAY ? t->elem : NULL;
        sl_buf_putc(out, '[');
        for (uint32_t i = 0; i < v->u.arr.n; i++) {
            if (i)
                sl_buf_puts(out, ", ");
            sl_value_java_text(out, &v->u.arr.items[i], et);
        }
        sl_buf_putc(out, ']');
        return;
    }
    case SL_MAP: {
        const sl_type *kt = t && t->kind == SL_MAP ? t->key : NULL;
        const sl_type *vt = t && t->kind == SL_MAP ? t->elem : NULL;
        sl_buf_putc(out, '{');
        for (uint32_t i = 0; i < v->u.map.n; i++) {
            if (i)
                sl_buf_puts(out, ", ");
            sl_value_java_text(out, &v->u.map.keys[i], kt);
            sl_buf_putc(out, '=');
            sl_value_java_text(out, &v->u.map.vals[i], vt);
        }
        sl_buf_putc(out, '}');
        return;
    }
    case SL_STRUCT: {
        bool typed = t && t->kind == SL_STRUCT && (uint32_t)t->nfields == v->u.st.n;
        sl_buf_puts(out, "Struct{");
        bool first = true;
        for (uint32_t i = 0; i < v->u.st.n; i++) {
            if (v->u.st.fields[i].kind == SL_NULL)
                continue;   /* Connect's Struct.toString skips null fields */
            if (!first)
                sl_buf_putc(out, ',');
            first = false;
            if (typed)
                sl_buf_puts(out, t->fields[i].name);
            else
                sl_buf_printf(out, "F%u", i + 1);
            sl_buf_putc(out, '=');
            sl_value_java_text(out, &v->u.st.fields[i], typed ? t->fields[i].type : NULL);
        }
        sl_buf_putc(out, '}');
        return;
    }
    default:
        scalar_text(out, v);
    }
}
