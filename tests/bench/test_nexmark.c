/*
 * tests/bench/test_nexmark.c: the Nexmark generator (bench/nexmark.c).
 *
 * What it checks: the same seed gives the same bytes and events are pure
 * functions of (seed, n); the 1:3:46 mix; dense ids from 1000 and the
 * hot/recent id rules; log-uniform prices in [100, 10^8]; event times at
 * the configured rate; every rendered line is one valid JSON object with
 * exactly the NEXMARK.md field names; the INSERT and DDL renderings; the
 * average sizes that `extra` pads to.
 *
 * What it does not check: speed (no timing thresholds in tests).
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/nexmark.h"

/* ---- a tiny JSON checker: one value, strict RFC 8259 syntax ---- */

typedef struct {
    const char *p, *end;
    int depth;
} js;

static void ws(js *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int jvalue(js *j);

static int jstring(js *j)
{
    if (j->p >= j->end || *j->p != '"')
        return 0;
    j->p++;
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20 || c >= 0x80) /* the generator writes ASCII only */
            return 0;
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end || !strchr("\"\\/bfnrtu", *j->p))
                return 0;
            if (*j->p == 'u') {
                for (int i = 0; i < 4; i++)
                    if (++j->p >= j->end || !isxdigit((unsigned char)*j->p))
                        return 0;
            }
        }
        j->p++;
    }
    if (j->p >= j->end)
        return 0;
    j->p++;
    return 1;
}

static int jnumber(js *j)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end || !isdigit((unsigned char)*j->p))
        return 0;
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->end && isdigit((unsigned char)*j->p))
            j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || !isdigit((unsigned char)*j->p))
            return 0;
        while (j->p < j->end && isdigit((unsigned char)*j->p))
            j->p++;
    }
    return j->p > s;
}

static int jobject(js *j)
{
    if (++j->depth > 8)
        return 0;
    j->p++; /* '{' */
    ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        j->depth--;
        return 1;
    }
    for (;;) {
        ws(j);
        if (!jstring(j))
            return 0;
        ws(j);
        if (j->p >= j->end || *j->p != ':')
            return 0;
        j->p++;
        if (!jvalue(j))
            return 0;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            j->depth--;
            return 1;
        }
        return 0;
    }
}

static int jvalue(js *j)
{
    ws(j);
    if (j->p >= j->end)
        return 0;
    if (*j->p == '{')
        return jobject(j);
    if (*j->p == '"')
        return jstring(j);
    if (!strncmp(j->p, "null", 4) && j->end - j->p >= 4) {
        j->p += 4;
        return 1;
    }
    return jnumber(j);
}

/* 1 when [s, s+n) is exactly one JSON object followed by one '\n' */
static int json_line_ok(const char *s, size_t n)
{
    if (n < 3 || s[n - 1] != '\n' || s[0] != '{')
        return 0;
    if (memchr(s, '\n', n - 1))
        return 0;
    js j = {s, s + n - 1, 0};
    if (!jvalue(&j))
        return 0;
    ws(&j);
    return j.p == j.end;
}

/* the keys of a flat object line, in order, joined by ',' */
static void keys_of(const char *s, size_t n, char *out)
{
    const char *p = s, *end = s + n;
    int depth = 0;
    out[0] = '\0';
    while (p < end) {
        if (*p == '{') {
            depth++;
            p++;
        } else if (*p == '}') {
            depth--;
            p++;
        } else if (*p == '"') {
            const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
            cr_assert_not_null(q);
            if (q + 1 < end && q[1] == ':' && depth == 1) {
                if (out[0])
                    strcat(out, ",");
                strncat(out, p + 1, (size_t)(q - p - 1));
            }
            p = q + 1;
        } else {
            p++;
        }
    }
}

static const char *const KEYS[] = {
    [SL_NEXMARK_PERSON] = "id,name,emailAddress,creditCard,city,state,dateTime,extra",
    [SL_NEXMARK_AUCTION] =
        "id,itemName,description,initialBid,reserve,dateTime,expires,seller,category,extra",
    [SL_NEXMARK_BID] = "auction,bidder,price,channel,url,dateTime,extra",
};

/* ---- helpers ---- */

static sl_nexmark_config cfg_seed(uint64_t seed)
{
    sl_nexmark_config c;
    sl_nexmark_config_init(&c);
    c.seed = seed;
    return c;
}

/* events [0, count) as JSON lines; malloc'd, caller frees */
static char *render_all(const sl_nexmark_config *c, uint64_t count, int wrap, size_t *len)
{
    char *buf = malloc(count * SL_NEXMARK_MAX_LINE);
    cr_assert_not_null(buf);
    size_t off = 0;
    sl_nexmark_event ev;
    for (uint64_t n = 0; n < count; n++) {
        sl_nexmark_make(c, n, &ev);
        off += sl_nexmark_json(&ev, wrap, buf + off);
    }
    *len = off;
    return buf;
}

/* ---- determinism ---- */

Test(nexmark, same_seed_same_bytes)
{
    sl_nexmark_config a = cfg_seed(42), b = cfg_seed(42), other = cfg_seed(43);
    size_t la, lb, lo;
    char *x = render_all(&a, 5000, 1, &la);
    char *y = render_all(&b, 5000, 1, &lb);
    char *z = render_all(&other, 5000, 1, &lo);
    cr_assert_eq(la, lb);
    cr_assert(memcmp(x, y, la) == 0, "same seed gave different bytes");
    cr_assert(la != lo || memcmp(x, z, la) != 0, "seeds 42 and 43 gave the same bytes");
    free(x);
    free(y);
    free(z);
}

Test(nexmark, event_is_pure_function_of_n)
{
    /* making event n alone, or after others, gives the same event */
    sl_nexmark_config c = cfg_seed(9);
    static const uint64_t ns[] = {0, 1, 4, 49, 50, 51, 777, 123456, 9999999};
    char a[SL_NEXMARK_MAX_LINE], b[SL_NEXMARK_MAX_LINE];
    sl_nexmark_event ev;
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        sl_nexmark_make(&c, ns[i], &ev);
        size_t la = sl_nexmark_json(&ev, 0, a);
        for (uint64_t k = 0; k < 5; k++) { /* disturb: make other events */
            sl_nexmark_event other;
            sl_nexmark_make(&c, ns[i] + k + 1, &other);
        }
        sl_nexmark_make(&c, ns[i], &ev);
        size_t lb = sl_nexmark_json(&ev, 0, b);
        cr_assert_eq(la, lb, "n=%llu", (unsigned long long)ns[i]);
        cr_assert(memcmp(a, b, la) == 0, "n=%llu", (unsigned long long)ns[i]);
    }
}

Test(nexmark, known_first_events)
{
    /* the sequence's shape at its start, for any seed */
    for (uint64_t seed = 0; seed < 4; seed++) {
        sl_nexmark_config c = cfg_seed(seed);
        sl_nexmark_event ev;
        sl_nexmark_make(&c, 0, &ev);
        cr_assert_eq(ev.kind, SL_NEXMARK_PERSON);
        cr_assert_eq(ev.u.person.id, 1000);
        cr_assert_eq(ev.u.person.dateTime, SL_NEXMARK_DEFAULT_BASE);
        sl_nexmark_make(&c, 1, &ev);
        cr_assert_eq(ev.kind, SL_NEXMARK_AUCTION);
        cr_assert_eq(ev.u.auction.id, 1000);
        cr_assert_eq(ev.u.auction.seller, 1000, "only person 1000 exists");
        sl_nexmark_make(&c, 4, &ev);
        cr_assert_eq(ev.kind, SL_NEXMARK_BID);
        cr_assert_eq(ev.u.bid.bidder, 1000);
        cr_assert(ev.u.bid.auction >= 1000 && ev.u.bid.auction <= 1002);
    }
}

/* ---- proportions and ids ---- */

Test(nexmark, proportions_1_3_46)
{
    sl_nexmark_config c = cfg_seed(1);
    unsigned count[3] = {0, 0, 0};
    sl_nexmark_event ev;
    for (uint64_t n = 0; n < 5000; n++) {
        sl_nexmark_make(&c, n, &ev);
        cr_assert_eq(ev.kind, sl_nexmark_kind_of(n));
        cr_assert_eq(ev.n, n);
        count[ev.kind]++;
    }
    cr_assert_eq(count[SL_NEXMARK_PERSON], 100);
    cr_assert_eq(count[SL_NEXMARK_AUCTION], 300);
    cr_assert_eq(count[SL_NEXMARK_BID], 4600);
}

Test(nexmark, nth_enumerates_each_kind)
{
    uint64_t next[3] = {0, 0, 0};
    for (uint64_t n = 0; n < 20000; n++) {
        sl_nexmark_kind k = sl_nexmark_kind_of(n);
        cr_assert_eq(sl_nexmark_nth(k, next[k]), n, "kind %d index %llu", k,
                     (unsigned long long)next[k]);
        next[k]++;
    }
    /* far out too */
    uint64_t i = 1000000007ULL;
    for (int k = 0; k < 3; k++) {
        uint64_t a = sl_nexmark_nth((sl_nexmark_kind)k, i), b = sl_nexmark_nth((sl_nexmark_kind)k, i + 1);
        cr_assert_eq(sl_nexmark_kind_of(a), (sl_nexmark_kind)k);
        cr_assert(b > a);
    }
}

Test(nexmark, ids_dense_and_references_exist)
{
    sl_nexmark_config c = cfg_seed(5);
    int64_t persons = 0, auctions = 0;
    unsigned bids = 0, hot_auction = 0, hot_bidder = 0, hot_seller = 0, cat[15] = {0};
    sl_nexmark_event ev;
    for (uint64_t n = 0; n < 50000; n++) {
        sl_nexmark_make(&c, n, &ev);
        int64_t last_p = 1000 + persons - 1, last_a = 1000 + auctions - 1;
        switch (ev.kind) {
        case SL_NEXMARK_PERSON:
            cr_assert_eq(ev.u.person.id, 1000 + persons, "person ids dense from 1000");
            persons++;
            break;
        case SL_NEXMARK_AUCTION: {
            const sl_nexmark_auction *a = &ev.u.auction;
            cr_assert_eq(a->id, 1000 + auctions, "auction ids dense from 1000");
            auctions++;
            cr_assert(a->seller >= 1000 && a->seller <= last_p, "seller %lld of %lld",
                      (long long)a->seller, (long long)last_p);
            cr_assert(a->seller >= last_p - 999 || a->seller == last_p / 100 * 100);
            hot_seller += a->seller == last_p / 100 * 100;
            cr_assert(a->category >= 10 && a->category <= 14);
            cat[a->category]++;
            break;
        }
        case SL_NEXMARK_BID: {
            const sl_nexmark_bid *b = &ev.u.bid;
            bids++;
            cr_assert(b->auction >= 1000 && b->auction <= last_a);
            cr_assert(b->auction >= last_a - 99 || b->auction == last_a / 100 * 100);
            cr_assert(b->bidder >= 1000 && b->bidder <= last_p);
            cr_assert(b->bidder >= last_p - 999 || b->bidder == last_p / 100 * 100);
            hot_auction += b->auction == last_a / 100 * 100;
            hot_bidder += b->bidder == last_p / 100 * 100;
            break;
        }
        }
    }
    /* hot shares: 1/2 of bids' auctions, 3/4 of bidders and sellers (plus
     * the few recent picks that happen to land on the hot id) */
    double fa = (double)hot_auction / bids, fb = (double)hot_bidder / bids;
    double fs = (double)hot_seller / (double)auctions;
    cr_assert(fa > 0.47 && fa < 0.56, "hot auction share %f", fa);
    cr_assert(fb > 0.72 && fb < 0.80, "hot bidder share %f", fb);
    cr_assert(fs > 0.70 && fs < 0.82, "hot seller share %f", fs);
    for (int k = 10; k <= 14; k++)
        cr_assert(cat[k] > 500 && cat[k] < 700, "category %d: %u of 3000", k, cat[k]);
}

/* ---- prices, channels ---- */

Test(nexmark, prices_log_uniform_in_range)
{
    sl_nexmark_config c = cfg_seed(11);
    unsigned below_1e5 = 0, total = 0, decade[6] = {0};
    int64_t lo = INT64_MAX, hi = 0;
    sl_nexmark_event ev;
    for (uint64_t i = 0; i < 46000; i++) {
        sl_nexmark_make(&c, sl_nexmark_nth(SL_NEXMARK_BID, i), &ev);
        int64_t p = ev.u.bid.price;
        cr_assert(p >= 100 && p <= 100000000, "price %lld", (long long)p);
        lo = p < lo ? p : lo;
        hi = p > hi ? p : hi;
        below_1e5 += p < 100000;
        int d = 0;
        for (int64_t x = p / 100; x >= 10 && d < 5; x /= 10)
            d++;
        decade[d]++;
        total++;
    }
    double f = (double)below_1e5 / total;
    cr_assert(f > 0.48 && f < 0.52, "share below 10^5 is %f, want about 1/2", f);
    for (int d = 0; d < 6; d++) /* each decade about 1/6 */
        cr_assert(decade[d] > total / 6 - 600 && decade[d] < total / 6 + 600, "decade %d: %u", d,
                  decade[d]);
    cr_assert(lo < 110 && hi > 90000000, "range seen [%lld, %lld]", (long long)lo, (long long)hi);

    for (uint64_t i = 0; i < 3000; i++) {
        sl_nexmark_make(&c, sl_nexmark_nth(SL_NEXMARK_AUCTION, i), &ev);
        const sl_nexmark_auction *a = &ev.u.auction;
        cr_assert(a->initialBid >= 100 && a->initialBid <= 100000000);
        cr_assert(a->reserve > a->initialBid && a->reserve <= 2 * 100000000LL);
    }
}

Test(nexmark, channels_and_urls)
{
    static const char *const named[] = {"Google", "Facebook", "Baidu", "Apple"};
    sl_nexmark_config c = cfg_seed(3);
    unsigned is_named = 0, total = 0;
    static char url_of[10000][128];
    memset(url_of, 0, sizeof url_of);
    sl_nexmark_event ev;
    for (uint64_t i = 0; i < 20000; i++) {
        sl_nexmark_make(&c, sl_nexmark_nth(SL_NEXMARK_BID, i), &ev);
        const sl_nexmark_bid *b = &ev.u.bid;
        total++;
        int hit = 0;
        for (int k = 0; k < 4; k++)
            hit |= !strcmp(b->channel, named[k]);
        if (hit) {
            is_named++;
            cr_assert(!strncmp(b->url, "https://www.", 12), "%s", b->url);
            continue;
        }
        char *end;
        cr_assert(!strncmp(b->channel, "channel-", 8), "%s", b->channel);
        long k = strtol(b->channel + 8, &end, 10);
        cr_assert(*end == '\0' && k >= 0 && k < 10000, "%s", b->channel);
        if (url_of[k][0])
            cr_assert_str_eq(url_of[k], b->url, "one url per channel");
        else
            strcpy(url_of[k], b->url);
    }
    double f = (double)is_named / total;
    cr_assert(f > 0.47 && f < 0.53, "named channel share %f", f);
}

/* ---- time ---- */

Test(nexmark, timestamps_follow_rate)
{
    static const struct {
        uint64_t rate;
        int64_t step_num, step_den; /* ms per event = num / den */
    } cases[] = {
        {1000, 1, 1}, {500, 2, 1}, {1, 1000, 1}, {10000000, 1, 10000}, {4000, 1, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_nexmark_config c = cfg_seed(0);
        c.rate = cases[i].rate;
        c.base_ms = 1000000;
        int64_t prev = 0;
        sl_nexmark_event ev;
        for (uint64_t n = 0; n < 5000; n++) {
            sl_nexmark_make(&c, n, &ev);
            int64_t t = ev.kind == SL_NEXMARK_PERSON    ? ev.u.person.dateTime
                        : ev.kind == SL_NEXMARK_AUCTION ? ev.u.auction.dateTime
                                                        : ev.u.bid.dateTime;
            int64_t want = 1000000 + (int64_t)n * cases[i].step_num / cases[i].step_den;
            cr_assert_eq(t, want, "rate %llu n %llu: %lld", (unsigned long long)cases[i].rate,
                         (unsigned long long)n, (long long)t);
            cr_assert(t >= prev);
            prev = t;
            if (ev.kind == SL_NEXMARK_AUCTION)
                cr_assert(ev.u.auction.expires > t && ev.u.auction.expires <= t + 10000);
        }
    }
    /* no overflow far out */
    sl_nexmark_config c = cfg_seed(0);
    c.rate = 1;
    cr_assert_eq(sl_nexmark_time(&c, 1ULL << 50), SL_NEXMARK_DEFAULT_BASE + (1000LL << 50));
}

/* ---- rendering ---- */

Test(nexmark, every_line_is_valid_json_with_exact_keys)
{
    sl_nexmark_config c = cfg_seed(21);
    char line[SL_NEXMARK_MAX_LINE], keys[512];
    sl_nexmark_event ev;
    for (uint64_t n = 0; n < 5000; n++) {
        sl_nexmark_make(&c, n, &ev);
        size_t len = sl_nexmark_json(&ev, 0, line);
        cr_assert(len < SL_NEXMARK_MAX_LINE);
        cr_assert(json_line_ok(line, len), "n=%llu: %.*s", (unsigned long long)n, (int)len, line);
        keys_of(line, len, keys);
        cr_assert_str_eq(keys, KEYS[ev.kind]);

        /* wrapped: {"<kind>":{...}} around the same object */
        char w[SL_NEXMARK_MAX_LINE], prefix[32];
        size_t wl = sl_nexmark_json(&ev, 1, w);
        cr_assert(json_line_ok(w, wl), "%.*s", (int)wl, w);
        int pl = snprintf(prefix, sizeof prefix, "{\"%s\":", sl_nexmark_kind_name(ev.kind));
        cr_assert(!strncmp(w, prefix, (size_t)pl));
        cr_assert_eq(wl, len + (size_t)pl + 1);
        cr_assert(!memcmp(w + pl, line, len - 1));
        cr_assert(!memcmp(w + wl - 2, "}\n", 2));
    }
}

Test(nexmark, json_values_match_struct)
{
    sl_nexmark_config c = cfg_seed(2);
    sl_nexmark_event ev;
    char line[SL_NEXMARK_MAX_LINE], want[SL_NEXMARK_MAX_LINE];
    sl_nexmark_make(&c, sl_nexmark_nth(SL_NEXMARK_BID, 7), &ev);
    const sl_nexmark_bid *b = &ev.u.bid;
    size_t len = sl_nexmark_json(&ev, 0, line);
    int wl = snprintf(want, sizeof want,
                      "{\"auction\":%lld,\"bidder\":%lld,\"price\":%lld,\"channel\":\"%s\","
                      "\"url\":\"%s\",\"dateTime\":%lld,\"extra\":\"%s\"}\n",
                      (long long)b->auction, (long long)b->bidder, (long long)b->price, b->channel,
                      b->url, (long long)b->dateTime, b->extra);
    cr_assert_eq(len, (size_t)wl);
    cr_assert(!memcmp(line, want, len), "%.*s\nvs\n%s", (int)len, line, want);

    /* negative base times still format as JSON numbers */
    c.base_ms = -5;
    c.rate = 1000;
    sl_nexmark_make(&c, 0, &ev);
    len = sl_nexmark_json(&ev, 0, line);
    cr_assert(json_line_ok(line, len));
    cr_assert(strstr(line, "\"dateTime\":-5,") != NULL, "%.*s", (int)len, line);
}

Test(nexmark, ksql_insert_and_ddl)
{
    sl_nexmark_config c = cfg_seed(4);
    char line[SL_NEXMARK_MAX_LINE];
    sl_nexmark_event ev;
    for (uint64_t n = 0; n < 200; n++) {
        sl_nexmark_make(&c, n, &ev);
        size_t len = sl_nexmark_ksql(&ev, line);
        line[len] = '\0';
        char head[64];
        snprintf(head, sizeof head, "INSERT INTO %s (", sl_nexmark_kind_name(ev.kind));
        cr_assert(!strncmp(line, head, strlen(head)), "%s", line);
        cr_assert(!strcmp(line + len - 3, ");\n"), "%s", line);
        /* quotes balance: every literal opens and closes, none inside */
        unsigned q = 0;
        for (size_t i = 0; i < len; i++)
            q += line[i] == '\'';
        unsigned strings = ev.kind == SL_NEXMARK_PERSON ? 6 : ev.kind == SL_NEXMARK_AUCTION ? 3 : 3;
        cr_assert_eq(q, 2 * strings, "%s", line);
        cr_assert_eq(memchr(line, '\n', len - 1), NULL);
    }
    sl_nexmark_make(&c, 4, &ev);
    sl_nexmark_ksql(&ev, line);
    static const char bid_head[] =
        "INSERT INTO bid (auction, bidder, price, channel, url, dateTime, extra) VALUES (";
    cr_assert(!strncmp(line, bid_head, strlen(bid_head)), "%s", line);

    size_t len = sl_nexmark_ddl(SL_NEXMARK_BID, line);
    line[len] = '\0';
    cr_assert_str_eq(line, "CREATE STREAM bid (auction BIGINT, bidder BIGINT, price BIGINT, "
                           "channel VARCHAR, url VARCHAR, dateTime BIGINT, extra VARCHAR) "
                           "WITH (KAFKA_TOPIC='bid', VALUE_FORMAT='JSON', PARTITIONS=1);\n");
    len = sl_nexmark_ddl(SL_NEXMARK_PERSON, line);
    line[len] = '\0';
    cr_assert(strstr(line, "CREATE STREAM person (id BIGINT, name VARCHAR, emailAddress VARCHAR,"));
    len = sl_nexmark_ddl(SL_NEXMARK_AUCTION, line);
    line[len] = '\0';
    cr_assert(strstr(line, "expires BIGINT, seller BIGINT, category BIGINT, extra VARCHAR)"));
}

/* ---- sizes ---- */

Test(nexmark, average_sizes_near_targets)
{
    static const size_t target[3] = {SL_NEXMARK_PERSON_SIZE, SL_NEXMARK_AUCTION_SIZE,
                                     SL_NEXMARK_BID_SIZE};
    sl_nexmark_config c = cfg_seed(8);
    double size[3] = {0}, json[3] = {0};
    unsigned count[3] = {0};
    char line[SL_NEXMARK_MAX_LINE];
    sl_nexmark_event ev;
    for (uint64_t n = 0; n < 100000; n++) {
        sl_nexmark_make(&c, n, &ev);
        size[ev.kind] += (double)sl_nexmark_size(&ev);
        json[ev.kind] += (double)sl_nexmark_json(&ev, 0, line);
        count[ev.kind]++;
    }
    for (int k = 0; k < 3; k++) {
        double avg = size[k] / count[k];
        cr_assert(avg > 0.97 * (double)target[k] && avg < 1.03 * (double)target[k],
                  "%s: average size %f, target %zu", sl_nexmark_kind_name((sl_nexmark_kind)k), avg,
                  target[k]);
    }
    double bid_json = json[SL_NEXMARK_BID] / count[SL_NEXMARK_BID];
    cr_assert(bid_json > 220 && bid_json < 280, "bid JSON line averages %f bytes, want ~250",
              bid_json);
    /* extra varies: not every record the same length */
    sl_nexmark_event a, b;
    sl_nexmark_make(&c, 4, &a);
    int differ = 0;
    for (uint64_t n = 5; n < 20 && !differ; n++) {
        sl_nexmark_make(&c, n, &b);
        differ = strlen(a.u.bid.extra) != strlen(b.u.bid.extra);
    }
    cr_assert(differ);
}
