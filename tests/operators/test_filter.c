/*
 * test_filter.c: WHERE keeps TRUE rows, drops FALSE and NULL ones as
 * filtered, and reports rows whose condition fails to evaluate.
 */
#include "op_test.h"

TestSuite(filter, .init = op_setup, .fini = op_teardown);

Test(filter, keeps_true_drops_false_and_null_reports_errors)
{
    sl_schema s = schema_of("K:INT:key, A:INT");
    sl_value v[] = {sl_int(1), sl_int(5),  sl_int(2), sl_int(0), sl_int(3), sl_null(),
                    sl_int(4), sl_int(20), sl_int(5), sl_int(-1)};
    sl_batch b = batch_of(&s, 5, v, 0);
    sl_operator *f = sl_op_filter_new(compile("10 / A > 1", &s));
    cr_assert_eq(sl_op_push(f, &b, &err), 0);
    cr_assert_eq(b.n, 1);
    cr_assert_eq(b.rows[0].in.cols[0].u.i32, 1, "10/5 = 2 > 1 is kept");
    cr_assert_eq(b.filtered, 3, "20 gives 0, -1 gives -10, NULL gives NULL");
    cr_assert_eq(b.failed, 1);
    cr_assert_eq(F.n, 1);
    cr_assert_eq(F.kind[0], SL_FAIL_EVALUATION);
    cr_assert_eq(F.offset[0], 1);
    cr_assert(strstr(F.msg[0], "division by zero"), "%s", F.msg[0]);
    cr_assert_eq(sl_op_flush(f, &b, &err), 0);
    sl_op_close(f);
}

Test(filter, pseudocolumns_come_from_the_row)
{
    sl_schema s = schema_of("A:INT");
    sl_value v[] = {sl_int(1), sl_int(2), sl_int(3)};
    sl_batch b = batch_of(&s, 3, v, 0);
    sl_operator *f = sl_op_filter_new(compile("ROWTIME >= 1001 AND ROWOFFSET < 2", &s));
    cr_assert_eq(sl_op_push(f, &b, &err), 0);
    cr_assert_eq(b.n, 1);
    cr_assert_eq(b.rows[0].in.cols[0].u.i32, 2);
    sl_op_close(f);
}
