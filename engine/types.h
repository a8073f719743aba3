/*
 * types.h: the SQL types of sluice, ksqlDB's type system.
 *
 * Primitive types are static singletons (SL_TYPE_INT ...); composite
 * types (DECIMAL(p,s), ARRAY, MAP, STRUCT) are built in an arena and
 * compared structurally with sl_type_equal. A type is immutable once
 * built, so it can be shared freely within the lifetime of its arena.
 *
 * Implicit widening follows ksqlDB: INT -> BIGINT -> DECIMAL -> DOUBLE.
 * DECIMAL holds up to 38 digits (precision 1..38, 0 <= scale <= precision).
 */
#ifndef SL_TYPES_H
#define SL_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include "arena.h"
#include "buf.h"
#include "error.h"

typedef enum sl_kind {
    SL_NULL = 0,        /* the type of a bare NULL literal before it is coerced */
    SL_BOOLEAN,
    SL_INT,             /* 32-bit */
    SL_BIGINT,          /* 64-bit */
    SL_DOUBLE,
    SL_DECIMAL,         /* precision, scale */
    SL_STRING,          /* VARCHAR is the same type */
    SL_BYTES,
    SL_TIMESTAMP,       /* milliseconds since the epoch, UTC */
    SL_DATE,            /* days since the epoch */
    SL_TIME,            /* milliseconds since midnight */
    SL_ARRAY,           /* elem */
    SL_MAP,             /* keys are STRING in ksqlDB; key and value kept for generality */
    SL_STRUCT,          /* ordered named fields */
    SL_KIND_COUNT
} sl_kind;

#define SL_DECIMAL_MAX_PRECISION 38

typedef struct sl_type sl_type;

typedef struct sl_field {
    const char *name;           /* as written: upper-cased unless it was quoted */
    const sl_type *type;
} sl_field;

struct sl_type {
    sl_kind kind;
    uint8_t precision;          /* DECIMAL */
    uint8_t scale;              /* DECIMAL */
    const sl_type *key;         /* MAP key */
    const sl_type *elem;        /* ARRAY element, MAP value */
    int nfields;                /* STRUCT */
    const sl_field *fields;     /* STRUCT */
};

extern const sl_type SL_TYPE_NULL;
extern const sl_type SL_TYPE_BOOLEAN;
extern const sl_type SL_TYPE_INT;
extern const sl_type SL_TYPE_BIGINT;
extern const sl_type SL_TYPE_DOUBLE;
extern const sl_type SL_TYPE_STRING;
extern const sl_type SL_TYPE_BYTES;
extern const sl_type SL_TYPE_TIMESTAMP;
extern const sl_type SL_TYPE_DATE;
extern const sl_type SL_TYPE_TIME;

/* Primitive singleton for a kind without parameters, NULL otherwise. */
const sl_type *sl_type_primitive(sl_kind k);
const sl_type *sl_type_decimal(sl_arena *a, int precision, int scale);
const sl_type *sl_type_array(sl_arena *a, const sl_type *elem);
const sl_type *sl_type_map(sl_arena *a, const sl_type *key, const sl_type *value);
/* Copies the fields array (names are not copied: they must outlive the type). */
const sl_type *sl_type_struct(sl_arena *a, const sl_field *fields, int nfields);
/* Deep copy into another arena (names included). */
const sl_type *sl_type_copy(sl_arena *a, const sl_type *t);

bool sl_type_equal(const sl_type *a, const sl_type *b);
bool sl_type_is_numeric(const sl_type *t);    /* INT BIGINT DECIMAL DOUBLE */
const char *sl_kind_name(sl_kind k);          /* "INTEGER", "BIGINT", "VARCHAR"... as ksqlDB prints */
/* ksqlDB's spelling: INTEGER, BIGINT, DECIMAL(10, 2), ARRAY<VARCHAR>, MAP<VARCHAR, INTEGER>,
 * STRUCT<`A` INTEGER, ...> */
void sl_type_format(sl_buf *out, const sl_type *t);
const char *sl_type_str(sl_arena *a, const sl_type *t);

/* The DECIMAL type that holds every value of an INT (10,0) or BIGINT (19,0). */
const sl_type *sl_type_as_decimal(sl_arena *a, const sl_type *t);

/*
 * Implicit conversion (function arguments, comparisons, arithmetic, INSERT):
 * true when `from` widens to `to` without a CAST: same type, NULL to anything,
 * INT -> BIGINT -> DECIMAL -> DOUBLE, DECIMAL(p,s) to a DECIMAL that holds it,
 * and element-wise for ARRAY / MAP / STRUCT.
 */
bool sl_type_widens_to(const sl_type *from, const sl_type *to);
/* The common type two operands widen to (CASE branches, IN lists, ARRAY[...]),
 * or NULL when there is none. */
const sl_type *sl_type_common(sl_arena *a, const sl_type *x, const sl_type *y);
/* Whether CAST(from AS to) is allowed by ksqlDB's rules. */
bool sl_type_castable(const sl_type *from, const sl_type *to);

#endif
