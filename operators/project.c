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
    (void)err;
    sl_batch_eval_columns(b, p->exprs, p->first, p->nout, "output column");
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
