/*
 * wait.c: the commit counter wait of the log backends (wait.h).
 */
#include "log/wait.h"

#include <errno.h>
#include <time.h>

void sl_log_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

int sl_log_wait_change(pthread_mutex_t *mu, pthread_cond_t *cv, const uint64_t *counter,
                       uint64_t seq, int timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    if (timeout_ms >= 0) {
        dl.tv_sec += timeout_ms / 1000;
        dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(mu);
    while (*counter == seq) {
        int rc = timeout_ms >= 0 ? pthread_cond_timedwait(cv, mu, &dl) : pthread_cond_wait(cv, mu);
        if (rc == ETIMEDOUT)
            break;
    }
    int changed = *counter != seq;
    pthread_mutex_unlock(mu);
    return changed;
}
