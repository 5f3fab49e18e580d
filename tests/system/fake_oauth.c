/*
 * Bearer tokens and request helpers of the OAuth 2.0 fakes (see fake_oauth.h).
 */
#include "tests/system/fake_oauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKENS_MAX 256

static struct {
	char token[96];
	time_t exp;
} tokens[TOKENS_MAX];
static long token_life = 3599;
static unsigned long issued;

void fo_token_lifetime(long seconds)
{
	token_life = seconds;
}

const char *fo_token_issue(const char *prefix, long *expires_in)
{
	time_t now = time(NULL);
	unsigned slot = (unsigned)(issued++ % TOKENS_MAX);
	snprintf(tokens[slot].token, sizeof(tokens[slot].token), "%s-%lu-%ld", prefix, issued,
		 (long)now);
	tokens[slot].exp = now + token_life;
	*expires_in = token_life;
	return tokens[slot].token;
}

fo_token_state_t fo_token_check(const fh_request_t *r)
{
	const char *auth = fo_header(r, "Authorization");
	if (auth == NULL) {
		return FO_TOKEN_NONE;
	}
	if (strncmp(auth, "Bearer ", 7) != 0) {
		return FO_TOKEN_UNKNOWN;
	}
	for (unsigned i = 0; i < TOKENS_MAX; i++) {
		if (tokens[i].token[0] != '\0' && strcmp(tokens[i].token, auth + 7) == 0) {
			return time(NULL) < tokens[i].exp ? FO_TOKEN_OK : FO_TOKEN_EXPIRED;
		}
	}
	return FO_TOKEN_UNKNOWN;
}

bool fo_token_page(const fh_request_t *r, MHD_RESULT *ret)
{
	if (strcmp(r->url, "/__fake/expires") == 0 && fo_arg(r, "s") != NULL) {
		token_life = atol(fo_arg(r, "s"));
	} else if (strcmp(r->url, "/__fake/revoke") == 0) {
		memset(tokens, 0, sizeof(tokens));
	} else {
		return false;
	}
	*ret = fh_send_json(r->c, 200, json_object());
	return true;
}

void fo_token_stats(json_t *stats)
{
	json_object_set_new(stats, "tokens", json_integer((json_int_t)issued));
}

const char *fo_header(const fh_request_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *fo_arg(const fh_request_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

bool fo_form_value(const char *body, const char *name, char *buf, size_t size)
{
	size_t nl = strlen(name);
	for (const char *p = body; p != NULL && *p != '\0';) {
		const char *end = strchr(p, '&');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t o = 0;
			for (size_t i = nl + 1; i < len && o + 1 < size; i++) {
				if (p[i] == '%' && i + 2 < len && hexval(p[i + 1]) >= 0 &&
				    hexval(p[i + 2]) >= 0) {
					buf[o++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
					i += 2;
				} else {
					buf[o++] = p[i] == '+' ? ' ' : p[i];
				}
			}
			buf[o] = '\0';
			return true;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

MHD_RESULT fo_send_written(const fh_request_t *r, unsigned status, json_t *body)
{
	fh_lose_answer = strcmp(r->mode, "apply-500") == 0;
	MHD_RESULT ret = fh_send_json(r->c, status, body);
	fh_lose_answer = false;
	return ret;
}
