/*
 * func.h: the function registry.
 *
 * Every function sluice knows (scalar, aggregate, table) is one entry of a
 * static table in a family file (fn_string.c, fn_math.c, ...), registered
 * at start. An entry has a name, a category, a description and overloads;
 * an overload has a signature written in a small type language, an
 * implementation and flags. SHOW FUNCTIONS, DESCRIBE FUNCTION and the
 * analyzer all read the same registry.
 *
 * Signature language (parsed once at registration):
 *     "STRING, INT, INT -> STRING"
 *     "DECIMAL -> DECIMAL"                       any precision / scale
 *     "ARRAY<T>, T -> BOOLEAN"                   single capital letters (T, U, K, V, ...) are generics
 *     "STRING, STRING... -> STRING"              the last parameter repeats (0 or more times)
 *     "ARRAY<T>, LAMBDA(T) => U -> ARRAY<U>"     a lambda parameter
 *     "MAP<STRING, V> -> ARRAY<STRUCT<K STRING, V V>>"
 *     "-> STRING"                                no parameters
 * Parameter names for DESCRIBE FUNCTION may precede a type: "input STRING, len INT -> STRING".
 *
 * Resolution follows ksqlDB: an exact match wins, then a match with implicit
 * widening of numeric arguments (INT -> BIGINT -> DECIMAL -> DOUBLE), fewest
 * widenings first; a bare NULL argument matches any parameter type.
 */
#ifndef SL_FUNC_H
#define SL_FUNC_H

#include "arena.h"
#include "error.h"
#include "types.h"
#include "value.h"

typedef enum sl_fn_kind { SL_FN_SCALAR, SL_FN_AGGREGATE, SL_FN_TABLE } sl_fn_kind;

enum {
    SL_FNF_NULL_ON_NULL = 1u << 0,  /* any NULL argument gives NULL without calling impl */
    SL_FNF_NONDETERMINISTIC = 1u << 1,  /* UUID, RANDOM, UNIX_TIMESTAMP(): never constant-folded */
    SL_FNF_UNIT_ARG = 1u << 2,  /* argument 0 is a time-unit keyword, as in TIMESTAMPADD(SECONDS, 5, ts):
                                   the compiler passes an unqualified, unquoted identifier there
                                   as a STRING constant holding its name ('SECONDS') */
};

struct sl_cexpr;
struct sl_evalctx;

/* The call site, as an implementation sees it. */
typedef struct sl_fcall {
    sl_arena *arena;                    /* where results go (the batch arena) */
    sl_error *err;                      /* a row error: fill it and return -1 */
    const sl_type *ret;                 /* the resolved return type */
    const sl_type *const *argtypes;     /* resolved argument types (after widening) */
    int nargs;
    void *state;                        /* made by the overload's prepare, or NULL */
    struct sl_evalctx *ev;              /* for sl_fcall_lambda */
    struct sl_cexpr *const *argexprs;   /* the compiled arguments */
} sl_fcall;

/*
 * Evaluates the call. args are already evaluated and widened to the
 * parameter types (lambda arguments are NULL values: call them through
 * sl_fcall_lambda). Writes *out (allocating from c->arena) and returns 0,
 * or fills c->err (code SL_ERR_EVAL) and returns -1: a row error.
 */
typedef int (*sl_fn_impl)(sl_fcall *c, const sl_value *args, int nargs, sl_value *out);

/* At compile time: `consts[i]` is the value of argument i when it is a
 * constant, else NULL. May build per-call-site state (a compiled regex, a
 * parsed date pattern) into *state, allocated from `a` (the statement arena)
 * or released by `release`. Returns -1 with err set (e.g. a bad pattern). */
typedef int (*sl_fn_prepare)(sl_arena *a, const sl_type *const *argtypes, int nargs,
                             const sl_value *const *consts, void **state, sl_error *err);
typedef void (*sl_fn_release)(void *state);

/* Overrides the signature's return type when it depends on arguments
 * (ROUND(DECIMAL(p,s), n) and the like). Returns NULL with err set to refuse. */
typedef const sl_type *(*sl_fn_rettype)(sl_arena *a, const sl_type *const *argtypes, int nargs,
                                        sl_error *err);

typedef struct sl_overload {
    const char *sig;            /* see the signature language above */
    sl_fn_impl impl;            /* NULL for aggregate / table functions run elsewhere */
    unsigned flags;             /* SL_FNF_* */
    sl_fn_prepare prepare;      /* optional */
    sl_fn_release release;      /* optional */
    sl_fn_rettype rettype;      /* optional */
    const char *doc;            /* optional, one line for DESCRIBE FUNCTION */
} sl_overload;

typedef struct sl_function {
    const char *name;           /* upper case */
    sl_fn_kind kind;
    const char *category;       /* "STRING", "NUMERIC", "DATE / TIME", "JSON", "ARRAY", "MAP",
                                   "URL", "NULL", "LAMBDA", "CONDITIONAL", "OTHER", "AGGREGATE", "TABLE" */
    const char *description;
    const sl_overload *overloads;
    int noverloads;
} sl_function;

typedef struct sl_registry sl_registry;

/* The process-wide registry with every built-in function; built on first use, never freed. */
const sl_registry *sl_registry_builtin(void);
sl_registry *sl_registry_new(void);
void sl_registry_free(sl_registry *r);
/* Adds a function; the table must outlive the registry (static). Aborts with a
 * message on a malformed signature: that is a programming error. */
void sl_registry_add(sl_registry *r, const sl_function *f);

const sl_function *sl_registry_find(const sl_registry *r, const char *name); /* case-insensitive */
int sl_registry_count(const sl_registry *r);
const sl_function *sl_registry_at(const sl_registry *r, int i);  /* sorted by name */

/* The resolved call: which overload, argument types to widen to, return type. */
typedef struct sl_resolved {
    const sl_function *fn;
    const sl_overload *ov;
    int ovindex;
    const sl_type **params;     /* nargs entries, in the arena; NULL entry for lambda args */
    const sl_type *ret;         /* set by sl_registry_finish */
    void *priv;                 /* the registry's resolution state (generic bindings) */
} sl_resolved;

/*
 * Picks the overload for `argtypes` (NULL entry for a lambda argument, with
 * its arity in lambda_arity[i]). For lambda parameters, call
 * sl_registry_lambda_params to learn the types of its parameters, compile
 * the body, then sl_registry_bind_lambda with the body's type before asking
 * for the return type with sl_registry_finish.
 */
int sl_registry_resolve(const sl_registry *r, sl_arena *a, const char *name,
                        const sl_type *const *argtypes, const int *lambda_arity, int nargs,
                        sl_resolved *out, sl_span span, sl_error *err);
/* Types of lambda argument i's parameters (nparams of them), from the generics bound so far. */
int sl_registry_lambda_params(sl_resolved *res, sl_arena *a, int i, const sl_type **params,
                              int nparams, sl_span span, sl_error *err);
/* Binds the lambda body's result type (e.g. U in LAMBDA(T) => U). */
int sl_registry_bind_lambda(sl_resolved *res, sl_arena *a, int i, const sl_type *body,
                            sl_span span, sl_error *err);
/* Computes res->ret once all generics are bound (calls the overload's rettype hook). */
int sl_registry_finish(sl_resolved *res, sl_arena *a, const sl_type *const *argtypes, int nargs,
                       sl_span span, sl_error *err);

/* Human-readable signature of an overload: "SUBSTRING(str VARCHAR, pos INTEGER) => VARCHAR". */
void sl_overload_format(sl_buf *out, const sl_function *f, const sl_overload *ov);

/* Calls lambda argument `argi` of the current call with `params`. */
int sl_fcall_lambda(sl_fcall *c, int argi, const sl_value *params, int nparams, sl_value *out);

/* Family registration, one per fn_*.c file. */
void sl_fn_register_string(sl_registry *r);
void sl_fn_register_regex(sl_registry *r);
void sl_fn_register_math(sl_registry *r);
void sl_fn_register_null(sl_registry *r);
void sl_fn_register_time(sl_registry *r);
void sl_fn_register_json(sl_registry *r);
void sl_fn_register_collection(sl_registry *r);
void sl_fn_register_lambda(sl_registry *r);
void sl_fn_register_url(sl_registry *r);
void sl_fn_register_aggregate(sl_registry *r);
void sl_fn_register_table(sl_registry *r);
void sl_fn_register_misc(sl_registry *r);

/* Helpers for implementations. */
int sl_fn_error(sl_fcall *c, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* returns -1 */

#endif
