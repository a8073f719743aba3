/*
 * embedded.c: the embedded log: topics stored in RocksDB in a data directory,
 * and the dispatch from the sl_log_* functions to a backend's ops.
 *
 * Does: the data-directory lock (DIR/LOCK, flock'ed, naming the holder),
 * one RocksDB instance in DIR/db, topics and their partitions, transactional
 * appends (one WriteBatch per commit), reads, committed positions,
 * retention, and waiting for commits.
 * Does not: compaction of cleanup.policy=compact topics (the policy is only
 * stored), serialization of keys and values, anything Kafka.
 *
 * Layout. Column family "records": key = be32 topic id, be32 partition,
 * be64 offset (16 bytes); value = a record encoding:
 *     u8 version (1), zigzag varint timestamp, key, value, varint header
 *     count, then per header: name, value
 * where a nullable byte string is uvarint(len + 1) then the bytes (0: null)
 * and a name is uvarint(len) then the bytes. Column family "default" holds
 * the metadata, keyed by a tag byte:
 *     "t" name                      topic: u8 version, be32 id, be32 partitions,
 *                                   be64 retention.ms, be64 retention.bytes,
 *                                   u8 cleanup.policy
 *     "i"                           be32 next topic id
 *     "p" be32 id be32 partition    be64 start, be64 end, be64 bytes
 *     "c" be32 id be32 partition group   be64 committed position
 * Topic ids are never reused, so a dropped and re-created topic never sees
 * old records or positions. Other column families belong to state stores
 * (sl_log_txn_put_raw, embedded_internal.h).
 *
 * A partition's size ("bytes") counts each record as its encoding plus its
 * 16-byte key.
 *
 * Locks: `mu` guards the in-memory topics, partitions, keyspaces and the
 * commit counter and is held only briefly; `wmu` serializes writes that
 * carry metadata (commits, topic DDL, retention) so the metadata values
 * written are never stale; `rmu` serializes retention runs. Order: rmu,
 * wmu, mu. Reads take mu only to look up offsets and then iterate a
 * RocksDB snapshot without locks.
 */
#include "log/log.h"
#include "log/embedded_internal.h"
#include "log/partitioner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEY_LEN 16
#define MAX_PARTITIONS 100000
#define REC_VERSION 1
#define TOPIC_VERSION 1
#define BLOCK_CACHE_BYTES ((size_t)64 << 20)

/* ------------------------------------------------------------------ */
/* in-memory state                                                     */

typedef struct part {
    int64_t start;          /* first readable offset */
    int64_t committed;      /* one past the highest committed offset (stored as end) */
    int64_t reserved;       /* next offset to hand out */
    int64_t bytes;          /* size of [start, committed) */
    int64_t *open_first;    /* first offsets reserved by open transactions */
    int n_open, cap_open;
} part;

typedef struct topic {
    char *name;
    uint32_t id;
    sl_topic_config cfg;
    part *parts;
    uint32_t rr;            /* round-robin counter for null keys */
    bool dropped;
    struct topic *next_all; /* every topic struct of this session, freed at close */
} topic;

typedef struct space {
    char *name;
    rocksdb_column_family_handle_t *cf;
} space;

typedef struct emb {
    sl_log base;
    char *dir;
    int lock_fd;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_block_based_table_options_t *bbto;
    rocksdb_cache_t *cache;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    rocksdb_column_family_handle_t *cf_meta, *cf_rec;
    space *spaces;
    int n_spaces, cap_spaces;
    pthread_mutex_t mu, wmu, rmu;
    pthread_cond_t cond;
    uint64_t seq;           /* change counter (see sl_log_commit_seq) */
    topic **topics;         /* live topics */
    int n_topics, cap_topics;
    topic *all;
    uint32_t next_id;       /* guarded by wmu */
} emb;

typedef struct touch {
    topic *t;
    int32_t p;
    bool reserved;          /* this txn reserved offsets here */
    int64_t first, last;
    int64_t add_bytes;
} touch;

typedef struct etxn {
    sl_log_txn base;
    rocksdb_writebatch_t *wb;
    touch *touched;
    int n_touched, cap_touched;
    uint8_t *scratch;
    size_t scratch_cap;
} etxn;

static const sl_log_ops embedded_ops;

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

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

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static void rec_key(uint8_t *k, uint32_t tid, int32_t p, int64_t off)
{
    put_be32(k, tid);
    put_be32(k + 4, (uint32_t)p);
    put_be64(k + 8, (uint64_t)off);
}

static size_t put_uvarint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static int get_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fills err from a RocksDB error string and frees it. */
static int rocks_error(sl_error *err, char *errp, const char *what)
{
    sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s: %s", what, errp ? errp : "unknown RocksDB error");
    rocksdb_free(errp);
    return -1;
}

static bool valid_topic_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 249 || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* record encoding                                                     */

static size_t encoded_bound(const sl_record *r)
{
    size_t n = 1 + 10 + 5 + 5 + 5;
    if (r->key_len > 0)
        n += (size_t)r->key_len;
    if (r->value_len > 0)
        n += (size_t)r->value_len;
    for (int32_t i = 0; i < r->n_headers; i++) {
        n += 10 + r->headers[i].key_len + 5;
        if (r->headers[i].value_len > 0)
            n += (size_t)r->headers[i].value_len;
    }
    return n;
}

static size_t put_nbytes(uint8_t *p, const void *b, int32_t len)
{
    if (len < 0)
        return put_uvarint(p, 0);
    size_t n = put_uvarint(p, (uint64_t)len + 1);
    if (len > 0)
        memcpy(p + n, b, (size_t)len);
    return n + (size_t)len;
}

static size_t encode_record(uint8_t *p, const sl_record *r, int64_t ts)
{
    size_t n = 0;
    p[n++] = REC_VERSION;
    n += put_uvarint(p + n, ((uint64_t)ts << 1) ^ (uint64_t)(ts >> 63));
    n += put_nbytes(p + n, r->key, r->key_len);
    n += put_nbytes(p + n, r->value, r->value_len);
    n += put_uvarint(p + n, (uint64_t)r->n_headers);
    for (int32_t i = 0; i < r->n_headers; i++) {
        const sl_log_header *h = &r->headers[i];
        n += put_uvarint(p + n, h->key_len);
        if (h->key_len)
            memcpy(p + n, h->key, h->key_len);
        n += h->key_len;
        n += put_nbytes(p + n, h->value, h->value_len);
    }
    return n;
}

static int validate_record(const sl_record *r, sl_error *err)
{
    if (!r)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "append: no record");
    if (r->key_len < -1 || (r->key_len > 0 && !r->key))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "append: invalid record key");
    if (r->value_len < -1 || (r->value_len > 0 && !r->value))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "append: invalid record value");
    if (r->n_headers < 0 || (r->n_headers > 0 && !r->headers))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "append: invalid record headers");
    for (int32_t i = 0; i < r->n_headers; i++) {
        const sl_log_header *h = &r->headers[i];
        if (h->key_len > INT32_MAX || (h->key_len > 0 && !h->key) || h->value_len < -1 ||
            (h->value_len > 0 && !h->value))
            return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                                "append: invalid record header %d", (int)i);
    }
    return 0;
}

/* Reads a nullable byte string; *len -1 for null. */
static int get_nbytes(const uint8_t **pp, const uint8_t *end, const uint8_t **b, int32_t *len)
{
    uint64_t v;
    if (get_uvarint(pp, end, &v))
        return -1;
    if (v == 0) {
        *b = NULL;
        *len = -1;
        return 0;
    }
    v -= 1;
    if (v > (uint64_t)INT32_MAX || v > (uint64_t)(end - *pp))
        return -1;
    *b = *pp;
    *len = (int32_t)v;
    *pp += v;
    return 0;
}

static int corrupt(sl_error *err, uint32_t tid, int32_t p, int64_t off)
{
    return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                        "corrupt record encoding in the embedded log (topic id %u, "
                        "partition %d, offset %lld)",
                        (unsigned)tid, (int)p, (long long)off);
}

/* Decodes only the timestamp. */
static int decode_ts(const uint8_t *b, size_t len, int64_t *ts)
{
    const uint8_t *p = b, *end = b + len;
    uint64_t z;
    if (len < 1 || *p++ != REC_VERSION || get_uvarint(&p, end, &z))
        return -1;
    *ts = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    return 0;
}

/* Decodes buf (which lives as long as the record) into r, headers from a. */
static int decode_record(const uint8_t *b, size_t len, sl_arena *a, sl_record *r)
{
    const uint8_t *p = b, *end = b + len, *kb, *vb;
    uint64_t z, nh;
    if (len < 1 || *p++ != REC_VERSION || get_uvarint(&p, end, &z))
        return -1;
    r->timestamp = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    if (get_nbytes(&p, end, &kb, &r->key_len) || get_nbytes(&p, end, &vb, &r->value_len))
        return -1;
    r->key = kb;
    r->value = vb;
    if (get_uvarint(&p, end, &nh) || nh > (uint64_t)(end - p) / 2)
        return -1;
    r->n_headers = (int32_t)nh;
    r->headers = NULL;
    if (nh) {
        sl_log_header *hs = sl_arena_alloc(a, nh * sizeof *hs);
        for (uint64_t i = 0; i < nh; i++) {
            uint64_t kl;
            const uint8_t *hv;
            if (get_uvarint(&p, end, &kl) || kl > (uint64_t)(end - p))
                return -1;
            hs[i].key = (const char *)p;
            hs[i].key_len = kl;
            p += kl;
            if (get_nbytes(&p, end, &hv, &hs[i].value_len))
                return -1;
            hs[i].value = hv;
        }
        r->headers = hs;
    }
    return p == end ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* topics in memory (callers hold mu)                                  */

static topic *find_topic(emb *e, const char *name)
{
    for (int i = 0; i < e->n_topics; i++)
        if (!strcmp(e->topics[i]->name, name))
            return e->topics[i];
    return NULL;
}

static topic *new_topic(emb *e, const char *name, uint32_t id, const sl_topic_config *cfg)
{
    topic *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->name = xstrdup(name);
    t->id = id;
    t->cfg = *cfg;
    t->parts = calloc((size_t)cfg->partitions, sizeof *t->parts);
    if (!t->parts)
        abort();
    t->next_all = e->all;
    e->all = t;
    if (e->n_topics == e->cap_topics) {
        e->cap_topics = e->cap_topics ? e->cap_topics * 2 : 8;
        e->topics = xrealloc(e->topics, (size_t)e->cap_topics * sizeof *e->topics);
    }
    e->topics[e->n_topics++] = t;
    return t;
}

static void unlink_topic(emb *e, topic *t)
{
    for (int i = 0; i < e->n_topics; i++)
        if (e->topics[i] == t) {
            e->topics[i] = e->topics[--e->n_topics];
            break;
        }
    t->dropped = true;
}

static int64_t visible_end(const part *pt)
{
    int64_t end = pt->committed;
    for (int i = 0; i < pt->n_open; i++)
        if (pt->open_first[i] < end)
            end = pt->open_first[i];
    return end;
}

static void open_add(part *pt, int64_t first)
{
    if (pt->n_open == pt->cap_open) {
        pt->cap_open = pt->cap_open ? pt->cap_open * 2 : 4;
        pt->open_first = xrealloc(pt->open_first, (size_t)pt->cap_open * sizeof *pt->open_first);
    }
    pt->open_first[pt->n_open++] = first;
}

static void open_remove(part *pt, int64_t first)
{
    for (int i = 0; i < pt->n_open; i++)
        if (pt->open_first[i] == first) {
            pt->open_first[i] = pt->open_first[--pt->n_open];
            return;
        }
}

/* Resolves topic/partition for a reader under mu. */
static int lookup_part(emb *e, const char *name, int32_t p, uint32_t *tid, int64_t *start,
                       int64_t *end, sl_error *err)
{
    pthread_mutex_lock(&e->mu);
    topic *t = name ? find_topic(e, name) : NULL;
    if (!t) {
        pthread_mutex_unlock(&e->mu);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "topic %s does not exist",
                            name ? name : "(null)");
    }
    if (p < 0 || p >= t->cfg.partitions) {
        int np = t->cfg.partitions;
        pthread_mutex_unlock(&e->mu);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "topic %s has no partition %d (it has %d)", name, (int)p, np);
    }
    *tid = t->id;
    if (start)
        *start = t->parts[p].start;
    if (end)
        *end = visible_end(&t->parts[p]);
    pthread_mutex_unlock(&e->mu);
    return 0;
}

static void put_part_meta(rocksdb_writebatch_t *wb, emb *e, uint32_t tid, int32_t p,
                          int64_t start, int64_t end, int64_t bytes)
{
    uint8_t k[9], v[24];
    k[0] = 'p';
    put_be32(k + 1, tid);
    put_be32(k + 5, (uint32_t)p);
    put_be64(v, (uint64_t)start);
    put_be64(v + 8, (uint64_t)end);
    put_be64(v + 16, (uint64_t)bytes);
    rocksdb_writebatch_put_cf(wb, e->cf_meta, (const char *)k, sizeof k, (const char *)v,
                              sizeof v);
}

/* ------------------------------------------------------------------ */
/* the data-directory lock                                             */

static int mkdir_p(const char *dir, sl_error *err)
{
    char *p = xstrdup(dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0755) && errno != EEXIST) {
            sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "cannot create directory %s: %s", p,
                         strerror(errno));
            free(p);
            return -1;
        }
        *s = '/';
    }
    free(p);
    if (mkdir(dir, 0755) && errno != EEXIST)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "cannot create directory %s: %s", dir,
                            strerror(errno));
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s is not a directory", dir);
    return 0;
}

static int take_lock(emb *e, sl_error *err)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/LOCK", e->dir) >= (int)sizeof path)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "data directory path too long");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "cannot open %s: %s", path,
                            strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        int saved = errno;
        char buf[512] = {0};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        close(fd);
        if (saved != EWOULDBLOCK)
            return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "cannot lock %s: %s", path,
                                strerror(saved));
        long pid = 0;
        char prog[128] = "", started[128] = "";
        if (n > 0 && sscanf(buf, "pid %ld\nprogram %127[^\n]\nstarted %127[^\n]", &pid, prog,
                            started) == 3)
            return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                                "data directory %s is in use by process %ld (%s, started %s)",
                                e->dir, pid, prog, started);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "data directory %s is in use by another process", e->dir);
    }
    char info[512];
    time_t now = time(NULL);
    struct tm tm;
    char when[64];
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    int len = snprintf(info, sizeof info, "pid %ld\nprogram %s\nstarted %s\n", (long)getpid(),
                       program_invocation_short_name, when);
    if (ftruncate(fd, 0) || pwrite(fd, info, (size_t)len, 0) != len) {
        int saved = errno;
        close(fd);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "cannot write %s: %s", path,
                            strerror(saved));
    }
    e->lock_fd = fd;
    return 0;
}

/* ------------------------------------------------------------------ */
/* open and close                                                      */

static void emb_free(emb *e)
{
    if (e->db) {
        for (int i = 0; i < e->n_spaces; i++)
            rocksdb_column_family_handle_destroy(e->spaces[i].cf);
        if (e->cf_meta)
            rocksdb_column_family_handle_destroy(e->cf_meta);
        if (e->cf_rec)
            rocksdb_column_family_handle_destroy(e->cf_rec);
        rocksdb_close(e->db);
    }
    for (int i = 0; i < e->n_spaces; i++)
        free(e->spaces[i].name);
    free(e->spaces);
    if (e->opts)
        rocksdb_options_destroy(e->opts);
    if (e->bbto)
        rocksdb_block_based_options_destroy(e->bbto);
    if (e->cache)
        rocksdb_cache_destroy(e->cache);
    if (e->wopts)
        rocksdb_writeoptions_destroy(e->wopts);
    if (e->ropts)
        rocksdb_readoptions_destroy(e->ropts);
    for (topic *t = e->all, *next; t; t = next) {
        next = t->next_all;
        for (int32_t p = 0; p < t->cfg.partitions; p++)
            free(t->parts[p].open_first);
        free(t->parts);
        free(t->name);
        free(t);
    }
    free(e->topics);
    if (e->lock_fd >= 0) {
        if (ftruncate(e->lock_fd, 0)) {
            /* the lock goes with the descriptor either way */
        }
        close(e->lock_fd);
    }
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->wmu);
    pthread_mutex_destroy(&e->rmu);
    pthread_cond_destroy(&e->cond);
    free(e->dir);
    free(e);
}

static int load_topics(emb *e, sl_error *err)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(e->db, e->ropts, e->cf_meta);
    int rc = 0;
    rocksdb_iter_seek(it, "t", 1);
    for (; rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *k = rocksdb_iter_key(it, &kl);
        const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vl);
        if (kl < 1 || k[0] != 't')
            break;
        if (vl != 26 || v[0] != TOPIC_VERSION || kl - 1 > 249) {
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "corrupt topic metadata in %s",
                              e->dir);
            break;
        }
        char name[256];
        memcpy(name, k + 1, kl - 1);
        name[kl - 1] = 0;
        sl_topic_config cfg;
        uint32_t id = get_be32(v + 1);
        cfg.partitions = (int32_t)get_be32(v + 5);
        cfg.retention_ms = (int64_t)get_be64(v + 9);
        cfg.retention_bytes = (int64_t)get_be64(v + 17);
        cfg.cleanup = v[25] ? SL_CLEANUP_COMPACT : SL_CLEANUP_DELETE;
        if (cfg.partitions <= 0 || cfg.partitions > MAX_PARTITIONS) {
            rc = sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "corrupt topic metadata for %s", name);
            break;
        }
        new_topic(e, name, id, &cfg);
    }
    char *errp = NULL;
    rocksdb_iter_get_error(it, &errp);
    rocksdb_iter_destroy(it);
    if (errp)
        return rocks_error(err, errp, "reading topic metadata");
    if (rc)
        return rc;

    for (int i = 0; i < e->n_topics; i++) {
        topic *t = e->topics[i];
        for (int32_t p = 0; p < t->cfg.partitions; p++) {
            uint8_t k[9];
            k[0] = 'p';
            put_be32(k + 1, t->id);
            put_be32(k + 5, (uint32_t)p);
            size_t vl;
            char *v = rocksdb_get_cf(e->db, e->ropts, e->cf_meta, (const char *)k, sizeof k,
                                     &vl, &errp);
            if (errp)
                return rocks_error(err, errp, "reading partition metadata");
            if (!v)
                continue;
            if (vl != 24) {
                rocksdb_free(v);
                return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                                    "corrupt partition metadata for %s-%d", t->name, (int)p);
            }
            part *pt = &t->parts[p];
            pt->start = (int64_t)get_be64((uint8_t *)v);
            pt->committed = pt->reserved = (int64_t)get_be64((uint8_t *)v + 8);
            pt->bytes = (int64_t)get_be64((uint8_t *)v + 16);
            rocksdb_free(v);
        }
    }
    size_t vl;
    char *v = rocksdb_get_cf(e->db, e->ropts, e->cf_meta, "i", 1, &vl, &errp);
    if (errp)
        return rocks_error(err, errp, "reading metadata");
    e->next_id = 1;
    if (v && vl == 4)
        e->next_id = get_be32((uint8_t *)v);
    rocksdb_free(v);
    return 0;
}

sl_log *sl_log_open_embedded_opts(const char *dir, const sl_log_embedded_opts *o,
                                  sl_error *err)
{
    if (!dir || !*dir) {
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "no data directory given");
        return NULL;
    }
    emb *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    e->base.ops = &embedded_ops;
    e->dir = xstrdup(dir);
    e->lock_fd = -1;
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->wmu, NULL);
    pthread_mutex_init(&e->rmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cond, &ca);
    pthread_condattr_destroy(&ca);

    if (mkdir_p(dir, err) || take_lock(e, err)) {
        emb_free(e);
        return NULL;
    }

    char path[PATH_MAX], current[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/db", dir) >= (int)sizeof path ||
        snprintf(current, sizeof current, "%s/db/CURRENT", dir) >= (int)sizeof current) {
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "data directory path too long");
        emb_free(e);
        return NULL;
    }
    e->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(e->opts, 1);
    rocksdb_options_set_create_missing_column_families(e->opts, 1);
    rocksdb_options_increase_parallelism(e->opts, 2);
    /* tuned for scans: large blocks, a block cache, LZ4 */
    e->cache = rocksdb_cache_create_lru(BLOCK_CACHE_BYTES);
    e->bbto = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_size(e->bbto, 32 * 1024);
    rocksdb_block_based_options_set_block_cache(e->bbto, e->cache);
    rocksdb_options_set_block_based_table_factory(e->opts, e->bbto);
    rocksdb_options_set_compression(e->opts, rocksdb_lz4_compression);
    e->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(e->wopts, o && o->sync);
    e->ropts = rocksdb_readoptions_create();

    char *errp = NULL;
    char **names = NULL;
    size_t n_names = 0;
    char **listed = NULL;
    if (access(current, F_OK) == 0) {
        listed = rocksdb_list_column_families(e->opts, path, &n_names, &errp);
        if (errp) {
            rocks_error(err, errp, "opening the embedded log");
            emb_free(e);
            return NULL;
        }
    }
    /* the families to open: whatever exists plus ours */
    names = xrealloc(NULL, (n_names + 2) * sizeof *names);
    size_t nn = 0;
    bool has_default = false, has_records = false;
    for (size_t i = 0; i < n_names; i++) {
        names[nn++] = listed[i];
        has_default |= !strcmp(listed[i], "default");
        has_records |= !strcmp(listed[i], "records");
    }
    if (!has_default)
        names[nn++] = "default";
    if (!has_records)
        names[nn++] = "records";
    const rocksdb_options_t **cfo = xrealloc(NULL, nn * sizeof *cfo);
    rocksdb_column_family_handle_t **h = xrealloc(NULL, nn * sizeof *h);
    for (size_t i = 0; i < nn; i++)
        cfo[i] = e->opts;
    e->db = rocksdb_open_column_families(e->opts, path, (int)nn, (const char *const *)names,
                                         cfo, h, &errp);
    if (errp) {
        e->db = NULL;
        rocks_error(err, errp, "opening the embedded log");
    } else {
        for (size_t i = 0; i < nn; i++) {
            if (!strcmp(names[i], "default"))
                e->cf_meta = h[i];
            else if (!strcmp(names[i], "records"))
                e->cf_rec = h[i];
            else {
                if (e->n_spaces == e->cap_spaces) {
                    e->cap_spaces = e->cap_spaces ? e->cap_spaces * 2 : 4;
                    e->spaces = xrealloc(e->spaces, (size_t)e->cap_spaces * sizeof *e->spaces);
                }
                e->spaces[e->n_spaces].name = xstrdup(names[i]);
                e->spaces[e->n_spaces++].cf = h[i];
            }
        }
    }
    free(cfo);
    free(h);
    free(names);
    if (listed)
        rocksdb_list_column_families_destroy(listed, n_names);
    if (!e->db || load_topics(e, err)) {
        emb_free(e);
        return NULL;
    }
    return &e->base;
}

sl_log *sl_log_open_embedded(const char *dir, sl_error *err)
{
    return sl_log_open_embedded_opts(dir, NULL, err);
}

static void emb_close(sl_log *log)
{
    emb_free((emb *)log);
}

/* ------------------------------------------------------------------ */
/* topics                                                              */

static int emb_create_topic(sl_log *log, const char *name, const sl_topic_config *cfg,
                            bool *created, sl_error *err)
{
    emb *e = (emb *)log;
    if (created)
        *created = false;
    if (!name || !valid_topic_name(name))
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "invalid topic name '%s': use 1 to 249 characters of "
                            "[A-Za-z0-9._-]", name ? name : "");
    if (!cfg || cfg->partitions <= 0 || cfg->partitions > MAX_PARTITIONS)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "topic %s: partitions must be between 1 and %d", name,
                            MAX_PARTITIONS);
    if (cfg->retention_ms < -1 || cfg->retention_bytes < -1)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "topic %s: retention.ms and retention.bytes must be -1 or more",
                            name);
    if (cfg->cleanup != SL_CLEANUP_DELETE && cfg->cleanup != SL_CLEANUP_COMPACT)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                            "topic %s: invalid cleanup.policy", name);

    pthread_mutex_lock(&e->wmu);
    pthread_mutex_lock(&e->mu);
    topic *old = find_topic(e, name);
    int oldp = old ? old->cfg.partitions : 0;
    pthread_mutex_unlock(&e->mu);
    if (old) {
        pthread_mutex_unlock(&e->wmu);
        if (oldp != cfg->partitions)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "topic %s already exists with %d partitions, not %d", name,
                                oldp, (int)cfg->partitions);
        return 0;
    }
    if (e->next_id == UINT32_MAX) {
        pthread_mutex_unlock(&e->wmu);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "out of topic ids");
    }
    uint32_t id = e->next_id;
    uint8_t k[256], v[26], nid[4];
    size_t nl = strlen(name);
    k[0] = 't';
    memcpy(k + 1, name, nl);
    v[0] = TOPIC_VERSION;
    put_be32(v + 1, id);
    put_be32(v + 5, (uint32_t)cfg->partitions);
    put_be64(v + 9, (uint64_t)cfg->retention_ms);
    put_be64(v + 17, (uint64_t)cfg->retention_bytes);
    v[25] = (uint8_t)cfg->cleanup;
    put_be32(nid, id + 1);
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    rocksdb_writebatch_put_cf(wb, e->cf_meta, (const char *)k, nl + 1, (const char *)v, sizeof v);
    rocksdb_writebatch_put_cf(wb, e->cf_meta, "i", 1, (const char *)nid, sizeof nid);
    char *errp = NULL;
    rocksdb_write(e->db, e->wopts, wb, &errp);
    rocksdb_writebatch_destroy(wb);
    if (errp) {
        pthread_mutex_unlock(&e->wmu);
        return rocks_error(err, errp, "creating topic");
    }
    e->next_id = id + 1;
    pthread_mutex_lock(&e->mu);
    new_topic(e, name, id, cfg);
    pthread_mutex_unlock(&e->mu);
    pthread_mutex_unlock(&e->wmu);
    if (created)
        *created = true;
    return 0;
}

static int emb_delete_topic(sl_log *log, const char *name, sl_error *err)
{
    emb *e = (emb *)log;
    pthread_mutex_lock(&e->wmu);
    pthread_mutex_lock(&e->mu);
    topic *t = name ? find_topic(e, name) : NULL;
    pthread_mutex_unlock(&e->mu);
    if (!t) {
        pthread_mutex_unlock(&e->wmu);
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "topic %s does not exist",
                            name ? name : "(null)");
    }
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    uint8_t k[256], lo[5], hi[5], rlo[4], rhi[4];
    size_t nl = strlen(name);
    k[0] = 't';
    memcpy(k + 1, name, nl);
    rocksdb_writebatch_delete_cf(wb, e->cf_meta, (const char *)k, nl + 1);
    put_be32(rlo, t->id);
    put_be32(rhi, t->id + 1);       /* ids stay below UINT32_MAX */
    rocksdb_writebatch_delete_range_cf(wb, e->cf_rec, (const char *)rlo, 4, (const char *)rhi, 4);
    const char tags[2] = {'p', 'c'};
    for (int i = 0; i < 2; i++) {
        lo[0] = hi[0] = (uint8_t)tags[i];
        memcpy(lo + 1, rlo, 4);
        memcpy(hi + 1, rhi, 4);
        rocksdb_writebatch_delete_range_cf(wb, e->cf_meta, (const char *)lo, 5,
                                           (const char *)hi, 5);
    }
    char *errp = NULL;
    rocksdb_write(e->db, e->wopts, wb, &errp);
    rocksdb_writebatch_destroy(wb);
    if (errp) {
        pthread_mutex_unlock(&e->wmu);
        return rocks_error(err, errp, "deleting topic");
    }
    pthread_mutex_lock(&e->mu);
    unlink_topic(e, t);
    e->seq++;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
    pthread_mutex_unlock(&e->wmu);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emb_list_topics(sl_log *log, sl_arena *a, const char ***names, int *n,
                           sl_error *err)
{
    emb *e = (emb *)log;
    pthread_mutex_lock(&e->mu);
    const char **out = sl_arena_alloc(a, (size_t)(e->n_topics + 1) * sizeof *out);
    for (int i = 0; i < e->n_topics; i++)
        out[i] = sl_arena_strdup(a, e->topics[i]->name);
    *n = e->n_topics;
    pthread_mutex_unlock(&e->mu);
    qsort(out, (size_t)*n, sizeof *out, cmp_str);
    out[*n] = NULL;
    *names = out;
    return 0;
}

static int emb_describe_topic(sl_log *log, const char *name, sl_arena *a, sl_topic_info *out,
                              sl_error *err)
{
    emb *e = (emb *)log;
    pthread_mutex_lock(&e->mu);
    topic *t = name ? find_topic(e, name) : NULL;
    if (!t) {
        pthread_mutex_unlock(&e->mu);
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "topic %s does not exist",
                            name ? name : "(null)");
    }
    out->name = sl_arena_strdup(a, t->name);
    out->config = t->cfg;
    out->partitions = sl_arena_alloc(a, (size_t)t->cfg.partitions * sizeof *out->partitions);
    for (int32_t p = 0; p < t->cfg.partitions; p++) {
        const part *pt = &t->parts[p];
        out->partitions[p] = (sl_partition_info){p, pt->start, visible_end(pt), pt->bytes};
    }
    pthread_mutex_unlock(&e->mu);
    return 0;
}

/* ------------------------------------------------------------------ */
/* keyspaces for state stores                                          */

static rocksdb_column_family_handle_t *get_space(emb *e, const char *name, sl_error *err)
{
    if (!name || !*name || !strcmp(name, "default") || !strcmp(name, "records")) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "invalid keyspace name '%s'",
                     name ? name : "");
        return NULL;
    }
    pthread_mutex_lock(&e->mu);
    for (int i = 0; i < e->n_spaces; i++)
        if (!strcmp(e->spaces[i].name, name)) {
            rocksdb_column_family_handle_t *cf = e->spaces[i].cf;
            pthread_mutex_unlock(&e->mu);
            return cf;
        }
    char *errp = NULL;
    rocksdb_column_family_handle_t *cf = rocksdb_create_column_family(e->db, e->opts, name, &errp);
    if (errp) {
        pthread_mutex_unlock(&e->mu);
        rocks_error(err, errp, "creating keyspace");
        return NULL;
    }
    if (e->n_spaces == e->cap_spaces) {
        e->cap_spaces = e->cap_spaces ? e->cap_spaces * 2 : 4;
        e->spaces = xrealloc(e->spaces, (size_t)e->cap_spaces * sizeof *e->spaces);
    }
    e->spaces[e->n_spaces].name = xstrdup(name);
    e->spaces[e->n_spaces++].cf = cf;
    pthread_mutex_unlock(&e->mu);
    return cf;
}

rocksdb_t *sl_log_embedded_db(sl_log *log)
{
    return log && log->ops == &embedded_ops ? ((emb *)log)->db : NULL;
}

rocksdb_column_family_handle_t *sl_log_embedded_cf(sl_log *log, const char *space,
                                                   sl_error *err)
{
    if (!log || log->ops != &embedded_ops) {
        sl_error_set(err, SL_ERR_UNSUPPORTED, SL_NOSPAN, "not the embedded log");
        return NULL;
    }
    return get_space((emb *)log, space, err);
}

rocksdb_writebatch_t *sl_log_embedded_txn_batch(sl_log_txn *t)
{
    return t && t->log->ops == &embedded_ops ? ((etxn *)t)->wb : NULL;
}

/* ------------------------------------------------------------------ */
/* transactions                                                        */

static sl_log_txn *emb_txn_begin(sl_log *log)
{
    etxn *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->base.log = log;
    t->wb = rocksdb_writebatch_create();
    return &t->base;
}

static touch *find_touch(etxn *x, topic *t, int32_t p)
{
    for (int i = x->n_touched - 1; i >= 0; i--)
        if (x->touched[i].t == t && x->touched[i].p == p)
            return &x->touched[i];
    if (x->n_touched == x->cap_touched) {
        x->cap_touched = x->cap_touched ? x->cap_touched * 2 : 8;
        x->touched = xrealloc(x->touched, (size_t)x->cap_touched * sizeof *x->touched);
    }
    touch *tc = &x->touched[x->n_touched++];
    *tc = (touch){.t = t, .p = p};
    return tc;
}

static int emb_txn_append(sl_log_txn *base, const char *name, int32_t partition,
                          const sl_record *rec, int32_t *partition_out, int64_t *offset_out,
                          sl_error *err)
{
    etxn *x = (etxn *)base;
    emb *e = (emb *)base->log;
    if (validate_record(rec, err))
        return -1;
    int64_t ts = rec->timestamp < 0 ? now_ms() : rec->timestamp;
    size_t bound = encoded_bound(rec);
    if (bound > x->scratch_cap) {
        x->scratch_cap = bound < 256 ? 256 : bound;
        x->scratch = xrealloc(x->scratch, x->scratch_cap);
    }
    size_t len = encode_record(x->scratch, rec, ts);

    pthread_mutex_lock(&e->mu);
    topic *t = name ? find_topic(e, name) : NULL;
    if (!t) {
        pthread_mutex_unlock(&e->mu);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "topic %s does not exist",
                            name ? name : "(null)");
    }
    int32_t np = t->cfg.partitions;
    int32_t p = partition;
    if (p == -1) {
        if (rec->key_len < 0)
            p = (int32_t)(t->rr++ % (uint32_t)np);
        else
            p = sl_partitioner_for_key(rec->key, (size_t)rec->key_len, np);
    }
    if (p < 0 || p >= np) {
        pthread_mutex_unlock(&e->mu);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "topic %s has no partition %d (it has %d)",
                            name, (int)partition, (int)np);
    }
    part *pt = &t->parts[p];
    int64_t off = pt->reserved++;
    touch *tc = find_touch(x, t, p);
    if (!tc->reserved) {
        tc->reserved = true;
        tc->first = off;
        open_add(pt, off);
    }
    tc->last = off;
    tc->add_bytes += (int64_t)len + KEY_LEN;
    uint32_t tid = t->id;
    pthread_mutex_unlock(&e->mu);

    uint8_t k[KEY_LEN];
    rec_key(k, tid, p, off);
    rocksdb_writebatch_put_cf(x->wb, e->cf_rec, (const char *)k, KEY_LEN,
                              (const char *)x->scratch, len);
    if (partition_out)
        *partition_out = p;
    if (offset_out)
        *offset_out = off;
    return 0;
}

static int emb_txn_set_position(sl_log_txn *base, const char *group, const char *name,
                                int32_t p, int64_t next_offset, sl_error *err)
{
    etxn *x = (etxn *)base;
    emb *e = (emb *)base->log;
    if (!group || !*group)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "position: empty group");
    if (next_offset < 0)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "position: negative offset");
    pthread_mutex_lock(&e->mu);
    topic *t = name ? find_topic(e, name) : NULL;
    if (!t || p < 0 || p >= t->cfg.partitions) {
        pthread_mutex_unlock(&e->mu);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "topic %s has no partition %d",
                            name ? name : "(null)", (int)p);
    }
    uint32_t tid = t->id;
    find_touch(x, t, p);        /* the commit checks the topic still exists */
    pthread_mutex_unlock(&e->mu);

    size_t gl = strlen(group);
    uint8_t *k = xrealloc(NULL, 9 + gl), v[8];
    k[0] = 'c';
    put_be32(k + 1, tid);
    put_be32(k + 5, (uint32_t)p);
    memcpy(k + 9, group, gl);
    put_be64(v, (uint64_t)next_offset);
    rocksdb_writebatch_put_cf(x->wb, e->cf_meta, (const char *)k, 9 + gl, (const char *)v, 8);
    free(k);
    return 0;
}

static int emb_txn_put_raw(sl_log_txn *base, const char *space, const void *key,
                           size_t key_len, const void *val, size_t val_len, sl_error *err)
{
    etxn *x = (etxn *)base;
    rocksdb_column_family_handle_t *cf = get_space((emb *)base->log, space, err);
    if (!cf)
        return -1;
    if (val)
        rocksdb_writebatch_put_cf(x->wb, cf, key, key_len, val, val_len);
    else
        rocksdb_writebatch_delete_cf(x->wb, cf, key, key_len);
    return 0;
}

static void txn_free(etxn *x)
{
    rocksdb_writebatch_destroy(x->wb);
    free(x->touched);
    free(x->scratch);
    free(x);
}

/* Gives back reservations; caller holds mu. True when there were any. */
static bool release(etxn *x)
{
    bool any = false;
    for (int i = 0; i < x->n_touched; i++) {
        touch *tc = &x->touched[i];
        if (!tc->reserved)
            continue;
        part *pt = &tc->t->parts[tc->p];
        open_remove(pt, tc->first);
        if (pt->reserved == tc->last + 1)
            pt->reserved = tc->first;
        any = true;
    }
    return any;
}

static void emb_txn_abort(sl_log_txn *base)
{
    etxn *x = (etxn *)base;
    emb *e = (emb *)base->log;
    pthread_mutex_lock(&e->mu);
    if (release(x))
        e->seq++;                       /* a visible end may have moved */
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
    txn_free(x);
}

static int emb_txn_commit(sl_log_txn *base, sl_error *err)
{
    etxn *x = (etxn *)base;
    emb *e = (emb *)base->log;
    pthread_mutex_lock(&e->wmu);
    pthread_mutex_lock(&e->mu);
    for (int i = 0; i < x->n_touched; i++)
        if (x->touched[i].t->dropped) {
            const char *name = x->touched[i].t->name;
            sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                         "commit failed: topic %s was deleted during the transaction", name);
            if (release(x))
                e->seq++;
            pthread_cond_broadcast(&e->cond);
            pthread_mutex_unlock(&e->mu);
            pthread_mutex_unlock(&e->wmu);
            txn_free(x);
            return -1;
        }
    for (int i = 0; i < x->n_touched; i++) {
        touch *tc = &x->touched[i];
        if (!tc->reserved)
            continue;
        part *pt = &tc->t->parts[tc->p];
        int64_t end = pt->committed > tc->last + 1 ? pt->committed : tc->last + 1;
        put_part_meta(x->wb, e, tc->t->id, tc->p, pt->start, end, pt->bytes + tc->add_bytes);
    }
    pthread_mutex_unlock(&e->mu);

    char *errp = NULL;
    if (rocksdb_writebatch_count(x->wb) > 0)
        rocksdb_write(e->db, e->wopts, x->wb, &errp);

    pthread_mutex_lock(&e->mu);
    if (errp) {
        if (release(x))
            e->seq++;
    } else {
        for (int i = 0; i < x->n_touched; i++) {
            touch *tc = &x->touched[i];
            if (!tc->reserved)
                continue;
            part *pt = &tc->t->parts[tc->p];
            if (pt->committed < tc->last + 1)
                pt->committed = tc->last + 1;
            pt->bytes += tc->add_bytes;
            open_remove(pt, tc->first);
        }
        e->seq++;
    }
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
    pthread_mutex_unlock(&e->wmu);
    txn_free(x);
    return errp ? rocks_error(err, errp, "commit failed") : 0;
}

/* ------------------------------------------------------------------ */
/* reading                                                             */

static int emb_read(sl_log *log, const char *name, int32_t p, int64_t from, int max,
                    sl_arena *a, sl_record *out, int *n, sl_error *err)
{
    emb *e = (emb *)log;
    uint32_t tid;
    int64_t start, end;
    *n = 0;
    if (lookup_part(e, name, p, &tid, &start, &end, err))
        return -1;
    if (from < start)
        from = start;
    if (max <= 0 || from >= end)
        return 0;

    uint8_t lo[KEY_LEN], hi[KEY_LEN];
    rec_key(lo, tid, p, from);
    rec_key(hi, tid, p, end);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, KEY_LEN);
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(e->db, ro, e->cf_rec);
    int cnt = 0, rc = 0;
    for (rocksdb_iter_seek(it, (const char *)lo, KEY_LEN); cnt < max && rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        if (kl != KEY_LEN || memcmp(k, lo, 8))
            break;
        int64_t off = (int64_t)get_be64(k + 8);
        if (off >= end)
            break;
        const char *v = rocksdb_iter_value(it, &vl);
        uint8_t *copy = sl_arena_alloc(a, vl ? vl : 1);
        memcpy(copy, v, vl);
        sl_record *r = &out[cnt];
        if (decode_record(copy, vl, a, r)) {
            rc = corrupt(err, tid, p, off);
            break;
        }
        r->partition = p;
        r->offset = off;
        cnt++;
    }
    char *errp = NULL;
    rocksdb_iter_get_error(it, &errp);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    if (errp)
        return rocks_error(err, errp, "reading");
    if (rc)
        return -1;
    *n = cnt;
    return 0;
}

static int emb_offsets(sl_log *log, const char *name, int32_t p, int64_t *start, int64_t *end,
                       sl_error *err)
{
    uint32_t tid;
    return lookup_part((emb *)log, name, p, &tid, start, end, err);
}

static int64_t emb_position(sl_log *log, const char *group, const char *name, int32_t p)
{
    emb *e = (emb *)log;
    uint32_t tid;
    sl_error err;
    if (!group || lookup_part(e, name, p, &tid, NULL, NULL, &err))
        return -1;
    size_t gl = strlen(group);
    uint8_t *k = xrealloc(NULL, 9 + gl);
    k[0] = 'c';
    put_be32(k + 1, tid);
    put_be32(k + 5, (uint32_t)p);
    memcpy(k + 9, group, gl);
    char *errp = NULL;
    size_t vl;
    char *v = rocksdb_get_cf(e->db, e->ropts, e->cf_meta, (const char *)k, 9 + gl, &vl, &errp);
    free(k);
    int64_t pos = -1;
    if (!errp && v && vl == 8)
        pos = (int64_t)get_be64((uint8_t *)v);
    rocksdb_free(v);
    rocksdb_free(errp);
    return pos;
}

static uint64_t emb_commit_seq(sl_log *log)
{
    emb *e = (emb *)log;
    pthread_mutex_lock(&e->mu);
    uint64_t s = e->seq;
    pthread_mutex_unlock(&e->mu);
    return s;
}

static int emb_wait_since(sl_log *log, uint64_t seq, int timeout_ms)
{
    emb *e = (emb *)log;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    if (timeout_ms >= 0) {
        dl.tv_sec += timeout_ms / 1000;
        dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&e->mu);
    while (e->seq == seq) {
        int rc = timeout_ms >= 0 ? pthread_cond_timedwait(&e->cond, &e->mu, &dl)
                                 : pthread_cond_wait(&e->cond, &e->mu);
        if (rc == ETIMEDOUT)
            break;
    }
    int changed = e->seq != seq;
    pthread_mutex_unlock(&e->mu);
    return changed;
}

/* ------------------------------------------------------------------ */
/* retention                                                           */

/* Trims one partition; returns records deleted or -1. */
static int64_t trim_partition(emb *e, topic *t, int32_t p, int64_t now, sl_error *err)
{
    pthread_mutex_lock(&e->mu);
    if (t->dropped) {
        pthread_mutex_unlock(&e->mu);
        return 0;
    }
    uint32_t tid = t->id;
    sl_topic_config cfg = t->cfg;
    int64_t start = t->parts[p].start, end = visible_end(&t->parts[p]);
    int64_t remaining = t->parts[p].bytes;
    pthread_mutex_unlock(&e->mu);
    if (start >= end)
        return 0;

    int64_t cutoff = INT64_MIN;
    if (cfg.retention_ms >= 0 && __builtin_sub_overflow(now, cfg.retention_ms, &cutoff))
        cutoff = INT64_MIN;

    uint8_t lo[KEY_LEN], hi[KEY_LEN];
    rec_key(lo, tid, p, start);
    rec_key(hi, tid, p, end);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, KEY_LEN);
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(e->db, ro, e->cf_rec);
    int64_t new_start = start, removed = 0, count = 0;
    int rc = 0;
    for (rocksdb_iter_seek(it, (const char *)lo, KEY_LEN); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        if (kl != KEY_LEN || memcmp(k, lo, 8))
            break;
        int64_t off = (int64_t)get_be64(k + 8), ts;
        const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vl);
        if (decode_ts(v, vl, &ts)) {
            rc = corrupt(err, tid, p, off);
            break;
        }
        int64_t size = (int64_t)vl + KEY_LEN;
        bool by_time = cfg.retention_ms >= 0 && ts < cutoff;
        bool by_size = cfg.retention_bytes >= 0 && remaining > cfg.retention_bytes;
        if (!by_time && !by_size)
            break;
        remaining -= size;
        removed += size;
        new_start = off + 1;
        count++;
    }
    char *errp = NULL;
    rocksdb_iter_get_error(it, &errp);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    if (errp)
        return rocks_error(err, errp, "retention");
    if (rc)
        return -1;
    if (new_start == start)
        return 0;

    pthread_mutex_lock(&e->wmu);
    pthread_mutex_lock(&e->mu);
    if (t->dropped) {
        pthread_mutex_unlock(&e->mu);
        pthread_mutex_unlock(&e->wmu);
        return 0;
    }
    part *pt = &t->parts[p];
    int64_t committed = pt->committed, bytes = pt->bytes - removed;
    pthread_mutex_unlock(&e->mu);
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    rec_key(hi, tid, p, new_start);
    rocksdb_writebatch_delete_range_cf(wb, e->cf_rec, (const char *)lo, KEY_LEN,
                                       (const char *)hi, KEY_LEN);
    put_part_meta(wb, e, tid, p, new_start, committed, bytes);
    rocksdb_write(e->db, e->wopts, wb, &errp);
    rocksdb_writebatch_destroy(wb);
    if (!errp) {
        pthread_mutex_lock(&e->mu);
        pt->start = new_start;
        pt->bytes -= removed;
        pthread_mutex_unlock(&e->mu);
    }
    pthread_mutex_unlock(&e->wmu);
    if (errp)
        return rocks_error(err, errp, "retention");
    return count;
}

static int64_t emb_enforce_retention(sl_log *log, int64_t now, sl_error *err)
{
    emb *e = (emb *)log;
    pthread_mutex_lock(&e->rmu);
    pthread_mutex_lock(&e->mu);
    int nt = e->n_topics;
    topic **ts = xrealloc(NULL, (size_t)nt * sizeof *ts);
    memcpy(ts, e->topics, (size_t)nt * sizeof *ts);
    pthread_mutex_unlock(&e->mu);
    int64_t total = 0;
    for (int i = 0; i < nt && total >= 0; i++) {
        topic *t = ts[i];   /* topic structs live until close; cfg never changes */
        if (t->cfg.cleanup != SL_CLEANUP_DELETE ||
            (t->cfg.retention_ms < 0 && t->cfg.retention_bytes < 0))
            continue;
        for (int32_t p = 0; p < t->cfg.partitions; p++) {
            int64_t n = trim_partition(e, t, p, now, err);
            if (n < 0) {
                total = -1;
                break;
            }
            total += n;
        }
    }
    free(ts);
    pthread_mutex_unlock(&e->rmu);
    return total;
}

static const sl_log_ops embedded_ops = {
    .name = "embedded",
    .close = emb_close,
    .create_topic = emb_create_topic,
    .delete_topic = emb_delete_topic,
    .list_topics = emb_list_topics,
    .describe_topic = emb_describe_topic,
    .txn_begin = emb_txn_begin,
    .txn_append = emb_txn_append,
    .txn_set_position = emb_txn_set_position,
    .txn_put_raw = emb_txn_put_raw,
    .txn_commit = emb_txn_commit,
    .txn_abort = emb_txn_abort,
    .read = emb_read,
    .offsets = emb_offsets,
    .position = emb_position,
    .commit_seq = emb_commit_seq,
    .wait_since = emb_wait_since,
    .enforce_retention = emb_enforce_retention,
};

/* ------------------------------------------------------------------ */
/* dispatch: the sl_log_* functions of log.h, for every backend        */

sl_topic_config sl_topic_config_default(void)
{
    return (sl_topic_config){1, 7LL * 24 * 3600 * 1000, -1, SL_CLEANUP_DELETE};
}

void sl_log_close(sl_log *log)
{
    if (log)
        log->ops->close(log);
}

int sl_log_create_topic(sl_log *log, const char *name, const sl_topic_config *cfg,
                        bool *created, sl_error *err)
{
    return log->ops->create_topic(log, name, cfg, created, err);
}

int sl_log_delete_topic(sl_log *log, const char *name, sl_error *err)
{
    return log->ops->delete_topic(log, name, err);
}

int sl_log_list_topics(sl_log *log, sl_arena *a, const char ***names, int *n, sl_error *err)
{
    return log->ops->list_topics(log, a, names, n, err);
}

int sl_log_describe_topic(sl_log *log, const char *name, sl_arena *a, sl_topic_info *out,
                          sl_error *err)
{
    return log->ops->describe_topic(log, name, a, out, err);
}

sl_log_txn *sl_log_txn_begin(sl_log *log)
{
    return log ? log->ops->txn_begin(log) : NULL;
}

int sl_log_txn_append(sl_log_txn *t, const char *topic_name, int32_t partition,
                      const sl_record *rec, int32_t *partition_out, int64_t *offset_out,
                      sl_error *err)
{
    return t->log->ops->txn_append(t, topic_name, partition, rec, partition_out, offset_out, err);
}

int sl_log_txn_set_position(sl_log_txn *t, const char *group, const char *topic_name,
                            int32_t partition, int64_t next_offset, sl_error *err)
{
    return t->log->ops->txn_set_position(t, group, topic_name, partition, next_offset, err);
}

int sl_log_txn_put_raw(sl_log_txn *t, const char *space, const void *key, size_t key_len,
                       const void *val, size_t val_len, sl_error *err)
{
    if (!t->log->ops->txn_put_raw)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, SL_NOSPAN,
                            "the %s log keeps no state of its own", t->log->ops->name);
    return t->log->ops->txn_put_raw(t, space, key, key_len, val, val_len, err);
}

int sl_log_txn_commit(sl_log_txn *t, sl_error *err)
{
    return t->log->ops->txn_commit(t, err);
}

void sl_log_txn_abort(sl_log_txn *t)
{
    if (t)
        t->log->ops->txn_abort(t);
}

int sl_log_read(sl_log *log, const char *topic_name, int32_t partition, int64_t from_offset,
                int max_records, sl_arena *a, sl_record *out, int *n, sl_error *err)
{
    return log->ops->read(log, topic_name, partition, from_offset, max_records, a, out, n, err);
}

int64_t sl_log_end_offset(sl_log *log, const char *topic_name, int32_t partition, sl_error *err)
{
    int64_t s, e;
    return log->ops->offsets(log, topic_name, partition, &s, &e, err) ? -1 : e;
}

int64_t sl_log_start_offset(sl_log *log, const char *topic_name, int32_t partition,
                            sl_error *err)
{
    int64_t s, e;
    return log->ops->offsets(log, topic_name, partition, &s, &e, err) ? -1 : s;
}

int64_t sl_log_position(sl_log *log, const char *group, const char *topic_name,
                        int32_t partition)
{
    return log->ops->position(log, group, topic_name, partition);
}

uint64_t sl_log_commit_seq(sl_log *log)
{
    return log->ops->commit_seq(log);
}

int sl_log_wait_since(sl_log *log, uint64_t seq, int timeout_ms)
{
    return log->ops->wait_since(log, seq, timeout_ms);
}

int sl_log_wait(sl_log *log, int timeout_ms)
{
    return log->ops->wait_since(log, log->ops->commit_seq(log), timeout_ms);
}

int64_t sl_log_enforce_retention(sl_log *log, int64_t now_ms, sl_error *err)
{
    return log->ops->enforce_retention(log, now_ms, err);
}
