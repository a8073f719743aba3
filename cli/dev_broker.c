/*
 * dev_broker.c: `sluice dev-broker`, librdkafka's mock cluster as a Kafka
 * endpoint for development and for fault-injection tests.
 *
 * Does: starts a mock cluster of N brokers listening on 127.0.0.1 (ports
 * chosen by the system), prints "BOOTSTRAP=127.0.0.1:PORT,..." and
 * "CONTROL=127.0.0.1:PORT" and serves, until SIGINT / SIGTERM (or the
 * `shutdown` command; exit 0), a control endpoint: a line protocol over
 * TCP on 127.0.0.1, one command per line, each answered by one line, "ok"
 * or "error: REASON" (`help` lists the commands). It creates topics (the
 * mock has no Admin API) and injects faults: brokers down and up, leader
 * moves, request errors, round-trip delays. With --port P, a relay on
 * 127.0.0.1:P forwards connections to a broker that is up, so clients can
 * keep a fixed bootstrap address (the mock's own ports change per run;
 * clients then connect to the brokers the metadata names).
 * The mock takes no CreateTopics, so at start it also creates the topic
 * _sluice-dev-broker-control-PORT naming the control port: sluice, facing
 * a cluster without a controller, finds it in the metadata and creates
 * the topics of its statements with `topic` (log/kafka.c). The processing
 * log and the command topic of one service id (--service-id, default
 * "default_") are created at start too, for clients that do not.
 *
 * Does not: persist anything (records live in memory, about 5 MiB per
 * partition, oldest dropped first), answer Admin requests (CreateTopics,
 * DeleteTopics, DescribeConfigs), listen beyond 127.0.0.1, or give
 * transactions Kafka's semantics. Consumer-group rebalances wait for
 * session.timeout.ms. One thread: the poll loop below; the mock cluster
 * runs its own.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli/cli.h"
#include "log/kafka.h"

enum {
    MAX_BROKERS = 16,
    MAX_CLIENTS = 32,           /* control connections at once */
    MAX_RELAYS = 64,            /* relayed connections at once (--port) */
    LINE_MAX_BYTES = 1024,      /* a longer command line closes the connection */
    RELAY_CHUNK = 65536,
    POLL_MS = 200,              /* how often the loop looks at the stop flag */
    MAX_TOPIC_NAME = 249,
    MAX_PARTITIONS = 10000,
    MAX_API_KEY = 99            /* Kafka's request keys stay below this */
};

static const char dev_broker_usage[] =
    "usage: sluice dev-broker [options]\n"
    "\n"
    "Runs librdkafka's mock Kafka cluster on 127.0.0.1 until SIGINT/SIGTERM,\n"
    "prints BOOTSTRAP=HOST:PORT,... and CONTROL=HOST:PORT, and serves control\n"
    "commands there (one per line, answered by 'ok' or 'error: ...'):\n"
    "  topic NAME PARTITIONS [REPLICAS]   create a topic (the mock has no Admin API;\n"
    "                                     sluice finds this endpoint and creates its own)\n"
    "  down BROKER | up BROKER            a broker stops / resumes taking connections\n"
    "                                     (BROKER: 1..N, or -1 for all)\n"
    "  leader TOPIC PARTITION BROKER      move a partition's leader (-1: none)\n"
    "  errors API COUNT CODE              the next COUNT requests of API fail with CODE\n"
    "                                     (API: produce, fetch, metadata, ... or a number;\n"
    "                                     CODE: a Kafka error name or number)\n"
    "  clear API                          forget the errors pushed for API\n"
    "  rtt BROKER MS                      delay a broker's responses\n"
    "  help, quit (close this connection), shutdown (stop the dev broker)\n"
    "\n"
    "options:\n"
    "  -b, --brokers N          brokers in the cluster, 1 to 16 (default 1)\n"
    "  -p, --port P             also take bootstrap connections on 127.0.0.1:P\n"
    "                           (relayed to a broker that is up)\n"
    "  -c, --control-port C     the control endpoint's port (default: any free one)\n"
    "  -s, --service-id ID      create the command topic of this ksql.service.id\n"
    "                           and its processing log (default default_)\n"
    "  -h, --help               show this help\n"
    "\n"
    "Limits: records are kept in memory, about 5 MiB per partition (the oldest\n"
    "are dropped); no Admin API (sluice creates its topics through 'topic'; other\n"
    "clients create them with 'topic'; topics cannot be deleted); rebalances\n"
    "wait for session.timeout.ms; transactions are not Kafka's.\n";

/* One control connection: bytes received up to the next newline. */
typedef struct client {
    int fd;                     /* -1: slot free */
    size_t len;
    char line[LINE_MAX_BYTES];
} client;

/* One relayed connection: a user's socket and the broker's. */
typedef struct relay {
    int user;                   /* -1: slot free */
    int broker;
} relay;

typedef struct dev {
    rd_kafka_t *rk;             /* owns the mock cluster's bookkeeping */
    rd_kafka_mock_cluster_t *mc;
    int nbrokers;
    int broker_port[MAX_BROKERS + 1];   /* by broker id (1..nbrokers) */
    bool broker_up[MAX_BROKERS + 1];    /* as set through `down` / `up` */
    int control_fd;
    int relay_fd;               /* --port's listener, or -1 */
    client clients[MAX_CLIENTS];
    relay relays[MAX_RELAYS];
    bool shutdown;              /* `shutdown` was asked for */
} dev;

/* ---- sockets ---- */

/* A TCP listener on 127.0.0.1:port (0: any free port); -1 with the reason
 * printed. *bound gets the port. */
static int listen_local(int port, int *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "sluice dev-broker: socket: %s\n", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
    socklen_t slen = sizeof sin;
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &slen) < 0) {
        fprintf(stderr, "sluice dev-broker: cannot listen on 127.0.0.1:%d: %s\n", port,
                strerror(errno));
        close(fd);
        return -1;
    }
    *bound = ntohs(sin.sin_port);
    return fd;
}

static int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Writes all of buf; false when the peer is gone. Blocking: control
 * answers are short and Kafka's protocol is request / response, so
 * neither side leaves a relay's socket full for long. */
static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* ---- the mock cluster ---- */

/* The broker ports from the mock's bootstrap list "127.0.0.1:P1,..." (in
 * broker id order). */
static bool parse_bootstraps(dev *d, const char *list)
{
    const char *p = list;
    for (int id = 1; id <= d->nbrokers; id++) {
        const char *colon = p ? strchr(p, ':') : NULL;
        if (!colon)
            return false;
        d->broker_port[id] = atoi(colon + 1);
        d->broker_up[id] = true;
        p = strchr(colon, ',');
        if (p)
            p++;
    }
    return true;
}

static bool cluster_start(dev *d)
{
    char es[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "3", es, sizeof es) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "client.id", "sluice-dev-broker", es, sizeof es) !=
            RD_KAFKA_CONF_OK) {
        fprintf(stderr, "sluice dev-broker: %s\n", es);
        rd_kafka_conf_destroy(conf);
        return false;
    }
    d->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof es);   /* takes conf */
    if (!d->rk) {
        fprintf(stderr, "sluice dev-broker: %s\n", es);
        return false;
    }
    d->mc = rd_kafka_mock_cluster_new(d->rk, d->nbrokers);
    if (!d->mc || !parse_bootstraps(d, rd_kafka_mock_cluster_bootstraps(d->mc))) {
        fprintf(stderr, "sluice dev-broker: librdkafka could not start the mock cluster\n");
        return false;
    }
    return true;
}

/* The topic that tells sluice where the control endpoint is (log/kafka.h),
 * and the topics sluice opens before any statement runs (engine/engine.c):
 * the command topic of the service and the processing log, one partition
 * each (for clients that do not look for the control endpoint). */
static bool create_sluice_topics(dev *d, const char *service_id, int control_port)
{
    char command[MAX_TOPIC_NAME + 1], plog[MAX_TOPIC_NAME + 1], control[64];
    int n = snprintf(command, sizeof command, "_sluice-%s-command", service_id);
    int m = snprintf(plog, sizeof plog, "%ssluice_processing_log", service_id);
    snprintf(control, sizeof control, SL_LOG_KAFKA_DEV_CONTROL_TOPIC "%d", control_port);
    const char *names[] = {control, command, plog};
    if (n >= (int)sizeof command || m >= (int)sizeof plog) {
        fprintf(stderr, "sluice dev-broker: --service-id '%s' is too long\n", service_id);
        return false;
    }
    for (int i = 0; i < 3; i++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(d->mc, names[i], 1, 1);
        if (e) {
            fprintf(stderr, "sluice dev-broker: cannot create topic %s: %s\n", names[i],
                    rd_kafka_err2str(e));
            return false;
        }
    }
    return true;
}

static void cluster_stop(dev *d)
{
    if (d->mc)
        rd_kafka_mock_cluster_destroy(d->mc);
    if (d->rk)
        rd_kafka_destroy(d->rk);
}

/* ---- control commands ---- */

typedef struct reply {
    char text[512];             /* "ok" or "error: ..." */
} reply;

static void ok(reply *r) { snprintf(r->text, sizeof r->text, "ok"); }

__attribute__((format(printf, 2, 3)))
static void fail(reply *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(r->text, sizeof r->text, "error: ");
    vsnprintf(r->text + n, sizeof r->text - (size_t)n, fmt, ap);
    va_end(ap);
}

/* ok, or the mock's error in r. */
static void answer(reply *r, rd_kafka_resp_err_t e)
{
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        ok(r);
    else
        fail(r, "%s (%s)", rd_kafka_err2str(e), rd_kafka_err2name(e));
}

static bool valid_topic(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_TOPIC_NAME || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* A broker id of the cluster, or -1 (all / none) when allow_all. */
static bool broker_arg(const dev *d, const char *s, bool allow_all, int32_t *id, reply *r)
{
    int64_t v;
    if (sl_cli_parse_int(s, allow_all ? -1 : 1, d->nbrokers, &v) && v != 0) {
        *id = (int32_t)v;
        return true;
    }
    fail(r, "no broker '%s' (brokers are 1 to %d%s)", s, d->nbrokers,
         allow_all ? ", -1 for all" : "");
    return false;
}

/* Kafka protocol request keys by name, for `errors` and `clear`. */
static const struct {
    const char *name;
    int16_t key;
} api_names[] = {
    {"produce", 0},        {"fetch", 1},        {"listoffsets", 2},
    {"metadata", 3},       {"offsetcommit", 8}, {"offsetfetch", 9},
    {"findcoordinator", 10}, {"joingroup", 11}, {"heartbeat", 12},
    {"leavegroup", 13},    {"syncgroup", 14},   {"apiversions", 18},
    {"initproducerid", 22}, {"addpartitionstotxn", 24}, {"endtxn", 26},
};

static bool api_arg(const char *s, int16_t *key, reply *r)
{
    for (size_t i = 0; i < sizeof api_names / sizeof api_names[0]; i++)
        if (!strcasecmp(s, api_names[i].name)) {
            *key = api_names[i].key;
            return true;
        }
    int64_t v;
    if (sl_cli_parse_int(s, 0, MAX_API_KEY, &v)) {
        *key = (int16_t)v;
        return true;
    }
    fail(r, "no API '%s' (a request key number, or produce, fetch, metadata, listoffsets, "
         "offsetcommit, offsetfetch, findcoordinator, ...)", s);
    return false;
}

/* A Kafka error code by number or by name (NOT_LEADER_FOR_PARTITION, with
 * or without RD_KAFKA_RESP_ERR_; librdkafka's own as _TRANSPORT). */
static bool code_arg(const char *s, rd_kafka_resp_err_t *code, reply *r)
{
    const struct rd_kafka_err_desc *descs;
    size_t n;
    rd_kafka_get_err_descs(&descs, &n);
    if (!strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18))
        s += 18;
    int64_t v;
    bool num = sl_cli_parse_int(s, -200, 1000, &v);
    for (size_t i = 0; i < n; i++) {
        if (!descs[i].name || (int)descs[i].code == 0)
            continue;
        if (num ? descs[i].code == (int)v : !strcasecmp(descs[i].name, s)) {
            *code = descs[i].code;
            return true;
        }
    }
    fail(r, "no Kafka error '%s' (a name such as NOT_LEADER_FOR_PARTITION, or a number)", s);
    return false;
}

static void cmd_topic(dev *d, int argc, char **argv, reply *r)
{
    int64_t parts, replicas = 1;
    if (!valid_topic(argv[1])) {
        fail(r, "invalid topic name '%s': 1 to 249 characters of [A-Za-z0-9._-]",
             argv[1]);
        return;
    }
    if (!sl_cli_parse_int(argv[2], 1, MAX_PARTITIONS, &parts)) {
        fail(r, "the partition count must be 1 to %d, not '%s'", MAX_PARTITIONS,
             argv[2]);
        return;
    }
    if (argc > 3 && !sl_cli_parse_int(argv[3], 1, d->nbrokers, &replicas)) {
        fail(r, "the replica count must be 1 to %d (the brokers), not '%s'",
             d->nbrokers, argv[3]);
        return;
    }
    answer(r, rd_kafka_mock_topic_create(d->mc, argv[1], (int)parts, (int)replicas));
}

static void cmd_down(dev *d, int argc, char **argv, reply *r)
{
    int32_t id;
    if (!broker_arg(d, argv[1], true, &id, r))
        return;
    rd_kafka_resp_err_t e = rd_kafka_mock_broker_set_down(d->mc, id);
    for (int b = 1; !e && b <= d->nbrokers; b++)
        if (id == -1 || id == b)
            d->broker_up[b] = false;
    answer(r, e);
}

static void cmd_up(dev *d, int argc, char **argv, reply *r)
{
    int32_t id;
    if (!broker_arg(d, argv[1], true, &id, r))
        return;
    rd_kafka_resp_err_t e = rd_kafka_mock_broker_set_up(d->mc, id);
    for (int b = 1; !e && b <= d->nbrokers; b++)
        if (id == -1 || id == b)
            d->broker_up[b] = true;
    answer(r, e);
}

static void cmd_leader(dev *d, int argc, char **argv, reply *r)
{
    int64_t part;
    int32_t id;
    if (!valid_topic(argv[1])) {
        fail(r, "invalid topic name '%s'", argv[1]);
        return;
    }
    if (!sl_cli_parse_int(argv[2], 0, MAX_PARTITIONS - 1, &part)) {
        fail(r, "no partition '%s'", argv[2]);
        return;
    }
    if (!broker_arg(d, argv[3], true, &id, r))
        return;
    answer(r, rd_kafka_mock_partition_set_leader(d->mc, argv[1], (int32_t)part, id));
}

static void cmd_errors(dev *d, int argc, char **argv, reply *r)
{
    int16_t api;
    int64_t count;
    rd_kafka_resp_err_t code;
    if (!api_arg(argv[1], &api, r))
        return;
    if (!sl_cli_parse_int(argv[2], 1, 100000, &count)) {
        fail(r, "the count must be 1 to 100000, not '%s'", argv[2]);
        return;
    }
    if (!code_arg(argv[3], &code, r))
        return;
    rd_kafka_resp_err_t *codes = malloc((size_t)count * sizeof *codes);
    if (!codes) {
        fail(r, "out of memory");
        return;
    }
    for (int64_t i = 0; i < count; i++)
        codes[i] = code;
    rd_kafka_mock_push_request_errors_array(d->mc, api, (size_t)count, codes);
    free(codes);
    ok(r);
}

static void cmd_clear(dev *d, int argc, char **argv, reply *r)
{
    int16_t api;
    if (!api_arg(argv[1], &api, r))
        return;
    rd_kafka_mock_clear_request_errors(d->mc, api);
    ok(r);
}

static void cmd_rtt(dev *d, int argc, char **argv, reply *r)
{
    int32_t id;
    int64_t ms;
    if (!broker_arg(d, argv[1], true, &id, r))
        return;
    if (!sl_cli_parse_int(argv[2], 0, 600000, &ms)) {
        fail(r, "the delay must be 0 to 600000 ms, not '%s'", argv[2]);
        return;
    }
    answer(r, rd_kafka_mock_broker_set_rtt(d->mc, id, (int)ms));
}

static void cmd_help(dev *d, int argc, char **argv, reply *r);

static void cmd_shutdown(dev *d, int argc, char **argv, reply *r)
{
    d->shutdown = true;
    ok(r);
}

typedef struct command {
    const char *name;
    int min_args, max_args;     /* words after the name */
    void (*run)(dev *d, int argc, char **argv, reply *r);
    const char *args;
} command;

static const command commands[] = {
    {"topic", 2, 3, cmd_topic, "NAME PARTITIONS [REPLICAS]"},
    {"down", 1, 1, cmd_down, "BROKER"},
    {"up", 1, 1, cmd_up, "BROKER"},
    {"leader", 3, 3, cmd_leader, "TOPIC PARTITION BROKER"},
    {"errors", 3, 3, cmd_errors, "API COUNT CODE"},
    {"clear", 1, 1, cmd_clear, "API"},
    {"rtt", 2, 2, cmd_rtt, "BROKER MS"},
    {"shutdown", 0, 0, cmd_shutdown, ""},
    {"help", 0, 0, cmd_help, ""},
    {"quit", 0, 0, NULL, ""},       /* the loop closes the connection */
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void cmd_help(dev *d, int argc, char **argv, reply *r)
{
    int n = snprintf(r->text, sizeof r->text, "ok");
    for (int i = 0; i < NCOMMANDS && n < (int)sizeof r->text; i++)
        n += snprintf(r->text + n, sizeof r->text - (size_t)n, "%s %s%s%s", i ? ";" : ":",
                      commands[i].name, *commands[i].args ? " " : "", commands[i].args);
}

/* Runs one command line into r; false when the connection is to close. */
static bool execute(dev *d, char *line, reply *r)
{
    enum { MAX_WORDS = 8 };
    char *argv[MAX_WORDS];
    int argc = 0;
    for (char *save = NULL, *w = strtok_r(line, " \t\r", &save); w;
         w = strtok_r(NULL, " \t\r", &save)) {
        if (argc == MAX_WORDS) {
        fail(r, "too many words");
             return true;
             }
             argv[argc++] = w;
             }
             if (argc == 0) {
             fail(r, "empty command (try help)");
             return true;
             }
             for (int i = 0; i < NCOMMANDS; i++) {
             const command *c = &commands[i];
             if (strcasecmp(argv[0], c->name))
             continue;
             if (argc - 1 < c->min_args || argc - 1 > c->max_args) {
             fail(r, "usage: %s %s", c->name, c->args);
             return true;
             }
             if (!c->run) {
             ok(r);
             return false;
             }
             c->run(d, argc, argv, r);
             return true;
             }
             fail(r, "unknown command '%s' (try help)", argv[0]);
             return true;
             }
             
             /* ---- the poll loop ---- */
             
             static void client_close(client *c)
             {
             close(c->fd);
             c->fd = -1;
             c->len = 0;
             }
             
             static void accept_client(dev *d)
             {
             int fd = accept4(d->control_fd, NULL, NULL, SOCK_CLOEXEC);
             if (fd < 0)
             return;
             for (int i = 0; i < MAX_CLIENTS; i++)
             if (d->clients[i].fd < 0) {
             d->clients[i].fd = fd;
             d->clients[i].len = 0;
        return;
        }
    static const char busy[] = "error: too many control connections\n";
    write_all(fd, busy, sizeof busy - 1);
    close(fd);
}

/* Reads what the client sent and answers every complete line. */
static void serve_client(dev *d, client *c)
{
    ssize_t n = recv(c->fd, c->line + c->len, sizeof c->line - c->len, 0);
    if (n <= 0) {
        if (n < 0 && errno == EINTR)
            return;
        client_close(c);
        return;
    }
    c->len += (size_t)n;
    for (;;) {
        char *nl = memchr(c->line, '\n', c->len);
        if (!nl)
            break;
        *nl = '\0';
        reply r;
        bool keep = execute(d, c->line, &r);
        size_t used = (size_t)(nl + 1 - c->line);
        memmove(c->line, nl + 1, c->len - used);
        c->len -= used;
        size_t rl = strlen(r.text);
        if (rl > sizeof r.text - 2)
            rl = sizeof r.text - 2;     /* a truncated answer still ends its line */
        r.text[rl] = '\n';
        r.text[rl + 1] = '\0';
        if (!write_all(c->fd, r.text, strlen(r.text)) || !keep) {
            client_close(c);
            return;
        }
    }
    if (c->len == sizeof c->line) {
        static const char toolong[] = "error: line too long\n";
        write_all(c->fd, toolong, sizeof toolong - 1);
        client_close(c);
    }
}

/* --port: relays a new connection to the first broker that is up. */
static void accept_relay(dev *d)
{
    int fd = accept4(d->relay_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    int slot = -1;
    for (int i = 0; i < MAX_RELAYS && slot < 0; i++)
        if (d->relays[i].user < 0)
            slot = i;
    int b = -1;
    for (int id = 1; id <= d->nbrokers && b < 0 && slot >= 0; id++)
        if (d->broker_up[id])
            b = connect_local(d->broker_port[id]);
    if (b < 0) {            /* no slot, or no broker up: like a broker that is down */
        close(fd);
        return;
    }
    d->relays[slot].user = fd;
    d->relays[slot].broker = b;
}

static void relay_close(relay *rl)
{
    close(rl->user);
    close(rl->broker);
    rl->user = rl->broker = -1;
}

/* Moves what is readable on from to to; false when either side closed. */
static bool relay_pump(int from, int to)
{
    static char buf[RELAY_CHUNK];
    ssize_t n = recv(from, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
        return true;
    return n > 0 && write_all(to, buf, (size_t)n);
}

/* What a polled descriptor is. */
typedef enum { FD_CONTROL, FD_RELAY_LISTEN, FD_CLIENT, FD_RELAY } fd_kind;

static void run_loop(dev *d)
{
    enum { MAX_FDS = 2 + MAX_CLIENTS + 2 * MAX_RELAYS };
    struct pollfd fds[MAX_FDS];
    fd_kind kind[MAX_FDS];
    int slot[MAX_FDS];          /* the client's or relay's index */
    while (!sl_cli_stop && !d->shutdown) {
        int n = 0;
        fds[n] = (struct pollfd){.fd = d->control_fd, .events = POLLIN};
        kind[n++] = FD_CONTROL;
        if (d->relay_fd >= 0) {
            fds[n] = (struct pollfd){.fd = d->relay_fd, .events = POLLIN};
            kind[n++] = FD_RELAY_LISTEN;
        }
        for (int i = 0; i < MAX_CLIENTS; i++)
            if (d->clients[i].fd >= 0) {
                fds[n] = (struct pollfd){.fd = d->clients[i].fd, .events = POLLIN};
                kind[n] = FD_CLIENT;
                slot[n++] = i;
            }
        for (int i = 0; i < MAX_RELAYS; i++)
            if (d->relays[i].user >= 0) {
                fds[n] = (struct pollfd){.fd = d->relays[i].user, .events = POLLIN};
                kind[n] = FD_RELAY;
                slot[n++] = i;
                fds[n] = (struct pollfd){.fd = d->relays[i].broker, .events = POLLIN};
                kind[n] = FD_RELAY;
                slot[n++] = i;
            }
        if (poll(fds, (nfds_t)n, POLL_MS) <= 0)
            continue;   /* timeout, or a signal: look at the flags again */
        for (int i = 0; i < n; i++) {
            if (!fds[i].revents)
                continue;
            switch (kind[i]) {
            case FD_CONTROL:
                accept_client(d);
                break;
            case FD_RELAY_LISTEN:
                accept_relay(d);
                break;
            case FD_CLIENT:
                if (d->clients[slot[i]].fd == fds[i].fd)   /* not closed this round */
                    serve_client(d, &d->clients[slot[i]]);
                break;
            case FD_RELAY: {
                relay *rl = &d->relays[slot[i]];
                if (rl->user != fds[i].fd && rl->broker != fds[i].fd)
                    break;      /* closed earlier in this round */
                if (!relay_pump(fds[i].fd, rl->user == fds[i].fd ? rl->broker : rl->user))
                    relay_close(rl);
                break;
            }
            }
        }
    }
}

/* ---- the subcommand ---- */

static void print_endpoints(const dev *d, int port, int control_port)
{
    printf("BOOTSTRAP=");
    if (port > 0)
        printf("127.0.0.1:%d,", port);
    printf("%s\nCONTROL=127.0.0.1:%d\n", rd_kafka_mock_cluster_bootstraps(d->mc),
           control_port);
    fflush(stdout);
}

int sl_cli_dev_broker(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"port", required_argument, NULL, 'p'},
        {"control-port", required_argument, NULL, 'c'},
        {"service-id", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int64_t brokers = 1, port = 0, control_port = 0;
    const char *service_id = "default_";
    int c;
    while ((c = getopt_long(argc, argv, "b:p:c:s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            if (!sl_cli_parse_int(optarg, 1, MAX_BROKERS, &brokers)) {
                fprintf(stderr, "sluice dev-broker: --brokers wants 1 to %d, got '%s'\n",
                        MAX_BROKERS, optarg);
                return SL_CLI_USAGE;
            }
            break;
        case 'p':
        case 'c':
            if (!sl_cli_parse_int(optarg, 1, 65535, c == 'p' ? &port : &control_port)) {
                fprintf(stderr, "sluice dev-broker: --%s wants a port 1 to 65535, got '%s'\n",
                        c == 'p' ? "port" : "control-port", optarg);
                return SL_CLI_USAGE;
            }
            break;
        case 's':
            service_id = optarg;
            if (!*service_id || strspn(service_id, "abcdefghijklmnopqrstuvwxyz"
                                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                                     strlen(service_id)) {
                fprintf(stderr, "sluice dev-broker: --service-id wants letters, digits, "
                        "'.', '_' and '-', got '%s'\n", optarg);
                return SL_CLI_USAGE;
            }
            break;
        case 'h':
            fputs(dev_broker_usage, stdout);
            return SL_CLI_OK;
        default:
            fputs(dev_broker_usage, stderr);
            return SL_CLI_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sluice dev-broker: unexpected argument '%s'\n", argv[optind]);
        return SL_CLI_USAGE;
    }

    static dev d;       /* large (the client buffers): not on the stack */
    memset(&d, 0, sizeof d);
    d.nbrokers = (int)brokers;
    d.relay_fd = -1;
    for (int i = 0; i < MAX_CLIENTS; i++)
        d.clients[i].fd = -1;
    for (int i = 0; i < MAX_RELAYS; i++)
        d.relays[i].user = d.relays[i].broker = -1;
    int rc = SL_CLI_FAIL, bound = 0, relay_bound = 0;
    /* the ports first: a taken port is the likely failure, and cheap to report */
    d.control_fd = listen_local((int)control_port, &bound);
    if (d.control_fd < 0)
        return SL_CLI_FAIL;
    if (port > 0 && (d.relay_fd = listen_local((int)port, &relay_bound)) < 0)
        goto out;
    sl_cli_catch_signals();
    if (!cluster_start(&d) || !create_sluice_topics(&d, service_id, bound))
        goto out;
    print_endpoints(&d, relay_bound, bound);
    run_loop(&d);
    rc = SL_CLI_OK;
out:
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (d.clients[i].fd >= 0)
            client_close(&d.clients[i]);
    for (int i = 0; i < MAX_RELAYS; i++)
        if (d.relays[i].user >= 0)
            relay_close(&d.relays[i]);
    if (d.relay_fd >= 0)
        close(d.relay_fd);
    close(d.control_fd);
    cluster_stop(&d);
    return rc;
}
