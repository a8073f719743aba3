/*
 * fn_misc.c: the ksqlDB scalar functions that fit no other family:
 * AS_VALUE (copies a key column into the value), GEO_DISTANCE, and the
 * BYTES decoders INT_FROM_BYTES, BIGINT_FROM_BYTES, DOUBLE_FROM_BYTES.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "func.h"

static int as_value(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    (void)c; (void)nargs;
    *out = args[0];
    return 0;
}

/* ---- GEO_DISTANCE: great-circle distance by the haversine formula ---- */

#define EARTH_RADIUS_KM 6371.0
#define EARTH_RADIUS_MI 3959.0

static int unit_radius(sl_fcall *c, const sl_value *unit, double *radius)
{
    if (!unit || sl_is_null(unit)) {
        *radius = EARTH_RADIUS_KM;
        return 0;
    }
    static const struct { const char *name; double r; } units[] = {
        {"KM", EARTH_RADIUS_KM}, {"KILOMETER", EARTH_RADIUS_KM}, {"KILOMETERS", EARTH_RADIUS_KM},
        {"KILOMETRE", EARTH_RADIUS_KM}, {"KILOMETRES", EARTH_RADIUS_KM},
        {"MI", EARTH_RADIUS_MI}, {"MILE", EARTH_RADIUS_MI}, {"MILES", EARTH_RADIUS_MI},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) == unit->u.s.len &&
            !strncasecmp(units[i].name, unit->u.s.ptr, unit->u.s.len)) {
            *radius = units[i].r;
            return 0;
        }
    }
    return sl_fn_error(c, "GEO_DISTANCE: unknown unit '%.*s' (use KM or MI)",
                       (int)unit->u.s.len, unit->u.s.ptr);
}

static int geo_distance(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    double lat1 = args[0].u.d, lon1 = args[1].u.d, lat2 = args[2].u.d, lon2 = args[3].u.d;
    double radius = EARTH_RADIUS_KM;
    if (unit_radius(c, nargs > 4 ? &args[4] : NULL, &radius))
        return -1;
    if (!(lat1 >= -90 && lat1 <= 90 && lat2 >= -90 && lat2 <= 90))
        return sl_fn_error(c, "GEO_DISTANCE: a latitude must be between -90 and 90 degrees");
    if (!(lon1 >= -180 && lon1 <= 180 && lon2 >= -180 && lon2 <= 180))
        return sl_fn_error(c, "GEO_DISTANCE: a longitude must be between -180 and 180 degrees");
    const double rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double h = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    if (h > 1)
        h = 1;
    *out = sl_double(2 * radius * asin(sqrt(h)));
    return 0;
}

/* ---- BYTES decoders ---- */

/* Reads n bytes as an unsigned big- or little-endian integer (the optional
 * second argument names the order). A value that is not exactly n bytes
 * long is a row error, as in ksqlDB. */
static int read_bytes(sl_fcall *c, const sl_value *args, int nargs, size_t n, const char *fn,
                      uint64_t *bits)
{
    bool little = false;
    if (nargs > 1) {
        const sl_value *o = &args[1];
        if (o->u.s.len == 13 && !strncasecmp(o->u.s.ptr, "LITTLE_ENDIAN", 13))
            little = true;
        else if (!(o->u.s.len == 10 && !strncasecmp(o->u.s.ptr, "BIG_ENDIAN", 10)))
            return sl_fn_error(c, "%s: byte order must be BIG_ENDIAN or LITTLE_ENDIAN, not '%.*s'",
                               fn, (int)o->u.s.len, o->u.s.ptr);
    }
    if (args[0].u.s.len != n)
        return sl_fn_error(c, "%s: expects %zu bytes, got %u", fn, n, args[0].u.s.len);
    const unsigned char *p = (const unsigned char *)args[0].u.s.ptr;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[little ? n - 1 - i : i];
    *bits = v;
    return 0;
}

static int int_from_bytes(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    uint64_t v = 0;
    if (read_bytes(c, args, nargs, 4, "INT_FROM_BYTES", &v))
        return -1;
    *out = sl_int((int32_t)(uint32_t)v);
    return 0;
}

static int bigint_from_bytes(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    uint64_t v = 0;
    if (read_bytes(c, args, nargs, 8, "BIGINT_FROM_BYTES", &v))
        return -1;
    *out = sl_bigint((int64_t)v);
    return 0;
}

static int double_from_bytes(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    uint64_t v = 0;
    if (read_bytes(c, args, nargs, 8, "DOUBLE_FROM_BYTES", &v))
        return -1;
    double d;
    memcpy(&d, &v, sizeof d);
    *out = sl_double(d);
    return 0;
}

static const sl_overload as_value_ovs[] = {
    {.sig = "keyColumn T -> T", .impl = as_value},
};
static const sl_overload geo_ovs[] = {
    {.sig = "lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE -> DOUBLE", .impl = geo_distance,
     .flags = SL_FNF_NULL_ON_NULL},
    {.sig = "lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE, unit STRING -> DOUBLE",
     .impl = geo_distance, .flags = SL_FNF_NULL_ON_NULL},
};
static const sl_overload int_ovs[] = {
    {.sig = "bytes BYTES -> INT", .impl = int_from_bytes, .flags = SL_FNF_NULL_ON_NULL},
    {.sig = "bytes BYTES, byteOrder STRING -> INT", .impl = int_from_bytes, .flags = SL_FNF_NULL_ON_NULL},
};
static const sl_overload bigint_ovs[] = {
    {.sig = "bytes BYTES -> BIGINT", .impl = bigint_from_bytes, .flags = SL_FNF_NULL_ON_NULL},
    {.sig = "bytes BYTES, byteOrder STRING -> BIGINT", .impl = bigint_from_bytes,
     .flags = SL_FNF_NULL_ON_NULL},
};
static const sl_overload double_ovs[] = {
    {.sig = "bytes BYTES -> DOUBLE", .impl = double_from_bytes, .flags = SL_FNF_NULL_ON_NULL},
    {.sig = "bytes BYTES, byteOrder STRING -> DOUBLE", .impl = double_from_bytes,
     .flags = SL_FNF_NULL_ON_NULL},
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const sl_function misc_functions[] = {
    {"AS_VALUE", SL_FN_SCALAR, "OTHER",
     "Returns its argument unchanged; used to copy a key column into the value of a result.",
     as_value_ovs, N(as_value_ovs)},
    {"GEO_DISTANCE", SL_FN_SCALAR, "NUMERIC",
     "Great-circle distance between two points given as latitude and longitude in degrees, "
     "in kilometers (default) or miles ('KM' or 'MI').",
     geo_ovs, N(geo_ovs)},
    {"INT_FROM_BYTES", SL_FN_SCALAR, "BYTES",
     "Reads 4 bytes as an INT, big-endian unless 'LITTLE_ENDIAN' is given.", int_ovs, N(int_ovs)},
    {"BIGINT_FROM_BYTES", SL_FN_SCALAR, "BYTES",
     "Reads 8 bytes as a BIGINT, big-endian unless 'LITTLE_ENDIAN' is given.", bigint_ovs,
     N(bigint_ovs)},
    {"DOUBLE_FROM_BYTES", SL_FN_SCALAR, "BYTES",
     "Reads 8 bytes as an IEEE 754 DOUBLE, big-endian unless 'LITTLE_ENDIAN' is given.",
     double_ovs, N(double_ovs)},
};

void sl_fn_register_misc(sl_registry *r)
{
    for (int i = 0; i < N(misc_functions); i++)
        sl_registry_add(r, &misc_functions[i]);
}
