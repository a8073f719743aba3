/*
 * cli.h: the subcommands of the `sluice` command and what they share.
 *
 * Does: declares one entry point per subcommand (main.c dispatches to them
 * from a table, Redis style) and the small helpers they have in common:
 * reading a whole file, resolving the data directory, parsing numbers,
 * JSON-escaping record bytes, Kafka's big-endian primitive encodings.
 * Does not: run statements (engine/exec.h), store records (log/log.h) or
 * decode them by schema (formats/format.h).
 *
 * Ownership: helpers that return memory say so (malloc'd, caller frees).
 * Exit codes: 0 success, 1 failure (a statement, a record, a mismatch),
 * 2 usage error.
 */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "engine/buf.h"
#include "engine/error.h"
#include "engine/exec.h"

enum { SL_CLI_OK = 0, SL_CLI_FAIL = 1, SL_CLI_USAGE = 2 };

typedef struct sl_cli_command {
    const char *name;               /* argv[1] */
    int (*main)(int argc, char **argv);     /* argv[0] is the subcommand's name */
    const char *args;               /* synopsis after the name */
    const char *summary;            /* one line for `sluice --help` */
} sl_cli_command;

/* The subcommands (cli/run.c, load.c, dump.c, test.c, dev_broker.c, migrate.c). */
int sl_cli_run(int argc, char **argv);
int sl_cli_load(int argc, char **argv);
int sl_cli_dump(int argc, char **argv);
int sl_cli_test(int argc, char **argv);
int sl_cli_dev_broker(int argc, char **argv);   /* cli/dev_broker.c */
int sl_cli_migrate(int argc, char **argv);      /* cli/migrate.c */
int sl_cli_server(int argc, char **argv);       /* cli/run.c: the worker with its HTTP API */

/* ---- where the streams live: options every subcommand takes ---- */

struct sl_config;
struct sl_log;

enum { SL_OPT_BOOTSTRAP = 0x100, SL_OPT_CONFIG_FILE = 0x101 };
/* getopt_long entries for --bootstrap-servers and --config-file */
#define SL_CLI_CONN_LONGOPTS                                                  \
    {"bootstrap-servers", required_argument, NULL, SL_OPT_BOOTSTRAP},         \
    {"config-file", required_argument, NULL, SL_OPT_CONFIG_FILE}
/* and their lines in a usage text */
#define SL_CLI_CONN_HELP                                                                  \
    "      --bootstrap-servers HOST:PORT[,...]\n"                                         \
    "                           keep streams in this Kafka cluster (default:\n"           \
    "                           $SLUICE_BOOTSTRAP_SERVERS, else bootstrap.servers of\n"   \
    "                           the config file, else the embedded store)\n"              \
    "      --config-file FILE   properties: bootstrap.servers, ksql.service.id,\n"        \
    "                           ksql.streams.*, Kafka client properties (default:\n"      \
    "                           $SLUICE_CONFIG_FILE)\n"

typedef struct sl_cli_conn {
    const char *bootstrap;      /* --bootstrap-servers, or NULL */
    const char *config_file;    /* --config-file, or NULL */
    const char *data_dir;       /* --data-dir, or NULL */
} sl_cli_conn;

/* Takes option c (SL_OPT_BOOTSTRAP / SL_OPT_CONFIG_FILE) into cc; false
 * when c is not one of them. */
bool sl_cli_conn_option(sl_cli_conn *cc, int c, const char *arg);
/*
 * The configuration (engine/config.h): cc's values over the SLUICE_*
 * environment over the config file. NULL when it is invalid, with the
 * error printed after `prog: `; the exit status is then SL_CLI_USAGE.
 */
struct sl_config *sl_cli_config(const char *prog, const sl_cli_conn *cc);
/* The exit status for an engine or log that did not open: SL_CLI_USAGE
 * when Kafka cannot be reached or a setting is wrong, else SL_CLI_FAIL. */
int sl_cli_open_status(const sl_error *err);
/* The log alone (load, dump): the Kafka cluster when the configuration
 * names one, else the embedded log of the data directory. NULL with err. */
struct sl_log *sl_cli_open_log(struct sl_config *cfg, sl_error *err);

/* Reads all of path ("-": stdin) into a malloc'd NUL-terminated buffer; NULL
 * with err filled (SL_ERR_IO, naming the file). */
char *sl_cli_read_file(const char *path, size_t *len, sl_error *err);

/* The data directory: given, else $SLUICE_DATA_DIR, else ./sluice-data. */
const char *sl_cli_data_dir(const char *given);

/* A whole decimal number in [min, max]; false otherwise. */
bool sl_cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* Appends bytes as a JSON string when they are text: valid UTF-8 without
 * control characters other than tab, CR and LF; false (and nothing
 * appended) when they are not. */
bool sl_cli_json_bytes(sl_buf *out, const void *data, size_t len);
/* Appends base64 (standard alphabet, padded) of data. */
void sl_cli_base64(sl_buf *out, const void *data, size_t len);
/* Decodes base64 into out; false when text is not base64. */
bool sl_cli_unbase64(sl_buf *out, const char *text, size_t len);

/* Kafka's serializers: big-endian INT (4 bytes), BIGINT (8), DOUBLE (8). */
void sl_cli_put_be32(unsigned char *p, int32_t v);
void sl_cli_put_be64(unsigned char *p, int64_t v);
int64_t sl_cli_get_be64(const unsigned char *p);
int32_t sl_cli_get_be32(const unsigned char *p);

/* ---- sluice --server URL: a session's statements run by a worker (cli/remote.c) ---- */

typedef struct sl_remote sl_remote;
/* A client of the worker at url (http[s]://HOST:PORT); auth USER:PASSWORD
 * and cacert (a CA file for https) may be NULL. NULL when out of memory. */
sl_remote *sl_remote_new(const char *url, const char *auth, const char *cacert,
                         sl_output mode, FILE *out, FILE *err);
void sl_remote_free(sl_remote *r);
/* GET /info: 0 when the worker answers and lets us in; -1 with the reason printed. */
int sl_remote_ping(sl_remote *r);
/* A variable sent with every request (-D). */
int sl_remote_define(sl_remote *r, const char *name, const char *value);
/* The executor (sl_session_set_executor): ud is the sl_remote. */
int sl_remote_execute(void *ud, const char *text, size_t len, const char *srcname);
/* Whether the worker could not be reached (exit status SL_CLI_USAGE). */
bool sl_remote_unreachable(const sl_remote *r);
/* --continue: run the statements after a failed one too (the executor still
 * returns 1), as a local session opened with keep_going does. */
void sl_remote_set_keep_going(sl_remote *r, bool on);
/* The worker's stream, table, column and type names for the REPL's
 * completion (repl.h's sl_repl_names_fn; ud is the sl_remote): fetched
 * quietly, cached a few seconds, owned by r. */
const char *const *sl_remote_names(void *ud);
/* Where the executor writes results and errors from now on (NULL: stdout,
 * stderr); the streams stay the caller's. */
void sl_remote_set_output(sl_remote *r, FILE *out, FILE *err);
/* POSTs len bytes of body as content_type to path (e.g. "/inserts-stream")
 * as a plain REST client: the answer is appended to *answer and the HTTP
 * status put in *status. -1 (printed; see sl_remote_unreachable) when the
 * transfer failed. */
int sl_remote_post(sl_remote *r, const char *path, const char *content_type, const char *body,
                   size_t len, sl_buf *answer, long *status);

/* Set by the SIGINT / SIGTERM handler that sl_cli_catch_signals installs. */
extern volatile int sl_cli_stop;
void sl_cli_catch_signals(void);

#endif
