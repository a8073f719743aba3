/*
 * kafka.h: opening the Kafka implementation of the log interface (log/log.h).
 *
 * Does: the constructor and its options. Everything else goes through the
 * sl_log_* functions of log.h; log/kafka.c says where Kafka's semantics
 * differ from the embedded log's (offsets known only after delivery,
 * at-least-once commits, waits woken only by this process's commits).
 * Does not: read configuration files or environment variables (the CLI
 * does), or expose any librdkafka type.
 */
#ifndef SL_LOG_KAFKA_H
#define SL_LOG_KAFKA_H

#include "log/log.h"

typedef struct sl_log_kafka_opts {
    const char *bootstrap_servers;  /* "host:port,...": required */
    const char *client_id;          /* client.id; NULL: "sluice" */
    /* librdkafka client properties, passed through: props[2*i] is a name,
     * props[2*i+1] its value, for i < n_props. A name starting with
     * "producer." or "consumer." applies (without the prefix) only to the
     * producer or only to the consumers; others apply to every client.
     * Properties that load code or run commands (plugin.library.paths,
     * sasl.kerberos.kinit.cmd, ssl.engine.location, ssl.providers) are
     * refused, as are unknown names and invalid values. */
    const char *const *props;
    int n_props;
    int timeout_ms;                 /* metadata, admin requests, offset commits and
                                       the first fetch of a read; <= 0: 30000 */
    int16_t replication_factor;     /* for topics this log creates; <= 0: the
                                       broker's default.replication.factor */
} sl_log_kafka_opts;

/*
 * Connects to the cluster (a metadata request must answer within
 * timeout_ms) and returns the log. NULL with err filled on a refused or
 * invalid property, or when the bootstrap servers do not answer. Close
 * with sl_log_close.
 */
sl_log *sl_log_open_kafka(const sl_log_kafka_opts *o, sl_error *err);

/* Whether a librdkafka property name is refused because setting it loads
 * code or runs a command (plugin.library.paths, sasl.kerberos.kinit.cmd,
 * ssl.engine.location, ssl.providers; "producer."/"consumer." prefixes
 * included). For the configuration layers (SET, WITH, config file) to give
 * the same answer. */
bool sl_log_kafka_property_refused(const char *name);

#endif
