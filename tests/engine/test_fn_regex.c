/*
 * test_fn_regex.c: REGEXP_EXTRACT, REGEXP_EXTRACT_ALL, REGEXP_REPLACE and
 * REGEXP_SPLIT_TO_ARRAY end to end through sl_eval_text: groups, empty
 * matches, Java replacement syntax, bad patterns (compile-time errors),
 * NULLs, a pattern that would backtrack for ages, and the run-time path
 * (pattern not known at compile time) called directly.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/expr.h"

#include "eval_cases.h"

Test(fn_regex, extract)
{
    static const ecase cases[] = {
        {"REGEXP_EXTRACT('(.*) (.*)', 'hello there', 2)", "\"there\"", NULL},
        {"REGEXP_EXTRACT('.*', 'abc')", "\"abc\"", NULL},
        {"REGEXP_EXTRACT('b+', 'abbbc')", "\"bbb\"", NULL},
        {"REGEXP_EXTRACT('(([AEIOU]).)', 'hello ENGINE', 2)", "\"E\"", NULL},
        {"REGEXP_EXTRACT('x', 'abc')", "null", NULL},
        {"REGEXP_EXTRACT('(a)|(b)', 'b', 1)", "null", NULL},
        {"REGEXP_EXTRACT('(a)', 'a', 2)", "null", NULL},
        {"REGEXP_EXTRACT('(a)', 'a', 0)", "\"a\"", NULL},
        {"REGEXP_EXTRACT('é+', 'caféé!')", "\"éé\"", NULL},
        {"REGEXP_EXTRACT('^.$', '好')", "\"好\"", NULL},
        {"REGEXP_EXTRACT('', 'abc')", "\"\"", NULL},
        {"REGEXP_EXTRACT('(a)', 'a', -1)", NULL, "No group"},
        {"REGEXP_EXTRACT('[', 'a')", NULL, "Invalid regular expression"},
        {"REGEXP_EXTRACT('(?<n', 'a', 1)", NULL, "Invalid regular expression"},
        {"REGEXP_EXTRACT(NULL, 'a')", "null", NULL},
        {"REGEXP_EXTRACT('a', NULL)", "null", NULL},
        {"REGEXP_EXTRACT('a', 'a', NULL)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_regex, extract_all)
{
    static const ecase cases[] = {
        {"REGEXP_EXTRACT_ALL('(\\w+) (\\w+)', 'hello there nice day', 2)", "[\"there\",\"day\"]", NULL},
        {"REGEXP_EXTRACT_ALL('\\d', 'a1b2c3')", "[\"1\",\"2\",\"3\"]", NULL},
        {"REGEXP_EXTRACT_ALL('x', 'abc')", "[]", NULL},
        {"REGEXP_EXTRACT_ALL('a*', 'baaa')", "[\"\",\"aaa\",\"\"]", NULL},
        {"REGEXP_EXTRACT_ALL('', 'ab')", "[\"\",\"\",\"\"]", NULL},
        {"REGEXP_EXTRACT_ALL('(a)|(b)', 'ab', 2)", "[null,\"b\"]", NULL},
        {"REGEXP_EXTRACT_ALL('(a)', 'aa', 3)", "null", NULL},
        {"REGEXP_EXTRACT_ALL('.', 'hé')", "[\"h\",\"é\"]", NULL},
        {"REGEXP_EXTRACT_ALL('(', 'a')", NULL, "Invalid regular expression"},
        {"REGEXP_EXTRACT_ALL(NULL, 'a')", "null", NULL},
    };
    RUN(cases);
}

Test(fn_regex, replace)
{
    static const ecase cases[] = {
        {"REGEXP_REPLACE('hello world', 'o', '0')", "\"hell0 w0rld\"", NULL},
        {"REGEXP_REPLACE('a.b+c', '\\.', '!')", "\"a!b+c\"", NULL},
        {"REGEXP_REPLACE('a.b.c', '.', '!')", "\"!!!!!\"", NULL},
        {"REGEXP_REPLACE('John Smith', '(\\w+) (\\w+)', '$2, $1')", "\"Smith, John\"", NULL},
        {"REGEXP_REPLACE('abc', '(?<x>b)', '[${x}]')", "\"a[b]c\"", NULL},
        {"REGEXP_REPLACE('abc', 'b', '\\$')", "\"a$c\"", NULL},
        {"REGEXP_REPLACE('abc', '(b)', '$10')", "\"ab0c\"", NULL},
        {"REGEXP_REPLACE('baaa', 'a*', 'X')", "\"XbXX\"", NULL},
        {"REGEXP_REPLACE('abc', '', '-')", "\"-a-b-c-\"", NULL},
        {"REGEXP_REPLACE('héllo', 'l+', 'L')", "\"héLo\"", NULL},
        {"REGEXP_REPLACE('', 'x', 'y')", "\"\"", NULL},
        {"REGEXP_REPLACE('abc', 'b', '$9')", NULL, "No group"},
        {"REGEXP_REPLACE('abc', 'b', '${nope}')", NULL, "No group with name"},
        {"REGEXP_REPLACE('abc', 'b', 'x\\')", NULL, "escaped"},
        {"REGEXP_REPLACE('abc', 'b', '$')", NULL, "group"},
        {"REGEXP_REPLACE('abc', '*', 'x')", NULL, "Invalid regular expression"},
        {"REGEXP_REPLACE('abc', NULL, 'x')", "null", NULL},
        {"REGEXP_REPLACE(NULL, 'a', 'x')", "null", NULL},
        {"REGEXP_REPLACE('abc', 'a', NULL)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_regex, split_to_array)
{
    static const ecase cases[] = {
        {"REGEXP_SPLIT_TO_ARRAY('a1b22c', '\\d+')", "[\"a\",\"b\",\"c\"]", NULL},
        {"REGEXP_SPLIT_TO_ARRAY('1a1', '\\d')", "[\"\",\"a\",\"\"]", NULL},
        {"REGEXP_SPLIT_TO_ARRAY('a--b', '-')", "[\"a\",\"\",\"b\"]", NULL},
        {"REGEXP_SPLIT_TO_ARRAY('abc', '')", "[\"a\",\"b\",\"c\"]", NULL},
        {"REGEXP_SPLIT_TO_ARRAY('hé', '')", "[\"h\",\"é\"]", NULL},
        {"REGEXP_SPLIT_TO_ARRAY('abc', 'x*')", "[\"a\",\"b\",\"c\"]", NULL},
        {"REGEXP_SPLIT_TO_ARRAY('abc', 'x')", "[\"abc\"]", NULL},
        {"REGEXP_SPLIT_TO_ARRAY('', 'x')", "[\"\"]", NULL},
        {"REGEXP_SPLIT_TO_ARRAY('', '')", "[\"\"]", NULL},
        {"REGEXP_SPLIT_TO_ARRAY('a b', '[')", NULL, "Invalid regular expression"},
        {"REGEXP_SPLIT_TO_ARRAY(NULL, 'a')", "null", NULL},
        {"REGEXP_SPLIT_TO_ARRAY('a', NULL)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_regex, catastrophic_backtracking_is_bounded)
{
    /* (a+)+$ against a long run of a's followed by b backtracks exponentially */
    static const ecase cases[] = {
        {"REGEXP_EXTRACT('(a+)+$', CONCAT(LPAD('', 5000, 'a'), 'b'))", NULL, "limit"},
        {"REGEXP_REPLACE(CONCAT(LPAD('', 5000, 'a'), 'b'), '(a|aa)+$', 'x')", NULL, "limit"},
    };
    RUN(cases);
}

/* The path a column pattern takes: no prepared state, compiled per call, and
 * a bad pattern becomes a row error instead of a compile error. */
Test(fn_regex, runtime_pattern)
{
    const sl_registry *r = sl_registry_builtin();
    const sl_function *f = sl_registry_find(r, "REGEXP_EXTRACT");
    cr_assert_not_null(f);
    const sl_overload *ov = &f->overloads[1];
    sl_arena *a = sl_arena_new(0);
    sl_error err;
    sl_error_clear(&err);

    /* a state prepared without a constant pattern caches the last one compiled */
    const sl_type *ts[3] = {&SL_TYPE_STRING, &SL_TYPE_STRING, &SL_TYPE_INT};
    const sl_value *consts[3] = {NULL, NULL, NULL};
    void *state = NULL;
    cr_assert_eq(ov->prepare(a, ts, 3, consts, &state, &err), 0, "%s", err.msg);
    sl_fcall c = {.arena = a, .err = &err, .nargs = 3, .state = state};
    const char *pats[] = {"(\\d+)", "(\\d+)", "([a-z]+)"};
    const char *want[] = {"42", "42", "abc"};
    for (int i = 0; i < 3; i++) {
        sl_value args[3] = {sl_string_ref(pats[i], (uint32_t)strlen(pats[i])),
                            sl_string_ref("abc 42", 6), sl_int(1)};
        sl_value out;
        cr_assert_eq(ov->impl(&c, args, 3, &out), 0, "%s", err.msg);
        cr_expect_eq(out.u.s.len, strlen(want[i]));
        cr_expect(memcmp(out.u.s.ptr, want[i], out.u.s.len) == 0);
    }
    sl_value bad[3] = {sl_string_ref("(", 1), sl_string_ref("x", 1), sl_int(0)};
    sl_value out;
    cr_expect_eq(ov->impl(&c, bad, 3, &out), -1);
    cr_expect_eq(err.code, SL_ERR_EVAL);
    cr_expect(strstr(err.msg, "Invalid regular expression") != NULL, "%s", err.msg);
    ov->release(state);

    /* without any state at all (compiled and freed per call) */
    sl_fcall bare = {.arena = a, .err = &err, .nargs = 3};
    sl_value args[3] = {sl_string_ref("b(.)", 4), sl_string_ref("abcd", 4), sl_int(1)};
    cr_assert_eq(ov->impl(&bare, args, 3, &out), 0, "%s", err.msg);
    cr_expect(out.u.s.len == 1 && out.u.s.ptr[0] == 'c');

    /* a constant bad pattern is refused by prepare, at compile time */
    sl_value cpat = sl_string_ref("[", 1);
    const sl_value *cc[3] = {&cpat, NULL, NULL};
    void *st2 = NULL;
    cr_expect_eq(ov->prepare(a, ts, 3, cc, &st2, &err), -1);
    cr_expect_eq(err.code, SL_ERR_ANALYSIS);
    sl_arena_free(a);
}
