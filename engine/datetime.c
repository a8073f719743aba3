/*
 * datetime.c: calendar arithmetic, a TZif reader for the system tz database,
 * and a compiler/formatter/parser for DateTimeFormatter-style patterns.
 * See datetime.h for the contract.
 *
 * Does: TZif v1 and v2+ files (64-bit transitions, POSIX TZ footer for
 * instants after the last transition, including southern-hemisphere rules),
 * fixed offsets, SMART resolution of parsed fields as java.time does it.
 * Does not: touch the C library's TZ state (no setenv/tzset/localtime),
 * localized text other than English, week-based fields, leap seconds.
 *
 * Memory: regions are malloc'ed once per process and cached in a list guarded
 * by a mutex (a bounded set: the files of the tz database); compiled patterns
 * live in the caller's arena.
 */
#include "datetime.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* calendar                                                                 */
/* ------------------------------------------------------------------------ */

int64_t sl_cal_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && (a < 0))
        q--;
    return q;
}

int64_t sl_cal_floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

bool sl_cal_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int sl_cal_days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && sl_cal_is_leap(y) ? 29 : dim[m - 1];
}

/* Howard Hinnant's days_from_civil / civil_from_days, on 64-bit years. */
int64_t sl_cal_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void sl_cal_civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = y + (m <= 2);
    *month = (int)m;
    *day = (int)d;
}

int sl_cal_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (4) */
    return (int)(sl_cal_floor_mod(days + 3, 7)) + 1;
}

static int day_of_year(int64_t y, int m, int d)
{
    return (int)(sl_cal_days_from_civil(y, m, d) - sl_cal_days_from_civil(y, 1, 1)) + 1;
}

/* ------------------------------------------------------------------------ */
/* errors                                                                   */
/* ------------------------------------------------------------------------ */

static int fail(sl_error *err, sl_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(sl_error *err, sl_errcode code, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->code = code;
    err->span = SL_NOSPAN;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* ------------------------------------------------------------------------ */
/* TZif regions                                                             */
/* ------------------------------------------------------------------------ */

typedef struct tzrule {         /* one POSIX TZ transition rule */
    char kind;                  /* 'M' Mm.w.d, 'J' Jn (no Feb 29), 'D' n (0-based, with Feb 29) */
    int m, w, d, n;
    int32_t time;               /* seconds after local midnight (may be negative or > 24h) */
} tzrule;

typedef struct tzposix {
    bool valid;
    bool has_dst;
    bool has_rules;
    int32_t std_off, dst_off;   /* seconds east of UTC */
    char std_name[16], dst_name[16];
    tzrule start, end;
} tzposix;

typedef struct tztype {
    int32_t off;
    uint8_t isdst;
    uint32_t abbr;              /* index into abbrs */
} tztype;

struct sl_tzinfo {
    char *id;
    int ntrans;
    int64_t *trans;
    uint8_t *tidx;
    int ntypes;
    tztype *types;
    char *abbrs;                /* NUL-terminated strings */
    uint32_t nabbr;
    tzposix footer;
    struct sl_tzinfo *next;
};

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static sl_tzinfo *tz_loaded;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* [+-]hh[:mm[:ss]] with hh up to 167 (POSIX and RFC 8536 extensions) */
static bool posix_time(const char **pp, const char *e, int32_t *out)
{
    const char *p = *pp;
    int sign = 1;
    if (p < e && (*p == '+' || *p == '-')) {
        if (*p == '-')
            sign = -1;
        p++;
    }
    int parts[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        if (k > 0) {
            if (p >= e || *p != ':')
                break;
            p++;
        }
        int nd = 0, v = 0;
        while (p < e && is_digit(*p) && nd < 3) {
            v = v * 10 + (*p - '0');
            p++;
            nd++;
        }
        if (nd == 0)
            return false;
        parts[k] = v;
    }
    if (parts[0] > 167 || parts[1] > 59 || parts[2] > 59)
        return false;
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    *pp = p;
    return true;
}

static bool posix_name(const char **pp, const char *e, char *out, size_t cap)
{
    const char *p = *pp;
    size_t n = 0;
    if (p < e && *p == '<') {
        p++;
        while (p < e && *p != '>') {
            if (n + 1 < cap)
                out[n++] = *p;
            p++;
        }
        if (p >= e)
            return false;
        p++;
    } else {
        while (p < e && is_alpha(*p)) {
            if (n + 1 < cap)
                out[n++] = *p;
            p++;
        }
        if (n < 3)
            return false;
    }
    out[n] = 0;
    *pp = p;
    return true;
}

static bool posix_num(const char **pp, const char *e, int *out)
{
    const char *p = *pp;
    int v = 0, nd = 0;
    while (p < e && is_digit(*p) && nd < 4) {
        v = v * 10 + (*p - '0');
        p++;
        nd++;
    }
    if (nd == 0)
        return false;
    *out = v;
    *pp = p;
    return true;
}

static bool posix_rule(const char **pp, const char *e, tzrule *r)
{
    const char *p = *pp;
    memset(r, 0, sizeof *r);
    if (p < e && *p == 'M') {
        p++;
        r->kind = 'M';
        if (!posix_num(&p, e, &r->m) || p >= e || *p++ != '.' || !posix_num(&p, e, &r->w) ||
            p >= e || *p++ != '.' || !posix_num(&p, e, &r->d))
            return false;
        if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d > 6)
            return false;
    } else if (p < e && *p == 'J') {
        p++;
        r->kind = 'J';
        if (!posix_num(&p, e, &r->n) || r->n < 1 || r->n > 365)
            return false;
    } else {
        r->kind = 'D';
        if (!posix_num(&p, e, &r->n) || r->n > 365)
            return false;
    }
    r->time = 7200;
    if (p < e && *p == '/') {
        p++;
        if (!posix_time(&p, e, &r->time))
            return false;
    }
    *pp = p;
    return true;
}

static bool posix_parse(const char *s, size_t len, tzposix *tz)
{
    const char *p = s, *e = s + len;
    memset(tz, 0, sizeof *tz);
    int32_t t;
    if (!posix_name(&p, e, tz->std_name, sizeof tz->std_name) || !posix_time(&p, e, &t))
        return false;
    tz->std_off = -t;
    tz->dst_off = tz->std_off;
    if (p < e) {
        if (!posix_name(&p, e, tz->dst_name, sizeof tz->dst_name))
            return false;
        tz->has_dst = true;
        tz->dst_off = tz->std_off + 3600;
        if (p < e && *p != ',') {
            if (!posix_time(&p, e, &t))
                return false;
            tz->dst_off = -t;
        }
        if (p < e && *p == ',') {
            p++;
            if (!posix_rule(&p, e, &tz->start) || p >= e || *p++ != ',' ||
                !posix_rule(&p, e, &tz->end))
                return false;
            tz->has_rules = true;
        }
    }
    if (p != e)
        return false;
    tz->valid = true;
    return true;
}

/* Local seconds since the epoch of a rule's transition in year y. */
static int64_t rule_local(const tzrule *r, int64_t y)
{
    int64_t day;
    if (r->kind == 'J') {
        int n = r->n - 1;
        if (sl_cal_is_leap(y) && r->n >= 60)
            n++;
        day = sl_cal_days_from_civil(y, 1, 1) + n;
    } else if (r->kind == 'D') {
        day = sl_cal_days_from_civil(y, 1, 1) + r->n;
    } else {
        int64_t first = sl_cal_days_from_civil(y, r->m, 1);
        int wd = sl_cal_weekday(first) % 7; /* 0 Sunday */
        day = first + (r->d - wd + 7) % 7 + (int64_t)(r->w - 1) * 7;
        int64_t end = first + sl_cal_days_in_month(y, r->m);
        while (day >= end)
            day -= 7;
    }
    return day * 86400 + r->time;
}

static int32_t posix_offset(const tzposix *tz, int64_t t, bool *isdst)
{
    *isdst = false;
    if (!tz->has_dst || !tz->has_rules)
        return tz->std_off;
    int64_t y;
    int m, d;
    sl_cal_civil_from_days(sl_cal_floor_div(t + tz->std_off, 86400), &y, &m, &d);
    int64_t s = rule_local(&tz->start, y) - tz->std_off;
    int64_t e = rule_local(&tz->end, y) - tz->dst_off;
    bool dst = s < e ? (t >= s && t < e) : !(t >= e && t < s);
    *isdst = dst;
    return dst ? tz->dst_off : tz->std_off;
}

static void tzinfo_free(sl_tzinfo *z)
{
    if (!z)
        return;
    free(z->id);
    free(z->trans);
    free(z->tidx);
    free(z->types);
    free(z->abbrs);
    free(z);
}

/* Parses one data block; *used gets its size. */
static bool tzif_block(const unsigned char *p, size_t n, int tsize, sl_tzinfo *z, size_t *used)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return false;
    uint32_t isutcnt = be32(p + 20), isstdcnt = be32(p + 24), leapcnt = be32(p + 28);
    uint32_t timecnt = be32(p + 32), typecnt = be32(p + 36), charcnt = be32(p + 40);
    if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || charcnt > 10000 ||
        leapcnt > 10000 || isutcnt > 256 || isstdcnt > 256)
        return false;
    size_t need = (size_t)timecnt * tsize + timecnt + (size_t)typecnt * 6 + charcnt +
                  (size_t)leapcnt * (tsize + 4) + isstdcnt + isutcnt;
    if (n - 44 < need)
        return false;
    const unsigned char *d = p + 44;
    z->ntrans = (int)timecnt;
    z->trans = malloc(sizeof(int64_t) * (timecnt ? timecnt : 1));
    z->tidx = malloc(timecnt ? timecnt : 1);
    z->types = malloc(sizeof(tztype) * typecnt);
    z->abbrs = malloc(charcnt + 1);
    if (!z->trans || !z->tidx || !z->types || !z->abbrs)
        return false;
    for (uint32_t i = 0; i < timecnt; i++)
        z->trans[i] = tsize == 8 ? be64(d + (size_t)i * 8) : (int64_t)(int32_t)be32(d + (size_t)i * 4);
    d += (size_t)timecnt * tsize;
    for (uint32_t i = 0; i < timecnt; i++) {
        if (d[i] >= typecnt)
            return false;
        z->tidx[i] = d[i];
    }
    d += timecnt;
    z->ntypes = (int)typecnt;
    for (uint32_t i = 0; i < typecnt; i++) {
        int32_t off = (int32_t)be32(d);
        if (off < -25 * 3600 || off > 26 * 3600 || d[5] >= charcnt + (charcnt == 0))
            return false;
        z->types[i].off = off;
        z->types[i].isdst = d[4];
        z->types[i].abbr = d[5];
        d += 6;
    }
    memcpy(z->abbrs, d, charcnt);
    z->abbrs[charcnt] = 0;
    z->nabbr = charcnt;
    for (uint32_t i = 1; i < timecnt; i++)
        if (z->trans[i] <= z->trans[i - 1])
            return false;
    *used = 44 + need;
    return true;
}

static sl_tzinfo *tzif_load(const char *path, const char *id)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    enum { MAXSZ = 1 << 20 };
    unsigned char *buf = malloc(MAXSZ);
    size_t n = buf ? fread(buf, 1, MAXSZ, fp) : 0;
    fclose(fp);
    sl_tzinfo *z = calloc(1, sizeof *z);
    if (!buf || !z || n < 44 || n == MAXSZ) {
        free(buf);
        free(z);
        return NULL;
    }
    size_t used = 0;
    bool ok = tzif_block(buf, n, 4, z, &used);
    if (ok && buf[4] >= '2') {
        /* v2+: skip the v1 block, read the 64-bit one and the footer */
        free(z->trans);
        free(z->tidx);
        free(z->types);
        free(z->abbrs);
        z->trans = NULL;
        z->tidx = NULL;
        z->types = NULL;
        z->abbrs = NULL;
        size_t used2 = 0;
        ok = tzif_block(buf + used, n - used, 8, z, &used2);
        if (ok) {
            size_t f = used + used2;
            if (f < n && buf[f] == '\n') {
                size_t s = f + 1, e = s;
                while (e < n && buf[e] != '\n')
                    e++;
                if (e < n && e > s && !posix_parse((const char *)buf + s, e - s, &z->footer))
                    memset(&z->footer, 0, sizeof z->footer);
            }
        }
    }
    free(buf);
    if (ok)
        z->id = strdup(id);
    if (!ok || !z->id) {
        tzinfo_free(z);
        return NULL;
    }
    return z;
}

/* Region ids as java.time accepts them: [A-Za-z][A-Za-z0-9~/._+-]+, and no
 * path component that could leave the tz directory. */
static bool region_id_ok(const char *id, size_t len)
{
    if (len < 2 || len > 200 || !is_alpha(id[0]))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!(is_alpha(c) || is_digit(c) || c == '~' || c == '/' || c == '.' || c == '_' ||
              c == '+' || c == '-'))
            return false;
        if (c == '.' && (i == 0 || id[i - 1] == '/'))
            return false; /* ".", "..", hidden files */
        if (c == '/' && (i + 1 == len || id[i + 1] == '/'))
            return false;
    }
    return true;
}

static const sl_tzinfo *region_get(const char *id, size_t len)
{
    char key[256];
    memcpy(key, id, len);
    key[len] = 0;
    pthread_mutex_lock(&tz_lock);
    sl_tzinfo *z;
    for (z = tz_loaded; z; z = z->next)
        if (strcmp(z->id, key) == 0)
            break;
    if (!z) {
        const char *dir = getenv("TZDIR");
        if (!dir || !*dir)
            dir = "/usr/share/zoneinfo";
        char path[512];
        int pn = snprintf(path, sizeof path, "%s/%s", dir, key);
        if (pn > 0 && (size_t)pn < sizeof path) {
            z = tzif_load(path, key);
            if (z) {
                z->next = tz_loaded;
                tz_loaded = z;
            }
        }
    }
    pthread_mutex_unlock(&tz_lock);
    return z;
}

static int32_t region_offset(const sl_tzinfo *z, int64_t t, const char **abbr)
{
    const tztype *ty;
    if (z->ntrans == 0 || t >= z->trans[z->ntrans - 1]) {
        if (z->footer.valid) {
            bool dst;
            int32_t off = posix_offset(&z->footer, t, &dst);
            if (abbr)
                *abbr = dst ? z->footer.dst_name : z->footer.std_name;
            return off;
        }
        ty = &z->types[z->ntrans ? z->tidx[z->ntrans - 1] : 0];
    } else if (t < z->trans[0]) {
        ty = &z->types[0];
    } else {
        int lo = 0, hi = z->ntrans - 1; /* last i with trans[i] <= t */
        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;
            if (z->trans[mid] <= t)
                lo = mid;
            else
                hi = mid - 1;
        }
        ty = &z->types[z->tidx[lo]];
    }
    if (abbr)
        *abbr = ty->abbr < z->nabbr ? z->abbrs + ty->abbr : "";
    return ty->off;
}

/* ------------------------------------------------------------------------ */
/* zones                                                                    */
/* ------------------------------------------------------------------------ */

const sl_zone SL_ZONE_UTC = {NULL, 0, 1};

/* java.time ZoneOffset.of: +h, +hh, +hh:mm, +hhmm, +hh:mm:ss, +hhmmss; up to 18:00. */
static bool parse_offset_id(const char *s, size_t n, int32_t *out)
{
    if (n < 2 || (s[0] != '+' && s[0] != '-'))
        return false;
    int sign = s[0] == '-' ? -1 : 1;
    const char *d = s + 1;
    size_t m = n - 1;
    for (size_t i = 0; i < m; i++)
        if (!is_digit(d[i]) && d[i] != ':')
            return false;
    int h = 0, mi = 0, se = 0;
#define D2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))
    if (m == 1 && is_digit(d[0]))
        h = d[0] - '0';
    else if (m == 2 && is_digit(d[0]) && is_digit(d[1]))
        h = D2(d);
    else if (m == 5 && d[2] == ':' && is_digit(d[0]) && is_digit(d[1]) && is_digit(d[3]) && is_digit(d[4]))
        h = D2(d), mi = D2(d + 3);
    else if (m == 4 && memchr(d, ':', 4) == NULL)
        h = D2(d), mi = D2(d + 2);
    else if (m == 8 && d[2] == ':' && d[5] == ':' && memchr(d, ':', 2) == NULL &&
             is_digit(d[3]) && is_digit(d[4]) && is_digit(d[6]) && is_digit(d[7]))
        h = D2(d), mi = D2(d + 3), se = D2(d + 6);
    else if (m == 6 && memchr(d, ':', 6) == NULL)
        h = D2(d), mi = D2(d + 2), se = D2(d + 4);
    else
        return false;
#undef D2
    if (h > 18 || mi > 59 || se > 59)
        return false;
    int32_t t = h * 3600 + mi * 60 + se;
    if (t > 18 * 3600)
        return false;
    *out = sign * t;
    return true;
}

int sl_zone_parse(const char *id, size_t len, sl_zone *out, sl_error *err)
{
    static const char *const prefixes[] = {NULL, "UTC", "GMT", "UT"};
    sl_zone z = {NULL, 0, 0};
    if (len == 1 && id[0] == 'Z') {
        *out = z;
        return 0;
    }
    if (len > 0 && (id[0] == '+' || id[0] == '-')) {
        if (!parse_offset_id(id, len, &z.fixed))
            return fail(err, SL_ERR_ANALYSIS, "invalid time zone offset '%.*s'", (int)(len > 100 ? 100 : len), id);
        *out = z;
        return 0;
    }
    for (int k = 1; k <= 3; k++) {
        size_t pl = strlen(prefixes[k]);
        if (len >= pl && memcmp(id, prefixes[k], pl) == 0 &&
            (len == pl || id[pl] == '+' || id[pl] == '-')) {
            z.prefix = (uint8_t)k;
            if (len > pl && !parse_offset_id(id + pl, len - pl, &z.fixed))
                return fail(err, SL_ERR_ANALYSIS, "invalid time zone offset '%.*s'", (int)(len > 100 ? 100 : len), id);
            *out = z;
            return 0;
        }
    }
    if (!region_id_ok(id, len))
        return fail(err, SL_ERR_ANALYSIS, "invalid time zone id '%.*s'", (int)(len > 100 ? 100 : len), id);
    z.region = region_get(id, len);
    if (!z.region)
        return fail(err, SL_ERR_ANALYSIS, "unknown time zone id '%.*s'", (int)len, id);
    *out = z;
    return 0;
}

int32_t sl_zone_offset(const sl_zone *z, int64_t utc_sec)
{
    return z->region ? region_offset(z->region, utc_sec, NULL) : z->fixed;
}

int64_t sl_zone_local_to_utc(const sl_zone *z, int64_t local)
{
    if (!z->region)
        return local - z->fixed;
    /* the offsets a day before and after: real zones never change twice within that */
    int32_t o1 = sl_zone_offset(z, local - 86400 - 14 * 3600);
    int32_t o2 = sl_zone_offset(z, local + 86400 + 14 * 3600);
    if (sl_zone_offset(z, local - o1) == o1)
        return local - o1;              /* valid, or the earlier of an overlap */
    if (sl_zone_offset(z, local - o2) == o2)
        return local - o2;
    return local - o1;                  /* a gap: moved later by its length */
}

static size_t offset_id(int32_t off, char *out, size_t cap)
{
    if (off == 0)
        return (size_t)snprintf(out, cap, "Z");
    int32_t a = off < 0 ? -off : off;
    if (a % 60)
        return (size_t)snprintf(out, cap, "%c%02d:%02d:%02d", off < 0 ? '-' : '+', a / 3600,
                                a / 60 % 60, a % 60);
    return (size_t)snprintf(out, cap, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

size_t sl_zone_id(const sl_zone *z, char *out, size_t cap)
{
    static const char *const prefixes[] = {"", "UTC", "GMT", "UT"};
    if (z->region)
        return (size_t)snprintf(out, cap, "%s", z->region->id);
    if (z->prefix) {
        if (z->fixed == 0)
            return (size_t)snprintf(out, cap, "%s", prefixes[z->prefix & 3]);
        char o[16];
        offset_id(z->fixed, o, sizeof o);
        return (size_t)snprintf(out, cap, "%s%s", prefixes[z->prefix & 3], o);
    }
    return offset_id(z->fixed, out, cap);
}

size_t sl_zone_abbrev(const sl_zone *z, int64_t utc_sec, char *out, size_t cap)
{
    if (!z->region)
        return sl_zone_id(z, out, cap);
    const char *ab = "";
    region_offset(z->region, utc_sec, &ab);
    return (size_t)snprintf(out, cap, "%s", ab);
}

/* ------------------------------------------------------------------------ */
/* patterns                                                                 */
/* ------------------------------------------------------------------------ */

typedef enum ekind {
    K_LIT, K_NUM, K_YEAR2, K_FRAC, K_TEXT, K_OFFSET, K_ZONEID, K_ZONETEXT, K_OPT_BEGIN, K_OPT_END
} ekind;

typedef enum efield {
    F_NONE, F_ERA, F_YEAR_OF_ERA, F_YEAR, F_DOY, F_MONTH, F_DAY, F_QUARTER, F_DOW,
    F_AMPM, F_CLOCK_HOUR_AMPM, F_HOUR_AMPM, F_CLOCK_HOUR_DAY, F_HOUR, F_MINUTE, F_SECOND,
    F_MILLI_OF_DAY, F_NANO, F_COUNT
} efield;

static const char *const field_names[F_COUNT] = {
    "", "Era", "YearOfEra", "Year", "DayOfYear", "MonthOfYear", "DayOfMonth", "QuarterOfYear",
    "DayOfWeek", "AmPmOfDay", "ClockHourOfAmPm", "HourOfAmPm", "ClockHourOfDay", "HourOfDay",
    "MinuteOfHour", "SecondOfMinute", "MilliOfDay", "NanoOfSecond",
};

enum { TS_SHORT, TS_FULL, TS_NARROW };

typedef struct elem {
    uint8_t kind;           /* ekind */
    uint8_t field;          /* efield */
    uint8_t style;          /* text style; offsets: pattern number 1..5 */
    uint8_t minw, maxw;     /* numbers */
    uint8_t reserve;        /* parsing: digits left for adjacent fixed-width numbers */
    bool exceeds_pad;       /* yyyy: '+' before years wider than minw */
    uint8_t colon;          /* offsets: ':' between parts */
    uint8_t mins, secs;     /* offsets: 0 never, 1 when non-zero, 2 always */
    uint8_t localized;      /* offsets: 1 "GMT+8" (O), 2 "GMT+08:00" (OOOO, ZZZZ) */
    const char *zero;       /* offsets: text for +00:00 */
    const char *lit;        /* K_LIT */
    uint32_t litlen;
    int match;              /* K_OPT_BEGIN: index of the matching K_OPT_END */
    unsigned need;          /* K_OPT_BEGIN: SL_DTF_* its own elements use */
} elem;

struct sl_dtfmt {
    elem *el;
    int n;
    unsigned fields;        /* outside optional sections */
    unsigned all_fields;
    size_t maxlen;
    const char *pattern;
};

static unsigned field_class(const elem *e)
{
    switch (e->kind) {
    case K_OFFSET: case K_ZONEID: case K_ZONETEXT:
        return SL_DTF_ZONE;
    case K_NUM: case K_YEAR2: case K_FRAC: case K_TEXT:
        break;
    default:
        return 0;
    }
    switch (e->field) {
    case F_ERA: case F_YEAR_OF_ERA: case F_YEAR: case F_DOY: case F_MONTH: case F_DAY:
    case F_QUARTER: case F_DOW:
        return SL_DTF_DATE;
    default:
        return SL_DTF_TIME;
    }
}

static size_t elem_maxlen(const elem *e)
{
    switch (e->kind) {
    case K_LIT: return e->litlen;
    case K_NUM: return 21;
    case K_YEAR2: return 2;
    case K_FRAC: return e->minw;
    case K_TEXT: return 16;
    case K_OFFSET: return 16;
    case K_ZONEID: case K_ZONETEXT: return 216;
    default: return 0;
    }
}

typedef struct builder {
    sl_arena *a;
    elem *el;
    int n, cap;
} builder;

static elem *push(builder *b, ekind k)
{
    if (b->n == b->cap) {
        int nc = b->cap ? b->cap * 2 : 16;
        b->el = sl_arena_realloc(b->a, b->el, sizeof(elem) * b->cap, sizeof(elem) * nc);
        b->cap = nc;
    }
    elem *e = &b->el[b->n++];
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)k;
    e->match = -1;
    return e;
}

static void num(builder *b, efield f, int minw, int maxw)
{
    elem *e = push(b, K_NUM);
    e->field = (uint8_t)f;
    e->minw = (uint8_t)minw;
    e->maxw = (uint8_t)maxw;
}

static void text(builder *b, efield f, int style)
{
    elem *e = push(b, K_TEXT);
    e->field = (uint8_t)f;
    e->style = (uint8_t)style;
}

static int too_many(sl_error *err, char c)
{
    return fail(err, SL_ERR_ANALYSIS, "too many pattern letters: %c", c);
}

/* Offset styles 1..5: +HHmm, +HHMM, +HH:MM, +HHMMss, +HH:MM:ss */
static void offset(builder *b, int style, const char *zero)
{
    static const uint8_t colon[6] = {0, 0, 0, 1, 0, 1};
    static const uint8_t mins[6] = {0, 1, 2, 2, 2, 2};
    static const uint8_t secs[6] = {0, 0, 0, 0, 1, 1};
    elem *e = push(b, K_OFFSET);
    e->style = (uint8_t)style;
    e->colon = colon[style];
    e->mins = mins[style];
    e->secs = secs[style];
    e->zero = zero;
}

static int letter(builder *b, char c, int count, sl_error *err)
{
    switch (c) {
    case 'G':
        if (count > 5)
            return too_many(err, c);
        text(b, F_ERA, count <= 3 ? TS_SHORT : count == 4 ? TS_FULL : TS_NARROW);
        return 0;
    case 'y': case 'u': {
        efield f = c == 'y' ? F_YEAR_OF_ERA : F_YEAR;
        if (count > 19)
            return too_many(err, c);
        if (count == 2) {
            elem *e = push(b, K_YEAR2);
            e->field = (uint8_t)f;
            e->minw = e->maxw = 2;
        } else if (count < 4) {
            num(b, f, count, 19);
        } else {
            num(b, f, count, 19);
            b->el[b->n - 1].exceeds_pad = true;
        }
        return 0;
    }
    case 'D':
        if (count > 3)
            return too_many(err, c);
        num(b, F_DOY, count, count == 1 ? 19 : 3);
        return 0;
    case 'M': case 'L': case 'Q': case 'q': {
        efield f = (c == 'M' || c == 'L') ? F_MONTH : F_QUARTER;
        if (count > 5)
            return too_many(err, c);
        if (count == 1)
            num(b, f, 1, 19);
        else if (count == 2)
            num(b, f, 2, 2);
        else
            text(b, f, count == 3 ? TS_SHORT : count == 4 ? TS_FULL : TS_NARROW);
        return 0;
    }
    case 'E':
        if (count > 5)
            return too_many(err, c);
        text(b, F_DOW, count <= 3 ? TS_SHORT : count == 4 ? TS_FULL : TS_NARROW);
        return 0;
    case 'a':
        if (count > 1)
            return too_many(err, c);
        text(b, F_AMPM, TS_SHORT);
        return 0;
    case 'd': case 'h': case 'K': case 'k': case 'H': case 'm': case 's': {
        efield f = c == 'd' ? F_DAY : c == 'h' ? F_CLOCK_HOUR_AMPM : c == 'K' ? F_HOUR_AMPM
                 : c == 'k' ? F_CLOCK_HOUR_DAY : c == 'H' ? F_HOUR : c == 'm' ? F_MINUTE : F_SECOND;
        if (count > 2)
            return too_many(err, c);
        num(b, f, count, count == 1 ? 19 : 2);
        return 0;
    }
    case 'S': {
        if (count > 9)
            return too_many(err, c);
        elem *e = push(b, K_FRAC);
        e->field = F_NANO;
        e->minw = e->maxw = (uint8_t)count;
        return 0;
    }
    case 'A': case 'n':
        if (count > 19)
            return too_many(err, c);
        num(b, c == 'A' ? F_MILLI_OF_DAY : F_NANO, count, 19);
        return 0;
    case 'V':
        if (count != 2)
            return fail(err, SL_ERR_ANALYSIS, "pattern letter count must be 2: V");
        push(b, K_ZONEID);
        return 0;
    case 'z':
        if (count > 4)
            return too_many(err, c);
        push(b, K_ZONETEXT);
        return 0;
    case 'O': {
        if (count != 1 && count != 4)
            return fail(err, SL_ERR_ANALYSIS, "pattern letter count must be 1 or 4: O");
        elem *e = push(b, K_OFFSET);
        e->localized = count == 1 ? 1 : 2;
        return 0;
    }
    case 'X': case 'x': {
        static const char *const xzero[6] = {"", "+00", "+0000", "+00:00", "+0000", "+00:00"};
        if (count > 5)
            return too_many(err, c);
        offset(b, count, c == 'X' ? "Z" : xzero[count]);
        return 0;
    }
    case 'Z':
        if (count > 5)
            return too_many(err, c);
        if (count <= 3) {
            offset(b, 2, "+0000");
        } else if (count == 4) {
            elem *e = push(b, K_OFFSET);
            e->localized = 2;
        } else {
            offset(b, 5, "Z");
        }
        return 0;
    case 'Y': case 'w': case 'W': case 'e': case 'c': case 'F': case 'B': case 'g': case 'N':
        return fail(err, SL_ERR_ANALYSIS,
                    "pattern letter '%c' is not supported", c);
    default:
        return fail(err, SL_ERR_ANALYSIS, "unknown pattern letter: %c", c);
    }
}

sl_dtfmt *sl_dtfmt_compile(sl_arena *a, const char *pattern, size_t len, sl_error *err)
{
    /* literals point into this copy, so the caller's text may go away */
    const char *p = sl_arena_strndup(a, pattern, len);
    builder b = {a, NULL, 0, 0};
    int stack[32];
    int depth = 0;
    size_t i = 0;
    while (i < len) {
        char c = p[i];
        if (is_alpha(c)) {
            size_t j = i;
            while (j < len && p[j] == c)
                j++;
            if (j - i > 64)
                return too_many(err, c), NULL;
            if (letter(&b, c, (int)(j - i), err) < 0)
                return NULL;
            i = j;
        } else if (c == '\'') {
            if (i + 1 < len && p[i + 1] == '\'') {
                elem *e = push(&b, K_LIT);
                e->lit = "'";
                e->litlen = 1;
                i += 2;
                continue;
            }
            char *lit = sl_arena_alloc(a, len - i);
            size_t n = 0, j = i + 1;
            bool closed = false;
            while (j < len) {
                if (p[j] == '\'') {
                    if (j + 1 < len && p[j + 1] == '\'') {
                        lit[n++] = '\'';
                        j += 2;
                        continue;
                    }
                    closed = true;
                    j++;
                    break;
                }
                lit[n++] = p[j++];
            }
            if (!closed) {
                fail(err, SL_ERR_ANALYSIS,
                     "pattern ends with an incomplete string literal");
                return NULL;
            }
            elem *e = push(&b, K_LIT);
            e->lit = lit;
            e->litlen = (uint32_t)n;
            i = j;
        } else if (c == '[') {
            if (depth == (int)(sizeof stack / sizeof stack[0])) {
                fail(err, SL_ERR_ANALYSIS, "optional sections nested too deeply");
                return NULL;
            }
            stack[depth++] = b.n;
            push(&b, K_OPT_BEGIN);
            i++;
        } else if (c == ']') {
            if (depth == 0) {
                fail(err, SL_ERR_ANALYSIS,
                     "pattern contains ']' without a previous '['");
                return NULL;
            }
            int open = stack[--depth];
            push(&b, K_OPT_END);
            b.el[open].match = b.n - 1;
            i++;
        } else if (c == '{' || c == '}' || c == '#') {
            fail(err, SL_ERR_ANALYSIS, "reserved character '%c'", c);
            return NULL;
        } else {
            elem *e = push(&b, K_LIT);
            e->lit = p + i;
            e->litlen = 1;
            i++;
        }
    }
    while (depth > 0) { /* an unclosed '[' runs to the end, as in Java */
        int open = stack[--depth];
        push(&b, K_OPT_END);
        b.el[open].match = b.n - 1;
    }
    sl_dtfmt *f = sl_arena_zalloc(a, sizeof *f);
    f->el = b.el;
    f->n = b.n;
    f->pattern = p;
    int d = 0;
    int open[32];
    for (int k = 0; k < b.n; k++) {
        elem *e = &b.el[k];
        unsigned cls = field_class(e);
        f->all_fields |= cls;
        if (d == 0)
            f->fields |= cls;
        else
            b.el[open[d - 1]].need |= cls;
        if (e->kind == K_OPT_BEGIN)
            open[d++] = k;
        else if (e->kind == K_OPT_END)
            d--;
        f->maxlen += elem_maxlen(e);
        /* adjacent value parsing: a variable-width number leaves room for the
         * fixed-width numbers right after it ("yyyyMMdd", "HHmmssSSS") */
        if (e->kind == K_NUM && e->minw != e->maxw) {
            int r = 0;
            for (int q = k + 1; q < b.n; q++) {
                elem *x = &b.el[q];
                if ((x->kind == K_NUM || x->kind == K_YEAR2 || x->kind == K_FRAC) && x->minw == x->maxw)
                    r += x->minw;
                else
                    break;
            }
            e->reserve = (uint8_t)(r > 200 ? 200 : r);
        }
    }
    return f;
}

unsigned sl_dtfmt_fields(const sl_dtfmt *f) { return f->fields; }
unsigned sl_dtfmt_all_fields(const sl_dtfmt *f) { return f->all_fields; }
size_t sl_dtfmt_max_len(const sl_dtfmt *f) { return f->maxlen; }
const char *sl_dtfmt_pattern(const sl_dtfmt *f) { return f->pattern; }

/* ------------------------------------------------------------------------ */
/* text tables (Locale.ROOT / English)                                      */
/* ------------------------------------------------------------------------ */

static const char *const month_full[12] = {
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"};
static const char *const month_short[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const month_narrow[12] = {"J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"};
static const char *const dow_full[7] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
static const char *const dow_short[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const dow_narrow[7] = {"M", "T", "W", "T", "F", "S", "S"};
static const char *const ampm[2] = {"AM", "PM"};
static const char *const era_short[2] = {"BC", "AD"};
static const char *const era_full[2] = {"Before Christ", "Anno Domini"};
static const char *const era_narrow[2] = {"B", "A"};
static const char *const q_short[4] = {"Q1", "Q2", "Q3", "Q4"};
static const char *const q_full[4] = {"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"};
static const char *const q_narrow[4] = {"1", "2", "3", "4"};

/* The table for a text field and its first value. */
static const char *const *text_table(int field, int style, int *n, int *base)
{
    *base = 1;
    switch (field) {
    case F_MONTH:
        *n = 12;
        return style == TS_FULL ? month_full : style == TS_SHORT ? month_short : month_narrow;
    case F_DOW:
        *n = 7;
        return style == TS_FULL ? dow_full : style == TS_SHORT ? dow_short : dow_narrow;
    case F_QUARTER:
        *n = 4;
        return style == TS_FULL ? q_full : style == TS_SHORT ? q_short : q_narrow;
    case F_AMPM:
        *n = 2;
        *base = 0;
        return ampm;
    default: /* F_ERA */
        *n = 2;
        *base = 0;
        return style == TS_FULL ? era_full : style == TS_SHORT ? era_short : era_narrow;
    }
}

/* ------------------------------------------------------------------------ */
/* formatting                                                               */
/* ------------------------------------------------------------------------ */

typedef struct bdt {            /* a broken-down value to format */
    unsigned has;               /* SL_DTF_* */
    int64_t year;
    int month, day, doy, dow;
    int hour, minute, second;
    int32_t nano;
    int32_t offset;
    const sl_zone *zone;        /* NULL: offset only */
    int64_t utc_sec;
} bdt;

typedef struct wbuf {
    char *p;
    size_t n, cap;
} wbuf;

static void put(wbuf *w, const char *s, size_t n)
{
    if (w->n + n > w->cap)
        n = w->cap > w->n ? w->cap - w->n : 0;
    memcpy(w->p + w->n, s, n);
    w->n += n;
}

static void put_num(wbuf *w, int64_t v, int minw, bool exceeds_pad)
{
    char digits[24];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        put(w, "-", 1);
    else if (exceeds_pad && nd > minw)
        put(w, "+", 1);
    for (int i = nd; i < minw; i++)
        put(w, "0", 1);
    while (nd > 0) {
        char ch = digits[--nd];
        put(w, &ch, 1);
    }
}

static int64_t field_value(const bdt *t, int f)
{
    switch (f) {
    case F_ERA: return t->year > 0 ? 1 : 0;
    case F_YEAR_OF_ERA: return t->year > 0 ? t->year : 1 - t->year;
    case F_YEAR: return t->year;
    case F_DOY: return t->doy;
    case F_MONTH: return t->month;
    case F_DAY: return t->day;
    case F_QUARTER: return (t->month - 1) / 3 + 1;
    case F_DOW: return t->dow;
    case F_AMPM: return t->hour >= 12;
    case F_CLOCK_HOUR_AMPM: return t->hour % 12 == 0 ? 12 : t->hour % 12;
    case F_HOUR_AMPM: return t->hour % 12;
    case F_CLOCK_HOUR_DAY: return t->hour == 0 ? 24 : t->hour;
    case F_HOUR: return t->hour;
    case F_MINUTE: return t->minute;
    case F_SECOND: return t->second;
    case F_MILLI_OF_DAY:
        return ((int64_t)t->hour * 3600 + t->minute * 60 + t->second) * 1000 + t->nano / 1000000;
    case F_NANO: return t->nano;
    default: return 0;
    }
}

static void put_offset(wbuf *w, const elem *e, int32_t off)
{
    int32_t a = off < 0 ? -off : off;
    int h = a / 3600, m = a / 60 % 60, s = a % 60;
    char tmp[32];
    int n;
    if (e->localized) {
        if (off == 0) {
            put(w, "GMT", 3);
            return;
        }
        if (e->localized == 1) {
            n = snprintf(tmp, sizeof tmp, "GMT%c%d", off < 0 ? '-' : '+', h);
            if (m || s)
                n += snprintf(tmp + n, sizeof tmp - n, ":%02d", m);
        } else {
            n = snprintf(tmp, sizeof tmp, "GMT%c%02d:%02d", off < 0 ? '-' : '+', h, m);
        }
        if (s)
            n += snprintf(tmp + n, sizeof tmp - n, ":%02d", s);
        put(w, tmp, (size_t)n);
        return;
    }
    /* java: an offset whose printed fields are all zero prints the zero text */
    bool show_m = e->mins == 2 || (e->mins == 1 && m != 0);
    bool show_s = e->secs == 2 || (e->secs == 1 && s != 0);
    if (h + (show_m ? m : 0) + (show_s ? s : 0) == 0) {
        put(w, e->zero, strlen(e->zero));
        return;
    }
    n = snprintf(tmp, sizeof tmp, "%c%02d", off < 0 ? '-' : '+', h);
    if (show_m)
        n += snprintf(tmp + n, sizeof tmp - n, "%s%02d", e->colon ? ":" : "", m);
    if (show_s)
        n += snprintf(tmp + n, sizeof tmp - n, "%s%02d", e->colon ? ":" : "", s);
    put(w, tmp, (size_t)n);
}

static int unsupported(sl_error *err, const char *what)
{
    return fail(err, SL_ERR_EVAL, "unsupported field: %s", what);
}

static int format_range(const sl_dtfmt *f, int from, int to, const bdt *t, wbuf *w,
                        sl_error *err)
{
    for (int k = from; k < to; k++) {
        const elem *e = &f->el[k];
        unsigned cls = field_class(e);
        if (cls && !(t->has & cls)) {
            if (cls == SL_DTF_ZONE)
                return unsupported(err, e->kind == K_OFFSET ? "OffsetSeconds" : "ZoneId");
            return unsupported(err, field_names[e->field]);
        }
        switch (e->kind) {
        case K_LIT:
            put(w, e->lit, e->litlen);
            break;
        case K_NUM:
            put_num(w, field_value(t, e->field), e->minw, e->exceeds_pad);
            break;
        case K_YEAR2: {
            int64_t y = field_value(t, e->field);
            put_num(w, (y < 0 ? -(y % 100) : y % 100), 2, false);
            break;
        }
        case K_FRAC: {
            int64_t v = t->nano;
            for (int q = e->minw; q < 9; q++)
                v /= 10;
            put_num(w, v, e->minw, false);
            break;
        }
        case K_TEXT: {
            int n, base;
            const char *const *tab = text_table(e->field, e->style, &n, &base);
            int64_t v = field_value(t, e->field) - base;
            if (v >= 0 && v < n)
                put(w, tab[v], strlen(tab[v]));
            break;
        }
        case K_OFFSET:
            put_offset(w, e, t->offset);
            break;
        case K_ZONEID: case K_ZONETEXT: {
            char tmp[256];
            size_t n;
            if (t->zone) {
                n = e->kind == K_ZONEID ? sl_zone_id(t->zone, tmp, sizeof tmp)
                                        : sl_zone_abbrev(t->zone, t->utc_sec, tmp, sizeof tmp);
            } else {
                n = offset_id(t->offset, tmp, sizeof tmp);
            }
            put(w, tmp, n < sizeof tmp ? n : sizeof tmp - 1);
            break;
        }
        case K_OPT_BEGIN:
            /* printed only when the value has what its own elements need */
            if ((e->need & t->has) == e->need) {
                size_t mark = w->n;
                if (format_range(f, k + 1, e->match, t, w, err) < 0)
                    w->n = mark;
            }
            k = e->match;
            break;
        default:
            break;
        }
    }
    return 0;
}

static int format(const sl_dtfmt *f, const bdt *t, char *out, size_t cap, size_t *n,
                  sl_error *err)
{
    wbuf w = {out, 0, cap};
    if (format_range(f, 0, f->n, t, &w, err) < 0)
        return -1;
    *n = w.n;
    return 0;
}

static void set_date(bdt *t, int64_t days)
{
    int m, d;
    sl_cal_civil_from_days(days, &t->year, &m, &d);
    t->month = m;
    t->day = d;
    t->doy = day_of_year(t->year, m, d);
    t->dow = sl_cal_weekday(days);
}

static void set_time(bdt *t, int64_t ms_of_day)
{
    t->hour = (int)(ms_of_day / 3600000);
    t->minute = (int)(ms_of_day / 60000 % 60);
    t->second = (int)(ms_of_day / 1000 % 60);
    t->nano = (int32_t)(ms_of_day % 1000) * 1000000;
}

int sl_dtfmt_format_timestamp(const sl_dtfmt *f, int64_t ms, const sl_zone *z, char *out,
                              size_t cap, size_t *n, sl_error *err)
{
    bdt t = {0};
    t.has = SL_DTF_DATE | SL_DTF_TIME | SL_DTF_ZONE;
    t.zone = z;
    t.utc_sec = sl_cal_floor_div(ms, 1000);
    t.offset = sl_zone_offset(z, t.utc_sec);
    int64_t msl = (int64_t)sl_cal_floor_mod(ms, 1000);
    int64_t local = t.utc_sec + t.offset;
    set_date(&t, sl_cal_floor_div(local, 86400));
    set_time(&t, sl_cal_floor_mod(local, 86400) * 1000 + msl);
    return format(f, &t, out, cap, n, err);
}

int sl_dtfmt_format_date(const sl_dtfmt *f, int32_t days, char *out, size_t cap, size_t *n,
                         sl_error *err)
{
    bdt t = {0};
    t.has = SL_DTF_DATE;
    set_date(&t, days);
    return format(f, &t, out, cap, n, err);
}

int sl_dtfmt_format_time(const sl_dtfmt *f, int32_t ms, char *out, size_t cap, size_t *n,
                         sl_error *err)
{
    if (ms < 0 || ms >= SL_MS_PER_DAY)
        return fail(err, SL_ERR_EVAL, "time out of range: %d ms", (int)ms);
    bdt t = {0};
    t.has = SL_DTF_TIME;
    set_time(&t, ms);
    return format(f, &t, out, cap, n, err);
}

/* ------------------------------------------------------------------------ */
/* parsing                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct pstate {
    int64_t v[F_COUNT];
    bool set[F_COUNT];
    bool has_offset;
    int32_t offset;
    bool has_zone;
    sl_zone zone;
    size_t errpos;              /* furthest index a parse failed at */
    const char *conflict;       /* a field parsed twice with different values */
} pstate;

static bool set_field(pstate *st, int f, int64_t v)
{
    if (st->set[f] && st->v[f] != v) {
        st->conflict = field_names[f];
        return false;
    }
    st->set[f] = true;
    st->v[f] = v;
    return true;
}

static bool failat(pstate *st, size_t pos)
{
    if (pos > st->errpos)
        st->errpos = pos;
    return false;
}

static size_t count_digits(const char *s, size_t n, size_t pos)
{
    size_t k = 0;
    while (pos + k < n && is_digit(s[pos + k]))
        k++;
    return k;
}

static bool parse_two(const char *s, size_t n, size_t *pos, int *v)
{
    if (*pos + 2 > n || !is_digit(s[*pos]) || !is_digit(s[*pos + 1]))
        return false;
    *v = (s[*pos] - '0') * 10 + (s[*pos + 1] - '0');
    *pos += 2;
    return true;
}

static bool parse_offset(const elem *e, const char *s, size_t n, size_t *pos, int32_t *off)
{
    size_t p = *pos;
    if (e->localized) {
        if (p + 3 > n || memcmp(s + p, "GMT", 3) != 0)
            return false;
        p += 3;
        if (p >= n || (s[p] != '+' && s[p] != '-')) {
            *off = 0;
            *pos = p;
            return true;
        }
        int sign = s[p] == '-' ? -1 : 1;
        p++;
        size_t nd = count_digits(s, n, p);
        if (nd == 0 || (e->localized == 2 && nd < 2))
            return false;
        int h = s[p] - '0';
        p++;
        if (nd >= 2) {
            h = h * 10 + (s[p] - '0');
            p++;
        }
        int m = 0, sec = 0;
        if (p < n && s[p] == ':') {
            size_t q = p + 1;
            if (parse_two(s, n, &q, &m)) {
                p = q;
                if (p < n && s[p] == ':') {
                    q = p + 1;
                    if (parse_two(s, n, &q, &sec))
                        p = q;
                }
            }
        }
        if (h > 18 || m > 59 || sec > 59)
            return false;
        *off = sign * (h * 3600 + m * 60 + sec);
        *pos = p;
        return true;
    }
    size_t zl = strlen(e->zero);
    if (zl && p + zl <= n && memcmp(s + p, e->zero, zl) == 0 &&
        !(p + zl < n && (is_digit(s[p + zl]) || s[p + zl] == ':'))) {
        *off = 0;
        *pos = p + zl;
        return true;
    }
    if (p >= n || (s[p] != '+' && s[p] != '-'))
        return false;
    int sign = s[p] == '-' ? -1 : 1;
    p++;
    int h, m = 0, sec = 0;
    if (!parse_two(s, n, &p, &h))
        return false;
    if (e->mins) {
        size_t q = p;
        bool colon_ok = !e->colon || (q < n && s[q] == ':');
        if (colon_ok) {
            if (e->colon)
                q++;
            if (parse_two(s, n, &q, &m)) {
                p = q;
                if (e->secs) {
                    size_t r = p;
                    bool c2 = !e->colon || (r < n && s[r] == ':');
                    if (c2) {
                        if (e->colon)
                            r++;
                        if (parse_two(s, n, &r, &sec))
                            p = r;
                        else if (e->secs == 2)
                            return false;
                    } else if (e->secs == 2) {
                        return false;
                    }
                }
            } else if (e->mins == 2) {
                return false;
            }
        } else if (e->mins == 2) {
            return false;
        }
    }
    if (h > 18 || m > 59 || sec > 59 || h * 3600 + m * 60 + sec > 18 * 3600)
        return false;
    *off = sign * (h * 3600 + m * 60 + sec);
    *pos = p;
    return true;
}

static bool parse_zone_text(const char *s, size_t n, size_t *pos, sl_zone *z)
{
    size_t p = *pos, k = 0;
    while (p + k < n && k < 64) {
        char c = s[p + k];
        if (!(is_alpha(c) || is_digit(c) || c == '/' || c == '_' || c == '+' || c == '-' ||
              c == ':' || c == '~' || c == '.'))
            break;
        k++;
    }
    for (; k > 0; k--) {
        if (sl_zone_parse(s + p, k, z, NULL) == 0) {
            *pos = p + k;
            return true;
        }
    }
    return false;
}

static bool parse_range(const sl_dtfmt *f, int from, int to, const char *s, size_t n,
                        size_t *pos, pstate *st)
{
    for (int k = from; k < to; k++) {
        const elem *e = &f->el[k];
        size_t p = *pos;
        switch (e->kind) {
        case K_LIT: {
            if (p + e->litlen > n)
                return failat(st, p);
            /* Java matches literals case-sensitively */
            if (memcmp(s + p, e->lit, e->litlen) != 0)
                return failat(st, p);
            *pos = p + e->litlen;
            break;
        }
        case K_NUM: {
            int sign = 1;
            bool signed_field = e->field == F_YEAR || e->exceeds_pad;
            if (signed_field && p < n && (s[p] == '-' || s[p] == '+')) {
                sign = s[p] == '-' ? -1 : 1;
                p++;
            }
            size_t avail = count_digits(s, n, p);
            size_t take = avail;
            if (e->minw != e->maxw && avail >= (size_t)e->reserve + e->minw)
                take = avail - e->reserve;
            if (take > e->maxw)
                take = e->maxw;
            if (take < e->minw)
                return failat(st, p);
            if (take > 15)
                return failat(st, p); /* no field needs that many digits */
            int64_t v = 0;
            for (size_t q = 0; q < take; q++)
                v = v * 10 + (s[p + q] - '0');
            if (sign < 0 && e->field != F_YEAR)
                return failat(st, *pos);
            if (!set_field(st, e->field, sign * v))
                return failat(st, *pos);
            *pos = p + take;
            break;
        }
        case K_YEAR2: {
            int v;
            if (count_digits(s, n, p) < 2 || !parse_two(s, n, &p, &v))
                return failat(st, p);
            if (!set_field(st, e->field, 2000 + v))
                return failat(st, *pos);
            *pos = p;
            break;
        }
        case K_FRAC: {
            if (count_digits(s, n, p) < e->minw)
                return failat(st, p);
            int64_t v = 0;
            for (int q = 0; q < e->minw; q++)
                v = v * 10 + (s[p + q] - '0');
            for (int q = e->minw; q < 9; q++)
                v *= 10;
            if (!set_field(st, F_NANO, v))
                return failat(st, p);
            *pos = p + e->minw;
            break;
        }
        case K_TEXT: {
            int cnt, base;
            const char *const *tab = text_table(e->field, e->style, &cnt, &base);
            int best = -1;
            size_t bestlen = 0;
            for (int q = 0; q < cnt; q++) {
                size_t L = strlen(tab[q]);
                if (L <= bestlen || p + L > n)
                    continue;
                size_t c = 0;
                while (c < L && lower(s[p + c]) == lower(tab[q][c]))
                    c++;
                if (c == L) {
                    best = q;
                    bestlen = L;
                }
            }
            if (best < 0)
                return failat(st, p);
            if (!set_field(st, e->field, best + base))
                return failat(st, p);
            *pos = p + bestlen;
            break;
        }
        case K_OFFSET: {
            int32_t off;
            if (!parse_offset(e, s, n, &p, &off))
                return failat(st, *pos);
            if (st->has_offset && st->offset != off) {
                st->conflict = "OffsetSeconds";
                return failat(st, *pos);
            }
            st->has_offset = true;
            st->offset = off;
            *pos = p;
            break;
        }
        case K_ZONEID: case K_ZONETEXT: {
            sl_zone z;
            if (!parse_zone_text(s, n, &p, &z))
                return failat(st, *pos);
            st->has_zone = true;
            st->zone = z;
            *pos = p;
            break;
        }
        case K_OPT_BEGIN: {
            pstate save = *st;
            size_t savepos = *pos;
            if (!parse_range(f, k + 1, e->match, s, n, pos, st)) {
                size_t ep = st->errpos;
                *st = save;
                st->errpos = ep > st->errpos ? ep : st->errpos;
                *pos = savepos;
            }
            k = e->match;
            break;
        }
        default:
            break;
        }
    }
    return true;
}

typedef struct resolved {
    bool has_date, has_time;
    bool any_date, any_time;    /* some date / time field was parsed */
    int64_t year;               /* 1970 when absent */
    bool has_year;
    int64_t days;               /* when has_date */
    int64_t ms_of_day;          /* 0 when absent */
    int extra_days;             /* 24:00 */
} resolved;

static int show(const char *s, size_t n) { return (int)(n > 200 ? 200 : n); }

static int invalid(sl_error *err, const char *field, int64_t v, int lo, int hi)
{
    return fail(err, SL_ERR_EVAL, "invalid value for %s (valid values %d - %d): %lld", field, lo,
                hi, (long long)v);
}

static int check(sl_error *err, const pstate *st, int f, int lo, int hi)
{
    if (st->set[f] && (st->v[f] < lo || st->v[f] > hi))
        return invalid(err, field_names[f], st->v[f], lo, hi);
    return 0;
}

/* SMART resolution of the parsed fields. `fill`: missing date fields are
 * taken from 1970-01-01 (timestamps). */
static int resolve(pstate *st, resolved *r, bool fill, sl_error *err)
{
    memset(r, 0, sizeof *r);
    static const struct { int f, lo, hi; } ranges[] = {
        {F_ERA, 0, 1}, {F_YEAR_OF_ERA, 1, 999999999}, {F_YEAR, -999999999, 999999999},
        {F_DOY, 1, 366}, {F_MONTH, 1, 12}, {F_DAY, 1, 31}, {F_QUARTER, 1, 4}, {F_DOW, 1, 7},
        {F_AMPM, 0, 1}, {F_CLOCK_HOUR_AMPM, 1, 12}, {F_HOUR_AMPM, 0, 11},
        {F_CLOCK_HOUR_DAY, 1, 24}, {F_HOUR, 0, 23}, {F_MINUTE, 0, 59}, {F_SECOND, 0, 59},
        {F_MILLI_OF_DAY, 0, 86399999}, {F_NANO, 0, 999999999},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        int lo = ranges[i].lo, hi = ranges[i].hi;
        /* SMART accepts 24 as the hour of 24:00:00 */
        if (ranges[i].f == F_HOUR)
            hi = 24;
        if (check(err, st, ranges[i].f, lo, hi) < 0)
            return -1;
    }
    for (int fi = F_ERA; fi <= F_DOW; fi++)
        r->any_date |= st->set[fi];
    for (int fi = F_AMPM; fi <= F_NANO; fi++)
        r->any_time |= st->set[fi];

    /* year */
    if (st->set[F_YEAR_OF_ERA]) {
        int64_t y = st->v[F_YEAR_OF_ERA];
        if (st->set[F_ERA] && st->v[F_ERA] == 0)
            y = 1 - y;
        if (st->set[F_YEAR] && st->v[F_YEAR] != y)
            return fail(err, SL_ERR_EVAL, "conflict found: Year %lld differs from Year %lld",
                        (long long)st->v[F_YEAR], (long long)y);
        st->set[F_YEAR] = true;
        st->v[F_YEAR] = y;
    }
    r->has_year = st->set[F_YEAR];
    r->year = r->has_year ? st->v[F_YEAR] : 1970;

    /* date */
    int64_t days = 0;
    bool have_md = st->set[F_MONTH] && st->set[F_DAY];
    if (have_md && (r->has_year || fill)) {
        int m = (int)st->v[F_MONTH];
        int d = (int)st->v[F_DAY];
        int dim = sl_cal_days_in_month(r->year, m);
        if (d > dim)
            d = dim; /* SMART: clamp to the end of the month */
        days = sl_cal_days_from_civil(r->year, m, d);
        r->has_date = true;
        if (st->set[F_DOY] && day_of_year(r->year, m, d) != st->v[F_DOY])
            return fail(err, SL_ERR_EVAL, "conflict found: DayOfYear %lld differs from the date",
                        (long long)st->v[F_DOY]);
    } else if (st->set[F_DOY] && (r->has_year || fill)) {
        if (!r->has_year && st->v[F_DOY] == 366)
            return fail(err, SL_ERR_EVAL, "leap day cannot be parsed without supplying the year field");
        if (st->v[F_DOY] == 366 && !sl_cal_is_leap(r->year))
            return fail(err, SL_ERR_EVAL, "invalid date 'DayOfYear 366' as '%lld' is not a leap year",
                        (long long)r->year);
        days = sl_cal_days_from_civil(r->year, 1, 1) + st->v[F_DOY] - 1;
        r->has_date = true;
        if (st->set[F_MONTH]) {
            int64_t y; int m, d;
            sl_cal_civil_from_days(days, &y, &m, &d);
            if (m != st->v[F_MONTH])
                return fail(err, SL_ERR_EVAL, "conflict found: MonthOfYear %lld differs from the day of year",
                            (long long)st->v[F_MONTH]);
        }
    } else if (fill) {
        int m = st->set[F_MONTH] ? (int)st->v[F_MONTH] : 1;
        int d = st->set[F_DAY] ? (int)st->v[F_DAY] : 1;
        int dim = sl_cal_days_in_month(r->year, m);
        if (d > dim)
            d = dim;
        days = sl_cal_days_from_civil(r->year, m, d);
        r->has_date = true;
    }
    if (r->has_date) {
        int64_t y; int m, d;
        sl_cal_civil_from_days(days, &y, &m, &d);
        if (st->set[F_QUARTER] && (m - 1) / 3 + 1 != st->v[F_QUARTER])
            return fail(err, SL_ERR_EVAL, "conflict found: QuarterOfYear %lld differs from the date",
                        (long long)st->v[F_QUARTER]);
        if (st->set[F_DOW] && sl_cal_weekday(days) != st->v[F_DOW])
            return fail(err, SL_ERR_EVAL, "conflict found: DayOfWeek %s differs from the date (a %s)",
                        dow_full[st->v[F_DOW] - 1], dow_full[sl_cal_weekday(days) - 1]);
    }
    r->days = days;

    /* time */
    int64_t hour = -1;
    if (st->set[F_HOUR])
        hour = st->v[F_HOUR];
    if (st->set[F_CLOCK_HOUR_DAY]) {
        int64_t h = st->v[F_CLOCK_HOUR_DAY] == 24 ? 0 : st->v[F_CLOCK_HOUR_DAY];
        if (hour >= 0 && hour != h && !(hour == 24 && h == 0))
            return fail(err, SL_ERR_EVAL, "conflict found: HourOfDay %lld differs from ClockHourOfDay %lld",
                        (long long)hour, (long long)st->v[F_CLOCK_HOUR_DAY]);
        if (hour < 0)
            hour = h;
    }
    if (st->set[F_CLOCK_HOUR_AMPM] || st->set[F_HOUR_AMPM]) {
        int64_t h12 = st->set[F_HOUR_AMPM] ? st->v[F_HOUR_AMPM] : st->v[F_CLOCK_HOUR_AMPM] % 12;
        int64_t h = h12 + (st->set[F_AMPM] && st->v[F_AMPM] ? 12 : 0);
        if (hour >= 0 && hour != h)
            return fail(err, SL_ERR_EVAL, "conflict found: HourOfDay %lld differs from the 12-hour clock %lld",
                        (long long)hour, (long long)h);
        hour = h;
    } else if (hour >= 0 && st->set[F_AMPM] && (hour >= 12) != (st->v[F_AMPM] == 1) && hour != 24) {
        return fail(err, SL_ERR_EVAL, "conflict found: AmPmOfDay %s differs from HourOfDay %lld",
                    ampm[st->v[F_AMPM]], (long long)hour);
    }
    int64_t minute = st->set[F_MINUTE] ? st->v[F_MINUTE] : 0;
    int64_t second = st->set[F_SECOND] ? st->v[F_SECOND] : 0;
    int64_t nano = st->set[F_NANO] ? st->v[F_NANO] : 0;
    if (hour == 24) {
        if (minute || second || nano)
            return invalid(err, "HourOfDay", 24, 0, 23);
        hour = 0;
        r->extra_days = 1;
    }
    if (hour >= 0) {
        r->has_time = true;
        r->ms_of_day = (hour * 3600 + minute * 60 + second) * 1000 + nano / 1000000;
    }
    if (st->set[F_MILLI_OF_DAY]) {
        if (r->has_time && r->ms_of_day != st->v[F_MILLI_OF_DAY])
            return fail(err, SL_ERR_EVAL, "conflict found: MilliOfDay %lld differs from the time",
                        (long long)st->v[F_MILLI_OF_DAY]);
        r->has_time = true;
        r->ms_of_day = st->v[F_MILLI_OF_DAY];
    }
    return 0;
}

static int parse_common(const sl_dtfmt *f, const char *s, size_t n, pstate *st, sl_error *err)
{
    memset(st, 0, sizeof *st);
    size_t pos = 0;
    if (!parse_range(f, 0, f->n, s, n, &pos, st)) {
        if (st->conflict)
            return fail(err, SL_ERR_EVAL, "text '%.*s' could not be parsed: conflicting values for %s",
                        show(s, n), s, st->conflict);
        return fail(err, SL_ERR_EVAL, "text '%.*s' could not be parsed at index %zu", show(s, n), s,
                    st->errpos);
    }
    if (pos != n)
        return fail(err, SL_ERR_EVAL, "text '%.*s' could not be parsed, unparsed text found at index %zu",
                    show(s, n), s, pos);
    return 0;
}

int sl_dtfmt_parse_timestamp(const sl_dtfmt *f, const char *s, size_t n, const sl_zone *dflt,
                             int64_t *ms, sl_error *err)
{
    pstate st;
    resolved r;
    if (parse_common(f, s, n, &st, err) < 0 || resolve(&st, &r, true, err) < 0)
        return -1;
    __int128 local = ((__int128)(r.days + r.extra_days) * 86400000 + r.ms_of_day);
    int64_t lsec = (int64_t)(local >= 0 ? local / 1000 : -((-local + 999) / 1000));
    int64_t lms = (int64_t)(local - (__int128)lsec * 1000);
    if (local > (__int128)INT64_MAX - 86400000LL * 2 || local < (__int128)INT64_MIN + 86400000LL * 2)
        return fail(err, SL_ERR_EVAL, "timestamp '%.*s' is out of range", show(s, n), s);
    int64_t usec;
    if (st.has_offset)
        usec = lsec - st.offset;
    else if (st.has_zone)
        usec = sl_zone_local_to_utc(&st.zone, lsec);
    else
        usec = sl_zone_local_to_utc(dflt, lsec);
    __int128 out = (__int128)usec * 1000 + lms;
    if (out > INT64_MAX || out < INT64_MIN)
        return fail(err, SL_ERR_EVAL, "timestamp '%.*s' is out of range", show(s, n), s);
    *ms = (int64_t)out;
    return 0;
}

int sl_dtfmt_parse_date(const sl_dtfmt *f, const char *s, size_t n, int32_t *days,
                        sl_error *err)
{
    pstate st;
    resolved r;
    if (parse_common(f, s, n, &st, err) < 0 || resolve(&st, &r, false, err) < 0)
        return -1;
    if (r.any_time)
        return fail(err, SL_ERR_EVAL, "date format contains time field");
    if (!r.has_date || !r.has_year)
        return fail(err, SL_ERR_EVAL,
                    "text '%.*s' does not hold a full date (year, month and day, or year and day of year)",
                    show(s, n), s);
    if (r.days > INT32_MAX || r.days < INT32_MIN)
        return fail(err, SL_ERR_EVAL, "date '%.*s' is out of range", show(s, n), s);
    *days = (int32_t)r.days;
    return 0;
}

int sl_dtfmt_parse_time(const sl_dtfmt *f, const char *s, size_t n, int32_t *ms_of_day,
                        sl_error *err)
{
    pstate st;
    resolved r;
    if (parse_common(f, s, n, &st, err) < 0 || resolve(&st, &r, false, err) < 0)
        return -1;
    if (r.any_date) {
        for (int fi = F_ERA; fi <= F_DOW; fi++)
            if (st.set[fi])
                return fail(err, SL_ERR_EVAL, "unsupported field: %s", field_names[fi]);
    }
    if (!r.has_time)
        return fail(err, SL_ERR_EVAL, "text '%.*s' does not hold a time of day (the hour is missing)",
                    show(s, n), s);
    *ms_of_day = (int32_t)r.ms_of_day;
    return 0;
}
