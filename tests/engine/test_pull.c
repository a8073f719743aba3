/*
 * test_pull.c: pull queries whose WHERE pins the key of a materialized
 * table read only those keys (a point read, or the key's windows), and
 * return exactly what the full scan returns: each keyed query is compared
 * with the same condition written so that the key extractor cannot use it
 * (`(cond) OR FALSE`), on string, integer, DOUBLE, BOOLEAN and multi-column
 * keys, KAFKA and JSON key formats, windowed tables, keys that are byte
 * prefixes of other keys, missing keys, IN lists and NULL.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/exec.h"
#include "engine/runtime.h"
#include "log/log.h"

#include "fixture.h"

TestSuite(pull, .init = fixture_dir_make, .fini = fixture_dir_remove);

/* The rows (and footer) of a pull query's JSON document, without the
 * statement text that differs between the two forms. */
static char *rows_of(sess *t, const char *from, const char *where)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE %s;", from, where);
    const char *out = sess_ok(t, sql);
    const char *r = strstr(out, "\"rows\":");
    cr_assert_not_null(r, "%s: no rows in %s", sql, out);
    return strdup(r);
}

/* Rows in a rows document of flat rows: ["rows":[[..],[..]]. */
static int count_rows(const char *r)
{
    if (strncmp(r, "\"rows\":[]", 9) == 0)
        return 0;
    const char *end = strstr(r, "]]");
    int n = 1;
    for (const char *p = r; (p = strstr(p, "],[")) && p < end; p++)
        n++;
    return n;
}

/* Checks that the keyed query `where` on `from` returns what the scan
 * returns, and n rows (so both forms cannot be wrong the same way). */
static void same(sess *t, const char *from, const char *where, int n)
{
    char scan[512];
    snprintf(scan, sizeof scan, "(%s) OR FALSE", where);
    char *k = rows_of(t, from, where);
    char *s = rows_of(t, from, scan);
    cr_expect_str_eq(k, s, "WHERE %s", where);
    cr_expect_eq(count_rows(k), n, "WHERE %s: expected %d rows: %s", where, n, k);
    free(k);
    free(s);
}

static void insert(sess *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void insert(sess *t, const char *fmt, ...)
{
    char sql[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    sess_ok(t, sql);
}

Test(pull, string_keys_kafka_format)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, "SET 'auto.offset.reset'='earliest';"
            "CREATE STREAM s (k VARCHAR KEY, v INT)"
            "  WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=2);"
            "CREATE TABLE t AS SELECT k, LATEST_BY_OFFSET(v) AS v FROM s GROUP BY k;");
    const char *keys[] = {"a", "ab", "abc", "b", "a"};
    for (int i = 0; i < 5; i++)
        insert(&t, "INSERT INTO s (k, v) VALUES ('%s', %d);", keys[i], i + 1);
    sess_wait_idle(&t);
    char *r = rows_of(&t, "t", "k = 'a'");
    cr_expect_str_eq(r, "\"rows\":[[\"a\",5]],\"warnings\":[]}\n", "the latest of a: %s", r);
    free(r);
    same(&t, "t", "k = 'a'", 1);
    same(&t, "t", "'ab' = k", 1);     /* a byte prefix of abc, and a extends to it */
    same(&t, "t", "k = 'zz'", 0);
    same(&t, "t", "k = ''", 0);
    same(&t, "t", "k IN ('abc', 'a', 'zz', 'a')", 2);
    same(&t, "t", "k = NULL", 0);
    same(&t, "t", "k IN ('b', NULL)", 1);
    same(&t, "t", "k = 'a' AND v > 100", 0);
    same(&t, "t", "v = 5 AND k = 'a'", 1);
    same(&t, "t", "k = 'a' AND k = 'b'", 0);
    same(&t, "t", "k IN ('a', 'b') AND k = 'b'", 1);
    same(&t, "t", "t.k = 'ab'", 1);
    same(&t, "t x", "x.k = 'abc'", 1);
    same(&t, "t", "k = CAST('b' AS STRING)", 1);
    sess_close(&t);
}

Test(pull, integer_keys_json_format)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, "SET 'auto.offset.reset'='earliest';"
            "CREATE STREAM n (id INT KEY, v VARCHAR)"
            "  WITH (KAFKA_TOPIC='n', KEY_FORMAT='JSON', VALUE_FORMAT='JSON', PARTITIONS=1);"
            "CREATE TABLE nt AS SELECT id, COUNT(*) AS c FROM n GROUP BY id;"
            "CREATE STREAM l (id BIGINT KEY, v VARCHAR)"
            "  WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1);"
            "CREATE TABLE lt AS SELECT id, COUNT(*) AS c FROM l GROUP BY id;");
    int ids[] = {1, 1, 2, 12, -3, 0};
    for (int i = 0; i < 6; i++) {
        insert(&t, "INSERT INTO n (id, v) VALUES (%d, 'x');", ids[i]);
        insert(&t, "INSERT INTO l (id, v) VALUES (%d, 'x');", ids[i]);
    }
    insert(&t, "INSERT INTO l (id, v) VALUES (10000000000, 'x');");
    sess_wait_idle(&t);
    char *r = rows_of(&t, "nt", "id = 1");
    cr_expect_str_eq(r, "\"rows\":[[1,2]],\"warnings\":[]}\n", "two records of 1: %s", r);
    free(r);
    const char *tables[] = {"nt", "lt"};
    for (int i = 0; i < 2; i++) {
        same(&t, tables[i], "id = 1", 1);
        same(&t, tables[i], "id = 1E0", 1);       /* a DOUBLE, exactly 1 */
        same(&t, tables[i], "id = 1.5E0", 0);
        same(&t, tables[i], "id = 1.0", 1);       /* a DECIMAL: left to the scan */
        same(&t, tables[i], "id = -3", 1);
        same(&t, tables[i], "id = 0", 1);
        same(&t, tables[i], "id IN (2, 12, 99)", 2);
        same(&t, tables[i], "id = CAST('12' AS INT)", 1);
        same(&t, tables[i], "id = 7", 0);
    }
    same(&t, "nt", "id = 10000000000", 0);    /* beyond INT: no key */
    same(&t, "lt", "id = 10000000000", 1);
    sess_close(&t);
}

Test(pull, double_and_boolean_keys)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, "SET 'auto.offset.reset'='earliest';"
            "CREATE STREAM d (x DOUBLE KEY, b BOOLEAN, v INT)"
            "  WITH (KAFKA_TOPIC='d', KEY_FORMAT='JSON', VALUE_FORMAT='JSON', PARTITIONS=1);"
            "CREATE TABLE dt AS SELECT x, COUNT(*) AS c FROM d GROUP BY x;"
            "CREATE TABLE bt AS SELECT b, COUNT(*) AS c FROM d GROUP BY b;");
    insert(&t, "INSERT INTO d (x, b, v) VALUES (1.5E0, true, 1);");
    insert(&t, "INSERT INTO d (x, b, v) VALUES (0E0, false, 2);");
    insert(&t, "INSERT INTO d (x, b, v) VALUES (2E0, true, 3);");
    sess_wait_idle(&t);
    same(&t, "dt", "x = 1.5E0", 1);
    same(&t, "dt", "x = 1.5", 1);         /* a DECIMAL, exactly 1.5 as a DOUBLE */
    same(&t, "dt", "x = 2", 1);           /* an INT */
    same(&t, "dt", "x = 0E0", 1);         /* 0.0 (or -0.0): left to the scan */
    same(&t, "dt", "x IN (2E0, 3E0)", 1);
    same(&t, "bt", "b = true", 1);
    same(&t, "bt", "b IN (false, NULL)", 1);
    sess_close(&t);
}

Test(pull, multi_column_keys)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, "SET 'auto.offset.reset'='earliest';"
            "CREATE STREAM m (a VARCHAR KEY, b INT KEY, v INT)"
            "  WITH (KAFKA_TOPIC='m', KEY_FORMAT='JSON', VALUE_FORMAT='JSON', PARTITIONS=1);"
            "CREATE TABLE mt AS SELECT a, b, SUM(v) AS s FROM m GROUP BY a, b;");
    insert(&t, "INSERT INTO m (a, b, v) VALUES ('x', 1, 1);");
    insert(&t, "INSERT INTO m (a, b, v) VALUES ('x', 2, 2);");
    insert(&t, "INSERT INTO m (a, b, v) VALUES ('xy', 1, 3);");
    insert(&t, "INSERT INTO m (a, b, v) VALUES ('y', 1, 4);");
    insert(&t, "INSERT INTO m (a, b, v) VALUES ('x', 1, 5);");
    sess_wait_idle(&t);
    same(&t, "mt", "a = 'x' AND b = 1", 1);
    same(&t, "mt", "b = 1 AND a = 'x' AND s > 0", 1);
    same(&t, "mt", "a IN ('x', 'y', 'z') AND b IN (1, 2)", 3);
    same(&t, "mt", "a = 'x'", 2);             /* b not pinned: the scan */
    same(&t, "mt", "a = 'x' AND b = NULL", 0);
    same(&t, "mt", "a = 'q' AND b = 1", 0);
    sess_close(&t);
}

Test(pull, windowed_keys)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, "SET 'auto.offset.reset'='earliest';"
            "CREATE STREAM clicks (user_id VARCHAR KEY, url VARCHAR)"
            "  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);"
            "CREATE TABLE tw AS SELECT user_id, COUNT(*) AS n FROM clicks"
            "  WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY user_id EMIT CHANGES;"
            "CREATE TABLE sw AS SELECT user_id, COUNT(*) AS n FROM clicks"
            "  WINDOW SESSION (5 SECONDS) GROUP BY user_id EMIT CHANGES;");
    const char *users[] = {"a", "a", "ab", "b", "a"};
    long long ts[] = {1000, 11000, 1000, 1000, 30000};
    for (int i = 0; i < 5; i++)
        insert(&t, "INSERT INTO clicks (user_id, url, ROWTIME) VALUES ('%s', '/', %lld);",
               users[i], ts[i]);
    sess_wait_idle(&t);
    const char *tables[] = {"tw", "sw"};
    for (int i = 0; i < 2; i++) {
        same(&t, tables[i], "user_id = 'a'", 3);
        same(&t, tables[i], "user_id = 'ab'", 1);
        same(&t, tables[i], "user_id IN ('a', 'b')", 4);
        same(&t, tables[i], "user_id = 'c'", 0);
        same(&t, tables[i], "user_id = 'a' AND WINDOWSTART >= 10000", 2);
    }
    sess_close(&t);
}

Test(pull, source_table_keeps_its_scan)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, "SET 'auto.offset.reset'='earliest';"
            "CREATE TABLE u (k VARCHAR PRIMARY KEY, v INT)"
            "  WITH (KAFKA_TOPIC='u', VALUE_FORMAT='JSON', PARTITIONS=1);");
    insert(&t, "INSERT INTO u (k, v) VALUES ('a', 1);");
    insert(&t, "INSERT INTO u (k, v) VALUES ('ab', 2);");
    insert(&t, "INSERT INTO u (k, v) VALUES ('a', 3);");
    same(&t, "u", "k = 'a'", 1);
    same(&t, "u", "k IN ('ab', 'zz')", 1);
    sess_close(&t);
}

/* A row under a key the table's key format cannot read: the scan decodes
 * it (and counts it in the footer), a query by key never reads it. */
Test(pull, key_lookup_reads_only_its_key)
{
    sess t;
    sess_open_as(&t, SL_OUTPUT_TABLE);
    sess_ok(&t, "SET 'auto.offset.reset'='earliest';"
            "CREATE STREAM s (k VARCHAR KEY, v INT)"
            "  WITH (KAFKA_TOPIC='s', KEY_FORMAT='JSON', VALUE_FORMAT='JSON', PARTITIONS=1);"
            "CREATE TABLE t AS SELECT k, LATEST_BY_OFFSET(v) AS v FROM s GROUP BY k;");
    insert(&t, "INSERT INTO s (k, v) VALUES ('a', 1);");
    sess_wait_idle(&t);
    sl_error err;
    sl_log_txn *x = sl_log_txn_begin(sl_engine_log(sl_session_engine(t.s)));
    cr_assert_not_null(x);
    static const char key[] = "T\0{not json", val[] = "\0\0\0\0\0\0\0\1{\"V\":2}";
    cr_assert_eq(sl_log_txn_put_raw(x, SL_MATERIALIZED_SPACE, key, sizeof key - 1, val,
                                    sizeof val - 1, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(x, &err), 0, "%s", err.msg);
    const char *out = sess_ok(&t, "SELECT * FROM t WHERE k = 'a' OR FALSE;");
    cr_expect(strstr(out, "could not be processed"), "the scan meets the bad row: %s", out);
    out = sess_ok(&t, "SELECT * FROM t WHERE k = 'a';");
    cr_expect(strstr(out, "| a "), "%s", out);
    cr_expect(!strstr(out, "could not be processed"), "the key's row only: %s", out);
    sess_close(&t);
}
