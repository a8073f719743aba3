/*
 * test_parser.c: the grammar, through the public API of grammar/parse.h.
 *
 * Tables of statements that must parse (every statement form and clause;
 * each also lives in fuzz/corpus/ as a seed), S-expression dumps that pin
 * structure and precedence, statements that must fail at a given line and
 * column with a given message, variable substitution (including injection
 * attempts), spans, sl_parse_expr / sl_parse_type / sl_text_complete.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grammar/parse.h"

/* ---- helpers ---- */

typedef struct var { const char *name, *value; } var;

static const var DEFAULT_VARS[] = {
    {"COL", "a"}, {"SRC", "s2"}, {"TOPIC", "my_topic"}, {"N", "42"},
    {"INJ_STR", "x'; DROP STREAM s; --"}, {"INJ_SEMI", "1; DROP STREAM s"},
    {"INJ_COMMENT", "1 -- FROM nowhere"}, {"INJ_OPEN", "'abc"}, {"INJ_BLOCK", "1 /* x"},
    {"LIT", "'quoted ''value'''"}, {"EXPR", "a + 1"}, {"EMPTY", ""}, {"NESTED", "${N}"},
    {"BADUTF", "\xff"}, {NULL, NULL}};

static const char *lookup(void *ud, const char *name)
{
    const var *vars = ud ? ud : DEFAULT_VARS;
    for (const var *v = vars; v->name; v++)
        if (strcasecmp(v->name, name) == 0)
            return v->value;
    return NULL;
}

/* Parses all of text; returns the number of statements, -1 on the first error. */
static int parse_all(const char *text, sl_arena *a, sl_stmt **out, int max, sl_error *err)
{
    sl_parser *p = sl_parser_new(text, strlen(text), lookup, NULL);
    cr_assert(p);
    int n = 0;
    for (;;) {
        sl_stmt *s;
        int r = sl_parser_next(p, a, &s, err);
        if (r == 0)
            break;
        if (r < 0) {
            n = -1;
            break;
        }
        if (n < max)
            out[n] = s;
        n++;
    }
    sl_parser_free(p);
    return n;
}

static char *dump_of(const sl_stmt *s)
{
    sl_buf b = SL_BUF_INIT;
    sl_stmt_dump(&b, s);
    char *r = strdup(sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return r;
}

static char *dump_text(const char *text, sl_error *err)
{
    sl_arena *a = sl_arena_new(0);
    sl_stmt *s[2];
    int n = parse_all(text, a, s, 2, err);
    char *r = n == 1 ? dump_of(s[0]) : NULL;
    sl_arena_free(a);
    return r;
}

/* ---- statements that must parse ---- */

static const char *const MUST_PARSE[] = {
    "SELECT * FROM pageviews EMIT CHANGES;",
    "SELECT * FROM pageviews;",
    "select * from pageviews emit changes limit 10;",
    "SELECT pageid, userid FROM pageviews WHERE viewtime > 1000 EMIT CHANGES;",
    "SELECT pv.*, u.name FROM pageviews pv JOIN users u ON pv.userid = u.id EMIT CHANGES;",
    "SELECT pv.* FROM pageviews AS pv EMIT CHANGES;",
    "SELECT a AS x, b y, c FROM s;",
    "SELECT COUNT(*) FROM s GROUP BY k EMIT CHANGES;",
    "SELECT k, COUNT(*) AS cnt, SUM(v), AVG(v) FROM s GROUP BY k HAVING COUNT(*) > 1 EMIT CHANGES;",
    "SELECT k, LATEST_BY_OFFSET(v) FROM s GROUP BY k EMIT FINAL;",
    "SELECT * FROM s WHERE a = 1 AND b <> 2 OR c != 3;",
    "SELECT * FROM s WHERE a < 1 OR a <= 2 OR a > 3 OR a >= 4;",
    "SELECT * FROM s WHERE NOT a = 1;",
    "SELECT * FROM s WHERE a IS NULL;",
    "SELECT * FROM s WHERE a IS NOT NULL;",
    "SELECT * FROM s WHERE a BETWEEN 1 AND 10;",
    "SELECT * FROM s WHERE a NOT BETWEEN 1 AND 10 AND b = 2;",
    "SELECT * FROM s WHERE name LIKE 'a%';",
    "SELECT * FROM s WHERE name NOT LIKE '%b';",
    "SELECT * FROM s WHERE name LIKE 'a!%%' ESCAPE '!';",
    "SELECT * FROM s WHERE a IN (1, 2, 3);",
    "SELECT * FROM s WHERE a NOT IN ('x', 'y');",
    "SELECT * FROM s WHERE a IS DISTINCT FROM b;",
    "SELECT * FROM s WHERE a IS NOT DISTINCT FROM b;",
    "SELECT a + b * c - d / e % f FROM s;",
    "SELECT -a, +b, - -c FROM s;",
    "SELECT a || b || 'c' FROM s;",
    "SELECT (a + b) * c FROM s;",
    "SELECT 1, 1.5, 1.5E3, 2e-3, .5, 10., 'str', 'it''s', TRUE, FALSE, NULL FROM s;",
    "SELECT -2147483648, 2147483648, -9223372036854775808 FROM s;",
    "SELECT CASE WHEN a > 1 THEN 'big' WHEN a = 1 THEN 'one' ELSE 'small' END FROM s;",
    "SELECT CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' END AS n FROM s;",
    "SELECT CAST(a AS STRING), CAST(b AS DECIMAL(10, 2)), CAST(c AS BIGINT) FROM s;",
    "SELECT CAST(a AS ARRAY<INT>), CAST(m AS MAP<STRING, DOUBLE>) FROM s;",
    "SELECT CAST(x AS STRUCT<a INT, b STRING>) FROM s;",
    "SELECT arr[1], arr[a + 1], m['key'] FROM s;",
    "SELECT addr->street, addr->city->zip FROM s;",
    "SELECT s.addr->street FROM s;",
    "SELECT ARRAY[1, 2, 3], ARRAY[] FROM s;",
    "SELECT MAP('a' := 1, 'b' := 2), MAP() FROM s;",
    "SELECT STRUCT(name := 'x', age := 3) AS p FROM s;",
    "SELECT TRANSFORM(arr, x => x * 2) FROM s;",
    "SELECT TRANSFORM(m, (k, v) => UCASE(k), (k, v) => v + 1) FROM s;",
    "SELECT REDUCE(arr, 0, (s, x) => s + x) FROM s;",
    "SELECT FILTER(arr, x => x > 0 AND x < 10) FROM s;",
    "SELECT SUBSTRING(name, 1, 3), UCASE(name), LEN(name) FROM s;",
    "SELECT TIMESTAMPTOSTRING(ROWTIME, 'yyyy-MM-dd HH:mm:ss') FROM s;",
    "SELECT ROWTIME, ROWPARTITION, ROWOFFSET, WINDOWSTART, WINDOWEND FROM s;",
    "SELECT `lower case`, `with``tick` FROM `My Stream`;",
    "SELECT \"double quoted\" FROM s;",
    "SELECT key, type, size, session, topic, value FROM s;",
    "SELECT map, array, struct FROM s;",
    "SELECT REPLACE(name, 'a', 'b'), IFNULL(a, 0) FROM s;",
    "SELECT DATE, TIME, TIMESTAMP FROM s;",
    "SELECT * FROM s LIMIT 5;",
    "SELECT * FROM s EMIT CHANGES LIMIT 100;",
    "SELECT * FROM s WHERE ROWTIME >= 1000 EMIT CHANGES;",
    "SELECT * FROM t WHERE id = 'k1';",
    "SELECT * FROM a JOIN b ON a.id = b.id;",
    "SELECT * FROM a INNER JOIN b WITHIN 1 HOUR ON a.id = b.id;",
    "SELECT * FROM a LEFT JOIN b WITHIN 10 SECONDS ON a.id = b.id;",
    "SELECT * FROM a LEFT OUTER JOIN b WITHIN 10 SECONDS GRACE PERIOD 1 SECOND ON a.id = b.id;",
    "SELECT * FROM a RIGHT JOIN b WITHIN (1 MINUTE, 2 MINUTES) ON a.id = b.id;",
    "SELECT * FROM a RIGHT OUTER JOIN b ON a.id = b.id;",
    "SELECT * FROM a FULL OUTER JOIN b WITHIN (5 SECONDS, 10 SECONDS) GRACE PERIOD 2 SECONDS ON a.id = b.id;",
    "SELECT * FROM a FULL JOIN b ON a.id = b.id;",
    "SELECT * FROM a x JOIN b y ON x.id = y.id JOIN c z ON y.k = z.k EMIT CHANGES;",
    "SELECT * FROM a AS x LEFT JOIN b AS y ON x.id = y.id LEFT JOIN c AS z ON x.k = z.k;",
    "SELECT k, COUNT(*) FROM s WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY k EMIT CHANGES;",
    "SELECT k, COUNT(*) FROM s WINDOW TUMBLING (SIZE 20 SECONDS, RETENTION 7 DAYS) GROUP BY k;",
    "SELECT k, COUNT(*) FROM s WINDOW TUMBLING (SIZE 1 HOUR, GRACE PERIOD 10 MINUTES) GROUP BY k;",
    "SELECT k, COUNT(*) FROM s WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 2 DAYS, GRACE PERIOD 5 MINUTES) GROUP BY k;",
    "SELECT k, COUNT(*) FROM s WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS) GROUP BY k;",
    "SELECT k, COUNT(*) FROM s WINDOW HOPPING (SIZE 1 DAY, ADVANCE BY 1 HOUR, RETENTION 3 DAYS, GRACE PERIOD 1 HOUR) GROUP BY k;",
    "SELECT k, COUNT(*) FROM s WINDOW SESSION (60 SECONDS) GROUP BY k;",
    "SELECT k, COUNT(*) FROM s WINDOW SESSION (5 MINUTES, GRACE PERIOD 30 SECONDS) GROUP BY k;",
    "SELECT k, COUNT(*) FROM s WINDOW TUMBLING (SIZE 500 MILLISECONDS) GROUP BY k;",
    "SELECT k, COUNT(*) FROM s WINDOW TUMBLING (SIZE 1 MILLISECOND) GROUP BY k;",
    "SELECT a, b, COUNT(*) FROM s GROUP BY a, b;",
    "SELECT a, b, COUNT(*) FROM s GROUP BY (a, b);",
    "SELECT a + 1, COUNT(*) FROM s GROUP BY (a + 1);",
    "SELECT * FROM s PARTITION BY a;",
    "SELECT * FROM s PARTITION BY a, b EMIT CHANGES;",
    "SELECT * FROM s WHERE a > 0 PARTITION BY (a, b);",
    "SELECT k, SUM(v) FROM s WHERE v > 0 GROUP BY k HAVING SUM(v) > 100 EMIT CHANGES LIMIT 3;",
    "SELECT * FROM s WHERE (a = 1 OR b = 2) AND NOT (c = 3);",
    "SELECT * FROM s -- trailing comment",
    "SELECT /* inline */ a FROM s;",
    "SELECT ${col} FROM s;",
    "SELECT * FROM ${src};",
    "SELECT '${col}' FROM s;",
    "CREATE STREAM pageviews (viewtime BIGINT, userid VARCHAR, pageid VARCHAR) WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON');",
    "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', format='json', partitions=3);",
    "CREATE STREAM s (id STRING KEY, h BYTES HEADER('trace'), hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS) WITH (kafka_topic='s', value_format='JSON');",
    "CREATE STREAM IF NOT EXISTS s (a INT) WITH (kafka_topic='s', value_format='DELIMITED');",
    "CREATE OR REPLACE STREAM s (a INT, b DOUBLE) WITH (kafka_topic='s', value_format='JSON');",
    "CREATE SOURCE STREAM s (a INT) WITH (kafka_topic='s', value_format='JSON');",
    "CREATE STREAM s WITH (kafka_topic='s', value_format='AVRO');",
    "CREATE STREAM s (ts TIMESTAMP, d DATE, t TIME, b BOOLEAN, bs BYTES) WITH (kafka_topic='s', value_format='JSON', timestamp='ts');",
    "CREATE STREAM s (m MAP<STRING, ARRAY<STRUCT<x INT, y DOUBLE>>>) WITH (kafka_topic='s', value_format='JSON');",
    "CREATE STREAM s (a DECIMAL(38, 0), b DECIMAL(4, 4), c INTEGER, d VARCHAR(10)) WITH (kafka_topic='s', value_format='JSON');",
    "CREATE STREAM s (a my_type, b ARRAY<my_type>) WITH (kafka_topic='s', value_format='JSON');",
    "CREATE STREAM s (`Mixed Case` INT, `key` STRING KEY) WITH (kafka_topic='s', value_format='JSON');",
    "CREATE STREAM s (a INT) WITH ('kafka_topic'='s', \"VALUE_FORMAT\"='JSON', REPLICAS=-1, WRAP_SINGLE_VALUE=false);",
    "CREATE STREAM s (a INT) WITH (kafka_topic='s', value_format='JSON', key_format='KAFKA', timestamp_format='yyyy-MM-dd');",
    "CREATE TABLE users (id VARCHAR PRIMARY KEY, name VARCHAR, age INT) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON');",
    "CREATE TABLE IF NOT EXISTS t (k BIGINT PRIMARY KEY, v STRING) WITH (kafka_topic='t', format='JSON');",
    "CREATE OR REPLACE TABLE t (k INT PRIMARY KEY, v STRING) WITH (kafka_topic='t', format='JSON');",
    "CREATE SOURCE TABLE t (k INT PRIMARY KEY, v STRING) WITH (kafka_topic='t', format='JSON');",
    "CREATE OR REPLACE SOURCE TABLE IF NOT EXISTS t (k INT PRIMARY KEY) WITH (kafka_topic='t', format='JSON');",
    "CREATE TABLE t WITH (kafka_topic='t', format='AVRO');",
    "CREATE STREAM enriched AS SELECT * FROM pageviews EMIT CHANGES;",
    "CREATE STREAM enriched WITH (kafka_topic='enriched', value_format='JSON') AS SELECT pv.pageid, u.name FROM pageviews pv LEFT JOIN users u ON pv.userid = u.id EMIT CHANGES;",
    "CREATE OR REPLACE STREAM s2 AS SELECT a, b FROM s WHERE a > 1;",
    "CREATE STREAM IF NOT EXISTS s2 AS SELECT * FROM s PARTITION BY b;",
    "CREATE TABLE counts AS SELECT k, COUNT(*) AS n FROM s GROUP BY k EMIT CHANGES;",
    "CREATE TABLE counts WITH (partitions=4) AS SELECT k, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 10 SECONDS) GROUP BY k EMIT CHANGES;",
    "CREATE OR REPLACE TABLE IF NOT EXISTS c AS SELECT k, MAX(v) FROM s GROUP BY k;",
    "CREATE TABLE j AS SELECT t1.id, t2.v FROM t1 JOIN t2 ON t1.id = t2.id;",
    "INSERT INTO s SELECT * FROM other EMIT CHANGES;",
    "INSERT INTO s WITH (QUERY_ID='my_query') SELECT * FROM other;",
    "INSERT INTO s SELECT a, b FROM other WHERE a > 1 PARTITION BY b;",
    "INSERT INTO s VALUES (1, 'a');",
    "INSERT INTO s (a, b) VALUES (1, 'a');",
    "INSERT INTO s (ROWTIME, a) VALUES (1000, -5.5);",
    "INSERT INTO s VALUES (ARRAY[1, 2], MAP('k' := 1.5), STRUCT(x := 1), NULL, TRUE);",
    "INSERT INTO s VALUES ();",
    "INSERT INTO `quoted` (`a b`) VALUES ('x');",
    "DROP STREAM s;",
    "DROP STREAM IF EXISTS s;",
    "DROP STREAM s DELETE TOPIC;",
    "DROP STREAM IF EXISTS s DELETE TOPIC;",
    "DROP TABLE t;",
    "DROP TABLE IF EXISTS t DELETE TOPIC;",
    "SHOW STREAMS;",
    "SHOW STREAMS EXTENDED;",
    "LIST STREAMS;",
    "SHOW TABLES;",
    "LIST TABLES EXTENDED;",
    "SHOW QUERIES;",
    "SHOW QUERIES EXTENDED;",
    "SHOW TOPICS;",
    "SHOW TOPICS EXTENDED;",
    "SHOW ALL TOPICS;",
    "LIST ALL TOPICS EXTENDED;",
    "SHOW PROPERTIES;",
    "SHOW FUNCTIONS;",
    "LIST FUNCTIONS;",
    "SHOW TYPES;",
    "SHOW VARIABLES;",
    "DESCRIBE pageviews;",
    "DESCRIBE pageviews EXTENDED;",
    "DESCRIBE EXTENDED pageviews;",
    "DESCRIBE STREAMS;",
    "DESCRIBE STREAMS EXTENDED;",
    "DESCRIBE TABLES;",
    "DESCRIBE TABLES EXTENDED;",
    "DESCRIBE FUNCTION SUBSTRING;",
    "DESCRIBE `My Stream`;",
    "EXPLAIN CSAS_ENRICHED_0;",
    "EXPLAIN SELECT * FROM pageviews EMIT CHANGES;",
    "EXPLAIN CREATE STREAM s2 AS SELECT * FROM s;",
    "TERMINATE CSAS_ENRICHED_0;",
    "TERMINATE ALL;",
    "PAUSE CTAS_COUNTS_1;",
    "PAUSE ALL;",
    "RESUME CTAS_COUNTS_1;",
    "RESUME ALL;",
    "PRINT 'pageviews';",
    "PRINT pageviews;",
    "PRINT 'pageviews' FROM BEGINNING;",
    "PRINT 'pageviews' FROM BEGINNING INTERVAL 3 LIMIT 10;",
    "PRINT `pageviews` LIMIT 1;",
    "PRINT 'pageviews' INTERVAL 2;",
    "SET 'auto.offset.reset' = 'earliest';",
    "SET 'processing.guarantee'='exactly_once_v2';",
    "UNSET 'auto.offset.reset';",
    "DEFINE topic = 'pageviews';",
    "DEFINE empty = '';",
    "UNDEFINE topic;",
    "CREATE TYPE address AS STRUCT<street STRING, city STRING, zip INT>;",
    "CREATE TYPE IF NOT EXISTS money AS DECIMAL(10, 2);",
    "CREATE TYPE tags AS ARRAY<STRING>;",
    "DROP TYPE address;",
    "DROP TYPE IF EXISTS address;",
    "ASSERT TOPIC pageviews;",
    "ASSERT TOPIC 'pageviews' WITH (partitions=3, replicas=1) TIMEOUT 10 SECONDS;",
    "ASSERT NOT EXISTS TOPIC 'old' TIMEOUT 1 MINUTE;",
    "ASSERT SCHEMA SUBJECT 'pageviews-value';",
    "ASSERT SCHEMA ID 42 TIMEOUT 30 SECONDS;",
    "ASSERT NOT EXISTS SCHEMA SUBJECT 'x-value' ID 5;",
    "ASSERT EXISTS TOPIC pageviews;",
    "ASSERT STREAM pageviews;",
    "ASSERT NOT EXISTS TABLE users TIMEOUT 5 SECONDS;",
    "RUN SCRIPT '/path/to/script.sql';",
    "run script 'relative.sql';",
};

Test(parser, must_parse)
{
    cr_assert_geq(sizeof MUST_PARSE / sizeof MUST_PARSE[0], 150);
    for (size_t i = 0; i < sizeof MUST_PARSE / sizeof MUST_PARSE[0]; i++) {
        const char *sql = MUST_PARSE[i];
        sl_arena *a = sl_arena_new(0);
        sl_error err;
        sl_stmt *s[2];
        int n = parse_all(sql, a, s, 2, &err);
        cr_assert_eq(n, 1, "%s\n  -> %d statements (%s at %u)", sql, n, err.msg, err.span.off);
        cr_assert(s[0]->text && s[0]->text[0], "%s: no text", sql);
        cr_assert_neq(s[0]->span.off, SL_NOPOS, "%s: no span", sql);
        /* the journaled text parses again to the same tree */
        char *d1 = dump_of(s[0]);
        sl_error err2;
        char *d2 = dump_text(s[0]->text, &err2);
        cr_assert(d2, "%s: text [%s] does not parse again: %s", sql, s[0]->text, err2.msg);
        cr_assert_str_eq(d1, d2, "%s", sql);
        free(d1);
        free(d2);
        sl_arena_free(a);
    }
}

/* ---- structure: S-expression dumps ---- */

typedef struct dump_case { const char *sql, *dump; } dump_case;

static const dump_case DUMPS[] = {
    {"SELECT a + b * c, (a + b) * c, a - b - c, a || b + c FROM s;",
     "(select (items (+ (col A) (* (col B) (col C))) (* (+ (col A) (col B)) (col C)) "
     "(- (- (col A) (col B)) (col C)) (+ (|| (col A) (col B)) (col C))) (from S))"},
    {"SELECT * FROM s WHERE a OR b AND NOT c = d;",
     "(select (items *) (from S) (where (or (col A) (and (col B) (not (= (col C) (col D)))))))"},
    {"SELECT * FROM s WHERE NOT a AND b;",
     "(select (items *) (from S) (where (and (not (col A)) (col B))))"},
    {"SELECT -a * b, - 5, -(5), -2147483648 FROM s;",
     "(select (items (* (neg (col A)) (col B)) (int -5) (int -5) (int -2147483648)) (from S))"},
    {"SELECT x FROM s WHERE a + 1 BETWEEN b AND c + 1 AND d;",
     "(select (items (col X)) (from S) (where (and (between (+ (col A) (int 1)) (col B) "
     "(+ (col C) (int 1))) (col D))))"},
    {"SELECT a->b[1]->c, s.x FROM s;",
     "(select (items (deref (subscript (deref (col A) B) (int 1)) C) (col S.X)) (from S))"},
    {"SELECT a x, b AS `y`, s.*, * FROM s;",
     "(select (items (as (col A) X) (as (col B) `y`) S.* *) (from S))"},
    {"SELECT 1, 1.50, 1.5E3, 'it''s', TRUE, FALSE, NULL FROM s;",
     "(select (items (int 1) (dec 1.50) (double 1.5E3) (str 'it''s') true false null) (from S))"},
    {"SELECT a IS NULL, a IS NOT NULL, a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b FROM s;",
     "(select (items (is-null (col A)) (is-not-null (col A)) (is-distinct (col A) (col B)) "
     "(is-not-distinct (col A) (col B))) (from S))"},
    {"SELECT a NOT IN (1, 2), a NOT LIKE 'x%' ESCAPE '!', a NOT BETWEEN 1 AND 2 FROM s;",
     "(select (items (not-in (col A) (int 1) (int 2)) (not-like (col A) (str 'x%') (escape (str '!'))) "
     "(not-between (col A) (int 1) (int 2))) (from S))"},
    {"SELECT CASE WHEN a THEN 1 ELSE 2 END, CASE a WHEN 1 THEN 'x' END FROM s;",
     "(select (items (case (when (col A) (int 1)) (else (int 2))) (case (col A) (when (int 1) (str 'x')))) (from S))"},
    {"SELECT CAST(a AS DECIMAL(10, 2)), CAST(b AS ARRAY<MAP<STRING, INT>>) FROM s;",
     "(select (items (cast (col A) DECIMAL(10, 2)) (cast (col B) ARRAY<MAP<STRING, INTEGER>>)) (from S))"},
    {"SELECT MAP('a' := 1), STRUCT(`x` := 2), ARRAY[1], TRANSFORM(a, (k, v) => k), F(x => x + 1), COUNT(*) FROM s;",
     "(select (items (map (str 'a') (int 1)) (struct (`x` (int 2))) (array (int 1)) "
     "(call TRANSFORM (col A) (lambda (K V) (col K))) (call F (lambda (X) (+ (col X) (int 1)))) "
     "(call COUNT *)) (from S))"},
    {"SELECT * FROM a JOIN b WITHIN 1 HOUR ON a.id = b.id LEFT OUTER JOIN c cc WITHIN (1 SECOND, 2 MINUTES) GRACE PERIOD 5 MILLISECONDS ON a.x = cc.x FULL JOIN d ON TRUE;",
     "(select (items *) (from A) (join inner B (within 3600000 3600000) (on (= (col A.ID) (col B.ID)))) "
     "(join left C (as CC) (within 1000 120000) (grace 5) (on (= (col A.X) (col CC.X)))) "
     "(join full D (on true)))"},
    {"SELECT k, COUNT(*) FROM s WINDOW HOPPING (SIZE 1 DAY, ADVANCE BY 1 HOUR, RETENTION 3 DAYS, GRACE PERIOD 1 MINUTE) WHERE v > 0 GROUP BY k HAVING COUNT(*) > 1 EMIT FINAL LIMIT 7;",
     "(select (items (col K) (call COUNT *)) (from S) (window hopping (size 86400000) (advance 3600000) "
     "(retention 259200000) (grace 60000)) (where (> (col V) (int 0))) (group-by (col K)) "
     "(having (> (call COUNT *) (int 1))) (emit final) (limit 7))"},
    {"SELECT * FROM s WINDOW SESSION (30 SECONDS) PARTITION BY (a, b) EMIT CHANGES;",
     "(select (items *) (from S) (window session (size 30000)) (partition-by (col A) (col B)) (emit changes))"},
    {"CREATE TABLE t (k INT PRIMARY KEY, h BYTES HEADER('k'), hs ARRAY<STRUCT<KEY STRING, VALUE BYTES>> HEADERS, v VARCHAR KEY) WITH (KAFKA_TOPIC='t', 'Value.Format'='JSON', PARTITIONS=2, X=1.5, Y=TRUE, Z=-3);",
     "(create table T (columns (K INTEGER primary-key) (H BYTES header 'k') "
     "(HS ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>> headers) (V STRING key)) "
     "(with (KAFKA_TOPIC (str 't')) (`Value.Format` (str 'JSON')) (PARTITIONS (int 2)) (X (dec 1.5)) (Y true) (Z (int -3))))"},
    {"CREATE OR REPLACE SOURCE STREAM IF NOT EXISTS s WITH (kafka_topic='s');",
     "(create stream S or-replace source if-not-exists (with (KAFKA_TOPIC (str 's'))))"},
    {"CREATE STREAM s2 WITH (partitions=1) AS SELECT * FROM s;",
     "(create-as stream S2 (with (PARTITIONS (int 1))) (select (items *) (from S)))"},
    {"INSERT INTO s (`a`, b) VALUES (-1, -1.5, 'x');",
     "(insert S (columns `a` B) (values (int -1) (dec -1.5) (str 'x')))"},
    {"INSERT INTO s WITH (query_id='q') SELECT * FROM t;",
     "(insert S (with (QUERY_ID (str 'q'))) (select (items *) (from T)))"},
    {"DROP TABLE IF EXISTS t DELETE TOPIC;", "(drop table T if-exists delete-topic)"},
    {"LIST ALL TOPICS EXTENDED;", "(show all-topics extended)"},
    {"DESCRIBE TABLES EXTENDED;", "(describe-all tables extended)"},
    {"describe `My Src` extended;", "(describe `My Src` extended)"},
    {"DESCRIBE FUNCTION substring;", "(describe-function SUBSTRING)"},
    {"EXPLAIN csas_x_0;", "(explain CSAS_X_0)"},
    {"EXPLAIN SELECT * FROM s;", "(explain (select (items *) (from S)))"},
    {"TERMINATE ALL;", "(terminate all)"},
    {"PAUSE q1;", "(pause Q1)"},
    {"RESUME ALL;", "(resume all)"},
    {"PRINT 'Topic' FROM BEGINNING INTERVAL 3 LIMIT 10;",
     "(print 'Topic' quoted from-beginning (interval 3) (limit 10))"},
    {"PRINT topic;", "(print 'TOPIC')"},
    {"SET 'auto.offset.reset'='earliest';", "(set 'auto.offset.reset' 'earliest')"},
    {"UNSET 'auto.offset.reset';", "(unset 'auto.offset.reset')"},
    {"DEFINE name = 'it''s';", "(define 'NAME' 'it''s')"},
    {"UNDEFINE name;", "(undefine 'NAME')"},
    {"CREATE TYPE IF NOT EXISTS t AS MAP<STRING, ARRAY<DECIMAL(3, 1)>>;",
     "(create-type T if-not-exists MAP<STRING, ARRAY<DECIMAL(3, 1)>>)"},
    {"DROP TYPE IF EXISTS t;", "(drop-type T if-exists)"},
    {"ASSERT NOT EXISTS TOPIC 'x' WITH (partitions=1) TIMEOUT 2 SECONDS;",
     "(assert-topic 'x' not-exists (with (PARTITIONS (int 1))) (timeout 2000))"},
    {"ASSERT STREAM `s`;", "(assert-stream `s`)"},
    {"ASSERT NOT EXISTS TABLE t TIMEOUT 3 SECONDS;", "(assert-table T not-exists (timeout 3000))"},
    {"ASSERT EXISTS TOPIC t;", "(assert-topic 'T')"},
    {"ASSERT SCHEMA SUBJECT 's-value' ID 3 TIMEOUT 1 MINUTE;",
     "(assert-schema (subject 's-value') (id 3) (timeout 60000))"},
    {"RUN SCRIPT 'a.sql';", "(run-script 'a.sql')"},
    /* non-reserved keywords as names, keywords where the grammar wants them */
    {"SELECT key, type, size FROM topic WHERE session = 1;",
     "(select (items (col KEY) (col TYPE) (col SIZE)) (from TOPIC) (where (= (col SESSION) (int 1))))"},
    {"SELECT map, array, struct, MAP(1 := 2) FROM s;",
     "(select (items (col MAP) (col ARRAY) (col STRUCT) (map (int 1) (int 2))) (from S))"},
    {"CREATE STREAM s (key STRING KEY, value INT) WITH (kafka_topic='s');",
     "(create stream S (columns (KEY STRING key) (VALUE INTEGER)) (with (KAFKA_TOPIC (str 's'))))"},
    {"SELECT * FROM emit EMIT CHANGES;",
     "(select (items *) (from EMIT) (emit changes))"},
};

Test(parser, dumps)
{
    for (size_t i = 0; i < sizeof DUMPS / sizeof DUMPS[0]; i++) {
        sl_error err;
        char *d = dump_text(DUMPS[i].sql, &err);
        cr_assert(d, "%s: %s", DUMPS[i].sql, err.msg);
        cr_expect_str_eq(d, DUMPS[i].dump, "%s", DUMPS[i].sql);
        free(d);
    }
}

/* ---- statements that must fail, with where and why ---- */

typedef struct fail_case {
    const char *sql;
    int line, col;
    const char *fragment;
} fail_case;

static const fail_case FAILS[] = {
    {"SELECT * FORM t;", 1, 10, "mismatched input 'FORM' expecting"},
    {"SELECT * FROM t WHERE;", 1, 22, "expecting an expression"},
    {"SELECT * FROM t WHERE a = = 1;", 1, 27, "expecting an expression"},
    {"SELECT a\n  FROM t\n  WHERE a = = 1;", 3, 13, "mismatched input '='"},
    {"CREATE STREAM;", 1, 14, "expecting an identifier"},
    {"CREATE STREAM", 1, 14, "unexpected end of statement"},
    {"SELECT 1 FROM", 1, 14, "expecting an identifier"},
    {"SELEC * FROM t;", 1, 1, "mismatched input 'SELEC'"},
    {"SELECT * FROM s GROUP a;", 1, 23, "expecting BY"},
    {"SELECT * FROM s EMIT;", 1, 21, "expecting one of CHANGES, FINAL"},
    {"SELECT * FROM t LIMIT x;", 1, 23, "expecting an integer"},
    {"DROP STREAM;", 1, 12, "expecting an identifier"},
    {"SHOW STREAM;", 1, 6, "mismatched input 'STREAM'"},
    {"SELECT 'abc FROM t;", 1, 8, "unterminated string literal"},
    {"SELECT `abc FROM t;", 1, 8, "unterminated quoted identifier"},
    {"SELECT 1 FROM t /* never closed", 1, 17, "unterminated comment"},
    {"SELECT # FROM t;", 1, 8, "unexpected character '#'"},
    {"SELECT \xc3\xa9 FROM t;", 1, 8, "unexpected character"},
    {"SELECT \xff FROM t;", 1, 8, "invalid UTF-8"},
    {"SELECT 'a\xff' FROM t;", 1, 10, "invalid UTF-8 in string literal"},
    {"SELECT ${ FROM t;", 1, 8, "invalid variable reference"},
    {"SELECT ${UNKNOWN_VAR} FROM t;", 1, 8, "undefined variable 'UNKNOWN_VAR'"},
    {"SELECT ${INJ_SEMI} FROM t;", 1, 8, "may not contain ';'"},
    {"SELECT ${INJ_STR} FROM t;", 1, 8, "unterminated string literal"},
    {"SELECT ${INJ_OPEN} FROM t;", 1, 8, "unterminated string literal"},
    {"SELECT ${INJ_BLOCK} FROM t;", 1, 8, "unterminated comment"},
    {"SELECT ${NESTED} FROM t;", 1, 8, "may not refer to a variable"},
    {"SELECT ${EMPTY} FROM t;", 1, 8, "is empty"},
    {"SELECT '${BADUTF}' FROM t;", 1, 9, "not valid UTF-8"},
    {"SELECT * FROM t WINDOW TUMBLING (SIZE 1 WEEK) GROUP BY a;", 1, 41, "unknown time unit WEEK"},
    {"SELECT * FROM t WINDOW TUMBLING (SIZE 9999999999999999 DAYS) GROUP BY a;", 1, 39, "out of range"},
    {"SELECT * FROM t WINDOW TUMBLING (SIZE 99999999999999999999 SECONDS) GROUP BY a;", 1, 39, "out of range"},
    {"SELECT * FROM t WINDOW TUMBLING (SIZE 1 SECOND, RETENTION 1 DAY, RETENTION 2 DAYS);", 1, 76, "RETENTION is given twice"},
    {"SELECT * FROM t LIMIT 99999999999999999999;", 1, 23, "out of range"},
    {"SELECT 99999999999999999999 FROM t;", 1, 8, "out of range for BIGINT"},
    {"SELECT 9223372036854775808 FROM t;", 1, 8, "out of range for BIGINT"},
    {"SELECT 1 + 9223372036854775808 FROM t;", 1, 12, "out of range for BIGINT"},
    {"SELECT 1.5E999 FROM t;", 1, 8, "out of range"},
    {"CREATE SOURCE STREAM s AS SELECT * FROM t;", 1, 27, "cannot be created AS SELECT"},
    {"CREATE STREAM s (a INT, a STRING) WITH (kafka_topic='s');", 1, 25, "duplicate column A"},
    {"CREATE STREAM s (a INT) WITH (kafka_topic='s', KAFKA_TOPIC='t');", 1, 48, "given twice"},
    {"CREATE STREAM s (a DECIMAL) WITH (kafka_topic='s');", 1, 20, "DECIMAL needs a precision"},
    {"CREATE STREAM s (a DECIMAL(39, 1)) WITH (kafka_topic='s');", 1, 28, "precision must be between 1 and 38"},
    {"CREATE STREAM s (a DECIMAL(4, 5)) WITH (kafka_topic='s');", 1, 31, "scale must not be greater"},
    {"CREATE STREAM s (a INT(4)) WITH (kafka_topic='s');", 1, 20, "does not take parameters"},
    {"CREATE STREAM s (a STRUCT<x INT, x INT>) WITH (kafka_topic='s');", 1, 34, "duplicate field X"},
    {"SELECT F(a.b => 1) FROM t;", 1, 10, "lambda parameter must be a plain name"},
    {"SELECT F((x, x) => 1) FROM t;", 1, 14, "duplicate lambda parameter X"},
    {"SELECT a LIKE 'b' ESCAPE 'xy' FROM t;", 1, 26, "ESCAPE must be a single character"},
    {"ASSERT SCHEMA TIMEOUT 1 SECOND;", 1, 31, "needs a SUBJECT or an ID"},
    {"SELECT 1 = 2 = 3 FROM t;", 1, 14, "mismatched input '='"},
    {"INSERT INTO s VALUES 1;", 1, 22, "expecting '('"},
    {"SELECT * FROM t;\nSELECT * FROM t t2 t3;", 2, 20, "mismatched input 't3'"},
    {"SELECT * FROM t WHERE a IN ();", 1, 29, "expecting an expression"},
    {"SELECT CAST(a AS) FROM t;", 1, 17, "expecting one of an identifier, ARRAY, MAP, STRUCT"},
    {"SELECT by FROM t;", 1, 8, "mismatched input 'by' expecting"},
    {"DESCRIBE;", 1, 9, "unexpected end of statement"},
    {"CREATE STREAM s (x INT) WITH (kafka_topic='a') AS SELECT * FROM t;", 1, 48, "mismatched input 'AS'"},
};

Test(parser, failures)
{
    for (size_t i = 0; i < sizeof FAILS / sizeof FAILS[0]; i++) {
        const fail_case *c = &FAILS[i];
        sl_arena *a = sl_arena_new(0);
        sl_error err;
        sl_error_clear(&err);
        sl_stmt *s[4];
        int n = parse_all(c->sql, a, s, 4, &err);
        cr_assert_eq(n, -1, "%s: parsed", c->sql);
        cr_expect_eq(err.code, SL_ERR_SYNTAX, "%s", c->sql);
        cr_assert_neq(err.span.off, SL_NOPOS, "%s: no span", c->sql);
        int line, col;
        sl_text_position(c->sql, strlen(c->sql), err.span.off, &line, &col);
        cr_expect(line == c->line && col == c->col, "%s: at %d:%d, expected %d:%d (%s)", c->sql,
                  line, col, c->line, c->col, err.msg);
        cr_expect(strstr(err.msg, c->fragment) != NULL, "%s: message [%s] lacks [%s]", c->sql,
                  err.msg, c->fragment);
        sl_arena_free(a);
    }
}

Test(parser, error_renders_caret)
{
    const char *sql = "SELECT a\n  FORM t;";
    sl_arena *a = sl_arena_new(0);
    sl_error err;
    sl_stmt *s[1];
    cr_assert_eq(parse_all(sql, a, s, 1, &err), -1);
    sl_buf b = SL_BUF_INIT;
    sl_error_render(&b, &err, sql, strlen(sql), "q.sql");
    /* "FORM" is taken as the alias of a, so the error is at t */
    cr_expect(strstr(sl_buf_cstr(&b), "q.sql:2:8:") != NULL, "%s", sl_buf_cstr(&b));
    cr_expect(strstr(sl_buf_cstr(&b), "  FORM t;\n") != NULL, "%s", sl_buf_cstr(&b));
    cr_expect(strstr(sl_buf_cstr(&b), "       ^\n") != NULL, "%s", sl_buf_cstr(&b));
    sl_buf_fini(&b);
    sl_arena_free(a);
}

/* ---- several statements, recovery, spans and text ---- */

Test(parser, several_statements_and_recovery)
{
    const char *sql = "SELECT 1 FROM t;;  ; SELECT FROM; -- c\nDROP STREAM s;\n SHOW TOPICS";
    sl_parser *p = sl_parser_new(sql, strlen(sql), lookup, NULL);
    sl_arena *a = sl_arena_new(0);
    sl_stmt *s;
    sl_error err;
    cr_assert_eq(sl_parser_next(p, a, &s, &err), 1);
    cr_expect_str_eq(s->text, "SELECT 1 FROM t");
    cr_expect_eq(s->span.off, 0);
    cr_expect_eq(s->span.len, 15);
    cr_assert_eq(sl_parser_next(p, a, &s, &err), -1);
    cr_expect_eq(err.span.off, 28); /* FROM where an expression was expected */
    cr_assert_eq(sl_parser_next(p, a, &s, &err), 1);
    cr_expect_eq(s->kind, SL_S_DROP_SOURCE);
    cr_expect_str_eq(s->text, "DROP STREAM s");
    cr_expect_eq(s->span.off, 39);
    cr_assert_eq(sl_parser_next(p, a, &s, &err), 1);
    cr_expect_eq(s->kind, SL_S_SHOW);
    cr_expect_eq(s->show, SL_SHOW_TOPICS);
    cr_assert_eq(sl_parser_next(p, a, &s, &err), 0);
    cr_assert_eq(sl_parser_next(p, a, &s, &err), 0);
    sl_arena_free(a);
    sl_parser_free(p);
}

Test(parser, empty_inputs)
{
    const char *inputs[] = {"", "   ", ";", " ; ;; ", "-- only a comment", "/* c */ ;"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        sl_arena *a = sl_arena_new(0);
        sl_error err;
        sl_stmt *s[1];
        cr_expect_eq(parse_all(inputs[i], a, s, 1, &err), 0, "[%s]", inputs[i]);
        sl_arena_free(a);
    }
}

Test(parser, node_spans)
{
    const char *sql = "SELECT a + b AS c, f(x) FROM s JOIN t ON s.k = t.k WHERE x > 1;";
    sl_arena *a = sl_arena_new(0);
    sl_error err;
    sl_stmt *s[1];
    cr_assert_eq(parse_all(sql, a, s, 1, &err), 1, "%s", err.msg);
    sl_select *q = s[0]->query;
    cr_assert(q);
    cr_expect_eq(q->span.off, 0);
    cr_expect_eq(q->span.len, strlen(sql) - 1);
    sl_select_item *it = q->items.items[0];
    cr_expect_eq(it->expr->span.off, 7);
    cr_expect_eq(it->expr->span.len, 5);             /* a + b */
    cr_expect_eq(it->expr->a->span.off, 7);
    cr_expect_eq(it->expr->b->span.off, 11);
    cr_expect_eq(it->alias.span.off, 16);
    cr_expect_eq(q->items.items[1]->expr->span.off, 19);
    cr_expect_eq(q->items.items[1]->expr->span.len, 4);  /* f(x) */
    cr_expect_eq(q->from.span.off, 29);
    cr_expect_eq(q->joins.items[0]->right.name.span.off, 36);
    cr_expect_eq(q->joins.items[0]->on->span.off, 41);
    cr_expect_eq(q->joins.items[0]->on->span.len, 9);    /* s.k = t.k */
    cr_expect_eq(q->where->span.off, 57);
    cr_expect_eq(q->where->span.len, 5);
    sl_arena_free(a);

    /* parentheses widen the span; durations and windows carry theirs */
    sql = "SELECT (a) FROM s WINDOW TUMBLING (SIZE 2 MINUTES) LIMIT 3;";
    a = sl_arena_new(0);
    cr_assert_eq(parse_all(sql, a, s, 1, &err), 1, "%s", err.msg);
    q = s[0]->query;
    cr_expect_eq(q->items.items[0]->expr->span.off, 7);
    cr_expect_eq(q->items.items[0]->expr->span.len, 3);
    cr_expect_eq(q->window.span.off, 18);
    cr_expect_eq(q->window.size.ms, 120000);
    cr_expect_eq(q->window.size.span.off, 40);
    cr_expect_eq(q->window.size.span.len, 9);
    cr_expect_eq(q->limit, 3);
    cr_expect_eq(q->limit_span.off, 57);
    sl_arena_free(a);
}

Test(parser, fields)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err;
    sl_stmt *s[1];
    cr_assert_eq(parse_all("CREATE STREAM s (k STRING KEY, h BYTES HEADER('trace-id')) "
                           "WITH ('kafka_topic'='t', value_format='JSON');", a, s, 1, &err), 1,
                 "%s", err.msg);
    cr_expect_eq(s[0]->kind, SL_S_CREATE_SOURCE);
    cr_expect_str_eq(s[0]->name.name, "S");
    cr_expect_eq(s[0]->columns.n, 2);
    cr_expect_eq(s[0]->columns.items[0]->constraint, SL_COL_KEY);
    cr_expect_eq(s[0]->columns.items[0]->type->kind, SL_STRING);
    cr_expect_str_eq(s[0]->columns.items[1]->header_key, "trace-id");
    cr_expect_str_eq(s[0]->props.items[0]->name.name, "kafka_topic");
    cr_expect(s[0]->props.items[0]->name.quoted);
    cr_expect_str_eq(s[0]->props.items[1]->name.name, "VALUE_FORMAT");
    cr_expect_eq(s[0]->props.items[1]->value->kind, SL_E_STRING);
    cr_expect_str_eq(s[0]->props.items[1]->value->text, "JSON");
    cr_expect_eq(s[0]->interval, -1);
    cr_expect_eq(s[0]->limit, -1);
    cr_expect_eq(s[0]->schema_id, -1);

    cr_assert_eq(parse_all("SELECT * FROM s;", a, s, 1, &err), 1);
    cr_expect_eq(s[0]->query->limit, -1);
    cr_expect_eq(s[0]->query->window.kind, SL_WIN_NONE);
    cr_expect_eq(s[0]->query->emit, SL_EMIT_NONE);
    cr_expect_null(s[0]->query->from.alias.name);

    cr_assert_eq(parse_all("SELECT 'a''b' FROM s;", a, s, 1, &err), 1);
    cr_expect_eq(s[0]->query->items.items[0]->expr->textlen, 3);
    cr_expect_str_eq(s[0]->query->items.items[0]->expr->text, "a'b");

    cr_assert_eq(parse_all("SET 'k'='v';", a, s, 1, &err), 1);
    cr_expect_str_eq(s[0]->str, "k");
    cr_expect_str_eq(s[0]->str2, "v");

    cr_assert_eq(parse_all("EXPLAIN SELECT * FROM s;", a, s, 1, &err), 1);
    cr_assert(s[0]->explained);
    cr_expect_str_eq(s[0]->explained->text, "SELECT * FROM s");
    cr_expect_eq(s[0]->explained->span.off, 8);
    sl_arena_free(a);
}

/* ---- variables ---- */

typedef struct var_case { const char *sql, *text, *dump; } var_case;

static const var_case VARS[] = {
    {"SELECT ${col} FROM ${src};", "SELECT a FROM s2", "(select (items (col A)) (from S2))"},
    {"SELECT ${col}, ${N} FROM s;", "SELECT a, 42 FROM s", "(select (items (col A) (int 42)) (from S))"},
    {"SELECT ${EXPR} FROM s;", "SELECT a + 1 FROM s", "(select (items (+ (col A) (int 1))) (from S))"},
    {"SELECT '${topic}-${n}' FROM s;", "SELECT 'my_topic-42' FROM s",
     "(select (items (str 'my_topic-42')) (from S))"},
    /* a value inside a literal stays inside it, quotes and all */
    {"SELECT '${INJ_STR}' FROM s;", "SELECT 'x''; DROP STREAM s; --' FROM s",
     "(select (items (str 'x''; DROP STREAM s; --')) (from S))"},
    {"SELECT '${INJ_SEMI}' FROM s;", "SELECT '1; DROP STREAM s' FROM s",
     "(select (items (str '1; DROP STREAM s')) (from S))"},
    /* a comment in a value cannot swallow the rest of the statement */
    {"SELECT ${INJ_COMMENT} FROM s;", "SELECT 1 FROM s", "(select (items (int 1)) (from S))"},
    {"SELECT ${LIT} FROM s;", "SELECT 'quoted ''value''' FROM s",
     "(select (items (str 'quoted ''value''')) (from S))"},
    {"PRINT '${topic}';", "PRINT 'my_topic'", "(print 'my_topic' quoted)"},
    {"PRINT ${topic};", "PRINT my_topic", "(print 'MY_TOPIC')"},
    {"SELECT '$x ${ }' FROM s;", "SELECT '$x ${ }' FROM s", "(select (items (str '$x ${ }')) (from S))"},
};

Test(parser, variables)
{
    for (size_t i = 0; i < sizeof VARS / sizeof VARS[0]; i++) {
        sl_arena *a = sl_arena_new(0);
        sl_error err;
        sl_stmt *s[2];
        int n = parse_all(VARS[i].sql, a, s, 2, &err);
        cr_assert_eq(n, 1, "%s: %d statements (%s)", VARS[i].sql, n, err.msg);
        cr_expect_str_eq(s[0]->text, VARS[i].text, "%s", VARS[i].sql);
        char *d = dump_of(s[0]);
        cr_expect_str_eq(d, VARS[i].dump, "%s", VARS[i].sql);
        free(d);
        sl_arena_free(a);
    }
}

Test(parser, variable_spans_point_at_reference)
{
    const char *sql = "SELECT ${EXPR} FROM s;";
    sl_arena *a = sl_arena_new(0);
    sl_error err;
    sl_stmt *s[1];
    cr_assert_eq(parse_all(sql, a, s, 1, &err), 1);
    sl_expr *e = s[0]->query->items.items[0]->expr;
    cr_expect_eq(e->a->span.off, 7);
    cr_expect_eq(e->a->span.len, 7);
    cr_expect_eq(e->b->span.off, 7);
    cr_expect_eq(s[0]->span.len, strlen(sql) - 1);
    sl_arena_free(a);
}

Test(parser, injection_never_adds_a_statement)
{
    const char *sqls[] = {
        "SELECT '${INJ_STR}' FROM s; SHOW STREAMS;",
        "SELECT ${INJ_STR} FROM s; SHOW STREAMS;",
        "SELECT ${INJ_SEMI} FROM s; SHOW STREAMS;",
        "SELECT ${INJ_OPEN} FROM s; SHOW STREAMS;",
        "SELECT ${INJ_COMMENT} FROM s; SHOW STREAMS;",
    };
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        sl_parser *p = sl_parser_new(sqls[i], strlen(sqls[i]), lookup, NULL);
        sl_arena *a = sl_arena_new(0);
        sl_stmt *s;
        sl_error err;
        int kinds = 0, drops = 0, r;
        while ((r = sl_parser_next(p, a, &s, &err)) != 0) {
            if (r > 0) {
                kinds++;
                drops += s->kind == SL_S_DROP_SOURCE;
            }
        }
        cr_expect_eq(drops, 0, "%s", sqls[i]);
        cr_expect_leq(kinds, 2, "%s", sqls[i]);
        sl_arena_free(a);
        sl_parser_free(p);
    }
}

Test(parser, no_lookup_means_undefined)
{
    const char *sql = "SELECT ${X} FROM s;";
    sl_parser *p = sl_parser_new(sql, strlen(sql), NULL, NULL);
    sl_arena *a = sl_arena_new(0);
    sl_stmt *s;
    sl_error err;
    cr_expect_eq(sl_parser_next(p, a, &s, &err), -1);
    cr_expect(strstr(err.msg, "undefined variable 'X'"), "%s", err.msg);
    sl_arena_free(a);
    sl_parser_free(p);
}

Test(parser, undefined_reference_inside_a_literal_stays_as_written)
{
    /* regex replacements and templates use ${...}; only defined names are substituted */
    const char *sql = "SELECT 'x ${UNKNOWN_VAR} ${N}' FROM s;";
    sl_parser *p = sl_parser_new(sql, strlen(sql), lookup, NULL);
    sl_arena *a = sl_arena_new(0);
    sl_stmt *s;
    sl_error err;
    cr_assert_eq(sl_parser_next(p, a, &s, &err), 1, "%s", err.msg);
    const sl_expr *e = s->query->items.items[0]->expr;
    cr_assert_eq(e->kind, SL_E_STRING);
    cr_expect_str_eq(e->text, "x ${UNKNOWN_VAR} 42");
    sl_arena_free(a);
    sl_parser_free(p);
}

Test(parser, input_not_nul_terminated)
{
    char buf[] = {'S', 'E', 'L', 'E', 'C', 'T', ' ', '1', ' ', 'F', 'R', 'O', 'M', ' ', 't', 'x'};
    sl_parser *p = sl_parser_new(buf, 15, lookup, NULL);
    sl_arena *a = sl_arena_new(0);
    sl_stmt *s;
    sl_error err;
    cr_assert_eq(sl_parser_next(p, a, &s, &err), 1, "%s", err.msg);
    cr_expect_str_eq(s->query->from.name.name, "T");
    cr_expect_eq(sl_parser_next(p, a, &s, &err), 0);
    sl_arena_free(a);
    sl_parser_free(p);

    /* NUL bytes inside a string are data; outside they are errors */
    const char nul_in[] = "SELECT 'a\0b' FROM t";
    p = sl_parser_new(nul_in, sizeof nul_in - 1, lookup, NULL);
    a = sl_arena_new(0);
    cr_assert_eq(sl_parser_next(p, a, &s, &err), 1, "%s", err.msg);
    cr_expect_eq(s->query->items.items[0]->expr->textlen, 3);
    cr_expect_eq(memcmp(s->query->items.items[0]->expr->text, "a\0b", 3), 0);
    sl_arena_free(a);
    sl_parser_free(p);

    const char nul_out[] = "SELECT \0 FROM t";
    p = sl_parser_new(nul_out, sizeof nul_out - 1, lookup, NULL);
    a = sl_arena_new(0);
    cr_assert_eq(sl_parser_next(p, a, &s, &err), -1);
    cr_expect_eq(err.span.off, 7);
    sl_arena_free(a);
    sl_parser_free(p);
}

/* ---- expressions: canonical SQL ---- */

typedef struct expr_case { const char *in, *out; } expr_case;

static const expr_case EXPRS[] = {
    {"a + 1", "(A + 1)"},
    {"1 + 2 * 3 - -4", "((1 + (2 * 3)) - -4)"},
    {"a.b + `c d`", "(A.B + `c d`)"},
    {"NOT a = b AND c", "((NOT (A = B)) AND C)"},
    {"a OR b AND c", "(A OR (B AND C))"},
    {"a != b", "(A <> B)"},
    {"x BETWEEN 1 AND 2", "(X BETWEEN 1 AND 2)"},
    {"x NOT LIKE 'a%' ESCAPE '!'", "(X NOT LIKE 'a%' ESCAPE '!')"},
    {"x IN (1, 2)", "(X IN (1, 2))"},
    {"x IS NOT NULL", "(X IS NOT NULL)"},
    {"x IS DISTINCT FROM y", "(X IS DISTINCT FROM Y)"},
    {"CASE WHEN a THEN 'it''s' ELSE NULL END", "(CASE WHEN A THEN 'it''s' ELSE null END)"},
    {"case x when 1 then true end", "(CASE X WHEN 1 THEN true END)"},
    {"CAST(x AS VARCHAR)", "CAST(X AS STRING)"},
    {"CAST(x AS STRUCT<a INT, `B` MAP<STRING, BIGINT>>)", "CAST(X AS STRUCT<`A` INTEGER, `B` MAP<STRING, BIGINT>>)"},
    {"count(*)", "COUNT(*)"},
    {"f()", "F()"},
    {"substring(name, 1, 2)", "SUBSTRING(NAME, 1, 2)"},
    {"a->b->c[1]", "A->B->C[1]"},
    {"m['k']", "M['k']"},
    {"ARRAY[1, 2.5, 1e3]", "ARRAY[1, 2.5, 1E3]"},
    {"MAP('a' := 1)", "MAP('a':=1)"},
    {"STRUCT(a := 1, `b` := 'x')", "STRUCT(A:=1, `b`:='x')"},
    {"transform(arr, x => x + 1)", "TRANSFORM(ARR, (X) => (X + 1))"},
    {"reduce(arr, 0, (s, x) => s + x)", "REDUCE(ARR, 0, (S, X) => (S + X))"},
    {"`select` + `Mixed` + `SELECT` + `KEY`", "(((`select` + `Mixed`) + `SELECT`) + KEY)"},
    {"key + type", "(KEY + TYPE)"},
    {"'a' || 'b'", "('a' || 'b')"},
    {"-a", "-A"},
    {"-(1)", "-1"},
    {"- 9223372036854775808", "-9223372036854775808"},
    {"+a", "+A"},
    {"(((a)))", "A"},
    {"a % b / c", "((A % B) / C)"},
    {"  a  -- comment\n", "A"},
};

Test(parser, expressions)
{
    for (size_t i = 0; i < sizeof EXPRS / sizeof EXPRS[0]; i++) {
        sl_arena *a = sl_arena_new(0);
        sl_expr *e;
        sl_error err;
        int r = sl_parse_expr(EXPRS[i].in, strlen(EXPRS[i].in), a, &e, &err);
        cr_assert_eq(r, 0, "%s: %s", EXPRS[i].in, err.msg);
        sl_buf b = SL_BUF_INIT;
        sl_expr_print(&b, e);
        cr_expect_str_eq(sl_buf_cstr(&b), EXPRS[i].out, "%s", EXPRS[i].in);
        /* the printed form parses back to the same print */
        sl_expr *e2;
        cr_assert_eq(sl_parse_expr(b.data, b.len, a, &e2, &err), 0, "%s -> %s: %s",
                     EXPRS[i].in, b.data, err.msg);
        sl_buf b2 = SL_BUF_INIT;
        sl_expr_print(&b2, e2);
        cr_expect_str_eq(sl_buf_cstr(&b2), sl_buf_cstr(&b), "%s", EXPRS[i].in);
        sl_buf_fini(&b);
        sl_buf_fini(&b2);
        sl_arena_free(a);
    }
}

Test(parser, expression_kinds)
{
    sl_arena *a = sl_arena_new(0);
    sl_expr *e;
    sl_error err;
    cr_assert_eq(sl_parse_expr("1.50", 4, a, &e, &err), 0);
    cr_expect_eq(e->kind, SL_E_DECIMAL);
    cr_expect_str_eq(e->text, "1.50");
    cr_assert_eq(sl_parse_expr("15e-1", 5, a, &e, &err), 0);
    cr_expect_eq(e->kind, SL_E_DOUBLE);
    cr_assert_eq(sl_parse_expr("2147483648", 10, a, &e, &err), 0);
    cr_expect_eq(e->kind, SL_E_INT);
    cr_assert_eq(sl_parse_expr("TRUE", 4, a, &e, &err), 0);
    cr_expect(e->kind == SL_E_BOOL && e->bval);
    cr_assert_eq(sl_parse_expr("false", 5, a, &e, &err), 0);
    cr_expect(e->kind == SL_E_BOOL && !e->bval);
    cr_assert_eq(sl_parse_expr("rowtime", 7, a, &e, &err), 0);
    cr_expect_eq(e->kind, SL_E_COLUMN);
    cr_expect_str_eq(e->name.name, "ROWTIME");
    cr_expect(!e->name.quoted);
    cr_assert_eq(sl_parse_expr("`a``b`", 6, a, &e, &err), 0);
    cr_expect_str_eq(e->name.name, "a`b");
    cr_expect(e->name.quoted);
    cr_assert_eq(sl_parse_expr("x => 1", 6, a, &e, &err), -1);
    cr_assert_eq(sl_parse_expr("1;", 2, a, &e, &err), -1);
    cr_expect_eq(err.span.off, 1);
    cr_assert_eq(sl_parse_expr("", 0, a, &e, &err), -1);
    cr_assert_eq(sl_parse_expr("a b", 3, a, &e, &err), -1);
    cr_expect_eq(err.span.off, 2);
    sl_arena_free(a);
}

Test(parser, nesting_is_bounded)
{
    /* deep parentheses and long chains fail cleanly instead of crashing */
    size_t n = 100000;
    char *deep = malloc(2 * n + 2);
    memset(deep, '(', n);
    deep[n] = '1';
    memset(deep + n + 1, ')', n);
    deep[2 * n + 1] = '\0';
    sl_arena *a = sl_arena_new(0);
    sl_expr *e;
    sl_error err;
    cr_expect_eq(sl_parse_expr(deep, strlen(deep), a, &e, &err), -1);
    cr_expect(strstr(err.msg, "nested too deeply") != NULL, "%s", err.msg);
    free(deep);

    sl_buf chain = SL_BUF_INIT;
    sl_buf_puts(&chain, "1");
    for (int i = 0; i < 5000; i++)
        sl_buf_puts(&chain, " + 1");
    cr_expect_eq(sl_parse_expr(chain.data, chain.len, a, &e, &err), -1);
    cr_expect(strstr(err.msg, "nested too deeply") != NULL, "%s", err.msg);
    sl_buf_reset(&chain);
    sl_buf_puts(&chain, "1");
    for (int i = 0; i < 300; i++)
        sl_buf_puts(&chain, " + 1");
    cr_expect_eq(sl_parse_expr(chain.data, chain.len, a, &e, &err), 0, "%s", err.msg);
    sl_buf_fini(&chain);

    /* a long flat list is fine */
    sl_buf list = SL_BUF_INIT;
    sl_buf_puts(&list, "x IN (0");
    for (int i = 1; i < 20000; i++)
        sl_buf_printf(&list, ", %d", i);
    sl_buf_puts(&list, ")");
    cr_expect_eq(sl_parse_expr(list.data, list.len, a, &e, &err), 0, "%s", err.msg);
    cr_expect_eq(e->list.n, 20000);
    sl_buf_fini(&list);
    sl_arena_free(a);
}

/* ---- types ---- */

typedef struct type_case { const char *in; sl_kind kind; const char *fail; } type_case;

static const type_case TYPES[] = {
    {"BOOLEAN", SL_BOOLEAN, NULL}, {"int", SL_INT, NULL}, {"INTEGER", SL_INT, NULL},
    {"BIGINT", SL_BIGINT, NULL}, {"DOUBLE", SL_DOUBLE, NULL}, {"DECIMAL(10, 2)", SL_DECIMAL, NULL},
    {"STRING", SL_STRING, NULL}, {"VARCHAR", SL_STRING, NULL}, {"BYTES", SL_BYTES, NULL},
    {"TIMESTAMP", SL_TIMESTAMP, NULL}, {"DATE", SL_DATE, NULL}, {"TIME", SL_TIME, NULL},
    {"ARRAY<STRUCT<A INT>>", SL_ARRAY, NULL}, {"MAP<STRING, ARRAY<INT>>", SL_MAP, NULL},
    {"STRUCT<>", SL_STRUCT, NULL}, {"ARRAY<STRUCT<>>", SL_ARRAY, NULL}, {"STRUCT<a INT, b STRUCT<c DOUBLE>>", SL_STRUCT, NULL},
    {"my_alias", SL_NULL, NULL}, {"`int`", SL_NULL, NULL},
    {"DECIMAL", SL_DECIMAL, "needs a precision"}, {"ARRAY<>", SL_ARRAY, "mismatched input '<>'"},
    {"MAP<STRING>", SL_MAP, "expecting ','"}, {"INT INT", SL_INT, "mismatched input 'INT'"},
    {"DECIMAL(0, 0)", SL_DECIMAL, "precision must be between"},
};

Test(parser, types)
{
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
        sl_arena *a = sl_arena_new(0);
        sl_ast_type *t;
        sl_error err;
        int r = sl_parse_type(TYPES[i].in, strlen(TYPES[i].in), a, &t, &err);
        if (TYPES[i].fail) {
            cr_expect_eq(r, -1, "%s", TYPES[i].in);
            cr_expect(strstr(err.msg, TYPES[i].fail) != NULL, "%s: %s", TYPES[i].in, err.msg);
        } else {
            cr_assert_eq(r, 0, "%s: %s", TYPES[i].in, err.msg);
            cr_expect_eq(t->kind, TYPES[i].kind, "%s", TYPES[i].in);
        }
        sl_arena_free(a);
    }
    sl_arena *a = sl_arena_new(0);
    sl_ast_type *t;
    sl_error err;
    cr_assert_eq(sl_parse_type("MAP<STRING, STRUCT<`x` DECIMAL(5,1)>>", 37, a, &t, &err), 0, "%s", err.msg);
    cr_expect_eq(t->key->kind, SL_STRING);
    cr_expect_eq(t->elem->kind, SL_STRUCT);
    cr_expect_str_eq(t->elem->fields.items[0]->name.name, "x");
    cr_expect_eq(t->elem->fields.items[0]->type->precision, 5);
    cr_expect_eq(t->elem->fields.items[0]->type->scale, 1);
    cr_assert_eq(sl_parse_type("address", 7, a, &t, &err), 0);
    cr_expect_str_eq(t->name.name, "ADDRESS");
    sl_arena_free(a);
}

/* ---- REPL completeness and keywords ---- */

typedef struct complete_case { const char *text; bool complete; } complete_case;

static const complete_case COMPLETE[] = {
    {"", false}, {"   ", false}, {"SELECT 1", false}, {"SELECT 1;", true},
    {"SELECT 1;  \n", true}, {"SELECT 1; -- done", true}, {"SELECT 1; /* c */ ", true},
    {"SELECT 1; SELECT", false}, {"SELECT ';'", false}, {"SELECT ';", false},
    {"SELECT `;`", false}, {"SELECT 1 -- ;", false}, {"SELECT 1 /* ; */", false},
    {"SELECT 1 /* ; ", false}, {"SELECT 'it''s;';", true}, {"SELECT 1;\n/* open", false},
};

Test(parser, text_complete)
{
    for (size_t i = 0; i < sizeof COMPLETE / sizeof COMPLETE[0]; i++)
        cr_expect_eq(sl_text_complete(COMPLETE[i].text, strlen(COMPLETE[i].text)),
                     COMPLETE[i].complete, "[%s]", COMPLETE[i].text);
}

Test(parser, keywords)
{
    const char *const *k = sl_keywords();
    int n = 0;
    bool select = false, emit = false, bigint = false, grace = false;
    for (; k[n]; n++) {
        if (n)
            cr_expect_lt(strcmp(k[n - 1], k[n]), 0, "%s before %s", k[n - 1], k[n]);
        select |= !strcmp(k[n], "SELECT");
        emit |= !strcmp(k[n], "EMIT");
        bigint |= !strcmp(k[n], "BIGINT");
        grace |= !strcmp(k[n], "GRACE");
    }
    cr_expect_gt(n, 90);
    cr_expect(select && emit && bigint && grace);
}
