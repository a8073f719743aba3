/*
 * bench_log.c: throughput of the embedded log alone (log/embedded.c), no
 * decoding or operators.
 *
 * Does: writes N records of about 250 bytes (a key, a JSON-ish value, a
 * timestamp) into a topic of P partitions in transactions of T records
 * (record i goes to partition i % P), then reads every partition back from
 * offset 0 in reads of R records and checks that every record came back
 * with the right offset, key, value and timestamp (the check is timed with
 * the read, as a consumer touches what it reads). Each of K runs uses a
 * fresh data directory; it prints records per CPU-second (process CPU time, so
 * RocksDB's background flushes and compactions count: the write phase ends
 * when the process has gone idle) and per wall second (the write loop
 * alone) for writing and reading, and their medians; for writing also
 * records per CPU-second of the writing thread alone (without RocksDB's
 * background threads).
 * Does not: measure the runtime, formats or retention.
 *
 *   bench_log [-n records] [-p partitions] [-t txn size] [-r read size]
 *             [-s value bytes] [-k runs] [-d parent dir]
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Record i has key "bidder-<i % NKEYS>" and value number i % NVALUES, both
 * made before the clock starts, so that the timings are the log's. */
#define NKEYS 10007
#define NVALUES 4093

static int make_value(char *buf, int vbytes, long i)
{
    int n = snprintf(buf, (size_t)vbytes + 1,
                     "{\"auction\":%ld,\"bidder\":%ld,\"price\":%ld,\"channel\":\"channel-%ld\","
                     "\"url\":\"https://www.nexmark.com/item.htm?query=1&channel_id=%ld\","
                     "\"dateTime\":\"2026-11-26 06:%02ld:%02ld.%03ld\",\"extra\":\"",
                     1000 + i / 7, i % 10007, (i * 7919) % 100000, i % 5, i % 1000,
                     (i / 60000) % 60, (i / 1000) % 60, i % 1000);
    if (n > vbytes)
        n = vbytes;
    for (; n < vbytes - 2; n++)
        buf[n] = (char)('a' + (i + n) % 26);
    for (; n < vbytes; n++)
        buf[n] = n == vbytes - 2 ? '"' : '}';
    return n;
}

typedef struct pool {
    char keys[NKEYS][16];
    int key_len[NKEYS];
    char *values;               /* NVALUES values of vbytes each */
} pool;

static pool *pool_new(int vbytes)
{
    pool *pl = malloc(sizeof *pl);
    if (pl)
        pl->values = malloc((size_t)NVALUES * (size_t)(vbytes + 1));
    if (!pl || !pl->values) {
        fprintf(stderr, "bench_log: out of memory\n");
        exit(1);
    }
    for (long i = 0; i < NKEYS; i++)
        pl->key_len[i] = sprintf(pl->keys[i], "bidder-%ld", i);
    for (long i = 0; i < NVALUES; i++)
        make_value(pl->values + i * (vbytes + 1), vbytes, i);
    return pl;
}

typedef struct opts {
    long n;
    int parts, txn, readn, vbytes, runs;
    const char *parent;
} opts;

/* One run; fills the five rates. Returns 0, or 1 on a failure (printed). */
static int run_once(const opts *o, const pool *pl, double *wcpu, double *wfg, double *wwall,
                    double *rcpu, double *rwall)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/bench-log-XXXXXX", o->parent);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_log: mkdtemp %s: %s\n", dir, strerror(errno));
        return 1;
    }
    sl_error err;
    sl_error_clear(&err);
    int rc = 1;
    sl_log *log = sl_log_open_embedded(dir, &err);
    if (!log) {
        fprintf(stderr, "bench_log: %s\n", err.msg);
        goto out;
    }
    sl_topic_config cfg = sl_topic_config_default();
    cfg.partitions = o->parts;
    cfg.retention_ms = -1;
    if (sl_log_create_topic(log, "bench", &cfg, NULL, &err)) {
        fprintf(stderr, "bench_log: %s\n", err.msg);
        goto out;
    }

    /* write */
    double c0 = cpu_now(), w0 = wall_now(), t0 = thread_now();
    for (long i = 0; i < o->n;) {
        sl_log_txn *t = sl_log_txn_begin(log);
        for (int j = 0; j < o->txn && i < o->n; j++, i++) {
            sl_record r = {0};
            r.key = pl->keys[i % NKEYS];
            r.key_len = pl->key_len[i % NKEYS];
            r.value = pl->values + (i % NVALUES) * (o->vbytes + 1);
            r.value_len = o->vbytes;
            r.timestamp = 1700000000000LL + i;
            if (sl_log_txn_append(t, "bench", (int32_t)(i % o->parts), &r, NULL, NULL, &err)) {
                fprintf(stderr, "bench_log: append: %s\n", err.msg);
                sl_log_txn_abort(t);
                goto out;
            }
        }
        if (sl_log_txn_commit(t, &err)) {
            fprintf(stderr, "bench_log: commit: %s\n", err.msg);
            goto out;
        }
    }
    double w1 = wall_now(), t1 = thread_now();
    /* RocksDB flushes and compacts in the background: charge that to the
     * writes by waiting until the process has been idle for 200 ms */
    double c1 = cpu_now();
    for (int i = 0; i < 300; i++) {
        usleep(200000);
        double c = cpu_now();
        if (c - c1 < 0.002)
            break;
        c1 = c;
    }
    double wsettle = wall_now();

    /* read back and check */
    sl_arena *a = sl_arena_new(1 << 20);
    sl_record *out = malloc((size_t)o->readn * sizeof *out);
    if (!out) {
        fprintf(stderr, "bench_log: out of memory\n");
        sl_arena_free(a);
        goto out;
    }
    long got = 0, bad = 0;
    for (int p = 0; p < o->parts; p++) {
        int64_t next = 0;
        for (;;) {
            int n;
            sl_arena_reset(a);
            if (sl_log_read(log, "bench", p, next, o->readn, a, out, &n, &err)) {
                fprintf(stderr, "bench_log: read: %s\n", err.msg);
                bad++;
                break;
            }
            if (n == 0)
                break;
            for (int j = 0; j < n; j++) {
                long i = (long)out[j].offset * o->parts + p;     /* the record's number */
                if (out[j].offset != next + j || out[j].key_len != pl->key_len[i % NKEYS] ||
                    memcmp(out[j].key, pl->keys[i % NKEYS], (size_t)out[j].key_len) ||
                    out[j].value_len != o->vbytes ||
                    memcmp(out[j].value, pl->values + (i % NVALUES) * (o->vbytes + 1),
                           (size_t)o->vbytes) ||
                    out[j].timestamp != 1700000000000LL + i)
                    bad++;
            }
            got += n;
            next += n;
        }
    }
    double c2 = cpu_now(), w2 = wall_now();
    free(out);
    sl_arena_free(a);
    if (got != o->n || bad) {
        fprintf(stderr, "bench_log: read back %ld of %ld records, %ld wrong\n", got, o->n, bad);
        goto out;
    }
    *wcpu = (double)o->n / (c1 - c0);
    *wfg = (double)o->n / (t1 - t0);
    *wwall = (double)o->n / (w1 - w0);
    *rcpu = (double)o->n / (c2 - c1);
    *rwall = (double)o->n / (w2 - wsettle);
    rc = 0;
out:
    sl_log_close(log);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

int main(int argc, char **argv)
{
    opts o = {1000000, 4, 1000, 1000, 250, 5, "/tmp"};
    int c;
    while ((c = getopt(argc, argv, "n:p:t:r:s:k:d:")) != -1) {
        switch (c) {
        case 'n': o.n = atol(optarg); break;
        case 'p': o.parts = atoi(optarg); break;
        case 't': o.txn = atoi(optarg); break;
        case 'r': o.readn = atoi(optarg); break;
        case 's': o.vbytes = atoi(optarg); break;
        case 'k': o.runs = atoi(optarg); break;
        case 'd': o.parent = optarg; break;
        default:
            fprintf(stderr, "usage: bench_log [-n records] [-p partitions] [-t txn size] "
                            "[-r read size] [-s value bytes] [-k runs] [-d parent dir]\n");
            return 2;
        }
    }
    if (o.n <= 0 || o.parts <= 0 || o.txn <= 0 || o.readn <= 0 || o.readn > 1000000 ||
        o.vbytes < 8 || o.vbytes > (1 << 24) || o.runs <= 0 || o.runs > 100) {
        fprintf(stderr, "bench_log: every count must be positive (value bytes 8 to 16777216, "
                        "read size up to 1000000, runs up to 100)\n");
        return 2;
    }
    double wc[100], wf[100], ww[100], rcpu[100], rw[100];
    pool *pl = pool_new(o.vbytes);
    printf("bench_log: %ld records, value %d bytes, %d partitions, txn %d, read %d, %d runs\n",
           o.n, o.vbytes, o.parts, o.txn, o.readn, o.runs);
    for (int k = 0; k < o.runs; k++) {
        if (run_once(&o, pl, &wc[k], &wf[k], &ww[k], &rcpu[k], &rw[k]))
            return 1;
        printf("run %d:  write %9.0f rec/cpu-s (writer thread %9.0f) %9.0f rec/s   "
               "read %9.0f rec/cpu-s %9.0f rec/s\n",
               k + 1, wc[k], wf[k], ww[k], rcpu[k], rw[k]);
        fflush(stdout);
    }
    printf("median: write %9.0f rec/cpu-s (writer thread %9.0f) %9.0f rec/s   "
           "read %9.0f rec/cpu-s %9.0f rec/s\n",
           median(wc, o.runs), median(wf, o.runs), median(ww, o.runs), median(rcpu, o.runs),
           median(rw, o.runs));
    free(pl->values);
    free(pl);
    return 0;
}
