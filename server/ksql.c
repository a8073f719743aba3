/*
 * ksql.c: the endpoints that run SQL: /ksql, /query, /query-stream,
 * /close-query and /inserts-stream.
 *
 * Does: runs statements through a session on the shared engine with JSON
 * output (engine/render.h already shapes results as ksqlDB's entities: this
 * file only gathers them into an array, adds command ids, and wraps an
 * error with the entities of the statements before it). Per-request
 * sessionVariables and streamsProperties are set on the engine's catalog
 * for the request and put back after it, under the lock that makes
 * statements run one at a time. Queries run on a thread of their own with
 * the session's rows hook (engine/exec.h): rows go into a bounded buffer
 * that the connection's thread drains to the client; close-query, the
 * client going away and the server stopping set the query's cancel flag.
 * Inserts become INSERT INTO ... VALUES statements whose literals are
 * written here from the JSON values (quoted, never spliced as text), so
 * type checks, casts and encoding are the executor's.
 *
 * Does not: parse SQL beyond classifying statements, or render values
 * (sl_value_render).
 */
#include "server/internal.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "engine/arena.h"
#include "engine/catalog.h"
#include "engine/exec.h"
#include "engine/types.h"
#include "engine/value.h"
#include "grammar/parse.h"

#define PUSH_BUFFER_MAX (1u << 20)  /* rows buffered for a slow client before the query waits */
#define PUSH_POLL_MS 500            /* how often a waiting reader looks for a client gone */

/* ---- running statements ---- */

/* A variable or SET property as it was before a request. */
typedef struct saved {
    char *name;
    char *value;
} saved;

typedef struct run {
    sl_server *sv;
    bool locked;                /* holds sv->exec */
    saved *vars, *props;        /* the catalog's, before the request */
    int nvars, nprops;
    char *out, *err;            /* what the session wrote */
    size_t outlen, errlen;
    int rc;                     /* sl_session_execute's */
} run;

/* A JSON value as property or variable text: strings as they are, other
 * scalars as JSON; NULL for arrays, objects and null. */
static char *scalar_text(const json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_object(v) || json_is_array(v) || json_is_null(v))
        return NULL;
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* Copies every variable (props false) or SET property of the catalog. */
static saved *snapshot(sl_catalog *cat, bool props, int *n)
{
    *n = props ? sl_catalog_property_count(cat) : sl_catalog_variable_count(cat);
    saved *s = calloc((size_t)*n + 1, sizeof *s);
    for (int i = 0; s && i < *n; i++) {
        const char *name = NULL;
        const char *v = props ? sl_catalog_property_at(cat, i, &name)
                              : sl_catalog_variable_at(cat, i, &name);
        s[i].name = strdup(name ? name : "");
        s[i].value = strdup(v ? v : "");
    }
    return s;
}

static bool in_snapshot(const saved *s, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0)
            return true;
    return false;
}

/* Puts the catalog's variables or SET properties back as snapshot s had
 * them, and frees s: what a request defined or SET lasts for the request. */
static void restore(sl_catalog *cat, bool props, saved *s, int n)
{
    int cur = props ? sl_catalog_property_count(cat) : sl_catalog_variable_count(cat);
    char **extra = calloc((size_t)cur + 1, sizeof *extra);
    int nextra = 0;
    for (int i = 0; extra && i < cur; i++) {
        const char *name = NULL;
        if (props)
            sl_catalog_property_at(cat, i, &name);
        else
            sl_catalog_variable_at(cat, i, &name);
        if (name && !in_snapshot(s, n, name))
            extra[nextra++] = strdup(name);
    }
    sl_arena *a = sl_arena_new(0);
    for (int i = 0; i < nextra; i++) {
        if (props)
            sl_catalog_unset_property(cat, extra[i], a);
        else
            sl_catalog_undefine(cat, extra[i]);
        free(extra[i]);
    }
    sl_arena_free(a);
    free(extra);
    for (int i = 0; s && i < n; i++) {
        sl_error e;
        sl_error_clear(&e);
        if (props)
            sl_catalog_set_property(cat, s[i].name, s[i].value, SL_NOSPAN, &e);
        else
            sl_catalog_define(cat, s[i].name, s[i].value, &e);
        free(s[i].name);
        free(s[i].value);
    }
    free(s);
}

/* Sets props and vars (JSON objects, may be NULL) on the catalog; -1 with
 * msg when one is refused. */
static int apply_settings(run *r, json_t *props, json_t *vars, char *msg, size_t msglen)
{
    sl_catalog *cat = sl_engine_catalog(r->sv->eng);
    for (int pass = 0; pass < 2; pass++) {
        json_t *obj = pass == 0 ? props : vars;
        const char *k;
        json_t *v;
        if (!obj)
            continue;
        json_object_foreach(obj, k, v) {
            const char *what = pass == 0 ? "property" : "variable";
            char *text = scalar_text(v);
            if (!text) {
                snprintf(msg, msglen, "%s '%s' wants a string, number or boolean", what, k);
                return -1;
            }
            sl_error e;
            sl_error_clear(&e);
            int rc = pass == 0 ? sl_catalog_set_property(cat, k, text, SL_NOSPAN, &e)
                               : sl_catalog_define(cat, k, text, &e);
            free(text);
            if (rc < 0) {
                snprintf(msg, msglen, "%s '%s': %s", what, k, e.msg);
                return -1;
            }
        }
    }
    return 0;
}

/* Puts the variables and properties back as they were before the request
 * and lets the next statement run. Idempotent. */
static void run_release(run *r)
{
    if (!r->locked)
        return;
    sl_catalog *cat = sl_engine_catalog(r->sv->eng);
    restore(cat, true, r->props, r->nprops);
    restore(cat, false, r->vars, r->nvars);
    r->props = r->vars = NULL;
    r->locked = false;
    pthread_mutex_unlock(&r->sv->exec);
}

static void run_fini(run *r)
{
    run_release(r);
    free(r->out);
    free(r->err);
}

/* Takes the statement lock and puts the request's settings in force;
 * -1 with msg (lock released) when a setting is refused. */
static int run_begin(run *r, sl_server *sv, json_t *props, json_t *vars, char *msg, size_t n)
{
    memset(r, 0, sizeof *r);
    r->sv = sv;
    pthread_mutex_lock(&sv->exec);
    r->locked = true;
    sl_catalog *cat = sl_engine_catalog(sv->eng);
    r->props = snapshot(cat, true, &r->nprops);
    r->vars = snapshot(cat, false, &r->nvars);
    if (apply_settings(r, props, vars, msg, n) < 0) {
        run_release(r);
        return -1;
    }
    return 0;
}

/* Runs text through a session writing in mode (rows: the SELECT hook, or
 * NULL), collecting what it wrote into r->out (unless out is given: the
 * results go there) and r->err. */
static void run_text(run *r, const char *text, size_t len, const sl_session_rows *rows,
                     sl_output mode, FILE *out, const char *srcname)
{
    FILE *own = out ? NULL : open_memstream(&r->out, &r->outlen);
    FILE *err = open_memstream(&r->err, &r->errlen);
    sl_session_opts so = {0};
    so.output = mode;
    so.out = out ? out : own;
    so.err = err;
    sl_error e;
    sl_error_clear(&e);
    sl_session *s = so.out && err ? sl_session_open(r->sv->eng, &so, &e) : NULL;
    if (!s) {
        r->rc = -1;
        if (err)
            fprintf(err, "{\"@type\":\"generic_error\",\"error_code\":50000,"
                         "\"message\":\"cannot open a session\"}\n");
    } else {
        sl_session_set_rows(s, rows);
        r->rc = sl_session_execute(s, text, len, srcname ? srcname : "<request>");
        sl_session_free(s);
    }
    if (own)
        fclose(own);
    if (err)
        fclose(err);
}

/* ---- sluice's own clients (sluice --server URL) ----
 *
 * A request with the header X-Sluice-Output: table | json runs as a local
 * session would and passes its output through, so the remote REPL prints
 * exactly what the local one does: /ksql answers
 * {"out": TEXT, "err": TEXT} (status 200, or the statement error's), and
 * /query streams the output text. X-Sluice-Source names the input in
 * error messages. */

#define SLUICE_SESSION_TYPE "application/vnd.sluice.session+json"

/* The output mode a sluice client asked for; false for other clients. */
static bool passthrough(struct MHD_Connection *c, sl_output *mode, char *src, size_t n)
{
    const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Sluice-Output");
    if (!o)
        return false;
    *mode = strcmp(o, "json") == 0 ? SL_OUTPUT_JSON : SL_OUTPUT_TABLE;
    const char *sn = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Sluice-Source");
    size_t i = 0;
    for (; sn && sn[i] && i + 1 < n; i++)      /* printable only: it ends up in messages */
        src[i] = (unsigned char)sn[i] < 0x20 || sn[i] == 0x7f ? '?' : sn[i];
    src[i] = '\0';
    if (!i)
        snprintf(src, n, "<request>");
    return true;
}

static int reply_session(sl_server *sv, struct MHD_Connection *c, request *rq, unsigned status,
                         const char *out, size_t outlen, const char *err, size_t errlen)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "{\"out\":");
    sl_buf_json_string(&b, out ? out : "", out ? outlen : 0);
    sl_buf_puts(&b, ",\"err\":");
    sl_buf_json_string(&b, err ? err : "", err ? errlen : 0);
    sl_buf_putc(&b, '}');
    int rc = sl_http_reply(sv, c, rq, status, SLUICE_SESSION_TYPE, sl_buf_cstr(&b), b.len);
    sl_buf_fini(&b);
    return rc;
}

/* The HTTP status for a failed statement: from the first error's code
 * (JSON mode), else 400. */
static unsigned failed_status(const run *r, sl_output mode)
{
    if (mode != SL_OUTPUT_JSON || !r->err)
        return 400;
    json_t *o = json_loadb(r->err, r->errlen, JSON_DISABLE_EOF_CHECK, NULL);
    int code = o ? (int)json_integer_value(json_object_get(o, "error_code")) : 40001;
    json_decref(o);
    return code >= 40000 && code < 60000 ? (unsigned)(code / 100) : 400;
}

/* ---- classifying statements ---- */

typedef struct stmt_info {
    sl_stmt_kind kind;
    bool push;                  /* SELECT ... EMIT CHANGES / FINAL */
    bool is_table;
    char name[128];
} stmt_info;

typedef struct lookup_ctx {
    json_t *vars;               /* the request's sessionVariables, or NULL */
    json_t *defined;            /* DEFINE / UNDEFINE met so far (null: undefined) */
    sl_catalog *cat;
} lookup_ctx;

/* v, or the value of the member of obj named name in any case. */
static json_t *member_nocase(json_t *obj, const char *name)
{
    json_t *v = obj ? json_object_get(obj, name) : NULL;
    const char *k;
    json_t *x;
    if (!v && obj)
        json_object_foreach(obj, k, x)
            if (strcasecmp(k, name) == 0)
                v = x;
    return v;
}

static const char *lookup_var(void *ud, const char *name)
{
    lookup_ctx *lc = ud;
    json_t *v = member_nocase(lc->defined, name);
    if (!v)
        v = member_nocase(lc->vars, name);
    if (json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    return sl_catalog_variable(lc->cat, name);
}

/*
 * The statements of text, up to max; -1 when one does not parse (running
 * the text reports it, and stops there). DEFINE and UNDEFINE are followed
 * as the executor will, so that a variable defined in the text cannot make
 * a statement classified here differ from the one that runs. Call with the
 * statement lock held.
 */
static int classify(sl_server *sv, const char *text, size_t len, json_t *vars, stmt_info *out,
                    int max)
{
    lookup_ctx lc = {vars, json_object(), sl_engine_catalog(sv->eng)};
    sl_parser *p = sl_parser_new(text, len, lookup_var, &lc);
    if (!p) {
        json_decref(lc.defined);
        return -1;
    }
    int n = 0, rc;
    for (;;) {
        sl_arena *a = sl_arena_new(0);
        sl_stmt *st = NULL;
        sl_error e;
        sl_error_clear(&e);
        rc = sl_parser_next(p, a, &st, &e);
        if (rc == 1 && n < max) {
            out[n].kind = st->kind;
            out[n].push = st->kind == SL_S_SELECT && st->query && st->query->emit != SL_EMIT_NONE;
            out[n].is_table = st->is_table;
            snprintf(out[n].name, sizeof out[n].name, "%s", st->name.name ? st->name.name : "");
        }
        const char *var = rc == 1 ? (st->str ? st->str : st->name.name) : NULL;
        if (var && st->kind == SL_S_DEFINE)
            json_object_set_new(lc.defined, var, json_string(st->str2 ? st->str2 : ""));
        else if (var && st->kind == SL_S_UNDEFINE)
            json_object_set_new(lc.defined, var, json_null());
        sl_arena_free(a);
        if (rc <= 0)
            break;
        n++;
    }
    sl_parser_free(p);
    json_decref(lc.defined);
    return rc < 0 ? -1 : n;
}

/* ---- request bodies ---- */

/* The body as a JSON object with a string member `sql_key` (or `alt`);
 * answers 400 and returns NULL when it is not. */
static json_t *parse_body(sl_server *sv, struct MHD_Connection *c, request *rq,
                          const char *sql_key, const char *alt, int *mhd)
{
    json_error_t je;
    json_t *o = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len, 0, &je);
    if (!o || !json_is_object(o)) {
        *mhd = sl_http_error(sv, c, rq, 40000, "the request body is not a JSON object: %s",
                             o ? "another JSON value" : je.text);
        json_decref(o);
        return NULL;
    }
    json_t *sql = json_object_get(o, sql_key);
    if (!sql && alt)
        sql = json_object_get(o, alt);
    if (!json_is_string(sql)) {
        *mhd = sl_http_error(sv, c, rq, 40000, "the request wants \"%s\": a string of SQL",
                             sql_key);
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *member_object(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (!v && b)
        v = json_object_get(o, b);
    return json_is_object(v) ? v : NULL;
}

/* ---- /ksql ---- */

/* ksqlDB's command id: "stream/NAME/create", "terminate/ID/execute" ... */
static void command_id(const stmt_info *si, char *out, size_t n)
{
    const char *what = si->is_table ? "table" : "stream";
    switch (si->kind) {
    case SL_S_CREATE_SOURCE:
    case SL_S_CREATE_AS:
        snprintf(out, n, "%s/%s/create", what, si->name);
        break;
    case SL_S_DROP_SOURCE:
        snprintf(out, n, "%s/%s/drop", what, si->name);
        break;
    case SL_S_INSERT_SELECT:
        snprintf(out, n, "stream/%s/insert", si->name);
        break;
    case SL_S_CREATE_TYPE:
        snprintf(out, n, "type/%s/create", si->name);
        break;
    case SL_S_DROP_TYPE:
        snprintf(out, n, "type/%s/drop", si->name);
        break;
    case SL_S_TERMINATE:
    case SL_S_PAUSE:
    case SL_S_RESUME:
        snprintf(out, n, "%s/%s/execute",
                 si->kind == SL_S_TERMINATE ? "terminate" : si->kind == SL_S_PAUSE ? "pause"
                                                                                   : "resume",
                 si->name[0] ? si->name : "ALL");
        break;
    default:
        out[0] = '\0';
    }
}

/* The command id of the first statement of text, or "" (a statement that
 * gets none, or text that does not parse). Call with the statement lock. */
void sl_srv_command_id_of(sl_server *sv, const char *text, char *out, size_t n)
{
    stmt_info si;
    memset(&si, 0, sizeof si);
    out[0] = '\0';
    if (classify(sv, text, strlen(text), NULL, &si, 1) >= 1)
        command_id(&si, out, n);
}

#define COMMANDS_MAX (1u << 20)      /* bytes of /status history kept; older lines go */

static void record_command(sl_server *sv, const char *id, const char *status, const char *msg)
{
    pthread_mutex_lock(&sv->mu);
    if (sv->commands.len > COMMANDS_MAX) {
        const char *cut = memchr(sv->commands.data + sv->commands.len / 2, '\n',
                                 sv->commands.len / 2);
        size_t drop = cut ? (size_t)(cut + 1 - sv->commands.data) : sv->commands.len;
        memmove(sv->commands.data, sv->commands.data + drop, sv->commands.len - drop);
        sv->commands.len -= drop;
        sv->commands.data[sv->commands.len] = '\0';
    }
    sl_buf_printf(&sv->commands, "%s\t%s\t", id, status);
    for (const char *p = msg ? msg : ""; *p; p++)
        sl_buf_putc(&sv->commands, *p == '\t' || *p == '\n' ? ' ' : *p);
    sl_buf_putc(&sv->commands, '\n');
    pthread_mutex_unlock(&sv->mu);
}

/* Appends one entity line, with ksqlDB's commandId and commandStatus added
 * to a currentStatus of a statement that changed something. */
static void add_entity(sl_server *sv, sl_buf *arr, const char *line, size_t len,
                       const stmt_info *si)
{
    char id[200] = "";
    if (si)
        command_id(si, id, sizeof id);
    const char *cs = "{\"@type\":\"currentStatus\"";
    if (!id[0] || len < strlen(cs) || strncmp(line, cs, strlen(cs)) != 0) {
        sl_buf_append(arr, line, len);
        return;
    }
    json_t *o = json_loadb(line, len, 0, NULL);
    const char *msg = o ? json_string_value(json_object_get(o, "message")) : NULL;
    json_t *head = json_object();
    json_t *status = json_object();
    json_object_set_new(status, "status", json_string("SUCCESS"));
    json_object_set_new(status, "message", json_string(msg ? msg : ""));
    json_object_set_new(head, "commandId", json_string(id));
    json_object_set_new(head, "commandStatus", status);
    char *h = json_dumps(head, JSON_COMPACT);
    record_command(sv, id, "SUCCESS", msg);
    json_decref(head);
    json_decref(o);
    /* {"commandId":..,"commandStatus":{..}} + the entity's members */
    sl_buf_append(arr, h, strlen(h) - 1);
    sl_buf_putc(arr, ',');
    sl_buf_append(arr, line + 1, len - 1);
    free(h);
}

/* The entities the session wrote, as the members of a JSON array. */
static int gather_entities(sl_server *sv, const run *r, const stmt_info *si, int nsi, sl_buf *arr)
{
    int n = 0;
    const char *p = r->out, *end = r->out + r->outlen;
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
        if (len) {
            if (n)
                sl_buf_putc(arr, ',');
            add_entity(sv, arr, p, len, n < nsi ? &si[n] : NULL);
            n++;
        }
        p += len + 1;
    }
    return n;
}

/* The session's first error line with "entities" holding what succeeded
 * before it; *code gets its error code. */
static void error_with_entities(const run *r, const sl_buf *entities, sl_buf *out, int *code)
{
    const char *eol = r->err ? memchr(r->err, '\n', r->errlen) : NULL;
    size_t len = eol ? (size_t)(eol - r->err) : r->errlen;
    json_t *o = r->err ? json_loadb(r->err, len, 0, NULL) : NULL;
    *code = o ? (int)json_integer_value(json_object_get(o, "error_code")) : 50000;
    if (*code < 40000 || *code > 59999)
        *code = 50000;
    if (!o) {
        sl_buf_printf(out, "{\"@type\":\"statement_error\",\"error_code\":50000,"
                           "\"message\":\"the statement failed\",\"entities\":[%s]}",
                      entities->data ? entities->data : "");
        return;
    }
    json_object_del(o, "entities");
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    sl_buf_append(out, s, strlen(s) - 1);
    sl_buf_printf(out, ",\"entities\":[%s]}", entities->data ? entities->data : "");
    free(s);
}

/* A statement_error answer for a statement refused before running. */
static int statement_refused(sl_server *sv, struct MHD_Connection *c, request *rq, int code,
                             const char *sql, const char *msg)
{
    json_t *o = json_object();
    json_object_set_new(o, "@type", json_string("statement_error"));
    json_object_set_new(o, "error_code", json_integer(code));
    json_object_set_new(o, "message", json_string(msg));
    json_object_set_new(o, "statementText", json_string(sql));
    json_object_set_new(o, "entities", json_array());
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    int rc = sl_http_reply(sv, c, rq, (unsigned)(code / 100), "application/json", s, strlen(s));
    free(s);
    return rc;
}

#define MAX_STATEMENTS 4096

int sl_srv_ksql(sl_server *sv, struct MHD_Connection *c, request *rq)
{
    int mhd = MHD_NO;
    json_t *body = parse_body(sv, c, rq, "ksql", NULL, &mhd);
    if (!body)
        return mhd;
    const char *sql = json_string_value(json_object_get(body, "ksql"));
    json_t *props = member_object(body, "streamsProperties", "properties");
    json_t *vars = member_object(body, "sessionVariables", NULL);
    sl_output mode = SL_OUTPUT_JSON;
    char src[128];
    bool pass = passthrough(c, &mode, src, sizeof src);
    stmt_info *si = calloc(MAX_STATEMENTS, sizeof *si);
    char msg[640];
    run r;
    if (!si || run_begin(&r, sv, props, vars, msg, sizeof msg) < 0) {
        mhd = statement_refused(sv, c, rq, 40001, sql, si ? msg : "out of memory");
        free(si);
        json_decref(body);
        return mhd;
    }
    int nsi = classify(sv, sql, strlen(sql), vars, si, MAX_STATEMENTS);
    for (int i = 0; i < nsi && i < MAX_STATEMENTS; i++) {
        const char *why = NULL;
        int code = 40001;
        if (si[i].kind == SL_S_SELECT || si[i].kind == SL_S_PRINT) {
            why = "SELECT and PRINT stream their results: send them to /query or /query-stream";
            code = 40002;
        } else if (si[i].kind == SL_S_RUN_SCRIPT)
            why = "RUN SCRIPT would read a file on the worker: send the file's statements "
                  "instead (sluice --server URL -f FILE does)";
        if (why) {
            run_fini(&r);
            mhd = statement_refused(sv, c, rq, code, sql, why);
            free(si);
            json_decref(body);
            return mhd;
        }
    }
    if (pass) {
        run_text(&r, sql, strlen(sql), NULL, mode, NULL, src);
        run_release(&r);
        mhd = reply_session(sv, c, rq, r.rc ? failed_status(&r, mode) : 200, r.out, r.outlen,
                            r.err, r.errlen);
        run_fini(&r);
        free(si);
        json_decref(body);
        return mhd;
    }
    run_text(&r, sql, strlen(sql), NULL, SL_OUTPUT_JSON, NULL, NULL);
    run_release(&r);
    sl_buf arr = SL_BUF_INIT;
    int nok = gather_entities(sv, &r, si, nsi > 0 ? nsi : 0, &arr);
    if (r.rc != 0) {
        sl_buf eb = SL_BUF_INIT;
        int code;
        error_with_entities(&r, &arr, &eb, &code);
        if (nok < nsi) {
            char id[200];
            command_id(&si[nok], id, sizeof id);
            json_t *eo = json_loadb(eb.data, eb.len, 0, NULL);
            if (id[0])
                record_command(sv, id, "ERROR",
                               eo ? json_string_value(json_object_get(eo, "message")) : NULL);
            json_decref(eo);
        }
        mhd = sl_http_reply(sv, c, rq, (unsigned)(code / 100), "application/json",
                            sl_buf_cstr(&eb), eb.len);
        sl_buf_fini(&eb);
    } else {
        sl_buf out = SL_BUF_INIT;
        sl_buf_printf(&out, "[%s]", sl_buf_cstr(&arr));
        mhd = sl_http_reply(sv, c, rq, 200, "application/json", out.data, out.len);
        sl_buf_fini(&out);
    }
    sl_buf_fini(&arr);
    run_fini(&r);
    free(si);
    json_decref(body);
    return mhd;
}

/* ---- /query and /query-stream ---- */

typedef enum shape {
    SHAPE_QUERY,                /* /query: a JSON array, header, rows, finalMessage */
    SHAPE_DELIMITED,            /* /query-stream: a header line, a JSON array per row */
    SHAPE_JSON,                 /* /query-stream, Accept: application/json: one array */
    SHAPE_TEXT                  /* a sluice client: the session's own output */
} shape;

struct push {
    sl_server *sv;
    push *next;                 /* in sv->pushes */
    shape shape;
    bool is_push;               /* a push query (counted against the limit) */
    char *sql;
    json_t *props, *vars;       /* owned references */
    int fd;                     /* the client's socket: a reader notices it closed */
    pthread_t th;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* rows, the end, room in the buffer */
    sl_buf pending;             /* rendered, not yet handed to MHD */
    size_t off;                 /* of pending, handed over already */
    bool header_seen, done;
    volatile sig_atomic_t cancel;
    char query_id[160];
    run r;
    sl_buf scratch;
    uint64_t rows;
    sl_output mode;             /* SHAPE_TEXT: the session's output mode */
    char src[128];              /* SHAPE_TEXT: the input's name for errors */
};

static void push_put(push *p, const char *s, size_t n)
{
    pthread_mutex_lock(&p->mu);
    sl_buf_append(&p->pending, s, n);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* A type as ksqlDB's REST API spells it in query headers: STRING where its
 * DESCRIBE (and sl_type_format) says VARCHAR; quoted field names untouched. */
static void rest_type(sl_buf *out, const sl_type *t)
{
    sl_buf tb = SL_BUF_INIT;
    sl_type_format(&tb, t);
    const char *p = sl_buf_cstr(&tb);
    bool quoted = false;
    for (size_t i = 0; p[i]; i++) {
        if (p[i] == '`')
            quoted = !quoted;
        if (!quoted && strncmp(p + i, "VARCHAR", 7) == 0 &&
            (i == 0 || !isalnum((unsigned char)p[i - 1])) && !isalnum((unsigned char)p[i + 7])) {
            sl_buf_puts(out, "STRING");
            i += 6;
            continue;
        }
        sl_buf_putc(out, p[i]);
    }
    sl_buf_fini(&tb);
}

static int on_header(void *ud, const char *query_id, int ncols, const char *const *names,
                     const sl_type *const *types, bool pull)
{
    push *p = ud;
    snprintf(p->query_id, sizeof p->query_id, "%s", query_id);
    if (p->is_push)
        run_release(&p->r);     /* planned: other statements may run while it streams */
    if (p->shape == SHAPE_TEXT) {   /* the session writes the rest */
        pthread_mutex_lock(&p->mu);
        p->header_seen = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    sl_buf *b = &p->scratch;
    sl_buf_reset(b);
    sl_buf tb = SL_BUF_INIT;
    if (p->shape == SHAPE_QUERY) {
        sl_buf_puts(b, "[{\"header\":{\"queryId\":");
        sl_buf_json_string(b, query_id, strlen(query_id));
        sl_buf_puts(b, ",\"schema\":\"");
        for (int i = 0; i < ncols; i++) {
            sl_buf_reset(&tb);
            rest_type(&tb, types[i]);
            sl_buf_printf(b, "%s`%s` %s", i ? ", " : "", names[i], sl_buf_cstr(&tb));
        }
        sl_buf_puts(b, "\"}}");
    } else {
        sl_buf_puts(b, p->shape == SHAPE_JSON ? "[{\"queryId\":" : "{\"queryId\":");
        sl_buf_json_string(b, query_id, strlen(query_id));
        sl_buf_puts(b, ",\"columnNames\":[");
        for (int i = 0; i < ncols; i++) {
            if (i)
                sl_buf_putc(b, ',');
            sl_buf_json_string(b, names[i], strlen(names[i]));
        }
        sl_buf_puts(b, "],\"columnTypes\":[");
        for (int i = 0; i < ncols; i++) {
            sl_buf_reset(&tb);
            rest_type(&tb, types[i]);
            if (i)
                sl_buf_putc(b, ',');
            sl_buf_json_string(b, tb.data ? tb.data : "", tb.len);
        }
        sl_buf_puts(b, p->shape == SHAPE_JSON ? "]}" : "]}\n");
    }
    sl_buf_fini(&tb);
    pthread_mutex_lock(&p->mu);
    sl_buf_append(&p->pending, b->data, b->len);
    p->header_seen = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static int on_row(void *ud, int ncols, const sl_value *cells, const sl_type *const *types)
{
    push *p = ud;
    sl_buf *b = &p->scratch;
    sl_buf_reset(b);
    if (p->shape == SHAPE_QUERY)
        sl_buf_puts(b, ",\n{\"row\":{\"columns\":[");
    else
        sl_buf_puts(b, p->shape == SHAPE_JSON ? ",\n[" : "[");
    for (int i = 0; i < ncols; i++) {
        if (i)
            sl_buf_putc(b, ',');
        sl_value_render(b, &cells[i], types[i], SL_RENDER_JSON);
    }
    sl_buf_puts(b, p->shape == SHAPE_QUERY ? "]}}" : p->shape == SHAPE_JSON ? "]" : "]\n");
    p->rows++;
    pthread_mutex_lock(&p->mu);
    /* a slow client: the query waits rather than buffering without bound */
    while (p->pending.len - p->off > PUSH_BUFFER_MAX && !p->cancel)
        pthread_cond_wait(&p->cv, &p->mu);
    sl_buf_append(&p->pending, b->data, b->len);
    pthread_cond_broadcast(&p->cv);
    int stop = p->cancel != 0;
    pthread_mutex_unlock(&p->mu);
    return stop;
}

static void on_end(void *ud, const char *message)
{
    push *p = ud;
    if (p->shape != SHAPE_QUERY)
        return;
    sl_buf *b = &p->scratch;
    sl_buf_reset(b);
    sl_buf_puts(b, ",\n{\"finalMessage\":");
    sl_buf_json_string(b, message, strlen(message));
    sl_buf_puts(b, "}");
    push_put(p, b->data, b->len);
}

/* After the header: how the stream ends when the query failed midway. */
static void trailer_error(push *p, sl_buf *b)
{
    const char *eol = p->r.err ? memchr(p->r.err, '\n', p->r.errlen) : NULL;
    size_t len = eol ? (size_t)(eol - p->r.err) : p->r.errlen;
    if (p->shape == SHAPE_QUERY)
        sl_buf_puts(b, ",\n{\"errorMessage\":");
    else if (p->shape == SHAPE_JSON)
        sl_buf_puts(b, ",\n");
    if (len)
        sl_buf_append(b, p->r.err, len);
    else
        sl_buf_puts(b, "{\"@type\":\"generic_error\",\"error_code\":50000,"
                       "\"message\":\"the query failed\"}");
    if (p->shape == SHAPE_QUERY)
        sl_buf_putc(b, '}');
    else if (p->shape == SHAPE_DELIMITED)
        sl_buf_putc(b, '\n');
}

/* The session's output in text mode: into the buffer the client drains,
 * waiting for room as on_row does. */
static ssize_t text_write(void *cookie, const char *buf, size_t n)
{
    push *p = cookie;
    pthread_mutex_lock(&p->mu);
    while (p->pending.len - p->off > PUSH_BUFFER_MAX && !p->cancel)
        pthread_cond_wait(&p->cv, &p->mu);
    sl_buf_append(&p->pending, buf, n);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return (ssize_t)n;
}

static void *push_main(void *arg)
{
    push *p = arg;
    bool text = p->shape == SHAPE_TEXT;
    sl_session_rows hook = {on_header, text ? NULL : on_row, text ? NULL : on_end, p,
                            &p->cancel};
    char msg[640];
    if (run_begin(&p->r, p->sv, p->props, p->vars, msg, sizeof msg) < 0) {
        FILE *f = open_memstream(&p->r.err, &p->r.errlen);
        if (f) {
            json_t *o = json_object();
            json_object_set_new(o, "@type", json_string("statement_error"));
            json_object_set_new(o, "error_code", json_integer(40001));
            json_object_set_new(o, "message", json_string(msg));
            json_object_set_new(o, "statementText", json_string(p->sql));
            json_dumpf(o, f, JSON_COMPACT);
            json_decref(o);
            fputc('\n', f);
            fclose(f);
        }
        p->r.rc = 1;
    } else {
        cookie_io_functions_t io = {.write = text_write};
        FILE *out = text ? fopencookie(p, "w", io) : NULL;
        if (out)
            setvbuf(out, NULL, _IONBF, 0);
        run_text(&p->r, p->sql, strlen(p->sql), &hook, text ? p->mode : SL_OUTPUT_JSON, out,
                 text ? p->src : NULL);
        if (out)
            fclose(out);
        run_release(&p->r);
    }
    sl_buf b = SL_BUF_INIT;
    if (text && p->header_seen && p->r.err)
        sl_buf_append(&b, p->r.err, p->r.errlen);
    else if (p->header_seen && p->r.rc != 0)
        trailer_error(p, &b);
    if (!text && p->header_seen && p->shape != SHAPE_DELIMITED)
        sl_buf_puts(&b, "]\n");
    pthread_mutex_lock(&p->mu);
    sl_buf_append(&p->pending, b.data ? b.data : "", b.len);
    p->done = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    sl_buf_fini(&b);
    return NULL;
}

/* Whether the client closed its end: it sends nothing after the request,
 * so a readable socket that reads as end-of-file, or a hang-up, means gone. */
static bool client_gone(int fd)
{
    if (fd < 0)
        return false;
    struct pollfd pf = {fd, POLLIN | POLLRDHUP, 0};
    if (poll(&pf, 1, 0) <= 0)
        return false;
    if (pf.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
        return true;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static ssize_t push_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    push *p = cls;
    pthread_mutex_lock(&p->mu);
    while (p->pending.len == p->off && !p->done) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += PUSH_POLL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT &&
            (client_gone(p->fd) || p->sv->stopping))
            p->cancel = 1;      /* the query ends and says so */
    }
    ssize_t n;
    if (p->pending.len > p->off) {
        size_t k = p->pending.len - p->off;
        if (k > max)
            k = max;
        memcpy(buf, p->pending.data + p->off, k);
        p->off += k;
        if (p->off == p->pending.len) {
            sl_buf_reset(&p->pending);
            p->off = 0;
        }
        pthread_cond_broadcast(&p->cv);     /* room for the query */
        n = (ssize_t)k;
    } else
        n = MHD_CONTENT_READER_END_OF_STREAM;
    pthread_mutex_unlock(&p->mu);
    return n;
}

static void push_unlink(push *p)
{
    sl_server *sv = p->sv;
    pthread_mutex_lock(&sv->mu);
    for (push **pp = &sv->pushes; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            if (p->is_push)
                sv->npush--;
            break;
        }
    pthread_mutex_unlock(&sv->mu);
}

static void push_free(void *cls)
{
    push *p = cls;
    if (!p)
        return;
    p->cancel = 1;
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (p->started)
        pthread_join(p->th, NULL);
    push_unlink(p);
    run_fini(&p->r);
    sl_buf_fini(&p->pending);
    sl_buf_fini(&p->scratch);
    json_decref(p->props);
    json_decref(p->vars);
    free(p->sql);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

void sl_srv_cancel_all(sl_server *sv)
{
    pthread_mutex_lock(&sv->mu);
    for (push *p = sv->pushes; p; p = p->next) {
        p->cancel = 1;
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    pthread_mutex_unlock(&sv->mu);
}

/* Whether the client asked for one JSON document (Accept: application/json). */
static bool wants_json(struct MHD_Connection *c)
{
    const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    return acc && strstr(acc, "application/json") && !strstr(acc, "delimited");
}

static int serve_query(sl_server *sv, struct MHD_Connection *c, request *rq, shape sh,
                       const char *sql_key, const char *alt, const char *props_key,
                       const char *props_alt)
{
    int mhd = MHD_NO;
    json_t *body = parse_body(sv, c, rq, sql_key, alt, &mhd);
    if (!body)
        return mhd;
    json_t *sqlv = json_object_get(body, sql_key);
    if (!sqlv)
        sqlv = json_object_get(body, alt);
    const char *sql = json_string_value(sqlv);
    json_t *props = member_object(body, props_key, props_alt);
    json_t *vars = member_object(body, "sessionVariables", NULL);
    sl_output mode = SL_OUTPUT_JSON;
    char src[128] = "";
    if (passthrough(c, &mode, src, sizeof src))
        sh = SHAPE_TEXT;
    stmt_info si[2];
    pthread_mutex_lock(&sv->exec);
    int n = classify(sv, sql, strlen(sql), vars, si, 2);
    pthread_mutex_unlock(&sv->exec);
    if (n != 1 || si[0].kind != SL_S_SELECT) {
        mhd = statement_refused(sv, c, rq, 40002, sql,
                                n < 0 ? "the statement does not parse; send exactly one SELECT"
                                : n != 1 ? "send exactly one SELECT statement (a push or pull "
                                           "query); other statements go to /ksql"
                                         : "only SELECT runs here; other statements go to /ksql");
        json_decref(body);
        return mhd;
    }
    push *p = calloc(1, sizeof *p);
    if (!p) {
        json_decref(body);
        return sl_http_error(sv, c, rq, 50000, "out of memory");
    }
    p->sv = sv;
    p->shape = sh;
    p->mode = mode;
    snprintf(p->src, sizeof p->src, "%s", sh == SHAPE_TEXT ? src : "");
    p->is_push = si[0].push;
    p->sql = strdup(sql);
    p->props = json_incref(props);
    p->vars = json_incref(vars);
    json_decref(body);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    p->fd = ci ? ci->connect_fd : -1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);

    pthread_mutex_lock(&sv->mu);
    bool full = p->is_push && sv->npush >= sv->o.max_push_queries;
    if (!full) {
        p->next = sv->pushes;
        sv->pushes = p;
        sv->npush += p->is_push;
    }
    pthread_mutex_unlock(&sv->mu);
    if (full) {
        push_free(p);
        return sl_http_error(sv, c, rq, 42900,
                             "too many push queries running (the limit is %d, "
                             "--max-push-queries): close one with /close-query first",
                             sv->o.max_push_queries);
    }
    if (pthread_create(&p->th, NULL, push_main, p) != 0) {
        push_free(p);
        return sl_http_error(sv, c, rq, 50000, "cannot start a thread for the query");
    }
    p->started = true;
    /* answer once the query is planned (200 and rows) or has failed (its error) */
    pthread_mutex_lock(&p->mu);
    while (!p->header_seen && !p->done)
        pthread_cond_wait(&p->cv, &p->mu);
    bool ok = p->header_seen;
    pthread_mutex_unlock(&p->mu);
    if (!ok && sh == SHAPE_TEXT) {
        pthread_join(p->th, NULL);
        p->started = false;
        mhd = reply_session(sv, c, rq, failed_status(&p->r, mode), p->r.out, p->r.outlen,
                            p->r.err, p->r.errlen);
        push_free(p);
        return mhd;
    }
    if (!ok) {
        pthread_join(p->th, NULL);
        p->started = false;
        sl_buf eb = SL_BUF_INIT;
        sl_buf none = SL_BUF_INIT;
        int code;
        error_with_entities(&p->r, &none, &eb, &code);
        mhd = sl_http_reply(sv, c, rq, (unsigned)(code / 100), "application/json",
                            sl_buf_cstr(&eb), eb.len);
        sl_buf_fini(&eb);
        push_free(p);
        return mhd;
    }
    /* no idle timeout while rows may be minutes apart: push_read watches the client */
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned int)0);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, push_read, p, push_free);
    if (!r) {
        push_free(p);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            sh == SHAPE_DELIMITED ? "application/vnd.ksqlapi.delimited.v1"
                            : sh == SHAPE_TEXT    ? "text/plain; charset=utf-8"
                                                  : "application/json");
    return sl_http_queue(sv, c, rq, 200, r);
}

int sl_srv_query(sl_server *sv, struct MHD_Connection *c, request *rq)
{
    return serve_query(sv, c, rq, SHAPE_QUERY, "ksql", "sql", "streamsProperties",
                       "properties");
}

int sl_srv_query_stream(sl_server *sv, struct MHD_Connection *c, request *rq)
{
    return serve_query(sv, c, rq, wants_json(c) ? SHAPE_JSON : SHAPE_DELIMITED, "sql", "ksql",
                       "properties", "streamsProperties");
}

int sl_srv_close_query(sl_server *sv, struct MHD_Connection *c, request *rq)
{
    json_t *o = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len, 0, NULL);
    const char *id = json_string_value(json_object_get(o, "queryId"));
    if (!id) {
        json_decref(o);
        return sl_http_error(sv, c, rq, 40000, "the request wants {\"queryId\": \"...\"}");
    }
    bool found = false;
    pthread_mutex_lock(&sv->mu);
    for (push *p = sv->pushes; p; p = p->next)
        if (p->is_push && strcmp(p->query_id, id) == 0) {
            found = true;
            p->cancel = 1;
            pthread_mutex_lock(&p->mu);
            pthread_cond_broadcast(&p->cv);
            pthread_mutex_unlock(&p->mu);
        }
    pthread_mutex_unlock(&sv->mu);
    int mhd = found ? sl_http_reply(sv, c, rq, 200, "application/json", "", 0)
                    : sl_http_error(sv, c, rq, 40000, "no push query with id %s is running", id);
    json_decref(o);
    return mhd;
}

/* ---- /inserts-stream ---- */

typedef struct inserts {
    char *target;               /* the stream, NULL until the first line */
    sl_buf acks;
    int64_t seq;
    bool failed;                /* the target line was bad: the rest is ignored */
    int fail_code;
    char fail_msg[512];
} inserts;

static void inserts_free(void *state)
{
    inserts *in = state;
    if (!in)
        return;
    free(in->target);
    sl_buf_fini(&in->acks);
    free(in);
}

/* A double as the shortest text that reads back as the same double. */
static void put_real(sl_buf *b, double d)
{
    char tmp[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    sl_buf_puts(b, tmp);
}

/* `name` as a quoted identifier; false when it cannot be one. */
static bool put_ident(sl_buf *b, const char *name)
{
    if (strchr(name, '`'))
        return false;
    sl_buf_printf(b, "`%s`", name);
    return true;
}

/* A JSON value as a SQL literal: strings quoted with '' doubled, so no
 * value can end the literal or add SQL. t guides objects (MAP or STRUCT). */
static bool put_literal(sl_buf *b, const json_t *v, const sl_type *t)
{
    switch (json_typeof(v)) {
    case JSON_NULL: sl_buf_puts(b, "NULL"); return true;
    case JSON_TRUE: sl_buf_puts(b, "TRUE"); return true;
    case JSON_FALSE: sl_buf_puts(b, "FALSE"); return true;
    case JSON_INTEGER: sl_buf_printf(b, "%lld", (long long)json_integer_value(v)); return true;
    case JSON_REAL: {
        double d = json_real_value(v);
        if (!isfinite(d))
            return false;
        put_real(b, d);
        return true;
    }
    case JSON_STRING: {
        sl_buf_putc(b, '\'');
        const char *s = json_string_value(v);
        for (size_t i = 0, n = json_string_length(v); i < n; i++) {
            if (s[i] == '\'')
                sl_buf_putc(b, '\'');
            sl_buf_putc(b, s[i]);
        }
        sl_buf_putc(b, '\'');
        return true;
    }
    case JSON_ARRAY: {
        const sl_type *et = t && t->kind == SL_ARRAY ? t->elem : NULL;
        sl_buf_puts(b, "ARRAY[");
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (i)
                sl_buf_putc(b, ',');
            if (!put_literal(b, x, et))
                return false;
        }
        sl_buf_putc(b, ']');
        return json_array_size(v) > 0;      /* ARRAY[] has no element type */
    }
    case JSON_OBJECT: {
        bool map = t && t->kind == SL_MAP;
        sl_buf_puts(b, map ? "MAP(" : "STRUCT(");
        const char *k;
        json_t *x;
        int i = 0;
        json_object_foreach((json_t *)v, k, x) {
            if (i++)
                sl_buf_putc(b, ',');
            const sl_type *ft = NULL;
            if (map) {
                json_t *ks = json_string(k);
                put_literal(b, ks, NULL);
                json_decref(ks);
                ft = t->elem;   /* a MAP's value type */
            } else {
                if (!put_ident(b, k))
                    return false;
                for (int f = 0; t && t->kind == SL_STRUCT && f < t->nfields; f++)
                    if (strcasecmp(t->fields[f].name, k) == 0)
                        ft = t->fields[f].type;
            }
            sl_buf_puts(b, " := ");
            if (!put_literal(b, x, ft))
                return false;
        }
        sl_buf_putc(b, ')');
        return i > 0;
    }
    }
    return false;
}

static const sl_column *find_column(const sl_source *src, const char *name)
{
    for (int i = 0; i < src->schema.ncols; i++)
        if (strcmp(src->schema.cols[i].name, name) == 0)
            return &src->schema.cols[i];
    for (int i = 0; i < src->schema.ncols; i++)
        if (strcasecmp(src->schema.cols[i].name, name) == 0)
            return &src->schema.cols[i];
    return NULL;
}

static const sl_source *find_stream(sl_server *sv, const char *name)
{
    sl_catalog *cat = sl_engine_catalog(sv->eng);
    const sl_source *s = sl_catalog_find_source(cat, name);
    if (!s) {
        char up[256];
        size_t i = 0;
        for (; name[i] && i + 1 < sizeof up; i++)
            up[i] = (char)toupper((unsigned char)name[i]);
        up[i] = '\0';
        s = sl_catalog_find_source(cat, up);
    }
    return s;
}

/* INSERT INTO target (cols) VALUES (literals) for one row; -1 with msg. */
static int insert_statement(sl_server *sv, const char *target, json_t *row, sl_buf *sql,
                            char *msg, size_t n)
{
    const sl_source *src = find_stream(sv, target);
    if (!src) {
        snprintf(msg, n, "stream %s does not exist", target);
        return -1;
    }
    sl_buf cols = SL_BUF_INIT, vals = SL_BUF_INIT;
    const char *k;
    json_t *v;
    int i = 0, rc = 0;
    json_object_foreach(row, k, v) {
        const sl_column *col = strcasecmp(k, "ROWTIME") == 0 ? NULL : find_column(src, k);
        if (!col && strcasecmp(k, "ROWTIME") != 0) {
            snprintf(msg, n, "%s has no column `%s`", src->name, k);
            rc = -1;
            break;
        }
        if (i++) {
            sl_buf_putc(&cols, ',');
            sl_buf_putc(&vals, ',');
        }
        if (!put_ident(&cols, col ? col->name : "ROWTIME") ||
            !put_literal(&vals, v, col ? col->type : NULL)) {
            snprintf(msg, n, "the value of `%s` cannot be written as a literal (an empty "
                             "array or object, or a number out of range)", k);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && i == 0) {
        snprintf(msg, n, "the row has no columns");
        rc = -1;
    }
    if (rc == 0) {
        sl_buf_puts(sql, "INSERT INTO ");
        put_ident(sql, src->name);
        sl_buf_printf(sql, " (%s) VALUES (%s);", sl_buf_cstr(&cols), sl_buf_cstr(&vals));
    }
    sl_buf_fini(&cols);
    sl_buf_fini(&vals);
    return rc;
}

static void ack(inserts *in, bool ok, int code, const char *msg)
{
    if (ok) {
        sl_buf_printf(&in->acks, "{\"status\":\"ok\",\"seq\":%lld}\n", (long long)in->seq++);
        return;
    }
    sl_buf_printf(&in->acks, "{\"status\":\"error\",\"seq\":%lld,\"error_code\":%d,\"message\":",
                  (long long)in->seq++, code);
    sl_buf_json_string(&in->acks, msg, strlen(msg));
    sl_buf_puts(&in->acks, "}\n");
}

static void insert_row(sl_server *sv, inserts *in, const char *line, size_t len)
{
    json_error_t je;
    json_t *row = json_loadb(line, len, 0, &je);
    char msg[640];
    if (!json_is_object(row)) {
        snprintf(msg, sizeof msg, "the row is not a JSON object%s%s", row ? "" : ": ",
                 row ? "" : je.text);
        ack(in, false, 40000, msg);
        json_decref(row);
        pthread_mutex_lock(&sv->mu);
        sv->insert_errors++;
        pthread_mutex_unlock(&sv->mu);
        return;
    }
    sl_buf sql = SL_BUF_INIT;
    run r;
    run_begin(&r, sv, NULL, NULL, msg, sizeof msg);
    bool ok = insert_statement(sv, in->target, row, &sql, msg, sizeof msg) == 0;
    int code = 40000;
    if (ok) {
        run_text(&r, sql.data, sql.len, NULL, SL_OUTPUT_JSON, NULL, NULL);
        if (r.rc != 0) {
            ok = false;
            json_t *e = r.err ? json_loadb(r.err, r.errlen, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
            const char *m = e ? json_string_value(json_object_get(e, "message")) : NULL;
            snprintf(msg, sizeof msg, "%s", m ? m : "the row could not be inserted");
            json_decref(e);
        }
    }
    run_fini(&r);
    ack(in, ok, code, msg);
    pthread_mutex_lock(&sv->mu);
    if (ok)
        sv->inserted++;
    else
        sv->insert_errors++;
    pthread_mutex_unlock(&sv->mu);
    sl_buf_fini(&sql);
    json_decref(row);
}

/* The first line: {"target": "STREAM"}. */
static void insert_target(sl_server *sv, inserts *in, const char *line, size_t len)
{
    json_t *o = json_loadb(line, len, 0, NULL);
    const char *t = json_string_value(json_object_get(o, "target"));
    in->failed = true;
    in->fail_code = 40000;
    if (!t)
        snprintf(in->fail_msg, sizeof in->fail_msg,
                 "the first line must be {\"target\": \"STREAM\"}");
    else {
        pthread_mutex_lock(&sv->exec);
        const sl_source *src = find_stream(sv, t);
        if (!src)
            snprintf(in->fail_msg, sizeof in->fail_msg, "stream %s does not exist", t);
        else if (src->is_table || src->is_source)
            snprintf(in->fail_msg, sizeof in->fail_msg,
                     "%s is a %s: inserts go to streams that are not read-only", src->name,
                     src->is_table ? "table" : "source stream");
        else {
            in->failed = false;
            in->target = strdup(src->name);
        }
        pthread_mutex_unlock(&sv->exec);
    }
    json_decref(o);
}

int sl_srv_inserts(sl_server *sv, struct MHD_Connection *c, request *rq)
{
    inserts *in = rq->state;
    if (!in) {
        in = calloc(1, sizeof *in);
        if (!in)
            return MHD_NO;
        rq->state = in;
        rq->free_state = inserts_free;
    }
    /* whole lines out of the body; a partial one waits for the next chunk */
    size_t used = 0;
    const char *d = rq->body.data;
    while (!in->failed && d && used < rq->body.len) {
        const char *eol = memchr(d + used, '\n', rq->body.len - used);
        if (!eol && !rq->final)
            break;
        size_t len = eol ? (size_t)(eol - (d + used)) : rq->body.len - used;
        const char *line = d + used;
        used += len + (eol ? 1 : 0);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            len--;
        if (!len)
            continue;
        if (!in->target)
            insert_target(sv, in, line, len);
        else
            insert_row(sv, in, line, len);
    }
    if (used) {
        memmove(rq->body.data, rq->body.data + used, rq->body.len - used);
        rq->body.len -= used;
        rq->body.data[rq->body.len] = '\0';
    }
    if (!in->failed && rq->body.len > sv->o.max_body) {
        in->failed = true;
        in->fail_code = 41300;
        snprintf(in->fail_msg, sizeof in->fail_msg,
                 "a line is longer than the limit of %zu bytes (--max-body)", sv->o.max_body);
    }
    if (in->failed)
        sl_buf_reset(&rq->body);
    if (!rq->final)
        return MHD_YES;
    if (in->failed && in->seq == 0)
        return sl_http_error(sv, c, rq, in->fail_code, "%s", in->fail_msg);
    if (in->failed)
        ack(in, false, in->fail_code, in->fail_msg);
    if (!in->target && !in->failed)
        return sl_http_error(sv, c, rq, 40000, "the first line must be {\"target\": \"STREAM\"}");
    return sl_http_reply(sv, c, rq, 200, "application/vnd.ksqlapi.delimited.v1",
                         sl_buf_cstr(&in->acks), in->acks.len);
}
