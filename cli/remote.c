/*
 * remote.c: `sluice --server URL`: the shell and scripts against a worker.
 *
 * Does: stands in for the executor of a session (sl_session_set_executor),
 * so the REPL, -e and -f run unchanged. Splits the text into statements
 * locally and sends each to the worker with libcurl, asking for the
 * session's own output (X-Sluice-Output, server/ksql.c), so what prints is
 * what a local session prints: SELECT to /query, streamed as it arrives
 * (Ctrl-C ends it), everything else to /ksql. The statement is sent padded
 * with the newlines and spaces that preceded it, so an error points at the
 * line and column of the script. Variables (-D, DEFINE) and SET properties
 * live here and go with every request (sessionVariables,
 * streamsProperties): the worker keeps a request's settings for that
 * request only. RUN SCRIPT reads the file here and sends its statements:
 * the worker never opens a path a client names.
 *
 * Does not: render results (the worker's session does) or keep a catalog
 * (completion in the remote REPL knows keywords and functions only).
 */
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "engine/arena.h"
#include "grammar/parse.h"

#define MAX_DEPTH 16            /* RUN SCRIPT nesting, as the local executor */

struct sl_remote {
    CURL *curl;
    char *url;                  /* without a trailing '/' */
    char *auth;                 /* USER:PASSWORD, or NULL */
    char *cacert;               /* CA bundle for https, or NULL: the system's */
    sl_output mode;
    FILE *out, *err;
    json_t *vars;               /* -D and DEFINE */
    json_t *props;              /* SET */
    int depth;
    bool unreachable;
};

sl_remote *sl_remote_new(const char *url, const char *auth, const char *cacert, sl_output mode,
                         FILE *out, FILE *err)
{
    static bool inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = true;
    }
    sl_remote *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->curl = curl_easy_init();
    r->url = strdup(url);
    r->auth = auth ? strdup(auth) : NULL;
    r->cacert = cacert ? strdup(cacert) : NULL;
    r->vars = json_object();
    r->props = json_object();
    if (!r->curl || !r->url || !r->vars || !r->props) {
        sl_remote_free(r);
        return NULL;
    }
    size_t n = strlen(r->url);
    while (n > 0 && r->url[n - 1] == '/')
        r->url[--n] = '\0';
    r->mode = mode;
    r->out = out ? out : stdout;
    r->err = err ? err : stderr;
    return r;
}

void sl_remote_free(sl_remote *r)
{
    if (!r)
        return;
    if (r->curl)
        curl_easy_cleanup(r->curl);
    free(r->url);
    free(r->auth);
    free(r->cacert);
    json_decref(r->vars);
    json_decref(r->props);
    free(r);
}

bool sl_remote_unreachable(const sl_remote *r) { return r->unreachable; }

int sl_remote_define(sl_remote *r, const char *name, const char *value)
{
    return json_object_set_new(r->vars, name, json_string(value));
}

/* ---- one request ---- */

typedef struct xfer {
    sl_buf body;                /* the answer, when not streamed */
    FILE *stream;               /* 200 on /query: written through as it comes */
    long status;
    CURL *curl;
} xfer;

static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    if (x->stream) {
        if (!x->status)
            curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
        if (x->status == 200) {
            fwrite(ptr, 1, len, x->stream);
            fflush(x->stream);
            return len;
        }
    }
    sl_buf_append(&x->body, ptr, len);
    return len;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    return g_interrupted != 0;      /* Ctrl-C ends a streaming query */
}

/* POSTs body to path; the answer in x. -1 (printed) when the worker could
 * not be reached or the transfer broke. */
static int post(sl_remote *r, const char *path, const char *body, const char *src, xfer *x)
{
    CURL *c = r->curl;
    curl_easy_reset(c);
    char url[2048];
    snprintf(url, sizeof url, "%s%s", r->url, path);
    struct curl_slist *h = NULL;
    char hdr[256];
    h = curl_slist_append(h, "Content-Type: application/vnd.ksql.v1+json");
    snprintf(hdr, sizeof hdr, "X-Sluice-Output: %s", r->mode == SL_OUTPUT_JSON ? "json" : "table");
    h = curl_slist_append(h, hdr);
    if (src) {
        snprintf(hdr, sizeof hdr, "X-Sluice-Source: %.200s", src);
        h = curl_slist_append(h, hdr);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    if (r->auth) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->auth);
    }
    if (r->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, r->cacert);
    x->curl = c;
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        return 0;
    if (rc != CURLE_OK) {
        fprintf(r->err, "sluice: cannot reach the worker at %s: %s\n", r->url,
                curl_easy_strerror(rc));
        r->unreachable = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                         rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SSL_CONNECT_ERROR ||
                         rc == CURLE_PEER_FAILED_VERIFICATION;
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
    return 0;
}

int sl_remote_ping(sl_remote *r)
{
    CURL *c = r->curl;
    xfer x = {SL_BUF_INIT, NULL, 0, c};
    curl_easy_reset(c);
    char url[2048];
    snprintf(url, sizeof url, "%s/info", r->url);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (r->auth) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->auth);
    }
    if (r->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, r->cacert);
    CURLcode rc = curl_easy_perform(c);
    int ret = 0;
    if (rc != CURLE_OK) {
        fprintf(r->err, "sluice: cannot reach the worker at %s: %s\n", r->url,
                curl_easy_strerror(rc));
        ret = -1;
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x.status);
        json_t *o = json_loadb(sl_buf_cstr(&x.body), x.body.len, 0, NULL);
        if (x.status != 200 || !json_object_get(o, "KsqlServerInfo")) {
            const char *m = json_string_value(json_object_get(o, "message"));
            fprintf(r->err, "sluice: %s is not a sluice or ksqlDB worker that lets us in "
                            "(HTTP %ld%s%s)\n", r->url, x.status, m ? ": " : "", m ? m : "");
            ret = -1;
        }
        json_decref(o);
    }
    sl_buf_fini(&x.body);
    r->unreachable = ret != 0;
    return ret;
}

/* ---- statements ---- */

static const char *lookup_var(void *ud, const char *name)
{
    sl_remote *r = ud;
    const char *k;
    json_t *v;
    json_object_foreach(r->vars, k, v)
        if (strcasecmp(k, name) == 0)
            return json_string_value(v);
    return NULL;
}

/* The statement at text[off, off+len) preceded by the newlines and spaces
 * that put it at its line and column. */
static void padded(sl_buf *b, const char *text, size_t off, size_t len)
{
    size_t line_start = 0;
    for (size_t i = 0; i < off; i++)
        if (text[i] == '\n') {
            sl_buf_putc(b, '\n');
            line_start = i + 1;
        }
    for (size_t i = line_start; i < off; i++)
        sl_buf_putc(b, text[i] == '\t' ? '\t' : ' ');
    sl_buf_append(b, text + off, len);
}

/* Prints the answer of a sluice session; 0 when the statement succeeded. */
static int print_answer(sl_remote *r, const xfer *x)
{
    json_t *o = json_loadb(sl_buf_cstr((sl_buf *)&x->body), x->body.len, 0, NULL);
    json_t *out = json_object_get(o, "out"), *err = json_object_get(o, "err");
    if (json_is_string(out) && json_is_string(err)) {
        fwrite(json_string_value(out), 1, json_string_length(out), r->out);
        fwrite(json_string_value(err), 1, json_string_length(err), r->err);
        fflush(r->out);
        fflush(r->err);
    } else {
        /* not a session's answer: the worker refused the request itself */
        const char *m = json_string_value(json_object_get(o, "message"));
        fprintf(r->err, "sluice: the worker answered HTTP %ld: %s\n", x->status,
                m ? m : sl_buf_cstr((sl_buf *)&x->body));
    }
    json_decref(o);
    return x->status == 200 ? 0 : 1;
}

static int run_remote(sl_remote *r, const char *path, const char *stmt, const char *src)
{
    json_t *req = json_object();
    json_object_set_new(req, "ksql", json_string(stmt));
    json_object_set(req, "streamsProperties", r->props);
    json_object_set(req, "sessionVariables", r->vars);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    bool query = strcmp(path, "/query") == 0;
    xfer x = {SL_BUF_INIT, query ? r->out : NULL, 0, NULL};
    struct sigaction sa, old;
    if (query) {
        g_interrupted = 0;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old);
    }
    int rc = body ? post(r, path, body, src, &x) : -1;
    if (query) {
        sigaction(SIGINT, &old, NULL);
        if (g_interrupted) {
            fputs("\nQuery terminated\n", r->out);
            fflush(r->out);
        }
    }
    free(body);
    if (rc == 0 && !(query && x.status == 200))
        rc = print_answer(r, &x);
    sl_buf_fini(&x.body);
    return rc ? 1 : 0;
}

/* After a statement succeeded on the worker: what this side keeps. */
static void remember(sl_remote *r, const sl_stmt *st)
{
    const char *k = st->str ? st->str : st->name.name;
    if (!k)
        return;
    if (st->kind == SL_S_DEFINE)
        json_object_set_new(r->vars, k, json_string(st->str2 ? st->str2 : ""));
    else if (st->kind == SL_S_UNDEFINE) {
        const char *name;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(r->vars, tmp, name, v)
            if (strcasecmp(name, k) == 0)
                json_object_del(r->vars, name);
    } else if (st->kind == SL_S_SET)
        json_object_set_new(r->props, k, json_string(st->str2 ? st->str2 : ""));
    else if (st->kind == SL_S_UNSET)
        json_object_del(r->props, k);
}

static int run_script(sl_remote *r, const char *path)
{
    if (r->depth >= MAX_DEPTH) {
        fprintf(r->err, "sluice: RUN SCRIPT nested more than %d deep\n", MAX_DEPTH);
        return 1;
    }
    sl_error err;
    sl_error_clear(&err);
    size_t len = 0;
    char *text = sl_cli_read_file(path, &len, &err);
    if (!text) {
        fprintf(r->err, "sluice: RUN SCRIPT: %s\n", err.msg);
        return 1;
    }
    r->depth++;
    int rc = sl_remote_execute(r, text, len, path);
    r->depth--;
    free(text);
    return rc;
}

int sl_remote_execute(void *ud, const char *text, size_t len, const char *srcname)
{
    sl_remote *r = ud;
    sl_parser *p = sl_parser_new(text, len, lookup_var, r);
    if (!p)
        return 1;
    int status = 0;
    size_t next = 0;            /* where the statement being read starts */
    while (status == 0) {
        sl_arena *a = sl_arena_new(0);
        sl_stmt *st = NULL;
        sl_error e;
        sl_error_clear(&e);
        int rc = sl_parser_next(p, a, &st, &e);
        if (rc == 0) {
            sl_arena_free(a);
            break;
        }
        sl_buf stmt = SL_BUF_INIT;
        if (rc < 0) {
            /* the worker parses it too, and reports the error as a local run would */
            while (next < len && (text[next] == ' ' || text[next] == '\n' ||
                                  text[next] == '\t' || text[next] == '\r'))
                next++;
            padded(&stmt, text, next, len - next);
            status = run_remote(r, "/ksql", sl_buf_cstr(&stmt), srcname);
            status = status ? status : 1;
        } else {
            size_t off = st->span.off != SL_NOPOS ? st->span.off : next;
            size_t sl = st->span.off != SL_NOPOS ? st->span.len : len - next;
            next = off + sl + 1;
            padded(&stmt, text, off, sl);
            sl_buf_putc(&stmt, ';');
            if (st->kind == SL_S_RUN_SCRIPT && st->str)
                status = run_script(r, st->str);
            else if (st->kind == SL_S_SELECT)
                status = run_remote(r, "/query", sl_buf_cstr(&stmt), srcname);
            else {
                status = run_remote(r, "/ksql", sl_buf_cstr(&stmt), srcname);
                if (status == 0)
                    remember(r, st);
            }
        }
        sl_buf_fini(&stmt);
        sl_arena_free(a);
    }
    sl_parser_free(p);
    return status;
}
