/*
 * types.c: the SQL types (see types.h).
 *
 * Does: the primitive singletons, builders for DECIMAL / ARRAY / MAP /
 * STRUCT in an arena, structural equality, ksqlDB's spellings of types,
 * implicit widening (INT -> BIGINT -> DECIMAL -> DOUBLE), the common type
 * of two operands, and which CASTs ksqlDB allows.
 *
 * Does not: convert values (cast.c), build types from the AST (expr.c), or
 * know anything about functions.
 */
#include <string.h>

#include "types.h"

const sl_type SL_TYPE_NULL = {.kind = SL_NULL};
const sl_type SL_TYPE_BOOLEAN = {.kind = SL_BOOLEAN};
const sl_type SL_TYPE_INT = {.kind = SL_INT};
const sl_type SL_TYPE_BIGINT = {.kind = SL_BIGINT};
const sl_type SL_TYPE_DOUBLE = {.kind = SL_DOUBLE};
const sl_type SL_TYPE_STRING = {.kind = SL_STRING};
const sl_type SL_TYPE_BYTES = {.kind = SL_BYTES};
const sl_type SL_TYPE_TIMESTAMP = {.kind = SL_TIMESTAMP};
const sl_type SL_TYPE_DATE = {.kind = SL_DATE};
const sl_type SL_TYPE_TIME = {.kind = SL_TIME};

const sl_type *sl_type_primitive(sl_kind k)
{
    switch (k) {
    case SL_NULL: return &SL_TYPE_NULL;
    case SL_BOOLEAN: return &SL_TYPE_BOOLEAN;
    case SL_INT: return &SL_TYPE_INT;
    case SL_BIGINT: return &SL_TYPE_BIGINT;
    case SL_DOUBLE: return &SL_TYPE_DOUBLE;
    case SL_STRING: return &SL_TYPE_STRING;
    case SL_BYTES: return &SL_TYPE_BYTES;
    case SL_TIMESTAMP: return &SL_TYPE_TIMESTAMP;
    case SL_DATE: return &SL_TYPE_DATE;
    case SL_TIME: return &SL_TYPE_TIME;
    default: return NULL;
    }
}

const sl_type *sl_type_decimal(sl_arena *a, int precision, int scale)
{
    if (precision < 1)
        precision = 1;
    if (precision > SL_DECIMAL_MAX_PRECISION)
        precision = SL_DECIMAL_MAX_PRECISION;
    if (scale < 0)
        scale = 0;
    if (scale > precision)
        scale = precision;
    sl_type *t = sl_arena_zalloc(a, sizeof *t);
    t->kind = SL_DECIMAL;
    t->precision = (uint8_t)precision;
    t->scale = (uint8_t)scale;
    return t;
}

const sl_type *sl_type_array(sl_arena *a, const sl_type *elem)
{
    sl_type *t = sl_arena_zalloc(a, sizeof *t);
    t->kind = SL_ARRAY;
    t->elem = elem;
    return t;
}

const sl_type *sl_type_map(sl_arena *a, const sl_type *key, const sl_type *value)
{
    sl_type *t = sl_arena_zalloc(a, sizeof *t);
    t->kind = SL_MAP;
    t->key = key;
    t->elem = value;
    return t;
}

const sl_type *sl_type_struct(sl_arena *a, const sl_field *fields, int nfields)
{
    sl_type *t = sl_arena_zalloc(a, sizeof *t);
    t->kind = SL_STRUCT;
    t->nfields = nfields;
    if (nfields > 0) {
        sl_field *f = sl_arena_alloc(a, sizeof *f * (size_t)nfields);
        memcpy(f, fields, sizeof *f * (size_t)nfields);
        t->fields = f;
    }
    return t;
}

const sl_type *sl_type_copy(sl_arena *a, const sl_type *t)
{
    if (!t)
        return NULL;
    const sl_type *p = sl_type_primitive(t->kind);
    if (p)
        return p;
    switch (t->kind) {
    case SL_DECIMAL:
        return sl_type_decimal(a, t->precision, t->scale);
    case SL_ARRAY:
        return sl_type_array(a, sl_type_copy(a, t->elem));
    case SL_MAP:
        return sl_type_map(a, sl_type_copy(a, t->key), sl_type_copy(a, t->elem));
    case SL_STRUCT: {
        sl_field *f = sl_arena_alloc(a, sizeof *f * (size_t)(t->nfields ? t->nfields : 1));
        for (int i = 0; i < t->nfields; i++) {
            f[i].name = sl_arena_strdup(a, t->fields[i].name);
            f[i].type = sl_type_copy(a, t->fields[i].type);
        }
        return sl_type_struct(a, f, t->nfields);
    }
    default:
        return t;
    }
}

bool sl_type_equal(const sl_type *a, const sl_type *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->kind != b->kind)
        return false;
    switch (a->kind) {
    case SL_DECIMAL:
        return a->precision == b->precision && a->scale == b->scale;
    case SL_ARRAY:
        return sl_type_equal(a->elem, b->elem);
    case SL_MAP:
        return sl_type_equal(a->key, b->key) && sl_type_equal(a->elem, b->elem);
    case SL_STRUCT:
        if (a->nfields != b->nfields)
            return false;
        for (int i = 0; i < a->nfields; i++)
            if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
                !sl_type_equal(a->fields[i].type, b->fields[i].type))
                return false;
        return true;
    default:
        return true;
    }
}

bool sl_type_is_numeric(const sl_type *t)
{
    return t && (t->kind == SL_INT || t->kind == SL_BIGINT || t->kind == SL_DECIMAL ||
                 t->kind == SL_DOUBLE);
}

const char *sl_kind_name(sl_kind k)
{
    switch (k) {
    case SL_NULL: return "NULL";
    case SL_BOOLEAN: return "BOOLEAN";
    case SL_INT: return "INTEGER";
    case SL_BIGINT: return "BIGINT";
    case SL_DOUBLE: return "DOUBLE";
    case SL_DECIMAL: return "DECIMAL";
    case SL_STRING: return "VARCHAR";
    case SL_BYTES: return "BYTES";
    case SL_TIMESTAMP: return "TIMESTAMP";
    case SL_DATE: return "DATE";
    case SL_TIME: return "TIME";
    case SL_ARRAY: return "ARRAY";
    case SL_MAP: return "MAP";
    case SL_STRUCT: return "STRUCT";
    default: return "UNKNOWN";
    }
}

void sl_type_format(sl_buf *out, const sl_type *t)
{
    if (!t) {
        sl_buf_puts(out, "NULL");
        return;
    }
    switch (t->kind) {
    case SL_DECIMAL:
        sl_buf_printf(out, "DECIMAL(%d, %d)", t->precision, t->scale);
        break;
    case SL_ARRAY:
        sl_buf_puts(out, "ARRAY<");
        sl_type_format(out, t->elem);
        sl_buf_putc(out, '>');
        break;
    case SL_MAP:
        sl_buf_puts(out, "MAP<");
        sl_type_format(out, t->key);
        sl_buf_puts(out, ", ");
        sl_type_format(out, t->elem);
        sl_buf_putc(out, '>');
        break;
    case SL_STRUCT:
        sl_buf_puts(out, "STRUCT<");
        for (int i = 0; i < t->nfields; i++) {
            if (i)
                sl_buf_puts(out, ", ");
            sl_buf_putc(out, '`');
            sl_buf_puts(out, t->fields[i].name);
            sl_buf_puts(out, "` ");
            sl_type_format(out, t->fields[i].type);
        }
        sl_buf_putc(out, '>');
        break;
    default:
        sl_buf_puts(out, sl_kind_name(t->kind));
    }
}

const char *sl_type_str(sl_arena *a, const sl_type *t)
{
    sl_buf b = SL_BUF_INIT;
    sl_type_format(&b, t);
    const char *s = sl_arena_strdup(a, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return s;
}

const sl_type *sl_type_as_decimal(sl_arena *a, const sl_type *t)
{
    switch (t->kind) {
    case SL_INT: return sl_type_decimal(a, 10, 0);
    case SL_BIGINT: return sl_type_decimal(a, 19, 0);
    case SL_DECIMAL: return t;
    default: return NULL;
    }
}

/* Integer digits and scale of a numeric type seen as a decimal. */
static void dec_shape(const sl_type *t, int *intdigits, int *scale)
{
    switch (t->kind) {
    case SL_INT: *intdigits = 10; *scale = 0; break;
    case SL_BIGINT: *intdigits = 19; *scale = 0; break;
    default: *intdigits = t->precision - t->scale; *scale = t->scale; break;
    }
}

static bool decimal_holds(const sl_type *from, const sl_type *to)
{
    int fi, fs, ti, ts;
    dec_shape(from, &fi, &fs);
    dec_shape(to, &ti, &ts);
    return ts >= fs && ti >= fi;
}

static const sl_field *field_named(const sl_type *st, const char *name)
{
    for (int i = 0; i < st->nfields; i++)
        if (strcmp(st->fields[i].name, name) == 0)
            return &st->fields[i];
    return NULL;
}

bool sl_type_widens_to(const sl_type *from, const sl_type *to)
{
    if (!from || !to)
        return false;
    if (from->kind == SL_NULL || sl_type_equal(from, to))
        return true;
    switch (from->kind) {
    case SL_INT:
        return to->kind == SL_BIGINT || to->kind == SL_DOUBLE ||
               (to->kind == SL_DECIMAL && decimal_holds(from, to));
    case SL_BIGINT:
        return to->kind == SL_DOUBLE || (to->kind == SL_DECIMAL && decimal_holds(from, to));
    case SL_DECIMAL:
        return to->kind == SL_DOUBLE || (to->kind == SL_DECIMAL && decimal_holds(from, to));
    case SL_ARRAY:
        return to->kind == SL_ARRAY && sl_type_widens_to(from->elem, to->elem);
    case SL_MAP:
        return to->kind == SL_MAP && sl_type_widens_to(from->key, to->key) &&
               sl_type_widens_to(from->elem, to->elem);
    case SL_STRUCT:
        if (to->kind != SL_STRUCT || to->nfields != from->nfields)
            return false;
        for (int i = 0; i < from->nfields; i++)
            if (strcmp(from->fields[i].name, to->fields[i].name) != 0 ||
                !sl_type_widens_to(from->fields[i].type, to->fields[i].type))
                return false;
        return true;
    default:
        return false;
    }
}

const sl_type *sl_type_common(sl_arena *a, const sl_type *x, const sl_type *y)
{
    if (!x || !y)
        return NULL;
    if (x->kind == SL_NULL)
        return y;
    if (y->kind == SL_NULL)
        return x;
    if (sl_type_equal(x, y))
        return x;
    if (sl_type_is_numeric(x) && sl_type_is_numeric(y)) {
        if (x->kind == SL_DOUBLE || y->kind == SL_DOUBLE)
            return &SL_TYPE_DOUBLE;
        if (x->kind == SL_DECIMAL || y->kind == SL_DECIMAL) {
            int xi, xs, yi, ys;
            dec_shape(x, &xi, &xs);
            dec_shape(y, &yi, &ys);
            int s = xs > ys ? xs : ys;
            int i = xi > yi ? xi : yi;
            if (i + s > SL_DECIMAL_MAX_PRECISION) {
                /* keep the integer digits, give up fraction digits */
                s = SL_DECIMAL_MAX_PRECISION - i;
                if (s < 0)
                    s = 0;
                i = SL_DECIMAL_MAX_PRECISION - s;
            }
            return sl_type_decimal(a, i + s > 0 ? i + s : 1, s);
        }
        return &SL_TYPE_BIGINT;     /* INT and BIGINT */
    }
    if (x->kind != y->kind)
        return NULL;
    switch (x->kind) {
    case SL_ARRAY: {
        const sl_type *e = sl_type_common(a, x->elem, y->elem);
        return e ? sl_type_array(a, e) : NULL;
    }
    case SL_MAP: {
        const sl_type *k = sl_type_common(a, x->key, y->key);
        const sl_type *v = sl_type_common(a, x->elem, y->elem);
        return k && v ? sl_type_map(a, k, v) : NULL;
    }
    case SL_STRUCT: {
        if (x->nfields != y->nfields)
            return NULL;
        sl_field *f = sl_arena_alloc(a, sizeof *f * (size_t)(x->nfields ? x->nfields : 1));
        for (int i = 0; i < x->nfields; i++) {
            if (strcmp(x->fields[i].name, y->fields[i].name) != 0)
                return NULL;
            f[i].name = x->fields[i].name;
            f[i].type = sl_type_common(a, x->fields[i].type, y->fields[i].type);
            if (!f[i].type)
                return NULL;
        }
        return sl_type_struct(a, f, x->nfields);
    }
    default:
        return NULL;
    }
}

bool sl_type_castable(const sl_type *from, const sl_type *to)
{
    if (!from || !to)
        return false;
    if (from->kind == SL_NULL || sl_type_equal(from, to))
        return true;
    if (to->kind == SL_NULL)
        return false;
    if (sl_type_is_numeric(from) && sl_type_is_numeric(to))
        return true;
    if (to->kind == SL_STRING)
        return from->kind != SL_BYTES;  /* ksqlDB: FROM_BYTES, not CAST */
    switch (from->kind) {
    case SL_STRING:
        return to->kind == SL_BOOLEAN || sl_type_is_numeric(to) || to->kind == SL_TIMESTAMP ||
               to->kind == SL_DATE || to->kind == SL_TIME;
    case SL_TIMESTAMP:
        return to->kind == SL_DATE || to->kind == SL_TIME;
    case SL_DATE:
        return to->kind == SL_TIMESTAMP;
    case SL_ARRAY:
        return to->kind == SL_ARRAY && sl_type_castable(from->elem, to->elem);
    case SL_MAP:
        return to->kind == SL_MAP && sl_type_castable(from->key, to->key) &&
               sl_type_castable(from->elem, to->elem);
    case SL_STRUCT:
        if (to->kind != SL_STRUCT)
            return false;
        /* fields are matched by name; those in both must convert */
        for (int i = 0; i < to->nfields; i++) {
            const sl_field *f = field_named(from, to->fields[i].name);
            if (f && !sl_type_castable(f->type, to->fields[i].type))
                return false;
        }
        return true;
    default:
        return false;
    }
}
