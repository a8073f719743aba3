/*
 * test_arena.c: bump allocation, alignment, large one-off chunks, and
 * reuse of chunks across resets (what a batch arena does all day).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "engine/arena.h"

Test(arena, alignment_and_contents_survive_chunk_changes)
{
    sl_arena *a = sl_arena_new(256);
    char *ptrs[200];
    for (int i = 0; i < 200; i++) {
        ptrs[i] = sl_arena_alloc(a, (size_t)(i % 37) + 1);
        cr_assert_eq((uintptr_t)ptrs[i] % 16, 0, "allocation %d is not 16-byte aligned", i);
        memset(ptrs[i], i, (size_t)(i % 37) + 1);
    }
    for (int i = 0; i < 200; i++)
        for (int k = 0; k < (i % 37) + 1; k++)
            cr_assert_eq((unsigned char)ptrs[i][k], (unsigned char)i, "allocation %d overwritten", i);
    sl_arena_free(a);
}

Test(arena, large_requests_get_their_own_chunk)
{
    sl_arena *a = sl_arena_new(128);
    char *small = sl_arena_alloc(a, 8);
    char *big = sl_arena_zalloc(a, 10000);
    for (int i = 0; i < 10000; i++)
        cr_assert_eq(big[i], 0);
    char *after = sl_arena_alloc(a, 8);   /* still served from the small chunk */
    cr_expect_lt((size_t)(after - small), (size_t)128);
    sl_arena_free(a);
}

Test(arena, reset_reuses_memory_and_counts_from_zero)
{
    sl_arena *a = sl_arena_new(1024);
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 100; i++)
            memset(sl_arena_alloc(a, 100), round, 100);
        memset(sl_arena_alloc(a, 5000), round, 5000);   /* a one-off large chunk */
        cr_expect_geq(sl_arena_used(a), (size_t)15000);
        sl_arena_reset(a);
        cr_expect_eq(sl_arena_used(a), 0);
    }
    sl_arena_free(a);
}

Test(arena, strings)
{
    sl_arena *a = sl_arena_new(0);
    cr_expect_str_eq(sl_arena_strdup(a, "abc"), "abc");
    cr_expect_str_eq(sl_arena_strndup(a, "abcdef", 3), "abc");
    cr_expect_str_eq(sl_arena_printf(a, "%s-%d", "x", 42), "x-42");
    char *p = sl_arena_strdup(a, "hello");
    char *q = sl_arena_realloc(a, p, 6, 64);
    cr_expect_str_eq(q, "hello");
    sl_arena_free(a);
}
