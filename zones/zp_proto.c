/*
 * The DirectAdmin request reader. Nothing here trusts the client: every
 * value is bounded, decoded once, and every domain validated as a host name
 * before the daemon uses it in a path, a query or a file.
 */
#include "zones/zp_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CMD_LOGIN "/CMD_API_LOGIN_TEST"
#define CMD_DNS	  "/CMD_API_DNS_ADMIN"
#define AUTH_MAX  1024

static bool fail(zp_request_t *r, unsigned status, const char *fmt, const char *arg)
{
	r->status = status;
	snprintf(r->why, sizeof(r->why), fmt, arg);
	return false;
}

bool zp_name_normalize(const char *in, size_t len, char out[ZP_NAME_MAX], char *why, size_t wsize)
{
	out[0] = '\0';
	if (len > 0 && in[len - 1] == '.') {
		len--;
	}
	if (len == 0) {
		snprintf(why, wsize, "empty domain");
		return false;
	}
	if (len > ZP_NAME_MAX - 1) {
		snprintf(why, wsize, "domain longer than %d bytes", ZP_NAME_MAX - 1);
		return false;
	}
	size_t label = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? in[i] : '.';
		if (c == '.') {
			if (label == 0) {
				snprintf(why, wsize, "empty label in domain");
				return false;
			}
			if (label > 63) {
				snprintf(why, wsize, "label longer than 63 bytes in domain");
				return false;
			}
			if (in[i - 1] == '-' || in[i - label] == '-') {
				snprintf(why, wsize, "label starting or ending with '-' in domain");
				return false;
			}
			label = 0;
			continue;
		}
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-';
		if (!ok) {
			snprintf(why, wsize,
				 "invalid character (byte 0x%02x) in domain: only letters, digits, "
				 "'-' and '.' are allowed",
				 (unsigned char)c);
			return false;
		}
		label++;
	}
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[len] = '\0';
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

long zp_form_decode(const char *in, size_t len, char *out, size_t osize)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= len) {
				return -1;
			}
			int hi = hexval(in[i + 1]);
			int lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0) {
				return -1;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= osize) {
			return -1;
		}
		out[o++] = c;
	}
	if (osize == 0) {
		return -1;
	}
	out[o] = '\0';
	return (long)o;
}

long zp_form_get(const char *form, size_t len, const char *key, char *out, size_t osize)
{
	size_t klen = strlen(key);
	size_t i = 0;
	while (i < len) {
		const char *pair = form + i;
		const char *amp = memchr(pair, '&', len - i);
		size_t plen = amp != NULL ? (size_t)(amp - pair) : len - i;
		const char *eq = memchr(pair, '=', plen);
		size_t nlen = eq != NULL ? (size_t)(eq - pair) : plen;
		char name[64];
		long n = nlen < sizeof(name) ? zp_form_decode(pair, nlen, name, sizeof(name)) : -1;
		if (n == (long)klen && memcmp(name, key, klen) == 0) {
			if (eq == NULL) {
				if (osize == 0) {
					return -2;
				}
				out[0] = '\0';
				return 0;
			}
			long v = zp_form_decode(eq + 1, plen - nlen - 1, out, osize);
			return v < 0 ? -2 : v;
		}
		i += plen + 1;
	}
	return -1;
}

void zp_reply_add(char *buf, size_t size, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(buf);
	/* A pair that does not fit whole is left out rather than cut. */
	char pair[768];
	size_t p = 0;
	if (o > 0) {
		pair[p++] = '&';
	}
	for (const char *k = key; *k != '\0' && p + 1 < sizeof(pair); k++) {
		pair[p++] = *k;
	}
	if (p + 1 < sizeof(pair)) {
		pair[p++] = '=';
	}
	for (const unsigned char *v = (const unsigned char *)value; *v != '\0'; v++) {
		if (p + 4 >= sizeof(pair)) {
			break;
		}
		unsigned char c = *v;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			pair[p++] = (char)c;
		} else if (c == ' ') {
			pair[p++] = '+';
		} else {
			pair[p++] = '%';
			pair[p++] = hex[c >> 4];
			pair[p++] = hex[c & 15];
		}
	}
	if (o + p + 1 > size) {
		return;
	}
	memcpy(buf + o, pair, p);
	buf[o + p] = '\0';
}

/* A value of form (len bytes) as a validated domain; false sets r. */
static bool get_domain(const char *form, size_t len, const char *key, char out[ZP_NAME_MAX],
		       zp_request_t *r, bool *present)
{
	char raw[512];
	long n = zp_form_get(form, len, key, raw, sizeof(raw));
	*present = n != -1;
	if (n == -1) {
		return true;
	}
	char why[160];
	if (n == -2) {
		return fail(r, 400, "%s: cannot be decoded (a bad %%-escape, a NUL or too long)",
			    key);
	}
	if (!zp_name_normalize(raw, (size_t)n, out, why, sizeof(why))) {
		char msg[200];
		snprintf(msg, sizeof(msg), "%s: %s", key, why);
		return fail(r, 400, "%s", msg);
	}
	return true;
}

static bool add_domain(zp_request_t *r, const char *name)
{
	for (size_t i = 0; i < r->ndomains; i++) {
		if (strcmp(r->domains[i], name) == 0) {
			return true;
		}
	}
	if (r->ndomains >= ZP_DOMAINS_MAX) {
		return fail(r, 400, "more than %s domains in one request", "1000");
	}
	if (r->domains == NULL) {
		r->domains = calloc(ZP_DOMAINS_MAX, sizeof(*r->domains));
		if (r->domains == NULL) {
			return fail(r, 500, "%s", "out of memory");
		}
	}
	memcpy(r->domains[r->ndomains++], name, ZP_NAME_MAX);
	return true;
}

static bool get_common(const char *form, size_t len, zp_request_t *r)
{
	bool present;
	if (!get_domain(form, len, "hostname", r->hostname, r, &present)) {
		return false;
	}
	char user[ZP_USER_MAX];
	long n = zp_form_get(form, len, "username", user, sizeof(user));
	if (n == -2) {
		return fail(r, 400, "%s", "username: cannot be decoded or longer than 64 bytes");
	}
	if (n >= 0) {
		for (long i = 0; i < n; i++) {
			char c = user[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')) {
				return fail(r, 400, "%s",
					    "username: only letters, digits, '_', '-' and '.'");
			}
		}
		memcpy(r->username, user, (size_t)n + 1);
	}
	char v[16];
	r->named_reload =
		zp_form_get(form, len, "named_reload", v, sizeof(v)) >= 0 && strcmp(v, "yes") == 0;
	r->check_parent = zp_form_get(form, len, "check_for_parent_domain", v, sizeof(v)) >= 0 &&
			  (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0);
	return true;
}

static bool get_deletes(const char *form, size_t len, zp_request_t *r)
{
	char name[ZP_NAME_MAX];
	bool present;
	for (unsigned i = 0; i < ZP_DOMAINS_MAX + 1; i++) {
		char key[32];
		snprintf(key, sizeof(key), "select%u", i);
		if (!get_domain(form, len, key, name, r, &present)) {
			return false;
		}
		if (!present) {
			break;
		}
		if (!add_domain(r, name)) {
			return false;
		}
	}
	if (!get_domain(form, len, "domain", name, r, &present)) {
		return false;
	}
	return !present || add_domain(r, name);
}

bool zp_request_parse(const char *method, const char *target, const uint8_t *body, size_t len,
		      zp_request_t *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	if (method == NULL || target == NULL) {
		return fail(r, 400, "%s", "no request");
	}
	const char *q = strchr(target, '?');
	size_t plen = q != NULL ? (size_t)(q - target) : strlen(target);
	const char *query = q != NULL ? q + 1 : "";
	size_t qlen = strlen(query);
	const char *form = (const char *)body;
	bool post = strcmp(method, "POST") == 0;

	if (plen == strlen(CMD_LOGIN) && memcmp(target, CMD_LOGIN, plen) == 0) {
		r->action = ZP_ACT_LOGIN_TEST;
		return true;
	}
	if (plen == 8 && memcmp(target, "/metrics", 8) == 0 && !post) {
		r->action = ZP_ACT_METRICS;
		return true;
	}
	if (plen != strlen(CMD_DNS) || memcmp(target, CMD_DNS, plen) != 0) {
		return fail(r, 404, "%s",
			    "unknown command: this server answers CMD_API_LOGIN_TEST and "
			    "CMD_API_DNS_ADMIN");
	}
	char action[32];
	const char *params = query;
	size_t params_len = qlen;
	long n = zp_form_get(query, qlen, "action", action, sizeof(action));
	bool in_query = n >= 0;
	if (!in_query && post) {
		/* Whatever the Content-Type (DA sends none): the body is a form. */
		params = form;
		params_len = len;
		n = zp_form_get(form, len, "action", action, sizeof(action));
		if (n == -1 && len == 0) {
			r->action = ZP_ACT_NONE;
			return true;
		}
	}
	if (n < 0) {
		return fail(r, 400, "%s", "missing action (exists, rawsave or delete)");
	}
	if (!get_common(params, params_len, r)) {
		return false;
	}
	bool present;
	char name[ZP_NAME_MAX];
	if (strcmp(action, "exists") == 0 || strcmp(action, "rawsave") == 0) {
		r->action = action[0] == 'e' ? ZP_ACT_EXISTS : ZP_ACT_RAWSAVE;
		if (!get_domain(params, params_len, "domain", name, r, &present)) {
			return false;
		}
		if (!present) {
			return fail(r, 400, "%s", "missing domain");
		}
		if (!add_domain(r, name)) {
			return false;
		}
		if (r->action == ZP_ACT_RAWSAVE) {
			if (!in_query) {
				return fail(r, 400, "%s",
					    "rawsave: the parameters belong in the query and the "
					    "zone in the body");
			}
			if (len == 0) {
				return fail(r, 400, "%s", "rawsave: empty zone");
			}
			r->zone = form;
			r->zone_len = len;
		}
		return true;
	}
	if (strcmp(action, "delete") == 0) {
		r->action = ZP_ACT_DELETE;
		if (!get_deletes(params, params_len, r)) {
			return false;
		}
		if (r->ndomains == 0 && in_query && post) {
			/* action in the query, the domains in the body */
			if (!get_common(form, len, r) || !get_deletes(form, len, r)) {
				return false;
			}
		}
		if (r->ndomains == 0) {
			return fail(r, 400, "%s", "delete: no domain (select0=..., or domain=...)");
		}
		return true;
	}
	char shown[ZP_WHY_MAX / 2];
	size_t k = 0;
	for (const char *p = action; *p != '\0' && k + 1 < sizeof(shown); p++) {
		shown[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	}
	shown[k] = '\0';
	return fail(r, 400, "unknown action \"%s\" (exists, rawsave or delete)", shown);
}

void zp_request_free(zp_request_t *r)
{
	if (r != NULL) {
		free(r->domains);
		r->domains = NULL;
		r->ndomains = 0;
	}
}

/* Standard base64 (with padding) of in into out; -1 when invalid or too long. */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t osize)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0, pad = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;
		if (c >= 'A' && c <= 'Z') {
			v = c - 'A';
		} else if (c >= 'a' && c <= 'z') {
			v = c - 'a' + 26;
		} else if (c >= '0' && c <= '9') {
			v = c - '0' + 52;
		} else if (c == '+') {
			v = 62;
		} else if (c == '/') {
			v = 63;
		} else if (c == '=') {
			pad++;
			continue;
		} else {
			return -1;
		}
		if (pad > 0) {
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= osize) {
				return -1;
			}
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (pad > 2 || (len % 4) != 0) {
		return -1;
	}
	return (int)o;
}

bool zp_auth_ok(const char *header, const char *user, const char *password)
{
	if (header == NULL || user == NULL || password == NULL) {
		return false;
	}
	if (strncasecmp(header, "Basic ", 6) != 0) {
		return false;
	}
	const char *b64 = header + 6;
	while (*b64 == ' ') {
		b64++;
	}
	size_t blen = strlen(b64);
	while (blen > 0 && b64[blen - 1] == ' ') {
		blen--;
	}
	if (blen == 0 || blen > AUTH_MAX) {
		return false;
	}
	uint8_t got[AUTH_MAX];
	int glen = b64_decode(b64, blen, got, sizeof(got));
	char want[2 * ZP_USER_MAX + AUTH_MAX];
	int wlen = snprintf(want, sizeof(want), "%s:%s", user, password);
	if (glen < 0 || wlen < 0 || (size_t)wlen >= sizeof(want)) {
		explicit_bzero(got, sizeof(got));
		explicit_bzero(want, sizeof(want));
		return false;
	}
	/* Every byte of what we expect is compared, whatever came. */
	unsigned diff = (unsigned)(glen ^ wlen);
	for (int i = 0; i < wlen; i++) {
		uint8_t g = i < glen ? got[i] : 0;
		diff |= (unsigned)(g ^ (uint8_t)want[i]);
	}
	explicit_bzero(got, sizeof(got));
	explicit_bzero(want, sizeof(want));
	return diff == 0;
}

void zp_b64_encode(const char *in, char *out, size_t osize)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;
	for (size_t i = 0; i < n && o + 5 <= osize; i += 3) {
		unsigned v = (unsigned)(unsigned char)in[i] << 16;
		v |= i + 1 < n ? (unsigned)(unsigned char)in[i + 1] << 8 : 0;
		v |= i + 2 < n ? (unsigned)(unsigned char)in[i + 2] : 0;
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	if (osize > 0) {
		out[o] = '\0';
	}
}
