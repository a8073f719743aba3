/*
 * datetime.h: calendar arithmetic, time zones and Java-style date-time
 * patterns (java.time.format.DateTimeFormatter letters), for the DATE / TIME
 * functions and for the TIMESTAMP_FORMAT of the JSON / DELIMITED decoders.
 *
 * What it does:
 *  - proleptic Gregorian calendar conversions (days since 1970-01-01);
 *  - time zones without the C library's TZ machinery (setenv/tzset are not
 *    thread-safe): region ids ("Europe/Berlin") are read from the TZif files
 *    of the system tz database (/usr/share/zoneinfo, or $TZDIR) by a small
 *    reader of TZif v1/v2+ (transitions plus the POSIX TZ footer rule), loaded
 *    once per process and cached behind a mutex, never freed; fixed offsets
 *    ("+05:30", "-8", "Z", "UTC", "GMT+2", "UTC-03:30") need no file;
 *  - patterns: compile once (sl_dtfmt_compile, into an arena), then format
 *    or parse many values. Compiled patterns and zones are immutable, so they
 *    can be shared between threads.
 *
 * What it does not do: localized text other than English (Locale.ROOT),
 * week-based fields (Y, w, W, e, c, F), long zone names (zzzz prints the same
 * abbreviation as z), leap seconds. Unsupported letters are compile errors.
 *
 * Pattern letters (counts as DateTimeFormatter): G era, y year-of-era,
 * u year, D day-of-year, M/L month (1-2 digits, 3 short, 4 full, 5 narrow),
 * d day, Q/q quarter, E day-of-week (1-3 short, 4 full, 5 narrow), a AM/PM,
 * h 1-12, K 0-11, k 1-24, H 0-23, m, s, S fraction, A milli-of-day,
 * n nano-of-second, VV zone id, z zone abbreviation, O localized offset,
 * X/x/Z offsets, 'literal' with '' for a quote, [ ] optional sections.
 * Parsing follows the SMART resolver: a day-of-month beyond the end of the
 * month (up to 31) is clamped, 24:00 is midnight of the next day, text
 * (month and day names, AM/PM) is matched case-insensitively.
 *
 * Errors: functions return 0, or -1 with err filled (code SL_ERR_EVAL for
 * values, SL_ERR_ANALYSIS for patterns and zone ids; no span: callers add it).
 */
#ifndef SL_DATETIME_H
#define SL_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "error.h"

#define SL_MS_PER_DAY 86400000LL

/* ---- calendar ---- */

bool sl_cal_is_leap(int64_t year);
int sl_cal_days_in_month(int64_t year, int month);                 /* month 1..12 */
int64_t sl_cal_days_from_civil(int64_t year, int month, int day);  /* 1970-01-01 is 0 */
void sl_cal_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
int sl_cal_weekday(int64_t days);                                  /* 1 Monday .. 7 Sunday */
int64_t sl_cal_floor_div(int64_t a, int64_t b);                    /* b > 0 */
int64_t sl_cal_floor_mod(int64_t a, int64_t b);                    /* b > 0: 0 <= r < b */

/* ---- time zones ---- */

typedef struct sl_tzinfo sl_tzinfo;     /* rules of a region: process lifetime */

typedef struct sl_zone {
    const sl_tzinfo *region;    /* NULL: a fixed offset */
    int32_t fixed;              /* seconds east of UTC, when region is NULL */
    uint8_t prefix;             /* fixed: 0 none ("+05:30", "Z"), 1 "UTC", 2 "GMT", 3 "UT" */
} sl_zone;

extern const sl_zone SL_ZONE_UTC;

/* Parses a java.time ZoneId: "UTC", "Z", "+05:30", "-8", "GMT+2", "UTC-03:30",
 * "Europe/London" (case-sensitive, as Java). Returns -1 with err on an
 * unknown or malformed id. */
int sl_zone_parse(const char *id, size_t len, sl_zone *out, sl_error *err);
/* Offset in seconds east of UTC in effect at `utc_sec` (seconds since the epoch). */
int32_t sl_zone_offset(const sl_zone *z, int64_t utc_sec);
/* The instant of a local date-time (seconds), resolved as java.time does:
 * in an overlap the earlier offset wins; in a gap the local time moves
 * forward by the length of the gap. */
int64_t sl_zone_local_to_utc(const sl_zone *z, int64_t local_sec);
/* The id as Java prints it ("Europe/Berlin", "UTC", "Z", "+05:30", "GMT+02:00");
 * NUL-terminated, truncated to cap; returns the untruncated length. */
size_t sl_zone_id(const sl_zone *z, char *out, size_t cap);
/* The abbreviation in effect ("CET", "CEST", "PST"; fixed offsets print their id). */
size_t sl_zone_abbrev(const sl_zone *z, int64_t utc_sec, char *out, size_t cap);

/* ---- patterns ---- */

typedef struct sl_dtfmt sl_dtfmt;

enum {
    SL_DTF_DATE = 1u << 0,      /* uses a date field (year, month, day, weekday, era...) */
    SL_DTF_TIME = 1u << 1,      /* uses a time-of-day field */
    SL_DTF_ZONE = 1u << 2,      /* uses an offset or a zone */
};

/* Compiles a pattern into `a`. Returns NULL with err set (SL_ERR_ANALYSIS). */
sl_dtfmt *sl_dtfmt_compile(sl_arena *a, const char *pattern, size_t len, sl_error *err);
/* SL_DTF_* used outside optional sections (what formatting requires). */
unsigned sl_dtfmt_fields(const sl_dtfmt *f);
/* SL_DTF_* used anywhere, optional sections included (what parsing may yield). */
unsigned sl_dtfmt_all_fields(const sl_dtfmt *f);
/* An upper bound of the length in bytes of any formatted value. */
size_t sl_dtfmt_max_len(const sl_dtfmt *f);
const char *sl_dtfmt_pattern(const sl_dtfmt *f);    /* as given, NUL-terminated */

/* Formatting writes at most sl_dtfmt_max_len(f) bytes into out (no NUL unless
 * room remains) and stores the length in *n. A field the value does not have
 * (an hour in a DATE, a zone in a TIME) is an error, as in Java. */
int sl_dtfmt_format_timestamp(const sl_dtfmt *f, int64_t ms, const sl_zone *z,
                              char *out, size_t cap, size_t *n, sl_error *err);
int sl_dtfmt_format_date(const sl_dtfmt *f, int32_t days, char *out, size_t cap, size_t *n,
                         sl_error *err);
int sl_dtfmt_format_time(const sl_dtfmt *f, int32_t ms_of_day, char *out, size_t cap,
                         size_t *n, sl_error *err);

/* Parses the whole text. TIMESTAMP: fields not in the text default to
 * 1970-01-01T00:00:00.000 and the zone is the one parsed from the text, else
 * `dflt` (ksqlDB's StringToTimestampParser). DATE: needs a full date and no
 * time field. TIME: needs an hour and no date field. */
int sl_dtfmt_parse_timestamp(const sl_dtfmt *f, const char *s, size_t n, const sl_zone *dflt,
                             int64_t *ms, sl_error *err);
int sl_dtfmt_parse_date(const sl_dtfmt *f, const char *s, size_t n, int32_t *days,
                        sl_error *err);
int sl_dtfmt_parse_time(const sl_dtfmt *f, const char *s, size_t n, int32_t *ms_of_day,
                        sl_error *err);

#endif
