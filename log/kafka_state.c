/*
 * kafka_state.c: the state keyspaces of the Kafka log (log.h's raw
 * functions): a local RocksDB database per service whose every write also
 * goes to a compacted changelog topic, so a new machine (or one whose local
 * state was deleted) rebuilds it from Kafka.
 *
 * Does:
 * - Local state: a RocksDB database in the state directory
 *   (sl_log_kafka_opts.state_dir, default DATA_DIR/kafka-state/SERVICE_ID),
 *   one column family per keyspace. The first raw operation of the log
 *   opens it and catches it up (below), so a log that keeps no state never
 *   creates it. RocksDB's LOCK file keeps a second process out.
 * - Reads (get, scan) see the committed local state, with the iterator
 *   contract of the embedded log (log/embedded_raw.c): byte order, [lo, hi)
 *   or every key starting with lo, over the view of the moment the scan
 *   starts.
 * - A transaction's writes are buffered: a RocksDB write batch and a list
 *   of changelog records. At commit the changelog records are appended to
 *   the Kafka transaction (their delivery is checked with the outputs');
 *   only after the Kafka side succeeded (every record delivered, positions
 *   committed) is the batch written locally. An abort or a failed commit
 *   drops it. A range delete becomes point deletes of the keys it covers
 *   (the committed ones and those put earlier in the transaction), each
 *   with its tombstone in the changelog: compaction needs one per key.
 * - Changelogs: a record's key is the keyspace name, a 0 byte, then the raw
 *   key; its value the raw value (null: a tombstone). Keys of "state"
 *   (store name, 0, be32 partition, user key) and "state_meta" (query id,
 *   0, be32 partition) go to _sluice-SERVICE-QUERY-changelog (QUERY: the
 *   name up to its first '/'), to the partition the key encodes (the input
 *   partition). Every other keyspace ("mat": materialized rows) goes to
 *   _sluice-SERVICE-SPACE-changelog, partitioned by murmur2 of the record
 *   key over the topic's partitions (SPACE_PARTITIONS when created here).
 *   Topics are created on first use (cleanup.policy=compact, kept forever)
 *   and grown when a partition beyond their count is needed. Characters
 *   topic names refuse become '_'; a name longer than Kafka allows is cut
 *   and ends with a hash of the part cut.
 * - Catch-up and restore, eagerly when the local state is opened: the
 *   local database keeps per changelog partition a checkpoint, an offset
 *   below which every record is reflected locally. Every changelog topic of
 *   the service is read from its checkpoint (none: from the start) to its
 *   end and applied, in batches written with their checkpoint. A missing or
 *   emptied state directory is thus rebuilt entirely before the first
 *   read, and a local write lost in a crash after its Kafka commit is
 *   replayed. A topic whose records route elsewhere (a service whose id
 *   starts like ours plus '-') is not ours and is skipped.
 *
 * Guarantees: with exactly_once (log/kafka.c), the changelog records are
 * in the Kafka transaction of the outputs and positions: a restore or
 * catch-up (read_committed) applies only committed ones, and a checkpoint
 * followed by the transaction's marker ends the catch-up at once
 * (sl_log_read_at_end). Otherwise at-least-once, like the rest of
 * the Kafka backend. A crash
 * after the changelog records were delivered but before the positions were
 * committed leaves state counting a batch the restarted query processes
 * again (duplicates, never losses); a crash between the Kafka commit and
 * the local write loses nothing (the catch-up replays it). When several
 * transactions write one changelog partition at once (a partition of
 * "mat"), each checkpoints, while any other is unfinished, the end known
 * when the first of them began: replaying more than needed is harmless, as
 * records carry whole values.
 *
 * Workers that share a service id (log.h's membership): a partition of a
 * query's changelog has one writer at a time, the worker that owns the
 * input partition. One that arrives here later is caught up again from
 * the local checkpoint to its end before its task runs
 * (sl_kafka_state_restore), as another worker wrote it meanwhile. A
 * keyspace every worker writes (any but "state" and "state_meta": "mat")
 * is caught up from its changelog before each read (get, scan: a pull
 * query sees what every worker committed), and only such a replay
 * checkpoints it, since other workers' records lie between ours. A
 * terminated query's changelog topic and checkpoints are dropped
 * (sl_kafka_state_drop_query).
 * Does not: restore lazily per store, or restore a partition while its
 * task runs (the runtime restores before it starts one).
 */
#include "log/kafka_internal.h"
#include "log/dirs.h"
#include "log/raw_keys.h"
#include "log/rocks_raw.h"
#include "log/embedded_internal.h"  /* the keyspaces' RocksDB options */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "log/partitioner.h"

enum {
    SPACE_PARTITIONS = 4,       /* a new changelog of a keyspace other than state */
    MAX_TOPIC = 249,
    MAX_SERVICE = 200,
    RESTORE_CHUNK = 1000,       /* records per read and per local batch */
    RESTORE_STALL_MS = 10000,   /* reads finding nothing below the end this long:
                                   the rest holds no records (compaction keeps a
                                   producer's last batch, possibly empty) */
    CACHE_BYTES = 32 << 20,
    MAX_SPACES = 64,            /* keyspaces ("state", "state_meta", "mat", ...) */
    MAX_SPACE_NAME = 64
};

static const char CKPT[] = "ckpt";     /* default family: "ckpt" 0 topic 0 be32 partition
                                          -> be64 offset */
static const char SUFFIX[] = "-changelog";
static const char REPARTITION_SUFFIX[] = "-repartition";   /* MAX_TOPIC allows it too */

typedef struct kspace {
    char *name;
    rocksdb_column_family_handle_t *cf;
} kspace;

/* One changelog partition as this process knows it. Freed with the state. */
typedef struct kcpart {
    char *topic;
    int32_t partition;
    int64_t ckpt;               /* the checkpoint found at open; -1 none */
    int64_t known_end;          /* one past every record delivered or restored; -1 unknown */
    int pending;                /* transactions producing to it, not finished */
    int64_t low;                /* known_end when pending last became nonzero */
    bool shared;                /* a keyspace every worker writes ("mat"): other
                                   workers' records lie between ours, so only a
                                   replay, which reads them all, checkpoints it */
    struct kcpart *link;
} kcpart;

/* A changelog topic's partition count (cached). */
typedef struct kctopic {
    char *name;
    int32_t partitions;
    struct kctopic *link;
} kctopic;

struct sl_kstate {
    sl_log *log;
    char *service, *dir, *prefix;   /* prefix: "_sluice-SERVICE-" */
    pthread_mutex_t open_mu;        /* opening and catching up, once */
    atomic_bool opened;
    rocksdb_t *db;
    rocksdb_options_t *opts, *space_opts;
    rocksdb_cache_t *cache;
    rocksdb_writeoptions_t *wo;
    rocksdb_readoptions_t *ro;
    rocksdb_column_family_handle_t *cf_meta;    /* "default": checkpoints */
    pthread_mutex_t mu;             /* adding spaces; parts, topics, broken */
    kspace spaces[MAX_SPACES];      /* [0, n_spaces) readable without mu */
    atomic_int n_spaces;
    kcpart *parts;
    kctopic *topics;
    pthread_mutex_t topic_mu;       /* creating and growing changelog topics */
    atomic_bool is_broken;          /* a local write failed after its commit: */
    char broken[400];               /* ... how */
};

/* A buffered write: bytes[off..) hold the changelog key (space, 0, raw key)
 * then the value. */
typedef struct kop {
    size_t off;
    size_t key_len;             /* the changelog key's */
    size_t raw_off;             /* the raw key's start within it */
    int64_t val_len;            /* -1: a delete */
    int topic;                  /* index in tx->topics */
    int32_t partition;          /* -1: by key hash, chosen at produce */
} kop;

typedef struct ktneed {
    char *name;
    int32_t need;               /* partitions it must have */
    int32_t create;             /* partitions to create it with */
    int32_t count;              /* partitions it has (at produce) */
} ktneed;

struct sl_kstate_txn {
    sl_kstate *s;
    rocksdb_writebatch_t *wb;
    uint8_t *bytes;
    size_t len, cap;
    kop *ops;
    int n_ops, cap_ops;
    ktneed *topics;
    int n_topics;
    kcpart **reg;               /* partitions registered at produce */
    int n_reg, cap_reg;
};

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static void put_be32(uint8_t *b, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
}

static void put_be64(uint8_t *b, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t get_be64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int rocks_fail(sl_error *err, char *errp, const char *what, const char *dir)
{
    sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s (local state in %s): %s", what, dir, errp);
    rocksdb_free(errp);
    return -1;
}




/* Whether key is in [lo, hi) (hi NULL: starts with lo). */
static bool in_range(const void *k, size_t kl, const void *lo, size_t lo_len, const void *hi,
                     size_t hi_len)
{
    if (!hi)
        return kl >= lo_len && (!lo_len || !memcmp(k, lo, lo_len));
    return sl_raw_bytes_cmp(k, kl, lo, lo_len) >= 0 && sl_raw_bytes_cmp(k, kl, hi, hi_len) < 0;
}

/* ------------------------------------------------------------------ */
/* changelog topics: names and routing                                 */

static bool topic_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

/* out (MAX_TOPIC + 1 bytes) = prefix, part (sanitized; cut with a hash of
 * it when too long), suffix. */
static void internal_name(const sl_kstate *s, const void *part, size_t part_len,
                          const char *suffix, char *out)
{
    size_t pre = strlen(s->prefix), suf = strlen(suffix);
    size_t room = MAX_TOPIC - pre - suf;     /* >= 28: the service id is at most MAX_SERVICE */
    size_t keep = part_len <= room ? part_len : room - 17;
    memcpy(out, s->prefix, pre);
    const char *p = part;
    for (size_t i = 0; i < keep; i++)
        out[pre + i] = topic_char(p[i]) ? p[i] : '_';
    size_t n = pre + keep;
    if (keep < part_len)
        n += (size_t)snprintf(out + n, 18, "-%016llx",
                              (unsigned long long)XXH64(part, part_len, 0));
    memcpy(out + n, suffix, suf + 1);
}

static void changelog_name(const sl_kstate *s, const void *part, size_t part_len, char *out)
{
    internal_name(s, part, part_len, SUFFIX, out);
}

void sl_kafka_state_repartition_name(const sl_kstate *s, const char *query_id, char *out)
{
    internal_name(s, query_id, strlen(query_id), REPARTITION_SUFFIX, out);
}

/* The changelog topic of a raw key of space (into topic, MAX_TOPIC + 1
 * bytes) and its partition (-1: by the key's hash). */
static int route(const sl_kstate *s, const char *space, const uint8_t *key, size_t len,
                 char *topic, int32_t *partition, sl_error *err)
{
    if (strcmp(space, "state") && strcmp(space, "state_meta")) {
        changelog_name(s, space, strlen(space), topic);
        *partition = -1;
        return 0;
    }
    const uint8_t *z = len ? memchr(key, 0, len) : NULL;
    size_t nl = z ? (size_t)(z - key) : 0;
    const uint8_t *slash = nl ? memchr(key, '/', nl) : NULL;
    size_t ql = slash ? (size_t)(slash - key) : nl;
    int32_t p = z && nl + 5 <= len ? (int32_t)get_be32(z + 1) : -1;
    if (!ql || p < 0)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                            "a %s key without a name, a 0 byte and a partition", space);
    changelog_name(s, key, ql, topic);
    *partition = p;
    return 0;
}

/* ------------------------------------------------------------------ */
/* bookkeeping (under s->mu)                                           */

static kcpart *part_get(sl_kstate *s, const char *topic, int32_t partition)
{
    for (kcpart *c = s->parts; c; c = c->link)
        if (c->partition == partition && !strcmp(c->topic, topic))
            return c;
    kcpart *c = xrealloc(NULL, sizeof *c);
    *c = (kcpart){xstrdup(topic), partition, -1, -1, 0, -1, false, s->parts};
    s->parts = c;
    return c;
}

static rocksdb_column_family_handle_t *find_cf(sl_kstate *s, const char *space)
{
    int n = atomic_load_explicit(&s->n_spaces, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (!strcmp(s->spaces[i].name, space))
            return s->spaces[i].cf;
    return NULL;
}

/* Publishes a family (under mu, or while opening). */
static void add_cf(sl_kstate *s, const char *space, rocksdb_column_family_handle_t *cf)
{
    int n = atomic_load(&s->n_spaces);
    s->spaces[n] = (kspace){xstrdup(space), cf};
    atomic_store_explicit(&s->n_spaces, n + 1, memory_order_release);
}

/* The family of space; created when create is set, else NULL when absent
 * (a lookup without a lock: every task's reads and writes pass here). */
static rocksdb_column_family_handle_t *space_cf(sl_kstate *s, const char *space, bool create,
                                                sl_error *err)
{
    rocksdb_column_family_handle_t *cf = find_cf(s, space);
    if (cf || !create)
        return cf;
    pthread_mutex_lock(&s->mu);
    cf = find_cf(s, space);
    if (!cf && atomic_load(&s->n_spaces) == MAX_SPACES) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "more than %d keyspaces", MAX_SPACES);
    } else if (!cf) {
        char *errp = NULL;
        cf = rocksdb_create_column_family(s->db, s->space_opts, space, &errp);
        if (errp) {
            cf = NULL;
            rocks_fail(err, errp, "creating a keyspace", s->dir);
        } else {
            add_cf(s, space, cf);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return cf;
}

static void put_ckpt(sl_kstate *s, rocksdb_writebatch_t *wb, const char *topic, int32_t p,
                     int64_t offset)
{
    size_t tl = strlen(topic);
    uint8_t k[sizeof CKPT + MAX_TOPIC + 1 + 4], v[8];
    memcpy(k, CKPT, sizeof CKPT);
    memcpy(k + sizeof CKPT, topic, tl + 1);
    put_be32(k + sizeof CKPT + tl + 1, (uint32_t)p);
    put_be64(v, (uint64_t)offset);
    rocksdb_writebatch_put_cf(wb, s->cf_meta, (const char *)k, sizeof CKPT + tl + 5,
                              (const char *)v, 8);
}

/* ------------------------------------------------------------------ */
/* opening and catching up                                             */

/* The checkpoints kept in the local database, into s->parts. */
static int load_ckpts(sl_kstate *s, sl_error *err)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ro, s->cf_meta);
    for (rocksdb_iter_seek(it, CKPT, sizeof CKPT); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vl);
        if (kl < sizeof CKPT || memcmp(k, CKPT, sizeof CKPT))
            break;
        const uint8_t *t = k + sizeof CKPT;
        const uint8_t *z = memchr(t, 0, kl - sizeof CKPT);
        if (!z || (size_t)(z - k) + 5 != kl || z == t || z - t > MAX_TOPIC || vl != 8)
            continue;       /* not ours to read; never written so */
        char topic[MAX_TOPIC + 1];
        memcpy(topic, t, (size_t)(z - t));
        topic[z - t] = 0;
        pthread_mutex_lock(&s->mu);
        part_get(s, topic, (int32_t)get_be32(z + 1))->ckpt = (int64_t)get_be64(v);
        pthread_mutex_unlock(&s->mu);
    }
    char *errp = NULL;
    rocksdb_iter_get_error(it, &errp);
    rocksdb_iter_destroy(it);
    return errp ? rocks_fail(err, errp, "reading the checkpoints", s->dir) : 0;
}

static int open_db(sl_kstate *s, sl_error *err)
{
    if (sl_log_mkdir_p(s->dir, "the local state directory", err))
        return -1;
    if (!s->opts) {
        s->opts = rocksdb_options_create();
        rocksdb_options_set_create_if_missing(s->opts, 1);
        rocksdb_options_set_create_missing_column_families(s->opts, 1);
        rocksdb_options_set_compression(s->opts, rocksdb_lz4_compression);
        s->cache = rocksdb_cache_create_lru(CACHE_BYTES);
        s->space_opts = sl_log_embedded_space_options(s->opts, s->cache);
        s->wo = rocksdb_writeoptions_create();
        s->ro = rocksdb_readoptions_create();
    }
    char *errp = NULL, **listed = NULL;
    size_t n_listed = 0;
    char current[PATH_MAX];
    snprintf(current, sizeof current, "%s/CURRENT", s->dir);
    if (access(current, F_OK) == 0) {
        listed = rocksdb_list_column_families(s->opts, s->dir, &n_listed, &errp);
        if (errp)
            return rocks_fail(err, errp, "opening the local state", s->dir);
    }
    const char **names = xrealloc(NULL, sizeof *names * (n_listed + 1));
    const rocksdb_options_t **cfo = xrealloc(NULL, sizeof *cfo * (n_listed + 1));
    rocksdb_column_family_handle_t **h = xrealloc(NULL, sizeof *h * (n_listed + 1));
    size_t nn = 0;
    names[nn] = "default";
    cfo[nn++] = s->opts;
    for (size_t i = 0; i < n_listed; i++)
        if (strcmp(listed[i], "default")) {
            names[nn] = listed[i];
            cfo[nn++] = s->space_opts;
        }
    s->db = rocksdb_open_column_families(s->opts, s->dir, (int)nn, names, cfo, h, &errp);
    int rc = 0;
    if (errp) {
        s->db = NULL;
        rc = rocks_fail(err, errp, "opening the local state (is another sluice of this service "
                                   "running on this machine?)", s->dir);
    } else {
        s->cf_meta = h[0];
        for (size_t i = 1; i < nn; i++) {
            if (atomic_load(&s->n_spaces) < MAX_SPACES)
                add_cf(s, names[i], h[i]);
            else
                rocksdb_column_family_handle_destroy(h[i]);  /* not ours: never written */
        }
    }
    free(names);
    free(cfo);
    free(h);
    if (listed)
        rocksdb_list_column_families_destroy(listed, n_listed);
    return rc;
}

/*
 * Applies one changelog record read from topic to wb. 1 when it does not
 * route to topic (another service's changelog), 0 when applied, -1.
 */
static int apply_record(sl_kstate *s, rocksdb_writebatch_t *wb, const char *topic,
                        const sl_record *r, sl_error *err)
{
    const uint8_t *k = r->key;
    const uint8_t *z = r->key_len > 0 ? memchr(k, 0, (size_t)r->key_len) : NULL;
    if (!z || z == k || z - k > MAX_SPACE_NAME)
        return 1;
    char space[MAX_SPACE_NAME + 1];
    memcpy(space, k, (size_t)(z - k));
    space[z - k] = 0;
    const uint8_t *raw = z + 1;
    size_t rl = (size_t)r->key_len - (size_t)(raw - k);
    char want[MAX_TOPIC + 1];
    int32_t p;
    sl_error ignored;
    if (sl_raw_check_space(space, MAX_SPACE_NAME, &ignored) ||
        route(s, space, raw, rl, want, &p, &ignored) ||
        strcmp(want, topic) || (p >= 0 && p != r->partition))
        return 1;
    rocksdb_column_family_handle_t *cf = space_cf(s, space, r->value_len >= 0, err);
    if (r->value_len >= 0 && !cf)
        return -1;
    if (r->value_len >= 0)
        rocksdb_writebatch_put_cf(wb, cf, (const char *)raw, rl, r->value ? r->value : "",
                                  (size_t)r->value_len);
    else if (cf)
        rocksdb_writebatch_delete_cf(wb, cf, (const char *)raw, rl);
    return 0;
}

/* What a catch-up of one topic found. */
typedef struct tally {
    int ours;                   /* -1 not known yet (no record read), 0 no, 1 yes */
    int64_t applied, skipped;   /* records */
} tally;

/* Reads topic/partition from `from` to `end` into the local state, each
 * chunk written with its checkpoint. The first record read tells whether
 * the topic is ours (1 when not: nothing applied); later records that do
 * not route here are skipped and counted. */
static int replay(sl_kstate *s, const char *topic, int32_t p, int64_t from, int64_t end,
                  tally *ty, sl_error *err)
{
    sl_arena *a = sl_arena_new(0);
    sl_record *recs = xrealloc(NULL, sizeof *recs * RESTORE_CHUNK);
    int rc = 0;
    int64_t progress = mono_ms();
    while (rc == 0 && from < end) {
        int n = 0;
        sl_arena_reset(a);
        if (sl_log_read(s->log, topic, p, from, RESTORE_CHUNK, a, recs, &n, err)) {
            rc = -1;
            break;
        }
        if (n == 0) {
            /* exactly-once: the commit marker after the last record */
            if (sl_log_read_at_end(s->log, topic, p, end))
                break;
            if (mono_ms() - progress < RESTORE_STALL_MS)
                continue;
            fprintf(stderr, "sluice: changelog %s partition %d: no records from offset %lld to "
                    "its end %lld; taken as compacted away\n", topic, p, (long long)from,
                    (long long)end);
            break;
        }
        progress = mono_ms();
        rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
        for (int i = 0; i < n && rc == 0; i++) {
            int r = apply_record(s, wb, topic, &recs[i], err);
            if (ty->ours < 0)
                ty->ours = r == 0;
            if (!ty->ours)
                rc = 1;
            else if (r < 0)
                rc = -1;
            else if (r > 0)
                ty->skipped++;
            else
                ty->applied++;
        }
        if (rc == 0) {
            from = recs[n - 1].offset + 1;
            put_ckpt(s, wb, topic, p, from);
            char *errp = NULL;
            rocksdb_write(s->db, s->wo, wb, &errp);
            if (errp)
                rc = rocks_fail(err, errp, "restoring state", s->dir);
        }
        rocksdb_writebatch_destroy(wb);
    }
    sl_log_kafka_read_stop(s->log, topic, p);
    free(recs);
    sl_arena_free(a);
    return rc;
}

/* Catches up every partition of a changelog topic. */
static int catch_up_topic(sl_kstate *s, const char *topic, int64_t *records, sl_error *err)
{
    tally ty = {-1, 0, 0};
    int32_t np = sl_log_kafka_partition_count(s->log, topic, err);
    if (np < 0)
        return -1;
    for (int32_t p = 0; p < np; p++) {
        int64_t end = sl_log_end_offset(s->log, topic, p, err);
        if (end < 0)
            return -1;
        pthread_mutex_lock(&s->mu);
        int64_t from = part_get(s, topic, p)->ckpt;
        pthread_mutex_unlock(&s->mu);
        if (from > end) {
            fprintf(stderr, "sluice: changelog %s partition %d ends at %lld, below the local "
                    "checkpoint %lld (the topic was made again?): restoring it from its start\n",
                    topic, p, (long long)end, (long long)from);
            from = -1;
        }
        int rc = replay(s, topic, p, from < 0 ? 0 : from, end, &ty, err);
        if (rc < 0)
            return -1;
        if (rc > 0)
            return 0;       /* another service's: leave it alone */
        pthread_mutex_lock(&s->mu);
        part_get(s, topic, p)->known_end = end;
        pthread_mutex_unlock(&s->mu);
    }
    if (ty.skipped)
        fprintf(stderr, "sluice: changelog %s: %lld records skipped: not state records of "
                "service %s\n", topic, (long long)ty.skipped, s->service);
    *records += ty.applied;
    return 0;
}

static int catch_up(sl_kstate *s, sl_error *err)
{
    sl_arena *a = sl_arena_new(0);
    const char **names;
    int n;
    int rc = sl_log_list_topics(s->log, a, &names, &n, err);
    size_t pl = strlen(s->prefix), sl = sizeof SUFFIX - 1;
    int64_t records = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        size_t l = strlen(names[i]);
        if (l > pl + sl && !strncmp(names[i], s->prefix, pl) && !strcmp(names[i] + l - sl, SUFFIX))
            rc = catch_up_topic(s, names[i], &records, err);
    }
    sl_arena_free(a);
    if (rc == 0 && records > 0)
        fprintf(stderr, "sluice: local state in %s: %lld changelog records applied\n", s->dir,
                (long long)records);
    return rc;
}

/* Opens the local state and catches it up, once; -1 with err (tried again
 * by the next call). */
static int ensure_open(sl_kstate *s, sl_error *err)
{
    if (!atomic_load_explicit(&s->opened, memory_order_acquire)) {
        pthread_mutex_lock(&s->open_mu);
        int rc = 0;
        if (!atomic_load(&s->opened)) {
            rc = s->db ? 0 : open_db(s, err);
            rc = rc ? rc : load_ckpts(s, err);
            rc = rc ? rc : catch_up(s, err);
            if (rc == 0)
                atomic_store_explicit(&s->opened, true, memory_order_release);
        }
        pthread_mutex_unlock(&s->open_mu);
        if (rc)
            return -1;
    }
    if (!atomic_load_explicit(&s->is_broken, memory_order_acquire))
        return 0;
    pthread_mutex_lock(&s->mu);
    sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                 "the local state in %s is behind its changelog (%s): restart to catch it up",
                 s->dir, s->broken);
    pthread_mutex_unlock(&s->mu);
    return -1;
}

/* ------------------------------------------------------------------ */
/* partitions that move between workers                                */

/* The checkpoint of topic/partition in the local database; -1 none. */
static int64_t read_ckpt(sl_kstate *s, const char *topic, int32_t p, sl_error *err)
{
    size_t tl = strlen(topic);
    uint8_t k[sizeof CKPT + MAX_TOPIC + 1 + 4];
    if (tl > MAX_TOPIC)
        return -1;
    memcpy(k, CKPT, sizeof CKPT);
    memcpy(k + sizeof CKPT, topic, tl + 1);
    put_be32(k + sizeof CKPT + tl + 1, (uint32_t)p);
    char *errp = NULL;
    size_t vl = 0;
    char *v = rocksdb_get_cf(s->db, s->ro, s->cf_meta, (const char *)k, sizeof CKPT + tl + 5,
                             &vl, &errp);
    if (errp) {
        rocks_fail(err, errp, "reading a checkpoint", s->dir);
        return -2;
    }
    int64_t ck = v && vl == 8 ? (int64_t)get_be64((const uint8_t *)v) : -1;
    rocksdb_free(v);
    return ck;
}

/* Applies topic/partition p from the local checkpoint to its end (known
 * at the call); *applied counts the records. 1 when the topic is not ours. */
static int catch_up_partition(sl_kstate *s, const char *topic, int32_t p, int64_t *applied,
                              sl_error *err)
{
    /* a partition another worker just added to the topic may take the
     * clients a moment to know */
    int64_t end, deadline = mono_ms() + RESTORE_STALL_MS;
    while ((end = sl_log_end_offset(s->log, topic, p, err)) < 0 && mono_ms() < deadline) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (end < 0)
        return -1;
    int64_t from = read_ckpt(s, topic, p, err);
    if (from < -1)
        return -1;
    if (from > end)
        from = 0;       /* the topic was made again */
    if (from < 0)
        from = 0;
    tally ty = {-1, 0, 0};
    int rc = from < end ? replay(s, topic, p, from, end, &ty, err) : 0;
    if (rc)
        return rc;
    pthread_mutex_lock(&s->mu);
    kcpart *c = part_get(s, topic, p);
    if (end > c->known_end)
        c->known_end = end;
    pthread_mutex_unlock(&s->mu);
    *applied += ty.applied;
    return 0;
}

int sl_kafka_state_restore(sl_kstate *s, const char *store, int32_t partition, sl_error *err)
{
    if (!store || !*store || partition < 0)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "restoring: no store or partition");
    if (ensure_open(s, err))
        return -1;
    const char *slash = strchr(store, '/');
    size_t ql = slash ? (size_t)(slash - store) : strlen(store);
    char topic[MAX_TOPIC + 1];
    changelog_name(s, store, ql, topic);
    int32_t np = sl_log_kafka_partition_count(s->log, topic, err);
    if (np < 0)
        return -1;
    if (partition >= np)
        return 0;       /* nothing was ever written for it */
    int64_t applied = 0;
    int rc = catch_up_partition(s, topic, partition, &applied, err);
    if (rc < 0)
        return -1;
    if (applied > 0)
        fprintf(stderr, "sluice: state of %.*s partition %d restored from %s: %lld changelog "
                "records applied\n", (int)ql, store, (int)partition, topic, (long long)applied);
    return 0;
}

/* A keyspace every worker writes ("mat": the rows pull queries read):
 * what the other workers committed is applied before a read answers. */
static bool shared_space(const char *space)
{
    return strcmp(space, "state") && strcmp(space, "state_meta");
}

static int refresh_space(sl_kstate *s, const char *space, sl_error *err)
{
    char topic[MAX_TOPIC + 1];
    changelog_name(s, space, strlen(space), topic);
    int32_t np = sl_log_kafka_partition_count(s->log, topic, err);
    if (np < 0)
        return -1;
    int64_t applied = 0;
    for (int32_t p = 0; p < np; p++) {
        int rc = catch_up_partition(s, topic, p, &applied, err);
        if (rc < 0)
            return -1;
        if (rc > 0)
            break;      /* another service's */
    }
    return 0;
}

/* Deletes every checkpoint of topic from the local database. */
static int drop_ckpts(sl_kstate *s, const char *topic, sl_error *err)
{
    size_t tl = strlen(topic);
    uint8_t lo[sizeof CKPT + MAX_TOPIC + 1], hi[sizeof CKPT + MAX_TOPIC + 1];
    if (tl > MAX_TOPIC)
        return 0;
    memcpy(lo, CKPT, sizeof CKPT);
    memcpy(lo + sizeof CKPT, topic, tl + 1);       /* "ckpt" 0 topic 0 ... */
    memcpy(hi, lo, sizeof CKPT + tl + 1);
    hi[sizeof CKPT + tl] = 1;                      /* ... up to "ckpt" 0 topic 1 */
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    rocksdb_writebatch_delete_range_cf(wb, s->cf_meta, (const char *)lo, sizeof CKPT + tl + 1,
                                       (const char *)hi, sizeof CKPT + tl + 1);
    char *errp = NULL;
    rocksdb_write(s->db, s->wo, wb, &errp);
    rocksdb_writebatch_destroy(wb);
    if (errp)
        return rocks_fail(err, errp, "dropping checkpoints", s->dir);
    pthread_mutex_lock(&s->mu);
    for (kcpart *c = s->parts; c; c = c->link)
        if (!strcmp(c->topic, topic))
            c->ckpt = c->known_end = -1;
    for (kctopic *t = s->topics; t; t = t->link)
        if (!strcmp(t->name, topic))
            t->partitions = 0;      /* made again on its next use */
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int sl_kafka_state_drop_query(sl_kstate *s, const char *query_id, char *group, size_t cap,
                              sl_error *err)
{
    if (!query_id || !*query_id)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "dropping: no query id");
    snprintf(group, cap, "%s%s", s->prefix, query_id);
    char topic[MAX_TOPIC + 1];
    changelog_name(s, query_id, strlen(query_id), topic);
    int32_t np = sl_log_kafka_partition_count(s->log, topic, err);
    if (np < 0)
        return -1;
    if (np > 0 && sl_log_delete_topic(s->log, topic, err)) {
        /* another worker of the service deleted it first, or the mock
         * cluster, which takes no Admin requests */
        if (err->code != SL_ERR_UNSUPPORTED && sl_log_kafka_partition_count(s->log, topic, err))
            return -1;
        sl_error_clear(err);
    }
    return ensure_open(s, err) || drop_ckpts(s, topic, err) ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* the state's life                                                    */

sl_kstate *sl_kafka_state_new(sl_log *log, const sl_log_kafka_opts *o, sl_error *err)
{
    const char *sid = o->service_id && *o->service_id ? o->service_id : "default_";
    size_t n = strlen(sid);
    bool ok = n <= MAX_SERVICE && strcmp(sid, ".") && strcmp(sid, "..");
    for (size_t i = 0; ok && i < n; i++)
        ok = topic_char(sid[i]);
    if (!ok) {
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                     "service id '%s': it names Kafka topics, so 1 to %d characters of "
                     "[A-Za-z0-9._-]", sid, MAX_SERVICE);
        return NULL;
    }
    sl_kstate *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->log = log;
    s->service = xstrdup(sid);
    size_t pl = n + sizeof "_sluice--";
    s->prefix = xrealloc(NULL, pl);
    snprintf(s->prefix, pl, "_sluice-%s-", sid);
    if (o->state_dir && *o->state_dir) {
        s->dir = xstrdup(o->state_dir);
    } else {
        const char *data = o->data_dir && *o->data_dir ? o->data_dir : "./sluice-data";
        size_t dl = strlen(data) + n + sizeof "/kafka-state/";
        s->dir = xrealloc(NULL, dl);
        snprintf(s->dir, dl, "%s/kafka-state/%s", data, sid);
    }
    pthread_mutex_init(&s->open_mu, NULL);
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->topic_mu, NULL);
    return s;
}

void sl_kafka_state_free(sl_kstate *s)
{
    if (!s)
        return;
    for (int i = 0; i < atomic_load(&s->n_spaces); i++) {
        rocksdb_column_family_handle_destroy(s->spaces[i].cf);
        free(s->spaces[i].name);
    }
    if (s->cf_meta)
        rocksdb_column_family_handle_destroy(s->cf_meta);
    if (s->db)
        rocksdb_close(s->db);
    if (s->space_opts)
        rocksdb_options_destroy(s->space_opts);
    if (s->opts)
        rocksdb_options_destroy(s->opts);
    if (s->cache)
        rocksdb_cache_destroy(s->cache);
    if (s->wo)
        rocksdb_writeoptions_destroy(s->wo);
    if (s->ro)
        rocksdb_readoptions_destroy(s->ro);
    for (kcpart *c = s->parts, *nx; c; c = nx) {
        nx = c->link;
        free(c->topic);
        free(c);
    }
    for (kctopic *t = s->topics, *nx; t; t = nx) {
        nx = t->link;
        free(t->name);
        free(t);
    }
    pthread_mutex_destroy(&s->open_mu);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->topic_mu);
    free(s->service);
    free(s->prefix);
    free(s->dir);
    free(s);
}

/* ------------------------------------------------------------------ */
/* reads                                                               */

int sl_kafka_state_get(sl_kstate *s, const char *space, const void *key, size_t key_len,
                       sl_arena *a, const void **val, size_t *val_len, sl_error *err)
{
    *val = NULL;
    *val_len = 0;
    if (sl_raw_check_space(space, MAX_SPACE_NAME, err) ||
        sl_raw_check_bytes(key, key_len, "raw key", err) ||
        ensure_open(s, err) || (shared_space(space) && refresh_space(s, space, err)))
        return -1;
    rocksdb_column_family_handle_t *cf = space_cf(s, space, false, err);
    if (!cf)
        return 0;
    return sl_rocks_get_copy(s->db, s->ro, cf, key, key_len, a, val, val_len, s->dir, err);
}

sl_log_iter *sl_kafka_state_scan(sl_kstate *s, const char *space, const void *lo, size_t lo_len,
                                 const void *hi, size_t hi_len, sl_error *err)
{
    if (sl_raw_check_space(space, MAX_SPACE_NAME, err) ||
        sl_raw_check_bytes(lo, lo_len, "scan start", err) ||
        sl_raw_check_bytes(hi, hi_len, "scan end", err) || ensure_open(s, err) ||
        (shared_space(space) && refresh_space(s, space, err)))
        return NULL;
    /* a keyspace nobody wrote scans as empty */
    return sl_rocks_scan(s->db, space_cf(s, space, false, err), lo, lo_len, hi, hi_len, s->dir);
}

/* ------------------------------------------------------------------ */
/* transactions: buffering                                             */

static sl_kstate_txn *txn_get(sl_kstate *s, sl_kstate_txn **tx)
{
    if (!*tx) {
        sl_kstate_txn *t = calloc(1, sizeof *t);
        if (!t)
            abort();
        t->s = s;
        t->wb = rocksdb_writebatch_create();
        *tx = t;
    }
    return *tx;
}

static int txn_topic(sl_kstate_txn *tx, const char *name, int32_t partition)
{
    int i;
    for (i = 0; i < tx->n_topics; i++)
        if (!strcmp(tx->topics[i].name, name))
            break;
    if (i == tx->n_topics) {
        tx->topics = xrealloc(tx->topics, sizeof *tx->topics * (size_t)(i + 1));
        tx->topics[i] = (ktneed){xstrdup(name), 1, partition < 0 ? SPACE_PARTITIONS : 1, 0};
        tx->n_topics++;
    }
    ktneed *t = &tx->topics[i];
    if (partition >= t->need) {
        t->need = partition + 1;
        if (t->create < t->need)
            t->create = t->need;
    }
    return i;
}

/* Buffers a changelog record (val NULL: a tombstone). */
static int add_op(sl_kstate_txn *tx, const char *space, const void *key, size_t key_len,
                  const void *val, size_t val_len, sl_error *err)
{
    char topic[MAX_TOPIC + 1];
    int32_t p;
    if (route(tx->s, space, key, key_len, topic, &p, err))
        return -1;
    size_t sl = strlen(space) + 1, need = sl + key_len + (val ? val_len : 0);
    if (tx->len + need > tx->cap) {
        size_t cap = tx->cap ? tx->cap : 4096;
        while (cap < tx->len + need)
            cap *= 2;
        tx->bytes = xrealloc(tx->bytes, cap);
        tx->cap = cap;
    }
    uint8_t *b = tx->bytes + tx->len;
    memcpy(b, space, sl);
    if (key_len)
        memcpy(b + sl, key, key_len);
    if (val && val_len)
        memcpy(b + sl + key_len, val, val_len);
    if (tx->n_ops == tx->cap_ops) {
        tx->cap_ops = tx->cap_ops ? 2 * tx->cap_ops : 64;
        tx->ops = xrealloc(tx->ops, sizeof *tx->ops * (size_t)tx->cap_ops);
    }
    tx->ops[tx->n_ops++] = (kop){tx->len, sl + key_len, sl, val ? (int64_t)val_len : -1,
                                 txn_topic(tx, topic, p), p};
    tx->len += need;
    return 0;
}

int sl_kafka_state_put(sl_kstate *s, sl_kstate_txn **tx, const char *space, const void *key,
                       size_t key_len, const void *val, size_t val_len, sl_error *err)
{
    if (sl_raw_check_space(space, MAX_SPACE_NAME, err) ||
        sl_raw_check_bytes(key, key_len, "raw key", err) ||
        sl_raw_check_bytes(val, val ? val_len : 0, "raw value", err) || ensure_open(s, err))
        return -1;
    sl_kstate_txn *t = txn_get(s, tx);
    rocksdb_column_family_handle_t *cf = space_cf(s, space, val != NULL, err);
    if (val && !cf)
        return -1;
    if (add_op(t, space, key, key_len, val, val_len, err))
        return -1;
    const char *k = key_len ? key : "";
    if (val)
        rocksdb_writebatch_put_cf(t->wb, cf, k, key_len, val_len ? val : "", val_len);
    else if (cf)
        rocksdb_writebatch_delete_cf(t->wb, cf, k, key_len);
    return 0;
}

int sl_kafka_state_delete_range(sl_kstate *s, sl_kstate_txn **tx, const char *space,
                                const void *lo, size_t lo_len, const void *hi, size_t hi_len,
                                sl_error *err)
{
    if (sl_raw_check_space(space, MAX_SPACE_NAME, err) ||
        sl_raw_check_bytes(lo, lo_len, "range start", err) ||
        sl_raw_check_bytes(hi, hi_len, "range end", err) || ensure_open(s, err))
        return -1;
    sl_kstate_txn *t = txn_get(s, tx);
    int before = t->n_ops;
    size_t sl = strlen(space) + 1;
    /* the keys put earlier in this transaction */
    for (int i = 0; i < before; i++) {
        kop *o = &t->ops[i];
        const uint8_t *b = t->bytes + o->off;
        if (o->val_len < 0 || o->raw_off != sl || memcmp(b, space, sl) ||
            !in_range(b + sl, o->key_len - sl, lo, lo_len, hi, hi_len))
            continue;
        /* copied: add_op may move t->bytes */
        size_t kl = o->key_len - sl;
        uint8_t *k = xrealloc(NULL, kl);
        if (kl)
            memcpy(k, b + sl, kl);
        int rc = sl_kafka_state_put(s, tx, space, k, kl, NULL, 0, err);
        free(k);
        if (rc)
            return -1;
    }
    /* the committed ones */
    sl_log_iter *it = sl_kafka_state_scan(s, space, lo, lo_len, hi, hi_len, err);
    if (!it)
        return -1;
    const void *k, *v;
    size_t kl, vl;
    int rc;
    while ((rc = it->next(it, &k, &kl, &v, &vl, err)) > 0)
        if (sl_kafka_state_put(s, tx, space, k, kl, NULL, 0, err)) {
            rc = -1;
            break;
        }
    it->free(it);
    return rc < 0 ? -1 : 0;
}

void sl_kafka_state_txn_free(sl_kstate_txn *tx)
{
    if (!tx)
        return;
    rocksdb_writebatch_destroy(tx->wb);
    for (int i = 0; i < tx->n_topics; i++)
        free(tx->topics[i].name);
    free(tx->topics);
    free(tx->bytes);
    free(tx->ops);
    free(tx->reg);
    free(tx);
}

/* ------------------------------------------------------------------ */
/* transactions: commit                                                */

static kctopic *cached(sl_kstate *s, const char *name)
{
    for (kctopic *t = s->topics; t; t = t->link)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}

/* Partitions [from, to) of topic are new, so empty. */
static void note_new(sl_kstate *s, const char *topic, int32_t from, int32_t to)
{
    pthread_mutex_lock(&s->mu);
    for (int32_t p = from; p < to; p++) {
        kcpart *c = part_get(s, topic, p);
        if (c->known_end < 0)
            c->known_end = 0;
    }
    kctopic *t = cached(s, topic);
    if (!t) {
        t = xrealloc(NULL, sizeof *t);
        *t = (kctopic){xstrdup(topic), to, s->topics};
        s->topics = t;
    }
    t->partitions = to;
    pthread_mutex_unlock(&s->mu);
}

/* The partition count of a changelog topic, which is made to have at
 * least tn->need partitions (created with tn->create). -1 with err. */
static int32_t ensure_topic(sl_kstate *s, const ktneed *tn, sl_error *err)
{
    pthread_mutex_lock(&s->mu);
    kctopic *t = cached(s, tn->name);
    int32_t have = t ? t->partitions : 0;
    pthread_mutex_unlock(&s->mu);
    if (have >= tn->need)
        return have;
    pthread_mutex_lock(&s->topic_mu);     /* one creator at a time */
    have = sl_log_kafka_partition_count(s->log, tn->name, err);
    int rc = have < 0 ? -1 : 0;
    if (rc == 0 && have == 0) {
        sl_topic_config cfg = sl_topic_config_default();
        cfg.partitions = tn->create;
        cfg.retention_ms = -1;
        cfg.cleanup = SL_CLEANUP_COMPACT;
        bool created = false;
        rc = sl_log_create_topic(s->log, tn->name, &cfg, &created, err);
        if (rc == 0) {
            if (created)
                note_new(s, tn->name, 0, tn->create);
            have = tn->create;
        } else {
            /* another worker of the service made it meanwhile, maybe with
             * fewer partitions (those it writes): grown below */
            sl_error e2;
            int32_t now = sl_log_kafka_partition_count(s->log, tn->name, &e2);
            if (now > 0) {
                sl_error_clear(err);
                have = now;
                rc = 0;
            }
        }
    }
    if (rc == 0 && have < tn->need) {
        rc = sl_log_kafka_add_partitions(s->log, tn->name, tn->need, err);
        if (rc) {
            /* ... or grew it meanwhile */
            sl_error e2;
            int32_t now = sl_log_kafka_partition_count(s->log, tn->name, &e2);
            if (now >= tn->need) {
                sl_error_clear(err);
                have = now;
                rc = 0;
            }
        } else {
            note_new(s, tn->name, have, tn->need);
            have = tn->need;
        }
    }
    if (rc == 0)
        note_new(s, tn->name, have, have);  /* caches the count */
    pthread_mutex_unlock(&s->topic_mu);
    return rc ? -1 : have;
}

/* Registers tx as writing topic/partition (once); the end known now is a
 * lower bound of the offsets its records get. */
static void reg_part(sl_kstate_txn *tx, const char *topic, int32_t p, bool shared)
{
    sl_kstate *s = tx->s;
    for (int i = 0; i < tx->n_reg; i++)
        if (tx->reg[i]->partition == p && !strcmp(tx->reg[i]->topic, topic))
            return;
    pthread_mutex_lock(&s->mu);
    kcpart *c = part_get(s, topic, p);
    c->shared |= shared;
    if (c->pending++ == 0)
        c->low = c->known_end;
    pthread_mutex_unlock(&s->mu);
    if (tx->n_reg == tx->cap_reg) {
        tx->cap_reg = tx->cap_reg ? 2 * tx->cap_reg : 4;
        tx->reg = xrealloc(tx->reg, sizeof *tx->reg * (size_t)tx->cap_reg);
    }
    tx->reg[tx->n_reg++] = c;
}

int sl_kafka_state_txn_produce(sl_kstate_txn *tx, sl_log_txn *t, sl_error *err)
{
    sl_kstate *s = tx->s;
    for (int i = 0; i < tx->n_topics; i++) {
        tx->topics[i].count = ensure_topic(s, &tx->topics[i], err);
        if (tx->topics[i].count < 0)
            return -1;
    }
    for (int i = 0; i < tx->n_ops; i++) {
        kop *o = &tx->ops[i];
        bool shared = o->partition < 0;     /* by key: a keyspace of every worker */
        if (shared)
            o->partition = sl_partitioner_for_key(tx->bytes + o->off, o->key_len,
                                                  tx->topics[o->topic].count);
        reg_part(tx, tx->topics[o->topic].name, o->partition, shared);
    }
    for (int i = 0; i < tx->n_ops; i++) {
        kop *o = &tx->ops[i];
        const uint8_t *b = tx->bytes + o->off;
        sl_record r = {0};
        r.key = b;
        r.key_len = (int32_t)o->key_len;
        r.value = o->val_len >= 0 ? b + o->key_len : NULL;
        r.value_len = (int32_t)o->val_len;
        if (sl_log_txn_append(t, tx->topics[o->topic].name, o->partition, &r, NULL, NULL, err))
            return -1;
    }
    return 0;
}

int sl_kafka_state_txn_finish(sl_kstate_txn *tx, bool committed, const sl_kafka_delivered *d,
                              int n, sl_error *err)
{
    sl_kstate *s = tx->s;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < tx->n_reg; i++) {
        kcpart *c = tx->reg[i];
        for (int j = 0; j < n; j++)
            if (d[j].partition == c->partition && !strcmp(d[j].topic, c->topic) &&
                d[j].last_offset + 1 > c->known_end)
                c->known_end = d[j].last_offset + 1;
        /* nobody else unfinished: everything below known_end is applied (or
         * belongs to a failed commit, which a replay may apply again) */
        int64_t ck = c->pending == 1 ? c->known_end : c->low;
        if (committed && ck >= 0 && !c->shared)
            put_ckpt(s, tx->wb, c->topic, c->partition, ck);
    }
    pthread_mutex_unlock(&s->mu);
    int rc = 0;
    if (committed && rocksdb_writebatch_count(tx->wb) > 0) {
        char *errp = NULL;
        rocksdb_write(s->db, s->wo, tx->wb, &errp);
        if (errp) {
            pthread_mutex_lock(&s->mu);
            snprintf(s->broken, sizeof s->broken, "writing after a commit: %s", errp);
            atomic_store(&s->is_broken, true);
            pthread_mutex_unlock(&s->mu);
            rc = rocks_fail(err, errp, "the commit reached Kafka, but writing its state locally "
                                       "failed; restart to catch it up", s->dir);
        }
    }
    /* only now: a checkpoint taken meanwhile must not pass these records */
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < tx->n_reg; i++)
        tx->reg[i]->pending--;
    pthread_mutex_unlock(&s->mu);
    sl_kafka_state_txn_free(tx);
    return rc;
}
