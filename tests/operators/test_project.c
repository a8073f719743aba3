/*
 * test_project.c: the select list fills output columns from the input row;
 * a row whose expression fails is reported and dropped, never emitted half
 * computed.
 */
#include "op_test.h"

TestSuite(project, .init = op_setup, .fini = op_teardown);

Test(project, computes_output_columns)
{
    sl_schema s = schema_of("K:INT:key, NAME:STRING, A:INT");
    sl_value v[] = {sl_int(1), sl_string_ref("ann", 3), sl_int(7),
                    sl_int(2), sl_null(), sl_int(8)};
    sl_batch b = batch_of(&s, 2, v, 3);
    sl_cexpr *ex[] = {compile("K", &s), compile("UCASE(NAME)", &s), compile("A * 10", &s)};
    sl_operator *p = sl_op_project_new(ex, 0, 3);
    cr_assert_eq(sl_op_push(p, &b, &err), 0);
    cr_assert_eq(b.n, 2);
    cr_assert_eq(b.rows[0].out[0].u.i32, 1);
    cr_assert_eq(b.rows[0].out[1].u.s.len, 3);
    cr_assert_eq(memcmp(b.rows[0].out[1].u.s.ptr, "ANN", 3), 0);
    cr_assert_eq(b.rows[0].out[2].u.i32, 70);
    cr_assert_eq(b.rows[1].out[1].kind, SL_NULL);
    cr_assert_eq(b.rows[1].out[2].u.i32, 80);
    sl_op_close(p);
}

Test(project, failing_row_is_reported_and_dropped)
{
    sl_schema s = schema_of("A:INT");
    sl_value v[] = {sl_int(2), sl_int(0), sl_int(5)};
    sl_batch b = batch_of(&s, 3, v, 2);
    sl_cexpr *ex[] = {compile("A", &s), compile("100 / A", &s)};
    sl_operator *p = sl_op_project_new(ex, 0, 2);
    cr_assert_eq(sl_op_push(p, &b, &err), 0);
    cr_assert_eq(b.n, 2);
    cr_assert_eq(b.rows[0].out[1].u.i32, 50);
    cr_assert_eq(b.rows[1].out[1].u.i32, 20);
    cr_assert_eq(F.n, 1);
    cr_assert_eq(F.offset[0], 1);
    cr_assert_eq(F.kind[0], SL_FAIL_EVALUATION);
    sl_op_close(p);
}

Test(project, first_skips_key_columns_filled_by_rekey)
{
    sl_schema s = schema_of("A:INT");
    sl_value v[] = {sl_int(4)};
    sl_batch b = batch_of(&s, 1, v, 2);
    b.rows[0].out[0] = sl_int(-9);
    sl_cexpr *ex[] = {NULL, compile("A + 1", &s)};
    sl_operator *p = sl_op_project_new(ex, 1, 2);
    cr_assert_eq(sl_op_push(p, &b, &err), 0);
    cr_assert_eq(b.rows[0].out[0].u.i32, -9);
    cr_assert_eq(b.rows[0].out[1].u.i32, 5);
    sl_op_close(p);
}
