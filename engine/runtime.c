/*
 * runtime.c: runs plans (runtime.h).
 *
 * Does: turns a plan into one task per input partition, each with its own
 * operator chain (operators/: source -> filter -> rekey -> project -> sink)
 * made once, its batch arena and its record buffer; runs the tasks on a
 * small pool of worker threads. A task step reads a batch at the task's
 * position, pushes it through the chain inside one log transaction that
 * also holds the processing-log entries of the failed records and the new
 * position, and commits it (exactly-once on the embedded log). Idle workers
 * wait on the log's commit counter. Also: pause / resume / stop, stats,
 * waiting until every query has caught up, and transient queries on the
 * caller's thread.
 *
 * Threading: rt->mu guards the query list, the task flags (busy) and the
 * query states; a task is run by at most one worker at a time (busy), and
 * everything a step touches besides the counters belongs to the task. The
 * counters are atomics so stats never wait for a step.
 *
 * Does not: parse or plan (plan.c), know the catalog or the journal.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../operators/operator.h"
#include "plan_internal.h"
#include "runtime.h"

typedef struct runner runner;
typedef struct task task;

/* What one task (or one transient query) needs to run batches. */
struct runner {
    sl_runtime *rt;
    const sl_plan *plan;
    const char *query_id;
    const char *topic;          /* input topic */
    sl_operator *ops[5];
    int nops;
    sl_operator *sink;                /* one of ops */
    bool log_sink;
    sl_arena *arena;            /* batch arena */
    sl_record *recs;
    int batch_size;
    sl_value *slots;
    int nslots;
    sl_log_txn *txn;            /* the batch's transaction (transient: made on the first failure) */
    sl_buf pl;                  /* processing-log record scratch */
    int fatal;                  /* a processing-log append failed */
    sl_error fatal_err;
};

struct task {
    sl_query *q;
    int32_t partition;
    int64_t next;               /* the committed position: next offset to read */
    bool busy;                  /* a worker runs it */
    runner r;
};

struct sl_query {
    sl_runtime *rt;
    sl_plan *plan;
    const char *id;             /* the plan's */
    task *tasks;
    int ntasks;
    sl_query_state state;       /* under rt->mu */
    bool stopping;
    char error[256];
    _Atomic uint64_t in, out, failed, filtered, skipped;
};

struct sl_runtime {
    sl_log *log;
    sl_runtime_opts opts;
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* a task finished a step */
    sl_query **queries;
    int nq, capq;
    pthread_t *threads;
    int nthreads;
    bool shutdown;
    unsigned rr;                /* round-robin cursor over tasks */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the processing log ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(sl_buf *b, const unsigned char *p, size_t n)
{
    sl_buf_putc(b, '"');
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {B64[(v >> 18) & 63], B64[(v >> 12) & 63],
                     i + 1 < n ? B64[(v >> 6) & 63] : '=', i + 2 < n ? B64[v & 63] : '='};
        sl_buf_append(b, q, 4);
    }
    sl_buf_putc(b, '"');
}

/* The JSON entry of a failed record, as ksqlDB's processing log flattened. */
static void pl_entry(sl_buf *b, const char *query_id, const char *topic, const sl_record *rec,
                     sl_fail_kind kind, const char *message, bool include_row)
{
    sl_buf_reset(b);
    sl_buf_puts(b, "{\"QUERY_ID\":");
    sl_buf_json_string(b, query_id, strlen(query_id));
    sl_buf_puts(b, ",\"TOPIC\":");
    sl_buf_json_string(b, topic, strlen(topic));
    sl_buf_printf(b, ",\"PARTITION\":%d,\"OFFSET\":%lld,\"ERROR_KIND\":\"%s\",\"MESSAGE\":",
                  (int)rec->partition, (long long)rec->offset, sl_fail_kind_name(kind));
    sl_buf_json_string(b, message, strlen(message));
    sl_buf_printf(b, ",\"TIME\":%lld,\"RECORD\":", (long long)now_ms());
    if (include_row && rec->value_len >= 0)
        base64(b, rec->value, (size_t)rec->value_len);
    else
        sl_buf_puts(b, "null");
    sl_buf_putc(b, '}');
}

static void on_fail(void *ud, sl_batch *b, const sl_record *rec, sl_fail_kind kind,
                    const char *message)
{
    runner *r = ud;
    (void)b;
    if (r->fatal)
        return;
    if (!r->txn)
        r->txn = sl_log_txn_begin(r->rt->log);
    pl_entry(&r->pl, r->query_id, r->topic, rec, kind, message,
             r->rt->opts.log_include_rows || r->plan->log_rows);
    sl_record out = {0};
    out.key_len = -1;
    out.value = r->pl.data;
    out.value_len = (int32_t)r->pl.len;
    out.timestamp = now_ms();
    if (sl_log_txn_append(r->txn, SL_PROCESSING_LOG_TOPIC, 0, &out, NULL, NULL, &r->fatal_err))
        r->fatal = 1;
}

/* ---- runners ---- */

static void runner_fini(runner *r)
{
    for (int i = 0; i < r->nops; i++)
        sl_op_close(r->ops[i]);
    r->nops = 0;
    sl_arena_free(r->arena);
    r->arena = NULL;
    free(r->recs);
    r->recs = NULL;
    free(r->slots);
    r->slots = NULL;
    sl_buf_fini(&r->pl);
    if (r->txn)
        sl_log_txn_abort(r->txn);
    r->txn = NULL;
}

static int add_op(runner *r, sl_operator *op, sl_error *err)
{
    if (!op)
        return err->code ? -1 : sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    r->ops[r->nops++] = op;
    return 0;
}

/* Builds the operator chain of a plan; cb NULL: the plan's sink. */
static int runner_init(runner *r, sl_runtime *rt, const sl_plan *p, sl_op_row_cb cb, void *ud,
                       sl_error *err)
{
    memset(r, 0, sizeof *r);
    sl_error_clear(err);
    r->rt = rt;
    r->plan = p;
    r->query_id = p->query_id;
    r->topic = p->input.kafka_topic;
    r->batch_size = rt->opts.batch_size;
    sl_buf_init(&r->pl);
    r->arena = sl_arena_new(4u << 20);     /* one chunk holds a typical batch: no malloc per batch */
    r->recs = calloc((size_t)r->batch_size, sizeof *r->recs);
    r->nslots = p->nslots;
    r->slots = calloc((size_t)(p->nslots ? p->nslots : 1), sizeof *r->slots);
    if (!r->recs || !r->slots)
        goto oom;

    sl_source_spec spec = {0};
    spec.schema = &p->input.schema;
    spec.wanted = p->wanted;
    spec.ts_col = p->ts_col;
    spec.ts_fmt = p->ts_fmt;
    spec.skip_null_values = !p->input.is_table;
    if (sl_op_format_opts(p->input.key_format, NULL, -1, true, &spec.key_opts, err) ||
        sl_op_format_opts(p->input.value_format, p->input.value_delimiter,
                          p->input.wrap_single_value, false, &spec.value_opts, err))
        goto fail;
    /* the records are read into the batch arena, which the decoded values never outlive */
    spec.key_opts.borrow_input = spec.value_opts.borrow_input = true;
    if (add_op(r, sl_op_source_new(&spec, err), err))
        goto fail;
    if (p->where && add_op(r, sl_op_filter_new(p->where), err))
        goto fail;
    int first = 0;
    if (p->partitioned && p->nkey > 0) {
        if (add_op(r, sl_op_rekey_new(p->out_expr, p->nkey), err))
            goto fail;
        first = p->nkey;
    }
    if (add_op(r, sl_op_project_new(p->out_expr, first, p->out.ncols), err))
        goto fail;
    if (cb) {
        if (add_op(r, sl_op_sink_cb_new(&p->out, p->limit, cb, ud), err))
            goto fail;
    } else {
        const sl_source *s = p->sink;
        sl_format_opts ko, vo;
        if (sl_op_format_opts(s->key_format, NULL, -1, true, &ko, err) ||
            sl_op_format_opts(s->value_format, s->value_delimiter, s->wrap_single_value, false,
                              &vo, err))
            goto fail;
        if (add_op(r, sl_op_sink_log_new(s->kafka_topic, s->schema.cols, p->nkey,
                                         p->out.ncols, &ko, &vo, err), err))
            goto fail;
        r->log_sink = true;
    }
    r->sink = r->ops[r->nops - 1];
    return 0;
oom:
    sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
fail:
    runner_fini(r);
    return -1;
}

/* Pushes recs[0..n) through the chain; counts into *b. -1 on a fatal error. */
static int runner_push(runner *r, int n, sl_batch *b, sl_error *err)
{
    memset(b, 0, sizeof *b);
    b->arena = r->arena;
    b->recs = r->recs;
    b->nrecs = n;
    b->nout = r->plan->out.ncols;
    b->fail = on_fail;
    b->fail_ud = r;
    b->slots = r->slots;
    b->nslots = r->nslots;
    if (r->log_sink)
        sl_op_sink_set_txn(r->sink, r->txn);
    for (int i = 0; i < r->nops; i++) {
        if (sl_op_push(r->ops[i], b, err))
            return -1;
        if (r->fatal) {
            *err = r->fatal_err;
            return -1;
        }
    }
    return 0;
}

/* ---- persistent tasks ---- */

static void query_fail(sl_query *q, const char *what, const sl_error *e)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s: %s", what, e->msg);
    size_t n = strlen(tmp);
    if (n >= sizeof q->error)
        n = sizeof q->error - 1;
    pthread_mutex_lock(&q->rt->mu);
    q->state = SL_QUERY_ERROR;
    memcpy(q->error, tmp, n);
    q->error[n] = 0;
    pthread_mutex_unlock(&q->rt->mu);
}

/* One batch of one task: read, process, commit. Returns records read, or -1. */
static int task_step(task *t)
{
    sl_query *q = t->q;
    runner *r = &t->r;
    sl_log *log = q->rt->log;
    sl_error err;
    sl_error_clear(&err);
    int n = 0;
    if (sl_log_read(log, r->topic, t->partition, t->next, r->batch_size, r->arena, r->recs, &n,
                    &err)) {
        query_fail(q, "reading the input failed", &err);
        sl_arena_reset(r->arena);
        return -1;
    }
    if (n == 0) {
        sl_arena_reset(r->arena);
        return 0;
    }
    r->txn = sl_log_txn_begin(log);
    r->fatal = 0;
    sl_batch b;
    int64_t next = r->recs[n - 1].offset + 1;
    int rc = runner_push(r, n, &b, &err);
    if (rc == 0)
        rc = sl_log_txn_set_position(r->txn, q->id, r->topic, t->partition, next, &err);
    if (rc == 0) {
        sl_log_txn *txn = r->txn;
        r->txn = NULL;
        rc = sl_log_txn_commit(txn, &err);
    }
    if (rc) {
        if (r->txn)
            sl_log_txn_abort(r->txn);
        r->txn = NULL;
        sl_arena_reset(r->arena);
        query_fail(q, "writing a batch failed", &err);
        return -1;
    }
    t->next = next;
    atomic_fetch_add(&q->in, (uint64_t)n);
    atomic_fetch_add(&q->out, b.emitted);
    atomic_fetch_add(&q->failed, b.failed);
    atomic_fetch_add(&q->filtered, b.filtered);
    atomic_fetch_add(&q->skipped, b.skipped);
    sl_arena_reset(r->arena);
    return n;
}

/* Picks a runnable task (under rt->mu), round-robin. */
static task *pick_task(sl_runtime *rt, int *ntotal)
{
    int total = 0;
    for (int i = 0; i < rt->nq; i++)
        total += rt->queries[i]->ntasks;
    *ntotal = total;
    if (!total)
        return NULL;
    for (int k = 0; k < total; k++) {
        unsigned idx = (rt->rr + (unsigned)k) % (unsigned)total;
        for (int i = 0; i < rt->nq; i++) {
            sl_query *q = rt->queries[i];
            if (idx >= (unsigned)q->ntasks) {
                idx -= (unsigned)q->ntasks;
                continue;
            }
            task *t = &q->tasks[idx];
            if (!t->busy && q->state == SL_QUERY_RUNNING && !q->stopping) {
                rt->rr = (rt->rr + (unsigned)k + 1) % (unsigned)total;
                return t;
            }
            break;
        }
    }
    return NULL;
}

static void *worker_main(void *arg)
{
    sl_runtime *rt = arg;
    int idle = 0;
    uint64_t seq = sl_log_commit_seq(rt->log);
    pthread_mutex_lock(&rt->mu);
    while (!rt->shutdown) {
        int total;
        task *t = pick_task(rt, &total);
        if (!t) {
            pthread_mutex_unlock(&rt->mu);
            sl_log_wait_since(rt->log, seq, 100);
            seq = sl_log_commit_seq(rt->log);
            idle = 0;
            pthread_mutex_lock(&rt->mu);
            continue;
        }
        t->busy = true;
        if (idle == 0)
            seq = sl_log_commit_seq(rt->log);
        pthread_mutex_unlock(&rt->mu);
        int n = task_step(t);
        pthread_mutex_lock(&rt->mu);
        t->busy = false;
        pthread_cond_broadcast(&rt->cv);
        if (n > 0) {
            idle = 0;
        } else if (++idle >= total) {
            /* a whole round found nothing: wait for a commit */
            pthread_mutex_unlock(&rt->mu);
            sl_log_wait_since(rt->log, seq, 100);
            pthread_mutex_lock(&rt->mu);
            idle = 0;
        }
    }
    pthread_mutex_unlock(&rt->mu);
    return NULL;
}

/* ---- the runtime ---- */

sl_runtime *sl_runtime_new(sl_log *log, const sl_runtime_opts *opts, sl_error *err)
{
    sl_error_clear(err);
    if (!log)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "runtime without a log"), NULL;
    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = 1;
    if (sl_log_create_topic(log, SL_PROCESSING_LOG_TOPIC, &cfg, NULL, err) &&
        err->code != SL_OK) {
        /* an existing topic with another partition count is still usable: we write to 0 */
        if (sl_log_end_offset(log, SL_PROCESSING_LOG_TOPIC, 0, err) < 0)
            return NULL;
        sl_error_clear(err);
    }
    sl_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory"), NULL;
    rt->log = log;
    if (opts)
        rt->opts = *opts;
    if (rt->opts.threads <= 0)
        rt->opts.threads = 2;
    if (rt->opts.batch_size <= 0)
        rt->opts.batch_size = 1000;
    pthread_mutex_init(&rt->mu, NULL);
    pthread_cond_init(&rt->cv, NULL);
    rt->threads = calloc((size_t)rt->opts.threads, sizeof *rt->threads);
    if (!rt->threads) {
        sl_runtime_free(rt);
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory"), NULL;
    }
    for (int i = 0; i < rt->opts.threads; i++) {
        if (pthread_create(&rt->threads[i], NULL, worker_main, rt) != 0) {
            sl_runtime_free(rt);
            return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "cannot start worker threads"),
                   NULL;
        }
        rt->nthreads++;
    }
    return rt;
}

static void query_free(sl_query *q)
{
    if (!q)
        return;
    for (int i = 0; i < q->ntasks; i++)
        runner_fini(&q->tasks[i].r);
    free(q->tasks);
    sl_plan_free(q->plan);
    free(q);
}

void sl_runtime_free(sl_runtime *rt)
{
    if (!rt)
        return;
    pthread_mutex_lock(&rt->mu);
    rt->shutdown = true;
    pthread_mutex_unlock(&rt->mu);
    /* workers finish their step (batch committed) and see the flag */
    for (int i = 0; i < rt->nthreads; i++)
        pthread_join(rt->threads[i], NULL);
    for (int i = 0; i < rt->nq; i++)
        query_free(rt->queries[i]);
    free(rt->queries);
    free(rt->threads);
    pthread_cond_destroy(&rt->cv);
    pthread_mutex_destroy(&rt->mu);
    free(rt);
}

static int find_index(sl_runtime *rt, const char *id)
{
    for (int i = 0; i < rt->nq; i++)
        if (strcmp(rt->queries[i]->id, id) == 0)
            return i;
    return -1;
}

/* Partitions of a topic, or -1 with err. */
static int topic_partitions(sl_log *log, const char *topic, sl_error *err)
{
    sl_arena *a = sl_arena_new(0);
    sl_topic_info info;
    int n = sl_log_describe_topic(log, topic, a, &info, err) ? -1 : info.config.partitions;
    sl_arena_free(a);
    return n;
}

/* The position a reader starts at without a committed one. */
static int64_t reset_position(sl_log *log, const char *topic, int32_t p, sl_offset_reset reset,
                              sl_error *err)
{
    return reset == SL_RESET_EARLIEST ? sl_log_start_offset(log, topic, p, err)
                                      : sl_log_end_offset(log, topic, p, err);
}

sl_query *sl_runtime_start(sl_runtime *rt, sl_plan *plan, sl_error *err)
{
    sl_error_clear(err);
    if (!plan)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "no plan to start"), NULL;
    if (!plan->sink) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                     "query %s has no sink: bind one before starting it", plan->query_id);
        sl_plan_free(plan);
        return NULL;
    }
    pthread_mutex_lock(&rt->mu);
    bool dup = find_index(rt, plan->query_id) >= 0;
    pthread_mutex_unlock(&rt->mu);
    if (dup) {
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "query %s is already running",
                     plan->query_id);
        sl_plan_free(plan);
        return NULL;
    }
    const char *topic = plan->input.kafka_topic;
    int np = topic_partitions(rt->log, topic, err);
    if (np < 0 || topic_partitions(rt->log, plan->sink->kafka_topic, err) < 0) {
        sl_plan_free(plan);
        return NULL;
    }
    sl_query *q = calloc(1, sizeof *q);
    if (!q || !(q->tasks = calloc((size_t)np, sizeof *q->tasks))) {
        free(q);
        sl_plan_free(plan);
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory"), NULL;
    }
    q->rt = rt;
    q->plan = plan;
    q->id = plan->query_id;
    q->state = SL_QUERY_RUNNING;
    /* positions: committed ones, else the reset position, committed now so a
     * restart before the first batch starts at the same place */
    sl_log_txn *txn = NULL;
    for (int p = 0; p < np; p++) {
        task *t = &q->tasks[p];
        t->q = q;
        t->partition = p;
        t->next = sl_log_position(rt->log, q->id, topic, p);
        if (t->next < 0) {
            t->next = reset_position(rt->log, topic, p, plan->reset, err);
            if (t->next < 0)
                goto fail;
            if (!txn)
                txn = sl_log_txn_begin(rt->log);
            if (sl_log_txn_set_position(txn, q->id, topic, p, t->next, err))
                goto fail;
        }
        if (runner_init(&t->r, rt, plan, NULL, NULL, err))
            goto fail;
        q->ntasks++;
    }
    if (txn) {
        sl_log_txn *tx = txn;
        txn = NULL;
        if (sl_log_txn_commit(tx, err))
            goto fail;
    }
    pthread_mutex_lock(&rt->mu);
    if (rt->nq == rt->capq) {
        int ncap = rt->capq ? rt->capq * 2 : 8;
        sl_query **nq = realloc(rt->queries, (size_t)ncap * sizeof *nq);
        if (!nq) {
            pthread_mutex_unlock(&rt->mu);
            sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
            goto fail;
        }
        rt->queries = nq;
        rt->capq = ncap;
    }
    rt->queries[rt->nq++] = q;
    pthread_mutex_unlock(&rt->mu);
    return q;
fail:
    sl_log_txn_abort(txn);
    query_free(q);
    return NULL;
}

int sl_runtime_stop(sl_runtime *rt, const char *query_id, sl_error *err)
{
    sl_error_clear(err);
    pthread_mutex_lock(&rt->mu);
    int i = find_index(rt, query_id);
    if (i < 0) {
        pthread_mutex_unlock(&rt->mu);
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "no query with id %s", query_id);
    }
    sl_query *q = rt->queries[i];
    q->stopping = true;
    for (;;) {
        bool busy = false;
        for (int k = 0; k < q->ntasks; k++)
            busy |= q->tasks[k].busy;
        if (!busy)
            break;
        pthread_cond_wait(&rt->cv, &rt->mu);
    }
    i = find_index(rt, query_id);
    memmove(&rt->queries[i], &rt->queries[i + 1], (size_t)(rt->nq - i - 1) * sizeof *rt->queries);
    rt->nq--;
    rt->rr = 0;
    pthread_mutex_unlock(&rt->mu);
    query_free(q);
    return 0;
}

static int set_state(sl_runtime *rt, const char *query_id, sl_query_state from,
                     sl_query_state to, sl_error *err)
{
    sl_error_clear(err);
    pthread_mutex_lock(&rt->mu);
    int i = find_index(rt, query_id);
    if (i < 0) {
        pthread_mutex_unlock(&rt->mu);
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "no query with id %s", query_id);
    }
    sl_query *q = rt->queries[i];
    if (q->state == from)
        q->state = to;
    else if (q->state == SL_QUERY_ERROR) {
        pthread_mutex_unlock(&rt->mu);
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "query %s is in error: %s",
                            query_id, q->error);
    }
    pthread_mutex_unlock(&rt->mu);
    return 0;
}

int sl_runtime_pause(sl_runtime *rt, const char *query_id, sl_error *err)
{
    return set_state(rt, query_id, SL_QUERY_RUNNING, SL_QUERY_PAUSED, err);
}

int sl_runtime_resume(sl_runtime *rt, const char *query_id, sl_error *err)
{
    return set_state(rt, query_id, SL_QUERY_PAUSED, SL_QUERY_RUNNING, err);
}

int sl_runtime_query_count(sl_runtime *rt)
{
    pthread_mutex_lock(&rt->mu);
    int n = rt->nq;
    pthread_mutex_unlock(&rt->mu);
    return n;
}

sl_query *sl_runtime_query_at(sl_runtime *rt, int i)
{
    pthread_mutex_lock(&rt->mu);
    sl_query *q = i >= 0 && i < rt->nq ? rt->queries[i] : NULL;
    pthread_mutex_unlock(&rt->mu);
    return q;
}

sl_query *sl_runtime_find(sl_runtime *rt, const char *query_id)
{
    pthread_mutex_lock(&rt->mu);
    int i = find_index(rt, query_id);
    sl_query *q = i >= 0 ? rt->queries[i] : NULL;
    pthread_mutex_unlock(&rt->mu);
    return q;
}

const char *sl_query_id(const sl_query *q) { return q->id; }
const sl_plan *sl_query_plan(const sl_query *q) { return q->plan; }

void sl_query_get_stats(sl_query *q, sl_query_stats *out)
{
    memset(out, 0, sizeof *out);
    sl_runtime *rt = q->rt;
    pthread_mutex_lock(&rt->mu);
    out->state = q->state;
    memcpy(out->error, q->error, sizeof out->error);
    int64_t lag = 0;
    for (int i = 0; i < q->ntasks; i++) {
        sl_error e;
        int64_t end = sl_log_end_offset(rt->log, q->tasks[i].r.topic, q->tasks[i].partition, &e);
        int64_t pos = sl_log_position(rt->log, q->id, q->tasks[i].r.topic, q->tasks[i].partition);
        if (end > pos && pos >= 0)
            lag += end - pos;
    }
    pthread_mutex_unlock(&rt->mu);
    out->lag = lag;
    out->records_in = atomic_load(&q->in);
    out->records_out = atomic_load(&q->out);
    out->records_failed = atomic_load(&q->failed);
    out->records_filtered = atomic_load(&q->filtered);
    out->records_skipped = atomic_load(&q->skipped);
}

/*
 * Idle: one pass over every running task finds its committed position at
 * its partition's end offset, and no commit happened during the pass (so
 * nothing an upstream query wrote can have slipped in behind a check).
 */
int sl_runtime_wait_idle(sl_runtime *rt, int timeout_ms, sl_error *err)
{
    sl_error_clear(err);
    int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        uint64_t seq = sl_log_commit_seq(rt->log);
        char lagging[200] = "";
        pthread_mutex_lock(&rt->mu);
        for (int i = 0; i < rt->nq; i++) {
            sl_query *q = rt->queries[i];
            if (q->state == SL_QUERY_ERROR) {
                sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "query %s is in error: %s", q->id,
                             q->error);
                pthread_mutex_unlock(&rt->mu);
                return -1;
            }
            if (q->state != SL_QUERY_RUNNING || lagging[0])
                continue;
            for (int k = 0; k < q->ntasks && !lagging[0]; k++) {
                task *t = &q->tasks[k];
                sl_error e;
                int64_t end = sl_log_end_offset(rt->log, t->r.topic, t->partition, &e);
                int64_t pos = sl_log_position(rt->log, q->id, t->r.topic, t->partition);
                if (t->busy || pos < end)
                    snprintf(lagging, sizeof lagging,
                             "query %s is %lld records behind on partition %d of '%s'", q->id,
                             (long long)(end - pos), t->partition, t->r.topic);
            }
        }
        pthread_mutex_unlock(&rt->mu);
        if (!lagging[0] && sl_log_commit_seq(rt->log) == seq)
            return 0;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "not idle after %d ms: %s",
                                timeout_ms, lagging[0] ? lagging : "commits keep arriving");
        sl_log_wait_since(rt->log, seq, left < 50 ? (int)left : 50);
    }
}

/* ---- transient queries ---- */

int sl_runtime_run_transient(sl_runtime *rt, sl_plan *plan, bool until_end, sl_row_cb cb,
                             void *ud, volatile sig_atomic_t *cancel, uint64_t *failed,
                             sl_error *err)
{
    sl_error_clear(err);
    if (failed)
        *failed = 0;
    if (!plan)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "no plan to run");
    if (!cb) {
        sl_plan_free(plan);
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "a transient query needs a row callback");
    }
    const char *topic = plan->input.kafka_topic;
    int np = topic_partitions(rt->log, topic, err);
    int64_t *next = NULL, *end = NULL;
    runner r;
    bool have_runner = false;
    int rc = -1;
    if (np < 0)
        goto done;
    next = calloc((size_t)np, sizeof *next);
    end = calloc((size_t)np, sizeof *end);
    if (!next || !end) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        goto done;
    }
    for (int p = 0; p < np; p++) {
        next[p] = reset_position(rt->log, topic, p, until_end ? SL_RESET_EARLIEST : plan->reset,
                                 err);
        end[p] = sl_log_end_offset(rt->log, topic, p, err);
        if (next[p] < 0 || end[p] < 0)
            goto done;
    }
    if (runner_init(&r, rt, plan, (sl_op_row_cb)cb, ud, err))
        goto done;
    have_runner = true;
    if (plan->limit == 0) {
        rc = 0;
        goto done;
    }
    bool stop = false;
    while (!stop) {
        if (cancel && *cancel)
            break;
        uint64_t seq = sl_log_commit_seq(rt->log);
        bool any = false, all_done = true;
        for (int p = 0; p < np && !stop; p++) {
            int max = r.batch_size;
            if (until_end) {
                if (next[p] >= end[p])
                    continue;
                all_done = false;
                if (end[p] - next[p] < max)
                    max = (int)(end[p] - next[p]);
            }
            int n = 0;
            if (sl_log_read(rt->log, topic, p, next[p], max, r.arena, r.recs, &n, err))
                goto done;
            if (n == 0) {
                if (until_end)
                    next[p] = end[p];       /* nothing readable left below the snapshot */
                sl_arena_reset(r.arena);
                continue;
            }
            any = true;
            /* records past the end snapshot (a pull query) are not this query's */
            if (until_end)
                while (n > 0 && r.recs[n - 1].offset >= end[p])
                    n--;
            next[p] = n > 0 ? r.recs[n - 1].offset + 1 : end[p];
            r.txn = NULL;
            r.fatal = 0;
            sl_batch b;
            if (runner_push(&r, n, &b, err))
                goto done;
            if (failed)
                *failed += b.failed;
            if (r.txn) {
                sl_log_txn *t = r.txn;
                r.txn = NULL;
                if (sl_log_txn_commit(t, err))
                    goto done;
            }
            sl_arena_reset(r.arena);
            if (b.stop)
                stop = true;
            if (cancel && *cancel)
                stop = true;
        }
        if (until_end && all_done)
            break;
        if (!any && !stop)
            sl_log_wait_since(rt->log, seq, 100);
    }
    rc = 0;
done:
    if (have_runner)
        runner_fini(&r);
    free(next);
    free(end);
    sl_plan_free(plan);
    return rc;
}
