/*
 * test_rekey.c: PARTITION BY writes the new key columns; a key that fails
 * to evaluate drops the row with a report.
 */
#include "op_test.h"

TestSuite(rekey, .init = op_setup, .fini = op_teardown);

Test(rekey, writes_keys_first)
{
    sl_schema s = schema_of("K:INT:key, NAME:STRING, A:INT");
    sl_value v[] = {sl_int(1), sl_string_ref("ann", 3), sl_int(7),
                    sl_int(2), sl_string_ref("bob", 3), sl_int(0)};
    sl_batch b = batch_of(&s, 2, v, 3);
    sl_cexpr *keys[] = {compile("NAME", &s), compile("70 / A", &s)};
    sl_operator *k = sl_op_rekey_new(keys, 2);
    cr_assert_eq(sl_op_push(k, &b, &err), 0);
    cr_assert_eq(b.n, 1);
    cr_assert_eq(memcmp(b.rows[0].out[0].u.s.ptr, "ann", 3), 0);
    cr_assert_eq(b.rows[0].out[1].u.i32, 10);
    cr_assert_eq(b.rows[0].out[2].kind, SL_NULL, "value columns are left to project");
    cr_assert_eq(F.n, 1);
    cr_assert(strstr(F.msg[0], "PARTITION BY"), "%s", F.msg[0]);
    sl_op_close(k);
}
