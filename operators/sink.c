/*
 * sink.c: the last operator: rows out of the query.
 *
 * Does (log sink): encodes each row's key columns with the sink's key
 * format and its value columns with the value format (encoders made once
 * per task, one reused buffer each; with pass-through on, value columns
 * that are input columns unchanged are written as their input text,
 * sl_op_set_passthrough), and appends the record to the sink
 * topic in the task's open transaction: partition -1 (the log places it by
 * the key bytes with murmur2; null keys round-robin), timestamp = the row's
 * event time. All-NULL keys and a KAFKA-format NULL value become null
 * record keys / values. Table sinks (sl_op_sink_set_table): windowed keys
 * as ksqlDB writes them, tombstone rows as null values, and each record's
 * value also put in (or deleted from) the table's materialization. A row that fails to encode is reported
 * (SERIALIZATION) and dropped, as is one whose record the log refuses
 * (PRODUCTION: on Kafka a timestamp outside what the topic accepts).
 * Does (callback sink): hands rows to a callback, up to a LIMIT.
 *
 * Does not: commit (the runtime commits the transaction with the input
 * position), or create topics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator.h"

/* ---- to the log ---- */

typedef struct log_sink {
    sl_operator op;
    char *topic;
    int nkey, nout;
    sl_format_kind vkind;
    sl_encoder *kenc, *venc;
    sl_buf kbuf, vbuf;
    sl_log_txn *txn;
    sl_window_kind wkind;       /* SL_WIN_NONE: keys as they are */
    sl_buf wkbuf;               /* windowed key */
    char *mat_space;            /* NULL: not materialized */
    sl_buf matkey;              /* mat prefix, then the key bytes */
    sl_buf matval;
    size_t mat_prefix_len;
    int *raw_pos;               /* NULL, or per value column: its text in row->raw, -1: none */
    sl_rawtext *rawv;           /* scratch: per value column, the text to write */
} log_sink;

/* Writes the materialized row of out's key (timestamp and value, or a delete). */
static int materialize(log_sink *s, const sl_record *out, sl_error *err)
{
    s->matkey.len = s->mat_prefix_len;
    if (out->key_len > 0)
        sl_buf_append(&s->matkey, out->key, (size_t)out->key_len);
    if (out->value_len < 0)
        return sl_log_txn_put_raw(s->txn, s->mat_space, s->matkey.data, s->matkey.len, NULL, 0,
                                  err);
    sl_buf_reset(&s->matval);
    char ts[8];
    uint64_t v = (uint64_t)out->timestamp;
    for (int i = 7; i >= 0; i--, v >>= 8)
        ts[i] = (char)(v & 0xff);
    sl_buf_append(&s->matval, ts, 8);
    if (out->value_len > 0)
        sl_buf_append(&s->matval, out->value, (size_t)out->value_len);
    return sl_log_txn_put_raw(s->txn, s->mat_space, s->matkey.data, s->matkey.len,
                              s->matval.data, s->matval.len, err);
}

static int log_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    log_sink *s = (log_sink *)op;
    if (!s->txn)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "sink without a transaction");
    char msg[640];
    for (int i = 0; i < b->n; i++) {
        sl_brow *r = &b->rows[i];
        sl_error e;
        sl_record out = {0};
        out.key_len = -1;
        out.value_len = -1;
        out.timestamp = r->in.rowtime;
        bool any_key = false;
        for (int k = 0; k < s->nkey; k++)
            any_key |= r->out[k].kind != SL_NULL;
        if (s->kenc && any_key) {
            sl_buf_reset(&s->kbuf);
            if (sl_encode(s->kenc, r->out, &s->kbuf, &e)) {
                snprintf(msg, sizeof msg, "failed to serialize key: %s", e.msg);
                sl_batch_fail(b, i, SL_FAIL_SERIALIZATION, msg);
                continue;
            }
            out.key = s->kbuf.data ? s->kbuf.data : "";
            out.key_len = (int32_t)s->kbuf.len;
        }
        if (r->in.windowed && s->wkind != SL_WIN_NONE) {
            sl_buf_reset(&s->wkbuf);
            sl_windowed_key_encode(&s->wkbuf, s->wkind, out.key_len > 0 ? out.key : "",
                                   out.key_len > 0 ? (size_t)out.key_len : 0,
                                   r->in.window_start, r->in.window_end);
            out.key = s->wkbuf.data;
            out.key_len = (int32_t)s->wkbuf.len;
        }
        bool null_value = r->tombstone || (s->vkind == SL_FMT_KAFKA && s->nout - s->nkey == 1 &&
                                           r->out[s->nkey].kind == SL_NULL);
        if (s->venc && !null_value) {
            sl_buf_reset(&s->vbuf);
            const sl_rawtext *raw = NULL;
            if (s->raw_pos && r->raw) {
                for (int j = 0; j < s->nout - s->nkey; j++) {
                    int p = s->raw_pos[j];
                    if (p >= 0)
                        s->rawv[j] = r->raw[p];
                    else
                        s->rawv[j].len = 0;
                }
                raw = s->rawv;
            }
            if (sl_encode_raw(s->venc, r->out + s->nkey, raw, &s->vbuf, &e)) {
                snprintf(msg, sizeof msg, "failed to serialize value: %s", e.msg);
                sl_batch_fail(b, i, SL_FAIL_SERIALIZATION, msg);
                continue;
            }
            out.value = s->vbuf.data ? s->vbuf.data : "";
            out.value_len = (int32_t)s->vbuf.len;
        }
        if (sl_log_txn_append(s->txn, s->topic, -1, &out, NULL, NULL, &e)) {
            if (e.code != SL_ERR_REFUSED) {
                *err = e;
                return -1;
            }
            /* the log refuses this record (its timestamp, on Kafka): a bad
             * record, neither written nor materialized */
            snprintf(msg, sizeof msg, "the sink topic refused the record: %s", e.msg);
            sl_batch_fail(b, i, SL_FAIL_PRODUCTION, msg);
            continue;
        }
        if (s->mat_space && !r->unkept && materialize(s, &out, err))
            return -1;
        b->emitted++;
    }
    return 0;
}

static void log_close(sl_operator *op)
{
    log_sink *s = (log_sink *)op;
    sl_encoder_free(s->kenc);
    sl_encoder_free(s->venc);
    sl_buf_fini(&s->kbuf);
    sl_buf_fini(&s->vbuf);
    sl_buf_fini(&s->wkbuf);
    sl_buf_fini(&s->matkey);
    sl_buf_fini(&s->matval);
    free(s->mat_space);
    free(s->topic);
    free(s->raw_pos);
    free(s->rawv);
    free(s);
}

static const sl_op_vtab log_vtab = {"SINK", log_push, NULL, log_close};

sl_operator *sl_op_sink_log_new(const char *topic, const sl_column *cols, int nkey, int nout,
                          const sl_format_opts *key_opts, const sl_format_opts *value_opts,
                          sl_error *err)
{
    log_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->topic = strdup(topic))) {
        free(s);
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    s->op.vt = &log_vtab;
    s->nkey = nkey;
    s->nout = nout;
    s->vkind = value_opts->kind;
    sl_buf_init(&s->kbuf);
    sl_buf_init(&s->vbuf);
    sl_buf_init(&s->wkbuf);
    sl_buf_init(&s->matkey);
    sl_buf_init(&s->matval);
    s->wkind = SL_WIN_NONE;
    if (nkey > 0 && key_opts->kind != SL_FMT_NONE &&
        !(s->kenc = sl_encoder_new(key_opts, cols, nkey, err)))
        goto fail;
    if (!(s->venc = sl_encoder_new(value_opts, cols + nkey, nout - nkey, err)))
        goto fail;
    return &s->op;
fail:
    log_close(&s->op);
    return NULL;
}

void sl_op_sink_set_txn(sl_operator *sink, sl_log_txn *txn)
{
    ((log_sink *)sink)->txn = txn;
}

void sl_op_sink_set_table(sl_operator *sink, sl_window_kind wkind, const char *mat_space,
                          const char *mat_prefix, size_t mat_prefix_len)
{
    log_sink *s = (log_sink *)sink;
    s->wkind = wkind;
    free(s->mat_space);
    s->mat_space = mat_space ? strdup(mat_space) : NULL;
    sl_buf_reset(&s->matkey);
    if (mat_prefix_len)
        sl_buf_append(&s->matkey, mat_prefix, mat_prefix_len);
    s->mat_prefix_len = mat_prefix_len;
}

bool sl_op_sink_use_raw(sl_operator *sink, const int *raw_pos, int nout)
{
    if (!sink || sink->vt != &log_vtab)
        return false;
    log_sink *s = (log_sink *)sink;
    if (s->vkind != SL_FMT_JSON || !s->venc || nout != s->nout || s->raw_pos)
        return false;
    int nv = s->nout - s->nkey;
    bool any = false;
    for (int j = 0; j < nv; j++)
        any |= raw_pos[s->nkey + j] >= 0;
    if (!any)
        return false;
    s->raw_pos = malloc((size_t)nv * sizeof *s->raw_pos);
    s->rawv = calloc((size_t)nv, sizeof *s->rawv);
    if (!s->raw_pos || !s->rawv) {
        free(s->raw_pos);
        free(s->rawv);
        s->raw_pos = NULL;
        s->rawv = NULL;
        return false;
    }
    memcpy(s->raw_pos, raw_pos + s->nkey, (size_t)nv * sizeof *s->raw_pos);
    return true;
}

/* ---- to a callback ---- */

typedef struct cb_sink {
    sl_operator op;
    const sl_schema *schema;
    int limit;
    sl_op_row_cb cb;
    void *ud;
    int64_t count;
} cb_sink;

static int cb_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    cb_sink *s = (cb_sink *)op;
    for (int i = 0; i < b->n && !b->stop; i++) {
        if (s->limit >= 0 && s->count >= s->limit) {
            b->stop = true;
            break;
        }
        sl_brow *r = &b->rows[i];
        if (r->tombstone)
            continue;           /* a deleted table row: nothing to show */
        sl_row row = r->in;
        row.cols = r->out;
        row.ncols = s->schema->ncols;
        s->count++;
        b->emitted++;
        if (s->cb(s->ud, s->schema, &row))
            b->stop = true;
        if (s->limit >= 0 && s->count >= s->limit)
            b->stop = true;
    }
    (void)err;
    return 0;
}

static void cb_close(sl_operator *op) { free(op); }

static const sl_op_vtab cb_vtab = {"RESULTS", cb_push, NULL, cb_close};

sl_operator *sl_op_sink_cb_new(const sl_schema *schema, int limit, sl_op_row_cb cb, void *ud)
{
    cb_sink *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->op.vt = &cb_vtab;
    s->schema = schema;
    s->limit = limit;
    s->cb = cb;
    s->ud = ud;
    return &s->op;
}

int64_t sl_op_sink_cb_count(const sl_operator *sink)
{
    return ((const cb_sink *)sink)->count;
}
