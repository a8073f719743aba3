/*
 * dirs.h: directories the log backends make for themselves (the embedded
 * log's data directory, the Kafka log's local state directory).
 * Does not: lock, remove or clean directories (the backend does).
 */
#ifndef SL_LOG_DIRS_H
#define SL_LOG_DIRS_H

#include "engine/error.h"

/* Creates directory dir and its missing parents (mkdir -p, mode 0755 before
 * the umask); 0 also when it exists. -1 with err
 * "cannot create WHAT DIR: REASON" or "WHAT DIR is not a directory" (what
 * says what it is for, e.g. "the data directory"). */
int sl_log_mkdir_p(const char *dir, const char *what, sl_error *err);

#endif
