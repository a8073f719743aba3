/*
 * repl.c: the interactive shell on libedit.
 *
 * Does: prompt (`sluice> `, then `   ...> ` while a statement is open),
 * gather lines until sl_text_complete says a statement is complete, run it
 * through the session, keep going after errors; `help`, `exit`, `quit` and
 * Ctrl-D; a history file; tab completion of keywords, function names,
 * stream/table names and column names (of the local catalog, or of the
 * names provider: a worker's). Without a terminal on stdin, plain
 * lines are read without prompts or editing. Ctrl-C at the prompt does
 * nothing (Ctrl-D or `exit` leave); while a push query or PRINT runs, the
 * session catches it and ends that query only, back to the prompt.
 *
 * Does not: render results (the session does), parse statements beyond
 * asking whether the buffer is complete.
 */
#include "repl.h"

#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <editline/readline.h>

#include "../engine/buf.h"
#include "../engine/catalog.h"
#include "../engine/func.h"
#include "../grammar/parse.h"

#define PROMPT "sluice> "
#define PROMPT_MORE "   ...> "

static const char HELP[] =
    "Statements end with ';' and may span several lines. Some to try:\n"
    "  SELECT 1 + 2 AS x, UCASE('a');            constant expressions\n"
    "  CREATE STREAM s (id INT KEY, v VARCHAR)\n"
    "    WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);\n"
    "  INSERT INTO s (id, v) VALUES (1, 'a');\n"
    "  SELECT * FROM s EMIT CHANGES [LIMIT n];    rows as they arrive (Ctrl-C ends it)\n"
    "  SELECT * FROM s WHERE id > 0;              what the stream holds now\n"
    "  CREATE STREAM s2 AS SELECT v FROM s WHERE id > 1 PARTITION BY v;\n"
    "  SHOW QUERIES;  TERMINATE <query id>;  PRINT 's' FROM BEGINNING;\n"
    "  CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR) WITH (...);\n"
    "  SHOW STREAMS | TABLES | TYPES | FUNCTIONS | VARIABLES | PROPERTIES;\n"
    "  DESCRIBE s;  DESCRIBE FUNCTION substring;\n"
    "  DEFINE name = 'value';  then ${name} in later statements\n"
    "  SET 'auto.offset.reset' = 'earliest';  UNSET 'auto.offset.reset';\n"
    "  CREATE TYPE address AS STRUCT<street VARCHAR, city VARCHAR>;\n"
    "  RUN SCRIPT 'file.sql';\n"
    "Commands: help, exit, quit (or Ctrl-D). Tab completes keywords, functions,\n"
    "streams, tables and columns.\n";

/* ---- completion ---- */

typedef struct names {
    char **v;
    int n, cap;
} names;

static void names_add(names *ns, const char *s, const char *prefix, size_t plen, bool lower)
{
    if (!s || strncasecmp(s, prefix, plen) != 0)
        return;
    if (ns->n + 1 >= ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 64;
        ns->v = realloc(ns->v, (size_t)ns->cap * sizeof *ns->v);
        if (!ns->v)
            abort();
    }
    char *c = strdup(s);
    if (!c)
        abort();
    if (lower)
        for (char *p = c; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    ns->v[ns->n++] = c;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static sl_repl_names_fn g_names_fn;
static void *g_names_ud;

void sl_repl_set_names(sl_repl_names_fn fn, void *ud)
{
    g_names_fn = fn;
    g_names_ud = ud;
}

char **sl_repl_completions(sl_session *s, const char *prefix, int *n)
{
    names ns = {0};
    size_t plen = strlen(prefix);
    bool lower = false, upper = false;
    for (const char *p = prefix; *p; p++) {
        lower |= islower((unsigned char)*p) != 0;
        upper |= isupper((unsigned char)*p) != 0;
    }
    bool to_lower = lower && !upper;
    const char *const *kws = sl_keywords();
    for (int i = 0; kws && kws[i]; i++)
        names_add(&ns, kws[i], prefix, plen, to_lower);
    const sl_registry *reg = sl_registry_builtin();
    for (int i = 0; i < sl_registry_count(reg); i++)
        names_add(&ns, sl_registry_at(reg, i)->name, prefix, plen, to_lower);
    sl_catalog *cat = sl_session_catalog(s);
    for (int i = 0; i < sl_catalog_source_count(cat); i++) {
        const sl_source *src = sl_catalog_source_at(cat, i);
        names_add(&ns, src->name, prefix, plen, to_lower);
        for (int c = 0; c < src->schema.ncols; c++)
            names_add(&ns, src->schema.cols[c].name, prefix, plen, to_lower);
    }
    for (int i = 0; i < sl_catalog_type_count(cat); i++)
        names_add(&ns, sl_catalog_type_at(cat, i)->name, prefix, plen, to_lower);
    const char *const *extra = g_names_fn ? g_names_fn(g_names_ud) : NULL;
    for (int i = 0; extra && extra[i]; i++)
        names_add(&ns, extra[i], prefix, plen, to_lower);
    if (ns.n > 1)
        qsort(ns.v, (size_t)ns.n, sizeof *ns.v, cmp_str);
    int k = 0;
    for (int i = 0; i < ns.n; i++) {
        if (k > 0 && strcmp(ns.v[k - 1], ns.v[i]) == 0) {
            free(ns.v[i]);
            continue;
        }
        ns.v[k++] = ns.v[i];
    }
    if (!ns.v) {
        ns.v = malloc(sizeof *ns.v);
        if (!ns.v)
            abort();
    }
    ns.v[k] = NULL;
    if (n)
        *n = k;
    return ns.v;
}

void sl_repl_completions_free(char **list)
{
    if (!list)
        return;
    for (char **p = list; *p; p++)
        free(*p);
    free(list);
}

/* libedit's completion callbacks carry no user pointer: the session of the
 * running REPL (there is one per process). */
static sl_session *g_session;
static char **g_matches;
static int g_next;

static char *generator(const char *text, int state)
{
    if (state == 0) {
        sl_repl_completions_free(g_matches);
        g_matches = sl_repl_completions(g_session, text, NULL);
        g_next = 0;
    }
    if (!g_matches || !g_matches[g_next])
        return NULL;
    return strdup(g_matches[g_next++]);
}

static char **complete(const char *text, int start, int end)
{
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1;   /* no file-name completion */
    return rl_completion_matches(text, generator);
}

/* ---- the loop ---- */

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/* `help`, `exit`, `quit`, with an optional ';'. Returns 1 help, 2 exit, 0 none. */
static int command(const char *line)
{
    while (isspace((unsigned char)*line))
        line++;
    size_t n = strlen(line);
    while (n > 0 && (isspace((unsigned char)line[n - 1]) || line[n - 1] == ';'))
        n--;
    if (n == 4 && strncasecmp(line, "help", 4) == 0)
        return 1;
    if ((n == 4 && strncasecmp(line, "exit", 4) == 0) ||
        (n == 4 && strncasecmp(line, "quit", 4) == 0))
        return 2;
    return 0;
}

typedef struct loop {
    sl_session *s;
    sl_buf buf;             /* the statement being typed */
    int failed;
    const char *history;    /* NULL: no history */
    bool editing;
} loop;

/* Feeds one line; returns false when the REPL should end. */
static bool feed(loop *lp, const char *line, FILE *out)
{
    if (lp->buf.len == 0 || blank(sl_buf_cstr(&lp->buf))) {
        int c = command(line);
        if (c == 1) {
            fputs(HELP, out);
            fflush(out);
            sl_buf_reset(&lp->buf);
            return true;
        }
        if (c == 2)
            return false;
    }
    sl_buf_puts(&lp->buf, line);
    sl_buf_putc(&lp->buf, '\n');
    const char *text = sl_buf_cstr(&lp->buf);
    if (!sl_text_complete(text, lp->buf.len))
        return true;
    if (!blank(text)) {
        if (lp->editing) {
            /* one history entry per statement, on one line */
            char *h = strdup(text);
            if (h) {
                for (char *p = h; *p; p++)
                    if (*p == '\n' || *p == '\r')
                        *p = ' ';
                size_t n = strlen(h);
                while (n > 0 && h[n - 1] == ' ')
                    h[--n] = '\0';
                add_history(h);
                free(h);
                if (lp->history)
                    write_history(lp->history);
            }
        }
        if (sl_session_execute(lp->s, text, lp->buf.len, "<stdin>") != 0)
            lp->failed = 1;
    }
    sl_buf_reset(&lp->buf);
    return true;
}

static void finish(loop *lp, bool run_rest)
{
    /* piped input: an unterminated last statement still runs, as a script's would */
    if (run_rest && lp->buf.len && !blank(sl_buf_cstr(&lp->buf))) {
        if (sl_session_execute(lp->s, sl_buf_cstr(&lp->buf), lp->buf.len, "<stdin>") != 0)
            lp->failed = 1;
    }
    sl_buf_fini(&lp->buf);
}

int sl_repl_run_stream(sl_session *s, FILE *in, FILE *prompts)
{
    loop lp = {0};
    lp.s = s;
    sl_buf_init(&lp.buf);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    for (;;) {
        if (prompts) {
            fputs(lp.buf.len ? PROMPT_MORE : PROMPT, prompts);
            fflush(prompts);
        }
        if ((got = getline(&line, &cap, in)) < 0)
            break;
        if (got > 0 && line[got - 1] == '\n')
            line[--got] = '\0';
        if (got > 0 && line[got - 1] == '\r')
            line[--got] = '\0';
        if (!feed(&lp, line, sl_session_out(s)))
            break;
    }
    free(line);
    finish(&lp, true);
    return lp.failed;
}

int sl_repl_run(sl_session *s, const char *history_path)
{
    if (!isatty(STDIN_FILENO))
        return sl_repl_run_stream(s, stdin, NULL);

    static char breaks[] = " \t\n\"'`(),;=<>+-*/%|[]";
    g_session = s;
    rl_readline_name = "sluice";
    rl_attempted_completion_function = complete;
    rl_completer_word_break_characters = breaks;
    using_history();
    stifle_history(2000);
    if (history_path)
        read_history(history_path);

    loop lp = {0};
    lp.s = s;
    lp.history = history_path;
    lp.editing = true;
    sl_buf_init(&lp.buf);
    struct sigaction ign, old_int;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    printf("sluice %s: SQL over streams, in ksqlDB's dialect. Type 'help' for help, "
           "'exit' to leave.\n", SLUICE_VERSION);
    fflush(stdout);
    for (;;) {
        char *line = readline(lp.buf.len ? PROMPT_MORE : PROMPT);
        if (!line) {
            putchar('\n');
            break;
        }
        bool go = feed(&lp, line, sl_session_out(s));
        free(line);
        if (!go)
            break;
    }
    finish(&lp, false);
    sigaction(SIGINT, &old_int, NULL);
    if (history_path)
        write_history(history_path);
    sl_repl_completions_free(g_matches);
    g_matches = NULL;
    g_session = NULL;
    return 0;
}
