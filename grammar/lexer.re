/*
 * lexer.re: the tokens of the sluice language (ksqlDB's lexical rules),
 * turned into C by re2c at build time.
 *
 * Does: scan one token at a time from a NUL-sentinelled buffer (words,
 * `quoted` and "quoted" identifiers, '...' strings with '' escapes,
 * integer/decimal/double numbers, operators, ${name} references,
 * whitespace and -- / block comments), classify words as keywords
 * (case-insensitive) and name tokens for error messages.
 * Does not: normalise or unescape text, substitute variables, or decide
 * whether a non-reserved keyword is used as an identifier: parse.c does.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grammar/gram.h"
#include "parser.h"

typedef struct kw {
    const char *name;
    int code;
    bool nonreserved;           /* may be used as an identifier where the keyword cannot stand */
} kw;

/* Sorted by name (bsearch). Non-reserved: ksqlDB's nonReserved list, plus
 * the words of statements that never stand where a name may. */
static const kw KEYWORDS[] = {
    {"ADVANCE", TK_ADVANCE, true},
    {"ALL", TK_ALL, false},
    {"AND", TK_AND, false},
    {"ARRAY", TK_ARRAY, true},
    {"AS", TK_AS, false},
    {"ASSERT", TK_ASSERT, true},
    {"BEGINNING", TK_BEGINNING, true},
    {"BETWEEN", TK_BETWEEN, false},
    {"BY", TK_BY, false},
    {"CASE", TK_CASE, false},
    {"CAST", TK_CAST, false},
    {"CHANGES", TK_CHANGES, true},
    {"CREATE", TK_CREATE, false},
    {"DEFINE", TK_DEFINE, true},
    {"DELETE", TK_DELETE, false},
    {"DESCRIBE", TK_DESCRIBE, false},
    {"DISTINCT", TK_DISTINCT, false},
    {"DROP", TK_DROP, false},
    {"ELSE", TK_ELSE, false},
    {"EMIT", TK_EMIT, true},
    {"END", TK_END, false},
    {"ESCAPE", TK_ESCAPE, true},
    {"EXISTS", TK_EXISTS, false},
    {"EXPLAIN", TK_EXPLAIN, true},
    {"EXTENDED", TK_EXTENDED, false},
    {"FALSE", TK_FALSE, false},
    {"FINAL", TK_FINAL, true},
    {"FROM", TK_FROM, false},
    {"FULL", TK_FULL, false},
    {"FUNCTION", TK_FUNCTION, true},
    {"FUNCTIONS", TK_FUNCTIONS, true},
    {"GRACE", TK_GRACE, true},
    {"GROUP", TK_GROUP, false},
    {"HAVING", TK_HAVING, false},
    {"HEADER", TK_HEADER, true},
    {"HEADERS", TK_HEADERS, true},
    {"HOPPING", TK_HOPPING, true},
    {"ID", TK_KW_ID, true},
    {"IF", TK_IF, true},
    {"IN", TK_IN, false},
    {"INNER", TK_INNER, false},
    {"INSERT", TK_INSERT, false},
    {"INTERVAL", TK_INTERVAL, true},
    {"INTO", TK_INTO, false},
    {"IS", TK_IS, false},
    {"JOIN", TK_JOIN, false},
    {"KEY", TK_KEY, true},
    {"LEFT", TK_LEFT, false},
    {"LIKE", TK_LIKE, false},
    {"LIMIT", TK_LIMIT, false},
    {"LIST", TK_LIST, false},
    {"MAP", TK_MAP, true},
    {"NOT", TK_NOT, false},
    {"NULL", TK_NULL, false},
    {"ON", TK_ON, false},
    {"OR", TK_OR, false},
    {"OUTER", TK_OUTER, false},
    {"PARTITION", TK_PARTITION, true},
    {"PAUSE", TK_PAUSE, true},
    {"PERIOD", TK_PERIOD, true},
    {"PRIMARY", TK_PRIMARY, true},
    {"PRINT", TK_PRINT, false},
    {"PROPERTIES", TK_PROPERTIES, true},
    {"QUERIES", TK_QUERIES, true},
    {"REPLACE", TK_REPLACE, true},
    {"RESUME", TK_RESUME, true},
    {"RETENTION", TK_RETENTION, true},
    {"RIGHT", TK_RIGHT, false},
    {"RUN", TK_RUN, true},
    {"SCHEMA", TK_SCHEMA, true},
    {"SCRIPT", TK_SCRIPT, true},
    {"SELECT", TK_SELECT, false},
    {"SESSION", TK_SESSION, true},
    {"SET", TK_SET, true},
    {"SHOW", TK_SHOW, true},
    {"SIZE", TK_SIZE, true},
    {"SOURCE", TK_SOURCE, true},
    {"STREAM", TK_STREAM, false},
    {"STREAMS", TK_STREAMS, true},
    {"STRUCT", TK_STRUCT, true},
    {"SUBJECT", TK_SUBJECT, true},
    {"TABLE", TK_TABLE, false},
    {"TABLES", TK_TABLES, true},
    {"TERMINATE", TK_TERMINATE, false},
    {"THEN", TK_THEN, false},
    {"TIMEOUT", TK_TIMEOUT, true},
    {"TOPIC", TK_TOPIC, true},
    {"TOPICS", TK_TOPICS, true},
    {"TRUE", TK_TRUE, false},
    {"TUMBLING", TK_TUMBLING, true},
    {"TYPE", TK_TYPE, true},
    {"TYPES", TK_TYPES, true},
    {"UNDEFINE", TK_UNDEFINE, true},
    {"UNSET", TK_UNSET, false},
    {"VALUES", TK_VALUES, true},
    {"VARIABLES", TK_VARIABLES, true},
    {"WHEN", TK_WHEN, false},
    {"WHERE", TK_WHERE, false},
    {"WINDOW", TK_WINDOW, false},
    {"WITH", TK_WITH, false},
    {"WITHIN", TK_WITHIN, false},
};
#define NKEYWORDS (sizeof KEYWORDS / sizeof KEYWORDS[0])

/* Words that are names to the grammar but keywords to a user: type names
 * and time units (for completion and sl_keywords). */
static const char *const SOFT_WORDS[] = {
    "BIGINT", "BOOLEAN", "BYTES", "DATE", "DAY", "DAYS", "DECIMAL", "DOUBLE", "HOUR", "HOURS",
    "INT", "INTEGER", "MILLISECOND", "MILLISECONDS", "MINUTE", "MINUTES", "SECOND", "SECONDS",
    "STRING", "TIME", "TIMESTAMP", "VARCHAR",
};
#define NSOFT (sizeof SOFT_WORDS / sizeof SOFT_WORDS[0])

int sl_lex_keyword(const char *s, size_t n, bool *nonreserved)
{
    *nonreserved = false;
    if (n == 0 || n > 16)
        return TK_ID;
    char up[17];
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        up[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    up[n] = '\0';
    size_t lo = 0, hi = NKEYWORDS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(up, KEYWORDS[mid].name);
        if (c == 0) {
            *nonreserved = KEYWORDS[mid].nonreserved;
            return KEYWORDS[mid].code;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return TK_ID;
}

const char *sl_lex_name(int code)
{
    for (size_t i = 0; i < NKEYWORDS; i++)
        if (KEYWORDS[i].code == code)
            return KEYWORDS[i].name;
    switch (code) {
    case 0: return "<EOF>";
    case TK_ID: return "an identifier";
    case TK_QID: return "a quoted identifier";
    case TK_STRING: return "a string";
    case TK_INTEGER: return "an integer";
    case TK_DECIMAL: return "a decimal";
    case TK_DOUBLE: return "a double";
    case TK_SEMI: return "';'";
    case TK_LP: return "'('";
    case TK_RP: return "')'";
    case TK_LBRACKET: return "'['";
    case TK_RBRACKET: return "']'";
    case TK_COMMA: return "','";
    case TK_DOT: return "'.'";
    case TK_EQ: return "'='";
    case TK_NE: return "'!='";
    case TK_LT: return "'<'";
    case TK_LE: return "'<='";
    case TK_GT: return "'>'";
    case TK_GE: return "'>='";
    case TK_PLUS: return "'+'";
    case TK_MINUS: return "'-'";
    case TK_STAR: return "'*'";
    case TK_SLASH: return "'/'";
    case TK_PERCENT: return "'%'";
    case TK_CONCAT: return "'||'";
    case TK_ARROW: return "'->'";
    case TK_LAMBDA: return "'=>'";
    case TK_ASSIGN: return "':='";
    default: return NULL;
    }
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *const *sl_lex_keywords(void)
{
    /* built once; the table is immutable afterwards */
    static const char *all[NKEYWORDS + NSOFT + 1];
    static int built;
    if (!__atomic_load_n(&built, __ATOMIC_ACQUIRE)) {
        static const char *tmp[NKEYWORDS + NSOFT + 1];
        size_t n = 0;
        for (size_t i = 0; i < NKEYWORDS; i++)
            tmp[n++] = KEYWORDS[i].name;
        for (size_t i = 0; i < NSOFT; i++)
            tmp[n++] = SOFT_WORDS[i];
        qsort(tmp, n, sizeof tmp[0], cmpstr);
        tmp[n] = NULL;
        memcpy(all, tmp, sizeof all);
        __atomic_store_n(&built, 1, __ATOMIC_RELEASE);
    }
    return all;
}

void sl_lex_scan(const char *buf, size_t len, size_t pos, sl_rawtok *t)
{
    const unsigned char *base = (const unsigned char *)buf;
    const unsigned char *YYCURSOR = base + pos, *YYLIMIT = base + len, *YYMARKER = YYCURSOR;
    const unsigned char *start = YYCURSOR;
    int type;
#define TOK(x) do { type = (x); goto done; } while (0)
    /*!re2c
        re2c:define:YYCTYPE = "unsigned char";
        re2c:yyfill:enable = 0;
        re2c:eof = 0;

        word   = [A-Za-z_][A-Za-z0-9_@]*;
        digits = [0-9]+;
        exp    = [eE] [+-]? digits;
        dec    = digits "." [0-9]* | "." digits;

        $                           { t->type = SL_TK_EOF; t->off = (uint32_t)len; t->len = 0; return; }
        [ \t\r\n\f\v]+              { TOK(SL_TK_SPACE); }
        "--" [^\n\x00]*             { TOK(SL_TK_COMMENT); }
        "/*"                        { goto block_comment; }
        word                        { TOK(TK_ID); }
        digits                      { TOK(TK_INTEGER); }
        dec                         { TOK(TK_DECIMAL); }
        (digits | dec) exp          { TOK(TK_DOUBLE); }
        digits [A-Za-z_@] [A-Za-z0-9_@]* { TOK(TK_ID); }
        ['] ([^'\x00] | "''")* [']  { TOK(TK_STRING); }
        ['] ([^'\x00] | "''")*      { goto string_nul; }
        [`] ([^`\x00] | "``")* [`]  { TOK(TK_QID); }
        [`] ([^`\x00] | "``")*      { goto quoted_nul; }
        ["] ([^"\x00] | ["]["])* ["] { TOK(TK_QID); }
        ["] ([^"\x00] | ["]["])*    { goto quoted_nul; }
        "${" [A-Za-z_][A-Za-z0-9_]* "}" { TOK(SL_TK_VAR); }
        "${"                        { TOK(SL_TK_ERR_VAR); }
        "("  { TOK(TK_LP); }
        ")"  { TOK(TK_RP); }
        "["  { TOK(TK_LBRACKET); }
        "]"  { TOK(TK_RBRACKET); }
        ","  { TOK(TK_COMMA); }
        "."  { TOK(TK_DOT); }
        ";"  { TOK(TK_SEMI); }
        "="  { TOK(TK_EQ); }
        "!=" | "<>" { TOK(TK_NE); }
        "<"  { TOK(TK_LT); }
        "<=" { TOK(TK_LE); }
        ">"  { TOK(TK_GT); }
        ">=" { TOK(TK_GE); }
        "+"  { TOK(TK_PLUS); }
        "-"  { TOK(TK_MINUS); }
        "*"  { TOK(TK_STAR); }
        "/"  { TOK(TK_SLASH); }
        "%"  { TOK(TK_PERCENT); }
        "||" { TOK(TK_CONCAT); }
        "->" { TOK(TK_ARROW); }
        "=>" { TOK(TK_LAMBDA); }
        ":=" { TOK(TK_ASSIGN); }
        [\xc2-\xdf][\x80-\xbf]                     { TOK(SL_TK_ERR_CHAR); }
        [\xe0-\xef][\x80-\xbf][\x80-\xbf]          { TOK(SL_TK_ERR_CHAR); }
        [\xf0-\xf4][\x80-\xbf][\x80-\xbf][\x80-\xbf] { TOK(SL_TK_ERR_CHAR); }
        *                           { TOK(SL_TK_ERR_CHAR); }
    */
string_nul:
    /* A string may hold any byte; the scanner stops at NUL (its sentinel), so
     * continue by hand: the literal ends at a quote not followed by another. */
    {
        const unsigned char *p = YYCURSOR;
        while (p < YYLIMIT) {
            if (*p == '\'') {
                if (p + 1 < YYLIMIT && p[1] == '\'') {
                    p += 2;
                    continue;
                }
                YYCURSOR = p + 1;
                TOK(TK_STRING);
            }
            p++;
        }
        YYCURSOR = YYLIMIT;
        TOK(SL_TK_ERR_STRING);
    }
quoted_nul:
    {
        unsigned char q = *start;
        const unsigned char *p = YYCURSOR;
        while (p < YYLIMIT) {
            if (*p == q) {
                if (p + 1 < YYLIMIT && p[1] == q) {
                    p += 2;
                    continue;
                }
                YYCURSOR = p + 1;
                TOK(TK_QID);
            }
            p++;
        }
        YYCURSOR = YYLIMIT;
        TOK(SL_TK_ERR_QUOTED);
    }
block_comment:
    {
        const unsigned char *p = YYCURSOR;
        while (p + 1 < YYLIMIT && !(p[0] == '*' && p[1] == '/'))
            p++;
        if (p + 1 < YYLIMIT) {
            YYCURSOR = p + 2;
            TOK(SL_TK_COMMENT);
        }
        YYCURSOR = YYLIMIT;
        TOK(SL_TK_ERR_COMMENT);
    }
done:
#undef TOK
    (void)YYMARKER;
    t->type = type;
    t->off = (uint32_t)(start - base);
    t->len = (uint32_t)(YYCURSOR - start);
}
