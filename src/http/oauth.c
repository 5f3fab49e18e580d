/*
 * OAuth 2.0 token answers and their cache (see oauth.h).
 */
#include "src/http/oauth.h"

#include <jansson.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/common/log.h"

#define MARGIN_MS (60 * 1000)

static void copy_escaped(char *buf, size_t size, json_t *v)
{
	buf[0] = '\0';
	if (json_is_string(v)) {
		log_escape(buf, size, json_string_value(v), json_string_length(v));
	}
}

int oauth_parse_token(const char *body, size_t len, long status, oauth_answer_t *out)
{
	memset(out, 0, sizeof(*out));
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	int ret = DF_EMALFORMED;
	if (!json_is_object(root)) {
		ret = status >= 500 || status == 429 ? DF_ENETWORK : DF_EMALFORMED;
		goto out;
	}
	json_t *err = json_object_get(root, "error");
	if (status < 200 || status >= 300 || err != NULL) {
		/* RFC 6749 5.2: a string; some servers nest {"code","message"}. */
		if (json_is_object(err)) {
			copy_escaped(out->error, sizeof(out->error),
				     json_object_get(err, "status"));
			copy_escaped(out->description, sizeof(out->description),
				     json_object_get(err, "message"));
		} else {
			copy_escaped(out->error, sizeof(out->error), err);
			copy_escaped(out->description, sizeof(out->description),
				     json_object_get(root, "error_description"));
		}
		if (status >= 500 || status == 429) {
			ret = DF_ENETWORK;
		} else if (out->error[0] != '\0' || status == 400 || status == 401 ||
			   status == 403) {
			ret = DF_EACCES;
		}
		goto out;
	}
	json_t *tok = json_object_get(root, "access_token");
	json_t *type = json_object_get(root, "token_type");
	json_t *exp = json_object_get(root, "expires_in");
	if (!json_is_string(tok) || json_string_length(tok) == 0 ||
	    json_string_length(tok) >= sizeof(out->access) ||
	    strpbrk(json_string_value(tok), "\r\n") != NULL ||
	    memchr(json_string_value(tok), '\0', json_string_length(tok)) != NULL) {
		goto out;
	}
	if (type != NULL &&
	    (!json_is_string(type) || strcasecmp(json_string_value(type), "Bearer") != 0)) {
		goto out;
	}
	int64_t secs = -1;
	if (json_is_integer(exp)) {
		secs = (int64_t)json_integer_value(exp);
	} else if (json_is_string(exp) && json_string_length(exp) > 0 &&
		   json_string_length(exp) < 10 &&
		   strspn(json_string_value(exp), "0123456789") == json_string_length(exp)) {
		secs = strtoll(json_string_value(exp), NULL, 10);
	}
	if (secs <= 0 || secs > 366 * 86400) {
		goto out;
	}
	memcpy(out->access, json_string_value(tok), json_string_length(tok) + 1);
	out->expires_in = secs;
	ret = DF_OK;
out:
	json_decref(root);
	return ret;
}

bool oauth_token_usable(const oauth_token_t *t, int64_t now_ms)
{
	return t->access[0] != '\0' && now_ms < t->expires_mono_ms;
}

void oauth_token_keep(oauth_token_t *t, const oauth_answer_t *a, int64_t now_ms)
{
	int64_t life = a->expires_in * 1000;
	int64_t margin = life < 2 * MARGIN_MS ? life / 2 : MARGIN_MS;
	snprintf(t->access, sizeof(t->access), "%s", a->access);
	t->expires_mono_ms = now_ms + life - margin;
	t->fetched++;
}

void oauth_token_drop(oauth_token_t *t)
{
	explicit_bzero(t->access, sizeof(t->access));
	t->expires_mono_ms = 0;
}

static bool form_safe(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static size_t form_escape(const char *s, char *out, size_t size, size_t used)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (used + 4 > size) {
			return SIZE_MAX;
		}
		if (form_safe(*p)) {
			out[used++] = (char)*p;
		} else {
			out[used++] = '%';
			out[used++] = hex[*p >> 4];
			out[used++] = hex[*p & 15];
		}
	}
	return used;
}

int oauth_form_add(char *buf, size_t size, const char *name, const char *value)
{
	size_t start = strlen(buf), used = start;
	if (used > 0) {
		if (used + 2 > size) {
			return DF_ENOSPACE;
		}
		buf[used++] = '&';
	}
	used = form_escape(name, buf, size, used);
	if (used != SIZE_MAX && used + 2 <= size) {
		buf[used++] = '=';
		used = form_escape(value, buf, size, used);
	} else {
		used = SIZE_MAX;
	}
	if (used == SIZE_MAX || used >= size) {
		explicit_bzero(buf + start, size - start);
		return DF_ENOSPACE;
	}
	buf[used] = '\0';
	return DF_OK;
}
