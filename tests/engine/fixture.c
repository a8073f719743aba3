/*
 * fixture.c: the shared fixtures of tests/engine (fixture.h).
 */
#include "fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

char fixture_dir[64];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

void fixture_dir_make(void)
{
    strcpy(fixture_dir, "/tmp/sl_engine_XXXXXX");
    cr_assert_not_null(mkdtemp(fixture_dir));
}

void fixture_dir_remove(void)
{
    nftw(fixture_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void open_on(sess *t, const char *data_dir, sl_output mode)
{
    memset(t, 0, sizeof *t);
    t->o = open_memstream(&t->ob, &t->ol);
    t->e = open_memstream(&t->eb, &t->el);
    sl_session_opts opts = {.data_dir = data_dir, .output = mode, .out = t->o, .err = t->e};
    sl_error err;
    t->s = sl_session_new(&opts, &err);
    cr_assert_not_null(t->s, "%s", err.msg);
}

void sess_open_as(sess *t, sl_output mode)
{
    open_on(t, fixture_dir, mode);
}

void sess_open_catalog(sess *t, sl_output mode)
{
    open_on(t, "", mode);
}

void sess_open(sess *t)
{
    sess_open_as(t, SL_OUTPUT_JSON);
}

void sess_close(sess *t)
{
    sl_session_free(t->s);
    fclose(t->o);
    fclose(t->e);
    free(t->ob);
    free(t->eb);
}

int sess_run(sess *t, const char *sql)
{
    int rc = sl_session_execute(t->s, sql, strlen(sql), "t.sql");
    fflush(t->o);
    fflush(t->e);
    return rc;
}

const char *sess_ok(sess *t, const char *sql)
{
    fflush(t->o);
    size_t from = t->ol;
    cr_assert_eq(sess_run(t, sql), 0, "%s failed: %s", sql, t->eb ? t->eb : "");
    return t->ob + from;
}

void sess_wait_idle(sess *t)
{
    sl_error err;
    cr_assert_eq(sl_engine_wait_idle(sl_session_engine(t->s), 30000, &err), 0, "%s", err.msg);
}
