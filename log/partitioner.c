/*
 * partitioner.c: murmur2 as Kafka's Java client computes it, and the
 * default partition for a keyed record.
 *
 * Does: the hash and the modulo, on unsigned 32-bit arithmetic so nothing
 * overflows a signed type (Java's int wraps; uint32_t gives the same bits).
 * Does not: round-robin for null keys (log/embedded.c keeps that counter).
 */
#include "log/partitioner.h"

int32_t sl_partitioner_murmur2(const void *data, size_t len)
{
    const unsigned char *p = data;
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    /* Java's length is an int: only its low 32 bits enter the seed. */
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t blocks = len / 4;

    for (size_t i = 0; i < blocks; i++) {
        const unsigned char *b = p + i * 4;
        uint32_t k = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                     (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const unsigned char *tail = (len & 3) ? p + blocks * 4 : p;
    switch (len & 3) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)tail[0];
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;      /* same bits as Java's int: implementation-defined, two's complement in gcc */
}

int32_t sl_partitioner_for_key(const void *key, size_t len, int32_t partitions)
{
    if (partitions <= 0)
        return -1;
    uint32_t h = (uint32_t)sl_partitioner_murmur2(key, len) & 0x7fffffffu;
    return (int32_t)(h % (uint32_t)partitions);
}
