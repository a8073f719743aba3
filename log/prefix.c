/*
 * prefix.c: a log seen through name prefixes (prefix.h).
 *
 * Does: forwards every operation of the log interface to the wrapped log,
 * putting the topic prefix in front of topic names and the group prefix in
 * front of position groups, and taking the topic prefix off names that
 * come back. Transactions are wrapped too (a transaction handle names its
 * log, and appends through it must be renamed as well, as must the records
 * a commit reports refused, sl_log_txn_on_refused).
 * Does not: buffer, cache or add semantics of its own.
 */
#include "log/prefix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_NAME = 512 };

typedef struct plog {
    sl_log base;
    sl_log *inner;
    char *tp, *gp;              /* topic and group prefixes ("" none) */
    size_t tpl;
} plog;

typedef struct ptxn {
    sl_log_txn base;
    sl_log_txn *inner;
    sl_log_refused_cb refused;  /* sl_log_txn_on_refused's, told through p_refused */
    void *refused_ud;
} ptxn;

static const sl_log_ops prefix_ops;

/* prefix + name into buf; -1 with err when it does not fit. */
static int join(char *buf, const char *prefix, const char *name, sl_error *err)
{
    if (!name)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "a name is missing");
    int n = snprintf(buf, MAX_NAME, "%s%s", prefix, name);
    if (n < 0 || n >= MAX_NAME)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "name too long: %s%s", prefix, name);
    return 0;
}

static void p_close(sl_log *log)
{
    plog *p = (plog *)log;
    sl_log_close(p->inner);
    free(p->tp);
    free(p->gp);
    free(p);
}

static int p_create_topic(sl_log *log, const char *name, const sl_topic_config *cfg,
                          bool *created, sl_error *err)
{
    plog *p = (plog *)log;
    char t[MAX_NAME];
    return join(t, p->tp, name, err) ? -1 : sl_log_create_topic(p->inner, t, cfg, created, err);
}

static int p_delete_topic(sl_log *log, const char *name, sl_error *err)
{
    plog *p = (plog *)log;
    char t[MAX_NAME];
    return join(t, p->tp, name, err) ? -1 : sl_log_delete_topic(p->inner, t, err);
}

static int p_list_topics(sl_log *log, sl_arena *a, const char ***names, int *n, sl_error *err)
{
    plog *p = (plog *)log;
    if (sl_log_list_topics(p->inner, a, names, n, err) < 0)
        return -1;
    int k = 0;
    for (int i = 0; i < *n; i++)
        if (!strncmp((*names)[i], p->tp, p->tpl) && (*names)[i][p->tpl])
            (*names)[k++] = (*names)[i] + p->tpl;   /* still sorted */
    *n = k;
    return 0;
}

static int p_describe_topic(sl_log *log, const char *name, sl_arena *a, sl_topic_info *out,
                            sl_error *err)
{
    plog *p = (plog *)log;
    char t[MAX_NAME];
    if (join(t, p->tp, name, err) || sl_log_describe_topic(p->inner, t, a, out, err))
        return -1;
    if (out->name && !strncmp(out->name, p->tp, p->tpl))
        out->name += p->tpl;
    return 0;
}

static sl_log_txn *p_txn_begin(sl_log *log)
{
    plog *p = (plog *)log;
    ptxn *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->base.log = log;
    t->inner = sl_log_txn_begin(p->inner);
    return &t->base;
}

static int p_txn_append(sl_log_txn *base, const char *topic, int32_t partition,
                        const sl_record *rec, int32_t *partition_out, int64_t *offset_out,
                        sl_error *err)
{
    ptxn *t = (ptxn *)base;
    plog *p = (plog *)base->log;
    char tn[MAX_NAME];
    return join(tn, p->tp, topic, err) ? -1
           : sl_log_txn_append(t->inner, tn, partition, rec, partition_out, offset_out, err);
}

static int p_txn_set_position(sl_log_txn *base, const char *group, const char *topic,
                              int32_t partition, int64_t next_offset, sl_error *err)
{
    ptxn *t = (ptxn *)base;
    plog *p = (plog *)base->log;
    char g[MAX_NAME], tn[MAX_NAME];
    if (join(g, p->gp, group, err) || join(tn, p->tp, topic, err))
        return -1;
    return sl_log_txn_set_position(t->inner, g, tn, partition, next_offset, err);
}

/* The inner log refused a record: told to the caller's handler with the
 * topic's own name and this transaction (so its appends are renamed). */
static int p_refused(void *ud, sl_log_txn *inner, const char *topic, const sl_record *rec,
                     const char *reason, sl_error *err)
{
    ptxn *t = ud;
    plog *p = (plog *)t->base.log;
    (void)inner;
    if (!strncmp(topic, p->tp, p->tpl))
        topic += p->tpl;
    return t->refused(t->refused_ud, &t->base, topic, rec, reason, err);
}

static void p_txn_on_refused(sl_log_txn *base, sl_log_refused_cb cb, void *ud)
{
    ptxn *t = (ptxn *)base;
    t->refused = cb;
    t->refused_ud = ud;
    sl_log_txn_on_refused(t->inner, cb ? p_refused : NULL, cb ? t : NULL);
}

static int p_txn_put_raw(sl_log_txn *base, const char *space, const void *key, size_t key_len,
                         const void *val, size_t val_len, sl_error *err)
{
    return sl_log_txn_put_raw(((ptxn *)base)->inner, space, key, key_len, val, val_len, err);
}

static int p_txn_delete_range_raw(sl_log_txn *base, const char *space, const void *lo,
                                  size_t lo_len, const void *hi, size_t hi_len, sl_error *err)
{
    return sl_log_txn_delete_range_raw(((ptxn *)base)->inner, space, lo, lo_len, hi, hi_len,
                                       err);
}

static int p_get_raw(sl_log *log, const char *space, const void *key, size_t key_len,
                     sl_arena *a, const void **val, size_t *val_len, sl_error *err)
{
    return sl_log_get_raw(((plog *)log)->inner, space, key, key_len, a, val, val_len, err);
}

static sl_log_iter *p_scan_raw(sl_log *log, const char *space, const void *lo, size_t lo_len,
                               const void *hi, size_t hi_len, sl_error *err)
{
    return sl_log_scan_raw(((plog *)log)->inner, space, lo, lo_len, hi, hi_len, err);
}

static int p_txn_commit(sl_log_txn *base, sl_error *err)
{
    ptxn *t = (ptxn *)base;
    int rc = sl_log_txn_commit(t->inner, err);
    free(t);
    return rc;
}

static void p_txn_abort(sl_log_txn *base)
{
    ptxn *t = (ptxn *)base;
    sl_log_txn_abort(t->inner);
    free(t);
}

static int p_read(sl_log *log, const char *topic, int32_t partition, int64_t from, int max,
                  unsigned flags, sl_arena *a, sl_record *out, int *n, sl_error *err)
{
    plog *p = (plog *)log;
    char t[MAX_NAME];
    *n = 0;
    return join(t, p->tp, topic, err) ? -1
           : sl_log_read_flags(p->inner, t, partition, from, max, flags, a, out, n, err);
}

static int p_offsets(sl_log *log, const char *topic, int32_t partition, int64_t *start,
                     int64_t *end, sl_error *err)
{
    plog *p = (plog *)log;
    char t[MAX_NAME];
    *start = *end = -1;
    if (join(t, p->tp, topic, err))
        return -1;
    return p->inner->ops->offsets(p->inner, t, partition, start, end, err);
}

static bool p_read_at_end(sl_log *log, const char *topic, int32_t partition, int64_t end)
{
    plog *p = (plog *)log;
    char t[MAX_NAME];
    sl_error err;
    return !join(t, p->tp, topic, &err) && sl_log_read_at_end(p->inner, t, partition, end);
}

static int64_t p_position(sl_log *log, const char *group, const char *topic, int32_t partition)
{
    plog *p = (plog *)log;
    char g[MAX_NAME], t[MAX_NAME];
    sl_error err;
    if (join(g, p->gp, group, &err) || join(t, p->tp, topic, &err))
        return -1;
    return sl_log_position(p->inner, g, t, partition);
}

/* Groups on the topics this wrapper shows, topics renamed back; group
 * names stay as the cluster has them (what its tools show). */
static int p_list_groups(sl_log *log, sl_arena *a, sl_log_group **out, int *n, sl_error *err)
{
    plog *p = (plog *)log;
    if (sl_log_list_groups(p->inner, a, out, n, err) < 0)
        return -1;
    int k = 0;
    for (int i = 0; i < *n; i++) {
        sl_log_group g = (*out)[i];
        if (strncmp(g.topic, p->tp, p->tpl) || !g.topic[p->tpl])
            continue;
        g.topic += p->tpl;
        (*out)[k++] = g;    /* still sorted */
    }
    *n = k;
    return 0;
}

/* Group names are the cluster's (as list_groups gives them). */
static int p_delete_group(sl_log *log, const char *group, sl_error *err)
{
    return sl_log_delete_group(((plog *)log)->inner, group, err);
}

static uint64_t p_commit_seq(sl_log *log)
{
    return sl_log_commit_seq(((plog *)log)->inner);
}

static int p_wait_since(sl_log *log, uint64_t seq, int timeout_ms)
{
    return sl_log_wait_since(((plog *)log)->inner, seq, timeout_ms);
}

static int64_t p_enforce_retention(sl_log *log, int64_t now_ms, sl_error *err)
{
    return sl_log_enforce_retention(((plog *)log)->inner, now_ms, err);
}

/* Membership: the group and topic renamed as positions are; stores and
 * query ids are the inner log's business. */
static int p_member_join(sl_log *log, const char *group, const char *topic,
                         sl_log_rebalance_cb cb, void *ud, sl_error *err)
{
    plog *p = (plog *)log;
    char g[MAX_NAME], t[MAX_NAME];
    if (join(g, p->gp, group, err) || join(t, p->tp, topic, err))
        return -1;
    return sl_log_member_join(p->inner, g, t, cb, ud, err);
}

static void p_member_leave(sl_log *log, const char *group)
{
    plog *p = (plog *)log;
    char g[MAX_NAME];
    sl_error err;
    if (!join(g, p->gp, group, &err))
        sl_log_member_leave(p->inner, g);
}

static int p_restore_partition(sl_log *log, const char *store, int32_t partition, sl_error *err)
{
    return sl_log_restore_partition(((plog *)log)->inner, store, partition, err);
}

/* The repartition topic's name as the runtime uses it through this log
 * (so on the cluster it gets the topic prefix). */
static int p_repartition_topic(sl_log *log, const char *query_id, char *out, size_t cap)
{
    return sl_log_repartition_topic(((plog *)log)->inner, query_id, out, cap);
}

static int p_delete_records(sl_log *log, const char *topic, int32_t partition, int64_t before,
                            sl_error *err)
{
    plog *p = (plog *)log;
    char t[MAX_NAME];
    return join(t, p->tp, topic, err) ? -1
                                      : sl_log_delete_records(p->inner, t, partition, before, err);
}

static int p_drop_query(sl_log *log, const char *query_id, sl_error *err)
{
    plog *p = (plog *)log;
    if (sl_log_drop_query(p->inner, query_id, err))
        return -1;
    /* the inner log dropped the repartition topic by its own name; ours
     * has the topic prefix in front */
    char name[MAX_NAME];
    if (!p->tp[0] || sl_log_repartition_topic(p->inner, query_id, name, sizeof name) != 1)
        return 0;
    sl_arena *a = sl_arena_new(0);
    sl_topic_info info;
    sl_error e2;
    bool exists = sl_log_describe_topic(log, name, a, &info, &e2) == 0;
    sl_arena_free(a);
    return exists ? sl_log_delete_topic(log, name, err) : 0;
}

static bool p_commits_costly(sl_log *log)
{
    return sl_log_commits_costly(((plog *)log)->inner);
}

static bool p_atomic_commits(sl_log *log)
{
    return sl_log_atomic_commits(((plog *)log)->inner);
}

static bool valid_prefix(const char *s)
{
    for (; s && *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return false;
    return true;
}

sl_log *sl_log_open_prefixed(sl_log *inner, const char *topic_prefix, const char *group_prefix,
                             sl_error *err)
{
    if (!inner)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "no log to wrap"), NULL;
    if (!valid_prefix(topic_prefix) || !valid_prefix(group_prefix)) {
        sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                     "a name prefix wants the characters [A-Za-z0-9._-]");
        sl_log_close(inner);
        return NULL;
    }
    plog *p = calloc(1, sizeof *p);
    if (!p || !(p->tp = strdup(topic_prefix ? topic_prefix : "")) ||
        !(p->gp = strdup(group_prefix ? group_prefix : ""))) {
        if (p)
            free(p->tp);
        free(p);
        sl_log_close(inner);
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory"), NULL;
    }
    p->base.ops = &prefix_ops;
    p->inner = inner;
    p->tpl = strlen(p->tp);
    return &p->base;
}

sl_log *sl_log_prefixed_inner(sl_log *log)
{
    return log && log->ops == &prefix_ops ? ((plog *)log)->inner : log;
}

static const sl_log_ops prefix_ops = {
    .name = "prefixed",
    .close = p_close,
    .create_topic = p_create_topic,
    .delete_topic = p_delete_topic,
    .list_topics = p_list_topics,
    .describe_topic = p_describe_topic,
    .txn_begin = p_txn_begin,
    .txn_append = p_txn_append,
    .txn_set_position = p_txn_set_position,
    .txn_on_refused = p_txn_on_refused,
    .txn_put_raw = p_txn_put_raw,
    .txn_delete_range_raw = p_txn_delete_range_raw,
    .get_raw = p_get_raw,
    .scan_raw = p_scan_raw,
    .txn_commit = p_txn_commit,
    .txn_abort = p_txn_abort,
    .read = p_read,
    .offsets = p_offsets,
    .read_at_end = p_read_at_end,
    .position = p_position,
    .list_groups = p_list_groups,
    .delete_group = p_delete_group,
    .commit_seq = p_commit_seq,
    .wait_since = p_wait_since,
    .enforce_retention = p_enforce_retention,
    .member_join = p_member_join,
    .member_leave = p_member_leave,
    .restore_partition = p_restore_partition,
    .drop_query = p_drop_query,
    .repartition_topic = p_repartition_topic,
    .commits_costly = p_commits_costly,
    .atomic_commits = p_atomic_commits,
    .delete_records = p_delete_records,
};
