/*
 * test_exec_stream.c: streaming statements through sl_session_execute on a
 * real data directory: CREATE STREAM, INSERT VALUES, CREATE STREAM AS
 * SELECT with WHERE, projection and PARTITION BY, pull and push queries,
 * DESCRIBE EXTENDED counts, DROP refused while a query uses a stream,
 * TERMINATE, SHOW TOPICS [EXTENDED] / QUERIES, PRINT, EXPLAIN, INSERT INTO SELECT, and
 * a bad record that lands in KSQL_PROCESSING_LOG and the failed count.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/catalog.h"
#include "engine/engine.h"
#include "engine/exec.h"
#include "engine/runtime.h"
#include "log/log.h"

#include "fixture.h"

static sess T;

static void sess_reset_out(sess *t)
{
    fclose(t->o);
    fclose(t->e);
    free(t->ob);
    free(t->eb);
    t->ob = t->eb = NULL;
    t->o = open_memstream(&t->ob, &t->ol);
    t->e = open_memstream(&t->eb, &t->el);
}

static void setup(void)
{
    fixture_dir_make();
    memset(&T, 0, sizeof T);
    T.o = open_memstream(&T.ob, &T.ol);
    T.e = open_memstream(&T.eb, &T.el);
}

static void teardown(void)
{
    sl_session_free(T.s);
    fclose(T.o);
    fclose(T.e);
    free(T.ob);
    free(T.eb);
    fixture_dir_remove();
}

TestSuite(exec_stream, .init = setup, .fini = teardown);

/* Runs sql in a fresh session on the test engine with fresh output
 * buffers; T.ob / T.eb hold what it wrote. */
static sl_engine *g_engine;

static int exec(const char *sql)
{
    sess_reset_out(&T);
    sl_session_free(T.s);
    sl_session_opts opts = {.output = SL_OUTPUT_TABLE, .out = T.o, .err = T.e};
    sl_error err;
    T.s = sl_session_open(g_engine, &opts, &err);
    cr_assert_not_null(T.s);
    int rc = sl_session_execute(T.s, sql, strlen(sql), "t.sql");
    fflush(T.o);
    fflush(T.e);
    return rc;
}

#define OK(sql) cr_assert_eq(exec(sql), 0, "%s\nfailed:\n%s", (sql), T.eb)
#define expect_in(hay, needle) \
    cr_expect((hay) && strstr((hay), (needle)) != NULL, "expected\n%s\nin:\n%s", (needle), (hay))
#define expect_not_in(hay, needle) \
    cr_expect(!(hay) || strstr((hay), (needle)) == NULL, "did not expect\n%s\nin:\n%s", \
              (needle), (hay))

static void engine_up(void)
{
    sl_engine_opts o = {.data_dir = fixture_dir};
    sl_error err;
    g_engine = sl_engine_open(&o, &err);
    cr_assert_not_null(g_engine, "%s", err.msg);
}

static void engine_down(void)
{
    sl_session_free(T.s);
    T.s = NULL;
    sl_engine_close(g_engine);
    g_engine = NULL;
}

static void idle(void)
{
    sl_error err;
    cr_assert_eq(sl_engine_wait_idle(g_engine, 30000, &err), 0, "%s", err.msg);
}

static const char *PV =
    "CREATE STREAM pageviews (user_id STRING KEY, page STRING, ms BIGINT) "
    "WITH (KAFKA_TOPIC='pv', VALUE_FORMAT='JSON', PARTITIONS=2);\n"
    "INSERT INTO pageviews (user_id, page, ms) VALUES ('alice', 'home', 5);\n"
    "INSERT INTO pageviews (user_id, page, ms) VALUES ('bob', 'cart', 20);\n"
    "INSERT INTO pageviews (user_id, page, ms) VALUES ('carol', 'home', 30);\n"
    "INSERT INTO pageviews (user_id, page, ms, ROWTIME) VALUES ('dave', 'news', 40, 1000);\n";

Test(exec_stream, needs_topic_partitions_and_counts_match)
{
    engine_up();
    cr_expect_eq(exec("CREATE STREAM x (a INT) WITH (KAFKA_TOPIC='xt', VALUE_FORMAT='JSON');"), 1);
    expect_in(T.eb, "PARTITIONS");
    OK("CREATE STREAM x (a INT) WITH (KAFKA_TOPIC='xt', VALUE_FORMAT='JSON', PARTITIONS=3);");
    expect_in(T.ob, "Stream created");
    cr_expect_eq(exec("CREATE STREAM y (a INT) WITH (KAFKA_TOPIC='xt', VALUE_FORMAT='JSON', "
                      "PARTITIONS=2);"), 1);
    expect_in(T.eb, "3 partitions");
    OK("CREATE STREAM y (a INT) WITH (KAFKA_TOPIC='xt', VALUE_FORMAT='JSON');");
    OK("SHOW TOPICS;");
    expect_in(T.ob, "| xt ");
    expect_not_in(T.ob, "_sluice_journal");
    engine_down();
}

Test(exec_stream, csas_end_to_end)
{
    engine_up();
    OK(PV);
    OK("SET 'auto.offset.reset' = 'earliest';");
    OK("CREATE STREAM by_page AS SELECT page, user_id, ms * 2 AS ms2 FROM pageviews "
       "WHERE ms > 10 PARTITION BY page;");
    /* journal: 0 CREATE STREAM, 1 the CSAS (INSERT and SET are not journaled) */
    expect_in(T.ob, "Created query with ID CSAS_BY_PAGE_1");
    idle();

    /* pull query over the sink: the three rows that passed WHERE, re-keyed by page */
    OK("SELECT * FROM by_page;");
    expect_in(T.ob, "| PAGE ");
    expect_in(T.ob, "| bob ");
    expect_in(T.ob, "| carol ");
    expect_in(T.ob, "| dave ");
    expect_in(T.ob, "| 80 ");
    expect_not_in(T.ob, "alice");
    OK("SELECT user_id FROM by_page WHERE ms2 >= 60 LIMIT 1;");
    cr_expect(strstr(T.ob, "carol") || strstr(T.ob, "dave"), "%s", T.ob);
    expect_not_in(T.ob, "bob");

    OK("DESCRIBE by_page;");
    expect_in(T.ob, "PAGE");
    expect_in(T.ob, "(key)");
    OK("DESCRIBE by_page EXTENDED;");
    expect_in(T.ob, "Queries that write from this STREAM : [CSAS_BY_PAGE_1]");
    expect_in(T.ob, "producer-total-messages: 3");
    OK("DESCRIBE pageviews EXTENDED;");
    expect_in(T.ob, "Queries that read from this STREAM  : [CSAS_BY_PAGE_1]");
    expect_in(T.ob, "consumer-total-messages: 4");

    OK("SHOW QUERIES;");
    expect_in(T.ob, "CSAS_BY_PAGE_1");
    expect_in(T.ob, "RUNNING");
    expect_in(T.ob, "BY_PAGE");
    OK("SHOW TOPICS;");
    expect_in(T.ob, "| BY_PAGE ");
    expect_in(T.ob, "| pv ");
    OK("EXPLAIN CSAS_BY_PAGE_1;");
    expect_in(T.ob, "Execution plan");
    expect_in(T.ob, "CREATE STREAM by_page AS SELECT");

    /* a stream in use cannot go */
    cr_expect_eq(exec("DROP STREAM pageviews;"), 1);
    expect_in(T.eb, "CSAS_BY_PAGE_1");
    cr_expect_eq(exec("DROP STREAM by_page;"), 1);
    expect_in(T.eb, "write into this source: [CSAS_BY_PAGE_1]");

    /* pause / resume / terminate */
    OK("PAUSE CSAS_BY_PAGE_1;");
    OK("SHOW QUERIES;");
    expect_in(T.ob, "PAUSED");
    OK("RESUME CSAS_BY_PAGE_1;");
    OK("TERMINATE CSAS_BY_PAGE_1;");
    expect_in(T.ob, "Query terminated.");
    OK("DROP STREAM by_page DELETE TOPIC;");
    expect_in(T.ob, "was dropped");
    OK("SHOW TOPICS;");
    expect_not_in(T.ob, "BY_PAGE");
    OK("DROP STREAM pageviews;");
    engine_down();
}

/* SHOW TOPICS EXTENDED: the query's group on its input, with its lag. */
Test(exec_stream, show_topics_extended_groups_and_lag)
{
    engine_up();
    OK(PV);
    OK("SET 'auto.offset.reset' = 'earliest';"
       "CREATE STREAM homes AS SELECT * FROM pageviews WHERE page = 'home';");
    idle();
    OK("SHOW TOPICS EXTENDED;");
    expect_in(T.ob, "| Kafka Topic           | Partitions | Partition Replicas | Records "
                    "| Consumers | ConsumerGroups |");
    expect_in(T.ob, "| pv                    | 2          | 1                  | 4       "
                    "| 1         | 1              |");
    expect_in(T.ob, "| HOMES                 | 2          | 1                  | 2       "
                    "| 0         | 0              |");
    expect_in(T.ob, "| CSAS_HOMES_1   | pv          | 1         | 0   |");
    OK("PAUSE CSAS_HOMES_1;"
       "INSERT INTO pageviews (user_id, page, ms) VALUES ('erin', 'home', 50);"
       "INSERT INTO pageviews (user_id, page, ms) VALUES ('fred', 'cart', 60);");
    OK("SHOW TOPICS EXTENDED;");
    /* paused: no consumer, two records behind */
    expect_in(T.ob, "| CSAS_HOMES_1   | pv          | 0         | 2   |");
    OK("RESUME CSAS_HOMES_1;");
    idle();
    sess_reset_out(&T);
    sl_session_opts jo = {.output = SL_OUTPUT_JSON, .out = T.o, .err = T.e};
    sl_error err;
    sl_session_free(T.s);
    T.s = sl_session_open(g_engine, &jo, &err);
    cr_assert_not_null(T.s);
    const char *sql = "SHOW TOPICS EXTENDED;";
    cr_assert_eq(sl_session_execute(T.s, sql, strlen(sql), "t.sql"), 0);
    fflush(T.o);
    expect_in(T.ob, "\"@type\":\"kafka_topics_extended\"");
    expect_in(T.ob, "{\"name\":\"pv\",\"partitions\":2,\"replicaInfo\":[1,1],\"records\":6,"
                    "\"consumerCount\":1,\"consumerGroupCount\":1,\"consumerGroups\":"
                    "[{\"name\":\"CSAS_HOMES_1\",\"consumers\":1,\"lag\":0}]}");
    /* without EXTENDED: ksqlDB's kafka_topics, no groups */
    OK("SHOW TOPICS;");
    expect_not_in(T.ob, "Consumer");
    engine_down();
}

Test(exec_stream, push_print_insert_select)
{
    engine_up();
    OK(PV);
    OK("SET 'auto.offset.reset' = 'earliest';");
    OK("SELECT user_id, page FROM pageviews EMIT CHANGES LIMIT 2;");
    expect_in(T.ob, "|USER_ID");
    expect_in(T.ob, "Limit Reached");

    OK("PRINT 'pv' FROM BEGINNING LIMIT 4;");
    expect_in(T.ob, "rowtime: 1970/01/01 00:00:01.000 Z, key: dave, value: {");
    expect_in(T.ob, "\"PAGE\":\"news\"");
    expect_in(T.ob, "key: alice");
    OK("PRINT pv FROM BEGINNING INTERVAL 2 LIMIT 2;");
    int lines = 0;
    for (const char *p = T.ob; (p = strstr(p, "rowtime: ")); p++)
        lines++;
    cr_expect_eq(lines, 2);

    OK("CREATE STREAM homes (user_id STRING KEY, page STRING, ms BIGINT) "
       "WITH (KAFKA_TOPIC='homes', VALUE_FORMAT='JSON', PARTITIONS=1);");
    OK("INSERT INTO homes SELECT * FROM pageviews WHERE page = 'home';");
    expect_in(T.ob, "Created query with ID INSERTQUERY_");
    idle();
    OK("SELECT * FROM homes;");
    expect_in(T.ob, "alice");
    expect_in(T.ob, "carol");
    expect_not_in(T.ob, "bob");

    /* constants of a persistent query outlive the statement that made it */
    OK("CREATE STREAM tagged AS SELECT user_id, CONCAT('tag-', page) AS tag, 'web' AS channel "
       "FROM pageviews WHERE page <> 'cart';");
    OK("SHOW STREAMS; SHOW TOPICS; DESCRIBE tagged EXTENDED; SHOW QUERIES;");
    OK("INSERT INTO pageviews (user_id, page, ms) VALUES ('gina', 'home', 60);");
    idle();
    OK("SELECT user_id, tag, channel FROM tagged WHERE channel = 'web';");
    expect_in(T.ob, "| tag-home ");
    expect_in(T.ob, "| tag-news ");
    expect_in(T.ob, "| gina ");
    expect_not_in(T.ob, "tag-cart");
    int webs = 0;
    for (const char *p = T.ob; (p = strstr(p, "| web ")); p++)
        webs++;
    cr_expect_eq(webs, 4, "%s", T.ob);

    /* JSON mode: one object per row */
    sess_reset_out(&T);
    sl_session_free(T.s);
    sl_session_opts jo = {.output = SL_OUTPUT_JSON, .out = T.o, .err = T.e};
    sl_error err;
    T.s = sl_session_open(g_engine, &jo, &err);
    const char *q = "SELECT page FROM pageviews EMIT CHANGES LIMIT 1;";
    cr_assert_eq(sl_session_execute(T.s, q, strlen(q), "t.sql"), 0);
    fflush(T.o);
    expect_in(T.ob, "{\"PAGE\":\"");
    engine_down();
}

Test(exec_stream, bad_record_goes_to_processing_log)
{
    engine_up();
    OK(PV);
    OK("SET 'auto.offset.reset' = 'earliest';");
    OK("CREATE STREAM copy AS SELECT * FROM pageviews;");
    /* a value that is not JSON, written behind the stream's back */
    sl_record rec = {0};
    rec.key = "eve";
    rec.key_len = 3;
    rec.value = "{\"PAGE\": ";
    rec.value_len = (int32_t)strlen(rec.value);
    rec.timestamp = -1;
    sl_error err;
    sl_log_txn *tx = sl_log_txn_begin(sl_engine_log(g_engine));
    cr_assert_eq(sl_log_txn_append(tx, "pv", 0, &rec, NULL, NULL, &err), 0, "%s", err.msg);
    /* and a tombstone (null value): skipped on a stream, but counted */
    sl_record tomb = {0};
    tomb.key = "zed";
    tomb.key_len = 3;
    tomb.value_len = -1;
    tomb.timestamp = -1;
    cr_assert_eq(sl_log_txn_append(tx, "pv", 0, &tomb, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(tx, &err), 0, "%s", err.msg);
    OK("INSERT INTO pageviews (user_id, page, ms) VALUES ('frank', 'end', 50);");
    idle();
    OK("SELECT * FROM copy;");
    expect_in(T.ob, "frank");
    expect_not_in(T.ob, "eve");
    OK("SELECT QUERY_ID, TOPIC, ERROR_KIND, MESSAGE FROM KSQL_PROCESSING_LOG;");
    expect_in(T.ob, "CSAS_COPY_1");
    expect_in(T.ob, "| pv ");
    OK("DESCRIBE pageviews EXTENDED;");
    expect_in(T.ob, "consumer-failed-messages: 1");
    expect_in(T.ob, "consumer-skipped-tombstones: 1");
    OK("SHOW QUERIES EXTENDED;");
    expect_in(T.ob, "Records Failed");
    engine_down();
}

Test(exec_stream, insert_values_errors_and_catalog_only)
{
    engine_up();
    OK(PV);
    cr_expect_eq(exec("INSERT INTO pageviews (user_id, page, ms) VALUES ('a', 'b', 'late');"), 1);
    expect_in(T.eb, "`MS`");
    cr_expect_eq(exec("INSERT INTO pageviews (user_id, nope) VALUES ('a', 'b');"), 1);
    expect_in(T.eb, "NOPE");
    cr_expect_eq(exec("SELECT * FROM nowhere EMIT CHANGES;"), 1);
    expect_in(T.eb, "does not exist");
    cr_expect_eq(exec("TERMINATE CSAS_NOPE_0;"), 1);
    cr_expect_eq(exec("PRINT 'nope';"), 1);
    expect_in(T.eb, "topic 'nope' does not exist");
    engine_down();
}

/* Counts the lines of T.ob that hold needle. */
static int lines_with(const char *needle)
{
    int n = 0;
    for (const char *p = T.ob; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

Test(exec_stream, create_or_replace_query_in_place)
{
    engine_up();
    OK(PV);
    OK("SET 'auto.offset.reset' = 'earliest';");
    OK("CREATE STREAM hot AS SELECT user_id, page FROM pageviews WHERE ms > 10;");
    expect_in(T.ob, "CSAS_HOT_1");
    idle();
    OK("SELECT * FROM hot;");
    cr_expect_eq(lines_with("| bob "), 1, "%s", T.ob);

    /* the same statement again: nothing changes, nothing is journaled */
    sl_error err;
    sl_log *log = sl_engine_log(g_engine);
    int64_t j0 = sl_log_end_offset(log, SL_JOURNAL_TOPIC, 0, &err);
    OK("CREATE OR REPLACE STREAM hot AS SELECT user_id, page FROM pageviews WHERE ms > 10;");
    expect_in(T.ob, "nothing changed");
    cr_expect_eq(sl_log_end_offset(log, SL_JOURNAL_TOPIC, 0, &err), j0);

    /* a changed WHERE and an appended column: same id, no reprocessing */
    OK("CREATE OR REPLACE STREAM hot AS SELECT user_id, page, ms AS m FROM pageviews "
       "WHERE ms >= 5;");
    expect_in(T.ob, "Replaced query with ID CSAS_HOT_1");
    OK("INSERT INTO pageviews (user_id, page, ms) VALUES ('erin', 'home', 6);");
    idle();
    OK("SELECT * FROM hot;");
    cr_expect_eq(lines_with("| bob "), 1, "records before the replacement are not read again:\n%s",
                 T.ob);
    expect_not_in(T.ob, "alice");
    expect_in(T.ob, "| erin ");
    expect_in(T.ob, "| M ");
    OK("SHOW QUERIES;");
    cr_expect_eq(lines_with("CSAS_HOT_"), 1, "%s", T.ob);

    /* refused: the columns change; nothing does */
    int64_t j1 = sl_log_end_offset(log, SL_JOURNAL_TOPIC, 0, &err);
    cr_expect_eq(exec("CREATE OR REPLACE STREAM hot AS SELECT page, user_id FROM pageviews;"), 1);
    expect_in(T.eb, "cannot replace query CSAS_HOT_1");
    expect_in(T.eb, "columns may only be added at the end");
    cr_expect_eq(exec("CREATE OR REPLACE STREAM hot AS SELECT user_id, page, ms AS m FROM "
                      "pageviews PARTITION BY page;"), 1);
    expect_in(T.eb, "PARTITION BY differs");
    cr_expect_eq(sl_log_end_offset(log, SL_JOURNAL_TOPIC, 0, &err), j1);
    OK("DESCRIBE hot;");
    expect_in(T.ob, "| M ");

    /* a restart replays the replacement: one query, new columns, same positions */
    engine_down();
    engine_up();
    OK("SHOW QUERIES;");
    cr_expect_eq(lines_with("CSAS_HOT_1"), 1, "%s", T.ob);
    expect_in(T.ob, "ms AS m");
    OK("INSERT INTO pageviews (user_id, page, ms) VALUES ('fred', 'cart', 50);");
    idle();
    OK("SELECT * FROM hot;");
    cr_expect_eq(lines_with("| bob "), 1, "%s", T.ob);
    cr_expect_eq(lines_with("| erin "), 1, "%s", T.ob);
    expect_in(T.ob, "| fred ");
    engine_down();
}
