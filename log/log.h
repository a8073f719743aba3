/*
 * log.h: partitioned, append-only logs behind one backend-neutral interface.
 *
 * Does: topics (create, describe, list, delete), transactional appends with
 * offsets, reads by offset, consumers' committed positions (and the groups
 * holding them), retention, a wait for new commits, membership (workers
 * of one service sharing a query's partitions), and what a commit costs
 * and guarantees (sl_log_commits_costly, sl_log_atomic_commits). Two
 * backends implement it with the same semantics: the embedded one
 * (log/embedded.c, topics in RocksDB in a data directory) and Kafka
 * through librdkafka (log/kafka.c). The runtime only sees the types
 * below; no RocksDB or librdkafka type crosses this header.
 * Does not: serialize keys or values (formats/), plan or run queries.
 *
 * Ownership (the one rule): records and descriptions returned by reads are
 * copied into the caller's arena and live as long as it; nothing returned
 * by this module needs freeing except the sl_log (sl_log_close) and a
 * transaction (ended by exactly one of commit or abort). Inputs are copied
 * when the call returns.
 *
 * Semantics shared by all backends:
 * - A record has key and value (each nullable bytes; a null value is a
 *   tombstone), a timestamp in ms (an append with timestamp < 0 gets the
 *   current time, as the Kafka producer does), headers (key, nullable
 *   value), and the partition and offset the log assigned.
 * - Offsets are assigned at append, increasing per partition. Offsets may
 *   have gaps (an aborted transaction that was not the last to reserve in
 *   its partition leaves one); readers skip them.
 * - Readers see only committed records below a partition's end offset. The
 *   end offset is the "last stable offset": while a transaction that
 *   reserved offsets in a partition is open, records committed after its
 *   first reserved offset stay invisible until it commits or aborts. The
 *   runtime's contract is one writer per partition at a time; concurrent
 *   transactions on the same partition are correct but delay each other.
 * - Appending with partition -1 picks one: a non-null key goes to Kafka's
 *   default partition (murmur2, log/partitioner.h), null keys go
 *   round-robin over the topic's partitions.
 * - Reading below a partition's start offset (retention removed those
 *   records) reads from the start offset; the returned records carry their
 *   real offsets.
 *
 * Thread safety: one sl_log may be used from several threads at once
 * (readers and committing writers). A transaction belongs to one thread.
 * All transactions must be ended before sl_log_close.
 */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/arena.h"
#include "engine/error.h"

typedef struct sl_log sl_log;
typedef struct sl_log_txn sl_log_txn;
typedef struct sl_log_ops sl_log_ops;

typedef struct sl_log_header {
    const char *key;            /* header name: bytes, need not be NUL-terminated */
    size_t key_len;
    const void *value;          /* NULL with value_len -1: a null header value */
    int32_t value_len;          /* -1: null */
} sl_log_header;

typedef struct sl_record {
    const void *key;            /* NULL with key_len -1: a null key */
    int32_t key_len;            /* -1: null */
    const void *value;
    int32_t value_len;          /* -1: null (a tombstone) */
    int64_t timestamp;          /* ms since the epoch */
    const sl_log_header *headers;
    int32_t n_headers;
    int32_t partition;          /* filled by reads; ignored by appends */
    int64_t offset;             /* filled by reads; ignored by appends */
} sl_record;

typedef enum sl_cleanup_policy {
    SL_CLEANUP_DELETE = 0,      /* retention by time and size */
    SL_CLEANUP_COMPACT = 1      /* stored; compaction itself comes later */
} sl_cleanup_policy;

typedef struct sl_topic_config {
    int32_t partitions;         /* > 0 */
    int64_t retention_ms;       /* retention.ms; -1: keep forever */
    int64_t retention_bytes;    /* retention.bytes per partition; -1: no limit */
    sl_cleanup_policy cleanup;  /* cleanup.policy */
} sl_topic_config;

/* Kafka's defaults: 1 partition, retention.ms 7 days, no size limit, delete. */
sl_topic_config sl_topic_config_default(void);

typedef struct sl_partition_info {
    int32_t partition;
    int64_t start_offset;       /* first offset still readable */
    int64_t end_offset;         /* one past the last readable offset */
    int64_t bytes;              /* stored size of the readable records */
    int32_t replicas;           /* copies kept (Kafka: the partition's replicas;
                                   embedded: 1) */
} sl_partition_info;

typedef struct sl_topic_info {
    const char *name;
    sl_topic_config config;
    sl_partition_info *partitions;  /* config.partitions entries */
} sl_topic_info;

/* ---- opening and closing ---- */

typedef struct sl_log_embedded_opts {
    bool sync;                  /* fsync every commit (property log.fsync); default
                                   false: the write-ahead log is on, so a killed
                                   process loses nothing, a lost machine may lose
                                   the last commits */
} sl_log_embedded_opts;

/*
 * Opens (creating it and its parents if needed) the embedded log in data
 * directory `dir`; RocksDB lives in DIR/db (see log/embedded.c for the
 * layout). One process owns a data directory: DIR/LOCK is flock'ed
 * exclusively and names the holder; a second opener (another process, or
 * this one again) fails with
 * "data directory DIR is in use by process PID (PROGRAM, started TIME)".
 * Returns NULL and fills err on failure. opts may be NULL (defaults).
 */
sl_log *sl_log_open_embedded(const char *dir, sl_error *err);
sl_log *sl_log_open_embedded_opts(const char *dir, const sl_log_embedded_opts *opts,
                                  sl_error *err);
/* Closes the log and releases the data directory. Accepts NULL. */
void sl_log_close(sl_log *log);

/* ---- topics ---- */

/*
 * Creates a topic. If it exists with the same partition count this is a
 * no-op (its other settings are kept) and *created (may be NULL) is false;
 * with a different partition count it is an error. Names: 1 to 249
 * characters of [A-Za-z0-9._-], as Kafka allows.
 */
int sl_log_create_topic(sl_log *log, const char *name, const sl_topic_config *cfg,
                        bool *created, sl_error *err);
/* Deletes a topic, its records and the positions kept for it; an error when
 * it does not exist. A topic created again later with the same name starts
 * empty at offset 0. */
int sl_log_delete_topic(sl_log *log, const char *name, sl_error *err);
/* Topic names, sorted, copied into a: *names[0..*n). */
int sl_log_list_topics(sl_log *log, sl_arena *a, const char ***names, int *n, sl_error *err);
/* Configuration and per-partition offsets; an error when it does not exist. */
int sl_log_describe_topic(sl_log *log, const char *name, sl_arena *a, sl_topic_info *out,
                          sl_error *err);

/* ---- writing: transactions ---- */

/* Starts a transaction; never fails (NULL only if log is NULL). */
sl_log_txn *sl_log_txn_begin(sl_log *log);
/*
 * Appends a copy of rec to topic's partition (-1: chosen as described
 * above). The offset is reserved now and returned in *offset_out, the
 * partition in *partition_out (both may be NULL); the record becomes
 * readable when the transaction commits.
 * A log may refuse a record for what it is rather than fail: err->code is
 * then SL_ERR_REFUSED, err says why, nothing of the record was written and
 * the transaction goes on unharmed; the caller treats the record as a bad
 * one (skipped, counted, logged). Kafka refuses a timestamp outside the
 * range the topic accepts (message.timestamp.type CreateTime: from
 * message.timestamp.before.max.ms before its clock to
 * message.timestamp.after.max.ms after it); the embedded log accepts any.
 */
int sl_log_txn_append(sl_log_txn *t, const char *topic, int32_t partition,
                      const sl_record *rec, int32_t *partition_out, int64_t *offset_out,
                      sl_error *err);
/*
 * A record refused after sl_log_txn_append took it (Kafka without
 * exactly-once: the broker refused its timestamp on delivery, its clock
 * being other than this machine's, after the record was tried again on its
 * own): rec as appended (partition: where it went; offset -1), reason
 * what the log says. May append to t (a processing-log entry), which the
 * commit then writes too. -1 with err fails the commit.
 */
typedef int (*sl_log_refused_cb)(void *ud, sl_log_txn *t, const char *topic,
                                 const sl_record *rec, const char *reason, sl_error *err);
/*
 * Has t's commit hand such records to cb (on the committing thread, before
 * the positions are committed) instead of failing, so the rest of the
 * transaction commits. Without it such a record fails the commit
 * (SL_ERR_REFUSED). With exactly-once a refusal on delivery still fails
 * the commit (the Kafka transaction must abort), which is why Kafka checks
 * timestamps at the append.
 */
void sl_log_txn_on_refused(sl_log_txn *t, sl_log_refused_cb cb, void *ud);
/* Records a consumer's committed position (the next offset it will read)
 * for group (e.g. a query id) on topic/partition, written with the commit. */
int sl_log_txn_set_position(sl_log_txn *t, const char *group, const char *topic,
                            int32_t partition, int64_t next_offset, sl_error *err);
/*
 * Extension point for the state stores: a raw put (val non-NULL) or delete
 * (val NULL) in keyspace `space` (a name other than "default" and
 * "records"; created on first use), written atomically with the
 * transaction's records and positions (on Kafka at-least-once instead:
 * changelogged with the records, applied locally once the commit reached
 * Kafka; see log/kafka_state.c).
 */
int sl_log_txn_put_raw(sl_log_txn *t, const char *space, const void *key, size_t key_len,
                       const void *val, size_t val_len, sl_error *err);
/* Deletes every key in [lo, hi) of keyspace `space` with the transaction
 * (hi NULL: every key starting with lo). Dropping a query's state. */
int sl_log_txn_delete_range_raw(sl_log_txn *t, const char *space, const void *lo, size_t lo_len,
                                const void *hi, size_t hi_len, sl_error *err);
/*
 * Writes everything appended and set in this transaction atomically (all
 * or nothing), then makes the new records visible and wakes sl_log_wait.
 * Frees t whether it succeeded or not; on failure nothing was written.
 */
int sl_log_txn_commit(sl_log_txn *t, sl_error *err);
/* Drops everything in t and frees it. Accepts NULL. Reserved offsets are
 * given back when no later reservation was made in the same partition. */
void sl_log_txn_abort(sl_log_txn *t);

/* ---- reading ---- */

/*
 * Reads up to max_records committed records of topic/partition starting at
 * from_offset (or at the start offset, if from_offset is below it) into
 * out[0..*n), with keys, values and headers copied into a. *n is 0 when
 * nothing is there yet.
 */
int sl_log_read(sl_log *log, const char *topic, int32_t partition, int64_t from_offset,
                int max_records, sl_arena *a, sl_record *out, int *n, sl_error *err);
/* Flags of sl_log_read_flags. */
enum {
    SL_LOG_READ_NO_HEADERS = 1  /* records come without headers (n_headers 0): for a
                                   reader that has no use for them; on Kafka they are
                                   then never parsed, a per-record cost saved */
};
/* sl_log_read with flags (an OR of SL_LOG_READ_*; 0 is sl_log_read). */
int sl_log_read_flags(sl_log *log, const char *topic, int32_t partition, int64_t from_offset,
                      int max_records, unsigned flags, sl_arena *a, sl_record *out, int *n,
                      sl_error *err);
/*
 * After a read of topic/partition came back empty: whether nothing
 * readable lies between where it read and `end` (an end offset the caller
 * reads up to), so the caller is done. On Kafka offsets below the end may
 * hold no record (the commit marker every transaction leaves under
 * exactly-once, records of aborted transactions), and an empty read may
 * also mean the records are still on their way: true once the reader's
 * fetch found the partition's end at or past `end`. On the embedded log an
 * empty read is always the end (true).
 */
bool sl_log_read_at_end(sl_log *log, const char *topic, int32_t partition, int64_t end);
/* End and start offsets of a partition; -1 with err filled on an unknown
 * topic or partition. */
int64_t sl_log_end_offset(sl_log *log, const char *topic, int32_t partition, sl_error *err);
int64_t sl_log_start_offset(sl_log *log, const char *topic, int32_t partition, sl_error *err);
/* The committed position of group on topic/partition; -1 when none (or when
 * the topic does not exist). */
int64_t sl_log_position(sl_log *log, const char *group, const char *topic, int32_t partition);

/* ---- consumer groups ---- */

typedef struct sl_log_group_position {
    int32_t partition;
    int64_t next_offset;        /* the committed position */
} sl_log_group_position;

/* What one group holds of one topic. */
typedef struct sl_log_group {
    const char *group;          /* as the backend names it (a position group: on Kafka
                                   a query's is _sluice-SERVICE-QUERY; other clients'
                                   groups are listed too) */
    const char *topic;
    int32_t members;            /* members of the group assigned partitions of topic
                                   now; -1: the backend has no membership (embedded:
                                   whoever holds the data directory reads) */
    const sl_log_group_position *positions;     /* sorted by partition */
    int n_positions;
} sl_log_group;

/*
 * Every group with committed positions on a topic, or members assigned
 * its partitions now: one entry per (group, topic), sorted by topic, then
 * group, copied into a (*out[0..*n)). A backend that keeps no groups
 * returns none. Lag is the caller's: end offset - next_offset.
 */
int sl_log_list_groups(sl_log *log, sl_arena *a, sl_log_group **out, int *n, sl_error *err);
/*
 * Deletes consumer group `group` (named as list_groups names it) with its
 * committed positions (Kafka: DeleteGroups). A group that does not exist
 * or still has members is left alone, and is not an error. The embedded
 * log keeps positions with their topics (they go with them): nothing to do.
 */
int sl_log_delete_group(sl_log *log, const char *group, sl_error *err);

/*
 * Change counter: increases with every commit, every topic deletion and
 * every abort that moves a partition's end offset (an aborted transaction
 * can unblock records committed after its first offset). Waiting without
 * missing one: seq = sl_log_commit_seq(log); read; if nothing,
 * sl_log_wait_since(log, seq, ms).
 */
uint64_t sl_log_commit_seq(sl_log *log);
/* Blocks until the commit counter differs from seq or timeout_ms passes
 * (< 0: no timeout). Returns 1 when a commit happened, 0 on timeout. */
int sl_log_wait_since(sl_log *log, uint64_t seq, int timeout_ms);
/* Blocks until the next commit (from now) or the timeout; 1 or 0 as above. */
int sl_log_wait(sl_log *log, int timeout_ms);

/* ---- raw keyspaces (state stores) ---- */

/*
 * The committed value of key in keyspace `space` (written by
 * sl_log_txn_put_raw): 1 with *val / *val_len copied into a, 0 when absent
 * (also when the keyspace does not exist yet), -1 with err.
 */
int sl_log_get_raw(sl_log *log, const char *space, const void *key, size_t key_len,
                   sl_arena *a, const void **val, size_t *val_len, sl_error *err);

typedef struct sl_log_iter sl_log_iter;
/*
 * Iterates the committed keys of `space` in [lo, hi) in byte order (hi
 * NULL: every key that starts with lo), over a consistent snapshot taken
 * now. NULL with err on failure; an absent keyspace iterates nothing.
 */
sl_log_iter *sl_log_scan_raw(sl_log *log, const char *space, const void *lo, size_t lo_len,
                             const void *hi, size_t hi_len, sl_error *err);
/* 1 with the next entry (pointers valid until the next call or the free),
 * 0 at the end, -1 with err. */
int sl_log_iter_next(sl_log_iter *it, const void **key, size_t *key_len, const void **val,
                     size_t *val_len, sl_error *err);
void sl_log_iter_free(sl_log_iter *it);        /* accepts NULL */

/* ---- retention ---- */

/*
 * Deletes, in every partition of every topic with cleanup.policy=delete,
 * the longest prefix of records whose timestamp is older than
 * now_ms - retention.ms, or which must go to bring the partition's size to
 * at most retention.bytes; start offsets advance past them. A record that
 * is not yet expired stops the prefix (later ones wait for it), as Kafka's
 * segments do. Returns the number of records deleted, or -1.
 */
int64_t sl_log_enforce_retention(sl_log *log, int64_t now_ms, sl_error *err);

/* ---- membership: workers of one service share partitions ---- */

/*
 * Several processes (workers) running the same persistent query share its
 * input partitions through a group (Kafka: the consumer group
 * _sluice-SERVICE-QUERY, cooperative-sticky). A worker joins the group of
 * each query it runs and is told which partitions it owns and when that
 * changes; it runs tasks only for those. A backend without membership (the
 * embedded log: one process per data directory) owns every partition:
 * sl_log_member_join returns 0 and never calls back.
 */
typedef enum sl_log_rebalance {
    SL_LOG_ASSIGNED,    /* partitions are now this worker's */
    SL_LOG_REVOKED,     /* partitions go to another worker: commit what is open
                           for them before returning (positions, outputs,
                           changelog), then drop their tasks */
    SL_LOG_LOST         /* partitions were taken without a revocation (this
                           worker missed its session timeout): drop their
                           tasks without committing, another worker owns them */
} sl_log_rebalance;

/* Called from a thread of the log, never with a lock of the log's held;
 * partitions[0..n) sorted. Nothing is committed for the group's revoked
 * partitions after the call returns. */
typedef void (*sl_log_rebalance_cb)(void *ud, sl_log_rebalance what, const int32_t *partitions,
                                    int n);

/*
 * Joins `group` for topic's partitions: 1 when joined (cb tells the
 * partitions as they come and go; positions of the group are then
 * committed through this membership), 0 when the backend has no
 * membership (every partition is this worker's; cb is never called), -1
 * with err. One membership per group per log.
 */
int sl_log_member_join(sl_log *log, const char *group, const char *topic, sl_log_rebalance_cb cb,
                       void *ud, sl_error *err);
/*
 * Whether a commit failed because this worker's partitions moved to
 * another (a rebalance ended its generation; Kafka: the commit's
 * positions were refused). The worker is told SL_LOG_LOST and drops
 * them; it is not a failure of the query: the tasks go back to their
 * committed positions, and the next owner starts there (at-least-once:
 * what the failed commit wrote is written again).
 */
bool sl_log_partitions_moved(const sl_error *err);
/* Leaves the group (another worker gets its partitions); once it returns
 * cb is not called again. Accepts a group not joined. */
void sl_log_member_leave(sl_log *log, const char *group);
/*
 * Before a task of a partition that just arrived runs: brings the local
 * state of store name's partition up to date (Kafka: its changelog
 * partition, written meanwhile by another worker, applied from the local
 * checkpoint to its end). 0 when there is nothing to do.
 */
int sl_log_restore_partition(sl_log *log, const char *store, int32_t partition, sl_error *err);
/*
 * After a query was terminated and its state deleted: removes what the
 * backend kept for it besides its sink (Kafka: its changelog and
 * repartition topics, its consumer group, its local changelog
 * checkpoints). 0 when there is nothing to do; a group other workers are
 * still members of is left to them.
 */
int sl_log_drop_query(sl_log *log, const char *query_id, sl_error *err);
/*
 * Whether this backend splits an aggregation grouped by something other
 * than its input key into two stages through a repartition topic (Kafka:
 * workers share the partitions, so every record of a group must reach the
 * one partition, and worker, that owns the group): 1 with the topic's name
 * for query_id in out (cap bytes; Kafka: _sluice-SERVICE-QUERY-repartition,
 * deleted by sl_log_drop_query), 0 when not (the embedded log: one process
 * owns every partition and aggregates them in one place).
 */
int sl_log_repartition_topic(sl_log *log, const char *query_id, char *out, size_t cap);
/*
 * Stage 1 of a TABLE's repartitioned aggregation keeps each input key's
 * row in the stores "<query id>" SL_LOG_TABLE_ROWS_SUFFIX "/...": a name of
 * their own, so their changelog (Kafka: _sluice-SERVICE-QUERY-table-changelog)
 * has one writer per partition, as stage 2's has. Dropped with the query
 * (sl_log_drop_query, and the engine's local state).
 */
#define SL_LOG_TABLE_ROWS_SUFFIX "-table"
/*
 * Deletes the records of topic's partition below offset `before` (a
 * repartition topic whose records up to there a query has read and
 * committed; Kafka: DeleteRecords, the partition's start offset moves up).
 * 0 when done or when the backend keeps no such topics (the op is NULL);
 * -1 with err (SL_ERR_UNSUPPORTED: a cluster that takes no Admin requests).
 */
int sl_log_delete_records(sl_log *log, const char *topic, int32_t partition, int64_t before,
                          sl_error *err);

/* ---- capabilities ---- */

/*
 * Whether a commit is costly enough that a writer should batch several
 * into one by time (commit.interval.ms) instead of committing each batch
 * of records: true on Kafka (a commit waits for the delivery reports of
 * its appends and commits positions over the network), false on the
 * embedded log (one local write batch). A wrapper answers for the log it
 * wraps.
 */
bool sl_log_commits_costly(sl_log *log);
/*
 * Whether a commit's appends, state changes and positions take effect all
 * together or not at all: true on the embedded log (one write batch) and
 * on Kafka under exactly_once_v2 (one transaction); false on Kafka
 * at-least-once (appends are delivered first, positions committed after:
 * a crash between them replays the batch). A wrapper answers for the log
 * it wraps.
 */
bool sl_log_atomic_commits(sl_log *log);

/* ---- for backends: the dispatch table ---- */

struct sl_log_ops {
    const char *name;   /* "embedded", "kafka" */
    void (*close)(sl_log *log);
    int (*create_topic)(sl_log *log, const char *name, const sl_topic_config *cfg,
                        bool *created, sl_error *err);
    int (*delete_topic)(sl_log *log, const char *name, sl_error *err);
    int (*list_topics)(sl_log *log, sl_arena *a, const char ***names, int *n, sl_error *err);
    int (*describe_topic)(sl_log *log, const char *name, sl_arena *a, sl_topic_info *out,
                          sl_error *err);
    sl_log_txn *(*txn_begin)(sl_log *log);
    int (*txn_append)(sl_log_txn *t, const char *topic, int32_t partition,
                      const sl_record *rec, int32_t *partition_out, int64_t *offset_out,
                      sl_error *err);
    int (*txn_set_position)(sl_log_txn *t, const char *group, const char *topic,
                            int32_t partition, int64_t next_offset, sl_error *err);
    void (*txn_on_refused)(sl_log_txn *t, sl_log_refused_cb cb,
                           void *ud);                       /* may be NULL: refuses none later */
    int (*txn_put_raw)(sl_log_txn *t, const char *space, const void *key, size_t key_len,
                       const void *val, size_t val_len, sl_error *err);   /* may be NULL */
    int (*txn_delete_range_raw)(sl_log_txn *t, const char *space, const void *lo,
                                size_t lo_len, const void *hi, size_t hi_len,
                                sl_error *err);                     /* may be NULL */
    int (*get_raw)(sl_log *log, const char *space, const void *key, size_t key_len,
                   sl_arena *a, const void **val, size_t *val_len, sl_error *err); /* may be NULL */
    sl_log_iter *(*scan_raw)(sl_log *log, const char *space, const void *lo, size_t lo_len,
                             const void *hi, size_t hi_len, sl_error *err);   /* may be NULL */
    int (*txn_commit)(sl_log_txn *t, sl_error *err);
    void (*txn_abort)(sl_log_txn *t);
    int (*read)(sl_log *log, const char *topic, int32_t partition, int64_t from_offset,
                int max_records, unsigned flags, sl_arena *a, sl_record *out, int *n,
                sl_error *err);     /* flags: SL_LOG_READ_*, a backend may ignore them */
    int (*offsets)(sl_log *log, const char *topic, int32_t partition, int64_t *start,
                   int64_t *end, sl_error *err);
    bool (*read_at_end)(sl_log *log, const char *topic, int32_t partition,
                        int64_t end);   /* may be NULL: an empty read is the end */
    int64_t (*position)(sl_log *log, const char *group, const char *topic, int32_t partition);
    int (*list_groups)(sl_log *log, sl_arena *a, sl_log_group **out, int *n,
                       sl_error *err);                              /* may be NULL */
    int (*delete_group)(sl_log *log, const char *group, sl_error *err);  /* may be NULL */
    uint64_t (*commit_seq)(sl_log *log);
    int (*wait_since)(sl_log *log, uint64_t seq, int timeout_ms);
    int64_t (*enforce_retention)(sl_log *log, int64_t now_ms, sl_error *err);
    /* membership; each may be NULL: every partition is this worker's,
     * nothing to restore or drop */
    int (*member_join)(sl_log *log, const char *group, const char *topic,
                       sl_log_rebalance_cb cb, void *ud, sl_error *err);
    void (*member_leave)(sl_log *log, const char *group);
    int (*restore_partition)(sl_log *log, const char *store, int32_t partition, sl_error *err);
    int (*drop_query)(sl_log *log, const char *query_id, sl_error *err);
    int (*repartition_topic)(sl_log *log, const char *query_id, char *out,
                             size_t cap);                           /* may be NULL: none */
    bool (*commits_costly)(sl_log *log);    /* may be NULL: cheap commits */
    bool (*atomic_commits)(sl_log *log);    /* may be NULL: atomic commits */
    int (*delete_records)(sl_log *log, const char *topic, int32_t partition,
                          int64_t before, sl_error *err);           /* may be NULL: no-op */
};

/* Every backend's handle starts with this; its txn handles with sl_log_txn. */
struct sl_log {
    const sl_log_ops *ops;
};
struct sl_log_txn {
    sl_log *log;
};
/* Every backend's raw-keyspace iterator (scan_raw) starts with this. */
struct sl_log_iter {
    int (*next)(sl_log_iter *it, const void **key, size_t *key_len, const void **val,
                size_t *val_len, sl_error *err);
    void (*free)(sl_log_iter *it);
};

#endif
