/*
 * test_lexer.c: the tokens of the language (grammar/lexer.re), seen
 * through the scanner itself and through what the parser makes of them:
 * token kinds and extents, identifier case and quoting, strings, numbers,
 * comments, keywords, and lexical errors with their spans.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "grammar/gram.h"
#include "grammar/parse.h"
#include "parser.h"

#define END -1

/* Scans text (NUL-terminated by the literal) skipping whitespace and
 * comments; fills codes and returns their number. */
static int scan(const char *text, size_t len, int *codes, sl_rawtok *toks, int max)
{
    size_t pos = 0;
    int n = 0;
    for (;;) {
        sl_rawtok t;
        sl_lex_scan(text, len, pos, &t);
        if (t.type == SL_TK_EOF)
            break;
        cr_assert_gt(t.len, 0, "empty token at %zu in [%s]", pos, text);
        pos = (size_t)t.off + t.len;
        if (t.type == SL_TK_SPACE || t.type == SL_TK_COMMENT)
            continue;
        if (t.type == TK_ID) {
            bool nonres;    /* words are classified as keywords by the lexer's table */
            t.type = sl_lex_keyword(text + t.off, t.len, &nonres);
        }
        if (n < max) {
            codes[n] = t.type;
            toks[n] = t;
        }
        n++;
    }
    return n;
}

typedef struct tok_case {
    const char *text;
    int codes[12];
} tok_case;

static const tok_case TOKENS[] = {
    {"SELECT * FROM t;", {TK_SELECT, TK_STAR, TK_FROM, TK_ID, TK_SEMI, END}},
    {"select Select sElEcT", {TK_SELECT, TK_SELECT, TK_SELECT, END}},
    {"a_b1 _x x@y", {TK_ID, TK_ID, TK_ID, END}},
    {"`a b` \"c d\" `x``y`", {TK_QID, TK_QID, TK_QID, END}},
    {"'str' 'it''s' ''", {TK_STRING, TK_STRING, TK_STRING, END}},
    {"1 12.5 .5 7. 1e3 1.5E-3 .5e+2", {TK_INTEGER, TK_DECIMAL, TK_DECIMAL, TK_DECIMAL, TK_DOUBLE,
                                      TK_DOUBLE, TK_DOUBLE, END}},
    {"= != <> < <= > >=", {TK_EQ, TK_NE, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, END}},
    {"+ - * / % ||", {TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT, TK_CONCAT, END}},
    {"-> => := ( ) [ ] , .", {TK_ARROW, TK_LAMBDA, TK_ASSIGN, TK_LP, TK_RP, TK_LBRACKET,
                              TK_RBRACKET, TK_COMMA, TK_DOT, END}},
    {"a->b", {TK_ID, TK_ARROW, TK_ID, END}},
    {"a-1", {TK_ID, TK_MINUS, TK_INTEGER, END}},
    {"a--b\nc", {TK_ID, TK_ID, END}},
    {"a/*x*/b /* multi\nline */ c", {TK_ID, TK_ID, TK_ID, END}},
    {"/**/a/***/", {TK_ID, END}},
    {"${x} ${Y_1}", {SL_TK_VAR, SL_TK_VAR, END}},
    {"$x", {SL_TK_ERR_CHAR, TK_ID, END}},
    {"${", {SL_TK_ERR_VAR, END}},
    {"'${x}'", {TK_STRING, END}},
    {"ARRAY<STRUCT<A INT>>", {TK_ARRAY, TK_LT, TK_STRUCT, TK_LT, TK_ID, TK_ID, TK_GT, TK_GT, END}},
    {"EMIT CHANGES final", {TK_EMIT, TK_CHANGES, TK_FINAL, END}},
    {"1abc", {TK_ID, END}},
    {"'abc", {SL_TK_ERR_STRING, END}},
    {"'abc''", {SL_TK_ERR_STRING, END}},
    {"`abc", {SL_TK_ERR_QUOTED, END}},
    {"\"abc", {SL_TK_ERR_QUOTED, END}},
    {"a /* x", {TK_ID, SL_TK_ERR_COMMENT, END}},
    {"# ? ! ^ ~ & |", {SL_TK_ERR_CHAR, SL_TK_ERR_CHAR, SL_TK_ERR_CHAR, SL_TK_ERR_CHAR,
                       SL_TK_ERR_CHAR, SL_TK_ERR_CHAR, SL_TK_ERR_CHAR, END}},
    {"\xc3\xa9t\xc3\xa9", {SL_TK_ERR_CHAR, TK_ID, SL_TK_ERR_CHAR, END}},
    {"\xff\xfe", {SL_TK_ERR_CHAR, SL_TK_ERR_CHAR, END}},
    {"", {END}},
    {"  \t\r\n -- only\n", {END}},
};

Test(lexer, token_kinds)
{
    for (size_t i = 0; i < sizeof TOKENS / sizeof TOKENS[0]; i++) {
        const char *text = TOKENS[i].text;
        int codes[16];
        sl_rawtok toks[16];
        int n = scan(text, strlen(text), codes, toks, 16);
        int want = 0;
        while (TOKENS[i].codes[want] != END)
            want++;
        cr_assert_eq(n, want, "[%s]: %d tokens, expected %d", text, n, want);
        for (int k = 0; k < n; k++)
            cr_expect_eq(codes[k], TOKENS[i].codes[k], "[%s] token %d: %d, expected %d", text, k,
                         codes[k], TOKENS[i].codes[k]);
    }
}

Test(lexer, token_extents)
{
    const char *text = "SELECT  'it''s' , `q``q`--c\n  12.5e3";
    int codes[8];
    sl_rawtok t[8];
    cr_assert_eq(scan(text, strlen(text), codes, t, 8), 5);
    cr_expect(t[0].off == 0 && t[0].len == 6);
    cr_expect(t[1].off == 8 && t[1].len == 7);
    cr_expect(t[2].off == 16 && t[2].len == 1);
    cr_expect(t[3].off == 18 && t[3].len == 6);
    cr_expect(t[4].off == 30 && t[4].len == 6);
}

Test(lexer, nul_bytes)
{
    /* the scanner's sentinel is the NUL at len; NULs before it are data or errors */
    const char text[] = "'a\0b' x\0y";
    int codes[8];
    sl_rawtok t[8];
    int n = scan(text, sizeof text - 1, codes, t, 8);
    cr_assert_eq(n, 4);
    cr_expect_eq(codes[0], TK_STRING);
    cr_expect_eq(t[0].len, 5);
    cr_expect_eq(codes[1], TK_ID);
    cr_expect_eq(codes[2], SL_TK_ERR_CHAR);
    cr_expect_eq(t[2].off, 7);
    cr_expect_eq(codes[3], TK_ID);

    const char q[] = "`a\0b`";
    n = scan(q, sizeof q - 1, codes, t, 8);
    cr_assert_eq(n, 1);
    cr_expect_eq(codes[0], TK_QID);
    const char open[] = "'a\0b";
    n = scan(open, sizeof open - 1, codes, t, 8);
    cr_assert_eq(n, 1);
    cr_expect_eq(codes[0], SL_TK_ERR_STRING);
}

Test(lexer, keywords)
{
    bool nonres;
    cr_expect_eq(sl_lex_keyword("select", 6, &nonres), TK_SELECT);
    cr_expect(!nonres);
    cr_expect_eq(sl_lex_keyword("Key", 3, &nonres), TK_KEY);
    cr_expect(nonres);
    cr_expect_eq(sl_lex_keyword("id", 2, &nonres), TK_KW_ID);
    cr_expect(nonres);
    cr_expect_eq(sl_lex_keyword("selects", 7, &nonres), TK_ID);
    cr_expect_eq(sl_lex_keyword("bigint", 6, &nonres), TK_ID);  /* type names are names */
    cr_expect_eq(sl_lex_keyword("averyveryverylongidentifier", 27, &nonres), TK_ID);
    cr_expect_str_eq(sl_lex_name(TK_FROM), "FROM");
    cr_expect_str_eq(sl_lex_name(TK_COMMA), "','");
    cr_expect_str_eq(sl_lex_name(TK_ID), "an identifier");
}

/* ---- identifiers and literals as the parser sees them ---- */

typedef struct ident_case {
    const char *text;
    const char *name;
    bool quoted;
} ident_case;

static const ident_case IDENTS[] = {
    {"abc", "ABC", false}, {"MixedCase", "MIXEDCASE", false}, {"a_1@x", "A_1@X", false},
    {"`abc`", "abc", true}, {"`Mixed Case`", "Mixed Case", true}, {"`a``b`", "a`b", true},
    {"\"dq\"", "dq", true}, {"\"a\"\"b\"", "a\"b", true}, {"`SELECT`", "SELECT", true},
    {"key", "KEY", false}, {"`\xc3\xa9t\xc3\xa9`", "\xc3\xa9t\xc3\xa9", true},
};

Test(lexer, identifiers)
{
    for (size_t i = 0; i < sizeof IDENTS / sizeof IDENTS[0]; i++) {
        sl_arena *a = sl_arena_new(0);
        sl_expr *e;
        sl_error err;
        int r = sl_parse_expr(IDENTS[i].text, strlen(IDENTS[i].text), a, &e, &err);
        cr_assert_eq(r, 0, "%s: %s", IDENTS[i].text, err.msg);
        cr_assert_eq(e->kind, SL_E_COLUMN, "%s", IDENTS[i].text);
        cr_expect_str_eq(e->name.name, IDENTS[i].name, "%s", IDENTS[i].text);
        cr_expect_eq(e->name.quoted, IDENTS[i].quoted, "%s", IDENTS[i].text);
        cr_expect_eq(e->name.span.off, 0);
        cr_expect_eq(e->name.span.len, strlen(IDENTS[i].text));
        sl_arena_free(a);
    }
}

typedef struct str_case {
    const char *text;
    const char *value;
} str_case;

static const str_case STRINGS[] = {
    {"'abc'", "abc"}, {"''", ""}, {"'it''s'", "it's"}, {"''''", "'"},
    {"'a\nb'", "a\nb"}, {"'-- not a comment'", "-- not a comment"},
    {"'/* nor this */'", "/* nor this */"}, {"'\xc3\xa9'", "\xc3\xa9"}, {"'a;b'", "a;b"},
    {"'back\\slash'", "back\\slash"},
};

Test(lexer, strings)
{
    for (size_t i = 0; i < sizeof STRINGS / sizeof STRINGS[0]; i++) {
        sl_arena *a = sl_arena_new(0);
        sl_expr *e;
        sl_error err;
        int r = sl_parse_expr(STRINGS[i].text, strlen(STRINGS[i].text), a, &e, &err);
        cr_assert_eq(r, 0, "%s: %s", STRINGS[i].text, err.msg);
        cr_assert_eq(e->kind, SL_E_STRING);
        cr_expect_str_eq(e->text, STRINGS[i].value, "%s", STRINGS[i].text);
        cr_expect_eq(e->textlen, strlen(STRINGS[i].value));
        sl_arena_free(a);
    }
}

typedef struct err_case {
    const char *text;
    uint32_t off, len;
    const char *fragment;
} err_case;

static const err_case ERRORS[] = {
    {"'abc", 0, 1, "unterminated string literal"},
    {"a + 'abc''", 4, 1, "unterminated string literal"},
    {"`abc", 0, 1, "unterminated quoted identifier"},
    {"\"abc", 0, 1, "unterminated quoted identifier"},
    {"a /* b", 2, 2, "unterminated comment"},
    {"a # b", 2, 1, "unexpected character '#'"},
    {"a + \x01", 4, 1, "unexpected character 0x01"},
    {"a + \xc3\xa9", 4, 2, "unexpected character '\xc3\xa9'"},
    {"a + \xc3", 4, 1, "invalid UTF-8 byte 0xC3"},
    {"'ok' || '\xc3\x28'", 9, 1, "invalid UTF-8 in string literal"},
    {"'\xed\xa0\x80'", 1, 1, "invalid UTF-8"},     /* a surrogate */
    {"'\xc0\xaf'", 1, 1, "invalid UTF-8"},         /* overlong */
    {"`\xff`", 1, 1, "invalid UTF-8 in quoted identifier"},
    {"``", 0, 2, "empty quoted identifier"},
    {"${x}", 0, 4, "undefined variable 'x'"},
    {"${", 0, 2, "invalid variable reference"},
};

Test(lexer, errors)
{
    for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++) {
        sl_arena *a = sl_arena_new(0);
        sl_expr *e;
        sl_error err;
        int r = sl_parse_expr(ERRORS[i].text, strlen(ERRORS[i].text), a, &e, &err);
        cr_assert_eq(r, -1, "%s parsed", ERRORS[i].text);
        cr_expect_eq(err.code, SL_ERR_SYNTAX);
        cr_expect_eq(err.span.off, ERRORS[i].off, "%s: at %u", ERRORS[i].text, err.span.off);
        cr_expect_eq(err.span.len, ERRORS[i].len, "%s: len %u", ERRORS[i].text, err.span.len);
        cr_expect(strstr(err.msg, ERRORS[i].fragment) != NULL, "%s: [%s]", ERRORS[i].text, err.msg);
        sl_arena_free(a);
    }
}

Test(lexer, unterminated_string_swallows_the_rest)
{
    /* the ';' inside the open literal does not end the statement: the error
     * is the literal, and nothing after it becomes a statement */
    const char *sql = "SELECT 'abc FROM t; DROP STREAM s;";
    sl_parser *p = sl_parser_new(sql, strlen(sql), NULL, NULL);
    sl_arena *a = sl_arena_new(0);
    sl_stmt *s;
    sl_error err;
    cr_expect_eq(sl_parser_next(p, a, &s, &err), -1);
    cr_expect_eq(err.span.off, 7);
    cr_expect_eq(sl_parser_next(p, a, &s, &err), 0);
    sl_arena_free(a);
    sl_parser_free(p);
}
