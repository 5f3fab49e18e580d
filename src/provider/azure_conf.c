/*
 * The azure-dns provider's keys: the seed's AZURE_SUBSCRIPTION_ID,
 * AZURE_RESOURCE_GROUP, AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_CLIENT_SECRET, plus the login and management endpoints (for tests
 * and sovereign clouds), the CA file and the per-request timeout.
 */
#include "src/provider/azure_conf.h"

#include <stdio.h>
#include <string.h>

enum {
	AK_SUB,
	AK_RG,
	AK_TENANT,
	AK_CLIENT,
	AK_SECRET,
	AK_LOGIN,
	AK_MGMT,
	AK_CA_FILE,
	AK_TIMEOUT,
	AK_COUNT
};

/* Ids that go into a URL path: letters, digits, '-', '_', '.', '(' and ')'. */
static const char *check_path_id(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize, "letters, digits, '-', '_', '.', '(' and ')'");
	if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.()") !=
	    strlen(v)) {
		return "holds a character Azure ids do not have";
	}
	return NULL;
}

/* clang-format off */
static const config_key_t keys[AK_COUNT] = {
	[AK_SUB] = {.name = "AZURE_SUBSCRIPTION_ID", .type = CONFIG_STR,
		CONFIG_FIELD(azure.subscription_id), .check = check_path_id,
		.help = "azure-dns: subscription id of the DNS zone"},
	[AK_RG] = {.name = "AZURE_RESOURCE_GROUP", .type = CONFIG_STR,
		CONFIG_FIELD(azure.resource_group), .check = check_path_id,
		.help = "azure-dns: resource group of the DNS zone"},
	[AK_TENANT] = {.name = "AZURE_TENANT_ID", .type = CONFIG_STR,
		CONFIG_FIELD(azure.tenant_id), .check = check_path_id,
		.help = "azure-dns: Entra ID tenant (directory) id of the service principal"},
	[AK_CLIENT] = {.name = "AZURE_CLIENT_ID", .type = CONFIG_STR,
		CONFIG_FIELD(azure.client_id),
		.help = "azure-dns: application (client) id of the service principal"},
	[AK_SECRET] = {CONFIG_SECRET_NAME("AZURE_CLIENT_SECRET"), .type = CONFIG_STR,
		.flags = CONFIG_SECRET, CONFIG_FIELD(azure.client_secret),
		.help = "azure-dns: client secret of the service principal"},
	[AK_LOGIN] = {.name = "AZURE_LOGIN_URL", .type = CONFIG_URL,
		.def = "https://login.microsoftonline.com", CONFIG_FIELD(azure.login_url),
		.help = "azure-dns: Entra ID login endpoint (tests, sovereign clouds)"},
	[AK_MGMT] = {.name = "AZURE_MANAGEMENT_URL", .type = CONFIG_URL,
		.def = "https://management.azure.com", CONFIG_FIELD(azure.management_url),
		.help = "azure-dns: Resource Manager endpoint (tests, sovereign clouds)"},
	[AK_CA_FILE] = {.name = "AZURE_CA_FILE", .type = CONFIG_STR,
		CONFIG_FIELD(azure.ca_file),
		.help = "azure-dns: CA bundle the endpoints' certificates are verified with "
			"(default: the system store)"},
	[AK_TIMEOUT] = {.name = "AZURE_TIMEOUT", CONFIG_SECONDS(1, 300), .def = "10",
		CONFIG_FIELD(azure.timeout),
		.help = "azure-dns: seconds one API request may take"},
};
/* clang-format on */

static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	if (strcmp(c->provider, "azure-dns") != 0 || config_watch_only(ctx)) {
		return DF_OK;
	}
	static const int required[] = {AK_SUB, AK_RG, AK_TENANT, AK_CLIENT, AK_SECRET};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const config_key_t *k = &keys[required[i]];
		if (((const char *)c + k->off)[0] == '\0') {
			df_detail_set(d,
				      "DNS_PROVIDER=azure-dns needs %s (and AZURE_SUBSCRIPTION_ID, "
				      "AZURE_RESOURCE_GROUP, AZURE_TENANT_ID, AZURE_CLIENT_ID, "
				      "AZURE_CLIENT_SECRET or AZURE_CLIENT_SECRET_FILE)",
				      k->name);
			return DF_ECONFIG;
		}
	}
	return DF_OK;
}

const config_module_t azure_config = {
	.name = "azure",
	.keys = keys,
	.count = AK_COUNT,
	.relate = relate,
};
