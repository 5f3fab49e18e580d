/* Zones laid out as DirectAdmin sends them (reference directadmin.md
 * section 2, with example.com names): parsed, checked, rendered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/zp_zone.h"

/* Thirteen empty lines before $TTL, tabs and spaces mixed, a multi-line
 * SOA, relative owners and RDATA names, quoted TXT, per-record TTLs. */
static const char da_zone[] =
	"\n\n\n\n\n\n\n\n\n\n\n\n\n"
	"$TTL 3600\n"
	"@       IN      SOA     ns1.example.net.      hostmaster.add.example.com. (\n"
	"                                                2021082802\n"
	"                                                3600\n"
	"                                                3600\n"
	"                                                1209600\n"
	"                                                86400 )\n"
	"\n"
	"add.example.com.\t3600\tIN\tNS\tns1.example.net.\n"
	"add.example.com.\t3600\tIN\tNS\tns2.example.net.\n"
	"\n"
	"add.example.com.\t3600\tIN\tA\t192.0.2.68\n"
	"ftp\t3600\tIN\tA\t192.0.2.68\n"
	"mail\t3600\tIN\tA\t192.0.2.68\n"
	"pop\t3600\tIN\tA\t192.0.2.68\n"
	"smtp\t3600\tIN\tA\t192.0.2.68\n"
	"webmail\t3600\tIN\tA\t192.0.2.68\n"
	"www\t3600\tIN\tA\t192.0.2.68\n"
	"\n"
	"add.example.com.\t3600\tIN\tMX\t10 mail\n"
	"\n\n\n\n"
	"_acme-challenge\t5\tIN\tTXT\t\"Ok6JgufmkHGpWLQ421RPOIG645TRY23sZugeiGyWTZM\"\n"
	"add.example.com.\t3600\tIN\tTXT\t\"v=spf1 +a +mx include:spf.example.net ~all\"\n"
	"\n\n";

static void da_layout_parses(void **state)
{
	(void)state;
	zp_zone_t z;
	char why[256];
	if (!zp_zone_parse("add.example.com", da_zone, strlen(da_zone), &z, why, sizeof(why))) {
		fail_msg("%s", why);
	}
	/* SOA, 2 NS, 7 A, MX, 2 TXT */
	assert_int_equal(zp_zone_count(&z), 13);
	ldns_rr *soa = ldns_rr_list_rr(z.rrs, 0);
	assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), 2021082802);
	size_t len;
	char *text = zp_zone_render(&z, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "$ORIGIN add.example.com.\n"));
	/* relative names made absolute: owner and RDATA */
	assert_non_null(strstr(text, "ftp.add.example.com.\t3600\tIN\tA\t192.0.2.68\n"));
	assert_non_null(strstr(text, "add.example.com.\t3600\tIN\tMX\t10 mail.add.example.com.\n"));
	assert_non_null(strstr(text, "_acme-challenge.add.example.com.\t5\tIN\tTXT\t"
				     "\"Ok6JgufmkHGpWLQ421RPOIG645TRY23sZugeiGyWTZM\"\n"));
	assert_non_null(strstr(text, "\"v=spf1 +a +mx include:spf.example.net ~all\""));
	/* the rendering parses back to the same records */
	zp_zone_t again;
	assert_true(zp_zone_parse("add.example.com", text, len, &again, why, sizeof(why)));
	assert_int_equal(ldns_rr_list_compare(z.rrs, again.rrs), 0);
	zp_zone_free(&again);
	free(text);
	zp_zone_free(&z);
}

static void no_ttl_uses_default(void **state)
{
	(void)state;
	const char *t = "@ IN SOA ns1.example.net. h.example.com. 1 2 3 4 5\n"
			"www IN A 192.0.2.1\n";
	zp_zone_t z;
	char why[256];
	assert_true(zp_zone_parse("example.com", t, strlen(t), &z, why, sizeof(why)));
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(z.rrs, 1)), ZP_ZONE_DEFAULT_TTL);
	zp_zone_free(&z);
}

static void expect_refused(const char *text, const char *reason)
{
	zp_zone_t z;
	char why[256] = "";
	if (zp_zone_parse("example.com", text, strlen(text), &z, why, sizeof(why))) {
		zp_zone_free(&z);
		fail_msg("accepted: %s", text);
	}
	if (strstr(why, reason) == NULL) {
		fail_msg("reason \"%s\" lacks \"%s\"", why, reason);
	}
}

static void invalid_zones_refused(void **state)
{
	(void)state;
	const char *soa = "@ 60 IN SOA ns1.example.net. h.example.com. 1 2 3 4 5\n";
	char buf[512];
	expect_refused("www 60 IN A 192.0.2.1\n", "no SOA");
	snprintf(buf, sizeof(buf), "%sevil.example.org. 60 IN A 192.0.2.1\n", soa);
	expect_refused(buf, "outside the zone");
	snprintf(buf, sizeof(buf), "%swww 60 IN CNAME x.example.net.\nwww 60 IN A 192.0.2.1\n",
		 soa);
	expect_refused(buf, "CNAME beside other data");
	snprintf(buf, sizeof(buf),
		 "%swww 60 IN CNAME a.example.net.\nwww 60 IN CNAME b.example.net.\n", soa);
	expect_refused(buf, "more than one CNAME");
	snprintf(buf, sizeof(buf), "%s@ 60 IN CNAME x.example.net.\n", soa);
	expect_refused(buf, "CNAME beside other data");
	snprintf(buf, sizeof(buf), "%swww 60 IN A 300.1.2.3\n", soa);
	expect_refused(buf, "zone line");
	snprintf(buf, sizeof(buf), "%s$INCLUDE /etc/passwd\n", soa);
	expect_refused(buf, "$INCLUDE");
	snprintf(buf, sizeof(buf), "%ssub 60 IN SOA ns1.example.net. h.example.com. 1 2 3 4 5\n",
		 soa);
	expect_refused(buf, "more than one SOA");
	expect_refused("www.example.com. 60 IN SOA ns1.example.net. h.example.com. 1 2 3 4 5\n",
		       "not at the apex");
	expect_refused("", "no SOA");
	zp_zone_t z;
	char why[64];
	assert_false(zp_zone_parse("example.com", "@ IN\0 A", 7, &z, why, sizeof(why)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(da_layout_parses),
		cmocka_unit_test(no_ttl_uses_default),
		cmocka_unit_test(invalid_zones_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
