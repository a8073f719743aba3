/*
 * test_plan.c: planning stateless queries as a user sees it: output columns
 * and their names and keys, ksqlDB's key rules, the clauses this milestone
 * refuses (with the issue that brings them), errors pointing at the
 * offending text, INSERT INTO schema checks, and EXPLAIN.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/catalog.h"
#include "engine/plan.h"
#include "grammar/parse.h"

static sl_catalog *cat;
static sl_arena *arena;
static sl_error err;
static const char *last_text;

static void setup(void)
{
    cat = sl_catalog_new();
    arena = sl_arena_new(0);
    sl_error_clear(&err);
}

static void teardown(void)
{
    sl_catalog_free(cat);
    sl_arena_free(arena);
}

TestSuite(plan, .init = setup, .fini = teardown);

static sl_stmt *parse(const char *text)
{
    last_text = text;
    sl_parser *p = sl_parser_new(text, strlen(text), NULL, NULL);
    sl_stmt *st = NULL;
    int rc = sl_parser_next(p, arena, &st, &err);
    sl_parser_free(p);
    cr_assert_eq(rc, 1, "parse failed: %s", err.msg);
    return st;
}

static void ddl(const char *text)
{
    sl_create_result res;
    cr_assert_eq(sl_catalog_create_source(cat, parse(text), &res, &err), 0, "%s", err.msg);
}

static void orders(void)
{
    ddl("CREATE STREAM orders (id INT KEY, name STRING, amount INT, tags ARRAY<STRING>) "
        "WITH (KAFKA_TOPIC='orders', PARTITIONS=2, VALUE_FORMAT='JSON');");
}

static sl_plan *plan_of(const char *text)
{
    sl_stmt *st = parse(text);
    sl_plan_opts o = {.query_id = "Q_1", .reset = SL_RESET_EARLIEST, .limit = -1};
    return sl_plan_build(cat, st->query, &o, &err);
}

/* The text an error's span points at. */
static char *span_text(void)
{
    static char buf[256];
    cr_assert_neq(err.span.off, SL_NOPOS, "error without a span: %s", err.msg);
    snprintf(buf, sizeof buf, "%.*s", (int)err.span.len, last_text + err.span.off);
    return buf;
}

static void expect_cols(const sl_schema *s, const char *want)
{
    char got[512] = "";
    for (int i = 0; i < s->ncols; i++) {
        size_t n = strlen(got);
        snprintf(got + n, sizeof got - n, "%s%s%s", i ? "," : "", s->cols[i].name,
                 s->cols[i].kind == SL_COLK_KEY ? "(K)" : "");
    }
    cr_assert_str_eq(got, want);
}

Test(plan, star_is_key_then_values)
{
    orders();
    sl_plan *p = plan_of("SELECT * FROM orders EMIT CHANGES;");
    cr_assert_not_null(p, "%s", err.msg);
    expect_cols(sl_plan_output(p), "ID(K),NAME,AMOUNT,TAGS");
    cr_assert_str_eq(sl_plan_input(p)->kafka_topic, "orders");
    cr_assert_str_eq(sl_plan_query_id(p), "Q_1");
    cr_assert_eq(sl_plan_reset(p), SL_RESET_EARLIEST);
    cr_assert_eq(sl_plan_limit(p), -1);
    cr_assert_null(sl_plan_sink(p));
    cr_assert_eq(sl_plan_check_persistent(p, &err), 0);
    sl_plan_free(p);
}

Test(plan, names_aliases_and_generated)
{
    orders();
    sl_plan *p = plan_of("SELECT amount * 2, name AS who, id, UCASE(name) FROM orders "
                         "EMIT CHANGES LIMIT 3;");
    cr_assert_not_null(p, "%s", err.msg);
    /* the key column moves first; unaliased expressions are KSQL_COL_<position> */
    expect_cols(sl_plan_output(p), "ID(K),KSQL_COL_0,WHO,KSQL_COL_3");
    cr_assert_eq(sl_plan_output(p)->cols[1].type->kind, SL_INT);
    cr_assert_eq(sl_plan_output(p)->cols[3].type->kind, SL_STRING);
    cr_assert_eq(sl_plan_limit(p), 3);
    sl_plan_free(p);
}

Test(plan, duplicate_output_name_is_an_error)
{
    orders();
    cr_assert_null(plan_of("SELECT id, name, amount AS name FROM orders EMIT CHANGES;"));
    cr_assert_eq(err.code, SL_ERR_ANALYSIS);
    cr_assert(strstr(err.msg, "NAME"), "%s", err.msg);
    cr_assert_str_eq(span_text(), "amount AS name");
}

Test(plan, unknown_source_points_at_name)
{
    orders();
    cr_assert_null(plan_of("SELECT * FROM nowhere EMIT CHANGES;"));
    cr_assert_eq(err.code, SL_ERR_ANALYSIS);
    cr_assert(strstr(err.msg, "NOWHERE"), "%s", err.msg);
    cr_assert_str_eq(span_text(), "nowhere");
}

Test(plan, unknown_column_points_at_it)
{
    orders();
    cr_assert_null(plan_of("SELECT id, price FROM orders WHERE amount > 1 EMIT CHANGES;"));
    cr_assert_str_eq(span_text(), "price");
}

Test(plan, where_must_be_boolean)
{
    orders();
    cr_assert_null(plan_of("SELECT id FROM orders WHERE amount + 1 EMIT CHANGES;"));
    cr_assert(strstr(err.msg, "BOOLEAN"), "%s", err.msg);
    cr_assert_str_eq(span_text(), "amount + 1");
}

Test(plan, refused_clauses_name_their_issue)
{
    orders();
    ddl("CREATE STREAM other (id INT KEY, x INT) WITH (KAFKA_TOPIC='other', PARTITIONS=2, "
        "VALUE_FORMAT='JSON');");
    struct { const char *sql, *span, *word, *issue; } cases[] = {
        {"SELECT o.id FROM orders o JOIN other x WITHIN 1 MINUTE ON o.id = x.id EMIT CHANGES;",
         NULL, "JOIN", "later"},
        {"SELECT id, EXPLODE(tags) FROM orders EMIT CHANGES;", "EXPLODE(tags)", "EXPLODE",
         "later"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_error_clear(&err);
        sl_plan *p = plan_of(cases[i].sql);
        cr_assert_null(p, "%s planned", cases[i].sql);
        cr_assert_eq(err.code, SL_ERR_UNSUPPORTED, "%s: %s", cases[i].sql, err.msg);
        cr_assert(strstr(err.msg, cases[i].word), "%s: %s", cases[i].sql, err.msg);
        cr_assert(strstr(err.msg, cases[i].issue), "%s: %s", cases[i].sql, err.msg);
        if (cases[i].span)
            cr_assert_str_eq(span_text(), cases[i].span, "%s", cases[i].sql);
        else
            cr_assert_neq(err.span.off, SL_NOPOS);
    }
}

/* Aggregations: what ksqlDB refuses, with the clause the error points at. */
Test(plan, aggregation_errors)
{
    orders();
    struct { const char *sql, *span, *word; } cases[] = {
        {"SELECT id, COUNT(*) AS n FROM orders EMIT CHANGES;", "COUNT(*)", "GROUP BY"},
        {"SELECT id FROM orders WINDOW TUMBLING (SIZE 1 MINUTE) EMIT CHANGES;", NULL, "GROUP BY"},
        {"SELECT name, amount, COUNT(*) FROM orders GROUP BY name EMIT CHANGES;", "amount",
         "not part of GROUP BY"},
        {"SELECT name, COUNT(*) FROM orders GROUP BY name HAVING amount > 1 EMIT CHANGES;",
         "amount", "not part of GROUP BY"},
        {"SELECT name, COUNT(*) FROM orders GROUP BY name EMIT FINAL;", NULL, "EMIT FINAL"},
        {"SELECT name, COUNT(*) FROM orders GROUP BY name HAVING COUNT(*) EMIT CHANGES;",
         "COUNT(*)", "BOOLEAN"},
        {"SELECT name, SUM(COUNT(*)) FROM orders GROUP BY name EMIT CHANGES;", "COUNT(*)",
         "nested"},
        {"SELECT * FROM orders GROUP BY name EMIT CHANGES;", "*", "SELECT *"},
        {"SELECT name, COUNT(*) FROM orders WHERE COUNT(*) > 1 GROUP BY name EMIT CHANGES;",
         "COUNT(*)", "not allowed in WHERE"},
        {"SELECT name, COUNT(*) FROM orders GROUP BY name PARTITION BY name EMIT CHANGES;",
         "name", "cannot be combined"},
        {"SELECT name, COUNT(*) FROM orders WINDOW HOPPING (SIZE 1 MINUTE, ADVANCE BY 2 "
         "MINUTES) GROUP BY name EMIT CHANGES;", NULL, "ADVANCE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_error_clear(&err);
        sl_plan *p = plan_of(cases[i].sql);
        cr_assert_null(p, "%s planned", cases[i].sql);
        cr_assert_eq(err.code, SL_ERR_ANALYSIS, "%s: %s", cases[i].sql, err.msg);
        cr_assert(strstr(err.msg, cases[i].word), "%s: %s", cases[i].sql, err.msg);
        if (cases[i].span)
            cr_assert_str_eq(span_text(), cases[i].span, "%s", cases[i].sql);
        else
            cr_assert_neq(err.span.off, SL_NOPOS, "%s", cases[i].sql);
    }
}

/* The shape of an aggregation's result: the GROUP BY values are the key. */
Test(plan, aggregation_output)
{
    orders();
    sl_plan *p = plan_of("SELECT COUNT(*) AS n, name AS who, SUM(amount) FROM orders "
                         "WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY name EMIT CHANGES;");
    cr_assert_not_null(p, "%s", err.msg);
    const sl_schema *o = sl_plan_output(p);
    cr_assert_eq(o->ncols, 3);
    cr_assert_str_eq(o->cols[0].name, "WHO");
    cr_assert_eq(o->cols[0].kind, SL_COLK_KEY);
    cr_assert_str_eq(o->cols[1].name, "N");
    cr_assert_eq(o->cols[1].type->kind, SL_BIGINT);
    cr_assert_str_eq(o->cols[2].name, "KSQL_COL_2");
    cr_assert_eq(o->cols[2].type->kind, SL_INT);
    cr_assert(sl_plan_produces_table(p));
    int64_t size = 0;
    cr_assert_eq(sl_plan_window(p, &size), SL_WIN_TUMBLING);
    cr_assert_eq(size, 10000);
    const int *order;
    cr_assert_eq(sl_plan_select_order(p, &order), 3);
    cr_assert_eq(order[0], 1);
    cr_assert_eq(order[1], 0);
    cr_assert_eq(order[2], 2);
    sl_buf b = SL_BUF_INIT;
    sl_plan_explain(p, &b);
    cr_assert(strstr(sl_buf_cstr(&b), "AGGREGATE GROUP BY NAME"), "%s", sl_buf_cstr(&b));
    cr_assert(strstr(sl_buf_cstr(&b), "window: TUMBLING, size 10000 ms"), "%s", sl_buf_cstr(&b));
    sl_buf_fini(&b);
    sl_plan_free(p);

    /* a persistent query must select the grouping expression */
    p = plan_of("SELECT COUNT(*) AS n FROM orders GROUP BY name EMIT CHANGES;");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(sl_plan_check_persistent(p, &err), -1);
    cr_assert(strstr(err.msg, "Key missing from projection"), "%s", err.msg);
    sl_plan_free(p);

    /* a table input without GROUP BY stays a table */
    ddl("CREATE TABLE users (id INT PRIMARY KEY, name STRING) WITH (KAFKA_TOPIC='users', "
        "PARTITIONS=1, VALUE_FORMAT='JSON');");
    p = plan_of("SELECT id, name FROM users WHERE id > 1 EMIT CHANGES;");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert(sl_plan_produces_table(p));
    cr_assert_eq(sl_plan_window(p, NULL), SL_WIN_NONE);
    sl_plan_free(p);
}

Test(plan, key_missing_from_projection_refused_for_persistent_only)
{
    orders();
    sl_plan *p = plan_of("SELECT name, amount FROM orders EMIT CHANGES;");
    cr_assert_not_null(p, "a transient query need not select the key: %s", err.msg);
    expect_cols(sl_plan_output(p), "NAME,AMOUNT");
    cr_assert_eq(sl_plan_check_persistent(p, &err), -1);
    cr_assert(strstr(err.msg, "Key missing from projection"), "%s", err.msg);
    cr_assert(strstr(err.msg, "ID"), "%s", err.msg);
    sl_plan_free(p);
}

Test(plan, partition_by_column_and_expression)
{
    orders();
    sl_plan *p = plan_of("SELECT * FROM orders PARTITION BY name EMIT CHANGES;");
    cr_assert_not_null(p, "%s", err.msg);
    expect_cols(sl_plan_output(p), "NAME(K),ID,AMOUNT,TAGS");
    cr_assert_eq(sl_plan_check_persistent(p, &err), 0, "%s", err.msg);
    sl_plan_free(p);

    p = plan_of("SELECT UCASE(name) AS k, amount FROM orders PARTITION BY UCASE(name) "
                "EMIT CHANGES;");
    cr_assert_not_null(p, "%s", err.msg);
    expect_cols(sl_plan_output(p), "K(K),AMOUNT");
    cr_assert_eq(sl_plan_output(p)->cols[0].type->kind, SL_STRING);
    sl_plan_free(p);

    p = plan_of("SELECT id, amount FROM orders PARTITION BY UCASE(name) EMIT CHANGES;");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(sl_plan_check_persistent(p, &err), -1);
    cr_assert(strstr(err.msg, "Key missing from projection") && strstr(err.msg, "UCASE"),
              "%s", err.msg);
    sl_plan_free(p);
}

Test(plan, partition_by_null_has_no_key)
{
    orders();
    sl_plan *p = plan_of("SELECT * FROM orders PARTITION BY NULL EMIT CHANGES;");
    cr_assert_not_null(p, "%s", err.msg);
    expect_cols(sl_plan_output(p), "ID,NAME,AMOUNT,TAGS");
    cr_assert_eq(sl_plan_check_persistent(p, &err), 0, "%s", err.msg);
    sl_plan_free(p);
}

Test(plan, pseudocolumns_allowed)
{
    orders();
    sl_plan *p = plan_of("SELECT id, ROWTIME AS t, ROWPARTITION AS p, ROWOFFSET AS o FROM orders "
                         "WHERE ROWTIME > 0 EMIT CHANGES;");
    cr_assert_not_null(p, "%s", err.msg);
    expect_cols(sl_plan_output(p), "ID(K),T,P,O");
    cr_assert_eq(sl_plan_output(p)->cols[1].type->kind, SL_BIGINT);
    cr_assert_eq(sl_plan_output(p)->cols[2].type->kind, SL_INT);
    sl_plan_free(p);
}

Test(plan, bind_sink_checks_schema)
{
    orders();
    ddl("CREATE STREAM good (id INT KEY, name STRING, amount INT) WITH (KAFKA_TOPIC='good', "
        "PARTITIONS=2, VALUE_FORMAT='JSON');");
    ddl("CREATE STREAM badtype (id INT KEY, name STRING, amount BIGINT) WITH "
        "(KAFKA_TOPIC='badtype', PARTITIONS=2, VALUE_FORMAT='JSON');");
    ddl("CREATE STREAM badname (id INT KEY, who STRING, amount INT) WITH "
        "(KAFKA_TOPIC='badname', PARTITIONS=2, VALUE_FORMAT='JSON');");
    sl_stmt *st = parse("INSERT INTO good SELECT id, name, amount FROM orders;");
    sl_plan_opts o = {.query_id = "INSERTQUERY_1", .reset = SL_RESET_LATEST, .limit = -1};
    sl_plan *p = sl_plan_build(cat, st->query, &o, &err);
    cr_assert_not_null(p, "%s", err.msg);
    sl_span sp = {12, 4};
    cr_assert_eq(sl_plan_bind_sink(p, sl_catalog_find_source(cat, "BADTYPE"), sp, &err), -1);
    cr_assert(strstr(err.msg, "AMOUNT") && strstr(err.msg, "BIGINT"), "%s", err.msg);
    cr_assert_eq(sl_plan_bind_sink(p, sl_catalog_find_source(cat, "BADNAME"), sp, &err), -1);
    cr_assert(strstr(err.msg, "NAME") && strstr(err.msg, "WHO"), "%s", err.msg);
    cr_assert_eq(sl_plan_bind_sink(p, sl_catalog_find_source(cat, "ORDERS"), sp, &err), -1,
                 "a query cannot write its own input");
    cr_assert_null(sl_plan_sink(p));
    cr_assert_eq(sl_plan_bind_sink(p, sl_catalog_find_source(cat, "GOOD"), sp, &err), 0, "%s",
                 err.msg);
    sl_plan *lim = plan_of("INSERT INTO good SELECT id, name, amount FROM orders LIMIT 2;");
    cr_assert_not_null(lim, "%s", err.msg);
    cr_assert_eq(sl_plan_bind_sink(lim, sl_catalog_find_source(cat, "GOOD"), sp, &err), -1);
    cr_assert(strstr(err.msg, "LIMIT"), "%s", err.msg);
    sl_plan_free(lim);
    cr_assert_str_eq(sl_plan_sink(p)->kafka_topic, "good");
    sl_plan_free(p);
}

Test(plan, explain_lists_the_steps)
{
    orders();
    ddl("CREATE STREAM big (name STRING KEY, id INT, twice INT) WITH (KAFKA_TOPIC='big', "
        "PARTITIONS=2, VALUE_FORMAT='JSON');");
    sl_plan *p = plan_of("CREATE STREAM big AS SELECT name, id, amount * 2 AS twice "
                         "FROM orders WHERE amount > 10 PARTITION BY name;");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(sl_plan_bind_sink(p, sl_catalog_find_source(cat, "BIG"), SL_NOSPAN, &err), 0,
                 "%s", err.msg);
    sl_buf b = SL_BUF_INIT;
    sl_plan_explain(p, &b);
    const char *t = sl_buf_cstr(&b);
    const char *src = strstr(t, "SOURCE  ORDERS");
    const char *flt = strstr(t, "FILTER  WHERE (AMOUNT > 10)");
    const char *rk = strstr(t, "REKEY   PARTITION BY NAME");
    const char *pj = strstr(t, "PROJECT ");
    const char *sk = strstr(t, "SINK    BIG");
    cr_assert(src && flt && rk && pj && sk, "%s", t);
    cr_assert(src < flt && flt < rk && rk < pj && pj < sk, "steps out of order:\n%s", t);
    cr_assert(strstr(t, "`NAME` VARCHAR KEY"), "%s", t);
    cr_assert(strstr(t, "AS TWICE"), "%s", t);
    sl_buf_fini(&b);
    sl_plan_free(p);
}
