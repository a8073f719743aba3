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

#define SL_JOURNAL_TOPIC "_sluice_journal"

typedef struct sl_engine_opts {
    const char *data_dir;       /* NULL: $SLUICE_DATA_DIR, else ./sluice-data */
    int threads;                /* runtime workers; <= 0: default */
    bool no_replay;             /* open without replaying the journal (tests, repair) */
} sl_engine_opts;

sl_engine *sl_engine_open(const sl_engine_opts *opts, sl_error *err);
/* Stops the queries (batch in flight finished and committed), closes the log. */
void sl_engine_close(sl_engine *e);

const char *sl_engine_data_dir(const sl_engine *e);
sl_log *sl_engine_log(sl_engine *e);
sl_catalog *sl_engine_catalog(sl_engine *e);
sl_runtime *sl_engine_runtime(sl_engine *e);

/* Appends a statement to the journal after it succeeded, with the session
 * properties in force (SET), so a replay plans it the same way. */
int sl_engine_journal(sl_engine *e, const char *statement_text, const sl_catalog_prop *props,
                      int nprops, sl_error *err);

/* sl_runtime_wait_idle over the engine's queries. */
int sl_engine_wait_idle(sl_engine *e, int timeout_ms, sl_error *err);

#endif
