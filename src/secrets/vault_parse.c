/*
 * The Vault answers this product reads (reference/rest-providers.md
 * section 8): login and renew-self ("auth"), lookup-self ("data"), a KV
 * read (v2 "data.data", v1 "data") and the error envelope ("errors"). Pure
 * functions on bytes, fuzzed by tests/fuzz/fuzz_vault.c.
 */
#include "src/secrets/vault.h"

#include <inttypes.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * jansson's free for the whole process: wipes what it frees, so that the
 * tokens and secrets a parsed or packed document held do not stay in freed
 * memory. malloc_usable_size() works on any malloc'd block, so blocks
 * jansson allocated before this was set are freed just as well.
 */
static void wiping_free(void *p)
{
	if (p != NULL) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

void vault_json_wipe_on_free(void)
{
	json_set_alloc_funcs(malloc, wiping_free);
}

/* A JSON document from len bytes (not NUL-terminated), or NULL. */
static json_t *parse(const char *body, size_t len)
{
	vault_json_wipe_on_free();
	if (body == NULL) {
		return NULL;
	}
	return json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
}

/* A lease in seconds from a JSON integer; negatives read as 0, huge ones are capped. */
static uint32_t seconds(const json_t *j)
{
	json_int_t n = json_integer_value(j);
	if (n <= 0) {
		return 0;
	}
	return n > (json_int_t)UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

int vault_parse_auth(const char *body, size_t len, vault_auth_t *out, df_detail_t *d)
{
	int ret = DF_EMALFORMED;
	json_t *root = parse(body, len);
	json_t *auth = json_object_get(root, "auth");
	json_t *tok = json_object_get(auth, "client_token");
	json_t *lease = json_object_get(auth, "lease_duration");

	memset(out, 0, sizeof(*out));
	if (!json_is_object(auth)) {
		df_detail_set(d, "the answer has no \"auth\" object");
		goto out;
	}
	const char *t = json_string_value(tok);
	size_t tl = json_string_length(tok);
	if (t == NULL || tl == 0 || tl >= sizeof(out->token) || strlen(t) != tl) {
		df_detail_set(d, "the answer's auth.client_token is missing, empty or too long");
		goto out;
	}
	for (size_t i = 0; i < tl; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c <= 0x20 || c >= 0x7f) {
			df_detail_set(d, "the answer's auth.client_token holds characters a "
					 "token header cannot carry");
			goto out;
		}
	}
	if (lease != NULL && !json_is_integer(lease)) {
		df_detail_set(d, "the answer's auth.lease_duration is not an integer");
		goto out;
	}
	memcpy(out->token, t, tl + 1);
	out->lease_s = seconds(lease);
	out->renewable = json_is_true(json_object_get(auth, "renewable"));
	ret = DF_OK;
out:
	json_decref(root); /* wiped (vault_json_wipe_on_free()); the copy in out is the caller's */
	return ret;
}

int vault_parse_lookup(const char *body, size_t len, vault_auth_t *out, df_detail_t *d)
{
	int ret = DF_EMALFORMED;
	json_t *root = parse(body, len);
	json_t *data = json_object_get(root, "data");
	json_t *ttl = json_object_get(data, "ttl");

	memset(out, 0, sizeof(*out));
	if (!json_is_object(data) || !json_is_integer(ttl)) {
		df_detail_set(d, "the answer has no \"data\" object with an integer \"ttl\"");
	} else {
		out->lease_s = seconds(ttl);
		out->renewable = json_is_true(json_object_get(data, "renewable"));
		ret = DF_OK;
	}
	json_decref(root);
	return ret;
}

/* The text of a scalar value into buf, or NULL when it has none. */
static const char *scalar(const json_t *v, char *buf, size_t size)
{
	if (json_is_string(v)) {
		size_t n = json_string_length(v);
		const char *s = json_string_value(v);
		if (n >= size || strlen(s) != n) {
			return NULL; /* too long, or a NUL inside */
		}
		memcpy(buf, s, n + 1);
		return buf;
	}
	if (json_is_integer(v)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v)) {
		snprintf(buf, size, "%s", json_is_true(v) ? "true" : "false");
		return buf;
	}
	return NULL;
}

int vault_parse_kv(const char *body, size_t len, int version, vault_kv_cb cb, void *arg,
		   df_detail_t *d)
{
	char value[VAULT_VALUE_MAX];
	int ret = DF_OK;
	json_t *root = parse(body, len);
	json_t *data = json_object_get(root, "data");
	const char *what = "data";

	if (version == 2) {
		data = json_object_get(data, "data");
		what = "data.data";
	}
	if (!json_is_object(data)) {
		df_detail_set(d, "the answer has no \"%s\" object (KV version %d)", what, version);
		json_decref(root);
		return DF_EMALFORMED;
	}
	const char *key;
	json_t *v;
	json_object_foreach(data, key, v)
	{
		ret = cb(arg, key, scalar(v, value, sizeof(value)));
		explicit_bzero(value, sizeof(value));
		if (ret != DF_OK) {
			break;
		}
	}
	json_decref(root);
	return ret;
}

/* Appends s to out (at n of size), sanitized: printable ASCII only. */
static size_t put_clean(char *out, size_t size, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < len && n + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[n] = '\0';
	return n;
}

void vault_parse_errors(const char *body, size_t len, char *out, size_t size)
{
	if (out == NULL || size == 0) {
		return;
	}
	out[0] = '\0';
	json_t *root = parse(body, len);
	json_t *errs = json_object_get(root, "errors");
	size_t n = 0;

	if (json_is_array(errs)) {
		size_t i;
		json_t *e;
		json_array_foreach(errs, i, e)
		{
			const char *s = json_string_value(e);
			if (s == NULL || json_string_length(e) == 0) {
				continue;
			}
			if (n > 0) {
				n = put_clean(out, size, n, "; ", 2);
			}
			n = put_clean(out, size, n, s, json_string_length(e));
		}
		if (n == 0) {
			snprintf(out, size, "no error text");
		}
	} else if (body == NULL || len == 0) {
		snprintf(out, size, "no error text");
	} else {
		n = put_clean(out, size, 0, "unexpected body: ", 17);
		put_clean(out, size, n, body, len < 80 ? len : 80);
	}
	json_decref(root);
}

bool vault_is_sealed(long status, const char *body, size_t len)
{
	char text[256];
	if (status != 503) {
		return false;
	}
	vault_parse_errors(body, len, text, sizeof(text));
	return strstr(text, "sealed") != NULL;
}
