#include "src/provider/provider_conf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Longest a Kerberos call waits for a silent KDC (MIT krb5 1.20: 27 s measured). */
#define GSS_KDC_WAIT_MAX 30

enum {
	PK_TSIG_KEYFILE,
	PK_TSIG_KEYNAME,
	PK_TSIG_KEY,
	PK_DRYRUN_STATEFILE,
	PK_GSS_KEYTAB,
	PK_GSS_PRINCIPAL,
	PK_GSS_SERVICE,
	PK_GSS_MECH,
	PK_GSS_TSIG_ALG,
	PK_HTTPS_PROXY,
	PK_COUNT
};

static const config_choice_t gss_mechs[] = {
	{"krb5", CONFIG_GSS_KRB5},
	{"spnego", CONFIG_GSS_SPNEGO},
	{NULL, 0},
};
static const config_choice_t gss_algs[] = {
	{"gss-tsig", CONFIG_GSS_TSIG},
	{"gss.microsoft.com", CONFIG_GSS_MICROSOFT},
	{NULL, 0},
};

const config_choice_t provider_bool_choices[] = {
	{"true", 1}, {"yes", 1}, {"1", 1},   {"on", 1}, {"false", 0},
	{"no", 0},   {"0", 0},	 {"off", 0}, {NULL, 0},
};

/* clang-format off */
static const config_key_t keys[PK_COUNT] = {
	[PK_TSIG_KEYFILE] = {.name = "TSIG_KEYFILE", .type = CONFIG_STR, CONFIG_FIELD(tsig_keyfile),
		.help = "BIND key file, as for nsupdate -k"},
	[PK_TSIG_KEYNAME] = {.name = "TSIG_KEYNAME", .type = CONFIG_STR, CONFIG_FIELD(tsig_keyname),
		.help = "key to use from TSIG_KEYFILE"},
	[PK_TSIG_KEY] = {CONFIG_SECRET_NAME("TSIG_KEY"), .type = CONFIG_TSIGKEY,
		.flags = CONFIG_SECRET, CONFIG_FIELD(tsig_key),
		.help = "[alg:]name:secret, as for nsupdate -y"},
	[PK_DRYRUN_STATEFILE] = {.name = "DRYRUN_STATEFILE", .type = CONFIG_STR,
		.def = "/var/lib/dnsfailover/dry-run.json", CONFIG_FIELD(dryrun_statefile),
		.help = "state file of the dry-run provider"},
	[PK_GSS_KEYTAB] = {.name = "GSS_KEYTAB", .type = CONFIG_STR, CONFIG_FIELD(gss.keytab),
		.help = "ad-gss: keytab of GSS_PRINCIPAL (default: the ticket cache KRB5CCNAME)"},
	[PK_GSS_PRINCIPAL] = {.name = "GSS_PRINCIPAL", .type = CONFIG_STR,
		CONFIG_FIELD(gss.principal),
		.help = "ad-gss: client principal, e.g. dnsfailover-dr@EXAMPLE.COM"},
	[PK_GSS_SERVICE] = {.name = "GSS_SERVICE", .type = CONFIG_STR, CONFIG_FIELD(gss.service),
		.help = "ad-gss: DNS server's principal (default DNS/<DNS_SERVER host name>)"},
	[PK_GSS_MECH] = {.name = "GSS_MECH", .type = CONFIG_ENUM, .def = "krb5",
		CONFIG_FIELD(gss.mech), .choices = gss_mechs, .help = "ad-gss: krb5 or spnego"},
	[PK_GSS_TSIG_ALG] = {.name = "GSS_TSIG_ALG", .type = CONFIG_ENUM, .def = "gss-tsig",
		CONFIG_FIELD(gss.alg), .choices = gss_algs,
		.help = "ad-gss: gss-tsig, or gss.microsoft.com for Windows 2000 servers"},
	[PK_HTTPS_PROXY] = {.name = "HTTPS_PROXY", .type = CONFIG_URL, CONFIG_FIELD(https_proxy),
		.help = "proxy for the REST providers' API calls, only when set here "
			"(e.g. http://proxy:3128)"},
};
/* clang-format on */

static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	char a1[640], a2[640];
	if (c->tsig_key[0] != '\0' && c->tsig_keyfile[0] != '\0') {
		df_detail_set(
			d,
			"TSIG_KEY (%s) and TSIG_KEYFILE (%s) are both set: use the key file "
			"(as for nsupdate -k) or the key string (as for nsupdate -y), not both",
			config_where(ctx, &keys[PK_TSIG_KEY], a1, sizeof(a1)),
			config_where(ctx, &keys[PK_TSIG_KEYFILE], a2, sizeof(a2)));
		return DF_ECONFIG;
	}
	if (c->tsig_keyname[0] != '\0' && c->tsig_keyfile[0] == '\0') {
		df_detail_set(d,
			      "TSIG_KEYNAME (%s) picks a key from TSIG_KEYFILE, which is not set",
			      config_where(ctx, &keys[PK_TSIG_KEYNAME], a1, sizeof(a1)));
		return DF_ECONFIG;
	}
	/* MIT Kerberos waits up to ~27 s for a KDC that does not answer (measured,
	 * krb5 1.20, one KDC), inside the daemon's one loop: a holder fetching a
	 * ticket then must still be able to step down on time. */
	if (strcmp(c->provider, "ad-gss") == 0 &&
	    c->renew_deadline - c->update_interval < GSS_KDC_WAIT_MAX) {
		char msg[512];
		snprintf(msg, sizeof(msg),
			 "RENEW_DEADLINE - UPDATE_INTERVAL = %" PRIu32
			 " s with DNS_PROVIDER=ad-gss: a KDC that does not answer can hold a "
			 "Kerberos call for up to %d s (ticket renewals, hours apart), delaying a "
			 "step-down; keep it above %d s",
			 c->renew_deadline - c->update_interval, GSS_KDC_WAIT_MAX,
			 GSS_KDC_WAIT_MAX);
		config_warn(ctx, msg);
	}
	return DF_OK;
}

const config_module_t provider_config = {
	.name = "provider",
	.keys = keys,
	.count = PK_COUNT,
	.relate = relate,
};
