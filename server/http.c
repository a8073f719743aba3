/*
 * http.c: the daemon under the worker's HTTP API.
 *
 * Does: checks the listen address (anything but loopback needs TLS and
 * basic auth), starts libmicrohttpd with one thread per connection (a push
 * query's reader may block waiting for rows), and for every request: counts
 * it, checks credentials and the bounds (open connections, body size),
 * routes it through the table below, collects its body and calls the
 * handler once the body is complete (inserts-stream: on every chunk, so a
 * long stream of rows is not held in memory). Errors are JSON objects shaped
 * like ksqlDB's: {"@type":"generic_error","error_code":N,"message":...}.
 *
 * Does not: run statements or queries (ksql.c) or describe the engine
 * (status.c).
 */
#include "server/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connection idle this long is closed (a streaming query's is exempt:
 * ksql.c notices its client gone by itself). */
#define IDLE_TIMEOUT_S 120

typedef struct route {
    const char *method;
    const char *path;           /* exact, or a prefix when it ends in '/' */
    ep endpoint;
    int (*handler)(sl_server *sv, struct MHD_Connection *c, request *rq);
    bool streaming;             /* the handler takes the body chunk by chunk */
} route;

static const route routes[] = {
    {"POST", "/ksql", EP_KSQL, sl_srv_ksql, false},
    {"POST", "/query", EP_QUERY, sl_srv_query, false},
    {"POST", "/query-stream", EP_QUERY_STREAM, sl_srv_query_stream, false},
    {"POST", "/close-query", EP_CLOSE_QUERY, sl_srv_close_query, false},
    {"POST", "/inserts-stream", EP_INSERTS, sl_srv_inserts, true},
    {"GET", "/info", EP_INFO, sl_srv_info, false},
    {"GET", "/healthcheck", EP_HEALTH, sl_srv_health, false},
    {"GET", "/status", EP_STATUS, sl_srv_status, false},
    {"GET", "/status/", EP_STATUS, sl_srv_status, false},
    {"GET", "/metrics", EP_METRICS, sl_srv_metrics, false},
};
#define NROUTES ((int)(sizeof routes / sizeof routes[0]))

static bool path_matches(const route *r, const char *url)
{
    size_t n = strlen(r->path);
    if (r->path[n - 1] == '/')
        return strncmp(url, r->path, n) == 0 && url[n] != '\0';
    return strcmp(url, r->path) == 0;
}

/* The route for method and url; *known_path tells a wrong method (405)
 * from an unknown path (404). */
static const route *find_route(const char *method, const char *url, bool *known_path)
{
    *known_path = false;
    for (int i = 0; i < NROUTES; i++) {
        if (!path_matches(&routes[i], url))
            continue;
        *known_path = true;
        if (strcmp(routes[i].method, method) == 0)
            return &routes[i];
    }
    return NULL;
}

/* ---- answering ---- */

int sl_http_queue(sl_server *sv, struct MHD_Connection *c, request *rq, unsigned status,
                  struct MHD_Response *r)
{
    if (!r)
        return MHD_NO;
    rq->status = (int)status;
    if (status >= 400) {
        pthread_mutex_lock(&sv->mu);
        sv->errors[rq->endpoint]++;
        pthread_mutex_unlock(&sv->mu);
    }
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

int sl_http_reply(sl_server *sv, struct MHD_Connection *c, request *rq, unsigned status,
                  const char *ctype, const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    return sl_http_queue(sv, c, rq, status, r);
}

/* The error body; malloc'd. */
static char *error_body(int code, const char *msg)
{
    json_t *o = json_object();
    json_object_set_new(o, "@type", json_string("generic_error"));
    json_object_set_new(o, "error_code", json_integer(code));
    json_object_set_new(o, "message", json_string(msg));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

int sl_http_error(sl_server *sv, struct MHD_Connection *c, request *rq, int code,
                  const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *body = error_body(code, msg);
    int rc = sl_http_reply(sv, c, rq, (unsigned)(code / 100), "application/json",
                           body ? body : "{}", body ? strlen(body) : 2);
    free(body);
    return rc;
}

/* ---- authentication ---- */

/* Compares without stopping at the first difference, so the time taken
 * does not tell how much of a guess was right. */
static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la; i++)
        d |= (unsigned char)(a[i] ^ b[i < lb ? i : 0]);
    return d == 0;
}

static bool authorized(sl_server *sv, struct MHD_Connection *c)
{
    if (!sv->users)
        return true;
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(c, &pass);
    bool ok = false;
    if (user && pass) {
        size_t n = strlen(user) + strlen(pass) + 2;
        char *given = malloc(n);
        if (given) {
            snprintf(given, n, "%s:%s", user, pass);
            for (char **u = sv->users; *u; u++)
                ok |= same_secret(given, *u);
            memset(given, 0, n);
            free(given);
        }
    }
    MHD_free(user);
    MHD_free(pass);
    return ok;
}

static int refuse_auth(sl_server *sv, struct MHD_Connection *c, request *rq)
{
    char *body = error_body(40100, "Unauthorized: this worker wants basic auth credentials");
    struct MHD_Response *r = MHD_create_response_from_buffer(
        body ? strlen(body) : 0, body ? body : (char *)"", MHD_RESPMEM_MUST_COPY);
    free(body);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    rq->status = 401;
    pthread_mutex_lock(&sv->mu);
    sv->errors[rq->endpoint]++;
    pthread_mutex_unlock(&sv->mu);
    enum MHD_Result ok = MHD_queue_basic_auth_fail_response(c, "sluice", r);
    MHD_destroy_response(r);
    return ok;
}

/* ---- requests ---- */

/* The first call for a request: everything decided from its headers. */
static int begin_request(sl_server *sv, struct MHD_Connection *c, const char *url,
                         const char *method, request *rq)
{
    bool known = false;
    const route *rt = find_route(method, url, &known);
    rq->endpoint = rt ? rt->endpoint : EP_OTHER;
    rq->url = strdup(url);
    if (!rq->url)
        return MHD_NO;
    pthread_mutex_lock(&sv->mu);
    sv->requests[rq->endpoint]++;
    int nconn = sv->nconn;
    pthread_mutex_unlock(&sv->mu);
    if (sv->stopping)
        return sl_http_error(sv, c, rq, 50300, "the worker is shutting down");
    if (!authorized(sv, c))
        return refuse_auth(sv, c, rq);
    if (nconn > sv->o.max_connections)
        return sl_http_error(sv, c, rq, 50300,
                             "too many connections (%d open, the limit is %d, "
                             "--max-connections): try again later",
                             nconn, sv->o.max_connections);
    if (!rt) {
        if (known)
            return sl_http_error(sv, c, rq, 40500, "%s is not allowed on %s", method, url);
        return sl_http_error(sv, c, rq, 40400, "no endpoint %s %s", method, url);
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (!rt->streaming && cl && strtoull(cl, NULL, 10) > sv->o.max_body)
        return sl_http_error(sv, c, rq, 41300,
                             "the request body (%s bytes) is larger than the limit of %zu "
                             "bytes (--max-body)", cl, sv->o.max_body);
    rq->handler = rt->handler;
    rq->streaming = rt->streaming;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    sl_server *sv = cls;
    request *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        return begin_request(sv, c, url, method, rq) == MHD_YES ? MHD_YES : MHD_NO;
    }
    if (rq->status || !rq->handler) {     /* answered already: the body is not wanted */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_large) {
            sl_buf_append(&rq->body, upload, *upload_size);
            if (!rq->streaming && rq->body.len > sv->o.max_body)
                rq->too_large = true;
        }
        *upload_size = 0;
        if (rq->streaming && !rq->too_large)
            return rq->handler(sv, c, rq) == MHD_YES ? MHD_YES : MHD_NO;
        return MHD_YES;
    }
    if (rq->too_large)
        return sl_http_error(sv, c, rq, 41300,
                             "the request body is larger than the limit of %zu bytes "
                             "(--max-body)", sv->o.max_body) == MHD_YES ? MHD_YES : MHD_NO;
    rq->final = true;
    return rq->handler(sv, c, rq) == MHD_YES ? MHD_YES : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    request *rq = *con_cls;
    if (!rq)
        return;
    if (rq->free_state)
        rq->free_state(rq->state);
    sl_buf_fini(&rq->body);
    free(rq->url);
    free(rq);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    sl_server *sv = cls;
    pthread_mutex_lock(&sv->mu);
    sv->nconn += toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1;
    pthread_mutex_unlock(&sv->mu);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    fputs("sluice server: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* ---- starting ---- */

/* Whether every address of the listen host is a loopback one. */
static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

/* HOST:PORT or [V6]:PORT into an address; -1 with err. */
static int resolve(const char *listen, struct sockaddr_storage *ss, sl_error *err)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1])
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "--listen wants HOST:PORT (e.g. " SL_SERVER_LISTEN "), got '%s'",
                            listen);
    size_t hl = (size_t)(colon - listen);
    const char *h = listen;
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= sizeof host)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "--listen: host name too long");
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                            "--listen: the port must be 0..65535, got '%s'", colon + 1);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gr = getaddrinfo(host, colon + 1, &hints, &res);
    if (gr != 0 || !res)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "--listen: cannot resolve '%s': %s",
                            host, gai_strerror(gr));
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

/* Splits the credentials into USER:PASSWORD lines; -1 with err when none
 * is usable. */
static int load_users(sl_server *sv, const char *text, sl_error *err)
{
    int n = 0, cap = 4;
    sv->users = calloc((size_t)cap + 1, sizeof *sv->users);
    for (const char *p = text; sv->users && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        while (len && (p[len - 1] == '\r' || p[len - 1] == ' '))
            len--;
        const char *colon = memchr(p, ':', len);
        if (len && p[0] != '#') {
            if (!colon || colon == p || colon + 1 == p + len)
                return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                                    "basic auth: a line is not USER:PASSWORD (both non-empty)");
            if (n == cap) {
                char **nu = realloc(sv->users, ((size_t)cap * 2 + 1) * sizeof *nu);
                if (!nu)
                    break;
                sv->users = nu;
                cap *= 2;
            }
            sv->users[n++] = strndup(p, len);
            sv->users[n] = NULL;
        }
        p = eol ? eol + 1 : p + len;
        if (!eol)
            break;
    }
    if (n == 0)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "basic auth: no USER:PASSWORD given");
    return 0;
}

static void server_free(sl_server *sv)
{
    if (!sv)
        return;
    if (sv->users)
        for (char **u = sv->users; *u; u++) {
            memset(*u, 0, strlen(*u));
            free(*u);
        }
    free(sv->users);
    free(sv->cert);
    if (sv->key)
        memset(sv->key, 0, strlen(sv->key));
    free(sv->key);
    sl_buf_fini(&sv->commands);
    pthread_mutex_destroy(&sv->exec);
    pthread_mutex_destroy(&sv->mu);
    free(sv);
}

/* Refuses what would expose the engine: beyond loopback, TLS and basic
 * auth are both required. */
static int check_exposure(const sl_server_opts *o, const struct sockaddr *sa, const char *listen,
                          sl_error *err)
{
    if (is_loopback(sa))
        return 0;
    bool tls = o->tls_cert && o->tls_key, auth = o->auth != NULL;
    if (tls && auth)
        return 0;
    return sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                        "refusing to listen on %s: it is not a loopback address, so anyone "
                        "who can reach it could run statements; that needs %s%s%s "
                        "(or listen on 127.0.0.1)",
                        listen, tls ? "" : "TLS (--tls-cert and --tls-key)",
                        !tls && !auth ? " and " : "",
                        auth ? "" : "basic auth (--auth-file or --auth USER:PASSWORD)");
}

int sl_server_check(const sl_server_opts *opts, sl_error *err)
{
    const char *listen = opts->listen ? opts->listen : SL_SERVER_LISTEN;
    if ((opts->tls_cert != NULL) != (opts->tls_key != NULL))
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "TLS needs both --tls-cert and --tls-key");
    struct sockaddr_storage ss;
    if (resolve(listen, &ss, err) < 0)
        return -1;
    return check_exposure(opts, (struct sockaddr *)&ss, listen, err);
}

sl_server *sl_server_start(sl_engine *e, const sl_server_opts *opts, sl_error *err)
{
    if (sl_server_check(opts, err) < 0)
        return NULL;
    sl_server_opts o = *opts;
    if (!o.listen)
        o.listen = SL_SERVER_LISTEN;
    if (!o.max_body)
        o.max_body = SL_SERVER_MAX_BODY;
    if (o.max_connections <= 0)
        o.max_connections = SL_SERVER_MAX_CONNECTIONS;
    if (o.max_push_queries <= 0)
        o.max_push_queries = SL_SERVER_MAX_PUSH_QUERIES;
    struct sockaddr_storage ss;
    if (resolve(o.listen, &ss, err) < 0)
        return NULL;
    sl_server *sv = calloc(1, sizeof *sv);
    if (!sv) {
        sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&sv->exec, NULL);
    pthread_mutex_init(&sv->mu, NULL);
    sv->eng = e;
    sv->o = o;
    sv->o.listen = NULL;        /* not kept: the caller's */
    sv->started = time(NULL);
    if (o.auth && load_users(sv, o.auth, err) < 0) {
        server_free(sv);
        return NULL;
    }
    sv->o.auth = NULL;
    sv->tls = o.tls_cert != NULL;
    if (sv->tls) {
        sv->cert = strdup(o.tls_cert);
        sv->key = strdup(o.tls_key);
    }
    sv->o.tls_cert = sv->o.tls_key = NULL;

    /* ITC: MHD_quiesce_daemon (stop accepting before the queries end) needs it */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (sv->tls)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem items[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, sv},    /* first, or MHD says so */
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        /* past max_connections a request still gets a JSON 503; past this, MHD
         * closes the connection without a word */
        {MHD_OPTION_CONNECTION_LIMIT, o.max_connections + 8, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, sv},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, sv},
        /* without TLS the list ends here, before the certificate and key */
        {sv->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, sv->cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, sv->key},
        {MHD_OPTION_END, 0, NULL},
    };
    sv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, sv, MHD_OPTION_ARRAY, items,
                             MHD_OPTION_END);
    if (!sv->d) {
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                     "cannot listen on %s%s (in use, not an address of this machine, or %s)",
                     o.listen, sv->tls ? " with TLS" : "",
                     sv->tls ? "the certificate or key is not valid PEM" : "not permitted");
        server_free(sv);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
    sv->port = di ? di->port : 0;
    return sv;
}

int sl_server_port(const sl_server *s) { return s->port; }

const char *sl_server_scheme(const sl_server *s) { return s->tls ? "https" : "http"; }

void sl_server_stop(sl_server *sv)
{
    if (!sv)
        return;
    sv->stopping = 1;
    MHD_socket ls = MHD_quiesce_daemon(sv->d);     /* no new connections */
    sl_srv_cancel_all(sv);
    MHD_stop_daemon(sv->d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    server_free(sv);
}
