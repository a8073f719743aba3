/*
 * bench/nexmark_gen.c: command-line front of the Nexmark generator.
 *
 *   nexmark_gen --events N [--seed S] [--rate R] [--base MS]
 *               [--kind bid|person|auction|all] [--format jsonl|ksql] [--no-ddl]
 *
 * What it does: parses options, asks bench/nexmark.c for events and writes
 * them to stdout through a 1 MiB buffer with write(2). --events counts the
 * records written: with --kind bid, N bids (taken from the full sequence,
 * so their ids and times are those of the mixed stream).
 *
 * What it does not do: no generation logic (bench/nexmark.c), no Kafka, no
 * files: redirect stdout.
 */
#include "bench/nexmark.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_CAP (1u << 20)

typedef struct {
    char *buf;
    size_t len;
} out;

static int flush(out *o)
{
    size_t off = 0;
    while (off < o->len) {
        ssize_t w = write(STDOUT_FILENO, o->buf + off, o->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EPIPE)
                fprintf(stderr, "nexmark_gen: write: %s\n", strerror(errno));
            return -1;
        }
        off += (size_t)w;
    }
    o->len = 0;
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: nexmark_gen --events N [--seed S] [--rate R] [--base MS]\n"
          "                   [--kind bid|person|auction|all] [--format jsonl|ksql] [--no-ddl]\n"
          "  --events N   records to write (with --kind bid: N bids)\n"
          "  --seed S     random seed (default 0); same seed, same bytes\n"
          "  --rate R     events per second of event time (default 10000000)\n"
          "  --base MS    dateTime of event 0 in epoch ms (default 1436918400000)\n"
          "  --kind K     bid (default), person, auction: plain objects of that kind;\n"
          "               all: every event, wrapped as {\"person\":{...}} etc.\n"
          "  --format F   jsonl (default): one JSON object a line;\n"
          "               ksql: CREATE STREAM statements, then one INSERT a line\n"
          "  --no-ddl     with --format ksql, leave out the CREATE STREAM statements\n",
          f);
}

static int parse_u64(const char *opt, const char *s, uint64_t *v)
{
    char *end;
    if (!s || !*s || *s == '-') {
        fprintf(stderr, "nexmark_gen: %s needs a non-negative integer\n", opt);
        return -1;
    }
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end) {
        fprintf(stderr, "nexmark_gen: %s: bad number '%s'\n", opt, s);
        return -1;
    }
    *v = x;
    return 0;
}

int main(int argc, char **argv)
{
    sl_nexmark_config cfg;
    sl_nexmark_config_init(&cfg);
    uint64_t events = 0;
    int have_events = 0, all = 0, ksql = 0, ddl = 1;
    sl_nexmark_kind kind = SL_NEXMARK_BID;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--no-ddl")) {
            ddl = 0;
            continue;
        } else if (!strcmp(a, "--events")) {
            if (parse_u64(a, v, &events))
                return 2;
            have_events = 1;
        } else if (!strcmp(a, "--seed")) {
            if (parse_u64(a, v, &cfg.seed))
                return 2;
        } else if (!strcmp(a, "--rate")) {
            if (parse_u64(a, v, &cfg.rate))
                return 2;
            if (cfg.rate == 0) {
                fputs("nexmark_gen: --rate must be positive\n", stderr);
                return 2;
            }
        } else if (!strcmp(a, "--base")) {
            if (parse_u64(a, v, &x))
                return 2;
            if (x > (uint64_t)INT64_MAX / 2) {
                fputs("nexmark_gen: --base out of range\n", stderr);
                return 2;
            }
            cfg.base_ms = (int64_t)x;
        } else if (!strcmp(a, "--kind")) {
            if (v && !strcmp(v, "all"))
                all = 1;
            else if (v && !strcmp(v, "bid"))
                kind = SL_NEXMARK_BID;
            else if (v && !strcmp(v, "person"))
                kind = SL_NEXMARK_PERSON;
            else if (v && !strcmp(v, "auction"))
                kind = SL_NEXMARK_AUCTION;
            else {
                fputs("nexmark_gen: --kind is bid, person, auction or all\n", stderr);
                return 2;
            }
        } else if (!strcmp(a, "--format")) {
            if (v && !strcmp(v, "jsonl"))
                ksql = 0;
            else if (v && !strcmp(v, "ksql"))
                ksql = 1;
            else {
                fputs("nexmark_gen: --format is jsonl or ksql\n", stderr);
                return 2;
            }
        } else {
            fprintf(stderr, "nexmark_gen: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++; /* every option but the flags above takes a value */
    }
    if (!have_events) {
        usage(stderr);
        return 2;
    }

    /* bounds event numbers (< 2^51) so base + n*1000/rate stays in int64 */
    if (events > (UINT64_C(1) << 50)) {
        fputs("nexmark_gen: --events too large\n", stderr);
        return 2;
    }

    out o = {.buf = malloc(OUT_CAP), .len = 0};
    if (!o.buf) {
        fputs("nexmark_gen: out of memory\n", stderr);
        return 1;
    }

    if (ksql && ddl) {
        for (int k = SL_NEXMARK_PERSON; k <= SL_NEXMARK_BID; k++)
            if (all || (sl_nexmark_kind)k == kind)
                o.len += sl_nexmark_ddl((sl_nexmark_kind)k, o.buf + o.len);
    }

    sl_nexmark_event ev;
    int rc = 0;
    for (uint64_t i = 0; i < events; i++) {
        uint64_t n = all ? i : sl_nexmark_nth(kind, i);
        sl_nexmark_make(&cfg, n, &ev);
        if (ksql)
            o.len += sl_nexmark_ksql(&ev, o.buf + o.len);
        else
            o.len += sl_nexmark_json(&ev, all, o.buf + o.len);
        if (o.len > OUT_CAP - SL_NEXMARK_MAX_LINE && flush(&o)) {
            rc = 1;
            break;
        }
    }
    if (rc == 0 && flush(&o))
        rc = 1;
    free(o.buf);
    return rc;
}
