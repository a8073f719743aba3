/*
 * store.c: the state store of one stateful operator of one task: a
 * write-back cache of decoded objects in front of the log's raw keyspace
 * "state", and, for windowed stores, an in-memory (time, key) index.
 *
 * Does: gets (cache, else one committed read and a decode), puts and
 * deletes that only touch memory, flushes that encode the dirty objects
 * into the task's transaction, LRU eviction of clean entries, discard after
 * an aborted transaction, ordered visits by time and by key prefix, drop.
 * Does not: commit or abort transactions, know what the objects are (the
 * operator's codec does), lock (a store belongs to one task's thread).
 *
 * Keys in RocksDB: store name, a 0 byte, be32 partition, then the user key
 * (the first prefix_len bytes of s->kbuf hold the first three). Callbacks and callers only ever see
 * user keys.
 *
 * The cache: a hash table (open addressing, linear probing, XXH3-64 of the
 * user key, the hash kept in the slot so probes rarely touch an entry)
 * over malloc'ed entries. An entry is one of
 *     clean present   obj set, equal to what is committed
 *     clean absent    obj NULL: known not to be committed (a remembered miss)
 *     dirty put       obj set, to be written at the next flush
 *     dirty delete    obj NULL, to be deleted at the next flush
 * Clean entries sit on an LRU list (least recently used first), dirty ones
 * on a list of their own, with their keys also in a skip list ordered by
 * key (s->pend): a flush writes in key order (RocksDB's memtable takes
 * sorted inserts several times faster) and a prefix visit finds the pending
 * keys under its prefix in O(log n) instead of walking every dirty entry
 * (sessions visit a group's keys once per record). Every entry counts key
 * length + codec size() + SL_STORE_ENTRY_OVERHEAD bytes; the size of an
 * object is taken when it enters the store (get miss, put), so an object
 * changed in place must be put again to be counted (and written) anew.
 *
 * Pointer lifetime: EVICTION HAPPENS ONLY INSIDE sl_store_flush (and
 * sl_store_discard and sl_store_close), never inside get, put, delete or
 * the visits. So an object returned by get, and a key handed to a visit
 * callback, stay valid until the next flush, discard or close, unless the
 * caller itself puts a different object for that key or deletes it (which
 * frees the old object). The cache may therefore exceed cache_bytes between
 * two flushes (misses add clean entries); the flush brings it back.
 * Between a flush and the commit of its transaction the store must not be
 * read: evicted entries are not committed yet.
 *
 * Prefix visits merge the pending keys with a RocksDB scan of the committed
 * ones; a key a callback puts during the visit may or may not be visited,
 * a key it deletes before the visit reaches it is not.
 *
 * The time index (windowed stores) is a skip list (p = 1/4) of every key of
 * the store, committed or pending, ordered by (time, key bytes); it is
 * exact, so for a cached entry "obj set" and "in the index" coincide; a get
 * miss on a key the index does not hold returns absent without reading
 * RocksDB or caching anything (every new window of a windowed aggregation),
 * a delete of such a key is a no-op, and a flushed delete leaves no entry
 * behind (expired windows do not crowd the cache). It is built by a scan at
 * open and rebuilt by discard.
 */
#include "state/store.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define TABLE_MIN 16            /* slots of a new hash table (a power of two) */
#define IDX_MAX_LEVEL 24        /* 4^24 keys before the skip list degrades */
#define KEY_MAX ((size_t)UINT32_MAX)
#define SMALL_KEY 256           /* visit keys up to this are copied on the stack */

/* What the store knows of a key's committed state. */
enum { STORED_UNKNOWN = 0, STORED_NO, STORED_YES };

typedef struct entry {
    struct entry *prev, *next;  /* on the clean LRU list or the dirty list */
    void *obj;                  /* NULL: absent (see the top of the file) */
    size_t counted;             /* bytes counted for it in s->bytes */
    uint64_t hash;
    uint32_t key_len;
    uint8_t dirty;
    uint8_t stored;             /* STORED_* */
    uint8_t key[];
} entry;

typedef struct slot {
    uint64_t hash;
    entry *e;                   /* NULL: free */
} slot;

typedef struct inode {
    int64_t time;
    uint32_t key_len;
    uint32_t level;
    struct inode *next[];       /* level pointers, then the key bytes */
} inode;

typedef struct skiplist {
    inode *head;                /* IDX_MAX_LEVEL pointers, no key */
    int level;                  /* levels in use */
    uint64_t n;                 /* nodes */
    uint64_t mods;              /* bumped by every insert and removal */
} skiplist;

typedef struct list {
    entry *head;                /* a keyless sentinel: head->next is the oldest */
} list;

struct sl_store {
    sl_log *log;
    char *name;
    int32_t partition;
    sl_store_codec codec;
    sl_store_opts opts;
    bool windowed;
    uint8_t *kbuf;              /* prefix, then the user key being read or written */
    size_t prefix_len, kcap;
    sl_arena *arena;            /* one committed read's value */
    sl_buf enc;                 /* one object's encoding at flush */
    slot *slots;
    size_t cap, used;           /* slots, occupied slots */
    list clean, dirty;
    entry *last;                /* the entry of the last get/put (put's fast path) */
    uint64_t bytes;
    sl_store_stats st;
    skiplist idx;               /* windowed stores: every key by (time, key) */
    skiplist kidx;              /* windowed stores with opts.key_index: every key by key */
    skiplist pend;              /* the keys of the dirty entries, by key (time 0) */
    uint64_t rng;
};

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static int bytes_cmp(const void *a, size_t al, const void *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

static uint64_t key_hash(const void *key, size_t len)
{
    return XXH3_64bits(len ? key : "", len);
}

static int oom(sl_error *err, const char *what)
{
    return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory (%s)", what);
}

/* s->kbuf = prefix + key; NULL when out of memory. */
static const uint8_t *full_key(sl_store *s, const void *key, size_t len)
{
    size_t need = s->prefix_len + len;
    if (need > s->kcap) {
        size_t cap = s->kcap * 2 > need ? s->kcap * 2 : need;
        uint8_t *p = realloc(s->kbuf, cap);
        if (!p)
            return NULL;
        s->kbuf = p;
        s->kcap = cap;
    }
    if (len)
        memcpy(s->kbuf + s->prefix_len, key, len);
    return s->kbuf;
}

static size_t obj_size(const sl_store *s, const void *obj)
{
    return obj && s->codec.size ? s->codec.size(s->codec.ud, obj) : 0;
}

static void free_obj(sl_store *s, void *obj)
{
    if (obj)
        s->codec.free(s->codec.ud, obj);
}

/* ------------------------------------------------------------------ */
/* lists                                                               */

static int list_init(list *l)
{
    if (!(l->head = calloc(1, sizeof *l->head)))
        return -1;
    l->head->prev = l->head->next = l->head;
    return 0;
}

static void list_unlink(entry *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
}

static void list_append(list *l, entry *e)
{
    e->prev = l->head->prev;
    e->next = l->head;
    l->head->prev->next = e;
    l->head->prev = e;
}

/* ------------------------------------------------------------------ */
/* hash table                                                          */

static int table_init(sl_store *s, size_t cap)
{
    s->slots = calloc(cap, sizeof *s->slots);
    if (!s->slots)
        return -1;
    s->cap = cap;
    s->used = 0;
    return 0;
}

static entry *table_find(const sl_store *s, uint64_t h, const void *key, size_t len)
{
    size_t mask = s->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        entry *e = s->slots[i].e;
        if (!e)
            return NULL;
        if (s->slots[i].hash == h && e->key_len == len && (!len || !memcmp(e->key, key, len)))
            return e;
    }
}

static void table_place(slot *slots, size_t cap, uint64_t h, entry *e)
{
    size_t mask = cap - 1;
    size_t i = h & mask;
    while (slots[i].e)
        i = (i + 1) & mask;
    slots[i].hash = h;
    slots[i].e = e;
}

/* Adds e (not present); grows the table at 70% load. -1 when out of memory. */
static int table_add(sl_store *s, entry *e)
{
    if ((s->used + 1) * 10 > s->cap * 7) {
        size_t ncap = s->cap * 2;
        slot *ns = calloc(ncap, sizeof *ns);
        if (!ns)
            return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i].e)
                table_place(ns, ncap, s->slots[i].hash, s->slots[i].e);
        free(s->slots);
        s->slots = ns;
        s->cap = ncap;
    }
    table_place(s->slots, s->cap, e->hash, e);
    s->used++;
    return 0;
}

/* Removes e, shifting later members of its probe run back (no tombstones). */
static void table_remove(sl_store *s, entry *e)
{
    size_t mask = s->cap - 1;
    size_t i = e->hash & mask;
    while (s->slots[i].e != e)
        i = (i + 1) & mask;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!s->slots[j].e)
            break;
        size_t k = s->slots[j].hash & mask;     /* where slot j's entry wants to be */
        /* move it into the hole at i unless its home lies cyclically in (i, j] */
        bool home_between = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!home_between) {
            s->slots[i] = s->slots[j];
            i = j;
        }
    }
    s->slots[i].e = NULL;
    s->slots[i].hash = 0;
    s->used--;
}

/* ------------------------------------------------------------------ */
/* entries                                                             */

static int sk_insert(sl_store *s, skiplist *k, int64_t t, const void *key, size_t len);
static void sk_remove(skiplist *k, int64_t t, const void *key, size_t len);

static entry *entry_new(sl_store *s, uint64_t h, const void *key, size_t len, void *obj,
                        uint8_t stored, bool dirty)
{
    entry *e = malloc(sizeof *e + (len ? len : 1));
    if (!e)
        return NULL;
    e->hash = h;
    e->key_len = (uint32_t)len;
    if (len)
        memcpy(e->key, key, len);
    e->obj = obj;
    e->stored = stored;
    e->dirty = dirty;
    if (dirty && sk_insert(s, &s->pend, 0, key, len)) {
        free(e);
        return NULL;
    }
    if (table_add(s, e)) {
        if (dirty)
            sk_remove(&s->pend, 0, key, len);
        free(e);
        return NULL;
    }
    e->counted = len + obj_size(s, obj) + SL_STORE_ENTRY_OVERHEAD;
    s->bytes += e->counted;
    list_append(dirty ? &s->dirty : &s->clean, e);
    return e;
}

static void recount(sl_store *s, entry *e)
{
    s->bytes -= e->counted;
    e->counted = e->key_len + obj_size(s, e->obj) + SL_STORE_ENTRY_OVERHEAD;
    s->bytes += e->counted;
}

/* Marks e dirty (moving it to the dirty list, its key into s->pend). -1
 * when out of memory. */
static int make_dirty(sl_store *s, entry *e)
{
    if (!e->dirty) {
        if (sk_insert(s, &s->pend, 0, e->key, e->key_len))
            return -1;
        list_unlink(e);
        list_append(&s->dirty, e);
        e->dirty = 1;
    }
    return 0;
}

/* Drops e from the cache and frees it with its object. */
static void entry_drop(sl_store *s, entry *e)
{
    if (s->last == e)
        s->last = NULL;
    table_remove(s, e);
    list_unlink(e);
    s->bytes -= e->counted;
    free_obj(s, e->obj);
    free(e);
}

static void drop_list(sl_store *s, list *l)
{
    while (l->head && l->head->next != l->head)
        entry_drop(s, l->head->next);
}

/* The cached entry of key, trying the last one touched first. */
static entry *lookup(sl_store *s, const void *key, size_t len, uint64_t *h)
{
    entry *e = s->last;
    if (e && e->key_len == len && (!len || !memcmp(e->key, key, len))) {
        *h = e->hash;
        return e;
    }
    *h = key_hash(key, len);
    return table_find(s, *h, key, len);
}

/* ------------------------------------------------------------------ */
/* skip lists: the time index, and the pending keys in key order       */

static int sk_init(skiplist *k)
{
    k->head = calloc(1, sizeof *k->head + IDX_MAX_LEVEL * sizeof k->head->next[0]);
    k->level = 1;
    return k->head ? 0 : -1;
}

static uint8_t *inode_key(inode *n)
{
    return (uint8_t *)(n->next + n->level);
}

static int inode_cmp(inode *n, int64_t t, const void *key, size_t len)
{
    if (n->time != t)
        return n->time < t ? -1 : 1;
    return bytes_cmp(inode_key(n), n->key_len, key, len);
}

static int random_level(sl_store *s)
{
    /* xorshift64 */
    uint64_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->rng = x;
    int level = 1;
    while ((x & 3) == 0 && level < IDX_MAX_LEVEL) {
        level++;
        x >>= 2;
    }
    return level;
}

/*
 * Fills upd[l] (upd may be NULL) with the last node at level l that orders
 * before (t, key) (or_equal: before or equal) and returns the node after
 * upd[0].
 */
static inode *sk_seek(const skiplist *k, int64_t t, const void *key, size_t len, bool or_equal,
                      inode **upd)
{
    inode *x = k->head;
    for (int l = k->level - 1; l >= 0; l--) {
        for (;;) {
            inode *n = x->next[l];
            if (!n)
                break;
            int c = inode_cmp(n, t, key, len);
            if (c > 0 || (c == 0 && !or_equal))
                break;
            x = n;
        }
        if (upd)
            upd[l] = x;
    }
    return x->next[0];
}

static bool sk_contains(const skiplist *k, int64_t t, const void *key, size_t len)
{
    inode *n = sk_seek(k, t, key, len, false, NULL);
    return n && inode_cmp(n, t, key, len) == 0;
}

/* Inserts (t, key) unless present. -1 when out of memory. */
static int sk_insert(sl_store *s, skiplist *k, int64_t t, const void *key, size_t len)
{
    inode *upd[IDX_MAX_LEVEL];
    inode *n = sk_seek(k, t, key, len, false, upd);
    if (n && inode_cmp(n, t, key, len) == 0)
        return 0;
    int level = random_level(s);
    n = malloc(sizeof *n + (size_t)level * sizeof n->next[0] + (len ? len : 1));
    if (!n)
        return -1;
    n->time = t;
    n->key_len = (uint32_t)len;
    n->level = (uint32_t)level;
    if (len)
        memcpy(inode_key(n), key, len);
    for (int l = k->level; l < level; l++)
        upd[l] = k->head;
    if (level > k->level)
        k->level = level;
    for (int l = 0; l < level; l++) {
        n->next[l] = upd[l]->next[l];
        upd[l]->next[l] = n;
    }
    k->n++;
    k->mods++;
    return 0;
}

/* Removes (t, key) if present. */
static void sk_remove(skiplist *k, int64_t t, const void *key, size_t len)
{
    inode *upd[IDX_MAX_LEVEL];
    inode *n = sk_seek(k, t, key, len, false, upd);
    if (!n || inode_cmp(n, t, key, len) != 0)
        return;
    for (uint32_t l = 0; l < n->level; l++)
        upd[l]->next[l] = n->next[l];
    while (k->level > 1 && !k->head->next[k->level - 1])
        k->level--;
    free(n);
    k->n--;
    k->mods++;
}

static void sk_clear(skiplist *k)
{
    if (!k->head)
        return;
    inode *n = k->head->next[0];
    while (n) {
        inode *next = n->next[0];
        free(n);
        n = next;
    }
    for (int l = 0; l < IDX_MAX_LEVEL; l++)
        k->head->next[l] = NULL;
    k->level = 1;
    k->n = 0;
    k->mods++;
}

static void sk_fini(skiplist *k)
{
    sk_clear(k);
    free(k->head);
    k->head = NULL;
}

static int64_t key_time(const sl_store *s, const void *key, size_t len);

/* A key joins / leaves the indexes of a windowed store. */
static int idx_add(sl_store *s, const void *key, size_t len)
{
    int64_t t = key_time(s, key, len);
    /* (out of memory leaves the indexes apart: the query fails anyway) */
    if (sk_insert(s, &s->idx, t, key, len))
        return -1;
    return s->opts.key_index ? sk_insert(s, &s->kidx, 0, key, len) : 0;
}

static void idx_del(sl_store *s, const void *key, size_t len)
{
    sk_remove(&s->idx, key_time(s, key, len), key, len);
    if (s->opts.key_index)
        sk_remove(&s->kidx, 0, key, len);
}

static int64_t key_time(const sl_store *s, const void *key, size_t len)
{
    return s->codec.time_of_key(s->codec.ud, len ? key : "", len);
}

/* Rebuilds the time index from what is committed. */
static int idx_build(sl_store *s, sl_error *err)
{
    sk_clear(&s->idx);
    sk_clear(&s->kidx);
    sl_log_iter *it = sl_log_scan_raw(s->log, SL_STORE_SPACE, s->kbuf, s->prefix_len, NULL, 0,
                                      err);
    if (!it)
        return -1;
    const void *k, *v;
    size_t kl, vl;
    int rc;
    while ((rc = sl_log_iter_next(it, &k, &kl, &v, &vl, err)) > 0) {
        const uint8_t *uk = (const uint8_t *)k + s->prefix_len;
        size_t ul = kl - s->prefix_len;
        if (idx_add(s, uk, ul)) {
            rc = oom(err, "time index");
            break;
        }
    }
    sl_log_iter_free(it);
    return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* opening and closing                                                 */

sl_store *sl_store_open(sl_log *log, const char *name, int32_t partition,
                        const sl_store_codec *codec, const sl_store_opts *opts, sl_error *err)
{
    if (!log || !name || !*name || partition < 0) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "state store: no log, name or partition");
        return NULL;
    }
    if (!codec || !codec->encode || !codec->decode || !codec->free) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                     "state store %s: the codec needs encode, decode and free", name);
        return NULL;
    }
    sl_store *s = calloc(1, sizeof *s);
    if (!s) {
        oom(err, "state store");
        return NULL;
    }
    s->log = log;
    s->partition = partition;
    s->codec = *codec;
    if (opts)
        s->opts = *opts;
    s->windowed = codec->time_of_key != NULL;
    sl_buf_init(&s->enc);
    int lists = list_init(&s->clean) | list_init(&s->dirty);
    size_t nl = strlen(name);
    s->name = malloc(nl + 1);
    s->prefix_len = nl + 1 + 4;
    s->kcap = s->prefix_len + 64;
    s->kbuf = malloc(s->kcap);
    s->arena = sl_arena_new(0);
    if (lists || !s->name || !s->kbuf || !s->arena || sk_init(&s->idx) || sk_init(&s->kidx) || sk_init(&s->pend) ||
        table_init(s, TABLE_MIN)) {
        oom(err, "state store");
        sl_store_close(s);
        return NULL;
    }
    memcpy(s->name, name, nl + 1);
    memcpy(s->kbuf, name, nl + 1);          /* the name and its 0 byte */
    uint32_t p = (uint32_t)partition;
    s->kbuf[nl + 1] = (uint8_t)(p >> 24);
    s->kbuf[nl + 2] = (uint8_t)(p >> 16);
    s->kbuf[nl + 3] = (uint8_t)(p >> 8);
    s->kbuf[nl + 4] = (uint8_t)p;
    s->rng = key_hash(s->kbuf, s->prefix_len) | 1;
    if (s->windowed && idx_build(s, err)) {
        sl_store_close(s);
        return NULL;
    }
    return s;
}

void sl_store_close(sl_store *s)
{
    if (!s)
        return;
    if (s->slots) {
        drop_list(s, &s->clean);
        drop_list(s, &s->dirty);
    }
    sk_fini(&s->idx);
    sk_fini(&s->kidx);
    sk_fini(&s->pend);
    free(s->clean.head);
    free(s->dirty.head);
    free(s->slots);
    sl_buf_fini(&s->enc);
    sl_arena_free(s->arena);
    free(s->kbuf);
    free(s->name);
    free(s);
}

/* ------------------------------------------------------------------ */
/* reading and writing                                                 */

static int check_key(const sl_store *s, const void *key, size_t len, sl_error *err)
{
    if ((!key && len) || len > KEY_MAX)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "state store %s: bad key",
                            s->name);
    return 0;
}

/* Decodes a committed value into *obj. */
static int decode(sl_store *s, const void *v, size_t vl, void **obj, sl_error *err)
{
    *obj = NULL;
    if (s->codec.decode(s->codec.ud, v, vl, obj, err))
        return -1;
    if (!*obj)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                            "state store %s: the codec decoded no object", s->name);
    return 0;
}

int sl_store_get(sl_store *s, const void *key, size_t key_len, void **obj, sl_error *err)
{
    *obj = NULL;
    if (check_key(s, key, key_len, err))
        return -1;
    uint64_t h;
    entry *e = lookup(s, key, key_len, &h);
    if (e) {
        s->st.hits++;
        if (!e->dirty) {            /* most recently used */
            list_unlink(e);
            list_append(&s->clean, e);
        }
        s->last = e;
        *obj = e->obj;
        return 0;
    }
    s->st.misses++;
    if (s->windowed && !sk_contains(&s->idx, key_time(s, key, key_len), key, key_len))
        return 0;                   /* the index holds every key: nothing to remember */
    const uint8_t *fk = full_key(s, key, key_len);
    if (!fk)
        return oom(err, "state key");
    s->st.reads++;
    const void *v;
    size_t vl;
    int rc = sl_log_get_raw(s->log, SL_STORE_SPACE, fk, s->prefix_len + key_len, s->arena, &v,
                            &vl, err);
    if (rc < 0)
        return -1;
    void *o = NULL;
    if (rc > 0) {
        int drc = decode(s, v, vl, &o, err);
        sl_arena_reset(s->arena);
        if (drc)
            return -1;
    }
    uint8_t stored = rc > 0 ? STORED_YES : STORED_NO;
    e = entry_new(s, h, key, key_len, o, stored, false);
    if (!e) {
        free_obj(s, o);
        return oom(err, "state cache");
    }
    s->last = e;
    *obj = o;
    return 0;
}

int sl_store_delete(sl_store *s, const void *key, size_t key_len, sl_error *err)
{
    if (check_key(s, key, key_len, err))
        return -1;
    uint64_t h;
    entry *e = lookup(s, key, key_len, &h);
    if (!e) {
        if (s->windowed && !sk_contains(&s->idx, key_time(s, key, key_len), key, key_len))
            return 0;               /* the index knows it is not there */
        /* state unknown: a delete is written at flush in any case */
        e = entry_new(s, h, key, key_len, NULL, STORED_UNKNOWN, true);
        if (!e)
            return oom(err, "state cache");
        if (s->windowed)
            idx_del(s, key, key_len);
        s->last = e;
        return 0;
    }
    if (!e->obj && !e->dirty && e->stored == STORED_NO)
        return 0;                   /* a known miss stays a known miss */
    if (make_dirty(s, e))
        return oom(err, "state cache");
    if (e->obj) {
        if (s->windowed)
            idx_del(s, key, key_len);
        free_obj(s, e->obj);
        e->obj = NULL;
        recount(s, e);
    }
    s->last = e;
    return 0;
}

int sl_store_put(sl_store *s, const void *key, size_t key_len, void *obj, sl_error *err)
{
    if (!obj)
        return sl_store_delete(s, key, key_len, err);
    if (check_key(s, key, key_len, err))
        return -1;
    uint64_t h;
    entry *e = lookup(s, key, key_len, &h);
    if (e && make_dirty(s, e))
        return oom(err, "state cache");
    bool was_present = e && e->obj;
    /* a key with no cache entry has no pending change, so a windowed
     * store's index says exactly whether it is committed: a window made
     * and closed between two flushes then costs RocksDB nothing */
    uint8_t stored = STORED_UNKNOWN;
    if (s->windowed && !e)
        stored = sk_contains(&s->idx, key_time(s, key, key_len), key, key_len) ? STORED_YES
                                                                              : STORED_NO;
    if (s->windowed && !was_present && idx_add(s, key, key_len))
        return oom(err, "time index");
    if (!e) {
        e = entry_new(s, h, key, key_len, obj, stored, true);
        if (!e) {
            if (s->windowed)
                idx_del(s, key, key_len);
            return oom(err, "state cache");
        }
    } else {
        if (e->obj != obj)
            free_obj(s, e->obj);
        e->obj = obj;
        recount(s, e);
    }
    s->last = e;
    return 0;
}

/* ------------------------------------------------------------------ */
/* flush and discard                                                   */

/* The cached entry of a key of s->pend (there always is one). */
static entry *pend_entry(const sl_store *s, inode *n)
{
    const uint8_t *k = inode_key(n);
    return table_find(s, key_hash(k, n->key_len), k, n->key_len);
}

int sl_store_flush(sl_store *s, sl_log_txn *txn, sl_error *err)
{
    /* in key order: RocksDB inserts sorted keys into its memtable (a skip
     * list) several times faster than scattered ones */
    for (inode *n = s->pend.head->next[0]; n; n = n->next[0]) {
        entry *e = pend_entry(s, n);
        const uint8_t *fk = full_key(s, e->key, e->key_len);
        if (!fk)
            return oom(err, "state key");
        size_t fl = s->prefix_len + e->key_len;
        if (e->obj) {
            sl_buf_reset(&s->enc);
            s->codec.encode(s->codec.ud, e->obj, &s->enc);
            if (sl_log_txn_put_raw(txn, SL_STORE_SPACE, fk, fl, s->enc.data ? s->enc.data : "",
                                   s->enc.len, err))
                return -1;
        } else if (e->stored != STORED_NO) {
            if (sl_log_txn_put_raw(txn, SL_STORE_SPACE, fk, fl, NULL, 0, err))
                return -1;
        }
    }
    /* everything is in the transaction: the entries are clean now */
    while (s->dirty.head->next != s->dirty.head) {
        entry *e = s->dirty.head->next;
        if (e->obj)
            s->st.writes++;
        else if (e->stored != STORED_NO)
            s->st.deletes++;
        e->stored = e->obj ? STORED_YES : STORED_NO;
        e->dirty = 0;
        list_unlink(e);
        list_append(&s->clean, e);
        if (s->windowed && !e->obj)
            entry_drop(s, e);       /* the index knows it is absent */
    }
    sk_clear(&s->pend);
    while (s->bytes > s->opts.cache_bytes && s->clean.head->next != s->clean.head) {
        entry_drop(s, s->clean.head->next);
        s->st.evictions++;
    }
    return 0;
}

bool sl_store_over_bound(const sl_store *s)
{
    return s->bytes > s->opts.cache_bytes;
}

int sl_store_discard(sl_store *s, sl_error *err)
{
    sk_clear(&s->pend);
    drop_list(s, &s->dirty);
    drop_list(s, &s->clean);
    s->last = NULL;
    if (s->windowed)
        return idx_build(s, err);
    return 0;
}

/* ------------------------------------------------------------------ */
/* visits                                                              */

/*
 * Walks index k from node n while its nodes are before `before` (by time)
 * or start with prefix (prefix non-NULL), calling visit with a copy of each
 * key: the visit may put and delete keys, changing the index (the walk then
 * finds its place again after the key it visited). visit returns -1 on
 * error, 1 to stop, 0 to go on. 0, or -1 with err.
 */
typedef int (*walk_fn)(sl_store *s, const uint8_t *key, size_t len, int64_t t, void *ctx,
                       sl_error *err);
static bool node_has_prefix(inode *n, const void *prefix, size_t len);

static int walk(sl_store *s, skiplist *k, inode *n, int64_t before, const void *prefix,
                size_t prefix_len, walk_fn visit, void *ctx, sl_error *err)
{
    uint8_t small[SMALL_KEY];
    while (prefix ? node_has_prefix(n, prefix, prefix_len) : n && n->time < before) {
        size_t len = n->key_len;
        int64_t t = n->time;
        uint8_t *key = len <= SMALL_KEY ? small : malloc(len);
        if (!key)
            return oom(err, "state scan");
        if (len)
            memcpy(key, inode_key(n), len);
        uint64_t mods = k->mods;
        int rc = visit(s, key, len, t, ctx, err);
        if (rc == 0)
            /* the index unchanged: n is still there; else find where we were */
            n = k->mods == mods ? n->next[0] : sk_seek(k, t, key, len, true, NULL);
        if (key != small)
            free(key);
        if (rc)
            return rc < 0 ? -1 : 0;
    }
    return 0;
}

typedef struct time_visit {
    sl_store_visit_cb cb;
    void *ud;
    int visited;
} time_visit;

static int visit_time(sl_store *s, const uint8_t *key, size_t len, int64_t t, void *ctx,
                      sl_error *err)
{
    (void)s;
    time_visit *v = ctx;
    v->visited++;
    return v->cb(v->ud, key, len, t, err);
}

int sl_store_scan_time(sl_store *s, int64_t before, sl_store_visit_cb cb, void *ud,
                       sl_error *err)
{
    if (!s->windowed)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                            "state store %s is not windowed: no scan by time", s->name);
    time_visit v = {cb, ud, 0};
    if (walk(s, &s->idx, s->idx.head->next[0], before, NULL, 0, visit_time, &v, err))
        return -1;
    return v.visited;
}

int64_t sl_store_min_time(const sl_store *s)
{
    const inode *n = s->windowed ? s->idx.head->next[0] : NULL;
    return n ? n->time : INT64_MAX;
}

/*
 * One committed key of a prefix visit: the cached entry if there is one,
 * else the decoded value, cached now. *out NULL: the cache says absent.
 */
static int committed_entry(sl_store *s, const uint8_t *key, size_t len, const void *v,
                           size_t vl, entry **out, sl_error *err)
{
    uint64_t h = key_hash(key, len);
    entry *e = table_find(s, h, key, len);
    if (!e) {
        void *o;
        if (decode(s, v, vl, &o, err))
            return -1;
        e = entry_new(s, h, key, len, o, STORED_YES, false);
        if (!e) {
            free_obj(s, o);
            return oom(err, "state cache");
        }
    }
    *out = e->obj ? e : NULL;
    return 0;
}

static bool node_has_prefix(inode *n, const void *prefix, size_t len)
{
    return n && n->key_len >= len && (!len || !memcmp(inode_key(n), prefix, len));
}

typedef struct key_visit {
    sl_store_entry_cb cb;
    void *ud;
    int visited;
} key_visit;

static int visit_key(sl_store *s, const uint8_t *key, size_t len, int64_t t, void *ctx,
                     sl_error *err)
{
    (void)t;
    key_visit *v = ctx;
    void *obj = NULL;
    if (sl_store_get(s, key, len, &obj, err))
        return -1;
    if (!obj)
        return 0;
    v->visited++;
    return v->cb(v->ud, key, len, obj, err);
}

/* scan_prefix of a store whose key index holds every key: no iterator, and
 * point reads only for objects not cached */
static int scan_key_index(sl_store *s, const void *prefix, size_t prefix_len,
                          sl_store_entry_cb cb, void *ud, sl_error *err)
{
    key_visit v = {cb, ud, 0};
    inode *n = sk_seek(&s->kidx, 0, prefix, prefix_len, false, NULL);
    if (walk(s, &s->kidx, n, 0, prefix ? prefix : "", prefix_len, visit_key, &v, err))
        return -1;
    return v.visited;
}

int sl_store_scan_prefix(sl_store *s, const void *prefix, size_t prefix_len,
                         sl_store_entry_cb cb, void *ud, sl_error *err)
{
    if (check_key(s, prefix, prefix_len, err))
        return -1;
    if (s->windowed && s->opts.key_index)
        return scan_key_index(s, prefix, prefix_len, cb, ud, err);
    const uint8_t *fk = full_key(s, prefix, prefix_len);
    if (!fk)
        return oom(err, "state key");
    sl_log_iter *it = sl_log_scan_raw(s->log, SL_STORE_SPACE, fk, s->prefix_len + prefix_len,
                                      NULL, 0, err);
    if (!it)
        return -1;
    /* the pending keys under the prefix, in key order: their nodes live until
     * the next flush or discard, whatever the callbacks do (a key they put
     * may or may not be visited) */
    inode *pn = sk_seek(&s->pend, 0, prefix, prefix_len, false, NULL);
    if (!node_has_prefix(pn, prefix, prefix_len))
        pn = NULL;
    int visited = 0, rc = 0;
    const void *ck = NULL, *cv = NULL;
    size_t ckl = 0, cvl = 0;
    int have_c = sl_log_iter_next(it, &ck, &ckl, &cv, &cvl, err);
    while (have_c >= 0 && (have_c || pn)) {
        const uint8_t *uk = have_c ? (const uint8_t *)ck + s->prefix_len : NULL;
        size_t ul = have_c ? ckl - s->prefix_len : 0;
        int c = !have_c ? 1 : !pn ? -1 : bytes_cmp(uk, ul, inode_key(pn), pn->key_len);
        entry *e = NULL;
        if (c < 0) {                /* committed only (or cached clean) */
            if (committed_entry(s, uk, ul, cv, cvl, &e, err)) {
                rc = -1;
                break;
            }
        } else {                    /* pending (and maybe committed too) */
            e = pend_entry(s, pn);
            if (!e->obj)
                e = NULL;           /* deleted */
            pn = pn->next[0];
            if (!node_has_prefix(pn, prefix, prefix_len))
                pn = NULL;
        }
        if (c <= 0)
            have_c = sl_log_iter_next(it, &ck, &ckl, &cv, &cvl, err);
        if (e) {
            int r = cb(ud, e->key, e->key_len, e->obj, err);
            visited++;
            if (r < 0) {
                rc = -1;
                break;
            }
            if (r > 0)
                break;
        }
    }
    if (have_c < 0)
        rc = -1;
    sl_log_iter_free(it);
    return rc < 0 ? -1 : visited;
}

/* ------------------------------------------------------------------ */
/* stats and drop                                                      */

void sl_store_get_stats(const sl_store *s, sl_store_stats *out)
{
    *out = s->st;
    out->keys_cached = s->used;
    out->cache_bytes = s->bytes;
    out->index_keys = s->idx.n;
}

int sl_store_drop(sl_log_txn *txn, const char *name_prefix, sl_error *err)
{
    if (!txn || !name_prefix || !*name_prefix)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                            "dropping state: no transaction or name prefix");
    return sl_log_txn_delete_range_raw(txn, SL_STORE_SPACE, name_prefix, strlen(name_prefix),
                                       NULL, 0, err);
}
