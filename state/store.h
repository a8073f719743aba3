/*
 * store.h: the state store of one stateful operator of one task, with a
 * write-back cache in front of RocksDB.
 *
 * What it is: a map from key bytes to an operator's objects (aggregate
 * states, a table's previous rows), kept in the log's raw keyspace "state"
 * (log.h: sl_log_txn_put_raw and friends) under the prefix
 *     store name, a 0 byte, partition (4 bytes big-endian)
 * so every task's state lies together and a query's state can be dropped
 * with one range delete. Objects stay decoded in the cache: a record that
 * updates a cached key costs no RocksDB access at all; a miss costs one
 * RocksDB read (then the object is cached). Changed objects are written
 * only by sl_store_flush, into the task's transaction, together with the
 * task's output records and input positions: state is exactly as committed
 * after kill -9 (the runtime commits one transaction per batch).
 *
 * The operator supplies the codec of its objects (sl_store_codec): the
 * store encodes dirty objects at flush and decodes what it reads; it frees
 * objects it evicts or replaces.
 *
 * Windowed stores (a time_of_key callback given): every key also has a
 * time (the caller's choice: the window start for time windows, the end
 * for sessions; typically read from the key's big-endian suffix). The store
 * keeps an in-memory index of all its keys ordered by (time, key), rebuilt
 * by a scan when the store opens, so that closing windows (EMIT FINAL) and
 * expiring them (retention) never scan the whole store.
 *
 * Memory: cached objects are bounded by opts.cache_bytes (their size()
 * plus the key plus a fixed overhead per entry, SL_STORE_ENTRY_OVERHEAD);
 * past the bound, clean entries are evicted least recently used first.
 * Dirty entries stay until the next flush (a batch makes at most batch-size
 * of them per operator). The time index costs its keys plus
 * SL_STORE_INDEX_OVERHEAD bytes per key of a windowed store, cached or not.
 * cache_bytes 0 caches nothing across flushes (every flush evicts every
 * clean entry).
 *
 * Threading: a store belongs to one task, used by one thread at a time.
 * Does not: know SQL, aggregates, windows or formats; commit transactions.
 */
#ifndef SL_STORE_H
#define SL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../engine/buf.h"
#include "../engine/error.h"
#include "../log/log.h"

#define SL_STORE_SPACE "state"          /* the log keyspace every store lives in */
#define SL_STORE_ENTRY_OVERHEAD 96      /* bytes counted per cached entry besides key and object */
#define SL_STORE_INDEX_OVERHEAD 48      /* bytes per key of a windowed store's time index */

typedef struct sl_store sl_store;

typedef struct sl_store_codec {
    /* Appends obj's bytes to out. */
    void (*encode)(void *ud, const void *obj, sl_buf *out);
    /* A new object from bytes made by encode; -1 with err on corrupt bytes. */
    int (*decode)(void *ud, const void *bytes, size_t len, void **obj, sl_error *err);
    void (*free)(void *ud, void *obj);
    /* Estimated resident bytes of obj (for the cache bound). */
    size_t (*size)(void *ud, const void *obj);
    /* Windowed stores only (NULL otherwise): the time of a key. */
    int64_t (*time_of_key)(void *ud, const void *key, size_t key_len);
    void *ud;
} sl_store_codec;

typedef struct sl_store_opts {
    size_t cache_bytes;         /* bound of the cache (see above); 0: nothing kept across flushes */
    bool key_index;             /* windowed stores: also index every key in key order, so
                                   sl_store_scan_prefix reads no RocksDB iterator (sessions
                                   look up a group's sessions per record); costs another
                                   SL_STORE_INDEX_OVERHEAD bytes plus the key per key */
} sl_store_opts;

/* Totals for DESCRIBE EXTENDED and the benchmarks. */
typedef struct sl_store_stats {
    uint64_t keys_cached;       /* entries in the cache now */
    uint64_t cache_bytes;       /* their counted bytes */
    uint64_t index_keys;        /* keys in the time index (windowed stores) */
    uint64_t hits, misses;      /* sl_store_get answered from the cache / not */
    uint64_t reads;             /* RocksDB point reads */
    uint64_t writes, deletes;   /* puts and deletes written by flushes */
    uint64_t evictions;
} sl_store_stats;

/*
 * Opens the store `name` (e.g. "CTAS_X_3/agg") for partition `partition`.
 * A windowed store (codec->time_of_key set) scans its keys now to build the
 * time index. The codec is copied; name is copied. NULL with err.
 */
sl_store *sl_store_open(sl_log *log, const char *name, int32_t partition,
                        const sl_store_codec *codec, const sl_store_opts *opts, sl_error *err);
/* Frees the cache (dirty entries are lost: call sl_store_flush first). Accepts NULL. */
void sl_store_close(sl_store *s);

/*
 * The object of key: from the cache, else read and decoded (and cached),
 * else *obj = NULL (absent). The object stays owned by the store; the
 * caller may modify it in place and must then call sl_store_put with the
 * same pointer. -1 with err on a read or decode error.
 */
int sl_store_get(sl_store *s, const void *key, size_t key_len, void **obj, sl_error *err);
/*
 * Sets key to obj (ownership passes to the store; an older different
 * object of the key is freed) and marks it dirty. Never reads RocksDB.
 * -1 only when out of memory.
 */
int sl_store_put(sl_store *s, const void *key, size_t key_len, void *obj, sl_error *err);
/* Deletes key (its object, if cached, is freed); written at the next flush. */
int sl_store_delete(sl_store *s, const void *key, size_t key_len, sl_error *err);

/*
 * Writes every dirty entry (encoded puts and deletes) into txn, marks them
 * clean and then evicts clean entries beyond the bound. After an aborted
 * transaction call sl_store_discard instead.
 */
int sl_store_flush(sl_store *s, sl_log_txn *txn, sl_error *err);
/* Whether the cache holds more than its bound (dirty entries cannot be
 * evicted before a flush: the owner should flush soon). */
bool sl_store_over_bound(const sl_store *s);
/* Forgets every change since the last flush: the cache is emptied, the time
 * index rebuilt from what is committed. For a batch whose transaction was
 * aborted. -1 with err when the rebuild scan fails. */
int sl_store_discard(sl_store *s, sl_error *err);

/*
 * Visits, in (time, key) order, the keys of a windowed store with time <
 * before, calling cb (return nonzero to stop; the callback may call
 * sl_store_get / put / delete on the visited key, and delete is how
 * retention removes windows). Keys put or deleted since the last flush are
 * seen as they are now. Returns the number visited, or -1 with err (also
 * when the store is not windowed, or cb failed and set err).
 */
typedef int (*sl_store_visit_cb)(void *ud, const void *key, size_t key_len, int64_t time,
                                 sl_error *err);
int sl_store_scan_time(sl_store *s, int64_t before, sl_store_visit_cb cb, void *ud,
                       sl_error *err);
/* The smallest key time of a windowed store, or INT64_MAX when empty. */
int64_t sl_store_min_time(const sl_store *s);

/*
 * Visits every key of the store whose bytes start with prefix (prefix_len 0:
 * all), in byte order, merging the cache (dirty puts and deletes) with
 * what is committed: pull-style lookups and session merges (all sessions
 * of one group key). The object pointer is the store's (cached or just
 * decoded and cached). A windowed store opened with key_index finds the
 * keys in memory and reads only uncached objects (point reads); the
 * callback may then also put and delete keys of the prefix (keys it puts
 * after the one visited are visited too). Returns the number visited or
 * -1 with err.
 */
typedef int (*sl_store_entry_cb)(void *ud, const void *key, size_t key_len, void *obj,
                                 sl_error *err);
int sl_store_scan_prefix(sl_store *s, const void *prefix, size_t prefix_len,
                         sl_store_entry_cb cb, void *ud, sl_error *err);

void sl_store_get_stats(const sl_store *s, sl_store_stats *out);

/*
 * Deletes, with txn, every key of every store whose name starts with
 * name_prefix (all partitions): a terminated query's state.
 */
int sl_store_drop(sl_log_txn *txn, const char *name_prefix, sl_error *err);

#endif
