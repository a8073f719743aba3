/*
 * batch.c: what every operator does to a batch: reporting a failed row
 * (counted, handed to the runtime's fail callback for the processing log)
 * and evaluating output columns (project, rekey, the aggregate's inputs).
 *
 * Does not: decide what a failure costs the query (the runtime does).
 */
#include <stdio.h>
#include <stdlib.h>

#include "operator.h"

const char *sl_fail_kind_name(sl_fail_kind k)
{
    switch (k) {
    case SL_FAIL_DESERIALIZATION: return "DESERIALIZATION";
    case SL_FAIL_EVALUATION: return "EVALUATION";
    case SL_FAIL_LATE: return "LATE_RECORD";
    case SL_FAIL_KEY: return "NULL_KEY";
    case SL_FAIL_BOUND: return "AGGREGATE_BOUND";
    case SL_FAIL_RETENTION: return "RETENTION";
    case SL_FAIL_PRODUCTION: return "PRODUCTION";
    default: return "SERIALIZATION";
    }
}

void sl_batch_late(sl_batch *b, const sl_record *rec, const char *message)
{
    b->late++;
    if (b->fail)
        b->fail(b->fail_ud, b, rec, SL_FAIL_LATE, message);
}

void sl_batch_fail_record(sl_batch *b, const sl_record *rec, sl_fail_kind kind,
                          const char *message)
{
    b->failed++;
    if (b->fail)
        b->fail(b->fail_ud, b, rec, kind, message);
}

void sl_batch_fail(sl_batch *b, int i, sl_fail_kind kind, const char *message)
{
    sl_batch_fail_record(b, b->rows[i].rec, kind, message);
}

void sl_batch_eval_columns(sl_batch *b, sl_cexpr *const *exprs, int from, int to,
                           const char *what)
{
    sl_evalctx cx = {0};
    cx.arena = b->arena;
    cx.slots = b->slots;
    cx.nslots = b->nslots;
    int w = 0;
    for (int i = 0; i < b->n; i++) {
        sl_brow *r = &b->rows[i];
        cx.row = &r->in;
        int c = from;
        /* a table's deleted row keeps only its key */
        int end = r->tombstone && b->nkey < to ? (b->nkey > from ? b->nkey : from) : to;
        for (; c < end; c++)
            if (sl_cexpr_eval(exprs[c], &cx, &r->out[c]))
                break;
        if (c < end) {
            char msg[600];
            snprintf(msg, sizeof msg, "error evaluating %s %d: %s", what, c + 1, cx.err.msg);
            sl_batch_fail(b, i, SL_FAIL_EVALUATION, msg);
            continue;
        }
        b->rows[w++] = *r;
    }
    b->n = w;
}

