/*
 * prefix.h: a log seen through name prefixes.
 *
 * Does: wraps a log (log.h) so that every topic name its users pass gets
 * topic_prefix in front, and every position group gets group_prefix, and
 * names coming back (list_topics, describe) lose the topic prefix again;
 * topics without it are invisible. Used for:
 *  - the service id on Kafka: consumer positions of query Q are kept under
 *    group GROUP_PREFIX + Q, so two services never share a position;
 *  - `sluice test --bootstrap-servers`: every topic of a run is named
 *    PREFIX + name on the cluster, unique per run, while statements and
 *    expected files use the plain names.
 * Does not: rename anything inside records, or keyspaces of the raw state
 * API (passed through unchanged).
 */
#ifndef SL_LOG_PREFIX_H
#define SL_LOG_PREFIX_H

#include "log/log.h"

/*
 * The wrapper; takes ownership of inner (closed with it). Either prefix
 * may be NULL or "" (unchanged). NULL with err on a prefix that is not
 * made of [A-Za-z0-9._-].
 */
sl_log *sl_log_open_prefixed(sl_log *inner, const char *topic_prefix, const char *group_prefix,
                             sl_error *err);
/* The wrapped log, or log itself when it is not a wrapper. */
sl_log *sl_log_prefixed_inner(sl_log *log);

#endif
