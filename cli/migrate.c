/*
 * migrate.c: `sluice migrate`, versioned deployments modelled on
 * ksql-migrations.
 *
 *     sluice migrate new DIR            a project: DIR/migrations/ and
 *                                       DIR/sluice-migrations.properties
 *     sluice migrate create NAME        migrations/V000001__NAME.sql (next version)
 *     sluice migrate apply --all | --next | --until V
 *     sluice migrate info               version, name, state, checksum, applied at
 *     sluice migrate validate           the applied files' checksums are unchanged
 *
 * The project is the directory of the properties file (--config-file, else
 * ./sluice-migrations.properties); that file is an ordinary sluice
 * configuration (bootstrap.servers, sluice.data.dir, ksql.service.id), so
 * the same flags reach the same engine as every other subcommand.
 *
 * What was applied is recorded in the engine itself, as ksql-migrations
 * does: every step of a migration (RUNNING, then MIGRATED or ERROR) is a
 * record of the stream MIGRATION_EVENTS, and the table
 * MIGRATION_SCHEMA_VERSIONS keeps the latest state of each version for
 * queries. Any machine pointed at the same data directory or Kafka cluster
 * (and service id) sees the same history; the history is read back from
 * the stream's topic, so it does not depend on the table's query having
 * caught up.
 *
 * With --server URL (or server.url in the properties file, as
 * ksql-migrations' ksql.server.url; server.auth and server.cacert beside
 * it) the migrations go through a worker (`sluice server`), which owns its
 * engine and data directory: every statement, the migrations' own and the
 * CREATEs of the stream and table, is sent as text by cli/remote.c, as
 * `sluice --server URL -f` sends a file; the events are written through
 * /inserts-stream, where the values travel as JSON and the worker writes
 * them as literals (an error message with quotes or ${...} stays as it
 * was). The history is read back with a pull query over the stream,
 * `SELECT * FROM MIGRATION_EVENTS` on /query-stream: a pull query over a
 * stream scans its topic to the end as of the request, so it answers every
 * event, the ones written a moment ago included, which is what reading the
 * topic does here; a pull query on the table would answer only what the
 * table's query has processed so far. The two ways differ only in a
 * backend (run statements, write an event, read the events); apply, info
 * and validate are the same code for both.
 *
 * A migration runs through a session like `sluice -f`: the statements
 * before a failed one stay applied (as reported), the version is recorded
 * as ERROR with the reason, and apply stops with exit 1. Applying again
 * skips the MIGRATED versions, so `apply --all` twice changes nothing the
 * second time. apply first validates the checksums of applied files.
 *
 * Does not: parse or run statements itself (engine/exec.h), or speak HTTP
 * (cli/remote.c).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli/cli.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/exec.h"

#define PROPS_FILE "sluice-migrations.properties"
#define EVENTS_STREAM "MIGRATION_EVENTS"
#define EVENTS_TOPIC "sluice_migration_events"
#define VERSIONS_TABLE "MIGRATION_SCHEMA_VERSIONS"
#define VERSIONS_TOPIC "sluice_migration_schema_versions"
#define MAX_VERSION 999999

static const char migrate_usage[] =
    "usage: sluice migrate COMMAND [options]\n"
    "\n"
    "Versioned deployments (as ksql-migrations): numbered SQL files applied in\n"
    "order, each once; what was applied is recorded in the engine (the stream\n"
    EVENTS_STREAM " and the table " VERSIONS_TABLE ").\n"
    "\n"
    "commands:\n"
    "  new DIR                  create a project: DIR/migrations/ and DIR/" PROPS_FILE "\n"
    "  create NAME              add migrations/V<next>__NAME.sql\n"
    "  apply --all | --next | --until VERSION\n"
    "                           apply the pending migrations (all, the next one,\n"
    "                           or up to VERSION); stops at the first failure\n"
    "  info                     every migration: version, name, state, checksum,\n"
    "                           applied at\n"
    "  validate                 check that applied files are unchanged (checksums)\n"
    "\n"
    "options:\n"
    "  -d, --data-dir DIR       the data directory ($SLUICE_DATA_DIR, else ./sluice-data)\n"
    SL_CLI_CONN_HELP
    "                           (default here: the project's " PROPS_FILE ";\n"
    "                           the project is that file's directory)\n"
    "      --server URL         apply through the worker at URL (sluice server), which\n"
    "                           keeps the history in its engine (default: server.url\n"
    "                           of the project's " PROPS_FILE ")\n"
    "      --server-auth USER:PASSWORD  basic auth for the worker ($SLUICE_SERVER_AUTH,\n"
    "                           else server.auth)\n"
    "      --server-cacert FILE the CA certificate that signed the worker's (https;\n"
    "                           else server.cacert)\n"
    "  -D, --define NAME=VALUE  a variable for ${NAME} in the migrations (may be repeated)\n"
    "  -h, --help               show this help\n"
    "\n"
    "exit status: 0 success, 1 a migration failed or a check did not pass,\n"
    "2 usage error (or a Kafka cluster or worker that cannot be reached)\n";

/* ---- the project's files ---- */

typedef struct mfile {
    int version;
    char *name;                 /* the part after V000001__, without .sql */
    char *path;
    char checksum[17];          /* xxh64 of the content, hex */
} mfile;

typedef struct project {
    char *dir;                  /* the project directory */
    char *props;                /* its properties file, or NULL when there is none */
    char *mdir;                 /* dir/migrations */
    mfile *files;               /* sorted by version */
    int nfiles;
} project;

static void project_fini(project *p)
{
    for (int i = 0; i < p->nfiles; i++) {
        free(p->files[i].name);
        free(p->files[i].path);
    }
    free(p->files);
    free(p->dir);
    free(p->props);
    free(p->mdir);
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

/* V<digits>__<name>.sql: the version, or -1 when fname is not a migration. */
static int parse_fname(const char *fname, char **name)
{
    size_t n = strlen(fname);
    if (fname[0] != 'V' || n < 8 || strcmp(fname + n - 4, ".sql") != 0)
        return -1;
    const char *sep = strstr(fname, "__");
    if (!sep || sep == fname + 1)
        return -1;
    int64_t v;
    char digits[16];
    size_t nd = (size_t)(sep - fname - 1);
    if (nd >= sizeof digits)
        return -1;
    memcpy(digits, fname + 1, nd);
    digits[nd] = '\0';
    if (!sl_cli_parse_int(digits, 1, MAX_VERSION, &v))
        return -1;
    *name = strndup(sep + 2, (size_t)(fname + n - 4 - (sep + 2)));
    return *name ? (int)v : -1;
}

static int cmp_mfile(const void *x, const void *y)
{
    return ((const mfile *)x)->version - ((const mfile *)y)->version;
}

static bool file_checksum(const char *path, char out[17])
{
    sl_error err;
    size_t len = 0;
    char *text = sl_cli_read_file(path, &len, &err);
    if (!text)
        return false;
    snprintf(out, 17, "%016llx", (unsigned long long)XXH64(text, len, 0));
    free(text);
    return true;
}

/* Lists dir/migrations; false (with the reason printed) on an unreadable
 * directory or two files with the same version. */
static bool project_scan(project *p)
{
    DIR *d = opendir(p->mdir);
    if (!d) {
        fprintf(stderr, "sluice migrate: cannot open %s: %s (create a project with "
                        "`sluice migrate new DIR`)\n", p->mdir, strerror(errno));
        return false;
    }
    struct dirent *de;
    int cap = 0;
    bool ok = true;
    while ((de = readdir(d))) {
        char *name = NULL;
        int v = parse_fname(de->d_name, &name);
        if (v < 0)
            continue;
        if (p->nfiles == cap) {
            cap = cap ? cap * 2 : 16;
            mfile *nf = realloc(p->files, (size_t)cap * sizeof *nf);
            if (!nf) {
                free(name);
                ok = false;
                break;
            }
            p->files = nf;
        }
        mfile *f = &p->files[p->nfiles++];
        f->version = v;
        f->name = name;
        f->path = join(p->mdir, de->d_name);
        if (!f->path || !file_checksum(f->path, f->checksum)) {
            fprintf(stderr, "sluice migrate: cannot read %s\n", de->d_name);
            ok = false;
        }
    }
    closedir(d);
    if (p->nfiles > 1)
        qsort(p->files, (size_t)p->nfiles, sizeof *p->files, cmp_mfile);
    for (int i = 1; ok && i < p->nfiles; i++)
        if (p->files[i].version == p->files[i - 1].version) {
            fprintf(stderr, "sluice migrate: %s and %s have the same version %d\n",
                    p->files[i - 1].path, p->files[i].path, p->files[i].version);
            ok = false;
        }
    return ok;
}

/* The project of config_file (else ./sluice-migrations.properties). */
static bool project_open(project *p, const char *config_file)
{
    memset(p, 0, sizeof *p);
    const char *props = config_file ? config_file : PROPS_FILE;
    char *copy = strdup(props);
    p->dir = copy ? strdup(dirname(copy)) : NULL;
    free(copy);
    if (access(props, R_OK) == 0)
        p->props = strdup(props);
    else if (config_file) {
        fprintf(stderr, "sluice migrate: cannot read %s: %s\n", config_file, strerror(errno));
        return false;
    }
    p->mdir = p->dir ? join(p->dir, "migrations") : NULL;
    return p->mdir != NULL;
}

/* ---- new, create ---- */

static const char props_template[] =
    "# sluice migrations project: the migrations are the V<version>__<name>.sql\n"
    "# files in migrations/, applied in version order by `sluice migrate apply`.\n"
    "# This is an ordinary sluice configuration file: it says which engine the\n"
    "# migrations are applied to (command-line flags and SLUICE_* variables win).\n"
    "#\n"
    "# The embedded store in this directory (default: ./sluice-data):\n"
    "# sluice.data.dir=./sluice-data\n"
    "# or a Kafka cluster, shared by every worker with the same service id:\n"
    "# bootstrap.servers=localhost:9092\n"
    "# ksql.service.id=default_\n"
    "# or a worker (sluice server) that applies them to its own engine:\n"
    "# server.url=http://127.0.0.1:8088\n"
    "# server.auth=USER:PASSWORD\n"
    "# server.cacert=ca.pem\n";

static int cmd_new(const char *dir)
{
    if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
        fprintf(stderr, "sluice migrate: cannot create %s: %s\n", dir, strerror(errno));
        return SL_CLI_FAIL;
    }
    char *mdir = join(dir, "migrations");
    char *props = join(dir, PROPS_FILE);
    int rc = SL_CLI_OK;
    if (!mdir || !props) {
        rc = SL_CLI_FAIL;
    } else if (access(props, F_OK) == 0) {
        fprintf(stderr, "sluice migrate: %s already exists: not a new project\n", props);
        rc = SL_CLI_FAIL;
    } else if (mkdir(mdir, 0777) < 0 && errno != EEXIST) {
        fprintf(stderr, "sluice migrate: cannot create %s: %s\n", mdir, strerror(errno));
        rc = SL_CLI_FAIL;
    } else {
        FILE *f = fopen(props, "w");
        if (!f || fputs(props_template, f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "sluice migrate: cannot write %s: %s\n", props, strerror(errno));
            rc = SL_CLI_FAIL;
        } else {
            printf("Created migrations project %s: add migrations with `sluice migrate "
                   "--config-file %s create NAME`\n", dir, props);
        }
    }
    free(mdir);
    free(props);
    return rc;
}

/* A file name part from NAME: letters, digits and '_' kept, others '_'. */
static bool clean_name(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++)
        out[k++] = (isalnum((unsigned char)*in) || *in == '_') ? *in : '_';
    out[k] = '\0';
    return k > 0 && !*in;
}

static int cmd_create(project *p, const char *name)
{
    char clean[128];
    if (!clean_name(name, clean, sizeof clean)) {
        fprintf(stderr, "sluice migrate: a migration name of 1 to 127 characters, got '%s'\n",
                name);
        return SL_CLI_USAGE;
    }
    if (!project_scan(p))
        return SL_CLI_FAIL;
    int v = p->nfiles ? p->files[p->nfiles - 1].version + 1 : 1;
    if (v > MAX_VERSION) {
        fprintf(stderr, "sluice migrate: no version left after %d\n", MAX_VERSION);
        return SL_CLI_FAIL;
    }
    char fname[160];
    snprintf(fname, sizeof fname, "V%06d__%s.sql", v, clean);
    char *path = join(p->mdir, fname);
    FILE *f = path ? fopen(path, "wx") : NULL;
    if (!f) {
        fprintf(stderr, "sluice migrate: cannot create %s: %s\n", path ? path : fname,
                strerror(errno));
        free(path);
        return SL_CLI_FAIL;
    }
    fprintf(f, "-- migration %d: %s\n-- statements run in order by `sluice migrate apply`; "
               "write CREATE ... IF NOT EXISTS so a retry after a failure goes through\n",
            v, name);
    fclose(f);
    printf("Created %s\n", path);
    free(path);
    return SL_CLI_OK;
}

/* ---- the history in the engine ---- */

typedef struct mstate {
    int version;
    char *name, *state, *checksum, *started_on, *completed_on, *error_reason;
} mstate;

typedef struct history {
    mstate *v;                  /* the latest event of each version, sorted by version */
    int n, cap;
} history;

static void mstate_fini(mstate *m)
{
    free(m->name);
    free(m->state);
    free(m->checksum);
    free(m->started_on);
    free(m->completed_on);
    free(m->error_reason);
}

static void history_fini(history *h)
{
    for (int i = 0; i < h->n; i++)
        mstate_fini(&h->v[i]);
    free(h->v);
}

static const mstate *history_find(const history *h, int version)
{
    for (int i = 0; i < h->n; i++)
        if (h->v[i].version == version)
            return &h->v[i];
    return NULL;
}

/* The highest MIGRATED version, 0 when none. */
static int history_current(const history *h)
{
    int cur = 0;
    for (int i = 0; i < h->n; i++)
        if (strcmp(h->v[i].state, "MIGRATED") == 0 && h->v[i].version > cur)
            cur = h->v[i].version;
    return cur;
}

static char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return strdup(s ? s : "");
}

static void history_add(history *h, json_t *o)
{
    json_t *jv = json_object_get(o, "VERSION");
    if (!json_is_integer(jv))
        return;
    int version = (int)json_integer_value(jv);
    mstate *m = (mstate *)history_find(h, version);
    if (m) {
        mstate_fini(m);
    } else {
        if (h->n == h->cap) {
            int ncap = h->cap ? h->cap * 2 : 16;
            mstate *nv = realloc(h->v, (size_t)ncap * sizeof *nv);
            if (!nv)
                return;
            h->v = nv;
            h->cap = ncap;
        }
        m = &h->v[h->n++];
    }
    m->version = version;
    m->name = jstr(o, "NAME");
    m->state = jstr(o, "STATE");
    m->checksum = jstr(o, "CHECKSUM");
    m->started_on = jstr(o, "STARTED_ON");
    m->completed_on = jstr(o, "COMPLETED_ON");
    m->error_reason = jstr(o, "ERROR_REASON");
}

static int cmp_mstate(const void *x, const void *y)
{
    return ((const mstate *)x)->version - ((const mstate *)y)->version;
}

/* ---- where statements run: an engine here, or a worker ----
 *
 * Everything above and below is the same for both; a backend differs in
 * how it runs statements, writes an event and reads the events back. */

typedef struct backend backend;

typedef struct backend_ops {
    /* runs text as `sluice -f` does: results to out, errors to err; 0 when
     * every statement succeeded */
    int (*exec)(backend *b, const char *text, size_t len, const char *src, FILE *out,
                FILE *err);
    /* runs the history's DDL, whose SET 'auto.offset.reset' must not reach
     * the migrations' statements; 0 on success */
    int (*setup)(backend *b, const char *ddl, size_t len);
    /* appends event (the stream's value columns) with the version as key */
    int (*record)(backend *b, int version, json_t *event, sl_error *err);
    /* every event, in order, through history_add */
    int (*load)(backend *b, history *h, sl_error *err);
} backend_ops;

struct backend {
    const backend_ops *ops;
    sl_engine *e;               /* the local engine, or NULL */
    sl_remote *r;               /* the worker, or NULL */
    char where[512];            /* the data directory, cluster or URL: for messages */
};

/* Whether a failure was the worker going away (exit status 2). */
static bool backend_unreachable(const backend *b)
{
    return b->r && sl_remote_unreachable(b->r);
}

/* Runs text: results to stdout (nowhere when quiet), errors to stderr and,
 * when errbuf is given, into *errbuf (malloc'd). */
static int run_sql(backend *b, const char *text, size_t len, const char *src, bool quiet,
                   char **errbuf)
{
    char *eb = NULL;
    size_t el = 0;
    FILE *er = open_memstream(&eb, &el);
    FILE *devnull = quiet ? fopen("/dev/null", "w") : NULL;
    int rc = er ? b->ops->exec(b, text, len, src, quiet ? devnull : stdout, er) : 1;
    if (er)
        fclose(er);
    if (devnull)
        fclose(devnull);
    if (eb && *eb)
        fputs(eb, stderr);
    if (errbuf)
        *errbuf = eb;
    else
        free(eb);
    return rc;
}

/* ---- the engine here ---- */

static int local_exec(backend *b, const char *text, size_t len, const char *src, FILE *out,
                      FILE *err)
{
    sl_session_opts so = {.output = SL_OUTPUT_TABLE, .out = out, .err = err};
    sl_error e;
    sl_error_clear(&e);
    sl_session *s = sl_session_open(b->e, &so, &e);
    if (!s) {
        fprintf(err, "%s\n", e.msg);
        return 1;
    }
    int rc = sl_session_execute(s, text, len, src);
    sl_session_free(s);
    return rc;
}

/* The catalog's auto.offset.reset is shared by every session on the
 * engine: it goes back to what it was. */
static int local_setup(backend *b, const char *ddl, size_t len)
{
    sl_catalog *cat = sl_engine_catalog(b->e);
    const char *was = sl_catalog_property_is_set(cat, "auto.offset.reset")
                          ? sl_catalog_property(cat, "auto.offset.reset") : NULL;
    char *saved = was ? strdup(was) : NULL;
    int rc = run_sql(b, ddl, len, "<migrations>", true, NULL);
    sl_error err;
    sl_arena *scratch = sl_arena_new(0);
    if (saved)
        sl_catalog_set_property(cat, "auto.offset.reset", saved, SL_NOSPAN, &err);
    else
        sl_catalog_unset_property(cat, "auto.offset.reset", scratch);
    sl_arena_free(scratch);
    free(saved);
    return rc;
}

/* Appends to the stream's topic as its JSON format writes a row (column
 * names as keys, the version as the KAFKA string key). */
static int local_record(backend *b, int version, json_t *event, sl_error *err)
{
    char *text = json_dumps(event, JSON_COMPACT);
    if (!text)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "cannot encode a migration event");
    char key[16];
    snprintf(key, sizeof key, "%d", version);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sl_record rec = {0};
    rec.key = key;
    rec.key_len = (int32_t)strlen(key);
    rec.value = text;
    rec.value_len = (int32_t)strlen(text);
    rec.timestamp = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    sl_log_txn *t = sl_log_txn_begin(sl_engine_log(b->e));
    int rc = sl_log_txn_append(t, EVENTS_TOPIC, 0, &rec, NULL, NULL, err);
    if (rc < 0)
        sl_log_txn_abort(t);
    else
        rc = sl_log_txn_commit(t, err);
    free(text);
    return rc;
}

/* Reads every event of the stream's topic (one partition) up to its end
 * now, without waiting for the table's query. */
static int local_load(backend *b, history *h, sl_error *err)
{
    sl_log *log = sl_engine_log(b->e);
    int64_t end = sl_log_end_offset(log, EVENTS_TOPIC, 0, err);
    if (end < 0)
        return -1;
    int64_t from = sl_log_start_offset(log, EVENTS_TOPIC, 0, err);
    if (from < 0)
        return -1;
    sl_arena *a = sl_arena_new(0);
    sl_record recs[64];
    int empty = 0;
    while (from < end) {
        int n = 0;
        sl_arena_reset(a);
        if (sl_log_read(log, EVENTS_TOPIC, 0, from, 64, a, recs, &n, err) < 0) {
            sl_arena_free(a);
            return -1;
        }
        if (n == 0) {
            /* a read can come back empty below the end on Kafka: try again,
             * unless only offsets without records are left (the commit
             * marker of a transaction under exactly-once) */
            if (sl_log_read_at_end(log, EVENTS_TOPIC, 0, end))
                break;
            if (++empty > 300) {
                sl_arena_free(a);
                return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                                    "cannot read " EVENTS_TOPIC " past offset %lld of %lld",
                                    (long long)from, (long long)end);
            }
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        empty = 0;
        for (int i = 0; i < n && recs[i].offset < end; i++) {
            if (recs[i].value_len <= 0)
                continue;
            json_t *o = json_loadb(recs[i].value, (size_t)recs[i].value_len, 0, NULL);
            if (o)
                history_add(h, o);
            json_decref(o);
        }
        from = recs[n - 1].offset + 1;
    }
    sl_arena_free(a);
    return 0;
}

static const backend_ops local_ops = {local_exec, local_setup, local_record, local_load};

/* ---- a worker (sluice server, through cli/remote.c) ---- */

static int remote_exec(backend *b, const char *text, size_t len, const char *src, FILE *out,
                       FILE *err)
{
    sl_remote_set_output(b->r, out, err);
    int rc = sl_remote_execute(b->r, text, len, src);
    sl_remote_set_output(b->r, NULL, NULL);
    return rc;
}

/* SET lives in the client (it goes with every request): UNSET drops it. */
static int remote_setup(backend *b, const char *ddl, size_t len)
{
    sl_buf sql = SL_BUF_INIT;
    sl_buf_append(&sql, ddl, len);
    sl_buf_puts(&sql, "UNSET 'auto.offset.reset';\n");
    int rc = run_sql(b, sql.data, sql.len, "<migrations>", true, NULL);
    sl_buf_fini(&sql);
    return rc;
}

/* The worker's message in an error answer (JSON with "message"), else the
 * answer itself. */
static void remote_error(const char *what, long status, const char *answer, sl_error *err)
{
    json_t *o = json_loads(answer, JSON_DISABLE_EOF_CHECK, NULL);
    const char *m = json_string_value(json_object_get(o, "message"));
    sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s (HTTP %ld)", what,
                 m ? m : *answer ? answer : "no answer", status);
    json_decref(o);
}

/* /inserts-stream: the values go as JSON and the worker writes them as
 * literals, so an error text with quotes or ${...} stays what it was. */
static int remote_record(backend *b, int version, json_t *event, sl_error *err)
{
    char key[16];
    snprintf(key, sizeof key, "%d", version);
    json_t *row = json_deep_copy(event);
    json_object_set_new(row, "VERSION_KEY", json_string(key));
    char *line = json_dumps(row, JSON_COMPACT);
    json_decref(row);
    if (!line)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "cannot encode a migration event");
    sl_buf body = SL_BUF_INIT, answer = SL_BUF_INIT;
    sl_buf_printf(&body, "{\"target\":\"%s\"}\n%s\n", EVENTS_STREAM, line);
    free(line);
    long status = 0;
    int rc = sl_remote_post(b->r, "/inserts-stream", "application/vnd.ksqlapi.delimited.v1",
                            body.data, body.len, &answer, &status);
    if (rc < 0) {
        rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "the worker at %s cannot be reached",
                          b->where);
    } else {
        /* one ack per row: {"status":"ok",...} or {"status":"error",...,"message":...} */
        json_t *ack = json_loads(sl_buf_cstr(&answer), JSON_DISABLE_EOF_CHECK, NULL);
        const char *st = json_string_value(json_object_get(ack, "status"));
        if (status != 200 || !st || strcmp(st, "ok") != 0) {
            remote_error("the worker refused the event", status, sl_buf_cstr(&answer), err);
            rc = -1;
        }
        json_decref(ack);
    }
    sl_buf_fini(&body);
    sl_buf_fini(&answer);
    return rc;
}

/* One row of /query-stream's answer as {"COLUMN": value}; NULL when the
 * line is not a row (the header, or an error ending the stream). */
static json_t *row_object(json_t *names, json_t *row)
{
    if (!json_is_array(row) || json_array_size(row) != json_array_size(names))
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *n = json_string_value(json_array_get(names, i));
        if (n)
            json_object_set(o, n, json_array_get(row, i));
    }
    return o;
}

/* A pull query over the stream: it scans the topic to its end as of the
 * request, so it answers every event, the ones just written included. */
static int remote_load(backend *b, history *h, sl_error *err)
{
    static const char q[] = "{\"sql\":\"SELECT * FROM " EVENTS_STREAM ";\"}";
    sl_buf answer = SL_BUF_INIT;
    long status = 0;
    if (sl_remote_post(b->r, "/query-stream", "application/vnd.ksql.v1+json", q, sizeof q - 1,
                       &answer, &status) < 0) {
        sl_buf_fini(&answer);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "the worker at %s cannot be reached",
                            b->where);
    }
    int rc = 0;
    if (status != 200) {
        remote_error("cannot read " EVENTS_STREAM, status, sl_buf_cstr(&answer), err);
        rc = -1;
    }
    /* a header line with the column names, then a JSON array per row */
    json_t *names = NULL;
    const char *line = sl_buf_cstr(&answer);
    while (rc == 0 && *line) {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        json_t *v = n ? json_loadb(line, n, 0, NULL) : NULL;
        json_t *o = names ? row_object(names, v) : NULL;
        if (o) {
            history_add(h, o);
        } else if (!names && json_is_array(json_object_get(v, "columnNames"))) {
            names = json_incref(json_object_get(v, "columnNames"));
        } else if (n) {
            const char *m = json_string_value(json_object_get(v, "message"));
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "reading " EVENTS_STREAM ": %s",
                              m ? m : "an answer that is not a row");
        }
        json_decref(o);
        json_decref(v);
        line += n + (eol ? 1 : 0);
    }
    json_decref(names);
    sl_buf_fini(&answer);
    return rc;
}

static const backend_ops remote_ops = {remote_exec, remote_setup, remote_record, remote_load};

/* ---- the history through a backend ---- */

static void now_iso(char *buf, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
}

/* Appends one event: a step of migration f. */
static int record_event(backend *b, const mfile *f, const char *state, const char *started,
                        const char *completed, const char *reason, sl_error *err)
{
    json_t *o = json_object();
    json_object_set_new(o, "VERSION", json_integer(f->version));
    json_object_set_new(o, "NAME", json_string(f->name));
    json_object_set_new(o, "STATE", json_string(state));
    json_object_set_new(o, "CHECKSUM", json_string(f->checksum));
    json_object_set_new(o, "STARTED_ON", started ? json_string(started) : json_null());
    json_object_set_new(o, "COMPLETED_ON", completed ? json_string(completed) : json_null());
    json_object_set_new(o, "ERROR_REASON", reason ? json_string(reason) : json_null());
    int rc = b->ops->record(b, f->version, o, err);
    json_decref(o);
    return rc;
}

/* The latest event of each version, sorted by version. */
static int history_load(backend *b, history *h, sl_error *err)
{
    if (b->ops->load(b, h, err) < 0)
        return -1;
    if (h->n > 1)
        qsort(h->v, (size_t)h->n, sizeof *h->v, cmp_mstate);
    return 0;
}

/* The stream of events and the table of versions, made on first use; the
 * table reads the events from the start whatever the defaults say. */
static int ensure_history(backend *b)
{
    static const char ddl[] =
        "CREATE STREAM IF NOT EXISTS " EVENTS_STREAM " (VERSION_KEY STRING KEY, "
        "VERSION INT, NAME STRING, STATE STRING, CHECKSUM STRING, STARTED_ON STRING, "
        "COMPLETED_ON STRING, ERROR_REASON STRING) WITH (KAFKA_TOPIC='" EVENTS_TOPIC "', "
        "PARTITIONS=1, KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');\n"
        "SET 'auto.offset.reset'='earliest';\n"
        "CREATE TABLE IF NOT EXISTS " VERSIONS_TABLE " WITH (KAFKA_TOPIC='" VERSIONS_TOPIC "') "
        "AS SELECT VERSION_KEY, LATEST_BY_OFFSET(VERSION) AS VERSION, "
        "LATEST_BY_OFFSET(NAME) AS NAME, LATEST_BY_OFFSET(STATE) AS STATE, "
        "LATEST_BY_OFFSET(CHECKSUM) AS CHECKSUM, LATEST_BY_OFFSET(STARTED_ON) AS STARTED_ON, "
        "LATEST_BY_OFFSET(COMPLETED_ON) AS COMPLETED_ON, "
        "LATEST_BY_OFFSET(ERROR_REASON) AS ERROR_REASON FROM " EVENTS_STREAM
        " GROUP BY VERSION_KEY;\n";
    return b->ops->setup(b, ddl, sizeof ddl - 1) ? -1 : 0;
}

/* ---- apply, info, validate ---- */

/* Applied files that changed or went missing; the count of problems. */
static int check_applied(const project *p, const history *h, bool verbose)
{
    int bad = 0;
    for (int i = 0; i < h->n; i++) {
        const mstate *m = &h->v[i];
        if (strcmp(m->state, "MIGRATED") != 0)
            continue;
        const mfile *f = NULL;
        for (int j = 0; j < p->nfiles && !f; j++)
            if (p->files[j].version == m->version)
                f = &p->files[j];
        if (!f) {
            fprintf(stderr, "sluice migrate: version %d (%s) was applied but its file is not "
                            "in %s\n", m->version, m->name, p->mdir);
            bad++;
        } else if (strcmp(f->checksum, m->checksum) != 0) {
            fprintf(stderr, "sluice migrate: %s changed after it was applied (checksum %s, "
                            "applied %s)\n", f->path, f->checksum, m->checksum);
            bad++;
        } else if (verbose) {
            printf("version %d (%s): checksum %s matches\n", m->version, m->name, m->checksum);
        }
    }
    return bad;
}

/* The exit status of a migration: 0, 1 when it failed (recorded as ERROR),
 * 2 when the worker went away. */
static int apply_one(backend *b, const mfile *f)
{
    sl_error err;
    sl_error_clear(&err);
    char started[32], done[32];
    now_iso(started, sizeof started);
    printf("Applying version %d (%s) from %s\n", f->version, f->name, f->path);
    fflush(stdout);
    if (record_event(b, f, "RUNNING", started, NULL, NULL, &err) < 0) {
        fprintf(stderr, "sluice migrate: cannot record version %d: %s\n", f->version, err.msg);
        return backend_unreachable(b) ? SL_CLI_USAGE : SL_CLI_FAIL;
    }
    size_t len = 0;
    char *text = sl_cli_read_file(f->path, &len, &err);
    char *errtext = NULL;
    int rc = text ? run_sql(b, text, len, f->path, false, &errtext) : 1;
    if (!text)
        fprintf(stderr, "sluice migrate: %s\n", err.msg);
    free(text);
    now_iso(done, sizeof done);
    const char *reason = rc == 0 ? NULL : errtext && *errtext ? errtext : err.msg;
    bool recorded =
        record_event(b, f, rc == 0 ? "MIGRATED" : "ERROR", started, done, reason, &err) == 0;
    if (!recorded)
        fprintf(stderr, "sluice migrate: cannot record version %d: %s\n", f->version, err.msg);
    free(errtext);
    if (backend_unreachable(b)) {
        fprintf(stderr, "sluice migrate: version %d (%s) did not complete: the worker at %s "
                        "cannot be reached; apply again when it is back\n",
                f->version, f->name, b->where);
        return SL_CLI_USAGE;
    }
    if (rc != 0) {
        fprintf(stderr, "sluice migrate: version %d (%s) failed: %s; the statements before "
                        "the failed one stay applied\n", f->version, f->name,
                recorded ? "recorded as ERROR" : "could not be recorded as ERROR");
        return SL_CLI_FAIL;
    }
    if (!recorded)
        return SL_CLI_FAIL;
    printf("Migrated version %d (%s)\n", f->version, f->name);
    return SL_CLI_OK;
}

typedef enum { UNTIL_NONE, UNTIL_ALL, UNTIL_NEXT, UNTIL_VERSION } until_kind;

static int cmd_apply(backend *b, const project *p, const history *h, until_kind how,
                     int until)
{
    int bad = check_applied(p, h, false);
    if (bad) {
        fprintf(stderr, "sluice migrate: %d applied migration%s changed or missing: fix that "
                        "first (`sluice migrate validate`); nothing applied\n", bad,
                bad == 1 ? "" : "s");
        return SL_CLI_FAIL;
    }
    int cur = history_current(h);
    if (how == UNTIL_VERSION && until <= cur) {
        printf("Already at version %d (asked for %d): nothing to apply\n", cur, until);
        return SL_CLI_OK;
    }
    int applied = 0;
    for (int i = 0; i < p->nfiles; i++) {
        const mfile *f = &p->files[i];
        const mstate *m = history_find(h, f->version);
        if (m && strcmp(m->state, "MIGRATED") == 0)
            continue;
        if (f->version < cur) {
            fprintf(stderr, "sluice migrate: %s (version %d) was never applied but version %d "
                            "was: give it a version above %d\n", f->path, f->version, cur,
                    cur);
            return SL_CLI_FAIL;
        }
        if (how == UNTIL_VERSION && f->version > until)
            break;
        int rc = apply_one(b, f);
        if (rc != SL_CLI_OK)
            return rc;
        applied++;
        cur = f->version;
        if (how == UNTIL_NEXT)
            break;
    }
    if (how == UNTIL_VERSION && cur < until)
        fprintf(stderr, "sluice migrate: no migration file has version %d\n", until);
    if (applied == 0)
        printf("Already at the latest version %d: nothing to apply\n", cur);
    else
        printf("Applied %d migration%s: now at version %d\n", applied, applied == 1 ? "" : "s",
               cur);
    return how == UNTIL_VERSION && cur < until ? SL_CLI_FAIL : SL_CLI_OK;
}

static int cmd_info(const project *p, const history *h)
{
    printf("Current migration version: %d\n", history_current(h));
    printf("%-8s  %-28s  %-9s  %-16s  %-20s  %s\n", "Version", "Name", "State", "Checksum",
           "Applied At", "Error");
    /* the files, and the recorded versions whose file is gone */
    int i = 0, j = 0;
    while (i < p->nfiles || j < h->n) {
        const mfile *f = i < p->nfiles ? &p->files[i] : NULL;
        const mstate *m = j < h->n ? &h->v[j] : NULL;
        if (f && m && f->version != m->version) {
            if (f->version < m->version)
                m = NULL;
            else
                f = NULL;
        }
        const char *state = m ? m->state : "PENDING";
        const char *sum = m ? m->checksum : f->checksum;
        bool changed = f && m && strcmp(f->checksum, m->checksum) != 0;
        char *reason = m && *m->error_reason ? strdup(m->error_reason) : NULL;
        if (reason)
            reason[strcspn(reason, "\n")] = '\0';     /* its first line */
        printf("%-8d  %-28s  %-9s  %-16s  %-20s  %s%s%s\n", f ? f->version : m->version,
               f ? f->name : m->name, state, sum, m && *m->completed_on ? m->completed_on : "-",
               reason ? reason : "", changed ? " (file changed since)" : "",
               !f ? " (file missing)" : "");
        free(reason);
        i += f != NULL;
        j += m != NULL;
    }
    return SL_CLI_OK;
}

static int cmd_validate(const project *p, const history *h)
{
    int bad = check_applied(p, h, true);
    if (bad) {
        fprintf(stderr, "sluice migrate: validation failed: %d problem%s\n", bad,
                bad == 1 ? "" : "s");
        return SL_CLI_FAIL;
    }
    int n = 0;
    for (int i = 0; i < h->n; i++)
        n += strcmp(h->v[i].state, "MIGRATED") == 0;
    printf("Validated: the %d applied migration%s match%s their files\n", n,
           n == 1 ? "" : "s", n == 1 ? "es" : "");
    return SL_CLI_OK;
}

/* ---- options ---- */

enum { OPT_SERVER = 0x300, OPT_SERVER_AUTH, OPT_SERVER_CACERT };

typedef struct mopts {
    sl_cli_conn cc;
    const char *server;         /* --server, or NULL */
    const char *server_auth;    /* --server-auth, or NULL */
    const char *server_cacert;  /* --server-cacert, or NULL */
    until_kind how;
    int until;
    const char **defines;
    int ndefines;
} mopts;

/* 0, or the exit status of a bad option. */
static int parse_opts(int argc, char **argv, mopts *o)
{
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"define", required_argument, NULL, 'D'},
        {"all", no_argument, NULL, 'a'},
        {"next", no_argument, NULL, 'n'},
        {"until", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        SL_CLI_CONN_LONGOPTS,
        {"server", required_argument, NULL, OPT_SERVER},
        {"server-auth", required_argument, NULL, OPT_SERVER_AUTH},
        {"server-cacert", required_argument, NULL, OPT_SERVER_CACERT},
        {NULL, 0, NULL, 0},
    };
    int c;
    int64_t v;
    while ((c = getopt_long(argc, argv, "d:D:h", longopts, NULL)) != -1) {
        until_kind k = UNTIL_NONE;
        switch (c) {
        case 'd': o->cc.data_dir = optarg; break;
        case SL_OPT_BOOTSTRAP:
        case SL_OPT_CONFIG_FILE: sl_cli_conn_option(&o->cc, c, optarg); break;
        case OPT_SERVER: o->server = optarg; break;
        case OPT_SERVER_AUTH: o->server_auth = optarg; break;
        case OPT_SERVER_CACERT: o->server_cacert = optarg; break;
        case 'D':
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                fprintf(stderr, "sluice migrate: -D wants NAME=VALUE, got '%s'\n", optarg);
                return SL_CLI_USAGE;
            }
            o->defines[o->ndefines++] = optarg;
            break;
        case 'a': k = UNTIL_ALL; break;
        case 'n': k = UNTIL_NEXT; break;
        case 'u':
            if (!sl_cli_parse_int(optarg, 1, MAX_VERSION, &v)) {
                fprintf(stderr, "sluice migrate: --until wants a version 1..%d, got '%s'\n",
                        MAX_VERSION, optarg);
                return SL_CLI_USAGE;
            }
            k = UNTIL_VERSION;
            o->until = (int)v;
            break;
        case 'h': fputs(migrate_usage, stdout); return -1;
        default: fputs(migrate_usage, stderr); return SL_CLI_USAGE;
        }
        if (k != UNTIL_NONE) {
            if (o->how != UNTIL_NONE) {
                fprintf(stderr, "sluice migrate: one of --all, --next, --until\n");
                return SL_CLI_USAGE;
            }
            o->how = k;
        }
    }
    return 0;
}

/* The -D variables as NAME and VALUE, for each backend's way of defining. */
static void define_at(const mopts *o, int i, char *name, size_t n, const char **value)
{
    const char *eq = strchr(o->defines[i], '=');
    snprintf(name, n, "%.*s", (int)(eq - o->defines[i]), o->defines[i]);
    *value = eq + 1;
}

/* The engine of cfg here; the exit status of a failure. */
static int open_local(backend *b, const mopts *o, sl_config *cfg)
{
    sl_error err;
    sl_error_clear(&err);
    sl_engine_opts eo = {0};
    eo.config = cfg;
    b->e = sl_engine_open(&eo, &err);
    if (!b->e) {
        fprintf(stderr, "sluice migrate: %s\n", err.msg);
        return sl_cli_open_status(&err);
    }
    b->ops = &local_ops;
    snprintf(b->where, sizeof b->where, "%s", sl_engine_location(b->e));
    for (int i = 0; i < o->ndefines; i++) {
        char name[256];
        const char *value;
        define_at(o, i, name, sizeof name, &value);
        sl_session *s = sl_session_open(b->e, NULL, &err);
        int bad = !s || sl_session_define(s, name, value, &err) != 0;
        sl_session_free(s);
        if (bad) {
            fprintf(stderr, "sluice migrate: -D %s: %s\n", name, err.msg);
            return SL_CLI_USAGE;
        }
    }
    return SL_CLI_OK;
}

/* The worker at url, answering; the exit status of a failure (2 when it
 * cannot be reached). Flags win over $SLUICE_SERVER_AUTH over the file. */
static int open_remote(backend *b, const mopts *o, const sl_config *cfg, const char *url)
{
    if (o->cc.data_dir || o->cc.bootstrap) {
        fprintf(stderr, "sluice migrate: the worker at %s applies the migrations to its own "
                        "engine: no --data-dir or --bootstrap-servers with a server URL\n", url);
        return SL_CLI_USAGE;
    }
    const char *auth = o->server_auth ? o->server_auth : getenv("SLUICE_SERVER_AUTH");
    if (!auth || !*auth)
        auth = sl_config_get(cfg, SL_CFG_SERVER_AUTH);
    const char *cacert =
        o->server_cacert ? o->server_cacert : sl_config_get(cfg, SL_CFG_SERVER_CACERT);
    b->r = sl_remote_new(url, auth, cacert, SL_OUTPUT_TABLE, stdout, stderr);
    if (!b->r) {
        fprintf(stderr, "sluice migrate: out of memory\n");
        return SL_CLI_FAIL;
    }
    if (sl_remote_ping(b->r) != 0)
        return SL_CLI_USAGE;
    b->ops = &remote_ops;
    snprintf(b->where, sizeof b->where, "%s", url);
    for (int i = 0; i < o->ndefines; i++) {
        char name[256];
        const char *value;
        define_at(o, i, name, sizeof name, &value);
        sl_remote_define(b->r, name, value);
    }
    return SL_CLI_OK;
}

/* The worker named by --server or the project's server.url, else the
 * engine its configuration names. */
static int backend_open(backend *b, const mopts *o, const project *p)
{
    memset(b, 0, sizeof *b);
    sl_cli_conn cc = o->cc;
    if (!cc.config_file)
        cc.config_file = p->props;
    sl_config *cfg = sl_cli_config("sluice migrate", &cc);
    if (!cfg)
        return SL_CLI_USAGE;
    const char *url = o->server ? o->server : sl_config_get(cfg, SL_CFG_SERVER_URL);
    int rc = url ? open_remote(b, o, cfg, url) : open_local(b, o, cfg);
    sl_config_free(cfg);
    return rc;
}

static void backend_close(backend *b)
{
    sl_engine_close(b->e);
    sl_remote_free(b->r);
}

/* apply, info, validate: the backend and the history it holds. */
static int with_history(const char *cmd, const mopts *o, project *p)
{
    if (!project_scan(p))
        return SL_CLI_FAIL;
    backend b;
    int rc = backend_open(&b, o, p);
    history h = {0};
    sl_error err;
    sl_error_clear(&err);
    if (rc != SL_CLI_OK) {
        /* printed */
    } else if (ensure_history(&b) < 0) {
        fprintf(stderr, "sluice migrate: cannot create " EVENTS_STREAM " on %s\n", b.where);
        rc = SL_CLI_FAIL;
    } else if (history_load(&b, &h, &err) < 0) {
        fprintf(stderr, "sluice migrate: %s\n", err.msg);
        rc = SL_CLI_FAIL;
    } else if (strcmp(cmd, "apply") == 0) {
        rc = cmd_apply(&b, p, &h, o->how, o->until);
    } else if (strcmp(cmd, "info") == 0) {
        rc = cmd_info(p, &h);
    } else {
        rc = cmd_validate(p, &h);
    }
    if (rc == SL_CLI_FAIL && backend_unreachable(&b))
        rc = SL_CLI_USAGE;
    history_fini(&h);
    backend_close(&b);
    return rc;
}

int sl_cli_migrate(int argc, char **argv)
{
    mopts o = {0};
    o.defines = calloc((size_t)argc + 1, sizeof *o.defines);
    if (!o.defines)
        return SL_CLI_FAIL;
    int rc = parse_opts(argc, argv, &o);
    if (rc != 0) {
        free(o.defines);
        return rc < 0 ? SL_CLI_OK : rc;
    }
    const char *cmd = optind < argc ? argv[optind] : NULL;
    int nargs = argc - optind - 1;
    bool needs_arg = cmd && (!strcmp(cmd, "new") || !strcmp(cmd, "create"));
    bool known = cmd && (needs_arg || !strcmp(cmd, "apply") || !strcmp(cmd, "info") ||
                         !strcmp(cmd, "validate"));
    if (!known || nargs != (needs_arg ? 1 : 0)) {
        if (!cmd)
            fprintf(stderr, "sluice migrate: which command? new, create, apply, info, validate\n");
        else if (!known)
            fprintf(stderr, "sluice migrate: no command '%s'\n", cmd);
        else
            fprintf(stderr, "sluice migrate %s: %s\n", cmd,
                    needs_arg ? "wants one argument" : "takes no arguments");
        fputs(migrate_usage, stderr);
        free(o.defines);
        return SL_CLI_USAGE;
    }
    if (!strcmp(cmd, "apply") && o.how == UNTIL_NONE) {
        fprintf(stderr, "sluice migrate apply: say how far: --all, --next or --until VERSION\n");
        free(o.defines);
        return SL_CLI_USAGE;
    }
    if (!strcmp(cmd, "new")) {
        rc = cmd_new(argv[optind + 1]);
        free(o.defines);
        return rc;
    }
    project p;
    if (!project_open(&p, o.cc.config_file))
        rc = SL_CLI_USAGE;
    else if (!strcmp(cmd, "create"))
        rc = cmd_create(&p, argv[optind + 1]);
    else
        rc = with_history(cmd, &o, &p);
    project_fini(&p);
    free(o.defines);
    return rc;
}
