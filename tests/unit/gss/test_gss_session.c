/*
 * The GSS-TSIG session (gss/gss_session.c): its options, its credentials,
 * and when it negotiates a context, on a fake clock. Contexts are
 * negotiated in memory (gss_ctx_step() against an acceptor in this process,
 * the throwaway KDC of unit_kdc.c), with no DNS server: the negotiation
 * function counts its calls and can be told to fail like a server that does
 * not answer. Without krb5kdc the cases that need tickets are skipped; when
 * everything else passed the program exits 77.
 *
 * This program defines the clock seam of src/common/clock.h itself, so the
 * library's clock.c is not linked: the session sees only fake_wall and
 * fake_mono_ms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi.h>

#include <cmocka.h>

#include "gss/gss_ctx.h"
#include "gss/gss_session.h"
#include "src/common/clock.h"
#include "src/common/error.h"
#include "tests/unit/gss/unit_kdc.h"
#include "tsig/tsig_key.h"

#define PEER	  "127.0.0.1#53"
#define PRINCIPAL "lease-primary@EXAMPLE.TEST"
/* 2026-11-22 12:00:00 UTC: a ticket of a day ends on the 23rd. */
#define WALL0 1795348800
#define MONO0 5000000

/* ---- the clock seam, faked ------------------------------------------- */

static int64_t fake_wall = WALL0;
static int64_t fake_mono_ms = MONO0;

int64_t clock_wall(void)
{
	return fake_wall;
}

int64_t clock_mono_ms(void)
{
	return fake_mono_ms;
}

int64_t clock_lease_wall(void)
{
	return fake_wall;
}

void clock_set_wall_offset(int64_t offset)
{
	(void)offset;
}

void clock_set_lease_offset(int64_t offset)
{
	(void)offset;
}

/* ---- the negotiation, in memory -------------------------------------- */

typedef struct fake_server {
	unsigned calls; /* negotiations asked for */
	bool fail;	/* answer like a server that is down */
	char peer[64];	/* o->peer of the last call */
} fake_server_t;

static int negotiate_in_memory(void *arg, const gss_ctx_opts_t *o, gss_ctx_t **out, df_detail_t *d)
{
	fake_server_t *f = arg;
	gss_ctx_t *c = NULL;
	gss_ctx_id_t actx = GSS_C_NO_CONTEXT;
	gss_buffer_desc back = GSS_C_EMPTY_BUFFER;
	const uint8_t *in = NULL;
	size_t in_len = 0;
	bool done = false;
	OM_uint32 minor;

	f->calls++;
	snprintf(f->peer, sizeof(f->peer), "%s", o->peer != NULL ? o->peer : "");
	if (f->fail) {
		df_detail_set(d, "TKEY negotiation with %s for DNS/ns1.example.test: timed out",
			      o->peer);
		return DF_ETIMEDOUT;
	}
	int rc = gss_ctx_new(&c, o, d);
	while (rc == DF_OK && !done) {
		const uint8_t *tok = NULL;
		size_t len = 0;
		rc = gss_ctx_step(c, in, in_len, &tok, &len, &done, d);
		if (rc != DF_OK || len == 0) {
			break;
		}
		gss_release_buffer(&minor, &back);
		if (GSS_ERROR(unit_kdc_accept(&actx, tok, len, &back))) {
			df_detail_set(d, "the acceptor refused the token");
			rc = DF_EACCES;
			break;
		}
		in = back.value;
		in_len = back.length;
	}
	gss_release_buffer(&minor, &back);
	gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);
	if (rc != DF_OK) {
		gss_ctx_free(c);
		return rc;
	}
	*out = c;
	return DF_OK;
}

/* ---- the log, captured ----------------------------------------------- */

static char logbuf[16384];
static FILE *cap;
static int saved_stderr = -1;

static void capture_start(void)
{
	fflush(stderr);
	cap = tmpfile();
	assert_non_null(cap);
	saved_stderr = dup(2);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(cap), 2) >= 0);
}

/* Stops capturing; returns what was logged (also passed on to stderr). */
static const char *capture_end(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	rewind(cap);
	size_t n = fread(logbuf, 1, sizeof(logbuf) - 1, cap);
	logbuf[n] = '\0';
	fclose(cap);
	fputs(logbuf, stderr);
	return logbuf;
}

/* ---- helpers ---------------------------------------------------------- */

static int kdc_state; /* 0 running, 1 skipped */

static int reset(void **state)
{
	(void)state;
	fake_wall = WALL0;
	fake_mono_ms = MONO0;
	gss_session_set_key_lifetime(0);
	return 0;
}

static gss_session_t *new_session(bool keytab)
{
	char kt[256];
	snprintf(kt, sizeof(kt), "%s/client.keytab", unit_kdc_dir());
	gss_session_opts_t o = {
		.server_host = "ns1.example.test",
		.keytab = keytab ? kt : NULL,
		.principal = keytab ? "lease-primary" : NULL,
	};
	gss_session_t *s = NULL;
	df_detail_t d = {""};
	int rc = gss_session_new(&s, &o, &d);
	if (rc != DF_OK) {
		fail_msg("gss_session_new: %s", d.msg);
	}
	return s;
}

/* gss_session_key() through the in-memory server; returns whether it
 * negotiated, fails the test on an error. */
static bool key_now(gss_session_t *s, fake_server_t *f, const tsig_key_t **key)
{
	bool negotiated = true;
	df_detail_t d = {""};
	int rc = gss_session_key(s, PEER, negotiate_in_memory, f, key, &negotiated, &d);
	if (rc != DF_OK) {
		fail_msg("gss_session_key: %s (%s)", d.msg, df_strerror(rc));
	}
	assert_non_null(*key);
	return negotiated;
}

/* ---- cases ------------------------------------------------------------ */

static void test_new_options(void **state)
{
	(void)state;
	gss_session_t *s = NULL;
	df_detail_t d = {""};
	gss_session_opts_t o = {.server_host = ""};
	assert_int_equal(gss_session_new(&s, &o, &d), DF_EINVAL);
	assert_string_equal(d.msg, "GSS-TSIG needs the DNS server's host name");
	assert_null(s);

	o.server_host = "ns1.example.test";
	o.alg = "hmac-sha256";
	assert_int_equal(gss_session_new(&s, &o, &d), DF_ECONFIG);
	assert_string_equal(d.msg, "GSS_TSIG_ALG=hmac-sha256 is not a GSS-TSIG algorithm: use "
				   "gss-tsig (RFC 3645) or gss.microsoft.com (Windows 2000 "
				   "servers)");
	o.alg = NULL;
	o.keytab = "/etc/dnsfailover/client.keytab";
	assert_int_equal(gss_session_new(&s, &o, &d), DF_ECONFIG);
	assert_string_equal(d.msg, "GSS_KEYTAB=/etc/dnsfailover/client.keytab needs "
				   "GSS_PRINCIPAL, the principal whose key it holds (klist -k -t "
				   "/etc/dnsfailover/client.keytab lists them)");

	o.keytab = NULL;
	o.server_host = "ns1.example.test.";
	assert_int_equal(gss_session_new(&s, &o, &d), DF_OK);
	assert_string_equal(gss_session_service(s), "DNS/ns1.example.test");
	assert_string_equal(gss_session_principal(s), "the default principal");
	assert_int_equal(gss_session_remaining(s), 0);
	assert_int_equal(gss_session_negotiations(s), 0);

	/* gss_session_key() checks its arguments before anything else */
	fake_server_t f = {0};
	const tsig_key_t *key = NULL;
	bool negotiated = true;
	assert_int_equal(gss_session_key(s, NULL, negotiate_in_memory, &f, &key, &negotiated, &d),
			 DF_EINVAL);
	assert_false(negotiated);
	assert_int_equal(gss_session_key(s, PEER, NULL, &f, &key, NULL, &d), DF_EINVAL);
	assert_int_equal(gss_session_key(s, PEER, negotiate_in_memory, &f, NULL, NULL, &d),
			 DF_EINVAL);
	assert_int_equal(gss_session_key(NULL, PEER, negotiate_in_memory, &f, &key, NULL, &d),
			 DF_EINVAL);
	assert_int_equal(f.calls, 0);
	gss_session_free(s);
	gss_session_free(NULL);
	assert_int_equal(gss_session_remaining(NULL), 0);
	assert_int_equal(gss_session_negotiations(NULL), 0);
}

/* Keytab credentials: a ticket of its own, described with its end on the
 * (fake) wall clock. */
static void test_credentials_keytab(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	gss_session_t *s = new_session(true);
	char what[700], want[700];
	df_detail_t d = {""};
	assert_string_equal(gss_session_principal(s), "lease-primary");
	assert_int_equal(gss_session_credentials(s, what, sizeof(what), &d), DF_OK);
	snprintf(want, sizeof(want),
		 "Kerberos ticket for " PRINCIPAL " from keytab %s/client.keytab (GSS_KEYTAB), "
		 "valid until 2026-11-23 ",
		 unit_kdc_dir());
	if (strncmp(what, want, strlen(want)) != 0) {
		fail_msg("%s", what);
	}
	assert_string_equal(what + strlen(what) - 4, " UTC");
	assert_string_equal(gss_session_principal(s), PRINCIPAL);
	gss_session_free(s);
}

/* The first key negotiates; later ones reuse the context until it is due:
 * with a server keeping keys 40 s and a ticket of a day, a quarter early,
 * 30 s after the negotiation on the monotonic clock. */
static void test_renegotiate_before_key_expires(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	gss_session_set_key_lifetime(40);
	gss_session_t *s = new_session(false);
	fake_server_t f = {0};
	const tsig_key_t *k1 = NULL, *k2 = NULL;

	capture_start();
	bool negotiated = key_now(s, &f, &k1);
	const char *log = capture_end();
	assert_true(negotiated);
	assert_int_equal(f.calls, 1);
	assert_string_equal(f.peer, PEER);
	assert_int_equal(gss_session_negotiations(s), 1);
	char want[600];
	snprintf(want, sizeof(want),
		 "[INFO] GSS-TSIG: negotiated key %s with " PEER " as " PRINCIPAL
		 " for DNS/ns1.example.test (gss-tsig; renegotiated in 30 s, before the "
		 "server's key expires)\n",
		 k1->name);
	assert_non_null(strstr(log, want));
	char first[sizeof(k1->name)];
	snprintf(first, sizeof(first), "%s", k1->name);
	assert_true(gss_session_remaining(s) > 40);

	fake_mono_ms += 29999;
	assert_false(key_now(s, &f, &k2));
	assert_ptr_equal(k2, k1);
	assert_int_equal(f.calls, 1);

	fake_mono_ms += 1;
	assert_true(key_now(s, &f, &k2));
	assert_int_equal(f.calls, 2);
	assert_int_equal(gss_session_negotiations(s), 2);
	assert_string_not_equal(k2->name, first);

	/* and again 30 s after that one */
	fake_mono_ms += 29999;
	assert_false(key_now(s, &f, &k2));
	fake_mono_ms += 1;
	assert_true(key_now(s, &f, &k2));
	assert_int_equal(f.calls, 3);
	gss_session_free(s);
}

/* With the hour BIND keeps keys, 5 minutes early. */
static void test_renegotiate_default_hour(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	gss_session_t *s = new_session(true);
	fake_server_t f = {0};
	const tsig_key_t *key = NULL;
	capture_start();
	assert_true(key_now(s, &f, &key));
	const char *log = capture_end();
	assert_non_null(strstr(log, "(gss-tsig; renegotiated in 3300 s, before the server's "
				    "key expires)"));
	fake_mono_ms += 3300 * 1000 - 1;
	assert_false(key_now(s, &f, &key));
	fake_mono_ms += 1;
	assert_true(key_now(s, &f, &key));
	assert_int_equal(f.calls, 2);
	gss_session_free(s);
}

/* A renegotiation that fails keeps the current context while it lasts,
 * says so, and is tried again 10 s later, not on every exchange. */
static void test_renew_failure_keeps_context(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	gss_session_set_key_lifetime(40);
	gss_session_t *s = new_session(false);
	fake_server_t f = {0};
	const tsig_key_t *k1 = NULL, *k2 = NULL;
	assert_true(key_now(s, &f, &k1));

	f.fail = true;
	fake_mono_ms += 30000;
	capture_start();
	assert_false(key_now(s, &f, &k2));
	const char *log = capture_end();
	assert_ptr_equal(k2, k1);
	assert_int_equal(f.calls, 2);
	assert_non_null(strstr(log, "[WARN] GSS-TSIG: cannot renew the context yet, the current "
				    "one is good for "));
	assert_non_null(strstr(log, " s more: TKEY negotiation with " PEER
				    " for DNS/ns1.example.test: timed out\n"));

	fake_mono_ms += 9999;
	assert_false(key_now(s, &f, &k2));
	assert_int_equal(f.calls, 2);
	fake_mono_ms += 1;
	assert_false(key_now(s, &f, &k2));
	assert_int_equal(f.calls, 3);
	assert_ptr_equal(k2, k1);

	f.fail = false;
	fake_mono_ms += 10000;
	assert_true(key_now(s, &f, &k2));
	assert_int_equal(f.calls, 4);
	assert_int_equal(gss_session_negotiations(s), 2);
	gss_session_free(s);
}

/* No context yet and the server does not answer: the error is the
 * negotiation's, and nothing is cached. */
static void test_first_negotiation_fails(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	gss_session_t *s = new_session(false);
	fake_server_t f = {.fail = true};
	const tsig_key_t *key = NULL;
	bool negotiated = true;
	df_detail_t d = {""};
	assert_int_equal(gss_session_key(s, PEER, negotiate_in_memory, &f, &key, &negotiated, &d),
			 DF_ETIMEDOUT);
	assert_false(negotiated);
	assert_null(key);
	assert_string_equal(d.msg,
			    "TKEY negotiation with " PEER " for DNS/ns1.example.test: timed out");
	assert_int_equal(gss_session_negotiations(s), 0);
	f.fail = false;
	assert_true(key_now(s, &f, &key));
	assert_int_equal(f.calls, 2);
	gss_session_free(s);
}

/* After a BADKEY the context is dropped: the next key negotiates at once. */
static void test_drop(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	gss_session_t *s = new_session(true);
	fake_server_t f = {0};
	const tsig_key_t *key = NULL;
	assert_true(key_now(s, &f, &key));
	gss_session_drop(s);
	assert_int_equal(gss_session_remaining(s), 0);
	assert_true(key_now(s, &f, &key));
	assert_false(key_now(s, &f, &key));
	assert_int_equal(f.calls, 2);
	gss_session_drop(NULL);
	gss_session_free(s);
}

/* Ticket-cache credentials are re-read every 10 s (monotonic); a ticket
 * whose end moved later (kinit, k5start, sssd renewed it) retires the
 * context built from the old one. */
static void test_ticket_renewed(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	gss_session_t *s = new_session(false);
	fake_server_t f = {0};
	const tsig_key_t *key = NULL;
	assert_true(key_now(s, &f, &key));

	/* re-read, same end: nothing happens */
	fake_mono_ms += 10000;
	assert_false(key_now(s, &f, &key));

	/* two minutes later a renewed ticket, but the last re-read was 5 s ago */
	assert_int_equal(unit_kdc_kinit(NULL), 0);
	fake_wall += 120;
	fake_mono_ms += 5000;
	assert_false(key_now(s, &f, &key));
	assert_int_equal(f.calls, 1);

	fake_mono_ms += 5000;
	capture_start();
	assert_true(key_now(s, &f, &key));
	const char *log = capture_end();
	assert_int_equal(f.calls, 2);
	assert_non_null(strstr(log, "[INFO] GSS-TSIG: the Kerberos ticket of " PRINCIPAL
				    " was renewed (valid until 2026-11-23 "));
	assert_non_null(strstr(log, " UTC): negotiating a new context\n"));
	assert_non_null(strstr(log, "[INFO] GSS-TSIG: negotiated key "));

	/* keytab tickets are MIT's to renew: never re-read between negotiations */
	gss_session_t *k = new_session(true);
	assert_true(key_now(k, &f, &key));
	fake_wall += 600;
	fake_mono_ms += 60000;
	assert_false(key_now(k, &f, &key));
	assert_int_equal(f.calls, 3);
	gss_session_free(k);
	gss_session_free(s);
}

/* A ticket shorter than the server's hour: the context ends with it, so it
 * is renegotiated just past its end, when Kerberos gets a fresh ticket. */
static void test_renegotiate_when_ticket_ends(void **state)
{
	(void)state;
	if (kdc_state == 1) {
		skip();
	}
	assert_int_equal(unit_kdc_kinit("-l 20m"), 0);
	gss_session_t *s = new_session(false);
	fake_server_t f = {0};
	const tsig_key_t *key = NULL;
	capture_start();
	assert_true(key_now(s, &f, &key));
	const char *log = capture_end();
	int64_t life = gss_session_remaining(s);
	assert_true(life > 1100 && life <= 1200);
	assert_non_null(strstr(log, " s, when its service ticket ends)\n"));
	const char *in = strstr(log, "renegotiated in ");
	assert_non_null(in);
	long long renew_in = strtoll(in + strlen("renegotiated in "), NULL, 10);
	assert_true(renew_in == life + 1 || renew_in == life + 2);

	fake_mono_ms += (renew_in - 1) * 1000;
	assert_false(key_now(s, &f, &key));
	/* the re-read found the same ticket */
	assert_int_equal(f.calls, 1);
	fake_mono_ms += 1000;
	assert_true(key_now(s, &f, &key));
	assert_int_equal(f.calls, 2);
	gss_session_free(s);
	assert_int_equal(unit_kdc_kinit(NULL), 0);
}

int main(void)
{
	kdc_state = unit_kdc_start("test_gss_session");
	if (kdc_state < 0) {
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_new_options, reset),
		cmocka_unit_test_setup(test_credentials_keytab, reset),
		cmocka_unit_test_setup(test_renegotiate_before_key_expires, reset),
		cmocka_unit_test_setup(test_renegotiate_default_hour, reset),
		cmocka_unit_test_setup(test_renew_failure_keeps_context, reset),
		cmocka_unit_test_setup(test_first_negotiation_fails, reset),
		cmocka_unit_test_setup(test_drop, reset),
		cmocka_unit_test_setup(test_ticket_renewed, reset),
		cmocka_unit_test_setup(test_renegotiate_when_ticket_ends, reset),
	};
	int ret = cmocka_run_group_tests_name("gss_session", tests, NULL, NULL);
	unit_kdc_stop();
	if (ret == 0 && kdc_state == 1) {
		printf("test_gss_session: krb5kdc not installed, the negotiation cases were "
		       "skipped\n");
		return 77;
	}
	return ret;
}
