/*
 * test_fn_math.c: the numeric functions (fn_math.c) end to end: each case
 * is an expression evaluated by sl_eval_text and the JSON rendering of its
 * result (or a fragment of the row error it must raise). Covers ksqlDB's
 * result types (visible in the rendering: 2 vs 2.0 vs 2.00), rounding
 * half towards positive infinity, NULL propagation, NaN / Infinity, and
 * the overflow cases ksqlDB would silently wrap.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/expr.h"

#include "eval_cases.h"

Test(fn_math, abs)
{
    static const ecase cases[] = {
        {"ABS(-5)", "5", NULL},
        {"ABS(5)", "5", NULL},
        {"ABS(0)", "0", NULL},
        {"ABS(CAST(-7 AS BIGINT))", "7", NULL},
        {"ABS(-1.25)", "1.25", NULL},
        {"ABS(-2.5E0)", "2.5", NULL},
        {"ABS(CAST(NULL AS INT))", "null", NULL},
        {"ABS(CAST(NULL AS DECIMAL(4, 2)))", "null", NULL},
        {"ABS(CAST(-2147483648 AS INT))", NULL, "overflow"},
        {"ABS(CAST(-2147483647 AS INT))", "2147483647", NULL},
        {"ABS(-9223372036854775807 - 1)", NULL, "overflow"},
        {"ABS('x')", NULL, "ABS"},
    };
    RUN(cases);
}

Test(fn_math, ceil_floor)
{
    static const ecase cases[] = {
        {"CEIL(3)", "3", NULL},
        {"FLOOR(CAST(-3 AS BIGINT))", "-3", NULL},
        {"CEIL(1.2)", "2.0", NULL},          /* DECIMAL keeps its scale */
        {"CEIL(-1.2)", "-1.0", NULL},
        {"FLOOR(1.8)", "1.0", NULL},
        {"FLOOR(-1.2)", "-2.0", NULL},
        {"CEIL(9.5)", "10.0", NULL},         /* the carry needs a digit more */
        {"FLOOR(-9.5)", "-10.0", NULL},
        {"CEIL(1.5E0)", "2.0", NULL},
        {"FLOOR(1.5E0)", "1.0", NULL},
        {"FLOOR(-0.5E0)", "-1.0", NULL},
        {"CEIL(CAST(NULL AS DOUBLE))", "null", NULL},
        {"FLOOR(CAST(NULL AS INT))", "null", NULL},
        {"CEIL(SQRT(-1))", "\"NaN\"", NULL},
    };
    RUN(cases);
}

Test(fn_math, round_whole)
{
    static const ecase cases[] = {
        /* DOUBLE -> BIGINT, halves towards positive infinity (Java's Math.round) */
        {"ROUND(1.5E0)", "2", NULL},
        {"ROUND(2.5E0)", "3", NULL},
        {"ROUND(-1.5E0)", "-1", NULL},
        {"ROUND(-2.5E0)", "-2", NULL},
        {"ROUND(-1.6E0)", "-2", NULL},
        {"ROUND(1.4E0)", "1", NULL},
        {"ROUND(0.49999999999999994E0)", "0", NULL},
        {"ROUND(7)", "7", NULL},
        {"ROUND(CAST(7 AS BIGINT))", "7", NULL},
        /* DECIMAL(p, s) -> DECIMAL with scale 0 */
        {"ROUND(1.5)", "2", NULL},
        {"ROUND(-1.5)", "-1", NULL},
        {"ROUND(-1.51)", "-2", NULL},
        {"ROUND(9.5)", "10", NULL},
        {"ROUND(-9.6)", "-10", NULL},
        {"ROUND(0.4)", "0", NULL},
        {"ROUND(CAST(NULL AS DOUBLE))", "null", NULL},
        {"ROUND(1E19)", NULL, "out of range"},
        {"ROUND(SQRT(-1))", NULL, "out of range"},
        {"ROUND(POWER(10, 400))", NULL, "out of range"},
    };
    RUN(cases);
}

Test(fn_math, round_places)
{
    static const ecase cases[] = {
        {"ROUND(1.2345E0, 2)", "1.23", NULL},
        {"ROUND(1.235E0, 2)", "1.24", NULL},
        {"ROUND(-1.235E0, 2)", "-1.23", NULL},
        {"ROUND(-1.236E0, 2)", "-1.24", NULL},
        {"ROUND(0.1E0 + 0.2E0, 1)", "0.3", NULL},
        {"ROUND(1234.5E0, -2)", "1200.0", NULL},
        {"ROUND(1250E0, -2)", "1300.0", NULL},
        {"ROUND(-1250E0, -2)", "-1200.0", NULL},
        {"ROUND(123.456E0, 10)", "123.456", NULL},
        {"ROUND(123.456E0, -10)", "0.0", NULL},
        {"ROUND(1E300, -400)", "0.0", NULL},
        {"ROUND(POWER(10, 400), 2)", "\"Infinity\"", NULL},
        {"ROUND(SQRT(-1), 2)", "\"NaN\"", NULL},
        {"ROUND(1.5E0, CAST(NULL AS INT))", "null", NULL},
        {"ROUND(CAST(NULL AS DOUBLE), 1)", "null", NULL},
        /* DECIMAL keeps its scale, the value is rounded */
        {"ROUND(1.2345, 2)", "1.2300", NULL},
        {"ROUND(1.2355, 3)", "1.2360", NULL},
        {"ROUND(-1.2355, 3)", "-1.2350", NULL},
        {"ROUND(123.45, -1)", "120.00", NULL},
        {"ROUND(125.00, -1)", "130.00", NULL},
        {"ROUND(-125.00, -1)", "-120.00", NULL},
        {"ROUND(999.99, 1)", "1000.00", NULL},
        {"ROUND(123.45, 5)", "123.45", NULL},
        {"ROUND(123.45, -5)", "0.00", NULL},
        {"ROUND(123.45, -100)", "0.00", NULL},
    };
    RUN(cases);
}

Test(fn_math, trunc)
{
    static const ecase cases[] = {
        {"TRUNC(-1.9E0)", "-1", NULL},
        {"TRUNC(1.9E0)", "1", NULL},
        {"TRUNC(5)", "5", NULL},
        {"TRUNC(1.99E0, 1)", "1.9", NULL},
        {"TRUNC(-1.99E0, 1)", "-1.9", NULL},
        {"TRUNC(1999E0, -2)", "1900.0", NULL},
        {"TRUNC(-123.99)", "-123", NULL},
        {"TRUNC(-123.99, 1)", "-123.90", NULL},
        {"TRUNC(-123.99, -1)", "-120.00", NULL},
        {"TRUNC(CAST(NULL AS DOUBLE))", "null", NULL},
        {"TRUNC(1E19)", NULL, "out of range"},
    };
    RUN(cases);
}

Test(fn_math, sign)
{
    static const ecase cases[] = {
        {"SIGN(-3)", "-1", NULL},
        {"SIGN(0)", "0", NULL},
        {"SIGN(42)", "1", NULL},
        {"SIGN(CAST(-5 AS BIGINT))", "-1", NULL},
        {"SIGN(2.5E0)", "1", NULL},
        {"SIGN(-0.5)", "-1", NULL},
        {"SIGN(SQRT(-1))", "0", NULL},
        {"SIGN(CAST(NULL AS INT))", "null", NULL},
    };
    RUN(cases);
}

Test(fn_math, exponential_and_logarithms)
{
    static const ecase cases[] = {
        {"SQRT(16)", "4.0", NULL},
        {"SQRT(2.25)", "1.5", NULL},
        {"SQRT(-1)", "\"NaN\"", NULL},
        {"SQRT(CAST(NULL AS INT))", "null", NULL},
        {"CBRT(27)", "3.0", NULL},
        {"CBRT(-8)", "-2.0", NULL},
        {"CBRT(64)", "4.0", NULL},
        {"CBRT(1000)", "10.0", NULL},
        {"EXP(0)", "1.0", NULL},
        {"EXP(1)", "2.718281828459045", NULL},
        {"EXP(1000)", "\"Infinity\"", NULL},
        {"LN(1)", "0.0", NULL},
        {"LN(0)", "\"-Infinity\"", NULL},
        {"LN(-1)", "\"NaN\"", NULL},
        {"LOG(100)", "2.0", NULL},
        {"LOG(2, 8)", "3.0", NULL},
        {"LOG(1, 8)", "\"NaN\"", NULL},
        {"LOG(0, 8)", "\"NaN\"", NULL},
        {"LOG(-2, 8)", "\"NaN\"", NULL},
        {"LOG(10, 0)", "\"-Infinity\"", NULL},
        {"LOG(CAST(NULL AS DOUBLE), 8)", "null", NULL},
        {"POWER(2, 10)", "1024.0", NULL},
        {"POWER(2, -1)", "0.5", NULL},
        {"POWER(10, 400)", "\"Infinity\"", NULL},
        {"POWER(-8, 1.0E0 / 3)", "\"NaN\"", NULL},
        {"POWER(0, 0)", "1.0", NULL},
        {"POWER(1, SQRT(-1))", "\"NaN\"", NULL},
        {"POWER(2, CAST(NULL AS INT))", "null", NULL},
    };
    RUN(cases);
}

Test(fn_math, trigonometry)
{
    static const ecase cases[] = {
        {"PI()", "3.141592653589793", NULL},
        {"SIN(0)", "0.0", NULL},
        {"COS(0)", "1.0", NULL},
        {"TAN(0)", "0.0", NULL},
        {"COT(0)", "\"Infinity\"", NULL},
        {"ASIN(1)", "1.5707963267948966", NULL},
        {"ASIN(2)", "\"NaN\"", NULL},
        {"ACOS(1)", "0.0", NULL},
        {"ACOS(-1.5)", "\"NaN\"", NULL},
        {"ATAN(0)", "0.0", NULL},
        {"ATAN2(1, 0)", "1.5707963267948966", NULL},
        {"ATAN2(0, -1)", "3.141592653589793", NULL},
        {"SINH(0)", "0.0", NULL},
        {"COSH(0)", "1.0", NULL},
        {"TANH(0)", "0.0", NULL},
        {"DEGREES(PI())", "180.0", NULL},
        {"RADIANS(180)", "3.141592653589793", NULL},
        {"SIN(CAST(NULL AS DOUBLE))", "null", NULL},
        {"ATAN2(CAST(NULL AS DOUBLE), 1)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_math, greatest_least)
{
    static const ecase cases[] = {
        {"GREATEST(1, 5, 3)", "5", NULL},
        {"LEAST(1, 5, 3)", "1", NULL},
        {"GREATEST(4)", "4", NULL},
        {"GREATEST(1, NULL, 7)", "7", NULL},
        {"LEAST(NULL, 7, 2)", "2", NULL},
        {"GREATEST(CAST(NULL AS INT), CAST(NULL AS INT))", "null", NULL},
        {"GREATEST(CAST(1 AS BIGINT), CAST(3 AS BIGINT))", "3", NULL},
        {"GREATEST(1.5E0, -2.5E0)", "1.5", NULL},
        {"LEAST(1.5E0, -2.5E0)", "-2.5", NULL},
        {"GREATEST('apple', 'banana', 'Cherry')", "\"banana\"", NULL},
        {"LEAST('apple', 'banana', 'Cherry')", "\"Cherry\"", NULL},
        {"GREATEST(1.5, 0.25)", "1.50", NULL},      /* the common DECIMAL(3, 2) */
        {"LEAST(1.5, 0.25)", "0.25", NULL},
        {"GREATEST(1, 2.5E0)", "2.5", NULL},
        {"GREATEST(1, 2.5)", "2.5", NULL},          /* DECIMAL(11, 1) */
        {"LEAST(1, 2.5)", "1.0", NULL},
        {"GREATEST(CAST(NULL AS STRING), 'x')", "\"x\"", NULL},
    };
    RUN(cases);
}

Test(fn_math, random_is_in_range_and_varies)
{
    double first = -1;
    bool varied = false;
    for (int i = 0; i < 200; i++) {
        sl_buf out = SL_BUF_INIT;
        sl_error err;
        cr_assert_eq(sl_eval_text("RANDOM()", &out, &err), 0, "%s", err.msg);
        double d = strtod(sl_buf_cstr(&out), NULL);
        cr_expect(d >= 0.0 && d < 1.0, "RANDOM() gave %s", sl_buf_cstr(&out));
        if (i == 0)
            first = d;
        else if (d != first)
            varied = true;
        sl_buf_fini(&out);
    }
    cr_expect(varied, "RANDOM() gave the same value 200 times");
}
