/*
 * project.c: the select list.
 *
 * Does: evaluates the compiled select expressions for output columns
 * [first, nout) of each row into row->out (the batch arena); a row whose
 * evaluation fails is reported (EVALUATION) and dropped, so a bad record
 * never reaches the sink half-computed.
 * Does not: compute PARTITION BY keys (rekey.c) or encode (sink.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator.h"

typedef struct project_op {
    sl_operator op;
    sl_cexpr **exprs;           /* nout entries; [0, first) unused */
    int first, nout;
} project_op;

static int project_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    project_op *p = (project_op *)op;
    sl_evalctx cx = {0};
    cx.arena = b->arena;
    cx.slots = b->slots;
    cx.nslots = b->nslots;
    int w = 0;
    for (int i = 0; i < b->n; i++) {
        sl_brow *r = &b->rows[i];
        cx.row = &r->in;
        int c = p->first;
        for (; c < p->nout; c++)
            if (sl_cexpr_eval(p->exprs[c], &cx, &r->out[c]))
                break;
        if (c < p->nout) {
            char msg[600];
            snprintf(msg, sizeof msg, "error evaluating output column %d: %s", c + 1,
                     cx.err.msg);
            sl_batch_fail(b, i, SL_FAIL_EVALUATION, msg);
            continue;
        }
        b->rows[w++] = *r;
    }
    b->n = w;
    (void)err;
    return 0;
}

static void project_close(sl_operator *op)
{
    project_op *p = (project_op *)op;
    free(p->exprs);
    free(p);
}

static const sl_op_vtab project_vtab = {"PROJECT", project_push, NULL, project_close};

sl_operator *sl_op_project_new(sl_cexpr *const *exprs, int first, int nout)
{
    project_op *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->exprs = calloc((size_t)(nout ? nout : 1), sizeof *p->exprs);
    if (!p->exprs) {
        free(p);
        return NULL;
    }
    if (nout)
        memcpy(p->exprs, exprs, (size_t)nout * sizeof *p->exprs);
    p->op.vt = &project_vtab;
    p->first = first;
    p->nout = nout;
    return &p->op;
}
