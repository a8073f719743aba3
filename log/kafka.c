/*
 * kafka.c: the log interface (log/log.h) on Apache Kafka through librdkafka.
 *
 * Does: topics through the Admin API (CreateTopics with partitions,
 * replication factor, retention.ms, retention.bytes and cleanup.policy;
 * DeleteTopics; DescribeConfigs when the cluster answers it) and cluster
 * metadata (listing, partition counts and replicas, an existing topic with
 * another partition count is an error); the cluster's consumer groups
 * (ListGroups, DescribeGroups for members, OffsetFetch per group); appends through one producer with every
 * delivery report checked at commit; committed positions per group through
 * one consumer handle per group that never subscribes (offsets are
 * fetched, and committed while nobody of this process is a member, for
 * explicit partitions); reads through one
 * consumer handle in librdkafka's per-partition ("simple consumer") mode,
 * each partition started at the requested offset and kept fetching ahead
 * while reads continue where the last one stopped; a read takes what the
 * partition's fetch queue holds through a consume callback (one lock of
 * the queue per read, not per message), copies it into the caller's arena,
 * and asks librdkafka for a record's headers only when the caller wants
 * them (SL_LOG_READ_NO_HEADERS).
 * State keyspaces (put_raw, delete_range, get_raw, scan_raw) are
 * log/kafka_state.c's: a local RocksDB database changelogged to compacted
 * topics; a commit appends the changelog records with the outputs and
 * writes the local state only after the Kafka side succeeded.
 * Exactly-once (sl_log_kafka_opts.exactly_once, processing.guarantee =
 * exactly_once_v2): a sluice transaction is a Kafka transaction. Its first
 * append (or, with positions only, its commit) takes a transactional
 * producer of its own from a pool and begins; positions go in with
 * send_offsets_to_transaction (for the position's group, which nobody
 * joins); commit is commit_transaction, and abort, a failed delivery or a
 * failed commit abort_transaction, so that records, changelog records and
 * positions are all visible to read_committed readers or none is. The
 * runtime then rewinds to its committed positions and drops its state
 * caches; the local state (kafka_state.c) is written only after the Kafka
 * commit, and its catch-up reads the changelogs read_committed. Every
 * consumer of the log reads read_committed. A producer has one open
 * transaction at a time, and an aggregation keeps its transaction open
 * across batches while the worker runs other tasks, so the pool holds one
 * producer per concurrently open transaction rather than serializing them:
 * slot i has transactional.id TXN_ID-i (default sluice-SERVICE_ID-i), the
 * lowest free slot is taken, and opening initializes slot 0; a restart
 * fences each slot it uses again (aborting what the killed process left
 * open there), and the broker aborts what is left in slots it does not use
 * after transaction.timeout.ms (10 s, as Kafka Streams). The broker writes
 * a transaction's markers after the commit returned: an end offset asked
 * for a partition this process committed to waits (MARKER_WAIT_MS at most)
 * until it is past them, so the process sees its own commits. A fatal error
 * (fenced by another process with the same ids) makes every later commit
 * fail with the reason.
 * Membership (log.h's sl_log_member_*): per persistent query a consumer
 * that joins group _sluice-SERVICE-QUERY (cooperative-sticky) and
 * subscribes to the query's input, only to be assigned partitions: what it
 * gets is paused at once and read through the reader as before. One
 * thread of the log polls every member every POLL_MS (librdkafka runs the
 * rebalance callback there and wants a poll within max.poll.interval.ms);
 * the callback tells the runtime, and a revocation completes only after
 * the runtime's callback returned, having committed what it had open for
 * those partitions. Positions of a joined group are committed through the
 * member (a group with live members refuses commits from others), and
 * under exactly-once sent to the transaction with the member's group
 * metadata, so a worker whose partitions moved on is fenced. Members have
 * a 10 s session timeout. A terminated query's groups are deleted
 * (DeleteGroups; still in use by another worker: left to it).
 * Repartition topics (sl_log_repartition_topic): a query's is named
 * _sluice-SERVICE-QUERY-repartition (made and used by the runtime like any
 * topic; its second stage joins group _sluice-SERVICE-QUERY-repartition)
 * and deleted, with that group, by drop_query; while the query runs, the
 * records its second stage has committed are deleted below its position
 * (delete_records: DeleteRecords, called by the runtime).
 * Does not: retention (the broker enforces it: enforce_retention is a
 * no-op).
 *
 * Where Kafka differs from the embedded log's semantics (log.h):
 * - Without exactly_once, commits are at-least-once, not atomic. txn_append hands the record to
 *   the producer at once; txn_commit waits for the delivery report of every
 *   record of the transaction (any failure fails the commit with the
 *   broker's reason; none is skipped), then commits the positions, group by
 *   group. A commit that fails, or an abort, cannot take back records
 *   already delivered: they stay in the topic, and positions are not
 *   committed, so a restarted query reprocesses the batch (duplicates, never
 *   losses). Records are readable once delivered, before their commit.
 * - Offsets are assigned by the broker at delivery, so txn_append returns
 *   -1 in *offset_out. The partition is known at append: a keyed record's
 *   partition is computed here with log/partitioner.h (the same choice as
 *   librdkafka's "murmur2_random", which the producer is also configured
 *   with, and Java's default partitioner); null keys go round-robin.
 * - A record timestamp of 0 (or below) is sent as "now": librdkafka reads 0
 *   as unset.
 * - A timestamp the topic would refuse (message.timestamp.type CreateTime,
 *   outside message.timestamp.before.max.ms / after.max.ms of the clock;
 *   asked with DescribeConfigs when the topic is first written and every
 *   TIMES_REFRESH_MS) is refused at the append with SL_ERR_REFUSED
 *   (check_time). One the broker still refuses on delivery (its clock is
 *   not this machine's): at-least-once, its batch is tried again record by
 *   record and the record refused again goes to the transaction's handler
 *   (retry_refused); under exactly-once the commit fails.
 * - Reads are read_committed: a marker follows every transaction's records
 *   and aborted records are skipped, so offsets below the end may hold no
 *   record. The reader notes where its fetch found the end (partition EOF;
 *   sl_log_read_at_end tells a caller reading up to an end offset);
 *   a position set or fetched at the reader's next offset moves there, so
 *   a query that read everything is at the end offset.
 * - sl_log_commit_seq / sl_log_wait_since count and wake on the commits of
 *   THIS process (and its topic deletions) only. Records produced by other
 *   processes are seen by the next read; a read with nothing ready waits
 *   briefly (READ_WAIT_MS; up to START_WAIT_MS right after it starts
 *   fetching a partition, and up to BEHIND_WAIT_MS, once per offset, while
 *   the fetched high watermark says records are there), so a caller
 *   reading up to an end offset gets its records. Reading below the start
 *   offset restarts at the start (auto.offset.reset=earliest); records
 *   before the requested offset are never returned.
 * - Creating and deleting topics needs a controller (librdkafka sends those
 *   requests there). A cluster that names none (librdkafka's mock cluster)
 *   gets SL_ERR_UNSUPPORTED at once instead of a timeout; an existing
 *   topic with the requested partition count is still accepted. `sluice
 *   dev-broker` is the exception for creation: its brokers are on
 *   127.0.0.1 and a topic names its control port (log/kafka.h), so topics
 *   are created by sending `topic NAME PARTITIONS` there (with the mock's
 *   settings: retention and cleanup policy are not kept); the mock cannot
 *   delete topics. Positions
 *   kept for a deleted topic are the broker's business; the partition sizes
 *   of describe ("bytes") are -1 (unknown), and describe reports Kafka's
 *   default settings when the cluster does not answer DescribeConfigs.
 * - Clients: one producer (also for metadata and admin requests), one
 *   reading consumer, one consumer per position group (created on first
 *   use) and one member per joined group; each librdkafka client runs a
 *   few threads of its own.
 */
#include "log/kafka.h"
#include "log/kafka_internal.h"
#include "log/dirs.h"
#include "log/wait.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log/partitioner.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

enum {
    DEFAULT_TIMEOUT_MS = 30000,
    READ_WAIT_MS = 50,          /* a read with nothing ready waits this long, */
    BEHIND_WAIT_MS = 1000,      /* ... this long when the fetched high watermark
                                   says records are there, */
    START_WAIT_MS = 2000,       /* ... this long after (re)starting a partition
                                   while its watermarks are not known yet */
    WAIT_SLICE_MS = 25,         /* ... in slices this long */
    MARKER_WAIT_MS = 5000,      /* an end offset waits this long at most for the
                                   marker of this process's last commit */
    FLUSH_SLICE_MS = 5,         /* a commit waits for its deliveries in slices */
    MAX_TOPIC_NAME = 249,
    TIMES_REFRESH_MS = 60000    /* a topic's accepted timestamps are asked again this often */
};

/* Reader state of one partition. Never freed before the log is closed, so
 * a reader may hold it while another thread deletes the topic. */
typedef struct kpart {
    char *topic;
    int32_t partition;
    rd_kafka_topic_t *rkt;      /* the reader's topic handle */
    pthread_mutex_t mu;         /* one read at a time on this partition */
    bool started;               /* rd_kafka_consume_start was called */
    int64_t next;               /* offset the fetch queue continues at */
    int64_t stall;              /* a read at this offset waited BEHIND_WAIT_MS for
                                   records the watermark promised, in vain (offsets
                                   without records: transaction markers, compacted
                                   records); -1 none */
    int64_t eof;                /* the fetch reached the partition's end here
                                   (past transaction markers and aborted
                                   records, which are never returned): no record
                                   is readable from next to eof; -1 unknown */
    _Atomic int64_t own_end;    /* exactly-once: a transaction of this process
                                   committed records here below own_end - 1 (its
                                   marker follows): the end is at least own_end
                                   once the broker wrote the marker; -1 none
                                   (atomic: not under mu, which a read holds
                                   while it waits) */
    struct kpart *link;
} kpart;

/* A consumer handle whose group.id is a position group. */
typedef struct kgroup {
    char *name;
    rd_kafka_t *rk;
    struct kgroup *link;
} kgroup;

/* A membership (sl_log_member_join): a consumer that joins the group and
 * subscribes to the topic, only to be assigned partitions; it never
 * fetches (what it is assigned is paused at once). Positions of the group
 * are committed through it. Freed by sl_log_member_leave or at close. */
typedef struct kmember {
    char *group, *topic;
    rd_kafka_t *rk;
    sl_log_rebalance_cb cb;     /* under klog.mu */
    void *ud;
    atomic_bool assigned;       /* an assignment came (see member_close) */
    struct kmember *link;
} kmember;

/* A transactional producer (exactly-once): slot i has transactional.id
 * TXN_ID-i, so a restart fences and aborts what the slot's earlier holder
 * left open. One open transaction per producer: a slot is busy from the
 * first write of a sluice transaction until its commit or abort. Freed
 * only when the log is closed. */
typedef struct kprod {
    int slot;
    rd_kafka_t *rk;             /* NULL: not made yet */
    bool busy;
} kprod;

/* What record timestamps a topic accepts (topic_times). */
enum {
    TIMES_UNKNOWN,              /* not asked yet, or no answer: not checked */
    TIMES_ANY,                  /* message.timestamp.type LogAppendTime: the broker stamps */
    TIMES_RANGE                 /* CreateTime: from before_ms before the broker's clock to
                                   after_ms after it */
};

/* Known topic: its partition count (0: unknown, ask the cluster), the
 * round-robin counter and the timestamps it accepts (under klog.mu).
 * Freed only when the log is closed. */
typedef struct ktopic {
    char *name;
    int32_t partitions;
    atomic_uint rr;
    int times;                  /* TIMES_* */
    int64_t before_ms, after_ms;
    int64_t times_at;           /* monotonic ms they were last asked for; 0: never */
    struct ktopic *link;
} ktopic;

typedef struct klog {
    sl_log base;
    rd_kafka_t *producer;       /* appends, admin requests, metadata */
    rd_kafka_t *reader;         /* reads and watermarks (simple consumer) */
    char **props;               /* owned copies of the pass-through pairs */
    int n_props;
    char *bootstrap, *client_id;
    int timeout_ms;
    int16_t rf;
    atomic_bool no_describe_configs;    /* the cluster refused DescribeConfigs */
    int connect_timeout_ms;     /* opening waits this long for an answer */
    int log_level;              /* librdkafka lines up to this level are shown */
    atomic_bool opened;         /* errors are recorded, not shown, while opening */
    pthread_mutex_t diag_mu;    /* guards last_error and shown */
    char last_error[320];       /* librdkafka's last error (for "cannot reach") */
    rd_kafka_resp_err_t shown[16];  /* error codes already shown once */
    int n_shown;
    char shown_fac[16][16];     /* log facilities whose errors were shown once */
    int n_shown_fac;
    pthread_mutex_t mu;         /* guards parts, groups, topics, members */
    kpart *parts;
    kgroup *groups;
    kmember *members;
    rd_kafka_t **parked;        /* closed members never destroyed (member_close) */
    int n_parked;
    struct klog *link_kept;     /* ... such logs, kept for them */
    pthread_mutex_t poll_mu;    /* held while a member is polled or closed */
    pthread_t poller;           /* polls the members (rebalances happen there) */
    bool polling;               /* ... started */
    atomic_bool stop_poll;
    ktopic *topics;
    pthread_mutex_t seq_mu;
    pthread_cond_t seq_cv;      /* CLOCK_MONOTONIC */
    uint64_t seq;
    sl_kstate *state;           /* the raw keyspaces (log/kafka_state.c) */
    bool eos;                   /* exactly_once: sluice transactions are Kafka's */
    char *txn_id;               /* ... the base of their transactional.id */
    pthread_mutex_t pool_mu;    /* guards pool, n_pool, broken */
    kprod **pool;               /* transactional producers by slot */
    int n_pool;
    char *slots_file;           /* keeps n_pool for the next start; NULL none */
    int slots_known;            /* the count it holds */
    atomic_bool is_broken;      /* a fatal transaction error (fenced): */
    char broken[400];           /* ... what; no transaction commits any more */
    pthread_mutex_t times_mu;   /* one DescribeConfigs for timestamps at a time */
    pthread_mutex_t lone_mu;    /* one record at a time through lone: */
    rd_kafka_t *lone;           /* ... a producer for records tried again on their own
                                   (retry_refused); NULL until needed */
} klog;

/* A record the broker refused for its timestamp on delivery: a copy, kept
 * to be tried again on its own (retry_refused). Key, value, headers and
 * their names are owned. */
typedef struct krefused {
    char *topic;
    sl_record rec;
} krefused;

struct ktrack;

/* A record in flight: its delivery report's opaque, carrying the timestamp
 * it was produced with (librdkafka reports none for a failed record). */
typedef struct kslot {
    struct ktrack *tr;
    int64_t ts;
} kslot;

/* Slots in blocks that never move, freed with their tracker. */
typedef struct kslots {
    struct kslots *next;
    int n;
    kslot s[256];
} kslots;

/* Delivery tracking of one transaction: the txn holds one reference, every
 * record in flight one more; the last to let go frees it. */
typedef struct ktrack {
    pthread_mutex_t mu;
    int refs;
    int outstanding;            /* records without a delivery report yet */
    rd_kafka_resp_err_t err;    /* the first failure */
    char msg[400];
    bool track_offsets;         /* keep the last offset delivered per partition */
    sl_kafka_delivered *dv;     /* ... here (topics owned) */
    int n_dv, cap_dv;
    bool keep_refused;          /* at-least-once: a refused timestamp is not a failure
                                   yet; the record is kept in refused */
    krefused *refused;
    int n_refused, cap_refused;
    kslots *slots;              /* the slots of its records, newest block first */
} ktrack;

typedef struct kpos {
    char *group, *topic;
    int32_t partition;
    int64_t offset;
} kpos;

typedef struct ktxn {
    sl_log_txn base;
    rd_kafka_t *rk;             /* the producer appends go to; NULL until the
                                   Kafka transaction begins (exactly-once) */
    kprod *pr;                  /* exactly-once: the producer held, NULL none */
    ktrack *tr;
    kpos *pos;
    int n_pos, cap_pos;
    sl_kstate_txn *st;          /* raw writes; NULL: none */
    sl_log_refused_cb refused;  /* sl_log_txn_on_refused's handler; NULL none */
    void *refused_ud;
} ktxn;

static const sl_log_ops kafka_ops;

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n, sz);
    if (!p)
        abort();
    return p;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ms since the epoch as 2026-01-31T12:00:00.000Z, into buf (32 bytes). */
static const char *utc_text(char *buf, int64_t ms)
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || !gmtime_r(&sec, &tm)) {
        snprintf(buf, 32, "%lld ms", (long long)ms);
        return buf;
    }
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03dZ", (int)(ms % 1000));
    return buf;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

static bool valid_topic_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > MAX_TOPIC_NAME || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int kerr(sl_error *err, const char *what, rd_kafka_resp_err_t e)
{
    return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s", what, rd_kafka_err2str(e));
}

/* ------------------------------------------------------------------ */
/* configuration                                                       */

/* Properties that load code or run commands, and why. */
static const struct {
    const char *name;
    bool family;                /* name is a prefix: every property under it */
    const char *why;
} refused_props[] = {
    {"plugin.library.paths", false, "it loads shared libraries"},
    {"ssl.engine.", true, "it loads an OpenSSL engine"},
    {"ssl.providers", false, "it loads OpenSSL providers"},
    {"sasl.kerberos.", true,
     "Kerberos runs a shell command (sasl.kerberos.kinit.cmd, with the other "
     "sasl.kerberos.* values substituted into it)"},
};

/* name without a "producer." or "consumer." prefix; *scope 0 all, 1 producer,
 * 2 consumers */
static const char *unprefix(const char *name, int *scope)
{
    *scope = 0;
    if (!strncmp(name, "producer.", 9)) {
        *scope = 1;
        return name + 9;
    }
    if (!strncmp(name, "consumer.", 9)) {
        *scope = 2;
        return name + 9;
    }
    return name;
}

const char *sl_log_kafka_refusal(const char *name, const char *value)
{
    if (!name)
        return NULL;
    int scope;
    const char *n = unprefix(name, &scope);
    if (!strncasecmp(n, "ksql.streams.", 13))
        n = unprefix(n + 13, &scope);
    for (size_t i = 0; i < sizeof refused_props / sizeof *refused_props; i++) {
        const char *r = refused_props[i].name;
        if (refused_props[i].family ? !strncasecmp(n, r, strlen(r)) : !strcasecmp(n, r))
            return refused_props[i].why;
    }
    if (value && (!strcasecmp(n, "sasl.mechanism") || !strcasecmp(n, "sasl.mechanisms")) &&
        strcasestr(value, "GSSAPI"))
        return "GSSAPI (Kerberos) runs kinit, a shell command; use PLAIN, SCRAM-SHA-256, "
               "SCRAM-SHA-512 or OAUTHBEARER";
    return NULL;
}

bool sl_log_kafka_property_refused(const char *name)
{
    return sl_log_kafka_refusal(name, NULL) != NULL;
}

static int conf_set(rd_kafka_conf_t *c, const char *name, const char *value, sl_error *err)
{
    char es[512];
    rd_kafka_conf_res_t r = rd_kafka_conf_set(c, name, value, es, sizeof es);
    if (r == RD_KAFKA_CONF_OK)
        return 0;
    if (r == RD_KAFKA_CONF_UNKNOWN)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "unknown Kafka property '%s'", name);
    return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "Kafka property '%s' = '%s': %s", name,
                        value, es);
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque);
static rd_kafka_t *member_client(klog *k, const char *group);

/* The klog of a client (its configuration's opaque), NULL for none. */
static klog *client_log(const rd_kafka_t *rk)
{
    return rk ? rd_kafka_opaque(rk) : NULL;
}

/* Keeps msg as the last error, without librdkafka's trailing
 * "(after 0ms in state CONNECT...)" detail. */
static void remember_error(klog *k, const char *msg)
{
    size_t n = strlen(msg);
    const char *after = strstr(msg, " (after ");
    if (after && msg[n - 1] == ')')
        n = (size_t)(after - msg);
    pthread_mutex_lock(&k->diag_mu);
    snprintf(k->last_error, sizeof k->last_error, "%.*s", (int)n, msg);
    pthread_mutex_unlock(&k->diag_mu);
}

/* Whether error code e is shown now: each code once per log (librdkafka
 * repeats a broker's failure at every reconnect; once says it). */
static bool show_once(klog *k, rd_kafka_resp_err_t e)
{
    pthread_mutex_lock(&k->diag_mu);
    bool seen = false;
    for (int i = 0; i < k->n_shown && !seen; i++)
        seen = k->shown[i] == e;
    if (!seen && k->n_shown < (int)(sizeof k->shown / sizeof *k->shown))
        k->shown[k->n_shown++] = e;
    pthread_mutex_unlock(&k->diag_mu);
    return !seen;
}

/* Whether an error logged under facility fac is shown now: the first of
 * each facility ("FAIL": a broker connection, ...) only. */
static bool show_fac_once(klog *k, const char *fac)
{
    pthread_mutex_lock(&k->diag_mu);
    bool seen = false;
    for (int i = 0; i < k->n_shown_fac && !seen; i++)
        seen = !strncmp(k->shown_fac[i], fac, sizeof k->shown_fac[i] - 1);
    if (!seen && k->n_shown_fac < (int)(sizeof k->shown_fac / sizeof *k->shown_fac))
        snprintf(k->shown_fac[k->n_shown_fac++], sizeof k->shown_fac[0], "%s", fac);
    pthread_mutex_unlock(&k->diag_mu);
    return !seen;
}

/*
 * librdkafka's log lines, filtered by level. Errors are summarized: the
 * first of each facility becomes one line "sluice: Kafka at HOSTS: ...",
 * the rest are not shown (a broker that is down is logged at every
 * reconnect); debug (level 7) shows every line as librdkafka writes it.
 * Warnings and informational lines show up to the configured level. While
 * opening nothing is shown (opening fails with one message of its own).
 * The warning that a property given to every client means nothing to some
 * (an unprefixed producer property on a consumer) is never shown.
 */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    klog *k = client_log(rk);
    int shown = k ? k->log_level : 3;
    if (k && level <= 3 && !strstr(buf, "brokers are down")) {
        /* from a broker thread: "[thrd:NAME]: " first */
        const char *msg = !strncmp(buf, "[thrd:", 6) && strstr(buf, "]: ") ? strstr(buf, "]: ") + 3
                                                                         : buf;
        remember_error(k, msg);
    }
    if (!strcmp(fac, "CONFWARN") && (strstr(buf, "will be ignored by this consumer") ||
                                     strstr(buf, "will be ignored by this producer")))
        return;
    if (level > shown || (k && !atomic_load(&k->opened) && shown < 7))
        return;
    if (level <= 3 && shown < 7) {
        if (k && show_fac_once(k, fac)) {
            pthread_mutex_lock(&k->diag_mu);
            fprintf(stderr, "sluice: Kafka at %s: %s (errors like it are not shown again)\n",
                    k->bootstrap, k->last_error);
            pthread_mutex_unlock(&k->diag_mu);
        }
        return;
    }
    fprintf(stderr, "%%%d|%s|%s| %s\n", level, fac, rk ? rd_kafka_name(rk) : "", buf);
}

/* Client-level errors: remembered, and once opened each kind shown once. */
static void error_cb(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
    klog *k = opaque;
    if (!k)
        return;
    /* "1/1 brokers are down" follows the reason they are: keep the reason */
    if (e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        remember_error(k, reason);
    if (atomic_load(&k->opened) && show_once(k, (rd_kafka_resp_err_t)e))
        fprintf(stderr, "sluice: Kafka at %s: %s (%s; shown once)\n", k->bootstrap, reason,
                rd_kafka_err2name((rd_kafka_resp_err_t)e));
}

/* KIND_TXN: a transactional producer, `group` naming its transactional.id. */
/* KIND_MEMBER: a consumer that joins `group` (sl_log_member_join). */
enum { KIND_PRODUCER, KIND_READER, KIND_GROUP, KIND_TXN, KIND_MEMBER };

/* A configuration for one client; NULL with err on a bad property. */
static rd_kafka_conf_t *make_conf(klog *k, int kind, const char *group, sl_error *err)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char ms[32];
    snprintf(ms, sizeof ms, "%d", k->timeout_ms);
    rd_kafka_conf_set_opaque(c, k);
    rd_kafka_conf_set_log_cb(c, log_cb);
    rd_kafka_conf_set_error_cb(c, error_cb);
    int rc = conf_set(c, "bootstrap.servers", k->bootstrap, err);
    rc = rc ? rc : conf_set(c, "client.id", k->client_id, err);
    bool producer = kind == KIND_PRODUCER || kind == KIND_TXN;
    if (producer) {
        /* the same partition as Java's producer for keyed records */
        rc = rc ? rc : conf_set(c, "partitioner", "murmur2_random", err);
        rc = rc ? rc : conf_set(c, "enable.idempotence", "true", err);
        rc = rc ? rc : conf_set(c, "compression.type", "lz4", err);
        /* as Kafka Streams' producers: a query's outputs go out in batches
         * of up to 100 ms (one request instead of twenty, and as many
         * fewer wake-ups of the producer's thread); a commit sends what
         * is held back at once (await_deliveries flushes) */
        rc = rc ? rc : conf_set(c, "linger.ms", "100", err);
        if (kind == KIND_TXN) {
            rc = rc ? rc : conf_set(c, "transactional.id", group, err);
            /* as Kafka Streams under exactly-once: a transaction left open
             * by a killed process blocks read_committed readers of its
             * partitions until the broker aborts it, this long at most,
             * unless a restart fences it sooner */
            char tt[16];
            snprintf(tt, sizeof tt, "%d", SL_LOG_KAFKA_TXN_TIMEOUT_MS);
            rc = rc ? rc : conf_set(c, "transaction.timeout.ms", tt, err);
        }
        if (!rc)
            rd_kafka_conf_set_dr_msg_cb(c, dr_msg_cb);
    } else {
        /* the reader learns where a partition ends past offsets without
         * records (see kpart.eof) */
        rc = rc ? rc : conf_set(c, "enable.partition.eof", kind == KIND_READER ? "true" : "false",
                                err);
        rc = rc ? rc : conf_set(c, "auto.offset.reset", "earliest", err);
        rc = rc ? rc : conf_set(c, "enable.auto.commit", "false", err);
        rc = rc ? rc : conf_set(c, "enable.auto.offset.store", "false", err);
        if (kind == KIND_READER) {
            rc = rc ? rc : conf_set(c, "fetch.wait.max.ms", "100", err);
            rc = rc ? rc : conf_set(c, "queued.max.messages.kbytes", "16384", err);
        } else {
            rc = rc ? rc : conf_set(c, "group.id", group, err);
        }
        if (kind == KIND_MEMBER) {
            /* as Kafka Streams: partitions move without stopping the others;
             * a worker killed without leaving is replaced after the session
             * timeout (10 s here, under librdkafka's 45 s, so a takeover
             * is quick; consumer.session.timeout.ms sets it) */
            rc = rc ? rc : conf_set(c, "partition.assignment.strategy", "cooperative-sticky",
                                    err);
            rc = rc ? rc : conf_set(c, "session.timeout.ms", "10000", err);
            rc = rc ? rc : conf_set(c, "heartbeat.interval.ms", "1000", err);
            rc = rc ? rc : conf_set(c, "enable.partition.eof", "false", err);
            if (!rc)
                rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
        }
    }
    for (int i = 0; !rc && i < k->n_props; i++) {
        int scope;
        const char *name = unprefix(k->props[2 * i], &scope);
        if ((scope == 1 && !producer) || (scope == 2 && producer))
            continue;
        rc = conf_set(c, name, k->props[2 * i + 1], err);
    }
    /* exactly-once: records of aborted (or still open) transactions are
     * never read, whatever the properties say */
    if (k->eos && !producer)
        rc = rc ? rc : conf_set(c, "isolation.level", "read_committed", err);
    if (rc) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    return c;
}

/* A client of the given kind; NULL with err. */
static rd_kafka_t *new_client(klog *k, int kind, const char *group, sl_error *err)
{
    rd_kafka_conf_t *c = make_conf(k, kind, group, err);
    if (!c)
        return NULL;
    char es[512];
    bool producer = kind == KIND_PRODUCER || kind == KIND_TXN;
    rd_kafka_t *rk = rd_kafka_new(producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, c, es,
                                  sizeof es);
    if (!rk) {
        rd_kafka_conf_destroy(c);
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "creating a Kafka %s: %s",
                     producer ? "producer" : "consumer", es);
        return NULL;
    }
    return rk;      /* rd_kafka_new took c */
}

/* ------------------------------------------------------------------ */
/* metadata                                                            */

/* Metadata of every topic; the caller frees *md with rd_kafka_metadata_destroy. */
static int all_metadata(klog *k, const struct rd_kafka_metadata **md, sl_error *err)
{
    rd_kafka_resp_err_t e = rd_kafka_metadata(k->producer, 1, NULL, md, k->timeout_ms);
    if (e) {
        *md = NULL;
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "Kafka metadata from %s: %s", k->bootstrap,
                            rd_kafka_err2str(e));
    }
    return 0;
}

static const struct rd_kafka_metadata_topic *md_topic(const struct rd_kafka_metadata *md,
                                                      const char *name)
{
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, name) && !md->topics[i].err)
            return &md->topics[i];
    return NULL;
}

/* Whether the cluster names a controller among its brokers (from the
 * metadata just fetched). librdkafka sends CreateTopics, DeleteTopics and
 * topic DescribeConfigs to the controller; the mock cluster names broker 0,
 * which does not exist, so those requests would only time out. */
static bool has_controller(klog *k, const struct rd_kafka_metadata *md)
{
    int32_t id = rd_kafka_controllerid(k->producer, 0);
    for (int i = 0; id >= 0 && i < md->broker_cnt; i++)
        if (md->brokers[i].id == id)
            return true;
    return false;
}

static int no_controller(klog *k, const char *what, sl_error *err)
{
    return sl_error_set(err, SL_ERR_UNSUPPORTED, SL_NOSPAN,
                        "%s: the Kafka cluster at %s names no controller, so it takes no "
                        "Admin requests (librdkafka's mock cluster; `sluice dev-broker` "
                        "creates topics for sluice, but cannot delete them)", what,
                        k->bootstrap);
}

/* The control port of `sluice dev-broker` from metadata (the topic named
 * by SL_LOG_KAFKA_DEV_CONTROL_TOPIC), when every broker is on 127.0.0.1;
 * else 0. */
static int dev_control_port(const struct rd_kafka_metadata *md)
{
    for (int i = 0; i < md->broker_cnt; i++)
        if (strcmp(md->brokers[i].host, "127.0.0.1"))
            return 0;
    size_t pl = strlen(SL_LOG_KAFKA_DEV_CONTROL_TOPIC);
    for (int i = 0; i < md->topic_cnt; i++) {
        const char *t = md->topics[i].topic, *digits = t + pl;
        if (strncmp(t, SL_LOG_KAFKA_DEV_CONTROL_TOPIC, pl) || !*digits ||
            strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 5)
            continue;
        int port = atoi(digits);
        if (port > 0 && port < 65536)
            return port;
    }
    return 0;
}

/* Reads the dev broker's one-line answer into buf (cap bytes, newline
 * dropped) within timeout_ms; false on a timeout or a closed connection. */
static bool dev_answer(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t len = 0;
    int64_t deadline = mono_ms() + timeout_ms;
    while (len + 1 < cap) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int left = (int)(deadline - mono_ms());
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return false;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        buf[len] = 0;
        char *nl = strchr(buf, '\n');
        if (nl) {
            *nl = 0;
            return true;
        }
    }
    return false;
}

/* Creates topic `name` through the dev broker's control endpoint on
 * 127.0.0.1:port (`topic NAME PARTITIONS`; log/kafka.h): 0 created, 1 it
 * existed already, -1 with err. */
static int dev_create_topic(klog *k, int port, const char *name, int32_t partitions,
                            const char *what, sl_error *err)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "%s: the dev broker's control endpoint 127.0.0.1:%d: %s", what, port,
                            strerror(e));
    }
    char line[400], answer[512];
    int n = snprintf(line, sizeof line, "topic %s %d\n", name, (int)partitions);
    bool sent = send(fd, line, (size_t)n, MSG_NOSIGNAL) == n;
    bool got = sent && dev_answer(fd, answer, sizeof answer, k->timeout_ms);
    close(fd);
    if (!got)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "%s: no answer from the dev broker's control endpoint "
                            "127.0.0.1:%d", what, port);
    if (!strcmp(answer, "ok"))
        return 0;
    if (strstr(answer, "already exists"))
        return 1;   /* someone else created it meanwhile */
    return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: the dev broker answered '%s'", what,
                        answer);
}

/* The cache entry of a topic (under k->mu); NULL when not cached. */
static ktopic *cached_topic(klog *k, const char *name)
{
    for (ktopic *t = k->topics; t; t = t->link)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}

static void cache_topic(klog *k, const char *name, int32_t partitions)
{
    pthread_mutex_lock(&k->mu);
    ktopic *t = cached_topic(k, name);
    if (!t) {
        t = xcalloc(1, sizeof *t);
        t->name = xstrdup(name);
        t->link = k->topics;
        k->topics = t;
    }
    t->partitions = partitions;
    pthread_mutex_unlock(&k->mu);
}

/* Forgets a topic's partition count; the entry stays (an appender may hold
 * its round-robin counter) until the log is closed. */
static void uncache_topic(klog *k, const char *name)
{
    pthread_mutex_lock(&k->mu);
    ktopic *t = cached_topic(k, name);
    if (t) {
        t->partitions = 0;
        t->times = TIMES_UNKNOWN;
        t->times_at = 0;
    }
    pthread_mutex_unlock(&k->mu);
}

/* The partition count of a topic (cached; asks the cluster on a miss) and
 * its cache entry (may be NULL); -1 with err when it does not exist. */
static int32_t topic_partitions(klog *k, const char *name, ktopic **entry, sl_error *err)
{
    pthread_mutex_lock(&k->mu);
    ktopic *t = cached_topic(k, name);
    if (t && t->partitions > 0) {
        int32_t n = t->partitions;
        if (entry)
            *entry = t;
        pthread_mutex_unlock(&k->mu);
        return n;
    }
    pthread_mutex_unlock(&k->mu);
    const struct rd_kafka_metadata *md;
    if (all_metadata(k, &md, err))
        return -1;
    const struct rd_kafka_metadata_topic *mt = md_topic(md, name);
    int32_t n = mt ? mt->partition_cnt : -1;
    rd_kafka_metadata_destroy(md);
    if (n <= 0)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "topic %s does not exist", name);
    cache_topic(k, name, n);
    pthread_mutex_lock(&k->mu);
    t = cached_topic(k, name);
    if (entry)
        *entry = t;     /* entries are only freed by close */
    pthread_mutex_unlock(&k->mu);
    return n;
}

static int check_partition(klog *k, const char *topic, int32_t p, sl_error *err)
{
    int32_t n = topic_partitions(k, topic, NULL, err);
    if (n < 0)
        return -1;
    if (p < 0 || p >= n)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "topic %s has no partition %d", topic, p);
    return 0;
}

/* ------------------------------------------------------------------ */
/* admin requests                                                      */

/* Runs an admin request already sent to q and waits for its result event;
 * NULL with err on a timeout or a request-level error. */
static rd_kafka_event_t *admin_wait(klog *k, rd_kafka_queue_t *q, const char *what, sl_error *err)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, k->timeout_ms + 5000);
    if (!ev) {
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: no answer from Kafka within %d ms", what,
                     k->timeout_ms + 5000);
        return NULL;
    }
    if (rd_kafka_event_error(ev)) {
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s", what, rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static rd_kafka_AdminOptions_t *admin_opts(klog *k, rd_kafka_admin_op_t op)
{
    char es[256];
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(k->producer, op);
    rd_kafka_AdminOptions_set_request_timeout(ao, k->timeout_ms, es, sizeof es);
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS)
        rd_kafka_AdminOptions_set_operation_timeout(ao, k->timeout_ms, es, sizeof es);
    return ao;
}

/* Waits until metadata shows topic `name` with n partitions that all have a
 * leader (present = true) or shows it gone (present = false). */
static int await_topic(klog *k, const char *name, int32_t n, bool present, sl_error *err)
{
    int64_t deadline = mono_ms() + k->timeout_ms;
    for (;;) {
        const struct rd_kafka_metadata *md;
        if (all_metadata(k, &md, err))
            return -1;
        const struct rd_kafka_metadata_topic *mt = md_topic(md, name);
        bool ok;
        if (present) {
            ok = mt && mt->partition_cnt == n;
            for (int i = 0; ok && i < mt->partition_cnt; i++)
                ok = mt->partitions[i].leader >= 0 && !mt->partitions[i].err;
        } else {
            ok = !mt;
        }
        rd_kafka_metadata_destroy(md);
        if (ok)
            return 0;
        if (mono_ms() > deadline)
            return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                                "topic %s: the cluster did not show it %s within %d ms", name,
                                present ? "ready" : "deleted", k->timeout_ms);
        sleep_ms(100);
    }
}

static int kafka_offsets(sl_log *log, const char *topic, int32_t partition, int64_t *start,
                         int64_t *end, sl_error *err);

static int exists_mismatch(const char *name, int32_t have, int32_t want, sl_error *err)
{
    return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                        "topic %s exists with %d partition%s, not %d", name, have,
                        have == 1 ? "" : "s", want);
}

static int kafka_create_topic(sl_log *log, const char *name, const sl_topic_config *cfg,
                              bool *created, sl_error *err)
{
    klog *k = (klog *)log;
    if (created)
        *created = false;
    if (!valid_topic_name(name))
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "invalid topic name '%s': 1 to 249 characters of [A-Za-z0-9._-]",
                            name ? name : "");
    if (!cfg || cfg->partitions <= 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "topic %s: the partition count must be positive", name);
    const struct rd_kafka_metadata *md;
    if (all_metadata(k, &md, err))
        return -1;
    const struct rd_kafka_metadata_topic *mt = md_topic(md, name);
    int32_t have = mt ? mt->partition_cnt : 0;
    bool ctl = has_controller(k, md);
    int dev_port = ctl ? 0 : dev_control_port(md);
    rd_kafka_metadata_destroy(md);
    if (have > 0) {
        if (have != cfg->partitions)
            return exists_mismatch(name, have, cfg->partitions, err);
        cache_topic(k, name, have);
        return 0;
    }
    char what[300];
    snprintf(what, sizeof what, "creating topic %s", name);
    if (!ctl && !dev_port)
        return no_controller(k, what, err);
    if (!ctl) {     /* the dev broker: its settings are the mock's */
        int rc = dev_create_topic(k, dev_port, name, cfg->partitions, what, err);
        if (rc < 0 || await_topic(k, name, cfg->partitions, true, err))
            return -1;     /* (an existing one with other partitions: not ready) */
        cache_topic(k, name, cfg->partitions);
        if (created)
            *created = rc == 0;
        return 0;
    }

    char es[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(name, cfg->partitions,
                                                    k->rf > 0 ? k->rf : -1, es, sizeof es);
    if (!nt)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "topic %s: %s", name, es);
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)cfg->retention_ms);
    rd_kafka_NewTopic_set_config(nt, "retention.ms", v);
    snprintf(v, sizeof v, "%lld", (long long)cfg->retention_bytes);
    rd_kafka_NewTopic_set_config(nt, "retention.bytes", v);
    rd_kafka_NewTopic_set_config(nt, "cleanup.policy",
                                 cfg->cleanup == SL_CLEANUP_COMPACT ? "compact" : "delete");
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->producer);
    rd_kafka_AdminOptions_t *ao = admin_opts(k, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_CreateTopics(k->producer, &nt, 1, ao, q);
    rd_kafka_event_t *ev = admin_wait(k, q, what, err);
    int rc = 0;
    bool raced = false;
    if (!ev) {
        rc = -1;
    } else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        rd_kafka_resp_err_t e = cnt ? rd_kafka_topic_result_error(tr[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            raced = true;
        } else if (e) {
            const char *m = rd_kafka_topic_result_error_string(tr[0]);
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s", what,
                              m && *m ? m : rd_kafka_err2str(e));
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    if (rc)
        return -1;
    if (raced) {    /* someone else created it meanwhile: same check as above */
        if (all_metadata(k, &md, err))
            return -1;
        mt = md_topic(md, name);
        have = mt ? mt->partition_cnt : 0;
        rd_kafka_metadata_destroy(md);
        if (have > 0 && have != cfg->partitions)
            return exists_mismatch(name, have, cfg->partitions, err);
    }
    if (await_topic(k, name, cfg->partitions, true, err))
        return -1;
    cache_topic(k, name, cfg->partitions);
    /* Metadata names the leader before the broker has the partition up;
     * the first produce in that window is answered "not leader", and
     * librdkafka 2.0's idempotent producer can then lose the first record
     * of the partition while reporting it delivered (seen on Kafka 4.1).
     * Waiting here until every partition answers ListOffsets (which asks
     * again on "not leader") closes that window for new topics. */
    for (int32_t p = 0; p < cfg->partitions; p++) {
        int64_t lo, hi;
        if (kafka_offsets(log, name, p, &lo, &hi, err))
            return -1;
    }
    if (created && !raced)
        *created = true;
    return 0;
}

static void bump_seq(klog *k)
{
    pthread_mutex_lock(&k->seq_mu);
    k->seq++;
    pthread_cond_broadcast(&k->seq_cv);
    pthread_mutex_unlock(&k->seq_mu);
}

static int kafka_delete_topic(sl_log *log, const char *name, sl_error *err)
{
    klog *k = (klog *)log;
    const struct rd_kafka_metadata *md;
    if (all_metadata(k, &md, err))
        return -1;
    bool exists = name && md_topic(md, name);
    bool ctl = has_controller(k, md);
    rd_kafka_metadata_destroy(md);
    if (!exists)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "topic %s does not exist",
                            name ? name : "(null)");
    char what[300];
    snprintf(what, sizeof what, "deleting topic %s", name);
    if (!ctl)
        return no_controller(k, what, err);
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(name);
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->producer);
    rd_kafka_AdminOptions_t *ao = admin_opts(k, RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_DeleteTopics(k->producer, &dt, 1, ao, q);
    rd_kafka_event_t *ev = admin_wait(k, q, what, err);
    int rc = ev ? 0 : -1;
    if (ev) {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
        rd_kafka_resp_err_t e = cnt ? rd_kafka_topic_result_error(tr[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (e) {
            const char *m = rd_kafka_topic_result_error_string(tr[0]);
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s", what,
                              m && *m ? m : rd_kafka_err2str(e));
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_queue_destroy(q);
    if (rc)
        return -1;
    /* stop fetching it; a topic created again later starts fresh */
    pthread_mutex_lock(&k->mu);
    kpart *parts = k->parts;
    pthread_mutex_unlock(&k->mu);
    for (kpart *p = parts; p; p = p->link) {
        if (strcmp(p->topic, name))
            continue;
        pthread_mutex_lock(&p->mu);
        if (p->started)
            rd_kafka_consume_stop(p->rkt, p->partition);
        p->started = false;
        pthread_mutex_unlock(&p->mu);
        atomic_store(&p->own_end, -1);
    }
    uncache_topic(k, name);
    rc = await_topic(k, name, 0, false, err);
    bump_seq(k);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int kafka_list_topics(sl_log *log, sl_arena *a, const char ***names, int *n, sl_error *err)
{
    klog *k = (klog *)log;
    const struct rd_kafka_metadata *md;
    *names = NULL;
    *n = 0;
    if (all_metadata(k, &md, err))
        return -1;
    const char **v = sl_arena_alloc(a, sizeof *v * (size_t)(md->topic_cnt + 1));
    int cnt = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        const char *t = md->topics[i].topic;
        if (md->topics[i].err || !strncmp(t, "__", 2))
            continue;   /* internal topics (__consumer_offsets, ...) stay hidden */
        v[cnt++] = sl_arena_strdup(a, t);
    }
    rd_kafka_metadata_destroy(md);
    qsort(v, (size_t)cnt, sizeof *v, cmp_str);
    *names = v;
    *n = cnt;
    return 0;
}

/* Hands take every setting (name, value) of topic `name` from
 * DescribeConfigs; false when the cluster did not answer it. */
static bool topic_configs(klog *k, const char *name,
                          void (*take)(void *ud, const char *name, const char *value), void *ud)
{
    if (atomic_load(&k->no_describe_configs))
        return false;
    rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name);
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->producer);
    rd_kafka_AdminOptions_t *ao = admin_opts(k, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_DescribeConfigs(k->producer, &cr, 1, ao, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, k->timeout_ms + 5000);
    if (ev && rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE)
        atomic_store(&k->no_describe_configs, true);
    bool answered = false;
    if (ev && !rd_kafka_event_error(ev)) {
        size_t nres = 0, ncfg = 0;
        const rd_kafka_ConfigResource_t **res = rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(ev), &nres);
        if (nres && !rd_kafka_ConfigResource_error(res[0])) {
            answered = true;
            const rd_kafka_ConfigEntry_t **ents = rd_kafka_ConfigResource_configs(res[0], &ncfg);
            for (size_t i = 0; i < ncfg; i++) {
                const char *en = rd_kafka_ConfigEntry_name(ents[i]);
                const char *ev2 = rd_kafka_ConfigEntry_value(ents[i]);
                if (en && ev2)
                    take(ud, en, ev2);
            }
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_ConfigResource_destroy(cr);
    rd_kafka_queue_destroy(q);
    return answered;
}

static void take_topic_config(void *ud, const char *name, const char *value)
{
    sl_topic_config *cfg = ud;
    if (!strcmp(name, "retention.ms"))
        cfg->retention_ms = strtoll(value, NULL, 10);
    else if (!strcmp(name, "retention.bytes"))
        cfg->retention_bytes = strtoll(value, NULL, 10);
    else if (!strcmp(name, "cleanup.policy"))
        cfg->cleanup = strstr(value, "compact") ? SL_CLEANUP_COMPACT : SL_CLEANUP_DELETE;
}

/* retention.ms, retention.bytes and cleanup.policy from DescribeConfigs;
 * leaves cfg alone when the cluster does not answer it. */
static void describe_configs(klog *k, const char *name, sl_topic_config *cfg)
{
    topic_configs(k, name, take_topic_config, cfg);
}

/* The message.timestamp.* settings of a topic, as DescribeConfigs gives them. */
typedef struct ktimes {
    bool log_append_time;       /* message.timestamp.type LogAppendTime */
    int64_t before_ms, after_ms;    /* message.timestamp.before / after.max.ms; -1 absent */
    int64_t difference_ms;      /* message.timestamp.difference.max.ms (before Kafka 3.6:
                                   both ways); -1 absent */
} ktimes;

static void take_times(void *ud, const char *name, const char *value)
{
    ktimes *tm = ud;
    if (!strcmp(name, "message.timestamp.type"))
        tm->log_append_time = !strcmp(value, "LogAppendTime");
    else if (!strcmp(name, "message.timestamp.before.max.ms"))
        tm->before_ms = strtoll(value, NULL, 10);
    else if (!strcmp(name, "message.timestamp.after.max.ms"))
        tm->after_ms = strtoll(value, NULL, 10);
    else if (!strcmp(name, "message.timestamp.difference.max.ms"))
        tm->difference_ms = strtoll(value, NULL, 10);
}

/*
 * Asks the cluster which timestamps topic t accepts and keeps the answer
 * in t (TIMES_UNKNOWN when it does not answer DescribeConfigs: nothing is
 * checked). Asked when the topic is first written and again every
 * TIMES_REFRESH_MS (its settings may change), and at once after the broker
 * refused a timestamp that passed the check. Called without k->mu.
 */
static void topic_times(klog *k, ktopic *t, const char *name)
{
    ktimes tm = {false, -1, -1, -1};
    bool answered = topic_configs(k, name, take_times, &tm);
    pthread_mutex_lock(&k->mu);
    t->times_at = mono_ms();
    if (!answered) {
        t->times = TIMES_UNKNOWN;
    } else if (tm.log_append_time) {
        t->times = TIMES_ANY;
    } else {
        t->times = TIMES_RANGE;
        t->before_ms = tm.before_ms >= 0 ? tm.before_ms : tm.difference_ms;
        t->after_ms = tm.after_ms >= 0 ? tm.after_ms : tm.difference_ms;
        if (t->before_ms < 0)
            t->before_ms = INT64_MAX;
        if (t->after_ms < 0)
            t->after_ms = INT64_MAX;
    }
    pthread_mutex_unlock(&k->mu);
}

/* Whether the accepted timestamps of t are to be asked for (again). */
static bool times_stale(klog *k, ktopic *t)
{
    pthread_mutex_lock(&k->mu);
    bool stale = !t->times_at || mono_ms() - t->times_at >= TIMES_REFRESH_MS;
    pthread_mutex_unlock(&k->mu);
    return stale;
}

/*
 * Whether topic t accepts record timestamp ts (ms; <= 0: the producer
 * stamps it now), by this machine's clock, so that a record the broker
 * would refuse is refused here (SL_ERR_REFUSED, log.h) before it takes
 * the rest of its produce request down with it (the broker drops a batch
 * with one bad timestamp whole) or, with exactly-once, its transaction.
 */
static int check_time(klog *k, ktopic *t, const char *name, int64_t ts, sl_error *err)
{
    if (ts <= 0)
        return 0;
    if (times_stale(k, t)) {
        /* one asks at a time; the others wait for its answer */
        pthread_mutex_lock(&k->times_mu);
        if (times_stale(k, t))
            topic_times(k, t, name);
        pthread_mutex_unlock(&k->times_mu);
    }
    pthread_mutex_lock(&k->mu);
    int times = t->times;
    int64_t before = t->before_ms, after = t->after_ms;
    pthread_mutex_unlock(&k->mu);
    if (times != TIMES_RANGE)
        return 0;
    int64_t now = wall_ms();
    bool early = before < now && ts < now - before;
    bool late = after < INT64_MAX - now && ts > now + after;
    if (!early && !late)
        return 0;
    char tt[32], nt[32], bt[32];
    return sl_error_set(err, SL_ERR_REFUSED, SL_NOSPAN,
                        "timestamp %lld (%s) is more than %lld ms (message.timestamp.%s.max.ms "
                        "of topic %s) %s now (%s): the topic accepts timestamps %s %s",
                        (long long)ts, utc_text(tt, ts), (long long)(late ? after : before),
                        late ? "after" : "before", name, late ? "ahead of" : "behind",
                        utc_text(nt, now), late ? "up to" : "from",
                        utc_text(bt, late ? now + after : now - before));
}

/* The accepted timestamps of a topic are asked for again before its next
 * append (the broker refused one the check let through). */
static void forget_times(klog *k, const char *name)
{
    pthread_mutex_lock(&k->mu);
    ktopic *t = cached_topic(k, name);
    if (t)
        t->times_at = 0;
    pthread_mutex_unlock(&k->mu);
}

static int kafka_describe_topic(sl_log *log, const char *name, sl_arena *a, sl_topic_info *out,
                                sl_error *err)
{
    klog *k = (klog *)log;
    const struct rd_kafka_metadata *md;
    if (all_metadata(k, &md, err))
        return -1;
    const struct rd_kafka_metadata_topic *mt = name ? md_topic(md, name) : NULL;
    int32_t n = mt ? mt->partition_cnt : 0;
    bool ctl = has_controller(k, md);
    int32_t *replicas = n > 0 ? sl_arena_zalloc(a, sizeof *replicas * (size_t)n) : NULL;
    for (int i = 0; i < n; i++) {   /* metadata lists partitions in any order */
        int32_t id = mt->partitions[i].id;
        if (id >= 0 && id < n)
            replicas[id] = mt->partitions[i].replica_cnt;
    }
    rd_kafka_metadata_destroy(md);
    if (n <= 0)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "topic %s does not exist",
                            name ? name : "(null)");
    cache_topic(k, name, n);
    memset(out, 0, sizeof *out);
    out->name = sl_arena_strdup(a, name);
    out->config = sl_topic_config_default();
    out->config.partitions = n;
    if (ctl)
        describe_configs(k, name, &out->config);
    out->partitions = sl_arena_zalloc(a, sizeof *out->partitions * (size_t)n);
    for (int32_t p = 0; p < n; p++) {
        sl_partition_info *pi = &out->partitions[p];
        pi->partition = p;
        pi->bytes = -1;
        pi->replicas = replicas[p];
        if (kafka_offsets(log, name, p, &pi->start_offset, &pi->end_offset, err))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* transactions                                                        */

static ktrack *track_new(void)
{
    ktrack *tr = xcalloc(1, sizeof *tr);
    pthread_mutex_init(&tr->mu, NULL);
    tr->refs = 1;
    return tr;
}

static void refused_free(krefused *r)
{
    free(r->topic);
    free((void *)r->rec.key);
    free((void *)r->rec.value);
    for (int32_t i = 0; i < r->rec.n_headers; i++) {
        free((void *)r->rec.headers[i].key);
        free((void *)r->rec.headers[i].value);
    }
    free((void *)r->rec.headers);
}

static void track_release(ktrack *tr)
{
    pthread_mutex_lock(&tr->mu);
    bool last = --tr->refs == 0;
    pthread_mutex_unlock(&tr->mu);
    if (last) {
        for (int i = 0; i < tr->n_dv; i++)
            free((char *)tr->dv[i].topic);
        free(tr->dv);
        for (int i = 0; i < tr->n_refused; i++)
            refused_free(&tr->refused[i]);
        free(tr->refused);
        for (kslots *b = tr->slots, *nx; b; b = nx) {
            nx = b->next;
            free(b);
        }
        pthread_mutex_destroy(&tr->mu);
        free(tr);
    }
}

/* Keeps offset as the last delivered to topic/partition (under tr->mu). */
static void note_offset(ktrack *tr, const char *topic, int32_t partition, int64_t offset)
{
    for (int i = tr->n_dv - 1; i >= 0; i--) {
        sl_kafka_delivered *d = &tr->dv[i];
        if (d->partition == partition && !strcmp(d->topic, topic)) {
            if (offset > d->last_offset)
                d->last_offset = offset;
            return;
        }
    }
    if (tr->n_dv == tr->cap_dv) {
        tr->cap_dv = tr->cap_dv ? 2 * tr->cap_dv : 4;
        tr->dv = realloc(tr->dv, sizeof *tr->dv * (size_t)tr->cap_dv);
        if (!tr->dv)
            abort();
    }
    tr->dv[tr->n_dv++] = (sl_kafka_delivered){xstrdup(topic), partition, offset};
}

/* n bytes of p copied (NULL for NULL). */
static void *dup_bytes(const void *p, size_t n)
{
    if (!p)
        return NULL;
    void *d = malloc(n ? n : 1);
    if (!d)
        abort();
    memcpy(d, p, n);
    return d;
}

/* Keeps a copy of m (produced with timestamp ts), refused for its
 * timestamp, in tr->refused (under tr->mu). */
static void keep_refused(ktrack *tr, const rd_kafka_message_t *m, int64_t ts)
{
    if (tr->n_refused == tr->cap_refused) {
        tr->cap_refused = tr->cap_refused ? 2 * tr->cap_refused : 4;
        tr->refused = realloc(tr->refused, sizeof *tr->refused * (size_t)tr->cap_refused);
        if (!tr->refused)
            abort();
    }
    krefused *r = &tr->refused[tr->n_refused++];
    memset(r, 0, sizeof *r);
    r->topic = xstrdup(rd_kafka_topic_name(m->rkt));
    r->rec.key = dup_bytes(m->key, m->key_len);
    r->rec.key_len = m->key ? (int32_t)m->key_len : -1;
    r->rec.value = dup_bytes(m->payload, m->len);
    r->rec.value_len = m->payload ? (int32_t)m->len : -1;
    r->rec.timestamp = ts;
    r->rec.partition = m->partition;
    r->rec.offset = -1;
    rd_kafka_headers_t *hdrs = NULL;
    size_t nh = 0;
    if (!rd_kafka_message_headers(m, &hdrs))
        nh = rd_kafka_header_cnt(hdrs);
    if (nh) {
        sl_log_header *h = xcalloc(nh, sizeof *h);
        for (size_t i = 0; i < nh; i++) {
            const char *name;
            const void *val;
            size_t size;
            if (rd_kafka_header_get_all(hdrs, i, &name, &val, &size))
                break;
            h[i].key = xstrdup(name);
            h[i].key_len = strlen(name);
            h[i].value = dup_bytes(val, size);
            h[i].value_len = val ? (int32_t)size : -1;
            r->rec.n_headers++;
        }
        r->rec.headers = h;
    }
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    kslot *slot = m->_private;
    if (!slot)
        return;
    ktrack *tr = slot->tr;
    pthread_mutex_lock(&tr->mu);
    if (m->err == RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP && tr->keep_refused && m->rkt) {
        keep_refused(tr, m, slot->ts);  /* tried again alone at commit (retry_refused) */
    } else if (m->err && !tr->err) {
        tr->err = m->err;
        snprintf(tr->msg, sizeof tr->msg, "delivery to %s partition %d failed: %s",
                 m->rkt ? rd_kafka_topic_name(m->rkt) : "?", (int)m->partition,
                 rd_kafka_err2str(m->err));
    }
    if (!m->err && tr->track_offsets && m->rkt && m->offset >= 0)
        note_offset(tr, rd_kafka_topic_name(m->rkt), m->partition, m->offset);
    tr->outstanding--;
    pthread_mutex_unlock(&tr->mu);
    track_release(tr);
}

/* ---- exactly-once: the transactional producers ---- */

/* -1 with the reason when a fatal error ended this process's transactions. */
static int check_broken(klog *k, sl_error *err)
{
    if (!atomic_load(&k->is_broken))
        return 0;
    pthread_mutex_lock(&k->pool_mu);
    sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s", k->broken);
    pthread_mutex_unlock(&k->pool_mu);
    return -1;
}

/* A fatal error on a transactional producer: fenced by a newer producer
 * with the same transactional.id, or a state librdkafka cannot leave. No
 * later transaction of this log commits (a restart starts over). */
static bool is_fenced(const rd_kafka_error_t *e)
{
    rd_kafka_resp_err_t c = rd_kafka_error_code(e);
    return c == RD_KAFKA_RESP_ERR__FENCED || c == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
           c == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

static void set_broken(klog *k, const char *what, const rd_kafka_error_t *e)
{
    bool fenced = is_fenced(e);
    pthread_mutex_lock(&k->pool_mu);
    if (!atomic_load(&k->is_broken)) {
        if (fenced)
            snprintf(k->broken, sizeof k->broken,
                     "%s: another process took over transactional id %s-* (a second worker of "
                     "the same service id with exactly-once?); this one commits no more",
                     what, k->txn_id);
        else
            snprintf(k->broken, sizeof k->broken, "%s: %s; Kafka transactions of this process "
                     "cannot go on (restart it)", what, rd_kafka_error_string(e));
        atomic_store(&k->is_broken, true);
    }
    pthread_mutex_unlock(&k->pool_mu);
}

/* Fills err from a transactional API's error (destroying it), marking the
 * log broken on a fatal one. Returns -1. */
/* What a position commit through a member that is no longer in the
 * group's generation fails with (log.h's sl_log_partitions_moved). */
#define MOVED "partitions moved to another worker: "

/* Whether e says this member's generation is over: its partitions went
 * (or go) to another worker, which starts from the last committed
 * positions. librdkafka revokes them as lost. */
static bool member_gone(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
           e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || e == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
}

bool sl_log_partitions_moved(const sl_error *err)
{
    return err && !strncmp(err->msg, MOVED, sizeof MOVED - 1);
}

static int txn_fail(klog *k, rd_kafka_error_t *e, const char *what, sl_error *err)
{
    if (rd_kafka_error_is_fatal(e))
        set_broken(k, what, e);
    sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s", what, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return -1;
}

/* Destroys a producer, first purging what it cannot deliver, so their
 * delivery reports (and the trackers they hold) are served. */
static void prod_destroy(rd_kafka_t *rk)
{
    if (rd_kafka_flush(rk, 1000)) {
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(rk, 1000);
    }
    rd_kafka_destroy(rk);
}

/* Makes slot pr's producer and runs init_transactions, which fences an
 * earlier producer of the slot's transactional.id and aborts what it left
 * open (waiting for that if need be). */
static int prod_init(klog *k, kprod *pr, sl_error *err)
{
    char id[300];
    snprintf(id, sizeof id, "%s-%d", k->txn_id, pr->slot);
    rd_kafka_t *rk = new_client(k, KIND_TXN, id, err);
    if (!rk)
        return -1;
    int64_t deadline = mono_ms() + k->timeout_ms;
    rd_kafka_error_t *e;
    while ((e = rd_kafka_init_transactions(rk, k->timeout_ms)) &&
           rd_kafka_error_is_retriable(e) && mono_ms() < deadline)
        rd_kafka_error_destroy(e);
    if (e) {
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                     "starting Kafka transactions (transactional.id %s) at %s: %s "
                     "(processing.guarantee exactly_once_v2 needs a cluster with transactions)",
                     id, k->bootstrap, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        rd_kafka_destroy(rk);
        return -1;
    }
    pr->rk = rk;
    return 0;
}

static void prod_release(klog *k, kprod *pr)
{
    pthread_mutex_lock(&k->pool_mu);
    pr->busy = false;
    pthread_mutex_unlock(&k->pool_mu);
}

/*
 * The number of slots the last process of this data directory used, kept
 * in DATA_DIR/kafka-transactions-TXN_ID, so that a start after a kill
 * fences every one of them at once: a transaction a killed process left
 * open blocks read_committed readers of its partitions until it is
 * fenced or times out. Best effort: without the file, the broker's
 * timeout does it.
 */
static int slots_load(klog *k)
{
    FILE *f = k->slots_file ? fopen(k->slots_file, "r") : NULL;
    int n = 0;
    if (f) {
        if (fscanf(f, "%d", &n) != 1 || n < 0 || n > 1024)
            n = 0;
        fclose(f);
    }
    return n;
}

static void slots_save(klog *k, int n)
{
    FILE *f = k->slots_file ? fopen(k->slots_file, "w") : NULL;
    if (f) {
        fprintf(f, "%d\n", n);
        fclose(f);
    }
}

/* The free producer of the lowest slot (a new slot when all are busy), so
 * the transactional ids in use stay the same from run to run. */
static kprod *prod_acquire(klog *k, sl_error *err)
{
    if (check_broken(k, err))
        return NULL;
    pthread_mutex_lock(&k->pool_mu);
    kprod *pr = NULL;
    for (int i = 0; i < k->n_pool && !pr; i++)
        if (!k->pool[i]->busy)
            pr = k->pool[i];
    if (!pr) {
        kprod **np = realloc(k->pool, sizeof *np * (size_t)(k->n_pool + 1));
        if (!np)
            abort();
        k->pool = np;
        pr = xcalloc(1, sizeof *pr);
        pr->slot = k->n_pool;
        k->pool[k->n_pool++] = pr;
        if (k->n_pool > k->slots_known) {
            slots_save(k, k->n_pool);
            k->slots_known = k->n_pool;
        }
    }
    pr->busy = true;
    pthread_mutex_unlock(&k->pool_mu);
    if (!pr->rk && prod_init(k, pr, err)) {
        prod_release(k, pr);
        return NULL;
    }
    return pr;
}

/* Begins t's Kafka transaction on a producer of its own, once. */
static int txn_start(klog *k, ktxn *t, sl_error *err)
{
    if (t->pr || !k->eos)
        return 0;
    kprod *pr = prod_acquire(k, err);
    if (!pr)
        return -1;
    rd_kafka_error_t *e = rd_kafka_begin_transaction(pr->rk);
    if (e) {
        prod_release(k, pr);
        return txn_fail(k, e, "beginning a Kafka transaction", err);
    }
    t->pr = pr;
    t->rk = pr->rk;
    return 0;
}

/* Serves delivery reports until every record of t has one (or, with
 * bounded, the timeout passed). flush (rather than poll) sends what
 * linger.ms still holds back. */
static void await_deliveries(klog *k, ktxn *t, bool bounded)
{
    int64_t deadline = mono_ms() + k->timeout_ms;
    for (;;) {
        pthread_mutex_lock(&t->tr->mu);
        int out = t->tr->outstanding;
        pthread_mutex_unlock(&t->tr->mu);
        if (!out || !t->rk || (bounded && mono_ms() > deadline))
            return;
        rd_kafka_flush(t->rk, FLUSH_SLICE_MS);
    }
}

/* Aborts t's Kafka transaction: its records (delivered or not) become
 * invisible to read_committed readers, its positions are not committed. */
static void txn_abort_kafka(klog *k, ktxn *t)
{
    int64_t deadline = mono_ms() + k->timeout_ms;
    rd_kafka_error_t *e;
    while ((e = rd_kafka_abort_transaction(t->rk, k->timeout_ms)) &&
           rd_kafka_error_is_retriable(e) && mono_ms() < deadline)
        rd_kafka_error_destroy(e);
    bool retire = false;
    if (e) {
        /* not aborted: fenced by another process ends this process's
         * transactions; otherwise (a producer librdkafka gave up on, such
         * as INVALID_TXN_STATE from the coordinator, or no answer in time)
         * the slot gets a new producer, whose init_transactions aborts what
         * this one left */
        if (rd_kafka_error_is_fatal(e) && is_fenced(e))
            set_broken(k, "aborting a Kafka transaction", e);
        else
            retire = true;
        rd_kafka_error_destroy(e);
    }
    /* the purged records' delivery reports release the tracker */
    await_deliveries(k, t, true);
    if (retire) {
        prod_destroy(t->pr->rk);
        t->pr->rk = NULL;
        t->rk = NULL;
    }
}

/* Sends t's positions into its Kafka transaction, group by group: they
 * are committed with it (TxnOffsetCommit), or not at all. */
static int txn_send_positions(klog *k, ktxn *t, sl_error *err)
{
    bool *done = xcalloc((size_t)t->n_pos, sizeof *done);
    int rc = 0;
    for (int i = 0; !rc && i < t->n_pos; i++) {
        if (done[i])
            continue;
        const char *group = t->pos[i].group;
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(t->n_pos - i);
        for (int j = i; j < t->n_pos; j++) {
            if (done[j] || strcmp(t->pos[j].group, group))
                continue;
            rd_kafka_topic_partition_list_add(l, t->pos[j].topic, t->pos[j].partition)->offset =
                t->pos[j].offset;
            done[j] = true;
        }
        /* the member's metadata (generation, member id): a worker whose
         * partitions moved on (a zombie) is fenced by the coordinator; a
         * group nobody joins has no generation to check */
        rd_kafka_t *mrk = member_client(k, group);
        rd_kafka_consumer_group_metadata_t *md = mrk ? rd_kafka_consumer_group_metadata(mrk)
                                                     : rd_kafka_consumer_group_metadata_new(group);
        int64_t deadline = mono_ms() + k->timeout_ms;
        rd_kafka_error_t *e;
        while ((e = rd_kafka_send_offsets_to_transaction(t->rk, l, md, k->timeout_ms)) &&
               rd_kafka_error_is_retriable(e) && mono_ms() < deadline)
            rd_kafka_error_destroy(e);
        rd_kafka_consumer_group_metadata_destroy(md);
        rd_kafka_topic_partition_list_destroy(l);
        if (e) {
            char what[300];
            snprintf(what, sizeof what, "%scommitting the positions of group %s",
                     mrk && member_gone(rd_kafka_error_code(e)) ? MOVED : "", group);
            rc = txn_fail(k, e, what, err);
        }
    }
    free(done);
    return rc;
}

/* Ends t's Kafka transaction (if it began): positions sent, then
 * committed when rc is 0, else aborted (also when the commit fails). */
static int txn_end_kafka(klog *k, ktxn *t, int rc, sl_error *err)
{
    if (!t->pr)
        return rc;
    if (!rc && t->n_pos)
        rc = txn_send_positions(k, t, err);
    if (!rc) {
        int64_t deadline = mono_ms() + k->timeout_ms;
        rd_kafka_error_t *e;
        while ((e = rd_kafka_commit_transaction(t->rk, k->timeout_ms)) &&
               rd_kafka_error_is_retriable(e) && mono_ms() < deadline)
            rd_kafka_error_destroy(e);
        if (e)
            rc = txn_fail(k, e, "committing a Kafka transaction", err);
    }
    if (rc && !atomic_load(&k->is_broken))
        txn_abort_kafka(k, t);
    prod_release(k, t->pr);
    t->pr = NULL;
    return rc;
}

static sl_log_txn *kafka_txn_begin(sl_log *log)
{
    ktxn *t = xcalloc(1, sizeof *t);
    t->base.log = log;
    t->tr = track_new();
    if (!((klog *)log)->eos) {
        t->rk = ((klog *)log)->producer;
        t->tr->keep_refused = true;     /* see retry_refused */
    }
    /* exactly-once: the end offsets this process's commits imply (own_end) */
    t->tr->track_offsets = ((klog *)log)->eos;
    return &t->base;
}

static void txn_free(ktxn *t)
{
    for (int i = 0; i < t->n_pos; i++) {
        free(t->pos[i].group);
        free(t->pos[i].topic);
    }
    free(t->pos);
    sl_kafka_state_txn_free(t->st);
    track_release(t->tr);
    free(t);
}

/* Refreshes a client's (reader's, producer's) metadata of topic: its
 * partition count, once another worker added partitions. */
static void refresh_metadata(klog *k, rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (rkt && !rd_kafka_metadata(rk, 0, rkt, &md, k->timeout_ms))
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    sleep_ms(50);
}

static int validate_record(const sl_record *r, sl_error *err)
{
    if (!r)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "append without a record");
    if (r->key_len < -1 || (r->key_len > 0 && !r->key) || r->value_len < -1 ||
        (r->value_len > 0 && !r->value) || r->n_headers < 0 || (r->n_headers > 0 && !r->headers))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "malformed record");
    for (int32_t i = 0; i < r->n_headers; i++) {
        const sl_log_header *h = &r->headers[i];
        if ((h->key_len > 0 && !h->key) || h->value_len < -1 || (h->value_len > 0 && !h->value))
            return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "malformed record header");
    }
    return 0;
}

/* Hands a copy of rec to producer rk for topic's partition p, tracked by
 * tr (its delivery report goes there). */
static int produce_one(klog *k, rd_kafka_t *rk, ktrack *tr, const char *topic, int32_t p,
                       const sl_record *rec, sl_error *err)
{
    static const char empty[1] = {0};
    rd_kafka_headers_t *hdrs = NULL;
    if (rec->n_headers > 0) {
        hdrs = rd_kafka_headers_new((size_t)rec->n_headers);
        for (int32_t i = 0; i < rec->n_headers; i++) {
            const sl_log_header *h = &rec->headers[i];
            const void *hv = h->value_len < 0 ? NULL : h->value_len == 0 ? empty : h->value;
            rd_kafka_header_add(hdrs, h->key_len ? h->key : empty, (ssize_t)h->key_len, hv,
                                h->value_len < 0 ? 0 : (ssize_t)h->value_len);
        }
    }
    rd_kafka_vu_t vu[8];
    size_t nv = 0;
    vu[nv].vtype = RD_KAFKA_VTYPE_TOPIC;
    vu[nv++].u.cstr = topic;
    vu[nv].vtype = RD_KAFKA_VTYPE_PARTITION;
    vu[nv++].u.i32 = p;
    vu[nv].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[nv++].u.i = RD_KAFKA_MSG_F_COPY;
    vu[nv].vtype = RD_KAFKA_VTYPE_KEY;
    vu[nv].u.mem.ptr = rec->key_len < 0 ? NULL : rec->key_len == 0 ? (void *)empty : (void *)rec->key;
    vu[nv++].u.mem.size = rec->key_len < 0 ? 0 : (size_t)rec->key_len;
    vu[nv].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[nv].u.mem.ptr =
        rec->value_len < 0 ? NULL : rec->value_len == 0 ? (void *)empty : (void *)rec->value;
    vu[nv++].u.mem.size = rec->value_len < 0 ? 0 : (size_t)rec->value_len;
    vu[nv].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
    vu[nv++].u.i64 = rec->timestamp > 0 ? rec->timestamp : 0;
    pthread_mutex_lock(&tr->mu);
    if (!tr->slots || tr->slots->n == (int)(sizeof tr->slots->s / sizeof *tr->slots->s)) {
        kslots *b = xcalloc(1, sizeof *b);
        b->next = tr->slots;
        tr->slots = b;
    }
    kslot *slot = &tr->slots->s[tr->slots->n++];
    slot->tr = tr;
    slot->ts = rec->timestamp > 0 ? rec->timestamp : 0;
    pthread_mutex_unlock(&tr->mu);
    vu[nv].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu[nv++].u.ptr = slot;
    if (hdrs) {
        vu[nv].vtype = RD_KAFKA_VTYPE_HEADERS;
        vu[nv++].u.headers = hdrs;
    }

    pthread_mutex_lock(&tr->mu);
    tr->refs++;
    tr->outstanding++;
    pthread_mutex_unlock(&tr->mu);
    int64_t deadline = mono_ms() + k->timeout_ms;
    for (;;) {
        rd_kafka_error_t *e = rd_kafka_produceva(rk, vu, nv);
        if (!e)
            break;
        rd_kafka_resp_err_t code = rd_kafka_error_code(e);
        if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_error_destroy(e);
            rd_kafka_poll(rk, 100);             /* serves delivery reports, frees room */
            continue;
        }
        if (code == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION && mono_ms() + 50 < deadline) {
            /* a partition another worker just added (a changelog grown by
             * CreatePartitions): the producer learns of it from fresh metadata */
            rd_kafka_error_destroy(e);
            refresh_metadata(k, rk, topic);
            continue;
        }
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "producing to %s partition %d: %s", topic, p,
                     rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);     /* not taken on failure */
        pthread_mutex_lock(&tr->mu);
        tr->outstanding--;
        pthread_mutex_unlock(&tr->mu);
        track_release(tr);
        return -1;
    }
    return 0;
}

static int kafka_txn_append(sl_log_txn *base, const char *topic, int32_t partition,
                            const sl_record *rec, int32_t *partition_out, int64_t *offset_out,
                            sl_error *err)
{
    ktxn *t = (ktxn *)base;
    klog *k = (klog *)base->log;
    if (partition_out)
        *partition_out = -1;
    if (offset_out)
        *offset_out = -1;   /* known only after delivery: see the top of this file */
    if (validate_record(rec, err))
        return -1;
    ktopic *kt = NULL;
    int32_t n = topic ? topic_partitions(k, topic, &kt, err) : -1;
    if (n < 0)
        return topic ? -1 : sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "append without a topic");
    if (check_time(k, kt, topic, rec->timestamp, err))
        return -1;
    int32_t p = partition;
    if (p == -1) {
        if (rec->key_len >= 0)
            p = sl_partitioner_for_key(rec->key, (size_t)rec->key_len, n);
        else
            p = (int32_t)(atomic_fetch_add(&kt->rr, 1) % (unsigned)n);
    } else if (p < 0 || p >= n) {
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "topic %s has no partition %d", topic, p);
    }
    /* a refused record began no Kafka transaction */
    if (txn_start(k, t, err) || produce_one(k, t->rk, t->tr, topic, p, rec, err))
        return -1;
    if (partition_out)
        *partition_out = p;
    return 0;
}

static kpart *find_part(klog *k, const char *topic, int32_t partition);

/* A position where the reader's fetch continues, past offsets that hold no
 * record (a transaction marker follows every transaction's records): the
 * end the fetch found, so that a query that read everything is at the end
 * offset, not one short of it. Others as they are. */
static int64_t skip_recordless(klog *k, const char *topic, int32_t partition, int64_t next)
{
    kpart *p = find_part(k, topic, partition);
    if (!p)
        return next;
    pthread_mutex_lock(&p->mu);
    if (p->started && p->next == next && p->eof > next)
        next = p->eof;
    pthread_mutex_unlock(&p->mu);
    return next;
}

static int kafka_txn_set_position(sl_log_txn *base, const char *group, const char *topic,
                                  int32_t partition, int64_t next_offset, sl_error *err)
{
    ktxn *t = (ktxn *)base;
    if (!group || !*group || !topic || partition < 0 || next_offset < 0)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "invalid position");
    next_offset = skip_recordless((klog *)base->log, topic, partition, next_offset);
    for (int i = 0; i < t->n_pos; i++) {
        kpos *q = &t->pos[i];
        if (q->partition == partition && !strcmp(q->group, group) && !strcmp(q->topic, topic)) {
            q->offset = next_offset;
            return 0;
        }
    }
    if (t->n_pos == t->cap_pos) {
        int cap = t->cap_pos ? t->cap_pos * 2 : 4;
        kpos *np = realloc(t->pos, sizeof *np * (size_t)cap);
        if (!np)
            abort();
        t->pos = np;
        t->cap_pos = cap;
    }
    t->pos[t->n_pos++] = (kpos){xstrdup(group), xstrdup(topic), partition, next_offset};
    return 0;
}

/* The consumer handle of a group, created on first use; NULL with err. */
static rd_kafka_t *group_client(klog *k, const char *group, sl_error *err)
{
    pthread_mutex_lock(&k->mu);
    for (kgroup *g = k->groups; g; g = g->link) {
        if (!strcmp(g->name, group)) {
            pthread_mutex_unlock(&k->mu);
            return g->rk;
        }
    }
    rd_kafka_t *rk = new_client(k, KIND_GROUP, group, err);
    if (rk) {
        kgroup *g = xcalloc(1, sizeof *g);
        g->name = xstrdup(group);
        g->rk = rk;
        g->link = k->groups;
        k->groups = g;
    }
    pthread_mutex_unlock(&k->mu);
    return rk;
}

/* Whether a position commit may succeed when tried again. */
static bool commit_retriable(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS || e == RD_KAFKA_RESP_ERR__STATE ||
           e == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
           e == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
           e == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || e == RD_KAFKA_RESP_ERR__WAIT_COORD ||
           e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__TIMED_OUT;
}

/* Commits the positions of t for one group (those from index i on whose
 * group equals t->pos[i].group), marking them done. */
static int commit_group(klog *k, ktxn *t, int i, bool *done, sl_error *err)
{
    const char *group = t->pos[i].group;
    /* a group with live members refuses commits from others: a member's
     * positions go through its membership */
    rd_kafka_t *rk = member_client(k, group);
    bool member = rk != NULL;
    if (!rk)
        rk = group_client(k, group, err);
    if (!rk)
        return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(t->n_pos - i);
    for (int j = i; j < t->n_pos; j++) {
        if (done[j] || strcmp(t->pos[j].group, group))
            continue;
        rd_kafka_topic_partition_list_add(l, t->pos[j].topic, t->pos[j].partition)->offset =
            t->pos[j].offset;
        done[j] = true;
    }
    rd_kafka_resp_err_t e;
    int64_t deadline = mono_ms() + k->timeout_ms;
    for (;;) {
        e = rd_kafka_commit(rk, l, 0);
        for (int j = 0; !e && j < l->cnt; j++)
            e = l->elems[j].err;
        /* a rebalance under way (the group's generation is changing): the
         * commit goes through once this member has joined the new one */
        if (!commit_retriable(e) || mono_ms() > deadline)
            break;
        sleep_ms(100);
        for (int j = 0; j < l->cnt; j++)
            l->elems[j].err = 0;
    }
    rd_kafka_topic_partition_list_destroy(l);
    /* a member still refused: its partitions move on (librdkafka revokes
     * them as lost) */
    bool gone = member_gone(e) || (member && e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);
    if (e)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%scommitting the positions of group %s: %s",
                            gone ? MOVED : "", group, rd_kafka_err2str(e));
    return 0;
}

/*
 * Produces r again on its own and waits for its delivery report: 0 when
 * delivered (its offset noted in `into` when that keeps offsets), 1 when
 * its timestamp is refused again, -1 with err on any other failure. One
 * record at a time through k->lone, a producer that sends nothing else,
 * so its produce request holds this record alone.
 */
static int produce_alone(klog *k, const krefused *r, ktrack *into, sl_error *err)
{
    ktrack *tr = track_new();
    pthread_mutex_lock(&into->mu);
    tr->track_offsets = into->track_offsets;
    pthread_mutex_unlock(&into->mu);
    pthread_mutex_lock(&k->lone_mu);
    if (!k->lone)
        k->lone = new_client(k, KIND_PRODUCER, NULL, err);
    int rc = k->lone ? produce_one(k, k->lone, tr, r->topic, r->rec.partition, &r->rec, err) : -1;
    int64_t deadline = mono_ms() + k->timeout_ms;
    for (int out = 1; !rc && out;) {
        pthread_mutex_lock(&tr->mu);
        out = tr->outstanding;
        pthread_mutex_unlock(&tr->mu);
        if (out && mono_ms() > deadline)
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                              "delivery to %s partition %d: no delivery report within %d ms",
                              r->topic, (int)r->rec.partition, k->timeout_ms);
        else if (out)
            rd_kafka_flush(k->lone, FLUSH_SLICE_MS);
    }
    pthread_mutex_unlock(&k->lone_mu);
    if (!rc) {
        pthread_mutex_lock(&tr->mu);
        if (tr->err == RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP)
            rc = 1;
        else if (tr->err)
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s", tr->msg);
        pthread_mutex_unlock(&tr->mu);
    }
    if (!rc && tr->n_dv) {
        pthread_mutex_lock(&into->mu);
        note_offset(into, tr->dv[0].topic, tr->dv[0].partition, tr->dv[0].last_offset);
        pthread_mutex_unlock(&into->mu);
    }
    track_release(tr);
    return rc;
}

/*
 * At-least-once, the records of t the broker refused for their timestamp
 * (the check at the append passed them: the broker's clock is not this
 * machine's, or the topic's settings changed). The broker drops a produce
 * request's batch whole for one bad timestamp, so good records that shared
 * it were refused with it: each is produced again on its own. One refused
 * again is a bad record: t's handler (sl_log_txn_on_refused) gets it and
 * may append to t (those deliveries are awaited here); without a handler
 * the commit fails with SL_ERR_REFUSED. Any other failure fails it too.
 * Records tried again land after those of later batches of their
 * partition (at-least-once promises no more).
 */
static int retry_refused(klog *k, ktxn *t, sl_error *err)
{
    pthread_mutex_lock(&t->tr->mu);
    krefused *rs = t->tr->refused;
    int n = t->tr->n_refused;
    t->tr->refused = NULL;
    t->tr->n_refused = t->tr->cap_refused = 0;
    t->tr->keep_refused = false;    /* from here on a refusal fails the commit */
    pthread_mutex_unlock(&t->tr->mu);
    int rc = 0;
    bool told = false;
    for (int i = 0; !rc && i < n; i++) {
        krefused *r = &rs[i];
        int got = produce_alone(k, r, t->tr, err);
        if (got <= 0) {
            rc = got;
            continue;
        }
        forget_times(k, r->topic);
        char tt[32], reason[400];
        snprintf(reason, sizeof reason,
                 "the broker refused timestamp %lld (%s) for topic %s partition %d on delivery "
                 "(%s): its clock is not this machine's, or the topic's "
                 "message.timestamp.* settings changed",
                 (long long)r->rec.timestamp, utc_text(tt, r->rec.timestamp), r->topic,
                 (int)r->rec.partition, rd_kafka_err2str(RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP));
        if (t->refused) {
            rc = t->refused(t->refused_ud, &t->base, r->topic, &r->rec, reason, err);
            told = true;
        } else {
            rc = sl_error_set(err, SL_ERR_REFUSED, SL_NOSPAN, "%s", reason);
        }
    }
    for (int i = 0; i < n; i++)
        refused_free(&rs[i]);
    free(rs);
    if (!rc && told)
        await_deliveries(k, t, false);
    return rc;
}

static void kafka_txn_on_refused(sl_log_txn *base, sl_log_refused_cb cb, void *ud)
{
    ktxn *t = (ktxn *)base;
    t->refused = cb;
    t->refused_ud = ud;
}

static kpart *get_part(klog *k, const char *topic, int32_t partition);

/*
 * Exactly-once, after a commit: the broker writes a transaction's markers
 * after commit_transaction has returned, so for a moment the end offset
 * (the last stable offset) stays below the records just committed. Each
 * partition written keeps the end the commit implies (kpart.own_end), so
 * that this process reads its own commits in the end offsets it asks for:
 * a statement's offset in the command topic names its queries, and a
 * name taken from a stale end would differ from the one a replay gives.
 */
static void note_own_ends(klog *k, ktrack *tr)
{
    pthread_mutex_lock(&tr->mu);
    for (int i = 0; i < tr->n_dv; i++) {
        kpart *p = get_part(k, tr->dv[i].topic, tr->dv[i].partition);
        if (!p)
            continue;
        int64_t want = tr->dv[i].last_offset + 2, have = atomic_load(&p->own_end);
        while (have < want && !atomic_compare_exchange_weak(&p->own_end, &have, want))
            ;
    }
    pthread_mutex_unlock(&tr->mu);
}

static int kafka_txn_commit(sl_log_txn *base, sl_error *err)
{
    ktxn *t = (ktxn *)base;
    klog *k = (klog *)base->log;
    int rc = 0;
    if (t->st) {
        /* the changelog records, checked with the outputs; their offsets
         * become the local state's checkpoints */
        pthread_mutex_lock(&t->tr->mu);
        t->tr->track_offsets = true;
        pthread_mutex_unlock(&t->tr->mu);
        rc = sl_kafka_state_txn_produce(t->st, base, err);
    }
    /* exactly-once: positions alone still make a Kafka transaction */
    if (!rc && t->n_pos)
        rc = txn_start(k, t, err);
    /* every delivery report of this transaction, whatever thread serves it */
    await_deliveries(k, t, false);
    if (!rc && !k->eos)
        rc = retry_refused(k, t, err);
    pthread_mutex_lock(&t->tr->mu);
    if (!rc && t->tr->err)
        rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s", t->tr->msg);
    pthread_mutex_unlock(&t->tr->mu);
    if (k->eos) {
        rc = txn_end_kafka(k, t, rc, err);
    } else if (!rc && t->n_pos) {
        bool *done = xcalloc((size_t)t->n_pos, sizeof *done);
        for (int i = 0; !rc && i < t->n_pos; i++)
            if (!done[i])
                rc = commit_group(k, t, i, done, err);
        free(done);
    }
    bool kafka_ok = rc == 0;
    if (t->st) {
        /* local state only once Kafka has the commit (see kafka_state.c) */
        sl_error ignored;
        if (sl_kafka_state_txn_finish(t->st, kafka_ok, t->tr->dv, t->tr->n_dv,
                                      kafka_ok ? err : &ignored))
            rc = -1;
        t->st = NULL;
    }
    if (kafka_ok && k->eos)
        note_own_ends(k, t->tr);
    txn_free(t);
    if (kafka_ok)
        bump_seq(k);
    return rc;
}

/* ---- the raw keyspaces: log/kafka_state.c ---- */

static int kafka_txn_put_raw(sl_log_txn *base, const char *space, const void *key,
                             size_t key_len, const void *val, size_t val_len, sl_error *err)
{
    ktxn *t = (ktxn *)base;
    return sl_kafka_state_put(((klog *)base->log)->state, &t->st, space, key, key_len, val,
                              val_len, err);
}

static int kafka_txn_delete_range_raw(sl_log_txn *base, const char *space, const void *lo,
                                      size_t lo_len, const void *hi, size_t hi_len,
                                      sl_error *err)
{
    ktxn *t = (ktxn *)base;
    return sl_kafka_state_delete_range(((klog *)base->log)->state, &t->st, space, lo, lo_len,
                                       hi, hi_len, err);
}

static int kafka_get_raw(sl_log *log, const char *space, const void *key, size_t key_len,
                         sl_arena *a, const void **val, size_t *val_len, sl_error *err)
{
    return sl_kafka_state_get(((klog *)log)->state, space, key, key_len, a, val, val_len, err);
}

static sl_log_iter *kafka_scan_raw(sl_log *log, const char *space, const void *lo,
                                   size_t lo_len, const void *hi, size_t hi_len, sl_error *err)
{
    return sl_kafka_state_scan(((klog *)log)->state, space, lo, lo_len, hi, hi_len, err);
}

/* At-least-once, records already handed to the producer cannot be taken
 * back (see the top of this file); positions are dropped. Exactly-once,
 * the Kafka transaction is aborted. */
static void kafka_txn_abort(sl_log_txn *base)
{
    ktxn *t = (ktxn *)base;
    klog *k = (klog *)base->log;
    if (t->pr) {
        if (!atomic_load(&k->is_broken))
            txn_abort_kafka(k, t);
        prod_release(k, t->pr);
        t->pr = NULL;
    }
    txn_free(t);
}

/* ------------------------------------------------------------------ */
/* reading                                                             */

/* The reader state of topic/partition, created on first use. */
static kpart *get_part(klog *k, const char *topic, int32_t partition)
{
    pthread_mutex_lock(&k->mu);
    kpart *p;
    for (p = k->parts; p; p = p->link)
        if (p->partition == partition && !strcmp(p->topic, topic))
            break;
    if (!p) {
        p = xcalloc(1, sizeof *p);
        p->stall = -1;
        p->eof = -1;
        atomic_init(&p->own_end, -1);
        p->topic = xstrdup(topic);
        p->partition = partition;
        p->rkt = rd_kafka_topic_new(k->reader, topic, NULL);
        pthread_mutex_init(&p->mu, NULL);
        p->link = k->parts;
        k->parts = p;
    }
    pthread_mutex_unlock(&k->mu);
    return p->rkt ? p : NULL;
}

/* Copies a message into the arena as a record, its headers only when
 * asked for: librdkafka parses them on the first request, allocating a
 * list per message, a cost worth sparing a reader that never looks. */
static void copy_message(const rd_kafka_message_t *m, bool headers, sl_arena *a, sl_record *r)
{
    memset(r, 0, sizeof *r);
    if (m->key) {
        r->key_len = (int32_t)m->key_len;
        void *kb = sl_arena_alloc(a, m->key_len ? m->key_len : 1);
        memcpy(kb, m->key, m->key_len);
        r->key = kb;
    } else {
        r->key_len = -1;
    }
    if (m->payload) {
        r->value_len = (int32_t)m->len;
        void *vb = sl_arena_alloc(a, m->len ? m->len : 1);
        memcpy(vb, m->payload, m->len);
        r->value = vb;
    } else {
        r->value_len = -1;
    }
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    r->timestamp = ts >= 0 ? ts : 0;
    r->partition = m->partition;
    r->offset = m->offset;
    rd_kafka_headers_t *h = NULL;
    if (headers && rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR && h) {
        size_t cnt = rd_kafka_header_cnt(h);
        sl_log_header *hs = sl_arena_zalloc(a, sizeof *hs * (cnt ? cnt : 1));
        for (size_t i = 0; i < cnt; i++) {
            const char *name;
            const void *val;
            size_t sz;
            if (rd_kafka_header_get_all(h, i, &name, &val, &sz))
                break;
            hs[i].key_len = strlen(name);
            hs[i].key = sl_arena_strndup(a, name, hs[i].key_len);
            if (val) {
                void *vb = sl_arena_alloc(a, sz ? sz : 1);
                memcpy(vb, val, sz);
                hs[i].value = vb;
                hs[i].value_len = (int32_t)sz;
            } else {
                hs[i].value = NULL;
                hs[i].value_len = -1;
            }
            r->n_headers = (int32_t)i + 1;
        }
        r->headers = hs;
    }
}

/* Errors a fetch reports that a read must fail on (others are transient:
 * librdkafka retries them). */
static bool fatal_fetch_error(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR__FATAL:
        return true;
    default:
        return false;
    }
}

/* One read in progress: what the consume callback fills. */
typedef struct kread {
    klog *k;
    kpart *p;
    int64_t from;               /* records below it are skipped */
    bool headers;               /* copy the records' headers */
    sl_arena *a;
    sl_record *out;
    int got, max;
    int rc;                     /* -1: a fatal fetch error, in err */
    sl_error *err;
} kread;

/*
 * librdkafka's consume callback (it destroys m when this returns): takes
 * one message of the partition's fetch queue into the read, the end of
 * the partition (where the fetch found it) or a fetch error (fatal ones
 * fail the read, librdkafka retries the others). Once the read is full,
 * or failed, it yields: the messages not taken go back to the queue's
 * head for the next read.
 */
static void take_message(rd_kafka_message_t *m, void *opaque)
{
    kread *r = opaque;
    kpart *p = r->p;
    if (r->rc < 0 || r->got >= r->max) {
        /* served after a yield (cannot happen: librdkafka stops at it);
         * never dropped silently: the fetch starts over */
        r->rc = r->rc < 0 ? r->rc
                          : sl_error_set(r->err, SL_ERR_INTERNAL, SL_NOSPAN,
                                         "reading %s partition %d: a message past the read",
                                         p->topic, p->partition);
    } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (m->offset >= p->next)
            p->eof = m->offset;
    } else if (m->err) {
        if (fatal_fetch_error(m->err)) {
            char what[300];
            snprintf(what, sizeof what, "reading %s partition %d", p->topic, p->partition);
            r->rc = kerr(r->err, what, m->err);
        }
    } else if (m->offset >= r->from) {
        copy_message(m, r->headers, r->a, &r->out[r->got++]);
        p->next = m->offset + 1;
        p->stall = -1;
    }
    if (r->rc < 0 || r->got >= r->max)
        rd_kafka_yield(r->k->reader);
}

/*
 * Serves what the partition's fetch queue holds into r, waiting up to
 * timeout_ms for the first message: rd_kafka_consume_callback takes the
 * whole queue under one lock and hands the messages over one by one
 * (rd_kafka_consume_batch locks the queue, which the fetching thread
 * fills, once per message). Returns the messages served (records, ends,
 * errors), 0 when none came.
 */
static int serve_part(kread *r, int timeout_ms)
{
    int n = rd_kafka_consume_callback(r->p->rkt, r->p->partition, timeout_ms, take_message, r);
    if (n < 0 && r->rc == 0)
        r->rc = sl_error_set(r->err, SL_ERR_IO, SL_NOSPAN, "reading %s partition %d: %s",
                             r->p->topic, r->p->partition,
                             rd_kafka_err2str(rd_kafka_last_error()));
    return n > 0 ? n : 0;
}

static int kafka_read(sl_log *log, const char *topic, int32_t partition, int64_t from, int max,
                      unsigned flags, sl_arena *a, sl_record *out, int *n, sl_error *err)
{
    klog *k = (klog *)log;
    *n = 0;
    if (!topic || check_partition(k, topic, partition, err))
        return -1;
    if (max <= 0)
        return 0;
    kpart *p = get_part(k, topic, partition);
    if (!p)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "reading %s: %s", topic,
                            rd_kafka_err2str(rd_kafka_last_error()));
    pthread_mutex_lock(&p->mu);
    bool fresh = false;
    /* a read from an offset in [next, eof] continues the fetch: nothing
     * readable lies between */
    bool continues = p->started && (p->next == from || (from > p->next && from <= p->eof));
    if (!continues) {
        if (p->started)
            rd_kafka_consume_stop(p->rkt, partition);
        p->started = false;
        if (rd_kafka_consume_start(p->rkt, partition, from >= 0 ? from : RD_KAFKA_OFFSET_BEGINNING)) {
            pthread_mutex_unlock(&p->mu);
            return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "reading %s partition %d: %s", topic,
                                partition, rd_kafka_err2str(rd_kafka_last_error()));
        }
        p->started = true;
        p->next = from;
        p->eof = -1;
        fresh = true;
    }
    kread r = {k, p, from, !(flags & SL_LOG_READ_NO_HEADERS), a, out, 0, max, 0, err};
    int64_t t0 = mono_ms();
    while (r.got < max && r.rc == 0) {
        if (serve_part(&r, 0) > 0)
            continue;
        if (r.got > 0)
            break;      /* what was ready; no waiting for more */
        /* nothing ready: wait for the first record, longer while the
         * partition has just been started or its fetched high watermark
         * says there are records at or after `from` (callers that read up
         * to an end offset count on that), but not twice in vain at one
         * offset: offsets may hold no record (transaction markers) */
        int64_t now = mono_ms();
        if (now - t0 >= READ_WAIT_MS) {
            int64_t lo = -1, hi = -1;
            rd_kafka_get_watermark_offsets(k->reader, topic, partition, &lo, &hi);
            int64_t limit = READ_WAIT_MS;
            /* the fetch has reached hi: what lies below holds no record */
            bool at_end = p->eof >= 0 && hi >= 0 && p->eof >= hi;
            if (p->stall != from && !at_end) {
                if (hi > from)
                    limit = BEHIND_WAIT_MS;
                else if (fresh && hi < 0)
                    limit = START_WAIT_MS;
                if (limit > k->timeout_ms)
                    limit = k->timeout_ms;
            }
            if (now - t0 >= limit) {
                if (hi > from)
                    p->stall = from;
                break;
            }
        }
        serve_part(&r, WAIT_SLICE_MS);
    }
    if (r.rc) {
        /* start over at the next read */
        rd_kafka_consume_stop(p->rkt, partition);
        p->started = false;
    }
    pthread_mutex_unlock(&p->mu);
    *n = r.rc ? 0 : r.got;
    return r.rc;
}

/* Whether the reader's fetch of topic/partition, continuing where the last
 * read stopped, found the partition's end at or past `end`: the offsets
 * between hold no readable record (transaction markers, records of aborted
 * transactions, compacted ones), so a read there finds nothing. False while
 * the fetch has not got there: an empty read then is no proof (records may
 * be on their way). */
static bool kafka_read_at_end(sl_log *log, const char *topic, int32_t partition, int64_t end)
{
    kpart *p = find_part((klog *)log, topic, partition);
    if (!p)
        return false;
    pthread_mutex_lock(&p->mu);
    bool done = p->started && p->eof >= end;
    pthread_mutex_unlock(&p->mu);
    return done;
}

/* Errors that answer a partition's leadership changing (or not complete
 * yet): worth asking again. */
static bool leader_moving(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
        return true;
    default:
        return false;
    }
}

/* The end offset this process's commits imply for topic/partition (see
 * note_own_ends); -1 none. */
static int64_t own_end(klog *k, const char *topic, int32_t partition)
{
    kpart *p = find_part(k, topic, partition);
    return p ? atomic_load(&p->own_end) : -1;
}

static int kafka_offsets(sl_log *log, const char *topic, int32_t partition, int64_t *start,
                         int64_t *end, sl_error *err)
{
    klog *k = (klog *)log;
    *start = *end = -1;
    if (!topic || check_partition(k, topic, partition, err))
        return -1;
    /* a broker answers "not leader" for a moment after a topic is created
     * (its metadata shows the new leader before the partition is up) and
     * while leadership moves: asked again until timeout_ms passes */
    int64_t lo = -1, hi = -1, deadline = mono_ms() + k->timeout_ms;
    int64_t own = own_end(k, topic, partition), marker_by = mono_ms() + MARKER_WAIT_MS;
    rd_kafka_resp_err_t e;
    for (;;) {
        int64_t left = deadline - mono_ms();
        e = rd_kafka_query_watermark_offsets(k->reader, topic, partition, &lo, &hi,
                                             left > 0 ? (int)left : 1);
        if (!e && hi < own && mono_ms() < marker_by && mono_ms() + 50 < deadline) {
            /* the marker of this process's last commit is not written yet */
            sleep_ms(20);
            continue;
        }
        if (e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION && mono_ms() + 50 < deadline) {
            /* a partition another worker just added (CreatePartitions):
             * the reader learns of it from fresh metadata */
            refresh_metadata(k, k->reader, topic);
            continue;
        }
        if (!leader_moving(e) || mono_ms() + 50 >= deadline)
            break;
        sleep_ms(50);
    }
    if (e) {
        char what[300];
        snprintf(what, sizeof what, "offsets of %s partition %d", topic, partition);
        return kerr(err, what, e);
    }
    *start = lo;
    *end = hi;
    return 0;
}

static int64_t kafka_position(sl_log *log, const char *group, const char *topic,
                              int32_t partition)
{
    klog *k = (klog *)log;
    sl_error err;
    if (!group || !topic || partition < 0)
        return -1;
    rd_kafka_t *rk = group_client(k, group, &err);
    if (!rk)
        return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, k->timeout_ms);
    int64_t off = e || l->elems[0].err ? -1 : l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    /* a query that read everything is at the end offset, also when the
     * fetch found the transaction marker after its last record only after
     * the position was committed */
    return off >= 0 ? skip_recordless(k, topic, partition, off) : -1;
}

/* ------------------------------------------------------------------ */
/* waiting, retention                                                  */

static uint64_t kafka_commit_seq(sl_log *log)
{
    klog *k = (klog *)log;
    pthread_mutex_lock(&k->seq_mu);
    uint64_t s = k->seq;
    pthread_mutex_unlock(&k->seq_mu);
    return s;
}

static int kafka_wait_since(sl_log *log, uint64_t seq, int timeout_ms)
{
    klog *k = (klog *)log;
    return sl_log_wait_change(&k->seq_mu, &k->seq_cv, &k->seq, seq, timeout_ms);
}

/* The broker enforces retention. */
static int64_t kafka_enforce_retention(sl_log *log, int64_t now_ms, sl_error *err)
{
    return 0;
}

/* ------------------------------------------------------------------ */
/* membership                                                          */

enum { POLL_MS = 50 };         /* the members are polled this often */

/* The member consumer of group, NULL when this process did not join it.
 * The handle stays valid while its group's positions are committed: the
 * runtime leaves a group only once its query committed for the last time. */
static rd_kafka_t *member_client(klog *k, const char *group)
{
    pthread_mutex_lock(&k->mu);
    kmember *m = k->members;
    while (m && strcmp(m->group, group))
        m = m->link;
    rd_kafka_t *rk = m ? m->rk : NULL;
    pthread_mutex_unlock(&k->mu);
    return rk;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The partitions of l, sorted, into *out (malloc'ed); their count. */
static int sorted_partitions(const rd_kafka_topic_partition_list_t *l, int32_t **out)
{
    int32_t *v = xcalloc((size_t)(l ? l->cnt : 0) + 1, sizeof *v);
    int n = 0;
    for (int i = 0; l && i < l->cnt; i++)
        v[n++] = l->elems[i].partition;
    qsort(v, (size_t)n, sizeof *v, cmp_i32);
    *out = v;
    return n;
}

static void format_partitions(char *buf, size_t cap, const int32_t *v, int n)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < n && at + 16 < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%d", i ? "," : "", (int)v[i]);
    if (!n)
        snprintf(buf, cap, "none");
}

/* One line on stderr per change: which worker owns what is visible in
 * each worker's log. */
static void say_owned(rd_kafka_t *rk, const char *group, const char *verb,
                      const int32_t *changed, int n)
{
    rd_kafka_topic_partition_list_t *now = NULL;
    if (rd_kafka_assignment(rk, &now))
        now = NULL;
    int32_t *owned;
    int no = sorted_partitions(now, &owned);
    char c[200], o[200];
    format_partitions(c, sizeof c, changed, n);
    format_partitions(o, sizeof o, owned, no);
    fprintf(stderr, "sluice: group %s: partitions %s %s; this worker owns partitions %s\n",
            group, c, verb, o);
    free(owned);
    if (now)
        rd_kafka_topic_partition_list_destroy(now);
}

/*
 * librdkafka's rebalance callback, on the poll thread (from
 * rd_kafka_consumer_poll, with poll_mu held). Cooperative: only the
 * partitions that move are named. Assigned ones are taken (and paused:
 * reads go through the reader), then the runtime is told; revoked ones are
 * given back only after the runtime committed what it had open for them,
 * so the next owner starts at the last position this worker wrote.
 */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    klog *k = opaque;
    sl_log_rebalance_cb cb = NULL;
    void *ud = NULL;
    char group[256] = "";
    pthread_mutex_lock(&k->mu);
    for (kmember *m = k->members; m; m = m->link)
        if (m->rk == rk) {
            cb = m->cb;
            ud = m->ud;
            snprintf(group, sizeof group, "%s", m->group);
            if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
                atomic_store(&m->assigned, true);
        }
    pthread_mutex_unlock(&k->mu);
    int32_t *v;
    int n = sorted_partitions(parts, &v);
    rd_kafka_error_t *err = NULL;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        err = rd_kafka_incremental_assign(rk, parts);
        if (!err) {
            rd_kafka_pause_partitions(rk, parts);
            if (cb && n) {
                say_owned(rk, group, "assigned", v, n);
                cb(ud, SL_LOG_ASSIGNED, v, n);
            }
        }
    } else if (e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        bool lost = rd_kafka_assignment_lost(rk);
        if (cb && n)
            cb(ud, lost ? SL_LOG_LOST : SL_LOG_REVOKED, v, n);
        err = rd_kafka_incremental_unassign(rk, parts);
        if (cb && n)
            say_owned(rk, group, lost ? "lost" : "revoked", v, n);
    } else {
        fprintf(stderr, "sluice: group %s: rebalance failed: %s\n", group, rd_kafka_err2str(e));
    }
    if (err) {
        fprintf(stderr, "sluice: group %s: %s partitions: %s\n", group,
                e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "taking" : "giving back",
                rd_kafka_error_string(err));
        rd_kafka_error_destroy(err);
    }
    free(v);
}

/* Serves one member: rebalances, errors; a message (there should be none:
 * its partitions are paused) is dropped, the reader reads it. */
static void poll_member(rd_kafka_t *rk)
{
    rd_kafka_message_t *m;
    while ((m = rd_kafka_consumer_poll(rk, 0)))
        rd_kafka_message_destroy(m);
}

/*
 * The poll thread: librdkafka runs a member's rebalances (and the
 * runtime's commits on revocation) in rd_kafka_consumer_poll, which must
 * also be called within max.poll.interval.ms or the member is thrown out.
 */
static void *poll_main(void *arg)
{
    klog *k = arg;
    while (!atomic_load(&k->stop_poll)) {
        pthread_mutex_lock(&k->poll_mu);
        for (int i = 0;; i++) {
            /* the i-th member now (the list changes only under poll_mu
             * too, so the handle stays alive while it is polled) */
            pthread_mutex_lock(&k->mu);
            kmember *m = k->members;
            for (int j = 0; m && j < i; j++)
                m = m->link;
            rd_kafka_t *rk = m ? m->rk : NULL;
            pthread_mutex_unlock(&k->mu);
            if (!rk)
                break;
            poll_member(rk);
        }
        pthread_mutex_unlock(&k->poll_mu);
        sleep_ms(POLL_MS);
    }
    return NULL;
}

static void kafka_member_leave_impl(klog *k, const char *group);

static int kafka_member_join(sl_log *log, const char *group, const char *topic,
                             sl_log_rebalance_cb cb, void *ud, sl_error *err)
{
    klog *k = (klog *)log;
    if (!group || !*group || !topic || !cb)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "joining a group: no group, topic "
                            "or callback");
    if (member_client(k, group))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "group %s joined twice", group);
    rd_kafka_t *rk = new_client(k, KIND_MEMBER, group, err);
    if (!rk)
        return -1;
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        rd_kafka_destroy(rk);
        return kerr(err, "subscribing to the input", e);
    }
    kmember *m = xcalloc(1, sizeof *m);
    m->group = xstrdup(group);
    m->topic = xstrdup(topic);
    m->rk = rk;
    m->cb = cb;
    m->ud = ud;
    pthread_mutex_lock(&k->poll_mu);
    pthread_mutex_lock(&k->mu);
    m->link = k->members;
    k->members = m;
    pthread_mutex_unlock(&k->mu);
    int rc = 0;
    if (!k->polling) {
        atomic_store(&k->stop_poll, false);
        if (pthread_create(&k->poller, NULL, poll_main, k))
            rc = sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "cannot start a thread");
        else
            k->polling = true;
    }
    pthread_mutex_unlock(&k->poll_mu);
    if (rc)
        kafka_member_leave_impl(k, group);
    return rc ? -1 : 1;
}

enum { FIRST_ASSIGN_WAIT_MS = 10000 };

/* Parks a member that must not be destroyed (member_close). */
static void member_park(klog *k, rd_kafka_t *rk)
{
    rd_kafka_t **np = realloc(k->parked, sizeof *np * (size_t)(k->n_parked + 1));
    if (!np)
        abort();
    k->parked = np;
    k->parked[k->n_parked++] = rk;
}

/*
 * Closes a member (under poll_mu, unlinked, so its callbacks find no
 * runtime). One that has had an assignment leaves the group (its
 * partitions go to the others at once, not after the session timeout)
 * and is destroyed.
 * One that has not: librdkafka before 2.3 aborts in rd_kafka_destroy when
 * a cooperative-sticky consumer has taken a JoinGroup answer (which picks
 * its assignor) but no SyncGroup answer yet (which makes the assignor's
 * state): librdkafka issue 4312. Which rebalance protocol it has tells:
 * "NONE" means no JoinGroup answer was taken, so it is destroyed at once
 * without leaving (RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE: a LeaveGroup
 * would wait, up to its 5 s timeout, behind the JoinGroup the coordinator
 * holds until the rebalance ends; the group forgets the member after its
 * session timeout, as a killed worker's; only an answer taken in the
 * instant between the question and the destroy could still trip it).
 * Otherwise (between the two
 * answers, milliseconds) it waits for its assignment until deadline,
 * polled here, and one that still has none is closed but never
 * destroyed: it stays with the log (k->parked), which is then never freed
 * either (its callbacks name it).
 */
static void member_close(klog *k, kmember *m, int64_t deadline)
{
    if (!atomic_load(&m->assigned)) {
        const char *proto = rd_kafka_rebalance_protocol(m->rk);
        if (proto && !strcmp(proto, "NONE")) {
            rd_kafka_destroy_flags(m->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
            goto out;
        }
        pthread_mutex_lock(&k->mu);
        m->link = k->members;       /* found by the callback, which notes it */
        k->members = m;
        m->cb = NULL;
        pthread_mutex_unlock(&k->mu);
        while (!atomic_load(&m->assigned) && mono_ms() < deadline) {
            rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->rk, 50);
            if (msg)
                rd_kafka_message_destroy(msg);
        }
        pthread_mutex_lock(&k->mu);
        kmember **pp = &k->members;
        while (*pp && *pp != m)
            pp = &(*pp)->link;
        if (*pp)
            *pp = m->link;
        pthread_mutex_unlock(&k->mu);
    }
    rd_kafka_consumer_close(m->rk);
    if (atomic_load(&m->assigned))
        rd_kafka_destroy(m->rk);
    else
        member_park(k, m->rk);
out:
    free(m->group);
    free(m->topic);
    free(m);
}

static void kafka_member_leave_impl(klog *k, const char *group)
{
    pthread_mutex_lock(&k->poll_mu);       /* no callback runs now */
    pthread_mutex_lock(&k->mu);
    kmember **pp = &k->members;
    while (*pp && strcmp((*pp)->group, group))
        pp = &(*pp)->link;
    kmember *m = *pp;
    if (m)
        *pp = m->link;      /* its closing revocation finds no callback */
    pthread_mutex_unlock(&k->mu);
    if (m)
        member_close(k, m, mono_ms() + FIRST_ASSIGN_WAIT_MS);
    pthread_mutex_unlock(&k->poll_mu);
}

static void kafka_member_leave(sl_log *log, const char *group)
{
    if (group)
        kafka_member_leave_impl((klog *)log, group);
}

/* Stops the poll thread and closes every member (at close). */
static void members_free(klog *k)
{
    if (k->polling) {
        atomic_store(&k->stop_poll, true);
        pthread_join(k->poller, NULL);
        k->polling = false;
    }
    int64_t deadline = mono_ms() + FIRST_ASSIGN_WAIT_MS;    /* for all at once */
    while (k->members) {
        kmember *m = k->members;
        k->members = m->link;
        member_close(k, m, deadline);
    }
}

static int kafka_restore_partition(sl_log *log, const char *store, int32_t partition,
                                   sl_error *err)
{
    return sl_kafka_state_restore(((klog *)log)->state, store, partition, err);
}

/* Deletes group (DeleteGroups); a group that is gone already or still has
 * members (another worker runs the query yet) is not an error. */
static int delete_group(klog *k, const char *group, sl_error *err)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->producer);
    rd_kafka_DeleteGroup_t *g = rd_kafka_DeleteGroup_new(group);
    rd_kafka_AdminOptions_t *o = admin_opts(k, RD_KAFKA_ADMIN_OP_DELETEGROUPS);
    rd_kafka_DeleteGroups(k->producer, &g, 1, o, q);
    rd_kafka_DeleteGroup_destroy(g);
    rd_kafka_event_t *ev = admin_wait(k, q, "deleting a consumer group", err);
    int rc = ev ? 0 : -1;
    if (ev) {
        const rd_kafka_DeleteGroups_result_t *r = rd_kafka_event_DeleteGroups_result(ev);
        size_t n = 0;
        const rd_kafka_group_result_t **gr = r ? rd_kafka_DeleteGroups_result_groups(r, &n)
                                               : NULL;
        const rd_kafka_error_t *ge = n ? rd_kafka_group_result_error(gr[0]) : NULL;
        rd_kafka_resp_err_t code = ge ? rd_kafka_error_code(ge) : rd_kafka_event_error(ev);
        if (code && code != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND &&
            code != RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP)
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "deleting consumer group %s: %s", group,
                              ge ? rd_kafka_error_string(ge) : rd_kafka_err2str(code));
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* One row list_groups collects: a committed position (partition >= 0) or
 * a member reading the topic (partition -1). */
typedef struct grow {
    const char *group, *topic;      /* in the caller's arena */
    int32_t partition;
    int64_t next;
} grow;

typedef struct growv {
    grow *v;
    size_t n, cap;
} growv;

static void grow_add(growv *gv, const char *group, const char *topic, int32_t partition,
                     int64_t next)
{
    if (gv->n == gv->cap) {
        gv->cap = gv->cap ? 2 * gv->cap : 32;
        gv->v = realloc(gv->v, gv->cap * sizeof *gv->v);
        if (!gv->v)
            abort();
    }
    gv->v[gv->n++] = (grow){group, topic, partition, next};
}

static int cmp_grow(const void *a, const void *b)
{
    const grow *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    c = c ? c : strcmp(x->group, y->group);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* The ids of every consumer group of the cluster (ListGroups) into a. */
static int group_ids(klog *k, sl_arena *a, const char ***ids, size_t *n, sl_error *err)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->producer);
    rd_kafka_AdminOptions_t *o = admin_opts(k, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_ListConsumerGroups(k->producer, o, q);
    rd_kafka_event_t *ev = admin_wait(k, q, "listing consumer groups", err);
    int rc = ev ? 0 : -1;
    *n = 0;
    if (ev) {
        const rd_kafka_ListConsumerGroups_result_t *r = rd_kafka_event_ListConsumerGroups_result(ev);
        size_t cnt = 0, nerr = 0;
        const rd_kafka_ConsumerGroupListing_t **l = rd_kafka_ListConsumerGroups_result_valid(r, &cnt);
        const rd_kafka_error_t **es = rd_kafka_ListConsumerGroups_result_errors(r, &nerr);
        if (nerr)   /* a broker that did not answer: its groups would be missing */
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "listing consumer groups: %s",
                              rd_kafka_error_string(es[0]));
        *ids = sl_arena_alloc(a, (cnt ? cnt : 1) * sizeof **ids);
        for (size_t i = 0; !rc && i < cnt; i++)
            (*ids)[(*n)++] = sl_arena_strdup(a, rd_kafka_ConsumerGroupListing_group_id(l[i]));
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* A row per (member, topic it is assigned partitions of) of the groups;
 * topic names copied into a. */
static int group_members(klog *k, const char **ids, size_t n, sl_arena *a, growv *gv,
                         sl_error *err)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->producer);
    rd_kafka_AdminOptions_t *o = admin_opts(k, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_DescribeConsumerGroups(k->producer, ids, n, o, q);
    rd_kafka_event_t *ev = admin_wait(k, q, "describing consumer groups", err);
    int rc = ev ? 0 : -1;
    if (ev) {
        size_t cnt = 0;
        const rd_kafka_ConsumerGroupDescription_t **d = rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
            if (rd_kafka_ConsumerGroupDescription_error(d[i]))
                continue;   /* gone meanwhile */
            const char *gid = rd_kafka_ConsumerGroupDescription_group_id(d[i]);
            const char *group = NULL;
            for (size_t j = 0; j < n && !group; j++)
                group = strcmp(ids[j], gid) ? NULL : ids[j];
            size_t nm = rd_kafka_ConsumerGroupDescription_member_count(d[i]);
            for (size_t m = 0; group && m < nm; m++) {
                const rd_kafka_topic_partition_list_t *l = rd_kafka_MemberAssignment_partitions(
                    rd_kafka_MemberDescription_assignment(
                        rd_kafka_ConsumerGroupDescription_member(d[i], m)));
                for (int e = 0; l && e < l->cnt; e++) {
                    bool seen = false;  /* one row per topic of this member */
                    for (int f = 0; f < e && !seen; f++)
                        seen = !strcmp(l->elems[f].topic, l->elems[e].topic);
                    if (!seen)
                        grow_add(gv, group, sl_arena_strdup(a, l->elems[e].topic), -1, -1);
                }
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* A row per committed position of group (OffsetFetch of all its partitions);
 * topic names copied into a. */
static int group_offsets(klog *k, const char *group, sl_arena *a, growv *gv, sl_error *err)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->producer);
    rd_kafka_AdminOptions_t *o = admin_opts(k, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_ListConsumerGroupOffsets_t *lo = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
    rd_kafka_ListConsumerGroupOffsets(k->producer, &lo, 1, o, q);
    rd_kafka_ListConsumerGroupOffsets_destroy(lo);
    rd_kafka_event_t *ev = admin_wait(k, q, "listing a consumer group's offsets", err);
    int rc = ev ? 0 : -1;
    if (ev) {
        size_t cnt = 0;
        const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(ev), &cnt);
        const rd_kafka_topic_partition_list_t *l =
            cnt && !rd_kafka_group_result_error(gr[0]) ? rd_kafka_group_result_partitions(gr[0])
                                                       : NULL;
        const char *last = NULL;    /* the last topic copied (offsets come by topic) */
        for (int i = 0; l && i < l->cnt; i++) {
            const rd_kafka_topic_partition_t *tp = &l->elems[i];
            if (tp->err || tp->offset < 0)
                continue;
            if (!last || strcmp(last, tp->topic))
                last = sl_arena_strdup(a, tp->topic);
            grow_add(gv, group, last, tp->partition, tp->offset);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* Every group's positions and members per topic (log.h): ListGroups, then
 * DescribeGroups for the members' assignments and OffsetFetch per group. */
static int kafka_list_groups(sl_log *log, sl_arena *a, sl_log_group **out, int *n, sl_error *err)
{
    klog *k = (klog *)log;
    const char **ids = NULL;
    size_t nid = 0;
    growv gv = {0};
    const struct rd_kafka_metadata *md;
    if (all_metadata(k, &md, err))
        return -1;
    bool ctl = has_controller(k, md);
    rd_kafka_metadata_destroy(md);
    if (!ctl)   /* librdkafka's mock cluster: no ListGroups (asking leaks in librdkafka) */
        return sl_error_set(err, SL_ERR_UNSUPPORTED, SL_NOSPAN,
                            "the Kafka cluster at %s does not list consumer groups",
                            k->bootstrap);
    if (group_ids(k, a, &ids, &nid, err))
        return -1;
    int rc = nid ? group_members(k, ids, nid, a, &gv, err) : 0;
    for (size_t i = 0; !rc && i < nid; i++)
        rc = group_offsets(k, ids[i], a, &gv, err);
    if (rc) {
        free(gv.v);
        return -1;
    }
    if (gv.n)
        qsort(gv.v, gv.n, sizeof *gv.v, cmp_grow);
    sl_log_group *gs = sl_arena_zalloc(a, (gv.n ? gv.n : 1) * sizeof *gs);
    int ng = 0;
    for (size_t i = 0, j; i < gv.n; i = j) {
        j = i;
        while (j < gv.n && !strcmp(gv.v[j].topic, gv.v[i].topic) &&
               !strcmp(gv.v[j].group, gv.v[i].group))
            j++;
        sl_log_group *g = &gs[ng++];
        g->group = gv.v[i].group;
        g->topic = gv.v[i].topic;
        sl_log_group_position *ps = sl_arena_alloc(a, (j - i) * sizeof *ps);
        for (size_t m = i; m < j; m++) {
            if (gv.v[m].partition < 0)
                g->members++;
            else
                ps[g->n_positions++] = (sl_log_group_position){gv.v[m].partition, gv.v[m].next};
        }
        g->positions = ps;
    }
    free(gv.v);
    *out = gs;
    *n = ng;
    return 0;
}

/* log.h's sl_log_delete_group; the mock cluster takes no DeleteGroups. */
static int kafka_delete_group(sl_log *log, const char *group, sl_error *err)
{
    klog *k = (klog *)log;
    const struct rd_kafka_metadata *md;
    if (!group || !*group)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "deleting a group: no name");
    if (all_metadata(k, &md, err))
        return -1;
    bool ctl = has_controller(k, md);
    rd_kafka_metadata_destroy(md);
    return ctl ? delete_group(k, group, err) : 0;
}

static int kafka_repartition_topic(sl_log *log, const char *query_id, char *out, size_t cap)
{
    char name[MAX_TOPIC_NAME + 1];
    sl_kafka_state_repartition_name(((klog *)log)->state, query_id, name);
    return snprintf(out, cap, "%s", name) < (int)cap ? 1 : 0;
}

/* Records of a repartition topic the query has consumed: deleted through
 * the partition's leader, as Kafka Streams purges its repartition topics. */
static int kafka_delete_records(sl_log *log, const char *topic, int32_t partition,
                                int64_t before, sl_error *err)
{
    klog *k = (klog *)log;
    char what[300];
    snprintf(what, sizeof what, "deleting the records of %s partition %d below offset %lld",
             topic, (int)partition, (long long)before);
    const struct rd_kafka_metadata *md;
    if (all_metadata(k, &md, err))
        return -1;
    bool ctl = has_controller(k, md);
    rd_kafka_metadata_destroy(md);
    if (!ctl)
        return no_controller(k, what, err);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tl, topic, partition)->offset = before;
    rd_kafka_DeleteRecords_t *dr = rd_kafka_DeleteRecords_new(tl);
    rd_kafka_topic_partition_list_destroy(tl);
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->producer);
    rd_kafka_AdminOptions_t *ao = admin_opts(k, RD_KAFKA_ADMIN_OP_DELETERECORDS);
    rd_kafka_DeleteRecords(k->producer, &dr, 1, ao, q);
    rd_kafka_event_t *ev = admin_wait(k, q, what, err);
    int rc = ev ? 0 : -1;
    if (ev) {
        const rd_kafka_topic_partition_list_t *res =
            rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
        rd_kafka_resp_err_t e = res && res->cnt ? res->elems[0].err : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (e)
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s", what, rd_kafka_err2str(e));
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_DeleteRecords_destroy(dr);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* A terminated query's changelog (kafka_state.c), repartition topic and
 * consumer groups (its own and its repartition stage's). */
static int kafka_drop_query(sl_log *log, const char *query_id, sl_error *err)
{
    klog *k = (klog *)log;
    char group[512], topic[MAX_TOPIC_NAME + 1], rows[300], unused[512];
    if (sl_kafka_state_drop_query(k->state, query_id, group, sizeof group, err))
        return -1;
    /* a TABLE's repartitioned aggregation: stage 1's changelog */
    snprintf(rows, sizeof rows, "%s" SL_LOG_TABLE_ROWS_SUFFIX, query_id);
    if (sl_kafka_state_drop_query(k->state, rows, unused, sizeof unused, err))
        return -1;
    sl_kafka_state_repartition_name(k->state, query_id, topic);
    int32_t np = sl_log_kafka_partition_count(log, topic, err);
    if (np < 0)
        return -1;
    if (np > 0 && kafka_delete_topic(log, topic, err)) {
        /* another worker of the service deleted it first, or the mock
         * cluster, which takes no Admin requests */
        if (err->code != SL_ERR_UNSUPPORTED && sl_log_kafka_partition_count(log, topic, err))
            return -1;
        sl_error_clear(err);
    }
    const struct rd_kafka_metadata *md;
    if (all_metadata(k, &md, err))
        return -1;
    bool ctl = has_controller(k, md);
    rd_kafka_metadata_destroy(md);
    if (!ctl)
        return 0;       /* the mock cluster: no Admin API */
    char stage2[sizeof group + sizeof "-repartition"];
    snprintf(stage2, sizeof stage2, "%s-repartition", group);
    return delete_group(k, group, err) || delete_group(k, stage2, err) ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* opening and closing                                                 */

static void klog_free(klog *k)
{
    members_free(k);
    sl_kafka_state_free(k->state);
    for (kpart *p = k->parts, *nx; p; p = nx) {
        nx = p->link;
        if (p->started)
            rd_kafka_consume_stop(p->rkt, p->partition);
        if (p->rkt)
            rd_kafka_topic_destroy(p->rkt);
        pthread_mutex_destroy(&p->mu);
        free(p->topic);
        free(p);
    }
    if (k->reader)
        rd_kafka_destroy(k->reader);
    for (int i = 0; i < k->n_pool; i++) {
        if (k->pool[i]->rk)
            prod_destroy(k->pool[i]->rk);
        free(k->pool[i]);
    }
    free(k->pool);
    free(k->txn_id);
    free(k->slots_file);
    for (kgroup *g = k->groups, *nx; g; g = nx) {
        nx = g->link;
        rd_kafka_destroy(g->rk);
        free(g->name);
        free(g);
    }
    if (k->lone)
        prod_destroy(k->lone);
    if (k->producer) {
        if (rd_kafka_flush(k->producer, k->timeout_ms)) {
            /* undeliverable: purge, so their delivery reports (and the
             * trackers they hold) are served before the handle goes */
            rd_kafka_purge(k->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            rd_kafka_flush(k->producer, 1000);
        }
        rd_kafka_destroy(k->producer);
    }
    for (ktopic *t = k->topics, *nx; t; t = nx) {
        nx = t->link;
        free(t->name);
        free(t);
    }
    for (int i = 0; i < 2 * k->n_props; i++)
        free(k->props[i]);
    free(k->props);
    if (k->n_parked) {
        /* members that could not be destroyed (member_close) still call
         * back with k (its locks, its bootstrap servers in messages): it
         * stays, reachable from here */
        static klog *kept;
        k->link_kept = kept;
        kept = k;
        return;
    }
    free(k->bootstrap);
    free(k->client_id);
    pthread_mutex_destroy(&k->mu);
    pthread_mutex_destroy(&k->seq_mu);
    pthread_mutex_destroy(&k->diag_mu);
    pthread_mutex_destroy(&k->pool_mu);
    pthread_mutex_destroy(&k->lone_mu);
    pthread_mutex_destroy(&k->times_mu);
    pthread_mutex_destroy(&k->poll_mu);
    pthread_cond_destroy(&k->seq_cv);
    free(k);
}

#define UNREACHABLE "cannot reach Kafka at "


/* The first metadata answer, within connect_timeout_ms; else one message
 * with librdkafka's last error (what a user can act on: a refused
 * connection, a name that does not resolve, a TLS or SASL failure). */
static int await_cluster(klog *k, sl_error *err)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(k->producer, 0, NULL, &md, k->connect_timeout_ms);
    if (!e) {
        rd_kafka_metadata_destroy(md);
        return 0;
    }
    char last[sizeof k->last_error];
    pthread_mutex_lock(&k->diag_mu);
    snprintf(last, sizeof last, "%s", k->last_error);
    pthread_mutex_unlock(&k->diag_mu);
    return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                        UNREACHABLE "%s: %s (no answer within %d ms; "
                        "sluice.kafka.connect.timeout.ms sets how long to wait)",
                        k->bootstrap, *last ? last : rd_kafka_err2str(e), k->connect_timeout_ms);
}

/* Exactly-once, at open: the producers of the slots the last process used
 * (at least one), so an earlier process of the service is fenced (its open
 * transactions aborted) before this one reads anything, and a cluster
 * without transactions fails here. */
static int open_slots(klog *k, sl_error *err)
{
    int n = slots_load(k);
    k->slots_known = n;
    if (n < 1)
        n = 1;
    kprod **held = xcalloc((size_t)n, sizeof *held);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = (held[i] = prod_acquire(k, err)) ? 0 : -1;
    for (int i = 0; i < n; i++)
        if (held[i])
            prod_release(k, held[i]);
    free(held);
    return rc;
}

/*
 * Exactly-once: the tag of this worker in the transactional ids (into tag,
 * 17 bytes), so that workers of one service (other data directories) do
 * not fence each other's producers (zombies are fenced by their consumer
 * group's generation instead, KIP-447), while a worker started again on
 * its data directory fences what it left open. Kept in
 * DATA_DIR/kafka-worker-id, made at the first start (with the data
 * directory: on Kafka nothing else may have made it yet). -1 with err when
 * it cannot be kept: without it every worker of the service would use the
 * same ids and fence the others.
 */
static int worker_tag(const char *data_dir, char *tag, sl_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/kafka-worker-id", data_dir);
    tag[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%16[0-9a-f]", tag) != 1)
            tag[0] = 0;
        fclose(f);
        if (strlen(tag) == 16)
            return 0;
    }
    if (sl_log_mkdir_p(data_dir, "the data directory", err))
        return -1;
    unsigned char b[8];
    FILE *r = fopen("/dev/urandom", "rb");
    bool got = r && fread(b, 1, sizeof b, r) == sizeof b;
    if (r)
        fclose(r);
    if (!got)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "exactly-once: cannot make a worker id: /dev/urandom: %s",
                            strerror(errno ? errno : EIO));
    for (int i = 0; i < 8; i++)
        snprintf(tag + 2 * i, 3, "%02x", b[i]);
    f = fopen(path, "w");
    bool kept = f && fprintf(f, "%s\n", tag) > 0;
    int e = errno;
    if (f && fclose(f) && kept) {
        kept = false;
        e = errno;
    }
    if (!kept) {
        tag[0] = 0;
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "exactly-once: cannot keep this worker's id in %s: %s", path,
                            strerror(e));
    }
    return 0;
}

/*
 * glibc's malloc set up for librdkafka's fetching, once per process.
 * The fetching thread allocates each fetched batch's buffers (the
 * response, its LZ4-decompressed records: about a megabyte each) and the
 * reading thread frees them once their records are consumed. glibc's
 * defaults map such a buffer on its own and unmap it at free, or, once
 * its threshold has adapted, give the free top of the fetching thread's
 * heap back to the kernel (MADV_DONTNEED) at every free past 2 MiB: either
 * way the next fetch faults its pages in again, zero-filled (q2 over
 * 200,000 bids: about 9,000 page faults, 4,000 with this, and a tenth of
 * the process's CPU). Buffers below 4 MiB now come from the heaps, and up
 * to 16 MiB of a heap's free top is kept for the next fetch. Settings the
 * user gave glibc (GLIBC_TUNABLES glibc.malloc.*) are left alone.
 */
static void tune_malloc_once(void)
{
#ifdef __GLIBC__
    const char *t = getenv("GLIBC_TUNABLES");
    if (t && strstr(t, "glibc.malloc."))
        return;
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
#endif
}

sl_log *sl_log_open_kafka(const sl_log_kafka_opts *o, sl_error *err)
{
    static pthread_once_t malloc_once = PTHREAD_ONCE_INIT;
    sl_error_clear(err);
    if (!o || !o->bootstrap_servers || !*o->bootstrap_servers)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "the Kafka log needs bootstrap servers (host:port,...)"),
               NULL;
    if (o->n_props < 0 || (o->n_props > 0 && !o->props))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "malformed Kafka properties"), NULL;
    for (int i = 0; i < o->n_props; i++) {
        const char *name = o->props[2 * i], *val = o->props[2 * i + 1];
        if (!name || !val)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "Kafka property %d has no name or no value", i + 1),
                   NULL;
        const char *why = sl_log_kafka_refusal(name, val);
        if (why)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "Kafka property '%s' is refused: %s", name, why),
                   NULL;
    }
    pthread_once(&malloc_once, tune_malloc_once);
    klog *k = xcalloc(1, sizeof *k);
    k->base.ops = &kafka_ops;
    pthread_mutex_init(&k->mu, NULL);
    pthread_mutex_init(&k->poll_mu, NULL);
    pthread_mutex_init(&k->seq_mu, NULL);
    pthread_mutex_init(&k->diag_mu, NULL);
    sl_log_cond_init(&k->seq_cv);
    k->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
                                                      : SL_LOG_KAFKA_CONNECT_TIMEOUT_MS;
    k->log_level = o->log_level > 0 ? o->log_level : 3;
    for (int i = 0; i < o->n_props; i++)
        if (!strcmp(o->props[2 * i], "debug"))
            k->log_level = 7;   /* debug contexts asked for: show their lines */
    k->bootstrap = xstrdup(o->bootstrap_servers);
    k->client_id = xstrdup(o->client_id && *o->client_id ? o->client_id : "sluice");
    k->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    k->rf = o->replication_factor;
    k->n_props = o->n_props;
    k->props = xcalloc((size_t)(2 * o->n_props + 1), sizeof *k->props);
    for (int i = 0; i < 2 * o->n_props; i++)
        k->props[i] = xstrdup(o->props[i]);
    pthread_mutex_init(&k->pool_mu, NULL);
    pthread_mutex_init(&k->lone_mu, NULL);
    pthread_mutex_init(&k->times_mu, NULL);
    k->eos = o->exactly_once;
    if (o->transactional_id && *o->transactional_id) {
        k->txn_id = xstrdup(o->transactional_id);
    } else {
        char id[256], tag[17] = "";
        if (k->eos &&
            worker_tag(o->data_dir && *o->data_dir ? o->data_dir : "./sluice-data", tag, err)) {
            klog_free(k);
            return NULL;
        }
        snprintf(id, sizeof id, "sluice-%s%s%s",
                 o->service_id && *o->service_id ? o->service_id : "default_", *tag ? "-" : "",
                 tag);
        k->txn_id = xstrdup(id);
    }
    if (k->eos && !strchr(k->txn_id, '/')) {
        const char *dd = o->data_dir && *o->data_dir ? o->data_dir : "./sluice-data";
        size_t len = strlen(dd) + strlen(k->txn_id) + 32;
        k->slots_file = xcalloc(1, len);
        snprintf(k->slots_file, len, "%s/kafka-transactions-%s", dd, k->txn_id);
    }

    /* every kind of client once, so a bad property fails here */
    k->producer = new_client(k, KIND_PRODUCER, NULL, err);
    if (k->producer)
        k->reader = new_client(k, KIND_READER, NULL, err);
    if (!k->reader) {
        klog_free(k);
        return NULL;
    }
    if (await_cluster(k, err)) {
        klog_free(k);
        return NULL;
    }
    /* exactly-once: the first producer now, so an earlier process of the
     * service is fenced (its open transaction aborted) before this one
     * reads anything, and a cluster without transactions fails here */
    if (k->eos && open_slots(k, err)) {
        klog_free(k);
        return NULL;
    }
    /* state keyspaces: the local database opens at their first use */
    k->state = sl_kafka_state_new(&k->base, o, err);
    if (!k->state) {
        klog_free(k);
        return NULL;
    }
    atomic_store(&k->opened, true);
    return &k->base;
}

bool sl_log_kafka_unreachable(const sl_error *err)
{
    return err && !strncmp(err->msg, UNREACHABLE, sizeof UNREACHABLE - 1);
}

static void kafka_close(sl_log *log)
{
    klog_free((klog *)log);
}

/* A commit waits for the delivery reports of its appends and commits
 * positions (or a transaction) over the network. */
static bool kafka_commits_costly(sl_log *log)
{
    return true;
}

static bool kafka_atomic_commits(sl_log *log)
{
    return ((klog *)log)->eos;
}

static const sl_log_ops kafka_ops = {
    .name = "kafka",
    .close = kafka_close,
    .create_topic = kafka_create_topic,
    .delete_topic = kafka_delete_topic,
    .list_topics = kafka_list_topics,
    .describe_topic = kafka_describe_topic,
    .txn_begin = kafka_txn_begin,
    .txn_append = kafka_txn_append,
    .txn_set_position = kafka_txn_set_position,
    .txn_on_refused = kafka_txn_on_refused,
    .txn_put_raw = kafka_txn_put_raw,
    .txn_delete_range_raw = kafka_txn_delete_range_raw,
    .get_raw = kafka_get_raw,
    .scan_raw = kafka_scan_raw,
    .txn_commit = kafka_txn_commit,
    .txn_abort = kafka_txn_abort,
    .read = kafka_read,
    .offsets = kafka_offsets,
    .read_at_end = kafka_read_at_end,
    .position = kafka_position,
    .list_groups = kafka_list_groups,
    .delete_group = kafka_delete_group,
    .commit_seq = kafka_commit_seq,
    .wait_since = kafka_wait_since,
    .enforce_retention = kafka_enforce_retention,
    .member_join = kafka_member_join,
    .member_leave = kafka_member_leave,
    .restore_partition = kafka_restore_partition,
    .drop_query = kafka_drop_query,
    .repartition_topic = kafka_repartition_topic,
    .commits_costly = kafka_commits_costly,
    .atomic_commits = kafka_atomic_commits,
    .delete_records = kafka_delete_records,
};

/* ---- log.h's membership functions, for every backend (an op left NULL:
 * this process owns every partition; nothing to restore or drop) ---- */

int sl_log_member_join(sl_log *log, const char *group, const char *topic, sl_log_rebalance_cb cb,
                       void *ud, sl_error *err)
{
    return log->ops->member_join ? log->ops->member_join(log, group, topic, cb, ud, err) : 0;
}

void sl_log_member_leave(sl_log *log, const char *group)
{
    if (log && log->ops->member_leave)
        log->ops->member_leave(log, group);
}

int sl_log_restore_partition(sl_log *log, const char *store, int32_t partition, sl_error *err)
{
    return log->ops->restore_partition ? log->ops->restore_partition(log, store, partition, err)
                                       : 0;
}

int sl_log_drop_query(sl_log *log, const char *query_id, sl_error *err)
{
    return log->ops->drop_query ? log->ops->drop_query(log, query_id, err) : 0;
}

int sl_log_repartition_topic(sl_log *log, const char *query_id, char *out, size_t cap)
{
    return log->ops->repartition_topic ? log->ops->repartition_topic(log, query_id, out, cap)
                                       : 0;
}

int sl_log_delete_records(sl_log *log, const char *topic, int32_t partition, int64_t before,
                          sl_error *err)
{
    return log->ops->delete_records
               ? log->ops->delete_records(log, topic, partition, before, err)
               : 0;
}

/* ------------------------------------------------------------------ */
/* for log/kafka_state.c (kafka_internal.h)                            */

int32_t sl_log_kafka_partition_count(sl_log *log, const char *topic, sl_error *err)
{
    klog *k = (klog *)log;
    const struct rd_kafka_metadata *md;
    if (all_metadata(k, &md, err))
        return -1;
    const struct rd_kafka_metadata_topic *mt = md_topic(md, topic);
    int32_t n = mt ? mt->partition_cnt : 0;
    rd_kafka_metadata_destroy(md);
    if (n > 0)
        cache_topic(k, topic, n);
    return n;
}

int sl_log_kafka_add_partitions(sl_log *log, const char *topic, int32_t total, sl_error *err)
{
    klog *k = (klog *)log;
    const struct rd_kafka_metadata *md;
    if (all_metadata(k, &md, err))
        return -1;
    const struct rd_kafka_metadata_topic *mt = md_topic(md, topic);
    int32_t have = mt ? mt->partition_cnt : 0;
    bool ctl = has_controller(k, md);
    rd_kafka_metadata_destroy(md);
    if (have >= total)
        return 0;
    char what[300];
    snprintf(what, sizeof what, "adding partitions to topic %s", topic);
    if (!ctl)
        return no_controller(k, what, err);
    char es[512];
    rd_kafka_NewPartitions_t *np = rd_kafka_NewPartitions_new(topic, (size_t)total, es, sizeof es);
    if (!np)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s", what, es);
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->producer);
    rd_kafka_AdminOptions_t *ao = admin_opts(k, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
    rd_kafka_CreatePartitions(k->producer, &np, 1, ao, q);
    rd_kafka_event_t *ev = admin_wait(k, q, what, err);
    int rc = ev ? 0 : -1;
    if (ev) {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **tr = rd_kafka_CreatePartitions_result_topics(
            rd_kafka_event_CreatePartitions_result(ev), &cnt);
        rd_kafka_resp_err_t e = cnt ? rd_kafka_topic_result_error(tr[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
        /* INVALID_PARTITIONS: someone else grew it meanwhile (checked below) */
        if (e && e != RD_KAFKA_RESP_ERR_INVALID_PARTITIONS) {
            const char *m = rd_kafka_topic_result_error_string(tr[0]);
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s", what,
                              m && *m ? m : rd_kafka_err2str(e));
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_NewPartitions_destroy(np);
    rd_kafka_queue_destroy(q);
    if (rc || await_topic(k, topic, total, true, err))
        return -1;
    cache_topic(k, topic, total);
    /* the reader learns of the new partitions too (await_topic asked
     * through the producer) */
    rd_kafka_resp_err_t e = rd_kafka_metadata(k->reader, 1, NULL, &md, k->timeout_ms);
    if (e)
        return kerr(err, what, e);
    rd_kafka_metadata_destroy(md);
    /* the new partitions answer ListOffsets before the first produce (see
     * kafka_create_topic) */
    for (int32_t p = have; p < total; p++) {
        int64_t lo, hi;
        if (kafka_offsets(log, topic, p, &lo, &hi, err))
            return -1;
    }
    return 0;
}

/* The reader state of topic/partition, NULL when it was never read. */
static kpart *find_part(klog *k, const char *topic, int32_t partition)
{
    pthread_mutex_lock(&k->mu);
    kpart *p;
    for (p = k->parts; p; p = p->link)
        if (p->partition == partition && !strcmp(p->topic, topic))
            break;
    pthread_mutex_unlock(&k->mu);
    return p;
}

void sl_log_kafka_read_stop(sl_log *log, const char *topic, int32_t partition)
{
    klog *k = (klog *)log;
    pthread_mutex_lock(&k->mu);
    kpart *p;
    for (p = k->parts; p; p = p->link)
        if (p->partition == partition && !strcmp(p->topic, topic))
            break;
    pthread_mutex_unlock(&k->mu);
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->started)
        rd_kafka_consume_stop(p->rkt, partition);
    p->started = false;
    pthread_mutex_unlock(&p->mu);
}
