/*
 * The body of an HTTP answer collected by libcurl, capped, and the
 * "message" member that the Docker Engine API and the Kubernetes API both
 * put in their JSON error bodies. Shared by the watcher's REST backends.
 */
#pragma once

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#define HTTP_REPLY_MAX (1u << 20) /* API answers here are a few KiB at most */

typedef struct http_reply {
	long status;
	char *buf; /* NUL-terminated body, malloc'd; caller frees */
	size_t len;
	bool over;  /* the body passed HTTP_REPLY_MAX */
	bool nomem; /* realloc failed */
} http_reply_t;

/* libcurl CURLOPT_WRITEFUNCTION; CURLOPT_WRITEDATA is the http_reply_t. */
size_t http_reply_collect(char *data, size_t size, size_t nmemb, void *arg);

/*
 * Sets the options every watcher REST call shares on c: user agent, connect
 * and total timeouts, no signals, no redirects (they would carry a token
 * elsewhere), the body into r through http_reply_collect(), libcurl's error
 * text into errbuf (CURL_ERROR_SIZE), and no failure on HTTP errors (the
 * status and message are read by the caller).
 */
CURLcode http_reply_prepare(CURL *c, http_reply_t *r, char *errbuf, long connect_s, long timeout_s);

/* The body's "message", or a stand-in (never empty, control bytes blanked). */
void http_reply_message(const http_reply_t *r, char *out, size_t size);
