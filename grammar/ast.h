/*
 * ast.h: the syntax tree of the sluice language (ksqlDB's dialect).
 *
 * Every node lives in the statement arena of the parse and carries the byte
 * span of the text it came from (offsets into the whole input, so errors in
 * any later phase point at the source). Identifiers are already normalised:
 * unquoted ones upper-cased, backticked ones as written. Literal text is
 * kept as written (numbers) or unescaped (strings: '' becomes ').
 *
 * The tree is plain data: builders live in ast.c and are called from the
 * grammar actions; nothing here evaluates or checks names.
 */
#ifndef SL_AST_H
#define SL_AST_H

#include <stdbool.h>
#include <stdint.h>
#include "../engine/arena.h"
#include "../engine/buf.h"
#include "../engine/error.h"
#include "../engine/types.h"

typedef struct sl_ident {
    const char *name;   /* NULL when absent */
    sl_span span;
    bool quoted;        /* written with backticks */
} sl_ident;

/* A growable array of pointers in the statement arena. */
#define SL_LIST(T) struct { T *items; int n; int cap; }

typedef struct sl_ast_type sl_ast_type;
typedef struct sl_expr sl_expr;
typedef struct sl_select sl_select;
typedef struct sl_stmt sl_stmt;

typedef struct sl_ast_field {
    sl_ident name;
    sl_ast_type *type;
} sl_ast_field;

/* A type as written: BIGINT, DECIMAL(10,2), ARRAY<...>, MAP<...>, STRUCT<...>, or a name
 * defined by CREATE TYPE (kind SL_NULL with `name` set). */
struct sl_ast_type {
    sl_kind kind;
    sl_span span;
    int precision, scale;               /* DECIMAL */
    sl_ast_type *key;                   /* MAP key */
    sl_ast_type *elem;                  /* ARRAY element, MAP value */
    SL_LIST(sl_ast_field *) fields;     /* STRUCT */
    sl_ident name;                      /* a CREATE TYPE alias */
};

typedef enum sl_expr_kind {
    SL_E_NULL,          /* NULL */
    SL_E_BOOL,          /* TRUE / FALSE: bval */
    SL_E_INT,           /* 123: text (INT if it fits 32 bits, else BIGINT) */
    SL_E_DECIMAL,       /* 1.50: text -> DECIMAL(3,2) */
    SL_E_DOUBLE,        /* 1.5E3: text -> DOUBLE */
    SL_E_STRING,        /* 'it''s': text unescaped, textlen */
    SL_E_COLUMN,        /* [qualifier.]name; pseudocolumns ROWTIME, WINDOWSTART... are columns too */
    SL_E_UNARY,         /* op a: SL_OP_NEG, SL_OP_PLUS, SL_OP_NOT */
    SL_E_BINARY,        /* a op b */
    SL_E_BETWEEN,       /* a [NOT] BETWEEN b AND c */
    SL_E_LIKE,          /* a [NOT] LIKE b [ESCAPE c] */
    SL_E_IN,            /* a [NOT] IN (list) */
    SL_E_IS_NULL,       /* a IS [NOT] NULL */
    SL_E_IS_DISTINCT,   /* a IS [NOT] DISTINCT FROM b */
    SL_E_CASE,          /* CASE [a] WHEN list[0] THEN list[1] ... [ELSE b] END */
    SL_E_CAST,          /* CAST(a AS type) */
    SL_E_CALL,          /* name(list) ; star for COUNT(*); distinct for COUNT(DISTINCT x) if ever */
    SL_E_SUBSCRIPT,     /* a[b] */
    SL_E_DEREF,         /* a->name */
    SL_E_ARRAY,         /* ARRAY[list] */
    SL_E_MAP,           /* MAP(k1 := v1, ...): list holds k1, v1, k2, v2, ... */
    SL_E_STRUCT,        /* STRUCT(n1 := v1, ...): names[i] with list[i] */
    SL_E_LAMBDA,        /* (x, y) => a  or  x => a: names are the parameters */
    SL_E_VARIABLE       /* ${name} left unsubstituted (never produced by sl_parser_next) */
} sl_expr_kind;

typedef enum sl_op {
    SL_OP_NONE = 0,
    SL_OP_ADD, SL_OP_SUB, SL_OP_MUL, SL_OP_DIV, SL_OP_MOD,
    SL_OP_CONCAT,                         /* || */
    SL_OP_EQ, SL_OP_NE, SL_OP_LT, SL_OP_LE, SL_OP_GT, SL_OP_GE,
    SL_OP_AND, SL_OP_OR,
    SL_OP_NEG, SL_OP_PLUS, SL_OP_NOT
} sl_op;

struct sl_expr {
    sl_expr_kind kind;
    sl_span span;
    sl_op op;
    bool negated;               /* NOT BETWEEN / NOT LIKE / NOT IN / IS NOT NULL / IS NOT DISTINCT */
    bool bval;                  /* SL_E_BOOL */
    bool star;                  /* COUNT(*) */
    const char *text;           /* literals: NUL-terminated; STRING may contain NUL, use textlen */
    uint32_t textlen;
    sl_ident qualifier;         /* COLUMN: source or alias before the dot */
    sl_ident name;              /* COLUMN name, CALL function name, DEREF field */
    sl_expr *a, *b, *c;         /* operands, see sl_expr_kind */
    SL_LIST(sl_expr *) list;    /* IN list, call args, array items, CASE whens, MAP k/v pairs, STRUCT values */
    SL_LIST(sl_ident) names;    /* STRUCT field names, LAMBDA parameters */
    sl_ast_type *type;          /* CAST target */
};

typedef struct sl_duration {
    int64_t ms;                 /* the value converted to milliseconds */
    sl_span span;
    bool set;
} sl_duration;

typedef enum sl_select_item_kind { SL_SEL_EXPR, SL_SEL_STAR, SL_SEL_QUALIFIED_STAR } sl_select_item_kind;

typedef struct sl_select_item {
    sl_select_item_kind kind;
    sl_span span;
    sl_expr *expr;              /* SL_SEL_EXPR */
    sl_ident alias;             /* AS alias (name NULL when absent) */
    sl_ident qualifier;         /* src.* */
} sl_select_item;

typedef struct sl_relation {
    sl_ident name;
    sl_ident alias;             /* name NULL when absent */
    sl_span span;
} sl_relation;

typedef enum sl_join_type { SL_JOIN_INNER, SL_JOIN_LEFT, SL_JOIN_RIGHT, SL_JOIN_FULL } sl_join_type;

typedef struct sl_join {
    sl_join_type type;
    sl_span span;
    sl_relation right;
    sl_duration within_before;  /* WITHIN n unit: before == after; WITHIN (a, b) */
    sl_duration within_after;
    sl_duration grace;          /* GRACE PERIOD after WITHIN */
    sl_expr *on;
} sl_join;

typedef enum sl_window_kind { SL_WIN_NONE, SL_WIN_TUMBLING, SL_WIN_HOPPING, SL_WIN_SESSION } sl_window_kind;

typedef struct sl_window {
    sl_window_kind kind;
    sl_span span;
    sl_duration size;           /* TUMBLING/HOPPING SIZE; SESSION gap */
    sl_duration advance;        /* HOPPING ADVANCE BY */
    sl_duration retention;
    sl_duration grace;
} sl_window;

typedef enum sl_emit { SL_EMIT_NONE, SL_EMIT_CHANGES, SL_EMIT_FINAL } sl_emit;

struct sl_select {
    sl_span span;
    SL_LIST(sl_select_item *) items;
    sl_relation from;
    SL_LIST(sl_join *) joins;
    sl_window window;                   /* kind SL_WIN_NONE when absent */
    sl_expr *where;
    SL_LIST(sl_expr *) group_by;
    SL_LIST(sl_expr *) partition_by;
    sl_expr *having;
    sl_emit emit;
    int64_t limit;                      /* -1 when absent */
    sl_span limit_span;
};

typedef enum sl_col_constraint {
    SL_COL_VALUE = 0,
    SL_COL_KEY,
    SL_COL_PRIMARY_KEY,
    SL_COL_HEADERS,             /* HEADERS: the whole header list */
    SL_COL_HEADER               /* HEADER('k') */
} sl_col_constraint;

typedef struct sl_column_def {
    sl_ident name;
    sl_ast_type *type;
    sl_col_constraint constraint;
    const char *header_key;     /* HEADER('k') */
    sl_span span;
} sl_column_def;

typedef struct sl_property {
    sl_ident name;              /* upper-cased key; a quoted key ('auto.offset.reset') keeps its text */
    sl_expr *value;             /* a literal (string, number, boolean) */
    sl_span span;
} sl_property;

typedef enum sl_stmt_kind {
    SL_S_CREATE_SOURCE,         /* CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] n (cols) WITH (...) */
    SL_S_CREATE_AS,             /* CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] n [WITH (...)] AS SELECT */
    SL_S_INSERT_SELECT,         /* INSERT INTO n [WITH (...)] SELECT */
    SL_S_INSERT_VALUES,         /* INSERT INTO n [(cols)] VALUES (...) */
    SL_S_DROP_SOURCE,           /* DROP STREAM|TABLE [IF EXISTS] n [DELETE TOPIC] */
    SL_S_SHOW,                  /* SHOW|LIST what [EXTENDED] */
    SL_S_DESCRIBE,              /* DESCRIBE [EXTENDED] n ; DESCRIBE STREAMS|TABLES [EXTENDED] */
    SL_S_DESCRIBE_FUNCTION,     /* DESCRIBE FUNCTION n */
    SL_S_EXPLAIN,               /* EXPLAIN query_id | EXPLAIN statement */
    SL_S_TERMINATE,             /* TERMINATE id | ALL */
    SL_S_PAUSE,                 /* PAUSE id | ALL */
    SL_S_RESUME,                /* RESUME id | ALL */
    SL_S_PRINT,                 /* PRINT topic [FROM BEGINNING] [INTERVAL n] [LIMIT n] */
    SL_S_SET,                   /* SET 'k' = 'v' */
    SL_S_UNSET,                 /* UNSET 'k' */
    SL_S_DEFINE,                /* DEFINE name = 'v' */
    SL_S_UNDEFINE,              /* UNDEFINE name */
    SL_S_CREATE_TYPE,           /* CREATE TYPE [IF NOT EXISTS] n AS type */
    SL_S_DROP_TYPE,             /* DROP TYPE [IF EXISTS] n */
    SL_S_ASSERT_TOPIC,          /* ASSERT [NOT EXISTS] TOPIC n [WITH (...)] [TIMEOUT n unit] */
    SL_S_ASSERT_SCHEMA,         /* ASSERT [NOT EXISTS] SCHEMA [SUBJECT n] [ID n] [TIMEOUT n unit] */
    SL_S_RUN_SCRIPT,            /* RUN SCRIPT 'path' */
    SL_S_SELECT,                /* a transient (push or pull) query */
    SL_S_ASSERT_SOURCE          /* ASSERT [NOT] EXISTS STREAM|TABLE n [TIMEOUT n unit] */
} sl_stmt_kind;

typedef enum sl_show_what {
    SL_SHOW_STREAMS, SL_SHOW_TABLES, SL_SHOW_QUERIES, SL_SHOW_TOPICS, SL_SHOW_ALL_TOPICS,
    SL_SHOW_PROPERTIES, SL_SHOW_FUNCTIONS, SL_SHOW_TYPES, SL_SHOW_VARIABLES
} sl_show_what;

struct sl_stmt {
    sl_stmt_kind kind;
    sl_span span;               /* the statement without its ';' */
    const char *text;           /* the statement's source text (after variable substitution), NUL-terminated */
    bool is_table;              /* CREATE/DROP/DESCRIBE ... TABLE */
    bool or_replace, is_source, if_not_exists, if_exists, delete_topic;
    bool extended;              /* SHOW ... EXTENDED, DESCRIBE EXTENDED */
    bool all;                   /* TERMINATE/PAUSE/RESUME ALL; DESCRIBE STREAMS/TABLES */
    bool not_exists;            /* ASSERT NOT EXISTS */
    bool from_beginning;        /* PRINT */
    sl_show_what show;
    sl_ident name;              /* the source, type, function, query id, variable, topic... */
    SL_LIST(sl_column_def *) columns;
    SL_LIST(sl_property *) props;       /* WITH (...) */
    sl_select *query;           /* CREATE AS, INSERT SELECT, SELECT */
    SL_LIST(sl_ident) insert_columns;
    SL_LIST(sl_expr *) values;
    sl_ast_type *type;          /* CREATE TYPE */
    sl_stmt *explained;         /* EXPLAIN statement */
    const char *str;            /* SET/UNSET/DEFINE name, PRINT topic, RUN SCRIPT path, ASSERT SCHEMA subject */
    const char *str2;           /* SET/DEFINE value */
    int64_t interval;           /* PRINT INTERVAL, -1 when absent */
    int64_t limit;              /* PRINT LIMIT, -1 when absent */
    int64_t schema_id;          /* ASSERT SCHEMA ID, -1 when absent */
    sl_duration timeout;        /* ASSERT ... TIMEOUT */
};

/* ---- builders (used by the grammar actions) ---- */
void sl_list_push_(sl_arena *a, void **items, int *n, int *cap, size_t elsize, const void *elem);
#define SL_LIST_PUSH(arena, list, elem) do { \
        __typeof__(*(list).items) sl__tmp = (elem); \
        sl_list_push_((arena), (void **)&(list).items, &(list).n, &(list).cap, \
                      sizeof(*(list).items), &sl__tmp); \
    } while (0)

sl_expr *sl_expr_new(sl_arena *a, sl_expr_kind kind, sl_span span);
sl_stmt *sl_stmt_new(sl_arena *a, sl_stmt_kind kind, sl_span span);
sl_select *sl_select_new(sl_arena *a, sl_span span);

/* ---- printing ---- */
/* The operator as written in SQL: "+", "<>", "AND", "NOT"... */
const char *sl_op_text(sl_op op);
/* Writes the expression back as SQL (canonical spacing, identifiers quoted when needed):
 * used for column names of unaliased expressions (KSQL_COL_0 aside), EXPLAIN and tests. */
void sl_expr_print(sl_buf *out, const sl_expr *e);
/* An S-expression dump of a statement for tests and `EXPLAIN`-style debugging. */
void sl_stmt_dump(sl_buf *out, const sl_stmt *s);

#endif
