/*
 * test_server.c: what the worker's HTTP API stands on, without HTTP: the
 * check that refuses to listen beyond loopback without TLS and basic auth,
 * and the session hooks of exec.h that the server and `sluice --server`
 * use (SELECT results to callbacks with a cancel flag; statements run by
 * another executor). The endpoints themselves are driven with curl by
 * tests/server/run.sh.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/buf.h"
#include "engine/engine.h"
#include "engine/exec.h"
#include "engine/types.h"
#include "engine/value.h"
#include "server/server.h"

/* ---- sl_server_check ---- */

typedef struct exposure_case {
    const char *listen;
    bool tls, auth;
    bool ok;
    const char *says;           /* in the error when refused */
} exposure_case;

/* Parameters are indexes: Criterion runs each case in a process of its
 * own, where pointers in a parameter would not be valid. */
static const exposure_case EXPOSURE[] = {
    {"127.0.0.1:0", false, false, true, NULL},
    {"127.0.0.2:8088", false, false, true, NULL},
    {"[::1]:0", false, false, true, NULL},
    {"localhost:0", false, false, true, NULL},
    {"0.0.0.0:0", false, false, false, "TLS (--tls-cert and --tls-key) and basic auth"},
    {"0.0.0.0:0", true, false, false, "basic auth"},
    {"0.0.0.0:0", false, true, false, "TLS"},
    {"0.0.0.0:0", true, true, true, NULL},
    {"[::]:0", false, false, false, "not a loopback address"},
    {"127.0.0.1", false, false, false, "HOST:PORT"},
    {"127.0.0.1:99999", false, false, false, "0..65535"},
    {":8088", false, false, false, "HOST:PORT"},
};
#define NEXPOSURE ((int)(sizeof EXPOSURE / sizeof EXPOSURE[0]))
static int EXPOSURE_IDX[NEXPOSURE];

ParameterizedTestParameters(server, exposure)
{
    for (int i = 0; i < NEXPOSURE; i++)
        EXPOSURE_IDX[i] = i;
    return cr_make_param_array(int, EXPOSURE_IDX, NEXPOSURE);
}

ParameterizedTest(int *idx, server, exposure)
{
    const exposure_case *c = &EXPOSURE[*idx];
    sl_server_opts o = {0};
    o.listen = c->listen;
    o.tls_cert = c->tls ? "cert" : NULL;
    o.tls_key = c->tls ? "key" : NULL;
    o.auth = c->auth ? "u:p" : NULL;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_server_check(&o, &err);
    cr_expect_eq(rc, c->ok ? 0 : -1, "%s (tls %d auth %d): rc %d: %s", c->listen, c->tls,
                 c->auth, rc, err.msg);
    if (!c->ok)
        cr_expect(strstr(err.msg, c->says) != NULL, "expected '%s' in: %s", c->says, err.msg);
}

Test(server, tls_needs_both_files)
{
    sl_server_opts o = {.listen = "127.0.0.1:0", .tls_cert = "cert"};
    sl_error err;
    sl_error_clear(&err);
    cr_expect_eq(sl_server_check(&o, &err), -1);
    cr_expect(strstr(err.msg, "--tls-key") != NULL, "%s", err.msg);
}

/* ---- the session's rows hook ---- */

static char g_dir[] = "/tmp/sluice-test-server-XXXXXX";
static sl_engine *g_eng;

static void eng_setup(void)
{
    cr_assert_not_null(mkdtemp(g_dir));
    sl_engine_opts eo = {.data_dir = g_dir};
    sl_error err;
    sl_error_clear(&err);
    g_eng = sl_engine_open(&eo, &err);
    cr_assert_not_null(g_eng, "%s", err.msg);
}

static void eng_teardown(void)
{
    sl_engine_close(g_eng);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    cr_expect_eq(system(cmd), 0);
}

typedef struct got {
    sl_buf text;                /* "header ID|A:T,..." then a line per row, then "end MSG" */
    int rows;
    int stop_after;             /* the row callback asks to stop after this many; 0: never */
} got;

static int on_header(void *ud, const char *query_id, int ncols, const char *const *names,
                     const sl_type *const *types, bool pull)
{
    got *g = ud;
    sl_buf_printf(&g->text, "header %s %s|", pull ? "pull" : "push",
                  strncmp(query_id, "transient_", 10) == 0 ? "transient" : query_id);
    for (int i = 0; i < ncols; i++) {
        sl_buf_printf(&g->text, "%s%s:", i ? "," : "", names[i]);
        sl_type_format(&g->text, types[i]);
    }
    sl_buf_putc(&g->text, '\n');
    return 0;
}

static int on_row(void *ud, int ncols, const sl_value *cells, const sl_type *const *types)
{
    got *g = ud;
    for (int i = 0; i < ncols; i++) {
        if (i)
            sl_buf_putc(&g->text, ',');
        sl_value_render(&g->text, &cells[i], types[i], SL_RENDER_JSON);
    }
    sl_buf_putc(&g->text, '\n');
    g->rows++;
    return g->stop_after && g->rows >= g->stop_after;
}

static void on_end(void *ud, const char *message)
{
    got *g = ud;
    sl_buf_printf(&g->text, "end %s\n", message);
}

/* Runs sql on a session of the engine with the hook; returns its status. */
static int run_hooked(const char *sql, got *g, volatile sig_atomic_t *cancel, char **out)
{
    size_t ol;
    FILE *o = open_memstream(out, &ol);
    sl_session_opts so = {.output = SL_OUTPUT_TABLE, .out = o};
    sl_error err;
    sl_error_clear(&err);
    sl_session *s = sl_session_open(g_eng, &so, &err);
    cr_assert_not_null(s, "%s", err.msg);
    sl_session_rows hook = {on_header, on_row, on_end, g, cancel};
    sl_session_set_rows(s, &hook);
    int rc = sl_session_execute(s, sql, strlen(sql), "t.sql");
    sl_session_free(s);
    fclose(o);
    return rc;
}

static void seed(void)
{
    got g = {SL_BUF_INIT, 0, 0};
    char *out = NULL;
    cr_assert_eq(run_hooked("CREATE STREAM s (id INT KEY, v VARCHAR) WITH (KAFKA_TOPIC='s', "
                            "VALUE_FORMAT='JSON', PARTITIONS=1);"
                            "INSERT INTO s (id, v) VALUES (1, 'a');"
                            "INSERT INTO s (id, v) VALUES (2, 'b');"
                            "INSERT INTO s (id, v) VALUES (3, 'c');",
                            &g, NULL, &out),
                 0, "%s", out);
    free(out);
    sl_buf_fini(&g.text);
}

Test(server, hook_gets_pull_rows_not_output, .init = eng_setup, .fini = eng_teardown)
{
    seed();
    got g = {SL_BUF_INIT, 0, 0};
    char *out = NULL;
    cr_expect_eq(run_hooked("SELECT v, id FROM s;", &g, NULL, &out), 0);
    cr_expect_str_eq(sl_buf_cstr(&g.text),
                     "header pull transient|V:VARCHAR,ID:INTEGER\n\"a\",1\n\"b\",2\n\"c\",3\n"
                     "end Query ended\n");
    /* the rows went to the hook: no table was printed */
    cr_expect(strstr(out, "| a") == NULL, "printed: %s", out);
    free(out);
    sl_buf_fini(&g.text);
}

Test(server, hook_push_query_ends_at_limit, .init = eng_setup, .fini = eng_teardown)
{
    seed();
    got g = {SL_BUF_INIT, 0, 0};
    char *out = NULL;
    cr_expect_eq(run_hooked("SET 'auto.offset.reset' = 'earliest';"
                            "SELECT id FROM s EMIT CHANGES LIMIT 2;", &g, NULL, &out), 0);
    cr_expect_str_eq(sl_buf_cstr(&g.text),
                     "header push transient|ID:INTEGER\n1\n2\nend Limit Reached\n");
    free(out);
    sl_buf_fini(&g.text);
}

Test(server, hook_callback_stops_a_push_query, .init = eng_setup, .fini = eng_teardown)
{
    seed();
    got g = {SL_BUF_INIT, 0, 1};
    char *out = NULL;
    cr_expect_eq(run_hooked("SET 'auto.offset.reset' = 'earliest';"
                            "SELECT id FROM s EMIT CHANGES;", &g, NULL, &out), 0);
    cr_expect_eq(g.rows, 1);
    free(out);
    sl_buf_fini(&g.text);
}

Test(server, cancel_flag_ends_a_push_query, .init = eng_setup, .fini = eng_teardown)
{
    seed();
    got g = {SL_BUF_INIT, 0, 0};
    char *out = NULL;
    /* set before it starts: a query without LIMIT must still end, and say why */
    volatile sig_atomic_t cancel = 1;
    cr_expect_eq(run_hooked("SELECT id FROM s EMIT CHANGES;", &g, &cancel, &out), 0);
    cr_expect(strstr(sl_buf_cstr(&g.text), "end Query terminated") != NULL, "%s",
              sl_buf_cstr(&g.text));
    free(out);
    sl_buf_fini(&g.text);
}

/* ---- another executor ---- */

typedef struct seen {
    char text[128];
    char src[32];
} seen;

static int fake_exec(void *ud, const char *text, size_t len, const char *srcname)
{
    seen *s = ud;
    snprintf(s->text, sizeof s->text, "%.*s", (int)len, text);
    snprintf(s->src, sizeof s->src, "%s", srcname);
    return 1;
}

Test(server, executor_replaces_the_local_one)
{
    FILE *devnull = fopen("/dev/null", "w");
    sl_session_opts so = {.data_dir = "", .out = devnull, .err = devnull};
    sl_error err;
    sl_error_clear(&err);
    sl_session *s = sl_session_new(&so, &err);
    cr_assert_not_null(s);
    seen sn = {"", ""};
    sl_session_set_executor(s, fake_exec, &sn);
    const char *sql = "CREATE STREAM x (a INT) WITH (KAFKA_TOPIC='x', VALUE_FORMAT='JSON');";
    cr_expect_eq(sl_session_execute(s, sql, strlen(sql), "app.sql"), 1);
    cr_expect_str_eq(sn.text, sql);
    cr_expect_str_eq(sn.src, "app.sql");
    /* the CREATE went to the other executor: this session's catalog has no X */
    sl_session_set_executor(s, NULL, NULL);
    const char *d = "DESCRIBE x;";
    cr_expect_eq(sl_session_execute(s, d, strlen(d), "t"), 1);
    /* and with the executor restored, statements run here again */
    const char *t = "CREATE TYPE pt AS STRUCT<a INT>;";
    cr_expect_eq(sl_session_execute(s, t, strlen(t), "t"), 0);
    cr_expect_str_eq(sn.text, sql);
    sl_session_free(s);
    fclose(devnull);
}
