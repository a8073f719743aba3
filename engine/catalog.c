/*
 * catalog.c: streams, tables, custom types, variables and properties of a
 * session, and the checks of the statements that change them.
 *
 * Does: validate CREATE STREAM/TABLE (columns, key kinds, headers, WITH
 * properties and their values, topic existence as ksqlDB documents it),
 * DROP, CREATE/DROP TYPE, DEFINE/UNDEFINE and SET/UNSET with ksqlDB's
 * defaults; keep every entry in its own arena, sorted by name.
 * Does not: run queries, create topics, persist or replay statements,
 * render anything (exec.c and render.c do).
 */
#include "catalog.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

/* ---- a sorted vector of entries, each owning its arena ---- */

typedef struct entry {
    sl_arena *arena;        /* owns the entry itself and all it points to */
    const char *key;        /* sort key: the normalised name */
} entry;

typedef struct src_entry { entry h; sl_source src; } src_entry;
typedef struct type_entry { entry h; sl_custom_type t; } type_entry;
typedef struct kv_entry { entry h; const char *name; const char *value; } kv_entry;

typedef struct vec {
    entry **items;
    int n, cap;
} vec;

struct sl_catalog {
    vec sources;
    vec types;
    vec vars;
    vec props;
    sl_topic_lookup topic_fn;
    void *topic_ud;
};

/* Binary search: index of key, or -(insertion point) - 1. */
static int vec_search(const vec *v, const char *key)
{
    int lo = 0, hi = v->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(v->items[mid]->key, key);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

static entry *vec_get(const vec *v, const char *key)
{
    if (!key)
        return NULL;
    int i = vec_search(v, key);
    return i >= 0 ? v->items[i] : NULL;
}

/* Inserts e, replacing (and freeing) an entry with the same key. */
static void vec_put(vec *v, entry *e)
{
    int i = vec_search(v, e->key);
    if (i >= 0) {
        sl_arena_free(v->items[i]->arena);
        v->items[i] = e;
        return;
    }
    i = -i - 1;
    if (v->n == v->cap) {
        int ncap = v->cap ? v->cap * 2 : 8;
        entry **ni = realloc(v->items, (size_t)ncap * sizeof *ni);
        if (!ni)
            abort();
        v->items = ni;
        v->cap = ncap;
    }
    memmove(v->items + i + 1, v->items + i, (size_t)(v->n - i) * sizeof *v->items);
    v->items[i] = e;
    v->n++;
}

static bool vec_del(vec *v, const char *key)
{
    int i = vec_search(v, key);
    if (i < 0)
        return false;
    sl_arena_free(v->items[i]->arena);
    memmove(v->items + i, v->items + i + 1, (size_t)(v->n - i - 1) * sizeof *v->items);
    v->n--;
    return true;
}

static void vec_fini(vec *v)
{
    for (int i = 0; i < v->n; i++)
        sl_arena_free(v->items[i]->arena);
    free(v->items);
    v->items = NULL;
    v->n = v->cap = 0;
}

static void *entry_new(size_t size, size_t chunk)
{
    sl_arena *a = sl_arena_new(chunk);
    entry *e = sl_arena_zalloc(a, size);
    e->arena = a;
    return e;
}

/* ---- catalog ---- */

static int default_topic_lookup(void *ud, const char *topic)
{
    const sl_catalog *c = ud;
    for (int i = 0; i < c->sources.n; i++) {
        const sl_source *s = &((src_entry *)c->sources.items[i])->src;
        if (s->kafka_topic && strcmp(s->kafka_topic, topic) == 0)
            return s->partitions > 0 ? s->partitions : 1;
    }
    return -1;
}

sl_catalog *sl_catalog_new(void)
{
    sl_catalog *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->topic_fn = default_topic_lookup;
    c->topic_ud = c;
    return c;
}

void sl_catalog_free(sl_catalog *c)
{
    if (!c)
        return;
    vec_fini(&c->sources);
    vec_fini(&c->types);
    vec_fini(&c->vars);
    vec_fini(&c->props);
    free(c);
}

void sl_catalog_set_topic_lookup(sl_catalog *c, sl_topic_lookup fn, void *ud)
{
    c->topic_fn = fn ? fn : default_topic_lookup;
    c->topic_ud = fn ? ud : c;
}

int sl_catalog_topic_partitions(const sl_catalog *c, const char *topic)
{
    return c->topic_fn(c->topic_ud, topic);
}

/* ---- helpers ---- */

static const char *kind_word(bool is_table) { return is_table ? "table" : "stream"; }

static bool ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

static char *upper_dup(sl_arena *a, const char *s)
{
    char *r = sl_arena_strdup(a, s);
    for (char *p = r; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return r;
}

/* Collects the CREATE TYPE aliases a written type refers to. */
static void collect_refs(sl_arena *a, const sl_ast_type *t, const char ***refs, int *n, int *cap)
{
    if (!t)
        return;
    if (t->kind == SL_NULL && t->name.name) {
        for (int i = 0; i < *n; i++)
            if (strcmp((*refs)[i], t->name.name) == 0)
                return;
        if (*n == *cap) {
            int ncap = *cap ? *cap * 2 : 4;
            *refs = sl_arena_realloc(a, (void *)*refs, (size_t)*cap * sizeof **refs,
                                     (size_t)ncap * sizeof **refs);
            *cap = ncap;
        }
        (*refs)[(*n)++] = sl_arena_strdup(a, t->name.name);
        return;
    }
    collect_refs(a, t->key, refs, n, cap);
    collect_refs(a, t->elem, refs, n, cap);
    for (int i = 0; i < t->fields.n; i++)
        collect_refs(a, t->fields.items[i]->type, refs, n, cap);
}

static const sl_type *resolve_type(sl_catalog *c, const sl_ast_type *t, sl_arena *a,
                                   sl_error *err)
{
    sl_scope scope = {0};
    scope.lookup_type = sl_catalog_type_lookup;
    scope.lookup_ud = c;
    const sl_type *ty = sl_type_from_ast(t, &scope, a, err);
    if (!ty)
        return NULL;
    return sl_type_copy(a, ty);     /* field names into the entry's arena */
}

/* ---- WITH properties ---- */

typedef struct pval {
    const char *name;       /* upper case */
    const char *text;       /* the value as text */
    bool is_string, is_number, is_bool;
    sl_span span;           /* the whole `NAME = value` */
    sl_span vspan;          /* the value */
} pval;

static int prop_value(const sl_property *p, sl_arena *a, pval *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    out->name = p->name.name;
    out->span = p->span.off != SL_NOPOS ? p->span : p->name.span;
    const sl_expr *v = p->value;
    if (!v)
        return sl_error_set(err, SL_ERR_SYNTAX, out->span, "property '%s' has no value",
                            out->name);
    out->vspan = v->span;
    bool neg = false;
    if (v->kind == SL_E_UNARY && (v->op == SL_OP_NEG || v->op == SL_OP_PLUS) && v->a) {
        neg = v->op == SL_OP_NEG;
        v = v->a;
    }
    switch (v->kind) {
    case SL_E_STRING:
        if (neg)
            break;
        if (memchr(v->text, '\0', v->textlen))
            return sl_error_set(err, SL_ERR_ANALYSIS, out->vspan,
                                "the value of property '%s' contains a NUL character",
                                out->name);
        out->text = sl_arena_strndup(a, v->text, v->textlen);
        out->is_string = true;
        return 0;
    case SL_E_INT:
    case SL_E_DECIMAL:
    case SL_E_DOUBLE:
        out->text = neg ? sl_arena_printf(a, "-%s", v->text) : sl_arena_strdup(a, v->text);
        out->is_number = true;
        return 0;
    case SL_E_BOOL:
        if (neg)
            break;
        out->text = v->bval ? "true" : "false";
        out->is_bool = true;
        return 0;
    default:
        break;
    }
    return sl_error_set(err, SL_ERR_ANALYSIS, out->vspan,
                        "the value of property '%s' must be a literal (string, number or boolean)",
                        out->name);
}

enum { P_SOURCE = 1, P_SINK = 2, P_INSERT = 4 };

static const struct propspec {
    const char *name;
    unsigned where;
} PROPS[] = {
    {"KAFKA_TOPIC", P_SOURCE | P_SINK},
    {"KEY_FORMAT", P_SOURCE | P_SINK},
    {"VALUE_FORMAT", P_SOURCE | P_SINK},
    {"FORMAT", P_SOURCE | P_SINK},
    {"PARTITIONS", P_SOURCE | P_SINK},
    {"REPLICAS", P_SOURCE | P_SINK},
    {"RETENTION_MS", P_SOURCE | P_SINK},
    {"TIMESTAMP", P_SOURCE | P_SINK},
    {"TIMESTAMP_FORMAT", P_SOURCE | P_SINK},
    {"VALUE_DELIMITER", P_SOURCE | P_SINK},
    {"KEY_DELIMITER", P_SOURCE | P_SINK},
    {"WRAP_SINGLE_VALUE", P_SOURCE | P_SINK},
    {"KEY_SCHEMA_ID", P_SOURCE | P_SINK},
    {"VALUE_SCHEMA_ID", P_SOURCE | P_SINK},
    {"KEY_SCHEMA_FULL_NAME", P_SOURCE | P_SINK},
    {"VALUE_SCHEMA_FULL_NAME", P_SOURCE | P_SINK},
    {"VALUE_AVRO_SCHEMA_FULL_NAME", P_SOURCE | P_SINK},
    {"KEY_PROTOBUF_NULLABLE_REPRESENTATION", P_SOURCE | P_SINK},
    {"VALUE_PROTOBUF_NULLABLE_REPRESENTATION", P_SOURCE | P_SINK},
    {"WINDOW_TYPE", P_SOURCE},
    {"WINDOW_SIZE", P_SOURCE},
    {"QUERY_ID", P_INSERT},
    {NULL, 0},
};

static const char *const FORMATS[] = {
    "JSON", "JSON_SR", "AVRO", "PROTOBUF", "PROTOBUF_NOSR", "DELIMITED", "KAFKA", "NONE", NULL,
};

static const char *find_format(const char *s)
{
    for (int i = 0; FORMATS[i]; i++)
        if (ieq(FORMATS[i], s))
            return FORMATS[i];
    return NULL;
}

static bool parse_int64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* The parsed WITH clause. */
typedef struct withs {
    pval *v;
    int n;
} withs;

static const pval *with_get(const withs *w, const char *name)
{
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->v[i].name, name) == 0)
            return &w->v[i];
    return NULL;
}

static int parse_withs(const sl_stmt *st, unsigned where, sl_arena *a, withs *w,
                       sl_error *err)
{
    w->n = 0;
    w->v = sl_arena_zalloc(a, (size_t)(st->props.n + 1) * sizeof *w->v);
    for (int i = 0; i < st->props.n; i++) {
        const sl_property *p = st->props.items[i];
        if (!p->name.name)
            continue;
        pval pv;
        if (prop_value(p, a, &pv, err) < 0)
            return -1;
        pv.name = upper_dup(a, p->name.name);
        const struct propspec *spec = NULL;
        for (int k = 0; PROPS[k].name; k++)
            if (strcmp(PROPS[k].name, pv.name) == 0)
                spec = &PROPS[k];
        if (!spec || !(spec->where & where)) {
            return sl_error_set(err, SL_ERR_ANALYSIS, p->name.span,
                                "invalid config variable(s) in the WITH clause: %s",
                                p->name.name);
        }
        if (with_get(w, pv.name))
            return sl_error_set(err, SL_ERR_ANALYSIS, p->name.span,
                                "duplicate property '%s' in the WITH clause", pv.name);
        w->v[w->n++] = pv;
    }
    return 0;
}

static int want_positive(const pval *p, int64_t max, int64_t *out, sl_error *err)
{
    int64_t v;
    if (!p->is_bool && parse_int64(p->text, &v) && v > 0 && v <= max) {
        *out = v;
        return 0;
    }
    return sl_error_set(err, SL_ERR_ANALYSIS, p->vspan,
                        "invalid value for property '%s': expected a positive integer, got '%s'",
                        p->name, p->text);
}

static int want_bool(const pval *p, bool *out, sl_error *err)
{
    if (ieq(p->text, "true")) {
        *out = true;
        return 0;
    }
    if (ieq(p->text, "false")) {
        *out = false;
        return 0;
    }
    return sl_error_set(err, SL_ERR_ANALYSIS, p->vspan,
                        "invalid value for property '%s': expected true or false, got '%s'",
                        p->name, p->text);
}

static int want_format(const pval *p, bool allow_none, const char **out, sl_error *err)
{
    const char *f = p->is_string ? find_format(p->text) : NULL;
    if (!f)
        return sl_error_set(err, SL_ERR_ANALYSIS, p->vspan,
                            "unknown format '%s' for property '%s' (expected one of JSON, "
                            "JSON_SR, AVRO, PROTOBUF, PROTOBUF_NOSR, DELIMITED, KAFKA%s)",
                            p->text, p->name, allow_none ? ", NONE" : "");
    if (!allow_none && strcmp(f, "NONE") == 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, p->vspan,
                            "the 'NONE' format can only be used as a key format");
    *out = f;
    return 0;
}

/* A delimiter: one character, or the words TAB / SPACE. */
static int want_delimiter(const pval *p, const char **out, sl_error *err)
{
    if (p->is_string) {
        if (ieq(p->text, "TAB")) {
            *out = "\t";
            return 0;
        }
        if (ieq(p->text, "SPACE")) {
            *out = " ";
            return 0;
        }
        if (strlen(p->text) == 1 && p->text[0] != ' ' && p->text[0] != '\t') {
            *out = p->text;
            return 0;
        }
    }
    return sl_error_set(err, SL_ERR_ANALYSIS, p->vspan,
                        "invalid value for property '%s': a delimiter is one character, "
                        "or 'TAB' or 'SPACE'", p->name);
}

/* "10 SECONDS", "1 HOUR" ... */
/* A WINDOW_SIZE value ("10 SECONDS") in milliseconds, or -1 when invalid. */
static int64_t window_size_ms(const char *s)
{
    const char *p = s;
    while (*p == ' ')
        p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    int64_t n = 0;
    while (isdigit((unsigned char)*p)) {
        if (n > INT64_MAX / 10 - 10)
            return -1;
        n = n * 10 + (*p++ - '0');
    }
    if (*p != ' ')
        return -1;
    while (*p == ' ')
        p++;
    static const struct { const char *name; int64_t ms; } units[] = {
        {"MILLISECOND", 1}, {"MILLISECONDS", 1}, {"SECOND", 1000}, {"SECONDS", 1000},
        {"MINUTE", 60000}, {"MINUTES", 60000}, {"HOUR", 3600000}, {"HOURS", 3600000},
        {"DAY", 86400000}, {"DAYS", 86400000},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ieq(p, units[i].name))
            return n > INT64_MAX / units[i].ms ? -1 : n * units[i].ms;
    return -1;
}

/* The checks common to sources and sinks: formats and value kinds. */
typedef struct fmtinfo {
    const char *key_format, *value_format;
    int64_t partitions, replicas, retention;
    const char *delimiter;
    int wrap;
} fmtinfo;

static int check_common(const sl_catalog *c, const withs *w, fmtinfo *fi, bool need_value_format,
                        sl_span stmt_span, sl_error *err)
{
    const pval *fmt = with_get(w, "FORMAT"), *kf = with_get(w, "KEY_FORMAT"),
               *vf = with_get(w, "VALUE_FORMAT");
    memset(fi, 0, sizeof *fi);
    fi->partitions = fi->replicas = fi->retention = -1;
    fi->wrap = -1;
    if (fmt && (kf || vf))
        return sl_error_set(err, SL_ERR_ANALYSIS, fmt->span,
                            "cannot supply both 'FORMAT' and '%s' in the WITH clause: 'FORMAT' "
                            "sets both the key and the value format",
                            kf ? "KEY_FORMAT" : "VALUE_FORMAT");
    if (fmt) {
        if (want_format(fmt, false, &fi->value_format, err) < 0)
            return -1;
        fi->key_format = fi->value_format;
    }
    if (kf && want_format(kf, true, &fi->key_format, err) < 0)
        return -1;
    if (vf && want_format(vf, false, &fi->value_format, err) < 0)
        return -1;
    if (!fi->key_format) {
        const char *d = sl_catalog_property(c, "ksql.persistence.default.format.key");
        fi->key_format = d ? find_format(d) : "KAFKA";
        if (!fi->key_format)
            fi->key_format = "KAFKA";
    }
    if (!fi->value_format) {
        const char *d = sl_catalog_property(c, "ksql.persistence.default.format.value");
        if (d)
            fi->value_format = find_format(d);
        if (!fi->value_format && need_value_format)
            return sl_error_set(err, SL_ERR_ANALYSIS, stmt_span,
                                "the statement is missing the 'VALUE_FORMAT' property in its "
                                "WITH clause: provide one, or set a default with "
                                "SET 'ksql.persistence.default.format.value' = '...'");
    }
    const pval *p;
    if ((p = with_get(w, "PARTITIONS")) && want_positive(p, 100000, &fi->partitions, err) < 0)
        return -1;
    if ((p = with_get(w, "REPLICAS")) && want_positive(p, 32767, &fi->replicas, err) < 0)
        return -1;
    if ((p = with_get(w, "RETENTION_MS")) && want_positive(p, INT64_MAX, &fi->retention, err) < 0)
        return -1;
    if ((p = with_get(w, "VALUE_DELIMITER"))) {
        if (fi->value_format && strcmp(fi->value_format, "DELIMITED") != 0)
            return sl_error_set(err, SL_ERR_ANALYSIS, p->span,
                                "'VALUE_DELIMITER' can only be used with the 'DELIMITED' "
                                "value format");
        if (want_delimiter(p, &fi->delimiter, err) < 0)
            return -1;
    }
    if ((p = with_get(w, "KEY_DELIMITER"))) {
        const char *d;
        if (strcmp(fi->key_format, "DELIMITED") != 0)
            return sl_error_set(err, SL_ERR_ANALYSIS, p->span,
                                "'KEY_DELIMITER' can only be used with the 'DELIMITED' key "
                                "format");
        if (want_delimiter(p, &d, err) < 0)
            return -1;
    }
    if ((p = with_get(w, "WRAP_SINGLE_VALUE"))) {
        bool b = false;
        if (want_bool(p, &b, err) < 0)
            return -1;
        fi->wrap = b;
        if (fi->value_format && (strcmp(fi->value_format, "KAFKA") == 0 ||
                                 strcmp(fi->value_format, "DELIMITED") == 0))
            return sl_error_set(err, SL_ERR_ANALYSIS, p->span,
                                "'WRAP_SINGLE_VALUE' can not be used with the '%s' value format",
                                fi->value_format);
    }
    const char *ids[] = {"KEY_SCHEMA_ID", "VALUE_SCHEMA_ID"};
    for (int i = 0; i < 2; i++) {
        int64_t v;
        if ((p = with_get(w, ids[i])) && want_positive(p, INT32_MAX, &v, err) < 0)
            return -1;
    }
    const char *nulls[] = {"KEY_PROTOBUF_NULLABLE_REPRESENTATION",
                           "VALUE_PROTOBUF_NULLABLE_REPRESENTATION"};
    for (int i = 0; i < 2; i++) {
        if ((p = with_get(w, nulls[i])) && !ieq(p->text, "OPTIONAL") && !ieq(p->text, "WRAPPER"))
            return sl_error_set(err, SL_ERR_ANALYSIS, p->vspan,
                                "invalid value for property '%s': expected OPTIONAL or WRAPPER",
                                p->name);
    }
    if ((p = with_get(w, "KAFKA_TOPIC")) && (!p->is_string || !p->text[0]))
        return sl_error_set(err, SL_ERR_ANALYSIS, p->vspan,
                            "'KAFKA_TOPIC' must be a non-empty string");
    return 0;
}

/* Whether a format can hold values of type t (ksqlDB's format capabilities). */
static const char *format_refuses(const char *format, const sl_type *t)
{
    if (strcmp(format, "KAFKA") == 0) {
        switch (t->kind) {
        case SL_INT: case SL_BIGINT: case SL_DOUBLE: case SL_STRING: case SL_BYTES:
            return NULL;
        default:
            return sl_kind_name(t->kind);
        }
    }
    if (strcmp(format, "DELIMITED") == 0) {
        switch (t->kind) {
        case SL_ARRAY: case SL_MAP: case SL_STRUCT:
            return sl_kind_name(t->kind);
        default:
            return NULL;
        }
    }
    return NULL;
}

/* ---- streams and tables ---- */

static const char *const RESERVED_COLUMNS[] = {
    "ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND", NULL,
};

static bool is_reserved_column(const char *name)
{
    for (int r = 0; RESERVED_COLUMNS[r]; r++)
        if (ieq(name, RESERVED_COLUMNS[r]))
            return true;
    return false;
}

static bool headers_type_ok(const sl_type *t)
{
    if (t->kind != SL_ARRAY || !t->elem || t->elem->kind != SL_STRUCT || t->elem->nfields != 2)
        return false;
    const sl_field *f = t->elem->fields;
    return strcmp(f[0].name, "KEY") == 0 && f[0].type->kind == SL_STRING &&
           strcmp(f[1].name, "VALUE") == 0 && f[1].type->kind == SL_BYTES;
}

static int check_format_columns(const char *format, const char *which, const sl_column *cols,
                                const int *idx, const sl_span *spans, int n, sl_error *err)
{
    if (n == 0)
        return 0;
    if (strcmp(format, "NONE") == 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, spans[0],
                            "the 'NONE' %s format can only be used when no %s columns are "
                            "defined; got `%s`", which, which, cols[idx[0]].name);
    if (strcmp(format, "KAFKA") == 0 && n > 1)
        return sl_error_set(err, SL_ERR_ANALYSIS, spans[1],
                            "the 'KAFKA' %s format supports a single column; `%s` is the "
                            "second one", which, cols[idx[1]].name);
    for (int i = 0; i < n; i++) {
        const char *bad = format_refuses(format, cols[idx[i]].type);
        if (bad)
            return sl_error_set(err, SL_ERR_ANALYSIS, spans[i],
                                "the '%s' %s format does not support type '%s' (column `%s`)",
                                format, which, bad, cols[idx[i]].name);
    }
    return 0;
}

/* A column list as text for messages: "`A` INT, `B` STRING". */
static const char *cols_text(sl_arena *a, const sl_schema *sch, sl_colkind kind)
{
    sl_buf b = SL_BUF_INIT;
    for (int i = 0; i < sch->ncols; i++) {
        if (sch->cols[i].kind != kind)
            continue;
        if (b.len)
            sl_buf_puts(&b, ", ");
        sl_buf_printf(&b, "`%s` ", sch->cols[i].name);
        sl_type_format(&b, sch->cols[i].type);
    }
    const char *t = sl_arena_strdup(a, b.len ? sl_buf_cstr(&b) : "none");
    sl_buf_fini(&b);
    return t;
}

/* Whether the columns of kind `kind` of o are those of n (prefix: o's may be
 * followed by more in n). */
static bool cols_match(const sl_schema *o, const sl_schema *n, sl_colkind kind, bool prefix)
{
    int i = 0, j = 0;
    for (;;) {
        while (i < o->ncols && o->cols[i].kind != kind)
            i++;
        while (j < n->ncols && n->cols[j].kind != kind)
            j++;
        if (i == o->ncols)
            return prefix || j == n->ncols;
        if (j == n->ncols || strcmp(o->cols[i].name, n->cols[j].name) != 0 ||
            !sl_type_equal(o->cols[i].type, n->cols[j].type))
            return false;
        i++;
        j++;
    }
}

static bool str_same(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcasecmp(x, y) == 0);
}

/*
 * CREATE OR REPLACE keeps what the records already stored depend on: the
 * topic, the formats, the key and header columns, the window, the event
 * time; value columns may only be appended at the end. NULL when n may
 * replace o, else what differs.
 */
static const char *replace_conflict(sl_arena *a, const sl_source *o, const sl_source *n)
{
    const char *what = kind_word(o->is_table);
    if (o->is_source != n->is_source)
        return sl_arena_printf(a, "the %s is %sa read-only SOURCE %s", what,
                               o->is_source ? "" : "not ", what);
    if (strcmp(o->kafka_topic, n->kafka_topic) != 0)
        return sl_arena_printf(a, "its topic would change from '%s' to '%s'", o->kafka_topic,
                               n->kafka_topic);
    if (!str_same(o->key_format, n->key_format) || !str_same(o->value_format, n->value_format))
        return sl_arena_printf(a, "its formats would change from KEY_FORMAT='%s', "
                                  "VALUE_FORMAT='%s' to '%s', '%s'",
                               o->key_format ? o->key_format : "NONE",
                               o->value_format ? o->value_format : "NONE",
                               n->key_format ? n->key_format : "NONE",
                               n->value_format ? n->value_format : "NONE");
    if (!str_same(o->value_delimiter, n->value_delimiter) ||
        o->wrap_single_value != n->wrap_single_value)
        return "its VALUE_DELIMITER or WRAP_SINGLE_VALUE would change";
    if (!str_same(o->window_type, n->window_type) || o->window_size_ms != n->window_size_ms)
        return "its window (WINDOW_TYPE, WINDOW_SIZE) would change";
    if (!str_same(o->timestamp, n->timestamp) ||
        !str_same(o->timestamp_format, n->timestamp_format))
        return "its TIMESTAMP column or TIMESTAMP_FORMAT would change";
    if (!cols_match(&o->schema, &n->schema, SL_COLK_KEY, false))
        return sl_arena_printf(a, "its key columns would change from (%s) to (%s)",
                               cols_text(a, &o->schema, SL_COLK_KEY),
                               cols_text(a, &n->schema, SL_COLK_KEY));
    if (!cols_match(&o->schema, &n->schema, SL_COLK_HEADERS, false) ||
        !cols_match(&o->schema, &n->schema, SL_COLK_HEADER, false))
        return "its header columns would change";
    if (!cols_match(&o->schema, &n->schema, SL_COLK_VALUE, true))
        return sl_arena_printf(a, "its value columns (%s) would become (%s): columns may only "
                                  "be added at the end, never removed, renamed, retyped or "
                                  "reordered",
                               cols_text(a, &o->schema, SL_COLK_VALUE),
                               cols_text(a, &n->schema, SL_COLK_VALUE));
    return NULL;
}

int sl_catalog_create_source(sl_catalog *c, const sl_stmt *st, sl_create_result *res,
                             sl_error *err)
{
    const char *name = st->name.name;
    bool is_table = st->is_table;
    *res = SL_CREATED;
    if (!name)
        return sl_error_set(err, SL_ERR_INTERNAL, st->span, "CREATE without a name");

    src_entry *old = (src_entry *)vec_get(&c->sources, name);
    if (old) {
        if (st->if_not_exists) {
            *res = SL_EXISTED;
            return 0;
        }
        if (!st->or_replace || old->src.is_table != is_table)
            return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                                "cannot add %s '%s': a %s with the same name already exists",
                                kind_word(is_table), name, kind_word(old->src.is_table));
    }
    if (st->columns.n == 0)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, st->name.span,
                            "the statement does not define any columns: reading them from a "
                            "schema registry is not supported yet");

    src_entry *e = entry_new(sizeof *e, 0);
    sl_arena *a = e->h.arena;
    sl_source *s = &e->src;
    s->name = sl_arena_strdup(a, name);
    e->h.key = s->name;
    s->is_table = is_table;
    s->is_source = st->is_source;
    s->statement = st->text ? sl_arena_strdup(a, st->text) : "";

    /* Columns, in the order written; then reordered keys, values, headers. */
    int n = st->columns.n;
    sl_column *cols = sl_arena_zalloc(a, (size_t)n * sizeof *cols);
    sl_span *spans = sl_arena_zalloc(a, (size_t)n * sizeof *spans);
    const char **refs = NULL;
    int nrefs = 0, caprefs = 0;
    int nkeys = 0, nheaders_all = 0;
    const sl_column_def *headers_col = NULL;
    for (int i = 0; i < n; i++) {
        const sl_column_def *cd = st->columns.items[i];
        const char *cn = cd->name.name;
        spans[i] = cd->name.span;
        if (is_reserved_column(cn)) {
            sl_error_set(err, SL_ERR_ANALYSIS, cd->name.span,
                         "`%s` is a reserved column name: pick another name", cn);
            goto fail;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(cols[j].name, cn) == 0) {
                sl_error_set(err, SL_ERR_ANALYSIS, cd->name.span,
                             "duplicate column name `%s`", cn);
                goto fail;
            }
        cols[i].name = sl_arena_strdup(a, cn);
        cols[i].type = resolve_type(c, cd->type, a, err);
        if (!cols[i].type)
            goto fail;
        collect_refs(a, cd->type, &refs, &nrefs, &caprefs);
        switch (cd->constraint) {
        case SL_COL_VALUE:
            cols[i].kind = SL_COLK_VALUE;
            break;
        case SL_COL_KEY:
            if (is_table) {
                sl_error_set(err, SL_ERR_ANALYSIS, cd->span.off != SL_NOPOS ? cd->span
                                                                              : cd->name.span,
                             "column `%s` is a KEY column: tables have a PRIMARY KEY (unique, "
                             "never NULL); write `%s %s PRIMARY KEY`", cn, cn,
                             sl_type_str(a, cols[i].type));
                goto fail;
            }
            cols[i].kind = SL_COLK_KEY;
            nkeys++;
            break;
        case SL_COL_PRIMARY_KEY:
            if (!is_table) {
                sl_error_set(err, SL_ERR_ANALYSIS, cd->span.off != SL_NOPOS ? cd->span
                                                                              : cd->name.span,
                             "column `%s` is a PRIMARY KEY column: streams have KEY columns "
                             "(neither unique nor NOT NULL); write `%s %s KEY`", cn, cn,
                             sl_type_str(a, cols[i].type));
                goto fail;
            }
            cols[i].kind = SL_COLK_KEY;
            nkeys++;
            break;
        case SL_COL_HEADERS:
            if (headers_col || nheaders_all) {
                sl_error_set(err, SL_ERR_ANALYSIS, cd->name.span,
                             "column `%s`: the schema already has a %s column", cn,
                             headers_col ? "HEADERS" : "HEADER('...')");
                goto fail;
            }
            if (!headers_type_ok(cols[i].type)) {
                sl_error_set(err, SL_ERR_ANALYSIS, cd->type ? cd->type->span : cd->name.span,
                             "HEADERS column `%s` must be of type "
                             "ARRAY<STRUCT<KEY STRING, VALUE BYTES>>, not %s", cn,
                             sl_type_str(a, cols[i].type));
                goto fail;
            }
            cols[i].kind = SL_COLK_HEADERS;
            headers_col = cd;
            break;
        case SL_COL_HEADER:
            if (headers_col) {
                sl_error_set(err, SL_ERR_ANALYSIS, cd->name.span,
                             "column `%s`: the schema already has a HEADERS column with every "
                             "header", cn);
                goto fail;
            }
            if (cols[i].type->kind != SL_BYTES) {
                sl_error_set(err, SL_ERR_ANALYSIS, cd->type ? cd->type->span : cd->name.span,
                             "HEADER('%s') column `%s` must be of type BYTES, not %s",
                             cd->header_key ? cd->header_key : "", cn,
                             sl_type_str(a, cols[i].type));
                goto fail;
            }
            for (int j = 0; j < i; j++)
                if (cols[j].kind == SL_COLK_HEADER && cd->header_key &&
                    strcmp(cols[j].header_key, cd->header_key) == 0) {
                    sl_error_set(err, SL_ERR_ANALYSIS, cd->name.span,
                                 "column `%s`: header '%s' is already column `%s`", cn,
                                 cd->header_key, cols[j].name);
                    goto fail;
                }
            cols[i].kind = SL_COLK_HEADER;
            cols[i].header_key = sl_arena_strdup(a, cd->header_key ? cd->header_key : "");
            nheaders_all++;
            break;
        }
    }
    if (is_table && nkeys == 0) {
        sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                     "table '%s' has no PRIMARY KEY: tables require one (e.g. `ID INT PRIMARY "
                     "KEY`)", name);
        goto fail;
    }

    /* Reorder: keys, values, headers, keeping the written order within each. */
    s->schema.ncols = n;
    s->schema.cols = sl_arena_zalloc(a, (size_t)n * sizeof(sl_column));
    sl_span *ospans = sl_arena_zalloc(a, (size_t)n * sizeof *ospans);
    int *kidx = sl_arena_zalloc(a, (size_t)n * sizeof *kidx);
    int *vidx = sl_arena_zalloc(a, (size_t)n * sizeof *vidx);
    sl_span *kspans = sl_arena_zalloc(a, (size_t)n * sizeof *kspans);
    sl_span *vspans = sl_arena_zalloc(a, (size_t)n * sizeof *vspans);
    int nk = 0, nv = 0, k = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < n; i++) {
            int cls = cols[i].kind == SL_COLK_KEY ? 0 : cols[i].kind == SL_COLK_VALUE ? 1 : 2;
            if (cls != pass)
                continue;
            if (cls == 0) {
                kidx[nk] = k;
                kspans[nk++] = spans[i];
            } else if (cls == 1) {
                vidx[nv] = k;
                vspans[nv++] = spans[i];
            }
            ospans[k] = spans[i];
            s->schema.cols[k++] = cols[i];
        }

    /* WITH */
    withs w;
    fmtinfo fi;
    if (parse_withs(st, P_SOURCE, a, &w, err) < 0 ||
        check_common(c, &w, &fi, true, st->name.span, err) < 0)
        goto fail;
    const pval *p = with_get(&w, "KAFKA_TOPIC");
    if (!p) {
        sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                     "missing required property 'KAFKA_TOPIC' in the WITH clause");
        goto fail;
    }
    s->kafka_topic = p->text;
    int existing = sl_catalog_topic_partitions(c, s->kafka_topic);
    if (existing < 0 && fi.partitions < 0) {
        /* OR REPLACE of a source on the same topic keeps the topic */
        sl_error_set(err, SL_ERR_ANALYSIS, p->vspan,
                     "topic '%s' does not exist: to create it with the %s, add the "
                     "'PARTITIONS' property (and optionally 'REPLICAS') to the WITH clause",
                     s->kafka_topic, kind_word(is_table));
        goto fail;
    }
    if (existing > 0 && fi.partitions > 0 && existing != fi.partitions) {
        const pval *pp = with_get(&w, "PARTITIONS");
        sl_error_set(err, SL_ERR_ANALYSIS, pp->vspan,
                     "topic '%s' already exists with %d partition%s, not %lld",
                     s->kafka_topic, existing, existing == 1 ? "" : "s",
                     (long long)fi.partitions);
        goto fail;
    }
    s->key_format = fi.key_format;
    s->value_format = fi.value_format;
    s->partitions = fi.partitions > 0 ? (int)fi.partitions : existing;
    s->replicas = (int)fi.replicas;
    s->retention_ms = fi.retention;
    s->value_delimiter = fi.delimiter;
    s->wrap_single_value = fi.wrap;
    if (check_format_columns(s->key_format, "key", s->schema.cols, kidx, kspans, nk, err) < 0)
        goto fail;
    if (check_format_columns(s->value_format, "value", s->schema.cols, vidx, vspans, nv, err) < 0)
        goto fail;
    if (fi.wrap >= 0 && nv != 1) {
        sl_error_set(err, SL_ERR_ANALYSIS, with_get(&w, "WRAP_SINGLE_VALUE")->span,
                     "'WRAP_SINGLE_VALUE' is only valid for a single value column; this %s "
                     "has %d", kind_word(is_table), nv);
        goto fail;
    }
    const pval *ts = with_get(&w, "TIMESTAMP"), *tsf = with_get(&w, "TIMESTAMP_FORMAT");
    if (tsf && !ts) {
        sl_error_set(err, SL_ERR_ANALYSIS, tsf->span,
                     "'TIMESTAMP_FORMAT' needs the 'TIMESTAMP' property naming a column");
        goto fail;
    }
    if (ts) {
        const char *tn = ts->text;
        int ci = sl_schema_find(&s->schema, NULL, tn);
        if (ci < 0 && ts->is_string) {
            char *up = upper_dup(a, tn);
            ci = sl_schema_find(&s->schema, NULL, up);
        }
        if (ci < 0) {
            sl_error_set(err, SL_ERR_ANALYSIS, ts->vspan,
                         "the TIMESTAMP column '%s' is not a column of the %s", tn,
                         kind_word(is_table));
            goto fail;
        }
        const sl_column *tc = &s->schema.cols[ci];
        sl_kind tk = tc->type->kind;
        bool ok = tk == SL_BIGINT || tk == SL_TIMESTAMP || (tk == SL_STRING && tsf);
        if (!ok) {
            sl_error_set(err, SL_ERR_ANALYSIS, ts->vspan,
                         "the TIMESTAMP column `%s` is %s: it must be BIGINT or TIMESTAMP, or "
                         "VARCHAR with a 'TIMESTAMP_FORMAT'", tc->name,
                         sl_type_str(a, tc->type));
            goto fail;
        }
        if (tsf && tk != SL_STRING) {
            sl_error_set(err, SL_ERR_ANALYSIS, tsf->span,
                         "'TIMESTAMP_FORMAT' only applies to a VARCHAR TIMESTAMP column");
            goto fail;
        }
        s->timestamp = tc->name;
        s->timestamp_format = tsf ? tsf->text : NULL;
    }
    const pval *wt = with_get(&w, "WINDOW_TYPE"), *ws = with_get(&w, "WINDOW_SIZE");
    if (wt) {
        if (!ieq(wt->text, "SESSION") && !ieq(wt->text, "HOPPING") && !ieq(wt->text, "TUMBLING")) {
            sl_error_set(err, SL_ERR_ANALYSIS, wt->vspan,
                         "invalid WINDOW_TYPE '%s': expected SESSION, HOPPING or TUMBLING",
                         wt->text);
            goto fail;
        }
        s->window_type = upper_dup(a, wt->text);
        bool session = strcmp(s->window_type, "SESSION") == 0;
        if (session && ws) {
            sl_error_set(err, SL_ERR_ANALYSIS, ws->span,
                         "'WINDOW_SIZE' must not be given for SESSION windows");
            goto fail;
        }
        if (!session && !ws) {
            sl_error_set(err, SL_ERR_ANALYSIS, wt->span,
                         "%s windows need the 'WINDOW_SIZE' property, e.g. WINDOW_SIZE='1 "
                         "MINUTE'", s->window_type);
            goto fail;
        }
    } else if (ws) {
        sl_error_set(err, SL_ERR_ANALYSIS, ws->span, "'WINDOW_SIZE' needs 'WINDOW_TYPE'");
        goto fail;
    }
    if (ws && (s->window_size_ms = window_size_ms(ws->text)) <= 0) {
        sl_error_set(err, SL_ERR_ANALYSIS, ws->vspan,
                     "invalid WINDOW_SIZE '%s': expected a number and a unit, e.g. '10 "
                     "SECONDS'", ws->text);
        goto fail;
    }

    sl_catalog_prop *props = sl_arena_zalloc(a, (size_t)(w.n + 1) * sizeof *props);
    for (int i = 0; i < w.n; i++) {
        props[i].name = w.v[i].name;
        props[i].value = w.v[i].text;
    }
    s->props = props;
    s->nprops = w.n;
    s->type_refs = refs;
    s->ntype_refs = nrefs;

    if (old) {
        const char *why = replace_conflict(a, &old->src, s);
        if (why) {
            sl_error_set(err, SL_ERR_ANALYSIS, st->name.span, "cannot replace %s '%s': %s",
                         kind_word(is_table), name, why);
            goto fail;
        }
        s->materialized = old->src.materialized;
    }
    *res = old ? SL_REPLACED : SL_CREATED;
    vec_put(&c->sources, &e->h);
    return 0;
fail:
    sl_arena_free(a);
    return -1;
}

int sl_catalog_drop_source(sl_catalog *c, const sl_stmt *st, bool *dropped, sl_error *err)
{
    *dropped = false;
    const char *name = st->name.name;
    src_entry *e = (src_entry *)vec_get(&c->sources, name);
    if (!e) {
        if (st->if_exists)
            return 0;
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                            "%s '%s' does not exist", kind_word(st->is_table), name ? name : "");
    }
    if (e->src.is_table != st->is_table)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                            "'%s' is a %s, not a %s: use DROP %s", name,
                            kind_word(e->src.is_table), kind_word(st->is_table),
                            e->src.is_table ? "TABLE" : "STREAM");
    if (st->delete_topic && e->src.is_source)
        return sl_error_set(err, SL_ERR_ANALYSIS, st->span,
                            "cannot delete the topic of the read-only source %s '%s'",
                            kind_word(e->src.is_table), name);
    vec_del(&c->sources, name);
    *dropped = true;
    return 0;
}

const sl_source *sl_catalog_find_source(const sl_catalog *c, const char *name)
{
    src_entry *e = (src_entry *)vec_get(&c->sources, name);
    return e ? &e->src : NULL;
}

int sl_catalog_set_materialized(sl_catalog *c, const char *name, bool on)
{
    src_entry *e = (src_entry *)vec_get(&c->sources, name);
    if (!e)
        return -1;
    e->src.materialized = on;
    return 0;
}

int sl_catalog_source_count(const sl_catalog *c) { return c->sources.n; }

const sl_source *sl_catalog_source_at(const sl_catalog *c, int i)
{
    if (i < 0 || i >= c->sources.n)
        return NULL;
    return &((src_entry *)c->sources.items[i])->src;
}

int sl_catalog_check_sink_props(const sl_catalog *c, const sl_stmt *st, sl_error *err)
{
    sl_arena *a = sl_arena_new(2048);
    withs w;
    fmtinfo fi;
    unsigned where = st->kind == SL_S_INSERT_SELECT ? P_INSERT : P_SINK;
    int rc = parse_withs(st, where, a, &w, err);
    if (rc == 0 && where == P_SINK)
        rc = check_common(c, &w, &fi, false, st->span, err);
    sl_arena_free(a);
    return rc;
}

/* ---- custom types ---- */

int sl_catalog_create_type(sl_catalog *c, const sl_stmt *st, sl_create_result *res,
                           sl_error *err)
{
    const char *name = st->name.name;
    *res = SL_CREATED;
    if (!name || !st->type)
        return sl_error_set(err, SL_ERR_INTERNAL, st->span, "CREATE TYPE without a name or type");
    type_entry *old = (type_entry *)vec_get(&c->types, name);
    if (old) {
        if (st->if_not_exists) {
            *res = SL_EXISTED;
            return 0;
        }
        sl_buf b = SL_BUF_INIT;
        sl_type_format(&b, old->t.type);
        sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                     "cannot register custom type '%s': it is already registered as %s", name,
                     sl_buf_cstr(&b));
        sl_buf_fini(&b);
        return -1;
    }
    type_entry *e = entry_new(sizeof *e, 1024);
    sl_arena *a = e->h.arena;
    e->t.name = sl_arena_strdup(a, name);
    e->h.key = e->t.name;
    e->t.type = resolve_type(c, st->type, a, err);
    if (!e->t.type) {
        sl_arena_free(a);
        return -1;
    }
    const char **refs = NULL;
    int nrefs = 0, cap = 0;
    collect_refs(a, st->type, &refs, &nrefs, &cap);
    e->t.type_refs = refs;
    e->t.ntype_refs = nrefs;
    vec_put(&c->types, &e->h);
    return 0;
}

static bool refs_contain(const char *const *refs, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(refs[i], name) == 0)
            return true;
    return false;
}

int sl_catalog_drop_type(sl_catalog *c, const sl_stmt *st, bool *dropped, sl_error *err)
{
    const char *name = st->name.name;
    *dropped = false;
    if (!vec_get(&c->types, name)) {
        if (st->if_exists)
            return 0;
        return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span, "type '%s' does not exist",
                            name ? name : "");
    }
    for (int i = 0; i < c->sources.n; i++) {
        const sl_source *s = &((src_entry *)c->sources.items[i])->src;
        if (refs_contain(s->type_refs, s->ntype_refs, name))
            return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                                "cannot drop type '%s': %s '%s' uses it", name,
                                kind_word(s->is_table), s->name);
    }
    for (int i = 0; i < c->types.n; i++) {
        const sl_custom_type *t = &((type_entry *)c->types.items[i])->t;
        if (refs_contain(t->type_refs, t->ntype_refs, name))
            return sl_error_set(err, SL_ERR_ANALYSIS, st->name.span,
                                "cannot drop type '%s': type '%s' uses it", name, t->name);
    }
    vec_del(&c->types, name);
    *dropped = true;
    return 0;
}

const sl_type *sl_catalog_find_type(const sl_catalog *c, const char *name)
{
    type_entry *e = (type_entry *)vec_get(&c->types, name);
    if (!e && name) {
        /* aliases are case-insensitive unless quoted; try the upper-case form */
        char up[256];
        size_t n = strlen(name);
        if (n < sizeof up) {
            for (size_t i = 0; i <= n; i++)
                up[i] = (char)toupper((unsigned char)name[i]);
            e = (type_entry *)vec_get(&c->types, up);
        }
    }
    return e ? e->t.type : NULL;
}

const sl_type *sl_catalog_type_lookup(void *ud, const char *name)
{
    return sl_catalog_find_type(ud, name);
}

int sl_catalog_type_count(const sl_catalog *c) { return c->types.n; }

const sl_custom_type *sl_catalog_type_at(const sl_catalog *c, int i)
{
    if (i < 0 || i >= c->types.n)
        return NULL;
    return &((type_entry *)c->types.items[i])->t;
}

/* ---- variables ---- */

int sl_catalog_define(sl_catalog *c, const char *name, const char *value, sl_error *err)
{
    if (!name || !*name)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "a variable needs a name");
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "invalid variable name '%s': use letters, digits and '_'", name);
    if (isdigit((unsigned char)name[0]))
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "invalid variable name '%s': it must not start with a digit", name);
    kv_entry *e = entry_new(sizeof *e, 512);
    e->name = upper_dup(e->h.arena, name);
    e->h.key = e->name;
    e->value = sl_arena_strdup(e->h.arena, value ? value : "");
    vec_put(&c->vars, &e->h);
    return 0;
}

bool sl_catalog_undefine(sl_catalog *c, const char *name)
{
    char up[256];
    size_t n = name ? strlen(name) : 0;
    if (!name || n >= sizeof up)
        return false;
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)toupper((unsigned char)name[i]);
    return vec_del(&c->vars, up);
}

const char *sl_catalog_variable(const sl_catalog *c, const char *name)
{
    char up[256];
    size_t n = name ? strlen(name) : 0;
    if (!name || n >= sizeof up)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)toupper((unsigned char)name[i]);
    kv_entry *e = (kv_entry *)vec_get(&c->vars, up);
    return e ? e->value : NULL;
}

int sl_catalog_variable_count(const sl_catalog *c) { return c->vars.n; }

const char *sl_catalog_variable_at(const sl_catalog *c, int i, const char **name)
{
    if (i < 0 || i >= c->vars.n)
        return NULL;
    kv_entry *e = (kv_entry *)c->vars.items[i];
    if (name)
        *name = e->name;
    return e->value;
}

/* ---- properties ---- */

typedef enum pkind { PK_ANY, PK_ENUM, PK_UINT, PK_POSINT, PK_BOOL, PK_FORMAT } pkind;

static const struct known_prop {
    sl_property_info info;
    pkind kind;
    const char *choices;    /* PK_ENUM: '|'-separated */
} KNOWN[] = {
    {{"auto.offset.reset", "latest",
      "where a query starts reading when it has no committed offset"}, PK_ENUM,
     "earliest|latest"},
    {{"bootstrap.servers", NULL, "Kafka brokers; unset: the embedded log"}, PK_ANY, NULL},
    {{"cache.max.bytes.buffering", "10485760",
      "record cache of aggregations: 0 emits every update, else one row per group and commit"},
     PK_UINT, NULL},
    {{"commit.interval.ms", "2000",
      "how often aggregations commit state, output and offsets (other queries: every batch)"},
     PK_UINT, NULL},
    {{"ksql.assert.topic.default.timeout.ms", "1000",
      "how long ASSERT TOPIC / STREAM / TABLE waits without a TIMEOUT clause"}, PK_UINT, NULL},
    {{"ksql.logging.processing.rows.include", "false",
      "processing-log entries carry the failed record's bytes (base64)"}, PK_BOOL, NULL},
    {{"ksql.output.topic.name.prefix", "", "prefix of the topics CREATE ... AS SELECT makes"},
     PK_ANY, NULL},
    {{"ksql.persistence.default.format.key", "KAFKA", "key format when KEY_FORMAT is absent"},
     PK_FORMAT, NULL},
    {{"ksql.persistence.default.format.value", NULL,
      "value format when VALUE_FORMAT is absent"}, PK_FORMAT, NULL},
    {{"ksql.query.pull.table.scan.enabled", "true", "whether pull queries may scan a table"},
     PK_BOOL, NULL},
    {{"ksql.service.id", "default_", "the service a worker belongs to"}, PK_ANY, NULL},
    {{"num.stream.threads", "4", "threads that run the tasks of a query"}, PK_POSINT, NULL},
    {{"processing.guarantee", "at_least_once", "at_least_once or exactly_once_v2"}, PK_ENUM,
     "at_least_once|exactly_once|exactly_once_v2"},
    {{"sluice.state.cache.bytes", "67108864",
      "bytes of aggregation state each task keeps decoded in memory"}, PK_UINT, NULL},
    {{"sluice.window.idle.close.ms", NULL,
      "close windows by wall clock once a partition has been idle this long (EMIT FINAL)"},
     PK_UINT, NULL},
    {{NULL, NULL, NULL}, PK_ANY, NULL},
};

/* Properties accepted for ksqlDB compatibility that this build does not act on yet. */
static const struct { const char *name, *why; } NOT_YET[] = {
    {"bootstrap.servers", "the log is chosen at start: --bootstrap-servers or SLUICE_BOOTSTRAP_SERVERS"},
    {"ksql.query.pull.table.scan.enabled", "pull queries may always scan a table"},
    {"ksql.service.id", "workers sharing a service id need the Kafka backend"},
    {"num.stream.threads", "queries share the engine's worker threads"},
    {"processing.guarantee", "the embedded log is always exactly-once"},
};

const char *sl_catalog_property_not_yet(const char *name)
{
    for (size_t i = 0; name && i < sizeof NOT_YET / sizeof NOT_YET[0]; i++)
        if (strcmp(NOT_YET[i].name, name) == 0)
            return NOT_YET[i].why;
    return NULL;
}

const sl_property_info *sl_catalog_known_properties(void)
{
    static sl_property_info infos[sizeof KNOWN / sizeof KNOWN[0]];
    if (!infos[0].name) {
        for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
            infos[i] = KNOWN[i].info;
    }
    return infos;
}

static const struct known_prop *known_prop(const char *name)
{
    for (int i = 0; KNOWN[i].info.name; i++)
        if (strcmp(KNOWN[i].info.name, name) == 0)
            return &KNOWN[i];
    return NULL;
}

/* "ksql.streams.auto.offset.reset" is "auto.offset.reset". */
static const char *canonical_prop(const char *name)
{
    static const char pfx[] = "ksql.streams.";
    if (strncmp(name, pfx, sizeof pfx - 1) == 0 && known_prop(name + sizeof pfx - 1))
        return name + sizeof pfx - 1;
    return name;
}

static bool enum_has(const char *choices, const char *v)
{
    size_t n = strlen(v);
    const char *p = choices;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncasecmp(p, v, n) == 0)
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

int sl_catalog_set_property(sl_catalog *c, const char *name, const char *value, sl_span span,
                            sl_error *err)
{
    if (!name || !*name)
        return sl_error_set(err, SL_ERR_ANALYSIS, span, "SET needs a property name");
    if (!value)
        value = "";
    name = canonical_prop(name);
    const struct known_prop *kp = known_prop(name);
    if (!kp) {
        bool dotted = strchr(name, '.') != NULL;
        for (const char *p = name; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
                dotted = false;
        if (!dotted || (strncmp(name, "ksql.", 5) == 0 && strncmp(name, "ksql.streams.", 13) != 0))
            return sl_error_set(err, SL_ERR_ANALYSIS, span,
                                "not recognizable as a ksql, streams, consumer or producer "
                                "property: '%s'", name);
    } else {
        int64_t v;
        bool ok = true;
        const char *what = "";
        switch (kp->kind) {
        case PK_ANY:
            break;
        case PK_ENUM:
            ok = enum_has(kp->choices, value);
            what = kp->choices;
            break;
        case PK_UINT:
            ok = parse_int64(value, &v) && v >= 0;
            what = "a non-negative integer";
            break;
        case PK_POSINT:
            ok = parse_int64(value, &v) && v > 0 && v <= 1024;
            what = "a positive integer";
            break;
        case PK_BOOL:
            ok = ieq(value, "true") || ieq(value, "false");
            what = "true|false";
            break;
        case PK_FORMAT:
            ok = find_format(value) != NULL &&
                 (strcmp(name, "ksql.persistence.default.format.key") == 0 ||
                  !ieq(value, "NONE"));
            what = "a format: JSON, JSON_SR, AVRO, PROTOBUF, PROTOBUF_NOSR, DELIMITED, KAFKA";
            break;
        }
        if (!ok)
            return sl_error_set(err, SL_ERR_ANALYSIS, span,
                                "invalid value '%s' for property '%s': expected %s", value,
                                name, what);
    }
    kv_entry *e = entry_new(sizeof *e, 512);
    e->name = sl_arena_strdup(e->h.arena, name);
    e->h.key = e->name;
    e->value = sl_arena_strdup(e->h.arena, value);
    if (kp && (kp->kind == PK_ENUM || kp->kind == PK_BOOL)) {
        for (char *p = (char *)e->value; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    } else if (kp && kp->kind == PK_FORMAT) {
        e->value = find_format(value);
    }
    vec_put(&c->props, &e->h);
    return 0;
}

const char *sl_catalog_unset_property(sl_catalog *c, const char *name, sl_arena *a)
{
    if (!name)
        return NULL;
    name = canonical_prop(name);
    kv_entry *e = (kv_entry *)vec_get(&c->props, name);
    if (!e)
        return NULL;
    const char *old = sl_arena_strdup(a, e->value);
    vec_del(&c->props, name);
    return old;
}

const char *sl_catalog_property(const sl_catalog *c, const char *name)
{
    if (!name)
        return NULL;
    name = canonical_prop(name);
    kv_entry *e = (kv_entry *)vec_get(&c->props, name);
    if (e)
        return e->value;
    const struct known_prop *kp = known_prop(name);
    return kp ? kp->info.def : NULL;
}

bool sl_catalog_property_is_set(const sl_catalog *c, const char *name)
{
    return name && vec_get(&c->props, canonical_prop(name)) != NULL;
}

int sl_catalog_property_count(const sl_catalog *c) { return c->props.n; }

const char *sl_catalog_property_at(const sl_catalog *c, int i, const char **name)
{
    if (i < 0 || i >= c->props.n)
        return NULL;
    kv_entry *e = (kv_entry *)c->props.items[i];
    if (name)
        *name = e->name;
    return e->value;
}
