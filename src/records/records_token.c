#include "src/records/records_token.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/common/secret_file.h"

#define TOKEN_FILE_MAX (256 * 1024)

static bool parse_verbs(char *v, unsigned *out)
{
	*out = 0;
	for (char *save = NULL, *t = strtok_r(v, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "read") == 0) {
			*out |= REC_VERB_READ;
		} else if (strcmp(t, "write") == 0) {
			*out |= REC_VERB_WRITE;
		} else if (strcmp(t, "delete") == 0) {
			*out |= REC_VERB_DELETE;
		} else {
			return false;
		}
	}
	return *out != 0;
}

static int parse_line(rec_token_t *t, char *line, const char *where, df_detail_t *d)
{
	char *f[5];
	size_t n = 0;
	for (char *save = NULL, *w = strtok_r(line, " \t", &save); w != NULL && n < 5;
	     w = strtok_r(NULL, " \t", &save)) {
		f[n++] = w;
	}
	if (n != 4) {
		df_detail_set(d, "%s: expected \"NAME TOKEN ZONES VERBS\" (4 fields, %zu found)",
			      where, n);
		return DF_ECONFIG;
	}
	size_t nl = strlen(f[0]);
	bool name_ok = nl > 0 && nl < sizeof(t->name);
	for (size_t i = 0; name_ok && i < nl; i++) {
		name_ok = isalnum((unsigned char)f[0][i]) || strchr("-_.@", f[0][i]) != NULL;
	}
	if (!name_ok) {
		df_detail_set(d, "%s: the token name must be 1-63 of letters, digits, - _ . @",
			      where);
		return DF_ECONFIG;
	}
	snprintf(t->name, sizeof(t->name), "%s", f[0]);
	size_t sl = strlen(f[1]);
	if (sl < REC_TOKEN_LEN_MIN || sl > REC_TOKEN_LEN_MAX) {
		/* The token itself is never quoted. */
		df_detail_set(d,
			      "%s: token %s is %zu characters; it needs %d to %d (e.g. openssl "
			      "rand -hex 32)",
			      where, t->name, sl, REC_TOKEN_LEN_MIN, REC_TOKEN_LEN_MAX);
		return DF_ECONFIG;
	}
	memcpy(t->secret, f[1], sl + 1);
	t->secret_len = sl;
	t->nzones = 0;
	for (char *save = NULL, *z = strtok_r(f[2], ",", &save); z != NULL;
	     z = strtok_r(NULL, ",", &save)) {
		rec_error_t e;
		if (t->nzones >= REC_TOKEN_ZONES_MAX) {
			df_detail_set(d, "%s: token %s lists more than %d zones", where, t->name,
				      REC_TOKEN_ZONES_MAX);
			return DF_ECONFIG;
		}
		if (strcmp(z, "*") == 0) {
			snprintf(t->zones[t->nzones++], REC_NAME_MAX, "*");
			continue;
		}
		if (!rec_name_check(z, 0, t->zones[t->nzones], &e)) {
			df_detail_set(d, "%s: token %s: zone %s", where, t->name, e.msg);
			return DF_ECONFIG;
		}
		t->nzones++;
	}
	if (t->nzones == 0) {
		df_detail_set(d, "%s: token %s names no zone (a comma list of zones, or *)", where,
			      t->name);
		return DF_ECONFIG;
	}
	if (!parse_verbs(f[3], &t->verbs)) {
		df_detail_set(d, "%s: token %s: verbs are a comma list of read, write, delete",
			      where, t->name);
		return DF_ECONFIG;
	}
	return DF_OK;
}

int rec_tokens_parse(rec_tokens_t *ts, const char *text, size_t len, const char *label,
		     df_detail_t *d)
{
	memset(ts, 0, sizeof(*ts));
	size_t pos = 0;
	int lineno = 0;
	int ret = DF_OK;
	while (pos < len && ret == DF_OK) {
		char line[2048];
		char where[600];
		size_t end = pos;
		while (end < len && text[end] != '\n') {
			end++;
		}
		lineno++;
		snprintf(where, sizeof(where), "%s:%d", label, lineno);
		size_t n = end - pos;
		if (n >= sizeof(line) || memchr(text + pos, '\0', n) != NULL) {
			df_detail_set(d, "%s: line too long or holds a NUL byte", where);
			ret = DF_ECONFIG;
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos = end + 1;
		if (n > 0 && line[n - 1] == '\r') {
			line[n - 1] = '\0';
		}
		char *s = line;
		while (*s == ' ' || *s == '\t') {
			s++;
		}
		if (*s == '\0' || *s == '#') {
			explicit_bzero(line, sizeof(line));
			continue;
		}
		if (ts->n >= REC_TOKENS_MAX) {
			df_detail_set(d, "%s: more than %d tokens", where, REC_TOKENS_MAX);
			ret = DF_ECONFIG;
		} else {
			rec_token_t *t = &ts->t[ts->n];
			ret = parse_line(t, s, where, d);
			for (size_t i = 0; ret == DF_OK && i < ts->n; i++) {
				if (strcmp(ts->t[i].name, t->name) == 0) {
					df_detail_set(d, "%s: token name %s is used twice", where,
						      t->name);
					ret = DF_ECONFIG;
				}
			}
			t->index = ts->n;
			if (ret == DF_OK) {
				ts->n++;
			}
		}
		explicit_bzero(line, sizeof(line));
	}
	if (ret == DF_OK && ts->n == 0) {
		df_detail_set(d, "%s: no token: every request would be refused", label);
		ret = DF_ECONFIG;
	}
	if (ret != DF_OK) {
		rec_tokens_deinit(ts);
	}
	return ret;
}

int rec_tokens_load(rec_tokens_t *ts, const char *path, df_detail_t *d)
{
	int fd = -1;
	int ret = secret_file_open(path, "tokens file", "tokens_file", &fd, d);
	if (ret != DF_OK) {
		return ret;
	}
	char *buf = malloc(TOKEN_FILE_MAX);
	size_t n = 0;
	ssize_t r = 0;
	while (buf != NULL && n < TOKEN_FILE_MAX &&
	       (r = read(fd, buf + n, TOKEN_FILE_MAX - n)) > 0) {
		n += (size_t)r;
	}
	close(fd);
	if (buf == NULL || r < 0) {
		free(buf);
		df_detail_set(d, "tokens_file %s: cannot read it", path);
		return DF_EINVAL;
	}
	ret = rec_tokens_parse(ts, buf, n, path, d);
	explicit_bzero(buf, n);
	free(buf);
	return ret;
}

void rec_tokens_deinit(rec_tokens_t *ts)
{
	explicit_bzero(ts, sizeof(*ts));
}

/* Equal in time that depends on b_len only. */
static bool ct_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
	unsigned diff = a_len != b_len;
	for (size_t i = 0; i < b_len; i++) {
		unsigned char x = i < a_len ? (unsigned char)a[i] : 0;
		diff |= x ^ (unsigned char)b[i];
	}
	return diff == 0;
}

const rec_token_t *rec_tokens_find(const rec_tokens_t *ts, const char *presented, size_t len)
{
	const rec_token_t *found = NULL;
	for (size_t i = 0; i < ts->n; i++) {
		/* No early exit: every token is compared. */
		bool eq = ct_equal(presented, len, ts->t[i].secret, ts->t[i].secret_len);
		if (eq && found == NULL) {
			found = &ts->t[i];
		}
	}
	return found;
}

bool rec_token_allows(const rec_token_t *t, const char *zone, unsigned verb)
{
	if ((t->verbs & verb) == 0) {
		return false;
	}
	for (size_t i = 0; i < t->nzones; i++) {
		if (strcmp(t->zones[i], "*") == 0 ||
		    (zone != NULL && strcmp(t->zones[i], zone) == 0)) {
			return true;
		}
	}
	return false;
}

const char *rec_bearer(const char *header, size_t *len)
{
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0) {
		return NULL;
	}
	const char *p = header + 7;
	while (*p == ' ') {
		p++;
	}
	size_t n = strlen(p);
	while (n > 0 && p[n - 1] == ' ') {
		n--;
	}
	if (n == 0) {
		return NULL;
	}
	*len = n;
	return p;
}
