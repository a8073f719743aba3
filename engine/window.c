/*
 * window.c: window specs, time-window assignment, closing and expiry,
 * session merging and windowed key encoding (see window.h for the rules
 * and where they come from).
 *
 * Does not keep any state: the aggregation operator owns stream time, the
 * session store and the aggregates. Comparisons that add durations to
 * timestamps are done in 128-bit arithmetic so they are exact at the int64
 * edges; values handed back saturate.
 */
#include "window.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef __int128 wide;

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* "90 SECONDS", "1500 MILLISECONDS": the largest unit that divides ms. */
static const char *fmt_ms(char *buf, size_t n, int64_t ms)
{
    static const struct { int64_t ms; const char *unit; } units[] = {
        {86400000LL, "DAYS"}, {3600000LL, "HOURS"}, {60000LL, "MINUTES"}, {1000LL, "SECONDS"},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms != 0 && ms % units[i].ms == 0) {
            snprintf(buf, n, "%" PRId64 " %s", ms / units[i].ms, units[i].unit);
            return buf;
        }
    snprintf(buf, n, "%" PRId64 " MILLISECONDS", ms);
    return buf;
}

typedef struct dur {
    int64_t ms;
    bool set;
    sl_span span;
} dur;

static int build(sl_window_spec *out, sl_window_kind kind, sl_span clause, dur size, dur advance,
                 dur grace, dur retention, sl_error *err)
{
    char b1[64], b2[64];
    memset(out, 0, sizeof *out);
    out->epoch_floor = true;
    if (kind != SL_WIN_TUMBLING && kind != SL_WIN_HOPPING && kind != SL_WIN_SESSION)
        return sl_error_set(err, SL_ERR_ANALYSIS, clause, "no window kind given");
    const char *what = kind == SL_WIN_SESSION ? "session inactivity gap" : "window SIZE";
    sl_span size_span = size.span.off == SL_NOPOS ? clause : size.span;
    if (!size.set)
        return sl_error_set(err, SL_ERR_ANALYSIS, clause, "%s missing", what);
    if (size.ms <= 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, size_span, "%s must be positive, got %s",
                            what, fmt_ms(b1, sizeof b1, size.ms));
    out->kind = kind;
    out->size = size.ms;
    if (kind == SL_WIN_HOPPING) {
        sl_span adv_span = advance.span.off == SL_NOPOS ? clause : advance.span;
        if (!advance.set)
            return sl_error_set(err, SL_ERR_ANALYSIS, clause, "HOPPING window needs ADVANCE BY");
        if (advance.ms <= 0)
            return sl_error_set(err, SL_ERR_ANALYSIS, adv_span,
                                "ADVANCE BY must be positive, got %s",
                                fmt_ms(b1, sizeof b1, advance.ms));
        if (advance.ms > size.ms)
            return sl_error_set(err, SL_ERR_ANALYSIS, adv_span,
                                "ADVANCE BY (%s) must not be larger than SIZE (%s)",
                                fmt_ms(b1, sizeof b1, advance.ms), fmt_ms(b2, sizeof b2, size.ms));
        int64_t per = size.ms / advance.ms + (size.ms % advance.ms != 0);
        if (per > SL_WINDOW_MAX_PER_RECORD)
            return sl_error_set(err, SL_ERR_ANALYSIS, adv_span,
                                "SIZE / ADVANCE BY puts every record in %" PRId64
                                " windows; at most %d are supported",
                                per, SL_WINDOW_MAX_PER_RECORD);
        out->advance = advance.ms;
    } else if (kind == SL_WIN_TUMBLING) {
        out->advance = size.ms;
    } else {
        out->advance = 0;
    }
    if (grace.set) {
        if (grace.ms < 0)
            return sl_error_set(err, SL_ERR_ANALYSIS,
                                grace.span.off == SL_NOPOS ? clause : grace.span,
                                "GRACE PERIOD must not be negative, got %s",
                                fmt_ms(b1, sizeof b1, grace.ms));
        out->grace = grace.ms;
        out->grace_set = true;
    } else {
        out->grace = size.ms >= SL_WINDOW_LEGACY_GRACE_MS ? 0 : SL_WINDOW_LEGACY_GRACE_MS - size.ms;
    }
    int64_t need = sat_add(out->size, out->grace);
    if (retention.set) {
        if (retention.ms < need)
            return sl_error_set(err, SL_ERR_ANALYSIS,
                                retention.span.off == SL_NOPOS ? clause : retention.span,
                                "RETENTION (%s) must be at least the %s plus the grace period "
                                "(%s%s)",
                                fmt_ms(b1, sizeof b1, retention.ms),
                                kind == SL_WIN_SESSION ? "gap" : "size", fmt_ms(b2, sizeof b2, need),
                                grace.set ? "" : "; without GRACE PERIOD the grace is 24 hours "
                                                 "minus the size");
        out->retention = retention.ms;
        out->retention_set = true;
    } else {
        out->retention = need;
    }
    return 0;
}

static dur from_ast(const sl_duration *d)
{
    return (dur){d->ms, d->set, d->set ? d->span : SL_NOSPAN};
}

int sl_window_spec_from_ast(sl_window_spec *out, const sl_window *w, sl_error *err)
{
    if (!out || !w)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "sl_window_spec_from_ast: NULL");
    return build(out, w->kind, w->span, from_ast(&w->size), from_ast(&w->advance),
                 from_ast(&w->grace), from_ast(&w->retention), err);
}

int sl_window_spec_init(sl_window_spec *out, sl_window_kind kind, int64_t size_ms,
                        int64_t advance_ms, int64_t grace_ms, int64_t retention_ms,
                        sl_error *err)
{
    if (!out)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "sl_window_spec_init: NULL");
    return build(out, kind, SL_NOSPAN, (dur){size_ms, true, SL_NOSPAN},
                 (dur){advance_ms, kind == SL_WIN_HOPPING, SL_NOSPAN},
                 (dur){grace_ms, grace_ms >= 0, SL_NOSPAN},
                 (dur){retention_ms, retention_ms >= 0, SL_NOSPAN}, err);
}

int sl_window_max_per_record(const sl_window_spec *w)
{
    if (!w || (w->kind != SL_WIN_TUMBLING && w->kind != SL_WIN_HOPPING) || w->advance <= 0)
        return 0;
    int64_t per = w->size / w->advance + (w->size % w->advance != 0);
    return per > INT_MAX ? INT_MAX : (int)per;
}

int sl_window_assign(const sl_window_spec *w, int64_t ts, int64_t *starts, int max)
{
    if (!w || (w->kind != SL_WIN_TUMBLING && w->kind != SL_WIN_HOPPING) || w->advance <= 0 ||
        w->size <= 0)
        return 0;
    if (w->epoch_floor && ts < 0)
        return 0;
    const int64_t adv = w->advance;
    int64_t r = ts % adv;
    if (r < 0)
        r += adv;
    int64_t last;                       /* the latest aligned start <= ts */
    if (__builtin_sub_overflow(ts, r, &last))
        return 0;                       /* every window containing ts starts before INT64_MIN */
    /* Walk back from the latest start while the window still reaches ts. */
    int count = 0;
    int64_t s = last, lowest = last;
    for (;;) {
        if ((uint64_t)ts - (uint64_t)s >= (uint64_t)w->size)
            break;
        if (w->epoch_floor && s < 0)
            break;
        lowest = s;
        if (count == INT_MAX)
            break;
        count++;
        if (__builtin_sub_overflow(s, adv, &s))
            break;
    }
    for (int i = 0; i < count && i < max; i++)
        starts[i] = lowest + (int64_t)i * adv;     /* <= last: no overflow */
    return count;
}

int64_t sl_window_end(const sl_window_spec *w, int64_t start)
{
    return sat_add(start, w ? w->size : 0);
}

bool sl_window_closed(const sl_window_spec *w, int64_t window_end, int64_t stream_time)
{
    if (!w)
        return false;
    if (w->kind == SL_WIN_SESSION)
        return (wide)window_end + w->size + w->grace < (wide)stream_time;
    return (wide)window_end + w->grace <= (wide)stream_time;
}

bool sl_window_expired(const sl_window_spec *w, int64_t window_start, int64_t window_end,
                       int64_t stream_time)
{
    if (!w)
        return false;
    int64_t t = w->kind == SL_WIN_SESSION ? window_end : window_start;
    return (wide)t + w->retention <= (wide)stream_time;
}

int sl_session_merge(const sl_window_spec *w, const sl_session_win *existing, int n,
                     int64_t ts, sl_session_win *merged, int *removed_idx, int *nremoved)
{
    if (!w || w->kind != SL_WIN_SESSION || !merged || !nremoved || n < 0 ||
        (n > 0 && (!existing || !removed_idx)))
        return -1;
    const wide lo = (wide)ts - w->size, hi = (wide)ts + w->size;
    sl_session_win m = {ts, ts};
    int k = 0;
    for (int i = 0; i < n; i++) {
        const sl_session_win *e = &existing[i];
        if ((wide)e->end >= lo && (wide)e->start <= hi) {
            if (e->start < m.start)
                m.start = e->start;
            if (e->end > m.end)
                m.end = e->end;
            removed_idx[k++] = i;
        }
    }
    /* Kafka Streams removes the joined sessions only when the result is not
     * the new point session itself; otherwise the put overwrites it. */
    if (m.start == ts && m.end == ts)
        k = 0;
    *merged = m;
    *nremoved = k;
    return 0;
}

static void put_be64(sl_buf *out, int64_t v)
{
    char b[8];
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        b[i] = (char)(u & 0xff);
        u >>= 8;
    }
    sl_buf_append(out, b, 8);
}

static int64_t get_be64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | p[i];
    return (int64_t)u;
}

void sl_windowed_key_encode(sl_buf *out, sl_window_kind kind, const void *key, size_t keylen,
                            int64_t start, int64_t end)
{
    if (keylen > 0)
        sl_buf_append(out, key, keylen);
    if (kind == SL_WIN_SESSION) {
        put_be64(out, end);
        put_be64(out, start);
    } else {
        put_be64(out, start);
    }
}

int sl_windowed_key_decode(const sl_window_spec *w, const void *data, size_t len,
                           const void **key, size_t *keylen, int64_t *start, int64_t *end,
                           sl_error *err)
{
    if (!w || (!data && len > 0) || !key || !keylen || !start || !end)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "sl_windowed_key_decode: NULL");
    const unsigned char *p = data;
    if (w->kind == SL_WIN_SESSION) {
        if (len < 16)
            return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN,
                                "session-windowed key of %zu bytes is shorter than its "
                                "16-byte window", len);
        int64_t e = get_be64(p + len - 16), s = get_be64(p + len - 8);
        if (e < s)
            return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN,
                                "session-windowed key ends (%" PRId64 ") before it starts (%" PRId64
                                ")", e, s);
        *key = data;
        *keylen = len - 16;
        *start = s;
        *end = e;
        return 0;
    }
    if (w->kind != SL_WIN_TUMBLING && w->kind != SL_WIN_HOPPING)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "not a windowed spec");
    if (len < 8)
        return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN,
                            "time-windowed key of %zu bytes is shorter than its 8-byte window "
                            "start", len);
    *key = data;
    *keylen = len - 8;
    *start = get_be64(p + len - 8);
    *end = sat_add(*start, w->size);
    return 0;
}
