/*
 * internal.h: what the files of server/ share (not a public header).
 *
 * http.c owns the daemon, the request bodies, the bounds and authentication
 * and routes each request to a handler of the table in http.c; ksql.c
 * answers the statement and query endpoints, status.c the read-only ones.
 */
#ifndef SL_SERVER_INTERNAL_H
#define SL_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "engine/buf.h"
#include "engine/engine.h"
#include "server/server.h"

typedef struct push push;       /* a streaming query (ksql.c) */

/* The endpoints, for per-endpoint counts in /metrics. */
typedef enum ep {
    EP_KSQL, EP_QUERY, EP_QUERY_STREAM, EP_CLOSE_QUERY, EP_INSERTS, EP_INFO,
    EP_HEALTH, EP_STATUS, EP_METRICS, EP_OTHER, EP_COUNT
} ep;

struct sl_server {
    sl_engine *eng;
    struct MHD_Daemon *d;
    sl_server_opts o;
    int port;
    bool tls;
    char *cert, *key;           /* PEM text */
    char **users;               /* "USER:PASSWORD", NULL-terminated; NULL: no auth */
    pthread_mutex_t exec;       /* statements run one at a time */
    pthread_mutex_t mu;         /* what follows */
    push *pushes;               /* running push and pull queries */
    int npush;                  /* of which push queries */
    int nconn;                  /* open connections */
    volatile sig_atomic_t stopping;
    uint64_t requests[EP_COUNT];
    uint64_t errors[EP_COUNT];  /* answered with 4xx or 5xx */
    uint64_t inserted, insert_errors;
    sl_buf commands;            /* /status: "ID\tSTATUS\tMESSAGE\n" lines, oldest first */
    time_t started;
};

/* A request being read; the handler runs once its body is complete
 * (inserts-stream: on every chunk). */
typedef struct request {
    ep endpoint;
    char *url;                  /* the path asked for */
    int (*handler)(sl_server *sv, struct MHD_Connection *c, struct request *rq);
    sl_buf body;
    bool too_large;
    bool streaming;             /* the handler takes the body as it comes */
    bool final;                 /* streaming: the body is complete */
    int status;                 /* what was answered (for the error counts) */
    void *state;                /* the handler's, freed by free_state */
    void (*free_state)(void *state);
} request;

/* ---- answering (http.c) ---- */

/* Queues body (copied) with status and content type; counts 4xx/5xx. */
int sl_http_reply(sl_server *sv, struct MHD_Connection *c, request *rq, unsigned status,
                  const char *ctype, const char *body, size_t len);
/* {"@type":"generic_error","error_code":CODE,"message":MSG} with status CODE / 100. */
int sl_http_error(sl_server *sv, struct MHD_Connection *c, request *rq, int code,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Queues a response made by the caller, counting it like sl_http_reply. */
int sl_http_queue(sl_server *sv, struct MHD_Connection *c, request *rq, unsigned status,
                  struct MHD_Response *r);

/* ---- handlers ---- */
int sl_srv_ksql(sl_server *sv, struct MHD_Connection *c, request *rq);
int sl_srv_query(sl_server *sv, struct MHD_Connection *c, request *rq);
int sl_srv_query_stream(sl_server *sv, struct MHD_Connection *c, request *rq);
int sl_srv_close_query(sl_server *sv, struct MHD_Connection *c, request *rq);
int sl_srv_inserts(sl_server *sv, struct MHD_Connection *c, request *rq);
int sl_srv_info(sl_server *sv, struct MHD_Connection *c, request *rq);
int sl_srv_health(sl_server *sv, struct MHD_Connection *c, request *rq);
int sl_srv_status(sl_server *sv, struct MHD_Connection *c, request *rq);
int sl_srv_metrics(sl_server *sv, struct MHD_Connection *c, request *rq);

/* The command id ksqlDB gives the first statement of text ("stream/S/create"),
 * "" when it gets none (ksql.c). Call with the statement lock held. */
void sl_srv_command_id_of(sl_server *sv, const char *text, char *out, size_t n);

/* Ends every running query (ksql.c): the server is stopping. */
void sl_srv_cancel_all(sl_server *sv);

#endif
