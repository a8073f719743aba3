/*
 * parse.c: from text to statements (grammar/parse.h).
 *
 * Does: walk an input statement by statement. For each statement it
 * (1) lexes up to the next ';' outside literals, normalising identifiers,
 * unescaping literals and substituting ${name} references (a value outside
 * a literal is lexed on its own and spliced in as tokens; inside a string
 * literal it becomes characters of the literal), building the statement's
 * text after substitution; then (2) feeds the tokens to the lemon parser,
 * deciding for each non-reserved keyword whether it stands as the keyword
 * or as an identifier (the keyword wins wherever the grammar accepts it).
 * Syntax errors name the offending token and what was expected and carry
 * its span. Also: sl_parse_expr, sl_parse_type, sl_text_complete, sl_keywords.
 * Does not: check names, types or the catalog (the engine does).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gram.h"
#include "parse.h"
#include "parser.h"

struct sl_parser {
    char *buf;                  /* a copy of the input with a NUL sentinel */
    size_t len;
    size_t pos;                 /* where the next statement starts */
    sl_var_lookup lookup;
    void *ud;
};

typedef struct ptok {
    int code;                   /* TK_* */
    bool nonreserved;           /* a keyword that may also be an identifier */
    sl_tok v;
    uint32_t textoff;           /* where the token starts in the statement text */
} ptok;

typedef struct tokvec {
    ptok *v;
    int n, cap;
} tokvec;

/* ---------------- errors ---------------- */

void sl_pctx_error(sl_pctx *ctx, sl_span span, const char *fmt, ...)
{
    if (ctx->failed)
        return;
    ctx->failed = true;
    va_list ap;
    va_start(ap, fmt);
    ctx->err->code = SL_ERR_SYNTAX;
    ctx->err->span = span;
    vsnprintf(ctx->err->msg, sizeof ctx->err->msg, fmt, ap);
    va_end(ap);
}

static int perr(sl_error *err, sl_span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(sl_error *err, sl_span span, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->code = SL_ERR_SYNTAX;
    err->span = span;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* the current parse's input, for quoting the offending token as written */
static __thread const char *cur_text;
static __thread size_t cur_len;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void sl_pctx_syntax_error(sl_pctx *ctx, int major, const sl_tok *tok, void *lemon)
{
    if (ctx->failed)
        return;
    char got[80];
    sl_span span = tok->span;
    if (major == 0) {
        snprintf(got, sizeof got, "unexpected end of statement,");
        span = ctx->end;
    } else {
        const char *src = cur_text && span.off != SL_NOPOS && span.off + span.len <= cur_len
                              ? cur_text + span.off : tok->z;
        uint32_t n = (span.off != SL_NOPOS && cur_text) ? span.len : tok->n;
        if (n > 40)
            snprintf(got, sizeof got, "mismatched input '%.37s...'", src);
        else
            snprintf(got, sizeof got, "mismatched input '%.*s'", (int)n, src);
    }

    /* what would have been accepted here */
    int ntok = sl_lemon_ntokens();
    bool want_expr = sl_lemon_accepts(lemon, TK_INTEGER) && sl_lemon_accepts(lemon, TK_STRING) &&
                     sl_lemon_accepts(lemon, TK_LP);
    bool want_ident = sl_lemon_accepts(lemon, TK_ID);
    const char *names[64];
    int nn = 0;
    bool more = false;
    for (int t = 1; t < ntok; t++) {
        if (t == TK_START_STMT || t == TK_START_EXPR || t == TK_START_TYPE || t == TK_UNARY ||
            t == TK_ID || t == TK_QID)
            continue;
        if (want_expr && (t == TK_INTEGER || t == TK_DECIMAL || t == TK_DOUBLE || t == TK_STRING ||
                          t == TK_LP || t == TK_MINUS || t == TK_PLUS || t == TK_NOT ||
                          t == TK_CASE || t == TK_CAST || t == TK_TRUE || t == TK_FALSE ||
                          t == TK_NULL || t == TK_ARRAY || t == TK_MAP || t == TK_STRUCT))
            continue;
        const char *nm = sl_lex_name(t);
        if (!nm || !sl_lemon_accepts(lemon, t))
            continue;
        if (nn < 12)
            names[nn++] = nm;
        else
            more = true;
    }
    qsort(names, (size_t)nn, sizeof names[0], cmp_names);
    char exp[400];
    size_t el = 0;
    int items = 0;
    exp[0] = '\0';
#define ADD(s) do { \
        el += (size_t)snprintf(exp + el, sizeof exp - el, "%s%s", items++ ? ", " : "", (s)); \
        if (el >= sizeof exp) el = sizeof exp - 1; \
    } while (0)
    if (want_expr)
        ADD("an expression");
    else if (want_ident)
        ADD("an identifier");
    for (int i = 0; i < nn; i++)
        ADD(names[i]);
    if (major != 0 && sl_lemon_accepts(lemon, 0))
        ADD("';'");     /* the statement could end here */
    if (more)
        ADD("...");
#undef ADD
    if (items == 0)
        sl_pctx_error(ctx, span, "%s", got);
    else if (items == 1)
        sl_pctx_error(ctx, span, "%s expecting %s", got, exp);
    else
        sl_pctx_error(ctx, span, "%s expecting one of %s", got, exp);
}

/* ---------------- tokens ---------------- */

static void push_tok(tokvec *tv, int code, bool nonres, sl_tok v, uint32_t textoff)
{
    if (tv->n == tv->cap) {
        int ncap = tv->cap ? tv->cap * 2 : 64;
        ptok *nv = realloc(tv->v, sizeof *nv * (size_t)ncap);
        if (!nv)
            abort();
        tv->v = nv;
        tv->cap = ncap;
    }
    ptok *p = &tv->v[tv->n++];
    p->code = code;
    p->nonreserved = nonres;
    p->v = v;
    p->textoff = textoff;
}

/* Offset of the first byte that is not valid UTF-8, or -1. */
static long bad_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned min;
        if (c < 0x80) { i++; continue; }
        else if (c >= 0xC2 && c <= 0xDF) { k = 1; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; min = 0x10000; }
        else return (long)i;
        if (i + k >= n)
            return (long)i;     /* truncated sequence */
        unsigned cp = c & (0x3F >> k);
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80)
                return (long)i;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return (long)i;
        i += k + 1;
    }
    return -1;
}

static char *upper_dup(sl_arena *a, const char *s, size_t n)
{
    char *d = sl_arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++)
        d[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    d[n] = '\0';
    return d;
}

/* Unescapes a quoted token (quote char q doubled inside) into the arena. */
static char *unquote(sl_arena *a, const char *s, size_t n, char q, uint32_t *outn)
{
    char *d = sl_arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        d[k++] = s[i];
        if (s[i] == q && i + 2 < n && s[i + 1] == q)
            i++;
    }
    d[k] = '\0';
    *outn = (uint32_t)k;
    return d;
}

static void lexerr(const char *buf, const sl_rawtok *t, sl_span span, sl_error *err)
{
    const unsigned char *s = (const unsigned char *)buf + t->off;
    switch (t->type) {
    case SL_TK_ERR_STRING:
        perr(err, (sl_span){span.off, 1}, "unterminated string literal");
        break;
    case SL_TK_ERR_QUOTED:
        perr(err, (sl_span){span.off, 1}, "unterminated quoted identifier");
        break;
    case SL_TK_ERR_COMMENT:
        perr(err, (sl_span){span.off, 2}, "unterminated comment");
        break;
    case SL_TK_ERR_VAR:
        perr(err, span, "invalid variable reference, expecting ${name}");
        break;
    default:
        if (t->len > 1 && bad_utf8(s, t->len) < 0)
            perr(err, span, "unexpected character '%.*s'", (int)t->len, (const char *)s);
        else if (s[0] >= 0x80)
            perr(err, span, "invalid UTF-8 byte 0x%02X", s[0]);
        else if (s[0] > 0x20 && s[0] < 0x7f)
            perr(err, span, "unexpected character '%c'", s[0]);
        else
            perr(err, span, "unexpected character 0x%02X", s[0]);
        break;
    }
}

typedef struct lexstate {
    sl_parser *p;               /* variables (may have lookup NULL) */
    sl_arena *a;
    sl_buf *text;               /* the statement text after substitution */
    tokvec *tv;
    sl_error *err;
    uint32_t prev_end;          /* end of the previous real token in the input */
} lexstate;

/* Substitutes ${name} inside the content of a string literal (already unescaped). */
static int string_vars(lexstate *ls, sl_tok *v, const char *raw, uint32_t rawoff, bool *changed)
{
    *changed = false;
    if (!ls->p || !ls->p->lookup || !memchr(v->z, '$', v->n))
        return 0;   /* no variables in this parse (sl_parse_expr): literals stay as written */
    sl_buf out = SL_BUF_INIT;
    const char *s = v->z;
    uint32_t n = v->n;
    for (uint32_t i = 0; i < n; i++) {
        if (s[i] == '$' && i + 2 < n && s[i + 1] == '{') {
            uint32_t j = i + 2;
            while (j < n && (s[j] == '_' || (s[j] >= 'A' && s[j] <= 'Z') ||
                             (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9')))
                j++;
            bool okname = j > i + 2 && j < n && s[j] == '}' && !(s[i + 2] >= '0' && s[i + 2] <= '9');
            if (okname) {
                /* span of the reference in the input: find it in the raw token */
                char name[256];
                size_t nl = j - (i + 2);
                if (nl >= sizeof name)
                    nl = sizeof name - 1;
                memcpy(name, s + i + 2, nl);
                name[nl] = '\0';
                sl_span ref = v->span;
                char pat[260];
                snprintf(pat, sizeof pat, "${%s}", name);
                const char *hit = memmem(raw, v->span.len, pat, strlen(pat));
                if (hit && v->span.off != SL_NOPOS && rawoff == v->span.off)
                    ref = (sl_span){rawoff + (uint32_t)(hit - raw), (uint32_t)strlen(pat)};
                const char *val = ls->p->lookup(ls->p->ud, name);
                if (!val) {
                    /* inside a literal an undefined reference stays as written:
                     * regex replacements and templates use ${...} too */
                    sl_buf_append(&out, s + i, j - i + 1);
                    i = j;
                    continue;
                }
                long bad = bad_utf8((const unsigned char *)val, strlen(val));
                if (bad >= 0) {
                    sl_buf_fini(&out);
                    return perr(ls->err, ref, "the value of variable '%s' is not valid UTF-8", name);
                }
                sl_buf_puts(&out, val);
                *changed = true;
                i = j;
                continue;
            }
        }
        sl_buf_putc(&out, s[i]);
    }
    if (*changed) {
        char *z = sl_arena_alloc(ls->a, out.len + 1);
        if (out.len)
            memcpy(z, out.data, out.len);
        z[out.len] = '\0';
        v->z = z;
        v->n = (uint32_t)out.len;
    }
    sl_buf_fini(&out);
    return 0;
}

/* Turns one raw token of `buf` into a parser token and appends it. `span` is
 * where it is reported (its own bytes, or the ${ref} it came from). Appends
 * its text to the statement text unless `spliced` (the caller does). */
static int add_token(lexstate *ls, const char *buf, const sl_rawtok *t, sl_span span, bool spliced)
{
    const char *s = buf + t->off;
    sl_tok v = {NULL, 0, span, false};
    int code = t->type;
    bool nonres = false;
    bool text_done = false;
    uint32_t textoff = (uint32_t)ls->text->len;
    switch (t->type) {
    case TK_ID:
        code = sl_lex_keyword(s, t->len, &nonres);
        v.z = upper_dup(ls->a, s, t->len);
        v.n = t->len;
        break;
    case TK_QID: {
        long bad = bad_utf8((const unsigned char *)s, t->len);
        if (bad >= 0)
            return perr(ls->err, spliced ? span : (sl_span){t->off + (uint32_t)bad, 1},
                        "invalid UTF-8 in quoted identifier");
        v.z = unquote(ls->a, s, t->len, s[0], &v.n);
        v.quoted = true;
        if (v.n == 0)
            return perr(ls->err, span, "empty quoted identifier");
        if (memchr(v.z, '\0', v.n))
            return perr(ls->err, span, "a quoted identifier may not contain NUL");
        break;
    }
    case TK_STRING: {
        long bad = bad_utf8((const unsigned char *)s, t->len);
        if (bad >= 0)
            return perr(ls->err, spliced ? span : (sl_span){t->off + (uint32_t)bad, 1},
                        "invalid UTF-8 in string literal");
        v.z = unquote(ls->a, s, t->len, '\'', &v.n);
        if (!spliced) {
            bool changed;
            if (string_vars(ls, &v, s, t->off, &changed) < 0)
                return -1;
            if (changed) {
                sl_buf_putc(ls->text, '\'');
                for (uint32_t i = 0; i < v.n; i++) {
                    if (v.z[i] == '\'')
                        sl_buf_putc(ls->text, '\'');
                    sl_buf_putc(ls->text, v.z[i]);
                }
                sl_buf_putc(ls->text, '\'');
                text_done = true;
            }
        }
        break;
    }
    case TK_INTEGER:
    case TK_DECIMAL:
    case TK_DOUBLE:
        v.z = upper_dup(ls->a, s, t->len);
        v.n = t->len;
        break;
    default:
        v.z = sl_arena_strndup(ls->a, s, t->len);
        v.n = t->len;
        break;
    }
    if (!spliced && !text_done)
        sl_buf_append(ls->text, s, t->len);
    push_tok(ls->tv, code, nonres, v, textoff);
    return 0;
}

/* Lexes the value of ${name} on its own and splices its tokens in. */
static int splice_var(lexstate *ls, const char *name, sl_span ref)
{
    const char *val = ls->p && ls->p->lookup ? ls->p->lookup(ls->p->ud, name) : NULL;
    if (!val)
        return perr(ls->err, ref, "undefined variable '%s'", name);
    size_t n = strlen(val);
    char *vb = sl_arena_alloc(ls->a, n + 1);
    memcpy(vb, val, n + 1);
    size_t pos = 0;
    int ntoks = 0;
    for (;;) {
        sl_rawtok t;
        sl_lex_scan(vb, n, pos, &t);
        if (t.type == SL_TK_EOF)
            break;
        pos = (size_t)t.off + t.len;
        if (t.type == SL_TK_SPACE || t.type == SL_TK_COMMENT)
            continue;
        if (t.type == TK_SEMI)
            return perr(ls->err, ref, "the value of variable '%s' may not contain ';'", name);
        if (t.type == SL_TK_VAR)
            return perr(ls->err, ref, "the value of variable '%s' may not refer to a variable",
                        name);
        if (t.type == SL_TK_ERR_STRING || t.type == SL_TK_ERR_QUOTED ||
            t.type == SL_TK_ERR_COMMENT)
            return perr(ls->err, ref, "the value of variable '%s' holds an unterminated %s", name,
                        t.type == SL_TK_ERR_STRING ? "string literal"
                        : t.type == SL_TK_ERR_QUOTED ? "quoted identifier" : "comment");
        if (t.type >= SL_TK_SPACE)
            return perr(ls->err, ref, "the value of variable '%s' holds an invalid character",
                        name);
        if (ntoks++)
            sl_buf_putc(ls->text, ' ');
        if (add_token(ls, vb, &t, ref, true) < 0)
            return -1;
        sl_buf_append(ls->text, vb + t.off, t.len);
    }
    if (ntoks == 0)
        return perr(ls->err, ref, "the value of variable '%s' is empty", name);
    return 0;
}

/* Lexes one statement starting at *pos into tv and text. until_semi: stop
 * after a ';' (statements) or run to the end (an expression or a type).
 * Returns 1 with tokens, 0 at the end of input, -1 on error (and *pos is
 * moved past the next ';'). */
static int lex_statement(sl_parser *p, sl_arena *a, size_t *pos, bool until_semi, tokvec *tv,
                         sl_buf *text, sl_span *semi, sl_error *err)
{
    lexstate ls = {p, a, text, tv, err, 0};
    *semi = SL_NOSPAN;
    size_t at = *pos;
    for (;;) {
        sl_rawtok t;
        sl_lex_scan(p->buf, p->len, at, &t);
        sl_span span = {t.off, t.len};
        if (t.type == SL_TK_EOF) {
            at = p->len;
            break;
        }
        at = (size_t)t.off + t.len;
        if (t.type == SL_TK_SPACE || t.type == SL_TK_COMMENT)
            continue;
        if (t.type == TK_SEMI && until_semi) {
            if (tv->n == 0)
                continue;           /* an empty statement */
            *semi = span;
            break;
        }
        if (tv->n > 0)
            sl_buf_append(text, p->buf + ls.prev_end, t.off - ls.prev_end);
        ls.prev_end = t.off + t.len;
        int rc = 0;
        if (t.type == SL_TK_VAR) {
            char *name = sl_arena_strndup(a, p->buf + t.off + 2, t.len - 3);
            rc = splice_var(&ls, name, span);
        } else if (t.type >= SL_TK_SPACE) {
            lexerr(p->buf, &t, span, err);
            rc = -1;
        } else {
            rc = add_token(&ls, p->buf, &t, span, false);
        }
        if (rc < 0) {
            /* skip to the next ';' so the caller may go on */
            while (until_semi) {
                sl_lex_scan(p->buf, p->len, at, &t);
                if (t.type == SL_TK_EOF) {
                    at = p->len;
                    break;
                }
                at = (size_t)t.off + t.len;
                if (t.type == TK_SEMI)
                    break;
            }
            *pos = until_semi ? at : p->len;
            return -1;
        }
    }
    *pos = at;
    return tv->n > 0 ? 1 : 0;
}

/* Feeds tokens to lemon after the start token; fills ctx. */
static void feed(sl_pctx *ctx, int start, tokvec *tv)
{
    void *lp = sl_lemonAlloc(malloc);
    if (!lp)
        abort();
    sl_tok none = {"", 0, SL_NOSPAN, false};
    sl_lemon(lp, start, none, ctx);
    for (int i = 0; i < tv->n && !ctx->failed; i++) {
        ptok *t = &tv->v[i];
        int code = t->code;
        if (t->nonreserved) {
            int next = i + 1 < tv->n ? tv->v[i + 1].code : 0;
            bool kw = sl_lemon_accepts(lp, code);
            if (kw && code == TK_MAP)
                kw = next == TK_LP || next == TK_LT;
            else if (kw && code == TK_STRUCT)
                kw = next == TK_LP || next == TK_LT || next == TK_NE;   /* STRUCT<> */
            else if (kw && code == TK_ARRAY)
                kw = next == TK_LBRACKET || next == TK_LT;
            if (!kw && sl_lemon_accepts(lp, TK_ID))
                code = TK_ID;
        }
        sl_lemon(lp, code, t->v, ctx);
    }
    if (!ctx->failed) {
        sl_tok eof = {"", 0, ctx->end, false};
        sl_lemon(lp, 0, eof, ctx);
    }
    sl_lemonFree(lp, free);
}

static char *padded_copy(const char *text, size_t len)
{
    char *b = malloc(len + 1);
    if (!b)
        abort();
    if (len)
        memcpy(b, text, len);
    b[len] = '\0';
    return b;
}

/* ---------------- public API ---------------- */

sl_parser *sl_parser_new(const char *text, size_t len, sl_var_lookup lookup, void *ud)
{
    if (len >= UINT32_MAX - 1)
        return NULL;    /* spans are 32-bit offsets */
    sl_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->buf = padded_copy(text ? text : "", text ? len : 0);
    p->len = text ? len : 0;
    p->lookup = lookup;
    p->ud = ud;
    return p;
}

void sl_parser_free(sl_parser *p)
{
    if (!p)
        return;
    free(p->buf);
    free(p);
}

static void fix_query_span(sl_select *q, sl_span end)
{
    if (q)
        q->span = sl_span_join(q->span, end);
}

int sl_parser_next(sl_parser *p, sl_arena *a, sl_stmt **out, sl_error *err)
{
    *out = NULL;
    sl_error_clear(err);
    tokvec tv = {NULL, 0, 0};
    sl_buf text = SL_BUF_INIT;
    sl_span semi;
    int rc = lex_statement(p, a, &p->pos, true, &tv, &text, &semi, err);
    if (rc <= 0) {
        free(tv.v);
        sl_buf_fini(&text);
        return rc;
    }
    sl_span first = tv.v[0].v.span, last = tv.v[tv.n - 1].v.span;
    sl_pctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.a = a;
    ctx.err = err;
    ctx.end = semi.off != SL_NOPOS ? semi : (sl_span){last.off + last.len, 0};
    cur_text = p->buf;
    cur_len = p->len;
    feed(&ctx, TK_START_STMT, &tv);
    cur_text = NULL;
    if (!ctx.failed && !ctx.stmt)
        sl_pctx_error(&ctx, ctx.end, "syntax error");
    if (ctx.failed) {
        free(tv.v);
        sl_buf_fini(&text);
        return -1;
    }
    sl_stmt *s = ctx.stmt;
    s->span = sl_span_join(first, last);
    s->text = sl_arena_strndup(a, sl_buf_cstr(&text), text.len);
    fix_query_span(s->query, last);
    if (s->explained && tv.n > 1) {
        sl_stmt *x = s->explained;
        x->span = sl_span_join(tv.v[1].v.span, last);
        x->text = s->text + tv.v[1].textoff;
        fix_query_span(x->query, last);
    }
    free(tv.v);
    sl_buf_fini(&text);
    *out = s;
    return 1;
}

static int parse_one(const char *text, size_t len, sl_arena *a, int start, sl_pctx *ctx,
                     sl_error *err)
{
    sl_error_clear(err);
    if (len >= UINT32_MAX - 1)
        return perr(err, SL_NOSPAN, "input too long");
    sl_parser p;
    memset(&p, 0, sizeof p);
    p.buf = padded_copy(text ? text : "", text ? len : 0);
    p.len = text ? len : 0;
    tokvec tv = {NULL, 0, 0};
    sl_buf tb = SL_BUF_INIT;
    sl_span semi;
    size_t pos = 0;
    int rc = lex_statement(&p, a, &pos, false, &tv, &tb, &semi, err);
    if (rc >= 0) {
        memset(ctx, 0, sizeof *ctx);
        ctx->a = a;
        ctx->err = err;
        ctx->end = (sl_span){(uint32_t)p.len, 0};
        cur_text = p.buf;
        cur_len = p.len;
        feed(ctx, start, &tv);
        cur_text = NULL;
        rc = ctx->failed ? -1 : 0;
    }
    free(tv.v);
    sl_buf_fini(&tb);
    free(p.buf);
    return rc;
}

int sl_parse_expr(const char *text, size_t len, sl_arena *a, sl_expr **out, sl_error *err)
{
    sl_pctx ctx;
    *out = NULL;
    if (parse_one(text, len, a, TK_START_EXPR, &ctx, err) < 0)
        return -1;
    if (!ctx.expr)
        return perr(err, ctx.end, "expected an expression");
    *out = ctx.expr;
    return 0;
}

int sl_parse_type(const char *text, size_t len, sl_arena *a, sl_ast_type **out, sl_error *err)
{
    sl_pctx ctx;
    *out = NULL;
    if (parse_one(text, len, a, TK_START_TYPE, &ctx, err) < 0)
        return -1;
    if (!ctx.type)
        return perr(err, ctx.end, "expected a type");
    *out = ctx.type;
    return 0;
}

bool sl_text_complete(const char *text, size_t len)
{
    if (!text || len >= UINT32_MAX - 1)
        return false;
    char *b = padded_copy(text, len);
    bool complete = false;
    size_t pos = 0;
    for (;;) {
        sl_rawtok t;
        sl_lex_scan(b, len, pos, &t);
        if (t.type == SL_TK_EOF)
            break;
        pos = (size_t)t.off + t.len;
        if (t.type == SL_TK_SPACE || t.type == SL_TK_COMMENT)
            continue;
        complete = t.type == TK_SEMI;
    }
    free(b);
    return complete;
}

const char *const *sl_keywords(void)
{
    return sl_lex_keywords();
}
