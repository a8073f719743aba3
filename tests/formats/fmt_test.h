/*
 * fmt_test.h: helpers for the formats/ suites: an unambiguous text of a
 * decoded value that names its kind (so a test sees an INT from a BIGINT),
 * and small builders of columns and types.
 *
 *   NULL -> null         BOOLEAN -> b:true      INT -> i:5        BIGINT -> l:5
 *   DOUBLE -> d:1.5      DECIMAL -> n:12.50     STRING -> s'abc' (a NUL as \0)  BYTES -> x:<hex>
 *   TIMESTAMP -> ts:5    DATE -> dt:5           TIME -> tm:5
 *   ARRAY -> [a,b]       MAP -> {k=v,...}       STRUCT -> (a,b)
 */
#ifndef FMT_TEST_H
#define FMT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/buf.h"
#include "engine/value.h"
#include "formats/format.h"

static void show_into(sl_buf *b, const sl_value *v)
{
    switch (v->kind) {
    case SL_NULL: sl_buf_puts(b, "null"); break;
    case SL_BOOLEAN: sl_buf_printf(b, "b:%s", v->u.b ? "true" : "false"); break;
    case SL_INT: sl_buf_printf(b, "i:%d", v->u.i32); break;
    case SL_BIGINT: sl_buf_printf(b, "l:%lld", (long long)v->u.i64); break;
    case SL_DOUBLE: sl_buf_printf(b, "d:%.17g", v->u.d); break;
    case SL_DECIMAL:
        sl_buf_puts(b, "n:");
        sl_decimal_format(b, v->u.dec, v->scale);
        break;
    case SL_STRING:
        sl_buf_puts(b, "s'");
        for (uint32_t i = 0; i < v->u.s.len; i++) {
            if (v->u.s.ptr[i] == '\0')
                sl_buf_puts(b, "\\0");      /* a NUL shows as \0 */
            else
                sl_buf_putc(b, v->u.s.ptr[i]);
        }
        sl_buf_puts(b, "'");
        break;
    case SL_BYTES:
        sl_buf_puts(b, "x:");
        for (uint32_t i = 0; i < v->u.s.len; i++)
            sl_buf_printf(b, "%02x", (unsigned char)v->u.s.ptr[i]);
        break;
    case SL_TIMESTAMP: sl_buf_printf(b, "ts:%lld", (long long)v->u.i64); break;
    case SL_DATE: sl_buf_printf(b, "dt:%d", v->u.i32); break;
    case SL_TIME: sl_buf_printf(b, "tm:%d", v->u.i32); break;
    case SL_ARRAY:
        sl_buf_putc(b, '[');
        for (uint32_t i = 0; i < v->u.arr.n; i++) {
            if (i)
                sl_buf_putc(b, ',');
            show_into(b, &v->u.arr.items[i]);
        }
        sl_buf_putc(b, ']');
        break;
    case SL_MAP:
        sl_buf_putc(b, '{');
        for (uint32_t i = 0; i < v->u.map.n; i++) {
            if (i)
                sl_buf_putc(b, ',');
            show_into(b, &v->u.map.keys[i]);
            sl_buf_putc(b, '=');
            show_into(b, &v->u.map.vals[i]);
        }
        sl_buf_putc(b, '}');
        break;
    case SL_STRUCT:
        sl_buf_putc(b, '(');
        for (uint32_t i = 0; i < v->u.st.n; i++) {
            if (i)
                sl_buf_putc(b, ',');
            show_into(b, &v->u.st.fields[i]);
        }
        sl_buf_putc(b, ')');
        break;
    default: sl_buf_printf(b, "?%d", v->kind);
    }
}

/* Text of n values joined by " | ", in a static buffer. */
static const char *show_row(const sl_value *v, int n)
{
    static char out[4096];
    sl_buf b = SL_BUF_INIT;
    for (int i = 0; i < n; i++) {
        if (i)
            sl_buf_puts(&b, " | ");
        show_into(&b, &v[i]);
    }
    snprintf(out, sizeof out, "%s", sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return out;
}

static sl_column col(const char *name, const sl_type *t)
{
    sl_column c = {name, t, SL_COLK_VALUE, NULL, NULL};
    return c;
}

/* Decodes `len` bytes from a heap copy of exactly that size, so that a read
 * past the end is caught by AddressSanitizer. */
static int decode_exact(sl_decoder *d, const void *data, size_t len, sl_arena *a, sl_value *out,
                        sl_error *err)
{
    void *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    int rc = sl_decode(d, copy, len, a, out, err);
    free(copy);
    return rc;
}

#endif
