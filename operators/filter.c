/*
 * filter.c: WHERE.
 *
 * Does: evaluates the compiled condition on each row's input values; keeps
 * rows where it is TRUE, drops (and counts as filtered) rows where it is
 * FALSE or NULL, and reports rows where evaluation fails (EVALUATION).
 * Tables (sl_op_table_filter_new): a row that fails WHERE is not dropped but
 * turned into a tombstone, as ksqlDB filters tables: the key leaves the result.
 * A row without a key is dropped and reported (a table's rows are keyed).
 * Does not: compile the condition (the planner does).
 */
#include <stdio.h>
#include <stdlib.h>

#include "operator.h"

typedef struct filter_op {
    sl_operator op;
    const sl_cexpr *where;      /* NULL: tables only, nothing to test */
    bool table;                 /* failing rows become tombstones, keyless rows are dropped */
} filter_op;

static int filter_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    filter_op *f = (filter_op *)op;
    sl_evalctx cx = {0};
    cx.arena = b->arena;
    cx.slots = b->slots;
    cx.nslots = b->nslots;
    int w = 0;
    for (int i = 0; i < b->n; i++) {
        sl_brow *r = &b->rows[i];
        if (f->table && r->rec && r->rec->key_len < 0) {
            sl_batch_fail(b, i, SL_FAIL_KEY, "a table row without a key: dropped");
            continue;
        }
        bool keep = true;
        if (f->where && !r->tombstone) {
            cx.row = &r->in;
            sl_value v;
            if (sl_cexpr_eval(f->where, &cx, &v)) {
                char msg[600];
                snprintf(msg, sizeof msg, "error evaluating WHERE: %s", cx.err.msg);
                sl_batch_fail(b, i, SL_FAIL_EVALUATION, msg);
                continue;
            }
            keep = v.kind == SL_BOOLEAN && v.u.b;
        }
        if (!keep) {
            b->filtered++;
            if (!f->table)
                continue;
            r->tombstone = true;        /* the key leaves the result */
        }
        b->rows[w++] = *r;
    }
    b->n = w;
    (void)err;
    return 0;
}

static void filter_close(sl_operator *op) { free(op); }

static const sl_op_vtab filter_vtab = {"FILTER", filter_push, NULL, filter_close};

static sl_operator *filter_new(const sl_cexpr *where, bool table)
{
    filter_op *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->op.vt = &filter_vtab;
    f->where = where;
    f->table = table;
    return &f->op;
}

sl_operator *sl_op_filter_new(const sl_cexpr *where) { return filter_new(where, false); }

sl_operator *sl_op_table_filter_new(const sl_cexpr *where) { return filter_new(where, true); }
