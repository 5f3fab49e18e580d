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

#include "src/common/secret_file.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Longest known key name, NAME_FILE forms included (checked by a test). */
#define KEY_NAME_MAX 40
/* A config file larger than this is not a config file. */
#define FILE_SIZE_MAX (1024 * 1024)
/* A NAME_FILE secret is read up to this many bytes (its first line). */
#define SECRET_FILE_MAX 8192
/* How much of a bad value an error message shows. */
#define SHOW_MAX 64
/* Room for "where a value came from": a path, a line, a NAME_FILE path. */
#define AT_MAX 640

static const config_choice_t roles[] = {
	{"primary", CONFIG_ROLE_PRIMARY},
	{"dr", CONFIG_ROLE_DR},
	{NULL, 0},
};
static const config_choice_t log_targets[] = {
	{"stderr", CONFIG_LOG_STDERR},
	{"syslog", CONFIG_LOG_SYSLOG},
	{NULL, 0},
};
/* "warning" is Python's spelling; existing env files may carry it. */
static const config_choice_t log_levels[] = {
	{"error", LOG_LEVEL_ERROR}, {"warn", LOG_LEVEL_WARN},	{"warning", LOG_LEVEL_WARN},
	{"info", LOG_LEVEL_INFO},   {"debug", LOG_LEVEL_DEBUG}, {NULL, 0},
};

/* The core keys, indexed so that the relation checks can name them. */
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
	K_LOG_TARGET,
	K_LOG_LEVEL,
	K_CORE_COUNT,
};

/*
 * The keys every program part needs: the site, the zone and its server, the
 * timing of the lease and the log. The other modules declare theirs
 * (config_module_t) and the program lists them (src/failover/config_modules.c).
 */
/* One row per key reads better than one field per line. */
/* clang-format off */
static const config_key_t core_keys[] = {
	[K_ROLE] = {.name = "ROLE", .type = CONFIG_ENUM, .flags = CONFIG_REQUIRED, CONFIG_FIELD(role),
		.choices = roles, .help = "this site's role: primary or dr"},
	[K_DNS_PROVIDER] = {.name = "DNS_PROVIDER", .type = CONFIG_STR, .flags = CONFIG_REQUIRED,
		CONFIG_FIELD(provider), .help = "DNS backend id, e.g. bind-tsig or dry-run"},
	[K_DNS_SERVER] = {.name = "DNS_SERVER", .type = CONFIG_HOST, CONFIG_FIELD(server),
		.help = "server to read and update; empty: the zone's SOA MNAME"},
	[K_DNS_PORT] = {.name = "DNS_PORT", .type = CONFIG_PORT, .def = "53", CONFIG_FIELD(port), .min = 1,
		.max = 65535, .help = "port of DNS_SERVER"},
	[K_DNS_RESOLVER] = {.name = "DNS_RESOLVER", .type = CONFIG_HOST, CONFIG_FIELD(resolver),
		.help = "server asked for the zone's SOA when DNS_SERVER is empty "
			"(default: /etc/resolv.conf); queried on DNS_PORT"},
	[K_DNS_ZONE] = {.name = "DNS_ZONE", .type = CONFIG_DNAME, .flags = CONFIG_REQUIRED, CONFIG_FIELD(zone),
		.help = "zone that holds DNS_RECORD, e.g. example.com"},
	[K_DNS_RECORD] = {.name = "DNS_RECORD", .type = CONFIG_DNAME, .flags = CONFIG_REQUIRED,
		CONFIG_FIELD(record), .help = "name of the lease A and TXT records, inside DNS_ZONE"},
	[K_DNS_TTL] = {.name = "DNS_TTL", CONFIG_SECONDS(1, 86400), .def = "30", CONFIG_FIELD(dns_ttl),
		.help = "TTL of the lease records, seconds"},
	[K_PRIMARY_IP] = {.name = "PRIMARY_IP", .type = CONFIG_IP, .flags = CONFIG_REQUIRED,
		CONFIG_FIELD(primary_ip), .help = "primary site's address"},
	[K_DR_IP] = {.name = "DR_IP", .type = CONFIG_IP, .flags = CONFIG_REQUIRED, CONFIG_FIELD(dr_ip),
		.help = "DR site's address"},
	[K_LEASE_TTL] = {.name = "LEASE_TTL", CONFIG_SECONDS(3, 86400), .def = "60", CONFIG_FIELD(lease_ttl),
		.help = "lease length L, seconds (I < D < L)"},
	[K_UPDATE_INTERVAL] = {.name = "UPDATE_INTERVAL", CONFIG_SECONDS(1, 86400), .def = "10",
		CONFIG_FIELD(update_interval), .help = "renewal and health check interval I, seconds"},
	[K_RENEW_DEADLINE] = {.name = "RENEW_DEADLINE", CONFIG_SECONDS(2, 86400), .def = "40",
		CONFIG_FIELD(renew_deadline),
		.help = "holder steps down after D seconds without a renewal"},
	[K_FAIL_THRESHOLD] = {.name = "FAIL_THRESHOLD", .type = CONFIG_UINT, .def = "3",
		CONFIG_FIELD(fail_threshold), .min = 1, .max = 1000,
		.help = "failed health checks before the DR site takes over"},
	[K_DNS_TIMEOUT] = {.name = "DNS_TIMEOUT", CONFIG_SECONDS(1, 300), .scale = 1000, .def = "3",
		CONFIG_FIELD(dns_timeout_ms), .help = "per-query timeout, seconds"},
	[K_DNS_RETRIES] = {.name = "DNS_RETRIES", .type = CONFIG_UINT, .def = "2", CONFIG_FIELD(dns_retries),
		.min = 0, .max = 10, .help = "retries after a DNS timeout"},
	[K_LOG_TARGET] = {.name = "LOG_TARGET", .type = CONFIG_ENUM, .def = "stderr", CONFIG_FIELD(log_target),
		.choices = log_targets, .help = "stderr or syslog"},
	[K_LOG_LEVEL] = {.name = "LOG_LEVEL", .type = CONFIG_ENUM, .def = "info", CONFIG_FIELD(log_level),
		.choices = log_levels, .help = "error, warn, info or debug"},
};
/* clang-format on */

_Static_assert(ARRAY_SIZE(core_keys) == K_CORE_COUNT, "one row per core key");

/* Most keys of one load: the core keys, then the modules' in list order. */
#define KEYS_MAX 128

/* Unknown environment variables with these prefixes are probably typos. */
static const char *const our_prefixes[] = {
	"DNS_",	   "TSIG_", "HEALTH_", "LEASE_", "UPDATE_",  "FAIL_", "RENEW_",
	"DRYRUN_", "GSS_",  "OTEL_",   "WATCH_", "METRICS_", "LOG_",  "VAULT_",
};

_Static_assert(sizeof(enum config_role) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum config_health_mode) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum config_log_target) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum config_watch_mode) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum config_dns_failure) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum config_gss_mech) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum config_gss_alg) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum config_vault_auth) == sizeof(int), "enum fields are stored as int");

/*
 * The keys of one load, flat: the core keys at their key_id, then each
 * module's. Returns how many, or 0 when there are more than cap (a program
 * error, caught by every test that loads a configuration).
 */
static size_t list_keys(const config_module_t *const *modules, const config_key_t **out,
			const config_module_t **owner, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < K_CORE_COUNT && n < cap; i++, n++) {
		out[n] = &core_keys[i];
		owner[n] = NULL;
	}
	for (size_t m = 0; modules != NULL && modules[m] != NULL; m++) {
		for (size_t i = 0; i < modules[m]->count; i++, n++) {
			if (n == cap) {
				return 0;
			}
			out[n] = &modules[m]->keys[i];
			owner[n] = modules[m];
		}
	}
	return n;
}

/* One raw value per key, as collected from the file and the environment. */
struct slot {
	char *value;	/* malloc'd, NULL when not set; "" counts as not set */
	size_t cap;	/* bytes allocated for value, wiped before free */
	char *ref_path; /* the NAME_FILE path value was read from, or NULL */
	char *origin;	/* put by a module's source(): where from, or NULL */
	size_t line;	/* line in the file, 0 when from the environment */
	bool by_ref;	/* set through NAME_FILE: value is a path until resolved */
	bool from_env;
};

/* The loader; a module's relate() sees it as a config_ctx_t. */
struct config_ctx {
	const char *label; /* file name for messages */
	/* Why the file may not hold a secret (secret_file_check()), or NULL. */
	const df_detail_t *not_private;
	void (*warn)(const char *msg);
	df_detail_t *d;
	bool deadline_derived; /* RENEW_DEADLINE came from the rule below */
	bool watch_only;       /* `watch`: the daemon's keys are not required */
	const config_module_t *const *modules;
	size_t nkeys;
	const config_key_t *key[KEYS_MAX];
	const config_module_t *owner[KEYS_MAX]; /* NULL for the core keys */
	struct slot slot[KEYS_MAX];
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
	free(s->origin);
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
static int lookup(const struct config_ctx *ld, const char *k, size_t len, bool *by_ref)
{
	for (size_t i = 0; i < ld->nkeys; i++) {
		const config_key_t *key = ld->key[i];
		if (strlen(key->name) == len && memcmp(key->name, k, len) == 0) {
			*by_ref = false;
			return (int)i;
		}
		if (key->file_name != NULL && strlen(key->file_name) == len &&
		    memcmp(key->file_name, k, len) == 0) {
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

static const char *closest(const config_module_t *const *modules, const char *name, size_t len)
{
	const char *best = NULL;
	size_t best_dist = SIZE_MAX;
	const config_key_t *all[KEYS_MAX];
	const config_module_t *owner[KEYS_MAX];
	size_t n = list_keys(modules, all, owner, KEYS_MAX);

	if (len > KEY_NAME_MAX + 3) {
		return NULL; /* farther than 3 edits from every key */
	}
	for (size_t i = 0; i < n; i++) {
		const char *cands[2] = {all[i]->name, all[i]->file_name};
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
static const char *where(const struct config_ctx *ld, size_t i, char *buf, size_t size)
{
	const struct slot *s = &ld->slot[i];
	char path[SHOW_MAX + 8];

	if (s->value == NULL || s->value[0] == '\0') {
		snprintf(buf, size, "default");
	} else if (s->origin != NULL) {
		snprintf(buf, size, "%s", s->origin);
	} else if (s->from_env) {
		snprintf(buf, size, "environment");
	} else {
		snprintf(buf, size, "%s:%zu", ld->label, s->line);
	}
	if (s->ref_path != NULL) {
		size_t n = strlen(buf);
		snprintf(buf + n, size - n, " (%s=%s)", ld->key[i]->file_name,
			 show(path, sizeof(path), s->ref_path, strlen(s->ref_path)));
	}
	return buf;
}

/*
 * Reads one value after '=' (v..e): 'literal', "escaped" or unquoted with
 * an optional " # comment". Returns a malloc'd string in *out (*cap bytes).
 */
static int parse_value(struct config_ctx *ld, size_t lineno, const char *name, const char *v,
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

static int unknown_key(struct config_ctx *ld, size_t lineno, const char *k, size_t klen)
{
	char shown[SHOW_MAX + 8];
	const char *hint = closest(ld->modules, k, klen);
	bool by_ref;

	show(shown, sizeof(shown), k, klen);
	/* NAME_FILE of a key that exists but is not secret: say so. */
	if (klen > 5 && memcmp(k + klen - 5, "_FILE", 5) == 0 &&
	    lookup(ld, k, klen - 5, &by_ref) >= 0) {
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

static int parse_line(struct config_ctx *ld, size_t lineno, const char *p, const char *e)
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
		const char *hint = closest(ld->modules, p, klen);
		return fail(ld->d,
			    "%s:%zu: invalid key before '=': keys are upper-case letters, digits "
			    "and _, [A-Z_][A-Z0-9_]*%s%s%s",
			    ld->label, lineno, hint != NULL ? " (did you mean " : "",
			    hint != NULL ? hint : "", hint != NULL ? "?)" : "");
	}
	bool by_ref = false;
	int idx = lookup(ld, p, klen, &by_ref);
	if (idx < 0) {
		return unknown_key(ld, lineno, p, klen);
	}
	const config_key_t *k = ld->key[idx];
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

static int parse_text(struct config_ctx *ld, const char *text, size_t len)
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
static int read_env(struct config_ctx *ld, char *const *envp)
{
	for (char *const *e = envp; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		if (eq == NULL) {
			continue;
		}
		size_t klen = (size_t)(eq - *e);
		bool by_ref = false;
		int idx = lookup(ld, *e, klen, &by_ref);
		if (idx < 0) {
			if (ld->warn != NULL && has_our_prefix(*e, klen)) {
				char shown[SHOW_MAX + 8], msg[256];
				const char *hint = closest(ld->modules, *e, klen);
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
					    ld->key[idx]->name, ld->key[idx]->file_name);
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
 * never end. Opened non-blocking for the same reason. The file follows the
 * rule of key files (secret_file_check()): owned by root or us, no access
 * for group or others.
 */
static int read_secret(struct config_ctx *ld, size_t i)
{
	struct slot *s = &ld->slot[i];
	const char *name = ld->key[i]->file_name;
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
	df_detail_t why;
	if (secret_file_check(&st, "secret file", s->value, &why) != DF_OK) {
		ret = fail(ld->d, "%s: %s=%s: %s", at, name, shown, why.msg);
		goto out;
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

static int resolve_secrets(struct config_ctx *ld)
{
	for (size_t i = 0; i < ld->nkeys; i++) {
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

/*
 * Checks v for key k and stores it in cfg. Returns NULL, or why v is
 * invalid with what would be valid written to expect.
 */
static const char *store_value(config_t *cfg, const config_key_t *k, const char *v, char *expect,
			       size_t esize)
{
	char text[CONFIG_STR_MAX];
	const char *why = NULL;
	char *field = (char *)cfg + k->off;
	const char *stored = v; /* the text form, for text fields */

	expect[0] = '\0';
	for (const char *p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(expect, esize, "printable text");
			return "contains a control character";
		}
	}
	bool as_text =
		!(k->type == CONFIG_UINT || k->type == CONFIG_PORT || k->type == CONFIG_ENUM);
	if (as_text && strlen(v) >= k->size) {
		snprintf(expect, esize, "at most %zu characters", k->size - 1);
		return "is too long";
	}

	switch (k->type) {
	case CONFIG_UINT:
	case CONFIG_PORT: {
		uint32_t n;
		snprintf(expect, esize, "an integer from %" PRIu32 " to %" PRIu32, k->min, k->max);
		int ret = parse_u32(v, &n);
		if (ret == DF_EINVAL) {
			return "is not a decimal number";
		}
		if (ret == DF_ERANGE || n < k->min || n > k->max) {
			return "is out of range";
		}
		if (k->type == CONFIG_PORT) {
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
	case CONFIG_ENUM: {
		size_t n = (size_t)snprintf(expect, esize, "one of");
		for (const config_choice_t *c = k->choices; c->name != NULL && n < esize; c++) {
			n += (size_t)snprintf(expect + n, esize - n, "%s %s",
					      c == k->choices ? "" : ",", c->name);
		}
		const config_choice_t *c = k->choices;
		while (c->name != NULL && !eq_nocase(c->name, v)) {
			c++;
		}
		if (c->name == NULL) {
			return "is not a valid choice";
		}
		assert(k->size == sizeof(int));
		memcpy(field, &c->value, sizeof(int));
		break;
	}
	case CONFIG_STR:
		break;
	case CONFIG_IP:
		snprintf(expect, esize, "an IPv4 or IPv6 address");
		if (!ip_canonical(v, text, sizeof(text))) {
			return "is not an IP address";
		}
		stored = text;
		break;
	case CONFIG_HOST:
		snprintf(expect, esize, "an IP address or a host name");
		if (ip_canonical(v, text, sizeof(text))) {
			stored = text;
		} else if ((why = check_dname(v, NULL)) != NULL) {
			return "is not an IP address or a valid host name";
		}
		break;
	case CONFIG_DNAME:
		snprintf(expect, esize,
			 "a domain name: labels of 1-63 letters, digits, '-' or '_', at most 253 "
			 "characters");
		why = check_dname(v, text);
		if (why != NULL) {
			return why;
		}
		stored = text;
		break;
	case CONFIG_URL:
		snprintf(expect, esize,
			 "an http:// or https:// URL, e.g. http://192.0.2.10:8888/metrics");
		if (!url_ok(v)) {
			return "is not an http or https URL";
		}
		break;
	case CONFIG_TSIGKEY:
		snprintf(expect, esize, "[algorithm:]name:secret, as for nsupdate -y");
		if (!tsig_key_ok(v)) {
			return "is not of the form [algorithm:]name:secret";
		}
		break;
	}

	/* The owner's own rule, on a value of the right type. */
	if (k->check != NULL && (why = k->check(stored, expect, esize)) != NULL) {
		explicit_bzero(text, sizeof(text));
		return why;
	}
	if (as_text) {
		snprintf(field, k->size, "%s", stored);
	}
	explicit_bzero(text, sizeof(text));
	return NULL;
}

/* Checks and stores the keys [from, to) of this load. */
static int apply_keys(struct config_ctx *ld, size_t from, size_t to)
{
	char at[AT_MAX], shown[SHOW_MAX + 8], expect[160];

	for (size_t i = from; i < to; i++) {
		const config_key_t *k = ld->key[i];
		const struct slot *s = &ld->slot[i];
		bool set = s->value != NULL && s->value[0] != '\0';
		const char *v = set ? s->value : k->def;

		if (v == NULL) {
			if ((k->flags & CONFIG_REQUIRED) == 0 ||
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
		/* Nothing read from a secrets store is shown, secret key or not. */
		if ((k->flags & CONFIG_SECRET) != 0 || s->origin != NULL) {
			return fail(ld->d, "%s: %s %s (value not shown); expected %s", at, k->name,
				    why, expect);
		}
		return fail(ld->d, "%s: %s=%s %s; expected %s", at, k->name,
			    show(shown, sizeof(shown), v, strlen(v)), why, expect);
	}
	return DF_OK;
}

static bool is_set(const struct config_ctx *ld, size_t i)
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

static int check_relations(struct config_ctx *ld)
{
	config_t *c = &ld->cfg;
	char a1[AT_MAX], a2[AT_MAX], a3[AT_MAX];

	if (!is_set(ld, K_RENEW_DEADLINE)) {
		c->renew_deadline = default_deadline(c->update_interval, c->lease_ttl);
		ld->deadline_derived = c->renew_deadline != 40;
	}
	if (ld->watch_only && c->zone[0] == '\0') {
		return DF_OK;
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
	return DF_OK;
}

/*
 * A secret written in the file itself (TSIG_KEY=...) needs a file that only
 * its owner can read, as a key file does; NAME_FILE forms are checked when
 * their files are read. A file without a secret may be world-readable.
 */
static int check_file_secrets(struct config_ctx *ld)
{
	for (size_t i = 0; ld->not_private != NULL && i < ld->nkeys; i++) {
		const struct slot *s = &ld->slot[i];
		if ((ld->key[i]->flags & CONFIG_SECRET) != 0 && !s->by_ref && s->value != NULL &&
		    s->value[0] != '\0') {
			return fail(ld->d,
				    "%s:%zu: %s is a secret, but %s, or set %s to a file only you "
				    "can read",
				    ld->label, s->line, ld->key[i]->name, ld->not_private->msg,
				    ld->key[i]->file_name);
		}
	}
	return DF_OK;
}

/*
 * The modules' source() calls, each after its own keys are stored: what
 * they put is checked with every other key by apply_keys().
 */
static int run_module_sources(struct config_ctx *ld)
{
	for (size_t m = 0; ld->modules != NULL && ld->modules[m] != NULL; m++) {
		const config_module_t *mod = ld->modules[m];
		size_t from = 0, to = 0;
		if (mod->source == NULL) {
			continue;
		}
		while (from < ld->nkeys && ld->owner[from] != mod) {
			from++;
		}
		for (to = from; to < ld->nkeys && ld->owner[to] == mod; to++) {
		}
		int ret = apply_keys(ld, from, to);
		if (ret == DF_OK) {
			ret = mod->source(&ld->cfg, ld, ld->d);
		}
		if (ret != DF_OK) {
			return ret;
		}
	}
	return DF_OK;
}

int config_put(config_ctx_t *ctx, const char *name, const char *value, const char *origin)
{
	if (ctx == NULL || name == NULL || value == NULL || origin == NULL) {
		return DF_EINVAL;
	}
	size_t i = 0;
	while (i < ctx->nkeys && !eq_nocase(ctx->key[i]->name, name)) {
		i++;
	}
	if (i == ctx->nkeys) {
		return DF_ENOENT;
	}
	size_t cap = strlen(value) + 1;
	char *v = malloc(cap);
	char *o = strdup(origin);
	if (v == NULL || o == NULL) {
		free(v);
		free(o);
		return DF_ENOMEM;
	}
	memcpy(v, value, cap);
	struct slot *s = &ctx->slot[i];
	slot_clear(s);
	s->value = v;
	s->cap = cap;
	s->origin = o;
	return DF_OK;
}

static int load(config_t *out, const config_module_t *const *modules, const char *text, size_t len,
		const char *label, char *const *envp, void (*warn)(const char *msg),
		bool watch_only, bool run_sources, const df_detail_t *not_private, df_detail_t *d)
{
	int ret = DF_OK;
	struct config_ctx *ld = calloc(1, sizeof(*ld));
	if (ld == NULL) {
		return DF_ENOMEM;
	}
	ld->modules = modules;
	ld->nkeys = list_keys(modules, ld->key, ld->owner, KEYS_MAX);
	if (ld->nkeys == 0) {
		free(ld);
		return fail(d, "more than %d configuration keys: raise KEYS_MAX", KEYS_MAX);
	}
	ld->watch_only = watch_only;
	ld->label = label != NULL ? label : "";
	ld->warn = warn;
	ld->d = d;
	ld->not_private = not_private;

	if (text != NULL && (ret = parse_text(ld, text, len)) != DF_OK) {
		goto out;
	}
	if ((ret = check_file_secrets(ld)) != DF_OK) {
		goto out;
	}
	if ((ret = read_env(ld, envp)) != DF_OK) {
		goto out;
	}
	if ((ret = resolve_secrets(ld)) != DF_OK) {
		goto out;
	}
	if (run_sources && (ret = run_module_sources(ld)) != DF_OK) {
		goto out;
	}
	if ((ret = apply_keys(ld, 0, ld->nkeys)) != DF_OK) {
		goto out;
	}
	if ((ret = check_relations(ld)) != DF_OK) {
		goto out;
	}
	for (size_t m = 0; ld->modules != NULL && ld->modules[m] != NULL; m++) {
		const config_module_t *mod = ld->modules[m];
		if (mod->relate != NULL && (ret = mod->relate(&ld->cfg, ld, d)) != DF_OK) {
			goto out;
		}
	}
	snprintf(ld->cfg.source, sizeof(ld->cfg.source), "%s", ld->label);
	memcpy(out, &ld->cfg, sizeof(*out));
out:
	for (size_t i = 0; i < ld->nkeys; i++) {
		slot_clear(&ld->slot[i]);
	}
	explicit_bzero(ld, sizeof(*ld));
	free(ld);
	return ret;
}

/*
 * Reads a whole config file; it may hold secrets, so the caller wipes it.
 * *private_out says whether it may hold one (secret_file_check()); when it
 * may not, why says so.
 */
static int read_file(const char *path, char **out, size_t *out_len, bool *private_out,
		     df_detail_t *why, df_detail_t *d)
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
	*private_out = secret_file_check(&st, "configuration file", path, why) == DF_OK;
	buf = NULL;
out:
	if (buf != NULL) {
		explicit_bzero(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return ret;
}

static int load_path(config_t *cfg, const config_module_t *const *modules, const char *path,
		     char *const *envp, void (*warn)(const char *msg), bool watch_only,
		     df_detail_t *d)
{
	if (cfg == NULL) {
		return DF_EINVAL;
	}
	if (path == NULL) {
		return load(cfg, modules, NULL, 0, "", envp, warn, watch_only, true, NULL, d);
	}
	if (strlen(path) >= sizeof(cfg->source)) {
		return fail(d, "configuration file path longer than %zu characters",
			    sizeof(cfg->source) - 1);
	}
	char *text = NULL;
	size_t len = 0;
	bool private_file = false;
	df_detail_t why;
	int ret = read_file(path, &text, &len, &private_file, &why, d);
	if (ret != DF_OK) {
		return ret;
	}
	ret = load(cfg, modules, text, len, path, envp, warn, watch_only, true,
		   private_file ? NULL : &why, d);
	wipe_free(text, len + 1);
	return ret;
}

int config_load(config_t *cfg, const config_module_t *const *modules, const char *path,
		char *const *envp, void (*warn)(const char *msg), df_detail_t *d)
{
	return load_path(cfg, modules, path, envp, warn, false, d);
}

int config_load_watch(config_t *cfg, const config_module_t *const *modules, const char *path,
		      char *const *envp, void (*warn)(const char *msg), df_detail_t *d)
{
	return load_path(cfg, modules, path, envp, warn, true, d);
}

int config_parse_text(config_t *cfg, const config_module_t *const *modules, const char *text,
		      size_t len, const char *label, df_detail_t *d)
{
	if (cfg == NULL || (text == NULL && len > 0)) {
		return DF_EINVAL;
	}
	return load(cfg, modules, text != NULL ? text : "", len, label != NULL ? label : "(text)",
		    NULL, NULL, false, false, NULL, d);
}

void config_deinit(config_t *cfg)
{
	if (cfg != NULL) {
		explicit_bzero(cfg, sizeof(*cfg));
	}
}

bool config_key_at(const config_module_t *const *modules, size_t i, config_key_info_t *out)
{
	const config_key_t *all[KEYS_MAX];
	const config_module_t *owner[KEYS_MAX];
	size_t n = list_keys(modules, all, owner, KEYS_MAX);
	if (i >= n || out == NULL) {
		return false;
	}
	out->name = all[i]->name;
	out->def = all[i]->def;
	out->help = all[i]->help;
	out->required = (all[i]->flags & CONFIG_REQUIRED) != 0;
	out->secret = (all[i]->flags & CONFIG_SECRET) != 0;
	return true;
}

const char *config_closest_key(const config_module_t *const *modules, const char *name)
{
	if (name == NULL) {
		return NULL;
	}
	return closest(modules, name, strlen(name));
}

/* The index of key in this load, or SIZE_MAX when it is not one of its keys. */
static size_t index_of(const config_ctx_t *ctx, const config_key_t *key)
{
	for (size_t i = 0; i < ctx->nkeys; i++) {
		if (ctx->key[i] == key) {
			return i;
		}
	}
	return SIZE_MAX;
}

const char *config_where(const config_ctx_t *ctx, const config_key_t *key, char *buf, size_t size)
{
	size_t i = index_of(ctx, key);
	if (i == SIZE_MAX) {
		snprintf(buf, size, "default");
		return buf;
	}
	return where(ctx, i, buf, size);
}

bool config_is_set(const config_ctx_t *ctx, const config_key_t *key)
{
	size_t i = index_of(ctx, key);
	return i != SIZE_MAX && is_set(ctx, i);
}

bool config_watch_only(const config_ctx_t *ctx)
{
	return ctx->watch_only;
}

void config_warn(const config_ctx_t *ctx, const char *msg)
{
	if (ctx->warn != NULL) {
		ctx->warn(msg);
	}
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
