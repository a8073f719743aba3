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
 * Completion in the remote REPL gets the worker's stream, table, column and
 * type names (sl_remote_names) with one quiet /ksql request, cached for a
 * few seconds.
 *
 * Does not: render results (the worker's session does) or keep a catalog.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
    bool keep_going;            /* --continue */
    char **names;               /* the worker's names for completion, NULL-terminated */
    int64_t names_at;           /* when they were fetched (monotonic ms); 0: never */
};

static void free_names(char **names)
{
    for (char **p = names; p && *p; p++)
        free(*p);
    free(names);
}

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
    free_names(r->names);
    free(r);
}

bool sl_remote_unreachable(const sl_remote *r) { return r->unreachable; }

void sl_remote_set_keep_going(sl_remote *r, bool on) { r->keep_going = on; }

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

/* The request's URL, answer handler, timeouts and credentials, on a reset
 * handle: what every request to the worker has. */
static void prepare(sl_remote *r, const char *path, xfer *x)
{
    CURL *c = r->curl;
    curl_easy_reset(c);
    char url[2048];
    snprintf(url, sizeof url, "%s%s", r->url, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    if (r->auth) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->auth);
    }
    if (r->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, r->cacert);
    x->curl = c;
}

/* Runs the prepared request: 0 with x->status, or -1 (printed, and
 * r->unreachable set when the worker was not there) when the transfer
 * failed. Ctrl-C ending a streaming query is not a failure. */
static int perform(sl_remote *r, xfer *x)
{
    CURLcode rc = curl_easy_perform(r->curl);
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
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &x->status);
    return 0;
}

/* POSTs body to path; the answer in x. -1 (printed) when the worker could
 * not be reached or the transfer broke. */
static int post(sl_remote *r, const char *path, const char *body, const char *src, xfer *x)
{
    CURL *c = r->curl;
    prepare(r, path, x);
    struct curl_slist *h = NULL;
    char hdr[256];
    h = curl_slist_append(h, "Content-Type: application/vnd.ksql.v1+json");
    snprintf(hdr, sizeof hdr, "X-Sluice-Output: %s", r->mode == SL_OUTPUT_JSON ? "json" : "table");
    h = curl_slist_append(h, hdr);
    if (src) {
        snprintf(hdr, sizeof hdr, "X-Sluice-Source: %.200s", src);
        h = curl_slist_append(h, hdr);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    int rc = perform(r, x);
    curl_slist_free_all(h);
    return rc;
}

int sl_remote_post(sl_remote *r, const char *path, const char *content_type, const char *body,
                   size_t len, sl_buf *answer, long *status)
{
    xfer x = {SL_BUF_INIT, NULL, 0, NULL};
    prepare(r, path, &x);
    char hdr[256];
    snprintf(hdr, sizeof hdr, "Content-Type: %.200s", content_type);
    struct curl_slist *h = curl_slist_append(NULL, hdr);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    int rc = perform(r, &x);
    curl_slist_free_all(h);
    *status = x.status;
    sl_buf_append(answer, x.body.data ? x.body.data : "", x.body.len);
    sl_buf_fini(&x.body);
    return rc;
}

void sl_remote_set_output(sl_remote *r, FILE *out, FILE *err)
{
    r->out = out ? out : stdout;
    r->err = err ? err : stderr;
}

int sl_remote_ping(sl_remote *r)
{
    xfer x = {SL_BUF_INIT, NULL, 0, NULL};
    prepare(r, "/info", &x);
    curl_easy_setopt(r->curl, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(r->curl);
    int ret = 0;
    if (rc != CURLE_OK) {
        fprintf(r->err, "sluice: cannot reach the worker at %s: %s\n", r->url,
                curl_easy_strerror(rc));
        ret = -1;
    } else {
        curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &x.status);
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

/* The text of a statement that does not parse: from `from` (blanks
 * skipped) through the ';' after the error at erroff, where the parser
 * resumes; *end gets the offset after it. */
static void unparsed(const char *text, size_t len, size_t from, uint32_t erroff, sl_buf *stmt,
                     size_t *end)
{
    while (from < len && (text[from] == ' ' || text[from] == '\n' || text[from] == '\t' ||
                          text[from] == '\r'))
        from++;
    size_t e = erroff != SL_NOPOS && erroff > from && erroff <= len ? erroff : from;
    while (e < len && text[e] != ';')
        e++;
    if (e < len)
        e++;
    padded(stmt, text, from, e - from);
    *end = e;
}

int sl_remote_execute(void *ud, const char *text, size_t len, const char *srcname)
{
    sl_remote *r = ud;
    sl_parser *p = sl_parser_new(text, len, lookup_var, r);
    if (!p)
        return 1;
    int status = 0;
    size_t next = 0;            /* where the statement being read starts */
    for (;;) {
        sl_arena *a = sl_arena_new(0);
        sl_stmt *st = NULL;
        sl_error e;
        sl_error_clear(&e);
        int rc = sl_parser_next(p, a, &st, &e), one;
        if (rc == 0) {
            sl_arena_free(a);
            break;
        }
        sl_buf stmt = SL_BUF_INIT;
        if (rc < 0) {
            /* the worker parses it too, and reports the error as a local run would */
            unparsed(text, len, next, e.span.off, &stmt, &next);
            one = run_remote(r, "/ksql", sl_buf_cstr(&stmt), srcname);
            one = one ? one : 1;
        } else {
            size_t off = st->span.off != SL_NOPOS ? st->span.off : next;
            size_t sl = st->span.off != SL_NOPOS ? st->span.len : len - next;
            next = off + sl + 1;
            padded(&stmt, text, off, sl);
            sl_buf_putc(&stmt, ';');
            if (st->kind == SL_S_RUN_SCRIPT && st->str)
                one = run_script(r, st->str);
            else if (st->kind == SL_S_SELECT)
                one = run_remote(r, "/query", sl_buf_cstr(&stmt), srcname);
            else {
                one = run_remote(r, "/ksql", sl_buf_cstr(&stmt), srcname);
                if (one == 0)
                    remember(r, st);
            }
        }
        sl_buf_fini(&stmt);
        sl_arena_free(a);
        if (one)
            status = 1;
        /* a worker that cannot be reached fails every statement: stop there */
        if (one && (!r->keep_going || r->unreachable))
            break;
    }
    sl_parser_free(p);
    return status;
}

/* ---- names for completion ---- */

#define NAMES_TTL_MS 5000           /* how long fetched names are used before asking again */
#define NAMES_TIMEOUT_S 5L          /* a completion must not hang on a slow worker */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct namelist {
    char **v;                   /* NULL-terminated */
    int n, cap;
} namelist;

static void add_name(namelist *l, const char *name)
{
    if (!name)
        return;
    if (l->n + 2 > l->cap) {
        int cap = l->cap ? l->cap * 2 : 32;
        char **nv = realloc(l->v, (size_t)cap * sizeof *nv);
        if (!nv)
            return;
        l->v = nv;
        l->cap = cap;
    }
    char *c = strdup(name);
    if (c)
        l->v[l->n++] = c;
    l->v[l->n] = NULL;
}

/* The "name" members of the objects of arr. */
static void add_names(namelist *l, json_t *arr)
{
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
        add_name(l, json_string_value(json_object_get(o, "name")));
}

/* The names in an answer of /ksql: sources and their columns
 * (source_descriptions), and types (type_list). */
static char **names_of(const sl_buf *answer)
{
    json_t *arr = json_loadb(answer->data ? answer->data : "", answer->len, 0, NULL);
    namelist l = {0};
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        json_t *descs = json_object_get(e, "sourceDescriptions");
        size_t j;
        json_t *d;
        json_array_foreach(descs, j, d) {
            add_name(&l, json_string_value(json_object_get(d, "name")));
            add_names(&l, json_object_get(d, "fields"));
        }
        add_names(&l, json_object_get(e, "types"));
    }
    json_decref(arr);
    return l.v ? l.v : calloc(1, sizeof *l.v);
}

/* Asks the worker for its names, quietly: a failure keeps what was known. */
static void fetch_names(sl_remote *r)
{
    static const char body[] =
        "{\"ksql\":\"SHOW STREAMS EXTENDED; SHOW TABLES EXTENDED; SHOW TYPES;\"}";
    xfer x = {SL_BUF_INIT, NULL, 0, NULL};
    prepare(r, "/ksql", &x);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/vnd.ksql.v1+json");
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE, (long)(sizeof body - 1));
    curl_easy_setopt(r->curl, CURLOPT_TIMEOUT, NAMES_TIMEOUT_S);
    CURLcode rc = curl_easy_perform(r->curl);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200) {
        char **list = names_of(&x.body);
        if (list) {
            free_names(r->names);
            r->names = list;
        }
    }
    curl_slist_free_all(h);
    sl_buf_fini(&x.body);
    r->names_at = mono_ms();
}

const char *const *sl_remote_names(void *ud)
{
    sl_remote *r = ud;
    if (!r->names_at || mono_ms() - r->names_at > NAMES_TTL_MS)
        fetch_names(r);
    return (const char *const *)r->names;
}
