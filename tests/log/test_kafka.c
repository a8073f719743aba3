/*
 * test_kafka.c: the Kafka log (log/kafka.c) as its users see it, against
 * librdkafka's in-process mock cluster: records round-trip with keys, null
 * and empty values, headers and timestamps; keyed records land on the
 * partition Kafka's default partitioner picks (checked against librdkafka's
 * own murmur2_random producer); positions per group; start and end offsets;
 * reads that continue, go back, or are answered "offset out of range"; a
 * failed delivery (an injected produce error, a broker down) failing the
 * commit with the reason; a batch refused for a timestamp tried again
 * record by record, the record refused again told to the transaction's
 * handler (or failing the commit without one); topics (existing ones accepted or refused by
 * partition count, listing without internal topics, describe, and the
 * mock's missing Admin API reported as an error); concurrent writers and a
 * reader; refused and unknown properties; membership (two members of a
 * group share its partitions, cooperatively; one leaving gives them back;
 * positions committed through the member; a log without membership owns
 * everything).
 * At the end, suite kafka_broker: topics, records and positions against a
 * real Apache Kafka broker, run by tests/kafka/run.sh (skipped without
 * SLUICE_TEST_KAFKA_BOOTSTRAP).
 */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/kafka.h"
#include "log/log.h"
#include "log/partitioner.h"
#include "log/prefix.h"

enum { PRODUCE_API = 0, FETCH_API = 1 };  /* Kafka protocol request keys */

static rd_kafka_t *mrk;     /* the handle owning the mock cluster */
static rd_kafka_mock_cluster_t *mc;
static const char *bootstraps;
static sl_arena *arena;
static sl_error err;

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
    arena = sl_arena_new(0);
    sl_error_clear(&err);
}

static void teardown(void)
{
    sl_arena_free(arena);
    rd_kafka_destroy(mrk);      /* takes the mock cluster with it */
}

TestSuite(kafka, .init = setup, .fini = teardown, .timeout = 60);

static sl_log *open_log_timeout(int timeout_ms)
{
    sl_log_kafka_opts o = {.bootstrap_servers = bootstraps, .client_id = "sluice-test",
                           .timeout_ms = timeout_ms};
    sl_log *log = sl_log_open_kafka(&o, &err);
    cr_assert_not_null(log, "open: %s", err.msg);
    return log;
}

static sl_log *open_log(void)
{
    return open_log_timeout(5000);
}

/* a topic as the mock holds it, accepted by create_topic as existing */
static void mock_topic(sl_log *log, const char *name, int partitions)
{
    cr_assert_eq(rd_kafka_mock_topic_create(mc, name, partitions, 1), 0);
    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = partitions;
    bool created = true;
    cr_assert_eq(sl_log_create_topic(log, name, &cfg, &created, &err), 0, "create %s: %s", name,
                 err.msg);
    cr_assert_not(created, "an existing topic is not created again");
}

static sl_record rec_kv(const char *k, const char *v, int64_t ts)
{
    sl_record r = {0};
    r.key = k;
    r.key_len = k ? (int32_t)strlen(k) : -1;
    r.value = v;
    r.value_len = v ? (int32_t)strlen(v) : -1;
    r.timestamp = ts;
    return r;
}

/* reads everything in [from, end) of a partition */
static int read_all(sl_log *log, const char *topic, int32_t p, int64_t from, sl_record *out,
                    int cap)
{
    int64_t end = sl_log_end_offset(log, topic, p, &err);
    cr_assert_geq(end, 0, "end offset: %s", err.msg);
    int got = 0;
    while (from < end && got < cap) {
        int n = 0;
        cr_assert_eq(sl_log_read(log, topic, p, from, cap - got, arena, out + got, &n, &err), 0,
                     "read: %s", err.msg);
        cr_assert_gt(n, 0, "a read below the end offset %lld at %lld found nothing",
                     (long long)end, (long long)from);
        from = out[got + n - 1].offset + 1;
        got += n;
    }
    return got;
}

static bool bytes_eq(const void *a, int32_t alen, const char *b)
{
    if (!b)
        return alen == -1 && a == NULL;
    return alen == (int32_t)strlen(b) && (alen == 0 || !memcmp(a, b, (size_t)alen));
}

Test(kafka, round_trip_keys_values_headers_timestamps)
{
    sl_log *log = open_log();
    mock_topic(log, "orders", 1);
    sl_log_header hs[3] = {
        {"trace", 5, "abc", 3},
        {"empty", 5, "", 0},
        {"none", 4, NULL, -1},
    };
    sl_record recs[4] = {
        rec_kv("k1", "v1", 1700000000001),
        rec_kv("k2", NULL, 1700000000002),     /* a tombstone */
        rec_kv(NULL, "keyless", 1700000000003),
        rec_kv("", "", 1700000000004),         /* empty, not null */
    };
    recs[0].headers = hs;
    recs[0].n_headers = 3;
    sl_log_txn *t = sl_log_txn_begin(log);
    for (int i = 0; i < 4; i++) {
        int32_t p = -2;
        int64_t off = -2;
        cr_assert_eq(sl_log_txn_append(t, "orders", 0, &recs[i], &p, &off, &err), 0, "append: %s",
                     err.msg);
        cr_assert_eq(p, 0);
        cr_assert_eq(off, -1, "Kafka assigns offsets at delivery: -1 at append");
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);

    sl_record out[8];
    int n = read_all(log, "orders", 0, 0, out, 8);
    cr_assert_eq(n, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(out[i].offset, i);
        cr_assert_eq(out[i].partition, 0);
        cr_assert_eq(out[i].timestamp, recs[i].timestamp);
    }
    cr_assert(bytes_eq(out[0].key, out[0].key_len, "k1"));
    cr_assert(bytes_eq(out[0].value, out[0].value_len, "v1"));
    cr_assert(bytes_eq(out[1].key, out[1].key_len, "k2"));
    cr_assert_eq(out[1].value_len, -1, "a null value stays null");
    cr_assert_null(out[1].value);
    cr_assert_eq(out[2].key_len, -1, "a null key stays null");
    cr_assert(bytes_eq(out[2].value, out[2].value_len, "keyless"));
    cr_assert_eq(out[3].key_len, 0, "an empty key is not null");
    cr_assert_not_null(out[3].key);
    cr_assert_eq(out[3].value_len, 0, "an empty value is not a tombstone");
    cr_assert_not_null(out[3].value);

    cr_assert_eq(out[0].n_headers, 3);
    cr_assert_eq(out[0].headers[0].key_len, 5);
    cr_assert_eq(memcmp(out[0].headers[0].key, "trace", 5), 0);
    cr_assert(bytes_eq(out[0].headers[0].value, out[0].headers[0].value_len, "abc"));
    cr_assert_eq(memcmp(out[0].headers[1].key, "empty", 5), 0);
    cr_assert_eq(out[0].headers[1].value_len, 0);
    cr_assert_eq(memcmp(out[0].headers[2].key, "none", 4), 0);
    cr_assert_eq(out[0].headers[2].value_len, -1, "a null header value stays null");
    cr_assert_eq(out[1].n_headers, 0);

    /* a reader that has no use for headers gets the same records without
     * them (librdkafka never parses them) */
    sl_record bare[8];
    int n2 = 0;
    int64_t end = sl_log_end_offset(log, "orders", 0, &err);
    for (int64_t from = 0; from < end && n2 < 8;) {
        int got = 0;
        cr_assert_eq(sl_log_read_flags(log, "orders", 0, from, 8 - n2, SL_LOG_READ_NO_HEADERS,
                                       arena, bare + n2, &got, &err),
                     0, "read: %s", err.msg);
        cr_assert_gt(got, 0);
        from = bare[n2 + got - 1].offset + 1;
        n2 += got;
    }
    cr_assert_eq(n2, 4);
    cr_assert_eq(bare[0].n_headers, 0, "headers left out");
    cr_assert_null(bare[0].headers);
    cr_assert(bytes_eq(bare[0].key, bare[0].key_len, "k1"));
    cr_assert(bytes_eq(bare[0].value, bare[0].value_len, "v1"));
    cr_assert_eq(bare[1].value_len, -1);
    cr_assert_eq(bare[3].timestamp, recs[3].timestamp);

    /* and a reader that wants them still gets them */
    n = read_all(log, "orders", 0, 0, out, 8);
    cr_assert_eq(n, 4);
    cr_assert_eq(out[0].n_headers, 3);
    sl_log_close(log);
}

/* the partition librdkafka's own producer picks with murmur2_random */
static void dr_partition(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    *(int32_t *)m->_private = m->err ? -100 : m->partition;
}

Test(kafka, keyed_records_land_where_kafka_puts_them)
{
    sl_log *log = open_log();
    enum { PARTS = 5, KEYS = 24 };
    mock_topic(log, "bykey", PARTS);

    char es[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    cr_assert_eq(rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, es, sizeof es), 0);
    cr_assert_eq(rd_kafka_conf_set(c, "partitioner", "murmur2_random", es, sizeof es), 0);
    rd_kafka_conf_set_dr_msg_cb(c, dr_partition);
    rd_kafka_t *ref = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
    cr_assert_not_null(ref, "%s", es);

    char keys[KEYS][16];
    int32_t theirs[KEYS], ours[KEYS];
    sl_log_txn *t = sl_log_txn_begin(log);
    for (int i = 0; i < KEYS; i++) {
        snprintf(keys[i], sizeof keys[i], "user-%d", i * 7919);
        theirs[i] = -1;
        cr_assert_eq(rd_kafka_producev(ref, RD_KAFKA_V_TOPIC("bykey"),
                                       RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
                                       RD_KAFKA_V_KEY(keys[i], strlen(keys[i])),
                                       RD_KAFKA_V_VALUE("x", 1),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_OPAQUE(&theirs[i]), RD_KAFKA_V_END),
                     0);
        sl_record r = rec_kv(keys[i], "v", 1000 + i);
        cr_assert_eq(sl_log_txn_append(t, "bykey", -1, &r, &ours[i], NULL, &err), 0, "%s",
                     err.msg);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
    cr_assert_eq(rd_kafka_flush(ref, 10000), 0);
    rd_kafka_destroy(ref);

    bool used[PARTS] = {false};
    for (int i = 0; i < KEYS; i++) {
        cr_assert_geq(theirs[i], 0, "librdkafka delivered key %s", keys[i]);
        cr_assert_eq(ours[i], theirs[i], "key %s: sluice chose %d, librdkafka %d", keys[i],
                     ours[i], theirs[i]);
        cr_assert_eq(ours[i], sl_partitioner_for_key(keys[i], strlen(keys[i]), PARTS));
        used[ours[i]] = true;
    }
    int nused = 0;
    for (int p = 0; p < PARTS; p++)
        nused += used[p];
    cr_assert_gt(nused, 1, "24 keys spread over more than one partition");

    /* and the records are there, each key once with sluice's value */
    static sl_record out[PARTS][2 * KEYS];
    int n[PARTS];
    for (int p = 0; p < PARTS; p++)
        n[p] = read_all(log, "bykey", p, 0, out[p], 2 * KEYS);
    for (int i = 0; i < KEYS; i++) {
        int found = 0, theirs_found = 0;
        for (int j = 0; j < n[ours[i]]; j++) {
            if (!bytes_eq(out[ours[i]][j].key, out[ours[i]][j].key_len, keys[i]))
                continue;
            found += bytes_eq(out[ours[i]][j].value, out[ours[i]][j].value_len, "v");
            theirs_found += bytes_eq(out[ours[i]][j].value, out[ours[i]][j].value_len, "x");
        }
        cr_assert_eq(found, 1, "key %s on partition %d", keys[i], ours[i]);
        cr_assert_eq(theirs_found, 1, "the other producer's record of key %s is read too",
                     keys[i]);
    }
    sl_log_close(log);
}

Test(kafka, null_keys_go_round_robin)
{
    sl_log *log = open_log();
    mock_topic(log, "keyless", 3);
    sl_log_txn *t = sl_log_txn_begin(log);
    int count[3] = {0};
    for (int i = 0; i < 9; i++) {
        sl_record r = rec_kv(NULL, "v", 0);
        int32_t p = -1;
        cr_assert_eq(sl_log_txn_append(t, "keyless", -1, &r, &p, NULL, &err), 0, "%s", err.msg);
        cr_assert(p >= 0 && p < 3);
        count[p]++;
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    for (int p = 0; p < 3; p++) {
        cr_assert_eq(count[p], 3, "partition %d got %d of 9", p, count[p]);
        cr_assert_eq(sl_log_end_offset(log, "keyless", p, &err), 3);
    }
    /* a record appended with timestamp 0 gets the current time */
    sl_record out[3];
    cr_assert_eq(read_all(log, "keyless", 0, 0, out, 3), 3);
    cr_assert_gt(out[0].timestamp, 1600000000000LL);
    sl_log_close(log);
}

Test(kafka, positions_per_group)
{
    sl_log *log = open_log();
    mock_topic(log, "in", 2);
    cr_assert_eq(sl_log_position(log, "q1", "in", 0), -1, "nothing committed yet");
    sl_log_txn *t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_set_position(t, "q1", "in", 0, 10, &err), 0);
    cr_assert_eq(sl_log_txn_set_position(t, "q1", "in", 1, 20, &err), 0);
    cr_assert_eq(sl_log_txn_set_position(t, "q2", "in", 0, 5, &err), 0);
    cr_assert_eq(sl_log_txn_set_position(t, "q1", "in", 0, 11, &err), 0);   /* the last wins */
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
    cr_assert_eq(sl_log_position(log, "q1", "in", 0), 11);
    cr_assert_eq(sl_log_position(log, "q1", "in", 1), 20);
    cr_assert_eq(sl_log_position(log, "q2", "in", 0), 5);
    cr_assert_eq(sl_log_position(log, "q2", "in", 1), -1);
    cr_assert_eq(sl_log_position(log, "q3", "in", 0), -1);

    /* an aborted transaction commits no position */
    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_set_position(t, "q1", "in", 0, 99, &err), 0);
    sl_log_txn_abort(t);
    cr_assert_eq(sl_log_position(log, "q1", "in", 0), 11);
    sl_log_close(log);

    /* positions live in the cluster, not in this process */
    log = open_log();
    cr_assert_eq(sl_log_position(log, "q1", "in", 1), 20);
    sl_log_close(log);
}

Test(kafka, offsets_and_reads_that_continue_or_go_back)
{
    sl_log *log = open_log();
    mock_topic(log, "seq", 1);
    cr_assert_eq(sl_log_start_offset(log, "seq", 0, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_end_offset(log, "seq", 0, &err), 0);
    int n = -1;
    sl_record out[16];
    cr_assert_eq(sl_log_read(log, "seq", 0, 0, 16, arena, out, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 0, "an empty partition reads nothing");

    for (int b = 0; b < 2; b++) {
        sl_log_txn *t = sl_log_txn_begin(log);
        for (int i = 0; i < 5; i++) {
            char v[16];
            snprintf(v, sizeof v, "v%d", b * 5 + i);
            sl_record r = rec_kv("k", v, 100 + b * 5 + i);
            cr_assert_eq(sl_log_txn_append(t, "seq", 0, &r, NULL, NULL, &err), 0);
        }
        cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_log_start_offset(log, "seq", 0, &err), 0);
    cr_assert_eq(sl_log_end_offset(log, "seq", 0, &err), 10);

    /* three at a time, continuing */
    int64_t next = 0;
    int total = 0;
    while (next < 10) {
        cr_assert_eq(sl_log_read(log, "seq", 0, next, 3, arena, out, &n, &err), 0, "%s", err.msg);
        cr_assert(n > 0 && n <= 3, "read at %lld gave %d", (long long)next, n);
        for (int i = 0; i < n; i++) {
            char v[16];
            snprintf(v, sizeof v, "v%d", (int)(next + i));
            cr_assert_eq(out[i].offset, next + i);
            cr_assert(bytes_eq(out[i].value, out[i].value_len, v));
        }
        next += n;
        total += n;
    }
    cr_assert_eq(total, 10);
    /* at the end: nothing */
    cr_assert_eq(sl_log_read(log, "seq", 0, 10, 3, arena, out, &n, &err), 0);
    cr_assert_eq(n, 0);
    /* going back */
    cr_assert_eq(sl_log_read(log, "seq", 0, 7, 16, arena, out, &n, &err), 0, "%s", err.msg);
    cr_assert_gt(n, 0);
    cr_assert_eq(out[0].offset, 7);
    cr_assert(bytes_eq(out[0].value, out[0].value_len, "v7"));
    cr_assert_eq(out[0].timestamp, 107);

    /* unknown topic and partition */
    cr_assert_eq(sl_log_read(log, "nope", 0, 0, 3, arena, out, &n, &err), -1);
    cr_assert(strstr(err.msg, "nope"), "%s", err.msg);
    cr_assert_eq(sl_log_read(log, "seq", 1, 0, 3, arena, out, &n, &err), -1);
    cr_assert(strstr(err.msg, "partition 1"), "%s", err.msg);
    cr_assert_eq(sl_log_end_offset(log, "seq", 3, &err), -1);
    sl_log_close(log);
}

Test(kafka, failed_delivery_fails_the_commit)
{
    sl_log *log = open_log();
    mock_topic(log, "out", 1);
    uint64_t seq = sl_log_commit_seq(log);
    rd_kafka_mock_push_request_errors(mc, PRODUCE_API, 1,
                                      RD_KAFKA_RESP_ERR_INVALID_RECORD);
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = rec_kv("k", "v", 5);
    cr_assert_eq(sl_log_txn_append(t, "out", 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_set_position(t, "q", "out", 0, 1, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), -1, "a failed delivery fails the commit");
    cr_assert(strstr(err.msg, "delivery to out partition 0 failed"), "%s", err.msg);
    cr_assert(strstr(err.msg, "Broker failed to validate record"), "the broker's reason: %s", err.msg);
    cr_assert_eq(sl_log_position(log, "q", "out", 0), -1, "no position behind a failed delivery");
    cr_assert_eq(sl_log_commit_seq(log), seq, "a failed commit wakes nobody");

    /* the log keeps working */
    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_append(t, "out", 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_set_position(t, "q", "out", 0, 1, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_position(log, "q", "out", 0), 1);
    cr_assert_gt(sl_log_commit_seq(log), seq);
    sl_record out[2];
    cr_assert_eq(read_all(log, "out", 0, 0, out, 2), 1);
    cr_assert(bytes_eq(out[0].value, out[0].value_len, "v"));
    sl_log_close(log);
}

/* sl_log_txn_on_refused's handler: counts, keeps the value, and appends a
 * note to topic "notes" in the committing transaction. */
static int refused_calls;
static char refused_value[16];

static int note_refused(void *ud, sl_log_txn *t, const char *topic, const sl_record *rec,
                        const char *reason, sl_error *e)
{
    (void)ud;
    refused_calls++;
    cr_expect_str_eq(topic, "out");
    cr_expect(strstr(reason, "refused timestamp 7"), "%s", reason);
    snprintf(refused_value, sizeof refused_value, "%.*s", (int)rec->value_len,
             (const char *)rec->value);
    sl_record note = rec_kv(NULL, reason, 0);
    return sl_log_txn_append(t, "notes", 0, &note, NULL, NULL, e);
}

/* the values of every record of out partition 0 from offset from, sorted,
 * joined by spaces */
static void values_from(sl_log *log, int64_t from, char *buf, size_t cap)
{
    sl_record out[8];
    int n = read_all(log, "out", 0, from, out, 8);
    char v[8][8];
    for (int i = 0; i < n; i++)
        snprintf(v[i], sizeof v[i], "%.*s", (int)out[i].value_len, (const char *)out[i].value);
    qsort(v, (size_t)n, sizeof v[0], (int (*)(const void *, const void *))strcmp);
    buf[0] = 0;
    for (int i = 0; i < n; i++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? " " : "", v[i]);
}

/* The broker drops a produce request's batch whole for one bad timestamp:
 * without exactly-once the refused records are produced again one by one,
 * so only the bad one is refused, and that one goes to the handler. */
Test(kafka, a_batch_refused_for_a_timestamp_is_tried_record_by_record)
{
    sl_log *log = open_log();
    mock_topic(log, "out", 1);
    mock_topic(log, "notes", 1);
    refused_calls = 0;
    char got[64];

    /* the batch is refused, every record alone is accepted: all written */
    rd_kafka_mock_push_request_errors(mc, PRODUCE_API, 1, RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP);
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_log_txn_on_refused(t, note_refused, NULL);
    const char *vals[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        sl_record r = rec_kv("k", vals[i], 7);
        cr_assert_eq(sl_log_txn_append(t, "out", 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_log_txn_set_position(t, "q", "out", 0, 3, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_expect_eq(refused_calls, 0);
    values_from(log, 0, got, sizeof got);
    cr_expect_str_eq(got, "a b c");
    cr_expect_eq(sl_log_position(log, "q", "out", 0), 3);
    int64_t end = sl_log_end_offset(log, "out", 0, &err);

    /* the batch and then its first record alone are refused: the handler
     * gets that one (its note is committed too), the others are written */
    rd_kafka_mock_push_request_errors(mc, PRODUCE_API, 2, RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP,
                                      RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP);
    t = sl_log_txn_begin(log);
    sl_log_txn_on_refused(t, note_refused, NULL);
    const char *more[] = {"x", "y", "z"};
    for (int i = 0; i < 3; i++) {
        sl_record r = rec_kv("k", more[i], 7);
        cr_assert_eq(sl_log_txn_append(t, "out", 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_log_txn_set_position(t, "q", "out", 0, 6, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_expect_eq(refused_calls, 1);
    cr_expect_str_eq(refused_value, "x");
    values_from(log, end, got, sizeof got);
    cr_expect_str_eq(got, "y z");
    sl_record notes[2];
    cr_expect_eq(read_all(log, "notes", 0, 0, notes, 2), 1, "the handler's append is committed");
    cr_expect_eq(sl_log_position(log, "q", "out", 0), 6);

    /* without a handler the record refused again fails the commit */
    rd_kafka_mock_push_request_errors(mc, PRODUCE_API, 2, RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP,
                                      RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP);
    t = sl_log_txn_begin(log);
    sl_record r = rec_kv("k", "w", 7);
    cr_assert_eq(sl_log_txn_append(t, "out", 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_set_position(t, "q", "out", 0, 7, &err), 0);
    cr_expect_eq(sl_log_txn_commit(t, &err), -1);
    cr_expect_eq(err.code, SL_ERR_REFUSED, "%s", err.msg);
    cr_expect(strstr(err.msg, "refused timestamp 7"), "%s", err.msg);
    cr_expect_eq(sl_log_position(log, "q", "out", 0), 6, "no position behind a refused record");
    sl_log_close(log);
}

Test(kafka, appends_to_missing_topics_and_partitions_fail)
{
    sl_log *log = open_log();
    mock_topic(log, "small", 2);
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = rec_kv("k", "v", 1);
    cr_assert_eq(sl_log_txn_append(t, "absent", -1, &r, NULL, NULL, &err), -1);
    cr_assert(strstr(err.msg, "absent") && strstr(err.msg, "does not exist"), "%s", err.msg);
    cr_assert_eq(sl_log_txn_append(t, "small", 2, &r, NULL, NULL, &err), -1);
    cr_assert(strstr(err.msg, "no partition 2"), "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "nothing was appended: %s", err.msg);
    cr_assert_eq(sl_log_end_offset(log, "small", 0, &err), 0);
    cr_assert_eq(sl_log_end_offset(log, "small", 1, &err), 0);
    sl_log_close(log);
}

Test(kafka, topics_existing_listed_described)
{
    sl_log *log = open_log();
    mock_topic(log, "zeta", 2);
    mock_topic(log, "alpha", 3);
    cr_assert_eq(rd_kafka_mock_topic_create(mc, "__internal", 1, 1), 0);

    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = 4;
    cr_assert_eq(sl_log_create_topic(log, "alpha", &cfg, NULL, &err), -1);
    cr_assert(strstr(err.msg, "alpha exists with 3 partitions, not 4"), "%s", err.msg);
    cr_assert_eq(sl_log_create_topic(log, "bad/name", &cfg, NULL, &err), -1);
    cr_assert(strstr(err.msg, "invalid topic name"), "%s", err.msg);

    const char **names = NULL;
    int n = 0;
    cr_assert_eq(sl_log_list_topics(log, arena, &names, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 2, "internal topics are hidden");
    cr_assert_str_eq(names[0], "alpha");
    cr_assert_str_eq(names[1], "zeta");

    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = rec_kv(NULL, "v", 1);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(sl_log_txn_append(t, "alpha", 1, &r, NULL, NULL, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);

    sl_topic_info ti;
    cr_assert_eq(sl_log_describe_topic(log, "alpha", arena, &ti, &err), 0, "%s", err.msg);
    cr_assert_str_eq(ti.name, "alpha");
    cr_assert_eq(ti.config.partitions, 3);
    cr_assert_eq(ti.partitions[0].end_offset, 0);
    cr_assert_eq(ti.partitions[1].start_offset, 0);
    cr_assert_eq(ti.partitions[1].end_offset, 3);
    cr_assert_eq(ti.partitions[2].partition, 2);
    cr_assert_eq(sl_log_describe_topic(log, "missing", arena, &ti, &err), -1);
    cr_assert(strstr(err.msg, "missing does not exist"), "%s", err.msg);
    cr_assert_eq(sl_log_delete_topic(log, "missing", &err), -1);
    cr_assert(strstr(err.msg, "missing does not exist"), "%s", err.msg);
    sl_log_close(log);
}

/* The mock cluster has no controller and answers no CreateTopics or
 * DeleteTopics: the log says so instead of pretending. */
Test(kafka, admin_requests_the_cluster_refuses_are_errors)
{
    sl_log *log = open_log();
    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = 2;
    bool created = true;
    cr_assert_eq(sl_log_create_topic(log, "fresh", &cfg, &created, &err), -1);
    cr_assert(strstr(err.msg, "creating topic fresh") && strstr(err.msg, "no controller"), "%s",
              err.msg);
    cr_assert_eq(err.code, SL_ERR_UNSUPPORTED);
    cr_assert_not(created);
    mock_topic(log, "doomed", 1);
    cr_assert_eq(sl_log_delete_topic(log, "doomed", &err), -1);
    cr_assert(strstr(err.msg, "deleting topic doomed") && strstr(err.msg, "no controller"), "%s",
              err.msg);
    sl_topic_info ti;
    cr_assert_eq(sl_log_describe_topic(log, "doomed", arena, &ti, &err), 0, "%s", err.msg);
    cr_assert_eq(ti.config.partitions, 1, "still there");
    sl_log_close(log);
}

/* (state keyspaces: tests/log/test_kafka_state.c) */
Test(kafka, retention_is_the_brokers)
{
    sl_log *log = open_log();
    cr_assert_eq(sl_log_enforce_retention(log, 0, &err), 0, "the broker enforces retention");
    sl_log_close(log);
}

static void *commit_later(void *arg)
{
    sl_log *log = arg;
    sl_error e;
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = rec_kv("k", "late", 1);
    if (sl_log_txn_append(t, "waits", 0, &r, NULL, NULL, &e)) {
        sl_log_txn_abort(t);
        return (void *)1;
    }
    return sl_log_txn_commit(t, &e) ? (void *)1 : NULL;
}

Test(kafka, waiting_for_commits)
{
    sl_log *log = open_log();
    mock_topic(log, "waits", 1);
    uint64_t seq = sl_log_commit_seq(log);
    cr_assert_eq(sl_log_wait_since(log, seq, 10), 0, "no commit: a timeout");
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, commit_later, log), 0);
    cr_assert_eq(sl_log_wait_since(log, seq, -1), 1);
    void *res;
    pthread_join(th, &res);
    cr_assert_null(res, "the other thread's commit succeeded");
    cr_assert_neq(sl_log_commit_seq(log), seq);
    sl_record out[2];
    cr_assert_eq(read_all(log, "waits", 0, 0, out, 2), 1);
    sl_log_close(log);
}

Test(kafka, properties_refused_unknown_and_passed_through)
{
    const char *refused[] = {"plugin.library.paths", "sasl.kerberos.kinit.cmd",
                             "ssl.engine.location", "consumer.plugin.library.paths",
                             "SSL.PROVIDERS"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        const char *props[2] = {refused[i], "/tmp/x"};
        sl_log_kafka_opts o = {.bootstrap_servers = bootstraps, .props = props, .n_props = 1};
        cr_assert_null(sl_log_open_kafka(&o, &err), "%s was accepted", refused[i]);
        cr_assert(strstr(err.msg, refused[i]) && strstr(err.msg, "refused"), "%s", err.msg);
        cr_assert(sl_log_kafka_property_refused(refused[i]));
    }
    cr_assert_not(sl_log_kafka_property_refused("security.protocol"));

    const char *unknown[2] = {"no.such.property", "1"};
    sl_log_kafka_opts o = {.bootstrap_servers = bootstraps, .props = unknown, .n_props = 1};
    cr_assert_null(sl_log_open_kafka(&o, &err));
    cr_assert(strstr(err.msg, "unknown Kafka property 'no.such.property'"), "%s", err.msg);

    const char *invalid[2] = {"linger.ms", "soon"};
    o.props = invalid;
    cr_assert_null(sl_log_open_kafka(&o, &err));
    cr_assert(strstr(err.msg, "linger.ms"), "%s", err.msg);

    const char *fine[6] = {"linger.ms", "1", "consumer.fetch.min.bytes", "1",
                           "producer.compression.type", "none"};
    o.props = fine;
    o.n_props = 3;
    sl_log *log = sl_log_open_kafka(&o, &err);
    cr_assert_not_null(log, "%s", err.msg);
    sl_log_close(log);

    sl_log_kafka_opts none = {0};
    cr_assert_null(sl_log_open_kafka(&none, &err));
    cr_assert(strstr(err.msg, "bootstrap servers"), "%s", err.msg);
}

Test(kafka, unreachable_bootstrap_servers)
{
    sl_log_kafka_opts o = {.bootstrap_servers = "127.0.0.1:1", .timeout_ms = 300};
    cr_assert_null(sl_log_open_kafka(&o, &err));
    cr_assert(strstr(err.msg, "127.0.0.1:1"), "%s", err.msg);
}

/* Writers on several threads, each its own partition and group, and a
 * reader following one partition while it grows. */
enum { WRITERS = 4, TXNS = 20, PER_TXN = 25 };

static void *writer(void *arg)
{
    sl_log *log = ((void **)arg)[0];
    int id = (int)(intptr_t)((void **)arg)[1];
    sl_error e;
    char group[16];
    snprintf(group, sizeof group, "w%d", id);
    for (int t = 0; t < TXNS; t++) {
        sl_log_txn *tx = sl_log_txn_begin(log);
        for (int i = 0; i < PER_TXN; i++) {
            char v[32];
            snprintf(v, sizeof v, "%d-%d", id, t * PER_TXN + i);
            sl_record r = rec_kv(NULL, v, 1);
            if (sl_log_txn_append(tx, "shared", id, &r, NULL, NULL, &e)) {
                sl_log_txn_abort(tx);
                return (void *)1;
            }
        }
        if (sl_log_txn_set_position(tx, group, "shared", id, (t + 1) * PER_TXN, &e) ||
            sl_log_txn_commit(tx, &e))
            return (void *)1;
    }
    return NULL;
}

Test(kafka, concurrent_writers_and_a_reader)
{
    sl_log *log = open_log();
    mock_topic(log, "shared", WRITERS);
    pthread_t th[WRITERS];
    void *args[WRITERS][2];
    for (int i = 0; i < WRITERS; i++) {
        args[i][0] = log;
        args[i][1] = (void *)(intptr_t)i;
        cr_assert_eq(pthread_create(&th[i], NULL, writer, args[i]), 0);
    }
    /* follow partition 0 while it is written */
    enum { TOTAL = TXNS * PER_TXN };
    int64_t next = 0;
    while (next < TOTAL) {
        sl_record out[64];
        int n = 0;
        sl_arena_reset(arena);
        uint64_t seq = sl_log_commit_seq(log);
        cr_assert_eq(sl_log_read(log, "shared", 0, next, 64, arena, out, &n, &err), 0, "%s",
                     err.msg);
        for (int i = 0; i < n; i++) {
            char v[32];
            snprintf(v, sizeof v, "0-%d", (int)(next + i));
            cr_assert_eq(out[i].offset, next + i);
            cr_assert(bytes_eq(out[i].value, out[i].value_len, v), "offset %lld",
                      (long long)out[i].offset);
        }
        next += n;
        if (n == 0)
            sl_log_wait_since(log, seq, 100);
    }
    for (int i = 0; i < WRITERS; i++) {
        void *res;
        pthread_join(th[i], &res);
        cr_assert_null(res, "writer %d failed", i);
    }
    for (int i = 0; i < WRITERS; i++) {
        char group[16];
        snprintf(group, sizeof group, "w%d", i);
        cr_assert_eq(sl_log_end_offset(log, "shared", i, &err), TOTAL);
        cr_assert_eq(sl_log_position(log, group, "shared", i), TOTAL);
    }
    sl_log_close(log);
}

/* A fetch the broker answers "offset out of range" (as it does below the
 * start offset, after retention) restarts from the start; the records
 * before the requested offset are not returned. */
Test(kafka, offset_out_of_range_reads_on_from_the_start)
{
    sl_log *log = open_log();
    mock_topic(log, "reset", 1);
    sl_log_txn *t = sl_log_txn_begin(log);
    for (int i = 0; i < 6; i++) {
        char v[8];
        snprintf(v, sizeof v, "v%d", i);
        sl_record r = rec_kv(NULL, v, 1);
        cr_assert_eq(sl_log_txn_append(t, "reset", 0, &r, NULL, NULL, &err), 0);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    rd_kafka_mock_push_request_errors(mc, FETCH_API, 1, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
    sl_record out[8];
    int n = 0;
    int64_t next = 3;
    while (next < 6) {
        cr_assert_eq(sl_log_read(log, "reset", 0, next, 8, arena, out, &n, &err), 0, "%s",
                     err.msg);
        if (n == 0)
            continue;
        cr_assert_eq(out[0].offset, next, "no record before the requested offset");
        cr_assert(bytes_eq(out[0].value, out[0].value_len, next == 3 ? "v3" : next == 4 ? "v4" : "v5"));
        next = out[n - 1].offset + 1;
    }
    sl_log_close(log);
}

/* With the only broker down, records cannot be delivered: the commit fails
 * once message.timeout.ms passes, with the reason, and nothing is skipped. */
Test(kafka, broker_down_fails_the_commit_with_the_reason)
{
    const char *props[2] = {"producer.message.timeout.ms", "1500"};
    sl_log_kafka_opts o = {.bootstrap_servers = bootstraps, .timeout_ms = 5000, .props = props,
                           .n_props = 1};
    sl_log *log = sl_log_open_kafka(&o, &err);
    cr_assert_not_null(log, "%s", err.msg);
    mock_topic(log, "down", 1);
    cr_assert_eq(rd_kafka_mock_broker_set_down(mc, 1), 0);
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = rec_kv("k", "v", 1);
    cr_assert_eq(sl_log_txn_append(t, "down", 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_set_position(t, "q", "down", 0, 1, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), -1);
    cr_assert(strstr(err.msg, "delivery to down partition 0 failed") && strstr(err.msg, "timed out"),
              "%s", err.msg);
    cr_assert_eq(rd_kafka_mock_broker_set_up(mc, 1), 0);
    cr_assert_eq(sl_log_position(log, "q", "down", 0), -1, "no position behind a lost record");
    sl_log_close(log);
}

/* ---- membership: workers of one service share partitions ---- */

enum { MPARTS = 4 };

/* What a worker's rebalance callback was told. */
typedef struct owner {
    pthread_mutex_t mu;
    bool owned[MPARTS];
    int revoked;                /* partitions revoked (or lost) so far */
    char bad[200];              /* the first thing told that was wrong (the
                                   callback runs on a thread of the log) */
} owner;

static void on_rebalance(void *ud, sl_log_rebalance what, const int32_t *parts, int n)
{
    owner *o = ud;
    pthread_mutex_lock(&o->mu);
    for (int i = 0; i < n; i++) {
        if (parts[i] < 0 || parts[i] >= MPARTS || (i > 0 && parts[i - 1] >= parts[i]) ||
            o->owned[parts[i]] == (what == SL_LOG_ASSIGNED)) {
            if (!o->bad[0])
                snprintf(o->bad, sizeof o->bad, "partition %d told %s (event %d of %d)",
                         parts[i], what == SL_LOG_ASSIGNED ? "assigned" : "revoked", i, n);
            continue;
        }
        o->owned[parts[i]] = what == SL_LOG_ASSIGNED;
        if (what != SL_LOG_ASSIGNED)
            o->revoked++;
    }
    pthread_mutex_unlock(&o->mu);
}

/* The partitions o owns, as a bit set. */
static unsigned owned_set(owner *o)
{
    unsigned s = 0;
    pthread_mutex_lock(&o->mu);
    for (int p = 0; p < MPARTS; p++)
        if (o->owned[p])
            s |= 1u << p;
    pthread_mutex_unlock(&o->mu);
    return s;
}

static int popcount(unsigned s)
{
    int n = 0;
    for (; s; s &= s - 1)
        n++;
    return n;
}

/* Waits (20 s at most) until a and b (b may be NULL: none) own na and nb
 * partitions, disjoint and together every one. */
static bool wait_split(owner *a, int na, owner *b, int nb)
{
    for (int i = 0; i < 400; i++) {
        unsigned sa = owned_set(a), sb = b ? owned_set(b) : 0;
        if (popcount(sa) == na && popcount(sb) == nb && !(sa & sb) &&
            (sa | sb) == (1u << MPARTS) - 1)
            return true;
        usleep(50 * 1000);
    }
    return false;
}

/* The mock cluster completes a rebalance after the session timeout less a
 * second: a short one keeps this test short. */
static sl_log *open_member_log(void)
{
    static const char *const props[] = {"consumer.session.timeout.ms", "2500",
                                        "consumer.heartbeat.interval.ms", "300"};
    sl_log_kafka_opts o = {.bootstrap_servers = bootstraps, .client_id = "sluice-test",
                           .timeout_ms = 5000, .props = props, .n_props = 2};
    sl_log *log = sl_log_open_kafka(&o, &err);
    cr_assert_not_null(log, "open: %s", err.msg);
    return log;
}

Test(kafka, members_share_partitions_and_take_over, .timeout = 120)
{
    sl_log *w1 = open_member_log(), *w2 = open_member_log();
    mock_topic(w1, "shared", MPARTS);
    owner o1 = {.mu = PTHREAD_MUTEX_INITIALIZER}, o2 = {.mu = PTHREAD_MUTEX_INITIALIZER};
    cr_assert_eq(sl_log_member_join(w1, "svc-q", "shared", on_rebalance, &o1, &err), 1,
                 "join: %s", err.msg);
    cr_assert(wait_split(&o1, MPARTS, NULL, 0), "the only member owns every partition (%x)",
              owned_set(&o1));

    /* positions of a joined group are committed through the member */
    sl_log_txn *t = sl_log_txn_begin(w1);
    cr_assert_eq(sl_log_txn_set_position(t, "svc-q", "shared", 3, 7, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
    cr_assert_eq(sl_log_position(w2, "svc-q", "shared", 3), 7, "another process sees it");

    cr_assert_eq(sl_log_member_join(w2, "svc-q", "shared", on_rebalance, &o2, &err), 1,
                 "join: %s", err.msg);
    cr_assert(wait_split(&o1, 2, &o2, 2), "two members own 2 partitions each (%x, %x)",
              owned_set(&o1), owned_set(&o2));
    cr_assert_eq(o1.revoked, 2, "only what moved was revoked (cooperative)");
    cr_assert_eq(o2.revoked, 0);

    /* the second leaves: the first takes its partitions back */
    sl_log_member_leave(w2, "svc-q");
    cr_assert(wait_split(&o1, MPARTS, NULL, 0), "the remaining member owns every partition (%x)",
              owned_set(&o1));
    sl_log_member_leave(w2, "svc-q");   /* not a member any more: nothing */
    sl_log_close(w2);
    sl_log_close(w1);      /* leaves what it joined */
    cr_assert_str_empty(o1.bad, "%s", o1.bad);
    cr_assert_str_empty(o2.bad, "%s", o2.bad);
}

Test(kafka, joining_a_group_twice_is_refused)
{
    sl_log *log = open_member_log();
    mock_topic(log, "twice", 1);
    owner o = {.mu = PTHREAD_MUTEX_INITIALIZER};
    cr_assert_eq(sl_log_member_join(log, "g", "twice", on_rebalance, &o, &err), 1, "%s",
                 err.msg);
    cr_assert_eq(sl_log_member_join(log, "g", "twice", on_rebalance, &o, &err), -1);
    cr_assert(strstr(err.msg, "joined twice"), "%s", err.msg);
    sl_log_close(log);
}

/* A Kafka commit waits on the network: writers batch commits by interval,
 * also through the prefix wrapper (service ids, `sluice test`). */
Test(kafka, commits_are_costly_also_through_a_prefix)
{
    sl_log *log = open_log();
    cr_expect(sl_log_commits_costly(log));
    sl_log *p = sl_log_open_prefixed(log, "run-", "_svc-", &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_expect(sl_log_commits_costly(p));
    sl_log_close(p);        /* closes log */
}

/* Exactly-once: the worker id that tells the transactional ids of workers
 * of one service apart is kept in the data directory, which on Kafka may
 * not exist yet: it is made then. Without it every worker would fence the
 * others: opening fails instead. */
Test(kafka, exactly_once_keeps_the_worker_id_in_a_data_directory_it_makes)
{
    char base[] = "/tmp/sluice-wid-XXXXXX";
    cr_assert_not_null(mkdtemp(base));
    char dir[64], path[96];
    snprintf(dir, sizeof dir, "%s/not/yet", base);
    snprintf(path, sizeof path, "%s/kafka-worker-id", dir);
    sl_log_kafka_opts o = {.bootstrap_servers = bootstraps, .client_id = "sluice-test",
                           .timeout_ms = 5000, .data_dir = dir, .exactly_once = true};
    /* the mock cluster's transactions may or may not start: the id is
     * made before */
    sl_log_close(sl_log_open_kafka(&o, &err));
    char id[2][32] = {"", ""};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f, "%s was not made", path);
        cr_assert_eq(fscanf(f, "%31s", id[i]), 1);
        fclose(f);
        cr_expect_eq(strspn(id[i], "0123456789abcdef"), 16, "16 hex digits: %s", id[i]);
        sl_log_close(sl_log_open_kafka(&o, &err));     /* opened again: kept */
    }
    cr_expect_str_eq(id[0], id[1]);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    cr_assert_eq(system(cmd), 0);

    o.data_dir = "/dev/null/data";
    cr_assert_null(sl_log_open_kafka(&o, &err));
    cr_expect(strstr(err.msg, "cannot create the data directory /dev/null"), "%s", err.msg);
}

/* The embedded log has no membership: one process owns every partition. */
Test(kafka, a_log_without_membership_owns_every_partition)
{
    char dir[] = "/tmp/sluice-member-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    sl_log *log = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(log, "%s", err.msg);
    owner o = {.mu = PTHREAD_MUTEX_INITIALIZER};
    cr_assert_eq(sl_log_member_join(log, "g", "t", on_rebalance, &o, &err), 0);
    cr_assert_eq(owned_set(&o), 0u, "never called back");
    cr_assert_eq(sl_log_restore_partition(log, "q", 0, &err), 0);
    cr_assert_eq(sl_log_drop_query(log, "q", &err), 0);
    sl_log_member_leave(log, "g");
    sl_log_close(log);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* ------------------------------------------------------------------ */
/* Against a real Apache Kafka broker (tests/kafka/run.sh starts one and
 * sets SLUICE_TEST_KAFKA_BOOTSTRAP); skipped without it. Topic names carry
 * this process's id and the time, so runs against a long-lived broker do
 * not meet each other's topics; every test deletes what it created. */

static const char *real_bootstrap;
static char run_tag[48];

static void broker_setup(void)
{
    real_bootstrap = getenv("SLUICE_TEST_KAFKA_BOOTSTRAP");
    if (real_bootstrap && !*real_bootstrap)
        real_bootstrap = NULL;
    snprintf(run_tag, sizeof run_tag, "sl-%ld-%lld", (long)getpid(), (long long)time(NULL));
    arena = sl_arena_new(0);
    sl_error_clear(&err);
}

static char eos_dir[64];     /* the data directory of broker_eos_log's logs */

static void broker_teardown(void)
{
    sl_arena_free(arena);
    if (eos_dir[0]) {
        char cmd[96];
        snprintf(cmd, sizeof cmd, "rm -rf %s", eos_dir);
        cr_expect_eq(system(cmd), 0);
        eos_dir[0] = 0;
    }
}

TestSuite(kafka_broker, .init = broker_setup, .fini = broker_teardown, .timeout = 180);

static sl_log *broker_log(void)
{
    if (!real_bootstrap)
        cr_skip_test("SLUICE_TEST_KAFKA_BOOTSTRAP is not set (tests/kafka/run.sh sets it)");
    sl_log_kafka_opts o = {.bootstrap_servers = real_bootstrap, .client_id = "sluice-test",
                           .timeout_ms = 30000};
    sl_log *log = sl_log_open_kafka(&o, &err);
    cr_assert_not_null(log, "open %s: %s", real_bootstrap, err.msg);
    return log;
}

/* a topic name unique to this run: TAG-suffix, in a static buffer per slot */
static const char *tname(int slot, const char *suffix)
{
    static char names[8][128];
    snprintf(names[slot], sizeof names[slot], "%s-%s", run_tag, suffix);
    return names[slot];
}

static bool listed(const char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return true;
    return false;
}

/* A new topic that keeps its records forever: the tests' timestamps are
 * old, and a broker deletes records older than retention.ms (the active
 * segment too) whenever its retention check runs. */
static void broker_topic(sl_log *log, const char *name, int32_t partitions)
{
    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = partitions;
    cfg.retention_ms = -1;
    bool created = false;
    cr_assert_eq(sl_log_create_topic(log, name, &cfg, &created, &err), 0, "create %s: %s", name,
                 err.msg);
    cr_assert(created, "%s is new", name);
}

Test(kafka_broker, topics_created_described_listed_deleted)
{
    sl_log *log = broker_log();
    const char *plain = tname(0, "plain"), *compacted = tname(1, "compacted");

    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = 3;
    cfg.retention_ms = 3600000;
    cfg.retention_bytes = 1048576;
    bool created = false;
    cr_assert_eq(sl_log_create_topic(log, plain, &cfg, &created, &err), 0, "%s", err.msg);
    cr_assert(created);
    sl_topic_config ccfg = sl_topic_config_default();
    ccfg.partitions = 1;
    ccfg.retention_ms = -1;
    ccfg.cleanup = SL_CLEANUP_COMPACT;
    cr_assert_eq(sl_log_create_topic(log, compacted, &ccfg, &created, &err), 0, "%s", err.msg);
    cr_assert(created);

    /* what the broker keeps is what was asked for */
    sl_topic_info ti;
    cr_assert_eq(sl_log_describe_topic(log, plain, arena, &ti, &err), 0, "%s", err.msg);
    cr_assert_str_eq(ti.name, plain);
    cr_assert_eq(ti.config.partitions, 3);
    cr_assert_eq(ti.config.retention_ms, 3600000);
    cr_assert_eq(ti.config.retention_bytes, 1048576);
    cr_assert_eq(ti.config.cleanup, SL_CLEANUP_DELETE);
    for (int p = 0; p < 3; p++) {
        cr_assert_eq(ti.partitions[p].partition, p);
        cr_assert_eq(ti.partitions[p].start_offset, 0);
        cr_assert_eq(ti.partitions[p].end_offset, 0, "a new topic is empty");
    }
    cr_assert_eq(sl_log_describe_topic(log, compacted, arena, &ti, &err), 0, "%s", err.msg);
    cr_assert_eq(ti.config.partitions, 1);
    cr_assert_eq(ti.config.cleanup, SL_CLEANUP_COMPACT);
    cr_assert_eq(ti.config.retention_ms, -1);

    /* again with the same partition count: accepted, not created */
    created = true;
    cr_assert_eq(sl_log_create_topic(log, plain, &cfg, &created, &err), 0, "%s", err.msg);
    cr_assert_not(created);
    /* with another: refused, and the topic is unchanged */
    sl_topic_config more = cfg;
    more.partitions = 5;
    cr_assert_eq(sl_log_create_topic(log, plain, &more, &created, &err), -1);
    char want[300];
    snprintf(want, sizeof want, "%s exists with 3 partitions, not 5", plain);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    cr_assert_not(created);
    cr_assert_eq(sl_log_describe_topic(log, plain, arena, &ti, &err), 0, "%s", err.msg);
    cr_assert_eq(ti.config.partitions, 3);
    cr_assert_eq(sl_log_create_topic(log, "bad/name", &cfg, NULL, &err), -1);
    cr_assert(strstr(err.msg, "invalid topic name"), "%s", err.msg);

    /* a consumer group makes the broker create __consumer_offsets: hidden */
    sl_log_txn *t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_set_position(t, tname(2, "g"), plain, 0, 0, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    const char **names = NULL;
    int n = 0;
    cr_assert_eq(sl_log_list_topics(log, arena, &names, &n, &err), 0, "%s", err.msg);
    cr_assert(listed(names, n, plain) && listed(names, n, compacted));
    cr_assert_not(listed(names, n, "__consumer_offsets"), "internal topics are hidden");
    for (int i = 1; i < n; i++)
        cr_assert_lt(strcmp(names[i - 1], names[i]), 0, "sorted: %s before %s", names[i - 1],
                     names[i]);

    /* deleted: gone from describe and list; deleting again is an error */
    cr_assert_eq(sl_log_delete_topic(log, compacted, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_describe_topic(log, compacted, arena, &ti, &err), -1);
    cr_assert(strstr(err.msg, "does not exist"), "%s", err.msg);
    cr_assert_eq(sl_log_list_topics(log, arena, &names, &n, &err), 0, "%s", err.msg);
    cr_assert_not(listed(names, n, compacted));
    cr_assert(listed(names, n, plain));
    cr_assert_eq(sl_log_delete_topic(log, compacted, &err), -1);
    cr_assert(strstr(err.msg, "does not exist"), "%s", err.msg);
    t = sl_log_txn_begin(log);
    sl_record r = rec_kv("k", "v", 1);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(sl_log_txn_append(t, plain, 1, &r, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_end_offset(log, plain, 1, &err), 3);
    cr_assert_eq(sl_log_delete_topic(log, plain, &err), 0, "%s", err.msg);
    sl_log_close(log);

    /* another client sees the deletions */
    log = broker_log();
    cr_assert_eq(sl_log_list_topics(log, arena, &names, &n, &err), 0, "%s", err.msg);
    cr_assert_not(listed(names, n, plain));
    /* created again, with another partition count: new and empty */
    cfg.partitions = 2;
    cr_assert_eq(sl_log_create_topic(log, plain, &cfg, &created, &err), 0, "%s", err.msg);
    cr_assert(created);
    cr_assert_eq(sl_log_describe_topic(log, plain, arena, &ti, &err), 0, "%s", err.msg);
    cr_assert_eq(ti.config.partitions, 2);
    cr_assert_eq(ti.partitions[1].end_offset, 0, "the old records are gone");
    cr_assert_eq(sl_log_delete_topic(log, plain, &err), 0, "%s", err.msg);
    sl_log_close(log);
}

Test(kafka_broker, appended_records_read_back)
{
    sl_log *log = broker_log();
    const char *topic = tname(0, "records");
    enum { PARTS = 3, KEYED = 30 };
    broker_topic(log, topic, PARTS);
    cr_assert_eq(sl_log_end_offset(log, topic, 0, &err), 0, "%s", err.msg);

    /* explicit partition: keys, null and empty values, headers, timestamps */
    sl_log_header hs[3] = {
        {"trace", 5, "abc", 3},
        {"empty", 5, "", 0},
        {"none", 4, NULL, -1},
    };
    sl_record recs[4] = {
        rec_kv("k1", "v1", 1700000000001),
        rec_kv("k2", NULL, 1700000000002),
        rec_kv(NULL, "keyless", 1700000000003),
        rec_kv("", "", 1700000000004),
    };
    recs[0].headers = hs;
    recs[0].n_headers = 3;
    sl_log_txn *t = sl_log_txn_begin(log);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(sl_log_txn_append(t, topic, 2, &recs[i], NULL, NULL, &err), 0, "%s", err.msg);
    /* keyed records to the partition Kafka's default partitioner picks */
    char keys[KEYED][16];
    int32_t where[KEYED];
    int per_part[PARTS] = {0};
    for (int i = 0; i < KEYED; i++) {
        snprintf(keys[i], sizeof keys[i], "user-%d", i * 7919);
        sl_record r = rec_kv(keys[i], keys[i], 1700000001000 + i);
        cr_assert_eq(sl_log_txn_append(t, topic, -1, &r, &where[i], NULL, &err), 0, "%s",
                     err.msg);
        cr_assert_eq(where[i], sl_partitioner_for_key(keys[i], strlen(keys[i]), PARTS));
        per_part[where[i]]++;
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
    for (int p = 0; p < PARTS; p++)
        cr_assert_eq(sl_log_end_offset(log, topic, p, &err), per_part[p] + (p == 2 ? 4 : 0),
                     "partition %d", p);

    /* read back by another client, as a restarted query would */
    sl_log_close(log);
    log = broker_log();
    static sl_record out[PARTS][KEYED + 8];
    int n[PARTS];
    for (int p = 0; p < PARTS; p++)
        n[p] = read_all(log, topic, p, 0, out[p], KEYED + 8);
    cr_assert_eq(n[2], per_part[2] + 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(out[2][i].offset, i);
        cr_assert_eq(out[2][i].partition, 2);
        cr_assert_eq(out[2][i].timestamp, recs[i].timestamp, "record %d keeps its timestamp", i);
    }
    cr_assert(bytes_eq(out[2][0].key, out[2][0].key_len, "k1"));
    cr_assert(bytes_eq(out[2][0].value, out[2][0].value_len, "v1"));
    cr_assert(bytes_eq(out[2][1].key, out[2][1].key_len, "k2"));
    cr_assert_eq(out[2][1].value_len, -1, "a tombstone stays a tombstone");
    cr_assert_eq(out[2][2].key_len, -1, "a null key stays null");
    cr_assert_eq(out[2][3].key_len, 0, "an empty key is not null");
    cr_assert_not_null(out[2][3].key);
    cr_assert_eq(out[2][3].value_len, 0, "an empty value is not a tombstone");
    cr_assert_eq(out[2][0].n_headers, 3);
    cr_assert_eq(memcmp(out[2][0].headers[0].key, "trace", 5), 0);
    cr_assert(bytes_eq(out[2][0].headers[0].value, out[2][0].headers[0].value_len, "abc"));
    cr_assert_eq(out[2][0].headers[1].value_len, 0);
    cr_assert_eq(out[2][0].headers[2].value_len, -1, "a null header value stays null");
    cr_assert_eq(out[2][1].n_headers, 0);
    for (int i = 0; i < KEYED; i++) {
        int p = where[i], found = 0;
        for (int j = 0; j < n[p]; j++)
            if (bytes_eq(out[p][j].key, out[p][j].key_len, keys[i])) {
                found++;
                cr_assert(bytes_eq(out[p][j].value, out[p][j].value_len, keys[i]));
                cr_assert_eq(out[p][j].timestamp, 1700000001000 + i);
            }
        cr_assert_eq(found, 1, "key %s once on partition %d", keys[i], p);
    }

    /* reads that continue from the middle and go back */
    int got = 0;
    cr_assert_eq(sl_log_read(log, topic, 2, 1, 2, arena, out[0], &got, &err), 0, "%s", err.msg);
    cr_assert(got >= 1 && got <= 2, "read 1..2 records, got %d", got);
    cr_assert_eq(out[0][0].offset, 1);
    cr_assert(bytes_eq(out[0][0].key, out[0][0].key_len, "k2"));
    cr_assert_eq(sl_log_read(log, topic, 2, 0, 1, arena, out[0], &got, &err), 0, "%s", err.msg);
    cr_assert_eq(got, 1);
    cr_assert_eq(out[0][0].offset, 0);

    /* missing topics and partitions */
    t = sl_log_txn_begin(log);
    sl_record r = rec_kv("k", "v", 1);
    cr_assert_eq(sl_log_txn_append(t, tname(1, "absent"), -1, &r, NULL, NULL, &err), -1);
    cr_assert(strstr(err.msg, "does not exist"), "%s", err.msg);
    cr_assert_eq(sl_log_txn_append(t, topic, PARTS, &r, NULL, NULL, &err), -1);
    cr_assert(strstr(err.msg, "no partition 3"), "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "nothing was appended: %s", err.msg);
    cr_assert_eq(sl_log_read(log, tname(1, "absent"), 0, 0, 1, arena, out[0], &got, &err), -1);

    cr_assert_eq(sl_log_delete_topic(log, topic, &err), 0, "%s", err.msg);
    sl_log_close(log);
}

/* Many records in many transactions: every one read back once, in order. */
Test(kafka_broker, many_records_in_order)
{
    sl_log *log = broker_log();
    const char *topic = tname(0, "many");
    enum { TXNS = 20, PER_TXN = 500, TOTAL = TXNS * PER_TXN };
    broker_topic(log, topic, 2);
    for (int b = 0; b < TXNS; b++) {
        sl_log_txn *t = sl_log_txn_begin(log);
        for (int i = 0; i < PER_TXN; i++) {
            char v[32];
            snprintf(v, sizeof v, "r%d", b * PER_TXN + i);
            sl_record r = rec_kv(NULL, v, 1700000000000 + b * PER_TXN + i);
            cr_assert_eq(sl_log_txn_append(t, topic, 1, &r, NULL, NULL, &err), 0, "%s", err.msg);
        }
        cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_log_end_offset(log, topic, 1, &err), TOTAL);
    cr_assert_eq(sl_log_end_offset(log, topic, 0, &err), 0);
    int64_t next = 0;
    static sl_record out[1000];
    while (next < TOTAL) {
        int n = 0;
        sl_arena_reset(arena);
        cr_assert_eq(sl_log_read(log, topic, 1, next, 1000, arena, out, &n, &err), 0, "%s",
                     err.msg);
        cr_assert_gt(n, 0, "a read below the end offset at %lld found nothing", (long long)next);
        for (int i = 0; i < n; i++) {
            char v[32];
            snprintf(v, sizeof v, "r%d", (int)(next + i));
            cr_assert_eq(out[i].offset, next + i);
            cr_assert(bytes_eq(out[i].value, out[i].value_len, v), "offset %lld",
                      (long long)out[i].offset);
            cr_assert_eq(out[i].timestamp, 1700000000000 + next + i);
        }
        next += n;
    }
    int n = -1;
    cr_assert_eq(sl_log_read(log, topic, 1, TOTAL, 10, arena, out, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 0, "nothing past the end");
    cr_assert_eq(sl_log_delete_topic(log, topic, &err), 0, "%s", err.msg);
    sl_log_close(log);
}

Test(kafka_broker, committed_positions)
{
    sl_log *log = broker_log();
    const char *topic = tname(0, "in");
    const char *q1 = tname(1, "q1"), *q2 = tname(2, "q2"), *q3 = tname(3, "q3");
    broker_topic(log, topic, 2);
    cr_assert_eq(sl_log_position(log, q1, topic, 0), -1, "nothing committed yet");

    /* positions commit with the records they cover */
    sl_log_txn *t = sl_log_txn_begin(log);
    sl_record r = rec_kv("k", "v", 1);
    cr_assert_eq(sl_log_txn_append(t, topic, 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_set_position(t, q1, topic, 0, 10, &err), 0);
    cr_assert_eq(sl_log_txn_set_position(t, q1, topic, 1, 20, &err), 0);
    cr_assert_eq(sl_log_txn_set_position(t, q2, topic, 0, 5, &err), 0);
    cr_assert_eq(sl_log_txn_set_position(t, q1, topic, 0, 11, &err), 0);   /* the last wins */
    uint64_t seq = sl_log_commit_seq(log);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
    cr_assert_neq(sl_log_commit_seq(log), seq, "a commit wakes waiters");
    cr_assert_eq(sl_log_position(log, q1, topic, 0), 11);
    cr_assert_eq(sl_log_position(log, q1, topic, 1), 20);
    cr_assert_eq(sl_log_position(log, q2, topic, 0), 5);
    cr_assert_eq(sl_log_position(log, q2, topic, 1), -1);
    cr_assert_eq(sl_log_position(log, q3, topic, 0), -1);

    /* an aborted transaction commits no position */
    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_set_position(t, q1, topic, 0, 99, &err), 0);
    sl_log_txn_abort(t);
    cr_assert_eq(sl_log_position(log, q1, topic, 0), 11);

    /* a later commit moves it on */
    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_set_position(t, q1, topic, 0, 12, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_position(log, q1, topic, 0), 12);
    sl_log_close(log);

    /* positions live in the broker, not in this process */
    log = broker_log();
    cr_assert_eq(sl_log_position(log, q1, topic, 0), 12);
    cr_assert_eq(sl_log_position(log, q1, topic, 1), 20);
    cr_assert_eq(sl_log_position(log, q2, topic, 0), 5);
    cr_assert_eq(sl_log_delete_topic(log, topic, &err), 0, "%s", err.msg);
    sl_log_close(log);
}

/* Writers on several threads, each its own partition and group, and a
 * reader following one partition while it grows, on the real broker. */
typedef struct bwriter {
    sl_log *log;
    const char *topic;
    int id;
} bwriter;

static void *broker_writer(void *arg)
{
    bwriter *w = arg;
    sl_error e;
    char group[160];
    snprintf(group, sizeof group, "%s-w%d", w->topic, w->id);
    for (int t = 0; t < TXNS; t++) {
        sl_log_txn *tx = sl_log_txn_begin(w->log);
        for (int i = 0; i < PER_TXN; i++) {
            char v[32];
            snprintf(v, sizeof v, "%d-%d", w->id, t * PER_TXN + i);
            sl_record r = rec_kv(NULL, v, 1);
            if (sl_log_txn_append(tx, w->topic, w->id, &r, NULL, NULL, &e)) {
                sl_log_txn_abort(tx);
                return (void *)1;
            }
        }
        if (sl_log_txn_set_position(tx, group, w->topic, w->id, (t + 1) * PER_TXN, &e) ||
            sl_log_txn_commit(tx, &e))
            return (void *)1;
    }
    return NULL;
}

Test(kafka_broker, concurrent_writers_and_a_reader)
{
    sl_log *log = broker_log();
    const char *topic = tname(0, "shared");
    broker_topic(log, topic, WRITERS);
    pthread_t th[WRITERS];
    bwriter args[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (bwriter){log, topic, i};
        cr_assert_eq(pthread_create(&th[i], NULL, broker_writer, &args[i]), 0);
    }
    enum { TOTAL = TXNS * PER_TXN };
    int64_t next = 0;
    while (next < TOTAL) {
        sl_record out[64];
        int n = 0;
        sl_arena_reset(arena);
        uint64_t seq = sl_log_commit_seq(log);
        cr_assert_eq(sl_log_read(log, topic, 0, next, 64, arena, out, &n, &err), 0, "%s",
                     err.msg);
        for (int i = 0; i < n; i++) {
            char v[32];
            snprintf(v, sizeof v, "0-%d", (int)(next + i));
            cr_assert_eq(out[i].offset, next + i);
            cr_assert(bytes_eq(out[i].value, out[i].value_len, v), "offset %lld",
                      (long long)out[i].offset);
        }
        next += n;
        if (n == 0)
            sl_log_wait_since(log, seq, 100);
    }
    for (int i = 0; i < WRITERS; i++) {
        void *res;
        pthread_join(th[i], &res);
        cr_assert_null(res, "writer %d failed", i);
    }
    for (int i = 0; i < WRITERS; i++) {
        char group[160];
        snprintf(group, sizeof group, "%s-w%d", topic, i);
        int64_t end = sl_log_end_offset(log, topic, i, &err);
        cr_assert_eq(end, TOTAL, "partition %d ends at %lld (%s)", i, (long long)end, err.msg);
        cr_assert_eq(sl_log_position(log, group, topic, i), TOTAL);
    }
    cr_assert_eq(sl_log_delete_topic(log, topic, &err), 0, "%s", err.msg);
    sl_log_close(log);
}

/* ---- with Kafka's own Java clients (tests/kafka/broker.sh java ...) ---- */

static const char *java_tool(void)
{
    const char *tool = getenv("SLUICE_TEST_KAFKA_TOOL");
    if (!tool || !*tool)
        cr_skip_test("SLUICE_TEST_KAFKA_TOOL is not set (tests/kafka/run.sh sets it)");
    return tool;
}

/* Records produced by Kafka's console producer (Java's default partitioner)
 * are read by sluice on the partitions sluice computes for their keys. */
Test(kafka_broker, records_from_the_java_producer)
{
    sl_log *log = broker_log();
    const char *tool = java_tool();
    const char *topic = tname(0, "from-java");
    enum { PARTS = 3, KEYS = 24 };
    broker_topic(log, topic, PARTS);

    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' java org.apache.kafka.tools.ConsoleProducer --bootstrap-server %s --topic %s"
             " --property parse.key=true --property key.separator=:",
             tool, real_bootstrap, topic);
    FILE *jp = popen(cmd, "w");
    cr_assert_not_null(jp, "%s", cmd);
    char keys[KEYS][16];
    for (int i = 0; i < KEYS; i++) {
        snprintf(keys[i], sizeof keys[i], "user-%d", i * 7919);
        fprintf(jp, "%s:v%d\n", keys[i], i);
    }
    cr_assert_eq(pclose(jp), 0, "the Java producer failed: %s", cmd);

    static sl_record out[PARTS][KEYS];
    int n[PARTS], total = 0;
    for (int p = 0; p < PARTS; p++)
        total += n[p] = read_all(log, topic, p, 0, out[p], KEYS);
    cr_assert_eq(total, KEYS);
    for (int i = 0; i < KEYS; i++) {
        int32_t p = sl_partitioner_for_key(keys[i], strlen(keys[i]), PARTS);
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        int found = 0;
        for (int j = 0; j < n[p]; j++)
            if (bytes_eq(out[p][j].key, out[p][j].key_len, keys[i])) {
                found++;
                cr_assert(bytes_eq(out[p][j].value, out[p][j].value_len, v));
                cr_assert_gt(out[p][j].timestamp, 1600000000000LL);
            }
        cr_assert_eq(found, 1, "Java put key %s on partition %d, as sluice would", keys[i], p);
    }
    cr_assert_eq(sl_log_delete_topic(log, topic, &err), 0, "%s", err.msg);
    sl_log_close(log);
}

/* What sluice writes, Kafka's console consumer (read_committed) reads:
 * partition, key, value, timestamp and headers. */
Test(kafka_broker, records_read_by_the_java_consumer)
{
    sl_log *log = broker_log();
    const char *tool = java_tool();
    const char *topic = tname(0, "to-java");
    enum { PARTS = 2, RECS = 10 };
    broker_topic(log, topic, PARTS);
    sl_log_header h = {"trace", 5, "abc", 3};
    int32_t where[RECS];
    sl_log_txn *t = sl_log_txn_begin(log);
    for (int i = 0; i < RECS; i++) {
        char k[16], v[16];
        snprintf(k, sizeof k, "key-%d", i);
        snprintf(v, sizeof v, "val-%d", i);
        sl_record r = rec_kv(k, v, 1700000000000 + i);
        r.headers = &h;
        r.n_headers = 1;
        cr_assert_eq(sl_log_txn_append(t, topic, -1, &r, &where[i], NULL, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);

    /* its log (consumer internals at INFO) is shown when it fails */
    char logpath[] = "/tmp/sluice-java-consumer-XXXXXX";
    int lfd = mkstemp(logpath);
    cr_assert_geq(lfd, 0);
    close(lfd);
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "SLUICE_KAFKA_TOOL_OPTS=-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients=info"
             " '%s' java org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server %s"
             " --topic %s --from-beginning --max-messages %d --timeout-ms 60000"
             " --isolation-level read_committed --property print.key=true"
             " --property print.partition=true --property print.timestamp=true"
             " --property print.headers=true 2>'%s'",
             tool, real_bootstrap, topic, RECS, logpath);
    FILE *jc = popen(cmd, "r");
    cr_assert_not_null(jc, "%s", cmd);
    bool seen[RECS] = {false};
    int lines = 0;
    char line[512];
    while (fgets(line, sizeof line, jc)) {
        /* CreateTime:TS \t Partition:P \t HEADERS \t KEY \t VALUE */
        long long ts;
        int p;
        char hdrs[64], key[64], val[64];
        if (sscanf(line, "CreateTime:%lld\tPartition:%d\t%63[^\t]\t%63[^\t]\t%63[^\n]", &ts, &p,
                   hdrs, key, val) != 5)
            continue;
        lines++;
        int i = -1;
        cr_assert_eq(sscanf(key, "key-%d", &i), 1, "key %s", key);
        cr_assert(i >= 0 && i < RECS && !seen[i], "key %s once", key);
        seen[i] = true;
        char want[16];
        snprintf(want, sizeof want, "val-%d", i);
        cr_assert_str_eq(val, want);
        cr_assert_eq(p, where[i], "%s on partition %d, sluice said %d", key, p, where[i]);
        cr_assert_eq(ts, 1700000000000 + i, "%s keeps its timestamp", key);
        cr_assert_str_eq(hdrs, "trace:abc");
    }
    int jrc = pclose(jc);
    if (jrc || lines != RECS) {
        FILE *lf = fopen(logpath, "r");
        while (lf && fgets(line, sizeof line, lf))
            fputs(line, stderr);
        if (lf)
            fclose(lf);
    }
    unlink(logpath);
    cr_assert_eq(jrc, 0, "the Java consumer failed: %s", cmd);
    cr_assert_eq(lines, RECS, "the Java consumer read %d of %d records", lines, RECS);
    cr_assert_eq(sl_log_delete_topic(log, topic, &err), 0, "%s", err.msg);
    sl_log_close(log);
}

/* ---- exactly-once (processing.guarantee = exactly_once_v2) ---- */

/* A log whose transactions are Kafka transactions, its transactional ids
 * made from service id `svc` and the worker id kept in the test's data
 * directory (one per test: two logs of a test are the same worker). */
static sl_log *broker_eos_log(const char *svc, sl_error *e)
{
    if (!real_bootstrap)
        cr_skip_test("SLUICE_TEST_KAFKA_BOOTSTRAP is not set (tests/kafka/run.sh sets it)");
    if (!eos_dir[0]) {
        strcpy(eos_dir, "/tmp/sluice-eos-XXXXXX");
        cr_assert_not_null(mkdtemp(eos_dir));
    }
    sl_log_kafka_opts o = {.bootstrap_servers = real_bootstrap, .client_id = "sluice-test",
                           .timeout_ms = 30000, .service_id = svc, .data_dir = eos_dir,
                           .exactly_once = true};
    return sl_log_open_kafka(&o, e);
}

/* The values of every readable record of topic/partition, in order,
 * joined by ','. Read until a read finds nothing: transaction markers and
 * aborted records hold offsets below the end offset that no read returns. */
static const char *values_of(sl_log *log, const char *topic, int32_t p)
{
    static char out[4096];
    sl_record recs[64];
    size_t len = 0;
    out[0] = 0;
    int64_t from = 0;
    for (;;) {
        int n = 0;
        cr_assert_eq(sl_log_read(log, topic, p, from, 64, arena, recs, &n, &err), 0, "read: %s",
                     err.msg);
        if (n == 0)
            break;
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(out + len, sizeof out - len, "%s%.*s", len ? "," : "",
                                    (int)recs[i].value_len, (const char *)recs[i].value);
        from = recs[n - 1].offset + 1;
    }
    return out;
}

static void append_values(sl_log_txn *t, const char *topic, const char *const *vals)
{
    for (int i = 0; vals[i]; i++) {
        sl_record r = rec_kv(NULL, vals[i], 1);
        cr_assert_eq(sl_log_txn_append(t, topic, 0, &r, NULL, NULL, &err), 0, "append: %s",
                     err.msg);
    }
}

Test(kafka_broker, exactly_once_commits_and_aborts_records_and_positions_together)
{
    sl_log *log = broker_eos_log(run_tag, &err);
    cr_assert_not_null(log, "open with exactly_once: %s", err.msg);
    const char *topic = tname(0, "eos"), *q = tname(1, "eos-q");
    broker_topic(log, topic, 1);

    sl_log_txn *t = sl_log_txn_begin(log);
    append_values(t, topic, (const char *const[]){"a1", "a2", NULL});
    cr_assert_eq(sl_log_txn_set_position(t, q, topic, 0, 2, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
    cr_assert_eq(sl_log_position(log, q, topic, 0), 2);

    /* an abort after the records reached the broker: neither they nor the
     * position are ever seen */
    t = sl_log_txn_begin(log);
    append_values(t, topic, (const char *const[]){"b1", "b2", "b3", NULL});
    cr_assert_eq(sl_log_txn_set_position(t, q, topic, 0, 5, &err), 0);
    sl_log_txn_abort(t);
    cr_assert_eq(sl_log_position(log, q, topic, 0), 2, "an aborted position does not move");

    t = sl_log_txn_begin(log);
    append_values(t, topic, (const char *const[]){"c1", NULL});
    cr_assert_eq(sl_log_txn_set_position(t, q, topic, 0, 3, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
    cr_assert_eq(sl_log_position(log, q, topic, 0), 3);
    cr_assert_str_eq(values_of(log, topic, 0), "a1,a2,c1");

    /* a position alone is a transaction too */
    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_set_position(t, q, topic, 0, 40, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
    cr_assert_eq(sl_log_position(log, q, topic, 0), 40);

    /* a query that read everything is at the end offset, past the marker
     * that follows the last record */
    sl_record last;
    int n = 0;
    cr_assert_eq(sl_log_read(log, topic, 0, 0, 1, arena, &last, &n, &err), 0, "%s", err.msg);
    while (n == 1) {
        int64_t from = last.offset + 1;
        cr_assert_eq(sl_log_read(log, topic, 0, from, 1, arena, &last, &n, &err), 0, "%s",
                     err.msg);
        if (n == 0) {
            t = sl_log_txn_begin(log);
            cr_assert_eq(sl_log_txn_set_position(t, q, topic, 0, from, &err), 0);
            cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
        }
    }
    int64_t end = sl_log_end_offset(log, topic, 0, &err);
    cr_assert_eq(sl_log_position(log, q, topic, 0), end, "at the end offset %lld", (long long)end);
    sl_log_close(log);

    /* another client, at-least-once, reads the same: read_committed is
     * librdkafka's default too */
    log = broker_log();
    cr_assert_str_eq(values_of(log, topic, 0), "a1,a2,c1");
    cr_assert_eq(sl_log_position(log, q, topic, 0), end);
    cr_assert_eq(sl_log_delete_topic(log, topic, &err), 0, "%s", err.msg);
    sl_log_close(log);
}

/* A reader that reads up to an end offset (the replay of a service's
 * command topic by its next process) learns it is done although the last
 * offset below the end, the commit marker, is never returned; and the
 * writer, asking for the end right after its commit, sees it past the
 * marker (a statement's offset names its queries). */
Test(kafka_broker, exactly_once_a_reader_up_to_the_end_knows_the_marker_holds_no_record)
{
    sl_log *log = broker_eos_log(run_tag, &err);
    cr_assert_not_null(log, "open with exactly_once: %s", err.msg);
    const char *topic = tname(0, "eos-end");
    broker_topic(log, topic, 1);
    for (int i = 0; i < 2; i++) {
        sl_log_txn *t = sl_log_txn_begin(log);
        append_values(t, topic, (const char *const[]){i ? "s2" : "s1", NULL});
        cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
        /* one record and its marker per transaction */
        cr_assert_eq(sl_log_end_offset(log, topic, 0, &err), 2 * (i + 1),
                     "the end right after commit %d", i + 1);
    }

    sl_log *other = broker_log();
    int64_t end = sl_log_end_offset(other, topic, 0, &err);
    cr_assert_eq(end, 4);
    cr_assert(!sl_log_read_at_end(other, topic, 0, end), "nothing read yet: not at the end");
    sl_record recs[8];
    int64_t from = 0;
    int got = 0, empty = 0;
    while (from < end && empty < 200) {
        int n = 0;
        cr_assert_eq(sl_log_read(other, topic, 0, from, 8, arena, recs, &n, &err), 0, "%s",
                     err.msg);
        if (n == 0) {
            if (sl_log_read_at_end(other, topic, 0, end))
                break;
            empty++;
            continue;
        }
        got += n;
        from = recs[n - 1].offset + 1;
    }
    cr_assert_eq(got, 2, "both records read");
    cr_assert_eq(from, 3, "the last record at offset 2, its marker at 3");
    cr_assert(sl_log_read_at_end(other, topic, 0, end), "the reader knows it is done");
    cr_assert_eq(sl_log_delete_topic(other, topic, &err), 0, "%s", err.msg);
    sl_log_close(other);
    sl_log_close(log);
}

/* An aggregation keeps its transaction open across batches while the
 * worker runs other tasks: transactions open at once, on one thread,
 * commit or abort independently. */
Test(kafka_broker, exactly_once_transactions_open_at_once_are_independent)
{
    sl_log *log = broker_eos_log(run_tag, &err);
    cr_assert_not_null(log, "open with exactly_once: %s", err.msg);
    const char *topic = tname(0, "eos-many");
    broker_topic(log, topic, 1);
    sl_log_txn *t1 = sl_log_txn_begin(log), *t2 = sl_log_txn_begin(log);
    sl_log_txn *t3 = sl_log_txn_begin(log);
    append_values(t1, topic, (const char *const[]){"one", NULL});
    append_values(t2, topic, (const char *const[]){"two", NULL});
    append_values(t3, topic, (const char *const[]){"three", NULL});
    append_values(t1, topic, (const char *const[]){"one-b", NULL});
    cr_assert_eq(sl_log_txn_commit(t2, &err), 0, "commit: %s", err.msg);
    sl_log_txn_abort(t3);
    cr_assert_eq(sl_log_txn_commit(t1, &err), 0, "commit: %s", err.msg);
    /* in the order the producers delivered them: t1's two records may
     * come before or after t2's */
    const char *got = values_of(log, topic, 0);
    cr_assert(!strcmp(got, "one,two,one-b") || !strcmp(got, "one,one-b,two") ||
                  !strcmp(got, "two,one,one-b"),
              "the committed records, the aborted one left out: %s", got);
    cr_assert_eq(sl_log_delete_topic(log, topic, &err), 0, "%s", err.msg);
    sl_log_close(log);
}

/* A second process of the service with exactly-once takes over its
 * transactional ids: the first one's open transaction is aborted and it
 * commits no more, with a message saying why. */
Test(kafka_broker, exactly_once_a_second_process_fences_the_first)
{
    char svc[96];
    snprintf(svc, sizeof svc, "%s-fence", run_tag);
    sl_log *first = broker_eos_log(svc, &err);
    cr_assert_not_null(first, "open with exactly_once: %s", err.msg);
    const char *topic = tname(0, "eos-fence");
    broker_topic(first, topic, 1);
    sl_log_txn *t = sl_log_txn_begin(first);
    append_values(t, topic, (const char *const[]){"zombie", NULL});

    sl_error e2;
    sl_log *second = broker_eos_log(svc, &e2);
    cr_assert_not_null(second, "the second opens: %s", e2.msg);
    cr_assert_neq(sl_log_txn_commit(t, &err), 0, "the fenced process cannot commit");
    t = sl_log_txn_begin(first);
    sl_record r = rec_kv(NULL, "zombie-2", 1);
    int rc = sl_log_txn_append(t, topic, 0, &r, NULL, NULL, &err);
    if (rc)
        sl_log_txn_abort(t);
    else
        rc = sl_log_txn_commit(t, &err);
    cr_assert_neq(rc, 0, "nor later");
    cr_assert(strstr(err.msg, "another process took over"), "says why: %s", err.msg);

    t = sl_log_txn_begin(second);
    append_values(t, topic, (const char *const[]){"new", NULL});
    cr_assert_eq(sl_log_txn_commit(t, &e2), 0, "commit: %s", e2.msg);
    cr_assert_str_eq(values_of(second, topic, 0), "new");
    sl_log_close(first);
    cr_assert_eq(sl_log_delete_topic(second, topic, &e2), 0, "%s", e2.msg);
    sl_log_close(second);
}
