/*
 * run.c: `sluice run [FILE] [--until-idle]`, the headless worker.
 *
 * Does: opens the engine on the data directory (which replays the journal:
 * streams, types and persistent queries come back and resume at their
 * committed positions), applies FILE through a session, then keeps every
 * persistent query running in the foreground until SIGINT or SIGTERM
 * (the engine finishes and commits the batch in flight, exit 0), or, with
 * --until-idle, until every input has been consumed to its end
 * (sl_engine_wait_idle), then exits 0. Prints each query's counts at exit.
 *
 * Re-running the same file on a data directory that already has it: the
 * statements of a successfully applied FILE are in the journal, so running
 * them again would try to create everything a second time. run therefore
 * remembers each applied file by content (xxh64) in DATA_DIR/applied-files
 * and skips a file whose exact content was applied before, saying so. A file
 * whose content changed is applied again in full: write it with IF NOT
 * EXISTS (or CREATE OR REPLACE) to make that idempotent.
 *
 * `sluice server` is the same worker with the HTTP API of server/ on top:
 * the queries file is applied the same way, and SIGINT / SIGTERM stop the
 * server (no new requests, streaming queries end) before the engine.
 *
 * Does not: parse or plan statements (engine/exec.h), run queries itself
 * (engine/runtime.h), or speak HTTP (server/server.h).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <xxhash.h>

#include "cli/cli.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/exec.h"
#include "server/server.h"

static const char run_usage[] =
    "usage: sluice run [FILE] [options]\n"
    "\n"
    "Opens the data directory (replaying its journal: persistent queries\n"
    "resume where they stopped), applies the statements of FILE ('-' reads\n"
    "stdin), then runs every persistent query in the foreground until SIGINT\n"
    "or SIGTERM (the batch in flight is finished and committed).\n"
    "A FILE whose exact content was applied to this data directory before is\n"
    "not applied twice (its statements are in the journal); an edited file is\n"
    "applied again in full, so write it with IF NOT EXISTS.\n"
    "\n"
    "options:\n"
    "      --until-idle         exit 0 once every input is consumed to its end\n"
    "  -d, --data-dir DIR       the data directory ($SLUICE_DATA_DIR, else ./sluice-data)\n"
    SL_CLI_CONN_HELP
    "  -D, --define NAME=VALUE  a variable for ${NAME} in FILE (may be repeated)\n"
    "  -t, --threads N          runtime worker threads (default 2)\n"
    "  -q, --quiet              print no statement results or counts\n"
    "  -h, --help               show this help\n"
    "\n"
    "exit status: 0 stopped cleanly, 1 a statement failed or a query stopped on\n"
    "an error, 2 usage error (or a Kafka cluster that cannot be reached)\n";

#define APPLIED_FILE "applied-files"

/* The list of applied files: DATA_DIR/applied-files, and on Kafka
 * DATA_DIR/applied-files-kafka-SERVICE_ID (the journal is the service's
 * command topic there, not this directory). */
static void applied_path(sl_engine *e, char *path, size_t n)
{
    if (sl_engine_on_kafka(e))
        snprintf(path, n, "%s/" APPLIED_FILE "-kafka-%s", sl_engine_data_dir(e),
                 sl_engine_service_id(e));
    else
        snprintf(path, n, "%s/" APPLIED_FILE, sl_engine_data_dir(e));
}

/* Whether the list of applied files has hash. */
static bool applied_before(sl_engine *e, const char *hash)
{
    char path[4096];
    applied_path(e, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[4352];
    bool found = false;
    size_t hl = strlen(hash);
    while (!found && fgets(line, sizeof line, f))
        found = strncmp(line, hash, hl) == 0 && line[hl] == ' ';
    fclose(f);
    return found;
}

static void remember_applied(sl_engine *e, const char *hash, const char *file)
{
    char path[4096];
    applied_path(e, path, sizeof path);
    mkdir(sl_engine_data_dir(e), 0777);     /* on Kafka it may not exist yet */
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "sluice run: cannot record %s in %s: %s\n", file, path, strerror(errno));
        return;
    }
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    fprintf(f, "%s %s %s\n", hash, when, file);
    fclose(f);
}

static void print_counts(sl_runtime *rt, const char *prog)
{
    int n = sl_runtime_query_count(rt);
    for (int i = 0; i < n; i++) {
        sl_query *q = sl_runtime_query_at(rt, i);
        sl_query_stats st;
        sl_query_get_stats(q, &st);
        fprintf(stderr, "%s: %s: %llu read, %llu written, %llu filtered, %llu failed%s%s\n",
                prog, sl_query_id(q), (unsigned long long)st.records_in,
                (unsigned long long)st.records_out, (unsigned long long)st.records_filtered,
                (unsigned long long)st.records_failed,
                st.state == SL_QUERY_ERROR ? "; stopped on error: " : "",
                st.state == SL_QUERY_ERROR ? st.error : "");
    }
}

/* The number of queries in state ERROR; *first gets the first of them. */
static int queries_in_error(sl_runtime *rt, sl_query **first, sl_query_stats *st)
{
    int n = sl_runtime_query_count(rt), bad = 0;
    *first = NULL;
    for (int i = 0; i < n; i++) {
        sl_query *q = sl_runtime_query_at(rt, i);
        sl_query_stats qs;
        sl_query_get_stats(q, &qs);
        if (qs.state == SL_QUERY_ERROR && bad++ == 0) {
            *first = q;
            *st = qs;
        }
    }
    return bad;
}

/* The engine of the configuration (replaying its journal); NULL with the
 * error printed and *rc the exit status. */
static sl_engine *open_engine(const char *prog, const sl_cli_conn *cc, int threads, int *rc)
{
    sl_error err;
    sl_error_clear(&err);
    sl_config *cfg = sl_cli_config(prog, cc);
    if (!cfg) {
        *rc = SL_CLI_USAGE;
        return NULL;
    }
    sl_engine_opts eo = {0};
    eo.config = cfg;
    eo.threads = threads;
    sl_engine *e = sl_engine_open(&eo, &err);
    sl_config_free(cfg);
    if (!e) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        *rc = sl_cli_open_status(&err);
    }
    return e;
}

/*
 * Keeps the process in the foreground while the queries run, until SIGINT
 * or SIGTERM (or, until_idle, every input consumed), reporting a query that
 * stops on an error (when inspect: the server looks at queries under its
 * own lock, and its /healthcheck reports them). Returns SL_CLI_FAIL only
 * when until_idle cannot be reached because of such a query.
 */
static int watch(sl_engine *e, bool until_idle, const char *prog, bool inspect)
{
    sl_runtime *rt = sl_engine_runtime(e);
    sl_error err;
    sl_error_clear(&err);
    sl_query_stats st;
    int errors_seen = 0, rc = SL_CLI_OK;
    unsigned ticks = 0;
    while (rc == SL_CLI_OK && !sl_cli_stop) {
        if (until_idle) {
            /* Short waits, so a signal still ends the run between them. */
            if (sl_engine_wait_idle(e, 500, &err) == 0)
                break;
        } else {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            /* a query's stats ask the log for end offsets (on Kafka, a
             * request to the cluster): look once a second, signals at once */
            if (++ticks % 10 != 0 || sl_cli_stop || !inspect)
                continue;
        }
        sl_query *bad = NULL;
        int nbad = queries_in_error(rt, &bad, &st);
        if (nbad > errors_seen) {
            /* The others keep running; until idle cannot be reached, so that ends. */
            fprintf(stderr, "%s: query %s stopped on an error: %s\n", prog, sl_query_id(bad),
                    st.error);
            if (until_idle)
                rc = SL_CLI_FAIL;
        }
        errors_seen = nbad;
    }
    return rc;
}

static int apply_file(sl_engine *e, const char *file, const char **defines, int ndefines,
                      bool quiet, const char *prog)
{
    sl_error err;
    sl_error_clear(&err);
    size_t len = 0;
    char *text = sl_cli_read_file(file, &len, &err);
    if (!text) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        return SL_CLI_FAIL;
    }
    const char *dir = sl_engine_location(e);
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)XXH64(text, len, 0));
    if (applied_before(e, hash)) {
        if (!quiet)
            fprintf(stderr, "%s: %s was applied to %s before (same content): its "
                            "statements are in the journal, not running them again\n",
                    prog, file, dir);
        free(text);
        return SL_CLI_OK;
    }
    FILE *devnull = quiet ? fopen("/dev/null", "w") : NULL;
    sl_session_opts so = {0};
    so.output = SL_OUTPUT_TABLE;
    so.out = devnull;
    sl_session *s = sl_session_open(e, &so, &err);
    int rc = SL_CLI_OK;
    if (!s) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        rc = SL_CLI_FAIL;
    }
    for (int i = 0; rc == SL_CLI_OK && i < ndefines; i++) {
        const char *eq = strchr(defines[i], '=');
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - defines[i]), defines[i]);
        if (sl_session_define(s, name, eq + 1, &err) != 0) {
            fprintf(stderr, "%s: -D %s: %s\n", prog, name, err.msg);
            rc = SL_CLI_USAGE;
        }
    }
    if (rc == SL_CLI_OK) {
        const char *src = strcmp(file, "-") == 0 ? "<stdin>" : file;
        if (sl_session_execute(s, text, len, src) != 0)
            rc = SL_CLI_FAIL;
        else
            remember_applied(e, hash, src);
    }
    sl_session_free(s);
    if (devnull)
        fclose(devnull);
    free(text);
    return rc;
}

int sl_cli_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"until-idle", no_argument, NULL, 'u'},
        {"data-dir", required_argument, NULL, 'd'},
        {"define", required_argument, NULL, 'D'},
        {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        SL_CLI_CONN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    sl_cli_conn cc = {0};
    bool until_idle = false, quiet = false;
    const char *data_dir = NULL;
    int64_t threads = 0;
    const char **defines = calloc((size_t)argc + 1, sizeof *defines);
    int ndefines = 0, c;
    if (!defines)
        return SL_CLI_FAIL;
    while ((c = getopt_long(argc, argv, "d:D:t:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'u': until_idle = true; break;
        case 'd': data_dir = optarg; break;
        case 'q': quiet = true; break;
        case SL_OPT_BOOTSTRAP:
        case SL_OPT_CONFIG_FILE: sl_cli_conn_option(&cc, c, optarg); break;
        case 'D':
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                fprintf(stderr, "sluice run: -D wants NAME=VALUE, got '%s'\n", optarg);
                free(defines);
                return SL_CLI_USAGE;
            }
            defines[ndefines++] = optarg;
            break;
        case 't':
            if (!sl_cli_parse_int(optarg, 1, 256, &threads)) {
                fprintf(stderr, "sluice run: --threads wants 1..256, got '%s'\n", optarg);
                free(defines);
                return SL_CLI_USAGE;
            }
            break;
        case 'h':
            fputs(run_usage, stdout);
            free(defines);
            return SL_CLI_OK;
        default:
            fputs(run_usage, stderr);
            free(defines);
            return SL_CLI_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "sluice run: one FILE at most, got '%s' too\n", argv[optind + 1]);
        fputs(run_usage, stderr);
        free(defines);
        return SL_CLI_USAGE;
    }
    const char *file = optind < argc ? argv[optind] : NULL;

    sl_cli_catch_signals();
    cc.data_dir = data_dir;
    int rc;
    sl_engine *e = open_engine("sluice run", &cc, (int)threads, &rc);
    if (!e) {
        free(defines);
        return rc;
    }
    rc = file ? apply_file(e, file, defines, ndefines, quiet, "sluice run") : SL_CLI_OK;
    free(defines);
    sl_runtime *rt = sl_engine_runtime(e);
    if (rc == SL_CLI_OK && !quiet)
        fprintf(stderr, "sluice run: %d persistent quer%s on %s; %s\n",
                sl_runtime_query_count(rt), sl_runtime_query_count(rt) == 1 ? "y" : "ies",
                sl_engine_location(e),
                until_idle ? "running until every input is consumed"
                           : "running until SIGINT or SIGTERM");

    if (rc == SL_CLI_OK)
        rc = watch(e, until_idle, "sluice run", true);
    if (!quiet)
        print_counts(rt, "sluice run");
    sl_engine_close(e);
    return rc;
}

/* ---- sluice server: the same worker, plus the HTTP API ---- */

static const char server_usage[] =
    "usage: sluice server [options]\n"
    "\n"
    "The headless worker of `sluice run` with ksqlDB's REST API: opens the data\n"
    "directory (persistent queries resume where they stopped), applies the\n"
    "queries file if given (skipped when this exact content was applied before),\n"
    "then serves POST /ksql, /query, /query-stream, /close-query, /inserts-stream\n"
    "and GET /info, /healthcheck, /status, /metrics until SIGINT or SIGTERM (new\n"
    "requests are refused, streaming queries end, the batch in flight is\n"
    "finished and committed, exit 0).\n"
    "\n"
    "options:\n"
    "      --listen HOST:PORT   where to listen (default " SL_SERVER_LISTEN "; port 0: any\n"
    "                           free port). Anything but loopback needs TLS and basic auth.\n"
    "      --queries-file FILE  statements to apply at start\n"
    "  -d, --data-dir DIR       the data directory ($SLUICE_DATA_DIR, else ./sluice-data)\n"
    SL_CLI_CONN_HELP
    "  -D, --define NAME=VALUE  a variable for ${NAME} in the queries file (may be repeated)\n"
    "  -t, --threads N          runtime worker threads (default 2)\n"
    "      --tls-cert FILE      PEM certificate: serve HTTPS (with --tls-key)\n"
    "      --tls-key FILE       PEM private key\n"
    "      --auth-file FILE     basic auth: lines USER:PASSWORD\n"
    "      --auth USER:PASSWORD basic auth for one user\n"
    "      --max-body BYTES     largest request body, or line of /inserts-stream\n"
    "                           (default 1048576)\n"
    "      --max-connections N  open connections answered (default 64)\n"
    "      --max-push-queries N push queries streaming at once (default 16)\n"
    "  -q, --quiet              print no statement results or counts\n"
    "  -h, --help               show this help\n"
    "\n"
    "exit status: 0 stopped cleanly, 1 the queries file failed, 2 usage error (a bad\n"
    "option, an address it may not or cannot listen on, or Kafka unreachable)\n";

enum {
    OPT_LISTEN = 0x200, OPT_QUERIES, OPT_TLS_CERT, OPT_TLS_KEY, OPT_AUTH_FILE, OPT_AUTH,
    OPT_MAX_BODY, OPT_MAX_CONN, OPT_MAX_PUSH
};

typedef struct server_args {
    sl_cli_conn cc;
    sl_server_opts so;
    const char *queries_file, *cert_file, *key_file, *auth_file;
    const char **defines;
    int ndefines;
    int64_t threads;
    bool quiet;
} server_args;

/* One option into sa; SL_CLI_OK, or the exit status with the error printed. */
static int server_option(server_args *sa, int c, const char *arg)
{
    int64_t n;
    switch (c) {
    case OPT_LISTEN: sa->so.listen = arg; return SL_CLI_OK;
    case OPT_QUERIES: sa->queries_file = arg; return SL_CLI_OK;
    case OPT_TLS_CERT: sa->cert_file = arg; return SL_CLI_OK;
    case OPT_TLS_KEY: sa->key_file = arg; return SL_CLI_OK;
    case OPT_AUTH_FILE: sa->auth_file = arg; return SL_CLI_OK;
    case OPT_AUTH: sa->so.auth = arg; return SL_CLI_OK;
    case 'd': sa->cc.data_dir = arg; return SL_CLI_OK;
    case 'q': sa->quiet = true; return SL_CLI_OK;
    case SL_OPT_BOOTSTRAP:
    case SL_OPT_CONFIG_FILE: sl_cli_conn_option(&sa->cc, c, arg); return SL_CLI_OK;
    case 'D':
        if (!strchr(arg, '=') || arg[0] == '=')
            break;
        sa->defines[sa->ndefines++] = arg;
        return SL_CLI_OK;
    case 't':
        if (!sl_cli_parse_int(arg, 1, 256, &sa->threads))
            break;
        return SL_CLI_OK;
    case OPT_MAX_BODY:
        if (!sl_cli_parse_int(arg, 1024, INT64_C(1) << 30, &n))
            break;
        sa->so.max_body = (size_t)n;
        return SL_CLI_OK;
    case OPT_MAX_CONN:
    case OPT_MAX_PUSH:
        if (!sl_cli_parse_int(arg, 1, 10000, &n))
            break;
        *(c == OPT_MAX_CONN ? &sa->so.max_connections : &sa->so.max_push_queries) = (int)n;
        return SL_CLI_OK;
    default:
        fputs(server_usage, stderr);
        return SL_CLI_USAGE;
    }
    fprintf(stderr, "sluice server: a bad value for an option: '%s' (see --help)\n", arg);
    return SL_CLI_USAGE;
}

/* The TLS material and credentials: read here, so the server gets text. */
static int read_secrets(server_args *sa, char **cert, char **key, char **auth)
{
    sl_error err;
    sl_error_clear(&err);
    size_t len;
    const char *files[3] = {sa->cert_file, sa->key_file, sa->auth_file};
    char **into[3] = {cert, key, auth};
    for (int i = 0; i < 3; i++) {
        if (!files[i])
            continue;
        *into[i] = sl_cli_read_file(files[i], &len, &err);
        if (!*into[i]) {
            fprintf(stderr, "sluice server: %s\n", err.msg);
            return SL_CLI_USAGE;
        }
    }
    sa->so.tls_cert = *cert;
    sa->so.tls_key = *key;
    if (*auth)
        sa->so.auth = *auth;
    return SL_CLI_OK;
}

static int serve(server_args *sa)
{
    char *cert = NULL, *key = NULL, *auth = NULL;
    int rc = read_secrets(sa, &cert, &key, &auth);
    sl_error err;
    sl_error_clear(&err);
    if (rc == SL_CLI_OK && sl_server_check(&sa->so, &err) < 0) {
        fprintf(stderr, "sluice server: %s\n", err.msg);   /* before opening anything */
        rc = SL_CLI_USAGE;
    }
    sl_engine *e = rc == SL_CLI_OK ? open_engine("sluice server", &sa->cc, (int)sa->threads, &rc)
                                   : NULL;
    if (e && sa->queries_file)
        rc = apply_file(e, sa->queries_file, sa->defines, sa->ndefines, sa->quiet,
                        "sluice server");
    sl_server *srv = NULL;
    if (e && rc == SL_CLI_OK) {
        srv = sl_server_start(e, &sa->so, &err);
        if (!srv) {
            fprintf(stderr, "sluice server: %s\n", err.msg);
            rc = SL_CLI_USAGE;
        }
    }
    free(cert);
    free(key);
    free(auth);
    if (srv) {
        sl_runtime *rt = sl_engine_runtime(e);
        const char *host = sa->so.listen ? sa->so.listen : SL_SERVER_LISTEN;
        const char *colon = strrchr(host, ':');
        /* tests and scripts read this line for the port */
        fprintf(stderr, "sluice server: listening on %s://%.*s:%d; %d persistent quer%s on %s\n",
                sl_server_scheme(srv), (int)(colon - host), host, sl_server_port(srv),
                sl_runtime_query_count(rt), sl_runtime_query_count(rt) == 1 ? "y" : "ies",
                sl_engine_location(e));
        rc = watch(e, false, "sluice server", false);
        if (!sa->quiet)
            fprintf(stderr, "sluice server: stopping: no new requests, ending queries\n");
        sl_server_stop(srv);
        if (!sa->quiet)
            print_counts(rt, "sluice server");
    }
    sl_engine_close(e);
    return rc;
}

int sl_cli_server(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"queries-file", required_argument, NULL, OPT_QUERIES},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"auth-file", required_argument, NULL, OPT_AUTH_FILE},
        {"auth", required_argument, NULL, OPT_AUTH},
        {"max-body", required_argument, NULL, OPT_MAX_BODY},
        {"max-connections", required_argument, NULL, OPT_MAX_CONN},
        {"max-push-queries", required_argument, NULL, OPT_MAX_PUSH},
        {"data-dir", required_argument, NULL, 'd'},
        {"define", required_argument, NULL, 'D'},
        {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        SL_CLI_CONN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    server_args sa;
    memset(&sa, 0, sizeof sa);
    sa.defines = calloc((size_t)argc + 1, sizeof *sa.defines);
    if (!sa.defines)
        return SL_CLI_FAIL;
    int c, rc = SL_CLI_OK;
    while (rc == SL_CLI_OK && (c = getopt_long(argc, argv, "d:D:t:qh", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(server_usage, stdout);
            free(sa.defines);
            return SL_CLI_OK;
        }
        rc = server_option(&sa, c, optarg);
    }
    if (rc == SL_CLI_OK && optind < argc) {
        fprintf(stderr, "sluice server: unexpected argument '%s' (a file goes after "
                        "--queries-file)\n", argv[optind]);
        rc = SL_CLI_USAGE;
    }
    if (rc == SL_CLI_OK) {
        sl_cli_catch_signals();
        signal(SIGPIPE, SIG_IGN);   /* a client gone is an error on its socket, not an exit */
        rc = serve(&sa);
    }
    free(sa.defines);
    return rc;
}
