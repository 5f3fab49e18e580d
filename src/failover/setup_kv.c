/*
 * KEY=VALUE lists of `dnsfailover setup` (setup_kv.h).
 */
#include "src/failover/setup_kv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/error.h"

#define KV_FILE_MAX (1024 * 1024)

void kv_wipe(kv_list_t *l)
{
	for (size_t i = 0; i < l->n; i++) {
		explicit_bzero(l->val[i], strlen(l->val[i]));
		free(l->key[i]);
		free(l->val[i]);
	}
	l->n = 0;
}

const char *kv_get(const kv_list_t *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->key[i], key) == 0) {
			return l->val[i];
		}
	}
	return NULL;
}

int kv_set(kv_list_t *l, const char *key, const char *val)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->key[i], key) == 0) {
			char *v = strdup(val);
			if (v == NULL) {
				return DF_ENOMEM;
			}
			explicit_bzero(l->val[i], strlen(l->val[i]));
			free(l->val[i]);
			l->val[i] = v;
			return DF_OK;
		}
	}
	if (l->n == KV_MAX) {
		return DF_ERANGE;
	}
	l->key[l->n] = strdup(key);
	l->val[l->n] = strdup(val);
	if (l->key[l->n] == NULL || l->val[l->n] == NULL) {
		free(l->key[l->n]);
		free(l->val[l->n]);
		return DF_ENOMEM;
	}
	l->n++;
	return DF_OK;
}

/* Removes the quotes, escapes or trailing comment as the config reader does. */
static void unquote(char *v)
{
	size_t len = strlen(v);
	if (len >= 2 && v[0] == '\'' && v[len - 1] == '\'') {
		memmove(v, v + 1, len - 2);
		v[len - 2] = '\0';
		return;
	}
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		size_t o = 0;
		for (size_t i = 1; i + 1 < len; i++) {
			if (v[i] == '\\' && i + 2 < len) {
				i++;
				v[o++] = v[i] == 'n' ? '\n' : v[i];
			} else {
				v[o++] = v[i];
			}
		}
		v[o] = '\0';
		return;
	}
	char *hash = strstr(v, " #");
	if (hash != NULL) {
		*hash = '\0';
	}
	len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t')) {
		v[--len] = '\0';
	}
}

static int parse_line(kv_list_t *l, char *p, const char *label, size_t lineno)
{
	size_t len = strlen(p);
	while (len > 0 && p[len - 1] == '\r') {
		p[--len] = '\0';
	}
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	if (*p == '\0' || *p == '#') {
		return DF_OK;
	}
	if (strncmp(p, "export ", 7) == 0) {
		p += 7;
	}
	char *eq = strchr(p, '=');
	if (eq == NULL) {
		fprintf(stderr, "dnsfailover setup: %s:%zu: expected KEY=VALUE\n", label, lineno);
		return DF_EINVAL;
	}
	*eq = '\0';
	unquote(eq + 1);
	int rc = kv_set(l, p, eq + 1);
	if (rc != DF_OK) {
		fprintf(stderr, "dnsfailover setup: %s:%zu: %s\n", label, lineno,
			rc == DF_ERANGE ? "too many keys" : df_strerror(rc));
	}
	return rc;
}

int kv_parse(kv_list_t *l, const char *text, size_t len, const char *label)
{
	int rc = DF_OK;
	size_t lineno = 0;
	for (size_t at = 0; at < len && rc == DF_OK;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - (text + at)) : len - at;
		char *line = strndup(text + at, n); /* stops at a NUL too */
		if (line == NULL) {
			return DF_ENOMEM;
		}
		rc = parse_line(l, line, label, ++lineno);
		explicit_bzero(line, strlen(line));
		free(line);
		at += n + 1;
	}
	return rc;
}

int kv_read(kv_list_t *l, const char *path, bool optional)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (optional && errno == ENOENT) {
			return DF_OK;
		}
		fprintf(stderr, "dnsfailover setup: cannot read %s: %s\n", path, strerror(errno));
		return -errno;
	}
	char *text = malloc(KV_FILE_MAX);
	if (text == NULL) {
		fclose(f);
		return DF_ENOMEM;
	}
	size_t len = fread(text, 1, KV_FILE_MAX, f);
	int rc = DF_OK;
	if (ferror(f) || len == KV_FILE_MAX) {
		fprintf(stderr, "dnsfailover setup: cannot read %s: %s\n", path,
			len == KV_FILE_MAX ? "larger than 1 MiB" : strerror(errno));
		rc = DF_EINVAL;
	}
	fclose(f);
	if (rc == DF_OK) {
		rc = kv_parse(l, text, len, path);
	}
	explicit_bzero(text, len);
	free(text);
	return rc;
}

void kv_put_value(FILE *f, const char *v)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789._:/@,+=-";
	if (v[strspn(v, safe)] == '\0') {
		fputs(v, f);
		return;
	}
	if (strchr(v, '\'') == NULL && strchr(v, '\n') == NULL) {
		fprintf(f, "'%s'", v);
		return;
	}
	fputc('"', f);
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else {
			fputc(*p, f);
		}
	}
	fputc('"', f);
}
