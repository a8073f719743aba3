/*
 * error.h: errors as values carrying a location.
 *
 * Functions that can fail return a status (0 ok, -1 failed) and fill the
 * caller's sl_error. A span is a byte range in the text of the input
 * (the whole script, not one statement), so an error can be rendered
 * with its line, column and a caret under the offending text.
 */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "buf.h"

typedef struct sl_span {
    uint32_t off;   /* byte offset into the input text */
    uint32_t len;   /* 0 with off == SL_NOPOS: no location */
} sl_span;

#define SL_NOPOS UINT32_MAX
#define SL_NOSPAN ((sl_span){SL_NOPOS, 0})

typedef enum sl_errcode {
    SL_OK = 0,
    SL_ERR_SYNTAX,      /* lexer or grammar */
    SL_ERR_ANALYSIS,    /* names, types, functions, catalog checks */
    SL_ERR_EVAL,        /* evaluating a row: overflow, division by zero, bad cast */
    SL_ERR_IO,          /* files, storage */
    SL_ERR_UNSUPPORTED, /* parses, but this build does not execute it yet */
    SL_ERR_INTERNAL,
    SL_ERR_REFUSED      /* a log refused one record (log.h, sl_log_txn_append); the
                           transaction and the rest of its records go on */
} sl_errcode;

typedef struct sl_error {
    sl_errcode code;
    sl_span span;
    char msg[512];
} sl_error;

void sl_error_clear(sl_error *e);
/* Sets code, span and message; returns -1 so callers can `return sl_error_set(...)`. */
int sl_error_set(sl_error *e, sl_errcode code, sl_span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
sl_span sl_span_join(sl_span a, sl_span b);   /* smallest span covering both */
const char *sl_errcode_name(sl_errcode c);

/* Line (1-based) and column (1-based, in bytes) of byte offset `off`. */
void sl_text_position(const char *text, size_t len, uint32_t off, int *line, int *col);

/*
 * Renders e as
 *     <name>:LINE:COLUMN: error: MESSAGE
 *       LINE | text of the line
 *            |     ^^^^
 * `name` may be NULL ("<input>"). Without a span only the message is written.
 */
void sl_error_render(sl_buf *out, const sl_error *e, const char *text, size_t len,
                     const char *name);

#endif
