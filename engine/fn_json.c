/*
 * fn_json.c: ksqlDB's JSON functions (category JSON): EXTRACTJSONFIELD,
 * JSON_ARRAY_LENGTH, JSON_CONCAT, JSON_KEYS, JSON_RECORDS, IS_JSON_STRING
 * and TO_JSON_STRING.
 *
 * A small strict JSON parser of our own (RFC 8259: no comments, no trailing
 * commas, no NaN; nesting limited to 1000) reads the text into a tree in the
 * call's arena. Like ksqlDB's Jackson setup, an object keeps one value per
 * key (the last one, at the place of the first), numbers keep their exact
 * text, and re-serialising is compact: no spaces, exponents written out
 * plainly (1E3 -> 1000), strings re-escaped the way Jackson does. Text that
 * is not JSON (or has anything but whitespace after the value) gives NULL
 * (IS_JSON_STRING: false).
 *
 * EXTRACTJSONFIELD takes ksqlDB's JSONPath subset: $, .name, ['name'],
 * ["name"], [index]; a constant path is checked once at compile time.
 * TO_JSON_STRING renders any SQL value: map keys and struct fields sorted
 * by name, BYTES as (MIME) base64, DATE/TIME/TIMESTAMP as ISO text (UTC),
 * DOUBLE as Java prints it.
 *
 * Not here: the JSON record format (formats/), which never uses this code.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "func.h"

#define MAX_DEPTH 1000
#define DEDUPE_MAX 4096     /* objects with more members are not checked for repeated keys */
#define MAX_RESULT (64u * 1024u * 1024u)

/* ------------------------------------------------------------ the tree */

typedef enum jkind { J_NULL, J_TRUE, J_FALSE, J_NUM, J_STR, J_ARR, J_OBJ } jkind;

typedef struct jv jv;
typedef struct jmem { const char *k; size_t kn; jv *v; } jmem;

struct jv {
    jkind k;
    const char *s;      /* J_STR: decoded UTF-8; J_NUM: the text */
    size_t n;
    jv **items;         /* J_ARR */
    jmem *mems;         /* J_OBJ */
    uint32_t cnt, cap;
};

typedef struct jparser {
    sl_arena *a;
    const char *p, *e;
    int depth;
} jparser;

static void skip_ws(jparser *jp)
{
    while (jp->p < jp->e && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

static jv *jnew(jparser *jp, jkind k)
{
    jv *v = sl_arena_zalloc(jp->a, sizeof *v);
    v->k = k;
    return v;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static size_t put_cp(char *o, uint32_t cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F)); return 4;
}

static int read_hex4(const char *p, const char *e, uint32_t *out)
{
    if (e - p < 4) return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)p[i]);
        if (h < 0) return -1;
        v = v * 16 + (uint32_t)h;
    }
    *out = v;
    return 0;
}

/* A string literal (jp->p at the opening quote): decoded into the arena. */
static int parse_str(jparser *jp, const char **out, size_t *outn)
{
    const char *p = jp->p + 1, *e = jp->e;
    const char *q = p;
    bool esc = false;
    while (q < e && *q != '"') {
        if ((unsigned char)*q < 0x20) return -1;
        if (*q == '\\') { esc = true; q++; if (q >= e) return -1; }
        q++;
    }
    if (q >= e) return -1;
    if (!esc) {
        *out = p;
        *outn = (size_t)(q - p);
        jp->p = q + 1;
        return 0;
    }
    char *o = sl_arena_alloc(jp->a, (size_t)(q - p) + 4);
    size_t j = 0;
    while (p < q) {
        if (*p != '\\') { o[j++] = *p++; continue; }
        p++;
        char ch = *p++;
        switch (ch) {
        case '"': o[j++] = '"'; break;
        case '\\': o[j++] = '\\'; break;
        case '/': o[j++] = '/'; break;
        case 'b': o[j++] = '\b'; break;
        case 'f': o[j++] = '\f'; break;
        case 'n': o[j++] = '\n'; break;
        case 'r': o[j++] = '\r'; break;
        case 't': o[j++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (read_hex4(p, q, &cp)) return -1;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (q - p >= 6 && p[0] == '\\' && p[1] == 'u' && !read_hex4(p + 2, q, &lo) &&
                    lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            j += put_cp(o + j, cp);
            break;
        }
        default: return -1;
        }
    }
    *out = o;
    *outn = j;
    jp->p = q + 1;
    return 0;
}

static bool isdig(char c) { return c >= '0' && c <= '9'; }

static int parse_num(jparser *jp, jv **out)
{
    const char *p = jp->p, *e = jp->e, *b = p;
    if (p < e && *p == '-') p++;
    if (p >= e || !isdig(*p)) return -1;
    if (*p == '0') p++;
    else while (p < e && isdig(*p)) p++;
    if (p < e && *p == '.') {
        p++;
        if (p >= e || !isdig(*p)) return -1;
        while (p < e && isdig(*p)) p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || !isdig(*p)) return -1;
        while (p < e && isdig(*p)) p++;
    }
    jv *v = jnew(jp, J_NUM);
    v->s = b;
    v->n = (size_t)(p - b);
    jp->p = p;
    *out = v;
    return 0;
}

static int parse_value(jparser *jp, jv **out);

static void obj_put(jparser *jp, jv *o, const char *k, size_t kn, jv *val)
{
    if (o->cnt <= DEDUPE_MAX) {
        for (uint32_t i = 0; i < o->cnt; i++) {
            if (o->mems[i].kn == kn && memcmp(o->mems[i].k, k, kn) == 0) {
                o->mems[i].v = val;
                return;
            }
        }
    }
    if (o->cnt == o->cap) {
        uint32_t nc = o->cap ? o->cap * 2 : 8;
        o->mems = o->mems ? sl_arena_realloc(jp->a, o->mems, o->cap * sizeof *o->mems,
                                             nc * sizeof *o->mems)
                          : sl_arena_alloc(jp->a, nc * sizeof *o->mems);
        o->cap = nc;
    }
    o->mems[o->cnt++] = (jmem){k, kn, val};
}

static void arr_push(sl_arena *a, jv *arr, jv *item)
{
    if (arr->cnt == arr->cap) {
        uint32_t nc = arr->cap ? arr->cap * 2 : 8;
        arr->items = arr->items ? sl_arena_realloc(a, arr->items, arr->cap * sizeof *arr->items,
                                                   nc * sizeof *arr->items)
                                : sl_arena_alloc(a, nc * sizeof *arr->items);
        arr->cap = nc;
    }
    arr->items[arr->cnt++] = item;
}

static bool lit(jparser *jp, const char *w, size_t n)
{
    if ((size_t)(jp->e - jp->p) < n || memcmp(jp->p, w, n) != 0) return false;
    jp->p += n;
    return true;
}

static int parse_value(jparser *jp, jv **out)
{
    skip_ws(jp);
    if (jp->p >= jp->e) return -1;
    char c = *jp->p;
    if (c == '{' || c == '[') {
        if (++jp->depth > MAX_DEPTH) return -1;
        jp->p++;
        jv *v = jnew(jp, c == '{' ? J_OBJ : J_ARR);
        skip_ws(jp);
        char close = c == '{' ? '}' : ']';
        if (jp->p < jp->e && *jp->p == close) {
            jp->p++;
            jp->depth--;
            *out = v;
            return 0;
        }
        for (;;) {
            skip_ws(jp);
            if (c == '{') {
                const char *k;
                size_t kn;
                if (jp->p >= jp->e || *jp->p != '"' || parse_str(jp, &k, &kn)) return -1;
                skip_ws(jp);
                if (jp->p >= jp->e || *jp->p != ':') return -1;
                jp->p++;
                jv *val;
                if (parse_value(jp, &val)) return -1;
                obj_put(jp, v, k, kn, val);
            } else {
                jv *item;
                if (parse_value(jp, &item)) return -1;
                arr_push(jp->a, v, item);
            }
            skip_ws(jp);
            if (jp->p >= jp->e) return -1;
            if (*jp->p == ',') { jp->p++; continue; }
            if (*jp->p == close) { jp->p++; break; }
            return -1;
        }
        jp->depth--;
        *out = v;
        return 0;
    }
    if (c == '"') {
        jv *v = jnew(jp, J_STR);
        if (parse_str(jp, &v->s, &v->n)) return -1;
        *out = v;
        return 0;
    }
    if (c == '-' || isdig(c)) return parse_num(jp, out);
    if (lit(jp, "true", 4)) { *out = jnew(jp, J_TRUE); return 0; }
    if (lit(jp, "false", 5)) { *out = jnew(jp, J_FALSE); return 0; }
    if (lit(jp, "null", 4)) { *out = jnew(jp, J_NULL); return 0; }
    return -1;
}

/* The whole text as one JSON value, or NULL when it is not JSON. */
static jv *jparse(sl_arena *a, const char *s, size_t n)
{
    jparser jp = {a, s, s + n, 0};
    jv *v;
    if (parse_value(&jp, &v)) return NULL;
    skip_ws(&jp);
    return jp.p == jp.e ? v : NULL;
}

/* ------------------------------------------------------------- writing */

/* Output in the arena, as in the other families. */
typedef struct ob {
    sl_arena *a;
    char *p;
    size_t len, cap;
    bool toolong;
} ob;

static void ob_init(ob *b, sl_arena *a)
{
    b->a = a;
    b->cap = 64;
    b->p = sl_arena_alloc(a, b->cap);
    b->len = 0;
    b->toolong = false;
}

static void ob_put(ob *b, const char *s, size_t n)
{
    if (b->toolong) return;
    if (n > MAX_RESULT - b->len) { b->toolong = true; return; }
    if (b->len + n > b->cap) {
        size_t nc = b->cap * 2;
        while (nc < b->len + n) nc *= 2;
        b->p = sl_arena_realloc(b->a, b->p, b->cap, nc);
        b->cap = nc;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void ob_puts(ob *b, const char *s) { ob_put(b, s, strlen(s)); }
static void ob_putc(ob *b, char c) { ob_put(b, &c, 1); }

static int ob_finish(sl_fcall *c, ob *b, sl_value *out)
{
    if (b->toolong) return sl_fn_error(c, "result exceeds %u bytes", MAX_RESULT);
    *out = sl_string_ref(b->p, (uint32_t)b->len);
    return 0;
}

/* A JSON string literal, escaped as Jackson does. */
static void write_str(ob *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    ob_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[6];
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c < 0x20) {
            switch (c) {
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            default:
                u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
                u[4] = hex[c >> 4]; u[5] = hex[c & 15];
                break;
            }
        } else {
            continue;
        }
        ob_put(b, s + run, i - run);
        if (esc) ob_puts(b, esc);
        else ob_put(b, u, 6);
        run = i + 1;
    }
    ob_put(b, s + run, n - run);
    ob_putc(b, '"');
}

/* A JSON number as Jackson writes it back: integers as they are ("-0" is 0),
 * others as BigDecimal.toPlainString() of the exact value. */
static void write_num(ob *b, const char *s, size_t n)
{
    bool frac = false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '.' || s[i] == 'e' || s[i] == 'E') frac = true;
    if (!frac) {
        if (n == 2 && s[0] == '-' && s[1] == '0') ob_putc(b, '0');
        else ob_put(b, s, n);
        return;
    }
    size_t i = 0;
    bool neg = false;
    if (s[i] == '-') { neg = true; i++; }
    /* unscaled digits and scale */
    char *dig = sl_arena_alloc(b->a, n + 1);
    size_t nd = 0;
    int64_t scale = 0;
    for (; i < n && isdig(s[i]); i++) dig[nd++] = s[i];
    if (i < n && s[i] == '.') {
        for (i++; i < n && isdig(s[i]); i++) { dig[nd++] = s[i]; scale++; }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (s[i] == '+' || s[i] == '-') { eneg = s[i] == '-'; i++; }
        int64_t ex = 0;
        for (; i < n; i++) {
            ex = ex * 10 + (s[i] - '0');
            if (ex > 100000) { ob_put(b, s, n); return; }   /* absurd: keep the text */
        }
        scale += eneg ? ex : -ex;
    }
    size_t z = 0;
    while (z + 1 < nd && dig[z] == '0') z++;
    const char *d = dig + z;
    nd -= z;
    bool zero = nd == 1 && d[0] == '0';
    if (neg && !zero) ob_putc(b, '-');
    if (scale <= 0) {
        ob_put(b, d, nd);
        if (!zero)
            for (int64_t k = 0; k < -scale; k++) ob_putc(b, '0');
        return;
    }
    if ((int64_t)nd > scale) {
        ob_put(b, d, nd - (size_t)scale);
        ob_putc(b, '.');
        ob_put(b, d + nd - (size_t)scale, (size_t)scale);
    } else {
        ob_puts(b, "0.");
        for (int64_t k = 0; k < scale - (int64_t)nd; k++) ob_putc(b, '0');
        ob_put(b, d, nd);
    }
}

static void write_jv(ob *b, const jv *v)
{
    switch (v->k) {
    case J_NULL: ob_puts(b, "null"); break;
    case J_TRUE: ob_puts(b, "true"); break;
    case J_FALSE: ob_puts(b, "false"); break;
    case J_NUM: write_num(b, v->s, v->n); break;
    case J_STR: write_str(b, v->s, v->n); break;
    case J_ARR:
        ob_putc(b, '[');
        for (uint32_t i = 0; i < v->cnt; i++) {
            if (i) ob_putc(b, ',');
            write_jv(b, v->items[i]);
        }
        ob_putc(b, ']');
        break;
    case J_OBJ:
        ob_putc(b, '{');
        for (uint32_t i = 0; i < v->cnt; i++) {
            if (i) ob_putc(b, ',');
            write_str(b, v->mems[i].k, v->mems[i].kn);
            ob_putc(b, ':');
            write_jv(b, v->mems[i].v);
        }
        ob_putc(b, '}');
        break;
    }
}

static int jv_string(sl_fcall *c, const jv *v, sl_value *out)
{
    ob b;
    ob_init(&b, c->arena);
    write_jv(&b, v);
    return ob_finish(c, &b, out);
}

/* ---------------------------------------------------- EXTRACTJSONFIELD */

typedef struct jtok { const char *s; size_t n; } jtok;
typedef struct jpath { jtok *toks; int n; } jpath;

/* Parses $, .name, ['name'], ["name"], [index]; -1 with msg on a bad path. */
static int path_parse(sl_arena *a, const char *p, size_t n, jpath *out, char *msg, size_t msgsz)
{
    size_t i = 0;
    int cap = 4;
    out->toks = sl_arena_alloc(a, (size_t)cap * sizeof *out->toks);
    out->n = 0;
#define BAD(why) do { snprintf(msg, msgsz, "Invalid JSON path '%.*s': %s", \
                               (int)(n > 100 ? 100 : n), p, why); return -1; } while (0)
    if (n == 0 || p[0] != '$') BAD("it must start with '$'");
    i = 1;
    while (i < n) {
        const char *ts;
        size_t tn;
        if (p[i] == '.') {
            size_t j = ++i;
            while (j < n && p[j] != '.' && p[j] != '[') j++;
            if (j == i) BAD("empty field name");
            ts = p + i;
            tn = j - i;
            if (tn == 1 && ts[0] == '*') BAD("wildcards are not supported");
            i = j;
        } else if (p[i] == '[') {
            i++;
            if (i < n && (p[i] == '\'' || p[i] == '"')) {
                char q = p[i++];
                char *buf = sl_arena_alloc(a, n);
                size_t bn = 0;
                while (i < n && p[i] != q) {
                    if (p[i] == '\\' && i + 1 < n) i++;
                    buf[bn++] = p[i++];
                }
                if (i >= n) BAD("unterminated quoted name");
                i++;
                ts = buf;
                tn = bn;
            } else {
                size_t j = i;
                while (j < n && p[j] != ']') j++;
                if (j == i) BAD("empty subscript");
                ts = p + i;
                tn = j - i;
                if (tn == 1 && ts[0] == '*') BAD("wildcards are not supported");
                for (size_t k = 0; k < tn; k++)
                    if (!isdig(ts[k]) && !(k == 0 && ts[k] == '-')) BAD("subscript is not a number");
                i = j;
            }
            if (i >= n || p[i] != ']') BAD("missing ']'");
            i++;
        } else {
            BAD("expected '.' or '['");
        }
        if (out->n == cap) {
            out->toks = sl_arena_realloc(a, out->toks, (size_t)cap * sizeof *out->toks,
                                         (size_t)cap * 2 * sizeof *out->toks);
            cap *= 2;
        }
        out->toks[out->n++] = (jtok){ts, tn};
    }
#undef BAD
    return 0;
}

static int prep_path(sl_arena *a, const sl_type *const *t, int n, const sl_value *const *consts,
                     void **state, sl_error *err)
{
    const sl_value *pv = consts ? consts[1] : NULL;
    if (!pv || pv->kind != SL_STRING) return 0;
    jpath *jp = sl_arena_zalloc(a, sizeof *jp);
    char msg[256];
    if (path_parse(a, pv->u.s.ptr, pv->u.s.len, jp, msg, sizeof msg))
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s", msg);
    *state = jp;
    return 0;
}

/* Integer.parseInt of a token, or false. */
static bool tok_index(const jtok *t, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (t->n == 0) return false;
    if (t->s[0] == '-' || t->s[0] == '+') { neg = t->s[0] == '-'; i = 1; }
    if (i == t->n) return false;
    int64_t v = 0;
    for (; i < t->n; i++) {
        if (!isdig(t->s[i])) return false;
        v = v * 10 + (t->s[i] - '0');
        if (v > INT32_MAX + 1LL) return false;
    }
    *out = neg ? -v : v;
    return *out >= INT32_MIN && *out <= INT32_MAX;
}

static int fn_extract(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    jpath local, *path = c->state;
    if (!path) {
        char msg[256];
        if (path_parse(c->arena, a[1].u.s.ptr, a[1].u.s.len, &local, msg, sizeof msg))
            return sl_fn_error(c, "%s", msg);
        path = &local;
    }
    jv *v = jparse(c->arena, a[0].u.s.ptr, a[0].u.s.len);
    *out = sl_null();
    if (!v) return 0;
    for (int i = 0; i < path->n && v; i++) {
        const jtok *t = &path->toks[i];
        if (v->k == J_ARR) {
            int64_t idx;
            if (!tok_index(t, &idx)) return 0;
            v = (idx >= 0 && idx < v->cnt) ? v->items[idx] : NULL;
        } else if (v->k == J_OBJ) {
            jv *found = NULL;
            for (uint32_t k = 0; k < v->cnt; k++) {
                if (v->mems[k].kn == t->n && memcmp(v->mems[k].k, t->s, t->n) == 0) found = v->mems[k].v;
            }
            v = found;
        } else {
            v = NULL;
        }
    }
    if (!v) return 0;
    if (v->k == J_STR) {
        *out = sl_string_ref(v->s, (uint32_t)v->n);
        return 0;
    }
    return jv_string(c, v, out);
}

/* ---------------------------------------------- the other JSON readers */

static int fn_array_length(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    jv *v = jparse(c->arena, a[0].u.s.ptr, a[0].u.s.len);
    *out = (v && v->k == J_ARR) ? sl_int((int32_t)v->cnt) : sl_null();
    return 0;
}

static int fn_keys(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    jv *v = jparse(c->arena, a[0].u.s.ptr, a[0].u.s.len);
    if (!v || v->k != J_OBJ) { *out = sl_null(); return 0; }
    sl_value r = sl_array_new(c->arena, v->cnt);
    for (uint32_t i = 0; i < v->cnt; i++)
        r.u.arr.items[i] = sl_string_ref(v->mems[i].k, (uint32_t)v->mems[i].kn);
    *out = r;
    return 0;
}

static int fn_records(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    jv *v = jparse(c->arena, a[0].u.s.ptr, a[0].u.s.len);
    if (!v || v->k != J_OBJ) { *out = sl_null(); return 0; }
    sl_value m = sl_map_new(c->arena, v->cnt);
    for (uint32_t i = 0; i < v->cnt; i++) {
        m.u.map.keys[i] = sl_string_ref(v->mems[i].k, (uint32_t)v->mems[i].kn);
        if (jv_string(c, v->mems[i].v, &m.u.map.vals[i])) return -1;
    }
    *out = m;
    return 0;
}

static int fn_is_json(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    *out = sl_bool(!sl_is_null(&a[0]) && jparse(c->arena, a[0].u.s.ptr, a[0].u.s.len) != NULL);
    return 0;
}

/* Whether one element of a JSON array equals a SQL value: strings to strings,
 * numbers by value (integers exactly), booleans to booleans, null to NULL. */
static bool jv_equals_value(const jv *j, const sl_value *v)
{
    switch (v->kind) {
    case SL_NULL:
        return j->k == J_NULL;
    case SL_BOOLEAN:
        return (j->k == J_TRUE && v->u.b) || (j->k == J_FALSE && !v->u.b);
    case SL_STRING:
        return j->k == J_STR && j->n == v->u.s.len && !memcmp(j->s, v->u.s.ptr, j->n);
    case SL_INT:
    case SL_BIGINT: {
        if (j->k != J_NUM || j->n >= 32 || memchr(j->s, '.', j->n) || memchr(j->s, 'e', j->n) ||
            memchr(j->s, 'E', j->n))
            return false;
        char buf[32];
        memcpy(buf, j->s, j->n);
        buf[j->n] = '\0';
        errno = 0;
        long long x = strtoll(buf, NULL, 10);
        return errno == 0 && x == (v->kind == SL_INT ? (long long)v->u.i32 : (long long)v->u.i64);
    }
    case SL_DOUBLE: {
        if (j->k != J_NUM || j->n >= 64)
            return false;
        char buf[64];
        memcpy(buf, j->s, j->n);
        buf[j->n] = '\0';
        return strtod(buf, NULL) == v->u.d;
    }
    default:
        return false;
    }
}

static int fn_array_contains(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    bool found = false;
    jv *v = sl_is_null(&a[0]) ? NULL : jparse(c->arena, a[0].u.s.ptr, a[0].u.s.len);
    if (v && v->k == J_ARR)
        for (uint32_t i = 0; i < v->cnt && !found; i++)
            found = jv_equals_value(v->items[i], &a[1]);
    *out = sl_bool(found);
    return 0;
}

/* PostgreSQL's || on jsonb: objects merge (later keys win), anything else
 * becomes array concatenation (non-arrays as one-element arrays). */
static int fn_concat(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    jv **vs = sl_arena_alloc(c->arena, (size_t)na * sizeof *vs);
    bool all_obj = true;
    for (int i = 0; i < na; i++) {
        if (sl_is_null(&a[i])) { *out = sl_null(); return 0; }
        vs[i] = jparse(c->arena, a[i].u.s.ptr, a[i].u.s.len);
        if (!vs[i]) { *out = sl_null(); return 0; }
        if (vs[i]->k != J_OBJ) all_obj = false;
    }
    jparser jp = {c->arena, NULL, NULL, 0};
    jv *r;
    if (all_obj) {
        r = jnew(&jp, J_OBJ);
        for (int i = 0; i < na; i++)
            for (uint32_t k = 0; k < vs[i]->cnt; k++)
                obj_put(&jp, r, vs[i]->mems[k].k, vs[i]->mems[k].kn, vs[i]->mems[k].v);
    } else if (na == 1) {
        r = vs[0];
    } else {
        r = jnew(&jp, J_ARR);
        for (int i = 0; i < na; i++) {
            if (vs[i]->k == J_ARR)
                for (uint32_t k = 0; k < vs[i]->cnt; k++) arr_push(c->arena, r, vs[i]->items[k]);
            else
                arr_push(c->arena, r, vs[i]);
        }
    }
    return jv_string(c, r, out);
}

/* ------------------------------------------------------ TO_JSON_STRING */

/* Java's Double.toString: shortest round-trip digits, plain in [1e-3, 1e7),
 * else d.dddE[-]n; Jackson quotes NaN and the infinities. */
static void write_double(ob *b, double d)
{
    if (isnan(d)) { ob_puts(b, "\"NaN\""); return; }
    if (isinf(d)) { ob_puts(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\""); return; }
    if (d == 0) { ob_puts(b, signbit(d) ? "-0.0" : "0.0"); return; }
    char buf[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d) break;
    }
    /* buf: [-]D[.DDD]e[+-]XX */
    char digits[24];
    int nd = 0;
    const char *p = buf;
    bool neg = false;
    if (*p == '-') { neg = true; p++; }
    for (; *p && *p != 'e'; p++)
        if (isdig(*p)) digits[nd++] = *p;
    int ex = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    char o[64];
    int j = 0;
    if (neg) o[j++] = '-';
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e7) {
        if (ex >= 0) {
            for (int k = 0; k <= ex; k++) o[j++] = k < nd ? digits[k] : '0';
            o[j++] = '.';
            if (nd > ex + 1)
                for (int k = ex + 1; k < nd; k++) o[j++] = digits[k];
            else
                o[j++] = '0';
        } else {
            o[j++] = '0';
            o[j++] = '.';
            for (int k = 0; k < -ex - 1; k++) o[j++] = '0';
            for (int k = 0; k < nd; k++) o[j++] = digits[k];
        }
    } else {
        o[j++] = digits[0];
        o[j++] = '.';
        if (nd > 1)
            for (int k = 1; k < nd; k++) o[j++] = digits[k];
        else
            o[j++] = '0';
        j += snprintf(o + j, sizeof o - (size_t)j, "E%d", ex);
    }
    ob_put(b, o, (size_t)j);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* BYTES as ksqlDB renders them: Java's MIME base64 (CRLF every 76 characters). */
static void write_bytes(ob *b, const unsigned char *p, size_t n)
{
    ob_putc(b, '"');
    size_t col = 0;
    for (size_t i = 0; i < n; i += 3) {
        if (col == 76) { ob_puts(b, "\\r\\n"); col = 0; }
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        char q[4] = {B64[(v >> 18) & 63], B64[(v >> 12) & 63],
                     i + 1 < n ? B64[(v >> 6) & 63] : '=', i + 2 < n ? B64[v & 63] : '='};
        ob_put(b, q, 4);
        col += 4;
    }
    ob_putc(b, '"');
}

static void write_date(ob *b, int64_t days)
{
    int64_t y;
    int m, d;
    sl_cal_civil_from_days(days, &y, &m, &d);
    char o[40];
    int k = snprintf(o, sizeof o, "%04lld-%02d-%02d", (long long)y, m, d);
    ob_put(b, o, (size_t)k);
}

/* java.time.LocalTime.toString(): HH:mm, then :ss and .SSS only when not zero. */
static void write_time(ob *b, int64_t ms)
{
    int64_t h = ms / 3600000, mi = ms / 60000 % 60, s = ms / 1000 % 60, f = ms % 1000;
    char o[40];
    int k = snprintf(o, sizeof o, "%02lld:%02lld", (long long)h, (long long)mi);
    if (s || f) k += snprintf(o + k, sizeof o - (size_t)k, ":%02lld", (long long)s);
    if (f) k += snprintf(o + k, sizeof o - (size_t)k, ".%03lld", (long long)f);
    ob_put(b, o, (size_t)k);
}

typedef struct kidx { const char *k; size_t kn; uint32_t i; } kidx;

static int kidx_cmp(const void *x, const void *y)
{
    const kidx *a = x, *b = y;
    size_t n = a->kn < b->kn ? a->kn : b->kn;
    int r = memcmp(a->k, b->k, n);
    if (r) return r;
    return a->kn < b->kn ? -1 : a->kn > b->kn;
}

static void write_value(ob *b, const sl_value *v, const sl_type *t, int depth);

static void write_value(ob *b, const sl_value *v, const sl_type *t, int depth)
{
    char num[64];
    int k;
    if (depth > MAX_DEPTH) { b->toolong = true; return; }
    switch ((sl_kind)v->kind) {
    case SL_NULL: ob_puts(b, "null"); return;
    case SL_BOOLEAN: ob_puts(b, v->u.b ? "true" : "false"); return;
    case SL_INT: k = snprintf(num, sizeof num, "%d", v->u.i32); ob_put(b, num, (size_t)k); return;
    case SL_BIGINT:
        k = snprintf(num, sizeof num, "%lld", (long long)v->u.i64);
        ob_put(b, num, (size_t)k);
        return;
    case SL_DOUBLE: write_double(b, v->u.d); return;
    case SL_DECIMAL: {
        sl_buf tmp = SL_BUF_INIT;
        sl_decimal_format(&tmp, v->u.dec, v->scale);
        ob_put(b, sl_buf_cstr(&tmp), tmp.len);
        sl_buf_fini(&tmp);
        return;
    }
    case SL_STRING: write_str(b, v->u.s.ptr, v->u.s.len); return;
    case SL_BYTES: write_bytes(b, (const unsigned char *)v->u.s.ptr, v->u.s.len); return;
    case SL_DATE: ob_putc(b, '"'); write_date(b, v->u.i32); ob_putc(b, '"'); return;
    case SL_TIME: ob_putc(b, '"'); write_time(b, v->u.i32); ob_putc(b, '"'); return;
    case SL_TIMESTAMP: {
        int64_t ms = v->u.i64;
        int64_t days = sl_cal_floor_div(ms, 86400000);
        int64_t rem = sl_cal_floor_mod(ms, 86400000);
        ob_putc(b, '"');
        write_date(b, days);
        k = snprintf(num, sizeof num, "T%02lld:%02lld:%02lld.%03lld", (long long)(rem / 3600000),
                     (long long)(rem / 60000 % 60), (long long)(rem / 1000 % 60),
                     (long long)(rem % 1000));
        ob_put(b, num, (size_t)k);
        ob_putc(b, '"');
        return;
    }
    case SL_ARRAY:
        ob_putc(b, '[');
        for (uint32_t i = 0; i < v->u.arr.n; i++) {
            if (i) ob_putc(b, ',');
            write_value(b, &v->u.arr.items[i], t && t->kind == SL_ARRAY ? t->elem : NULL, depth + 1);
        }
        ob_putc(b, ']');
        return;
    case SL_MAP:
    case SL_STRUCT: {
        bool map = v->kind == SL_MAP;
        uint32_t n = map ? v->u.map.n : v->u.st.n;
        kidx *ix = sl_arena_alloc(b->a, (n ? n : 1) * sizeof *ix);
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (map) {
                const sl_value *key = &v->u.map.keys[i];
                if (key->kind == SL_STRING) {
                    ix[m++] = (kidx){key->u.s.ptr, key->u.s.len, i};
                } else {
                    sl_buf tmp = SL_BUF_INIT;
                    sl_value_render(&tmp, key, t && t->kind == SL_MAP ? t->key : NULL,
                                    SL_RENDER_TEXT);
                    char *kc = sl_arena_strndup(b->a, sl_buf_cstr(&tmp), tmp.len);
                    ix[m++] = (kidx){kc, tmp.len, i};
                    sl_buf_fini(&tmp);
                }
            } else {
                const char *name = (t && t->kind == SL_STRUCT && (int)i < t->nfields)
                                       ? t->fields[i].name : "";
                ix[m++] = (kidx){name, strlen(name), i};
            }
        }
        qsort(ix, m, sizeof *ix, kidx_cmp);
        ob_putc(b, '{');
        for (uint32_t q = 0; q < m; q++) {
            if (q) ob_putc(b, ',');
            write_str(b, ix[q].k, ix[q].kn);
            ob_putc(b, ':');
            if (map)
                write_value(b, &v->u.map.vals[ix[q].i], t && t->kind == SL_MAP ? t->elem : NULL,
                            depth + 1);
            else
                write_value(b, &v->u.st.fields[ix[q].i],
                            t && t->kind == SL_STRUCT ? t->fields[ix[q].i].type : NULL, depth + 1);
        }
        ob_putc(b, '}');
        return;
    }
    default:
        ob_puts(b, "null");
        return;
    }
}

static int fn_to_json(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    ob b;
    ob_init(&b, c->arena);
    write_value(&b, &a[0], c->argtypes ? c->argtypes[0] : NULL, 0);
    return ob_finish(c, &b, out);
}

/* ------------------------------------------------------------ registry */

#define NN SL_FNF_NULL_ON_NULL

static const sl_overload ov_extract[] = {
    {"input STRING, path STRING -> STRING", fn_extract, NN, prep_path, NULL, NULL, NULL},
};
static const sl_overload ov_array_length[] = {
    {"json_string STRING -> INT", fn_array_length, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_array_contains[] = {
    {"json_array STRING, val BOOLEAN -> BOOLEAN", fn_array_contains, 0, NULL, NULL, NULL, NULL},
    {"json_array STRING, val INT -> BOOLEAN", fn_array_contains, 0, NULL, NULL, NULL, NULL},
    {"json_array STRING, val BIGINT -> BOOLEAN", fn_array_contains, 0, NULL, NULL, NULL, NULL},
    {"json_array STRING, val DOUBLE -> BOOLEAN", fn_array_contains, 0, NULL, NULL, NULL, NULL},
    {"json_array STRING, val STRING -> BOOLEAN", fn_array_contains, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_concat[] = {
    {"STRING, STRING... -> STRING", fn_concat, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_keys[] = {
    {"json_string STRING -> ARRAY<STRING>", fn_keys, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_records[] = {
    {"json_string STRING -> MAP<STRING, STRING>", fn_records, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_is_json[] = {
    {"json_string STRING -> BOOLEAN", fn_is_json, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_to_json[] = {
    {"val T -> STRING", fn_to_json, 0, NULL, NULL, NULL, NULL},
};

static const sl_function json_functions[] = {
    {"EXTRACTJSONFIELD", SL_FN_SCALAR, "JSON",
     "The value at a JSONPath ($.a.b, $['a'][0]) in a JSON string: text for a JSON string, "
     "compact JSON otherwise; NULL when absent or not JSON.",
     ov_extract, 1},
    {"JSON_ARRAY_LENGTH", SL_FN_SCALAR, "JSON",
     "The number of elements of a top-level JSON array, or NULL.", ov_array_length, 1},
    {"JSON_ARRAY_CONTAINS", SL_FN_SCALAR, "JSON",
     "Whether a JSON array (given as a string) holds an element equal to a value; false when "
     "the string is not a JSON array.",
     ov_array_contains, 5},
    {"JSON_CONCAT", SL_FN_SCALAR, "JSON",
     "Merges JSON objects (later keys win) or concatenates JSON values as arrays, like "
     "PostgreSQL's || on jsonb.",
     ov_concat, 1},
    {"JSON_KEYS", SL_FN_SCALAR, "JSON", "The top-level keys of a JSON object, or NULL.", ov_keys,
     1},
    {"JSON_RECORDS", SL_FN_SCALAR, "JSON",
     "The top-level entries of a JSON object as a map from key to compact JSON text, or NULL.",
     ov_records, 1},
    {"IS_JSON_STRING", SL_FN_SCALAR, "JSON", "Whether a string holds one valid JSON value.",
     ov_is_json, 1},
    {"TO_JSON_STRING", SL_FN_SCALAR, "JSON", "Any SQL value rendered as JSON text.", ov_to_json,
     1},
};

void sl_fn_register_json(sl_registry *r)
{
    for (size_t i = 0; i < sizeof json_functions / sizeof json_functions[0]; i++)
        sl_registry_add(r, &json_functions[i]);
}
