/*
 * Unit tests of the f5-gtm provider's readers of iControl REST answers (the
 * login, the data-group, the GTM pool's members, a virtual server, the error
 * body) on the samples of tests/vectors/f5.
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
#include "src/provider/provider_f5.h"

/* A sample of tests/vectors/f5. */
static char *vector(const char *name, size_t *len)
{
	return vector_file("f5", name, len);
}

static void test_login(void **state)
{
	(void)state;
	size_t len;
	char *body = vector("pyats-test-login-response.json", &len);
	char token[F5_TOKEN_MAX];
	long life = 0;
	df_detail_t d = {""};
	assert_int_equal(f5_parse_login(body, len, 200, token, &life, &d), DF_OK);
	assert_string_equal(token, "3UCPWZW66ZHOR6BUMVW56F6Q6K");
	assert_int_equal(life, 1200);
	free(body);
	const char *refused = "{\"code\":401,\"message\":\"Authentication failed.\","
			      "\"errorStack\":[]}";
	assert_int_equal(f5_parse_login(refused, strlen(refused), 401, token, &life, &d),
			 DF_EACCES);
	assert_non_null(strstr(d.msg, "F5_USERNAME and F5_PASSWORD were refused"));
	assert_non_null(strstr(d.msg, "Authentication failed."));
	/* No token service: a 404, the cue for Basic. */
	assert_int_equal(f5_parse_login(refused, strlen(refused), 404, token, &life, &d),
			 DF_ENOTFOUND);
	assert_int_equal(f5_parse_login("{\"token\":{}}", 12, 200, token, &life, &d),
			 DF_EMALFORMED);
	assert_string_equal(token, "");
}

static void test_group(void **state)
{
	(void)state;
	f5_group_t g;
	df_detail_t d = {""};
	const char *lease = "{\"name\":\"dns_failover_lease\",\"partition\":\"Common\","
			    "\"generation\":12,\"type\":\"string\",\"records\":["
			    "{\"name\":\"owner\",\"data\":\"dr\"},{\"name\":\"exp\",\"data\":"
			    "\"1768478520\"},{\"name\":\"ip\",\"data\":\"192.0.2.20\"},{\"name\":"
			    "\"epoch\",\"data\":\"8\"}]}";
	assert_int_equal(f5_parse_group(lease, strlen(lease), 200, &g, &d), DF_OK);
	assert_int_equal(g.generation, 12);
	assert_true(g.has_owner && g.has_exp && g.has_ip && g.has_epoch);
	assert_string_equal(g.owner, "dr");
	assert_string_equal(g.exp, "1768478520");
	assert_string_equal(g.ip, "192.0.2.20");
	assert_string_equal(g.epoch, "8");
	assert_int_equal(g.others, 0);
	/* The reference's sample names the address "a": not the lease's ip record. */
	size_t len;
	char *body = vector("synth-datagroup-lease-get.json", &len);
	assert_int_equal(f5_parse_group(body, len, 200, &g, &d), DF_OK);
	assert_int_equal(g.generation, 1556);
	assert_true(g.has_owner);
	assert_false(g.has_ip);
	assert_int_equal(g.others, 1);
	free(body);
	/* records absent when empty. */
	const char *empty =
		"{\"name\":\"dns_failover_lease\",\"generation\":1,\"type\":\"string\"}";
	assert_int_equal(f5_parse_group(empty, strlen(empty), 200, &g, &d), DF_OK);
	assert_false(g.has_owner);
	const char *ip = "{\"type\":\"ip\",\"records\":[]}";
	assert_int_equal(f5_parse_group(ip, strlen(ip), 200, &g, &d), DF_EMALFORMED);
	assert_non_null(strstr(d.msg, "of type ip, not string"));
	const char *missing = "{\"code\":404,\"errorStack\":[],\"message\":\"01020036:3: The "
			      "requested value list (/Common/dns_failover_lease) was not found.\"}";
	assert_int_equal(f5_parse_group(missing, strlen(missing), 404, &g, &d), DF_ENOTFOUND);
	assert_non_null(strstr(d.msg, "01020036:3"));
	const char *exists = "{\"code\":409,\"errorStack\":[],\"message\":\"01020066:3: exists\"}";
	assert_int_equal(f5_check_answer(exists, strlen(exists), 409, "POST", &d), DF_ECONFLICT);
	assert_int_equal(f5_check_answer("<html>", 6, 502, "PATCH", &d), DF_EUNKNOWN);
	assert_int_equal(f5_check_answer("<html>", 6, 200, "PATCH", &d), DF_EMALFORMED);
}

static void test_pool(void **state)
{
	(void)state;
	f5_members_t m;
	df_detail_t d = {""};
	const char *members = "{\"items\":[{\"name\":\"site-primary:otel\",\"fullPath\":"
			      "\"/Common/site-primary:otel\",\"enabled\":true},{\"name\":"
			      "\"site-dr:otel\",\"fullPath\":\"/Common/site-dr:otel\","
			      "\"disabled\":true},{\"name\":\"no-colon\"}]}";
	assert_int_equal(f5_parse_members(members, strlen(members), 200, &m, &d), DF_OK);
	assert_int_equal(m.count, 2);
	assert_string_equal(m.name[0], "/Common/site-primary:otel");
	assert_true(m.enabled[0]);
	assert_false(m.enabled[1]);
	char addr[64];
	const char *vs = "{\"name\":\"otel\",\"destination\":\"/Common/192.0.2.10:4317\"}";
	assert_int_equal(f5_parse_vs(vs, strlen(vs), 200, addr, &d), DF_OK);
	assert_string_equal(addr, "192.0.2.10");
	const char *bare = "{\"destination\":\"192.0.2.20:80\"}";
	assert_int_equal(f5_parse_vs(bare, strlen(bare), 200, addr, &d), DF_OK);
	assert_string_equal(addr, "192.0.2.20");
	const char *v6 = "{\"destination\":\"2001:db8::1.80\"}";
	assert_int_equal(f5_parse_vs(v6, strlen(v6), 200, addr, &d), DF_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_pool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
