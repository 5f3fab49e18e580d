/*
 * Unit tests of gss/gss_status.c: every Kerberos failure the issue lists
 * maps to advice that names the setting or command to look at, the GSS
 * routine errors without a krb5 code too, and the expiry/no-ticket
 * classifications used to decide what to retry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <krb5.h>

#include "gss/gss_status.h"

static void expect_advice(OM_uint32 major, krb5_error_code code, const char *words)
{
	const char *advice = gss_status_advice(major, (OM_uint32)code);
	if (advice == NULL || strstr(advice, words) == NULL) {
		fail_msg("advice for %ld: want '%s', got '%s'", (long)code, words,
			 advice != NULL ? advice : "(none)");
	}
}

static void test_kerberos_failures_have_advice(void **state)
{
	(void)state;
	expect_advice(GSS_S_FAILURE, KRB5_KDC_UNREACH, "[realms] kdc in KRB5_CONFIG");
	expect_advice(GSS_S_FAILURE, KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN, "check GSS_PRINCIPAL");
	expect_advice(GSS_S_FAILURE, KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN, "GSS_SERVICE");
	expect_advice(GSS_S_FAILURE, KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN, "never an IP address");
	expect_advice(GSS_S_FAILURE, KRB5KDC_ERR_PREAUTH_FAILED, "export a fresh keytab");
	expect_advice(GSS_S_FAILURE, KRB5KRB_AP_ERR_BAD_INTEGRITY, "export a fresh one");
	expect_advice(GSS_S_FAILURE, KRB5_KT_NOTFOUND, "klist -k");
	expect_advice(GSS_S_FAILURE, KRB5KRB_AP_ERR_SKEW, "fix NTP");
	expect_advice(GSS_S_FAILURE, KRB5_KDCREP_SKEW, "fix NTP");
	expect_advice(GSS_S_FAILURE, KRB5KRB_AP_ERR_TKT_EXPIRED, "kinit");
	expect_advice(GSS_S_FAILURE, KRB5_FCC_NOFILE, "GSS_KEYTAB and GSS_PRINCIPAL");
	expect_advice(GSS_S_FAILURE, KRB5KRB_AP_ERR_MODIFIED, "keytab");
	expect_advice(GSS_S_FAILURE, KRB5KDC_ERR_CLIENT_REVOKED, "disabled");
	expect_advice(GSS_S_FAILURE, KRB5_CONFIG_CANTOPEN, "KRB5_CONFIG");
}

static void test_gss_routine_errors_have_advice(void **state)
{
	(void)state;
	expect_advice(GSS_S_NO_CRED, 0, "run kinit");
	expect_advice(GSS_S_CREDENTIALS_EXPIRED, 0, "has expired");
	expect_advice(GSS_S_BAD_NAME, 0, "GSS_PRINCIPAL");
	expect_advice(GSS_S_BAD_MECH, 0, "GSS_MECH");
	/* unknown: no advice rather than a wrong one */
	assert_null(gss_status_advice(GSS_S_FAILURE, 12345));
	assert_null(gss_status_advice(GSS_S_DEFECTIVE_TOKEN, 0));
}

static void test_classification(void **state)
{
	(void)state;
	assert_true(gss_status_expired(GSS_S_CONTEXT_EXPIRED, 0));
	assert_true(gss_status_expired(GSS_S_CREDENTIALS_EXPIRED, 0));
	assert_true(gss_status_expired(GSS_S_NO_CONTEXT, 0));
	assert_true(gss_status_expired(GSS_S_FAILURE, (OM_uint32)KRB5KRB_AP_ERR_TKT_EXPIRED));
	assert_false(gss_status_expired(GSS_S_FAILURE, (OM_uint32)KRB5_KDC_UNREACH));
	assert_false(gss_status_expired(GSS_S_BAD_SIG, 0));

	assert_true(gss_status_no_ticket(GSS_S_NO_CRED, 0));
	assert_true(gss_status_no_ticket(GSS_S_FAILURE, (OM_uint32)KRB5_FCC_NOFILE));
	assert_true(gss_status_no_ticket(GSS_S_FAILURE, (OM_uint32)KRB5_CC_NOTFOUND));
	assert_false(gss_status_no_ticket(GSS_S_FAILURE, (OM_uint32)KRB5KDC_ERR_PREAUTH_FAILED));
	assert_false(gss_status_no_ticket(GSS_S_CREDENTIALS_EXPIRED, 0));
}

/* The explanation keeps the mechanism's own words, then the advice. */
static void test_explain(void **state)
{
	(void)state;
	df_detail_t d;
	gss_status_explain(&d, "cannot get a ticket for lease-dr@EXAMPLE.TEST", GSS_S_FAILURE,
			   (OM_uint32)KRB5_KDC_UNREACH);
	assert_non_null(strstr(d.msg, "cannot get a ticket for lease-dr@EXAMPLE.TEST ("));
	/* (the mechanism's text depends on the mechanisms used before) */
	assert_non_null(strstr(d.msg, "): no KDC of the realm answered"));
	/* no advice: no dangling colon */
	gss_status_explain(&d, "negotiation failed", GSS_S_DEFECTIVE_TOKEN, 0);
	assert_non_null(strstr(d.msg, "negotiation failed ("));
	assert_int_equal(d.msg[strlen(d.msg) - 1], ')');
	/* a tiny buffer is not overrun */
	char small[8];
	gss_status_text(small, sizeof(small), GSS_S_FAILURE, (OM_uint32)KRB5_KDC_UNREACH);
	assert_true(strlen(small) < sizeof(small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kerberos_failures_have_advice),
		cmocka_unit_test(test_gss_routine_errors_have_advice),
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_explain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
