/*
 * crc32c.h: RocksDB's CRC32C on the CPU's crc32 instruction (log/crc32c.c).
 *
 * Does: nothing to call on the write path: the file replaces RocksDB's
 * rocksdb::crc32c::Extend for the whole process once it is linked in.
 * Does not: change a single checksum bit (see crc32c.c).
 */
#ifndef SL_LOG_CRC32C_H
#define SL_LOG_CRC32C_H

#include <stdbool.h>

/* Whether RocksDB's CRC32C runs on the crc32 instruction in this process
 * (false on other CPUs, with SLUICE_SOFTWARE_CRC32C set, or if the self-check
 * failed). The embedded log calls it when it opens, which also links
 * crc32c.c into every program that uses the log. */
bool sl_crc32c_hardware(void);

#endif
