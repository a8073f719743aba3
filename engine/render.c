/*
 * render.c: statement results as text tables or JSON documents.
 *
 * Does: lay out sl_result (render.h) as aligned tables and labelled fields,
 * or as one compact JSON object per statement built with jansson (this is
 * control-plane output, never a per-record path); render errors in either
 * form.
 *
 * JSON cells: jansson has no raw-number type and would print doubles and
 * decimals approximately, so each non-NULL cell enters the jansson tree as
 * a placeholder string that starts with a NUL character ("\u0000<index>"
 * once dumped) and is replaced afterwards by sl_value_render's exact JSON.
 * No other string of the tree can contain NUL (they are all C strings), so
 * the placeholders cannot be confused with user text.
 *
 * Does not: decide what a result contains (exec.c), write to FILEs.
 */
#include "render.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

size_t sl_render_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w++;
    return w;
}

/* ---- text ---- */

static void pad(sl_buf *out, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sl_buf_putc(out, c);
}

static void border(sl_buf *out, const size_t *w, int ncols)
{
    sl_buf_putc(out, '+');
    for (int c = 0; c < ncols; c++) {
        pad(out, '-', w[c] + 2);
        sl_buf_putc(out, '+');
    }
    sl_buf_putc(out, '\n');
}

/* Control characters would break the layout: show them escaped. */
static const char *cell_text(sl_buf *tmp, const char *s)
{
    bool plain = true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            plain = false;
    if (plain)
        return s;
    sl_buf_reset(tmp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            sl_buf_puts(tmp, "\\n");
        else if (*p == '\t')
            sl_buf_puts(tmp, "\\t");
        else if (*p == '\r')
            sl_buf_puts(tmp, "\\r");
        else if (*p < 0x20 || *p == 0x7f)
            sl_buf_printf(tmp, "\\x%02x", *p);
        else
            sl_buf_putc(tmp, (char)*p);
    }
    return sl_buf_cstr(tmp);
}

static void row_line(sl_buf *out, const size_t *w, int ncols, const char *const *cells,
                     sl_buf *tmp)
{
    sl_buf_putc(out, '|');
    for (int c = 0; c < ncols; c++) {
        const char *t = cell_text(tmp, cells[c] ? cells[c] : "");
        sl_buf_putc(out, ' ');
        sl_buf_puts(out, t);
        pad(out, ' ', w[c] - sl_render_width(t) + 1);
        sl_buf_putc(out, '|');
    }
    sl_buf_putc(out, '\n');
}

void sl_render_text_table(sl_buf *out, const char *const *titles, int ncols,
                          const char *const *cells, int nrows)
{
    if (ncols <= 0)
        return;
    size_t *w = calloc((size_t)ncols, sizeof *w);
    sl_buf tmp = SL_BUF_INIT;
    if (!w)
        abort();
    for (int c = 0; c < ncols; c++)
        w[c] = sl_render_width(cell_text(&tmp, titles[c] ? titles[c] : ""));
    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < ncols; c++) {
            const char *s = cells[(size_t)r * ncols + c];
            size_t cw = sl_render_width(cell_text(&tmp, s ? s : ""));
            if (cw > w[c])
                w[c] = cw;
        }
    border(out, w, ncols);
    row_line(out, w, ncols, titles, &tmp);
    border(out, w, ncols);
    for (int r = 0; r < nrows; r++)
        row_line(out, w, ncols, cells + (size_t)r * ncols, &tmp);
    if (nrows > 0)
        border(out, w, ncols);
    sl_buf_fini(&tmp);
    free(w);
}

static void render_text(sl_buf *out, const sl_result *r)
{
    if (r->nfields > 0) {
        size_t lw = 0;
        for (int i = 0; i < r->nfields; i++) {
            if (r->fields[i].flags & SL_R_JSON_ONLY)
                continue;
            size_t n = sl_render_width(r->fields[i].label);
            if (n > lw)
                lw = n;
        }
        for (int i = 0; i < r->nfields; i++) {
            if (r->fields[i].flags & SL_R_JSON_ONLY)
                continue;
            sl_buf_puts(out, r->fields[i].label);
            pad(out, ' ', lw - sl_render_width(r->fields[i].label));
            sl_buf_puts(out, " : ");
            sl_buf_puts(out, r->fields[i].value ? r->fields[i].value : "");
            sl_buf_putc(out, '\n');
        }
    }
    if (r->rows_key && r->ncols > 0) {
        int *shown = calloc((size_t)r->ncols, sizeof *shown);
        int nc = 0;
        if (!shown)
            abort();
        for (int c = 0; c < r->ncols; c++)
            if (!(r->cols[c].flags & SL_R_JSON_ONLY))
                shown[nc++] = c;
        const char **titles = calloc((size_t)(nc ? nc : 1), sizeof *titles);
        size_t ncells = (size_t)r->nrows * (size_t)nc;
        char **cells = calloc(ncells ? ncells : 1, sizeof *cells);
        if (!titles || !cells)
            abort();
        for (int c = 0; c < nc; c++)
            titles[c] = r->cols[shown[c]].title;
        sl_buf b = SL_BUF_INIT;
        for (size_t i = 0; i < ncells; i++) {
            int col = shown[i % (size_t)nc];
            const sl_value *v = &r->cells[(i / (size_t)nc) * (size_t)r->ncols + (size_t)col];
            sl_buf_reset(&b);
            sl_value_render(&b, v, r->cols[col].type, SL_RENDER_TEXT);
            cells[i] = strdup(sl_buf_cstr(&b));
            if (!cells[i])
                abort();
        }
        free(shown);
        sl_buf_fini(&b);
        sl_render_text_table(out, titles, nc, (const char *const *)cells, r->nrows);
        for (size_t i = 0; i < ncells; i++)
            free(cells[i]);
        free(cells);
        free(titles);
    }
    if (r->footer) {
        sl_buf_puts(out, r->footer);
        sl_buf_putc(out, '\n');
    }
    for (int i = 0; i < r->nchildren; i++) {
        if (i > 0 || r->nfields > 0 || r->rows_key)
            sl_buf_putc(out, '\n');
        render_text(out, &r->children[i]);
    }
    if (r->message) {
        sl_buf_puts(out, r->message);
        sl_buf_putc(out, '\n');
    }
}

/* ---- JSON ---- */

typedef struct cellref {
    const sl_value *v;
    const sl_type *t;
} cellref;

typedef struct jctx {
    cellref *cells;
    size_t n, cap;
} jctx;

/* A jansson string from C text; invalid UTF-8 bytes become U+FFFD. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    sl_buf b = SL_BUF_INIT;
    size_t len = strlen(s), i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n > 0 && i + n <= len && sl_utf8_valid(s + i, n)) {
            sl_buf_append(&b, s + i, n);
            i += n;
        } else {
            sl_buf_puts(&b, "\xEF\xBF\xBD");
            i++;
        }
    }
    j = json_string(sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return j ? j : json_string("?");
}

static json_t *jcell(jctx *cx, const sl_value *v, const sl_type *t)
{
    if (sl_is_null(v))
        return json_null();
    if (cx->n == cx->cap) {
        cx->cap = cx->cap ? cx->cap * 2 : 16;
        cx->cells = realloc(cx->cells, cx->cap * sizeof *cx->cells);
        if (!cx->cells)
            abort();
    }
    char ph[32];
    int len = snprintf(ph, sizeof ph, "%c%zu", '\0', cx->n);
    cx->cells[cx->n].v = v;
    cx->cells[cx->n].t = t;
    cx->n++;
    return json_stringn(ph, (size_t)len);
}

/* A member's value: raw JSON text parsed (null when it does not parse,
 * which would be the executor's bug), else a string. */
static json_t *jmember(const char *value, unsigned flags)
{
    if (!value || !(flags & SL_R_JSON_RAW))
        return jstr(value);
    json_t *j = json_loads(value, JSON_DECODE_ANY, NULL);
    return j ? j : json_null();
}

/* A cell of a JSON_RAW column: its text parsed as JSON. */
static json_t *jraw_cell(const sl_value *v, const sl_type *t)
{
    sl_buf b = SL_BUF_INIT;
    sl_value_render(&b, v, t, SL_RENDER_TEXT);
    json_t *j = json_loads(sl_buf_cstr(&b), JSON_DECODE_ANY, NULL);
    sl_buf_fini(&b);
    return j ? j : json_null();
}

static json_t *json_of(jctx *cx, const sl_result *r);

/* The members of r other than @type, statementText and warnings. */
static json_t *json_body(jctx *cx, const sl_result *r)
{
    json_t *o = json_object();
    if (r->message)
        json_object_set_new(o, "message", jstr(r->message));
    for (int i = 0; i < r->nfields; i++) {
        const sl_rfield *f = &r->fields[i];
        if ((f->flags & SL_R_TEXT_ONLY) || (!f->value && (f->flags & SL_R_OMIT_NULL)))
            continue;
        json_object_set_new(o, f->key, jmember(f->value, f->flags));
    }
    if (r->rows_key) {
        json_t *rows = json_array();
        if (r->rows_as_arrays) {
            json_t *cols = json_array();
            for (int c = 0; c < r->ncols; c++) {
                if (r->cols[c].flags & SL_R_TEXT_ONLY)
                    continue;
                json_t *col = json_object();
                json_object_set_new(col, "name", jstr(r->cols[c].title));
                sl_buf tb = SL_BUF_INIT;
                if (r->cols[c].type)
                    sl_type_format(&tb, r->cols[c].type);
                json_object_set_new(col, "type", jstr(sl_buf_cstr(&tb)));
                sl_buf_fini(&tb);
                json_array_append_new(cols, col);
            }
            json_object_set_new(o, "columns", cols);
        }
        for (int row = 0; row < r->nrows; row++) {
            const sl_value *cells = r->cells + (size_t)row * r->ncols;
            json_t *jr = r->rows_as_arrays ? json_array() : json_object();
            for (int c = 0; c < r->ncols; c++) {
                unsigned fl = r->cols[c].flags;
                if ((fl & SL_R_TEXT_ONLY) || (sl_is_null(&cells[c]) && (fl & SL_R_OMIT_NULL)))
                    continue;
                json_t *cv = (fl & SL_R_JSON_RAW) && !sl_is_null(&cells[c])
                                 ? jraw_cell(&cells[c], r->cols[c].type)
                                 : jcell(cx, &cells[c], r->cols[c].type);
                if (r->rows_as_arrays)
                    json_array_append_new(jr, cv);
                else
                    json_object_set_new(jr, r->cols[c].key, cv);
            }
            json_array_append_new(rows, jr);
        }
        json_object_set_new(o, r->rows_key, rows);
    }
    if (r->children_key) {
        json_t *ch = json_array();
        for (int i = 0; i < r->nchildren; i++) {
            const sl_result *cr = &r->children[i];
            json_t *c = cr->body_key ? json_body(cx, cr) : json_of(cx, cr);
            json_object_del(c, "statementText");
            json_array_append_new(ch, c);
        }
        json_object_set_new(o, r->children_key, ch);
    }
    return o;
}

static json_t *json_of(jctx *cx, const sl_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "@type", jstr(r->type ? r->type : "currentStatus"));
    json_object_set_new(o, "statementText", jstr(r->statement ? r->statement : ""));
    json_t *body = json_body(cx, r);
    if (r->body_key)
        json_object_set_new(o, r->body_key, body);
    else {
        json_object_update(o, body);
        json_decref(body);
    }
    json_object_set_new(o, "warnings", json_array());
    return o;
}

/* ---- ksqlDB's SchemaInfo ---- */

static const char *schema_type_name(sl_kind k)
{
    switch (k) {
    case SL_INT: return "INTEGER";
    case SL_STRING: return "STRING";    /* SqlBaseType's name; VARCHAR is the SQL spelling */
    default: return sl_kind_name(k);
    }
}

void sl_render_schema_json(sl_buf *out, const sl_type *t)
{
    sl_buf_puts(out, "{\"type\":");
    const char *name = t ? schema_type_name(t->kind) : "NULL";
    sl_buf_json_string(out, name, strlen(name));
    sl_buf_puts(out, ",\"fields\":");
    if (t && t->kind == SL_STRUCT) {
        sl_buf_putc(out, '[');
        for (int i = 0; i < t->nfields; i++) {
            const char *fn = t->fields[i].name ? t->fields[i].name : "";
            sl_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
            sl_buf_json_string(out, fn, strlen(fn));
            sl_buf_puts(out, ",\"schema\":");
            sl_render_schema_json(out, t->fields[i].type);
            sl_buf_putc(out, '}');
        }
        sl_buf_putc(out, ']');
    } else
        sl_buf_puts(out, "null");
    sl_buf_puts(out, ",\"memberSchema\":");
    if (t && (t->kind == SL_ARRAY || t->kind == SL_MAP) && t->elem)
        sl_render_schema_json(out, t->elem);
    else
        sl_buf_puts(out, "null");
    if (t && t->kind == SL_DECIMAL)
        sl_buf_printf(out, ",\"parameters\":{\"precision\":%d,\"scale\":%d}", t->precision,
                      t->scale);
    sl_buf_putc(out, '}');
}

/* Replaces each "\u0000<n>" placeholder with the exact JSON of cell n. */
static void splice(sl_buf *out, const char *s, const jctx *cx)
{
    static const char mark[] = "\"\\u0000";
    const size_t ml = sizeof mark - 1;
    const char *p = s;
    for (;;) {
        const char *m = strstr(p, mark);
        if (!m) {
            sl_buf_puts(out, p);
            return;
        }
        const char *q = m + ml;
        size_t idx = 0;
        bool digits = false;
        while (*q >= '0' && *q <= '9') {
            idx = idx * 10 + (size_t)(*q - '0');
            q++;
            digits = true;
        }
        if (!digits || *q != '"' || idx >= cx->n) {   /* cannot happen; copy as is */
            sl_buf_append(out, p, (size_t)(m - p) + 1);
            p = m + 1;
            continue;
        }
        sl_buf_append(out, p, (size_t)(m - p));
        sl_value_render(out, cx->cells[idx].v, cx->cells[idx].t, SL_RENDER_JSON);
        p = q + 1;
    }
}

void sl_render_result(sl_buf *out, const sl_result *r, sl_output mode)
{
    if (mode != SL_OUTPUT_JSON) {
        render_text(out, r);
        return;
    }
    jctx cx = {0};
    json_t *o = json_of(&cx, r);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s) {
        splice(out, s, &cx);
        free(s);
    }
    sl_buf_putc(out, '\n');
    free(cx.cells);
}

void sl_render_error(sl_buf *out, const sl_error *e, const char *text, size_t len,
                     const char *srcname, const char *stmt_text, sl_output mode)
{
    if (mode != SL_OUTPUT_JSON) {
        sl_error_render(out, e, text, len, srcname);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "@type", json_string("statement_error"));
    int code = (e->code == SL_ERR_INTERNAL || e->code == SL_ERR_IO) ? 50000 : 40001;
    json_object_set_new(o, "error_code", json_integer(code));
    json_object_set_new(o, "message", jstr(e->msg));
    json_object_set_new(o, "statementText", jstr(stmt_text ? stmt_text : ""));
    json_object_set_new(o, "kind", jstr(sl_errcode_name(e->code)));
    if (text && e->span.off != SL_NOPOS && e->span.off <= len) {
        int line, col;
        sl_text_position(text, len, e->span.off, &line, &col);
        json_object_set_new(o, "line", json_integer(line));
        json_object_set_new(o, "column", json_integer(col));
    }
    if (srcname)
        json_object_set_new(o, "source", jstr(srcname));
    json_object_set_new(o, "entities", json_array());
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s) {
        sl_buf_puts(out, s);
        free(s);
    }
    sl_buf_putc(out, '\n');
}
