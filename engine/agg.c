/*
 * agg.c: aggregate accumulators (see agg.h): add, retract, merge, result,
 * and a versioned binary format for the state store.
 *
 * Does: every aggregate of fn_aggregate.c with ksqlDB's null rules and
 * result types. Does not: evaluate arguments, group, window or store
 * (issue 4's operator and state/ do that).
 *
 * Null rules (ksqlDB's): COUNT(*) counts every row, COUNT(col) the non-NULL
 * ones. SUM starts at 0 (SUM of no values or only NULLs is 0, not NULL).
 * AVG of no values is 0.0; STDDEV_SAMP of fewer than 2 values is 0.0;
 * CORRELATION skips pairs with a NULL and is NaN below 2 pairs (0 / 0, as
 * ksqlDB). MIN, MAX, TOPK, TOPKDISTINCT and COUNT_DISTINCT skip NULLs;
 * MIN / MAX of no values is NULL, TOPK of none is []. COLLECT_LIST and
 * COLLECT_SET keep NULL elements, as ksqlDB's do. *_BY_OFFSET skip NULLs
 * unless ignoreNulls is false; the single forms give NULL when there is no
 * value, the N forms [] (the N values in offset order, oldest first).
 *
 * Departures from ksqlDB: SUM(INT) and SUM(BIGINT) overflowing their type,
 * and SUM(DECIMAL(p,s)) exceeding p digits, are row errors (ksqlDB wraps
 * like Java); the state keeps the sum before the row. HISTOGRAM skips NULLs
 * (ksqlDB would count them under a null map key). MIN, MAX, TOPK,
 * TOPKDISTINCT, COLLECT_SET and *_BY_OFFSET also retract (table input).
 * COUNT_DISTINCT is exact up to SL_AGG_DISTINCT_EXACT distinct values, then
 * a HyperLogLog sketch (2^12 registers, ~1.6% standard error; ksqlDB always
 * estimates) that cannot retract: retractions are then counted as dropped.
 *
 * Memory per group (x86-64, as sl_agg_state_size reports it): every state
 * is a 144-byte struct; a state that keeps values adds E = 80 bytes per kept
 * entry (array grown by doubling) plus the values' variable bytes (strings
 * and bytes: length + 1 rounded up to 16; nested items 48 each) in a private
 * arena of 512-byte chunks, compacted when more than half is garbage:
 *
 *   aggregate               state                        bound
 *   COUNT(*), COUNT(col)    the struct (8-byte count)    144 bytes
 *   SUM, AVG                the struct (16-byte sum, count) 144 bytes
 *   STDDEV_SAMP             the struct (count, mean, M2) 144 bytes
 *   CORRELATION             the struct (count, 5 sums)   144 bytes
 *   MIN, MAX (stream)       1 E                          224 bytes + string
 *   MIN, MAX (table)        E per distinct value         retain limit (1000)
 *   TOPK (stream)           E per distinct value of the top K   K
 *   TOPKDISTINCT (stream)   K E                          K
 *   TOPK[DISTINCT] (table)  E per distinct value         max(K, retain limit)
 *   *_BY_OFFSET (stream)    1 or N E                     N
 *   *_BY_OFFSET (table)     E per kept row               max(N, retain limit)
 *   COLLECT_LIST            E per element                collect limit (1000)
 *   COLLECT_SET, HISTOGRAM  E per distinct value         collect limit (1000)
 *   COUNT_DISTINCT          E per distinct value up to 256 (20 KiB), then
 *                           a 4 KiB sketch               4.2 KiB
 *
 * Values past a bound are not kept; each such row is counted in
 * sl_agg_state_dropped for the operator's processing log. For the table
 * forms of MIN, MAX and TOPK, once values were evicted the result is exact
 * as long as at least K (1 for MIN / MAX) kept values remain.
 *
 * Binary format, version 1 (integers as LEB128 varints, signed ones
 * zig-zag, doubles as 8 little-endian bytes, DECIMAL unscaled as 16):
 *   0xA6 0x01 kind flags(varint: 1 lossy, 2 sketch) dropped(varint)
 *   numbers by kind: COUNT: n | SUM, AVG: n, sum(16), dsum(8) |
 *                    STDDEV: n, mean, m2 | CORRELATION: n, 5 doubles
 *   entries (kinds that keep values): count, then per entry:
 *     value (tag = sl_kind, then payload) or hash(8) for COUNT_DISTINCT,
 *     multiplicity (varint >= 1), offset (zig-zag, *_BY_OFFSET only)
 *   sketch: 4096 register bytes (COUNT_DISTINCT with flag 2)
 * Decoding checks every length against the input, the kinds, UTF-8, the
 * order invariants and that no byte is left over.
 */
#include "agg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum agg_kind {
    K_COUNT_STAR = 1,
    K_COUNT,
    K_SUM,
    K_AVG,
    K_MIN,
    K_MAX,
    K_COUNT_DISTINCT,
    K_TOPK,
    K_TOPKDISTINCT,
    K_LATEST,
    K_EARLIEST,
    K_COLLECT_LIST,
    K_COLLECT_SET,
    K_HISTOGRAM,
    K_STDDEV,
    K_CORR,
} agg_kind;

#define MAGIC 0xA6
#define VERSION 1
#define HLL_P 12
#define HLL_M (1u << HLL_P)
#define MEM_CHUNK 512
#define MAX_DEPTH 64

struct sl_agg {
    agg_kind kind;
    const char *name;
    const sl_type *argt;        /* the column's type; NULL for COUNT(*) */
    const sl_type *ret;
    int nargs;                  /* arguments of the call */
    int k;                      /* TOPK's K, the N of *_BY_OFFSET (0: single form) */
    bool ignore_nulls;          /* *_BY_OFFSET */
    bool retract;               /* keep enough to retract MIN / MAX / TOPK / BY_OFFSET */
    int retain;
    int collect_limit;
};

typedef struct entry {
    sl_value v;                 /* deep copy in the state's arena (unused by COUNT_DISTINCT) */
    int64_t count;              /* multiplicity, >= 1 */
    int64_t off;                /* *_BY_OFFSET: the row's offset */
    uint64_t hash;              /* sl_value_hash(v); COUNT_DISTINCT keeps only this */
} entry;

struct sl_agg_state {
    int64_t n;                  /* rows counted (COUNT, SUM, AVG, STDDEV, CORRELATION) */
    sl_int128 isum;             /* SUM / AVG of INT, BIGINT, DECIMAL (unscaled), exact */
    double d[5];                /* DOUBLE sum; STDDEV mean, m2; CORRELATION sums */
    entry *e;                   /* kept values, see entry_order */
    uint32_t ne, cap;
    sl_arena *mem;              /* the values of e; compacted when mostly garbage */
    size_t live;                /* bytes of values still referenced */
    size_t base;                /* arena bytes right after the last compaction */
    uint8_t *hll;               /* COUNT_DISTINCT sketch (HLL_M registers) */
    uint64_t dropped;
    bool lossy;                 /* values were evicted or the sketch is in use */
};

/* ---- compiling ---- */

static const struct {
    const char *name;
    agg_kind kind;
} kinds[] = {
    {"AVG", K_AVG},
    {"COLLECT_LIST", K_COLLECT_LIST},
    {"COLLECT_SET", K_COLLECT_SET},
    {"CORRELATION", K_CORR},
    {"COUNT", K_COUNT},
    {"COUNT_DISTINCT", K_COUNT_DISTINCT},
    {"EARLIEST_BY_OFFSET", K_EARLIEST},
    {"HISTOGRAM", K_HISTOGRAM},
    {"LATEST_BY_OFFSET", K_LATEST},
    {"MAX", K_MAX},
    {"MIN", K_MIN},
    {"STDDEV_SAMP", K_STDDEV},
    {"STDDEV_SAMPLE", K_STDDEV},
    {"SUM", K_SUM},
    {"TOPK", K_TOPK},
    {"TOPKDISTINCT", K_TOPKDISTINCT},
};

static bool is_kind(const sl_type *t, const sl_kind *ok, int n)
{
    for (int i = 0; i < n; i++)
        if (t->kind == ok[i])
            return true;
    return false;
}

static bool is_numeric_kind(sl_kind k)
{
    return k == SL_INT || k == SL_BIGINT || k == SL_DOUBLE || k == SL_DECIMAL;
}

static int const_int(const sl_value *const *consts, int i, const char *fn, const char *what,
                     int *out, sl_error *err)
{
    const sl_value *v = consts ? consts[i] : NULL;
    if (!v || (v->kind != SL_INT && v->kind != SL_BIGINT))
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "%s: %s must be a constant INTEGER", fn, what);
    int64_t k = v->kind == SL_INT ? v->u.i32 : v->u.i64;
    if (k < 1 || k > SL_AGG_MAX_K)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "%s: %s must be between 1 and %d, got %lld", fn, what, SL_AGG_MAX_K,
                            (long long)k);
    *out = (int)k;
    return 0;
}

static int const_bool(const sl_value *const *consts, int i, const char *fn, bool *out,
                      sl_error *err)
{
    const sl_value *v = consts ? consts[i] : NULL;
    if (!v || v->kind != SL_BOOLEAN)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "%s: ignoreNulls must be a constant BOOLEAN", fn);
    *out = v->u.b;
    return 0;
}

sl_agg *sl_agg_new(const sl_function *f, int overload, const sl_type *const *argtypes, int nargs,
                   const sl_value *const *consts, sl_arena *a, sl_error *err)
{
    if (!f || f->kind != SL_FN_AGGREGATE) {
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s is not an aggregate function",
                     f ? f->name : "(null)");
        return NULL;
    }
    agg_kind kind = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, f->name) == 0)
            kind = kinds[i].kind;
    if (!kind) {
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "no accumulator for aggregate %s",
                     f->name);
        return NULL;
    }
    if (overload < 0 || overload >= f->noverloads) {
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s: no overload %d", f->name, overload);
        return NULL;
    }
    sl_agg *g = sl_arena_zalloc(a, sizeof *g);
    g->kind = kind;
    g->name = f->name;
    g->nargs = nargs;
    g->ignore_nulls = true;
    g->retain = SL_AGG_RETAIN_LIMIT;
    g->collect_limit = SL_AGG_COLLECT_LIMIT;

    int want = 1;
    if (kind == K_COUNT && overload == 0) {
        g->kind = kind = K_COUNT_STAR;
        want = 0;
    } else if (kind == K_CORR || kind == K_TOPK || kind == K_TOPKDISTINCT) {
        want = 2;
    } else if (kind == K_LATEST || kind == K_EARLIEST) {
        want = overload == 0 ? 1 : overload == 3 ? 3 : 2;
    }
    if (nargs != want || (want > 0 && !argtypes)) {
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s takes %d argument%s, got %d",
                     f->name, want, want == 1 ? "" : "s", nargs);
        return NULL;
    }
    for (int i = 0; i < nargs; i++)
        if (!argtypes[i]) {
            sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s: argument %d has no type",
                         f->name, i + 1);
            return NULL;
        }
    g->argt = want ? argtypes[0] : NULL;

    static const sl_kind num3[] = {SL_INT, SL_BIGINT, SL_DOUBLE};
    static const sl_kind num4[] = {SL_INT, SL_BIGINT, SL_DOUBLE, SL_DECIMAL};
    static const sl_kind cmp[] = {SL_INT, SL_BIGINT, SL_DOUBLE, SL_DECIMAL, SL_STRING,
                                  SL_BYTES, SL_DATE, SL_TIME, SL_TIMESTAMP};
    static const sl_kind topk[] = {SL_INT, SL_BIGINT, SL_DOUBLE, SL_DECIMAL, SL_STRING,
                                   SL_DATE, SL_TIME, SL_TIMESTAMP};
    static const sl_kind str[] = {SL_STRING};
    bool ok = true;
    switch (kind) {
    case K_COUNT_STAR:
        g->ret = &SL_TYPE_BIGINT;
        break;
    case K_COUNT:
    case K_COUNT_DISTINCT:
        g->ret = &SL_TYPE_BIGINT;
        break;
    case K_SUM:
        ok = is_kind(g->argt, num4, 4);
        g->ret = g->argt;
        break;
    case K_AVG:
    case K_STDDEV:
        ok = is_kind(g->argt, num3, 3);
        g->ret = &SL_TYPE_DOUBLE;
        break;
    case K_CORR:
        ok = is_numeric_kind(argtypes[0]->kind) && is_numeric_kind(argtypes[1]->kind);
        g->ret = &SL_TYPE_DOUBLE;
        break;
    case K_MIN:
    case K_MAX:
        ok = is_kind(g->argt, cmp, 9);
        g->ret = g->argt;
        break;
    case K_TOPK:
    case K_TOPKDISTINCT:
        ok = is_kind(g->argt, topk, 8);
        if (ok && const_int(consts, 1, f->name, "k", &g->k, err) < 0)
            return NULL;
        g->ret = sl_type_array(a, g->argt);
        break;
    case K_LATEST:
    case K_EARLIEST:
        if (overload >= 2 && const_int(consts, 1, f->name, "n", &g->k, err) < 0)
            return NULL;
        if ((overload == 1 && const_bool(consts, 1, f->name, &g->ignore_nulls, err) < 0) ||
            (overload == 3 && const_bool(consts, 2, f->name, &g->ignore_nulls, err) < 0))
            return NULL;
        g->ret = g->k ? sl_type_array(a, g->argt) : g->argt;
        break;
    case K_COLLECT_LIST:
    case K_COLLECT_SET:
        g->ret = sl_type_array(a, g->argt);
        break;
    case K_HISTOGRAM:
        ok = is_kind(g->argt, str, 1);
        g->ret = sl_type_map(a, &SL_TYPE_STRING, &SL_TYPE_BIGINT);
        break;
    }
    if (!ok) {
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s does not accept %s", f->name,
                     sl_type_str(a, g->argt));
        return NULL;
    }
    return g;
}

void sl_agg_set_retract(sl_agg *g, bool on, int retain)
{
    g->retract = on;
    g->retain = retain > 0 ? retain : SL_AGG_RETAIN_LIMIT;
}

void sl_agg_set_collect_limit(sl_agg *g, int limit)
{
    g->collect_limit = limit > 0 ? limit : SL_AGG_COLLECT_LIMIT;
}

const sl_type *sl_agg_result_type(const sl_agg *g) { return g->ret; }
const char *sl_agg_name(const sl_agg *g) { return g->name; }

/* ---- states and their entries ---- */

/* Counts saturate instead of overflowing (only corrupt input gets there). */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

sl_agg_state *sl_agg_state_new(const sl_agg *g)
{
    (void)g;
    sl_agg_state *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    return s;
}

void sl_agg_state_free(sl_agg_state *s)
{
    if (!s)
        return;
    free(s->e);
    free(s->hll);
    sl_arena_free(s->mem);
    free(s);
}

uint64_t sl_agg_state_dropped(const sl_agg_state *s) { return s->dropped; }

int64_t sl_agg_bound(const sl_agg *g, const char **what)
{
    int64_t k = g->k ? g->k : 1;
    switch (g->kind) {
    case K_COLLECT_LIST:
        *what = "elements";
        return g->collect_limit;
    case K_COLLECT_SET:
    case K_HISTOGRAM:
        *what = "distinct values";
        return g->collect_limit;
    case K_COUNT_DISTINCT:
        *what = "distinct values counted exactly (past them a sketch, which cannot retract)";
        return SL_AGG_DISTINCT_EXACT;
    case K_MIN:
    case K_MAX:
    case K_TOPK:
    case K_TOPKDISTINCT:
        if (!g->retract)
            break;
        *what = "distinct values kept to retract table rows";
        return g->retain > k ? g->retain : k;
    case K_LATEST:
    case K_EARLIEST:
        if (!g->retract)
            break;
        *what = "rows kept to retract table rows";
        return g->retain > k ? g->retain : k;
    default:
        break;
    }
    *what = "";
    return 0;
}

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Bytes a deep copy of v takes in an arena (approximately, as allocated). */
static size_t value_bytes(const sl_value *v)
{
    size_t n = 0;
    switch (v->kind) {
    case SL_STRING:
    case SL_BYTES:
        return round16(v->u.s.len + 1);
    case SL_ARRAY:
        n = round16(v->u.arr.n * sizeof(sl_value));   /* 48 bytes an item */
        for (uint32_t i = 0; i < v->u.arr.n; i++)
            n += value_bytes(&v->u.arr.items[i]);
        return n;
    case SL_MAP:
        n = 2 * round16(v->u.map.n * sizeof(sl_value));
        for (uint32_t i = 0; i < v->u.map.n; i++)
            n += value_bytes(&v->u.map.keys[i]) + value_bytes(&v->u.map.vals[i]);
        return n;
    case SL_STRUCT:
        n = round16(v->u.st.n * sizeof(sl_value));
        for (uint32_t i = 0; i < v->u.st.n; i++)
            n += value_bytes(&v->u.st.fields[i]);
        return n;
    default:
        return 0;
    }
}

static bool has_heap(const sl_value *v)
{
    return v->kind == SL_STRING || v->kind == SL_BYTES || v->kind == SL_ARRAY ||
           v->kind == SL_MAP || v->kind == SL_STRUCT;
}

static void ensure_cap(sl_agg_state *s, uint32_t n)
{
    if (n <= s->cap)
        return;
    uint32_t c = s->cap ? s->cap : 1;
    while (c < n)
        c *= 2;
    entry *e = realloc(s->e, (size_t)c * sizeof *e);
    if (!e)
        abort();
    s->e = e;
    s->cap = c;
}

static sl_value keep_value(sl_agg_state *s, const sl_value *v)
{
    if (!has_heap(v))
        return *v;
    if (!s->mem)
        s->mem = sl_arena_new(MEM_CHUNK);
    s->live += value_bytes(v);
    return sl_value_copy(s->mem, v);
}

/* Inserts at position i (0..ne), copying the value into the state. */
static void ent_insert(sl_agg_state *s, uint32_t i, const sl_value *v, int64_t count, int64_t off,
                       uint64_t hash)
{
    ensure_cap(s, s->ne + 1);
    memmove(&s->e[i + 1], &s->e[i], (size_t)(s->ne - i) * sizeof(entry));
    s->e[i].v = v ? keep_value(s, v) : sl_null();
    s->e[i].count = count;
    s->e[i].off = off;
    s->e[i].hash = hash;
    s->ne++;
}

static void compact(sl_agg_state *s)
{
    if (!s->mem)
        return;
    size_t used = sl_arena_used(s->mem);
    size_t floor = s->live > s->base ? s->live : s->base;
    if (used < 4096 || used < 2 * floor)
        return;
    sl_arena *m = sl_arena_new(MEM_CHUNK);
    for (uint32_t i = 0; i < s->ne; i++)
        s->e[i].v = sl_value_copy(m, &s->e[i].v);
    sl_arena_free(s->mem);
    s->mem = m;
    s->base = sl_arena_used(m);
}

static void ent_remove(sl_agg_state *s, uint32_t i)
{
    size_t b = value_bytes(&s->e[i].v);
    s->live = b <= s->live ? s->live - b : 0;
    memmove(&s->e[i], &s->e[i + 1], (size_t)(s->ne - i - 1) * sizeof(entry));
    s->ne--;
}

/* The order of sorted kinds: MIN ascending, MAX / TOPK descending. */
static int ord(const sl_agg *g, const sl_value *a, const sl_value *b)
{
    int c = sl_value_compare(a, b);
    return g->kind == K_MIN ? c : -c;
}

/* Binary search in a sorted multiset; *found says whether e[ret] equals v. */
static uint32_t ms_find(const sl_agg *g, const sl_agg_state *s, const sl_value *v, bool *found)
{
    uint32_t lo = 0, hi = s->ne;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = ord(g, &s->e[mid].v, v);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static uint32_t hash_find(const sl_agg_state *s, uint64_t h, bool *found)
{
    uint32_t lo = 0, hi = s->ne;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->e[mid].hash == h) {
            *found = true;
            return mid;
        }
        if (s->e[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* Arrival-ordered kinds: first (or last) entry equal to v, or -1. */
static int64_t lin_find(const sl_agg_state *s, const sl_value *v, uint64_t h, bool last)
{
    for (uint32_t j = 0; j < s->ne; j++) {
        uint32_t i = last ? s->ne - 1 - j : j;
        if (s->e[i].hash == h && sl_value_equal(&s->e[i].v, v))
            return i;
    }
    return -1;
}

/* Evicts past the bounds of the sorted multisets (MIN, MAX, TOPK, TOPKDISTINCT). */
static void ms_trim(const sl_agg *g, sl_agg_state *s)
{
    if (g->retract) {
        uint32_t bound = (uint32_t)(g->retain > g->k ? g->retain : g->k);
        while (s->ne > bound) {
            s->lossy = true;
            s->dropped += (uint64_t)s->e[s->ne - 1].count;
            ent_remove(s, s->ne - 1);
        }
    } else if (g->kind == K_MIN || g->kind == K_MAX || g->kind == K_TOPKDISTINCT) {
        uint32_t bound = g->kind == K_TOPKDISTINCT ? (uint32_t)g->k : 1;
        while (s->ne > bound)
            ent_remove(s, s->ne - 1);
    } else {                                    /* TOPK: at most K values in all */
        int64_t total = 0;
        for (uint32_t i = 0; i < s->ne; i++)
            total = sat_add(total, s->e[i].count);
        while (total > g->k) {
            entry *last = &s->e[s->ne - 1];
            int64_t cut = total - g->k < last->count ? total - g->k : last->count;
            last->count -= cut;
            total -= cut;
            if (last->count == 0)
                ent_remove(s, s->ne - 1);
        }
    }
    compact(s);
}

/* Evicts past the bounds of *_BY_OFFSET (entries in offset order). */
static void off_trim(const sl_agg *g, sl_agg_state *s)
{
    uint32_t n = g->k ? (uint32_t)g->k : 1;
    uint32_t bound = g->retract ? (n > (uint32_t)g->retain ? n : (uint32_t)g->retain) : n;
    while (s->ne > bound) {
        if (g->retract) {
            s->lossy = true;
            s->dropped++;
        }
        ent_remove(s, g->kind == K_EARLIEST ? s->ne - 1 : 0);
    }
    compact(s);
}

static void off_insert(sl_agg_state *s, const sl_value *v, int64_t off)
{
    uint32_t i = s->ne;
    while (i > 0 && s->e[i - 1].off > off)
        i--;
    ent_insert(s, i, v, 1, off, sl_value_hash(v));
}

/* ---- COUNT_DISTINCT's sketch ---- */

static void hll_add(uint8_t *r, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
    uint64_t w = (h << HLL_P) | (1ull << (HLL_P - 1));
    uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);
    if (rank > r[idx])
        r[idx] = rank;
}

static int64_t hll_estimate(const uint8_t *r)
{
    double m = HLL_M, sum = 0;
    int zeros = 0;
    for (uint32_t i = 0; i < HLL_M; i++) {
        sum += ldexp(1.0, -(int)r[i]);
        zeros += r[i] == 0;
    }
    double est = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    if (est <= 2.5 * m && zeros > 0)
        est = m * log(m / zeros);
    return (int64_t)llround(est);
}

static void to_sketch(sl_agg_state *s)
{
    if (s->hll)
        return;
    s->hll = calloc(HLL_M, 1);
    if (!s->hll)
        abort();
    for (uint32_t i = 0; i < s->ne; i++)
        hll_add(s->hll, s->e[i].hash);
    free(s->e);
    s->e = NULL;
    s->ne = s->cap = 0;
    s->lossy = true;
}

/* A 64-bit mix so that the sketch sees well-spread bits whatever the value hash. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static void distinct_add(sl_agg_state *s, uint64_t h, int64_t count)
{
    if (s->hll) {
        hll_add(s->hll, h);
        return;
    }
    bool found;
    uint32_t i = hash_find(s, h, &found);
    if (found)
        s->e[i].count = sat_add(s->e[i].count, count);
    else
        ent_insert(s, i, NULL, count, 0, h);
    if (s->ne > SL_AGG_DISTINCT_EXACT)
        to_sketch(s);
}

/* ---- numbers ---- */

static double to_double(const sl_value *v)
{
    switch (v->kind) {
    case SL_INT:
        return v->u.i32;
    case SL_BIGINT:
        return (double)v->u.i64;
    case SL_DECIMAL: {
        double d = (double)v->u.dec;
        for (int i = 0; i < v->scale; i++)
            d /= 10;
        return d;
    }
    default:
        return v->u.d;
    }
}

/* The value as an exact integer in the argument type's scale. */
static int to_i128(const sl_agg *g, const sl_value *v, sl_int128 *out, sl_error *err)
{
    switch (v->kind) {
    case SL_INT:
        *out = v->u.i32;
        break;
    case SL_BIGINT:
        *out = v->u.i64;
        break;
    case SL_DECIMAL:
        *out = v->u.dec;
        break;
    default:
        return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN, "%s: unexpected %s value", g->name,
                            sl_kind_name((sl_kind)v->kind));
    }
    if (g->argt->kind == SL_DECIMAL) {
        int from = v->kind == SL_DECIMAL ? v->scale : 0;
        if (from != g->argt->scale && !sl_decimal_rescale(*out, from, g->argt->scale, out))
            return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN,
                                "%s: value does not fit DECIMAL(%d, %d)", g->name,
                                g->argt->precision, g->argt->scale);
    }
    return 0;
}

/* Whether sum fits SUM's result type; fills err when it does not. */
static int sum_fits(const sl_agg *g, sl_int128 sum, sl_error *err)
{
    bool ok = true;
    const char *t = "";
    switch (g->argt->kind) {
    case SL_INT:
        ok = sum >= INT32_MIN && sum <= INT32_MAX;
        t = "INTEGER";
        break;
    case SL_BIGINT:
        ok = sum >= INT64_MIN && sum <= INT64_MAX;
        t = "BIGINT";
        break;
    case SL_DECIMAL:
        ok = sl_decimal_fits(sum, g->argt->precision);
        t = "DECIMAL";
        break;
    default:
        break;
    }
    if (!ok) {
        if (g->argt->kind == SL_DECIMAL)
            return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN,
                                "SUM overflows DECIMAL(%d, %d): the row is skipped",
                                g->argt->precision, g->argt->scale);
        return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN, "SUM overflows %s: the row is skipped",
                            t);
    }
    return 0;
}

static int sum_step(const sl_agg *g, sl_agg_state *s, const sl_value *v, int sign,
                    sl_error *err)
{
    if (g->argt->kind == SL_DOUBLE) {
        s->d[0] += sign * to_double(v);
        s->n = sat_add(s->n, sign);
        return 0;
    }
    sl_int128 x, r;
    if (to_i128(g, v, &x, err) < 0)
        return -1;
    bool of = sign > 0 ? __builtin_add_overflow(s->isum, x, &r)
                       : __builtin_sub_overflow(s->isum, x, &r);
    if (of)
        return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN, "%s overflows: the row is skipped",
                            g->name);
    if (g->kind == K_SUM && sum_fits(g, r, err) < 0)
        return -1;
    s->isum = r;
    s->n = sat_add(s->n, sign);
    return 0;
}

static void stddev_add(sl_agg_state *s, double x)
{
    double n1 = (double)s->n + 1;
    double delta = x - s->d[0];
    s->d[0] += delta / n1;
    s->d[1] += delta * (x - s->d[0]);
    s->n = sat_add(s->n, 1);
}

static void stddev_sub(sl_agg_state *s, double x)
{
    if (s->n <= 1) {
        s->n = 0;
        s->d[0] = s->d[1] = 0;
        return;
    }
    double n = (double)s->n;
    double mean_old = (n * s->d[0] - x) / (n - 1);
    s->d[1] -= (x - mean_old) * (x - s->d[0]);
    if (s->d[1] < 0)
        s->d[1] = 0;
    s->d[0] = mean_old;
    s->n--;
}

static void corr_step(sl_agg_state *s, double x, double y, int sign)
{
    s->d[0] += sign * x;
    s->d[1] += sign * y;
    s->d[2] += sign * x * x;
    s->d[3] += sign * y * y;
    s->d[4] += sign * x * y;
    s->n = sat_add(s->n, sign);
}

/* ---- add / retract / merge ---- */

static int check_nargs(const sl_agg *g, const sl_value *args, int nargs, sl_error *err)
{
    if (nargs != g->nargs || (nargs > 0 && !args))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "%s: expected %d arguments, got %d",
                            g->name, g->nargs, nargs);
    return 0;
}

/* A DECIMAL argument in the column's scale, so kept values render alike. */
static int norm_decimal(const sl_agg *g, const sl_value **v, sl_value *tmp, sl_error *err)
{
    if ((*v)->kind != SL_DECIMAL || !g->argt || g->argt->kind != SL_DECIMAL ||
        (*v)->scale == g->argt->scale)
        return 0;
    *tmp = **v;
    if (!sl_decimal_rescale((*v)->u.dec, (*v)->scale, g->argt->scale, &tmp->u.dec) ||
        !sl_decimal_fits(tmp->u.dec, g->argt->precision))
        return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN, "%s: value does not fit DECIMAL(%d, %d)",
                            g->name, g->argt->precision, g->argt->scale);
    tmp->precision = g->argt->precision;
    tmp->scale = g->argt->scale;
    *v = tmp;
    return 0;
}

int sl_agg_add(const sl_agg *g, sl_agg_state *s, const sl_value *args, int nargs, int64_t offset,
               sl_error *err)
{
    if (check_nargs(g, args, nargs, err) < 0)
        return -1;
    if (g->kind == K_COUNT_STAR) {
        s->n = sat_add(s->n, 1);
        return 0;
    }
    const sl_value *v = &args[0];
    sl_value tmp;
    if (norm_decimal(g, &v, &tmp, err) < 0)
        return -1;
    bool null = sl_is_null(v);
    switch (g->kind) {
    case K_COUNT:
        s->n = sat_add(s->n, !null);
        return 0;
    case K_SUM:
    case K_AVG:
        return null ? 0 : sum_step(g, s, v, 1, err);
    case K_STDDEV:
        if (!null)
            stddev_add(s, to_double(v));
        return 0;
    case K_CORR:
        if (!null && !sl_is_null(&args[1]))
            corr_step(s, to_double(v), to_double(&args[1]), 1);
        return 0;
    case K_COUNT_DISTINCT:
        if (!null)
            distinct_add(s, mix64(sl_value_hash(v)), 1);
        return 0;
    case K_MIN:
    case K_MAX:
    case K_TOPK:
    case K_TOPKDISTINCT: {
        if (null)
            return 0;
        if (!g->retract && (g->kind == K_MIN || g->kind == K_MAX) && s->ne == 1) {
            if (ord(g, v, &s->e[0].v) < 0) {          /* the stream form: one value */
                ent_remove(s, 0);
                ent_insert(s, 0, v, 1, 0, 0);
                compact(s);
            }
            return 0;
        }
        bool found;
        uint32_t i = ms_find(g, s, v, &found);
        if (found)
            s->e[i].count = sat_add(s->e[i].count, 1);
        else
            ent_insert(s, i, v, 1, 0, 0);
        ms_trim(g, s);
        return 0;
    }
    case K_LATEST:
    case K_EARLIEST:
        if (null && g->ignore_nulls)
            return 0;
        if (!g->retract && g->kind == K_EARLIEST && s->ne >= (uint32_t)(g->k ? g->k : 1) &&
            s->e[s->ne - 1].off <= offset)
            return 0;                           /* the common case: nothing to keep */
        off_insert(s, v, offset);
        off_trim(g, s);
        return 0;
    case K_COLLECT_LIST:
        if (s->ne >= (uint32_t)g->collect_limit) {
            s->dropped++;
            return 0;
        }
        ent_insert(s, s->ne, v, 1, 0, sl_value_hash(v));
        return 0;
    case K_COLLECT_SET:
    case K_HISTOGRAM: {
        if (null && g->kind == K_HISTOGRAM)
            return 0;
        uint64_t h = sl_value_hash(v);
        int64_t i = lin_find(s, v, h, false);
        if (i >= 0)
            s->e[i].count = sat_add(s->e[i].count, 1);
        else if (s->ne < (uint32_t)g->collect_limit)
            ent_insert(s, s->ne, v, 1, 0, h);
        else
            s->dropped++;
        return 0;
    }
    default:
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "%s: bad accumulator", g->name);
    }
}

int sl_agg_retract(const sl_agg *g, sl_agg_state *s, const sl_value *args, int nargs,
                   sl_error *err)
{
    if (check_nargs(g, args, nargs, err) < 0)
        return -1;
    if (g->kind == K_COUNT_STAR) {
        s->n -= s->n > 0;
        return 0;
    }
    const sl_value *v = &args[0];
    sl_value tmp;
    if (norm_decimal(g, &v, &tmp, err) < 0)
        return -1;
    bool null = sl_is_null(v);
    switch (g->kind) {
    case K_COUNT:
        s->n -= !null && s->n > 0;
        return 0;
    case K_SUM:
    case K_AVG:
        return null || s->n == 0 ? 0 : sum_step(g, s, v, -1, err);
    case K_STDDEV:
        if (!null && s->n > 0)
            stddev_sub(s, to_double(v));
        return 0;
    case K_CORR:
        if (!null && !sl_is_null(&args[1]) && s->n > 0)
            corr_step(s, to_double(v), to_double(&args[1]), -1);
        return 0;
    case K_COUNT_DISTINCT: {
        if (null)
            return 0;
        if (s->hll) {
            s->dropped++;
            return 0;
        }
        bool found;
        uint32_t i = hash_find(s, mix64(sl_value_hash(v)), &found);
        if (found && --s->e[i].count == 0)
            ent_remove(s, i);
        return 0;
    }
    case K_MIN:
    case K_MAX:
    case K_TOPK:
    case K_TOPKDISTINCT: {
        if (null)
            return 0;
        bool found;
        uint32_t i = ms_find(g, s, v, &found);
        if (found && --s->e[i].count == 0)
            ent_remove(s, i);
        compact(s);
        return 0;
    }
    case K_LATEST:
    case K_EARLIEST:
    case K_COLLECT_LIST:
    case K_COLLECT_SET:
    case K_HISTOGRAM: {
        if (null && (g->kind == K_HISTOGRAM || ((g->kind == K_LATEST || g->kind == K_EARLIEST) &&
                                                g->ignore_nulls)))
            return 0;
        /* COLLECT_LIST removes the last equal element (as ksqlDB); BY_OFFSET the oldest. */
        int64_t i = lin_find(s, v, sl_value_hash(v), g->kind == K_COLLECT_LIST);
        if (i >= 0 && --s->e[i].count == 0)
            ent_remove(s, (uint32_t)i);
        compact(s);
        return 0;
    }
    default:
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "%s: bad accumulator", g->name);
    }
}

int sl_agg_merge(const sl_agg *g, sl_agg_state *d, const sl_agg_state *src, sl_error *err)
{
    switch (g->kind) {
    case K_COUNT_STAR:
    case K_COUNT:
        d->n = sat_add(d->n, src->n);
        break;
    case K_SUM:
    case K_AVG:
        if (g->argt->kind == SL_DOUBLE) {
            d->d[0] += src->d[0];
        } else {
            sl_int128 r;
            if (__builtin_add_overflow(d->isum, src->isum, &r))
                return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN, "%s overflows", g->name);
            if (g->kind == K_SUM && sum_fits(g, r, err) < 0)
                return -1;
            d->isum = r;
        }
        d->n = sat_add(d->n, src->n);
        break;
    case K_STDDEV: {
        if (src->n == 0)
            break;
        if (d->n == 0) {
            d->n = src->n;
            d->d[0] = src->d[0];
            d->d[1] = src->d[1];
            break;
        }
        double na = (double)d->n, nb = (double)src->n, n = na + nb;
        double delta = src->d[0] - d->d[0];
        d->d[0] += delta * nb / n;
        d->d[1] += src->d[1] + delta * delta * na * nb / n;
        d->n = sat_add(d->n, src->n);
        break;
    }
    case K_CORR:
        for (int i = 0; i < 5; i++)
            d->d[i] += src->d[i];
        d->n = sat_add(d->n, src->n);
        break;
    case K_COUNT_DISTINCT:
        if (src->hll) {
            to_sketch(d);
            for (uint32_t i = 0; i < HLL_M; i++)
                if (src->hll[i] > d->hll[i])
                    d->hll[i] = src->hll[i];
        } else {
            for (uint32_t i = 0; i < src->ne; i++)
                distinct_add(d, src->e[i].hash, src->e[i].count);
        }
        break;
    case K_MIN:
    case K_MAX:
    case K_TOPK:
    case K_TOPKDISTINCT:
        for (uint32_t j = 0; j < src->ne; j++) {
            bool found;
            uint32_t i = ms_find(g, d, &src->e[j].v, &found);
            if (found)
                d->e[i].count = sat_add(d->e[i].count, src->e[j].count);
            else
                ent_insert(d, i, &src->e[j].v, src->e[j].count, 0, 0);
        }
        ms_trim(g, d);
        break;
    case K_LATEST:
    case K_EARLIEST:
        for (uint32_t j = 0; j < src->ne; j++)
            off_insert(d, &src->e[j].v, src->e[j].off);
        off_trim(g, d);
        break;
    case K_COLLECT_LIST:
        for (uint32_t j = 0; j < src->ne; j++) {
            if (d->ne >= (uint32_t)g->collect_limit)
                d->dropped++;
            else
                ent_insert(d, d->ne, &src->e[j].v, 1, 0, src->e[j].hash);
        }
        break;
    case K_COLLECT_SET:
    case K_HISTOGRAM:
        for (uint32_t j = 0; j < src->ne; j++) {
            const entry *x = &src->e[j];
            int64_t i = lin_find(d, &x->v, x->hash, false);
            if (i >= 0)
                d->e[i].count = sat_add(d->e[i].count, x->count);
            else if (d->ne < (uint32_t)g->collect_limit)
                ent_insert(d, d->ne, &x->v, x->count, 0, x->hash);
            else
                d->dropped += (uint64_t)x->count;
        }
        break;
    default:
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "%s: bad accumulator", g->name);
    }
    d->lossy |= src->lossy;
    d->dropped += src->dropped;
    return 0;
}

/* ---- results ---- */

int sl_agg_result(const sl_agg *g, const sl_agg_state *s, sl_arena *a, sl_value *out,
                  sl_error *err)
{
    switch (g->kind) {
    case K_COUNT_STAR:
    case K_COUNT:
        *out = sl_bigint(s->n);
        return 0;
    case K_COUNT_DISTINCT:
        *out = sl_bigint(s->hll ? hll_estimate(s->hll) : (int64_t)s->ne);
        return 0;
    case K_SUM:
        switch (g->argt->kind) {
        case SL_INT:
            *out = sl_int((int32_t)s->isum);
            break;
        case SL_BIGINT:
            *out = sl_bigint((int64_t)s->isum);
            break;
        case SL_DECIMAL:
            *out = sl_decimal(s->isum, g->argt->precision, g->argt->scale);
            break;
        default:
            *out = sl_double(s->d[0]);
            break;
        }
        return 0;
    case K_AVG:
        if (s->n == 0)
            *out = sl_double(0.0);
        else if (g->argt->kind == SL_DOUBLE)
            *out = sl_double(s->d[0] / (double)s->n);
        else
            *out = sl_double((double)s->isum / (double)s->n);
        return 0;
    case K_STDDEV:
        *out = sl_double(s->n < 2 ? 0.0 : sqrt(s->d[1] / (double)(s->n - 1)));
        return 0;
    case K_CORR: {
        double n = (double)s->n;
        double num = n * s->d[4] - s->d[0] * s->d[1];
        double dx = n * s->d[2] - s->d[0] * s->d[0];
        double dy = n * s->d[3] - s->d[1] * s->d[1];
        *out = sl_double(num / sqrt(dx * dy));
        return 0;
    }
    case K_MIN:
    case K_MAX:
        *out = s->ne ? sl_value_copy(a, &s->e[0].v) : sl_null();
        return 0;
    case K_TOPK:
    case K_TOPKDISTINCT: {
        uint32_t n = 0;
        for (uint32_t i = 0; i < s->ne && n < (uint32_t)g->k; i++) {
            int64_t c = g->kind == K_TOPK ? s->e[i].count : 1;
            n += c < g->k - (int64_t)n ? (uint32_t)c : (uint32_t)(g->k - (int64_t)n);
        }
        *out = sl_array_new(a, n);
        uint32_t j = 0;
        for (uint32_t i = 0; i < s->ne && j < n; i++) {
            int64_t c = g->kind == K_TOPK ? s->e[i].count : 1;
            for (int64_t r = 0; r < c && j < n; r++)
                out->u.arr.items[j++] = sl_value_copy(a, &s->e[i].v);
        }
        return 0;
    }
    case K_LATEST:
    case K_EARLIEST: {
        if (!g->k) {
            if (!s->ne)
                *out = sl_null();
            else
                *out = sl_value_copy(a, &s->e[g->kind == K_EARLIEST ? 0 : s->ne - 1].v);
            return 0;
        }
        uint32_t n = s->ne < (uint32_t)g->k ? s->ne : (uint32_t)g->k;
        uint32_t from = g->kind == K_EARLIEST ? 0 : s->ne - n;
        *out = sl_array_new(a, n);
        for (uint32_t i = 0; i < n; i++)
            out->u.arr.items[i] = sl_value_copy(a, &s->e[from + i].v);
        return 0;
    }
    case K_COLLECT_LIST:
    case K_COLLECT_SET:
        *out = sl_array_new(a, s->ne);
        for (uint32_t i = 0; i < s->ne; i++)
            out->u.arr.items[i] = sl_value_copy(a, &s->e[i].v);
        return 0;
    case K_HISTOGRAM:
        *out = sl_map_new(a, s->ne);
        for (uint32_t i = 0; i < s->ne; i++) {
            out->u.map.keys[i] = sl_value_copy(a, &s->e[i].v);
            out->u.map.vals[i] = sl_bigint(s->e[i].count);
        }
        return 0;
    default:
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "%s: bad accumulator", g->name);
    }
}

size_t sl_agg_state_size(const sl_agg *g, const sl_agg_state *s)
{
    (void)g;
    size_t n = sizeof *s + (size_t)s->cap * sizeof(entry);
    if (s->mem)
        n += sl_arena_used(s->mem) > MEM_CHUNK ? sl_arena_used(s->mem) : MEM_CHUNK;
    if (s->hll)
        n += HLL_M;
    return n;
}

/* ---- encoding ---- */

static void put_u8(sl_buf *b, uint8_t x) { sl_buf_append(b, (const char *)&x, 1); }

static void put_var(sl_buf *b, uint64_t x)
{
    char t[10];
    int n = 0;
    do {
        uint8_t c = x & 0x7f;
        x >>= 7;
        t[n++] = (char)(c | (x ? 0x80 : 0));
    } while (x);
    sl_buf_append(b, t, (size_t)n);
}

static void put_zz(sl_buf *b, int64_t x)
{
    put_var(b, ((uint64_t)x << 1) ^ (uint64_t)(x >> 63));
}

static void put_le(sl_buf *b, const void *p, size_t n)
{
    /* x86-64 and arm64 are little-endian; the format is too */
    sl_buf_append(b, (const char *)p, n);
}

static void put_double(sl_buf *b, double d) { put_le(b, &d, 8); }

static void put_value(sl_buf *b, const sl_value *v)
{
    put_u8(b, v->kind);
    switch (v->kind) {
    case SL_NULL:
        break;
    case SL_BOOLEAN:
        put_u8(b, v->u.b ? 1 : 0);
        break;
    case SL_INT:
    case SL_DATE:
    case SL_TIME:
        put_zz(b, v->u.i32);
        break;
    case SL_BIGINT:
    case SL_TIMESTAMP:
        put_zz(b, v->u.i64);
        break;
    case SL_DOUBLE:
        put_double(b, v->u.d);
        break;
    case SL_DECIMAL:
        put_u8(b, v->precision);
        put_u8(b, v->scale);
        put_le(b, &v->u.dec, 16);
        break;
    case SL_STRING:
    case SL_BYTES:
        put_var(b, v->u.s.len);
        sl_buf_append(b, v->u.s.ptr, v->u.s.len);
        break;
    case SL_ARRAY:
        put_var(b, v->u.arr.n);
        for (uint32_t i = 0; i < v->u.arr.n; i++)
            put_value(b, &v->u.arr.items[i]);
        break;
    case SL_MAP:
        put_var(b, v->u.map.n);
        for (uint32_t i = 0; i < v->u.map.n; i++) {
            put_value(b, &v->u.map.keys[i]);
            put_value(b, &v->u.map.vals[i]);
        }
        break;
    case SL_STRUCT:
        put_var(b, v->u.st.n);
        for (uint32_t i = 0; i < v->u.st.n; i++)
            put_value(b, &v->u.st.fields[i]);
        break;
    default:
        break;
    }
}

static bool keeps_entries(agg_kind k)
{
    return k != K_COUNT_STAR && k != K_COUNT && k != K_SUM && k != K_AVG && k != K_STDDEV &&
           k != K_CORR;
}

void sl_agg_encode(const sl_agg *g, const sl_agg_state *s, sl_buf *out)
{
    put_u8(out, MAGIC);
    put_u8(out, VERSION);
    put_u8(out, (uint8_t)g->kind);
    put_var(out, (s->lossy ? 1u : 0u) | (s->hll ? 2u : 0u));
    put_var(out, s->dropped);
    switch (g->kind) {
    case K_COUNT_STAR:
    case K_COUNT:
        put_zz(out, s->n);
        break;
    case K_SUM:
    case K_AVG:
        put_zz(out, s->n);
        put_le(out, &s->isum, 16);
        put_double(out, s->d[0]);
        break;
    case K_STDDEV:
        put_zz(out, s->n);
        put_double(out, s->d[0]);
        put_double(out, s->d[1]);
        break;
    case K_CORR:
        put_zz(out, s->n);
        for (int i = 0; i < 5; i++)
            put_double(out, s->d[i]);
        break;
    default:
        break;
    }
    if (!keeps_entries(g->kind))
        return;
    if (s->hll) {
        put_var(out, 0);
        sl_buf_append(out, (const char *)s->hll, HLL_M);
        return;
    }
    put_var(out, s->ne);
    for (uint32_t i = 0; i < s->ne; i++) {
        const entry *e = &s->e[i];
        if (g->kind == K_COUNT_DISTINCT)
            put_le(out, &e->hash, 8);
        else
            put_value(out, &e->v);
        put_var(out, (uint64_t)e->count);
        if (g->kind == K_LATEST || g->kind == K_EARLIEST)
            put_zz(out, e->off);
    }
}

/* ---- decoding ---- */

typedef struct rd {
    const uint8_t *p, *end;
    sl_arena *a;
} rd;

static bool get_u8(rd *r, uint8_t *x)
{
    if (r->p >= r->end)
        return false;
    *x = *r->p++;
    return true;
}

static bool get_var(rd *r, uint64_t *x)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t c;
        if (!get_u8(r, &c))
            return false;
        if (shift == 63 && c > 1)
            return false;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *x = v;
            return true;
        }
    }
    return false;
}

static bool get_zz(rd *r, int64_t *x)
{
    uint64_t u;
    if (!get_var(r, &u))
        return false;
    *x = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return true;
}

static bool get_raw(rd *r, void *p, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    memcpy(p, r->p, n);
    r->p += n;
    return true;
}

static bool get_count(rd *r, uint32_t *n)
{
    uint64_t x;
    if (!get_var(r, &x) || x > (uint64_t)(r->end - r->p) || x > UINT32_MAX)
        return false;       /* every item takes at least one byte */
    *n = (uint32_t)x;
    return true;
}

static bool get_value(rd *r, sl_value *v, int depth)
{
    uint8_t kind;
    if (depth > MAX_DEPTH || !get_u8(r, &kind))
        return false;
    *v = sl_null();
    int64_t i;
    uint32_t n;
    switch (kind) {
    case SL_NULL:
        return true;
    case SL_BOOLEAN: {
        uint8_t b;
        if (!get_u8(r, &b) || b > 1)
            return false;
        *v = sl_bool(b);
        return true;
    }
    case SL_INT:
    case SL_DATE:
    case SL_TIME:
        if (!get_zz(r, &i) || i < INT32_MIN || i > INT32_MAX)
            return false;
        v->kind = kind;
        v->u.i32 = (int32_t)i;
        return true;
    case SL_BIGINT:
    case SL_TIMESTAMP:
        if (!get_zz(r, &i))
            return false;
        v->kind = kind;
        v->u.i64 = i;
        return true;
    case SL_DOUBLE: {
        double d;
        if (!get_raw(r, &d, 8))
            return false;
        *v = sl_double(d);
        return true;
    }
    case SL_DECIMAL: {
        uint8_t p, s;
        sl_int128 u;
        if (!get_u8(r, &p) || !get_u8(r, &s) || !get_raw(r, &u, 16) || p < 1 ||
            p > SL_DECIMAL_MAX_PRECISION || s > p || !sl_decimal_fits(u, p))
            return false;
        *v = sl_decimal(u, p, s);
        return true;
    }
    case SL_STRING:
    case SL_BYTES: {
        uint64_t len;
        if (!get_var(r, &len) || len > (uint64_t)(r->end - r->p))
            return false;
        const char *s = (const char *)r->p;
        if (kind == SL_STRING && !sl_utf8_valid(s, (size_t)len))
            return false;
        *v = kind == SL_STRING ? sl_string_copy(r->a, s, (size_t)len)
                               : sl_bytes_copy(r->a, s, (size_t)len);
        r->p += len;
        return true;
    }
    case SL_ARRAY:
        if (!get_count(r, &n))
            return false;
        *v = sl_array_new(r->a, n);
        for (uint32_t k = 0; k < n; k++)
            if (!get_value(r, &v->u.arr.items[k], depth + 1))
                return false;
        return true;
    case SL_MAP:
        if (!get_count(r, &n))
            return false;
        *v = sl_map_new(r->a, n);
        for (uint32_t k = 0; k < n; k++)
            if (!get_value(r, &v->u.map.keys[k], depth + 1) ||
                !get_value(r, &v->u.map.vals[k], depth + 1))
                return false;
        return true;
    case SL_STRUCT:
        if (!get_count(r, &n))
            return false;
        *v = sl_struct_new(r->a, n);
        for (uint32_t k = 0; k < n; k++)
            if (!get_value(r, &v->u.st.fields[k], depth + 1))
                return false;
        return true;
    default:
        return false;
    }
}

static bool decode_body(const sl_agg *g, rd *r, sl_agg_state *s, const char **why)
{
    uint8_t magic, version, kind;
    if (!get_u8(r, &magic) || magic != MAGIC) {
        *why = "not an aggregate state";
        return false;
    }
    if (!get_u8(r, &version) || version != VERSION) {
        *why = "unknown format version";
        return false;
    }
    if (!get_u8(r, &kind) || kind != g->kind) {
        *why = "state of another aggregate";
        return false;
    }
    *why = "truncated or corrupt";
    uint64_t flags;
    if (!get_var(r, &flags) || flags > 3 || !get_var(r, &s->dropped))
        return false;
    s->lossy = flags & 1;
    if ((flags & 2) && g->kind != K_COUNT_DISTINCT)
        return false;
    switch (g->kind) {
    case K_COUNT_STAR:
    case K_COUNT:
        if (!get_zz(r, &s->n) || s->n < 0)
            return false;
        break;
    case K_SUM:
    case K_AVG:
        if (!get_zz(r, &s->n) || s->n < 0 || !get_raw(r, &s->isum, 16) ||
            !get_raw(r, &s->d[0], 8))
            return false;
        if (g->kind == K_SUM && g->argt->kind != SL_DOUBLE) {
            sl_error e;
            if (sum_fits(g, s->isum, &e) < 0)
                return false;
        }
        break;
    case K_STDDEV:
        if (!get_zz(r, &s->n) || s->n < 0 || !get_raw(r, &s->d[0], 8) || !get_raw(r, &s->d[1], 8))
            return false;
        break;
    case K_CORR:
        if (!get_zz(r, &s->n) || s->n < 0)
            return false;
        for (int i = 0; i < 5; i++)
            if (!get_raw(r, &s->d[i], 8))
                return false;
        break;
    default:
        break;
    }
    if (keeps_entries(g->kind)) {
        uint32_t n;
        if (!get_count(r, &n))
            return false;
        if (flags & 2) {
            if (n != 0)
                return false;
            s->hll = malloc(HLL_M);
            if (!s->hll)
                abort();
            if (!get_raw(r, s->hll, HLL_M))
                return false;
            for (uint32_t i = 0; i < HLL_M; i++)
                if (s->hll[i] > 64 - HLL_P + 1)
                    return false;
        }
        ensure_cap(s, n);
        bool off = g->kind == K_LATEST || g->kind == K_EARLIEST;
        for (uint32_t i = 0; i < n; i++) {
            entry *e = &s->e[i];
            memset(e, 0, sizeof *e);
            if (g->kind == K_COUNT_DISTINCT) {
                if (!get_raw(r, &e->hash, 8))
                    return false;
                e->v = sl_null();
            } else {
                if (!s->mem)
                    s->mem = sl_arena_new(MEM_CHUNK);
                r->a = s->mem;
                if (!get_value(r, &e->v, 0))
                    return false;
                e->hash = sl_value_hash(&e->v);
                s->live += value_bytes(&e->v);
            }
            uint64_t c;
            if (!get_var(r, &c) || c < 1 || c > INT64_MAX)
                return false;
            e->count = (int64_t)c;
            if (off && !get_zz(r, &e->off))
                return false;
            s->ne = i + 1;
            /* the order the operations rely on */
            if (i > 0) {
                const entry *p = &s->e[i - 1];
                switch (g->kind) {
                case K_COUNT_DISTINCT:
                    if (p->hash >= e->hash)
                        return false;
                    break;
                case K_MIN:
                case K_MAX:
                case K_TOPK:
                case K_TOPKDISTINCT:
                    if (ord(g, &p->v, &e->v) >= 0)
                        return false;
                    break;
                case K_LATEST:
                case K_EARLIEST:
                    if (p->off > e->off)
                        return false;
                    break;
                default:
                    break;
                }
            }
            if ((g->kind >= K_MIN && g->kind <= K_TOPKDISTINCT && g->kind != K_COUNT_DISTINCT) ||
                g->kind == K_HISTOGRAM) {
                if (sl_is_null(&e->v))
                    return false;               /* never kept */
            }
            if (g->kind == K_HISTOGRAM && e->v.kind != SL_STRING)
                return false;
            if ((g->kind == K_COLLECT_LIST || g->kind == K_LATEST || g->kind == K_EARLIEST) &&
                c != 1)
                return false;
        }
        s->base = s->mem ? sl_arena_used(s->mem) : 0;
    }
    if (r->p != r->end) {
        *why = "trailing bytes";
        return false;
    }
    return true;
}

int sl_agg_decode(const sl_agg *g, const void *bytes, size_t len, sl_agg_state **out,
                  sl_error *err)
{
    *out = NULL;
    if (!bytes)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s state: no bytes", g->name);
    sl_agg_state *s = sl_agg_state_new(g);
    rd r = {bytes, (const uint8_t *)bytes + len, NULL};
    const char *why = "truncated or corrupt";
    if (!decode_body(g, &r, s, &why)) {
        sl_agg_state_free(s);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s state: %s (%zu bytes)", g->name, why,
                            len);
    }
    *out = s;
    return 0;
}
