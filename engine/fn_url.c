/*
 * fn_url.c: ksqlDB's URL functions (category URL): URL_ENCODE_PARAM,
 * URL_DECODE_PARAM and the URL_EXTRACT_* family.
 *
 * ksqlDB reads URLs with java.net.URI (RFC 2396 with Java's deviations);
 * this file has a small parser with the same outcomes: scheme, opaque or
 * hierarchical part, server-based authority (userinfo, host, port) falling
 * back to a registry-based one (no host) when the host is not a valid
 * hostname (an underscore, a last label starting with a digit...), path,
 * query and fragment, with %XX escapes decoded as UTF-8 when a component is
 * extracted. A URL that is not valid gives NULL, as ksqlDB documents.
 *
 * Encoding follows application/x-www-form-urlencoded as Guava's form
 * parameter escaper does it (space becomes '+'); decoding follows
 * java.net.URLDecoder ('+' becomes a space; a malformed escape is a row
 * error).
 *
 * Not here: anything that fetches or resolves URLs.
 */
#include <string.h>

#include "func.h"

typedef struct span_t { size_t off, len; bool set; } span_t;

typedef struct url {
    span_t scheme, host, path, query, frag;
    int64_t port;               /* -1: none */
} url;

static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }

static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Decodes the UTF-8 character at s[i]; 0 when it is not valid UTF-8. */
static size_t u8_dec(const char *str, size_t n, size_t i, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[i];
    if (c < 0x80) { *cp = c; return 1; }
    size_t need; uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { need = 2; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { need = 3; v = c & 0x07; min = 0x10000; }
    else return 0;
    if (n - i <= need) return 0;
    for (size_t k = 1; k <= need; k++) {
        if ((s[i + k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return need + 1;
}

/* Java's "other" characters: non-ASCII, neither control nor space. */
static bool is_other(uint32_t cp)
{
    if (cp < 0xA0) return false;
    if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
        cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000)
        return false;
    return true;
}

/* Checks s[b, e) holds only unreserved characters, those in `extra`, the
 * reserved ones when `reserved` is set, %XX escapes and "other" characters. */
static bool check_chars(const char *s, size_t b, size_t e, const char *extra, bool reserved)
{
    static const char unreserved[] = "-_.!~*'()";
    static const char reserved_set[] = ";/?:@&=+$,[]";
    for (size_t i = b; i < e;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (e - i < 3) return false;
            if (hexval((unsigned char)s[i + 1]) < 0 || hexval((unsigned char)s[i + 2]) < 0)
                return false;
            i += 3;
            continue;
        }
        if (c >= 0x80) {
            uint32_t cp;
            size_t k = u8_dec(s, e, i, &cp);
            if (!k || !is_other(cp)) return false;
            i += k;
            continue;
        }
        if (is_alnum(c) || strchr(unreserved, c) || (extra && strchr(extra, c)) ||
            (reserved && strchr(reserved_set, c))) {
            if (c == 0) return false;
            i++;
            continue;
        }
        return false;
    }
    return true;
}

static size_t scan_to(const char *s, size_t b, size_t e, const char *stops)
{
    for (size_t i = b; i < e; i++)
        if (strchr(stops, s[i]) && s[i]) return i;
    return e;
}

/* Dotted-quad IPv4 filling s[b, e) exactly. */
static bool is_ipv4(const char *s, size_t b, size_t e)
{
    int parts = 0;
    size_t i = b;
    while (parts < 4) {
        size_t j = i;
        unsigned v = 0;
        while (j < e && is_digit((unsigned char)s[j]) && j - i < 4) v = v * 10 + (unsigned)(s[j++] - '0');
        if (j == i || j - i > 3 || v > 255) return false;
        parts++;
        i = j;
        if (parts < 4) {
            if (i >= e || s[i] != '.') return false;
            i++;
        }
    }
    return i == e;
}

/* Java's hostname rule: labels of alphanumerics and inner '-', separated by
 * '.', a trailing '.' allowed; with several labels the last starts with a letter. */
static bool is_hostname(const char *s, size_t b, size_t e)
{
    size_t p = b, last = SIZE_MAX;
    while (p < e) {
        size_t q = p;
        while (q < e && is_alnum((unsigned char)s[q])) q++;
        if (q == p) break;
        last = p;
        p = q;
        while (q < e && (is_alnum((unsigned char)s[q]) || s[q] == '-')) q++;
        if (q > p) {
            if (s[q - 1] == '-') return false;
            p = q;
        }
        if (p < e && s[p] == '.') p++;
        else break;
    }
    if (p < e || last == SIZE_MAX) return false;
    if (last > b && !is_alpha((unsigned char)s[last])) return false;
    return true;
}

static bool is_ipv6_literal(const char *s, size_t b, size_t e)
{
    if (e - b < 3 || s[b] != '[' || s[e - 1] != ']') return false;
    bool colon = false;
    for (size_t i = b + 1; i < e - 1; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ':') colon = true;
        else if (!(hexval(c) >= 0 || c == '.' || c == '%' || is_alnum(c))) return false;
    }
    return colon;
}

/* Server-based authority: [userinfo@]host[:port]. false: use registry-based. */
static bool parse_server(const char *s, size_t b, size_t e, url *u)
{
    size_t at = SIZE_MAX;
    for (size_t i = b; i < e; i++)
        if (s[i] == '@') at = i;
    size_t hb = b;
    if (at != SIZE_MAX) {
        if (!check_chars(s, b, at, ";:&=+$,", false)) return false;
        hb = at + 1;
    }
    size_t he;
    if (hb < e && s[hb] == '[') {
        size_t r = scan_to(s, hb, e, "]");
        if (r == e) return false;
        he = r + 1;
        if (!is_ipv6_literal(s, hb, he)) return false;
    } else {
        he = scan_to(s, hb, e, ":");
        if (he == hb) return false;
        if (!is_ipv4(s, hb, he) && !is_hostname(s, hb, he)) return false;
    }
    int64_t port = -1;
    if (he < e) {
        if (s[he] != ':') return false;
        size_t pb = he + 1;
        if (pb < e) {
            port = 0;
            for (size_t i = pb; i < e; i++) {
                if (!is_digit((unsigned char)s[i])) return false;
                port = port * 10 + (s[i] - '0');
                if (port > INT32_MAX) return false;
            }
        }
    }
    u->host = (span_t){hb, he - hb, true};
    u->port = port;
    return true;
}

/* Parses like java.net.URI; false when it would throw URISyntaxException. */
static bool url_parse(const char *s, size_t n, url *u)
{
    memset(u, 0, sizeof *u);
    u->port = -1;
    for (size_t i = 0; i < n; i++)
        if (s[i] == 0) return false;
    size_t p = 0;
    size_t colon = scan_to(s, 0, n, ":/?#");
    if (colon < n && s[colon] == ':') {
        if (colon == 0 || !is_alpha((unsigned char)s[0])) return false;
        for (size_t i = 1; i < colon; i++) {
            unsigned char c = (unsigned char)s[i];
            if (!is_alnum(c) && c != '+' && c != '-' && c != '.') return false;
        }
        u->scheme = (span_t){0, colon, true};
        p = colon + 1;
        if (p == n) return false;
        if (s[p] != '/') {
            /* opaque: scheme-specific part, then an optional fragment */
            size_t h = scan_to(s, p, n, "#");
            if (!check_chars(s, p, h, NULL, true)) return false;
            if (h < n) {
                if (!check_chars(s, h + 1, n, NULL, true)) return false;
                u->frag = (span_t){h + 1, n - h - 1, true};
            }
            return true;
        }
    }
    if (p + 1 < n && s[p] == '/' && s[p + 1] == '/') {
        p += 2;
        size_t q = scan_to(s, p, n, "/?#");
        if (q > p) {
            if (!parse_server(s, p, q, u)) {
                if (!check_chars(s, p, q, "$,;:@&=+", false)) return false;
                u->host.set = false;
                u->port = -1;
            }
        } else if (q >= n) {
            return false;
        }
        p = q;
    }
    size_t pe = scan_to(s, p, n, "?#");
    if (!check_chars(s, p, pe, "/;:@&=+$,", false)) return false;
    u->path = (span_t){p, pe - p, true};
    p = pe;
    if (p < n && s[p] == '?') {
        size_t qe = scan_to(s, p + 1, n, "#");
        if (!check_chars(s, p + 1, qe, NULL, true)) return false;
        u->query = (span_t){p + 1, qe - p - 1, true};
        p = qe;
    }
    if (p < n && s[p] == '#') {
        if (!check_chars(s, p + 1, n, NULL, true)) return false;
        u->frag = (span_t){p + 1, n - p - 1, true};
    }
    return true;
}

/* ------------------------------------------------------------ decoding */

static void put_cp(char *o, size_t *j, uint32_t cp)
{
    if (cp < 0x80) o[(*j)++] = (char)cp;
    else if (cp < 0x800) { o[(*j)++] = (char)(0xC0 | (cp >> 6)); o[(*j)++] = (char)(0x80 | (cp & 0x3F)); }
    else {
        o[(*j)++] = (char)(0xE0 | (cp >> 12));
        o[(*j)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*j)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* Appends raw bytes as UTF-8 text: invalid sequences become U+FFFD. */
static void put_utf8(char *o, size_t *j, const char *raw, size_t n)
{
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        size_t k = u8_dec(raw, n, i, &cp);
        if (!k) { put_cp(o, j, 0xFFFD); i++; continue; }
        memcpy(o + *j, raw + i, k);
        *j += k;
        i += k;
    }
}

/* Decodes %XX runs (and '+' when plus is set) of s[0, n). Output fits in 3n bytes.
 * Returns false on a malformed escape. */
static bool pct_decode(sl_arena *a, const char *s, size_t n, bool plus, sl_value *out)
{
    char *o = sl_arena_alloc(a, 3 * n + 1);
    char *raw = sl_arena_alloc(a, n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '%') {
            size_t r = 0;
            while (i < n && s[i] == '%') {
                if (n - i < 3) return false;
                int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
                if (h < 0 || l < 0) return false;
                raw[r++] = (char)(h * 16 + l);
                i += 3;
            }
            put_utf8(o, &j, raw, r);
            continue;
        }
        o[j++] = (plus && s[i] == '+') ? ' ' : s[i];
        i++;
    }
    *out = sl_string_ref(o, (uint32_t)j);
    return true;
}

static bool parse_arg(const sl_value *in, url *u)
{
    return url_parse(in->u.s.ptr, in->u.s.len, u);
}

/* A component of a parsed URL, decoded; NULL when absent. */
static int decoded(sl_fcall *c, const sl_value *in, span_t sp, sl_value *out)
{
    if (!sp.set) { *out = sl_null(); return 0; }
    if (!pct_decode(c->arena, in->u.s.ptr + sp.off, sp.len, false, out)) *out = sl_null();
    return 0;
}

/* ------------------------------------------------------------ functions */

static int fn_encode_param(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    const unsigned char *s = (const unsigned char *)a[0].u.s.ptr;
    size_t n = a[0].u.s.len;
    char *o = sl_arena_alloc(c->arena, 3 * n + 1);
    size_t j = 0;
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (is_alnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '*') o[j++] = (char)ch;
        else if (ch == ' ') o[j++] = '+';
        else { o[j++] = '%'; o[j++] = hex[ch >> 4]; o[j++] = hex[ch & 15]; }
    }
    *out = sl_string_ref(o, (uint32_t)j);
    return 0;
}

static int fn_decode_param(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    if (!pct_decode(c->arena, a[0].u.s.ptr, a[0].u.s.len, true, out))
        return sl_fn_error(c, "URL_DECODE_PARAM: illegal hex characters in escape (%%) pattern");
    return 0;
}

static int fn_fragment(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    url u;
    if (!parse_arg(&a[0], &u)) { *out = sl_null(); return 0; }
    return decoded(c, &a[0], u.frag, out);
}

static int fn_host(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    url u;
    if (!parse_arg(&a[0], &u) || !u.host.set) { *out = sl_null(); return 0; }
    *out = sl_string_ref(a[0].u.s.ptr + u.host.off, (uint32_t)u.host.len);
    return 0;
}

static int fn_path(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    url u;
    if (!parse_arg(&a[0], &u)) { *out = sl_null(); return 0; }
    return decoded(c, &a[0], u.path, out);
}

static int fn_port(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    url u;
    if (!parse_arg(&a[0], &u) || u.port < 0) { *out = sl_null(); return 0; }
    *out = sl_int((int32_t)u.port);
    return 0;
}

static int fn_protocol(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    url u;
    if (!parse_arg(&a[0], &u) || !u.scheme.set) { *out = sl_null(); return 0; }
    *out = sl_string_ref(a[0].u.s.ptr + u.scheme.off, (uint32_t)u.scheme.len);
    return 0;
}

static int fn_query(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    url u;
    if (!parse_arg(&a[0], &u)) { *out = sl_null(); return 0; }
    return decoded(c, &a[0], u.query, out);
}

/* The value of the first parameter named `name` in the decoded query:
 * "" for a bare name, NULL when absent. */
static int fn_parameter(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    url u;
    sl_value q;
    if (!parse_arg(&a[0], &u) || !u.query.set) { *out = sl_null(); return 0; }
    decoded(c, &a[0], u.query, &q);
    if (sl_is_null(&q)) { *out = q; return 0; }
    const char *s = q.u.s.ptr, *name = a[1].u.s.ptr;
    size_t n = q.u.s.len, nl = a[1].u.s.len;
    size_t i = 0;
    for (;;) {
        size_t e = i;
        while (e < n && s[e] != '&') e++;
        size_t eq = i;
        while (eq < e && s[eq] != '=') eq++;
        if (eq - i == nl && memcmp(s + i, name, nl) == 0) {
            *out = eq == e ? sl_string_ref(s + e, 0) : sl_string_ref(s + eq + 1, (uint32_t)(e - eq - 1));
            return 0;
        }
        if (e >= n) break;
        i = e + 1;
    }
    *out = sl_null();
    return 0;
}

/* ------------------------------------------------------------ registry */

#define NN SL_FNF_NULL_ON_NULL
#define OV1(sig, fn) static const sl_overload ov_##fn[] = {{sig, fn, NN, NULL, NULL, NULL, NULL}}

OV1("input STRING -> STRING", fn_encode_param);
OV1("input STRING -> STRING", fn_decode_param);
OV1("url STRING -> STRING", fn_fragment);
OV1("url STRING -> STRING", fn_host);
OV1("url STRING -> STRING", fn_path);
OV1("url STRING -> INT", fn_port);
OV1("url STRING -> STRING", fn_protocol);
OV1("url STRING -> STRING", fn_query);
OV1("url STRING, parameter_name STRING -> STRING", fn_parameter);

#define FN(name, desc, fn) {name, SL_FN_SCALAR, "URL", desc, ov_##fn, 1}

static const sl_function url_functions[] = {
    FN("URL_ENCODE_PARAM",
       "Escapes a value for use as a URL query parameter (application/x-www-form-urlencoded).",
       fn_encode_param),
    FN("URL_DECODE_PARAM", "Unescapes an application/x-www-form-urlencoded value.",
       fn_decode_param),
    FN("URL_EXTRACT_FRAGMENT", "The decoded fragment of a URL, or NULL.", fn_fragment),
    FN("URL_EXTRACT_HOST", "The host name of a URL, or NULL.", fn_host),
    FN("URL_EXTRACT_PATH", "The decoded path of a URL ('' when empty), or NULL.", fn_path),
    FN("URL_EXTRACT_PORT", "The explicit port number of a URL, or NULL.", fn_port),
    FN("URL_EXTRACT_PROTOCOL", "The scheme of a URL, or NULL.", fn_protocol),
    FN("URL_EXTRACT_QUERY", "The decoded query string of a URL, or NULL.", fn_query),
    FN("URL_EXTRACT_PARAMETER",
       "The decoded value of a named query parameter of a URL ('' when it has no value), or NULL.",
       fn_parameter),
};

void sl_fn_register_url(sl_registry *r)
{
    for (size_t i = 0; i < sizeof url_functions / sizeof url_functions[0]; i++)
        sl_registry_add(r, &url_functions[i]);
}
