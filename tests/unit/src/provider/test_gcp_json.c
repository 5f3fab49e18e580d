/*
 * The gcp-dns readers: the service-account key file, the rrsets listing
 * (foreign sets, quoting, paging), the change and the error shapes, with
 * the samples of tests/vectors/gcp/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/vector_file.h"
#include "src/provider/gcp.h"

#define P(s) s, strlen(s)
#define REC  "lease.example.com."

static void test_key_file(void **state)
{
	(void)state;
	size_t len;
	char *text = vector_file("gcp", "synth-service-account-key-TESTKEY-rfc7515.json", &len);
	gcp_key_t k;
	df_detail_t d = {""};
	assert_int_equal(gcp_parse_key_file(text, len, "/k.json", &k, &d), DF_OK);
	assert_string_equal(k.client_email, "lease-daemon@my-project.iam.gserviceaccount.com");
	assert_string_equal(k.private_key_id, "0123456789abcdef0123456789abcdef01234567");
	assert_string_equal(k.project_id, "my-project");
	assert_string_equal(k.token_uri, "https://oauth2.googleapis.com/token");
	assert_non_null(strstr(k.private_key, "-----BEGIN PRIVATE KEY-----\nMIIEvQ"));
	gcp_key_clear(&k);
	assert_null(k.private_key);
	free(text);
	assert_int_equal(gcp_parse_key_file(P("{\"type\":\"authorized_user\"}"), "/k.json", &k, &d),
			 DF_EKEYFILE);
	assert_non_null(strstr(d.msg, "GCP_CREDENTIALS_FILE=/k.json is not a service-account key"));
	assert_int_equal(gcp_parse_key_file(P("{\"type\":\"service_account\",\"client_email\":"
					      "\"a@b\"}"),
					    "/k.json", &k, &d),
			 DF_EKEYFILE);
	assert_string_equal(d.msg, "GCP_CREDENTIALS_FILE=/k.json has no \"private_key\"");
	assert_int_equal(gcp_parse_key_file(P("nope"), "/k.json", &k, &d), DF_EKEYFILE);
}

static void test_rrsets(void **state)
{
	(void)state;
	size_t len;
	char *text = vector_file("gcp", "synth-rrsets-list-lease-all-types.json", &len);
	gcp_list_t l;
	df_detail_t d = {""};
	memset(&l, 0, sizeof(l));
	assert_int_equal(gcp_parse_rrsets(text, len, REC, &l, &d), DF_OK);
	assert_string_equal(l.a, "192.0.2.10");
	assert_int_equal(l.a_count, 1);
	assert_string_equal(l.txt, "owner=primary exp=1768478400");
	assert_true(l.txt_decoded);
	/* The sets are kept exactly as listed, for the deletions. */
	assert_string_equal(l.txt_set,
			    "{\"name\":\"lease.example.com.\",\"type\":\"TXT\",\"ttl\":30,"
			    "\"rrdatas\":[\"\\\"owner=primary exp=1768478400\\\"\"]}");
	assert_string_equal(l.a_set, "{\"name\":\"lease.example.com.\",\"type\":\"A\",\"ttl\":30,"
				     "\"rrdatas\":[\"192.0.2.10\"]}");
	assert_string_equal(l.next_page, "");
	free(text);

	/* Absent "rrsets": nothing there. Paging token kept. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(gcp_parse_rrsets(P("{\"kind\":\"dns#resourceRecordSetsListResponse\","
					    "\"nextPageToken\":\"abc\"}"),
					  REC, &l, &d),
			 DF_OK);
	assert_string_equal(l.txt_set, "");
	assert_string_equal(l.next_page, "abc");
	/* Other names and types are ignored; \DDD is decimal. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(
		gcp_parse_rrsets(
			P("{\"rrsets\":[{\"name\":\"other.example.com.\",\"type\":"
			  "\"TXT\",\"ttl\":1,\"rrdatas\":[\"x\"]},{\"name\":"
			  "\"lease.example.com.\",\"type\":\"AAAA\",\"ttl\":1,"
			  "\"rrdatas\":[\"::1\"]},{\"name\":\"lease.example.com.\","
			  "\"type\":\"TXT\",\"ttl\":30,\"rrdatas\":[\"\\\"a\\\\061b\\\"\"]}]}"),
			REC, &l, &d),
		DF_OK);
	assert_string_equal(l.txt, "a=b");
	assert_int_equal(l.a_count, 0);
	/* Foreign: a routing policy, two TXT records. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(
		gcp_parse_rrsets(P("{\"rrsets\":[{\"name\":\"lease.example.com.\",\"type\":"
				   "\"A\",\"ttl\":30,\"routingPolicy\":{\"wrr\":{}}}]}"),
				 REC, &l, &d),
		DF_ECONFIG);
	assert_non_null(strstr(d.msg, "has a routing policy"));
	memset(&l, 0, sizeof(l));
	assert_int_equal(
		gcp_parse_rrsets(
			P("{\"rrsets\":[{\"name\":\"lease.example.com.\",\"type\":"
			  "\"TXT\",\"ttl\":30,\"rrdatas\":[\"\\\"a\\\"\",\"\\\"b\\\"\"]}]}"),
			REC, &l, &d),
		DF_ECONFIG);
	assert_non_null(strstr(d.msg, "holds 2 records"));
	memset(&l, 0, sizeof(l));
	assert_int_equal(
		gcp_parse_rrsets(P("{\"rrsets\":[{\"name\":\"lease.example.com.\",\"type\":"
				   "\"A\",\"ttl\":30,\"rrdatas\":[\"bad\"]}]}"),
				 REC, &l, &d),
		DF_EMALFORMED);
	assert_int_equal(gcp_parse_rrsets(P("[]"), REC, &l, &d), DF_EMALFORMED);
}

static void test_change_and_errors(void **state)
{
	(void)state;
	size_t len;
	char *text = vector_file("gcp", "synth-change-response.json", &len);
	char id[GCP_CHANGE_ID_MAX], reason[64], msg[200];
	bool done = true;
	df_detail_t d = {""};
	assert_int_equal(gcp_parse_change(text, len, id, &done, &d), DF_OK);
	assert_string_equal(id, "42");
	assert_false(done);
	free(text);
	assert_int_equal(gcp_parse_change(P("{\"id\":\"43\",\"status\":\"done\"}"), id, &done, &d),
			 DF_OK);
	assert_true(done);
	assert_int_equal(gcp_parse_change(P("{\"id\":\"4/3\",\"status\":\"done\"}"), id, &done, &d),
			 DF_EMALFORMED);
	assert_int_equal(gcp_parse_change(P("{\"id\":\"43\",\"status\":\"odd\"}"), id, &done, &d),
			 DF_EMALFORMED);

	text = vector_file("gcp", "synth-412-condition-not-met.json", &len);
	assert_int_equal(gcp_parse_error(text, len, 412, reason, sizeof(reason), msg, sizeof(msg)),
			 DF_ECONFLICT);
	assert_string_equal(reason, "conditionNotMet");
	assert_string_equal(msg, "Precondition not met for 'entity.change.deletions[0]'");
	free(text);
	assert_int_equal(gcp_parse_error(P("{\"error\":{\"code\":409,\"message\":\"The resource "
					   "'entity.change.additions[0]' named 'lease.example.com. "
					   "(TXT)' already exists\",\"errors\":[{\"reason\":"
					   "\"alreadyExists\"}]}}"),
					 409, reason, sizeof(reason), msg, sizeof(msg)),
			 DF_ECONFLICT);
	assert_int_equal(gcp_parse_error(P("{\"error\":{\"code\":403,\"message\":\"Forbidden\","
					   "\"errors\":[{\"reason\":\"forbidden\"}]}}"),
					 403, reason, sizeof(reason), msg, sizeof(msg)),
			 DF_EACCES);
	assert_int_equal(gcp_parse_error(P("{\"error\":{\"code\":404,\"message\":\"The "
					   "'parameters.managedZone' resource named 'x' does not "
					   "exist.\",\"errors\":[{\"reason\":\"notFound\"}]}}"),
					 404, reason, sizeof(reason), msg, sizeof(msg)),
			 DF_ECONFIG);
	assert_int_equal(gcp_parse_error(P("<html>\n502</html>"), 502, reason, sizeof(reason), msg,
					 sizeof(msg)),
			 DF_EUNKNOWN);
	assert_null(strchr(msg, '\n'));
	assert_int_equal(gcp_parse_error(P("{\"error\":{\"code\":429,\"errors\":[{\"reason\":"
					   "\"rateLimitExceeded\"}]}}"),
					 429, reason, sizeof(reason), msg, sizeof(msg)),
			 DF_ENETWORK);
}

static void test_version(void **state)
{
	(void)state;
	lease_version_t v;
	char a[GCP_SET_MAX], t[GCP_SET_MAX];
	assert_int_equal(gcp_version_put(&v, "", "{\"t\":1}"), DF_OK);
	assert_true(gcp_version_get(&v, a, t));
	assert_string_equal(a, "");
	assert_string_equal(t, "{\"t\":1}");
	assert_int_equal(gcp_version_put(&v, "{\"a\":1}", ""), DF_OK);
	assert_false(gcp_version_get(&v, a, t)); /* no TXT: nothing to compare */
	v.len = 0;
	assert_false(gcp_version_get(&v, a, t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_rrsets),
		cmocka_unit_test(test_change_and_errors),
		cmocka_unit_test(test_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
