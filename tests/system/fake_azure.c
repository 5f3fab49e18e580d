/*
 * fake_azure: a stand-in for the Entra ID v2 token endpoint and the Azure DNS
 * record sets of Azure Resource Manager over HTTPS, for the azure-dns
 * provider's system tests.
 *
 *   fake_azure -p PORT -k KEY.pem -C CERT.pem -t TENANT -i CLIENT_ID -s SECRET
 *              -S SUBSCRIPTION -g RESOURCE_GROUP -z ZONE [-E EXPIRES_IN]
 *              [-c CONTROL] [-P PIDFILE]
 *
 * The contract of reference/rest-providers.md section 5:
 *   POST /TENANT/oauth2/v2.0/token  client_id, client_secret,
 *        grant_type=client_credentials, scope=https://management.azure.com/.default
 *        (form). Refusals with Entra ID's shapes and AADSTS codes: another tenant
 *        90002, another client id 700016, a wrong secret 401 invalid_client
 *        7000215, another grant 70003, another scope 70011. Else
 *        {"token_type":"Bearer","expires_in":EXPIRES_IN (3599),"access_token":...};
 *        the token stops working after EXPIRES_IN s.
 *   GET|PUT /subscriptions/S/resourceGroups/G/providers/Microsoft.Network/dnsZones/Z/
 *        {A|TXT}/NAME?api-version=2018-05-01
 *        Bearer token checked (401 AuthenticationFailed, InvalidAuthenticationToken,
 *        ExpiredAuthenticationToken). Another subscription: 404 SubscriptionNotFound;
 *        resource group: 404 ResourceGroupNotFound; zone: 404 ParentResourceNotFound.
 *        A missing record set: 404 NotFound [unconfirmed: the code is the fake's choice].
 *        PUT with If-Match: ETAG applies only when ETAG is the set's current etag,
 *        with If-None-Match: * only when the set does not exist; else 412
 *        PreconditionFailed (Azure PowerShell's wording). Each write gives a new
 *        etag; 201 for a creation, 200 for an update.
 * The control file's own word: "forbidden" answers 403 AuthorizationFailed to
 * every write.
 *   POST /__fake/expires?s=N, POST /__fake/revoke: see fake_https.h
 *   GET  /__fake/records   every record set
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "tests/system/fake_oauth.h"

#define SCOPE "https://management.azure.com/.default"

static struct {
	const char *tenant, *client_id, *secret, *sub, *rg, *zone;
	json_t *sets; /* "TYPE/name" -> the record set as GET returns it */
	unsigned long etags;
} g;

static MHD_RESULT aad_err(const fh_request_t *r, unsigned status, const char *err, long code,
			  const char *desc)
{
	char text[600];
	snprintf(text, sizeof(text),
		 "AADSTS%ld: %s Trace ID: 00000000-0000-0000-0000-000000000000 Correlation ID: "
		 "00000000-0000-0000-0000-000000000000 Timestamp: 2026-01-15 12:00:00Z",
		 code, desc);
	return fh_send_json(r->c, status,
			    json_pack("{s:s, s:s, s:[I], s:s}", "error", err, "error_description",
				      text, "error_codes", (json_int_t)code, "timestamp",
				      "2026-01-15 12:00:00Z"));
}

static MHD_RESULT arm_err(const fh_request_t *r, unsigned status, const char *code, const char *msg)
{
	return fh_send_json(r->c, status,
			    json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
}

static MHD_RESULT token(const fh_request_t *r, const char *tenant)
{
	char v[1024], msg[400];
	if (strcmp(tenant, g.tenant) != 0) {
		snprintf(msg, sizeof(msg),
			 "Tenant '%.64s' not found. Check to make sure you have the correct tenant "
			 "ID and are signing into the correct cloud.",
			 tenant);
		return aad_err(r, 400, "invalid_request", 90002, msg);
	}
	if (!fo_form_value(r->body, "grant_type", v, sizeof(v)) ||
	    strcmp(v, "client_credentials") != 0) {
		return aad_err(r, 400, "unsupported_grant_type", 70003,
			       "The app requested an unsupported grant type.");
	}
	if (!fo_form_value(r->body, "client_id", v, sizeof(v)) || strcmp(v, g.client_id) != 0) {
		snprintf(msg, sizeof(msg),
			 "Application with identifier '%.64s' was not found in the directory "
			 "'%s'.",
			 v, g.tenant);
		return aad_err(r, 400, "unauthorized_client", 700016, msg);
	}
	if (!fo_form_value(r->body, "client_secret", v, sizeof(v)) || strcmp(v, g.secret) != 0) {
		return aad_err(r, 401, "invalid_client", 7000215,
			       "Invalid client secret provided. Ensure the secret being sent in "
			       "the request is the client secret value, not the client secret ID, "
			       "for a secret added to app.");
	}
	if (!fo_form_value(r->body, "scope", v, sizeof(v)) || strcmp(v, SCOPE) != 0) {
		return aad_err(r, 400, "invalid_scope", 70011,
			       "The provided request must include a 'scope' input parameter.");
	}
	long life;
	const char *tok = fo_token_issue("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake", &life);
	return fh_send_json(r->c, 200,
			    json_pack("{s:s, s:I, s:I, s:s}", "token_type", "Bearer", "expires_in",
				      (json_int_t)life, "ext_expires_in", (json_int_t)life,
				      "access_token", tok));
}

/* One path segment after prefix, into buf; the rest of the path after it. */
static const char *segment(const char *p, const char *prefix, char *buf, size_t size)
{
	size_t pl = strlen(prefix);
	if (p == NULL || strncasecmp(p, prefix, pl) != 0) {
		return NULL;
	}
	p += pl;
	size_t n = strcspn(p, "/");
	if (n == 0 || n >= size) {
		return NULL;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	return p + n;
}

static MHD_RESULT put(const fh_request_t *r, const char *key, const char *type, const char *name,
		      json_t *cur)
{
	const char *if_match = fo_header(r, "If-Match"), *if_none = fo_header(r, "If-None-Match");
	const char *cur_etag = cur != NULL ? json_string_value(json_object_get(cur, "etag")) : NULL;
	char msg[400];
	if (strcmp(r->mode, "forbidden") == 0) {
		snprintf(msg, sizeof(msg),
			 "The client '%s' with object id '%s' does not have authorization to "
			 "perform action 'Microsoft.Network/dnsZones/%s/write' over scope "
			 "'/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
			 "dnsZones/%s/%s/%s' or the scope is invalid. If access was recently "
			 "granted, please refresh your credentials.",
			 g.client_id, g.client_id, type, g.sub, g.rg, g.zone, type, name);
		return arm_err(r, 403, "AuthorizationFailed", msg);
	}
	if (if_match != NULL && (cur_etag == NULL || strcmp(if_match, cur_etag) != 0)) {
		snprintf(msg, sizeof(msg),
			 "The condition '%.64s' in the If-Match header was not satisfied. The "
			 "current was '%s'.",
			 if_match, cur_etag != NULL ? cur_etag : "");
		return arm_err(r, 412, "PreconditionFailed", msg);
	}
	if (if_none != NULL && strcmp(if_none, "*") == 0 && cur != NULL) {
		return arm_err(r, 412, "PreconditionFailed",
			       "The condition '*' in the If-None-Match header was not satisfied. "
			       "The current was not empty.");
	}
	json_t *body = json_loads(r->body, 0, NULL);
	json_t *props = json_object_get(body, "properties");
	json_t *ttl = json_object_get(props, "TTL");
	const char *member = strcmp(type, "A") == 0 ? "ARecords" : "TXTRecords";
	json_t *recs = json_object_get(props, member);
	if (!json_is_integer(ttl) || !json_is_array(recs)) {
		json_decref(body);
		return arm_err(r, 400, "BadRequest", "The request body is not a valid record set.");
	}
	char etag[64], id[600], fqdn[600];
	snprintf(etag, sizeof(etag), "%08lx-0000-4000-8000-%012lx", ++g.etags,
		 (unsigned long)time(NULL));
	snprintf(
		id, sizeof(id),
		"/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/dnszones/%s/%s/%s",
		g.sub, g.rg, g.zone, type, name);
	snprintf(fqdn, sizeof(fqdn), "%s.%s.", name, g.zone);
	json_t *set = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:O, s:O, s:s, s:{}}}", "id", id,
				"name", name, "type",
				strcmp(type, "A") == 0 ? "Microsoft.Network/dnszones/A"
						       : "Microsoft.Network/dnszones/TXT",
				"etag", etag, "properties", "fqdn", fqdn, "TTL", ttl, member, recs,
				"provisioningState", "Succeeded", "targetResource");
	json_decref(body);
	bool created = cur == NULL;
	json_object_set(g.sets, key, set);
	return fo_send_written(r, created ? 201 : 200, set);
}

static MHD_RESULT api(const fh_request_t *r)
{
	char tenant[128], sub[128], rg[128], zone[256], type[16], name[256], msg[400];
	const char *p;
	MHD_RESULT page;
	if (fo_token_page(r, &page)) {
		return page;
	}
	if (strcmp(r->url, "/__fake/records") == 0) {
		return fh_send_json(r->c, 200, json_deep_copy(g.sets));
	}
	if ((p = segment(r->url, "/", tenant, sizeof(tenant))) != NULL &&
	    strcmp(p, "/oauth2/v2.0/token") == 0 && strcmp(r->method, "POST") == 0) {
		return token(r, tenant);
	}
	fo_token_state_t ts = fo_token_check(r);
	if (ts == FO_TOKEN_NONE) {
		return arm_err(r, 401, "AuthenticationFailed",
			       "Authentication failed. The 'Authorization' header is missing.");
	}
	if (ts == FO_TOKEN_UNKNOWN) {
		return arm_err(r, 401, "InvalidAuthenticationToken",
			       "The access token is invalid.");
	}
	if (ts == FO_TOKEN_EXPIRED) {
		return arm_err(
			r, 401, "ExpiredAuthenticationToken",
			"The access token expiry UTC time is earlier than current UTC time.");
	}
	p = segment(r->url, "/subscriptions/", sub, sizeof(sub));
	if (p == NULL) {
		return arm_err(r, 404, "NotFound", "No HTTP resource was found.");
	}
	if (strcmp(sub, g.sub) != 0) {
		snprintf(msg, sizeof(msg), "The subscription '%.64s' could not be found.", sub);
		return arm_err(r, 404, "SubscriptionNotFound", msg);
	}
	p = segment(p, "/resourceGroups/", rg, sizeof(rg));
	if (p == NULL) {
		return arm_err(r, 404, "NotFound", "No HTTP resource was found.");
	}
	if (strcasecmp(rg, g.rg) != 0) {
		snprintf(msg, sizeof(msg), "Resource group '%.64s' could not be found.", rg);
		return arm_err(r, 404, "ResourceGroupNotFound", msg);
	}
	p = segment(p, "/providers/Microsoft.Network/dnsZones/", zone, sizeof(zone));
	if (p == NULL) {
		return arm_err(r, 404, "NotFound", "No HTTP resource was found.");
	}
	if (strcasecmp(zone, g.zone) != 0) {
		snprintf(msg, sizeof(msg),
			 "Can not perform requested operation on nested resource. Parent resource "
			 "'%.64s' not found.",
			 zone);
		return arm_err(r, 404, "ParentResourceNotFound", msg);
	}
	p = segment(p, "/", type, sizeof(type));
	if (p == NULL || (strcmp(type, "A") != 0 && strcmp(type, "TXT") != 0) || *p != '/' ||
	    strchr(p + 1, '/') != NULL || p[1] == '\0' || strlen(p + 1) >= sizeof(name)) {
		return arm_err(r, 404, "NotFound", "No HTTP resource was found.");
	}
	snprintf(name, sizeof(name), "%s", p + 1);
	const char *ver = fo_arg(r, "api-version");
	if (ver == NULL || strcmp(ver, "2018-05-01") != 0) {
		return arm_err(r, 400, "InvalidApiVersionParameter",
			       "The api-version is missing or not supported: use 2018-05-01.");
	}
	char key[300];
	snprintf(key, sizeof(key), "%s/%s", type, name);
	json_t *cur = json_object_get(g.sets, key);
	if (strcmp(r->method, "GET") == 0) {
		if (cur == NULL) {
			snprintf(
				msg, sizeof(msg),
				"The resource record '%s' does not exist in resource group '%s' of "
				"subscription '%s'.",
				name, g.rg, g.sub);
			return arm_err(r, 404, "NotFound", msg);
		}
		return fh_send_json(r->c, 200, json_deep_copy(cur));
	}
	if (strcmp(r->method, "PUT") == 0) {
		return put(r, key, type, name, cur);
	}
	return arm_err(r, 405, "MethodNotAllowed", "The method is not allowed.");
}

int main(int argc, char **argv)
{
	fh_opts_t o = {0};
	int opt;
	while ((opt = getopt(argc, argv, "p:k:C:t:i:s:S:g:z:E:c:P:")) != -1) {
		if (fh_opt(&o, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case 't':
			g.tenant = optarg;
			break;
		case 'i':
			g.client_id = optarg;
			break;
		case 's':
			g.secret = optarg;
			break;
		case 'S':
			g.sub = optarg;
			break;
		case 'g':
			g.rg = optarg;
			break;
		case 'z':
			g.zone = optarg;
			break;
		case 'E':
			fo_token_lifetime(atol(optarg));
			break;
		default:
			fprintf(stderr,
				"usage: fake_azure -p PORT -k KEY -C CERT -t TENANT -i CLIENT "
				"-s SECRET -S SUB -g RG -z ZONE [-E SECONDS] [-c CONTROL] "
				"[-P PIDFILE]\n");
			return 2;
		}
	}
	if (g.tenant == NULL || g.client_id == NULL || g.secret == NULL || g.sub == NULL ||
	    g.rg == NULL || g.zone == NULL) {
		fprintf(stderr, "fake_azure: -t, -i, -s, -S, -g and -z are required\n");
		return 2;
	}
	g.sets = json_object();
	return fh_serve("fake_azure", o.port, o.key, o.cert, o.control, o.pidfile, api,
			fo_token_stats);
}
