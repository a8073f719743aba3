/*
 * buf.h: a growable byte buffer on the heap, always NUL-terminated.
 * Used for rendering output, error messages and JSON. sl_buf_fini frees.
 */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <stddef.h>
#include <stdarg.h>

typedef struct sl_buf {
    char *data;     /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
} sl_buf;

#define SL_BUF_INIT {NULL, 0, 0}

void sl_buf_init(sl_buf *b);
void sl_buf_fini(sl_buf *b);
void sl_buf_reset(sl_buf *b);                       /* len = 0, keeps memory */
void sl_buf_append(sl_buf *b, const char *s, size_t n);
void sl_buf_puts(sl_buf *b, const char *s);
void sl_buf_putc(sl_buf *b, char c);
void sl_buf_printf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_buf_vprintf(sl_buf *b, const char *fmt, va_list ap);
void sl_buf_json_string(sl_buf *b, const char *s, size_t n); /* "..." with JSON escapes */
const char *sl_buf_cstr(sl_buf *b);                 /* never NULL */

#endif
