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
 * Does not: parse or plan statements (engine/exec.h), run queries itself
 * (engine/runtime.h).
 */
#include <errno.h>
#include <getopt.h>
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

static void print_counts(sl_runtime *rt)
{
    int n = sl_runtime_query_count(rt);
    for (int i = 0; i < n; i++) {
        sl_query *q = sl_runtime_query_at(rt, i);
        sl_query_stats st;
        sl_query_get_stats(q, &st);
        fprintf(stderr, "sluice run: %s: %llu read, %llu written, %llu filtered, %llu failed%s%s\n",
                sl_query_id(q), (unsigned long long)st.records_in,
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

static int apply_file(sl_engine *e, const char *file, const char **defines, int ndefines,
                      bool quiet)
{
    sl_error err;
    sl_error_clear(&err);
    size_t len = 0;
    char *text = sl_cli_read_file(file, &len, &err);
    if (!text) {
        fprintf(stderr, "sluice run: %s\n", err.msg);
        return SL_CLI_FAIL;
    }
    const char *dir = sl_engine_location(e);
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)XXH64(text, len, 0));
    if (applied_before(e, hash)) {
        if (!quiet)
            fprintf(stderr, "sluice run: %s was applied to %s before (same content): its "
                            "statements are in the journal, not running them again\n",
                    file, dir);
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
        fprintf(stderr, "sluice run: %s\n", err.msg);
        rc = SL_CLI_FAIL;
    }
    for (int i = 0; rc == SL_CLI_OK && i < ndefines; i++) {
        const char *eq = strchr(defines[i], '=');
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - defines[i]), defines[i]);
        if (sl_session_define(s, name, eq + 1, &err) != 0) {
            fprintf(stderr, "sluice run: -D %s: %s\n", name, err.msg);
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
    sl_error err;
    sl_error_clear(&err);
    cc.data_dir = data_dir;
    sl_config *cfg = sl_cli_config("sluice run", &cc);
    if (!cfg) {
        free(defines);
        return SL_CLI_USAGE;
    }
    sl_engine_opts eo = {0};
    eo.config = cfg;
    eo.threads = (int)threads;
    sl_engine *e = sl_engine_open(&eo, &err);
    sl_config_free(cfg);
    if (!e) {
        fprintf(stderr, "sluice run: %s\n", err.msg);
        free(defines);
        return sl_cli_open_status(&err);
    }
    int rc = file ? apply_file(e, file, defines, ndefines, quiet) : SL_CLI_OK;
    free(defines);
    sl_runtime *rt = sl_engine_runtime(e);
    if (rc == SL_CLI_OK && !quiet)
        fprintf(stderr, "sluice run: %d persistent quer%s on %s; %s\n",
                sl_runtime_query_count(rt), sl_runtime_query_count(rt) == 1 ? "y" : "ies",
                sl_engine_location(e),
                until_idle ? "running until every input is consumed"
                           : "running until SIGINT or SIGTERM");

    sl_query_stats st;
    int errors_seen = 0;
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
            if (++ticks % 10 != 0 || sl_cli_stop)
                continue;
        }
        sl_query *bad = NULL;
        int nbad = queries_in_error(rt, &bad, &st);
        if (nbad > errors_seen) {
            /* The others keep running; until idle cannot be reached, so that ends. */
            fprintf(stderr, "sluice run: query %s stopped on an error: %s\n", sl_query_id(bad),
                    st.error);
            if (until_idle)
                rc = SL_CLI_FAIL;
        }
        errors_seen = nbad;
    }
    if (!quiet)
        print_counts(rt);
    sl_engine_close(e);
    return rc;
}
