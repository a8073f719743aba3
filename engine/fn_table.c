/*
 * fn_table.c: the signatures of ksqlDB's table functions (kind
 * SL_FN_TABLE, category TABLE): functions in a SELECT list that turn one
 * input row into zero or more output rows.
 *
 * EXPLODE(ARRAY<T>) gives one row per element, of type T;
 * CUBE_EXPLODE(ARRAY<T>) gives one row per combination of the elements and
 * NULL (2^n rows), each an ARRAY<T>. ksqlDB's GENERATE_SERIES is a scalar
 * function returning an array (fn_collection.c); EXPLODE(GENERATE_SERIES
 * (...)) gives the rows.
 *
 * impl is NULL: the table-function operator expands the rows.
 */
#include "func.h"

static const sl_overload explode_ov[] = {
    {"array ARRAY<T> -> T", NULL, 0, NULL, NULL, NULL, NULL},
};

static const sl_overload cube_explode_ov[] = {
    {"array ARRAY<T> -> ARRAY<T>", NULL, 0, NULL, NULL, NULL, NULL},
};

#define FN(name, desc, ov) \
    {name, SL_FN_TABLE, "TABLE", desc, ov, (int)(sizeof ov / sizeof ov[0])}

static const sl_function table_functions[] = {
    FN("CUBE_EXPLODE", "One row for every combination of the array's elements with NULL "
       "(2^n rows for n elements), each row an array.", cube_explode_ov),
    FN("EXPLODE", "One row per element of the array, holding that element; no rows for an "
       "empty or NULL array.", explode_ov),
};

void sl_fn_register_table(sl_registry *r)
{
    for (size_t i = 0; i < sizeof table_functions / sizeof table_functions[0]; i++)
        sl_registry_add(r, &table_functions[i]);
}
