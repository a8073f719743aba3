/*
 * cast.c: CAST(v AS type) for every pair ksqlDB allows (see
 * sl_type_castable in types.c for the list).
 *
 * Does: numbers among themselves (DOUBLE and DECIMAL to an integer type
 * truncate toward zero like Java's narrowing; a value outside the target's
 * range is a row error, never a wrap), DECIMAL rescaling with HALF_UP,
 * numbers / BOOLEAN / dates and times from and to STRING (bad text is a row
 * error), TIMESTAMP -> DATE / TIME, DATE -> TIMESTAMP, ARRAY / MAP
 * element-wise, STRUCT field by field matched by name (missing -> NULL),
 * and anything but BYTES to STRING (composites as Java's toString, as
 * ksqlDB prints them).
 *
 * Does not: decide whether a cast is allowed at compile time (types.c), or
 * pick specialised fast paths (expr.c does for the common numeric cases).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr.h"
#include "expr_internal.h"

static int cast_err(sl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int cast_err(sl_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    err->code = SL_ERR_EVAL;
    err->span = SL_NOSPAN;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Quotes at most 64 bytes of a string for a message. */
static const char *quote_text(char *buf, size_t bufsize, const char *s, size_t n)
{
    size_t max = bufsize - 8;
    if (n > max)
        snprintf(buf, bufsize, "%.*s...", (int)max, s);
    else
        snprintf(buf, bufsize, "%.*s", (int)n, s);
    return buf;
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

static bool parse_int64(const char *s, size_t n, int64_t *out)
{
    trim(&s, &n);
    if (n == 0)
        return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i++;
    }
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

static bool parse_double(const char *s, size_t n, double *out)
{
    trim(&s, &n);
    if (n == 0 || n > 400)
        return false;
    char buf[408];
    memcpy(buf, s, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (buf[i] == 'x' || buf[i] == 'X')
            return false;   /* no hex floats */
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (end != buf + n)
        return false;
    *out = d;
    return true;
}

/* A decimal number with an optional exponent ("1.5", "-2e3", "1.25E-2"). */
static bool parse_decimal_text(const char *s, size_t n, sl_int128 *u, int *scale)
{
    trim(&s, &n);
    size_t e = 0;
    while (e < n && s[e] != 'e' && s[e] != 'E')
        e++;
    int p, sc;
    if (!sl_decimal_parse(s, e, u, &p, &sc))
        return false;
    if (e < n) {
        int64_t ex;
        if (e + 1 >= n || !parse_int64(s + e + 1, n - e - 1, &ex) || ex > 1000 || ex < -1000)
            return false;
        int64_t nsc = sc - ex;
        if (nsc < 0) {
            if (*u != 0 && !sl_decimal_rescale(*u, 0, (int)-nsc, u))
                return false;
            nsc = 0;
        }
        sc = (int)nsc;
    }
    *scale = sc;
    return true;
}

static int to_decimal(sl_int128 u, int scale, const sl_type *to, sl_value *out, sl_error *err)
{
    sl_int128 r;
    if (scale > 1000 || !sl_decimal_rescale(u, scale, to->scale, &r) ||
        !sl_decimal_fits(r, to->precision)) {
        sl_buf b = SL_BUF_INIT;
        sl_decimal_format(&b, u, scale);
        cast_err(err, "value %s does not fit DECIMAL(%d, %d)", sl_buf_cstr(&b), to->precision,
                 to->scale);
        sl_buf_fini(&b);
        return -1;
    }
    *out = sl_decimal(r, to->precision, to->scale);
    return 0;
}

static int range_err(sl_error *err, const sl_value *v, const sl_type *to)
{
    sl_buf b = SL_BUF_INIT;
    sl_value_render(&b, v, NULL, SL_RENDER_TEXT);
    cast_err(err, "value %s is out of range for %s", sl_buf_cstr(&b), sl_kind_name(to->kind));
    sl_buf_fini(&b);
    return -1;
}

static int bad_text(sl_error *err, const sl_value *v, const sl_type *to)
{
    char q[80];
    sl_buf b = SL_BUF_INIT;
    sl_type_format(&b, to);
    cast_err(err, "cannot cast '%s' to %s", quote_text(q, sizeof q, v->u.s.ptr, v->u.s.len),
             sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return -1;
}

/* A number as an exact integer part (truncated toward zero); false when out of int64 range
 * or not finite. */
static bool trunc_to_i64(const sl_value *v, int64_t *out)
{
    switch (v->kind) {
    case SL_INT: *out = v->u.i32; return true;
    case SL_BIGINT: *out = v->u.i64; return true;
    case SL_DOUBLE: {
        double d = trunc(v->u.d);
        if (!isfinite(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return false;
        *out = (int64_t)d;
        return true;
    }
    case SL_DECIMAL: {
        sl_int128 q = v->u.dec / sl_dec_pow10(v->scale);   /* C division truncates */
        if (q < INT64_MIN || q > INT64_MAX)
            return false;
        *out = (int64_t)q;
        return true;
    }
    default:
        return false;
    }
}

static double dec_to_double(sl_int128 u, int scale)
{
    sl_buf b = SL_BUF_INIT;
    sl_decimal_format(&b, u, scale);
    double d = strtod(sl_buf_cstr(&b), NULL);
    sl_buf_fini(&b);
    return d;
}

static int cast_to_int(const sl_value *v, const sl_type *to, sl_value *out, sl_error *err)
{
    int64_t i;
    if (v->kind == SL_STRING) {
        if (!parse_int64(v->u.s.ptr, v->u.s.len, &i))
            return bad_text(err, v, to);
    } else if (!trunc_to_i64(v, &i)) {
        return range_err(err, v, to);
    }
    if (to->kind == SL_INT) {
        if (i < INT32_MIN || i > INT32_MAX) {
            if (v->kind == SL_STRING)
                return bad_text(err, v, to);
            return range_err(err, v, to);
        }
        *out = sl_int((int32_t)i);
    } else {
        *out = sl_bigint(i);
    }
    return 0;
}

static int cast_to_string(const sl_value *v, const sl_type *from, sl_arena *a, sl_value *out)
{
    if (v->kind == SL_STRING) {
        *out = *v;
        return 0;
    }
    sl_buf b = SL_BUF_INIT;
    sl_value_java_text(&b, v, from);
    *out = sl_string_copy(a, sl_buf_cstr(&b), b.len);
    sl_buf_fini(&b);
    return 0;
}

static bool parse_bool(const char *s, size_t n, bool *out)
{
    trim(&s, &n);
    static const struct { const char *t; bool v; } words[] = {
        {"true", true}, {"t", true}, {"yes", true}, {"y", true},
        {"false", false}, {"f", false}, {"no", false}, {"n", false},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].t) == n && strncasecmp(words[i].t, s, n) == 0) {
            *out = words[i].v;
            return true;
        }
    return false;
}

static const sl_field *field_named(const sl_type *st, const char *name, int *idx)
{
    if (!st || st->kind != SL_STRUCT)
        return NULL;
    for (int i = 0; i < st->nfields; i++)
        if (strcmp(st->fields[i].name, name) == 0) {
            *idx = i;
            return &st->fields[i];
        }
    return NULL;
}

static const sl_type *type_of_scalar(const sl_value *v)
{
    return sl_type_primitive((sl_kind)v->kind);
}

int sl_value_cast(const sl_value *v, const sl_type *from, const sl_type *to, sl_arena *a,
                  sl_value *out, sl_error *err)
{
    if (v->kind == SL_NULL) {
        *out = sl_null();
        return 0;
    }
    if (!from || from->kind != v->kind)
        from = v->kind == SL_DECIMAL ? NULL : type_of_scalar(v);
    switch (to->kind) {
    case SL_INT:
    case SL_BIGINT:
        if (v->kind == SL_STRING || sl_type_is_numeric(sl_type_primitive(v->kind)) ||
            v->kind == SL_DECIMAL)
            return cast_to_int(v, to, out, err);
        break;
    case SL_DOUBLE:
        switch (v->kind) {
        case SL_INT: *out = sl_double(v->u.i32); return 0;
        case SL_BIGINT: *out = sl_double((double)v->u.i64); return 0;
        case SL_DOUBLE: *out = *v; return 0;
        case SL_DECIMAL: *out = sl_double(dec_to_double(v->u.dec, v->scale)); return 0;
        case SL_STRING: {
            double d;
            if (!parse_double(v->u.s.ptr, v->u.s.len, &d))
                return bad_text(err, v, to);
            *out = sl_double(d);
            return 0;
        }
        }
        break;
    case SL_DECIMAL:
        switch (v->kind) {
        case SL_INT: return to_decimal(v->u.i32, 0, to, out, err);
        case SL_BIGINT: return to_decimal(v->u.i64, 0, to, out, err);
        case SL_DECIMAL: return to_decimal(v->u.dec, v->scale, to, out, err);
        case SL_DOUBLE: {
            if (!isfinite(v->u.d))
                return range_err(err, v, to);
            sl_buf b = SL_BUF_INIT;
            sl_double_format(&b, v->u.d);
            sl_int128 u;
            int sc;
            bool ok = parse_decimal_text(b.data, b.len, &u, &sc);
            sl_buf_fini(&b);
            if (!ok)
                return range_err(err, v, to);
            return to_decimal(u, sc, to, out, err);
        }
        case SL_STRING: {
            sl_int128 u;
            int sc;
            if (!parse_decimal_text(v->u.s.ptr, v->u.s.len, &u, &sc))
                return bad_text(err, v, to);
            return to_decimal(u, sc, to, out, err);
        }
        }
        break;
    case SL_STRING:
        if (v->kind != SL_BYTES)
            return cast_to_string(v, from, a, out);
        break;
    case SL_BOOLEAN:
        if (v->kind == SL_BOOLEAN) {
            *out = *v;
            return 0;
        }
        if (v->kind == SL_STRING) {
            bool b;
            if (!parse_bool(v->u.s.ptr, v->u.s.len, &b))
                return bad_text(err, v, to);
            *out = sl_bool(b);
            return 0;
        }
        break;
    case SL_TIMESTAMP:
        if (v->kind == SL_TIMESTAMP) {
            *out = *v;
            return 0;
        }
        if (v->kind == SL_DATE) {
            *out = sl_timestamp((int64_t)v->u.i32 * 86400000);
            return 0;
        }
        if (v->kind == SL_STRING) {
            int64_t ms;
            if (!sl_timestamp_parse(v->u.s.ptr, v->u.s.len, &ms))
                return bad_text(err, v, to);
            *out = sl_timestamp(ms);
            return 0;
        }
        break;
    case SL_DATE:
        if (v->kind == SL_DATE) {
            *out = *v;
            return 0;
        }
        if (v->kind == SL_TIMESTAMP) {
            int64_t ms = v->u.i64, d = ms / 86400000;
            if (ms % 86400000 < 0)
                d--;
            if (d < INT32_MIN || d > INT32_MAX)
                return range_err(err, v, to);
            *out = sl_date((int32_t)d);
            return 0;
        }
        if (v->kind == SL_STRING) {
            int32_t d;
            if (!sl_date_parse(v->u.s.ptr, v->u.s.len, &d))
                return bad_text(err, v, to);
            *out = sl_date(d);
            return 0;
        }
        break;
    case SL_TIME:
        if (v->kind == SL_TIME) {
            *out = *v;
            return 0;
        }
        if (v->kind == SL_TIMESTAMP) {
            int64_t r = v->u.i64 % 86400000;
            if (r < 0)
                r += 86400000;
            *out = sl_time((int32_t)r);
            return 0;
        }
        if (v->kind == SL_STRING) {
            int32_t ms;
            if (!sl_time_parse(v->u.s.ptr, v->u.s.len, &ms))
                return bad_text(err, v, to);
            *out = sl_time(ms);
            return 0;
        }
        break;
    case SL_BYTES:
        if (v->kind == SL_BYTES) {
            *out = *v;
            return 0;
        }
        break;
    case SL_ARRAY:
        if (v->kind == SL_ARRAY) {
            const sl_type *fe = from && from->kind == SL_ARRAY ? from->elem : NULL;
            sl_value r = sl_array_new(a, v->u.arr.n);
            for (uint32_t i = 0; i < v->u.arr.n; i++)
                if (sl_value_cast(&v->u.arr.items[i], fe, to->elem, a, &r.u.arr.items[i], err))
                    return -1;
            *out = r;
            return 0;
        }
        break;
    case SL_MAP:
        if (v->kind == SL_MAP) {
            const sl_type *fk = from && from->kind == SL_MAP ? from->key : NULL;
            const sl_type *fv = from && from->kind == SL_MAP ? from->elem : NULL;
            sl_value r = sl_map_new(a, v->u.map.n);
            for (uint32_t i = 0; i < v->u.map.n; i++)
                if (sl_value_cast(&v->u.map.keys[i], fk, to->key, a, &r.u.map.keys[i], err) ||
                    sl_value_cast(&v->u.map.vals[i], fv, to->elem, a, &r.u.map.vals[i], err))
                    return -1;
            *out = r;
            return 0;
        }
        break;
    case SL_STRUCT:
        if (v->kind == SL_STRUCT) {
            sl_value r = sl_struct_new(a, (uint32_t)to->nfields);
            for (int i = 0; i < to->nfields; i++) {
                int idx;
                const sl_field *f = field_named(from, to->fields[i].name, &idx);
                if (!f || (uint32_t)idx >= v->u.st.n)
                    continue;   /* stays NULL */
                if (sl_value_cast(&v->u.st.fields[idx], f->type, to->fields[i].type, a,
                                  &r.u.st.fields[i], err))
                    return -1;
            }
            *out = r;
            return 0;
        }
        break;
    default:
        break;
    }
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "cannot cast ");
    sl_buf_puts(&b, sl_kind_name((sl_kind)v->kind));
    sl_buf_puts(&b, " to ");
    sl_type_format(&b, to);
    cast_err(err, "%s", sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return -1;
}
