/*
 * func.c: the function registry, its signature language and overload
 * resolution (see func.h for the language and the rules).
 *
 * Signatures are parsed once, when a function is added, into small trees
 * of `pty` (pattern types) kept in the registry's arena. Resolution matches
 * argument types against those patterns, binding generics (T, U, K, V...)
 * to the common type of the arguments they meet, and counts the implicit
 * widenings a match needs; the overload with the fewest wins.
 *
 * This file does not evaluate anything: the expression compiler
 * (expr.c) inserts the widening casts and calls the implementations.
 */
#include "func.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- pattern types ---- */

enum { P_CONCRETE, P_GENERIC, P_ANYDECIMAL, P_ARRAY, P_MAP, P_STRUCT, P_LAMBDA };

typedef struct pty pty;
struct pty {
    int form;                   /* P_* */
    const sl_type *type;        /* P_CONCRETE */
    int generic;                /* P_GENERIC: index into the bindings */
    pty *elem, *key;            /* P_ARRAY elem; P_MAP key and elem (value) */
    int n;                      /* P_STRUCT fields, P_LAMBDA params */
    const char **names;         /* P_STRUCT field names */
    pty **sub;                  /* P_STRUCT field types, P_LAMBDA param types */
    pty *ret;                   /* P_LAMBDA result */
};

#define MAX_GENERICS 8

typedef struct psig {
    int nparams;
    pty **params;
    const char **pnames;        /* may hold NULLs */
    bool variadic;              /* the last parameter repeats, 0 or more times */
    pty *ret;
    int ngenerics;
    char gnames[MAX_GENERICS][8];
} psig;

typedef struct entry {
    const sl_function *fn;
    psig *sigs;
} entry;

struct sl_registry {
    sl_arena *arena;
    entry *entries;             /* sorted by name once `sorted` */
    int n, cap;
    bool sorted;
};

/* ---- signature parsing ---- */

typedef struct sigparse {
    const char *src;            /* for messages */
    const char *p;
    sl_arena *a;
    psig *sig;
    char tok[64];               /* the current token */
} sigparse;

static void sig_fail(sigparse *sp, const char *what)
{
    fprintf(stderr, "sluice: malformed function signature \"%s\": %s near \"%s\"\n", sp->src,
            what, sp->p);
    abort();
}

/* Reads the next token into sp->tok: identifier, number, or punctuation
 * ("<", ">", ",", "(", ")", "->", "=>", "..."); "" at the end. */
static const char *sig_next(sigparse *sp)
{
    while (isspace((unsigned char)*sp->p))
        sp->p++;
    const char *s = sp->p;
    size_t n = 0;
    if (!*s) {
        sp->tok[0] = '\0';
        return sp->tok;
    }
    if (isalnum((unsigned char)*s) || *s == '_') {
        while (isalnum((unsigned char)s[n]) || s[n] == '_')
            n++;
    } else if (!strncmp(s, "->", 2) || !strncmp(s, "=>", 2)) {
        n = 2;
    } else if (!strncmp(s, "...", 3)) {
        n = 3;
    } else {
        n = 1;
    }
    if (n >= sizeof sp->tok)
        sig_fail(sp, "token too long");
    memcpy(sp->tok, s, n);
    sp->tok[n] = '\0';
    sp->p = s + n;
    return sp->tok;
}

static const char *sig_peek(sigparse *sp, char *buf, size_t bufsize)
{
    const char *save = sp->p;
    char tok[64];
    memcpy(tok, sp->tok, sizeof tok);
    sig_next(sp);
    snprintf(buf, bufsize, "%s", sp->tok);
    sp->p = save;
    memcpy(sp->tok, tok, sizeof tok);
    return buf;
}

static void sig_expect(sigparse *sp, const char *t)
{
    if (strcmp(sig_next(sp), t) != 0)
        sig_fail(sp, t);
}

static bool is_generic_name(const char *t)
{
    /* T, U, K, V, T1, S ... : one capital letter, optionally digits */
    if (!isupper((unsigned char)t[0]))
        return false;
    for (const char *p = t + 1; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}

static pty *pty_new(sigparse *sp, int form)
{
    pty *t = sl_arena_zalloc(sp->a, sizeof *t);
    t->form = form;
    return t;
}

static pty *sig_type(sigparse *sp);

static pty *sig_type_tok(sigparse *sp, const char *t)
{
    static const struct { const char *name; sl_kind kind; } prims[] = {
        {"BOOLEAN", SL_BOOLEAN}, {"INT", SL_INT}, {"INTEGER", SL_INT}, {"BIGINT", SL_BIGINT},
        {"DOUBLE", SL_DOUBLE}, {"STRING", SL_STRING}, {"VARCHAR", SL_STRING},
        {"BYTES", SL_BYTES}, {"TIMESTAMP", SL_TIMESTAMP}, {"DATE", SL_DATE}, {"TIME", SL_TIME},
    };
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
        if (!strcmp(t, prims[i].name)) {
            pty *r = pty_new(sp, P_CONCRETE);
            r->type = sl_type_primitive(prims[i].kind);
            return r;
        }
    }
    if (!strcmp(t, "DECIMAL")) {
        char buf[64];
        if (!strcmp(sig_peek(sp, buf, sizeof buf), "(")) {
            sig_next(sp);
            int p = atoi(sig_next(sp));
            sig_expect(sp, ",");
            int s = atoi(sig_next(sp));
            sig_expect(sp, ")");
            pty *r = pty_new(sp, P_CONCRETE);
            r->type = sl_type_decimal(sp->a, p, s);
            return r;
        }
        return pty_new(sp, P_ANYDECIMAL);
    }
    if (!strcmp(t, "ARRAY")) {
        pty *r = pty_new(sp, P_ARRAY);
        sig_expect(sp, "<");
        r->elem = sig_type(sp);
        sig_expect(sp, ">");
        return r;
    }
    if (!strcmp(t, "MAP")) {
        pty *r = pty_new(sp, P_MAP);
        sig_expect(sp, "<");
        r->key = sig_type(sp);
        sig_expect(sp, ",");
        r->elem = sig_type(sp);
        sig_expect(sp, ">");
        return r;
    }
    if (!strcmp(t, "STRUCT")) {
        pty *r = pty_new(sp, P_STRUCT);
        const char *names[32];
        pty *types[32];
        sig_expect(sp, "<");
        char buf[64];
        if (strcmp(sig_peek(sp, buf, sizeof buf), ">") != 0) {
            do {
                if (r->n == 32)
                    sig_fail(sp, "too many struct fields");
                names[r->n] = sl_arena_strdup(sp->a, sig_next(sp));
                types[r->n] = sig_type(sp);
                r->n++;
            } while (!strcmp(sig_next(sp), ","));
            if (strcmp(sp->tok, ">") != 0)
                sig_fail(sp, ">");
        } else {
            sig_next(sp);
        }
        r->names = sl_arena_alloc(sp->a, sizeof(char *) * (size_t)(r->n ? r->n : 1));
        r->sub = sl_arena_alloc(sp->a, sizeof(pty *) * (size_t)(r->n ? r->n : 1));
        memcpy(r->names, names, sizeof(char *) * (size_t)r->n);
        memcpy(r->sub, types, sizeof(pty *) * (size_t)r->n);
        return r;
    }
    if (!strcmp(t, "LAMBDA")) {
        pty *r = pty_new(sp, P_LAMBDA);
        pty *params[8];
        sig_expect(sp, "(");
        char buf[64];
        if (strcmp(sig_peek(sp, buf, sizeof buf), ")") != 0) {
            do {
                if (r->n == 8)
                    sig_fail(sp, "too many lambda parameters");
                params[r->n++] = sig_type(sp);
            } while (!strcmp(sig_next(sp), ","));
            if (strcmp(sp->tok, ")") != 0)
                sig_fail(sp, ")");
        } else {
            sig_next(sp);
        }
        sig_expect(sp, "=>");
        r->sub = sl_arena_alloc(sp->a, sizeof(pty *) * (size_t)(r->n ? r->n : 1));
        memcpy(r->sub, params, sizeof(pty *) * (size_t)r->n);
        r->ret = sig_type(sp);
        return r;
    }
    if (is_generic_name(t)) {
        psig *sig = sp->sig;
        int g;
        for (g = 0; g < sig->ngenerics; g++)
            if (!strcmp(sig->gnames[g], t))
                break;
        if (g == sig->ngenerics) {
            if (g == MAX_GENERICS || strlen(t) >= sizeof sig->gnames[0])
                sig_fail(sp, "too many generics");
            strcpy(sig->gnames[g], t);
            sig->ngenerics++;
        }
        pty *r = pty_new(sp, P_GENERIC);
        r->generic = g;
        return r;
    }
    sig_fail(sp, "unknown type");
    return NULL;
}

static pty *sig_type(sigparse *sp)
{
    char t[64];
    snprintf(t, sizeof t, "%s", sig_next(sp));
    return sig_type_tok(sp, t);
}

static void parse_sig(sl_arena *a, const char *src, psig *sig)
{
    sigparse sp = {.src = src, .p = src, .a = a, .sig = sig};
    pty *params[32];
    const char *names[32];
    memset(sig, 0, sizeof *sig);
    char buf[64];
    if (strcmp(sig_peek(&sp, buf, sizeof buf), "->") != 0) {
        for (;;) {
            if (sig->nparams == 32)
                sig_fail(&sp, "too many parameters");
            char first[64], next[64];
            snprintf(first, sizeof first, "%s", sig_next(&sp));
            sig_peek(&sp, next, sizeof next);
            const char *name = NULL;
            /* "name TYPE": a lower-case first word, or a word followed by another word */
            if (islower((unsigned char)first[0]) ||
                (isalpha((unsigned char)next[0]) && strcmp(first, "LAMBDA") != 0)) {
                name = sl_arena_strdup(a, first);
                snprintf(first, sizeof first, "%s", sig_next(&sp));
            }
            names[sig->nparams] = name;
            params[sig->nparams] = sig_type_tok(&sp, first);
            sig->nparams++;
            sig_next(&sp);
            if (!strcmp(sp.tok, "...")) {
                sig->variadic = true;
                sig_next(&sp);
                if (strcmp(sp.tok, "->") != 0)
                    sig_fail(&sp, "only the last parameter may repeat");
                break;
            }
            if (!strcmp(sp.tok, "->"))
                break;
            if (strcmp(sp.tok, ",") != 0)
                sig_fail(&sp, "',' or '->'");
        }
    } else {
        sig_next(&sp);
    }
    sig->ret = sig_type(&sp);
    if (*sig_next(&sp))
        sig_fail(&sp, "end of signature");
    size_t n = (size_t)(sig->nparams ? sig->nparams : 1);
    sig->params = sl_arena_alloc(a, sizeof(pty *) * n);
    sig->pnames = sl_arena_alloc(a, sizeof(char *) * n);
    memcpy(sig->params, params, sizeof(pty *) * (size_t)sig->nparams);
    memcpy(sig->pnames, names, sizeof(char *) * (size_t)sig->nparams);
}

/* ---- the registry ---- */

sl_registry *sl_registry_new(void)
{
    sl_registry *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->arena = sl_arena_new(64 * 1024);
    return r;
}

void sl_registry_free(sl_registry *r)
{
    if (!r)
        return;
    sl_arena_free(r->arena);
    free(r->entries);
    free(r);
}

void sl_registry_add(sl_registry *r, const sl_function *f)
{
    for (int i = 0; i < r->n; i++) {
        if (!strcasecmp(r->entries[i].fn->name, f->name)) {
            fprintf(stderr, "sluice: function %s registered twice\n", f->name);
            abort();
        }
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 128;
        r->entries = realloc(r->entries, sizeof(entry) * (size_t)r->cap);
        if (!r->entries)
            abort();
    }
    entry *e = &r->entries[r->n++];
    e->fn = f;
    e->sigs = sl_arena_zalloc(r->arena, sizeof(psig) * (size_t)(f->noverloads ? f->noverloads : 1));
    for (int i = 0; i < f->noverloads; i++)
        parse_sig(r->arena, f->overloads[i].sig, &e->sigs[i]);
    r->sorted = false;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->fn->name, ((const entry *)b)->fn->name);
}

static void ensure_sorted(const sl_registry *cr)
{
    sl_registry *r = (sl_registry *)cr;   /* sorting is a cache, not a change */
    if (!r->sorted && r->n > 0) {
        qsort(r->entries, (size_t)r->n, sizeof(entry), entry_cmp);
        r->sorted = true;
    }
}

static const entry *find_entry(const sl_registry *r, const char *name)
{
    ensure_sorted(r);
    char up[128];
    size_t n = strlen(name);
    if (n >= sizeof up)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)toupper((unsigned char)name[i]);
    int lo = 0, hi = r->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(up, r->entries[mid].fn->name);
        if (c == 0)
            return &r->entries[mid];
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return NULL;
}

const sl_function *sl_registry_find(const sl_registry *r, const char *name)
{
    const entry *e = find_entry(r, name);
    return e ? e->fn : NULL;
}

int sl_registry_count(const sl_registry *r)
{
    return r->n;
}

const sl_function *sl_registry_at(const sl_registry *r, int i)
{
    ensure_sorted(r);
    return i >= 0 && i < r->n ? r->entries[i].fn : NULL;
}

/* ---- matching ---- */

typedef struct binding {
    const sl_type *g[MAX_GENERICS];
} binding;

/* Widening steps from one numeric kind to another: INT -> BIGINT -> DECIMAL -> DOUBLE. */
static int numeric_rank(sl_kind k)
{
    switch (k) {
    case SL_INT: return 0;
    case SL_BIGINT: return 1;
    case SL_DECIMAL: return 2;
    case SL_DOUBLE: return 3;
    default: return -1;
    }
}

static int widen_cost(const sl_type *from, const sl_type *to)
{
    if (sl_type_equal(from, to))
        return 0;
    if (!sl_type_widens_to(from, to))
        return -1;
    int a = numeric_rank(from->kind), b = numeric_rank(to->kind);
    return (a >= 0 && b > a) ? b - a : 1;
}

/* Matches an argument type against a pattern, binding generics. Returns the
 * number of widenings, or -1 when it does not match. */
static int match(sl_arena *a, const pty *p, const sl_type *t, binding *b)
{
    if (t->kind == SL_NULL)
        return 0;   /* a bare NULL fits any parameter */
    switch (p->form) {
    case P_CONCRETE:
        return widen_cost(t, p->type);
    case P_ANYDECIMAL:
        if (t->kind == SL_DECIMAL)
            return 0;
        if (t->kind == SL_INT || t->kind == SL_BIGINT)
            return SL_DECIMAL - t->kind;
        return -1;
    case P_GENERIC: {
        const sl_type *cur = b->g[p->generic];
        if (!cur || cur->kind == SL_NULL) {
            b->g[p->generic] = t;
            return 0;
        }
        if (sl_type_equal(cur, t))
            return 0;
        const sl_type *common = sl_type_common(a, cur, t);
        if (!common)
            return -1;
        b->g[p->generic] = common;
        return 1;
    }
    case P_ARRAY:
        if (t->kind != SL_ARRAY)
            return -1;
        return match(a, p->elem, t->elem, b);
    case P_MAP: {
        if (t->kind != SL_MAP)
            return -1;
        int c1 = match(a, p->key, t->key, b);
        int c2 = c1 < 0 ? -1 : match(a, p->elem, t->elem, b);
        return c2 < 0 ? -1 : c1 + c2;
    }
    case P_STRUCT: {
        if (t->kind != SL_STRUCT)
            return -1;
        if (p->n == 0)
            return 0;   /* STRUCT<> accepts any struct */
        if (p->n != t->nfields)
            return -1;
        int cost = 0;
        for (int i = 0; i < p->n; i++) {
            if (strcasecmp(p->names[i], t->fields[i].name) != 0)
                return -1;
            int c = match(a, p->sub[i], t->fields[i].type, b);
            if (c < 0)
                return -1;
            cost += c;
        }
        return cost;
    }
    case P_LAMBDA:
        return -1;  /* only lambda arguments match lambda parameters */
    }
    return -1;
}

/* The concrete type of a pattern under the bindings, or NULL when a generic is unbound.
 * `arg` (may be NULL) supplies the DECIMAL of an any-precision decimal parameter. */
static const sl_type *instantiate(sl_arena *a, const pty *p, const binding *b, const sl_type *arg)
{
    switch (p->form) {
    case P_CONCRETE:
        return p->type;
    case P_ANYDECIMAL:
        if (arg && arg->kind == SL_DECIMAL)
            return arg;
        if (arg && (arg->kind == SL_INT || arg->kind == SL_BIGINT))
            return sl_type_as_decimal(a, arg);
        return NULL;
    case P_GENERIC:
        return b->g[p->generic] && b->g[p->generic]->kind != SL_NULL ? b->g[p->generic] : NULL;
    case P_ARRAY: {
        const sl_type *e = instantiate(a, p->elem, b, arg && arg->kind == SL_ARRAY ? arg->elem : NULL);
        return e ? sl_type_array(a, e) : NULL;
    }
    case P_MAP: {
        const sl_type *k = instantiate(a, p->key, b, arg && arg->kind == SL_MAP ? arg->key : NULL);
        const sl_type *v = instantiate(a, p->elem, b, arg && arg->kind == SL_MAP ? arg->elem : NULL);
        return k && v ? sl_type_map(a, k, v) : NULL;
    }
    case P_STRUCT: {
        if (p->n == 0)
            return arg && arg->kind == SL_STRUCT ? arg : NULL;
        sl_field *f = sl_arena_alloc(a, sizeof(sl_field) * (size_t)p->n);
        for (int i = 0; i < p->n; i++) {
            f[i].name = p->names[i];
            f[i].type = instantiate(a, p->sub[i], b,
                                    arg && arg->kind == SL_STRUCT && i < arg->nfields
                                        ? arg->fields[i].type : NULL);
            if (!f[i].type)
                return NULL;
        }
        return sl_type_struct(a, f, p->n);
    }
    case P_LAMBDA:
        return NULL;
    }
    return NULL;
}

static const pty *param_at(const psig *s, int i)
{
    if (i < s->nparams)
        return s->params[i];
    return s->variadic ? s->params[s->nparams - 1] : NULL;
}

static bool arity_ok(const psig *s, int nargs)
{
    if (s->variadic)
        return nargs >= s->nparams - 1;
    return nargs == s->nparams;
}

/* Private state behind sl_resolved (kept in the arena). */
typedef struct resolve_state {
    const psig *sig;
    binding b;
    const sl_type **argtypes;   /* copy of the argument types (NULL for lambdas) */
    int nargs;
} resolve_state;

static resolve_state *state_of(sl_resolved *res)
{
    return res->priv;
}

static void format_argtypes(sl_buf *out, const sl_type *const *argtypes, const int *lambda_arity,
                            int nargs)
{
    sl_buf_putc(out, '(');
    for (int i = 0; i < nargs; i++) {
        if (i)
            sl_buf_puts(out, ", ");
        if (!argtypes[i])
            sl_buf_printf(out, "LAMBDA/%d", lambda_arity ? lambda_arity[i] : 0);
        else if (argtypes[i]->kind == SL_NULL)
            sl_buf_puts(out, "NULL");
        else
            sl_type_format(out, argtypes[i]);
    }
    sl_buf_putc(out, ')');
}

int sl_registry_resolve(const sl_registry *r, sl_arena *a, const char *name,
                        const sl_type *const *argtypes, const int *lambda_arity, int nargs,
                        sl_resolved *out, sl_span span, sl_error *err)
{
    const entry *e = find_entry(r, name);
    if (!e)
        return sl_error_set(err, SL_ERR_ANALYSIS, span,
                            "can't find any functions with the name '%s'", name);
    int best = -1, best_cost = 0;
    binding best_b;
    for (int o = 0; o < e->fn->noverloads; o++) {
        const psig *s = &e->sigs[o];
        if (!arity_ok(s, nargs))
            continue;
        binding b;
        memset(&b, 0, sizeof b);
        int cost = 0;
        for (int i = 0; i < nargs && cost >= 0; i++) {
            const pty *p = param_at(s, i);
            if (!argtypes[i]) {
                if (p->form != P_LAMBDA || (lambda_arity && lambda_arity[i] != p->n))
                    cost = -1;
                continue;
            }
            int c = match(a, p, argtypes[i], &b);
            cost = c < 0 ? -1 : cost + c;
        }
        if (cost < 0)
            continue;
        /* generics widened by a later argument cost the earlier ones a widening too */
        if (best < 0 || cost < best_cost) {
            best = o;
            best_cost = cost;
            best_b = b;
        }
    }
    if (best < 0) {
        sl_buf msg = SL_BUF_INIT;
        sl_buf_printf(&msg, "function '%s' does not accept parameters ", e->fn->name);
        format_argtypes(&msg, argtypes, lambda_arity, nargs);
        sl_buf_puts(&msg, "; valid alternatives are: ");
        for (int o = 0; o < e->fn->noverloads; o++) {
            if (o)
                sl_buf_puts(&msg, "; ");
            sl_overload_format(&msg, e->fn, &e->fn->overloads[o]);
        }
        sl_error_set(err, SL_ERR_ANALYSIS, span, "%s", sl_buf_cstr(&msg));
        sl_buf_fini(&msg);
        return -1;
    }
    resolve_state *st = sl_arena_zalloc(a, sizeof *st);
    st->sig = &e->sigs[best];
    st->b = best_b;
    st->nargs = nargs;
    st->argtypes = sl_arena_alloc(a, sizeof(sl_type *) * (size_t)(nargs ? nargs : 1));
    for (int i = 0; i < nargs; i++)
        st->argtypes[i] = argtypes[i];
    out->fn = e->fn;
    out->ov = &e->fn->overloads[best];
    out->ovindex = best;
    out->params = sl_arena_zalloc(a, sizeof(sl_type *) * (size_t)(nargs ? nargs : 1));
    out->priv = st;
    out->ret = NULL;
    for (int i = 0; i < nargs; i++) {
        if (!argtypes[i])
            continue;
        const sl_type *t = instantiate(a, param_at(st->sig, i), &st->b, argtypes[i]);
        out->params[i] = t ? t : argtypes[i];
    }
    return 0;
}

int sl_registry_lambda_params(sl_resolved *res, sl_arena *a, int i, const sl_type **params,
                              int nparams, sl_span span, sl_error *err)
{
    resolve_state *st = state_of(res);
    const pty *p = param_at(st->sig, i);
    if (!p || p->form != P_LAMBDA || p->n != nparams)
        return sl_error_set(err, SL_ERR_ANALYSIS, span,
                            "function '%s' does not take a lambda with %d parameter%s here",
                            res->fn->name, nparams, nparams == 1 ? "" : "s");
    for (int k = 0; k < nparams; k++) {
        params[k] = instantiate(a, p->sub[k], &st->b, NULL);
        if (!params[k])
            return sl_error_set(err, SL_ERR_ANALYSIS, span,
                                "cannot infer the type of lambda parameter %d of '%s'", k + 1,
                                res->fn->name);
    }
    return 0;
}

int sl_registry_bind_lambda(sl_resolved *res, sl_arena *a, int i, const sl_type *body,
                            sl_span span, sl_error *err)
{
    resolve_state *st = state_of(res);
    const pty *p = param_at(st->sig, i);
    if (!p || p->form != P_LAMBDA)
        return sl_error_set(err, SL_ERR_INTERNAL, span, "argument %d is not a lambda", i + 1);
    if (match(a, p->ret, body, &st->b) < 0) {
        sl_buf msg = SL_BUF_INIT;
        sl_type_format(&msg, body);
        sl_error_set(err, SL_ERR_ANALYSIS, span,
                     "the lambda given to '%s' returns %s, which does not fit its signature",
                     res->fn->name, sl_buf_cstr(&msg));
        sl_buf_fini(&msg);
        return -1;
    }
    return 0;
}

int sl_registry_finish(sl_resolved *res, sl_arena *a, const sl_type *const *argtypes, int nargs,
                       sl_span span, sl_error *err)
{
    resolve_state *st = state_of(res);
    for (int i = 0; i < nargs && i < st->nargs; i++) {
        if (!st->argtypes[i])
            continue;
        const sl_type *t = instantiate(a, param_at(st->sig, i), &st->b, st->argtypes[i]);
        res->params[i] = t ? t : st->argtypes[i];
    }
    if (res->ov->rettype) {
        res->ret = res->ov->rettype(a, res->params, nargs, err);
        if (!res->ret) {
            if (err && err->span.off == SL_NOPOS)
                err->span = span;
            return -1;
        }
        return 0;
    }
    /* an any-precision DECIMAL result takes the first DECIMAL argument's type */
    const sl_type *hint = NULL;
    if (st->sig->ret->form == P_ANYDECIMAL)
        for (int i = 0; i < nargs && !hint; i++)
            if (res->params[i] && res->params[i]->kind == SL_DECIMAL)
                hint = res->params[i];
    res->ret = instantiate(a, st->sig->ret, &st->b, hint);
    if (!res->ret) {
        bool all_null = true;
        for (int i = 0; i < nargs; i++)
            if (!argtypes[i] || argtypes[i]->kind != SL_NULL)
                all_null = false;
        return sl_error_set(err, SL_ERR_ANALYSIS, span,
                            all_null && nargs
                                ? "cannot infer the result type of '%s' from NULL arguments: "
                                  "CAST one of them"
                                : "cannot infer the result type of '%s'",
                            res->fn->name);
    }
    return 0;
}

/* ---- printing ---- */

/* Copies signature text, spelling the types as sl_type_format does (STRING is
 * VARCHAR, INT is INTEGER) so every message names types one way. */
static void put_type_text(sl_buf *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (isalpha((unsigned char)s[i]) || s[i] == '_') {
            size_t j = i;
            while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_'))
                j++;
            if (j - i == 6 && !strncmp(s + i, "STRING", 6))
                sl_buf_puts(out, "VARCHAR");
            else if (j - i == 3 && !strncmp(s + i, "INT", 3))
                sl_buf_puts(out, "INTEGER");
            else
                sl_buf_append(out, s + i, j - i);
            i = j;
        } else {
            sl_buf_putc(out, s[i++]);
        }
    }
}

/* Formats from the signature text itself: "s STRING, n INT -> STRING" becomes
 * "NAME(s STRING, n INT) => STRING". */
void sl_overload_format(sl_buf *out, const sl_function *f, const sl_overload *ov)
{
    const char *arrow = NULL;
    int depth = 0;
    for (const char *p = ov->sig; *p; p++) {
        if ((p[0] == '-' || p[0] == '=') && p[1] == '>') {
            if (depth == 0 && p[0] == '-')
                arrow = p;
            p++;
        } else if (*p == '(' || *p == '<') {
            depth++;
        } else if (*p == ')' || *p == '>') {
            depth--;
        }
    }
    if (!arrow) {
        sl_buf_printf(out, "%s(%s)", f->name, ov->sig);
        return;
    }
    const char *ps = ov->sig, *pe = arrow;
    while (ps < pe && *ps == ' ')
        ps++;
    while (pe > ps && pe[-1] == ' ')
        pe--;
    const char *rs = arrow + 2;
    while (*rs == ' ')
        rs++;
    sl_buf_printf(out, "%s(", f->name);
    put_type_text(out, ps, (size_t)(pe - ps));
    sl_buf_puts(out, ") => ");
    put_type_text(out, rs, strlen(rs));
}

int sl_fn_error(sl_fcall *c, const char *fmt, ...)
{
    if (!c->err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    c->err->code = SL_ERR_EVAL;
    c->err->span = SL_NOSPAN;
    vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- the built-in registry ---- */

static sl_registry *builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void build_builtin(void)
{
    void (*families[])(sl_registry *) = {
        sl_fn_register_string, sl_fn_register_regex, sl_fn_register_math,
        sl_fn_register_null, sl_fn_register_time, sl_fn_register_json,
        sl_fn_register_collection, sl_fn_register_lambda, sl_fn_register_url,
        sl_fn_register_aggregate, sl_fn_register_table, sl_fn_register_misc,
    };
    builtin = sl_registry_new();
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        families[i](builtin);
    ensure_sorted(builtin);
}

const sl_registry *sl_registry_builtin(void)
{
    pthread_once(&builtin_once, build_builtin);
    return builtin;
}
