/*
 * repl.h: the interactive shell.
 *
 * Reads statements line by line, runs each complete one through the
 * session (sl_session_execute) and goes on after errors. On a terminal it
 * edits lines with libedit: prompts, history, tab completion of keywords,
 * function names, stream/table names and column names. When stdin is not
 * a terminal it reads plain lines without prompts, so input can be piped.
 */
#ifndef SL_REPL_H
#define SL_REPL_H

#include <stdio.h>
#include "../engine/exec.h"

/*
 * Runs the REPL on stdin until `exit`, `quit` or end of input. history_path
 * may be NULL (no history file). Returns 0, or 1 when stdin is not a
 * terminal and a statement failed (so a piped script has an exit status).
 */
int sl_repl_run(sl_session *s, const char *history_path);

/*
 * The same loop on any stream, without line editing: `prompts` (may be
 * NULL) receives the prompts. Returns 0, or 1 when a statement failed.
 */
int sl_repl_run_stream(sl_session *s, FILE *in, FILE *prompts);

/*
 * Completion candidates for the word being typed (keywords, functions,
 * sources, columns), sorted, without duplicates, in lower case when the
 * prefix is written in lower case. Returns a malloc'd NULL-terminated array
 * of malloc'd strings (free with sl_repl_completions_free); *n gets the count.
 */
char **sl_repl_completions(sl_session *s, const char *prefix, int *n);
void sl_repl_completions_free(char **list);

/*
 * Names that completion offers besides the session catalog's: a worker's
 * streams, tables, columns and types for `sluice --server URL`, whose local
 * catalog is empty. fn returns a NULL-terminated list that stays the
 * provider's (valid until its next call; NULL: none); fn NULL removes it.
 * One provider per process, as there is one REPL.
 */
typedef const char *const *(*sl_repl_names_fn)(void *ud);
void sl_repl_set_names(sl_repl_names_fn fn, void *ud);

#endif
