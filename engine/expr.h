/*
 * expr.h: analysis and compilation of expressions.
 *
 * An expression is checked once against a scope (the columns of the input,
 * whether pseudocolumns and window bounds are available, the functions and
 * type aliases), then compiled into a tree of nodes whose evaluators were
 * chosen at compile time: a column reference is an index, an operator is a
 * function pointer specialised for its operand types, a function call holds
 * its resolved overload. Evaluation does no name lookups, no string
 * compares of identifiers and no type dispatch that compilation could do.
 *
 * Constant subtrees are folded at compile time (except nondeterministic
 * functions). Errors at compile time carry the span of the offending text;
 * row errors (overflow, division by zero, a failed CAST) are returned by
 * sl_cexpr_eval and never abort.
 *
 * Compiled expressions live in the arena given to sl_expr_compile. Call
 * sl_cexpr_release when dropping one that may hold prepared state (regex).
 */
#ifndef SL_EXPR_H
#define SL_EXPR_H

#include "../grammar/ast.h"
#include "func.h"
#include "schema.h"

typedef struct sl_cexpr sl_cexpr;

/* Resolves a CREATE TYPE alias, or returns NULL. */
typedef const sl_type *(*sl_type_lookup)(void *ud, const char *name);

typedef struct sl_scope {
    const sl_schema *schema;        /* may be NULL: only constants */
    bool pseudocolumns;             /* ROWTIME, ROWPARTITION, ROWOFFSET */
    bool windowed;                  /* WINDOWSTART, WINDOWEND */
    bool allow_aggregates;          /* reserved for the aggregation planner */
    const sl_registry *registry;    /* NULL: sl_registry_builtin() */
    sl_type_lookup lookup_type;     /* may be NULL */
    void *lookup_ud;
} sl_scope;

typedef struct sl_evalctx {
    sl_arena *arena;                /* results go here (the batch arena) */
    const sl_row *row;              /* may be NULL for constant expressions */
    sl_value *slots;                /* lambda parameters, sized by the compiled tree */
    int nslots;
    sl_error err;                   /* the row error after a failed eval */
} sl_evalctx;

/* Type-checks and compiles e. Returns NULL with err set. */
sl_cexpr *sl_expr_compile(const sl_expr *e, const sl_scope *scope, sl_arena *a, sl_error *err);
/* Evaluates; returns 0, or -1 with cx->err set (a row error). */
int sl_cexpr_eval(const sl_cexpr *e, sl_evalctx *cx, sl_value *out);
const sl_type *sl_cexpr_type(const sl_cexpr *e);
bool sl_cexpr_is_constant(const sl_cexpr *e);
int sl_cexpr_slots(const sl_cexpr *e);      /* lambda slots the evaluator needs */
void sl_cexpr_release(sl_cexpr *e);         /* releases prepared state; memory stays in the arena */

/* Builds a sl_type from a written type, resolving aliases through the scope. */
const sl_type *sl_type_from_ast(const sl_ast_type *t, const sl_scope *scope, sl_arena *a,
                                sl_error *err);

/* CAST(v AS to): 0, or -1 with err set (SL_ERR_EVAL) when the value does not convert. */
int sl_value_cast(const sl_value *v, const sl_type *from, const sl_type *to, sl_arena *a,
                  sl_value *out, sl_error *err);

/*
 * Parses, compiles and evaluates one constant expression from text and
 * renders the result (JSON rendering) into out. For tests and for
 * `SELECT expr` without FROM. Returns 0, or -1 with err set (spans relative
 * to `text`).
 */
int sl_eval_text(const char *text, sl_buf *out, sl_error *err);

#endif
