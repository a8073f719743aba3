/*
 * embedded_raw.c: raw keyspaces of the embedded log (the state stores'
 * storage), and the backend-neutral wrappers of log.h's raw functions.
 *
 * Does: committed point reads (sl_log_get_raw), ordered range scans over
 * the point-in-time view of the moment the scan starts (sl_log_scan_raw,
 * sl_log_iter_next, sl_log_iter_free), and range deletes added to a
 * transaction's WriteBatch (sl_log_txn_delete_range_raw), so they commit
 * with its records, positions and raw puts, or vanish with an abort. A
 * keyspace is a RocksDB column family, created by the first raw put
 * (log/embedded.c, emb_txn_put_raw); reads and deletes never create one: a
 * keyspace nobody wrote reads as empty. Also the keyspaces' RocksDB options
 * (whole-key bloom filters in tables and memtables: a store's misses are
 * mostly keys that do not exist yet, and a filter answers those without
 * searching the memtable: about 1.7 times the get+put rate on new keys).
 * Does not: see writes of open transactions (reads are of committed data
 * only), cache anything (state/store.c does), or touch topics.
 *
 * A range delete with no upper bound ("every key starting with lo") whose
 * lo has no byte-order successor (lo empty or all 0xFF bytes) cannot be one
 * RocksDB range tombstone. It becomes a range delete up to NO_SUCC_FILL
 * more 0xFF bytes, plus point deletes of the committed keys beyond that;
 * only a key put earlier in the same transaction that starts with lo and
 * NO_SUCC_FILL more 0xFF bytes would survive it.
 */
#include "log/log.h"
#include "log/embedded_internal.h"
#include "log/raw_keys.h"
#include "log/rocks_raw.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NO_SUCC_FILL 64

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static rocksdb_readoptions_t *plain_ro;
static pthread_once_t plain_ro_once = PTHREAD_ONCE_INIT;

/* Default read options shared by every point read (RocksDB only reads
 * them): made once, kept for the life of the process. */
static void make_plain_ro(void)
{
    plain_ro = rocksdb_readoptions_create();
}

/* ------------------------------------------------------------------ */
/* point reads                                                         */

int sl_log_embedded_get_raw(sl_log *log, const char *space, const void *key, size_t key_len,
                            sl_arena *a, const void **val, size_t *val_len, sl_error *err)
{
    *val = NULL;
    *val_len = 0;
    if (sl_raw_check_space(space, 0, err) || sl_raw_check_bytes(key, key_len, "raw key", err))
        return -1;
    rocksdb_column_family_handle_t *cf = sl_log_embedded_cf_find(log, space);
    if (!cf)
        return 0;
    pthread_once(&plain_ro_once, make_plain_ro);
    return sl_rocks_get_copy(sl_log_embedded_db(log), plain_ro, cf, key, key_len, a, val,
                             val_len, NULL, err);
}

/* ------------------------------------------------------------------ */
/* scans                                                               */

sl_log_iter *sl_log_embedded_scan_raw(sl_log *log, const char *space, const void *lo,
                                      size_t lo_len, const void *hi, size_t hi_len,
                                      sl_error *err)
{
    if (sl_raw_check_space(space, 0, err) || sl_raw_check_bytes(lo, lo_len, "scan start", err) ||
        sl_raw_check_bytes(hi, hi_len, "scan end", err))
        return NULL;
    return sl_rocks_scan(sl_log_embedded_db(log), sl_log_embedded_cf_find(log, space), lo,
                         lo_len, hi, hi_len, NULL);
}

/* ------------------------------------------------------------------ */
/* range deletes                                                       */

int sl_log_embedded_txn_delete_range_raw(sl_log_txn *t, const char *space, const void *lo,
                                         size_t lo_len, const void *hi, size_t hi_len,
                                         sl_error *err)
{
    if (sl_raw_check_space(space, 0, err) || sl_raw_check_bytes(lo, lo_len, "range start", err) ||
        sl_raw_check_bytes(hi, hi_len, "range end", err))
        return -1;
    rocksdb_writebatch_t *wb = sl_log_embedded_txn_batch(t);
    if (!wb)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "not an embedded transaction");
    /* raw puts create the keyspace: without one, nothing is there to delete */
    rocksdb_column_family_handle_t *cf = sl_log_embedded_cf_find(t->log, space);
    if (!cf)
        return 0;
    const char *l = lo_len ? lo : "";
    if (hi) {
        if (sl_raw_bytes_cmp(lo, lo_len, hi, hi_len) < 0)
            rocksdb_writebatch_delete_range_cf(wb, cf, l, lo_len, hi_len ? hi : "", hi_len);
        return 0;
    }
    size_t sl = 0;
    uint8_t *succ = sl_raw_prefix_successor(lo, lo_len, &sl);
    if (succ) {
        rocksdb_writebatch_delete_range_cf(wb, cf, l, lo_len, (const char *)succ, sl);
        free(succ);
        return 0;
    }
    /* no successor (see the top of the file) */
    size_t fl = lo_len + NO_SUCC_FILL;
    uint8_t *fill = malloc(fl);
    if (!fill)
        abort();
    memset(fill, 0xFF, fl);
    rocksdb_writebatch_delete_range_cf(wb, cf, l, lo_len, (const char *)fill, fl);
    sl_log_iter *it = sl_log_embedded_scan_raw(t->log, space, fill, fl, NULL, 0, err);
    free(fill);
    if (!it)
        return -1;
    const void *k, *v;
    size_t kl, vl;
    int rc;
    while ((rc = it->next(it, &k, &kl, &v, &vl, err)) > 0)
        rocksdb_writebatch_delete_cf(wb, cf, k, kl);
    it->free(it);
    return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* dispatch: log.h's raw functions, for every backend                  */

static int no_state(const sl_log *log, sl_error *err)
{
    return sl_error_set(err, SL_ERR_UNSUPPORTED, SL_NOSPAN,
                        "the %s log keeps no state of its own", log->ops->name);
}

int sl_log_txn_delete_range_raw(sl_log_txn *t, const char *space, const void *lo, size_t lo_len,
                                const void *hi, size_t hi_len, sl_error *err)
{
    if (!t->log->ops->txn_delete_range_raw)
        return no_state(t->log, err);
    return t->log->ops->txn_delete_range_raw(t, space, lo, lo_len, hi, hi_len, err);
}

int sl_log_get_raw(sl_log *log, const char *space, const void *key, size_t key_len,
                   sl_arena *a, const void **val, size_t *val_len, sl_error *err)
{
    if (!log->ops->get_raw)
        return no_state(log, err);
    return log->ops->get_raw(log, space, key, key_len, a, val, val_len, err);
}

sl_log_iter *sl_log_scan_raw(sl_log *log, const char *space, const void *lo, size_t lo_len,
                             const void *hi, size_t hi_len, sl_error *err)
{
    if (!log->ops->scan_raw) {
        no_state(log, err);
        return NULL;
    }
    return log->ops->scan_raw(log, space, lo, lo_len, hi, hi_len, err);
}

int sl_log_iter_next(sl_log_iter *it, const void **key, size_t *key_len, const void **val,
                     size_t *val_len, sl_error *err)
{
    return it->next(it, key, key_len, val, val_len, err);
}

void sl_log_iter_free(sl_log_iter *it)
{
    if (it)
        it->free(it);
}

/* ------------------------------------------------------------------ */
/* the keyspaces' RocksDB options                                      */

rocksdb_options_t *sl_log_embedded_space_options(rocksdb_options_t *base, rocksdb_cache_t *cache)
{
    rocksdb_options_t *o = rocksdb_options_create_copy(base);
    rocksdb_block_based_table_options_t *t = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_size(t, 16 * 1024);
    rocksdb_block_based_options_set_block_cache(t, cache);
    rocksdb_block_based_options_set_checksum(t, 4);     /* rocksdb::ChecksumType::kXXH3 */
    rocksdb_block_based_options_set_filter_policy(t, rocksdb_filterpolicy_create_bloom_full(10));
    rocksdb_block_based_options_set_whole_key_filtering(t, 1);
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(t, 1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(t, 1);
    rocksdb_options_set_block_based_table_factory(o, t);   /* copies t */
    rocksdb_block_based_options_destroy(t);
    rocksdb_options_set_memtable_prefix_bloom_size_ratio(o, 0.05);
    rocksdb_options_set_memtable_whole_key_filtering(o, 1);
    return o;
}
