/*
 * exec.h: sessions and the statement executor.
 *
 * A session holds what one user's statements change: the catalog it works
 * on, its variables (DEFINE) and properties (SET), and how results are
 * written. The CLI, the REPL and (later) the server all run statements
 * through sl_session_execute.
 */
#ifndef SL_EXEC_H
#define SL_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include "error.h"

typedef enum sl_output { SL_OUTPUT_TABLE, SL_OUTPUT_JSON } sl_output;

typedef struct sl_session_opts {
    const char *data_dir;       /* NULL: $SLUICE_DATA_DIR, else ./sluice-data; "" (empty):
                                   no engine, the catalog only (statements that need the
                                   log are refused): the fuzzer and unit tests */
    sl_output output;
    FILE *out;                  /* results; NULL: stdout */
    FILE *err;                  /* errors; NULL: stderr */
    bool keep_going;            /* run the statements after a failed one too (--continue) */
    const char *bootstrap_servers; /* non-NULL: streams live in this Kafka cluster */
} sl_session_opts;

typedef struct sl_session sl_session;
typedef struct sl_catalog sl_catalog;

typedef struct sl_engine sl_engine;

/* A session on its own engine, opened on opts->data_dir (closed with the session). */
sl_session *sl_session_new(const sl_session_opts *opts, sl_error *err);
/* A session on a shared engine (not closed with the session). */
sl_session *sl_session_open(sl_engine *e, const sl_session_opts *opts, sl_error *err);
sl_engine *sl_session_engine(sl_session *s);
void sl_session_free(sl_session *s);

/* -D NAME=VALUE and DEFINE: names are case-insensitive, as in ksqlDB. */
int sl_session_define(sl_session *s, const char *name, const char *value, sl_error *err);
const char *sl_session_variable(const sl_session *s, const char *name);

/*
 * Runs every statement of text in order, writing each result to the
 * session's output and each error (rendered with line, column and caret,
 * `srcname` naming the input) to its error stream. Stops at the first
 * failed statement, as ksqlDB does for a script, unless the session was
 * opened with keep_going. Returns 0 when all succeeded, 1 otherwise.
 */
int sl_session_execute(sl_session *s, const char *text, size_t len, const char *srcname);

/* The session's catalog (for completion in the REPL). */
sl_catalog *sl_session_catalog(sl_session *s);
/* Where the session writes results (the REPL writes `help` there too). */
FILE *sl_session_out(sl_session *s);

/* ---- transient queries for the server (additive) ---- */

struct sl_type;
struct sl_value;

/*
 * Where a session's SELECT results go instead of its output stream (the
 * server streams them to HTTP clients). Every callback may be NULL; without
 * `row`, results are written to the session's output as usual and only
 * `header` and `cancel` apply.
 */
typedef struct sl_session_rows {
    /* Once, after planning and before any row: the query id, the columns in
     * SELECT order, and whether it is a pull query. Nonzero ends the query. */
    int (*header)(void *ud, const char *query_id, int ncols, const char *const *names,
                  const struct sl_type *const *types, bool pull);
    /* Each result row, values in SELECT order. Nonzero ends the query. */
    int (*row)(void *ud, int ncols, const struct sl_value *cells,
               const struct sl_type *const *types);
    /* Once at the end, when the query did not fail: "Limit Reached",
     * "Query terminated" (cancelled) or "Query ended". */
    void (*end)(void *ud, const char *message);
    void *ud;
    /* Set nonzero from any thread to end a push query (close-query, a client
     * gone, shutdown); NULL: nothing ends it but LIMIT or a callback. The
     * session then leaves SIGINT alone. */
    volatile sig_atomic_t *cancel;
} sl_session_rows;

/* Sends SELECT results to rows (which must outlive the statements run);
 * NULL restores the session's output. */
void sl_session_set_rows(sl_session *s, const sl_session_rows *rows);

/* Runs text in place of the executor: sl_session_execute's contract (results
 * to the output, errors rendered, 0 or 1). */
typedef int (*sl_session_executor)(void *ud, const char *text, size_t len, const char *srcname);
/* Makes sl_session_execute call fn (a client of a remote worker: the REPL
 * and scripts run unchanged); NULL restores the executor. */
void sl_session_set_executor(sl_session *s, sl_session_executor fn, void *ud);

#endif
