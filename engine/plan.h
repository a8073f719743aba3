/*
 * plan.h: from a checked query to an operator pipeline description.
 *
 * A plan is built once from a SELECT (alone, in CREATE ... AS SELECT or in
 * INSERT INTO ... SELECT) and the catalog: which topic and formats to read,
 * how to decode keys, values, headers and the event time, the compiled
 * WHERE, projection and PARTITION BY expressions, the output schema, and
 * where results go. Planning does all name resolution and type checking;
 * the runtime (runtime.h) only runs what the plan says.
 *
 * This milestone plans stateless queries: source -> filter -> project ->
 * [rekey] -> sink. Aggregations, windows and joins are refused with
 * SL_ERR_UNSUPPORTED naming the clause.
 *
 * A plan owns an arena with everything it points to (compiled
 * expressions, schemas, copies of names); sl_plan_free releases it.
 */
#ifndef SL_PLAN_H
#define SL_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include "../grammar/ast.h"
#include "buf.h"
#include "catalog.h"
#include "error.h"
#include "schema.h"
#include "window.h"

typedef struct sl_plan sl_plan;

typedef enum sl_offset_reset { SL_RESET_LATEST, SL_RESET_EARLIEST } sl_offset_reset;

typedef struct sl_plan_opts {
    const char *query_id;       /* e.g. "CSAS_CLICKS_JSON_3"; copied */
    sl_offset_reset reset;      /* where a query with no committed position starts */
    int limit;                  /* -1 unless the statement says LIMIT n (transient queries) */
    bool log_rows;              /* processing-log entries carry the failed record's bytes
                                   (ksql.logging.processing.rows.include) */
    bool cache_off;             /* aggregations emit every update (cache.max.bytes.buffering=0) */
    int64_t state_cache_bytes;  /* bound of each task's state cache; 0: the default */
    int64_t idle_close_ms;      /* > 0: windows close by wall clock after this much idleness */
    int64_t commit_interval_ms; /* aggregations: commit at most this often (commit.interval.ms);
                                   0: SL_COMMIT_INTERVAL_MS; < 0: every batch */
} sl_plan_opts;

/* ksqlDB's default commit.interval.ms */
#define SL_COMMIT_INTERVAL_MS 2000

/*
 * Builds the plan of q (the statement's select), reading from the catalog.
 * Errors carry the span of the offending clause or expression.
 */
sl_plan *sl_plan_build(const sl_catalog *cat, const sl_select *q, const sl_plan_opts *opts,
                       sl_error *err);
void sl_plan_free(sl_plan *p);                      /* accepts NULL */

/* The output name of a select item as ksqlDB names it: the alias, a plain
 * column's name, a struct field's name, else KSQL_COL_<index>. */
const char *sl_plan_item_name(sl_arena *a, const sl_select_item *it, int index);

/* The columns the query produces: key columns first (as ksqlDB: the source's
 * key, or the PARTITION BY expressions), then the projected value columns. */
const sl_schema *sl_plan_output(const sl_plan *p);
/* The output columns in the order the SELECT list names them: (*order)[i] is
 * the output column of the i-th item. Transient results are shown in this
 * order, as ksqlDB shows them; returns the number of columns. */
int sl_plan_select_order(const sl_plan *p, const int **order);
/* The source the query reads. */
const sl_source *sl_plan_input(const sl_plan *p);
const char *sl_plan_query_id(const sl_plan *p);
int sl_plan_limit(const sl_plan *p);
sl_offset_reset sl_plan_reset(const sl_plan *p);

/*
 * Points the plan at the stream it writes (CREATE ... AS SELECT: the one
 * just created from sl_plan_output; INSERT INTO: an existing one, whose
 * schema must match the output's column names and types, checked here with
 * an error naming the first column that differs). Without a sink, results
 * go to the callback given to the runtime (transient queries).
 */
int sl_plan_bind_sink(sl_plan *p, const sl_source *sink, sl_span span, sl_error *err);
/* Whether the plan can run as a persistent query: ksqlDB's "Key missing from
 * projection" rule (the key columns, or the PARTITION BY expressions, must be
 * selected). sl_plan_bind_sink checks it too; call this before creating a
 * CREATE ... AS SELECT sink. 0, or -1 with err (span: the select list). */
int sl_plan_check_persistent(const sl_plan *p, sl_error *err);
const sl_source *sl_plan_sink(const sl_plan *p);    /* NULL for transient queries */
/* Whether the result is a TABLE (GROUP BY, or a table read without one). */
bool sl_plan_produces_table(const sl_plan *p);
/* The window of the result: a windowed aggregation's, or a windowed
 * source's passed through (its size, or the gap of sessions, in *size_ms),
 * or SL_WIN_NONE. */
sl_window_kind sl_plan_window(const sl_plan *p, int64_t *size_ms);
/* The window of a windowed aggregation (grace, retention), or NULL. */
const sl_window_spec *sl_plan_window_spec(const sl_plan *p);

/* EXPLAIN: the steps, one per line, with their expressions and schemas. */
void sl_plan_explain(const sl_plan *p, sl_buf *out);

#endif
