/*
 * test_prefix.c: a log seen through name prefixes (log/prefix.h), over the
 * embedded log: what the wrapper's users see under plain names is stored
 * under prefixed ones, and other names stay invisible to them.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "log/prefix.h"

static char dir[64];
static sl_arena *arena;
static sl_error err;
static sl_log *inner, *log;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void setup(void)
{
    strcpy(dir, "/tmp/sluice-prefix-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    arena = sl_arena_new(0);
    sl_error_clear(&err);
    inner = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(inner, "%s", err.msg);
    log = sl_log_open_prefixed(inner, "run1-", "_svc-", &err);
    cr_assert_not_null(log, "%s", err.msg);
}

static void teardown(void)
{
    sl_log_close(log);      /* closes inner */
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    sl_arena_free(arena);
}

TestSuite(prefix, .init = setup, .fini = teardown);

static void create(sl_log *l, const char *name, int32_t parts)
{
    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = parts;
    cr_assert_eq(sl_log_create_topic(l, name, &cfg, NULL, &err), 0, "%s", err.msg);
}

static void append(sl_log *l, const char *topic, const char *value)
{
    sl_record r = {0};
    r.key = "k";
    r.key_len = 1;
    r.value = value;
    r.value_len = (int32_t)strlen(value);
    r.timestamp = 5;
    sl_log_txn *t = sl_log_txn_begin(l);
    cr_assert_eq(sl_log_txn_append(t, topic, 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_set_position(t, "Q1", topic, 0, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
}

Test(prefix, topics_are_stored_under_the_prefix)
{
    create(log, "orders", 2);
    create(inner, "elsewhere", 1);      /* another run's or nobody's */
    const char **names;
    int n;
    cr_assert_eq(sl_log_list_topics(inner, arena, &names, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(names[0], "elsewhere");
    cr_expect_str_eq(names[1], "run1-orders");
    cr_assert_eq(sl_log_list_topics(log, arena, &names, &n, &err), 0);
    cr_assert_eq(n, 1, "the wrapper sees only its own topics");
    cr_expect_str_eq(names[0], "orders");
    sl_topic_info ti;
    cr_assert_eq(sl_log_describe_topic(log, "orders", arena, &ti, &err), 0, "%s", err.msg);
    cr_expect_str_eq(ti.name, "orders");
    cr_expect_eq(ti.config.partitions, 2);
    cr_expect_neq(sl_log_describe_topic(log, "elsewhere", arena, &ti, &err), 0);
}

Test(prefix, records_and_positions_round_trip)
{
    create(log, "t", 1);
    append(log, "t", "hello");
    sl_record out[4];
    int n = 0;
    cr_assert_eq(sl_log_read(log, "t", 0, 0, 4, arena, out, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_expect_eq(out[0].value_len, 5);
    cr_expect_eq(memcmp(out[0].value, "hello", 5), 0);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 1);
    cr_expect_eq(sl_log_end_offset(inner, "run1-t", 0, &err), 1, "stored under the prefixed name");
    /* the position of group Q1 is kept for group _svc-Q1 on the prefixed topic */
    cr_expect_eq(sl_log_position(log, "Q1", "t", 0), 1);
    cr_expect_eq(sl_log_position(inner, "_svc-Q1", "run1-t", 0), 1);
    cr_expect_eq(sl_log_position(inner, "Q1", "run1-t", 0), -1);
}

Test(prefix, abort_and_delete)
{
    create(log, "t", 1);
    sl_record r = {0};
    r.key_len = r.value_len = -1;
    sl_log_txn *t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_append(t, "t", 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    sl_log_txn_abort(t);
    cr_expect_eq(sl_log_end_offset(log, "t", 0, &err), 0, "an aborted append is not there");
    cr_assert_eq(sl_log_delete_topic(log, "t", &err), 0, "%s", err.msg);
    sl_topic_info ti;
    cr_expect_neq(sl_log_describe_topic(inner, "run1-t", arena, &ti, &err), 0);
}

Test(prefix, raw_keyspaces_pass_through)
{
    sl_log_txn *t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_put_raw(t, "state", "k", 1, "v", 1, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    const void *v;
    size_t vl;
    cr_expect_eq(sl_log_get_raw(inner, "state", "k", 1, arena, &v, &vl, &err), 1);
    cr_expect_eq(sl_log_get_raw(log, "state", "k", 1, arena, &v, &vl, &err), 1);
    cr_expect_eq(sl_log_prefixed_inner(log), inner);
    cr_expect_eq(sl_log_prefixed_inner(inner), inner);
}

/* An inner log that names repartition topics as Kafka does (the embedded
 * log names none): its own operations with repartition_topic added. */
static int kafka_like_repartition(sl_log *l, const char *query_id, char *out, size_t cap)
{
    (void)l;
    snprintf(out, cap, "_sluice-svc-%s-repartition", query_id);
    return 1;
}

Test(prefix, drop_query_deletes_the_prefixed_repartition_topic)
{
    static sl_log_ops ops;
    ops = *inner->ops;
    ops.repartition_topic = kafka_like_repartition;
    inner->ops = &ops;
    char name[300];
    cr_assert_eq(sl_log_repartition_topic(log, "Q1", name, sizeof name), 1);
    cr_assert_str_eq(name, "_sluice-svc-Q1-repartition", "the runtime uses the inner's name");
    create(log, name, 2);
    create(log, "other", 1);
    sl_topic_info ti;
    cr_assert_eq(sl_log_describe_topic(inner, "run1-_sluice-svc-Q1-repartition", arena, &ti,
                                       &err), 0, "stored under the topic prefix: %s", err.msg);
    cr_assert_eq(sl_log_drop_query(log, "Q1", &err), 0, "%s", err.msg);
    cr_expect_neq(sl_log_describe_topic(inner, "run1-_sluice-svc-Q1-repartition", arena, &ti,
                                        &err), 0, "TERMINATE's drop deleted it");
    cr_expect_eq(sl_log_describe_topic(log, "other", arena, &ti, &err), 0, "%s", err.msg);
    /* a query without one (or dropped twice) is no error */
    cr_expect_eq(sl_log_drop_query(log, "Q1", &err), 0, "%s", err.msg);
}

/* A writer batches commits by interval only where they are costly: never
 * on the embedded log, through the wrapper as without it. */
Test(prefix, commits_costly_is_the_wrapped_logs)
{
    cr_expect_not(sl_log_commits_costly(inner));
    cr_expect_not(sl_log_commits_costly(log));
}

Test(prefix, bad_prefix, .init = NULL, .fini = NULL)
{
    strcpy(dir, "/tmp/sluice-prefix-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    sl_log *in = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(in, "%s", err.msg);
    cr_expect_null(sl_log_open_prefixed(in, "no spaces", NULL, &err));    /* closes in */
    cr_expect(strstr(err.msg, "prefix"), "%s", err.msg);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
