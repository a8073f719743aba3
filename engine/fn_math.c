/*
 * fn_math.c: ksqlDB's numeric scalar functions (category NUMERIC).
 *
 * ABS, CEIL, FLOOR, ROUND, TRUNC, SIGN, SQRT, CBRT, EXP, LN, LOG, POWER,
 * the trigonometric family (SIN ... COT, ATAN2), DEGREES, RADIANS, PI,
 * RANDOM, GREATEST and LEAST, with ksqlDB's overloads and result types.
 *
 * Semantics follow ksqlDB (which follows java.lang.Math and BigDecimal):
 * - ROUND rounds half towards positive infinity (ROUND(-1.5) = -1);
 *   ROUND and TRUNC of INT/BIGINT/DOUBLE give BIGINT, with a scale they
 *   give DOUBLE, computed on the shortest decimal form of the double as
 *   BigDecimal.valueOf does; on DECIMAL(p,s) with a scale the result keeps
 *   the scale s, its value rounded to the requested places.
 * - Functions of DOUBLE return NaN / Infinity as Java does (LN(-1) is NaN,
 *   LN(0) is -Infinity, POWER overflows to Infinity).
 * Where Java would silently wrap or clamp (ABS of the smallest INT, ROUND
 * of a DOUBLE outside BIGINT, NaN to BIGINT) this file reports a row error
 * instead. Deliberate difference: CEIL, FLOOR and ROUND on DECIMAL(p,s)
 * keep one more digit of precision than ksqlDB declares (a carry such as
 * CEIL(9.5) = 10.0 always fits); the scale is ksqlDB's.
 *
 * It does not implement GENERATE_SERIES (fn_collection.c) nor the
 * aggregate functions (fn_aggregate.c).
 */
#include "func.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ---- */

static sl_int128 pow10_i128(int k)
{
    sl_int128 r = 1;
    while (k-- > 0)
        r *= 10;
    return r;
}

static const sl_type *decimal_arg(sl_arena *a, const sl_type *t)
{
    if (t && t->kind == SL_DECIMAL)
        return t;
    if (t && (t->kind == SL_INT || t->kind == SL_BIGINT))
        return sl_type_as_decimal(a, t);
    return sl_type_decimal(a, SL_DECIMAL_MAX_PRECISION, 0);  /* a bare NULL argument */
}

/* Rounding modes on magnitudes of decimal digits. */
enum { R_HALF_POS, R_DOWN, R_FLOOR, R_CEIL };

/*
 * Rounds unscaled v (scale s) to `places` digits after the point and returns
 * the result in units of 10^-places (when places >= s, v itself rescaled is
 * not needed: the caller checks that case). k = s - places >= 1.
 */
static sl_int128 dec_round_units(sl_int128 v, int64_t k, int mode)
{
    if (k > 38) {
        /* |v| < 10^38 < 10^k / 2: only the directed modes can move off zero */
        if (mode == R_CEIL && v > 0)
            return 1;
        if (mode == R_FLOOR && v < 0)
            return -1;
        return 0;
    }
    sl_int128 p = pow10_i128((int)k);
    sl_int128 q = v / p, r = v % p;     /* truncates towards zero */
    if (r == 0)
        return q;
    switch (mode) {
    case R_FLOOR:
        if (r < 0)
            q -= 1;
        break;
    case R_CEIL:
        if (r > 0)
            q += 1;
        break;
    case R_HALF_POS: {
        sl_int128 twice = r < 0 ? -2 * r : 2 * r;
        if (twice > p || (twice == p && r > 0))
            q += r > 0 ? 1 : -1;
        break;
    }
    default:
        break;
    }
    return q;
}

/* The decimal result `units` (scale `uscale`) expressed in the return type. */
static int dec_result(sl_fcall *c, const char *fname, sl_int128 units, int uscale, sl_value *out)
{
    int ts = c->ret->scale, tp = c->ret->precision;
    sl_int128 r = units;
    if (ts > uscale) {
        int up = ts - uscale;
        sl_int128 lim = pow10_i128(SL_DECIMAL_MAX_PRECISION - (up > 38 ? 38 : up));
        if (up > 38 || r >= lim || r <= -lim)
            return sl_fn_error(c, "%s: result does not fit DECIMAL(%d, %d)", fname, tp, ts);
        r *= pow10_i128(up);
    } else if (ts < uscale) {
        /* never needed by the callers: they round to the target scale first */
        if (!sl_decimal_rescale(r, uscale, ts, &r))
            return sl_fn_error(c, "%s: result does not fit DECIMAL(%d, %d)", fname, tp, ts);
    }
    if (!sl_decimal_fits(r, tp))
        return sl_fn_error(c, "%s: result does not fit DECIMAL(%d, %d)", fname, tp, ts);
    *out = sl_decimal(r, tp, ts);
    return 0;
}

/* The shortest decimal digits that read back as d (d finite and > 0), as
 * Java's Double.toString / BigDecimal.valueOf would use: d = m * 10^e. */
static void shortest_decimal(double d, int64_t *m, int *e)
{
    char buf[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
        if (strtod(buf, NULL) == d || p == 17)
            break;
    }
    /* buf is "D.DDDDe+XX" or "De+XX" */
    int64_t mant = 0;
    int ndig = 0;
    const char *s = buf;
    for (; *s && *s != 'e'; s++) {
        if (*s >= '0' && *s <= '9') {
            mant = mant * 10 + (*s - '0');
            ndig++;
        }
    }
    int x = *s == 'e' ? atoi(s + 1) : 0;
    /* strip trailing zeros of the mantissa */
    while (mant != 0 && mant % 10 == 0 && ndig > 1) {
        mant /= 10;
        ndig--;
    }
    *m = mant;
    *e = x - (ndig - 1);
}

/* BigDecimal.valueOf(d).setScale(places, mode).doubleValue() */
static double double_round_places(double d, int64_t places, int mode)
{
    if (!isfinite(d))
        return d;
    if (d == 0)
        return 0.0;
    bool neg = d < 0;
    int64_t m;
    int e;
    shortest_decimal(fabs(d), &m, &e);
    /* current scale is -e; nothing to do when it is within `places` */
    int64_t k = (int64_t)(-e) - places;
    if (k <= 0)
        return d;
    int64_t q;
    if (k >= 19) {
        q = 0;      /* m < 10^17: below half of 10^k */
    } else {
        int64_t p = 1;
        for (int64_t i = 0; i < k; i++)
            p *= 10;
        q = m / p;
        int64_t r = m % p;
        if (mode == R_HALF_POS) {
            /* on magnitudes: positive values round half up, negative half down */
            if (r > p - r || (r == p - r && !neg))
                q++;
        }
    }
    if (q == 0)
        return 0.0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s%llde%lld", neg ? "-" : "", (long long)q, (long long)-places);
    return strtod(buf, NULL);
}

static int double_to_bigint(sl_fcall *c, const char *fname, double r, sl_value *out)
{
    if (isnan(r) || !(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
        return sl_fn_error(c, "%s: %g is out of range for BIGINT", fname, r);
    *out = sl_bigint((int64_t)r);
    return 0;
}

/* Java's Double.compare order: -0.0 < 0.0, NaN above everything. */
static int double_cmp(double a, double b)
{
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    bool an = isnan(a), bn = isnan(b);
    if (an || bn)
        return an == bn ? 0 : (an ? 1 : -1);
    bool as = signbit(a), bs = signbit(b);
    return as == bs ? 0 : (as ? -1 : 1);
}

/* ---- ABS ---- */

static int abs_int(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (a[0].u.i32 == INT32_MIN)
        return sl_fn_error(c, "ABS: integer overflow: the absolute value of %d is not an INT",
                           a[0].u.i32);
    *out = sl_int(a[0].u.i32 < 0 ? -a[0].u.i32 : a[0].u.i32);
    return 0;
}

static int abs_bigint(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    if (a[0].u.i64 == INT64_MIN)
        return sl_fn_error(c, "ABS: integer overflow: the absolute value of %lld is not a BIGINT",
                           (long long)a[0].u.i64);
    *out = sl_bigint(a[0].u.i64 < 0 ? -a[0].u.i64 : a[0].u.i64);
    return 0;
}

static int abs_double(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_double(fabs(a[0].u.d));
    return 0;
}

static int abs_decimal(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    sl_int128 v = a[0].u.dec;
    return dec_result(c, "ABS", v < 0 ? -v : v, a[0].scale, out);
}

static const sl_type *ret_same_decimal(sl_arena *a, const sl_type *const *t, int n, sl_error *err)
{
    return decimal_arg(a, t[0]);
}

/* ---- CEIL / FLOOR ---- */

static int same_int(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = a[0];
    return 0;
}

static int ceil_double(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_double(ceil(a[0].u.d));
    return 0;
}

static int floor_double(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_double(floor(a[0].u.d));
    return 0;
}

static int dec_to_integral(sl_fcall *c, const char *fname, const sl_value *v, int mode,
                           sl_value *out)
{
    if (v->scale == 0)
        return dec_result(c, fname, v->u.dec, 0, out);
    return dec_result(c, fname, dec_round_units(v->u.dec, v->scale, mode), 0, out);
}

static int ceil_decimal(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return dec_to_integral(c, "CEIL", &a[0], R_CEIL, out);
}

static int floor_decimal(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return dec_to_integral(c, "FLOOR", &a[0], R_FLOOR, out);
}

/* DECIMAL(p,s) -> DECIMAL(p+1,s): room for the carry of rounding up. */
static const sl_type *ret_decimal_carry(sl_arena *a, const sl_type *const *t, int n,
                                        sl_error *err)
{
    const sl_type *d = decimal_arg(a, t[0]);
    int p = d->precision + 1;
    return sl_type_decimal(a, p > SL_DECIMAL_MAX_PRECISION ? SL_DECIMAL_MAX_PRECISION : p,
                           d->scale);
}

/* ---- ROUND / TRUNC ---- */

static int int_to_bigint(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_bigint(a[0].kind == SL_INT ? a[0].u.i32 : a[0].u.i64);
    return 0;
}

static int round_double(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    double d = a[0].u.d, r = d;
    if (isfinite(d)) {
        r = floor(d);
        if (d - r >= 0.5)   /* exact for every double that is not already integral */
            r += 1;
    }
    return double_to_bigint(c, "ROUND", r, out);
}

static int trunc_double(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return double_to_bigint(c, "TRUNC", trunc(a[0].u.d), out);
}

static int round_double_places(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_double(double_round_places(a[0].u.d, a[1].u.i32, R_HALF_POS));
    return 0;
}

static int trunc_double_places(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_double(double_round_places(a[0].u.d, a[1].u.i32, R_DOWN));
    return 0;
}

static int round_decimal(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return dec_to_integral(c, "ROUND", &a[0], R_HALF_POS, out);
}

static int trunc_decimal(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return dec_to_integral(c, "TRUNC", &a[0], R_DOWN, out);
}

static int dec_places(sl_fcall *c, const char *fname, const sl_value *a, int mode, sl_value *out)
{
    int s = a[0].scale;
    int64_t places = a[1].u.i32;
    if (places >= s)
        return dec_result(c, fname, a[0].u.dec, s, out);
    sl_int128 units = dec_round_units(a[0].u.dec, (int64_t)s - places, mode);
    if (places < 0) {
        /* units of 10^-places with places < 0: bring back to scale 0 */
        int64_t up = -places;
        if (units != 0) {
            if (up > 38)
                return sl_fn_error(c, "%s: result does not fit DECIMAL(%d, %d)", fname,
                                   c->ret->precision, c->ret->scale);
            sl_int128 lim = pow10_i128(38 - (int)up);
            if (units >= lim || units <= -lim)
                return sl_fn_error(c, "%s: result does not fit DECIMAL(%d, %d)", fname,
                                   c->ret->precision, c->ret->scale);
            units *= pow10_i128((int)up);
        }
        places = 0;
    }
    return dec_result(c, fname, units, (int)places, out);
}

static int round_decimal_places(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return dec_places(c, "ROUND", a, R_HALF_POS, out);
}

static int trunc_decimal_places(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return dec_places(c, "TRUNC", a, R_DOWN, out);
}

/* ROUND(DECIMAL(p,s)) -> DECIMAL(p-s+1, 0): the integral digits and a carry. */
static const sl_type *ret_round_decimal(sl_arena *a, const sl_type *const *t, int n,
                                        sl_error *err)
{
    const sl_type *d = decimal_arg(a, t[0]);
    int p = d->precision - d->scale + 1;
    return sl_type_decimal(a, p > SL_DECIMAL_MAX_PRECISION ? SL_DECIMAL_MAX_PRECISION : p, 0);
}

/* TRUNC(DECIMAL(p,s)) -> DECIMAL(p-s, 0) as ksqlDB (at least one digit). */
static const sl_type *ret_trunc_decimal(sl_arena *a, const sl_type *const *t, int n,
                                        sl_error *err)
{
    const sl_type *d = decimal_arg(a, t[0]);
    int p = d->precision - d->scale;
    return sl_type_decimal(a, p < 1 ? 1 : p, 0);
}

/* ---- SIGN ---- */

static int sign_int(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_int(a[0].u.i32 > 0 ? 1 : a[0].u.i32 < 0 ? -1 : 0);
    return 0;
}

static int sign_bigint(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_int(a[0].u.i64 > 0 ? 1 : a[0].u.i64 < 0 ? -1 : 0);
    return 0;
}

static int sign_double(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_int(a[0].u.d > 0 ? 1 : a[0].u.d < 0 ? -1 : 0);    /* NaN: 0, as (int) NaN */
    return 0;
}

/* ---- functions of one DOUBLE ---- */

#define DOUBLE_FN(NAME, EXPR)                                                   \
    static int NAME(sl_fcall *c, const sl_value *a, int n, sl_value *out)      \
    {                                                                           \
        double x = a[0].u.d;                                                    \
        *out = sl_double(EXPR);                                                 \
        return 0;                                                               \
    }

DOUBLE_FN(fn_sqrt, sqrt(x))
DOUBLE_FN(fn_exp, exp(x))
DOUBLE_FN(fn_ln, log(x))
DOUBLE_FN(fn_log10, log10(x))
DOUBLE_FN(fn_sin, sin(x))
DOUBLE_FN(fn_cos, cos(x))
DOUBLE_FN(fn_tan, tan(x))
DOUBLE_FN(fn_cot, 1.0 / tan(x))
DOUBLE_FN(fn_asin, asin(x))
DOUBLE_FN(fn_acos, acos(x))
DOUBLE_FN(fn_atan, atan(x))
DOUBLE_FN(fn_sinh, sinh(x))
DOUBLE_FN(fn_cosh, cosh(x))
DOUBLE_FN(fn_tanh, tanh(x))
DOUBLE_FN(fn_degrees, x * (180.0 / M_PI))
DOUBLE_FN(fn_radians, x / 180.0 * M_PI)

/* glibc's cbrt may be one ulp off (cbrt(27) = 3.0000000000000004); Java's is
 * within one ulp too but exact on perfect cubes. Pick the neighbour whose
 * cube is closest, so CBRT(27) is 3.0. */
static int fn_cbrt(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    double x = a[0].u.d, r = cbrt(x);
    if (isfinite(r) && r != 0) {
        double cand[3] = {nextafter(r, -INFINITY), r, nextafter(r, INFINITY)};
        long double best = fabsl((long double)r * r * r - x);
        for (int i = 0; i < 3; i += 2) {
            long double e = fabsl((long double)cand[i] * cand[i] * cand[i] - x);
            if (e < best) {
                best = e;
                r = cand[i];
            }
        }
    }
    *out = sl_double(r);
    return 0;
}

static int fn_log_base(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    double base = a[0].u.d, x = a[1].u.d;
    if (base <= 0 || base == 1)
        *out = sl_double(NAN);
    else
        *out = sl_double(log(x) / log(base));
    return 0;
}

static int fn_power(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    double b = a[0].u.d, e = a[1].u.d;
    /* Java's Math.pow differs from C's pow here: 1^NaN and (+-1)^Inf are NaN */
    if (isnan(e) || (fabs(b) == 1 && isinf(e)))
        *out = sl_double(NAN);
    else
        *out = sl_double(pow(b, e));
    return 0;
}

static int fn_atan2(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_double(atan2(a[0].u.d, a[1].u.d));
    return 0;
}

static int fn_pi(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_double(M_PI);
    return 0;
}

/* ---- RANDOM: a per-thread xorshift generator seeded from the clock ---- */

static __thread uint64_t rng_state;

static uint64_t rng_next(void)
{
    if (rng_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                        (uint64_t)(uintptr_t)&rng_state;
        /* splitmix64 to spread the seed */
        seed += 0x9e3779b97f4a7c15ULL;
        seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ULL;
        seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebULL;
        seed ^= seed >> 31;
        rng_state = seed ? seed : 1;
    }
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

static int fn_random(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    *out = sl_double((double)(rng_next() >> 11) * (1.0 / 9007199254740992.0));   /* [0, 1) */
    return 0;
}

/* ---- GREATEST / LEAST ---- */

static int extreme(sl_fcall *c, const sl_value *a, int n, sl_value *out, int want)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (sl_is_null(&a[i]))
            continue;
        if (best < 0) {
            best = i;
            continue;
        }
        int r = a[i].kind == SL_DOUBLE && a[best].kind == SL_DOUBLE
                    ? double_cmp(a[i].u.d, a[best].u.d)
                    : sl_value_compare(&a[i], &a[best]);
        if ((want > 0 && r > 0) || (want < 0 && r < 0))
            best = i;
    }
    if (best < 0) {
        *out = sl_null();
        return 0;
    }
    if (c->ret && c->ret->kind == SL_DECIMAL &&
        (a[best].kind == SL_DECIMAL || a[best].kind == SL_INT || a[best].kind == SL_BIGINT)) {
        /* every argument in the common DECIMAL type (an INT or BIGINT is scale 0) */
        sl_int128 v = a[best].kind == SL_DECIMAL ? a[best].u.dec
                      : a[best].kind == SL_INT   ? (sl_int128)a[best].u.i32
                                                 : (sl_int128)a[best].u.i64;
        int vs = a[best].kind == SL_DECIMAL ? a[best].scale : 0;
        sl_int128 r;
        if (!sl_decimal_rescale(v, vs, c->ret->scale, &r) ||
            !sl_decimal_fits(r, c->ret->precision))
            return sl_fn_error(c, "%s: result does not fit DECIMAL(%d, %d)",
                               want > 0 ? "GREATEST" : "LEAST", c->ret->precision,
                               c->ret->scale);
        *out = sl_decimal(r, c->ret->precision, c->ret->scale);
        return 0;
    }
    *out = a[best];
    return 0;
}

static int fn_greatest(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return extreme(c, a, n, out, 1);
}

static int fn_least(sl_fcall *c, const sl_value *a, int n, sl_value *out)
{
    return extreme(c, a, n, out, -1);
}

/* The DECIMAL every argument fits in. */
static const sl_type *ret_common_decimal(sl_arena *a, const sl_type *const *t, int n,
                                         sl_error *err)
{
    const sl_type *r = NULL;
    for (int i = 0; i < n; i++) {
        if (!t[i] || t[i]->kind == SL_NULL)
            continue;
        const sl_type *d = decimal_arg(a, t[i]);
        if (!r) {
            r = d;
            continue;
        }
        int s = r->scale > d->scale ? r->scale : d->scale;
        int ir = r->precision - r->scale, id = d->precision - d->scale;
        int p = (ir > id ? ir : id) + s;
        r = sl_type_decimal(a, p > SL_DECIMAL_MAX_PRECISION ? SL_DECIMAL_MAX_PRECISION : p, s);
    }
    return r ? r : sl_type_decimal(a, SL_DECIMAL_MAX_PRECISION, 0);
}

/* ---- the table ---- */

#define NN SL_FNF_NULL_ON_NULL

static const sl_overload abs_ov[] = {
    {"value INT -> INT", abs_int, NN, NULL, NULL, NULL, NULL},
    {"value BIGINT -> BIGINT", abs_bigint, NN, NULL, NULL, NULL, NULL},
    {"value DOUBLE -> DOUBLE", abs_double, NN, NULL, NULL, NULL, NULL},
    {"value DECIMAL -> DECIMAL", abs_decimal, NN, NULL, NULL, ret_same_decimal, NULL},
};

static const sl_overload ceil_ov[] = {
    {"value INT -> INT", same_int, NN, NULL, NULL, NULL, NULL},
    {"value BIGINT -> BIGINT", same_int, NN, NULL, NULL, NULL, NULL},
    {"value DOUBLE -> DOUBLE", ceil_double, NN, NULL, NULL, NULL, NULL},
    {"value DECIMAL -> DECIMAL", ceil_decimal, NN, NULL, NULL, ret_decimal_carry, NULL},
};

static const sl_overload floor_ov[] = {
    {"value INT -> INT", same_int, NN, NULL, NULL, NULL, NULL},
    {"value BIGINT -> BIGINT", same_int, NN, NULL, NULL, NULL, NULL},
    {"value DOUBLE -> DOUBLE", floor_double, NN, NULL, NULL, NULL, NULL},
    {"value DECIMAL -> DECIMAL", floor_decimal, NN, NULL, NULL, ret_decimal_carry, NULL},
};

static const sl_overload round_ov[] = {
    {"value INT -> BIGINT", int_to_bigint, NN, NULL, NULL, NULL, NULL},
    {"value BIGINT -> BIGINT", int_to_bigint, NN, NULL, NULL, NULL, NULL},
    {"value DOUBLE -> BIGINT", round_double, NN, NULL, NULL, NULL, NULL},
    {"value DECIMAL -> DECIMAL", round_decimal, NN, NULL, NULL, ret_round_decimal, NULL},
    {"value DOUBLE, scale INT -> DOUBLE", round_double_places, NN, NULL, NULL, NULL, NULL},
    {"value DECIMAL, scale INT -> DECIMAL", round_decimal_places, NN, NULL, NULL,
     ret_decimal_carry, NULL},
};

static const sl_overload trunc_ov[] = {
    {"value INT -> BIGINT", int_to_bigint, NN, NULL, NULL, NULL, NULL},
    {"value BIGINT -> BIGINT", int_to_bigint, NN, NULL, NULL, NULL, NULL},
    {"value DOUBLE -> BIGINT", trunc_double, NN, NULL, NULL, NULL, NULL},
    {"value DECIMAL -> DECIMAL", trunc_decimal, NN, NULL, NULL, ret_trunc_decimal, NULL},
    {"value DOUBLE, scale INT -> DOUBLE", trunc_double_places, NN, NULL, NULL, NULL, NULL},
    {"value DECIMAL, scale INT -> DECIMAL", trunc_decimal_places, NN, NULL, NULL,
     ret_same_decimal, NULL},
};

static const sl_overload sign_ov[] = {
    {"value INT -> INT", sign_int, NN, NULL, NULL, NULL, NULL},
    {"value BIGINT -> INT", sign_bigint, NN, NULL, NULL, NULL, NULL},
    {"value DOUBLE -> INT", sign_double, NN, NULL, NULL, NULL, NULL},
};

#define ONE_DOUBLE(arr, impl) \
    static const sl_overload arr[] = {{"value DOUBLE -> DOUBLE", impl, NN, NULL, NULL, NULL, NULL}}

ONE_DOUBLE(sqrt_ov, fn_sqrt);
ONE_DOUBLE(cbrt_ov, fn_cbrt);
ONE_DOUBLE(exp_ov, fn_exp);
ONE_DOUBLE(ln_ov, fn_ln);
ONE_DOUBLE(sin_ov, fn_sin);
ONE_DOUBLE(cos_ov, fn_cos);
ONE_DOUBLE(tan_ov, fn_tan);
ONE_DOUBLE(cot_ov, fn_cot);
ONE_DOUBLE(asin_ov, fn_asin);
ONE_DOUBLE(acos_ov, fn_acos);
ONE_DOUBLE(atan_ov, fn_atan);
ONE_DOUBLE(sinh_ov, fn_sinh);
ONE_DOUBLE(cosh_ov, fn_cosh);
ONE_DOUBLE(tanh_ov, fn_tanh);
ONE_DOUBLE(degrees_ov, fn_degrees);
ONE_DOUBLE(radians_ov, fn_radians);

static const sl_overload log_ov[] = {
    {"value DOUBLE -> DOUBLE", fn_log10, NN, NULL, NULL, NULL, "base 10 logarithm"},
    {"base DOUBLE, value DOUBLE -> DOUBLE", fn_log_base, NN, NULL, NULL, NULL,
     "logarithm in the given base"},
};

static const sl_overload power_ov[] = {
    {"base DOUBLE, exponent DOUBLE -> DOUBLE", fn_power, NN, NULL, NULL, NULL, NULL},
};

static const sl_overload atan2_ov[] = {
    {"y DOUBLE, x DOUBLE -> DOUBLE", fn_atan2, NN, NULL, NULL, NULL, NULL},
};

static const sl_overload pi_ov[] = {
    {"-> DOUBLE", fn_pi, 0, NULL, NULL, NULL, NULL},
};

static const sl_overload random_ov[] = {
    {"-> DOUBLE", fn_random, SL_FNF_NONDETERMINISTIC, NULL, NULL, NULL, NULL},
};

#define EXTREME_OVERLOADS(impl)                                                          \
    {"INT, INT... -> INT", impl, 0, NULL, NULL, NULL, NULL},                            \
    {"BIGINT, BIGINT... -> BIGINT", impl, 0, NULL, NULL, NULL, NULL},                   \
    {"DOUBLE, DOUBLE... -> DOUBLE", impl, 0, NULL, NULL, NULL, NULL},                   \
    {"DECIMAL, DECIMAL... -> DECIMAL", impl, 0, NULL, NULL, ret_common_decimal, NULL},  \
    {"STRING, STRING... -> STRING", impl, 0, NULL, NULL, NULL, NULL},                   \
    {"BYTES, BYTES... -> BYTES", impl, 0, NULL, NULL, NULL, NULL},                      \
    {"DATE, DATE... -> DATE", impl, 0, NULL, NULL, NULL, NULL},                         \
    {"TIME, TIME... -> TIME", impl, 0, NULL, NULL, NULL, NULL},                         \
    {"TIMESTAMP, TIMESTAMP... -> TIMESTAMP", impl, 0, NULL, NULL, NULL, NULL}

static const sl_overload greatest_ov[] = {EXTREME_OVERLOADS(fn_greatest)};
static const sl_overload least_ov[] = {EXTREME_OVERLOADS(fn_least)};

#define FN(name, desc, ov) {name, SL_FN_SCALAR, "NUMERIC", desc, ov, (int)(sizeof ov / sizeof ov[0])}

static const sl_function math_functions[] = {
    FN("ABS", "The absolute value of a number. The smallest INT or BIGINT, which has no "
              "positive counterpart, is a row error.", abs_ov),
    FN("ACOS", "The arc cosine of a value, in radians; NaN outside [-1, 1].", acos_ov),
    FN("ASIN", "The arc sine of a value, in radians; NaN outside [-1, 1].", asin_ov),
    FN("ATAN", "The arc tangent of a value, in radians.", atan_ov),
    FN("ATAN2", "The angle, in radians, of the point (x, y) from the positive x axis: the arc "
                "tangent of y / x using the signs of both to pick the quadrant.", atan2_ov),
    FN("CBRT", "The cube root of a value.", cbrt_ov),
    FN("CEIL", "The smallest integral value not below the argument; a DECIMAL keeps its "
               "scale.", ceil_ov),
    FN("COS", "The cosine of an angle given in radians.", cos_ov),
    FN("COSH", "The hyperbolic cosine of a value.", cosh_ov),
    FN("COT", "The cotangent of an angle given in radians; +-Infinity at zero.", cot_ov),
    FN("DEGREES", "Converts an angle from radians to degrees.", degrees_ov),
    FN("EXP", "e raised to the power of the argument.", exp_ov),
    FN("FLOOR", "The largest integral value not above the argument; a DECIMAL keeps its "
                "scale.", floor_ov),
    FN("GREATEST", "The largest of its arguments, ignoring NULLs; NULL when all are NULL. "
                   "Arguments must be of one comparable type.", greatest_ov),
    FN("LEAST", "The smallest of its arguments, ignoring NULLs; NULL when all are NULL. "
                "Arguments must be of one comparable type.", least_ov),
    FN("LN", "The natural logarithm; -Infinity at 0 and NaN for negative values.", ln_ov),
    FN("LOG", "The logarithm of a value: base 10 with one argument, the given base with two. "
              "NaN for a base that is not positive or is 1.", log_ov),
    FN("PI", "An approximation of pi.", pi_ov),
    FN("POWER", "A base raised to an exponent; Infinity when the result is too large for a "
                "DOUBLE.", power_ov),
    FN("RADIANS", "Converts an angle from degrees to radians.", radians_ov),
    FN("RANDOM", "A pseudo-random DOUBLE in [0.0, 1.0), different on every call.", random_ov),
    FN("ROUND", "Rounds to `scale` decimal places (0 when omitted; negative rounds left of "
                "the point). Halves round towards positive infinity, so ROUND(-1.5) is -1.",
       round_ov),
    FN("SIGN", "The sign of a number as an INT: -1, 0 or 1.", sign_ov),
    FN("SIN", "The sine of an angle given in radians.", sin_ov),
    FN("SINH", "The hyperbolic sine of a value.", sinh_ov),
    FN("SQRT", "The square root of a value; NaN for negative values.", sqrt_ov),
    FN("TAN", "The tangent of an angle given in radians.", tan_ov),
    FN("TANH", "The hyperbolic tangent of a value.", tanh_ov),
    FN("TRUNC", "Cuts a number to `scale` decimal places (0 when omitted; negative cuts left "
                "of the point), dropping the rest towards zero.", trunc_ov),
};

void sl_fn_register_math(sl_registry *r)
{
    for (size_t i = 0; i < sizeof math_functions / sizeof math_functions[0]; i++)
        sl_registry_add(r, &math_functions[i]);
}
