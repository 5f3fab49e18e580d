/*
 * AWS Signature Version 4 for requests signed in headers (the AWS
 * "Signature Version 4 signing process"), computed with OpenSSL's HMAC and
 * SHA-256 so that it can be checked against fixed-date vectors:
 *
 *   CanonicalRequest = METHOD \n URI \n QUERY \n HEADERS \n SIGNED \n hex(SHA256(body))
 *   StringToSign     = "AWS4-HMAC-SHA256" \n X-Amz-Date \n scope \n hex(SHA256(CanonicalRequest))
 *   kSigning         = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service), "aws4_request")
 *   Authorization    = AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=..., Signature=...
 *
 * The URI is normalized (dot segments and empty segments removed) and each
 * segment encoded (A-Z a-z 0-9 - _ . ~ kept; a '%' is encoded again, as
 * AWS does for every service but S3). Query names and values are decoded
 * and encoded the same way (space is %20), then sorted. Header names are
 * lower-cased, values trimmed with inner runs of spaces folded to one, and
 * a name given several times has its values joined with ',' in order.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

/* One header to sign (both strings borrowed). */
typedef struct sigv4_header {
	const char *name;
	const char *value;
} sigv4_header_t;

typedef struct sigv4_request {
	const char *method;	       /* "GET", "POST", ... */
	const char *path;	       /* as sent, without the query: "/2013-04-01/change/C1" */
	const char *query;	       /* after the '?', as sent; NULL or "" for none */
	const sigv4_header_t *headers; /* every header to sign, Host and X-Amz-Date included */
	size_t header_count;
	const void *body; /* NULL when body_len is 0 */
	size_t body_len;
} sigv4_request_t;

typedef struct sigv4_key {
	const char *access_key_id;
	const char *secret_access_key;
	const char *region;  /* "us-east-1" */
	const char *service; /* "route53" */
} sigv4_key_t;

/* Length of "20260115T120000Z" plus its NUL. */
#define SIGV4_DATE_SIZE 17

/* X-Amz-Date of unix time t (UTC) into out. DF_OK or DF_EINVAL (out of range). */
int sigv4_date(int64_t t, char out[SIGV4_DATE_SIZE]);

/*
 * The canonical request of req, malloc'd into *out (caller frees with
 * free()), and the SignedHeaders list into signed_headers (size bytes).
 * DF_OK, DF_EINVAL (a NULL, a header without name, a date-less request is
 * fine) or DF_ENOMEM / DF_ENOSPACE.
 */
int sigv4_canonical_request(const sigv4_request_t *req, char **out, char *signed_headers,
			    size_t size);

/*
 * The string to sign for a canonical request, malloc'd into *out (caller
 * frees with free()). amz_date is the X-Amz-Date value.
 */
int sigv4_string_to_sign(const sigv4_key_t *key, const char *amz_date, const char *creq,
			 char **out);

/* hex(HMAC(kSigning, sts)) into hex (65 bytes). */
int sigv4_signature(const sigv4_key_t *key, const char *amz_date, const char *sts, char hex[65]);

/*
 * The Authorization header value of req signed with key at amz_date (which
 * must also be the request's X-Amz-Date header) into out (size bytes).
 * DF_OK, DF_EINVAL, DF_ENOMEM or DF_ENOSPACE. Intermediate secrets are wiped.
 */
int sigv4_authorization(const sigv4_key_t *key, const char *amz_date, const sigv4_request_t *req,
			char *out, size_t size);

/* hex(SHA256(data)) into hex (65 bytes). */
void sigv4_sha256_hex(const void *data, size_t len, char hex[65]);
