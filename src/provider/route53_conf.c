/*
 * The keys of DNS_PROVIDER=route53, with the existing tool's names and
 * defaults (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
 * ROUTE53_ZONE_ID) and the few new ones it needs: temporary credentials,
 * an endpoint for GovCloud, private endpoints and tests, and its CA file.
 * Its proxy is the one of every REST provider, HTTPS_PROXY
 * (src/provider/provider_conf.c).
 */
#include "src/provider/route53_conf.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_ENDPOINT "https://route53.amazonaws.com"

enum {
	RK_ACCESS_KEY_ID,
	RK_SECRET_ACCESS_KEY,
	RK_SESSION_TOKEN,
	RK_REGION,
	RK_ZONE_ID,
	RK_ENDPOINT,
	RK_CA_FILE,
	RK_COUNT
};

static const char *check_zone_id(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize,
		 "a hosted zone id such as Z0123456789ABC (or /hostedzone/Z0123...)");
	if (strncmp(v, "/hostedzone/", 12) == 0) {
		v += 12;
	}
	if (*v == '\0') {
		return "is empty";
	}
	for (const char *p = v; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) {
			return "is not a hosted zone id (upper-case letters and digits)";
		}
	}
	return NULL;
}

static const char *check_https(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize, "an https:// URL, e.g. %s", DEFAULT_ENDPOINT);
	if (strncmp(v, "https://", 8) != 0) {
		return "is not https: AWS credentials are sent only over verified TLS";
	}
	if (strchr(v + 8, '?') != NULL || strchr(v + 8, '#') != NULL) {
		return "has a query or fragment";
	}
	return NULL;
}

static const char *check_access_key(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize, "an access key id such as AKIAIOSFODNN7EXAMPLE");
	for (const char *p = v; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) {
			return "is not an access key id (upper-case letters and digits)";
		}
	}
	return NULL;
}

static const char *check_region(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize, "a region name such as us-east-1");
	for (const char *p = v; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
			return "is not a region name";
		}
	}
	return NULL;
}

/* clang-format off */
static const config_key_t keys[RK_COUNT] = {
	[RK_ACCESS_KEY_ID] = {.name = "AWS_ACCESS_KEY_ID", .type = CONFIG_STR,
		CONFIG_FIELD(route53.access_key_id), .check = check_access_key,
		.help = "route53: access key id of the IAM user or role"},
	[RK_SECRET_ACCESS_KEY] = {CONFIG_SECRET_NAME("AWS_SECRET_ACCESS_KEY"), .type = CONFIG_STR,
		.flags = CONFIG_SECRET, CONFIG_FIELD(route53.secret_access_key),
		.help = "route53: secret access key of AWS_ACCESS_KEY_ID"},
	[RK_SESSION_TOKEN] = {CONFIG_SECRET_NAME("AWS_SESSION_TOKEN"), .type = CONFIG_STR,
		.flags = CONFIG_SECRET, CONFIG_FIELD(route53.session_token),
		.help = "route53: session token of temporary credentials (STS)"},
	[RK_REGION] = {.name = "AWS_REGION", .type = CONFIG_STR, .def = "us-east-1",
		CONFIG_FIELD(route53.region), .check = check_region,
		.help = "route53: signing region with ROUTE53_ENDPOINT (Route 53 itself signs for us-east-1)"},
	[RK_ZONE_ID] = {.name = "ROUTE53_ZONE_ID", .type = CONFIG_STR,
		CONFIG_FIELD(route53.zone_id), .check = check_zone_id,
		.help = "route53: hosted zone id of DNS_ZONE"},
	[RK_ENDPOINT] = {.name = "ROUTE53_ENDPOINT", .type = CONFIG_URL, .def = DEFAULT_ENDPOINT,
		CONFIG_FIELD(route53.endpoint), .check = check_https,
		.help = "route53: API endpoint (GovCloud: https://route53.us-gov.amazonaws.com)"},
	[RK_CA_FILE] = {.name = "ROUTE53_CA_FILE", .type = CONFIG_STR,
		CONFIG_FIELD(route53.ca_file),
		.help = "route53: CA file that verifies ROUTE53_ENDPOINT (default: the system store)"},
};
/* clang-format on */

const char *route53_signing_region(const config_route53_t *c)
{
	/* The partitions' global endpoints sign for one region whatever
	 * AWS_REGION says (the existing tool's boto3 does the same). */
	if (strcmp(c->endpoint, DEFAULT_ENDPOINT) == 0 ||
	    strcmp(c->endpoint, DEFAULT_ENDPOINT "/") == 0) {
		return "us-east-1";
	}
	if (strstr(c->endpoint, "://route53.us-gov.amazonaws.com") != NULL) {
		return "us-gov-west-1";
	}
	if (strstr(c->endpoint, "://route53.amazonaws.com.cn") != NULL) {
		return "cn-northwest-1";
	}
	return c->region;
}

static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	config_route53_t *r = &c->route53;
	char a1[640];
	/* Stored bare: the API's paths take the id alone. */
	if (strncmp(r->zone_id, "/hostedzone/", 12) == 0) {
		memmove(r->zone_id, r->zone_id + 12, strlen(r->zone_id + 12) + 1);
	}
	if (strcmp(c->provider, "route53") != 0 || config_watch_only(ctx)) {
		return DF_OK;
	}
	static const int required[] = {RK_ACCESS_KEY_ID, RK_SECRET_ACCESS_KEY, RK_ZONE_ID};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const config_key_t *k = &keys[required[i]];
		const char *v = (const char *)c + k->off;
		if (v[0] == '\0') {
			df_detail_set(d, "DNS_PROVIDER=route53 needs %s (%s)%s", k->name,
				      k->help + strlen("route53: "),
				      k->file_name != NULL ? "; or set its _FILE form to a file"
							     " holding it"
							   : "");
			return DF_ECONFIG;
		}
	}
	if (config_is_set(ctx, &keys[RK_REGION]) &&
	    strcmp(route53_signing_region(r), r->region) != 0) {
		char msg[700];
		snprintf(msg, sizeof(msg),
			 "AWS_REGION=%s (%s) is not used: Route 53 at %s signs for %s", r->region,
			 config_where(ctx, &keys[RK_REGION], a1, sizeof(a1)), r->endpoint,
			 route53_signing_region(r));
		/* The seed's files set AWS_REGION=us-east-1: only a different value is worth
		 * saying. */
		config_warn(ctx, msg);
	}
	return DF_OK;
}

const config_module_t route53_config = {
	.name = "route53",
	.keys = keys,
	.count = RK_COUNT,
	.relate = relate,
};
