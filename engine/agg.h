/*
 * agg.h: aggregate accumulators, the per-key state behind GROUP BY.
 *
 * One accumulator kind per aggregate function of the registry
 * (engine/fn_aggregate.c): COUNT(*), COUNT(col), SUM, AVG, MIN, MAX,
 * COUNT_DISTINCT, TOPK, TOPKDISTINCT, LATEST_BY_OFFSET, EARLIEST_BY_OFFSET
 * (all four forms), COLLECT_LIST, COLLECT_SET, HISTOGRAM, STDDEV_SAMP /
 * STDDEV_SAMPLE and CORRELATION, with ksqlDB's null rules and result types.
 *
 * An sl_agg is compiled once per call site (statement arena); an
 * sl_agg_state is one group's accumulator. A state can be updated (add),
 * retracted (a table row's old value leaves the group), merged (session
 * windows), turned into the SQL result, and serialized to a compact,
 * versioned byte format and back (decode never crashes on corrupt bytes:
 * it fails with an error).
 *
 * Ownership: an sl_agg_state is heap memory owned by whoever created it
 * (sl_agg_state_new or sl_agg_decode) and released with sl_agg_state_free;
 * values it keeps are deep copies in the state's private arena, so the
 * caller's batch arena may be reset after add. Results are written into the
 * arena passed to sl_agg_result. States of one sl_agg must only be used with
 * that sl_agg (or one compiled from the same function, overload and types).
 *
 * Not here: grouping, windows, the store and the cache (issue 4's operator
 * and state/), and evaluating argument expressions.
 */
#ifndef SL_AGG_H
#define SL_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "buf.h"
#include "error.h"
#include "func.h"
#include "types.h"
#include "value.h"

typedef struct sl_agg sl_agg;
typedef struct sl_agg_state sl_agg_state;

/* Defaults of the bounds (see the cost table at the top of agg.c). */
#define SL_AGG_COLLECT_LIMIT 1000       /* ksql.functions.collect_list/set.limit, HISTOGRAM's 1000 */
#define SL_AGG_RETAIN_LIMIT 1000        /* distinct values MIN/MAX/TOPK/BY_OFFSET keep to retract */
#define SL_AGG_DISTINCT_EXACT 256       /* COUNT_DISTINCT is exact up to this many distinct values */
#define SL_AGG_MAX_K 10000              /* largest K of TOPK / N of *_BY_OFFSET */

/*
 * Compiles aggregate `f` (kind SL_FN_AGGREGATE), overload index `overload`
 * as resolved by the registry, for arguments of types `argtypes` (the
 * resolved parameter types, after widening). `consts[i]` is the value of
 * argument i when it is a constant, else NULL (or consts itself NULL): TOPK's
 * k, the N and ignoreNulls of *_BY_OFFSET must be constants. Allocates from
 * `a` (the statement arena). Returns NULL with err set (SL_ERR_ANALYSIS) on a
 * function that is not an aggregate, a bad overload, bad types or constants.
 */
sl_agg *sl_agg_new(const sl_function *f, int overload, const sl_type *const *argtypes, int nargs,
                   const sl_value *const *consts, sl_arena *a, sl_error *err);

/*
 * Table aggregation: when `on`, MIN, MAX, TOPK, TOPKDISTINCT and the
 * *_BY_OFFSET forms keep up to `retain` values (0: SL_AGG_RETAIN_LIMIT; never
 * fewer than K / N) so a retraction can bring back the next value. Off (the
 * default, for streams) they keep only what the result needs. Set before
 * states are made; COUNT, SUM, AVG, STDDEV, CORRELATION, COLLECT_*,
 * HISTOGRAM and COUNT_DISTINCT retract either way.
 */
void sl_agg_set_retract(sl_agg *g, bool on, int retain);
/* COLLECT_LIST / COLLECT_SET / HISTOGRAM size limit (ksql.functions.collect_*.limit);
 * <= 0 restores the default SL_AGG_COLLECT_LIMIT. */
void sl_agg_set_collect_limit(sl_agg *g, int limit);

const sl_type *sl_agg_result_type(const sl_agg *g);
const char *sl_agg_name(const sl_agg *g);         /* "SUM", "COUNT", ... */

/* A fresh state: the aggregate of no rows. Heap; free with sl_agg_state_free. */
sl_agg_state *sl_agg_state_new(const sl_agg *g);
void sl_agg_state_free(sl_agg_state *s);          /* accepts NULL */

/*
 * Adds one row. `args` holds the evaluated arguments of the call, all
 * `nargs` of them in call order (constants included; COUNT(*) takes none),
 * already widened to the argument types. `offset` orders rows for
 * *_BY_OFFSET (the record's offset or any increasing sequence number).
 * Returns -1 with err set (SL_ERR_EVAL) on a row error (SUM overflowing
 * its type): the state is then unchanged.
 */
int sl_agg_add(const sl_agg *g, sl_agg_state *s, const sl_value *args, int nargs, int64_t offset,
               sl_error *err);
/* Removes a row added before (table aggregation: the old value of an updated
 * row). A value that is not in the state (it fell past a bound) is ignored.
 * Returns -1 with err set on overflow or a bad argument count. */
int sl_agg_retract(const sl_agg *g, sl_agg_state *s, const sl_value *args, int nargs,
                   sl_error *err);
/* dst := dst merged with src (session windows); src is unchanged. The result
 * equals adding src's rows to dst after dst's, as ksqlDB merges. */
int sl_agg_merge(const sl_agg *g, sl_agg_state *dst, const sl_agg_state *src, sl_error *err);

/* The SQL value of the state, of type sl_agg_result_type, allocated from `a`. */
int sl_agg_result(const sl_agg *g, const sl_agg_state *s, sl_arena *a, sl_value *out,
                  sl_error *err);

/* Appends the state's bytes to `out` (format version 1: see agg.c). */
void sl_agg_encode(const sl_agg *g, const sl_agg_state *s, sl_buf *out);
/* A new heap state from bytes made by sl_agg_encode for the same aggregate.
 * Returns -1 with err set (SL_ERR_IO) on truncated, corrupt or foreign bytes. */
int sl_agg_decode(const sl_agg *g, const void *bytes, size_t len, sl_agg_state **out,
                  sl_error *err);

/* Estimated resident bytes of a state (struct, entries, kept values). */
size_t sl_agg_state_size(const sl_agg *g, const sl_agg_state *s);
/* Values (rows) not reflected in the state because a bound was reached
 * (COLLECT_* limit, retain limit, COUNT_DISTINCT's sketch ignoring
 * retractions); the operator reports them in the processing log. */
uint64_t sl_agg_state_dropped(const sl_agg_state *s);
/*
 * The bound behind sl_agg_state_dropped, for the processing log: its size,
 * with *what (static text) saying what it bounds, e.g. "elements" for
 * COLLECT_LIST. 0 (and *what "") for an aggregate that never drops.
 */
int64_t sl_agg_bound(const sl_agg *g, const char **what);

#endif
