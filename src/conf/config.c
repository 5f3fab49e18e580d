/*
 * Configuration: an env-file, then the environment on top (DESIGN section 7).
 *
 * Everything about a key lives in one row of the key table below: its name,
 * type, default, where it is stored, its limits and a line of help. Loading
 * runs in four passes over that table, each of which can stop with an error
 * that names the key, where the value came from and what would be valid:
 *
 *   1. collect: the file's lines, then the environment, into one raw slot
 *      per key (the environment replaces the file's value);
 *   2. resolve: NAME_FILE=path slots of secret keys read their file;
 *   3. apply: every key's value, or its default, is checked and stored;
 *   4. relate: checks that span keys (I < D < L, record inside zone, ...).
 *
 * All of it happens in a private struct; the caller's config_t is written
 * only once everything passed, so a reload keeps the old config on error.
 */
#include "src/conf/config.h"
#include "src/health/prom.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Longest known key name, NAME_FILE forms included (checked by a test). */
#define KEY_NAME_MAX 40
/* A config file larger than this is not a config file. */
#define FILE_SIZE_MAX (1024 * 1024)
/* A NAME_FILE secret is read up to this many bytes (its first line). */
#define SECRET_FILE_MAX 8192
/* Longest a Kerberos call waits for a silent KDC (MIT krb5 1.20: 27 s measured). */
#define GSS_KDC_WAIT_MAX 30
/* How much of a bad value an error message shows. */
#define SHOW_MAX 64
/* Room for "where a value came from": a path, a line, a NAME_FILE path. */
#define AT_MAX 640

enum key_type {
	KT_UINT,    /* decimal in [min, max], stored times scale in a uint32_t */
	KT_PORT,    /* decimal 1-65535 in a uint16_t */
	KT_ENUM,    /* one of choices, any case, in an int-sized enum */
	KT_STR,	    /* printable text (paths, ids, names) */
	KT_IP,	    /* IPv4 or IPv6 literal, stored in canonical form */
	KT_HOST,    /* IP literal or host name */
	KT_DNAME,   /* domain name, stored lower case and absolute */
	KT_URL,	    /* http:// or https:// URL */
	KT_METRIC,  /* Prometheus metric name */
	KT_TSIGKEY, /* [alg:]name:secret, as for nsupdate -y */
};

#define KF_REQUIRED 0x1u
#define KF_SECRET   0x2u

/* off of keys kept as text in cfg->extra rather than in a typed field. */
#define EXTRA_OFF SIZE_MAX

struct choice {
	const char *name;
	int value;
};

struct key_def {
	const char *name;
	const char *file_name; /* NAME_FILE form, secrets only */
	enum key_type type;
	unsigned flags;
	const char *def; /* default, parsed like a value from the file; NULL = none */
	size_t off;	 /* field in config_t, or EXTRA_OFF */
	size_t size;	 /* field size; for strings the longest value + 1 */
	uint32_t min, max, scale;
	const struct choice *choices; /* KT_ENUM, ends with a NULL name */
	const char *help;
};

static const struct choice roles[] = {
	{"primary", CONFIG_ROLE_PRIMARY},
	{"dr", CONFIG_ROLE_DR},
	{NULL, 0},
};
static const struct choice health_modes[] = {
	{"tcp", CONFIG_HEALTH_TCP},
	{"metrics", CONFIG_HEALTH_METRICS},
	{NULL, 0},
};
static const struct choice log_targets[] = {
	{"stderr", CONFIG_LOG_STDERR},
	{"syslog", CONFIG_LOG_SYSLOG},
	{NULL, 0},
};
/* Modes of the keys kept as text: checked when the file is loaded, by every
 * command alike, and stored in the spelling given here. */
static const struct choice watch_modes[] = {
	{"docker", 0}, {"kubernetes", 0}, {"command", 0}, {"systemd", 0}, {NULL, 0},
};
static const struct choice dns_failure_policies[] = {
	{"stop", 0},
	{"keep", 0},
	{NULL, 0},
};
static const struct choice gss_mechs[] = {
	{"krb5", 0},
	{"spnego", 0},
	{NULL, 0},
};
static const struct choice gss_tsig_algs[] = {
	{"gss-tsig", 0},
	{"gss.microsoft.com", 0},
	{NULL, 0},
};
/* "warning" is Python's spelling; existing env files may carry it. */
static const struct choice log_levels[] = {
	{"error", LOG_LEVEL_ERROR}, {"warn", LOG_LEVEL_WARN},	{"warning", LOG_LEVEL_WARN},
	{"info", LOG_LEVEL_INFO},   {"debug", LOG_LEVEL_DEBUG}, {NULL, 0},
};

/* Keys stored in typed fields; the relation checks refer to them by these. */
enum key_id {
	K_ROLE,
	K_DNS_PROVIDER,
	K_DNS_SERVER,
	K_DNS_PORT,
	K_DNS_RESOLVER,
	K_DNS_ZONE,
	K_DNS_RECORD,
	K_DNS_TTL,
	K_PRIMARY_IP,
	K_DR_IP,
	K_LEASE_TTL,
	K_UPDATE_INTERVAL,
	K_RENEW_DEADLINE,
	K_FAIL_THRESHOLD,
	K_DNS_TIMEOUT,
	K_DNS_RETRIES,
	K_HEALTH_MODE,
	K_HEALTH_HOST,
	K_HEALTH_PORT,
	K_HEALTH_TIMEOUT,
	K_HEALTH_URL,
	K_HEALTH_METRIC,
	K_HEALTH_STALE_COUNT,
	K_TSIG_KEYFILE,
	K_TSIG_KEYNAME,
	K_TSIG_KEY,
	K_DRYRUN_STATEFILE,
	K_LOG_TARGET,
	K_LOG_LEVEL,
	K_TYPED_COUNT,
};

#define FIELD(f)	.off = offsetof(config_t, f), .size = sizeof(((config_t *)NULL)->f)
#define EXTRA		.off = EXTRA_OFF, .size = CONFIG_EXTRA_VALUE_MAX
#define SECRET_NAME(n)	.name = n, .file_name = n "_FILE"
#define SECONDS(lo, hi) .type = KT_UINT, .min = (lo), .max = (hi)

/*
 * The rows of the typed keys are indexed by key_id, so the enum and the
 * table cannot drift apart; the text-only keys follow in table order.
 * Provider key names not spelled out in the seed (Azure, GCP, Infoblox, F5,
 * script) follow the vendors' usual variable names.
 */
/* One row per key reads better than one field per line. */
/* clang-format off */
static const struct key_def keys[] = {
	[K_ROLE] = {.name = "ROLE", .type = KT_ENUM, .flags = KF_REQUIRED, FIELD(role),
		.choices = roles, .help = "this site's role: primary or dr"},
	[K_DNS_PROVIDER] = {.name = "DNS_PROVIDER", .type = KT_STR, .flags = KF_REQUIRED,
		FIELD(provider), .help = "DNS backend id, e.g. bind-tsig or dry-run"},
	[K_DNS_SERVER] = {.name = "DNS_SERVER", .type = KT_HOST, FIELD(server),
		.help = "server to read and update; empty: the zone's SOA MNAME"},
	[K_DNS_PORT] = {.name = "DNS_PORT", .type = KT_PORT, .def = "53", FIELD(port), .min = 1,
		.max = 65535, .help = "port of DNS_SERVER"},
	[K_DNS_RESOLVER] = {.name = "DNS_RESOLVER", .type = KT_HOST, FIELD(resolver),
		.help = "server asked for the zone's SOA when DNS_SERVER is empty "
			"(default: /etc/resolv.conf); queried on DNS_PORT"},
	[K_DNS_ZONE] = {.name = "DNS_ZONE", .type = KT_DNAME, .flags = KF_REQUIRED, FIELD(zone),
		.help = "zone that holds DNS_RECORD, e.g. example.com"},
	[K_DNS_RECORD] = {.name = "DNS_RECORD", .type = KT_DNAME, .flags = KF_REQUIRED,
		FIELD(record), .help = "name of the lease A and TXT records, inside DNS_ZONE"},
	[K_DNS_TTL] = {.name = "DNS_TTL", SECONDS(1, 86400), .def = "30", FIELD(dns_ttl),
		.help = "TTL of the lease records, seconds"},
	[K_PRIMARY_IP] = {.name = "PRIMARY_IP", .type = KT_IP, .flags = KF_REQUIRED,
		FIELD(primary_ip), .help = "primary site's address"},
	[K_DR_IP] = {.name = "DR_IP", .type = KT_IP, .flags = KF_REQUIRED, FIELD(dr_ip),
		.help = "DR site's address"},
	[K_LEASE_TTL] = {.name = "LEASE_TTL", SECONDS(3, 86400), .def = "60", FIELD(lease_ttl),
		.help = "lease length L, seconds (I < D < L)"},
	[K_UPDATE_INTERVAL] = {.name = "UPDATE_INTERVAL", SECONDS(1, 86400), .def = "10",
		FIELD(update_interval), .help = "renewal and health check interval I, seconds"},
	[K_RENEW_DEADLINE] = {.name = "RENEW_DEADLINE", SECONDS(2, 86400), .def = "40",
		FIELD(renew_deadline),
		.help = "holder steps down after D seconds without a renewal"},
	[K_FAIL_THRESHOLD] = {.name = "FAIL_THRESHOLD", .type = KT_UINT, .def = "3",
		FIELD(fail_threshold), .min = 1, .max = 1000,
		.help = "failed health checks before the DR site takes over"},
	[K_DNS_TIMEOUT] = {.name = "DNS_TIMEOUT", SECONDS(1, 300), .scale = 1000, .def = "3",
		FIELD(dns_timeout_ms), .help = "per-query timeout, seconds"},
	[K_DNS_RETRIES] = {.name = "DNS_RETRIES", .type = KT_UINT, .def = "2", FIELD(dns_retries),
		.min = 0, .max = 10, .help = "retries after a DNS timeout"},
	[K_HEALTH_MODE] = {.name = "HEALTH_MODE", .type = KT_ENUM, .def = "tcp", FIELD(health_mode),
		.choices = health_modes,
		.help = "tcp (connect) or metrics (Prometheus counter grows)"},
	[K_HEALTH_HOST] = {.name = "HEALTH_HOST", .type = KT_HOST, FIELD(health_host),
		.help = "host for tcp checks (default: PRIMARY_IP)"},
	[K_HEALTH_PORT] = {.name = "HEALTH_PORT", .type = KT_PORT, .def = "4317",
		FIELD(health_port), .min = 1, .max = 65535, .help = "port for tcp checks"},
	[K_HEALTH_TIMEOUT] = {.name = "HEALTH_TIMEOUT", SECONDS(1, 300), .def = "2",
		FIELD(health_timeout), .help = "health check timeout, seconds"},
	[K_HEALTH_URL] = {.name = "HEALTH_URL", .type = KT_URL, FIELD(health_url),
		.help = "metrics URL (HEALTH_MODE=metrics)"},
	[K_HEALTH_METRIC] = {.name = "HEALTH_METRIC", .type = KT_METRIC,
		.def = "otelcol_receiver_accepted_metric_points_total", FIELD(health_metric),
		.help = "counter that must keep growing"},
	[K_HEALTH_STALE_COUNT] = {.name = "HEALTH_STALE_COUNT", .type = KT_UINT, .def = "3",
		FIELD(health_stale_count), .min = 1, .max = 1000,
		.help = "flat readings before the metric counts as failed"},
	[K_TSIG_KEYFILE] = {.name = "TSIG_KEYFILE", .type = KT_STR, FIELD(tsig_keyfile),
		.help = "BIND key file, as for nsupdate -k"},
	[K_TSIG_KEYNAME] = {.name = "TSIG_KEYNAME", .type = KT_STR, FIELD(tsig_keyname),
		.help = "key to use from TSIG_KEYFILE"},
	[K_TSIG_KEY] = {SECRET_NAME("TSIG_KEY"), .type = KT_TSIGKEY, .flags = KF_SECRET,
		FIELD(tsig_key), .help = "[alg:]name:secret, as for nsupdate -y"},
	[K_DRYRUN_STATEFILE] = {.name = "DRYRUN_STATEFILE", .type = KT_STR,
		.def = "/var/lib/dnsfailover/dry-run.json", FIELD(dryrun_statefile),
		.help = "state file of the dry-run provider"},
	[K_LOG_TARGET] = {.name = "LOG_TARGET", .type = KT_ENUM, .def = "stderr", FIELD(log_target),
		.choices = log_targets, .help = "stderr or syslog"},
	[K_LOG_LEVEL] = {.name = "LOG_LEVEL", .type = KT_ENUM, .def = "info", FIELD(log_level),
		.choices = log_levels, .help = "error, warn, info or debug"},
	/* Active Directory / GSS-TSIG (ad-gss) */
	{.name = "GSS_KEYTAB", .type = KT_STR, EXTRA,
		.help = "ad-gss: keytab of GSS_PRINCIPAL (default: the ticket cache KRB5CCNAME)"},
	{.name = "GSS_PRINCIPAL", .type = KT_STR, EXTRA,
		.help = "ad-gss: client principal, e.g. dnsfailover-dr@EXAMPLE.COM"},
	{.name = "GSS_SERVICE", .type = KT_STR, EXTRA,
		.help = "ad-gss: DNS server's principal (default DNS/<DNS_SERVER host name>)"},
	{.name = "GSS_MECH", .type = KT_ENUM, .def = "krb5", EXTRA, .choices = gss_mechs,
		.help = "ad-gss: krb5 or spnego"},
	{.name = "GSS_TSIG_ALG", .type = KT_ENUM, .def = "gss-tsig", EXTRA,
		.choices = gss_tsig_algs,
		.help = "ad-gss: gss-tsig, or gss.microsoft.com for Windows 2000 servers"},
	/* Route 53 */
	{.name = "AWS_ACCESS_KEY_ID", .type = KT_STR, EXTRA, .help = "route53: access key id"},
	{SECRET_NAME("AWS_SECRET_ACCESS_KEY"), .type = KT_STR, .flags = KF_SECRET, EXTRA,
		.help = "route53: secret access key"},
	{SECRET_NAME("AWS_SESSION_TOKEN"), .type = KT_STR, .flags = KF_SECRET, EXTRA,
		.help = "route53: session token of temporary credentials"},
	{.name = "AWS_REGION", .type = KT_STR, .def = "us-east-1", EXTRA,
		.help = "route53: signing region"},
	{.name = "ROUTE53_ZONE_ID", .type = KT_STR, EXTRA, .help = "route53: hosted zone id"},
	/* Cloudflare */
	{SECRET_NAME("CLOUDFLARE_API_TOKEN"), .type = KT_STR, .flags = KF_SECRET, EXTRA,
		.help = "cloudflare: API token with DNS edit rights"},
	{.name = "CLOUDFLARE_ZONE_ID", .type = KT_STR, EXTRA, .help = "cloudflare: zone id"},
	/* Infoblox */
	{.name = "INFOBLOX_HOST", .type = KT_HOST, EXTRA, .help = "infoblox: grid master"},
	{.name = "INFOBLOX_USERNAME", .type = KT_STR, EXTRA, .help = "infoblox: WAPI user"},
	{SECRET_NAME("INFOBLOX_PASSWORD"), .type = KT_STR, .flags = KF_SECRET, EXTRA,
		.help = "infoblox: WAPI password"},
	{.name = "INFOBLOX_WAPI_VERSION", .type = KT_STR, EXTRA,
		.help = "infoblox: WAPI version, e.g. v2.12.3"},
	{.name = "INFOBLOX_VIEW", .type = KT_STR, EXTRA, .help = "infoblox: DNS view"},
	/* Azure DNS: the five service principal fields */
	{.name = "AZURE_TENANT_ID", .type = KT_STR, EXTRA, .help = "azure-dns: tenant id"},
	{.name = "AZURE_CLIENT_ID", .type = KT_STR, EXTRA, .help = "azure-dns: client id"},
	{SECRET_NAME("AZURE_CLIENT_SECRET"), .type = KT_STR, .flags = KF_SECRET, EXTRA,
		.help = "azure-dns: client secret"},
	{.name = "AZURE_SUBSCRIPTION_ID", .type = KT_STR, EXTRA,
		.help = "azure-dns: subscription id"},
	{.name = "AZURE_RESOURCE_GROUP", .type = KT_STR, EXTRA,
		.help = "azure-dns: resource group of the zone"},
	/* Google Cloud DNS */
	{.name = "GCP_PROJECT", .type = KT_STR, EXTRA, .help = "gcp-dns: project id"},
	{.name = "GCP_MANAGED_ZONE", .type = KT_STR, EXTRA, .help = "gcp-dns: managed zone"},
	{.name = "GOOGLE_APPLICATION_CREDENTIALS", .type = KT_STR, EXTRA,
		.help = "gcp-dns: service account key file"},
	/* F5 data-group */
	{.name = "F5_HOST", .type = KT_HOST, EXTRA, .help = "f5-gtm: BIG-IP management host"},
	{.name = "F5_USERNAME", .type = KT_STR, EXTRA, .help = "f5-gtm: user"},
	{SECRET_NAME("F5_PASSWORD"), .type = KT_STR, .flags = KF_SECRET, EXTRA,
		.help = "f5-gtm: password"},
	{.name = "F5_DATAGROUP", .type = KT_STR, EXTRA, .help = "f5-gtm: data-group name"},
	/* Script provider */
	{.name = "SCRIPT_SET", .type = KT_STR, EXTRA, .help = "script: command that sets DNS"},
	{.name = "SCRIPT_GET", .type = KT_STR, EXTRA, .help = "script: command that reads DNS"},
	/* Watcher */
	{.name = "MY_IP", .type = KT_IP, EXTRA, .help = "watcher: this site's address"},
	{.name = "OTEL_CONTAINER", .type = KT_STR, EXTRA,
		.help = "watcher: Docker container to start and stop"},
	{.name = "OTEL_CHECK_INTERVAL", SECONDS(1, 86400), .def = "15", EXTRA,
		.help = "watcher: seconds between DNS checks"},
	{.name = "OTEL_NAMESPACE", .type = KT_STR, EXTRA, .help = "watcher: Kubernetes namespace"},
	{.name = "OTEL_DEPLOYMENT", .type = KT_STR, EXTRA,
		.help = "watcher: Kubernetes deployment"},
	{.name = "OTEL_REPLICAS_ACTIVE", .type = KT_UINT, .def = "1", EXTRA, .min = 0, .max = 1000,
		.help = "watcher: replicas where this site is active"},
	{.name = "OTEL_REPLICAS_INACTIVE", .type = KT_UINT, .def = "0", EXTRA, .min = 0,
		.max = 1000, .help = "watcher: replicas where it is not"},
	{.name = "WATCH_MODE", .type = KT_ENUM, EXTRA, .choices = watch_modes,
		.help = "watcher backend: docker, kubernetes, command or systemd (empty: none)"},
	{.name = "WATCH_ON_DNS_FAILURE", .type = KT_ENUM, .def = "stop", EXTRA,
		.choices = dns_failure_policies,
		.help = "watcher: stop or keep the collector when DNS cannot be read"},
	{.name = "DOCKER_HOST", .type = KT_STR, .def = "/var/run/docker.sock", EXTRA,
		.help = "watcher: Docker Engine API unix socket (path or unix://path)"},
	{.name = "K8S_API_URL", .type = KT_URL, EXTRA,
		.help = "watcher: Kubernetes API server (default: in-cluster)"},
	{.name = "K8S_TOKEN_FILE", .type = KT_STR,
		.def = "/var/run/secrets/kubernetes.io/serviceaccount/token", EXTRA,
		.help = "watcher: bearer token file for the Kubernetes API"},
	{.name = "K8S_CA_FILE", .type = KT_STR,
		.def = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", EXTRA,
		.help = "watcher: CA bundle of the Kubernetes API server"},
	{.name = "WATCH_START_CMD", .type = KT_STR, EXTRA,
		.help = "watcher: command that starts the collector (run without a shell)"},
	{.name = "WATCH_STOP_CMD", .type = KT_STR, EXTRA,
		.help = "watcher: command that stops the collector"},
	{.name = "WATCH_STATUS_CMD", .type = KT_STR, EXTRA,
		.help = "watcher: command that exits 0 while the collector runs"},
	{.name = "WATCH_CMD_TIMEOUT", SECONDS(1, 3600), .def = "30", EXTRA,
		.help = "watcher: seconds a start/stop/status command may take"},
	{.name = "WATCH_UNIT", .type = KT_STR, EXTRA,
		.help = "watcher: systemd unit of the collector"},
	{.name = "METRICS_LISTEN", .type = KT_STR, EXTRA,
		.help = "host:port of the /metrics and /healthz endpoint (empty: off)"},
	/* Vault */
	{.name = "VAULT_ADDR", .type = KT_URL, EXTRA, .help = "vault: server URL"},
	{.name = "VAULT_AUTH_METHOD", .type = KT_STR, EXTRA, .help = "vault: e.g. approle"},
	{.name = "VAULT_ROLE_ID", .type = KT_STR, EXTRA, .help = "vault: AppRole role id"},
	{SECRET_NAME("VAULT_SECRET_ID"), .type = KT_STR, .flags = KF_SECRET, EXTRA,
		.help = "vault: AppRole secret id"},
	{SECRET_NAME("VAULT_TOKEN"), .type = KT_STR, .flags = KF_SECRET, EXTRA,
		.help = "vault: token (instead of AppRole)"},
	{.name = "VAULT_MOUNT", .type = KT_STR, EXTRA, .help = "vault: KV mount"},
	{.name = "VAULT_KEY", .type = KT_STR, EXTRA, .help = "vault: KV path of the secrets"},
};
/* clang-format on */

#define KEY_COUNT ARRAY_SIZE(keys)

/* Unknown environment variables with these prefixes are probably typos. */
static const char *const our_prefixes[] = {
	"DNS_",	   "TSIG_", "HEALTH_", "LEASE_", "UPDATE_",  "FAIL_", "RENEW_",
	"DRYRUN_", "GSS_",  "OTEL_",   "WATCH_", "METRICS_", "LOG_",
};

_Static_assert(sizeof(enum config_role) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum config_health_mode) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum config_log_target) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum fields are stored as int");
_Static_assert(CONFIG_EXTRA_POOL <= UINT16_MAX, "extra offsets are uint16_t");

/* One raw value per key, as collected from the file and the environment. */
struct slot {
	char *value;	/* malloc'd, NULL when not set; "" counts as not set */
	size_t cap;	/* bytes allocated for value, wiped before free */
	char *ref_path; /* the NAME_FILE path value was read from, or NULL */
	size_t line;	/* line in the file, 0 when from the environment */
	bool by_ref;	/* set through NAME_FILE: value is a path until resolved */
	bool from_env;
};

struct loader {
	const char *label; /* file name for messages */
	void (*warn)(const char *msg);
	df_detail_t *d;
	bool deadline_derived; /* RENEW_DEADLINE came from the rule below */
	bool watch_only;       /* `watch`: the daemon's keys are not required */
	struct slot slot[KEY_COUNT];
	config_t cfg;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char to_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool eq_nocase(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		if (to_lower(*a) != to_lower(*b)) {
			return false;
		}
	}
	return *a == *b;
}

/* Copies s (len bytes) for a message: at most SHOW_MAX bytes, others as '?'. */
static const char *show(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len && i < SHOW_MAX && n + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	buf[n] = '\0';
	if (len > SHOW_MAX && n + 4 <= size) {
		memcpy(buf + n, "...", 4);
	}
	return buf;
}

static int fail(df_detail_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(df_detail_t *d, const char *fmt, ...)
{
	if (d != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
		va_end(ap);
	}
	return DF_ECONFIG;
}

static void wipe_free(char *p, size_t len)
{
	if (p != NULL) {
		explicit_bzero(p, len);
		free(p);
	}
}

static void slot_clear(struct slot *s)
{
	wipe_free(s->value, s->cap);
	free(s->ref_path);
	memset(s, 0, sizeof(*s));
}

/* Key names: [A-Z_][A-Z0-9_]*. */
static bool key_syntax_ok(const char *k, size_t len)
{
	if (len == 0 || is_digit(k[0])) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (!((k[i] >= 'A' && k[i] <= 'Z') || is_digit(k[i]) || k[i] == '_')) {
			return false;
		}
	}
	return true;
}

/* Index of the key named k[0..len), or -1; *by_ref says it is a NAME_FILE form. */
static int lookup(const char *k, size_t len, bool *by_ref)
{
	for (size_t i = 0; i < KEY_COUNT; i++) {
		if (strlen(keys[i].name) == len && memcmp(keys[i].name, k, len) == 0) {
			*by_ref = false;
			return (int)i;
		}
		if (keys[i].file_name != NULL && strlen(keys[i].file_name) == len &&
		    memcmp(keys[i].file_name, k, len) == 0) {
			*by_ref = true;
			return (int)i;
		}
	}
	return -1;
}

/*
 * Optimal string alignment distance (Levenshtein plus swapping two
 * neighbours, the commonest typo: DNS_SEVRER), ignoring case. lb is at most
 * KEY_NAME_MAX; the caller skips an a much longer than any key.
 */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t rows[3][KEY_NAME_MAX + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	assert(lb <= KEY_NAME_MAX);
	for (size_t j = 0; j <= lb; j++) {
		prev[j] = j;
	}
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = to_upper(a[i - 1]) == to_upper(b[j - 1]) ? 0 : 1;
			size_t best = prev[j] + 1;
			if (cur[j - 1] + 1 < best) {
				best = cur[j - 1] + 1;
			}
			if (prev[j - 1] + cost < best) {
				best = prev[j - 1] + cost;
			}
			if (i > 1 && j > 1 && to_upper(a[i - 1]) == to_upper(b[j - 2]) &&
			    to_upper(a[i - 2]) == to_upper(b[j - 1]) && prev2[j - 2] + 1 < best) {
				best = prev2[j - 2] + 1;
			}
			cur[j] = best;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

/*
 * A suggestion is made only for a small distance, at most one edit per four
 * characters of the key, so that DNS_FOO does not become DNS_TTL nor
 * HEALTH_FOO HEALTH_HOST, while DNS_SEVRER still finds DNS_SERVER.
 */
static bool close_enough(size_t dist, size_t len)
{
	return dist <= 3 && dist * 4 <= len;
}

static const char *closest(const char *name, size_t len)
{
	const char *best = NULL;
	size_t best_dist = SIZE_MAX;

	if (len > KEY_NAME_MAX + 3) {
		return NULL; /* farther than 3 edits from every key */
	}
	for (size_t i = 0; i < KEY_COUNT; i++) {
		const char *cands[2] = {keys[i].name, keys[i].file_name};
		for (size_t c = 0; c < 2 && cands[c] != NULL; c++) {
			size_t kl = strlen(cands[c]);
			size_t dist = edit_distance(name, len, cands[c], kl);
			if (dist < best_dist && close_enough(dist, kl)) {
				best = cands[c];
				best_dist = dist;
			}
		}
	}
	return best;
}

/* Where the value of key i came from: "file:line", "environment" or "default". */
static const char *where(const struct loader *ld, size_t i, char *buf, size_t size)
{
	const struct slot *s = &ld->slot[i];
	char path[SHOW_MAX + 8];

	if (s->value == NULL || s->value[0] == '\0') {
		snprintf(buf, size, "default");
	} else if (s->from_env) {
		snprintf(buf, size, "environment");
	} else {
		snprintf(buf, size, "%s:%zu", ld->label, s->line);
	}
	if (s->ref_path != NULL) {
		size_t n = strlen(buf);
		snprintf(buf + n, size - n, " (%s=%s)", keys[i].file_name,
			 show(path, sizeof(path), s->ref_path, strlen(s->ref_path)));
	}
	return buf;
}

/*
 * Reads one value after '=' (v..e): 'literal', "escaped" or unquoted with
 * an optional " # comment". Returns a malloc'd string in *out (*cap bytes).
 */
static int parse_value(struct loader *ld, size_t lineno, const char *name, const char *v,
		       const char *e, char **out, size_t *cap)
{
	size_t size = (size_t)(e - v) + 1;
	char *buf = malloc(size);
	size_t o = 0;
	int ret = DF_OK;

	if (buf == NULL) {
		return DF_ENOMEM;
	}
	const char *p = v;
	while (p < e && is_blank(*p)) {
		p++;
	}
	if (p < e && (*p == '\'' || *p == '"')) {
		char q = *p++;
		bool closed = false;
		while (p < e) {
			char c = *p++;
			if (c == q) {
				closed = true;
				break;
			}
			if (q == '"' && c == '\\' && p < e) {
				char x = *p++;
				if (x == 'n') {
					c = '\n';
				} else if (x == '"' || x == '\\') {
					c = x;
				} else {
					/* Like the shell: other backslashes stay. */
					buf[o++] = '\\';
					c = x;
				}
			}
			buf[o++] = c;
		}
		if (!closed) {
			ret = fail(ld->d, "%s:%zu: %s: the value has no closing %s quote",
				   ld->label, lineno, name, q == '"' ? "double" : "single");
			goto out;
		}
		while (p < e && is_blank(*p)) {
			p++;
		}
		if (p < e && *p != '#') {
			ret = fail(ld->d,
				   "%s:%zu: %s: unexpected text after the closing quote (quote the "
				   "whole value, or start a comment with #)",
				   ld->label, lineno, name);
			goto out;
		}
	} else {
		/* A # starts a comment only after white space: a#b is a value. */
		const char *stop = p;
		while (stop < e && !(*stop == '#' && stop > v && is_blank(stop[-1]))) {
			stop++;
		}
		while (stop > p && is_blank(stop[-1])) {
			stop--;
		}
		memcpy(buf, p, (size_t)(stop - p));
		o = (size_t)(stop - p);
	}
	buf[o] = '\0';
out:
	if (ret != DF_OK) {
		wipe_free(buf, size);
		return ret;
	}
	*out = buf;
	*cap = size;
	return DF_OK;
}

static int unknown_key(struct loader *ld, size_t lineno, const char *k, size_t klen)
{
	char shown[SHOW_MAX + 8];
	const char *hint = closest(k, klen);
	bool by_ref;

	show(shown, sizeof(shown), k, klen);
	/* NAME_FILE of a key that exists but is not secret: say so. */
	if (klen > 5 && memcmp(k + klen - 5, "_FILE", 5) == 0 &&
	    lookup(k, klen - 5, &by_ref) >= 0) {
		return fail(ld->d,
			    "%s:%zu: unknown key %s (%.*s is not a secret; only secret keys such "
			    "as TSIG_KEY take the _FILE form)",
			    ld->label, lineno, shown, (int)(klen - 5), k);
	}
	if (hint != NULL) {
		return fail(ld->d, "%s:%zu: unknown key %s (did you mean %s?)", ld->label, lineno,
			    shown, hint);
	}
	return fail(ld->d, "%s:%zu: unknown key %s", ld->label, lineno, shown);
}

static int parse_line(struct loader *ld, size_t lineno, const char *p, const char *e)
{
	if (e > p && e[-1] == '\r') {
		e--; /* CRLF files from Windows editors */
	}
	while (p < e && is_blank(*p)) {
		p++;
	}
	if (p == e || *p == '#') {
		return DF_OK;
	}
	if (memchr(p, '\0', (size_t)(e - p)) != NULL) {
		return fail(ld->d, "%s:%zu: the line contains a NUL byte", ld->label, lineno);
	}
	if (e - p > 7 && memcmp(p, "export", 6) == 0 && is_blank(p[6])) {
		p += 6;
		while (p < e && is_blank(*p)) {
			p++;
		}
	}
	/*
	 * Neither of the next two messages echoes the line: a line without '='
	 * or with a malformed key is often the tail of a value wrapped onto a
	 * new line, and that value may be a secret.
	 */
	const char *eq = memchr(p, '=', (size_t)(e - p));
	if (eq == NULL) {
		return fail(ld->d, "%s:%zu: expected KEY=VALUE (the line has no '=')", ld->label,
			    lineno);
	}
	const char *ke = eq;
	while (ke > p && is_blank(ke[-1])) {
		ke--;
	}
	size_t klen = (size_t)(ke - p);
	if (!key_syntax_ok(p, klen)) {
		const char *hint = closest(p, klen);
		return fail(ld->d,
			    "%s:%zu: invalid key before '=': keys are upper-case letters, digits "
			    "and _, [A-Z_][A-Z0-9_]*%s%s%s",
			    ld->label, lineno, hint != NULL ? " (did you mean " : "",
			    hint != NULL ? hint : "", hint != NULL ? "?)" : "");
	}
	bool by_ref = false;
	int idx = lookup(p, klen, &by_ref);
	if (idx < 0) {
		return unknown_key(ld, lineno, p, klen);
	}
	const struct key_def *k = &keys[idx];
	const char *name = by_ref ? k->file_name : k->name;
	struct slot *s = &ld->slot[idx];
	if (s->line != 0) {
		if (s->by_ref == by_ref) {
			return fail(ld->d, "%s:%zu: duplicate key %s (first set at line %zu)",
				    ld->label, lineno, name, s->line);
		}
		return fail(ld->d,
			    "%s:%zu: %s conflicts with %s at line %zu (set only one of them)",
			    ld->label, lineno, name, by_ref ? k->name : k->file_name, s->line);
	}
	char *value;
	size_t cap;
	int ret = parse_value(ld, lineno, name, eq + 1, e, &value, &cap);
	if (ret != DF_OK) {
		return ret;
	}
	s->value = value;
	s->cap = cap;
	s->line = lineno;
	s->by_ref = by_ref;
	return DF_OK;
}

static int parse_text(struct loader *ld, const char *text, size_t len)
{
	const char *p = text;
	const char *end = text + len;
	size_t lineno = 0;

	/* Some Windows editors start UTF-8 files with a byte order mark. */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		int ret = parse_line(ld, ++lineno, p, e);
		if (ret != DF_OK) {
			return ret;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	return DF_OK;
}

static bool has_our_prefix(const char *k, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(our_prefixes); i++) {
		size_t pl = strlen(our_prefixes[i]);
		if (len > pl && memcmp(k, our_prefixes[i], pl) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * The environment on top of the file. Unknown variables are someone else's
 * (PATH, HOME) unless they carry one of our prefixes: those get a warning,
 * not an error, since a container may inherit variables we never asked for.
 * An empty variable does not override the file, because compose files and
 * init scripts often pass "VAR=" for a variable they do not set.
 */
static int read_env(struct loader *ld, char *const *envp)
{
	for (char *const *e = envp; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		if (eq == NULL) {
			continue;
		}
		size_t klen = (size_t)(eq - *e);
		bool by_ref = false;
		int idx = lookup(*e, klen, &by_ref);
		if (idx < 0) {
			if (ld->warn != NULL && has_our_prefix(*e, klen)) {
				char shown[SHOW_MAX + 8], msg[256];
				const char *hint = closest(*e, klen);
				snprintf(msg, sizeof(msg),
					 "environment: unknown variable %s ignored%s%s%s",
					 show(shown, sizeof(shown), *e, klen),
					 hint != NULL ? " (did you mean " : "",
					 hint != NULL ? hint : "", hint != NULL ? "?)" : "");
				ld->warn(msg);
			}
			continue;
		}
		if (eq[1] == '\0') {
			continue;
		}
		struct slot *s = &ld->slot[idx];
		if (s->from_env) {
			if (s->by_ref != by_ref) {
				return fail(ld->d,
					    "environment: both %s and %s are set (set only one of "
					    "them)",
					    keys[idx].name, keys[idx].file_name);
			}
			continue; /* repeated entry: the first wins, as with getenv() */
		}
		size_t cap = strlen(eq + 1) + 1;
		char *value = malloc(cap);
		if (value == NULL) {
			return DF_ENOMEM;
		}
		memcpy(value, eq + 1, cap);
		slot_clear(s);
		s->value = value;
		s->cap = cap;
		s->from_env = true;
		s->by_ref = by_ref;
	}
	return DF_OK;
}

/*
 * NAME_FILE=path: the secret is the first line of the file, trimmed, so
 * Docker and Kubernetes secrets (often written without a newline, or with
 * one) work alike. Only regular files: a FIFO or a device would block or
 * never end. Opened non-blocking for the same reason. A file others can read
 * is reported through warn but accepted, since container runtimes mount
 * secrets 0444 and the operator cannot change that.
 */
static int read_secret(struct loader *ld, size_t i)
{
	struct slot *s = &ld->slot[i];
	const char *name = keys[i].file_name;
	char at[AT_MAX], shown[SHOW_MAX + 8];
	char *buf = NULL;
	int fd = -1;
	int ret = DF_OK;

	if (s->from_env) {
		snprintf(at, sizeof(at), "environment");
	} else {
		snprintf(at, sizeof(at), "%s:%zu", ld->label, s->line);
	}
	show(shown, sizeof(shown), s->value, strlen(s->value));

	fd = open(s->value, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = fail(ld->d, "%s: %s=%s: cannot open the file (%s)", at, name, shown,
			   strerror(errno));
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ret = fail(ld->d, "%s: %s=%s: not a regular file", at, name, shown);
		goto out;
	}
	if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0 && ld->warn != NULL) {
		char msg[AT_MAX + 160];
		snprintf(msg, sizeof(msg), "%s: %s=%s: the file is readable by group or others", at,
			 name, shown);
		ld->warn(msg);
	}
	buf = malloc(SECRET_FILE_MAX + 1);
	if (buf == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	size_t len = 0;
	while (len < SECRET_FILE_MAX && memchr(buf, '\n', len) == NULL) {
		ssize_t n = read(fd, buf + len, SECRET_FILE_MAX - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			ret = fail(ld->d, "%s: %s=%s: cannot read the file (%s)", at, name, shown,
				   strerror(errno));
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	char *nl = memchr(buf, '\n', len);
	if (nl == NULL && len == SECRET_FILE_MAX) {
		ret = fail(ld->d, "%s: %s=%s: the first line is longer than %d bytes", at, name,
			   shown, SECRET_FILE_MAX);
		goto out;
	}
	size_t end = nl != NULL ? (size_t)(nl - buf) : len;
	size_t start = 0;
	while (start < end && is_blank(buf[start])) {
		start++;
	}
	while (end > start && (is_blank(buf[end - 1]) || buf[end - 1] == '\r')) {
		end--;
	}
	if (end == start) {
		ret = fail(ld->d, "%s: %s=%s: the first line of the file is empty", at, name,
			   shown);
		goto out;
	}
	if (memchr(buf + start, '\0', end - start) != NULL) {
		ret = fail(ld->d, "%s: %s=%s: the file contains a NUL byte", at, name, shown);
		goto out;
	}
	char *value = malloc(end - start + 1);
	if (value == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	memcpy(value, buf + start, end - start);
	value[end - start] = '\0';
	s->ref_path = s->value; /* the path is not secret: wiping it is harmless */
	s->value = value;
	s->cap = end - start + 1;
out:
	wipe_free(buf, SECRET_FILE_MAX + 1);
	if (fd >= 0) {
		close(fd);
	}
	return ret;
}

static int resolve_secrets(struct loader *ld)
{
	for (size_t i = 0; i < KEY_COUNT; i++) {
		struct slot *s = &ld->slot[i];
		if (s->by_ref && s->value != NULL && s->value[0] != '\0') {
			int ret = read_secret(ld, i);
			if (ret != DF_OK) {
				return ret;
			}
		}
	}
	return DF_OK;
}

/* Returns DF_OK, DF_EINVAL (not a decimal number) or DF_ERANGE. */
static int parse_u32(const char *v, uint32_t *out)
{
	/* strtoul() alone would take " 7", "+7", "-7" (as a huge number) and "7x". */
	if (!is_digit(v[0])) {
		return DF_EINVAL;
	}
	for (const char *p = v; *p != '\0'; p++) {
		if (!is_digit(*p)) {
			return DF_EINVAL;
		}
	}
	errno = 0;
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (*end != '\0') {
		return DF_EINVAL;
	}
	if (errno == ERANGE || n > UINT32_MAX) {
		return DF_ERANGE;
	}
	*out = (uint32_t)n;
	return DF_OK;
}

/*
 * A domain name in presentation form: labels of 1-63 letters, digits, '-'
 * or '_' (the lease can sit under _-labels), at most 253 characters without
 * the final dot (255 octets on the wire). Writes the lower-case absolute
 * form into out (at least 255 bytes) when out is not NULL.
 */
static const char *check_dname(const char *v, char *out)
{
	size_t len = strlen(v);
	size_t label = 0;

	if (len > 0 && v[len - 1] == '.') {
		len--;
	}
	if (len == 0) {
		return "is the root or empty";
	}
	if (len > 253) {
		return "is longer than 253 characters";
	}
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		if (c == '.') {
			if (label == 0) {
				return "has an empty label";
			}
			label = 0;
		} else if (is_alpha(c) || is_digit(c) || c == '-' || c == '_') {
			if (++label > 63) {
				return "has a label longer than 63 characters";
			}
		} else {
			return "contains a character other than letters, digits, '-', '_' and '.'";
		}
		if (out != NULL) {
			out[i] = to_lower(c);
		}
	}
	if (label == 0) {
		return "has an empty label";
	}
	if (out != NULL) {
		out[len] = '.';
		out[len + 1] = '\0';
	}
	return NULL;
}

static bool ip_canonical(const char *v, char *out, size_t size)
{
	unsigned char bin[16];
	if (inet_pton(AF_INET, v, bin) == 1) {
		return inet_ntop(AF_INET, bin, out, (socklen_t)size) != NULL;
	}
	if (inet_pton(AF_INET6, v, bin) == 1) {
		return inet_ntop(AF_INET6, bin, out, (socklen_t)size) != NULL;
	}
	return false;
}

static bool url_ok(const char *v)
{
	size_t skip;
	if (strncasecmp(v, "http://", 7) == 0) {
		skip = 7;
	} else if (strncasecmp(v, "https://", 8) == 0) {
		skip = 8;
	} else {
		return false;
	}
	if (v[skip] == '\0' || v[skip] == '/') {
		return false; /* no host */
	}
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == ' ' || *p == '"' || *p == '<' || *p == '>' || *p == '\\') {
			return false;
		}
	}
	return true;
}

/* A metric name, optionally with a label selector: the parser the health
 * check uses decides, so config and check never disagree. */
static bool metric_ok(const char *v)
{
	prom_selector_t sel;
	return prom_selector_parse(&sel, v, NULL) == DF_OK;
}

/* [alg:]name:secret: two or three non-empty parts. */
static bool tsig_key_ok(const char *v)
{
	size_t parts = 1, len = 0;
	for (const char *p = v;; p++) {
		if (*p == ':' || *p == '\0') {
			if (len == 0) {
				return false;
			}
			if (*p == '\0') {
				break;
			}
			parts++;
			len = 0;
		} else {
			len++;
		}
	}
	return parts == 2 || parts == 3;
}

static int store_extra(config_t *cfg, const char *name, const char *v)
{
	size_t used = 0;
	if (cfg->extra_count > 0) {
		const config_extra_t *last = &cfg->extra[cfg->extra_count - 1];
		used = last->off + strlen(cfg->extra_pool + last->off) + 1;
	}
	size_t len = strlen(v) + 1;
	if (cfg->extra_count == CONFIG_EXTRA_MAX || len > sizeof(cfg->extra_pool) - used) {
		return DF_ENOSPACE;
	}
	memcpy(cfg->extra_pool + used, v, len);
	cfg->extra[cfg->extra_count].name = name;
	cfg->extra[cfg->extra_count].off = (uint16_t)used;
	cfg->extra_count++;
	return DF_OK;
}

/*
 * Checks v for key k and stores it in cfg. Returns NULL, or why v is
 * invalid with what would be valid written to expect.
 */
static const char *store_value(config_t *cfg, const struct key_def *k, const char *v, char *expect,
			       size_t esize)
{
	char text[CONFIG_STR_MAX];
	const char *why = NULL;
	char *field = k->off == EXTRA_OFF ? NULL : (char *)cfg + k->off;
	const char *stored = v; /* the text form, for extras */

	expect[0] = '\0';
	for (const char *p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(expect, esize, "printable text");
			return "contains a control character";
		}
	}
	bool as_text =
		field == NULL || !(k->type == KT_UINT || k->type == KT_PORT || k->type == KT_ENUM);
	if (as_text && strlen(v) >= k->size) {
		snprintf(expect, esize, "at most %zu characters", k->size - 1);
		return "is too long";
	}

	switch (k->type) {
	case KT_UINT:
	case KT_PORT: {
		uint32_t n;
		snprintf(expect, esize, "an integer from %" PRIu32 " to %" PRIu32, k->min, k->max);
		int ret = parse_u32(v, &n);
		if (ret == DF_EINVAL) {
			return "is not a decimal number";
		}
		if (ret == DF_ERANGE || n < k->min || n > k->max) {
			return "is out of range";
		}
		if (field == NULL) {
			snprintf(text, sizeof(text), "%" PRIu32, n);
			stored = text;
		} else if (k->type == KT_PORT) {
			assert(k->size == sizeof(uint16_t));
			uint16_t port = (uint16_t)n;
			memcpy(field, &port, sizeof(port));
		} else {
			assert(k->size == sizeof(uint32_t));
			n *= k->scale != 0 ? k->scale : 1;
			memcpy(field, &n, sizeof(n));
		}
		break;
	}
	case KT_ENUM: {
		size_t n = (size_t)snprintf(expect, esize, "one of");
		for (const struct choice *c = k->choices; c->name != NULL && n < esize; c++) {
			n += (size_t)snprintf(expect + n, esize - n, "%s %s",
					      c == k->choices ? "" : ",", c->name);
		}
		const struct choice *c = k->choices;
		while (c->name != NULL && !eq_nocase(c->name, v)) {
			c++;
		}
		if (c->name == NULL) {
			return "is not a valid choice";
		}
		assert(field == NULL || k->size == sizeof(int));
		if (field != NULL) {
			memcpy(field, &c->value, sizeof(int));
		}
		stored = c->name;
		break;
	}
	case KT_STR:
		break;
	case KT_IP:
		snprintf(expect, esize, "an IPv4 or IPv6 address");
		if (!ip_canonical(v, text, sizeof(text))) {
			return "is not an IP address";
		}
		stored = text;
		break;
	case KT_HOST:
		snprintf(expect, esize, "an IP address or a host name");
		if (ip_canonical(v, text, sizeof(text))) {
			stored = text;
		} else if ((why = check_dname(v, NULL)) != NULL) {
			return "is not an IP address or a valid host name";
		}
		break;
	case KT_DNAME:
		snprintf(expect, esize,
			 "a domain name: labels of 1-63 letters, digits, '-' or '_', at most 253 "
			 "characters");
		why = check_dname(v, text);
		if (why != NULL) {
			return why;
		}
		stored = text;
		break;
	case KT_URL:
		snprintf(expect, esize,
			 "an http:// or https:// URL, e.g. http://192.0.2.10:8888/metrics");
		if (!url_ok(v)) {
			return "is not an http or https URL";
		}
		break;
	case KT_METRIC:
		snprintf(expect, esize,
			 "a Prometheus metric name, [a-zA-Z_:][a-zA-Z0-9_:]*, optionally with "
			 "labels: name{label=\"value\"}");
		if (!metric_ok(v)) {
			return "is not a metric name or selector";
		}
		break;
	case KT_TSIGKEY:
		snprintf(expect, esize, "[algorithm:]name:secret, as for nsupdate -y");
		if (!tsig_key_ok(v)) {
			return "is not of the form [algorithm:]name:secret";
		}
		break;
	}

	if (field == NULL) {
		if (store_extra(cfg, k->name, stored) != DF_OK) {
			snprintf(expect, esize,
				 "shorter provider, watcher and Vault values (%d bytes "
				 "in all)",
				 CONFIG_EXTRA_POOL);
			return "does not fit";
		}
	} else if (as_text) {
		snprintf(field, k->size, "%s", stored);
	}
	explicit_bzero(text, sizeof(text));
	return NULL;
}

static int apply(struct loader *ld)
{
	char at[AT_MAX], shown[SHOW_MAX + 8], expect[160];

	for (size_t i = 0; i < KEY_COUNT; i++) {
		const struct key_def *k = &keys[i];
		const struct slot *s = &ld->slot[i];
		bool set = s->value != NULL && s->value[0] != '\0';
		const char *v = set ? s->value : k->def;

		if (v == NULL) {
			if ((k->flags & KF_REQUIRED) == 0 ||
			    (ld->watch_only && i != K_DNS_RECORD)) {
				continue;
			}
			if (s->value != NULL) {
				/* Empty in the file (the environment cannot blank it). */
				return fail(ld->d, "%s:%zu: %s is empty; it is required (%s)",
					    ld->label, s->line, s->by_ref ? k->file_name : k->name,
					    k->help);
			}
			return fail(ld->d, "%s is required (%s); set it in %s or the environment",
				    k->name, k->help, ld->label[0] != '\0' ? ld->label : "a file");
		}
		const char *why = store_value(&ld->cfg, k, v, expect, sizeof(expect));
		if (why == NULL) {
			continue;
		}
		where(ld, i, at, sizeof(at));
		if ((k->flags & KF_SECRET) != 0) {
			return fail(ld->d, "%s: %s %s (value not shown); expected %s", at, k->name,
				    why, expect);
		}
		return fail(ld->d, "%s: %s=%s %s; expected %s", at, k->name,
			    show(shown, sizeof(shown), v, strlen(v)), why, expect);
	}
	return DF_OK;
}

static bool is_set(const struct loader *ld, size_t i)
{
	return ld->slot[i].value != NULL && ld->slot[i].value[0] != '\0';
}

/*
 * RENEW_DEADLINE when not set. The seed's default, 40, is kept whenever it
 * fits I < 40 < L, so that existing deployments see the documented value.
 * When LEASE_TTL or UPDATE_INTERVAL moved so that 40 no longer fits, the
 * default becomes D = L - max(I, L/4): the holder steps down at least one
 * update interval, and at least a quarter of the lease, before the lease
 * can expire (that gap L - D is the takeover safety margin). When even that
 * is not above I (L below about 2I) there is no sensible default: the
 * I < D < L check then names the values and asks for RENEW_DEADLINE.
 */
static uint32_t default_deadline(uint32_t interval, uint32_t lease)
{
	if (interval < 40 && 40 < lease) {
		return 40;
	}
	uint32_t margin = interval > lease / 4 ? interval : lease / 4;
	return margin < lease ? lease - margin : 0;
}

static int check_relations(struct loader *ld)
{
	config_t *c = &ld->cfg;
	char a1[AT_MAX], a2[AT_MAX], a3[AT_MAX];

	if (!is_set(ld, K_RENEW_DEADLINE)) {
		c->renew_deadline = default_deadline(c->update_interval, c->lease_ttl);
		ld->deadline_derived = c->renew_deadline != 40;
	}
	if (ld->watch_only) {
		/* The standalone watcher reads the A record and compares it
		 * with MY_IP; the existing watcher took DR_IP in its place. */
		if (config_get_extra(c, "MY_IP") == NULL && c->dr_ip[0] == '\0') {
			return fail(ld->d, "watch needs MY_IP, this site's address (the A record "
					   "is compared with it); DR_IP is accepted in its place");
		}
		if (c->zone[0] == '\0') {
			return DF_OK;
		}
	}
	if (!(c->update_interval < c->renew_deadline && c->renew_deadline < c->lease_ttl)) {
		where(ld, K_UPDATE_INTERVAL, a1, sizeof(a1));
		where(ld, K_RENEW_DEADLINE, a2, sizeof(a2));
		where(ld, K_LEASE_TTL, a3, sizeof(a3));
		if (ld->deadline_derived || !is_set(ld, K_RENEW_DEADLINE)) {
			snprintf(a2, sizeof(a2), "default, L - max(I, L/4)");
		}
		return fail(
			ld->d,
			"UPDATE_INTERVAL=%" PRIu32 " (%s), RENEW_DEADLINE=%" PRIu32
			" (%s), LEASE_TTL=%" PRIu32 " (%s): need UPDATE_INTERVAL < "
			"RENEW_DEADLINE < LEASE_TTL (the holder renews every I, steps down "
			"after D without a renewal, the lease lasts L; defaults 10 < 40 < 60)%s",
			c->update_interval, a1, c->renew_deadline, a2, c->lease_ttl, a3,
			is_set(ld, K_RENEW_DEADLINE)
				? ""
				: "; set RENEW_DEADLINE, or make LEASE_TTL at least twice "
				  "UPDATE_INTERVAL");
	}
	if (!ld->watch_only && strcmp(c->primary_ip, c->dr_ip) == 0) {
		return fail(ld->d,
			    "PRIMARY_IP (%s) and DR_IP (%s) are both %s: the two sites need "
			    "different addresses",
			    where(ld, K_PRIMARY_IP, a1, sizeof(a1)),
			    where(ld, K_DR_IP, a2, sizeof(a2)), c->primary_ip);
	}
	size_t rl = strlen(c->record), zl = strlen(c->zone);
	bool inside = rl == zl ? strcmp(c->record, c->zone) == 0
			       : rl > zl && strcmp(c->record + rl - zl, c->zone) == 0 &&
					 c->record[rl - zl - 1] == '.';
	if (!inside) {
		return fail(ld->d,
			    "DNS_RECORD %s is not inside DNS_ZONE %s (DNS_RECORD from %s, DNS_ZONE "
			    "from %s): the record must be the zone's name or a name below it",
			    c->record, c->zone, where(ld, K_DNS_RECORD, a1, sizeof(a1)),
			    where(ld, K_DNS_ZONE, a2, sizeof(a2)));
	}
	if (c->role == CONFIG_ROLE_DR && c->health_mode == CONFIG_HEALTH_METRICS &&
	    c->health_url[0] == '\0') {
		return fail(ld->d,
			    "HEALTH_MODE=metrics (%s) on ROLE=dr needs HEALTH_URL, e.g. "
			    "http://%s:8888/metrics",
			    where(ld, K_HEALTH_MODE, a1, sizeof(a1)), c->primary_ip);
	}
	if (c->tsig_key[0] != '\0' && c->tsig_keyfile[0] != '\0') {
		return fail(ld->d,
			    "TSIG_KEY (%s) and TSIG_KEYFILE (%s) are both set: use the key file "
			    "(as for nsupdate -k) or the key string (as for nsupdate -y), not both",
			    where(ld, K_TSIG_KEY, a1, sizeof(a1)),
			    where(ld, K_TSIG_KEYFILE, a2, sizeof(a2)));
	}
	if (c->tsig_keyname[0] != '\0' && c->tsig_keyfile[0] == '\0') {
		return fail(ld->d,
			    "TSIG_KEYNAME (%s) picks a key from TSIG_KEYFILE, which is not set",
			    where(ld, K_TSIG_KEYNAME, a1, sizeof(a1)));
	}
	/* MIT Kerberos waits up to ~27 s for a KDC that does not answer (measured,
	 * krb5 1.20, one KDC), inside the daemon's one loop: a holder fetching a
	 * ticket then must still be able to step down on time. */
	if (strcmp(c->provider, "ad-gss") == 0 && ld->warn != NULL &&
	    c->renew_deadline - c->update_interval < GSS_KDC_WAIT_MAX) {
		char msg[512];
		snprintf(msg, sizeof(msg),
			 "RENEW_DEADLINE - UPDATE_INTERVAL = %" PRIu32
			 " s with DNS_PROVIDER=ad-gss: "
			 "a KDC that does not answer can hold a Kerberos call for up to %d s "
			 "(ticket renewals, hours apart), delaying a step-down; keep it above "
			 "%d s",
			 c->renew_deadline - c->update_interval, GSS_KDC_WAIT_MAX,
			 GSS_KDC_WAIT_MAX);
		ld->warn(msg);
	}
	/* HEALTH_HOST defaults to PRIMARY_IP, the address the DR site watches. */
	if (c->health_host[0] == '\0') {
		snprintf(c->health_host, sizeof(c->health_host), "%s", c->primary_ip);
	}
	return DF_OK;
}

static int load(config_t *out, const char *text, size_t len, const char *label, char *const *envp,
		void (*warn)(const char *msg), bool watch_only, df_detail_t *d)
{
	int ret = DF_OK;
	struct loader *ld = calloc(1, sizeof(*ld));
	if (ld == NULL) {
		return DF_ENOMEM;
	}
	ld->watch_only = watch_only;
	ld->label = label != NULL ? label : "";
	ld->warn = warn;
	ld->d = d;

	if (text != NULL && (ret = parse_text(ld, text, len)) != DF_OK) {
		goto out;
	}
	if ((ret = read_env(ld, envp)) != DF_OK) {
		goto out;
	}
	if ((ret = resolve_secrets(ld)) != DF_OK) {
		goto out;
	}
	if ((ret = apply(ld)) != DF_OK) {
		goto out;
	}
	if ((ret = check_relations(ld)) != DF_OK) {
		goto out;
	}
	snprintf(ld->cfg.source, sizeof(ld->cfg.source), "%s", ld->label);
	memcpy(out, &ld->cfg, sizeof(*out));
out:
	for (size_t i = 0; i < KEY_COUNT; i++) {
		slot_clear(&ld->slot[i]);
	}
	explicit_bzero(ld, sizeof(*ld));
	free(ld);
	return ret;
}

/* Reads a whole config file; it may hold secrets, so the caller wipes it. */
static int read_file(const char *path, char **out, size_t *out_len, df_detail_t *d)
{
	int ret = DF_OK;
	char *buf = NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;

	if (fd < 0) {
		return fail(d, "%s: cannot open the configuration file (%s)", path,
			    strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ret = fail(d, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > FILE_SIZE_MAX) {
		ret = fail(d, "%s: larger than %d bytes, not a configuration file", path,
			   FILE_SIZE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	/* Read what fstat() promised; a file that grows meanwhile is cut there. */
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			ret = fail(d, "%s: cannot read the configuration file (%s)", path,
				   strerror(errno));
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
out:
	if (buf != NULL) {
		explicit_bzero(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return ret;
}

static int load_path(config_t *cfg, const char *path, char *const *envp,
		     void (*warn)(const char *msg), bool watch_only, df_detail_t *d)
{
	if (cfg == NULL) {
		return DF_EINVAL;
	}
	if (path == NULL) {
		return load(cfg, NULL, 0, "", envp, warn, watch_only, d);
	}
	if (strlen(path) >= sizeof(cfg->source)) {
		return fail(d, "configuration file path longer than %zu characters",
			    sizeof(cfg->source) - 1);
	}
	char *text = NULL;
	size_t len = 0;
	int ret = read_file(path, &text, &len, d);
	if (ret != DF_OK) {
		return ret;
	}
	ret = load(cfg, text, len, path, envp, warn, watch_only, d);
	wipe_free(text, len + 1);
	return ret;
}

int config_load(config_t *cfg, const char *path, char *const *envp, void (*warn)(const char *msg),
		df_detail_t *d)
{
	return load_path(cfg, path, envp, warn, false, d);
}

int config_load_watch(config_t *cfg, const char *path, char *const *envp,
		      void (*warn)(const char *msg), df_detail_t *d)
{
	return load_path(cfg, path, envp, warn, true, d);
}

int config_parse_text(config_t *cfg, const char *text, size_t len, const char *label,
		      df_detail_t *d)
{
	if (cfg == NULL || (text == NULL && len > 0)) {
		return DF_EINVAL;
	}
	return load(cfg, text != NULL ? text : "", len, label != NULL ? label : "(text)", NULL,
		    NULL, false, d);
}

void config_deinit(config_t *cfg)
{
	if (cfg != NULL) {
		explicit_bzero(cfg, sizeof(*cfg));
	}
}

const char *config_get_extra(const config_t *cfg, const char *name)
{
	if (cfg == NULL || name == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < cfg->extra_count && i < CONFIG_EXTRA_MAX; i++) {
		if (cfg->extra[i].name != NULL && strcmp(cfg->extra[i].name, name) == 0) {
			return cfg->extra_pool + cfg->extra[i].off;
		}
	}
	return NULL;
}

bool config_key_at(size_t i, config_key_info_t *out)
{
	if (i >= KEY_COUNT || out == NULL) {
		return false;
	}
	out->name = keys[i].name;
	out->def = keys[i].def;
	out->help = keys[i].help;
	out->required = (keys[i].flags & KF_REQUIRED) != 0;
	out->secret = (keys[i].flags & KF_SECRET) != 0;
	return true;
}

const char *config_closest_key(const char *name)
{
	if (name == NULL) {
		return NULL;
	}
	return closest(name, strlen(name));
}

const char *config_role_name(enum config_role role)
{
	return role == CONFIG_ROLE_DR ? "dr" : "primary";
}

const char *config_my_ip(const config_t *cfg)
{
	if (cfg == NULL) {
		return NULL;
	}
	return cfg->role == CONFIG_ROLE_DR ? cfg->dr_ip : cfg->primary_ip;
}

const char *config_peer_ip(const config_t *cfg)
{
	if (cfg == NULL) {
		return NULL;
	}
	return cfg->role == CONFIG_ROLE_DR ? cfg->primary_ip : cfg->dr_ip;
}
