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

/*
 * `sluice dev-broker` (librdkafka's mock cluster, which takes no Admin
 * requests) names its control endpoint by a topic it creates at start:
 * this prefix, then the control port on 127.0.0.1. Facing a cluster
 * without a controller whose brokers are all on 127.0.0.1, the log creates
 * topics there by sending `topic NAME PARTITIONS` to that port.
 */
#define SL_LOG_KAFKA_DEV_CONTROL_TOPIC "_sluice-dev-broker-control-"

/* transaction.timeout.ms of the transactional producers (exactly-once):
 * the broker aborts a transaction open longer, so commits must come
 * sooner (the engine refuses a commit.interval.ms at or above it). */
#define SL_LOG_KAFKA_TXN_TIMEOUT_MS 10000

/* The default bound on opening: a cluster that has not answered by then
 * is reported unreachable. */
#define SL_LOG_KAFKA_CONNECT_TIMEOUT_MS 5000

typedef struct sl_log_kafka_opts {
    const char *bootstrap_servers;  /* "host:port,...": required */
    const char *client_id;          /* client.id; NULL: "sluice" */
    /* librdkafka client properties, passed through: props[2*i] is a name,
     * props[2*i+1] its value, for i < n_props. A name starting with
     * "producer." or "consumer." applies (without the prefix) only to the
     * producer or only to the consumers; others apply to every client.
     * Properties that load code or run commands (sl_log_kafka_refusal)
     * are refused, as are unknown names and invalid values. Which names
     * may come from users at all is engine/config.h's allowlist. */
    const char *const *props;
    int n_props;
    int timeout_ms;                 /* metadata, admin requests, offset commits and
                                       the first fetch of a read; <= 0: 30000 */
    int connect_timeout_ms;         /* how long opening waits for the cluster to
                                       answer; <= 0: SL_LOG_KAFKA_CONNECT_TIMEOUT_MS */
    int log_level;                  /* librdkafka's log lines shown on stderr: 3
                                       errors (each distinct one once), 4 warnings
                                       too, 6 informational, 7 everything
                                       (debug); <= 0: 3 */
    int16_t replication_factor;     /* for topics this log creates; <= 0: the
                                       broker's default.replication.factor */
    /* State keyspaces (log/kafka_state.c): a local RocksDB database,
     * opened (and restored from the changelogs) by the first raw operation,
     * changelogged to compacted topics _sluice-SERVICE_ID-QUERY-changelog. */
    const char *service_id;         /* ksql.service.id; NULL or "": "default_";
                                       1 to 200 of [A-Za-z0-9._-], else opening
                                       fails */
    const char *state_dir;          /* the local state directory; NULL or "":
                                       DATA_DIR/kafka-state/SERVICE_ID */
    const char *data_dir;           /* DATA_DIR above; NULL or "": ./sluice-data */
    /* processing.guarantee = exactly_once_v2: every sl_log transaction is a
     * Kafka transaction (records, changelog records and positions commit
     * or abort together) and every consumer reads read_committed. Opening
     * fences (aborts, and locks out) an earlier producer with the same
     * transactional id: one process per data directory; workers of one
     * service are told apart by the TAG below, and a worker whose
     * partitions moved on is fenced by its consumer group's generation. */
    bool exactly_once;
    const char *transactional_id;   /* base of the producers' transactional.id
                                       (a suffix -N per concurrently open
                                       transaction); NULL or "":
                                       "sluice-SERVICE_ID-TAG", TAG a random
                                       id kept in DATA_DIR/kafka-worker-id
                                       (made, with DATA_DIR, at the first
                                       start; opening fails when it cannot
                                       be kept), so workers of one service
                                       (one data directory each) do not
                                       fence each other, and a restarted one
                                       fences what it left open */
} sl_log_kafka_opts;

/*
 * Connects to the cluster (a metadata request must answer within
 * connect_timeout_ms) and returns the log. NULL with err filled on a
 * refused or invalid property, or when the bootstrap servers do not answer
 * ("cannot reach Kafka at HOSTS: REASON", REASON being librdkafka's last
 * error, e.g. "Connection refused"; sl_log_kafka_unreachable tells that
 * case). Close with sl_log_close.
 */
sl_log *sl_log_open_kafka(const sl_log_kafka_opts *o, sl_error *err);

/* Whether err is sl_log_open_kafka's "cannot reach Kafka" failure. */
bool sl_log_kafka_unreachable(const sl_error *err);

/* Whether a librdkafka property name is refused because setting it loads
 * code or runs a command (plugin.library.paths, sasl.kerberos.kinit.cmd,
 * ssl.engine.location, ssl.providers; "producer."/"consumer." prefixes
 * included). For the configuration layers (SET, WITH, config file) to give
 * the same answer. */
bool sl_log_kafka_property_refused(const char *name);
/* Why name = value is refused (a static string), or NULL when it is not:
 * the names above and their families (ssl.engine.*, sasl.kerberos.*, whose
 * values are substituted into the kinit shell command), and
 * sasl.mechanism(s) GSSAPI, which runs kinit. value may be NULL. */
const char *sl_log_kafka_refusal(const char *name, const char *value);

#endif
