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

#endif
