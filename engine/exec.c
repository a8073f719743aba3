/*
 * exec.c: sessions and the statement executor.
 *
 * Does: walk a text statement by statement (sl_parser_next, with `${x}`
 * resolved through the session's DEFINEs), one arena per statement; run
 * what this milestone can (DDL into the catalog, SHOW, DESCRIBE, SET/UNSET,
 * DEFINE/UNDEFINE, RUN SCRIPT, SELECT over constants); check everything
 * else as far as the catalog allows (sources exist, expressions type-check
 * against their schemas) and then refuse it with SL_ERR_UNSUPPORTED saying
 * what is missing; write results and rendered errors to the session's
 * streams; stop a script at the first failure.
 *
 * Does not: plan or run queries, touch storage, or format output itself
 * (render.c does).
 */
#include "exec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "expr.h"
#include "func.h"
#include "render.h"
#include "../grammar/parse.h"

#define MAX_SCRIPT_DEPTH 16

struct sl_session {
    sl_output output;
    FILE *out;
    FILE *err;
    char *data_dir;
    sl_catalog *cat;
    int depth;              /* RUN SCRIPT nesting */
};

sl_session *sl_session_new(const sl_session_opts *opts, sl_error *err)
{
    sl_session *s = calloc(1, sizeof *s);
    if (!s) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    s->output = opts ? opts->output : SL_OUTPUT_TABLE;
    s->out = opts && opts->out ? opts->out : stdout;
    s->err = opts && opts->err ? opts->err : stderr;
    s->data_dir = strdup(opts && opts->data_dir ? opts->data_dir : "./sluice-data");
    s->cat = sl_catalog_new();
    if (!s->data_dir) {
        sl_session_free(s);
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    return s;
}

void sl_session_free(sl_session *s)
{
    if (!s)
        return;
    sl_catalog_free(s->cat);
    free(s->data_dir);
    free(s);
}

int sl_session_define(sl_session *s, const char *name, const char *value, sl_error *err)
{
    return sl_catalog_define(s->cat, name, value, err);
}

const char *sl_session_variable(const sl_session *s, const char *name)
{
    return sl_catalog_variable(s->cat, name);
}

sl_catalog *sl_session_catalog(sl_session *s) { return s->cat; }

FILE *sl_session_out(sl_session *s) { return s->out; }

/* ---- small helpers ---- */

/* An error that was already written (a failed nested script). */
#define ERR_REPORTED(err) ((err)->code == SL_OK)

static const char *kw(bool is_table) { return is_table ? "TABLE" : "STREAM"; }
static const char *Kw(bool is_table) { return is_table ? "Table" : "Stream"; }

static sl_value str_value(const char *s)
{
    if (!s)
        return sl_null();
    return sl_string_ref(s, (uint32_t)strlen(s));
}

static sl_scope make_scope(sl_session *s, const sl_schema *schema)
{
    sl_scope sc = {0};
    sc.schema = schema;
    sc.pseudocolumns = schema != NULL;
    sc.registry = sl_registry_builtin();
    sc.lookup_type = sl_catalog_type_lookup;
    sc.lookup_ud = s->cat;
    return sc;
}

static sl_span head_span(const sl_stmt *st, uint32_t n)
{
    sl_span sp = st->span;
    if (sp.off != SL_NOPOS && sp.len > n)
        sp.len = n;
    return sp;
}

/* Compiled expressions that may hold prepared state, released at the end. */
typedef struct compiled {
    sl_cexpr **items;
    int n, cap;
} compiled;

static void compiled_add(compiled *c, sl_arena *a, sl_cexpr *e)
{
    if (c->n == c->cap) {
        int ncap = c->cap ? c->cap * 2 : 8;
        c->items = sl_arena_realloc(a, c->items, (size_t)c->cap * sizeof *c->items,
                                    (size_t)ncap * sizeof *c->items);
        c->cap = ncap;
    }
    c->items[c->n++] = e;
}

static void compiled_release(compiled *c)
{
    for (int i = 0; i < c->n; i++)
        sl_cexpr_release(c->items[i]);
    c->n = 0;
}

static sl_cexpr *compile(const sl_expr *e, const sl_scope *sc, sl_arena *a, compiled *cl,
                         sl_error *err)
{
    sl_cexpr *ce = sl_expr_compile(e, sc, a, err);
    if (ce)
        compiled_add(cl, a, ce);
    return ce;
}

static int want_boolean(const sl_cexpr *ce, const char *clause, sl_span span, sl_arena *a,
                        sl_error *err)
{
    const sl_type *t = sl_cexpr_type(ce);
    if (t->kind == SL_BOOLEAN || t->kind == SL_NULL)
        return 0;
    return sl_error_set(err, SL_ERR_ANALYSIS, span, "%s must be BOOLEAN, not %s", clause,
                        sl_type_str(a, t));
}

/* ---- queries ---- */

/* What a checked SELECT produces. */
typedef struct qshape {
    int ncols;
    const char **names;
    const sl_type **types;
    sl_cexpr **exprs;           /* NULL entries for columns copied by `*` */
    sl_span *spans;
    bool is_table;              /* produces a TABLE (ksqlDB's rules) */
    bool constant;              /* no FROM */
} qshape;

/* The output name of an unaliased select item, as ksqlDB names it. */
static const char *item_name(sl_arena *a, const sl_select_item *it, int index)
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

static int add_out(qshape *q, sl_arena *a, int *cap, const char *name, const sl_type *t,
                   sl_cexpr *ce, sl_span span, sl_error *err)
{
    for (int i = 0; i < q->ncols; i++)
        if (strcmp(q->names[i], name) == 0)
            return sl_error_set(err, SL_ERR_ANALYSIS, span,
                                "duplicate column name `%s` in the result: give one an alias "
                                "with AS", name);
    if (q->ncols == *cap) {
        int ncap = *cap ? *cap * 2 : 8;
        q->names = sl_arena_realloc(a, q->names, (size_t)*cap * sizeof *q->names,
                                    (size_t)ncap * sizeof *q->names);
        q->types = sl_arena_realloc(a, q->types, (size_t)*cap * sizeof *q->types,
                                    (size_t)ncap * sizeof *q->types);
        q->exprs = sl_arena_realloc(a, q->exprs, (size_t)*cap * sizeof *q->exprs,
                                    (size_t)ncap * sizeof *q->exprs);
        q->spans = sl_arena_realloc(a, q->spans, (size_t)*cap * sizeof *q->spans,
                                    (size_t)ncap * sizeof *q->spans);
        *cap = ncap;
    }
    q->names[q->ncols] = name;
    q->types[q->ncols] = t;
    q->exprs[q->ncols] = ce;
    q->spans[q->ncols] = span;
    q->ncols++;
    return 0;
}

static const sl_source *find_relation(sl_session *s, const sl_relation *r, sl_error *err)
{
    const sl_source *src = sl_catalog_find_source(s->cat, r->name.name);
    if (!src)
        sl_error_set(err, SL_ERR_ANALYSIS, r->name.span,
                     "stream or table '%s' does not exist", r->name.name ? r->name.name : "");
    return src;
}

static void append_columns(sl_arena *a, sl_schema *sch, const sl_source *src, const char *qual)
{
    int n = sch->ncols + src->schema.ncols;
    sl_column *cols = sl_arena_zalloc(a, (size_t)(n ? n : 1) * sizeof *cols);
    if (sch->ncols)
        memcpy(cols, sch->cols, (size_t)sch->ncols * sizeof *cols);
    for (int i = 0; i < src->schema.ncols; i++) {
        cols[sch->ncols + i] = src->schema.cols[i];
        cols[sch->ncols + i].qualifier = qual;
    }
    sch->cols = cols;
    sch->ncols = n;
}

/*
 * The expression compiler knows scalar functions only. For the SELECT list
 * and HAVING of a query, each aggregate or table function call is checked
 * here (arguments compiled as scalars, overload resolved) and replaced by a
 * column of its result type, as ksqlDB's analyzer does, so the expression
 * around it compiles as usual.
 */
typedef struct aggctx {
    sl_session *s;
    const sl_scope *scalar;     /* scope for the calls' arguments */
    sl_schema *ext;             /* the input schema plus one column per call */
    sl_arena *a;
    compiled *cl;
    int naggs;                  /* aggregate calls seen */
    int ntables;                /* table function calls seen */
    sl_span first;              /* the first such call */
    sl_error *err;
} aggctx;

static sl_expr *rewrite_calls(aggctx *x, const sl_expr *e);

static sl_expr *call_column(aggctx *x, const sl_expr *e, const sl_function *f)
{
    int na = e->list.n;
    const sl_type **at = sl_arena_zalloc(x->a, (size_t)(na + 1) * sizeof *at);
    int *arity = sl_arena_zalloc(x->a, (size_t)(na + 1) * sizeof *arity);
    for (int i = 0; i < na; i++) {
        const sl_expr *arg = e->list.items[i];
        if (arg->kind == SL_E_LAMBDA) {
            sl_error_set(x->err, SL_ERR_UNSUPPORTED, arg->span,
                         "lambda arguments to %s functions are not supported",
                         f->kind == SL_FN_AGGREGATE ? "aggregate" : "table");
            return NULL;
        }
        sl_cexpr *ce = compile(arg, x->scalar, x->a, x->cl, x->err);
        if (!ce)
            return NULL;
        at[i] = sl_cexpr_type(ce);
    }
    sl_resolved res;
    if (sl_registry_resolve(x->scalar->registry, x->a, f->name, at, arity, na, &res, e->span,
                            x->err) < 0 ||
        sl_registry_finish(&res, x->a, at, na, e->span, x->err) < 0)
        return NULL;
    if (f->kind == SL_FN_AGGREGATE) {
        if (x->naggs++ == 0 && x->ntables == 0)
            x->first = e->span;
    } else if (x->ntables++ == 0 && x->naggs == 0) {
        x->first = e->span;
    }
    sl_schema *sch = x->ext;
    sl_column *cols = sl_arena_zalloc(x->a, (size_t)(sch->ncols + 1) * sizeof *cols);
    if (sch->ncols)
        memcpy(cols, sch->cols, (size_t)sch->ncols * sizeof *cols);
    const char *name = sl_arena_printf(x->a, "KSQL_AGG_VARIABLE_%d", x->naggs + x->ntables);
    cols[sch->ncols].name = name;
    cols[sch->ncols].type = res.ret;
    sch->cols = cols;
    sch->ncols++;
    sl_expr *c = sl_expr_new(x->a, SL_E_COLUMN, e->span);
    c->name.name = name;
    c->name.span = e->span;
    return c;
}

static sl_expr *rewrite_calls(aggctx *x, const sl_expr *e)
{
    if (!e)
        return NULL;
    if (e->kind == SL_E_CALL && e->name.name) {
        const sl_function *f = sl_registry_find(x->scalar->registry, e->name.name);
        if (f && f->kind != SL_FN_SCALAR)
            return call_column(x, e, f);
    }
    sl_expr *n = sl_arena_alloc(x->a, sizeof *n);
    *n = *e;
    if ((e->a && !(n->a = rewrite_calls(x, e->a))) || (e->b && !(n->b = rewrite_calls(x, e->b))) ||
        (e->c && !(n->c = rewrite_calls(x, e->c))))
        return NULL;
    if (e->list.n > 0) {
        n->list.items = sl_arena_alloc(x->a, (size_t)e->list.n * sizeof *n->list.items);
        n->list.cap = e->list.n;
        for (int i = 0; i < e->list.n; i++)
            if (!(n->list.items[i] = rewrite_calls(x, e->list.items[i])))
                return NULL;
    }
    return n;
}

/*
 * Type-checks a SELECT against the catalog and describes its result. For a
 * SELECT without FROM the items are compiled over constants only.
 */
static int check_query(sl_session *s, const sl_select *q, sl_arena *a, compiled *cl,
                       qshape *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    int cap = 0;
    sl_schema *sch = sl_arena_zalloc(a, sizeof *sch);
    const sl_source *from = NULL;
    bool all_tables = true;

    if (!q->from.name.name) {
        out->constant = true;
        if (q->joins.n || q->window.kind != SL_WIN_NONE || q->group_by.n || q->partition_by.n ||
            q->having)
            return sl_error_set(err, SL_ERR_ANALYSIS, q->span,
                                "JOIN, WINDOW, GROUP BY, PARTITION BY and HAVING need a FROM "
                                "clause");
    } else {
        from = find_relation(s, &q->from, err);
        if (!from)
            return -1;
        all_tables = from->is_table;
        append_columns(a, sch, from, q->from.alias.name ? q->from.alias.name : from->name);
        for (int j = 0; j < q->joins.n; j++) {
            const sl_join *jn = q->joins.items[j];
            const sl_source *r = find_relation(s, &jn->right, err);
            if (!r)
                return -1;
            const char *lq = q->from.alias.name ? q->from.alias.name : from->name;
            const char *rq = jn->right.alias.name ? jn->right.alias.name : r->name;
            if (strcmp(lq, rq) == 0)
                return sl_error_set(err, SL_ERR_ANALYSIS, jn->right.span,
                                    "'%s' appears twice in the FROM clause: give one an alias",
                                    rq);
            bool left_stream = !all_tables;
            if (left_stream && !r->is_table && !jn->within_before.set)
                return sl_error_set(err, SL_ERR_ANALYSIS, jn->span,
                                    "stream-stream joins need a WITHIN clause");
            if ((!left_stream || r->is_table) && jn->within_before.set)
                return sl_error_set(err, SL_ERR_ANALYSIS, jn->within_before.span,
                                    "WITHIN is only for stream-stream joins");
            if (!left_stream && !r->is_table)
                return sl_error_set(err, SL_ERR_ANALYSIS, jn->right.span,
                                    "a table cannot be joined to stream '%s': put the stream "
                                    "first (stream-table join)", r->name);
            all_tables = all_tables && r->is_table;
            append_columns(a, sch, r, rq);
        }
        /* ON clauses see every joined source */
        sl_scope sc = make_scope(s, sch);
        sc.windowed = from->window_type != NULL;
        for (int j = 0; j < q->joins.n; j++) {
            const sl_join *jn = q->joins.items[j];
            if (!jn->on)
                continue;
            sl_cexpr *ce = compile(jn->on, &sc, a, cl, err);
            if (!ce || want_boolean(ce, "the ON clause", jn->on->span, a, err) < 0)
                return -1;
        }
    }

    sl_scope sc = make_scope(s, from ? sch : NULL);
    sc.windowed = q->window.kind != SL_WIN_NONE || (from && from->window_type);
    if (q->window.kind != SL_WIN_NONE) {
        if (all_tables && from)
            return sl_error_set(err, SL_ERR_ANALYSIS, q->window.span,
                                "WINDOW needs a stream source, not a table");
        if (q->group_by.n == 0)
            return sl_error_set(err, SL_ERR_ANALYSIS, q->window.span,
                                "WINDOW needs a GROUP BY clause");
    }
    if (q->where) {
        sl_cexpr *ce = compile(q->where, &sc, a, cl, err);
        if (!ce || want_boolean(ce, "the WHERE clause", q->where->span, a, err) < 0)
            return -1;
    }
    for (int i = 0; i < q->group_by.n; i++)
        if (!compile(q->group_by.items[i], &sc, a, cl, err))
            return -1;
    for (int i = 0; i < q->partition_by.n; i++)
        if (!compile(q->partition_by.items[i], &sc, a, cl, err))
            return -1;
    if (q->having && q->group_by.n == 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, q->having->span,
                            "HAVING needs a GROUP BY clause");

    /* SELECT list and HAVING: aggregate and table function calls become columns */
    sl_schema *ext = sl_arena_zalloc(a, sizeof *ext);
    *ext = *sch;
    aggctx ax = {s, &sc, ext, a, cl, 0, 0, SL_NOSPAN, err};
    sl_scope isc = sc;
    isc.schema = from ? ext : NULL;
    isc.allow_aggregates = from != NULL;
    for (int i = 0; i < q->items.n; i++) {
        const sl_select_item *it = q->items.items[i];
        if (it->kind == SL_SEL_EXPR) {
            const sl_expr *ex = from ? rewrite_calls(&ax, it->expr) : it->expr;
            if (!ex)
                return -1;
            sl_cexpr *ce = compile(ex, &isc, a, cl, err);
            if (!ce)
                return -1;
            if (add_out(out, a, &cap, item_name(a, it, i), sl_cexpr_type(ce), ce, it->span,
                        err) < 0)
                return -1;
            continue;
        }
        if (!from)
            return sl_error_set(err, SL_ERR_ANALYSIS, it->span, "SELECT * needs a FROM clause");
        const char *qual = it->kind == SL_SEL_QUALIFIED_STAR ? it->qualifier.name : NULL;
        bool found = false;
        for (int c = 0; c < sch->ncols; c++) {
            const sl_column *col = &sch->cols[c];
            if (qual && (!col->qualifier || strcmp(col->qualifier, qual) != 0))
                continue;
            found = true;
            if (col->kind == SL_COLK_HEADERS || col->kind == SL_COLK_HEADER)
                continue;   /* ksqlDB leaves header columns out of `*` */
            const char *name = col->name;
            if (q->joins.n)
                name = sl_arena_printf(a, "%s_%s", col->qualifier, col->name);
            if (add_out(out, a, &cap, name, col->type, NULL, it->span, err) < 0)
                return -1;
        }
        if (qual && !found)
            return sl_error_set(err, SL_ERR_ANALYSIS, it->qualifier.span,
                                "'%s' is not a source of this query", qual);
    }
    if (q->having) {
        const sl_expr *hx = rewrite_calls(&ax, q->having);
        sl_cexpr *ce = hx ? compile(hx, &isc, a, cl, err) : NULL;
        if (!ce || want_boolean(ce, "the HAVING clause", q->having->span, a, err) < 0)
            return -1;
    }
    if (ax.naggs > 0 && q->group_by.n == 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, ax.first,
                            "aggregate functions need a GROUP BY clause");
    if (ax.ntables > 0 && q->group_by.n > 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, ax.first,
                            "table functions cannot be used with GROUP BY");
    out->is_table = from && (q->group_by.n > 0 || all_tables);
    return 0;
}

/* ---- results ---- */

typedef struct rb {           /* a result being built */
    sl_arena *a;
    sl_rcol *cols;
    int ncols;
    sl_value *cells;
    int nrows, cap;
} rb;

static void rb_init(rb *b, sl_arena *a, const sl_rcol *cols, int ncols)
{
    memset(b, 0, sizeof *b);
    b->a = a;
    b->cols = sl_arena_alloc(a, (size_t)ncols * sizeof *cols);
    memcpy(b->cols, cols, (size_t)ncols * sizeof *cols);
    b->ncols = ncols;
}

static sl_value *rb_row(rb *b)
{
    if (b->nrows == b->cap) {
        int ncap = b->cap ? b->cap * 2 : 16;
        b->cells = sl_arena_realloc(b->a, b->cells, (size_t)b->cap * b->ncols * sizeof(sl_value),
                                    (size_t)ncap * b->ncols * sizeof(sl_value));
        b->cap = ncap;
    }
    sl_value *row = b->cells + (size_t)b->nrows * b->ncols;
    for (int i = 0; i < b->ncols; i++)
        row[i] = sl_null();
    b->nrows++;
    return row;
}

static void rb_finish(rb *b, sl_result *r, const char *rows_key)
{
    r->rows_key = rows_key;
    r->cols = b->cols;
    r->ncols = b->ncols;
    r->cells = b->cells;
    r->nrows = b->nrows;
}

#define T_STR (&SL_TYPE_STRING)
#define T_INT (&SL_TYPE_INT)
#define T_BOOL (&SL_TYPE_BOOLEAN)

typedef int (*handler)(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                       sl_error *err);

/* ---- DDL ---- */

static int do_create_source(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                            sl_error *err)
{
    sl_create_result res;
    if (sl_catalog_create_source(s->cat, st, &res, err) < 0)
        return -1;
    r->message = res == SL_CREATED ? sl_arena_printf(a, "%s created", Kw(st->is_table))
                 : res == SL_REPLACED ? sl_arena_printf(a, "%s replaced", Kw(st->is_table))
                 : sl_arena_printf(a, "A %s named %s already exists: nothing changed",
                                   st->is_table ? "table" : "stream", st->name.name);
    return 0;
}

static int do_drop_source(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                          sl_error *err)
{
    const sl_source *src = sl_catalog_find_source(s->cat, st->name.name);
    const char *topic = src && src->kafka_topic ? sl_arena_strdup(a, src->kafka_topic) : "";
    bool dropped;
    if (sl_catalog_drop_source(s->cat, st, &dropped, err) < 0)
        return -1;
    r->message = dropped ? sl_arena_printf(a, "Source `%s` (topic: %s) was dropped.",
                                           st->name.name, topic)
                         : sl_arena_printf(a, "Source `%s` does not exist: nothing dropped.",
                                           st->name.name);
    return 0;
}

static int do_create_type(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                          sl_error *err)
{
    sl_create_result res;
    if (sl_catalog_create_type(s->cat, st, &res, err) < 0)
        return -1;
    const sl_type *t = sl_catalog_find_type(s->cat, st->name.name);
    r->message = res == SL_EXISTED
                     ? sl_arena_printf(a, "Type %s already exists: nothing changed", st->name.name)
                     : sl_arena_printf(a, "Registered custom type with name '%s' and SQL type %s",
                                       st->name.name, sl_type_str(a, t));
    return 0;
}

static int do_drop_type(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                        sl_error *err)
{
    bool dropped;
    if (sl_catalog_drop_type(s->cat, st, &dropped, err) < 0)
        return -1;
    r->message = dropped ? sl_arena_printf(a, "Dropped type '%s'", st->name.name)
                         : sl_arena_printf(a, "Type '%s' does not exist: nothing dropped.",
                                           st->name.name);
    return 0;
}

/* ---- queries and inserts: checked, not executed yet ---- */

static int do_create_as(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                        sl_error *err)
{
    const sl_source *old = sl_catalog_find_source(s->cat, st->name.name);
    if (old && !st->if_not_exists && (!st->or_replace || old->is_table != st->is_table))
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                            "cannot add %s '%s': a %s with the same name already exists",
                            st->is_table ? "table" : "stream", st->name.name,
                            old->is_table ? "table" : "stream");
    if (sl_catalog_check_sink_props(s->cat, st, err) < 0)
        return -1;
    if (!st->query)
        return sl_error_set(err, SL_ERR_INTERNAL, st->span, "CREATE AS without a query");
    compiled cl = {0};
    qshape q;
    int rc = check_query(s, st->query, a, &cl, &q, err);
    compiled_release(&cl);
    if (rc < 0)
        return -1;
    if (q.constant)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->query->span,
                            "CREATE %s AS SELECT needs a FROM clause", kw(st->is_table));
    if (q.is_table != st->is_table)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                            "your SELECT produces a %s: use CREATE %s AS SELECT",
                            kw(q.is_table), kw(q.is_table));
    return sl_error_set(err, SL_ERR_UNSUPPORTED, head_span(st, 6),
                        "CREATE %s AS SELECT is checked but not executed yet: the runtime "
                        "arrives with persistent queries", kw(st->is_table));
}

static const sl_source *insert_target(sl_session *s, const sl_stmt *st, sl_error *err)
{
    const sl_source *t = sl_catalog_find_source(s->cat, st->name.name);
    if (!t) {
        sl_error_set(err, SL_ERR_ANALYSIS, st->name.span, "stream or table '%s' does not exist",
                     st->name.name ? st->name.name : "");
        return NULL;
    }
    if (t->is_source) {
        sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                     "cannot insert into read-only %s '%s' (created with CREATE SOURCE)",
                     t->is_table ? "table" : "stream", t->name);
        return NULL;
    }
    return t;
}

static int do_insert_select(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                            sl_error *err)
{
    const sl_source *t = insert_target(s, st, err);
    if (!t)
        return -1;
    if (t->is_table)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                            "INSERT INTO ... SELECT writes into streams only; '%s' is a table",
                            t->name);
    if (sl_catalog_check_sink_props(s->cat, st, err) < 0)
        return -1;
    compiled cl = {0};
    qshape q;
    int rc = st->query ? check_query(s, st->query, a, &cl, &q, err)
                       : sl_error_set(err, SL_ERR_INTERNAL, st->span, "INSERT without a query");
    compiled_release(&cl);
    if (rc < 0)
        return -1;
    if (q.is_table)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->query->span,
                            "the SELECT produces a table; INSERT INTO needs a stream result");
    for (int i = 0; i < q.ncols; i++) {
        int ci = sl_schema_find(&t->schema, NULL, q.names[i]);
        if (ci < 0)
            return sl_error_set(err, SL_ERR_ANALYSIS, q.spans[i],
                                "column `%s` of the result is not a column of '%s'", q.names[i],
                                t->name);
        if (!sl_type_widens_to(q.types[i], t->schema.cols[ci].type))
            return sl_error_set(err, SL_ERR_ANALYSIS, q.spans[i],
                                "column `%s` is %s in the result but %s in '%s'", q.names[i],
                                sl_type_str(a, q.types[i]),
                                sl_type_str(a, t->schema.cols[ci].type), t->name);
    }
    return sl_error_set(err, SL_ERR_UNSUPPORTED, head_span(st, 6),
                        "INSERT INTO ... SELECT is checked but not executed yet: the runtime "
                        "arrives with persistent queries");
}

static int do_insert_values(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                            sl_error *err)
{
    const sl_source *t = insert_target(s, st, err);
    if (!t)
        return -1;
    int ncols = st->insert_columns.n;
    int *idx = sl_arena_zalloc(a, (size_t)(t->schema.ncols + ncols + 1) * sizeof *idx);
    if (ncols == 0) {
        for (int c = 0; c < t->schema.ncols; c++)
            if (t->schema.cols[c].kind == SL_COLK_KEY || t->schema.cols[c].kind == SL_COLK_VALUE)
                idx[ncols++] = c;
    } else {
        for (int i = 0; i < ncols; i++) {
            const sl_ident *id = &st->insert_columns.items[i];
            int c = sl_schema_find(&t->schema, NULL, id->name);
            if (c < 0 && id->name && strcmp(id->name, "ROWTIME") == 0)
                c = -3;     /* ROWTIME may be given */
            if (c == -1 || c == -2)
                return sl_error_set(err, SL_ERR_ANALYSIS, id->span,
                                    "'%s' has no column `%s`", t->name, id->name);
            for (int j = 0; j < i; j++)
                if (strcmp(st->insert_columns.items[j].name, id->name) == 0)
                    return sl_error_set(err, SL_ERR_ANALYSIS, id->span,
                                        "column `%s` is listed twice", id->name);
            if (c >= 0 && (t->schema.cols[c].kind == SL_COLK_HEADERS ||
                           t->schema.cols[c].kind == SL_COLK_HEADER))
                return sl_error_set(err, SL_ERR_ANALYSIS, id->span,
                                    "cannot insert into header column `%s`", id->name);
            idx[i] = c;
        }
    }
    if (st->values.n != ncols) {
        sl_span sp = st->values.n ? sl_span_join(st->values.items[0]->span,
                                                 st->values.items[st->values.n - 1]->span)
                                  : st->name.span;
        return sl_error_set(err, SL_ERR_ANALYSIS, sp,
                            "expected %d value%s (one per column), got %d", ncols,
                            ncols == 1 ? "" : "s", st->values.n);
    }
    sl_scope sc = make_scope(s, NULL);
    compiled cl = {0};
    int rc = 0;
    for (int i = 0; i < ncols && rc == 0; i++) {
        sl_cexpr *ce = compile(st->values.items[i], &sc, a, &cl, err);
        if (!ce) {
            rc = -1;
            break;
        }
        const sl_type *want = idx[i] >= 0 ? t->schema.cols[idx[i]].type : &SL_TYPE_BIGINT;
        const sl_type *got = sl_cexpr_type(ce);
        if (!sl_type_widens_to(got, want)) {
            if (idx[i] == -3 && got->kind == SL_TIMESTAMP)
                continue;
            rc = sl_error_set(err, SL_ERR_ANALYSIS, st->values.items[i]->span,
                              "a %s value cannot go into column `%s` of type %s",
                              sl_type_str(a, got),
                              idx[i] >= 0 ? t->schema.cols[idx[i]].name : "ROWTIME",
                              sl_type_str(a, want));
        }
    }
    compiled_release(&cl);
    if (rc < 0)
        return -1;
    return sl_error_set(err, SL_ERR_UNSUPPORTED, head_span(st, 6),
                        "INSERT INTO ... VALUES is checked but not executed yet: the runtime "
                        "arrives with the embedded log");
}

static int do_select(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                     sl_error *err)
{
    const sl_select *q = st->query;
    if (!q)
        return sl_error_set(err, SL_ERR_INTERNAL, st->span, "SELECT without a query");
    compiled cl = {0};
    qshape qs;
    if (check_query(s, q, a, &cl, &qs, err) < 0) {
        compiled_release(&cl);
        return -1;
    }
    if (!qs.constant) {
        compiled_release(&cl);
        return sl_error_set(err, SL_ERR_UNSUPPORTED, q->from.span.off != SL_NOPOS
                                                          ? q->from.span : head_span(st, 6),
                            "SELECT ... FROM is checked but not executed yet: the runtime "
                            "arrives with push and pull queries");
    }
    sl_rcol *cols = sl_arena_zalloc(a, (size_t)(qs.ncols ? qs.ncols : 1) * sizeof *cols);
    for (int i = 0; i < qs.ncols; i++) {
        cols[i].title = qs.names[i];
        cols[i].key = qs.names[i];
        cols[i].type = qs.types[i];
    }
    rb b;
    rb_init(&b, a, cols, qs.ncols);
    int rc = 0;
    bool keep = q->limit != 0;
    sl_evalctx cx = {0};
    cx.arena = a;
    if (keep && q->where) {
        sl_scope sc = make_scope(s, NULL);
        sl_cexpr *w = compile(q->where, &sc, a, &cl, err);
        sl_value v;
        if (!w) {
            rc = -1;
        } else {
            cx.nslots = sl_cexpr_slots(w);
            cx.slots = sl_arena_zalloc(a, (size_t)(cx.nslots + 1) * sizeof(sl_value));
            if (sl_cexpr_eval(w, &cx, &v) < 0) {
                *err = cx.err;
                if (err->span.off == SL_NOPOS)
                    err->span = q->where->span;
                rc = -1;
            } else {
                keep = v.kind == SL_BOOLEAN && v.u.b;
            }
        }
    }
    if (rc == 0 && keep) {
        sl_value *row = rb_row(&b);
        for (int i = 0; i < qs.ncols; i++) {
            sl_cexpr *ce = qs.exprs[i];
            cx.nslots = sl_cexpr_slots(ce);
            cx.slots = sl_arena_zalloc(a, (size_t)(cx.nslots + 1) * sizeof(sl_value));
            sl_error_clear(&cx.err);
            if (sl_cexpr_eval(ce, &cx, &row[i]) < 0) {
                *err = cx.err;
                if (err->code == SL_OK)
                    err->code = SL_ERR_EVAL;
                if (err->span.off == SL_NOPOS)
                    err->span = qs.spans[i];
                rc = -1;
                break;
            }
        }
    }
    compiled_release(&cl);
    if (rc < 0)
        return -1;
    r->type = "rows";
    r->rows_as_arrays = true;
    rb_finish(&b, r, "rows");
    return 0;
}

/* ---- SHOW / DESCRIBE ---- */

static void source_rows(sl_session *s, sl_arena *a, sl_result *r, bool tables)
{
    static const sl_rcol cols[] = {
        {"Stream Name", "name", T_STR, 0},
        {"Kafka Topic", "topic", T_STR, 0},
        {"Key Format", "keyFormat", T_STR, 0},
        {"Value Format", "valueFormat", T_STR, 0},
        {"Windowed", "isWindowed", T_BOOL, 0},
    };
    rb b;
    rb_init(&b, a, cols, 5);
    if (tables)
        b.cols[0].title = "Table Name";
    for (int i = 0; i < sl_catalog_source_count(s->cat); i++) {
        const sl_source *src = sl_catalog_source_at(s->cat, i);
        if (src->is_table != tables)
            continue;
        sl_value *row = rb_row(&b);
        row[0] = str_value(src->name);
        row[1] = str_value(src->kafka_topic);
        row[2] = str_value(src->key_format);
        row[3] = str_value(src->value_format);
        row[4] = sl_bool(src->window_type != NULL);
    }
    r->type = tables ? "tables" : "streams";
    rb_finish(&b, r, tables ? "tables" : "streams");
}

static const char *column_marker(sl_arena *a, const sl_source *src, const sl_column *c)
{
    switch (c->kind) {
    case SL_COLK_KEY: return src->is_table ? "(primary key)" : "(key)";   /* as ksqlDB prints them */
    case SL_COLK_HEADERS: return "(headers)";
    case SL_COLK_HEADER: return sl_arena_printf(a, "(header('%s'))", c->header_key);
    default: return NULL;
    }
}

static void describe_source(sl_session *s, sl_arena *a, const sl_source *src, bool extended,
                            sl_result *r)
{
    int nf = 0;
    sl_rfield *f = sl_arena_zalloc(a, 16 * sizeof *f);
    f[nf++] = (sl_rfield){"Name", "name", src->name, 0};
    if (extended) {
        f[nf++] = (sl_rfield){"Type", "type", src->is_table ? "TABLE" : "STREAM", 0};
        if (src->is_source)
            f[nf++] = (sl_rfield){"Read-only", "readOnly", "true", 0};
        f[nf++] = (sl_rfield){"Timestamp field", "timestamp",
                              src->timestamp ? src->timestamp
                                             : "Not set - using <ROWTIME>", 0};
        f[nf++] = (sl_rfield){"Key format", "keyFormat", src->key_format, 0};
        f[nf++] = (sl_rfield){"Value format", "valueFormat", src->value_format, 0};
        f[nf++] = (sl_rfield){"Kafka topic", "topic",
                              sl_arena_printf(a, "%s (partitions: %d, replication: %d)",
                                              src->kafka_topic, src->partitions,
                                              src->replicas > 0 ? src->replicas : 1),
                              SL_R_TEXT_ONLY};
        f[nf++] = (sl_rfield){"", "topic", src->kafka_topic, SL_R_JSON_ONLY};
        f[nf++] = (sl_rfield){"", "partitions", sl_arena_printf(a, "%d", src->partitions),
                              SL_R_JSON_ONLY};
        f[nf++] = (sl_rfield){"", "replication",
                              sl_arena_printf(a, "%d", src->replicas > 0 ? src->replicas : 1),
                              SL_R_JSON_ONLY};
        if (src->window_type)
            f[nf++] = (sl_rfield){"Window type", "windowType", src->window_type, 0};
        f[nf++] = (sl_rfield){"Statement", "statement", src->statement, 0};
    }
    static const sl_rcol cols[] = {
        {"Field", "name", T_STR, 0},
        {"Type", "type", T_STR, SL_R_TEXT_ONLY},    /* with the (key) marker */
        {"", "type", T_STR, SL_R_JSON_ONLY},
        {"", "kind", T_STR, SL_R_JSON_ONLY},        /* KEY, PRIMARY_KEY, VALUE, HEADERS... */
        {"", "headerKey", T_STR, SL_R_JSON_ONLY},
    };
    rb b;
    rb_init(&b, a, cols, 5);
    for (int i = 0; i < src->schema.ncols; i++) {
        const sl_column *c = &src->schema.cols[i];
        sl_value *row = rb_row(&b);
        const char *ty = sl_type_str(a, c->type);
        const char *mk = column_marker(a, src, c);
        row[0] = str_value(c->name);
        row[1] = str_value(mk ? sl_arena_printf(a, "%s %s", ty, mk) : ty);
        row[2] = str_value(ty);
        row[3] = str_value(c->kind == SL_COLK_KEY ? (src->is_table ? "PRIMARY_KEY" : "KEY")
                           : c->kind == SL_COLK_HEADERS ? "HEADERS"
                           : c->kind == SL_COLK_HEADER  ? "HEADER" : "VALUE");
        row[4] = str_value(c->kind == SL_COLK_HEADER ? c->header_key : NULL);
    }
    r->type = "sourceDescription";
    r->fields = f;
    r->nfields = nf;
    rb_finish(&b, r, "fields");
    if (!extended)
        r->footer = sl_arena_printf(a, "For more details run: DESCRIBE %s EXTENDED;", src->name);
}

static int do_describe(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                       sl_error *err)
{
    if (st->all) {
        int n = 0;
        sl_result *ch = sl_arena_zalloc(a, (size_t)(sl_catalog_source_count(s->cat) + 1) *
                                               sizeof *ch);
        for (int i = 0; i < sl_catalog_source_count(s->cat); i++) {
            const sl_source *src = sl_catalog_source_at(s->cat, i);
            if (src->is_table == st->is_table)
                describe_source(s, a, src, st->extended, &ch[n++]);
        }
        for (int i = 0; i < n; i++)
            ch[i].footer = NULL;
        r->type = "source_descriptions";
        r->children = ch;
        r->nchildren = n;
        r->children_key = "sourceDescriptions";
        if (n == 0)
            r->message = st->is_table ? "No tables." : "No streams.";
        return 0;
    }
    const sl_source *src = sl_catalog_find_source(s->cat, st->name.name);
    if (!src)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                            "stream or table '%s' does not exist",
                            st->name.name ? st->name.name : "");
    describe_source(s, a, src, st->extended, r);
    return 0;
}

static const char *fn_kind_name(sl_fn_kind k)
{
    switch (k) {
    case SL_FN_SCALAR: return "SCALAR";
    case SL_FN_AGGREGATE: return "AGGREGATE";
    case SL_FN_TABLE: return "TABLE";
    }
    return "SCALAR";
}

static int do_describe_function(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                                sl_error *err)
{
    const sl_function *fn = st->name.name ? sl_registry_find(sl_registry_builtin(), st->name.name)
                                          : NULL;
    if (!fn)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                            "function '%s' does not exist: SHOW FUNCTIONS lists them",
                            st->name.name ? st->name.name : "");
    sl_rfield *f = sl_arena_zalloc(a, 4 * sizeof *f);
    f[0] = (sl_rfield){"Name", "name", fn->name, 0};
    f[1] = (sl_rfield){"Overview", "description", fn->description, 0};
    f[2] = (sl_rfield){"Type", "type", fn_kind_name(fn->kind), 0};
    f[3] = (sl_rfield){"Category", "category", fn->category, 0};
    static const sl_rcol cols[] = {
        {"Variation", "signature", T_STR, 0},
        {"Description", "description", T_STR, 0},
    };
    rb b;
    rb_init(&b, a, cols, 2);
    sl_buf sig = SL_BUF_INIT;
    for (int i = 0; i < fn->noverloads; i++) {
        sl_buf_reset(&sig);
        sl_overload_format(&sig, fn, &fn->overloads[i]);
        sl_value *row = rb_row(&b);
        row[0] = sl_string_copy(a, sl_buf_cstr(&sig), sig.len);
        row[1] = str_value(fn->overloads[i].doc ? fn->overloads[i].doc : "");
    }
    sl_buf_fini(&sig);
    r->type = "describe_function";
    r->fields = f;
    r->nfields = 4;
    rb_finish(&b, r, "functions");
    return 0;
}

static int do_show(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r, sl_error *err)
{
    rb b;
    switch (st->show) {
    case SL_SHOW_STREAMS:
    case SL_SHOW_TABLES: {
        bool tables = st->show == SL_SHOW_TABLES;
        if (st->extended) {
            sl_stmt d = *st;
            d.all = true;
            d.is_table = tables;
            return do_describe(s, &d, a, r, err);
        }
        source_rows(s, a, r, tables);
        return 0;
    }
    case SL_SHOW_FUNCTIONS: {
        static const sl_rcol cols[] = {
            {"Function Name", "name", T_STR, 0},
            {"Category", "category", T_STR, 0},
        };
        rb_init(&b, a, cols, 2);
        const sl_registry *reg = sl_registry_builtin();
        for (int i = 0; i < sl_registry_count(reg); i++) {
            const sl_function *fn = sl_registry_at(reg, i);
            sl_value *row = rb_row(&b);
            row[0] = str_value(fn->name);
            row[1] = str_value(fn->category);
        }
        r->type = "function_names";
        rb_finish(&b, r, "functions");
        return 0;
    }
    case SL_SHOW_TYPES: {
        static const sl_rcol cols[] = {
            {"Type Name", "name", T_STR, 0},
            {"Schema", "schema", T_STR, 0},
        };
        rb_init(&b, a, cols, 2);
        for (int i = 0; i < sl_catalog_type_count(s->cat); i++) {
            const sl_custom_type *t = sl_catalog_type_at(s->cat, i);
            sl_value *row = rb_row(&b);
            row[0] = str_value(t->name);
            row[1] = str_value(sl_type_str(a, t->type));
        }
        r->type = "type_list";
        rb_finish(&b, r, "types");
        return 0;
    }
    case SL_SHOW_VARIABLES: {
        static const sl_rcol cols[] = {
            {"Variable Name", "name", T_STR, 0},
            {"Value", "value", T_STR, 0},
        };
        rb_init(&b, a, cols, 2);
        for (int i = 0; i < sl_catalog_variable_count(s->cat); i++) {
            const char *name;
            const char *v = sl_catalog_variable_at(s->cat, i, &name);
            sl_value *row = rb_row(&b);
            row[0] = str_value(name);
            row[1] = str_value(v);
        }
        r->type = "variables";
        rb_finish(&b, r, "variables");
        return 0;
    }
    case SL_SHOW_PROPERTIES: {
        static const sl_rcol cols[] = {
            {"Property", "name", T_STR, 0},
            {"Scope", "scope", T_STR, 0},
            {"Value", "value", T_STR, 0},
        };
        rb_init(&b, a, cols, 3);
        const sl_property_info *known = sl_catalog_known_properties();
        /* merge the known properties with the SET ones, by name */
        int nk = 0;
        while (known[nk].name)
            nk++;
        int ns = sl_catalog_property_count(s->cat), ik = 0, is = 0;
        while (ik < nk || is < ns) {
            const char *sname = NULL;
            const char *sval = is < ns ? sl_catalog_property_at(s->cat, is, &sname) : NULL;
            int c = ik >= nk ? 1 : is >= ns ? -1 : strcmp(known[ik].name, sname);
            sl_value *row = rb_row(&b);
            if (c < 0) {
                row[0] = str_value(known[ik].name);
                row[1] = str_value("DEFAULT");
                row[2] = str_value(known[ik].def);
                ik++;
            } else {
                row[0] = str_value(sname);
                row[1] = str_value("SESSION");
                row[2] = str_value(sval);
                is++;
                if (c == 0)
                    ik++;
            }
        }
        r->type = "properties";
        rb_finish(&b, r, "properties");
        return 0;
    }
    case SL_SHOW_QUERIES: {
        static const sl_rcol cols[] = {
            {"Query ID", "id", T_STR, 0},
            {"Query Type", "queryType", T_STR, 0},
            {"Status", "state", T_STR, 0},
            {"Sink Name", "sinks", T_STR, 0},
            {"Query String", "queryString", T_STR, 0},
        };
        rb_init(&b, a, cols, 5);
        r->type = "queries";
        rb_finish(&b, r, "queries");
        return 0;
    }
    case SL_SHOW_TOPICS:
    case SL_SHOW_ALL_TOPICS:
        return sl_error_set(err, SL_ERR_UNSUPPORTED, head_span(st, 4),
                            "SHOW TOPICS is not executed yet: the runtime arrives with the "
                            "embedded log");
    }
    return sl_error_set(err, SL_ERR_INTERNAL, st->span, "unknown SHOW");
}

/* ---- SET / UNSET / DEFINE / UNDEFINE ---- */

static const char *stmt_key(const sl_stmt *st)
{
    return st->str ? st->str : st->name.name;
}

static int do_set(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r, sl_error *err)
{
    const char *k = stmt_key(st);
    const char *old = sl_catalog_property(s->cat, k);
    old = old ? sl_arena_strdup(a, old) : NULL;
    if (sl_catalog_set_property(s->cat, k, st->str2, st->span, err) < 0)
        return -1;
    const char *now = sl_catalog_property(s->cat, k);
    r->message = old ? sl_arena_printf(a, "Successfully changed local property '%s' from '%s' "
                                          "to '%s'.", k, old, now)
                     : sl_arena_printf(a, "Successfully changed local property '%s' to '%s'.",
                                       k, now);
    return 0;
}

static int do_unset(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r, sl_error *err)
{
    const char *k = stmt_key(st);
    const char *old = sl_catalog_unset_property(s->cat, k, a);
    r->message = old ? sl_arena_printf(a, "Successfully unset local property '%s' (value was "
                                          "'%s').", k, old)
                     : sl_arena_printf(a, "Local property '%s' was not set: nothing changed.",
                                       k ? k : "");
    return 0;
}

static int do_define(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r, sl_error *err)
{
    if (sl_catalog_define(s->cat, stmt_key(st), st->str2, err) < 0) {
        if (err->span.off == SL_NOPOS)
            err->span = st->name.span.off != SL_NOPOS ? st->name.span : st->span;
        return -1;
    }
    return 0;
}

static int do_undefine(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                       sl_error *err)
{
    const char *k = stmt_key(st);
    if (!sl_catalog_undefine(s->cat, k))
        r->message = sl_arena_printf(a, "Variable '%s' was not defined: nothing changed.",
                                     k ? k : "");
    return 0;
}

/* ---- the rest ---- */

static int do_not_yet(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                      sl_error *err)
{
    const char *what = "this statement";
    const char *with = "the runtime";
    switch (st->kind) {
    case SL_S_EXPLAIN: what = "EXPLAIN"; with = "the planner"; break;
    case SL_S_PRINT: what = "PRINT"; with = "the embedded log"; break;
    case SL_S_ASSERT_TOPIC: what = "ASSERT TOPIC"; with = "the embedded log"; break;
    case SL_S_ASSERT_SCHEMA: what = "ASSERT SCHEMA"; with = "a schema registry"; break;
    default: break;
    }
    return sl_error_set(err, SL_ERR_UNSUPPORTED, head_span(st, 6),
                        "%s is not executed yet: the runtime arrives with %s", what, with);
}

static int do_explain(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                      sl_error *err)
{
    if (st->explained) {
        /* check the statement as far as we can, then say what is missing */
        sl_stmt_kind k = st->explained->kind;
        if (k == SL_S_SELECT || k == SL_S_CREATE_AS || k == SL_S_INSERT_SELECT) {
            compiled cl = {0};
            qshape q;
            int rc = st->explained->query
                         ? check_query(s, st->explained->query, a, &cl, &q, err) : 0;
            compiled_release(&cl);
            if (rc < 0)
                return -1;
        }
        return do_not_yet(s, st, a, r, err);
    }
    return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span, "query '%s' does not exist",
                        st->name.name ? st->name.name : "");
}

static int do_query_control(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                            sl_error *err)
{
    const char *verb = st->kind == SL_S_TERMINATE ? "terminate"
                       : st->kind == SL_S_PAUSE   ? "pause" : "resume";
    if (st->all) {
        r->message = sl_arena_printf(a, "No queries are running: nothing to %s.", verb);
        return 0;
    }
    return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                        "cannot %s query '%s': no such query is running", verb,
                        st->name.name ? st->name.name : "");
}

static int do_print(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r, sl_error *err)
{
    const char *topic = st->str ? st->str : st->name.name;
    if (topic && sl_catalog_topic_partitions(s->cat, topic) < 0) {
        /* an unquoted name was upper-cased: match topics case-insensitively */
        for (int i = 0; i < sl_catalog_source_count(s->cat); i++) {
            const sl_source *src = sl_catalog_source_at(s->cat, i);
            if (src->kafka_topic && strcasecmp(src->kafka_topic, topic) == 0) {
                topic = src->kafka_topic;
                break;
            }
        }
    }
    if (topic && sl_catalog_topic_partitions(s->cat, topic) < 0)
        return sl_error_set(err, SL_ERR_ANALYSIS,
                            st->name.span.off != SL_NOPOS ? st->name.span : st->span,
                            "topic '%s' does not exist", topic);
    return do_not_yet(s, st, a, r, err);
}

static char *read_file(const char *path, size_t *len, sl_error *err, sl_span span)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_error_set(err, SL_ERR_IO, span, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    sl_buf b = SL_BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sl_buf_append(&b, chunk, n);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        sl_buf_fini(&b);
        sl_error_set(err, SL_ERR_IO, span, "cannot read '%s'", path);
        return NULL;
    }
    *len = b.len;
    if (!b.data)
        return strdup("");
    return b.data;      /* heap memory of the buffer: the caller frees it */
}

static int do_run_script(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                         sl_error *err)
{
    if (!st->str)
        return sl_error_set(err, SL_ERR_INTERNAL, st->span, "RUN SCRIPT without a path");
    if (s->depth >= MAX_SCRIPT_DEPTH)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->span,
                            "RUN SCRIPT nested more than %d deep", MAX_SCRIPT_DEPTH);
    size_t len = 0;
    char *text = read_file(st->str, &len, err, st->span);
    if (!text)
        return -1;
    s->depth++;
    int rc = sl_session_execute(s, text, len, st->str);
    s->depth--;
    free(text);
    if (rc != 0) {
        sl_error_clear(err);    /* already reported by the nested run */
        return -1;
    }
    return 0;
}

static const handler HANDLERS[] = {
    [SL_S_CREATE_SOURCE] = do_create_source,
    [SL_S_CREATE_AS] = do_create_as,
    [SL_S_INSERT_SELECT] = do_insert_select,
    [SL_S_INSERT_VALUES] = do_insert_values,
    [SL_S_DROP_SOURCE] = do_drop_source,
    [SL_S_SHOW] = do_show,
    [SL_S_DESCRIBE] = do_describe,
    [SL_S_DESCRIBE_FUNCTION] = do_describe_function,
    [SL_S_EXPLAIN] = do_explain,
    [SL_S_TERMINATE] = do_query_control,
    [SL_S_PAUSE] = do_query_control,
    [SL_S_RESUME] = do_query_control,
    [SL_S_PRINT] = do_print,
    [SL_S_SET] = do_set,
    [SL_S_UNSET] = do_unset,
    [SL_S_DEFINE] = do_define,
    [SL_S_UNDEFINE] = do_undefine,
    [SL_S_CREATE_TYPE] = do_create_type,
    [SL_S_DROP_TYPE] = do_drop_type,
    [SL_S_ASSERT_TOPIC] = do_not_yet,
    [SL_S_ASSERT_SCHEMA] = do_not_yet,
    [SL_S_RUN_SCRIPT] = do_run_script,
    [SL_S_SELECT] = do_select,
};

/* ---- the statement loop ---- */

static const char *lookup_var(void *ud, const char *name)
{
    return sl_catalog_variable(((sl_session *)ud)->cat, name);
}

static void emit(FILE *f, const sl_buf *b)
{
    if (b->len) {
        fwrite(b->data, 1, b->len, f);
        fflush(f);
    }
}

/* The text of the statement that failed to parse: from `from` to the next ';'. */
static char *failed_text(const char *text, size_t len, size_t from, uint32_t erroff)
{
    if (from > len)
        from = len;
    while (from < len && (text[from] == ' ' || text[from] == '\n' || text[from] == '\t' ||
                          text[from] == '\r'))
        from++;
    size_t end = erroff != SL_NOPOS && erroff > from ? erroff : from;
    while (end < len && text[end] != ';')
        end++;
    if (end > len)
        end = len;
    return strndup(text + from, end - from);
}

int sl_session_execute(sl_session *s, const char *text, size_t len, const char *srcname)
{
    sl_parser *p = sl_parser_new(text, len, lookup_var, s);
    if (!p)
        return 1;
    int status = 0;
    size_t next_off = 0;
    for (;;) {
        sl_arena *a = sl_arena_new(0);
        sl_stmt *st = NULL;
        sl_error err;
        sl_error_clear(&err);
        sl_buf out = SL_BUF_INIT;
        int r = sl_parser_next(p, a, &st, &err);
        if (r == 0) {
            sl_arena_free(a);
            break;
        }
        if (r < 0) {
            char *stmt = failed_text(text, len, next_off, err.span.off);
            if (err.code == SL_OK)
                err.code = SL_ERR_SYNTAX;
            sl_render_error(&out, &err, text, len, srcname, stmt, s->output);
            emit(s->err, &out);
            free(stmt);
            sl_buf_fini(&out);
            sl_arena_free(a);
            status = 1;
            break;
        }
        if (st->span.off != SL_NOPOS)
            next_off = (size_t)st->span.off + st->span.len + 1;
        sl_result res;
        memset(&res, 0, sizeof res);
        res.statement = st->text ? st->text : "";
        res.type = "currentStatus";
        handler h = (unsigned)st->kind < sizeof HANDLERS / sizeof HANDLERS[0]
                        ? HANDLERS[st->kind] : NULL;
        int rc = h ? h(s, st, a, &res, &err)
                   : sl_error_set(&err, SL_ERR_UNSUPPORTED, st->span, "unknown statement");
        if (rc < 0) {
            if (!ERR_REPORTED(&err)) {
                if (err.span.off == SL_NOPOS)
                    err.span = head_span(st, 1);
                sl_render_error(&out, &err, text, len, srcname, res.statement, s->output);
                emit(s->err, &out);
            }
            status = 1;
        } else if (s->output == SL_OUTPUT_JSON || res.message || res.rows_key || res.nfields ||
                   res.children_key) {
            sl_render_result(&out, &res, s->output);
            emit(s->out, &out);
        }
        sl_buf_fini(&out);
        sl_arena_free(a);
        if (status)
            break;
    }
    sl_parser_free(p);
    return status;
}
