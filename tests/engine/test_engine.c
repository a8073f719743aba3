/*
 * test_engine.c: the engine on a data directory: open and close, the lock
 * against a second process (the error names the holder's pid), and the
 * journal: streams, types and a persistent query come back after a restart
 * with the same query id, and the query resumes without duplicates.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/catalog.h"
#include "engine/engine.h"
#include "engine/exec.h"
#include "engine/runtime.h"
#include "log/log.h"

#include "fixture.h"

TestSuite(engine, .init = fixture_dir_make, .fini = fixture_dir_remove);

static int64_t topic_records(sl_engine *e, const char *topic)
{
    sl_arena *a = sl_arena_new(0);
    sl_topic_info ti;
    sl_error err;
    cr_assert_eq(sl_log_describe_topic(sl_engine_log(e), topic, a, &ti, &err), 0, "%s", err.msg);
    int64_t n = 0;
    for (int p = 0; p < ti.config.partitions; p++)
        n += ti.partitions[p].end_offset - ti.partitions[p].start_offset;
    sl_arena_free(a);
    return n;
}

Test(engine, open_close)
{
    sl_engine_opts o = {.data_dir = fixture_dir};
    sl_error err;
    sl_engine *e = sl_engine_open(&o, &err);
    cr_assert_not_null(e, "%s", err.msg);
    cr_expect_str_eq(sl_engine_data_dir(e), fixture_dir);
    const sl_source *pl = sl_catalog_find_source(sl_engine_catalog(e), SL_PROCESSING_LOG_STREAM);
    cr_assert_not_null(pl, "the processing log stream is there from the start");
    cr_expect_str_eq(pl->kafka_topic, SL_PROCESSING_LOG_TOPIC);
    cr_expect_geq(sl_schema_find(&pl->schema, NULL, "ERROR_KIND"), 0);
    cr_expect_eq(sl_runtime_query_count(sl_engine_runtime(e)), 0);
    sl_engine_close(e);
    /* the directory is free again */
    e = sl_engine_open(&o, &err);
    cr_assert_not_null(e, "%s", err.msg);
    sl_engine_close(e);
}

Test(engine, lock_names_holder)
{
    int ready[2], stop[2];
    cr_assert_eq(pipe(ready), 0);
    cr_assert_eq(pipe(stop), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        sl_engine_opts o = {.data_dir = fixture_dir, .threads = 1};
        sl_error err;
        sl_engine *e = sl_engine_open(&o, &err);
        char c = e ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1)
            _exit(2);
        if (read(stop[0], &c, 1) < 0)
            _exit(2);
        sl_engine_close(e);
        _exit(0);
    }
    char c = 0;
    cr_assert_eq(read(ready[0], &c, 1), 1);
    cr_assert_eq(c, 'y', "the child opened the engine");
    sl_engine_opts o = {.data_dir = fixture_dir};
    sl_error err;
    sl_engine *e = sl_engine_open(&o, &err);
    cr_expect_null(e);
    char want[64];
    snprintf(want, sizeof want, "in use by process %d", (int)pid);
    cr_expect(strstr(err.msg, want) != NULL, "expected '%s' in: %s", want, err.msg);
    sl_engine_close(e);
    cr_assert_eq(write(stop[1], "x", 1), 1);
    int st = 0;
    waitpid(pid, &st, 0);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* released with the child */
    e = sl_engine_open(&o, &err);
    cr_expect_not_null(e, "%s", err.msg);
    sl_engine_close(e);
}

Test(engine, journal_replay)
{
    sess t;
    sess_open_as(&t, SL_OUTPUT_TABLE);
    cr_assert_eq(sess_run(&t,
        "CREATE TYPE money AS DECIMAL(10, 2);\n"
        "CREATE STREAM src (id INT KEY, v INT, amount money) WITH (KAFKA_TOPIC='src', "
        "VALUE_FORMAT='JSON', PARTITIONS=2);\n"
        "INSERT INTO src (id, v, amount) VALUES (1, 1, 1.50);\n"
        "INSERT INTO src (id, v, amount) VALUES (2, 2, 2.50);\n"
        "INSERT INTO src (id, v, amount) VALUES (3, 3, 3.50);\n"
        "SET 'auto.offset.reset' = 'earliest';\n"
        "CREATE STREAM big AS SELECT id, v FROM src WHERE v > 1;\n"), 0, "%s", t.eb);
    /* journal: 0 CREATE TYPE, 1 CREATE STREAM, 2 the CSAS */
    cr_expect(strstr(t.ob, "Created query with ID CSAS_BIG_2") != NULL, "%s", t.ob);
    sess_wait_idle(&t);
    cr_expect_eq(topic_records(sl_session_engine(t.s), "BIG"), 2);
    sess_close(&t);

    sess_open_as(&t, SL_OUTPUT_TABLE);
    sl_engine *e = sl_session_engine(t.s);
    sl_catalog *cat = sl_engine_catalog(e);
    cr_expect_not_null(sl_catalog_find_type(cat, "MONEY"));
    cr_assert_not_null(sl_catalog_find_source(cat, "SRC"));
    const sl_source *big = sl_catalog_find_source(cat, "BIG");
    cr_assert_not_null(big, "the CSAS sink came back");
    cr_expect_str_eq(big->kafka_topic, "BIG");
    cr_assert_eq(sl_runtime_query_count(sl_engine_runtime(e)), 1);
    cr_expect_str_eq(sl_query_id(sl_runtime_query_at(sl_engine_runtime(e), 0)), "CSAS_BIG_2");
    /* the SET in force when the query was made is not left set after replay */
    cr_expect(!sl_catalog_property_is_set(cat, "auto.offset.reset"));
    sess_wait_idle(&t);
    cr_expect_eq(topic_records(e, "BIG"), 2, "no record written twice after the restart");
    cr_assert_eq(sess_run(&t, "INSERT INTO src (id, v, amount) VALUES (4, 9, 0.25);"), 0, "%s",
                 t.eb);
    sess_wait_idle(&t);
    cr_expect_eq(topic_records(e, "BIG"), 3, "the query resumed where it was");
    cr_assert_eq(sess_run(&t, "SHOW QUERIES;"), 0, "%s", t.eb);
    cr_expect(strstr(t.ob, "CSAS_BIG_2") && strstr(t.ob, "RUNNING"), "%s", t.ob);
    /* TERMINATE is journaled too; what arrives after it is never read */
    cr_assert_eq(sess_run(&t, "TERMINATE CSAS_BIG_2;"), 0, "%s", t.eb);
    cr_assert_eq(sess_run(&t, "INSERT INTO src (id, v, amount) VALUES (5, 7, 0.5);"), 0, "%s",
                 t.eb);
    sess_close(&t);

    sess_open_as(&t, SL_OUTPUT_TABLE);
    e = sl_session_engine(t.s);
    cr_expect_eq(sl_runtime_query_count(sl_engine_runtime(e)), 0, "terminated stays terminated");
    cr_expect_not_null(sl_catalog_find_source(sl_engine_catalog(e), "BIG"));
    sess_wait_idle(&t);
    cr_expect_eq(topic_records(e, "BIG"), 3);
    sess_close(&t);
}

Test(engine, replay_keeps_topics_made_after_a_drop)
{
    sess t;
    sess_open_as(&t, SL_OUTPUT_TABLE);
    cr_assert_eq(sess_run(&t,
        "CREATE STREAM t1 (a INT) WITH (KAFKA_TOPIC='t1', VALUE_FORMAT='JSON', PARTITIONS=1);\n"
        "INSERT INTO t1 (a) VALUES (1);\n"
        "DROP STREAM t1 DELETE TOPIC;\n"
        "CREATE STREAM t1 (a INT) WITH (KAFKA_TOPIC='t1', VALUE_FORMAT='JSON', PARTITIONS=1);\n"
        "INSERT INTO t1 (a) VALUES (2);\n"
        "INSERT INTO t1 (a) VALUES (3);\n"
        "CREATE STREAM gone (a INT) WITH (KAFKA_TOPIC='gone', VALUE_FORMAT='JSON', "
        "PARTITIONS=1);\n"
        "DROP STREAM gone DELETE TOPIC;\n"), 0, "%s", t.eb);
    cr_expect_eq(topic_records(sl_session_engine(t.s), "t1"), 2);
    sess_close(&t);

    sess_open_as(&t, SL_OUTPUT_TABLE);
    sl_engine *e = sl_session_engine(t.s);
    cr_expect_not_null(sl_catalog_find_source(sl_engine_catalog(e), "T1"));
    cr_expect_null(sl_catalog_find_source(sl_engine_catalog(e), "GONE"));
    cr_expect_eq(topic_records(e, "t1"), 2, "the replayed DROP ... DELETE TOPIC kept the new data");
    cr_expect_eq(sl_catalog_topic_partitions(sl_engine_catalog(e), "gone"), -1,
                 "a topic deleted before the restart is not made again");
    sess_close(&t);
}

Test(engine, no_replay_and_bad_entry)
{
    sess t;
    sess_open_as(&t, SL_OUTPUT_TABLE);
    cr_assert_eq(sess_run(&t, "CREATE STREAM s1 (a INT) WITH (KAFKA_TOPIC='s1', "
                              "VALUE_FORMAT='JSON', PARTITIONS=1);"), 0, "%s", t.eb);
    /* an entry that is not JSON is skipped on replay, not fatal */
    sl_log *log = sl_engine_log(sl_session_engine(t.s));
    sl_record rec = {0};
    rec.key_len = -1;
    rec.value = "{oops";
    rec.value_len = 5;
    rec.timestamp = -1;
    sl_error err;
    sl_log_txn *tx = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_append(tx, SL_JOURNAL_TOPIC, 0, &rec, NULL, NULL, &err), 0);
    cr_assert_eq(sl_log_txn_commit(tx, &err), 0);
    sess_close(&t);

    sl_engine_opts o = {.data_dir = fixture_dir, .no_replay = true};
    sl_engine *e = sl_engine_open(&o, &err);
    cr_assert_not_null(e, "%s", err.msg);
    cr_expect_null(sl_catalog_find_source(sl_engine_catalog(e), "S1"));
    sl_engine_close(e);
    o.no_replay = false;
    e = sl_engine_open(&o, &err);
    cr_assert_not_null(e, "%s", err.msg);
    cr_expect_not_null(sl_catalog_find_source(sl_engine_catalog(e), "S1"));
    sl_engine_close(e);
}

Test(engine, paused_query_stays_paused)
{
    sess t;
    sess_open_as(&t, SL_OUTPUT_TABLE);
    cr_assert_eq(sess_run(&t,
        "CREATE STREAM src (id INT KEY, v INT) WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON', "
        "PARTITIONS=1);\n"
        "CREATE STREAM out1 AS SELECT id, v FROM src;\n"
        "PAUSE CSAS_OUT1_1;\n"), 0, "%s", t.eb);
    sess_close(&t);

    sess_open_as(&t, SL_OUTPUT_TABLE);
    sl_runtime *rt = sl_engine_runtime(sl_session_engine(t.s));
    sl_query *q = sl_runtime_find(rt, "CSAS_OUT1_1");
    cr_assert_not_null(q);
    sl_query_stats st;
    sl_query_get_stats(q, &st);
    cr_expect_eq(st.state, SL_QUERY_PAUSED);
    cr_assert_eq(sess_run(&t, "RESUME CSAS_OUT1_1;"), 0, "%s", t.eb);
    sl_query_get_stats(q, &st);
    cr_expect_eq(st.state, SL_QUERY_RUNNING);
    sess_close(&t);
}

Test(engine, retention_is_enforced_in_the_background)
{
    sl_engine_opts eo = {.data_dir = fixture_dir, .retention_interval_ms = 50};
    sl_error err;
    sl_engine *e = sl_engine_open(&eo, &err);
    cr_assert_not_null(e, "%s", err.msg);
    sess t;
    memset(&t, 0, sizeof t);
    t.o = open_memstream(&t.ob, &t.ol);
    t.e = open_memstream(&t.eb, &t.el);
    sl_session_opts so = {.output = SL_OUTPUT_TABLE, .out = t.o, .err = t.e};
    t.s = sl_session_open(e, &so, &err);
    cr_assert_not_null(t.s, "%s", err.msg);
    cr_assert_eq(sess_run(&t, "CREATE STREAM old (v INT) WITH (KAFKA_TOPIC='old', "
                              "VALUE_FORMAT='JSON', PARTITIONS=1, RETENTION_MS=60000);"
                              "INSERT INTO old (ROWTIME, v) VALUES (1000, 1);"
                              "INSERT INTO old (ROWTIME, v) VALUES (2000, 2);"
                              "INSERT INTO old (v) VALUES (3);"),
                 0, "%s", t.eb);
    /* the two records from 1970 are past the one-minute retention; the new one is not */
    int64_t n = -1;
    for (int i = 0; i < 200 && (n = topic_records(e, "old")) != 1; i++)
        usleep(25 * 1000);
    cr_expect_eq(n, 1, "records left after retention: %lld", (long long)n);
    sess_close(&t);
    sl_engine_close(e);
}
