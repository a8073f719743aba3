/*
 * partitioner.h: Kafka's default partitioner for keyed records.
 *
 * Does: murmur2 exactly as the Java client's Utils.murmur2 (seed
 * 0x9747b28c, little-endian 4-byte blocks, signed 32-bit result), and the
 * partition choice (murmur2(key) & 0x7fffffff) % partitions over the
 * serialized key bytes, so a key lands on the same partition whether it is
 * written through sluice's embedded log, librdkafka or the Java producer.
 * Does not: choose partitions for null keys (the log does round-robin for
 * those, see log.h) or serialize keys (formats/ does).
 */
#ifndef SL_PARTITIONER_H
#define SL_PARTITIONER_H

#include <stddef.h>
#include <stdint.h>

/* Java's Utils.murmur2(byte[]): the same signed 32-bit value. */
int32_t sl_partitioner_murmur2(const void *data, size_t len);

/* (murmur2(key) & 0x7fffffff) % partitions; partitions must be > 0
 * (returns -1 otherwise). key may be NULL when len is 0. */
int32_t sl_partitioner_for_key(const void *key, size_t len, int32_t partitions);

#endif
