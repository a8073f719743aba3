/*
 * source.c: the first operator of a task: records -> input rows.
 *
 * Does: decodes each record's key bytes into the key columns (key format)
 * and value bytes into the value columns (value format), with decoders
 * made once per task that materialize only the columns the query reads;
 * fills HEADERS / HEADER('k') columns from the record's headers; sets the
 * row's event time from the record timestamp or the TIMESTAMP column
 * (TIMESTAMP_FORMAT for VARCHAR columns); skips and counts null values
 * (tombstones) on streams. A record that fails to decode is reported as a
 * DESERIALIZATION failure and dropped. Also holds the batch helpers shared
 * by all operators (failure reporting). With pass-through on
 * (sl_op_set_passthrough), also keeps each row's value columns' input text
 * (row->raw) for the sink.
 *
 * Does not: read the log or evaluate expressions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator.h"

int sl_op_format_opts(const char *format, const char *delimiter, int wrap, bool is_key,
                      sl_format_opts *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    out->is_key = is_key;
    const char *f = format ? format : (is_key ? "KAFKA" : "JSON");
    if (sl_format_parse_kind(f, strlen(f), &out->kind, err))
        return -1;
    if (delimiter && *delimiter &&
        sl_format_parse_delimiter(delimiter, strlen(delimiter), &out->delimiter, err))
        return -1;
    if (!is_key)
        out->wrap_single_value = wrap < 0 ? SL_WRAP_DEFAULT : wrap ? SL_WRAP_TRUE : SL_WRAP_FALSE;
    return 0;
}

typedef struct src_op {
    sl_operator op;
    sl_source_spec spec;
    int ncols;
    sl_decoder *kdec, *vdec;
    int nk, nv, nh;
    int *kidx, *vidx, *hidx;    /* schema positions of key, value, header columns */
    bool kdirect, vdirect;      /* decode straight into the row (contiguous columns) */
    sl_value *kbuf, *vbuf;      /* scratch when not direct */
    bool keep_raw;              /* rows carry the value columns' input text (row->raw) */
} src_op;

static void src_close(sl_operator *op)
{
    src_op *s = (src_op *)op;
    sl_decoder_free(s->kdec);
    sl_decoder_free(s->vdec);
    free(s->kidx);
    free(s->vidx);
    free(s->hidx);
    free(s->kbuf);
    free(s->vbuf);
    free(s);
}

static sl_value header_array(sl_arena *a, const sl_record *rec)
{
    sl_value arr = sl_array_new(a, (uint32_t)rec->n_headers);
    for (int i = 0; i < rec->n_headers; i++) {
        const sl_log_header *h = &rec->headers[i];
        sl_value st = sl_struct_new(a, 2);
        st.u.st.fields[0] = sl_string_copy(a, h->key, h->key_len);
        st.u.st.fields[1] = h->value_len < 0 ? sl_null()
                                             : sl_bytes_copy(a, h->value, (size_t)h->value_len);
        arr.u.arr.items[i] = st;
    }
    return arr;
}

static sl_value header_value(sl_arena *a, const sl_record *rec, const char *key)
{
    size_t kl = key ? strlen(key) : 0;
    for (int i = rec->n_headers - 1; i >= 0; i--) {
        const sl_log_header *h = &rec->headers[i];
        if (h->key_len == kl && memcmp(h->key, key, kl) == 0)
            return h->value_len < 0 ? sl_null() : sl_bytes_copy(a, h->value, (size_t)h->value_len);
    }
    return sl_null();
}

/* Event time of a row from its TIMESTAMP column; -1 with msg on failure. */
static int event_time(src_op *s, sl_arena *a, const sl_value *v, int64_t *ts, char *msg,
                      size_t cap)
{
    const char *name = s->spec.schema->cols[s->spec.ts_col].name;
    if (v->kind == SL_NULL) {
        snprintf(msg, cap, "the TIMESTAMP column `%s` is null", name);
        return -1;
    }
    if (v->kind == SL_BIGINT || v->kind == SL_TIMESTAMP) {
        *ts = v->u.i64;
    } else if (v->kind == SL_STRING && s->spec.ts_fmt) {
        sl_error e;
        sl_error_clear(&e);
        if (sl_dtfmt_parse_timestamp(s->spec.ts_fmt, v->u.s.ptr, v->u.s.len, &SL_ZONE_UTC, ts,
                                     &e)) {
            snprintf(msg, cap, "the TIMESTAMP column `%s` ('%.*s') does not match '%s': %s",
                     name, (int)(v->u.s.len > 64 ? 64 : v->u.s.len), v->u.s.ptr,
                     sl_dtfmt_pattern(s->spec.ts_fmt), e.msg);
            return -1;
        }
    } else {
        snprintf(msg, cap, "the TIMESTAMP column `%s` has no usable value", name);
        return -1;
    }
    (void)a;
    if (*ts < 0) {
        snprintf(msg, cap, "the TIMESTAMP column `%s` is negative (%lld)", name, (long long)*ts);
        return -1;
    }
    return 0;
}

static int src_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    src_op *s = (src_op *)op;
    sl_arena *a = b->arena;
    b->rows = sl_arena_alloc(a, (size_t)(b->nrecs ? b->nrecs : 1) * sizeof *b->rows);
    b->n = 0;
    int nout = b->nout ? b->nout : 1;
    size_t ncols = (size_t)(s->ncols ? s->ncols : 1), nrecs = (size_t)(b->nrecs ? b->nrecs : 1);
    /* one allocation for the input and output values of every row (a row
     * that fails leaves its part unused), cleared row by row as it is used */
    sl_value *colmem = sl_arena_alloc(a, nrecs * (ncols + (size_t)nout) * sizeof *colmem);
    sl_rawtext *rawmem = s->keep_raw ? sl_arena_alloc(a, nrecs * (size_t)s->nv * sizeof *rawmem)
                                     : NULL;
    char msg[640];
    for (int r = 0; r < b->nrecs; r++) {
        const sl_record *rec = &b->recs[r];
        if (s->spec.skip_null_values && rec->value_len < 0) {
            b->skipped++;
            continue;
        }
        sl_value *cols = colmem + (size_t)r * (ncols + (size_t)nout);
        if (s->vdec && s->vdirect) {
            /* all NULL; the value decoder clears (and fills) its own columns */
            if (s->nk)
                memset(cols, 0, (size_t)s->nk * sizeof *cols);
            memset(cols + s->nk + s->nv, 0, (ncols - (size_t)(s->nk + s->nv) + (size_t)nout) *
                                                sizeof *cols);
        } else {
            memset(cols, 0, (ncols + (size_t)nout) * sizeof *cols);
        }
        sl_rawtext *raw = rawmem ? rawmem + (size_t)r * (size_t)s->nv : NULL;
        sl_error e;
        if (s->kdec) {
            sl_value *dst = s->kdirect ? cols : s->kbuf;
            if (sl_decode(s->kdec, rec->key_len < 0 ? NULL : rec->key,
                          rec->key_len < 0 ? 0 : (size_t)rec->key_len, a, dst, &e)) {
                snprintf(msg, sizeof msg, "failed to deserialize key: %s", e.msg);
                sl_batch_fail_record(b, rec, SL_FAIL_DESERIALIZATION, msg);
                continue;
            }
            if (!s->kdirect)
                for (int i = 0; i < s->nk; i++)
                    cols[s->kidx[i]] = s->kbuf[i];
        }
        if (s->vdec) {
            sl_value *dst = s->vdirect ? cols + s->nk : s->vbuf;
            const void *vp = rec->value_len < 0 ? NULL : rec->value;
            size_t vn = rec->value_len < 0 ? 0 : (size_t)rec->value_len;
            if (raw ? sl_decode_raw(s->vdec, vp, vn, a, dst, raw, &e)
                    : sl_decode(s->vdec, vp, vn, a, dst, &e)) {
                snprintf(msg, sizeof msg, "failed to deserialize value: %s", e.msg);
                sl_batch_fail_record(b, rec, SL_FAIL_DESERIALIZATION, msg);
                continue;
            }
            if (!s->vdirect)
                for (int i = 0; i < s->nv; i++)
                    cols[s->vidx[i]] = s->vbuf[i];
        }
        for (int i = 0; i < s->nh; i++) {
            int c = s->hidx[i];
            if (s->spec.wanted && !s->spec.wanted[c])
                continue;
            const sl_column *col = &s->spec.schema->cols[c];
            cols[c] = col->kind == SL_COLK_HEADERS ? header_array(a, rec)
                                                    : header_value(a, rec, col->header_key);
        }
        int64_t ts = rec->timestamp;
        if (s->spec.ts_col >= 0 &&
            event_time(s, a, &cols[s->spec.ts_col], &ts, msg, sizeof msg)) {
            sl_batch_fail_record(b, rec, SL_FAIL_DESERIALIZATION, msg);
            continue;
        }
        sl_brow *row = &b->rows[b->n++];
        row->in.cols = cols;
        row->in.ncols = s->ncols;
        row->in.rowtime = ts;
        row->in.partition = rec->partition;
        row->in.offset = rec->offset;
        row->in.windowed = false;
        row->in.window_start = row->in.window_end = 0;
        row->out = cols + ncols;
        row->rec = rec;
        row->tombstone = rec->value_len < 0 && !s->spec.skip_null_values;
        row->unkept = false;
        row->raw = raw;
    }
    (void)err;
    return 0;
}

static const sl_op_vtab src_vtab = {"SOURCE", src_push, NULL, src_close};

static sl_decoder *make_decoder(const sl_format_opts *o, const sl_schema *sch, const int *idx,
                                int n, const bool *wanted, sl_error *err)
{
    sl_column *cols = calloc((size_t)(n ? n : 1), sizeof *cols);
    bool *w = calloc((size_t)(n ? n : 1), sizeof *w);
    if (!cols || !w) {
        free(cols);
        free(w);
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        cols[i] = sch->cols[idx[i]];
        w[i] = wanted ? wanted[idx[i]] : true;
    }
    sl_decoder *d = sl_decoder_new(o, cols, n, w, err);
    free(cols);
    free(w);
    return d;
}

sl_operator *sl_op_source_new(const sl_source_spec *spec, sl_error *err)
{
    src_op *s = calloc(1, sizeof *s);
    if (!s) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    s->op.vt = &src_vtab;
    s->spec = *spec;
    const sl_schema *sch = spec->schema;
    s->ncols = sch->ncols;
    size_t n = (size_t)(sch->ncols ? sch->ncols : 1);
    s->kidx = calloc(n, sizeof(int));
    s->vidx = calloc(n, sizeof(int));
    s->hidx = calloc(n, sizeof(int));
    s->kbuf = calloc(n, sizeof(sl_value));
    s->vbuf = calloc(n, sizeof(sl_value));
    if (!s->kidx || !s->vidx || !s->hidx || !s->kbuf || !s->vbuf) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        src_close(&s->op);
        return NULL;
    }
    for (int i = 0; i < sch->ncols; i++) {
        switch (sch->cols[i].kind) {
        case SL_COLK_KEY: s->kidx[s->nk++] = i; break;
        case SL_COLK_VALUE: s->vidx[s->nv++] = i; break;
        default: s->hidx[s->nh++] = i; break;
        }
    }
    s->kdirect = true;
    for (int i = 0; i < s->nk; i++)
        s->kdirect &= s->kidx[i] == i;
    s->vdirect = true;
    for (int i = 0; i < s->nv; i++)
        s->vdirect &= s->vidx[i] == s->nk + i;
    bool kwant = false, vwant = false;
    for (int i = 0; i < s->nk; i++)
        kwant |= !spec->wanted || spec->wanted[s->kidx[i]];
    for (int i = 0; i < s->nv; i++)
        vwant |= !spec->wanted || spec->wanted[s->vidx[i]];
    /* a key nobody reads is not decoded at all; values are always decoded
     * (a malformed value is a failed record even if no column is read) */
    (void)vwant;
    if (kwant && spec->key_opts.kind != SL_FMT_NONE) {
        s->kdec = make_decoder(&spec->key_opts, sch, s->kidx, s->nk, spec->wanted, err);
        if (!s->kdec) {
            src_close(&s->op);
            return NULL;
        }
    }
    if (s->nv > 0 || spec->value_opts.kind != SL_FMT_NONE) {
        s->vdec = make_decoder(&spec->value_opts, sch, s->vidx, s->nv, spec->wanted, err);
        if (!s->vdec) {
            src_close(&s->op);
            return NULL;
        }
    }
    return &s->op;
}

void sl_op_set_passthrough(sl_operator *const *ops, int nops, const int *out_src_col,
                           const sl_column *out_cols, int nout)
{
    if (nops < 2 || !out_src_col || !ops[0] || ops[0]->vt != &src_vtab || nout <= 0)
        return;
    src_op *s = (src_op *)ops[0];
    if (!s->vdec || s->spec.value_opts.kind != SL_FMT_JSON || !s->spec.value_opts.borrow_input)
        return;
    const sl_schema *in = s->spec.schema;
    int *pos = malloc((size_t)nout * sizeof *pos);
    if (!pos)
        return;                 /* pass-through is an optimization: go without */
    for (int o = 0; o < nout; o++) {
        int c = out_src_col[o];
        pos[o] = -1;
        if (c < 0 || c >= in->ncols || in->cols[c].kind != SL_COLK_VALUE ||
            !sl_type_equal(in->cols[c].type, out_cols[o].type))
            continue;
        for (int i = 0; i < s->nv; i++)
            if (s->vidx[i] == c)
                pos[o] = i;
    }
    if (sl_op_sink_use_raw(ops[nops - 1], pos, nout))
        s->keep_raw = true;
    free(pos);
}
