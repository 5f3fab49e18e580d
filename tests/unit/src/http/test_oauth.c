/*
 * OAuth 2.0 token answers (the Entra ID v2 and v1 shapes, Google's) and the
 * token cache: a token is used until shortly before expires_in, then not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "src/http/oauth.h"

#define P(s) s, strlen(s)

static oauth_answer_t a;

static void test_answers(void **state)
{
	(void)state;
	assert_int_equal(oauth_parse_token(P("{\"access_token\":\"ya29.c.EXAMPLE\",\"expires_in\":"
					     "3599,\"token_type\":\"Bearer\"}"),
					   200, &a),
			 DF_OK);
	assert_string_equal(a.access, "ya29.c.EXAMPLE");
	assert_int_equal(a.expires_in, 3599);
	/* The v1 endpoint's numbers as strings. */
	assert_int_equal(oauth_parse_token(P("{\"token_type\":\"Bearer\",\"expires_in\":\"3599\","
					     "\"access_token\":\"eyJ0\"}"),
					   200, &a),
			 DF_OK);
	assert_int_equal(a.expires_in, 3599);
	/* Entra ID's refusal. */
	assert_int_equal(oauth_parse_token(P("{\"error\":\"invalid_client\",\"error_description\":"
					     "\"AADSTS7000215: Invalid client secret provided.\","
					     "\"error_codes\":[7000215]}"),
					   401, &a),
			 DF_EACCES);
	assert_string_equal(a.error, "invalid_client");
	assert_string_equal(a.description, "AADSTS7000215: Invalid client secret provided.");
	assert_int_equal(oauth_parse_token(P("{\"error\":\"invalid_grant\",\"error_description\":"
					     "\"Invalid JWT Signature.\"}"),
					   400, &a),
			 DF_EACCES);
	assert_string_equal(a.error, "invalid_grant");
	/* Control bytes from the server never reach a message as they are. */
	assert_int_equal(oauth_parse_token(P("{\"error\":\"x\\ny\"}"), 400, &a), DF_EACCES);
	assert_null(strchr(a.error, '\n'));
	assert_int_equal(oauth_parse_token(P("<html>busy</html>"), 503, &a), DF_ENETWORK);
	assert_int_equal(oauth_parse_token(P("{}"), 200, &a), DF_EMALFORMED);
	assert_int_equal(oauth_parse_token(P("{\"access_token\":\"t\",\"expires_in\":0}"), 200, &a),
			 DF_EMALFORMED);
	assert_int_equal(oauth_parse_token(P("{\"access_token\":\"t\",\"expires_in\":60,"
					     "\"token_type\":\"mac\"}"),
					   200, &a),
			 DF_EMALFORMED);
	assert_int_equal(
		oauth_parse_token(P("{\"access_token\":\"a\\r\\nX: y\",\"expires_in\":60}"), 200,
				  &a),
		DF_EMALFORMED);
}

static void test_cache(void **state)
{
	(void)state;
	oauth_token_t t;
	memset(&t, 0, sizeof(t));
	assert_false(oauth_token_usable(&t, 0));
	assert_int_equal(
		oauth_parse_token(P("{\"access_token\":\"tok\",\"expires_in\":3599}"), 200, &a),
		DF_OK);
	oauth_token_keep(&t, &a, 1000);
	assert_int_equal(t.fetched, 1);
	assert_true(oauth_token_usable(&t, 1000));
	/* Used until a minute before it expires, not after. */
	assert_true(oauth_token_usable(&t, 1000 + (3599 - 60) * 1000 - 1));
	assert_false(oauth_token_usable(&t, 1000 + (3599 - 60) * 1000));
	/* A short-lived token is used for half its life. */
	assert_int_equal(
		oauth_parse_token(P("{\"access_token\":\"tok2\",\"expires_in\":10}"), 200, &a),
		DF_OK);
	oauth_token_keep(&t, &a, 0);
	assert_int_equal(t.fetched, 2);
	assert_true(oauth_token_usable(&t, 4999));
	assert_false(oauth_token_usable(&t, 5000));
	oauth_token_drop(&t);
	assert_false(oauth_token_usable(&t, 0));
	assert_string_equal(t.access, "");
}

static void test_form(void **state)
{
	(void)state;
	char buf[128] = "";
	assert_int_equal(
		oauth_form_add(buf, sizeof(buf), "scope", "https://management.azure.com/.default"),
		DF_OK);
	assert_int_equal(oauth_form_add(buf, sizeof(buf), "client_secret", "a&b=c d"), DF_OK);
	assert_string_equal(buf, "scope=https%3A%2F%2Fmanagement.azure.com%2F.default&"
				 "client_secret=a%26b%3Dc%20d");
	char small[16] = "x=1";
	assert_int_equal(oauth_form_add(small, sizeof(small), "name", "a long value"), DF_ENOSPACE);
	assert_string_equal(small, "x=1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
