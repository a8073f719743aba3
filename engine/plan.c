/*
 * plan.c: builds the plan of a stateless query (plan.h).
 *
 * Does: resolves FROM against the catalog, refuses what this milestone does
 * not run (GROUP BY, WINDOW, HAVING, joins, EMIT FINAL, aggregate and table
 * functions, tables as input), compiles WHERE, the select list and
 * PARTITION BY against the input schema (pseudocolumns allowed), names the
 * output columns as ksqlDB does, works out the output key (the source key,
 * or the PARTITION BY expressions), records which input columns the query
 * reads (so decoders materialize only those), binds a sink and prints
 * EXPLAIN.
 *
 * Key rule (ksqlDB >= 0.10, "Key missing from projection"): a persistent
 * query must select its key columns: without PARTITION BY the source's key
 * columns, with it each PARTITION BY expression. A transient query need not:
 * its output simply has no key column then. The plan is built either way;
 * sl_plan_check_persistent and sl_plan_bind_sink refuse a plan whose key is
 * missing, naming the column and how to select it.
 *
 * Does not: run anything (runtime.c), create sinks or topics (the executor).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

/* ---- small helpers ---- */

static const char *dup(sl_arena *a, const char *s)
{
    return s ? sl_arena_strdup(a, s) : NULL;
}

static void keep(sl_plan *p, sl_cexpr *e)
{
    if (p->nall == p->capall) {
        int ncap = p->capall ? p->capall * 2 : 8;
        p->all = sl_arena_realloc(p->arena, p->all, (size_t)p->capall * sizeof *p->all,
                                  (size_t)ncap * sizeof *p->all);
        p->capall = ncap;
    }
    p->all[p->nall++] = e;
    int s = sl_cexpr_slots(e);
    if (s > p->nslots)
        p->nslots = s;
}

static const char *expr_text(sl_arena *a, const sl_expr *e)
{
    sl_buf b = SL_BUF_INIT;
    sl_expr_print(&b, e);
    const char *s = sl_arena_strdup(a, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return s;
}

/* A deep copy of a source description; schema qualifiers set to qual. */
static void copy_source(sl_arena *a, sl_source *dst, const sl_source *src, const char *qual)
{
    memset(dst, 0, sizeof *dst);
    dst->name = dup(a, src->name);
    dst->is_table = src->is_table;
    dst->is_source = src->is_source;
    dst->kafka_topic = dup(a, src->kafka_topic);
    dst->key_format = dup(a, src->key_format);
    dst->value_format = dup(a, src->value_format);
    dst->partitions = src->partitions;
    dst->replicas = src->replicas;
    dst->retention_ms = src->retention_ms;
    dst->timestamp = dup(a, src->timestamp);
    dst->timestamp_format = dup(a, src->timestamp_format);
    dst->value_delimiter = dup(a, src->value_delimiter);
    dst->wrap_single_value = src->wrap_single_value;
    dst->window_type = dup(a, src->window_type);
    dst->window_size_ms = src->window_size_ms;
    dst->statement = dup(a, src->statement);
    int n = src->schema.ncols;
    dst->schema.ncols = n;
    dst->schema.cols = sl_arena_zalloc(a, (size_t)(n ? n : 1) * sizeof(sl_column));
    for (int i = 0; i < n; i++) {
        const sl_column *c = &src->schema.cols[i];
        sl_column *d = &dst->schema.cols[i];
        d->name = dup(a, c->name);
        d->type = sl_type_copy(a, c->type);
        d->kind = c->kind;
        d->header_key = dup(a, c->header_key);
        d->qualifier = qual ? dup(a, qual) : NULL;
    }
}

/* ---- refusals ---- */

typedef struct fnscan {
    const sl_registry *reg;
    const sl_expr *agg, *table;
} fnscan;

static void scan_calls(fnscan *s, const sl_expr *e)
{
    if (!e)
        return;
    if (e->kind == SL_E_CALL && e->name.name) {
        const sl_function *f = sl_registry_find(s->reg, e->name.name);
        if (f && f->kind == SL_FN_AGGREGATE && !s->agg)
            s->agg = e;
        if (f && f->kind == SL_FN_TABLE && !s->table)
            s->table = e;
    }
    scan_calls(s, e->a);
    scan_calls(s, e->b);
    scan_calls(s, e->c);
    for (int i = 0; i < e->list.n; i++)
        scan_calls(s, e->list.items[i]);
}

static int refuse_unsupported(const sl_select *q, const sl_registry *reg, sl_error *err)
{
    if (q->joins.n > 0)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, q->joins.items[0]->span,
                            "JOIN is not supported yet: joins come in a later issue");
    if (q->window.kind != SL_WIN_NONE && q->group_by.n == 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, q->window.span,
                            "WINDOW needs a GROUP BY clause");
    if (q->having && q->group_by.n == 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, q->having->span,
                            "HAVING needs a GROUP BY clause");
    if (q->emit == SL_EMIT_FINAL && q->window.kind == SL_WIN_NONE)
        return sl_error_set(err, SL_ERR_ANALYSIS, q->span,
                            "EMIT FINAL is only for windowed aggregations: add a WINDOW clause "
                            "or use EMIT CHANGES");
    fnscan s = {reg, NULL, NULL};
    for (int i = 0; i < q->items.n; i++)
        scan_calls(&s, q->items.items[i]->expr);
    if (s.agg && q->group_by.n == 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, s.agg->span,
                            "aggregate function %s needs a GROUP BY clause", s.agg->name.name);
    fnscan w = {reg, NULL, NULL};
    scan_calls(&w, q->where);
    for (int i = 0; i < q->partition_by.n; i++)
        scan_calls(&w, q->partition_by.items[i]);
    for (int i = 0; i < q->group_by.n; i++)
        scan_calls(&w, q->group_by.items[i]);
    if (w.agg)
        return sl_error_set(err, SL_ERR_ANALYSIS, w.agg->span,
                            "aggregate function %s is not allowed in WHERE, GROUP BY or "
                            "PARTITION BY", w.agg->name.name);
    if (s.table || w.table)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, (s.table ? s.table : w.table)->span,
                            "table function %s is not supported yet: table functions come "
                            "in a later issue", (s.table ? s.table : w.table)->name.name);
    if (q->group_by.n > 0 && q->partition_by.n > 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, q->partition_by.items[0]->span,
                            "PARTITION BY and GROUP BY cannot be combined: GROUP BY already "
                            "keys the result");
    return 0;
}

/* ---- which input columns the query reads ---- */

static void mark_columns(const sl_expr *e, const sl_schema *s, bool *wanted)
{
    if (!e)
        return;
    if (e->kind == SL_E_COLUMN && e->name.name) {
        /* unqualified: any column of that name (lambda parameters may
         * shadow one: marking it anyway only costs a decode) */
        for (int i = 0; i < s->ncols; i++)
            if (strcmp(s->cols[i].name, e->name.name) == 0)
                wanted[i] = true;
    }
    mark_columns(e->a, s, wanted);
    mark_columns(e->b, s, wanted);
    mark_columns(e->c, s, wanted);
    for (int i = 0; i < e->list.n; i++)
        mark_columns(e->list.items[i], s, wanted);
}

/* ---- the select list ---- */

typedef struct item {
    const char *name;
    const sl_type *type;
    sl_cexpr *ce;
    const char *text;
    sl_span span;
    int src_col;                /* a plain reference to input column i, else -1 */
    const sl_expr *expr;        /* NULL for `*` expansions */
    int key;                    /* output key index it provides, -1: a value column */
} item;

const char *sl_plan_item_name(sl_arena *a, const sl_select_item *it, int index)
{
    if (it->alias.name)
        return it->alias.name;
    const sl_expr *e = it->expr;
    if (e && e->kind == SL_E_COLUMN && e->name.name)
        return e->name.name;
    if (e && e->kind == SL_E_DEREF && e->name.name)
        return e->name.name;
    return sl_arena_printf(a, "KSQL_COL_%d", index);
}

static int compile_into(sl_plan *p, const sl_expr *e, const sl_scope *sc, sl_cexpr **out,
                        sl_error *err)
{
    sl_cexpr *ce = sl_expr_compile(e, sc, p->arena, err);
    if (!ce)
        return -1;
    keep(p, ce);
    *out = ce;
    return 0;
}

static sl_cexpr *column_ref(sl_plan *p, const sl_scope *sc, const sl_column *c, sl_span span,
                            sl_error *err)
{
    sl_expr *e = sl_expr_new(p->arena, SL_E_COLUMN, span);
    e->name.name = c->name;
    e->name.span = span;
    e->qualifier.name = c->qualifier;
    sl_cexpr *ce;
    return compile_into(p, e, sc, &ce, err) ? NULL : ce;
}

static bool same_partition_expr(const item *it, const sl_expr *pe, const char *pe_text,
                                const sl_schema *in)
{
    if (pe->kind == SL_E_COLUMN) {
        if (it->src_col < 0)
            return false;
        int idx = sl_schema_find(in, pe->qualifier.name, pe->name.name);
        return idx == it->src_col;
    }
    return it->expr && strcmp(it->text, pe_text) == 0;
}

/*
 * The output schema from the select items: the key columns (items[i].key
 * = k) in key order, then the value columns in SELECT order; select_order
 * maps each item to its column, out_src_col each column to the input
 * column it copies (or -1).
 */
static void build_output(sl_plan *p, const item *items, int nitems, int nkeys)
{
    sl_arena *a = p->arena;
    size_t n = (size_t)(nitems ? nitems : 1);
    p->out.ncols = nitems;
    p->out.cols = sl_arena_zalloc(a, n * sizeof(sl_column));
    p->out_expr = sl_arena_zalloc(a, n * sizeof *p->out_expr);
    p->out_text = sl_arena_zalloc(a, n * sizeof *p->out_text);
    p->out_src_col = sl_arena_zalloc(a, n * sizeof(int));
    p->select_order = sl_arena_zalloc(a, n * sizeof(int));
    int o = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < (pass ? 1 : nkeys); k++)
            for (int i = 0; i < nitems; i++) {
                if (pass ? items[i].key >= 0 : items[i].key != k)
                    continue;
                sl_column *c = &p->out.cols[o];
                c->name = dup(a, items[i].name);
                c->type = items[i].type;
                c->kind = pass ? SL_COLK_VALUE : SL_COLK_KEY;
                p->out_expr[o] = items[i].ce;
                p->out_text[o] = items[i].text;
                p->out_src_col[o] = items[i].src_col;
                p->select_order[i] = o++;
                if (!pass)
                    p->nkey = o;
            }
}

/* ---- aggregation ---- */

typedef struct aggplan {
    sl_plan *p;
    const sl_select *q;
    const sl_scope *in_sc;      /* the input scope (GROUP BY, aggregate arguments) */
    const sl_schema *in;
    int *group_src;             /* per GROUP BY: the input column it names, or -1 */
    int capagg, cappre;
    sl_error *err;
} aggplan;

static int add_pre(aggplan *ap, sl_cexpr *ce)
{
    sl_plan *p = ap->p;
    if (p->npre == ap->cappre) {
        int ncap = ap->cappre ? ap->cappre * 2 : 8;
        p->pre_expr = sl_arena_realloc(p->arena, p->pre_expr,
                                       (size_t)ap->cappre * sizeof *p->pre_expr,
                                       (size_t)ncap * sizeof *p->pre_expr);
        ap->cappre = ncap;
    }
    p->pre_expr[p->npre] = ce;
    return p->npre++;
}

static sl_expr *agg_colref(sl_plan *p, int col, sl_span span)
{
    sl_expr *c = sl_expr_new(p->arena, SL_E_COLUMN, span);
    c->name.name = p->agg_schema.cols[col].name;
    c->name.span = span;
    return c;
}

/* The aggregate call e (kind SL_FN_AGGREGATE): its index in p->aggs, the
 * same call written twice sharing one. -1 with err. */
static int agg_call(aggplan *ap, const sl_expr *e, const sl_function *f)
{
    sl_plan *p = ap->p;
    sl_arena *a = p->arena;
    const char *text = expr_text(a, e);
    for (int i = 0; i < p->nagg; i++)
        if (strcmp(p->agg_text[i], text) == 0)
            return i;
    int na = e->list.n;
    const sl_type **at = sl_arena_zalloc(a, (size_t)(na + 1) * sizeof *at);
    int *arity = sl_arena_zalloc(a, (size_t)(na + 1) * sizeof *arity);
    sl_cexpr **ces = sl_arena_zalloc(a, (size_t)(na + 1) * sizeof *ces);
    const sl_value **consts = sl_arena_zalloc(a, (size_t)(na + 1) * sizeof *consts);
    for (int i = 0; i < na; i++) {
        const sl_expr *arg = e->list.items[i];
        if (arg->kind == SL_E_LAMBDA)
            return sl_error_set(ap->err, SL_ERR_UNSUPPORTED, arg->span,
                                "lambda arguments to aggregate functions are not supported");
        fnscan inner = {ap->in_sc->registry, NULL, NULL};
        scan_calls(&inner, arg);
        if (inner.agg)
            return sl_error_set(ap->err, SL_ERR_ANALYSIS, inner.agg->span,
                                "aggregate functions cannot be nested");
        if (compile_into(p, arg, ap->in_sc, &ces[i], ap->err))
            return -1;
        at[i] = sl_cexpr_type(ces[i]);
        if (sl_cexpr_is_constant(ces[i])) {
            sl_evalctx cx = {0};
            cx.arena = a;
            sl_value *v = sl_arena_zalloc(a, sizeof *v);
            if (sl_cexpr_eval(ces[i], &cx, v) == 0)
                consts[i] = v;
        }
        mark_columns(arg, ap->in, p->wanted);
    }
    sl_resolved res;
    if (sl_registry_resolve(ap->in_sc->registry, a, f->name, at, arity, na, &res, e->span,
                            ap->err) < 0 ||
        sl_registry_finish(&res, a, at, na, e->span, ap->err) < 0)
        return -1;
    sl_agg *g = sl_agg_new(f, res.ovindex, res.params, na, consts, a, ap->err);
    if (!g) {
        if (ap->err->span.off == SL_NOPOS)
            ap->err->span = e->span;
        return -1;
    }
    if (p->table_in)
        sl_agg_set_retract(g, true, 0);
    if (p->nagg == ap->capagg) {
        int o = ap->capagg, n = o ? o * 2 : 4;
        p->aggs = sl_arena_realloc(a, p->aggs, (size_t)o * sizeof *p->aggs, (size_t)n * sizeof *p->aggs);
        p->agg_text = sl_arena_realloc(a, p->agg_text, (size_t)o * sizeof *p->agg_text,
                                       (size_t)n * sizeof *p->agg_text);
        p->agg_arg0 = sl_arena_realloc(a, p->agg_arg0, (size_t)o * sizeof(int), (size_t)n * sizeof(int));
        p->agg_nargs = sl_arena_realloc(a, p->agg_nargs, (size_t)o * sizeof(int), (size_t)n * sizeof(int));
        p->agg_argtype = sl_arena_realloc(a, p->agg_argtype, (size_t)o * sizeof *p->agg_argtype,
                                          (size_t)n * sizeof *p->agg_argtype);
        p->agg_cast = sl_arena_realloc(a, p->agg_cast, (size_t)o * sizeof *p->agg_cast,
                                       (size_t)n * sizeof *p->agg_cast);
        ap->capagg = n;
    }
    int idx = p->nagg++;
    p->aggs[idx] = g;
    p->agg_text[idx] = text;
    p->agg_nargs[idx] = na;
    p->agg_arg0[idx] = p->npre;
    p->agg_argtype[idx] = sl_arena_zalloc(a, (size_t)(na + 1) * sizeof(sl_type *));
    p->agg_cast[idx] = sl_arena_zalloc(a, (size_t)(na + 1) * sizeof(bool));
    for (int i = 0; i < na; i++) {
        add_pre(ap, ces[i]);
        p->agg_argtype[idx][i] = res.params[i];
        p->agg_cast[idx][i] = res.params[i] && !sl_type_equal(at[i], res.params[i]) &&
                              at[i]->kind != SL_NULL;
    }
    /* its result column in agg rows */
    sl_schema *as = &p->agg_schema;
    sl_column *cols = sl_arena_zalloc(a, (size_t)(as->ncols + 1) * sizeof *cols);
    memcpy(cols, as->cols, (size_t)as->ncols * sizeof *cols);
    cols[as->ncols].name = sl_arena_printf(a, "KSQL_AGG_VARIABLE_%d", idx);
    cols[as->ncols].type = sl_agg_result_type(g);
    cols[as->ncols].kind = SL_COLK_VALUE;
    as->cols = cols;
    as->ncols++;
    return idx;
}

static bool is_pseudocolumn(const char *name)
{
    return strcmp(name, "ROWTIME") == 0 || strcmp(name, "WINDOWSTART") == 0 ||
           strcmp(name, "WINDOWEND") == 0;
}

/* The GROUP BY value e is, or -1. */
static int group_of(aggplan *ap, const sl_expr *e, const char *text)
{
    sl_plan *p = ap->p;
    for (int i = 0; i < p->ngroup; i++)
        if (strcmp(text, p->group_text[i]) == 0)
            return i;
    if (e->kind == SL_E_COLUMN && e->name.name) {
        int idx = sl_schema_find(ap->in, e->qualifier.name, e->name.name);
        for (int i = 0; idx >= 0 && i < p->ngroup; i++)
            if (ap->group_src[i] == idx)
                return i;
    }
    return -1;
}

/* e with GROUP BY expressions and aggregate calls replaced by columns of
 * agg rows; any other input column is an error (`clause` names where). */
static sl_expr *agg_rewrite(aggplan *ap, const sl_expr *e, const char *clause)
{
    sl_plan *p = ap->p;
    const char *text = expr_text(p->arena, e);
    int g = group_of(ap, e, text);
    if (g >= 0)
        return agg_colref(p, g, e->span);
    if (e->kind == SL_E_CALL && e->name.name) {
        const sl_function *f = sl_registry_find(ap->in_sc->registry, e->name.name);
        if (f && f->kind == SL_FN_AGGREGATE) {
            int i = agg_call(ap, e, f);
            return i < 0 ? NULL : agg_colref(p, p->ngroup + i, e->span);
        }
    }
    if (e->kind == SL_E_COLUMN && e->name.name &&
        sl_schema_find(ap->in, e->qualifier.name, e->name.name) >= 0 &&
        !(is_pseudocolumn(e->name.name) && !e->qualifier.name)) {
        sl_error_set(ap->err, SL_ERR_ANALYSIS, e->span,
                     "Non-aggregate %s expression(s) not part of GROUP BY: %s", clause, text);
        return NULL;
    }
    sl_expr *n = sl_arena_alloc(p->arena, sizeof *n);
    *n = *e;
    if ((e->a && !(n->a = agg_rewrite(ap, e->a, clause))) ||
        (e->b && !(n->b = agg_rewrite(ap, e->b, clause))) ||
        (e->c && !(n->c = agg_rewrite(ap, e->c, clause))))
        return NULL;
    if (e->list.n > 0) {
        n->list.items = sl_arena_alloc(p->arena, (size_t)e->list.n * sizeof *n->list.items);
        n->list.cap = e->list.n;
        for (int i = 0; i < e->list.n; i++)
            if (!(n->list.items[i] = agg_rewrite(ap, e->list.items[i], clause)))
                return NULL;
    }
    return n;
}

/*
 * The aggregation part of a plan: GROUP BY, aggregate calls, WINDOW,
 * HAVING, the projection over agg rows and the output schema (the GROUP BY
 * values are the key, as ksqlDB keys an aggregation).
 */
static int plan_aggregate(sl_plan *p, const sl_select *q, const sl_scope *in_sc, sl_error *err)
{
    sl_arena *a = p->arena;
    const sl_schema *in = &p->input.schema;
    aggplan ap = {0};
    ap.p = p;
    ap.q = q;
    ap.in_sc = in_sc;
    ap.in = in;
    ap.err = err;
    if (q->window.kind != SL_WIN_NONE && sl_window_spec_from_ast(&p->win, &q->window, err))
        return -1;
    p->emit_final = q->emit == SL_EMIT_FINAL;

    /* GROUP BY: pre[0..ngroup) and the first columns of agg rows */
    int ng = q->group_by.n;
    p->ngroup = ng;
    p->group_text = sl_arena_zalloc(a, (size_t)ng * sizeof *p->group_text);
    p->group_cols = sl_arena_zalloc(a, (size_t)ng * sizeof *p->group_cols);
    ap.group_src = sl_arena_zalloc(a, (size_t)ng * sizeof *ap.group_src);
    p->agg_schema.cols = sl_arena_zalloc(a, (size_t)ng * sizeof(sl_column));
    p->agg_schema.ncols = ng;
    for (int i = 0; i < ng; i++) {
        const sl_expr *ge = q->group_by.items[i];
        sl_cexpr *ce;
        if (compile_into(p, ge, in_sc, &ce, err))
            return -1;
        const sl_type *t = sl_cexpr_type(ce);
        if (t->kind == SL_NULL)
            return sl_error_set(err, SL_ERR_ANALYSIS, ge->span,
                                "cannot group by NULL: GROUP BY needs a typed expression");
        add_pre(&ap, ce);
        mark_columns(ge, in, p->wanted);
        p->group_text[i] = expr_text(a, ge);
        ap.group_src[i] = ge->kind == SL_E_COLUMN
                              ? sl_schema_find(in, ge->qualifier.name, ge->name.name) : -1;
        for (int j = 0; j < i; j++)
            if (strcmp(p->group_text[j], p->group_text[i]) == 0)
                return sl_error_set(err, SL_ERR_ANALYSIS, ge->span,
                                    "GROUP BY names %s twice", p->group_text[i]);
        sl_column *c = &p->agg_schema.cols[i];
        c->name = sl_arena_printf(a, "KSQL_GROUP_%d", i);
        c->type = t;
        c->kind = SL_COLK_KEY;
        p->group_cols[i].type = t;
        p->group_cols[i].kind = SL_COLK_KEY;
        p->group_cols[i].name = ge->kind == SL_E_COLUMN || ge->kind == SL_E_DEREF
                                    ? dup(a, ge->name.name) : sl_arena_printf(a, "KSQL_COL_%d", i);
    }

    /* grouped by the input's key: no record needs another partition's state */
    int nk = 0;
    bool match = true;
    for (int c = 0; c < in->ncols; c++)
        if (in->cols[c].kind == SL_COLK_KEY) {
            if (nk >= ng || ap.group_src[nk] != c)
                match = false;
            nk++;
        }
    p->group_by_key = match && nk == ng;

    /* the select list and HAVING over agg rows */
    sl_scope asc = *in_sc;
    asc.schema = &p->agg_schema;
    asc.pseudocolumns = true;
    asc.windowed = p->win.kind != SL_WIN_NONE;
    int nitems = q->items.n;
    item *items = sl_arena_zalloc(a, (size_t)(nitems ? nitems : 1) * sizeof *items);
    sl_expr **rewritten = sl_arena_zalloc(a, (size_t)(nitems ? nitems : 1) * sizeof *rewritten);
    for (int i = 0; i < nitems; i++) {
        const sl_select_item *si = q->items.items[i];
        if (si->kind != SL_SEL_EXPR)
            return sl_error_set(err, SL_ERR_ANALYSIS, si->span,
                                "SELECT * cannot be used with GROUP BY: name the grouping "
                                "expressions and aggregates");
        if (!(rewritten[i] = agg_rewrite(&ap, si->expr, "SELECT")))
            return -1;
    }
    if (q->having) {
        sl_expr *hx = agg_rewrite(&ap, q->having, "HAVING");
        if (!hx || compile_into(p, hx, &asc, &p->having, err))
            return -1;
        const sl_type *t = sl_cexpr_type(p->having);
        if (t->kind != SL_BOOLEAN && t->kind != SL_NULL)
            return sl_error_set(err, SL_ERR_ANALYSIS, q->having->span,
                                "HAVING must be BOOLEAN, not %s", sl_type_str(a, t));
        p->having_text = expr_text(a, q->having);
    }
    /* compiled after every aggregate is known: agg_schema is final now */
    for (int i = 0; i < nitems; i++) {
        const sl_select_item *si = q->items.items[i];
        item *it = &items[i];
        it->name = sl_plan_item_name(a, si, i);
        it->span = si->span;
        it->expr = si->expr;
        it->key = -1;
        it->src_col = -1;
        if (compile_into(p, rewritten[i], &asc, &it->ce, err))
            return -1;
        it->type = sl_cexpr_type(it->ce);
        if (it->type->kind == SL_NULL)
            return sl_error_set(err, SL_ERR_ANALYSIS, si->expr->span,
                                "cannot infer the type of NULL in the select list: CAST it, as "
                                "in CAST(NULL AS INT)");
        it->text = expr_text(a, si->expr);
        const sl_expr *rx = rewritten[i];
        if (rx->kind == SL_E_COLUMN && rx->name.name && !rx->qualifier.name)
            for (int g = 0; g < ng; g++)
                if (strcmp(rx->name.name, p->agg_schema.cols[g].name) == 0) {
                    bool taken = false;
                    for (int j = 0; j < i; j++)
                        taken |= items[j].key == g;
                    if (!taken)
                        it->key = g;
                }
        for (int j = 0; j < i; j++)
            if (strcmp(items[j].name, it->name) == 0)
                return sl_error_set(err, SL_ERR_ANALYSIS, it->span,
                                    "duplicate column name `%s` in the result: give one an "
                                    "alias with AS", it->name);
    }
    /* keys: every GROUP BY value, in GROUP BY order */
    for (int g = 0; g < ng; g++) {
        bool found = false;
        for (int i = 0; i < nitems; i++)
            if (items[i].key == g) {
                found = true;
                p->group_cols[g].name = dup(a, items[i].name);  /* the AST goes away */
            }
        if (!found && !p->missing_key[0]) {
            snprintf(p->missing_key, sizeof p->missing_key,
                     "Key missing from projection (ie, SELECT): the query must include the "
                     "grouping expression %s in its projection (eg, SELECT %s ...)",
                     p->group_text[g], p->group_text[g]);
            p->missing_span = nitems ? sl_span_join(q->items.items[0]->span,
                                                    q->items.items[nitems - 1]->span)
                                     : q->span;
        }
    }
    build_output(p, items, nitems, ng);
    p->pre_types = sl_arena_zalloc(a, (size_t)(p->npre + 1) * sizeof *p->pre_types);
    for (int i = 0; i < p->npre; i++)
        p->pre_types[i] = sl_cexpr_type(p->pre_expr[i]);
    return 0;
}

sl_plan *sl_plan_build(const sl_catalog *cat, const sl_select *q, const sl_plan_opts *opts,
                       sl_error *err)
{
    sl_error_clear(err);
    if (!q)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "no query to plan"), NULL;
    const sl_registry *reg = sl_registry_builtin();
    if (!q->from.name.name)
        return sl_error_set(err, SL_ERR_ANALYSIS, q->span,
                            "a streaming query needs a FROM clause"), NULL;
    if (refuse_unsupported(q, reg, err))
        return NULL;
    const sl_source *src = sl_catalog_find_source(cat, q->from.name.name);
    if (!src)
        return sl_error_set(err, SL_ERR_ANALYSIS, q->from.name.span,
                            "stream or table '%s' does not exist", q->from.name.name), NULL;
    if (src->is_table && q->partition_by.n > 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, q->partition_by.items[0]->span,
                            "PARTITION BY is only for streams: '%s' is a table, whose key is "
                            "its PRIMARY KEY", src->name), NULL;
    if (src->window_type && q->group_by.n > 0)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, q->from.name.span,
                            "aggregating the windowed table '%s' is not supported", src->name),
               NULL;

    sl_plan *p = calloc(1, sizeof *p);
    if (!p)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory"), NULL;
    p->arena = sl_arena_new(0);
    sl_arena *a = p->arena;
    p->query_id = dup(a, opts && opts->query_id ? opts->query_id : "TRANSIENT");
    p->reset = opts ? opts->reset : SL_RESET_LATEST;
    p->limit = opts && opts->limit >= 0 ? opts->limit : (q->limit >= 0 ? (int)q->limit : -1);
    p->log_rows = opts && opts->log_rows;
    p->cache_off = opts && opts->cache_off;
    p->state_cache_bytes = opts ? opts->state_cache_bytes : 0;
    p->idle_close_ms = opts ? opts->idle_close_ms : 0;
    p->commit_interval_ms = opts ? opts->commit_interval_ms : 0;
    p->table_in = src->is_table;
    p->table_out = src->is_table || q->group_by.n > 0;
    p->win.kind = SL_WIN_NONE;
    const char *qual = q->from.alias.name ? q->from.alias.name : q->from.name.name;
    copy_source(a, &p->input, src, qual);
    const sl_schema *in = &p->input.schema;
    p->wanted = sl_arena_zalloc(a, (size_t)(in->ncols ? in->ncols : 1) * sizeof(bool));
    p->ts_col = -1;

    sl_scope sc = {0};
    sc.schema = in;
    sc.pseudocolumns = true;
    sc.registry = reg;
    sc.lookup_type = sl_catalog_type_lookup;
    sc.lookup_ud = (void *)cat;
    sc.windowed = src->window_type != NULL;

    /* event time */
    if (p->input.timestamp) {
        p->ts_col = sl_schema_find(in, NULL, p->input.timestamp);
        if (p->ts_col < 0) {
            sl_error_set(err, SL_ERR_ANALYSIS, q->from.name.span,
                         "the TIMESTAMP column '%s' of '%s' is missing", p->input.timestamp,
                         src->name);
            goto fail;
        }
        p->wanted[p->ts_col] = true;
        if (p->input.timestamp_format) {
            p->ts_fmt = sl_dtfmt_compile(a, p->input.timestamp_format,
                                         strlen(p->input.timestamp_format), err);
            if (!p->ts_fmt) {
                err->span = q->from.name.span;
                goto fail;
            }
        }
    }

    /* WHERE */
    if (q->where) {
        if (compile_into(p, q->where, &sc, &p->where, err))
            goto fail;
        const sl_type *t = sl_cexpr_type(p->where);
        if (t->kind != SL_BOOLEAN && t->kind != SL_NULL) {
            sl_error_set(err, SL_ERR_ANALYSIS, q->where->span, "WHERE must be BOOLEAN, not %s",
                         sl_type_str(a, t));
            goto fail;
        }
        p->where_text = expr_text(a, q->where);
        mark_columns(q->where, in, p->wanted);
    }

    if (q->group_by.n > 0) {
        if (plan_aggregate(p, q, &sc, err))
            goto fail;
        return p;
    }

    /* the select list, `*` expanded to key, value and header columns */
    int cap = in->ncols + q->items.n + 1, nitems = 0;
    item *items = sl_arena_zalloc(a, (size_t)cap * sizeof *items);
    for (int i = 0; i < q->items.n; i++) {
        const sl_select_item *si = q->items.items[i];
        if (si->kind == SL_SEL_STAR || si->kind == SL_SEL_QUALIFIED_STAR) {
            if (si->kind == SL_SEL_QUALIFIED_STAR && strcmp(si->qualifier.name, qual) != 0) {
                sl_error_set(err, SL_ERR_ANALYSIS, si->qualifier.span,
                             "'%s' is not a source of this query", si->qualifier.name);
                goto fail;
            }
            int need = nitems + in->ncols + 2 + (q->items.n - i);
            if (need > cap) {
                items = sl_arena_realloc(a, items, (size_t)cap * sizeof *items,
                                         (size_t)need * sizeof *items);
                cap = need;
            }
            bool win_done = !src->window_type;
            for (int c = 0; c < in->ncols; c++) {
                if (!win_done && in->cols[c].kind != SL_COLK_KEY) {
                    /* a windowed source: `*` has the window after the key, as in ksqlDB */
                    win_done = true;
                    static const char *const wcols[] = {"WINDOWSTART", "WINDOWEND"};
                    for (int k = 0; k < 2; k++) {
                        item *wt = &items[nitems++];
                        memset(wt, 0, sizeof *wt);
                        wt->name = wcols[k];
                        wt->type = &SL_TYPE_BIGINT;
                        wt->span = si->span;
                        wt->src_col = -1;
                        wt->key = -1;
                        wt->text = wcols[k];
                        sl_expr *we = sl_expr_new(a, SL_E_COLUMN, si->span);
                        we->name.name = wcols[k];
                        we->name.span = si->span;
                        if (compile_into(p, we, &sc, &wt->ce, err))
                            goto fail;
                    }
                }
                item *it = &items[nitems++];
                memset(it, 0, sizeof *it);
                it->name = in->cols[c].name;
                it->type = in->cols[c].type;
                it->span = si->span;
                it->src_col = c;
                it->key = -1;
                it->text = sl_arena_printf(a, "%s", in->cols[c].name);
                if (!(it->ce = column_ref(p, &sc, &in->cols[c], si->span, err)))
                    goto fail;
                p->wanted[c] = true;
            }
            continue;
        }
        if (nitems == cap) {
            items = sl_arena_realloc(a, items, (size_t)cap * sizeof *items,
                                     (size_t)(cap * 2) * sizeof *items);
            cap *= 2;
        }
        item *it = &items[nitems++];
        memset(it, 0, sizeof *it);
        it->name = sl_plan_item_name(a, si, i);
        it->span = si->span;
        it->expr = si->expr;
        it->key = -1;
        it->src_col = -1;
        if (compile_into(p, si->expr, &sc, &it->ce, err))
            goto fail;
        it->type = sl_cexpr_type(it->ce);
        if (it->type->kind == SL_NULL) {
            sl_error_set(err, SL_ERR_ANALYSIS, si->expr->span,
                         "cannot infer the type of NULL in the select list: CAST it, as in "
                         "CAST(NULL AS INT)");
            goto fail;
        }
        it->text = expr_text(a, si->expr);
        if (si->expr->kind == SL_E_COLUMN) {
            int idx = sl_schema_find(in, si->expr->qualifier.name, si->expr->name.name);
            if (idx >= 0)
                it->src_col = idx;
        }
        mark_columns(si->expr, in, p->wanted);
    }
    for (int i = 0; i < nitems; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(items[i].name, items[j].name) == 0) {
                sl_error_set(err, SL_ERR_ANALYSIS, items[i].span,
                             "duplicate column name `%s` in the result: give one an alias "
                             "with AS", items[i].name);
                goto fail;
            }

    /* the key */
    int nkeys_wanted = 0;
    const char **key_names = NULL;
    sl_span *key_spans = NULL;
    if (q->partition_by.n > 0) {
        p->partitioned = true;
        bool is_null = q->partition_by.n == 1 && q->partition_by.items[0]->kind == SL_E_NULL;
        if (!is_null) {
            p->npart = q->partition_by.n;
            p->part_text = sl_arena_zalloc(a, (size_t)p->npart * sizeof *p->part_text);
            key_names = sl_arena_zalloc(a, (size_t)p->npart * sizeof *key_names);
            key_spans = sl_arena_zalloc(a, (size_t)p->npart * sizeof *key_spans);
            nkeys_wanted = p->npart;
            for (int k = 0; k < p->npart; k++) {
                const sl_expr *pe = q->partition_by.items[k];
                if (pe->kind == SL_E_NULL) {
                    sl_error_set(err, SL_ERR_ANALYSIS, pe->span,
                                 "PARTITION BY NULL cannot be combined with other expressions");
                    goto fail;
                }
                sl_cexpr *ce;
                if (compile_into(p, pe, &sc, &ce, err))
                    goto fail;
                if (sl_cexpr_type(ce)->kind == SL_NULL) {
                    sl_error_set(err, SL_ERR_ANALYSIS, pe->span,
                                 "cannot infer the type of this PARTITION BY expression");
                    goto fail;
                }
                mark_columns(pe, in, p->wanted);
                p->part_text[k] = expr_text(a, pe);
                key_spans[k] = pe->span;
                key_names[k] = pe->kind == SL_E_COLUMN ? pe->name.name
                               : pe->kind == SL_E_DEREF ? pe->name.name
                                                        : sl_arena_printf(a, "KSQL_COL_%d", k);
                for (int i = 0; i < nitems; i++)
                    if (items[i].key < 0 && same_partition_expr(&items[i], pe, p->part_text[k], in)) {
                        items[i].key = k;
                        break;
                    }
            }
        }
    } else {
        int nk = 0;
        for (int c = 0; c < in->ncols; c++)
            if (in->cols[c].kind == SL_COLK_KEY)
                nk++;
        key_names = sl_arena_zalloc(a, (size_t)(nk ? nk : 1) * sizeof *key_names);
        key_spans = sl_arena_zalloc(a, (size_t)(nk ? nk : 1) * sizeof *key_spans);
        int k = 0;
        for (int c = 0; c < in->ncols; c++) {
            if (in->cols[c].kind != SL_COLK_KEY)
                continue;
            key_names[k] = in->cols[c].name;
            key_spans[k] = q->from.name.span;
            for (int i = 0; i < nitems; i++)
                if (items[i].key < 0 && items[i].src_col == c) {
                    items[i].key = k;
                    break;
                }
            k++;
        }
        nkeys_wanted = nk;
    }
    for (int k = 0; k < nkeys_wanted; k++) {
        bool found = false;
        for (int i = 0; i < nitems; i++)
            found |= items[i].key == k;
        if (!found && !p->missing_key[0]) {
            if (p->partitioned)
                snprintf(p->missing_key, sizeof p->missing_key,
                         "Key missing from projection: the query must include the "
                         "partitioning expression %s in its projection (eg, SELECT %s ...)",
                         p->part_text[k], p->part_text[k]);
            else
                snprintf(p->missing_key, sizeof p->missing_key,
                         "Key missing from projection: the query must include the key column "
                         "%s in its projection (eg, SELECT %s ...)", key_names[k],
                         key_names[k]);
            p->missing_span = q->items.n ? sl_span_join(q->items.items[0]->span,
                                                        q->items.items[q->items.n - 1]->span)
                                         : key_spans[k];
        }
    }

    build_output(p, items, nitems, nkeys_wanted);
    return p;
fail:
    sl_plan_free(p);
    return NULL;
}

void sl_plan_free(sl_plan *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nall; i++)
        sl_cexpr_release(p->all[i]);
    sl_arena_free(p->arena);
    free(p);
}

const sl_schema *sl_plan_output(const sl_plan *p) { return &p->out; }

int sl_plan_select_order(const sl_plan *p, const int **order)
{
    *order = p->select_order;
    return p->out.ncols;
}
const sl_source *sl_plan_input(const sl_plan *p) { return &p->input; }
const char *sl_plan_query_id(const sl_plan *p) { return p->query_id; }
int sl_plan_limit(const sl_plan *p) { return p->limit; }
sl_offset_reset sl_plan_reset(const sl_plan *p) { return p->reset; }
const sl_source *sl_plan_sink(const sl_plan *p) { return p->sink; }
bool sl_plan_produces_table(const sl_plan *p) { return p->table_out; }

const sl_window_spec *sl_plan_window_spec(const sl_plan *p)
{
    return p->ngroup > 0 && p->win.kind != SL_WIN_NONE ? &p->win : NULL;
}

sl_window_kind sl_plan_window(const sl_plan *p, int64_t *size_ms)
{
    if (p->win.kind == SL_WIN_NONE && p->ngroup == 0 && p->input.window_type) {
        /* rows of a windowed source keep their windows, as in ksqlDB */
        const char *t = p->input.window_type;
        if (size_ms)
            *size_ms = p->input.window_size_ms;
        return !strcmp(t, "SESSION") ? SL_WIN_SESSION
               : !strcmp(t, "HOPPING") ? SL_WIN_HOPPING : SL_WIN_TUMBLING;
    }
    if (size_ms)
        *size_ms = p->win.kind == SL_WIN_NONE ? 0 : p->win.size;
    return p->win.kind;
}

int sl_plan_check_persistent(const sl_plan *p, sl_error *err)
{
    if (p->missing_key[0])
        return sl_error_set(err, SL_ERR_ANALYSIS, p->missing_span, "%s", p->missing_key);
    return 0;
}

static int same_columns(sl_arena *a, const sl_plan *p, const sl_source *sink, sl_span span,
                        sl_error *err)
{
    int si = 0;
    for (int i = 0; i < sink->schema.ncols; i++)
        if (sink->schema.cols[i].kind == SL_COLK_HEADERS ||
            sink->schema.cols[i].kind == SL_COLK_HEADER)
            return sl_error_set(err, SL_ERR_UNSUPPORTED, span,
                                "'%s' has header column `%s`: queries cannot write headers",
                                sink->name, sink->schema.cols[i].name);
    for (int i = 0; i < p->out.ncols; i++, si++) {
        const sl_column *oc = &p->out.cols[i];
        if (si >= sink->schema.ncols)
            return sl_error_set(err, SL_ERR_ANALYSIS, span,
                                "the query's column `%s` is not in '%s': the result schema "
                                "must match the stream's", oc->name, sink->name);
        const sl_column *sc = &sink->schema.cols[si];
        if (strcmp(oc->name, sc->name) != 0 || (oc->kind == SL_COLK_KEY) != (sc->kind == SL_COLK_KEY))
            return sl_error_set(err, SL_ERR_ANALYSIS, span,
                                "the query's %s column %d is `%s` but '%s' has %s `%s` there: "
                                "the result schema must match the stream's",
                                oc->kind == SL_COLK_KEY ? "key" : "value", i + 1, oc->name,
                                sink->name, sc->kind == SL_COLK_KEY ? "key column" : "column",
                                sc->name);
        if (!sl_type_equal(oc->type, sc->type))
            return sl_error_set(err, SL_ERR_ANALYSIS, span,
                                "column `%s` is %s in the query but %s in '%s'", oc->name,
                                sl_type_str(a, oc->type), sl_type_str(a, sc->type), sink->name);
    }
    if (si < sink->schema.ncols)
        return sl_error_set(err, SL_ERR_ANALYSIS, span,
                            "'%s' has column `%s` that the query does not produce",
                            sink->name, sink->schema.cols[si].name);
    return 0;
}

int sl_plan_bind_sink(sl_plan *p, const sl_source *sink, sl_span span, sl_error *err)
{
    sl_error_clear(err);
    if (!sink)
        return sl_error_set(err, SL_ERR_INTERNAL, span, "no sink to bind");
    if (p->missing_key[0])
        return sl_error_set(err, SL_ERR_ANALYSIS, p->missing_span, "%s", p->missing_key);
    if (p->limit >= 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, span,
                            "LIMIT is only for transient queries: a persistent query writing "
                            "'%s' runs until it is terminated", sink->name);
    if (sink->is_table != p->table_out)
        return sl_error_set(err, SL_ERR_ANALYSIS, span,
                            "'%s' is a %s but the query produces a %s", sink->name,
                            sink->is_table ? "table" : "stream",
                            p->table_out ? "table" : "stream");
    if (sink->is_source)
        return sl_error_set(err, SL_ERR_ANALYSIS, span,
                            "'%s' is a read-only SOURCE stream: queries cannot write to it",
                            sink->name);
    if (strcmp(sink->kafka_topic, p->input.kafka_topic) == 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, span,
                            "'%s' writes to topic '%s', which the query reads: a query cannot "
                            "write to its own input", sink->name, sink->kafka_topic);
    sl_arena *tmp = sl_arena_new(0);
    int rc = same_columns(tmp, p, sink, span, err);
    sl_arena_free(tmp);
    if (rc)
        return -1;
    sl_source *s = sl_arena_zalloc(p->arena, sizeof *s);
    copy_source(p->arena, s, sink, NULL);
    p->sink = s;
    return 0;
}

/* ---- EXPLAIN ---- */

static void schema_text(sl_buf *out, const sl_schema *s)
{
    for (int i = 0; i < s->ncols; i++) {
        const sl_column *c = &s->cols[i];
        sl_buf_printf(out, "%s`%s` ", i ? ", " : "", c->name);
        sl_type_format(out, c->type);
        if (c->kind == SL_COLK_KEY)
            sl_buf_puts(out, " KEY");
        else if (c->kind == SL_COLK_HEADERS)
            sl_buf_puts(out, " HEADERS");
        else if (c->kind == SL_COLK_HEADER)
            sl_buf_printf(out, " HEADER('%s')", c->header_key ? c->header_key : "");
    }
}

static void formats_text(sl_buf *out, const sl_source *s)
{
    sl_buf_printf(out, "topic '%s', KEY_FORMAT %s, VALUE_FORMAT %s", s->kafka_topic,
                  s->key_format ? s->key_format : "KAFKA",
                  s->value_format ? s->value_format : "JSON");
    if (s->value_delimiter)
        sl_buf_printf(out, ", VALUE_DELIMITER '%s'", s->value_delimiter);
    if (s->wrap_single_value >= 0)
        sl_buf_printf(out, ", WRAP_SINGLE_VALUE %s", s->wrap_single_value ? "true" : "false");
}

void sl_plan_explain(const sl_plan *p, sl_buf *out)
{
    sl_buf_printf(out, "Query %s: %s\n", p->query_id,
                  p->sink ? "persistent" : "transient");
    sl_buf_printf(out, "  1 SOURCE  %s (", p->input.name);
    formats_text(out, &p->input);
    sl_buf_puts(out, ")\n            schema: ");
    schema_text(out, &p->input.schema);
    sl_buf_puts(out, "\n            columns read: ");
    int n = 0;
    for (int i = 0; i < p->input.schema.ncols; i++)
        if (p->wanted[i])
            sl_buf_printf(out, "%s%s", n++ ? ", " : "", p->input.schema.cols[i].name);
    if (!n)
        sl_buf_puts(out, "(none)");
    sl_buf_printf(out, "\n            event time: %s", p->input.timestamp ? p->input.timestamp : "ROWTIME");
    if (p->input.timestamp_format)
        sl_buf_printf(out, " (format '%s')", p->input.timestamp_format);
    sl_buf_printf(out, "; start: %s\n", p->reset == SL_RESET_EARLIEST ? "earliest" : "latest");
    int step = 2;
    if (p->where)
        sl_buf_printf(out, "  %d FILTER  WHERE %s%s\n", step++, p->where_text,
                      p->table_in && !p->ngroup ? " (rows that fail it are deleted)" : "");
    if (p->ngroup) {
        sl_buf_printf(out, "  %d AGGREGATE GROUP BY ", step++);
        for (int g = 0; g < p->ngroup; g++)
            sl_buf_printf(out, "%s%s", g ? ", " : "", p->group_text[g]);
        sl_buf_puts(out, "\n            aggregates: ");
        for (int i = 0; i < p->nagg; i++)
            sl_buf_printf(out, "%s%s", i ? ", " : "", p->agg_text[i]);
        if (!p->nagg)
            sl_buf_puts(out, "(none)");
        if (p->table_in)
            sl_buf_puts(out, " (a row's old value is retracted before its new one is added)");
        if (p->win.kind != SL_WIN_NONE) {
            static const char *const kinds[] = {"", "TUMBLING", "HOPPING", "SESSION"};
            sl_buf_printf(out, "\n            window: %s, %s %lld ms", kinds[p->win.kind],
                          p->win.kind == SL_WIN_SESSION ? "gap" : "size", (long long)p->win.size);
            if (p->win.kind == SL_WIN_HOPPING)
                sl_buf_printf(out, ", advance %lld ms", (long long)p->win.advance);
            sl_buf_printf(out, ", grace %lld ms, retention %lld ms", (long long)p->win.grace,
                          (long long)p->win.retention);
        }
        sl_buf_printf(out, "\n            emit: %s\n", p->emit_final ? "FINAL (one row per window, when it closes)"
                                                                : "CHANGES");
        if (p->having)
            sl_buf_printf(out, "  %d HAVING  %s (groups that fail it are deleted)\n", step++,
                          p->having_text);
    }
    if (p->partitioned) {
        sl_buf_printf(out, "  %d REKEY   PARTITION BY ", step++);
        if (!p->npart)
            sl_buf_puts(out, "NULL (no key)");
        for (int k = 0; k < p->npart; k++)
            sl_buf_printf(out, "%s%s", k ? ", " : "", p->part_text[k]);
        sl_buf_putc(out, '\n');
    }
    sl_buf_printf(out, "  %d PROJECT ", step++);
    for (int i = 0; i < p->out.ncols; i++) {
        const char *t = p->out_text[i];
        if (strcmp(t, p->out.cols[i].name) == 0)
            sl_buf_printf(out, "%s%s", i ? ", " : "", t);
        else
            sl_buf_printf(out, "%s%s AS %s", i ? ", " : "", t, p->out.cols[i].name);
    }
    sl_buf_puts(out, "\n            schema: ");
    schema_text(out, &p->out);
    sl_buf_putc(out, '\n');
    if (p->sink) {
        sl_buf_printf(out, "  %d SINK    %s (", step++, p->sink->name);
        formats_text(out, p->sink);
        sl_buf_puts(out, ")\n");
    } else {
        sl_buf_printf(out, "  %d RESULTS to the client", step++);
        if (p->limit >= 0)
            sl_buf_printf(out, ", LIMIT %d", p->limit);
        sl_buf_putc(out, '\n');
    }
}
