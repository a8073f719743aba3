/*
 * test_passthrough.c: a JSON source, a projection and a JSON sink with
 * pass-through on (sl_op_set_passthrough): output columns that are input
 * columns unchanged are written as their input text when that text is
 * canonical, and rendered otherwise (1e3, 1.50 for DECIMAL(3, 1), escaped
 * strings); computed columns are always rendered; chains that do not
 * qualify are left alone.
 */
#include <ftw.h>
#include <stdlib.h>

#include "op_test.h"

static char dir[64];
static sl_log *lg;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void setup(void)
{
    op_setup();
    strcpy(dir, "/tmp/sluice-pass-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    lg = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(lg, "%s", err.msg);
    sl_topic_config c = sl_topic_config_default();
    c.partitions = 1;
    cr_assert_eq(sl_log_create_topic(lg, "out", &c, NULL, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
    sl_log_close(lg);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    op_teardown();
}

TestSuite(passthrough, .init = setup, .fini = teardown);

typedef struct chain {
    sl_operator *ops[3];
    sl_schema in, out;
} chain;

/* schema_of with column i's type made DECIMAL(p, s) (its spec splits at commas). */
static sl_schema with_decimal(sl_schema s, int i, int p, int sc)
{
    s.cols[i].type = sl_type_decimal(A, p, sc);
    return s;
}

/*
 * Source over `in` (JSON values borrowed from the records, as the runtime
 * reads them), a projection of `exprs` (output columns `out`, all values),
 * and a JSON sink to topic "out" with pass-through on.
 */
static void make_chain(chain *c, sl_schema in, sl_schema out, const char *const *exprs,
                       const char *value_format)
{
    c->in = in;
    c->out = out;
    sl_source_spec sp = {0};
    sp.schema = &c->in;
    sp.ts_col = -1;
    sp.skip_null_values = true;
    cr_assert_eq(sl_op_format_opts("KAFKA", NULL, -1, true, &sp.key_opts, &err), 0);
    cr_assert_eq(sl_op_format_opts(value_format, NULL, -1, false, &sp.value_opts, &err), 0);
    sp.key_opts.borrow_input = sp.value_opts.borrow_input = true;
    c->ops[0] = sl_op_source_new(&sp, &err);
    cr_assert_not_null(c->ops[0], "%s", err.msg);
    sl_cexpr *ce[8];
    int src[8];
    for (int i = 0; i < c->out.ncols; i++) {
        ce[i] = compile(exprs[i], &c->in);
        src[i] = sl_schema_find(&c->in, NULL, exprs[i]);    /* as the planner: plain references */
    }
    c->ops[1] = sl_op_project_new(ce, 0, c->out.ncols);
    sl_format_opts ko, vo;
    cr_assert_eq(sl_op_format_opts("KAFKA", NULL, -1, true, &ko, &err), 0);
    cr_assert_eq(sl_op_format_opts("JSON", NULL, -1, false, &vo, &err), 0);
    c->ops[2] = sl_op_sink_log_new("out", c->out.cols, 0, c->out.ncols, &ko, &vo, &err);
    cr_assert_not_null(c->ops[2], "%s", err.msg);
    sl_op_set_passthrough(c->ops, 3, src, c->out.cols, c->out.ncols);
}

static void close_chain(chain *c)
{
    for (int i = 0; i < 3; i++)
        sl_op_close(c->ops[i]);
}

/* Runs the values through the chain; returns the batch (after the sink). */
static sl_batch run(chain *c, const char *const *values, int n)
{
    sl_record *recs = sl_arena_zalloc(BA, (size_t)n * sizeof *recs);
    for (int i = 0; i < n; i++) {
        /* each value in a heap block of exactly its size: ASan sees reads past it */
        size_t len = strlen(values[i]);
        char *v = sl_arena_alloc(BA, len);
        memcpy(v, values[i], len);
        recs[i].value = v;
        recs[i].value_len = (int32_t)len;
        recs[i].key_len = -1;
        recs[i].offset = i;
        recs[i].timestamp = 1000 + i;
    }
    sl_batch b = {0};
    b.arena = BA;
    b.fail = record_fail;
    b.recs = recs;
    b.nrecs = n;
    b.nout = c->out.ncols;
    b.slots = sl_arena_zalloc(A, 8 * sizeof(sl_value));
    b.nslots = 8;
    sl_log_txn *t = sl_log_txn_begin(lg);
    sl_op_sink_set_txn(c->ops[2], t);
    for (int i = 0; i < 3 && b.n >= 0; i++)
        cr_assert_eq(sl_op_push(c->ops[i], &b, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    return b;
}

/* The value of record `off` of "out", as text. */
static const char *written(int64_t off)
{
    sl_record r[1];
    int n = 0;
    cr_assert_eq(sl_log_read(lg, "out", 0, off, 1, BA, r, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 1);
    return sl_arena_strndup(BA, r[0].value, (size_t)r[0].value_len);
}

Test(passthrough, unchanged_columns_keep_their_text)
{
    chain c;
    static const char *const ex[] = {"AUCTION", "PRICE * 2", "CHANNEL", "AMOUNT"};
    make_chain(&c,
               with_decimal(schema_of("AUCTION:BIGINT, PRICE:BIGINT, CHANNEL:STRING, AMOUNT:INT"),
                            3, 3, 1),
               with_decimal(schema_of("AUCTION:BIGINT, P2:BIGINT, CHANNEL:STRING, AMOUNT:INT"),
                            3, 3, 1),
               ex, "JSON");
    static const char *const in[] = {
        "{\"auction\":1001,\"price\":7,\"channel\":\"channel-6887\",\"amount\":12.5}",
        /* the forms that are re-rendered */
        "{\"auction\":1e3,\"price\":7,\"channel\":\"caf\\u00e9 \\/ \\\"x\\\"\",\"amount\":1.50}",
        "{\"auction\":-0,\"price\":null,\"channel\":null,\"amount\":\"2.5\"}",
        /* spaces around values are not part of their text */
        "{ \"auction\" : 12 , \"price\":1, \"channel\" : \"a b\" , \"amount\" : -0.5 }",
    };
    sl_batch b = run(&c, in, 4);
    cr_assert_eq(b.emitted, 4);
    cr_assert_eq(b.rows[0].raw != NULL, true, "the source keeps the input text");
    cr_assert_str_eq(written(0),
                     "{\"AUCTION\":1001,\"P2\":14,\"CHANNEL\":\"channel-6887\",\"AMOUNT\":12.5}");
    cr_assert_str_eq(written(1), "{\"AUCTION\":1000,\"P2\":14,\"CHANNEL\":\"caf\xc3\xa9 / "
                                 "\\\"x\\\"\",\"AMOUNT\":1.5}");
    cr_assert_str_eq(written(2), "{\"AUCTION\":0,\"P2\":null,\"CHANNEL\":null,\"AMOUNT\":2.5}");
    cr_assert_str_eq(written(3), "{\"AUCTION\":12,\"P2\":2,\"CHANNEL\":\"a b\",\"AMOUNT\":-0.5}");
    close_chain(&c);
}

Test(passthrough, reordered_and_repeated_columns)
{
    chain c;
    static const char *const ex[] = {"B", "A", "B"};
    make_chain(&c, schema_of("A:STRING, B:INT"), schema_of("B:INT, A:STRING, B2:INT"), ex, "JSON");
    static const char *const in[] = {"{\"A\":\"x\",\"B\":3}", "{\"B\":04}"};
    sl_batch b = run(&c, in, 2);
    cr_assert_eq(b.emitted, 1, "a leading zero is not JSON: the record fails");
    cr_assert_eq(F.n, 1);
    cr_assert_str_eq(written(0), "{\"B\":3,\"A\":\"x\",\"B2\":3}");
    close_chain(&c);
}

Test(passthrough, other_value_formats_are_left_alone)
{
    chain c;
    static const char *const ex[] = {"A", "B"};
    make_chain(&c, schema_of("A:BIGINT, B:STRING"), schema_of("A:BIGINT, B:STRING"), ex,
               "DELIMITED");
    static const char *const in[] = {"0012,\"q\"\"\""};
    sl_batch b = run(&c, in, 1);
    cr_assert_eq(b.emitted, 1);
    cr_assert_null(b.rows[0].raw, "no input text kept for a DELIMITED source");
    cr_assert_str_eq(written(0), "{\"A\":12,\"B\":\"q\\\"\"}");
    close_chain(&c);
}

Test(passthrough, types_must_match)
{
    /* an output column declared with another type than its input column
     * (as an INSERT INTO could): never the input text */
    chain c;
    static const char *const ex[] = {"D"};
    make_chain(&c, with_decimal(schema_of("D:INT"), 0, 4, 2),
               with_decimal(schema_of("D:INT"), 0, 4, 1), ex, "JSON");
    static const char *const in[] = {"{\"D\":1.25}"};
    sl_batch b = run(&c, in, 1);
    cr_assert_null(b.rows[0].raw);
    cr_assert_eq(b.emitted, 1);
    close_chain(&c);
}
