/*
 * expr_internal.h: helpers shared by value.c, cast.c and expr*.c only.
 *
 * Not a public interface: other modules use value.h / expr.h. Everything
 * here is exact (decimals on __int128) or documented as ksqlDB-compatible
 * (Java-style double text, ISO-8601 date/time text).
 */
#ifndef SL_EXPR_INTERNAL_H
#define SL_EXPR_INTERNAL_H

#include "value.h"

/* 10^n for 0 <= n <= 38. */
sl_int128 sl_dec_pow10(int n);
/* Exact quotient a / b of two unscaled decimals (scales sa, sb), rounded HALF_UP
 * to scale `rs`. false when b is 0 or the result does not fit 38 digits. */
bool sl_dec_div(sl_int128 a, int sa, sl_int128 b, int sb, int rs, sl_int128 *out);
/* Number of decimal digits of |v| (1 for 0). */
int sl_dec_digits(sl_int128 v);

/* Java's Double.toString: "1.0", "0.001", "1.0E7", "1.5E-4", "NaN", "Infinity". */
void sl_double_format(sl_buf *out, double d);

/* Civil calendar <-> days since 1970-01-01 (proleptic Gregorian). */
int64_t sl_days_from_civil(int64_t y, int m, int d);
void sl_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* ISO-8601 text as ksqlDB prints it: 2021-03-04T05:06:07.089, 2021-03-04, 05:06:07[.089]. */
void sl_timestamp_format(sl_buf *out, int64_t ms);
void sl_date_format(sl_buf *out, int32_t days);
void sl_time_format(sl_buf *out, int32_t ms);
/* Parsers for CAST from STRING; false on bad text or out-of-range fields.
 * TIMESTAMP: yyyy-MM-dd[(T| )HH:mm[:ss[.fffffffff]]][Z|+HH[:mm]|-HH[:mm]] (offset applied). */
bool sl_timestamp_parse(const char *s, size_t n, int64_t *ms);
bool sl_date_parse(const char *s, size_t n, int32_t *days);
bool sl_time_parse(const char *s, size_t n, int32_t *ms);

/* Java toString-like text of a value, as ksqlDB's CAST(x AS STRING) gives it:
 * arrays "[1, 2]", maps "{a=1, b=2}", structs "Struct{A=1,B=x}", strings raw. */
void sl_value_java_text(sl_buf *out, const sl_value *v, const sl_type *t);

#endif
