/*
 * Picks the backend named by DNS_PROVIDER. The table below is the one list
 * of provider ids: error messages are built from it.
 */
#include <config.h> /* HAVE_GSSAPI; not src/config.h */

#include "src/provider/provider.h"

#include <stdio.h>
#include <string.h>

typedef int (*provider_new_fn)(provider_t **out, const config_t *cfg, df_detail_t *d);

static const struct {
	const char *id;
	provider_new_fn create; /* NULL: known id, not in this version */
} backends[] = {
	{"dry-run", provider_dryrun_new},
	{"bind-tsig", provider_bind_new},
#ifdef HAVE_GSSAPI
	{"ad-gss", provider_adgss_new},
#else
	{"ad-gss", NULL}, /* built without MIT Kerberos GSSAPI (libkrb5-dev) */
#endif
	{"script", NULL},
	{"route53", NULL},
	{"cloudflare", NULL},
	{"infoblox", NULL},
	{"azure-dns", NULL},
	{"gcp-dns", NULL},
	{"f5-gtm", NULL},
};

#define BACKEND_COUNT (sizeof(backends) / sizeof(backends[0]))

/* Joins the ids ("dry-run, bind-tsig, ...") into buf, all or only the available ones. */
static void join_ids(char *buf, size_t size, bool available_only)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < BACKEND_COUNT; i++) {
		if (available_only && backends[i].create == NULL) {
			continue;
		}
		int n = snprintf(buf + used, size - used, "%s%s", used > 0 ? ", " : "",
				 backends[i].id);
		if (n < 0 || (size_t)n >= size - used) {
			break;
		}
		used += (size_t)n;
	}
}

const char *provider_list(void)
{
	/* Built once from the table; the daemon has no threads (STYLE 22). */
	static char list[256];
	if (list[0] == '\0') {
		join_ids(list, sizeof(list), false);
	}
	return list;
}

int provider_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	int ret = DF_ECONFIG;
	provider_t *p = NULL;
	char available[256];

	for (size_t i = 0; i < BACKEND_COUNT; i++) {
		if (strcmp(cfg->provider, backends[i].id) != 0) {
			continue;
		}
		if (backends[i].create == NULL) {
			join_ids(available, sizeof(available), true);
			df_detail_set(d,
				      "DNS_PROVIDER=%s is not available in this version "
				      "(available: %s)",
				      cfg->provider, available);
			ret = DF_ECONFIG;
			goto out;
		}
		ret = backends[i].create(&p, cfg, d);
		if (ret != DF_OK) {
			goto out;
		}
		*out = p;
		goto out;
	}
	df_detail_set(d, "unknown DNS_PROVIDER=%s (known: %s)", cfg->provider, provider_list());
	ret = DF_ECONFIG;
out:
	return ret;
}

bool provider_outcome_unknown(int ret)
{
	switch (ret) {
	case DF_EUNKNOWN:
	case DF_ETIMEDOUT:
	case DF_ENETWORK:
	case DF_EMALFORMED:
	case DF_EMISMATCH:
	case DF_ETSIG_MISSING:
	case DF_ETSIG_UNSIGNED:
	case DF_ETSIG_BADMAC:
	case DF_ETSIG_BADTIME:
	case DF_ETSIG_MISMATCH:
		return true;
	default:
		return false;
	}
}

void provider_free(provider_t *p)
{
	if (p == NULL) {
		return;
	}
	p->ops->free(p);
}
