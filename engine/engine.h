/*
 * engine.h: one data directory, opened.
 *
 * The engine owns what outlives a session: the log (embedded: RocksDB in the
 * data directory, locked against a second process), the catalog, the
 * runtime with its persistent queries, and the journal. Every statement
 * that changes the catalog or starts or stops a persistent query is
 * journaled (a single-partition topic in the log) after it succeeds; at
 * open, the journal is replayed so streams, types and queries come back,
 * each query resuming at its committed position.
 *
 * Sessions (exec.h) run statements against an engine; several sessions may
 * share one (the server, later).
 */
#ifndef SL_ENGINE_H
#define SL_ENGINE_H

#include <stdbool.h>
#include "../log/log.h"
#include "catalog.h"
#include "error.h"
#include "runtime.h"

typedef struct sl_engine sl_engine;

/* The journal: on the embedded log this topic; on Kafka the command topic
 * of the service, "_sluice-" SERVICE_ID "-command" (sl_engine_command_topic),
 * shared by every worker with that service id. */
#define SL_JOURNAL_TOPIC "_sluice_journal"
#define SL_COMMAND_TOPIC_PREFIX "_sluice-"
#define SL_COMMAND_TOPIC_SUFFIX "-command"
#define SL_RETENTION_INTERVAL_MS 30000  /* how often topics' retention is enforced */

struct sl_config;

typedef struct sl_engine_opts {
    const char *data_dir;       /* NULL: the config's sluice.data.dir, else
                                   $SLUICE_DATA_DIR, else ./sluice-data */
    int threads;                /* runtime workers; <= 0: default */
    bool no_replay;             /* open without replaying the journal (tests, repair) */
    int retention_interval_ms;  /* how often retention is enforced; <= 0: SL_RETENTION_INTERVAL_MS */
    const char *bootstrap_servers; /* non-NULL: the log is this Kafka cluster (log/kafka.h);
                                      NULL: the config's bootstrap.servers, if any */
    /* Everything else (engine/config.h): the service id, librdkafka
     * properties, Kafka timeouts and log level, and engine properties that
     * become every session's defaults (as if SET). NULL: defaults. Only
     * read during sl_engine_open. */
    struct sl_config *config;
    /* Kafka only: every topic is PREFIX + name on the cluster (sluice test
     * runs, log/prefix.h); NULL: none. */
    const char *topic_prefix;
} sl_engine_opts;

sl_engine *sl_engine_open(const sl_engine_opts *opts, sl_error *err);
/* Stops the queries (batch in flight finished and committed), closes the log. */
void sl_engine_close(sl_engine *e);

/* The local data directory (on Kafka too: local state lives there). */
const char *sl_engine_data_dir(const sl_engine *e);
/* Where the streams live, for messages: the data directory, or
 * "Kafka at HOSTS (service id ID)". */
const char *sl_engine_location(const sl_engine *e);
/* The service id (ksql.service.id; "default_"). */
const char *sl_engine_service_id(const sl_engine *e);
/* The journal's topic: SL_JOURNAL_TOPIC, or the service's command topic. */
const char *sl_engine_command_topic(const sl_engine *e);
/* Whether the log is a Kafka cluster. */
bool sl_engine_on_kafka(const sl_engine *e);
/* When commits are Kafka transactions (processing.guarantee =
 * exactly_once_v2 on Kafka): the producers' transaction.timeout.ms, which
 * the broker aborts a transaction after; else 0. */
int sl_engine_txn_timeout_ms(const sl_engine *e);
sl_log *sl_engine_log(sl_engine *e);
sl_catalog *sl_engine_catalog(sl_engine *e);
sl_runtime *sl_engine_runtime(sl_engine *e);

/* Appends a statement to the journal after it succeeded, with the session
 * properties in force (SET), so a replay plans it the same way. */
int sl_engine_journal(sl_engine *e, const char *statement_text, const sl_catalog_prop *props,
                      int nprops, sl_error *err);

/* sl_runtime_wait_idle over the engine's queries. */
int sl_engine_wait_idle(sl_engine *e, int timeout_ms, sl_error *err);

/* ---- for the executor (additive) ---- */

/* The journal offset the statement being executed gets if it succeeds (during
 * replay: the offset of the entry replayed). Persistent query ids are built
 * from it (CSAS_<SINK>_<offset>), so a replay gives every query its id again. */
int64_t sl_engine_statement_offset(sl_engine *e);
/* Whether the journal is being replayed (sl_engine_journal is then a no-op). */
bool sl_engine_replaying(const sl_engine *e);
/*
 * Starts a persistent query (sl_runtime_start) and keeps the statement text
 * that made it for SHOW QUERIES and EXPLAIN. Takes ownership of plan. While
 * the journal is replayed, queries are only recorded and start when the
 * replay ends, so a query that a later entry terminates never runs.
 */
int sl_engine_start_query(sl_engine *e, sl_plan *plan, const char *statement, sl_error *err);
typedef enum sl_query_action { SL_QA_TERMINATE, SL_QA_PAUSE, SL_QA_RESUME } sl_query_action;
/* TERMINATE / PAUSE / RESUME a query started (or, in replay, recorded) above. */
int sl_engine_control_query(sl_engine *e, const char *query_id, sl_query_action act,
                            sl_error *err);
/* Whether a query with this id is running (or recorded during replay). */
bool sl_engine_has_query(sl_engine *e, const char *query_id);
/* The ids of every query, copied into a; returns the count. */
int sl_engine_query_ids(sl_engine *e, sl_arena *a, const char ***ids);
/* The plan of a query started (or, in replay, recorded) above, or NULL. */
const sl_plan *sl_engine_query_plan(sl_engine *e, const char *query_id);
/*
 * CREATE OR REPLACE: runs plan in place of the query with the plan's id,
 * which goes on from that query's committed positions with its state (the
 * old one is stopped as by TERMINATE, but its state is kept). statement
 * becomes the one SHOW QUERIES and EXPLAIN show; a paused query stays
 * paused. Takes ownership of plan.
 */
int sl_engine_replace_query(sl_engine *e, sl_plan *plan, const char *statement, sl_error *err);
/* The statement that started the query, or NULL; valid until it is terminated. */
const char *sl_engine_query_statement(sl_engine *e, const char *query_id);

#endif
