/*
 * Unit tests of the infoblox provider's readers of WAPI answers (the record
 * searches, the view lookup, the multi-object request's answer and the error
 * body) on the samples of tests/vectors/infoblox.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/vector_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/provider/provider.h"
#include "src/provider/provider_infoblox.h"

#define NAME "lease.example.com"

/* A sample of tests/vectors/infoblox. */
static char *vector(const char *name, size_t *len)
{
	return vector_file("infoblox", name, len);
}

static void test_txt(void **state)
{
	(void)state;
	size_t len;
	char *body = vector("synth-record-txt-get-response.json", &len);
	infoblox_records_t r;
	df_detail_t d = {""};
	assert_int_equal(infoblox_parse_records(body, len, 200, "txt", NAME, "default", &r, &d),
			 DF_OK);
	assert_int_equal(r.count, 1);
	/* The _ref is kept as the grid gave it, the text as stored (quoted). */
	assert_string_equal(r.ref, "record:txt/ZG5zLmJpbmRfdHh0JC5fZGVmYXVsdC5jb20uZXhhbXBsZS5sZWF"
				   "zZS4ib3duZXI9cHJpbWFyeSBleHA9MTc2ODQ3ODQwMCI:lease.example.com/"
				   "default");
	assert_string_equal(r.value, "\"owner=primary exp=1768478400\"");
	char text[256];
	assert_int_equal(provider_txt_decode(r.value, strlen(r.value), text, sizeof(text)), DF_OK);
	assert_string_equal(text, "owner=primary exp=1768478400");
	/* Exact on name and view: another one is not ours. */
	assert_int_equal(infoblox_parse_records(body, len, 200, "txt", "other.example.com",
						"default", &r, &d),
			 DF_OK);
	assert_int_equal(r.count, 0);
	assert_int_equal(infoblox_parse_records(body, len, 200, "txt", NAME, "internal", &r, &d),
			 DF_OK);
	assert_int_equal(r.count, 0);
	/* A TXT answer read as A records lacks the right ref type. */
	assert_int_equal(infoblox_parse_records(body, len, 200, "a", NAME, "default", &r, &d),
			 DF_EMALFORMED);
	assert_non_null(strstr(d.msg, "no usable _ref"));
	free(body);
}

static void test_a(void **state)
{
	(void)state;
	size_t len;
	char *body = vector("synth-record-a-get-response.json", &len);
	infoblox_records_t r;
	df_detail_t d = {""};
	assert_int_equal(infoblox_parse_records(body, len, 200, "a", NAME, "default", &r, &d),
			 DF_OK);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.value, "192.0.2.10");
	assert_string_equal(r.list, "192.0.2.10");
	assert_non_null(strstr(r.ref, "record:a/"));
	free(body);
	/* Two A records: both listed, the first kept. */
	const char *two = "[{\"_ref\":\"record:a/x:lease.example.com/default\",\"ipv4addr\":"
			  "\"192.0.2.10\",\"name\":\"lease.example.com\",\"view\":\"default\"},"
			  "{\"_ref\":\"record:a/y:lease.example.com/default\",\"ipv4addr\":"
			  "\"198.51.100.7\",\"name\":\"lease.example.com\",\"view\":\"default\"}]";
	assert_int_equal(
		infoblox_parse_records(two, strlen(two), 200, "a", NAME, "default", &r, &d), DF_OK);
	assert_int_equal(r.count, 2);
	assert_string_equal(r.list, "192.0.2.10, 198.51.100.7");
	assert_string_equal(r.ref, "record:a/x:lease.example.com/default");
	const char *bad = "[{\"_ref\":\"record:a/x:l/default\",\"ipv4addr\":\"not-an-ip\","
			  "\"name\":\"lease.example.com\"}]";
	assert_int_equal(
		infoblox_parse_records(bad, strlen(bad), 200, "a", NAME, "default", &r, &d),
		DF_EMALFORMED);
	/* An empty answer is no record, not an error. */
	assert_int_equal(infoblox_parse_records("[]", 2, 200, "a", NAME, "default", &r, &d), DF_OK);
	assert_int_equal(r.count, 0);
	/* Not a bare array. */
	assert_int_equal(
		infoblox_parse_records("{\"result\":[]}", 13, 200, "a", NAME, "default", &r, &d),
		DF_EMALFORMED);
}

static void test_errors(void **state)
{
	(void)state;
	size_t len;
	char *body = vector("demisto-content-fixture-error-conflict.json", &len);
	df_detail_t d = {""};
	assert_int_equal(infoblox_check_answer(body, len, 400, "POST record:txt", false, &d),
			 DF_ECONFLICT);
	assert_non_null(strstr(d.msg, "Client.Ibap.Data.Conflict"));
	assert_non_null(strstr(d.msg, "Duplicate object 'test123.com' of type zone"));
	free(body);
	const char *nf = "{\"Error\":\"AdmConDataNotFoundError: none\",\"code\":"
			 "\"Client.Ibap.Data.NotFound\",\"text\":\"No object matched\"}";
	/* In a multi-object request: the filter on the old text matched nothing. */
	assert_int_equal(infoblox_parse_request(nf, strlen(nf), 400, &d), DF_ECONFLICT);
	assert_non_null(strstr(d.msg, "the lease changed since it was read"));
	/* On a search: the view or zone is wrong. */
	infoblox_records_t r;
	assert_int_equal(infoblox_parse_records(nf, strlen(nf), 400, "txt", NAME, "x", &r, &d),
			 DF_ECONFIG);
	assert_non_null(strstr(d.msg, "check INFOBLOX_VIEW"));
	const char *proto = "{\"Error\":\"AdmConProtoError: Unknown WAPI version v2.5\",\"code\":"
			    "\"Client.Ibap.Proto\",\"text\":\"Unknown WAPI version v2.5\"}";
	assert_int_equal(infoblox_check_answer(proto, strlen(proto), 400, "GET view", false, &d),
			 DF_ECONFIG);
	assert_non_null(strstr(d.msg, "INFOBLOX_WAPI_VERSION"));
	const char *page = "<html><body>Authorization Required</body></html>";
	assert_int_equal(infoblox_check_answer(page, strlen(page), 401, "GET view", false, &d),
			 DF_EACCES);
	assert_non_null(strstr(d.msg, "INFOBLOX_USERNAME and INFOBLOX_PASSWORD were refused"));
	assert_int_equal(infoblox_check_answer(page, strlen(page), 403, "GET view", false, &d),
			 DF_EACCES);
	assert_int_equal(infoblox_check_answer(page, strlen(page), 502, "POST request", true, &d),
			 DF_EUNKNOWN);
	assert_int_equal(infoblox_check_answer(page, strlen(page), 429, "GET view", false, &d),
			 DF_ERCODE);
	/* A control character from the server never reaches the message raw. */
	const char *ctl = "{\"code\":\"Client.Ibap.Data\",\"text\":\"a\\u001bb\"}";
	assert_int_equal(infoblox_check_answer(ctl, strlen(ctl), 400, "GET view", false, &d),
			 DF_ERCODE);
	assert_null(strchr(d.msg, 0x1b));
	/* A success that is not JSON. */
	assert_int_equal(infoblox_parse_request("<html>", 6, 200, &d), DF_EMALFORMED);
	assert_int_equal(infoblox_parse_request("[]", 2, 200, &d), DF_OK);
}

static void test_view(void **state)
{
	(void)state;
	df_detail_t d = {""};
	const char *one = "[{\"_ref\":\"view/ZG5z:default/true\",\"name\":\"default\","
			  "\"is_default\":true}]";
	assert_int_equal(infoblox_parse_view(one, strlen(one), 200, "default", &d), DF_OK);
	assert_int_equal(infoblox_parse_view("[]", 2, 200, "internal", &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "no DNS view named \"internal\" (INFOBLOX_VIEW)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_a),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
