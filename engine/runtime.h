/*
 * runtime.h: running plans.
 *
 * A persistent query runs as one task per input partition (on Kafka, per
 * partition the query's consumer group assigns this worker: workers with
 * one service id share them; see runtime.c). A small pool of
 * threads runs the tasks in the background: a task reads a batch from its
 * partition at its committed position, decodes, filters, projects, rekeys
 * and encodes it, then commits in ONE log transaction the output records,
 * the processing-log entries for records that failed, and its new input
 * position (exactly-once on the embedded log, across kill -9). A query
 * never stops on bad data: a record that fails to decode or evaluate is
 * skipped, counted and written to the processing log.
 *
 * Transient queries (SELECT ... EMIT CHANGES, and pull queries over streams)
 * run on the caller's thread, delivering rows to a callback, never
 * committing positions.
 *
 * The runtime does not know SQL text, the journal or the catalog: the
 * executor starts and stops queries by id.
 */
#ifndef SL_RUNTIME_H
#define SL_RUNTIME_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "../log/log.h"
#include "error.h"
#include "plan.h"
#include "schema.h"

typedef struct sl_runtime sl_runtime;
typedef struct sl_query sl_query;

/* The stream every query writes failed records to, created by the engine. */
#define SL_PROCESSING_LOG_STREAM "KSQL_PROCESSING_LOG"
#define SL_PROCESSING_LOG_TOPIC "sluice_processing_log"    /* on Kafka after the
                                                              service id, as ksqlDB's */
/* The raw keyspace (log.h) where queries that write a TABLE keep its rows
 * for pull queries: key = the sink topic's name, a 0 byte, the record key;
 * value = the record timestamp (8 bytes big-endian) and the value bytes. */
#define SL_MATERIALIZED_SPACE "mat"

typedef struct sl_runtime_opts {
    int threads;                /* worker threads; <= 0: 2 */
    int batch_size;             /* records read per task per batch; <= 0: 1000 */
    bool log_include_rows;      /* processing log carries the failed record's bytes (base64) */
    const char *processing_log_topic;   /* NULL: SL_PROCESSING_LOG_TOPIC; must outlive
                                           the runtime */
} sl_runtime_opts;

typedef enum sl_query_state {
    SL_QUERY_RUNNING, SL_QUERY_PAUSED, SL_QUERY_ERROR, SL_QUERY_STOPPED
} sl_query_state;

typedef struct sl_query_stats {
    sl_query_state state;
    uint64_t records_in;        /* read from the input */
    uint64_t records_out;       /* written to the sink */
    uint64_t records_failed;    /* skipped, each with a processing-log entry */
    uint64_t records_filtered;  /* dropped by WHERE (not failures) */
    int64_t lag;                /* input records not yet processed, summed over partitions */
    uint64_t records_skipped;   /* null values (tombstones) on a stream: skipped, not failures */
    uint64_t records_late;      /* dropped because their windows had closed */
    uint64_t late_window_updates; /* hopping windows skipped (closed) of records that were
                                   added to their open windows */
    uint64_t agg_values_dropped;  /* aggregate inputs left out past a bound (COLLECT_LIST...) */
    int64_t stream_time;        /* aggregations: largest timestamp seen (any task); INT64_MIN: none */
    uint64_t state_keys;        /* aggregations: groups / windows cached in memory */
    uint64_t state_bytes;       /* and their counted bytes */
    char error[256];            /* why the query stopped, in state SL_QUERY_ERROR */
    int partitions;             /* of the input */
    int partitions_owned;       /* ... this worker runs (all but on Kafka with
                                   several workers of one service) */
    char owned[128];            /* ... which: "0,1" (cut when long) */
} sl_query_stats;

sl_runtime *sl_runtime_new(sl_log *log, const sl_runtime_opts *opts, sl_error *err);
/* Stops every query (each finishes and commits its batch in flight), joins the threads. */
void sl_runtime_free(sl_runtime *rt);

/* Starts a persistent query; takes ownership of plan (freed when the query is
 * stopped). The plan must have a sink. Resumes at the committed positions of
 * group = query id, or at the plan's offset reset. */
sl_query *sl_runtime_start(sl_runtime *rt, sl_plan *plan, sl_error *err);
/* TERMINATE: stops the query, frees it and its plan; committed positions stay. */
int sl_runtime_stop(sl_runtime *rt, const char *query_id, sl_error *err);
int sl_runtime_pause(sl_runtime *rt, const char *query_id, sl_error *err);
int sl_runtime_resume(sl_runtime *rt, const char *query_id, sl_error *err);

int sl_runtime_query_count(sl_runtime *rt);
sl_query *sl_runtime_query_at(sl_runtime *rt, int i);
sl_query *sl_runtime_find(sl_runtime *rt, const char *query_id);
const char *sl_query_id(const sl_query *q);
const sl_plan *sl_query_plan(const sl_query *q);
/* The repartition topic a query's two stages share (runtime.c: an
 * aggregation grouped by a non-key, on Kafka), or NULL. */
const char *sl_query_repartition_topic(const sl_query *q);
void sl_query_get_stats(sl_query *q, sl_query_stats *out);

/*
 * Waits until every running query has processed its inputs up to their end
 * offsets as of the call (and everything it wrote is committed), following
 * chains of queries (a query reading another's output). 0 when idle, -1 on
 * timeout (err says which query lags) or when a query is in error.
 */
int sl_runtime_wait_idle(sl_runtime *rt, int timeout_ms, sl_error *err);

/* A row of a transient query: output schema order. Return nonzero to stop. */
typedef int (*sl_row_cb)(void *ud, const sl_schema *schema, const sl_row *row);

/*
 * Runs a sinkless plan on the calling thread, calling cb per result row,
 * until the plan's LIMIT is reached, cb returns nonzero, *cancel becomes
 * nonzero (the REPL's Ctrl-C), or, when until_end is true (pull queries
 * over streams), every partition is read to the end offset it had at the
 * start. Takes ownership of plan. Bad records are counted in *failed (may be
 * NULL) and written to the processing log as for persistent queries.
 */
int sl_runtime_run_transient(sl_runtime *rt, sl_plan *plan, bool until_end, sl_row_cb cb,
                             void *ud, volatile sig_atomic_t *cancel, uint64_t *failed,
                             sl_error *err);

/*
 * A pull query over a table: runs a sinkless plan over recs[0..n) (the
 * table's current rows: its materialization, or the latest record of each
 * key of its topic), calling cb per result row, until the plan's LIMIT or
 * cb returns nonzero. Deleted rows (a WHERE that fails) are not delivered.
 * Takes ownership of plan; recs may be changed (windowed keys are cut).
 */
int sl_runtime_run_records(sl_runtime *rt, sl_plan *plan, sl_record *recs, int n, sl_row_cb cb,
                           void *ud, uint64_t *failed, sl_error *err);

#endif
