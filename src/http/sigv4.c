#include "src/http/sigv4.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "src/common/strbuf.h"

#define MAX_HEADERS 32
#define MAX_PARAMS  64

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* Appends s[0..n) with every byte but the unreserved ones as %XX. */
static void sb_encode(strbuf_t *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c)) {
			strbuf_add(b, (const char *)&c, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			strbuf_add(b, e, 3);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends the percent-decoded s[0..n), then encoded: one canonical form for a query part. */
static void sb_reencode(strbuf_t *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		sb_encode(b, &c, 1);
	}
}

void sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data != NULL ? data : "", len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++) {
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	}
	hex[64] = '\0';
}

int sigv4_date(int64_t t, char out[SIGV4_DATE_SIZE])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t < 0 || gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999) {
		return DF_EINVAL;
	}
	strftime(out, SIGV4_DATE_SIZE, "%Y%m%dT%H%M%SZ", &tm);
	return DF_OK;
}

/* The path, normalized (RFC 3986 dot segments, empty segments dropped) and encoded. */
static void canonical_uri(strbuf_t *b, const char *path)
{
	const char *segs[64];
	size_t lens[64];
	size_t n = 0;
	const char *p = path != NULL ? path : "";
	size_t plen = strlen(p);
	bool trailing = plen > 0 && p[plen - 1] == '/';
	while (*p != '\0') {
		while (*p == '/') {
			p++;
		}
		const char *s = p;
		while (*p != '\0' && *p != '/') {
			p++;
		}
		size_t len = (size_t)(p - s);
		if (len == 0 || (len == 1 && s[0] == '.')) {
			if (*p == '\0' && len == 1) {
				trailing = true;
			}
			continue;
		}
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (n > 0) {
				n--;
			}
			if (*p == '\0') {
				trailing = true;
			}
			continue;
		}
		if (n < sizeof(segs) / sizeof(segs[0])) {
			segs[n] = s;
			lens[n] = len;
			n++;
		}
	}
	strbuf_add(b, "/", 1);
	for (size_t i = 0; i < n; i++) {
		sb_encode(b, segs[i], lens[i]);
		if (i + 1 < n || trailing) {
			strbuf_add(b, "/", 1);
		}
	}
}

typedef struct param {
	char *enc; /* "name=value", both encoded */
	size_t name_len;
} param_t;

static int param_cmp(const void *a, const void *b)
{
	const param_t *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->enc, y->enc, n);
	if (c != 0) {
		return c;
	}
	if (x->name_len != y->name_len) {
		return x->name_len < y->name_len ? -1 : 1;
	}
	return strcmp(x->enc + x->name_len, y->enc + y->name_len);
}

static int canonical_query(strbuf_t *b, const char *q)
{
	param_t params[MAX_PARAMS];
	size_t n = 0;
	int ret = DF_OK;
	const char *p = q != NULL ? q : "";
	while (*p != '\0') {
		const char *s = p;
		while (*p != '\0' && *p != '&') {
			p++;
		}
		const char *e = p;
		if (*p == '&') {
			p++;
		}
		if (e == s) {
			continue;
		}
		if (n == MAX_PARAMS) {
			ret = DF_ENOSPACE;
			goto out;
		}
		const char *eq = memchr(s, '=', (size_t)(e - s));
		strbuf_t one = {0};
		sb_reencode(&one, s, (size_t)((eq != NULL ? eq : e) - s));
		size_t name_len = one.len;
		strbuf_add(&one, "=", 1);
		if (eq != NULL) {
			sb_reencode(&one, eq + 1, (size_t)(e - eq - 1));
		}
		if (one.failed) {
			ret = DF_ENOMEM;
			goto out;
		}
		params[n].enc = one.s;
		params[n].name_len = name_len;
		n++;
	}
	qsort(params, n, sizeof(params[0]), param_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0) {
			strbuf_add(b, "&", 1);
		}
		strbuf_str(b, params[i].enc);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(params[i].enc);
	}
	return ret;
}

typedef struct hdr {
	char name[64];
	size_t order;
	const char *value;
} hdr_t;

static int hdr_cmp(const void *a, const void *b)
{
	const hdr_t *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c != 0) {
		return c;
	}
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Appends v trimmed, with inner runs of spaces and tabs folded to one space. */
static void sb_trimmed(strbuf_t *b, const char *v)
{
	while (*v == ' ' || *v == '\t') {
		v++;
	}
	bool space = false;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t') {
			space = true;
			continue;
		}
		if (space) {
			strbuf_add(b, " ", 1);
			space = false;
		}
		strbuf_add(b, v, 1);
	}
}

int sigv4_canonical_request(const sigv4_request_t *req, char **out, char *signed_headers,
			    size_t size)
{
	if (req == NULL || out == NULL || req->method == NULL || signed_headers == NULL ||
	    size == 0 || req->header_count > MAX_HEADERS ||
	    (req->header_count > 0 && req->headers == NULL)) {
		return DF_EINVAL;
	}
	hdr_t h[MAX_HEADERS];
	for (size_t i = 0; i < req->header_count; i++) {
		const char *name = req->headers[i].name;
		if (name == NULL || name[0] == '\0' || req->headers[i].value == NULL ||
		    strlen(name) >= sizeof(h[i].name)) {
			return DF_EINVAL;
		}
		for (size_t j = 0; name[j] != '\0'; j++) {
			h[i].name[j] = (char)tolower((unsigned char)name[j]);
			h[i].name[j + 1] = '\0';
		}
		h[i].order = i;
		h[i].value = req->headers[i].value;
	}
	qsort(h, req->header_count, sizeof(h[0]), hdr_cmp);

	strbuf_t b = {0};
	strbuf_t sh = {0};
	strbuf_str(&b, req->method);
	strbuf_add(&b, "\n", 1);
	canonical_uri(&b, req->path);
	strbuf_add(&b, "\n", 1);
	int ret = canonical_query(&b, req->query);
	if (ret != DF_OK) {
		goto out;
	}
	strbuf_add(&b, "\n", 1);
	for (size_t i = 0; i < req->header_count; i++) {
		bool again = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
		if (again) {
			strbuf_add(&b, ",", 1);
		} else {
			if (i > 0) {
				strbuf_add(&b, "\n", 1);
				strbuf_add(&sh, ";", 1);
			}
			strbuf_str(&b, h[i].name);
			strbuf_add(&b, ":", 1);
			strbuf_str(&sh, h[i].name);
		}
		sb_trimmed(&b, h[i].value);
	}
	if (req->header_count > 0) {
		strbuf_add(&b, "\n", 1);
	}
	strbuf_add(&b, "\n", 1);
	strbuf_str(&sh, "");
	if (sh.failed || b.failed) {
		ret = DF_ENOMEM;
		goto out;
	}
	strbuf_str(&b, sh.s != NULL ? sh.s : "");
	strbuf_add(&b, "\n", 1);
	char hex[65];
	sigv4_sha256_hex(req->body, req->body_len, hex);
	strbuf_str(&b, hex);
	if (b.failed) {
		ret = DF_ENOMEM;
		goto out;
	}
	if (strlen(sh.s != NULL ? sh.s : "") >= size) {
		ret = DF_ENOSPACE;
		goto out;
	}
	strcpy(signed_headers, sh.s != NULL ? sh.s : "");
	*out = b.s;
	b.s = NULL;
out:
	free(b.s);
	free(sh.s);
	return ret;
}

static bool key_usable(const sigv4_key_t *key)
{
	return key != NULL && key->access_key_id != NULL && key->secret_access_key != NULL &&
	       key->region != NULL && key->service != NULL;
}

/* "20260115/us-east-1/route53/aws4_request" into buf. */
static int scope(const sigv4_key_t *key, const char *amz_date, char *buf, size_t size)
{
	if (strlen(amz_date) != SIGV4_DATE_SIZE - 1) {
		return DF_EINVAL;
	}
	int n = snprintf(buf, size, "%.8s/%s/%s/aws4_request", amz_date, key->region, key->service);
	return n < 0 || (size_t)n >= size ? DF_ENOSPACE : DF_OK;
}

int sigv4_string_to_sign(const sigv4_key_t *key, const char *amz_date, const char *creq, char **out)
{
	if (!key_usable(key) || amz_date == NULL || creq == NULL || out == NULL) {
		return DF_EINVAL;
	}
	char sc[256];
	int ret = scope(key, amz_date, sc, sizeof(sc));
	if (ret != DF_OK) {
		return ret;
	}
	char hex[65];
	sigv4_sha256_hex(creq, strlen(creq), hex);
	strbuf_t b = {0};
	strbuf_str(&b, "AWS4-HMAC-SHA256\n");
	strbuf_str(&b, amz_date);
	strbuf_add(&b, "\n", 1);
	strbuf_str(&b, sc);
	strbuf_add(&b, "\n", 1);
	strbuf_str(&b, hex);
	char *sts = strbuf_take(&b);
	if (sts == NULL) {
		return DF_ENOMEM;
	}
	*out = sts;
	return DF_OK;
}

static bool hmac(const unsigned char *key, size_t klen, const char *data, unsigned char out[32])
{
	unsigned int len = 0;
	return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)data, strlen(data), out,
		    &len) != NULL &&
	       len == 32;
}

int sigv4_signature(const sigv4_key_t *key, const char *amz_date, const char *sts, char hex[65])
{
	if (!key_usable(key) || amz_date == NULL || sts == NULL || hex == NULL ||
	    strlen(amz_date) != SIGV4_DATE_SIZE - 1) {
		return DF_EINVAL;
	}
	int ret = DF_ENOMEM;
	size_t slen = strlen(key->secret_access_key);
	unsigned char *k0 = malloc(slen + 4);
	unsigned char k[32], sig[32];
	char date[9];
	if (k0 == NULL) {
		return DF_ENOMEM;
	}
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, key->secret_access_key, slen);
	memcpy(date, amz_date, 8);
	date[8] = '\0';
	if (!hmac(k0, slen + 4, date, k) || !hmac(k, 32, key->region, k) ||
	    !hmac(k, 32, key->service, k) || !hmac(k, 32, "aws4_request", k) ||
	    !hmac(k, 32, sts, sig)) {
		goto out;
	}
	for (unsigned i = 0; i < 32; i++) {
		snprintf(hex + 2 * i, 3, "%02x", sig[i]);
	}
	ret = DF_OK;
out:
	OPENSSL_cleanse(k0, slen + 4);
	OPENSSL_cleanse(k, sizeof(k));
	free(k0);
	return ret;
}

int sigv4_authorization(const sigv4_key_t *key, const char *amz_date, const sigv4_request_t *req,
			char *out, size_t size)
{
	if (!key_usable(key) || amz_date == NULL || req == NULL || out == NULL) {
		return DF_EINVAL;
	}
	char *creq = NULL, *sts = NULL;
	char sh[512], sc[256], sig[65];
	int ret = sigv4_canonical_request(req, &creq, sh, sizeof(sh));
	if (ret == DF_OK) {
		ret = sigv4_string_to_sign(key, amz_date, creq, &sts);
	}
	if (ret == DF_OK) {
		ret = sigv4_signature(key, amz_date, sts, sig);
	}
	if (ret == DF_OK) {
		ret = scope(key, amz_date, sc, sizeof(sc));
	}
	if (ret == DF_OK) {
		int n = snprintf(out, size,
				 "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
				 "Signature=%s",
				 key->access_key_id, sc, sh, sig);
		ret = n < 0 || (size_t)n >= size ? DF_ENOSPACE : DF_OK;
	}
	free(creq);
	free(sts);
	return ret;
}
