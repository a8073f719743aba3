/*
 * bench_server.c: load on one worker (`sluice server`) over its HTTP API,
 * from one process with libcurl's multi interface (bench/server/run.sh
 * sets the worker up and runs both modes).
 *
 *   bench_server pull URL SECONDS CONNECTIONS KEYS
 *     CONNECTIONS clients, each sending pull queries one after another
 *     (POST /query-stream, SELECT total FROM totals WHERE k = K, the key
 *     going round 0..KEYS-1) for SECONDS; prints requests/s and the
 *     latency of a request (sent to last byte) at p50, p99 and max. An
 *     answer that is not 200 with exactly one row counts as failed.
 *
 *   bench_server push URL SECONDS SUBSCRIBERS RATE
 *     SUBSCRIBERS push queries (SELECT id, sent_us FROM pings EMIT
 *     CHANGES) held open; once every one has its header, one
 *     /inserts-stream request streams RATE rows a second into `pings` for
 *     SECONDS, each row stamped with the time it is handed to the socket;
 *     prints the delivery latency (stamp to the row's arrival at a
 *     subscriber) at p50, p99 and max, the deliveries made of those due,
 *     and the subscribers still held at the end.
 *
 * Does not: judge the figures (no thresholds), or set the worker up.
 * Both ends of a latency are read from this process's monotonic clock.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DRAIN_S 30.0            /* after the last insert: a guard against hanging */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- samples and their percentiles ---- */

typedef struct samples {
    double *v;
    size_t n, cap;
} samples;

static void samples_add(samples *s, double x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4096;
        double *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            fputs("bench_server: out of memory\n", stderr);
            exit(1);
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of sorted samples, in ms. */
static double quantile_ms(const samples *s, double q)
{
    if (s->n == 0)
        return 0;
    size_t rank = (size_t)(q * (double)s->n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > s->n)
        rank = s->n;
    return s->v[rank - 1] * 1e3;
}

static void print_latency(samples *s)
{
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    printf("p50 %.2f ms, p99 %.2f ms, max %.2f ms", quantile_ms(s, 0.50), quantile_ms(s, 0.99),
           quantile_ms(s, 1.0));
}

static CURL *easy_post(const char *url, const char *path, struct curl_slist *hdrs)
{
    CURL *h = curl_easy_init();
    if (!h) {
        fputs("bench_server: curl_easy_init failed\n", stderr);
        exit(1);
    }
    char full[1024];
    snprintf(full, sizeof full, "%s%s", url, path);
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    return h;
}

/* ---- pull ---- */

typedef struct puller {
    CURL *h;
    double t0;                  /* when the request was added */
    int lines;                  /* newlines of the answer so far */
} puller;

static size_t pull_write(char *p, size_t size, size_t n, void *arg)
{
    puller *pl = arg;
    for (size_t i = 0; i < size * n; i++)
        pl->lines += p[i] == '\n';
    return size * n;
}

static void pull_send(CURLM *m, puller *pl, long key)
{
    char body[128];
    snprintf(body, sizeof body, "{\"sql\":\"SELECT total FROM totals WHERE k = %ld;\"}", key);
    curl_easy_setopt(pl->h, CURLOPT_COPYPOSTFIELDS, body);
    pl->lines = 0;
    pl->t0 = now_s();
    curl_multi_add_handle(m, pl->h);
}

static int run_pull(const char *url, double seconds, int conns, long keys)
{
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)conns);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    puller *pl = calloc((size_t)conns, sizeof *pl);
    samples lat = {0};
    long next_key = 0, failed = 0;
    double start = now_s(), end = start + seconds;
    for (int i = 0; i < conns; i++) {
        pl[i].h = easy_post(url, "/query-stream", hdrs);
        curl_easy_setopt(pl[i].h, CURLOPT_WRITEFUNCTION, pull_write);
        curl_easy_setopt(pl[i].h, CURLOPT_WRITEDATA, &pl[i]);
        curl_easy_setopt(pl[i].h, CURLOPT_PRIVATE, &pl[i]);
        pull_send(m, &pl[i], next_key++ % keys);
    }
    int running = conns;
    while (running > 0) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            puller *p;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
            double t = now_s();
            long code = 0;
            curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &code);
            /* the header line and one row */
            if (msg->data.result != CURLE_OK || code != 200 || p->lines != 2)
                failed++;
            samples_add(&lat, t - p->t0);
            curl_multi_remove_handle(m, p->h);
            if (t < end) {
                pull_send(m, p, next_key++ % keys);
                running++;
            }
        }
        if (running > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    double took = now_s() - start;
    printf("pull: %d connections, %.1f s: %zu requests (%ld failed), %.0f requests/s, latency ",
           conns, took, lat.n, failed, (double)lat.n / took);
    print_latency(&lat);
    putchar('\n');
    for (int i = 0; i < conns; i++)
        curl_easy_cleanup(pl[i].h);
    free(pl);
    free(lat.v);
    curl_slist_free_all(hdrs);
    curl_multi_cleanup(m);
    return failed == 0 ? 0 : 1;
}

/* ---- push ---- */

typedef struct subscriber {
    CURL *h;
    char line[256];             /* the line being received */
    size_t len;
    bool header;                /* the query's header arrived */
    bool ended;                 /* the transfer ended before we closed it */
    long rows;
} subscriber;

typedef struct push_run {
    double t_start;             /* inserts begin */
    long total;                 /* rows to insert */
    long rate;                  /* rows a second */
    long sent;
    bool paused;
    samples lat;
    long bad_rows;              /* lines that are not [id, sent_us] */
    long acked;                 /* rows the worker took */
} push_run;

static push_run pr;

static double clock_us0;        /* the stamps are microseconds since this */

static void sub_line(subscriber *s)
{
    s->line[s->len] = '\0';
    if (!s->header) {
        s->header = true;
        return;
    }
    long long id, sent_us;
    if (sscanf(s->line, "[%lld,%lld]", &id, &sent_us) != 2) {
        pr.bad_rows++;
        return;
    }
    s->rows++;
    samples_add(&pr.lat, (now_s() - clock_us0) - (double)sent_us * 1e-6);
}

static size_t sub_write(char *p, size_t size, size_t n, void *arg)
{
    subscriber *s = arg;
    for (size_t i = 0; i < size * n; i++) {
        if (p[i] == '\n') {
            sub_line(s);
            s->len = 0;
        } else if (s->len + 1 < sizeof s->line) {
            s->line[s->len++] = p[i];
        }
    }
    return size * n;
}

/* The acks of /inserts-stream, one JSON object a line: counts the ok ones. */
static size_t ack_write(char *p, size_t size, size_t n, void *arg)
{
    static char line[1024];
    static size_t len;
    for (size_t i = 0; i < size * n; i++) {
        if (p[i] != '\n') {
            if (len + 1 < sizeof line)
                line[len++] = p[i];
            continue;
        }
        line[len] = '\0';
        pr.acked += strstr(line, "\"status\":\"ok\"") != NULL;
        len = 0;
    }
    return size * n;
}

/* The rows due by now, stamped as they are handed over; PAUSE when none is. */
static size_t insert_read(char *buf, size_t size, size_t n, void *arg)
{
    size_t cap = size * n, used = 0;
    if (pr.sent == 0 && pr.t_start == 0) {
        static const char target[] = "{\"target\":\"pings\"}\n";
        memcpy(buf, target, sizeof target - 1);
        pr.t_start = now_s();
        return sizeof target - 1;
    }
    double t = now_s();
    long due = (long)((t - pr.t_start) * (double)pr.rate);
    if (due > pr.total)
        due = pr.total;
    while (pr.sent < due && cap - used > 64) {
        long long us = (long long)((now_s() - clock_us0) * 1e6);
        used += (size_t)snprintf(buf + used, cap - used, "{\"id\":%ld,\"sent_us\":%lld}\n",
                                 pr.sent, us);
        pr.sent++;
    }
    if (used > 0)
        return used;
    if (pr.sent >= pr.total)
        return 0;               /* the end of the body */
    pr.paused = true;
    return CURL_READFUNC_PAUSE;
}

static int push_inserts(CURLM *m, const char *url, double seconds, subscriber *subs, int nsubs,
                        long rate);

static int run_push(const char *url, double seconds, int nsubs, long rate)
{
    CURLM *m = curl_multi_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    subscriber *subs = calloc((size_t)nsubs, sizeof *subs);
    clock_us0 = now_s();
    for (int i = 0; i < nsubs; i++) {
        subs[i].h = easy_post(url, "/query-stream", hdrs);
        curl_easy_setopt(subs[i].h, CURLOPT_POSTFIELDS,
                         "{\"sql\":\"SELECT id, sent_us FROM pings EMIT CHANGES;\"}");
        curl_easy_setopt(subs[i].h, CURLOPT_WRITEFUNCTION, sub_write);
        curl_easy_setopt(subs[i].h, CURLOPT_WRITEDATA, &subs[i]);
        curl_easy_setopt(subs[i].h, CURLOPT_PRIVATE, &subs[i]);
        curl_multi_add_handle(m, subs[i].h);
    }
    /* every subscriber holds its query before the first insert */
    int running = nsubs, held = 0;
    double give_up = now_s() + DRAIN_S;
    while (held < nsubs && running > 0 && now_s() < give_up) {
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 10, NULL);
        held = 0;
        for (int i = 0; i < nsubs; i++)
            held += subs[i].header;
    }
    int rc = 1;
    if (held < nsubs)
        fprintf(stderr, "bench_server: %d of %d push queries started\n", held, nsubs);
    else
        rc = push_inserts(m, url, seconds, subs, nsubs, rate);
    for (int i = 0; i < nsubs; i++) {
        curl_multi_remove_handle(m, subs[i].h);
        curl_easy_cleanup(subs[i].h);
    }
    free(subs);
    free(pr.lat.v);
    curl_slist_free_all(hdrs);
    curl_multi_cleanup(m);
    return rc;
}

/* The inserts, once every subscriber holds its query; the figures. */
static int push_inserts(CURLM *m, const char *url, double seconds, subscriber *subs, int nsubs,
                        long rate)
{
    int running, held;
    pr.total = (long)(seconds * (double)rate);
    pr.rate = rate;
    struct curl_slist *ihdrs = curl_slist_append(NULL, "Content-Type: application/json");
    ihdrs = curl_slist_append(ihdrs, "Transfer-Encoding: chunked");
    CURL *ins = easy_post(url, "/inserts-stream", ihdrs);
    curl_easy_setopt(ins, CURLOPT_READFUNCTION, insert_read);
    curl_easy_setopt(ins, CURLOPT_WRITEFUNCTION, ack_write);
    curl_multi_add_handle(m, ins);
    long due = 0;
    bool inserting = true;
    double drain_end = 0;
    while (true) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            if (msg->easy_handle == ins) {
                long code = 0;
                curl_easy_getinfo(ins, CURLINFO_RESPONSE_CODE, &code);
                if (msg->data.result != CURLE_OK || code != 200)
                    fprintf(stderr, "bench_server: /inserts-stream: %s, HTTP %ld\n",
                            curl_easy_strerror(msg->data.result), code);
                inserting = false;
                drain_end = now_s() + DRAIN_S;
            } else {
                subscriber *s;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
                s->ended = true;
            }
        }
        due = pr.sent * nsubs;
        long got = 0;
        for (int i = 0; i < nsubs; i++)
            got += subs[i].rows;
        if (!inserting && (got >= due || now_s() > drain_end))
            break;
        if (pr.paused) {
            pr.paused = false;
            curl_easy_pause(ins, CURLPAUSE_CONT);
        }
        curl_multi_poll(m, NULL, 0, 1, NULL);
    }
    long got = 0;
    held = 0;
    for (int i = 0; i < nsubs; i++) {
        got += subs[i].rows;
        held += !subs[i].ended;
    }
    printf("push: %d subscribers, %d held to the end; %ld rows inserted at %ld/s for %.0f s; "
           "%ld of %ld deliveries; delivery latency ", nsubs, held, pr.sent, rate, seconds, got,
           due);
    print_latency(&pr.lat);
    if (pr.bad_rows)
        printf("; %ld lines not understood", pr.bad_rows);
    if (pr.acked != pr.sent)
        printf("; %ld of the rows refused", pr.sent - pr.acked);
    putchar('\n');
    curl_multi_remove_handle(m, ins);
    curl_easy_cleanup(ins);
    curl_slist_free_all(ihdrs);
    return got == due && held == nsubs && pr.bad_rows == 0 && pr.acked == pr.sent ? 0 : 1;
}

static long number(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > 1000000) {
        fprintf(stderr, "bench_server: %s must be a number from 1 to 1000000, not '%s'\n", what,
                s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 6 || (strcmp(argv[1], "pull") != 0 && strcmp(argv[1], "push") != 0)) {
        fputs("usage: bench_server pull URL SECONDS CONNECTIONS KEYS\n"
              "       bench_server push URL SECONDS SUBSCRIBERS RATE\n",
              stderr);
        return 2;
    }
    double seconds = (double)number(argv[3], "SECONDS");
    bool pull = strcmp(argv[1], "pull") == 0;
    long n = number(argv[4], pull ? "CONNECTIONS" : "SUBSCRIBERS");
    long k = number(argv[5], pull ? "KEYS" : "RATE");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = pull ? run_pull(argv[2], seconds, (int)n, k)
                                          : run_push(argv[2], seconds, (int)n, k);
    curl_global_cleanup();
    return rc;
}
