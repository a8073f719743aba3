/*
 * fuzz_parse.c: libFuzzer target over parsing and analysis.
 *
 * Each input is run as a script through a fresh session (parse, check
 * against the catalog, execute what is in memory), with its output thrown
 * away. Anything the sanitizers or the fuzzer catch is a bug; inputs that
 * found one join fuzz/corpus/ so they are replayed by the test command.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *sink = fopen("/dev/null", "w");
    if (!sink)
        return 0;
    sl_session_opts opts = {0};
    opts.output = (size & 1) ? SL_OUTPUT_JSON : SL_OUTPUT_TABLE;
    opts.data_dir = "";     /* catalog only: no log, no files */
    opts.out = sink;
    opts.err = sink;
    sl_error err;
    sl_error_clear(&err);
    sl_session *s = sl_session_new(&opts, &err);
    if (s) {
        /* a NUL-terminated copy: the parser must not rely on it, but callers may */
        char *text = malloc(size + 1);
        if (text) {
            memcpy(text, data, size);
            text[size] = '\0';
            sl_session_execute(s, text, size, "<fuzz>");
            free(text);
        }
        sl_session_free(s);
    }
    fclose(sink);
    return 0;
}
