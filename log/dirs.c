/*
 * dirs.c: mkdir -p for the log backends (dirs.h).
 */
#include "log/dirs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int sl_log_mkdir_p(const char *dir, const char *what, sl_error *err)
{
    char *p = strdup(dir);
    if (!p)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN, "out of memory");
    /* each parent in turn, then dir itself (the last round, at the NUL) */
    for (char *c = p + 1;; c++) {
        if (*c && *c != '/')
            continue;
        char was = *c;
        *c = 0;
        if (mkdir(p, 0755) && errno != EEXIST) {
            sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "cannot create %s %s: %s", what, p,
                         strerror(errno));
            free(p);
            return -1;
        }
        if (!was)
            break;
        *c = was;
    }
    free(p);
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        return sl_error_set(err, SL_ERR_IO, SL_NOSPAN, "%s %s is not a directory", what, dir);
    return 0;
}
