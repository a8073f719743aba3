/*
 * arena.c: bump allocation in chunks (see arena.h for the ownership rule).
 *
 * Allocations are 16-byte aligned (values hold __int128). A request larger
 * than the chunk size gets a chunk of its own. Reset keeps the chunks of
 * standard size for reuse (up to SPARE_MAX bytes of them) and frees the
 * one-off large ones, so a batch arena settles at its working size and
 * stops asking the system for fresh pages batch after batch.
 * Out of memory aborts: there is nothing sensible a record path can do.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16
#define DEFAULT_CHUNK (16 * 1024)
#define SPARE_MAX ((size_t)64 << 20)    /* standard chunks kept across resets */

typedef struct chunk {
    struct chunk *next;
    size_t size;        /* usable bytes after the header */
    size_t used;
    _Alignas(ALIGN) unsigned char data[];
} chunk;

struct sl_arena {
    chunk *head;        /* current chunk; older ones follow */
    chunk *spare;       /* emptied standard-size chunks, reused before malloc */
    size_t chunk_size;
    size_t total;       /* bytes handed out since reset */
};

static void oom(size_t n)
{
    fprintf(stderr, "sluice: out of memory allocating %zu bytes\n", n);
    abort();
}

static chunk *chunk_new(size_t size)
{
    chunk *c = malloc(sizeof(chunk) + size);
    if (!c)
        oom(size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

sl_arena *sl_arena_new(size_t chunk_size)
{
    sl_arena *a = malloc(sizeof *a);
    if (!a)
        oom(sizeof *a);
    a->chunk_size = chunk_size ? chunk_size : DEFAULT_CHUNK;
    a->head = chunk_new(a->chunk_size);
    a->spare = NULL;
    a->total = 0;
    return a;
}

void sl_arena_free(sl_arena *a)
{
    if (!a)
        return;
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    for (chunk *c = a->spare, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void sl_arena_reset(sl_arena *a)
{
    size_t kept = 0;
    for (chunk *c = a->spare; c; c = c->next)
        kept += c->size;
    chunk *keep = NULL;
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        c->used = 0;
        if (c->size != a->chunk_size) {
            free(c);            /* a one-off large chunk */
        } else if (!keep) {
            keep = c;           /* the next current chunk */
        } else if (kept + c->size <= SPARE_MAX) {
            c->next = a->spare;
            a->spare = c;
            kept += c->size;
        } else {
            free(c);
        }
    }
    if (!keep)
        keep = chunk_new(a->chunk_size);
    keep->next = NULL;
    a->head = keep;
    a->total = 0;
}

void *sl_arena_alloc(sl_arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need < n)
        oom(n);
    chunk *c = a->head;
    if (c->size - c->used < need) {
        size_t size = need > a->chunk_size ? need : a->chunk_size;
        chunk *nc;
        if (size == a->chunk_size && a->spare) {
            nc = a->spare;
            a->spare = nc->next;
            nc->next = NULL;
        } else {
            nc = chunk_new(size);
        }
        if (need > a->chunk_size && c->used < c->size / 2) {
            /* a big one-off: put it behind the current chunk so its free space stays usable */
            nc->next = c->next;
            c->next = nc;
            nc->used = need;
            a->total += need;
            return nc->data;
        }
        nc->next = c;
        a->head = c = nc;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->total += need;
    return p;
}

void *sl_arena_zalloc(sl_arena *a, size_t n)
{
    void *p = sl_arena_alloc(a, n);
    memset(p, 0, n ? n : 1);
    return p;
}

void *sl_arena_realloc(sl_arena *a, void *p, size_t oldn, size_t newn)
{
    if (newn <= oldn)
        return p;
    void *q = sl_arena_alloc(a, newn);
    if (p && oldn)
        memcpy(q, p, oldn);
    return q;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t n)
{
    char *p = sl_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *sl_arena_strdup(sl_arena *a, const char *s)
{
    return sl_arena_strndup(a, s, strlen(s));
}

char *sl_arena_printf(sl_arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = sl_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

size_t sl_arena_used(const sl_arena *a)
{
    return a->total;
}
