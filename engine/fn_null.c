/*
 * fn_null.c: ksqlDB's NULL-handling functions (category NULL): COALESCE,
 * IFNULL and NULLIF, generic over any type T.
 *
 * The arguments arrive already widened to their common type T, so values
 * are returned as they are (no copy: they live at least as long as the
 * batch). Complex values (ARRAY, MAP, STRUCT) are not looked into: only the
 * value itself being NULL counts, as ksqlDB documents.
 *
 * Not here: CASE and IS [NOT] NULL, which are expressions, not functions.
 */
#include "func.h"

static int fn_coalesce(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    for (int i = 0; i < na; i++) {
        if (!sl_is_null(&a[i])) {
            *out = a[i];
            return 0;
        }
    }
    *out = sl_null();
    return 0;
}

static int fn_ifnull(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    *out = sl_is_null(&a[0]) ? a[1] : a[0];
    return 0;
}

static int fn_nullif(sl_fcall *c, const sl_value *a, int na, sl_value *out)
{
    if (sl_is_null(&a[0]) || (!sl_is_null(&a[1]) && sl_value_equal(&a[0], &a[1])))
        *out = sl_null();
    else
        *out = a[0];
    return 0;
}

static const sl_overload ov_coalesce[] = {
    {"first T, others T... -> T", fn_coalesce, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_ifnull[] = {
    {"expression T, altValue T -> T", fn_ifnull, 0, NULL, NULL, NULL, NULL},
};
static const sl_overload ov_nullif[] = {
    {"expression1 T, expression2 T -> T", fn_nullif, 0, NULL, NULL, NULL, NULL},
};

static const sl_function null_functions[] = {
    {"COALESCE", SL_FN_SCALAR, "NULL",
     "The first argument that is not NULL, or NULL when all are; all arguments share one type.",
     ov_coalesce, 1},
    {"IFNULL", SL_FN_SCALAR, "NULL",
     "The first argument, or the second when the first is NULL.", ov_ifnull, 1},
    {"NULLIF", SL_FN_SCALAR, "NULL",
     "NULL when the two arguments are equal, otherwise the first argument.", ov_nullif, 1},
};

void sl_fn_register_null(sl_registry *r)
{
    for (size_t i = 0; i < sizeof null_functions / sizeof null_functions[0]; i++)
        sl_registry_add(r, &null_functions[i]);
}
