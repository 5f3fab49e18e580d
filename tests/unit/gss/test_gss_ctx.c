/*
 * The GSS-TSIG context step function (gss/gss_ctx.c) on tokens in memory:
 * the initiator steps against an acceptor in this process
 * (gss_accept_sec_context with the DNS server's keytab) and a throwaway MIT
 * KDC, with no DNS server. Without krb5kdc the cases that need tickets are
 * skipped; when everything else passed the program exits 77.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>

#include <cmocka.h>

#include "gss/gss_ctx.h"
#include "gss/gss_tsig.h"
#include "src/common/error.h"
#include "tests/unit/gss/unit_kdc.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"

#define PEER	"127.0.0.1#53"
#define SERVICE "DNS/ns1.example.test"
/* MIT SPNEGO: NegTokenInit with the AP-REQ, NegTokenResp with the AP-REP. */
#define SPNEGO_STEPS 2

static int kdc_state; /* 0 running, 1 skipped */

static gss_ctx_t *new_ctx(const char *service, bool spnego)
{
	gss_ctx_opts_t o = {
		.server_host = "ns1.example.test",
		.service = service,
		.spnego = spnego,
		.peer = PEER,
	};
	gss_ctx_t *c = NULL;
	df_detail_t d = {""};
	assert_int_equal(gss_ctx_new(&c, &o, &d), DF_OK);
	assert_non_null(c);
	return c;
}

static void test_new_args(void **state)
{
	(void)state;
	gss_ctx_t *c = NULL;
	df_detail_t d = {""};
	gss_ctx_opts_t o = {.server_host = ""};
	assert_int_equal(gss_ctx_new(&c, &o, &d), DF_EINVAL);
	assert_string_equal(d.msg, "gss negotiation: invalid arguments");
	assert_null(c);
	o.server_host = NULL;
	assert_int_equal(gss_ctx_new(&c, &o, &d), DF_EINVAL);
	assert_int_equal(gss_ctx_new(&c, NULL, &d), DF_EINVAL);
	o.server_host = "ns1.example.test";
	assert_int_equal(gss_ctx_new(NULL, &o, &d), DF_EINVAL);
	gss_ctx_free(NULL);
}

/* The principal: derived from the host (trailing dot dropped), or as
 * configured; something that is not a service principal is refused. */
static void test_new_service(void **state)
{
	(void)state;
	gss_ctx_t *c = NULL;
	df_detail_t d = {""};
	gss_ctx_opts_t o = {.server_host = "ns1.example.test."};
	assert_int_equal(gss_ctx_new(&c, &o, &d), DF_OK);
	assert_string_equal(gss_ctx_service(c), SERVICE);
	gss_ctx_free(c);

	o.service = "DNS/dc1.ad.example.test@AD.EXAMPLE.TEST";
	assert_int_equal(gss_ctx_new(&c, &o, &d), DF_OK);
	assert_string_equal(gss_ctx_service(c), "DNS/dc1.ad.example.test@AD.EXAMPLE.TEST");
	gss_ctx_free(c);

	const char *bad[] = {"nohost", "DNS/", "/ns1.example.test"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[200];
		c = (gss_ctx_t *)1;
		o.service = bad[i];
		assert_int_equal(gss_ctx_new(&c, &o, &d), DF_ECONFIG);
		assert_null(c);
		snprintf(want, sizeof(want),
			 "GSS_SERVICE=%s is not a service principal: write DNS/<server host "
			 "name>, optionally with @REALM",
			 bad[i]);
		assert_string_equal(d.msg, want);
	}
}

/* A fresh "<digits>.sig-<host>." key name per context; a host too long for
 * one is refused with the server named. */
static void test_new_key_name(void **state)
{
	(void)state;
	gss_ctx_t *a = new_ctx(NULL, false), *b = new_ctx(NULL, false);
	const char *n = gss_ctx_key_name(a);
	size_t digits = strspn(n, "0123456789");
	assert_true(digits > 0);
	assert_string_equal(n + digits, ".sig-ns1.example.test.");
	assert_string_not_equal(n, gss_ctx_key_name(b));
	assert_ptr_equal(gss_ctx_alg(a), gss_tsig_alg());
	/* nothing to sign with before the context is established */
	assert_null(gss_ctx_key(a));
	assert_int_equal(gss_ctx_remaining(a), 0);
	gss_ctx_free(a);
	gss_ctx_free(b);

	char host[260];
	for (int i = 0; i < 4; i++) {
		memset(host + i * 63, 'a', 62);
		host[i * 63 + 62] = '.';
	}
	strcpy(host + 4 * 63, "test");
	gss_ctx_opts_t o = {.server_host = host, .peer = PEER};
	df_detail_t d = {""};
	gss_ctx_t *c = (gss_ctx_t *)1;
	assert_int_equal(gss_ctx_new(&c, &o, &d), DF_EINVAL);
	assert_null(c);
	assert_non_null(strstr(d.msg, "gss negotiation with " PEER ": server name 'aaa"));
	assert_non_null(strstr(d.msg, "' too long for a key name"));

	/* gss.microsoft.com is kept for the TKEY query */
	o.server_host = "ns1.example.test";
	o.alg = gss_tsig_alg_by_name("gss.microsoft.com");
	assert_int_equal(gss_ctx_new(&c, &o, &d), DF_OK);
	assert_ptr_equal(gss_ctx_alg(c), o.alg);
	gss_ctx_free(c);
}

static void test_step_args(void **state)
{
	(void)state;
	gss_ctx_t *c = new_ctx(NULL, false);
	const uint8_t *tok = (const uint8_t *)"x";
	size_t len = 7;
	bool done = true;
	df_detail_t d = {""};
	assert_int_equal(gss_ctx_step(NULL, NULL, 0, &tok, &len, &done, &d), DF_EINVAL);
	assert_int_equal(gss_ctx_step(c, NULL, 3, &tok, &len, &done, &d), DF_EINVAL);
	assert_int_equal(gss_ctx_step(c, NULL, 0, NULL, &len, &done, &d), DF_EINVAL);
	assert_int_equal(gss_ctx_step(c, NULL, 0, &tok, NULL, &done, &d), DF_EINVAL);
	assert_int_equal(gss_ctx_step(c, NULL, 0, &tok, &len, NULL, &d), DF_EINVAL);
	gss_ctx_free(c);
}

/* Steps c against a fresh acceptor until established; returns the steps
 * taken, the acceptor's context in *actx. */
static int establish(gss_ctx_t *c, gss_ctx_id_t *actx)
{
	const uint8_t *in = NULL;
	size_t in_len = 0;
	gss_buffer_desc back = GSS_C_EMPTY_BUFFER;
	OM_uint32 minor;
	int steps = 0;
	bool done = false;

	while (!done) {
		const uint8_t *tok = NULL;
		size_t len = 0;
		df_detail_t d = {""};
		int rc = gss_ctx_step(c, in, in_len, &tok, &len, &done, &d);
		steps++;
		if (rc != DF_OK) {
			fprintf(stderr, "step %d: %s\n", steps, d.msg);
		}
		assert_int_equal(rc, DF_OK);
		assert_true(steps <= GSS_CTX_MAX_STEPS);
		if (len == 0) {
			assert_true(done);
			break;
		}
		gss_release_buffer(&minor, &back);
		OM_uint32 major = unit_kdc_accept(actx, tok, len, &back);
		assert_false(GSS_ERROR(major));
		in = back.value;
		in_len = back.length;
	}
	gss_release_buffer(&minor, &back);
	return steps;
}

/* The key of an established context signs what the server's context
 * verifies. */
static void check_key(gss_ctx_t *c, gss_ctx_id_t actx)
{
	const tsig_key_t *key = gss_ctx_key(c);
	assert_non_null(key);
	assert_string_equal(key->name, gss_ctx_key_name(c));
	assert_ptr_equal(key->alg, gss_tsig_alg());
	int64_t left = gss_ctx_remaining(c);
	assert_true(left > 0 && left <= 86400);

	tsig_key_t skey;
	assert_int_equal(gss_tsig_key_init(&skey, key->name, gss_tsig_alg(), actx), DF_OK);
	uint8_t msg[512] = {0xab, 0xcd, 0x28, 0,   0,	1, 0,	0,   0,	  0,   0, 0, 7, 'e', 'x',
			    'a',  'm',	'p',  'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 6, 0,   1};
	size_t len = 30;
	tsig_request_t req;
	tsig_result_t res;
	assert_int_equal(tsig_sign_request(key, msg, &len, sizeof(msg), 1795327625, 300, &req),
			 DF_OK);
	assert_int_equal(tsig_verify_request(&skey, msg, len, 1795327625, &res), DF_OK);
	tsig_key_deinit(&skey);
}

/* Kerberos 5: the AP-REQ, then the server's AP-REP completes the context
 * with nothing more to send: two steps. */
static void test_established_krb5(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	gss_ctx_t *c = new_ctx(NULL, false);
	gss_ctx_id_t actx = GSS_C_NO_CONTEXT;
	OM_uint32 minor;

	const uint8_t *tok = NULL;
	size_t len = 0;
	bool done = true;
	df_detail_t d = {""};
	assert_int_equal(gss_ctx_step(c, NULL, 0, &tok, &len, &done, &d), DF_OK);
	assert_false(done);
	assert_true(len > 0);
	assert_null(gss_ctx_key(c));
	gss_buffer_desc back = GSS_C_EMPTY_BUFFER;
	assert_int_equal(unit_kdc_accept(&actx, tok, len, &back), GSS_S_COMPLETE);
	assert_true(back.length > 0);
	assert_int_equal(gss_ctx_step(c, back.value, back.length, &tok, &len, &done, &d), DF_OK);
	gss_release_buffer(&minor, &back);
	assert_true(done);
	assert_int_equal(len, 0);
	assert_null(tok);
	check_key(c, actx);

	/* an established context takes no further step */
	assert_int_equal(gss_ctx_step(c, NULL, 0, &tok, &len, &done, &d), DF_EINVAL);
	assert_non_null(gss_ctx_key(c));
	gss_ctx_free(c);
	gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);

	/* the same through the helper, with the principal's realm given */
	c = new_ctx(SERVICE "@EXAMPLE.TEST", false);
	assert_int_equal(establish(c, &actx), 2);
	check_key(c, actx);
	gss_ctx_free(c);
	gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);
}

/* SPNEGO wraps the same exchange. */
static void test_established_spnego(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	gss_ctx_t *c = new_ctx(NULL, true);
	gss_ctx_id_t actx = GSS_C_NO_CONTEXT;
	OM_uint32 minor;
	assert_int_equal(establish(c, &actx), SPNEGO_STEPS);
	check_key(c, actx);
	gss_ctx_free(c);
	gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);
}

/* Feeds the server's answer to the first step, altered by how, to a fresh
 * context; returns the second step's error and detail. */
static int second_step(void (*how)(gss_buffer_desc *tok, uint8_t *copy, size_t *len),
		       df_detail_t *d)
{
	gss_ctx_t *c = new_ctx(NULL, false);
	gss_ctx_id_t actx = GSS_C_NO_CONTEXT;
	gss_buffer_desc back = GSS_C_EMPTY_BUFFER;
	OM_uint32 minor;
	const uint8_t *tok = NULL;
	size_t len = 0;
	bool done = false;

	assert_int_equal(gss_ctx_step(c, NULL, 0, &tok, &len, &done, d), DF_OK);
	assert_int_equal(unit_kdc_accept(&actx, tok, len, &back), GSS_S_COMPLETE);
	uint8_t copy[4096];
	size_t clen = back.length;
	assert_true(clen <= sizeof(copy));
	memcpy(copy, back.value, clen);
	how(&back, copy, &clen);
	gss_release_buffer(&minor, &back);
	int rc = gss_ctx_step(c, clen > 0 ? copy : NULL, clen, &tok, &len, &done, d);
	assert_false(done);
	assert_int_equal(len, 0);
	assert_null(gss_ctx_key(c));
	/* a failed context stays failed */
	gss_ctx_free(c);
	gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);
	return rc;
}

static void flip_middle(gss_buffer_desc *tok, uint8_t *copy, size_t *len)
{
	(void)tok;
	copy[*len / 2] ^= 0x5a;
}

static void flip_last(gss_buffer_desc *tok, uint8_t *copy, size_t *len)
{
	(void)tok;
	copy[*len - 1] ^= 0x01;
}

static void truncate_half(gss_buffer_desc *tok, uint8_t *copy, size_t *len)
{
	(void)tok;
	(void)copy;
	*len /= 2;
}

static void garbage(gss_buffer_desc *tok, uint8_t *copy, size_t *len)
{
	(void)tok;
	memcpy(copy, "not a GSS token", 15);
	*len = 15;
}

static void empty(gss_buffer_desc *tok, uint8_t *copy, size_t *len)
{
	(void)tok;
	(void)copy;
	*len = 0;
}

/* A corrupted server token is Kerberos refusing the context (DF_EACCES),
 * named as the negotiation with this server for this principal, with the
 * mechanism's words in parentheses. */
static void test_corrupt_token(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	void (*hows[])(gss_buffer_desc *, uint8_t *, size_t *) = {flip_middle, flip_last,
								  truncate_half, garbage};
	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		df_detail_t d = {""};
		assert_int_equal(second_step(hows[i], &d), DF_EACCES);
		const char *want = "GSS negotiation with " PEER " for " SERVICE " failed (";
		if (strncmp(d.msg, want, strlen(want)) != 0) {
			fail_msg("case %zu: %s", i, d.msg);
		}
		assert_non_null(strchr(d.msg + strlen(want), ')'));
	}
}

/* No token from the server while the context is incomplete: the protocol
 * is broken (DF_EMALFORMED), not Kerberos. */
static void test_empty_answer(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	df_detail_t d = {""};
	assert_int_equal(second_step(empty, &d), DF_EMALFORMED);
	assert_string_equal(d.msg, PEER " sent no GSS token for " SERVICE
					" while the context is not complete");
}

/* The first step asks the KDC for the service ticket: an unknown principal
 * is named, with the advice of gss_status. */
static void test_unknown_service(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	gss_ctx_t *c = new_ctx("DNS/nosuch.example.test", false);
	const uint8_t *tok = NULL;
	size_t len = 0;
	bool done = false;
	df_detail_t d = {""};
	assert_int_equal(gss_ctx_step(c, NULL, 0, &tok, &len, &done, &d), DF_EACCES);
	assert_false(done);
	assert_int_equal(len, 0);
	const char *want = "cannot get a ticket for DNS/nosuch.example.test to talk to " PEER " (";
	assert_int_equal(strncmp(d.msg, want, strlen(want)), 0);
	assert_non_null(strstr(d.msg, "the KDC does not know the DNS server's service principal"));
	gss_ctx_free(c);
}

/* No ticket in the cache: the first step says so and what to run. */
static void test_no_ticket(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	char cc[128], saved[128];
	snprintf(saved, sizeof(saved), "%s", getenv("KRB5CCNAME"));
	snprintf(cc, sizeof(cc), "FILE:%s/no-such-cache", unit_kdc_dir());
	setenv("KRB5CCNAME", cc, 1);
	gss_ctx_t *c = new_ctx(NULL, false);
	const uint8_t *tok = NULL;
	size_t len = 0;
	bool done = false;
	df_detail_t d = {""};
	int rc = gss_ctx_step(c, NULL, 0, &tok, &len, &done, &d);
	setenv("KRB5CCNAME", saved, 1);
	gss_ctx_free(c);
	assert_int_equal(rc, DF_EACCES);
	const char *want = "cannot get a ticket for " SERVICE " to talk to " PEER " (";
	assert_int_equal(strncmp(d.msg, want, strlen(want)), 0);
	assert_non_null(strstr(d.msg, "kinit"));
}

int main(void)
{
	kdc_state = unit_kdc_start("test_gss_ctx");
	if (kdc_state < 0) {
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_args),	 cmocka_unit_test(test_new_service),
		cmocka_unit_test(test_new_key_name),	 cmocka_unit_test(test_step_args),
		cmocka_unit_test(test_established_krb5), cmocka_unit_test(test_established_spnego),
		cmocka_unit_test(test_corrupt_token),	 cmocka_unit_test(test_empty_answer),
		cmocka_unit_test(test_unknown_service),	 cmocka_unit_test(test_no_ticket),
	};
	int ret = cmocka_run_group_tests_name("gss_ctx", tests, NULL, NULL);
	unit_kdc_stop();
	if (ret == 0 && kdc_state == 1) {
		printf("test_gss_ctx: krb5kdc not installed, the negotiation cases were skipped\n");
		return 77;
	}
	return ret;
}
