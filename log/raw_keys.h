/*
 * raw_keys.h: byte-key helpers shared by the raw keyspaces of both log
 * backends (log/embedded_raw.c, log/kafka_state.c).
 *
 * Does: argument checks of the raw-keyspace calls, memcmp order of byte
 * strings, and the successor of a key prefix (the exclusive upper bound of
 * "every key starting with p").
 * Does not: touch RocksDB or Kafka.
 */
#ifndef SL_LOG_RAW_KEYS_H
#define SL_LOG_RAW_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "../engine/error.h"

/* -1 with err unless space names a raw keyspace: non-empty, at most
 * max_len bytes (0: any length), not "default" or "records". */
int sl_raw_check_space(const char *space, size_t max_len, sl_error *err);
/* -1 with err when p is NULL with a non-zero length (what names it). */
int sl_raw_check_bytes(const void *p, size_t len, const char *what, sl_error *err);
/* memcmp order, the shorter string first on a common prefix. */
int sl_raw_bytes_cmp(const void *a, size_t al, const void *b, size_t bl);
/* The smallest key greater than every key starting with p[0..len): p with
 * its trailing 0xFF bytes dropped and the last byte incremented, in a new
 * malloc'ed buffer; NULL when p is empty or all 0xFF (there is none).
 * Aborts when out of memory. */
uint8_t *sl_raw_prefix_successor(const void *p, size_t len, size_t *out_len);

#endif
