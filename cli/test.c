/*
 * test.c: `sluice test -s statements.sql -i input.json -o output.json`,
 * ksqlDB's ksql-test-runner on the embedded store.
 *
 * Does: makes a fresh temporary data directory, runs the statements there
 * (with auto.offset.reset=earliest), appends the input records in file
 * order, waits until every query has consumed its inputs
 * (sl_engine_wait_idle), then reads every output topic named in the
 * expected file and compares its records, in order per topic, with the
 * expected ones: key and value as JSON values (numbers by value), the
 * timestamp when the expected record gives one. The order that counts is
 * the order per key: records with different keys may interleave in any way
 * (they do when they come from several partitions or several queries,
 * which Kafka does not order); records with equal keys must come in the
 * expected order. Prints
 * "Test passed!" and exits 0, or a listing of what matched, what is
 * missing and what came unexpectedly, and exits 1. Removes the directory
 * (unless --keep).
 *
 * File formats (ksql-test-runner's): input {"inputs":[{"topic","key",
 * "value","timestamp","headers":[{"KEY","VALUE"(base64)}]}]}, expected
 * {"outputs":[{"topic","key","value","timestamp"}]}. A missing key or value
 * is null; a missing input timestamp is 0.
 *
 * Encoding of inputs, by the formats of the stream declared over the topic:
 *  JSON       objects, arrays, numbers and booleans as compact JSON text; a
 *             string as its bytes (so a test can feed malformed records),
 *             except for an unwrapped single column (a JSON key, or
 *             WRAP_SINGLE_VALUE=false), where it is the JSON string;
 *  DELIMITED  a string as its bytes, numbers and booleans as their text;
 *  KAFKA      by the column's type: INT 4 and BIGINT 8 bytes big-endian,
 *             DOUBLE 8 bytes IEEE-754, STRING the bytes, BYTES from base64;
 *  NONE       no bytes.
 * Outputs are read back the same way (JSON parsed, DELIMITED as the text,
 * KAFKA by type). jansson does it all: this is the control plane, the
 * records go through the runtime's own codecs.
 *
 * Windowed topics (a source with WINDOW_TYPE, such as the table of a
 * windowed aggregation): a record's key is split with
 * sl_windowed_key_decode; "key" is the unwindowed key decoded by the key
 * format and the record gets "window": {"start": ms, "end": ms, "type":
 * "TIME"|"SESSION"} as ksql-test-runner writes it (the type is compared
 * case-insensitively: its own files say "time"). An expected record
 * matches only when both or neither have a window and the windows are
 * equal. An input record for a windowed stream may give "window" too: its
 * key is then written windowed. Tombstones (no value) compare as
 * "value": null.
 *
 * Record cache: like ksql-test-runner, the statements run with the state
 * cache off (SET 'cache.max.bytes.buffering'='0' before them), so every
 * update of an aggregate is an output record; statements that SET it
 * themselves override that.
 *
 * On Kafka (--bootstrap-servers, or bootstrap.servers in the
 * configuration): the run gets a service id and a topic prefix of its own,
 * "sluice-test-PID-MS" (log/prefix.h), so the statements and the expected
 * file name topics as they are while the cluster holds PREFIX + name, and
 * runs never see each other's topics; every topic of the run (prefixed, or
 * named after its service id: the command topic, changelogs) and its
 * queries' consumer groups are deleted afterwards unless --keep.
 *
 * Does not: support ksqlDB's test-case JSON (tests with several cases) or
 * schema-registry formats.
 */
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/catalog.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/exec.h"
#include "engine/window.h"
#include "formats/format.h"
#include "log/log.h"

static const char test_usage[] =
    "usage: sluice test -s statements.sql [-i input.json] -o output.json [options]\n"
    "\n"
    "Runs the statements on a fresh temporary data directory, appends the\n"
    "input records in order, waits until the queries are idle, and compares\n"
    "the records of each output topic with the expected ones (ksqlDB's\n"
    "ksql-test-runner files). Prints \"Test passed!\" or what differs.\n"
    "\n"
    "options:\n"
    "  -s, --sql-file FILE      the statements\n"
    "  -i, --input-file FILE    {\"inputs\":[{\"topic\",\"key\",\"value\",\"timestamp\",\"headers\"}]}\n"
    "  -o, --output-file FILE   {\"outputs\":[{\"topic\",\"key\",\"value\",\"timestamp\",\"window\"}]}\n"
    "      --timeout SECONDS    how long the queries may take to become idle (default 60)\n"
    "      --keep               keep the temporary data directory (its path is printed)\n"
    "                           and, on Kafka, the run's topics\n"
    SL_CLI_CONN_HELP
    "  -v, --verbose            print the statements' results\n"
    "  -h, --help               show this help\n"
    "\n"
    "exit status: 0 passed, 1 failed, 2 usage error\n";

/* ---- JSON helpers ---- */

static json_t *get_ci(json_t *obj, const char *name)
{
    const char *k;
    json_t *v;
    json_t *exact = json_object_get(obj, name);
    if (exact)
        return exact;
    json_object_foreach(obj, k, v)
        if (!strcasecmp(k, name))
            return v;
    return NULL;
}

/* JSON equality with numbers compared by value (1 == 1.0, 908.000 == 908). */
static bool json_same(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        long double x = json_is_integer(a) ? (long double)json_integer_value(a)
                                           : (long double)json_real_value(a);
        long double y = json_is_integer(b) ? (long double)json_integer_value(b)
                                           : (long double)json_real_value(b);
        return x == y || fabsl(x - y) <= 1e-9L * fmaxl(fabsl(x), fabsl(y));
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v) {
            json_t *w = json_object_get(b, k);
            if (!w || !json_same(v, w))
                return false;
        }
        return true;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    return json_equal(a, b);
}

static void print_json(FILE *f, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    fputs(s ? s : "?", f);
    free(s);
}

/* ---- the formats of a topic ---- */

typedef struct side {
    sl_format_kind kind;    /* SL_FMT_JSON when no stream declares the topic */
    bool unwrapped;         /* JSON: a bare value, not an object */
    const sl_type *type;    /* the single column's type (KAFKA), or NULL */
    bool declared;
} side;

static const sl_source *source_for_topic(sl_catalog *cat, const char *topic)
{
    int n = sl_catalog_source_count(cat);
    for (int i = 0; i < n; i++) {
        const sl_source *s = sl_catalog_source_at(cat, i);
        if (s->kafka_topic && !strcmp(s->kafka_topic, topic) &&
            strcmp(s->name, SL_PROCESSING_LOG_STREAM) != 0)
            return s;
    }
    n = sl_catalog_source_count(cat);
    for (int i = 0; i < n; i++) {
        const sl_source *s = sl_catalog_source_at(cat, i);
        if (s->kafka_topic && !strcmp(s->kafka_topic, topic))
            return s;
    }
    return NULL;
}

static side side_of(const sl_source *src, bool is_key)
{
    side sd = {SL_FMT_JSON, false, NULL, false};
    if (!src)
        return sd;
    const char *fmt = is_key ? src->key_format : src->value_format;
    sl_error err;
    if (!fmt || sl_format_parse_kind(fmt, strlen(fmt), &sd.kind, &err) != 0)
        return sd;
    sd.declared = true;
    int ncols = 0;
    for (int i = 0; i < src->schema.ncols; i++) {
        sl_colkind k = src->schema.cols[i].kind;
        if (is_key ? k == SL_COLK_KEY : k == SL_COLK_VALUE) {
            if (ncols++ == 0)
                sd.type = src->schema.cols[i].type;
        }
    }
    if (ncols != 1)
        sd.type = NULL;
    sl_format_opts fo = {0};
    fo.kind = sd.kind;
    fo.is_key = is_key;
    fo.wrap_single_value = is_key || src->wrap_single_value < 0 ? SL_WRAP_DEFAULT
                           : src->wrap_single_value ? SL_WRAP_TRUE : SL_WRAP_FALSE;
    sd.unwrapped = sd.kind == SL_FMT_JSON && sl_format_unwrapped(&fo, ncols);
    return sd;
}

/* ---- windowed keys ---- */

typedef struct winfo {
    bool windowed;              /* the source has WINDOW_TYPE */
    bool sized;                 /* spec is usable (a session, or a time window with a size) */
    sl_window_spec spec;
} winfo;

static winfo winfo_of(const sl_source *src)
{
    winfo w;
    memset(&w, 0, sizeof w);
    if (!src || !src->window_type)
        return w;
    w.windowed = true;
    sl_window_kind kind = !strcasecmp(src->window_type, "SESSION")   ? SL_WIN_SESSION
                          : !strcasecmp(src->window_type, "HOPPING") ? SL_WIN_HOPPING
                                                                     : SL_WIN_TUMBLING;
    int64_t size = src->window_size_ms;
    if (kind == SL_WIN_SESSION && size <= 0)
        size = 1;   /* a session's key carries its end: the gap is not needed to decode */
    sl_error err;
    sl_error_clear(&err);
    w.sized = size > 0 && sl_window_spec_init(&w.spec, kind, size, size, -1, -1, &err) == 0;
    if (!w.sized)
        w.spec.kind = kind;
    return w;
}

/*
 * Splits a windowed key into *key, *keylen and a new "window" object; NULL
 * (and the whole bytes as the key) when the bytes are too short. A time
 * window of unknown size gets "end": null.
 */
static json_t *split_windowed(const winfo *w, const void *data, int32_t len, const void **key,
                              int32_t *keylen)
{
    *key = data;
    *keylen = len;
    if (len < 0 || !data)
        return NULL;
    int64_t start = 0, end = 0;
    bool session = w->spec.kind == SL_WIN_SESSION;
    bool have_end = true;
    if (w->sized) {
        const void *k;
        size_t kl;
        sl_error err;
        sl_error_clear(&err);
        if (sl_windowed_key_decode(&w->spec, data, (size_t)len, &k, &kl, &start, &end, &err) != 0)
            return NULL;
        *key = k;
        *keylen = (int32_t)kl;
    } else {
        if (len < 8)
            return NULL;
        start = sl_cli_get_be64((const unsigned char *)data + len - 8);
        *keylen = len - 8;
        have_end = false;
    }
    json_t *o = json_object();
    json_object_set_new(o, "start", json_integer(start));
    json_object_set_new(o, "end", have_end ? json_integer(end) : json_null());
    json_object_set_new(o, "type", json_string(session ? "SESSION" : "TIME"));
    return o;
}

/* Equal windows: start and end by value, type case-insensitively; NULL == NULL. */
static bool window_same(json_t *a, json_t *b)
{
    if (a && json_is_null(a))
        a = NULL;
    if (b && json_is_null(b))
        b = NULL;
    if (!a || !b)
        return !a && !b;
    if (!json_is_object(a) || !json_is_object(b))
        return false;
    json_t *ta = get_ci(a, "type"), *tb = get_ci(b, "type");
    if (!json_is_string(ta) || !json_is_string(tb) ||
        strcasecmp(json_string_value(ta), json_string_value(tb)) != 0)
        return false;
    const char *names[] = {"start", "end"};
    for (int i = 0; i < 2; i++) {
        json_t *x = get_ci(a, names[i]), *y = get_ci(b, names[i]);
        if (!x || !y || !json_same(x, y))
            return false;
    }
    return true;
}

/* Encodes v for one side into b; *is_null for an absent key/value. NULL or why not. */
static const char *encode(const side *sd, json_t *v, sl_buf *b, bool *is_null)
{
    sl_buf_reset(b);
    *is_null = !v || json_is_null(v) || sd->kind == SL_FMT_NONE;
    if (*is_null)
        return NULL;
    if (sd->kind == SL_FMT_KAFKA && sd->type) {
        unsigned char be[8];
        switch (sd->type->kind) {
        case SL_INT:
            if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
                json_integer_value(v) > INT32_MAX)
                return "an INT wants an integer";
            sl_cli_put_be32(be, (int32_t)json_integer_value(v));
            sl_buf_append(b, (const char *)be, 4);
            return NULL;
        case SL_BIGINT:
            if (!json_is_integer(v))
                return "a BIGINT wants an integer";
            sl_cli_put_be64(be, (int64_t)json_integer_value(v));
            sl_buf_append(b, (const char *)be, 8);
            return NULL;
        case SL_DOUBLE: {
            if (!json_is_number(v))
                return "a DOUBLE wants a number";
            double d = json_number_value(v);
            int64_t bits;
            memcpy(&bits, &d, 8);
            sl_cli_put_be64(be, bits);
            sl_buf_append(b, (const char *)be, 8);
            return NULL;
        }
        case SL_BYTES:
            if (!json_is_string(v) ||
                !sl_cli_unbase64(b, json_string_value(v), json_string_length(v)))
                return "BYTES want a base64 string";
            return NULL;
        default:
            break;
        }
    }
    if (json_is_string(v) && !(sd->kind == SL_FMT_JSON && sd->unwrapped)) {
        sl_buf_append(b, json_string_value(v), json_string_length(v));
        return NULL;
    }
    if (sd->kind == SL_FMT_DELIMITED && (json_is_object(v) || json_is_array(v)))
        return "a DELIMITED record is a string";
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    if (!s)
        return "cannot encode";
    sl_buf_puts(b, s);
    free(s);
    return NULL;
}

/* The JSON value of stored bytes, per side; a new reference. */
static json_t *decode(const side *sd, const void *p, int32_t len)
{
    if (len < 0 || !p)
        return json_null();
    if (sd->kind == SL_FMT_KAFKA && sd->type) {
        const unsigned char *u = p;
        if (sd->type->kind == SL_INT && len == 4)
            return json_integer(sl_cli_get_be32(u));
        if (sd->type->kind == SL_BIGINT && len == 8)
            return json_integer(sl_cli_get_be64(u));
        if (sd->type->kind == SL_DOUBLE && len == 8) {
            int64_t bits = sl_cli_get_be64(u);
            double d;
            memcpy(&d, &bits, 8);
            return json_real(d);
        }
        if (sd->type->kind == SL_BYTES) {
            sl_buf b = SL_BUF_INIT;
            sl_cli_base64(&b, p, (size_t)len);
            json_t *s = json_stringn(b.data ? b.data : "", b.len);
            sl_buf_fini(&b);
            return s;
        }
    }
    if (sd->kind == SL_FMT_JSON) {
        json_error_t je;
        json_t *v = json_loadb(p, (size_t)len, JSON_DECODE_ANY, &je);
        if (v)
            return v;
    }
    json_t *s = json_stringn(p, (size_t)len);
    if (!s) {
        sl_buf b = SL_BUF_INIT;
        sl_buf_puts(&b, "base64:");
        sl_cli_base64(&b, p, (size_t)len);
        s = json_string(sl_buf_cstr(&b));
        sl_buf_fini(&b);
    }
    return s;
}

/* ---- files ---- */

static json_t *load_records(const char *path, const char *member)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        fprintf(stderr, "sluice test: %s:%d:%d: %s\n", path, je.line, je.column, je.text);
        return NULL;
    }
    json_t *arr = json_object_get(root, member);
    if (!json_is_array(arr)) {
        fprintf(stderr, "sluice test: %s: wants an object with an array \"%s\"\n", path, member);
        json_decref(root);
        return NULL;
    }
    size_t i;
    json_t *r;
    json_array_foreach(arr, i, r) {
        if (!json_is_object(r) || !json_is_string(json_object_get(r, "topic"))) {
            fprintf(stderr, "sluice test: %s: %s[%zu] wants an object with a \"topic\"\n", path,
                    member, i);
            json_decref(root);
            return NULL;
        }
        json_t *ts = json_object_get(r, "timestamp");
        if (ts && !json_is_integer(ts) && !json_is_null(ts)) {
            fprintf(stderr, "sluice test: %s: %s[%zu].timestamp wants epoch milliseconds\n",
                    path, member, i);
            json_decref(root);
            return NULL;
        }
    }
    json_incref(arr);
    json_decref(root);
    return arr;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

/* ---- feeding inputs ---- */

static int feed(sl_engine *e, json_t *inputs)
{
    sl_log *log = sl_engine_log(e);
    sl_catalog *cat = sl_engine_catalog(e);
    sl_buf kb = SL_BUF_INIT, vb = SL_BUF_INIT, hb = SL_BUF_INIT;
    sl_error err;
    sl_error_clear(&err);
    int rc = 0;
    size_t i;
    json_t *in;
    json_array_foreach(inputs, i, in) {
        const char *topic = json_string_value(json_object_get(in, "topic"));
        const sl_source *src = source_for_topic(cat, topic);
        if (!src) {
            fprintf(stderr, "sluice test: inputs[%zu]: no stream is declared over topic '%s'\n",
                    i, topic);
            rc = -1;
            break;
        }
        side ks = side_of(src, true), vs = side_of(src, false);
        bool knull, vnull;
        const char *why = encode(&ks, json_object_get(in, "key"), &kb, &knull);
        const char *what = "key";
        if (!why) {
            why = encode(&vs, json_object_get(in, "value"), &vb, &vnull);
            what = "value";
        }
        if (why) {
            fprintf(stderr, "sluice test: inputs[%zu]: the %s for %s (%s): %s\n", i, what,
                    src->name, what[0] == 'k' ? src->key_format : src->value_format, why);
            rc = -1;
            break;
        }
        json_t *win = json_object_get(in, "window");
        if (win && !json_is_null(win)) {
            winfo wi = winfo_of(src);
            json_t *ws = json_is_object(win) ? get_ci(win, "start") : NULL;
            json_t *we = json_is_object(win) ? get_ci(win, "end") : NULL;
            if (!wi.windowed) {
                fprintf(stderr, "sluice test: inputs[%zu]: a \"window\" for %s, which is not "
                        "windowed (no WINDOW_TYPE)\n", i, src->name);
                rc = -1;
                break;
            }
            if (!json_is_integer(ws) || (wi.spec.kind == SL_WIN_SESSION && !json_is_integer(we))) {
                fprintf(stderr, "sluice test: inputs[%zu]: \"window\" wants {\"start\": ms, "
                        "\"end\": ms, \"type\"}\n", i);
                rc = -1;
                break;
            }
            sl_buf wk = SL_BUF_INIT;
            sl_windowed_key_encode(&wk, wi.spec.kind, knull ? "" : (kb.data ? kb.data : ""),
                                   knull ? 0 : kb.len, json_integer_value(ws),
                                   json_is_integer(we) ? json_integer_value(we) : 0);
            sl_buf_reset(&kb);
            sl_buf_append(&kb, wk.data ? wk.data : "", wk.len);
            sl_buf_fini(&wk);
            knull = false;
        }
        sl_record rec = {0};
        rec.key = knull ? NULL : (kb.data ? kb.data : "");
        rec.key_len = knull ? -1 : (int32_t)kb.len;
        rec.value = vnull ? NULL : (vb.data ? vb.data : "");
        rec.value_len = vnull ? -1 : (int32_t)vb.len;
        json_t *ts = json_object_get(in, "timestamp");
        rec.timestamp = json_is_integer(ts) ? json_integer_value(ts) : 0;
        /* headers: [{"KEY": name, "VALUE": base64 or null}] */
        json_t *hs = json_object_get(in, "headers");
        size_t nh = json_is_array(hs) ? json_array_size(hs) : 0;
        sl_log_header *hdrs = nh ? calloc(nh, sizeof *hdrs) : NULL;
        size_t *offs = nh ? calloc(nh, sizeof *offs) : NULL;
        sl_buf_reset(&hb);
        for (size_t h = 0; h < nh && !why; h++) {
            json_t *hj = json_array_get(hs, h);
            json_t *hk = json_is_object(hj) ? get_ci(hj, "KEY") : NULL;
            json_t *hv = json_is_object(hj) ? get_ci(hj, "VALUE") : NULL;
            if (!json_is_string(hk) || (hv && !json_is_null(hv) && !json_is_string(hv))) {
                why = "a header wants {\"KEY\": name, \"VALUE\": base64}";
                break;
            }
            hdrs[h].key = json_string_value(hk);
            hdrs[h].key_len = json_string_length(hk);
            offs[h] = hb.len;
            if (!hv || json_is_null(hv)) {
                hdrs[h].value_len = -1;
            } else {
                size_t before = hb.len;
                if (!sl_cli_unbase64(&hb, json_string_value(hv), json_string_length(hv)))
                    why = "a header VALUE wants base64";
                hdrs[h].value_len = (int32_t)(hb.len - before);
            }
        }
        for (size_t h = 0; h < nh && !why; h++)
            hdrs[h].value = hdrs[h].value_len < 0 ? NULL : (hb.data ? hb.data : "") + offs[h];
        rec.headers = hdrs;
        rec.n_headers = (int32_t)nh;
        if (why) {
            fprintf(stderr, "sluice test: inputs[%zu]: %s\n", i, why);
            rc = -1;
        } else {
            sl_log_txn *t = sl_log_txn_begin(log);
            if (sl_log_txn_append(t, topic, -1, &rec, NULL, NULL, &err) != 0) {
                sl_log_txn_abort(t);
                rc = -1;
            } else if (sl_log_txn_commit(t, &err) != 0) {
                rc = -1;
            }
            if (rc)
                fprintf(stderr, "sluice test: inputs[%zu]: %s\n", i, err.msg);
        }
        free(hdrs);
        free(offs);
        if (rc)
            break;
    }
    sl_buf_fini(&kb);
    sl_buf_fini(&vb);
    sl_buf_fini(&hb);
    return rc;
}

/* ---- comparing outputs ---- */

typedef struct actual {
    json_t *rec;        /* {"topic","key","value","timestamp"} */
    int partition;
    long long offset;
    bool used;
} actual;

static bool rec_matches(json_t *exp, json_t *act)
{
    json_t *ek = json_object_get(exp, "key"), *ev = json_object_get(exp, "value");
    json_t *et = json_object_get(exp, "timestamp");
    json_t *null = json_null();
    bool ok = json_same(ek ? ek : null, json_object_get(act, "key")) &&
              json_same(ev ? ev : null, json_object_get(act, "value")) &&
              (!et || json_is_null(et) || json_same(et, json_object_get(act, "timestamp"))) &&
              window_same(json_object_get(exp, "window"), json_object_get(act, "window"));
    json_decref(null);
    return ok;
}

/* Reads every record of topic as JSON; *n records into a malloc'd array. */
static actual *read_topic(sl_engine *e, const char *topic, size_t *n, sl_error *err)
{
    sl_log *log = sl_engine_log(e);
    const sl_source *src = source_for_topic(sl_engine_catalog(e), topic);
    side ks = side_of(src, true), vs = side_of(src, false);
    winfo wi = winfo_of(src);
    if (!src)
        ks.kind = SL_FMT_KAFKA;
    sl_arena *a = sl_arena_new(1 << 16);
    sl_topic_info info;
    actual *out = NULL;
    size_t cnt = 0, cap = 0;
    *n = 0;
    if (sl_log_describe_topic(log, topic, a, &info, err) != 0) {
        sl_arena_free(a);
        return NULL;
    }
    enum { BATCH = 500 };
    sl_record recs[BATCH];
    for (int p = 0; p < info.config.partitions; p++) {
        int64_t next = info.partitions[p].start_offset, end = info.partitions[p].end_offset;
        while (next < end) {
            int got = 0;
            sl_arena *ra = sl_arena_new(1 << 16);
            if (sl_log_read(log, topic, p, next, BATCH, ra, recs, &got, err) != 0 || got == 0) {
                sl_arena_free(ra);
                break;
            }
            for (int i = 0; i < got; i++) {
                if (cnt == cap) {
                    cap = cap ? cap * 2 : 64;
                    out = realloc(out, cap * sizeof *out);
                }
                json_t *r = json_object();
                json_object_set_new(r, "topic", json_string(topic));
                const void *key = recs[i].key;
                int32_t keylen = recs[i].key_len;
                json_t *win = NULL;
                if (wi.windowed) {
                    win = split_windowed(&wi, recs[i].key, recs[i].key_len, &key, &keylen);
                    if (!win && recs[i].key_len >= 0)
                        win = json_string("(a key too short for a windowed key)");
                }
                json_object_set_new(r, "key", decode(&ks, key, keylen));
                json_object_set_new(r, "value", decode(&vs, recs[i].value, recs[i].value_len));
                json_object_set_new(r, "timestamp", json_integer(recs[i].timestamp));
                if (win)
                    json_object_set_new(r, "window", win);
                out[cnt].rec = r;
                out[cnt].partition = recs[i].partition;
                out[cnt].offset = (long long)recs[i].offset;
                out[cnt].used = false;
                cnt++;
            }
            next = recs[got - 1].offset + 1;
            sl_arena_free(ra);
        }
    }
    sl_arena_free(a);
    *n = cnt;
    return out;
}

/* Compares one topic; prints the listing on a mismatch. 0 equal, 1 not, -1 error. */
static int compare_topic(sl_engine *e, const char *topic, json_t *outputs)
{
    sl_error err;
    sl_error_clear(&err);
    size_t nact = 0;
    actual *act = read_topic(e, topic, &nact, &err);
    if (!act && err.code != SL_OK) {
        fprintf(stderr, "sluice test: output topic '%s': %s\n", topic, err.msg);
        return -1;
    }
    size_t nexp = 0, i;
    json_t *x;
    json_array_foreach(outputs, i, x)
        nexp += !strcmp(json_string_value(json_object_get(x, "topic")), topic);
    char *status = calloc(nexp + 1, 1);    /* 'o' ok, 'r' out of order, 'm' missing */
    json_t **exps = calloc(nexp + 1, sizeof *exps);
    size_t k = 0;
    json_array_foreach(outputs, i, x)
        if (!strcmp(json_string_value(json_object_get(x, "topic")), topic))
            exps[k++] = x;
    bool bad = false;
    for (k = 0; k < nexp; k++) {
        /* first: a head (the first unused record of its key) */
        size_t hit = nact;
        for (size_t j = 0; j < nact && hit == nact; j++) {
            if (act[j].used)
                continue;
            bool head = true;
            for (size_t q = 0; q < j && head; q++)
                head = act[q].used || !json_same(json_object_get(act[q].rec, "key"),
                                                 json_object_get(act[j].rec, "key"));
            if (head && rec_matches(exps[k], act[j].rec))
                hit = j;
        }
        status[k] = 'o';
        if (hit == nact) {
            for (size_t j = 0; j < nact && hit == nact; j++)
                if (!act[j].used && rec_matches(exps[k], act[j].rec))
                    hit = j;
            status[k] = hit == nact ? 'm' : 'r';
            bad = true;
        }
        if (hit < nact)
            act[hit].used = true;
    }
    for (size_t j = 0; j < nact; j++)
        bad |= !act[j].used;
    if (bad) {
        size_t found = 0;
        for (k = 0; k < nexp; k++)
            found += status[k] == 'o';
        printf("Topic '%s': %zu of %zu expected records match (in order per key), %zu written:\n",
               topic, found, nexp, nact);
        for (k = 0; k < nexp; k++) {
            printf("  %-12s ", status[k] == 'o' ? "ok" : status[k] == 'r' ? "OUT OF ORDER"
                                                                          : "MISSING");
            print_json(stdout, exps[k]);
            putchar('\n');
        }
        for (size_t j = 0; j < nact; j++) {
            if (act[j].used)
                continue;
            printf("  %-12s ", "UNEXPECTED");
            print_json(stdout, act[j].rec);
            printf("  (partition %d, offset %lld)\n", act[j].partition, act[j].offset);
        }
    }
    for (size_t j = 0; j < nact; j++)
        json_decref(act[j].rec);
    free(act);
    free(status);
    free(exps);
    return bad ? 1 : 0;
}

/* ---- Kafka ---- */

/* Deletes the consumer groups of a run on Kafka (named after its service
 * id: _sluice-RUN-QUERY), found by the positions they hold. */
static void delete_run_groups(sl_log *log, const char *run_id, sl_arena *a)
{
    sl_error err;
    sl_error_clear(&err);
    sl_log_group *g = NULL;
    int n = 0;
    if (sl_log_list_groups(log, a, &g, &n, &err) != 0 && err.code != SL_ERR_UNSUPPORTED)
        fprintf(stderr, "sluice test: the run's consumer groups could not be listed: %s\n",
                err.msg);
    for (int i = 0; i < n; i++) {
        bool seen = false;      /* a group is listed once per topic it read */
        for (int j = 0; j < i && !seen; j++)
            seen = !strcmp(g[j].group, g[i].group);
        if (seen || !strstr(g[i].group, run_id))
            continue;
        if (sl_log_delete_group(log, g[i].group, &err) != 0)
            fprintf(stderr, "sluice test: deleting consumer group %s: %s\n", g[i].group,
                    err.msg);
    }
}

/* Deletes the consumer groups and topics of a run on Kafka: the topics
 * named with its prefix, and those named after its service id (the
 * command topic, changelogs). */
static void delete_run_topics(sl_config *cfg, const char *run_id)
{
    sl_error err;
    sl_error_clear(&err);
    sl_log *log = sl_cli_open_log(cfg, &err);
    sl_arena *a = sl_arena_new(0);
    const char **names = NULL;
    int n = 0;
    if (log)
        delete_run_groups(log, run_id, a);
    if (!log || sl_log_list_topics(log, a, &names, &n, &err) != 0) {
        fprintf(stderr, "sluice test: the run's topics (%s*) could not be deleted: %s\n", run_id,
                err.msg);
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        if (!strstr(names[i], run_id))
            continue;
        if (sl_log_delete_topic(log, names[i], &err) != 0)
            fprintf(stderr, "sluice test: deleting topic %s: %s\n", names[i], err.msg);
    }
    sl_arena_free(a);
    sl_log_close(log);
}

/* ---- the command ---- */

int sl_cli_test(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"sql-file", required_argument, NULL, 's'},
        {"input-file", required_argument, NULL, 'i'},
        {"output-file", required_argument, NULL, 'o'},
        {"timeout", required_argument, NULL, 'T'},
        {"keep", no_argument, NULL, 'k'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        SL_CLI_CONN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    sl_cli_conn cc = {0};
    const char *sql = NULL, *infile = NULL, *outfile = NULL;
    int64_t timeout = 60;
    bool keep = false, verbose = false;
    int c;
    while ((c = getopt_long(argc, argv, "s:i:o:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': sql = optarg; break;
        case 'i': infile = optarg; break;
        case 'o': outfile = optarg; break;
        case 'k': keep = true; break;
        case 'v': verbose = true; break;
        case SL_OPT_BOOTSTRAP:
        case SL_OPT_CONFIG_FILE: sl_cli_conn_option(&cc, c, optarg); break;
        case 'T':
            if (!sl_cli_parse_int(optarg, 1, 86400, &timeout)) {
                fprintf(stderr, "sluice test: --timeout wants seconds, got '%s'\n", optarg);
                return SL_CLI_USAGE;
            }
            break;
        case 'h':
            fputs(test_usage, stdout);
            return SL_CLI_OK;
        default:
            fputs(test_usage, stderr);
            return SL_CLI_USAGE;
        }
    }
    if (!sql || !outfile || optind < argc) {
        fprintf(stderr, "sluice test: wants -s statements.sql and -o output.json\n");
        fputs(test_usage, stderr);
        return SL_CLI_USAGE;
    }

    sl_error err;
    sl_error_clear(&err);
    sl_config *cfg = sl_cli_config("sluice test", &cc);
    if (!cfg)
        return SL_CLI_USAGE;
    /* on Kafka: a service id and topic prefix of this run's own */
    char run_id[64];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(run_id, sizeof run_id, "sluice-test-%ld-%lld", (long)getpid(),
             (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    bool kafka = sl_config_get(cfg, SL_CFG_BOOTSTRAP) != NULL;
    if (kafka && sl_config_set(cfg, SL_CFG_CLI, SL_CFG_SERVICE_ID, run_id, "sluice test",
                               &err) != 0) {
        fprintf(stderr, "sluice test: %s\n", err.msg);
        sl_config_free(cfg);
        return SL_CLI_FAIL;
    }
    size_t sql_len = 0;
    char *text = sl_cli_read_file(sql, &sql_len, &err);
    if (!text) {
        fprintf(stderr, "sluice test: %s\n", err.msg);
        sl_config_free(cfg);
        return SL_CLI_FAIL;
    }
    json_t *inputs = infile ? load_records(infile, "inputs") : json_array();
    json_t *outputs = load_records(outfile, "outputs");
    if (!inputs || !outputs) {
        free(text);
        json_decref(inputs);
        json_decref(outputs);
        sl_config_free(cfg);
        return SL_CLI_FAIL;
    }

    const char *tmpbase = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/sluice-test-XXXXXX", tmpbase && *tmpbase ? tmpbase : "/tmp");
    if (!mkdtemp(dir)) {
        perror("sluice test: mkdtemp");
        free(text);
        json_decref(inputs);
        json_decref(outputs);
        sl_config_free(cfg);
        return SL_CLI_FAIL;
    }
    if (keep)
        fprintf(stderr, "sluice test: data directory %s (kept)\n", dir);

    int rc = SL_CLI_OK;
    char *outbuf = NULL;
    size_t outlen = 0;
    FILE *out = verbose ? NULL : open_memstream(&outbuf, &outlen);
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s-", run_id);
    sl_engine_opts eo = {0};
    eo.data_dir = dir;
    eo.config = cfg;
    eo.topic_prefix = kafka ? prefix : NULL;
    sl_engine *e = sl_engine_open(&eo, &err);
    sl_session *s = NULL;
    bool reached = e != NULL;   /* on Kafka: the run may have made topics */
    if (!e) {
        fprintf(stderr, "sluice test: %s\n", err.msg);
        rc = sl_cli_open_status(&err);
        goto done;
    }
    if (kafka && keep)
        fprintf(stderr, "sluice test: topics %s* (kept)\n", prefix);
    sl_session_opts so = {0};
    so.output = SL_OUTPUT_TABLE;
    so.out = out;
    s = sl_session_open(e, &so, &err);
    if (!s) {
        fprintf(stderr, "sluice test: %s\n", err.msg);
        rc = SL_CLI_FAIL;
        goto done;
    }
    /* as ksql-test-runner: every update visible (the statements may SET it again) */
    static const char earliest[] = "SET 'auto.offset.reset'='earliest';\n"
                                   "SET 'cache.max.bytes.buffering'='0';";
    if (sl_session_execute(s, earliest, sizeof earliest - 1, "<sluice test>") != 0 ||
        sl_session_execute(s, text, sql_len, sql) != 0) {
        printf("Test failed: a statement failed (above)\n");
        rc = SL_CLI_FAIL;
        goto done;
    }
    if (feed(e, inputs) != 0) {
        printf("Test failed: the inputs could not be written (above)\n");
        rc = SL_CLI_FAIL;
        goto done;
    }
    if (sl_engine_wait_idle(e, (int)(timeout * 1000), &err) != 0) {
        printf("Test failed: the queries did not finish their inputs: %s\n", err.msg);
        rc = SL_CLI_FAIL;
        goto done;
    }
    /* each output topic once, in order of first appearance */
    size_t i;
    json_t *x;
    json_array_foreach(outputs, i, x) {
        const char *topic = json_string_value(json_object_get(x, "topic"));
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(topic, json_string_value(json_object_get(json_array_get(outputs, j),
                                                                     "topic")));
        if (seen)
            continue;
        int r = compare_topic(e, topic, outputs);
        if (r != 0)
            rc = SL_CLI_FAIL;
    }
    if (rc == SL_CLI_OK)
        printf("Test passed!\n");
    else
        printf("Test failed: %s\n", sql);

done:
    if (s)
        sl_session_free(s);
    if (e)
        sl_engine_close(e);
    if (kafka && reached && !keep)
        delete_run_topics(cfg, run_id);
    sl_config_free(cfg);
    if (out) {
        fclose(out);
        if (rc != SL_CLI_OK && outlen) {
            printf("--- the statements printed:\n");
            fwrite(outbuf, 1, outlen, stdout);
        }
        free(outbuf);
    }
    if (!keep)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(text);
    json_decref(inputs);
    json_decref(outputs);
    return rc;
}
