/*
 * test_fn_misc.c: AS_VALUE, GEO_DISTANCE and the BYTES decoders, end to
 * end through the parser, the compiler and the evaluator.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/expr.h"

#include "eval_cases.h"

Test(fn_misc, as_value)
{
    static const ecase cases[] = {
        {"AS_VALUE(1)", "1", NULL},
        {"AS_VALUE('k')", "\"k\"", NULL},
        {"AS_VALUE(CAST(NULL AS STRING))", "null", NULL},
    };
    RUN(cases);
}

Test(fn_misc, geo_distance)
{
    static const ecase cases[] = {
        /* the same point */
        {"GEO_DISTANCE(51.5, -0.12, 51.5, -0.12)", "0.0", NULL},
        /* a quarter of the equator: pi/2 * 6371 km */
        {"ROUND(GEO_DISTANCE(0.0, 0.0, 0.0, 90.0), 3)", "10007.543", NULL},
        {"ROUND(GEO_DISTANCE(0.0, 0.0, 0.0, 90.0, 'MI'), 3)", "6218.783", NULL},
        {"ROUND(GEO_DISTANCE(0.0, 0.0, 0.0, 90.0, 'miles'), 3)", "6218.783", NULL},
        /* integers widen to DOUBLE */
        {"ROUND(GEO_DISTANCE(0, 0, 0, 90), 0)", "10008.0", NULL},
        {"GEO_DISTANCE(CAST(NULL AS DOUBLE), 0.0, 0.0, 0.0)", "null", NULL},
        {"GEO_DISTANCE(91.0, 0.0, 0.0, 0.0)", NULL, "latitude"},
        {"GEO_DISTANCE(0.0, 181.0, 0.0, 0.0)", NULL, "longitude"},
        {"GEO_DISTANCE(0.0, 0.0, 0.0, 0.0, 'parsecs')", NULL, "unknown unit"},
    };
    RUN(cases);
}

Test(fn_misc, from_bytes)
{
    static const ecase cases[] = {
        {"INT_FROM_BYTES(TO_BYTES('AAAB9A==', 'base64'))", "500", NULL},
        {"INT_FROM_BYTES(TO_BYTES('9AEAAA==', 'base64'), 'LITTLE_ENDIAN')", "500", NULL},
        {"INT_FROM_BYTES(TO_BYTES('/////w==', 'base64'))", "-1", NULL},
        {"BIGINT_FROM_BYTES(TO_BYTES('AAAAASoF8gA=', 'base64'))", "5000000000", NULL},
        {"DOUBLE_FROM_BYTES(TO_BYTES('QAkh+fAbhm4=', 'base64'))", "3.14159", NULL},
        {"INT_FROM_BYTES(TO_BYTES('AAE=', 'base64'))", NULL, "expects 4 bytes"},
        {"INT_FROM_BYTES(TO_BYTES('AAAB9A==', 'base64'), 'MIDDLE_ENDIAN')", NULL, "byte order"},
        {"INT_FROM_BYTES(CAST(NULL AS BYTES))", "null", NULL},
    };
    RUN(cases);
}
