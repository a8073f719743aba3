/*
 * rocks_raw.c: point reads and bounded scans of raw keys (rocks_raw.h).
 */
#include "log/rocks_raw.h"
#include "log/raw_keys.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int fail(sl_error *err, char *errp, const char *what, const char *where)
{
    if (where)
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s (%s): %s", what, where, errp);
    else
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s", what, errp);
    rocksdb_free(errp);
    return -1;
}

int sl_rocks_get_copy(rocksdb_t *db, const rocksdb_readoptions_t *ro,
                      rocksdb_column_family_handle_t *cf, const void *key, size_t key_len,
                      sl_arena *a, const void **val, size_t *val_len, const char *where,
                      sl_error *err)
{
    char *errp = NULL;
    rocksdb_pinnableslice_t *ps =
        rocksdb_get_pinned_cf(db, ro, cf, key ? key : "", key_len, &errp);
    if (errp)
        return fail(err, errp, "reading state", where);
    if (!ps)
        return 0;
    size_t vl = 0;
    const char *v = rocksdb_pinnableslice_value(ps, &vl);
    void *copy = sl_arena_alloc(a, vl ? vl : 1);
    if (vl)
        memcpy(copy, v, vl);
    rocksdb_pinnableslice_destroy(ps);
    *val = copy;
    *val_len = vl;
    return 1;
}

typedef struct scan {
    sl_log_iter base;
    rocksdb_iterator_t *it;         /* NULL: iterates nothing */
    rocksdb_readoptions_t *ro;      /* holds the bounds: lives as long as it */
    uint8_t *lo, *hi;               /* copies of the bounds (NULL: none) */
    size_t lo_len, hi_len;
    bool started, done;
    char *where;
} scan;

static int scan_next(sl_log_iter *base, const void **key, size_t *key_len, const void **val,
                     size_t *val_len, sl_error *err)
{
    scan *r = (scan *)base;
    if (!r->it || r->done)
        return 0;
    if (!r->started) {
        r->started = true;
        if (r->lo_len)
            rocksdb_iter_seek(r->it, (const char *)r->lo, r->lo_len);
        else
            rocksdb_iter_seek_to_first(r->it);
    } else {
        rocksdb_iter_next(r->it);
    }
    if (!rocksdb_iter_valid(r->it)) {
        r->done = true;             /* RocksDB must not step past the end */
        char *errp = NULL;
        rocksdb_iter_get_error(r->it, &errp);
        return errp ? fail(err, errp, "scanning state", r->where) : 0;
    }
    *key = rocksdb_iter_key(r->it, key_len);
    *val = rocksdb_iter_value(r->it, val_len);
    return 1;
}

static void scan_free(sl_log_iter *base)
{
    scan *r = (scan *)base;
    if (r->it)
        rocksdb_iter_destroy(r->it);
    if (r->ro)
        rocksdb_readoptions_destroy(r->ro);
    free(r->lo);
    free(r->hi);
    free(r->where);
    free(r);
}

static uint8_t *copy_bytes(const void *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (!c)
        abort();
    if (n)
        memcpy(c, p, n);
    return c;
}

sl_log_iter *sl_rocks_scan(rocksdb_t *db, rocksdb_column_family_handle_t *cf, const void *lo,
                           size_t lo_len, const void *hi, size_t hi_len, const char *where)
{
    scan *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->base.next = scan_next;
    r->base.free = scan_free;
    if (where)
        r->where = (char *)copy_bytes(where, strlen(where) + 1);
    if (!cf || (hi && sl_raw_bytes_cmp(lo, lo_len, hi, hi_len) >= 0))
        return &r->base;            /* nothing written, or an empty range */
    if (lo_len) {
        r->lo = copy_bytes(lo, lo_len);
        r->lo_len = lo_len;
    }
    if (hi) {
        r->hi = copy_bytes(hi, hi_len);
        r->hi_len = hi_len;
    } else {
        /* without a successor every key >= lo starts with lo: no bound */
        r->hi = sl_raw_prefix_successor(lo, lo_len, &r->hi_len);
    }
    r->ro = rocksdb_readoptions_create();
    if (r->lo)
        rocksdb_readoptions_set_iterate_lower_bound(r->ro, (const char *)r->lo, r->lo_len);
    if (r->hi)
        rocksdb_readoptions_set_iterate_upper_bound(r->ro, (const char *)r->hi, r->hi_len);
    r->it = rocksdb_create_iterator_cf(db, r->ro, cf);
    return &r->base;
}
