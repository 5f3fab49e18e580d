/* Validation of names, values, RRsets, tokens, the config and the token bucket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "src/records/records_api.h"

static void test_names(void **state)
{
	(void)state;
	char out[REC_NAME_MAX];
	rec_error_t e;
	assert_true(rec_name_check("Web-01.Example.COM", REC_A, out, &e));
	assert_string_equal(out, "web-01.example.com.");
	assert_true(rec_name_check("web.example.com.", REC_A, out, &e));
	assert_string_equal(out, "web.example.com.");
	assert_false(rec_name_check("_acme.example.com", REC_A, out, &e));
	assert_string_equal(e.field, "name");
	assert_true(rec_name_check("_acme-challenge.example.com", REC_TXT, out, &e));
	assert_true(rec_name_check("_sip._tcp.example.com", REC_SRV, out, &e));
	assert_false(rec_name_check("a_b.example.com", REC_TXT, out, &e));
	assert_false(rec_name_check("-web.example.com", REC_A, out, &e));
	assert_false(rec_name_check("web-.example.com", REC_A, out, &e));
	assert_false(rec_name_check("a..b", REC_A, out, &e));
	assert_false(rec_name_check("", REC_A, out, &e));
	assert_false(rec_name_check("web example", REC_A, out, &e));
	char longlabel[80];
	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".com");
	assert_false(rec_name_check(longlabel, REC_A, out, &e));
	char longname[300];
	for (int i = 0; i < 64; i++) {
		memcpy(longname + i * 4, "abc.", 4);
	}
	longname[256] = '\0';
	assert_false(rec_name_check(longname, REC_A, out, &e));
}

static void test_values(void **state)
{
	(void)state;
	rec_rrset_t s;
	rec_error_t e;
	rec_rrset_init(&s, "a.example.com.", REC_A, 300);
	assert_true(rec_value_add(&s, "192.0.2.1", &e));
	assert_false(rec_value_add(&s, "192.0.2.256", &e));
	assert_string_equal(e.field, "value");
	assert_false(rec_value_add(&s, "2001:db8::1", &e));
	assert_false(rec_value_add(&s, "192.0.2.1", &e)); /* twice */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].rdlen, 4);
	rec_rrset_clear(&s);

	rec_rrset_init(&s, "a.example.com.", REC_AAAA, 300);
	assert_true(rec_value_add(&s, "2001:DB8:0::1", &e));
	assert_string_equal(s.v[0].text, "2001:db8::1");
	assert_false(rec_value_add(&s, "192.0.2.1", &e));
	rec_rrset_clear(&s);

	rec_rrset_init(&s, "w.example.com.", REC_CNAME, 300);
	assert_true(rec_value_add(&s, "Web.Example.com", &e));
	assert_string_equal(s.v[0].text, "web.example.com.");
	assert_int_equal(s.v[0].rdlen, 17);
	assert_true(rec_value_add(&s, "other.example.com", &e));
	assert_false(rec_rrset_check(&s, 30, 86400, &e)); /* CNAME: one value */
	assert_string_equal(e.field, "values");
	rec_rrset_clear(&s);

	rec_rrset_init(&s, "_sip._tcp.example.com.", REC_SRV, 300);
	assert_true(rec_value_add(&s, "10 5 5060 sip.example.com", &e));
	assert_string_equal(s.v[0].text, "10 5 5060 sip.example.com.");
	assert_false(rec_value_add(&s, "10 5 70000 sip.example.com", &e));
	assert_false(rec_value_add(&s, "10 5 sip.example.com", &e));
	/* round trip through wire form */
	rec_rrset_t back;
	rec_rrset_init(&back, s.name, REC_SRV, 300);
	assert_int_equal(rec_value_add_rdata(&back, s.v[0].rdata, s.v[0].rdlen), DF_OK);
	assert_string_equal(back.v[0].text, s.v[0].text);
	assert_true(rec_rrset_equal(&s, &back, true));
	rec_rrset_clear(&back);
	rec_rrset_clear(&s);

	rec_rrset_init(&s, "t.example.com.", REC_TXT, 300);
	char big[REC_VALUE_MAX + 1];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(rec_value_add(&s, big, &e));
	big[300] = '\0';
	assert_true(rec_value_add(&s, big, &e)); /* split into two strings */
	assert_int_equal(s.v[0].rdlen, 302);
	assert_false(rec_value_add(&s, "bell\a", &e));
	rec_rrset_init(&back, s.name, REC_TXT, 300);
	assert_int_equal(rec_value_add_rdata(&back, s.v[0].rdata, s.v[0].rdlen), DF_OK);
	assert_string_equal(back.v[0].text, big);
	rec_rrset_clear(&back);
	s.ttl = 10;
	assert_false(rec_rrset_check(&s, 30, 86400, &e));
	assert_string_equal(e.field, "ttl");
	rec_rrset_clear(&s);
	rec_rrset_init(&s, "t.example.com.", REC_TXT, 300);
	assert_false(rec_rrset_check(&s, 30, 86400, &e)); /* no value */
}

static void test_etag_order(void **state)
{
	(void)state;
	rec_rrset_t a, b;
	rec_error_t e;
	char ea[32], eb[32];
	rec_rrset_init(&a, "m.example.com.", REC_A, 300);
	rec_rrset_init(&b, "m.example.com.", REC_A, 300);
	assert_true(rec_value_add(&a, "192.0.2.1", &e) && rec_value_add(&a, "192.0.2.2", &e));
	assert_true(rec_value_add(&b, "192.0.2.2", &e) && rec_value_add(&b, "192.0.2.1", &e));
	rec_rrset_sort(&a);
	rec_rrset_sort(&b);
	rec_rrset_etag(&a, ea, sizeof(ea));
	rec_rrset_etag(&b, eb, sizeof(eb));
	assert_string_equal(ea, eb);
	b.ttl = 301;
	rec_rrset_etag(&b, eb, sizeof(eb));
	assert_string_not_equal(ea, eb);
	assert_false(rec_rrset_equal(&a, &b, true));
	assert_true(rec_rrset_equal(&a, &b, false));
	rec_rrset_clear(&a);
	rec_rrset_clear(&b);
}

static const char conf_text[] =
	"tokens_file = /t\naudit_log = /a\n"
	"[zone example.com]\nserver = 127.0.0.1\nport = 5300\nkey_file = /k\n"
	"verify_servers = 127.0.0.1:5301 127.0.0.2\n"
	"[zone sub.example.com]\nserver = ns.example.net\nkey_file = /k\n";

static void test_conf_zones(void **state)
{
	(void)state;
	static rec_conf_t c;
	df_detail_t d;
	assert_int_equal(rec_conf_parse(&c, conf_text, strlen(conf_text), "f", &d), DF_OK);
	assert_int_equal(c.nzones, 2);
	assert_int_equal(c.zones[0].nverify, 2);
	assert_int_equal(c.zones[0].verify[0].port, 5301);
	assert_int_equal(c.zones[0].verify[1].port, 5300); /* the zone's port */
	assert_string_equal(rec_conf_zone_for(&c, "a.sub.example.com.")->name, "sub.example.com.");
	assert_string_equal(rec_conf_zone_for(&c, "sub.example.com.")->name, "sub.example.com.");
	assert_string_equal(rec_conf_zone_for(&c, "xsub.example.com.")->name, "example.com.");
	assert_null(rec_conf_zone_for(&c, "example.org."));
	assert_null(rec_conf_zone_for(&c, "badexample.com."));

	static const char bad[] = "tokens_file = /t\naudit_log = /a\nrate = lots\n";
	assert_int_equal(rec_conf_parse(&c, bad, strlen(bad), "f.conf", &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "f.conf:3"));
	assert_non_null(strstr(d.msg, "rate"));
	static const char misplaced[] = "[zone example.com]\nlisten = :1\n";
	assert_int_equal(rec_conf_parse(&c, misplaced, strlen(misplaced), "f", &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "f:2"));
	static const char nokey[] =
		"tokens_file = /t\naudit_log = /a\n[zone example.com]\nserver = "
		"127.0.0.1\n";
	assert_int_equal(rec_conf_parse(&c, nokey, strlen(nokey), "f", &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "key_file"));
}

static void test_body(void **state)
{
	(void)state;
	static rec_conf_t c;
	df_detail_t d;
	assert_int_equal(rec_conf_parse(&c, conf_text, strlen(conf_text), "f", &d), DF_OK);
	rec_rrset_t s;
	const rec_zone_conf_t *z;
	rec_error_t e;
	unsigned st;
	const char *b = "{\"name\":\"web.sub.example.com\",\"type\":\"A\",\"value\":\"192.0.2.1\"}";
	assert_true(rec_api_parse_body(&c, b, strlen(b), NULL, &s, &z, &e, &st));
	assert_int_equal(s.ttl, 300);
	assert_string_equal(z->name, "sub.example.com.");
	rec_rrset_clear(&s);
	b = "{\"name\":\"web.example.org\",\"type\":\"A\",\"value\":\"192.0.2.1\"}";
	assert_false(rec_api_parse_body(&c, b, strlen(b), NULL, &s, &z, &e, &st));
	assert_int_equal(st, 422);
	assert_non_null(strstr(e.msg, "example.com., sub.example.com."));
	rec_rrset_clear(&s);
	b = "{\"name\":\"web.example.com\",\"type\":\"MX\",\"value\":\"x\"}";
	assert_false(rec_api_parse_body(&c, b, strlen(b), NULL, &s, &z, &e, &st));
	assert_int_equal(st, 400);
	assert_string_equal(e.field, "type");
	rec_rrset_clear(&s);
	b = "{\"name\":\"web.example.com\",\"type\":\"A\",\"value\":\"1.2.3.4\",\"ttl\":5}";
	assert_false(rec_api_parse_body(&c, b, strlen(b), NULL, &s, &z, &e, &st));
	assert_string_equal(e.field, "ttl");
	rec_rrset_clear(&s);
	b = "{\"name\":\"web.example.com\",\"type\":\"A\",\"values\":[\"1.2.3.4\",\"1.2.3.5\"]}";
	assert_true(rec_api_parse_body(&c, b, strlen(b), "web.example.com", &s, &z, &e, &st));
	assert_int_equal(s.n, 2);
	rec_rrset_clear(&s);
	assert_false(rec_api_parse_body(&c, b, strlen(b), "other.example.com", &s, &z, &e, &st));
	assert_string_equal(e.field, "name");
	rec_rrset_clear(&s);
	b = "{\"name\":";
	assert_false(rec_api_parse_body(&c, b, strlen(b), NULL, &s, &z, &e, &st));
	assert_string_equal(e.field, "body");
	rec_rrset_clear(&s);
}

static void test_tokens(void **state)
{
	(void)state;
	static rec_tokens_t ts;
	df_detail_t d;
	const char *t = "# comment\nprov 0123456789abcdef0123 example.com write,read\n"
			"ro fedcba9876543210fedc * read\n";
	assert_int_equal(rec_tokens_parse(&ts, t, strlen(t), "tok", &d), DF_OK);
	assert_int_equal(ts.n, 2);
	const rec_token_t *p = rec_tokens_find(&ts, "0123456789abcdef0123", 20);
	assert_non_null(p);
	assert_string_equal(p->name, "prov");
	assert_null(rec_tokens_find(&ts, "0123456789abcdef012", 19));
	assert_null(rec_tokens_find(&ts, "0123456789abcdef01234", 21));
	assert_true(rec_token_allows(p, "example.com.", REC_VERB_WRITE));
	assert_false(rec_token_allows(p, "example.com.", REC_VERB_DELETE));
	assert_false(rec_token_allows(p, "other.com.", REC_VERB_READ));
	const rec_token_t *ro = rec_tokens_find(&ts, "fedcba9876543210fedc", 20);
	assert_true(rec_token_allows(ro, "any.zone.", REC_VERB_READ));
	assert_false(rec_token_allows(ro, "any.zone.", REC_VERB_WRITE));
	const char *shorty = "x abc * read\n";
	assert_int_equal(rec_tokens_parse(&ts, shorty, strlen(shorty), "tok", &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "tok:1"));
	assert_null(strstr(d.msg, "abc")); /* never quotes the token */
	/* found by fuzzing: a zone list of commas only named no zone */
	const char *nozone = "x 0123456789abcdef0123 , read\n";
	assert_int_equal(rec_tokens_parse(&ts, nozone, strlen(nozone), "tok", &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "names no zone"));
	size_t len;
	assert_string_equal(rec_bearer("Bearer  abc ", &len), "abc ");
	assert_int_equal(len, 3);
	assert_null(rec_bearer("Basic abc", &len));
}

static void test_bucket(void **state)
{
	(void)state;
	rec_bucket_t b = {0};
	unsigned retry = 0;
	for (int i = 0; i < 5; i++) {
		assert_true(rec_bucket_take(&b, 2, 5, 1000, &retry));
	}
	assert_false(rec_bucket_take(&b, 2, 5, 1000, &retry));
	assert_int_equal(retry, 1);
	assert_true(rec_bucket_take(&b, 2, 5, 1500, &retry)); /* one back after 0.5 s */
	assert_false(rec_bucket_take(&b, 2, 5, 1500, &retry));
	assert_true(rec_bucket_take(&b, 0.1, 5, 1500 + 10000, &retry));
	assert_false(rec_bucket_take(&b, 0.1, 5, 1500 + 10000, &retry));
	assert_int_equal(retry, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),	   cmocka_unit_test(test_values),
		cmocka_unit_test(test_etag_order), cmocka_unit_test(test_conf_zones),
		cmocka_unit_test(test_body),	   cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_bucket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
