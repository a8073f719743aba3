/*
 * window.h: window arithmetic for windowed aggregations, as ksqlDB and
 * Kafka Streams define it.
 *
 * What it does: turns a WINDOW clause (grammar/ast.h sl_window) into a
 * validated sl_window_spec with ksqlDB's defaults; assigns a timestamp to
 * its tumbling or hopping windows; decides when a window is closed (late
 * records are dropped) and when it has expired (retention); merges a record
 * into the session windows of its key; encodes and decodes windowed keys as
 * ksqlDB writes them to topics.
 *
 * What it does not do: hold aggregates or state, track stream time, emit
 * rows or touch storage. The aggregation operator (issue 4) owns those and
 * calls in here. Nothing here allocates except the sl_buf an encoder
 * appends to (the caller owns and finalizes it).
 *
 * Time is int64 milliseconds since the epoch. No computation here overflows:
 * sums that would leave int64 saturate at INT64_MIN / INT64_MAX (a window
 * starting within SIZE of INT64_MAX ends at INT64_MAX).
 *
 * Semantics (Kafka Streams 3.x, which ksqlDB runs on):
 *  - Time windows are [start, start + SIZE), start a multiple of ADVANCE
 *    (SIZE for TUMBLING) counted from the epoch. A window whose end + GRACE
 *    <= stream time is closed: a record for it is late and dropped
 *    (KStreamWindowAggregate: process only when end > streamTime - grace).
 *  - Session windows are [start, end], both inclusive. A record at ts
 *    merges every session of its key with end >= ts - GAP and
 *    start <= ts + GAP. A session is closed when end + GAP + GRACE <
 *    stream time (KStreamSessionWindowAggregate: closeTime = streamTime -
 *    grace - gap; late when mergedEnd < closeTime).
 *  - Defaults when GRACE PERIOD is absent: ksqlDB builds its windows with
 *    Kafka Streams' deprecated TimeWindows.of / SessionWindows.with, whose
 *    grace is max(24 h - SIZE, 0) (SIZE = the gap for sessions). Without
 *    RETENTION the store keeps SIZE + GRACE (so at least 24 hours by
 *    default). RETENTION must be >= SIZE + GRACE, the default grace
 *    included, as Kafka Streams enforces it.
 *  - Retention: a time window has expired when start + RETENTION <= stream
 *    time (Kafka Streams' window stores key on the start); a session when
 *    end + RETENTION <= stream time.
 */
#ifndef SL_WINDOW_H
#define SL_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "../grammar/ast.h"

/* Grace when GRACE PERIOD is absent: 24 hours minus the size, floored at 0. */
#define SL_WINDOW_LEGACY_GRACE_MS (24LL * 60 * 60 * 1000)
/* Most windows one record may fall in (SIZE / ADVANCE, rounded up). ksqlDB
 * has no such limit; above it a HOPPING clause is refused at analysis
 * rather than making every record update millions of windows. */
#define SL_WINDOW_MAX_PER_RECORD 100000

typedef struct sl_window_spec {
    sl_window_kind kind;        /* TUMBLING, HOPPING or SESSION */
    int64_t size;               /* window size; for SESSION the inactivity gap */
    int64_t advance;            /* hop; == size for TUMBLING, 0 for SESSION */
    int64_t grace;              /* effective grace period (default applied) */
    int64_t retention;          /* effective retention (default applied) */
    bool grace_set;             /* GRACE PERIOD was written */
    bool retention_set;         /* RETENTION was written */
    bool epoch_floor;           /* true (the default): like Kafka Streams, no window
                                 * starts before 0, so a timestamp before the epoch
                                 * is in no time window and small timestamps are in
                                 * fewer hopping windows. false: windows tile the
                                 * whole int64 line (floor division). */
} sl_window_spec;

/*
 * Builds *out from a WINDOW clause, applying the defaults above and
 * validating: SIZE > 0; for HOPPING, 0 < ADVANCE <= SIZE and SIZE/ADVANCE
 * <= SL_WINDOW_MAX_PER_RECORD; GRACE >= 0; RETENTION >= SIZE + GRACE.
 * Errors are SL_ERR_ANALYSIS with the span of the offending duration (or
 * of the clause). w->kind SL_WIN_NONE is an error.
 */
int sl_window_spec_from_ast(sl_window_spec *out, const sl_window *w, sl_error *err);

/*
 * The same from plain numbers (tests, the planner's own windows): grace_ms
 * or retention_ms < 0 means "absent, use the default"; advance_ms is
 * ignored except for HOPPING. Errors carry no span.
 */
int sl_window_spec_init(sl_window_spec *out, sl_window_kind kind, int64_t size_ms,
                        int64_t advance_ms, int64_t grace_ms, int64_t retention_ms,
                        sl_error *err);

/* Largest number of time windows one timestamp can fall in: ceil(SIZE /
 * ADVANCE) (1 for TUMBLING, 0 for SESSION). Size the starts[] array with it. */
int sl_window_max_per_record(const sl_window_spec *w);

/*
 * Time windows containing ts: writes their starts to starts[0..] in
 * ascending order, at most max of them, and returns how many there are
 * (which may exceed max, as snprintf does; with max >=
 * sl_window_max_per_record it never does). Returns 0 for SESSION specs
 * and, with epoch_floor, for ts < 0. Windows that would start before
 * INT64_MIN are left out (refused, not wrapped).
 */
int sl_window_assign(const sl_window_spec *w, int64_t ts, int64_t *starts, int max);

/* End of the time window starting at start: start + SIZE, saturating. */
int64_t sl_window_end(const sl_window_spec *w, int64_t start);

/*
 * True when the window ending at window_end no longer accepts records at
 * this stream time (the largest timestamp seen by the task): for time
 * windows window_end + GRACE <= stream_time; for sessions (window_end the
 * inclusive session end) window_end + GAP + GRACE < stream_time. A record
 * whose window (or merged session) is closed is late: drop it, count it,
 * log it. Also the EMIT FINAL trigger: a window's final row goes out once
 * it is closed.
 */
bool sl_window_closed(const sl_window_spec *w, int64_t window_end, int64_t stream_time);

/*
 * True when the window may be deleted from the store: for time windows
 * window_start + RETENTION <= stream_time, for sessions window_end +
 * RETENTION <= stream_time. Pull queries must not return expired windows.
 */
bool sl_window_expired(const sl_window_spec *w, int64_t window_start, int64_t window_end,
                       int64_t stream_time);

/* ---- sessions ---- */

typedef struct sl_session_win {
    int64_t start;              /* inclusive: the first record's time */
    int64_t end;                /* inclusive: the last record's time */
} sl_session_win;

/*
 * Merges a record at ts into the sessions of its key. existing[0..n) are
 * the key's sessions in any order (non-overlapping, as this function keeps
 * them). Every session with end >= ts - GAP and start <= ts + GAP joins the
 * record: *merged = [min start, max end] over them and [ts, ts].
 * removed_idx (room for n) gets the indexes, ascending, of the sessions the
 * operator must delete from the store and retract downstream (a tombstone
 * for their windowed key) before writing *merged with the combined
 * aggregate; *nremoved their count. As Kafka Streams does, every joined
 * session is removed, also one whose window equals *merged (it is
 * retracted, then written again) unless *merged is the single point
 * [ts, ts], which is simply overwritten.
 *
 * Lateness is the caller's next step: if sl_window_closed(w, merged->end,
 * stream_time) (stream time already advanced by ts), the record is late
 * and nothing changes. Returns 0, or -1 when w is not a SESSION spec or an
 * argument is NULL / n < 0.
 */
int sl_session_merge(const sl_window_spec *w, const sl_session_win *existing, int n,
                     int64_t ts, sl_session_win *merged, int *removed_idx, int *nremoved);

/* ---- windowed keys, as ksqlDB writes them to topics ---- */

/*
 * Time windows (TimeWindowedSerializer / WindowKeySchema.toBinary): the
 * serialized key, then the window start as 8 bytes big-endian.
 * Sessions (SessionWindowedSerializer / SessionKeySchema.toBinary): the
 * serialized key, then the end, then the start, 8 bytes big-endian each.
 * The time window end is not written; readers derive it from SIZE.
 * Appends to out; end is ignored for time windows.
 */
void sl_windowed_key_encode(sl_buf *out, sl_window_kind kind, const void *key, size_t keylen,
                            int64_t start, int64_t end);

/*
 * Splits a windowed key: *key points into data (no copy), *start and *end the
 * window (for time windows end = start + SIZE, saturating). Returns -1
 * (SL_ERR_EVAL) when data is shorter than the window suffix or a session's
 * end precedes its start.
 */
int sl_windowed_key_decode(const sl_window_spec *w, const void *data, size_t len,
                           const void **key, size_t *keylen, int64_t *start, int64_t *end,
                           sl_error *err);

#endif
