#include "src/http/http_reply.h"

#include <config.h> /* the build's, for PACKAGE_VERSION */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t http_reply_collect(char *data, size_t size, size_t nmemb, void *arg)
{
	http_reply_t *r = arg;
	size_t n = size * nmemb;

	if (r->len + n > HTTP_REPLY_MAX) {
		r->over = true;
		return 0;
	}
	char *p = realloc(r->buf, r->len + n + 1);
	if (p == NULL) {
		r->nomem = true;
		return 0;
	}
	memcpy(p + r->len, data, n);
	r->buf = p;
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

CURLcode http_reply_prepare(CURL *c, http_reply_t *r, char *errbuf, long connect_s, long timeout_s)
{
	CURLcode rc = CURLE_OK;
#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK) {                       \
			rc = curl_easy_setopt(c, opt, val); \
		}                                           \
	} while (0)
	SET(CURLOPT_USERAGENT, "dnsfailover-watch/" PACKAGE_VERSION);
	SET(CURLOPT_CONNECTTIMEOUT, connect_s);
	SET(CURLOPT_TIMEOUT, timeout_s);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_WRITEFUNCTION, http_reply_collect);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_FAILONERROR, 0L);
#undef SET
	return rc;
}

void http_reply_message(const http_reply_t *r, char *out, size_t size)
{
	json_t *root = NULL;
	const char *m = NULL;

	if (r->buf != NULL && r->len > 0) {
		root = json_loadb(r->buf, r->len, 0, NULL);
		m = json_string_value(json_object_get(root, "message"));
	}
	if (m != NULL && m[0] != '\0') {
		snprintf(out, size, "%s", m);
	} else if (r->buf == NULL || r->len == 0) {
		snprintf(out, size, "no message");
	} else {
		/* Not the API's JSON (a proxy in the way?): show its start. */
		snprintf(out, size, "unexpected body: %.120s", r->buf);
		for (char *p = out; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				*p = ' ';
			}
		}
	}
	json_decref(root);
}
