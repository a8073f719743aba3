/*
 * operator.h: the small interface every operator implements, and the batch
 * they pass along.
 *
 * A task (runtime.c) owns a chain of operators made once per task: source
 * (decode records into rows), filter (WHERE), rekey (PARTITION BY), project
 * (the select list), aggregate (GROUP BY), sink (encode and append, or hand
 * rows to a callback); or, for the two stages of a repartitioned
 * aggregation, source .. project then repartition-out, and repartition-in,
 * aggregate, sink.
 * A batch goes through the chain with sl_op_push; each operator works on
 * the batch in place (filter drops rows, project fills output values) and
 * may fail single rows: the row is dropped and reported through the
 * batch's fail callback (the runtime counts it and writes the processing
 * log). A push returns -1 only on errors the task cannot get past (the log
 * refused an append); the runtime then aborts the batch.
 *
 * Memory: everything a push makes lives in the batch arena, reset by the
 * runtime after the batch commits. An operator's own state (decoders,
 * encoders, buffers) is made in its _new and released by close.
 *
 * Does not: read or commit (the runtime does), know SQL text or the catalog.
 */
#ifndef SL_OPERATOR_H
#define SL_OPERATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/arena.h"
#include "engine/agg.h"
#include "engine/datetime.h"
#include "engine/error.h"
#include "engine/expr.h"
#include "engine/schema.h"
#include "engine/window.h"
#include "formats/format.h"
#include "log/log.h"

typedef enum sl_fail_kind {
    SL_FAIL_DESERIALIZATION,
    SL_FAIL_EVALUATION,
    SL_FAIL_SERIALIZATION,
    SL_FAIL_LATE,               /* a record for a closed window: dropped (counted in late) */
    SL_FAIL_KEY,                /* a NULL GROUP BY value or table key: dropped (counted in failed) */
    SL_FAIL_BOUND,              /* an aggregate left out a value past its bound: the record
                                   itself went through (counted by the aggregate operator) */
    SL_FAIL_RETENTION,          /* records the topic's retention deleted before the query read
                                   them (one entry per gap, counted in failed per record) */
    SL_FAIL_PRODUCTION          /* the log refused an output record (SL_ERR_REFUSED: on Kafka
                                   its timestamp): not written, counted in failed */
} sl_fail_kind;

const char *sl_fail_kind_name(sl_fail_kind k);  /* "DESERIALIZATION" ... */

/* One row of a batch. */
typedef struct sl_brow {
    sl_row in;                  /* the decoded input row: input schema order, pseudocolumns */
    sl_value *out;              /* the output row: output schema order (project / rekey fill it) */
    const sl_record *rec;       /* the record it came from */
    bool tombstone;             /* tables: the key's row is deleted (null value written) */
    bool unkept;                /* tables: written to the topic, not kept for pull queries
                                   (a final row whose window has already expired) */
    const sl_rawtext *raw;      /* NULL, or per value column of the input (in their order):
                                   the value's input text (sl_decode_raw), for the sink's
                                   pass-through (sl_op_set_passthrough) */
} sl_brow;

typedef struct sl_batch sl_batch;
/* Called once per failed row; the row is dropped by the operator. */
typedef void (*sl_fail_cb)(void *ud, sl_batch *b, const sl_record *rec, sl_fail_kind kind,
                           const char *message);

struct sl_batch {
    sl_arena *arena;            /* the batch arena */
    const sl_record *recs;      /* input records */
    int nrecs;
    sl_brow *rows;              /* live rows, after each operator */
    int n;
    int nout;                   /* output columns (for project / rekey) */
    int nkey;                   /* of which keys: the only ones evaluated for tombstone rows */
    sl_fail_cb fail;
    void *fail_ud;
    sl_value *slots;            /* lambda slots for evaluation */
    int nslots;
    /* counters for this batch */
    uint64_t filtered;          /* dropped by WHERE */
    uint64_t skipped;           /* null-value records (tombstones) */
    uint64_t failed;            /* dropped with a processing-log entry */
    uint64_t emitted;           /* written by the sink */
    uint64_t late;              /* dropped: their windows had closed */
    bool stop;                  /* set by a sink that wants no more rows (LIMIT, callback) */
};

/* Reports the failure of row i (counts it, calls b->fail); the calling
 * operator then drops the row. */
void sl_batch_fail(sl_batch *b, int i, sl_fail_kind kind, const char *message);
/* Evaluates exprs[from, to) of every row into row->out[from, to); a row whose
 * evaluation fails is reported (EVALUATION, naming `what` and the column's
 * position) and dropped. Shared by project and rekey. */
void sl_batch_eval_columns(sl_batch *b, sl_cexpr *const *exprs, int from, int to,
                           const char *what);
/* A late record: counted in late (not failed) and handed to b->fail. */
void sl_batch_late(sl_batch *b, const sl_record *rec, const char *message);
/* The same for a record that never became a row (decode errors). */
void sl_batch_fail_record(sl_batch *b, const sl_record *rec, sl_fail_kind kind,
                          const char *message);

typedef struct sl_operator sl_operator;
typedef struct sl_op_vtab {
    const char *name;
    int (*push)(sl_operator *op, sl_batch *b, sl_error *err);
    int (*flush)(sl_operator *op, sl_batch *b, sl_error *err);   /* may be NULL: stateless */
    void (*close)(sl_operator *op);
} sl_op_vtab;

struct sl_operator {
    const sl_op_vtab *vt;
};

static inline int sl_op_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    return op->vt->push(op, b, err);
}
static inline int sl_op_flush(sl_operator *op, sl_batch *b, sl_error *err)
{
    return op->vt->flush ? op->vt->flush(op, b, err) : 0;
}
static inline void sl_op_close(sl_operator *op)          /* accepts NULL */
{
    if (op)
        op->vt->close(op);
}

/* ---- source: records -> input rows ---- */

typedef struct sl_source_spec {
    const sl_schema *schema;    /* the input schema: key, value and header columns */
    const bool *wanted;         /* per column; NULL: all */
    sl_format_opts key_opts;
    sl_format_opts value_opts;
    int ts_col;                 /* event-time column, -1: the record timestamp */
    const sl_dtfmt *ts_fmt;     /* for a VARCHAR event-time column */
    bool skip_null_values;      /* streams: a null value is a tombstone, skipped and counted */
} sl_source_spec;

/* Makes the format options of a source's key or value (KEY_FORMAT, VALUE_FORMAT,
 * VALUE_DELIMITER, WRAP_SINGLE_VALUE). -1 with err on a bad format. */
int sl_op_format_opts(const char *format, const char *delimiter, int wrap, bool is_key,
                      sl_format_opts *out, sl_error *err);

/* Decoders are made here, once; the spec's schema must outlive the operator. */
sl_operator *sl_op_source_new(const sl_source_spec *spec, sl_error *err);
/* Fills b->rows from b->recs (the first operator of a chain). */

/* ---- filter: WHERE ---- */
sl_operator *sl_op_filter_new(const sl_cexpr *where);

/* ---- rekey: PARTITION BY, writes output key columns out[0..nkeys) ---- */
sl_operator *sl_op_rekey_new(sl_cexpr *const *key_exprs, int nkeys);

/* ---- project: output columns out[first..nout) ---- */
sl_operator *sl_op_project_new(sl_cexpr *const *exprs, int first, int nout);

/* ---- table: a TABLE input without aggregation ---- */

/* Rows of a table's deleted keys (null values) and, with where set, rows
 * that fail WHERE become tombstones (ksqlDB's table filter): the key's row
 * leaves the result. */
sl_operator *sl_op_table_filter_new(const sl_cexpr *where);

/* ---- aggregate: GROUP BY, windows, HAVING and the projection of agg rows ---- */

/*
 * Consumes rows whose out[0..npre) hold the GROUP BY values and the
 * aggregate arguments (a project operator computes them), keeps one state
 * per group (and window) in a state store (state/store.h), and produces
 * result rows: out[0..nout) = out_expr over the agg row (GROUP BY values,
 * then aggregate results; rowtime = the largest timestamp aggregated;
 * windowed rows carry their window), or tombstones (HAVING false, a session
 * merged away). With cache_off every update is produced by push; else
 * updates are collected and produced once per group by flush (the end of a
 * batch). EMIT FINAL produces a window's row once, when stream time closes
 * it. Late records are dropped and reported (sl_batch_late).
 */
typedef struct sl_aggregate_spec {
    int ngroup;
    const sl_column *group_cols;    /* names and types of the GROUP BY values */
    sl_format_opts key_opts;        /* the key format: store keys are the output keys */
    int nagg;
    sl_agg *const *aggs;
    const int *agg_arg0, *agg_nargs;
    const sl_type *const *const *agg_argtype;
    const bool *const *agg_cast;
    const sl_schema *agg_schema;
    const sl_window_spec *win;      /* kind SL_WIN_NONE: not windowed */
    bool emit_final;
    bool table_in;                  /* the input is a TABLE: retract a key's old row first
                                       (repartition out: keep each key's row to retract it) */
    bool retract_in;                /* rows come as additions and retractions (tombstone
                                       set): stage 2 of a TABLE's repartitioned aggregation */
    int npre;
    const sl_type *const *pre_types; /* npre: GROUP BY values and arguments (table_in rows) */
    const sl_cexpr *having;         /* NULL: none */
    sl_cexpr *const *out_expr;
    int nout, nkey;
    sl_log *log;
    const char *store_name;         /* e.g. the query id; its stores are "<name>/agg", "<name>/rows" */
    int32_t partition;              /* the task's */
    size_t cache_bytes;             /* the store cache bound */
    bool cache_off;                 /* produce every update (no record cache) */
    const char *mat_space;          /* the sink's materialization, to delete expired windows */
    const char *mat_prefix;
    size_t mat_prefix_len;
} sl_aggregate_spec;

sl_operator *sl_op_aggregate_new(const sl_aggregate_spec *spec, sl_error *err);
/* The batch's transaction (NULL: transient, nothing is ever written). */
void sl_op_aggregate_set_txn(sl_operator *op, sl_log_txn *txn);
/* After an aborted batch: state back to what is committed. */
int sl_op_aggregate_discard(sl_operator *op, sl_error *err);
/* Moves stream time forward to t (never back): windows it closes are
 * produced by the next flush. Returns whether it moved. */
bool sl_op_aggregate_advance(sl_operator *op, int64_t t);
/* Stream time (largest timestamp seen), and groups / windows held. */
typedef struct sl_aggregate_stats {
    int64_t stream_time;
    uint64_t keys_cached, cache_bytes, windows_indexed;
    uint64_t late_window_updates;   /* hopping windows of accepted records skipped: closed */
    uint64_t values_dropped;        /* aggregate inputs past a bound (sl_agg_state_dropped) */
} sl_aggregate_stats;
void sl_op_aggregate_stats(const sl_operator *op, sl_aggregate_stats *out);
/* Whether the operator's state caches are past their bound: its owner
 * should flush (commit) now rather than at the end of its interval. */
bool sl_op_aggregate_cache_full(const sl_operator *op);

/* ---- repartition: the two stages of an aggregation (repartition.c) ---- */

/*
 * Stage 1's last operator: appends each row (out[0..npre): the GROUP BY
 * values and arguments of spec) to topic in the transaction set with
 * sl_op_repartition_set_txn, keyed by the GROUP BY values in
 * spec->key_opts (partition -1: by that key), with its event time. Rows
 * with a NULL GROUP BY value are reported (SL_FAIL_KEY) and dropped.
 * spec->table_in: the rows are a TABLE's changes; each key's last row is
 * kept (store "<spec->store_name>/rows" of spec->partition, on spec->log,
 * flushed into the transaction every batch) and a change first appends the
 * retraction of the old row (to the old group), then the new row; a
 * tombstone only the retraction. Counts what it wrote in b->emitted.
 */
sl_operator *sl_op_repartition_out_new(const char *topic, const sl_aggregate_spec *spec,
                                       sl_error *err);
void sl_op_repartition_set_txn(sl_operator *op, sl_log_txn *txn);
/* After an aborted batch: the kept rows back to what is committed. */
int sl_op_repartition_discard(sl_operator *op, sl_error *err);
/* Stage 2's first operator: records written by the above -> rows with
 * out[0..npre) and their event time, for the aggregate operator; a
 * retraction is a row with tombstone set (for spec->retract_in). */
sl_operator *sl_op_repartition_in_new(int npre, const sl_type *const *pre_types, sl_error *err);

/* ---- sink ---- */

/* Encodes out[0..nkey) with the key format and out[nkey..nout) with the
 * value format, and appends to topic in the batch's transaction (set with
 * sl_op_sink_set_txn before each push), partition -1 (by key), timestamp =
 * the row's event time. cols: the sink's key then value columns. */
sl_operator *sl_op_sink_log_new(const char *topic, const sl_column *cols, int nkey, int nout,
                          const sl_format_opts *key_opts, const sl_format_opts *value_opts,
                          sl_error *err);
void sl_op_sink_set_txn(sl_operator *sink, sl_log_txn *txn);
/*
 * For sinks that write a TABLE: keys of windowed rows (row->in.windowed)
 * are written as ksqlDB writes windowed keys (window.h, kind wkind); with
 * mat_space non-NULL every record written is also put (its value bytes) or
 * deleted (a tombstone) under mat_prefix + key bytes in that raw keyspace,
 * in the same transaction: the materialization pull queries read. A row
 * with tombstone set is written with a null value.
 */
void sl_op_sink_set_table(sl_operator *sink, sl_window_kind wkind, const char *mat_space,
                          const char *mat_prefix, size_t mat_prefix_len);

/*
 * Pass-through of unchanged values (format.h, sl_rawtext): out_src_col[j]
 * (per output column; NULL: none) is the input column that output column j
 * is a plain reference to, or -1. For each value column j of the sink
 * whose input column i is a value column of the same type, with JSON the
 * value format of both the source and the sink (and the source's values
 * borrowing from the records), the source (ops[0]) keeps the input text of
 * i and the sink (ops[nops - 1]) writes it for j instead of rendering the
 * value (the same bytes). Does nothing for other chains or when no column
 * qualifies. out_cols: the sink's nout columns (key then value), as given
 * to sl_op_sink_log_new. Call once, after the chain is built.
 */
void sl_op_set_passthrough(sl_operator *const *ops, int nops, const int *out_src_col,
                           const sl_column *out_cols, int nout);
/* The sink's half of it: raw_pos[o] (per output column) is the position
 * among the input's value columns of the text to write for output column
 * o, or -1. False (and nothing set) unless sink is a log sink with a JSON
 * value format, nout output columns, and some value column has text. */
bool sl_op_sink_use_raw(sl_operator *sink, const int *raw_pos, int nout);

/* Calls cb per row (schema = the output schema) until limit rows (-1: no
 * limit) or cb returns nonzero; then sets b->stop. */
typedef int (*sl_op_row_cb)(void *ud, const sl_schema *schema, const sl_row *row);
sl_operator *sl_op_sink_cb_new(const sl_schema *schema, int limit, sl_op_row_cb cb, void *ud);
/* Rows delivered so far by a callback sink. */
int64_t sl_op_sink_cb_count(const sl_operator *sink);

#endif
