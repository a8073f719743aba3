/*
 * bench_decode.c: micro-benchmark of the JSON record decoder (formats/).
 *
 * Generates N Nexmark-like bid records as JSON in memory (deterministic:
 * a fixed LCG seed), then decodes all of them with the schema
 *   AUCTION BIGINT, BIDDER BIGINT, PRICE BIGINT, CHANNEL STRING, URL STRING,
 *   DATETIME TIMESTAMP, EXTRA STRING
 * (a) with all 7 columns wanted and (b) with 3 wanted (AUCTION, PRICE,
 * DATETIME), resetting the batch arena every 1024 records as the runtime
 * does; (c) encodes the 3-column projection back to JSON. Prints, per case,
 * the median of 5 runs: records/s, MB/s of input and ns per record, on one
 * core. Usage: bench_decode [N] (default 200000).
 *
 * Does not: measure filter / project (the operators), nor the log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/format.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return rng >> 33;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);   /* per-core cost, not wall time */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct rec {
    size_t off, len;
} rec;

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 200000;
    if (n == 0)
        n = 1;
    static const char *const channels[] = {"Google", "Facebook", "Baidu", "Apple"};
    sl_buf data = SL_BUF_INIT;
    rec *recs = malloc(sizeof *recs * n);
    for (size_t i = 0; i < n; i++) {
        size_t off = data.len;
        uint64_t auction = 1000 + next() % 10000, bidder = 1000 + next() % 100000;
        uint64_t price = 100 + next() % 10000000;
        int64_t ts = 1436918400000LL + (int64_t)i * 10 + (int64_t)(next() % 10);
        const char *ch = channels[next() % 4];
        char extra[48];
        for (int k = 0; k < 40; k++)
            extra[k] = (char)('a' + next() % 26);
        extra[40] = '\0';
        sl_buf_printf(&data,
                      "{\"auction\":%llu,\"bidder\":%llu,\"price\":%llu,\"channel\":\"%s\","
                      "\"url\":\"https://www.nexmark.com/%s/item.htm?query=1&channel_id=%llu\","
                      "\"dateTime\":%lld,\"extra\":\"%s\"}",
                      (unsigned long long)auction, (unsigned long long)bidder,
                      (unsigned long long)price, ch, ch,
                      (unsigned long long)(next() % 100000000), (long long)ts, extra);
        recs[i].off = off;
        recs[i].len = data.len - off;
    }
    double avg = (double)data.len / (double)n;

    sl_column cols[] = {
        {"AUCTION", &SL_TYPE_BIGINT, SL_COLK_VALUE, NULL, NULL},
        {"BIDDER", &SL_TYPE_BIGINT, SL_COLK_VALUE, NULL, NULL},
        {"PRICE", &SL_TYPE_BIGINT, SL_COLK_VALUE, NULL, NULL},
        {"CHANNEL", &SL_TYPE_STRING, SL_COLK_VALUE, NULL, NULL},
        {"URL", &SL_TYPE_STRING, SL_COLK_VALUE, NULL, NULL},
        {"DATETIME", &SL_TYPE_TIMESTAMP, SL_COLK_VALUE, NULL, NULL},
        {"EXTRA", &SL_TYPE_STRING, SL_COLK_VALUE, NULL, NULL},
    };
    bool three[] = {true, false, true, false, false, true, false};
    sl_format_opts opts = {.kind = SL_FMT_JSON};
    sl_error err;
    sl_arena *arena = sl_arena_new(256 * 1024);
    sl_value out[7];
    printf("bench_decode: %zu bid records, %.1f bytes each on average\n", n, avg);

    for (int c = 0; c < 2; c++) {
        sl_decoder *d = sl_decoder_new(&opts, cols, 7, c == 0 ? NULL : three, &err);
        if (!d) {
            fprintf(stderr, "decoder: %s\n", err.msg);
            return 1;
        }
        double runs[5];
        for (int r = 0; r < 5; r++) {
            double t0 = now();
            for (size_t i = 0; i < n; i++) {
                if ((i & 1023) == 0)
                    sl_arena_reset(arena);
                if (sl_decode(d, data.data + recs[i].off, recs[i].len, arena, out, &err) < 0) {
                    fprintf(stderr, "record %zu: %s\n", i, err.msg);
                    return 1;
                }
            }
            runs[r] = now() - t0;
        }
        qsort(runs, 5, sizeof runs[0], cmpd);
        double t = runs[2];
        printf("decode %s: %10.0f records/s  %7.1f MB/s  %6.1f ns/record\n",
               c == 0 ? "7 of 7 columns" : "3 of 7 columns", (double)n / t,
               (double)data.len / t / 1e6, t / (double)n * 1e9);
        sl_decoder_free(d);
    }

    /* (c) encode the 3-column projection */
    sl_column ocols[] = {cols[0], cols[2], cols[5]};
    sl_encoder *e = sl_encoder_new(&opts, ocols, 3, &err);
    sl_decoder *d = sl_decoder_new(&opts, cols, 7, three, &err);
    sl_value *rows = malloc(sizeof *rows * 3 * n);
    sl_arena *keep = sl_arena_new(0);
    for (size_t i = 0; i < n; i++) {
        sl_decode(d, data.data + recs[i].off, recs[i].len, keep, out, &err);
        rows[3 * i] = out[0];
        rows[3 * i + 1] = out[2];
        rows[3 * i + 2] = out[5];
    }
    sl_buf ob = SL_BUF_INIT;
    double runs[5];
    size_t bytes = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        bytes = 0;
        for (size_t i = 0; i < n; i++) {
            sl_buf_reset(&ob);
            sl_encode(e, &rows[3 * i], &ob, &err);
            bytes += ob.len;
        }
        runs[r] = now() - t0;
    }
    qsort(runs, 5, sizeof runs[0], cmpd);
    printf("encode 3 columns:   %10.0f records/s  %7.1f MB/s  %6.1f ns/record\n",
           (double)n / runs[2], (double)bytes / runs[2] / 1e6, runs[2] / (double)n * 1e9);
    sl_buf_fini(&ob);
    sl_arena_free(keep);
    free(rows);
    sl_decoder_free(d);
    sl_encoder_free(e);
    sl_arena_free(arena);
    free(recs);
    sl_buf_fini(&data);
    return 0;
}
