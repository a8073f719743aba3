/*
 * exec.c: sessions and the statement executor.
 *
 * Does: walk a text statement by statement (sl_parser_next, with `${x}`
 * resolved through the session's DEFINEs), one arena per statement, and run
 * each the way ksqlDB does: DDL into the catalog, creating topics in the
 * log; CREATE STREAM AS SELECT and INSERT INTO ... SELECT planned
 * (plan.h) and started as persistent queries (runtime.h) with ids built
 * from the journal offset; INSERT INTO ... VALUES encoded (formats/) and
 * appended in one log transaction; transient push queries (rows printed as
 * they arrive, Ctrl-C ends one) and pull queries over streams (a scan to
 * the current end); PRINT; SHOW / DESCRIBE [EXTENDED] / EXPLAIN with the
 * runtime's statistics; TERMINATE / PAUSE / RESUME; SET / UNSET / DEFINE;
 * RUN SCRIPT; ASSERT [NOT] EXISTS TOPIC / STREAM / TABLE (polled until
 * their TIMEOUT). CREATE OR REPLACE upgrades in place: a source may gain
 * columns at the end (catalog.c's rule), a CREATE ... AS SELECT query is
 * swapped under its id when its state stays compatible (query_conflict),
 * going on from its committed positions; an OR REPLACE that says what is
 * already in force changes nothing, so a deployment script can be applied
 * again. Every statement that changes the catalog or the queries is
 * journaled (engine.h) after it succeeded. Writes results and rendered
 * errors to the session's streams; stops a script at the first failure.
 *
 * A session opened with data_dir "" has no engine: it checks everything
 * against its own catalog and refuses what needs the log ("needs a data
 * directory"): the fuzzer and the unit tests use that mode.
 *
 * Does not: plan or run queries itself (plan.c, runtime.c), read or write
 * RocksDB (log/), or format tables and JSON (render.c).
 */
#include "exec.h"

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "config.h"
#include "engine.h"
#include "expr.h"
#include "func.h"
#include "plan.h"
#include "render.h"
#include "runtime.h"
#include "../formats/format.h"
#include "../log/log.h"
#include "../grammar/parse.h"

#define MAX_SCRIPT_DEPTH 16

struct sl_session {
    bool keep_going;        /* go on after a failed statement (--continue) */
    sl_output output;
    FILE *out;
    FILE *err;
    sl_engine *eng;         /* NULL: catalog-only session (data_dir "") */
    bool own_engine;        /* closed with the session */
    sl_catalog *cat;        /* the engine's, or the session's own */
    int depth;              /* RUN SCRIPT nesting */
    const sl_session_rows *rows; /* SELECT results go here, not to out (the server) */
    sl_session_executor remote; /* runs the statements instead (sluice --server URL) */
    void *remote_ud;
};

static sl_session *session_alloc(const sl_session_opts *opts, sl_error *err)
{
    sl_session *s = calloc(1, sizeof *s);
    if (!s) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    s->output = opts ? opts->output : SL_OUTPUT_TABLE;
    s->keep_going = opts && opts->keep_going;
    s->out = opts && opts->out ? opts->out : stdout;
    s->err = opts && opts->err ? opts->err : stderr;
    return s;
}

sl_session *sl_session_new(const sl_session_opts *opts, sl_error *err)
{
    sl_session *s = session_alloc(opts, err);
    if (!s)
        return NULL;
    if (opts && opts->data_dir && !*opts->data_dir) {
        s->cat = sl_catalog_new();      /* catalog only: no log, no queries */
        return s;
    }
    sl_engine_opts eo = {.data_dir = opts ? opts->data_dir : NULL,
                         .bootstrap_servers = opts ? opts->bootstrap_servers : NULL};
    s->eng = sl_engine_open(&eo, err);
    if (!s->eng) {
        free(s);
        return NULL;
    }
    s->own_engine = true;
    s->cat = sl_engine_catalog(s->eng);
    return s;
}

sl_session *sl_session_open(sl_engine *e, const sl_session_opts *opts, sl_error *err)
{
    sl_session *s = session_alloc(opts, err);
    if (!s)
        return NULL;
    s->eng = e;
    s->cat = sl_engine_catalog(e);
    return s;
}

sl_engine *sl_session_engine(sl_session *s) { return s->eng; }

void sl_session_free(sl_session *s)
{
    if (!s)
        return;
    if (!s->eng)
        sl_catalog_free(s->cat);
    else if (s->own_engine)
        sl_engine_close(s->eng);
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

void sl_session_set_rows(sl_session *s, const sl_session_rows *rows) { s->rows = rows; }

void sl_session_set_executor(sl_session *s, sl_session_executor fn, void *ud)
{
    s->remote = fn;
    s->remote_ud = ud;
}

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
            if (add_out(out, a, &cap, sl_plan_item_name(a, it, i), sl_cexpr_type(ce), ce, it->span,
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
#define T_BIGINT (&SL_TYPE_BIGINT)

typedef int (*handler)(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                       sl_error *err);

/* ---- the engine: journal, topics, queries ---- */

static int need_engine(sl_session *s, const sl_stmt *st, const char *what, sl_error *err)
{
    if (s->eng)
        return 0;
    return sl_error_set(err, SL_ERR_UNSUPPORTED, head_span(st, 6),
                        "%s needs a data directory: this session runs without storage", what);
}

/* Appends the statement to the engine's journal with the session's SET
 * properties (a no-op without an engine or while replaying). */
static int journal(sl_session *s, const sl_stmt *st, sl_arena *a, sl_error *err)
{
    if (!s->eng || !st->text)
        return 0;
    int n = sl_catalog_property_count(s->cat);
    sl_catalog_prop *p = sl_arena_zalloc(a, (size_t)(n + 1) * sizeof *p);
    for (int i = 0; i < n; i++)
        p[i].value = sl_catalog_property_at(s->cat, i, &p[i].name);
    const char *text = sl_arena_printf(a, "%s;", st->text);
    return sl_engine_journal(s->eng, text, p, n, err);
}

/* Creates the topic behind src when it does not exist yet. */
static int ensure_topic(sl_session *s, const sl_source *src, bool *created, sl_error *err)
{
    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = src->partitions > 0 ? src->partitions : 1;
    if (src->retention_ms > 0)
        cfg.retention_ms = src->retention_ms;
    return sl_log_create_topic(sl_engine_log(s->eng), src->kafka_topic, &cfg, created, err);
}

/* Removes a source just added to the catalog (a later step failed). */
static void undo_create(sl_session *s, const char *name, bool is_table, sl_span span)
{
    sl_stmt d;
    memset(&d, 0, sizeof d);
    d.kind = SL_S_DROP_SOURCE;
    d.span = span;
    d.is_table = is_table;
    d.name.name = name;
    d.name.span = span;
    bool dropped;
    sl_error e2;
    sl_catalog_drop_source(s->cat, &d, &dropped, &e2);
}

/* The ids of the running queries that read (writers false) or write `name`,
 * as "[A, B]", and how many there are. */
static const char *queries_on(sl_session *s, sl_arena *a, const char *name, bool writers,
                              int *count)
{
    sl_buf b = SL_BUF_INIT;
    int n = 0;
    sl_buf_putc(&b, '[');
    if (s->eng) {
        sl_runtime *rt = sl_engine_runtime(s->eng);
        for (int i = 0; i < sl_runtime_query_count(rt); i++) {
            sl_query *q = sl_runtime_query_at(rt, i);
            const sl_plan *p = sl_query_plan(q);
            const sl_source *src = writers ? sl_plan_sink(p) : sl_plan_input(p);
            if (!src || !src->name || strcmp(src->name, name) != 0)
                continue;
            if (n++)
                sl_buf_puts(&b, ", ");
            sl_buf_puts(&b, sl_query_id(q));
        }
    }
    sl_buf_putc(&b, ']');
    const char *res = sl_arena_strdup(a, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    if (count)
        *count = n;
    return res;
}

/* An error naming the queries that use `name`, or 0 when none does. */
static int refuse_if_used(sl_session *s, const char *name, const char *verb,
                          const char *gerund, sl_span span, sl_arena *a, sl_error *err)
{
    int nr = 0, nw = 0;
    const char *rd = queries_on(s, a, name, false, &nr);
    const char *wr = queries_on(s, a, name, true, &nw);
    if (nr + nw == 0)
        return 0;
    return sl_error_set(err, SL_ERR_ANALYSIS, span,
                        "Cannot %s %s. The following queries read from this source: %s. The "
                        "following queries write into this source: %s. You need to terminate "
                        "them before %s %s.", verb, name, rd, wr, gerund, name);
}

static sl_offset_reset session_reset(sl_session *s)
{
    const char *v = sl_catalog_property(s->cat, "auto.offset.reset");
    return v && strcasecmp(v, "earliest") == 0 ? SL_RESET_EARLIEST : SL_RESET_LATEST;
}

static bool session_log_rows(sl_session *s)
{
    const char *v = sl_catalog_property(s->cat, "ksql.logging.processing.rows.include");
    return v && strcasecmp(v, "true") == 0;
}

/* The record cache of aggregations: cache.max.bytes.buffering (ksqlDB's
 * ksql.streams. name too) of 0 turns it off, so every update is emitted. */
static void session_cache(sl_session *s, sl_plan_opts *po)
{
    const char *v = sl_catalog_property(s->cat, "cache.max.bytes.buffering");
    if (!v)
        v = sl_catalog_property(s->cat, "ksql.streams.cache.max.bytes.buffering");
    po->cache_off = v && strtoll(v, NULL, 10) == 0 && v[strspn(v, " ")] == '0';
    const char *sc = sl_catalog_property(s->cat, "sluice.state.cache.bytes");
    po->state_cache_bytes = sc ? strtoll(sc, NULL, 10) : 0;
    const char *ic = sl_catalog_property(s->cat, "sluice.window.idle.close.ms");
    po->idle_close_ms = ic ? strtoll(ic, NULL, 10) : 0;
    const char *ci = sl_catalog_property(s->cat, "commit.interval.ms");
    if (!ci)
        ci = sl_catalog_property(s->cat, "ksql.streams.commit.interval.ms");
    /* 0 commits every batch; unset: the default */
    po->commit_interval_ms = !ci ? 0 : strtoll(ci, NULL, 10) > 0 ? strtoll(ci, NULL, 10) : -1;
}

/* Under exactly-once a commit ends a Kafka transaction, which the broker
 * aborts once it has been open transaction.timeout.ms: a persistent query
 * that commits less often could never commit. Refused before it starts
 * (not in a replay: the journal holds what was accepted). */
static int check_commit_interval(sl_session *s, const sl_stmt *st, const sl_plan_opts *po,
                                 sl_error *err)
{
    int timeout = s->eng ? sl_engine_txn_timeout_ms(s->eng) : 0;
    if (!timeout || sl_engine_replaying(s->eng) || po->commit_interval_ms < timeout)
        return 0;
    return sl_error_set(err, SL_ERR_ANALYSIS, st->span,
                        "commit.interval.ms is %lld, not below the producer's "
                        "transaction.timeout.ms (%d) that processing.guarantee="
                        "exactly_once_v2 runs with: the broker would abort every transaction "
                        "before its commit. Set commit.interval.ms below %d",
                        (long long)po->commit_interval_ms, timeout, timeout);
}

static const char *query_state_name(sl_query_state st)
{
    switch (st) {
    case SL_QUERY_RUNNING: return "RUNNING";
    case SL_QUERY_PAUSED: return "PAUSED";
    case SL_QUERY_ERROR: return "ERROR";
    case SL_QUERY_STOPPED: return "STOPPED";
    }
    return "UNKNOWN";
}

/* ---- DDL ---- */

static bool is_materialized(const sl_source *src);

/* The S-expression of a statement, OR REPLACE and IF NOT EXISTS left out. */
static const char *stmt_shape(sl_arena *a, const sl_stmt *st)
{
    sl_stmt copy = *st;
    copy.or_replace = copy.if_not_exists = false;
    copy.text = NULL;
    sl_buf b = SL_BUF_INIT;
    sl_stmt_dump(&b, &copy);
    const char *t = sl_arena_strdup(a, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return t;
}

/* Parses the one statement of text into a; NULL when it does not parse. */
static sl_stmt *parse_one(const char *text, sl_arena *a)
{
    if (!text)
        return NULL;
    sl_parser *p = sl_parser_new(text, strlen(text), NULL, NULL);
    sl_stmt *st = NULL;
    sl_error e2;
    int rc = p ? sl_parser_next(p, a, &st, &e2) : -1;
    sl_parser_free(p);
    return rc == 1 ? st : NULL;
}

/* Whether st says what the statement old_text said (a redeployment of the
 * same script): then CREATE OR REPLACE changes nothing. */
static bool same_statement(const char *old_text, const sl_stmt *st, sl_arena *a)
{
    const sl_stmt *o = parse_one(old_text, a);
    return o && strcmp(stmt_shape(a, o), stmt_shape(a, st)) == 0;
}

static int do_create_source(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                            sl_error *err)
{
    const sl_source *old = st->or_replace && st->name.name
                               ? sl_catalog_find_source(s->cat, st->name.name) : NULL;
    if (old && s->eng) {
        /* readers keep their own copy of the old definition, and appended
         * columns change nothing for them; a query's sink is replaced
         * through its query (CREATE OR REPLACE ... AS SELECT) */
        int nw = 0;
        const char *wr = queries_on(s, a, old->name, true, &nw);
        if (nw > 0)
            return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                                "cannot replace %s '%s': the queries %s write into it; "
                                "replace the query with CREATE OR REPLACE %s ... AS SELECT",
                                st->is_table ? "table" : "stream", old->name, wr,
                                kw(st->is_table));
    }
    if (old && old->is_table == st->is_table && same_statement(old->statement, st, a)) {
        r->message = sl_arena_printf(a, "%s %s is already defined so: nothing changed",
                                     Kw(st->is_table), old->name);
        return 0;
    }
    sl_create_result res;
    if (sl_catalog_create_source(s->cat, st, &res, err) < 0)
        return -1;
    if (s->eng && res != SL_EXISTED) {
        /* a replay finds the topics as the journaled statements left them */
        const sl_source *src = sl_catalog_find_source(s->cat, st->name.name);
        if (src && !sl_engine_replaying(s->eng) && ensure_topic(s, src, NULL, err) < 0) {
            if (res == SL_CREATED)
                undo_create(s, st->name.name, st->is_table, st->name.span);
            return -1;
        }
        if (journal(s, st, a, err) < 0)
            return -1;
    }
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
    if (src && s->eng &&
        refuse_if_used(s, src->name, "drop", "dropping", st->name.span, a, err) < 0)
        return -1;
    if (src && st->delete_topic) {
        for (int i = 0; i < sl_catalog_source_count(s->cat); i++) {
            const sl_source *o = sl_catalog_source_at(s->cat, i);
            if (o != src && o->kafka_topic && strcmp(o->kafka_topic, topic) == 0)
                return sl_error_set(err, SL_ERR_ANALYSIS, st->span,
                                    "Refusing to delete topic %s: %s '%s' also uses it", topic,
                                    o->is_table ? "table" : "stream", o->name);
        }
    }
    bool materialized = src && src->is_table && is_materialized(src);
    bool dropped;
    if (sl_catalog_drop_source(s->cat, st, &dropped, err) < 0)
        return -1;
    if (dropped && s->eng && materialized && !sl_engine_replaying(s->eng)) {
        /* the rows kept for pull queries go with the table */
        sl_log_txn *t = sl_log_txn_begin(sl_engine_log(s->eng));
        if (sl_log_txn_delete_range_raw(t, SL_MATERIALIZED_SPACE, topic, strlen(topic) + 1,
                                        NULL, 0, err) < 0) {
            sl_log_txn_abort(t);
            return -1;
        }
        if (sl_log_txn_commit(t, err) < 0)
            return -1;
    }
    if (dropped && s->eng) {
        /* on replay the topic was deleted long ago: one there now is newer */
        if (st->delete_topic && !sl_engine_replaying(s->eng) &&
            sl_catalog_topic_partitions(s->cat, topic) >= 0 &&
            sl_log_delete_topic(sl_engine_log(s->eng), topic, err) < 0)
            return -1;
        if (journal(s, st, a, err) < 0)
            return -1;
    }
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
    if (res != SL_EXISTED && journal(s, st, a, err) < 0)
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
    if (dropped && journal(s, st, a, err) < 0)
        return -1;
    r->message = dropped ? sl_arena_printf(a, "Dropped type '%s'", st->name.name)
                         : sl_arena_printf(a, "Type '%s' does not exist: nothing dropped.",
                                           st->name.name);
    return 0;
}

/* ---- persistent queries ---- */

static bool has_prop(const sl_stmt *st, const char *name)
{
    for (int i = 0; i < st->props.n; i++)
        if (st->props.items[i]->name.name && strcasecmp(st->props.items[i]->name.name, name) == 0)
            return true;
    return false;
}

static void sql_string(sl_buf *b, const char *s)
{
    sl_buf_putc(b, '\'');
    for (; s && *s; s++) {
        if (*s == '\'')
            sl_buf_putc(b, '\'');
        sl_buf_putc(b, *s);
    }
    sl_buf_putc(b, '\'');
}

static void sql_ident(sl_buf *b, const char *s)
{
    sl_buf_putc(b, '`');
    for (; s && *s; s++) {
        if (*s == '`')
            sl_buf_putc(b, '`');
        sl_buf_putc(b, *s);
    }
    sl_buf_putc(b, '`');
}

/*
 * The CREATE STREAM statement of the sink of a CREATE STREAM AS SELECT: the
 * plan's output columns, the statement's WITH properties, and ksqlDB's
 * defaults for the others (topic named after the stream, the source's
 * partition count and formats).
 */
static char *sink_ddl(sl_session *s, const sl_stmt *st, const sl_plan *plan)
{
    const sl_schema *o = sl_plan_output(plan);
    const sl_source *in = sl_plan_input(plan);
    sl_buf b = SL_BUF_INIT;
    bool table = sl_plan_produces_table(plan);
    sl_buf_puts(&b, table ? "CREATE TABLE " : "CREATE STREAM ");
    sql_ident(&b, st->name.name);
    sl_buf_puts(&b, " (");
    int nkeys = 0;
    for (int i = 0; i < o->ncols; i++) {
        if (i)
            sl_buf_puts(&b, ", ");
        sql_ident(&b, o->cols[i].name);
        sl_buf_putc(&b, ' ');
        sl_type_format(&b, o->cols[i].type);
        if (o->cols[i].kind == SL_COLK_KEY) {
            sl_buf_puts(&b, table ? " PRIMARY KEY" : " KEY");
            nkeys++;
        }
    }
    sl_buf_puts(&b, ") WITH (");
    for (int i = 0; i < st->props.n; i++) {
        const sl_property *p = st->props.items[i];
        if (i)
            sl_buf_puts(&b, ", ");
        sl_buf_puts(&b, p->name.name);
        sl_buf_putc(&b, '=');
        sl_expr_print(&b, p->value);
    }
    const char *sep = st->props.n ? ", " : "";
    if (!has_prop(st, "KAFKA_TOPIC")) {
        const char *prefix = sl_catalog_property(s->cat, "ksql.output.topic.name.prefix");
        sl_buf_printf(&b, "%sKAFKA_TOPIC=", sep);
        sl_buf b2 = SL_BUF_INIT;
        sl_buf_printf(&b2, "%s%s", prefix ? prefix : "", st->name.name);
        sql_string(&b, sl_buf_cstr(&b2));
        sl_buf_fini(&b2);
        sep = ", ";
    }
    if (!has_prop(st, "PARTITIONS")) {
        int np = in && in->kafka_topic ? sl_catalog_topic_partitions(s->cat, in->kafka_topic) : 1;
        sl_buf_printf(&b, "%sPARTITIONS=%d", sep, np > 0 ? np : 1);
        sep = ", ";
    }
    if (!has_prop(st, "FORMAT")) {
        if (!has_prop(st, "KEY_FORMAT")) {
            const char *kf = in && in->key_format ? in->key_format : "KAFKA";
            if (nkeys > 0 && strcasecmp(kf, "NONE") == 0) {
                const char *d = sl_catalog_property(s->cat, "ksql.persistence.default.format.key");
                kf = d && *d ? d : "KAFKA";
            }
            sl_buf_printf(&b, "%sKEY_FORMAT=", sep);
            sql_string(&b, kf);
            sep = ", ";
        }
        if (!has_prop(st, "VALUE_FORMAT")) {
            const char *vf = in && in->value_format ? in->value_format : "JSON";
            sl_buf_printf(&b, "%sVALUE_FORMAT=", sep);
            sql_string(&b, vf);
            sep = ", ";
            if (in && in->value_delimiter && !has_prop(st, "VALUE_DELIMITER") &&
                strcasecmp(vf, "DELIMITED") == 0) {
                sl_buf_printf(&b, "%sVALUE_DELIMITER=", sep);
                sql_string(&b, strcmp(in->value_delimiter, "\t") == 0   ? "TAB"
                               : strcmp(in->value_delimiter, " ") == 0 ? "SPACE"
                                                                       : in->value_delimiter);
            }
        }
    }
    int64_t wsize = 0;
    sl_window_kind wk = sl_plan_window(plan, &wsize);
    if (wk == SL_WIN_SESSION)
        sl_buf_printf(&b, "%sWINDOW_TYPE='SESSION'", sep);
    else if (wk != SL_WIN_NONE)
        sl_buf_printf(&b, "%sWINDOW_TYPE='%s', WINDOW_SIZE='%lld MILLISECONDS'", sep,
                      wk == SL_WIN_HOPPING ? "HOPPING" : "TUMBLING", (long long)wsize);
    sl_buf_puts(&b, ");");
    return b.data;
}

/* Adds the sink stream of a CREATE STREAM AS SELECT to the catalog and
 * creates its topic. *made_topic says whether the topic is new. */
/* The CREATE statement of the sink of st, parsed into a. */
static sl_stmt *sink_stmt(sl_session *s, const sl_stmt *st, const sl_plan *plan, sl_arena *a,
                          sl_error *err)
{
    char *ddl = sink_ddl(s, st, plan);
    if (!ddl) {
        sl_error_set(err, SL_ERR_INTERNAL, st->span, "out of memory");
        return NULL;
    }
    const char *text = sl_arena_strdup(a, ddl);
    free(ddl);
    sl_parser *p = sl_parser_new(text, strlen(text), NULL, NULL);
    sl_stmt *cs = NULL;
    int rc = p ? sl_parser_next(p, a, &cs, err) : -1;
    sl_parser_free(p);
    if (rc != 1 || !cs) {
        if (rc != -1)
            sl_error_set(err, SL_ERR_INTERNAL, st->span, "cannot describe the sink stream");
        err->span = st->name.span;
        return NULL;
    }
    cs->text = st->text;        /* DESCRIBE EXTENDED shows the CREATE ... AS SELECT */
    return cs;
}

static const sl_source *create_sink(sl_session *s, const sl_stmt *st, const sl_plan *plan,
                                    sl_arena *a, bool *made_topic, sl_error *err)
{
    sl_stmt *cs = sink_stmt(s, st, plan, a, err);
    if (!cs)
        return NULL;
    sl_create_result res;
    if (sl_catalog_create_source(s->cat, cs, &res, err) < 0) {
        err->span = st->name.span;
        return NULL;
    }
    /* pull queries read what the query's sink materializes (replays come here too) */
    sl_catalog_set_materialized(s->cat, st->name.name, true);
    const sl_source *sink = sl_catalog_find_source(s->cat, st->name.name);
    if (!sink || (!sl_engine_replaying(s->eng) && ensure_topic(s, sink, made_topic, err) < 0)) {
        undo_create(s, st->name.name, st->is_table, st->name.span);
        err->span = st->name.span;
        return NULL;
    }
    return sink;
}

/* Starts plan as persistent query; takes ownership of plan. */
static int start_query(sl_session *s, const sl_stmt *st, sl_plan *plan, sl_arena *a,
                       sl_result *r, sl_error *err)
{
    const char *id = sl_arena_strdup(a, sl_plan_query_id(plan));
    if (sl_engine_start_query(s->eng, plan, st->text, err) < 0) {
        if (err->span.off == SL_NOPOS)
            err->span = head_span(st, 6);
        return -1;
    }
    if (journal(s, st, a, err) < 0) {
        sl_error e2;
        sl_engine_control_query(s->eng, id, SL_QA_TERMINATE, &e2);
        return -1;
    }
    r->message = sl_arena_printf(a, "Created query with ID %s", id);
    return 0;
}

/* ---- CREATE OR REPLACE ... AS SELECT: a query upgraded in place ---- */

/* The id of the CREATE ... AS SELECT query that writes `name` (running, or
 * recorded during replay), or NULL. */
static const char *writer_query(sl_session *s, sl_arena *a, const char *name)
{
    const char **ids = NULL;
    int n = sl_engine_query_ids(s->eng, a, &ids);
    for (int i = 0; i < n; i++) {
        const sl_plan *p = sl_engine_query_plan(s->eng, ids[i]);
        const sl_source *sink = p ? sl_plan_sink(p) : NULL;
        if (sink && sink->name && strcmp(sink->name, name) == 0 &&
            (strncmp(ids[i], "CSAS_", 5) == 0 || strncmp(ids[i], "CTAS_", 5) == 0))
            return ids[i];
    }
    return NULL;
}

static const char *expr_text(sl_arena *a, const sl_expr *e)
{
    if (!e)
        return "";
    sl_buf b = SL_BUF_INIT;
    sl_expr_print(&b, e);
    const char *t = sl_arena_strdup(a, b.len ? sl_buf_cstr(&b) : "");
    sl_buf_fini(&b);
    return t;
}

static bool same_expr(sl_arena *a, const sl_expr *x, const sl_expr *y)
{
    return strcmp(expr_text(a, x), expr_text(a, y)) == 0;
}

static bool same_elist(sl_arena *a, sl_expr *const *x, int nx, sl_expr *const *y, int ny)
{
    if (nx != ny)
        return false;
    for (int i = 0; i < nx; i++)
        if (!same_expr(a, x[i], y[i]))
            return false;
    return true;
}

static bool same_duration(const sl_duration *x, const sl_duration *y)
{
    return x->set == y->set && (!x->set || x->ms == y->ms);
}

/* Appends the aggregate calls of e, in order, as text: what the query keeps
 * state for. */
static void aggregate_calls(sl_buf *b, const sl_expr *e)
{
    if (!e)
        return;
    if (e->kind == SL_E_CALL && e->name.name) {
        const sl_function *f = sl_registry_find(sl_registry_builtin(), e->name.name);
        if (f && f->kind == SL_FN_AGGREGATE) {
            sl_expr_print(b, e);
            sl_buf_puts(b, "; ");
            return;
        }
    }
    aggregate_calls(b, e->a);
    aggregate_calls(b, e->b);
    aggregate_calls(b, e->c);
    for (int i = 0; i < e->list.n; i++)
        aggregate_calls(b, e->list.items[i]);
}

static const char *aggregates_text(sl_arena *a, const sl_select *q)
{
    sl_buf b = SL_BUF_INIT;
    for (int i = 0; i < q->items.n; i++)
        aggregate_calls(&b, q->items.items[i]->expr);
    aggregate_calls(&b, q->having);
    const char *t = sl_arena_strdup(a, b.len ? sl_buf_cstr(&b) : "");
    sl_buf_fini(&b);
    return t;
}

static const char *item_text(sl_arena *a, const sl_select_item *it, int i)
{
    if (it->kind == SL_SEL_STAR)
        return "*";
    if (it->kind == SL_SEL_QUALIFIED_STAR)
        return sl_arena_printf(a, "%s.*", it->qualifier.name);
    return sl_arena_printf(a, "%s AS %s", expr_text(a, it->expr), sl_plan_item_name(a, it, i));
}

/*
 * Whether query n may replace query o in place, keeping its state and
 * positions: the same sources and joins, the same GROUP BY, WINDOW,
 * PARTITION BY, EMIT and aggregate calls, and o's select list as the start
 * of n's. WHERE and HAVING may change. NULL when it may, else what differs.
 */
static const char *query_conflict(sl_arena *a, const sl_select *o, const sl_select *n)
{
    if (!o->from.name.name || !n->from.name.name ||
        strcmp(o->from.name.name, n->from.name.name) != 0)
        return sl_arena_printf(a, "it reads '%s' instead of '%s'",
                               n->from.name.name ? n->from.name.name : "",
                               o->from.name.name ? o->from.name.name : "");
    if (o->joins.n != n->joins.n)
        return "its joins differ";
    for (int j = 0; j < o->joins.n; j++) {
        const sl_join *x = o->joins.items[j], *y = n->joins.items[j];
        if (x->type != y->type || strcmp(x->right.name.name, y->right.name.name) != 0 ||
            !same_duration(&x->within_before, &y->within_before) ||
            !same_duration(&x->within_after, &y->within_after) ||
            !same_duration(&x->grace, &y->grace) || !same_expr(a, x->on, y->on))
            return sl_arena_printf(a, "its join with '%s' differs", x->right.name.name);
    }
    const sl_window *wo = &o->window, *wn = &n->window;
    if (wo->kind != wn->kind || !same_duration(&wo->size, &wn->size) ||
        !same_duration(&wo->advance, &wn->advance) ||
        !same_duration(&wo->grace, &wn->grace) || !same_duration(&wo->retention, &wn->retention))
        return "its WINDOW differs";
    if (!same_elist(a, o->group_by.items, o->group_by.n, n->group_by.items, n->group_by.n))
        return "its GROUP BY differs";
    if (!same_elist(a, o->partition_by.items, o->partition_by.n, n->partition_by.items,
                    n->partition_by.n))
        return "its PARTITION BY differs";
    if (o->emit != n->emit)
        return "its EMIT clause differs";
    if (o->group_by.n && strcmp(aggregates_text(a, o), aggregates_text(a, n)) != 0)
        return "its aggregate functions differ (the state it keeps would not match)";
    if (n->items.n < o->items.n)
        return "it has fewer columns: columns may only be added at the end";
    for (int i = 0; i < o->items.n; i++) {
        const char *x = item_text(a, o->items.items[i], i);
        const char *y = item_text(a, n->items.items[i], i);
        if (strcmp(x, y) != 0)
            return sl_arena_printf(a, "its column %d changes from `%s` to `%s`: columns may "
                                      "only be added at the end", i + 1, x, y);
    }
    return NULL;
}

/*
 * CREATE OR REPLACE of a stream or table that a query writes: the query
 * goes on with the new plan under its id, from its committed positions,
 * when query_conflict and the catalog's replace rule allow it; otherwise
 * nothing changes and the error says what differs.
 */
static int replace_query(sl_session *s, const sl_stmt *st, const sl_source *old, sl_arena *a,
                         sl_result *r, sl_error *err)
{
    if (need_engine(s, st, "CREATE OR REPLACE ... AS SELECT", err) < 0)
        return -1;
    const char *name = st->name.name;
    const char *id = writer_query(s, a, name);
    if (!id)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                            "cannot replace %s '%s' with a query: it was not created by CREATE "
                            "%s ... AS SELECT (or its query was terminated)",
                            st->is_table ? "table" : "stream", name, kw(st->is_table));
    const char *old_text = sl_engine_query_statement(s->eng, id);
    if (same_statement(old_text, st, a)) {
        r->message = sl_arena_printf(a, "Query %s already runs this statement: nothing changed",
                                     id);
        return 0;
    }
    const sl_stmt *ost = parse_one(old_text, a);
    const char *why = ost && ost->query ? query_conflict(a, ost->query, st->query)
                                        : "its current statement cannot be read back";
    if (why)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                            "cannot replace query %s of %s '%s' in place: %s. Nothing changed; "
                            "to make this change, TERMINATE %s and DROP %s %s, then create it "
                            "again", id, st->is_table ? "table" : "stream", name, why, id,
                            kw(st->is_table), name);
    sl_plan_opts po = {0};
    po.query_id = id;
    po.reset = session_reset(s);
    po.log_rows = session_log_rows(s);
    po.limit = -1;
    session_cache(s, &po);
    if (check_commit_interval(s, st, &po, err) < 0)
        return -1;
    sl_plan *plan = sl_plan_build(s->cat, st->query, &po, err);
    if (!plan)
        return -1;
    sl_stmt *cs = NULL;
    if (sl_plan_check_persistent(plan, err) < 0 || !(cs = sink_stmt(s, st, plan, a, err))) {
        sl_plan_free(plan);
        return -1;
    }
    cs->or_replace = true;
    /* every check before the first change: a refusal leaves all as it was */
    sl_create_result res;
    if (sl_catalog_create_source(s->cat, cs, &res, err) < 0) {
        err->span = st->name.span;
        sl_plan_free(plan);
        return -1;
    }
    sl_catalog_set_materialized(s->cat, name, true);
    const sl_source *sink = sl_catalog_find_source(s->cat, name);
    if (sl_plan_bind_sink(plan, sink, st->name.span, err) < 0) {
        sl_plan_free(plan);
        return -1;
    }
    if (sl_engine_replace_query(s->eng, plan, st->text, err) < 0) {
        if (err->span.off == SL_NOPOS)
            err->span = st->name.span;
        return -1;
    }
    if (journal(s, st, a, err) < 0)
        return -1;
    r->message = sl_arena_printf(a, "Replaced query with ID %s: it goes on from its committed "
                                    "positions", id);
    return 0;
}

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
    if (old && st->if_not_exists) {
        r->message = sl_arena_printf(a, "A %s named %s already exists: nothing changed",
                                     old->is_table ? "table" : "stream", old->name);
        return 0;
    }
    if (old)
        return replace_query(s, st, old, a, r, err);
    if (need_engine(s, st, st->is_table ? "CREATE TABLE AS SELECT" : "CREATE STREAM AS SELECT",
                    err) < 0)
        return -1;
    sl_plan_opts po = {0};
    po.query_id = sl_arena_printf(a, "%s_%s_%lld", st->is_table ? "CTAS" : "CSAS", st->name.name,
                                  (long long)sl_engine_statement_offset(s->eng));
    po.reset = session_reset(s);
    po.log_rows = session_log_rows(s);
    po.limit = -1;
    session_cache(s, &po);
    if (check_commit_interval(s, st, &po, err) < 0)
        return -1;
    sl_plan *plan = sl_plan_build(s->cat, st->query, &po, err);
    if (!plan)
        return -1;
    bool made_topic = false;
    const sl_source *sink = create_sink(s, st, plan, a, &made_topic, err);
    if (!sink) {
        sl_plan_free(plan);
        return -1;
    }
    const char *topic = sl_arena_strdup(a, sink->kafka_topic);
    if (sl_plan_bind_sink(plan, sink, st->name.span, err) < 0) {
        sl_plan_free(plan);
    } else if (start_query(s, st, plan, a, r, err) == 0) {
        return 0;
    }
    undo_create(s, st->name.name, st->is_table, st->name.span);
    if (made_topic) {
        sl_error e2;
        sl_log_delete_topic(sl_engine_log(s->eng), topic, &e2);
    }
    return -1;
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
    if (need_engine(s, st, "INSERT INTO ... SELECT", err) < 0)
        return -1;
    sl_plan_opts po = {0};
    po.query_id = sl_arena_printf(a, "INSERTQUERY_%lld",
                                  (long long)sl_engine_statement_offset(s->eng));
    po.reset = session_reset(s);
    po.log_rows = session_log_rows(s);
    po.limit = -1;
    sl_plan *plan = sl_plan_build(s->cat, st->query, &po, err);
    if (!plan)
        return -1;
    if (sl_plan_bind_sink(plan, t, st->name.span, err) < 0) {
        sl_plan_free(plan);
        return -1;
    }
    return start_query(s, st, plan, a, r, err);
}

static sl_wrap wrap_of(int w)
{
    return w < 0 ? SL_WRAP_DEFAULT : w ? SL_WRAP_TRUE : SL_WRAP_FALSE;
}

/* Encodes vals (one per column of cols) with the format named fmt; *isnull
 * when the record part is absent (no columns, format NONE, or a KAFKA NULL). */
static int encode_part(const char *fmt, const sl_source *t, bool is_key, const sl_column *cols,
                       int n, const sl_value *vals, sl_buf *out, bool *isnull, sl_error *err)
{
    *isnull = true;
    sl_format_opts fo = {0};
    if (n == 0 || !fmt)
        return 0;
    if (sl_format_parse_kind(fmt, strlen(fmt), &fo.kind, err) < 0)
        return -1;
    if (fo.kind == SL_FMT_NONE)
        return 0;
    fo.is_key = is_key;
    if (!is_key) {
        fo.wrap_single_value = wrap_of(t->wrap_single_value);
        if (t->value_delimiter &&
            sl_format_parse_delimiter(t->value_delimiter, strlen(t->value_delimiter),
                                      &fo.delimiter, err) < 0)
            return -1;
    }
    if (fo.kind == SL_FMT_KAFKA && n == 1 && sl_is_null(&vals[0]))
        return 0;
    sl_encoder *enc = sl_encoder_new(&fo, cols, n, err);
    if (!enc)
        return -1;
    int rc = sl_encode(enc, vals, out, err);
    sl_encoder_free(enc);
    if (rc == 0)
        *isnull = false;
    return rc;
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
    sl_cexpr **ces = sl_arena_zalloc(a, (size_t)(ncols + 1) * sizeof *ces);
    for (int i = 0; i < ncols && rc == 0; i++) {
        sl_cexpr *ce = compile(st->values.items[i], &sc, a, &cl, err);
        if (!ce) {
            rc = -1;
            break;
        }
        ces[i] = ce;
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
    if (rc == 0 && need_engine(s, st, "INSERT INTO ... VALUES", err) < 0)
        rc = -1;
    /* evaluate into one value per column of the target */
    sl_value *vals = sl_arena_zalloc(a, (size_t)(t->schema.ncols + 1) * sizeof *vals);
    for (int c = 0; c < t->schema.ncols; c++)
        vals[c] = sl_null();
    int64_t rowtime = -1;
    for (int i = 0; i < ncols && rc == 0; i++) {
        sl_evalctx cx = {0};
        cx.arena = a;
        cx.nslots = sl_cexpr_slots(ces[i]);
        cx.slots = sl_arena_zalloc(a, (size_t)(cx.nslots + 1) * sizeof(sl_value));
        sl_value v;
        if (sl_cexpr_eval(ces[i], &cx, &v) < 0) {
            *err = cx.err;
            if (err->code == SL_OK)
                err->code = SL_ERR_EVAL;
            if (err->span.off == SL_NOPOS)
                err->span = st->values.items[i]->span;
            rc = -1;
            break;
        }
        const sl_type *got = sl_cexpr_type(ces[i]);
        if (idx[i] == -3) {
            if (!sl_is_null(&v))
                rowtime = v.kind == SL_INT ? v.u.i32 : v.u.i64;
            continue;
        }
        const sl_type *want = t->schema.cols[idx[i]].type;
        if (!sl_is_null(&v) && !sl_type_equal(got, want)) {
            sl_value w;
            if (sl_value_cast(&v, got, want, a, &w, err) < 0) {
                if (err->span.off == SL_NOPOS)
                    err->span = st->values.items[i]->span;
                rc = -1;
                break;
            }
            v = w;
        }
        vals[idx[i]] = v;
    }
    compiled_release(&cl);
    if (rc < 0)
        return -1;
    /* split into key and value columns, encode, append */
    int nk = 0, nv = 0;
    sl_column *kc = sl_arena_zalloc(a, (size_t)(t->schema.ncols + 1) * sizeof *kc);
    sl_column *vc = sl_arena_zalloc(a, (size_t)(t->schema.ncols + 1) * sizeof *vc);
    sl_value *kv = sl_arena_zalloc(a, (size_t)(t->schema.ncols + 1) * sizeof *kv);
    sl_value *vv = sl_arena_zalloc(a, (size_t)(t->schema.ncols + 1) * sizeof *vv);
    for (int c = 0; c < t->schema.ncols; c++) {
        const sl_column *col = &t->schema.cols[c];
        if (col->kind == SL_COLK_KEY) {
            kc[nk] = *col;
            kv[nk++] = vals[c];
        } else if (col->kind == SL_COLK_VALUE) {
            vc[nv] = *col;
            vv[nv++] = vals[c];
        }
        if (rowtime < 0 && t->timestamp && strcmp(col->name, t->timestamp) == 0 &&
            (vals[c].kind == SL_BIGINT || vals[c].kind == SL_TIMESTAMP))
            rowtime = vals[c].u.i64;
    }
    sl_buf kb = SL_BUF_INIT, vb = SL_BUF_INIT;
    bool knull, vnull;
    if (encode_part(t->key_format, t, true, kc, nk, kv, &kb, &knull, err) < 0 ||
        encode_part(t->value_format, t, false, vc, nv, vv, &vb, &vnull, err) < 0) {
        sl_buf_fini(&kb);
        sl_buf_fini(&vb);
        if (err->span.off == SL_NOPOS)
            err->span = head_span(st, 6);
        return -1;
    }
    sl_record rec;
    memset(&rec, 0, sizeof rec);
    rec.key = knull ? NULL : (kb.data ? kb.data : "");
    rec.key_len = knull ? -1 : (int32_t)kb.len;
    rec.value = vnull ? NULL : (vb.data ? vb.data : "");
    rec.value_len = vnull ? -1 : (int32_t)vb.len;
    rec.timestamp = rowtime;
    sl_log_txn *tx = sl_log_txn_begin(sl_engine_log(s->eng));
    rc = sl_log_txn_append(tx, t->kafka_topic, -1, &rec, NULL, NULL, err);
    if (rc < 0)
        sl_log_txn_abort(tx);
    else
        rc = sl_log_txn_commit(tx, err);
    sl_buf_fini(&kb);
    sl_buf_fini(&vb);
    return rc;
}

/* ---- transient queries ---- */

static volatile sig_atomic_t g_cancel;

static void on_sigint(int sig)
{
    (void)sig;
    g_cancel = 1;
}

/* Ctrl-C ends the query in progress (and only that) while it runs. */
static void cancel_begin(struct sigaction *old)
{
    g_cancel = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old);
}

static void cancel_end(const struct sigaction *old)
{
    sigaction(SIGINT, old, NULL);
}

typedef struct tctx {
    sl_session *s;
    sl_arena *a;
    bool collect;               /* pull query: rows into b, rendered at the end */
    rb *b;
    size_t *w;                  /* push query, table mode: column widths */
    int ncols;
    const int *order;           /* i-th shown column -> output column (SELECT list order) */
    uint64_t rows;
    sl_buf line;
    sl_value *cells;            /* session rows hook: one row in SELECT order */
    const sl_type **types;      /* and the columns' types */
} tctx;

static void push_cell(sl_buf *line, const char *text, size_t w)
{
    sl_buf_putc(line, '|');
    sl_buf_puts(line, text);
    size_t n = sl_render_width(text);
    for (; n < w; n++)
        sl_buf_putc(line, ' ');
}

static void push_border(sl_buf *line, const size_t *w, int n)
{
    for (int i = 0; i < n; i++) {
        sl_buf_putc(line, '+');
        for (size_t k = 0; k < w[i]; k++)
            sl_buf_putc(line, '-');
    }
    sl_buf_puts(line, "+\n");
}

static int on_row(void *ud, const sl_schema *schema, const sl_row *row)
{
    tctx *t = ud;
    t->rows++;
    if (t->s->rows && t->s->rows->row) {
        for (int i = 0; i < t->ncols; i++)
            t->cells[i] = row->cols[t->order[i]];
        return t->s->rows->row(t->s->rows->ud, t->ncols, t->cells, t->types);
    }
    if (t->collect) {
        sl_value *cells = rb_row(t->b);
        for (int i = 0; i < t->b->ncols; i++)
            cells[i] = sl_value_copy(t->a, &row->cols[t->order[i]]);
        return 0;
    }
    sl_buf *l = &t->line;
    sl_buf_reset(l);
    if (t->s->output == SL_OUTPUT_JSON) {
        sl_buf_putc(l, '{');
        for (int i = 0; i < t->ncols; i++) {
            const sl_column *c = &schema->cols[t->order[i]];
            if (i)
                sl_buf_putc(l, ',');
            sl_buf_json_string(l, c->name, strlen(c->name));
            sl_buf_putc(l, ':');
            sl_value_render(l, &row->cols[t->order[i]], c->type, SL_RENDER_JSON);
        }
        sl_buf_puts(l, "}\n");
    } else {
        sl_buf cell = SL_BUF_INIT;
        for (int i = 0; i < t->ncols; i++) {
            sl_buf_reset(&cell);
            sl_value_render(&cell, &row->cols[t->order[i]], schema->cols[t->order[i]].type,
                            SL_RENDER_TEXT);
            push_cell(l, sl_buf_cstr(&cell), t->w[i]);
        }
        sl_buf_fini(&cell);
        sl_buf_puts(l, "|\n");
    }
    fwrite(l->data, 1, l->len, t->s->out);
    fflush(t->s->out);
    return 0;
}

/* Whether a persistent query (running or not) created `src`: its rows are
 * then materialized by the query's sink. */
static bool is_materialized(const sl_source *src)
{
    return src->materialized;
}

static int cmp_rec_key(const void *x, const void *y)
{
    const sl_record *a = x, *b = y;
    int32_t la = a->key_len < 0 ? -1 : a->key_len, lb = b->key_len < 0 ? -1 : b->key_len;
    int32_t m = la < lb ? la : lb;
    int c = m > 0 ? memcmp(a->key, b->key, (size_t)m) : 0;
    if (c)
        return c;
    if (la != lb)
        return la < lb ? -1 : 1;
    return a->partition != b->partition ? (a->partition < b->partition ? -1 : 1)
           : a->offset < b->offset ? -1 : a->offset > b->offset;
}

/*
 * The window of the query writing the windowed table src (*w) and the
 * query's stream time (*st, the largest of its tasks'): false when no
 * running query writes src from a windowed aggregation.
 */
static bool writer_window(sl_session *s, const sl_source *src, sl_window_spec *w, int64_t *st)
{
    sl_runtime *rt = sl_engine_runtime(s->eng);
    for (int i = 0; i < sl_runtime_query_count(rt); i++) {
        sl_query *q = sl_runtime_query_at(rt, i);
        const sl_plan *p = q ? sl_query_plan(q) : NULL;
        const sl_source *o = p ? sl_plan_sink(p) : NULL;
        const sl_window_spec *pw = p ? sl_plan_window_spec(p) : NULL;
        if (o && pw && strcmp(o->name, src->name) == 0) {
            *w = *pw;
            sl_query_stats qs;
            sl_query_get_stats(q, &qs);
            *st = qs.stream_time;
            return true;
        }
    }
    return false;
}

/* Whether the materialized row of windowed key k has expired (ksqlDB's
 * window stores return nothing older than stream time - retention): the
 * query deletes such rows at its next flush, a pull query skips them now. */
static bool expired_row(const sl_window_spec *w, int64_t st, const void *k, size_t kl)
{
    const void *gk;
    size_t gkl;
    int64_t ws, we;
    sl_error e;
    return sl_windowed_key_decode(w, k, kl, &gk, &gkl, &ws, &we, &e) == 0 &&
           sl_window_expired(w, ws, we, st);
}

/* Appends a row of the materialization (key k after the prefix of plen
 * bytes; value: 8-byte big-endian timestamp, then the value) to recs. */
static void mat_add(sl_arena *a, sl_record **recs, int *cnt, int *cap, const void *k, size_t kl,
                    const void *v, size_t vl, size_t plen)
{
    if (*cnt == *cap) {
        *recs = sl_arena_realloc(a, *recs, (size_t)*cap * sizeof **recs,
                                 (size_t)*cap * 2 * sizeof **recs);
        *cap *= 2;
    }
    sl_record *r = &(*recs)[(*cnt)++];
    memset(r, 0, sizeof *r);
    const unsigned char *tv = v;
    uint64_t ts = 0;
    for (int i = 0; i < 8; i++)
        ts = ts << 8 | tv[i];
    char *kc = sl_arena_alloc(a, kl - plen + 1);
    memcpy(kc, (const char *)k + plen, kl - plen);
    char *vc = sl_arena_alloc(a, vl - 8 + 1);
    memcpy(vc, (const char *)v + 8, vl - 8);
    r->key = kc;
    r->key_len = (int32_t)(kl - plen);
    r->value = vc;
    r->value_len = (int32_t)(vl - 8);
    r->timestamp = (int64_t)ts;
    r->offset = -1;
}

/* ---- pull queries by key ----
 * A pull query whose WHERE pins every key column of a materialized table to
 * literals reads those keys' rows only (a point read each, or for a windowed
 * table a scan of the key's windows), not the whole table. The WHERE still
 * filters the rows read: this changes what is read, never what is returned.
 * Whatever the extractor is unsure of (casts that are not exact, -0.0, types
 * it does not know to compare bytewise) leaves the query to the full scan. */

/* Past this many keys (IN lists multiply), the full scan is used. */
#define PULL_MAX_KEYS 1024

/* Whether e is a literal, maybe signed or cast: known before any row. */
static bool is_literal(const sl_expr *e)
{
    switch (e->kind) {
    case SL_E_NULL: case SL_E_BOOL: case SL_E_INT: case SL_E_DECIMAL: case SL_E_DOUBLE:
    case SL_E_STRING:
        return true;
    case SL_E_UNARY:
        return (e->op == SL_OP_NEG || e->op == SL_OP_PLUS) && is_literal(e->a);
    case SL_E_CAST:
        return is_literal(e->a);
    default:
        return false;
    }
}

/* Whether e names column col of q's source (unqualified, or by its name or alias). */
static bool is_column(const sl_expr *e, const sl_select *q, const char *col)
{
    if (e->kind != SL_E_COLUMN || !e->name.name || strcmp(e->name.name, col) != 0)
        return false;
    const char *qual = e->qualifier.name;
    return !qual || (q->from.name.name && strcmp(qual, q->from.name.name) == 0) ||
           (q->from.alias.name && strcmp(qual, q->from.alias.name) == 0);
}

/* The literals a conjunct of e pins col to (col = lit, lit = col, col IN
 * (lit, ...)): the shortest list found is kept in *lits / *n (-1: none). */
static void pinned(const sl_expr *e, const sl_select *q, const char *col,
                   sl_expr *const **lits, int *n)
{
    if (e->kind == SL_E_BINARY && e->op == SL_OP_AND) {
        pinned(e->a, q, col, lits, n);
        pinned(e->b, q, col, lits, n);
        return;
    }
    sl_expr *const *l = NULL;
    int ln = 0;
    if (e->kind == SL_E_BINARY && e->op == SL_OP_EQ) {
        if (is_column(e->a, q, col) && is_literal(e->b))
            l = &e->b, ln = 1;
        else if (is_column(e->b, q, col) && is_literal(e->a))
            l = &e->a, ln = 1;
    } else if (e->kind == SL_E_IN && !e->negated && is_column(e->a, q, col)) {
        bool all = true;
        for (int i = 0; i < e->list.n && all; i++)
            all = is_literal(e->list.items[i]);
        if (all)
            l = e->list.items, ln = e->list.n;
    }
    if (l && (*n < 0 || ln < *n)) {
        *lits = l;
        *n = ln;
    }
}

/* Whether values of kind k equal exactly when their encodings do (DOUBLE
 * but for -0.0 and NaN; not DECIMAL, whose 1.5 and 1.50 are equal). */
static bool bytewise_kind(sl_kind k)
{
    return k == SL_BOOLEAN || k == SL_INT || k == SL_BIGINT || k == SL_DOUBLE ||
           k == SL_STRING || k == SL_BYTES || k == SL_TIMESTAMP || k == SL_DATE ||
           k == SL_TIME;
}

static bool simple_number(sl_kind k)
{
    return k == SL_INT || k == SL_BIGINT || k == SL_DOUBLE;
}

/*
 * The value of literal lit as key column type want, as `column = lit`
 * compares them: 1 with *out, 0 when it equals no key (NULL), -1 when
 * unsure (the cast is not exact, or the types are not simply comparable).
 */
static int key_literal(sl_session *s, const sl_expr *lit, const sl_type *want, sl_arena *a,
                       compiled *cl, sl_value *out)
{
    sl_error e;
    sl_scope sc = make_scope(s, NULL);
    sl_cexpr *ce = compile(lit, &sc, a, cl, &e);
    if (!ce)
        return -1;
    sl_evalctx cx = {0};
    cx.arena = a;
    cx.nslots = sl_cexpr_slots(ce);
    cx.slots = sl_arena_zalloc(a, (size_t)(cx.nslots + 1) * sizeof(sl_value));
    sl_value v;
    if (sl_cexpr_eval(ce, &cx, &v) < 0)
        return -1;
    if (sl_is_null(&v))
        return 0;
    const sl_type *got = sl_cexpr_type(ce);
    if (!bytewise_kind(want->kind))
        return -1;
    if (!sl_type_equal(got, want)) {
        /* 5 for a BIGINT key, 7.0E0 for an INT one: exact both ways, else scan */
        sl_value w, back;
        bool numbers = simple_number(want->kind) &&
                       (simple_number(got->kind) ||
                        (got->kind == SL_DECIMAL && want->kind == SL_DOUBLE));
        if (!numbers ||
            sl_value_cast(&v, got, want, a, &w, &e) < 0 ||
            sl_value_cast(&w, want, got, a, &back, &e) < 0 || !sl_value_equal(&v, &back))
            return -1;
        v = w;
    }
    if (v.kind == SL_DOUBLE && (v.u.d == 0 || v.u.d != v.u.d))
        return -1;      /* -0.0 = 0.0 and NaN: equal values, other bytes */
    *out = v;
    return 1;
}

/*
 * The keys of src (as the sink encodes them, without the materialization's
 * prefix) that q's WHERE pins every key column to, sorted and distinct, as
 * records with only key / key_len set: true with *keys / *n, false when the
 * query needs the full scan.
 */
static bool pull_keys(sl_session *s, const sl_source *src, const sl_select *q, sl_arena *a,
                      sl_record **keys, int *n)
{
    if (!q->where || q->joins.n > 0 || !src->key_format)
        return false;
    int nk = 0;
    sl_column *kc = sl_arena_zalloc(a, (size_t)(src->schema.ncols + 1) * sizeof *kc);
    sl_value **vals = sl_arena_zalloc(a, (size_t)(src->schema.ncols + 1) * sizeof *vals);
    int *nv = sl_arena_zalloc(a, (size_t)(src->schema.ncols + 1) * sizeof *nv);
    compiled cl = {0};
    bool ok = true;
    long combos = 1;
    for (int c = 0; c < src->schema.ncols && ok; c++) {
        const sl_column *col = &src->schema.cols[c];
        if (col->kind != SL_COLK_KEY)
            continue;
        sl_expr *const *lits = NULL;
        int nl = -1;
        pinned(q->where, q, col->name, &lits, &nl);
        ok = nl >= 0;
        vals[nk] = sl_arena_zalloc(a, (size_t)(nl + 1) * sizeof **vals);
        for (int i = 0; ok && i < nl; i++) {
            int rc = key_literal(s, lits[i], col->type, a, &cl, &vals[nk][nv[nk]]);
            ok = rc >= 0;
            nv[nk] += rc > 0;
        }
        combos *= nv[nk] > 0 ? nv[nk] : 1;
        ok = ok && combos <= PULL_MAX_KEYS;
        kc[nk++] = *col;
    }
    compiled_release(&cl);
    if (!ok || nk == 0)
        return false;
    for (int i = 0; i < nk; i++)
        if (nv[i] == 0)
            combos = 0;     /* a key column pinned to NULLs only: no row */
    sl_record *ks = sl_arena_zalloc(a, (size_t)(combos + 1) * sizeof *ks);
    int *pos = sl_arena_zalloc(a, (size_t)nk * sizeof *pos);
    sl_value *kv = sl_arena_zalloc(a, (size_t)nk * sizeof *kv);
    sl_buf kb = SL_BUF_INIT;
    for (long i = 0; i < combos && ok; i++) {
        for (int c = 0; c < nk; c++)
            kv[c] = vals[c][pos[c]];
        bool knull;
        sl_error e;
        sl_buf_reset(&kb);
        ok = encode_part(src->key_format, src, true, kc, nk, kv, &kb, &knull, &e) == 0 && !knull;
        if (ok) {
            char *k = sl_arena_alloc(a, kb.len + 1);
            memcpy(k, kb.data ? kb.data : "", kb.len);
            ks[i].key = k;
            ks[i].key_len = (int32_t)kb.len;
        }
        for (int c = nk - 1; c >= 0 && ++pos[c] == nv[c]; c--)
            pos[c] = 0;     /* the next combination, the last column fastest */
    }
    sl_buf_fini(&kb);
    if (!ok)
        return false;
    qsort(ks, (size_t)combos, sizeof *ks, cmp_rec_key);
    int w = 0;
    for (int i = 0; i < (int)combos; i++)
        if (w == 0 || cmp_rec_key(&ks[w - 1], &ks[i]) != 0)
            ks[w++] = ks[i];
    *keys = ks;
    *n = w;
    return true;
}

/*
 * The materialized rows of src's keys keys[0..nkeys): a point read per key,
 * or for a windowed table (kind wk) a scan of the keys that start with the
 * key, kept when the windowed layout splits them back into exactly the key
 * (so key "a" does not read key "ab"). Windows that retention has expired
 * (w / st, when windowed) are skipped, as the full scan does.
 */
static int keyed_rows(sl_log *log, const sl_source *src, const sl_record *keys, int nkeys,
                      sl_window_kind wk, const sl_window_spec *w, int64_t st, bool expiring,
                      sl_arena *a, sl_record **out, int *n, sl_error *err)
{
    int cap = nkeys > 0 ? nkeys : 1, cnt = 0;
    sl_record *recs = sl_arena_zalloc(a, (size_t)cap * sizeof *recs);
    size_t plen = strlen(src->kafka_topic) + 1;
    sl_buf mk = SL_BUF_INIT;
    sl_window_spec dw = {0};
    dw.kind = wk;
    int rc = 0;
    for (int i = 0; i < nkeys && rc == 0; i++) {
        sl_buf_reset(&mk);
        sl_buf_append(&mk, src->kafka_topic, plen);
        sl_buf_append(&mk, keys[i].key, (size_t)keys[i].key_len);
        if (wk == SL_WIN_NONE) {
            const void *v;
            size_t vl;
            rc = sl_log_get_raw(log, SL_MATERIALIZED_SPACE, mk.data, mk.len, a, &v, &vl, err);
            if (rc == 1 && vl >= 8)
                mat_add(a, &recs, &cnt, &cap, mk.data, mk.len, v, vl, plen);
            rc = rc < 0 ? -1 : 0;
            continue;
        }
        sl_log_iter *it = sl_log_scan_raw(log, SL_MATERIALIZED_SPACE, mk.data, mk.len, NULL, 0,
                                          err);
        if (!it) {
            rc = -1;
            break;
        }
        const void *k, *v;
        size_t kl, vl;
        while ((rc = sl_log_iter_next(it, &k, &kl, &v, &vl, err)) == 1) {
            const void *gk;
            size_t gkl;
            int64_t ws, we;
            sl_error e;
            if (vl < 8 ||
                sl_windowed_key_decode(&dw, (const char *)k + plen, kl - plen, &gk, &gkl, &ws,
                                       &we, &e) != 0 ||
                gkl != (size_t)keys[i].key_len ||
                (expiring && expired_row(w, st, (const char *)k + plen, kl - plen)))
                continue;
            mat_add(a, &recs, &cnt, &cap, k, kl, v, vl, plen);
        }
        sl_log_iter_free(it);
    }
    sl_buf_fini(&mk);
    if (rc < 0)
        return -1;
    /* in key order, as the full scan returns them */
    qsort(recs, (size_t)cnt, sizeof *recs, cmp_rec_key);
    *out = recs;
    *n = cnt;
    return 0;
}

/*
 * The current rows of table src, as records: from its materialization when
 * a query writes it (less the windows retention has expired), else the
 * latest record of each key of its topic (a null value deletes the key),
 * read up to the end offsets of now. For the materialization, only the keys
 * q's WHERE pins, when it pins them (q NULL: every row).
 */
static int table_rows(sl_session *s, const sl_source *src, const sl_select *q, sl_arena *a,
                      sl_record **out, int *n, sl_error *err)
{
    sl_log *log = sl_engine_log(s->eng);
    int cap = 64, cnt = 0;
    sl_record *recs = sl_arena_zalloc(a, (size_t)cap * sizeof *recs);
    if (is_materialized(src)) {
        sl_window_spec w = {0};
        int64_t st = INT64_MIN;
        bool windowed = writer_window(s, src, &w, &st) && st != INT64_MIN;
        sl_record *keys;
        int nkeys;
        if (q && pull_keys(s, src, q, a, &keys, &nkeys)) {
            sl_window_kind wk = !src->window_type ? SL_WIN_NONE
                                : strcmp(src->window_type, "SESSION") == 0 ? SL_WIN_SESSION
                                                                           : SL_WIN_TUMBLING;
            return keyed_rows(log, src, keys, nkeys, wk, &w, st, windowed, a, out, n, err);
        }
        size_t plen = strlen(src->kafka_topic) + 1;
        sl_log_iter *it = sl_log_scan_raw(log, SL_MATERIALIZED_SPACE, src->kafka_topic, plen,
                                          NULL, 0, err);
        if (!it)
            return -1;
        const void *k, *v;
        size_t kl, vl;
        int rc;
        while ((rc = sl_log_iter_next(it, &k, &kl, &v, &vl, err)) == 1) {
            if (vl < 8 || kl < plen ||
                (windowed && expired_row(&w, st, (const char *)k + plen, kl - plen)))
                continue;
            mat_add(a, &recs, &cnt, &cap, k, kl, v, vl, plen);
        }
        sl_log_iter_free(it);
        if (rc < 0)
            return -1;
        *out = recs;
        *n = cnt;
        return 0;
    }
    sl_topic_info info;
    if (sl_log_describe_topic(log, src->kafka_topic, a, &info, err))
        return -1;
    for (int p = 0; p < info.config.partitions; p++) {
        int64_t next = info.partitions[p].start_offset, end = info.partitions[p].end_offset;
        while (next < end) {
            if (cnt + 1000 > cap) {
                int ncap = cap * 2 > cnt + 1000 ? cap * 2 : cnt + 1000;
                recs = sl_arena_realloc(a, recs, (size_t)cap * sizeof *recs,
                                        (size_t)ncap * sizeof *recs);
                cap = ncap;
            }
            int got = 0;
            if (sl_log_read(log, src->kafka_topic, p, next, 1000, a, recs + cnt, &got, err))
                return -1;
            if (got == 0)
                break;
            while (got > 0 && recs[cnt + got - 1].offset >= end)
                got--;
            if (got == 0)
                break;
            next = recs[cnt + got - 1].offset + 1;
            cnt += got;
        }
    }
    /* the latest record of each key */
    qsort(recs, (size_t)cnt, sizeof *recs, cmp_rec_key);
    int w = 0;
    for (int i = 0; i < cnt; i++) {
        bool last = i + 1 == cnt || recs[i + 1].key_len != recs[i].key_len ||
                    (recs[i].key_len > 0 &&
                     memcmp(recs[i + 1].key, recs[i].key, (size_t)recs[i].key_len) != 0);
        if (last && recs[i].value_len >= 0 && recs[i].key_len >= 0)
            recs[w++] = recs[i];
    }
    *out = recs;
    *n = w;
    return 0;
}

static int run_select(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                      sl_error *err)
{
    const sl_select *q = st->query;
    bool pull = q->emit == SL_EMIT_NONE;
    if (need_engine(s, st, pull ? "a pull query" : "a push query", err) < 0)
        return -1;
    static unsigned seq;
    sl_plan_opts po = {0};
    po.query_id = sl_arena_printf(a, "transient_%s_%u", q->from.name.name, ++seq);
    po.reset = pull ? SL_RESET_EARLIEST : session_reset(s);
    po.log_rows = session_log_rows(s);
    po.limit = q->limit >= 0 ? (int)(q->limit > 2147483647 ? 2147483647 : q->limit) : -1;
    session_cache(s, &po);
    const sl_source *from = sl_catalog_find_source(s->cat, q->from.name.name);
    if (pull && q->group_by.n > 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, q->group_by.items[0]->span,
                            "a pull query cannot aggregate: add EMIT CHANGES for a push query, "
                            "or CREATE TABLE ... AS SELECT and query the table");
    sl_plan *plan = sl_plan_build(s->cat, q, &po, err);
    if (!plan)
        return -1;
    const sl_schema *o = sl_plan_output(plan);
    const int *porder;
    int nc = sl_plan_select_order(plan, &porder);
    /* the plan is freed by the runtime: keep our own copy of the order */
    int *order = sl_arena_alloc(a, (size_t)(nc ? nc : 1) * sizeof *order);
    memcpy(order, porder, (size_t)nc * sizeof *order);
    sl_rcol *cols = sl_arena_zalloc(a, (size_t)(nc ? nc : 1) * sizeof *cols);
    for (int i = 0; i < nc; i++) {
        cols[i].title = sl_arena_strdup(a, o->cols[order[i]].name);
        cols[i].key = cols[i].title;
        cols[i].type = sl_type_copy(a, o->cols[order[i]].type);
    }
    rb b;
    rb_init(&b, a, cols, nc);
    tctx t;
    memset(&t, 0, sizeof t);
    t.s = s;
    t.a = a;
    const sl_session_rows *hook = s->rows;
    bool hook_rows = hook && hook->row;     /* rows to the hook, not to out */
    t.collect = pull && !hook_rows;
    t.b = &b;
    t.ncols = nc;
    t.order = order;
    t.w = sl_arena_zalloc(a, (size_t)(nc ? nc : 1) * sizeof *t.w);
    if (hook) {
        t.cells = sl_arena_zalloc(a, (size_t)(nc ? nc : 1) * sizeof *t.cells);
        t.types = sl_arena_zalloc(a, (size_t)(nc ? nc : 1) * sizeof *t.types);
        const char **names = sl_arena_zalloc(a, (size_t)(nc ? nc : 1) * sizeof *names);
        for (int i = 0; i < nc; i++) {
            t.types[i] = cols[i].type;
            names[i] = cols[i].title;
        }
        if (hook->header && hook->header(hook->ud, po.query_id, nc, names, t.types, pull)) {
            sl_plan_free(plan);
            return 0;
        }
    }
    if (!hook_rows && !pull && s->output == SL_OUTPUT_TABLE) {
        sl_buf *l = &t.line;
        for (int i = 0; i < nc; i++) {
            size_t tw = sl_render_width(cols[i].title);
            t.w[i] = tw > 14 ? tw : 14;
        }
        push_border(l, t.w, nc);
        for (int i = 0; i < nc; i++)
            push_cell(l, cols[i].title, t.w[i]);
        sl_buf_puts(l, "|\n");
        push_border(l, t.w, nc);
        fwrite(l->data, 1, l->len, s->out);
        fflush(s->out);
    }
    struct sigaction old;
    volatile sig_atomic_t *cancel = hook ? hook->cancel : &g_cancel;
    if (!hook)
        cancel_begin(&old);
    uint64_t failed = 0;
    int rc;
    if (pull && from && from->is_table) {
        sl_record *recs = NULL;
        int nrecs = 0;
        rc = table_rows(s, from, q, a, &recs, &nrecs, err);
        if (rc == 0)
            rc = sl_runtime_run_records(sl_engine_runtime(s->eng), plan, recs, nrecs, on_row, &t,
                                        &failed, err);
        else
            sl_plan_free(plan);
    } else {
        rc = sl_runtime_run_transient(sl_engine_runtime(s->eng), plan, pull, on_row, &t,
                                      cancel, &failed, err);
    }
    bool cancelled = cancel && *cancel != 0;
    if (!hook)
        cancel_end(&old);
    const char *failnote =
        failed ? sl_arena_printf(a, "%llu record%s could not be processed: see %s",
                                 (unsigned long long)failed, failed == 1 ? "" : "s",
                                 SL_PROCESSING_LOG_STREAM)
               : NULL;
    if (hook_rows) {
        const char *ending = cancelled ? "Query terminated"
                             : po.limit >= 0 && t.rows >= (uint64_t)po.limit ? "Limit Reached"
                                                                              : "Query ended";
        if (rc == 0 && hook->end)
            hook->end(hook->ud, failnote ? sl_arena_printf(a, "%s; %s", ending, failnote)
                                         : ending);
        return rc;
    }
    if (pull) {
        sl_buf_fini(&t.line);
        if (rc < 0)
            return -1;
        r->type = "rows";
        r->rows_as_arrays = true;
        rb_finish(&b, r, "rows");
        r->footer = failnote;
        return 0;
    }
    sl_buf *l = &t.line;
    sl_buf_reset(l);
    const char *ending = cancelled ? "Query terminated"
                         : po.limit >= 0 && t.rows >= (uint64_t)po.limit ? "Limit Reached"
                                                                          : "Query ended";
    if (s->output == SL_OUTPUT_JSON && rc == 0)
        r->message = failnote ? sl_arena_printf(a, "%s; %s", ending, failnote) : ending;
    if (s->output == SL_OUTPUT_TABLE) {
        if (cancelled)
            sl_buf_putc(l, '\n');      /* after the terminal's ^C */
        push_border(l, t.w, nc);
        if (rc == 0)
            sl_buf_printf(l, "%s\n", ending);
        if (failnote)
            sl_buf_printf(l, "%s\n", failnote);
    }
    if (l->len) {
        fwrite(l->data, 1, l->len, s->out);
        fflush(s->out);
    }
    sl_buf_fini(l);
    return rc;
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
        return run_select(s, st, a, r, err);
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
        {"", "type", T_STR, SL_R_JSON_ONLY},        /* ksqlDB's SourceInfo: STREAM, TABLE */
    };
    rb b;
    rb_init(&b, a, cols, 6);
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
        row[5] = str_value(kw(src->is_table));
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

/* A JSON string member value, for the raw JSON of ksqlDB's nested entities. */
static void json_text(sl_buf *b, const char *s)
{
    if (s)
        sl_buf_json_string(b, s, strlen(s));
    else
        sl_buf_puts(b, "null");
}

/* ksqlDB's RunningQuery of q: id, queryString, sinks, sinkKafkaTopics,
 * statusCount, queryType, state. */
static void running_query_json(sl_session *s, sl_buf *b, sl_query *q)
{
    sl_query_stats qs;
    sl_query_get_stats(q, &qs);
    const sl_source *sink = sl_plan_sink(sl_query_plan(q));
    const char *state = query_state_name(qs.state);
    sl_buf_puts(b, "{\"queryString\":");
    json_text(b, sl_engine_query_statement(s->eng, sl_query_id(q)));
    sl_buf_puts(b, ",\"sinks\":[");
    if (sink)
        json_text(b, sink->name);
    sl_buf_puts(b, "],\"sinkKafkaTopics\":[");
    if (sink)
        json_text(b, sink->kafka_topic);
    sl_buf_puts(b, "],\"id\":");
    json_text(b, sl_query_id(q));
    sl_buf_printf(b, ",\"statusCount\":{\"%s\":1},\"queryType\":\"PERSISTENT\",\"state\":\"%s\"}",
                  state, state);
}

/* The running queries that read (writers false) or write `name`, as a JSON
 * array of RunningQuery. */
static const char *running_queries_json(sl_session *s, sl_arena *a, const char *name,
                                        bool writers)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_putc(&b, '[');
    sl_runtime *rt = s->eng ? sl_engine_runtime(s->eng) : NULL;
    int n = 0;
    for (int i = 0; rt && i < sl_runtime_query_count(rt); i++) {
        sl_query *q = sl_runtime_query_at(rt, i);
        const sl_plan *p = sl_query_plan(q);
        const sl_source *src = writers ? sl_plan_sink(p) : sl_plan_input(p);
        if (!src || !src->name || strcmp(src->name, name) != 0)
            continue;
        if (n++)
            sl_buf_putc(&b, ',');
        running_query_json(s, &b, q);
    }
    sl_buf_putc(&b, ']');
    const char *res = sl_arena_strdup(a, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return res;
}

/* ksqlDB's sourceConstraints: the sources written by queries that read
 * `name` (they stop it being dropped), as a JSON array of names. */
static const char *constraints_json(sl_session *s, sl_arena *a, const char *name)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_putc(&b, '[');
    sl_runtime *rt = s->eng ? sl_engine_runtime(s->eng) : NULL;
    int n = 0;
    for (int i = 0; rt && i < sl_runtime_query_count(rt); i++) {
        const sl_plan *p = sl_query_plan(sl_runtime_query_at(rt, i));
        const sl_source *in = sl_plan_input(p), *out = sl_plan_sink(p);
        if (!in || !out || !in->name || strcmp(in->name, name) != 0)
            continue;
        if (n++)
            sl_buf_putc(&b, ',');
        json_text(&b, out->name);
    }
    sl_buf_putc(&b, ']');
    const char *res = sl_arena_strdup(a, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return res;
}

/* What the queries on a source did, as DESCRIBE EXTENDED shows it. */
typedef struct source_stats {
    uint64_t in, failed, skipped, out, late, late_windows, bounded, keys, bytes;
    bool stateful;
} source_stats;

static void get_source_stats(sl_session *s, const sl_source *src, source_stats *st)
{
    memset(st, 0, sizeof *st);
    sl_runtime *rt = s->eng ? sl_engine_runtime(s->eng) : NULL;
    for (int i = 0; rt && i < sl_runtime_query_count(rt); i++) {
        sl_query *q = sl_runtime_query_at(rt, i);
        const sl_plan *p = sl_query_plan(q);
        const sl_source *qi = sl_plan_input(p), *qo = sl_plan_sink(p);
        sl_query_stats qs;
        sl_query_get_stats(q, &qs);
        if (qi && strcmp(qi->name, src->name) == 0) {
            st->in += qs.records_in;
            st->failed += qs.records_failed;
            st->skipped += qs.records_skipped;
            st->late += qs.records_late;
            st->late_windows += qs.late_window_updates;
            st->bounded += qs.agg_values_dropped;
        }
        if (qo && strcmp(qo->name, src->name) == 0) {
            st->out += qs.records_out;
            if (sl_plan_produces_table(p) && qs.stream_time != INT64_MIN) {
                st->stateful = true;
                st->keys += qs.state_keys;
                st->bytes += qs.state_bytes;
            }
        }
    }
}

/* The queries' counters as ksqlDB's runtime statistics: the text of
 * DESCRIBE EXTENDED (with the failures, comma-separated) or ksqlDB's JSON
 * "statistics" member (blank-separated; failures go to "errorStats"). */
static const char *stats_text(sl_arena *a, const source_stats *ss, bool text)
{
    const char *sep = text ? ", " : " ";
    return sl_arena_printf(a, "consumer-total-messages: %llu%s%s"
                              "consumer-skipped-tombstones: %llu%s"
                              "consumer-late-records-dropped: %llu%s"
                              "late-window-updates-skipped: %llu%s"
                              "aggregate-values-dropped: %llu%s"
                              "producer-total-messages: %llu",
                           (unsigned long long)ss->in, sep,
                           text ? sl_arena_printf(a, "consumer-failed-messages: %llu, ",
                                                  (unsigned long long)ss->failed)
                                : "",
                           (unsigned long long)ss->skipped, sep,
                           (unsigned long long)ss->late, sep,
                           (unsigned long long)ss->late_windows, sep,
                           (unsigned long long)ss->bounded, sep,
                           (unsigned long long)ss->out);
}

static const char *state_text(sl_arena *a, const source_stats *ss)
{
    return sl_arena_printf(a, "%llu groups or windows cached, %llu bytes",
                           (unsigned long long)ss->keys, (unsigned long long)ss->bytes);
}

/* The labelled lines of DESCRIBE EXTENDED (text only: JSON has them typed,
 * describe_json_fields). */
static int describe_text_fields(sl_session *s, sl_arena *a, const sl_source *src,
                                const source_stats *ss, sl_rfield *f, int nf)
{
    const unsigned T = SL_R_TEXT_ONLY;
    f[nf++] = (sl_rfield){"Type", "type", src->is_table ? "TABLE" : "STREAM", T};
    if (src->is_source)
        f[nf++] = (sl_rfield){"Read-only", "readOnly", "true", T};
    f[nf++] = (sl_rfield){"Timestamp field", "timestamp",
                          src->timestamp ? src->timestamp : "Not set - using <ROWTIME>", T};
    f[nf++] = (sl_rfield){"Key format", "keyFormat", src->key_format, T};
    f[nf++] = (sl_rfield){"Value format", "valueFormat", src->value_format, T};
    f[nf++] = (sl_rfield){"Kafka topic", "topic",
                          sl_arena_printf(a, "%s (partitions: %d, replication: %d)",
                                          src->kafka_topic, src->partitions,
                                          src->replicas > 0 ? src->replicas : 1), T};
    if (src->window_type)
        f[nf++] = (sl_rfield){"Window type", "windowType", src->window_type, T};
    f[nf++] = (sl_rfield){"Statement", "statement", src->statement, T};
    if (!s->eng)
        return nf;
    /* the queries on it and what they did, as ksqlDB's runtime statistics */
    const char *kwd = src->is_table ? "TABLE" : "STREAM";
    f[nf++] = (sl_rfield){sl_arena_printf(a, "Queries that read from this %s", kwd),
                          "readQueries", queries_on(s, a, src->name, false, NULL), T};
    f[nf++] = (sl_rfield){sl_arena_printf(a, "Queries that write from this %s", kwd),
                          "writeQueries", queries_on(s, a, src->name, true, NULL), T};
    f[nf++] = (sl_rfield){"Runtime statistics", "statistics", stats_text(a, ss, true), T};
    if (ss->stateful)
        f[nf++] = (sl_rfield){"State", "state", state_text(a, ss), T};
    return nf;
}

/* ksqlDB's SourceDescription members (JSON only), for DESCRIBE with and
 * without EXTENDED: the statistics are filled only with it, as ksqlDB does. */
static int describe_json_fields(sl_session *s, sl_arena *a, const sl_source *src, bool extended,
                                const source_stats *ss, sl_rfield *f, int nf)
{
    const unsigned J = SL_R_JSON_ONLY, R = SL_R_JSON_ONLY | SL_R_JSON_RAW;
    f[nf++] = (sl_rfield){"", "windowType", src->window_type, J};
    f[nf++] = (sl_rfield){"", "readQueries", running_queries_json(s, a, src->name, false), R};
    f[nf++] = (sl_rfield){"", "writeQueries", running_queries_json(s, a, src->name, true), R};
    f[nf++] = (sl_rfield){"", "type", src->is_table ? "TABLE" : "STREAM", J};
    f[nf++] = (sl_rfield){"", "timestamp", src->timestamp ? src->timestamp : "", J};
    bool stats = extended && s->eng;
    f[nf++] = (sl_rfield){"", "statistics", stats ? stats_text(a, ss, false) : "", J};
    f[nf++] = (sl_rfield){"", "errorStats",
                          stats ? sl_arena_printf(a, "consumer-failed-messages: %llu",
                                                  (unsigned long long)ss->failed)
                                : "", J};
    f[nf++] = (sl_rfield){"", "extended", extended ? "true" : "false", R};
    f[nf++] = (sl_rfield){"", "keyFormat", src->key_format, J};
    f[nf++] = (sl_rfield){"", "valueFormat", src->value_format, J};
    f[nf++] = (sl_rfield){"", "topic", src->kafka_topic, J};
    f[nf++] = (sl_rfield){"", "partitions", sl_arena_printf(a, "%d", src->partitions), R};
    f[nf++] = (sl_rfield){"", "replication",
                          sl_arena_printf(a, "%d", src->replicas > 0 ? src->replicas : 1), R};
    f[nf++] = (sl_rfield){"", "statement", src->statement ? src->statement : "", J};
    f[nf++] = (sl_rfield){"", "queryOffsetSummaries", "[]", R};
    f[nf++] = (sl_rfield){"", "sourceConstraints", constraints_json(s, a, src->name), R};
    f[nf++] = (sl_rfield){"", "readOnly", src->is_source ? "true" : "false", R};
    if (stats && ss->stateful)
        f[nf++] = (sl_rfield){"", "state", state_text(a, ss), J};
    return nf;
}

static void describe_source(sl_session *s, sl_arena *a, const sl_source *src, bool extended,
                            sl_result *r)
{
    int nf = 0;
    sl_rfield *f = sl_arena_zalloc(a, 48 * sizeof *f);
    source_stats ss;
    get_source_stats(s, src, &ss);
    f[nf++] = (sl_rfield){"Name", "name", src->name, 0};
    if (extended)
        nf = describe_text_fields(s, a, src, &ss, f, nf);
    nf = describe_json_fields(s, a, src, extended, &ss, f, nf);
    /* fields as ksqlDB's FieldInfo: name, schema, and type KEY or HEADER
       (absent for value columns), headerKey for a header('k') column */
    static const sl_rcol cols[] = {
        {"Field", "name", T_STR, 0},
        {"Type", "type", T_STR, SL_R_TEXT_ONLY},    /* with the (key) marker */
        {"", "schema", T_STR, SL_R_JSON_ONLY | SL_R_JSON_RAW},
        {"", "type", T_STR, SL_R_JSON_ONLY | SL_R_OMIT_NULL},
        {"", "headerKey", T_STR, SL_R_JSON_ONLY | SL_R_OMIT_NULL},
    };
    rb b;
    rb_init(&b, a, cols, 5);
    sl_buf sb = SL_BUF_INIT;
    for (int i = 0; i < src->schema.ncols; i++) {
        const sl_column *c = &src->schema.cols[i];
        sl_value *row = rb_row(&b);
        const char *ty = sl_type_str(a, c->type);
        const char *mk = column_marker(a, src, c);
        sl_buf_reset(&sb);
        sl_render_schema_json(&sb, c->type);
        row[0] = str_value(c->name);
        row[1] = str_value(mk ? sl_arena_printf(a, "%s %s", ty, mk) : ty);
        row[2] = str_value(sl_arena_strdup(a, sl_buf_cstr(&sb)));
        row[3] = str_value(c->kind == SL_COLK_KEY ? "KEY"
                           : c->kind == SL_COLK_HEADERS || c->kind == SL_COLK_HEADER ? "HEADER"
                                                                                     : NULL);
        row[4] = str_value(c->kind == SL_COLK_HEADER ? c->header_key : NULL);
    }
    sl_buf_fini(&sb);
    r->type = "sourceDescription";
    r->body_key = "sourceDescription";
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

/* The arguments of a formatted signature "NAME(a TYPE, TYPE...) => RET" as
 * ksqlDB's ArgumentInfo list; *ret gets RET. A first word in lower case is
 * the argument's name (types are upper case); "..." marks a variadic one. */
static const char *fn_arguments_json(sl_arena *a, const char *sig, const char **ret)
{
    sl_buf b = SL_BUF_INIT;
    const char *p = strchr(sig, '(');
    int depth = 0, n = 0;
    sl_buf_putc(&b, '[');
    for (const char *arg = p ? p + 1 : sig + strlen(sig), *q = arg; p && *q; q++) {
        if (*q == '(' || *q == '<')
            depth++;
        else if ((*q == ')' || *q == '>') && depth > 0)
            depth--;
        else if (depth == 0 && (*q == ',' || *q == ')')) {
            while (*arg == ' ')
                arg++;
            size_t len = (size_t)(q - arg);
            if (len > 0) {
                bool variadic = len > 3 && strncmp(q - 3, "...", 3) == 0;
                if (variadic)
                    len -= 3;
                const char *sp = memchr(arg, ' ', len);
                bool named = sp && arg[0] >= 'a' && arg[0] <= 'z';
                const char *name = named ? sl_arena_strndup(a, arg, (size_t)(sp - arg)) : "";
                const char *ty = named ? sl_arena_strndup(a, sp + 1, len - (size_t)(sp + 1 - arg))
                                       : sl_arena_strndup(a, arg, len);
                sl_buf_puts(&b, n++ ? ",{\"name\":" : "{\"name\":");
                json_text(&b, name);
                sl_buf_puts(&b, ",\"type\":");
                json_text(&b, ty);
                sl_buf_printf(&b, ",\"description\":\"\",\"isVariadic\":%s}",
                              variadic ? "true" : "false");
            }
            arg = q + 1;
            if (*q == ')') {
                const char *r = strstr(q, "=> ");
                *ret = r ? sl_arena_strdup(a, r + 3) : "";
                break;
            }
        }
    }
    sl_buf_putc(&b, ']');
    const char *res = sl_arena_strdup(a, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return res;
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
    sl_rfield *f = sl_arena_zalloc(a, 7 * sizeof *f);
    f[0] = (sl_rfield){"Name", "name", fn->name, 0};
    f[1] = (sl_rfield){"Overview", "description", fn->description, 0};
    f[2] = (sl_rfield){"Type", "type", fn_kind_name(fn->kind), 0};
    f[3] = (sl_rfield){"Category", "category", fn->category, 0};
    f[4] = (sl_rfield){"", "author", "", SL_R_JSON_ONLY};         /* ksqlDB's, for UDFs */
    f[5] = (sl_rfield){"", "version", SLUICE_VERSION, SL_R_JSON_ONLY};
    f[6] = (sl_rfield){"", "path", "internal", SL_R_JSON_ONLY};
    /* JSON: ksqlDB's FunctionInfo (arguments, returnType, description) */
    static const sl_rcol cols[] = {
        {"Variation", "signature", T_STR, 0},
        {"Description", "description", T_STR, 0},
        {"", "arguments", T_STR, SL_R_JSON_ONLY | SL_R_JSON_RAW},
        {"", "returnType", T_STR, SL_R_JSON_ONLY},
    };
    rb b;
    rb_init(&b, a, cols, 4);
    sl_buf sig = SL_BUF_INIT;
    for (int i = 0; i < fn->noverloads; i++) {
        sl_buf_reset(&sig);
        sl_overload_format(&sig, fn, &fn->overloads[i]);
        sl_value *row = rb_row(&b);
        row[0] = sl_string_copy(a, sl_buf_cstr(&sig), sig.len);
        row[1] = str_value(fn->overloads[i].doc ? fn->overloads[i].doc : "");
        const char *ret = "";
        row[2] = str_value(fn_arguments_json(a, sl_buf_cstr(&sig), &ret));
        row[3] = str_value(ret);
    }
    sl_buf_fini(&sig);
    r->type = "describe_function";
    r->fields = f;
    r->nfields = 7;
    rb_finish(&b, r, "functions");
    return 0;
}

/* ---- SHOW TOPICS [EXTENDED] ---- */

/* Partition replicas as ksqlDB's CLI shows them: the count when every
 * partition has as many, else each partition's; and ksqlDB's replicaInfo. */
static void replica_info(sl_arena *a, const sl_topic_info *ti, const char **text,
                         const char **json)
{
    sl_buf t = SL_BUF_INIT, j = SL_BUF_INIT;
    bool same = true;
    for (int p = 1; p < ti->config.partitions; p++)
        same = same && ti->partitions[p].replicas == ti->partitions[0].replicas;
    sl_buf_putc(&j, '[');
    for (int p = 0; p < ti->config.partitions; p++) {
        int32_t n = ti->partitions[p].replicas;
        sl_buf_printf(&j, "%s%d", p ? "," : "", (int)n);
        if (p == 0 || !same)
            sl_buf_printf(&t, "%s%d", p ? ", " : "", (int)n);
    }
    sl_buf_putc(&j, ']');
    *text = sl_arena_strdup(a, sl_buf_cstr(&t));
    *json = sl_arena_strdup(a, sl_buf_cstr(&j));
    sl_buf_fini(&t);
    sl_buf_fini(&j);
}

/* Consumers of a group: its members on the cluster, or, on a log without
 * membership, whether the query of that id runs in this process. */
static int group_consumers(sl_session *s, const sl_log_group *g)
{
    if (g->members >= 0)
        return g->members;
    sl_runtime *rt = sl_engine_runtime(s->eng);
    for (int i = 0; rt && i < sl_runtime_query_count(rt); i++) {
        sl_query *q = sl_runtime_query_at(rt, i);
        sl_query_stats qs;
        sl_query_get_stats(q, &qs);
        if (!strcmp(sl_query_id(q), g->group) && qs.state == SL_QUERY_RUNNING)
            return 1;
    }
    return 0;
}

/* A group's lag on a topic: records between its committed positions and
 * the partitions' ends (partitions it has committed nothing on count none). */
static int64_t group_lag(const sl_log_group *g, const sl_topic_info *ti)
{
    int64_t lag = 0;
    for (int i = 0; i < g->n_positions; i++) {
        int32_t p = g->positions[i].partition;
        if (p < 0 || p >= ti->config.partitions)
            continue;
        int64_t next = g->positions[i].next_offset;
        if (next < ti->partitions[p].start_offset)
            next = ti->partitions[p].start_offset;
        if (ti->partitions[p].end_offset > next)
            lag += ti->partitions[p].end_offset - next;
    }
    return lag;
}

/*
 * SHOW [ALL] TOPICS [EXTENDED]: ksqlDB's kafka_topics (name, replicaInfo)
 * with partitions and records besides; EXTENDED is ksqlDB's
 * kafka_topics_extended (consumerCount, consumerGroupCount) with each
 * group's consumers and lag besides, as a second table in text.
 */
static int show_topics(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                       sl_error *err)
{
    if (need_engine(s, st, "SHOW TOPICS", err) < 0)
        return -1;
    static const sl_rcol cols[] = {
        {"Kafka Topic", "name", T_STR, 0},
        {"Partitions", "partitions", T_INT, 0},
        {"Partition Replicas", "replicaInfo", T_STR, SL_R_TEXT_ONLY},
        {"", "replicaInfo", T_STR, SL_R_JSON_ONLY | SL_R_JSON_RAW},
        {"Records", "records", T_BIGINT, 0},
        {"Consumers", "consumerCount", T_INT, 0},
        {"ConsumerGroups", "consumerGroupCount", T_INT, 0},
        {"", "consumerGroups", T_STR, SL_R_JSON_ONLY | SL_R_JSON_RAW},
    };
    static const sl_rcol gcols[] = {
        {"Consumer Group", "name", T_STR, 0},
        {"Kafka Topic", "topic", T_STR, 0},
        {"Consumers", "consumers", T_INT, 0},
        {"Lag", "lag", T_BIGINT, 0},
    };
    bool ext = st->extended;
    rb b, gb;
    rb_init(&b, a, cols, ext ? 8 : 5);
    rb_init(&gb, a, gcols, 4);
    sl_log *log = sl_engine_log(s->eng);
    const char **names;
    int n = 0, ng = 0, gi = 0;
    sl_log_group *groups = NULL;
    if (sl_log_list_topics(log, a, &names, &n, err) < 0)
        return -1;
    const char *no_groups = NULL;   /* why groups are unknown */
    if (ext && sl_log_list_groups(log, a, &groups, &ng, err) < 0) {
        if (err->code != SL_ERR_UNSUPPORTED)
            return -1;
        no_groups = sl_arena_printf(a, "Consumers unknown: %s.", err->msg);
        sl_error_clear(err);
    }
    sl_buf jb = SL_BUF_INIT;
    for (int i = 0; i < n; i++) {
        if (st->show != SL_SHOW_ALL_TOPICS && names[i][0] == '_')
            continue;       /* internal topics (the journal) */
        sl_topic_info ti;
        if (sl_log_describe_topic(log, names[i], a, &ti, err) < 0) {
            sl_buf_fini(&jb);
            return -1;
        }
        int64_t recs = 0;
        for (int p = 0; p < ti.config.partitions; p++)
            recs += ti.partitions[p].end_offset - ti.partitions[p].start_offset;
        const char *rtext, *rjson;
        replica_info(a, &ti, &rtext, &rjson);
        sl_value *row = rb_row(&b);
        row[0] = str_value(names[i]);
        row[1] = sl_int(ti.config.partitions);
        row[2] = str_value(rtext);
        row[3] = str_value(rjson);
        row[4] = sl_bigint(recs);
        if (!ext)
            continue;
        while (gi < ng && strcmp(groups[gi].topic, names[i]) < 0)
            gi++;       /* groups of hidden topics */
        int consumers = 0, ngroups = 0;
        sl_buf_reset(&jb);
        sl_buf_putc(&jb, '[');
        for (; gi < ng && !strcmp(groups[gi].topic, names[i]); gi++) {
            int c = group_consumers(s, &groups[gi]);
            int64_t lag = group_lag(&groups[gi], &ti);
            consumers += c;
            if (ngroups++)
                sl_buf_putc(&jb, ',');
            sl_buf_puts(&jb, "{\"name\":");
            json_text(&jb, groups[gi].group);
            sl_buf_printf(&jb, ",\"consumers\":%d,\"lag\":%lld}", c, (long long)lag);
            sl_value *grow = rb_row(&gb);
            grow[0] = str_value(groups[gi].group);
            grow[1] = str_value(names[i]);
            grow[2] = sl_int(c);
            grow[3] = sl_bigint(lag);
        }
        sl_buf_putc(&jb, ']');
        if (no_groups)
            continue;   /* NULL: not known */
        row[5] = sl_int(consumers);
        row[6] = sl_int(ngroups);
        row[7] = str_value(sl_arena_strdup(a, sl_buf_cstr(&jb)));
    }
    r->footer = no_groups;
    sl_buf_fini(&jb);
    r->type = ext ? "kafka_topics_extended" : "kafka_topics";
    rb_finish(&b, r, "topics");
    if (gb.nrows > 0) {     /* text only: JSON has them in each topic */
        sl_result *ch = sl_arena_zalloc(a, sizeof *ch);
        rb_finish(&gb, ch, "consumerGroups");
        r->children = ch;
        r->nchildren = 1;
    }
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
            {"", "type", T_STR, SL_R_JSON_ONLY},    /* SCALAR, AGGREGATE, TABLE */
        };
        rb_init(&b, a, cols, 3);
        const sl_registry *reg = sl_registry_builtin();
        for (int i = 0; i < sl_registry_count(reg); i++) {
            const sl_function *fn = sl_registry_at(reg, i);
            sl_value *row = rb_row(&b);
            row[0] = str_value(fn->name);
            row[1] = str_value(fn->category);
            row[2] = str_value(fn_kind_name(fn->kind));
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
        sl_buf set = SL_BUF_INIT, dflt = SL_BUF_INIT;   /* ksqlDB's name lists */
        while (ik < nk || is < ns) {
            const char *sname = NULL;
            const char *sval = is < ns ? sl_catalog_property_at(s->cat, is, &sname) : NULL;
            int c = ik >= nk ? 1 : is >= ns ? -1 : strcmp(known[ik].name, sname);
            sl_value *row = rb_row(&b);
            if (c < 0) {
                row[0] = str_value(known[ik].name);
                row[1] = str_value("DEFAULT");
                row[2] = str_value(known[ik].def);
                sl_buf_putc(&dflt, dflt.len ? ',' : '[');
                json_text(&dflt, known[ik].name);
                ik++;
            } else {
                row[0] = str_value(sname);
                row[1] = str_value("SESSION");
                row[2] = str_value(sval);
                sl_buf_putc(&set, set.len ? ',' : '[');
                json_text(&set, sname);
                is++;
                if (c == 0)
                    ik++;
            }
        }
        sl_rfield *f = sl_arena_zalloc(a, 2 * sizeof *f);
        f[0] = (sl_rfield){"", "overwrittenProperties",
                           sl_arena_printf(a, "%s]", set.len ? sl_buf_cstr(&set) : "["),
                           SL_R_JSON_ONLY | SL_R_JSON_RAW};
        f[1] = (sl_rfield){"", "defaultProperties",
                           sl_arena_printf(a, "%s]", dflt.len ? sl_buf_cstr(&dflt) : "["),
                           SL_R_JSON_ONLY | SL_R_JSON_RAW};
        sl_buf_fini(&set);
        sl_buf_fini(&dflt);
        r->fields = f;
        r->nfields = 2;
        r->type = "properties";
        rb_finish(&b, r, "properties");
        return 0;
    }
    case SL_SHOW_QUERIES: {
        static const sl_rcol cols[] = {
            {"Query ID", "id", T_STR, 0},
            {"Query Type", "queryType", T_STR, 0},
            {"Status", "state", T_STR, 0},
            {"Sink Name", "sinks", T_STR, SL_R_TEXT_ONLY},
            {"Query String", "queryString", T_STR, 0},
            /* ksqlDB's RunningQuery has its sinks as arrays and a status count */
            {"", "sinks", T_STR, SL_R_JSON_ONLY | SL_R_JSON_RAW},
            {"", "sinkKafkaTopics", T_STR, SL_R_JSON_ONLY | SL_R_JSON_RAW},
            {"", "statusCount", T_STR, SL_R_JSON_ONLY | SL_R_JSON_RAW},
            {"Records In", "recordsIn", T_BIGINT, 0},
            {"Records Out", "recordsOut", T_BIGINT, 0},
            {"Records Failed", "recordsFailed", T_BIGINT, 0},
            {"Error", "error", T_STR, 0},
        };
        rb_init(&b, a, cols, st->extended ? 12 : 8);
        sl_buf jb = SL_BUF_INIT;
        sl_runtime *rt = s->eng ? sl_engine_runtime(s->eng) : NULL;
        for (int i = 0; rt && i < sl_runtime_query_count(rt); i++) {
            sl_query *q = sl_runtime_query_at(rt, i);
            sl_query_stats qs;
            sl_query_get_stats(q, &qs);
            const sl_source *sink = sl_plan_sink(sl_query_plan(q));
            const char *sql = sl_engine_query_statement(s->eng, sl_query_id(q));
            sl_value *row = rb_row(&b);
            row[0] = str_value(sl_arena_strdup(a, sl_query_id(q)));
            row[1] = str_value("PERSISTENT");
            row[2] = str_value(query_state_name(qs.state));
            row[3] = str_value(sink ? sl_arena_strdup(a, sink->name) : NULL);
            row[4] = str_value(sql ? sl_arena_strdup(a, sql) : NULL);
            sl_buf_reset(&jb);
            sl_buf_putc(&jb, '[');
            if (sink)
                json_text(&jb, sink->name);
            sl_buf_putc(&jb, ']');
            row[5] = str_value(sl_arena_strdup(a, sl_buf_cstr(&jb)));
            sl_buf_reset(&jb);
            sl_buf_putc(&jb, '[');
            if (sink)
                json_text(&jb, sink->kafka_topic);
            sl_buf_putc(&jb, ']');
            row[6] = str_value(sl_arena_strdup(a, sl_buf_cstr(&jb)));
            row[7] = str_value(sl_arena_printf(a, "{\"%s\":1}", query_state_name(qs.state)));
            if (st->extended) {
                row[8] = sl_bigint((int64_t)qs.records_in);
                row[9] = sl_bigint((int64_t)qs.records_out);
                row[10] = sl_bigint((int64_t)qs.records_failed);
                row[11] = str_value(qs.state == SL_QUERY_ERROR ? sl_arena_strdup(a, qs.error)
                                                               : NULL);
            }
        }
        sl_buf_fini(&jb);
        r->type = "queries";
        rb_finish(&b, r, "queries");
        return 0;
    }
    case SL_SHOW_TOPICS:
    case SL_SHOW_ALL_TOPICS:
        return show_topics(s, st, a, r, err);
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
    /* properties that load code or run commands are refused here as in files */
    if (sl_config_check_property(k, st->str2, "SET", st->span, err) < 0)
        return -1;
    if (sl_catalog_set_property(s->cat, k, st->str2, st->span, err) < 0)
        return -1;
    const char *now = sl_catalog_property(s->cat, k);
    r->message = old ? sl_arena_printf(a, "Successfully changed local property '%s' from '%s' "
                                          "to '%s'.", k, old, now)
                     : sl_arena_printf(a, "Successfully changed local property '%s' to '%s'.",
                                       k, now);
    const char *why = sl_catalog_property_not_yet(k);
    if (why)    /* say so rather than pretend: the value is kept, nothing acts on it */
        r->message = sl_arena_printf(a, "%s Note: '%s' has no effect yet: %s.",
                                     r->message, k, why);
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

/* ---- ASSERT ---- */

static const char *resolve_topic(sl_session *s, sl_arena *a, const char *topic, sl_error *err);

/* How long an ASSERT without TIMEOUT waits: ksqlDB's
 * ksql.assert.topic.default.timeout.ms (1 s). */
static int64_t assert_timeout_ms(sl_session *s, const sl_stmt *st)
{
    if (st->timeout.set)
        return st->timeout.ms;
    const char *v = sl_catalog_property(s->cat, "ksql.assert.topic.default.timeout.ms");
    return v ? strtoll(v, NULL, 10) : 1000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps a poll interval, never past the deadline; false once it has passed. */
static bool assert_wait(int64_t deadline)
{
    int64_t left = deadline - mono_ms();
    if (left <= 0)
        return false;
    int64_t ms = left < 100 ? left : 100;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return true;
}

/* The WITH properties of ASSERT TOPIC checked against the topic: PARTITIONS
 * and REPLICAS only, as in ksqlDB; NULL when they match, else why not. */
static const char *topic_mismatch(sl_session *s, const sl_stmt *st, int partitions,
                                  sl_arena *a)
{
    for (int i = 0; i < st->props.n; i++) {
        const sl_property *p = st->props.items[i];
        const char *name = p->name.name ? p->name.name : "";
        const char *text = p->value && p->value->text ? p->value->text : "";
        long long want = strtoll(text, NULL, 10);
        if (strcasecmp(name, "PARTITIONS") == 0) {
            if (want != partitions)
                return sl_arena_printf(a, "Mismatched configuration for topic %s: For config "
                                          "partitions, expected %lld got %d", st->str, want,
                                       partitions);
        } else if (strcasecmp(name, "REPLICAS") == 0) {
            /* the embedded log keeps one copy; Kafka's replicas are not in sl_topic_info */
            if (s->eng && sl_engine_on_kafka(s->eng))
                return sl_arena_printf(a, "Cannot assert topic property REPLICAS of %s: the "
                                          "replication factor is not known to this build",
                                       st->str);
            if (want != 1)
                return sl_arena_printf(a, "Mismatched configuration for topic %s: For config "
                                          "replicas, expected %lld got 1", st->str, want);
        } else {
            return sl_arena_printf(a, "Cannot assert unknown topic property: %s", name);
        }
    }
    return NULL;
}

static int do_assert_topic(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                           sl_error *err)
{
    const char *topic = st->str ? st->str : "";
    int64_t deadline = mono_ms() + assert_timeout_ms(s, st);
    const char *why = NULL;
    for (;;) {
        const char *t = resolve_topic(s, a, st->str ? st->str : "", err);
        if (!t)
            return -1;
        topic = t;
        int np = sl_catalog_topic_partitions(s->cat, t);
        if (st->not_exists && np < 0)
            break;
        if (!st->not_exists && np >= 0 && !(why = topic_mismatch(s, st, np, a)))
            break;
        if (!assert_wait(deadline)) {
            if (!why)
                why = sl_arena_printf(a, st->not_exists ? "Topic %s exists"
                                                        : "Topic %s does not exist", topic);
            return sl_error_set(err, SL_ERR_ANALYSIS, head_span(st, 6), "%s", why);
        }
    }
    r->type = "assert_topic";
    r->message = sl_arena_printf(a, st->not_exists ? "Topic %s does not exist."
                                                   : "Topic %s exists.", topic);
    return 0;
}

/* ASSERT [NOT] EXISTS STREAM|TABLE: a source of that name and kind in the
 * catalog (a table named in ASSERT STREAM does not count). */
static int do_assert_source(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                            sl_error *err)
{
    const char *name = st->name.name ? st->name.name : "";
    int64_t deadline = mono_ms() + assert_timeout_ms(s, st);
    for (;;) {
        const sl_source *src = sl_catalog_find_source(s->cat, name);
        bool there = src && src->is_table == st->is_table;
        if (there != st->not_exists)
            break;
        if (!assert_wait(deadline))
            return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                                there ? "%s %s exists" : "%s %s does not exist",
                                Kw(st->is_table), name);
    }
    r->type = st->is_table ? "assert_table" : "assert_stream";
    r->message = sl_arena_printf(a, st->not_exists ? "%s %s does not exist." : "%s %s exists.",
                                 Kw(st->is_table), name);
    return 0;
}

/* ---- the rest ---- */

static int do_not_yet(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                      sl_error *err)
{
    const char *what = "this statement";
    const char *with = "the runtime";
    switch (st->kind) {
    case SL_S_ASSERT_SCHEMA: what = "ASSERT SCHEMA"; with = "a schema registry"; break;
    default: break;
    }
    return sl_error_set(err, SL_ERR_UNSUPPORTED, head_span(st, 6),
                        "%s is not executed yet: it arrives with %s", what, with);
}

/* A JSON array of one name, or an empty one. */
static const char *name_array(sl_arena *a, const char *name)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_putc(&b, '[');
    if (name)
        json_text(&b, name);
    sl_buf_putc(&b, ']');
    const char *res = sl_arena_strdup(a, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return res;
}

/* The query's output columns as ksqlDB's FieldInfo list (persistent
 * queries: the sink's; a SELECT's are not known here: empty). */
static const char *sink_fields_json(sl_arena *a, const sl_source *sink)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_putc(&b, '[');
    for (int i = 0; sink && i < sink->schema.ncols; i++) {
        const sl_column *c = &sink->schema.cols[i];
        sl_buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
        json_text(&b, c->name);
        sl_buf_puts(&b, ",\"schema\":");
        sl_render_schema_json(&b, c->type);
        if (c->kind == SL_COLK_KEY)
            sl_buf_puts(&b, ",\"type\":\"KEY\"");
        sl_buf_putc(&b, '}');
    }
    sl_buf_putc(&b, ']');
    const char *res = sl_arena_strdup(a, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return res;
}

/* ksqlDB's queryDescription: the text shows ID, type, SQL and the plan;
 * JSON nests a QueryDescription. */
static void explain_result(sl_arena *a, const char *id, const char *type, const char *sql,
                           const sl_plan *plan, const char *repart, sl_result *r)
{
    sl_buf pb = SL_BUF_INIT;
    sl_plan_explain(plan, &pb);
    /* a running query's stages (runtime.c) */
    if (repart)
        sl_buf_printf(&pb, "  Stages: 1 (per input partition) SOURCE to the GROUP BY values, "
                      "then REPARTITION to topic '%s' by them; 2 (per partition of it) "
                      "AGGREGATE to SINK\n", repart);
    const char *text = sl_arena_strdup(a, sl_buf_cstr(&pb));
    sl_buf_fini(&pb);
    const sl_source *in = sl_plan_input(plan), *sink = sl_plan_sink(plan);
    const unsigned J = SL_R_JSON_ONLY, R = SL_R_JSON_ONLY | SL_R_JSON_RAW;
    sl_rfield *f = sl_arena_zalloc(a, 12 * sizeof *f);
    int nf = 0;
    f[nf++] = (sl_rfield){"ID", "id", id, 0};
    f[nf++] = (sl_rfield){"Query Type", "queryType", type, 0};
    f[nf++] = (sl_rfield){"SQL", "statementText", sql, 0};
    f[nf++] = (sl_rfield){"", "windowType", sink ? sink->window_type : NULL, J};
    f[nf++] = (sl_rfield){"", "fields", sink_fields_json(a, sink), R};
    f[nf++] = (sl_rfield){"", "sources", name_array(a, in ? in->name : NULL), R};
    f[nf++] = (sl_rfield){"", "sinks", name_array(a, sink ? sink->name : NULL), R};
    f[nf++] = (sl_rfield){"", "topology", "", J};
    f[nf++] = (sl_rfield){"", "executionPlan", text, J};
    f[nf++] = (sl_rfield){"", "overriddenProperties", "{}", R};
    r->type = "queryDescription";
    r->body_key = "queryDescription";
    r->fields = f;
    r->nfields = nf;
    r->footer = sl_arena_printf(a, "\nExecution plan\n--------------\n%s", text);
}

static int do_explain(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                      sl_error *err)
{
    if (st->explained) {
        const sl_stmt *x = st->explained;
        sl_stmt_kind k = x->kind;
        if (k != SL_S_SELECT && k != SL_S_CREATE_AS && k != SL_S_INSERT_SELECT)
            return sl_error_set(err, SL_ERR_ANALYSIS, x->span,
                                "EXPLAIN explains queries: SELECT, CREATE ... AS SELECT or "
                                "INSERT INTO ... SELECT");
        compiled cl = {0};
        qshape q;
        int rc = x->query ? check_query(s, x->query, a, &cl, &q, err)
                          : sl_error_set(err, SL_ERR_INTERNAL, x->span, "no query");
        compiled_release(&cl);
        if (rc < 0)
            return -1;
        if (q.constant)
            return sl_error_set(err, SL_ERR_ANALYSIS, x->span,
                                "a SELECT without FROM has no plan to explain");
        sl_plan_opts po = {0};
        po.query_id = "EXPLAIN";
        po.reset = session_reset(s);
        po.log_rows = session_log_rows(s);
        po.limit = x->query->limit >= 0 && x->query->limit < 2147483647 ? (int)x->query->limit
                                                                         : -1;
        sl_plan *plan = sl_plan_build(s->cat, x->query, &po, err);
        if (!plan)
            return -1;
        explain_result(a, "EXPLAIN", k == SL_S_SELECT ? "TRANSIENT" : "PERSISTENT",
                       x->text ? x->text : "", plan, NULL, r);
        sl_plan_free(plan);
        return 0;
    }
    sl_query *q = s->eng && st->name.name ? sl_runtime_find(sl_engine_runtime(s->eng),
                                                            st->name.name) : NULL;
    if (!q)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span, "query '%s' does not exist",
                            st->name.name ? st->name.name : "");
    const char *sql = sl_engine_query_statement(s->eng, st->name.name);
    explain_result(a, sl_arena_strdup(a, sl_query_id(q)), "PERSISTENT",
                   sl_arena_strdup(a, sql ? sql : ""), sl_query_plan(q),
                   sl_query_repartition_topic(q), r);
    return 0;
}

static int do_query_control(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r,
                            sl_error *err)
{
    const char *verb = st->kind == SL_S_TERMINATE ? "terminate"
                       : st->kind == SL_S_PAUSE   ? "pause" : "resume";
    const char *done = st->kind == SL_S_TERMINATE ? "terminated"
                       : st->kind == SL_S_PAUSE   ? "paused" : "resumed";
    sl_query_action act = st->kind == SL_S_TERMINATE ? SL_QA_TERMINATE
                          : st->kind == SL_S_PAUSE   ? SL_QA_PAUSE : SL_QA_RESUME;
    const char **ids = NULL;
    int nids = 0;
    if (st->all) {
        nids = s->eng ? sl_engine_query_ids(s->eng, a, &ids) : 0;
        if (nids == 0) {
            r->message = sl_arena_printf(a, "No queries are running: nothing to %s.", verb);
            return 0;
        }
    } else {
        if (!s->eng || !st->name.name || !sl_engine_has_query(s->eng, st->name.name))
            return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                                "cannot %s query '%s': no such query is running", verb,
                                st->name.name ? st->name.name : "");
        ids = sl_arena_zalloc(a, sizeof *ids);
        ids[nids++] = st->name.name;
    }
    for (int i = 0; i < nids; i++)
        if (sl_engine_control_query(s->eng, ids[i], act, err) < 0) {
            if (err->span.off == SL_NOPOS)
                err->span = st->all ? head_span(st, 6) : st->name.span;
            return -1;
        }
    if (journal(s, st, a, err) < 0)
        return -1;
    r->message = st->all ? sl_arena_printf(a, "%d quer%s %s.", nids, nids == 1 ? "y" : "ies",
                                           done)
                         : sl_arena_printf(a, "Query %s.", done);
    return 0;
}

/* PRINT shows a key as text when it is printable UTF-8, else as Kafka's
 * INT / BIGINT when it has their size, else in hex. */
static void print_bytes(sl_buf *b, const void *p, int32_t len)
{
    if (len < 0 || !p) {
        sl_buf_puts(b, "<null>");
        return;
    }
    const unsigned char *u = p;
    bool text = sl_utf8_valid(p, (size_t)len);
    for (int32_t i = 0; text && i < len; i++)
        if (u[i] < 0x20 && u[i] != '\t')
            text = false;
    if (text) {
        sl_buf_append(b, p, (size_t)len);
    } else if (len == 4) {
        int32_t v = (int32_t)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 |
                              u[3]);
        sl_buf_printf(b, "%d", v);
    } else if (len == 8) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = v << 8 | u[i];
        sl_buf_printf(b, "%lld", (long long)(int64_t)v);
    } else {
        for (int32_t i = 0; i < len; i++)
            sl_buf_printf(b, "%02x", u[i]);
    }
}

static void print_time(sl_buf *b, int64_t ms)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y/%m/%d %H:%M:%S", &tm);
    sl_buf_printf(b, "%s.%03d Z", buf, (int)(ms - (int64_t)secs * 1000));
}

/* The topic an unquoted (upper-cased) name means: the name itself when such
 * a topic exists, else a topic whose name matches it case-insensitively,
 * else the name. NULL when the log cannot list its topics. */
static const char *resolve_topic(sl_session *s, sl_arena *a, const char *topic, sl_error *err)
{
    if (!s->eng || sl_catalog_topic_partitions(s->cat, topic) >= 0)
        return topic;
    const char **names;
    int n = 0;
    if (sl_log_list_topics(sl_engine_log(s->eng), a, &names, &n, err) < 0)
        return NULL;
    for (int i = 0; i < n; i++)
        if (strcasecmp(names[i], topic) == 0)
            return names[i];
    return topic;
}

static int do_print(sl_session *s, const sl_stmt *st, sl_arena *a, sl_result *r, sl_error *err)
{
    if (need_engine(s, st, "PRINT", err) < 0)
        return -1;
    sl_log *log = sl_engine_log(s->eng);
    const char *topic = st->str ? st->str : st->name.name;
    sl_span tspan = st->name.span.off != SL_NOPOS ? st->name.span : st->span;
    if (!topic)
        return sl_error_set(err, SL_ERR_INTERNAL, st->span, "PRINT without a topic");
    if (!(topic = resolve_topic(s, a, topic, err)))
        return -1;
    sl_topic_info ti;
    if (sl_log_describe_topic(log, topic, a, &ti, err) < 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, tspan, "topic '%s' does not exist", topic);
    int np = ti.config.partitions;
    int64_t *pos = sl_arena_zalloc(a, (size_t)np * sizeof *pos);
    for (int p = 0; p < np; p++)
        pos[p] = st->from_beginning ? ti.partitions[p].start_offset : ti.partitions[p].end_offset;
    int64_t interval = st->interval > 0 ? st->interval : 1;
    int64_t limit = st->limit;
    int64_t seen = 0, shown = 0;
    bool done = limit == 0;
    sl_arena *batch = sl_arena_new(0);
    sl_record recs[100];
    sl_buf line = SL_BUF_INIT;
    struct sigaction old;
    cancel_begin(&old);
    int rc = 0;
    while (!done && !g_cancel) {
        uint64_t cseq = sl_log_commit_seq(log);
        int got = 0;
        for (int p = 0; p < np && !done; p++) {
            int n = 0;
            sl_arena_reset(batch);
            if (sl_log_read(log, topic, p, pos[p], 100, batch, recs, &n, err) < 0) {
                rc = -1;
                done = true;
                break;
            }
            got += n;
            for (int i = 0; i < n && !done; i++) {
                pos[p] = recs[i].offset + 1;
                if (seen++ % interval != 0)
                    continue;
                sl_buf_reset(&line);
                sl_buf_puts(&line, "rowtime: ");
                print_time(&line, recs[i].timestamp);
                sl_buf_puts(&line, ", key: ");
                print_bytes(&line, recs[i].key, recs[i].key_len);
                sl_buf_puts(&line, ", value: ");
                print_bytes(&line, recs[i].value, recs[i].value_len);
                sl_buf_printf(&line, ", partition: %d\n", (int)recs[i].partition);
                fwrite(line.data, 1, line.len, s->out);
                fflush(s->out);
                if (limit >= 0 && ++shown >= limit)
                    done = true;
            }
        }
        if (!got && !done)
            sl_log_wait_since(log, cseq, 200);
    }
    cancel_end(&old);
    sl_buf_fini(&line);
    sl_arena_free(batch);
    if (rc < 0)
        return -1;
    r->message = "Topic printing ceased";
    return 0;
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
    [SL_S_ASSERT_TOPIC] = do_assert_topic,
    [SL_S_ASSERT_SOURCE] = do_assert_source,
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
    if (s->remote)
        return s->remote(s->remote_ud, text, len, srcname);
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
            if (!s->keep_going)
                break;
            continue;   /* the parser resumes after the next ';' */
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
        if (status && !s->keep_going)
            break;
    }
    sl_parser_free(p);
    return status;
}
