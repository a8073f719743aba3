/*
 * test_runtime.c: persistent and transient queries on a real embedded log,
 * checked by reading what they wrote: keys, values, timestamps, partitions,
 * WHERE / projection / PARTITION BY, bad records (processing-log entries
 * and counts while good records flow), restarts without duplicates,
 * transient queries with LIMIT, until_end and cancel, and a query killed
 * with SIGKILL mid-stream that resumes exactly once.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/catalog.h"
#include "engine/plan.h"
#include "engine/runtime.h"
#include "grammar/parse.h"
#include "log/log.h"
#include "log/partitioner.h"

static char dir[64];
static sl_log *lg;
static sl_catalog *cat;
static sl_arena *arena;
static sl_runtime *rt;
static sl_error err;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static int log_topic_lookup(void *ud, const char *topic)
{
    sl_arena *a = sl_arena_new(0);
    sl_topic_info info;
    sl_error e;
    int n = sl_log_describe_topic(ud, topic, a, &info, &e) ? -1 : info.config.partitions;
    sl_arena_free(a);
    return n;
}

static void open_all(void)
{
    lg = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(lg, "open: %s", err.msg);
    sl_catalog_set_topic_lookup(cat, log_topic_lookup, lg);
}

static void setup(void)
{
    strcpy(dir, "/tmp/sluice-rt-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    arena = sl_arena_new(0);
    cat = sl_catalog_new();
    sl_error_clear(&err);
    open_all();
    rt = NULL;
}

static void teardown(void)
{
    sl_runtime_free(rt);
    sl_log_close(lg);
    sl_catalog_free(cat);
    sl_arena_free(arena);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(runtime, .init = setup, .fini = teardown, .timeout = 60);

static sl_runtime *runtime(int threads, int batch, bool rows)
{
    sl_runtime_opts o = {.threads = threads, .batch_size = batch, .log_include_rows = rows};
    sl_runtime *r = sl_runtime_new(lg, &o, &err);
    cr_assert_not_null(r, "%s", err.msg);
    return r;
}

static sl_stmt *parse(const char *text)
{
    sl_parser *p = sl_parser_new(text, strlen(text), NULL, NULL);
    sl_stmt *st = NULL;
    int rc = sl_parser_next(p, arena, &st, &err);
    sl_parser_free(p);
    cr_assert_eq(rc, 1, "parse failed: %s", err.msg);
    return st;
}

/* CREATE STREAM, and its topic in the log. */
static const sl_source *stream(const char *text)
{
    sl_create_result res;
    sl_stmt *st = parse(text);
    cr_assert_eq(sl_catalog_create_source(cat, st, &res, &err), 0, "%s", err.msg);
    const sl_source *s = sl_catalog_find_source(cat, st->name.name);
    sl_topic_config c = sl_topic_config_default();
    c.partitions = s->partitions > 0 ? s->partitions : 1;
    cr_assert_eq(sl_log_create_topic(lg, s->kafka_topic, &c, NULL, &err), 0, "%s", err.msg);
    return s;
}

static sl_plan *plan(const char *sql, const char *id, sl_offset_reset reset)
{
    sl_stmt *st = parse(sql);
    sl_plan_opts o = {.query_id = id, .reset = reset, .limit = -1};
    sl_plan *p = sl_plan_build(cat, st->query, &o, &err);
    cr_assert_not_null(p, "%s", err.msg);
    if (st->kind == SL_S_CREATE_AS || st->kind == SL_S_INSERT_SELECT) {
        const sl_source *sink = sl_catalog_find_source(cat, st->name.name);
        cr_assert_not_null(sink, "create the sink %s first", st->name.name);
        cr_assert_eq(sl_plan_bind_sink(p, sink, st->span, &err), 0, "%s", err.msg);
    }
    return p;
}

static sl_query *start(const char *sql, const char *id, sl_offset_reset reset)
{
    sl_query *q = sl_runtime_start(rt, plan(sql, id, reset), &err);
    cr_assert_not_null(q, "%s", err.msg);
    return q;
}

/* Appends records in one transaction; key NULL: a null key, value NULL: a tombstone. */
typedef struct in_rec {
    const void *key;
    int key_len;
    const char *value;
    int64_t ts;
} in_rec;

static void put(const char *topic, const in_rec *recs, int n)
{
    sl_log_txn *t = sl_log_txn_begin(lg);
    for (int i = 0; i < n; i++) {
        sl_record r = {0};
        r.key = recs[i].key;
        r.key_len = recs[i].key ? recs[i].key_len : -1;
        r.value = recs[i].value;
        r.value_len = recs[i].value ? (int32_t)strlen(recs[i].value) : -1;
        r.timestamp = recs[i].ts;
        cr_assert_eq(sl_log_txn_append(t, topic, -1, &r, NULL, NULL, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
}

static const unsigned char *int_key(int v)
{
    unsigned char *k = sl_arena_alloc(arena, 4);
    k[0] = (unsigned char)((uint32_t)v >> 24);
    k[1] = (unsigned char)((uint32_t)v >> 16);
    k[2] = (unsigned char)((uint32_t)v >> 8);
    k[3] = (unsigned char)v;
    return k;
}

/* Every record of a topic, partition by partition, in offset order. */
static sl_record *read_all(const char *topic, int *n)
{
    sl_topic_info info;
    cr_assert_eq(sl_log_describe_topic(lg, topic, arena, &info, &err), 0, "%s", err.msg);
    int cap = 64, cnt = 0;
    sl_record *all = sl_arena_alloc(arena, (size_t)cap * sizeof *all);
    for (int p = 0; p < info.config.partitions; p++) {
        int64_t off = 0;
        for (;;) {
            sl_record buf[100];
            int got = 0;
            cr_assert_eq(sl_log_read(lg, topic, p, off, 100, arena, buf, &got, &err), 0);
            if (!got)
                break;
            for (int i = 0; i < got; i++) {
                if (cnt == cap) {
                    all = sl_arena_realloc(arena, all, (size_t)cap * sizeof *all,
                                           (size_t)cap * 2 * sizeof *all);
                    cap *= 2;
                }
                all[cnt++] = buf[i];
            }
            off = buf[got - 1].offset + 1;
        }
    }
    *n = cnt;
    return all;
}

static char *value_str(const sl_record *r)
{
    if (r->value_len < 0)
        return NULL;
    return sl_arena_strndup(arena, r->value, (size_t)r->value_len);
}

/* The output record whose value contains needle (exactly one). */
static const sl_record *find(sl_record *recs, int n, const char *needle)
{
    const sl_record *found = NULL;
    for (int i = 0; i < n; i++) {
        char *v = value_str(&recs[i]);
        if (v && strstr(v, needle)) {
            cr_assert_null(found, "two records contain %s", needle);
            found = &recs[i];
        }
    }
    cr_assert_not_null(found, "no record contains %s", needle);
    return found;
}

static void wait_idle(void)
{
    cr_assert_eq(sl_runtime_wait_idle(rt, 20000, &err), 0, "%s", err.msg);
}

#define ORDERS "CREATE STREAM orders (id INT KEY, name STRING, amount INT) WITH " \
               "(KAFKA_TOPIC='orders', PARTITIONS=3, VALUE_FORMAT='JSON');"

Test(runtime, csas_filters_projects_and_keeps_keys)
{
    stream(ORDERS);
    stream("CREATE STREAM big (id INT KEY, who STRING, twice INT) WITH (KAFKA_TOPIC='big', "
           "PARTITIONS=3, VALUE_FORMAT='JSON');");
    in_rec in[] = {
        {int_key(1), 4, "{\"name\":\"ann\",\"amount\":5}", 1000},
        {int_key(2), 4, "{\"name\":\"bob\",\"amount\":50}", 2000},
        {int_key(3), 4, "{\"NAME\":\"cy\",\"amount\":70}", 3000},
        {int_key(4), 4, "{\"name\":\"dee\",\"amount\":null}", 4000},
        {int_key(5), 4, "{\"name\":\"eve\",\"amount\":11}", 5000},
    };
    put("orders", in, 5);
    rt = runtime(2, 2, false);
    sl_query *q = start("CREATE STREAM big AS SELECT id, UCASE(name) AS who, amount * 2 AS twice "
                        "FROM orders WHERE amount > 10;", "CSAS_BIG_1", SL_RESET_EARLIEST);
    wait_idle();
    int n;
    sl_record *out = read_all("big", &n);
    cr_assert_eq(n, 3, "%d records", n);
    const sl_record *r = find(out, n, "\"BOB\"");
    cr_assert_str_eq(value_str(r), "{\"WHO\":\"BOB\",\"TWICE\":100}");
    cr_assert_eq(r->key_len, 4);
    cr_assert_eq(memcmp(r->key, int_key(2), 4), 0);
    cr_assert_eq(r->timestamp, 2000);
    cr_assert_eq(r->partition, sl_partitioner_for_key(int_key(2), 4, 3));
    r = find(out, n, "\"CY\"");
    cr_assert_eq(r->timestamp, 3000);
    cr_assert_eq(memcmp(r->key, int_key(3), 4), 0);
    find(out, n, "\"EVE\"");
    sl_query_stats st;
    sl_query_get_stats(q, &st);
    cr_assert_eq(st.state, SL_QUERY_RUNNING);
    cr_assert_eq(st.records_in, 5);
    cr_assert_eq(st.records_out, 3);
    cr_assert_eq(st.records_filtered, 2);
    cr_assert_eq(st.records_failed, 0);
    cr_assert_eq(st.lag, 0);

    /* records appended while it runs flow too */
    in_rec more[] = {{int_key(6), 4, "{\"name\":\"fay\",\"amount\":12}", 6000}};
    put("orders", more, 1);
    wait_idle();
    out = read_all("big", &n);
    cr_assert_eq(n, 4);
    cr_assert_eq(find(out, n, "\"FAY\"")->timestamp, 6000);
}

Test(runtime, partition_by_rekeys_to_the_murmur2_partition)
{
    stream(ORDERS);
    stream("CREATE STREAM by_name (name STRING KEY, id INT, amount INT) WITH "
           "(KAFKA_TOPIC='by_name', PARTITIONS=4, VALUE_FORMAT='JSON');");
    const char *names[] = {"ann", "bob", "cy", "ann", "bob", "ann"};
    in_rec in[6];
    char vals[6][64];
    for (int i = 0; i < 6; i++) {
        snprintf(vals[i], sizeof vals[i], "{\"name\":\"%s\",\"amount\":%d}", names[i], i);
        in[i] = (in_rec){int_key(i), 4, vals[i], 100 + i};
    }
    put("orders", in, 6);
    rt = runtime(2, 100, false);
    start("CREATE STREAM by_name AS SELECT * FROM orders PARTITION BY name;", "CSAS_BY_NAME_1",
          SL_RESET_EARLIEST);
    wait_idle();
    int n;
    sl_record *out = read_all("by_name", &n);
    cr_assert_eq(n, 6);
    for (int i = 0; i < n; i++) {
        char *k = sl_arena_strndup(arena, out[i].key, (size_t)out[i].key_len);
        cr_assert(strcmp(k, "ann") == 0 || strcmp(k, "bob") == 0 || strcmp(k, "cy") == 0, "%s", k);
        cr_assert_eq(out[i].partition, sl_partitioner_for_key(k, strlen(k), 4), "key %s", k);
        char *v = value_str(&out[i]);
        cr_assert(strstr(v, "\"ID\":") && strstr(v, "\"AMOUNT\":") && !strstr(v, "NAME"), "%s", v);
    }
    /* PARTITION BY NULL: no key at all */
    stream("CREATE STREAM nokey (id INT, name STRING, amount INT) WITH (KAFKA_TOPIC='nokey', "
           "PARTITIONS=1, VALUE_FORMAT='JSON');");
    start("CREATE STREAM nokey AS SELECT * FROM orders PARTITION BY NULL;", "CSAS_NOKEY_2",
          SL_RESET_EARLIEST);
    wait_idle();
    out = read_all("nokey", &n);
    cr_assert_eq(n, 6);
    for (int i = 0; i < n; i++)
        cr_assert_eq(out[i].key_len, -1);
    cr_assert(strstr(value_str(find(out, n, "\"AMOUNT\":2")), "\"ID\":2"));
}

Test(runtime, bad_records_go_to_the_processing_log)
{
    stream("CREATE STREAM orders (id INT KEY, name STRING, amount INT) WITH "
           "(KAFKA_TOPIC='orders', PARTITIONS=1, VALUE_FORMAT='JSON');");
    stream("CREATE STREAM ratio (id INT KEY, r INT) WITH (KAFKA_TOPIC='ratio', PARTITIONS=1, "
           "VALUE_FORMAT='JSON');");
    in_rec in[] = {
        {int_key(1), 4, "{\"name\":\"a\",\"amount\":5}", 1},
        {int_key(2), 4, "{\"name\":\"b\",\"amount\":", 2},             /* truncated */
        {int_key(3), 4, "{\"name\":\"c\",\"amount\":0}", 3},             /* 10 / 0 */
        {int_key(4), 4, NULL, 4},                                         /* tombstone */
        {int_key(5), 4, "{\"name\":\"e\",\"amount\":\"x\"}", 5},        /* wrong type */
        {int_key(6), 2, "{\"name\":\"f\",\"amount\":2}", 6},             /* 2-byte INT key */
        {int_key(7), 4, "{\"name\":\"g\",\"amount\":2}", 7},
    };
    put("orders", in, 7);
    rt = runtime(1, 3, true);
    sl_query *q = start("CREATE STREAM ratio AS SELECT id, 10 / amount AS r FROM orders;",
                        "CSAS_RATIO_1", SL_RESET_EARLIEST);
    wait_idle();
    int n;
    sl_record *out = read_all("ratio", &n);
    cr_assert_eq(n, 2, "the good records still flow");
    find(out, n, "\"R\":2");
    find(out, n, "\"R\":5");
    sl_query_stats st;
    sl_query_get_stats(q, &st);
    cr_assert_eq(st.records_in, 7);
    cr_assert_eq(st.records_out, 2);
    cr_assert_eq(st.records_failed, 4);
    cr_assert_eq(st.records_skipped, 1);
    cr_assert_eq(st.state, SL_QUERY_RUNNING);

    sl_record *pl = read_all(SL_PROCESSING_LOG_TOPIC, &n);
    cr_assert_eq(n, 4);
    const sl_record *e = find(pl, n, "\"OFFSET\":1,");
    char *v = value_str(e);
    cr_assert(strstr(v, "\"QUERY_ID\":\"CSAS_RATIO_1\""), "%s", v);
    cr_assert(strstr(v, "\"TOPIC\":\"orders\""), "%s", v);
    cr_assert(strstr(v, "\"PARTITION\":0"), "%s", v);
    cr_assert(strstr(v, "\"ERROR_KIND\":\"DESERIALIZATION\""), "%s", v);
    cr_assert(strstr(v, "\"TIME\":"), "%s", v);
    /* the record's bytes, base64 of {"name":"b","amount": */
    cr_assert(strstr(v, "\"RECORD\":\"eyJuYW1lIjoiYiIsImFtb3VudCI6\""), "%s", v);
    v = value_str(find(pl, n, "\"OFFSET\":2,"));
    cr_assert(strstr(v, "\"ERROR_KIND\":\"EVALUATION\"") && strstr(v, "division by zero"), "%s", v);
    v = value_str(find(pl, n, "\"OFFSET\":4,"));
    cr_assert(strstr(v, "DESERIALIZATION"), "%s", v);
    v = value_str(find(pl, n, "\"OFFSET\":5,"));
    cr_assert(strstr(v, "DESERIALIZATION") && strstr(v, "key"), "%s", v);
}

Test(runtime, processing_log_omits_rows_unless_asked)
{
    stream(ORDERS);
    stream("CREATE STREAM o2 (id INT KEY, amount INT) WITH (KAFKA_TOPIC='o2', PARTITIONS=1, "
           "VALUE_FORMAT='JSON');");
    in_rec in[] = {{int_key(1), 4, "not json", 1}};
    put("orders", in, 1);
    rt = runtime(1, 10, false);
    start("CREATE STREAM o2 AS SELECT id, amount FROM orders;", "CSAS_O2_1", SL_RESET_EARLIEST);
    wait_idle();
    int n;
    sl_record *pl = read_all(SL_PROCESSING_LOG_TOPIC, &n);
    cr_assert_eq(n, 1);
    cr_assert(strstr(value_str(&pl[0]), "\"RECORD\":null"), "%s", value_str(&pl[0]));
}

Test(runtime, timestamp_column_and_headers)
{
    stream("CREATE STREAM ev (id INT KEY, at STRING, h BYTES HEADER('trace')) WITH "
           "(KAFKA_TOPIC='ev', PARTITIONS=1, VALUE_FORMAT='JSON', TIMESTAMP='at', "
           "TIMESTAMP_FORMAT='yyyy-MM-dd HH:mm:ss');");
    stream("CREATE STREAM ev2 (id INT KEY, at STRING, h BYTES) WITH (KAFKA_TOPIC='ev2', "
           "PARTITIONS=1, VALUE_FORMAT='JSON');");
    sl_log_txn *t = sl_log_txn_begin(lg);
    sl_log_header hs[] = {{"trace", 5, "abc", 3}, {"other", 5, "z", 1}};
    sl_record r = {0};
    r.key = int_key(1);
    r.key_len = 4;
    r.value = "{\"at\":\"2021-01-02 03:04:05\"}";
    r.value_len = (int32_t)strlen(r.value);
    r.timestamp = 5;
    r.headers = hs;
    r.n_headers = 2;
    cr_assert_eq(sl_log_txn_append(t, "ev", 0, &r, NULL, NULL, &err), 0);
    r.value = "{\"at\":\"yesterday\"}";
    r.value_len = (int32_t)strlen(r.value);
    cr_assert_eq(sl_log_txn_append(t, "ev", 0, &r, NULL, NULL, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    rt = runtime(1, 10, false);
    sl_query *q = start("CREATE STREAM ev2 AS SELECT * FROM ev;", "CSAS_EV2_1", SL_RESET_EARLIEST);
    wait_idle();
    int n;
    sl_record *out = read_all("ev2", &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(out[0].timestamp, 1609556645000LL);
    cr_assert_str_eq(value_str(&out[0]), "{\"AT\":\"2021-01-02 03:04:05\",\"H\":\"YWJj\"}");
    sl_query_stats st;
    sl_query_get_stats(q, &st);
    cr_assert_eq(st.records_failed, 1, "an unparseable TIMESTAMP column fails the record");
}

Test(runtime, restart_resumes_without_duplicates)
{
    stream(ORDERS);
    stream("CREATE STREAM copy (id INT KEY, name STRING, amount INT) WITH (KAFKA_TOPIC='copy', "
           "PARTITIONS=3, VALUE_FORMAT='JSON');");
    char vals[40][64];
    in_rec in[40];
    for (int i = 0; i < 40; i++) {
        snprintf(vals[i], sizeof vals[i], "{\"name\":\"n%d\",\"amount\":%d}", i, i);
        in[i] = (in_rec){int_key(i), 4, vals[i], i};
    }
    put("orders", in, 20);
    const char *sql = "CREATE STREAM copy AS SELECT * FROM orders;";
    rt = runtime(2, 7, false);
    start(sql, "CSAS_COPY_1", SL_RESET_EARLIEST);
    wait_idle();
    sl_runtime_free(rt);
    rt = NULL;
    sl_log_close(lg);
    open_all();
    put("orders", in + 20, 20);
    rt = runtime(2, 7, false);
    sl_query *q = start(sql, "CSAS_COPY_1", SL_RESET_EARLIEST);
    wait_idle();
    int n;
    sl_record *out = read_all("copy", &n);
    cr_assert_eq(n, 40, "%d records", n);
    for (int i = 0; i < 40; i++) {
        char needle[32];
        snprintf(needle, sizeof needle, "\"n%d\"", i);
        find(out, n, needle);
    }
    sl_query_stats st;
    sl_query_get_stats(q, &st);
    cr_assert_eq(st.records_in, 20, "the second run read only the new records");

    /* latest: a new query id starts at the end */
    stream("CREATE STREAM late (id INT KEY, name STRING, amount INT) WITH (KAFKA_TOPIC='late', "
           "PARTITIONS=1, VALUE_FORMAT='JSON');");
    start("CREATE STREAM late AS SELECT * FROM orders;", "CSAS_LATE_2", SL_RESET_LATEST);
    in_rec one = {int_key(99), 4, "{\"name\":\"new\",\"amount\":1}", 1};
    put("orders", &one, 1);
    wait_idle();
    out = read_all("late", &n);
    cr_assert_eq(n, 1);
    find(out, n, "\"new\"");
}

Test(runtime, stop_pause_resume_and_chains)
{
    stream(ORDERS);
    stream("CREATE STREAM a (id INT KEY, amount INT) WITH (KAFKA_TOPIC='a', PARTITIONS=2, "
           "VALUE_FORMAT='JSON');");
    stream("CREATE STREAM b (id INT KEY, amount INT) WITH (KAFKA_TOPIC='b', PARTITIONS=1, "
           "VALUE_FORMAT='JSON');");
    rt = runtime(2, 5, false);
    start("CREATE STREAM a AS SELECT id, amount FROM orders WHERE amount > 1;", "CSAS_A_1",
          SL_RESET_EARLIEST);
    start("CREATE STREAM b AS SELECT id, amount + 1 AS amount FROM a;", "CSAS_B_2",
          SL_RESET_EARLIEST);
    cr_assert_eq(sl_runtime_query_count(rt), 2);
    cr_assert_not_null(sl_runtime_find(rt, "CSAS_B_2"));
    char vals[30][64];
    in_rec in[30];
    for (int i = 0; i < 30; i++) {
        snprintf(vals[i], sizeof vals[i], "{\"amount\":%d}", i);
        in[i] = (in_rec){int_key(i), 4, vals[i], i};
    }
    put("orders", in, 30);
    wait_idle();
    int n;
    read_all("b", &n);
    cr_assert_eq(n, 28, "wait_idle follows the chain orders -> a -> b");

    cr_assert_eq(sl_runtime_pause(rt, "CSAS_A_1", &err), 0);
    sl_query_stats st;
    sl_query_get_stats(sl_runtime_find(rt, "CSAS_A_1"), &st);
    cr_assert_eq(st.state, SL_QUERY_PAUSED);
    cr_assert_eq(sl_runtime_resume(rt, "CSAS_A_1", &err), 0);
    cr_assert_eq(sl_runtime_stop(rt, "CSAS_A_1", &err), 0);
    cr_assert_eq(sl_runtime_query_count(rt), 1);
    cr_assert_null(sl_runtime_find(rt, "CSAS_A_1"));
    cr_assert_eq(sl_runtime_stop(rt, "CSAS_A_1", &err), -1);
    put("orders", in, 5);
    wait_idle();
    read_all("a", &n);
    cr_assert_eq(n, 28, "a stopped query writes nothing more");
}

/* ---- transient queries ---- */

typedef struct rows {
    int n;
    char text[16][128];
    int stop_after;
    volatile sig_atomic_t *cancel;
} rows;

static int collect(void *ud, const sl_schema *schema, const sl_row *row)
{
    rows *r = ud;
    if (r->n < 16) {
        sl_buf b = SL_BUF_INIT;
        for (int i = 0; i < row->ncols; i++) {
            if (i)
                sl_buf_putc(&b, '|');
            sl_value_render(&b, &row->cols[i], schema->cols[i].type, SL_RENDER_TEXT);
        }
        snprintf(r->text[r->n], sizeof r->text[r->n], "%s", sl_buf_cstr(&b));
        sl_buf_fini(&b);
    }
    r->n++;
    if (r->cancel && r->n >= r->stop_after)
        *r->cancel = 1;
    return r->stop_after > 0 && !r->cancel && r->n >= r->stop_after;
}

static void put_orders(int n)
{
    for (int i = 0; i < n; i++) {
        char v[64];
        snprintf(v, sizeof v, "{\"name\":\"n%d\",\"amount\":%d}", i, i);
        in_rec r = {int_key(i), 4, v, 1000 + i};
        put("orders", &r, 1);
    }
}

Test(runtime, pull_query_reads_to_the_end)
{
    stream(ORDERS);
    put_orders(10);
    in_rec bad = {int_key(77), 4, "{{", 1};
    put("orders", &bad, 1);
    rt = runtime(1, 3, false);
    rows r = {0};
    uint64_t failed = 99;
    sl_plan *p = plan("SELECT id, name, ROWTIME AS t FROM orders WHERE amount >= 7;", "PULL_1",
                      SL_RESET_LATEST);
    cr_assert_eq(sl_runtime_run_transient(rt, p, true, collect, &r, NULL, &failed, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(r.n, 3);
    cr_assert_eq(failed, 1);
    int found = 0;
    for (int i = 0; i < r.n; i++)
        found += strcmp(r.text[i], "8|n8|1008") == 0;
    cr_assert_eq(found, 1);
}

Test(runtime, push_query_limit_and_cancel)
{
    stream(ORDERS);
    put_orders(6);
    rt = runtime(1, 100, false);
    rows r = {0};
    sl_stmt *st = parse("SELECT name FROM orders EMIT CHANGES LIMIT 4;");
    sl_plan_opts o = {.query_id = "TRANSIENT_1", .reset = SL_RESET_EARLIEST, .limit = -1};
    sl_plan *p = sl_plan_build(cat, st->query, &o, &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(sl_runtime_run_transient(rt, p, false, collect, &r, NULL, NULL, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(r.n, 4, "LIMIT 4 stops at 4 rows, %d", r.n);

    /* no LIMIT: runs until the cancel flag is set */
    volatile sig_atomic_t cancel = 0;
    rows c = {0};
    c.stop_after = 5;
    c.cancel = &cancel;
    p = plan("SELECT * FROM orders EMIT CHANGES;", "TRANSIENT_2", SL_RESET_EARLIEST);
    cr_assert_eq(sl_runtime_run_transient(rt, p, false, collect, &c, &cancel, NULL, &err), 0);
    cr_assert(cancel);
    cr_assert_geq(c.n, 5);
    cr_assert_leq(c.n, 6);

    /* the callback stops it */
    rows s = {0};
    s.stop_after = 2;
    p = plan("SELECT * FROM orders EMIT CHANGES;", "TRANSIENT_3", SL_RESET_EARLIEST);
    cr_assert_eq(sl_runtime_run_transient(rt, p, false, collect, &s, NULL, NULL, &err), 0);
    cr_assert_eq(s.n, 2);
}

/* ---- kill -9 in the middle ---- */

#define CRASH_N 20000

Test(runtime, kill_9_mid_stream_then_exactly_once)
{
    stream(ORDERS);
    stream("CREATE STREAM even (id INT KEY, amount INT) WITH (KAFKA_TOPIC='even', PARTITIONS=3, "
           "VALUE_FORMAT='JSON');");
    sl_log_txn *t = sl_log_txn_begin(lg);
    for (int i = 0; i < CRASH_N; i++) {
        char v[64];
        snprintf(v, sizeof v, "{\"amount\":%d}", i);
        sl_record r = {0};
        r.key = int_key(i);
        r.key_len = 4;
        r.value = v;
        r.value_len = (int32_t)strlen(v);
        r.timestamp = i;
        cr_assert_eq(sl_log_txn_append(t, "orders", -1, &r, NULL, NULL, &err), 0);
    }
    cr_assert_eq(sl_log_txn_commit(t, &err), 0);
    const char *sql = "CREATE STREAM even AS SELECT id, amount FROM orders WHERE amount % 2 = 0;";
    sl_log_close(lg);
    lg = NULL;

    int pfd[2];
    cr_assert_eq(pipe(pfd), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(pfd[0]);
        lg = sl_log_open_embedded(dir, &err);
        if (!lg)
            _exit(2);
        sl_runtime_opts o = {.threads = 2, .batch_size = 50};
        sl_runtime *crt = sl_runtime_new(lg, &o, &err);
        sl_stmt *st = parse(sql);
        sl_plan_opts po = {.query_id = "CSAS_EVEN_1", .reset = SL_RESET_EARLIEST, .limit = -1};
        sl_plan *p = sl_plan_build(cat, st->query, &po, &err);
        if (!crt || !p || sl_plan_bind_sink(p, sl_catalog_find_source(cat, "EVEN"), st->span, &err))
            _exit(3);
        sl_query *q = sl_runtime_start(crt, p, &err);
        if (!q)
            _exit(4);
        bool told = false;
        for (;;) {
            sl_query_stats st2;
            sl_query_get_stats(q, &st2);
            if (!told && st2.records_in >= CRASH_N / 4) {
                (void)!write(pfd[1], "x", 1);
                told = true;
            }
            usleep(1000);
        }
    }
    close(pfd[1]);
    char c;
    cr_assert_eq(read(pfd[0], &c, 1), 1, "the child never got going");
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(pfd[0]);
    cr_assert(WIFSIGNALED(status));

    open_all();
    int n;
    read_all("even", &n);
    cr_assert_gt(n, 0, "the child committed some batches");
    cr_assert_lt(n, CRASH_N / 2, "the child was killed before the end");
    rt = runtime(2, 50, false);
    start(sql, "CSAS_EVEN_1", SL_RESET_EARLIEST);
    wait_idle();
    sl_record *out = read_all("even", &n);
    cr_assert_eq(n, CRASH_N / 2, "%d records: none missing, none twice", n);
    char *seen = calloc(CRASH_N, 1);
    for (int i = 0; i < n; i++) {
        int id = (int)(((uint32_t)((const unsigned char *)out[i].key)[0] << 24) |
                       ((uint32_t)((const unsigned char *)out[i].key)[1] << 16) |
                       ((uint32_t)((const unsigned char *)out[i].key)[2] << 8) |
                       ((const unsigned char *)out[i].key)[3]);
        cr_assert(id >= 0 && id < CRASH_N && id % 2 == 0, "id %d", id);
        cr_assert_eq(seen[id], 0, "id %d twice", id);
        seen[id] = 1;
        cr_assert_eq(out[i].timestamp, id);
    }
    free(seen);
}

/* Records the topic's retention deletes before a query reads them are
 * skipped, counted as failed and logged once per gap; the query moves on
 * (and is idle, not stuck below the topic's start). */
Test(runtime, records_deleted_by_retention_before_read_are_counted_and_logged)
{
    sl_create_result res;
    sl_stmt *st0 = parse("CREATE STREAM orders (id INT KEY, name STRING, amount INT) WITH "
                         "(KAFKA_TOPIC='orders', PARTITIONS=1, VALUE_FORMAT='JSON');");
    cr_assert_eq(sl_catalog_create_source(cat, st0, &res, &err), 0, "%s", err.msg);
    sl_topic_config c = sl_topic_config_default();
    c.partitions = 1;
    c.retention_ms = 60000;                         /* one minute */
    cr_assert_eq(sl_log_create_topic(lg, "orders", &c, NULL, &err), 0, "%s", err.msg);
    stream("CREATE STREAM big (id INT KEY, name STRING) WITH (KAFKA_TOPIC='big', PARTITIONS=1, "
           "VALUE_FORMAT='JSON');");
    rt = runtime(1, 3, false);
    sl_query *q = start("CREATE STREAM big AS SELECT id, name FROM orders WHERE amount > 1;",
                        "CSAS_BIG_1", SL_RESET_EARLIEST);
    wait_idle();                                    /* position 0 committed */
    cr_assert_eq(sl_runtime_pause(rt, "CSAS_BIG_1", &err), 0, "%s", err.msg);
    in_rec old[] = {
        {int_key(1), 4, "{\"name\":\"a\",\"amount\":5}", 1000},
        {int_key(2), 4, "{\"name\":\"b\",\"amount\":5}", 2000},
        {int_key(3), 4, "{\"name\":\"c\",\"amount\":5}", 3000},
    };
    put("orders", old, 3);
    cr_assert_gt(sl_log_enforce_retention(lg, 1000000, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_runtime_resume(rt, "CSAS_BIG_1", &err), 0, "%s", err.msg);
    wait_idle();                                    /* everything it would read is gone */
    sl_query_stats st;
    sl_query_get_stats(q, &st);
    cr_assert_eq(st.records_failed, 3);
    cr_assert_eq(st.records_out, 0);

    in_rec fresh[] = {
        {int_key(4), 4, "{\"name\":\"d\",\"amount\":5}", 2000000},
        {int_key(5), 4, "{\"name\":\"e\",\"amount\":0}", 2000001},
    };
    put("orders", fresh, 2);
    wait_idle();
    int n;
    sl_record *out = read_all("big", &n);
    cr_assert_eq(n, 1);
    find(out, n, "\"NAME\":\"d\"");
    sl_query_get_stats(q, &st);
    cr_assert_eq(st.records_failed, 3);
    cr_assert_eq(st.records_in, 2);

    sl_record *pl = read_all(SL_PROCESSING_LOG_TOPIC, &n);
    cr_assert_eq(n, 1, "one entry for the gap");
    char *v = value_str(&pl[0]);
    cr_assert(strstr(v, "\"ERROR_KIND\":\"RETENTION\""), "%s", v);
    cr_assert(strstr(v, "\"OFFSET\":0,"), "%s", v);
    cr_assert(strstr(v, "3 records (offsets 0 to 2)"), "%s", v);
}
