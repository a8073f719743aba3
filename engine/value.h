/*
 * value.h: SQL values.
 *
 * A value is a small tagged union; variable-size contents (strings, bytes,
 * array items, map entries, struct fields) point into an arena: the batch
 * arena while a row is processed, the statement arena for constants.
 * Strings are UTF-8, not NUL-terminated (len is authoritative), and are
 * checked to be valid UTF-8 where they enter (decoders, literals).
 * A value does not carry its full type: the compiled expression that made
 * it knows it (DECIMAL scale is kept in the value for convenience).
 */
#ifndef SL_VALUE_H
#define SL_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include "arena.h"
#include "buf.h"
#include "types.h"

typedef __int128 sl_int128;

typedef struct sl_value sl_value;

struct sl_value {
    uint8_t kind;           /* sl_kind; SL_NULL for SQL NULL of any type */
    uint8_t scale;          /* DECIMAL: digits after the point */
    uint8_t precision;      /* DECIMAL */
    union {
        bool b;
        int32_t i32;        /* INT, DATE (days), TIME (ms of day) */
        int64_t i64;        /* BIGINT, TIMESTAMP (ms since epoch) */
        double d;
        sl_int128 dec;      /* DECIMAL: unscaled value; value = dec / 10^scale */
        struct { const char *ptr; uint32_t len; } s;     /* STRING, BYTES */
        struct { sl_value *items; uint32_t n; } arr;      /* ARRAY */
        struct { sl_value *keys; sl_value *vals; uint32_t n; } map; /* MAP, insertion order */
        struct { sl_value *fields; uint32_t n; } st;      /* STRUCT, in type order */
    } u;
};

static inline sl_value sl_null(void) { sl_value v = {0}; v.kind = SL_NULL; return v; }
static inline bool sl_is_null(const sl_value *v) { return v->kind == SL_NULL; }
static inline sl_value sl_bool(bool b) { sl_value v = {0}; v.kind = SL_BOOLEAN; v.u.b = b; return v; }
static inline sl_value sl_int(int32_t i) { sl_value v = {0}; v.kind = SL_INT; v.u.i32 = i; return v; }
static inline sl_value sl_bigint(int64_t i) { sl_value v = {0}; v.kind = SL_BIGINT; v.u.i64 = i; return v; }
static inline sl_value sl_double(double d) { sl_value v = {0}; v.kind = SL_DOUBLE; v.u.d = d; return v; }
static inline sl_value sl_timestamp(int64_t ms) { sl_value v = {0}; v.kind = SL_TIMESTAMP; v.u.i64 = ms; return v; }
static inline sl_value sl_date(int32_t days) { sl_value v = {0}; v.kind = SL_DATE; v.u.i32 = days; return v; }
static inline sl_value sl_time(int32_t ms) { sl_value v = {0}; v.kind = SL_TIME; v.u.i32 = ms; return v; }
static inline sl_value sl_decimal(sl_int128 unscaled, int precision, int scale) {
    sl_value v = {0}; v.kind = SL_DECIMAL; v.u.dec = unscaled;
    v.precision = (uint8_t)precision; v.scale = (uint8_t)scale; return v;
}
/* Points at s without copying: s must outlive the value. */
static inline sl_value sl_string_ref(const char *s, uint32_t len) {
    sl_value v = {0}; v.kind = SL_STRING; v.u.s.ptr = s; v.u.s.len = len; return v;
}
sl_value sl_string_copy(sl_arena *a, const char *s, size_t len);   /* copies into a */
sl_value sl_bytes_copy(sl_arena *a, const void *p, size_t len);
sl_value sl_array_new(sl_arena *a, uint32_t n);        /* items zeroed (NULL values) */
sl_value sl_map_new(sl_arena *a, uint32_t n);
sl_value sl_struct_new(sl_arena *a, uint32_t n);

/* Deep copy (strings and nested values) into another arena. */
sl_value sl_value_copy(sl_arena *a, const sl_value *v);

/*
 * Total order used by comparisons, ORDER, MIN/MAX and DISTINCT: both values
 * must be of comparable types (after widening); NULLs are not ordered here
 * (callers handle them). Returns <0, 0, >0.
 */
int sl_value_compare(const sl_value *a, const sl_value *b);
bool sl_value_equal(const sl_value *a, const sl_value *b);  /* NULL equals NULL here */
uint64_t sl_value_hash(const sl_value *v);

/* Renderings. TEXT: as the REPL shows a cell (strings raw, NULL as "null").
 * JSON: a JSON value (strings quoted and escaped; TIMESTAMP/DATE/TIME as ISO
 * strings; DECIMAL as an exact number; BYTES as base64 string). */
typedef enum sl_render { SL_RENDER_TEXT, SL_RENDER_JSON } sl_render;
void sl_value_render(sl_buf *out, const sl_value *v, const sl_type *t, sl_render mode);

/* Decimal helpers (exact; fail on overflow of the target precision). */
bool sl_decimal_rescale(sl_int128 in, int from_scale, int to_scale, sl_int128 *out); /* rounds HALF_UP when shrinking */
bool sl_decimal_fits(sl_int128 unscaled, int precision);
void sl_decimal_format(sl_buf *out, sl_int128 unscaled, int scale);
/* Parses "-12.340", "1e3" is refused; returns false on syntax error. Sets precision/scale from the text. */
bool sl_decimal_parse(const char *s, size_t n, sl_int128 *out, int *precision, int *scale);

/* UTF-8 */
bool sl_utf8_valid(const char *s, size_t n);
size_t sl_utf8_length(const char *s, size_t n);       /* code points; assumes valid */

#endif
