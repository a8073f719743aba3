/*
 * load.c: `sluice load TOPIC FILE`, bulk appends of records to a topic.
 *
 * Does: reads FILE (JSON lines, or CSV records with RFC 4180 quoting) and
 * appends each line as the value of one record, in large transactions
 * (10,000 records per commit unless --batch says otherwise), creating the
 * topic with --partitions (default 1) if it is missing. The key can come
 * from a field (--key) and the timestamp from a field (--timestamp, epoch
 * ms); otherwise keys are null (records go round-robin) and the timestamp
 * is the time of the load. Prints records/s.
 *
 * Field lookup in JSON lines is a scan of the top-level object (names match
 * case-insensitively, as ksqlDB's JSON columns do), not a full parse: a
 * value is stored as the bytes of its line, and a malformed value is the
 * business of the query that reads it (its processing log). A line whose
 * key or timestamp field cannot be read is skipped, reported with its line
 * number and counted, and the exit status is 1; so is a record the log
 * refuses (a Kafka topic refuses timestamps too far from its clock).
 *
 * Does not: validate values against a stream's schema, or go through the
 * engine: it opens the log of the data directory alone (so it cannot run
 * while another process owns that directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/config.h"
#include "log/log.h"

static const char load_usage[] =
    "usage: sluice load TOPIC FILE [options]\n"
    "\n"
    "Appends every line of FILE ('-' reads stdin) to TOPIC as one record's\n"
    "value: JSON lines as they are, CSV records as DELIMITED values. Creates\n"
    "the topic when it is missing.\n"
    "\n"
    "options:\n"
    "  -F, --format jsonl|csv   the file's format (default: csv for *.csv, else jsonl)\n"
    "  -k, --key FIELD          the key comes from this field (JSON: a field name;\n"
    "                           CSV: a 1-based column number, or a name with --header)\n"
    "      --key-format F       how the key is written: kafka (default) or json\n"
    "      --key-type T         for kafka keys: string (default), int, bigint or double\n"
    "  -T, --timestamp FIELD    the timestamp (epoch ms) comes from this field\n"
    "                           (default: the time of the load)\n"
    "  -p, --partitions N       partitions when the topic is created (default 1)\n"
    "      --retention-ms MS    retention.ms when the topic is created (default 7\n"
    "                           days; -1 keeps records for ever: historical data\n"
    "                           older than the retention is deleted within a minute)\n"
    "      --header             CSV: the first line names the columns (not loaded)\n"
    "      --delimiter C        CSV: the field delimiter (default ',')\n"
    "  -b, --batch N            records per commit (default 10000)\n"
    "  -d, --data-dir DIR       the data directory ($SLUICE_DATA_DIR, else ./sluice-data)\n"
    SL_CLI_CONN_HELP
    "  -q, --quiet              do not print the rate\n"
    "  -h, --help               show this help\n"
    "\n"
    "exit status: 0 every line loaded, 1 a line was skipped or the load failed,\n"
    "2 usage error\n";

typedef enum { KEYT_STRING, KEYT_INT, KEYT_BIGINT, KEYT_DOUBLE } key_type;

typedef struct load_opts {
    bool csv, header, json_key;
    key_type ktype;
    const char *key_field, *ts_field;
    int key_col, ts_col;        /* CSV: 0-based, -1 none */
    char delim;
} load_opts;

/* ---- JSON: a scan of one object's top level ---- */

static size_t skip_ws(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i;
}

/* i at an opening quote; returns the index after the closing one, or 0. */
static size_t skip_string(const char *p, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return 0;
}

/* Index after the JSON value starting at i, or 0 when malformed. */
static size_t skip_value(const char *p, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    if (p[i] == '"')
        return skip_string(p, n, i);
    if (p[i] == '{' || p[i] == '[') {
        int depth = 0;
        while (i < n) {
            char c = p[i];
            if (c == '"') {
                i = skip_string(p, n, i);
                if (!i)
                    return 0;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return 0;
    }
    size_t s = i;
    while (i < n && !strchr(",}] \t\r\n", p[i]))
        i++;
    return i > s ? i : 0;
}

/* 1: field found, value at [*vs, *vs + *vl); 0: not there; -1: not an object. */
static int json_field(const char *p, size_t n, const char *name, const char **vs, size_t *vl)
{
    size_t nl = strlen(name);
    size_t i = skip_ws(p, n, 0);
    if (i >= n || p[i] != '{')
        return -1;
    i = skip_ws(p, n, i + 1);
    if (i < n && p[i] == '}')
        return 0;
    while (i < n) {
        if (p[i] != '"')
            return -1;
        size_t ke = skip_string(p, n, i);
        if (!ke)
            return -1;
        bool match = ke - i - 2 == nl && strncasecmp(p + i + 1, name, nl) == 0;
        i = skip_ws(p, n, ke);
        if (i >= n || p[i] != ':')
            return -1;
        i = skip_ws(p, n, i + 1);
        size_t ve = skip_value(p, n, i);
        if (!ve)
            return -1;
        if (match) {
            *vs = p + i;
            *vl = ve - i;
            return 1;
        }
        i = skip_ws(p, n, ve);
        if (i < n && p[i] == '}')
            return 0;
        if (i >= n || p[i] != ',')
            return -1;
        i = skip_ws(p, n, i + 1);
    }
    return -1;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return -1;
    }
    return v;
}

static void put_utf8(sl_buf *b, uint32_t cp)
{
    char u[4];
    if (cp < 0x80) {
        sl_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 63));
        sl_buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 63));
        u[2] = (char)(0x80 | (cp & 63));
        sl_buf_append(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 63));
        u[2] = (char)(0x80 | ((cp >> 6) & 63)); u[3] = (char)(0x80 | (cp & 63));
        sl_buf_append(b, u, 4);
    }
}

/* The text of a JSON string token s[0..n) (quotes included) into b; false if malformed. */
static bool json_unescape(sl_buf *b, const char *s, size_t n)
{
    for (size_t i = 1; i + 1 < n; i++) {
        char c = s[i];
        if (c != '\\') {
            sl_buf_putc(b, c);
            continue;
        }
        if (++i >= n - 1)
            return false;
        switch (s[i]) {
        case '"': sl_buf_putc(b, '"'); break;
        case '\\': sl_buf_putc(b, '\\'); break;
        case '/': sl_buf_putc(b, '/'); break;
        case 'b': sl_buf_putc(b, '\b'); break;
        case 'f': sl_buf_putc(b, '\f'); break;
        case 'n': sl_buf_putc(b, '\n'); break;
        case 'r': sl_buf_putc(b, '\r'); break;
        case 't': sl_buf_putc(b, '\t'); break;
        case 'u': {
            if (i + 4 >= n)
                return false;
            int hi = hex4(s + i + 1);
            if (hi < 0)
                return false;
            i += 4;
            uint32_t cp = (uint32_t)hi;
            if (hi >= 0xD800 && hi <= 0xDBFF && i + 6 < n && s[i + 1] == '\\' &&
                s[i + 2] == 'u') {
                int lo = hex4(s + i + 3);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                    i += 6;
                }
            }
            put_utf8(b, cp);
            break;
        }
        default:
            return false;
        }
    }
    return true;
}

/* ---- CSV ---- */

/* End of the CSV record starting at i (index of its '\n', or n), quotes respected. */
static size_t csv_record_end(const char *p, size_t n, size_t i)
{
    bool q = false;
    for (; i < n; i++) {
        if (p[i] == '"')
            q = !q;
        else if (p[i] == '\n' && !q)
            return i;
    }
    return n;
}

/* Field col (0-based) of the record p[0..n), unquoted, into b. false: no such column. */
static bool csv_field(const char *p, size_t n, char delim, int col, sl_buf *b)
{
    size_t i = 0;
    for (int c = 0;; c++) {
        bool quoted = i < n && p[i] == '"';
        if (c == col)
            sl_buf_reset(b);
        if (quoted) {
            for (i++; i < n; i++) {
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        if (c == col)
                            sl_buf_putc(b, '"');
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
                if (c == col)
                    sl_buf_putc(b, p[i]);
            }
        }
        while (i < n && p[i] != delim) {
            if (c == col)
                sl_buf_putc(b, p[i]);
            i++;
        }
        if (c == col)
            return true;
        if (i >= n)
            return false;
        i++;    /* the delimiter */
    }
}

static int csv_column_index(const char *hdr, size_t n, char delim, const char *name, sl_buf *b)
{
    int64_t num;
    if (sl_cli_parse_int(name, 1, 100000, &num))
        return (int)num - 1;
    if (!hdr)
        return -2;
    for (int c = 0; csv_field(hdr, n, delim, c, b); c++)
        if (!strcasecmp(sl_buf_cstr(b), name))
            return c;
    return -3;
}

/* ---- keys and timestamps ---- */

/* A field's text as an integer (a JSON number or a string of digits). */
static bool text_int(const char *s, size_t n, int64_t *out)
{
    char tmp[64];
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return sl_cli_parse_int(tmp, INT64_MIN, INT64_MAX, out);
}

static bool text_double(const char *s, size_t n, double *out)
{
    char tmp[64];
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    *out = strtod(tmp, &end);
    return !errno && !*end;
}

/* Serializes the key field text (a JSON token, or CSV text when !json) into kb.
 * *is_null: the field is JSON null. Returns false with why set. */
static bool make_key(const load_opts *o, const char *s, size_t n, bool json, sl_buf *kb,
                     bool *is_null, const char **why)
{
    sl_buf_reset(kb);
    *is_null = json && n == 4 && !memcmp(s, "null", 4);
    if (*is_null)
        return true;
    if (o->json_key) {
        if (json) {
            sl_buf_append(kb, s, n);
        } else {
            sl_buf_json_string(kb, s, n);
        }
        return true;
    }
    int64_t iv;
    double dv;
    unsigned char be[8];
    switch (o->ktype) {
    case KEYT_STRING:
        if (json && n >= 2 && s[0] == '"') {
            if (!json_unescape(kb, s, n)) {
                *why = "malformed JSON string in the key field";
                return false;
            }
        } else {
            sl_buf_append(kb, s, n);
        }
        return true;
    case KEYT_INT:
        if (!text_int(s, n, &iv) || iv < INT32_MIN || iv > INT32_MAX) {
            *why = "the key field is not an INT";
            return false;
        }
        sl_cli_put_be32(be, (int32_t)iv);
        sl_buf_append(kb, (const char *)be, 4);
        return true;
    case KEYT_BIGINT:
        if (!text_int(s, n, &iv)) {
            *why = "the key field is not a BIGINT";
            return false;
        }
        sl_cli_put_be64(be, iv);
        sl_buf_append(kb, (const char *)be, 8);
        return true;
    case KEYT_DOUBLE: {
        if (!text_double(s, n, &dv)) {
            *why = "the key field is not a DOUBLE";
            return false;
        }
        int64_t bits;
        memcpy(&bits, &dv, 8);
        sl_cli_put_be64(be, bits);
        sl_buf_append(kb, (const char *)be, 8);
        return true;
    }
    }
    return false;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the load ---- */

typedef struct loader {
    sl_log *log;
    const char *topic;
    sl_log_txn *txn;
    int in_txn, batch;
    uint64_t loaded, skipped;
    sl_error err;
} loader;

static int flush_txn(loader *L)
{
    if (!L->txn)
        return 0;
    sl_log_txn *t = L->txn;
    L->txn = NULL;
    if (sl_log_txn_commit(t, &L->err) != 0)
        return -1;
    L->in_txn = 0;
    return 0;
}

static int append(loader *L, const sl_record *rec)
{
    if (!L->txn)
        L->txn = sl_log_txn_begin(L->log);
    if (sl_log_txn_append(L->txn, L->topic, -1, rec, NULL, NULL, &L->err) != 0)
        return -1;
    L->loaded++;
    if (++L->in_txn >= L->batch)
        return flush_txn(L);
    return 0;
}

static void skip_line(loader *L, uint64_t lineno, const char *why)
{
    if (L->skipped < 20)
        fprintf(stderr, "sluice load: line %llu skipped: %s\n", (unsigned long long)lineno, why);
    else if (L->skipped == 20)
        fprintf(stderr, "sluice load: (further skipped lines not shown)\n");
    L->skipped++;
}

static int load_lines(loader *L, load_opts *o, const char *p, size_t n)
{
    sl_buf kb = SL_BUF_INIT, fb = SL_BUF_INIT;
    uint64_t lineno = 0;
    int64_t load_time = now_ms();
    int rc = 0;
    size_t i = 0;
    const char *hdr = NULL;
    size_t hdr_len = 0;
    while (i < n && rc == 0) {
        size_t end = o->csv ? csv_record_end(p, n, i) : (size_t)((const char *)
                     (memchr(p + i, '\n', n - i) ?: p + n) - p);
        const char *line = p + i;
        size_t len = end - i;
        /* line numbers count physical lines, so a quoted CSV newline counts too */
        lineno++;
        for (size_t k = 0; o->csv && k < len; k++)
            lineno += line[k] == '\n';
        i = end + 1;
        if (len && line[len - 1] == '\r')
            len--;
        bool blank = true;
        for (size_t k = 0; k < len && blank; k++)
            blank = line[k] == ' ' || line[k] == '\t';
        if (blank)
            continue;
        if (o->csv && o->header && !hdr) {
            hdr = line;
            hdr_len = len;
            const char *names[2] = {o->key_field, o->ts_field};
            int *cols[2] = {&o->key_col, &o->ts_col};
            for (int k = 0; k < 2; k++) {
                if (!names[k])
                    continue;
                *cols[k] = csv_column_index(hdr, hdr_len, o->delim, names[k], &fb);
                if (*cols[k] < 0) {
                    fprintf(stderr, "sluice load: no column '%s' in the header line\n", names[k]);
                    rc = -2;
                }
            }
            continue;
        }
        sl_record rec = {0};
        rec.key = NULL;
        rec.key_len = -1;
        rec.value = line;
        rec.value_len = (int32_t)len;
        rec.timestamp = load_time;
        const char *why = NULL;
        const char *vs = NULL;
        size_t vl = 0;
        if (o->key_field) {
            bool is_null = false;
            int found;
            if (o->csv) {
                found = csv_field(line, len, o->delim, o->key_col, &fb) ? 1 : 0;
                vs = sl_buf_cstr(&fb);
                vl = fb.len;
                is_null = found && vl == 0;
            } else {
                found = json_field(line, len, o->key_field, &vs, &vl);
            }
            if (found < 0)
                why = "not a JSON object";
            else if (found == 0)
                why = "no key field";
            else if (!is_null && !make_key(o, vs, vl, !o->csv, &kb, &is_null, &why))
                ;
            else if (!is_null) {
                rec.key = kb.data ? kb.data : "";
                rec.key_len = (int32_t)kb.len;
            }
        }
        if (!why && o->ts_field) {
            int found;
            if (o->csv) {
                found = csv_field(line, len, o->delim, o->ts_col, &fb) ? 1 : 0;
                vs = sl_buf_cstr(&fb);
                vl = fb.len;
            } else {
                found = json_field(line, len, o->ts_field, &vs, &vl);
            }
            int64_t ts;
            if (found < 0)
                why = "not a JSON object";
            else if (found == 0)
                why = "no timestamp field";
            else if (!text_int(vs, vl, &ts) || ts < 0)
                why = "the timestamp field is not epoch milliseconds";
            else
                rec.timestamp = ts;
        }
        if (why) {
            skip_line(L, lineno, why);
            continue;
        }
        if (append(L, &rec) != 0) {
            if (L->err.code == SL_ERR_REFUSED) {
                skip_line(L, lineno, L->err.msg);   /* the topic refuses it (its timestamp) */
                continue;
            }
            rc = -1;
        }
    }
    if (rc == 0 && flush_txn(L) != 0)
        rc = -1;
    if (L->txn) {
        sl_log_txn_abort(L->txn);
        L->txn = NULL;
    }
    sl_buf_fini(&kb);
    sl_buf_fini(&fb);
    return rc;
}

int sl_cli_load(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'F'},
        {"key", required_argument, NULL, 'k'},
        {"key-format", required_argument, NULL, 'K'},
        {"key-type", required_argument, NULL, 'Y'},
        {"timestamp", required_argument, NULL, 'T'},
        {"partitions", required_argument, NULL, 'p'},
        {"retention-ms", required_argument, NULL, 'R'},
        {"header", no_argument, NULL, 'H'},
        {"delimiter", required_argument, NULL, 'L'},
        {"batch", required_argument, NULL, 'b'},
        {"data-dir", required_argument, NULL, 'd'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        SL_CLI_CONN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    sl_cli_conn cc = {0};
    load_opts o = {0};
    o.key_col = o.ts_col = -1;
    o.delim = ',';
    const char *format = NULL, *data_dir = NULL;
    int64_t partitions = -1, batch = 10000, retention = -2;
    bool quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, "F:k:T:p:b:d:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'F': format = optarg; break;
        case 'k': o.key_field = optarg; break;
        case 'T': o.ts_field = optarg; break;
        case 'H': o.header = true; break;
        case 'd': data_dir = optarg; break;
        case 'q': quiet = true; break;
        case SL_OPT_BOOTSTRAP:
        case SL_OPT_CONFIG_FILE: sl_cli_conn_option(&cc, c, optarg); break;
        case 'K':
            if (!strcasecmp(optarg, "json"))
                o.json_key = true;
            else if (strcasecmp(optarg, "kafka")) {
                fprintf(stderr, "sluice load: --key-format wants kafka or json, got '%s'\n", optarg);
                return SL_CLI_USAGE;
            }
            break;
        case 'Y':
            if (!strcasecmp(optarg, "string") || !strcasecmp(optarg, "varchar")) o.ktype = KEYT_STRING;
            else if (!strcasecmp(optarg, "int")) o.ktype = KEYT_INT;
            else if (!strcasecmp(optarg, "bigint")) o.ktype = KEYT_BIGINT;
            else if (!strcasecmp(optarg, "double")) o.ktype = KEYT_DOUBLE;
            else {
                fprintf(stderr, "sluice load: --key-type wants string, int, bigint or double, "
                                "got '%s'\n", optarg);
                return SL_CLI_USAGE;
            }
            break;
        case 'L':
            if (!strcasecmp(optarg, "tab")) o.delim = '\t';
            else if (!strcasecmp(optarg, "space")) o.delim = ' ';
            else if (strlen(optarg) == 1 && optarg[0] != '"') o.delim = optarg[0];
            else {
                fprintf(stderr, "sluice load: --delimiter wants one character, TAB or SPACE\n");
                return SL_CLI_USAGE;
            }
            break;
        case 'p':
            if (!sl_cli_parse_int(optarg, 1, 10000, &partitions)) {
                fprintf(stderr, "sluice load: --partitions wants 1..10000, got '%s'\n", optarg);
                return SL_CLI_USAGE;
            }
            break;
        case 'R':
            if (!sl_cli_parse_int(optarg, -1, INT64_MAX, &retention)) {
                fprintf(stderr, "sluice load: --retention-ms wants -1 or a number of "
                                "milliseconds, got '%s'\n", optarg);
                return SL_CLI_USAGE;
            }
            break;
        case 'b':
            if (!sl_cli_parse_int(optarg, 1, 10000000, &batch)) {
                fprintf(stderr, "sluice load: --batch wants a positive number, got '%s'\n", optarg);
                return SL_CLI_USAGE;
            }
            break;
        case 'h':
            fputs(load_usage, stdout);
            return SL_CLI_OK;
        default:
            fputs(load_usage, stderr);
            return SL_CLI_USAGE;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "sluice load: wants TOPIC and FILE\n");
        fputs(load_usage, stderr);
        return SL_CLI_USAGE;
    }
    const char *topic = argv[optind], *file = argv[optind + 1];
    size_t fl = strlen(file);
    if (!format)
        o.csv = fl > 4 && !strcasecmp(file + fl - 4, ".csv");
    else if (!strcasecmp(format, "csv") || !strcasecmp(format, "delimited"))
        o.csv = true;
    else if (strcasecmp(format, "jsonl") && strcasecmp(format, "json")) {
        fprintf(stderr, "sluice load: --format wants jsonl or csv, got '%s'\n", format);
        return SL_CLI_USAGE;
    }
    if (o.header && !o.csv) {
        fprintf(stderr, "sluice load: --header is for CSV files\n");
        return SL_CLI_USAGE;
    }
    if (o.csv && !o.header) {
        sl_buf b = SL_BUF_INIT;
        const char *names[2] = {o.key_field, o.ts_field};
        int *cols[2] = {&o.key_col, &o.ts_col};
        for (int k = 0; k < 2; k++) {
            if (names[k] && (*cols[k] = csv_column_index(NULL, 0, o.delim, names[k], &b)) < 0) {
                fprintf(stderr, "sluice load: CSV columns are numbers from 1 (or names with "
                                "--header), got '%s'\n", names[k]);
                sl_buf_fini(&b);
                return SL_CLI_USAGE;
            }
        }
        sl_buf_fini(&b);
    }

    /* the file: mapped when it is a regular file, else read whole */
    sl_error err;
    sl_error_clear(&err);
    const char *data = NULL;
    char *owned = NULL;
    size_t len = 0, maplen = 0;
    int fd = strcmp(file, "-") ? open(file, O_RDONLY) : -1;
    struct stat stt;
    if (fd >= 0 && fstat(fd, &stt) == 0 && S_ISREG(stt.st_mode) && stt.st_size > 0) {
        void *m = mmap(NULL, (size_t)stt.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            madvise(m, (size_t)stt.st_size, MADV_SEQUENTIAL);
            data = m;
            len = maplen = (size_t)stt.st_size;
        }
    }
    if (fd >= 0)
        close(fd);
    if (!data) {
        owned = sl_cli_read_file(file, &len, &err);
        if (!owned) {
            fprintf(stderr, "sluice load: %s\n", err.msg);
            return SL_CLI_FAIL;
        }
        data = owned;
    }

    loader L = {0};
    L.topic = topic;
    L.batch = (int)batch;
    sl_error_clear(&L.err);
    cc.data_dir = data_dir;
    sl_config *cfg = sl_cli_config("sluice load", &cc);
    int rc = SL_CLI_OK;
    if (!cfg) {
        rc = SL_CLI_USAGE;
        goto out;
    }
    L.log = sl_cli_open_log(cfg, &err);
    sl_config_free(cfg);
    if (!L.log) {
        fprintf(stderr, "sluice load: %s\n", err.msg);
        rc = sl_cli_open_status(&err);
        goto out;
    }
    /* an existing topic is used as it is, unless --partitions contradicts it */
    sl_arena *a = sl_arena_new(0);
    sl_topic_info info;
    bool exists = sl_log_describe_topic(L.log, topic, a, &info, &err) == 0;
    int nparts = exists ? info.config.partitions : 0;
    sl_arena_free(a);
    if (exists && partitions > 0 && partitions != nparts) {
        fprintf(stderr, "sluice load: topic %s exists with %d partition%s, not %lld\n", topic,
                nparts, nparts == 1 ? "" : "s", (long long)partitions);
        rc = SL_CLI_FAIL;
        goto out;
    }
    if (!exists) {
        sl_topic_config cfg = sl_topic_config_default();
        cfg.partitions = partitions > 0 ? (int32_t)partitions : 1;
        if (retention >= -1)
            cfg.retention_ms = retention;
        nparts = cfg.partitions;
        sl_error_clear(&err);
        if (sl_log_create_topic(L.log, topic, &cfg, NULL, &err) != 0) {
            fprintf(stderr, "sluice load: %s\n", err.msg);
            rc = SL_CLI_FAIL;
            goto out;
        }
    }
    double t0 = mono_s();
    int lr = load_lines(&L, &o, data, len);
    double dt = mono_s() - t0;
    if (lr == -1) {
        fprintf(stderr, "sluice load: %s (the records of the failed transaction were not "
                        "written; %llu before it were)\n", L.err.msg,
                (unsigned long long)(L.loaded - (uint64_t)L.in_txn));
        rc = SL_CLI_FAIL;
    } else if (lr == -2) {
        rc = SL_CLI_USAGE;
    } else {
        if (!quiet)
            printf("loaded %llu records into %s (%d partition%s) in %.2f s: %.0f records/s\n",
                   (unsigned long long)L.loaded, topic, nparts, nparts == 1 ? "" : "s", dt,
                   dt > 0 ? (double)L.loaded / dt : 0.0);
        if (L.skipped) {
            fprintf(stderr, "sluice load: %llu line%s skipped\n", (unsigned long long)L.skipped,
                    L.skipped == 1 ? "" : "s");
            rc = SL_CLI_FAIL;
        }
    }
out:
    sl_log_close(L.log);
    if (maplen)
        munmap((void *)data, maplen);
    free(owned);
    return rc;
}
