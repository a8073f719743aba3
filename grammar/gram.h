/*
 * gram.h: internals shared by the lexer (lexer.re), the grammar
 * (parser.y), the AST builders (ast.c) and the driver (parse.c).
 *
 * Does: define the token value handed to the lemon parser, the parse
 * context (statement arena, error, results), the raw lexer interface and
 * the builder functions that the grammar actions call.
 * Does not: form part of the public API; callers use grammar/parse.h.
 */
#ifndef SL_GRAM_H
#define SL_GRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ast.h"

/* ---- lexer ---- */

/* Token codes the lexer returns besides lemon's TK_* codes (parser.h). */
enum {
    SL_TK_EOF = 0,
    SL_TK_SPACE = 1000,         /* whitespace */
    SL_TK_COMMENT,              /* -- line or block comment */
    SL_TK_VAR,                  /* ${name} */
    SL_TK_ERR_CHAR,             /* a byte that starts no token */
    SL_TK_ERR_STRING,           /* unterminated '...' */
    SL_TK_ERR_QUOTED,           /* unterminated `...` or "..." */
    SL_TK_ERR_COMMENT,          /* unterminated block comment */
    SL_TK_ERR_VAR,              /* ${ without a name and } */
    SL_TK_ERR_NUMBER            /* 12abc: digits running into letters */
};

typedef struct sl_rawtok {
    int type;                   /* TK_* from parser.h or SL_TK_* above */
    uint32_t off, len;          /* bytes of the token in the buffer */
} sl_rawtok;

/* Scans one token of buf at pos. buf[len] must be '\0' (the scanner's
 * sentinel); NUL bytes before len are ordinary (invalid) characters. */
void sl_lex_scan(const char *buf, size_t len, size_t pos, sl_rawtok *t);
/* Keyword code of an unquoted word (case-insensitive) or TK_ID;
 * *nonreserved tells whether the word may also serve as an identifier. */
int sl_lex_keyword(const char *s, size_t n, bool *nonreserved);
/* Display name of a token code: "FROM", "','", "an identifier"... */
const char *sl_lex_name(int code);
/* All keywords, NULL-terminated (sl_keywords). */
const char *const *sl_lex_keywords(void);

/* ---- the value of a token inside the parser ---- */

typedef struct sl_tok {
    const char *z;              /* NUL-terminated text in the arena: identifiers normalised,
                                 * strings unescaped (may contain NUL: use n) */
    uint32_t n;
    sl_span span;               /* in the original input (a ${ref} for spliced tokens) */
    bool quoted;                /* a `quoted` identifier */
} sl_tok;

typedef struct sl_elist { sl_expr **items; int n; int cap; } sl_elist;
typedef struct sl_ilist { sl_ident *items; int n; int cap; } sl_ilist;

/* ---- parse context (lemon's %extra_argument) ---- */
typedef struct sl_pctx {
    sl_arena *a;
    sl_error *err;
    bool failed;                /* err is set; later errors are ignored */
    sl_stmt *stmt;              /* results, by entry point */
    sl_expr *expr;
    sl_ast_type *type;
    sl_span end;                /* empty span at the end of the statement (for <EOF> errors) */
} sl_pctx;

/* Records the first error of a parse. */
void sl_pctx_error(sl_pctx *ctx, sl_span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Called from %syntax_error: builds "mismatched input ... expecting ...". */
void sl_pctx_syntax_error(sl_pctx *ctx, int major, const sl_tok *tok, void *lemon);

/* ---- lemon (parser.y, %name sl_lemon) ---- */
void *sl_lemonAlloc(void *(*mallocProc)(size_t));
void sl_lemonFree(void *p, void (*freeProc)(void *));
void sl_lemon(void *p, int major, sl_tok minor, sl_pctx *ctx);
/* Whether the parser, in its current state, would shift token `major`
 * (after any reductions), without changing the parser. */
bool sl_lemon_accepts(void *p, int major);
int sl_lemon_ntokens(void);

/* ---- builders called from grammar actions (ast.c) ---- */
sl_ident sl_ast_ident(sl_tok t);
sl_span sl_ast_tspan(sl_tok a, sl_tok b);
bool sl_ast_int(sl_pctx *ctx, sl_tok t, int64_t *out);
int64_t sl_ast_count(sl_pctx *ctx, sl_tok t);  /* a non-negative integer or -1 with an error */

sl_elist *sl_ast_elist(sl_pctx *ctx, sl_elist *l, sl_expr *e);
sl_elist *sl_ast_elist_cat(sl_pctx *ctx, sl_elist *l, sl_elist *m);
sl_ilist *sl_ast_ilist(sl_pctx *ctx, sl_ilist *l, sl_ident id);

/* refuses a bare 9223372036854775808 where an expression ends */
void sl_ast_check_top(sl_pctx *ctx, const sl_expr *e);
sl_expr *sl_ast_literal(sl_pctx *ctx, sl_expr_kind kind, sl_tok t);
sl_expr *sl_ast_column(sl_pctx *ctx, const sl_ident *qual, sl_ident name);
sl_expr *sl_ast_paren(sl_pctx *ctx, sl_tok lp, sl_expr *e, sl_tok rp);
sl_expr *sl_ast_unary(sl_pctx *ctx, sl_op op, sl_tok optok, sl_expr *e);
sl_expr *sl_ast_binary(sl_pctx *ctx, sl_op op, sl_expr *a, sl_expr *b);
sl_expr *sl_ast_between(sl_pctx *ctx, sl_expr *a, bool neg, sl_expr *lo, sl_expr *hi);
sl_expr *sl_ast_like(sl_pctx *ctx, sl_expr *a, bool neg, sl_expr *pat, const sl_tok *esc);
sl_expr *sl_ast_in(sl_pctx *ctx, sl_expr *a, bool neg, sl_elist *l, sl_tok rp);
sl_expr *sl_ast_is_null(sl_pctx *ctx, sl_expr *a, bool neg, sl_tok end);
sl_expr *sl_ast_is_distinct(sl_pctx *ctx, sl_expr *a, bool neg, sl_expr *b);
sl_expr *sl_ast_case(sl_pctx *ctx, sl_tok start, sl_expr *operand, sl_elist *whens,
                     sl_expr *els, sl_tok end);
sl_expr *sl_ast_cast(sl_pctx *ctx, sl_tok start, sl_expr *e, sl_ast_type *t, sl_tok end);
sl_expr *sl_ast_call(sl_pctx *ctx, sl_ident name, sl_elist *args, bool star, sl_tok end);
sl_expr *sl_ast_subscript(sl_pctx *ctx, sl_expr *a, sl_expr *idx, sl_tok end);
sl_expr *sl_ast_deref(sl_pctx *ctx, sl_expr *a, sl_ident field);
sl_expr *sl_ast_array(sl_pctx *ctx, sl_tok start, sl_elist *l, sl_tok end);
sl_expr *sl_ast_map(sl_pctx *ctx, sl_tok start, sl_elist *kv, sl_tok end);
sl_expr *sl_ast_struct_field(sl_pctx *ctx, sl_expr *s, sl_ident name, sl_expr *v);
sl_expr *sl_ast_struct(sl_pctx *ctx, sl_tok start, sl_expr *s, sl_tok end);
sl_expr *sl_ast_lambda(sl_pctx *ctx, sl_span start, sl_elist *params, sl_expr *body);

sl_ast_type *sl_ast_type_named(sl_pctx *ctx, sl_ident name);
sl_ast_type *sl_ast_type_params(sl_pctx *ctx, sl_ident name, sl_tok p, const sl_tok *s, sl_tok end);
sl_ast_type *sl_ast_type_array(sl_pctx *ctx, sl_tok start, sl_ast_type *elem, sl_tok end);
sl_ast_type *sl_ast_type_map(sl_pctx *ctx, sl_tok start, sl_ast_type *k, sl_ast_type *v, sl_tok end);
sl_ast_type *sl_ast_type_field(sl_pctx *ctx, sl_ast_type *st, sl_ident name, sl_ast_type *t);
sl_ast_type *sl_ast_type_struct(sl_pctx *ctx, sl_tok start, sl_ast_type *st, sl_tok end);

sl_duration sl_ast_duration(sl_pctx *ctx, sl_tok n, sl_ident unit);
sl_duration sl_ast_noduration(void);
sl_duration *sl_ast_durp(sl_pctx *ctx, sl_duration d);
sl_tok *sl_ast_tokp(sl_pctx *ctx, sl_tok t);
sl_join *sl_ast_within(sl_pctx *ctx, sl_duration before, sl_duration after, sl_duration grace);

sl_select *sl_ast_select_items(sl_pctx *ctx, sl_select *q, sl_select_item *it);
sl_select_item *sl_ast_item(sl_pctx *ctx, sl_select_item_kind kind, sl_expr *e,
                            const sl_ident *alias, const sl_ident *qual, sl_span span);
sl_relation sl_ast_relation(sl_ident name, const sl_ident *alias);
sl_join *sl_ast_join(sl_pctx *ctx, sl_join_type type, sl_span start, sl_relation rel,
                     const sl_join *within, sl_expr *on);
sl_select *sl_ast_from(sl_pctx *ctx, sl_select *q, sl_relation rel);
sl_select *sl_ast_add_join(sl_pctx *ctx, sl_select *q, sl_join *j);
sl_window *sl_ast_window(sl_pctx *ctx, sl_window_kind kind, sl_span span, sl_duration size,
                         sl_duration advance, const sl_window *opts);
sl_window *sl_ast_window_opt(sl_pctx *ctx, sl_window *w, sl_duration *retention, sl_duration *grace);
sl_select *sl_ast_query(sl_pctx *ctx, sl_tok start, sl_select *q, sl_window *w, sl_expr *where,
                        sl_elist *group_by, sl_elist *partition_by, sl_expr *having,
                        sl_emit emit, const sl_tok *limit);

sl_stmt *sl_ast_stmt(sl_pctx *ctx, sl_stmt_kind kind);
sl_property *sl_ast_prop(sl_pctx *ctx, sl_tok key, sl_expr *value);
sl_stmt *sl_ast_props(sl_pctx *ctx, sl_stmt *s, sl_property *p);
sl_column_def *sl_ast_coldef(sl_pctx *ctx, sl_ident name, sl_ast_type *t, sl_col_constraint c,
                             const sl_tok *header, sl_span end);
sl_stmt *sl_ast_cols(sl_pctx *ctx, sl_stmt *s, sl_column_def *c);
/* CREATE ... head: flags packed by the grammar */
sl_stmt *sl_ast_create(sl_pctx *ctx, bool or_replace, bool source, bool table, bool if_not_exists,
                       sl_ident name);
sl_stmt *sl_ast_create_source(sl_pctx *ctx, sl_stmt *head, sl_stmt *cols, sl_stmt *with);
sl_stmt *sl_ast_create_as(sl_pctx *ctx, sl_stmt *head, sl_stmt *with, sl_select *q);
sl_stmt *sl_ast_insert(sl_pctx *ctx, sl_ident name, sl_stmt *with, sl_select *q, sl_ilist *cols,
                       sl_elist *values);
sl_stmt *sl_ast_named(sl_pctx *ctx, sl_stmt_kind kind, sl_ident name);
sl_stmt *sl_ast_print(sl_pctx *ctx, sl_tok topic, bool from_beginning, const sl_tok *interval,
                      const sl_tok *limit);
sl_stmt *sl_ast_strings(sl_pctx *ctx, sl_stmt_kind kind, const sl_tok *a, const sl_tok *b);
sl_stmt *sl_ast_assert_topic(sl_pctx *ctx, bool not_exists, sl_tok name, sl_stmt *with,
                             const sl_duration *timeout);
sl_stmt *sl_ast_assert_source(sl_pctx *ctx, bool not_exists, bool is_table, sl_ident name,
                              const sl_duration *timeout);
sl_stmt *sl_ast_assert_schema(sl_pctx *ctx, bool not_exists, const sl_tok *subject,
                              const sl_tok *id, const sl_duration *timeout);

#endif
