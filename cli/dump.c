/*
 * dump.c: `sluice dump TOPIC`, a topic's records as JSON lines.
 *
 * Does: opens the log (the data directory's, or the Kafka cluster that
 * --bootstrap-servers or the configuration names) and writes one line per record,
 *     {"partition":P,"offset":O,"timestamp":T,"key":K,"value":V}
 * partition by partition, offsets ascending. A key or value is a JSON
 * string of its bytes when they are text (UTF-8, no control characters but
 * tab, CR, LF; the JSON text of a JSON value
 * stays text: `jq '.value | fromjson'` reads it), null when absent, and
 * otherwise base64 with "key_encoding"/"value_encoding":"base64" added (a
 * KAFKA BIGINT key, say). Headers, when a record has some, follow as
 * "headers":[{"key":..,"value":..}].
 * With --from-beginning it reads every partition from its start offset to
 * the end it has now; without it, it waits for records committed after it
 * started (as kafka-console-consumer does) until --limit or Ctrl-C.
 *
 * Does not: decode by a stream's schema (the records are shown as stored)
 * or go through the engine.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/config.h"
#include "log/log.h"

static const char dump_usage[] =
    "usage: sluice dump TOPIC [options]\n"
    "\n"
    "Writes TOPIC's records as JSON lines:\n"
    "  {\"partition\":P,\"offset\":O,\"timestamp\":T,\"key\":K,\"value\":V}\n"
    "keys and values as JSON strings of their bytes (base64 when not text).\n"
    "\n"
    "options:\n"
    "      --from-beginning     every record there is now, then exit (default:\n"
    "                           wait for new records until --limit or Ctrl-C)\n"
    "  -n, --limit N            stop after N records\n"
    "  -d, --data-dir DIR       the data directory ($SLUICE_DATA_DIR, else ./sluice-data)\n"
    SL_CLI_CONN_HELP
    "  -h, --help               show this help\n";

#define READ_BATCH 1000

static void put_bytes(sl_buf *b, const char *name, const void *p, int32_t len)
{
    sl_buf_printf(b, ",\"%s\":", name);
    if (len < 0 || !p) {
        sl_buf_puts(b, "null");
        return;
    }
    if (sl_cli_json_bytes(b, p, (size_t)len))
        return;
    sl_buf_putc(b, '"');
    sl_cli_base64(b, p, (size_t)len);
    sl_buf_printf(b, "\",\"%s_encoding\":\"base64\"", name);
}

static void print_record(sl_buf *b, const sl_record *r)
{
    sl_buf_reset(b);
    sl_buf_printf(b, "{\"partition\":%d,\"offset\":%lld,\"timestamp\":%lld", (int)r->partition,
                  (long long)r->offset, (long long)r->timestamp);
    put_bytes(b, "key", r->key, r->key_len);
    put_bytes(b, "value", r->value, r->value_len);
    if (r->n_headers > 0) {
        sl_buf_puts(b, ",\"headers\":[");
        for (int i = 0; i < r->n_headers; i++) {
            const sl_log_header *h = &r->headers[i];
            sl_buf_puts(b, i ? ",{\"key\":" : "{\"key\":");
            sl_buf_json_string(b, h->key, h->key_len);
            put_bytes(b, "value", h->value, h->value_len);
            sl_buf_putc(b, '}');
        }
        sl_buf_putc(b, ']');
    }
    sl_buf_puts(b, "}\n");
    fwrite(b->data, 1, b->len, stdout);
}

int sl_cli_dump(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"from-beginning", no_argument, NULL, 'B'},
        {"limit", required_argument, NULL, 'n'},
        {"data-dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        SL_CLI_CONN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    sl_cli_conn cc = {0};
    bool from_beginning = false;
    int64_t limit = -1;
    const char *data_dir = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "n:d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'B': from_beginning = true; break;
        case 'd': data_dir = optarg; break;
        case SL_OPT_BOOTSTRAP:
        case SL_OPT_CONFIG_FILE: sl_cli_conn_option(&cc, c, optarg); break;
        case 'n':
            if (!sl_cli_parse_int(optarg, 0, INT64_MAX, &limit)) {
                fprintf(stderr, "sluice dump: --limit wants a number, got '%s'\n", optarg);
                return SL_CLI_USAGE;
            }
            break;
        case 'h':
            fputs(dump_usage, stdout);
            return SL_CLI_OK;
        default:
            fputs(dump_usage, stderr);
            return SL_CLI_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "sluice dump: wants one TOPIC\n");
        fputs(dump_usage, stderr);
        return SL_CLI_USAGE;
    }
    const char *topic = argv[optind];
    if (!from_beginning)
        sl_cli_catch_signals();     /* before the data directory is locked */
    sl_error err;
    sl_error_clear(&err);
    cc.data_dir = data_dir;
    sl_config *cfg = sl_cli_config("sluice dump", &cc);
    if (!cfg)
        return SL_CLI_USAGE;
    sl_log *log = sl_cli_open_log(cfg, &err);
    sl_config_free(cfg);
    if (!log) {
        fprintf(stderr, "sluice dump: %s\n", err.msg);
        return sl_cli_open_status(&err);
    }
    sl_arena *meta = sl_arena_new(0), *a = sl_arena_new(1 << 20);
    sl_record *recs = calloc(READ_BATCH, sizeof *recs);
    sl_buf line = SL_BUF_INIT;
    int rc = SL_CLI_OK;
    sl_topic_info info;
    if (!recs || sl_log_describe_topic(log, topic, meta, &info, &err) != 0) {
        fprintf(stderr, "sluice dump: %s\n", recs ? err.msg : "out of memory");
        rc = SL_CLI_FAIL;
        goto out;
    }
    int np = info.config.partitions;
    int64_t *next = sl_arena_alloc(meta, sizeof *next * (size_t)np);
    int64_t *stop = sl_arena_alloc(meta, sizeof *stop * (size_t)np);
    for (int p = 0; p < np; p++) {
        next[p] = from_beginning ? info.partitions[p].start_offset : info.partitions[p].end_offset;
        stop[p] = info.partitions[p].end_offset;
    }
    int64_t printed = 0;
    for (;;) {
        uint64_t seq = sl_log_commit_seq(log);
        bool any = false;
        for (int p = 0; p < np && rc == SL_CLI_OK && printed != limit; p++) {
            while (printed != limit && (!from_beginning || next[p] < stop[p])) {
                int n = 0;
                sl_arena_reset(a);
                if (sl_log_read(log, topic, p, next[p], READ_BATCH, a, recs, &n, &err) != 0) {
                    fprintf(stderr, "sluice dump: %s\n", err.msg);
                    rc = SL_CLI_FAIL;
                    break;
                }
                if (n == 0)
                    break;
                any = true;
                for (int i = 0; i < n && printed != limit; i++) {
                    if (from_beginning && recs[i].offset >= stop[p])
                        break;
                    print_record(&line, &recs[i]);
                    printed++;
                }
                next[p] = recs[n - 1].offset + 1;
            }
        }
        fflush(stdout);
        if (from_beginning || rc != SL_CLI_OK || printed == limit || sl_cli_stop)
            break;
        if (!any)
            sl_log_wait_since(log, seq, 200);
        if (sl_cli_stop)
            break;
    }
out:
    sl_buf_fini(&line);
    free(recs);
    sl_arena_free(a);
    sl_arena_free(meta);
    sl_log_close(log);
    return rc;
}
