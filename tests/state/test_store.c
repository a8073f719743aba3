/*
 * test_store.c: the state store as an operator uses it: reads through the
 * cache to committed state, writes only at flush (checked with the log's
 * raw reads), deletes, discard after an abort, the cache bound, restarts,
 * the time index of windowed stores (order, bounds, deletes during a
 * visit, rebuild at open, min_time), prefix visits merging pending and
 * committed keys, and dropping a query's state.
 *
 * Objects are counters (an int64 in a malloc'ed cell) encoded as 8 bytes
 * big-endian. Windowed keys are a group name followed by a be64 time.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "state/store.h"

static char dir[64];
static sl_arena *arena;
static sl_error err;
static sl_log *log_;
static int live;                /* counter objects allocated and not freed */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static sl_log *open_log(void)
{
    sl_log *log = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(log, "open: %s", err.msg);
    return log;
}

static void setup(void)
{
    strcpy(dir, "/tmp/sluice-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    arena = sl_arena_new(0);
    sl_error_clear(&err);
    live = 0;
    log_ = open_log();
}

static void teardown(void)
{
    sl_log_close(log_);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    sl_arena_free(arena);
}

TestSuite(store, .init = setup, .fini = teardown);

/* ---- the counter codec ---- */

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static int64_t *cell(int64_t v)
{
    int64_t *c = malloc(sizeof *c);
    *c = v;
    live++;
    return c;
}

static void c_encode(void *ud, const void *obj, sl_buf *out)
{
    uint8_t b[8];
    be64(b, (uint64_t)*(const int64_t *)obj);
    sl_buf_append(out, (const char *)b, 8);
}

static int c_decode(void *ud, const void *bytes, size_t len, void **obj, sl_error *e)
{
    if (len != 8)
        return sl_error_set(e, SL_ERR_IO, SL_NOSPAN, "counter of %zu bytes", len);
    *obj = cell((int64_t)rd64(bytes));
    return 0;
}

static void c_free(void *ud, void *obj)
{
    live--;
    free(obj);
}

static size_t c_size(void *ud, const void *obj)
{
    return sizeof(int64_t);
}

static int64_t c_time(void *ud, const void *key, size_t len)
{
    return len >= 8 ? (int64_t)rd64((const uint8_t *)key + len - 8) : 0;
}

static const sl_store_codec plain = {c_encode, c_decode, c_free, c_size, NULL, NULL};
static const sl_store_codec windowed = {c_encode, c_decode, c_free, c_size, c_time, NULL};

static bool with_key_index;    /* open_store: opts.key_index */

static sl_store *open_store(const char *name, int32_t p, const sl_store_codec *c, size_t cache)
{
    sl_store_opts o = {cache, with_key_index};
    sl_store *s = sl_store_open(log_, name, p, c, &o, &err);
    cr_assert_not_null(s, "store open: %s", err.msg);
    return s;
}

/* The RocksDB key of a store entry: name, 0, be32 partition, key. */
static size_t raw_key(uint8_t *out, const char *name, int32_t p, const void *key, size_t kl)
{
    size_t nl = strlen(name) + 1;
    memcpy(out, name, nl);
    out[nl] = (uint8_t)((uint32_t)p >> 24);
    out[nl + 1] = (uint8_t)((uint32_t)p >> 16);
    out[nl + 2] = (uint8_t)((uint32_t)p >> 8);
    out[nl + 3] = (uint8_t)p;
    memcpy(out + nl + 4, key, kl);
    return nl + 4 + kl;
}

/* The committed counter of a store key via the log: -1 when absent. */
static int64_t committed(const char *name, int32_t p, const char *key)
{
    uint8_t k[256];
    size_t kl = raw_key(k, name, p, key, strlen(key));
    const void *v;
    size_t vl;
    int rc = sl_log_get_raw(log_, SL_STORE_SPACE, k, kl, arena, &v, &vl, &err);
    cr_assert_geq(rc, 0, "get_raw: %s", err.msg);
    if (!rc)
        return -1;
    cr_assert_eq(vl, 8);
    return (int64_t)rd64(v);
}

static void commit_raw(const char *name, int32_t p, const char *key, const void *val,
                       size_t vl)
{
    uint8_t k[256];
    size_t kl = raw_key(k, name, p, key, strlen(key));
    sl_log_txn *t = sl_log_txn_begin(log_);
    cr_assert_eq(sl_log_txn_put_raw(t, SL_STORE_SPACE, k, kl, val, vl, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
}

static void commit_counter(const char *name, int32_t p, const char *key, int64_t v)
{
    uint8_t b[8];
    be64(b, (uint64_t)v);
    commit_raw(name, p, key, b, 8);
}

static int64_t get(sl_store *s, const char *key)
{
    void *o;
    cr_assert_eq(sl_store_get(s, key, strlen(key), &o, &err), 0, "get %s: %s", key, err.msg);
    return o ? *(int64_t *)o : -1;
}

static void put(sl_store *s, const char *key, int64_t v)
{
    cr_assert_eq(sl_store_put(s, key, strlen(key), cell(v), &err), 0, "put: %s", err.msg);
}

static void del(sl_store *s, const char *key)
{
    cr_assert_eq(sl_store_delete(s, key, strlen(key), &err), 0, "delete: %s", err.msg);
}

static void flush_commit(sl_store *s)
{
    sl_log_txn *t = sl_log_txn_begin(log_);
    cr_assert_eq(sl_store_flush(s, t, &err), 0, "flush: %s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
}

static sl_store_stats stats(sl_store *s)
{
    sl_store_stats st;
    sl_store_get_stats(s, &st);
    return st;
}

/* ---- plain stores ---- */

Test(store, get_miss_reads_and_decodes_committed)
{
    commit_counter("q/agg", 2, "k", 41);
    sl_store *s = open_store("q/agg", 2, &plain, 1 << 20);
    cr_assert_eq(get(s, "k"), 41);
    cr_assert_eq(get(s, "k"), 41);
    cr_assert_eq(get(s, "nope"), -1);
    cr_assert_eq(get(s, "nope"), -1);
    sl_store_stats st = stats(s);
    cr_assert_eq(st.misses, 2);
    cr_assert_eq(st.hits, 2, "a miss is remembered");
    cr_assert_eq(st.reads, 2);
    cr_assert_eq(st.keys_cached, 2);
    sl_store_close(s);
    /* another partition of the same name sees nothing */
    s = open_store("q/agg", 3, &plain, 1 << 20);
    cr_assert_eq(get(s, "k"), -1);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, get_in_place_update_and_put)
{
    sl_store *s = open_store("q/agg", 0, &plain, 1 << 20);
    void *o;
    cr_assert_eq(sl_store_get(s, "k", 1, &o, &err), 0);
    cr_assert_null(o);
    put(s, "k", 1);
    cr_assert_eq(sl_store_get(s, "k", 1, &o, &err), 0);
    cr_assert_not_null(o);
    (*(int64_t *)o)++;
    cr_assert_eq(sl_store_put(s, "k", 1, o, &err), 0, "the same object again");
    cr_assert_eq(get(s, "k"), 2);
    put(s, "k", 7);                     /* replaces (and frees) the old object */
    cr_assert_eq(live, 1);
    cr_assert_eq(get(s, "k"), 7);
    cr_assert_eq(stats(s).reads, 1, "puts never read");
    cr_assert_eq(committed("q/agg", 0, "k"), -1, "nothing written before a flush");
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, flush_writes_into_the_transaction)
{
    sl_store *s = open_store("q/agg", 1, &plain, 1 << 20);
    put(s, "a", 10);
    put(s, "b", 20);
    sl_log_txn *t = sl_log_txn_begin(log_);
    cr_assert_eq(sl_store_flush(s, t, &err), 0, "%s", err.msg);
    cr_assert_eq(committed("q/agg", 1, "a"), -1, "not before the commit");
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_eq(committed("q/agg", 1, "a"), 10);
    cr_assert_eq(committed("q/agg", 1, "b"), 20);
    sl_store_stats st = stats(s);
    cr_assert_eq(st.writes, 2);
    /* clean entries are not written again */
    cr_assert_eq(get(s, "a"), 10);
    flush_commit(s);
    cr_assert_eq(stats(s).writes, 2);
    put(s, "a", 11);
    flush_commit(s);
    cr_assert_eq(stats(s).writes, 3);
    cr_assert_eq(committed("q/agg", 1, "a"), 11);
    sl_store_close(s);
}

Test(store, delete_then_flush)
{
    commit_counter("q/agg", 0, "a", 1);
    commit_counter("q/agg", 0, "b", 2);
    sl_store *s = open_store("q/agg", 0, &plain, 1 << 20);
    cr_assert_eq(get(s, "a"), 1);
    del(s, "a");                        /* cached */
    del(s, "b");                        /* never read */
    cr_assert_eq(get(s, "a"), -1);
    cr_assert_eq(get(s, "b"), -1);
    cr_assert_eq(committed("q/agg", 0, "a"), 1);
    flush_commit(s);
    cr_assert_eq(committed("q/agg", 0, "a"), -1);
    cr_assert_eq(committed("q/agg", 0, "b"), -1);
    cr_assert_eq(stats(s).deletes, 2);
    /* a key put and deleted within one batch writes nothing */
    put(s, "c", 3);
    del(s, "c");
    cr_assert_eq(get(s, "c"), -1);
    flush_commit(s);
    cr_assert_eq(committed("q/agg", 0, "c"), -1);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, discard_reverts_to_committed)
{
    commit_counter("q/agg", 0, "a", 5);
    commit_counter("q/agg", 0, "b", 6);
    sl_store *s = open_store("q/agg", 0, &plain, 1 << 20);
    void *o;
    cr_assert_eq(sl_store_get(s, "a", 1, &o, &err), 0);
    *(int64_t *)o = 50;
    cr_assert_eq(sl_store_put(s, "a", 1, o, &err), 0);
    del(s, "b");
    put(s, "n", 1);
    /* the batch's transaction was aborted */
    sl_log_txn *t = sl_log_txn_begin(log_);
    cr_assert_eq(sl_store_flush(s, t, &err), 0, "%s", err.msg);
    sl_log_txn_abort(t);
    cr_assert_eq(sl_store_discard(s, &err), 0, "%s", err.msg);
    cr_assert_eq(stats(s).keys_cached, 0);
    cr_assert_eq(get(s, "a"), 5);
    cr_assert_eq(get(s, "b"), 6);
    cr_assert_eq(get(s, "n"), -1);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, eviction_keeps_the_bound)
{
    const size_t per = 8 + 8 + SL_STORE_ENTRY_OVERHEAD;   /* key, counter, overhead */
    const size_t bound = 50 * per;
    sl_store *s = open_store("q/agg", 0, &plain, bound);
    char k[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "key%05d", i);
        put(s, k, i);
    }
    cr_assert_eq(stats(s).keys_cached, 1000, "no eviction before a flush");
    flush_commit(s);
    sl_store_stats st = stats(s);
    cr_assert_leq(st.cache_bytes, bound);
    cr_assert_geq(st.keys_cached, 40, "the cache is used up to the bound");
    cr_assert_eq(st.evictions, 1000 - st.keys_cached);
    cr_assert_eq(live, (int)st.keys_cached, "evicted objects are freed");
    /* the most recently used stay; evicted ones come back from RocksDB */
    cr_assert_eq(get(s, "key00999"), 999);
    cr_assert_eq(stats(s).reads, 0);
    cr_assert_eq(get(s, "key00000"), 0);
    cr_assert_eq(stats(s).reads, 1);
    /* reads beyond the bound are trimmed at the next flush */
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "key%05d", i);
        cr_assert_eq(get(s, k), i);
    }
    flush_commit(s);
    cr_assert_leq(stats(s).cache_bytes, bound);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, cache_zero_keeps_nothing_across_flushes)
{
    sl_store *s = open_store("q/agg", 0, &plain, 0);
    put(s, "a", 1);
    put(s, "b", 2);
    cr_assert_eq(get(s, "a"), 1, "pending entries stay until the flush");
    flush_commit(s);
    cr_assert_eq(stats(s).keys_cached, 0);
    cr_assert_eq(stats(s).cache_bytes, 0);
    cr_assert_eq(get(s, "a"), 1);
    cr_assert_eq(stats(s).reads, 1);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, values_survive_a_restart)
{
    sl_store *s = open_store("q/agg", 4, &plain, 1 << 20);
    put(s, "a", 1);
    put(s, "b", 2);
    flush_commit(s);
    put(s, "c", 3);                     /* never flushed: lost */
    sl_store_close(s);
    sl_log_close(log_);
    log_ = open_log();
    s = open_store("q/agg", 4, &plain, 1 << 20);
    cr_assert_eq(get(s, "a"), 1);
    cr_assert_eq(get(s, "b"), 2);
    cr_assert_eq(get(s, "c"), -1);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, corrupt_state_is_an_error)
{
    commit_raw("q/agg", 0, "bad", "xyz", 3);
    sl_store *s = open_store("q/agg", 0, &plain, 1 << 20);
    void *o = (void *)1;
    cr_assert_eq(sl_store_get(s, "bad", 3, &o, &err), -1);
    cr_assert_null(o);
    cr_assert(strstr(err.msg, "3 bytes"), "%s", err.msg);
    cr_assert_eq(get(s, "other"), -1, "the store still works");
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, bad_arguments)
{
    cr_assert_null(sl_store_open(log_, "", 0, &plain, NULL, &err));
    cr_assert_null(sl_store_open(log_, "q", -1, &plain, NULL, &err));
    sl_store_codec none = {0};
    cr_assert_null(sl_store_open(log_, "q", 0, &none, NULL, &err));
    sl_store *s = open_store("q", 0, &plain, 0);
    cr_assert_eq(sl_store_scan_time(s, 10, NULL, NULL, &err), -1, "not windowed");
    cr_assert_eq(sl_store_min_time(s), INT64_MAX);
    void *o;
    cr_assert_eq(sl_store_get(s, NULL, 3, &o, &err), -1);
    sl_store_close(s);
    sl_store_close(NULL);
}

/* ---- windowed stores ---- */

/* A windowed key: group name, be64 time. */
static size_t wkey(uint8_t *out, const char *group, int64_t t)
{
    size_t gl = strlen(group);
    memcpy(out, group, gl);
    be64(out + gl, (uint64_t)t);
    return gl + 8;
}

static void wput(sl_store *s, const char *group, int64_t t, int64_t v)
{
    uint8_t k[64];
    size_t kl = wkey(k, group, t);
    cr_assert_eq(sl_store_put(s, k, kl, cell(v), &err), 0, "%s", err.msg);
}

static void wdel(sl_store *s, const char *group, int64_t t)
{
    uint8_t k[64];
    size_t kl = wkey(k, group, t);
    cr_assert_eq(sl_store_delete(s, k, kl, &err), 0, "%s", err.msg);
}

typedef struct visit {
    sl_store *s;
    sl_buf seen;                /* "group@time=value," per visit */
    int delete_visited;         /* delete each visited key */
    const char *delete_group;   /* delete this group's key of time delete_time */
    int64_t delete_time;
    int stop_after;             /* return 1 after this many (0: never) */
    int n;
} visit;

static int visit_cb(void *ud, const void *key, size_t len, int64_t t, sl_error *e)
{
    visit *v = ud;
    void *o;
    if (sl_store_get(v->s, key, len, &o, e))
        return -1;
    cr_assert_not_null(o, "a visited key has its object");
    sl_buf_printf(&v->seen, "%.*s@%lld=%lld,", (int)(len - 8), (const char *)key, (long long)t,
                  (long long)*(int64_t *)o);
    if (v->delete_visited && sl_store_delete(v->s, key, len, e))
        return -1;
    if (v->delete_group) {
        uint8_t k[64];
        size_t kl = wkey(k, v->delete_group, v->delete_time);
        if (sl_store_delete(v->s, k, kl, e))
            return -1;
    }
    v->n++;
    return v->stop_after && v->n >= v->stop_after;
}

static const char *scan_time(sl_store *s, int64_t before, visit *v, int expect)
{
    v->s = s;
    sl_buf_init(&v->seen);
    int n = sl_store_scan_time(s, before, visit_cb, v, &err);
    cr_assert_eq(n, expect, "visited %d (%s)", n, err.msg);
    const char *r = sl_arena_strdup(arena, sl_buf_cstr(&v->seen));
    sl_buf_fini(&v->seen);
    return r;
}

static void fill_windows(sl_store *s)
{
    wput(s, "b", 10, 1);
    wput(s, "a", 30, 2);
    wput(s, "a", 10, 3);
    wput(s, "c", 20, 4);
    wput(s, "a", -5, 5);
}

Test(store, scan_time_order_and_bounds)
{
    sl_store *s = open_store("w", 0, &windowed, 1 << 20);
    cr_assert_eq(sl_store_min_time(s), INT64_MAX);
    fill_windows(s);
    cr_assert_eq(sl_store_min_time(s), -5);
    cr_assert_eq(stats(s).index_keys, 5);
    visit v = {0};
    cr_assert_str_eq(scan_time(s, 30, &v, 4), "a@-5=5,a@10=3,b@10=1,c@20=4,");
    visit v2 = {0};
    cr_assert_str_eq(scan_time(s, -5, &v2, 0), "", "before is exclusive");
    visit v3 = {.stop_after = 2};
    cr_assert_str_eq(scan_time(s, INT64_MAX, &v3, 2), "a@-5=5,a@10=3,", "a callback stops it");
    /* deleted and re-put keys move in the index */
    wdel(s, "a", -5);
    wput(s, "a", 10, 33);
    wput(s, "z", 0, 6);
    visit v4 = {0};
    cr_assert_str_eq(scan_time(s, 25, &v4, 4), "z@0=6,a@10=33,b@10=1,c@20=4,");
    cr_assert_eq(sl_store_min_time(s), 0);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, deletes_during_a_visit)
{
    sl_store *s = open_store("w", 0, &windowed, 1 << 20);
    fill_windows(s);
    flush_commit(s);
    /* retention: delete every visited window */
    visit v = {.delete_visited = 1};
    cr_assert_str_eq(scan_time(s, 20, &v, 3), "a@-5=5,a@10=3,b@10=1,");
    cr_assert_eq(sl_store_min_time(s), 20);
    cr_assert_eq(stats(s).index_keys, 2);
    /* a callback deleting a later key: that key is not visited */
    visit v2 = {.delete_group = "a", .delete_time = 30};
    cr_assert_str_eq(scan_time(s, 100, &v2, 1), "c@20=4,");
    flush_commit(s);
    uint8_t k[64], rk[128];
    size_t kl = wkey(k, "c", 20);
    size_t rkl = raw_key(rk, "w", 0, k, kl);
    const void *val;
    size_t vl;
    cr_assert_eq(sl_log_get_raw(log_, SL_STORE_SPACE, rk, rkl, arena, &val, &vl, &err), 1);
    kl = wkey(k, "a", 10);
    rkl = raw_key(rk, "w", 0, k, kl);
    cr_assert_eq(sl_log_get_raw(log_, SL_STORE_SPACE, rk, rkl, arena, &val, &vl, &err), 0,
                 "deleted windows are deleted in RocksDB at the flush");
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, index_rebuilt_at_open_and_discard)
{
    sl_store *s = open_store("w", 3, &windowed, 1 << 20);
    fill_windows(s);
    flush_commit(s);
    sl_store_close(s);
    sl_log_close(log_);
    log_ = open_log();
    s = open_store("w", 3, &windowed, 1 << 20);
    cr_assert_eq(stats(s).index_keys, 5);
    cr_assert_eq(stats(s).keys_cached, 0);
    cr_assert_eq(sl_store_min_time(s), -5);
    visit v = {0};
    cr_assert_str_eq(scan_time(s, INT64_MAX, &v, 5), "a@-5=5,a@10=3,b@10=1,c@20=4,a@30=2,");
    /* a new window is known absent without reading RocksDB */
    uint64_t reads = stats(s).reads;
    uint8_t k[64];
    size_t kl = wkey(k, "new", 40);
    void *o;
    cr_assert_eq(sl_store_get(s, k, kl, &o, &err), 0);
    cr_assert_null(o);
    cr_assert_eq(stats(s).reads, reads);
    /* discard brings the index back to what is committed */
    wput(s, "new", 40, 9);
    wdel(s, "a", -5);
    cr_assert_eq(sl_store_min_time(s), 10);
    cr_assert_eq(sl_store_discard(s, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_store_min_time(s), -5);
    cr_assert_eq(stats(s).index_keys, 5);
    sl_store_close(s);
    /* another partition's index is its own */
    s = open_store("w", 2, &windowed, 1 << 20);
    cr_assert_eq(stats(s).index_keys, 0);
    cr_assert_eq(sl_store_min_time(s), INT64_MAX);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, index_at_scale_stays_ordered)
{
    sl_store *s = open_store("w", 0, &windowed, 1 << 20);
    char g[16];
    /* times in a scrambled order */
    for (int i = 0; i < 5000; i++) {
        snprintf(g, sizeof g, "g%d", i % 7);
        wput(s, g, (int64_t)((i * 7919) % 5000), i);
    }
    cr_assert_eq(stats(s).index_keys, 5000);
    flush_commit(s);
    /* expire in steps, the way retention does */
    int total = 0;
    for (int64_t before = 500; before <= 5000; before += 500) {
        visit v = {.delete_visited = 1};
        v.s = s;
        sl_buf_init(&v.seen);
        int n = sl_store_scan_time(s, before, visit_cb, &v, &err);
        sl_buf_fini(&v.seen);
        cr_assert_eq(n, 500, "step %lld: %d", (long long)before, n);
        total += n;
        cr_assert_eq(sl_store_min_time(s), before == 5000 ? INT64_MAX : before);
        flush_commit(s);
    }
    cr_assert_eq(total, 5000);
    cr_assert_eq(stats(s).index_keys, 0);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

/* ---- prefix visits ---- */

typedef struct pvisit {
    sl_buf seen;
    sl_store *s;
    const char *delete_next;    /* a key to delete when visiting g1/a */
} pvisit;

static int prefix_cb(void *ud, const void *key, size_t len, void *obj, sl_error *e)
{
    pvisit *v = ud;
    sl_buf_printf(&v->seen, "%.*s=%lld,", (int)len, (const char *)key,
                  (long long)*(int64_t *)obj);
    if (v->delete_next && len == 4 && !memcmp(key, "g1/a", 4))
        return sl_store_delete(v->s, v->delete_next, strlen(v->delete_next), e);
    return 0;
}

static const char *scan_prefix(sl_store *s, const char *prefix, pvisit *v, int expect)
{
    sl_buf_init(&v->seen);
    v->s = s;
    int n = sl_store_scan_prefix(s, prefix, strlen(prefix), prefix_cb, v, &err);
    cr_assert_eq(n, expect, "visited %d (%s)", n, err.msg);
    const char *r = sl_arena_strdup(arena, sl_buf_cstr(&v->seen));
    sl_buf_fini(&v->seen);
    return r;
}

Test(store, scan_prefix_merges_pending_and_committed)
{
    sl_store *s = open_store("q/agg", 0, &plain, 1 << 20);
    put(s, "g1/a", 1);
    put(s, "g1/b", 2);
    put(s, "g1/c", 3);
    put(s, "g1/d", 4);
    put(s, "g2/a", 5);
    put(s, "g1", 6);
    flush_commit(s);
    sl_store_close(s);
    s = open_store("q/agg", 0, &plain, 1 << 20);
    cr_assert_eq(get(s, "g1/d"), 4);    /* one cached clean entry */
    del(s, "g1/b");                     /* pending delete of a committed key */
    put(s, "g1/bb", 22);                /* pending new key */
    put(s, "g1/c", 33);                 /* pending update */
    put(s, "g1/e", 55);
    del(s, "g1/e");                     /* put and deleted again */
    pvisit v = {0};
    cr_assert_str_eq(scan_prefix(s, "g1/", &v, 4), "g1/a=1,g1/bb=22,g1/c=33,g1/d=4,");
    pvisit all = {0};
    cr_assert_str_eq(scan_prefix(s, "", &all, 6), "g1=6,g1/a=1,g1/bb=22,g1/c=33,g1/d=4,g2/a=5,");
    pvisit none = {0};
    cr_assert_str_eq(scan_prefix(s, "g3", &none, 0), "");
    /* committed keys visited are cached: no more reads */
    uint64_t reads = stats(s).reads;
    cr_assert_eq(get(s, "g1/a"), 1);
    cr_assert_eq(stats(s).reads, reads);
    /* a callback deleting a key not yet visited */
    pvisit d = {.delete_next = "g1/c"};
    cr_assert_str_eq(scan_prefix(s, "g1/", &d, 3), "g1/a=1,g1/bb=22,g1/d=4,");
    flush_commit(s);
    pvisit after = {0};
    cr_assert_str_eq(scan_prefix(s, "g1/", &after, 3), "g1/a=1,g1/bb=22,g1/d=4,");
    sl_store_close(s);
    /* nothing cached: the callback deletes a committed key ahead of the visit */
    s = open_store("q/agg", 0, &plain, 1 << 20);
    pvisit d2 = {.delete_next = "g1/d"};
    cr_assert_str_eq(scan_prefix(s, "g1/", &d2, 2), "g1/a=1,g1/bb=22,");
    cr_assert_eq(get(s, "g1/d"), -1);
    pvisit d3 = {.delete_next = "g1/bb"};
    cr_assert_str_eq(scan_prefix(s, "g1/", &d3, 1), "g1/a=1,");
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

/* ---- drop ---- */

Test(store, drop_removes_a_name_prefix_in_every_partition)
{
    const char *names[] = {"Q1/agg", "Q1/join", "Q2/agg", "Q10/agg"};
    for (size_t i = 0; i < 4; i++)
        for (int32_t p = 0; p < 3; p++) {
            sl_store *s = open_store(names[i], p, &plain, 0);
            put(s, "k", (int64_t)i * 10 + p);
            flush_commit(s);
            sl_store_close(s);
        }
    sl_log_txn *t = sl_log_txn_begin(log_);
    cr_assert_eq(sl_store_drop(t, "Q1/", &err), 0, "%s", err.msg);
    cr_assert_eq(committed("Q1/agg", 1, "k"), 1, "only at the commit");
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    for (int32_t p = 0; p < 3; p++) {
        cr_assert_eq(committed("Q1/agg", p, "k"), -1);
        cr_assert_eq(committed("Q1/join", p, "k"), -1);
        cr_assert_eq(committed("Q2/agg", p, "k"), 20 + p);
        cr_assert_eq(committed("Q10/agg", p, "k"), 30 + p);
    }
    sl_store *s = open_store("Q1/agg", 2, &plain, 0);
    cr_assert_eq(get(s, "k"), -1);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

/* ---- against a model ---- */

#define M_GROUPS 8
#define M_TIMES 24
#define M_KEYS (M_GROUPS * M_TIMES)

typedef struct model {
    int64_t cur[M_KEYS], com[M_KEYS];   /* -1: absent */
} model;

static size_t mkey(uint8_t *out, int k)
{
    char g[4] = {'g', (char)('0' + k / M_TIMES), 0, 0};
    return wkey(out, g, k % M_TIMES);
}

typedef struct mvisit {
    int keys[M_KEYS * 2];
    int64_t vals[M_KEYS * 2];
    int n;
} mvisit;

static int key_index(const void *key, size_t len)
{
    cr_assert_eq(len, 10);
    const uint8_t *k = key;
    return (k[1] - '0') * M_TIMES + (int)rd64(k + 2);
}

static int mtime_cb(void *ud, const void *key, size_t len, int64_t t, sl_error *e)
{
    mvisit *v = ud;
    cr_assert_eq(t, key_index(key, len) % M_TIMES);
    v->keys[v->n++] = key_index(key, len);
    return 0;
}

static int mprefix_cb(void *ud, const void *key, size_t len, void *obj, sl_error *e)
{
    mvisit *v = ud;
    v->vals[v->n] = *(int64_t *)obj;
    v->keys[v->n++] = key_index(key, len);
    return 0;
}

static void random_operations(void)
{
    model m;
    for (int i = 0; i < M_KEYS; i++)
        m.cur[i] = m.com[i] = -1;
    const size_t bound = 20 * (10 + 8 + SL_STORE_ENTRY_OVERHEAD);
    sl_store *s = open_store("model", 1, &windowed, bound);
    uint64_t x = 12345;
    for (int step = 0; step < 20000; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int op = (int)(x % 100), k = (int)((x >> 8) % M_KEYS);
        uint8_t key[16];
        size_t kl = mkey(key, k);
        if (op < 35) {                          /* get, maybe update in place */
            void *o;
            cr_assert_eq(sl_store_get(s, key, kl, &o, &err), 0, "%s", err.msg);
            cr_assert_eq(o ? *(int64_t *)o : -1, m.cur[k], "step %d key %d", step, k);
            if (o && op < 15) {
                (*(int64_t *)o)++;
                m.cur[k]++;
                cr_assert_eq(sl_store_put(s, key, kl, o, &err), 0);
            }
        } else if (op < 60) {                   /* put */
            m.cur[k] = step;
            cr_assert_eq(sl_store_put(s, key, kl, cell(step), &err), 0);
        } else if (op < 75) {                   /* delete */
            m.cur[k] = -1;
            cr_assert_eq(sl_store_delete(s, key, kl, &err), 0);
        } else if (op < 83) {                   /* commit */
            flush_commit(s);
            memcpy(m.com, m.cur, sizeof m.cur);
            cr_assert_leq(stats(s).cache_bytes, bound);
        } else if (op < 86) {                   /* abort */
            sl_log_txn *t = sl_log_txn_begin(log_);
            cr_assert_eq(sl_store_flush(s, t, &err), 0);
            sl_log_txn_abort(t);
            cr_assert_eq(sl_store_discard(s, &err), 0, "%s", err.msg);
            memcpy(m.cur, m.com, sizeof m.cur);
        } else if (op < 92) {                   /* scan by time */
            int64_t before = (int64_t)((x >> 20) % (M_TIMES + 1));
            mvisit v = {.n = 0};
            int n = sl_store_scan_time(s, before, mtime_cb, &v, &err);
            int want[M_KEYS], nw = 0;
            for (int t = 0; t < before; t++)
                for (int g = 0; g < M_GROUPS; g++)
                    if (m.cur[g * M_TIMES + t] >= 0)
                        want[nw++] = g * M_TIMES + t;
            cr_assert_eq(n, nw, "step %d: scan_time visited %d, want %d", step, n, nw);
            for (int i = 0; i < nw; i++)
                cr_assert_eq(v.keys[i], want[i], "step %d: visit %d", step, i);
            int64_t mt = INT64_MAX;
            for (int i = 0; i < M_KEYS; i++)
                if (m.cur[i] >= 0 && i % M_TIMES < mt)
                    mt = i % M_TIMES;
            cr_assert_eq(sl_store_min_time(s), mt, "step %d", step);
        } else if (op < 98) {                   /* scan a group */
            char g[3] = {'g', (char)('0' + k / M_TIMES), 0};
            mvisit v = {.n = 0};
            int n = sl_store_scan_prefix(s, g, 2, mprefix_cb, &v, &err);
            int nw = 0;
            for (int i = (k / M_TIMES) * M_TIMES; i < (k / M_TIMES + 1) * M_TIMES; i++)
                if (m.cur[i] >= 0) {
                    cr_assert_lt(nw, n, "step %d: missing key %d", step, i);
                    cr_assert_eq(v.keys[nw], i, "step %d", step);
                    cr_assert_eq(v.vals[nw], m.cur[i], "step %d", step);
                    nw++;
                }
            cr_assert_eq(n, nw, "step %d: scan_prefix visited %d, want %d", step, n, nw);
        } else {                                /* restart */
            flush_commit(s);
            memcpy(m.com, m.cur, sizeof m.cur);
            sl_store_close(s);
            s = open_store("model", 1, &windowed, bound);
        }
        cr_assert_leq(live, (int)stats(s).keys_cached, "step %d: objects outside the cache",
                      step);
    }
    sl_store_stats st = stats(s);
    cr_assert_gt(st.evictions, 0, "the bound was exercised");
    cr_assert_gt(st.reads, 0);
    sl_store_close(s);
    cr_assert_eq(live, 0);
}

Test(store, random_operations_match_a_model)
{
    random_operations();
}

/* the same with the key index: prefix visits from memory, point reads only */
Test(store, random_operations_match_a_model_with_a_key_index)
{
    with_key_index = true;
    random_operations();
}
