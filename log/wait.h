/*
 * wait.h: the commit counter wait both log backends share (log.h's
 * sl_log_wait_since): a condition variable on the monotonic clock, and a
 * wait until a counter guarded by a mutex moves.
 * Does not: own the mutex, the condition or the counter (the backend does).
 */
#ifndef SL_LOG_WAIT_H
#define SL_LOG_WAIT_H

#include <pthread.h>
#include <stdint.h>

/* Initializes cv to time out on CLOCK_MONOTONIC (what sl_log_wait_change uses). */
void sl_log_cond_init(pthread_cond_t *cv);
/* Locks mu and waits on cv until *counter differs from seq or timeout_ms
 * passes (< 0: no timeout). 1 when it moved, 0 on timeout. */
int sl_log_wait_change(pthread_mutex_t *mu, pthread_cond_t *cv, const uint64_t *counter,
                       uint64_t seq, int timeout_ms);

#endif
