/*
 * test_fn_misc.c: AS_VALUE, GEO_DISTANCE and the BYTES decoders, end to
 * end through the parser, the compiler and the evaluator.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/expr.h"

typedef struct ecase {
    const char *expr;
    const char *want;       /* JSON rendering, or NULL when an error is wanted */
    const char *error;      /* a fragment of the error */
} ecase;

static void run_cases(const ecase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sl_buf out = SL_BUF_INIT;
        sl_error err;
        sl_error_clear(&err);
        int rc = sl_eval_text(cases[i].expr, &out, &err);
        if (cases[i].want) {
            cr_expect_eq(rc, 0, "%s: unexpected error: %s", cases[i].expr, err.msg);
            if (rc == 0)
                cr_expect_str_eq(sl_buf_cstr(&out), cases[i].want, "%s", cases[i].expr);
        } else {
            cr_expect_neq(rc, 0, "%s: wanted an error, got %s", cases[i].expr, sl_buf_cstr(&out));
            if (rc != 0)
                cr_expect(strstr(err.msg, cases[i].error) != NULL, "%s: error '%s' lacks '%s'",
                          cases[i].expr, err.msg, cases[i].error);
        }
        sl_buf_fini(&out);
    }
}

Test(fn_misc, as_value)
{
    static const ecase cases[] = {
        {"AS_VALUE(1)", "1", NULL},
        {"AS_VALUE('k')", "\"k\"", NULL},
        {"AS_VALUE(CAST(NULL AS STRING))", "null", NULL},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
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
    run_cases(cases, sizeof cases / sizeof cases[0]);
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
    run_cases(cases, sizeof cases / sizeof cases[0]);
}
