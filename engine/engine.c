/*
 * engine.c: one data directory, opened (engine.h).
 *
 * Does: pick the data directory, open the log: the embedded one (its lock
 * error, naming the process that holds the directory, is passed through)
 * or, with bootstrap servers, the Kafka cluster seen through the service
 * id (log/prefix.h: positions of query Q are kept under consumer group
 * "_sluice-SERVICE-Q", so services never share one); make the
 * catalog ask the log whether a topic exists, create the processing-log
 * stream, start the runtime, and replay the journal: every entry is a JSON
 * object {"statement": text, "properties": {name: value}} (jansson: control
 * plane only) in partition 0 of the journal topic (SL_JOURNAL_TOPIC on the
 * embedded log; on Kafka the service's command topic
 * "_sluice-SERVICE-command", which every worker of the service replays, so
 * they all see the same streams, tables and queries), executed again in a
 * session with journaling off; the persistent queries it recreates start
 * only when the replay is over (a query terminated later in the journal
 * never runs). Keeps the statement text of each persistent query for SHOW
 * QUERIES and EXPLAIN. A background thread enforces the topics' retention
 * (RETENTION_MS, retention bytes) every SL_RETENTION_INTERVAL_MS. After the
 * replay, the engine properties of the configuration (config.h) are set
 * on the catalog: every session's defaults, journaled with what they
 * affect like a SET.
 *
 * Does not: parse or execute statements itself (exec.c does, for the
 * replay too), plan or run queries (plan.c, runtime.c).
 */
#include "engine.h"
#include "config.h"
#include "../log/kafka.h"
#include "../log/prefix.h"
#include "../state/store.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"

typedef struct qnote {
    char *id;
    char *statement;
    sl_plan *pending;           /* recorded during replay, not started yet */
    bool paused;                /* a replayed PAUSE of a pending query */
} qnote;

static void start_pending(sl_engine *e);
static void free_names(sl_engine *e);
static int apply_defaults(sl_engine *e, const struct sl_config *cfg, sl_error *err);

struct sl_engine {
    char *dir;
    char *location;             /* for messages: the directory or the cluster */
    char *service_id;
    char *journal;              /* the journal topic */
    bool kafka;
    bool exactly_once;          /* commits are Kafka transactions */
    char *pl_topic;             /* the processing log's topic (Kafka: after the service id) */
    sl_log *log;
    sl_catalog *cat;
    sl_runtime *rt;
    int64_t replay_offset;      /* >= 0 while replaying that journal entry */
    qnote *notes;
    int nnotes, capnotes;
    pthread_t retention;        /* enforces retention until `stopping` */
    bool retention_started;
    bool stopping;
    int retention_ms;           /* the interval */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *retention_main(void *arg)
{
    sl_engine *e = arg;
    pthread_mutex_lock(&e->mu);
    while (!e->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = until.tv_nsec + (int64_t)(e->retention_ms % 1000) * 1000000;
        until.tv_sec += e->retention_ms / 1000 + ns / 1000000000;
        until.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&e->cv, &e->mu, &until);
        if (e->stopping)
            break;
        pthread_mutex_unlock(&e->mu);
        sl_error err;
        if (sl_log_enforce_retention(e->log, now_ms(), &err) < 0)
            fprintf(stderr, "sluice: retention: %s\n", err.msg);
        pthread_mutex_lock(&e->mu);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

static int log_topic_lookup(void *ud, const char *topic)
{
    sl_engine *e = ud;
    sl_arena *a = sl_arena_new(0);
    sl_topic_info ti;
    sl_error err;
    int n = -1;
    if (sl_log_describe_topic(e->log, topic, a, &ti, &err) == 0)
        n = ti.config.partitions;
    sl_arena_free(a);
    return n;
}

/* Runs text in a throwaway session on e; what it writes goes to a buffer
 * that is returned (heap, caller frees) when the statement failed. */
static int run_quiet(sl_engine *e, const char *text, char **errtext)
{
    char *ob = NULL, *eb = NULL;
    size_t ol = 0, el = 0;
    FILE *o = open_memstream(&ob, &ol);
    FILE *er = open_memstream(&eb, &el);
    if (!o || !er) {
        if (o)
            fclose(o);
        if (er)
            fclose(er);
        free(ob);
        free(eb);
        if (errtext)
            *errtext = strdup("out of memory");
        return 1;
    }
    sl_session_opts so = {.output = SL_OUTPUT_TABLE, .out = o, .err = er};
    sl_error err;
    sl_session *s = sl_session_open(e, &so, &err);
    int rc = s ? sl_session_execute(s, text, strlen(text), "<journal>") : 1;
    sl_session_free(s);
    fclose(o);
    fclose(er);
    free(ob);
    if (rc != 0 && errtext)
        *errtext = eb ? eb : strdup(err.msg);
    else
        free(eb);
    return rc;
}

static int create_processing_log(sl_engine *e, sl_error *err)
{
    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = 1;
    if (sl_log_create_topic(e->log, e->pl_topic, &cfg, NULL, err) < 0)
        return -1;
    if (sl_catalog_find_source(e->cat, SL_PROCESSING_LOG_STREAM))
        return 0;
    char ddl[1024];
    snprintf(ddl, sizeof ddl,
             "CREATE STREAM " SL_PROCESSING_LOG_STREAM " (`QUERY_ID` STRING, `TOPIC` STRING, "
             "`PARTITION` INT, `OFFSET` BIGINT, `ERROR_KIND` STRING, `MESSAGE` STRING, "
             "`TIME` BIGINT, `RECORD` STRING) WITH (KAFKA_TOPIC='%s', "
             "VALUE_FORMAT='JSON', KEY_FORMAT='NONE');", e->pl_topic);
    char *msg = NULL;
    e->replay_offset = 0;       /* not journaled */
    int rc = run_quiet(e, ddl, &msg);
    e->replay_offset = -1;
    if (rc != 0) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "cannot create the processing log: %s",
                     msg ? msg : "");
        free(msg);
        return -1;
    }
    return 0;
}

/* Executes one journal entry. Failures are reported on stderr and skipped:
 * an entry that cannot be applied must not keep the data directory shut. */
static void replay_entry(sl_engine *e, const sl_record *rec)
{
    json_error_t jerr;
    json_t *root = rec->value ? json_loadb(rec->value, (size_t)rec->value_len, 0, &jerr) : NULL;
    const char *text = root ? json_string_value(json_object_get(root, "statement")) : NULL;
    if (!text) {
        fprintf(stderr, "sluice: journal entry %lld is not a statement: skipped\n",
                (long long)rec->offset);
        json_decref(root);
        return;
    }
    json_t *props = json_object_get(root, "properties");
    const char *k;
    json_t *v;
    sl_error err;
    /* the properties in force when it ran, then back to the defaults */
    json_object_foreach(props, k, v) {
        if (json_is_string(v))
            sl_catalog_set_property(e->cat, k, json_string_value(v), SL_NOSPAN, &err);
    }
    e->replay_offset = rec->offset;
    char *msg = NULL;
    if (run_quiet(e, text, &msg) != 0)
        fprintf(stderr, "sluice: journal entry %lld failed on replay: %s\n",
                (long long)rec->offset, msg ? msg : "");
    free(msg);
    e->replay_offset = -1;
    sl_arena *scratch = sl_arena_new(0);
    json_object_foreach(props, k, v) sl_catalog_unset_property(e->cat, k, scratch);
    sl_arena_free(scratch);
    json_decref(root);
}

#define REPLAY_WAIT_MS 30000     /* empty reads of the journal below its end, at most */

static int replay(sl_engine *e, sl_error *err)
{
    sl_arena *a = sl_arena_new(0);
    int64_t from = 0;
    int64_t end = sl_log_end_offset(e->log, e->journal, 0, err);
    if (end < 0) {
        sl_arena_free(a);
        return -1;
    }
    sl_record recs[64];
    /* an empty read below the end is not always the end: on Kafka a read
     * can come back empty while the cluster moves a leader or answers
     * slowly, and a worker that stopped there would start without its
     * statements; but under exactly-once the commit marker after the last
     * entry holds an offset no read returns (sl_log_read_at_end tells) */
    int64_t waited_since = 0;
    while (from < end) {
        int n = 0;
        sl_arena_reset(a);
        if (sl_log_read(e->log, e->journal, 0, from, 64, a, recs, &n, err) < 0) {
            sl_arena_free(a);
            return -1;
        }
        if (n == 0) {
            if (sl_log_read_at_end(e->log, e->journal, 0, end))
                break;
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
            if (!waited_since)
                waited_since = now;
            if (now - waited_since < REPLAY_WAIT_MS)
                continue;
            sl_arena_free(a);
            return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                                "the statement journal %s could not be read past offset %lld "
                                "of %lld within %d s: not starting with part of it",
                                e->journal, (long long)from, (long long)end,
                                REPLAY_WAIT_MS / 1000);
        }
        waited_since = 0;
        for (int i = 0; i < n && recs[i].offset < end; i++)
            replay_entry(e, &recs[i]);
        from = recs[n - 1].offset + 1;
    }
    sl_arena_free(a);
    return 0;
}

/* a b c, malloc'd; NULL when out of memory */
static char *concat(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* The Kafka log as the configuration says, seen through the service id
 * (and the test prefix, if any). */
static sl_log *open_kafka(sl_engine *e, const char *bootstrap, const sl_engine_opts *opts,
                          sl_error *err)
{
    sl_config *cfg = opts ? opts->config : NULL;
    sl_log_kafka_opts ko = {0};
    sl_config_kafka_opts(cfg, &ko);
    ko.bootstrap_servers = bootstrap;
    ko.service_id = e->service_id;
    ko.data_dir = e->dir;
    /* processing.guarantee comes from the command line, environment or
     * config file: it picks the producer at start, SET cannot change it */
    const char *pg = sl_config_get(cfg, "processing.guarantee");
    ko.exactly_once = pg && (!strcmp(pg, "exactly_once_v2") || !strcmp(pg, "exactly_once"));
    e->exactly_once = ko.exactly_once;
    sl_log *log = sl_log_open_kafka(&ko, err);
    if (!log)
        return NULL;
    char *groups = concat(SL_COMMAND_TOPIC_PREFIX, e->service_id, "-");
    sl_log *p = groups ? sl_log_open_prefixed(log, opts ? opts->topic_prefix : NULL, groups, err)
                       : (sl_log_close(log), NULL);
    free(groups);
    return p;
}

sl_engine *sl_engine_open(const sl_engine_opts *opts, sl_error *err)
{
    const sl_config *cfg = opts ? opts->config : NULL;
    const char *dir = opts ? opts->data_dir : NULL;
    if (!dir || !*dir)
        dir = sl_config_get(cfg, SL_CFG_DATA_DIR);
    if (!dir || !*dir)
        dir = getenv("SLUICE_DATA_DIR");
    if (!dir || !*dir)
        dir = "./sluice-data";
    const char *bootstrap = opts ? opts->bootstrap_servers : NULL;
    if (!bootstrap || !*bootstrap)
        bootstrap = sl_config_get(cfg, SL_CFG_BOOTSTRAP);
    sl_engine *e = calloc(1, sizeof *e);
    if (!e) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    e->replay_offset = -1;
    e->retention_ms = opts && opts->retention_interval_ms > 0 ? opts->retention_interval_ms
                                                             : SL_RETENTION_INTERVAL_MS;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    e->kafka = bootstrap && *bootstrap;
    e->dir = strdup(dir);
    e->service_id = strdup(sl_config_service_id(cfg));
    if (e->kafka) {
        e->journal = concat(SL_COMMAND_TOPIC_PREFIX, e->service_id, SL_COMMAND_TOPIC_SUFFIX);
        char *where = concat("Kafka at ", bootstrap, " (service id ");
        e->location = where ? concat(where, e->service_id, ")") : NULL;
        free(where);
    } else {
        e->journal = strdup(SL_JOURNAL_TOPIC);
        e->location = strdup(dir);
    }
    /* on Kafka one per service, as ksqlDB's SERVICE_IDksql_processing_log:
     * services sharing a cluster do not read each other's failures */
    e->pl_topic = e->kafka ? concat(e->service_id, SL_PROCESSING_LOG_TOPIC, "")
                           : strdup(SL_PROCESSING_LOG_TOPIC);
    if (!e->dir || !e->service_id || !e->journal || !e->location || !e->pl_topic)
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    else
        e->log = e->kafka ? open_kafka(e, bootstrap, opts, err) : sl_log_open_embedded(dir, err);
    if (!e->log) {
        pthread_mutex_destroy(&e->mu);
        pthread_cond_destroy(&e->cv);
        free_names(e);
        free(e);
        return NULL;
    }
    e->cat = sl_catalog_new();
    sl_catalog_set_topic_lookup(e->cat, log_topic_lookup, e);
    sl_topic_config jc = sl_topic_config_default();
    jc.partitions = 1;
    jc.retention_ms = -1;
    if (sl_log_create_topic(e->log, e->journal, &jc, NULL, err) < 0)
        goto fail;
    sl_runtime_opts ro = {.threads = opts ? opts->threads : 0,
                          .processing_log_topic = e->pl_topic};
    e->rt = sl_runtime_new(e->log, &ro, err);
    if (!e->rt)
        goto fail;
    if (create_processing_log(e, err) < 0)
        goto fail;
    if (!(opts && opts->no_replay) && replay(e, err) < 0)
        goto fail;
    start_pending(e);
    if (apply_defaults(e, cfg, err) < 0)
        goto fail;
    if (pthread_create(&e->retention, NULL, retention_main, e) == 0)
        e->retention_started = true;
    else
        fprintf(stderr, "sluice: could not start the retention thread: retention is not enforced\n");
    return e;
fail:
    sl_engine_close(e);
    return NULL;
}

void sl_engine_close(sl_engine *e)
{
    if (!e)
        return;
    if (e->retention_started) {
        pthread_mutex_lock(&e->mu);
        e->stopping = true;
        pthread_cond_signal(&e->cv);
        pthread_mutex_unlock(&e->mu);
        pthread_join(e->retention, NULL);
    }
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    sl_runtime_free(e->rt);
    sl_log_close(e->log);
    sl_catalog_free(e->cat);
    for (int i = 0; i < e->nnotes; i++) {
        free(e->notes[i].id);
        free(e->notes[i].statement);
        sl_plan_free(e->notes[i].pending);
    }
    free(e->notes);
    free_names(e);
    free(e);
}

const char *sl_engine_data_dir(const sl_engine *e) { return e->dir; }
const char *sl_engine_location(const sl_engine *e) { return e->location; }
const char *sl_engine_service_id(const sl_engine *e) { return e->service_id; }
const char *sl_engine_command_topic(const sl_engine *e) { return e->journal; }
bool sl_engine_on_kafka(const sl_engine *e) { return e->kafka; }
int sl_engine_txn_timeout_ms(const sl_engine *e)
{
    return e->exactly_once ? SL_LOG_KAFKA_TXN_TIMEOUT_MS : 0;
}
sl_log *sl_engine_log(sl_engine *e) { return e->log; }
sl_catalog *sl_engine_catalog(sl_engine *e) { return e->cat; }
sl_runtime *sl_engine_runtime(sl_engine *e) { return e->rt; }
bool sl_engine_replaying(const sl_engine *e) { return e->replay_offset >= 0; }

int64_t sl_engine_statement_offset(sl_engine *e)
{
    if (e->replay_offset >= 0)
        return e->replay_offset;
    sl_error err;
    int64_t end = sl_log_end_offset(e->log, e->journal, 0, &err);
    return end < 0 ? 0 : end;
}

int sl_engine_journal(sl_engine *e, const char *statement_text, const sl_catalog_prop *props,
                      int nprops, sl_error *err)
{
    if (e->replay_offset >= 0)
        return 0;
    json_t *o = json_object();
    json_t *p = json_object();
    json_object_set_new(o, "statement", json_string(statement_text ? statement_text : ""));
    for (int i = 0; i < nprops; i++)
        if (props[i].name && props[i].value)
            json_object_set_new(p, props[i].name, json_string(props[i].value));
    json_object_set_new(o, "properties", p);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "cannot encode a journal entry");
    sl_record rec = {0};
    rec.key = NULL;
    rec.key_len = -1;
    rec.value = text;
    rec.value_len = (int32_t)strlen(text);
    rec.timestamp = -1;
    sl_log_txn *t = sl_log_txn_begin(e->log);
    int rc = sl_log_txn_append(t, e->journal, 0, &rec, NULL, NULL, err);
    if (rc < 0)
        sl_log_txn_abort(t);
    else
        rc = sl_log_txn_commit(t, err);
    free(text);
    return rc;
}

int sl_engine_wait_idle(sl_engine *e, int timeout_ms, sl_error *err)
{
    return sl_runtime_wait_idle(e->rt, timeout_ms, err);
}

static qnote *find_note(sl_engine *e, const char *id)
{
    for (int i = 0; i < e->nnotes; i++)
        if (strcmp(e->notes[i].id, id) == 0)
            return &e->notes[i];
    return NULL;
}

static void drop_note(sl_engine *e, qnote *n)
{
    free(n->id);
    free(n->statement);
    sl_plan_free(n->pending);
    *n = e->notes[--e->nnotes];
}

static int add_note(sl_engine *e, const char *id, const char *statement, sl_plan *pending,
                    sl_error *err)
{
    if (e->nnotes == e->capnotes) {
        int ncap = e->capnotes ? e->capnotes * 2 : 8;
        qnote *n = realloc(e->notes, (size_t)ncap * sizeof *n);
        if (!n)
            return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        e->notes = n;
        e->capnotes = ncap;
    }
    qnote *n = &e->notes[e->nnotes];
    n->id = strdup(id);
    n->statement = strdup(statement ? statement : "");
    n->pending = pending;
    n->paused = false;
    if (!n->id || !n->statement) {
        free(n->id);
        free(n->statement);
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    }
    e->nnotes++;
    return 0;
}

int sl_engine_start_query(sl_engine *e, sl_plan *plan, const char *statement, sl_error *err)
{
    const char *id = sl_plan_query_id(plan);
    if (find_note(e, id) || sl_runtime_find(e->rt, id)) {
        sl_plan_free(plan);
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "query '%s' already exists", id);
    }
    if (e->replay_offset >= 0)
        return add_note(e, id, statement, plan, err) < 0 ? (sl_plan_free(plan), -1) : 0;
    char *idc = strdup(id);
    if (!idc) {
        sl_plan_free(plan);
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    }
    if (!sl_runtime_start(e->rt, plan, err)) {
        free(idc);
        return -1;
    }
    int rc = add_note(e, idc, statement, NULL, err);
    if (rc < 0) {
        sl_error e2;
        sl_runtime_stop(e->rt, idc, &e2);
    }
    free(idc);
    return rc;
}

/* Deletes the state a terminated query kept (its stores and stream time). */
static int drop_state(sl_engine *e, const char *query_id, sl_error *err)
{
    sl_log_txn *t = sl_log_txn_begin(e->log);
    char prefix[300], rows[300];
    snprintf(prefix, sizeof prefix, "%s/", query_id);
    /* a TABLE's repartitioned aggregation: stage 1's kept rows */
    snprintf(rows, sizeof rows, "%s" SL_LOG_TABLE_ROWS_SUFFIX "/", query_id);
    size_t mlen = strlen(query_id) + 1;     /* the id and its 0 byte */
    if (sl_store_drop(t, prefix, err) || sl_store_drop(t, rows, err) ||
        sl_log_txn_delete_range_raw(t, "state_meta", query_id, mlen, NULL, 0, err)) {
        sl_log_txn_abort(t);
        return -1;
    }
    return sl_log_txn_commit(t, err);
}

int sl_engine_control_query(sl_engine *e, const char *query_id, sl_query_action act,
                            sl_error *err)
{
    qnote *n = find_note(e, query_id);
    if (n && n->pending) {
        if (act == SL_QA_TERMINATE)
            drop_note(e, n);
        else
            n->paused = act == SL_QA_PAUSE;
        return 0;
    }
    int rc = act == SL_QA_TERMINATE ? sl_runtime_stop(e->rt, query_id, err)
             : act == SL_QA_PAUSE   ? sl_runtime_pause(e->rt, query_id, err)
                                    : sl_runtime_resume(e->rt, query_id, err);
    if (rc == 0 && act == SL_QA_TERMINATE) {
        if ((n = find_note(e, query_id)))
            drop_note(e, n);
        rc = drop_state(e, query_id, err);
        /* Kafka: its changelog, consumer group and checkpoints */
        if (rc == 0)
            rc = sl_log_drop_query(e->log, query_id, err);
    }
    return rc;
}

bool sl_engine_has_query(sl_engine *e, const char *query_id)
{
    qnote *n = find_note(e, query_id);
    return (n && n->pending) || sl_runtime_find(e->rt, query_id) != NULL;
}

int sl_engine_query_ids(sl_engine *e, sl_arena *a, const char ***ids)
{
    int nr = sl_runtime_query_count(e->rt);
    const char **v = sl_arena_zalloc(a, (size_t)(nr + e->nnotes + 1) * sizeof *v);
    int n = 0;
    for (int i = 0; i < nr; i++)
        v[n++] = sl_arena_strdup(a, sl_query_id(sl_runtime_query_at(e->rt, i)));
    for (int i = 0; i < e->nnotes; i++)
        if (e->notes[i].pending)
            v[n++] = sl_arena_strdup(a, e->notes[i].id);
    *ids = v;
    return n;
}

static void free_names(sl_engine *e)
{
    free(e->dir);
    free(e->location);
    free(e->service_id);
    free(e->journal);
    free(e->pl_topic);
}

/* The configuration's engine properties, as SET in every session; and
 * the service id (and the cluster) in force, for SHOW PROPERTIES. */
static int apply_defaults(sl_engine *e, const sl_config *cfg, sl_error *err)
{
    sl_error e1;
    if (sl_catalog_set_property(e->cat, SL_CFG_SERVICE_ID, e->service_id, SL_NOSPAN, &e1) < 0)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "%s", e1.msg);
    const char *bootstrap = sl_config_get(cfg, SL_CFG_BOOTSTRAP);
    if (e->kafka && bootstrap &&
        sl_catalog_set_property(e->cat, SL_CFG_BOOTSTRAP, bootstrap, SL_NOSPAN, &e1) < 0)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "%s", e1.msg);
    for (int i = 0; i < sl_config_count(cfg); i++) {
        const char *name, *value, *where;
        if (sl_config_at(cfg, i, &name, &value, &where) != SL_CFG_ENGINE)
            continue;
        sl_error e2;
        if (sl_catalog_set_property(e->cat, name, value, SL_NOSPAN, &e2) < 0)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s: %s", where, e2.msg);
    }
    return 0;
}

/* After the replay: start what it recorded, in journal order. */
static void start_pending(sl_engine *e)
{
    for (int i = 0; i < e->nnotes; i++) {
        qnote *n = &e->notes[i];
        if (!n->pending)
            continue;
        sl_plan *p = n->pending;
        n->pending = NULL;
        sl_error err;
        if (!sl_runtime_start(e->rt, p, &err)) {
            fprintf(stderr, "sluice: query %s could not be restarted: %s\n", n->id, err.msg);
            drop_note(e, n);
            i--;
            continue;
        }
        if (n->paused && sl_runtime_pause(e->rt, n->id, &err) < 0)
            fprintf(stderr, "sluice: query %s could not be paused again: %s\n", n->id,
                    err.msg);
    }
}

const char *sl_engine_query_statement(sl_engine *e, const char *query_id)
{
    qnote *n = find_note(e, query_id);
    return n ? n->statement : NULL;
}

const sl_plan *sl_engine_query_plan(sl_engine *e, const char *query_id)
{
    qnote *n = find_note(e, query_id);
    if (n && n->pending)
        return n->pending;
    sl_query *q = sl_runtime_find(e->rt, query_id);
    return q ? sl_query_plan(q) : NULL;
}

int sl_engine_replace_query(sl_engine *e, sl_plan *plan, const char *statement, sl_error *err)
{
    char *id = strdup(sl_plan_query_id(plan));
    char *text = strdup(statement ? statement : "");
    qnote *n = id ? find_note(e, id) : NULL;
    if (!n || !text) {
        if (id && !n)
            sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "no query with id %s", id);
        else
            sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        free(id);
        free(text);
        sl_plan_free(plan);
        return -1;
    }
    if (n->pending) {           /* in replay: the replacement is what starts */
        sl_plan_free(n->pending);
        n->pending = plan;
    } else {
        sl_query *q = sl_runtime_find(e->rt, id);
        sl_query_stats st = {0};
        if (q)
            sl_query_get_stats(q, &st);
        /* stopping commits the batch in flight; positions and state stay */
        if (q && sl_runtime_stop(e->rt, id, err) < 0) {
            free(id);
            free(text);
            sl_plan_free(plan);
            return -1;
        }
        if (!sl_runtime_start(e->rt, plan, err)) {
            drop_note(e, n);
            free(id);
            free(text);
            return -1;
        }
        sl_error e2;
        if (q && st.state == SL_QUERY_PAUSED && sl_runtime_pause(e->rt, id, &e2) < 0)
            fprintf(stderr, "sluice: query %s could not be paused again: %s\n", id, e2.msg);
    }
    free(n->statement);
    n->statement = text;
    free(id);
    return 0;
}
