/*
 * schema.h: the columns a row has, as the analyzer and the runtime see them.
 *
 * A row is an array of values indexed by column position; the key columns
 * come first, then value columns (ksqlDB's order), then headers. Column
 * names are normalised identifiers. A schema lives in the arena of its
 * owner (catalog entry, plan).
 */
#ifndef SL_SCHEMA_H
#define SL_SCHEMA_H

#include "types.h"
#include "value.h"

typedef enum sl_colkind { SL_COLK_VALUE = 0, SL_COLK_KEY, SL_COLK_HEADERS, SL_COLK_HEADER } sl_colkind;

typedef struct sl_column {
    const char *name;
    const sl_type *type;
    sl_colkind kind;
    const char *header_key;     /* SL_COLK_HEADER */
    const char *qualifier;      /* the source or alias that provides it, for joins; may be NULL */
} sl_column;

typedef struct sl_schema {
    int ncols;
    sl_column *cols;
} sl_schema;

/* Index of the column, or -1. -2 when the name is ambiguous (qualifier NULL and
 * several sources provide it). Names compare exactly (they are normalised). */
int sl_schema_find(const sl_schema *s, const char *qualifier, const char *name);

/*
 * A row being evaluated. Pseudocolumns come from the record, not from the
 * schema: ROWTIME, ROWPARTITION, ROWOFFSET, WINDOWSTART, WINDOWEND.
 */
typedef struct sl_row {
    const sl_value *cols;       /* schema order */
    int ncols;
    int64_t rowtime;            /* ms */
    int32_t partition;
    int64_t offset;
    bool windowed;
    int64_t window_start, window_end;
} sl_row;

#endif
