/*
 * parser.y: the grammar of the sluice language (ksqlDB's statements),
 * turned into C by lemon at build time.
 *
 * Does: recognise statements, expressions and types and build the AST
 * through one-line calls into the builders of ast.c (grammar/gram.h).
 * Three entry points, chosen by a synthetic first token the driver feeds:
 * START_STMT (one statement), START_EXPR (one expression), START_TYPE.
 * Does not: lex, substitute variables, split statements at ';', or choose
 * between a non-reserved keyword and an identifier (parse.c does that,
 * asking sl_lemon_accepts); everything allocated lives in the statement
 * arena, so no %destructor is needed.
 */

%name sl_lemon
%token_prefix TK_
%token_type {sl_tok}
%extra_argument {sl_pctx *ctx}
%stack_size 4000
%start_symbol input

%include {
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "grammar/gram.h"
#define YYNOERRORRECOVERY 1
#define YYMALLOCARGTYPE size_t
}

%syntax_error { sl_pctx_syntax_error(ctx, yymajor, &yyminor, yypParser); }
%stack_overflow { sl_pctx_error(ctx, ctx->end, "statement is nested too deeply"); }
%parse_failure { sl_pctx_error(ctx, ctx->end, "syntax error"); }

/* tokens the lexer produces that the grammar never shifts */
%token SEMI.

%left OR.
%left AND.
%right NOT.
%left CONCAT PLUS MINUS.
%left STAR SLASH PERCENT.
%right UNARY.

/* ---------------- entry points ---------------- */

input ::= START_STMT statement(S).          { ctx->stmt = S; }
input ::= START_EXPR expr(E).               { sl_ast_check_top(ctx, E); ctx->expr = E; }
input ::= START_TYPE type(T).               { ctx->type = T; }

/* ---------------- statements ---------------- */

%type statement {sl_stmt *}

statement(S) ::= query(Q).                  { S = sl_ast_stmt(ctx, SL_S_SELECT); S->query = Q; }

/* SHOW | LIST ... */
statement(S) ::= showkw show_what(W) ext_opt(E).    { S = sl_ast_stmt(ctx, SL_S_SHOW); S->show = W; S->extended = E; }
showkw ::= SHOW.
showkw ::= LIST.
%type show_what {sl_show_what}
show_what(W) ::= STREAMS.                   { W = SL_SHOW_STREAMS; }
show_what(W) ::= TABLES.                    { W = SL_SHOW_TABLES; }
show_what(W) ::= QUERIES.                   { W = SL_SHOW_QUERIES; }
show_what(W) ::= TOPICS.                    { W = SL_SHOW_TOPICS; }
show_what(W) ::= ALL TOPICS.                { W = SL_SHOW_ALL_TOPICS; }
show_what(W) ::= PROPERTIES.                { W = SL_SHOW_PROPERTIES; }
show_what(W) ::= FUNCTIONS.                 { W = SL_SHOW_FUNCTIONS; }
show_what(W) ::= TYPES.                     { W = SL_SHOW_TYPES; }
show_what(W) ::= VARIABLES.                 { W = SL_SHOW_VARIABLES; }
%type ext_opt {bool}
ext_opt(E) ::= .                            { E = false; }
ext_opt(E) ::= EXTENDED.                    { E = true; }

/* DESCRIBE */
statement(S) ::= DESCRIBE ident(N) ext_opt(E).      { S = sl_ast_named(ctx, SL_S_DESCRIBE, N); S->extended = E; }
statement(S) ::= DESCRIBE EXTENDED ident(N).        { S = sl_ast_named(ctx, SL_S_DESCRIBE, N); S->extended = true; }
statement(S) ::= DESCRIBE STREAMS ext_opt(E).       { S = sl_ast_stmt(ctx, SL_S_DESCRIBE); S->all = true; S->extended = E; }
statement(S) ::= DESCRIBE TABLES ext_opt(E).        { S = sl_ast_stmt(ctx, SL_S_DESCRIBE); S->all = true; S->is_table = true; S->extended = E; }
statement(S) ::= DESCRIBE FUNCTION ident(N).        { S = sl_ast_named(ctx, SL_S_DESCRIBE_FUNCTION, N); }

/* EXPLAIN */
statement(S) ::= EXPLAIN ident(N).                  { S = sl_ast_named(ctx, SL_S_EXPLAIN, N); }
statement(S) ::= EXPLAIN statement(X).              { S = sl_ast_stmt(ctx, SL_S_EXPLAIN); S->explained = X; }

/* TERMINATE / PAUSE / RESUME */
statement(S) ::= TERMINATE ident(N).                { S = sl_ast_named(ctx, SL_S_TERMINATE, N); }
statement(S) ::= TERMINATE ALL.                     { S = sl_ast_stmt(ctx, SL_S_TERMINATE); S->all = true; }
statement(S) ::= PAUSE ident(N).                    { S = sl_ast_named(ctx, SL_S_PAUSE, N); }
statement(S) ::= PAUSE ALL.                         { S = sl_ast_stmt(ctx, SL_S_PAUSE); S->all = true; }
statement(S) ::= RESUME ident(N).                   { S = sl_ast_named(ctx, SL_S_RESUME, N); }
statement(S) ::= RESUME ALL.                        { S = sl_ast_stmt(ctx, SL_S_RESUME); S->all = true; }

/* PRINT */
statement(S) ::= PRINT resource(T) from_beginning(B) interval_opt(I) limit_opt(L).  { S = sl_ast_print(ctx, T, B, I, L); }
%type resource {sl_tok}
resource(R) ::= ID(X).                      { R = X; }
resource(R) ::= QID(X).                     { R = X; }
resource(R) ::= STRING(X).                  { R = X; R.quoted = true; }
%type from_beginning {bool}
from_beginning(B) ::= .                     { B = false; }
from_beginning(B) ::= FROM BEGINNING.       { B = true; }
%type interval_opt {sl_tok *}
interval_opt(I) ::= .                       { I = NULL; }
interval_opt(I) ::= INTERVAL INTEGER(N).    { I = sl_ast_tokp(ctx, N); }

/* SET / UNSET / DEFINE / UNDEFINE */
statement(S) ::= SET STRING(K) EQ STRING(V).        { S = sl_ast_strings(ctx, SL_S_SET, &K, &V); }
statement(S) ::= UNSET STRING(K).                   { S = sl_ast_strings(ctx, SL_S_UNSET, &K, NULL); }
statement(S) ::= DEFINE ID(K) EQ STRING(V).         { S = sl_ast_strings(ctx, SL_S_DEFINE, &K, &V); }
statement(S) ::= UNDEFINE ID(K).                    { S = sl_ast_strings(ctx, SL_S_UNDEFINE, &K, NULL); }

/* RUN SCRIPT */
statement(S) ::= RUN SCRIPT STRING(P).              { S = sl_ast_strings(ctx, SL_S_RUN_SCRIPT, &P, NULL); }

/* CREATE TYPE / DROP TYPE */
statement(S) ::= CREATE TYPE if_not_exists(E) ident(N) AS type(T).  { S = sl_ast_named(ctx, SL_S_CREATE_TYPE, N); S->if_not_exists = E; S->type = T; }
statement(S) ::= DROP TYPE if_exists(E) ident(N).   { S = sl_ast_named(ctx, SL_S_DROP_TYPE, N); S->if_exists = E; }

/* DROP STREAM | TABLE */
statement(S) ::= DROP STREAM if_exists(E) ident(N) delete_topic(D). { S = sl_ast_named(ctx, SL_S_DROP_SOURCE, N); S->if_exists = E; S->delete_topic = D; }
statement(S) ::= DROP TABLE if_exists(E) ident(N) delete_topic(D).  { S = sl_ast_named(ctx, SL_S_DROP_SOURCE, N); S->is_table = true; S->if_exists = E; S->delete_topic = D; }
%type if_exists {bool}
if_exists(E) ::= .                          { E = false; }
if_exists(E) ::= IF EXISTS.                 { E = true; }
%type if_not_exists {bool}
if_not_exists(E) ::= .                      { E = false; }
if_not_exists(E) ::= IF NOT EXISTS.         { E = true; }
%type delete_topic {bool}
delete_topic(D) ::= .                       { D = false; }
delete_topic(D) ::= DELETE TOPIC.           { D = true; }

/* CREATE [OR REPLACE] [SOURCE] STREAM | TABLE ... */
%type create_head {sl_stmt *}
create_head(S) ::= CREATE or_replace(R) source_opt(O) STREAM if_not_exists(E) ident(N).    { S = sl_ast_create(ctx, R, O, false, E, N); }
create_head(S) ::= CREATE or_replace(R) source_opt(O) TABLE if_not_exists(E) ident(N).     { S = sl_ast_create(ctx, R, O, true, E, N); }
%type or_replace {bool}
or_replace(R) ::= .                         { R = false; }
or_replace(R) ::= OR REPLACE.               { R = true; }
%type source_opt {bool}
source_opt(O) ::= .                         { O = false; }
source_opt(O) ::= SOURCE.                   { O = true; }

statement(S) ::= create_head(H) LP column_defs(C) RP with_opt(W).  { S = sl_ast_create_source(ctx, H, C, W); }
statement(S) ::= create_head(H) with_opt(W).                        { S = sl_ast_create_source(ctx, H, NULL, W); }
statement(S) ::= create_head(H) with_opt(W) AS query(Q).           { S = sl_ast_create_as(ctx, H, W, Q); }

%type column_defs {sl_stmt *}
column_defs(S) ::= column_def(C).                           { S = sl_ast_cols(ctx, NULL, C); }
column_defs(S) ::= column_defs(L) COMMA column_def(C).      { S = sl_ast_cols(ctx, L, C); }
%type column_def {sl_column_def *}
column_def(C) ::= ident(N) type(T).                         { C = sl_ast_coldef(ctx, N, T, SL_COL_VALUE, NULL, T->span); }
column_def(C) ::= ident(N) type(T) KEY(K).                  { C = sl_ast_coldef(ctx, N, T, SL_COL_KEY, NULL, K.span); }
column_def(C) ::= ident(N) type(T) PRIMARY KEY(K).          { C = sl_ast_coldef(ctx, N, T, SL_COL_PRIMARY_KEY, NULL, K.span); }
column_def(C) ::= ident(N) type(T) HEADERS(K).              { C = sl_ast_coldef(ctx, N, T, SL_COL_HEADERS, NULL, K.span); }
column_def(C) ::= ident(N) type(T) HEADER LP STRING(H) RP(K).   { C = sl_ast_coldef(ctx, N, T, SL_COL_HEADER, &H, K.span); }

/* WITH (k = v, ...) */
%type with_opt {sl_stmt *}
with_opt(W) ::= .                           { W = NULL; }
with_opt(W) ::= WITH LP properties(P) RP.   { W = P; }
%type properties {sl_stmt *}
properties(S) ::= property(P).                      { S = sl_ast_props(ctx, NULL, P); }
properties(S) ::= properties(L) COMMA property(P).  { S = sl_ast_props(ctx, L, P); }
%type property {sl_property *}
property(P) ::= ID(K) EQ prop_value(V).     { P = sl_ast_prop(ctx, K, V); }
property(P) ::= QID(K) EQ prop_value(V).    { P = sl_ast_prop(ctx, K, V); }
property(P) ::= STRING(K) EQ prop_value(V). { K.quoted = true; P = sl_ast_prop(ctx, K, V); }
%type prop_value {sl_expr *}
prop_value(V) ::= STRING(X).                { V = sl_ast_literal(ctx, SL_E_STRING, X); }
prop_value(V) ::= number(X).                { V = X; }
prop_value(V) ::= MINUS(M) number(X).       { V = sl_ast_unary(ctx, SL_OP_NEG, M, X); }
prop_value(V) ::= TRUE(X).                  { V = sl_ast_literal(ctx, SL_E_BOOL, X); }
prop_value(V) ::= FALSE(X).                 { V = sl_ast_literal(ctx, SL_E_BOOL, X); }
prop_value(V) ::= NULL(X).                  { V = sl_ast_literal(ctx, SL_E_NULL, X); }
%type number {sl_expr *}
number(V) ::= INTEGER(X).                   { V = sl_ast_literal(ctx, SL_E_INT, X); }
number(V) ::= DECIMAL(X).                   { V = sl_ast_literal(ctx, SL_E_DECIMAL, X); }
number(V) ::= DOUBLE(X).                    { V = sl_ast_literal(ctx, SL_E_DOUBLE, X); }

/* INSERT */
statement(S) ::= INSERT INTO ident(N) with_opt(W) query(Q).                     { S = sl_ast_insert(ctx, N, W, Q, NULL, NULL); }
statement(S) ::= INSERT INTO ident(N) VALUES LP RP.                             { S = sl_ast_insert(ctx, N, NULL, NULL, NULL, NULL); }
statement(S) ::= INSERT INTO ident(N) VALUES LP expr_list(V) RP.                { S = sl_ast_insert(ctx, N, NULL, NULL, NULL, V); }
statement(S) ::= INSERT INTO ident(N) LP ident_list(C) RP VALUES LP expr_list(V) RP.    { S = sl_ast_insert(ctx, N, NULL, NULL, C, V); }
statement(S) ::= INSERT INTO ident(N) LP ident_list(C) RP VALUES LP RP.         { S = sl_ast_insert(ctx, N, NULL, NULL, C, NULL); }
%type ident_list {sl_ilist *}
ident_list(L) ::= ident(I).                         { L = sl_ast_ilist(ctx, NULL, I); }
ident_list(L) ::= ident_list(P) COMMA ident(I).     { L = sl_ast_ilist(ctx, P, I); }

/* ASSERT */
statement(S) ::= ASSERT not_exists(X) TOPIC resource(T) with_opt(W) timeout_opt(O).         { S = sl_ast_assert_topic(ctx, X, T, W, O); }
statement(S) ::= ASSERT not_exists(X) SCHEMA subject_opt(J) schema_id_opt(I) timeout_opt(O).   { S = sl_ast_assert_schema(ctx, X, J, I, O); }
statement(S) ::= ASSERT not_exists(X) STREAM ident(N) timeout_opt(O).      { S = sl_ast_assert_source(ctx, X, false, N, O); }
statement(S) ::= ASSERT not_exists(X) TABLE ident(N) timeout_opt(O).       { S = sl_ast_assert_source(ctx, X, true, N, O); }
%type not_exists {bool}
not_exists(X) ::= .                         { X = false; }
not_exists(X) ::= NOT EXISTS.               { X = true; }
not_exists(X) ::= EXISTS.                   { X = false; }
%type timeout_opt {sl_duration *}
timeout_opt(O) ::= .                        { O = NULL; }
timeout_opt(O) ::= TIMEOUT duration(D).     { O = sl_ast_durp(ctx, D); }
%type subject_opt {sl_tok *}
subject_opt(J) ::= .                        { J = NULL; }
subject_opt(J) ::= SUBJECT resource(R).     { J = sl_ast_tokp(ctx, R); }
%type schema_id_opt {sl_tok *}
schema_id_opt(I) ::= .                      { I = NULL; }
schema_id_opt(I) ::= KW_ID INTEGER(N).      { I = sl_ast_tokp(ctx, N); }

/* ---------------- queries ---------------- */

%type query {sl_select *}
query(Q) ::= SELECT(K) from_part(F) window_opt(W) where_opt(WH) group_by_opt(G) partition_by_opt(P) having_opt(H) emit_opt(E) limit_opt(L).
    { Q = sl_ast_query(ctx, K, F, W, WH, G, P, H, E, L); }

%type select_items {sl_select *}
select_items(Q) ::= select_item(I).                         { Q = sl_ast_select_items(ctx, NULL, I); }
select_items(Q) ::= select_items(L) COMMA select_item(I).   { Q = sl_ast_select_items(ctx, L, I); }
%type select_item {sl_select_item *}
select_item(I) ::= STAR(S).                         { I = sl_ast_item(ctx, SL_SEL_STAR, NULL, NULL, NULL, S.span); }
select_item(I) ::= ident(Q) DOT STAR(S).            { I = sl_ast_item(ctx, SL_SEL_QUALIFIED_STAR, NULL, NULL, &Q, sl_span_join(Q.span, S.span)); }
select_item(I) ::= expr(E).                         { I = sl_ast_item(ctx, SL_SEL_EXPR, E, NULL, NULL, E->span); }
select_item(I) ::= expr(E) AS ident(A).             { I = sl_ast_item(ctx, SL_SEL_EXPR, E, &A, NULL, sl_span_join(E->span, A.span)); }
select_item(I) ::= expr(E) ident(A).                { I = sl_ast_item(ctx, SL_SEL_EXPR, E, &A, NULL, sl_span_join(E->span, A.span)); }

%type from_part {sl_select *}
from_part(Q) ::= select_items(L).                    { Q = L; }   /* no FROM: constants only (from.name.name is NULL) */
from_part(Q) ::= select_items(L) FROM relation(R).  { Q = sl_ast_from(ctx, L, R); }
from_part(Q) ::= from_part(L) join(J).              { Q = sl_ast_add_join(ctx, L, J); }

%type relation {sl_relation}
relation(R) ::= ident(N).                   { R = sl_ast_relation(N, NULL); }
relation(R) ::= ident(N) ident(A).          { R = sl_ast_relation(N, &A); }
relation(R) ::= ident(N) AS ident(A).       { R = sl_ast_relation(N, &A); }

%type join {sl_join *}
join(J) ::= join_type(T) JOIN(K) relation(R) within_opt(W) ON expr(E).  { J = sl_ast_join(ctx, T, K.span, R, W, E); }
%type join_type {sl_join_type}
join_type(T) ::= .                          { T = SL_JOIN_INNER; }
join_type(T) ::= INNER.                     { T = SL_JOIN_INNER; }
join_type(T) ::= LEFT.                      { T = SL_JOIN_LEFT; }
join_type(T) ::= LEFT OUTER.                { T = SL_JOIN_LEFT; }
join_type(T) ::= RIGHT.                     { T = SL_JOIN_RIGHT; }
join_type(T) ::= RIGHT OUTER.               { T = SL_JOIN_RIGHT; }
join_type(T) ::= FULL.                      { T = SL_JOIN_FULL; }
join_type(T) ::= FULL OUTER.                { T = SL_JOIN_FULL; }
%type within_opt {sl_join *}
within_opt(W) ::= .                                                 { W = NULL; }
within_opt(W) ::= WITHIN duration(D) grace_opt(G).                  { W = sl_ast_within(ctx, D, D, G); }
within_opt(W) ::= WITHIN LP duration(B) COMMA duration(A) RP grace_opt(G).  { W = sl_ast_within(ctx, B, A, G); }
%type grace_opt {sl_duration}
grace_opt(G) ::= .                          { G = sl_ast_noduration(); }
grace_opt(G) ::= GRACE PERIOD duration(D).  { G = D; }

%type duration {sl_duration}
duration(D) ::= INTEGER(N) ident(U).        { D = sl_ast_duration(ctx, N, U); }

%type window_opt {sl_window *}
window_opt(W) ::= .                                                             { W = NULL; }
window_opt(W) ::= WINDOW(K) TUMBLING LP SIZE duration(S) window_opts(O) RP(E).  { W = sl_ast_window(ctx, SL_WIN_TUMBLING, sl_ast_tspan(K, E), S, sl_ast_noduration(), O); }
window_opt(W) ::= WINDOW(K) HOPPING LP SIZE duration(S) COMMA ADVANCE BY duration(A) window_opts(O) RP(E).  { W = sl_ast_window(ctx, SL_WIN_HOPPING, sl_ast_tspan(K, E), S, A, O); }
window_opt(W) ::= WINDOW(K) SESSION LP duration(S) window_opts(O) RP(E).        { W = sl_ast_window(ctx, SL_WIN_SESSION, sl_ast_tspan(K, E), S, sl_ast_noduration(), O); }
%type window_opts {sl_window *}
window_opts(O) ::= .                                            { O = NULL; }
window_opts(O) ::= window_opts(L) COMMA RETENTION duration(D).  { O = sl_ast_window_opt(ctx, L, &D, NULL); }
window_opts(O) ::= window_opts(L) COMMA GRACE PERIOD duration(D).   { O = sl_ast_window_opt(ctx, L, NULL, &D); }

%type where_opt {sl_expr *}
where_opt(W) ::= .                          { W = NULL; }
where_opt(W) ::= WHERE expr(E).             { W = E; }
%type having_opt {sl_expr *}
having_opt(H) ::= .                         { H = NULL; }
having_opt(H) ::= HAVING expr(E).           { H = E; }
%type group_by_opt {sl_elist *}
group_by_opt(G) ::= .                       { G = NULL; }
group_by_opt(G) ::= GROUP BY grouping(L).   { G = L; }
%type partition_by_opt {sl_elist *}
partition_by_opt(P) ::= .                           { P = NULL; }
partition_by_opt(P) ::= PARTITION BY grouping(L).   { P = L; }
%type grouping {sl_elist *}
grouping(L) ::= expr_list(X).                           { L = X; }
grouping(L) ::= LP RP.                                  { L = sl_ast_elist(ctx, NULL, NULL); }
grouping(L) ::= LP expr(E) COMMA expr_list(X) RP.       { L = sl_ast_elist_cat(ctx, sl_ast_elist(ctx, NULL, E), X); }
%type emit_opt {sl_emit}
emit_opt(E) ::= .                           { E = SL_EMIT_NONE; }
emit_opt(E) ::= EMIT CHANGES.               { E = SL_EMIT_CHANGES; }
emit_opt(E) ::= EMIT FINAL.                 { E = SL_EMIT_FINAL; }
%type limit_opt {sl_tok *}
limit_opt(L) ::= .                          { L = NULL; }
limit_opt(L) ::= LIMIT INTEGER(N).          { L = sl_ast_tokp(ctx, N); }

/* ---------------- expressions ---------------- */

%type expr {sl_expr *}
expr(E) ::= expr(A) OR expr(B).             { E = sl_ast_binary(ctx, SL_OP_OR, A, B); }
expr(E) ::= expr(A) AND expr(B).            { E = sl_ast_binary(ctx, SL_OP_AND, A, B); }
expr(E) ::= NOT(K) expr(A).                 { E = sl_ast_unary(ctx, SL_OP_NOT, K, A); }
expr(E) ::= predicate(A).                   { E = A; }

%type predicate {sl_expr *}
predicate(E) ::= vexpr(A).                                  { E = A; }
predicate(E) ::= vexpr(A) EQ vexpr(B).                      { E = sl_ast_binary(ctx, SL_OP_EQ, A, B); }
predicate(E) ::= vexpr(A) NE vexpr(B).                      { E = sl_ast_binary(ctx, SL_OP_NE, A, B); }
predicate(E) ::= vexpr(A) LT vexpr(B).                      { E = sl_ast_binary(ctx, SL_OP_LT, A, B); }
predicate(E) ::= vexpr(A) LE vexpr(B).                      { E = sl_ast_binary(ctx, SL_OP_LE, A, B); }
predicate(E) ::= vexpr(A) GT vexpr(B).                      { E = sl_ast_binary(ctx, SL_OP_GT, A, B); }
predicate(E) ::= vexpr(A) GE vexpr(B).                      { E = sl_ast_binary(ctx, SL_OP_GE, A, B); }
predicate(E) ::= vexpr(A) BETWEEN vexpr(B) AND vexpr(C).        { E = sl_ast_between(ctx, A, false, B, C); }
predicate(E) ::= vexpr(A) NOT BETWEEN vexpr(B) AND vexpr(C).    { E = sl_ast_between(ctx, A, true, B, C); }
predicate(E) ::= vexpr(A) IN LP expr_list(L) RP(R).             { E = sl_ast_in(ctx, A, false, L, R); }
predicate(E) ::= vexpr(A) NOT IN LP expr_list(L) RP(R).         { E = sl_ast_in(ctx, A, true, L, R); }
predicate(E) ::= vexpr(A) LIKE vexpr(B) escape_opt(X).          { E = sl_ast_like(ctx, A, false, B, X); }
predicate(E) ::= vexpr(A) NOT LIKE vexpr(B) escape_opt(X).      { E = sl_ast_like(ctx, A, true, B, X); }
predicate(E) ::= vexpr(A) IS NULL(K).                           { E = sl_ast_is_null(ctx, A, false, K); }
predicate(E) ::= vexpr(A) IS NOT NULL(K).                       { E = sl_ast_is_null(ctx, A, true, K); }
predicate(E) ::= vexpr(A) IS DISTINCT FROM vexpr(B).            { E = sl_ast_is_distinct(ctx, A, false, B); }
predicate(E) ::= vexpr(A) IS NOT DISTINCT FROM vexpr(B).        { E = sl_ast_is_distinct(ctx, A, true, B); }
%type escape_opt {sl_tok *}
escape_opt(X) ::= .                         { X = NULL; }
escape_opt(X) ::= ESCAPE STRING(S).         { X = sl_ast_tokp(ctx, S); }

%type vexpr {sl_expr *}
vexpr(E) ::= primary(A).                    { E = A; }
vexpr(E) ::= vexpr(A) CONCAT vexpr(B).      { E = sl_ast_binary(ctx, SL_OP_CONCAT, A, B); }
vexpr(E) ::= vexpr(A) PLUS vexpr(B).        { E = sl_ast_binary(ctx, SL_OP_ADD, A, B); }
vexpr(E) ::= vexpr(A) MINUS vexpr(B).       { E = sl_ast_binary(ctx, SL_OP_SUB, A, B); }
vexpr(E) ::= vexpr(A) STAR vexpr(B).        { E = sl_ast_binary(ctx, SL_OP_MUL, A, B); }
vexpr(E) ::= vexpr(A) SLASH vexpr(B).       { E = sl_ast_binary(ctx, SL_OP_DIV, A, B); }
vexpr(E) ::= vexpr(A) PERCENT vexpr(B).     { E = sl_ast_binary(ctx, SL_OP_MOD, A, B); }
vexpr(E) ::= MINUS(K) vexpr(A). [UNARY]     { E = sl_ast_unary(ctx, SL_OP_NEG, K, A); }
vexpr(E) ::= PLUS(K) vexpr(A). [UNARY]      { E = sl_ast_unary(ctx, SL_OP_PLUS, K, A); }

%type primary {sl_expr *}
primary(E) ::= number(X).                   { E = X; }
primary(E) ::= STRING(X).                   { E = sl_ast_literal(ctx, SL_E_STRING, X); }
primary(E) ::= TRUE(X).                     { E = sl_ast_literal(ctx, SL_E_BOOL, X); }
primary(E) ::= FALSE(X).                    { E = sl_ast_literal(ctx, SL_E_BOOL, X); }
primary(E) ::= NULL(X).                     { E = sl_ast_literal(ctx, SL_E_NULL, X); }
primary(E) ::= ident(N).                    { E = sl_ast_column(ctx, NULL, N); }
primary(E) ::= ident(Q) DOT ident(N).       { E = sl_ast_column(ctx, &Q, N); }
primary(E) ::= LP(L) expr(A) RP(R).         { E = sl_ast_paren(ctx, L, A, R); }
primary(E) ::= CASE(K) whens(W) else_opt(X) END(Z).             { E = sl_ast_case(ctx, K, NULL, W, X, Z); }
primary(E) ::= CASE(K) vexpr(O) whens(W) else_opt(X) END(Z).    { E = sl_ast_case(ctx, K, O, W, X, Z); }
primary(E) ::= CAST(K) LP expr(A) AS type(T) RP(Z).             { E = sl_ast_cast(ctx, K, A, T, Z); }
primary(E) ::= ident(N) LP RP(Z).           { E = sl_ast_call(ctx, N, NULL, false, Z); }
primary(E) ::= ident(N) LP STAR RP(Z).      { E = sl_ast_call(ctx, N, NULL, true, Z); }
primary(E) ::= ident(N) LP args(L) RP(Z).   { E = sl_ast_call(ctx, N, L, false, Z); }
primary(E) ::= primary(A) LBRACKET vexpr(I) RBRACKET(Z).        { E = sl_ast_subscript(ctx, A, I, Z); }
primary(E) ::= primary(A) ARROW ident(F).   { E = sl_ast_deref(ctx, A, F); }
primary(E) ::= ARRAY(K) LBRACKET RBRACKET(Z).               { E = sl_ast_array(ctx, K, NULL, Z); }
primary(E) ::= ARRAY(K) LBRACKET expr_list(L) RBRACKET(Z).  { E = sl_ast_array(ctx, K, L, Z); }
primary(E) ::= MAP(K) LP RP(Z).             { E = sl_ast_map(ctx, K, NULL, Z); }
primary(E) ::= MAP(K) LP map_items(L) RP(Z).    { E = sl_ast_map(ctx, K, L, Z); }
primary(E) ::= STRUCT(K) LP RP(Z).          { E = sl_ast_struct(ctx, K, NULL, Z); }
primary(E) ::= STRUCT(K) LP struct_items(S) RP(Z).  { E = sl_ast_struct(ctx, K, S, Z); }

%type whens {sl_elist *}
whens(L) ::= WHEN expr(C) THEN expr(R).             { L = sl_ast_elist(ctx, sl_ast_elist(ctx, NULL, C), R); }
whens(L) ::= whens(P) WHEN expr(C) THEN expr(R).    { L = sl_ast_elist(ctx, sl_ast_elist(ctx, P, C), R); }
%type else_opt {sl_expr *}
else_opt(X) ::= .                           { X = NULL; }
else_opt(X) ::= ELSE expr(E).               { X = E; }

%type args {sl_elist *}
args(L) ::= arg(A).                         { L = sl_ast_elist(ctx, NULL, A); }
args(L) ::= args(P) COMMA arg(A).           { L = sl_ast_elist(ctx, P, A); }
%type arg {sl_expr *}
arg(E) ::= expr(A).                         { E = A; }
arg(E) ::= expr(P) LAMBDA expr(B).          { E = sl_ast_lambda(ctx, P->span, sl_ast_elist(ctx, NULL, P), B); }
arg(E) ::= LP(L) expr(P) COMMA expr_list(Q) RP LAMBDA expr(B).  { E = sl_ast_lambda(ctx, L.span, sl_ast_elist_cat(ctx, sl_ast_elist(ctx, NULL, P), Q), B); }

%type map_items {sl_elist *}
map_items(L) ::= expr(K) ASSIGN expr(V).                    { L = sl_ast_elist(ctx, sl_ast_elist(ctx, NULL, K), V); }
map_items(L) ::= map_items(P) COMMA expr(K) ASSIGN expr(V). { L = sl_ast_elist(ctx, sl_ast_elist(ctx, P, K), V); }
%type struct_items {sl_expr *}
struct_items(S) ::= ident(N) ASSIGN expr(V).                        { S = sl_ast_struct_field(ctx, NULL, N, V); }
struct_items(S) ::= struct_items(P) COMMA ident(N) ASSIGN expr(V).  { S = sl_ast_struct_field(ctx, P, N, V); }

%type expr_list {sl_elist *}
expr_list(L) ::= expr(E).                           { L = sl_ast_elist(ctx, NULL, E); }
expr_list(L) ::= expr_list(P) COMMA expr(E).        { L = sl_ast_elist(ctx, P, E); }

%type ident {sl_ident}
ident(I) ::= ID(X).                         { I = sl_ast_ident(X); }
ident(I) ::= QID(X).                        { I = sl_ast_ident(X); }

/* ---------------- types ---------------- */

%type type {sl_ast_type *}
type(T) ::= ident(N).                                       { T = sl_ast_type_named(ctx, N); }
type(T) ::= ident(N) LP INTEGER(P) RP(Z).                   { T = sl_ast_type_params(ctx, N, P, NULL, Z); }
type(T) ::= ident(N) LP INTEGER(P) COMMA INTEGER(S) RP(Z).  { T = sl_ast_type_params(ctx, N, P, &S, Z); }
type(T) ::= ARRAY(K) LT type(E) GT(Z).                      { T = sl_ast_type_array(ctx, K, E, Z); }
type(T) ::= MAP(K) LT type(A) COMMA type(B) GT(Z).          { T = sl_ast_type_map(ctx, K, A, B, Z); }
type(T) ::= STRUCT(K) LT GT(Z).                             { T = sl_ast_type_struct(ctx, K, NULL, Z); }
type(T) ::= STRUCT(K) NE(Z).                                { T = sl_ast_type_struct(ctx, K, NULL, Z); }
type(T) ::= STRUCT(K) LT type_fields(F) GT(Z).              { T = sl_ast_type_struct(ctx, K, F, Z); }
%type type_fields {sl_ast_type *}
type_fields(F) ::= ident(N) type(T).                        { F = sl_ast_type_field(ctx, NULL, N, T); }
type_fields(F) ::= type_fields(P) COMMA ident(N) type(T).   { F = sl_ast_type_field(ctx, P, N, T); }

%code {
/* Whether the parser would shift `major` now: replays lemon's reductions
 * on a copy of the state stack (the parser itself is not touched). */
bool sl_lemon_accepts(void *p, int major)
{
    yyParser *pp = (yyParser *)p;
    int depth = (int)(pp->yytos - pp->yystack) + 1;
    int cap = depth + 64;
    YYACTIONTYPE small[256];
    YYACTIONTYPE *st = cap <= 256 ? small : malloc(sizeof(YYACTIONTYPE) * (size_t)cap);
    if (!st)
        return false;
    for (int i = 0; i < depth; i++)
        st[i] = pp->yystack[i].stateno;
    int top = depth - 1;
    bool ok = false;
    YYACTIONTYPE act = st[top];
    for (int guard = 0; guard < 10000; guard++) {
        act = yy_find_shift_action((YYCODETYPE)major, act);
        if (act >= YY_MIN_REDUCE) {
            unsigned rule = act - YY_MIN_REDUCE;
            top += yyRuleInfoNRhs[rule];
            if (top < 0 || top + 1 >= cap)
                break;
            act = yy_find_reduce_action(st[top], (YYCODETYPE)yyRuleInfoLhs[rule]);
            st[++top] = act;
        } else if (act <= YY_MAX_SHIFTREDUCE || act == YY_ACCEPT_ACTION) {
            ok = true;
            break;
        } else {
            break;
        }
    }
    if (st != small)
        free(st);
    return ok;
}

int sl_lemon_ntokens(void)
{
    return YYNTOKEN;
}
}
