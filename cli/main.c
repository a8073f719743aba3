/*
 * main.c: the sluice command line: a table of subcommands and the shell.
 *
 *     sluice [options]                 the REPL (statements from stdin when it is not a terminal)
 *     sluice [options] -e SQL          runs the statements and exits
 *     sluice [options] -f FILE         runs a script and exits (- reads stdin)
 *     sluice --server URL [-f FILE]    the same against a worker (cli/remote.c)
 *     sluice run FILE [--until-idle]   the headless worker (cli/run.c)
 *     sluice server [--listen H:P]     the worker with its HTTP API (cli/run.c, server/)
 *     sluice load TOPIC FILE ...       bulk-loads records (cli/load.c)
 *     sluice dump TOPIC ...            writes a topic's records as JSON lines (cli/dump.c)
 *     sluice test -s SQL -i IN -o OUT  ksql-test-runner files (cli/test.c)
 *     sluice dev-broker [--brokers N]  librdkafka's mock cluster (cli/dev_broker.c)
 *
 * A first argument naming a subcommand picks it from `commands` (Redis
 * style: name, handler, synopsis); anything else is the shell. Exit status:
 * 0 success, 1 a statement (or record, or comparison) failed, 2 a usage
 * error. Option parsing only: statements run through the session
 * (engine/exec.h), the REPL lives in repl/.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/exec.h"
#include "repl/repl.h"

enum { EXIT_STATEMENT = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: sluice [options]\n"
    "       sluice COMMAND [args]       (sluice COMMAND --help for its options)\n"
    "\n"
    "Runs SQL statements in ksqlDB's dialect: interactively (the REPL) when\n"
    "neither -e nor -f is given, else the given statements in order.\n"
    "\n"
    "options:\n"
    "  -e, --execute SQL        run these statements (may be repeated)\n"
    "  -f, --file FILE          run the statements in FILE ('-' reads stdin; may be repeated)\n"
    "  -D, --define NAME=VALUE  define a variable for ${NAME} substitution (may be repeated)\n"
    "      --continue           go on after a failed statement (the exit status is still 1)\n"
    "  -d, --data-dir DIR       where the embedded store keeps its data\n"
    "                           (default: $SLUICE_DATA_DIR, else ./sluice-data)\n"
    SL_CLI_CONN_HELP
    "  -o, --output FORMAT      table (default) or json: one JSON document per statement\n"
    "      --server URL         run the statements on the worker at URL (sluice server);\n"
    "                           files are read here and their statements sent\n"
    "      --server-auth USER:PASSWORD  basic auth for the worker ($SLUICE_SERVER_AUTH)\n"
    "      --server-cacert FILE the CA certificate that signed the worker's (https)\n"
    "      --history FILE       the REPL's history file (default: ~/.sluice_history)\n"
    "  -h, --help               show this help and exit\n"
    "  -V, --version            show the version and exit\n"
    "\n"
    "exit status: 0 all statements succeeded, 1 a statement failed, 2 usage error\n"
    "(a bad option or setting, or a Kafka cluster or worker that cannot be reached)\n";

static int help_main(int argc, char **argv);

static const sl_cli_command commands[] = {
    {"run", sl_cli_run, "FILE [--until-idle]",
     "apply FILE, then run every persistent query until SIGTERM (or until idle)"},
    {"server", sl_cli_server, "[--listen HOST:PORT] [--queries-file FILE]",
     "the worker with ksqlDB's REST API: statements, queries and inserts over HTTP"},
    {"load", sl_cli_load, "TOPIC FILE [--format jsonl|csv] [--key F] [--timestamp F]",
     "append a file of records (JSON lines or CSV) to a topic, fast"},
    {"dump", sl_cli_dump, "TOPIC [--from-beginning] [--limit N]",
     "write a topic's records as JSON lines"},
    {"test", sl_cli_test, "-s statements.sql -i input.json -o output.json",
     "run statements on a fresh store, feed inputs, compare outputs (ksql-test-runner files)"},
    {"dev-broker", sl_cli_dev_broker, "[--brokers N] [--port P] [--control-port C]",
     "a mock Kafka cluster on 127.0.0.1 (no Java), with a control endpoint for faults"},
    {"migrate", sl_cli_migrate, "new|create|apply|info|validate ...",
     "versioned deployments (as ksql-migrations), recorded in the engine"},
    {"help", help_main, "[COMMAND]", "this help, or a command's"},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static const sl_cli_command *find_command(const char *name)
{
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void print_usage(FILE *f)
{
    fputs(usage_text, f);
    fputs("\ncommands:\n", f);
    for (int i = 0; i < NCOMMANDS; i++) {
        char head[96];
        snprintf(head, sizeof head, "%s %s", commands[i].name, commands[i].args);
        fprintf(f, "  %s\n      %s\n", head, commands[i].summary);
    }
}

static int help_main(int argc, char **argv)
{
    if (argc > 1) {
        const sl_cli_command *c = find_command(argv[1]);
        if (!c || c->main == help_main) {
            fprintf(stderr, "sluice: no command '%s'\n", argv[1]);
            return EXIT_USAGE;
        }
        char *sub[] = {(char *)c->name, (char *)"--help", NULL};
        return c->main(2, sub);
    }
    print_usage(stdout);
    return 0;
}

typedef struct input {
    char kind;          /* 'e' or 'f' */
    const char *arg;
} input;

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (n + 4096 > cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int run_file(sl_session *s, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "sluice: cannot open %s: %s\n", path, strerror(errno));
        return EXIT_STATEMENT;
    }
    size_t len = 0;
    char *text = read_all(f, &len);
    int saved = errno;
    if (f != stdin)
        fclose(f);
    if (!text) {
        fprintf(stderr, "sluice: cannot read %s: %s\n", path, strerror(saved));
        return EXIT_STATEMENT;
    }
    int rc = sl_session_execute(s, text, len, strcmp(path, "-") == 0 ? "<stdin>" : path);
    free(text);
    return rc ? EXIT_STATEMENT : 0;
}

static char *default_history(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    size_t n = strlen(home) + sizeof "/.sluice_history";
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/.sluice_history", home);
    return p;
}

/* The session: on an engine opened with the configuration layers, or on
 * the catalog alone when the data directory is "" (statements that need
 * the log are refused). NULL with *rc set and the error printed. */
static sl_session *open_session(const sl_session_opts *opts, const sl_cli_conn *cc,
                                sl_engine **engine, int *rc)
{
    sl_error err;
    sl_error_clear(&err);
    sl_session *s = NULL;
    *engine = NULL;
    if (opts->data_dir && !*opts->data_dir && !cc->bootstrap && !cc->config_file) {
        s = sl_session_new(opts, &err);     /* the catalog only */
        if (!s) {
            fprintf(stderr, "sluice: %s\n", err.msg);
            *rc = EXIT_STATEMENT;
        }
        return s;
    }
    sl_config *cfg = sl_cli_config("sluice", cc);
    if (!cfg) {
        *rc = EXIT_USAGE;
        return NULL;
    }
    sl_engine_opts eo = {0};
    eo.config = cfg;
    *engine = sl_engine_open(&eo, &err);
    sl_config_free(cfg);
    if (!*engine) {
        fprintf(stderr, "sluice: %s\n", err.msg);
        *rc = sl_cli_open_status(&err);
        return NULL;
    }
    s = sl_session_open(*engine, opts, &err);
    if (!s) {
        fprintf(stderr, "sluice: %s\n", err.msg);
        sl_engine_close(*engine);
        *engine = NULL;
        *rc = EXIT_STATEMENT;
    }
    return s;
}

enum { OPT_SERVER = 0x300, OPT_SERVER_AUTH, OPT_SERVER_CACERT };

typedef struct remote_opts {
    const char *url;            /* --server */
    const char *auth;           /* --server-auth, else $SLUICE_SERVER_AUTH */
    const char *cacert;         /* --server-cacert */
} remote_opts;

/*
 * --server URL: a catalog-only session whose statements the worker runs
 * (cli/remote.c), the -D variables going with every request. NULL with *rc
 * set and the error printed (EXIT_USAGE when the worker cannot be reached).
 */
static sl_session *open_remote(const sl_session_opts *opts, const sl_cli_conn *cc,
                               const remote_opts *ro, const char **defines, int ndefines,
                               sl_remote **remote, int *rc)
{
    if (cc->data_dir || cc->bootstrap || cc->config_file) {
        fprintf(stderr, "sluice: --server runs statements on the worker: it takes no "
                        "--data-dir, --bootstrap-servers or --config-file\n");
        *rc = EXIT_USAGE;
        return NULL;
    }
    const char *auth = ro->auth ? ro->auth : getenv("SLUICE_SERVER_AUTH");
    *remote = sl_remote_new(ro->url, auth, ro->cacert, opts->output, opts->out, opts->err);
    if (!*remote || sl_remote_ping(*remote) != 0) {
        *rc = EXIT_USAGE;
        return NULL;
    }
    sl_remote_set_keep_going(*remote, opts->keep_going);
    for (int i = 0; i < ndefines; i++) {
        const char *eq = strchr(defines[i], '=');
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - defines[i]), defines[i]);
        sl_remote_define(*remote, name, eq + 1);
    }
    sl_session_opts local = *opts;
    local.data_dir = "";        /* the catalog only: nothing runs here */
    sl_error err;
    sl_error_clear(&err);
    sl_session *s = sl_session_new(&local, &err);
    if (!s) {
        fprintf(stderr, "sluice: %s\n", err.msg);
        *rc = EXIT_STATEMENT;
        return NULL;
    }
    sl_session_set_executor(s, sl_remote_execute, *remote);
    return s;
}

static int shell_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"execute", required_argument, NULL, 'e'},
        {"file", required_argument, NULL, 'f'},
        {"define", required_argument, NULL, 'D'},
        {"data-dir", required_argument, NULL, 'd'},
        SL_CLI_CONN_LONGOPTS,
        {"output", required_argument, NULL, 'o'},
        {"history", required_argument, NULL, 'H'},
        {"continue", no_argument, NULL, 'C'},
        {"server", required_argument, NULL, OPT_SERVER},
        {"server-auth", required_argument, NULL, OPT_SERVER_AUTH},
        {"server-cacert", required_argument, NULL, OPT_SERVER_CACERT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    sl_session_opts opts = {0};
    opts.output = SL_OUTPUT_TABLE;
    sl_cli_conn cc = {0};
    const char *history = NULL;
    sl_engine *engine = NULL;
    remote_opts ro = {0};
    sl_remote *remote = NULL;
    input *inputs = calloc((size_t)argc, sizeof *inputs);
    const char **defines = calloc((size_t)argc, sizeof *defines);
    int ninputs = 0, ndefines = 0;
    if (!inputs || !defines) {
        fprintf(stderr, "sluice: out of memory\n");
        return EXIT_USAGE;
    }

    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, "e:f:D:d:o:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
        case 'f':
            inputs[ninputs].kind = (char)c;
            inputs[ninputs++].arg = optarg;
            break;
        case 'D':
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                fprintf(stderr, "sluice: -D wants NAME=VALUE, got '%s'\n", optarg);
                rc = EXIT_USAGE;
                break;
            }
            defines[ndefines++] = optarg;
            break;
        case 'd':
            opts.data_dir = cc.data_dir = optarg;
            break;
        case SL_OPT_BOOTSTRAP:
        case SL_OPT_CONFIG_FILE:
            sl_cli_conn_option(&cc, c, optarg);
            break;
        case 'o':
            if (!strcmp(optarg, "table"))
                opts.output = SL_OUTPUT_TABLE;
            else if (!strcmp(optarg, "json"))
                opts.output = SL_OUTPUT_JSON;
            else {
                fprintf(stderr, "sluice: --output wants table or json, got '%s'\n", optarg);
                rc = EXIT_USAGE;
            }
            break;
        case 'H':
            history = optarg;
            break;
        case 'C':
            opts.keep_going = true;
            break;
        case OPT_SERVER: ro.url = optarg; break;
        case OPT_SERVER_AUTH: ro.auth = optarg; break;
        case OPT_SERVER_CACERT: ro.cacert = optarg; break;
        case 'h':
            print_usage(stdout);
            goto done;
        case 'V':
            printf("sluice %s\n", SLUICE_VERSION);
            goto done;
        default:
            print_usage(stderr);
            rc = EXIT_USAGE;
        }
    }
    if (rc == 0 && optind < argc) {
        if (find_command(argv[optind]))
            fprintf(stderr, "sluice: the command goes first: sluice %s [options]\n",
                    argv[optind]);
        else
            fprintf(stderr, "sluice: unexpected argument '%s' (statements go after -e)\n",
                    argv[optind]);
        print_usage(stderr);
        rc = EXIT_USAGE;
    }
    if (rc != 0)
        goto done;

    sl_error err;
    sl_error_clear(&err);
    sl_session *s = ro.url ? open_remote(&opts, &cc, &ro, defines, ndefines, &remote, &rc)
                           : open_session(&opts, &cc, &engine, &rc);
    if (!s)
        goto done;
    for (int i = 0; i < ndefines && rc == 0 && !remote; i++) {
        char *eq = strchr(defines[i], '=');
        *eq = '\0';
        if (sl_session_define(s, defines[i], eq + 1, &err) != 0) {
            fprintf(stderr, "sluice: -D %s: %s\n", defines[i], err.msg);
            rc = EXIT_USAGE;
        }
    }
    for (int i = 0; i < ninputs && (rc == 0 || (opts.keep_going && rc == EXIT_STATEMENT)); i++) {
        int r = inputs[i].kind == 'e'
                    ? (sl_session_execute(s, inputs[i].arg, strlen(inputs[i].arg),
                                          "<command line>") ? EXIT_STATEMENT : 0)
                    : run_file(s, inputs[i].arg);
        if (r)
            rc = r;
    }
    if (rc == 0 && ninputs == 0) {
        char *hist = history ? NULL : default_history();
        if (remote)
            sl_repl_set_names(sl_remote_names, remote);
        rc = sl_repl_run(s, history ? history : hist) ? EXIT_STATEMENT : 0;
        free(hist);
    }
    if (remote && sl_remote_unreachable(remote))
        rc = EXIT_USAGE;
    sl_session_free(s);
    sl_engine_close(engine);
done:
    sl_remote_free(remote);
    free(inputs);
    free(defines);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        const sl_cli_command *c = find_command(argv[1]);
        if (c) {
            optind = 1;     /* each subcommand runs its own getopt over argv + 1 */
            return c->main(argc - 1, argv + 1);
        }
    }
    return shell_main(argc, argv);
}
