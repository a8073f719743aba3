/*
 * eval_cases.h: the table-driven harness shared by the expression and
 * function suites. A case is an expression, the JSON rendering its value
 * must have (sl_eval_text), or, when that is NULL, a fragment the error
 * message must contain ("" accepts any error).
 */
#ifndef SL_TEST_EVAL_CASES_H
#define SL_TEST_EVAL_CASES_H

#include <criterion/criterion.h>
#include <string.h>

#include "engine/expr.h"

typedef struct ecase {
    const char *expr;
    const char *want;       /* JSON rendering of the result, or NULL when an error is wanted */
    const char *error;      /* a fragment of the wanted error */
} ecase;

static inline void run_cases(const ecase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sl_buf out = SL_BUF_INIT;
        sl_error err;
        sl_error_clear(&err);
        int rc = sl_eval_text(cases[i].expr, &out, &err);
        if (cases[i].want) {
            cr_expect_eq(rc, 0, "%s: unexpected error: %s", cases[i].expr, err.msg);
            if (rc == 0)
                cr_expect_str_eq(sl_buf_cstr(&out), cases[i].want, "%s gives %s, want %s",
                                 cases[i].expr, sl_buf_cstr(&out), cases[i].want);
        } else {
            cr_expect_neq(rc, 0, "%s: wanted an error, got %s", cases[i].expr, sl_buf_cstr(&out));
            if (rc != 0)
                cr_expect(strstr(err.msg, cases[i].error) != NULL, "%s: error '%s' lacks '%s'",
                          cases[i].expr, err.msg, cases[i].error);
        }
        sl_buf_fini(&out);
    }
}

#define RUN(cases) run_cases(cases, sizeof cases / sizeof cases[0])

#endif
