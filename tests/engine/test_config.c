/* Configuration layers (engine/config.h): the properties file syntax, the
 * precedence of the layers, the environment mapping, refused and unknown
 * properties. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "log/kafka.h"

static sl_config *cfg;
static char *warnbuf;
static size_t warnlen;
static FILE *warn;
static sl_error err;

static void setup(void)
{
    warn = open_memstream(&warnbuf, &warnlen);
    cfg = sl_config_new(warn);
    sl_error_clear(&err);
}

static void teardown(void)
{
    sl_config_free(cfg);
    fclose(warn);
    free(warnbuf);
}

static const char *warnings(void)
{
    fflush(warn);
    return warnbuf ? warnbuf : "";
}

static int load(const char *text)
{
    return sl_config_load_text(cfg, text, strlen(text), "app.properties", &err);
}

TestSuite(config, .init = setup, .fini = teardown);

Test(config, java_properties_syntax)
{
    cr_assert_eq(load("# a comment\n"
                      "! another\n"
                      "   \n"
                      "bootstrap.servers = broker1:9092,\\\n"
                      "                    broker2:9092\n"
                      "ksql.service.id: orders\n"
                      "sasl.username alice\n"
                      "sasl.password=p\\u00e4ss\\tword  \n"
                      "client.id=a\\=b\\\\\n"),
                 0, "%s", err.msg);
    cr_expect_str_eq(sl_config_get(cfg, "bootstrap.servers"), "broker1:9092,broker2:9092");
    cr_expect_str_eq(sl_config_service_id(cfg), "orders");
    cr_expect_str_eq(sl_config_get(cfg, "sasl.username"), "alice");
    cr_expect_str_eq(sl_config_get(cfg, "sasl.password"), "p\xc3\xa4ss\tword");
    cr_expect_str_eq(sl_config_get(cfg, "client.id"), "a=b\\");
    cr_expect_str_eq(sl_config_where(cfg, "ksql.service.id"), "app.properties:6");
    cr_expect_str_eq(sl_config_where(cfg, "bootstrap.servers"), "app.properties:4");
    cr_expect_str_eq(warnings(), "");
}

Test(config, crlf_and_last_line_without_newline)
{
    cr_assert_eq(load("a.b.c=1\r\nksql.service.id=x\r\nsluice.kafka.connect.timeout.ms=250"), 0);
    cr_expect_str_eq(sl_config_service_id(cfg), "x");
    cr_expect_eq(sl_config_int(cfg, SL_CFG_CONNECT_TIMEOUT, 0), 250);
}

Test(config, bad_unicode_escape_names_the_line)
{
    cr_assert_eq(load("client.id=ok\nclient.rack=\\u12\n"), -1);
    cr_expect(strstr(err.msg, "app.properties:2"), "%s", err.msg);
}

Test(config, defaults)
{
    cr_expect_str_eq(sl_config_service_id(cfg), "default_");
    cr_expect_null(sl_config_get(cfg, "bootstrap.servers"));
    cr_expect_eq(sl_config_int(cfg, SL_CFG_CONNECT_TIMEOUT, 1234), 1234);
}

Test(config, higher_layer_wins_whatever_the_order)
{
    cr_assert_eq(sl_config_set(cfg, SL_CFG_CLI, "bootstrap.servers", "cli:1", "--bootstrap-servers",
                               &err), 0);
    cr_assert_eq(sl_config_set(cfg, SL_CFG_FILE, "bootstrap.servers", "file:1", "f:1", &err), 0);
    cr_assert_eq(sl_config_set(cfg, SL_CFG_ENV, "bootstrap.servers", "env:1", "env", &err), 0);
    cr_expect_str_eq(sl_config_get(cfg, "bootstrap.servers"), "cli:1");
    cr_expect_str_eq(sl_config_where(cfg, "bootstrap.servers"), "--bootstrap-servers");

    cr_assert_eq(sl_config_set(cfg, SL_CFG_FILE, "ksql.service.id", "fromfile", "f:2", &err), 0);
    cr_assert_eq(sl_config_set(cfg, SL_CFG_ENV, "ksql.service.id", "fromenv", "env", &err), 0);
    cr_expect_str_eq(sl_config_service_id(cfg), "fromenv");
}

Test(config, environment_variables)
{
    char *env[] = {
        "SLUICE_BOOTSTRAP_SERVERS=env:9092",
        "SLUICE_SERVICE_ID=svc",
        "SLUICE_DATA_DIR=/data",
        "SLUICE_PROP_SECURITY_PROTOCOL=SASL_SSL",
        "SLUICE_PROP_SASL_OAUTHBEARER_CLIENT_ID=me",
        "SLUICE_PROP_KSQL_STREAMS_AUTO_OFFSET_RESET=earliest",
        "SLUICE_KAFKA_CACHE=/somewhere",     /* not a configuration variable */
        "SLUICE_PROP_EMPTY=",                /* empty: unset */
        "PATH=/bin",
        NULL,
    };
    cr_assert_eq(sl_config_load_env(cfg, env, &err), 0, "%s", err.msg);
    cr_expect_str_eq(sl_config_get(cfg, "bootstrap.servers"), "env:9092");
    cr_expect_str_eq(sl_config_service_id(cfg), "svc");
    cr_expect_str_eq(sl_config_get(cfg, SL_CFG_DATA_DIR), "/data");
    cr_expect_str_eq(sl_config_get(cfg, "security.protocol"), "SASL_SSL");
    cr_expect_str_eq(sl_config_get(cfg, "sasl.oauthbearer.client.id"), "me");
    cr_expect_str_eq(sl_config_get(cfg, "auto.offset.reset"), "earliest");
    cr_expect_str_eq(sl_config_where(cfg, "security.protocol"),
                     "environment variable SLUICE_PROP_SECURITY_PROTOCOL");
    cr_expect_str_eq(warnings(), "");
}

Test(config, environment_mapping_of_underscores_and_dashes)
{
    char *env[] = {"SLUICE_PROP_SSL_KEY___PASS__WORD=x", NULL};
    /* ssl.key-pass_word is no librdkafka name, but ssl.* passes the allowlist */
    cr_assert_eq(sl_config_load_env(cfg, env, &err), 0, "%s", err.msg);
    cr_expect_str_eq(sl_config_get(cfg, "ssl.key-pass_word"), "x");
}

Test(config, layers_read_the_file_named_by_the_environment)
{
    char path[] = "/tmp/sluice-config-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char text[] = "bootstrap.servers=file:1\nksql.service.id=fromfile\nlinger.ms=7\n";
    cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char var[300];
    snprintf(var, sizeof var, "SLUICE_CONFIG_FILE=%s", path);
    char *env[] = {var, "SLUICE_SERVICE_ID=fromenv", NULL};
    cr_assert_eq(sl_config_set(cfg, SL_CFG_CLI, "bootstrap.servers", "cli:1", "--bootstrap-servers",
                               &err), 0);
    cr_assert_eq(sl_config_load_layers(cfg, NULL, env, &err), 0, "%s", err.msg);
    cr_expect_str_eq(sl_config_get(cfg, "bootstrap.servers"), "cli:1");
    cr_expect_str_eq(sl_config_service_id(cfg), "fromenv");
    cr_expect_str_eq(sl_config_get(cfg, "linger.ms"), "7");
    unlink(path);

    cr_expect_eq(sl_config_load_layers(cfg, "/nonexistent/sluice.properties", env, &err), -1);
    cr_expect(strstr(err.msg, "/nonexistent/sluice.properties"), "%s", err.msg);
}

Test(config, refused_properties_name_their_source)
{
    static const char *refused[] = {
        "plugin.library.paths=/tmp/evil.so",
        "sasl.kerberos.kinit.cmd=touch /tmp/x",
        "sasl.kerberos.principal=a;b",
        "ssl.engine.location=/tmp/engine.so",
        "ssl.engine.id=dynamic",
        "ssl.providers=legacy",
        "producer.plugin.library.paths=/tmp/evil.so",
        "ksql.streams.consumer.ssl.engine.location=/tmp/e.so",
        "sasl.mechanisms=GSSAPI",
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char text[200];
        snprintf(text, sizeof text, "client.id=x\n%s\n", refused[i]);
        sl_error_clear(&err);
        cr_expect_eq(load(text), -1, "%s was accepted", refused[i]);
        cr_expect(strstr(err.msg, "app.properties:2") && strstr(err.msg, "refused"), "%s: %s",
                  refused[i], err.msg);
        char name[100];
        snprintf(name, sizeof name, "%.*s", (int)(strchr(refused[i], '=') - refused[i]),
                 refused[i]);
        cr_expect(strstr(err.msg, name), "%s", err.msg);
    }
    /* from the environment and the command line too, and even when a higher
     * layer has a value for it */
    char *env[] = {"SLUICE_PROP_PLUGIN_LIBRARY_PATHS=/tmp/evil.so", NULL};
    cr_expect_eq(sl_config_load_env(cfg, env, &err), -1);
    cr_expect(strstr(err.msg, "SLUICE_PROP_PLUGIN_LIBRARY_PATHS"), "%s", err.msg);
    cr_expect_null(sl_config_get(cfg, "plugin.library.paths"));
}

Test(config, check_property_for_set)
{
    cr_expect_eq(sl_config_check_property("auto.offset.reset", "earliest", "SET", SL_NOSPAN, &err),
                 0);
    cr_expect_eq(sl_config_check_property("sasl.mechanism", "SCRAM-SHA-512", "SET", SL_NOSPAN,
                                          &err), 0);
    sl_span sp = {3, 10};
    cr_expect_eq(sl_config_check_property("sasl.kerberos.kinit.cmd", "x", "SET", sp, &err), -1);
    cr_expect(strstr(err.msg, "sasl.kerberos.kinit.cmd") && strstr(err.msg, "SET"), "%s", err.msg);
    cr_expect_eq(err.span.off, 3);
    cr_expect(sl_log_kafka_property_refused("consumer.ssl.providers"));
    cr_expect(!sl_log_kafka_property_refused("ssl.ca.location"));
}

Test(config, unknown_and_owned_keys_warn)
{
    cr_assert_eq(load("listeners=http://0.0.0.0:8088\nenable.auto.commit=true\n"), 0, "%s",
                 err.msg);
    const char *w = warnings();
    cr_expect(strstr(w, "app.properties:1") && strstr(w, "unknown property 'listeners'"), "%s", w);
    cr_expect(strstr(w, "app.properties:2") && strstr(w, "enable.auto.commit"), "%s", w);
    cr_expect_null(sl_config_get(cfg, "listeners"));
    cr_expect_null(sl_config_get(cfg, "enable.auto.commit"));
}

Test(config, kinds_and_kafka_pairs)
{
    cr_assert_eq(load("security.protocol=SSL\n"
                      "ssl.ca.location=/etc/ca.pem\n"
                      "ksql.streams.producer.linger.ms=20\n"
                      "ksql.streams.cache.max.bytes.buffering=0\n"
                      "auto.offset.reset=earliest\n"
                      "bootstrap.servers=b:1\n"),
                 0, "%s", err.msg);
    const char *const *pairs;
    int n = sl_config_kafka_props(cfg, &pairs);
    cr_assert_eq(n, 3);
    cr_expect_str_eq(pairs[0], "security.protocol");
    cr_expect_str_eq(pairs[1], "SSL");
    cr_expect_str_eq(pairs[4], "producer.linger.ms");
    cr_expect_str_eq(pairs[5], "20");
    int engine = 0;
    for (int i = 0; i < sl_config_count(cfg); i++) {
        const char *name;
        if (sl_config_at(cfg, i, &name, NULL, NULL) == SL_CFG_ENGINE) {
            engine++;
            cr_expect(!strcmp(name, "cache.max.bytes.buffering") ||
                          !strcmp(name, "auto.offset.reset"), "%s", name);
        }
    }
    cr_expect_eq(engine, 2);
    sl_log_kafka_opts ko = {0};
    sl_config_kafka_opts(cfg, &ko);
    cr_expect_str_eq(ko.bootstrap_servers, "b:1");
    cr_expect_eq(ko.n_props, 3);
    cr_expect_eq(ko.connect_timeout_ms, 0);     /* the log's default */
}

Test(config, invalid_values)
{
    cr_expect_eq(load("ksql.service.id=has space\n"), -1);
    cr_expect(strstr(err.msg, "ksql.service.id") && strstr(err.msg, "app.properties:1"), "%s",
              err.msg);
    cr_expect_eq(load("sluice.kafka.connect.timeout.ms=soon\n"), -1);
    cr_expect(strstr(err.msg, "connect.timeout.ms"), "%s", err.msg);
    cr_expect_eq(load("auto.offset.reset=sometimes\n"), -1);
    cr_expect(strstr(err.msg, "auto.offset.reset") && strstr(err.msg, "earliest"), "%s", err.msg);
    cr_expect_eq(load("sluice.kafka.log.level=loud\n"), -1);
    cr_expect_eq(load("bootstrap.servers=\n"), -1);
}
