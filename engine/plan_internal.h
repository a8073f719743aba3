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

#include "agg.h"
#include "datetime.h"
#include "expr.h"
#include "plan.h"
#include "window.h"

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
    int *out_src_col;           /* per output column: the input column it is a plain reference
                                   to, -1: computed; NULL (aggregations): none. For the sink's
                                   pass-through of unchanged values (sl_op_set_passthrough) */
    bool log_rows;              /* sl_plan_opts.log_rows */
    char missing_key[256];      /* non-empty: a key is not in the projection (persistent: error) */
    sl_span missing_span;

    sl_source *sink;            /* NULL: transient */

    /*
     * Tables. table_in: the input is a TABLE (a null value deletes its key;
     * a stateless query turns rows failing WHERE into deletes). table_out:
     * the result is a TABLE (GROUP BY, or a table input).
     */
    bool table_in, table_out;

    /*
     * Aggregation (ngroup > 0). Each input row that passes WHERE is first
     * evaluated into pre[0..npre): the GROUP BY values (pre[0..ngroup)),
     * then every argument of every aggregate call (agg i's at
     * pre[agg_arg0[i] .. + agg_nargs[i]), widened to agg_argtype by the
     * operator when agg_cast says so). The aggregate operator keys its state
     * by the GROUP BY values (and the window), and makes agg rows of
     * agg_schema: the GROUP BY values, then one column per aggregate result.
     * HAVING and out_expr are compiled over agg rows (WINDOWSTART / WINDOWEND
     * and ROWTIME as pseudocolumns).
     */
    int ngroup;
    const char **group_text;
    sl_column *group_cols;      /* name and type of each GROUP BY value (store key encoding) */
    int npre;
    sl_cexpr **pre_expr;
    const sl_type **pre_types;  /* npre: the type of each pre value */
    int nagg;
    sl_agg **aggs;
    const char **agg_text;
    int *agg_arg0, *agg_nargs;
    const sl_type ***agg_argtype; /* per aggregate, per argument: the parameter type */
    bool **agg_cast;            /* per aggregate, per argument: widen pre value to agg_argtype */
    sl_schema agg_schema;
    sl_cexpr *having;           /* NULL: none */
    const char *having_text;
    sl_window_spec win;         /* kind SL_WIN_NONE: not windowed */
    bool emit_final;
    bool group_by_key;          /* GROUP BY names exactly the input's key columns, in order */
    bool cache_off;             /* sl_plan_opts */
    int64_t state_cache_bytes;
    int64_t idle_close_ms;
    int64_t commit_interval_ms; /* sl_plan_opts */

    sl_cexpr **all;             /* every compiled expression, for release */
    int nall, capall;
    int nslots;                 /* lambda slots the largest expression needs */
};

#endif
