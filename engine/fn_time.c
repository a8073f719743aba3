/*
 * fn_time.c: ksqlDB's DATE / TIME scalar functions.
 *
 * FORMAT_/PARSE_TIMESTAMP, FORMAT_/PARSE_DATE, FORMAT_/PARSE_TIME, the
 * deprecated TIMESTAMPTOSTRING / STRINGTOTIMESTAMP / DATETOSTRING /
 * STRINGTODATE, UNIX_TIMESTAMP, UNIX_DATE, FROM_UNIXTIME, FROM_DAYS,
 * CONVERT_TZ and the interval arithmetic TIMESTAMPADD/SUB, DATEADD/SUB,
 * TIMEADD/SUB.
 *
 * Patterns and zone ids given as constants are compiled once by the
 * overload's prepare (a bad one is a compile-time error); otherwise they are
 * compiled per call into the batch arena (a bad one is a row error). The
 * pattern language and the time-zone database live in datetime.c.
 *
 * Where ksqlDB uses the JVM's default time zone (FORMAT_TIMESTAMP and
 * PARSE_TIMESTAMP without a zone, UNIX_DATE()), sluice uses UTC.
 *
 * The interval functions take the unit as their first argument, a STRING
 * holding DAY(S), HOUR(S), MINUTE(S), SECOND(S) or MILLISECOND(S) (case does
 * not matter); their overloads carry SL_FNF_UNIT_ARG so the compiler turns
 * ksqlDB's bare keyword (TIMESTAMPADD(SECONDS, 5, ts)) into that string.
 *
 * Does not: keep any state between rows, read the C library's TZ.
 */
#include <string.h>
#include <time.h>

#include "datetime.h"
#include "func.h"

typedef struct tstate {
    const sl_dtfmt *fmt;        /* constant pattern, or NULL */
    sl_zone zone[2];            /* constant zones (CONVERT_TZ has two) */
    bool zone_set[2];
    bool unit_set;
    int64_t unit_ms;            /* constant unit */
} tstate;

enum { CHK_NONE, CHK_FMT_DATE, CHK_FMT_TIME, CHK_PARSE_DATE, CHK_PARSE_TIME };

/* ---- shared helpers ---- */

static bool is_const_str(const sl_value *const *consts, int nargs, int i)
{
    return i >= 0 && i < nargs && consts && consts[i] && consts[i]->kind == SL_STRING;
}

static bool ieq(const char *s, size_t n, const char *lit)
{
    size_t L = strlen(lit);
    if (n != L)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (c != lit[i])
            return false;
    }
    return true;
}

/* ksqlDB's time units (java.util.concurrent.TimeUnit through the grammar's windowUnit). */
static bool unit_ms(const char *s, size_t n, int64_t *ms)
{
    static const struct { const char *one, *many; int64_t ms; } units[] = {
        {"DAY", "DAYS", 86400000}, {"HOUR", "HOURS", 3600000}, {"MINUTE", "MINUTES", 60000},
        {"SECOND", "SECONDS", 1000}, {"MILLISECOND", "MILLISECONDS", 1},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ieq(s, n, units[i].one) || ieq(s, n, units[i].many)) {
            *ms = units[i].ms;
            return true;
        }
    return false;
}

static int check_pattern(sl_arena *a, const sl_dtfmt *f, int chk, sl_error *err)
{
    size_t cap = sl_dtfmt_max_len(f) + 1, n;
    switch (chk) {
    case CHK_FMT_DATE:
        /* format a sample: fails exactly when the pattern needs what a DATE lacks */
        return sl_dtfmt_format_date(f, 0, sl_arena_alloc(a, cap), cap, &n, err);
    case CHK_FMT_TIME:
        return sl_dtfmt_format_time(f, 0, sl_arena_alloc(a, cap), cap, &n, err);
    case CHK_PARSE_DATE:
        if (sl_dtfmt_fields(f) & SL_DTF_TIME)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "date format contains time field");
        break;
    case CHK_PARSE_TIME:
        if (sl_dtfmt_fields(f) & SL_DTF_DATE)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "time format contains date field");
        break;
    default:
        break;
    }
    return 0;
}

static int prep(sl_arena *a, int nargs, const sl_value *const *consts, int pi, int z0, int z1,
                int ui, int chk, void **state, sl_error *err)
{
    tstate *st = sl_arena_zalloc(a, sizeof *st);
    if (is_const_str(consts, nargs, pi)) {
        const sl_value *p = consts[pi];
        sl_error e;
        sl_error_clear(&e);
        st->fmt = sl_dtfmt_compile(a, p->u.s.ptr, p->u.s.len, &e);
        if (!st->fmt || check_pattern(a, st->fmt, chk, &e) < 0)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "invalid date-time pattern '%.*s': %s",
                                (int)(p->u.s.len > 200 ? 200 : p->u.s.len), p->u.s.ptr, e.msg);
    }
    int zi[2] = {z0, z1};
    for (int k = 0; k < 2; k++) {
        if (!is_const_str(consts, nargs, zi[k]))
            continue;
        const sl_value *z = consts[zi[k]];
        sl_error e;
        sl_error_clear(&e);
        if (sl_zone_parse(z->u.s.ptr, z->u.s.len, &st->zone[k], &e) < 0)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s", e.msg);
        st->zone_set[k] = true;
    }
    if (is_const_str(consts, nargs, ui)) {
        const sl_value *u = consts[ui];
        if (!unit_ms(u->u.s.ptr, u->u.s.len, &st->unit_ms))
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "invalid time unit '%.*s': expected DAYS, HOURS, MINUTES, SECONDS or MILLISECONDS",
                                (int)(u->u.s.len > 100 ? 100 : u->u.s.len), u->u.s.ptr);
        st->unit_set = true;
    }
    *state = st;
    return 0;
}

#define PREP(name, pi, z0, z1, ui, chk)                                                         \
    static int name(sl_arena *a, const sl_type *const *argtypes, int nargs,                     \
                    const sl_value *const *consts, void **state, sl_error *err)                 \
    {                                                                                           \
        (void)argtypes;                                                                         \
        return prep(a, nargs, consts, pi, z0, z1, ui, chk, state, err);                         \
    }

PREP(prep_fmt_ts, 1, 2, -1, -1, CHK_NONE)
PREP(prep_fmt_date, 1, -1, -1, -1, CHK_FMT_DATE)
PREP(prep_fmt_time, 1, -1, -1, -1, CHK_FMT_TIME)
PREP(prep_parse_ts, 1, 2, -1, -1, CHK_NONE)
PREP(prep_parse_date, 1, -1, -1, -1, CHK_PARSE_DATE)
PREP(prep_parse_time, 1, -1, -1, -1, CHK_PARSE_TIME)
PREP(prep_convert, -1, 1, 2, -1, CHK_NONE)
PREP(prep_unit, -1, -1, -1, 0, CHK_NONE)

static int shown(uint32_t n) { return (int)(n > 200 ? 200 : n); }

static const sl_dtfmt *get_fmt(sl_fcall *c, const sl_value *pat, int chk)
{
    const tstate *st = c->state;
    if (st && st->fmt)
        return st->fmt;
    sl_error e;
    sl_error_clear(&e);
    const sl_dtfmt *f = sl_dtfmt_compile(c->arena, pat->u.s.ptr, pat->u.s.len, &e);
    if (!f || check_pattern(c->arena, f, chk, &e) < 0) {
        sl_fn_error(c, "invalid date-time pattern '%.*s': %s", shown(pat->u.s.len), pat->u.s.ptr, e.msg);
        return NULL;
    }
    return f;
}

/* Zone argument k (0 or 1) at argument index i, or UTC when the call has none. */
static int get_zone(sl_fcall *c, const sl_value *args, int nargs, int i, int k, sl_zone *z)
{
    const tstate *st = c->state;
    if (i >= nargs) {
        *z = SL_ZONE_UTC;
        return 0;
    }
    if (st && st->zone_set[k]) {
        *z = st->zone[k];
        return 0;
    }
    sl_error e;
    sl_error_clear(&e);
    if (sl_zone_parse(args[i].u.s.ptr, args[i].u.s.len, z, &e) < 0)
        return sl_fn_error(c, "%s", e.msg);
    return 0;
}

static int get_unit(sl_fcall *c, const sl_value *u, int64_t *ms)
{
    const tstate *st = c->state;
    if (st && st->unit_set) {
        *ms = st->unit_ms;
        return 0;
    }
    if (!unit_ms(u->u.s.ptr, u->u.s.len, ms))
        return sl_fn_error(c, "invalid time unit '%.*s': expected DAYS, HOURS, MINUTES, SECONDS or MILLISECONDS",
                           shown(u->u.s.len), u->u.s.ptr);
    return 0;
}

static int out_string(sl_fcall *c, char *buf, size_t n, sl_value *out)
{
    *out = sl_string_ref(buf, (uint32_t)n);
    return 0;
}

/* ---- formatting ---- */

static int format_ts(sl_fcall *c, int64_t ms, const sl_value *args, int nargs, sl_value *out)
{
    const sl_dtfmt *f = get_fmt(c, &args[1], CHK_NONE);
    sl_zone z;
    if (!f || get_zone(c, args, nargs, 2, 0, &z) < 0)
        return -1;
    size_t cap = sl_dtfmt_max_len(f) + 1, n;
    char *buf = sl_arena_alloc(c->arena, cap);
    sl_error e;
    sl_error_clear(&e);
    if (sl_dtfmt_format_timestamp(f, ms, &z, buf, cap, &n, &e) < 0)
        return sl_fn_error(c, "failed to format timestamp %lld with pattern '%s': %s",
                           (long long)ms, sl_dtfmt_pattern(f), e.msg);
    return out_string(c, buf, n, out);
}

static int fn_format_timestamp(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    return format_ts(c, args[0].u.i64, args, nargs, out);
}

static int fn_timestamptostring(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    return format_ts(c, args[0].u.i64, args, nargs, out);
}

static int format_days(sl_fcall *c, int32_t days, const sl_value *pat, sl_value *out)
{
    const sl_dtfmt *f = get_fmt(c, pat, CHK_NONE);
    if (!f)
        return -1;
    size_t cap = sl_dtfmt_max_len(f) + 1, n;
    char *buf = sl_arena_alloc(c->arena, cap);
    sl_error e;
    sl_error_clear(&e);
    if (sl_dtfmt_format_date(f, days, buf, cap, &n, &e) < 0)
        return sl_fn_error(c, "failed to format date %d with pattern '%s': %s", (int)days,
                           sl_dtfmt_pattern(f), e.msg);
    return out_string(c, buf, n, out);
}

static int fn_format_date(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    return format_days(c, args[0].u.i32, &args[1], out);
}

static int fn_datetostring(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    return format_days(c, args[0].u.i32, &args[1], out);
}

static int fn_format_time(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    const sl_dtfmt *f = get_fmt(c, &args[1], CHK_NONE);
    if (!f)
        return -1;
    size_t cap = sl_dtfmt_max_len(f) + 1, n;
    char *buf = sl_arena_alloc(c->arena, cap);
    sl_error e;
    sl_error_clear(&e);
    if (sl_dtfmt_format_time(f, args[0].u.i32, buf, cap, &n, &e) < 0)
        return sl_fn_error(c, "failed to format time %d with pattern '%s': %s", (int)args[0].u.i32,
                           sl_dtfmt_pattern(f), e.msg);
    return out_string(c, buf, n, out);
}

/* ---- parsing ---- */

static int parse_ts(sl_fcall *c, const sl_value *args, int nargs, int64_t *ms)
{
    const sl_dtfmt *f = get_fmt(c, &args[1], CHK_NONE);
    sl_zone z;
    if (!f || get_zone(c, args, nargs, 2, 0, &z) < 0)
        return -1;
    sl_error e;
    sl_error_clear(&e);
    if (sl_dtfmt_parse_timestamp(f, args[0].u.s.ptr, args[0].u.s.len, &z, ms, &e) < 0)
        return sl_fn_error(c, "failed to parse timestamp '%.*s' with pattern '%s': %s",
                           shown(args[0].u.s.len), args[0].u.s.ptr, sl_dtfmt_pattern(f), e.msg);
    return 0;
}

static int fn_parse_timestamp(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    int64_t ms;
    if (parse_ts(c, args, nargs, &ms) < 0)
        return -1;
    *out = sl_timestamp(ms);
    return 0;
}

static int fn_stringtotimestamp(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    int64_t ms;
    if (parse_ts(c, args, nargs, &ms) < 0)
        return -1;
    *out = sl_bigint(ms);
    return 0;
}

static int parse_days(sl_fcall *c, const sl_value *args, int32_t *days)
{
    const sl_dtfmt *f = get_fmt(c, &args[1], CHK_PARSE_DATE);
    if (!f)
        return -1;
    sl_error e;
    sl_error_clear(&e);
    if (sl_dtfmt_parse_date(f, args[0].u.s.ptr, args[0].u.s.len, days, &e) < 0)
        return sl_fn_error(c, "failed to parse date '%.*s' with pattern '%s': %s",
                           shown(args[0].u.s.len), args[0].u.s.ptr, sl_dtfmt_pattern(f), e.msg);
    return 0;
}

static int fn_parse_date(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    int32_t d;
    if (parse_days(c, args, &d) < 0)
        return -1;
    *out = sl_date(d);
    return 0;
}

static int fn_stringtodate(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    int32_t d;
    if (parse_days(c, args, &d) < 0)
        return -1;
    *out = sl_int(d);
    return 0;
}

static int fn_parse_time(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    const sl_dtfmt *f = get_fmt(c, &args[1], CHK_PARSE_TIME);
    if (!f)
        return -1;
    int32_t ms;
    sl_error e;
    sl_error_clear(&e);
    if (sl_dtfmt_parse_time(f, args[0].u.s.ptr, args[0].u.s.len, &ms, &e) < 0)
        return sl_fn_error(c, "failed to parse time '%.*s' with pattern '%s': %s",
                           shown(args[0].u.s.len), args[0].u.s.ptr, sl_dtfmt_pattern(f), e.msg);
    *out = sl_time(ms);
    return 0;
}

/* ---- epoch conversions ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fn_unix_timestamp0(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    *out = sl_bigint(now_ms());
    return 0;
}

static int fn_unix_timestamp1(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    *out = sl_bigint(args[0].u.i64);
    return 0;
}

static int fn_unix_date0(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    *out = sl_int((int32_t)sl_cal_floor_div(now_ms(), SL_MS_PER_DAY));
    return 0;
}

static int fn_unix_date1(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    *out = sl_int(args[0].u.i32);
    return 0;
}

static int fn_from_unixtime(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    *out = sl_timestamp(args[0].u.i64);
    return 0;
}

static int fn_from_days(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    *out = sl_date(args[0].u.i32);
    return 0;
}

static int fn_convert_tz(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    sl_zone from, to;
    if (get_zone(c, args, nargs, 1, 0, &from) < 0 || get_zone(c, args, nargs, 2, 1, &to) < 0)
        return -1;
    int64_t ts = args[0].u.i64;
    int64_t sec = sl_cal_floor_div(ts, 1000);
    int64_t diff = (int64_t)(sl_zone_offset(&to, sec) - sl_zone_offset(&from, sec)) * 1000;
    int64_t r;
    if (__builtin_add_overflow(ts, diff, &r))
        return sl_fn_error(c, "CONVERT_TZ: timestamp out of range");
    *out = sl_timestamp(r);
    return 0;
}

/* ---- interval arithmetic ---- */

static int shift_ms(sl_fcall *c, const sl_value *args, int sign, __int128 *delta)
{
    int64_t ums;
    if (get_unit(c, &args[0], &ums) < 0)
        return -1;
    *delta = (__int128)ums * args[1].u.i32 * sign;
    return 0;
}

static int ts_add(sl_fcall *c, const sl_value *args, int sign, sl_value *out)
{
    __int128 d;
    if (shift_ms(c, args, sign, &d) < 0)
        return -1;
    __int128 r = (__int128)args[2].u.i64 + d;
    if (r > INT64_MAX || r < INT64_MIN)
        return sl_fn_error(c, "timestamp out of range after adding the interval");
    *out = sl_timestamp((int64_t)r);
    return 0;
}

static int fn_timestampadd(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    return ts_add(c, args, 1, out);
}

static int fn_timestampsub(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    return ts_add(c, args, -1, out);
}

/* ksqlDB computes on the epoch milliseconds of the date and converts back
 * with TimeUnit.toDays, which truncates toward zero. */
static int date_add(sl_fcall *c, const sl_value *args, int sign, sl_value *out)
{
    __int128 d;
    if (shift_ms(c, args, sign, &d) < 0)
        return -1;
    __int128 ms = (__int128)args[2].u.i32 * SL_MS_PER_DAY + d;
    __int128 days = ms / SL_MS_PER_DAY;
    if (days > INT32_MAX || days < INT32_MIN)
        return sl_fn_error(c, "date out of range after adding the interval");
    *out = sl_date((int32_t)days);
    return 0;
}

static int fn_dateadd(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    return date_add(c, args, 1, out);
}

static int fn_datesub(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    return date_add(c, args, -1, out);
}

/* A TIME wraps around midnight, as java.time.LocalTime.plus does. */
static int time_add(sl_fcall *c, const sl_value *args, int sign, sl_value *out)
{
    __int128 d;
    if (shift_ms(c, args, sign, &d) < 0)
        return -1;
    __int128 r = ((__int128)args[2].u.i32 + d) % SL_MS_PER_DAY;
    if (r < 0)
        r += SL_MS_PER_DAY;
    *out = sl_time((int32_t)r);
    return 0;
}

static int fn_timeadd(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    return time_add(c, args, 1, out);
}

static int fn_timesub(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    return time_add(c, args, -1, out);
}

/* ---- the table ---- */

#define NN SL_FNF_NULL_ON_NULL
#define NNU (SL_FNF_NULL_ON_NULL | SL_FNF_UNIT_ARG)

static const sl_overload ov_format_timestamp[] = {
    {"timestamp TIMESTAMP, format STRING -> STRING", fn_format_timestamp, NN, prep_fmt_ts, NULL, NULL,
     "formats in UTC"},
    {"timestamp TIMESTAMP, format STRING, timeZone STRING -> STRING", fn_format_timestamp, NN,
     prep_fmt_ts, NULL, NULL, "formats in the given time zone"},
};
static const sl_overload ov_parse_timestamp[] = {
    {"text STRING, format STRING -> TIMESTAMP", fn_parse_timestamp, NN, prep_parse_ts, NULL, NULL,
     "text without a zone is read as UTC"},
    {"text STRING, format STRING, timeZone STRING -> TIMESTAMP", fn_parse_timestamp, NN,
     prep_parse_ts, NULL, NULL, "text without a zone is read in the given time zone"},
};
static const sl_overload ov_format_date[] = {
    {"date DATE, format STRING -> STRING", fn_format_date, NN, prep_fmt_date, NULL, NULL, NULL},
};
static const sl_overload ov_parse_date[] = {
    {"text STRING, format STRING -> DATE", fn_parse_date, NN, prep_parse_date, NULL, NULL, NULL},
};
static const sl_overload ov_format_time[] = {
    {"time TIME, format STRING -> STRING", fn_format_time, NN, prep_fmt_time, NULL, NULL, NULL},
};
static const sl_overload ov_parse_time[] = {
    {"text STRING, format STRING -> TIME", fn_parse_time, NN, prep_parse_time, NULL, NULL, NULL},
};
static const sl_overload ov_timestamptostring[] = {
    {"epochMilli BIGINT, format STRING -> STRING", fn_timestamptostring, NN, prep_fmt_ts, NULL, NULL,
     "formats in UTC"},
    {"epochMilli BIGINT, format STRING, timeZone STRING -> STRING", fn_timestamptostring, NN,
     prep_fmt_ts, NULL, NULL, "formats in the given time zone"},
};
static const sl_overload ov_stringtotimestamp[] = {
    {"text STRING, format STRING -> BIGINT", fn_stringtotimestamp, NN, prep_parse_ts, NULL, NULL,
     "text without a zone is read as UTC"},
    {"text STRING, format STRING, timeZone STRING -> BIGINT", fn_stringtotimestamp, NN,
     prep_parse_ts, NULL, NULL, "text without a zone is read in the given time zone"},
};
static const sl_overload ov_datetostring[] = {
    {"epochDays INT, format STRING -> STRING", fn_datetostring, NN, prep_fmt_date, NULL, NULL, NULL},
};
static const sl_overload ov_stringtodate[] = {
    {"text STRING, format STRING -> INT", fn_stringtodate, NN, prep_parse_date, NULL, NULL, NULL},
};
static const sl_overload ov_unix_timestamp[] = {
    {"-> BIGINT", fn_unix_timestamp0, SL_FNF_NONDETERMINISTIC, NULL, NULL, NULL,
     "the current time in milliseconds since the epoch"},
    {"timestamp TIMESTAMP -> BIGINT", fn_unix_timestamp1, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_unix_date[] = {
    {"-> INT", fn_unix_date0, SL_FNF_NONDETERMINISTIC, NULL, NULL, NULL,
     "today (UTC) in days since the epoch"},
    {"date DATE -> INT", fn_unix_date1, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_from_unixtime[] = {
    {"epochMilli BIGINT -> TIMESTAMP", fn_from_unixtime, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_from_days[] = {
    {"epochDays INT -> DATE", fn_from_days, NN, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_convert_tz[] = {
    {"timestamp TIMESTAMP, fromTimeZone STRING, toTimeZone STRING -> TIMESTAMP", fn_convert_tz, NN,
     prep_convert, NULL, NULL, NULL},
};
static const sl_overload ov_timestampadd[] = {
    {"unit STRING, interval INT, timestamp TIMESTAMP -> TIMESTAMP", fn_timestampadd, NNU, prep_unit,
     NULL, NULL, NULL},
};
static const sl_overload ov_timestampsub[] = {
    {"unit STRING, interval INT, timestamp TIMESTAMP -> TIMESTAMP", fn_timestampsub, NNU, prep_unit,
     NULL, NULL, NULL},
};
static const sl_overload ov_dateadd[] = {
    {"unit STRING, interval INT, date DATE -> DATE", fn_dateadd, NNU, prep_unit, NULL, NULL, NULL},
};
static const sl_overload ov_datesub[] = {
    {"unit STRING, interval INT, date DATE -> DATE", fn_datesub, NNU, prep_unit, NULL, NULL, NULL},
};
static const sl_overload ov_timeadd[] = {
    {"unit STRING, interval INT, time TIME -> TIME", fn_timeadd, NNU, prep_unit, NULL, NULL, NULL},
};
static const sl_overload ov_timesub[] = {
    {"unit STRING, interval INT, time TIME -> TIME", fn_timesub, NNU, prep_unit, NULL, NULL, NULL},
};

#define CAT "DATE / TIME"
#define FN(name, ov, desc) {name, SL_FN_SCALAR, CAT, desc, ov, (int)(sizeof ov / sizeof ov[0])}

static const sl_function functions[] = {
    FN("FORMAT_TIMESTAMP", ov_format_timestamp,
       "Renders a TIMESTAMP as text using a java.time DateTimeFormatter pattern, in UTC or in "
       "the given time zone. Quote literal text with single quotes; '' stands for one quote."),
    FN("PARSE_TIMESTAMP", ov_parse_timestamp,
       "Reads text in a DateTimeFormatter pattern into a TIMESTAMP. Fields missing from the "
       "pattern default to 1970-01-01 00:00:00.000; a zone or offset in the text wins over the "
       "time zone argument, which defaults to UTC."),
    FN("FORMAT_DATE", ov_format_date,
       "Renders a DATE as text using a DateTimeFormatter pattern that uses only date fields."),
    FN("PARSE_DATE", ov_parse_date,
       "Reads text in a DateTimeFormatter pattern holding a full date and no time fields into "
       "a DATE."),
    FN("FORMAT_TIME", ov_format_time,
       "Renders a TIME as text using a DateTimeFormatter pattern that uses only time-of-day fields."),
    FN("PARSE_TIME", ov_parse_time,
       "Reads text in a DateTimeFormatter pattern holding a time of day and no date fields into "
       "a TIME."),
    FN("TIMESTAMPTOSTRING", ov_timestamptostring,
       "Deprecated, use FORMAT_TIMESTAMP: renders milliseconds since the epoch as text using a "
       "DateTimeFormatter pattern, in UTC or in the given time zone."),
    FN("STRINGTOTIMESTAMP", ov_stringtotimestamp,
       "Deprecated, use PARSE_TIMESTAMP: reads text in a DateTimeFormatter pattern into "
       "milliseconds since the epoch (a BIGINT)."),
    FN("DATETOSTRING", ov_datetostring,
       "Deprecated, use FORMAT_DATE: renders a number of days since 1970-01-01 as text using a "
       "DateTimeFormatter pattern."),
    FN("STRINGTODATE", ov_stringtodate,
       "Deprecated, use PARSE_DATE: reads text in a DateTimeFormatter pattern into a number of "
       "days since 1970-01-01 (an INT)."),
    FN("UNIX_TIMESTAMP", ov_unix_timestamp,
       "Milliseconds since 1970-01-01T00:00:00Z as a BIGINT: of the given TIMESTAMP, or of the "
       "current time when called without an argument."),
    FN("UNIX_DATE", ov_unix_date,
       "Days since 1970-01-01 as an INT: of the given DATE, or of the current date (UTC) when "
       "called without an argument."),
    FN("FROM_UNIXTIME", ov_from_unixtime,
       "Turns a BIGINT number of milliseconds since the epoch into a TIMESTAMP."),
    FN("FROM_DAYS", ov_from_days, "Turns an INT number of days since 1970-01-01 into a DATE."),
    FN("CONVERT_TZ", ov_convert_tz,
       "Shifts a TIMESTAMP by the difference between the offsets of two time zones at that "
       "instant, so wall-clock time in the first zone becomes wall-clock time in the second."),
    FN("TIMESTAMPADD", ov_timestampadd,
       "Adds a number of time units (DAYS, HOURS, MINUTES, SECONDS, MILLISECONDS) to a TIMESTAMP."),
    FN("TIMESTAMPSUB", ov_timestampsub,
       "Subtracts a number of time units (DAYS, HOURS, MINUTES, SECONDS, MILLISECONDS) from a "
       "TIMESTAMP."),
    FN("DATEADD", ov_dateadd,
       "Adds a number of time units to a DATE; the result is truncated to whole days toward "
       "1970-01-01, as ksqlDB does."),
    FN("DATESUB", ov_datesub,
       "Subtracts a number of time units from a DATE; the result is truncated to whole days "
       "toward 1970-01-01, as ksqlDB does."),
    FN("TIMEADD", ov_timeadd,
       "Adds a number of time units to a TIME, wrapping around midnight."),
    FN("TIMESUB", ov_timesub,
       "Subtracts a number of time units from a TIME, wrapping around midnight."),
};

void sl_fn_register_time(sl_registry *r)
{
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        sl_registry_add(r, &functions[i]);
}
