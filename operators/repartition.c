/*
 * repartition.c: the two ends of a repartition topic (operator.h), which
 * splits an aggregation grouped by something other than its input key
 * into two stages when workers share the partitions (runtime.c).
 *
 * Does (out, the last operator of stage 1): for each row whose out[0..npre)
 * hold the GROUP BY values and the aggregate arguments (a project operator
 * computed them), appends one record to the repartition topic in the
 * task's transaction: key = the GROUP BY values in the aggregation's key
 * format (the bytes its state and output are keyed by, so the log's
 * default partitioner sends every record of a group to one partition),
 * value = a JSON object of every pre value and the row's event time,
 * timestamp = that event time too. A row with a NULL GROUP BY value, or
 * whose key cannot be encoded, is dropped and reported here, as the
 * aggregate would, so the processing log names the input record; so is one
 * whose record the log refuses (PRODUCTION: on Kafka, its timestamp).
 * A TABLE's rows (spec->table_in) change: out keeps each input key's last
 * row (store "<store_name>/rows" of the task's partition, flushed into the
 * transaction with every batch, so its changelog commits with the appends
 * and the positions) and writes for a change first a retraction of the old
 * row (value flag "R": true) keyed by the old group, then the new row keyed
 * by the new group: two records, maybe for two partitions; a tombstone, or
 * a row with a NULL GROUP BY value, only retracts.
 * Does (in, the first operator of stage 2): decodes such records back into
 * rows with out[0..npre) and the event time, for the aggregate operator; a
 * retraction becomes a row marked tombstone (aggregate.c's retract_in).
 * JSON carries every type exactly (DECIMAL by its digits, BYTES in
 * base64), as the aggregate's own table rows rely on.
 *
 * Does not: create the topic or choose partitions (the log does, by key),
 * evaluate expressions, commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../state/store.h"
#include "operator.h"

#define ROWS_CACHE_BYTES (64u << 20)     /* as the aggregate's default */

/* The value's columns: P0 .. P<npre-1>, the event time T, then R: true for
 * a retraction, NULL for an addition (also what records without it mean). */
enum { NAME_CAP = 16 };         /* "P" and any int, NUL included */
typedef struct pre_cols {
    sl_column *cols;            /* npre + 2 */
    char *names;                /* their names, NAME_CAP bytes each */
} pre_cols;

static int pre_cols_init(pre_cols *pc, int npre, const sl_type *const *pre_types, sl_error *err)
{
    pc->cols = calloc((size_t)npre + 2, sizeof *pc->cols);
    pc->names = calloc((size_t)npre + 2, NAME_CAP);
    if (!pc->cols || !pc->names)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    for (int i = 0; i <= npre + 1; i++) {
        char *name = pc->names + NAME_CAP * (size_t)i;
        if (i < npre)
            snprintf(name, NAME_CAP, "P%d", i);
        else
            snprintf(name, NAME_CAP, i == npre ? "T" : "R");
        pc->cols[i].name = name;
        pc->cols[i].type = i < npre    ? pre_types[i]
                           : i == npre ? sl_type_primitive(SL_BIGINT)
                                       : sl_type_primitive(SL_BOOLEAN);
        pc->cols[i].kind = SL_COLK_VALUE;
    }
    return 0;
}

static void pre_cols_fini(pre_cols *pc)
{
    free(pc->cols);
    free(pc->names);
}

static sl_format_opts value_opts(void)
{
    sl_format_opts o = {0};
    o.kind = SL_FMT_JSON;
    o.wrap_single_value = SL_WRAP_DEFAULT;      /* an object, whatever the count */
    return o;
}

/* ---- out: stage 1 ---- */

typedef struct rp_out {
    sl_operator op;
    char *topic;
    int ngroup, npre;
    pre_cols pc;
    sl_encoder *kenc, *venc;
    sl_decoder *vdec;           /* table: a kept row back into values */
    sl_buf kbuf, vbuf;
    sl_value *vals;             /* npre + 2: a row's pre values, event time, flag */
    sl_store *rows;             /* table: input key -> its last row (the value of its
                                   addition record) */
    sl_log_txn *txn;
} rp_out;

/* A kept row: the bytes of the value its addition was written with. */
typedef struct kept_row {
    size_t len;
    unsigned char data[];
} kept_row;

static void kept_encode(void *ud, const void *obj, sl_buf *out)
{
    (void)ud;
    const kept_row *k = obj;
    sl_buf_append(out, (const char *)k->data, k->len);
}

static kept_row *kept_new(const void *bytes, size_t len)
{
    kept_row *k = malloc(sizeof *k + len + 1);
    if (k) {
        k->len = len;
        memcpy(k->data, bytes, len);
    }
    return k;
}

static int kept_decode(void *ud, const void *bytes, size_t len, void **obj, sl_error *err)
{
    (void)ud;
    if (!(*obj = kept_new(bytes, len)))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    return 0;
}

static void kept_free(void *ud, void *obj)
{
    (void)ud;
    free(obj);
}

static size_t kept_size(void *ud, const void *obj)
{
    (void)ud;
    return sizeof(kept_row) + ((const kept_row *)obj)->len;
}

/* Appends s->vals (pre values, event time, flag) keyed by its GROUP BY
 * values. 1 appended, 0 the row failed (reported), -1 fatal. */
static int append_row(rp_out *s, sl_batch *b, int i, sl_error *err)
{
    char msg[640];
    sl_error e;
    sl_buf_reset(&s->kbuf);
    if (sl_encode(s->kenc, s->vals, &s->kbuf, &e)) {
        snprintf(msg, sizeof msg, "failed to serialize the GROUP BY key: %s", e.msg);
        sl_batch_fail(b, i, SL_FAIL_SERIALIZATION, msg);
        return 0;
    }
    sl_buf_reset(&s->vbuf);
    if (sl_encode(s->venc, s->vals, &s->vbuf, &e)) {
        snprintf(msg, sizeof msg, "failed to serialize the repartitioned row: %s", e.msg);
        sl_batch_fail(b, i, SL_FAIL_SERIALIZATION, msg);
        return 0;
    }
    sl_record rec = {0};
    rec.key = s->kbuf.data ? s->kbuf.data : "";
    rec.key_len = (int32_t)s->kbuf.len;
    rec.value = s->vbuf.data;
    rec.value_len = (int32_t)s->vbuf.len;
    rec.timestamp = s->vals[s->npre].u.i64;
    if (sl_log_txn_append(s->txn, s->topic, -1, &rec, NULL, NULL, &e)) {
        if (e.code != SL_ERR_REFUSED) {
            *err = e;
            return -1;
        }
        snprintf(msg, sizeof msg, "the repartition topic refused the record: %s", e.msg);
        sl_batch_fail(b, i, SL_FAIL_PRODUCTION, msg);
        return 0;
    }
    b->emitted++;
    return 1;
}

static bool null_group(const rp_out *s, const sl_value *v)
{
    for (int k = 0; k < s->ngroup; k++)
        if (v[k].kind == SL_NULL)
            return true;
    return false;
}

/* A TABLE row: the retraction of the key's kept row, then (unless a
 * tombstone or a NULL group) the new row, which is kept instead. */
static int table_row(rp_out *s, sl_batch *b, int i, sl_error *err)
{
    const sl_brow *r = &b->rows[i];
    const sl_record *rec = r->rec;
    if (!rec || rec->key_len < 0) {
        sl_batch_fail(b, i, SL_FAIL_KEY, "a table row without a key: dropped");
        return 0;
    }
    const void *rk = rec->key_len ? rec->key : "";
    size_t rklen = (size_t)rec->key_len;
    void *obj = NULL;
    if (sl_store_get(s->rows, rk, rklen, &obj, err))
        return -1;
    if (obj) {
        const kept_row *k = obj;
        memset(s->vals, 0, (size_t)(s->npre + 2) * sizeof *s->vals);
        if (sl_decode(s->vdec, k->data, k->len, b->arena, s->vals, err))
            return -1;
        /* stamped with the change's time, as the aggregate stamps a retraction */
        s->vals[s->npre] = sl_bigint(r->in.rowtime);
        s->vals[s->npre + 1] = sl_bool(true);
        if (append_row(s, b, i, err) < 0)
            return -1;
    }
    if (r->tombstone)
        return obj ? sl_store_delete(s->rows, rk, rklen, err) : 0;
    if (null_group(s, r->out)) {
        sl_batch_fail(b, i, SL_FAIL_KEY, "a GROUP BY expression is NULL: the row is left out");
        return obj ? sl_store_delete(s->rows, rk, rklen, err) : 0;
    }
    memcpy(s->vals, r->out, (size_t)s->npre * sizeof *s->vals);
    s->vals[s->npre] = sl_bigint(r->in.rowtime);
    s->vals[s->npre + 1] = sl_null();
    int rc = append_row(s, b, i, err);
    if (rc <= 0)
        return rc < 0 ? -1 : obj ? sl_store_delete(s->rows, rk, rklen, err) : 0;
    kept_row *nk = kept_new(s->vbuf.data, s->vbuf.len);
    if (!nk)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    return sl_store_put(s->rows, rk, rklen, nk, err);
}

static int out_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    rp_out *s = (rp_out *)op;
    if (!s->txn)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "repartition without a transaction");
    for (int i = 0; i < b->n; i++) {
        sl_brow *r = &b->rows[i];
        if (s->rows) {
            if (table_row(s, b, i, err))
                return -1;
            continue;
        }
        if (null_group(s, r->out)) {
            sl_batch_fail(b, i, SL_FAIL_KEY, "a GROUP BY expression is NULL: the record is dropped");
            continue;
        }
        memcpy(s->vals, r->out, (size_t)s->npre * sizeof *s->vals);
        s->vals[s->npre] = sl_bigint(r->in.rowtime);
        s->vals[s->npre + 1] = sl_null();
        if (append_row(s, b, i, err) < 0)
            return -1;
    }
    /* the kept rows' changes go into the transaction of the appends */
    return s->rows ? sl_store_flush(s->rows, s->txn, err) : 0;
}

static void out_close(sl_operator *op)
{
    rp_out *s = (rp_out *)op;
    sl_store_close(s->rows);
    sl_encoder_free(s->kenc);
    sl_encoder_free(s->venc);
    sl_decoder_free(s->vdec);
    sl_buf_fini(&s->kbuf);
    sl_buf_fini(&s->vbuf);
    pre_cols_fini(&s->pc);
    free(s->vals);
    free(s->topic);
    free(s);
}

static const sl_op_vtab out_vtab = {"REPARTITION", out_push, NULL, out_close};

/* A TABLE's kept rows, "<store_name>/rows" of spec->partition. */
static int open_rows(rp_out *s, const sl_aggregate_spec *spec, sl_error *err)
{
    sl_format_opts vo = value_opts();
    if (!(s->vdec = sl_decoder_new(&vo, s->pc.cols, spec->npre + 2, NULL, err)))
        return -1;
    sl_store_codec codec = {kept_encode, kept_decode, kept_free, kept_size, NULL, s};
    sl_store_opts so = {spec->cache_bytes ? spec->cache_bytes : ROWS_CACHE_BYTES, false};
    sl_buf nb = SL_BUF_INIT;
    sl_buf_printf(&nb, "%s/rows", spec->store_name ? spec->store_name : "query");
    s->rows = sl_store_open(spec->log, sl_buf_cstr(&nb), spec->partition, &codec, &so, err);
    sl_buf_fini(&nb);
    return s->rows ? 0 : -1;
}

sl_operator *sl_op_repartition_out_new(const char *topic, const sl_aggregate_spec *spec,
                                       sl_error *err)
{
    rp_out *s = calloc(1, sizeof *s);
    if (!s || !(s->topic = strdup(topic))) {
        free(s);
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    s->op.vt = &out_vtab;
    s->ngroup = spec->ngroup;
    s->npre = spec->npre;
    sl_buf_init(&s->kbuf);
    sl_buf_init(&s->vbuf);
    sl_format_opts ko = spec->key_opts, vo = value_opts();
    ko.is_key = true;
    ko.borrow_input = false;
    if (pre_cols_init(&s->pc, spec->npre, spec->pre_types, err))
        goto fail;
    if (!(s->vals = calloc((size_t)spec->npre + 2, sizeof *s->vals))) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        goto fail;
    }
    if (!(s->kenc = sl_encoder_new(&ko, spec->group_cols, spec->ngroup, err)) ||
        !(s->venc = sl_encoder_new(&vo, s->pc.cols, spec->npre + 2, err)))
        goto fail;
    if (spec->table_in && open_rows(s, spec, err))
        goto fail;
    return &s->op;
fail:
    out_close(&s->op);
    return NULL;
}

void sl_op_repartition_set_txn(sl_operator *op, sl_log_txn *txn)
{
    ((rp_out *)op)->txn = txn;
}

int sl_op_repartition_discard(sl_operator *op, sl_error *err)
{
    rp_out *s = (rp_out *)op;
    return s->rows ? sl_store_discard(s->rows, err) : 0;
}

/* ---- in: stage 2 ---- */

typedef struct rp_in {
    sl_operator op;
    int npre;
    pre_cols pc;
    sl_decoder *vdec;
} rp_in;

static int in_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    rp_in *s = (rp_in *)op;
    (void)err;
    sl_arena *a = b->arena;
    int width = (b->nout > s->npre ? b->nout : s->npre) + 2;
    b->rows = sl_arena_alloc(a, (size_t)(b->nrecs ? b->nrecs : 1) * sizeof *b->rows);
    sl_value *mem = sl_arena_alloc(a, (size_t)(b->nrecs ? b->nrecs : 1) * (size_t)width *
                                          sizeof *mem);
    b->n = 0;
    for (int i = 0; i < b->nrecs; i++) {
        const sl_record *rec = &b->recs[i];
        sl_value *vals = mem + (size_t)i * (size_t)width;
        memset(vals, 0, (size_t)width * sizeof *vals);
        sl_error e;
        if (rec->value_len < 0 ||
            sl_decode(s->vdec, rec->value, (size_t)rec->value_len, a, vals, &e)) {
            char msg[640];
            snprintf(msg, sizeof msg, "a repartitioned record cannot be read: %s",
                     rec->value_len < 0 ? "it has no value" : e.msg);
            sl_batch_fail_record(b, rec, SL_FAIL_DESERIALIZATION, msg);
            continue;
        }
        /* the event time travels in the value: Kafka turns a timestamp of
         * 0 or below into the time of the append */
        int64_t ts = vals[s->npre].kind == SL_NULL ? rec->timestamp : vals[s->npre].u.i64;
        bool retraction = vals[s->npre + 1].kind == SL_BOOLEAN && vals[s->npre + 1].u.b;
        vals[s->npre] = vals[s->npre + 1] = sl_null();
        sl_brow *row = &b->rows[b->n++];
        memset(row, 0, sizeof *row);
        row->in.cols = vals;
        row->in.ncols = s->npre;
        row->in.rowtime = ts;
        row->in.partition = rec->partition;
        row->in.offset = rec->offset;
        row->out = vals;
        row->rec = rec;
        row->tombstone = retraction;
    }
    return 0;
}

static void in_close(sl_operator *op)
{
    rp_in *s = (rp_in *)op;
    sl_decoder_free(s->vdec);
    pre_cols_fini(&s->pc);
    free(s);
}

static const sl_op_vtab in_vtab = {"REPARTITION_SOURCE", in_push, NULL, in_close};

sl_operator *sl_op_repartition_in_new(int npre, const sl_type *const *pre_types, sl_error *err)
{
    rp_in *s = calloc(1, sizeof *s);
    if (!s) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    s->op.vt = &in_vtab;
    s->npre = npre;
    sl_format_opts vo = value_opts();
    if (pre_cols_init(&s->pc, npre, pre_types, err) ||
        !(s->vdec = sl_decoder_new(&vo, s->pc.cols, npre + 2, NULL, err))) {
        in_close(&s->op);
        return NULL;
    }
    return &s->op;
}
