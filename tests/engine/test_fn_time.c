/*
 * test_fn_time.c: ksqlDB's DATE / TIME functions end to end through
 * sl_eval_text (parse, compile, evaluate, render as JSON), plus the
 * per-row path (patterns and zones that are not constants) called directly.
 *
 * TIMESTAMP / DATE / TIME results are wrapped in UNIX_TIMESTAMP, UNIX_DATE or
 * FORMAT_TIME so the expectations do not depend on how those types render.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/expr.h"
#include "engine/func.h"

typedef struct ok_case { const char *expr, *json; } ok_case;
typedef struct err_case { const char *expr, *frag; } err_case;

static void run_ok(const ok_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sl_buf out = SL_BUF_INIT;
        sl_error err;
        sl_error_clear(&err);
        int rc = sl_eval_text(cases[i].expr, &out, &err);
        cr_expect_eq(rc, 0, "%s: %s", cases[i].expr, err.msg);
        if (rc == 0)
            cr_expect_str_eq(sl_buf_cstr(&out), cases[i].json, "%s gave %s", cases[i].expr,
                             sl_buf_cstr(&out));
        sl_buf_fini(&out);
    }
}

static void run_err(const err_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sl_buf out = SL_BUF_INIT;
        sl_error err;
        sl_error_clear(&err);
        int rc = sl_eval_text(cases[i].expr, &out, &err);
        cr_expect_eq(rc, -1, "%s gave %s", cases[i].expr, sl_buf_cstr(&out));
        if (rc == -1)
            cr_expect(strstr(err.msg, cases[i].frag), "%s: '%s' lacks '%s'", cases[i].expr,
                      err.msg, cases[i].frag);
        sl_buf_fini(&out);
    }
}

Test(fn_time, format_and_parse_timestamp)
{
    static const ok_case cases[] = {
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(1709214330123), 'yyyy-MM-dd HH:mm:ss.SSS')",
         "\"2024-02-29 13:45:30.123\""},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(1709214330123), 'yyyy-MM-dd''T''HH:mm:ssXXX', 'America/Los_Angeles')",
         "\"2024-02-29T05:45:30-08:00\""},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(1709214330123), 'EEE, d MMM yyyy h:mm a', '+05:30')",
         "\"Thu, 29 Feb 2024 7:15 PM\""},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(-1), 'yyyy-MM-dd HH:mm:ss.SSS')", "\"1969-12-31 23:59:59.999\""},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(1616893199000), 'HH:mm:ss z', 'Europe/Berlin')", "\"01:59:59 CET\""},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(1616893200000), 'HH:mm:ss z', 'Europe/Berlin')", "\"03:00:00 CEST\""},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(0), 'yyyy-MM-dd HH:mm VV', 'GMT+2')", "\"1970-01-01 02:00 GMT+02:00\""},
        {"FORMAT_TIMESTAMP(NULL, 'yyyy')", "null"},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(0), NULL)", "null"},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(0), 'yyyy', NULL)", "null"},
        {"UNIX_TIMESTAMP(PARSE_TIMESTAMP('2024-02-29 13:45:30.123', 'yyyy-MM-dd HH:mm:ss.SSS'))", "1709214330123"},
        {"UNIX_TIMESTAMP(PARSE_TIMESTAMP('2024-02-29 13:45:30.123', 'yyyy-MM-dd HH:mm:ss.SSS', 'Europe/Berlin'))",
         "1709210730123"},
        {"UNIX_TIMESTAMP(PARSE_TIMESTAMP('2024-02-29T19:15:30+0530', 'yyyy-MM-dd''T''HH:mm:ssX', 'Europe/Berlin'))",
         "1709214330000"},
        {"UNIX_TIMESTAMP(PARSE_TIMESTAMP('2021-03-14 02:30', 'yyyy-MM-dd HH:mm', 'America/New_York'))",
         "1615707000000"},
        {"UNIX_TIMESTAMP(PARSE_TIMESTAMP('2021-11-07 01:30', 'yyyy-MM-dd HH:mm', 'America/New_York'))",
         "1636263000000"},
        {"UNIX_TIMESTAMP(PARSE_TIMESTAMP('10:15', 'HH:mm'))", "36900000"},
        {"UNIX_TIMESTAMP(PARSE_TIMESTAMP('1969-12-31', 'yyyy-MM-dd'))", "-86400000"},
        {"PARSE_TIMESTAMP(NULL, 'yyyy')", "null"},
        {"PARSE_TIMESTAMP('2021', NULL)", "null"},
    };
    run_ok(cases, sizeof cases / sizeof cases[0]);
}

Test(fn_time, dates_and_times)
{
    static const ok_case cases[] = {
        {"FORMAT_DATE(FROM_DAYS(19782), 'dd/MM/yyyy EEEE')", "\"29/02/2024 Thursday\""},
        {"FORMAT_DATE(FROM_DAYS(-1), 'yyyy-MM-dd')", "\"1969-12-31\""},
        {"FORMAT_DATE(FROM_DAYS(0), 'yyyy-MM-dd[ HH:mm]')", "\"1970-01-01\""},
        {"UNIX_DATE(PARSE_DATE('2024-02-29', 'yyyy-MM-dd'))", "19782"},
        {"UNIX_DATE(PARSE_DATE('29 feb 2024', 'dd MMM yyyy'))", "19782"},
        {"UNIX_DATE(PARSE_DATE('2024-060', 'yyyy-DDD'))", "19782"},
        {"UNIX_DATE(PARSE_DATE('0001-01-01', 'yyyy-MM-dd'))", "-719162"},
        {"PARSE_DATE(NULL, 'yyyy-MM-dd')", "null"},
        {"FORMAT_DATE(NULL, 'yyyy-MM-dd')", "null"},
        {"FORMAT_TIME(PARSE_TIME('13:45:30.123', 'HH:mm:ss.SSS'), 'hh:mm:ss.SSS a')", "\"01:45:30.123 PM\""},
        {"FORMAT_TIME(PARSE_TIME('11:59 PM', 'h:mm a'), 'HH:mm')", "\"23:59\""},
        {"FORMAT_TIME(PARSE_TIME('00:00', 'HH:mm'), 'HH:mm:ss.SSS')", "\"00:00:00.000\""},
        {"PARSE_TIME(NULL, 'HH:mm')", "null"},
        {"FORMAT_TIME(NULL, 'HH:mm')", "null"},
    };
    run_ok(cases, sizeof cases / sizeof cases[0]);
}

Test(fn_time, deprecated_functions)
{
    static const ok_case cases[] = {
        {"TIMESTAMPTOSTRING(1709214330123, 'yyyy-MM-dd HH:mm:ss.SSS')", "\"2024-02-29 13:45:30.123\""},
        {"TIMESTAMPTOSTRING(1709214330123, 'HH:mm', 'Asia/Kolkata')", "\"19:15\""},
        {"TIMESTAMPTOSTRING(-62135596800001, 'uuuu-MM-dd G')", "\"0000-12-31 BC\""},
        {"STRINGTOTIMESTAMP('2024-02-29 13:45:30.123', 'yyyy-MM-dd HH:mm:ss.SSS')", "1709214330123"},
        {"STRINGTOTIMESTAMP('2024-02-29 13:45', 'yyyy-MM-dd HH:mm', '+05:30')", "1709194500000"},
        {"DATETOSTRING(19782, 'yyyy-MM-dd')", "\"2024-02-29\""},
        {"STRINGTODATE('2024-02-29', 'yyyy-MM-dd')", "19782"},
        {"STRINGTODATE('1969-12-31', 'yyyy-MM-dd')", "-1"},
        {"TIMESTAMPTOSTRING(NULL, 'yyyy')", "null"},
        {"STRINGTOTIMESTAMP(NULL, 'yyyy')", "null"},
        {"DATETOSTRING(NULL, 'yyyy')", "null"},
        {"STRINGTODATE(NULL, 'yyyy')", "null"},
    };
    run_ok(cases, sizeof cases / sizeof cases[0]);
}

Test(fn_time, epoch_conversions)
{
    static const ok_case cases[] = {
        {"UNIX_TIMESTAMP(FROM_UNIXTIME(-5))", "-5"},
        {"UNIX_TIMESTAMP(FROM_UNIXTIME(9223372036854775807))", "9223372036854775807"},
        {"UNIX_DATE(FROM_DAYS(-719162))", "-719162"},
        {"UNIX_TIMESTAMP(NULL)", "null"},
        {"UNIX_DATE(NULL)", "null"},
        {"FROM_UNIXTIME(NULL)", "null"},
        {"FROM_DAYS(NULL)", "null"},
        {"UNIX_TIMESTAMP() > 1700000000000", "true"},
        {"UNIX_DATE() > 19675", "true"},
        {"UNIX_TIMESTAMP(CONVERT_TZ(FROM_UNIXTIME(1625140800000), 'UTC', 'Europe/Berlin'))", "1625148000000"},
        {"UNIX_TIMESTAMP(CONVERT_TZ(FROM_UNIXTIME(1625140800000), 'America/Los_Angeles', 'Asia/Kolkata'))",
         "1625185800000"},
        {"UNIX_TIMESTAMP(CONVERT_TZ(FROM_UNIXTIME(1609459200000), 'Europe/London', 'Europe/London'))",
         "1609459200000"},
        {"CONVERT_TZ(NULL, 'UTC', 'UTC')", "null"},
        {"CONVERT_TZ(FROM_UNIXTIME(0), NULL, 'UTC')", "null"},
    };
    run_ok(cases, sizeof cases / sizeof cases[0]);
}

Test(fn_time, interval_arithmetic)
{
    static const ok_case cases[] = {
        {"UNIX_TIMESTAMP(TIMESTAMPADD('SECONDS', 5, FROM_UNIXTIME(1000)))", "6000"},
        {"UNIX_TIMESTAMP(TIMESTAMPADD('minute', 2, FROM_UNIXTIME(0)))", "120000"},
        {"UNIX_TIMESTAMP(TIMESTAMPSUB('days', 1, FROM_UNIXTIME(0)))", "-86400000"},
        {"UNIX_TIMESTAMP(TIMESTAMPADD('MILLISECOND', -1, FROM_UNIXTIME(0)))", "-1"},
        {"UNIX_TIMESTAMP(TIMESTAMPSUB('HOURS', -3, FROM_UNIXTIME(0)))", "10800000"},
        {"TIMESTAMPADD('SECONDS', NULL, FROM_UNIXTIME(0))", "null"},
        {"TIMESTAMPADD('SECONDS', 1, NULL)", "null"},
        {"UNIX_DATE(DATEADD('DAYS', 1, FROM_DAYS(19781)))", "19782"},
        {"UNIX_DATE(DATESUB('DAYS', 365, FROM_DAYS(19782)))", "19417"},
        {"UNIX_DATE(DATEADD('HOURS', 25, FROM_DAYS(0)))", "1"},
        {"UNIX_DATE(DATEADD('HOURS', -1, FROM_DAYS(0)))", "0"},
        {"UNIX_DATE(DATESUB('DAY', 1, FROM_DAYS(0)))", "-1"},
        {"DATEADD('DAYS', 1, NULL)", "null"},
        {"FORMAT_TIME(TIMEADD('HOURS', 2, PARSE_TIME('23:30', 'HH:mm')), 'HH:mm')", "\"01:30\""},
        {"FORMAT_TIME(TIMESUB('MINUTES', 45, PARSE_TIME('00:30', 'HH:mm')), 'HH:mm')", "\"23:45\""},
        {"FORMAT_TIME(TIMEADD('DAYS', 2147483647, PARSE_TIME('10:00', 'HH:mm')), 'HH:mm')", "\"10:00\""},
        {"FORMAT_TIME(TIMESUB('MILLISECONDS', 1, PARSE_TIME('00:00', 'HH:mm')), 'HH:mm:ss.SSS')",
         "\"23:59:59.999\""},
        {"TIMEADD('HOURS', 1, NULL)", "null"},
    };
    run_ok(cases, sizeof cases / sizeof cases[0]);
}

/* ksqlDB's spelling: the unit as a bare keyword (SL_FNF_UNIT_ARG in func.h). */
Test(fn_time, unit_keywords)
{
    static const ok_case cases[] = {
        {"UNIX_TIMESTAMP(TIMESTAMPADD(SECONDS, 5, FROM_UNIXTIME(1000)))", "6000"},
        {"UNIX_TIMESTAMP(TIMESTAMPSUB(HOUR, 1, FROM_UNIXTIME(0)))", "-3600000"},
        {"UNIX_DATE(DATEADD(DAYS, 2, FROM_DAYS(0)))", "2"},
        {"FORMAT_TIME(TIMESUB(MILLISECONDS, 1, PARSE_TIME('00:00', 'HH:mm')), 'HH:mm:ss.SSS')",
         "\"23:59:59.999\""},
    };
    run_ok(cases, sizeof cases / sizeof cases[0]);
    static const err_case bad[] = {{"TIMESTAMPADD(WEEKS, 1, FROM_UNIXTIME(0))", "invalid time unit"}};
    run_err(bad, 1);
}

Test(fn_time, errors)
{
    static const err_case cases[] = {
        /* constant patterns and zones: refused when the expression is compiled */
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(0), 'yyyy-MM-dd''T')", "incomplete string literal"},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(0), 'dddd')", "too many pattern letters"},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(0), 'yyyy', 'Nowhere/Land')", "unknown time zone"},
        {"FORMAT_TIMESTAMP(FROM_UNIXTIME(0), 'yyyy', '../../etc/passwd')", "invalid time zone"},
        {"PARSE_TIMESTAMP('2021', 'yyyy', '+25:00')", "invalid time zone offset"},
        {"CONVERT_TZ(FROM_UNIXTIME(0), 'UTC', 'Mars/Olympus')", "unknown time zone"},
        {"FORMAT_DATE(FROM_DAYS(0), 'yyyy HH')", "HourOfDay"},
        {"FORMAT_TIME(PARSE_TIME('10:00', 'HH:mm'), 'yyyy')", "YearOfEra"},
        {"PARSE_DATE('2024-02-29 10', 'yyyy-MM-dd HH')", "time field"},
        {"PARSE_TIME('2024 10', 'yyyy HH')", "date field"},
        {"TIMESTAMPADD('WEEKS', 1, FROM_UNIXTIME(0))", "invalid time unit"},
        /* values that do not fit the pattern */
        {"PARSE_TIMESTAMP('2021-13-01', 'yyyy-MM-dd')", "MonthOfYear"},
        {"PARSE_TIMESTAMP('2021-01-01 junk', 'yyyy-MM-dd')", "unparsed text"},
        {"PARSE_DATE('2024-02', 'yyyy-MM')", "full date"},
        {"PARSE_DATE('2023-366', 'yyyy-DDD')", "not a leap year"},
        {"PARSE_TIME('25:00', 'HH:mm')", "HourOfDay"},
        {"STRINGTOTIMESTAMP('Fri 2024-02-29', 'EEE yyyy-MM-dd')", "DayOfWeek"},
        {"TIMESTAMPADD('DAYS', 2147483647, FROM_UNIXTIME(9223372036854775807))", "out of range"},
        {"DATEADD('DAYS', 2147483647, FROM_DAYS(2147483647))", "out of range"},
    };
    run_err(cases, sizeof cases / sizeof cases[0]);
}

Test(fn_time, registry)
{
    static const char *const names[] = {
        "FORMAT_TIMESTAMP", "PARSE_TIMESTAMP", "FORMAT_DATE", "PARSE_DATE", "FORMAT_TIME",
        "PARSE_TIME", "TIMESTAMPTOSTRING", "STRINGTOTIMESTAMP", "DATETOSTRING", "STRINGTODATE",
        "UNIX_TIMESTAMP", "UNIX_DATE", "FROM_UNIXTIME", "FROM_DAYS", "CONVERT_TZ",
        "TIMESTAMPADD", "TIMESTAMPSUB", "DATEADD", "DATESUB", "TIMEADD", "TIMESUB",
    };
    const sl_registry *r = sl_registry_builtin();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const sl_function *f = sl_registry_find(r, names[i]);
        cr_assert_not_null(f, "%s", names[i]);
        cr_expect_str_eq(f->category, "DATE / TIME", "%s", names[i]);
        cr_expect(f->description && strlen(f->description) > 20, "%s", names[i]);
    }
    static const char *const with_unit[] = {"TIMESTAMPADD", "TIMESTAMPSUB", "DATEADD", "DATESUB",
                                             "TIMEADD", "TIMESUB"};
    for (size_t i = 0; i < sizeof with_unit / sizeof with_unit[0]; i++) {
        const sl_function *u = sl_registry_find(r, with_unit[i]);
        cr_assert_not_null(u);
        cr_expect(u->overloads[0].flags & SL_FNF_UNIT_ARG, "%s", with_unit[i]);
    }
    const sl_function *f = sl_registry_find(r, "unix_timestamp");
    cr_assert_not_null(f);
    cr_expect(f->overloads[0].flags & SL_FNF_NONDETERMINISTIC);
    cr_expect(!(f->overloads[1].flags & SL_FNF_NONDETERMINISTIC));
}

/* The per-row path: patterns and zones that are not constants are compiled
 * per call, and a bad one is a row error rather than a crash. */
static int call(const char *name, int ov, const sl_value *args, int nargs, sl_value *out,
                sl_error *err, sl_arena *a)
{
    const sl_function *f = sl_registry_find(sl_registry_builtin(), name);
    cr_assert_not_null(f);
    cr_assert_lt(ov, f->noverloads);
    const sl_overload *o = &f->overloads[ov];
    const sl_value *consts[4] = {NULL, NULL, NULL, NULL};
    void *state = NULL;
    if (o->prepare)
        cr_assert_eq(o->prepare(a, NULL, nargs, consts, &state, err), 0);
    sl_fcall c = {0};
    c.arena = a;
    c.err = err;
    c.nargs = nargs;
    c.state = state;
    return o->impl(&c, args, nargs, out);
}

Test(fn_time, per_row_patterns_and_zones)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err;
    sl_value out;
    sl_value args[3];

    args[0] = sl_string_ref("2024-02-29", 10);
    args[1] = sl_string_ref("yyyy-MM-dd", 10);
    cr_assert_eq(call("PARSE_DATE", 0, args, 2, &out, &err, a), 0, "%s", err.msg);
    cr_expect_eq(out.kind, SL_DATE);
    cr_expect_eq(out.u.i32, 19782);

    args[1] = sl_string_ref("yyyy-MM-dd'", 11);
    cr_expect_eq(call("PARSE_DATE", 0, args, 2, &out, &err, a), -1);
    cr_expect_eq(err.code, SL_ERR_EVAL);
    cr_expect(strstr(err.msg, "invalid date-time pattern"), "%s", err.msg);

    args[0] = sl_timestamp(1616893200000);
    args[1] = sl_string_ref("HH:mm z", 7);
    args[2] = sl_string_ref("Europe/Berlin", 13);
    cr_assert_eq(call("FORMAT_TIMESTAMP", 1, args, 3, &out, &err, a), 0, "%s", err.msg);
    cr_expect_eq(out.kind, SL_STRING);
    cr_expect(out.u.s.len == 10 && memcmp(out.u.s.ptr, "03:00 CEST", 10) == 0, "%.*s",
              (int)out.u.s.len, out.u.s.ptr);

    args[2] = sl_string_ref("Europe/Nowhere", 14);
    cr_expect_eq(call("FORMAT_TIMESTAMP", 1, args, 3, &out, &err, a), -1);
    cr_expect(strstr(err.msg, "unknown time zone"), "%s", err.msg);

    args[0] = sl_string_ref("SECONDS", 7);
    args[1] = sl_int(3);
    args[2] = sl_timestamp(0);
    cr_assert_eq(call("TIMESTAMPADD", 0, args, 3, &out, &err, a), 0, "%s", err.msg);
    cr_expect_eq(out.u.i64, 3000);
    args[0] = sl_string_ref("FORTNIGHTS", 10);
    cr_expect_eq(call("TIMESTAMPADD", 0, args, 3, &out, &err, a), -1);
    cr_expect(strstr(err.msg, "invalid time unit"), "%s", err.msg);

    /* a DATE pattern checked per row when it is not a constant */
    args[0] = sl_date(0);
    args[1] = sl_string_ref("HH", 2);
    cr_expect_eq(call("FORMAT_DATE", 0, args, 2, &out, &err, a), -1);
    cr_expect(strstr(err.msg, "HourOfDay"), "%s", err.msg);
    sl_arena_free(a);
}
