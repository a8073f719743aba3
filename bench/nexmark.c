/*
 * bench/nexmark.c: the Nexmark event generator (see bench/nexmark.h and
 * NEXMARK.md (shared design notes) for the rules it follows).
 *
 * What it does: makes event n from (seed, n) alone, with a small splitmix
 * generator seeded per event; renders events as JSON lines, ksqlDB INSERT
 * statements, or the CREATE STREAM statements that go with them. Numbers
 * are formatted by hand and strings copied with memcpy: no printf on the
 * per-event path.
 *
 * What it does not do: no I/O, no allocation, no JSON escaping: every
 * string it makes is drawn from letters, digits, spaces and the URL
 * punctuation ":/.?=&-@", so it is valid inside a JSON string and inside a
 * single-quoted SQL literal as is (the tests check both).
 */
#include "bench/nexmark.h"

#include <math.h>
#include <string.h>

#define EPOCH 50u       /* events per epoch: 1 person, 3 auctions, 46 bids */
#define AUCTIONS 3u

/* ---- randomness: splitmix64, one stream per (seed, event) ---- */

typedef struct {
    uint64_t s;
} rng;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_init(rng *r, uint64_t seed, uint64_t n)
{
    r->s = mix64(seed ^ 0x5bd1e9955bd1e995ULL) ^ mix64(n + 0x632be59bd9b4e019ULL);
}

static uint64_t rng_next(rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return mix64(r->s);
}

/* uniform in [0, k), k > 0 (multiply-shift; bias below 2^-32 here) */
static uint64_t rng_below(rng *r, uint64_t k)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * k) >> 64);
}

/* uniform in [0, 1) with 53 bits */
static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* len characters from alphabet (at most 256 entries), 8 per draw */
static void rng_text(rng *r, char *dst, size_t len, const char *alphabet, unsigned nalpha)
{
    while (len > 0) {
        uint64_t bits = rng_next(r);
        for (int i = 0; i < 8 && len > 0; i++, len--) {
            *dst++ = alphabet[((bits & 0xff) * nalpha) >> 8];
            bits >>= 8;
        }
    }
}

static const char LOWER[] = "abcdefghijklmnopqrstuvwxyz";
static const char LOWER_SP[] = "abcdefghijklmnopqrstuvwxyz ";
static const char DIGITS[] = "0123456789";

static void letters(rng *r, char *dst, size_t len)
{
    rng_text(r, dst, len, LOWER, 26);
    dst[len] = '\0';
}

/* ---- fixed vocabularies ---- */

static const char *const FIRST_NAMES[] = {
    "Ada", "Ben", "Cleo", "Dmitri", "Esme", "Farid", "Greta", "Hiro",
    "Ines", "Jonas", "Kemal", "Lena", "Mateo", "Nadia", "Omar", "Priya",
    "Quinn", "Rosa", "Sven", "Tamar", "Umar", "Vera", "Wen", "Yara",
};
static const char *const LAST_NAMES[] = {
    "Abbott", "Brennan", "Castillo", "Dubois", "Eriksen", "Fischer",
    "Gallo", "Haddad", "Ivanova", "Jensen", "Kowalski", "Lindqvist",
    "Moreau", "Novak", "Okafor", "Petrov", "Quintero", "Rahman", "Sato",
    "Tanaka", "Ueda", "Varga", "Weber", "Zhou",
};
static const struct {
    const char *city, *state;
} PLACES[] = {
    {"Portland", "OR"}, {"Boise", "ID"},   {"Fresno", "CA"},  {"Seattle", "WA"},
    {"Phoenix", "AZ"},  {"Reno", "NV"},    {"Eugene", "OR"},  {"Nampa", "ID"},
    {"Oakland", "CA"},  {"Spokane", "WA"}, {"Tucson", "AZ"},  {"Denver", "CO"},
    {"Austin", "TX"},   {"Salem", "OR"},   {"Sacramento", "CA"}, {"Provo", "UT"},
};
static const struct {
    const char *channel, *url;
} CHANNELS[] = {
    {"Google", "https://www.google.com/search"},
    {"Facebook", "https://www.facebook.com/search"},
    {"Baidu", "https://www.baidu.com/search"},
    {"Apple", "https://www.apple.com/search"},
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define CHANNEL_RANGE 10000u

/* ---- small string helpers ---- */

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* decimal digits of v (no sign) ending at end; returns start */
static char *digits_back(char *end, uint64_t v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100);
        v /= 100;
        end -= 2;
        memcpy(end, pairs + 2 * d, 2);
    }
    if (v >= 10) {
        end -= 2;
        memcpy(end, pairs + 2 * v, 2);
    } else {
        *--end = (char)('0' + v);
    }
    return end;
}

static char *put_i64(char *p, int64_t v)
{
    char tmp[24];
    char *end = tmp + sizeof tmp;
    uint64_t u;
    if (v < 0) {
        *p++ = '-';
        u = (uint64_t)0 - (uint64_t)v;
    } else {
        u = (uint64_t)v;
    }
    char *s = digits_back(end, u);
    memcpy(p, s, (size_t)(end - s));
    return p + (end - s);
}

/* ---- the sequence ---- */

void sl_nexmark_config_init(sl_nexmark_config *c)
{
    c->seed = 0;
    c->rate = SL_NEXMARK_DEFAULT_RATE;
    c->base_ms = SL_NEXMARK_DEFAULT_BASE;
}

sl_nexmark_kind sl_nexmark_kind_of(uint64_t n)
{
    uint64_t k = n % EPOCH;
    if (k == 0)
        return SL_NEXMARK_PERSON;
    if (k <= AUCTIONS)
        return SL_NEXMARK_AUCTION;
    return SL_NEXMARK_BID;
}

const char *sl_nexmark_kind_name(sl_nexmark_kind k)
{
    switch (k) {
    case SL_NEXMARK_PERSON: return "person";
    case SL_NEXMARK_AUCTION: return "auction";
    case SL_NEXMARK_BID: return "bid";
    }
    return "?";
}

uint64_t sl_nexmark_nth(sl_nexmark_kind k, uint64_t i)
{
    switch (k) {
    case SL_NEXMARK_PERSON: return i * EPOCH;
    case SL_NEXMARK_AUCTION: return (i / AUCTIONS) * EPOCH + 1 + i % AUCTIONS;
    case SL_NEXMARK_BID: break;
    }
    uint64_t per = EPOCH - 1 - AUCTIONS;
    return (i / per) * EPOCH + 1 + AUCTIONS + i % per;
}

int64_t sl_nexmark_time(const sl_nexmark_config *c, uint64_t n)
{
    uint64_t rate = c->rate ? c->rate : 1;
    unsigned __int128 ms = (unsigned __int128)n * 1000u / rate;
    return c->base_ms + (int64_t)ms;
}

/* Id of the newest person that exists at event n (a person opens each
 * epoch, so there is always one). */
static int64_t last_person(uint64_t n)
{
    return SL_NEXMARK_FIRST_ID + (int64_t)(n / EPOCH);
}

/* Id of the newest auction at event n, for n a bid (all three auctions of
 * the epoch precede it). */
static int64_t last_auction(uint64_t n)
{
    return SL_NEXMARK_FIRST_ID + (int64_t)((n / EPOCH) * AUCTIONS) + (AUCTIONS - 1);
}

/* hot id (newest rounded down to a multiple of 100) with probability
 * hot_in / hot_of, otherwise one of the newest `window` ids */
static int64_t pick_id(rng *r, int64_t newest, unsigned hot_in, unsigned hot_of, uint64_t window)
{
    if (rng_below(r, hot_of) < hot_in)
        return newest / 100 * 100;
    uint64_t have = (uint64_t)(newest - SL_NEXMARK_FIRST_ID) + 1;
    if (window > have)
        window = have;
    return newest - (int64_t)rng_below(r, window);
}

/* log-uniform in [100, 10^8]: round(10^(6u) * 100) */
static int64_t price(rng *r)
{
    return (int64_t)llround(pow(10.0, rng_unit(r) * 6.0) * 100.0);
}

/* extra text bringing `size` to about `target` (uniform within +-20%) */
static void extra(rng *r, char *dst, size_t cap, size_t size, size_t target)
{
    size_t len = 0;
    if (size < target) {
        size_t want = target - size;
        size_t delta = want / 5;
        len = want - delta + (size_t)rng_below(r, 2 * delta + 1);
    }
    if (len >= cap)
        len = cap - 1;
    letters(r, dst, len);
}

/* estimated sizes (see sl_nexmark_size): 8 bytes a number, plus text */
static size_t person_size(const sl_nexmark_person *p)
{
    return 8 * 2 + strlen(p->name) + strlen(p->emailAddress) + strlen(p->creditCard) +
           strlen(p->city) + strlen(p->state) + strlen(p->extra);
}

static size_t auction_size(const sl_nexmark_auction *a)
{
    return 8 * 7 + strlen(a->itemName) + strlen(a->description) + strlen(a->extra);
}

static size_t bid_size(const sl_nexmark_bid *b)
{
    return 8 * 4 + strlen(b->extra);  /* channel and url not counted */
}

static void make_person(const sl_nexmark_config *c, uint64_t n, rng *r, sl_nexmark_person *p)
{
    p->id = last_person(n);
    char *s = put_str(p->name, FIRST_NAMES[rng_below(r, COUNT(FIRST_NAMES))]);
    *s++ = ' ';
    s = put_str(s, LAST_NAMES[rng_below(r, COUNT(LAST_NAMES))]);
    *s = '\0';

    rng_text(r, p->emailAddress, 7, LOWER, 26);
    p->emailAddress[7] = '@';
    rng_text(r, p->emailAddress + 8, 5, LOWER, 26);
    memcpy(p->emailAddress + 13, ".com", 5);

    for (int g = 0; g < 4; g++) {
        rng_text(r, p->creditCard + g * 5, 4, DIGITS, 10);
        p->creditCard[g * 5 + 4] = g < 3 ? ' ' : '\0';
    }

    unsigned pl = (unsigned)rng_below(r, COUNT(PLACES));
    strcpy(p->city, PLACES[pl].city);
    strcpy(p->state, PLACES[pl].state);
    p->dateTime = sl_nexmark_time(c, n);
    p->extra[0] = '\0';
    extra(r, p->extra, sizeof p->extra, person_size(p), SL_NEXMARK_PERSON_SIZE);
}

static void make_auction(const sl_nexmark_config *c, uint64_t n, rng *r, sl_nexmark_auction *a)
{
    uint64_t epoch = n / EPOCH;
    a->id = SL_NEXMARK_FIRST_ID + (int64_t)(epoch * AUCTIONS + (n % EPOCH) - 1);
    letters(r, a->itemName, 5 + (size_t)rng_below(r, 16));
    size_t dlen = 60 + (size_t)rng_below(r, 41);
    rng_text(r, a->description, dlen, LOWER_SP, 27);
    a->description[dlen] = '\0';
    a->initialBid = price(r);
    a->reserve = a->initialBid + price(r);
    a->dateTime = sl_nexmark_time(c, n);
    a->expires = a->dateTime + 1000 + (int64_t)rng_below(r, 9001);
    a->seller = pick_id(r, last_person(n), 3, 4, 1000);
    a->category = 10 + (int64_t)rng_below(r, 5);
    a->extra[0] = '\0';
    extra(r, a->extra, sizeof a->extra, auction_size(a), SL_NEXMARK_AUCTION_SIZE);
}

/* url of a numbered channel: fixed per channel, path letters from its number */
static void channel_url(uint64_t ch, char *dst)
{
    rng u = {.s = mix64(ch ^ 0xc4ceb9fe1a85ec53ULL)};
    char *p = put_str(dst, "https://www.nexmark.com/");
    for (int seg = 0; seg < 3; seg++) {
        rng_text(&u, p, 5, LOWER, 26);
        p += 5;
        *p++ = '/';
    }
    p = put_str(p, "item.htm?query=1&channel_id=");
    p = put_i64(p, (int64_t)ch);
    *p = '\0';
}

static void make_bid(const sl_nexmark_config *c, uint64_t n, rng *r, sl_nexmark_bid *b)
{
    b->auction = pick_id(r, last_auction(n), 1, 2, 100);
    b->bidder = pick_id(r, last_person(n), 3, 4, 1000);
    b->price = price(r);
    if (rng_below(r, 2) == 0) {
        unsigned k = (unsigned)rng_below(r, COUNT(CHANNELS));
        strcpy(b->channel, CHANNELS[k].channel);
        strcpy(b->url, CHANNELS[k].url);
    } else {
        uint64_t ch = rng_below(r, CHANNEL_RANGE);
        char *p = put_str(b->channel, "channel-");
        p = put_i64(p, (int64_t)ch);
        *p = '\0';
        channel_url(ch, b->url);
    }
    b->dateTime = sl_nexmark_time(c, n);
    b->extra[0] = '\0';
    extra(r, b->extra, sizeof b->extra, bid_size(b), SL_NEXMARK_BID_SIZE);
}

void sl_nexmark_make(const sl_nexmark_config *c, uint64_t n, sl_nexmark_event *ev)
{
    rng r;
    rng_init(&r, c->seed, n);
    ev->n = n;
    ev->kind = sl_nexmark_kind_of(n);
    switch (ev->kind) {
    case SL_NEXMARK_PERSON: make_person(c, n, &r, &ev->u.person); break;
    case SL_NEXMARK_AUCTION: make_auction(c, n, &r, &ev->u.auction); break;
    case SL_NEXMARK_BID: make_bid(c, n, &r, &ev->u.bid); break;
    }
}

size_t sl_nexmark_size(const sl_nexmark_event *ev)
{
    switch (ev->kind) {
    case SL_NEXMARK_PERSON: return person_size(&ev->u.person);
    case SL_NEXMARK_AUCTION: return auction_size(&ev->u.auction);
    case SL_NEXMARK_BID: break;
    }
    return bid_size(&ev->u.bid);
}

/* ---- rendering ---- */

/* One column of a record, as the renderers see it. */
typedef struct {
    const char *name;
    const char *str;  /* string value, or NULL for a number */
    int64_t num;
} field;

#define MAX_FIELDS 10

static int fields_of(const sl_nexmark_event *ev, field *f)
{
    int k = 0;
#define NUM(nm, v) f[k++] = (field){nm, NULL, (v)}
#define STR(nm, v) f[k++] = (field){nm, (v), 0}
    switch (ev->kind) {
    case SL_NEXMARK_PERSON: {
        const sl_nexmark_person *p = &ev->u.person;
        NUM("id", p->id);
        STR("name", p->name);
        STR("emailAddress", p->emailAddress);
        STR("creditCard", p->creditCard);
        STR("city", p->city);
        STR("state", p->state);
        NUM("dateTime", p->dateTime);
        STR("extra", p->extra);
        break;
    }
    case SL_NEXMARK_AUCTION: {
        const sl_nexmark_auction *a = &ev->u.auction;
        NUM("id", a->id);
        STR("itemName", a->itemName);
        STR("description", a->description);
        NUM("initialBid", a->initialBid);
        NUM("reserve", a->reserve);
        NUM("dateTime", a->dateTime);
        NUM("expires", a->expires);
        NUM("seller", a->seller);
        NUM("category", a->category);
        STR("extra", a->extra);
        break;
    }
    case SL_NEXMARK_BID: {
        const sl_nexmark_bid *b = &ev->u.bid;
        NUM("auction", b->auction);
        NUM("bidder", b->bidder);
        NUM("price", b->price);
        STR("channel", b->channel);
        STR("url", b->url);
        NUM("dateTime", b->dateTime);
        STR("extra", b->extra);
        break;
    }
    }
#undef NUM
#undef STR
    return k;
}

size_t sl_nexmark_json(const sl_nexmark_event *ev, int wrap, char *out)
{
    field f[MAX_FIELDS];
    int nf = fields_of(ev, f);
    char *p = out;
    if (wrap) {
        *p++ = '{';
        *p++ = '"';
        p = put_str(p, sl_nexmark_kind_name(ev->kind));
        *p++ = '"';
        *p++ = ':';
    }
    *p++ = '{';
    for (int i = 0; i < nf; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        p = put_str(p, f[i].name);
        *p++ = '"';
        *p++ = ':';
        if (f[i].str) {
            *p++ = '"';
            p = put_str(p, f[i].str);
            *p++ = '"';
        } else {
            p = put_i64(p, f[i].num);
        }
    }
    *p++ = '}';
    if (wrap)
        *p++ = '}';
    *p++ = '\n';
    return (size_t)(p - out);
}

size_t sl_nexmark_ksql(const sl_nexmark_event *ev, char *out)
{
    field f[MAX_FIELDS];
    int nf = fields_of(ev, f);
    char *p = put_str(out, "INSERT INTO ");
    p = put_str(p, sl_nexmark_kind_name(ev->kind));
    p = put_str(p, " (");
    for (int i = 0; i < nf; i++) {
        if (i)
            p = put_str(p, ", ");
        p = put_str(p, f[i].name);
    }
    p = put_str(p, ") VALUES (");
    for (int i = 0; i < nf; i++) {
        if (i)
            p = put_str(p, ", ");
        if (f[i].str) {
            *p++ = '\'';
            p = put_str(p, f[i].str);
            *p++ = '\'';
        } else {
            p = put_i64(p, f[i].num);
        }
    }
    p = put_str(p, ");\n");
    return (size_t)(p - out);
}

size_t sl_nexmark_ddl(sl_nexmark_kind k, char *out)
{
    sl_nexmark_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = k;
    field f[MAX_FIELDS];
    int nf = fields_of(&ev, f);
    const char *name = sl_nexmark_kind_name(k);
    char *p = put_str(out, "CREATE STREAM ");
    p = put_str(p, name);
    p = put_str(p, " (");
    for (int i = 0; i < nf; i++) {
        if (i)
            p = put_str(p, ", ");
        p = put_str(p, f[i].name);
        p = put_str(p, f[i].str ? " VARCHAR" : " BIGINT");
    }
    p = put_str(p, ") WITH (KAFKA_TOPIC='");
    p = put_str(p, name);
    p = put_str(p, "', VALUE_FORMAT='JSON', PARTITIONS=1);\n");
    return (size_t)(p - out);
}
