/*
 * op_test.h: helpers shared by the operator suites: a schema from a column
 * list, compiled expressions over it, a batch made from records, and a
 * recorder of failure reports.
 */
#ifndef SL_OP_TEST_H
#define SL_OP_TEST_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/expr.h"
#include "grammar/parse.h"
#include "operators/operator.h"

static sl_arena *A;            /* statement arena: schemas, expressions */
static sl_arena *BA;           /* batch arena */
static sl_error err;

typedef struct failures {
    int n;
    sl_fail_kind kind[16];
    int64_t offset[16];
    char msg[16][640];
} failures;
static failures F;

static void op_setup(void)
{
    A = sl_arena_new(0);
    BA = sl_arena_new(0);
    sl_error_clear(&err);
    memset(&F, 0, sizeof F);
}

static void op_teardown(void)
{
    sl_arena_free(A);
    sl_arena_free(BA);
}

static void record_fail(void *ud, sl_batch *b, const sl_record *rec, sl_fail_kind kind,
                        const char *message)
{
    (void)ud; (void)b;
    if (F.n < 16) {
        F.kind[F.n] = kind;
        F.offset[F.n] = rec->offset;
        snprintf(F.msg[F.n], sizeof F.msg[F.n], "%s", message);
    }
    F.n++;
}

/* A column list like "K:INT:key, V:STRING, N:BIGINT". */
static sl_schema schema_of(const char *spec)
{
    sl_schema s = {0};
    s.cols = sl_arena_zalloc(A, 16 * sizeof(sl_column));
    char *copy = sl_arena_strdup(A, spec), *save = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        char *name = tok, *type = strchr(tok, ':');
        *type++ = 0;
        char *kind = strchr(type, ':');
        if (kind)
            *kind++ = 0;
        sl_ast_type *at;
        cr_assert_eq(sl_parse_type(type, strlen(type), A, &at, &err), 0, "%s", err.msg);
        sl_column *c = &s.cols[s.ncols++];
        c->name = name;
        c->type = sl_type_from_ast(at, &(sl_scope){0}, A, &err);
        cr_assert_not_null(c->type, "%s", err.msg);
        c->kind = kind && strcmp(kind, "key") == 0 ? SL_COLK_KEY : SL_COLK_VALUE;
    }
    return s;
}

__attribute__((unused)) static sl_cexpr *compile(const char *text, const sl_schema *s)
{
    sl_expr *e;
    cr_assert_eq(sl_parse_expr(text, strlen(text), A, &e, &err), 0, "%s", err.msg);
    sl_scope sc = {0};
    sc.schema = s;
    sc.pseudocolumns = true;
    sl_cexpr *ce = sl_expr_compile(e, &sc, A, &err);
    cr_assert_not_null(ce, "%s: %s", text, err.msg);
    return ce;
}

/* A batch of rows whose input values are given directly (no decoding). */
__attribute__((unused)) static sl_batch batch_of(const sl_schema *s, int nrows, const sl_value *vals, int nout)
{
    sl_batch b = {0};
    b.arena = BA;
    b.fail = record_fail;
    b.nout = nout;
    b.slots = sl_arena_zalloc(A, 8 * sizeof(sl_value));
    b.nslots = 8;
    sl_record *recs = sl_arena_zalloc(BA, (size_t)nrows * sizeof *recs);
    b.rows = sl_arena_zalloc(BA, (size_t)nrows * sizeof *b.rows);
    for (int i = 0; i < nrows; i++) {
        recs[i].offset = i;
        recs[i].timestamp = 1000 + i;
        b.rows[i].rec = &recs[i];
        b.rows[i].in.cols = &vals[i * s->ncols];
        b.rows[i].in.ncols = s->ncols;
        b.rows[i].in.rowtime = 1000 + i;
        b.rows[i].in.offset = i;
        b.rows[i].out = sl_arena_zalloc(BA, (size_t)(nout ? nout : 1) * sizeof(sl_value));
    }
    b.recs = recs;
    b.nrecs = nrows;
    b.n = nrows;
    return b;
}

#endif
