/*
 * fn_collection.c: ksqlDB's collection functions (categories ARRAY, MAP
 * and OTHER).
 *
 * ARRAY_CONTAINS, ARRAY_CONCAT, ARRAY_DISTINCT, ARRAY_EXCEPT,
 * ARRAY_INTERSECT, ARRAY_UNION, ARRAY_JOIN, ARRAY_LENGTH, ARRAY_MAX,
 * ARRAY_MIN, ARRAY_REMOVE, ARRAY_SORT, SLICE, GENERATE_SERIES (ksqlDB's is
 * a scalar function returning an ARRAY), AS_MAP, ENTRIES, MAP_KEYS,
 * MAP_VALUES, MAP_UNION, ELT and FIELD.
 *
 * NULL handling follows ksqlDB function by function (see each
 * description): set operations treat NULL elements as values (one NULL
 * equals another), ARRAY_MAX/MIN/SORT skip or move NULLs, ARRAY_CONCAT and
 * MAP_UNION return the other input when one is NULL. Maps keep insertion
 * order; a key given twice keeps its first position and its last value.
 * Distinctness uses sl_value_equal with a hash index, so long arrays stay
 * linear.
 *
 * Limits that ksqlDB has only implicitly (the JVM heap): GENERATE_SERIES
 * refuses to build more than 1,000,000 elements (a row error).
 *
 * It does not implement the ARRAY[...] / MAP(...) constructors (the
 * expression compiler) nor the lambda functions (fn_lambda.c).
 */
#include "func.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#define SERIES_LIMIT 1000000

/* A hash index over values held elsewhere: slot -> index + 1 (0 empty).
 * sl_value_hash agrees with sl_value_equal (1, 1.0 and 1.00 hash alike). */
typedef struct vindex {
    const sl_value **vals;      /* the indexed values, by index */
    uint32_t *slots;
    uint32_t mask;
} vindex;

static void vindex_init(vindex *x, sl_arena *a, uint32_t expect)
{
    uint32_t cap = 8;
    while (cap < expect * 2u && cap < (1u << 31))
        cap <<= 1;
    x->slots = sl_arena_zalloc(a, sizeof(uint32_t) * cap);
    x->vals = sl_arena_alloc(a, sizeof(sl_value *) * (expect ? expect : 1));
    x->mask = cap - 1;
}

/* Index of a value equal to v, or -1. With `add`, v is added under index `idx` when absent. */
static int64_t vindex_find(vindex *x, const sl_value *v, bool add, uint32_t idx)
{
    uint32_t i = (uint32_t)sl_value_hash(v) & x->mask;
    for (;;) {
        uint32_t s = x->slots[i];
        if (s == 0) {
            if (add) {
                x->slots[i] = idx + 1;
                x->vals[idx] = v;
            }
            return -1;
        }
        if (sl_value_equal(x->vals[s - 1], v))
            return (int64_t)(s - 1);
        i = (i + 1) & x->mask;
    }
}

/* ---- comparisons ---- */

/* Java's Double.compare order: -0.0 < 0.0, NaN above everything. */
static int double_cmp(double a, double b)
{
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    bool an = isnan(a), bn = isnan(b);
    if (an || bn)
        return an == bn ? 0 : (an ? 1 : -1);
    bool as = signbit(a), bs = signbit(b);
    return as == bs ? 0 : (as ? -1 : 1);
}

static int vcmp(const sl_value *a, const sl_value *b)
{
    if (a->kind == SL_DOUBLE && b->kind == SL_DOUBLE)
        return double_cmp(a->u.d, b->u.d);
    return sl_value_compare(a, b);
}

static bool is_primitive(const sl_type *t)
{
    switch (t->kind) {
    case SL_BOOLEAN: case SL_INT: case SL_BIGINT: case SL_DOUBLE: case SL_DECIMAL:
    case SL_STRING: case SL_BYTES: case SL_TIMESTAMP: case SL_DATE: case SL_TIME:
        return true;
    default:
        return false;
    }
}

/* Rettype hooks that refuse arrays of non-primitive elements, as ksqlDB does. */
static const sl_type *check_prim_elem(const sl_type *arr, const char *fname, sl_error *err)
{
    if (!arr || arr->kind != SL_ARRAY || !arr->elem || arr->elem->kind == SL_NULL) {
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                     "cannot infer the element type of the array given to %s: CAST it", fname);
        return NULL;
    }
    if (!is_primitive(arr->elem)) {
        sl_buf b = SL_BUF_INIT;
        sl_type_format(&b, arr->elem);
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                     "%s supports arrays of primitive types only, not of %s", fname,
                     sl_buf_cstr(&b));
        sl_buf_fini(&b);
        return NULL;
    }
    return arr->elem;
}

static const sl_type *ret_max_min(sl_arena *a, const sl_type *const *t, int n, sl_error *err)
{
    return check_prim_elem(t[0], "ARRAY_MAX / ARRAY_MIN", err);
}

static const sl_type *ret_sort(sl_arena *a, const sl_type *const *t, int n, sl_error *err)
{
    return check_prim_elem(t[0], "ARRAY_SORT", err) ? t[0] : NULL;
}

static const sl_type *ret_join(sl_arena *a, const sl_type *const *t, int n, sl_error *err)
{
    if (t[0] && t[0]->kind == SL_ARRAY && t[0]->elem && t[0]->elem->kind == SL_BYTES) {
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                     "ARRAY_JOIN supports arrays of primitive types only, not of BYTES");
        return NULL;
    }
    if (t[0] && t[0]->kind == SL_ARRAY && t[0]->elem && t[0]->elem->kind == SL_NULL)
        return &SL_TYPE_STRING;     /* ARRAY[NULL]: every element renders as null */
    return check_prim_elem(t[0], "ARRAY_JOIN", err) ? &SL_TYPE_STRING : NULL;
}

/* ---- arrays ---- */

static int f_array_contains(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    bool found = false;
    if (!sl_is_null(&a[0]))
        for (uint32_t i = 0; i < a[0].u.arr.n && !found; i++)
            found = sl_value_equal(&a[0].u.arr.items[i], &a[1]);
    *out = sl_bool(found);
    return 0;
}

static int f_array_concat(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0]) && sl_is_null(&a[1])) {
        *out = sl_null();
        return 0;
    }
    uint32_t n0 = sl_is_null(&a[0]) ? 0 : a[0].u.arr.n;
    uint32_t n1 = sl_is_null(&a[1]) ? 0 : a[1].u.arr.n;
    *out = sl_array_new(c->arena, n0 + n1);
    for (uint32_t i = 0; i < n0; i++)
        out->u.arr.items[i] = a[0].u.arr.items[i];
    for (uint32_t i = 0; i < n1; i++)
        out->u.arr.items[n0 + i] = a[1].u.arr.items[i];
    return 0;
}

/* Appends the elements of src not yet in `seen` (and, with `filter`, present / absent in it). */
typedef enum { KEEP_ALL, KEEP_IN, KEEP_NOT_IN } keep_mode;

static void add_distinct(sl_value *out, vindex *seen, const sl_value *src, vindex *filter,
                         keep_mode mode)
{
    for (uint32_t i = 0; i < src->u.arr.n; i++) {
        const sl_value *v = &src->u.arr.items[i];
        if (mode != KEEP_ALL) {
            bool in = vindex_find(filter, v, false, 0) >= 0;
            if (in != (mode == KEEP_IN))
                continue;
        }
        if (vindex_find(seen, v, true, out->u.arr.n) < 0)
            out->u.arr.items[out->u.arr.n++] = *v;
    }
}

static void index_array(vindex *x, sl_arena *ar, const sl_value *arr)
{
    vindex_init(x, ar, arr->u.arr.n);
    for (uint32_t i = 0; i < arr->u.arr.n; i++)
        vindex_find(x, &arr->u.arr.items[i], true, i);
}

static int f_array_distinct(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    vindex seen;
    vindex_init(&seen, c->arena, a[0].u.arr.n);
    *out = sl_array_new(c->arena, a[0].u.arr.n);
    out->u.arr.n = 0;
    add_distinct(out, &seen, &a[0], NULL, KEEP_ALL);
    return 0;
}

static int set_op(sl_fcall *c, const sl_value *a, sl_value *out, keep_mode mode)
{
    vindex seen, other;
    uint32_t cap = a[0].u.arr.n + (mode == KEEP_ALL ? a[1].u.arr.n : 0);
    vindex_init(&seen, c->arena, cap);
    *out = sl_array_new(c->arena, cap);
    out->u.arr.n = 0;
    if (mode == KEEP_ALL) {
        add_distinct(out, &seen, &a[0], NULL, KEEP_ALL);
        add_distinct(out, &seen, &a[1], NULL, KEEP_ALL);
    } else {
        index_array(&other, c->arena, &a[1]);
        add_distinct(out, &seen, &a[0], &other, mode);
    }
    return 0;
}

static int f_array_except(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return set_op(c, a, out, KEEP_NOT_IN);
}

static int f_array_intersect(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return set_op(c, a, out, KEEP_IN);
}

static int f_array_union(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return set_op(c, a, out, KEEP_ALL);
}

static int f_array_join(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0])) {
        *out = sl_null();
        return 0;
    }
    const char *delim = ",";
    uint32_t dlen = 1;
    if (n > 1) {
        delim = sl_is_null(&a[1]) ? "" : a[1].u.s.ptr;
        dlen = sl_is_null(&a[1]) ? 0 : a[1].u.s.len;
    }
    const sl_type *et = c->argtypes && c->argtypes[0] && c->argtypes[0]->kind == SL_ARRAY
                            ? c->argtypes[0]->elem : &SL_TYPE_STRING;
    sl_buf b = SL_BUF_INIT;
    for (uint32_t i = 0; i < a[0].u.arr.n; i++) {
        if (i)
            sl_buf_append(&b, delim, dlen);
        const sl_value *v = &a[0].u.arr.items[i];
        if (sl_is_null(v))
            sl_buf_puts(&b, "null");    /* as Java's StringJoiner writes a null */
        else
            sl_value_render(&b, v, et, SL_RENDER_TEXT);
    }
    *out = sl_string_copy(c->arena, b.data ? b.data : "", b.len);
    sl_buf_fini(&b);
    return 0;
}

static int f_array_length(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_int((int32_t)a[0].u.arr.n);
    return 0;
}

static int array_extreme(sl_fcall *c, const sl_value *a, sl_value *out, int want)
{
    const sl_value *best = NULL;
    for (uint32_t i = 0; i < a[0].u.arr.n; i++) {
        const sl_value *v = &a[0].u.arr.items[i];
        if (sl_is_null(v))
            continue;
        if (!best || vcmp(v, best) * want > 0)
            best = v;
    }
    *out = best ? *best : sl_null();
    return 0;
}

static int f_array_max(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return array_extreme(c, a, out, 1);
}

static int f_array_min(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return array_extreme(c, a, out, -1);
}

static int f_array_remove(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0])) {
        *out = sl_null();
        return 0;
    }
    *out = sl_array_new(c->arena, a[0].u.arr.n);
    out->u.arr.n = 0;
    for (uint32_t i = 0; i < a[0].u.arr.n; i++)
        if (!sl_value_equal(&a[0].u.arr.items[i], &a[1]))
            out->u.arr.items[out->u.arr.n++] = a[0].u.arr.items[i];
    return 0;
}

/* Stable merge sort; NULLs last whatever the direction. */
static int sort_cmp(const sl_value *x, const sl_value *y, int dir)
{
    bool xn = sl_is_null(x), yn = sl_is_null(y);
    if (xn || yn)
        return xn == yn ? 0 : (xn ? 1 : -1);
    return vcmp(x, y) * dir;
}

static void merge_sort(sl_value *v, sl_value *tmp, uint32_t n, int dir)
{
    if (n < 2)
        return;
    uint32_t h = n / 2;
    merge_sort(v, tmp, h, dir);
    merge_sort(v + h, tmp, n - h, dir);
    uint32_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = sort_cmp(&v[j], &v[i], dir) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, sizeof(sl_value) * n);
}

static int f_array_sort(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0])) {
        *out = sl_null();
        return 0;
    }
    int dir = 1;
    if (n > 1) {
        const sl_value *d = &a[1];
        if (sl_is_null(d)) {
            *out = sl_null();
            return 0;
        }
        if ((d->u.s.len == 3 && !strncasecmp(d->u.s.ptr, "ASC", 3)) ||
            (d->u.s.len == 9 && !strncasecmp(d->u.s.ptr, "ASCENDING", 9)))
            dir = 1;
        else if ((d->u.s.len == 4 && !strncasecmp(d->u.s.ptr, "DESC", 4)) ||
                 (d->u.s.len == 10 && !strncasecmp(d->u.s.ptr, "DESCENDING", 10)))
            dir = -1;
        else {
            *out = sl_null();
            return 0;
        }
    }
    uint32_t len = a[0].u.arr.n;
    *out = sl_array_new(c->arena, len);
    if (len) {
        memcpy(out->u.arr.items, a[0].u.arr.items, sizeof(sl_value) * len);
        sl_value *tmp = sl_arena_alloc(c->arena, sizeof(sl_value) * len);
        merge_sort(out->u.arr.items, tmp, len, dir);
    }
    return 0;
}

static int f_slice(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0])) {
        *out = sl_null();
        return 0;
    }
    int64_t size = a[0].u.arr.n;
    int64_t start = sl_is_null(&a[1]) ? 0 : (int64_t)a[1].u.i32 - 1;
    int64_t end = sl_is_null(&a[2]) ? size : (int64_t)a[2].u.i32;
    /* as Java's List.subList: out-of-range bounds give NULL */
    if (start < 0 || end > size || start > end) {
        *out = sl_null();
        return 0;
    }
    *out = sl_array_new(c->arena, (uint32_t)(end - start));
    for (int64_t i = start; i < end; i++)
        out->u.arr.items[i - start] = a[0].u.arr.items[i];
    return 0;
}

static int series(sl_fcall *c, int64_t start, int64_t end, int64_t step, bool big,
                  sl_value *out)
{
    if (step == 0)
        return sl_fn_error(c, "GENERATE_SERIES step cannot be zero");
    sl_int128 diff = (sl_int128)end - start;
    if ((diff > 0 && step < 0) || (diff < 0 && step > 0))
        return sl_fn_error(c, "GENERATE_SERIES step has wrong sign");
    sl_int128 count = diff / step + 1;
    if (count > SERIES_LIMIT)
        return sl_fn_error(c, "GENERATE_SERIES would make more than %d elements", SERIES_LIMIT);
    *out = sl_array_new(c->arena, (uint32_t)count);
    sl_int128 v = start;
    for (uint32_t i = 0; i < (uint32_t)count; i++, v += step)
        out->u.arr.items[i] = big ? sl_bigint((int64_t)v) : sl_int((int32_t)v);
    return 0;
}

static int f_series_int(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    int64_t s = a[0].u.i32, e = a[1].u.i32;
    return series(c, s, e, n > 2 ? a[2].u.i32 : (e - s > 0 ? 1 : -1), false, out);
}

static int f_series_bigint(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    int64_t s = a[0].u.i64, e = a[1].u.i64;
    return series(c, s, e, n > 2 ? a[2].u.i32 : (e > s ? 1 : -1), true, out);
}

/* ---- maps ---- */

static int f_as_map(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    const sl_value *keys = &a[0], *vals = &a[1];
    uint32_t nk = keys->u.arr.n;
    vindex seen;
    vindex_init(&seen, c->arena, nk);
    *out = sl_map_new(c->arena, nk);
    out->u.map.n = 0;
    for (uint32_t i = 0; i < nk; i++) {
        const sl_value *k = &keys->u.arr.items[i];
        if (sl_is_null(k))
            continue;   /* a map key cannot be NULL */
        sl_value v = i < vals->u.arr.n ? vals->u.arr.items[i] : sl_null();
        int64_t at = vindex_find(&seen, k, true, out->u.map.n);
        if (at >= 0) {
            out->u.map.vals[at] = v;    /* a repeated key: the last value wins */
            continue;
        }
        out->u.map.keys[out->u.map.n] = *k;
        out->u.map.vals[out->u.map.n] = v;
        out->u.map.n++;
    }
    return 0;
}

static int f_map_keys(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_array_new(c->arena, a[0].u.map.n);
    for (uint32_t i = 0; i < a[0].u.map.n; i++)
        out->u.arr.items[i] = a[0].u.map.keys[i];
    return 0;
}

static int f_map_values(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_array_new(c->arena, a[0].u.map.n);
    for (uint32_t i = 0; i < a[0].u.map.n; i++)
        out->u.arr.items[i] = a[0].u.map.vals[i];
    return 0;
}

static int f_map_union(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0]) && sl_is_null(&a[1])) {
        *out = sl_null();
        return 0;
    }
    uint32_t n0 = sl_is_null(&a[0]) ? 0 : a[0].u.map.n;
    uint32_t n1 = sl_is_null(&a[1]) ? 0 : a[1].u.map.n;
    vindex seen;
    vindex_init(&seen, c->arena, n0 + n1);
    *out = sl_map_new(c->arena, n0 + n1);
    out->u.map.n = 0;
    for (int m = 0; m < 2; m++) {
        uint32_t cnt = m ? n1 : n0;
        for (uint32_t i = 0; i < cnt; i++) {
            const sl_value *k = &a[m].u.map.keys[i];
            int64_t at = vindex_find(&seen, k, true, out->u.map.n);
            if (at >= 0) {
                out->u.map.vals[at] = a[m].u.map.vals[i];   /* the second map wins */
                continue;
            }
            out->u.map.keys[out->u.map.n] = *k;
            out->u.map.vals[out->u.map.n] = a[m].u.map.vals[i];
            out->u.map.n++;
        }
    }
    return 0;
}

static int f_entries(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    uint32_t cnt = a[0].u.map.n;
    uint32_t *order = sl_arena_alloc(c->arena, sizeof(uint32_t) * (cnt ? cnt : 1));
    for (uint32_t i = 0; i < cnt; i++)
        order[i] = i;
    if (a[1].u.b && cnt > 1) {
        /* insertion sort of indices by key: stable, and maps are small */
        for (uint32_t i = 1; i < cnt; i++) {
            uint32_t x = order[i];
            uint32_t j = i;
            while (j > 0 && sort_cmp(&a[0].u.map.keys[order[j - 1]], &a[0].u.map.keys[x], 1) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = x;
        }
    }
    *out = sl_array_new(c->arena, cnt);
    for (uint32_t i = 0; i < cnt; i++) {
        sl_value st = sl_struct_new(c->arena, 2);
        st.u.st.fields[0] = a[0].u.map.keys[order[i]];
        st.u.st.fields[1] = a[0].u.map.vals[order[i]];
        out->u.arr.items[i] = st;
    }
    return 0;
}

/* ---- ELT / FIELD ---- */

static int f_elt(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0]) || a[0].u.i32 < 1 || a[0].u.i32 > n - 1) {
        *out = sl_null();
        return 0;
    }
    *out = a[a[0].u.i32];
    return 0;
}

static int f_field(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    int pos = 0;
    if (!sl_is_null(&a[0])) {
        for (int i = 1; i < n && !pos; i++)
            if (!sl_is_null(&a[i]) && a[i].u.s.len == a[0].u.s.len &&
                memcmp(a[i].u.s.ptr, a[0].u.s.ptr, a[0].u.s.len) == 0)
                pos = i;
    }
    *out = sl_int(pos);
    return 0;
}

/* ---- the tables ---- */

#define NN SL_FNF_NULL_ON_NULL

static const sl_overload contains_ov[] = {
    {"array ARRAY<T>, value T -> BOOLEAN", f_array_contains, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload concat_ov[] = {
    {"array1 ARRAY<T>, array2 ARRAY<T> -> ARRAY<T>", f_array_concat, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload distinct_ov[] = {
    {"array ARRAY<T> -> ARRAY<T>", f_array_distinct, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload except_ov[] = {
    {"array1 ARRAY<T>, array2 ARRAY<T> -> ARRAY<T>", f_array_except, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload intersect_ov[] = {
    {"array1 ARRAY<T>, array2 ARRAY<T> -> ARRAY<T>", f_array_intersect, NN, NULL, NULL, NULL,
     NULL},
};
static const sl_overload union_ov[] = {
    {"array1 ARRAY<T>, array2 ARRAY<T> -> ARRAY<T>", f_array_union, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload join_ov[] = {
    {"array ARRAY<T> -> STRING", f_array_join, 0, NULL, NULL, ret_join, NULL},
    {"array ARRAY<T>, delimiter STRING -> STRING", f_array_join, 0, NULL, NULL, ret_join, NULL},
};
static const sl_overload length_ov[] = {
    {"array ARRAY<T> -> INT", f_array_length, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload max_ov[] = {
    {"array ARRAY<T> -> T", f_array_max, NN, NULL, NULL, ret_max_min, NULL},
};
static const sl_overload min_ov[] = {
    {"array ARRAY<T> -> T", f_array_min, NN, NULL, NULL, ret_max_min, NULL},
};
static const sl_overload remove_ov[] = {
    {"array ARRAY<T>, element T -> ARRAY<T>", f_array_remove, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload sort_ov[] = {
    {"array ARRAY<T> -> ARRAY<T>", f_array_sort, 0, NULL, NULL, ret_sort, NULL},
    {"array ARRAY<T>, direction STRING -> ARRAY<T>", f_array_sort, 0, NULL, NULL, ret_sort,
     NULL},
};
static const sl_overload slice_ov[] = {
    {"array ARRAY<T>, from INT, to INT -> ARRAY<T>", f_slice, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload series_ov[] = {
    {"start INT, end INT -> ARRAY<INT>", f_series_int, NN, NULL, NULL, NULL, NULL},
    {"start INT, end INT, step INT -> ARRAY<INT>", f_series_int, NN, NULL, NULL, NULL, NULL},
    {"start BIGINT, end BIGINT -> ARRAY<BIGINT>", f_series_bigint, NN, NULL, NULL, NULL, NULL},
    {"start BIGINT, end BIGINT, step INT -> ARRAY<BIGINT>", f_series_bigint, NN, NULL, NULL,
     NULL, NULL},
};
static const sl_overload as_map_ov[] = {
    {"keys ARRAY<STRING>, values ARRAY<V> -> MAP<STRING, V>", f_as_map, NN, NULL, NULL, NULL,
     NULL},
};
static const sl_overload entries_ov[] = {
    {"map MAP<STRING, V>, sorted BOOLEAN -> ARRAY<STRUCT<K STRING, V V>>", f_entries, NN, NULL,
     NULL, NULL, NULL},
};
static const sl_overload map_keys_ov[] = {
    {"map MAP<K, V> -> ARRAY<K>", f_map_keys, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload map_values_ov[] = {
    {"map MAP<K, V> -> ARRAY<V>", f_map_values, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload map_union_ov[] = {
    {"map1 MAP<K, V>, map2 MAP<K, V> -> MAP<K, V>", f_map_union, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload elt_ov[] = {
    {"n INT, args STRING... -> STRING", f_elt, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload field_ov[] = {
    {"str STRING, args STRING... -> INT", f_field, 0, NULL, NULL, NULL, NULL},
};

#define FN(name, cat, desc, ov) \
    {name, SL_FN_SCALAR, cat, desc, ov, (int)(sizeof ov / sizeof ov[0])}

static const sl_function collection_functions[] = {
    FN("ARRAY_CONCAT", "ARRAY", "Concatenates two arrays. NULL when both are NULL; when only one "
       "is NULL, the other.", concat_ov),
    FN("ARRAY_CONTAINS", "ARRAY", "Whether the array holds the value (a NULL value matches a "
       "NULL element); false for a NULL array.", contains_ov),
    FN("ARRAY_DISTINCT", "ARRAY", "The distinct elements of an array, NULL included, in the "
       "order they first appear.", distinct_ov),
    FN("ARRAY_EXCEPT", "ARRAY", "The distinct elements of the first array that are not in the "
       "second, in first-array order. NULL if either array is NULL.", except_ov),
    FN("ARRAY_INTERSECT", "ARRAY", "The distinct elements present in both arrays, in "
       "first-array order. NULL if either array is NULL.", intersect_ov),
    FN("ARRAY_JOIN", "ARRAY", "Joins the elements of an array of primitives into a string, "
       "separated by the delimiter (',' when omitted, '' when NULL); NULL elements appear as "
       "'null'.", join_ov),
    FN("ARRAY_LENGTH", "ARRAY", "The number of elements in an array.", length_ov),
    FN("ARRAY_MAX", "ARRAY", "The largest non-NULL element of an array of primitives in their "
       "natural order; NULL when there is none.", max_ov),
    FN("ARRAY_MIN", "ARRAY", "The smallest non-NULL element of an array of primitives in their "
       "natural order; NULL when there is none.", min_ov),
    FN("ARRAY_REMOVE", "ARRAY", "The array without the elements equal to the given one (NULL "
       "removes the NULL elements).", remove_ov),
    FN("ARRAY_SORT", "ARRAY", "Sorts an array of primitives, 'ASC' (the default) or 'DESC'; "
       "NULLs go last. Another direction gives NULL.", sort_ov),
    FN("ARRAY_UNION", "ARRAY", "The distinct elements of both arrays, in the order met. NULL if "
       "either array is NULL.", union_ov),
    FN("AS_MAP", "MAP", "Builds a map from an array of keys and an array of values paired by "
       "position; missing values are NULL, extra values are ignored, NULL keys are skipped.",
       as_map_ov),
    FN("ELT", "OTHER", "The n-th of the string arguments (1-based); NULL when n is out of "
       "range.", elt_ov),
    FN("ENTRIES", "MAP", "The entries of a map as an array of STRUCT<K, V>, sorted by key when "
       "`sorted` is true, else in map order.", entries_ov),
    FN("FIELD", "OTHER", "The 1-based position of the string among the following arguments, or "
       "0 when absent (always 0 for NULL).", field_ov),
    FN("GENERATE_SERIES", "ARRAY", "An array of the values from start to end inclusive, by step "
       "(1 or -1 towards end when omitted). A zero step or one pointing away from end is an "
       "error.", series_ov),
    FN("MAP_KEYS", "MAP", "The keys of a map, as an array.", map_keys_ov),
    FN("MAP_UNION", "MAP", "The entries of both maps; the second map's value wins for a key in "
       "both. NULL when both are NULL.", map_union_ov),
    FN("MAP_VALUES", "MAP", "The values of a map, as an array.", map_values_ov),
    FN("SLICE", "ARRAY", "The elements from position `from` to position `to` inclusive "
       "(1-based; NULL bounds mean the ends); NULL when a bound is out of range.", slice_ov),
};

void sl_fn_register_collection(sl_registry *r)
{
    for (size_t i = 0; i < sizeof collection_functions / sizeof collection_functions[0]; i++)
        sl_registry_add(r, &collection_functions[i]);
}
