/*
 * test_func.c: the function registry: signature language, overload
 * resolution with widening and generics, lambdas, errors, formatting.
 * Uses a registry of its own with made-up functions, so it tests the
 * mechanism, not the built-in library (the fn_* suites do that).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/func.h"

static int dummy(sl_fcall *c, const sl_value *args, int nargs, sl_value *out)
{
    (void)c; (void)args; (void)nargs;
    *out = sl_null();
    return 0;
}

static const sl_overload f_ovs[] = {
    {.sig = "x INT -> STRING", .impl = dummy},
    {.sig = "x BIGINT -> BIGINT", .impl = dummy},
    {.sig = "x DOUBLE -> DOUBLE", .impl = dummy},
};
static const sl_overload g_ovs[] = {
    {.sig = "ARRAY<T>, T -> BOOLEAN", .impl = dummy},
};
static const sl_overload v_ovs[] = {
    {.sig = "sep STRING, parts STRING... -> STRING", .impl = dummy},
};
static const sl_overload c_ovs[] = {
    {.sig = "T... -> T", .impl = dummy},
};
static const sl_overload l_ovs[] = {
    {.sig = "ARRAY<T>, LAMBDA(T) => U -> ARRAY<U>", .impl = dummy},
    {.sig = "MAP<K, V>, LAMBDA(K, V) => K2, LAMBDA(K, V) => V2 -> MAP<K2, V2>", .impl = dummy},
};
static const sl_overload d_ovs[] = {
    {.sig = "DECIMAL -> DECIMAL", .impl = dummy},
};
static const sl_overload s_ovs[] = {
    {.sig = "MAP<STRING, V> -> ARRAY<STRUCT<K STRING, V V>>", .impl = dummy},
};
static const sl_overload n_ovs[] = {
    {.sig = "-> STRING", .impl = dummy, .flags = SL_FNF_NONDETERMINISTIC},
};

static const sl_function fns[] = {
    {"F", SL_FN_SCALAR, "OTHER", "widening test", f_ovs, 3},
    {"G", SL_FN_SCALAR, "OTHER", "generic test", g_ovs, 1},
    {"V", SL_FN_SCALAR, "STRING", "variadic test", v_ovs, 1},
    {"CO", SL_FN_SCALAR, "NULL", "generic variadic", c_ovs, 1},
    {"L", SL_FN_SCALAR, "LAMBDA", "lambda test", l_ovs, 2},
    {"D", SL_FN_SCALAR, "NUMERIC", "decimal test", d_ovs, 1},
    {"S", SL_FN_SCALAR, "MAP", "struct result", s_ovs, 1},
    {"N", SL_FN_SCALAR, "OTHER", "no args", n_ovs, 1},
};

static sl_registry *reg;
static sl_arena *arena;
static sl_error err;

static void setup(void)
{
    reg = sl_registry_new();
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        sl_registry_add(reg, &fns[i]);
    arena = sl_arena_new(0);
    sl_error_clear(&err);
}

static void teardown(void)
{
    sl_registry_free(reg);
    sl_arena_free(arena);
}

TestSuite(func, .init = setup, .fini = teardown);

static const char *tstr(const sl_type *t)
{
    return t ? sl_type_str(arena, t) : "(null)";
}

static int resolve(const char *name, const sl_type **args, int n, sl_resolved *res)
{
    if (sl_registry_resolve(reg, arena, name, args, NULL, n, res, (sl_span){3, 4}, &err))
        return -1;
    return sl_registry_finish(res, arena, args, n, (sl_span){3, 4}, &err);
}

Test(func, lookup_is_case_insensitive_and_sorted)
{
    cr_assert_not_null(sl_registry_find(reg, "co"));
    cr_assert_null(sl_registry_find(reg, "nope"));
    cr_assert_eq(sl_registry_count(reg), 8);
    for (int i = 1; i < sl_registry_count(reg); i++)
        cr_assert_lt(strcmp(sl_registry_at(reg, i - 1)->name, sl_registry_at(reg, i)->name), 0);
}

Test(func, exact_match_beats_widening)
{
    sl_resolved r;
    const sl_type *a[] = {&SL_TYPE_INT};
    cr_assert_eq(resolve("F", a, 1, &r), 0, "%s", err.msg);
    cr_assert_eq(r.ovindex, 0);
    cr_assert_str_eq(tstr(r.ret), "VARCHAR");
    const sl_type *b[] = {&SL_TYPE_BIGINT};
    cr_assert_eq(resolve("F", b, 1, &r), 0);
    cr_assert_eq(r.ovindex, 1);
}

Test(func, widening_picks_the_nearest)
{
    sl_resolved r;
    /* DECIMAL widens to DOUBLE, not to INT or BIGINT */
    const sl_type *a[] = {sl_type_decimal(arena, 4, 2)};
    cr_assert_eq(resolve("F", a, 1, &r), 0, "%s", err.msg);
    cr_assert_eq(r.ovindex, 2);
    cr_assert_eq(r.params[0]->kind, SL_DOUBLE);
}

Test(func, no_match_lists_alternatives_with_span)
{
    sl_resolved r;
    const sl_type *a[] = {&SL_TYPE_STRING};
    cr_assert_eq(resolve("F", a, 1, &r), -1);
    cr_assert_eq(err.code, SL_ERR_ANALYSIS);
    cr_assert_eq(err.span.off, 3);
    cr_assert(strstr(err.msg, "does not accept parameters (VARCHAR)"), "%s", err.msg);
    cr_assert(strstr(err.msg, "F(x INTEGER) => VARCHAR; F(x BIGINT)"), "%s", err.msg);
}

Test(func, unknown_function)
{
    sl_resolved r;
    cr_assert_eq(resolve("NOPE", NULL, 0, &r), -1);
    cr_assert(strstr(err.msg, "'NOPE'"), "%s", err.msg);
}

Test(func, generics_bind_and_widen)
{
    sl_resolved r;
    const sl_type *a[] = {sl_type_array(arena, &SL_TYPE_BIGINT), &SL_TYPE_INT};
    cr_assert_eq(resolve("G", a, 2, &r), 0, "%s", err.msg);
    cr_assert_str_eq(tstr(r.ret), "BOOLEAN");
    cr_assert_str_eq(tstr(r.params[1]), "BIGINT");
    const sl_type *b[] = {sl_type_array(arena, &SL_TYPE_STRING), &SL_TYPE_INT};
    cr_assert_eq(resolve("G", b, 2, &r), -1);
}

Test(func, variadic_accepts_zero_or_more)
{
    sl_resolved r;
    const sl_type *a[] = {&SL_TYPE_STRING, &SL_TYPE_STRING, &SL_TYPE_STRING, &SL_TYPE_STRING};
    for (int n = 1; n <= 4; n++)
        cr_assert_eq(resolve("V", a, n, &r), 0, "n=%d: %s", n, err.msg);
    cr_assert_eq(resolve("V", a, 0, &r), -1);
}

Test(func, generic_variadic_takes_the_common_type)
{
    sl_resolved r;
    const sl_type *a[] = {&SL_TYPE_INT, &SL_TYPE_NULL, &SL_TYPE_BIGINT};
    cr_assert_eq(resolve("CO", a, 3, &r), 0, "%s", err.msg);
    cr_assert_str_eq(tstr(r.ret), "BIGINT");
    for (int i = 0; i < 3; i++)
        cr_assert_str_eq(tstr(r.params[i]), "BIGINT");
}

Test(func, all_null_arguments_cannot_be_typed)
{
    sl_resolved r;
    const sl_type *a[] = {&SL_TYPE_NULL, &SL_TYPE_NULL};
    cr_assert_eq(resolve("CO", a, 2, &r), -1);
    cr_assert(strstr(err.msg, "CAST"), "%s", err.msg);
}

Test(func, lambda_parameters_and_result)
{
    sl_resolved r;
    const sl_type *a[] = {sl_type_array(arena, &SL_TYPE_INT), NULL};
    int arity[] = {0, 1};
    cr_assert_eq(sl_registry_resolve(reg, arena, "L", a, arity, 2, &r, SL_NOSPAN, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(r.ovindex, 0);
    const sl_type *p[1];
    cr_assert_eq(sl_registry_lambda_params(&r, arena, 1, p, 1, SL_NOSPAN, &err), 0);
    cr_assert_str_eq(tstr(p[0]), "INTEGER");
    cr_assert_eq(sl_registry_bind_lambda(&r, arena, 1, &SL_TYPE_STRING, SL_NOSPAN, &err), 0);
    cr_assert_eq(sl_registry_finish(&r, arena, a, 2, SL_NOSPAN, &err), 0, "%s", err.msg);
    cr_assert_str_eq(tstr(r.ret), "ARRAY<VARCHAR>");
}

Test(func, lambda_arity_selects_the_overload)
{
    sl_resolved r;
    const sl_type *a[] = {sl_type_map(arena, &SL_TYPE_STRING, &SL_TYPE_DOUBLE), NULL, NULL};
    int arity[] = {0, 2, 2};
    cr_assert_eq(sl_registry_resolve(reg, arena, "L", a, arity, 3, &r, SL_NOSPAN, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(r.ovindex, 1);
    const sl_type *p[2];
    cr_assert_eq(sl_registry_lambda_params(&r, arena, 1, p, 2, SL_NOSPAN, &err), 0);
    cr_assert_str_eq(tstr(p[1]), "DOUBLE");
    cr_assert_eq(sl_registry_bind_lambda(&r, arena, 1, &SL_TYPE_INT, SL_NOSPAN, &err), 0);
    cr_assert_eq(sl_registry_bind_lambda(&r, arena, 2, &SL_TYPE_BOOLEAN, SL_NOSPAN, &err), 0);
    cr_assert_eq(sl_registry_finish(&r, arena, a, 3, SL_NOSPAN, &err), 0, "%s", err.msg);
    cr_assert_str_eq(tstr(r.ret), "MAP<INTEGER, BOOLEAN>");
    int bad[] = {0, 1, 2};
    cr_assert_eq(sl_registry_resolve(reg, arena, "L", a, bad, 3, &r, SL_NOSPAN, &err), -1);
}

Test(func, any_decimal_keeps_precision_and_takes_integers)
{
    sl_resolved r;
    const sl_type *a[] = {sl_type_decimal(arena, 7, 3)};
    cr_assert_eq(resolve("D", a, 1, &r), 0, "%s", err.msg);
    cr_assert(sl_type_equal(r.ret, a[0]), "%s", tstr(r.ret));
    const sl_type *b[] = {&SL_TYPE_INT};
    cr_assert_eq(resolve("D", b, 1, &r), 0, "%s", err.msg);
    cr_assert_eq(r.params[0]->kind, SL_DECIMAL);
    cr_assert_eq(r.params[0]->precision, 10);
    const sl_type *c[] = {&SL_TYPE_DOUBLE};
    cr_assert_eq(resolve("D", c, 1, &r), -1);
}

Test(func, struct_results)
{
    sl_resolved r;
    const sl_type *a[] = {sl_type_map(arena, &SL_TYPE_STRING, &SL_TYPE_INT)};
    cr_assert_eq(resolve("S", a, 1, &r), 0, "%s", err.msg);
    cr_assert_eq(r.ret->kind, SL_ARRAY);
    cr_assert_eq(r.ret->elem->kind, SL_STRUCT);
    cr_assert_eq(r.ret->elem->nfields, 2);
    cr_assert_str_eq(r.ret->elem->fields[1].name, "V");
    cr_assert_eq(r.ret->elem->fields[1].type->kind, SL_INT);
}

Test(func, format_overloads)
{
    sl_buf b = SL_BUF_INIT;
    const sl_function *f = sl_registry_find(reg, "L");
    sl_overload_format(&b, f, &f->overloads[0]);
    cr_assert_str_eq(sl_buf_cstr(&b), "L(ARRAY<T>, LAMBDA(T) => U) => ARRAY<U>");
    sl_buf_reset(&b);
    f = sl_registry_find(reg, "N");
    sl_overload_format(&b, f, &f->overloads[0]);
    cr_assert_str_eq(sl_buf_cstr(&b), "N() => VARCHAR");
    sl_buf_fini(&b);
}

Test(func, builtin_registry_is_consistent)
{
    /* every built-in signature parsed (else registration aborts), names are unique and upper case */
    const sl_registry *b = sl_registry_builtin();
    for (int i = 0; i < sl_registry_count(b); i++) {
        const sl_function *f = sl_registry_at(b, i);
        for (const char *p = f->name; *p; p++)
            cr_assert(!(*p >= 'a' && *p <= 'z'), "%s is not upper case", f->name);
        cr_assert(f->noverloads > 0, "%s has no overloads", f->name);
        cr_assert(f->description && *f->description, "%s has no description", f->name);
        if (f->kind == SL_FN_SCALAR)
            for (int o = 0; o < f->noverloads; o++)
                cr_assert_not_null(f->overloads[o].impl, "%s overload %d has no impl", f->name, o);
    }
}
