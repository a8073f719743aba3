/*
 * raw_keys.c: byte-key helpers of the raw keyspaces (raw_keys.h).
 */
#include "log/raw_keys.h"

#include <stdlib.h>
#include <string.h>

int sl_raw_check_space(const char *space, size_t max_len, sl_error *err)
{
    if (!space || !*space || (max_len && strlen(space) > max_len) ||
        !strcmp(space, "default") || !strcmp(space, "records"))
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "invalid keyspace name '%s'",
                            space ? space : "");
    return 0;
}

int sl_raw_check_bytes(const void *p, size_t len, const char *what, sl_error *err)
{
    if (!p && len)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "%s: NULL with length %zu",
                            what, len);
    return 0;
}

int sl_raw_bytes_cmp(const void *a, size_t al, const void *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

uint8_t *sl_raw_prefix_successor(const void *p, size_t len, size_t *out_len)
{
    const uint8_t *b = p;
    size_t n = len;
    while (n && b[n - 1] == 0xFF)
        n--;
    if (!n)
        return NULL;
    uint8_t *s = malloc(n);
    if (!s)
        abort();
    memcpy(s, b, n);
    s[n - 1]++;
    *out_len = n;
    return s;
}
