/*
 * aggregate.c: GROUP BY over streams and tables, in windows or not, with
 * HAVING and the projection of the aggregated rows (operator.h).
 *
 * State: one entry per group (and window) in a state store
 * (state/store.h, "<name>/agg"): the aggregates' states (engine/agg.h) and
 * the largest timestamp aggregated. The store key is the group's key bytes
 * in the output key format, windowed as ksqlDB writes windowed keys
 * (engine/window.h): time windows append the start, sessions the end and
 * the start (8 bytes big-endian each). So a store key is exactly the key of
 * the output record, and of the sink's materialization. A TABLE input also
 * keeps each key's last row ("<name>/rows": the GROUP BY values and
 * arguments, JSON-encoded) so an update retracts the old row from its
 * group before the new row is added. Stage 2 of a TABLE's repartitioned
 * aggregation (retract_in) gets that as two rows, a retraction (marked
 * tombstone) and an addition, from stage 1 (repartition.c), which keeps
 * the rows instead.
 *
 * Time: stream time is the largest timestamp this task has seen, kept in
 * the keyspace "state_meta" with every flush. A record whose windows are
 * all closed (sl_window_closed) is late: dropped, counted, logged. A record
 * with some hopping windows closed goes to the open ones; the closed ones
 * are counted (late window updates) and the record logged once.
 *
 * Bounds: a value an aggregate leaves out past its bound (COLLECT_* limits,
 * the values kept to retract table rows; sl_agg_state_dropped) is counted
 * and logged with the record that caused it.
 *
 * Emission: cache_off (or session windows) produces a row per update from
 * push; otherwise the updated groups of a batch are produced once each by
 * flush. EMIT FINAL produces a window's row from flush once stream time
 * has closed it, and forgets the window (a late record for it is dropped
 * anyway); its row stays in the sink's materialization until retention
 * expires the window ("<name>/exp" remembers which rows to delete then,
 * across restarts). With EMIT CHANGES windows are forgotten when retention
 * expires them (and removed from the sink's materialization). HAVING false
 * turns a row into a tombstone.
 *
 * Output rows live in the batch arena; entries belong to the store.
 * Does not: evaluate GROUP BY values or arguments (a project operator before
 * it does), encode or write records (the sink), commit (the runtime).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../state/store.h"
#include "operator.h"

#define META_SPACE "state_meta"
#define DEFAULT_CACHE_BYTES (64u << 20)

typedef struct entry {
    int64_t ts;                 /* largest timestamp aggregated */
    bool pending;               /* in the pending list (cache on) */
    int nagg;
    sl_agg_state *st[];
} entry;

typedef struct prevrow {
    size_t len;
    unsigned char data[];
} prevrow;

typedef struct session_hit {
    size_t off;                 /* in agg_op.sess (the key bytes) */
    size_t len;
    entry *e;
} session_hit;

typedef struct agg_op {
    sl_operator op;
    sl_aggregate_spec sp;
    sl_window_spec win;
    char *name;
    sl_store *st;               /* group (window) -> entry */
    sl_store *rows;             /* table_in: input key -> prevrow */
    sl_encoder *kenc;
    sl_decoder *kdec;
    sl_encoder *penc;           /* table_in: pre values */
    sl_decoder *pdec;
    sl_column *pre_cols;
    sl_buf kbuf, wkbuf, okbuf, pbuf, meta, sess;
    sl_log_txn *txn;
    int64_t stream_time;
    bool have_time;
    sl_buf pend;                /* pending keys: 4-byte length, then the bytes */
    int npend;
    sl_brow *outrows;
    int nrows, caprows;
    sl_value *args;
    int maxargs;
    int64_t *starts;
    int maxstarts;
    session_hit *hits;
    int nhits, caphits;
    sl_session_win *wins;
    int *removed;
    sl_record synth;            /* the "record" of rows produced by flush */
    size_t suffix;              /* window suffix of store keys: 0, 8 or 16 */
    sl_store *exp;              /* windowed, materialized: rows to delete from the
                                   materialization when retention expires their window */
    uint64_t *dbase;            /* nagg: sl_agg_state_dropped before an update */
    char *mat_prefix;           /* our copy of sp.mat_prefix (the caller's may not last) */
    /* counters: this batch's, the last flushed batch's (taken back when its
     * transaction aborts), and the totals DESCRIBE shows (read by other threads) */
    uint64_t batch_late_windows, batch_dropped, last_late_windows, last_dropped;
    _Atomic uint64_t late_windows, dropped;
} agg_op;

/* ---- entries and their codec ---- */

static entry *entry_new(const agg_op *a)
{
    entry *e = calloc(1, sizeof *e + (size_t)a->sp.nagg * sizeof(sl_agg_state *));
    if (!e)
        return NULL;
    e->ts = INT64_MIN;
    e->nagg = a->sp.nagg;
    for (int i = 0; i < a->sp.nagg; i++)
        if (!(e->st[i] = sl_agg_state_new(a->sp.aggs[i]))) {
            for (int j = 0; j < i; j++)
                sl_agg_state_free(e->st[j]);
            free(e);
            return NULL;
        }
    return e;
}

static void entry_free(void *ud, void *obj)
{
    (void)ud;
    entry *e = obj;
    if (!e)
        return;
    for (int i = 0; i < e->nagg; i++)
        sl_agg_state_free(e->st[i]);
    free(e);
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_u32(sl_buf *b, uint32_t v)
{
    char q[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
    sl_buf_append(b, q, 4);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* version 1: ts (8, BE), count (4), then per aggregate: length (4), bytes */
static void entry_encode(void *ud, const void *obj, sl_buf *out)
{
    const agg_op *a = ud;
    const entry *e = obj;
    unsigned char h[13];
    h[0] = 1;
    put_be64(h + 1, (uint64_t)e->ts);
    sl_buf_append(out, (const char *)h, 9);
    put_u32(out, (uint32_t)e->nagg);
    for (int i = 0; i < e->nagg; i++) {
        size_t at = out->len;
        put_u32(out, 0);
        sl_agg_encode(a->sp.aggs[i], e->st[i], out);
        uint32_t n = (uint32_t)(out->len - at - 4);
        unsigned char *p = (unsigned char *)out->data + at;
        p[0] = (unsigned char)(n >> 24);
        p[1] = (unsigned char)(n >> 16);
        p[2] = (unsigned char)(n >> 8);
        p[3] = (unsigned char)n;
    }
}

static int entry_decode(void *ud, const void *bytes, size_t len, void **obj, sl_error *err)
{
    const agg_op *a = ud;
    const unsigned char *p = bytes, *end = p + len;
    if (len < 13 || p[0] != 1 || (int)get_u32(p + 9) != a->sp.nagg)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "aggregate state of %zu bytes is not this query's", len);
    entry *e = calloc(1, sizeof *e + (size_t)a->sp.nagg * sizeof(sl_agg_state *));
    if (!e)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    e->ts = (int64_t)get_be64(p + 1);
    e->nagg = a->sp.nagg;
    p += 13;
    for (int i = 0; i < a->sp.nagg; i++) {
        if (end - p < 4 || (size_t)(end - p - 4) < get_u32(p)) {
            entry_free(NULL, e);
            return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "aggregate state is truncated");
        }
        uint32_t n = get_u32(p);
        if (sl_agg_decode(a->sp.aggs[i], p + 4, n, &e->st[i], err)) {
            entry_free(NULL, e);
            return -1;
        }
        p += 4 + n;
    }
    *obj = e;
    return 0;
}

static size_t entry_size(void *ud, const void *obj)
{
    const agg_op *a = ud;
    const entry *e = obj;
    size_t n = sizeof *e + (size_t)e->nagg * sizeof(sl_agg_state *);
    for (int i = 0; i < e->nagg; i++)
        n += sl_agg_state_size(a->sp.aggs[i], e->st[i]);
    return n;
}

static int64_t key_time(void *ud, const void *key, size_t len)
{
    const agg_op *a = ud;
    if (len < a->suffix)
        return INT64_MIN;
    /* time windows: the start (last 8 bytes); sessions: the end (8 bytes before the start) */
    return (int64_t)get_be64((const unsigned char *)key + len - a->suffix);
}

static void prev_encode(void *ud, const void *obj, sl_buf *out)
{
    (void)ud;
    const prevrow *r = obj;
    sl_buf_append(out, (const char *)r->data, r->len);
}

static int prev_decode(void *ud, const void *bytes, size_t len, void **obj, sl_error *err)
{
    (void)ud;
    prevrow *r = malloc(sizeof *r + len + 1);
    if (!r)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    r->len = len;
    memcpy(r->data, bytes, len);
    *obj = r;
    return 0;
}

static void prev_free(void *ud, void *obj)
{
    (void)ud;
    free(obj);
}

static size_t prev_size(void *ud, const void *obj)
{
    (void)ud;
    return sizeof(prevrow) + ((const prevrow *)obj)->len;
}

/*
 * The expiry store ("<name>/exp") holds no state, only keys: the windowed
 * keys whose row is in the sink's materialization but no longer in "agg"
 * (EMIT FINAL forgets a window once its final row is out) or was written
 * there after its window expired (a row produced by the flush that expires
 * it reaches the sink after the deletion). Its time index says when
 * retention expires each; flush then deletes the materialized row.
 */
static const unsigned char exp_mark = 1;

static void exp_encode(void *ud, const void *obj, sl_buf *out)
{
    (void)ud;
    (void)obj;
    sl_buf_append(out, (const char *)&exp_mark, 1);
}

static int exp_decode(void *ud, const void *bytes, size_t len, void **obj, sl_error *err)
{
    (void)ud;
    (void)bytes;
    (void)len;
    (void)err;
    *obj = (void *)&exp_mark;
    return 0;
}

static void exp_free(void *ud, void *obj)
{
    (void)ud;
    (void)obj;
}

static size_t exp_size(void *ud, const void *obj)
{
    (void)ud;
    (void)obj;
    return 1;
}

/* ---- rows out ---- */

static sl_brow *new_row(agg_op *a, sl_batch *b)
{
    if (a->nrows == a->caprows) {
        int ncap = a->caprows ? a->caprows * 2 : 64;
        a->outrows = sl_arena_realloc(b->arena, a->outrows, (size_t)a->caprows * sizeof *a->outrows,
                                      (size_t)ncap * sizeof *a->outrows);
        a->caprows = ncap;
    }
    sl_brow *r = &a->outrows[a->nrows++];
    memset(r, 0, sizeof *r);
    return r;
}

/*
 * Produces the row of a group: gvals its GROUP BY values, e its entry
 * (NULL with tomb: a deletion), the window when windowed. rec: the record
 * that caused it (reported if the row fails).
 */
static void emit(agg_op *a, sl_batch *b, const sl_value *gvals, const entry *e, bool windowed,
                 int64_t ws, int64_t we, bool tomb, int64_t ts, const sl_record *rec)
{
    const sl_aggregate_spec *sp = &a->sp;
    int ng = sp->ngroup, na = sp->nagg;
    sl_value *av = sl_arena_zalloc(b->arena, (size_t)(ng + na + 1) * sizeof *av);
    memcpy(av, gvals, (size_t)ng * sizeof *av);
    char msg[600];
    sl_error err;
    if (!tomb && e)
        for (int i = 0; i < na; i++)
            if (sl_agg_result(sp->aggs[i], e->st[i], b->arena, &av[ng + i], &err)) {
                snprintf(msg, sizeof msg, "error computing %s: %s", sl_agg_name(sp->aggs[i]),
                         err.msg);
                sl_batch_fail_record(b, rec, SL_FAIL_EVALUATION, msg);
                return;
            }
    int idx = a->nrows;
    sl_brow *r = new_row(a, b);
    r->in.cols = av;
    r->in.ncols = ng + na;
    r->in.rowtime = e && e->ts != INT64_MIN ? e->ts : ts;
    r->in.partition = sp->partition;
    r->in.offset = rec ? rec->offset : -1;
    r->in.windowed = windowed;
    r->in.window_start = ws;
    r->in.window_end = we;
    r->rec = rec;
    r->out = sl_arena_zalloc(b->arena, (size_t)(sp->nout ? sp->nout : 1) * sizeof *r->out);
    sl_evalctx cx = {0};
    cx.arena = b->arena;
    cx.slots = b->slots;
    cx.nslots = b->nslots;
    cx.row = &r->in;
    if (!tomb && sp->having) {
        sl_value hv;
        if (sl_cexpr_eval(sp->having, &cx, &hv)) {
            snprintf(msg, sizeof msg, "error evaluating HAVING: %s", cx.err.msg);
            a->nrows = idx;
            sl_batch_fail_record(b, rec, SL_FAIL_EVALUATION, msg);
            return;
        }
        if (!(hv.kind == SL_BOOLEAN && hv.u.b))
            tomb = true;
    }
    r->tombstone = tomb;
    int end = tomb ? sp->nkey : sp->nout;
    for (int c = 0; c < end; c++)
        if (sl_cexpr_eval(sp->out_expr[c], &cx, &r->out[c])) {
            snprintf(msg, sizeof msg, "error evaluating output column %d: %s", c + 1,
                     cx.err.msg);
            a->nrows = idx;
            sl_batch_fail_record(b, rec, SL_FAIL_EVALUATION, msg);
            return;
        }
}

/* The GROUP BY values of a store key (windowed keys: the window too). */
static int key_values(agg_op *a, sl_batch *b, const void *key, size_t len, sl_value **vals,
                      int64_t *ws, int64_t *we, sl_error *err)
{
    size_t glen = len >= a->suffix ? len - a->suffix : 0;
    const unsigned char *k = key;
    *ws = *we = 0;
    if (a->win.kind == SL_WIN_SESSION && len >= 16) {
        *we = (int64_t)get_be64(k + glen);
        *ws = (int64_t)get_be64(k + glen + 8);
    } else if (a->suffix == 8 && len >= 8) {
        *ws = (int64_t)get_be64(k + glen);
        *we = sl_window_end(&a->win, *ws);
    }
    *vals = sl_arena_zalloc(b->arena, (size_t)(a->sp.ngroup + 1) * sizeof **vals);
    return sl_decode(a->kdec, key, glen, b->arena, *vals, err);
}

/* ---- updating ---- */

static const sl_value *call_args(agg_op *a, sl_batch *b, const sl_value *pre, int i,
                                 sl_error *err)
{
    const sl_aggregate_spec *sp = &a->sp;
    int n = sp->agg_nargs[i], at = sp->agg_arg0[i];
    bool any = false;
    for (int j = 0; j < n; j++)
        any |= sp->agg_cast[i][j];
    if (!any)
        return pre + at;
    for (int j = 0; j < n; j++) {
        const sl_value *v = &pre[at + j];
        if (sp->agg_cast[i][j] && v->kind != SL_NULL) {
            if (sl_value_cast(v, sp->pre_types[at + j], sp->agg_argtype[i][j], b->arena,
                              &a->args[j], err))
                return NULL;
        } else {
            a->args[j] = *v;
        }
    }
    return a->args;
}

/*
 * Writes a processing-log entry for a record that was processed, but not
 * entirely (a closed window skipped, a value past an aggregate's bound):
 * unlike sl_batch_fail_record it counts the record neither failed nor late.
 */
static void note(sl_batch *b, const sl_record *rec, sl_fail_kind kind, const char *message)
{
    if (b->fail && rec)
        b->fail(b->fail_ud, b, rec, kind, message);
}

/* n values of rec did not reach aggregate i (or, retract, could not leave
 * it) because of the aggregate's bound: counted and logged. */
static void report_dropped(agg_op *a, sl_batch *b, const sl_record *rec, int i, uint64_t n,
                           bool retract)
{
    const char *what;
    int64_t bound = sl_agg_bound(a->sp.aggs[i], &what);
    char msg[400];
    snprintf(msg, sizeof msg, "%s %s %llu value%s of this record: it keeps at most %lld %s",
             sl_agg_name(a->sp.aggs[i]), retract ? "could not retract" : "dropped",
             (unsigned long long)n, n == 1 ? "" : "s", (long long)bound, what);
    a->batch_dropped += n;
    note(b, rec, SL_FAIL_BOUND, msg);
}

/* Adds (or, retract, removes) one row's arguments to e; values an
 * aggregate drops past its bound are reported. -1 with a message in err. */
static int accumulate(agg_op *a, sl_batch *b, entry *e, const sl_value *pre,
                      const sl_record *rec, bool retract, sl_error *err)
{
    int64_t offset = rec ? rec->offset : 0;
    for (int i = 0; i < a->sp.nagg; i++) {
        const sl_value *args = call_args(a, b, pre, i, err);
        int n = a->sp.agg_nargs[i];
        uint64_t before = sl_agg_state_dropped(e->st[i]);
        if (!args || (retract ? sl_agg_retract(a->sp.aggs[i], e->st[i], args, n, err)
                              : sl_agg_add(a->sp.aggs[i], e->st[i], args, n, offset, err)))
            return -1;
        uint64_t after = sl_agg_state_dropped(e->st[i]);
        if (after > before)
            report_dropped(a, b, rec, i, after - before, retract);
    }
    return 0;
}

static int encode_group(agg_op *a, const sl_value *gvals, sl_buf *out, sl_error *err)
{
    sl_buf_reset(out);
    return sl_encode(a->kenc, gvals, out, err);
}

static bool any_null(const sl_value *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i].kind == SL_NULL)
            return true;
    return false;
}

static void queue(agg_op *a, entry *e, const void *key, size_t len)
{
    if (e->pending)
        return;
    e->pending = true;
    put_u32(&a->pend, (uint32_t)len);
    sl_buf_append(&a->pend, key, len);
    a->npend++;
}

/*
 * One update of the entry at key (made when absent): the row's arguments
 * added (or retracted), then produced now or queued. 1 done, 0 the row
 * failed (reported), -1 fatal.
 */
static int update(agg_op *a, sl_batch *b, const sl_brow *r, const sl_value *pre,
                  const void *key, size_t len, bool windowed, int64_t ws, int64_t we,
                  bool retract, bool produce_now, sl_error *err)
{
    void *obj = NULL;
    if (sl_store_get(a->st, key, len, &obj, err))
        return -1;
    entry *e = obj;
    if (!e && !(e = entry_new(a)))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    sl_error rerr;
    if (accumulate(a, b, e, pre, r->rec, retract, &rerr)) {
        char msg[600];
        snprintf(msg, sizeof msg, "error aggregating: %s", rerr.msg);
        sl_batch_fail_record(b, r->rec, SL_FAIL_EVALUATION, msg);
        if (!obj)
            entry_free(NULL, e);
        return 0;
    }
    if (r->in.rowtime > e->ts)
        e->ts = r->in.rowtime;
    if (sl_store_put(a->st, key, len, e, err))
        return -1;
    if (a->sp.emit_final)
        return 1;               /* the row goes out when its window closes */
    if (produce_now)
        emit(a, b, pre, e, windowed, ws, we, false, r->in.rowtime, r->rec);
    else
        queue(a, e, key, len);
    return 1;
}

static int on_session(void *ud, const void *key, size_t len, void *obj, sl_error *err)
{
    agg_op *a = ud;
    (void)err;
    if (len != a->kbuf.len + 16)
        return 0;               /* a longer group key that starts with this one */
    if (a->nhits == a->caphits) {
        int ncap = a->caphits ? a->caphits * 2 : 8;
        session_hit *h = realloc(a->hits, (size_t)ncap * sizeof *h);
        if (!h)
            return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        a->hits = h;
        a->caphits = ncap;
    }
    a->hits[a->nhits].off = a->sess.len;
    a->hits[a->nhits].len = len;
    a->hits[a->nhits].e = obj;
    a->nhits++;
    sl_buf_append(&a->sess, key, len);
    return 0;
}

static int session_row(agg_op *a, sl_batch *b, const sl_brow *r, const sl_value *pre,
                       sl_error *err)
{
    int64_t ts = r->in.rowtime;
    a->nhits = 0;
    sl_buf_reset(&a->sess);
    if (sl_store_scan_prefix(a->st, a->kbuf.data, a->kbuf.len, on_session, a, err) < 0)
        return -1;
    a->wins = realloc(a->wins, (size_t)(a->nhits + 1) * sizeof *a->wins);
    a->removed = realloc(a->removed, (size_t)(a->nhits + 1) * sizeof *a->removed);
    if (!a->wins || !a->removed)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    for (int i = 0; i < a->nhits; i++) {
        const unsigned char *k = (const unsigned char *)a->sess.data + a->hits[i].off;
        size_t glen = a->hits[i].len - 16;
        a->wins[i].end = (int64_t)get_be64(k + glen);
        a->wins[i].start = (int64_t)get_be64(k + glen + 8);
    }
    sl_session_win merged;
    int nremoved = 0;
    if (sl_session_merge(&a->win, a->wins, a->nhits, ts, &merged, a->removed, &nremoved))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "session merge failed");
    if (sl_window_closed(&a->win, merged.end, a->stream_time)) {
        sl_batch_late(b, r->rec, "the record's session window has closed: dropped");
        return 0;
    }
    entry *ne = entry_new(a);
    if (!ne)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    for (int i = 0; i < a->sp.nagg; i++)
        a->dbase[i] = 0;
    for (int k = 0; k < nremoved; k++) {
        const entry *old = a->hits[a->removed[k]].e;
        for (int i = 0; i < a->sp.nagg; i++) {
            a->dbase[i] += sl_agg_state_dropped(old->st[i]);
            if (sl_agg_merge(a->sp.aggs[i], ne->st[i], old->st[i], err)) {
                entry_free(NULL, ne);
                return -1;
            }
        }
        if (old->ts > ne->ts)
            ne->ts = old->ts;
    }
    /* values the merged session cannot hold (bounds of the sessions' sum) */
    for (int i = 0; i < a->sp.nagg; i++)
        if (sl_agg_state_dropped(ne->st[i]) > a->dbase[i])
            report_dropped(a, b, r->rec, i, sl_agg_state_dropped(ne->st[i]) - a->dbase[i],
                           false);
    sl_error rerr;
    if (accumulate(a, b, ne, pre, r->rec, false, &rerr)) {
        char msg[600];
        snprintf(msg, sizeof msg, "error aggregating: %s", rerr.msg);
        sl_batch_fail_record(b, r->rec, SL_FAIL_EVALUATION, msg);
        entry_free(NULL, ne);
        return 0;
    }
    if (ts > ne->ts)
        ne->ts = ts;
    /* the merged-away sessions leave the result, then the merged one enters */
    for (int k = 0; k < nremoved; k++) {
        const session_hit *h = &a->hits[a->removed[k]];
        const sl_session_win *w = &a->wins[a->removed[k]];
        if (!a->sp.emit_final)   /* stamped with its end, as Kafka Streams does */
            emit(a, b, pre, NULL, true, w->start, w->end, true, w->end, r->rec);
        if (sl_store_delete(a->st, a->sess.data + h->off, h->len, err))
            return -1;
    }
    sl_buf_reset(&a->wkbuf);
    sl_windowed_key_encode(&a->wkbuf, SL_WIN_SESSION, a->kbuf.data, a->kbuf.len, merged.start,
                           merged.end);
    if (sl_store_put(a->st, a->wkbuf.data, a->wkbuf.len, ne, err))
        return -1;
    if (!a->sp.emit_final)
        emit(a, b, pre, ne, true, merged.start, merged.end, false, ts, r->rec);
    return 0;
}

/* A TABLE input row: retract the key's old row, add the new one. */
static int table_row(agg_op *a, sl_batch *b, const sl_brow *r, const sl_value *pre,
                     sl_error *err)
{
    const sl_record *rec = r->rec;
    if (!rec || rec->key_len < 0) {
        sl_batch_fail_record(b, rec, SL_FAIL_KEY, "a table row without a key: dropped");
        return 0;
    }
    const void *rk = rec->key_len ? rec->key : "";
    size_t rklen = (size_t)rec->key_len;
    void *obj = NULL;
    if (sl_store_get(a->rows, rk, rklen, &obj, err))
        return -1;
    int ng = a->sp.ngroup;
    bool now = a->sp.cache_off;
    sl_buf oldkey = SL_BUF_INIT;
    if (obj) {
        const prevrow *pr = obj;
        sl_value *ov = sl_arena_zalloc(b->arena, (size_t)(a->sp.npre + 1) * sizeof *ov);
        if (sl_decode(a->pdec, pr->data, pr->len, b->arena, ov, err))
            return -1;
        if (encode_group(a, ov, &a->okbuf, err))
            return -1;
        /* the retraction is a change of its own, also when the group stays (ksqlDB) */
        sl_buf_append(&oldkey, a->okbuf.data, a->okbuf.len);
        int rc = update(a, b, r, ov, oldkey.data, oldkey.len, false, 0, 0, true, now, err);
        if (rc < 0) {
            sl_buf_fini(&oldkey);
            return -1;
        }
    }
    sl_buf_fini(&oldkey);
    if (r->tombstone)
        return sl_store_delete(a->rows, rk, rklen, err);
    if (any_null(pre, ng)) {
        sl_batch_fail_record(b, rec, SL_FAIL_KEY,
                             "a GROUP BY expression is NULL: the row is left out");
        return sl_store_delete(a->rows, rk, rklen, err);
    }
    sl_error e2;
    if (encode_group(a, pre, &a->kbuf, &e2)) {
        char msg[600];
        snprintf(msg, sizeof msg, "failed to serialize the GROUP BY key: %s", e2.msg);
        sl_batch_fail_record(b, rec, SL_FAIL_SERIALIZATION, msg);
        return sl_store_delete(a->rows, rk, rklen, err);
    }
    if (update(a, b, r, pre, a->kbuf.data, a->kbuf.len, false, 0, 0, false, now, err) < 0)
        return -1;
    sl_buf_reset(&a->pbuf);
    if (sl_encode(a->penc, pre, &a->pbuf, &e2))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "cannot keep a table row: %s", e2.msg);
    prevrow *nr = malloc(sizeof *nr + a->pbuf.len + 1);
    if (!nr)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    nr->len = a->pbuf.len;
    memcpy(nr->data, a->pbuf.data, a->pbuf.len);
    return sl_store_put(a->rows, rk, rklen, nr, err);
}

/* A repartitioned TABLE change: stage 1 dropped NULL groups and sends a
 * retraction (tombstone) only for a row it added before, in order. */
static int retract_in_row(agg_op *a, sl_batch *b, const sl_brow *r, const sl_value *pre,
                          sl_error *err)
{
    sl_error e2;
    if (encode_group(a, pre, &a->kbuf, &e2)) {
        char msg[600];
        snprintf(msg, sizeof msg, "failed to serialize the GROUP BY key: %s", e2.msg);
        sl_batch_fail_record(b, r->rec, SL_FAIL_SERIALIZATION, msg);
        return 0;
    }
    return update(a, b, r, pre, a->kbuf.data, a->kbuf.len, false, 0, 0, r->tombstone,
                  a->sp.cache_off, err) < 0 ? -1 : 0;
}

/* A record added to its open hopping windows only: the closed ones are
 * skipped, counted (as Kafka Streams counts each skipped window) and logged. */
static void partly_late(agg_op *a, sl_batch *b, const sl_record *rec, int closed, int n,
                        int64_t first_open)
{
    char msg[300];
    snprintf(msg, sizeof msg,
             "%d of the record's %d windows had closed: skipped them; the record went to the "
             "open ones, the earliest starting at %lld",
             closed, n, (long long)first_open);
    a->batch_late_windows += (uint64_t)closed;
    note(b, rec, SL_FAIL_LATE, msg);
}

static int agg_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    agg_op *a = (agg_op *)op;
    const sl_aggregate_spec *sp = &a->sp;
    a->outrows = NULL;
    a->nrows = a->caprows = 0;
    a->last_late_windows = a->last_dropped = 0;
    bool now = sp->cache_off || a->win.kind == SL_WIN_SESSION;
    for (int i = 0; i < b->n; i++) {
        const sl_brow *r = &b->rows[i];
        const sl_value *pre = r->out;
        if (sp->table_in) {
            if (table_row(a, b, r, pre, err))
                return -1;
            continue;
        }
        if (sp->retract_in) {
            if (retract_in_row(a, b, r, pre, err))
                return -1;
            continue;
        }
        if (any_null(pre, sp->ngroup)) {
            sl_batch_fail_record(b, r->rec, SL_FAIL_KEY,
                                 "a GROUP BY expression is NULL: the record is dropped");
            continue;
        }
        sl_error e2;
        if (encode_group(a, pre, &a->kbuf, &e2)) {
            char msg[600];
            snprintf(msg, sizeof msg, "failed to serialize the GROUP BY key: %s", e2.msg);
            sl_batch_fail_record(b, r->rec, SL_FAIL_SERIALIZATION, msg);
            continue;
        }
        int64_t ts = r->in.rowtime;
        if (!a->have_time || ts > a->stream_time) {
            a->stream_time = ts;
            a->have_time = true;
        }
        if (a->win.kind == SL_WIN_NONE) {
            if (update(a, b, r, pre, a->kbuf.data, a->kbuf.len, false, 0, 0, false, now, err) < 0)
                return -1;
            continue;
        }
        if (a->win.kind == SL_WIN_SESSION) {
            if (session_row(a, b, r, pre, err))
                return -1;
            continue;
        }
        int n = sl_window_assign(&a->win, ts, a->starts, a->maxstarts);
        if (n > a->maxstarts)
            n = a->maxstarts;
        int open = 0, closed = 0;
        int64_t first_open = 0;
        for (int w = 0; w < n; w++) {
            int64_t start = a->starts[w], end = sl_window_end(&a->win, start);
            if (sl_window_closed(&a->win, end, a->stream_time)) {
                closed++;
                continue;
            }
            if (open++ == 0)
                first_open = start;
            sl_buf_reset(&a->wkbuf);
            sl_windowed_key_encode(&a->wkbuf, a->win.kind, a->kbuf.data, a->kbuf.len, start, end);
            if (update(a, b, r, pre, a->wkbuf.data, a->wkbuf.len, true, start, end, false, now,
                       err) < 0)
                return -1;
        }
        if (open == 0)
            sl_batch_late(b, r->rec, n ? "the record's windows have closed: dropped"
                                       : "the record's timestamp is in no window: dropped");
        else if (closed > 0)
            partly_late(a, b, r->rec, closed, n, first_open);
    }
    b->rows = a->outrows;
    b->n = a->nrows;
    return 0;
}

/* ---- flush: queued rows, closed and expired windows, the store ---- */

typedef struct visit {
    agg_op *a;
    sl_batch *b;
    bool final;                 /* produce the row (EMIT FINAL), else expire */
} visit;

/* Deletes key's row from the sink's materialization (pull queries). */
static int delete_mat(agg_op *a, const void *key, size_t len, sl_error *err)
{
    if (!a->txn || !a->sp.mat_space)
        return 0;
    sl_buf_reset(&a->okbuf);
    sl_buf_append(&a->okbuf, a->sp.mat_prefix, a->sp.mat_prefix_len);
    sl_buf_append(&a->okbuf, key, len);
    return sl_log_txn_put_raw(a->txn, a->sp.mat_space, a->okbuf.data, a->okbuf.len, NULL, 0,
                              err);
}

/* Marks key's materialized row for deletion once retention expires its window. */
static int mark_expiry(agg_op *a, const void *key, size_t len, sl_error *err)
{
    return a->exp ? sl_store_put(a->exp, key, len, (void *)&exp_mark, err) : 0;
}

static int on_window(void *ud, const void *key, size_t len, int64_t time, sl_error *err)
{
    visit *v = ud;
    agg_op *a = v->a;
    (void)time;
    if (v->final) {
        void *obj = NULL;
        if (sl_store_get(a->st, key, len, &obj, err))
            return -1;
        if (obj) {
            sl_value *gv;
            int64_t ws, we;
            if (key_values(a, v->b, key, len, &gv, &ws, &we, err))
                return -1;
            int before = a->nrows;
            emit(a, v->b, gv, obj, true, ws, we, false, ((entry *)obj)->ts, &a->synth);
            if (sl_window_expired(&a->win, ws, we, a->stream_time)) {
                /* closed and expired at once (RETENTION = SIZE + GRACE, the
                 * default): a pull query would never see the row, so it is
                 * not kept, which spares a put and a delete per window */
                if (a->nrows > before)
                    a->outrows[a->nrows - 1].unkept = true;
            } else if (mark_expiry(a, key, len, err)) {
                /* the row outlives the state: it goes when retention expires the window */
                return -1;
            }
        }
    } else if (delete_mat(a, key, len, err)) {
        return -1;
    }
    return sl_store_delete(a->st, key, len, err);
}

static int on_expired(void *ud, const void *key, size_t len, int64_t time, sl_error *err)
{
    agg_op *a = ud;
    (void)time;
    if (delete_mat(a, key, len, err))
        return -1;
    return sl_store_delete(a->exp, key, len, err);
}

/* The first time (window start, session end) still retained at stream time st. */
static int64_t retained_from(const sl_window_spec *w, int64_t st)
{
    __int128 t = (__int128)st - w->retention + 1;
    return t < INT64_MIN ? INT64_MIN : t > INT64_MAX ? INT64_MAX : (int64_t)t;
}

static int agg_flush(sl_operator *op, sl_batch *b, sl_error *err)
{
    agg_op *a = (agg_op *)op;
    a->outrows = NULL;
    a->nrows = a->caprows = 0;
    a->last_late_windows = a->last_dropped = 0;
    /* materialized rows of expired windows marked by earlier flushes (first:
     * the marks this flush makes are for rows the sink has yet to write) */
    if (a->exp && a->have_time) {
        int64_t before = retained_from(&a->win, a->stream_time);
        if (sl_store_min_time(a->exp) < before &&
            sl_store_scan_time(a->exp, before, on_expired, a, err) < 0)
            return -1;
    }
    /* groups updated in this batch, once each */
    const unsigned char *p = (const unsigned char *)a->pend.data;
    for (int i = 0; i < a->npend; i++) {
        uint32_t len = get_u32(p);
        const unsigned char *key = p + 4;
        p += 4 + len;
        void *obj = NULL;
        if (sl_store_get(a->st, key, len, &obj, err))
            return -1;
        entry *e = obj;
        if (!e)
            continue;
        e->pending = false;
        sl_value *gv;
        int64_t ws, we;
        if (key_values(a, b, key, len, &gv, &ws, &we, err))
            return -1;
        emit(a, b, gv, e, a->win.kind != SL_WIN_NONE, ws, we, false, e->ts, &a->synth);
        /* expired by a later record of this batch: below, before the sink writes this row */
        if (a->exp && sl_window_expired(&a->win, ws, we, a->stream_time) &&
            mark_expiry(a, key, len, err))
            return -1;
    }
    sl_buf_reset(&a->pend);
    a->npend = 0;
    /* windows closed (EMIT FINAL) or expired */
    if (a->win.kind != SL_WIN_NONE && a->have_time) {
        visit v = {a, b, a->sp.emit_final};
        const sl_window_spec *w = &a->win;
        int64_t st = a->stream_time, before;
        if (v.final) {
            /* time windows: start + size + grace <= st; sessions: end + gap + grace < st */
            __int128 t = w->kind == SL_WIN_SESSION ? (__int128)st - w->size - w->grace
                                                   : (__int128)st - w->size - w->grace + 1;
            before = t < INT64_MIN ? INT64_MIN : t > INT64_MAX ? INT64_MAX : (int64_t)t;
        } else {
            /* start (sessions: end) + retention <= st */
            before = retained_from(w, st);
        }
        if (sl_store_min_time(a->st) < before &&
            sl_store_scan_time(a->st, before, on_window, &v, err) < 0)
            return -1;
    }
    if (a->txn) {
        if (sl_store_flush(a->st, a->txn, err) ||
            (a->rows && sl_store_flush(a->rows, a->txn, err)) ||
            (a->exp && sl_store_flush(a->exp, a->txn, err)))
            return -1;
        if (a->have_time) {
            unsigned char v[8];
            put_be64(v, (uint64_t)a->stream_time);
            if (sl_log_txn_put_raw(a->txn, META_SPACE, a->meta.data, a->meta.len, v, 8, err))
                return -1;
        }
    }
    /* counted once the batch is done (sl_op_aggregate_discard takes them back) */
    atomic_fetch_add_explicit(&a->late_windows, a->batch_late_windows, memory_order_relaxed);
    atomic_fetch_add_explicit(&a->dropped, a->batch_dropped, memory_order_relaxed);
    a->last_late_windows = a->batch_late_windows;
    a->last_dropped = a->batch_dropped;
    a->batch_late_windows = a->batch_dropped = 0;
    b->rows = a->outrows;
    b->n = a->nrows;
    return 0;
}

static void agg_close(sl_operator *op)
{
    agg_op *a = (agg_op *)op;
    sl_store_close(a->st);
    sl_store_close(a->rows);
    sl_store_close(a->exp);
    free(a->dbase);
    free(a->mat_prefix);
    sl_encoder_free(a->kenc);
    sl_decoder_free(a->kdec);
    sl_encoder_free(a->penc);
    sl_decoder_free(a->pdec);
    free(a->pre_cols);
    sl_buf_fini(&a->kbuf);
    sl_buf_fini(&a->wkbuf);
    sl_buf_fini(&a->okbuf);
    sl_buf_fini(&a->pbuf);
    sl_buf_fini(&a->meta);
    sl_buf_fini(&a->sess);
    sl_buf_fini(&a->pend);
    free(a->args);
    free(a->starts);
    free(a->hits);
    free(a->wins);
    free(a->removed);
    free(a->name);
    free(a);
}

static const sl_op_vtab agg_vtab = {"AGGREGATE", agg_push, agg_flush, agg_close};

/* The stream time committed with the last flush. */
static int load_time(agg_op *a, sl_error *err)
{
    sl_arena *tmp = sl_arena_new(0);
    const void *v;
    size_t vl;
    int rc = sl_log_get_raw(a->sp.log, META_SPACE, a->meta.data, a->meta.len, tmp, &v, &vl, err);
    if (rc == 1 && vl == 8) {
        a->stream_time = (int64_t)get_be64(v);
        a->have_time = true;
    }
    sl_arena_free(tmp);
    return rc < 0 ? -1 : 0;
}

sl_operator *sl_op_aggregate_new(const sl_aggregate_spec *spec, sl_error *err)
{
    agg_op *a = calloc(1, sizeof *a);
    if (!a) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    a->op.vt = &agg_vtab;
    a->sp = *spec;
    a->win.kind = SL_WIN_NONE;
    if (spec->win)
        a->win = *spec->win;
    a->suffix = a->win.kind == SL_WIN_SESSION ? 16 : a->win.kind != SL_WIN_NONE ? 8 : 0;
    a->stream_time = INT64_MIN;
    a->synth.key_len = a->synth.value_len = -1;
    a->synth.partition = spec->partition;
    a->synth.offset = -1;
    sl_buf_init(&a->kbuf);
    sl_buf_init(&a->wkbuf);
    sl_buf_init(&a->okbuf);
    sl_buf_init(&a->pbuf);
    sl_buf_init(&a->meta);
    sl_buf_init(&a->sess);
    sl_buf_init(&a->pend);
    a->name = strdup(spec->store_name ? spec->store_name : "query");
    for (int i = 0; i < spec->nagg; i++)
        if (spec->agg_nargs[i] > a->maxargs)
            a->maxargs = spec->agg_nargs[i];
    a->args = calloc((size_t)a->maxargs + 1, sizeof *a->args);
    a->dbase = calloc((size_t)spec->nagg + 1, sizeof *a->dbase);
    if (spec->mat_space) {
        a->mat_prefix = malloc(spec->mat_prefix_len + 1);
        if (!a->mat_prefix) {
            sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
            goto fail;
        }
        memcpy(a->mat_prefix, spec->mat_prefix, spec->mat_prefix_len);
        a->sp.mat_prefix = a->mat_prefix;
    }
    a->maxstarts = a->win.kind == SL_WIN_NONE ? 1 : sl_window_max_per_record(&a->win);
    if (a->maxstarts < 1)
        a->maxstarts = 1;
    a->starts = calloc((size_t)a->maxstarts, sizeof *a->starts);
    if (!a->name || !a->args || !a->starts || !a->dbase) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        goto fail;
    }
    sl_format_opts ko = spec->key_opts;
    ko.borrow_input = false;
    ko.is_key = true;
    if (!(a->kenc = sl_encoder_new(&ko, spec->group_cols, spec->ngroup, err)) ||
        !(a->kdec = sl_decoder_new(&ko, spec->group_cols, spec->ngroup, NULL, err)))
        goto fail;

    size_t cache = spec->cache_bytes ? spec->cache_bytes : DEFAULT_CACHE_BYTES;
    /* sessions look up every session of a group per record: from memory */
    sl_store_opts so = {cache, a->win.kind == SL_WIN_SESSION};
    sl_store_codec codec = {entry_encode, entry_decode, entry_free, entry_size,
                            a->win.kind != SL_WIN_NONE ? key_time : NULL, a};
    sl_buf nb = SL_BUF_INIT;
    sl_buf_printf(&nb, "%s/agg", a->name);
    a->st = sl_store_open(spec->log, sl_buf_cstr(&nb), spec->partition, &codec, &so, err);
    if (a->st && spec->table_in) {
        a->pre_cols = calloc((size_t)spec->npre + 1, sizeof *a->pre_cols);
        for (int i = 0; a->pre_cols && i < spec->npre; i++) {
            static const char *const fixed[] = {"P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7",
                                                "P8", "P9", "P10", "P11", "P12", "P13", "P14", "P15"};
            a->pre_cols[i].name = i < 16 ? fixed[i] : "PN";
            a->pre_cols[i].type = spec->pre_types[i];
            a->pre_cols[i].kind = SL_COLK_VALUE;
        }
        sl_format_opts po = {0};
        po.kind = SL_FMT_JSON;
        po.wrap_single_value = SL_WRAP_DEFAULT;    /* an object, whatever the count */
        if (spec->npre > 16) {
            sl_error_set(err, SL_ERR_UNSUPPORTED, SL_NOSPAN,
                         "aggregating a table with more than 16 GROUP BY values and "
                         "arguments is not supported");
        } else if (a->pre_cols && (a->penc = sl_encoder_new(&po, a->pre_cols, spec->npre, err)) &&
                   (a->pdec = sl_decoder_new(&po, a->pre_cols, spec->npre, NULL, err))) {
            sl_store_codec pc = {prev_encode, prev_decode, prev_free, prev_size, NULL, a};
            sl_buf_reset(&nb);
            sl_buf_printf(&nb, "%s/rows", a->name);
            a->rows = sl_store_open(spec->log, sl_buf_cstr(&nb), spec->partition, &pc, &so, err);
        }
        if (!a->rows) {
            sl_buf_fini(&nb);
            goto fail;
        }
    }
    if (a->st && spec->mat_space && a->win.kind != SL_WIN_NONE) {
        sl_store_codec ec = {exp_encode, exp_decode, exp_free, exp_size, key_time, a};
        sl_store_opts eo = {0};    /* keys only: nothing worth caching */
        sl_buf_reset(&nb);
        sl_buf_printf(&nb, "%s/exp", a->name);
        if (!(a->exp = sl_store_open(spec->log, sl_buf_cstr(&nb), spec->partition, &ec, &eo,
                                     err))) {
            sl_buf_fini(&nb);
            goto fail;
        }
    }
    sl_buf_fini(&nb);
    if (!a->st)
        goto fail;
    sl_buf_puts(&a->meta, a->name);
    sl_buf_putc(&a->meta, 0);
    unsigned char pb[4] = {(unsigned char)(spec->partition >> 24),
                           (unsigned char)(spec->partition >> 16),
                           (unsigned char)(spec->partition >> 8), (unsigned char)spec->partition};
    sl_buf_append(&a->meta, (const char *)pb, 4);
    if (load_time(a, err))
        goto fail;
    return &a->op;
fail:
    agg_close(&a->op);
    return NULL;
}

void sl_op_aggregate_set_txn(sl_operator *op, sl_log_txn *txn)
{
    ((agg_op *)op)->txn = txn;
}

int sl_op_aggregate_discard(sl_operator *op, sl_error *err)
{
    agg_op *a = (agg_op *)op;
    sl_buf_reset(&a->pend);
    a->npend = 0;
    a->have_time = false;
    a->stream_time = INT64_MIN;
    atomic_fetch_sub_explicit(&a->late_windows, a->last_late_windows, memory_order_relaxed);
    atomic_fetch_sub_explicit(&a->dropped, a->last_dropped, memory_order_relaxed);
    a->last_late_windows = a->last_dropped = a->batch_late_windows = a->batch_dropped = 0;
    if (sl_store_discard(a->st, err) || (a->rows && sl_store_discard(a->rows, err)) ||
        (a->exp && sl_store_discard(a->exp, err)))
        return -1;
    return load_time(a, err);
}

bool sl_op_aggregate_advance(sl_operator *op, int64_t t)
{
    agg_op *a = (agg_op *)op;
    if (a->have_time && t <= a->stream_time)
        return false;
    a->stream_time = t;
    a->have_time = true;
    return true;
}

void sl_op_aggregate_stats(const sl_operator *op, sl_aggregate_stats *out)
{
    const agg_op *a = (const agg_op *)op;
    memset(out, 0, sizeof *out);
    out->stream_time = a->have_time ? a->stream_time : INT64_MIN;
    sl_store_stats s;
    sl_store_get_stats(a->st, &s);
    out->keys_cached = s.keys_cached;
    out->cache_bytes = s.cache_bytes;
    out->windows_indexed = s.index_keys;
    /* read by other threads while the task runs (C11 atomics take no const) */
    agg_op *m = (agg_op *)op;
    out->late_window_updates = atomic_load_explicit(&m->late_windows, memory_order_relaxed);
    out->values_dropped = atomic_load_explicit(&m->dropped, memory_order_relaxed);
    if (a->rows) {
        sl_store_get_stats(a->rows, &s);
        out->keys_cached += s.keys_cached;
        out->cache_bytes += s.cache_bytes;
    }
}

bool sl_op_aggregate_cache_full(const sl_operator *op)
{
    const agg_op *a = (const agg_op *)op;
    return sl_store_over_bound(a->st) || (a->rows && sl_store_over_bound(a->rows));
}
