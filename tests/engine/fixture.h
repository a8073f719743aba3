/*
 * fixture.h: what the engine's suites on a data directory share: a
 * temporary data directory per test, and sessions on their own engine over
 * it with the output and the errors captured.
 *
 * Does: fixture_dir_make / fixture_dir_remove as a suite's .init / .fini
 * (mkdtemp, then everything under it removed, so each test starts empty);
 * sess_* open a session (sl_session_new) on fixture_dir (or on no data
 * directory: catalog only), run statements and wait for the persistent
 * queries to catch up.
 * Does not: define suites or tests. fixture.c is linked into every suite
 * of tests/engine (CMakeLists.txt); it is not a suite itself.
 */
#ifndef SL_TEST_ENGINE_FIXTURE_H
#define SL_TEST_ENGINE_FIXTURE_H

#include <stdio.h>
#include "engine/exec.h"

extern char fixture_dir[64];    /* the test's data directory */

void fixture_dir_make(void);
void fixture_dir_remove(void);

/* A session on its own engine over fixture_dir; what it printed so far is
 * ob[0..ol) (output) and eb[0..el) (errors), flushed after each statement. */
typedef struct sess {
    sl_session *s;
    FILE *o, *e;
    char *ob, *eb;
    size_t ol, el;
} sess;

void sess_open_as(sess *t, sl_output mode);
void sess_open(sess *t);                        /* JSON output */
/* A session without an engine (data_dir ""): statements are checked and
 * kept in its catalog, nothing runs; fixture_dir is not used. */
void sess_open_catalog(sess *t, sl_output mode);
void sess_close(sess *t);
/* Runs sql; its status (0: every statement succeeded). */
int sess_run(sess *t, const char *sql);
/* Runs sql, which must succeed; the output of this call only. */
const char *sess_ok(sess *t, const char *sql);
/* Until every persistent query has caught up (30 s at most, else the test fails). */
void sess_wait_idle(sess *t);

#endif
