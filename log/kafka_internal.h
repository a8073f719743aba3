/*
 * kafka_internal.h: what log/kafka.c and log/kafka_state.c share.
 *
 * Does: the state keyspaces of the Kafka backend (kafka_state.c: a local
 * RocksDB database, changelogged to compacted topics) as kafka.c's ops call
 * them, and the few cluster requests of kafka.c that kafka_state.c needs.
 * Does not: belong to the runtime's interface (everything else goes
 * through log/log.h), or carry any librdkafka or RocksDB type.
 *
 * Ownership: a sl_kstate belongs to its log (made by sl_log_open_kafka,
 * freed by sl_log_close); a sl_kstate_txn to its Kafka transaction (made by
 * its first raw write, ended by exactly one of sl_kafka_state_txn_finish or
 * sl_kafka_state_txn_free).
 */
#ifndef SL_LOG_KAFKA_INTERNAL_H
#define SL_LOG_KAFKA_INTERNAL_H

#include "log/kafka.h"

typedef struct sl_kstate sl_kstate;
typedef struct sl_kstate_txn sl_kstate_txn;

/* The last offset delivered to one partition in a transaction. */
typedef struct sl_kafka_delivered {
    const char *topic;
    int32_t partition;
    int64_t last_offset;
} sl_kafka_delivered;

/* ---- log/kafka_state.c ---- */

/*
 * The state of log (not opened yet: the local database is opened, and
 * restored from the changelogs, by the first raw operation). NULL with err
 * when the service id cannot name topics or the directory is unusable.
 */
sl_kstate *sl_kafka_state_new(sl_log *log, const sl_log_kafka_opts *o, sl_error *err);
void sl_kafka_state_free(sl_kstate *s);        /* accepts NULL */

/* log.h's raw operations; *tx is created by the first write of a txn. */
int sl_kafka_state_put(sl_kstate *s, sl_kstate_txn **tx, const char *space, const void *key,
                       size_t key_len, const void *val, size_t val_len, sl_error *err);
int sl_kafka_state_delete_range(sl_kstate *s, sl_kstate_txn **tx, const char *space,
                                const void *lo, size_t lo_len, const void *hi, size_t hi_len,
                                sl_error *err);
int sl_kafka_state_get(sl_kstate *s, const char *space, const void *key, size_t key_len,
                       sl_arena *a, const void **val, size_t *val_len, sl_error *err);
sl_log_iter *sl_kafka_state_scan(sl_kstate *s, const char *space, const void *lo, size_t lo_len,
                                 const void *hi, size_t hi_len, sl_error *err);

/*
 * At commit, before waiting for deliveries: appends the transaction's
 * changelog records to t (creating or growing changelog topics as needed).
 * Whatever it returns, the commit ends with sl_kafka_state_txn_finish.
 */
int sl_kafka_state_txn_produce(sl_kstate_txn *tx, sl_log_txn *t, sl_error *err);
/*
 * Ends tx and frees it. committed: the Kafka side succeeded (every record
 * delivered, positions committed), so the local writes are applied in one
 * RocksDB write batch with the changelog checkpoints; otherwise they are
 * dropped. d[0..n) are the transaction's delivered offsets. -1 with err
 * when the local write failed (the state then refuses further use until a
 * restart catches it up from the changelogs).
 */
int sl_kafka_state_txn_finish(sl_kstate_txn *tx, bool committed, const sl_kafka_delivered *d,
                              int n, sl_error *err);
/* Drops tx before anything was produced (an abort). Accepts NULL. */
void sl_kafka_state_txn_free(sl_kstate_txn *tx);

/*
 * Membership: store's partition just became this worker's. Applies its
 * changelog partition (written meanwhile by another worker) from the local
 * checkpoint to its end, so its task starts from the state the last owner
 * committed. 0 when there is nothing (no changelog yet), -1 with err.
 */
int sl_kafka_state_restore(sl_kstate *s, const char *store, int32_t partition, sl_error *err);
/*
 * A terminated query: deletes its changelog topic and the local
 * checkpoints of it, and names its consumer group (into group, cap bytes:
 * "_sluice-SERVICE-QUERY") for kafka.c to delete. -1 with err.
 */
int sl_kafka_state_drop_query(sl_kstate *s, const char *query_id, char *group, size_t cap,
                              sl_error *err);

/* The repartition topic of a query (into out, 250 bytes):
 * "_sluice-SERVICE-QUERY-repartition", named as its changelog is. */
void sl_kafka_state_repartition_name(const sl_kstate *s, const char *query_id, char *out);

/* ---- log/kafka.c, for kafka_state.c ---- */

/* The partition count of topic from fresh metadata; 0 when it does not
 * exist; -1 with err. */
int32_t sl_log_kafka_partition_count(sl_log *log, const char *topic, sl_error *err);
/* Raises topic's partition count to total (CreatePartitions) and waits
 * until the new partitions are ready. */
int sl_log_kafka_add_partitions(sl_log *log, const char *topic, int32_t total, sl_error *err);
/* Stops the reader's fetching of topic/partition (a restore read it to its
 * end and needs no more); a later read starts it again. */
void sl_log_kafka_read_stop(sl_log *log, const char *topic, int32_t partition);

#endif
