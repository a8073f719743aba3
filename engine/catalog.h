/*
 * catalog.h: what a session knows by name.
 *
 * The catalog holds the streams and tables (their schema and the WITH
 * properties that say where and how their records are stored), the custom
 * types of CREATE TYPE, the session variables of DEFINE and the properties
 * of SET. It checks a CREATE / DROP statement the way ksqlDB does and names
 * the column, property or source at fault with its span.
 *
 * It does not run queries, create topics or persist anything: the journal
 * and the log backends arrive later. Until then a topic "exists" when the
 * topic lookup says so (by default: when a source of this catalog is backed
 * by it), so CREATE STREAM on a new topic needs PARTITIONS, as in ksqlDB.
 *
 * Ownership: every entry (source, type, variable, property) owns an arena
 * with everything it points to, freed when the entry is dropped or replaced
 * and when the catalog is freed. Pointers returned by the lookups stay
 * valid until the entry is dropped or replaced.
 */
#ifndef SL_CATALOG_H
#define SL_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include "arena.h"
#include "error.h"
#include "schema.h"
#include "types.h"
#include "../grammar/ast.h"

typedef struct sl_catalog sl_catalog;

/* One WITH property as written (name upper-cased, value as text). */
typedef struct sl_catalog_prop {
    const char *name;
    const char *value;
} sl_catalog_prop;

typedef struct sl_source {
    const char *name;
    bool is_table;
    bool is_source;             /* CREATE SOURCE STREAM|TABLE: read-only */
    sl_schema schema;           /* key columns, value columns, headers */
    const char *kafka_topic;
    const char *key_format;     /* upper case: KAFKA, JSON, ... NONE */
    const char *value_format;
    int partitions;             /* -1: not given (topic existed) */
    int replicas;               /* -1: not given */
    int64_t retention_ms;       /* -1: not given */
    const char *timestamp;      /* TIMESTAMP column or NULL */
    const char *timestamp_format;
    const char *value_delimiter;/* DELIMITED: the one delimiter character as text */
    int wrap_single_value;      /* -1 unset, 0 false, 1 true */
    const char *window_type;    /* WINDOW_TYPE or NULL */
    int64_t window_size_ms;     /* WINDOW_SIZE of TUMBLING / HOPPING, else 0 */
    const char *statement;      /* the CREATE text */
    bool materialized;          /* a persistent query writes it (CREATE ... AS SELECT):
                                   pull queries read the rows its sink materializes */
    const sl_catalog_prop *props;   /* every WITH property, as written */
    int nprops;
    const char *const *type_refs;   /* CREATE TYPE aliases its columns used */
    int ntype_refs;
} sl_source;

typedef struct sl_custom_type {
    const char *name;
    const sl_type *type;
    const char *const *type_refs;   /* other aliases it was written with */
    int ntype_refs;
} sl_custom_type;

/* Partitions of an existing topic, or -1 when the topic does not exist. */
typedef int (*sl_topic_lookup)(void *ud, const char *topic);

sl_catalog *sl_catalog_new(void);
void sl_catalog_free(sl_catalog *c);               /* accepts NULL */
/* Replaces the default topic lookup (the topics of the catalog's sources). */
void sl_catalog_set_topic_lookup(sl_catalog *c, sl_topic_lookup fn, void *ud);
int sl_catalog_topic_partitions(const sl_catalog *c, const char *topic);

/* ---- streams and tables ---- */

typedef enum sl_create_result { SL_CREATED, SL_REPLACED, SL_EXISTED } sl_create_result;

/*
 * Checks and adds a CREATE [OR REPLACE] [SOURCE] STREAM|TABLE with columns
 * (stmt kind SL_S_CREATE_SOURCE). Nothing is copied by reference from the
 * statement: the entry owns its memory. *res says what happened (IF NOT
 * EXISTS on an existing name: SL_EXISTED, nothing changed). OR REPLACE
 * keeps what stored records depend on: the topic, the formats, the key and
 * header columns, the window and TIMESTAMP; value columns may only be
 * appended at the end. Otherwise the error says what differs and the old
 * entry stays.
 */
int sl_catalog_create_source(sl_catalog *c, const sl_stmt *st, sl_create_result *res,
                             sl_error *err);
/* DROP STREAM|TABLE [IF EXISTS]: *dropped false when IF EXISTS found nothing. */
int sl_catalog_drop_source(sl_catalog *c, const sl_stmt *st, bool *dropped, sl_error *err);
const sl_source *sl_catalog_find_source(const sl_catalog *c, const char *name);
/*
 * Marks source `name` as written by a persistent query (sl_source.materialized).
 * The flag is not part of the CREATE text: whoever replays a journal sets it
 * again when it replays the CREATE ... AS SELECT. -1 when there is no such source.
 */
int sl_catalog_set_materialized(sl_catalog *c, const char *name, bool on);
int sl_catalog_source_count(const sl_catalog *c);
const sl_source *sl_catalog_source_at(const sl_catalog *c, int i);    /* sorted by name */

/*
 * Checks the WITH clause of a CREATE ... AS SELECT or INSERT INTO (no entry
 * is made): known property names and valid values.
 */
int sl_catalog_check_sink_props(const sl_catalog *c, const sl_stmt *st, sl_error *err);

/* ---- custom types ---- */

/* CREATE TYPE [IF NOT EXISTS] name AS type. */
int sl_catalog_create_type(sl_catalog *c, const sl_stmt *st, sl_create_result *res,
                           sl_error *err);
int sl_catalog_drop_type(sl_catalog *c, const sl_stmt *st, bool *dropped, sl_error *err);
const sl_type *sl_catalog_find_type(const sl_catalog *c, const char *name);
/* An sl_type_lookup (expr.h) over the catalog's types: ud is the catalog. */
const sl_type *sl_catalog_type_lookup(void *ud, const char *name);
int sl_catalog_type_count(const sl_catalog *c);
const sl_custom_type *sl_catalog_type_at(const sl_catalog *c, int i);  /* sorted by name */

/* ---- variables (DEFINE); names are case-insensitive ---- */

int sl_catalog_define(sl_catalog *c, const char *name, const char *value, sl_error *err);
bool sl_catalog_undefine(sl_catalog *c, const char *name);   /* false: was not defined */
const char *sl_catalog_variable(const sl_catalog *c, const char *name);
int sl_catalog_variable_count(const sl_catalog *c);
/* i-th variable, sorted by name; the name is returned in *name. */
const char *sl_catalog_variable_at(const sl_catalog *c, int i, const char **name);

/* ---- properties (SET / UNSET) ---- */

typedef struct sl_property_info {
    const char *name;           /* lower case, e.g. "auto.offset.reset" */
    const char *def;            /* default value, NULL: none */
    const char *doc;
} sl_property_info;

/* The properties sluice knows, with their defaults. NULL-name terminated. */
const sl_property_info *sl_catalog_known_properties(void);
/* Why a known property does nothing in this build yet, or NULL when it is honoured. */
const char *sl_catalog_property_not_yet(const char *name);
/* Validates and sets; span locates the value for errors. */
int sl_catalog_set_property(sl_catalog *c, const char *name, const char *value, sl_span span,
                            sl_error *err);
/* Returns the value it had, or NULL when it was not set (nothing changes then). */
const char *sl_catalog_unset_property(sl_catalog *c, const char *name, sl_arena *a);
/* The effective value: the SET value, else the default, else NULL. */
const char *sl_catalog_property(const sl_catalog *c, const char *name);
/* Whether the property was SET in this session. */
bool sl_catalog_property_is_set(const sl_catalog *c, const char *name);
int sl_catalog_property_count(const sl_catalog *c);   /* the SET ones */
const char *sl_catalog_property_at(const sl_catalog *c, int i, const char **name);

#endif
