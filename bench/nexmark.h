/*
 * bench/nexmark.h: the Nexmark event generator used by the benchmarks.
 *
 * What it does: turns an event number n (0, 1, 2, ...) into one Nexmark
 * event (person, auction or bid) following NEXMARK.md (shared design notes), and
 * renders it as one JSON line or one ksqlDB INSERT statement.
 *
 * Every event is a pure function of (config, n): the random draws of event
 * n come from a generator seeded with (seed, n) only, so events can be made
 * in any order, in parallel, or one at a time in a test, and the same seed
 * always gives the same bytes.
 *
 * What it does not do: no I/O (nexmark_gen.c owns stdout), no allocation
 * (events live in caller storage with fixed-size text fields), no Kafka.
 *
 * Ownership: nothing here allocates; the caller owns every struct and
 * every output buffer.
 */
#ifndef SL_NEXMARK_H
#define SL_NEXMARK_H

#include <stddef.h>
#include <stdint.h>

#define SL_NEXMARK_FIRST_ID 1000           /* first person id and auction id */
#define SL_NEXMARK_DEFAULT_RATE 10000000u  /* events per second of event time */
#define SL_NEXMARK_DEFAULT_BASE 1436918400000LL /* 2015-07-15T00:00:00Z, ms */
#define SL_NEXMARK_PERSON_SIZE 200         /* average estimated sizes, bytes */
#define SL_NEXMARK_AUCTION_SIZE 500
#define SL_NEXMARK_BID_SIZE 100
#define SL_NEXMARK_MAX_LINE 4096           /* bound on one rendered event */

typedef enum {
    SL_NEXMARK_PERSON = 0,
    SL_NEXMARK_AUCTION = 1,
    SL_NEXMARK_BID = 2,
} sl_nexmark_kind;

typedef struct {
    uint64_t seed;    /* same seed, same events */
    uint64_t rate;    /* events per second of event time, > 0 */
    int64_t base_ms;  /* dateTime of event 0, epoch milliseconds */
} sl_nexmark_config;

typedef struct {
    int64_t id;
    char name[48];
    char emailAddress[48];
    char creditCard[24];
    char city[32];
    char state[4];
    int64_t dateTime;
    char extra[256];
} sl_nexmark_person;

typedef struct {
    int64_t id;
    char itemName[32];
    char description[128];
    int64_t initialBid;
    int64_t reserve;
    int64_t dateTime;
    int64_t expires;
    int64_t seller;
    int64_t category;
    char extra[512];
} sl_nexmark_auction;

typedef struct {
    int64_t auction;
    int64_t bidder;
    int64_t price;
    char channel[24];
    char url[128];
    int64_t dateTime;
    char extra[128];
} sl_nexmark_bid;

typedef struct {
    sl_nexmark_kind kind;
    uint64_t n;       /* event number it was made from */
    union {
        sl_nexmark_person person;
        sl_nexmark_auction auction;
        sl_nexmark_bid bid;
    } u;
} sl_nexmark_event;

/* Fills *c with the defaults: seed 0, rate 10,000,000/s, base 2015-07-15. */
void sl_nexmark_config_init(sl_nexmark_config *c);

/* Kind of event n: n % 50 == 0 person, 1..3 auction, else bid. */
sl_nexmark_kind sl_nexmark_kind_of(uint64_t n);

/* Kind names "person", "auction", "bid". */
const char *sl_nexmark_kind_name(sl_nexmark_kind k);

/* Number of the i-th (0-based) event of kind k in the sequence. */
uint64_t sl_nexmark_nth(sl_nexmark_kind k, uint64_t i);

/* Event time of event n: base + floor(n * 1000 / rate) ms. */
int64_t sl_nexmark_time(const sl_nexmark_config *c, uint64_t n);

/* Makes event n into *ev (caller storage). */
void sl_nexmark_make(const sl_nexmark_config *c, uint64_t n, sl_nexmark_event *ev);

/* Estimated record size that `extra` pads to the averages above: 8 bytes
 * per number plus the length of every string field, except a bid's channel
 * and url (shared dimension values, not counted). */
size_t sl_nexmark_size(const sl_nexmark_event *ev);

/* Writes ev as one flat JSON object and a newline into out, which must have
 * room for SL_NEXMARK_MAX_LINE bytes; returns the number of bytes written
 * (no NUL). With wrap != 0 the object is wrapped in one member naming its
 * kind: {"bid":{...}}. */
size_t sl_nexmark_json(const sl_nexmark_event *ev, int wrap, char *out);

/* Writes ev as `INSERT INTO <kind> (cols) VALUES (...);` and a newline,
 * same contract as sl_nexmark_json. */
size_t sl_nexmark_ksql(const sl_nexmark_event *ev, char *out);

/* Writes the CREATE STREAM statement for kind k (JSON value format, topic
 * named after the kind) and a newline; same contract as sl_nexmark_json. */
size_t sl_nexmark_ddl(sl_nexmark_kind k, char *out);

#endif
