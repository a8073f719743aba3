/*
 * expr.c: type checking, compilation and evaluation of expressions (expr.h).
 *
 * Does: resolves names against an sl_scope (columns, qualified columns,
 * pseudocolumns, lambda parameters), checks types with ksqlDB's rules,
 * inserts widening casts, resolves function calls through the registry
 * (lambdas included), folds constant subtrees (never nondeterministic
 * calls; a constant that fails to evaluate is left to fail per row), and
 * builds a tree of nodes whose evaluator was chosen for the operand types
 * (add_int, cmp_string, ...). Evaluation does no lookups and no type
 * dispatch; it allocates results from the evaluation context's arena.
 *
 * Semantics chosen (ksqlDB runs Java, which throws on these; a throw is a
 * row error in ksqlDB's processing log, so it is one here): integer
 * overflow and INT / BIGINT / DECIMAL division or modulo by zero are row
 * errors (SL_ERR_EVAL); DOUBLE follows IEEE (x / 0.0 is Infinity or NaN).
 * DECIMAL results follow ksqlDB's precision/scale rules, capped at 38
 * digits; a result that does not fit is a row error.
 *
 * Does not: plan aggregates or table functions (refused here), substitute
 * variables (the parser does), or convert values itself (cast.c).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../grammar/parse.h"
#include "expr.h"
#include "expr_internal.h"

typedef int (*evalfn)(const sl_cexpr *n, sl_evalctx *cx, sl_value *out);
typedef int (*cmpfn)(const sl_value *a, const sl_value *b);

struct sl_cexpr {
    evalfn fn;                  /* the evaluator chosen at compile time */
    const sl_type *type;        /* result type; NULL only for a lambda node */
    sl_span span;
    bool constant;              /* cval holds the value */
    bool foldable;              /* may be folded when all kids are constant */
    bool is_lambda;
    sl_value cval;
    sl_cexpr **kids;
    int nkids;
    int idx;                    /* column index, slot, field index, lambda slot base */
    int n;                      /* lambda arity, comparison mask, CASE pairs, flags */
    const sl_type *from;        /* CAST source type */
    cmpfn cmp;                  /* comparisons, IN, BETWEEN, CASE, DISTINCT */
    /* function calls */
    const sl_overload *ov;
    const sl_type **argtypes;
    void *state;
    /* LIKE with a constant pattern */
    const int32_t *pat;
    int npat;
    int32_t escape;             /* -1: none */
    int nslots;                 /* on the root: lambda slots needed */
};

/* ---- compile context ---- */

typedef struct lparam {
    const char *name;
    int slot;
    const sl_type *type;
} lparam;

#define MAX_LPARAMS 64

typedef struct cctx {
    const sl_scope *scope;
    const sl_registry *reg;
    sl_arena *a;
    sl_error *err;
    int nslots;
    lparam lp[MAX_LPARAMS];
    int nlp;
    int depth;
} cctx;

static sl_cexpr *compile(cctx *c, const sl_expr *e);

static inline int ev(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    return n->fn(n, cx, out);
}

static int row_err(sl_evalctx *cx, const sl_cexpr *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int row_err(sl_evalctx *cx, const sl_cexpr *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cx->err.code = SL_ERR_EVAL;
    cx->err.span = n->span;
    vsnprintf(cx->err.msg, sizeof cx->err.msg, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *tname(cctx *c, const sl_type *t)
{
    return sl_type_str(c->a, t);
}

/* ---- node construction and folding ---- */

static int eval_const(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    (void)cx;
    *out = n->cval;
    return 0;
}

static sl_cexpr *mk(cctx *c, evalfn fn, const sl_type *type, sl_span span, int nkids)
{
    sl_cexpr *n = sl_arena_zalloc(c->a, sizeof *n);
    n->fn = fn;
    n->type = type;
    n->span = span;
    n->foldable = true;
    n->escape = -1;
    n->nkids = nkids;
    if (nkids > 0)
        n->kids = sl_arena_zalloc(c->a, sizeof(sl_cexpr *) * (size_t)nkids);
    return n;
}

static sl_cexpr *mk_const(cctx *c, const sl_type *type, sl_value v, sl_span span)
{
    sl_cexpr *n = mk(c, eval_const, type, span, 0);
    n->constant = true;
    n->cval = v;
    return n;
}

/* Folds n when it is foldable and every kid is constant. A failure to evaluate
 * leaves the node as it is, so the row error happens at run time. */
static sl_cexpr *fold(cctx *c, sl_cexpr *n)
{
    if (!n->foldable || n->constant)
        return n;
    for (int i = 0; i < n->nkids; i++)
        if (n->kids[i] && !n->kids[i]->constant)
            return n;
    sl_evalctx cx;
    memset(&cx, 0, sizeof cx);
    cx.arena = c->a;
    sl_value v;
    if (n->fn(n, &cx, &v) == 0) {
        n->cval = v;
        n->constant = true;
        n->fn = eval_const;
    }
    return n;
}

/* ---- casts (widening and CAST) ---- */

static int cast_i2l(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value v;
    if (ev(n->kids[0], cx, &v))
        return -1;
    *out = v.kind == SL_NULL ? v : sl_bigint(v.u.i32);
    return 0;
}

static int cast_i2d(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value v;
    if (ev(n->kids[0], cx, &v))
        return -1;
    *out = v.kind == SL_NULL ? v : sl_double(v.u.i32);
    return 0;
}

static int cast_l2d(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value v;
    if (ev(n->kids[0], cx, &v))
        return -1;
    *out = v.kind == SL_NULL ? v : sl_double((double)v.u.i64);
    return 0;
}

static int cast_int2dec(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value v;
    if (ev(n->kids[0], cx, &v))
        return -1;
    if (v.kind == SL_NULL) {
        *out = v;
        return 0;
    }
    sl_int128 i = v.kind == SL_INT ? v.u.i32 : v.u.i64, r;
    if (!sl_decimal_rescale(i, 0, n->type->scale, &r) || !sl_decimal_fits(r, n->type->precision))
        return row_err(cx, n, "value %lld does not fit DECIMAL(%d, %d)", (long long)i,
                       n->type->precision, n->type->scale);
    *out = sl_decimal(r, n->type->precision, n->type->scale);
    return 0;
}

static int cast_generic(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value v;
    if (ev(n->kids[0], cx, &v))
        return -1;
    if (sl_value_cast(&v, n->from, n->type, cx->arena, out, &cx->err)) {
        if (cx->err.span.off == SL_NOPOS)
            cx->err.span = n->span;
        return -1;
    }
    return 0;
}

/* Converts kid to type `to` (already checked to be allowed). */
static sl_cexpr *wrap_cast(cctx *c, sl_cexpr *kid, const sl_type *to, sl_span span)
{
    if (!to || sl_type_equal(kid->type, to))
        return kid;
    if (kid->type->kind == SL_NULL)
        return mk_const(c, to, sl_null(), kid->span);
    evalfn fn = cast_generic;
    sl_kind f = kid->type->kind, t = to->kind;
    if (f == SL_INT && t == SL_BIGINT)
        fn = cast_i2l;
    else if (f == SL_INT && t == SL_DOUBLE)
        fn = cast_i2d;
    else if (f == SL_BIGINT && t == SL_DOUBLE)
        fn = cast_l2d;
    else if ((f == SL_INT || f == SL_BIGINT) && t == SL_DECIMAL)
        fn = cast_int2dec;
    sl_cexpr *n = mk(c, fn, to, span, 1);
    n->kids[0] = kid;
    n->from = kid->type;
    return fold(c, n);
}

/* ---- literals ---- */

static sl_cexpr *compile_literal(cctx *c, const sl_expr *e)
{
    switch (e->kind) {
    case SL_E_NULL:
        return mk_const(c, &SL_TYPE_NULL, sl_null(), e->span);
    case SL_E_BOOL:
        return mk_const(c, &SL_TYPE_BOOLEAN, sl_bool(e->bval), e->span);
    case SL_E_INT: {
        const char *s = e->text;
        uint64_t v = 0;
        bool neg = s && *s == '-';
        const char *digits = s ? s + (neg || *s == '+') : NULL;
        bool ok = digits && *digits;
        for (const char *p = digits; ok && *p; p++) {
            if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
                ok = false;
            else
                v = v * 10 + (uint64_t)(*p - '0');
        }
        if (!ok || v > (uint64_t)INT64_MAX + neg) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                         "integer literal %s is out of range for BIGINT", s ? s : "");
            return NULL;
        }
        int64_t iv = neg ? (int64_t)(0 - v) : (int64_t)v;
        if (iv >= INT32_MIN && iv <= INT32_MAX)
            return mk_const(c, &SL_TYPE_INT, sl_int((int32_t)iv), e->span);
        return mk_const(c, &SL_TYPE_BIGINT, sl_bigint(iv), e->span);
    }
    case SL_E_DECIMAL: {
        sl_int128 u;
        int p, s;
        if (!e->text || !sl_decimal_parse(e->text, strlen(e->text), &u, &p, &s)) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                         "decimal literal %s has more than %d digits", e->text ? e->text : "",
                         SL_DECIMAL_MAX_PRECISION);
            return NULL;
        }
        return mk_const(c, sl_type_decimal(c->a, p, s), sl_decimal(u, p, s), e->span);
    }
    case SL_E_DOUBLE: {
        char *end;
        double d = e->text ? strtod(e->text, &end) : NAN;
        if (!e->text || *end || !isfinite(d)) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                         "floating point literal %s is out of range for DOUBLE",
                         e->text ? e->text : "");
            return NULL;
        }
        return mk_const(c, &SL_TYPE_DOUBLE, sl_double(d), e->span);
    }
    case SL_E_STRING: {
        const char *s = e->text ? e->text : "";
        if (!sl_utf8_valid(s, e->textlen)) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->span, "string literal is not valid UTF-8");
            return NULL;
        }
        /* copied: a compiled expression never points into the statement's tree */
        return mk_const(c, &SL_TYPE_STRING, sl_string_copy(c->a, s, e->textlen), e->span);
    }
    default:
        return NULL;
    }
}

/* ---- columns, pseudocolumns, lambda parameters ---- */

static int eval_col(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    if (!cx->row || n->idx >= cx->row->ncols)
        return row_err(cx, n, "no value for column %d in this row", n->idx + 1);
    *out = cx->row->cols[n->idx];
    return 0;
}

static int eval_slot(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    if (!cx->slots || n->idx >= cx->nslots)
        return row_err(cx, n, "lambda parameter evaluated outside its function");
    *out = cx->slots[n->idx];
    return 0;
}

enum { PC_ROWTIME, PC_ROWPARTITION, PC_ROWOFFSET, PC_WINDOWSTART, PC_WINDOWEND };

static int eval_pseudo(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    const sl_row *r = cx->row;
    if (!r) {
        *out = sl_null();
        return 0;
    }
    switch (n->idx) {
    case PC_ROWTIME: *out = sl_bigint(r->rowtime); break;
    case PC_ROWPARTITION: *out = sl_int(r->partition); break;
    case PC_ROWOFFSET: *out = sl_bigint(r->offset); break;
    case PC_WINDOWSTART: *out = r->windowed ? sl_bigint(r->window_start) : sl_null(); break;
    default: *out = r->windowed ? sl_bigint(r->window_end) : sl_null(); break;
    }
    return 0;
}

static sl_cexpr *compile_column(cctx *c, const sl_expr *e)
{
    const char *name = e->name.name ? e->name.name : "";
    const char *qual = e->qualifier.name;
    if (!qual)
        for (int i = c->nlp - 1; i >= 0; i--)
            if (strcmp(c->lp[i].name, name) == 0) {
                sl_cexpr *n = mk(c, eval_slot, c->lp[i].type, e->span, 0);
                n->idx = c->lp[i].slot;
                n->foldable = false;
                return n;
            }
    const sl_schema *s = c->scope->schema;
    int idx = s ? sl_schema_find(s, qual, name) : -1;
    if (idx == -2) {
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                     "column '%s' is ambiguous: more than one source has it; qualify it", name);
        return NULL;
    }
    if (idx >= 0) {
        sl_cexpr *n = mk(c, eval_col, s->cols[idx].type, e->span, 0);
        n->idx = idx;
        n->foldable = false;
        return n;
    }
    static const struct { const char *name; int id; const sl_type *type; bool windowed; } pcs[] = {
        {"ROWTIME", PC_ROWTIME, &SL_TYPE_BIGINT, false},
        {"ROWPARTITION", PC_ROWPARTITION, &SL_TYPE_INT, false},
        {"ROWOFFSET", PC_ROWOFFSET, &SL_TYPE_BIGINT, false},
        {"WINDOWSTART", PC_WINDOWSTART, &SL_TYPE_BIGINT, true},
        {"WINDOWEND", PC_WINDOWEND, &SL_TYPE_BIGINT, true},
    };
    for (size_t i = 0; i < sizeof pcs / sizeof pcs[0]; i++) {
        if (strcmp(pcs[i].name, name) != 0)
            continue;
        bool ok = pcs[i].windowed ? c->scope->windowed : c->scope->pseudocolumns;
        if (!ok) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                         pcs[i].windowed
                             ? "pseudocolumn '%s' is only available in windowed queries"
                             : "pseudocolumn '%s' is not available here",
                         name);
            return NULL;
        }
        sl_cexpr *n = mk(c, eval_pseudo, pcs[i].type, e->span, 0);
        n->idx = pcs[i].id;
        n->foldable = false;
        return n;
    }
    if (qual)
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span, "column '%s.%s' cannot be resolved", qual,
                     name);
    else
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span, "column '%s' cannot be resolved", name);
    return NULL;
}

/* ---- arithmetic ---- */

#define BINARY_OPERANDS(x, y)                         \
    sl_value x, y;                                    \
    if (ev(n->kids[0], cx, &x))                       \
        return -1;                                    \
    if (x.kind == SL_NULL) {                          \
        *out = x;                                     \
        return 0;                                     \
    }                                                 \
    if (ev(n->kids[1], cx, &y))                       \
        return -1;                                    \
    if (y.kind == SL_NULL) {                          \
        *out = y;                                     \
        return 0;                                     \
    }

#define INT_OP(NAME, T, FIELD, MK, BUILTIN, WHAT, TYPENAME)                  \
    static int NAME(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)       \
    {                                                                       \
        BINARY_OPERANDS(x, y)                                               \
        T r;                                                                \
        if (BUILTIN(x.u.FIELD, y.u.FIELD, &r))                              \
            return row_err(cx, n, "%s overflow in %s", TYPENAME, WHAT);     \
        *out = MK(r);                                                       \
        return 0;                                                           \
    }

INT_OP(add_int, int32_t, i32, sl_int, __builtin_add_overflow, "addition", "INTEGER")
INT_OP(sub_int, int32_t, i32, sl_int, __builtin_sub_overflow, "subtraction", "INTEGER")
INT_OP(mul_int, int32_t, i32, sl_int, __builtin_mul_overflow, "multiplication", "INTEGER")
INT_OP(add_bigint, int64_t, i64, sl_bigint, __builtin_add_overflow, "addition", "BIGINT")
INT_OP(sub_bigint, int64_t, i64, sl_bigint, __builtin_sub_overflow, "subtraction", "BIGINT")
INT_OP(mul_bigint, int64_t, i64, sl_bigint, __builtin_mul_overflow, "multiplication", "BIGINT")

static int div_int(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    if (y.u.i32 == 0)
        return row_err(cx, n, "division by zero");
    if (x.u.i32 == INT32_MIN && y.u.i32 == -1)
        return row_err(cx, n, "integer overflow in division");
    *out = sl_int(x.u.i32 / y.u.i32);
    return 0;
}

static int mod_int(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    if (y.u.i32 == 0)
        return row_err(cx, n, "division by zero");
    *out = sl_int(y.u.i32 == -1 ? 0 : x.u.i32 % y.u.i32);
    return 0;
}

static int div_bigint(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    if (y.u.i64 == 0)
        return row_err(cx, n, "division by zero");
    if (x.u.i64 == INT64_MIN && y.u.i64 == -1)
        return row_err(cx, n, "integer overflow in division");
    *out = sl_bigint(x.u.i64 / y.u.i64);
    return 0;
}

/* x % k with k a constant other than 0 and -1 (compile_arith): only x is
 * evaluated, and there is no division by zero to check for. */
static int mod_bigint_k(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    if (ev(n->kids[0], cx, out))
        return -1;
    if (out->kind != SL_NULL)
        out->u.i64 %= n->kids[1]->cval.u.i64;
    return 0;
}

static int mod_bigint(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    if (y.u.i64 == 0)
        return row_err(cx, n, "division by zero");
    *out = sl_bigint(y.u.i64 == -1 ? 0 : x.u.i64 % y.u.i64);
    return 0;
}

static int add_double(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    *out = sl_double(x.u.d + y.u.d);
    return 0;
}

static int sub_double(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    *out = sl_double(x.u.d - y.u.d);
    return 0;
}

static int mul_double(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    *out = sl_double(x.u.d * y.u.d);
    return 0;
}

static int div_double(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    *out = sl_double(x.u.d / y.u.d);
    return 0;
}

static int mod_double(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    *out = sl_double(fmod(x.u.d, y.u.d));
    return 0;
}

static int dec_result(const sl_cexpr *n, sl_evalctx *cx, sl_int128 r, int scale, sl_value *out)
{
    int p = n->type->precision, s = n->type->scale;
    sl_int128 v;
    if (!sl_decimal_rescale(r, scale, s, &v) || !sl_decimal_fits(v, p))
        return row_err(cx, n, "decimal overflow: the result does not fit DECIMAL(%d, %d)", p, s);
    *out = sl_decimal(v, p, s);
    return 0;
}

static int dec_align(const sl_cexpr *n, sl_evalctx *cx, sl_value *x, sl_value *y, int *scale)
{
    int s = x->scale > y->scale ? x->scale : y->scale;
    if (!sl_decimal_rescale(x->u.dec, x->scale, s, &x->u.dec) ||
        !sl_decimal_rescale(y->u.dec, y->scale, s, &y->u.dec))
        return row_err(cx, n, "decimal overflow: the result does not fit DECIMAL(%d, %d)",
                       n->type->precision, n->type->scale);
    *scale = s;
    return 0;
}

static int add_decimal(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    int s = 0;
    sl_int128 r;
    if (dec_align(n, cx, &x, &y, &s))
        return -1;
    if (__builtin_add_overflow(x.u.dec, y.u.dec, &r))
        return row_err(cx, n, "decimal overflow");
    return dec_result(n, cx, r, s, out);
}

static int sub_decimal(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    int s = 0;
    sl_int128 r;
    if (dec_align(n, cx, &x, &y, &s))
        return -1;
    if (__builtin_sub_overflow(x.u.dec, y.u.dec, &r))
        return row_err(cx, n, "decimal overflow");
    return dec_result(n, cx, r, s, out);
}

static int mul_decimal(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    sl_int128 r;
    bool small = x.u.dec == (int64_t)x.u.dec && y.u.dec == (int64_t)y.u.dec;
    if (small)      /* one 64 x 64 -> 128 bit multiply, which cannot overflow */
        r = (sl_int128)(int64_t)x.u.dec * (int64_t)y.u.dec;
    if ((!small && __builtin_mul_overflow(x.u.dec, y.u.dec, &r)) || !sl_decimal_fits(r, 38))
        return row_err(cx, n, "decimal overflow: the result does not fit DECIMAL(%d, %d)",
                       n->type->precision, n->type->scale);
    return dec_result(n, cx, r, x.scale + y.scale, out);
}

static int div_decimal(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    if (y.u.dec == 0)
        return row_err(cx, n, "division by zero");
    sl_int128 r;
    if (!sl_dec_div(x.u.dec, x.scale, y.u.dec, y.scale, n->type->scale, &r))
        return row_err(cx, n, "decimal overflow: the result does not fit DECIMAL(%d, %d)",
                       n->type->precision, n->type->scale);
    return dec_result(n, cx, r, n->type->scale, out);
}

static int mod_decimal(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    if (y.u.dec == 0)
        return row_err(cx, n, "division by zero");
    int s = 0;
    if (dec_align(n, cx, &x, &y, &s))
        return -1;
    return dec_result(n, cx, x.u.dec % y.u.dec, s, out);
}

static int concat_str(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    size_t len = (size_t)x.u.s.len + y.u.s.len;
    if (len > UINT32_MAX)
        return row_err(cx, n, "string too long");
    char *p = sl_arena_alloc(cx->arena, len + 1);
    if (x.u.s.len)
        memcpy(p, x.u.s.ptr, x.u.s.len);
    if (y.u.s.len)
        memcpy(p + x.u.s.len, y.u.s.ptr, y.u.s.len);
    p[len] = '\0';
    *out = sl_string_ref(p, (uint32_t)len);
    return 0;
}

static const sl_type *num_as_dec(cctx *c, const sl_type *t)
{
    return t->kind == SL_DECIMAL ? t : sl_type_as_decimal(c->a, t);
}

/* ksqlDB's result type of DECIMAL arithmetic, capped at 38 digits. */
static const sl_type *decimal_result(cctx *c, sl_op op, const sl_type *l, const sl_type *r)
{
    int p1 = l->precision, s1 = l->scale, p2 = r->precision, s2 = r->scale, p, s;
    int ms = s1 > s2 ? s1 : s2;
    switch (op) {
    case SL_OP_ADD:
    case SL_OP_SUB:
        s = ms;
        p = (p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2) + s + 1;
        break;
    case SL_OP_MUL:
        p = p1 + p2 + 1;
        s = s1 + s2;
        break;
    case SL_OP_DIV:
        s = 6 > s1 + p2 + 1 ? 6 : s1 + p2 + 1;
        p = p1 - s1 + s2 + s;
        break;
    default: /* MOD */
        s = ms;
        p = (p1 - s1 < p2 - s2 ? p1 - s1 : p2 - s2) + s;
        break;
    }
    if (p > SL_DECIMAL_MAX_PRECISION) {
        int intd = p - s;
        int keep = s < 6 ? s : 6;
        s = SL_DECIMAL_MAX_PRECISION - intd;
        if (s < keep)
            s = keep;
        p = SL_DECIMAL_MAX_PRECISION;
    }
    if (s > p)
        s = p;
    if (p < 1)
        p = 1;
    return sl_type_decimal(c->a, p, s);
}

static sl_cexpr *binary_node(cctx *c, evalfn fn, const sl_type *t, const sl_expr *e, sl_cexpr *l,
                             sl_cexpr *r)
{
    sl_cexpr *n = mk(c, fn, t, e->span, 2);
    n->kids[0] = l;
    n->kids[1] = r;
    return fold(c, n);
}

static sl_cexpr *compile_arith(cctx *c, const sl_expr *e, sl_cexpr *l, sl_cexpr *r)
{
    const sl_type *lt = l->type, *rt = r->type;
    sl_op op = e->op;
    bool lnull = lt->kind == SL_NULL, rnull = rt->kind == SL_NULL;
    if (lnull && rnull)
        return mk_const(c, &SL_TYPE_NULL, sl_null(), e->span);
    if (lnull)
        lt = rt;
    if (rnull)
        rt = lt;
    if ((op == SL_OP_ADD || op == SL_OP_CONCAT) && lt->kind == SL_STRING && rt->kind == SL_STRING)
        return binary_node(c, concat_str, &SL_TYPE_STRING, e, wrap_cast(c, l, lt, e->span),
                           wrap_cast(c, r, rt, e->span));
    if (op == SL_OP_CONCAT || !sl_type_is_numeric(lt) || !sl_type_is_numeric(rt)) {
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                     "operator '%s' cannot be applied to %s and %s", sl_op_text(op),
                     tname(c, l->type), tname(c, r->type));
        return NULL;
    }
    static const evalfn fns[4][5] = {
        {add_int, sub_int, mul_int, div_int, mod_int},
        {add_bigint, sub_bigint, mul_bigint, div_bigint, mod_bigint},
        {add_decimal, sub_decimal, mul_decimal, div_decimal, mod_decimal},
        {add_double, sub_double, mul_double, div_double, mod_double},
    };
    int oi = op - SL_OP_ADD;
    const sl_type *t;
    int row;
    if (lt->kind == SL_DOUBLE || rt->kind == SL_DOUBLE) {
        t = &SL_TYPE_DOUBLE;
        row = 3;
    } else if (lt->kind == SL_DECIMAL || rt->kind == SL_DECIMAL) {
        lt = num_as_dec(c, lt);
        rt = num_as_dec(c, rt);
        l = wrap_cast(c, l, lt, l->span);
        r = wrap_cast(c, r, rt, r->span);
        return binary_node(c, fns[2][oi], decimal_result(c, op, lt, rt), e, l, r);
    } else if (lt->kind == SL_BIGINT || rt->kind == SL_BIGINT) {
        t = &SL_TYPE_BIGINT;
        row = 1;
    } else {
        t = &SL_TYPE_INT;
        row = 0;
    }
    sl_cexpr *n = binary_node(c, fns[row][oi], t, e, wrap_cast(c, l, t, l->span),
                              wrap_cast(c, r, t, r->span));
    if (n && n->fn == mod_bigint && n->kids[1]->constant &&
        n->kids[1]->cval.kind == SL_BIGINT && n->kids[1]->cval.u.i64 != 0 &&
        n->kids[1]->cval.u.i64 != -1)
        n->fn = mod_bigint_k;
    return n;
}

/* ---- unary ---- */

static int neg_int(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value v;
    if (ev(n->kids[0], cx, &v))
        return -1;
    if (v.kind == SL_NULL) {
        *out = v;
        return 0;
    }
    if (v.u.i32 == INT32_MIN)
        return row_err(cx, n, "integer overflow in negation");
    *out = sl_int(-v.u.i32);
    return 0;
}

static int neg_bigint(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value v;
    if (ev(n->kids[0], cx, &v))
        return -1;
    if (v.kind == SL_NULL) {
        *out = v;
        return 0;
    }
    if (v.u.i64 == INT64_MIN)
        return row_err(cx, n, "integer overflow in negation");
    *out = sl_bigint(-v.u.i64);
    return 0;
}

static int neg_double(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value v;
    if (ev(n->kids[0], cx, &v))
        return -1;
    *out = v.kind == SL_NULL ? v : sl_double(-v.u.d);
    return 0;
}

static int neg_decimal(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value v;
    if (ev(n->kids[0], cx, &v))
        return -1;
    if (v.kind != SL_NULL)
        v.u.dec = -v.u.dec;
    *out = v;
    return 0;
}

static int eval_not(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value v;
    if (ev(n->kids[0], cx, &v))
        return -1;
    *out = v.kind == SL_NULL ? v : sl_bool(!v.u.b);
    return 0;
}

static bool is_bool_or_null(const sl_type *t)
{
    return t->kind == SL_BOOLEAN || t->kind == SL_NULL;
}

static sl_cexpr *compile_unary(cctx *c, const sl_expr *e)
{
    sl_cexpr *a = compile(c, e->a);
    if (!a)
        return NULL;
    const sl_type *t = a->type;
    if (e->op == SL_OP_NOT) {
        if (!is_bool_or_null(t)) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                         "operator NOT cannot be applied to %s", tname(c, t));
            return NULL;
        }
        sl_cexpr *n = mk(c, eval_not, &SL_TYPE_BOOLEAN, e->span, 1);
        n->kids[0] = wrap_cast(c, a, &SL_TYPE_BOOLEAN, e->span);
        return fold(c, n);
    }
    if (t->kind == SL_NULL)
        return a;
    if (!sl_type_is_numeric(t)) {
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span, "operator '%s' cannot be applied to %s",
                     sl_op_text(e->op), tname(c, t));
        return NULL;
    }
    if (e->op == SL_OP_PLUS)
        return a;
    evalfn fn = t->kind == SL_INT ? neg_int : t->kind == SL_BIGINT ? neg_bigint
              : t->kind == SL_DOUBLE ? neg_double : neg_decimal;
    sl_cexpr *n = mk(c, fn, t, e->span, 1);
    n->kids[0] = a;
    return fold(c, n);
}

/* ---- comparisons ---- */

static int cmp_int(const sl_value *a, const sl_value *b)
{
    return (a->u.i32 > b->u.i32) - (a->u.i32 < b->u.i32);
}

static int cmp_bigint(const sl_value *a, const sl_value *b)
{
    return (a->u.i64 > b->u.i64) - (a->u.i64 < b->u.i64);
}

static int cmp_double(const sl_value *a, const sl_value *b)
{
    double x = a->u.d, y = b->u.d;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);     /* NaN is the largest, equal to itself (Java) */
    return (x > y) - (x < y);
}

static int cmp_bool(const sl_value *a, const sl_value *b)
{
    return (int)a->u.b - (int)b->u.b;
}

static int cmp_bytes(const sl_value *a, const sl_value *b)
{
    uint32_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int r = n ? memcmp(a->u.s.ptr, b->u.s.ptr, n) : 0;
    if (r)
        return r < 0 ? -1 : 1;
    return (a->u.s.len > b->u.s.len) - (a->u.s.len < b->u.s.len);
}

static int cmp_value(const sl_value *a, const sl_value *b)
{
    return sl_value_compare(a, b);   /* DECIMAL of any scales, composites */
}

static int cmp_equal_only(const sl_value *a, const sl_value *b)
{
    return sl_value_equal(a, b) ? 0 : 1;
}

static bool is_temporal(const sl_type *t)
{
    return t->kind == SL_TIMESTAMP || t->kind == SL_DATE || t->kind == SL_TIME;
}

/*
 * Makes the operands of a comparison comparable: numbers widen to a common
 * numeric type (DECIMALs of any scale compare exactly as they are), a STRING
 * compared with a TIMESTAMP / DATE / TIME is converted to it, NULL takes the
 * other side's type. Returns the comparator, or NULL with err set.
 */
static cmpfn comparable(cctx *c, sl_cexpr **kids, int nk, bool ordered, sl_span span,
                        const char *what)
{
    const sl_type *t = &SL_TYPE_NULL;
    for (int i = 0; i < nk; i++) {
        const sl_type *k = kids[i]->type;
        const sl_type *u;
        if (is_temporal(t) && k->kind == SL_STRING)
            u = t;
        else if (t->kind == SL_STRING && is_temporal(k))
            u = k;
        else
            u = sl_type_common(c->a, t, k);
        if (!u) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, span, "cannot compare %s with %s%s%s",
                         tname(c, t), tname(c, k), what ? " in " : "", what ? what : "");
            return NULL;
        }
        t = u;
    }
    /* every operand has a type that widens to t (or is a STRING for a temporal t) */
    cmpfn f;
    switch (t->kind) {
    case SL_NULL:
        return cmp_value;   /* all NULL: never called */
    case SL_INT: f = cmp_int; break;
    case SL_BIGINT: case SL_TIMESTAMP: f = cmp_bigint; break;
    case SL_DATE: case SL_TIME: f = cmp_int; break;
    case SL_DOUBLE: f = cmp_double; break;
    case SL_DECIMAL: f = cmp_value; break;
    case SL_STRING: case SL_BYTES: f = cmp_bytes; break;
    case SL_BOOLEAN: f = cmp_bool; break;
    default:
        if (ordered) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, span,
                         "values of type %s can only be compared for equality", tname(c, t));
            return NULL;
        }
        f = cmp_equal_only;
    }
    for (int i = 0; i < nk; i++) {
        const sl_type *k = kids[i]->type;
        if (t->kind == SL_DECIMAL && k->kind != SL_NULL)
            kids[i] = wrap_cast(c, kids[i], num_as_dec(c, k), kids[i]->span);
        else if (t->kind == SL_ARRAY || t->kind == SL_MAP || t->kind == SL_STRUCT)
            continue;   /* compared structurally by value */
        else
            kids[i] = wrap_cast(c, kids[i], t, kids[i]->span);
    }
    return f;
}

enum { M_LT = 1, M_EQ = 2, M_GT = 4 };

/* A comparison whose right operand is a constant, not NULL (compile_compare):
 * only the left one is evaluated. */
static int eval_cmp_k(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value x;
    if (ev(n->kids[0], cx, &x))
        return -1;
    if (x.kind == SL_NULL) {
        *out = x;
        return 0;
    }
    int r = n->cmp(&x, &n->kids[1]->cval);
    *out = sl_bool((n->n >> ((r > 0) - (r < 0) + 1)) & 1);
    return 0;
}

static int eval_cmp(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(x, y)
    int r = n->cmp(&x, &y);
    *out = sl_bool((n->n >> ((r > 0) - (r < 0) + 1)) & 1);
    return 0;
}

static sl_cexpr *compile_compare(cctx *c, const sl_expr *e, sl_cexpr *l, sl_cexpr *r)
{
    sl_cexpr *kids[2] = {l, r};
    bool ordered = e->op != SL_OP_EQ && e->op != SL_OP_NE;
    cmpfn f = comparable(c, kids, 2, ordered, e->span, NULL);
    if (!f)
        return NULL;
    int mask = 0;
    switch (e->op) {
    case SL_OP_EQ: mask = M_EQ; break;
    case SL_OP_NE: mask = M_LT | M_GT; break;
    case SL_OP_LT: mask = M_LT; break;
    case SL_OP_LE: mask = M_LT | M_EQ; break;
    case SL_OP_GT: mask = M_GT; break;
    default: mask = M_GT | M_EQ; break;
    }
    sl_cexpr *n = mk(c, eval_cmp, &SL_TYPE_BOOLEAN, e->span, 2);
    n->kids[0] = kids[0];
    n->kids[1] = kids[1];
    n->cmp = f;
    n->n = mask;
    n = fold(c, n);
    if (n->fn == eval_cmp && kids[1]->constant && kids[1]->cval.kind != SL_NULL)
        n->fn = eval_cmp_k;
    return n;
}

/* ---- AND / OR ---- */

static int eval_and(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value x, y;
    if (ev(n->kids[0], cx, &x))
        return -1;
    if (x.kind != SL_NULL && !x.u.b) {
        *out = sl_bool(false);
        return 0;
    }
    if (ev(n->kids[1], cx, &y))
        return -1;
    if (y.kind != SL_NULL && !y.u.b)
        *out = sl_bool(false);
    else if (x.kind == SL_NULL || y.kind == SL_NULL)
        *out = sl_null();
    else
        *out = sl_bool(true);
    return 0;
}

static int eval_or(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value x, y;
    if (ev(n->kids[0], cx, &x))
        return -1;
    if (x.kind != SL_NULL && x.u.b) {
        *out = sl_bool(true);
        return 0;
    }
    if (ev(n->kids[1], cx, &y))
        return -1;
    if (y.kind != SL_NULL && y.u.b)
        *out = sl_bool(true);
    else if (x.kind == SL_NULL || y.kind == SL_NULL)
        *out = sl_null();
    else
        *out = sl_bool(false);
    return 0;
}

static sl_cexpr *compile_binary(cctx *c, const sl_expr *e)
{
    sl_cexpr *l = compile(c, e->a);
    if (!l)
        return NULL;
    sl_cexpr *r = compile(c, e->b);
    if (!r)
        return NULL;
    switch (e->op) {
    case SL_OP_ADD: case SL_OP_SUB: case SL_OP_MUL: case SL_OP_DIV: case SL_OP_MOD:
    case SL_OP_CONCAT:
        return compile_arith(c, e, l, r);
    case SL_OP_EQ: case SL_OP_NE: case SL_OP_LT: case SL_OP_LE: case SL_OP_GT: case SL_OP_GE:
        return compile_compare(c, e, l, r);
    case SL_OP_AND:
    case SL_OP_OR: {
        if (!is_bool_or_null(l->type) || !is_bool_or_null(r->type)) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                         "operator %s cannot be applied to %s and %s", sl_op_text(e->op),
                         tname(c, l->type), tname(c, r->type));
            return NULL;
        }
        return binary_node(c, e->op == SL_OP_AND ? eval_and : eval_or, &SL_TYPE_BOOLEAN, e,
                           wrap_cast(c, l, &SL_TYPE_BOOLEAN, e->span),
                           wrap_cast(c, r, &SL_TYPE_BOOLEAN, e->span));
    }
    default:
        sl_error_set(c->err, SL_ERR_INTERNAL, e->span, "unknown binary operator");
        return NULL;
    }
}

/* ---- BETWEEN, IN, IS NULL, IS DISTINCT FROM ---- */

static int eval_between(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value x, lo, hi;
    if (ev(n->kids[0], cx, &x))
        return -1;
    if (x.kind == SL_NULL) {
        *out = x;
        return 0;
    }
    if (ev(n->kids[1], cx, &lo) || ev(n->kids[2], cx, &hi))
        return -1;
    /* x >= lo AND x <= hi, three-valued */
    int r1 = lo.kind == SL_NULL ? -1 : n->cmp(&x, &lo) >= 0;
    int r2 = hi.kind == SL_NULL ? -1 : n->cmp(&x, &hi) <= 0;
    int r = (r1 == 0 || r2 == 0) ? 0 : (r1 < 0 || r2 < 0) ? -1 : 1;
    if (r < 0)
        *out = sl_null();
    else
        *out = sl_bool(n->n ? !r : r);
    return 0;
}

static sl_cexpr *compile_between(cctx *c, const sl_expr *e)
{
    sl_cexpr *n = mk(c, eval_between, &SL_TYPE_BOOLEAN, e->span, 3);
    if (!(n->kids[0] = compile(c, e->a)) || !(n->kids[1] = compile(c, e->b)) ||
        !(n->kids[2] = compile(c, e->c)))
        return NULL;
    if (!(n->cmp = comparable(c, n->kids, 3, true, e->span, "BETWEEN")))
        return NULL;
    n->n = e->negated;
    return fold(c, n);
}

static int eval_in(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value x;
    if (ev(n->kids[0], cx, &x))
        return -1;
    if (x.kind == SL_NULL) {
        *out = x;
        return 0;
    }
    bool saw_null = false;
    for (int i = 1; i < n->nkids; i++) {
        sl_value y;
        if (ev(n->kids[i], cx, &y))
            return -1;
        if (y.kind == SL_NULL) {
            saw_null = true;
        } else if (n->cmp(&x, &y) == 0) {
            *out = sl_bool(!n->n);
            return 0;
        }
    }
    *out = saw_null ? sl_null() : sl_bool(n->n);
    return 0;
}

static sl_cexpr *compile_in(cctx *c, const sl_expr *e)
{
    sl_cexpr *n = mk(c, eval_in, &SL_TYPE_BOOLEAN, e->span, 1 + e->list.n);
    if (!(n->kids[0] = compile(c, e->a)))
        return NULL;
    for (int i = 0; i < e->list.n; i++)
        if (!(n->kids[1 + i] = compile(c, e->list.items[i])))
            return NULL;
    if (!(n->cmp = comparable(c, n->kids, n->nkids, false, e->span, "IN")))
        return NULL;
    n->n = e->negated;
    return fold(c, n);
}

static int eval_is_null(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value x;
    if (ev(n->kids[0], cx, &x))
        return -1;
    *out = sl_bool((x.kind == SL_NULL) != (n->n != 0));
    return 0;
}

static int eval_distinct(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value x, y;
    if (ev(n->kids[0], cx, &x) || ev(n->kids[1], cx, &y))
        return -1;
    bool distinct;
    if (x.kind == SL_NULL || y.kind == SL_NULL)
        distinct = x.kind != y.kind;
    else
        distinct = n->cmp(&x, &y) != 0;
    *out = sl_bool(n->n ? !distinct : distinct);
    return 0;
}

/* ---- LIKE ---- */

enum { TOK_ONE = -1, TOK_ANY = -2 };

static int32_t utf8_next(const char *s, uint32_t n, uint32_t *i)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t c = p[*i];
    int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (*i + (uint32_t)len > n)
        len = (int)(n - *i);
    int32_t cp = len == 1 ? (int32_t)c : (int32_t)(c & (0x3F >> (len - 1)));
    for (int k = 1; k < len; k++)
        cp = (cp << 6) | (p[*i + (uint32_t)k] & 0x3F);
    *i += (uint32_t)len;
    return cp;
}

/* Pattern -> tokens; false when the escape character ends the pattern. */
static bool like_tokens(sl_arena *a, const char *s, uint32_t n, int32_t esc, int32_t **toks,
                        int *ntoks)
{
    int32_t *t = sl_arena_alloc(a, sizeof(int32_t) * (n ? n : 1));
    int k = 0;
    uint32_t i = 0;
    while (i < n) {
        int32_t cp = utf8_next(s, n, &i);
        if (esc >= 0 && cp == esc) {
            if (i >= n)
                return false;
            t[k++] = utf8_next(s, n, &i);
        } else if (cp == '%') {
            if (k == 0 || t[k - 1] != TOK_ANY)
                t[k++] = TOK_ANY;
        } else if (cp == '_') {
            t[k++] = TOK_ONE;
        } else {
            t[k++] = cp;
        }
    }
    *toks = t;
    *ntoks = k;
    return true;
}

static bool like_match(const char *s, uint32_t n, const int32_t *tok, int nt)
{
    uint32_t si = 0, star_s = 0;
    int pi = 0, star_p = -1;
    while (si < n) {
        uint32_t next = si;
        int32_t cp = utf8_next(s, n, &next);
        if (pi < nt && tok[pi] == TOK_ANY) {
            star_p = pi++;
            star_s = si;
        } else if (pi < nt && (tok[pi] == TOK_ONE || tok[pi] == cp)) {
            si = next;
            pi++;
        } else if (star_p >= 0) {
            pi = star_p + 1;
            utf8_next(s, n, &star_s);
            si = star_s;
        } else {
            return false;
        }
    }
    while (pi < nt && tok[pi] == TOK_ANY)
        pi++;
    return pi == nt;
}

static int eval_like(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value x, p;
    if (ev(n->kids[0], cx, &x))
        return -1;
    if (x.kind == SL_NULL) {
        *out = x;
        return 0;
    }
    const int32_t *toks = n->pat;
    int nt = n->npat;
    if (!toks) {
        if (ev(n->kids[1], cx, &p))
            return -1;
        if (p.kind == SL_NULL) {
            *out = p;
            return 0;
        }
        int32_t *t;
        if (!like_tokens(cx->arena, p.u.s.ptr, p.u.s.len, n->escape, &t, &nt))
            return row_err(cx, n, "LIKE pattern ends with the escape character");
        toks = t;
    }
    bool m = like_match(x.u.s.ptr, x.u.s.len, toks, nt);
    *out = sl_bool(n->n ? !m : m);
    return 0;
}

static sl_cexpr *compile_like(cctx *c, const sl_expr *e)
{
    sl_cexpr *n = mk(c, eval_like, &SL_TYPE_BOOLEAN, e->span, 2);
    if (!(n->kids[0] = compile(c, e->a)) || !(n->kids[1] = compile(c, e->b)))
        return NULL;
    for (int i = 0; i < 2; i++) {
        const sl_type *t = n->kids[i]->type;
        if (t->kind != SL_STRING && t->kind != SL_NULL) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                         "LIKE needs VARCHAR operands, not %s", tname(c, t));
            return NULL;
        }
        n->kids[i] = wrap_cast(c, n->kids[i], &SL_TYPE_STRING, e->span);
    }
    n->n = e->negated;
    if (e->c) {
        sl_cexpr *esc = compile(c, e->c);
        if (!esc)
            return NULL;
        const sl_value *v = &esc->cval;
        uint32_t i = 0;
        if (!esc->constant || v->kind != SL_STRING || v->u.s.len == 0 ||
            (utf8_next(v->u.s.ptr, v->u.s.len, &i), i != v->u.s.len)) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->c->span,
                         "the ESCAPE of LIKE must be a single character");
            return NULL;
        }
        i = 0;
        n->escape = utf8_next(v->u.s.ptr, v->u.s.len, &i);
    }
    sl_cexpr *pk = n->kids[1];
    if (pk->constant && pk->cval.kind == SL_STRING) {
        int32_t *t;
        if (!like_tokens(c->a, pk->cval.u.s.ptr, pk->cval.u.s.len, n->escape, &t, &n->npat)) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->b->span,
                         "LIKE pattern ends with the escape character");
            return NULL;
        }
        n->pat = t;
    }
    return fold(c, n);
}

/* ---- CASE ---- */

/* kids: [operand] when0 then0 when1 then1 ... [else]; n->n = number of pairs,
 * n->idx = 1 for a simple CASE (with operand), n->escape = 1 when there is an ELSE. */
static int eval_case(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    int base = n->idx;
    sl_value op = sl_null();
    if (base && ev(n->kids[0], cx, &op))
        return -1;
    for (int i = 0; i < n->n; i++) {
        sl_value w;
        if (base && op.kind == SL_NULL)
            break;      /* a NULL operand matches no WHEN */
        if (ev(n->kids[base + 2 * i], cx, &w))
            return -1;
        bool hit = base ? (w.kind != SL_NULL && n->cmp(&op, &w) == 0)
                        : (w.kind != SL_NULL && w.u.b);
        if (hit)
            return ev(n->kids[base + 2 * i + 1], cx, out);
    }
    if (n->escape > 0)
        return ev(n->kids[n->nkids - 1], cx, out);
    *out = sl_null();
    return 0;
}

static sl_cexpr *compile_case(cctx *c, const sl_expr *e)
{
    int pairs = e->list.n / 2;
    int base = e->a ? 1 : 0;
    bool has_else = e->b != NULL;
    sl_cexpr *n = mk(c, eval_case, NULL, e->span, base + 2 * pairs + (has_else ? 1 : 0));
    n->idx = base;
    n->n = pairs;
    n->escape = has_else;
    if (pairs == 0) {
        sl_error_set(c->err, SL_ERR_SYNTAX, e->span, "CASE needs at least one WHEN");
        return NULL;
    }
    if (base && !(n->kids[0] = compile(c, e->a)))
        return NULL;
    for (int i = 0; i < 2 * pairs; i++)
        if (!(n->kids[base + i] = compile(c, e->list.items[i])))
            return NULL;
    if (has_else && !(n->kids[n->nkids - 1] = compile(c, e->b)))
        return NULL;
    if (base) {
        sl_cexpr **ops = sl_arena_alloc(c->a, sizeof(sl_cexpr *) * (size_t)(pairs + 1));
        ops[0] = n->kids[0];
        for (int i = 0; i < pairs; i++)
            ops[1 + i] = n->kids[base + 2 * i];
        if (!(n->cmp = comparable(c, ops, pairs + 1, false, e->span, "CASE")))
            return NULL;
        n->kids[0] = ops[0];
        for (int i = 0; i < pairs; i++)
            n->kids[base + 2 * i] = ops[1 + i];
    } else {
        for (int i = 0; i < pairs; i++) {
            sl_cexpr *w = n->kids[2 * i];
            if (!is_bool_or_null(w->type)) {
                sl_error_set(c->err, SL_ERR_ANALYSIS, w->span,
                             "WHEN must be a BOOLEAN condition, not %s", tname(c, w->type));
                return NULL;
            }
        }
    }
    /* the result type is the common type of every THEN and the ELSE */
    const sl_type *t = &SL_TYPE_NULL;
    for (int i = 0; i <= pairs; i++) {
        sl_cexpr *r = i < pairs ? n->kids[base + 2 * i + 1] : has_else ? n->kids[n->nkids - 1]
                                                                      : NULL;
        if (!r)
            continue;
        const sl_type *u = sl_type_common(c->a, t, r->type);
        if (!u) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, r->span,
                         "CASE results have incompatible types %s and %s", tname(c, t),
                         tname(c, r->type));
            return NULL;
        }
        t = u;
    }
    n->type = t;
    for (int i = 0; i < pairs; i++)
        n->kids[base + 2 * i + 1] = wrap_cast(c, n->kids[base + 2 * i + 1], t, e->span);
    if (has_else)
        n->kids[n->nkids - 1] = wrap_cast(c, n->kids[n->nkids - 1], t, e->span);
    return fold(c, n);
}

/* ---- subscripts, dereference, constructors ---- */

static int eval_array_index(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(arr, ix)
    int64_t i = ix.kind == SL_INT ? ix.u.i32 : ix.u.i64;
    int64_t len = arr.u.arr.n;
    if (i > 0 && i <= len)
        *out = arr.u.arr.items[i - 1];
    else if (i < 0 && i >= -len)
        *out = arr.u.arr.items[len + i];
    else
        *out = sl_null();
    return 0;
}

static int eval_map_get(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    BINARY_OPERANDS(m, k)
    for (uint32_t i = m.u.map.n; i-- > 0;)
        if (sl_value_equal(&m.u.map.keys[i], &k)) {
            *out = m.u.map.vals[i];
            return 0;
        }
    *out = sl_null();
    return 0;
}

static sl_cexpr *compile_subscript(cctx *c, const sl_expr *e)
{
    sl_cexpr *base = compile(c, e->a);
    if (!base)
        return NULL;
    sl_cexpr *ix = compile(c, e->b);
    if (!ix)
        return NULL;
    const sl_type *bt = base->type;
    if (bt->kind == SL_ARRAY) {
        if (ix->type->kind != SL_INT && ix->type->kind != SL_BIGINT &&
            ix->type->kind != SL_NULL) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->b->span,
                         "an array index must be an INTEGER, not %s", tname(c, ix->type));
            return NULL;
        }
        return binary_node(c, eval_array_index, bt->elem, e, base,
                           wrap_cast(c, ix, ix->type->kind == SL_NULL ? &SL_TYPE_INT : ix->type,
                                     e->span));
    }
    if (bt->kind == SL_MAP) {
        if (!sl_type_widens_to(ix->type, bt->key)) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, e->b->span,
                         "a key of %s cannot be looked up with %s", tname(c, bt),
                         tname(c, ix->type));
            return NULL;
        }
        return binary_node(c, eval_map_get, bt->elem, e, base, wrap_cast(c, ix, bt->key, e->span));
    }
    if (bt->kind == SL_NULL)
        return mk_const(c, &SL_TYPE_NULL, sl_null(), e->span);
    sl_error_set(c->err, SL_ERR_ANALYSIS, e->a->span,
                 "only an ARRAY or a MAP can be subscripted, not %s", tname(c, bt));
    return NULL;
}

static int eval_deref(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value s;
    if (ev(n->kids[0], cx, &s))
        return -1;
    if (s.kind == SL_NULL || (uint32_t)n->idx >= s.u.st.n) {
        *out = sl_null();
        return 0;
    }
    *out = s.u.st.fields[n->idx];
    return 0;
}

static sl_cexpr *compile_deref(cctx *c, const sl_expr *e)
{
    sl_cexpr *s = compile(c, e->a);
    if (!s)
        return NULL;
    const char *name = e->name.name ? e->name.name : "";
    if (s->type->kind != SL_STRUCT) {
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                     "'->%s' needs a STRUCT, not %s", name, tname(c, s->type));
        return NULL;
    }
    for (int i = 0; i < s->type->nfields; i++)
        if (strcmp(s->type->fields[i].name, name) == 0) {
            sl_cexpr *n = mk(c, eval_deref, s->type->fields[i].type, e->span, 1);
            n->kids[0] = s;
            n->idx = i;
            return fold(c, n);
        }
    sl_error_set(c->err, SL_ERR_ANALYSIS, e->name.span.off != SL_NOPOS ? e->name.span : e->span,
                 "%s has no field '%s'", tname(c, s->type), name);
    return NULL;
}

static int eval_array_ctor(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value arr = sl_array_new(cx->arena, (uint32_t)n->nkids);
    for (int i = 0; i < n->nkids; i++)
        if (ev(n->kids[i], cx, &arr.u.arr.items[i]))
            return -1;
    *out = arr;
    return 0;
}

/* Common type of compiled items, or NULL with err set; `what` names the construct. */
static const sl_type *common_of(cctx *c, sl_cexpr **items, int step, int n, const char *what)
{
    const sl_type *t = &SL_TYPE_NULL;
    for (int i = 0; i < n; i += step) {
        const sl_type *u = sl_type_common(c->a, t, items[i]->type);
        if (!u) {
            sl_error_set(c->err, SL_ERR_ANALYSIS, items[i]->span,
                         "%s items have incompatible types %s and %s", what, tname(c, t),
                         tname(c, items[i]->type));
            return NULL;
        }
        t = u;
    }
    return t;
}

static sl_cexpr *compile_array(cctx *c, const sl_expr *e)
{
    sl_cexpr *n = mk(c, eval_array_ctor, NULL, e->span, e->list.n);
    for (int i = 0; i < e->list.n; i++)
        if (!(n->kids[i] = compile(c, e->list.items[i])))
            return NULL;
    const sl_type *t = common_of(c, n->kids, 1, n->nkids, "ARRAY");
    if (!t)
        return NULL;
    for (int i = 0; i < n->nkids; i++)
        n->kids[i] = wrap_cast(c, n->kids[i], t, n->kids[i]->span);
    n->type = sl_type_array(c->a, t);
    return fold(c, n);
}

static int eval_map_ctor(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value m = sl_map_new(cx->arena, (uint32_t)(n->nkids / 2));
    uint32_t cnt = 0;
    for (int i = 0; i + 1 < n->nkids; i += 2) {
        sl_value k, v;
        if (ev(n->kids[i], cx, &k) || ev(n->kids[i + 1], cx, &v))
            return -1;
        uint32_t j = 0;
        while (j < cnt && !sl_value_equal(&m.u.map.keys[j], &k))
            j++;
        m.u.map.keys[j] = k;    /* a repeated key keeps its place, takes the last value */
        m.u.map.vals[j] = v;
        if (j == cnt)
            cnt++;
    }
    m.u.map.n = cnt;
    *out = m;
    return 0;
}

static sl_cexpr *compile_map(cctx *c, const sl_expr *e)
{
    if (e->list.n % 2) {
        sl_error_set(c->err, SL_ERR_SYNTAX, e->span, "MAP needs key := value pairs");
        return NULL;
    }
    sl_cexpr *n = mk(c, eval_map_ctor, NULL, e->span, e->list.n);
    for (int i = 0; i < e->list.n; i++)
        if (!(n->kids[i] = compile(c, e->list.items[i])))
            return NULL;
    const sl_type *kt = common_of(c, n->kids, 2, n->nkids, "MAP key");
    if (!kt)
        return NULL;
    const sl_type *vt = n->nkids > 1 ? common_of(c, n->kids + 1, 2, n->nkids - 1, "MAP value")
                                     : &SL_TYPE_NULL;
    if (!vt)
        return NULL;
    if (kt->kind == SL_NULL)
        kt = &SL_TYPE_STRING;
    if (kt->kind != SL_STRING) {
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span, "MAP keys must be VARCHAR, not %s",
                     tname(c, kt));
        return NULL;
    }
    for (int i = 0; i < n->nkids; i++)
        n->kids[i] = wrap_cast(c, n->kids[i], i % 2 ? vt : kt, n->kids[i]->span);
    n->type = sl_type_map(c->a, kt, vt);
    return fold(c, n);
}

static int eval_struct_ctor(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value s = sl_struct_new(cx->arena, (uint32_t)n->nkids);
    for (int i = 0; i < n->nkids; i++)
        if (ev(n->kids[i], cx, &s.u.st.fields[i]))
            return -1;
    *out = s;
    return 0;
}

static sl_cexpr *compile_struct(cctx *c, const sl_expr *e)
{
    if (e->names.n != e->list.n) {
        sl_error_set(c->err, SL_ERR_SYNTAX, e->span, "STRUCT needs name := value pairs");
        return NULL;
    }
    sl_cexpr *n = mk(c, eval_struct_ctor, NULL, e->span, e->list.n);
    sl_field *f = sl_arena_alloc(c->a, sizeof *f * (size_t)(e->list.n ? e->list.n : 1));
    for (int i = 0; i < e->list.n; i++) {
        const char *name = e->names.items[i].name ? e->names.items[i].name : "";
        for (int j = 0; j < i; j++)
            if (strcmp(f[j].name, name) == 0) {
                sl_error_set(c->err, SL_ERR_ANALYSIS, e->names.items[i].span,
                             "duplicate STRUCT field '%s'", name);
                return NULL;
            }
        if (!(n->kids[i] = compile(c, e->list.items[i])))
            return NULL;
        f[i].name = sl_arena_strdup(c->a, name);
        f[i].type = n->kids[i]->type;
    }
    n->type = sl_type_struct(c->a, f, e->list.n);
    return fold(c, n);
}

/* ---- CAST ---- */

static sl_cexpr *compile_cast(cctx *c, const sl_expr *e)
{
    sl_cexpr *a = compile(c, e->a);
    if (!a)
        return NULL;
    const sl_type *to = sl_type_from_ast(e->type, c->scope, c->a, c->err);
    if (!to)
        return NULL;
    if (!sl_type_castable(a->type, to)) {
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span, "cannot cast %s to %s", tname(c, a->type),
                     tname(c, to));
        return NULL;
    }
    if (sl_type_equal(a->type, to))
        return a;
    if (a->type->kind == SL_NULL)
        return mk_const(c, to, sl_null(), e->span);
    sl_cexpr *n = mk(c, cast_generic, to, e->span, 1);
    n->kids[0] = a;
    n->from = a->type;
    sl_kind f = a->type->kind;
    if (f == SL_INT && to->kind == SL_BIGINT)
        n->fn = cast_i2l;
    else if (f == SL_INT && to->kind == SL_DOUBLE)
        n->fn = cast_i2d;
    else if (f == SL_BIGINT && to->kind == SL_DOUBLE)
        n->fn = cast_l2d;
    return fold(c, n);
}

/* ---- function calls and lambdas ---- */

static int eval_lambda(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    (void)cx;
    (void)n;
    *out = sl_null();   /* a lambda argument is passed as NULL; called via sl_fcall_lambda */
    return 0;
}

static int eval_call(const sl_cexpr *n, sl_evalctx *cx, sl_value *out)
{
    sl_value buf[8];
    sl_value *args = n->nkids <= 8 ? buf
                                   : sl_arena_alloc(cx->arena, sizeof(sl_value) * (size_t)n->nkids);
    bool null_on_null = n->ov->flags & SL_FNF_NULL_ON_NULL;
    for (int i = 0; i < n->nkids; i++) {
        if (ev(n->kids[i], cx, &args[i]))
            return -1;
        if (null_on_null && args[i].kind == SL_NULL && !n->kids[i]->is_lambda) {
            *out = sl_null();
            return 0;
        }
    }
    sl_fcall call = {
        .arena = cx->arena,
        .err = &cx->err,
        .ret = n->type,
        .argtypes = n->argtypes,
        .nargs = n->nkids,
        .state = n->state,
        .ev = cx,
        .argexprs = (struct sl_cexpr *const *)n->kids,
    };
    cx->err.span = SL_NOSPAN;
    if (n->ov->impl(&call, args, n->nkids, out)) {
        if (cx->err.code == SL_OK)
            cx->err.code = SL_ERR_EVAL;
        if (cx->err.span.off == SL_NOPOS)
            cx->err.span = n->span;
        return -1;
    }
    return 0;
}

int sl_fcall_lambda(sl_fcall *c, int argi, const sl_value *params, int nparams, sl_value *out)
{
    sl_evalctx *cx = c->ev;
    if (!cx || argi < 0 || argi >= c->nargs)
        return sl_fn_error(c, "internal error: no lambda argument %d", argi + 1);
    const sl_cexpr *lam = c->argexprs[argi];
    if (!lam || !lam->is_lambda || lam->n != nparams)
        return sl_fn_error(c, "internal error: argument %d is not a lambda of %d parameters",
                           argi + 1, nparams);
    if (!cx->slots || lam->idx + nparams > cx->nslots)
        return sl_fn_error(c, "internal error: the evaluation context has too few lambda slots");
    for (int i = 0; i < nparams; i++)
        cx->slots[lam->idx + i] = params[i];
    return ev(lam->kids[0], cx, out);
}

static sl_cexpr *compile_lambda(cctx *c, const sl_expr *e, sl_resolved *res, int argi)
{
    int np = e->names.n;
    if (c->nlp + np > MAX_LPARAMS) {
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span, "lambdas nested too deeply");
        return NULL;
    }
    const sl_type *pt[MAX_LPARAMS];
    if (sl_registry_lambda_params(res, c->a, argi, pt, np, e->span, c->err))
        return NULL;
    int base = c->nslots;
    c->nslots += np;
    int saved = c->nlp;
    for (int i = 0; i < np; i++) {
        c->lp[c->nlp].name = e->names.items[i].name ? e->names.items[i].name : "";
        c->lp[c->nlp].slot = base + i;
        c->lp[c->nlp].type = pt[i];
        c->nlp++;
    }
    sl_cexpr *body = compile(c, e->a);
    c->nlp = saved;
    if (!body)
        return NULL;
    if (sl_registry_bind_lambda(res, c->a, argi, body->type, e->span, c->err))
        return NULL;
    sl_cexpr *n = mk(c, eval_lambda, NULL, e->span, 1);
    n->kids[0] = body;
    n->is_lambda = true;
    n->foldable = false;
    n->idx = base;
    n->n = np;
    return n;
}

static sl_cexpr *compile_call(cctx *c, const sl_expr *e)
{
    const char *name = e->name.name ? e->name.name : "";
    const sl_function *f = sl_registry_find(c->reg, name);
    if (f && f->kind != SL_FN_SCALAR) {
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                     f->kind == SL_FN_AGGREGATE
                         ? "aggregate function '%s' cannot be used here"
                         : "table function '%s' can only be used in the SELECT list of a query",
                     f->name);
        return NULL;
    }
    if (e->star) {
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span, "'%s(*)' is not a scalar function call",
                     name);
        return NULL;
    }
    int na = e->list.n;
    sl_cexpr *n = mk(c, eval_call, NULL, e->span, na);
    const sl_type **at = sl_arena_zalloc(c->a, sizeof(sl_type *) * (size_t)(na ? na : 1));
    int *arity = sl_arena_zalloc(c->a, sizeof(int) * (size_t)(na ? na : 1));
    bool has_lambda = false;
    bool unit_arg = false;  /* TIMESTAMPADD(SECONDS, ...): the unit keyword is text */
    for (int o = 0; f && o < f->noverloads; o++)
        if (f->overloads[o].flags & SL_FNF_UNIT_ARG)
            unit_arg = true;
    for (int i = 0; i < na; i++) {
        const sl_expr *ae = e->list.items[i];
        sl_expr unit;
        if (i == 0 && unit_arg && ae->kind == SL_E_COLUMN && !ae->qualifier.name &&
            !ae->name.quoted) {
            unit = *ae;
            unit.kind = SL_E_STRING;
            unit.text = ae->name.name;
            unit.textlen = (uint32_t)strlen(ae->name.name);
            ae = &unit;
        }
        if (ae->kind == SL_E_LAMBDA) {
            arity[i] = ae->names.n;
            has_lambda = true;
            continue;
        }
        if (!(n->kids[i] = compile(c, ae)))
            return NULL;
        at[i] = n->kids[i]->type;
    }
    sl_resolved res;
    memset(&res, 0, sizeof res);
    if (sl_registry_resolve(c->reg, c->a, name, at, arity, na, &res, e->span, c->err))
        return NULL;
    for (int i = 0; i < na; i++)
        if (e->list.items[i]->kind == SL_E_LAMBDA &&
            !(n->kids[i] = compile_lambda(c, e->list.items[i], &res, i)))
            return NULL;
    if (sl_registry_finish(&res, c->a, at, na, e->span, c->err))
        return NULL;
    const sl_type **pt = sl_arena_zalloc(c->a, sizeof(sl_type *) * (size_t)(na ? na : 1));
    for (int i = 0; i < na; i++) {
        if (n->kids[i]->is_lambda)
            continue;
        const sl_type *p = res.params[i] ? res.params[i] : n->kids[i]->type;
        if (!sl_type_equal(p, n->kids[i]->type) && n->kids[i]->type->kind != SL_NULL &&
            !sl_type_castable(n->kids[i]->type, p)) {
            sl_error_set(c->err, SL_ERR_INTERNAL, n->kids[i]->span,
                         "cannot pass %s as %s to '%s'", tname(c, n->kids[i]->type), tname(c, p),
                         res.fn->name);
            return NULL;
        }
        n->kids[i] = wrap_cast(c, n->kids[i], p, n->kids[i]->span);
        pt[i] = p;
    }
    n->type = res.ret;
    n->ov = res.ov;
    n->argtypes = pt;
    if (!n->ov->impl) {
        sl_error_set(c->err, SL_ERR_UNSUPPORTED, e->span, "function '%s' cannot be evaluated here",
                     res.fn->name);
        return NULL;
    }
    if (n->ov->prepare) {
        const sl_value **consts = sl_arena_zalloc(c->a, sizeof(sl_value *) * (size_t)(na ? na : 1));
        for (int i = 0; i < na; i++)
            consts[i] = n->kids[i]->constant ? &n->kids[i]->cval : NULL;
        if (n->ov->prepare(c->a, pt, na, consts, &n->state, c->err)) {
            if (c->err->span.off == SL_NOPOS)
                c->err->span = e->span;
            if (c->err->code == SL_OK)
                c->err->code = SL_ERR_ANALYSIS;
            return NULL;
        }
    }
    if ((n->ov->flags & SL_FNF_NONDETERMINISTIC) || has_lambda)
        n->foldable = false;
    return fold(c, n);
}

/* ---- the dispatcher ---- */

static sl_cexpr *compile(cctx *c, const sl_expr *e)
{
    if (!e) {
        sl_error_set(c->err, SL_ERR_INTERNAL, SL_NOSPAN, "missing expression");
        return NULL;
    }
    if (++c->depth > 1000) {
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span, "expression nested too deeply");
        return NULL;
    }
    sl_cexpr *r = NULL;
    switch (e->kind) {
    case SL_E_NULL: case SL_E_BOOL: case SL_E_INT: case SL_E_DECIMAL: case SL_E_DOUBLE:
    case SL_E_STRING:
        r = compile_literal(c, e);
        break;
    case SL_E_COLUMN:
        r = compile_column(c, e);
        break;
    case SL_E_UNARY:
        r = compile_unary(c, e);
        break;
    case SL_E_BINARY:
        r = compile_binary(c, e);
        break;
    case SL_E_BETWEEN:
        r = compile_between(c, e);
        break;
    case SL_E_LIKE:
        r = compile_like(c, e);
        break;
    case SL_E_IN:
        r = compile_in(c, e);
        break;
    case SL_E_IS_NULL: {
        sl_cexpr *a = compile(c, e->a);
        if (!a)
            break;
        r = mk(c, eval_is_null, &SL_TYPE_BOOLEAN, e->span, 1);
        r->kids[0] = a;
        r->n = e->negated;
        r = fold(c, r);
        break;
    }
    case SL_E_IS_DISTINCT: {
        sl_cexpr *n = mk(c, eval_distinct, &SL_TYPE_BOOLEAN, e->span, 2);
        if (!(n->kids[0] = compile(c, e->a)) || !(n->kids[1] = compile(c, e->b)))
            break;
        if (!(n->cmp = comparable(c, n->kids, 2, false, e->span, "IS DISTINCT FROM")))
            break;
        n->n = e->negated;
        r = fold(c, n);
        break;
    }
    case SL_E_CASE:
        r = compile_case(c, e);
        break;
    case SL_E_CAST:
        r = compile_cast(c, e);
        break;
    case SL_E_CALL:
        r = compile_call(c, e);
        break;
    case SL_E_SUBSCRIPT:
        r = compile_subscript(c, e);
        break;
    case SL_E_DEREF:
        r = compile_deref(c, e);
        break;
    case SL_E_ARRAY:
        r = compile_array(c, e);
        break;
    case SL_E_MAP:
        r = compile_map(c, e);
        break;
    case SL_E_STRUCT:
        r = compile_struct(c, e);
        break;
    case SL_E_LAMBDA:
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span,
                     "a lambda can only be an argument of a function");
        break;
    case SL_E_VARIABLE:
        sl_error_set(c->err, SL_ERR_ANALYSIS, e->span, "variable '%s' is not defined",
                     e->name.name ? e->name.name : "");
        break;
    }
    c->depth--;
    return r;
}

/* ---- public API ---- */

sl_cexpr *sl_expr_compile(const sl_expr *e, const sl_scope *scope, sl_arena *a, sl_error *err)
{
    static const sl_scope empty = {0};
    cctx c;
    memset(&c, 0, sizeof c);
    c.scope = scope ? scope : &empty;
    c.reg = c.scope->registry ? c.scope->registry : sl_registry_builtin();
    c.a = a;
    c.err = err;
    sl_cexpr *r = compile(&c, e);
    if (!r)
        return NULL;
    if (r->is_lambda) {
        sl_error_set(err, SL_ERR_ANALYSIS, r->span, "a lambda can only be an argument of a function");
        return NULL;
    }
    r->nslots = c.nslots;
    return r;
}

int sl_cexpr_eval(const sl_cexpr *e, sl_evalctx *cx, sl_value *out)
{
    return ev(e, cx, out);
}

const sl_type *sl_cexpr_type(const sl_cexpr *e)
{
    return e->type;
}

bool sl_cexpr_is_constant(const sl_cexpr *e)
{
    return e->constant;
}

int sl_cexpr_slots(const sl_cexpr *e)
{
    return e->nslots;
}

void sl_cexpr_release(sl_cexpr *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nkids; i++)
        sl_cexpr_release(e->kids[i]);
    if (e->ov && e->ov->release && e->state) {
        e->ov->release(e->state);
        e->state = NULL;
    }
}

const sl_type *sl_type_from_ast(const sl_ast_type *t, const sl_scope *scope, sl_arena *a,
                                sl_error *err)
{
    if (!t) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "missing type");
        return NULL;
    }
    switch (t->kind) {
    case SL_NULL: {
        const char *name = t->name.name;
        const sl_type *r = NULL;
        if (name && scope && scope->lookup_type)
            r = scope->lookup_type(scope->lookup_ud, name);
        if (!r)
            sl_error_set(err, SL_ERR_ANALYSIS, t->span, "type '%s' is not defined",
                         name ? name : "NULL");
        return r;
    }
    case SL_DECIMAL:
        if (t->precision < 1 || t->precision > SL_DECIMAL_MAX_PRECISION) {
            sl_error_set(err, SL_ERR_ANALYSIS, t->span,
                         "DECIMAL precision must be between 1 and %d, not %d",
                         SL_DECIMAL_MAX_PRECISION, t->precision);
            return NULL;
        }
        if (t->scale < 0 || t->scale > t->precision) {
            sl_error_set(err, SL_ERR_ANALYSIS, t->span,
                         "DECIMAL scale must be between 0 and the precision (%d), not %d",
                         t->precision, t->scale);
            return NULL;
        }
        return sl_type_decimal(a, t->precision, t->scale);
    case SL_ARRAY: {
        const sl_type *e = sl_type_from_ast(t->elem, scope, a, err);
        return e ? sl_type_array(a, e) : NULL;
    }
    case SL_MAP: {
        const sl_type *k = sl_type_from_ast(t->key, scope, a, err);
        if (!k)
            return NULL;
        if (k->kind != SL_STRING) {
            sl_error_set(err, SL_ERR_ANALYSIS, t->key->span,
                         "MAP keys must be VARCHAR (STRING), not %s", sl_type_str(a, k));
            return NULL;
        }
        const sl_type *v = sl_type_from_ast(t->elem, scope, a, err);
        return v ? sl_type_map(a, k, v) : NULL;
    }
    case SL_STRUCT: {
        int n = t->fields.n;
        sl_field *f = sl_arena_alloc(a, sizeof *f * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++) {
            const sl_ast_field *af = t->fields.items[i];
            f[i].name = sl_arena_strdup(a, af->name.name ? af->name.name : "");
            for (int j = 0; j < i; j++)
                if (strcmp(f[j].name, f[i].name) == 0) {
                    sl_error_set(err, SL_ERR_ANALYSIS, af->name.span,
                                 "duplicate STRUCT field '%s'", f[i].name);
                    return NULL;
                }
            if (!(f[i].type = sl_type_from_ast(af->type, scope, a, err)))
                return NULL;
        }
        return sl_type_struct(a, f, n);
    }
    default: {
        const sl_type *p = sl_type_primitive(t->kind);
        if (!p)
            sl_error_set(err, SL_ERR_ANALYSIS, t->span, "unknown type");
        return p;
    }
    }
}

int sl_eval_text(const char *text, sl_buf *out, sl_error *err)
{
    sl_error_clear(err);
    sl_arena *a = sl_arena_new(0);
    sl_expr *e = NULL;
    int rc = -1;
    if (sl_parse_expr(text, strlen(text), a, &e, err) == 0) {
        sl_scope scope = {0};
        sl_cexpr *ce = sl_expr_compile(e, &scope, a, err);
        if (ce) {
            sl_evalctx cx;
            memset(&cx, 0, sizeof cx);
            cx.arena = a;
            cx.nslots = sl_cexpr_slots(ce);
            cx.slots = sl_arena_zalloc(a, sizeof(sl_value) * (size_t)(cx.nslots + 1));
            sl_value v;
            if (sl_cexpr_eval(ce, &cx, &v) == 0) {
                sl_value_render(out, &v, ce->type, SL_RENDER_JSON);
                rc = 0;
            } else {
                *err = cx.err;
            }
            sl_cexpr_release(ce);
        }
    }
    sl_arena_free(a);
    return rc;
}
