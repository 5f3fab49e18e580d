/*
 * The DirectAdmin "Extra DNS server" protocol (reference directadmin.md
 * section 1): what a request asks, read from its raw target and body,
 * every domain checked as a host name; the url-encoded replies; the Basic
 * credentials compared in constant time. Pure functions: no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZP_NAME_MAX    254 /* a host name (253) and its NUL */
#define ZP_USER_MAX    65
#define ZP_DOMAINS_MAX 1000 /* select0..select999 in one delete */
#define ZP_WHY_MAX     256

enum zp_action {
	ZP_ACT_NONE,	   /* a POST with no action and no body: connectivity check */
	ZP_ACT_LOGIN_TEST, /* GET /CMD_API_LOGIN_TEST */
	ZP_ACT_EXISTS,
	ZP_ACT_RAWSAVE,
	ZP_ACT_DELETE,
	ZP_ACT_METRICS, /* GET /metrics (ours, not DA's) */
};

typedef struct zp_request {
	enum zp_action action;
	char (*domains)[ZP_NAME_MAX]; /* lower case, no trailing dot, validated */
	size_t ndomains;
	char hostname[ZP_NAME_MAX]; /* DA's own host name, "" when absent */
	char username[ZP_USER_MAX]; /* "" when absent */
	bool named_reload;
	bool check_parent; /* check_for_parent_domain=true */
	const char *zone;  /* rawsave: the body, byte for byte (points into it) */
	size_t zone_len;
	unsigned status;      /* when parsing fails: 400 or 404 */
	char why[ZP_WHY_MAX]; /* when parsing fails: the reason, for text= */
} zp_request_t;

/*
 * Normalises a domain of len bytes (lower case, one trailing dot dropped)
 * into out and checks it as a host name: LDH labels of 1 to 63 bytes, no
 * hyphen at either end of a label, at most 253 bytes. Returns false with the
 * reason in why (wsize bytes) otherwise; out is then "".
 */
bool zp_name_normalize(const char *in, size_t len, char out[ZP_NAME_MAX], char *why, size_t wsize);

/*
 * Reads a request: method, raw target ("/CMD_API_DNS_ADMIN?action=..."),
 * body (len bytes). The query's action wins; otherwise the body is read as
 * a form whatever its Content-Type. Returns true when r describes a valid
 * request; false with r->status and r->why set. Call zp_request_free()
 * either way.
 */
bool zp_request_parse(const char *method, const char *target, const uint8_t *body, size_t len,
		      zp_request_t *r);
void zp_request_free(zp_request_t *r);

/*
 * Decodes one application/x-www-form-urlencoded value (%XX, '+') of len
 * bytes into out (osize bytes, NUL-terminated). Returns the decoded length,
 * or -1 when it does not fit, a %-escape is broken, or it decodes to a NUL.
 */
long zp_form_decode(const char *in, size_t len, char *out, size_t osize);

/*
 * Finds key in a form (a=b&c=d, len bytes) and decodes its value into out.
 * Returns the value's decoded length, -1 when absent, -2 when it cannot be
 * decoded or does not fit.
 */
long zp_form_get(const char *form, size_t len, const char *key, char *out, size_t osize);

/* Appends "&key=value" ("key=value" when buf is empty) with value
 * url-encoded, truncating safely; buf is size bytes, NUL-terminated. */
void zp_reply_add(char *buf, size_t size, const char *key, const char *value);

/*
 * Checks an Authorization header against user and password in constant
 * time (as far as the contents go): "Basic " then base64 of user:password.
 */
bool zp_auth_ok(const char *header, const char *user, const char *password);

/* Standard base64 of the string in, NUL-terminated into out (osize bytes,
 * truncated at a 4-byte group when it does not fit). */
void zp_b64_encode(const char *in, char *out, size_t osize);
