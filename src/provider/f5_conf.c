/*
 * The keys of DNS_PROVIDER=f5-gtm, with the existing tool's names and
 * defaults (F5_HOST, F5_USERNAME, F5_PASSWORD, F5_PARTITION, F5_VERIFY_SSL,
 * F5_POOL_NAME) and the few it adds: a CA file for the BIG-IP's private CA
 * and the per-request timeout.
 */
#include "src/provider/f5_conf.h"
#include "src/provider/provider_conf.h"

#include <stdio.h>
#include <string.h>

enum {
	FK_HOST,
	FK_USERNAME,
	FK_PASSWORD,
	FK_PARTITION,
	FK_VERIFY_SSL,
	FK_POOL,
	FK_CA_FILE,
	FK_TIMEOUT,
	FK_COUNT
};

/* A BIG-IP object name: letters, digits, '.', '-', '_' (no '/' nor '~'). */
static const char *check_object(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize, "a BIG-IP object name (letters, digits, '.', '-', '_')");
	for (const char *p = v; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_')) {
			return "is not a BIG-IP object name";
		}
	}
	return NULL;
}

static const char *check_host(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize,
		 "the BIG-IP's management name or address, e.g. bigip.example.com, "
		 "bigip.example.com:8443 or https://bigip.example.com");
	const char *h = strncmp(v, "https://", 8) == 0 ? v + 8 : v;
	if (strstr(v, "://") != NULL && h == v) {
		return "is not https: iControl REST is only reached over TLS";
	}
	if (*h == '\0' || strpbrk(h, "/?#@ ") != NULL) {
		return "is not a host name (no path, user or query)";
	}
	return NULL;
}

/* clang-format off */
static const config_key_t keys[FK_COUNT] = {
	[FK_HOST] = {.name = "F5_HOST", .type = CONFIG_STR, CONFIG_FIELD(f5.host),
		.check = check_host,
		.help = "f5-gtm: BIG-IP management address (host, host:port or https://host)"},
	[FK_USERNAME] = {.name = "F5_USERNAME", .type = CONFIG_STR, CONFIG_FIELD(f5.username),
		.help = "f5-gtm: iControl REST user"},
	[FK_PASSWORD] = {CONFIG_SECRET_NAME("F5_PASSWORD"), .type = CONFIG_STR,
		.flags = CONFIG_SECRET, CONFIG_FIELD(f5.password),
		.help = "f5-gtm: password of F5_USERNAME"},
	[FK_PARTITION] = {.name = "F5_PARTITION", .type = CONFIG_STR, .def = "Common",
		CONFIG_FIELD(f5.partition), .check = check_object,
		.help = "f5-gtm: partition of the dns_failover_lease data-group"},
	[FK_VERIFY_SSL] = {.name = "F5_VERIFY_SSL", .type = CONFIG_ENUM, .def = "true",
		CONFIG_FIELD(f5.verify_ssl), .choices = provider_bool_choices,
		.help = "f5-gtm: verify the BIG-IP's certificate (false is warned at every "
			"start)"},
	[FK_POOL] = {.name = "F5_POOL_NAME", .type = CONFIG_STR, CONFIG_FIELD(f5.pool_name),
		.check = check_object,
		.help = "f5-gtm: GTM pool (type A) whose member at the active site's address is "
			"enabled, the others disabled (default: none)"},
	[FK_CA_FILE] = {.name = "F5_CA_FILE", .type = CONFIG_STR, CONFIG_FIELD(f5.ca_file),
		.help = "f5-gtm: CA bundle the BIG-IP's certificate is verified with (default: "
			"the system store)"},
	[FK_TIMEOUT] = {.name = "F5_TIMEOUT", CONFIG_SECONDS(1, 300), .def = "10",
		CONFIG_FIELD(f5.timeout), .help = "f5-gtm: seconds one iControl REST request may take"},
};
/* clang-format on */

static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	(void)ctx;
	if (strcmp(c->provider, "f5-gtm") != 0) {
		return DF_OK;
	}
	const char *missing = c->f5.host[0] == '\0'	  ? "F5_HOST"
			      : c->f5.username[0] == '\0' ? "F5_USERNAME"
			      : c->f5.password[0] == '\0' ? "F5_PASSWORD (or F5_PASSWORD_FILE)"
							  : NULL;
	if (missing != NULL) {
		df_detail_set(d, "DNS_PROVIDER=f5-gtm needs %s", missing);
		return DF_ECONFIG;
	}
	if (strchr(c->f5.username, ':') != NULL) {
		df_detail_set(d, "F5_USERNAME holds a ':', which HTTP Basic cannot carry");
		return DF_ECONFIG;
	}
	return DF_OK;
}

const config_module_t f5_config = {
	.name = "f5",
	.keys = keys,
	.count = FK_COUNT,
	.relate = relate,
};
