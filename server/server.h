/*
 * server.h: the worker's HTTP API, following ksqlDB's REST API.
 *
 * Does: serves one opened engine (engine.h) over HTTP/1.1 with
 * libmicrohttpd, one thread per connection: POST /ksql (statements, answered
 * as a JSON array of ksqlDB entities), POST /query (a chunked JSON array:
 * header, rows, finalMessage) and POST /query-stream (a header line, then
 * one JSON array per row) for push and pull queries, POST /close-query,
 * POST /inserts-stream (one JSON object per line in, one ack per line out),
 * GET /info, /healthcheck, /status and /metrics (Prometheus text). Bounds
 * request bodies, connections and concurrent push queries, answering a JSON
 * error past them; checks basic auth and serves TLS when configured, and
 * refuses to listen beyond loopback without both.
 *
 * Does not: open the engine, apply query files or handle signals (the
 * `sluice server` command does, cli/main.c), or render statement results
 * (the session's JSON output, engine/render.h, is what /ksql answers).
 *
 * Threads: statements run one at a time (the catalog is not shared between
 * threads); a push query holds that lock only while it is planned, then
 * streams on its own thread until its LIMIT, close-query, the client going
 * away, or sl_server_stop.
 */
#ifndef SL_SERVER_H
#define SL_SERVER_H

#include <stddef.h>
#include "engine/engine.h"
#include "engine/error.h"

typedef struct sl_server sl_server;

#define SL_SERVER_LISTEN "127.0.0.1:8088"
#define SL_SERVER_MAX_BODY (1u << 20)       /* bytes of a request body (a line of inserts) */
#define SL_SERVER_MAX_CONNECTIONS 64
#define SL_SERVER_MAX_PUSH_QUERIES 16

typedef struct sl_server_opts {
    const char *listen;         /* HOST:PORT ([V6]:PORT); NULL: SL_SERVER_LISTEN; port 0:
                                   any free port (sl_server_port says which) */
    const char *tls_cert;       /* PEM certificate (the text): serve HTTPS, with tls_key */
    const char *tls_key;        /* PEM private key (the text) */
    const char *auth;           /* basic auth: lines USER:PASSWORD ('#' starts a comment);
                                   NULL: no authentication */
    size_t max_body;            /* 0: SL_SERVER_MAX_BODY */
    int max_connections;        /* 0: SL_SERVER_MAX_CONNECTIONS */
    int max_push_queries;       /* 0: SL_SERVER_MAX_PUSH_QUERIES */
} sl_server_opts;

/*
 * Starts serving e (not owned: close it after sl_server_stop). Fails with
 * the reason in err when the address is not loopback and TLS or
 * basic auth is missing, when the TLS material or the credentials are
 * unusable, or when the address cannot be bound. Copies what it keeps of
 * opts.
 */
sl_server *sl_server_start(sl_engine *e, const sl_server_opts *opts, sl_error *err);
/* What sl_server_start checks before binding (the address, and TLS and
 * basic auth beyond loopback), so a command can refuse before it opens
 * anything; -1 with the reason in err. */
int sl_server_check(const sl_server_opts *opts, sl_error *err);
/* The port listened on (the one picked when opts->listen asked for 0). */
int sl_server_port(const sl_server *s);
/* "http" or "https". */
const char *sl_server_scheme(const sl_server *s);
/* Ends every push query, stops accepting, waits for the connections to
 * finish and frees s. NULL is fine. */
void sl_server_stop(sl_server *s);

#endif
