/*
 * DNS_PROVIDER=azure-dns: the lease in an Azure DNS public zone
 * (reference/rest-providers.md sections 1, 5 and 9), on the daemon's loop.
 *
 * token  OAuth 2.0 client credentials at the tenant's v2 token endpoint
 *        (scope https://management.azure.com/.default), kept until shortly
 *        before expires_in; a 401 drops it and the step is tried once more.
 * read   GET the TXT record set, then the A (api-version 2018-05-01). The
 *        version is the two etags.
 * swap   A and TXT have separate etags and no shared transaction, so the TXT
 *        is the authority: PUT it with If-Match: <etag read> (If-None-Match: *
 *        for a first acquisition); 412 PreconditionFailed is CONFLICT. Then
 *        the A is PUT with its own If-Match when it changes. When that fails
 *        the TXT still holds the lease: the A lags, its etag is forgotten and
 *        the next renewal reads it and writes it again. So the CAS covers the
 *        TXT only (ops.atomic_cas is false; cas_note says so).
 * check  the token, then the read.
 */
#include "src/provider/provider.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/clock.h"
#include "src/common/log.h"
#include "src/http/http_client.h"
#include "src/http/oauth.h"
#include "src/provider/azure.h"
#include "src/provider/rest_op.h"

#define AZ_API_VERSION "2018-05-01"
#define AZ_SCOPE       "https://management.azure.com/.default"
#define AZ_BODY_MAX    (1024 * 1024)
#define AZ_URL_MAX     (3 * CONFIG_STR_MAX + 1024)

enum astep { AZ_TOKEN, AZ_GET_TXT, AZ_GET_A, AZ_PUT_TXT, AZ_PRE_A, AZ_PUT_A };
enum akind { AK_NONE, AK_READ, AK_SWAP };

typedef struct azure {
	provider_t base; /* first */
	rest_op_t op;
	char token_url[CONFIG_STR_MAX + 256];
	char zone_url[AZ_URL_MAX]; /* .../dnsZones/ZONE */
	char rel[256];		   /* the record's name in the zone ("@" at the apex) */
	oauth_token_t token;
	http_options_t opt;
	/* The operation in flight. */
	enum akind kind;
	enum astep step, after_token;
	lease_t *out;
	int64_t deadline;
	long budget_ms; /* the time the request in flight was given */
	bool retried_auth;
	bool has_txt, has_a;
	azure_set_t txt, a; /* read, or written */
	char exp_txt_etag[AZURE_ETAG_MAX], exp_a_etag[AZURE_ETAG_MAX];
	char exp_a[64];
	bool create;
	char *body;
} azure_t;

static const char *const step_name[] = {
	[AZ_TOKEN] = "token request", [AZ_GET_TXT] = "GET TXT", [AZ_GET_A] = "GET A",
	[AZ_PUT_TXT] = "PUT TXT",     [AZ_PRE_A] = "GET A",	[AZ_PUT_A] = "PUT A",
};

static azure_t *az_of(provider_t *p)
{
	return (azure_t *)p;
}

static long budget(const azure_t *z)
{
	return rest_budget(&z->base, (long)z->base.cfg->azure.timeout * 1000, z->deadline);
}

static void end_op(azure_t *z)
{
	free(z->body);
	z->body = NULL;
	z->kind = AK_NONE;
}

static char *put_body(const azure_t *z, bool txt)
{
	const lease_t *next = z->out;
	json_int_t ttl = (json_int_t)z->base.cfg->dns_ttl;
	json_t *root;
	if (txt) {
		/* At most 255 bytes per string, no quotes. */
		json_t *strings = json_array();
		size_t len = strlen(next->txt);
		for (size_t i = 0; i == 0 || i < len; i += 255) {
			json_array_append_new(strings, json_stringn(next->txt + i,
								    len - i < 255 ? len - i : 255));
		}
		root = json_pack("{s:{s:I, s:[{s:o}]}}", "properties", "TTL", ttl, "TXTRecords",
				 "value", strings);
	} else {
		root = json_pack("{s:{s:I, s:[{s:s}]}}", "properties", "TTL", ttl, "ARecords",
				 "ipv4Address", next->a);
	}
	char *body = root != NULL ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	return body;
}

static int az_build(void *ctx, http_request_t **req, df_detail_t *d)
{
	azure_t *z = ctx;
	const config_azure_t *c = &z->base.cfg->azure;
	char url[AZ_URL_MAX + 512];
	const char *method = "GET";
	if (z->step != AZ_TOKEN && !oauth_token_usable(&z->token, clock_mono_ms())) {
		z->after_token = z->step;
		z->step = AZ_TOKEN;
	}
	bool txt = z->step == AZ_GET_TXT || z->step == AZ_PUT_TXT;
	if (z->step == AZ_TOKEN) {
		snprintf(url, sizeof(url), "%s", z->token_url);
		method = "POST";
	} else {
		snprintf(url, sizeof(url), "%s/%s/%s?api-version=" AZ_API_VERSION, z->zone_url,
			 txt ? "TXT" : "A", z->rel);
		if (z->step == AZ_PUT_TXT || z->step == AZ_PUT_A) {
			method = "PUT";
		}
	}
	z->budget_ms = budget(z);
	int ret = rest_request(req, method, url, &z->opt, z->budget_ms, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "azure-dns %s", step_name[z->step]);
		return ret;
	}
	ret = http_request_add_header(*req, "Accept: application/json");
	if (z->step == AZ_TOKEN) {
		static char form[4096];
		form[0] = '\0';
		if (ret == DF_OK) {
			ret = oauth_form_add(form, sizeof(form), "client_id", c->client_id);
		}
		if (ret == DF_OK) {
			ret = oauth_form_add(form, sizeof(form), "client_secret", c->client_secret);
		}
		if (ret == DF_OK) {
			ret = oauth_form_add(form, sizeof(form), "grant_type",
					     "client_credentials");
		}
		if (ret == DF_OK) {
			ret = oauth_form_add(form, sizeof(form), "scope", AZ_SCOPE);
		}
		if (ret == DF_OK) {
			ret = http_request_add_header(
				*req, "Content-Type: application/x-www-form-urlencoded");
		}
		if (ret == DF_OK) {
			ret = http_request_set_body(*req, form, strlen(form));
		}
		explicit_bzero(form, sizeof(form));
		return ret;
	}
	if (ret == DF_OK) {
		ret = rest_add_bearer(*req, &z->token);
	}
	if (ret == DF_OK && (z->step == AZ_PUT_TXT || z->step == AZ_PUT_A)) {
		char cond[AZURE_ETAG_MAX + 32];
		const char *etag = z->step == AZ_PUT_TXT ? z->exp_txt_etag : z->exp_a_etag;
		if (etag[0] != '\0') {
			snprintf(cond, sizeof(cond), "If-Match: %s", etag);
		} else {
			snprintf(cond, sizeof(cond), "If-None-Match: *");
		}
		free(z->body);
		z->body = put_body(z, z->step == AZ_PUT_TXT);
		ret = z->body == NULL ? DF_ENOMEM : http_request_add_header(*req, cond);
		if (ret == DF_OK) {
			ret = http_request_add_header(*req, "Content-Type: application/json");
		}
		if (ret == DF_OK) {
			ret = http_request_set_body(*req, z->body, strlen(z->body));
		}
	}
	return ret;
}

/* Fills l from the sets read. DF_ENOTFOUND without a TXT. */
static int lease_from_sets(azure_t *z, lease_t *l, df_detail_t *d)
{
	const config_t *cfg = z->base.cfg;
	memset(l, 0, sizeof(*l));
	snprintf(l->server, sizeof(l->server), "%.*s", (int)sizeof(l->server) - 1,
		 cfg->azure.management_url);
	if (z->has_a) {
		provider_lease_add_a_list(l, z->a.a_list);
		l->a_count = z->a.a_count;
		snprintf(l->a, sizeof(l->a), "%s", z->a.a);
	}
	if (z->has_txt) {
		provider_lease_set_txt(l, z->txt.txt, strlen(z->txt.txt));
	}
	if (!z->has_txt) {
		df_detail_set(d, "no lease TXT record set %s in zone %s (resource group %s)",
			      z->rel, cfg->zone, cfg->azure.resource_group);
		return DF_ENOTFOUND;
	}
	return azure_version_put(&l->version, z->txt.etag, z->has_a ? z->a.etag : "");
}

/* The step after the TXT was written: the A, or the end. */
static bool after_txt(azure_t *z, int *ret)
{
	const lease_t *next = z->out;
	if (!next->has_a) {
		*ret = azure_version_put(&z->out->version, z->txt.etag, z->exp_a_etag);
		return true;
	}
	if (z->exp_a_etag[0] != '\0' && !z->create && strcmp(z->exp_a, next->a) == 0) {
		*ret = azure_version_put(&z->out->version, z->txt.etag, z->exp_a_etag);
		return true; /* the A already holds it */
	}
	z->step = z->exp_a_etag[0] != '\0' ? AZ_PUT_A : AZ_PRE_A;
	return false;
}

/* The A could not be written: the TXT holds the lease, the next renewal repairs the A. */
static bool a_lags(azure_t *z, const char *why, int *ret, df_detail_t *d)
{
	log_warn("azure-dns: the lease TXT %s was written, its A record was not (%s): the A "
		 "lags and the next renewal writes it again",
		 z->rel, why);
	d->msg[0] = '\0';
	*ret = azure_version_put(&z->out->version, z->txt.etag, "");
	return true;
}

static int answer_error(azure_t *z, long status, const char *body, size_t len, df_detail_t *d)
{
	const config_t *cfg = z->base.cfg;
	char code[96], msg[300];
	azure_err_t k = azure_parse_error(body, len, status, code, sizeof(code), msg, sizeof(msg));
	const char *what = step_name[z->step];
	switch (k) {
	case AZURE_ERR_CONFLICT:
		df_detail_set(d,
			      "azure-dns %s %s: HTTP 412 %s (%s): the record set changed since "
			      "it was read (someone else wrote first)",
			      what, z->rel, code, msg);
		return DF_ECONFLICT;
	case AZURE_ERR_FORBIDDEN:
	case AZURE_ERR_AUTH:
		df_detail_set(d,
			      "azure-dns %s %s: HTTP %ld %s (%s): the service principal "
			      "AZURE_CLIENT_ID=%s needs the DNS Zone Contributor role on zone %s "
			      "in resource group %s",
			      what, z->rel, status, code, msg, cfg->azure.client_id, cfg->zone,
			      cfg->azure.resource_group);
		return DF_EACCES;
	case AZURE_ERR_ZONE:
	case AZURE_ERR_ABSENT:
		df_detail_set(d,
			      "azure-dns %s %s: HTTP 404 %s (%s): check DNS_ZONE, "
			      "AZURE_RESOURCE_GROUP=%s and AZURE_SUBSCRIPTION_ID=%s",
			      what, z->rel, code, msg, cfg->azure.resource_group,
			      cfg->azure.subscription_id);
		return DF_ECONFIG;
	case AZURE_ERR_THROTTLED:
		df_detail_set(d, "azure-dns %s: HTTP 429 %s (%s): throttled; nothing applied", what,
			      code, msg);
		return DF_ENETWORK;
	case AZURE_ERR_SERVER:
		df_detail_set(d, "azure-dns %s %s: HTTP %ld %s (%s): server error", what, z->rel,
			      status, code, msg);
		if (z->step == AZ_PUT_TXT) {
			df_detail_prefix(d,
					 "the outcome of the write of %s is unknown (read again)",
					 z->rel);
			return DF_EUNKNOWN;
		}
		return DF_ENETWORK;
	default:
		df_detail_set(d, "azure-dns %s %s: HTTP %ld %s (%s)", what, z->rel, status, code,
			      msg);
		return DF_ERCODE;
	}
}

/* Entra ID refused the service principal's sign-in. */
static void az_refused(void *ctx, const oauth_answer_t *a, long status, df_detail_t *d)
{
	const azure_t *z = ctx;
	const config_azure_t *c = &z->base.cfg->azure;
	df_detail_set(d,
		      "azure-dns: Entra ID (%s) refused the sign-in of AZURE_CLIENT_ID=%s in "
		      "AZURE_TENANT_ID=%s: HTTP %ld %s (%s): %s",
		      c->login_url, c->client_id, c->tenant_id, status, a->error, a->description,
		      azure_token_advice(a));
}

static bool az_advance(void *ctx, http_request_t *req, int http_ret, int *ret, int64_t *delay,
		       df_detail_t *d)
{
	azure_t *z = ctx;
	const config_t *cfg = z->base.cfg;
	size_t len = 0;
	const char *body = http_request_body(req, &len);
	long status = http_request_status(req);
	*delay = 0;
	if (http_ret != DF_OK) {
		char who[64];
		snprintf(who, sizeof(who), "azure-dns %s", step_name[z->step]);
		bool sent = rest_transfer_detail(req, who,
						 z->step == AZ_TOKEN ? cfg->azure.login_url
								     : cfg->azure.management_url,
						 z->budget_ms, "AZURE_CA_FILE", d);
		if (z->step == AZ_PUT_TXT && sent) {
			df_detail_prefix(d,
					 "the outcome of the write of %s is unknown (read again)",
					 z->rel);
			*ret = DF_EUNKNOWN;
		} else if (z->step == AZ_PUT_A || z->step == AZ_PRE_A) {
			a_lags(z, d->msg, ret, d);
		} else {
			*ret = http_ret;
		}
		goto over;
	}
	if (z->step == AZ_TOKEN) {
		*ret = rest_token_answer(&z->token, req, "azure-dns", z->token_url, az_refused, z,
					 d);
		if (*ret == DF_OK) {
			z->step = z->after_token;
			return false;
		}
		goto over;
	}
	char who401[64];
	snprintf(who401, sizeof(who401), "azure-dns: %s", step_name[z->step]);
	if (rest_retry_401(&z->token, status, &z->retried_auth, who401)) {
		return false;
	}
	bool ok = status == 200 || status == 201;
	switch (z->step) {
	case AZ_GET_TXT:
	case AZ_GET_A:
	case AZ_PRE_A: {
		bool is_txt = z->step == AZ_GET_TXT;
		azure_set_t *set = is_txt ? &z->txt : &z->a;
		bool *has = is_txt ? &z->has_txt : &z->has_a;
		if (!ok) {
			char code[96], msg[200];
			if (status == 404 &&
			    azure_parse_error(body, len, status, code, sizeof(code), msg,
					      sizeof(msg)) == AZURE_ERR_ABSENT) {
				*has = false;
			} else {
				*ret = answer_error(z, status, body, len, d);
				if (z->step == AZ_PRE_A) {
					a_lags(z, d->msg, ret, d);
				}
				goto over;
			}
		} else {
			int r = azure_parse_set(body, len, is_txt ? "TXT" : "A", set, d);
			if (r != DF_OK) {
				*ret = r;
				if (z->step == AZ_PRE_A) {
					a_lags(z, d->msg, ret, d);
				}
				goto over;
			}
			*has = true;
		}
		if (z->step == AZ_GET_TXT) {
			z->step = AZ_GET_A;
			return false;
		}
		if (z->step == AZ_GET_A) {
			*ret = lease_from_sets(z, z->out, d);
			goto over;
		}
		/* AZ_PRE_A: the A's etag, for its conditional write. */
		snprintf(z->exp_a_etag, sizeof(z->exp_a_etag), "%s", z->has_a ? z->a.etag : "");
		z->step = AZ_PUT_A;
		return false;
	}
	case AZ_PUT_TXT: {
		if (!ok) {
			*ret = answer_error(z, status, body, len, d);
			if (*ret == DF_ECONFLICT && z->create) {
				df_detail_set(d,
					      "azure-dns PUT TXT %s: HTTP 412: a lease TXT exists "
					      "already (someone else wrote it)",
					      z->rel);
			}
			goto over;
		}
		int r = azure_parse_set(body, len, "TXT", &z->txt, d);
		if (r != DF_OK) {
			df_detail_prefix(d,
					 "the outcome of the write of %s is unknown (read again)",
					 z->rel);
			*ret = DF_EUNKNOWN;
			goto over;
		}
		if (after_txt(z, ret)) {
			goto over;
		}
		return false;
	}
	case AZ_PUT_A: {
		if (!ok) {
			answer_error(z, status, body, len, d);
			a_lags(z, d->msg, ret, d);
			goto over;
		}
		int r = azure_parse_set(body, len, "A", &z->a, d);
		if (r != DF_OK) {
			a_lags(z, d->msg, ret, d);
			goto over;
		}
		*ret = azure_version_put(&z->out->version, z->txt.etag, z->a.etag);
		goto over;
	}
	default:
		*ret = DF_EINVAL;
		goto over;
	}
over:
	end_op(z);
	return true;
}

static int setup(azure_t *z, enum akind kind, lease_t *out)
{
	if (z->op.busy) { /* kind may be left over from an operation a failed build ended */
		return DF_EINVAL;
	}
	if (rest_op_deadline(&z->base, &z->deadline) != DF_OK) {
		return DF_ETIMEDOUT;
	}
	z->kind = kind;
	z->out = out;
	z->retried_auth = false;
	z->has_txt = z->has_a = false;
	memset(&z->txt, 0, sizeof(z->txt));
	memset(&z->a, 0, sizeof(z->a));
	z->step = kind == AK_READ ? AZ_GET_TXT : AZ_PUT_TXT;
	return DF_OK;
}

static int az_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			 void *arg)
{
	azure_t *z = az_of(p);
	if (out == NULL) {
		return DF_EINVAL;
	}
	int ret = setup(z, AK_READ, out);
	if (ret == DF_OK && (ret = rest_op_begin(&z->op, m, done, arg)) != DF_OK) {
		end_op(z);
	}
	return ret;
}

static int az_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			 provider_done_fn done, void *arg)
{
	azure_t *z = az_of(p);
	if (next == NULL || lease_value_format(next) != DF_OK) {
		return DF_EINVAL;
	}
	int ret = setup(z, AK_SWAP, next);
	if (ret != DF_OK) {
		return ret;
	}
	z->exp_txt_etag[0] = z->exp_a_etag[0] = z->exp_a[0] = '\0';
	z->create = expected == NULL || !expected->has_txt;
	if (!z->create) {
		if (!azure_version_get(&expected->version, z->exp_txt_etag, z->exp_a_etag)) {
			log_warn(
				"azure-dns: the lease to replace was not read from Azure DNS; read "
				"it again");
			end_op(z);
			return DF_EINVAL;
		}
		if (expected->has_a) {
			snprintf(z->exp_a, sizeof(z->exp_a), "%s", expected->a);
		}
	}
	next->version.len = 0;
	if ((ret = rest_op_begin(&z->op, m, done, arg)) != DF_OK) {
		end_op(z);
	}
	return ret;
}

static void az_cancel(provider_t *p)
{
	azure_t *z = az_of(p);
	rest_op_cancel(&z->op);
	end_op(z);
}

static int az_check(provider_t *p, provider_report_fn fn, void *arg, df_detail_t *d)
{
	azure_t *z = az_of(p);
	const config_t *cfg = p->cfg;
	char token_ok[512], read_ok[1024];
	snprintf(token_ok, sizeof(token_ok),
		 "Entra ID tenant %s issued a token to AZURE_CLIENT_ID=%s (AZURE_CLIENT_SECRET "
		 "accepted)",
		 cfg->azure.tenant_id, cfg->azure.client_id);
	snprintf(read_ok, sizeof(read_ok),
		 "zone %s in resource group %s readable (the right to change it shows at the "
		 "first write); lease record set %s",
		 cfg->zone, cfg->azure.resource_group, z->rel);
	return rest_check(p, &z->token, fn, arg, token_ok, read_ok, d);
}

static void az_free(provider_t *p)
{
	azure_t *z = az_of(p);
	az_cancel(p);
	rest_op_free(&z->op);
	explicit_bzero(&z->token, sizeof(z->token));
	free(z);
}

static const provider_ops_t azure_ops = {
	.id = "azure-dns",
	.atomic_cas = false,
	.cas_note = "Azure DNS has conditional writes per record set only: the TXT is written "
		    "with If-Match on the etag read (a writer holding a stale etag fails with "
		    "412), then the A with its own etag; the compare-and-swap covers the TXT "
		    "only and the A may lag one renewal",
	.read_begin = az_read_begin,
	.swap_begin = az_swap_begin,
	.cancel = az_cancel,
	.check = az_check,
	.free = az_free,
};

static void trim_slash(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/') {
		s[--n] = '\0';
	}
}

int provider_azure_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	const config_azure_t *c = &cfg->azure;
	if (c->subscription_id[0] == '\0' || c->resource_group[0] == '\0' ||
	    c->tenant_id[0] == '\0' || c->client_id[0] == '\0' || c->client_secret[0] == '\0') {
		df_detail_set(d, "DNS_PROVIDER=azure-dns needs AZURE_SUBSCRIPTION_ID, "
				 "AZURE_RESOURCE_GROUP, AZURE_TENANT_ID, AZURE_CLIENT_ID and "
				 "AZURE_CLIENT_SECRET");
		return DF_ECONFIG;
	}
	azure_t *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		return DF_ENOMEM;
	}
	z->base.ops = &azure_ops;
	z->base.cfg = cfg;
	z->op = (rest_op_t){.p = &z->base, .build = az_build, .advance = az_advance, .ctx = z};
	char login[CONFIG_STR_MAX], mgmt[CONFIG_STR_MAX], zone[256], record[256];
	snprintf(login, sizeof(login), "%s", c->login_url);
	snprintf(mgmt, sizeof(mgmt), "%s", c->management_url);
	trim_slash(login);
	trim_slash(mgmt);
	provider_name_bare(zone, sizeof(zone), cfg->zone);
	provider_name_bare(record, sizeof(record), cfg->record);
	snprintf(z->token_url, sizeof(z->token_url), "%s/%s/oauth2/v2.0/token", login,
		 c->tenant_id);
	snprintf(z->zone_url, sizeof(z->zone_url),
		 "%s/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/dnsZones/%s",
		 mgmt, c->subscription_id, c->resource_group, zone);
	size_t rl = strlen(record), zl = strlen(zone);
	if (rl == zl) {
		snprintf(z->rel, sizeof(z->rel), "@");
	} else {
		snprintf(z->rel, sizeof(z->rel), "%.*s", (int)(rl - zl - 1), record);
	}
	z->opt = (http_options_t){
		.ca_file = c->ca_file,
		.proxy = cfg->https_proxy,
		.connect_timeout_ms = (long)c->timeout * 1000,
		.timeout_ms = (long)c->timeout * 1000,
		.body_max = AZ_BODY_MAX,
	};
	*out = &z->base;
	return DF_OK;
}
