/*
 * Unit tests for src/provider/route53_xml.c: TXT values both ways (quotes,
 * \" \\ and \DDD octal, strings of 255), names, the listings of
 * tests/vectors/route53 (foreign sets, a truncated page), both
 * InvalidChangeBatch envelopes and the other error codes, the version, and
 * the change batch against the takeover sample.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/http/xml_read.h"
#include "src/provider/route53.h"

static char *read_vector(const char *name, size_t *len)
{
	const char *dir = getenv("VECTORS_DIR");
	assert_non_null(dir); /* run through make check */
	char path[4096];
	snprintf(path, sizeof(path), "%s/route53/%s", dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(65536);
	assert_non_null(buf);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void test_txt_decode(void **state)
{
	(void)state;
	char out[600];
	assert_int_equal(
		route53_txt_decode("\"owner=dr exp=1768478520 epoch=8\"", out, sizeof(out)), DF_OK);
	assert_string_equal(out, "owner=dr exp=1768478520 epoch=8");
	/* Several strings are joined; escapes undone; \DDD is octal. */
	assert_int_equal(
		route53_txt_decode("\"a\\\"b\" \"c\\\\d\" \"\\101\\040\\177\"", out, sizeof(out)),
		DF_OK);
	assert_string_equal(out, "a\"bc\\dA \x7f");
	assert_int_equal(route53_txt_decode("\"\\012\"", out, sizeof(out)), DF_OK);
	assert_string_equal(out, "\n"); /* octal 012, not decimal 12 */
	/* Bare words, as some tools write them. */
	assert_int_equal(route53_txt_decode("owner=primary  exp=1", out, sizeof(out)), DF_OK);
	assert_string_equal(out, "owner=primaryexp=1");
	assert_int_equal(route53_txt_decode("\"\"", out, sizeof(out)), DF_OK);
	assert_string_equal(out, "");
	/* Refused: unterminated, a bad escape, a decimal-looking escape, too long. */
	assert_int_equal(route53_txt_decode("\"abc", out, sizeof(out)), DF_EMALFORMED);
	assert_int_equal(route53_txt_decode("\"a\\", out, sizeof(out)), DF_EMALFORMED);
	assert_int_equal(route53_txt_decode("\"\\9\"", out, sizeof(out)), DF_EMALFORMED);
	assert_int_equal(route53_txt_decode("\"\\18\"", out, sizeof(out)), DF_EMALFORMED);
	assert_int_equal(route53_txt_decode("a\"b", out, sizeof(out)), DF_EMALFORMED);
	assert_int_equal(route53_txt_decode("\"abcdef\"", out, 4), DF_ENOSPACE);
}

static void test_txt_encode(void **state)
{
	(void)state;
	char out[2000], back[600];
	const char *v = "owner=primary exp=1768478400 epoch=7";
	assert_int_equal(route53_txt_encode(v, strlen(v), out, sizeof(out)), DF_OK);
	assert_string_equal(out, "\"owner=primary exp=1768478400 epoch=7\"");
	const char odd[] = "a\"b\\c\n\x01\xff";
	assert_int_equal(route53_txt_encode(odd, sizeof(odd) - 1, out, sizeof(out)), DF_OK);
	assert_string_equal(out, "\"a\\\"b\\\\c\\012\\001\\377\"");
	assert_int_equal(route53_txt_decode(out, back, sizeof(back)), DF_OK);
	assert_memory_equal(back, odd, sizeof(odd) - 1);
	/* 300 bytes: two strings, 255 then 45; both ways. */
	char big[301];
	memset(big, 'x', 300);
	big[300] = '\0';
	assert_int_equal(route53_txt_encode(big, 300, out, sizeof(out)), DF_OK);
	assert_int_equal(strlen(out), 300 + 5);
	assert_int_equal(out[256], '"');
	assert_int_equal(out[257], ' ');
	assert_int_equal(route53_txt_decode(out, back, sizeof(back)), DF_OK);
	assert_string_equal(back, big);
	assert_int_equal(route53_txt_encode(v, strlen(v), out, 10), DF_ENOSPACE);
}

static void test_name_decode(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(route53_name_decode("Lease.Example.COM.", out, sizeof(out)), DF_OK);
	assert_string_equal(out, "lease.example.com.");
	assert_int_equal(route53_name_decode("\\052.example.com.", out, sizeof(out)), DF_OK);
	assert_string_equal(out, "*.example.com.");
	assert_int_equal(route53_name_decode("a\\", out, sizeof(out)), DF_EMALFORMED);
	assert_int_equal(route53_name_decode("\\000", out, sizeof(out)), DF_EMALFORMED);
	assert_int_equal(route53_name_decode("abcdef", out, 3), DF_ENOSPACE);
}

static route53_page_t *listing(const char *file, const char *record, int want)
{
	size_t len;
	char *body = read_vector(file, &len);
	route53_page_t *pg = calloc(1, sizeof(*pg));
	assert_non_null(pg);
	char why[200];
	assert_int_equal(route53_parse_listing(body, len, record, pg, why, sizeof(why)), want);
	free(body);
	return pg;
}

static void test_listing_lease(void **state)
{
	(void)state;
	route53_page_t *pg = listing("synth-list-rrsets-lease.xml", "lease.example.com.", DF_OK);
	assert_true(pg->a.present);
	assert_int_equal(pg->a.ttl, 30);
	assert_int_equal(pg->a.count, 1);
	assert_string_equal(pg->a.values[0], "192.0.2.10");
	assert_true(pg->txt.present);
	assert_string_equal(pg->txt.values[0], "\"owner=primary exp=1768478400\"");
	assert_false(pg->truncated);
	assert_int_equal(pg->foreign_count, 0);
	free(pg);
	/* Another name in the same listing is not the lease. */
	pg = listing("synth-list-rrsets-lease.xml", "ns1.example.com.", DF_OK);
	assert_true(pg->a.present);
	assert_false(pg->txt.present);
	free(pg);
}

static void test_listing_foreign(void **state)
{
	(void)state;
	route53_page_t *pg =
		listing("boto-fixture-list-rrsets-1.xml", "failover.example.com.", DF_OK);
	assert_false(pg->a.present);
	assert_int_equal(pg->foreign_count, 1);
	assert_non_null(strstr(pg->foreign, "failover.example.com. A (it has SetIdentifier)"));
	free(pg);
	pg = listing("boto-fixture-list-rrsets-1.xml", "us-west-2-evaluate-health.example.com.",
		     DF_OK);
	assert_int_equal(pg->foreign_count, 1);
	assert_non_null(strstr(pg->foreign, "AliasTarget"));
	free(pg);
	pg = listing("boto-fixture-list-rrsets-1.xml", "www.example.com.", DF_OK);
	assert_true(pg->a.present);
	assert_string_equal(pg->a.values[0], "10.0.0.2");
	assert_int_equal(pg->foreign_count, 0);
	free(pg);
}

static void test_listing_pages(void **state)
{
	(void)state;
	route53_page_t *pg = listing("boto-fixture-list-rrsets-2.xml", "wrr.example.com.", DF_OK);
	assert_true(pg->truncated);
	assert_string_equal(pg->next_name, "wrr.example.com.");
	assert_string_equal(pg->next_type, "A");
	assert_string_equal(pg->next_id, "secondary");
	assert_int_equal(pg->foreign_count, 1); /* the weighted "primary" set */
	free(pg);
	pg = listing("boto-fixture-list-rrsets-3.xml", "wrr.example.com.", DF_OK);
	assert_false(pg->truncated);
	assert_int_equal(pg->foreign_count, 1);
	free(pg);
	/* Not a listing, or a broken one. */
	pg = listing("lego-fixture-getChangeResponse.xml", "lease.example.com.", DF_EMALFORMED);
	free(pg);
	route53_page_t p2 = {0};
	const char *twice = "<ListResourceRecordSetsResponse><ResourceRecordSets>"
			    "<ResourceRecordSet><Name>a.</Name><Type>A</Type><TTL>1</TTL>"
			    "<ResourceRecords><ResourceRecord><Value>1.2.3.4</Value>"
			    "</ResourceRecord></ResourceRecords></ResourceRecordSet>"
			    "<ResourceRecordSet><Name>a.</Name><Type>A</Type><TTL>1</TTL>"
			    "<ResourceRecords><ResourceRecord><Value>1.2.3.4</Value>"
			    "</ResourceRecord></ResourceRecords></ResourceRecordSet>"
			    "</ResourceRecordSets><IsTruncated>false</IsTruncated>"
			    "</ListResourceRecordSetsResponse>";
	char why[200];
	assert_int_equal(route53_parse_listing(twice, strlen(twice), "a.", &p2, why, sizeof(why)),
			 DF_EMALFORMED);
	assert_non_null(strstr(why, "twice"));
}

static route53_error_kind_t err_of(const char *file, long status, char *code, char *msg)
{
	size_t len;
	char *body = read_vector(file, &len);
	route53_error_kind_t k = route53_parse_error(status, body, len, code, 64, msg, 512);
	free(body);
	return k;
}

static void test_errors(void **state)
{
	(void)state;
	char code[64], msg[512];
	assert_int_equal(err_of("captured-boto-issue-2887-errorresponse-invalidchangebatch.xml",
				400, code, msg),
			 ROUTE53_ERR_CONFLICT);
	assert_string_equal(code, "InvalidChangeBatch");
	assert_int_equal(err_of("synth-errorresponse-invalidchangebatch-values-mismatch.xml", 400,
				code, msg),
			 ROUTE53_ERR_CONFLICT);
	assert_int_equal(err_of("synth-invalid-change-batch-not-found.xml", 400, code, msg),
			 ROUTE53_ERR_CONFLICT);
	assert_string_equal(code, "InvalidChangeBatch");
	assert_non_null(strstr(msg, "but it was not found"));
	assert_int_equal(err_of("synth-invalid-change-batch-values-mismatch.xml", 400, code, msg),
			 ROUTE53_ERR_CONFLICT);
	assert_int_equal(
		err_of("synth-error-response-prior-request-not-complete.xml", 400, code, msg),
		ROUTE53_ERR_RETRY);
	assert_string_equal(code, "PriorRequestNotComplete");

	const char *fmt = "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s"
			  "</Message></Error></ErrorResponse>";
	static const struct {
		const char *code, *msg;
		long status;
		route53_error_kind_t kind;
	} cases[] = {
		{"Throttling", "Rate exceeded", 400, ROUTE53_ERR_RETRY},
		{"SignatureDoesNotMatch", "x", 403, ROUTE53_ERR_AUTH},
		{"InvalidClientTokenId", "x", 403, ROUTE53_ERR_AUTH},
		{"AccessDenied", "x", 403, ROUTE53_ERR_AUTH},
		{"NoSuchHostedZone", "x", 404, ROUTE53_ERR_CONFIG},
		{"InvalidInput", "x", 400, ROUTE53_ERR_CONFIG},
		{"InternalFailure", "x", 500, ROUTE53_ERR_SERVER},
		/* Another InvalidChangeBatch is a configuration error. */
		{"InvalidChangeBatch", "RRSet with DNS name a.org. is not permitted in zone b.com.",
		 400, ROUTE53_ERR_BATCH},
		{"InvalidChangeBatch",
		 "[Tried to create resource record set [name='a.', type='A'] but it already "
		 "exists, "
		 "Tried to delete resource record set [name='a.', type='TXT'] but it was not "
		 "found]",
		 400, ROUTE53_ERR_CONFLICT},
		{"InvalidChangeBatch",
		 "[Tried to delete resource record set [name='a.', type='TXT'] but it was not "
		 "found, "
		 "Invalid Resource Record: FATAL problem: InvalidCharacterString]",
		 400, ROUTE53_ERR_BATCH},
		{"InvalidChangeBatch", "", 400, ROUTE53_ERR_BATCH},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[1024];
		snprintf(body, sizeof(body), fmt, cases[i].code, cases[i].msg);
		assert_int_equal(route53_parse_error(cases[i].status, body, strlen(body), code,
						     sizeof(code), msg, sizeof(msg)),
				 cases[i].kind);
	}
	/* No XML at all: the status decides. */
	assert_int_equal(
		route53_parse_error(502, "<html>", 6, code, sizeof(code), msg, sizeof(msg)),
		ROUTE53_ERR_SERVER);
	assert_int_equal(route53_parse_error(403, "", 0, code, sizeof(code), msg, sizeof(msg)),
			 ROUTE53_ERR_AUTH);
	assert_int_equal(route53_parse_error(429, "", 0, code, sizeof(code), msg, sizeof(msg)),
			 ROUTE53_ERR_RETRY);
	assert_false(route53_conflict_message("Tried to delete resource record set"));
	assert_false(route53_conflict_message("[]"));
}

static void test_version(void **state)
{
	(void)state;
	route53_set_t *a = calloc(1, sizeof(*a)), *t = calloc(1, sizeof(*t));
	route53_set_t *a2 = calloc(1, sizeof(*a2)), *t2 = calloc(1, sizeof(*t2));
	assert_true(a != NULL && t != NULL && a2 != NULL && t2 != NULL);
	a->present = true;
	a->ttl = 30;
	a->count = 2;
	strcpy(a->values[0], "192.0.2.10");
	strcpy(a->values[1], "192.0.2.11");
	t->present = true;
	t->ttl = 60;
	t->count = 1;
	strcpy(t->values[0], "\"owner=primary exp=1 epoch=2\" \"a\\nb\"");
	lease_version_t v;
	assert_int_equal(route53_version_put(&v, a, t), DF_OK);
	assert_int_equal(route53_version_get(&v, a2, t2), DF_OK);
	assert_true(a2->present && t2->present);
	assert_int_equal(a2->count, 2);
	assert_string_equal(a2->values[1], "192.0.2.11");
	assert_int_equal(t2->ttl, 60);
	assert_string_equal(t2->values[0], t->values[0]);
	/* Only a TXT; then garbage. */
	a->present = false;
	assert_int_equal(route53_version_put(&v, a, t), DF_OK);
	assert_int_equal(route53_version_get(&v, a2, t2), DF_OK);
	assert_false(a2->present);
	memcpy(v.bytes, "XX 1 1\n", 7);
	assert_int_equal(route53_version_get(&v, a2, t2), DF_EMALFORMED);
	/* Too much for a lease version. */
	t->count = ROUTE53_VALUES_MAX;
	for (size_t i = 0; i < t->count; i++) {
		memset(t->values[i], 'x', ROUTE53_VALUE_MAX - 1);
		t->values[i][ROUTE53_VALUE_MAX - 1] = '\0';
	}
	assert_int_equal(route53_version_put(&v, a, t), DF_ENOSPACE);
	free(a);
	free(t);
	free(a2);
	free(t2);
}

/* The (Action, Type, TTL, Value) list of a ChangeResourceRecordSetsRequest. */
static void changes_of(const char *xml, size_t len, char *out, size_t size)
{
	xml_doc_t *doc = NULL;
	assert_int_equal(xml_parse(&doc, xml, len, NULL, 0), DF_OK);
	out[0] = '\0';
	for (const xml_node_t *c =
		     xml_child(xml_path(xml_root(doc), "ChangeBatch/Changes"), "Change");
	     c != NULL; c = xml_next(c, "Change")) {
		const xml_node_t *rs = xml_child(c, "ResourceRecordSet");
		size_t used = strlen(out);
		snprintf(out + used, size - used, "%s %s %s %s %s|", xml_child_text(c, "Action"),
			 xml_child_text(rs, "Name"), xml_child_text(rs, "Type"),
			 xml_child_text(rs, "TTL"),
			 xml_text(xml_path(rs, "ResourceRecords/ResourceRecord/Value")));
	}
	xml_free(doc);
}

static void test_change_batch(void **state)
{
	(void)state;
	route53_set_t *oa = calloc(1, sizeof(*oa)), *ot = calloc(1, sizeof(*ot));
	route53_set_t *na = calloc(1, sizeof(*na)), *nt = calloc(1, sizeof(*nt));
	assert_true(oa != NULL && ot != NULL && na != NULL && nt != NULL);
	*oa = (route53_set_t){.present = true, .ttl = 30, .count = 1};
	strcpy(oa->values[0], "192.0.2.10");
	*ot = (route53_set_t){.present = true, .ttl = 30, .count = 1};
	strcpy(ot->values[0], "\"owner=primary exp=1768478400\"");
	lease_t next = {.has_a = true};
	strcpy(next.a, "192.0.2.20");
	strcpy(next.lease.owner, "dr");
	next.lease.exp = 1768478520;
	next.lease.epoch = 8;
	char *batch = NULL, what[160];
	assert_int_equal(route53_change_batch("lease.example.com.", 30, oa, ot, &next, na, nt,
					      &batch, what, sizeof(what)),
			 DF_OK);
	assert_string_equal(what, "DELETE TXT, DELETE A, CREATE TXT, CREATE A");
	assert_null(strstr(batch, "UPSERT"));
	char got[2000], want[2000];
	changes_of(batch, strlen(batch), got, sizeof(got));
	size_t len;
	char *sample = read_vector("synth-change-request-cas-takeover.xml", &len);
	changes_of(sample, len, want, sizeof(want));
	/* The sample carries the older value (README): the same batch but for the new TXT. */
	char *p = strstr(want, "\"owner=secondary exp=1768478520\"");
	assert_non_null(p);
	char fixed[2000];
	snprintf(fixed, sizeof(fixed), "%.*s\"owner=dr exp=1768478520 epoch=8\"%s", (int)(p - want),
		 want, p + strlen("\"owner=secondary exp=1768478520\""));
	assert_string_equal(got, fixed);
	assert_string_equal(nt->values[0], "\"owner=dr exp=1768478520 epoch=8\"");
	free(batch);
	free(sample);

	/* A renewal keeps the A set: DELETE TXT, CREATE TXT. */
	strcpy(next.a, "192.0.2.10");
	assert_int_equal(route53_change_batch("lease.example.com.", 30, oa, ot, &next, na, nt,
					      &batch, what, sizeof(what)),
			 DF_OK);
	assert_string_equal(what, "DELETE TXT, CREATE TXT");
	assert_string_equal(na->values[0], "192.0.2.10");
	free(batch);
	/* First acquisition: CREATE only; an A set found is deleted as read. */
	assert_int_equal(route53_change_batch("lease.example.com.", 30, NULL, NULL, &next, na, nt,
					      &batch, what, sizeof(what)),
			 DF_OK);
	assert_string_equal(what, "CREATE TXT, CREATE A");
	free(batch);
	oa->ttl = 300;
	assert_int_equal(route53_change_batch("lease.example.com.", 30, oa, NULL, &next, na, nt,
					      &batch, what, sizeof(what)),
			 DF_OK);
	assert_string_equal(what, "DELETE A, CREATE TXT, CREATE A");
	free(batch);
	/* Values are XML-escaped. */
	strcpy(ot->values[0], "\"a<b&c\"");
	assert_int_equal(route53_change_batch("lease.example.com.", 30, oa, ot, &next, na, nt,
					      &batch, what, sizeof(what)),
			 DF_OK);
	assert_non_null(strstr(batch, "&quot;a&lt;b&amp;c&quot;"));
	free(batch);
	/* An IPv6 address is not an A record. */
	strcpy(next.a, "2001:db8::1");
	assert_int_equal(route53_change_batch("lease.example.com.", 30, oa, ot, &next, na, nt,
					      &batch, what, sizeof(what)),
			 DF_EINVAL);
	free(oa);
	free(ot);
	free(na);
	free(nt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt_decode),	cmocka_unit_test(test_txt_encode),
		cmocka_unit_test(test_name_decode),	cmocka_unit_test(test_listing_lease),
		cmocka_unit_test(test_listing_foreign), cmocka_unit_test(test_listing_pages),
		cmocka_unit_test(test_errors),		cmocka_unit_test(test_version),
		cmocka_unit_test(test_change_batch),
	};
	return cmocka_run_group_tests_name("route53_xml", tests, NULL, NULL);
}
