/*
 * test_kafka_state.c: the Kafka log's state keyspaces (log/kafka_state.c)
 * as the state stores use them, first against librdkafka's in-process mock
 * cluster (which takes no Admin requests: changelog topics are made there
 * beforehand): puts and deletes visible only once committed, point reads
 * and ordered scans, range deletes, aborts that leave nothing behind, the
 * changelog records a commit writes, restore into an empty state
 * directory, catch-up of a local state that missed commits, a commit that
 * fails on its changelog, a state directory in use, a refused service id.
 * At the end, suite kafka_broker: the same against a real Apache Kafka
 * broker, where changelog topics are created (compacted) and grown, and an
 * aggregation run by the engine that goes on counting from its restored
 * state after its local state directory was deleted (skipped without
 * SLUICE_TEST_KAFKA_BOOTSTRAP; tests/kafka/run.sh sets it).
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/engine.h"
#include "engine/exec.h"
#include "log/kafka.h"
#include "log/log.h"

static rd_kafka_t *mrk;     /* the handle owning the mock cluster */
static rd_kafka_mock_cluster_t *mc;
static const char *bootstraps;
static sl_arena *arena;
static sl_error err;
static char root[64];       /* a temporary directory for state directories */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void make_root(void)
{
    snprintf(root, sizeof root, "/tmp/sluice-kstate-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    arena = sl_arena_new(0);
    sl_error_clear(&err);
}

static void remove_root(void)
{
    sl_arena_free(arena);
    if (root[0])
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
    char es[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    cr_assert_eq(rd_kafka_conf_set(c, "test.mock.num.brokers", "1", es, sizeof es),
                 RD_KAFKA_CONF_OK, "%s", es);
    cr_assert_eq(rd_kafka_conf_set(c, "log_level", "4", es, sizeof es), RD_KAFKA_CONF_OK);
    mrk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
    cr_assert_not_null(mrk, "%s", es);
    mc = rd_kafka_handle_mock_cluster(mrk);
    cr_assert_not_null(mc);
    bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    make_root();
}

static void teardown(void)
{
    remove_root();
    rd_kafka_destroy(mrk);      /* takes the mock cluster with it */
}

TestSuite(kafka_state, .init = setup, .fini = teardown, .timeout = 60);

/* ROOT/name */
static const char *sdir(const char *name)
{
    static char bufs[4][128];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%s/%s", root, name);
    return b;
}

static sl_log *open_state_log(const char *bootstrap, const char *service, const char *dir)
{
    sl_log_kafka_opts o = {.bootstrap_servers = bootstrap, .client_id = "sluice-test",
                           .timeout_ms = 30000, .service_id = service, .state_dir = dir};
    sl_log *log = sl_log_open_kafka(&o, &err);
    cr_assert_not_null(log, "open: %s", err.msg);
    return log;
}

/* A "state" key as the stores write it: NAME 0 be32-PARTITION USER. */
typedef struct skey {
    char b[400];
    size_t n;
} skey;

static skey state_key(const char *name, int32_t p, const char *user)
{
    skey k;
    size_t nl = strlen(name), ul = strlen(user);
    cr_assert_leq(nl + 5 + ul, sizeof k.b);
    memcpy(k.b, name, nl + 1);
    k.b[nl + 1] = (char)(p >> 24);
    k.b[nl + 2] = (char)(p >> 16);
    k.b[nl + 3] = (char)(p >> 8);
    k.b[nl + 4] = (char)p;
    memcpy(k.b + nl + 5, user, ul);
    k.n = nl + 5 + ul;
    return k;
}

static void put(sl_log_txn *t, const char *space, skey k, const char *v)
{
    cr_assert_eq(sl_log_txn_put_raw(t, space, k.b, k.n, v, v ? strlen(v) : 0, &err), 0,
                 "put: %s", err.msg);
}

/* The committed value as a string, NULL when absent. */
static const char *get(sl_log *log, const char *space, skey k)
{
    const void *v;
    size_t vl;
    int rc = sl_log_get_raw(log, space, k.b, k.n, arena, &v, &vl, &err);
    cr_assert_geq(rc, 0, "get: %s", err.msg);
    return rc ? sl_arena_strndup(arena, v, vl) : NULL;
}

/* Every key of a scan, each "user=value", joined by spaces (the user key
 * is what follows a prefix of plen bytes). */
static const char *scan(sl_log *log, const char *space, skey lo, const skey *hi, size_t plen)
{
    sl_log_iter *it = sl_log_scan_raw(log, space, lo.b, lo.n, hi ? hi->b : NULL,
                                      hi ? hi->n : 0, &err);
    cr_assert_not_null(it, "scan: %s", err.msg);
    char out[512] = "";
    const void *k, *v;
    size_t kl, vl;
    int rc;
    while ((rc = sl_log_iter_next(it, &k, &kl, &v, &vl, &err)) == 1) {
        cr_assert_geq(kl, plen);
        size_t n = strlen(out);
        snprintf(out + n, sizeof out - n, "%s%.*s=%.*s", n ? " " : "", (int)(kl - plen),
                 (const char *)k + plen, (int)vl, (const char *)v);
    }
    cr_assert_eq(rc, 0, "scan: %s", err.msg);
    sl_log_iter_free(it);
    return sl_arena_strdup(arena, out);
}

static void commit(sl_log_txn *t)
{
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
}

/* The records of a changelog partition, "KEYTAIL=VALUE" (or "KEYTAIL=-" for
 * a tombstone; KEYTAIL: the last ktail bytes of the key), joined by spaces. */
static const char *changelog(sl_log *log, const char *topic, int32_t p, size_t ktail)
{
    int64_t end = sl_log_end_offset(log, topic, p, &err);
    cr_assert_geq(end, 0, "end of %s: %s", topic, err.msg);
    char out[1024] = "";
    int64_t from = 0;
    while (from < end) {
        sl_record recs[64];
        int n = 0;
        cr_assert_eq(sl_log_read(log, topic, p, from, 64, arena, recs, &n, &err), 0, "%s",
                     err.msg);
        cr_assert_gt(n, 0, "%s partition %d: nothing below the end %lld", topic, p,
                     (long long)end);
        for (int i = 0; i < n; i++) {
            size_t l = strlen(out);
            size_t kl = (size_t)recs[i].key_len, t = kl < ktail ? kl : ktail;
            snprintf(out + l, sizeof out - l, "%s%.*s=%.*s", l ? " " : "", (int)t,
                     (const char *)recs[i].key + kl - t,
                     recs[i].value_len < 0 ? 1 : (int)recs[i].value_len,
                     recs[i].value_len < 0 ? "-" : (const char *)recs[i].value);
        }
        from = recs[n - 1].offset + 1;
    }
    return sl_arena_strdup(arena, out);
}

static void mock_topic(const char *name, int partitions)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mc, name, partitions, 1), 0);
}

Test(kafka_state, committed_writes_read_scanned_and_changelogged)
{
    mock_topic("_sluice-svc-Q1-changelog", 2);
    sl_log *log = open_state_log(bootstraps, "svc", sdir("a"));
    skey pre = state_key("Q1/agg", 1, "");
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 1, "b"), "2");
    put(t, "state", state_key("Q1/agg", 1, "a"), "1");
    put(t, "state", state_key("Q1/agg", 1, "e"), "");
    put(t, "state_meta", state_key("Q1", 1, ""), "T");
    cr_assert_null(get(log, "state", state_key("Q1/agg", 1, "a")), "not committed yet");
    commit(t);

    cr_assert_str_eq(get(log, "state", state_key("Q1/agg", 1, "a")), "1");
    cr_assert_str_eq(get(log, "state", state_key("Q1/agg", 1, "e")), "", "empty, not absent");
    cr_assert_str_eq(get(log, "state_meta", state_key("Q1", 1, "")), "T");
    cr_assert_null(get(log, "state", state_key("Q1/agg", 0, "a")), "another partition");
    cr_assert_null(get(log, "nowhere", state_key("Q1/agg", 1, "a")), "a keyspace never written");
    cr_assert_str_eq(scan(log, "state", pre, NULL, pre.n), "a=1 b=2 e=");
    skey hi = state_key("Q1/agg", 1, "b");
    cr_assert_str_eq(scan(log, "state", pre, &hi, pre.n), "a=1", "[lo, hi)");
    cr_assert_str_eq(scan(log, "state", hi, &pre, 0), "", "an empty range");

    /* the changelog: the input partition, "state" 0 KEY -> value */
    cr_assert_str_eq(changelog(log, "_sluice-svc-Q1-changelog", 1, 1), "b=2 a=1 e= \1=T");
    cr_assert_str_eq(changelog(log, "_sluice-svc-Q1-changelog", 0, 1), "");
    sl_log_close(log);

    /* the first bytes: keyspace name and a 0 byte (the meta record's key
     * ends with its partition: 0 0 0 1) */
    log = open_state_log(bootstraps, "svc", sdir("a"));
    sl_record r[4];
    int n = 0;
    cr_assert_eq(sl_log_read(log, "_sluice-svc-Q1-changelog", 1, 0, 4, arena, r, &n, &err), 0);
    cr_assert_eq(n, 4);
    cr_assert_eq(r[3].key_len, (int32_t)(sizeof "state_meta" + 2 + 5));
    cr_assert_eq(memcmp(r[3].key, "state_meta\0Q1\0\0\0\0\1", (size_t)r[3].key_len), 0);
    cr_assert_eq(memcmp(r[0].key, "state\0Q1/agg\0\0\0\0\1b", (size_t)r[0].key_len), 0);
    sl_log_close(log);
}

Test(kafka_state, aborts_and_range_deletes)
{
    mock_topic("_sluice-svc-Q1-changelog", 1);
    sl_log *log = open_state_log(bootstraps, "svc", sdir("a"));
    skey pre = state_key("Q1/agg", 0, "");
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "a"), "1");
    put(t, "state", state_key("Q1/agg", 0, "b"), "2");
    put(t, "state", state_key("Q1/agg", 0, "c"), "3");
    commit(t);
    int64_t end = sl_log_end_offset(log, "_sluice-svc-Q1-changelog", 0, &err);
    cr_assert_eq(end, 3);

    /* an abort leaves neither local state nor changelog records */
    t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "x"), "9");
    put(t, "state", state_key("Q1/agg", 0, "a"), NULL);
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "state", pre.b, pre.n, NULL, 0, &err), 0);
    sl_log_txn_abort(t);
    cr_assert_str_eq(scan(log, "state", pre, NULL, pre.n), "a=1 b=2 c=3");
    cr_assert_eq(sl_log_end_offset(log, "_sluice-svc-Q1-changelog", 0, &err), end);

    /* a bounded range delete */
    t = sl_log_txn_begin(log);
    skey lo = state_key("Q1/agg", 0, "b"), hi = state_key("Q1/agg", 0, "c");
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "state", lo.b, lo.n, hi.b, hi.n, &err), 0);
    commit(t);
    cr_assert_str_eq(scan(log, "state", pre, NULL, pre.n), "a=1 c=3");

    /* a prefix delete takes what this transaction put before it too */
    t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "d"), "4");
    skey q = {"Q1/", 3};
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "state", q.b, q.n, NULL, 0, &err), 0);
    put(t, "state", state_key("Q1/agg", 0, "e"), "5");    /* after it: stays */
    commit(t);
    cr_assert_str_eq(scan(log, "state", pre, NULL, pre.n), "e=5");
    /* one tombstone per key for compaction */
    cr_assert_str_eq(changelog(log, "_sluice-svc-Q1-changelog", 0, 1),
                     "a=1 b=2 c=3 b=- d=4 d=- a=- c=- e=5");
    sl_log_close(log);
}

Test(kafka_state, restore_into_an_empty_state_directory)
{
    mock_topic("_sluice-svc-Q1-changelog", 2);
    mock_topic("_sluice-svc-Q2-changelog", 1);
    mock_topic("_sluice-svc-mat-changelog", 4);
    mock_topic("_sluice-svc-x-mat-changelog", 4);   /* service "svc-x"'s, named like ours */
    sl_log *log = open_state_log(bootstraps, "svc", sdir("a"));
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "a"), "1");
    put(t, "state", state_key("Q1/agg", 1, "b"), "2");
    put(t, "state", state_key("Q1/agg", 1, "gone"), "0");
    put(t, "state", state_key("Q2/agg", 0, "c"), "3");
    put(t, "state_meta", state_key("Q1", 1, ""), "T1");
    put(t, "mat", state_key("table", 0, "k"), "row");
    commit(t);
    t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 1, "gone"), NULL);
    put(t, "state", state_key("Q1/agg", 0, "a"), "11");
    commit(t);
    sl_log_close(log);

    /* records of service "svc-x" in a topic that looks like one of ours */
    sl_log *other = open_state_log(bootstraps, "svc-x", sdir("other"));
    t = sl_log_txn_begin(other);
    put(t, "mat", state_key("table", 0, "k"), "not ours");
    commit(t);
    sl_log_close(other);

    /* a new machine: everything back before the first read */
    log = open_state_log(bootstraps, "svc", sdir("b"));
    skey p0 = state_key("Q1/agg", 0, ""), p1 = state_key("Q1/agg", 1, "");
    cr_assert_str_eq(scan(log, "state", p0, NULL, p0.n), "a=11");
    cr_assert_str_eq(scan(log, "state", p1, NULL, p1.n), "b=2");
    cr_assert_str_eq(get(log, "state", state_key("Q2/agg", 0, "c")), "3");
    cr_assert_str_eq(get(log, "state_meta", state_key("Q1", 1, "")), "T1");
    cr_assert_str_eq(get(log, "mat", state_key("table", 0, "k")), "row");
    /* and it goes on from there */
    t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "a"), "12");
    commit(t);
    sl_log_close(log);
    log = open_state_log(bootstraps, "svc", sdir("c"));
    cr_assert_str_eq(get(log, "state", state_key("Q1/agg", 0, "a")), "12");
    sl_log_close(log);
}

Test(kafka_state, a_local_state_that_missed_commits_catches_up)
{
    mock_topic("_sluice-svc-Q1-changelog", 1);
    sl_log *log = open_state_log(bootstraps, "svc", sdir("a"));
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "k"), "v1");
    commit(t);
    sl_log_close(log);
    /* a copy of the local state as it was then: like a machine that
     * crashed after later commits reached Kafka, before they were written
     * locally */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", sdir("a"), sdir("old"));
    cr_assert_eq(system(cmd), 0);
    log = open_state_log(bootstraps, "svc", sdir("a"));
    t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "k"), "v2");
    put(t, "state", state_key("Q1/agg", 0, "k2"), "w");
    commit(t);
    sl_log_close(log);

    log = open_state_log(bootstraps, "svc", sdir("old"));
    cr_assert_str_eq(get(log, "state", state_key("Q1/agg", 0, "k")), "v2");
    cr_assert_str_eq(get(log, "state", state_key("Q1/agg", 0, "k2")), "w");
    sl_log_close(log);
}

typedef struct writer_arg {
    sl_log *log;
    int id;
    int fails;
} writer_arg;

/* Commits rounds of puts of this writer's own "mat" keys. */
static void *mat_writer(void *p)
{
    writer_arg *w = p;
    for (int r = 0; r < 20; r++) {
        sl_log_txn *t = sl_log_txn_begin(w->log);
        sl_error e;
        for (int i = 0; i < 5; i++) {
            char k[32], v[32];
            snprintf(k, sizeof k, "w%d-k%d", w->id, i);
            snprintf(v, sizeof v, "%d", r);
            skey key = state_key("table", 0, k);
            w->fails += sl_log_txn_put_raw(t, "mat", key.b, key.n, v, strlen(v), &e) != 0;
        }
        w->fails += sl_log_txn_commit(t, &e) != 0;
    }
    return NULL;
}

Test(kafka_state, concurrent_writers_of_one_changelog_partition)
{
    mock_topic("_sluice-svc-mat-changelog", 1);
    sl_log *log = open_state_log(bootstraps, "svc", sdir("a"));
    writer_arg w[3] = {{log, 0, 0}, {log, 1, 0}, {log, 2, 0}};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, mat_writer, &w[i]), 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(w[i].fails, 0, "writer %d", i);
    }
    skey pre = state_key("table", 0, "");
    const char *want = scan(log, "mat", pre, NULL, pre.n);
    cr_assert(strstr(want, "w2-k4=19"), "%s", want);
    sl_log_close(log);
    /* the checkpoints kept let a catch-up miss nothing, and a restore
     * gives the same state */
    log = open_state_log(bootstraps, "svc", sdir("a"));
    cr_assert_str_eq(scan(log, "mat", pre, NULL, pre.n), want);
    sl_log_close(log);
    log = open_state_log(bootstraps, "svc", sdir("b"));
    cr_assert_str_eq(scan(log, "mat", pre, NULL, pre.n), want);
    sl_log_close(log);
}

Test(kafka_state, a_commit_whose_changelog_cannot_be_made_fails_and_applies_nothing)
{
    /* the mock takes no CreateTopics: the changelog of Q9 cannot be made */
    sl_log *log = open_state_log(bootstraps, "svc", sdir("a"));
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q9/agg", 0, "k"), "v");
    cr_assert_eq(sl_log_txn_commit(t, &err), -1);
    cr_assert(strstr(err.msg, "_sluice-svc-Q9-changelog"), "%s", err.msg);
    cr_assert_null(get(log, "state", state_key("Q9/agg", 0, "k")));
    sl_log_close(log);
}

Test(kafka_state, changelog_names_kafka_accepts)
{
    /* characters topic names refuse become '_' */
    mock_topic("_sluice-svc-Q_1-changelog", 1);
    sl_log *log = open_state_log(bootstraps, "svc", sdir("a"));
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q:1/agg", 0, "k"), "v");
    commit(t);
    cr_assert_str_eq(changelog(log, "_sluice-svc-Q_1-changelog", 0, 1), "k=v");

    /* a name too long is cut and ends with a hash of it (the mock makes no
     * topic: the failed commit names it) */
    char name[320];
    memset(name, 'A', 300);
    strcpy(name + 300, "/agg");
    t = sl_log_txn_begin(log);
    put(t, "state", state_key(name, 0, "k"), "v");
    cr_assert_eq(sl_log_txn_commit(t, &err), -1);
    const char *tn = strstr(err.msg, "_sluice-svc-AAAA");
    cr_assert_not_null(tn, "%s", err.msg);
    size_t len = strcspn(tn, ": ");
    cr_assert_eq(len, 249, "%s", err.msg);
    cr_assert_eq(strncmp(tn + len - 27, "-", 1), 0, "a hash before the suffix: %s", err.msg);
    cr_assert_eq(strncmp(tn + len - 10, "-changelog", 10), 0, "%s", err.msg);
    sl_log_close(log);
}

Test(kafka_state, malformed_state_keys_are_refused)
{
    sl_log *log = open_state_log(bootstraps, "svc", sdir("a"));
    sl_log_txn *t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_put_raw(t, "state", "no-partition", 12, "v", 1, &err), -1);
    cr_assert(strstr(err.msg, "partition"), "%s", err.msg);
    cr_assert_eq(sl_log_txn_put_raw(t, "records", "k", 1, "v", 1, &err), -1);
    sl_log_txn_abort(t);
    sl_log_close(log);
}

Test(kafka_state, a_state_directory_in_use_and_a_bad_service_id)
{
    sl_log *a = open_state_log(bootstraps, "svc", sdir("a"));
    sl_log *b = open_state_log(bootstraps, "svc", sdir("a"));
    cr_assert_null(get(a, "state", state_key("Q1/agg", 0, "k")));
    const void *v;
    size_t vl;
    cr_assert_eq(sl_log_get_raw(b, "state", "k", 1, arena, &v, &vl, &err), -1);
    cr_assert(strstr(err.msg, sdir("a")) && strstr(err.msg, "another sluice"), "%s", err.msg);
    sl_log_close(b);
    sl_log_close(a);

    sl_log_kafka_opts o = {.bootstrap_servers = bootstraps, .service_id = "no spaces"};
    cr_assert_null(sl_log_open_kafka(&o, &err));
    cr_assert(strstr(err.msg, "service id 'no spaces'"), "%s", err.msg);
}

Test(kafka_state, the_default_state_directory_is_under_the_data_directory)
{
    mock_topic("_sluice-svc-Q1-changelog", 1);
    sl_log_kafka_opts o = {.bootstrap_servers = bootstraps, .service_id = "svc",
                           .data_dir = sdir("data")};
    sl_log *log = sl_log_open_kafka(&o, &err);
    cr_assert_not_null(log, "%s", err.msg);
    cr_assert_eq(access(sdir("data"), F_OK), -1, "nothing made before the first use");
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "k"), "v");
    commit(t);
    cr_assert_eq(access(sdir("data/kafka-state/svc/CURRENT"), F_OK), 0);
    sl_log_close(log);
}

/* ------------------------------------------------------------------ */
/* suite kafka_broker: a real Apache Kafka broker (tests/kafka/run.sh
 * sets SLUICE_TEST_KAFKA_BOOTSTRAP); skipped without it. The service id
 * carries this process's id and the time, so runs against a long-lived
 * broker do not meet each other's changelogs. */

static const char *real_bootstrap;
static char service[48];

static void broker_setup(void)
{
    real_bootstrap = getenv("SLUICE_TEST_KAFKA_BOOTSTRAP");
    if (real_bootstrap && !*real_bootstrap)
        real_bootstrap = NULL;
    snprintf(service, sizeof service, "st-%ld-%lld", (long)getpid(), (long long)time(NULL));
    if (real_bootstrap) {
        make_root();
    } else {                    /* every test skips (its fini does not run) */
        root[0] = 0;
        arena = NULL;
    }
}

TestSuite(kafka_broker, .init = broker_setup, .fini = remove_root, .timeout = 180);

static sl_log *broker_log(const char *dir)
{
    if (!real_bootstrap)
        cr_skip_test("SLUICE_TEST_KAFKA_BOOTSTRAP is not set (tests/kafka/run.sh sets it)");
    return open_state_log(real_bootstrap, service, dir);
}

/* _sluice-SERVICE-part-changelog */
static const char *cl_topic(const char *part)
{
    static char t[2][160];
    static int next;
    char *b = t[next++ % 2];
    snprintf(b, sizeof t[0], "_sluice-%s-%s-changelog", service, part);
    return b;
}

Test(kafka_broker, changelogs_created_grown_and_restored)
{
    sl_log *log = broker_log(sdir("a"));
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "a"), "1");
    put(t, "state_meta", state_key("Q1", 0, ""), "T0");
    put(t, "mat", state_key("table", 0, "k"), "row");
    commit(t);
    /* partition 2 of the input: the changelog grows to 3 partitions */
    t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 2, "b"), "2");
    commit(t);

    sl_topic_info ti;
    cr_assert_eq(sl_log_describe_topic(log, cl_topic("Q1"), arena, &ti, &err), 0, "%s", err.msg);
    cr_assert_eq(ti.config.partitions, 3);
    cr_assert_eq(ti.config.cleanup, SL_CLEANUP_COMPACT);
    cr_assert_eq(ti.config.retention_ms, -1);
    cr_assert_str_eq(changelog(log, cl_topic("Q1"), 0, 1), "a=1 =T0");
    cr_assert_str_eq(changelog(log, cl_topic("Q1"), 1, 1), "");
    cr_assert_str_eq(changelog(log, cl_topic("Q1"), 2, 1), "b=2");
    cr_assert_eq(sl_log_describe_topic(log, cl_topic("mat"), arena, &ti, &err), 0, "%s", err.msg);
    cr_assert_eq(ti.config.partitions, 4);
    cr_assert_eq(ti.config.cleanup, SL_CLEANUP_COMPACT);

    /* an aborted transaction and a range delete */
    t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "x"), "9");
    sl_log_txn_abort(t);
    t = sl_log_txn_begin(log);
    put(t, "state", state_key("Q1/agg", 0, "c"), "3");
    skey lo = state_key("Q1/agg", 0, "a"), hi = state_key("Q1/agg", 0, "b");
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "state", lo.b, lo.n, hi.b, hi.n, &err), 0);
    commit(t);
    skey p0 = state_key("Q1/agg", 0, "");
    cr_assert_str_eq(scan(log, "state", p0, NULL, p0.n), "c=3");
    sl_log_close(log);

    /* the local state deleted: restored from the changelogs */
    nftw(sdir("a"), rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    log = broker_log(sdir("a"));
    cr_assert_str_eq(scan(log, "state", p0, NULL, p0.n), "c=3");
    cr_assert_str_eq(get(log, "state", state_key("Q1/agg", 2, "b")), "2");
    cr_assert_str_eq(get(log, "state_meta", state_key("Q1", 0, "")), "T0");
    cr_assert_str_eq(get(log, "mat", state_key("table", 0, "k")), "row");
    cr_assert_null(get(log, "state", state_key("Q1/agg", 0, "x")), "aborted");
    cr_assert_eq(sl_log_delete_topic(log, cl_topic("Q1"), &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_delete_topic(log, cl_topic("mat"), &err), 0, "%s", err.msg);
    sl_log_close(log);
}

/* An engine on the broker with this run's service id, its state under
 * dir, and a session on it whose output and errors are captured. */
typedef struct kengine {
    sl_config *cfg;
    sl_engine *e;
    sl_session *s;
    FILE *o, *x;
    char *ob, *xb;
    size_t ol, xl;
} kengine;

static void kengine_open(kengine *k, const char *dir)
{
    if (!real_bootstrap)
        cr_skip_test("SLUICE_TEST_KAFKA_BOOTSTRAP is not set (tests/kafka/run.sh sets it)");
    memset(k, 0, sizeof *k);
    k->cfg = sl_config_new(stderr);
    cr_assert_eq(sl_config_set(k->cfg, SL_CFG_CLI, "ksql.service.id", service, "test", &err), 0,
                 "%s", err.msg);
    sl_engine_opts eo = {.data_dir = dir, .bootstrap_servers = real_bootstrap, .config = k->cfg,
                         .threads = 2};
    k->e = sl_engine_open(&eo, &err);
    cr_assert_not_null(k->e, "%s", err.msg);
    k->o = open_memstream(&k->ob, &k->ol);
    k->x = open_memstream(&k->xb, &k->xl);
    sl_session_opts so = {.output = SL_OUTPUT_JSON, .out = k->o, .err = k->x};
    k->s = sl_session_open(k->e, &so, &err);
    cr_assert_not_null(k->s, "%s", err.msg);
}

/* Runs sql; its output, from the start of this call. */
static const char *kengine_run(kengine *k, const char *sql)
{
    fflush(k->o);
    size_t from = k->ol;
    int rc = sl_session_execute(k->s, sql, strlen(sql), "t.sql");
    fflush(k->o);
    fflush(k->x);
    cr_assert_eq(rc, 0, "%s: %s", sql, k->xb);
    return sl_arena_strdup(arena, k->ob + from);
}

static void kengine_idle(kengine *k)
{
    cr_assert_eq(sl_engine_wait_idle(k->e, 60000, &err), 0, "%s", err.msg);
}

static void kengine_close(kengine *k)
{
    sl_session_free(k->s);
    sl_engine_close(k->e);
    sl_config_free(k->cfg);
    fclose(k->o);
    fclose(k->x);
    free(k->ob);
    free(k->xb);
}

/* The count of the one row of a pull query's JSON output: "rows":[["KEY",N]]. */
static long pulled_count(const char *out)
{
    const char *r = strstr(out, "\"rows\":[[\"");
    const char *n = r ? strstr(r, "\",") : NULL;
    cr_assert_not_null(n, "no row in: %s", out);
    return strtol(n + 2, NULL, 10);
}

Test(kafka_broker, an_aggregation_counts_on_from_its_restored_state)
{
    const char *data = sdir("data");
    kengine k;
    kengine_open(&k, data);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE STREAM clicks (user VARCHAR KEY, page VARCHAR) WITH (KAFKA_TOPIC='%s-clicks', "
             "VALUE_FORMAT='JSON', PARTITIONS=2);\n"
             "SET 'auto.offset.reset' = 'earliest';\n"
             "CREATE TABLE counts WITH (KAFKA_TOPIC='%s-counts') AS "
             "SELECT user, COUNT(*) AS n FROM clicks GROUP BY user;\n"
             "INSERT INTO clicks (user, page) VALUES ('ann', 'a');\n"
             "INSERT INTO clicks (user, page) VALUES ('ann', 'b');\n"
             "INSERT INTO clicks (user, page) VALUES ('bob', 'a');\n",
             service, service);
    kengine_run(&k, sql);
    kengine_idle(&k);
    cr_assert_eq(pulled_count(kengine_run(&k, "SELECT * FROM counts WHERE user = 'ann';")), 2);
    kengine_close(&k);

    /* a new machine: no local state; the query comes back from the command
     * topic, its counts from the changelogs */
    char ks[256];
    snprintf(ks, sizeof ks, "%s/kafka-state/%s", data, service);
    cr_assert_eq(access(ks, F_OK), 0, "the local state was under the data directory: %s", ks);
    nftw(data, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    kengine_open(&k, data);
    kengine_run(&k, "INSERT INTO clicks (user, page) VALUES ('ann', 'c');\n"
                    "INSERT INTO clicks (user, page) VALUES ('bob', 'b');\n");
    kengine_idle(&k);
    cr_assert_eq(pulled_count(kengine_run(&k, "SELECT * FROM counts WHERE user = 'ann';")), 3,
                 "counted on from 2, not from 0");
    cr_assert_eq(pulled_count(kengine_run(&k, "SELECT * FROM counts WHERE user = 'bob';")), 2);
    kengine_close(&k);

    /* this run's topics: streams, command topic, changelogs */
    sl_log *log = broker_log(sdir("cleanup"));
    const char **names;
    int n;
    cr_assert_eq(sl_log_list_topics(log, arena, &names, &n, &err), 0, "%s", err.msg);
    for (int i = 0; i < n; i++)
        if (strstr(names[i], service))
            cr_expect_eq(sl_log_delete_topic(log, names[i], &err), 0, "%s", err.msg);
    sl_log_close(log);
}

/* Exactly-once: state writes commit in the Kafka transaction with their
 * changelog records; a restore reads the changelogs read_committed, past
 * the transaction markers, and never sees what a fenced process wrote.
 * The logs of a test are one worker started again (the worker id kept in
 * the test's root), each time with the state directory dir. */
static sl_log *broker_eos_log(const char *svc, const char *dir, sl_error *e)
{
    if (!real_bootstrap)
        cr_skip_test("SLUICE_TEST_KAFKA_BOOTSTRAP is not set (tests/kafka/run.sh sets it)");
    sl_log_kafka_opts o = {.bootstrap_servers = real_bootstrap, .client_id = "sluice-test",
                           .timeout_ms = 30000, .service_id = svc, .state_dir = dir,
                           .data_dir = root, .exactly_once = true};
    return sl_log_open_kafka(&o, e);
}

Test(kafka_broker, exactly_once_state_comes_back_from_committed_changelog_records_only)
{
    char svc[64];
    snprintf(svc, sizeof svc, "%s-eos", service);
    sl_log *a = broker_eos_log(svc, sdir("a"), &err);
    cr_assert_not_null(a, "open: %s", err.msg);
    sl_log_txn *t = sl_log_txn_begin(a);
    put(t, "state", state_key("Q1/agg", 0, "a"), "1");
    commit(t);
    t = sl_log_txn_begin(a);
    put(t, "state", state_key("Q1/agg", 0, "a"), "2");
    put(t, "state", state_key("Q1/agg", 0, "b"), "1");
    commit(t);

    /* a transaction open when another process of the service starts */
    t = sl_log_txn_begin(a);
    put(t, "state", state_key("Q1/agg", 0, "a"), "zombie");
    sl_error e2;
    sl_log *b = broker_eos_log(svc, sdir("b"), &e2);
    cr_assert_not_null(b, "open: %s", e2.msg);
    skey p0 = state_key("Q1/agg", 0, "");
    cr_assert_str_eq(scan(b, "state", p0, NULL, p0.n), "a=2 b=1", "restored, read_committed");
    cr_assert_neq(sl_log_txn_commit(t, &err), 0, "the fenced process commits nothing");
    cr_assert_str_eq(get(a, "state", state_key("Q1/agg", 0, "a")), "2",
                     "nor writes its local state");
    sl_log_close(a);

    t = sl_log_txn_begin(b);
    put(t, "state", state_key("Q1/agg", 0, "a"), "3");
    commit(t);
    sl_log_close(b);
    /* catching up from a checkpoint followed by a commit marker, and
     * restoring from nothing */
    b = broker_eos_log(svc, sdir("b"), &err);
    cr_assert_not_null(b, "open: %s", err.msg);
    cr_assert_str_eq(scan(b, "state", p0, NULL, p0.n), "a=3 b=1");
    sl_log_close(b);
    sl_log *c = broker_eos_log(svc, sdir("c"), &err);
    cr_assert_not_null(c, "open: %s", err.msg);
    cr_assert_str_eq(scan(c, "state", p0, NULL, p0.n), "a=3 b=1");
    char cl[160];
    snprintf(cl, sizeof cl, "_sluice-%s-Q1-changelog", svc);
    cr_assert_eq(sl_log_delete_topic(c, cl, &err), 0, "%s", err.msg);
    sl_log_close(c);
}
