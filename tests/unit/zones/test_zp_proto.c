/* The DirectAdmin requests as DA sends them (reference directadmin.md
 * section 1, the 49c957d access log), the replies and the Basic check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "zones/zp_proto.h"

static bool parse(const char *method, const char *target, const char *body, zp_request_t *r)
{
	return zp_request_parse(method, target, (const uint8_t *)body, strlen(body), r);
}

static void login_and_exists(void **state)
{
	(void)state;
	zp_request_t r;
	assert_true(parse("GET", "/CMD_API_LOGIN_TEST", "", &r));
	assert_int_equal(r.action, ZP_ACT_LOGIN_TEST);
	zp_request_free(&r);

	assert_true(parse("GET", "/CMD_API_DNS_ADMIN?action=exists&domain=Test.COM.", "", &r));
	assert_int_equal(r.action, ZP_ACT_EXISTS);
	assert_int_equal(r.ndomains, 1);
	assert_string_equal(r.domains[0], "test.com");
	assert_false(r.check_parent);
	zp_request_free(&r);

	assert_true(parse("GET",
			  "/CMD_API_DNS_ADMIN?action=exists&domain=hostinz.net&check_for_parent_"
			  "domain=true",
			  "", &r));
	assert_true(r.check_parent);
	zp_request_free(&r);
}

static void rawsave_query_and_raw_body(void **state)
{
	(void)state;
	zp_request_t r;
	const char *zone = "$TTL 3600\n@ IN SOA ns1.example.net. h.example.com. (1 2 3 4 5)\n";
	assert_true(parse("POST",
			  "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com&named_reload=yes&"
			  "username=cheybugger&hostname=s23.example.net",
			  zone, &r));
	assert_int_equal(r.action, ZP_ACT_RAWSAVE);
	assert_string_equal(r.domains[0], "example.com");
	assert_string_equal(r.username, "cheybugger");
	assert_string_equal(r.hostname, "s23.example.net");
	assert_true(r.named_reload);
	/* byte for byte, not form-decoded */
	assert_int_equal(r.zone_len, strlen(zone));
	assert_memory_equal(r.zone, zone, strlen(zone));
	zp_request_free(&r);

	/* username may be absent */
	assert_true(parse("POST",
			  "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com&hostname=h.x", zone,
			  &r));
	assert_string_equal(r.username, "");
	assert_false(r.named_reload);
	zp_request_free(&r);

	assert_false(parse("POST", "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com", "", &r));
	assert_int_equal(r.status, 400);
	assert_string_equal(r.why, "rawsave: empty zone");
	zp_request_free(&r);
}

static void delete_bare_body(void **state)
{
	(void)state;
	zp_request_t r;
	/* DA's bare POST: no Content-Type, the form in the body */
	assert_true(parse("POST", "/CMD_API_DNS_ADMIN",
			  "action=delete&cluster=yes&hostname=s23.example.net&select0=test.com",
			  &r));
	assert_int_equal(r.action, ZP_ACT_DELETE);
	assert_int_equal(r.ndomains, 1);
	assert_string_equal(r.domains[0], "test.com");
	assert_string_equal(r.hostname, "s23.example.net");
	zp_request_free(&r);

	assert_true(parse("POST", "/CMD_API_DNS_ADMIN",
			  "action=delete&select0=a.com&select1=B.com&select2=c.com&select4=skipped."
			  "com&domain=d.com",
			  &r));
	assert_int_equal(r.ndomains, 4);
	assert_string_equal(r.domains[0], "a.com");
	assert_string_equal(r.domains[1], "b.com");
	assert_string_equal(r.domains[2], "c.com");
	assert_string_equal(r.domains[3], "d.com");
	zp_request_free(&r);

	assert_false(parse("POST", "/CMD_API_DNS_ADMIN", "action=delete&hostname=x.net", &r));
	assert_int_equal(r.status, 400);
	zp_request_free(&r);

	/* no action, no body: the connectivity check */
	assert_true(parse("POST", "/CMD_API_DNS_ADMIN", "", &r));
	assert_int_equal(r.action, ZP_ACT_NONE);
	zp_request_free(&r);
}

static void bad_domains_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"/CMD_API_DNS_ADMIN?action=exists&domain=..%2F..%2Fetc%2Fpasswd",
		"/CMD_API_DNS_ADMIN?action=exists&domain=a%00b.com",
		"/CMD_API_DNS_ADMIN?action=exists&domain=a%2",
		"/CMD_API_DNS_ADMIN?action=exists&domain=-a.com",
		"/CMD_API_DNS_ADMIN?action=exists&domain=a..com",
		"/CMD_API_DNS_ADMIN?action=exists&domain=a_b.com",
		"/CMD_API_DNS_ADMIN?action=exists&domain=a%27%3B+DROP+TABLE+zones.com",
		"/CMD_API_DNS_ADMIN?action=exists&domain=",
		"/CMD_API_DNS_ADMIN?action=exists",
		"/CMD_API_DNS_ADMIN?action=frobnicate&domain=a.com",
		"/CMD_API_DNS_ADMIN?action=exists&domain=a.com&hostname=bad/host",
	};
	zp_request_t r;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool ok = parse("GET", bad[i], "", &r);
		if (ok) {
			fail_msg("accepted %s", bad[i]);
		}
		assert_int_equal(r.status, 400);
		assert_true(strlen(r.why) > 0);
		zp_request_free(&r);
	}
	/* 300 bytes */
	char target[512];
	int n = snprintf(target, sizeof(target), "/CMD_API_DNS_ADMIN?action=exists&domain=");
	for (int i = 0; i < 300; i++) {
		target[n++] = (i % 50 == 49) ? '.' : 'a';
	}
	target[n] = '\0';
	assert_false(parse("GET", target, "", &r));
	assert_non_null(strstr(r.why, "longer than 253"));
	zp_request_free(&r);

	assert_false(parse("GET", "/CMD_OTHER", "", &r));
	assert_int_equal(r.status, 404);
	zp_request_free(&r);

	/* an embedded NUL in a bare body */
	assert_false(zp_request_parse("POST", "/CMD_API_DNS_ADMIN",
				      (const uint8_t *)"action=delete&select0=a\0.com", 28, &r));
	zp_request_free(&r);
}

static void names(void **state)
{
	(void)state;
	char out[ZP_NAME_MAX], why[128];
	assert_true(zp_name_normalize("Mail.Example.COM.", 17, out, why, sizeof(why)));
	assert_string_equal(out, "mail.example.com");
	char label[80];
	memset(label, 'a', 64);
	memcpy(label + 64, ".com", 5);
	assert_false(zp_name_normalize(label, strlen(label), out, why, sizeof(why)));
	assert_string_equal(out, "");
	assert_false(zp_name_normalize("a.com-", 6, out, why, sizeof(why)));
	assert_false(zp_name_normalize(".", 1, out, why, sizeof(why)));
}

static void replies_encoded(void **state)
{
	(void)state;
	char buf[256] = "";
	zp_reply_add(buf, sizeof(buf), "error", "0");
	zp_reply_add(buf, sizeof(buf), "details", "Domain exists on s1.example.net");
	assert_string_equal(buf, "error=0&details=Domain+exists+on+s1.example.net");
	buf[0] = '\0';
	zp_reply_add(buf, sizeof(buf), "text", "a&b=c%\"");
	assert_string_equal(buf, "text=a%26b%3Dc%25%22");
	char small[8] = "";
	zp_reply_add(small, sizeof(small), "text", "too long for it");
	assert_string_equal(small, "");
}

static void basic_auth(void **state)
{
	(void)state;
	/* "da:s3cret" */
	assert_true(zp_auth_ok("Basic ZGE6czNjcmV0", "da", "s3cret"));
	assert_true(zp_auth_ok("basic  ZGE6czNjcmV0 ", "da", "s3cret"));
	assert_false(zp_auth_ok("Basic ZGE6czNjcmV1", "da", "s3cret"));
	assert_false(zp_auth_ok("Basic ZGE6czNjcmV0", "da", "s3cre"));
	assert_false(zp_auth_ok("Basic ZGE6czNjcmV0", "da", "s3cret2"));
	assert_false(zp_auth_ok("Bearer ZGE6czNjcmV0", "da", "s3cret"));
	assert_false(zp_auth_ok("Basic !!!", "da", "s3cret"));
	assert_false(zp_auth_ok(NULL, "da", "s3cret"));
	assert_false(zp_auth_ok("Basic ", "da", "s3cret"));
}

static void form_decoding(void **state)
{
	(void)state;
	char out[32];
	assert_int_equal(zp_form_decode("a%41+b", 6, out, sizeof(out)), 4);
	assert_string_equal(out, "aA b");
	assert_int_equal(zp_form_decode("%4", 2, out, sizeof(out)), -1);
	assert_int_equal(zp_form_decode("%zz", 3, out, sizeof(out)), -1);
	assert_int_equal(zp_form_decode("%00", 3, out, sizeof(out)), -1);
	assert_int_equal(zp_form_decode("abcd", 4, out, 4), -1);
	assert_int_equal(zp_form_get("a=1&bb=2&b=3", 12, "b", out, sizeof(out)), 1);
	assert_string_equal(out, "3");
	assert_int_equal(zp_form_get("a=1", 3, "b", out, sizeof(out)), -1);
	assert_int_equal(zp_form_get("b=%", 3, "b", out, sizeof(out)), -2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(login_and_exists),
		cmocka_unit_test(rawsave_query_and_raw_body),
		cmocka_unit_test(delete_bare_body),
		cmocka_unit_test(bad_domains_refused),
		cmocka_unit_test(names),
		cmocka_unit_test(replies_encoded),
		cmocka_unit_test(basic_auth),
		cmocka_unit_test(form_decoding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
