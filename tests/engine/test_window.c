/*
 * test_window.c: window specs from SQL (defaults, validation with spans),
 * tumbling and hopping assignment (boundaries, advances that do not divide
 * the size, negative timestamps, int64 edges, cross-checked by brute
 * force), grace and retention boundaries, session merges and windowed key
 * encoding byte for byte.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/window.h"
#include "grammar/parse.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* ---- specs from SQL ---- */

/* Parses one SELECT and builds the spec of its WINDOW clause. On failure the
 * text under the error's span is copied to span_text. */
static int spec_from_sql(const char *sql, sl_window_spec *out, sl_error *err, char *span_text,
                         size_t cap)
{
    sl_arena *a = sl_arena_new(0);
    sl_parser *p = sl_parser_new(sql, strlen(sql), NULL, NULL);
    sl_stmt *st = NULL;
    int rc = sl_parser_next(p, a, &st, err);
    cr_assert_eq(rc, 1, "parse failed: %s: %s", sql, err->msg);
    cr_assert(st && st->query, "no query in %s", sql);
    sl_error_clear(err);
    rc = sl_window_spec_from_ast(out, &st->query->window, err);
    span_text[0] = 0;
    if (rc < 0 && err->span.off != SL_NOPOS && err->span.off + err->span.len <= strlen(sql)) {
        size_t n = err->span.len < cap - 1 ? err->span.len : cap - 1;
        memcpy(span_text, sql + err->span.off, n);
        span_text[n] = 0;
    }
    sl_parser_free(p);
    sl_arena_free(a);
    return rc;
}

typedef struct spec_case {
    const char *window;         /* the WINDOW clause */
    sl_window_kind kind;
    int64_t size, advance, grace, retention;
} spec_case;

static const spec_case good_specs[] = {
    /* ksqlDB without GRACE PERIOD: Kafka Streams' legacy 24 h - size */
    {"WINDOW TUMBLING (SIZE 1 MINUTE)", SL_WIN_TUMBLING, MIN, MIN, DAY - MIN, DAY},
    {"WINDOW TUMBLING (SIZE 2 DAYS)", SL_WIN_TUMBLING, 2 * DAY, 2 * DAY, 0, 2 * DAY},
    {"WINDOW TUMBLING (SIZE 24 HOURS)", SL_WIN_TUMBLING, DAY, DAY, 0, DAY},
    {"WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS)", SL_WIN_HOPPING, 30 * SEC,
     10 * SEC, DAY - 30 * SEC, DAY},
    {"WINDOW SESSION (60 SECONDS)", SL_WIN_SESSION, 60 * SEC, 0, DAY - 60 * SEC, DAY},
    /* written grace: retention defaults to size + grace */
    {"WINDOW TUMBLING (SIZE 1 HOUR, GRACE PERIOD 10 MINUTES)", SL_WIN_TUMBLING, HOUR, HOUR,
     10 * MIN, 70 * MIN},
    {"WINDOW SESSION (5 MINUTES, GRACE PERIOD 0 SECONDS)", SL_WIN_SESSION, 5 * MIN, 0, 0, 5 * MIN},
    /* retention exactly size + grace is allowed */
    {"WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 70 MINUTES, GRACE PERIOD 10 MINUTES)",
     SL_WIN_TUMBLING, HOUR, HOUR, 10 * MIN, 70 * MIN},
    {"WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS, RETENTION 7 DAYS, GRACE PERIOD 30 "
     "MINUTES)", SL_WIN_HOPPING, 30 * SEC, 10 * SEC, 30 * MIN, 7 * DAY},
    {"WINDOW TUMBLING (SIZE 20 SECONDS, RETENTION 7 DAYS)", SL_WIN_TUMBLING, 20 * SEC, 20 * SEC,
     DAY - 20 * SEC, 7 * DAY},
    /* ADVANCE BY = SIZE: a hopping window that tumbles */
    {"WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 10 SECONDS)", SL_WIN_HOPPING, 10 * SEC,
     10 * SEC, DAY - 10 * SEC, DAY},
};

Test(window_spec, defaults_and_written_values)
{
    for (size_t i = 0; i < sizeof good_specs / sizeof good_specs[0]; i++) {
        const spec_case *c = &good_specs[i];
        char sql[512], span[128];
        snprintf(sql, sizeof sql, "SELECT k, COUNT(*) FROM s %s GROUP BY k EMIT CHANGES;", c->window);
        sl_window_spec w;
        sl_error err;
        int rc = spec_from_sql(sql, &w, &err, span, sizeof span);
        cr_assert_eq(rc, 0, "%s: %s", c->window, err.msg);
        cr_expect_eq(w.kind, c->kind, "%s: kind", c->window);
        cr_expect_eq(w.size, c->size, "%s: size %lld", c->window, (long long)w.size);
        cr_expect_eq(w.advance, c->advance, "%s: advance %lld", c->window, (long long)w.advance);
        cr_expect_eq(w.grace, c->grace, "%s: grace %lld", c->window, (long long)w.grace);
        cr_expect_eq(w.retention, c->retention, "%s: retention %lld", c->window,
                     (long long)w.retention);
        cr_expect(w.epoch_floor, "%s: epoch_floor defaults to on", c->window);
    }
}

typedef struct bad_case {
    const char *window;
    const char *span;           /* text the error points at */
    const char *msg_part;       /* a piece of the message */
} bad_case;

static const bad_case bad_specs[] = {
    {"WINDOW TUMBLING (SIZE 0 SECONDS)", "0 SECONDS", "positive"},
    {"WINDOW SESSION (0 MINUTES)", "0 MINUTES", "gap"},
    {"WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 0 SECONDS)", "0 SECONDS", "ADVANCE BY"},
    {"WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 11 SECONDS)", "11 SECONDS", "larger than SIZE"},
    {"WINDOW HOPPING (SIZE 1 DAY, ADVANCE BY 1 MILLISECOND)", "1 MILLISECOND", "windows"},
    /* retention below size + grace */
    {"WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 69 MINUTES, GRACE PERIOD 10 MINUTES)",
     "69 MINUTES", "RETENTION"},
    /* the default grace counts: 1 minute + (24 h - 1 minute) > 1 hour */
    {"WINDOW TUMBLING (SIZE 1 MINUTE, RETENTION 1 HOUR)", "1 HOUR", "24 hours"},
    {"WINDOW SESSION (10 SECONDS, RETENTION 10 SECONDS, GRACE PERIOD 1 SECOND)", "10 SECONDS",
     "RETENTION"},
};

Test(window_spec, invalid_clauses_point_at_the_duration)
{
    for (size_t i = 0; i < sizeof bad_specs / sizeof bad_specs[0]; i++) {
        const bad_case *c = &bad_specs[i];
        char sql[512], span[128];
        snprintf(sql, sizeof sql, "SELECT k, COUNT(*) FROM s %s GROUP BY k EMIT CHANGES;", c->window);
        sl_window_spec w;
        sl_error err;
        int rc = spec_from_sql(sql, &w, &err, span, sizeof span);
        cr_assert_eq(rc, -1, "%s: accepted", c->window);
        cr_expect_eq(err.code, SL_ERR_ANALYSIS, "%s: code", c->window);
        cr_expect_str_eq(span, c->span, "%s: span is '%s'", c->window, span);
        cr_expect(strstr(err.msg, c->msg_part) != NULL, "%s: message '%s' lacks '%s'", c->window,
                  err.msg, c->msg_part);
    }
}

Test(window_spec, retention_error_in_the_session_span_points_at_retention_not_gap)
{
    /* both durations read "10 SECONDS": the span must be the second one */
    const char *sql = "SELECT k, COUNT(*) FROM s WINDOW SESSION (10 SECONDS, RETENTION 10 SECONDS, "
                      "GRACE PERIOD 1 SECOND) GROUP BY k;";
    sl_window_spec w;
    sl_error err;
    char span[64];
    cr_assert_eq(spec_from_sql(sql, &w, &err, span, sizeof span), -1);
    cr_expect_eq(err.span.off, (uint32_t)(strstr(sql, "RETENTION 10") - sql + strlen("RETENTION ")));
}

Test(window_spec, init_from_numbers)
{
    sl_window_spec w;
    sl_error err;
    cr_assert_eq(sl_window_spec_init(&w, SL_WIN_HOPPING, 10, 3, 0, -1, &err), 0, "%s", err.msg);
    cr_expect_eq(w.retention, 10);
    cr_expect(w.grace_set);
    cr_expect(!w.retention_set);
    cr_expect_eq(sl_window_spec_init(&w, SL_WIN_NONE, 10, 0, 0, -1, &err), -1);
    cr_expect_eq(sl_window_spec_init(&w, SL_WIN_TUMBLING, -5, 0, 0, -1, &err), -1);
    cr_expect_eq(sl_window_spec_init(&w, SL_WIN_TUMBLING, 10, 0, -1, 5, &err), -1,
                 "retention 5 < size 10 + default grace");
    /* tumbling ignores advance */
    cr_assert_eq(sl_window_spec_init(&w, SL_WIN_TUMBLING, 10, 999, 0, -1, &err), 0);
    cr_expect_eq(w.advance, 10);
}

/* ---- assignment ---- */

static sl_window_spec mkspec(sl_window_kind kind, int64_t size, int64_t advance, int64_t grace,
                             bool epoch_floor)
{
    sl_window_spec w;
    sl_error err;
    cr_assert_eq(sl_window_spec_init(&w, kind, size, advance, grace, -1, &err), 0, "%s", err.msg);
    w.epoch_floor = epoch_floor;
    return w;
}

typedef struct assign_case {
    const char *what;
    sl_window_kind kind;
    int64_t size, advance;
    bool epoch_floor;
    int64_t ts;
    int n;
    int64_t starts[8];
} assign_case;

static const assign_case assign_cases[] = {
    {"tumbling, ts at a start", SL_WIN_TUMBLING, 10, 0, true, 0, 1, {0}},
    {"tumbling, last ms of a window", SL_WIN_TUMBLING, 10, 0, true, 9, 1, {0}},
    {"tumbling, ts at the end is the next window", SL_WIN_TUMBLING, 10, 0, true, 10, 1, {10}},
    {"tumbling, -1 floors to -10", SL_WIN_TUMBLING, 10, 0, false, -1, 1, {-10}},
    {"tumbling, -10 is a start", SL_WIN_TUMBLING, 10, 0, false, -10, 1, {-10}},
    {"tumbling, -11", SL_WIN_TUMBLING, 10, 0, false, -11, 1, {-20}},
    {"tumbling, before the epoch with epoch floor", SL_WIN_TUMBLING, 10, 0, true, -1, 0, {0}},
    {"hopping 10/5, inside", SL_WIN_HOPPING, 10, 5, true, 12, 2, {5, 10}},
    {"hopping 10/5, at a boundary", SL_WIN_HOPPING, 10, 5, true, 10, 2, {5, 10}},
    {"hopping 10/5, at a boundary 2", SL_WIN_HOPPING, 10, 5, true, 15, 2, {10, 15}},
    {"hopping 10/5, last ms before a boundary", SL_WIN_HOPPING, 10, 5, true, 14, 2, {5, 10}},
    {"hopping 10/5, near 0 with epoch floor (Kafka Streams)", SL_WIN_HOPPING, 10, 5, true, 4, 1,
     {0}},
    {"hopping 10/5, near 0 without floor", SL_WIN_HOPPING, 10, 5, false, 4, 2, {-5, 0}},
    {"hopping 10/5, -1 without floor", SL_WIN_HOPPING, 10, 5, false, -1, 2, {-10, -5}},
    {"hopping 10/5, -5 without floor", SL_WIN_HOPPING, 10, 5, false, -5, 2, {-10, -5}},
    {"hopping 10/3, advance does not divide", SL_WIN_HOPPING, 10, 3, true, 10, 3, {3, 6, 9}},
    {"hopping 10/3, ts on a start", SL_WIN_HOPPING, 10, 3, true, 9, 4, {0, 3, 6, 9}},
    {"hopping 10/3, ts 12", SL_WIN_HOPPING, 10, 3, true, 12, 4, {3, 6, 9, 12}},
    {"hopping 10/3, ts 1 with floor", SL_WIN_HOPPING, 10, 3, true, 1, 1, {0}},
    {"hopping 10/3, -5 without floor", SL_WIN_HOPPING, 10, 3, false, -5, 3, {-12, -9, -6}},
    {"hopping 10/10 tumbles", SL_WIN_HOPPING, 10, 10, true, 10, 1, {10}},
    {"hopping 30s/10s at 25s", SL_WIN_HOPPING, 30000, 10000, true, 25000, 3, {0, 10000, 20000}},
    {"int64 max, tumbling", SL_WIN_TUMBLING, 10, 0, true, INT64_MAX, 1, {INT64_MAX - 7}},
    {"int64 min, tumbling size 8 (min is a multiple)", SL_WIN_TUMBLING, 8, 0, false, INT64_MIN, 1,
     {INT64_MIN}},
    {"int64 min, tumbling size 10: start not representable", SL_WIN_TUMBLING, 10, 0, false,
     INT64_MIN, 0, {0}},
    {"int64 min + 1, hopping 16/8: only the representable window", SL_WIN_HOPPING, 16, 8, false,
     INT64_MIN + 1, 1, {INT64_MIN}},
    {"int64 max, hopping 16/8", SL_WIN_HOPPING, 16, 8, true, INT64_MAX, 2,
     {INT64_MAX - 7 - 8, INT64_MAX - 7}},
};

Test(window_assign, table)
{
    for (size_t i = 0; i < sizeof assign_cases / sizeof assign_cases[0]; i++) {
        const assign_case *c = &assign_cases[i];
        sl_window_spec w = mkspec(c->kind, c->size, c->advance, 0, c->epoch_floor);
        int64_t starts[16];
        int n = sl_window_assign(&w, c->ts, starts, 16);
        cr_assert_eq(n, c->n, "%s: %d windows, expected %d", c->what, n, c->n);
        for (int k = 0; k < n; k++)
            cr_expect_eq(starts[k], c->starts[k], "%s: window %d starts at %lld, expected %lld",
                         c->what, k, (long long)starts[k], (long long)c->starts[k]);
    }
}

Test(window_assign, ends_saturate_at_int64_max)
{
    sl_window_spec w = mkspec(SL_WIN_TUMBLING, 10, 0, 0, true);
    cr_expect_eq(sl_window_end(&w, INT64_MAX - 7), INT64_MAX);
    cr_expect_eq(sl_window_end(&w, 0), 10);
    cr_expect_eq(sl_window_end(&w, -10), 0);
}

/* Every window containing ts, by brute force over aligned starts. */
static int brute(int64_t size, int64_t adv, bool floor0, int64_t ts, int64_t *out)
{
    int n = 0;
    for (int64_t s = ts - size - adv; s <= ts; s++) {
        if (((s % adv) + adv) % adv != 0)
            continue;
        if (floor0 && s < 0)
            continue;
        if (s <= ts && ts < s + size)
            out[n++] = s;
    }
    return n;
}

Test(window_assign, matches_brute_force)
{
    static const int64_t shapes[][2] = {{1, 1}, {7, 7}, {10, 5}, {10, 3}, {10, 4}, {9, 9}, {12, 1},
                                        {5, 2}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        for (int floor0 = 0; floor0 <= 1; floor0++) {
            int64_t size = shapes[si][0], adv = shapes[si][1];
            sl_window_spec w = mkspec(SL_WIN_HOPPING, size, adv, 0, floor0);
            cr_assert_geq(sl_window_max_per_record(&w), 1);
            for (int64_t ts = -40; ts <= 40; ts++) {
                int64_t got[64], want[64];
                int n = sl_window_assign(&w, ts, got, 64);
                int m = brute(size, adv, floor0, ts, want);
                cr_assert_eq(n, m, "size %lld advance %lld floor %d ts %lld: %d windows, want %d",
                             (long long)size, (long long)adv, floor0, (long long)ts, n, m);
                cr_assert_leq(n, sl_window_max_per_record(&w));
                for (int k = 0; k < n; k++)
                    cr_assert_eq(got[k], want[k], "size %lld advance %lld ts %lld window %d",
                                 (long long)size, (long long)adv, (long long)ts, k);
            }
        }
    }
}

Test(window_assign, max_truncates_and_reports_the_total)
{
    sl_window_spec w = mkspec(SL_WIN_HOPPING, 10, 3, 0, true);
    cr_expect_eq(sl_window_max_per_record(&w), 4);
    int64_t starts[2] = {-1, -1};
    cr_expect_eq(sl_window_assign(&w, 9, starts, 2), 4);
    cr_expect_eq(starts[0], 0);
    cr_expect_eq(starts[1], 3);
    cr_expect_eq(sl_window_assign(&w, 9, NULL, 0), 4);
    sl_window_spec s = mkspec(SL_WIN_SESSION, 10, 0, 0, true);
    cr_expect_eq(sl_window_assign(&s, 9, starts, 2), 0, "sessions have no fixed windows");
    cr_expect_eq(sl_window_max_per_record(&s), 0);
    sl_window_spec t = mkspec(SL_WIN_TUMBLING, 10, 0, 0, true);
    cr_expect_eq(sl_window_max_per_record(&t), 1);
}

/* ---- grace and retention ---- */

typedef struct close_case {
    const char *what;
    sl_window_kind kind;
    int64_t size, grace;
    int64_t end, stream_time;
    bool closed;
} close_case;

static const close_case close_cases[] = {
    {"time, grace 5: one before end + grace", SL_WIN_TUMBLING, 10, 5, 10, 14, false},
    {"time, grace 5: exactly end + grace closes", SL_WIN_TUMBLING, 10, 5, 10, 15, true},
    {"time, grace 5: after", SL_WIN_TUMBLING, 10, 5, 10, 16, true},
    {"time, grace 0: last ms of the window", SL_WIN_TUMBLING, 10, 0, 10, 9, false},
    {"time, grace 0: stream time at the end closes", SL_WIN_TUMBLING, 10, 0, 10, 10, true},
    {"hopping, grace 0", SL_WIN_HOPPING, 10, 0, 15, 15, true},
    {"session gap 5 grace 2: end + gap + grace is still open", SL_WIN_SESSION, 5, 2, 10, 17,
     false},
    {"session gap 5 grace 2: one past closes", SL_WIN_SESSION, 5, 2, 10, 18, true},
    {"session gap 5 grace 0", SL_WIN_SESSION, 5, 0, 10, 15, false},
    {"session gap 5 grace 0, one past", SL_WIN_SESSION, 5, 0, 10, 16, true},
    {"end + grace beyond int64 never closes", SL_WIN_TUMBLING, 10, 5, INT64_MAX - 2, INT64_MAX,
     false},
    {"end + grace == int64 max closes at int64 max", SL_WIN_TUMBLING, 10, 5, INT64_MAX - 5,
     INT64_MAX, true},
    {"negative window end", SL_WIN_TUMBLING, 10, 5, -10, -5, true},
    {"negative window end, open", SL_WIN_TUMBLING, 10, 5, -10, -6, false},
    {"stream time int64 min", SL_WIN_TUMBLING, 10, 0, INT64_MIN, INT64_MIN, true},
};

Test(window_close, grace_boundaries)
{
    for (size_t i = 0; i < sizeof close_cases / sizeof close_cases[0]; i++) {
        const close_case *c = &close_cases[i];
        sl_window_spec w = mkspec(c->kind, c->size, c->kind == SL_WIN_HOPPING ? 5 : 0, c->grace,
                                  true);
        cr_expect_eq(sl_window_closed(&w, c->end, c->stream_time), c->closed, "%s", c->what);
    }
}

Test(window_close, late_record_in_a_tumbling_stream)
{
    /* size 10, grace 2: records 0, 11 (stream time 11), then 3: [0,10) closes
     * at 12, so 3 is still on time; after 12 arrives, 4 is late. */
    sl_window_spec w = mkspec(SL_WIN_TUMBLING, 10, 0, 2, true);
    int64_t records[] = {0, 11, 3, 12, 4, 19, 10};
    bool late[] = {false, false, false, false, true, false, false};
    int64_t stream_time = INT64_MIN;
    for (size_t i = 0; i < sizeof records / sizeof records[0]; i++) {
        if (records[i] > stream_time)
            stream_time = records[i];
        int64_t start;
        cr_assert_eq(sl_window_assign(&w, records[i], &start, 1), 1);
        bool is_late = sl_window_closed(&w, sl_window_end(&w, start), stream_time);
        cr_expect_eq(is_late, late[i], "record %zu at %lld", i, (long long)records[i]);
    }
}

Test(window_close, retention)
{
    sl_window_spec w;
    sl_error err;
    cr_assert_eq(sl_window_spec_init(&w, SL_WIN_TUMBLING, 10, 0, 0, 20, &err), 0, "%s", err.msg);
    cr_expect(!sl_window_expired(&w, 0, 10, 19));
    cr_expect(sl_window_expired(&w, 0, 10, 20), "start + retention == stream time expires");
    cr_expect(!sl_window_expired(&w, INT64_MAX - 5, INT64_MAX, INT64_MAX));
    /* default retention = size + grace: expires exactly when it closes */
    sl_window_spec d = mkspec(SL_WIN_TUMBLING, 10, 0, 3, true);
    for (int64_t st = 0; st < 30; st++)
        cr_expect_eq(sl_window_expired(&d, 0, 10, st), sl_window_closed(&d, 10, st), "st %lld",
                     (long long)st);
    /* sessions count from the end */
    cr_assert_eq(sl_window_spec_init(&w, SL_WIN_SESSION, 5, 0, 0, 10, &err), 0, "%s", err.msg);
    cr_expect(!sl_window_expired(&w, 0, 10, 19));
    cr_expect(sl_window_expired(&w, 0, 10, 20));
}

/* ---- sessions ---- */

typedef struct merge_case {
    const char *what;
    int64_t gap;
    int n;
    sl_session_win existing[4];
    int64_t ts;
    sl_session_win merged;
    int nremoved;
    int removed[4];
} merge_case;

static const merge_case merge_cases[] = {
    {"first record", 10, 0, {{0, 0}}, 5, {5, 5}, 0, {0}},
    {"inside an existing session", 10, 1, {{0, 10}}, 5, {0, 10}, 1, {0}},
    {"exactly gap after the end joins", 10, 1, {{0, 10}}, 20, {0, 20}, 1, {0}},
    {"one past the gap after the end starts anew", 10, 1, {{0, 10}}, 21, {21, 21}, 0, {0}},
    {"exactly gap before the start joins", 10, 1, {{30, 40}}, 20, {20, 40}, 1, {0}},
    {"one past the gap before the start", 10, 1, {{31, 40}}, 20, {20, 20}, 0, {0}},
    {"extends the left side", 10, 1, {{10, 20}}, 3, {3, 20}, 1, {0}},
    {"bridges two sessions", 10, 2, {{0, 10}, {25, 30}}, 18, {0, 30}, 2, {0, 1}},
    {"bridges, any order, others untouched", 10, 3, {{25, 30}, {100, 110}, {0, 10}}, 18, {0, 30},
     2, {0, 2}},
    {"falls between, too far from both", 10, 2, {{0, 0}, {40, 40}}, 20, {20, 20}, 0, {0}},
    {"same point session is overwritten, not retracted", 10, 1, {{5, 5}}, 5, {5, 5}, 0, {0}},
    {"point session at ts widened by another", 10, 2, {{5, 5}, {12, 12}}, 5, {5, 12}, 2, {0, 1}},
    {"at int64 max", 10, 1, {{INT64_MAX - 1, INT64_MAX - 1}}, INT64_MAX,
     {INT64_MAX - 1, INT64_MAX}, 1, {0}},
    {"at int64 min", 10, 1, {{INT64_MIN + 3, INT64_MIN + 4}}, INT64_MIN, {INT64_MIN, INT64_MIN + 4},
     1, {0}},
    {"negative times", 10, 1, {{-30, -20}}, -10, {-30, -10}, 1, {0}},
};

Test(session, merge_table)
{
    for (size_t i = 0; i < sizeof merge_cases / sizeof merge_cases[0]; i++) {
        const merge_case *c = &merge_cases[i];
        sl_window_spec w = mkspec(SL_WIN_SESSION, c->gap, 0, 0, true);
        sl_session_win m = {-1, -1};
        int removed[4] = {-1, -1, -1, -1}, nremoved = -1;
        cr_assert_eq(sl_session_merge(&w, c->existing, c->n, c->ts, &m, removed, &nremoved), 0,
                     "%s", c->what);
        cr_expect_eq(m.start, c->merged.start, "%s: start %lld", c->what, (long long)m.start);
        cr_expect_eq(m.end, c->merged.end, "%s: end %lld", c->what, (long long)m.end);
        cr_assert_eq(nremoved, c->nremoved, "%s: %d removed", c->what, nremoved);
        for (int k = 0; k < nremoved; k++)
            cr_expect_eq(removed[k], c->removed[k], "%s: removed[%d] = %d", c->what, k, removed[k]);
    }
}

Test(session, bad_arguments)
{
    sl_window_spec t = mkspec(SL_WIN_TUMBLING, 10, 0, 0, true);
    sl_window_spec s = mkspec(SL_WIN_SESSION, 10, 0, 0, true);
    sl_session_win m;
    int removed[1], nremoved;
    cr_expect_eq(sl_session_merge(&t, NULL, 0, 5, &m, removed, &nremoved), -1);
    cr_expect_eq(sl_session_merge(&s, NULL, 1, 5, &m, removed, &nremoved), -1);
    cr_expect_eq(sl_session_merge(&s, NULL, -1, 5, &m, removed, &nremoved), -1);
    cr_expect_eq(sl_session_merge(&s, NULL, 0, 5, &m, NULL, &nremoved), 0);
}

/* A key's session store driven the way the operator will drive it. */
typedef struct sess_store {
    sl_session_win s[32];
    int n;
    int retractions;
    int late;
} sess_store;

static void sess_push(sess_store *st, const sl_window_spec *w, int64_t *stream_time, int64_t ts)
{
    if (ts > *stream_time)
        *stream_time = ts;
    sl_session_win m;
    int removed[32], nremoved;
    cr_assert_eq(sl_session_merge(w, st->s, st->n, ts, &m, removed, &nremoved), 0);
    if (sl_window_closed(w, m.end, *stream_time)) {
        st->late++;
        return;
    }
    for (int k = nremoved - 1; k >= 0; k--) {           /* descending: indexes stay valid */
        st->s[removed[k]] = st->s[--st->n];
        st->retractions++;
    }
    for (int k = 0; k < st->n; k++)                       /* an overwritten point session */
        if (st->s[k].start == m.start && st->s[k].end == m.end)
            return;
    st->s[st->n++] = m;
}

static int cmp_sess(const void *a, const void *b)
{
    const sl_session_win *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

Test(session, a_stream_of_records)
{
    /* gap 5, grace 100: 0 and 3 form [0,3]; 20 stands alone; 10 starts
     * [10,10]; 14 extends it; 17 bridges [10,14] and [20,20]. */
    sl_window_spec w = mkspec(SL_WIN_SESSION, 5, 0, 100, true);
    sess_store st = {0};
    int64_t stream_time = INT64_MIN;
    int64_t records[] = {0, 3, 20, 10, 14, 17};
    for (size_t i = 0; i < sizeof records / sizeof records[0]; i++)
        sess_push(&st, &w, &stream_time, records[i]);
    qsort(st.s, (size_t)st.n, sizeof st.s[0], cmp_sess);
    cr_assert_eq(st.n, 2);
    cr_expect_eq(st.s[0].start, 0);
    cr_expect_eq(st.s[0].end, 3);
    cr_expect_eq(st.s[1].start, 10);
    cr_expect_eq(st.s[1].end, 20);
    /* [0,0] when 3 came, [10,10] when 14 came, [10,14] and [20,20] when 17 came */
    cr_expect_eq(st.retractions, 4);
    cr_expect_eq(st.late, 0);
}

Test(session, late_records_at_the_gap_and_grace_boundary)
{
    /* gap 5, grace 0, stream time 20: a lone record at 14 would form [14,14],
     * closed since 14 + 5 < 20; one at 15 (15 + 5 == 20) is on time. */
    sl_window_spec w = mkspec(SL_WIN_SESSION, 5, 0, 0, true);
    sess_store st = {0};
    int64_t stream_time = INT64_MIN;
    sess_push(&st, &w, &stream_time, 20);
    sess_push(&st, &w, &stream_time, 14);
    cr_expect_eq(st.late, 1);
    cr_expect_eq(st.n, 1);
    sess_push(&st, &w, &stream_time, 15);
    cr_expect_eq(st.late, 1);
    cr_assert_eq(st.n, 1, "15 joins [20,20] (within the gap)");
    cr_expect_eq(st.s[0].start, 15);
    cr_expect_eq(st.s[0].end, 20);
    /* 9 is late alone ([9,9]: 14 < 20) and joins nothing (15 - 9 > 5) */
    sess_push(&st, &w, &stream_time, 9);
    cr_expect_eq(st.late, 2);
    /* 10 joins [15,20]: merged end 20 is open, so it is on time */
    sess_push(&st, &w, &stream_time, 10);
    cr_expect_eq(st.late, 2);
    cr_expect_eq(st.s[0].start, 10);
}

/* ---- windowed keys ---- */

Test(windowed_key, time_window_bytes)
{
    sl_buf b;
    sl_buf_init(&b);
    sl_windowed_key_encode(&b, SL_WIN_TUMBLING, "abc", 3, 0x0102030405060708LL, 0);
    static const unsigned char want[] = {'a', 'b', 'c', 1, 2, 3, 4, 5, 6, 7, 8};
    cr_assert_eq(b.len, sizeof want);
    cr_expect_arr_eq(b.data, want, sizeof want);
    sl_buf_reset(&b);
    sl_windowed_key_encode(&b, SL_WIN_HOPPING, "k", 1, -1, 0);
    static const unsigned char neg[] = {'k', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    cr_assert_eq(b.len, sizeof neg);
    cr_expect_arr_eq(b.data, neg, sizeof neg);
    sl_buf_fini(&b);
}

Test(windowed_key, session_window_bytes_are_end_then_start)
{
    sl_buf b;
    sl_buf_init(&b);
    sl_windowed_key_encode(&b, SL_WIN_SESSION, "k", 1, 1000, 2000);
    static const unsigned char want[] = {'k', 0, 0, 0, 0, 0, 0, 0x07, 0xd0,
                                         0, 0, 0, 0, 0, 0, 0x03, 0xe8};
    cr_assert_eq(b.len, sizeof want);
    cr_expect_arr_eq(b.data, want, sizeof want);
    sl_buf_fini(&b);
}

typedef struct key_case {
    sl_window_kind kind;
    const char *key;
    size_t keylen;
    int64_t start, end;         /* end: for time windows, start + size (saturated) */
} key_case;

static const key_case key_cases[] = {
    {SL_WIN_TUMBLING, "user-1", 6, 60000, 70000},
    {SL_WIN_TUMBLING, "", 0, 0, 10000},
    {SL_WIN_TUMBLING, "\0\x01\xff", 3, -10000, 0},
    {SL_WIN_TUMBLING, "x", 1, INT64_MAX - 3, INT64_MAX},
    {SL_WIN_TUMBLING, "x", 1, INT64_MIN, INT64_MIN + 10000},
    {SL_WIN_HOPPING, "bidder", 6, 2000, 12000},
    {SL_WIN_SESSION, "user-1", 6, 5, 5},
    {SL_WIN_SESSION, "", 0, -100, 100},
    {SL_WIN_SESSION, "k\0k", 3, INT64_MIN, INT64_MAX},
};

Test(windowed_key, round_trips)
{
    for (size_t i = 0; i < sizeof key_cases / sizeof key_cases[0]; i++) {
        const key_case *c = &key_cases[i];
        sl_window_spec w = mkspec(c->kind, 10000, c->kind == SL_WIN_HOPPING ? 2000 : 0, 0, true);
        sl_buf b;
        sl_buf_init(&b);
        sl_windowed_key_encode(&b, c->kind, c->key, c->keylen, c->start, c->end);
        cr_expect_eq(b.len, c->keylen + (c->kind == SL_WIN_SESSION ? 16 : 8), "case %zu", i);
        const void *key;
        size_t keylen;
        int64_t start, end;
        sl_error err;
        cr_assert_eq(sl_windowed_key_decode(&w, b.data, b.len, &key, &keylen, &start, &end, &err),
                     0, "case %zu: %s", i, err.msg);
        cr_expect_eq(keylen, c->keylen, "case %zu", i);
        cr_expect(keylen == 0 || memcmp(key, c->key, keylen) == 0, "case %zu: key bytes", i);
        cr_expect_eq(start, c->start, "case %zu: start %lld", i, (long long)start);
        cr_expect_eq(end, c->end, "case %zu: end %lld", i, (long long)end);
        sl_buf_fini(&b);
    }
}

Test(windowed_key, malformed_keys_are_errors)
{
    sl_window_spec t = mkspec(SL_WIN_TUMBLING, 10, 0, 0, true);
    sl_window_spec s = mkspec(SL_WIN_SESSION, 10, 0, 0, true);
    const void *key;
    size_t keylen;
    int64_t start, end;
    sl_error err;
    unsigned char bytes[16] = {0};
    cr_expect_eq(sl_windowed_key_decode(&t, bytes, 7, &key, &keylen, &start, &end, &err), -1);
    cr_expect_eq(err.code, SL_ERR_EVAL);
    cr_expect_eq(sl_windowed_key_decode(&t, bytes, 8, &key, &keylen, &start, &end, &err), 0);
    cr_expect_eq(keylen, 0);
    cr_expect_eq(sl_windowed_key_decode(&s, bytes, 15, &key, &keylen, &start, &end, &err), -1);
    cr_expect_eq(sl_windowed_key_decode(&s, NULL, 0, &key, &keylen, &start, &end, &err), -1);
    /* end 1, start 2: a session cannot end before it starts */
    bytes[7] = 1;
    bytes[15] = 2;
    cr_expect_eq(sl_windowed_key_decode(&s, bytes, 16, &key, &keylen, &start, &end, &err), -1);
    cr_expect(strstr(err.msg, "before") != NULL, "%s", err.msg);
}
