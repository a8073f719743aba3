/*
 * ast.c: building and printing the syntax tree of grammar/ast.h.
 *
 * Does: the builders the grammar actions call (one per construct, each
 * filling a node from tokens and sub-trees and checking what the grammar
 * cannot: literal ranges, durations, type parameters, lambda parameters,
 * nesting depth), and two printers: sl_expr_print (canonical SQL, as
 * ksqlDB names unaliased columns and shows EXPLAIN) and sl_stmt_dump
 * (a deterministic S-expression of a whole statement, for tests).
 * Does not: resolve names or types; every node lives in the statement arena.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gram.h"
#include "parser.h"

#define MAX_DEPTH 512   /* deeper expressions are refused: later phases recurse on them */

/* Every expression node carries its nesting depth just before it, so the
 * builders can refuse trees that recursive consumers could not walk. */
typedef struct enode {
    int depth;
    sl_expr e;
} enode;

static int edepth(const sl_expr *e)
{
    return e ? ((const enode *)(const void *)((const char *)e - offsetof(enode, e)))->depth : 0;
}

void sl_list_push_(sl_arena *a, void **items, int *n, int *cap, size_t elsize, const void *elem)
{
    if (*n >= *cap) {
        int ncap = *cap ? *cap * 2 : 4;
        *items = sl_arena_realloc(a, *items, (size_t)*cap * elsize, (size_t)ncap * elsize);
        *cap = ncap;
    }
    memcpy((char *)*items + (size_t)*n * elsize, elem, elsize);
    (*n)++;
}

sl_expr *sl_expr_new(sl_arena *a, sl_expr_kind kind, sl_span span)
{
    enode *n = sl_arena_zalloc(a, sizeof *n);
    n->depth = 1;
    n->e.kind = kind;
    n->e.span = span;
    return &n->e;
}

sl_stmt *sl_stmt_new(sl_arena *a, sl_stmt_kind kind, sl_span span)
{
    sl_stmt *s = sl_arena_zalloc(a, sizeof *s);
    s->kind = kind;
    s->span = span;
    s->interval = -1;
    s->limit = -1;
    s->schema_id = -1;
    s->timeout.span = SL_NOSPAN;
    return s;
}

sl_select *sl_select_new(sl_arena *a, sl_span span)
{
    sl_select *q = sl_arena_zalloc(a, sizeof *q);
    q->span = span;
    q->limit = -1;
    q->limit_span = SL_NOSPAN;
    q->window.span = SL_NOSPAN;
    q->from.alias.span = SL_NOSPAN;
    return q;
}

/* ---------------- errors and tokens ---------------- */

sl_ident sl_ast_ident(sl_tok t)
{
    sl_ident id = {t.z, t.span, t.quoted};
    return id;
}

static sl_ident noident(void)
{
    sl_ident id = {NULL, SL_NOSPAN, false};
    return id;
}

sl_span sl_ast_tspan(sl_tok a, sl_tok b)
{
    return sl_span_join(a.span, b.span);
}

sl_tok *sl_ast_tokp(sl_pctx *ctx, sl_tok t)
{
    sl_tok *p = sl_arena_alloc(ctx->a, sizeof *p);
    *p = t;
    return p;
}

/* Parses a decimal integer token into *out; false (and an error) if it does not fit. */
bool sl_ast_int(sl_pctx *ctx, sl_tok t, int64_t *out)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < t.n; i++) {
        unsigned d = (unsigned)(t.z[i] - '0');
        if (d > 9 || v > (UINT64_C(0x7fffffffffffffff) - d) / 10) {
            sl_pctx_error(ctx, t.span, "number %s is out of range", t.z);
            return false;
        }
        v = v * 10 + d;
    }
    *out = (int64_t)v;
    return true;
}

int64_t sl_ast_count(sl_pctx *ctx, sl_tok t)
{
    int64_t v;
    return sl_ast_int(ctx, t, &v) ? v : -1;
}

/* ---------------- lists ---------------- */

sl_elist *sl_ast_elist(sl_pctx *ctx, sl_elist *l, sl_expr *e)
{
    if (!l)
        l = sl_arena_zalloc(ctx->a, sizeof *l);
    if (e)
        SL_LIST_PUSH(ctx->a, *l, e);
    return l;
}

sl_elist *sl_ast_elist_cat(sl_pctx *ctx, sl_elist *l, sl_elist *m)
{
    if (!l)
        l = sl_arena_zalloc(ctx->a, sizeof *l);
    for (int i = 0; m && i < m->n; i++)
        SL_LIST_PUSH(ctx->a, *l, m->items[i]);
    return l;
}

sl_ilist *sl_ast_ilist(sl_pctx *ctx, sl_ilist *l, sl_ident id)
{
    if (!l)
        l = sl_arena_zalloc(ctx->a, sizeof *l);
    SL_LIST_PUSH(ctx->a, *l, id);
    return l;
}

#define LIST_ASSIGN(dst, src) do { \
        if (src) { (dst).items = (src)->items; (dst).n = (src)->n; (dst).cap = (src)->cap; } \
    } while (0)

/* ---------------- expressions ---------------- */

/* 9223372036854775808 is only valid right after a minus sign */
static void check_int_range(sl_pctx *ctx, const sl_expr *e)
{
    if (e && e->kind == SL_E_INT && e->text && strcmp(e->text, "9223372036854775808") == 0)
        sl_pctx_error(ctx, e->span, "integer literal %s is out of range for BIGINT", e->text);
}

/* Computes the depth of a finished node from its children and refuses deep trees. */
static sl_expr *finish(sl_pctx *ctx, sl_expr *e)
{
    check_int_range(ctx, e->a);
    check_int_range(ctx, e->b);
    check_int_range(ctx, e->c);
    for (int i = 0; i < e->list.n; i++)
        check_int_range(ctx, e->list.items[i]);
    int d = edepth(e->a);
    if (edepth(e->b) > d)
        d = edepth(e->b);
    if (edepth(e->c) > d)
        d = edepth(e->c);
    for (int i = 0; i < e->list.n; i++)
        if (edepth(e->list.items[i]) > d)
            d = edepth(e->list.items[i]);
    enode *n = (enode *)(void *)((char *)e - offsetof(enode, e));
    n->depth = d + 1;
    if (n->depth > MAX_DEPTH)
        sl_pctx_error(ctx, e->span, "expression is nested too deeply (more than %d levels)",
                      MAX_DEPTH);
    return e;
}

void sl_ast_check_top(sl_pctx *ctx, const sl_expr *e)
{
    check_int_range(ctx, e);
}

sl_expr *sl_ast_literal(sl_pctx *ctx, sl_expr_kind kind, sl_tok t)
{
    sl_expr *e = sl_expr_new(ctx->a, kind, t.span);
    switch (kind) {
    case SL_E_BOOL:
        e->bval = (t.z[0] == 'T' || t.z[0] == 't');
        break;
    case SL_E_INT: {
        /* up to 2^63 so that -9223372036854775808 can be folded below */
        uint64_t v = 0;
        bool over = false;
        for (uint32_t i = 0; i < t.n && !over; i++) {
            unsigned d = (unsigned)(t.z[i] - '0');
            if (v > (UINT64_C(0x8000000000000000) - d) / 10)
                over = true;
            else
                v = v * 10 + d;
        }
        if (over)
            sl_pctx_error(ctx, t.span, "integer literal %s is out of range for BIGINT", t.z);
        e->text = t.z;
        e->textlen = t.n;
        break;
    }
    case SL_E_DOUBLE: {
        errno = 0;
        double d = strtod(t.z, NULL);
        if (errno == ERANGE && isinf(d))
            sl_pctx_error(ctx, t.span, "double literal %s is out of range", t.z);
        e->text = t.z;
        e->textlen = t.n;
        break;
    }
    case SL_E_DECIMAL:
    case SL_E_STRING:
        e->text = t.z;
        e->textlen = t.n;
        break;
    default:
        break;
    }
    return e;
}

sl_expr *sl_ast_column(sl_pctx *ctx, const sl_ident *qual, sl_ident name)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_COLUMN, qual ? sl_span_join(qual->span, name.span) : name.span);
    e->qualifier = qual ? *qual : noident();
    e->name = name;
    return e;
}

sl_expr *sl_ast_paren(sl_pctx *ctx, sl_tok lp, sl_expr *e, sl_tok rp)
{
    e->span = sl_span_join(lp.span, rp.span);
    return e;
}

static bool is_number(const sl_expr *e)
{
    return e->kind == SL_E_INT || e->kind == SL_E_DECIMAL || e->kind == SL_E_DOUBLE;
}

sl_expr *sl_ast_unary(sl_pctx *ctx, sl_op op, sl_tok optok, sl_expr *a)
{
    sl_span span = sl_span_join(optok.span, a->span);
    if (op == SL_OP_NEG && is_number(a) && a->text && a->text[0] != '-') {
        /* a negative literal, as ksqlDB reads it: -2147483648 is an INT */
        size_t n = a->textlen;
        char *t = sl_arena_alloc(ctx->a, n + 2);
        t[0] = '-';
        memcpy(t + 1, a->text, n + 1);
        a->text = t;
        a->textlen = (uint32_t)(n + 1);
        a->span = span;
        return a;
    }
    sl_expr *e = sl_expr_new(ctx->a, SL_E_UNARY, span);
    e->op = op;
    e->a = a;
    return finish(ctx, e);
}

sl_expr *sl_ast_binary(sl_pctx *ctx, sl_op op, sl_expr *a, sl_expr *b)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_BINARY, sl_span_join(a->span, b->span));
    e->op = op;
    e->a = a;
    e->b = b;
    return finish(ctx, e);
}

sl_expr *sl_ast_between(sl_pctx *ctx, sl_expr *a, bool neg, sl_expr *lo, sl_expr *hi)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_BETWEEN, sl_span_join(a->span, hi->span));
    e->negated = neg;
    e->a = a;
    e->b = lo;
    e->c = hi;
    return finish(ctx, e);
}

sl_expr *sl_ast_like(sl_pctx *ctx, sl_expr *a, bool neg, sl_expr *pat, const sl_tok *esc)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_LIKE, sl_span_join(a->span, esc ? esc->span : pat->span));
    e->negated = neg;
    e->a = a;
    e->b = pat;
    if (esc) {
        /* one character (one UTF-8 sequence) */
        uint32_t n = esc->n, k = 0;
        for (uint32_t i = 0; i < n; i++)
            if (((unsigned char)esc->z[i] & 0xC0) != 0x80)
                k++;
        if (k != 1)
            sl_pctx_error(ctx, esc->span, "ESCAPE must be a single character");
        e->c = sl_ast_literal(ctx, SL_E_STRING, *esc);
    }
    return finish(ctx, e);
}

sl_expr *sl_ast_in(sl_pctx *ctx, sl_expr *a, bool neg, sl_elist *l, sl_tok rp)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_IN, sl_span_join(a->span, rp.span));
    e->negated = neg;
    e->a = a;
    LIST_ASSIGN(e->list, l);
    return finish(ctx, e);
}

sl_expr *sl_ast_is_null(sl_pctx *ctx, sl_expr *a, bool neg, sl_tok end)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_IS_NULL, sl_span_join(a->span, end.span));
    e->negated = neg;
    e->a = a;
    return finish(ctx, e);
}

sl_expr *sl_ast_is_distinct(sl_pctx *ctx, sl_expr *a, bool neg, sl_expr *b)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_IS_DISTINCT, sl_span_join(a->span, b->span));
    e->negated = neg;
    e->a = a;
    e->b = b;
    return finish(ctx, e);
}

sl_expr *sl_ast_case(sl_pctx *ctx, sl_tok start, sl_expr *operand, sl_elist *whens,
                     sl_expr *els, sl_tok end)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_CASE, sl_ast_tspan(start, end));
    e->a = operand;
    e->b = els;
    LIST_ASSIGN(e->list, whens);
    return finish(ctx, e);
}

sl_expr *sl_ast_cast(sl_pctx *ctx, sl_tok start, sl_expr *a, sl_ast_type *t, sl_tok end)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_CAST, sl_ast_tspan(start, end));
    e->a = a;
    e->type = t;
    return finish(ctx, e);
}

sl_expr *sl_ast_call(sl_pctx *ctx, sl_ident name, sl_elist *args, bool star, sl_tok end)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_CALL, sl_span_join(name.span, end.span));
    e->name = name;
    e->star = star;
    LIST_ASSIGN(e->list, args);
    return finish(ctx, e);
}

sl_expr *sl_ast_subscript(sl_pctx *ctx, sl_expr *a, sl_expr *idx, sl_tok end)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_SUBSCRIPT, sl_span_join(a->span, end.span));
    e->a = a;
    e->b = idx;
    return finish(ctx, e);
}

sl_expr *sl_ast_deref(sl_pctx *ctx, sl_expr *a, sl_ident field)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_DEREF, sl_span_join(a->span, field.span));
    e->a = a;
    e->name = field;
    return finish(ctx, e);
}

sl_expr *sl_ast_array(sl_pctx *ctx, sl_tok start, sl_elist *l, sl_tok end)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_ARRAY, sl_ast_tspan(start, end));
    LIST_ASSIGN(e->list, l);
    return finish(ctx, e);
}

sl_expr *sl_ast_map(sl_pctx *ctx, sl_tok start, sl_elist *kv, sl_tok end)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_MAP, sl_ast_tspan(start, end));
    LIST_ASSIGN(e->list, kv);
    return finish(ctx, e);
}

sl_expr *sl_ast_struct_field(sl_pctx *ctx, sl_expr *s, sl_ident name, sl_expr *v)
{
    if (!s)
        s = sl_expr_new(ctx->a, SL_E_STRUCT, name.span);
    SL_LIST_PUSH(ctx->a, s->names, name);
    SL_LIST_PUSH(ctx->a, s->list, v);
    return s;
}

sl_expr *sl_ast_struct(sl_pctx *ctx, sl_tok start, sl_expr *s, sl_tok end)
{
    if (!s)
        s = sl_expr_new(ctx->a, SL_E_STRUCT, start.span);
    s->span = sl_ast_tspan(start, end);
    return finish(ctx, s);
}

sl_expr *sl_ast_lambda(sl_pctx *ctx, sl_span start, sl_elist *params, sl_expr *body)
{
    sl_expr *e = sl_expr_new(ctx->a, SL_E_LAMBDA, sl_span_join(start, body->span));
    for (int i = 0; i < params->n; i++) {
        sl_expr *p = params->items[i];
        if (p->kind != SL_E_COLUMN || p->qualifier.name) {
            sl_pctx_error(ctx, p->span, "a lambda parameter must be a plain name");
            break;
        }
        for (int j = 0; j < e->names.n; j++)
            if (strcmp(e->names.items[j].name, p->name.name) == 0) {
                sl_pctx_error(ctx, p->span, "duplicate lambda parameter %s", p->name.name);
                break;
            }
        SL_LIST_PUSH(ctx->a, e->names, p->name);
    }
    e->a = body;
    return finish(ctx, e);
}

/* ---------------- types ---------------- */

static const struct { const char *name; sl_kind kind; } TYPE_NAMES[] = {
    {"BOOLEAN", SL_BOOLEAN}, {"INT", SL_INT}, {"INTEGER", SL_INT}, {"BIGINT", SL_BIGINT},
    {"DOUBLE", SL_DOUBLE}, {"STRING", SL_STRING}, {"VARCHAR", SL_STRING}, {"BYTES", SL_BYTES},
    {"TIMESTAMP", SL_TIMESTAMP}, {"DATE", SL_DATE}, {"TIME", SL_TIME}, {"DECIMAL", SL_DECIMAL},
};

static sl_ast_type *type_new(sl_pctx *ctx, sl_kind kind, sl_span span)
{
    sl_ast_type *t = sl_arena_zalloc(ctx->a, sizeof *t);
    t->kind = kind;
    t->span = span;
    t->name.span = SL_NOSPAN;
    return t;
}

static int type_lookup(const sl_ident *n)
{
    if (n->quoted)
        return -1;
    for (size_t i = 0; i < sizeof TYPE_NAMES / sizeof TYPE_NAMES[0]; i++)
        if (strcasecmp(n->name, TYPE_NAMES[i].name) == 0)
            return (int)TYPE_NAMES[i].kind;
    return -1;
}

sl_ast_type *sl_ast_type_named(sl_pctx *ctx, sl_ident name)
{
    int k = type_lookup(&name);
    if (k == SL_DECIMAL) {
        sl_pctx_error(ctx, name.span, "DECIMAL needs a precision and a scale: DECIMAL(p, s)");
        k = -1;
    }
    sl_ast_type *t = type_new(ctx, k < 0 ? SL_NULL : (sl_kind)k, name.span);
    if (k < 0)
        t->name = name;
    return t;
}

sl_ast_type *sl_ast_type_params(sl_pctx *ctx, sl_ident name, sl_tok p, const sl_tok *s, sl_tok end)
{
    sl_ast_type *t = type_new(ctx, SL_NULL, sl_span_join(name.span, end.span));
    int k = type_lookup(&name);
    int64_t pv = 0, sv = 0;
    if (!sl_ast_int(ctx, p, &pv) || (s && !sl_ast_int(ctx, *s, &sv)))
        return t;
    if (k == SL_DECIMAL) {
        t->kind = SL_DECIMAL;
        if (pv < 1 || pv > SL_DECIMAL_MAX_PRECISION) {
            sl_pctx_error(ctx, p.span, "DECIMAL precision must be between 1 and %d",
                          SL_DECIMAL_MAX_PRECISION);
            return t;
        }
        if (sv > pv) {
            sl_pctx_error(ctx, s->span, "DECIMAL scale must not be greater than its precision");
            return t;
        }
        t->precision = (int)pv;
        t->scale = (int)sv;
    } else if (k == SL_STRING && !s) {
        t->kind = SL_STRING;     /* VARCHAR(n): the length is not enforced, as in ksqlDB */
    } else {
        sl_pctx_error(ctx, name.span, "type %s does not take parameters", name.name);
    }
    return t;
}

sl_ast_type *sl_ast_type_array(sl_pctx *ctx, sl_tok start, sl_ast_type *elem, sl_tok end)
{
    sl_ast_type *t = type_new(ctx, SL_ARRAY, sl_ast_tspan(start, end));
    t->elem = elem;
    return t;
}

sl_ast_type *sl_ast_type_map(sl_pctx *ctx, sl_tok start, sl_ast_type *k, sl_ast_type *v, sl_tok end)
{
    sl_ast_type *t = type_new(ctx, SL_MAP, sl_ast_tspan(start, end));
    t->key = k;
    t->elem = v;
    return t;
}

sl_ast_type *sl_ast_type_field(sl_pctx *ctx, sl_ast_type *st, sl_ident name, sl_ast_type *ft)
{
    if (!st)
        st = type_new(ctx, SL_STRUCT, name.span);
    for (int i = 0; i < st->fields.n; i++)
        if (strcmp(st->fields.items[i]->name.name, name.name) == 0) {
            sl_pctx_error(ctx, name.span, "duplicate field %s in STRUCT", name.name);
            break;
        }
    sl_ast_field *f = sl_arena_zalloc(ctx->a, sizeof *f);
    f->name = name;
    f->type = ft;
    SL_LIST_PUSH(ctx->a, st->fields, f);
    return st;
}

sl_ast_type *sl_ast_type_struct(sl_pctx *ctx, sl_tok start, sl_ast_type *st, sl_tok end)
{
    if (!st)
        st = type_new(ctx, SL_STRUCT, start.span);
    st->span = sl_ast_tspan(start, end);
    return st;
}

/* ---------------- durations, windows, joins ---------------- */

static const struct { const char *name; int64_t ms; } UNITS[] = {
    {"MILLISECOND", 1}, {"MILLISECONDS", 1}, {"SECOND", 1000}, {"SECONDS", 1000},
    {"MINUTE", 60000}, {"MINUTES", 60000}, {"HOUR", 3600000}, {"HOURS", 3600000},
    {"DAY", 86400000}, {"DAYS", 86400000},
};

sl_duration sl_ast_noduration(void)
{
    sl_duration d = {0, SL_NOSPAN, false};
    return d;
}

sl_duration *sl_ast_durp(sl_pctx *ctx, sl_duration d)
{
    sl_duration *p = sl_arena_alloc(ctx->a, sizeof *p);
    *p = d;
    return p;
}

sl_duration sl_ast_duration(sl_pctx *ctx, sl_tok n, sl_ident unit)
{
    sl_duration d = {0, sl_span_join(n.span, unit.span), true};
    int64_t factor = 0;
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (!unit.quoted && strcasecmp(unit.name, UNITS[i].name) == 0)
            factor = UNITS[i].ms;
    if (!factor) {
        sl_pctx_error(ctx, unit.span,
                      "unknown time unit %s, expecting one of MILLISECONDS, SECONDS, MINUTES, "
                      "HOURS, DAYS", unit.name);
        return d;
    }
    int64_t v;
    if (!sl_ast_int(ctx, n, &v))
        return d;
    if (__builtin_mul_overflow(v, factor, &d.ms)) {
        sl_pctx_error(ctx, n.span, "duration %s %s is out of range", n.z, unit.name);
        d.ms = 0;
    }
    return d;
}

sl_join *sl_ast_within(sl_pctx *ctx, sl_duration before, sl_duration after, sl_duration grace)
{
    sl_join *j = sl_arena_zalloc(ctx->a, sizeof *j);
    j->within_before = before;
    j->within_after = after;
    j->grace = grace;
    return j;
}

sl_join *sl_ast_join(sl_pctx *ctx, sl_join_type type, sl_span start, sl_relation rel,
                     const sl_join *within, sl_expr *on)
{
    sl_join *j = sl_arena_zalloc(ctx->a, sizeof *j);
    j->type = type;
    j->span = sl_span_join(start, on->span);
    j->right = rel;
    if (within) {
        j->within_before = within->within_before;
        j->within_after = within->within_after;
        j->grace = within->grace;
    } else {
        j->within_before = j->within_after = j->grace = sl_ast_noduration();
    }
    j->on = on;
    return j;
}

sl_window *sl_ast_window_opt(sl_pctx *ctx, sl_window *w, sl_duration *retention, sl_duration *grace)
{
    if (!w) {
        w = sl_arena_zalloc(ctx->a, sizeof *w);
        w->retention = w->grace = sl_ast_noduration();
    }
    if (retention) {
        if (w->retention.set)
            sl_pctx_error(ctx, retention->span, "RETENTION is given twice");
        w->retention = *retention;
    }
    if (grace) {
        if (w->grace.set)
            sl_pctx_error(ctx, grace->span, "GRACE PERIOD is given twice");
        w->grace = *grace;
    }
    return w;
}

sl_window *sl_ast_window(sl_pctx *ctx, sl_window_kind kind, sl_span span, sl_duration size,
                         sl_duration advance, const sl_window *opts)
{
    sl_window *w = sl_arena_zalloc(ctx->a, sizeof *w);
    w->kind = kind;
    w->span = span;
    w->size = size;
    w->advance = advance;
    w->retention = opts ? opts->retention : sl_ast_noduration();
    w->grace = opts ? opts->grace : sl_ast_noduration();
    return w;
}

/* ---------------- queries ---------------- */

sl_select *sl_ast_select_items(sl_pctx *ctx, sl_select *q, sl_select_item *it)
{
    if (!q)
        q = sl_select_new(ctx->a, it->span);
    SL_LIST_PUSH(ctx->a, q->items, it);
    return q;
}

sl_select_item *sl_ast_item(sl_pctx *ctx, sl_select_item_kind kind, sl_expr *e,
                            const sl_ident *alias, const sl_ident *qual, sl_span span)
{
    if (e)
        check_int_range(ctx, e);
    sl_select_item *it = sl_arena_zalloc(ctx->a, sizeof *it);
    it->kind = kind;
    it->span = span;
    it->expr = e;
    it->alias = alias ? *alias : noident();
    it->qualifier = qual ? *qual : noident();
    return it;
}

sl_relation sl_ast_relation(sl_ident name, const sl_ident *alias)
{
    sl_relation r;
    r.name = name;
    r.alias = alias ? *alias : noident();
    r.span = alias ? sl_span_join(name.span, alias->span) : name.span;
    return r;
}

sl_select *sl_ast_from(sl_pctx *ctx, sl_select *q, sl_relation rel)
{
    q->from = rel;
    return q;
}

sl_select *sl_ast_add_join(sl_pctx *ctx, sl_select *q, sl_join *j)
{
    SL_LIST_PUSH(ctx->a, q->joins, j);
    return q;
}

sl_select *sl_ast_query(sl_pctx *ctx, sl_tok start, sl_select *q, sl_window *w, sl_expr *where,
                        sl_elist *group_by, sl_elist *partition_by, sl_expr *having,
                        sl_emit emit, const sl_tok *limit)
{
    q->span = start.span;       /* the driver extends it to the end of the statement */
    if (w)
        q->window = *w;
    else
        q->window.kind = SL_WIN_NONE;
    q->where = where;
    check_int_range(ctx, where);
    check_int_range(ctx, having);
    for (int i = 0; group_by && i < group_by->n; i++)
        check_int_range(ctx, group_by->items[i]);
    for (int i = 0; partition_by && i < partition_by->n; i++)
        check_int_range(ctx, partition_by->items[i]);
    for (int i = 0; i < q->joins.n; i++)
        check_int_range(ctx, q->joins.items[i]->on);
    LIST_ASSIGN(q->group_by, group_by);
    LIST_ASSIGN(q->partition_by, partition_by);
    q->having = having;
    q->emit = emit;
    if (limit) {
        q->limit = sl_ast_count(ctx, *limit);
        q->limit_span = limit->span;
    }
    return q;
}

/* ---------------- statements ---------------- */

sl_stmt *sl_ast_stmt(sl_pctx *ctx, sl_stmt_kind kind)
{
    sl_stmt *s = sl_stmt_new(ctx->a, kind, SL_NOSPAN);
    s->name.span = SL_NOSPAN;
    return s;
}

sl_stmt *sl_ast_named(sl_pctx *ctx, sl_stmt_kind kind, sl_ident name)
{
    sl_stmt *s = sl_ast_stmt(ctx, kind);
    s->name = name;
    return s;
}

sl_property *sl_ast_prop(sl_pctx *ctx, sl_tok key, sl_expr *value)
{
    sl_property *p = sl_arena_zalloc(ctx->a, sizeof *p);
    check_int_range(ctx, value);
    p->name = sl_ast_ident(key);
    p->value = value;
    p->span = sl_span_join(key.span, value->span);
    return p;
}

sl_stmt *sl_ast_props(sl_pctx *ctx, sl_stmt *s, sl_property *p)
{
    if (!s)
        s = sl_ast_stmt(ctx, SL_S_CREATE_SOURCE);
    for (int i = 0; i < s->props.n; i++)
        if (strcasecmp(s->props.items[i]->name.name, p->name.name) == 0) {
            sl_pctx_error(ctx, p->name.span, "property %s is given twice", p->name.name);
            break;
        }
    SL_LIST_PUSH(ctx->a, s->props, p);
    return s;
}

sl_column_def *sl_ast_coldef(sl_pctx *ctx, sl_ident name, sl_ast_type *t, sl_col_constraint c,
                             const sl_tok *header, sl_span end)
{
    sl_column_def *d = sl_arena_zalloc(ctx->a, sizeof *d);
    d->name = name;
    d->type = t;
    d->constraint = c;
    d->header_key = header ? header->z : NULL;
    d->span = sl_span_join(name.span, end);
    return d;
}

sl_stmt *sl_ast_cols(sl_pctx *ctx, sl_stmt *s, sl_column_def *c)
{
    if (!s)
        s = sl_ast_stmt(ctx, SL_S_CREATE_SOURCE);
    for (int i = 0; i < s->columns.n; i++)
        if (strcmp(s->columns.items[i]->name.name, c->name.name) == 0) {
            sl_pctx_error(ctx, c->name.span, "duplicate column %s", c->name.name);
            break;
        }
    SL_LIST_PUSH(ctx->a, s->columns, c);
    return s;
}

sl_stmt *sl_ast_create(sl_pctx *ctx, bool or_replace, bool source, bool table, bool if_not_exists,
                       sl_ident name)
{
    sl_stmt *s = sl_ast_named(ctx, SL_S_CREATE_SOURCE, name);
    s->or_replace = or_replace;
    s->is_source = source;
    s->is_table = table;
    s->if_not_exists = if_not_exists;
    return s;
}

sl_stmt *sl_ast_create_source(sl_pctx *ctx, sl_stmt *head, sl_stmt *cols, sl_stmt *with)
{
    if (cols)
        head->columns = cols->columns;
    if (with)
        head->props = with->props;
    return head;
}

sl_stmt *sl_ast_create_as(sl_pctx *ctx, sl_stmt *head, sl_stmt *with, sl_select *q)
{
    head->kind = SL_S_CREATE_AS;
    if (head->is_source)
        sl_pctx_error(ctx, q->span, "a SOURCE %s cannot be created AS SELECT",
                      head->is_table ? "table" : "stream");
    if (with)
        head->props = with->props;
    head->query = q;
    return head;
}

sl_stmt *sl_ast_insert(sl_pctx *ctx, sl_ident name, sl_stmt *with, sl_select *q, sl_ilist *cols,
                       sl_elist *values)
{
    sl_stmt *s = sl_ast_named(ctx, q ? SL_S_INSERT_SELECT : SL_S_INSERT_VALUES, name);
    if (with)
        s->props = with->props;
    s->query = q;
    LIST_ASSIGN(s->insert_columns, cols);
    LIST_ASSIGN(s->values, values);
    for (int i = 0; i < s->values.n; i++)
        check_int_range(ctx, s->values.items[i]);
    return s;
}

sl_stmt *sl_ast_print(sl_pctx *ctx, sl_tok topic, bool from_beginning, const sl_tok *interval,
                      const sl_tok *limit)
{
    sl_stmt *s = sl_ast_named(ctx, SL_S_PRINT, sl_ast_ident(topic));
    s->str = topic.z;
    s->from_beginning = from_beginning;
    if (interval)
        s->interval = sl_ast_count(ctx, *interval);
    if (limit)
        s->limit = sl_ast_count(ctx, *limit);
    return s;
}

sl_stmt *sl_ast_strings(sl_pctx *ctx, sl_stmt_kind kind, const sl_tok *a, const sl_tok *b)
{
    sl_stmt *s = sl_ast_named(ctx, kind, sl_ast_ident(*a));
    s->str = a->z;
    s->str2 = b ? b->z : NULL;
    return s;
}

sl_stmt *sl_ast_assert_topic(sl_pctx *ctx, bool not_exists, sl_tok name, sl_stmt *with,
                             const sl_duration *timeout)
{
    sl_stmt *s = sl_ast_named(ctx, SL_S_ASSERT_TOPIC, sl_ast_ident(name));
    s->not_exists = not_exists;
    s->str = name.z;
    if (with)
        s->props = with->props;
    if (timeout)
        s->timeout = *timeout;
    return s;
}

sl_stmt *sl_ast_assert_source(sl_pctx *ctx, bool not_exists, bool is_table, sl_ident name,
                              const sl_duration *timeout)
{
    sl_stmt *s = sl_ast_named(ctx, SL_S_ASSERT_SOURCE, name);
    s->not_exists = not_exists;
    s->is_table = is_table;
    if (timeout)
        s->timeout = *timeout;
    return s;
}

sl_stmt *sl_ast_assert_schema(sl_pctx *ctx, bool not_exists, const sl_tok *subject,
                              const sl_tok *id, const sl_duration *timeout)
{
    sl_stmt *s = sl_ast_stmt(ctx, SL_S_ASSERT_SCHEMA);
    s->not_exists = not_exists;
    if (subject) {
        s->name = sl_ast_ident(*subject);
        s->str = subject->z;
    }
    if (id)
        s->schema_id = sl_ast_count(ctx, *id);
    if (!subject && !id)
        sl_pctx_error(ctx, ctx->end, "ASSERT SCHEMA needs a SUBJECT or an ID");
    if (timeout)
        s->timeout = *timeout;
    return s;
}

/* ---------------- printing: SQL ---------------- */

static bool plain_word(const char *s)
{
    if (!s || !*s)
        return false;
    if (!((*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (const char *p = s + 1; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '@'))
            return false;
    bool nonres;
    int code = sl_lex_keyword(s, strlen(s), &nonres);
    return code == TK_ID || nonres;
}

static void put_ident(sl_buf *out, const char *name)
{
    if (!name) {
        sl_buf_puts(out, "?");
        return;
    }
    if (plain_word(name)) {
        sl_buf_puts(out, name);
        return;
    }
    sl_buf_putc(out, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`')
            sl_buf_putc(out, '`');
        sl_buf_putc(out, *p);
    }
    sl_buf_putc(out, '`');
}

static void put_string(sl_buf *out, const char *s, size_t n)
{
    sl_buf_putc(out, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            sl_buf_putc(out, '\'');
        sl_buf_putc(out, s[i]);
    }
    sl_buf_putc(out, '\'');
}

static void put_type(sl_buf *out, const sl_ast_type *t)
{
    if (!t) {
        sl_buf_puts(out, "?");
        return;
    }
    switch (t->kind) {
    case SL_NULL: put_ident(out, t->name.name); break;
    case SL_BOOLEAN: sl_buf_puts(out, "BOOLEAN"); break;
    case SL_INT: sl_buf_puts(out, "INTEGER"); break;
    case SL_BIGINT: sl_buf_puts(out, "BIGINT"); break;
    case SL_DOUBLE: sl_buf_puts(out, "DOUBLE"); break;
    case SL_DECIMAL: sl_buf_printf(out, "DECIMAL(%d, %d)", t->precision, t->scale); break;
    case SL_STRING: sl_buf_puts(out, "STRING"); break;
    case SL_BYTES: sl_buf_puts(out, "BYTES"); break;
    case SL_TIMESTAMP: sl_buf_puts(out, "TIMESTAMP"); break;
    case SL_DATE: sl_buf_puts(out, "DATE"); break;
    case SL_TIME: sl_buf_puts(out, "TIME"); break;
    case SL_ARRAY:
        sl_buf_puts(out, "ARRAY<");
        put_type(out, t->elem);
        sl_buf_putc(out, '>');
        break;
    case SL_MAP:
        sl_buf_puts(out, "MAP<");
        put_type(out, t->key);
        sl_buf_puts(out, ", ");
        put_type(out, t->elem);
        sl_buf_putc(out, '>');
        break;
    case SL_STRUCT:
        sl_buf_puts(out, "STRUCT<");
        for (int i = 0; i < t->fields.n; i++) {
            if (i)
                sl_buf_puts(out, ", ");
            sl_buf_putc(out, '`');
            for (const char *p = t->fields.items[i]->name.name; p && *p; p++) {
                if (*p == '`')
                    sl_buf_putc(out, '`');
                sl_buf_putc(out, *p);
            }
            sl_buf_puts(out, "` ");
            put_type(out, t->fields.items[i]->type);
        }
        sl_buf_putc(out, '>');
        break;
    default:
        sl_buf_puts(out, "?");
    }
}

const char *sl_op_text(sl_op op)
{
    switch (op) {
    case SL_OP_ADD: return "+";
    case SL_OP_SUB: return "-";
    case SL_OP_MUL: return "*";
    case SL_OP_DIV: return "/";
    case SL_OP_MOD: return "%";
    case SL_OP_CONCAT: return "||";
    case SL_OP_EQ: return "=";
    case SL_OP_NE: return "<>";
    case SL_OP_LT: return "<";
    case SL_OP_LE: return "<=";
    case SL_OP_GT: return ">";
    case SL_OP_GE: return ">=";
    case SL_OP_AND: return "AND";
    case SL_OP_OR: return "OR";
    case SL_OP_NEG: return "-";
    case SL_OP_PLUS: return "+";
    case SL_OP_NOT: return "NOT";
    default: return "?";
    }
}

static void print_list(sl_buf *out, sl_expr *const *items, int n)
{
    for (int i = 0; i < n; i++) {
        if (i)
            sl_buf_puts(out, ", ");
        sl_expr_print(out, items[i]);
    }
}

void sl_expr_print(sl_buf *out, const sl_expr *e)
{
    if (!e) {
        sl_buf_puts(out, "?");
        return;
    }
    switch (e->kind) {
    case SL_E_NULL: sl_buf_puts(out, "null"); break;
    case SL_E_BOOL: sl_buf_puts(out, e->bval ? "true" : "false"); break;
    case SL_E_INT:
    case SL_E_DECIMAL:
    case SL_E_DOUBLE: sl_buf_puts(out, e->text ? e->text : "?"); break;
    case SL_E_STRING: put_string(out, e->text ? e->text : "", e->textlen); break;
    case SL_E_COLUMN:
        if (e->qualifier.name) {
            put_ident(out, e->qualifier.name);
            sl_buf_putc(out, '.');
        }
        put_ident(out, e->name.name);
        break;
    case SL_E_UNARY:
        if (e->op == SL_OP_NOT) {
            sl_buf_puts(out, "(NOT ");
            sl_expr_print(out, e->a);
            sl_buf_putc(out, ')');
        } else {
            sl_buf_puts(out, sl_op_text(e->op));
            sl_expr_print(out, e->a);
        }
        break;
    case SL_E_BINARY:
        sl_buf_putc(out, '(');
        sl_expr_print(out, e->a);
        sl_buf_printf(out, " %s ", sl_op_text(e->op));
        sl_expr_print(out, e->b);
        sl_buf_putc(out, ')');
        break;
    case SL_E_BETWEEN:
        sl_buf_putc(out, '(');
        sl_expr_print(out, e->a);
        sl_buf_puts(out, e->negated ? " NOT BETWEEN " : " BETWEEN ");
        sl_expr_print(out, e->b);
        sl_buf_puts(out, " AND ");
        sl_expr_print(out, e->c);
        sl_buf_putc(out, ')');
        break;
    case SL_E_LIKE:
        sl_buf_putc(out, '(');
        sl_expr_print(out, e->a);
        sl_buf_puts(out, e->negated ? " NOT LIKE " : " LIKE ");
        sl_expr_print(out, e->b);
        if (e->c) {
            sl_buf_puts(out, " ESCAPE ");
            sl_expr_print(out, e->c);
        }
        sl_buf_putc(out, ')');
        break;
    case SL_E_IN:
        sl_buf_putc(out, '(');
        sl_expr_print(out, e->a);
        sl_buf_puts(out, e->negated ? " NOT IN (" : " IN (");
        print_list(out, e->list.items, e->list.n);
        sl_buf_puts(out, "))");
        break;
    case SL_E_IS_NULL:
        sl_buf_putc(out, '(');
        sl_expr_print(out, e->a);
        sl_buf_puts(out, e->negated ? " IS NOT NULL)" : " IS NULL)");
        break;
    case SL_E_IS_DISTINCT:
        sl_buf_putc(out, '(');
        sl_expr_print(out, e->a);
        sl_buf_puts(out, e->negated ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
        sl_expr_print(out, e->b);
        sl_buf_putc(out, ')');
        break;
    case SL_E_CASE:
        sl_buf_puts(out, "(CASE");
        if (e->a) {
            sl_buf_putc(out, ' ');
            sl_expr_print(out, e->a);
        }
        for (int i = 0; i + 1 < e->list.n; i += 2) {
            sl_buf_puts(out, " WHEN ");
            sl_expr_print(out, e->list.items[i]);
            sl_buf_puts(out, " THEN ");
            sl_expr_print(out, e->list.items[i + 1]);
        }
        if (e->b) {
            sl_buf_puts(out, " ELSE ");
            sl_expr_print(out, e->b);
        }
        sl_buf_puts(out, " END)");
        break;
    case SL_E_CAST:
        sl_buf_puts(out, "CAST(");
        sl_expr_print(out, e->a);
        sl_buf_puts(out, " AS ");
        put_type(out, e->type);
        sl_buf_putc(out, ')');
        break;
    case SL_E_CALL:
        put_ident(out, e->name.name);
        sl_buf_putc(out, '(');
        if (e->star)
            sl_buf_putc(out, '*');
        print_list(out, e->list.items, e->list.n);
        sl_buf_putc(out, ')');
        break;
    case SL_E_SUBSCRIPT:
        sl_expr_print(out, e->a);
        sl_buf_putc(out, '[');
        sl_expr_print(out, e->b);
        sl_buf_putc(out, ']');
        break;
    case SL_E_DEREF:
        sl_expr_print(out, e->a);
        sl_buf_puts(out, "->");
        put_ident(out, e->name.name);
        break;
    case SL_E_ARRAY:
        sl_buf_puts(out, "ARRAY[");
        print_list(out, e->list.items, e->list.n);
        sl_buf_putc(out, ']');
        break;
    case SL_E_MAP:
        sl_buf_puts(out, "MAP(");
        for (int i = 0; i + 1 < e->list.n; i += 2) {
            if (i)
                sl_buf_puts(out, ", ");
            sl_expr_print(out, e->list.items[i]);
            sl_buf_puts(out, ":=");
            sl_expr_print(out, e->list.items[i + 1]);
        }
        sl_buf_putc(out, ')');
        break;
    case SL_E_STRUCT:
        sl_buf_puts(out, "STRUCT(");
        for (int i = 0; i < e->list.n && i < e->names.n; i++) {
            if (i)
                sl_buf_puts(out, ", ");
            put_ident(out, e->names.items[i].name);
            sl_buf_puts(out, ":=");
            sl_expr_print(out, e->list.items[i]);
        }
        sl_buf_putc(out, ')');
        break;
    case SL_E_LAMBDA:
        sl_buf_putc(out, '(');
        for (int i = 0; i < e->names.n; i++) {
            if (i)
                sl_buf_puts(out, ", ");
            put_ident(out, e->names.items[i].name);
        }
        sl_buf_puts(out, ") => ");
        sl_expr_print(out, e->a);
        break;
    case SL_E_VARIABLE:
        sl_buf_printf(out, "${%s}", e->name.name ? e->name.name : "?");
        break;
    }
}

/* ---------------- printing: S-expression dump ---------------- */

static void dump_ident(sl_buf *out, const sl_ident *id)
{
    if (!id->name) {
        sl_buf_puts(out, "-");
        return;
    }
    if (id->quoted || !plain_word(id->name)) {
        sl_buf_putc(out, '`');
        for (const char *p = id->name; *p; p++) {
            if (*p == '`')
                sl_buf_putc(out, '`');
            sl_buf_putc(out, *p);
        }
        sl_buf_putc(out, '`');
    } else {
        sl_buf_puts(out, id->name);
    }
}

static const char *dump_op(sl_op op)
{
    switch (op) {
    case SL_OP_AND: return "and";
    case SL_OP_OR: return "or";
    case SL_OP_NEG: return "neg";
    case SL_OP_PLUS: return "pos";
    case SL_OP_NOT: return "not";
    default: return sl_op_text(op);
    }
}

static void dump_expr(sl_buf *out, const sl_expr *e);

static void dump_list(sl_buf *out, sl_expr *const *items, int n)
{
    for (int i = 0; i < n; i++) {
        sl_buf_putc(out, ' ');
        dump_expr(out, items[i]);
    }
}

static void dump_expr(sl_buf *out, const sl_expr *e)
{
    if (!e) {
        sl_buf_puts(out, "-");
        return;
    }
    switch (e->kind) {
    case SL_E_NULL: sl_buf_puts(out, "null"); break;
    case SL_E_BOOL: sl_buf_puts(out, e->bval ? "true" : "false"); break;
    case SL_E_INT: sl_buf_printf(out, "(int %s)", e->text); break;
    case SL_E_DECIMAL: sl_buf_printf(out, "(dec %s)", e->text); break;
    case SL_E_DOUBLE: sl_buf_printf(out, "(double %s)", e->text); break;
    case SL_E_STRING:
        sl_buf_puts(out, "(str ");
        put_string(out, e->text ? e->text : "", e->textlen);
        sl_buf_putc(out, ')');
        break;
    case SL_E_COLUMN:
        sl_buf_puts(out, "(col ");
        if (e->qualifier.name) {
            dump_ident(out, &e->qualifier);
            sl_buf_putc(out, '.');
        }
        dump_ident(out, &e->name);
        sl_buf_putc(out, ')');
        break;
    case SL_E_UNARY:
        sl_buf_printf(out, "(%s ", dump_op(e->op));
        dump_expr(out, e->a);
        sl_buf_putc(out, ')');
        break;
    case SL_E_BINARY:
        sl_buf_printf(out, "(%s ", dump_op(e->op));
        dump_expr(out, e->a);
        sl_buf_putc(out, ' ');
        dump_expr(out, e->b);
        sl_buf_putc(out, ')');
        break;
    case SL_E_BETWEEN:
        sl_buf_puts(out, e->negated ? "(not-between " : "(between ");
        dump_expr(out, e->a);
        sl_buf_putc(out, ' ');
        dump_expr(out, e->b);
        sl_buf_putc(out, ' ');
        dump_expr(out, e->c);
        sl_buf_putc(out, ')');
        break;
    case SL_E_LIKE:
        sl_buf_puts(out, e->negated ? "(not-like " : "(like ");
        dump_expr(out, e->a);
        sl_buf_putc(out, ' ');
        dump_expr(out, e->b);
        if (e->c) {
            sl_buf_puts(out, " (escape ");
            dump_expr(out, e->c);
            sl_buf_putc(out, ')');
        }
        sl_buf_putc(out, ')');
        break;
    case SL_E_IN:
        sl_buf_puts(out, e->negated ? "(not-in " : "(in ");
        dump_expr(out, e->a);
        dump_list(out, e->list.items, e->list.n);
        sl_buf_putc(out, ')');
        break;
    case SL_E_IS_NULL:
        sl_buf_puts(out, e->negated ? "(is-not-null " : "(is-null ");
        dump_expr(out, e->a);
        sl_buf_putc(out, ')');
        break;
    case SL_E_IS_DISTINCT:
        sl_buf_puts(out, e->negated ? "(is-not-distinct " : "(is-distinct ");
        dump_expr(out, e->a);
        sl_buf_putc(out, ' ');
        dump_expr(out, e->b);
        sl_buf_putc(out, ')');
        break;
    case SL_E_CASE:
        sl_buf_puts(out, "(case");
        if (e->a) {
            sl_buf_putc(out, ' ');
            dump_expr(out, e->a);
        }
        for (int i = 0; i + 1 < e->list.n; i += 2) {
            sl_buf_puts(out, " (when ");
            dump_expr(out, e->list.items[i]);
            sl_buf_putc(out, ' ');
            dump_expr(out, e->list.items[i + 1]);
            sl_buf_putc(out, ')');
        }
        if (e->b) {
            sl_buf_puts(out, " (else ");
            dump_expr(out, e->b);
            sl_buf_putc(out, ')');
        }
        sl_buf_putc(out, ')');
        break;
    case SL_E_CAST:
        sl_buf_puts(out, "(cast ");
        dump_expr(out, e->a);
        sl_buf_putc(out, ' ');
        put_type(out, e->type);
        sl_buf_putc(out, ')');
        break;
    case SL_E_CALL:
        sl_buf_puts(out, "(call ");
        dump_ident(out, &e->name);
        if (e->star)
            sl_buf_puts(out, " *");
        dump_list(out, e->list.items, e->list.n);
        sl_buf_putc(out, ')');
        break;
    case SL_E_SUBSCRIPT:
        sl_buf_puts(out, "(subscript ");
        dump_expr(out, e->a);
        sl_buf_putc(out, ' ');
        dump_expr(out, e->b);
        sl_buf_putc(out, ')');
        break;
    case SL_E_DEREF:
        sl_buf_puts(out, "(deref ");
        dump_expr(out, e->a);
        sl_buf_putc(out, ' ');
        dump_ident(out, &e->name);
        sl_buf_putc(out, ')');
        break;
    case SL_E_ARRAY:
        sl_buf_puts(out, "(array");
        dump_list(out, e->list.items, e->list.n);
        sl_buf_putc(out, ')');
        break;
    case SL_E_MAP:
        sl_buf_puts(out, "(map");
        dump_list(out, e->list.items, e->list.n);
        sl_buf_putc(out, ')');
        break;
    case SL_E_STRUCT:
        sl_buf_puts(out, "(struct");
        for (int i = 0; i < e->list.n && i < e->names.n; i++) {
            sl_buf_puts(out, " (");
            dump_ident(out, &e->names.items[i]);
            sl_buf_putc(out, ' ');
            dump_expr(out, e->list.items[i]);
            sl_buf_putc(out, ')');
        }
        sl_buf_putc(out, ')');
        break;
    case SL_E_LAMBDA:
        sl_buf_puts(out, "(lambda (");
        for (int i = 0; i < e->names.n; i++) {
            if (i)
                sl_buf_putc(out, ' ');
            dump_ident(out, &e->names.items[i]);
        }
        sl_buf_puts(out, ") ");
        dump_expr(out, e->a);
        sl_buf_putc(out, ')');
        break;
    case SL_E_VARIABLE:
        sl_buf_printf(out, "(var %s)", e->name.name ? e->name.name : "?");
        break;
    }
}

static void dump_duration(sl_buf *out, const char *what, const sl_duration *d)
{
    if (d->set)
        sl_buf_printf(out, " (%s %" PRId64 ")", what, d->ms);
}

static void dump_props(sl_buf *out, const sl_stmt *s)
{
    if (!s->props.n)
        return;
    sl_buf_puts(out, " (with");
    for (int i = 0; i < s->props.n; i++) {
        sl_buf_puts(out, " (");
        dump_ident(out, &s->props.items[i]->name);
        sl_buf_putc(out, ' ');
        dump_expr(out, s->props.items[i]->value);
        sl_buf_putc(out, ')');
    }
    sl_buf_putc(out, ')');
}

static const char *const JOIN_NAMES[] = {"inner", "left", "right", "full"};
static const char *const WINDOW_NAMES[] = {"none", "tumbling", "hopping", "session"};

static void dump_relation(sl_buf *out, const sl_relation *r)
{
    dump_ident(out, &r->name);
    if (r->alias.name) {
        sl_buf_puts(out, " (as ");
        dump_ident(out, &r->alias);
        sl_buf_putc(out, ')');
    }
}

static void dump_select(sl_buf *out, const sl_select *q)
{
    sl_buf_puts(out, "(select (items");
    for (int i = 0; i < q->items.n; i++) {
        const sl_select_item *it = q->items.items[i];
        sl_buf_putc(out, ' ');
        if (it->kind == SL_SEL_STAR) {
            sl_buf_putc(out, '*');
            continue;
        }
        if (it->kind == SL_SEL_QUALIFIED_STAR) {
            dump_ident(out, &it->qualifier);
            sl_buf_puts(out, ".*");
            continue;
        }
        if (it->alias.name) {
            sl_buf_puts(out, "(as ");
            dump_expr(out, it->expr);
            sl_buf_putc(out, ' ');
            dump_ident(out, &it->alias);
            sl_buf_putc(out, ')');
        } else {
            dump_expr(out, it->expr);
        }
    }
    sl_buf_puts(out, ") (from ");
    dump_relation(out, &q->from);
    sl_buf_putc(out, ')');
    for (int i = 0; i < q->joins.n; i++) {
        const sl_join *j = q->joins.items[i];
        sl_buf_printf(out, " (join %s ", JOIN_NAMES[j->type]);
        dump_relation(out, &j->right);
        if (j->within_before.set)
            sl_buf_printf(out, " (within %" PRId64 " %" PRId64 ")", j->within_before.ms,
                          j->within_after.ms);
        dump_duration(out, "grace", &j->grace);
        sl_buf_puts(out, " (on ");
        dump_expr(out, j->on);
        sl_buf_puts(out, "))");
    }
    if (q->window.kind != SL_WIN_NONE) {
        sl_buf_printf(out, " (window %s", WINDOW_NAMES[q->window.kind]);
        dump_duration(out, "size", &q->window.size);
        dump_duration(out, "advance", &q->window.advance);
        dump_duration(out, "retention", &q->window.retention);
        dump_duration(out, "grace", &q->window.grace);
        sl_buf_putc(out, ')');
    }
    if (q->where) {
        sl_buf_puts(out, " (where ");
        dump_expr(out, q->where);
        sl_buf_putc(out, ')');
    }
    if (q->group_by.n || q->group_by.items) {
        sl_buf_puts(out, " (group-by");
        dump_list(out, q->group_by.items, q->group_by.n);
        sl_buf_putc(out, ')');
    }
    if (q->partition_by.n || q->partition_by.items) {
        sl_buf_puts(out, " (partition-by");
        dump_list(out, q->partition_by.items, q->partition_by.n);
        sl_buf_putc(out, ')');
    }
    if (q->having) {
        sl_buf_puts(out, " (having ");
        dump_expr(out, q->having);
        sl_buf_putc(out, ')');
    }
    if (q->emit == SL_EMIT_CHANGES)
        sl_buf_puts(out, " (emit changes)");
    else if (q->emit == SL_EMIT_FINAL)
        sl_buf_puts(out, " (emit final)");
    if (q->limit >= 0)
        sl_buf_printf(out, " (limit %" PRId64 ")", q->limit);
    sl_buf_putc(out, ')');
}

static const char *const SHOW_NAMES[] = {
    "streams", "tables", "queries", "topics", "all-topics", "properties", "functions", "types",
    "variables"};
static const char *const CONSTRAINT_NAMES[] = {"", " key", " primary-key", " headers", " header"};

static void flag(sl_buf *out, bool on, const char *name)
{
    if (on)
        sl_buf_printf(out, " %s", name);
}

void sl_stmt_dump(sl_buf *out, const sl_stmt *s)
{
    if (!s) {
        sl_buf_puts(out, "-");
        return;
    }
    const char *src = s->is_table ? "table" : "stream";
    switch (s->kind) {
    case SL_S_CREATE_SOURCE:
    case SL_S_CREATE_AS:
        sl_buf_printf(out, "(%s %s ", s->kind == SL_S_CREATE_AS ? "create-as" : "create", src);
        dump_ident(out, &s->name);
        flag(out, s->or_replace, "or-replace");
        flag(out, s->is_source, "source");
        flag(out, s->if_not_exists, "if-not-exists");
        if (s->columns.n) {
            sl_buf_puts(out, " (columns");
            for (int i = 0; i < s->columns.n; i++) {
                const sl_column_def *c = s->columns.items[i];
                sl_buf_puts(out, " (");
                dump_ident(out, &c->name);
                sl_buf_putc(out, ' ');
                put_type(out, c->type);
                sl_buf_puts(out, CONSTRAINT_NAMES[c->constraint]);
                if (c->header_key) {
                    sl_buf_putc(out, ' ');
                    put_string(out, c->header_key, strlen(c->header_key));
                }
                sl_buf_putc(out, ')');
            }
            sl_buf_putc(out, ')');
        }
        dump_props(out, s);
        if (s->query) {
            sl_buf_putc(out, ' ');
            dump_select(out, s->query);
        }
        sl_buf_putc(out, ')');
        return;
    case SL_S_INSERT_SELECT:
    case SL_S_INSERT_VALUES:
        sl_buf_puts(out, "(insert ");
        dump_ident(out, &s->name);
        if (s->insert_columns.n) {
            sl_buf_puts(out, " (columns");
            for (int i = 0; i < s->insert_columns.n; i++) {
                sl_buf_putc(out, ' ');
                dump_ident(out, &s->insert_columns.items[i]);
            }
            sl_buf_putc(out, ')');
        }
        dump_props(out, s);
        if (s->query) {
            sl_buf_putc(out, ' ');
            dump_select(out, s->query);
        } else {
            sl_buf_puts(out, " (values");
            dump_list(out, s->values.items, s->values.n);
            sl_buf_putc(out, ')');
        }
        sl_buf_putc(out, ')');
        return;
    case SL_S_DROP_SOURCE:
        sl_buf_printf(out, "(drop %s ", src);
        dump_ident(out, &s->name);
        flag(out, s->if_exists, "if-exists");
        flag(out, s->delete_topic, "delete-topic");
        sl_buf_putc(out, ')');
        return;
    case SL_S_SHOW:
        sl_buf_printf(out, "(show %s", SHOW_NAMES[s->show]);
        flag(out, s->extended, "extended");
        sl_buf_putc(out, ')');
        return;
    case SL_S_DESCRIBE:
        if (s->all)
            sl_buf_printf(out, "(describe-all %ss", src);
        else {
            sl_buf_puts(out, "(describe ");
            dump_ident(out, &s->name);
        }
        flag(out, s->extended, "extended");
        sl_buf_putc(out, ')');
        return;
    case SL_S_DESCRIBE_FUNCTION:
        sl_buf_puts(out, "(describe-function ");
        dump_ident(out, &s->name);
        sl_buf_putc(out, ')');
        return;
    case SL_S_EXPLAIN:
        sl_buf_puts(out, "(explain ");
        if (s->explained)
            sl_stmt_dump(out, s->explained);
        else
            dump_ident(out, &s->name);
        sl_buf_putc(out, ')');
        return;
    case SL_S_TERMINATE:
    case SL_S_PAUSE:
    case SL_S_RESUME:
        sl_buf_printf(out, "(%s ", s->kind == SL_S_TERMINATE ? "terminate"
                                   : s->kind == SL_S_PAUSE   ? "pause" : "resume");
        if (s->all)
            sl_buf_puts(out, "all");
        else
            dump_ident(out, &s->name);
        sl_buf_putc(out, ')');
        return;
    case SL_S_PRINT:
        sl_buf_puts(out, "(print ");
        put_string(out, s->str ? s->str : "", s->str ? strlen(s->str) : 0);
        flag(out, s->name.quoted, "quoted");
        flag(out, s->from_beginning, "from-beginning");
        if (s->interval >= 0)
            sl_buf_printf(out, " (interval %" PRId64 ")", s->interval);
        if (s->limit >= 0)
            sl_buf_printf(out, " (limit %" PRId64 ")", s->limit);
        sl_buf_putc(out, ')');
        return;
    case SL_S_SET:
    case SL_S_DEFINE:
        sl_buf_printf(out, "(%s ", s->kind == SL_S_SET ? "set" : "define");
        put_string(out, s->str ? s->str : "", s->str ? strlen(s->str) : 0);
        sl_buf_putc(out, ' ');
        put_string(out, s->str2 ? s->str2 : "", s->str2 ? strlen(s->str2) : 0);
        sl_buf_putc(out, ')');
        return;
    case SL_S_UNSET:
    case SL_S_UNDEFINE:
    case SL_S_RUN_SCRIPT:
        sl_buf_printf(out, "(%s ", s->kind == SL_S_UNSET ? "unset"
                                   : s->kind == SL_S_UNDEFINE ? "undefine" : "run-script");
        put_string(out, s->str ? s->str : "", s->str ? strlen(s->str) : 0);
        sl_buf_putc(out, ')');
        return;
    case SL_S_CREATE_TYPE:
        sl_buf_puts(out, "(create-type ");
        dump_ident(out, &s->name);
        flag(out, s->if_not_exists, "if-not-exists");
        sl_buf_putc(out, ' ');
        put_type(out, s->type);
        sl_buf_putc(out, ')');
        return;
    case SL_S_DROP_TYPE:
        sl_buf_puts(out, "(drop-type ");
        dump_ident(out, &s->name);
        flag(out, s->if_exists, "if-exists");
        sl_buf_putc(out, ')');
        return;
    case SL_S_ASSERT_TOPIC:
        sl_buf_puts(out, "(assert-topic ");
        put_string(out, s->str ? s->str : "", s->str ? strlen(s->str) : 0);
        flag(out, s->not_exists, "not-exists");
        dump_props(out, s);
        dump_duration(out, "timeout", &s->timeout);
        sl_buf_putc(out, ')');
        return;
    case SL_S_ASSERT_SOURCE:
        sl_buf_puts(out, s->is_table ? "(assert-table " : "(assert-stream ");
        dump_ident(out, &s->name);
        flag(out, s->not_exists, "not-exists");
        dump_duration(out, "timeout", &s->timeout);
        sl_buf_putc(out, ')');
        return;
    case SL_S_ASSERT_SCHEMA:
        sl_buf_puts(out, "(assert-schema");
        flag(out, s->not_exists, "not-exists");
        if (s->str) {
            sl_buf_puts(out, " (subject ");
            put_string(out, s->str, strlen(s->str));
            sl_buf_putc(out, ')');
        }
        if (s->schema_id >= 0)
            sl_buf_printf(out, " (id %" PRId64 ")", s->schema_id);
        dump_duration(out, "timeout", &s->timeout);
        sl_buf_putc(out, ')');
        return;
    case SL_S_SELECT:
        if (s->query)
            dump_select(out, s->query);
        else
            sl_buf_puts(out, "(select)");
        return;
    }
    sl_buf_puts(out, "(?)");
}
