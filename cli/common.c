/*
 * common.c: helpers shared by the subcommands (cli.h): whole-file reads,
 * the data directory default, number parsing, JSON and base64 rendering of
 * record bytes, Kafka's big-endian primitives, the stop signal, and the
 * configuration layers every subcommand builds (engine/config.h).
 * Does not: know about statements, topics or formats.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/config.h"
#include "log/kafka.h"
#include "log/log.h"

volatile int sl_cli_stop = 0;

static void on_stop(int sig)
{
    (void)sig;
    sl_cli_stop = 1;
}

void sl_cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

char *sl_cli_read_file(const char *path, size_t *len, sl_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    bool failed = !buf || ferror(f);
    int saved = errno;
    if (!is_stdin)
        fclose(f);
    if (failed) {
        free(buf);
        sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "cannot read %s: %s", path,
                     buf ? strerror(saved) : "out of memory");
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

const char *sl_cli_data_dir(const char *given)
{
    if (given && *given)
        return given;
    const char *env = getenv("SLUICE_DATA_DIR");
    return env && *env ? env : "./sluice-data";
}

bool sl_cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* Length of the UTF-8 sequence at p (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (need > n)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return need;
}

bool sl_cli_json_bytes(sl_buf *out, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len(p + i, len - i);
        if (n == 0 || (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') ||
            p[i] == 0x7F)
            return false;
        i += n;
    }
    sl_buf_json_string(out, (const char *)data, len);
    return true;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sl_cli_base64(sl_buf *out, const void *data, size_t len)
{
    const unsigned char *p = data;
    char q[4];
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        q[0] = b64[v >> 18];
        q[1] = b64[(v >> 12) & 63];
        q[2] = b64[(v >> 6) & 63];
        q[3] = b64[v & 63];
        sl_buf_append(out, q, 4);
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
        q[0] = b64[v >> 18];
        q[1] = b64[(v >> 12) & 63];
        q[2] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        q[3] = '=';
        sl_buf_append(out, q, 4);
    }
}

bool sl_cli_unbase64(sl_buf *out, const char *text, size_t len)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            return false;
        const char *at = c ? strchr(b64, c) : NULL;
        if (!at)
            return false;
        acc = (acc << 6) | (uint32_t)(at - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            sl_buf_putc(out, (char)((acc >> bits) & 0xFF));
        }
    }
    return pad <= 2;
}

void sl_cli_put_be32(unsigned char *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    for (int i = 3; i >= 0; i--, u >>= 8)
        p[i] = (unsigned char)(u & 0xFF);
}

void sl_cli_put_be64(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--, u >>= 8)
        p[i] = (unsigned char)(u & 0xFF);
}

int64_t sl_cli_get_be64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | p[i];
    return (int64_t)u;
}

int32_t sl_cli_get_be32(const unsigned char *p)
{
    uint32_t u = 0;
    for (int i = 0; i < 4; i++)
        u = (u << 8) | p[i];
    return (int32_t)u;
}

/* ---- configuration ---- */

bool sl_cli_conn_option(sl_cli_conn *cc, int c, const char *arg)
{
    if (c == SL_OPT_BOOTSTRAP)
        cc->bootstrap = arg;
    else if (c == SL_OPT_CONFIG_FILE)
        cc->config_file = arg;
    else
        return false;
    return true;
}

sl_config *sl_cli_config(const char *prog, const sl_cli_conn *cc)
{
    sl_config *cfg = sl_config_new(stderr);
    sl_error err;
    sl_error_clear(&err);
    if (!cfg) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return NULL;
    }
    int rc = 0;
    if (cc->bootstrap)
        rc = sl_config_set(cfg, SL_CFG_CLI, SL_CFG_BOOTSTRAP, cc->bootstrap,
                           "--bootstrap-servers", &err);
    if (!rc && cc->data_dir && *cc->data_dir)
        rc = sl_config_set(cfg, SL_CFG_CLI, SL_CFG_DATA_DIR, cc->data_dir, "--data-dir", &err);
    if (!rc)
        rc = sl_config_load_layers(cfg, cc->config_file, NULL, &err);
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        sl_config_free(cfg);
        return NULL;
    }
    return cfg;
}

int sl_cli_open_status(const sl_error *err)
{
    return sl_log_kafka_unreachable(err) || err->code == SL_ERR_ANALYSIS ? SL_CLI_USAGE
                                                                         : SL_CLI_FAIL;
}

sl_log *sl_cli_open_log(sl_config *cfg, sl_error *err)
{
    if (!sl_config_get(cfg, SL_CFG_BOOTSTRAP)) {
        const char *dir = sl_config_get(cfg, SL_CFG_DATA_DIR);
        return sl_log_open_embedded(dir ? dir : "./sluice-data", err);
    }
    sl_log_kafka_opts ko = {0};
    sl_config_kafka_opts(cfg, &ko);
    return sl_log_open_kafka(&ko, err);
}
