/*
 * The UPDATE builder: every RFC 2136 prerequisite and update form must come
 * out on the wire with the class, TTL and RDATA of the table in RFC 2136
 * section 2.4 / 2.5, and the CAS renewal must match the layout BIND accepted
 * in the captured vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/dns/dns_msg.h"
#include "src/common/error.h"

static void check_rr(ldns_rr *rr, ldns_rr_type type, ldns_rr_class klass, uint32_t ttl,
		     size_t rdata_len)
{
	uint8_t buf[512];
	assert_non_null(rr);
	assert_int_equal(ldns_rr_get_type(rr), type);
	assert_int_equal(ldns_rr_get_class(rr), klass);
	assert_int_equal(ldns_rr_ttl(rr), ttl);
	assert_int_equal(rdata_len == 0 ? 0 : dns_rr_rdata(rr, buf, sizeof(buf)), rdata_len);
	ldns_rr_free(rr);
}

static void prerequisite_and_update_forms(void **state)
{
	(void)state;
	const char *n = "lease.example.test.";
	uint8_t txt[64];
	size_t txt_len = dns_txt_rdata("owner=primary exp=1 epoch=1", txt, sizeof(txt));
	uint8_t a[4] = {192, 0, 2, 10};
	assert_int_equal(txt_len, 28);
	check_rr(dns_rr_rrset_exists(n, LDNS_RR_TYPE_TXT), LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_ANY, 0,
		 0);
	check_rr(dns_rr_rrset_equals(n, LDNS_RR_TYPE_TXT, txt, txt_len), LDNS_RR_TYPE_TXT,
		 LDNS_RR_CLASS_IN, 0, txt_len);
	check_rr(dns_rr_rrset_absent(n, LDNS_RR_TYPE_TXT), LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_NONE, 0,
		 0);
	check_rr(dns_rr_name_in_use(n), LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_ANY, 0, 0);
	check_rr(dns_rr_name_unused(n), LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_NONE, 0, 0);
	check_rr(dns_rr_add(n, LDNS_RR_TYPE_A, 30, a, 4), LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 30, 4);
	check_rr(dns_rr_delete_rrset(n, LDNS_RR_TYPE_A), LDNS_RR_TYPE_A, LDNS_RR_CLASS_ANY, 0, 0);
	check_rr(dns_rr_delete_name(n), LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_ANY, 0, 0);
	check_rr(dns_rr_delete_rr(n, LDNS_RR_TYPE_A, a, 4), LDNS_RR_TYPE_A, LDNS_RR_CLASS_NONE, 0,
		 4);
	assert_null(dns_rr_add("bad..name", LDNS_RR_TYPE_A, 30, a, 4));
}

static void txt_rdata_round_trip(void **state)
{
	(void)state;
	char long_text[600];
	uint8_t rdata[700];
	char back[700];
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	size_t len = dns_txt_rdata(long_text, rdata, sizeof(rdata));
	/* 599 bytes: strings of 255, 255 and 89, each with its length byte. */
	assert_int_equal(len, 599 + 3);
	assert_int_equal(rdata[0], 255);
	assert_int_equal(rdata[256], 255);
	assert_int_equal(rdata[512], 89);
	assert_int_equal(dns_txt_text(rdata, len, back, sizeof(back)), DF_OK);
	assert_string_equal(back, long_text);
	assert_int_equal(dns_txt_rdata(long_text, rdata, 100), 0);
	assert_int_equal(dns_txt_text(rdata, len, back, 100), DF_ENOSPACE);
	/* A length byte pointing past the end is malformed, not an overread. */
	uint8_t bad[3] = {5, 'a', 'b'};
	assert_int_equal(dns_txt_text(bad, sizeof(bad), back, sizeof(back)), DF_EMALFORMED);
	/* Empty text is one empty character-string. */
	assert_int_equal(dns_txt_rdata("", rdata, sizeof(rdata)), 1);
}

/* The CAS renewal of the captured vector cas_renew_ok, rebuilt byte for byte. */
static void cas_renewal_matches_captured_layout(void **state)
{
	(void)state;
	/* Unsigned part of tsig-bind918.json cas_renew_ok (ID bc41, ARCOUNT 0). */
	static const char *expect_hex =
		"bc4128000001000100020000076578616d706c6504746573740000060001056c656173650765"
		"78616d706c6504746573740000100001000000000014136f776e65723d7072696d617279206578"
		"703d30056c65617365076578616d706c65047465737400001000ff000000000000056c65617365"
		"076578616d706c6504746573740000100001"
		"0000001e0014136f776e65723d7072696d617279206578703d31";
	const char *n = "lease.example.test.";
	uint8_t old_txt[64], new_txt[64];
	size_t old_len = dns_txt_rdata("owner=primary exp=0", old_txt, sizeof(old_txt));
	size_t new_len = dns_txt_rdata("owner=primary exp=1", new_txt, sizeof(new_txt));
	ldns_rr_list *pre = ldns_rr_list_new();
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_rr_list_push_rr(pre, dns_rr_rrset_equals(n, LDNS_RR_TYPE_TXT, old_txt, old_len));
	ldns_rr_list_push_rr(up, dns_rr_delete_rrset(n, LDNS_RR_TYPE_TXT));
	ldns_rr_list_push_rr(up, dns_rr_add(n, LDNS_RR_TYPE_TXT, 30, new_txt, new_len));
	ldns_pkt *pkt = dns_msg_update_new("example.test.", pre, up);
	assert_non_null(pkt);
	ldns_pkt_set_id(pkt, 0xbc41);
	uint8_t *wire = NULL;
	size_t len = 0;
	assert_int_equal(dns_msg_render(pkt, &wire, &len), DF_OK);
	/* ldns compresses names where the captured client did not; compare the
	 * header flags (opcode UPDATE, RD clear) and section counts exactly,
	 * and the records after ldns parses both forms back. */
	uint8_t expect[256];
	size_t expect_len = strlen(expect_hex) / 2;
	for (size_t i = 0; i < expect_len; i++) {
		unsigned int byte;
		sscanf(expect_hex + 2 * i, "%2x", &byte);
		expect[i] = (uint8_t)byte;
	}
	assert_memory_equal(wire, expect, 12);
	ldns_pkt *mine = NULL, *theirs = NULL;
	assert_int_equal(ldns_wire2pkt(&mine, wire, len), LDNS_STATUS_OK);
	assert_int_equal(ldns_wire2pkt(&theirs, expect, expect_len), LDNS_STATUS_OK);
	assert_int_equal(ldns_rr_list_compare(ldns_pkt_answer(mine), ldns_pkt_answer(theirs)), 0);
	assert_int_equal(ldns_rr_list_compare(ldns_pkt_authority(mine), ldns_pkt_authority(theirs)),
			 0);
	assert_int_equal(ldns_rr_list_compare(ldns_pkt_question(mine), ldns_pkt_question(theirs)),
			 0);
	ldns_pkt_free(mine);
	ldns_pkt_free(theirs);
	free(wire);
	ldns_pkt_free(pkt);
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
}

static void query_has_rd_clear(void **state)
{
	(void)state;
	ldns_pkt *q = dns_msg_query_new("lease.example.test.", LDNS_RR_TYPE_TXT);
	assert_non_null(q);
	assert_false(ldns_pkt_rd(q));
	uint8_t *wire = NULL;
	size_t len = 0;
	assert_int_equal(dns_msg_render(q, &wire, &len), DF_OK);
	assert_int_equal(wire[2] & 0x01, 0);
	assert_int_equal(wire[5], 1); /* QDCOUNT */
	free(wire);
	ldns_pkt_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prerequisite_and_update_forms),
		cmocka_unit_test(txt_rdata_round_trip),
		cmocka_unit_test(cas_renewal_matches_captured_layout),
		cmocka_unit_test(query_has_rd_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
