/*
 * plan_internal.h: the inside of a plan (plan.h), for the runtime only.
 *
 * A plan is data: copies of the input (and sink) source descriptions, the
 * compiled expressions and the output schema, all in the plan's arena. The
 * runtime (runtime.c) reads these fields to build the operators of each
 * task; nothing here is modified after sl_plan_bind_sink.
 */
#ifndef SL_PLAN_INTERNAL_H
#define SL_PLAN_INTERNAL_H

#include "datetime.h"
#include "expr.h"
#include "plan.h"

struct sl_plan {
    sl_arena *arena;
    const char *query_id;
    sl_offset_reset reset;
    int limit;                  /* -1: none */

    sl_source input;            /* deep copy; schema qualifiers set to the FROM name/alias */
    bool *wanted;               /* per input column: read by the query */
    int ts_col;                 /* TIMESTAMP column index in the input schema, -1: record time */
    const sl_dtfmt *ts_fmt;     /* TIMESTAMP_FORMAT, compiled; NULL: none */

    sl_cexpr *where;            /* NULL: none */
    const char *where_text;

    bool partitioned;           /* PARTITION BY given */
    int npart;                  /* PARTITION BY expressions (0 for PARTITION BY NULL) */
    const char **part_text;

    sl_schema out;              /* key columns first, then value columns */
    int nkey;
    sl_cexpr **out_expr;        /* per output column */
    const char **out_text;      /* per output column: the expression as SQL */
    int *select_order;          /* i-th SELECT item -> its output column */
    bool log_rows;              /* sl_plan_opts.log_rows */
    char missing_key[256];      /* non-empty: a key is not in the projection (persistent: error) */
    sl_span missing_span;

    sl_source *sink;            /* NULL: transient */

    sl_cexpr **all;             /* every compiled expression, for release */
    int nall, capall;
    int nslots;                 /* lambda slots the largest expression needs */
};

#endif
