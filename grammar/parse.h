/*
 * parse.h: from text to statements.
 *
 * A parser walks one input (a script, a -e argument, a REPL buffer) and
 * hands out one statement at a time, so that a DEFINE executed between two
 * statements affects the substitution of `${name}` in the ones after it.
 * Substitution works on tokens: the value of a variable is lexed on its
 * own and spliced in as tokens, and may not contain `;` or an unterminated
 * literal; inside a string literal the value becomes characters of that
 * literal. A value can never add a statement or break out of a literal.
 *
 * Nodes are allocated from the arena given to sl_parser_next; the caller
 * decides their lifetime (usually one arena per statement).
 */
#ifndef SL_PARSE_H
#define SL_PARSE_H

#include "ast.h"

typedef struct sl_parser sl_parser;

/* Returns the value of variable `name` (upper-cased key lookup is the
 * caller's business), or NULL when it is not defined. */
typedef const char *(*sl_var_lookup)(void *ud, const char *name);

/* The parser keeps a pointer to text: it must outlive the parser. */
sl_parser *sl_parser_new(const char *text, size_t len, sl_var_lookup lookup, void *ud);
void sl_parser_free(sl_parser *p);

/* 1: *out is the next statement; 0: end of input; -1: error in err (span
 * set). After an error the parser skips to the next ';' so a caller may go on. */
int sl_parser_next(sl_parser *p, sl_arena *a, sl_stmt **out, sl_error *err);

/* Parses exactly one expression (for tests and `-e` helpers); fails on trailing input. */
int sl_parse_expr(const char *text, size_t len, sl_arena *a, sl_expr **out, sl_error *err);
/* Parses exactly one type ("ARRAY<STRUCT<A INT>>"), used by the function registry. */
int sl_parse_type(const char *text, size_t len, sl_arena *a, sl_ast_type **out, sl_error *err);

/* Whether text holds at least one complete statement or only whitespace and
 * comments after the last ';' (the REPL asks this to know when to run). */
bool sl_text_complete(const char *text, size_t len);

/* The keywords of the language, for completion and SHOW. NULL-terminated. */
const char *const *sl_keywords(void);

#endif
