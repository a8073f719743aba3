/*
 * status.c: the read-only endpoints: GET /info, /healthcheck, /status and
 * /metrics.
 *
 * Does: describes the worker as ksqlDB does (KsqlServerInfo; isHealthy with
 * details; commandStatuses of the journaled statements and of those this
 * worker ran since it started, failed ones included), and writes Prometheus text exposition of every persistent
 * query's counters (sl_query_get_stats: records in and out, failures with
 * their processing-log entries, filtered, late drops, lag, state size) and
 * of the HTTP side (requests and errors per endpoint, running queries,
 * inserted rows). Queries are looked at under the statement lock, so none
 * is terminated while it is read.
 *
 * Does not: change anything.
 */
#include "server/internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/runtime.h"
#include "log/log.h"

static int reply_json(sl_server *sv, struct MHD_Connection *c, request *rq, unsigned status,
                      json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    int rc = sl_http_reply(sv, c, rq, status, "application/json", s ? s : "{}",
                           s ? strlen(s) : 2);
    free(s);
    return rc;
}

int sl_srv_info(sl_server *sv, struct MHD_Connection *c, request *rq)
{
    json_t *info = json_object();
    json_object_set_new(info, "version", json_string(SLUICE_VERSION));
    json_object_set_new(info, "kafkaClusterId",
                        json_string(sl_engine_on_kafka(sv->eng) ? sl_engine_location(sv->eng)
                                                                : "embedded"));
    json_object_set_new(info, "ksqlServiceId", json_string(sl_engine_service_id(sv->eng)));
    json_object_set_new(info, "serverStatus", json_string(sv->stopping ? "TERMINATING"
                                                                        : "RUNNING"));
    json_object_set_new(info, "location", json_string(sl_engine_location(sv->eng)));
    json_t *o = json_object();
    json_object_set_new(o, "KsqlServerInfo", info);
    return reply_json(sv, c, rq, 200, o);
}

static json_t *health(bool ok, const char *why)
{
    json_t *o = json_object();
    json_object_set_new(o, "isHealthy", json_boolean(ok));
    if (why)
        json_object_set_new(o, "message", json_string(why));
    return o;
}

int sl_srv_health(sl_server *sv, struct MHD_Connection *c, request *rq)
{
    pthread_mutex_lock(&sv->exec);
    sl_runtime *rt = sl_engine_runtime(sv->eng);
    int n = sl_runtime_query_count(rt), bad = 0;
    char why[320] = "";
    for (int i = 0; i < n; i++) {
        sl_query *q = sl_runtime_query_at(rt, i);
        sl_query_stats st;
        sl_query_get_stats(q, &st);
        if (st.state == SL_QUERY_ERROR && bad++ == 0)
            snprintf(why, sizeof why, "%s stopped on an error: %s", sl_query_id(q), st.error);
    }
    pthread_mutex_unlock(&sv->exec);
    bool ok = bad == 0 && !sv->stopping;
    json_t *details = json_object();
    json_object_set_new(details, "metastore", health(true, NULL));
    json_object_set_new(details, sl_engine_on_kafka(sv->eng) ? "kafka" : "log",
                        health(true, NULL));
    json_object_set_new(details, "queries", health(bad == 0, bad ? why : NULL));
    json_t *o = json_object();
    json_object_set_new(o, "isHealthy", json_boolean(ok));
    json_object_set_new(o, "details", details);
    return reply_json(sv, c, rq, ok ? 200 : 503, o);
}

/*
 * The journaled statements as commands, oldest first, into all (id to
 * status) and msgs (id to message), as ksqlDB's command topic lists every
 * statement the service ever ran, not only this process's. Best effort: a
 * journal that cannot be read gives what was read.
 */
static void journal_commands(sl_server *sv, json_t *all, json_t *msgs)
{
    sl_log *log = sl_engine_log(sv->eng);
    const char *topic = sl_engine_command_topic(sv->eng);
    sl_error err;
    sl_error_clear(&err);
    sl_arena *a = sl_arena_new(0);
    pthread_mutex_lock(&sv->exec);
    int64_t end = sl_log_end_offset(log, topic, 0, &err), from = 0;
    sl_record recs[64];
    while (end > 0 && from < end) {
        int n = 0;
        sl_arena_reset(a);
        if (sl_log_read(log, topic, 0, from, 64, a, recs, &n, &err) < 0 || n == 0)
            break;
        for (int i = 0; i < n && recs[i].offset < end; i++) {
            json_t *e = recs[i].value ? json_loadb(recs[i].value, (size_t)recs[i].value_len, 0,
                                                   NULL) : NULL;
            const char *text = json_string_value(json_object_get(e, "statement"));
            char id[200] = "";
            if (text)
                sl_srv_command_id_of(sv, text, id, sizeof id);
            if (id[0]) {
                char msg[96];
                snprintf(msg, sizeof msg, "Applied (statement journal offset %lld)",
                         (long long)recs[i].offset);
                json_object_set_new(all, id, json_string("SUCCESS"));
                json_object_set_new(msgs, id, json_string(msg));
            }
            json_decref(e);
        }
        from = recs[n - 1].offset + 1;
    }
    pthread_mutex_unlock(&sv->exec);
    sl_arena_free(a);
}

/* GET /status: every command; GET /status/TYPE/ENTITY/ACTION: one. The
 * journal's come first, then the ones this process ran (with their errors):
 * the latest line of a command id wins. */
int sl_srv_status(sl_server *sv, struct MHD_Connection *c, request *rq)
{
    json_t *all = json_object(), *msgs = json_object();
    journal_commands(sv, all, msgs);
    pthread_mutex_lock(&sv->mu);
    char *text = strdup(sl_buf_cstr(&sv->commands));
    pthread_mutex_unlock(&sv->mu);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2)
            continue;
        *t1 = *t2 = '\0';
        json_object_set_new(all, line, json_string(t1 + 1));
        json_object_set_new(msgs, line, json_string(t2 + 1));
    }
    free(text);
    const char *want = strncmp(rq->url, "/status/", 8) == 0 ? rq->url + 8 : NULL;
    if (!want) {
        json_decref(msgs);
        json_t *o = json_object();
        json_object_set_new(o, "commandStatuses", all);
        return reply_json(sv, c, rq, 200, o);
    }
    json_t *st = json_object_get(all, want);
    if (!st) {
        json_decref(all);
        json_decref(msgs);
        return sl_http_error(sv, c, rq, 40400, "no command %s", want);
    }
    json_t *o = json_object();
    json_object_set(o, "status", st);
    json_object_set(o, "message", json_object_get(msgs, want));
    json_decref(all);
    json_decref(msgs);
    return reply_json(sv, c, rq, 200, o);
}

/* ---- /metrics ---- */

typedef struct metric {
    const char *name;
    const char *type;           /* counter or gauge */
    const char *help;
} metric;

static const metric query_metrics[] = {
    {"sluice_query_records_in_total", "counter", "Records read from the query's inputs."},
    {"sluice_query_records_out_total", "counter", "Records written to the query's sink."},
    {"sluice_query_records_failed_total", "counter",
     "Records skipped because they could not be processed (each has a processing log entry)."},
    {"sluice_query_records_filtered_total", "counter", "Records dropped by WHERE."},
    {"sluice_query_records_late_total", "counter",
     "Records dropped because their windows had closed."},
    {"sluice_query_records_skipped_total", "counter", "Null values (tombstones) skipped."},
    {"sluice_query_lag_records", "gauge", "Input records not yet processed."},
    {"sluice_query_state_keys", "gauge", "Groups and windows held in memory."},
    {"sluice_query_state_bytes", "gauge", "Bytes of those groups and windows."},
    {"sluice_query_running", "gauge", "1 while the query runs, 0 paused, stopped or failed."},
};
#define NQM ((int)(sizeof query_metrics / sizeof query_metrics[0]))

static double query_value(int i, const sl_query_stats *st)
{
    switch (i) {
    case 0: return (double)st->records_in;
    case 1: return (double)st->records_out;
    case 2: return (double)st->records_failed;
    case 3: return (double)st->records_filtered;
    case 4: return (double)st->records_late;
    case 5: return (double)st->records_skipped;
    case 6: return (double)(st->lag > 0 ? st->lag : 0);
    case 7: return (double)st->state_keys;
    case 8: return (double)st->state_bytes;
    default: return st->state == SL_QUERY_RUNNING;
    }
}

static const char *const endpoint_names[EP_COUNT] = {
    "/ksql", "/query", "/query-stream", "/close-query", "/inserts-stream", "/info",
    "/healthcheck", "/status", "/metrics", "other",
};

/* A label value: backslash, quote and newline escaped as the format wants. */
static void put_label(sl_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            sl_buf_putc(b, '\\');
        if (*v == '\n')
            sl_buf_puts(b, "\\n");
        else
            sl_buf_putc(b, *v);
    }
}

static void put_header(sl_buf *b, const char *name, const char *type, const char *help)
{
    sl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int sl_srv_metrics(sl_server *sv, struct MHD_Connection *c, request *rq)
{
    sl_buf b = SL_BUF_INIT;
    pthread_mutex_lock(&sv->exec);
    sl_runtime *rt = sl_engine_runtime(sv->eng);
    int n = sl_runtime_query_count(rt);
    sl_query_stats *st = calloc((size_t)n + 1, sizeof *st);
    char **ids = calloc((size_t)n + 1, sizeof *ids);
    for (int i = 0; st && ids && i < n; i++) {
        sl_query *q = sl_runtime_query_at(rt, i);
        sl_query_get_stats(q, &st[i]);
        ids[i] = strdup(sl_query_id(q));
    }
    pthread_mutex_unlock(&sv->exec);
    for (int m = 0; st && ids && m < NQM; m++) {
        put_header(&b, query_metrics[m].name, query_metrics[m].type, query_metrics[m].help);
        for (int i = 0; i < n; i++) {
            sl_buf_printf(&b, "%s{query_id=\"", query_metrics[m].name);
            put_label(&b, ids[i] ? ids[i] : "");
            sl_buf_printf(&b, "\"} %.17g\n", query_value(m, &st[i]));
        }
    }
    for (int i = 0; ids && i < n; i++)
        free(ids[i]);
    free(ids);
    free(st);

    pthread_mutex_lock(&sv->mu);
    put_header(&b, "sluice_http_requests_total", "counter", "HTTP requests, per endpoint.");
    for (int e = 0; e < EP_COUNT; e++)
        sl_buf_printf(&b, "sluice_http_requests_total{endpoint=\"%s\"} %llu\n",
                      endpoint_names[e], (unsigned long long)sv->requests[e]);
    put_header(&b, "sluice_http_errors_total", "counter",
               "HTTP requests answered with a 4xx or 5xx status, per endpoint.");
    for (int e = 0; e < EP_COUNT; e++)
        sl_buf_printf(&b, "sluice_http_errors_total{endpoint=\"%s\"} %llu\n",
                      endpoint_names[e], (unsigned long long)sv->errors[e]);
    put_header(&b, "sluice_push_queries", "gauge", "Push queries streaming to clients.");
    sl_buf_printf(&b, "sluice_push_queries %d\n", sv->npush);
    put_header(&b, "sluice_http_connections", "gauge", "Open HTTP connections.");
    sl_buf_printf(&b, "sluice_http_connections %d\n", sv->nconn);
    put_header(&b, "sluice_inserted_rows_total", "counter", "Rows accepted by /inserts-stream.");
    sl_buf_printf(&b, "sluice_inserted_rows_total %llu\n", (unsigned long long)sv->inserted);
    put_header(&b, "sluice_insert_errors_total", "counter", "Rows refused by /inserts-stream.");
    sl_buf_printf(&b, "sluice_insert_errors_total %llu\n",
                  (unsigned long long)sv->insert_errors);
    put_header(&b, "sluice_uptime_seconds", "gauge", "Seconds since the worker started.");
    sl_buf_printf(&b, "sluice_uptime_seconds %lld\n", (long long)(time(NULL) - sv->started));
    pthread_mutex_unlock(&sv->mu);
    int rc = sl_http_reply(sv, c, rq, 200, "text/plain; version=0.0.4", sl_buf_cstr(&b), b.len);
    sl_buf_fini(&b);
    return rc;
}
