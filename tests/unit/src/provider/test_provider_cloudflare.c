/*
 * Unit tests of the cloudflare provider's readers (the envelope, the zone
 * lookup, the record list, the batch answer) on the samples of
 * tests/vectors/cloudflare, and of the TXT quoting both ways
 * (provider_txt_decode/encode of src/provider/provider.c).
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
#include "src/provider/provider_cloudflare.h"

/* A sample of tests/vectors/cloudflare. */
static char *vector(const char *name, size_t *len)
{
	return vector_file("cloudflare", name, len);
}

static void test_list_txt(void **state)
{
	(void)state;
	size_t len;
	char *body = vector("synth-lease-list-txt.json", &len);
	cloudflare_list_t l;
	df_detail_t d = {""};
	assert_int_equal(cloudflare_parse_list(body, len, 200, "lease.example.com", &l, &d), DF_OK);
	assert_int_equal(l.txt_count, 1);
	assert_string_equal(l.txt_id, "9a7806061c88ada191ed06f989cc3dac");
	/* Stored quoted, read without the quotes. */
	assert_string_equal(l.txt, "owner=primary exp=1768478400");
	assert_true(l.txt_decoded);
	assert_int_equal(l.a_count, 0);
	/* The name filter is exact: another name is not ours. */
	assert_int_equal(cloudflare_parse_list(body, len, 200, "other.example.com", &l, &d), DF_OK);
	assert_int_equal(l.txt_count, 0);
	free(body);
}

static void test_list_a(void **state)
{
	(void)state;
	size_t len;
	char *body = vector("synth-lease-list-a.json", &len);
	cloudflare_list_t l;
	df_detail_t d = {""};
	assert_int_equal(cloudflare_parse_list(body, len, 200, "LEASE.example.com", &l, &d), DF_OK);
	assert_int_equal(l.a_count, 1);
	assert_string_equal(l.a_id, "372e67954025e0ba6aaa6d586b9e0b59");
	assert_string_equal(l.a, "192.0.2.10");
	assert_string_equal(l.a_list, "192.0.2.10");
	free(body);
	body = vector("cloudflare-go-v0-fixture-list-dns-records.json", &len);
	assert_int_equal(cloudflare_parse_list(body, len, 200, "xn--138h.example.com", &l, &d),
			 DF_OK);
	assert_int_equal(l.a_count, 1);
	assert_string_equal(l.a, "198.51.100.4");
	free(body);
}

static void test_list_two_a(void **state)
{
	(void)state;
	const char *body =
		"{\"success\":true,\"errors\":[],\"messages\":[],\"result\":["
		"{\"id\":\"aa\",\"type\":\"A\",\"name\":\"l.example.com\",\"content\":\"192.0.2."
		"1\"},"
		"{\"id\":\"bb\",\"type\":\"A\",\"name\":\"l.example.com\",\"content\":\"192.0.2."
		"2\"},"
		"{\"id\":\"cc\",\"type\":\"AAAA\",\"name\":\"l.example.com\",\"content\":\"::1\"},"
		"{\"id\":\"dd\",\"type\":\"TXT\",\"name\":\"l.example.com\","
		"\"content\":\"\\\"owner=dr \\\" \\\"exp=5\\\"\"}]}";
	cloudflare_list_t l;
	df_detail_t d = {""};
	assert_int_equal(cloudflare_parse_list(body, strlen(body), 200, "l.example.com", &l, &d),
			 DF_OK);
	assert_int_equal(l.a_count, 2);
	assert_string_equal(l.a_id, "aa");
	assert_string_equal(l.a_list, "192.0.2.1, 192.0.2.2");
	assert_string_equal(l.txt, "owner=dr exp=5");
	/* A record whose content is not an address is not a lease A. */
	const char *bad =
		"{\"success\":true,\"errors\":[],\"result\":[{\"id\":\"aa\",\"type\":\"A\","
		"\"name\":\"l.example.com\",\"content\":\"not-an-ip\"}]}";
	assert_int_equal(cloudflare_parse_list(bad, strlen(bad), 200, "l.example.com", &l, &d),
			 DF_EMALFORMED);
	assert_non_null(strstr(d.msg, "A record aa holds \"not-an-ip\""));
}

static void test_batch(void **state)
{
	(void)state;
	size_t len;
	char *body = vector("synth-lease-batch-response.json", &len);
	char txt_id[CLOUDFLARE_ID_MAX], a_id[CLOUDFLARE_ID_MAX];
	df_detail_t d = {""};
	assert_int_equal(cloudflare_parse_batch(body, len, 200, txt_id, a_id, &d), DF_OK);
	assert_string_equal(txt_id, "4b1e2a8c3d5f6e7a8b9c0d1e2f3a4b5c");
	assert_string_equal(a_id, "372e67954025e0ba6aaa6d586b9e0b59"); /* patched */
	free(body);
	const char *none = "{\"success\":true,\"errors\":[],\"result\":{\"posts\":[]}}";
	assert_int_equal(cloudflare_parse_batch(none, strlen(none), 200, txt_id, a_id, &d),
			 DF_EMALFORMED);
}

static void test_zone(void **state)
{
	(void)state;
	char id[CLOUDFLARE_ID_MAX];
	df_detail_t d = {""};
	const char *list = "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":[{\"id\":"
			   "\"023e105f4ecef8ad9ca31a8372d0c353\",\"name\":\"example.com\"}]}";
	assert_int_equal(cloudflare_parse_zone(list, strlen(list), 200, "example.com", id, &d),
			 DF_OK);
	assert_string_equal(id, "023e105f4ecef8ad9ca31a8372d0c353");
	const char *empty = "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":[]}";
	assert_int_equal(cloudflare_parse_zone(empty, strlen(empty), 200, "example.com", id, &d),
			 DF_ECONFIG);
	assert_non_null(strstr(d.msg, "no zone named example.com is visible"));
	const char *other = "{\"success\":true,\"errors\":[],\"result\":{\"id\":\"abc\",\"name\":"
			    "\"example.net\"}}";
	assert_int_equal(cloudflare_parse_zone(other, strlen(other), 200, "example.com", id, &d),
			 DF_ECONFIG);
	assert_non_null(strstr(d.msg, "is named \"example.net\", not DNS_ZONE=example.com"));
}

static void test_errors(void **state)
{
	(void)state;
	size_t len;
	df_detail_t d = {""};
	char *body = vector("lego-fixture-error.json", &len);
	assert_int_equal(cloudflare_check_envelope(body, len, 400, "GET /zones", &d), DF_EACCES);
	assert_string_equal(d.msg,
			    "cloudflare: GET /zones: HTTP 400, error 6003 \"Invalid request "
			    "headers\": CLOUDFLARE_API_TOKEN was refused: check that the "
			    "token is valid, not expired, and has Zone:DNS:Edit on DNS_ZONE");
	free(body);
	static const struct {
		long status;
		const char *body;
		int want;
		const char *says;
	} cases[] = {
		{403,
		 "{\"success\":false,\"errors\":[{\"code\":9109,\"message\":\"Invalid access "
		 "token\"}],\"result\":null}",
		 DF_EACCES, "error 9109 \"Invalid access token\""},
		{400,
		 "{\"success\":false,\"errors\":[{\"code\":7003,\"message\":\"Could not route\"}]}",
		 DF_ECONFIG, "the zone was not found"},
		{404,
		 "{\"success\":false,\"errors\":[{\"code\":81044,\"message\":\"Record does not "
		 "exist.\"}]}",
		 DF_ECONFLICT, "someone else changed the lease"},
		{400,
		 "{\"success\":false,\"errors\":[{\"code\":81058,\"message\":\"An identical record "
		 "already exists.\"}]}",
		 DF_ECONFLICT, "already exists"},
		{429, "{\"success\":false,\"errors\":[{\"code\":971,\"message\":\"Please wait\"}]}",
		 DF_ERCODE, "rate limited"},
		{502, "<html>Bad gateway</html>", DF_EUNKNOWN, "outcome is unknown"},
		{500, "{\"success\":false,\"errors\":[]}", DF_EUNKNOWN, "no error code"},
		{400,
		 "{\"success\":false,\"errors\":[{\"code\":1004,\"message\":\"DNS Validation "
		 "Error\"}]}",
		 DF_ERCODE, "error 1004 \"DNS Validation Error\""},
		{200, "{\"result\":[]}", DF_EMALFORMED, "not the API's envelope"},
		{200, "{\"success\":true}", DF_EMALFORMED, "no \"result\""},
		{200, "[1,2]", DF_EMALFORMED, "not the API's envelope"},
		/* A control byte from the server never reaches the message raw. */
		{400, "{\"success\":false,\"errors\":[{\"code\":1,\"message\":\"a\\u0001b\"}]}",
		 DF_ERCODE, "a\\x01b"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d.msg[0] = '\0';
		int ret = cloudflare_check_envelope(cases[i].body, strlen(cases[i].body),
						    cases[i].status, "X", &d);
		if (ret != cases[i].want || strstr(d.msg, cases[i].says) == NULL) {
			fail_msg("case %zu: %d \"%s\"", i, ret, d.msg);
		}
	}
}

static void test_txt_decode(void **state)
{
	(void)state;
	char out[64];
	static const struct {
		const char *in;
		int want;
		const char *out;
	} cases[] = {
		{"\"owner=dr exp=5 epoch=2\"", DF_OK, "owner=dr exp=5 epoch=2"},
		{"owner=dr exp=5", DF_OK, "owner=dr exp=5"},
		{"\"owner=dr \" \"exp=5\"", DF_OK, "owner=dr exp=5"},
		{"\"a\\\"b\\\\c\"", DF_OK, "a\"b\\c"},
		{"\"\\065\\066C\"", DF_OK, "ABC"}, /* decimal, not octal */
		{"\"\"", DF_OK, ""},
		{"  \"x\"  ", DF_OK, "x"},
		{"\"unterminated", DF_EINVAL, NULL},
		{"\"a\" junk", DF_EINVAL, NULL},
		{"\"\\25\"", DF_EINVAL, NULL},
		{"\"\\256\"", DF_EINVAL, NULL},
		{"\"\\000\"", DF_EINVAL, NULL},
		{"\"a\\", DF_EINVAL, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = provider_txt_decode(cases[i].in, strlen(cases[i].in), out, sizeof(out));
		if (ret != cases[i].want ||
		    (cases[i].out != NULL && strcmp(out, cases[i].out) != 0)) {
			fail_msg("case %zu (%s): %d \"%s\"", i, cases[i].in, ret, out);
		}
	}
	char tiny[4];
	assert_int_equal(provider_txt_decode("\"abcdef\"", 8, tiny, sizeof(tiny)), DF_ENOSPACE);
}

static void test_txt_encode(void **state)
{
	(void)state;
	char out[1200], back[600];
	assert_int_equal(provider_txt_encode("owner=dr exp=1768478520 epoch=8", out, sizeof(out)),
			 DF_OK);
	assert_string_equal(out, "\"owner=dr exp=1768478520 epoch=8\"");
	assert_int_equal(provider_txt_encode("a\"b\\c", out, sizeof(out)), DF_OK);
	assert_string_equal(out, "\"a\\\"b\\\\c\"");
	assert_int_equal(provider_txt_encode("", out, sizeof(out)), DF_OK);
	assert_string_equal(out, "\"\"");
	/* Strings of at most 255 bytes, and back to the same text. */
	char long_text[600];
	for (size_t i = 0; i < 599; i++) {
		long_text[i] = (char)('a' + i % 26);
	}
	long_text[599] = '\0';
	assert_int_equal(provider_txt_encode(long_text, out, sizeof(out)), DF_OK);
	assert_int_equal(out[0], '"');
	assert_int_equal(out[256], '"');
	assert_int_equal(out[257], ' ');
	assert_int_equal(provider_txt_decode(out, strlen(out), back, sizeof(back)), DF_OK);
	assert_string_equal(back, long_text);
	char small[8];
	assert_int_equal(provider_txt_encode("owner=dr", small, sizeof(small)), DF_ENOSPACE);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_txt),   cmocka_unit_test(test_list_a),
		cmocka_unit_test(test_list_two_a), cmocka_unit_test(test_batch),
		cmocka_unit_test(test_zone),	   cmocka_unit_test(test_errors),
		cmocka_unit_test(test_txt_decode), cmocka_unit_test(test_txt_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
