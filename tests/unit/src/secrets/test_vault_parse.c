/*
 * The Vault answer readers on the documentation samples of
 * tests/vectors/vault (AppRole login, KV v2 read, the error envelopes) and
 * on the shapes around them: KV v1, lookup-self, values that are not text,
 * tokens that cannot go into a header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/secrets/vault.h"

/* The file under $VECTORS_DIR/vault, malloc'd and NUL-terminated. */
static char *vector(const char *name, size_t *len)
{
	const char *top = getenv("VECTORS_DIR");
	char path[1024];
	if (top == NULL) {
		fprintf(stderr, "VECTORS_DIR is not set: run through 'make check'\n");
		fail();
	}
	snprintf(path, sizeof(path), "%s/vault/%s", top, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 65536);
	assert_non_null(buf);
	*len = fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

struct kv {
	size_t n;
	char key[8][64];
	char value[8][128];
	bool null[8];
};

static int collect(void *arg, const char *key, const char *value)
{
	struct kv *kv = arg;
	assert_true(kv->n < 8);
	snprintf(kv->key[kv->n], sizeof(kv->key[0]), "%s", key);
	kv->null[kv->n] = value == NULL;
	snprintf(kv->value[kv->n], sizeof(kv->value[0]), "%s", value != NULL ? value : "");
	kv->n++;
	return DF_OK;
}

static const char *lookup(const struct kv *kv, const char *key)
{
	for (size_t i = 0; i < kv->n; i++) {
		if (strcmp(kv->key[i], key) == 0) {
			return kv->null[i] ? "(null)" : kv->value[i];
		}
	}
	return NULL;
}

static void test_approle_login_doc(void **state)
{
	(void)state;
	size_t len;
	char *body = vector("docs-approle-login-response.json", &len);
	vault_auth_t a;
	df_detail_t d = {""};
	assert_int_equal(vault_parse_auth(body, len, &a, &d), DF_OK);
	assert_string_equal(a.token, "5b1a0318-679c-9c45-e5c6-d1b9a9035d49");
	assert_int_equal(a.lease_s, 1200);
	assert_true(a.renewable);
	free(body);
}

static void test_auth_refused_shapes(void **state)
{
	(void)state;
	vault_auth_t a;
	df_detail_t d = {""};
	static const char *bad[] = {
		"",
		"{}",
		"{\"auth\":null}",
		"{\"auth\":{\"lease_duration\":10}}",
		"{\"auth\":{\"client_token\":\"\"}}",
		"{\"auth\":{\"client_token\":\"a b\"}}",
		"{\"auth\":{\"client_token\":\"a\\r\\nX-Injected: 1\"}}",
		"{\"auth\":{\"client_token\":\"ok\",\"lease_duration\":\"10\"}}",
		"{\"auth\":{\"client_token\":\"a\\u0000b\"}}",
		"{\"errors\":[\"permission denied\"]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d.msg[0] = '\0';
		assert_int_equal(vault_parse_auth(bad[i], strlen(bad[i]), &a, &d), DF_EMALFORMED);
		assert_true(d.msg[0] != '\0');
		assert_string_equal(a.token, "");
	}
	/* A root token's lease is 0: no expiry; a negative one reads as 0. */
	const char *root = "{\"auth\":{\"client_token\":\"hvs.root\",\"lease_duration\":-3}}";
	assert_int_equal(vault_parse_auth(root, strlen(root), &a, &d), DF_OK);
	assert_int_equal(a.lease_s, 0);
	assert_false(a.renewable);
}

static void test_lookup_self(void **state)
{
	(void)state;
	vault_auth_t a;
	df_detail_t d = {""};
	const char *ok = "{\"data\":{\"accessor\":\"x\",\"ttl\":2764,\"renewable\":true,"
			 "\"id\":\"hvs.secret\"}}";
	assert_int_equal(vault_parse_lookup(ok, strlen(ok), &a, &d), DF_OK);
	assert_int_equal(a.lease_s, 2764);
	assert_true(a.renewable);
	assert_string_equal(a.token, ""); /* the id is not copied */
	const char *bad = "{\"data\":{\"ttl\":\"2764\"}}";
	assert_int_equal(vault_parse_lookup(bad, strlen(bad), &a, &d), DF_EMALFORMED);
}

static void test_kv2_doc_and_envelope(void **state)
{
	(void)state;
	size_t len;
	char *body = vector("docs-kv2-read-response.json", &len);
	struct kv kv = {0};
	df_detail_t d = {""};
	assert_int_equal(vault_parse_kv(body, len, 2, collect, &kv, &d), DF_OK);
	assert_int_equal(kv.n, 1);
	assert_string_equal(lookup(&kv, "foo"), "bar");
	/* Read as v1, the map is data: the v2 "data" and "metadata" are not text. */
	memset(&kv, 0, sizeof(kv));
	assert_int_equal(vault_parse_kv(body, len, 1, collect, &kv, &d), DF_OK);
	assert_string_equal(lookup(&kv, "data"), "(null)");
	assert_string_equal(lookup(&kv, "metadata"), "(null)");
	free(body);

	body = vector("synth-kv2-read-response-full-envelope.json", &len);
	memset(&kv, 0, sizeof(kv));
	assert_int_equal(vault_parse_kv(body, len, 2, collect, &kv, &d), DF_OK);
	assert_int_equal(kv.n, 2);
	assert_string_equal(lookup(&kv, "route53_secret_access_key"),
			    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	free(body);
}

static void test_kv1_values(void **state)
{
	(void)state;
	const char *body = "{\"request_id\":\"r\",\"lease_duration\":2764800,\"data\":{"
			   "\"tsig_key\":\"hmac-sha256:k:c2VjcmV0\",\"dns_ttl\":30,"
			   "\"debug\":true,\"gone\":null,\"list\":[1],\"half\":1.5}}";
	struct kv kv = {0};
	df_detail_t d = {""};
	assert_int_equal(vault_parse_kv(body, strlen(body), 1, collect, &kv, &d), DF_OK);
	assert_int_equal(kv.n, 6);
	assert_string_equal(lookup(&kv, "tsig_key"), "hmac-sha256:k:c2VjcmV0");
	assert_string_equal(lookup(&kv, "dns_ttl"), "30");
	assert_string_equal(lookup(&kv, "debug"), "true");
	assert_string_equal(lookup(&kv, "gone"), "(null)");
	assert_string_equal(lookup(&kv, "list"), "(null)");
	assert_string_equal(lookup(&kv, "half"), "(null)");
	/* The v1 shape has no data.data. */
	assert_int_equal(vault_parse_kv(body, strlen(body), 2, collect, &kv, &d), DF_EMALFORMED);
	assert_non_null(strstr(d.msg, "data.data"));
	/* Not JSON, or duplicate keys (which one would win?): refused. */
	const char *dup = "{\"data\":{\"a\":\"1\",\"a\":\"2\"}}";
	assert_int_equal(vault_parse_kv(dup, strlen(dup), 1, collect, &kv, &d), DF_EMALFORMED);
	assert_int_equal(vault_parse_kv("{", 1, 1, collect, &kv, &d), DF_EMALFORMED);
}

static int stop_at_second(void *arg, const char *key, const char *value)
{
	(void)key;
	(void)value;
	int *n = arg;
	return ++*n == 2 ? DF_ERANGE : DF_OK;
}

static void test_kv_callback_stops(void **state)
{
	(void)state;
	const char *body = "{\"data\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}";
	int n = 0;
	df_detail_t d = {""};
	assert_int_equal(vault_parse_kv(body, strlen(body), 1, stop_at_second, &n, &d), DF_ERANGE);
	assert_int_equal(n, 2);
}

static void test_errors(void **state)
{
	(void)state;
	size_t len;
	char *body = vector("synth-errors.json", &len);
	char out[128];
	/* The sample file holds the three envelopes under names. */
	const char *e403 = "{ \"errors\": [\"permission denied\"] }";
	vault_parse_errors(e403, strlen(e403), out, sizeof(out));
	assert_string_equal(out, "permission denied");
	assert_non_null(strstr(body, e403));
	const char *e404 = "{ \"errors\": [] }";
	assert_non_null(strstr(body, e404));
	vault_parse_errors(e404, strlen(e404), out, sizeof(out));
	assert_string_equal(out, "no error text");
	free(body);

	const char *two = "{\"errors\":[\"1 error occurred:\\n\\t* bad\\u001b[31m\", \"x\"]}";
	vault_parse_errors(two, strlen(two), out, sizeof(out));
	assert_string_equal(out, "1 error occurred:??* bad?[31m; x");
	vault_parse_errors("<html>\x01", 7, out, sizeof(out));
	assert_string_equal(out, "unexpected body: <html>?");
	vault_parse_errors("", 0, out, sizeof(out));
	assert_string_equal(out, "no error text");
	char small[8];
	vault_parse_errors(e403, strlen(e403), small, sizeof(small));
	assert_string_equal(small, "permiss");
}

static void test_sealed(void **state)
{
	(void)state;
	const char *s = "{\"errors\":[\"Vault is sealed\"]}";
	assert_true(vault_is_sealed(503, s, strlen(s)));
	assert_false(vault_is_sealed(500, s, strlen(s)));
	const char *other = "{\"errors\":[\"standby\"]}";
	assert_false(vault_is_sealed(503, other, strlen(other)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_approle_login_doc),
		cmocka_unit_test(test_auth_refused_shapes),
		cmocka_unit_test(test_lookup_self),
		cmocka_unit_test(test_kv2_doc_and_envelope),
		cmocka_unit_test(test_kv1_values),
		cmocka_unit_test(test_kv_callback_stops),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sealed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
