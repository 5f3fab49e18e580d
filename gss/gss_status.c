/*
 * GSS status texts and Kerberos advice. With the krb5 mechanism (directly or
 * under SPNEGO) the minor status is a krb5 error code; only the constants of
 * <krb5.h> are used, nothing is linked from libkrb5.
 */
#include "gss/gss_status.h"

#include <krb5.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Appends the display text of one GSS status code to buf. */
static void append_status(char *buf, size_t size, OM_uint32 code, int kind)
{
	OM_uint32 more = 0, min2 = 0;

	do {
		gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
		size_t used = strlen(buf);
		if (GSS_ERROR(gss_display_status(&min2, code, kind, GSS_C_NO_OID, &more, &msg))) {
			break;
		}
		if (used + 1 < size) {
			snprintf(buf + used, size - used, "%s%.*s", used > 0 ? "; " : "",
				 (int)msg.length, (const char *)msg.value);
		}
		gss_release_buffer(&min2, &msg);
	} while (more != 0);
}

void gss_status_text(char *buf, size_t size, OM_uint32 major, OM_uint32 minor)
{
	if (size == 0) {
		return;
	}
	buf[0] = '\0';
	if (minor != 0) {
		append_status(buf, size, minor, GSS_C_MECH_CODE);
	}
	/* GSS_S_FAILURE only says "see the minor code". */
	if (minor == 0 || GSS_ROUTINE_ERROR(major) != GSS_S_FAILURE) {
		append_status(buf, size, major, GSS_C_GSS_CODE);
	}
}

static const struct {
	krb5_error_code code;
	const char *advice;
} krb5_advice[] = {
	{KRB5_KDC_UNREACH, "no KDC of the realm answered: check that the domain controller is "
			   "up and that [realms] kdc in KRB5_CONFIG (or DNS SRV records) point "
			   "at it, port 88 UDP and TCP"},
	{KRB5_REALM_CANT_RESOLVE, "no KDC is known for the realm: add it under [realms] in "
				  "KRB5_CONFIG"},
	{KRB5_REALM_UNKNOWN, "the realm is unknown: set default_realm and [domain_realm] in "
			     "KRB5_CONFIG"},
	{KRB5_CONFIG_CANTOPEN, "the Kerberos configuration cannot be read: check KRB5_CONFIG "
			       "(default /etc/krb5.conf)"},
	{KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN, "the KDC does not know the client principal: check "
					  "GSS_PRINCIPAL and that the account exists (in AD: "
					  "the user or computer account, name case included)"},
	{KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN, "the KDC does not know the DNS server's service "
					  "principal: GSS_SERVICE (default DNS/<DNS_SERVER>) "
					  "must name the server's host name, never an IP address "
					  "(in AD: setspn -L <domain controller>)"},
	{KRB5KDC_ERR_PREAUTH_FAILED, "the KDC rejected the key: the keytab (or password) is "
				     "not the account's current one; export a fresh keytab "
				     "(ktpass, or kadmin ktadd) and set GSS_KEYTAB"},
	{KRB5KRB_AP_ERR_BAD_INTEGRITY, "the key does not match the account's: the keytab is "
				       "outdated or belongs to another account; export a "
				       "fresh one"},
	{KRB5_KT_NOTFOUND, "the keytab holds no key for GSS_PRINCIPAL: list it with klist -k "
			   "-t GSS_KEYTAB and compare the principal name"},
	{KRB5_KT_KVNONOTFOUND, "the keytab holds an older key version of GSS_PRINCIPAL: export "
			       "a fresh keytab"},
	{KRB5_KT_END, "the keytab is empty or has no key for GSS_PRINCIPAL"},
	{KRB5KRB_AP_ERR_SKEW, "the clocks of this host and the KDC or DNS server differ by more "
			      "than Kerberos allows (5 minutes): fix NTP on both"},
	{KRB5_KDCREP_SKEW, "the clocks of this host and the KDC differ by more than Kerberos "
			   "allows (5 minutes): fix NTP on both"},
	{KRB5KRB_AP_ERR_TKT_EXPIRED, "the Kerberos ticket has expired: renew it (kinit, or let "
				     "k5start/sssd renew it) or set GSS_KEYTAB so that "
				     "dnsfailover gets its own tickets"},
	{KRB5_FCC_NOFILE, "there is no ticket cache: run kinit as this user (KRB5CCNAME), or "
			  "set GSS_KEYTAB and GSS_PRINCIPAL"},
	{KRB5_CC_NOTFOUND, "the ticket cache holds no usable ticket: run kinit again, or set "
			   "GSS_KEYTAB and GSS_PRINCIPAL"},
	{KRB5_CC_END, "the ticket cache holds no usable ticket: run kinit again"},
	{KRB5_NO_TKT_SUPPLIED, "no ticket was available: run kinit, or set GSS_KEYTAB"},
	{KRB5KRB_AP_ERR_MODIFIED, "the DNS server could not decrypt our ticket: its keytab "
				  "for DNS/<host> is not the key the KDC holds (re-export "
				  "the server's keytab), or GSS_SERVICE names another host"},
	{KRB5KDC_ERR_CLIENT_REVOKED, "the account is disabled, locked or expired on the KDC"},
	{KRB5KDC_ERR_KEY_EXP, "the account's password has expired: reset it and export a new "
			      "keytab"},
	{KRB5KDC_ERR_POLICY, "the KDC's policy refused the ticket for this account"},
};

const char *gss_status_advice(OM_uint32 major, OM_uint32 minor)
{
	for (size_t i = 0; i < sizeof(krb5_advice) / sizeof(krb5_advice[0]); i++) {
		if ((krb5_error_code)minor == krb5_advice[i].code) {
			return krb5_advice[i].advice;
		}
	}
	switch (GSS_ROUTINE_ERROR(major)) {
	case GSS_S_NO_CRED:
		return "no usable Kerberos credentials: run kinit (KRB5CCNAME), or set GSS_KEYTAB "
		       "and GSS_PRINCIPAL";
	case GSS_S_CREDENTIALS_EXPIRED:
		return "the Kerberos ticket has expired: renew it (kinit, or k5start/sssd), or set "
		       "GSS_KEYTAB so that dnsfailover gets its own tickets";
	case GSS_S_BAD_NAME:
		return "the name does not parse as a Kerberos principal: check GSS_PRINCIPAL and "
		       "GSS_SERVICE";
	case GSS_S_BAD_MECH:
		return "the mechanism is not available: check GSS_MECH (krb5 or spnego)";
	default:
		return NULL;
	}
}

int gss_status_expired(OM_uint32 major, OM_uint32 minor)
{
	OM_uint32 r = GSS_ROUTINE_ERROR(major);
	return r == GSS_S_CONTEXT_EXPIRED || r == GSS_S_CREDENTIALS_EXPIRED ||
	       r == GSS_S_NO_CONTEXT || (krb5_error_code)minor == KRB5KRB_AP_ERR_TKT_EXPIRED;
}

void gss_status_explain(df_detail_t *d, const char *what, OM_uint32 major, OM_uint32 minor)
{
	char st[512];
	const char *advice = gss_status_advice(major, minor);

	gss_status_text(st, sizeof st, major, minor);
	df_detail_set(d, "%s (%s)%s%s", what, st, advice != NULL ? ": " : "",
		      advice != NULL ? advice : "");
}

int gss_status_no_ticket(OM_uint32 major, OM_uint32 minor)
{
	krb5_error_code code = (krb5_error_code)minor;
	return code == KRB5_FCC_NOFILE || code == KRB5_CC_NOTFOUND || code == KRB5_CC_END ||
	       (code == 0 && GSS_ROUTINE_ERROR(major) == GSS_S_NO_CRED);
}
