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
    (void)err;
    sl_batch_eval_columns(b, k->keys, 0, k->nkeys, "PARTITION BY expression");
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
