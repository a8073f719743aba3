/*
 * test_datetime.c: the calendar, the TZif-backed time zones and the
 * DateTimeFormatter-style patterns of engine/datetime.c, called directly.
 * Expected values were cross-checked against java.time semantics
 * (and Python's zoneinfo for instants).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/datetime.h"

static sl_arena *arena;

static void setup(void) { arena = sl_arena_new(0); }
static void teardown(void) { sl_arena_free(arena); }

TestSuite(datetime, .init = setup, .fini = teardown);

static sl_zone zone(const char *id)
{
    sl_zone z;
    sl_error e;
    cr_assert_eq(sl_zone_parse(id, strlen(id), &z, &e), 0, "zone %s: %s", id, e.msg);
    return z;
}

static const sl_dtfmt *pat(const char *p)
{
    sl_error e;
    const sl_dtfmt *f = sl_dtfmt_compile(arena, p, strlen(p), &e);
    cr_assert(f, "pattern %s: %s", p, e.msg);
    return f;
}

/* ---- calendar ---- */

Test(datetime, calendar)
{
    static const struct { int64_t y; int m, d; int64_t days; int wd; } cases[] = {
        {1970, 1, 1, 0, 4},        {1969, 12, 31, -1, 3},     {2000, 3, 1, 11017, 3},
        {1600, 2, 29, -135081, 2}, {2024, 2, 29, 19782, 4},   {2024, 12, 31, 20088, 2},
        {1, 1, 1, -719162, 1},     {0, 12, 31, -719163, 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(sl_cal_days_from_civil(cases[i].y, cases[i].m, cases[i].d), cases[i].days,
                     "case %zu", i);
        int64_t y;
        int m, d;
        sl_cal_civil_from_days(cases[i].days, &y, &m, &d);
        cr_expect(y == cases[i].y && m == cases[i].m && d == cases[i].d, "case %zu", i);
        cr_expect_eq(sl_cal_weekday(cases[i].days), cases[i].wd, "weekday case %zu", i);
    }
    cr_expect(sl_cal_is_leap(2000) && sl_cal_is_leap(2024) && !sl_cal_is_leap(1900) &&
              !sl_cal_is_leap(2023));
    cr_expect_eq(sl_cal_days_in_month(2023, 2), 28);
    cr_expect_eq(sl_cal_days_in_month(2024, 2), 29);
    /* round trip over a wide range */
    for (int64_t d = -800000; d < 800000; d += 997) {
        int64_t y;
        int m, dd;
        sl_cal_civil_from_days(d, &y, &m, &dd);
        cr_assert_eq(sl_cal_days_from_civil(y, m, dd), d);
    }
}

/* ---- zones ---- */

Test(datetime, zone_ids)
{
    static const struct { const char *in, *id; } ok[] = {
        {"UTC", "UTC"}, {"Z", "Z"}, {"GMT", "GMT"}, {"+05:30", "+05:30"}, {"-8", "-08:00"},
        {"+0130", "+01:30"}, {"GMT+2", "GMT+02:00"}, {"UTC-03:30", "UTC-03:30"},
        {"UT+01", "UT+01:00"}, {"+18:00", "+18:00"}, {"Europe/Berlin", "Europe/Berlin"},
        {"America/Los_Angeles", "America/Los_Angeles"}, {"Etc/GMT+5", "Etc/GMT+5"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        sl_zone z = zone(ok[i].in);
        char buf[64];
        sl_zone_id(&z, buf, sizeof buf);
        cr_expect_str_eq(buf, ok[i].id, "zone %s", ok[i].in);
    }
    static const char *const bad[] = {
        "", "+19:00", "+5:30", "Mars/Olympus", "../etc/passwd", "Europe/../../etc/passwd",
        "utc", "America", "Europe/Berlin/", "GMT+x", "/etc/passwd", "Europe//Berlin", "zone.tab",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_zone z;
        sl_error e;
        cr_expect_eq(sl_zone_parse(bad[i], strlen(bad[i]), &z, &e), -1, "zone '%s'", bad[i]);
    }
}

Test(datetime, zone_offsets)
{
    static const struct { const char *zone; int64_t utc_sec; int32_t off; } cases[] = {
        {"Europe/Berlin", 1609459200, 3600},        /* 2021-01-01 */
        {"Europe/Berlin", 1625097600, 7200},        /* 2021-07-01 */
        {"Europe/Berlin", 1616893199, 3600},        /* 2021-03-28 00:59:59Z, before the switch */
        {"Europe/Berlin", 1616893200, 7200},        /* 01:00:00Z, after */
        {"Europe/Berlin", 4118083200, 7200},        /* 2100-07-01: from the POSIX footer */
        {"Europe/Berlin", -5364662400, 3208},       /* 1800: local mean time */
        {"America/New_York", 1615705199, -18000},   /* 2021-03-14 06:59:59Z */
        {"America/New_York", 1615705200, -14400},   /* 07:00:00Z */
        {"Australia/Sydney", 4102444800, 39600},    /* 2100-01-01: southern summer */
        {"Australia/Sydney", 4118083200, 36000},    /* 2100-07-01 */
        {"Asia/Kolkata", 1709214330, 19800},
        {"+05:30", 0, 19800},
        {"UTC", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_zone z = zone(cases[i].zone);
        cr_expect_eq(sl_zone_offset(&z, cases[i].utc_sec), cases[i].off, "%s at %lld: %d",
                     cases[i].zone, (long long)cases[i].utc_sec,
                     sl_zone_offset(&z, cases[i].utc_sec));
    }
}

Test(datetime, local_to_utc_gaps_and_overlaps)
{
    sl_zone ny = zone("America/New_York");
    /* 2021-03-14 02:30 does not exist: moves to 03:30 EDT = 07:30Z */
    int64_t gap = sl_cal_days_from_civil(2021, 3, 14) * 86400 + 2 * 3600 + 1800;
    cr_expect_eq(sl_zone_local_to_utc(&ny, gap), 1615707000);
    /* 2021-11-07 01:30 happens twice: the earlier (EDT) wins = 05:30Z */
    int64_t overlap = sl_cal_days_from_civil(2021, 11, 7) * 86400 + 3600 + 1800;
    cr_expect_eq(sl_zone_local_to_utc(&ny, overlap), 1636263000);
    int64_t plain = sl_cal_days_from_civil(2021, 7, 1) * 86400 + 12 * 3600;
    sl_zone be = zone("Europe/Berlin");
    cr_expect_eq(sl_zone_local_to_utc(&be, plain), 1625133600);
}

/* ---- patterns ---- */

Test(datetime, compile_errors)
{
    static const struct { const char *p, *err; } cases[] = {
        {"yyyy-MM-dd'T", "incomplete string literal"},
        {"ddd", "too many pattern letters: d"},
        {"HHH", "too many pattern letters: H"},
        {"aa", "too many pattern letters: a"},
        {"yyyy]", "']'"},
        {"YYYY", "'Y' is not supported"},
        {"ww", "'w' is not supported"},
        {"jj", "unknown pattern letter: j"},
        {"{yyyy}", "reserved character"},
        {"VVV", "count must be 2"},
        {"SSSSSSSSSS", "too many pattern letters: S"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_error e;
        const sl_dtfmt *f = sl_dtfmt_compile(arena, cases[i].p, strlen(cases[i].p), &e);
        cr_expect_null(f, "pattern %s compiled", cases[i].p);
        if (!f)
            cr_expect(strstr(e.msg, cases[i].err), "pattern %s: %s", cases[i].p, e.msg);
    }
}

Test(datetime, fields)
{
    cr_expect_eq(sl_dtfmt_fields(pat("yyyy-MM-dd")), SL_DTF_DATE);
    cr_expect_eq(sl_dtfmt_fields(pat("HH:mm:ss.SSS")), SL_DTF_TIME);
    cr_expect_eq(sl_dtfmt_fields(pat("yyyy-MM-dd'T'HH:mmXXX")),
                 SL_DTF_DATE | SL_DTF_TIME | SL_DTF_ZONE);
    cr_expect_eq(sl_dtfmt_fields(pat("yyyy-MM-dd[ HH:mm]")), SL_DTF_DATE);
    cr_expect_eq(sl_dtfmt_all_fields(pat("yyyy-MM-dd[ HH:mm]")), SL_DTF_DATE | SL_DTF_TIME);
    cr_expect_eq(sl_dtfmt_fields(pat("'HH' '' 'yyyy'")), 0);
}

Test(datetime, format_timestamp)
{
    static const struct { const char *p; int64_t ms; const char *zone, *out; } cases[] = {
        {"yyyy-MM-dd HH:mm:ss.SSS", 1709214330123, "UTC", "2024-02-29 13:45:30.123"},
        {"yyyy-MM-dd'T'HH:mm:ssXXX", 1709214330123, "UTC", "2024-02-29T13:45:30Z"},
        {"yyyy-MM-dd'T'HH:mm:ssX", 1709214330123, "Asia/Kolkata", "2024-02-29T19:15:30+0530"},
        {"yyyy-MM-dd'T'HH:mm:ssXXX", 1709214330123, "America/Los_Angeles", "2024-02-29T05:45:30-08:00"},
        {"EEE, d MMM yyyy h:mm a", 1709214330123, "UTC", "Thu, 29 Feb 2024 1:45 PM"},
        {"EEEE MMMM EEEEE MMMMM", 1709214330123, "UTC", "Thursday February T F"},
        {"yy D DDD DD", 1709214330123, "UTC", "24 60 060 60"},
        {"''yyyy'' 'o''clock'", 1709214330123, "UTC", "'2024' o'clock"},
        {"HH:mm:ss.SSSSSS S", 1709214330123, "UTC", "13:45:30.123000 1"},
        {"Q QQ QQQ QQQQ", 1709214330123, "UTC", "1 01 Q1 1st quarter"},
        {"A n", 1709214330123, "UTC", "49530123 123000000"},
        {"hh a K k H", 300000, "UTC", "12 AM 0 24 0"},
        {"yyyy-MM-dd HH:mm:ss.SSS", -1, "UTC", "1969-12-31 23:59:59.999"},
        {"yyyy-MM-dd HH:mm:ss.SSS", -2208988800000, "UTC", "1900-01-01 00:00:00.000"},
        {"uuuu yyyy G GGGG", -62135596800001, "UTC", "0000 0001 BC Before Christ"},
        {"yyyy G", -62135596800000, "UTC", "0001 AD"},
        {"yyyy-MM-dd", 253402300800000, "UTC", "+10000-01-01"},
        {"Z", 0, "Europe/Berlin", "+0100"},
        {"ZZZZZ X xxx XX xx", 0, "UTC", "Z Z +00:00 Z +0000"},
        {"O OOOO ZZZZ", 0, "Europe/Berlin", "GMT+1 GMT+01:00 GMT+01:00"},
        {"O", 0, "Asia/Kolkata", "GMT+5:30"},
        {"VV z", 0, "Europe/Berlin", "Europe/Berlin CET"},
        {"HH:mm:ss z", 1616893199000, "Europe/Berlin", "01:59:59 CET"},
        {"HH:mm:ss z", 1616893200000, "Europe/Berlin", "03:00:00 CEST"},
        {"yyyy-MM-dd HH:mm z", 4118083200000, "Europe/Berlin", "2100-07-01 02:00 CEST"},
        {"yyyy-MM-dd HH:mm z", 4118083200000, "America/New_York", "2100-06-30 20:00 EDT"},
        {"VV z", 0, "+05:30", "+05:30 +05:30"},
        {"VV", 0, "GMT+2", "GMT+02:00"},
        {"yyyy[-MM][ HH]", 1709214330123, "UTC", "2024-02 13"},
        {"", 1709214330123, "UTC", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sl_dtfmt *f = pat(cases[i].p);
        sl_zone z = zone(cases[i].zone);
        char buf[512];
        size_t n;
        sl_error e;
        cr_assert(sl_dtfmt_max_len(f) < sizeof buf);
        int rc = sl_dtfmt_format_timestamp(f, cases[i].ms, &z, buf, sizeof buf, &n, &e);
        cr_expect_eq(rc, 0, "case %zu: %s", i, e.msg);
        if (rc == 0) {
            buf[n] = 0;
            cr_expect_str_eq(buf, cases[i].out, "case %zu (%s)", i, cases[i].p);
            cr_expect_leq(n, sl_dtfmt_max_len(f));
        }
    }
}

Test(datetime, format_date_and_time)
{
    char buf[256];
    size_t n;
    sl_error e;
    cr_assert_eq(sl_dtfmt_format_date(pat("dd/MM/yyyy EEE"), 19782, buf, sizeof buf, &n, &e), 0);
    buf[n] = 0;
    cr_expect_str_eq(buf, "29/02/2024 Thu");
    cr_assert_eq(sl_dtfmt_format_date(pat("yyyy-MM-dd"), -1, buf, sizeof buf, &n, &e), 0);
    buf[n] = 0;
    cr_expect_str_eq(buf, "1969-12-31");
    cr_expect_eq(sl_dtfmt_format_date(pat("yyyy-MM-dd HH"), 0, buf, sizeof buf, &n, &e), -1);
    cr_expect(strstr(e.msg, "HourOfDay"), "%s", e.msg);
    cr_expect_eq(sl_dtfmt_format_date(pat("yyyy-MM-ddXXX"), 0, buf, sizeof buf, &n, &e), -1);
    /* an optional section with fields the value lacks is skipped */
    cr_assert_eq(sl_dtfmt_format_date(pat("yyyy-MM-dd[ HH:mm]"), 0, buf, sizeof buf, &n, &e), 0);
    buf[n] = 0;
    cr_expect_str_eq(buf, "1970-01-01");

    cr_assert_eq(sl_dtfmt_format_time(pat("hh:mm:ss.SSS a"), 49530123, buf, sizeof buf, &n, &e), 0);
    buf[n] = 0;
    cr_expect_str_eq(buf, "01:45:30.123 PM");
    cr_expect_eq(sl_dtfmt_format_time(pat("yyyy"), 0, buf, sizeof buf, &n, &e), -1);
    cr_expect(strstr(e.msg, "YearOfEra"), "%s", e.msg);
    cr_expect_eq(sl_dtfmt_format_time(pat("HH"), -5, buf, sizeof buf, &n, &e), -1);
}

Test(datetime, parse_timestamp)
{
    static const struct { const char *p, *text, *zone; int64_t ms; const char *err; } cases[] = {
        {"yyyy-MM-dd HH:mm:ss.SSS", "2024-02-29 13:45:30.123", "UTC", 1709214330123, NULL},
        {"yyyy-MM-dd HH:mm:ss.SSS", "2024-02-29 13:45:30.123", "Europe/Berlin", 1709210730123, NULL},
        {"yyyy-MM-dd'T'HH:mm:ssX", "2024-02-29T19:15:30+0530", "UTC", 1709214330000, NULL},
        {"yyyy-MM-dd'T'HH:mm:ssX", "2024-02-29T19:15:30+05", "UTC", 1709216130000, NULL},
        {"yyyy-MM-dd'T'HH:mm:ssXXX", "2024-02-29T13:45:30Z", "Europe/Berlin", 1709214330000, NULL},
        {"yyyy-MM-dd'T'HH:mm:ssXXX", "2024-02-29T05:45:30-08:00", "UTC", 1709214330000, NULL},
        {"yyyy-MM-dd HH:mm:ss Z", "2024-02-29 14:45:30 +0100", "UTC", 1709214330000, NULL},
        {"yyyy-MM-dd HH:mm:ss O", "2024-02-29 14:45:30 GMT+1", "UTC", 1709214330000, NULL},
        {"yyyyMMddHHmmss", "20240229134530", "UTC", 1709214330000, NULL},
        {"HHmmssSSS", "134530123", "UTC", 49530123, NULL},
        {"yyyy-MM-dd", "2021-02-30", "UTC", 1614470400000, NULL},
        {"yyyy", "2021", "UTC", 1609459200000, NULL},
        {"HH:mm", "10:15", "UTC", 36900000, NULL},
        {"MM-dd", "02-29", "UTC", 5011200000, NULL},
        {"dd MMM yyyy", "01 jan 2021", "UTC", 1609459200000, NULL},
        {"dd MMMM yyyy", "01 JANUARY 2021", "UTC", 1609459200000, NULL},
        {"EEE yyyy-MM-dd", "Thu 2024-02-29", "UTC", 1709164800000, NULL},
        {"yyyy-MM-dd HH:mm", "2021-03-14 02:30", "America/New_York", 1615707000000, NULL},
        {"yyyy-MM-dd HH:mm", "2021-11-07 01:30", "America/New_York", 1636263000000, NULL},
        {"yyyy-MM-dd HH:mm:ss", "2021-01-01 24:00:00", "UTC", 1609545600000, NULL},
        {"yyyy-MM-dd HH:mm VV", "2021-07-01 12:00 Europe/Berlin", "UTC", 1625133600000, NULL},
        {"yyyy-MM-dd HH:mm z", "2021-07-01 12:00 UTC", "Europe/Berlin", 1625140800000, NULL},
        {"hh:mm a", "12:30 AM", "UTC", 1800000, NULL},
        {"hh:mm a", "01:30 pm", "UTC", 48600000, NULL},
        {"D yyyy", "366 2024", "UTC", 1735603200000, NULL},
        {"yyyy-MM-dd", "1969-12-31", "UTC", -86400000, NULL},
        {"yyyy-MM-dd[ HH:mm]", "2021-01-01", "UTC", 1609459200000, NULL},
        {"yyyy-MM-dd[ HH:mm]", "2021-01-01 10:00", "UTC", 1609495200000, NULL},
        {"yyyy-MM-dd''HH", "2021-01-01'10", "UTC", 1609495200000, NULL},
        {"yy-MM-dd", "21-01-01", "UTC", 1609459200000, NULL},
        {"uuuu-MM-dd", "-0001-01-01", "UTC", -62198755200000, NULL},
        {"yyyy-MM-dd", "2021-02-32", "UTC", 0, "DayOfMonth"},
        {"yyyy-MM-dd", "2021-13-01", "UTC", 0, "MonthOfYear"},
        {"yyyy-MM-dd", "2021-01-01x", "UTC", 0, "unparsed text found at index 10"},
        {"yyyy-MM-dd", "21-01-01", "UTC", 0, "could not be parsed at index 0"},
        {"yyyy-MM-dd", "", "UTC", 0, "could not be parsed at index 0"},
        {"yyyy-MM-dd", "2021-1-01", "UTC", 0, "could not be parsed at index 5"},
        {"yyyy-MM-dd HH:mm:ss.SSS", "2021-01-01 00:00:00.12", "UTC", 0, "could not be parsed"},
        {"EEE yyyy-MM-dd", "Fri 2024-02-29", "UTC", 0, "DayOfWeek"},
        {"D yyyy", "366 2023", "UTC", 0, "not a leap year"},
        {"D", "366", "UTC", 0, "without supplying the year"},
        {"HH:mm", "25:00", "UTC", 0, "HourOfDay"},
        {"HH:mm", "24:01", "UTC", 0, "HourOfDay"},
        {"yyyy-MM-dd HH:mm VV", "2021-07-01 12:00 Mars/Olympus", "UTC", 0, "could not be parsed"},
        {"yyyy-MM-dd HH:mm:ssXXX", "2021-07-01 12:00:00+19:00", "UTC", 0, "could not be parsed"},
        {"yyyy", "99999999999999999999", "UTC", 0, "could not be parsed"},
        {"yyyy", "999999999", "UTC", 0, "out of range"},
        {"HH 'h'", "10 H", "UTC", 0, "could not be parsed at index 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sl_dtfmt *f = pat(cases[i].p);
        sl_zone z = zone(cases[i].zone);
        int64_t ms = 0;
        sl_error e;
        memset(&e, 0, sizeof e);
        int rc = sl_dtfmt_parse_timestamp(f, cases[i].text, strlen(cases[i].text), &z, &ms, &e);
        if (cases[i].err) {
            cr_expect_eq(rc, -1, "case %zu (%s) parsed to %lld", i, cases[i].text, (long long)ms);
            if (rc == -1)
                cr_expect(strstr(e.msg, cases[i].err), "case %zu: %s", i, e.msg);
        } else {
            cr_expect_eq(rc, 0, "case %zu (%s): %s", i, cases[i].text, e.msg);
            cr_expect_eq(ms, cases[i].ms, "case %zu (%s): %lld", i, cases[i].text, (long long)ms);
        }
    }
}

Test(datetime, parse_date_and_time)
{
    static const struct { const char *p, *text; int kind; int32_t v; const char *err; } cases[] = {
        {"yyyy-MM-dd", "2024-02-29", 'D', 19782, NULL},
        {"yyyy-DDD", "2024-060", 'D', 19782, NULL},
        {"dd.MM.yyyy", "31.12.1969", 'D', -1, NULL},
        {"yyyy-MM-dd", "2023-02-29", 'D', 19416, NULL}, /* SMART: clamped to Feb 28 */
        {"yyyy-MM", "2024-02", 'D', 0, "full date"},
        {"MM-dd", "02-29", 'D', 0, "full date"},
        {"yyyy-MM-dd HH", "2024-02-29 10", 'D', 0, "time field"},
        {"yyyy-MM-dd[ HH]", "2024-02-29 10", 'D', 0, "time field"},
        {"yyyy-MM-dd[ HH]", "2024-02-29", 'D', 19782, NULL},
        {"HH:mm:ss.SSS", "13:45:30.123", 'T', 49530123, NULL},
        {"HH:mm", "00:00", 'T', 0, NULL},
        {"h:mm a", "11:59 PM", 'T', 86340000, NULL},
        {"HH:mm:ss", "24:00:00", 'T', 0, NULL},
        {"mm:ss", "10:15", 'T', 0, "hour is missing"},
        {"yyyy HH", "2024 10", 'T', 0, "Year"},
        {"HH:mm", "1O:00", 'T', 0, "could not be parsed at index 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sl_dtfmt *f = pat(cases[i].p);
        int32_t v = 0;
        sl_error e;
        memset(&e, 0, sizeof e);
        int rc = cases[i].kind == 'D'
                     ? sl_dtfmt_parse_date(f, cases[i].text, strlen(cases[i].text), &v, &e)
                     : sl_dtfmt_parse_time(f, cases[i].text, strlen(cases[i].text), &v, &e);
        if (cases[i].err) {
            cr_expect_eq(rc, -1, "case %zu parsed to %d", i, v);
            if (rc == -1)
                cr_expect(strstr(e.msg, cases[i].err), "case %zu: %s", i, e.msg);
        } else {
            cr_expect_eq(rc, 0, "case %zu: %s", i, e.msg);
            cr_expect_eq(v, cases[i].v, "case %zu: %d", i, v);
        }
    }
}

/* Every instant of a DST year formats and parses back to itself. */
Test(datetime, round_trip)
{
    const sl_dtfmt *f = pat("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"};
    for (size_t k = 0; k < sizeof zones / sizeof zones[0]; k++) {
        sl_zone z = zone(zones[k]);
        for (int64_t ms = -2000000000000LL; ms < 4200000000000LL; ms += 3599993317LL) {
            char buf[128];
            size_t n;
            sl_error e;
            cr_assert_eq(sl_dtfmt_format_timestamp(f, ms, &z, buf, sizeof buf, &n, &e), 0);
            int64_t back;
            cr_assert_eq(sl_dtfmt_parse_timestamp(f, buf, n, &SL_ZONE_UTC, &back, &e), 0, "%.*s: %s",
                         (int)n, buf, e.msg);
            cr_assert_eq(back, ms, "%s %.*s", zones[k], (int)n, buf);
        }
    }
}

/* A compiled pattern does not point into the text it was compiled from. */
Test(datetime, pattern_owns_its_text)
{
    char text[32];
    strcpy(text, "yyyy'-'MM-dd");
    sl_error e;
    const sl_dtfmt *f = sl_dtfmt_compile(arena, text, strlen(text), &e);
    cr_assert_not_null(f);
    memset(text, 'x', sizeof text - 1);
    char buf[64];
    size_t n;
    cr_assert_eq(sl_dtfmt_format_date(f, 19782, buf, sizeof buf, &n, &e), 0);
    buf[n] = 0;
    cr_expect_str_eq(buf, "2024-02-29");
    cr_expect_str_eq(sl_dtfmt_pattern(f), "yyyy'-'MM-dd");
}

/* Zones are loaded lazily into a process-wide cache: many threads at once. */
#include <pthread.h>

static void *zone_worker(void *arg)
{
    static const char *const ids[] = {"Asia/Tokyo", "America/Sao_Paulo", "Africa/Cairo",
                                      "Pacific/Auckland", "Europe/Madrid", "America/Chicago"};
    intptr_t bad = 0;
    for (int round = 0; round < 50; round++) {
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
            sl_zone z;
            sl_error e;
            if (sl_zone_parse(ids[i], strlen(ids[i]), &z, &e) < 0)
                bad++;
            else if (sl_zone_offset(&z, 1609459200) == 0)
                bad++;
        }
    }
    (void)arg;
    return (void *)bad;
}

Test(datetime, zones_from_many_threads)
{
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, zone_worker, NULL), 0);
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(th[i], &r);
        cr_expect_eq((intptr_t)r, 0, "thread %d saw %ld failures", i, (long)(intptr_t)r);
    }
}
