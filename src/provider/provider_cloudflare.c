/*
 * The cloudflare provider: the lease A and TXT in a Cloudflare zone through
 * the v4 API (reference/rest-providers.md sections 1, 3 and 9), on the
 * daemon's event loop.
 *
 * read  GET /zones/{zid}/dns_records?name=RECORD: the A and TXT records at
 *       the lease name. The version is the TXT record's id and the A's.
 * swap  Cloudflare has no conditional write. Each write is one batch,
 *       POST /zones/{zid}/dns_records/batch, that deletes the TXT id read,
 *       posts the new TXT (so the id changes with every write and acts as
 *       the version) and patches or posts the A; the batch is one database
 *       transaction, so a competitor's batch deleting a stale id fails
 *       whole (81044, "Record does not exist": CONFLICT). Then the records
 *       are read back. This is not an atomic CAS (ops.atomic_cas is false):
 *       it holds only while every writer replaces the TXT this way.
 * check GET /zones?name=DNS_ZONE (or /zones/{zid}): the token and the zone,
 *       then a read.
 *
 * Each operation is a small state machine: one request at a time through
 * the caller's http_multi_t, each bounded by CLOUDFLARE_TIMEOUT and by
 * p->deadline_ms. The zone id, once looked up, is kept.
 */
#include "src/provider/provider_cloudflare.h"
#include "src/provider/cloudflare_conf.h"
#include "src/provider/provider.h"
#include "src/provider/provider_rest.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/common/log.h"
#include "src/http/http_client.h"
#include "src/http/http_multi.h"
#include "src/provider/json_field.h"

#define CF_BODY_MAX  (1024 * 1024)
#define CF_URL_MAX   (CONFIG_STR_MAX + 512)
#define CF_ERR_SHOWN 160 /* bytes of a server's message quoted */
#define CF_TOKEN_HDR (CONFIG_STR_MAX + 32)

/* The steps of an operation, one request each. */
enum cf_step {
	CF_IDLE,
	CF_ZONE,      /* GET /zones?name=ZONE */
	CF_READ,      /* GET .../dns_records?name=RECORD (the read) */
	CF_PRE_READ,  /* the same before a create: which ids exist */
	CF_BATCH,     /* POST .../dns_records/batch */
	CF_READ_BACK, /* the same GET after the batch */
};

typedef struct cloudflare {
	provider_t base; /* first: provider_t * and cloudflare_t * convert */
	char api[CONFIG_STR_MAX];
	char zone_name[256];   /* DNS_ZONE without its trailing dot */
	char record_name[256]; /* DNS_RECORD without its trailing dot */
	char zone_id[CLOUDFLARE_ID_MAX];
	char token_hdr[CF_TOKEN_HDR]; /* "Authorization: Bearer ..." (wiped) */
	/* The operation in flight. */
	enum cf_step step;
	bool swap;
	provider_rest_t rest;
	provider_rest_op_t op;
	lease_t *out; /* read: the lease to fill; swap: next */
	bool has_expected;
	char exp_txt_id[CLOUDFLARE_ID_MAX];
	char exp_a_id[CLOUDFLARE_ID_MAX];
	char exp_a_ids[CLOUDFLARE_A_IDS_MAX]; /* all of them: the extra ones are deleted */
	char exp_a[64];
	char new_txt_id[CLOUDFLARE_ID_MAX];
	char new_a_id[CLOUDFLARE_ID_MAX];
	cloudflare_list_t list; /* the last list read */
} cloudflare_t;

/* ---- Answers ------------------------------------------------------------- */

/* The first error of the envelope (code 0 and "" when there is none). */
static void first_error(json_t *root, long *code, char *msg, size_t size)
{
	json_t *errors = json_object_get(root, "errors");
	json_t *e = json_is_array(errors) ? json_array_get(errors, 0) : NULL;
	json_t *c = json_object_get(e, "code");
	json_t *m = json_object_get(e, "message");
	*code = json_is_integer(c) ? (long)json_integer_value(c) : 0;
	msg[0] = '\0';
	if (json_is_string(m)) {
		log_escape(msg, size, json_string_value(m), json_string_length(m));
	}
}

/* What an error code of the API means to an operator, and our error for it. */
static int classify(long status, long code, const char **advice)
{
	switch (code) {
	case 6003:  /* Invalid request headers */
	case 6111:  /* Invalid format for Authorization header */
	case 9103:  /* Unknown X-Auth-Key or X-Auth-Email */
	case 9106:  /* Missing X-Auth-Key, X-Auth-Email or Authorization headers */
	case 9109:  /* Invalid access token / Unauthorized to access requested resource */
	case 10000: /* Authentication error */
	case 1000:  /* Invalid API Token (tokens/verify) */
		*advice = "CLOUDFLARE_API_TOKEN was refused: check that the token is valid, not "
			  "expired, and has Zone:DNS:Edit on DNS_ZONE";
		return DF_EACCES;
	case 7000: /* No route for that URI */
	case 7003: /* Could not route to ..., perhaps your object identifier is invalid? */
	case 1001: /* Invalid zone identifier */
		*advice = "the zone was not found: check CLOUDFLARE_ZONE_ID (or DNS_ZONE) and "
			  "that the token may see that zone";
		return DF_ECONFIG;
	case 81044: /* Record does not exist */
		*advice = "a record read before no longer exists: someone else changed the lease";
		return DF_ECONFLICT;
	case 81053: /* An A, AAAA, or CNAME record with that host already exists */
	case 81057: /* The record already exists */
	case 81058: /* An identical record already exists */
		*advice = "the record already exists: someone else wrote the lease";
		return DF_ECONFLICT;
	default:
		break;
	}
	if (status == 401 || status == 403) {
		*advice = "CLOUDFLARE_API_TOKEN was refused: check that the token is valid and has "
			  "Zone:DNS:Edit on DNS_ZONE";
		return DF_EACCES;
	}
	if (status == 404) {
		*advice = "not found: check CLOUDFLARE_ZONE_ID, DNS_ZONE and CLOUDFLARE_API_URL";
		return DF_ECONFIG;
	}
	if (status == 429) {
		*advice = "rate limited: Cloudflare allows about 1200 requests per 5 minutes per "
			  "user; raise UPDATE_INTERVAL or check what else uses the token";
		return DF_ERCODE;
	}
	if (status >= 500) {
		*advice = "server error: the outcome is unknown, read again";
		return DF_EUNKNOWN;
	}
	*advice = "the API refused the request";
	return DF_ERCODE;
}

/* Parses body into *root and checks the envelope; the caller frees *root. */
static int envelope(const char *body, size_t len, long status, const char *what, json_t **root,
		    df_detail_t *d)
{
	json_error_t jerr;
	char shown[LOG_ESCAPE_SIZE(CF_ERR_SHOWN)];
	long code = 0;
	const char *advice = NULL;
	*root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *success = json_object_get(*root, "success");
	if (*root == NULL || !json_is_object(*root) || !json_is_boolean(success)) {
		if (status >= 500 || (status >= 400 && *root == NULL)) {
			/* A proxy's or load balancer's page, not the API's. */
			int ret = classify(status, 0, &advice);
			char msg[256];
			http_client_message(body, len, msg, sizeof(msg));
			df_detail_set(d, "cloudflare: %s: HTTP %ld (%s): %s", what, status, msg,
				      advice);
			return ret;
		}
		df_detail_set(d,
			      "cloudflare: %s: HTTP %ld with a body that is not the API's "
			      "envelope {\"success\": ..., \"errors\": [...], \"result\": ...}",
			      what, status);
		return DF_EMALFORMED;
	}
	if (json_is_true(success) && status >= 200 && status < 300) {
		if (json_object_get(*root, "result") == NULL) {
			df_detail_set(d, "cloudflare: %s: the answer has no \"result\"", what);
			return DF_EMALFORMED;
		}
		return DF_OK;
	}
	first_error(*root, &code, shown, sizeof(shown));
	int ret = classify(status, code, &advice);
	if (code != 0) {
		df_detail_set(d, "cloudflare: %s: HTTP %ld, error %ld \"%s\": %s", what, status,
			      code, shown, advice);
	} else {
		df_detail_set(d, "cloudflare: %s: HTTP %ld, no error code: %s", what, status,
			      advice);
	}
	return ret;
}

int cloudflare_check_envelope(const char *body, size_t len, long status, const char *what,
			      df_detail_t *d)
{
	json_t *root = NULL;
	int ret = envelope(body, len, status, what, &root, d);
	json_decref(root);
	return ret;
}

/* Whether s is a record or zone id: 1-63 letters and digits. */
static bool id_ok(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len >= CLOUDFLARE_ID_MAX) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			return false;
		}
	}
	return true;
}

int cloudflare_parse_zone(const char *body, size_t len, long status, const char *zone,
			  char id[CLOUDFLARE_ID_MAX], df_detail_t *d)
{
	json_t *root = NULL;
	char what[300];
	snprintf(what, sizeof(what), "GET /zones?name=%s", zone);
	int ret = envelope(body, len, status, what, &root, d);
	if (ret != DF_OK) {
		goto out;
	}
	json_t *result = json_object_get(root, "result");
	/* The list (GET /zones?name=) or one zone (GET /zones/{id}). */
	json_t *z = json_is_array(result) ? json_array_get(result, 0) : result;
	char name[256];
	if (json_is_array(result) && json_array_size(result) == 0) {
		df_detail_set(d,
			      "cloudflare: no zone named %s is visible to CLOUDFLARE_API_TOKEN: "
			      "check DNS_ZONE, the token's zone resources, or set "
			      "CLOUDFLARE_ZONE_ID",
			      zone);
		ret = DF_ECONFIG;
		goto out;
	}
	if (!json_is_object(z) || !json_field_str(z, "id", id, CLOUDFLARE_ID_MAX) || !id_ok(id) ||
	    !json_field_str(z, "name", name, sizeof(name))) {
		df_detail_set(d, "cloudflare: %s: the zone in the answer has no usable id and name",
			      what);
		ret = DF_EMALFORMED;
		goto out;
	}
	if (strcasecmp(name, zone) != 0) {
		char shown[LOG_ESCAPE_SIZE(64)];
		df_detail_set(d,
			      "cloudflare: zone %s is named \"%s\", not DNS_ZONE=%s: check "
			      "CLOUDFLARE_ZONE_ID",
			      id, log_escape(shown, sizeof(shown), name, strlen(name)), zone);
		ret = DF_ECONFIG;
		goto out;
	}
out:
	json_decref(root);
	return ret;
}

int cloudflare_parse_list(const char *body, size_t len, long status, const char *name,
			  cloudflare_list_t *out, df_detail_t *d)
{
	json_t *root = NULL;
	char what[300];
	snprintf(what, sizeof(what), "GET dns_records?name=%s", name);
	memset(out, 0, sizeof(*out));
	int ret = envelope(body, len, status, what, &root, d);
	if (ret != DF_OK) {
		goto out;
	}
	json_t *result = json_object_get(root, "result");
	if (!json_is_array(result)) {
		df_detail_set(d, "cloudflare: %s: \"result\" is not a list of records", what);
		ret = DF_EMALFORMED;
		goto out;
	}
	size_t i;
	json_t *r;
	json_array_foreach(result, i, r)
	{
		char type[16], rname[256], id[CLOUDFLARE_ID_MAX], content[LEASE_MAX_RDATA];
		if (!json_is_object(r) || !json_field_str(r, "type", type, sizeof(type)) ||
		    !json_field_str(r, "name", rname, sizeof(rname)) ||
		    !json_field_str(r, "id", id, sizeof(id)) || !id_ok(id)) {
			df_detail_set(d,
				      "cloudflare: %s: record %zu has no usable id, type and name",
				      what, i);
			ret = DF_EMALFORMED;
			break;
		}
		if (strcasecmp(rname, name) != 0) {
			continue; /* the filter is exact; anything else is not ours */
		}
		bool is_a = strcmp(type, "A") == 0, is_txt = strcmp(type, "TXT") == 0;
		if (!is_a && !is_txt) {
			continue;
		}
		if (!json_field_str(r, "content", content, sizeof(content))) {
			df_detail_set(d, "cloudflare: %s: %s record %s has no usable content", what,
				      type, id);
			ret = DF_EMALFORMED;
			break;
		}
		if (is_a) {
			struct in_addr addr;
			char shown[LOG_ESCAPE_SIZE(40)];
			if (inet_pton(AF_INET, content, &addr) != 1) {
				df_detail_set(
					d, "cloudflare: %s: A record %s holds \"%s\"", what, id,
					log_escape(shown, sizeof(shown), content, strlen(content)));
				ret = DF_EMALFORMED;
				break;
			}
			if (out->a_count == 0) {
				memcpy(out->a_id, id, sizeof(id));
			}
			size_t used = strlen(out->a_ids);
			if (used + strlen(id) + 2 > sizeof(out->a_ids)) {
				df_detail_set(
					d,
					"cloudflare: %s: too many A records at %s; delete the "
					"extra ones in the dashboard",
					what, name);
				ret = DF_EMALFORMED;
				break;
			}
			snprintf(out->a_ids + used, sizeof(out->a_ids) - used, "%s%s",
				 used > 0 ? "," : "", id);
			provider_add_a(out->a, &out->a_count, out->a_list, content);
			continue;
		}
		if (out->txt_count++ > 0) {
			continue;
		}
		memcpy(out->txt_id, id, sizeof(id));
		int dr = provider_txt_decode(content, strlen(content), out->txt, sizeof(out->txt));
		out->txt_decoded = dr == DF_OK;
		if (!out->txt_decoded) {
			/* Kept as stored, for the operator to see. */
			snprintf(out->txt, sizeof(out->txt), "%s", content);
			snprintf(out->txt_error, sizeof(out->txt_error),
				 "TXT content is not quoted character-strings (%s)",
				 df_strerror(dr));
		}
	}
out:
	json_decref(root);
	return ret;
}

/* The id of the first record of type in the list (a member of the batch's result). */
static void batch_id(json_t *list, const char *type, char id[CLOUDFLARE_ID_MAX])
{
	size_t i;
	json_t *r;
	char t[16];
	json_array_foreach(list, i, r)
	{
		if (json_field_str(r, "type", t, sizeof(t)) && strcmp(t, type) == 0 &&
		    json_field_str(r, "id", id, CLOUDFLARE_ID_MAX) && id_ok(id)) {
			return;
		}
	}
	id[0] = '\0';
}

int cloudflare_parse_batch(const char *body, size_t len, long status,
			   char txt_id[CLOUDFLARE_ID_MAX], char a_id[CLOUDFLARE_ID_MAX],
			   df_detail_t *d)
{
	json_t *root = NULL;
	const char *what = "POST dns_records/batch";
	txt_id[0] = '\0';
	a_id[0] = '\0';
	int ret = envelope(body, len, status, what, &root, d);
	if (ret != DF_OK) {
		goto out;
	}
	json_t *result = json_object_get(root, "result");
	batch_id(json_object_get(result, "posts"), "TXT", txt_id);
	batch_id(json_object_get(result, "posts"), "A", a_id);
	if (a_id[0] == '\0') {
		batch_id(json_object_get(result, "patches"), "A", a_id);
	}
	if (txt_id[0] == '\0') {
		df_detail_set(d,
			      "cloudflare: %s: the answer does not list the TXT record it posted",
			      what);
		ret = DF_EMALFORMED;
	}
out:
	json_decref(root);
	return ret;
}

/* ---- Requests ------------------------------------------------------------ */

static cloudflare_t *cf_of(provider_t *p)
{
	return (cloudflare_t *)p;
}

/* A request to the API: method on path (after the base URL), body or NULL. */
static int make_request(cloudflare_t *cf, const char *method, const char *path, const char *body,
			http_request_t **out, df_detail_t *d)
{
	char url[CF_URL_MAX];
	snprintf(url, sizeof(url), "%s%s", cf->api, path);
	int ret = provider_rest_request(&cf->rest, &cf->base, method, url, body, out, d);
	if (ret == DF_OK) {
		ret = http_request_add_header(*out, cf->token_hdr);
		if (ret != DF_OK) {
			http_request_free(*out);
			*out = NULL;
			df_detail_set(d, "cloudflare: cannot build %s %s: %s", method, path,
				      df_strerror(ret));
		}
	}
	return ret;
}

/* The path of the lease records' list. */
static void list_path(const cloudflare_t *cf, char *buf, size_t size)
{
	char *name = http_client_escape(cf->record_name);
	snprintf(buf, size, "/zones/%s/dns_records?name=%s&per_page=100", cf->zone_id,
		 name != NULL ? name : "");
	free(name);
}

static void on_answer(http_request_t *req, int ret, void *arg);
static void finish(cloudflare_t *cf, int ret, const df_detail_t *d);

/* Starts the request of step. On error the operation is over (ret returned). */
static int start_step(cloudflare_t *cf, enum cf_step step, df_detail_t *d)
{
	char path[CF_URL_MAX];
	char *body = NULL;
	const char *method = "GET";
	http_request_free(cf->op.req);
	cf->op.req = NULL;
	switch (step) {
	case CF_ZONE: {
		char *zone = http_client_escape(cf->zone_name);
		snprintf(path, sizeof(path), "/zones?name=%s", zone != NULL ? zone : "");
		free(zone);
		break;
	}
	case CF_READ:
	case CF_PRE_READ:
	case CF_READ_BACK:
		list_path(cf, path, sizeof(path));
		break;
	case CF_BATCH: {
		const lease_t *next = cf->out;
		const config_t *cfg = cf->base.cfg;
		char content[LEASE_MAX_RDATA + 16];
		if (provider_txt_encode(next->txt, content, sizeof(content)) != DF_OK) {
			df_detail_set(d, "cloudflare: the new TXT does not fit a record");
			return DF_ENOSPACE;
		}
		json_t *posts = json_array();
		json_t *patches = json_array();
		json_t *deletes = json_array();
		json_t *batch = json_pack("{s:o, s:o, s:o}", "deletes", deletes, "patches", patches,
					  "posts", posts);
		bool ok = batch != NULL;
		if (ok && cf->exp_txt_id[0] != '\0') {
			ok = json_array_append_new(deletes,
						   json_pack("{s:s}", "id", cf->exp_txt_id)) == 0;
		}
		/* A lease has one A record: the others go (the first is patched). */
		for (const char *id = strchr(cf->exp_a_ids, ','); ok && id != NULL;
		     id = strchr(id + 1, ',')) {
			char one[CLOUDFLARE_ID_MAX];
			snprintf(one, sizeof(one), "%.*s", (int)strcspn(id + 1, ","), id + 1);
			ok = json_array_append_new(deletes, json_pack("{s:s}", "id", one)) == 0;
		}
		if (ok && next->has_a && cf->exp_a_id[0] != '\0' &&
		    strcmp(cf->exp_a, next->a) != 0) {
			ok = json_array_append_new(patches,
						   json_pack("{s:s, s:s, s:i}", "id", cf->exp_a_id,
							     "content", next->a, "ttl",
							     (json_int_t)cfg->dns_ttl)) == 0;
		} else if (ok && next->has_a && cf->exp_a_id[0] == '\0') {
			ok = json_array_append_new(
				     posts,
				     json_pack("{s:s, s:s, s:s, s:i, s:b}", "type", "A", "name",
					       cf->record_name, "content", next->a, "ttl",
					       (json_int_t)cfg->dns_ttl, "proxied", 0)) == 0;
		}
		if (ok) {
			ok = json_array_append_new(posts, json_pack("{s:s, s:s, s:s, s:i}", "type",
								    "TXT", "name", cf->record_name,
								    "content", content, "ttl",
								    (json_int_t)cfg->dns_ttl)) == 0;
		}
		body = ok ? json_dumps(batch, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(batch);
		if (body == NULL) {
			return DF_ENOMEM;
		}
		snprintf(path, sizeof(path), "/zones/%s/dns_records/batch", cf->zone_id);
		method = "POST";
		break;
	}
	default:
		return DF_EINVAL;
	}
	int ret = make_request(cf, method, path, body, &cf->op.req, d);
	free(body);
	if (ret == DF_OK) {
		ret = provider_rest_begin(&cf->op, &cf->rest, path, on_answer, cf, d);
	}
	if (ret != DF_OK) {
		return ret;
	}
	cf->step = step;
	return DF_OK;
}

/* The version of a lease on Cloudflare: the TXT record's id and the A's
 * ("txt=ID a=ID[,ID...]"). */
static void version_set(lease_version_t *v, const char *txt_id, const char *a_id)
{
	int n = snprintf((char *)v->bytes, sizeof(v->bytes), "txt=%s a=%s", txt_id, a_id);
	v->len = n > 0 ? (size_t)n : 0;
}

/* Reads the ids back out of a version that version_set() made: the TXT's,
 * the first A's and every A's. */
static bool version_get(const lease_version_t *v, char *txt_id, char *a_id, char *a_ids)
{
	char buf[CLOUDFLARE_ID_MAX + CLOUDFLARE_A_IDS_MAX + 16];
	if (v->len == 0 || v->len >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, v->bytes, v->len);
	buf[v->len] = '\0';
	if (strncmp(buf, "txt=", 4) != 0) {
		return false;
	}
	char *sp = strstr(buf, " a=");
	if (sp == NULL) {
		return false;
	}
	*sp = '\0';
	const char *ids = sp + 3;
	size_t first = strcspn(ids, ",");
	if (strlen(buf + 4) >= CLOUDFLARE_ID_MAX || first >= CLOUDFLARE_ID_MAX ||
	    strlen(ids) >= CLOUDFLARE_A_IDS_MAX) {
		return false;
	}
	memcpy(txt_id, buf + 4, strlen(buf + 4) + 1);
	memcpy(a_ids, ids, strlen(ids) + 1);
	memcpy(a_id, ids, first);
	a_id[first] = '\0';
	/* Every id listed is one. */
	for (const char *id = ids; *id != '\0';) {
		char one[CLOUDFLARE_ID_MAX];
		size_t n = strcspn(id, ",");
		if (n == 0 || n >= sizeof(one)) {
			return false;
		}
		memcpy(one, id, n);
		one[n] = '\0';
		if (!id_ok(one)) {
			return false;
		}
		id += n + (id[n] == ',' ? 1 : 0);
	}
	return id_ok(txt_id);
}

/* Fills l from the list read. DF_ENOTFOUND when there is no TXT record. */
static int lease_from_list(const cloudflare_t *cf, lease_t *l, df_detail_t *d)
{
	const cloudflare_list_t *li = &cf->list;
	memset(l, 0, sizeof(*l));
	snprintf(l->server, sizeof(l->server), "%.*s", (int)sizeof(l->server) - 1, cf->api);
	if (li->txt_count > 1) {
		df_detail_set(d,
			      "cloudflare: %zu TXT records at %s: the lease is one TXT record; "
			      "delete the extra ones (keep the newest) in the dashboard",
			      li->txt_count, cf->record_name);
		return DF_EMALFORMED;
	}
	if (li->a_count > 0) {
		provider_lease_add_a_list(l, li->a_list); /* re-split the list kept */
	}
	l->a_count = li->a_count;
	if (li->a_count > 0) {
		snprintf(l->a, sizeof(l->a), "%s", li->a);
	}
	if (li->txt_count == 1) {
		provider_lease_set_txt(l, li->txt, strlen(li->txt));
		if (!li->txt_decoded) {
			l->txt_valid = false;
			snprintf(l->txt_error, sizeof(l->txt_error), "%s", li->txt_error);
		}
	}
	version_set(&l->version, li->txt_id, li->a_ids);
	if (li->txt_count == 0) {
		df_detail_set(d, "no lease TXT record at %s in zone %s on %s", cf->record_name,
			      cf->zone_name, cf->api);
		return DF_ENOTFOUND;
	}
	return DF_OK;
}

/* The batch applied and was read back: is the lease what we wrote? */
static int check_read_back(cloudflare_t *cf, df_detail_t *d)
{
	const cloudflare_list_t *li = &cf->list;
	lease_t *next = cf->out;
	char shown[LOG_ESCAPE_SIZE(64)];
	if (li->txt_count != 1 || strcmp(li->txt_id, cf->new_txt_id) != 0 ||
	    strcmp(li->txt, next->txt) != 0) {
		df_detail_set(d,
			      "cloudflare: read back after the write: %s now holds %s (someone "
			      "else wrote after us)",
			      cf->record_name,
			      li->txt_count == 0
				      ? "no TXT"
				      : log_escape(shown, sizeof(shown), li->txt, strlen(li->txt)));
		return DF_ECONFLICT;
	}
	if (next->has_a && (li->a_count != 1 || strcmp(li->a, next->a) != 0)) {
		df_detail_set(d,
			      "cloudflare: read back after the write: the A record of %s holds "
			      "%s, not %s",
			      cf->record_name, li->a_count == 0 ? "nothing" : li->a_list, next->a);
		return DF_ECONFLICT;
	}
	version_set(&next->version, li->txt_id, li->a_id);
	return DF_OK;
}

/* The list read before a create: nothing may be there yet but the A. */
static int after_pre_read(cloudflare_t *cf, df_detail_t *d)
{
	const cloudflare_list_t *li = &cf->list;
	char shown[LOG_ESCAPE_SIZE(64)];
	if (li->txt_count > 0) {
		df_detail_set(d,
			      "cloudflare: expected no lease at %s, found TXT \"%s\" (someone else "
			      "wrote it)",
			      cf->record_name,
			      log_escape(shown, sizeof(shown), li->txt, strlen(li->txt)));
		return DF_ECONFLICT;
	}
	snprintf(cf->exp_a_id, sizeof(cf->exp_a_id), "%s", li->a_id);
	snprintf(cf->exp_a_ids, sizeof(cf->exp_a_ids), "%s", li->a_ids);
	snprintf(cf->exp_a, sizeof(cf->exp_a), "%s", li->a);
	return start_step(cf, CF_BATCH, d);
}

/* The step after the zone lookup. */
static int after_zone(cloudflare_t *cf, df_detail_t *d)
{
	if (!cf->swap) {
		return start_step(cf, CF_READ, d);
	}
	return start_step(cf, cf->exp_txt_id[0] != '\0' ? CF_BATCH : CF_PRE_READ, d);
}

static void on_answer(http_request_t *req, int ret, void *arg)
{
	cloudflare_t *cf = arg;
	df_detail_t d = {""};
	size_t len = 0;
	const char *body = http_request_body(req, &len);
	long status = http_request_status(req);
	enum cf_step was = cf->step;
	static const char *const names[] = {
		[CF_IDLE] = "",
		[CF_ZONE] = "GET /zones",
		[CF_READ] = "GET dns_records",
		[CF_PRE_READ] = "GET dns_records",
		[CF_BATCH] = "POST dns_records/batch",
		[CF_READ_BACK] = "GET dns_records (read back)",
	};
	if (ret != DF_OK) {
		ret = provider_rest_fail(req, ret, was == CF_BATCH);
		provider_rest_fail_detail(&cf->rest, req, names[was], ret, &d);
		if (was == CF_READ_BACK) {
			/* The batch committed (its answer said so): only the check
			 * of what it left is missing. */
			log_warn("%s; the write itself applied", d.msg);
			d.msg[0] = '\0';
			ret = DF_OK;
		}
		finish(cf, ret, &d);
		return;
	}
	switch (was) {
	case CF_ZONE:
		ret = cloudflare_parse_zone(body, len, status, cf->zone_name, cf->zone_id, &d);
		if (ret == DF_OK) {
			log_debug("cloudflare: zone %s has id %s", cf->zone_name, cf->zone_id);
			ret = after_zone(cf, &d);
		} else {
			cf->zone_id[0] = '\0';
			ret = ret == DF_EUNKNOWN ? DF_ENETWORK : ret; /* nothing was written */
		}
		break;
	case CF_READ:
	case CF_PRE_READ:
	case CF_READ_BACK:
		ret = cloudflare_parse_list(body, len, status, cf->record_name, &cf->list, &d);
		if (ret == DF_EUNKNOWN) {
			ret = DF_ENETWORK; /* a read applies nothing */
		}
		if (ret == DF_OK && was == CF_READ) {
			ret = lease_from_list(cf, cf->out, &d);
		} else if (ret == DF_OK && was == CF_PRE_READ) {
			ret = after_pre_read(cf, &d);
		} else if (ret == DF_OK) {
			ret = check_read_back(cf, &d);
		} else if (was == CF_READ_BACK) {
			log_warn("%s; the write itself applied", d.msg);
			d.msg[0] = '\0';
			ret = DF_OK;
		}
		break;
	case CF_BATCH:
		ret = cloudflare_parse_batch(body, len, status, cf->new_txt_id, cf->new_a_id, &d);
		if (ret == DF_EMALFORMED && status >= 200 && status < 300) {
			ret = DF_EUNKNOWN; /* a success we cannot read */
		}
		if (ret == DF_OK) {
			version_set(&cf->out->version, cf->new_txt_id,
				    cf->new_a_id[0] != '\0' ? cf->new_a_id : cf->exp_a_id);
			ret = start_step(cf, CF_READ_BACK, &d);
		} else if (ret == DF_ECONFLICT) {
			df_detail_prefix(&d, "the lease changed since it was read (TXT id %s)",
					 cf->exp_txt_id);
		}
		break;
	default:
		ret = DF_EINVAL;
		break;
	}
	/* Unless a next step started, the operation is over. */
	if (ret != DF_OK || cf->step == was) {
		finish(cf, ret, &d);
	}
}

/* Ends the operation: done runs, and may begin the next one. */
static void finish(cloudflare_t *cf, int ret, const df_detail_t *d)
{
	cf->step = CF_IDLE;
	provider_rest_finish(&cf->op, &cf->base, ret, d);
}

/* The common start of read_begin and swap_begin. */
static int op_begin(cloudflare_t *cf, http_multi_t *m, lease_t *out, bool swap,
		    provider_done_fn done, void *arg)
{
	df_detail_t d = {""};
	if (cf->step != CF_IDLE || m == NULL || out == NULL || done == NULL) {
		return DF_EINVAL;
	}
	cf->op.multi = m;
	cf->out = out;
	cf->swap = swap;
	cf->op.done = done;
	cf->op.arg = arg;
	int ret;
	if (cf->zone_id[0] == '\0') {
		ret = start_step(cf, CF_ZONE, &d);
	} else {
		ret = after_zone(cf, &d);
	}
	if (ret != DF_OK) {
		cf->op.multi = NULL;
		cf->op.done = NULL;
		cf->step = CF_IDLE;
		if (d.msg[0] != '\0') {
			log_warn("%s", d.msg);
		}
	}
	return ret;
}

static int cf_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			 void *arg)
{
	return op_begin(cf_of(p), m, out, false, done, arg);
}

static int cf_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			 provider_done_fn done, void *arg)
{
	cloudflare_t *cf = cf_of(p);
	/* The TXT written is always the one made from the lease value. */
	if (next == NULL || lease_value_format(next) != DF_OK) {
		return DF_EINVAL;
	}
	if (cf->step != CF_IDLE) {
		return DF_EINVAL;
	}
	cf->exp_txt_id[0] = '\0';
	cf->exp_a_id[0] = '\0';
	cf->exp_a_ids[0] = '\0';
	cf->exp_a[0] = '\0';
	cf->has_expected = expected != NULL && expected->has_txt;
	if (cf->has_expected) {
		if (!version_get(&expected->version, cf->exp_txt_id, cf->exp_a_id, cf->exp_a_ids)) {
			log_warn("cloudflare: the lease to replace carries no record id; read it "
				 "again");
			return DF_EINVAL;
		}
		if (expected->has_a) {
			snprintf(cf->exp_a, sizeof(cf->exp_a), "%s", expected->a);
		}
	}
	next->version.len = 0;
	return op_begin(cf, m, next, true, done, arg);
}

static void cf_cancel(provider_t *p)
{
	cloudflare_t *x = (cloudflare_t *)p;
	if (x->step != CF_IDLE) {
		provider_rest_cancel(&x->op);
		x->step = CF_IDLE;
	}
}

/* ---- check --------------------------------------------------------------- */

static int cf_check(provider_t *p, provider_report_fn fn, void *arg, df_detail_t *d)
{
	cloudflare_t *cf = cf_of(p);
	const config_t *cfg = p->cfg;
	df_detail_t sub = {""};
	char path[CF_URL_MAX];
	http_request_t *req = NULL;
	int ret;

	if (cfg->dns_ttl == CLOUDFLARE_TTL_AUTO) {
		provider_report(fn, arg, true,
				"DNS_TTL=1: Cloudflare's automatic TTL (300 s for unproxied "
				"records): resolvers may keep the old address that long");
	} else {
		provider_report(fn, arg, true,
				"DNS_TTL=%u is at least Cloudflare's minimum of %d s", cfg->dns_ttl,
				CLOUDFLARE_TTL_MIN);
	}
	/* 1. The token and the zone, blocking (validate only). */
	if (cfg->cloudflare.zone_id[0] != '\0') {
		snprintf(path, sizeof(path), "/zones/%s", cfg->cloudflare.zone_id);
	} else {
		char *zone = http_client_escape(cf->zone_name);
		snprintf(path, sizeof(path), "/zones?name=%s", zone != NULL ? zone : "");
		free(zone);
	}
	ret = make_request(cf, "GET", path, NULL, &req, &sub);
	if (ret == DF_OK) {
		ret = http_client_perform(req, &sub);
		if (ret != DF_OK) {
			provider_rest_fail_detail(&cf->rest, req, "GET /zones", ret, &sub);
		} else {
			size_t len = 0;
			const char *body = http_request_body(req, &len);
			char id[CLOUDFLARE_ID_MAX];
			ret = cloudflare_parse_zone(body, len, http_request_status(req),
						    cf->zone_name, id, &sub);
			if (ret == DF_OK) {
				snprintf(cf->zone_id, sizeof(cf->zone_id), "%s", id);
			}
		}
	}
	http_request_free(req);
	if (ret == DF_OK) {
		provider_report(fn, arg, true,
				"CLOUDFLARE_API_TOKEN accepted by %s; zone %s has id %s%s (this "
				"proves read access; the DNS edit right shows at the first write)",
				cf->api, cf->zone_name, cf->zone_id,
				cfg->cloudflare.zone_id[0] != '\0' ? " (CLOUDFLARE_ZONE_ID)"
								   : " (looked up by DNS_ZONE)");
	} else {
		provider_report(fn, arg, false, "CLOUDFLARE_API_TOKEN and zone %s: %s",
				cf->zone_name, sub.msg);
		df_detail_set(d, "%s", sub.msg);
		return ret;
	}
	/* 2. The lease records, as read does. */
	return provider_rest_check_read(p, cf->record_name, fn, arg, d);
}

static void cf_free(provider_t *p)
{
	cloudflare_t *cf = cf_of(p);
	cf_cancel(p);
	explicit_bzero(cf->token_hdr, sizeof(cf->token_hdr));
	free(cf);
}

static const provider_ops_t cloudflare_ops = {
	.id = "cloudflare",
	.atomic_cas = false,
	.cas_note = "Cloudflare has no conditional write: each write is one batch that "
		    "deletes the lease TXT by the record id last read and posts the new one, "
		    "so a writer holding a stale id fails, but a tool that edits the TXT in "
		    "place (PATCH, the dashboard) is not detected until the next read",
	.read_begin = cf_read_begin,
	.swap_begin = cf_swap_begin,
	.cancel = cf_cancel,
	.check = cf_check,
	.free = cf_free,
};

int provider_cloudflare_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	const config_cloudflare_t *c = &cfg->cloudflare;
	if (c->api_token[0] == '\0') {
		df_detail_set(d, "DNS_PROVIDER=cloudflare needs CLOUDFLARE_API_TOKEN");
		return DF_ECONFIG;
	}
	if (strpbrk(c->api_token, "\r\n") != NULL) {
		df_detail_set(d, "CLOUDFLARE_API_TOKEN holds a line break");
		return DF_ECONFIG;
	}
	cloudflare_t *cf = calloc(1, sizeof(*cf));
	if (cf == NULL) {
		return DF_ENOMEM;
	}
	cf->base.ops = &cloudflare_ops;
	cf->base.cfg = cfg;
	snprintf(cf->api, sizeof(cf->api), "%s", c->api_url);
	size_t len = strlen(cf->api);
	while (len > 0 && cf->api[len - 1] == '/') {
		cf->api[--len] = '\0';
	}
	cf->rest = (provider_rest_t){
		.name = "cloudflare",
		.api = cf->api,
		.ca_file = c->ca_file,
		/* Its own key first (it came before the shared one). */
		.proxy = c->proxy[0] != '\0' ? c->proxy : cfg->https_proxy,
		.timeout_ms = (long)c->timeout * 1000,
		.body_max = CF_BODY_MAX,
	};
	provider_name_bare(cf->zone_name, sizeof(cf->zone_name), cfg->zone);
	provider_name_bare(cf->record_name, sizeof(cf->record_name), cfg->record);
	snprintf(cf->zone_id, sizeof(cf->zone_id), "%s", c->zone_id);
	snprintf(cf->token_hdr, sizeof(cf->token_hdr), "Authorization: Bearer %s", c->api_token);
	*out = &cf->base;
	return DF_OK;
}
