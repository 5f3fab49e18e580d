/* The configuration reader. */
#include "zones/zp_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/secret_file.h"
#include "zones/zp_proto.h"

static void defaults(zp_conf_t *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:2222");
	snprintf(c->state_db, sizeof(c->state_db), "/var/lib/zonepushd/queue.db");
	static const unsigned sched[] = {30, 120, 300, 900, 1800};
	memcpy(c->schedule, sched, sizeof(sched));
	c->nschedule = 5;
	c->heal_interval = 900;
	c->cluster_owner = true;
	c->batch = 200;
	c->max_body = 4 * 1024 * 1024;
	snprintf(c->log_level, sizeof(c->log_level), "info");
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t') {
		s++;
	}
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
		s[--n] = '\0';
	}
	return s;
}

static int bad(df_detail_t *d, const char *label, int line, const char *fmt, const char *a)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, a);
	df_detail_set(d, "%s:%d: %s", label, line, msg);
	return DF_ECONFIG;
}

static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	if (v[0] < '0' || v[0] > '9') {
		return -1;
	}
	unsigned long n = strtoul(v, &end, 10);
	if (*end != '\0' || n < lo || n > hi) {
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
	} else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
	} else {
		return -1;
	}
	return 0;
}

static int set_str(char *dst, size_t size, const char *v, const char *label, int line,
		   const char *key, df_detail_t *d)
{
	if (strlen(v) >= size) {
		return bad(d, label, line, "%s: value too long", key);
	}
	memcpy(dst, v, strlen(v) + 1);
	return DF_OK;
}

static int global_key(zp_conf_t *c, const char *k, const char *v, const char *label, int line,
		      df_detail_t *d)
{
	if (strcmp(k, "listen") == 0) {
		return set_str(c->listen, sizeof(c->listen), v, label, line, k, d);
	}
	if (strcmp(k, "tls_cert") == 0) {
		return set_str(c->tls_cert, sizeof(c->tls_cert), v, label, line, k, d);
	}
	if (strcmp(k, "tls_key") == 0) {
		return set_str(c->tls_key, sizeof(c->tls_key), v, label, line, k, d);
	}
	if (strcmp(k, "user") == 0) {
		for (const char *p = v; *p != '\0'; p++) {
			if (*p == ':' || (unsigned char)*p <= ' ') {
				return bad(d, label, line,
					   "%s: no ':' or white space in a user name", k);
			}
		}
		return set_str(c->user, sizeof(c->user), v, label, line, k, d);
	}
	if (strcmp(k, "password_file") == 0) {
		return set_str(c->password_file, sizeof(c->password_file), v, label, line, k, d);
	}
	if (strcmp(k, "password") == 0) {
		return bad(d, label, line,
			   "%s: the password is not kept in this file: put it in a file private "
			   "to root or to us and name it with password_file",
			   k);
	}
	if (strcmp(k, "state_db") == 0) {
		return set_str(c->state_db, sizeof(c->state_db), v, label, line, k, d);
	}
	if (strcmp(k, "log_level") == 0) {
		if (strcmp(v, "error") != 0 && strcmp(v, "warn") != 0 && strcmp(v, "info") != 0 &&
		    strcmp(v, "debug") != 0) {
			return bad(d, label, line, "%s: one of error, warn, info, debug", k);
		}
		return set_str(c->log_level, sizeof(c->log_level), v, label, line, k, d);
	}
	if (strcmp(k, "heal_interval") == 0) {
		return parse_uint(v, 1, 86400 * 7, &c->heal_interval) == 0
			       ? DF_OK
			       : bad(d, label, line, "%s: seconds from 1 to 604800", k);
	}
	if (strcmp(k, "batch") == 0) {
		return parse_uint(v, 1, 10000, &c->batch) == 0
			       ? DF_OK
			       : bad(d, label, line, "%s: a count from 1 to 10000", k);
	}
	if (strcmp(k, "max_zone_bytes") == 0) {
		return parse_uint(v, 1024, 64 * 1024 * 1024, &c->max_body) == 0
			       ? DF_OK
			       : bad(d, label, line, "%s: bytes from 1024 to 67108864", k);
	}
	if (strcmp(k, "reconcile_interval") == 0) {
		return parse_uint(v, 0, 86400 * 7, &c->reconcile_interval) == 0
			       ? DF_OK
			       : bad(d, label, line, "%s: seconds from 0 (off) to 604800", k);
	}
	if (strcmp(k, "reconcile_dry_run") == 0) {
		return parse_bool(v, &c->reconcile_dry_run) == 0
			       ? DF_OK
			       : bad(d, label, line, "%s: yes or no", k);
	}
	if (strcmp(k, "cluster_owner") == 0) {
		return parse_bool(v, &c->cluster_owner) == 0
			       ? DF_OK
			       : bad(d, label, line, "%s: yes or no", k);
	}
	if (strcmp(k, "retry_schedule") == 0) {
		char buf[256];
		if (strlen(v) >= sizeof(buf)) {
			return bad(d, label, line, "%s: too long", k);
		}
		snprintf(buf, sizeof(buf), "%s", v);
		c->nschedule = 0;
		for (char *save = NULL, *t = strtok_r(buf, ",", &save); t != NULL;
		     t = strtok_r(NULL, ",", &save)) {
			if (c->nschedule == ZP_QUEUE_SCHEDULE_MAX ||
			    parse_uint(trim(t), 1, 86400, &c->schedule[c->nschedule]) != 0) {
				return bad(d, label, line,
					   "%s: up to 16 comma-separated delays in seconds (1 to "
					   "86400), e.g. 30,120,300,900,1800",
					   k);
			}
			c->nschedule++;
		}
		return c->nschedule > 0 ? DF_OK : bad(d, label, line, "%s: empty", k);
	}
	return bad(
		d, label, line,
		"unknown key \"%s\" (listen, tls_cert, tls_key, user, password_file, state_db, "
		"retry_schedule, heal_interval, cluster_owner, batch, max_zone_bytes, log_level, "
		"or a [backend NAME] section)",
		k);
}

int zp_conf_parse(zp_conf_t *c, const char *text, size_t len, const char *label, df_detail_t *d)
{
	defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", label);
	zp_backend_conf_t *cur = NULL;
	int line = 0;
	size_t i = 0;
	while (i < len) {
		line++;
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (text + i)) : len - i;
		char buf[1200];
		if (n >= sizeof(buf)) {
			return bad(d, label, line, "line longer than %s bytes", "1199");
		}
		memcpy(buf, text + i, n);
		buf[n] = '\0';
		i += n + 1;
		if (memchr(buf, '\0', n) != NULL) {
			return bad(d, label, line, "a NUL byte%s", "");
		}
		char *s = trim(buf);
		if (s[0] == '\0' || s[0] == '#') {
			continue;
		}
		if (s[0] == '[') {
			char name[300];
			size_t sl = strlen(s);
			bool master = false;
			if (s[sl - 1] == ']' &&
			    sscanf(s, "[master %299[A-Za-z0-9.-]]", name) == 1 &&
			    strlen("[master ") + strlen(name) + 1 == sl) {
				master = true;
				char norm[ZP_NAME_MAX], why[128];
				if (!zp_name_normalize(name, strlen(name), norm, why,
						       sizeof(why))) {
					return bad(d, label, line, "[master HOST]: %s", why);
				}
				snprintf(name, sizeof(name), "%s", norm);
			} else if (s[sl - 1] != ']' ||
				   sscanf(s, "[backend %63[A-Za-z0-9_-]]", name) != 1 ||
				   strlen("[backend ") + strlen(name) + 1 != sl) {
				return bad(d, label, line,
					   "expected a section [backend NAME] (NAME: letters, "
					   "digits, '_', '-', at most 63) or [master HOST]%s",
					   "");
			}
			zp_backend_conf_t *list = master ? c->masters : c->backends;
			size_t *count = master ? &c->nmasters : &c->nbackends;
			for (size_t b = 0; b < *count; b++) {
				if (strcmp(list[b].name, name) == 0) {
					return bad(d, label, line, "section %s defined twice",
						   name);
				}
			}
			if (*count == ZP_BACKENDS_MAX) {
				return bad(d, label, line, "more than %s sections of a kind", "16");
			}
			cur = &list[(*count)++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", name);
			cur->master = master;
			cur->enabled = true;
			cur->line = line;
			cur->file = c->path;
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			return bad(d, label, line, "expected key = value, got \"%.60s\"", s);
		}
		*eq = '\0';
		char *k = trim(s);
		char *v = trim(eq + 1);
		if (strlen(k) >= sizeof(cur->kv[0].key) || k[0] == '\0') {
			return bad(d, label, line, "bad key \"%.60s\"", k);
		}
		if (strlen(v) >= 2 && v[0] == '"' && v[strlen(v) - 1] == '"') {
			v[strlen(v) - 1] = '\0';
			v++;
		}
		int ret;
		if (cur == NULL) {
			ret = global_key(c, k, v, label, line, d);
		} else if (!cur->master && strcmp(k, "type") == 0) {
			ret = set_str(cur->type, sizeof(cur->type), v, label, line, k, d);
		} else if (!cur->master && strcmp(k, "enabled") == 0) {
			ret = parse_bool(v, &cur->enabled) == 0
				      ? DF_OK
				      : bad(d, label, line, "%s: yes or no", k);
		} else {
			for (size_t j = 0; j < cur->nkv; j++) {
				if (strcmp(cur->kv[j].key, k) == 0) {
					return bad(d, label, line, "%s set twice in this backend",
						   k);
				}
			}
			if (cur->nkv == ZP_KV_MAX || strlen(v) >= sizeof(cur->kv[0].value)) {
				return bad(d, label, line, "%s: too many keys or value too long",
					   k);
			}
			zp_kv_t *kv = &cur->kv[cur->nkv++];
			snprintf(kv->key, sizeof(kv->key), "%s", k);
			snprintf(kv->value, sizeof(kv->value), "%s", v);
			kv->line = line;
			ret = DF_OK;
		}
		if (ret != DF_OK) {
			return ret;
		}
	}
	if (c->user[0] == '\0') {
		df_detail_set(d, "%s: user is required (the user of DA's Extra DNS server entry)",
			      label);
		return DF_ECONFIG;
	}
	if (c->password_file[0] == '\0') {
		df_detail_set(d,
			      "%s: password_file is required (a file private to root or us "
			      "holding DA's password on its first line)",
			      label);
		return DF_ECONFIG;
	}
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
		df_detail_set(d, "%s: tls_cert and tls_key go together", label);
		return DF_ECONFIG;
	}
	size_t enabled = 0;
	for (size_t b = 0; b < c->nbackends; b++) {
		if (c->backends[b].type[0] == '\0') {
			df_detail_set(d,
				      "%s:%d: backend %s has no type (bind, knot, nsd, rfc2136 or "
				      "coredns_mysql)",
				      label, c->backends[b].line, c->backends[b].name);
			return DF_ECONFIG;
		}
		enabled += c->backends[b].enabled;
	}
	if (enabled == 0) {
		df_detail_set(d, "%s: no enabled backend: add a [backend NAME] section", label);
		return DF_ECONFIG;
	}
	return DF_OK;
}

int zp_conf_load(zp_conf_t *c, const char *path, df_detail_t *d)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		df_detail_set(d, "configuration file %s: %s", path, strerror(errno));
		return DF_ENOENT;
	}
	char *buf = malloc(1024 * 1024);
	if (buf == NULL) {
		fclose(f);
		return DF_ENOMEM;
	}
	size_t len = fread(buf, 1, 1024 * 1024, f);
	bool more = !feof(f);
	fclose(f);
	if (more) {
		free(buf);
		df_detail_set(d, "configuration file %s: larger than 1 MiB", path);
		return DF_ECONFIG;
	}
	int ret = zp_conf_parse(c, buf, len, path, d);
	free(buf);
	if (ret != DF_OK) {
		return ret;
	}
	int fd;
	ret = secret_file_open(c->password_file, "password file", "password_file", &fd, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "%s", path);
		return ret;
	}
	ssize_t n = read(fd, c->password, sizeof(c->password) - 1);
	close(fd);
	if (n < 0) {
		df_detail_set(d, "password file %s: %s", c->password_file, strerror(errno));
		return DF_EACCES;
	}
	c->password[n] = '\0';
	c->password[strcspn(c->password, "\r\n")] = '\0';
	if (c->password[0] == '\0') {
		df_detail_set(d, "password file %s: empty first line (password_file in %s)",
			      c->password_file, path);
		return DF_ECONFIG;
	}
	return DF_OK;
}

void zp_conf_deinit(zp_conf_t *c)
{
	explicit_bzero(c->password, sizeof(c->password));
}

const char *zp_kv_get(zp_backend_conf_t *b, const char *key, const char *def)
{
	for (size_t i = 0; i < b->nkv; i++) {
		if (strcmp(b->kv[i].key, key) == 0) {
			b->kv[i].used = true;
			return b->kv[i].value;
		}
	}
	return def;
}

int zp_kv_uint(zp_backend_conf_t *b, const char *key, unsigned def, unsigned lo, unsigned hi,
	       unsigned *out, df_detail_t *d)
{
	const char *v = zp_kv_get(b, key, NULL);
	if (v == NULL) {
		*out = def;
		return DF_OK;
	}
	if (parse_uint(v, lo, hi, out) != 0) {
		int line = 0;
		for (size_t i = 0; i < b->nkv; i++) {
			if (strcmp(b->kv[i].key, key) == 0) {
				line = b->kv[i].line;
			}
		}
		df_detail_set(d, "%s:%d: %s: a number from %u to %u", b->file, line, key, lo, hi);
		return DF_ECONFIG;
	}
	return DF_OK;
}

int zp_kv_check_unused(const zp_backend_conf_t *b, df_detail_t *d)
{
	for (size_t i = 0; i < b->nkv; i++) {
		if (!b->kv[i].used) {
			df_detail_set(d, "%s:%d: unknown key \"%s\" for backend %s (type %s)",
				      b->file, b->kv[i].line, b->kv[i].key, b->name, b->type);
			return DF_ECONFIG;
		}
	}
	return DF_OK;
}
