/*
 * config.h: sluice's configuration, in layers with one precedence.
 *
 * Does: collects properties from four layers, highest first: the command
 * line (--bootstrap-servers, --data-dir, ...), SLUICE_* environment
 * variables, a properties file (--config-file, else $SLUICE_CONFIG_FILE),
 * and the built-in defaults. A value set by a higher layer is never
 * replaced by a lower one, whatever order the layers are loaded in. Every
 * value remembers where it came from ("app.properties:12", "environment
 * variable SLUICE_SERVICE_ID", "--bootstrap-servers"), so errors name it.
 *
 * Keys are ksqlDB's (bootstrap.servers, ksql.service.id, ksql.streams.*)
 * and fall in three kinds:
 *  - sluice's own settings (SL_CFG_CORE): bootstrap.servers,
 *    ksql.service.id, sluice.data.dir, sluice.kafka.*;
 *  - engine properties (SL_CFG_ENGINE): the ones SET accepts and the engine
 *    knows (auto.offset.reset, cache.max.bytes.buffering, ...), also
 *    written ksql.streams.NAME; they become every session's defaults;
 *  - librdkafka client properties (SL_CFG_KAFKA) from an allowlist
 *    (security.protocol, ssl.*, sasl.* for PLAIN / SCRAM / OAUTHBEARER,
 *    client tuning), also prefixed producer. / consumer. (one kind of
 *    client only) or ksql.streams.; passed to log/kafka.h as they are.
 * Properties that load code or run commands (plugin.library.paths,
 * ssl.engine.*, ssl.providers, sasl.kerberos.*, sasl.mechanism GSSAPI) are
 * refused with an error naming the property and where it came from,
 * whatever the layer. A key of none of the kinds is a warning (written to
 * the warning stream) and is ignored.
 *
 * Environment: SLUICE_BOOTSTRAP_SERVERS, SLUICE_SERVICE_ID,
 * SLUICE_DATA_DIR, SLUICE_CONFIG_FILE (the file, when no --config-file),
 * and SLUICE_PROP_<NAME> for any other key: NAME lower-cased, "_" read as
 * ".", "__" as "_" and "___" as "-" (SLUICE_PROP_SECURITY_PROTOCOL is
 * security.protocol). Empty variables count as unset.
 *
 * Does not: open anything (engine/engine.c opens the log with what is
 * here), or act on SET (the executor asks sl_config_check_property).
 *
 * Ownership: the config owns every string it returns; they live until the
 * next sl_config_set on the same config or sl_config_free.
 */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include "error.h"

typedef struct sl_config sl_config;

/* The layers, lowest first. */
typedef enum sl_config_layer {
    SL_CFG_DEFAULTS = 0,
    SL_CFG_FILE,
    SL_CFG_ENV,
    SL_CFG_CLI
} sl_config_layer;

typedef enum sl_config_kind {
    SL_CFG_CORE,        /* sluice's own settings */
    SL_CFG_ENGINE,      /* session property defaults (as SET) */
    SL_CFG_KAFKA        /* librdkafka client properties */
} sl_config_kind;

/* The keys of sluice's own settings. */
#define SL_CFG_BOOTSTRAP "bootstrap.servers"
#define SL_CFG_SERVICE_ID "ksql.service.id"
#define SL_CFG_DATA_DIR "sluice.data.dir"
#define SL_CFG_CONNECT_TIMEOUT "sluice.kafka.connect.timeout.ms"
#define SL_CFG_KAFKA_TIMEOUT "sluice.kafka.timeout.ms"
#define SL_CFG_KAFKA_LOG_LEVEL "sluice.kafka.log.level"
#define SL_CFG_REPLICATION "sluice.kafka.replication.factor"
/* a worker to run statements on instead of an engine here (sluice migrate) */
#define SL_CFG_SERVER_URL "server.url"
#define SL_CFG_SERVER_AUTH "server.auth"          /* USER:PASSWORD for its basic auth */
#define SL_CFG_SERVER_CACERT "server.cacert"      /* the CA that signed its certificate */

#define SL_CFG_DEFAULT_SERVICE_ID "default_"

/* An empty configuration; warnings go to warn (NULL: stderr). */
sl_config *sl_config_new(FILE *warn);
void sl_config_free(sl_config *c);     /* accepts NULL */

/*
 * Sets name = value in a layer; `where` says where it came from. Ignored
 * (0) when a higher layer set the name already. -1 with err (naming the
 * property and `where`) when the property is refused or its value is
 * invalid; 0 with a warning when the key is unknown.
 */
int sl_config_set(sl_config *c, sl_config_layer layer, const char *name, const char *value,
                  const char *where, sl_error *err);

/* Reads a Java properties file into layer SL_CFG_FILE ("key=value",
 * "key: value" or "key value"; # and ! comments; a backslash at the end of
 * a line continues it; \t \n \r \f \uXXXX and \\ escapes; values trimmed).
 * -1 with err on an unreadable file or a bad entry (file:line). */
int sl_config_load_file(sl_config *c, const char *path, sl_error *err);
/* Parses text as such a file; `name` names it in errors. */
int sl_config_load_text(sl_config *c, const char *text, size_t len, const char *name,
                        sl_error *err);
/* Reads the SLUICE_* variables of envp (NULL-terminated "NAME=value"
 * strings; NULL: the process's environment) into layer SL_CFG_ENV. */
int sl_config_load_env(sl_config *c, char *const *envp, sl_error *err);
/*
 * What every subcommand does after parsing its options into SL_CFG_CLI:
 * the environment, then the file (config_file, else $SLUICE_CONFIG_FILE
 * from envp; none: no file).
 */
int sl_config_load_layers(sl_config *c, const char *config_file, char *const *envp,
                          sl_error *err);

/* The value of name, or NULL when no layer set it. */
const char *sl_config_get(const sl_config *c, const char *name);
/* Where the value of name came from, or NULL. */
const char *sl_config_where(const sl_config *c, const char *name);
/* The service id (ksql.service.id, default "default_"). */
const char *sl_config_service_id(const sl_config *c);
/* An integer setting, or def when unset (values were checked when set). */
long long sl_config_int(const sl_config *c, const char *name, long long def);

/* Every value set, in the order first set: *name, *value and *where. */
int sl_config_count(const sl_config *c);
sl_config_kind sl_config_at(const sl_config *c, int i, const char **name, const char **value,
                            const char **where);

/* The librdkafka properties as name/value pairs (pairs[2*i], pairs[2*i+1]),
 * for sl_log_kafka_opts.props; returns their count. */
int sl_config_kafka_props(sl_config *c, const char *const **pairs);

/* Fills the Kafka log's options from c: bootstrap servers, properties,
 * timeouts, log level, replication factor and service id (pointers into
 * c). Other fields are left as they are. */
struct sl_log_kafka_opts;
void sl_config_kafka_opts(sl_config *c, struct sl_log_kafka_opts *ko);

/*
 * For SET (and any other place a property name arrives): -1 with err when
 * the property is refused because it loads code or runs a command
 * (`where` names the place, e.g. "SET"; span goes into err), else 0.
 */
int sl_config_check_property(const char *name, const char *value, const char *where,
                             sl_span span, sl_error *err);

#endif
