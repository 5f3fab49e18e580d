/*
 * Unit tests for src/config.c: env-file syntax, the environment on top,
 * NAME_FILE secrets, every value type, the relations between keys, and the
 * error messages operators read (key, file:line, value, what is valid,
 * never a secret).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/conf/config.h"
#include "src/failover/config_modules.h"
#include "src/provider/provider_conf.h"

/* The smallest valid configuration; tests append to it. */
#define BASE                                                            \
	"ROLE=primary\nDNS_PROVIDER=bind-tsig\nDNS_ZONE=Example.TEST\n" \
	"DNS_RECORD=lease.example.test\nPRIMARY_IP=192.0.2.10\nDR_IP=192.0.2.20\n"
#define BASE_LINES 6

/* Something that must never show up in a message. */
#define SECRET "c2VjcmV0LXZhbHVlLW5ldmVyLXByaW50ZWQ="

static config_t cfg;
static df_detail_t d;
static char tmpdir[64];
static char warnings[4096];
static int warn_count;

static void collect_warning(const char *msg)
{
	size_t n = strlen(warnings);
	snprintf(warnings + n, sizeof(warnings) - n, "%s\n", msg);
	warn_count++;
}

static int parse(const char *text)
{
	memset(&d, 0, sizeof(d));
	return config_parse_text(&cfg, failover_config_modules, text, strlen(text), "t.env", &d);
}

static int load(const char *path, char *const *envp)
{
	memset(&d, 0, sizeof(d));
	warnings[0] = '\0';
	warn_count = 0;
	return config_load(&cfg, failover_config_modules, path, envp, collect_warning, &d);
}

#define assert_msg_has(needle)                                                    \
	do {                                                                      \
		if (strstr(d.msg, (needle)) == NULL) {                            \
			fail_msg("message \"%s\" lacks \"%s\"", d.msg, (needle)); \
		}                                                                 \
	} while (0)

#define assert_msg_lacks(needle)                                                \
	do {                                                                    \
		if (strstr(d.msg, (needle)) != NULL) {                          \
			fail_msg("message \"%s\" has \"%s\"", d.msg, (needle)); \
		}                                                               \
	} while (0)

/* Expects text to fail with DF_ECONFIG and a message holding needle. */
static void expect_error(const char *text, const char *needle)
{
	int ret = parse(text);
	if (ret != DF_ECONFIG) {
		fail_msg("expected DF_ECONFIG for:\n%s\ngot %d (%s)", text, ret, d.msg);
	}
	assert_msg_has(needle);
}

static void expect_ok(const char *text)
{
	int ret = parse(text);
	if (ret != DF_OK) {
		fail_msg("expected success for:\n%s\ngot %d: %s", text, ret, d.msg);
	}
}

/* Writes a file under tmpdir; returns its path (static buffer per call site). */
static const char *write_file(const char *name, const char *content, mode_t mode, char *path,
			      size_t size)
{
	snprintf(path, size, "%s/%s", tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* With no WATCH_MODE, `watch` takes the backend from the key the earlier
 * watcher's env file sets; `run` (config_load) does not. */
static void test_watch_mode_inferred(void **state)
{
	(void)state;
	char path[256];
	char *none[] = {NULL};
	char *docker[] = {"OTEL_CONTAINER=otel-collector", NULL};
	char *k8s[] = {"OTEL_DEPLOYMENT=otel-collector", "OTEL_NAMESPACE=monitoring", NULL};
	char *both[] = {"OTEL_CONTAINER=otel-collector", "OTEL_DEPLOYMENT=otel-collector", NULL};
	char *chosen[] = {"OTEL_CONTAINER=otel-collector", "WATCH_MODE=command", NULL};

	write_file("watch.env",
		   "DNS_RECORD=lease.example.test\nMY_IP=192.0.2.20\nDNS_SERVER=127.0.0.1\n"
		   "OTEL_CHECK_INTERVAL=5\n",
		   0600, path, sizeof(path));
#define LOAD_WATCH(env)            \
	(memset(&d, 0, sizeof(d)), \
	 config_load_watch(&cfg, failover_config_modules, path, (env), collect_warning, &d))
	assert_int_equal(LOAD_WATCH(none), DF_OK);
	assert_int_equal(cfg.watch.mode, CONFIG_WATCH_NONE);
	assert_int_equal(LOAD_WATCH(docker), DF_OK);
	assert_int_equal(cfg.watch.mode, CONFIG_WATCH_DOCKER);
	assert_string_equal(cfg.watch.container, "otel-collector");
	assert_int_equal(LOAD_WATCH(k8s), DF_OK);
	assert_int_equal(cfg.watch.mode, CONFIG_WATCH_KUBERNETES);
	assert_int_equal(LOAD_WATCH(chosen), DF_OK);
	assert_int_equal(cfg.watch.mode, CONFIG_WATCH_COMMAND);
	assert_int_equal(LOAD_WATCH(both), DF_ECONFIG);
	assert_msg_has("both OTEL_CONTAINER and OTEL_DEPLOYMENT");
	assert_msg_has("set WATCH_MODE=docker or WATCH_MODE=kubernetes");
#undef LOAD_WATCH
	write_file("run.env", BASE, 0600, path, sizeof(path));
	assert_int_equal(load(path, docker), DF_OK);
	assert_int_equal(cfg.watch.mode, CONFIG_WATCH_NONE);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void test_defaults(void **state)
{
	(void)state;
	expect_ok(BASE);
	assert_int_equal(cfg.role, CONFIG_ROLE_PRIMARY);
	assert_string_equal(cfg.provider, "bind-tsig");
	assert_string_equal(cfg.server, "");
	assert_int_equal(cfg.port, 53);
	assert_string_equal(cfg.zone, "example.test.");
	assert_string_equal(cfg.record, "lease.example.test.");
	assert_int_equal(cfg.dns_ttl, 30);
	assert_string_equal(cfg.primary_ip, "192.0.2.10");
	assert_string_equal(cfg.dr_ip, "192.0.2.20");
	assert_int_equal(cfg.lease_ttl, 60);
	assert_int_equal(cfg.update_interval, 10);
	assert_int_equal(cfg.renew_deadline, 40);
	assert_int_equal(cfg.fail_threshold, 3);
	assert_int_equal(cfg.dns_timeout_ms, 3000);
	assert_int_equal(cfg.dns_retries, 2);
	assert_int_equal(cfg.health_mode, CONFIG_HEALTH_TCP);
	assert_string_equal(cfg.health_host, "192.0.2.10"); /* PRIMARY_IP */
	assert_int_equal(cfg.health_port, 4317);
	assert_int_equal(cfg.health_timeout, 2);
	assert_string_equal(cfg.health_url, "");
	assert_string_equal(cfg.health_metric, "otelcol_receiver_accepted_metric_points_total");
	assert_int_equal(cfg.health_stale_count, 3);
	assert_string_equal(cfg.tsig_keyfile, "");
	assert_string_equal(cfg.tsig_keyname, "");
	assert_string_equal(cfg.tsig_key, "");
	assert_string_equal(cfg.dryrun_statefile, "/var/lib/dnsfailover/dry-run.json");
	assert_int_equal(cfg.log_target, CONFIG_LOG_STDERR);
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	assert_string_equal(cfg.source, "t.env");
	/* The modules' keys have their defaults too. */
	assert_int_equal(cfg.gss.mech, CONFIG_GSS_KRB5);
	assert_int_equal(cfg.gss.alg, CONFIG_GSS_TSIG);
	assert_string_equal(cfg.gss.keytab, "");
	assert_int_equal(cfg.watch.mode, CONFIG_WATCH_NONE);
	assert_int_equal(cfg.watch.on_dns_failure, CONFIG_DNS_FAILURE_STOP);
	assert_int_equal(cfg.watch.check_interval_ms, 15000);
	assert_int_equal(cfg.watch.replicas_active, 1);
	assert_int_equal(cfg.watch.replicas_inactive, 0);
	assert_int_equal(cfg.watch.cmd_timeout, 30);
	assert_string_equal(cfg.watch.docker_host, "/var/run/docker.sock");
	assert_string_equal(cfg.watch.my_ip, "");
	assert_string_equal(cfg.metrics_listen, "");
}

static void test_every_key_set(void **state)
{
	(void)state;
	expect_ok("ROLE=dr\nDNS_PROVIDER=route53\nDNS_SERVER=ns1.example.test\nDNS_PORT=5353\n"
		  "DNS_ZONE=example.test.\nDNS_RECORD=example.test.\nDNS_TTL=60\n"
		  "PRIMARY_IP=2001:DB8:0::10\nDR_IP=2001:db8::20\nLEASE_TTL=180\n"
		  "UPDATE_INTERVAL=30\nRENEW_DEADLINE=120\nFAIL_THRESHOLD=2\nDNS_TIMEOUT=5\n"
		  "DNS_RETRIES=0\nHEALTH_MODE=Metrics\nHEALTH_HOST=collector.example.test\n"
		  "HEALTH_PORT=8888\nHEALTH_TIMEOUT=5\n"
		  "HEALTH_URL=http://[2001:db8::10]:8888/metrics\n"
		  "HEALTH_METRIC=otelcol_exporter_sent_metric_points_total\n"
		  "HEALTH_STALE_COUNT=2\nTSIG_KEYFILE=/etc/dnsfailover/tsig.key\n"
		  "TSIG_KEYNAME=failover-key\nDRYRUN_STATEFILE=/tmp/x.json\n"
		  "LOG_TARGET=syslog\nLOG_LEVEL=warning\n"
		  "GSS_PRINCIPAL=dnsfailover-dr@EXAMPLE.TEST\nGSS_MECH=SPNEGO\n"
		  "GSS_TSIG_ALG=gss.microsoft.com\nMY_IP=2001:DB8::20\nOTEL_CHECK_INTERVAL=7\n"
		  "WATCH_MODE=kubernetes\nOTEL_NAMESPACE=otel\nOTEL_DEPLOYMENT=collector\n"
		  "OTEL_REPLICAS_ACTIVE=3\nOTEL_REPLICAS_INACTIVE=1\nWATCH_CMD_TIMEOUT=9\n"
		  "METRICS_LISTEN=127.0.0.1:9464\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
		  "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
		  "AWS_SESSION_TOKEN=FQoGZXIvYXdzEXAMPLE=\nAWS_REGION=us-gov-west-1\n"
		  "ROUTE53_ZONE_ID=/hostedzone/Z1D633PJN98FT9\n"
		  "ROUTE53_ENDPOINT=https://route53.us-gov.amazonaws.com\n"
		  "ROUTE53_CA_FILE=/etc/ssl/certs/ca-certificates.crt\n"
		  "HTTPS_PROXY=http://proxy.example.test:3128\n");
	assert_int_equal(cfg.role, CONFIG_ROLE_DR);
	assert_string_equal(cfg.provider, "route53");
	assert_string_equal(cfg.route53.access_key_id, "AKIAIOSFODNN7EXAMPLE");
	assert_string_equal(cfg.route53.session_token, "FQoGZXIvYXdzEXAMPLE=");
	assert_string_equal(cfg.route53.zone_id, "Z1D633PJN98FT9"); /* stored bare */
	assert_string_equal(cfg.route53.region, "us-gov-west-1");
	assert_string_equal(cfg.https_proxy, "http://proxy.example.test:3128");
	assert_string_equal(cfg.server, "ns1.example.test");
	assert_int_equal(cfg.port, 5353);
	assert_string_equal(cfg.zone, "example.test.");
	assert_string_equal(cfg.record, "example.test."); /* the zone apex is inside */
	assert_int_equal(cfg.dns_ttl, 60);
	assert_string_equal(cfg.primary_ip, "2001:db8::10"); /* canonical form */
	assert_string_equal(cfg.dr_ip, "2001:db8::20");
	assert_int_equal(cfg.lease_ttl, 180);
	assert_int_equal(cfg.update_interval, 30);
	assert_int_equal(cfg.renew_deadline, 120);
	assert_int_equal(cfg.fail_threshold, 2);
	assert_int_equal(cfg.dns_timeout_ms, 5000);
	assert_int_equal(cfg.dns_retries, 0);
	assert_int_equal(cfg.health_mode, CONFIG_HEALTH_METRICS);
	assert_string_equal(cfg.health_host, "collector.example.test");
	assert_int_equal(cfg.health_port, 8888);
	assert_int_equal(cfg.health_timeout, 5);
	assert_string_equal(cfg.health_url, "http://[2001:db8::10]:8888/metrics");
	assert_string_equal(cfg.health_metric, "otelcol_exporter_sent_metric_points_total");
	assert_int_equal(cfg.health_stale_count, 2);
	assert_string_equal(cfg.tsig_keyfile, "/etc/dnsfailover/tsig.key");
	assert_string_equal(cfg.tsig_keyname, "failover-key");
	assert_string_equal(cfg.dryrun_statefile, "/tmp/x.json");
	assert_int_equal(cfg.log_target, CONFIG_LOG_SYSLOG);
	assert_int_equal(cfg.log_level, LOG_LEVEL_WARN);
	assert_string_equal(cfg.gss.principal, "dnsfailover-dr@EXAMPLE.TEST");
	assert_int_equal(cfg.gss.mech, CONFIG_GSS_SPNEGO);
	assert_int_equal(cfg.gss.alg, CONFIG_GSS_MICROSOFT);
	assert_string_equal(cfg.watch.my_ip, "2001:db8::20"); /* canonical form */
	assert_int_equal(cfg.watch.check_interval_ms, 7000);
	assert_int_equal(cfg.watch.mode, CONFIG_WATCH_KUBERNETES);
	assert_string_equal(cfg.watch.k8s_namespace, "otel");
	assert_string_equal(cfg.watch.k8s_deployment, "collector");
	assert_int_equal(cfg.watch.replicas_active, 3);
	assert_int_equal(cfg.watch.replicas_inactive, 1);
	assert_int_equal(cfg.watch.cmd_timeout, 9);
	assert_string_equal(cfg.metrics_listen, "127.0.0.1:9464");
	assert_string_equal(config_my_ip(&cfg), "2001:db8::20");
	assert_string_equal(config_peer_ip(&cfg), "2001:db8::10");
}

static void test_syntax_accepted(void **state)
{
	(void)state;
	/* Comments, blank lines, export, CRLF, blanks around '=', a BOM. */
	expect_ok("\xef\xbb\xbf# a comment\r\n\r\n   \t\r\n"
		  "export ROLE=primary\r\n"
		  "  export\tDNS_PROVIDER = bind-tsig   # trailing comment\r\n"
		  "DNS_ZONE=example.test\r\nDNS_RECORD=lease.example.test\r\n"
		  "PRIMARY_IP=192.0.2.10\r\nDR_IP=192.0.2.20");
	assert_string_equal(cfg.provider, "bind-tsig");

	/* Single quotes are literal: no escapes, # and backslashes kept. */
	expect_ok(BASE "TSIG_KEYFILE='/etc/a b/#k\\n.key'  # comment\n");
	assert_string_equal(cfg.tsig_keyfile, "/etc/a b/#k\\n.key");

	/* Double quotes: \" and \\ are escapes, other backslashes stay. */
	expect_ok(BASE "TSIG_KEYFILE=\"/etc/\\\"q\\\"/\\\\x\\t.key\"\n");
	assert_string_equal(cfg.tsig_keyfile, "/etc/\"q\"/\\x\\t.key");

	/* Unquoted: # inside a word is data; quotes in the middle are data. */
	expect_ok(BASE "TSIG_KEYFILE=/etc/k#1's.key\n");
	assert_string_equal(cfg.tsig_keyfile, "/etc/k#1's.key");

	/* An empty value, bare or quoted, means "not set": the default applies. */
	expect_ok(BASE "DNS_PORT=\nDNS_TTL=''\nLEASE_TTL=\"\"   # default\nDNS_SERVER= # none\n");
	assert_int_equal(cfg.port, 53);
	assert_int_equal(cfg.dns_ttl, 30);
	assert_int_equal(cfg.lease_ttl, 60);
	assert_string_equal(cfg.server, "");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	expect_error(BASE "DNS_SERVER 192.0.2.53\n",
		     "t.env:7: expected KEY=VALUE (the line has no '=')");
	expect_error(BASE "export\n", "t.env:7: expected KEY=VALUE");
	expect_error(BASE "DNS_PROVIDER2=x\nA-B=1\n", "t.env:7: unknown key DNS_PROVIDER2");
	expect_error(BASE "A-B=1\n", "t.env:7: invalid key before '=': keys are upper-case "
				     "letters, digits and _, [A-Z_][A-Z0-9_]*");
	assert_msg_lacks("did you mean");
	expect_error(BASE "1DNS=1\n", "t.env:7: invalid key before '='");
	expect_error(BASE "=1\n", "t.env:7: invalid key before '='");
	/* A lower-case key gets the upper-case suggestion. */
	expect_error(BASE "dns_server=192.0.2.53\n", "did you mean DNS_SERVER?");
	expect_error(BASE "DNS_SERVER='192.0.2.53\n",
		     "t.env:7: DNS_SERVER: the value has no closing single quote");
	expect_error(BASE "DNS_SERVER=\"192.0.2.53\\\"\n",
		     "t.env:7: DNS_SERVER: the value has no closing double quote");
	expect_error(BASE "DNS_SERVER=\"192.0.2.53\" x\n",
		     "t.env:7: DNS_SERVER: unexpected text after the closing quote");
	/* \n is an escape, and a newline is not a valid character in any value. */
	expect_error(BASE "DNS_SERVER=\"a\\nb\"\n",
		     "t.env:7: DNS_SERVER=a?b contains a control character");
	/* A NUL byte cannot hide the rest of a line. */
	static const char nul[] = BASE "DNS_SERVER=a\0b\n";
	memset(&d, 0, sizeof(d));
	assert_int_equal(
		config_parse_text(&cfg, failover_config_modules, nul, sizeof(nul) - 1, "t.env", &d),
		DF_ECONFIG);
	assert_msg_has("t.env:7: the line contains a NUL byte");
}

static void test_unknown_keys(void **state)
{
	(void)state;
	/* The exact wording operators will grep for. */
	expect_error("ROLE=primary\n#\n\n\n\n\nDNS_SEVRER=192.0.2.53\n" BASE,
		     "t.env:7: unknown key DNS_SEVRER (did you mean DNS_SERVER?)");
	expect_error(BASE "LEASE_TT=60\n",
		     "t.env:7: unknown key LEASE_TT (did you mean LEASE_TTL?)");
	expect_error(BASE "TSIG_KEY_FIEL=/k\n", "(did you mean TSIG_KEY_FILE?)");
	/* Nothing close: no guess. */
	expect_error(BASE "DNS_FOO=1\n", "t.env:7: unknown key DNS_FOO");
	assert_msg_lacks("did you mean");
	/* _FILE only exists for secrets. */
	expect_error(BASE "DNS_SERVER_FILE=/x\n", "DNS_SERVER is not a secret");
}

static void test_closest_key(void **state)
{
	(void)state;
	assert_string_equal(config_closest_key(failover_config_modules, "DNS_SEVRER"),
			    "DNS_SERVER");
	assert_string_equal(config_closest_key(failover_config_modules, "dns_server"),
			    "DNS_SERVER");
	assert_string_equal(config_closest_key(failover_config_modules, "ROEL"), "ROLE");
	assert_string_equal(config_closest_key(failover_config_modules, "HEALTH_URLS"),
			    "HEALTH_URL");
	assert_string_equal(config_closest_key(failover_config_modules, "UPDATE_INTERVALL"),
			    "UPDATE_INTERVAL");
	assert_string_equal(config_closest_key(failover_config_modules, "TSIG_KEYFLE"),
			    "TSIG_KEYFILE");
	assert_string_equal(config_closest_key(failover_config_modules, "OTEL_CONTAINR"),
			    "OTEL_CONTAINER");
	assert_string_equal(config_closest_key(failover_config_modules, "TSIG_KEY_FLIE"),
			    "TSIG_KEY_FILE");
	/* Only the modules listed are known. */
	assert_null(config_closest_key(NULL, "OTEL_CONTAINER"));
	assert_string_equal(config_closest_key(NULL, "ROEL"), "ROLE");
	assert_null(config_closest_key(failover_config_modules, "DNS_FOO"));
	assert_null(config_closest_key(failover_config_modules, "PATH"));
	assert_null(config_closest_key(failover_config_modules, ""));
	assert_null(config_closest_key(failover_config_modules, NULL));
	char longname[300];
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_null(config_closest_key(failover_config_modules, longname));
}

static void test_duplicates(void **state)
{
	(void)state;
	expect_error(BASE "DNS_TTL=30\n\nDNS_TTL=60\n",
		     "t.env:9: duplicate key DNS_TTL (first set at line 7)");
	expect_error(BASE "TSIG_KEY=hmac-sha256:k:" SECRET "\nTSIG_KEY_FILE=/x\n",
		     "t.env:8: TSIG_KEY_FILE conflicts with TSIG_KEY at line 7");
	assert_msg_lacks(SECRET);
}

static void test_numbers(void **state)
{
	(void)state;
	expect_error(BASE "LEASE_TTL=abc\n",
		     "t.env:7: LEASE_TTL=abc is not a decimal number; expected an integer from 3 "
		     "to 86400");
	expect_error(BASE "LEASE_TTL=-1\n", "LEASE_TTL=-1 is not a decimal number");
	expect_error(BASE "LEASE_TTL=+60\n", "LEASE_TTL=+60 is not a decimal number");
	expect_error(BASE "LEASE_TTL=60s\n", "LEASE_TTL=60s is not a decimal number");
	expect_error(BASE "LEASE_TTL=0x3c\n", "LEASE_TTL=0x3c is not a decimal number");
	expect_error(BASE "LEASE_TTL='60 '\n", "LEASE_TTL=60  is not a decimal number");
	expect_error(BASE "LEASE_TTL=2\n",
		     "t.env:7: LEASE_TTL=2 is out of range; expected an integer from 3 to 86400");
	expect_error(BASE "LEASE_TTL=86401\n", "LEASE_TTL=86401 is out of range");
	expect_error(BASE "LEASE_TTL=4294967296\n", "LEASE_TTL=4294967296 is out of range");
	expect_error(BASE "LEASE_TTL=99999999999999999999999\n", "is out of range");
	expect_error(BASE "DNS_PORT=0\n",
		     "DNS_PORT=0 is out of range; expected an integer from 1 to 65535");
	expect_error(BASE "DNS_PORT=65536\n", "DNS_PORT=65536 is out of range");
	expect_error(BASE "HEALTH_PORT=http\n", "HEALTH_PORT=http is not a decimal number");
	expect_error(BASE "DNS_RETRIES=11\n", "expected an integer from 0 to 10");
	expect_error(BASE "FAIL_THRESHOLD=0\n", "FAIL_THRESHOLD=0 is out of range");
	expect_error(BASE "DNS_TIMEOUT=301\n",
		     "DNS_TIMEOUT=301 is out of range; expected an integer from 1 to 300");
	expect_error(BASE "OTEL_REPLICAS_ACTIVE=one\n",
		     "OTEL_REPLICAS_ACTIVE=one is not a decimal number");
	expect_ok(BASE "DNS_PORT=65535\nDNS_TIMEOUT=300\nLEASE_TTL=0086400\nUPDATE_INTERVAL=1\n");
	assert_int_equal(cfg.port, 65535);
	assert_int_equal(cfg.dns_timeout_ms, 300000);
	assert_int_equal(cfg.lease_ttl, 86400);
}

static void test_metric_selector(void **state)
{
	(void)state;
	/* The form: a metric with a label selector. */
	expect_ok(BASE "HEALTH_METRIC=otelcol_receiver_accepted_metric_points_total"
		       "{receiver=\"prometheus\"}\n");
	assert_string_equal(
		cfg.health_metric,
		"otelcol_receiver_accepted_metric_points_total{receiver=\"prometheus\"}");
	expect_ok(BASE "HEALTH_METRIC='m{a=\"x\",b=\"y\"}'\n");
	expect_error(BASE "HEALTH_METRIC=m{receiver=otlp}\n", "is not a metric name or selector");
	expect_error(BASE "HEALTH_METRIC=9lives\n", "is not a metric name or selector");
}

static void test_enums(void **state)
{
	(void)state;
	expect_error(BASE "ROLE=dr\n", "t.env:7: duplicate key ROLE (first set at line 1)");
	expect_ok(
		"ROLE=DR\nDNS_PROVIDER=bind-tsig\nDNS_ZONE=example.test\nDNS_RECORD=example.test\n"
		"PRIMARY_IP=192.0.2.10\nDR_IP=192.0.2.20\nHEALTH_MODE=TCP\nLOG_LEVEL=Debug\n");
	assert_int_equal(cfg.role, CONFIG_ROLE_DR);
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	expect_error("ROLE=backup\nDNS_PROVIDER=x\nDNS_ZONE=e.test\nDNS_RECORD=e.test\n"
		     "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n",
		     "t.env:1: ROLE=backup is not a valid choice; expected one of primary, dr");
	expect_error(
		BASE "HEALTH_MODE=http\n",
		"t.env:7: HEALTH_MODE=http is not a valid choice; expected one of tcp, metrics");
	expect_error(BASE "LOG_TARGET=file\n", "expected one of stderr, syslog");
	expect_error(BASE "LOG_LEVEL=trace\n", "expected one of error, warn, warning, info, debug");
	/* The modes of the watcher and of GSS-TSIG are checked at load too, so
	 * that run, watch and validate refuse a bad value alike. */
	expect_error(BASE "WATCH_MODE=podman\n",
		     "t.env:7: WATCH_MODE=podman is not a valid choice; expected one of docker, "
		     "kubernetes, command, systemd");
	expect_error(BASE "WATCH_ON_DNS_FAILURE=halt\n",
		     "t.env:7: WATCH_ON_DNS_FAILURE=halt is not a valid choice; expected one of "
		     "stop, keep");
	expect_error(BASE "GSS_MECH=ntlm\n", "GSS_MECH=ntlm is not a valid choice; expected one "
					     "of krb5, spnego");
	expect_error(BASE "GSS_TSIG_ALG=hmac-sha256\n",
		     "GSS_TSIG_ALG=hmac-sha256 is not a valid choice; expected one of gss-tsig, "
		     "gss.microsoft.com");
	/* Stored in the table's spelling, whatever the case in the file. */
	expect_ok(BASE "WATCH_MODE=Docker\nWATCH_ON_DNS_FAILURE=KEEP\n");
	assert_int_equal(cfg.watch.mode, CONFIG_WATCH_DOCKER);
	assert_int_equal(cfg.watch.on_dns_failure, CONFIG_DNS_FAILURE_KEEP);
	assert_string_equal(config_role_name(CONFIG_ROLE_PRIMARY), "primary");
	assert_string_equal(config_role_name(CONFIG_ROLE_DR), "dr");
}

static void test_required(void **state)
{
	(void)state;
	expect_error("DNS_PROVIDER=x\nDNS_ZONE=e.test\nDNS_RECORD=e.test\nPRIMARY_IP=192.0.2.1\n"
		     "DR_IP=192.0.2.2\n",
		     "ROLE is required (this site's role: primary or dr); set it in t.env or the "
		     "environment");
	expect_error("ROLE=dr\nDNS_ZONE=e.test\nDNS_RECORD=e.test\nPRIMARY_IP=192.0.2.1\n"
		     "DR_IP=192.0.2.2\n",
		     "DNS_PROVIDER is required");
	expect_error("ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=e.test\nDNS_RECORD=e.test\n"
		     "PRIMARY_IP=192.0.2.1\n",
		     "DR_IP is required");
	expect_error("ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=\nDNS_RECORD=e.test\n"
		     "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n",
		     "t.env:3: DNS_ZONE is empty; it is required");
	expect_error("ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=e.test\nPRIMARY_IP=192.0.2.1\n"
		     "DR_IP=192.0.2.2\n",
		     "DNS_RECORD is required");
	/* Environment only: the message does not invent a file name. */
	char *env[] = {"ROLE=dr", NULL};
	assert_int_equal(load(NULL, env), DF_ECONFIG);
	assert_msg_has("DNS_PROVIDER is required");
	assert_msg_has("set it in a file or the environment");
}

static void test_addresses(void **state)
{
	(void)state;
	expect_error("ROLE=primary\nDNS_PROVIDER=x\nDNS_ZONE=e.test\nDNS_RECORD=e.test\n"
		     "PRIMARY_IP=300.1.1.1\nDR_IP=192.0.2.2\n",
		     "t.env:5: PRIMARY_IP=300.1.1.1 is not an IP address; expected an IPv4 or IPv6 "
		     "address");
	expect_error("ROLE=primary\nDNS_PROVIDER=x\nDNS_ZONE=e.test\nDNS_RECORD=e.test\n"
		     "PRIMARY_IP=192.0.2.1\nDR_IP=host.example\n",
		     "t.env:6: DR_IP=host.example is not an IP address");
	/* The same address in two spellings is still the same address. */
	expect_error("ROLE=primary\nDNS_PROVIDER=x\nDNS_ZONE=e.test\nDNS_RECORD=e.test\n"
		     "PRIMARY_IP=2001:db8::1\nDR_IP=2001:DB8:0:0::1\n",
		     "PRIMARY_IP (t.env:5) and DR_IP (t.env:6) are both 2001:db8::1");
	expect_error(BASE "MY_IP=not-an-ip\n", "t.env:7: MY_IP=not-an-ip is not an IP address");
	/* Servers and health hosts: IP literals or host names. */
	expect_ok(BASE "DNS_SERVER=2001:db8::53\nHEALTH_HOST=collector-1.example.test.\n");
	assert_string_equal(cfg.server, "2001:db8::53");
	assert_string_equal(cfg.health_host, "collector-1.example.test.");
	expect_error(
		BASE "DNS_SERVER=192.0.2.53:5353\n",
		"t.env:7: DNS_SERVER=192.0.2.53:5353 is not an IP address or a valid host name");
	expect_error(BASE "HEALTH_HOST=bad host\n", "HEALTH_HOST=bad host is not an IP address");
}

static void test_names(void **state)
{
	(void)state;
	char text[1024], label[80];

	/* Lower case, absolute, underscores allowed. */
	expect_ok("ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=Sub.Example.Test.\n"
		  "DNS_RECORD=_Lease.SUB.example.test\nPRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n");
	assert_string_equal(cfg.zone, "sub.example.test.");
	assert_string_equal(cfg.record, "_lease.sub.example.test.");

	/* The exact message of the brief. */
	expect_error("ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=example.test\nDNS_RECORD=lease.other.test\n"
		     "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n",
		     "DNS_RECORD lease.other.test. is not inside DNS_ZONE example.test.");
	assert_msg_has("DNS_RECORD from t.env:4, DNS_ZONE from t.env:3");
	/* A suffix is not enough: the boundary must be a label. */
	expect_error("ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=example.test\nDNS_RECORD=badexample.test\n"
		     "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n",
		     "DNS_RECORD badexample.test. is not inside DNS_ZONE example.test.");
	/* A zone below the record is not a container either. */
	expect_error("ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=a.example.test\nDNS_RECORD=example.test\n"
		     "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n",
		     "is not inside DNS_ZONE a.example.test.");

	expect_error(BASE "DNS_SERVER=a..b\n",
		     "DNS_SERVER=a..b is not an IP address or a valid host name");
	static const char *const bad[][2] = {
		{".", "is the root or empty"},
		{"a..example.test", "has an empty label"},
		{".example.test", "has an empty label"},
		{"exa mple.test", "contains a character other than"},
		{"ex*ample.test", "contains a character other than"},
		{"example.test..", "has an empty label"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=%s\nDNS_RECORD=e.test\n"
			 "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n",
			 bad[i][0]);
		expect_error(text, bad[i][1]);
		assert_msg_has("t.env:3: DNS_ZONE=");
		assert_msg_has("expected a domain name");
	}
	/* 63 is the longest label, 64 is too long. */
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(text, sizeof(text),
		 "ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=%s.test\nDNS_RECORD=%s.test\n"
		 "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n",
		 label, label);
	expect_ok(text);
	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(text, sizeof(text),
		 "ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=%s.test\nDNS_RECORD=e.test\n"
		 "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n",
		 label);
	expect_error(text, "has a label longer than 63 characters");
	/* 253 characters is the longest name, 254 is too long. */
	char name[300];
	memset(name, 'a', sizeof(name));
	for (size_t i = 50; i < 253; i += 51) {
		name[i] = '.';
	}
	name[253] = '\0';
	snprintf(text, sizeof(text),
		 "ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=%s\nDNS_RECORD=%s\n"
		 "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n",
		 name, name);
	expect_ok(text);
	assert_int_equal(strlen(cfg.zone), 254);
	name[253] = 'a';
	name[254] = '\0';
	snprintf(text, sizeof(text),
		 "ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=%s\nDNS_RECORD=e.test\n"
		 "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\n",
		 name);
	expect_error(text, "is longer than 253 characters");
}

static void test_timing(void **state)
{
	(void)state;
	/* An explicit deadline that breaks I < D < L names all three values. */
	expect_error(BASE "RENEW_DEADLINE=70\n",
		     "UPDATE_INTERVAL=10 (default), RENEW_DEADLINE=70 (t.env:7), LEASE_TTL=60 "
		     "(default): need UPDATE_INTERVAL < RENEW_DEADLINE < LEASE_TTL");
	expect_error(BASE "RENEW_DEADLINE=60\n", "RENEW_DEADLINE=60 (t.env:7)");
	expect_error(BASE "RENEW_DEADLINE=10\n", "UPDATE_INTERVAL=10 (default), RENEW_DEADLINE=10");
	expect_error(BASE "UPDATE_INTERVAL=40\nRENEW_DEADLINE=40\n",
		     "UPDATE_INTERVAL=40 (t.env:7), RENEW_DEADLINE=40 (t.env:8)");
	expect_ok(BASE "UPDATE_INTERVAL=39\nRENEW_DEADLINE=40\nLEASE_TTL=41\n");

	/* The default deadline: 40 when it fits, else L - max(I, L/4). */
	static const uint32_t cases[][3] = {
		/* I, L, expected D */
		{10, 60, 40},	{15, 45, 40}, {39, 41, 40},    {60, 180, 120},
		{5, 30, 23},	{1, 3, 2},    {30, 300, 40},   {45, 100, 55},
		{40, 200, 150}, {10, 40, 30}, {20, 86400, 40},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), BASE "UPDATE_INTERVAL=%u\nLEASE_TTL=%u\n", cases[i][0],
			 cases[i][1]);
		expect_ok(text);
		assert_int_equal(cfg.renew_deadline, cases[i][2]);
		assert_true(cfg.update_interval < cfg.renew_deadline);
		assert_true(cfg.renew_deadline < cfg.lease_ttl);
	}
	/* No default fits when L is below about 2I: say so. */
	expect_error(BASE "UPDATE_INTERVAL=50\nLEASE_TTL=100\n",
		     "UPDATE_INTERVAL=50 (t.env:7), RENEW_DEADLINE=50 (default, L - max(I, L/4)), "
		     "LEASE_TTL=100 (t.env:8)");
	assert_msg_has("set RENEW_DEADLINE");
	expect_error(BASE "UPDATE_INTERVAL=60\nLEASE_TTL=60\n",
		     "need UPDATE_INTERVAL < RENEW_DEADLINE < LEASE_TTL");
	/* Environment values are named as such. */
	char *env[] = {"LEASE_TTL=30", NULL};
	char path[256];
	write_file("timing.env", BASE, 0600, path, sizeof(path));
	assert_int_equal(load(path, env), DF_OK);
	assert_int_equal(cfg.renew_deadline, 20); /* 30 - max(10, 30/4) */
	char *env2[] = {"RENEW_DEADLINE=30", "LEASE_TTL=30", NULL};
	assert_int_equal(load(path, env2), DF_ECONFIG);
	assert_msg_has("RENEW_DEADLINE=30 (environment), LEASE_TTL=30 (environment)");
}

static void test_health(void **state)
{
	(void)state;
	expect_error("ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=e.test\nDNS_RECORD=e.test\n"
		     "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\nHEALTH_MODE=metrics\n",
		     "HEALTH_MODE=metrics (t.env:7) on ROLE=dr needs HEALTH_URL, e.g. "
		     "http://192.0.2.1:8888/metrics");
	expect_ok("ROLE=dr\nDNS_PROVIDER=x\nDNS_ZONE=e.test\nDNS_RECORD=e.test\n"
		  "PRIMARY_IP=192.0.2.1\nDR_IP=192.0.2.2\nHEALTH_MODE=metrics\n"
		  "HEALTH_URL=HTTPS://192.0.2.1:8888/metrics?x=1\n");
	assert_int_equal(cfg.health_mode, CONFIG_HEALTH_METRICS);
	/* The primary's own metrics check is optional. */
	expect_ok(BASE "HEALTH_MODE=metrics\n");
	expect_error(BASE "HEALTH_URL=ftp://192.0.2.1/metrics\n",
		     "t.env:7: HEALTH_URL=ftp://192.0.2.1/metrics is not an http or https URL; "
		     "expected an http:// or https:// URL");
	expect_error(BASE "HEALTH_URL=http://\n", "is not an http or https URL");
	expect_error(BASE "HEALTH_URL=http:///metrics\n", "is not an http or https URL");
	expect_error(BASE "HEALTH_URL='http://a b/'\n", "is not an http or https URL");
	expect_error(BASE "HEALTH_METRIC=otelcol-receiver\n",
		     "HEALTH_METRIC=otelcol-receiver is not a metric name or selector; expected a "
		     "Prometheus metric name");
	expect_error(BASE "HEALTH_METRIC=1abc\n", "is not a metric name");
	expect_ok(BASE "HEALTH_METRIC=ns:metric_total\n");
}

static void test_tsig(void **state)
{
	(void)state;
	expect_error(BASE "TSIG_KEY=hmac-sha256:k:" SECRET "\nTSIG_KEYFILE=/etc/k.key\n",
		     "TSIG_KEY (t.env:7) and TSIG_KEYFILE (t.env:8) are both set");
	assert_msg_lacks(SECRET);
	expect_error(BASE "TSIG_KEYNAME=k\n",
		     "TSIG_KEYNAME (t.env:7) picks a key from TSIG_KEYFILE");
	expect_ok(BASE "TSIG_KEY=hmac-sha256:failover-key:" SECRET "\n");
	assert_string_equal(cfg.tsig_key, "hmac-sha256:failover-key:" SECRET);
	expect_ok(BASE "TSIG_KEY=failover-key:" SECRET "\n");
	/* A malformed key string is reported without its value. */
	static const char *const bad[] = {SECRET, ":k:" SECRET, "a:b:c:" SECRET, "alg::" SECRET,
					  "k:" SECRET ":"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), BASE "TSIG_KEY=%s\n", bad[i]);
		expect_error(text, "t.env:7: TSIG_KEY is not of the form [algorithm:]name:secret "
				   "(value not shown)");
		assert_msg_lacks(SECRET);
		assert_msg_lacks("c2Vj");
	}
}

static void test_secrets_never_shown(void **state)
{
	(void)state;
	char text[8192], big[CONFIG_STR_MAX + 16];

	/* A control character in a secret. */
	expect_error(BASE "TSIG_KEY=\"k:" SECRET "\\n\"\n",
		     "TSIG_KEY contains a control character (value not shown)");
	assert_msg_lacks("c2Vj");
	expect_error(BASE "TSIG_KEY=\"k:" SECRET "\\n\"\n",
		     "t.env:7: TSIG_KEY contains a control character (value not shown)");
	assert_msg_lacks("c2Vj");
	/* Too long. */
	memset(big, 'S', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text), BASE "TSIG_KEY=k:%s\n", big);
	expect_error(text,
		     "TSIG_KEY is too long (value not shown); expected at most 511 characters");
	assert_msg_lacks("SSSS");
	/* A non-secret value is shown, cut short and with control bytes masked. */
	memset(big, 'x', sizeof(big) - 1);
	snprintf(text, sizeof(text), BASE "TSIG_KEYFILE=%s\n", big);
	expect_error(text, "TSIG_KEYFILE=xxxx");
	assert_msg_has("... is too long; expected at most 511 characters");
	/* Duplicate and conflict messages name lines, not values. */
	expect_error(BASE "TSIG_KEY=k:" SECRET "\nTSIG_KEY=k:" SECRET "\n",
		     "duplicate key TSIG_KEY");
	assert_msg_lacks(SECRET);
	/* A syntax error on a secret's line does not echo the value. */
	expect_error(BASE "TSIG_KEY=\"k:" SECRET "\n", "no closing double quote");
	assert_msg_lacks(SECRET);
	expect_error(BASE "TSIG_KEY='k:" SECRET "' junk\n", "unexpected text");
	assert_msg_lacks(SECRET);
	/* A secret wrapped onto the next line, with or without its '=' padding. */
	expect_error(BASE "TSIG_KEY=k:wJalrXUtnFEMI\nK7MDENGbPxRfiCYEXAMPLEKEY\n",
		     "t.env:8: expected KEY=VALUE (the line has no '=')");
	assert_msg_lacks("EXAMPLEKEY");
	expect_error(BASE "TSIG_KEY=hmac-sha256:k:c2VjcmV0LXZhbHVl\nLW5ldmVyLXByaW50ZWQ=\n",
		     "t.env:8: invalid key before '='");
	assert_msg_lacks("LW5ld");
}

static void test_secret_files(void **state)
{
	(void)state;
	char keypath[256], text[1024], path[256], dir[256];

	/* First line, trimmed; the rest of the file is not read as the value. */
	write_file("tsig.secret", "  hmac-sha256:failover-key:" SECRET " \r\nsecond line\n", 0600,
		   keypath, sizeof(keypath));
	snprintf(text, sizeof(text), BASE "TSIG_KEY_FILE=%s\n", keypath);
	expect_ok(text);
	assert_string_equal(cfg.tsig_key, "hmac-sha256:failover-key:" SECRET);

	/* No newline at all (kubectl create secret --from-literal). */
	write_file("bare.secret", "k:" SECRET, 0400, path, sizeof(path));
	snprintf(text, sizeof(text), BASE "TSIG_KEY_FILE=%s\n", path);
	expect_ok(text);
	assert_string_equal(cfg.tsig_key, "k:" SECRET);

	/* Through the environment, overriding the file's literal value. */
	char env_entry[300];
	snprintf(env_entry, sizeof(env_entry), "TSIG_KEY_FILE=%s", keypath);
	char *env[] = {env_entry, NULL};
	write_file("env.env", BASE "TSIG_KEY=other:" SECRET "x\n", 0600, path, sizeof(path));
	assert_int_equal(load(path, env), DF_OK);
	assert_string_equal(cfg.tsig_key, "hmac-sha256:failover-key:" SECRET);
	assert_int_equal(warn_count, 0);

	/* A file that group or others can read is refused, saying how to fix it. */
	write_file("open.secret", "k:" SECRET "\n", 0644, path, sizeof(path));
	snprintf(env_entry, sizeof(env_entry), "TSIG_KEY_FILE=%s", path);
	char *open_env[] = {"ROLE=dr",
			    "DNS_PROVIDER=x",
			    "DNS_ZONE=e.test",
			    "DNS_RECORD=e.test",
			    "PRIMARY_IP=192.0.2.1",
			    "DR_IP=192.0.2.2",
			    env_entry,
			    NULL};
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load(NULL, open_env), DF_ECONFIG);
	assert_msg_has("environment: TSIG_KEY_FILE=");
	assert_msg_has("open.secret: secret file ");
	assert_msg_has("open.secret is readable by group and others (mode 0644, owner uid ");
	assert_msg_has("): run 'chmod 600 ");
	assert_msg_lacks(SECRET);
	assert_string_equal(cfg.tsig_key, "");
	assert_int_equal(warn_count, 0);
	/* The same in a file, and for any access of group or others. */
	snprintf(text, sizeof(text), BASE "TSIG_KEY_FILE=%s\n", path);
	expect_error(text, "t.env:7: TSIG_KEY_FILE=");
	assert_msg_has("open.secret is readable by group and others (mode 0644");
	assert_int_equal(chmod(path, 0620), 0);
	expect_error(text, "open.secret is writable by group (mode 0620");
	assert_int_equal(chmod(path, 0602), 0);
	expect_error(text, "open.secret is writable by others (mode 0602");
	assert_int_equal(chmod(path, 0640), 0);
	expect_error(text, "open.secret is readable by group (mode 0640");
	assert_int_equal(chmod(path, 0400), 0);
	expect_ok(text);
	/* Owned by someone else: only root can set that up. */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		expect_error(text, "open.secret is owned by uid 65534, neither root nor the user "
				   "running dnsfailover (uid 0): run 'chown 0 ");
		assert_int_equal(chown(path, 0, 0), 0);
	}

	/* Errors name the key, where it was set and the file. */
	snprintf(text, sizeof(text), BASE "TSIG_KEY_FILE=%s/missing\n", tmpdir);
	expect_error(text, "t.env:7: TSIG_KEY_FILE=");
	assert_msg_has("/missing: cannot open the file (No such file or directory)");
	snprintf(dir, sizeof(dir), "%s/adir", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(text, sizeof(text), BASE "TSIG_KEY_FILE=%s\n", dir);
	expect_error(text, "/adir: not a regular file");
	write_file("empty.secret", "\n\nk:" SECRET "\n", 0600, path, sizeof(path));
	snprintf(text, sizeof(text), BASE "TSIG_KEY_FILE=%s\n", path);
	expect_error(text, "empty.secret: the first line of the file is empty");
	assert_msg_lacks(SECRET);
	/* A bad secret read from a file: the message says where, never what. */
	write_file("bad.secret", SECRET "\n", 0600, path, sizeof(path));
	snprintf(text, sizeof(text), BASE "TSIG_KEY_FILE=%s\n", path);
	expect_error(text, "t.env:7 (TSIG_KEY_FILE=");
	assert_msg_has("bad.secret): TSIG_KEY is not of the form [algorithm:]name:secret (value "
		       "not shown)");
	assert_msg_lacks("c2Vj");
	/* Both spellings in the environment: refuse rather than guess. */
	char *both[] = {"TSIG_KEY=k:" SECRET, env_entry, NULL};
	assert_int_equal(load(NULL, both), DF_ECONFIG);
	assert_msg_has("environment: both TSIG_KEY and TSIG_KEY_FILE are set");
	assert_msg_lacks(SECRET);
	/* An empty NAME_FILE is "not set". */
	expect_ok(BASE "TSIG_KEY_FILE=\n");
	assert_string_equal(cfg.tsig_key, "");
}

/*
 * A configuration file that holds a secret itself follows the rule of key
 * files; one without a secret may be world-readable.
 */
static void test_config_file_secrecy(void **state)
{
	(void)state;
	char path[256], text[1024], keypath[256];

	write_file("open.env", BASE "TSIG_KEY=hmac-sha256:k:" SECRET "\n", 0644, path,
		   sizeof(path));
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load(path, NULL), DF_ECONFIG);
	assert_msg_has("open.env:7: TSIG_KEY is a secret, but configuration file ");
	assert_msg_has("open.env is readable by group and others (mode 0644, owner uid ");
	assert_msg_has("): run 'chmod 600 ");
	assert_msg_has("or set TSIG_KEY_FILE to a file only you can read");
	assert_msg_lacks(SECRET);
	assert_string_equal(cfg.tsig_key, "");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(load(path, NULL), DF_ECONFIG);
	assert_msg_has("open.env is readable by group (mode 0640");
	/* The environment overriding it does not take the secret out of the file. */
	assert_int_equal(load(path, (char *[]){"TSIG_KEY=k:" SECRET "x", NULL}), DF_ECONFIG);
	assert_msg_has("open.env:7: TSIG_KEY is a secret");
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(load(path, NULL), DF_OK);
	assert_string_equal(cfg.tsig_key, "hmac-sha256:k:" SECRET);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(load(path, NULL), DF_ECONFIG);
		assert_msg_has("open.env is owned by uid 65534");
		assert_int_equal(chown(path, 0, 0), 0);
	}

	/* No secret in it: world-readable is fine, with a key file or a NAME_FILE. */
	write_file("public.env", BASE "DNS_TTL=45\n", 0644, path, sizeof(path));
	assert_int_equal(load(path, NULL), DF_OK);
	assert_int_equal(cfg.dns_ttl, 45);
	write_file("private.secret", "k:" SECRET "\n", 0600, keypath, sizeof(keypath));
	snprintf(text, sizeof(text), BASE "TSIG_KEY_FILE=%s\n", keypath);
	write_file("public-ref.env", text, 0644, path, sizeof(path));
	assert_int_equal(load(path, NULL), DF_OK);
	assert_string_equal(cfg.tsig_key, "k:" SECRET);
	/* An empty TSIG_KEY is "not set": nothing secret in the file. */
	write_file("empty-key.env", BASE "TSIG_KEY=\n", 0644, path, sizeof(path));
	assert_int_equal(load(path, NULL), DF_OK);
	assert_int_equal(warn_count, 0);
}

static void test_environment(void **state)
{
	(void)state;
	char path[256];
	write_file("base.env", BASE "LEASE_TTL=90\nDNS_SERVER=192.0.2.53\n", 0600, path,
		   sizeof(path));

	char *env[] = {"PATH=/usr/bin",
		       "HOME=/root",
		       "LEASE_TTL=120",
		       "DNS_SERVER=", /* empty: does not blank the file's value */
		       "DNS_SEVRER=x",
		       "HEALTH_FOO=1",
		       "not-an-assignment",
		       "DNS_TTL=45",
		       "DNS_TTL=50", /* repeated: the first wins, as with getenv() */
		       "dns_server=lowercase-is-not-ours",
		       NULL};
	assert_int_equal(load(path, env), DF_OK);
	assert_int_equal(cfg.lease_ttl, 120);
	assert_string_equal(cfg.server, "192.0.2.53");
	assert_int_equal(cfg.dns_ttl, 45);
	assert_string_equal(cfg.source, path);
	assert_int_equal(warn_count, 2);
	assert_non_null(strstr(warnings,
			       "environment: unknown variable DNS_SEVRER ignored (did you mean "
			       "DNS_SERVER?)\n"));
	assert_non_null(strstr(warnings, "environment: unknown variable HEALTH_FOO ignored\n"));

	/* A bad environment value is named as coming from the environment. */
	char *bad[] = {"DNS_PORT=fifty-three", NULL};
	assert_int_equal(load(path, bad), DF_ECONFIG);
	assert_msg_has("environment: DNS_PORT=fifty-three is not a decimal number");

	/* The environment wins even over a broken value in the file. */
	write_file("broken.env", BASE "DNS_PORT=fifty-three\n", 0600, path, sizeof(path));
	char *fix[] = {"DNS_PORT=5353", NULL};
	assert_int_equal(load(path, fix), DF_OK);
	assert_int_equal(cfg.port, 5353);
	/* ...but not over a syntax error or an unknown key in the file. */
	write_file("typo.env", BASE "DNS_PROT=5353\n", 0600, path, sizeof(path));
	assert_int_equal(load(path, fix), DF_ECONFIG);
	assert_msg_has("typo.env:7: unknown key DNS_PROT (did you mean DNS_PORT?)");

	/* Environment only. */
	char *only[] = {"ROLE=dr",
			"DNS_PROVIDER=dry-run",
			"DNS_ZONE=example.test",
			"DNS_RECORD=lease.example.test",
			"PRIMARY_IP=192.0.2.1",
			"DR_IP=192.0.2.2",
			"UPDATE_INTERVAL=5",
			NULL};
	assert_int_equal(load(NULL, only), DF_OK);
	assert_int_equal(cfg.role, CONFIG_ROLE_DR);
	assert_int_equal(cfg.update_interval, 5);
	assert_string_equal(cfg.source, "");
	assert_string_equal(config_my_ip(&cfg), "192.0.2.2");
	assert_string_equal(config_peer_ip(&cfg), "192.0.2.1");
	/* No file and no environment: the first required key is missing. */
	assert_int_equal(load(NULL, NULL), DF_ECONFIG);
	assert_msg_has("ROLE is required");
}

static void test_files(void **state)
{
	(void)state;
	char path[256];

	snprintf(path, sizeof(path), "%s/none.env", tmpdir);
	assert_int_equal(load(path, NULL), DF_ECONFIG);
	assert_msg_has("none.env: cannot open the configuration file (No such file or directory)");
	assert_int_equal(load(tmpdir, NULL), DF_ECONFIG);
	assert_msg_has(": not a regular file");
	write_file("line.env", BASE "\n\nUPDATE_INTERVAL=ten\n", 0600, path, sizeof(path));
	assert_int_equal(load(path, NULL), DF_ECONFIG);
	char expect[400];
	snprintf(expect, sizeof(expect), "%s:9: UPDATE_INTERVAL=ten is not a decimal number", path);
	assert_msg_has(expect);
	assert_int_equal(config_load(NULL, failover_config_modules, path, NULL, NULL, NULL),
			 DF_EINVAL);
	assert_int_equal(config_parse_text(NULL, failover_config_modules, "", 0, "x", NULL),
			 DF_EINVAL);
	assert_int_equal(config_parse_text(&cfg, failover_config_modules, NULL, 1, "x", NULL),
			 DF_EINVAL);
	/* d may be NULL. */
	assert_int_equal(config_parse_text(&cfg, failover_config_modules, "X", 1, "x", NULL),
			 DF_ECONFIG);
}

static void test_untouched_on_error(void **state)
{
	(void)state;
	config_t before;
	memset(&cfg, 0xab, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(cfg));
	static const char *const broken[] = {
		BASE "RENEW_DEADLINE=70\n", /* fails in the last pass */
		BASE "DNS_SEVRER=x\n",	    /* fails in the first */
		BASE "LEASE_TTL=x\n",
		"ROLE=dr\n",
	};
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		assert_int_equal(parse(broken[i]), DF_ECONFIG);
		assert_memory_equal(&cfg, &before, sizeof(cfg));
	}
	expect_ok(BASE);
	config_deinit(&cfg);
	assert_string_equal(cfg.zone, "");
	assert_string_equal(cfg.watch.container, "");
	config_deinit(NULL);
}

static void test_key_table(void **state)
{
	(void)state;
	config_key_info_t info;
	size_t n = 0, secrets = 0;

	for (size_t i = 0; config_key_at(failover_config_modules, i, &info); i++, n++) {
		char file_form[64];
		assert_non_null(info.name);
		assert_non_null(info.help);
		/* Every name is a valid key and is its own closest key. */
		assert_string_equal(config_closest_key(failover_config_modules, info.name),
				    info.name);
		if (info.secret) {
			secrets++;
			snprintf(file_form, sizeof(file_form), "%s_FILE", info.name);
			assert_string_equal(config_closest_key(failover_config_modules, file_form),
					    file_form);
		}
		/* No two keys share a name. */
		config_key_info_t other;
		for (size_t j = i + 1; config_key_at(failover_config_modules, j, &other); j++) {
			assert_string_not_equal(info.name, other.name);
		}
	}
	assert_false(config_key_at(failover_config_modules, n, &info));
	assert_false(config_key_at(failover_config_modules, 0, NULL));
	assert_true(n >= 50);
	/* TSIG_KEY, VAULT_TOKEN, VAULT_SECRET_ID, AWS_SECRET_ACCESS_KEY and
	 * AWS_SESSION_TOKEN (route53), CLOUDFLARE_API_TOKEN, INFOBLOX_PASSWORD,
	 * F5_PASSWORD, AZURE_CLIENT_SECRET. */
	assert_int_equal(secrets, 9);
	assert_true(config_key_at(failover_config_modules, 0, &info));
	assert_string_equal(info.name, "ROLE");
	assert_true(info.required);
	/* The core keys alone, without the modules'. */
	size_t core = 0;
	while (config_key_at(NULL, core, &info)) {
		core++;
	}
	assert_true(core > 10 && core < n);

	/* The longest command lines the watcher takes, all three at once. */
	static char all[16384], cmd[CONFIG_CMD_MAX];
	memset(cmd, 'x', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = '\0';
	snprintf(all, sizeof(all),
		 BASE "WATCH_MODE=command\nWATCH_START_CMD=%s\nWATCH_STOP_CMD=%s\n"
		      "WATCH_STATUS_CMD=%s\n",
		 cmd, cmd, cmd);
	expect_ok(all);
	assert_int_equal(strlen(cfg.watch.start_cmd), CONFIG_CMD_MAX - 1);
	assert_int_equal(strlen(cfg.watch.status_cmd), CONFIG_CMD_MAX - 1);
	snprintf(all, sizeof(all), BASE "WATCH_START_CMD=%sx\n", cmd);
	expect_error(all, "WATCH_START_CMD=");
	assert_msg_has("is too long; expected at most 4095 characters");
}

/*
 * Every secret key of the program, whichever module declares it, takes the
 * NAME_FILE form under the one secret-file rule: a file private to us is
 * read, one that others can read is refused with the chmod that fixes it.
 */
static void test_every_secret_takes_file(void **state)
{
	(void)state;
	config_key_info_t info;
	size_t checked = 0;
	char path[256], entry[320];

	for (size_t i = 0; config_key_at(failover_config_modules, i, &info); i++) {
		if (!info.secret) {
			continue;
		}
		const char *value =
			strcmp(info.name, "TSIG_KEY") == 0 ? "hmac-sha256:k:" SECRET : SECRET;
		char text[64];
		snprintf(text, sizeof(text), "%s\n", value);
		snprintf(entry, sizeof(entry), "%s_FILE=%s", info.name,
			 write_file("private.secret", text, 0600, path, sizeof(path)));
		char *env[] = {entry, NULL};
		write_file("base.env", BASE, 0644, path, sizeof(path));
		if (load(path, env) != DF_OK) {
			fail_msg("%s_FILE with mode 0600: %s", info.name, d.msg);
		}
		write_file("private.secret", text, 0644, path, sizeof(path));
		write_file("base.env", BASE, 0644, path, sizeof(path));
		assert_int_equal(load(path, env), DF_ECONFIG);
		snprintf(text, sizeof(text), "%s_FILE=", info.name);
		assert_msg_has(text);
		assert_msg_has("is readable by group and others (mode 0644");
		assert_msg_has("chmod 600 ");
		assert_msg_lacks(SECRET);
		checked++;
	}
	assert_true(checked >= 3); /* TSIG_KEY, VAULT_TOKEN, VAULT_SECRET_ID at least */
}

/* A module that puts values from elsewhere (as Vault's does), for the hook's tests. */
static const char *put_name, *put_value;
static int put_ret;
static int put_source(const config_t *c, config_ctx_t *ctx, df_detail_t *dd)
{
	(void)dd;
	/* The module's own keys are stored before its source runs. */
	assert_string_equal(c->metrics_listen, "127.0.0.1:9");
	put_ret = config_put(ctx, put_name, put_value, "Store s/k");
	return put_ret == DF_ENOENT ? DF_OK : put_ret;
}

static const config_key_t src_keys[] = {
	{.name = "METRICS_LISTEN",
	 .type = CONFIG_STR,
	 CONFIG_FIELD(metrics_listen),
	 .def = "127.0.0.1:9",
	 .help = "h"},
};

static void test_source_puts(void **state)
{
	(void)state;
	const config_module_t src = {
		.name = "src", .keys = src_keys, .count = 1, .source = put_source};
	const config_module_t *const mods[] = {&provider_config, &src, NULL};
	char path[256];
	char *env[] = {"DNS_TTL=50", NULL};

	write_file("src.env", BASE "DNS_TTL=40\n", 0644, path, sizeof(path));
	/* Over the file and the environment, in any case. */
	put_name = "dns_ttl";
	put_value = "45";
	memset(&d, 0, sizeof(d));
	assert_int_equal(config_load(&cfg, mods, path, env, NULL, &d), DF_OK);
	assert_int_equal(cfg.dns_ttl, 45);
	/* A secret from the store needs no private configuration file. */
	put_name = "tsig_key";
	put_value = "hmac-sha256:k:" SECRET;
	assert_int_equal(config_load(&cfg, mods, path, env, NULL, &d), DF_OK);
	assert_string_equal(cfg.tsig_key, "hmac-sha256:k:" SECRET);
	/* Through the same checks; the message names the store and shows no value. */
	put_name = "DNS_TTL";
	put_value = "forty-" SECRET;
	assert_int_equal(config_load(&cfg, mods, path, env, NULL, &d), DF_ECONFIG);
	assert_msg_has("Store s/k: DNS_TTL is not a decimal number (value not shown)");
	assert_msg_lacks(SECRET);
	put_name = "tsig_key";
	put_value = SECRET;
	assert_int_equal(config_load(&cfg, mods, path, env, NULL, &d), DF_ECONFIG);
	assert_msg_has("Store s/k: TSIG_KEY is not of the form");
	assert_msg_lacks(SECRET);
	/* Not a key, or the NAME_FILE form: DF_ENOENT for the source to report. */
	put_name = "dns_tll";
	assert_int_equal(config_load(&cfg, mods, path, env, NULL, &d), DF_OK);
	assert_int_equal(put_ret, DF_ENOENT);
	put_name = "tsig_key_file";
	assert_int_equal(config_load(&cfg, mods, path, env, NULL, &d), DF_OK);
	assert_int_equal(put_ret, DF_ENOENT);
	assert_int_equal(cfg.dns_ttl, 50);
	/* NAME_FILE secrets are read before any source runs: their errors come first. */
	put_name = "tsig_keyfile";
	put_value = "/etc/k.conf";
	write_file("src.env", BASE "TSIG_KEY_FILE=/nonexistent\n", 0644, path, sizeof(path));
	assert_int_equal(config_load(&cfg, mods, path, NULL, NULL, &d), DF_ECONFIG);
	assert_msg_has("TSIG_KEY_FILE=/nonexistent: cannot open the file");
	/* config_parse_text() runs no source. */
	put_ret = 99;
	assert_int_equal(config_parse_text(&cfg, mods, BASE, strlen(BASE), "t", &d), DF_OK);
	assert_int_equal(put_ret, 99);
	assert_int_equal(config_put(NULL, "a", "b", "c"), DF_EINVAL);
}

/* Each template loads as shipped and mentions every key, with its default. */
static void check_template(const char *name)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	snprintf(path, sizeof(path), "%s/etc/%s", top != NULL ? top : ".", name);

	assert_int_equal(load(path, NULL), DF_OK);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char text[65536];
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';

	config_key_info_t info;
	for (size_t i = 0; config_key_at(failover_config_modules, i, &info); i++) {
		char line[256];
		snprintf(line, sizeof(line), "\n%s=", info.name);
		char commented[256];
		snprintf(commented, sizeof(commented), "\n#%s=", info.name);
		const char *at = strstr(text, line);
		if (at == NULL) {
			at = strstr(text, commented);
		}
		if (at == NULL) {
			fail_msg("%s does not list %s", name, info.name);
		}
		if (info.def != NULL) {
			/* A commented key shows the default; a set key may differ. */
			char with_default[256];
			snprintf(with_default, sizeof(with_default), "\n#%s=%s\n", info.name,
				 info.def);
			if (strstr(text, commented) != NULL && strstr(text, with_default) == NULL) {
				fail_msg("%s: #%s= does not show the default %s", name, info.name,
					 info.def);
			}
		}
	}
}

static void test_templates(void **state)
{
	(void)state;
	check_template("primary.env");
	assert_int_equal(cfg.role, CONFIG_ROLE_PRIMARY);
	assert_string_equal(cfg.provider, "bind-tsig");
	check_template("dr.env");
	assert_int_equal(cfg.role, CONFIG_ROLE_DR);
	assert_int_equal(cfg.health_mode, CONFIG_HEALTH_METRICS);
}

/* The gcp-dns and azure-dns providers' keys, their defaults and requirements. */
static void test_gcp_azure_keys(void **state)
{
	(void)state;
#define PB                                                                   \
	"ROLE=primary\nDNS_ZONE=example.com\nDNS_RECORD=lease.example.com\n" \
	"PRIMARY_IP=192.0.2.10\nDR_IP=192.0.2.20\n"
	assert_int_equal(parse(PB "DNS_PROVIDER=gcp-dns\nGCP_MANAGED_ZONE=example-com\n"),
			 DF_ECONFIG);
	assert_msg_has("DNS_PROVIDER=gcp-dns needs GCP_CREDENTIALS_FILE");
	assert_int_equal(parse(PB "DNS_PROVIDER=gcp-dns\nGCP_CREDENTIALS_FILE=/k.json\n"
				  "GCP_MANAGED_ZONE=example-com\n"),
			 DF_OK);
	assert_string_equal(cfg.gcp.api_url, "https://dns.googleapis.com/dns/v1");
	assert_string_equal(cfg.gcp.token_uri, "");
	assert_string_equal(cfg.gcp.project_id, "");
	assert_int_equal(cfg.gcp.timeout, 10);
	assert_int_equal(parse(PB "DNS_PROVIDER=gcp-dns\nGCP_CREDENTIALS_FILE=/k.json\n"
				  "GCP_MANAGED_ZONE=example.com\n"),
			 DF_ECONFIG);
	assert_msg_has("is not a Cloud DNS managed zone name");
#define AZ                                                                                \
	PB "DNS_PROVIDER=azure-dns\nAZURE_SUBSCRIPTION_ID=sub\nAZURE_RESOURCE_GROUP=rg\n" \
	   "AZURE_TENANT_ID=t\nAZURE_CLIENT_ID=c\n"
	assert_int_equal(parse(AZ), DF_ECONFIG);
	assert_msg_has("DNS_PROVIDER=azure-dns needs AZURE_CLIENT_SECRET");
	assert_int_equal(parse(AZ "AZURE_CLIENT_SECRET=" SECRET "\n"), DF_OK);
	assert_string_equal(cfg.azure.client_secret, SECRET);
	assert_string_equal(cfg.azure.login_url, "https://login.microsoftonline.com");
	assert_string_equal(cfg.azure.management_url, "https://management.azure.com");
	assert_int_equal(cfg.azure.timeout, 10);
	assert_int_equal(parse(AZ "AZURE_CLIENT_SECRET=" SECRET "\nAZURE_RESOURCE_GROUP=a/b\n"),
			 DF_ECONFIG);
	assert_null(strstr(d.msg, SECRET));
#undef AZ
#undef PB
}

/* The cloudflare and script providers' keys and the checks across them. */
static void test_cloudflare_script_keys(void **state)
{
	(void)state;
#define CF_BASE                                                                   \
	"ROLE=primary\nDNS_PROVIDER=cloudflare\nDNS_ZONE=example.com\n"           \
	"DNS_RECORD=lease.example.com\nPRIMARY_IP=192.0.2.10\nDR_IP=192.0.2.20\n" \
	"CLOUDFLARE_API_TOKEN=" SECRET "\n"
	assert_int_equal(parse(CF_BASE "DNS_TTL=30\n"), DF_ECONFIG);
	assert_msg_has("DNS_TTL=30 is below Cloudflare's minimum TTL of 60 s (1 means automatic)");
	assert_null(strstr(d.msg, SECRET));
	assert_int_equal(parse(CF_BASE "DNS_TTL=59\n"), DF_ECONFIG);
	assert_int_equal(parse(CF_BASE "DNS_TTL=1\n"), DF_OK);
	assert_int_equal(parse(CF_BASE "DNS_TTL=60\n"), DF_OK);
	assert_string_equal(cfg.cloudflare.api_token, SECRET);
	assert_string_equal(cfg.cloudflare.api_url, "https://api.cloudflare.com/client/v4");
	assert_int_equal(cfg.cloudflare.timeout, 10);
	assert_string_equal(cfg.cloudflare.zone_id, "");
	/* The default DNS_TTL (30) is refused with cloudflare, and only there. */
	assert_int_equal(parse(CF_BASE), DF_ECONFIG);
	assert_int_equal(parse(BASE "DNS_TTL=30\n"), DF_OK);
	assert_int_equal(parse("ROLE=primary\nDNS_PROVIDER=cloudflare\nDNS_ZONE=example.com\n"
			       "DNS_RECORD=lease.example.com\nPRIMARY_IP=192.0.2.10\n"
			       "DR_IP=192.0.2.20\nDNS_TTL=60\n"),
			 DF_ECONFIG);
	assert_msg_has("DNS_PROVIDER=cloudflare needs CLOUDFLARE_API_TOKEN");
	assert_int_equal(parse(CF_BASE "DNS_TTL=60\nCLOUDFLARE_ZONE_ID=xyz\n"), DF_ECONFIG);
	assert_msg_has("is not a Cloudflare zone id");
	assert_int_equal(parse(CF_BASE "DNS_TTL=60\nCLOUDFLARE_PROXY=socks://x\n"), DF_ECONFIG);
	assert_int_equal(parse(CF_BASE "DNS_TTL=60\nCLOUDFLARE_PROXY=http://proxy:3128\n"), DF_OK);
	assert_string_equal(cfg.cloudflare.proxy, "http://proxy:3128");
#undef CF_BASE
#define SC_BASE                                                     \
	"ROLE=primary\nDNS_PROVIDER=script\nDNS_ZONE=example.com\n" \
	"DNS_RECORD=lease.example.com\nPRIMARY_IP=192.0.2.10\nDR_IP=192.0.2.20\n"
	assert_int_equal(parse(SC_BASE "SCRIPT_GET=/bin/get\n"), DF_ECONFIG);
	assert_msg_has("DNS_PROVIDER=script needs SCRIPT_SET");
	assert_int_equal(parse(SC_BASE "SCRIPT_SET=/bin/set\n"), DF_ECONFIG);
	assert_msg_has("DNS_PROVIDER=script needs SCRIPT_GET");
	assert_int_equal(parse(SC_BASE "SCRIPT_SET=/bin/set 'open\nSCRIPT_GET=/bin/get\n"),
			 DF_ECONFIG);
	assert_msg_has("SCRIPT_SET (t.env:7)");
	assert_int_equal(parse(SC_BASE "SCRIPT_SET=/bin/set a\nSCRIPT_GET=/bin/get\n"), DF_OK);
	assert_string_equal(cfg.script.set_cmd, "/bin/set a");
	assert_int_equal(cfg.script.timeout, 10);
#undef SC_BASE
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key_set),
		cmocka_unit_test(test_syntax_accepted),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_closest_key),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_metric_selector),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_timing),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_tsig),
		cmocka_unit_test(test_secrets_never_shown),
		cmocka_unit_test(test_secret_files),
		cmocka_unit_test(test_config_file_secrecy),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_untouched_on_error),
		cmocka_unit_test(test_key_table),
		cmocka_unit_test(test_every_secret_takes_file),
		cmocka_unit_test(test_source_puts),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_cloudflare_script_keys),
		cmocka_unit_test(test_gcp_azure_keys),
		cmocka_unit_test(test_watch_mode_inferred),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
