/*
 * test_catalog.c: the catalog's checks of CREATE / DROP statements, custom
 * types, variables and properties, driven as a user drives them: text into
 * a session, then the rendered output and errors (line:column) checked.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"
#include "engine/exec.h"

typedef struct run {
    int rc;
    char *out, *err;
} run;

/* Runs sql in a fresh session (table output) and returns what it wrote. */
static run run_sql(const char *sql)
{
    char *ob = NULL, *eb = NULL;
    size_t ol = 0, el = 0;
    FILE *o = open_memstream(&ob, &ol), *e = open_memstream(&eb, &el);
    sl_session_opts opts = {.data_dir = "", .output = SL_OUTPUT_TABLE, .out = o, .err = e};
    sl_error err;
    sl_session *s = sl_session_new(&opts, &err);
    cr_assert_not_null(s);
    run r;
    r.rc = sl_session_execute(s, sql, strlen(sql), "t.sql");
    sl_session_free(s);
    fclose(o);
    fclose(e);
    r.out = ob;
    r.err = eb;
    return r;
}

static void run_free(run *r)
{
    free(r->out);
    free(r->err);
}

#define WITH_T " WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1)"

/* ---- statements that must fail, with where and why ---- */

typedef struct bad_case {
    const char *sql;
    const char *where;      /* "t.sql:L:C:" */
    const char *why;        /* a substring of the message */
} bad_case;

static const bad_case BAD[] = {
    /* columns */
    {"CREATE STREAM s (a INT, a BIGINT)" WITH_T ";", "t.sql:1:25:", "duplicate column"},
    {"CREATE STREAM s (a INT,\n  `A` BIGINT)" WITH_T ";", "t.sql:2:3:", "duplicate column"},
    {"CREATE TABLE t (a INT, b INT)" WITH_T ";", "t.sql:1:14:", "PRIMARY KEY"},
    {"CREATE TABLE t (id INT KEY, v INT)" WITH_T ";", "t.sql:1:17:", "KEY column"},
    {"CREATE STREAM s (id INT PRIMARY KEY, v INT)" WITH_T ";", "t.sql:1:18:",
     "PRIMARY KEY column"},
    {"CREATE STREAM s (rowtime BIGINT, v INT)" WITH_T ";", "t.sql:1:18:", "reserved"},
    {"CREATE STREAM s (a NOPE)" WITH_T ";", "t.sql:1:", "NOPE"},
    {"CREATE STREAM s (h VARCHAR HEADERS)" WITH_T ";", "t.sql:1:", "HEADERS"},
    {"CREATE STREAM s (h VARCHAR HEADER('x'))" WITH_T ";", "t.sql:1:", "BYTES"},
    /* WITH properties */
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='XML', PARTITIONS=1);",
     "t.sql:1:61:", "unknown format 'XML'"},
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=0);",
     "t.sql:1:80:", "positive integer"},
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS='many');",
     "t.sql:1:80:", "positive integer"},
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', FOO=1);",
     "t.sql:1:69:", "FOO"},
    {"CREATE STREAM s (a INT) WITH (VALUE_FORMAT='JSON', PARTITIONS=1);", "t.sql:1:15:",
     "KAFKA_TOPIC"},
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');", "t.sql:1:43:",
     "PARTITIONS"},
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', PARTITIONS=1);", "t.sql:1:15:",
     "VALUE_FORMAT"},
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', FORMAT='JSON', VALUE_FORMAT='JSON', "
     "PARTITIONS=1);", "t.sql:1:", "FORMAT"},
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', "
     "VALUE_DELIMITER='|', PARTITIONS=1);", "t.sql:1:", "DELIMITED"},
    {"CREATE STREAM s (a INT KEY, b INT KEY, c INT)" WITH_T ";", "t.sql:1:29:", "'KAFKA' key"},
    {"CREATE STREAM s (a BOOLEAN KEY, c INT)" WITH_T ";", "t.sql:1:18:", "BOOLEAN"},
    {"CREATE STREAM s (a INT, b ARRAY<INT>) WITH (KAFKA_TOPIC='t', "
     "VALUE_FORMAT='DELIMITED', PARTITIONS=1);", "t.sql:1:25:", "DELIMITED"},
    {"CREATE STREAM s (a INT, ts VARCHAR) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', "
     "PARTITIONS=1, TIMESTAMP='ts');", "t.sql:1:", "TIMESTAMP"},
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1, "
     "TIMESTAMP='nope');", "t.sql:1:", "'nope'"},
    {"CREATE STREAM s (a INT, b INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', "
     "PARTITIONS=1, WRAP_SINGLE_VALUE=false);", "t.sql:1:", "WRAP_SINGLE_VALUE"},
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1, "
     "WINDOW_TYPE='TUMBLING');", "t.sql:1:", "WINDOW_SIZE"},
    /* names */
    {"CREATE STREAM s (a INT)" WITH_T ";\nCREATE STREAM s (b INT)" WITH_T ";", "t.sql:2:15:",
     "already exists"},
    {"CREATE STREAM s (a INT)" WITH_T ";\nCREATE OR REPLACE TABLE s (b INT PRIMARY KEY)" WITH_T
     ";", "t.sql:2:25:", "a stream with the same name"},
    {"DROP STREAM nope;", "t.sql:1:13:", "does not exist"},
    {"CREATE TABLE t (a INT PRIMARY KEY)" WITH_T ";\nDROP STREAM t;", "t.sql:2:13:",
     "DROP TABLE"},
    {"CREATE TYPE addr AS STRUCT<city VARCHAR>;\nCREATE TYPE addr AS INT;", "t.sql:2:13:",
     "already registered"},
    {"CREATE TYPE addr AS STRUCT<city VARCHAR>;\nCREATE STREAM s (a addr)" WITH_T
     ";\nDROP TYPE addr;", "t.sql:3:11:", "STREAM 'S' uses it"},
    {"DROP TYPE nope;", "t.sql:1:11:", "does not exist"},
    /* properties */
    {"SET 'auto.offset.reset' = 'sometimes';", "t.sql:1:", "earliest|latest"},
    {"SET 'ksql.no.such.thing' = '1';", "t.sql:1:", "not recognizable"},
};

/* Criterion runs each case in a fresh process: pass indexes, not pointers. */
static int BAD_IDX[sizeof BAD / sizeof BAD[0]];

ParameterizedTestParameters(catalog, rejects)
{
    for (size_t i = 0; i < sizeof BAD_IDX / sizeof BAD_IDX[0]; i++)
        BAD_IDX[i] = (int)i;
    return cr_make_param_array(int, BAD_IDX, sizeof BAD_IDX / sizeof BAD_IDX[0]);
}

ParameterizedTest(int *idx, catalog, rejects)
{
    const bad_case *c = &BAD[*idx];
    run r = run_sql(c->sql);
    cr_expect_eq(r.rc, 1, "%s\nshould fail", c->sql);
    cr_expect(strstr(r.err, c->where) != NULL, "%s\nerror should be at %s, got:\n%s", c->sql,
              c->where, r.err);
    cr_expect(strcasestr(r.err, c->why) != NULL, "%s\nerror should say '%s', got:\n%s", c->sql,
              c->why, r.err);
    run_free(&r);
}

/* ---- statements that must succeed ---- */

typedef struct good_case {
    const char *sql;
    const char *says;       /* a substring of the output */
} good_case;

static const good_case GOOD[] = {
    {"CREATE STREAM s (a INT)" WITH_T ";", "Stream created"},
    {"CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR)" WITH_T ";", "Table created"},
    {"CREATE SOURCE TABLE t (id INT PRIMARY KEY, v VARCHAR)" WITH_T ";", "Table created"},
    {"CREATE STREAM s (a INT)" WITH_T ";\nCREATE STREAM IF NOT EXISTS s (b INT)" WITH_T ";",
     "already exists: nothing changed"},
    {"CREATE STREAM s (a INT)" WITH_T ";\nCREATE OR REPLACE STREAM s (a INT, b INT)" WITH_T ";",
     "Stream replaced"},
    {"DROP STREAM IF EXISTS nope;", "does not exist: nothing dropped"},
    {"CREATE STREAM s (a INT)" WITH_T ";\nDROP STREAM s;", "was dropped"},
    {"CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', FORMAT='JSON', PARTITIONS=3);",
     "Stream created"},
    {"CREATE STREAM s (a VARCHAR, b INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='DELIMITED', "
     "VALUE_DELIMITER='TAB', PARTITIONS=1);", "Stream created"},
    {"CREATE STREAM s (a INT, ts VARCHAR) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', "
     "PARTITIONS=1, TIMESTAMP='ts', TIMESTAMP_FORMAT='yyyy-MM-dd');", "Stream created"},
    {"CREATE STREAM s (a INT KEY, b INT) WITH (KAFKA_TOPIC='t', KEY_FORMAT='JSON', "
     "VALUE_FORMAT='JSON', PARTITIONS=1, REPLICAS=1, RETENTION_MS=86400000);",
     "Stream created"},
    {"CREATE STREAM s (a INT, h ARRAY<STRUCT<key VARCHAR, value BYTES>> HEADERS)" WITH_T ";",
     "Stream created"},
    {"CREATE STREAM s (a INT)" WITH_T ";\nCREATE STREAM s2 (a INT) WITH (KAFKA_TOPIC='t', "
     "VALUE_FORMAT='JSON');", "Stream created"},   /* topic 't' exists now */
    {"SET 'ksql.persistence.default.format.value' = 'JSON';\n"
     "CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='t', PARTITIONS=1);", "Stream created"},
    {"CREATE TYPE addr AS STRUCT<city VARCHAR>;\nCREATE STREAM s (a addr)" WITH_T
     ";\nDROP STREAM s;\nDROP TYPE addr;", "Dropped type"},
    {"CREATE TYPE IF NOT EXISTS a AS INT;\nCREATE TYPE IF NOT EXISTS a AS INT;",
     "already exists"},
};

/* Criterion runs each case in a fresh process: pass indexes, not pointers. */
static int GOOD_IDX[sizeof GOOD / sizeof GOOD[0]];

ParameterizedTestParameters(catalog, accepts)
{
    for (size_t i = 0; i < sizeof GOOD_IDX / sizeof GOOD_IDX[0]; i++)
        GOOD_IDX[i] = (int)i;
    return cr_make_param_array(int, GOOD_IDX, sizeof GOOD_IDX / sizeof GOOD_IDX[0]);
}

ParameterizedTest(int *idx, catalog, accepts)
{
    const good_case *c = &GOOD[*idx];
    run r = run_sql(c->sql);
    cr_expect_eq(r.rc, 0, "%s\nshould succeed, got:\n%s", c->sql, r.err);
    cr_expect(strstr(r.out, c->says) != NULL, "%s\noutput should say '%s', got:\n%s", c->sql,
              c->says, r.out);
    run_free(&r);
}

/* A failed statement changes nothing; the catalog keeps what earlier ones made. */
Test(catalog, failure_changes_nothing)
{
    char *ob = NULL, *eb = NULL;
    size_t ol = 0, el = 0;
    FILE *o = open_memstream(&ob, &ol), *e = open_memstream(&eb, &el);
    sl_session_opts opts = {.data_dir = "", .output = SL_OUTPUT_TABLE, .out = o, .err = e};
    sl_error err;
    sl_session *s = sl_session_new(&opts, &err);
    const char *sql = "CREATE STREAM s (a INT)" WITH_T ";\n"
                      "CREATE OR REPLACE STREAM s (a INT, a INT)" WITH_T ";\n";
    cr_assert_eq(sl_session_execute(s, sql, strlen(sql), "t.sql"), 1);
    sl_catalog *c = sl_session_catalog(s);
    const sl_source *src = sl_catalog_find_source(c, "S");
    cr_assert_not_null(src);
    cr_expect_eq(src->schema.ncols, 1);
    cr_expect_str_eq(src->kafka_topic, "t");
    cr_expect_str_eq(src->value_format, "JSON");
    cr_expect_str_eq(src->key_format, "KAFKA");
    cr_expect_eq(src->partitions, 1);
    cr_expect_null(sl_catalog_find_source(c, "T"));
    sl_session_free(s);
    fclose(o);
    fclose(e);
    free(ob);
    free(eb);
}

/* Key columns come first in the schema, then values, then headers. */
Test(catalog, schema_order)
{
    char *ob = NULL, *eb = NULL;
    size_t ol = 0, el = 0;
    FILE *o = open_memstream(&ob, &ol), *e = open_memstream(&eb, &el);
    sl_session_opts opts = {.data_dir = "", .output = SL_OUTPUT_TABLE, .out = o, .err = e};
    sl_error err;
    sl_session *s = sl_session_new(&opts, &err);
    const char *sql = "CREATE STREAM s (v1 INT, h BYTES HEADER('x'), k VARCHAR KEY, v2 DOUBLE)"
                      WITH_T ";";
    cr_assert_eq(sl_session_execute(s, sql, strlen(sql), "t.sql"), 0);
    const sl_source *src = sl_catalog_find_source(sl_session_catalog(s), "S");
    cr_assert_not_null(src);
    cr_assert_eq(src->schema.ncols, 4);
    const char *want[] = {"K", "V1", "V2", "H"};
    sl_colkind kinds[] = {SL_COLK_KEY, SL_COLK_VALUE, SL_COLK_VALUE, SL_COLK_HEADER};
    for (int i = 0; i < 4; i++) {
        cr_expect_str_eq(src->schema.cols[i].name, want[i]);
        cr_expect_eq(src->schema.cols[i].kind, kinds[i]);
    }
    cr_expect_str_eq(src->schema.cols[3].header_key, "x");
    cr_expect_eq(src->schema.cols[2].type->kind, SL_DOUBLE);
    sl_session_free(s);
    fclose(o);
    fclose(e);
    free(ob);
    free(eb);
}

/* ---- the API without statements ---- */

Test(catalog, variables_are_case_insensitive)
{
    sl_catalog *c = sl_catalog_new();
    sl_error err;
    cr_assert_eq(sl_catalog_define(c, "topicName", "orders", &err), 0);
    cr_expect_str_eq(sl_catalog_variable(c, "TOPICNAME"), "orders");
    cr_expect_str_eq(sl_catalog_variable(c, "topicname"), "orders");
    cr_assert_eq(sl_catalog_define(c, "TOPICNAME", "payments", &err), 0);
    cr_expect_eq(sl_catalog_variable_count(c), 1);
    cr_expect_str_eq(sl_catalog_variable(c, "topicName"), "payments");
    cr_expect_eq(sl_catalog_define(c, "1x", "v", &err), -1);
    cr_expect_eq(sl_catalog_define(c, "a-b", "v", &err), -1);
    cr_expect_eq(sl_catalog_define(c, "", "v", &err), -1);
    cr_expect(sl_catalog_undefine(c, "TopicName"));
    cr_expect_not(sl_catalog_undefine(c, "TopicName"));
    cr_expect_null(sl_catalog_variable(c, "topicname"));
    sl_catalog_free(c);
}

Test(catalog, properties_defaults_and_set)
{
    sl_catalog *c = sl_catalog_new();
    sl_error err;
    sl_arena *a = sl_arena_new(0);
    cr_expect_str_eq(sl_catalog_property(c, "auto.offset.reset"), "latest");
    cr_expect_str_eq(sl_catalog_property(c, "ksql.persistence.default.format.key"), "KAFKA");
    cr_expect_null(sl_catalog_property(c, "ksql.persistence.default.format.value"));
    cr_expect_not(sl_catalog_property_is_set(c, "auto.offset.reset"));

    cr_assert_eq(sl_catalog_set_property(c, "auto.offset.reset", "EARLIEST", SL_NOSPAN, &err), 0);
    cr_expect_str_eq(sl_catalog_property(c, "auto.offset.reset"), "earliest");
    /* ksql.streams.<name> is the same property */
    cr_expect_str_eq(sl_catalog_property(c, "ksql.streams.auto.offset.reset"), "earliest");
    cr_expect_eq(sl_catalog_set_property(c, "auto.offset.reset", "never", SL_NOSPAN, &err), -1);
    cr_expect_str_eq(sl_catalog_property(c, "auto.offset.reset"), "earliest");
    cr_expect_eq(sl_catalog_set_property(c, "num.stream.threads", "0", SL_NOSPAN, &err), -1);
    cr_expect_eq(sl_catalog_set_property(c, "commit.interval.ms", "-5", SL_NOSPAN, &err), -1);
    cr_expect_eq(sl_catalog_set_property(c, "ksql.persistence.default.format.value", "NONE",
                                         SL_NOSPAN, &err), -1);
    cr_expect_eq(sl_catalog_set_property(c, "nodots", "1", SL_NOSPAN, &err), -1);
    cr_expect_eq(sl_catalog_set_property(c, "fetch.min.bytes", "1", SL_NOSPAN, &err), 0);
    cr_expect_eq(sl_catalog_property_count(c), 2);

    const char *old = sl_catalog_unset_property(c, "auto.offset.reset", a);
    cr_assert_not_null(old);
    cr_expect_str_eq(old, "earliest");
    cr_expect_str_eq(sl_catalog_property(c, "auto.offset.reset"), "latest");
    cr_expect_null(sl_catalog_unset_property(c, "auto.offset.reset", a));
    sl_arena_free(a);
    sl_catalog_free(c);
}

static int fake_topics(void *ud, const char *topic)
{
    (void)ud;
    return strcmp(topic, "existing") == 0 ? 6 : -1;
}

Test(catalog, topic_lookup)
{
    sl_catalog *c = sl_catalog_new();
    cr_expect_eq(sl_catalog_topic_partitions(c, "existing"), -1);
    sl_catalog_set_topic_lookup(c, fake_topics, NULL);
    cr_expect_eq(sl_catalog_topic_partitions(c, "existing"), 6);
    cr_expect_eq(sl_catalog_topic_partitions(c, "other"), -1);
    sl_catalog_set_topic_lookup(c, NULL, NULL);
    cr_expect_eq(sl_catalog_topic_partitions(c, "existing"), -1);
    cr_expect_eq(sl_catalog_source_count(c), 0);
    cr_expect_null(sl_catalog_source_at(c, 0));
    cr_expect_null(sl_catalog_find_type(c, "X"));
    sl_catalog_free(c);
}
