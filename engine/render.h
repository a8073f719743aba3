/*
 * render.h: how statement results and errors are written.
 *
 * The executor describes every result with one small model (sl_result): a
 * status message, labelled fields ("Name : X"), a table of typed cells, and
 * child results (DESCRIBE STREAMS). render.c writes it either as an aligned
 * text table with `+---+` borders, as ksqlDB's CLI shows results, or as one
 * JSON document per statement (one line), shaped like ksqlDB's REST API
 * responses so the server can reuse it.
 *
 * Does not evaluate or format values itself (sl_value_render does), and
 * does not write to files: everything goes into an sl_buf.
 */
#ifndef SL_RENDER_H
#define SL_RENDER_H

#include <stdbool.h>
#include "buf.h"
#include "error.h"
#include "exec.h"
#include "types.h"
#include "value.h"

/* Where a column or field shows: both modes (0), or only one; and how its
 * JSON member is written. */
enum {
    SL_R_TEXT_ONLY = 1,
    SL_R_JSON_ONLY = 2,
    SL_R_JSON_RAW = 4,          /* the value (a string cell) is JSON text, placed as is:
                                   ksqlDB's nested objects, arrays, numbers and booleans */
    SL_R_OMIT_NULL = 8,         /* a NULL value leaves the member out (ksqlDB's optionals) */
};

typedef struct sl_rcol {
    const char *title;          /* table header, e.g. "Stream Name" */
    const char *key;            /* JSON member name, e.g. "name" */
    const sl_type *type;        /* the cells' type (for rendering) */
    unsigned flags;             /* SL_R_TEXT_ONLY, SL_R_JSON_ONLY */
} sl_rcol;

typedef struct sl_rfield {
    const char *label;          /* text mode: "Kafka topic" */
    const char *key;            /* JSON member name: "topic" */
    const char *value;          /* NULL: JSON null, text "" */
    unsigned flags;             /* SL_R_TEXT_ONLY, SL_R_JSON_ONLY */
} sl_rfield;

typedef struct sl_result sl_result;
struct sl_result {
    const char *type;           /* JSON "@type": "currentStatus", "rows", "streams" ... */
    const char *statement;      /* JSON "statementText" */
    const char *body_key;       /* JSON: the members other than @type, statementText and
                                   warnings go in an object under this key, as ksqlDB nests
                                   "sourceDescription"; a child with one is that object */
    const char *message;        /* a status line, or NULL */
    const sl_rfield *fields;    /* label : value lines before the table */
    int nfields;
    const char *rows_key;       /* JSON member holding the rows; NULL: no table */
    const sl_rcol *cols;
    int ncols;
    const sl_value *cells;      /* nrows * ncols, row-major */
    int nrows;
    bool rows_as_arrays;        /* JSON rows as arrays plus a "columns" schema (queries);
                                   otherwise one object per row keyed by sl_rcol.key */
    const char *children_key;   /* JSON member holding the children */
    const sl_result *children;  /* each rendered in turn (text), or as objects (JSON) */
    int nchildren;
    const char *footer;         /* text mode only: a line after the table */
};

/* Appends r in the given mode (JSON: one line ending in '\n'). */
void sl_render_result(sl_buf *out, const sl_result *r, sl_output mode);

/*
 * Appends an error: text mode as sl_error_render (line, column, caret);
 * JSON mode as {"@type":"statement_error","error_code":40001,"message":...,
 * "statementText":...,"line":L,"column":C} (50000 for internal and I/O errors).
 */
void sl_render_error(sl_buf *out, const sl_error *e, const char *text, size_t len,
                     const char *srcname, const char *stmt_text, sl_output mode);

/* ksqlDB's SchemaInfo of t: {"type":"INTEGER","fields":null,"memberSchema":null},
 * with the fields of a STRUCT, the member of an ARRAY or MAP, and a DECIMAL's
 * precision and scale as "parameters". */
void sl_render_schema_json(sl_buf *out, const sl_type *t);

/* An aligned text table with `+---+` borders; cells are already text. */
void sl_render_text_table(sl_buf *out, const char *const *titles, int ncols,
                          const char *const *cells, int nrows);

/* Display width of UTF-8 text (code points; invalid bytes count one each). */
size_t sl_render_width(const char *s);

#endif
