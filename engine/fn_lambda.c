/*
 * fn_lambda.c: ksqlDB's invocation functions (category LAMBDA): TRANSFORM,
 * FILTER and REDUCE over arrays and maps.
 *
 * The lambda arguments arrive as NULL placeholders; each is called through
 * sl_fcall_lambda (func.h), whose errors are the row's errors. None of
 * these functions is NULL_ON_NULL, because the placeholders are NULL:
 * - TRANSFORM / FILTER of a NULL collection is NULL;
 * - FILTER keeps an element only when the lambda returns TRUE (a NULL
 *   result drops it);
 * - REDUCE with a NULL initial state is NULL; of a NULL collection it is
 *   the initial state;
 * - TRANSFORM of a map that maps two keys to one key is a row error, as
 *   in ksqlDB. Maps keep their iteration (insertion) order.
 *
 * It does not compile lambdas: the expression compiler does, through the
 * registry's lambda API.
 */
#include "func.h"

#include <string.h>

/* ---- TRANSFORM ---- */

static int transform_array(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0])) {
        *out = sl_null();
        return 0;
    }
    uint32_t cnt = a[0].u.arr.n;
    sl_value res = sl_array_new(c->arena, cnt);
    for (uint32_t i = 0; i < cnt; i++)
        if (sl_fcall_lambda(c, 1, &a[0].u.arr.items[i], 1, &res.u.arr.items[i]) < 0)
            return -1;
    *out = res;
    return 0;
}

/* Index of a key among the first n keys equal to k, by hash (keys share one type). */
typedef struct keyset {
    uint32_t *slots;            /* index + 1, 0 empty */
    uint32_t mask;
} keyset;

static void keyset_init(keyset *ks, sl_arena *a, uint32_t expect)
{
    uint32_t cap = 8;
    while (cap < expect * 2u && cap < (1u << 31))
        cap <<= 1;
    ks->slots = sl_arena_zalloc(a, sizeof(uint32_t) * cap);
    ks->mask = cap - 1;
}

/* Adds keys[idx]; false when an equal key is already there. */
static bool keyset_add(keyset *ks, const sl_value *keys, uint32_t idx)
{
    uint32_t i = (uint32_t)sl_value_hash(&keys[idx]) & ks->mask;
    while (ks->slots[i]) {
        if (sl_value_equal(&keys[ks->slots[i] - 1], &keys[idx]))
            return false;
        i = (i + 1) & ks->mask;
    }
    ks->slots[i] = idx + 1;
    return true;
}

static int transform_map(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0])) {
        *out = sl_null();
        return 0;
    }
    uint32_t cnt = a[0].u.map.n;
    sl_value res = sl_map_new(c->arena, cnt);
    keyset ks;
    keyset_init(&ks, c->arena, cnt);
    for (uint32_t i = 0; i < cnt; i++) {
        sl_value kv[2] = {a[0].u.map.keys[i], a[0].u.map.vals[i]};
        if (sl_fcall_lambda(c, 1, kv, 2, &res.u.map.keys[i]) < 0 ||
            sl_fcall_lambda(c, 2, kv, 2, &res.u.map.vals[i]) < 0)
            return -1;
        if (sl_is_null(&res.u.map.keys[i]))
            return sl_fn_error(c, "TRANSFORM: the key lambda returned NULL, which cannot be a "
                                  "map key");
        if (!keyset_add(&ks, res.u.map.keys, i))
            return sl_fn_error(c, "TRANSFORM: the key lambda returned the same key for two "
                                  "entries");
    }
    *out = res;
    return 0;
}

/* ---- FILTER ---- */

static int filter_array(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0])) {
        *out = sl_null();
        return 0;
    }
    uint32_t cnt = a[0].u.arr.n;
    sl_value res = sl_array_new(c->arena, cnt);
    res.u.arr.n = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        sl_value keep;
        if (sl_fcall_lambda(c, 1, &a[0].u.arr.items[i], 1, &keep) < 0)
            return -1;
        if (keep.kind == SL_BOOLEAN && keep.u.b)
            res.u.arr.items[res.u.arr.n++] = a[0].u.arr.items[i];
    }
    *out = res;
    return 0;
}

static int filter_map(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[0])) {
        *out = sl_null();
        return 0;
    }
    uint32_t cnt = a[0].u.map.n;
    sl_value res = sl_map_new(c->arena, cnt);
    res.u.map.n = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        sl_value kv[2] = {a[0].u.map.keys[i], a[0].u.map.vals[i]};
        sl_value keep;
        if (sl_fcall_lambda(c, 1, kv, 2, &keep) < 0)
            return -1;
        if (keep.kind == SL_BOOLEAN && keep.u.b) {
            res.u.map.keys[res.u.map.n] = kv[0];
            res.u.map.vals[res.u.map.n] = kv[1];
            res.u.map.n++;
        }
    }
    *out = res;
    return 0;
}

/* ---- REDUCE ---- */

static int reduce_array(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[1])) {
        *out = sl_null();
        return 0;
    }
    sl_value state = a[1];
    if (!sl_is_null(&a[0])) {
        for (uint32_t i = 0; i < a[0].u.arr.n; i++) {
            sl_value p[2] = {state, a[0].u.arr.items[i]};
            if (sl_fcall_lambda(c, 2, p, 2, &state) < 0)
                return -1;
        }
    }
    *out = state;
    return 0;
}

static int reduce_map(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (sl_is_null(&a[1])) {
        *out = sl_null();
        return 0;
    }
    sl_value state = a[1];
    if (!sl_is_null(&a[0])) {
        for (uint32_t i = 0; i < a[0].u.map.n; i++) {
            sl_value p[3] = {state, a[0].u.map.keys[i], a[0].u.map.vals[i]};
            if (sl_fcall_lambda(c, 2, p, 3, &state) < 0)
                return -1;
        }
    }
    *out = state;
    return 0;
}

/* ---- the table ---- */

static const sl_overload transform_ov[] = {
    {"array ARRAY<T>, fn LAMBDA(T) => U -> ARRAY<U>", transform_array, 0, NULL, NULL, NULL,
     "applies fn to every element"},
    {"map MAP<K, V>, key_fn LAMBDA(K, V) => K1, value_fn LAMBDA(K, V) => V1 -> MAP<K1, V1>",
     transform_map, 0, NULL, NULL, NULL, "computes a new key and a new value for every entry"},
};

static const sl_overload filter_ov[] = {
    {"array ARRAY<T>, fn LAMBDA(T) => BOOLEAN -> ARRAY<T>", filter_array, 0, NULL, NULL, NULL,
     "keeps the elements for which fn is true"},
    {"map MAP<K, V>, fn LAMBDA(K, V) => BOOLEAN -> MAP<K, V>", filter_map, 0, NULL, NULL, NULL,
     "keeps the entries for which fn(key, value) is true"},
};

static const sl_overload reduce_ov[] = {
    {"array ARRAY<T>, initial S, fn LAMBDA(S, T) => S -> S", reduce_array, 0, NULL, NULL, NULL,
     "folds the elements into the state: s = fn(s, element)"},
    {"map MAP<K, V>, initial S, fn LAMBDA(S, K, V) => S -> S", reduce_map, 0, NULL, NULL, NULL,
     "folds the entries into the state: s = fn(s, key, value)"},
};

#define FN(name, desc, ov) \
    {name, SL_FN_SCALAR, "LAMBDA", desc, ov, (int)(sizeof ov / sizeof ov[0])}

static const sl_function lambda_functions[] = {
    FN("FILTER", "Filters an array with a one-parameter lambda, or a map with a (key, value) "
                 "lambda, keeping what the lambda returns TRUE for. NULL for a NULL "
                 "collection.", filter_ov),
    FN("REDUCE", "Reduces an array with a (state, element) lambda, or a map with a (state, "
                 "key, value) lambda, starting from the initial state. NULL when the initial "
                 "state is NULL; the initial state for a NULL collection.", reduce_ov),
    FN("TRANSFORM", "Transforms every element of an array with a one-parameter lambda, or "
                    "every entry of a map with two (key, value) lambdas, one for the new key "
                    "and one for the new value. NULL for a NULL collection.", transform_ov),
};

void sl_fn_register_lambda(sl_registry *r)
{
    for (size_t i = 0; i < sizeof lambda_functions / sizeof lambda_functions[0]; i++)
        sl_registry_add(r, &lambda_functions[i]);
}
