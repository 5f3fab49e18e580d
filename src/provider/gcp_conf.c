/*
 * The gcp-dns provider's keys: the seed's GCP_PROJECT_ID, GCP_CREDENTIALS_FILE
 * and GCP_MANAGED_ZONE, plus the endpoints (for tests and private access),
 * the CA file and the per-request timeout.
 */
#include "src/provider/gcp_conf.h"

#include <stdio.h>
#include <string.h>

enum {
	GK_PROJECT,
	GK_CREDENTIALS,
	GK_ZONE,
	GK_TOKEN_URI,
	GK_API_URL,
	GK_CA_FILE,
	GK_TIMEOUT,
	GK_COUNT
};

/* A managed zone's name: 1-63 lower-case letters, digits and dashes, a letter first. */
static const char *check_zone(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize,
		 "the managed zone's name as `gcloud dns managed-zones list` "
		 "shows it (not its DNS name)");
	size_t n = strlen(v);
	if (n == 0 || n > 63 || !(v[0] >= 'a' && v[0] <= 'z') ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != n) {
		return "is not a Cloud DNS managed zone name";
	}
	return NULL;
}

/* clang-format off */
static const config_key_t keys[GK_COUNT] = {
	[GK_PROJECT] = {.name = "GCP_PROJECT_ID", .type = CONFIG_STR,
		CONFIG_FIELD(gcp.project_id),
		.help = "gcp-dns: project id (default: project_id of the key file)"},
	[GK_CREDENTIALS] = {.name = "GCP_CREDENTIALS_FILE", .type = CONFIG_STR,
		CONFIG_FIELD(gcp.credentials_file),
		.help = "gcp-dns: service-account JSON key file (private to the daemon's user)"},
	[GK_ZONE] = {.name = "GCP_MANAGED_ZONE", .type = CONFIG_STR,
		CONFIG_FIELD(gcp.managed_zone), .check = check_zone,
		.help = "gcp-dns: name of the Cloud DNS managed zone that holds DNS_ZONE"},
	[GK_TOKEN_URI] = {.name = "GCP_TOKEN_URI", .type = CONFIG_URL,
		CONFIG_FIELD(gcp.token_uri),
		.help = "gcp-dns: OAuth 2.0 token endpoint (default: token_uri of the key file)"},
	[GK_API_URL] = {.name = "GCP_API_URL", .type = CONFIG_URL,
		.def = "https://dns.googleapis.com/dns/v1", CONFIG_FIELD(gcp.api_url),
		.help = "gcp-dns: Cloud DNS API base URL (tests, private endpoints)"},
	[GK_CA_FILE] = {.name = "GCP_CA_FILE", .type = CONFIG_STR,
		CONFIG_FIELD(gcp.ca_file),
		.help = "gcp-dns: CA bundle the endpoints' certificates are verified with "
			"(default: the system store)"},
	[GK_TIMEOUT] = {.name = "GCP_TIMEOUT", CONFIG_SECONDS(1, 300), .def = "10",
		CONFIG_FIELD(gcp.timeout),
		.help = "gcp-dns: seconds one API request may take"},
};
/* clang-format on */

static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	if (strcmp(c->provider, "gcp-dns") != 0 || config_watch_only(ctx)) {
		return DF_OK;
	}
	if (c->gcp.credentials_file[0] == '\0' || c->gcp.managed_zone[0] == '\0') {
		df_detail_set(d,
			      "DNS_PROVIDER=gcp-dns needs GCP_CREDENTIALS_FILE (a service-account "
			      "JSON key file) and GCP_MANAGED_ZONE (the managed zone's name)");
		return DF_ECONFIG;
	}
	return DF_OK;
}

const config_module_t gcp_config = {
	.name = "gcp",
	.keys = keys,
	.count = GK_COUNT,
	.relate = relate,
};
