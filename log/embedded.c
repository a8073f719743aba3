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
 * Layout (data-directory format 2). Records are stored in BATCHES, as Kafka
 * does: the records one transaction appends to one partition, at contiguous
 * offsets, become one RocksDB value (split at BATCH_MAX_RECORDS records or
 * about BATCH_MAX_BYTES bytes). Column family "records" (whose values
 * RocksDB keeps in blob files: see the options in the open function):
 *     key   = be32 topic id, be32 partition, be64 base offset (16 bytes)
 *     value = header (BATCH_HDR = 37 bytes):
 *                 u8 batch version (2), be32 record count,
 *                 be32 last offset delta (count - 1: offsets are contiguous),
 *                 be64 first timestamp, be64 max timestamp,
 *                 be32 length of the records that follow,
 *                 be64 checksum: XXH3-64 of the records, seeded with the
 *                 XXH3-64 of the 29 header bytes before it
 *             then the records back to back, record i at base offset + i:
 *                 uvarint length of the rest, zigzag varint (timestamp - first
 *                 timestamp), key, value, uvarint header count, then per
 *                 header: name, value
 * where a nullable byte string is uvarint(len + 1) then the bytes (0: null)
 * and a name is uvarint(len) then the bytes. A reader seeks to the batch
 * holding its offset (SeekForPrev on that offset's key), verifies its
 * checksum and steps over the records before it by their lengths. When a
 * read stops inside a batch, the rest of the batch (the records not read
 * yet) is kept for that partition's next read (struct rcache: at most
 * READ_CACHE_BATCH_MAX per batch and READ_CACHE_TOTAL in all), so a reader
 * taking a few records at a time neither seeks nor re-verifies. Column family "default" holds the
 * metadata, keyed by a tag byte:
 *     "v"                           be32 data-directory format (2)
 *     "t" name                      topic: u8 version, be32 id, be32 partitions,
 *                                   be64 retention.ms, be64 retention.bytes,
 *                                   u8 cleanup.policy
 *     "i"                           be32 next topic id
 *     "p" be32 id be32 partition    be64 start, be64 end, be64 bytes
 *     "c" be32 id be32 partition group   be64 committed position
 * Format 1 (one RocksDB key per record, no "v") is not read: opening such a
 * directory fails and says so. Topic ids are never reused, so a dropped and
 * re-created topic never sees old records or positions. Other column
 * families belong to state stores (sl_log_txn_put_raw, embedded_internal.h).
 *
 * Retention keeps Kafka's per-record semantics for what readers see: the
 * start offset in "p" moves past exactly the records that expired, and
 * reads skip what lies below it. Storage is given back a whole batch at a
 * time: a batch is deleted once all of its records are below the start
 * offset, so a batch that is partly expired stays on disk (invisible below
 * the start) until its last record goes too.
 *
 * A partition's size ("bytes") counts each readable record as its length in
 * its batch plus RECORD_OVERHEAD (16) bytes standing for its share of the
 * batch key and header; retention.bytes applies to that figure.
 *
 * Locks: `mu` guards the in-memory topics, partitions, keyspaces and the
 * commit counter and is held only briefly; `wmu` serializes writes that
 * carry metadata (commits, topic DDL, retention) so the metadata values
 * written are never stale; `rmu` serializes retention runs. Order: rmu,
 * wmu, mu. Reads take mu only to look up offsets and then iterate a
 * RocksDB snapshot without locks.
 */
#include "log/log.h"
#include "log/wait.h"
#include "log/crc32c.h"
#include "log/dirs.h"
#include "log/embedded_internal.h"
#include "log/partitioner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__)
/* the library's XXH3 picks its widest vector code (AVX2, AVX-512) at run
 * time; the plain entry points run SSE2 (same hash, half the speed) */
#include <xxh_x86dispatch.h>
#endif

#define KEY_LEN 16
#define MAX_PARTITIONS 100000
#define FORMAT_VERSION 2                        /* of the data directory */
#define BATCH_VERSION 2
#define BATCH_HDR 37
#define BATCH_SUMMED 29                         /* header bytes under the checksum */
#define BATCH_MAX_RECORDS 4096
#define BATCH_MAX_BYTES ((size_t)256 << 10)     /* a larger record gets a batch alone */
#define RECORD_MAX_BYTES ((size_t)1 << 30)      /* one record's encoding */
#define RECORD_OVERHEAD 16
#define SPARE_WBS 4                             /* WriteBatches kept for reuse */
#define SPARE_BUFS 16                           /* batch buffers kept for reuse */
#define SPARE_MAX_BYTES ((size_t)4 << 20)       /* larger ones are freed */
#define READ_CACHE_BATCH_MAX ((size_t)1 << 20)  /* larger batches are not kept ... */
#define READ_CACHE_TOTAL ((size_t)64 << 20)     /* ... nor more than this in all */
#define TOPIC_VERSION 1
#define BLOCK_CACHE_BYTES ((size_t)64 << 20)   /* metadata and state stores */
#define REC_CACHE_BYTES ((size_t)16 << 20)     /* records' keys and blob references */
#define BLOB_MIN_BYTES 4096                     /* smaller batches stay in the table files */
#define BLOB_FILE_BYTES ((uint64_t)64 << 20)
#define REC_MEMTABLE_BYTES ((size_t)32 << 20)  /* write buffer of "records" */
#define CHECKSUM_XXH3 4                         /* rocksdb::ChecksumType::kXXH3 */

/* ------------------------------------------------------------------ */
/* in-memory state                                                     */

/*
 * The batch a read of a partition stopped inside, kept for the next read
 * (a tailing reader continues where it stopped, without RocksDB). Its
 * records were verified when read; records never change once committed,
 * so it cannot go stale (reads still clamp to the start offset). A reader
 * takes it out of its partition under mu and puts it back when done.
 */
typedef struct rcache {
    int64_t base;           /* the batch's first offset */
    int32_t count;
    int64_t base_ts;
    int64_t next_off;       /* where the last read stopped ... */
    size_t next_pos;        /* ... and that record's position in recs */
    size_t len, cap;
    uint8_t recs[];         /* the batch's records */
} rcache;

typedef struct part {
    int64_t start;          /* first readable offset */
    int64_t committed;      /* one past the highest committed offset (stored as end) */
    int64_t reserved;       /* next offset to hand out */
    int64_t bytes;          /* size of [start, committed) */
    int64_t *open_first;    /* first offsets reserved by open transactions */
    int n_open, cap_open;
    rcache *cache;          /* may be NULL */
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
    rocksdb_options_t *opts;        /* the database, metadata and keyspaces */
    rocksdb_options_t *rec_opts;    /* column family "records" */
    rocksdb_options_t *space_opts;  /* keyspaces of state stores (embedded_raw.c) */
    rocksdb_block_based_table_options_t *bbto, *rec_bbto;
    rocksdb_cache_t *cache, *rec_cache;
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
    size_t cached_bytes;    /* in the partitions' read caches (guarded by mu) */
    /* kept from ended transactions for the next ones (guarded by mu), so a
     * steady writer does not grow and page in fresh buffers every commit */
    rocksdb_writebatch_t *spare_wb[SPARE_WBS];
    int n_spare_wb;
    struct spare_buf { uint8_t *buf; size_t cap; } spare_buf[SPARE_BUFS];
    int n_spare_buf;
} emb;

/* A partition a transaction wrote to or set a position on, with the batch
 * it is filling there: records at offsets base .. base + n - 1, encoded
 * after room for the header in buf. */
typedef struct touch {
    topic *t;
    int32_t p;
    bool reserved;          /* this txn reserved offsets here */
    int64_t first, last;
    int64_t add_bytes;
    uint8_t *buf;           /* the open batch: header room, then records */
    size_t len, cap;
    int64_t base;           /* its first offset */
    int32_t n;              /* its records; 0: none open */
    int64_t base_ts, max_ts;
} touch;

typedef struct etxn {
    sl_log_txn base;
    topic *last;            /* the topic of the last append (a sink appends to one) */
    rocksdb_writebatch_t *wb;
    touch *touched;
    int n_touched, cap_touched;
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
/* record and batch encoding                                           */

static inline size_t uvarint_len(uint64_t v)
{
    if (v < 0x80)           /* lengths of records and values: one or two bytes */
        return 1;
    if (v < 0x4000)
        return 2;
    size_t n = 3;
    for (v >>= 21; v; v >>= 7)
        n++;
    return n;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t z)
{
    return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

static size_t nbytes_len(int32_t len)
{
    return len < 0 ? 1 : uvarint_len((uint64_t)len + 1) + (size_t)len;
}

/* The exact size of a record's body without its timestamp delta. */
static size_t body_size_no_ts(const sl_record *r)
{
    size_t n = nbytes_len(r->key_len) + nbytes_len(r->value_len) +
               uvarint_len((uint64_t)r->n_headers);
    for (int32_t i = 0; i < r->n_headers; i++) {
        const sl_log_header *h = &r->headers[i];
        n += uvarint_len(h->key_len) + h->key_len + nbytes_len(h->value_len);
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

/* Writes a record (length prefix, then body of body_len bytes) at p;
 * returns the bytes written. */
static size_t encode_record(uint8_t *p, const sl_record *r, uint64_t zts, size_t body_len)
{
    size_t n = put_uvarint(p, body_len);
    n += put_uvarint(p + n, zts);
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

static int corrupt_batch(sl_error *err, uint32_t tid, int32_t p, int64_t base)
{
    return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                        "corrupt record batch in the embedded log (topic id %u, "
                        "partition %d, batch at offset %lld)",
                        (unsigned)tid, (int)p, (long long)base);
}

static uint64_t batch_sum(const uint8_t *hdr, const uint8_t *recs, size_t len)
{
    return XXH3_64bits_withSeed(recs, len, XXH3_64bits(hdr, BATCH_SUMMED));
}

typedef struct batch {
    int64_t base;
    int32_t count;
    int64_t base_ts, max_ts;
    const uint8_t *recs;    /* the records, back to back */
    size_t len;
} batch;

/* Parses a batch's key and header and verifies its checksum; -1 when any
 * is wrong. */
static int parse_batch(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, batch *b)
{
    if (kl != KEY_LEN || vl < BATCH_HDR || v[0] != BATCH_VERSION)
        return -1;
    uint32_t count = get_be32(v + 1), last_delta = get_be32(v + 5);
    uint32_t len = get_be32(v + 25);
    b->base = (int64_t)get_be64(k + 8);
    if (count == 0 || count > INT32_MAX || last_delta != count - 1 || len != vl - BATCH_HDR ||
        b->base < 0 || b->base > INT64_MAX - (int64_t)count)
        return -1;
    b->count = (int32_t)count;
    b->base_ts = (int64_t)get_be64(v + 9);
    b->max_ts = (int64_t)get_be64(v + 17);
    b->recs = v + BATCH_HDR;
    b->len = len;
    return batch_sum(v, b->recs, len) == get_be64(v + 29) ? 0 : -1;
}

/* Steps over the record at *pos of b; its body in *body and *blen. -1 when it
 * does not fit in the batch. */
static int next_record(const batch *b, size_t *pos, const uint8_t **body, size_t *blen)
{
    const uint8_t *p = b->recs + *pos, *end = b->recs + b->len;
    uint64_t n;
    if (get_uvarint(&p, end, &n) || n == 0 || n > (uint64_t)(end - p))
        return -1;
    *body = p;
    *blen = (size_t)n;
    *pos = (size_t)(p + n - b->recs);
    return 0;
}

static int64_t add_ts(int64_t base_ts, uint64_t z)
{
    return (int64_t)((uint64_t)base_ts + (uint64_t)unzigzag(z));
}

/* Decodes only a body's timestamp. */
static int decode_ts(const uint8_t *body, size_t blen, int64_t base_ts, int64_t *ts)
{
    const uint8_t *p = body;
    uint64_t z;
    if (get_uvarint(&p, body + blen, &z))
        return -1;
    *ts = add_ts(base_ts, z);
    return 0;
}

/* Decodes a body into r, pointing into the body; headers from a. */
static int decode_body(const uint8_t *body, size_t blen, int64_t base_ts, sl_arena *a,
                       sl_record *r)
{
    const uint8_t *p = body, *end = body + blen, *kb, *vb;
    uint64_t z, nh;
    if (get_uvarint(&p, end, &z))
        return -1;
    r->timestamp = add_ts(base_ts, z);
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

/* Moves a decoded record's pointers from the bytes at `from` to their copy
 * at `to`. */
static const void *moved(const void *ptr, const uint8_t *from, const uint8_t *to)
{
    return ptr ? to + ((const uint8_t *)ptr - from) : NULL;
}

static void move_record(sl_record *r, const uint8_t *from, const uint8_t *to)
{
    r->key = moved(r->key, from, to);
    r->value = moved(r->value, from, to);
    sl_log_header *hs = (sl_log_header *)r->headers;
    for (int32_t i = 0; i < r->n_headers; i++) {
        hs[i].key = moved(hs[i].key, from, to);
        hs[i].value = moved(hs[i].value, from, to);
    }
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

/*
 * Resolves topic/partition for a reader under mu. With ptp (a read):
 * *from is raised to the start offset, the partition is returned (to put
 * a cache back later: topic structs live until close), and the
 * partition's read cache is handed over in *cache when it holds *from.
 */
static int lookup_read(emb *e, const char *name, int32_t p, uint32_t *tid, int64_t *start,
                       int64_t *end, int64_t *from, part **ptp, rcache **cache, sl_error *err)
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
    part *pt = &t->parts[p];
    *tid = t->id;
    if (start)
        *start = pt->start;
    if (end)
        *end = visible_end(pt);
    if (ptp) {
        if (*from < pt->start)
            *from = pt->start;
        *ptp = pt;
        *cache = NULL;
        rcache *c = pt->cache;
        if (c && c->base <= *from && *from < c->base + c->count) {
            *cache = c;
            pt->cache = NULL;
            e->cached_bytes -= c->cap;
        }
    }
    pthread_mutex_unlock(&e->mu);
    return 0;
}

static int lookup_part(emb *e, const char *name, int32_t p, uint32_t *tid, int64_t *start,
                       int64_t *end, sl_error *err)
{
    return lookup_read(e, name, p, tid, start, end, NULL, NULL, NULL, err);
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
    for (int i = 0; i < e->n_spare_wb; i++)
        rocksdb_writebatch_destroy(e->spare_wb[i]);
    for (int i = 0; i < e->n_spare_buf; i++)
        free(e->spare_buf[i].buf);
    if (e->opts)
        rocksdb_options_destroy(e->opts);
    if (e->rec_opts)
        rocksdb_options_destroy(e->rec_opts);
    if (e->space_opts)
        rocksdb_options_destroy(e->space_opts);
    if (e->bbto)
        rocksdb_block_based_options_destroy(e->bbto);
    if (e->rec_bbto)
        rocksdb_block_based_options_destroy(e->rec_bbto);
    if (e->cache)
        rocksdb_cache_destroy(e->cache);
    if (e->rec_cache)
        rocksdb_cache_destroy(e->rec_cache);
    if (e->wopts)
        rocksdb_writeoptions_destroy(e->wopts);
    if (e->ropts)
        rocksdb_readoptions_destroy(e->ropts);
    for (topic *t = e->all, *next; t; t = next) {
        next = t->next_all;
        for (int32_t p = 0; p < t->cfg.partitions; p++) {
            free(t->parts[p].open_first);
            free(t->parts[p].cache);
        }
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

/* Is column family cf empty? -1 with err filled when it cannot be read. */
static int cf_empty(emb *e, rocksdb_column_family_handle_t *cf, sl_error *err)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(e->db, e->ropts, cf);
    rocksdb_iter_seek_to_first(it);
    int empty = !rocksdb_iter_valid(it);
    char *errp = NULL;
    rocksdb_iter_get_error(it, &errp);
    rocksdb_iter_destroy(it);
    return errp ? rocks_error(err, errp, "opening the embedded log") : empty;
}

/*
 * Checks the data-directory format ("v" in the metadata) and writes it into
 * a new directory. A directory with topics or records but no "v" was
 * written by format 1 (one key per record), which this code does not read.
 */
static int check_format(emb *e, sl_error *err)
{
    char *errp = NULL;
    size_t vl;
    char *v = rocksdb_get_cf(e->db, e->ropts, e->cf_meta, "v", 1, &vl, &errp);
    if (errp)
        return rocks_error(err, errp, "opening the embedded log");
    if (v) {
        uint32_t fmt = vl == 4 ? get_be32((uint8_t *)v) : 0;
        rocksdb_free(v);
        if (fmt == FORMAT_VERSION)
            return 0;
        if (fmt > FORMAT_VERSION)
            return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                                "data directory written by a newer sluice: %s has format %u, "
                                "this sluice reads format %d",
                                e->dir, (unsigned)fmt, FORMAT_VERSION);
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "data directory written by an older sluice: %s has format %u, "
                            "this sluice reads format %d",
                            e->dir, (unsigned)fmt, FORMAT_VERSION);
    }
    int meta_empty = cf_empty(e, e->cf_meta, err);
    int rec_empty = meta_empty < 0 ? -1 : cf_empty(e, e->cf_rec, err);
    if (rec_empty < 0)
        return -1;
    if (!meta_empty || !rec_empty)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "data directory written by an older sluice: %s stores one record "
                            "per key (format 1); this sluice reads format %d (record batches). "
                            "Dump its topics with the sluice that wrote it, then load them "
                            "into a new data directory",
                            e->dir, FORMAT_VERSION);
    uint8_t fv[4];
    put_be32(fv, FORMAT_VERSION);
    rocksdb_put_cf(e->db, e->wopts, e->cf_meta, "v", 1, (const char *)fv, sizeof fv, &errp);
    return errp ? rocks_error(err, errp, "opening the embedded log") : 0;
}

/*
 * RocksDB allocates its memtables in blocks of several MiB, and a value
 * buffer per blob read; glibc serves allocations that large with fresh
 * mmaps and unmaps them when freed, so every page of every memtable is
 * faulted in and zeroed again (about an eighth of a writing query's CPU).
 * Serving them from the heap, and keeping up to MALLOC_KEEP_BYTES of freed
 * memory there, lets the next memtable reuse the pages of the last one.
 * Process-wide, once, at the first open.
 */
#define MALLOC_MMAP_BYTES (32 << 20)
#define MALLOC_KEEP_BYTES (160 << 20)

static void tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, MALLOC_MMAP_BYTES);
    mallopt(M_TRIM_THRESHOLD, MALLOC_KEEP_BYTES);
}

sl_log *sl_log_open_embedded_opts(const char *dir, const sl_log_embedded_opts *o,
                                  sl_error *err)
{
    static pthread_once_t malloc_once = PTHREAD_ONCE_INIT;
    pthread_once(&malloc_once, tune_malloc);
    (void)sl_crc32c_hardware();     /* picks RocksDB's CRC32C before RocksDB runs */
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
    sl_log_cond_init(&e->cond);

    if (sl_log_mkdir_p(dir, "the data directory", err) || take_lock(e, err)) {
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
    /* concurrent committers overlap their WAL writes and memtable inserts */
    rocksdb_options_set_enable_pipelined_write(e->opts, 1);
    /* files are read through mmap: a blob read then copies a batch once
     * (into the value RocksDB hands out), not twice (kernel, then value) */
    rocksdb_options_set_allow_mmap_reads(e->opts, 1);
    /* metadata and state stores: a block cache of their own, LZ4 */
    e->cache = rocksdb_cache_create_lru(BLOCK_CACHE_BYTES);
    e->bbto = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_size(e->bbto, 32 * 1024);
    rocksdb_block_based_options_set_block_cache(e->bbto, e->cache);
    rocksdb_block_based_options_set_checksum(e->bbto, CHECKSUM_XXH3);
    rocksdb_options_set_block_based_table_factory(e->opts, e->bbto);
    rocksdb_options_set_compression(e->opts, rocksdb_lz4_compression);
    /*
     * Records: values are whole batches (up to ~256 KiB), written once,
     * read in order, deleted by range. They go to blob files at flush
     * (key-value separation), so compactions move only keys and blob
     * references, never the batches again: without it, flushes and
     * compactions cost about twice the writing thread's CPU. Blob garbage
     * collection relocates what is still live in the oldest quarter of the
     * files (and compacts early when those are mostly garbage), so space
     * comes back even when topics with different retention share files;
     * it costs about a third more write CPU on data that never expires,
     * but without it one long-lived batch keeps a whole file. Blobs are
     * not compressed: LZ4 at flush cost more CPU (a fifth of the write
     * path) than the disk writes it saved. Reads skip RocksDB's checksums
     * (the packaged RocksDB computes CRC32C in software, which halved read
     * throughput) and verify the batch's own XXH3 checksum instead. The
     * keys (and the rare batch under BLOB_MIN_BYTES, kept inline) use
     * their own block cache, so scans never evict state. No bloom
     * filters: reads are seeks, which filters do not serve.
     */
    e->rec_cache = rocksdb_cache_create_lru(REC_CACHE_BYTES);
    e->rec_bbto = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_size(e->rec_bbto, 32 * 1024);
    rocksdb_block_based_options_set_block_cache(e->rec_bbto, e->rec_cache);
    rocksdb_block_based_options_set_checksum(e->rec_bbto, CHECKSUM_XXH3);
    e->rec_opts = rocksdb_options_create_copy(e->opts);
    rocksdb_options_set_block_based_table_factory(e->rec_opts, e->rec_bbto);
    rocksdb_options_set_enable_blob_files(e->rec_opts, 1);
    rocksdb_options_set_min_blob_size(e->rec_opts, BLOB_MIN_BYTES);
    rocksdb_options_set_blob_file_size(e->rec_opts, BLOB_FILE_BYTES);
    rocksdb_options_set_blob_compression_type(e->rec_opts, rocksdb_no_compression);
    rocksdb_options_set_enable_blob_gc(e->rec_opts, 1);
    rocksdb_options_set_blob_gc_age_cutoff(e->rec_opts, 0.25);
    rocksdb_options_set_blob_gc_force_threshold(e->rec_opts, 0.8);
    /* Half RocksDB's 64 MiB memtables: a writing query touches fresh
     * memory for its first memtables (a page fault and a page zeroed by
     * the kernel every 4 KiB: about 60,000 faults over 2,000,000 records
     * written, 29,000 with these) until freed ones come back. Smaller
     * still would make too many files of a large store (a blob file per
     * flush). */
    rocksdb_options_set_write_buffer_size(e->rec_opts, REC_MEMTABLE_BYTES);
    e->space_opts = sl_log_embedded_space_options(e->opts, e->cache);
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
        cfo[i] = !strcmp(names[i], "records") ? e->rec_opts
                 : !strcmp(names[i], "default") ? e->opts : e->space_opts;
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
    if (!e->db || check_format(e, err) || load_topics(e, err)) {
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
    emb *e = (emb *)log;
    /* Flush the memtables, so the next open reads table files instead of
     * replaying the write-ahead log (about 3 us a record after a bulk load). */
    if (e->db) {
        rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
        rocksdb_flushoptions_set_wait(fo, 1);
        rocksdb_column_family_handle_t *cfs[] = {e->cf_rec, e->cf_meta};
        for (size_t i = 0; i < sizeof cfs / sizeof cfs[0]; i++) {
            char *errp = NULL;
            if (cfs[i])
                rocksdb_flush_cf(e->db, fo, cfs[i], &errp);
            if (errp) {
                /* nothing is lost: the write-ahead log still holds it */
                fprintf(stderr, "sluice: flushing the log at close: %s\n", errp);
                rocksdb_free(errp);
            }
        }
        rocksdb_flushoptions_destroy(fo);
    }
    emb_free(e);
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
        out->partitions[p] = (sl_partition_info){p, pt->start, visible_end(pt), pt->bytes, 1};
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
    rocksdb_column_family_handle_t *cf = rocksdb_create_column_family(e->db, e->space_opts, name,
                                                                     &errp);
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

rocksdb_column_family_handle_t *sl_log_embedded_cf_find(sl_log *log, const char *space)
{
    if (!log || log->ops != &embedded_ops || !space)
        return NULL;
    emb *e = (emb *)log;
    rocksdb_column_family_handle_t *cf = NULL;
    pthread_mutex_lock(&e->mu);
    for (int i = 0; i < e->n_spaces && !cf; i++)
        if (!strcmp(e->spaces[i].name, space))
            cf = e->spaces[i].cf;
    pthread_mutex_unlock(&e->mu);
    return cf;
}

/* ------------------------------------------------------------------ */
/* transactions                                                        */

static sl_log_txn *emb_txn_begin(sl_log *log)
{
    emb *e = (emb *)log;
    etxn *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->base.log = log;
    pthread_mutex_lock(&e->mu);
    if (e->n_spare_wb)
        t->wb = e->spare_wb[--e->n_spare_wb];
    pthread_mutex_unlock(&e->mu);
    if (!t->wb)
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

/* Puts t's open batch into the transaction's WriteBatch and empties it. */
static void flush_batch(etxn *x, touch *tc)
{
    if (!tc->n)
        return;
    uint8_t *h = tc->buf;
    h[0] = BATCH_VERSION;
    put_be32(h + 1, (uint32_t)tc->n);
    put_be32(h + 5, (uint32_t)tc->n - 1);
    put_be64(h + 9, (uint64_t)tc->base_ts);
    put_be64(h + 17, (uint64_t)tc->max_ts);
    put_be32(h + 25, (uint32_t)(tc->len - BATCH_HDR));
    put_be64(h + 29, batch_sum(h, h + BATCH_HDR, tc->len - BATCH_HDR));
    uint8_t k[KEY_LEN];
    rec_key(k, tc->t->id, tc->p, tc->base);
    rocksdb_writebatch_put_cf(x->wb, ((emb *)x->base.log)->cf_rec, (const char *)k, KEY_LEN,
                              (const char *)tc->buf, tc->len);
    tc->n = 0;
    tc->len = 0;
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
    size_t body0 = body_size_no_ts(rec);
    if (body0 > RECORD_MAX_BYTES)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "append: a record of %zu bytes is larger than the embedded "
                            "log's limit of %zu", body0, RECORD_MAX_BYTES);

    pthread_mutex_lock(&e->mu);
    topic *t = x->last;
    if (!t || t->dropped || !name || strcmp(t->name, name))
        t = x->last = name ? find_topic(e, name) : NULL;
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
    if (!tc->buf && e->n_spare_buf) {
        e->n_spare_buf--;
        tc->buf = e->spare_buf[e->n_spare_buf].buf;
        tc->cap = e->spare_buf[e->n_spare_buf].cap;
    }
    pthread_mutex_unlock(&e->mu);

    /* into the open batch, or a new one when this offset does not follow
     * (another transaction reserved in between) or the batch is full */
    uint64_t zts = tc->n ? zigzag((int64_t)((uint64_t)ts - (uint64_t)tc->base_ts)) : 0;
    size_t body = body0 + uvarint_len(zts);
    size_t need = uvarint_len(body) + body;
    if (tc->n && (off != tc->base + tc->n || tc->n >= BATCH_MAX_RECORDS ||
                  tc->len - BATCH_HDR + need > BATCH_MAX_BYTES)) {
        flush_batch(x, tc);
        zts = 0;
        body = body0 + 1;
        need = uvarint_len(body) + body;
    }
    if (!tc->n) {
        tc->base = off;
        tc->base_ts = tc->max_ts = ts;
        tc->len = BATCH_HDR;
    }
    if (tc->len + need > tc->cap) {
        size_t cap = tc->cap ? tc->cap : 4096;
        while (cap < tc->len + need)
            cap *= 2;
        tc->buf = xrealloc(tc->buf, cap);
        tc->cap = cap;
    }
    tc->len += encode_record(tc->buf + tc->len, rec, zts, body);
    tc->n++;
    if (ts > tc->max_ts)
        tc->max_ts = ts;
    tc->add_bytes += (int64_t)need + RECORD_OVERHEAD;
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

/* Frees x, keeping its WriteBatch and batch buffers for later ones. */
static void txn_free(etxn *x)
{
    emb *e = (emb *)x->base.log;
    size_t wb_size;
    rocksdb_writebatch_data(x->wb, &wb_size);
    bool keep_wb = wb_size <= SPARE_MAX_BYTES;
    if (keep_wb)
        rocksdb_writebatch_clear(x->wb);
    pthread_mutex_lock(&e->mu);
    if (keep_wb && e->n_spare_wb < SPARE_WBS) {
        e->spare_wb[e->n_spare_wb++] = x->wb;
        x->wb = NULL;
    }
    for (int i = 0; i < x->n_touched; i++) {
        touch *tc = &x->touched[i];
        if (tc->buf && tc->cap <= SPARE_MAX_BYTES && e->n_spare_buf < SPARE_BUFS) {
            e->spare_buf[e->n_spare_buf++] = (struct spare_buf){tc->buf, tc->cap};
            tc->buf = NULL;
        }
    }
    pthread_mutex_unlock(&e->mu);
    if (x->wb)
        rocksdb_writebatch_destroy(x->wb);
    for (int i = 0; i < x->n_touched; i++)
        free(x->touched[i].buf);
    free(x->touched);
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
    for (int i = 0; i < x->n_touched; i++)
        flush_batch(x, &x->touched[i]);
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

/* An iterator over partition p of topic tid, batches with base offsets below
 * `end`, positioned at the batch holding offset `at` (or the first after
 * it when none holds it). Bounds live in *bounds, which must outlive it. */
typedef struct batch_iter {
    rocksdb_readoptions_t *ro;
    rocksdb_iterator_t *it;
    uint8_t lo[KEY_LEN], hi[KEY_LEN];
} batch_iter;

static void batch_iter_open(emb *e, batch_iter *bi, uint32_t tid, int32_t p, int64_t at,
                            int64_t end)
{
    uint8_t k[KEY_LEN];
    rec_key(bi->lo, tid, p, 0);
    rec_key(bi->hi, tid, p, end);
    rec_key(k, tid, p, at);
    bi->ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_lower_bound(bi->ro, (const char *)bi->lo, KEY_LEN);
    rocksdb_readoptions_set_iterate_upper_bound(bi->ro, (const char *)bi->hi, KEY_LEN);
    rocksdb_readoptions_set_verify_checksums(bi->ro, 0);   /* batches carry their own */
    bi->it = rocksdb_create_iterator_cf(e->db, bi->ro, e->cf_rec);
    rocksdb_iter_seek_for_prev(bi->it, (const char *)k, KEY_LEN);
    if (!rocksdb_iter_valid(bi->it))
        rocksdb_iter_seek(bi->it, (const char *)k, KEY_LEN);
}

/* The current batch, or 0 at the end; -1 when it is malformed. */
static int batch_iter_get(batch_iter *bi, batch *b)
{
    if (!rocksdb_iter_valid(bi->it))
        return 0;
    size_t kl, vl;
    const uint8_t *k = (const uint8_t *)rocksdb_iter_key(bi->it, &kl);
    const uint8_t *v = (const uint8_t *)rocksdb_iter_value(bi->it, &vl);
    if (kl != KEY_LEN || memcmp(k, bi->lo, 8)) {
        b->base = kl == KEY_LEN ? (int64_t)get_be64(k + 8) : -1;
        return -1;
    }
    if (parse_batch(k, kl, v, vl, b)) {
        b->base = (int64_t)get_be64(k + 8);
        return -1;
    }
    return 1;
}

/* Closes bi; fills err and returns -1 if the iterator failed. */
static int batch_iter_close(batch_iter *bi, const char *what, sl_error *err)
{
    char *errp = NULL;
    rocksdb_iter_get_error(bi->it, &errp);
    rocksdb_iter_destroy(bi->it);
    rocksdb_readoptions_destroy(bi->ro);
    return errp ? rocks_error(err, errp, what) : 0;
}

/*
 * Decodes records of b from *off (its position *pos) on, skipping those
 * before `from`, into out[*cnt..) while below `end` and *cnt < max; the
 * records' bytes are copied to a at once. Leaves *off and *pos after the
 * last record taken. -1 with err filled when a record is malformed.
 */
static int take_records(const batch *b, int64_t *off, size_t *pos, int64_t from, int64_t end,
                        int max, sl_arena *a, sl_record *out, int *cnt, uint32_t tid, int32_t p,
                        sl_error *err)
{
    const uint8_t *body;
    size_t blen;
    for (; *off < from; (*off)++)
        if (next_record(b, pos, &body, &blen))
            return corrupt(err, tid, p, *off);
    /* decode in place, then copy the records' bytes to a at once */
    size_t pos0 = *pos;
    int first = *cnt;
    for (; *off < b->base + b->count && *off < end && *cnt < max; (*off)++, (*cnt)++) {
        sl_record *r = &out[*cnt];
        if (next_record(b, pos, &body, &blen) || decode_body(body, blen, b->base_ts, a, r))
            return corrupt(err, tid, p, *off);
        r->partition = p;
        r->offset = *off;
    }
    uint8_t *copy = sl_arena_alloc(a, *pos - pos0);
    memcpy(copy, b->recs + pos0, *pos - pos0);
    for (int i = first; i < *cnt; i++)
        move_record(&out[i], b->recs + pos0, copy);
    return 0;
}

/* Puts c (may be NULL) into pt's read cache, or frees it when the slot is
 * taken (by another reader) or the caches are full. */
static void put_back(emb *e, part *pt, rcache *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&e->mu);
    if (!pt->cache && e->cached_bytes + c->cap <= READ_CACHE_TOTAL) {
        pt->cache = c;
        e->cached_bytes += c->cap;
        c = NULL;
    }
    pthread_mutex_unlock(&e->mu);
    free(c);
}

/* Keeps the rest of batch b, from offset off (position pos) on, in pt's
 * read cache for the next read; reuses c (which may hold b already, or be
 * NULL). Only the records not yet read are copied: the cached batch starts
 * at off (record deltas stay relative to b's first timestamp). */
static void keep_batch(emb *e, part *pt, rcache *c, const batch *b, int64_t off, size_t pos)
{
    if (!c || c->recs != b->recs) {
        size_t rest = b->len - pos;
        if (rest > READ_CACHE_BATCH_MAX) {
            free(c);
            return;
        }
        if (!c || c->cap < rest) {
            free(c);
            c = xrealloc(NULL, sizeof *c + rest);
            c->cap = rest;
        }
        memcpy(c->recs, b->recs + pos, rest);
        c->base = off;
        c->count = (int32_t)(b->base + b->count - off);
        c->base_ts = b->base_ts;
        c->len = rest;
        pos = 0;
    }
    c->next_off = off;
    c->next_pos = pos;
    put_back(e, pt, c);
}

/* flags: none honoured (headers cost little here; sl_log_read_flags drops them) */
static int emb_read(sl_log *log, const char *name, int32_t p, int64_t from, int max,
                    unsigned flags, sl_arena *a, sl_record *out, int *n, sl_error *err)
{
    (void)flags;
    emb *e = (emb *)log;
    uint32_t tid;
    int64_t start, end;
    part *pt;
    rcache *c;
    *n = 0;
    if (lookup_read(e, name, p, &tid, &start, &end, &from, &pt, &c, err))
        return -1;
    if (max <= 0 || from >= end) {
        put_back(e, pt, c);
        return 0;
    }
    int cnt = 0, rc = 0;

    if (c) {        /* continue in the batch the last read stopped inside */
        batch b = {c->base, c->count, c->base_ts, c->base_ts, c->recs, c->len};
        int64_t off = c->base;
        size_t pos = 0;
        if (from >= c->next_off) {
            off = c->next_off;
            pos = c->next_pos;
        }
        if (take_records(&b, &off, &pos, from, end, max, a, out, &cnt, tid, p, err))
            rc = -1;
        else if (off < b.base + b.count) {
            keep_batch(e, pt, c, &b, off, pos);   /* stopped inside it again */
            *n = cnt;
            return 0;
        }
        if (rc) {
            free(c);
            return -1;
        }
        from = off;
        if (cnt == max || from >= end) {
            free(c);
            *n = cnt;
            return 0;
        }
    }

    batch_iter bi;
    batch_iter_open(e, &bi, tid, p, from, end);
    for (; cnt < max; rocksdb_iter_next(bi.it)) {
        batch b;
        int got = batch_iter_get(&bi, &b);
        if (got <= 0) {
            if (got < 0)
                rc = corrupt_batch(err, tid, p, b.base);
            break;
        }
        if (b.base + b.count <= from)
            continue;               /* before the wanted offset (or a gap) */
        if (b.base >= end)
            break;
        int64_t off = b.base;
        size_t pos = 0;
        if (take_records(&b, &off, &pos, from, end, max, a, out, &cnt, tid, p, err)) {
            rc = -1;
            break;
        }
        if (off < b.base + b.count && off < end) {
            keep_batch(e, pt, c, &b, off, pos);   /* the next read starts here */
            c = NULL;
            break;
        }
        if (off >= end)
            break;
    }
    free(c);
    if (batch_iter_close(&bi, "reading", err) || rc)
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

/* One committed position, as list_groups collects them. */
typedef struct gpos {
    const char *topic, *group;      /* in the caller's arena */
    int32_t partition;
    int64_t next;
} gpos;

static int cmp_gpos(const void *a, const void *b)
{
    const gpos *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    c = c ? c : strcmp(x->group, y->group);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* The live topic with id tid (under mu); NULL for a dropped one. */
static topic *topic_by_id(emb *e, uint32_t tid)
{
    for (int i = 0; i < e->n_topics; i++)
        if (e->topics[i]->id == tid)
            return e->topics[i];
    return NULL;
}

/* Groups from the positions ("c" keys): each query id is a group; nobody
 * is a member (the process holding the directory reads every partition). */
static int emb_list_groups(sl_log *log, sl_arena *a, sl_log_group **out, int *n, sl_error *err)
{
    emb *e = (emb *)log;
    gpos *v = NULL;
    size_t nv = 0, cap = 0;
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(e->db, e->ropts, e->cf_meta);
    pthread_mutex_lock(&e->mu);
    for (rocksdb_iter_seek(it, "c", 1); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        const uint8_t *val = (const uint8_t *)rocksdb_iter_value(it, &vl);
        if (kl < 1 || k[0] != 'c')
            break;
        topic *t = kl > 9 && vl == 8 ? topic_by_id(e, get_be32(k + 1)) : NULL;
        if (!t)
            continue;
        if (nv == cap)
            v = xrealloc(v, (cap = cap ? 2 * cap : 16) * sizeof *v);
        char *g = sl_arena_alloc(a, kl - 9 + 1);
        memcpy(g, k + 9, kl - 9);
        g[kl - 9] = 0;
        v[nv++] = (gpos){sl_arena_strdup(a, t->name), g, (int32_t)get_be32(k + 5),
                         (int64_t)get_be64(val)};
    }
    pthread_mutex_unlock(&e->mu);
    char *errp = NULL;
    rocksdb_iter_get_error(it, &errp);
    rocksdb_iter_destroy(it);
    if (errp) {
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "reading positions in %s: %s", e->dir, errp);
        rocksdb_free(errp);
        free(v);
        return -1;
    }
    if (nv)
        qsort(v, nv, sizeof *v, cmp_gpos);
    sl_log_group *gs = sl_arena_zalloc(a, (nv ? nv : 1) * sizeof *gs);
    int ng = 0;
    for (size_t i = 0, j; i < nv; i = j) {
        for (j = i; j < nv && !strcmp(v[j].topic, v[i].topic) && !strcmp(v[j].group, v[i].group);)
            j++;
        sl_log_group_position *ps = sl_arena_alloc(a, (j - i) * sizeof *ps);
        for (size_t m = i; m < j; m++)
            ps[m - i] = (sl_log_group_position){v[m].partition, v[m].next};
        gs[ng++] = (sl_log_group){v[i].group, v[i].topic, -1, ps, (int)(j - i)};
    }
    free(v);
    *out = gs;
    *n = ng;
    return 0;
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
    return sl_log_wait_change(&e->mu, &e->cond, &e->seq, seq, timeout_ms);
}

/* ------------------------------------------------------------------ */
/* retention                                                           */

/*
 * Trims one partition; returns records deleted or -1. The start offset
 * moves record by record; batches go once all their records are below it
 * (see the layout comment). Whole batches are judged from their headers
 * when they can be; otherwise their records are walked.
 */
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
    bool by_time = cfg.retention_ms >= 0, by_size = cfg.retention_bytes >= 0;

    batch_iter bi;
    batch_iter_open(e, &bi, tid, p, start, end);
    int64_t new_start = start, keep_from = -1, first_base = -1, removed = 0, count = 0;
    int rc = 0;
    for (; keep_from < 0; rocksdb_iter_next(bi.it)) {
        batch b;
        int got = batch_iter_get(&bi, &b);
        if (got <= 0) {
            if (got < 0)
                rc = corrupt_batch(err, tid, p, b.base);
            break;
        }
        if (first_base < 0)
            first_base = b.base;
        if (b.base + b.count <= new_start)
            continue;
        if (b.base >= end)
            break;
        int64_t bbytes = (int64_t)b.len + (int64_t)b.count * RECORD_OVERHEAD;
        if (b.base >= new_start && b.base + b.count <= end &&
            ((by_time && b.max_ts < cutoff) ||
             (by_size && remaining - bbytes >= cfg.retention_bytes))) {
            remaining -= bbytes;        /* every record of it goes */
            removed += bbytes;
            count += b.count;
            new_start = b.base + b.count;
            continue;
        }
        size_t pos = 0;
        for (int64_t off = b.base; off < b.base + b.count; off++) {
            const uint8_t *body;
            size_t blen, before = pos;
            int64_t ts = 0;
            if (next_record(&b, &pos, &body, &blen) ||
                (by_time && decode_ts(body, blen, b.base_ts, &ts))) {
                rc = corrupt(err, tid, p, off);
                goto done;
            }
            if (off < new_start)
                continue;
            int64_t size = (int64_t)(pos - before) + RECORD_OVERHEAD;
            if (off >= end || (!(by_time && ts < cutoff) &&
                               !(by_size && remaining > cfg.retention_bytes))) {
                keep_from = b.base;     /* this batch stays */
                break;
            }
            remaining -= size;
            removed += size;
            new_start = off + 1;
            count++;
        }
    }
done:
    if (batch_iter_close(&bi, "retention", err))
        return -1;
    if (rc)
        return -1;
    if (new_start == start)
        return 0;
    if (keep_from < 0)
        keep_from = new_start;

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
    if (keep_from > first_base) {       /* whole batches to delete */
        uint8_t lo[KEY_LEN], hi[KEY_LEN];
        rec_key(lo, tid, p, 0);
        rec_key(hi, tid, p, keep_from);
        rocksdb_writebatch_delete_range_cf(wb, e->cf_rec, (const char *)lo, KEY_LEN,
                                           (const char *)hi, KEY_LEN);
    }
    put_part_meta(wb, e, tid, p, new_start, committed, bytes);
    char *errp = NULL;
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
    .txn_delete_range_raw = sl_log_embedded_txn_delete_range_raw, /* embedded_raw.c */
    .get_raw = sl_log_embedded_get_raw,
    .scan_raw = sl_log_embedded_scan_raw,
    .txn_commit = emb_txn_commit,
    .txn_abort = emb_txn_abort,
    .read = emb_read,
    .offsets = emb_offsets,
    .position = emb_position,
    .list_groups = emb_list_groups,
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

void sl_log_txn_on_refused(sl_log_txn *t, sl_log_refused_cb cb, void *ud)
{
    if (t && t->log->ops->txn_on_refused)
        t->log->ops->txn_on_refused(t, cb, ud);
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
    return log->ops->read(log, topic_name, partition, from_offset, max_records, 0, a, out, n,
                          err);
}

int sl_log_read_flags(sl_log *log, const char *topic_name, int32_t partition, int64_t from_offset,
                      int max_records, unsigned flags, sl_arena *a, sl_record *out, int *n,
                      sl_error *err)
{
    int rc = log->ops->read(log, topic_name, partition, from_offset, max_records, flags, a, out,
                            n, err);
    /* the same records from every backend, whichever flags it honours */
    if (rc == 0 && (flags & SL_LOG_READ_NO_HEADERS)) {
        for (int i = 0; i < *n; i++) {
            out[i].headers = NULL;
            out[i].n_headers = 0;
        }
    }
    return rc;
}

bool sl_log_read_at_end(sl_log *log, const char *topic_name, int32_t partition, int64_t end)
{
    return !log->ops->read_at_end || log->ops->read_at_end(log, topic_name, partition, end);
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

int sl_log_list_groups(sl_log *log, sl_arena *a, sl_log_group **out, int *n, sl_error *err)
{
    *out = NULL;
    *n = 0;
    return log->ops->list_groups ? log->ops->list_groups(log, a, out, n, err) : 0;
}

int sl_log_delete_group(sl_log *log, const char *group, sl_error *err)
{
    return log->ops->delete_group ? log->ops->delete_group(log, group, err) : 0;
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

bool sl_log_commits_costly(sl_log *log)
{
    return log->ops->commits_costly && log->ops->commits_costly(log);
}

bool sl_log_atomic_commits(sl_log *log)
{
    return !log->ops->atomic_commits || log->ops->atomic_commits(log);
}
