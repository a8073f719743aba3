/*
 * test_agg_mat.c: what pull queries see of an aggregation's table, on an
 * engine with a data directory: windowed rows leave the materialization
 * when retention expires their window (EMIT FINAL and EMIT CHANGES, also
 * across a restart), and a table made by a CREATE TABLE AS SELECT written
 * in lower case, with comments, is still read from its materialization.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"
#include "engine/engine.h"
#include "engine/exec.h"
#include "engine/runtime.h"
#include "log/log.h"

#include "fixture.h"

TestSuite(agg_mat, .init = fixture_dir_make, .fini = fixture_dir_remove);

/* Rows kept in the materialization of a table written to topic. */
static int mat_rows(sess *t, const char *topic)
{
    sl_error err;
    sl_log_iter *it = sl_log_scan_raw(sl_engine_log(sl_session_engine(t->s)),
                                      SL_MATERIALIZED_SPACE, topic, strlen(topic) + 1, NULL, 0,
                                      &err);
    cr_assert_not_null(it, "%s", err.msg);
    const void *k, *v;
    size_t kl, vl;
    int n = 0, rc;
    while ((rc = sl_log_iter_next(it, &k, &kl, &v, &vl, &err)) == 1)
        n++;
    cr_assert_eq(rc, 0, "%s", err.msg);
    sl_log_iter_free(it);
    return n;
}

static void insert(sess *t, const char *user, long long ts)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "INSERT INTO clicks (user_id, url, ROWTIME) VALUES ('%s', '/', %lld);", user, ts);
    sess_ok(t, sql);
}

static const char *const clicks_ddl =
    "SET 'auto.offset.reset'='earliest';"
    "CREATE STREAM clicks (user_id VARCHAR KEY, url VARCHAR)"
    "  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);";

Test(agg_mat, emit_final_rows_expire_with_retention_across_a_restart)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, clicks_ddl);
    /* windows close at their end (no grace) and expire 20 s after their start */
    sess_ok(&t, "CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n FROM clicks"
            "  WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS, RETENTION 20 SECONDS)"
            "  GROUP BY user_id EMIT FINAL;");
    insert(&t, "a", 1000);
    insert(&t, "a", 11000);     /* closes [0, 10000): its final row */
    sess_wait_idle(&t);
    const char *out = sess_ok(&t, "SELECT * FROM per_user;");
    cr_expect(strstr(out, "[\"a\",0,10000,1]"), "the closed window is there: %s", out);
    cr_expect_eq(mat_rows(&t, "PER_USER"), 1);
    sess_close(&t);

    /* after a restart, stream time passes 0 + 20000: [0, 10000) expires */
    sess_open(&t);
    out = sess_ok(&t, "SELECT * FROM per_user;");
    cr_expect(strstr(out, "[\"a\",0,10000,1]"), "not expired yet at 11000: %s", out);
    insert(&t, "b", 21000);     /* also closes [10000, 20000) */
    sess_wait_idle(&t);
    out = sess_ok(&t, "SELECT * FROM per_user;");
    cr_expect_null(strstr(out, "[\"a\",0,10000"), "an expired window is not returned: %s", out);
    cr_expect(strstr(out, "[\"a\",10000,20000,1]"), "the next window is: %s", out);
    cr_expect_eq(mat_rows(&t, "PER_USER"), 1, "the expired row is deleted, not only hidden");
    sess_close(&t);
}

Test(agg_mat, emit_final_sessions_expire_by_their_end)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, clicks_ddl);
    /* a session closes 5 s after its last record, expires 30 s after it */
    sess_ok(&t, "CREATE TABLE visits AS SELECT user_id, COUNT(*) AS n FROM clicks"
            "  WINDOW SESSION (5 SECONDS, GRACE PERIOD 0 SECONDS, RETENTION 30 SECONDS)"
            "  GROUP BY user_id EMIT FINAL;");
    insert(&t, "a", 1000);
    insert(&t, "a", 3000);
    insert(&t, "b", 20000);     /* closes a's [1000, 3000] */
    sess_wait_idle(&t);
    const char *out = sess_ok(&t, "SELECT * FROM visits;");
    cr_expect(strstr(out, "[\"a\",1000,3000,2]"), "the closed session is there: %s", out);
    insert(&t, "b", 32000);     /* 3000 + 30000 > 32000: kept */
    sess_wait_idle(&t);
    out = sess_ok(&t, "SELECT * FROM visits;");
    cr_expect(strstr(out, "[\"a\",1000,3000,2]"), "retention counts from the end: %s", out);
    insert(&t, "b", 33000);
    sess_wait_idle(&t);
    out = sess_ok(&t, "SELECT * FROM visits;");
    cr_expect_null(strstr(out, "[\"a\",1000,3000"), "expired: %s", out);
    cr_expect(strstr(out, "[\"b\",20000,20000,1]"), "%s", out);
    cr_expect_eq(mat_rows(&t, "VISITS"), 1, "a's row is deleted");
    sess_close(&t);
}

Test(agg_mat, emit_changes_row_expired_in_its_own_batch_is_deleted)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, clicks_ddl);
    /* both records before the query starts: one batch updates [0, 10000)
     * and then moves stream time past its retention (10 s: size + grace) */
    insert(&t, "a", 5000);
    insert(&t, "a", 15000);
    sess_ok(&t, "CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n FROM clicks"
            "  WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS)"
            "  GROUP BY user_id EMIT CHANGES;");
    sess_wait_idle(&t);
    const char *out = sess_ok(&t, "SELECT * FROM per_user;");
    cr_expect_null(strstr(out, "[\"a\",0,10000"), "an expired window is not returned: %s", out);
    cr_expect(strstr(out, "[\"a\",10000,20000,1]"), "the open window is: %s", out);
    insert(&t, "a", 16000);
    sess_wait_idle(&t);
    cr_expect_eq(mat_rows(&t, "PER_USER"), 1, "the expired window's row is deleted");
    out = sess_ok(&t, "SELECT * FROM per_user;");
    cr_expect(strstr(out, "[\"a\",10000,20000,2]"), "%s", out);
    sess_close(&t);
}

Test(agg_mat, lowercase_ctas_with_comments_reads_its_materialization)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, clicks_ddl);
    insert(&t, "a", 5000);
    insert(&t, "a", 15000);
    /* no " AS SELECT" in the text: the catalog knows a query writes it */
    sess_ok(&t, "create table per_user as -- counts per window\n"
            "  /* ten seconds */ select user_id, count(*) as n from clicks\n"
            "  window tumbling (size 10 seconds, grace period 0 seconds)\n"
            "  group by user_id emit changes;");
    const sl_source *src = sl_catalog_find_source(sl_engine_catalog(sl_session_engine(t.s)),
                                                  "PER_USER");
    cr_assert_not_null(src);
    cr_expect(src->materialized);
    sess_wait_idle(&t);
    /* the topic still holds [0, 10000); the materialization does not */
    const char *out = sess_ok(&t, "select * from per_user;");
    cr_expect_null(strstr(out, "[\"a\",0,10000"), "read from the topic: %s", out);
    cr_expect(strstr(out, "[\"a\",10000,20000,1]"), "%s", out);
    sess_close(&t);

    /* the flag comes back with the journal */
    sess_open(&t);
    src = sl_catalog_find_source(sl_engine_catalog(sl_session_engine(t.s)), "PER_USER");
    cr_assert_not_null(src);
    cr_expect(src->materialized, "restored on replay");
    out = sess_ok(&t, "select * from per_user;");
    cr_expect_null(strstr(out, "[\"a\",0,10000"), "read from the topic: %s", out);
    cr_expect(strstr(out, "[\"a\",10000,20000,1]"), "%s", out);
    sess_close(&t);
}

Test(agg_mat, a_table_with_columns_is_not_materialized)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, "CREATE TABLE users (id VARCHAR PRIMARY KEY, name VARCHAR)"
            "  WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);"
            "INSERT INTO users (id, name) VALUES ('u1', 'ann');");
    const sl_source *src = sl_catalog_find_source(sl_engine_catalog(sl_session_engine(t.s)),
                                                  "USERS");
    cr_assert_not_null(src);
    cr_expect_not(src->materialized);
    const char *out = sess_ok(&t, "SELECT * FROM users;");
    cr_expect(strstr(out, "[\"u1\",\"ann\"]"), "read from its topic: %s", out);
    sess_close(&t);
}

Test(agg_mat, describe_extended_counts_skipped_windows_and_bounded_values)
{
    sess t;
    sess_open(&t);
    sess_ok(&t, clicks_ddl);
    insert(&t, "a", 6000);
    insert(&t, "a", 12000);
    insert(&t, "a", 9000);      /* [0, 10000) closed, [5000, 15000) open */
    sess_ok(&t, "CREATE TABLE hops AS SELECT user_id, COUNT(*) AS n FROM clicks"
            "  WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS, GRACE PERIOD 0 SECONDS)"
            "  GROUP BY user_id EMIT CHANGES;");
    sess_wait_idle(&t);
    const char *out = sess_ok(&t, "DESCRIBE clicks EXTENDED;");
    cr_expect(strstr(out, "late-window-updates-skipped: 1"), "%s", out);
    cr_expect(strstr(out, "consumer-late-records-dropped: 0"), "%s", out);
    sess_close(&t);
}
