/*
 * arena.h: bump allocation by lifetime.
 *
 * Memory in sluice is owned by arenas, one per lifetime (see STYLE.md):
 * a statement arena holds tokens, AST and plan; a batch arena holds the
 * values decoded and computed for one batch and is reset per batch.
 * Nothing allocated from an arena is freed on its own: the whole arena
 * is reset or freed at once. This is the one ownership rule; everything
 * that returns arena memory says which arena it used.
 */
#ifndef SL_ARENA_H
#define SL_ARENA_H

#include <stddef.h>

typedef struct sl_arena sl_arena;

sl_arena *sl_arena_new(size_t chunk_size);      /* chunk_size 0: default (16 KiB) */
void sl_arena_free(sl_arena *a);                /* accepts NULL */
void sl_arena_reset(sl_arena *a);               /* keeps the first chunk */
void *sl_arena_alloc(sl_arena *a, size_t n);    /* 16-byte aligned; aborts on OOM */
void *sl_arena_zalloc(sl_arena *a, size_t n);   /* zeroed */
void *sl_arena_realloc(sl_arena *a, void *p, size_t oldn, size_t newn);
char *sl_arena_strndup(sl_arena *a, const char *s, size_t n); /* NUL-terminated */
char *sl_arena_strdup(sl_arena *a, const char *s);
char *sl_arena_printf(sl_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
size_t sl_arena_used(const sl_arena *a);         /* bytes handed out since reset */

#endif
