/*
 * test_embedded_raw.c: raw keyspaces of the embedded log as the state
 * stores use them: point reads and scans of committed data only, absent
 * keyspaces, scan bounds and prefixes (also prefixes ending in 0xFF), range
 * deletes committing atomically with records (or vanishing on abort), and
 * persistence across a reopen.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

static char dir[64];
static sl_arena *arena;
static sl_error err;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void setup(void)
{
    strcpy(dir, "/tmp/sluice-raw-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    arena = sl_arena_new(0);
    sl_error_clear(&err);
}

static void teardown(void)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    sl_arena_free(arena);
}

TestSuite(raw, .init = setup, .fini = teardown);

static sl_log *open_log(void)
{
    sl_log *log = sl_log_open_embedded(dir, &err);
    cr_assert_not_null(log, "open: %s", err.msg);
    return log;
}

static void put(sl_log_txn *t, const char *space, const char *k, const char *v)
{
    cr_assert_eq(sl_log_txn_put_raw(t, space, k, strlen(k), v, v ? strlen(v) : 0, &err), 0,
                 "put %s: %s", k, err.msg);
}

static void put_commit(sl_log *log, const char *space, const char *k, const char *v)
{
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, space, k, v);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "commit: %s", err.msg);
}

/* The committed value of k as a string in the arena, or NULL when absent. */
static const char *get(sl_log *log, const char *space, const void *k, size_t kl)
{
    const void *v;
    size_t vl;
    int rc = sl_log_get_raw(log, space, k, kl, arena, &v, &vl, &err);
    cr_assert_geq(rc, 0, "get: %s", err.msg);
    return rc ? sl_arena_strndup(arena, v, vl) : NULL;
}

static const char *gets(sl_log *log, const char *space, const char *k)
{
    return get(log, space, k, strlen(k));
}

/* The keys of a scan joined with ',' (values after '='). */
static const char *scan(sl_log *log, const char *space, const void *lo, size_t lo_len,
                        const void *hi, size_t hi_len)
{
    sl_log_iter *it = sl_log_scan_raw(log, space, lo, lo_len, hi, hi_len, &err);
    cr_assert_not_null(it, "scan: %s", err.msg);
    sl_buf b = SL_BUF_INIT;
    const void *k, *v;
    size_t kl, vl;
    int rc;
    while ((rc = sl_log_iter_next(it, &k, &kl, &v, &vl, &err)) > 0) {
        if (b.len)
            sl_buf_putc(&b, ',');
        for (size_t i = 0; i < kl; i++) {
            unsigned char c = ((const unsigned char *)k)[i];
            if (c >= 0x20 && c < 0x7f)
                sl_buf_putc(&b, (char)c);
            else
                sl_buf_printf(&b, "\\x%02x", c);
        }
        sl_buf_putc(&b, '=');
        sl_buf_append(&b, v, vl);
    }
    cr_assert_eq(rc, 0, "iter: %s", err.msg);
    sl_log_iter_free(it);
    const char *s = sl_arena_strdup(arena, sl_buf_cstr(&b));
    sl_buf_fini(&b);
    return s;
}

static const char *scans(sl_log *log, const char *space, const char *lo, const char *hi)
{
    return scan(log, space, lo, strlen(lo), hi, hi ? strlen(hi) : 0);
}

Test(raw, absent_keyspace_reads_empty)
{
    sl_log *log = open_log();
    cr_assert_null(gets(log, "nothing", "k"));
    cr_assert_str_empty(scans(log, "nothing", "", NULL));
    sl_log_txn *t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "nothing", "a", 1, NULL, 0, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_null(gets(log, "nothing", "k"));
    sl_log_close(log);
}

Test(raw, reserved_keyspaces_are_refused)
{
    sl_log *log = open_log();
    const void *v;
    size_t vl;
    cr_assert_eq(sl_log_get_raw(log, "records", "k", 1, arena, &v, &vl, &err), -1);
    cr_assert_eq(sl_log_get_raw(log, "default", "k", 1, arena, &v, &vl, &err), -1);
    cr_assert_null(sl_log_scan_raw(log, "default", "", 0, NULL, 0, &err));
    cr_assert_null(sl_log_scan_raw(log, "", "", 0, NULL, 0, &err));
    sl_log_txn *t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "records", "", 0, NULL, 0, &err), -1);
    sl_log_txn_abort(t);
    sl_log_close(log);
}

Test(raw, get_sees_committed_only)
{
    sl_log *log = open_log();
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "s", "k1", "one");
    put(t, "s", "empty", "");
    cr_assert_null(gets(log, "s", "k1"), "visible before the commit");
    cr_assert_str_empty(scans(log, "s", "", NULL));
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_str_eq(gets(log, "s", "k1"), "one");
    const char *e = gets(log, "s", "empty");
    cr_assert_not_null(e, "an empty value is a value, not an absence");
    cr_assert_str_empty(e);
    cr_assert_null(gets(log, "s", "k2"));
    cr_assert_null(gets(log, "other", "k1"), "keyspaces are separate");
    /* a raw delete */
    put_commit(log, "s", "k1", NULL);
    cr_assert_null(gets(log, "s", "k1"));
    sl_log_close(log);
}

Test(raw, binary_keys_with_zero_bytes)
{
    sl_log *log = open_log();
    sl_log_txn *t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_put_raw(t, "s", "a\0b", 3, "x", 1, &err), 0);
    cr_assert_eq(sl_log_txn_put_raw(t, "s", "a\0c", 3, "y", 1, &err), 0);
    cr_assert_eq(sl_log_txn_put_raw(t, "s", "a", 1, "z", 1, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_str_eq(get(log, "s", "a\0b", 3), "x");
    cr_assert_str_eq(get(log, "s", "a", 1), "z");
    cr_assert_str_eq(scan(log, "s", "a\0", 2, NULL, 0), "a\\x00b=x,a\\x00c=y");
    sl_log_close(log);
}

Test(raw, scan_bounds_and_order)
{
    sl_log *log = open_log();
    sl_log_txn *t = sl_log_txn_begin(log);
    const char *keys[] = {"b2", "a", "b", "b1", "c", "ba"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        put(t, "s", keys[i], "v");
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_str_eq(scans(log, "s", "", NULL), "a=v,b=v,b1=v,b2=v,ba=v,c=v");
    cr_assert_str_eq(scans(log, "s", "b", NULL), "b=v,b1=v,b2=v,ba=v", "prefix");
    cr_assert_str_eq(scans(log, "s", "b1", "ba"), "b1=v,b2=v", "[lo, hi)");
    cr_assert_str_eq(scans(log, "s", "b", "b"), "", "empty range");
    cr_assert_str_eq(scans(log, "s", "c", "a"), "", "reversed range");
    cr_assert_str_eq(scans(log, "s", "", "b1"), "a=v,b=v");
    cr_assert_str_eq(scans(log, "s", "d", NULL), "");
    sl_log_close(log);
}

Test(raw, prefix_ending_in_ff)
{
    sl_log *log = open_log();
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "s", "a\xff", "1");
    put(t, "s", "a\xff\xff", "2");
    put(t, "s", "a\xfe", "0");
    put(t, "s", "b", "3");
    put(t, "s", "\xff\xff", "4");
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_str_eq(scans(log, "s", "a\xff", NULL), "a\\xff=1,a\\xff\\xff=2");
    cr_assert_str_eq(scans(log, "s", "\xff", NULL), "\\xff\\xff=4");
    /* and deletes by such a prefix */
    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "s", "a\xff", 2, NULL, 0, &err), 0);
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "s", "\xff", 1, NULL, 0, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_str_eq(scans(log, "s", "", NULL), "a\\xfe=0,b=3");
    sl_log_close(log);
}

Test(raw, scan_is_a_snapshot)
{
    sl_log *log = open_log();
    put_commit(log, "s", "a", "1");
    put_commit(log, "s", "c", "3");
    sl_log_iter *it = sl_log_scan_raw(log, "s", "", 0, NULL, 0, &err);
    cr_assert_not_null(it, "%s", err.msg);
    put_commit(log, "s", "b", "2");
    put_commit(log, "s", "c", NULL);
    const void *k, *v;
    size_t kl, vl;
    cr_assert_eq(sl_log_iter_next(it, &k, &kl, &v, &vl, &err), 1);
    cr_assert_eq(kl, 1);
    cr_assert_eq(*(const char *)k, 'a');
    cr_assert_eq(sl_log_iter_next(it, &k, &kl, &v, &vl, &err), 1);
    cr_assert_eq(*(const char *)k, 'c', "the scan sees the state of its start");
    cr_assert_eq(sl_log_iter_next(it, &k, &kl, &v, &vl, &err), 0);
    cr_assert_eq(sl_log_iter_next(it, &k, &kl, &v, &vl, &err), 0, "the end stays the end");
    sl_log_iter_free(it);
    cr_assert_str_eq(scans(log, "s", "", NULL), "a=1,b=2");
    sl_log_iter_free(NULL);
    sl_log_close(log);
}

Test(raw, delete_range_bounds)
{
    sl_log *log = open_log();
    sl_log_txn *t = sl_log_txn_begin(log);
    const char *keys[] = {"a", "b", "b1", "b2", "ba", "c"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        put(t, "s", keys[i], "v");
    put(t, "other", "b1", "w");
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);

    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "s", "b1", 2, "ba", 2, &err), 0, "%s", err.msg);
    cr_assert_str_eq(scans(log, "s", "", NULL), "a=v,b=v,b1=v,b2=v,ba=v,c=v",
                     "nothing deleted before the commit");
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_str_eq(scans(log, "s", "", NULL), "a=v,b=v,ba=v,c=v");

    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "s", "b", 1, NULL, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_str_eq(scans(log, "s", "", NULL), "a=v,c=v");
    cr_assert_str_eq(gets(log, "other", "b1"), "w", "another keyspace is untouched");

    /* everything */
    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "s", "", 0, NULL, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_str_eq(scans(log, "s", "", NULL), "");
    sl_log_close(log);
}

Test(raw, delete_range_orders_with_puts_in_one_txn)
{
    sl_log *log = open_log();
    put_commit(log, "s", "q/1", "old");
    sl_log_txn *t = sl_log_txn_begin(log);
    put(t, "s", "q/2", "new");          /* before the delete: deleted with it */
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "s", "q/", 2, NULL, 0, &err), 0, "%s", err.msg);
    put(t, "s", "q/3", "after");        /* after it: kept */
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_str_eq(scans(log, "s", "", NULL), "q/3=after");
    sl_log_close(log);
}

Test(raw, atomic_with_records)
{
    sl_log *log = open_log();
    sl_topic_config c = sl_topic_config_default();
    cr_assert_eq(sl_log_create_topic(log, "out", &c, NULL, &err), 0, "%s", err.msg);
    put_commit(log, "s", "gone", "1");

    sl_record r = {.key = "k", .key_len = 1, .value = "v", .value_len = 1, .timestamp = 5};
    /* aborted: neither the record, nor the put, nor the range delete */
    sl_log_txn *t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_append(t, "out", 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    put(t, "s", "new", "2");
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "s", "gone", 4, NULL, 0, &err), 0);
    sl_log_txn_abort(t);
    cr_assert_eq(sl_log_end_offset(log, "out", 0, &err), 0);
    cr_assert_str_eq(scans(log, "s", "", NULL), "gone=1");

    /* committed: all three */
    t = sl_log_txn_begin(log);
    cr_assert_eq(sl_log_txn_append(t, "out", 0, &r, NULL, NULL, &err), 0, "%s", err.msg);
    put(t, "s", "new", "2");
    cr_assert_eq(sl_log_txn_delete_range_raw(t, "s", "gone", 4, NULL, 0, &err), 0);
    cr_assert_eq(sl_log_txn_commit(t, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_log_end_offset(log, "out", 0, &err), 1);
    cr_assert_str_eq(scans(log, "s", "", NULL), "new=2");
    sl_log_close(log);
}

Test(raw, kept_across_reopen)
{
    sl_log *log = open_log();
    put_commit(log, "s", "k", "v");
    put_commit(log, "t", "k", "w");
    sl_log_close(log);
    log = open_log();
    cr_assert_str_eq(gets(log, "s", "k"), "v");
    cr_assert_str_eq(scans(log, "t", "", NULL), "k=w");
    sl_log_close(log);
}
