/*
 * error.c: errors with locations, and their rendering with a caret.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sl_error_clear(sl_error *e)
{
    e->code = SL_OK;
    e->span = SL_NOSPAN;
    e->msg[0] = '\0';
}

int sl_error_set(sl_error *e, sl_errcode code, sl_span span, const char *fmt, ...)
{
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    e->code = code;
    e->span = span;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

sl_span sl_span_join(sl_span a, sl_span b)
{
    if (a.off == SL_NOPOS)
        return b;
    if (b.off == SL_NOPOS)
        return a;
    uint32_t lo = a.off < b.off ? a.off : b.off;
    uint32_t ea = a.off + a.len, eb = b.off + b.len;
    uint32_t hi = ea > eb ? ea : eb;
    return (sl_span){lo, hi - lo};
}

const char *sl_errcode_name(sl_errcode c)
{
    switch (c) {
    case SL_OK: return "ok";
    case SL_ERR_SYNTAX: return "syntax error";
    case SL_ERR_ANALYSIS: return "error";
    case SL_ERR_EVAL: return "evaluation error";
    case SL_ERR_IO: return "i/o error";
    case SL_ERR_UNSUPPORTED: return "not supported";
    case SL_ERR_INTERNAL: return "internal error";
    case SL_ERR_REFUSED: return "record refused";
    }
    return "error";
}

void sl_text_position(const char *text, size_t len, uint32_t off, int *line, int *col)
{
    int l = 1, c = 1;
    if (off > len)
        off = (uint32_t)len;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            c++;    /* columns count characters, not UTF-8 continuation bytes */
        }
    }
    *line = l;
    *col = c;
}

void sl_error_render(sl_buf *out, const sl_error *e, const char *text, size_t len,
                     const char *name)
{
    if (!name)
        name = "<input>";
    if (!text || e->span.off == SL_NOPOS || e->span.off > len) {
        sl_buf_printf(out, "%s: %s: %s\n", name, sl_errcode_name(e->code), e->msg);
        return;
    }
    int line, col;
    sl_text_position(text, len, e->span.off, &line, &col);
    sl_buf_printf(out, "%s:%d:%d: %s: %s\n", name, line, col, sl_errcode_name(e->code), e->msg);

    size_t start = e->span.off;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    size_t end = start;
    while (end < len && text[end] != '\n' && text[end] != '\r')
        end++;
    char num[16];
    int w = snprintf(num, sizeof num, "%d", line);
    sl_buf_printf(out, "  %s | ", num);
    /* tabs stay tabs so the caret line lines up in a terminal */
    sl_buf_append(out, text + start, end - start);
    sl_buf_putc(out, '\n');
    sl_buf_printf(out, "  %*s | ", w, "");
    for (size_t i = start; i < e->span.off; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            sl_buf_putc(out, text[i] == '\t' ? '\t' : ' ');
    size_t carets = e->span.len ? e->span.len : 1;
    if (e->span.off + carets > end)
        carets = end > e->span.off ? end - e->span.off : 1;
    for (size_t i = 0; i < carets; i++)
        sl_buf_putc(out, '^');
    sl_buf_putc(out, '\n');
}
