/*
 * config.c: configuration layers (config.h).
 *
 * Does: one table of sluice's own keys (with their checks and environment
 * variables), the classification of every other key (engine property,
 * allowed librdkafka property, refused, unknown), a Java properties
 * reader, and the SLUICE_* environment mapping. Values keep the layer
 * that set them so that loading order does not matter.
 * Does not: open the log or apply engine properties (engine.c does both).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "catalog.h"
#include "../log/kafka.h"

extern char **environ;

typedef struct centry {
    char *name, *value, *where;
    sl_config_layer layer;
    sl_config_kind kind;
} centry;

struct sl_config {
    centry *v;
    int n, cap;
    FILE *warn;
    const char **pairs;         /* sl_config_kafka_props' answer, rebuilt on demand */
};

/* ---- sluice's own keys ---- */

typedef enum vkind { V_TEXT, V_ID, V_INT, V_LEVEL } vkind;

static const struct core_key {
    const char *name;
    const char *env;            /* its own environment variable, or NULL */
    vkind check;
    long long min, max;         /* V_INT */
} CORE[] = {
    {SL_CFG_BOOTSTRAP, "SLUICE_BOOTSTRAP_SERVERS", V_TEXT, 0, 0},
    {SL_CFG_SERVICE_ID, "SLUICE_SERVICE_ID", V_ID, 0, 0},
    {SL_CFG_DATA_DIR, "SLUICE_DATA_DIR", V_TEXT, 0, 0},
    {SL_CFG_CONNECT_TIMEOUT, NULL, V_INT, 100, 3600000},
    {SL_CFG_KAFKA_TIMEOUT, NULL, V_INT, 1000, 3600000},
    {SL_CFG_KAFKA_LOG_LEVEL, NULL, V_LEVEL, 0, 0},
    {SL_CFG_REPLICATION, NULL, V_INT, 1, 32767},
    {SL_CFG_SERVER_URL, NULL, V_TEXT, 0, 0},
    {SL_CFG_SERVER_AUTH, NULL, V_TEXT, 0, 0},
    {SL_CFG_SERVER_CACERT, NULL, V_TEXT, 0, 0},
};
#define NCORE ((int)(sizeof CORE / sizeof CORE[0]))

static const struct core_key *core_key(const char *name)
{
    for (int i = 0; i < NCORE; i++)
        if (!strcmp(CORE[i].name, name))
            return &CORE[i];
    return NULL;
}

/* ---- librdkafka: what passes through ---- */

/* Allowed names, exactly. */
static const char *const KAFKA_EXACT[] = {
    "client.id", "client.rack", "client.dns.lookup", "security.protocol",
    "sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password",
    "enable.ssl.certificate.verification",
    "message.max.bytes", "receive.message.max.bytes", "message.copy.max.bytes",
    "max.in.flight", "max.in.flight.requests.per.connection",
    "metadata.max.age.ms", "topic.metadata.refresh.interval.ms",
    "topic.metadata.refresh.fast.interval.ms", "topic.metadata.propagation.max.ms",
    "broker.address.family", "broker.address.ttl", "connections.max.idle.ms",
    "reconnect.backoff.ms", "reconnect.backoff.max.ms", "retry.backoff.ms",
    "retry.backoff.max.ms", "api.version.request", "api.version.request.timeout.ms",
    "api.version.fallback.ms", "broker.version.fallback", "allow.auto.create.topics",
    "linger.ms", "queue.buffering.max.ms", "queue.buffering.max.messages",
    "queue.buffering.max.kbytes", "acks", "request.required.acks", "request.timeout.ms",
    "message.timeout.ms", "delivery.timeout.ms", "message.send.max.retries", "retries",
    "sticky.partitioning.linger.ms", "session.timeout.ms", "heartbeat.interval.ms",
    "max.poll.interval.ms", "coordinator.query.interval.ms", "statistics.interval.ms",
    "debug", "log.connection.close", "log.queue", "log.thread.name",
};

/* Allowed families, by prefix (minus the refused ones, checked first). */
static const char *const KAFKA_PREFIX[] = {
    "ssl.", "sasl.oauthbearer.", "socket.", "fetch.", "queued.", "batch.", "compression.",
};

/* librdkafka properties sluice sets itself: overriding them would break
 * what the log promises (partitioning, commits, reading positions). */
static const char *const KAFKA_OWNED[] = {
    "bootstrap.servers", "metadata.broker.list", "group.id", "group.instance.id",
    "enable.auto.commit", "enable.auto.offset.store", "auto.commit.interval.ms",
    "enable.partition.eof", "partitioner", "enable.idempotence", "transactional.id",
    "isolation.level", "partition.assignment.strategy",
};

static bool in_list(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

static bool kafka_allowed(const char *name)
{
    if (in_list(KAFKA_EXACT, sizeof KAFKA_EXACT / sizeof *KAFKA_EXACT, name))
        return true;
    for (size_t i = 0; i < sizeof KAFKA_PREFIX / sizeof *KAFKA_PREFIX; i++)
        if (!strncmp(name, KAFKA_PREFIX[i], strlen(KAFKA_PREFIX[i])) && name[strlen(KAFKA_PREFIX[i])])
            return true;
    return false;
}

/* ---- engine properties ---- */

static bool engine_known(const char *name)
{
    const sl_property_info *k = sl_catalog_known_properties();
    for (int i = 0; k[i].name; i++)
        if (!strcmp(k[i].name, name))
            return !core_key(name);
    return false;
}

/* ---- classification ---- */

typedef enum cls { C_CORE, C_ENGINE, C_KAFKA, C_OWNED, C_UNKNOWN } cls;

/*
 * What name is; *canon gets the name to store (ksql.streams. dropped where
 * the rest is a known name; librdkafka names keep a producer./consumer.
 * scope).
 */
static cls classify(const char *name, const char **canon)
{
    *canon = name;
    if (core_key(name))
        return C_CORE;
    if (engine_known(name))
        return C_ENGINE;
    static const char streams[] = "ksql.streams.";
    if (!strncmp(name, streams, sizeof streams - 1)) {
        const char *rest = name + sizeof streams - 1;
        cls r = classify(rest, canon);
        if (r != C_UNKNOWN)
            return r;
        *canon = name;
        return C_UNKNOWN;
    }
    const char *base = name;
    if (!strncmp(name, "producer.", 9) || !strncmp(name, "consumer.", 9))
        base = name + 9;
    if (in_list(KAFKA_OWNED, sizeof KAFKA_OWNED / sizeof *KAFKA_OWNED, base))
        return C_OWNED;
    if (kafka_allowed(base))
        return C_KAFKA;
    return C_UNKNOWN;
}

int sl_config_check_property(const char *name, const char *value, const char *where,
                             sl_span span, sl_error *err)
{
    const char *why = name ? sl_log_kafka_refusal(name, value) : NULL;
    if (!why)
        return 0;
    return sl_error_set(err, SL_ERR_ANALYSIS, span, "property '%s' (%s) is refused: %s", name,
                        where ? where : "?", why);
}

/* ---- values ---- */

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

static bool parse_ll(const char *s, long long *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static int check_core(const struct core_key *k, const char *value, const char *where,
                      sl_error *err)
{
    long long v;
    switch (k->check) {
    case V_TEXT:
        if (!*value)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s (%s) is empty", k->name,
                                where);
        return 0;
    case V_ID:
        if (!valid_id(value))
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "%s (%s) = '%s': wants 1 to 200 characters of [A-Za-z0-9._-] "
                                "(it names Kafka topics)", k->name, where, value);
        return 0;
    case V_INT:
        if (!parse_ll(value, &v) || v < k->min || v > k->max)
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "%s (%s) = '%s': wants an integer in %lld..%lld", k->name, where,
                                value, k->min, k->max);
        return 0;
    case V_LEVEL:
        if (strcasecmp(value, "error") && strcasecmp(value, "warning") &&
            strcasecmp(value, "info") && strcasecmp(value, "debug"))
            return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN,
                                "%s (%s) = '%s': wants error, warning, info or debug", k->name,
                                where, value);
        return 0;
    }
    return 0;
}

/* An engine property's value, checked as SET checks it. */
static int check_engine(const char *name, const char *value, const char *where, sl_error *err)
{
    sl_catalog *cat = sl_catalog_new();
    sl_error e2;
    sl_error_clear(&e2);
    int rc = sl_catalog_set_property(cat, name, value, SL_NOSPAN, &e2);
    sl_catalog_free(cat);
    if (rc < 0)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s (%s): %s", name, where, e2.msg);
    return 0;
}

/* ---- the store ---- */

sl_config *sl_config_new(FILE *warn)
{
    sl_config *c = calloc(1, sizeof *c);
    if (c)
        c->warn = warn;
    return c;
}

void sl_config_free(sl_config *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].value);
        free(c->v[i].where);
    }
    free(c->v);
    free(c->pairs);
    free(c);
}

static centry *find(const sl_config *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].name, name))
            return &c->v[i];
    return NULL;
}

static int oom(sl_error *err)
{
    return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
}

static int store(sl_config *c, sl_config_layer layer, sl_config_kind kind, const char *name,
                 const char *value, const char *where, sl_error *err)
{
    centry *e = find(c, name);
    if (e && e->layer > layer)
        return 0;               /* a higher layer has it */
    char *v = strdup(value), *w = strdup(where);
    if (!v || !w) {
        free(v);
        free(w);
        return oom(err);
    }
    if (!e) {
        if (c->n == c->cap) {
            int cap = c->cap ? c->cap * 2 : 16;
            centry *nv = realloc(c->v, (size_t)cap * sizeof *nv);
            if (!nv) {
                free(v);
                free(w);
                return oom(err);
            }
            c->v = nv;
            c->cap = cap;
        }
        e = &c->v[c->n];
        e->name = strdup(name);
        if (!e->name) {
            free(v);
            free(w);
            return oom(err);
        }
        c->n++;
    } else {
        free(e->value);
        free(e->where);
    }
    e->value = v;
    e->where = w;
    e->layer = layer;
    e->kind = kind;
    free(c->pairs);
    c->pairs = NULL;
    return 0;
}

int sl_config_set(sl_config *c, sl_config_layer layer, const char *name, const char *value,
                  const char *where, sl_error *err)
{
    if (!name || !*name)
        return sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s: a property without a name",
                            where ? where : "?");
    if (!value)
        value = "";
    if (!where)
        where = "?";
    /* refused wherever it comes from, even when a higher layer wins */
    if (sl_config_check_property(name, value, where, SL_NOSPAN, err) < 0)
        return -1;
    const char *canon;
    switch (classify(name, &canon)) {
    case C_CORE:
        if (check_core(core_key(canon), value, where, err) < 0)
            return -1;
        return store(c, layer, SL_CFG_CORE, canon, value, where, err);
    case C_ENGINE:
        if (check_engine(canon, value, where, err) < 0)
            return -1;
        return store(c, layer, SL_CFG_ENGINE, canon, value, where, err);
    case C_KAFKA:
        return store(c, layer, SL_CFG_KAFKA, canon, value, where, err);
    case C_OWNED:
        fprintf(c->warn ? c->warn : stderr,
                "sluice: warning: %s: '%s' is set by sluice itself and cannot be changed: "
                "ignored\n", where, name);
        return 0;
    case C_UNKNOWN:
        break;
    }
    fprintf(c->warn ? c->warn : stderr,
            "sluice: warning: %s: unknown property '%s': ignored (not a sluice, ksql or "
            "allowed Kafka client property)\n", where, name);
    return 0;
}

/* ---- Java properties ---- */

static bool is_ws(char ch) { return ch == ' ' || ch == '\t' || ch == '\f'; }

/* Appends the UTF-8 encoding of cp. */
static void put_utf8(sl_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    sl_buf_append(b, u, n);
}

/* One logical line (continuations joined, leading blanks of continued lines
 * dropped) as raw text; *p moves past it, *line counts physical lines. */
static void logical_line(const char **p, const char *end, sl_buf *out, int *line)
{
    const char *s = *p;
    sl_buf_reset(out);
    for (;;) {
        const char *eol = s;
        while (eol < end && *eol != '\n' && *eol != '\r')
            eol++;
        size_t bs = 0;
        for (const char *q = eol; q > s && q[-1] == '\\'; q--)
            bs++;
        bool cont = bs % 2 == 1;
        sl_buf_append(out, s, (size_t)(eol - s) - (cont ? 1 : 0));
        if (eol < end && *eol == '\r' && eol + 1 < end && eol[1] == '\n')
            eol++;
        s = eol < end ? eol + 1 : end;
        if (!cont || s >= end)
            break;
        (*line)++;
        while (s < end && is_ws(*s))
            s++;
    }
    *p = s;
}

/* Unescapes text[0..n) into out; -1 with why on a bad \u escape. */
static int unescape(const char *t, size_t n, sl_buf *out, const char **why)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i] != '\\' || i + 1 >= n) {
            sl_buf_putc(out, t[i]);
            continue;
        }
        char ch = t[++i];
        switch (ch) {
        case 't': sl_buf_putc(out, '\t'); break;
        case 'n': sl_buf_putc(out, '\n'); break;
        case 'r': sl_buf_putc(out, '\r'); break;
        case 'f': sl_buf_putc(out, '\f'); break;
        case 'u': {
            uint32_t cp = 0;
            if (i + 4 >= n) {
                *why = "\\u wants four hex digits";
                return -1;
            }
            for (int k = 1; k <= 4; k++) {
                char h = t[i + (size_t)k];
                if (!isxdigit((unsigned char)h)) {
                    *why = "\\u wants four hex digits";
                    return -1;
                }
                cp = cp * 16 + (uint32_t)(isdigit((unsigned char)h) ? h - '0'
                                                                     : (tolower(h) - 'a' + 10));
            }
            i += 4;
            put_utf8(out, cp);
            break;
        }
        default: sl_buf_putc(out, ch); break;
        }
    }
    return 0;
}

/* Splits a logical line into key and value (both unescaped, value trimmed). */
static int split_entry(const char *t, size_t n, sl_buf *key, sl_buf *val, const char **why)
{
    size_t i = 0;
    while (i < n && is_ws(t[i]))
        i++;
    size_t ks = i;
    while (i < n && t[i] != '=' && t[i] != ':' && !is_ws(t[i]))
        i += t[i] == '\\' && i + 1 < n ? 2 : 1;
    size_t ke = i;
    while (i < n && is_ws(t[i]))
        i++;
    if (i < n && (t[i] == '=' || t[i] == ':'))
        i++;
    while (i < n && is_ws(t[i]))
        i++;
    size_t ve = n;
    while (ve > i && is_ws(t[ve - 1]) && !(ve >= 2 && t[ve - 2] == '\\'))
        ve--;
    sl_buf_reset(key);
    sl_buf_reset(val);
    if (unescape(t + ks, ke - ks, key, why) < 0 || unescape(t + i, ve - i, val, why) < 0)
        return -1;
    return 0;
}

int sl_config_load_text(sl_config *c, const char *text, size_t len, const char *name,
                        sl_error *err)
{
    const char *p = text, *end = text + len;
    sl_buf raw = SL_BUF_INIT, key = SL_BUF_INIT, val = SL_BUF_INIT;
    int line = 0, rc = 0;
    char where[4200];
    while (rc == 0 && p < end) {
        int first = ++line;
        logical_line(&p, end, &raw, &line);
        const char *t = raw.data ? raw.data : "";
        size_t n = raw.len, i = 0;
        while (i < n && is_ws(t[i]))
            i++;
        if (i == n || t[i] == '#' || t[i] == '!')
            continue;
        snprintf(where, sizeof where, "%s:%d", name, first);
        const char *why = NULL;
        if (split_entry(t, n, &key, &val, &why) < 0) {
            rc = sl_error_set(err, SL_ERR_ANALYSIS, SL_NOSPAN, "%s: %s", where, why);
            break;
        }
        rc = sl_config_set(c, SL_CFG_FILE, sl_buf_cstr(&key), sl_buf_cstr(&val), where, err);
    }
    sl_buf_fini(&raw);
    sl_buf_fini(&key);
    sl_buf_fini(&val);
    return rc;
}

int sl_config_load_file(sl_config *c, const char *path, sl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "cannot open the configuration file %s: %s",
                            path, strerror(errno));
    sl_buf b = SL_BUF_INIT;
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        sl_buf_append(&b, chunk, got);
    bool bad = ferror(f);
    int saved = errno;
    fclose(f);
    int rc = bad ? sl_error_set(err, SL_ERR_IO, SL_NOSPAN,
                                "cannot read the configuration file %s: %s", path,
                                strerror(saved))
                 : sl_config_load_text(c, b.data ? b.data : "", b.len, path, err);
    sl_buf_fini(&b);
    return rc;
}

/* ---- environment ---- */

/* SLUICE_PROP_SECURITY_PROTOCOL -> security.protocol ("__" "_", "___" "-"). */
static void env_key(const char *s, size_t n, sl_buf *out)
{
    for (size_t i = 0; i < n;) {
        if (s[i] != '_') {
            sl_buf_putc(out, (char)tolower((unsigned char)s[i]));
            i++;
            continue;
        }
        size_t run = 0;
        while (i + run < n && s[i + run] == '_')
            run++;
        for (size_t k = 0; k < run;) {     /* ___ -> '-', __ -> '_', _ -> '.' */
            size_t left = run - k;
            if (left >= 3) {
                sl_buf_putc(out, '-');
                k += 3;
            } else if (left == 2) {
                sl_buf_putc(out, '_');
                k += 2;
            } else {
                sl_buf_putc(out, '.');
                k += 1;
            }
        }
        i += run;
    }
}

int sl_config_load_env(sl_config *c, char *const *envp, sl_error *err)
{
    if (!envp)
        envp = environ;
    static const char prop[] = "SLUICE_PROP_";
    sl_buf key = SL_BUF_INIT;
    char where[300];
    int rc = 0;
    for (int i = 0; rc == 0 && envp && envp[i]; i++) {
        const char *eq = strchr(envp[i], '=');
        if (!eq || !eq[1] || strncmp(envp[i], "SLUICE_", 7))
            continue;
        size_t nlen = (size_t)(eq - envp[i]);
        snprintf(where, sizeof where, "environment variable %.*s", (int)nlen, envp[i]);
        const char *name = NULL;
        for (int k = 0; k < NCORE && !name; k++)
            if (CORE[k].env && strlen(CORE[k].env) == nlen && !strncmp(CORE[k].env, envp[i], nlen))
                name = CORE[k].name;
        if (!name && nlen > sizeof prop - 1 && !strncmp(envp[i], prop, sizeof prop - 1)) {
            sl_buf_reset(&key);
            env_key(envp[i] + sizeof prop - 1, nlen - (sizeof prop - 1), &key);
            name = sl_buf_cstr(&key);
        }
        if (name)
            rc = sl_config_set(c, SL_CFG_ENV, name, eq + 1, where, err);
    }
    sl_buf_fini(&key);
    return rc;
}

static const char *env_value(char *const *envp, const char *name)
{
    if (!envp)
        envp = environ;
    size_t n = strlen(name);
    for (int i = 0; envp && envp[i]; i++)
        if (!strncmp(envp[i], name, n) && envp[i][n] == '=')
            return envp[i][n + 1] ? envp[i] + n + 1 : NULL;
    return NULL;
}

int sl_config_load_layers(sl_config *c, const char *config_file, char *const *envp,
                          sl_error *err)
{
    if (sl_config_load_env(c, envp, err) < 0)
        return -1;
    const char *file = config_file && *config_file ? config_file
                                                   : env_value(envp, "SLUICE_CONFIG_FILE");
    return file ? sl_config_load_file(c, file, err) : 0;
}

/* ---- reading ---- */

const char *sl_config_get(const sl_config *c, const char *name)
{
    const centry *e = c && name ? find(c, name) : NULL;
    return e ? e->value : NULL;
}

const char *sl_config_where(const sl_config *c, const char *name)
{
    const centry *e = c && name ? find(c, name) : NULL;
    return e ? e->where : NULL;
}

const char *sl_config_service_id(const sl_config *c)
{
    const char *s = sl_config_get(c, SL_CFG_SERVICE_ID);
    return s ? s : SL_CFG_DEFAULT_SERVICE_ID;
}

long long sl_config_int(const sl_config *c, const char *name, long long def)
{
    long long v;
    const char *s = sl_config_get(c, name);
    return s && parse_ll(s, &v) ? v : def;
}

int sl_config_count(const sl_config *c) { return c ? c->n : 0; }

sl_config_kind sl_config_at(const sl_config *c, int i, const char **name, const char **value,
                            const char **where)
{
    const centry *e = &c->v[i];
    if (name)
        *name = e->name;
    if (value)
        *value = e->value;
    if (where)
        *where = e->where;
    return e->kind;
}

int sl_config_kafka_props(sl_config *c, const char *const **pairs)
{
    *pairs = NULL;
    if (!c)
        return 0;
    int n = 0;
    for (int i = 0; i < c->n; i++)
        n += c->v[i].kind == SL_CFG_KAFKA;
    free(c->pairs);
    c->pairs = calloc((size_t)(2 * n + 1), sizeof *c->pairs);
    if (!c->pairs)
        return 0;
    int k = 0;
    for (int i = 0; i < c->n; i++) {
        if (c->v[i].kind != SL_CFG_KAFKA)
            continue;
        c->pairs[k++] = c->v[i].name;
        c->pairs[k++] = c->v[i].value;
    }
    *pairs = c->pairs;
    return n;
}

void sl_config_kafka_opts(sl_config *c, struct sl_log_kafka_opts *ko)
{
    ko->bootstrap_servers = sl_config_get(c, SL_CFG_BOOTSTRAP);
    ko->n_props = sl_config_kafka_props(c, &ko->props);
    ko->timeout_ms = (int)sl_config_int(c, SL_CFG_KAFKA_TIMEOUT, 0);
    ko->connect_timeout_ms = (int)sl_config_int(c, SL_CFG_CONNECT_TIMEOUT, 0);   /* 0: the log's */
    ko->replication_factor = (int16_t)sl_config_int(c, SL_CFG_REPLICATION, 0);
    const char *lvl = sl_config_get(c, SL_CFG_KAFKA_LOG_LEVEL);
    ko->log_level = !lvl                          ? 3
                    : !strcasecmp(lvl, "debug")   ? 7
                    : !strcasecmp(lvl, "info")    ? 6
                    : !strcasecmp(lvl, "warning") ? 4
                                                  : 3;
    ko->service_id = sl_config_service_id(c);
}
