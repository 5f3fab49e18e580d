#include "src/provider/cloudflare_conf.h"

#include <stdio.h>
#include <string.h>

enum { CK_API_TOKEN, CK_ZONE_ID, CK_API_URL, CK_CA_FILE, CK_PROXY, CK_TIMEOUT, CK_COUNT };

/* A zone id is 32 lower-case hex digits; accept any case and length of hex. */
static const char *check_zone_id(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize, "the zone's id as the dashboard shows it (32 hex digits)");
	if (strspn(v, "0123456789abcdefABCDEF") != strlen(v)) {
		return "is not a Cloudflare zone id";
	}
	return NULL;
}

/* clang-format off */
static const config_key_t keys[CK_COUNT] = {
	[CK_API_TOKEN] = {CONFIG_SECRET_NAME("CLOUDFLARE_API_TOKEN"), .type = CONFIG_STR,
		.flags = CONFIG_SECRET, CONFIG_FIELD(cloudflare.api_token),
		.help = "cloudflare: API token with Zone:DNS:Edit on DNS_ZONE"},
	[CK_ZONE_ID] = {.name = "CLOUDFLARE_ZONE_ID", .type = CONFIG_STR,
		CONFIG_FIELD(cloudflare.zone_id), .check = check_zone_id,
		.help = "cloudflare: zone id (default: looked up by DNS_ZONE)"},
	[CK_API_URL] = {.name = "CLOUDFLARE_API_URL", .type = CONFIG_URL,
		.def = "https://api.cloudflare.com/client/v4", CONFIG_FIELD(cloudflare.api_url),
		.help = "cloudflare: API base URL (tests, private endpoints)"},
	[CK_CA_FILE] = {.name = "CLOUDFLARE_CA_FILE", .type = CONFIG_STR,
		CONFIG_FIELD(cloudflare.ca_file),
		.help = "cloudflare: CA bundle the API's certificate is verified with "
			"(default: the system store)"},
	[CK_PROXY] = {.name = "CLOUDFLARE_PROXY", .type = CONFIG_URL,
		CONFIG_FIELD(cloudflare.proxy),
		.help = "cloudflare: HTTPS proxy to reach the API through (default: HTTPS_PROXY)"},
	[CK_TIMEOUT] = {.name = "CLOUDFLARE_TIMEOUT", CONFIG_SECONDS(1, 300), .def = "10",
		CONFIG_FIELD(cloudflare.timeout),
		.help = "cloudflare: seconds one API request may take"},
};
/* clang-format on */

static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	(void)ctx;
	if (strcmp(c->provider, "cloudflare") != 0) {
		return DF_OK;
	}
	if (c->cloudflare.api_token[0] == '\0') {
		df_detail_set(d, "DNS_PROVIDER=cloudflare needs CLOUDFLARE_API_TOKEN (or "
				 "CLOUDFLARE_API_TOKEN_FILE), an API token with Zone:DNS:Edit "
				 "rights on DNS_ZONE");
		return DF_ECONFIG;
	}
	/* Cloudflare refuses a TTL below 60 s except 1, "automatic" (30 s on
	 * Enterprise plans only): refuse it here rather than at the first write. */
	if (c->dns_ttl != CLOUDFLARE_TTL_AUTO && c->dns_ttl < CLOUDFLARE_TTL_MIN) {
		df_detail_set(d,
			      "DNS_TTL=%u is below Cloudflare's minimum TTL of %d s (1 means "
			      "automatic): set DNS_TTL=%d or more, or DNS_TTL=1",
			      c->dns_ttl, CLOUDFLARE_TTL_MIN, CLOUDFLARE_TTL_MIN);
		return DF_ECONFIG;
	}
	return DF_OK;
}

const config_module_t cloudflare_config = {
	.name = "cloudflare",
	.keys = keys,
	.count = CK_COUNT,
	.relate = relate,
};
