/*
 * fn_aggregate.c: the signatures of ksqlDB's aggregate functions (kind
 * SL_FN_AGGREGATE, category AGGREGATE).
 *
 * Only what SHOW FUNCTIONS, DESCRIBE FUNCTION and the analyzer need: names,
 * descriptions, argument and result types as ksqlDB declares them (SUM of
 * INT is INT, AVG is DOUBLE, SUM / MAX / MIN of DECIMAL keep the argument's
 * precision and scale). The implementations have no entry here (impl is
 * NULL): aggregation runs in the aggregate operator, which looks functions
 * up by name and picks its accumulator from the resolved overload.
 *
 * COUNT(*) is the overload without parameters.
 */
#include "func.h"

/* An any-precision DECIMAL result takes the argument's DECIMAL (the
 * registry does that for a bare DECIMAL result); inside an ARRAY it needs
 * this hook. */
static const sl_type *ret_array_of_arg(sl_arena *a, const sl_type *const *t, int n,
                                       sl_error *err)
{
    const sl_type *e = t[0] && t[0]->kind == SL_DECIMAL
                           ? t[0] : sl_type_decimal(a, SL_DECIMAL_MAX_PRECISION, 0);
    return sl_type_array(a, e);
}

#define OV(sig, doc) {sig, NULL, 0, NULL, NULL, NULL, doc}

static const sl_overload avg_ov[] = {
    OV("col INT -> DOUBLE", NULL),
    OV("col BIGINT -> DOUBLE", NULL),
    OV("col DOUBLE -> DOUBLE", NULL),
};

static const sl_overload collect_list_ov[] = {
    OV("col T -> ARRAY<T>", NULL),
};

static const sl_overload collect_set_ov[] = {
    OV("col T -> ARRAY<T>", NULL),
};

static const sl_overload correlation_ov[] = {
    OV("x DOUBLE, y DOUBLE -> DOUBLE", NULL),
};

static const sl_overload count_ov[] = {
    OV("-> BIGINT", "COUNT(*): every row"),
    OV("col T -> BIGINT", "the rows where col is not NULL"),
};

static const sl_overload count_distinct_ov[] = {
    OV("col T -> BIGINT", NULL),
};

#define BY_OFFSET_OVERLOADS                                                             \
    OV("col T -> T", "ignores NULLs"),                                                  \
    OV("col T, ignoreNulls BOOLEAN -> T", NULL),                                        \
    OV("col T, n INT -> ARRAY<T>", "the N values, ignoring NULLs"),                     \
    OV("col T, n INT, ignoreNulls BOOLEAN -> ARRAY<T>", NULL)

static const sl_overload earliest_ov[] = {BY_OFFSET_OVERLOADS};
static const sl_overload latest_ov[] = {BY_OFFSET_OVERLOADS};

static const sl_overload histogram_ov[] = {
    OV("col STRING -> MAP<STRING, BIGINT>", NULL),
};

#define COMPARABLE_OVERLOADS                                                            \
    OV("col INT -> INT", NULL),                                                         \
    OV("col BIGINT -> BIGINT", NULL),                                                   \
    OV("col DOUBLE -> DOUBLE", NULL),                                                   \
    OV("col DECIMAL -> DECIMAL", NULL),                                                 \
    OV("col STRING -> STRING", NULL),                                                   \
    OV("col BYTES -> BYTES", NULL),                                                     \
    OV("col DATE -> DATE", NULL),                                                       \
    OV("col TIME -> TIME", NULL),                                                       \
    OV("col TIMESTAMP -> TIMESTAMP", NULL)

static const sl_overload max_ov[] = {COMPARABLE_OVERLOADS};
static const sl_overload min_ov[] = {COMPARABLE_OVERLOADS};

#define STDDEV_OVERLOADS                                                                \
    OV("col INT -> DOUBLE", NULL),                                                      \
    OV("col BIGINT -> DOUBLE", NULL),                                                   \
    OV("col DOUBLE -> DOUBLE", NULL)

static const sl_overload stddev_samp_ov[] = {STDDEV_OVERLOADS};
static const sl_overload stddev_sample_ov[] = {STDDEV_OVERLOADS};

static const sl_overload sum_ov[] = {
    OV("col INT -> INT", NULL),
    OV("col BIGINT -> BIGINT", NULL),
    OV("col DOUBLE -> DOUBLE", NULL),
    OV("col DECIMAL -> DECIMAL", NULL),
};

#define TOPK_OVERLOADS                                                                  \
    OV("col INT, k INT -> ARRAY<INT>", NULL),                                           \
    OV("col BIGINT, k INT -> ARRAY<BIGINT>", NULL),                                     \
    OV("col DOUBLE, k INT -> ARRAY<DOUBLE>", NULL),                                     \
    {"col DECIMAL, k INT -> ARRAY<DECIMAL>", NULL, 0, NULL, NULL, ret_array_of_arg, NULL}, \
    OV("col STRING, k INT -> ARRAY<STRING>", NULL),                                     \
    OV("col DATE, k INT -> ARRAY<DATE>", NULL),                                         \
    OV("col TIME, k INT -> ARRAY<TIME>", NULL),                                         \
    OV("col TIMESTAMP, k INT -> ARRAY<TIMESTAMP>", NULL)

static const sl_overload topk_ov[] = {TOPK_OVERLOADS};
static const sl_overload topkdistinct_ov[] = {TOPK_OVERLOADS};

#define FN(name, desc, ov) \
    {name, SL_FN_AGGREGATE, "AGGREGATE", desc, ov, (int)(sizeof ov / sizeof ov[0])}

static const sl_function aggregate_functions[] = {
    FN("AVG", "The average of the non-NULL values of a column.", avg_ov),
    FN("COLLECT_LIST", "An array of every value of a column in the group, in arrival order.",
       collect_list_ov),
    FN("COLLECT_SET", "An array of the distinct values of a column in the group.",
       collect_set_ov),
    FN("CORRELATION", "The Pearson correlation coefficient of two columns.", correlation_ov),
    FN("COUNT", "The number of rows (COUNT(*)), or of rows where the column is not NULL.",
       count_ov),
    FN("COUNT_DISTINCT", "An estimate of the number of distinct values of a column.",
       count_distinct_ov),
    FN("EARLIEST_BY_OFFSET", "The value of a column with the lowest offset, or an array of the "
       "N earliest; NULLs are skipped unless ignoreNulls is false.", earliest_ov),
    FN("HISTOGRAM", "A map from each distinct string value of a column to how often it "
       "occurs.", histogram_ov),
    FN("LATEST_BY_OFFSET", "The value of a column with the highest offset, or an array of the "
       "N latest; NULLs are skipped unless ignoreNulls is false.", latest_ov),
    FN("MAX", "The largest non-NULL value of a column.", max_ov),
    FN("MIN", "The smallest non-NULL value of a column.", min_ov),
    FN("STDDEV_SAMP", "The sample standard deviation of a column.", stddev_samp_ov),
    FN("STDDEV_SAMPLE", "The sample standard deviation of a column (older name of "
       "STDDEV_SAMP).", stddev_sample_ov),
    FN("SUM", "The sum of the non-NULL values of a column, in the column's type.", sum_ov),
    FN("TOPK", "The K largest values of a column, largest first.", topk_ov),
    FN("TOPKDISTINCT", "The K largest distinct values of a column, largest first.",
       topkdistinct_ov),
};

void sl_fn_register_aggregate(sl_registry *r)
{
    for (size_t i = 0; i < sizeof aggregate_functions / sizeof aggregate_functions[0]; i++)
        sl_registry_add(r, &aggregate_functions[i]);
}
