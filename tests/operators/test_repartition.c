/*
 * test_repartition.c: the two ends of a repartition topic. Rows written by
 * stage 1 land in the partition of their GROUP BY key's bytes, keyed by
 * them; stage 2 reads back the same GROUP BY values and arguments (types
 * JSON could blur: DECIMAL, BYTES, ARRAY) and the same event time, also 0
 * and negative ones (Kafka would make a record timestamp of 0 "now");
 * a NULL GROUP BY value is dropped and reported in stage 1. A TABLE's
 * changes: a row that moves to another group is retracted from the old
 * one (a record in the old group's partition, read back as a tombstone
 * row) and added to the new; a tombstone or a NULL group only retracts;
 * the kept rows survive the operator (committed state) and an aborted
 * batch's changes to them are forgotten.
 */
#include <ftw.h>
#include <stdlib.h>

#include "log/partitioner.h"
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
    strcpy(dir, "/tmp/sluice-repart-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    lg = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(lg, "%s", err.msg);
}

static void teardown(void)
{
    sl_log_close(lg);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    op_teardown();
}

TestSuite(repartition, .init = setup, .fini = teardown);

Test(repartition, rows_go_to_their_groups_partition_and_come_back_unchanged)
{
    sl_topic_config c = sl_topic_config_default();
    c.partitions = 4;
    cr_assert_eq(sl_log_create_topic(lg, "rp", &c, NULL, &err), 0, "%s", err.msg);
    /* GROUP BY g; arguments: a DECIMAL, BYTES and an ARRAY */
    sl_schema pre = schema_of("G:STRING, B:BYTES, L:ARRAY<INT>");
    const sl_type *types[4] = {pre.cols[0].type, sl_type_decimal(A, 6, 2), pre.cols[1].type,
                               pre.cols[2].type};
    sl_aggregate_spec sp = {0};
    sp.ngroup = 1;
    sp.group_cols = pre.cols;
    cr_assert_eq(sl_op_format_opts("KAFKA", NULL, -1, true, &sp.key_opts, &err), 0);
    sp.npre = 4;
    sp.pre_types = types;
    sl_operator *out = sl_op_repartition_out_new("rp", &sp, &err);
    cr_assert_not_null(out, "%s", err.msg);

    sl_value none[3] = {sl_null(), sl_null(), sl_null()};
    sl_schema xs = schema_of("X:INT");
    sl_batch b = batch_of(&xs, 3, none, 4);
    sl_value arr = sl_array_new(BA, 2);
    arr.u.arr.items[0] = sl_int(7);
    sl_value want[3][4] = {
        {sl_string_ref("b1", 2), sl_decimal(1234, 6, 2), sl_bytes_copy(BA, "\0\xff", 2), arr},
        {sl_null(), sl_decimal(1, 6, 2), sl_null(), sl_null()},
        {sl_string_ref("b2", 2), sl_decimal(-105, 6, 2), sl_null(), sl_null()},
    };
    int64_t times[3] = {0, 5, -5};
    for (int i = 0; i < 3; i++) {
        memcpy(b.rows[i].out, want[i], sizeof want[i]);
        b.rows[i].in.rowtime = times[i];
    }
    sl_log_txn *t = sl_log_txn_begin(lg);
    sl_op_repartition_set_txn(out, t);
    cr_assert_eq(sl_op_push(out, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_eq(b.emitted, 2);
    cr_assert_eq(F.n, 1);
    cr_assert_eq(F.kind[0], SL_FAIL_KEY);
    cr_assert_eq(F.offset[0], 1);
    sl_op_close(out);

    sl_operator *in = sl_op_repartition_in_new(4, types, &err);
    cr_assert_not_null(in, "%s", err.msg);
    int got = 0;
    for (int p = 0; p < 4; p++) {
        sl_record *r = sl_arena_zalloc(BA, 4 * sizeof *r);
        int n = 0;
        cr_assert_eq(sl_log_read(lg, "rp", p, 0, 4, BA, r, &n, &err), 0, "%s", err.msg);
        for (int i = 0; i < n; i++) {
            int k = r[i].key_len == 2 && !memcmp(r[i].key, "b1", 2) ? 0 : 2;
            cr_assert_eq(p, sl_partitioner_for_key(k ? "b2" : "b1", 2, 4),
                         "the record of %s is in partition %d", k ? "b2" : "b1", p);
        }
        sl_batch b2 = {0};
        b2.arena = BA;
        b2.fail = record_fail;
        b2.recs = r;
        b2.nrecs = n;
        b2.nout = 4;
        cr_assert_eq(sl_op_push(in, &b2, &err), 0, "%s", err.msg);
        cr_assert_eq(b2.n, n);
        for (int i = 0; i < b2.n; i++) {
            const sl_brow *row = &b2.rows[i];
            int k = row->out[0].u.s.ptr[1] == '1' ? 0 : 2;
            for (int c = 0; c < 4; c++)
                cr_assert(sl_value_equal(&row->out[c], &want[k][c]), "row %d column %d", k, c);
            cr_assert_eq(row->in.rowtime, times[k]);
            cr_assert_eq(row->in.partition, p);
            got++;
        }
    }
    cr_assert_eq(got, 2);
    cr_assert_eq(F.n, 1, "nothing failed to decode");
    sl_op_close(in);
}

/* One TABLE change per row: key, then region (NULL: none) and score;
 * tombstone when region is "-". */
typedef struct change {
    const char *key, *region;
    int score;
} change;

static sl_batch table_batch(const sl_schema *xs, const change *c, int n, sl_value *none)
{
    sl_batch b = batch_of(xs, n, none, 2);
    sl_record *recs = (sl_record *)b.recs;
    for (int i = 0; i < n; i++) {
        recs[i].key = c[i].key;
        recs[i].key_len = (int32_t)strlen(c[i].key);
        b.rows[i].tombstone = c[i].region && !strcmp(c[i].region, "-");
        b.rows[i].out[0] = c[i].region ? sl_string_ref(c[i].region, strlen(c[i].region))
                                       : sl_null();
        b.rows[i].out[1] = sl_int(c[i].score);
    }
    return b;
}

/* Pushes changes into a table-mode out operator in one transaction,
 * committed or (abort) aborted and discarded; returns records written. */
static int push_changes(sl_operator *out, const change *c, int n, bool abort)
{
    sl_schema xs = schema_of("X:INT");
    sl_value none[8] = {0};
    for (int i = 0; i < 8; i++)
        none[i] = sl_null();
    sl_batch b = table_batch(&xs, c, n, none);
    sl_log_txn *t = sl_log_txn_begin(lg);
    sl_op_repartition_set_txn(out, t);
    cr_assert_eq(sl_op_push(out, &b, &err), 0, "%s", err.msg);
    if (abort) {
        sl_log_txn_abort(t);
        cr_assert_eq(sl_op_repartition_discard(out, &err), 0, "%s", err.msg);
    } else {
        cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    }
    return (int)b.emitted;
}

/* What stage 2 reads from the group's partition: "+east:10" or "-east:10" per row. */
static void read_group(sl_operator *in, const char *group, char *out, size_t cap)
{
    int p = sl_partitioner_for_key(group, strlen(group), 4);
    sl_record *r = sl_arena_zalloc(BA, 32 * sizeof *r);
    int n = 0;
    cr_assert_eq(sl_log_read(lg, "rpt", p, 0, 32, BA, r, &n, &err), 0, "%s", err.msg);
    sl_batch b = {0};
    b.arena = BA;
    b.fail = record_fail;
    b.recs = r;
    b.nrecs = n;
    b.nout = 2;
    cr_assert_eq(sl_op_push(in, &b, &err), 0, "%s", err.msg);
    out[0] = 0;
    size_t at = 0;
    for (int i = 0; i < b.n; i++) {
        const sl_brow *row = &b.rows[i];
        if ((size_t)row->out[0].u.s.len != strlen(group) ||
            memcmp(row->out[0].u.s.ptr, group, strlen(group)))
            continue;
        at += (size_t)snprintf(out + at, cap - at, "%s%c%s:%d", at ? " " : "",
                               row->tombstone ? '-' : '+', group, (int)row->out[1].u.i32);
    }
}

Test(repartition, a_tables_changes_retract_the_old_row_from_its_group)
{
    sl_topic_config c = sl_topic_config_default();
    c.partitions = 4;
    cr_assert_eq(sl_log_create_topic(lg, "rpt", &c, NULL, &err), 0, "%s", err.msg);
    sl_schema pre = schema_of("REGION:STRING, SCORE:INT");
    const sl_type *types[2] = {pre.cols[0].type, pre.cols[1].type};
    sl_aggregate_spec sp = {0};
    sp.ngroup = 1;
    sp.group_cols = pre.cols;
    cr_assert_eq(sl_op_format_opts("KAFKA", NULL, -1, true, &sp.key_opts, &err), 0);
    sp.npre = 2;
    sp.pre_types = types;
    sp.table_in = true;
    sp.log = lg;
    sp.store_name = "Q-table";
    sp.partition = 0;
    sl_operator *out = sl_op_repartition_out_new("rpt", &sp, &err);
    cr_assert_not_null(out, "%s", err.msg);
    const change first[] = {{"u1", "east", 10}, {"u2", "east", 5}, {"u3", "north", 1}};
    cr_assert_eq(push_changes(out, first, 3, false), 3);
    /* u1 moves, u2 is deleted, u3's group becomes NULL */
    const change second[] = {{"u1", "west", 7}, {"u2", "-", 0}, {"u3", NULL, 2}};
    cr_assert_eq(push_changes(out, second, 3, false), 4);
    cr_assert_eq(F.n, 1);
    cr_assert_eq(F.kind[0], SL_FAIL_KEY);
    sl_op_close(out);

    /* the kept rows are committed state: a new operator retracts u1's west row */
    out = sl_op_repartition_out_new("rpt", &sp, &err);
    cr_assert_not_null(out, "%s", err.msg);
    const change gone[] = {{"u1", "south", 3}};
    cr_assert_eq(push_changes(out, gone, 1, true), 2, "written, then aborted");
    const change third[] = {{"u1", "west", 8}, {"u3", "north", 4}};
    cr_assert_eq(push_changes(out, third, 2, false), 3, "u1 retracts west:7 (not south:3)");
    sl_op_close(out);

    sl_operator *in = sl_op_repartition_in_new(2, types, &err);
    cr_assert_not_null(in, "%s", err.msg);
    char got[256];
    read_group(in, "east", got, sizeof got);
    cr_assert_str_eq(got, "+east:10 +east:5 -east:10 -east:5");
    read_group(in, "west", got, sizeof got);
    cr_assert_str_eq(got, "+west:7 -west:7 +west:8");
    read_group(in, "north", got, sizeof got);
    cr_assert_str_eq(got, "+north:1 -north:1 +north:4");
    sl_op_close(in);
}
