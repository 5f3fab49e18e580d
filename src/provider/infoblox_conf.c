/*
 * The keys of DNS_PROVIDER=infoblox, with the existing tool's names and
 * defaults (INFOBLOX_HOST, INFOBLOX_USERNAME, INFOBLOX_PASSWORD,
 * INFOBLOX_WAPI_VERSION, INFOBLOX_VERIFY_SSL) and the few it adds: the DNS
 * view, a CA file for a grid's private CA and the per-request timeout.
 */
#include "src/provider/infoblox_conf.h"
#include "src/provider/provider_conf.h"

#include <stdio.h>
#include <string.h>

enum {
	IK_HOST,
	IK_USERNAME,
	IK_PASSWORD,
	IK_WAPI_VERSION,
	IK_VERIFY_SSL,
	IK_VIEW,
	IK_CA_FILE,
	IK_TIMEOUT,
	IK_COUNT
};

/* "v" and dotted numbers: v2.11, v2.12.3. */
static const char *check_version(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize, "a WAPI version such as v2.11 or v2.12.3");
	if (v[0] != 'v' || v[1] < '0' || v[1] > '9' ||
	    strspn(v + 1, "0123456789.") != strlen(v + 1) || strstr(v, "..") != NULL ||
	    v[strlen(v) - 1] == '.') {
		return "is not a WAPI version";
	}
	return NULL;
}

/* A host, host:port or an https:// URL without a path. */
static const char *check_host(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize,
		 "the grid master's name or address, e.g. gm.example.com, "
		 "gm.example.com:8443 or https://gm.example.com");
	const char *h = strncmp(v, "https://", 8) == 0 ? v + 8 : v;
	if (strstr(v, "://") != NULL && h == v) {
		return "is not https: the WAPI is only reached over TLS";
	}
	if (*h == '\0' || strpbrk(h, "/?#@ ") != NULL) {
		return "is not a host name (no path, user or query)";
	}
	return NULL;
}

/* clang-format off */
static const config_key_t keys[IK_COUNT] = {
	[IK_HOST] = {.name = "INFOBLOX_HOST", .type = CONFIG_STR, CONFIG_FIELD(infoblox.host),
		.check = check_host,
		.help = "infoblox: grid master (host, host:port or https://host)"},
	[IK_USERNAME] = {.name = "INFOBLOX_USERNAME", .type = CONFIG_STR,
		CONFIG_FIELD(infoblox.username),
		.help = "infoblox: WAPI user with write access to DNS_RECORD's records"},
	[IK_PASSWORD] = {CONFIG_SECRET_NAME("INFOBLOX_PASSWORD"), .type = CONFIG_STR,
		.flags = CONFIG_SECRET, CONFIG_FIELD(infoblox.password),
		.help = "infoblox: password of INFOBLOX_USERNAME"},
	[IK_WAPI_VERSION] = {.name = "INFOBLOX_WAPI_VERSION", .type = CONFIG_STR, .def = "v2.11",
		CONFIG_FIELD(infoblox.wapi_version), .check = check_version,
		.help = "infoblox: WAPI version in the URL (/wapi/v2.11/)"},
	[IK_VERIFY_SSL] = {.name = "INFOBLOX_VERIFY_SSL", .type = CONFIG_ENUM, .def = "true",
		CONFIG_FIELD(infoblox.verify_ssl), .choices = provider_bool_choices,
		.help = "infoblox: verify the grid master's certificate (false is warned at "
			"every start)"},
	[IK_VIEW] = {.name = "INFOBLOX_VIEW", .type = CONFIG_STR, .def = "default",
		CONFIG_FIELD(infoblox.view), .help = "infoblox: DNS view holding DNS_ZONE"},
	[IK_CA_FILE] = {.name = "INFOBLOX_CA_FILE", .type = CONFIG_STR,
		CONFIG_FIELD(infoblox.ca_file),
		.help = "infoblox: CA bundle the grid master's certificate is verified with "
			"(default: the system store)"},
	[IK_TIMEOUT] = {.name = "INFOBLOX_TIMEOUT", CONFIG_SECONDS(1, 300), .def = "10",
		CONFIG_FIELD(infoblox.timeout),
		.help = "infoblox: seconds one WAPI request may take"},
};
/* clang-format on */

static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	(void)ctx;
	if (strcmp(c->provider, "infoblox") != 0) {
		return DF_OK;
	}
	const char *missing = c->infoblox.host[0] == '\0'	? "INFOBLOX_HOST"
			      : c->infoblox.username[0] == '\0' ? "INFOBLOX_USERNAME"
			      : c->infoblox.password[0] == '\0' ? "INFOBLOX_PASSWORD (or "
								  "INFOBLOX_PASSWORD_FILE)"
								: NULL;
	if (missing != NULL) {
		df_detail_set(d, "DNS_PROVIDER=infoblox needs %s", missing);
		return DF_ECONFIG;
	}
	if (strchr(c->infoblox.username, ':') != NULL) {
		df_detail_set(d, "INFOBLOX_USERNAME holds a ':', which HTTP Basic cannot carry");
		return DF_ECONFIG;
	}
	return DF_OK;
}

const config_module_t infoblox_config = {
	.name = "infoblox",
	.keys = keys,
	.count = IK_COUNT,
	.relate = relate,
};
