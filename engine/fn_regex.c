/*
 * fn_regex.c: the regular expression functions of ksqlDB (category STRING),
 * on PCRE2 in UTF mode: REGEXP_EXTRACT, REGEXP_EXTRACT_ALL, REGEXP_REPLACE,
 * REGEXP_SPLIT_TO_ARRAY.
 *
 * A constant pattern is compiled once by `prepare` (a bad one is an error at
 * compile time); a pattern that varies per row is compiled per call, keeping
 * the last one compiled (a call site is evaluated by one thread at a time).
 * Every match runs under a match and depth limit, so a pathological pattern
 * gives a row error instead of hanging a task.
 *
 * Iteration follows java.util.regex as ksqlDB uses it: after an empty match
 * the next search starts one character later; REGEXP_REPLACE understands
 * Java's replacement syntax ($n, ${name}, \x). Pattern syntax is PCRE2's,
 * which agrees with Java's for everything but exotic constructs.
 *
 * Not here: LIKE (the expression compiler), the other string functions.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "func.h"

#define MATCH_LIMIT 1000000u
#define DEPTH_LIMIT 10000u
#define MAX_RESULT (64u * 1024u * 1024u)

/* ------------------------------------------------------ shared context */

static pcre2_match_context *g_mctx;
static pthread_once_t g_mctx_once = PTHREAD_ONCE_INIT;

static void mctx_init(void)
{
    g_mctx = pcre2_match_context_create(NULL);
    if (g_mctx) {
        pcre2_set_match_limit(g_mctx, MATCH_LIMIT);
        pcre2_set_depth_limit(g_mctx, DEPTH_LIMIT);
    }
}

static pcre2_match_context *mctx(void)
{
    pthread_once(&g_mctx_once, mctx_init);
    return g_mctx;
}

/* Length in bytes of the UTF-8 character at s[i] (1 for a stray byte). */
static size_t cplen(const char *s, size_t n, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return i + k <= n ? k : 1;
}

/* ------------------------------------------------------------ patterns */

typedef struct rx_state {
    int pat_arg;            /* which argument holds the pattern */
    pcre2_code *fixed;      /* compiled at prepare (constant pattern) */
    pcre2_code *last;       /* last pattern compiled at run time */
    char *last_pat;         /* its text (malloc) */
    size_t last_len;
} rx_state;

/* Compiles; on failure writes the reason into msg. */
static pcre2_code *rx_compile(const char *p, size_t n, char *msg, size_t msgsz)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)p, n, PCRE2_UTF, &ec, &off, NULL);
    if (!code) {
        PCRE2_UCHAR em[200];
        pcre2_get_error_message(ec, em, sizeof em);
        snprintf(msg, msgsz, "Invalid regular expression pattern: %.*s (%s at offset %zu)",
                 (int)(n > 200 ? 200 : n), p, (const char *)em, (size_t)off);
        return NULL;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);    /* optional: falls back to the interpreter */
    return code;
}

static void rx_release(void *state)
{
    rx_state *st = state;
    if (!st) return;
    pcre2_code_free(st->fixed);
    pcre2_code_free(st->last);
    free(st->last_pat);
    st->fixed = st->last = NULL;
    st->last_pat = NULL;
}

static int rx_prepare_at(int pat_arg, sl_arena *a, const sl_value *const *consts, void **state,
                         sl_error *err)
{
    rx_state *st = sl_arena_zalloc(a, sizeof *st);
    st->pat_arg = pat_arg;
    const sl_value *pv = consts ? consts[pat_arg] : NULL;
    if (pv && pv->kind == SL_STRING) {
        char msg[400];
        st->fixed = rx_compile(pv->u.s.ptr, pv->u.s.len, msg, sizeof msg);
        if (!st->fixed) return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s", msg);
    }
    *state = st;
    return 0;
}

static int prep_arg0(sl_arena *a, const sl_type *const *t, int n, const sl_value *const *consts,
                     void **state, sl_error *err)
{
    return rx_prepare_at(0, a, consts, state, err);
}

static int prep_arg1(sl_arena *a, const sl_type *const *t, int n, const sl_value *const *consts,
                     void **state, sl_error *err)
{
    return rx_prepare_at(1, a, consts, state, err);
}

/* The compiled pattern for this call. *tofree is set when the caller must free it. */
static int rx_get(sl_fcall *c, const sl_value *pat, pcre2_code **code, pcre2_code **tofree)
{
    rx_state *st = c->state;
    const char *p = pat->u.s.ptr;
    size_t n = pat->u.s.len;
    *tofree = NULL;
    if (st && st->fixed) { *code = st->fixed; return 0; }
    if (st && st->last && st->last_len == n && memcmp(st->last_pat, p, n) == 0) {
        *code = st->last;
        return 0;
    }
    char msg[400];
    pcre2_code *cc = rx_compile(p, n, msg, sizeof msg);
    if (!cc) return sl_fn_error(c, "%s", msg);
    if (st) {
        char *copy = malloc(n ? n : 1);
        if (copy) {
            memcpy(copy, p, n);
            pcre2_code_free(st->last);
            free(st->last_pat);
            st->last = cc;
            st->last_pat = copy;
            st->last_len = n;
            *code = cc;
            return 0;
        }
    }
    *code = cc;
    *tofree = cc;
    return 0;
}

/* One search from `start`: 1 found (ovector in md), 0 none, -1 row error. */
static int rx_find(sl_fcall *c, pcre2_code *code, pcre2_match_data *md, const char *s, size_t n,
                   size_t start, uint32_t opts)
{
    int rc = pcre2_match(code, (PCRE2_SPTR)s, n, start, opts, md, mctx());
    if (rc >= 0) return 1;
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
        return sl_fn_error(c, "regular expression is too expensive to match (limit exceeded)");
    PCRE2_UCHAR em[200];
    pcre2_get_error_message(rc, em, sizeof em);
    return sl_fn_error(c, "regular expression match failed: %s", (const char *)em);
}

/* Where the search after the match [ms, me) starts (Java's find()). */
static size_t next_start(const char *s, size_t n, size_t ms, size_t me)
{
    if (me > ms) return me;
    return me < n ? me + cplen(s, n, me) : n + 1;
}

typedef struct rx_call {
    pcre2_code *code, *tofree;
    pcre2_match_data *md;
} rx_call;

static int call_open(sl_fcall *c, const sl_value *pat, rx_call *rc)
{
    memset(rc, 0, sizeof *rc);
    if (rx_get(c, pat, &rc->code, &rc->tofree)) return -1;
    rc->md = pcre2_match_data_create_from_pattern(rc->code, NULL);
    if (!rc->md) {
        pcre2_code_free(rc->tofree);
        return sl_fn_error(c, "out of memory for a regular expression match");
    }
    return 0;
}

static void call_close(rx_call *rc)
{
    pcre2_match_data_free(rc->md);
    pcre2_code_free(rc->tofree);
}

static uint32_t capture_count(pcre2_code *code)
{
    uint32_t n = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &n);
    return n;
}

/* Group g of the last match as a STRING value (NULL when it did not take part). */
static sl_value group_value(pcre2_match_data *md, const char *s, uint32_t g)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (ov[2 * g] == PCRE2_UNSET) return sl_null();
    return sl_string_ref(s + ov[2 * g], (uint32_t)(ov[2 * g + 1] - ov[2 * g]));
}

/* ------------------------------------------------------ REGEXP_EXTRACT */

static int extract_impl(sl_fcall *c, const sl_value *a, int na, bool all, sl_value *out)
{
    int32_t g = na > 2 ? a[2].u.i32 : 0;
    if (g < 0) return sl_fn_error(c, "No group %d", g);
    rx_call rc;
    if (call_open(c, &a[0], &rc)) return -1;
    const char *s = a[1].u.s.ptr;
    size_t n = a[1].u.s.len;
    int ret = 0;
    if ((uint32_t)g > capture_count(rc.code)) {
        *out = sl_null();
        goto done;
    }
    if (!all) {
        int f = rx_find(c, rc.code, rc.md, s, n, 0, 0);
        if (f < 0) { ret = -1; goto done; }
        *out = f ? group_value(rc.md, s, (uint32_t)g) : sl_null();
        goto done;
    }
    uint32_t cap = 8, cnt = 0;
    sl_value *items = sl_arena_alloc(c->arena, cap * sizeof *items);
    size_t pos = 0;
    while (pos <= n) {
        int f = rx_find(c, rc.code, rc.md, s, n, pos, 0);
        if (f < 0) { ret = -1; goto done; }
        if (!f) break;
        if (cnt == cap) {
            items = sl_arena_realloc(c->arena, items, cap * sizeof *items, 2 * cap * sizeof *items);
            cap *= 2;
        }
        items[cnt++] = group_value(rc.md, s, (uint32_t)g);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rc.md);
        pos = next_start(s, n, ov[0], ov[1]);
    }
    sl_value v = {0};
    v.kind = SL_ARRAY;
    v.u.arr.items = items;
    v.u.arr.n = cnt;
    *out = v;
done:
    call_close(&rc);
    return ret;
}

static int fn_extract(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return extract_impl(c, a, na, false, out);
}

static int fn_extract_all(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    return extract_impl(c, a, na, true, out);
}

/* ------------------------------------------------------ REGEXP_REPLACE */

typedef struct obuf {
    sl_arena *a;
    char *p;
    size_t len, cap;
    bool toolong;
} obuf;

static void ob_put(obuf *b, const char *s, size_t n)
{
    if (b->toolong) return;
    if (n > MAX_RESULT - b->len) { b->toolong = true; return; }
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        while (nc < b->len + n) nc *= 2;
        b->p = b->p ? sl_arena_realloc(b->a, b->p, b->cap, nc) : sl_arena_alloc(b->a, nc);
        b->cap = nc;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* Appends Java's replacement text for the current match. */
static int append_replacement(sl_fcall *c, obuf *b, pcre2_code *code, pcre2_match_data *md,
                              const char *s, const char *r, size_t rn)
{
    uint32_t ngroups = capture_count(code);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    for (size_t i = 0; i < rn;) {
        char ch = r[i];
        if (ch == '\\') {
            if (i + 1 >= rn) return sl_fn_error(c, "character to be escaped is missing");
            ob_put(b, &r[i + 1], 1);
            i += 2;
            continue;
        }
        if (ch != '$') {
            ob_put(b, &r[i], 1);
            i++;
            continue;
        }
        i++;
        if (i >= rn) return sl_fn_error(c, "Illegal group reference: group index is missing");
        uint32_t g;
        if (r[i] == '{') {
            size_t j = i + 1;
            while (j < rn && r[j] != '}') j++;
            if (j >= rn || j == i + 1)
                return sl_fn_error(c, "named capturing group is missing trailing '}'");
            char name[128];
            size_t nl = j - i - 1 < sizeof name - 1 ? j - i - 1 : sizeof name - 1;
            memcpy(name, r + i + 1, nl);
            name[nl] = 0;
            int num = pcre2_substring_number_from_name(code, (PCRE2_SPTR)name);
            if (num < 0) return sl_fn_error(c, "No group with name {%s}", name);
            g = (uint32_t)num;
            i = j + 1;
        } else {
            if (r[i] < '0' || r[i] > '9')
                return sl_fn_error(c, "Illegal group reference");
            g = (uint32_t)(r[i] - '0');
            if (g > ngroups) return sl_fn_error(c, "No group %u", g);
            i++;
            /* more digits while the number still names a group */
            while (i < rn && r[i] >= '0' && r[i] <= '9') {
                uint32_t ng = g * 10 + (uint32_t)(r[i] - '0');
                if (ng > ngroups) break;
                g = ng;
                i++;
            }
        }
        if (ov[2 * g] != PCRE2_UNSET) ob_put(b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
    }
    return 0;
}

static int fn_replace(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    rx_call rc;
    if (call_open(c, &a[1], &rc)) return -1;
    const char *s = a[0].u.s.ptr, *r = a[2].u.s.ptr;
    size_t n = a[0].u.s.len, rn = a[2].u.s.len;
    obuf b = {c->arena, NULL, 0, 0, false};
    ob_put(&b, "", 0);
    int ret = 0;
    size_t pos = 0, last = 0;
    while (pos <= n) {
        int f = rx_find(c, rc.code, rc.md, s, n, pos, 0);
        if (f < 0) { ret = -1; goto done; }
        if (!f) break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rc.md);
        size_t ms = ov[0], me = ov[1];
        ob_put(&b, s + last, ms - last);
        if (append_replacement(c, &b, rc.code, rc.md, s, r, rn)) { ret = -1; goto done; }
        last = me;
        pos = next_start(s, n, ms, me);
    }
    ob_put(&b, s + last, n - last);
    if (b.toolong) {
        ret = sl_fn_error(c, "result exceeds %u bytes", MAX_RESULT);
        goto done;
    }
    if (!b.p) b.p = sl_arena_alloc(c->arena, 1);
    *out = sl_string_ref(b.p, (uint32_t)b.len);
done:
    call_close(&rc);
    return ret;
}

/* ----------------------------------------------- REGEXP_SPLIT_TO_ARRAY */

typedef struct pieces {
    sl_arena *a;
    sl_value *v;
    uint32_t n, cap;
} pieces;

static void add_piece(pieces *p, const char *s, size_t len)
{
    if (p->n == p->cap) {
        uint32_t nc = p->cap ? p->cap * 2 : 8;
        p->v = p->v ? sl_arena_realloc(p->a, p->v, p->cap * sizeof *p->v, nc * sizeof *p->v)
                    : sl_arena_alloc(p->a, nc * sizeof *p->v);
        p->cap = nc;
    }
    p->v[p->n++] = sl_string_ref(s, (uint32_t)len);
}

static int fn_split(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    rx_call rc;
    if (call_open(c, &a[1], &rc)) return -1;
    const char *s = a[0].u.s.ptr;
    size_t n = a[0].u.s.len;
    pieces p = {c->arena, NULL, 0, 0};
    int ret = 0;
    /* Does the pattern match the empty string as a whole? Then Java's split
     * rules apply (no leading empty piece for a match at 0, trailing empty
     * pieces dropped); otherwise Guava's splitter (every piece kept). */
    int em = rx_find(c, rc.code, rc.md, "", 0, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED);
    if (em < 0) { ret = -1; goto done; }
    size_t pos = 0, piece = 0;
    if (em) {
        while (pos <= n) {
            int f = rx_find(c, rc.code, rc.md, s, n, pos, 0);
            if (f < 0) { ret = -1; goto done; }
            if (!f) break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rc.md);
            size_t ms = ov[0], me = ov[1];
            pos = next_start(s, n, ms, me);
            if (piece == 0 && ms == 0 && me == 0) continue;
            add_piece(&p, s + piece, ms - piece);
            piece = me;
        }
        if (piece == 0) {
            p.n = 0;
            add_piece(&p, s, n);
        } else {
            add_piece(&p, s + piece, n - piece);
            while (p.n > 0 && p.v[p.n - 1].u.s.len == 0) p.n--;
        }
    } else {
        while (pos <= n) {
            int f = rx_find(c, rc.code, rc.md, s, n, pos, 0);
            if (f < 0) { ret = -1; goto done; }
            if (!f) break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rc.md);
            size_t ms = ov[0], me = ov[1];
            if (me == ms && ms == piece) {      /* an empty separator at a piece start: skip */
                pos = next_start(s, n, ms, me);
                continue;
            }
            add_piece(&p, s + piece, ms - piece);
            piece = me;
            pos = next_start(s, n, ms, me);
        }
        add_piece(&p, s + piece, n - piece);
    }
    sl_value v = {0};
    v.kind = SL_ARRAY;
    v.u.arr.items = p.v ? p.v : sl_arena_alloc(c->arena, sizeof(sl_value));
    v.u.arr.n = p.n;
    *out = v;
done:
    call_close(&rc);
    return ret;
}

/* ------------------------------------------------------------ registry */

#define NN SL_FNF_NULL_ON_NULL

static const sl_overload ov_extract[] = {
    {"pattern STRING, input STRING -> STRING", fn_extract, NN, prep_arg0, rx_release, NULL, NULL},
    {"pattern STRING, input STRING, group INT -> STRING", fn_extract, NN, prep_arg0, rx_release,
     NULL, NULL},
};
static const sl_overload ov_extract_all[] = {
    {"pattern STRING, input STRING -> ARRAY<STRING>", fn_extract_all, NN, prep_arg0, rx_release,
     NULL, NULL},
    {"pattern STRING, input STRING, group INT -> ARRAY<STRING>", fn_extract_all, NN, prep_arg0,
     rx_release, NULL, NULL},
};
static const sl_overload ov_replace[] = {
    {"input STRING, regexp STRING, replacement STRING -> STRING", fn_replace, NN, prep_arg1,
     rx_release, NULL, NULL},
};
static const sl_overload ov_split[] = {
    {"input STRING, regexp STRING -> ARRAY<STRING>", fn_split, NN, prep_arg1, rx_release, NULL,
     NULL},
};

static const sl_function regex_functions[] = {
    {"REGEXP_EXTRACT", SL_FN_SCALAR, "STRING",
     "The first substring matching a regular expression, or the given capturing group of that "
     "match; NULL when nothing matches.",
     ov_extract, 2},
    {"REGEXP_EXTRACT_ALL", SL_FN_SCALAR, "STRING",
     "Every substring matching a regular expression (or the given capturing group of each match).",
     ov_extract_all, 2},
    {"REGEXP_REPLACE", SL_FN_SCALAR, "STRING",
     "Replaces every match of a regular expression; the replacement may refer to groups as $n or "
     "${name}.",
     ov_replace, 1},
    {"REGEXP_SPLIT_TO_ARRAY", SL_FN_SCALAR, "STRING",
     "Splits a string at every match of a regular expression; an empty expression splits into "
     "characters.",
     ov_split, 1},
};

void sl_fn_register_regex(sl_registry *r)
{
    for (size_t i = 0; i < sizeof regex_functions / sizeof regex_functions[0]; i++)
        sl_registry_add(r, &regex_functions[i]);
}
