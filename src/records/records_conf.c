#include "src/records/records_conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/common/secret_file.h"

#define CONF_FILE_MAX (1024 * 1024)

const rec_conf_key_t rec_conf_keys[] = {
	{"listen", "127.0.0.1:8053", false, "address of the records API (host:port)"},
	{"tls_cert", "", false, "PEM certificate: serve HTTPS (with tls_key)"},
	{"tls_key", "", false, "PEM private key (a private file)"},
	{"webhook_listen", "", false, "address of the external-dns webhook (empty: off)"},
	{"tokens_file", NULL, false, "bearer tokens (required; a private file)"},
	{"audit_log", NULL, false, "audit log file (required), one JSON line per change"},
	{"audit_syslog", "no", false, "also send audit lines to syslog"},
	{"rate", "50", false, "requests per second per token (token bucket)"},
	{"burst", "100", false, "bucket size per token"},
	{"max_concurrent", "256", false, "requests served at once; more get 503"},
	{"request_timeout", "10", false, "seconds a write may take, retries included"},
	{"dns_timeout", "2", false, "seconds per DNS attempt"},
	{"ttl_default", "300", false, "TTL when a request gives none"},
	{"ttl_min", "30", false, "smallest TTL accepted"},
	{"ttl_max", "604800", false, "largest TTL accepted"},
	{"batch_max", "1000", false, "most changes coalesced into one UPDATE"},
	{"verify_timeout", "60", false, "longest wait= of verify, seconds"},
	{"log_level", "info", false, "info or debug"},
	{"server", NULL, true, "the zone's primary (address or host name; required)"},
	{"port", "53", true, "the primary's port"},
	{"key_file", NULL, true,
	 "BIND key file for TSIG (required unless gss_keytab; a private file)"},
	{"key_name", "", true, "key of key_file to use (empty: the only one)"},
	{"gss_keytab", "", true, "GSS-TSIG instead of key_file: the keytab (a private file)"},
	{"gss_principal", "", true, "GSS-TSIG: the principal of gss_keytab to sign as"},
	{"gss_service", "", true, "GSS-TSIG: the server's principal (empty: DNS/<server>)"},
	{"verify_servers", "", true,
	 "servers verify asks (host[:port] ...; empty: the zone's NS set)"},
	{NULL, NULL, false, NULL},
};

static void set_defaults(rec_conf_t *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8053");
	c->rate = 50;
	c->burst = 100;
	c->max_concurrent = 256;
	c->request_timeout = 10000;
	c->dns_timeout = 2000;
	c->ttl_default = 300;
	c->ttl_min = 30;
	c->ttl_max = 604800;
	c->batch_max = 1000;
	c->verify_timeout = 60000;
}

static bool parse_uint(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	if (!isdigit((unsigned char)v[0])) {
		return false;
	}
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi) {
		return false;
	}
	*out = (uint32_t)n;
	return true;
}

static bool copy(char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size) {
		return false;
	}
	memcpy(dst, v, strlen(v) + 1);
	return true;
}

static const rec_conf_key_t *find_key(const char *k, bool zone)
{
	for (const rec_conf_key_t *ck = rec_conf_keys; ck->name != NULL; ck++) {
		if (ck->zone == zone && strcmp(ck->name, k) == 0) {
			return ck;
		}
	}
	return NULL;
}

/* host[:port] or [v6]:port, default port def. */
static bool parse_server(const char *v, uint16_t def, rec_server_t *s)
{
	const char *colon = NULL;
	const char *hs = v;
	size_t hl;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (close == NULL) {
			return false;
		}
		hs = v + 1;
		hl = (size_t)(close - hs);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL) {
			return false;
		}
	} else {
		colon = strchr(v, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			colon = NULL; /* a bare IPv6 address */
			hl = strlen(v);
		} else {
			hl = colon != NULL ? (size_t)(colon - v) : strlen(v);
		}
	}
	if (hl == 0 || hl >= sizeof(s->host)) {
		return false;
	}
	memcpy(s->host, hs, hl);
	s->host[hl] = '\0';
	s->port = def;
	if (colon != NULL) {
		uint32_t p;
		if (!parse_uint(colon + 1, 1, 65535, &p)) {
			return false;
		}
		s->port = (uint16_t)p;
	}
	return true;
}

static int set_global(rec_conf_t *c, const char *k, const char *v, const char *where,
		      df_detail_t *d)
{
	uint32_t n;
	bool ok = true;
	const char *expect = "";
	if (strcmp(k, "listen") == 0) {
		ok = copy(c->listen, sizeof(c->listen), v) && v[0] != '\0';
		expect = "host:port";
	} else if (strcmp(k, "webhook_listen") == 0) {
		ok = copy(c->webhook_listen, sizeof(c->webhook_listen), v);
		expect = "host:port";
	} else if (strcmp(k, "tls_cert") == 0) {
		ok = copy(c->tls_cert, sizeof(c->tls_cert), v);
		expect = "a path";
	} else if (strcmp(k, "tls_key") == 0) {
		ok = copy(c->tls_key, sizeof(c->tls_key), v);
		expect = "a path";
	} else if (strcmp(k, "tokens_file") == 0) {
		ok = copy(c->tokens_file, sizeof(c->tokens_file), v);
		expect = "a path";
	} else if (strcmp(k, "audit_log") == 0) {
		ok = copy(c->audit_log, sizeof(c->audit_log), v);
		expect = "a path";
	} else if (strcmp(k, "audit_syslog") == 0 || strcmp(k, "log_level") == 0) {
		bool yes = strcasecmp(v, "yes") == 0 || strcasecmp(v, "debug") == 0;
		bool no = strcasecmp(v, "no") == 0 || strcasecmp(v, "info") == 0;
		ok = yes || no;
		expect = k[0] == 'a' ? "yes or no" : "info or debug";
		if (k[0] == 'a') {
			c->audit_syslog = yes;
		} else {
			c->log_debug = yes;
		}
	} else {
		struct {
			const char *k;
			uint32_t *dst, lo, hi, scale;
		} nums[] = {
			{"rate", &c->rate, 1, 1000000, 1},
			{"burst", &c->burst, 1, 1000000, 1},
			{"max_concurrent", &c->max_concurrent, 1, 4096, 1},
			{"request_timeout", &c->request_timeout, 1, 600, 1000},
			{"dns_timeout", &c->dns_timeout, 1, 60, 1000},
			{"ttl_default", &c->ttl_default, 0, REC_TTL_MAX, 1},
			{"ttl_min", &c->ttl_min, 0, REC_TTL_MAX, 1},
			{"ttl_max", &c->ttl_max, 0, REC_TTL_MAX, 1},
			{"batch_max", &c->batch_max, 1, 10000, 1},
			{"verify_timeout", &c->verify_timeout, 1, 3600, 1000},
		};
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
			if (strcmp(k, nums[i].k) == 0) {
				ok = parse_uint(v, nums[i].lo, nums[i].hi, &n);
				if (ok) {
					*nums[i].dst = n * nums[i].scale;
				}
				static char range[64];
				snprintf(range, sizeof(range), "a number from %u to %u", nums[i].lo,
					 nums[i].hi);
				expect = range;
				break;
			}
		}
	}
	if (!ok) {
		char esc[LOG_ESCAPE_SIZE(64)];
		df_detail_set(d, "%s: %s = \"%s\" is invalid (expected %s)", where, k,
			      log_escape(esc, sizeof(esc), v, strlen(v)), expect);
		return DF_ECONFIG;
	}
	return DF_OK;
}

static int set_zone(rec_zone_conf_t *z, const char *k, const char *v, const char *where,
		    df_detail_t *d)
{
	bool ok = true;
	const char *expect = "";
	if (strcmp(k, "server") == 0) {
		ok = copy(z->server, sizeof(z->server), v) && v[0] != '\0';
		expect = "an address or host name";
	} else if (strcmp(k, "port") == 0) {
		uint32_t p;
		ok = parse_uint(v, 1, 65535, &p);
		z->port = (uint16_t)p;
		expect = "1 to 65535";
	} else if (strcmp(k, "key_file") == 0) {
		ok = copy(z->key_file, sizeof(z->key_file), v);
		expect = "a path";
	} else if (strcmp(k, "key_name") == 0) {
		ok = copy(z->key_name, sizeof(z->key_name), v);
		expect = "a key name";
	} else if (strcmp(k, "gss_keytab") == 0) {
		ok = copy(z->gss_keytab, sizeof(z->gss_keytab), v);
		expect = "a path";
	} else if (strcmp(k, "gss_principal") == 0) {
		ok = copy(z->gss_principal, sizeof(z->gss_principal), v);
		expect = "a principal such as records@EXAMPLE.COM";
	} else if (strcmp(k, "gss_service") == 0) {
		ok = copy(z->gss_service, sizeof(z->gss_service), v);
		expect = "a principal such as DNS/ns1.example.com";
	} else if (strcmp(k, "verify_servers") == 0) {
		char buf[1024];
		ok = copy(buf, sizeof(buf), v);
		z->nverify = 0;
		for (char *save = NULL, *t = strtok_r(buf, " ,", &save); ok && t != NULL;
		     t = strtok_r(NULL, " ,", &save)) {
			ok = z->nverify < REC_VERIFY_MAX &&
			     parse_server(t, 0, &z->verify[z->nverify]);
			z->nverify++;
		}
		expect = "up to 8 host[:port] separated by spaces";
	}
	if (!ok) {
		char esc[LOG_ESCAPE_SIZE(64)];
		df_detail_set(d, "%s: %s = \"%s\" in [zone %s] is invalid (expected %s)", where, k,
			      log_escape(esc, sizeof(esc), v, strlen(v)), z->name, expect);
		return DF_ECONFIG;
	}
	return DF_OK;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s)) {
		s++;
	}
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1])) {
		s[--n] = '\0';
	}
	return s;
}

static int check_relations(rec_conf_t *c, const char *label, df_detail_t *d)
{
	if (c->nzones == 0) {
		df_detail_set(d, "%s: no [zone NAME] section: dnsrecordsd serves at least one zone",
			      label);
		return DF_ECONFIG;
	}
	if (c->tokens_file[0] == '\0' || c->audit_log[0] == '\0') {
		df_detail_set(d, "%s: %s is required", label,
			      c->tokens_file[0] == '\0' ? "tokens_file" : "audit_log");
		return DF_ECONFIG;
	}
	if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0')) {
		df_detail_set(d, "%s: tls_cert and tls_key go together (one is set, not the other)",
			      label);
		return DF_ECONFIG;
	}
	if (c->ttl_min > c->ttl_max || c->ttl_default < c->ttl_min || c->ttl_default > c->ttl_max) {
		df_detail_set(d, "%s: need ttl_min <= ttl_default <= ttl_max (%u, %u, %u)", label,
			      c->ttl_min, c->ttl_default, c->ttl_max);
		return DF_ECONFIG;
	}
	for (size_t i = 0; i < c->nzones; i++) {
		rec_zone_conf_t *z = &c->zones[i];
		if (z->server[0] == '\0' ||
		    (z->key_file[0] == '\0') == (z->gss_keytab[0] == '\0')) {
			df_detail_set(d, "%s:%d: [zone %s] needs %s", label, z->line, z->name,
				      z->server[0] == '\0' ? "server"
				      : z->key_file[0] == '\0'
					      ? "key_file (TSIG) or gss_keytab (GSS-TSIG)"
					      : "key_file or gss_keytab, not both");
			return DF_ECONFIG;
		}
		if (z->gss_keytab[0] != '\0' && z->gss_principal[0] == '\0') {
			df_detail_set(d, "%s:%d: [zone %s] gss_keytab needs gss_principal", label,
				      z->line, z->name);
			return DF_ECONFIG;
		}
		for (size_t v = 0; v < z->nverify; v++) {
			if (z->verify[v].port == 0) {
				z->verify[v].port = z->port;
			}
		}
	}
	return DF_OK;
}

int rec_conf_parse(rec_conf_t *c, const char *text, size_t len, const char *label, df_detail_t *d)
{
	set_defaults(c);
	snprintf(c->source, sizeof(c->source), "%s", label);
	rec_zone_conf_t *zone = NULL;
	int lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		char line[2048];
		size_t end = pos;
		while (end < len && text[end] != '\n') {
			end++;
		}
		lineno++;
		size_t n = end - pos;
		char where[REC_PATH_MAX + 16];
		snprintf(where, sizeof(where), "%s:%d", label, lineno);
		if (n >= sizeof(line) || memchr(text + pos, '\0', n) != NULL) {
			df_detail_set(d, "%s: line too long or holds a NUL byte", where);
			return DF_ECONFIG;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos = end + 1;
		char *s = trim(line);
		if (s[0] == '\0' || s[0] == '#' || s[0] == ';') {
			continue;
		}
		if (s[0] == '[') {
			char *close = strchr(s, ']');
			char name[REC_NAME_MAX];
			rec_error_t e;
			if (close == NULL || close[1] != '\0' || strncmp(s, "[zone ", 6) != 0) {
				df_detail_set(d, "%s: expected a section \"[zone NAME]\"", where);
				return DF_ECONFIG;
			}
			*close = '\0';
			if (c->nzones >= REC_ZONES_MAX) {
				df_detail_set(d, "%s: more than %d zones", where, REC_ZONES_MAX);
				return DF_ECONFIG;
			}
			char *zn = trim(s + 6);
			if (!rec_name_check(zn, 0, name, &e)) {
				df_detail_set(d, "%s: zone %s", where, e.msg);
				return DF_ECONFIG;
			}
			for (size_t i = 0; i < c->nzones; i++) {
				if (strcmp(c->zones[i].name, name) == 0) {
					df_detail_set(
						d, "%s: [zone %s] given twice (first at line %d)",
						where, name, c->zones[i].line);
					return DF_ECONFIG;
				}
			}
			zone = &c->zones[c->nzones++];
			memset(zone, 0, sizeof(*zone));
			snprintf(zone->name, sizeof(zone->name), "%s", name);
			zone->port = 53;
			zone->line = lineno;
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			df_detail_set(d, "%s: expected \"key = value\"", where);
			return DF_ECONFIG;
		}
		*eq = '\0';
		char *k = trim(s);
		char *v = trim(eq + 1);
		size_t vl = strlen(v);
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			v[vl - 1] = '\0';
			v++;
		}
		if (find_key(k, zone != NULL) == NULL) {
			char esc[LOG_ESCAPE_SIZE(32)];
			const rec_conf_key_t *other = find_key(k, zone == NULL);
			df_detail_set(d, "%s: unknown key \"%s\"%s%s", where,
				      log_escape(esc, sizeof(esc), k, strlen(k)),
				      other == NULL  ? " (see dnsrecordsd(8) for the keys)"
				      : zone != NULL ? ": it belongs before the first [zone]"
						     : ": it belongs inside a [zone NAME] section",
				      "");
			return DF_ECONFIG;
		}
		int ret = zone != NULL ? set_zone(zone, k, v, where, d)
				       : set_global(c, k, v, where, d);
		if (ret != DF_OK) {
			return ret;
		}
	}
	return check_relations(c, label, d);
}

int rec_conf_load(rec_conf_t *c, const char *path, df_detail_t *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		df_detail_set(d, "cannot open the configuration file %s: %s", path,
			      strerror(errno));
		return -errno;
	}
	char *buf = malloc(CONF_FILE_MAX);
	size_t n = 0;
	ssize_t r = 0;
	while (buf != NULL && n < CONF_FILE_MAX && (r = read(fd, buf + n, CONF_FILE_MAX - n)) > 0) {
		n += (size_t)r;
	}
	close(fd);
	if (buf == NULL || r < 0) {
		free(buf);
		df_detail_set(d, "cannot read %s", path);
		return DF_EINVAL;
	}
	int ret = rec_conf_parse(c, buf, n, path, d);
	free(buf);
	for (size_t i = 0; ret == DF_OK && i < c->nzones; i++) {
		rec_zone_conf_t *z = &c->zones[i];
		if (z->key_file[0] == '\0') {
			/* GSS-TSIG: the keytab under the same rule as a key file */
			int kfd = -1;
			ret = secret_file_open(z->gss_keytab, "keytab", "gss_keytab", &kfd, d);
			if (ret != DF_OK) {
				df_detail_prefix(d, "%s:%d: [zone %s] gss_keytab", path, z->line,
						 z->name);
			} else {
				close(kfd);
			}
			continue;
		}
		ret = tsig_keyfile_load(&z->key, z->key_file,
					z->key_name[0] != '\0' ? z->key_name : NULL, d);
		if (ret != DF_OK) {
			df_detail_prefix(d, "%s:%d: [zone %s] key_file", path, z->line, z->name);
		} else {
			z->has_key = true;
		}
	}
	if (ret != DF_OK) {
		rec_conf_deinit(c);
	}
	return ret;
}

void rec_conf_deinit(rec_conf_t *c)
{
	for (size_t i = 0; i < c->nzones; i++) {
		tsig_key_deinit(&c->zones[i].key);
		c->zones[i].has_key = false;
	}
}

const rec_zone_conf_t *rec_conf_zone_for(const rec_conf_t *c, const char *name)
{
	const rec_zone_conf_t *best = NULL;
	for (size_t i = 0; i < c->nzones; i++) {
		if (rec_name_in_zone(name, c->zones[i].name) &&
		    (best == NULL || strlen(c->zones[i].name) > strlen(best->name))) {
			best = &c->zones[i];
		}
	}
	return best;
}

const char *rec_conf_zone_list(const rec_conf_t *c, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < c->nzones && o < size; i++) {
		int w = snprintf(buf + o, size - o, "%s%s", i > 0 ? ", " : "", c->zones[i].name);
		if (w < 0) {
			break;
		}
		o += (size_t)w;
	}
	return buf;
}
