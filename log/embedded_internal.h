/*
 * embedded_internal.h: the embedded log's RocksDB handles, for state/ only.
 *
 * Does: gives the state stores the one RocksDB instance of a data directory,
 * its keyspaces (column families) and a transaction's WriteBatch, so state,
 * consumer positions and output records commit in one batch (exactly-once
 * across kill -9 on the embedded backend).
 * Does not: belong to the runtime's interface: only state/ and log/ include
 * it; everything else goes through log/log.h. RocksDB strings obtained
 * through these handles are the caller's to free (rocksdb_free) and must not
 * escape its module.
 */
#ifndef SL_LOG_EMBEDDED_INTERNAL_H
#define SL_LOG_EMBEDDED_INTERNAL_H

#include <rocksdb/c.h>
#include "log/log.h"

/* The RocksDB instance; NULL when log is not the embedded backend. Owned by
 * the log: valid until sl_log_close. */
rocksdb_t *sl_log_embedded_db(sl_log *log);
/* The column family named space, created on first use ("default" and
 * "records" are the log's own and refused). Owned by the log. NULL with err
 * filled on failure. */
rocksdb_column_family_handle_t *sl_log_embedded_cf(sl_log *log, const char *space,
                                                   sl_error *err);
/* The WriteBatch that sl_log_txn_commit will write; puts and deletes added to
 * it commit (or vanish) with the transaction. Owned by the transaction. */
rocksdb_writebatch_t *sl_log_embedded_txn_batch(sl_log_txn *t);
/* The column family named space if it exists, else NULL (never creates
 * one: reads of a keyspace nobody wrote see it empty). Owned by the log. */
rocksdb_column_family_handle_t *sl_log_embedded_cf_find(sl_log *log, const char *space);

/*
 * RocksDB options for the keyspaces (log/embedded_raw.c): a copy of base
 * whose tables and memtables carry whole-key bloom filters (a state store
 * reads mostly keys that do not exist yet: every new group or window), with
 * blocks in `cache`. The caller destroys it (rocksdb_options_destroy).
 */
rocksdb_options_t *sl_log_embedded_space_options(rocksdb_options_t *base, rocksdb_cache_t *cache);

/* The embedded backend's raw keyspace operations (log/embedded_raw.c), for
 * its dispatch table; everyone else calls the sl_log_* wrappers of log.h. */
int sl_log_embedded_txn_delete_range_raw(sl_log_txn *t, const char *space, const void *lo,
                                         size_t lo_len, const void *hi, size_t hi_len,
                                         sl_error *err);
int sl_log_embedded_get_raw(sl_log *log, const char *space, const void *key, size_t key_len,
                            sl_arena *a, const void **val, size_t *val_len, sl_error *err);
sl_log_iter *sl_log_embedded_scan_raw(sl_log *log, const char *space, const void *lo,
                                      size_t lo_len, const void *hi, size_t hi_len,
                                      sl_error *err);

#endif
