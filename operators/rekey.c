/*
 * rekey.c: PARTITION BY.
 *
 * Does: evaluates the PARTITION BY expressions of each row into the output
 * key columns out[0, nkeys); the sink then encodes them as the record key,
 * and the log places the record by the key bytes (murmur2), so equal keys
 * land in equal partitions. A row whose key fails to evaluate is reported
 * (EVALUATION) and dropped.
 * Does not: move records between tasks: on the embedded log the sink's
 * append chooses the partition, so no repartition topic is needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator.h"

typedef struct rekey_op {
    sl_operator op;
    sl_cexpr **keys;
    int nkeys;
} rekey_op;

static int rekey_push(sl_operator *op, sl_batch *b, sl_error *err)
{
    rekey_op *k = (rekey_op *)op;
    sl_evalctx cx = {0};
    cx.arena = b->arena;
    cx.slots = b->slots;
    cx.nslots = b->nslots;
    int w = 0;
    for (int i = 0; i < b->n; i++) {
        sl_brow *r = &b->rows[i];
        cx.row = &r->in;
        int c = 0;
        for (; c < k->nkeys; c++)
            if (sl_cexpr_eval(k->keys[c], &cx, &r->out[c]))
                break;
        if (c < k->nkeys) {
            char msg[600];
            snprintf(msg, sizeof msg, "error evaluating PARTITION BY expression %d: %s", c + 1,
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

static void rekey_close(sl_operator *op)
{
    rekey_op *k = (rekey_op *)op;
    free(k->keys);
    free(k);
}

static const sl_op_vtab rekey_vtab = {"REKEY", rekey_push, NULL, rekey_close};

sl_operator *sl_op_rekey_new(sl_cexpr *const *key_exprs, int nkeys)
{
    rekey_op *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->keys = calloc((size_t)(nkeys ? nkeys : 1), sizeof *k->keys);
    if (!k->keys) {
        free(k);
        return NULL;
    }
    if (nkeys)
        memcpy(k->keys, key_exprs, (size_t)nkeys * sizeof *k->keys);
    k->op.vt = &rekey_vtab;
    k->nkeys = nkeys;
    return &k->op;
}
