/*
 * The azure-dns readers: record sets (the official examples of
 * azure-rest-api-specs 2018-05-01 and the lease-shaped samples), foreign
 * sets, the error shapes (412 PreconditionFailed), Entra ID's refusals in
 * operator terms, and the version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/unit/vector_file.h"
#include "src/provider/azure.h"

#define P(s) s, strlen(s)

/* The "responses"/"200"/"body" of an azure-rest-api-specs example, as text. */
static char *example_body(const char *name)
{
	size_t len;
	char *text = vector_file("azure", name, &len);
	json_t *root = json_loadb(text, len, 0, NULL);
	assert_non_null(root);
	json_t *body =
		json_object_get(json_object_get(json_object_get(root, "responses"), "200"), "body");
	assert_non_null(body);
	char *out = json_dumps(body, JSON_COMPACT);
	json_decref(root);
	free(text);
	return out;
}

static void test_sets(void **state)
{
	(void)state;
	azure_set_t s;
	df_detail_t d = {""};
	char *body = example_body("azure-rest-api-specs-2018-05-01-GetARecordset.json");
	assert_int_equal(azure_parse_set(P(body), "A", &s, &d), DF_OK);
	assert_string_equal(s.etag, "00000000-0000-0000-0000-000000000000");
	assert_int_equal(s.ttl, 3600);
	assert_string_equal(s.a, "127.0.0.1");
	assert_int_equal(s.a_count, 1);
	free(body);
	body = example_body("azure-rest-api-specs-2018-05-01-CreateOrUpdateTXTRecordset.json");
	assert_int_equal(azure_parse_set(P(body), "TXT", &s, &d), DF_OK);
	assert_string_equal(s.txt, "string1string2"); /* the strings of one record, joined */
	free(body);
	size_t len;
	body = vector_file("azure", "synth-lease-get-txt-response.json", &len);
	assert_int_equal(azure_parse_set(body, len, "TXT", &s, &d), DF_OK);
	assert_string_equal(s.etag, "3a1f0c2e-0000-0000-0000-000000000001");
	assert_string_equal(s.txt, "owner=primary exp=1768478400");
	assert_int_equal(s.ttl, 30);
	free(body);
	/* Foreign: an alias set, two TXT records. */
	assert_int_equal(azure_parse_set(P("{\"etag\":\"e\",\"properties\":{\"targetResource\":{"
					   "\"id\":\"/x\"}}}"),
					 "A", &s, &d),
			 DF_ECONFIG);
	assert_non_null(strstr(d.msg, "is an alias"));
	assert_int_equal(azure_parse_set(P("{\"etag\":\"e\",\"properties\":{\"TXTRecords\":[{"
					   "\"value\":[\"a\"]},{\"value\":[\"b\"]}]}}"),
					 "TXT", &s, &d),
			 DF_ECONFIG);
	assert_non_null(strstr(d.msg, "holds 2 records"));
	assert_int_equal(azure_parse_set(P("{\"properties\":{}}"), "A", &s, &d), DF_EMALFORMED);
	assert_int_equal(azure_parse_set(P("{\"etag\":\"a\\nb\",\"properties\":{}}"), "A", &s, &d),
			 DF_EMALFORMED);
	assert_int_equal(azure_parse_set(P("{\"etag\":\"e\",\"properties\":{\"ARecords\":[{"
					   "\"ipv4Address\":\"x\"}]}}"),
					 "A", &s, &d),
			 DF_EMALFORMED);
}

static void test_errors(void **state)
{
	(void)state;
	char code[64], msg[256];
	size_t len;
	char *body = vector_file("azure", "synth-412-precondition-failed.json", &len);
	assert_int_equal(azure_parse_error(body, len, 412, code, sizeof(code), msg, sizeof(msg)),
			 AZURE_ERR_CONFLICT);
	assert_string_equal(code, "PreconditionFailed");
	assert_non_null(strstr(msg, "in the If-Match header was not satisfied"));
	free(body);
	assert_int_equal(azure_parse_error(P("{\"error\":{\"code\":\"ParentResourceNotFound\","
					     "\"message\":\"Parent resource 'x' not found.\"}}"),
					   404, code, sizeof(code), msg, sizeof(msg)),
			 AZURE_ERR_ZONE);
	assert_int_equal(
		azure_parse_error(P("{\"error\":{\"code\":\"NotFound\",\"message\":\"m\"}}"), 404,
				  code, sizeof(code), msg, sizeof(msg)),
		AZURE_ERR_ABSENT);
	assert_int_equal(azure_parse_error(P("{\"error\":{\"code\":\"AuthorizationFailed\"}}"), 403,
					   code, sizeof(code), msg, sizeof(msg)),
			 AZURE_ERR_FORBIDDEN);
	assert_int_equal(
		azure_parse_error(P("{\"error\":{\"code\":\"ExpiredAuthenticationToken\"}}"), 401,
				  code, sizeof(code), msg, sizeof(msg)),
		AZURE_ERR_AUTH);
	assert_int_equal(
		azure_parse_error(P("<html>\n</html>"), 503, code, sizeof(code), msg, sizeof(msg)),
		AZURE_ERR_SERVER);
	assert_null(strchr(msg, '\n'));
	assert_int_equal(azure_parse_error(P("{}"), 429, code, sizeof(code), msg, sizeof(msg)),
			 AZURE_ERR_THROTTLED);
}

static void test_token_advice(void **state)
{
	(void)state;
	oauth_answer_t a;
	assert_int_equal(oauth_parse_token(P("{\"error\":\"invalid_client\",\"error_description\":"
					     "\"AADSTS7000215: Invalid client secret provided.\"}"),
					   401, &a),
			 DF_EACCES);
	assert_non_null(strstr(azure_token_advice(&a), "AZURE_CLIENT_SECRET was refused"));
	assert_int_equal(oauth_parse_token(P("{\"error\":\"unauthorized_client\","
					     "\"error_description\":\"AADSTS700016: Application "
					     "with identifier 'x' was not found\"}"),
					   400, &a),
			 DF_EACCES);
	assert_non_null(strstr(azure_token_advice(&a), "AZURE_CLIENT_ID is not an application"));
	assert_int_equal(oauth_parse_token(P("{\"error\":\"invalid_request\",\"error_description\":"
					     "\"AADSTS90002: Tenant 'x' not found.\"}"),
					   400, &a),
			 DF_EACCES);
	assert_non_null(strstr(azure_token_advice(&a), "AZURE_TENANT_ID"));
}

static void test_version(void **state)
{
	(void)state;
	lease_version_t v;
	char t[AZURE_ETAG_MAX], a[AZURE_ETAG_MAX];
	assert_int_equal(azure_version_put(&v, "t-etag", ""), DF_OK);
	assert_true(azure_version_get(&v, t, a));
	assert_string_equal(t, "t-etag");
	assert_string_equal(a, "");
	assert_int_equal(azure_version_put(&v, "t", "a-etag"), DF_OK);
	assert_true(azure_version_get(&v, t, a));
	assert_string_equal(a, "a-etag");
	assert_int_equal(azure_version_put(&v, "", "a"), DF_OK);
	assert_false(azure_version_get(&v, t, a)); /* no TXT etag */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sets),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_token_advice),
		cmocka_unit_test(test_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
