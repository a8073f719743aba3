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
 * Workers of one service (log.h's membership; Kafka): a query joins its
 * group when it starts and has tasks only for the partitions the group
 * assigns this worker (task.own). An assigned partition's task first reads
 * its committed position, has the log restore its state (the changelog
 * another worker wrote) and builds its operators (task_init, on a worker
 * thread); a revoked one commits what it holds open, then is dropped,
 * before the revocation completes (on_rebalance, on the log's thread).
 * On the embedded log every partition is this process's.
 *
 * An aggregation whose GROUP BY is not the input key needs every record of
 * a group in one place. On a log with a repartition topic
 * (sl_log_repartition_topic: Kafka) one runs in two stages, as
 * Kafka Streams does, each a set of tasks with a position group and a
 * membership of its own (struct stage): stage 1 (group QUERY, one task per
 * input partition) reads the input, applies WHERE, computes the GROUP BY
 * values and arguments and appends them to the repartition topic (as many
 * partitions as the input, keyed by the group's key bytes, the event time
 * kept), committing its input positions in the same transaction (so only
 * once those appends are delivered; exactly-once: one Kafka transaction);
 * a TABLE's stage 1 also keeps each input key's row (state "QUERY-table",
 * its own changelog, restored like the aggregate's) and sends a change as
 * a retraction of the old row to the old group, then the new row to the
 * new one (KTable.groupBy), in that transaction too;
 * stage 2 (group QUERY-repartition, one task per repartition partition)
 * aggregates what it reads there exactly as a key-grouped aggregation
 * does (state per partition, changelog, restore) and writes the sink; once
 * its positions are committed, the records below them are deleted
 * (purge_consumed, at most every 30 s per partition). Both
 * are one query: records in are counted by stage 1, records out by stage
 * 2, lag and idleness cover both. Elsewhere (the embedded log, one process
 * owning every partition), one shared runner aggregates every partition,
 * a task at a time; with membership it runs only on the worker
 * that owns partition 0, so no two workers aggregate the same records. So
 * does a query an earlier sluice started that way (committed positions,
 * no repartition topic: started_shared), a TABLE aggregation at
 * at-least-once (a replayed retraction would corrupt it: split only where
 * commits are atomic, sl_log_atomic_commits), and one on a cluster that
 * creates no topics (the dev broker: no Admin API).
 *
 * Threading: rt->mu guards the query list, the task flags (busy, own) and
 * the query states; a task is run by at most one worker at a time (busy), and
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

/* Records read per batch by aggregations (at least). */
#define AGG_BATCH 10000

typedef struct runner runner;
typedef struct task task;
typedef struct stage stage;

/* What a runner does with the plan. */
enum {
    ROLE_PLAN,                  /* all of it: input -> sink */
    ROLE_SPLIT,                 /* a repartitioned aggregation's stage 1: input -> WHERE ->
                                   GROUP BY values and arguments -> repartition topic */
    ROLE_MERGE                  /* ... its stage 2: repartition topic -> aggregate -> sink */
};

/* Stage 2 deletes the repartition records below its committed position at
 * most this often per partition (Kafka Streams' repartition.purge.interval.ms). */
enum { PURGE_INTERVAL_MS = 30000 };

/* What one task (or one transient query) needs to run batches. */
struct runner {
    sl_runtime *rt;
    const sl_plan *plan;
    const char *query_id;
    const char *topic;          /* input topic */
    sl_operator *ops[8];
    int nops;
    sl_operator *sink;                /* one of ops */
    bool log_sink;
    sl_operator *agg;           /* the aggregate operator, one of ops, or NULL */
    sl_operator *repart;        /* ROLE_SPLIT: the repartition operator (the last of ops) */
    size_t win_suffix;          /* windowed input: bytes of window after each key */
    sl_window_kind win_kind;
    int64_t *wins;              /* per record of a batch: start, end (windowed input) */
    sl_arena *arena;            /* batch arena */
    sl_record *recs;
    int batch_size;
    unsigned read_flags;        /* SL_LOG_READ_*: headers only for a query that reads them */
    sl_value *slots;
    int nslots;
    sl_log_txn *txn;            /* the open transaction: the batch's, or (aggregations) that of
                                   every batch since the last commit; transient queries: made
                                   on the first failure */
    int64_t txn_since;          /* wall clock when txn was begun (aggregations) */
    sl_buf pl;                  /* processing-log record scratch */
    int fatal;                  /* a processing-log append failed */
    sl_error fatal_err;
};

/* Whether this worker owns a task's partition (log.h's membership). */
enum {
    OWN_NO,                     /* another worker's (or not assigned yet) */
    OWN_INIT,                   /* assigned: position, state and operators to set up */
    OWN_RUN,                    /* this worker's, running */
    OWN_DROP                    /* being revoked: not picked */
};

/* The tasks that read one topic under one position group: a query's only
 * stage, or one of the two of a repartitioned aggregation. */
struct stage {
    sl_query *q;
    int first, n;               /* its tasks: q->tasks[first .. first + n) */
    int role;                   /* ROLE_*, of its runners */
    const char *topic;          /* what its tasks read */
    char group[300];            /* their positions' group (and membership): the query id;
                                   stage 2: the query id + "-repartition" */
    bool member;                /* joined the group: tasks follow partitions */
};

struct task {
    sl_query *q;
    stage *st;
    int32_t partition;
    int own;                    /* OWN_*, under rt->mu; a shared runner's tasks move
                                   together, with partition 0 */
    int64_t next;               /* the next offset to read */
    int64_t committed;          /* the committed position (next, once its batch commits) */
    bool busy;                  /* a worker runs it */
    int64_t idle_since;         /* wall clock of the first empty read in a row; 0: busy */
    int64_t purged;             /* ROLE_MERGE: the repartition records below this are deleted */
    int64_t purge_at;           /* ... wall clock of the last attempt */
    bool purge_off;             /* ... the cluster takes no Admin requests */
    runner r;                   /* unused when the query has one shared runner */
};

struct sl_query {
    sl_runtime *rt;
    sl_plan *plan;
    const char *id;             /* the plan's */
    task *tasks;                /* every stage's */
    int ntasks;
    stage stages[2];
    int nstages;                /* 2: a repartitioned aggregation */
    char repart[256];           /* ... its repartition topic */
    bool shared;                /* one runner (tasks[0].r) for every partition: an aggregation
                                   whose GROUP BY is not the input key, with no repartition
                                   topic on this log; its tasks run one at a time */
    sl_query_state state;       /* under rt->mu */
    bool stopping;
    int cursor;                 /* shared runner: the task it runs next (under rt->mu) */
    char error[256];
    _Atomic uint64_t in, out, failed, filtered, skipped, late;
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
    bool group_commits;         /* stateless queries commit by interval too
                                   (the log's commits are costly) */
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

/* Appends the processing-log entry of rec (a record of topic) to txn. */
static int pl_append(runner *r, sl_log_txn *txn, const char *topic, const sl_record *rec,
                     sl_fail_kind kind, const char *message, sl_error *err)
{
    pl_entry(&r->pl, r->query_id, topic, rec, kind, message,
             r->rt->opts.log_include_rows || r->plan->log_rows);
    sl_record out = {0};
    out.key_len = -1;
    out.value = r->pl.data;
    out.value_len = (int32_t)r->pl.len;
    out.timestamp = now_ms();
    return sl_log_txn_append(txn, r->rt->opts.processing_log_topic, 0, &out, NULL, NULL, err);
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
    if (pl_append(r, r->txn, r->topic, rec, kind, message, &r->fatal_err))
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
    free(r->wins);
    r->wins = NULL;
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

/* Windowed input (a windowed table's topic): runner_push cut the window off
 * each key (into r->wins); this operator, right after the source, gives the
 * rows their window. */
typedef struct window_in_op {
    sl_operator op;
    runner *r;
} window_in_op;

static int window_in_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    runner *r = ((window_in_op *)op)->r;
    (void)err;
    int w = 0;
    for (int i = 0; i < b->n; i++) {
        sl_brow *row = &b->rows[i];
        long k = row->rec - b->recs;
        if (k < 0 || k >= b->nrecs || r->wins[2 * k] == INT64_MIN) {
            sl_batch_fail(b, i, SL_FAIL_DESERIALIZATION,
                          "the record's key is too short to be a windowed key");
            continue;
        }
        row->in.windowed = true;
        row->in.window_start = r->wins[2 * k];
        row->in.window_end = r->wins[2 * k + 1];
        b->rows[w++] = *row;
    }
    b->n = w;
    return 0;
}

static void window_in_close(sl_operator *op) { free(op); }

static const sl_op_vtab window_in_vtab = {"WINDOW", window_in_push, NULL, window_in_close};

static int64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* Cuts the window off the keys of recs[0..n) (windowed input). */
static void cut_windows(runner *r, int n)
{
    for (int i = 0; i < n; i++) {
        sl_record *rec = &r->recs[i];
        if (rec->key_len < 0 || (size_t)rec->key_len < r->win_suffix) {
            r->wins[2 * i] = INT64_MIN;
            continue;
        }
        rec->key_len -= (int32_t)r->win_suffix;
        const unsigned char *w = (const unsigned char *)rec->key + rec->key_len;
        if (r->win_kind == SL_WIN_SESSION) {
            r->wins[2 * i + 1] = get_be64(w);
            r->wins[2 * i] = get_be64(w + 8);
        } else {
            int64_t start = get_be64(w), size = r->plan->input.window_size_ms;
            r->wins[2 * i] = start;
            r->wins[2 * i + 1] = start > INT64_MAX - size ? INT64_MAX : start + size;
        }
    }
}

static sl_window_kind window_kind_of(const char *type)
{
    if (!type)
        return SL_WIN_NONE;
    return strcmp(type, "SESSION") == 0 ? SL_WIN_SESSION
           : strcmp(type, "HOPPING") == 0 ? SL_WIN_HOPPING : SL_WIN_TUMBLING;
}

/* The key format of an aggregation's state: the sink's, or for results
 * shown to a client KAFKA when it can carry the GROUP BY values, else JSON. */
static int agg_key_opts(const sl_plan *p, sl_format_opts *ko, sl_error *err)
{
    if (p->sink)
        return sl_op_format_opts(p->sink->key_format, NULL, -1, true, ko, err);
    sl_error e2;
    if (sl_op_format_opts("KAFKA", NULL, -1, true, ko, err))
        return -1;
    if (sl_format_check(ko, p->group_cols, p->ngroup, &e2) == 0)
        return 0;
    return sl_op_format_opts("JSON", NULL, -1, true, ko, err);
}

static _Atomic unsigned transient_seq;

/* The operators of an aggregation between the source and the aggregate:
 * WHERE, the GROUP BY values and arguments. */
static int add_pre(runner *r, const sl_plan *p, sl_error *err)
{
    if (p->table_in) {
        if (add_op(r, sl_op_table_filter_new(p->where), err))
            return -1;
    } else if (p->where && add_op(r, sl_op_filter_new(p->where), err)) {
        return -1;
    }
    return add_op(r, sl_op_project_new(p->pre_expr, 0, p->npre), err);
}

/* What both stages of an aggregation know of its groups: their values
 * and key format, the values and arguments a row carries. */
static int agg_spec_init(sl_aggregate_spec *sp, const sl_plan *p, sl_error *err)
{
    memset(sp, 0, sizeof *sp);
    sp->ngroup = p->ngroup;
    sp->group_cols = p->group_cols;
    sp->npre = p->npre;
    sp->pre_types = p->pre_types;
    return agg_key_opts(p, &sp->key_opts, err);
}

/* Stage 1 of a repartitioned aggregation ends here: rows to its topic (a
 * TABLE's changes as retractions and additions, its rows kept per key). */
static int add_repartition(runner *r, const sl_plan *p, const char *topic, int32_t partition,
                           sl_error *err)
{
    sl_aggregate_spec sp;
    if (agg_spec_init(&sp, p, err))
        return -1;
    char name[300];
    if (p->table_in) {
        snprintf(name, sizeof name, "%s%s", p->query_id, SL_LOG_TABLE_ROWS_SUFFIX);
        sp.table_in = true;
        sp.log = r->rt->log;
        sp.store_name = name;
        sp.partition = partition;
        sp.cache_bytes = p->state_cache_bytes > 0 ? (size_t)p->state_cache_bytes : 0;
    }
    if (add_op(r, sl_op_repartition_out_new(topic, &sp, err), err))
        return -1;
    r->repart = r->ops[r->nops - 1];
    return 0;
}

/* The aggregate operator, over rows whose out[0..npre) hold the GROUP BY
 * values and arguments (ROLE_MERGE of a TABLE: retractions and additions). */
static int add_aggregate(runner *r, const sl_plan *p, int role, int32_t partition,
                         sl_error *err)
{
    sl_aggregate_spec sp;
    if (agg_spec_init(&sp, p, err))
        return -1;
    sp.nagg = p->nagg;
    sp.aggs = p->aggs;
    sp.agg_arg0 = p->agg_arg0;
    sp.agg_nargs = p->agg_nargs;
    sp.agg_argtype = (const sl_type *const *const *)p->agg_argtype;
    sp.agg_cast = (const bool *const *)p->agg_cast;
    sp.agg_schema = &p->agg_schema;
    sp.win = &p->win;
    sp.emit_final = p->emit_final;
    sp.table_in = p->table_in && role != ROLE_MERGE;
    sp.retract_in = p->table_in && role == ROLE_MERGE;
    sp.having = p->having;
    sp.out_expr = p->out_expr;
    sp.nout = p->out.ncols;
    sp.nkey = p->nkey;
    sp.log = r->rt->log;
    char name[300];
    if (p->sink)
        snprintf(name, sizeof name, "%s", p->query_id);
    else
        snprintf(name, sizeof name, "transient-%u-%lld", atomic_fetch_add(&transient_seq, 1),
                 (long long)now_ms());
    sp.store_name = name;
    sp.partition = partition;
    sp.cache_bytes = p->state_cache_bytes > 0 ? (size_t)p->state_cache_bytes : 0;
    sp.cache_off = p->cache_off;
    char prefix[300];
    if (p->sink) {
        sp.mat_space = SL_MATERIALIZED_SPACE;
        snprintf(prefix, sizeof prefix, "%s", p->sink->kafka_topic);
        sp.mat_prefix = prefix;
        sp.mat_prefix_len = strlen(prefix) + 1;
    }
    sl_operator *op = sl_op_aggregate_new(&sp, err);
    if (add_op(r, op, err))
        return -1;
    r->agg = op;
    return 0;
}

/* Whether the plan reads a HEADERS or HEADER('k') column of its input. */
static bool wants_headers(const sl_plan *p)
{
    const sl_schema *s = &p->input.schema;
    for (int i = 0; i < s->ncols; i++)
        if ((s->cols[i].kind == SL_COLK_HEADERS || s->cols[i].kind == SL_COLK_HEADER) &&
            (!p->wanted || p->wanted[i]))
            return true;
    return false;
}

/* Builds the operator chain of a plan, or of one stage of it (role,
 * reading from or writing to the repartition topic repart); cb NULL: the
 * plan's sink. */
static int runner_init(runner *r, sl_runtime *rt, const sl_plan *p, int role, const char *repart,
                       sl_op_row_cb cb, void *ud, int32_t partition, sl_error *err)
{
    memset(r, 0, sizeof *r);
    sl_error_clear(err);
    r->rt = rt;
    r->plan = p;
    r->query_id = p->query_id;
    r->topic = role == ROLE_MERGE ? repart : p->input.kafka_topic;
    r->batch_size = rt->opts.batch_size;
    /* a commit writes every group a batch changed: aggregations commit less
     * often so that repeated updates of a group cost one write */
    if (p->ngroup > 0 && r->batch_size < AGG_BATCH)
        r->batch_size = AGG_BATCH;
    sl_buf_init(&r->pl);
    r->arena = sl_arena_new(4u << 20);     /* one chunk holds a typical batch: no malloc per batch */
    r->recs = calloc((size_t)r->batch_size, sizeof *r->recs);
    r->nslots = p->nslots;
    r->slots = calloc((size_t)(p->nslots ? p->nslots : 1), sizeof *r->slots);
    if (!r->recs || !r->slots)
        goto oom;
    /* stage 2 reads rows stage 1 made: their headers, if wanted, are in them */
    r->read_flags = role != ROLE_MERGE && wants_headers(p) ? 0 : SL_LOG_READ_NO_HEADERS;
    if (role == ROLE_MERGE) {
        if (add_op(r, sl_op_repartition_in_new(p->npre, p->pre_types, err), err) ||
            add_aggregate(r, p, role, partition, err))
            goto fail;
        goto sink;
    }

    sl_source_spec spec = {0};
    spec.schema = &p->input.schema;
    spec.wanted = p->wanted;
    spec.ts_col = p->ts_col;
    spec.ts_fmt = p->ts_fmt;
    spec.skip_null_values = !p->input.is_table;
    r->win_kind = window_kind_of(p->input.window_type);
    r->win_suffix = r->win_kind == SL_WIN_NONE ? 0 : r->win_kind == SL_WIN_SESSION ? 16 : 8;
    if (r->win_suffix && !(r->wins = calloc((size_t)r->batch_size * 2, sizeof *r->wins)))
        goto oom;
    if (sl_op_format_opts(p->input.key_format, NULL, -1, true, &spec.key_opts, err) ||
        sl_op_format_opts(p->input.value_format, p->input.value_delimiter,
                          p->input.wrap_single_value, false, &spec.value_opts, err))
        goto fail;
    /* the records are read into the batch arena, which the decoded values never outlive */
    spec.key_opts.borrow_input = spec.value_opts.borrow_input = true;
    if (add_op(r, sl_op_source_new(&spec, err), err))
        goto fail;
    if (r->win_suffix) {
        window_in_op *w = calloc(1, sizeof *w);
        if (w) {
            w->op.vt = &window_in_vtab;
            w->r = r;
        }
        if (add_op(r, w ? &w->op : NULL, err))
            goto fail;
    }
    if (p->ngroup > 0) {
        if (add_pre(r, p, err))
            goto fail;
        if (role == ROLE_SPLIT) {
            if (add_repartition(r, p, repart, partition, err))
                goto fail;
            r->sink = r->repart;
            return 0;
        }
        if (add_aggregate(r, p, role, partition, err))
            goto fail;
    } else {
        if (p->table_in) {
            if (add_op(r, sl_op_table_filter_new(p->where), err))
                goto fail;
        } else if (p->where && add_op(r, sl_op_filter_new(p->where), err)) {
            goto fail;
        }
        int first = 0;
        if (p->partitioned && p->nkey > 0) {
            if (add_op(r, sl_op_rekey_new(p->out_expr, p->nkey), err))
                goto fail;
            first = p->nkey;
        }
        if (add_op(r, sl_op_project_new(p->out_expr, first, p->out.ncols), err))
            goto fail;
    }
sink:
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
        sl_window_kind wk = sl_plan_window(p, NULL);
        if (p->table_out)
            sl_op_sink_set_table(r->ops[r->nops - 1], wk, SL_MATERIALIZED_SPACE,
                                 s->kafka_topic, strlen(s->kafka_topic) + 1);
        else if (wk != SL_WIN_NONE)
            sl_op_sink_set_table(r->ops[r->nops - 1], wk, NULL, NULL, 0);
        sl_op_set_passthrough(r->ops, r->nops, p->out_src_col, s->schema.cols, p->out.ncols);
    }
    r->sink = r->ops[r->nops - 1];
    return 0;
oom:
    sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
fail:
    runner_fini(r);
    return -1;
}

/* Pushes b through ops[from..). -1 on a fatal error. */
static int push_from(runner *r, sl_batch *b, int from, sl_error *err)
{
    for (int i = from; i < r->nops && b->n > 0; i++) {
        if (sl_op_push(r->ops[i], b, err))
            return -1;
        if (r->fatal) {
            *err = r->fatal_err;
            return -1;
        }
    }
    return 0;
}

static int runner_flush(runner *r, sl_batch *b, sl_error *err);

/* Pushes recs[0..n) through the chain, then (flush) lets stateful operators
 * hand on what they held back (the end of the batch); counts into *b. -1
 * on a fatal error. */
static int runner_push(runner *r, int n, sl_batch *b, bool flush, sl_error *err)
{
    memset(b, 0, sizeof *b);
    b->arena = r->arena;
    b->recs = r->recs;
    b->nrecs = n;
    b->nout = r->plan->out.ncols > r->plan->npre ? r->plan->out.ncols : r->plan->npre;
    b->nkey = r->plan->ngroup ? 0 : r->plan->nkey;
    b->fail = on_fail;
    b->fail_ud = r;
    b->slots = r->slots;
    b->nslots = r->nslots;
    if (r->log_sink)
        sl_op_sink_set_txn(r->sink, r->txn);
    if (r->repart)
        sl_op_repartition_set_txn(r->repart, r->txn);
    if (r->win_suffix)
        cut_windows(r, n);
    if (r->nops && sl_op_push(r->ops[0], b, err))
        return -1;
    if (push_from(r, b, 1, err))
        return -1;
    return flush ? runner_flush(r, b, err) : 0;
}

/* Lets stateful operators hand on what they held back (emissions, closed
 * windows) and write their state into the open transaction. */
static int runner_flush(runner *r, sl_batch *b, sl_error *err)
{
    for (int i = 0; i < r->nops; i++) {
        if (!r->ops[i]->vt->flush)
            continue;
        b->rows = NULL;
        b->n = 0;
        if (sl_op_flush(r->ops[i], b, err) || push_from(r, b, i + 1, err))
            return -1;
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

static runner *task_runner(task *t)
{
    return t->q->shared ? &t->q->tasks[0].r : &t->r;
}

/* After an aborted transaction: the operators' state back to what is
 * committed (the aggregate's, a TABLE's stage 1 kept rows). */
static void runner_discard(runner *r)
{
    sl_error e2;
    if (r->agg)
        sl_op_aggregate_discard(r->agg, &e2);
    if (r->repart)
        sl_op_repartition_discard(r->repart, &e2);
}

/*
 * A record the log refused only as the transaction of task ud committed
 * (log.h's sl_log_txn_on_refused; Kafka at-least-once: the broker's clock
 * refused a timestamp the check at the append let through): a bad record
 * like one refused at the append, counted as failed and logged in the
 * committing transaction. The input record it came from is not known
 * there, so the entry names the refused record's topic and partition.
 */
static int on_refused(void *ud, sl_log_txn *txn, const char *topic, const sl_record *rec,
                      const char *reason, sl_error *err)
{
    task *t = ud;
    if (pl_append(task_runner(t), txn, topic, rec, SL_FAIL_PRODUCTION, reason, err))
        return -1;
    atomic_fetch_add(&t->q->failed, 1);
    atomic_fetch_sub(&t->q->out, 1);    /* counted as written by the sink */
    return 0;
}

/*
 * Beyond ksqlDB (sluice.window.idle.close.ms): once a task's input has been
 * idle that long, its stream time moves to the wall clock, so windows that
 * ended long ago by the clock get their final rows though no record comes
 * to close them. Committed like a batch without input.
 */
static void idle_close(task *t, runner *r)
{
    int64_t now = now_ms();
    if (!t->idle_since) {
        t->idle_since = now;
        return;
    }
    if (now - t->idle_since < t->q->plan->idle_close_ms)
        return;
    t->idle_since = now;
    if (!sl_op_aggregate_advance(r->agg, now))
        return;
    sl_error err;
    r->txn = sl_log_txn_begin(t->q->rt->log);
    r->fatal = 0;
    sl_op_aggregate_set_txn(r->agg, r->txn);
    sl_batch b;
    int rc = runner_push(r, 0, &b, true, &err);
    sl_op_aggregate_set_txn(r->agg, NULL);
    sl_log_txn *txn = r->txn;
    r->txn = NULL;
    sl_log_txn_on_refused(txn, on_refused, t);
    if (rc == 0)
        rc = sl_log_txn_commit(txn, &err);
    else
        sl_log_txn_abort(txn);
    sl_arena_reset(r->arena);
    if (rc) {
        runner_discard(r);
        query_fail(t->q, "closing idle windows failed", &err);
        return;
    }
    atomic_fetch_add(&t->q->out, b.emitted);
}

/* Every task the runner serves (all of the query's for a shared runner). */
static void runner_tasks(task *t, task **first, int *n)
{
    if (t->q->shared) {
        *first = t->q->tasks;
        *n = t->q->ntasks;
    } else {
        *first = t;
        *n = 1;
    }
}

/*
 * Ends the runner's open transaction: stateful operators flush (emissions,
 * closed windows, state) into it, and it commits; the positions it holds
 * become the tasks' committed ones. On failure it is aborted, the state
 * caches forget what it held, the tasks go back to their committed
 * positions and the query fails. 0, or -1 on failure.
 */
static int commit_open(task *t, runner *r)
{
    if (!r->txn)
        return 0;
    sl_query *q = t->q;
    sl_error err;
    sl_error_clear(&err);
    r->fatal = 0;
    if (r->agg)
        sl_op_aggregate_set_txn(r->agg, r->txn);
    sl_batch b;
    memset(&b, 0, sizeof b);
    int rc = r->agg ? runner_push(r, 0, &b, true, &err) : 0;
    if (r->agg)
        sl_op_aggregate_set_txn(r->agg, NULL);
    sl_log_txn *txn = r->txn;
    r->txn = NULL;
    sl_log_txn_on_refused(txn, on_refused, t);
    if (rc == 0)
        rc = sl_log_txn_commit(txn, &err);
    else
        sl_log_txn_abort(txn);
    sl_arena_reset(r->arena);
    task *ts;
    int nt;
    runner_tasks(t, &ts, &nt);
    if (rc) {
        runner_discard(r);
        for (int i = 0; i < nt; i++)
            ts[i].next = ts[i].committed;
        /* a rebalance took the partitions: the log drops them next */
        if (sl_log_partitions_moved(&err))
            fprintf(stderr, "sluice: query %s: %s; its tasks go back to their committed "
                    "positions\n", q->id, err.msg);
        else
            query_fail(q, "writing a batch failed", &err);
        return -1;
    }
    for (int i = 0; i < nt; i++)
        ts[i].committed = ts[i].next;
    atomic_fetch_add(&q->out, b.emitted);
    return 0;
}

/*
 * Stage 2 of a repartitioned aggregation: the repartition records below its
 * committed position are needed by no one (a next owner starts there), so
 * they are deleted, at most every PURGE_INTERVAL_MS per partition, as Kafka
 * Streams purges its repartition topics: the topic holds what is in
 * flight, not the whole input. A failure is reported and tried again an
 * interval later; on a cluster that takes no Admin requests the task stops
 * trying.
 */
static void purge_consumed(task *t)
{
    if (t->st->role != ROLE_MERGE || t->purge_off || t->committed <= t->purged)
        return;
    int64_t now = now_ms();
    if (now - t->purge_at < PURGE_INTERVAL_MS)
        return;
    t->purge_at = now;
    sl_error err;
    sl_error_clear(&err);
    if (sl_log_delete_records(t->q->rt->log, t->st->topic, t->partition, t->committed, &err)) {
        fprintf(stderr, "sluice: query %s: %s\n", t->q->id, err.msg);
        t->purge_off = err.code == SL_ERR_UNSUPPORTED;
        return;
    }
    t->purged = t->committed;
}

/*
 * Whether a task's open transaction should commit now. A stateless query
 * commits every batch where the log's commits are cheap (the embedded
 * log). Otherwise when its interval (commit.interval.ms, as Kafka Streams)
 * has passed: an aggregation's state changes between commits stay in the
 * cache, so a window made and closed within one interval never reaches
 * RocksDB; where commits are costly (Kafka: delivery reports, positions
 * over the network), a stateless query commits once per interval instead
 * of once per batch. An aggregation also commits when its cache is full.
 */
static bool commit_due(const task *t, const runner *r)
{
    if (!r->agg && !t->q->rt->group_commits)
        return true;
    int64_t interval = t->q->plan->commit_interval_ms;
    if (interval == 0)
        interval = SL_COMMIT_INTERVAL_MS;
    return interval < 0 || now_ms() - r->txn_since >= interval ||
           (r->agg && sl_op_aggregate_cache_full(r->agg));
}

/*
 * Records [from, to) of the task's partition were deleted by the topic's
 * retention before the task read them (a query that fell behind, or input
 * older than RETENTION_MS): they are counted as failed and logged once,
 * in the open transaction (begun if need be), and the task moves past them.
 */
static void retention_gap(task *t, runner *r, int64_t from, int64_t to)
{
    if (!r->txn) {
        r->txn = sl_log_txn_begin(t->q->rt->log);
        r->txn_since = now_ms();
    }
    char msg[200];
    snprintf(msg, sizeof msg,
             "%lld records (offsets %lld to %lld) were deleted by the topic's retention "
             "before this query read them",
             (long long)(to - from), (long long)from, (long long)(to - 1));
    sl_record rec = {0};
    rec.partition = t->partition;
    rec.offset = from;
    rec.key_len = -1;
    rec.value_len = -1;
    on_fail(r, NULL, &rec, SL_FAIL_RETENTION, msg);
    atomic_fetch_add(&t->q->failed, (uint64_t)(to - from));
    t->next = to;
}

/* The position a reader starts at without a committed one. */
static int64_t reset_position(sl_log *log, const char *topic, int32_t p, sl_offset_reset reset,
                              sl_error *err)
{
    return reset == SL_RESET_EARLIEST ? sl_log_start_offset(log, topic, p, err)
                                      : sl_log_end_offset(log, topic, p, err);
}

/*
 * The positions of tasks ts[0..n): the committed ones, else the reset
 * position, committed now so that a restart (or the next owner) before the
 * first batch starts at the same place. -1 with err.
 */
static int load_positions(sl_query *q, task *ts, int n, sl_error *err)
{
    sl_log *log = q->rt->log;
    const char *topic = ts[0].st->topic, *group = ts[0].st->group;
    sl_log_txn *txn = NULL;
    for (int i = 0; i < n; i++) {
        task *t = &ts[i];
        t->next = sl_log_position(log, group, topic, t->partition);
        if (t->next < 0) {
            t->next = reset_position(log, topic, t->partition, q->plan->reset, err);
            if (t->next < 0)
                goto fail;
            if (!txn)
                txn = sl_log_txn_begin(log);
            if (sl_log_txn_set_position(txn, group, topic, t->partition, t->next, err))
                goto fail;
        }
        t->committed = t->next;
    }
    return txn ? sl_log_txn_commit(txn, err) : 0;
fail:
    sl_log_txn_abort(txn);
    return -1;
}

/*
 * A partition that just became this worker's (OWN_INIT; a shared runner's
 * tasks all at once): its committed position (as the last owner left it),
 * its state caught up from the changelog the last owner wrote, a fresh
 * operator chain; then it runs. Returns 0, or -1 when the query failed.
 */
static int task_init(task *t)
{
    sl_query *q = t->q;
    sl_runtime *rt = q->rt;
    sl_error err;
    sl_error_clear(&err);
    task *ts;
    int nt;
    runner_tasks(t, &ts, &nt);
    task *owner = q->shared ? &q->tasks[0] : t;
    if (load_positions(q, ts, nt, &err)) {
        /* a rebalance took the partition meanwhile: the log drops it next */
        if (!sl_log_partitions_moved(&err))
            query_fail(q, "reading the committed positions failed", &err);
        return -1;
    }
    /* stage 1 of a TABLE keeps its rows under a store name of its own */
    char store[300];
    snprintf(store, sizeof store, "%s%s", q->id,
             t->st->role == ROLE_SPLIT ? SL_LOG_TABLE_ROWS_SUFFIX : "");
    if (q->plan->ngroup > 0 && (t->st->role != ROLE_SPLIT || q->plan->table_in) &&
        sl_log_restore_partition(rt->log, store, owner->partition, &err)) {
        query_fail(q, "restoring the state failed", &err);
        return -1;
    }
    runner_fini(&owner->r);     /* what a former ownership left */
    if (runner_init(&owner->r, rt, q->plan, t->st->role, q->repart, NULL, NULL,
                    owner->partition, &err)) {
        query_fail(q, "setting up the query failed", &err);
        return -1;
    }
    pthread_mutex_lock(&rt->mu);
    for (int i = 0; i < nt; i++)
        if (ts[i].own == OWN_INIT)
            ts[i].own = OWN_RUN;
    pthread_mutex_unlock(&rt->mu);
    return 0;
}

/*
 * One batch of one task: read, process, and commit when commit_due (or
 * when its input is idle); until then the transaction stays open across
 * batches. Returns records read, or -1.
 */
static int task_step(task *t)
{
    sl_query *q = t->q;
    runner *r = task_runner(t);
    sl_log *log = q->rt->log;
    sl_error err;
    sl_error_clear(&err);
    int n = 0;
    if (t->own == OWN_INIT)
        return task_init(t);
    if (sl_log_read_flags(log, r->topic, t->partition, t->next, r->batch_size, r->read_flags,
                          r->arena, r->recs, &n, &err)) {
        query_fail(q, "reading the input failed", &err);
        sl_arena_reset(r->arena);
        if (r->txn) {
            /* give the others their committed positions back */
            sl_log_txn_abort(r->txn);
            r->txn = NULL;
            runner_discard(r);
            task *ts;
            int nt;
            runner_tasks(t, &ts, &nt);
            for (int i = 0; i < nt; i++)
                ts[i].next = ts[i].committed;
        }
        return -1;
    }
    if (n == 0) {
        sl_arena_reset(r->arena);
        /* nothing to read: also when retention deleted everything from next on */
        int64_t start = sl_log_start_offset(log, r->topic, t->partition, &err);
        if (start > t->next) {
            retention_gap(t, r, t->next, start);
            if (sl_log_txn_set_position(r->txn, t->st->group, r->topic, t->partition, t->next,
                                        &err)) {
                query_fail(q, "writing a position failed", &err);
                return -1;
            }
        }
        if (commit_open(t, r))
            return -1;
        purge_consumed(t);
        if (r->agg && q->plan->idle_close_ms > 0 && q->plan->emit_final)
            idle_close(t, r);
        return 0;
    }
    t->idle_since = 0;
    if (r->recs[0].offset > t->next)
        retention_gap(t, r, t->next, r->recs[0].offset);
    if (!r->txn) {
        r->txn = sl_log_txn_begin(log);
        r->txn_since = now_ms();
    }
    r->fatal = 0;
    if (r->agg)
        sl_op_aggregate_set_txn(r->agg, r->txn);
    sl_batch b;
    int64_t next = r->recs[n - 1].offset + 1;
    int rc = runner_push(r, n, &b, !r->agg, &err);
    if (rc == 0)
        rc = sl_log_txn_set_position(r->txn, t->st->group, r->topic, t->partition, next, &err);
    if (r->agg)
        sl_op_aggregate_set_txn(r->agg, NULL);
    if (rc) {
        sl_log_txn_abort(r->txn);
        r->txn = NULL;
        sl_arena_reset(r->arena);
        runner_discard(r);
        task *ts;
        int nt;
        runner_tasks(t, &ts, &nt);
        for (int i = 0; i < nt; i++)
            ts[i].next = ts[i].committed;
        query_fail(q, "writing a batch failed", &err);
        return -1;
    }
    t->next = next;
    /* a repartitioned aggregation: records in are the input's (stage 1),
     * records out the sink's (stage 2) */
    if (t->st->role != ROLE_MERGE)
        atomic_fetch_add(&q->in, (uint64_t)n);
    if (t->st->role != ROLE_SPLIT)
        atomic_fetch_add(&q->out, b.emitted);
    atomic_fetch_add(&q->failed, b.failed);
    atomic_fetch_add(&q->filtered, b.filtered);
    atomic_fetch_add(&q->skipped, b.skipped);
    atomic_fetch_add(&q->late, b.late);
    sl_arena_reset(r->arena);
    if (commit_due(t, r)) {
        if (commit_open(t, r))
            return -1;
        purge_consumed(t);
    }
    return n;
}

/* Whether a task of a shared-runner query is running (under rt->mu). */
static bool shared_busy(const sl_query *q)
{
    for (int i = 0; i < q->ntasks; i++)
        if (q->tasks[i].busy)
            return true;
    return false;
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
            if (q->shared && q->state == SL_QUERY_RUNNING && !q->stopping && !shared_busy(q)) {
                /* one runner over every partition, one task at a time: in
                 * turn, whatever the global cursor skipped while one ran */
                for (int j = 0; j < q->ntasks; j++) {
                    task *u = &q->tasks[(q->cursor + j) % q->ntasks];
                    if (u->own == OWN_RUN || u->own == OWN_INIT) {
                        q->cursor = (int)((u - q->tasks) + 1) % q->ntasks;
                        rt->rr = (rt->rr + (unsigned)k + 1) % (unsigned)total;
                        return u;
                    }
                }
            } else if (!q->shared && !t->busy && (t->own == OWN_RUN || t->own == OWN_INIT) &&
                       q->state == SL_QUERY_RUNNING && !q->stopping) {
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
    const char *pl = opts && opts->processing_log_topic ? opts->processing_log_topic
                                                        : SL_PROCESSING_LOG_TOPIC;
    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = 1;
    if (sl_log_create_topic(log, pl, &cfg, NULL, err) && err->code != SL_OK) {
        /* an existing topic with another partition count is still usable: we write to 0 */
        if (sl_log_end_offset(log, pl, 0, err) < 0)
            return NULL;
        sl_error_clear(err);
    }
    sl_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory"), NULL;
    rt->log = log;
    /* where a commit is cheap (the embedded log: one local write batch) every
     * batch is made visible (and exactly-once) at once */
    rt->group_commits = sl_log_commits_costly(log);
    if (opts)
        rt->opts = *opts;
    rt->opts.processing_log_topic = pl;
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
    /* after its last commit; the groups' callbacks are not called any more */
    for (int i = 0; i < q->nstages; i++)
        if (q->stages[i].member)
            sl_log_member_leave(q->rt->log, q->stages[i].group);
    for (int i = 0; i < q->ntasks; i++)
        if (!q->shared || i == 0)
            runner_fini(&q->tasks[i].r);
    free(q->tasks);
    sl_plan_free(q->plan);
    free(q);
}

/*
 * Waits until no task of q runs, then commits what its tasks hold
 * uncommitted (aggregations between commits), from a thread that is not a
 * worker: before the query stops or pauses, and at shutdown. Under rt->mu,
 * with q not runnable (stopping, paused or shutting down); releases rt->mu
 * while waiting and committing.
 */
static void commit_query(sl_runtime *rt, sl_query *q)
{
    for (;;) {
        bool busy = false;
        for (int k = 0; k < q->ntasks; k++)
            busy |= q->tasks[k].busy;
        if (!busy)
            break;
        pthread_cond_wait(&rt->cv, &rt->mu);
    }
    for (int k = 0; k < q->ntasks; k++) {
        task *t = &q->tasks[k];
        runner *r = task_runner(t);
        if (!r->txn)
            continue;
        t->busy = true;
        pthread_mutex_unlock(&rt->mu);
        commit_open(t, r);
        pthread_mutex_lock(&rt->mu);
        t->busy = false;
    }
}

/* Drops the task(s) of a revoked or lost partition (under rt->mu, with
 * ts[0..n) marked OWN_DROP and none busy): revoked, what they hold open
 * is committed first (positions, outputs, changelog: the next owner
 * starts where this one stopped); lost, it is thrown away (another worker
 * owns them already; it reprocesses from the last committed position). */
static void drop_tasks(sl_runtime *rt, task *ts, int n, bool commit)
{
    task *owner = ts[0].q->shared ? &ts[0].q->tasks[0] : &ts[0];
    runner *r = &owner->r;
    if (r->txn && commit) {
        owner->busy = true;
        pthread_mutex_unlock(&rt->mu);
        commit_open(owner, r);
        pthread_mutex_lock(&rt->mu);
        owner->busy = false;
    } else if (r->txn) {
        sl_log_txn_abort(r->txn);
        r->txn = NULL;
    }
    runner_fini(r);
    for (int i = 0; i < n; i++)
        ts[i].own = OWN_NO;
}

/*
 * The log's rebalance callback for query ud (on a thread of the log).
 * Assigned partitions get tasks that set themselves up when first run
 * (task_init); revoked ones are committed and dropped before this returns,
 * which is before the next owner may start them. A shared runner (one
 * worker aggregates every partition: no repartition topic) goes with
 * partition 0. ud is the stage whose group changed.
 */
static void on_rebalance(void *ud, sl_log_rebalance what, const int32_t *parts, int n)
{
    stage *st = ud;
    sl_query *q = st->q;
    sl_runtime *rt = q->rt;
    pthread_mutex_lock(&rt->mu);
    for (int i = 0; i < n; i++) {
        int32_t p = parts[i];
        if (p < 0 || p >= st->n || (q->shared && p != 0))
            continue;
        task *ts = q->shared ? q->tasks : &q->tasks[st->first + p];
        int nt = q->shared ? q->ntasks : 1;
        if (what == SL_LOG_ASSIGNED) {
            for (int k = 0; k < nt; k++)
                ts[k].own = OWN_INIT;
            continue;
        }
        bool had = ts[0].own == OWN_RUN;
        for (int k = 0; k < nt; k++)
            ts[k].own = OWN_DROP;
        for (;;) {
            bool busy = false;
            for (int k = 0; k < nt; k++)
                busy |= ts[k].busy;
            if (!busy)
                break;
            pthread_cond_wait(&rt->cv, &rt->mu);
        }
        drop_tasks(rt, ts, nt, had && what == SL_LOG_REVOKED && q->state == SL_QUERY_RUNNING);
    }
    pthread_cond_broadcast(&rt->cv);
    pthread_mutex_unlock(&rt->mu);
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
    pthread_mutex_lock(&rt->mu);
    for (int i = 0; i < rt->nq; i++)
        if (rt->queries[i]->state == SL_QUERY_RUNNING)
            commit_query(rt, rt->queries[i]);
    pthread_mutex_unlock(&rt->mu);
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

/*
 * Creates (or finds) the repartition topic of a query: as many partitions
 * as its input, kept until the query is terminated (retention.ms -1: its
 * records carry the input's timestamps, which may be old; stage 2 may lag);
 * stage 2 deletes the records it has committed (purge_consumed).
 */
static int make_repartition_topic(sl_log *log, const char *name, int np, sl_error *err)
{
    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = np;
    cfg.retention_ms = -1;
    if (sl_log_create_topic(log, name, &cfg, NULL, err) == 0)
        return 0;
    int have = topic_partitions(log, name, &(sl_error){0});
    if (have > 0 && have != np)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "the repartition topic %s has %d partitions, the input %d: a "
                            "query whose input changed its partition count must be "
                            "created again", name, have, np);
    return -1;
}

/*
 * Whether a query that could be split runs with one shared runner: one
 * started, before repartition topics existed, with one shared runner (it
 * has committed positions but no repartition topic: its state, every group
 * in partition 0, and its positions only make sense that way), or a TABLE
 * aggregation on a log whose commits are not atomic (Kafka at-least-once).
 */
static bool started_shared(sl_log *log, const sl_plan *plan, const char *repart, int np)
{
    bool has_repart = topic_partitions(log, repart, &(sl_error){0}) > 0;
    /* a TABLE's stage 1 sends a change as a retraction and an addition: a
     * batch replayed after a crash (at-least-once) would retract twice and
     * leave wrong counts for good, so a TABLE is split only where a
     * commit is all or nothing; a query once split stays split */
    if (plan->input.is_table && !has_repart && !sl_log_atomic_commits(log))
        return true;
    if (has_repart)
        return false;
    for (int p = 0; p < np; p++)
        if (sl_log_position(log, plan->query_id, plan->input.kafka_topic, p) >= 0)
            return true;
    return false;
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
    char repart[256];
    bool split = plan->ngroup > 0 && !plan->group_by_key && np > 1 &&
                 sl_log_repartition_topic(rt->log, plan->query_id, repart, sizeof repart) == 1 &&
                 !started_shared(rt->log, plan, repart, np);
    if (split && make_repartition_topic(rt->log, repart, np, err)) {
        if (err->code != SL_ERR_UNSUPPORTED) {
            sl_plan_free(plan);
            return NULL;
        }
        /* a cluster that takes no Admin requests (the dev broker, whose
         * topics are made through its control port) cannot have one: one
         * shared runner, as on every worker of the service */
        sl_error_clear(err);
        split = false;
    }
    int ntasks = split ? 2 * np : np;
    sl_query *q = calloc(1, sizeof *q);
    if (!q || !(q->tasks = calloc((size_t)ntasks, sizeof *q->tasks))) {
        free(q);
        sl_plan_free(plan);
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory"), NULL;
    }
    q->rt = rt;
    q->plan = plan;
    q->id = plan->query_id;
    q->state = SL_QUERY_RUNNING;
    q->shared = plan->ngroup > 0 && !plan->group_by_key && np > 1 && !split;
    q->nstages = split ? 2 : 1;
    if (split)
        snprintf(q->repart, sizeof q->repart, "%s", repart);
    for (int k = 0; k < q->nstages; k++) {
        stage *st = &q->stages[k];
        st->q = q;
        st->first = k * np;
        st->n = np;
        st->role = !split ? ROLE_PLAN : k == 0 ? ROLE_SPLIT : ROLE_MERGE;
        st->topic = k == 0 ? topic : q->repart;
        snprintf(st->group, sizeof st->group, "%s%s", q->id, k == 0 ? "" : "-repartition");
        for (int p = 0; p < np; p++) {
            q->tasks[st->first + p].q = q;
            q->tasks[st->first + p].st = st;
            q->tasks[st->first + p].partition = p;
        }
    }
    q->ntasks = ntasks;
    /* workers of one service share the partitions of each stage: tasks are
     * made as the group assigns them (on_rebalance); else every partition
     * is ours */
    for (int k = 0; k < q->nstages; k++) {
        stage *st = &q->stages[k];
        int joined = sl_log_member_join(rt->log, st->group, st->topic, on_rebalance, st, err);
        if (joined < 0)
            goto fail;
        st->member = joined > 0;
        if (st->member)
            continue;
        task *ts = &q->tasks[st->first];
        if (load_positions(q, ts, st->n, err))
            goto fail;
        for (int p = 0; p < st->n; p++) {
            if ((!q->shared || p == 0) &&
                runner_init(&ts[p].r, rt, plan, st->role, q->repart, NULL, NULL,
                            q->shared ? 0 : p, err))
                goto fail;
            ts[p].own = OWN_RUN;
        }
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
    commit_query(rt, q);
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
    if (q->state == from) {
        q->state = to;
        if (to == SL_QUERY_PAUSED) {
            /* what the running tasks hold uncommitted is committed now */
            commit_query(rt, q);
        }
    } else if (q->state == SL_QUERY_ERROR) {
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
const char *sl_query_repartition_topic(const sl_query *q)
{
    return q->nstages > 1 ? q->repart : NULL;
}

void sl_query_get_stats(sl_query *q, sl_query_stats *out)
{
    memset(out, 0, sizeof *out);
    sl_runtime *rt = q->rt;
    pthread_mutex_lock(&rt->mu);
    out->state = q->state;
    memcpy(out->error, q->error, sizeof out->error);
    pthread_mutex_unlock(&rt->mu);
    /* offsets are asked for outside rt->mu: on Kafka each can wait for the
     * cluster, and the workers need the lock meanwhile (the caller keeps q
     * alive; its tasks and plan do not change while it runs) */
    int64_t lag = 0;
    for (int i = 0; i < q->ntasks; i++) {
        sl_error e;
        const stage *st = q->tasks[i].st;
        int64_t end = sl_log_end_offset(rt->log, st->topic, q->tasks[i].partition, &e);
        int64_t pos = sl_log_position(rt->log, st->group, st->topic, q->tasks[i].partition);
        if (end > pos && pos >= 0)
            lag += end - pos;
    }
    out->lag = lag;
    out->records_in = atomic_load(&q->in);
    out->records_out = atomic_load(&q->out);
    out->records_failed = atomic_load(&q->failed);
    out->records_filtered = atomic_load(&q->filtered);
    out->records_skipped = atomic_load(&q->skipped);
    out->records_late = atomic_load(&q->late);
    out->stream_time = INT64_MIN;
    /* state figures are read without waiting for a running step:
     * approximate; under rt->mu, so no revocation drops a runner meanwhile */
    pthread_mutex_lock(&rt->mu);
    /* the input's partitions (a repartitioned aggregation's stage 1) */
    out->partitions = q->stages[0].n;
    size_t at = 0;
    for (int i = 0; i < q->stages[0].n; i++) {
        if (q->tasks[i].own != OWN_RUN && q->tasks[i].own != OWN_INIT)
            continue;
        out->partitions_owned++;
        if (at + 12 < sizeof out->owned)
            at += (size_t)snprintf(out->owned + at, sizeof out->owned - at, "%s%d",
                                   at ? "," : "", (int)q->tasks[i].partition);
    }
    for (int i = 0; i < q->ntasks; i++) {
        runner *r = task_runner(&q->tasks[i]);
        if (!r->agg || (q->shared && i > 0) || q->tasks[i].own != OWN_RUN)
            continue;
        sl_aggregate_stats as;
        sl_op_aggregate_stats(r->agg, &as);
        if (as.stream_time > out->stream_time)
            out->stream_time = as.stream_time;
        out->state_keys += as.keys_cached;
        out->state_bytes += as.cache_bytes;
        out->late_window_updates += as.late_window_updates;
        out->agg_values_dropped += as.values_dropped;
    }
    pthread_mutex_unlock(&rt->mu);
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
        /* what to check, copied under rt->mu; the offsets are asked for
         * without it (on Kafka each may wait for the cluster) */
        typedef struct { char *qid, *topic; int32_t partition; } check;
        check *cs = NULL;
        int nc = 0, cap = 0, rc = 0;
        pthread_mutex_lock(&rt->mu);
        for (int i = 0; i < rt->nq && rc == 0; i++) {
            sl_query *q = rt->queries[i];
            if (q->state == SL_QUERY_ERROR) {
                rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "query %s is in error: %s", q->id,
                                  q->error);
                break;
            }
            if (q->state != SL_QUERY_RUNNING)
                continue;
            for (int k = 0; k < q->ntasks; k++) {
                if (nc == cap) {
                    cap = cap ? cap * 2 : 16;
                    check *n = realloc(cs, (size_t)cap * sizeof *cs);
                    if (!n) {
                        rc = sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
                        break;
                    }
                    cs = n;
                }
                cs[nc].qid = strdup(q->tasks[k].st->group);
                cs[nc].topic = strdup(q->tasks[k].st->topic);
                cs[nc].partition = q->tasks[k].partition;
                nc++;
            }
        }
        pthread_mutex_unlock(&rt->mu);
        for (int i = 0; i < nc && rc == 0 && !lagging[0]; i++) {
            if (!cs[i].qid || !cs[i].topic) {
                rc = sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
                break;
            }
            sl_error e;
            int64_t end = sl_log_end_offset(rt->log, cs[i].topic, cs[i].partition, &e);
            int64_t pos = sl_log_position(rt->log, cs[i].qid, cs[i].topic, cs[i].partition);
            /* a busy task at the end (an empty read in progress) is idle: a
             * commit it made would change the log's commit counter */
            if (pos < end)
                snprintf(lagging, sizeof lagging,
                         "query %s is %lld records behind on partition %d of '%s'", cs[i].qid,
                         (long long)(end - pos), cs[i].partition, cs[i].topic);
        }
        for (int i = 0; i < nc; i++) {
            free(cs[i].qid);
            free(cs[i].topic);
        }
        free(cs);
        if (rc)
            return -1;
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
    if (runner_init(&r, rt, plan, ROLE_PLAN, NULL, (sl_op_row_cb)cb, ud, 0, err))
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
            if (sl_log_read_flags(rt->log, topic, p, next[p], max, r.read_flags, r.arena, r.recs,
                                  &n, err))
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
            if (runner_push(&r, n, &b, true, err))
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

int sl_runtime_run_records(sl_runtime *rt, sl_plan *plan, sl_record *recs, int n, sl_row_cb cb,
                           void *ud, uint64_t *failed, sl_error *err)
{
    sl_error_clear(err);
    if (failed)
        *failed = 0;
    if (!plan)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "no plan to run");
    runner r;
    if (runner_init(&r, rt, plan, ROLE_PLAN, NULL, (sl_op_row_cb)cb, ud, 0, err)) {
        sl_plan_free(plan);
        return -1;
    }
    int rc = 0;
    for (int at = 0; at < n && plan->limit != 0; at += r.batch_size) {
        int m = n - at < r.batch_size ? n - at : r.batch_size;
        memcpy(r.recs, recs + at, (size_t)m * sizeof *recs);
        r.txn = NULL;
        r.fatal = 0;
        sl_batch b;
        rc = runner_push(&r, m, &b, true, err);
        if (failed)
            *failed += b.failed;
        if (r.txn) {
            sl_log_txn *t = r.txn;
            r.txn = NULL;
            if (sl_log_txn_commit(t, rc ? &(sl_error){0} : err) && rc == 0)
                rc = -1;
        }
        sl_arena_reset(r.arena);
        if (rc || b.stop)
            break;
    }
    runner_fini(&r);
    sl_plan_free(plan);
    return rc;
}
