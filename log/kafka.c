/*
 * kafka.c: the log interface (log/log.h) on Apache Kafka through librdkafka.
 *
 * Does: topics through the Admin API (CreateTopics with partitions,
 * replication factor, retention.ms, retention.bytes and cleanup.policy;
 * DeleteTopics; DescribeConfigs when the cluster answers it) and cluster
 * metadata (listing, partition counts, an existing topic with another
 * partition count is an error); appends through one producer with every
 * delivery report checked at commit; committed positions per group through
 * one consumer handle per group that never subscribes (offsets are
 * committed and fetched for explicit partitions); reads through one
 * consumer handle in librdkafka's per-partition ("simple consumer") mode,
 * each partition started at the requested offset and kept fetching ahead
 * while reads continue where the last one stopped.
 * Does not: state keyspaces (put_raw, get_raw, scan_raw, delete_range are
 * unsupported: state goes to changelog topics), retention (the broker
 * enforces it: enforce_retention is a no-op), consumer-group membership or
 * rebalancing, Kafka transactions (exactly-once comes later).
 *
 * Where Kafka differs from the embedded log's semantics (log.h):
 * - Commits are at-least-once, not atomic. txn_append hands the record to
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
 *   topic with the requested partition count is still accepted. Positions
 *   kept for a deleted topic are the broker's business; the partition sizes
 *   of describe ("bytes") are -1 (unknown), and describe reports Kafka's
 *   default settings when the cluster does not answer DescribeConfigs.
 * - Clients: one producer (also for metadata and admin requests), one
 *   reading consumer, and one consumer per position group (created on first
 *   use); each librdkafka client runs a few threads of its own.
 */
#include "log/kafka.h"
#include "log/wait.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log/partitioner.h"

enum {
    DEFAULT_TIMEOUT_MS = 30000,
    READ_WAIT_MS = 50,          /* a read with nothing ready waits this long, */
    BEHIND_WAIT_MS = 1000,      /* ... this long when the fetched high watermark
                                   says records are there, */
    START_WAIT_MS = 2000,       /* ... this long after (re)starting a partition
                                   while its watermarks are not known yet */
    WAIT_SLICE_MS = 25,         /* ... in slices this long */
    READ_CHUNK = 256,
    FLUSH_SLICE_MS = 5,         /* a commit waits for its deliveries in slices */           /* messages taken from librdkafka per call */
    MAX_TOPIC_NAME = 249
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
    struct kpart *link;
} kpart;

/* A consumer handle whose group.id is a position group. */
typedef struct kgroup {
    char *name;
    rd_kafka_t *rk;
    struct kgroup *link;
} kgroup;

/* Known topic: its partition count (0: unknown, ask the cluster) and the
 * round-robin counter. Freed only when the log is closed. */
typedef struct ktopic {
    char *name;
    int32_t partitions;
    atomic_uint rr;
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
    pthread_mutex_t mu;         /* guards parts, groups, topics */
    kpart *parts;
    kgroup *groups;
    ktopic *topics;
    pthread_mutex_t seq_mu;
    pthread_cond_t seq_cv;      /* CLOCK_MONOTONIC */
    uint64_t seq;
} klog;

/* Delivery tracking of one transaction: the txn holds one reference, every
 * record in flight one more; the last to let go frees it. */
typedef struct ktrack {
    pthread_mutex_t mu;
    int refs;
    int outstanding;            /* records without a delivery report yet */
    rd_kafka_resp_err_t err;    /* the first failure */
    char msg[400];
} ktrack;

typedef struct kpos {
    char *group, *topic;
    int32_t partition;
    int64_t offset;
} kpos;

typedef struct ktxn {
    sl_log_txn base;
    ktrack *tr;
    kpos *pos;
    int n_pos, cap_pos;
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

static const char *const refused_props[] = {
    "plugin.library.paths",     /* loads shared libraries */
    "sasl.kerberos.kinit.cmd",  /* runs a shell command */
    "ssl.engine.location",      /* loads an OpenSSL engine */
    "ssl.providers",            /* loads OpenSSL providers */
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

bool sl_log_kafka_property_refused(const char *name)
{
    if (!name)
        return false;
    int scope;
    const char *n = unprefix(name, &scope);
    for (size_t i = 0; i < sizeof refused_props / sizeof *refused_props; i++)
        if (!strcasecmp(n, refused_props[i]))
            return true;
    return false;
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

/* librdkafka's log lines, as its default logger writes them, minus the
 * warning that a property given to every client means nothing to some
 * (an unprefixed producer property on a consumer, or the reverse). */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    if (!strcmp(fac, "CONFWARN") && (strstr(buf, "will be ignored by this consumer") ||
                                     strstr(buf, "will be ignored by this producer")))
        return;
    fprintf(stderr, "%%%d|%s|%s| %s\n", level, fac, rk ? rd_kafka_name(rk) : "", buf);
}

enum { KIND_PRODUCER, KIND_READER, KIND_GROUP };

/* A configuration for one client; NULL with err on a bad property. */
static rd_kafka_conf_t *make_conf(klog *k, int kind, const char *group, sl_error *err)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char ms[32];
    snprintf(ms, sizeof ms, "%d", k->timeout_ms);
    rd_kafka_conf_set_log_cb(c, log_cb);
    int rc = conf_set(c, "bootstrap.servers", k->bootstrap, err);
    rc = rc ? rc : conf_set(c, "client.id", k->client_id, err);
    if (kind == KIND_PRODUCER) {
        /* the same partition as Java's producer for keyed records */
        rc = rc ? rc : conf_set(c, "partitioner", "murmur2_random", err);
        rc = rc ? rc : conf_set(c, "enable.idempotence", "true", err);
        rc = rc ? rc : conf_set(c, "compression.type", "lz4", err);
        rc = rc ? rc : conf_set(c, "linger.ms", "5", err);
        if (!rc)
            rd_kafka_conf_set_dr_msg_cb(c, dr_msg_cb);
    } else {
        rc = rc ? rc : conf_set(c, "enable.partition.eof", "false", err);
        rc = rc ? rc : conf_set(c, "auto.offset.reset", "earliest", err);
        rc = rc ? rc : conf_set(c, "enable.auto.commit", "false", err);
        rc = rc ? rc : conf_set(c, "enable.auto.offset.store", "false", err);
        if (kind == KIND_READER) {
            rc = rc ? rc : conf_set(c, "fetch.wait.max.ms", "100", err);
            rc = rc ? rc : conf_set(c, "queued.max.messages.kbytes", "16384", err);
        } else {
            rc = rc ? rc : conf_set(c, "group.id", group, err);
        }
    }
    for (int i = 0; !rc && i < k->n_props; i++) {
        int scope;
        const char *name = unprefix(k->props[2 * i], &scope);
        if ((scope == 1 && kind != KIND_PRODUCER) || (scope == 2 && kind == KIND_PRODUCER))
            continue;
        rc = conf_set(c, name, k->props[2 * i + 1], err);
    }
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
    rd_kafka_t *rk = rd_kafka_new(kind == KIND_PRODUCER ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER,
                                  c, es, sizeof es);
    if (!rk) {
        rd_kafka_conf_destroy(c);
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "creating a Kafka %s: %s",
                     kind == KIND_PRODUCER ? "producer" : "consumer", es);
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
                        "Admin requests (librdkafka's mock cluster does not: create the topic "
                        "there)", what, k->bootstrap);
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
    if (t)
        t->partitions = 0;
    pthread_mutex_unlock(&k->mu);
}

/* The partition count of a topic (cached; asks the cluster on a miss) and
 * its round-robin counter; -1 with err when it does not exist. */
static int32_t topic_partitions(klog *k, const char *name, atomic_uint **rr, sl_error *err)
{
    pthread_mutex_lock(&k->mu);
    ktopic *t = cached_topic(k, name);
    if (t && t->partitions > 0) {
        int32_t n = t->partitions;
        if (rr)
            *rr = &t->rr;
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
    if (rr)
        *rr = &t->rr;   /* entries are only freed by close */
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
    rd_kafka_metadata_destroy(md);
    if (have > 0) {
        if (have != cfg->partitions)
            return exists_mismatch(name, have, cfg->partitions, err);
        cache_topic(k, name, have);
        return 0;
    }
    char what[300];
    snprintf(what, sizeof what, "creating topic %s", name);
    if (!ctl)
        return no_controller(k, what, err);

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

/* retention.ms, retention.bytes and cleanup.policy from DescribeConfigs;
 * leaves cfg alone when the cluster does not answer it. */
static void describe_configs(klog *k, const char *name, sl_topic_config *cfg)
{
    if (atomic_load(&k->no_describe_configs))
        return;
    rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name);
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->producer);
    rd_kafka_AdminOptions_t *ao = admin_opts(k, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_DescribeConfigs(k->producer, &cr, 1, ao, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, k->timeout_ms + 5000);
    if (ev && rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE)
        atomic_store(&k->no_describe_configs, true);
    if (ev && !rd_kafka_event_error(ev)) {
        size_t nres = 0, ncfg = 0;
        const rd_kafka_ConfigResource_t **res = rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(ev), &nres);
        if (nres && !rd_kafka_ConfigResource_error(res[0])) {
            const rd_kafka_ConfigEntry_t **ents = rd_kafka_ConfigResource_configs(res[0], &ncfg);
            for (size_t i = 0; i < ncfg; i++) {
                const char *en = rd_kafka_ConfigEntry_name(ents[i]);
                const char *ev2 = rd_kafka_ConfigEntry_value(ents[i]);
                if (!en || !ev2)
                    continue;
                if (!strcmp(en, "retention.ms"))
                    cfg->retention_ms = strtoll(ev2, NULL, 10);
                else if (!strcmp(en, "retention.bytes"))
                    cfg->retention_bytes = strtoll(ev2, NULL, 10);
                else if (!strcmp(en, "cleanup.policy"))
                    cfg->cleanup = strstr(ev2, "compact") ? SL_CLEANUP_COMPACT : SL_CLEANUP_DELETE;
            }
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_ConfigResource_destroy(cr);
    rd_kafka_queue_destroy(q);
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
        if (kafka_offsets(log, name, p, &pi->start_offset, &pi->end_offset, err))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* transactions                                                        */

static void track_release(ktrack *tr)
{
    pthread_mutex_lock(&tr->mu);
    bool last = --tr->refs == 0;
    pthread_mutex_unlock(&tr->mu);
    if (last) {
        pthread_mutex_destroy(&tr->mu);
        free(tr);
    }
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    ktrack *tr = m->_private;
    if (!tr)
        return;
    pthread_mutex_lock(&tr->mu);
    if (m->err && !tr->err) {
        tr->err = m->err;
        snprintf(tr->msg, sizeof tr->msg, "delivery to %s partition %d failed: %s",
                 m->rkt ? rd_kafka_topic_name(m->rkt) : "?", (int)m->partition,
                 rd_kafka_err2str(m->err));
    }
    tr->outstanding--;
    pthread_mutex_unlock(&tr->mu);
    track_release(tr);
}

static sl_log_txn *kafka_txn_begin(sl_log *log)
{
    ktxn *t = xcalloc(1, sizeof *t);
    t->base.log = log;
    t->tr = xcalloc(1, sizeof *t->tr);
    pthread_mutex_init(&t->tr->mu, NULL);
    t->tr->refs = 1;
    return &t->base;
}

static void txn_free(ktxn *t)
{
    for (int i = 0; i < t->n_pos; i++) {
        free(t->pos[i].group);
        free(t->pos[i].topic);
    }
    free(t->pos);
    track_release(t->tr);
    free(t);
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
    atomic_uint *rr = NULL;
    int32_t n = topic ? topic_partitions(k, topic, &rr, err) : -1;
    if (n < 0)
        return topic ? -1 : sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "append without a topic");
    int32_t p = partition;
    if (p == -1) {
        if (rec->key_len >= 0)
            p = sl_partitioner_for_key(rec->key, (size_t)rec->key_len, n);
        else
            p = (int32_t)(atomic_fetch_add(rr, 1) % (unsigned)n);
    } else if (p < 0 || p >= n) {
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "topic %s has no partition %d", topic, p);
    }

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
    vu[nv].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu[nv++].u.ptr = t->tr;
    if (hdrs) {
        vu[nv].vtype = RD_KAFKA_VTYPE_HEADERS;
        vu[nv++].u.headers = hdrs;
    }

    pthread_mutex_lock(&t->tr->mu);
    t->tr->refs++;
    t->tr->outstanding++;
    pthread_mutex_unlock(&t->tr->mu);
    for (;;) {
        rd_kafka_error_t *e = rd_kafka_produceva(k->producer, vu, nv);
        if (!e)
            break;
        rd_kafka_resp_err_t code = rd_kafka_error_code(e);
        if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_error_destroy(e);
            rd_kafka_poll(k->producer, 100);    /* serves delivery reports, frees room */
            continue;
        }
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "producing to %s partition %d: %s", topic, p,
                     rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);     /* not taken on failure */
        pthread_mutex_lock(&t->tr->mu);
        t->tr->outstanding--;
        pthread_mutex_unlock(&t->tr->mu);
        track_release(t->tr);
        return -1;
    }
    if (partition_out)
        *partition_out = p;
    return 0;
}

static int kafka_txn_set_position(sl_log_txn *base, const char *group, const char *topic,
                                  int32_t partition, int64_t next_offset, sl_error *err)
{
    ktxn *t = (ktxn *)base;
    if (!group || !*group || !topic || partition < 0 || next_offset < 0)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "invalid position");
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

/* Commits the positions of t for one group (those from index i on whose
 * group equals t->pos[i].group), marking them done. */
static int commit_group(klog *k, ktxn *t, int i, bool *done, sl_error *err)
{
    const char *group = t->pos[i].group;
    rd_kafka_t *rk = group_client(k, group, err);
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
    rd_kafka_resp_err_t e = rd_kafka_commit(rk, l, 0);
    for (int j = 0; !e && j < l->cnt; j++)
        e = l->elems[j].err;
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "committing the positions of group %s: %s",
                            group, rd_kafka_err2str(e));
    return 0;
}

static int kafka_txn_commit(sl_log_txn *base, sl_error *err)
{
    ktxn *t = (ktxn *)base;
    klog *k = (klog *)base->log;
    /* every delivery report of this transaction, whatever thread serves
     * it; flush (rather than poll) sends what linger.ms still holds back */
    for (;;) {
        pthread_mutex_lock(&t->tr->mu);
        int out = t->tr->outstanding;
        pthread_mutex_unlock(&t->tr->mu);
        if (!out)
            break;
        rd_kafka_flush(k->producer, FLUSH_SLICE_MS);
    }
    int rc = 0;
    pthread_mutex_lock(&t->tr->mu);
    if (t->tr->err)
        rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s", t->tr->msg);
    pthread_mutex_unlock(&t->tr->mu);
    if (!rc && t->n_pos) {
        bool *done = xcalloc((size_t)t->n_pos, sizeof *done);
        for (int i = 0; !rc && i < t->n_pos; i++)
            if (!done[i])
                rc = commit_group(k, t, i, done, err);
        free(done);
    }
    txn_free(t);
    if (!rc)
        bump_seq(k);
    return rc;
}

/* Records already handed to the producer cannot be taken back (see the top
 * of this file); positions are dropped. */
static void kafka_txn_abort(sl_log_txn *base)
{
    txn_free((ktxn *)base);
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

/* Copies a message into the arena as a record. */
static void copy_message(const rd_kafka_message_t *m, sl_arena *a, sl_record *r)
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
    if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR && h) {
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

/* Takes one message: 1 with a record in *r, 0 when it was skipped, -1 on a
 * fatal error. Destroys m. */
static int take_message(kpart *p, rd_kafka_message_t *m, int64_t from, sl_arena *a, sl_record *r,
                        sl_error *err)
{
    int rc = 0;
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && fatal_fetch_error(m->err)) {
            char what[300];
            snprintf(what, sizeof what, "reading %s partition %d", p->topic, p->partition);
            rc = kerr(err, what, m->err);
        }
    } else if (m->offset >= from) {
        copy_message(m, a, r);
        p->next = m->offset + 1;
        p->stall = -1;
        rc = 1;
    }
    rd_kafka_message_destroy(m);
    return rc;
}

static int kafka_read(sl_log *log, const char *topic, int32_t partition, int64_t from, int max,
                      sl_arena *a, sl_record *out, int *n, sl_error *err)
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
    if (!p->started || p->next != from) {
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
        fresh = true;
    }
    int64_t t0 = mono_ms();
    int got = 0, rc = 0;
    rd_kafka_message_t *buf[READ_CHUNK];
    while (got < max && rc == 0) {
        size_t want = (size_t)(max - got) < READ_CHUNK ? (size_t)(max - got) : READ_CHUNK;
        ssize_t cnt = rd_kafka_consume_batch(p->rkt, partition, 0, buf, want);
        if (cnt > 0) {
            for (ssize_t i = 0; i < cnt; i++) {
                if (rc < 0) {
                    rd_kafka_message_destroy(buf[i]);
                    continue;
                }
                int r = take_message(p, buf[i], from, a, &out[got], err);
                if (r < 0)
                    rc = -1;
                got += r > 0;
            }
            continue;
        }
        if (got > 0)
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
            if (p->stall != from) {
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
        rd_kafka_message_t *m = rd_kafka_consume(p->rkt, partition, WAIT_SLICE_MS);
        if (m) {
            int r = take_message(p, m, from, a, &out[got], err);
            if (r < 0)
                rc = -1;
            got += r > 0;
        }
    }
    if (rc) {
        /* start over at the next read */
        rd_kafka_consume_stop(p->rkt, partition);
        p->started = false;
    }
    pthread_mutex_unlock(&p->mu);
    *n = rc ? 0 : got;
    return rc;
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
    rd_kafka_resp_err_t e;
    for (;;) {
        int64_t left = deadline - mono_ms();
        e = rd_kafka_query_watermark_offsets(k->reader, topic, partition, &lo, &hi,
                                             left > 0 ? (int)left : 1);
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
    return off >= 0 ? off : -1;
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
/* opening and closing                                                 */

static void klog_free(klog *k)
{
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
    for (kgroup *g = k->groups, *nx; g; g = nx) {
        nx = g->link;
        rd_kafka_destroy(g->rk);
        free(g->name);
        free(g);
    }
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
    free(k->bootstrap);
    free(k->client_id);
    pthread_mutex_destroy(&k->mu);
    pthread_mutex_destroy(&k->seq_mu);
    pthread_cond_destroy(&k->seq_cv);
    free(k);
}

sl_log *sl_log_open_kafka(const sl_log_kafka_opts *o, sl_error *err)
{
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
        if (sl_log_kafka_property_refused(name))
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "Kafka property '%s' is refused: it loads code or runs a command",
                                name),
                   NULL;
    }
    klog *k = xcalloc(1, sizeof *k);
    k->base.ops = &kafka_ops;
    pthread_mutex_init(&k->mu, NULL);
    pthread_mutex_init(&k->seq_mu, NULL);
    sl_log_cond_init(&k->seq_cv);
    k->bootstrap = xstrdup(o->bootstrap_servers);
    k->client_id = xstrdup(o->client_id && *o->client_id ? o->client_id : "sluice");
    k->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    k->rf = o->replication_factor;
    k->n_props = o->n_props;
    k->props = xcalloc((size_t)(2 * o->n_props + 1), sizeof *k->props);
    for (int i = 0; i < 2 * o->n_props; i++)
        k->props[i] = xstrdup(o->props[i]);

    /* every kind of client once, so a bad property fails here */
    k->producer = new_client(k, KIND_PRODUCER, NULL, err);
    if (k->producer)
        k->reader = new_client(k, KIND_READER, NULL, err);
    if (!k->reader) {
        klog_free(k);
        return NULL;
    }
    const struct rd_kafka_metadata *md;
    if (all_metadata(k, &md, err)) {
        klog_free(k);
        return NULL;
    }
    rd_kafka_metadata_destroy(md);
    return &k->base;
}

static void kafka_close(sl_log *log)
{
    klog_free((klog *)log);
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
    .txn_put_raw = NULL,
    .txn_delete_range_raw = NULL,
    .get_raw = NULL,
    .scan_raw = NULL,
    .txn_commit = kafka_txn_commit,
    .txn_abort = kafka_txn_abort,
    .read = kafka_read,
    .offsets = kafka_offsets,
    .position = kafka_position,
    .commit_seq = kafka_commit_seq,
    .wait_since = kafka_wait_since,
    .enforce_retention = kafka_enforce_retention,
};
