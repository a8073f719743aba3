/*
 * rocks_raw.h: reading a RocksDB column family of raw keys, shared by the
 * embedded log's keyspaces (log/embedded_raw.c) and the Kafka backend's
 * local state (log/kafka_state.c).
 *
 * Does: a point read copied into an arena, and an ordered scan of [lo, hi)
 * (hi NULL: every key starting with lo) as an sl_log_iter.
 * Does not: check arguments (raw_keys.h does), pick column families.
 */
#ifndef SL_LOG_ROCKS_RAW_H
#define SL_LOG_ROCKS_RAW_H

#include <rocksdb/c.h>
#include "log/log.h"

/*
 * The value of key in cf: 1 with *val / *val_len copied into a, 0 when
 * absent, -1 with err ("reading state", then where, if not NULL, and
 * RocksDB's message).
 */
int sl_rocks_get_copy(rocksdb_t *db, const rocksdb_readoptions_t *ro,
                      rocksdb_column_family_handle_t *cf, const void *key, size_t key_len,
                      sl_arena *a, const void **val, size_t *val_len, const char *where,
                      sl_error *err);
/*
 * A scan of cf over [lo, hi) (hi NULL: the keys starting with lo), over
 * the point-in-time view of now; cf NULL or an empty range iterates
 * nothing. where (copied; may be NULL) goes into error messages.
 */
sl_log_iter *sl_rocks_scan(rocksdb_t *db, rocksdb_column_family_handle_t *cf, const void *lo,
                           size_t lo_len, const void *hi, size_t hi_len, const char *where);

#endif
