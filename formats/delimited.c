/*
 * delimited.c: the DELIMITED codec (see format.h).
 *
 * Does: RFC 4180 fields by position: a field in double quotes may hold the
 * delimiter, line breaks and doubled quotes (""); a quote inside an unquoted
 * field is taken as it is (as Apache Commons CSV, which ksqlDB uses); one
 * final CRLF, LF or CR ends the record. An empty field (quoted or not) is
 * NULL for every type, as ksqlDB. Values parse as Java does: Integer.parseInt
 * / Long.parseLong for INT, BIGINT and TIMESTAMP / DATE / TIME (ms / days /
 * ms), Double.parseDouble, BigDecimal fitted exactly to the DECIMAL, BOOLEAN
 * true only for "true" in any case, BYTES from base64, STRING checked to be
 * UTF-8. The encoder quotes a field only when it must (delimiter, quote,
 * line break, or spaces at its ends) and writes NULL as an empty field.
 *
 * Does not: nested types (refused by sl_format_check), more than one record
 * per message (anything after the line break is an error, where ksqlDB would
 * silently ignore it), trimming of spaces around fields (ksqlDB does not
 * either). An empty message is one empty field (ksqlDB rejects it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "formats/format_internal.h"

typedef struct ddec {
    const char *what;       /* "DELIMITED key" / "DELIMITED value" */
    char delim;
} ddec;

__attribute__((format(printf, 5, 6)))
static int derr(const ddec *d, sl_error *err, const char *col, size_t at, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (col)
        return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN, "%s, column `%s`: %s (at byte %zu)",
                            d->what, col, msg, at);
    return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN, "%s: %s (at byte %zu)", d->what, msg, at);
}

static int field_value(const ddec *d, const sl_column *c, const char *s, size_t n, size_t at,
                       sl_arena *a, sl_value *out, sl_error *err)
{
    if (n == 0) {
        *out = sl_null();
        return 0;
    }
    const sl_type *t = c->type;
    int64_t v;
    int tn = (int)(n > 60 ? 60 : n);
    switch (t->kind) {
    case SL_BOOLEAN:
        *out = sl_bool(n == 4 && strncasecmp(s, "true", 4) == 0);
        return 0;
    case SL_INT:
    case SL_DATE:
        if (!fmt_parse_java_long(s, n, INT32_MIN, INT32_MAX, &v))
            return derr(d, err, c->name, at, "cannot parse '%.*s' as %s", tn, s,
                        t->kind == SL_INT ? "INTEGER" : "DATE (days since 1970-01-01)");
        *out = t->kind == SL_INT ? sl_int((int32_t)v) : sl_date((int32_t)v);
        return 0;
    case SL_TIME:
        if (!fmt_parse_java_long(s, n, 0, 86399999, &v))
            return derr(d, err, c->name, at,
                        "cannot parse '%.*s' as TIME (milliseconds of the day, 0 to 86399999)",
                        tn, s);
        *out = sl_time((int32_t)v);
        return 0;
    case SL_BIGINT:
    case SL_TIMESTAMP:
        if (!fmt_parse_java_long(s, n, INT64_MIN, INT64_MAX, &v))
            return derr(d, err, c->name, at, "cannot parse '%.*s' as %s", tn, s,
                        t->kind == SL_BIGINT ? "BIGINT" : "TIMESTAMP (milliseconds since epoch)");
        *out = t->kind == SL_BIGINT ? sl_bigint(v) : sl_timestamp(v);
        return 0;
    case SL_DOUBLE: {
        double x;
        if (!fmt_parse_java_double(s, n, &x))
            return derr(d, err, c->name, at, "cannot parse '%.*s' as DOUBLE", tn, s);
        *out = sl_double(x);
        return 0;
    }
    case SL_DECIMAL: {
        sl_int128 u;
        int rc = fmt_parse_decimal_text(s, n, t->precision, t->scale, &u);
        if (rc == FMT_DEC_INEXACT)
            return derr(d, err, c->name, at,
                        "cannot fit decimal '%.*s' into DECIMAL(%d, %d) without rounding", tn, s,
                        t->precision, t->scale);
        if (rc == FMT_DEC_OVERFLOW)
            return derr(d, err, c->name, at,
                        "numeric field overflow: '%.*s' does not fit DECIMAL(%d, %d)", tn, s,
                        t->precision, t->scale);
        if (rc != FMT_DEC_OK)
            return derr(d, err, c->name, at, "cannot parse '%.*s' as DECIMAL(%d, %d)", tn, s,
                        t->precision, t->scale);
        *out = sl_decimal(u, t->precision, t->scale);
        return 0;
    }
    case SL_STRING:
        if (n > UINT32_MAX)
            return derr(d, err, c->name, at, "field too long");
        if (!sl_utf8_valid(s, n))
            return derr(d, err, c->name, at, "invalid UTF-8 in the field");
        *out = sl_string_copy(a, s, n);
        return 0;
    case SL_BYTES: {
        uint8_t *b;
        size_t bn;
        if (!fmt_base64_decode(a, s, n, &b, &bn))
            return derr(d, err, c->name, at, "invalid base64 text for BYTES");
        out->kind = SL_BYTES;
        out->u.s.ptr = (const char *)b;
        out->u.s.len = (uint32_t)bn;
        return 0;
    }
    default:
        return derr(d, err, c->name, at, "type %s cannot be read from DELIMITED",
                    sl_kind_name(t->kind));
    }
}

static int delim_decode(sl_decoder *base, const uint8_t *data, size_t len, sl_arena *a,
                        sl_value *out, sl_error *err)
{
    const ddec *d = base->impl;
    const char *p = (const char *)data, *end = p + len, *start = p;
    const char delim = d->delim;
    int fi = 0;
    for (int i = 0; i < base->ncols; i++)
        out[i] = sl_null();
    for (;;) {
        const char *fs;
        size_t fn;
        const char *field_at = p;
        bool wanted = fi < base->ncols && base->wanted[fi];
        if (p < end && *p == '"') {
            /* quoted: up to a quote that is not doubled */
            const char *q = p + 1;
            bool doubled = false;
            for (;;) {
                const char *e = memchr(q, '"', (size_t)(end - q));
                if (!e)
                    return derr(d, err, NULL, (size_t)(field_at - start),
                                "a quoted field (field %d) is not closed", fi + 1);
                if (e + 1 < end && e[1] == '"') {
                    doubled = true;
                    q = e + 2;
                    continue;
                }
                fs = p + 1;
                fn = (size_t)(e - fs);
                p = e + 1;
                break;
            }
            if (p < end && *p != delim && *p != '\r' && *p != '\n')
                return derr(d, err, NULL, (size_t)(p - start),
                            "unexpected character after the closing quote of field %d", fi + 1);
            if (doubled && wanted && fn) {
                char *u = sl_arena_alloc(a, fn);
                size_t k = 0;
                for (size_t i = 0; i < fn; i++) {
                    u[k++] = fs[i];
                    if (fs[i] == '"')
                        i++;        /* skip the second quote of a pair */
                }
                fs = u;
                fn = k;
            }
        } else {
            const char *q = p;
            while (q < end && *q != delim && *q != '\n' && *q != '\r')
                q++;
            fs = p;
            fn = (size_t)(q - p);
            p = q;
        }
        if (wanted && field_value(d, &base->cols[fi], fs, fn, (size_t)(field_at - start), a,
                                  &out[fi], err) < 0)
            return -1;
        fi++;
        if (p >= end)
            break;
        if (*p == delim) {
            p++;
            continue;
        }
        /* a line break ends the record */
        if (*p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
        if (p != end)
            return derr(d, err, NULL, (size_t)(p - start),
                        "unexpected data after the end of the record (one record per message)");
        break;
    }
    if (fi != base->ncols)
        return derr(d, err, NULL, len, "unexpected field count: the record has %d field%s, the "
                                       "schema %d column%s",
                    fi, fi == 1 ? "" : "s", base->ncols, base->ncols == 1 ? "" : "s");
    return 0;
}

int sl_delimited_decoder_init(sl_decoder *base, sl_error *err)
{
    ddec *d = sl_arena_zalloc(base->arena, sizeof *d);
    d->what = base->opts.is_key ? "DELIMITED key" : "DELIMITED value";
    d->delim = base->opts.delimiter ? base->opts.delimiter : ',';
    base->impl = d;
    base->decode = delim_decode;
    return 0;
}

/* ---- encoding ---- */

static void out_field_string(fmt_out *o, const char *s, size_t n, char delim)
{
    bool quote = n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
    for (size_t i = 0; i < n && !quote; i++)
        if (s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            quote = true;
    if (!quote) {
        fmt_out_bytes(o, s, n);
        return;
    }
    fmt_out_byte(o, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            fmt_out_bytes(o, s + run, i + 1 - run);
            fmt_out_byte(o, '"');
            run = i + 1;
        }
    }
    fmt_out_bytes(o, s + run, n - run);
    fmt_out_byte(o, '"');
}

static int delim_encode(sl_encoder *base, const sl_value *vals, sl_buf *out, sl_error *err)
{
    char delim = base->opts.delimiter ? base->opts.delimiter : ',';
    fmt_out o;
    fmt_out_init(&o, out);
    size_t mark = out->len;
    for (int i = 0; i < base->ncols; i++) {
        if (i)
            fmt_out_byte(&o, delim);
        const sl_value *v = &vals[i];
        const sl_type *t = base->cols[i].type;
        if (v->kind == SL_NULL)
            continue;
        if (v->kind != t->kind) {
            fmt_out_flush(&o);
            out->len = mark;
            if (out->data)
                out->data[mark] = '\0';
            return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                                "DELIMITED: column `%s`: a %s value where %s is expected",
                                base->cols[i].name, sl_kind_name((sl_kind)v->kind),
                                sl_kind_name(t->kind));
        }
        switch (t->kind) {
        case SL_BOOLEAN:
            fmt_out_str(&o, v->u.b ? "true" : "false");
            break;
        case SL_INT:
        case SL_DATE:
        case SL_TIME:
            fmt_out_i64(&o, v->u.i32);
            break;
        case SL_BIGINT:
        case SL_TIMESTAMP:
            fmt_out_i64(&o, v->u.i64);
            break;
        case SL_DOUBLE:
            fmt_out_double(&o, v->u.d);
            break;
        case SL_DECIMAL:
            fmt_out_decimal(&o, v->u.dec, v->scale);
            break;
        case SL_STRING:
            out_field_string(&o, v->u.s.ptr, v->u.s.len, delim);
            break;
        case SL_BYTES:
            fmt_out_base64(&o, (const uint8_t *)v->u.s.ptr, v->u.s.len);
            break;
        default:
            break;      /* nested types are refused at creation */
        }
    }
    fmt_out_flush(&o);
    return 0;
}

int sl_delimited_encoder_init(sl_encoder *base, sl_error *err)
{
    base->encode = delim_encode;
    return 0;
}
