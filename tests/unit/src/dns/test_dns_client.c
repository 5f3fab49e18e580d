/*
 * What the operator reads when an UPDATE fails: every RCODE names the key,
 * zone or record at fault and what to do. NOTZONE and NOTAUTH cannot be
 * provoked through the CLI (config keeps the record inside the zone, and a
 * zone the server does not serve fails on the read first), so their
 * wording is checked here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "src/dns/dns_client.h"

static const char *explain(int rcode)
{
	static df_detail_t d;
	dns_explain_update_rcode(&d, rcode, "192.0.2.53#53", "key lease-key.", "example.test.",
				 "lease.example.test.");
	return d.msg;
}

static void refused_names_key_zone_and_record(void **state)
{
	(void)state;
	const char *m = explain(LDNS_RCODE_REFUSED);
	assert_non_null(strstr(m, "192.0.2.53#53 REFUSED the update"));
	assert_non_null(strstr(m, "allow-update / update-policy for key lease-key. on zone "
				  "example.test."));
	assert_non_null(strstr(m, "grant lease.example.test. A and TXT"));
}

static void notzone_names_record_and_zone(void **state)
{
	(void)state;
	const char *m = explain(LDNS_RCODE_NOTZONE);
	assert_non_null(strstr(m, "record lease.example.test. is not inside zone example.test."));
	assert_non_null(strstr(m, "check DNS_RECORD and DNS_ZONE"));
}

static void notauth_points_at_the_primary(void **state)
{
	(void)state;
	const char *m = explain(LDNS_RCODE_NOTAUTH);
	assert_non_null(strstr(m, "not authoritative for zone example.test."));
	assert_non_null(strstr(m, "DNS_SERVER is the zone's primary"));
}

static void other_codes_say_what_they_mean(void **state)
{
	(void)state;
	assert_non_null(strstr(explain(LDNS_RCODE_FORMERR), "a bug in dnsfailover"));
	assert_non_null(strstr(explain(LDNS_RCODE_SERVFAIL), "outcome is unknown"));
	assert_non_null(strstr(explain(LDNS_RCODE_NOTIMPL), "does not implement dynamic updates"));
	assert_non_null(strstr(explain(LDNS_RCODE_YXDOMAIN), "YXDOMAIN"));
}

static void no_key_is_said_plainly(void **state)
{
	(void)state;
	df_detail_t d;
	dns_explain_update_rcode(&d, LDNS_RCODE_REFUSED, "s", NULL, "z.", "r.z.");
	assert_non_null(strstr(d.msg, "update-policy for no key on"));
	dns_explain_update_rcode(&d, LDNS_RCODE_REFUSED, "s", "principal intruder@EXAMPLE.TEST",
				 "z.", "r.z.");
	assert_non_null(
		strstr(d.msg, "update-policy for principal intruder@EXAMPLE.TEST on zone z."));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused_names_key_zone_and_record),
		cmocka_unit_test(notzone_names_record_and_zone),
		cmocka_unit_test(notauth_points_at_the_primary),
		cmocka_unit_test(other_codes_say_what_they_mean),
		cmocka_unit_test(no_key_is_said_plainly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
