/*
 * The infoblox provider: the lease A and TXT in an Infoblox NIOS grid
 * through the WAPI (reference/rest-providers.md sections 1, 4 and 9), on the
 * daemon's event loop. HTTP Basic with INFOBLOX_USERNAME and
 * INFOBLOX_PASSWORD on every request; base https://INFOBLOX_HOST/wapi/VERSION.
 *
 * read  GET record:txt?name=RECORD&view=VIEW, then GET record:a the same way.
 *       The version is the TXT's and the A's _ref, as the grid gave them,
 *       and the TXT's text as stored (the filter of the next swap).
 * swap  One multi-object request, POST request: a GET of record:txt filtered
 *       on name, view and the exact text read, whose _ref is assigned to a
 *       state variable, then a PUT of the new text through that ref; then the
 *       same for the A (GET on name and view, PUT through the ref), or a POST
 *       when there is no A yet. A filter that matches nothing fails the request
 *       (Client.Ibap.Data.NotFound): CONFLICT. Then both are read back. That
 *       the grid runs the request as a unit (nothing applied when a step
 *       fails) is not documented by Infoblox, so ops.atomic_cas is false.
 *       With no lease yet, a read first (no TXT may exist), then a POST.
 * check GET view?name=VIEW (the credentials, the WAPI version, the view),
 *       then a read.
 */
#include "src/provider/provider_infoblox.h"
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

#define IB_BODY_MAX  (1024 * 1024)
#define IB_URL_MAX   (CONFIG_STR_MAX + 1024)
#define IB_ERR_SHOWN 200 /* bytes of a server's text quoted */

enum ib_step {
	IB_IDLE,
	IB_TXT,	  /* GET record:txt */
	IB_A,	  /* GET record:a */
	IB_WRITE, /* POST request (or the creates) */
};

/* Why the two GETs run: the read, the read before a create, the read back. */
enum ib_phase { PH_READ, PH_PRE, PH_BACK };

typedef struct infoblox {
	provider_t base;	       /* first: provider_t * and infoblox_t * convert */
	char api[CONFIG_STR_MAX + 64]; /* https://HOST/wapi/VERSION */
	char record_name[256];
	provider_rest_t rest;
	enum ib_step step;
	enum ib_phase phase;
	bool swap;
	provider_rest_op_t op;
	lease_t *out; /* read: the lease to fill; swap: next */
	bool has_expected;
	char exp_txt_ref[INFOBLOX_REF_MAX];
	char exp_a_ref[INFOBLOX_REF_MAX];
	char exp_text[LEASE_MAX_RDATA]; /* the TXT's text as stored */
	infoblox_records_t txt, a;	/* the last read */
} infoblox_t;

/* ---- Answers ------------------------------------------------------------- */

/* A _ref: "record:<type>/<key>:<name>/<view>", printable, no space. */
static bool ref_ok(const char *s, const char *type)
{
	size_t tl = strlen(type);
	if (strncmp(s, type, tl) != 0 || s[tl] != '/' || s[tl + 1] == '\0') {
		return false;
	}
	for (const char *p = s; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			return false;
		}
	}
	return true;
}

int infoblox_check_answer(const char *body, size_t len, long status, const char *what, bool request,
			  df_detail_t *d)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
	int ret;
	if (status >= 200 && status < 300) {
		ret = root != NULL ? DF_OK : DF_EMALFORMED;
		if (ret != DF_OK) {
			df_detail_set(d, "infoblox: %s: HTTP %ld with a body that is not JSON",
				      what, status);
		}
		json_decref(root);
		return ret;
	}
	char code[64] = "", text[LOG_ESCAPE_SIZE(IB_ERR_SHOWN)] = "";
	char raw[IB_ERR_SHOWN + 1];
	if (json_is_object(root) && json_field_str(root, "code", raw, sizeof(code))) {
		log_escape(code, sizeof(code), raw, strlen(raw));
		if (json_field_str(root, "text", raw, sizeof(raw)) ||
		    json_field_str(root, "Error", raw, sizeof(raw))) {
			log_escape(text, sizeof(text), raw, strlen(raw));
		}
	} else {
		http_client_message(body, len, text, sizeof(text));
	}
	json_decref(root);
	const char *advice;
	if (status == 401) {
		advice = "INFOBLOX_USERNAME and INFOBLOX_PASSWORD were refused by the grid "
			 "master: check them (and that the user may use the WAPI)";
		ret = DF_EACCES;
	} else if (status == 403) {
		advice = "INFOBLOX_USERNAME lacks the permission: give it read/write on the "
			 "records of DNS_RECORD in INFOBLOX_VIEW";
		ret = DF_EACCES;
	} else if (strncmp(code, "Client.Ibap.Proto", 17) == 0) {
		advice = "the grid refused the request's form: check INFOBLOX_WAPI_VERSION "
			 "against GET /wapi/v1.0/?_schema";
		ret = DF_ECONFIG;
	} else if (strcmp(code, "Client.Ibap.Data.NotFound") == 0 && request) {
		advice = "the lease changed since it was read (the filter on its exact text "
			 "matched nothing)";
		ret = DF_ECONFLICT;
	} else if (strcmp(code, "Client.Ibap.Data.NotFound") == 0) {
		advice = "not found: check INFOBLOX_VIEW and DNS_ZONE";
		ret = DF_ECONFIG;
	} else if (strcmp(code, "Client.Ibap.Data.Conflict") == 0) {
		advice = "the record already exists: someone else wrote the lease";
		ret = DF_ECONFLICT;
	} else if (status == 429) {
		advice = "rate limited by the grid: raise UPDATE_INTERVAL or check what else "
			 "uses INFOBLOX_USERNAME";
		ret = DF_ERCODE;
	} else if (status >= 500) {
		advice = "server error: the outcome is unknown, read again";
		ret = DF_EUNKNOWN;
	} else if (status == 404) {
		advice = "not found: check INFOBLOX_HOST and INFOBLOX_WAPI_VERSION";
		ret = DF_ECONFIG;
	} else {
		advice = "the grid refused the request";
		ret = DF_ERCODE;
	}
	if (code[0] != '\0') {
		df_detail_set(d, "infoblox: %s: HTTP %ld, %s \"%s\": %s", what, status, code, text,
			      advice);
	} else {
		df_detail_set(d, "infoblox: %s: HTTP %ld (%s): %s", what, status, text, advice);
	}
	return ret;
}

/* The body as a bare array, after the status check. */
static int load_array(const char *body, size_t len, long status, const char *what, bool request,
		      json_t **root, df_detail_t *d)
{
	*root = NULL;
	int ret = infoblox_check_answer(body, len, status, what, request, d);
	if (ret != DF_OK) {
		return ret;
	}
	*root = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	if (!json_is_array(*root)) {
		df_detail_set(d, "infoblox: %s: the answer is not a list of objects", what);
		json_decref(*root);
		*root = NULL;
		return DF_EMALFORMED;
	}
	return DF_OK;
}

int infoblox_parse_records(const char *body, size_t len, long status, const char *type,
			   const char *name, const char *view, infoblox_records_t *out,
			   df_detail_t *d)
{
	char what[320], rtype[16];
	bool is_a = strcmp(type, "a") == 0;
	snprintf(rtype, sizeof(rtype), "record:%s", is_a ? "a" : "txt");
	snprintf(what, sizeof(what), "GET %s?name=%s", rtype, name);
	memset(out, 0, sizeof(*out));
	json_t *root;
	int ret = load_array(body, len, status, what, false, &root, d);
	if (ret != DF_OK) {
		return ret;
	}
	size_t i;
	json_t *r;
	json_array_foreach(root, i, r)
	{
		char ref[INFOBLOX_REF_MAX], rname[256], rview[256], value[LEASE_MAX_RDATA];
		if (!json_is_object(r) || !json_field_str(r, "_ref", ref, sizeof(ref)) ||
		    !ref_ok(ref, rtype) || !json_field_str(r, "name", rname, sizeof(rname))) {
			df_detail_set(d, "infoblox: %s: object %zu has no usable _ref and name",
				      what, i);
			ret = DF_EMALFORMED;
			break;
		}
		/* The view is returned by default; a search is exact on both. */
		if (strcasecmp(rname, name) != 0 ||
		    (json_field_str(r, "view", rview, sizeof(rview)) && strcmp(rview, view) != 0)) {
			continue;
		}
		if (!json_field_str(r, is_a ? "ipv4addr" : "text", value, sizeof(value))) {
			df_detail_set(d, "infoblox: %s: %s has no usable %s", what, rtype,
				      is_a ? "ipv4addr" : "text");
			ret = DF_EMALFORMED;
			break;
		}
		if (is_a) {
			struct in_addr addr;
			char shown[LOG_ESCAPE_SIZE(40)];
			if (inet_pton(AF_INET, value, &addr) != 1) {
				df_detail_set(
					d, "infoblox: %s: record:a holds \"%s\"", what,
					log_escape(shown, sizeof(shown), value, strlen(value)));
				ret = DF_EMALFORMED;
				break;
			}
			size_t used = strlen(out->list);
			if (used + strlen(value) + 3 < sizeof(out->list)) {
				snprintf(out->list + used, sizeof(out->list) - used, "%s%s",
					 used > 0 ? ", " : "", value);
			}
		}
		if (out->count++ == 0) {
			memcpy(out->ref, ref, sizeof(ref));
			memcpy(out->value, value, sizeof(value));
		}
	}
	json_decref(root);
	return ret;
}

int infoblox_parse_view(const char *body, size_t len, long status, const char *view, df_detail_t *d)
{
	char what[320];
	snprintf(what, sizeof(what), "GET view?name=%s", view);
	json_t *root;
	int ret = load_array(body, len, status, what, false, &root, d);
	if (ret != DF_OK) {
		return ret;
	}
	size_t i;
	json_t *r;
	bool found = false;
	json_array_foreach(root, i, r)
	{
		char name[256];
		found = found ||
			(json_field_str(r, "name", name, sizeof(name)) && strcmp(name, view) == 0);
	}
	json_decref(root);
	if (!found) {
		df_detail_set(d,
			      "infoblox: the grid has no DNS view named \"%s\" (INFOBLOX_VIEW): "
			      "set INFOBLOX_VIEW to the view holding DNS_ZONE",
			      view);
		return DF_ECONFIG;
	}
	return DF_OK;
}

int infoblox_parse_request(const char *body, size_t len, long status, df_detail_t *d)
{
	json_t *root = NULL;
	int ret = load_array(body, len, status, "POST request", true, &root, d);
	json_decref(root);
	return ret;
}

/* ---- Requests ------------------------------------------------------------ */

static infoblox_t *ib_of(provider_t *p)
{
	return (infoblox_t *)p;
}

/* A request to the WAPI: method on path (after /wapi/VERSION), body or NULL. */
static int make_request(infoblox_t *ib, const char *method, const char *path, const char *body,
			http_request_t **out, df_detail_t *d)
{
	const config_infoblox_t *c = &ib->base.cfg->infoblox;
	char url[IB_URL_MAX];
	snprintf(url, sizeof(url), "%s/%s", ib->api, path);
	int ret = provider_rest_request(&ib->rest, &ib->base, method, url, body, out, d);
	if (ret == DF_OK) {
		ret = http_request_basic_auth(*out, c->username, c->password);
		if (ret != DF_OK) {
			http_request_free(*out);
			*out = NULL;
			df_detail_set(d, "infoblox: cannot build %s %s: %s", method, path,
				      df_strerror(ret));
		}
	}
	return ret;
}

/* The search path of type at the lease name in the view. */
static void search_path(const infoblox_t *ib, const char *type, char *buf, size_t size)
{
	char *name = http_client_escape(ib->record_name);
	char *view = http_client_escape(ib->base.cfg->infoblox.view);
	snprintf(buf, size, "record:%s?name=%s&view=%s&_return_fields%%2B=ttl,use_ttl", type,
		 name != NULL ? name : "", view != NULL ? view : "");
	free(name);
	free(view);
}

/* Appends one step of a multi-object request. */
static bool add_step(json_t *steps, json_t *step)
{
	return step != NULL && json_array_append_new(steps, step) == 0;
}

/* The body of the write: the multi-object request. NULL when out of memory. */
static char *write_body(const infoblox_t *ib)
{
	const lease_t *next = ib->out;
	const config_t *cfg = ib->base.cfg;
	const char *view = cfg->infoblox.view, *name = ib->record_name;
	json_int_t ttl = (json_int_t)cfg->dns_ttl;
	char text[LEASE_MAX_RDATA + 16];
	if (provider_txt_encode(next->txt, text, sizeof(text)) != DF_OK) {
		return NULL;
	}
	json_t *steps = json_array();
	bool ok = steps != NULL;
	if (ib->has_expected) {
		ok = ok &&
		     add_step(steps, json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s}, s:b}",
					       "method", "GET", "object", "record:txt", "data",
					       "name", name, "view", view, "text", ib->exp_text,
					       "assign_state", "TXT_REF", "_ref", "discard", 1));
		ok = ok &&
		     add_step(steps, json_pack("{s:s, s:s, s:b, s:{s:s, s:I, s:b}, s:b}", "method",
					       "PUT", "object", "##STATE:TXT_REF:##",
					       "enable_substitution", 1, "data", "text", text,
					       "ttl", ttl, "use_ttl", 1, "discard", 1));
	} else {
		ok = ok && add_step(steps, json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:I, s:b}, s:b}",
						     "method", "POST", "object", "record:txt",
						     "data", "name", name, "text", text, "view",
						     view, "ttl", ttl, "use_ttl", 1, "discard", 1));
	}
	if (next->has_a && ib->exp_a_ref[0] != '\0') {
		ok = ok && add_step(steps, json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:b}",
						     "method", "GET", "object", "record:a", "data",
						     "name", name, "view", view, "assign_state",
						     "A_REF", "_ref", "discard", 1));
		ok = ok &&
		     add_step(steps, json_pack("{s:s, s:s, s:b, s:{s:s, s:I, s:b}, s:b}", "method",
					       "PUT", "object", "##STATE:A_REF:##",
					       "enable_substitution", 1, "data", "ipv4addr",
					       next->a, "ttl", ttl, "use_ttl", 1, "discard", 1));
	} else if (next->has_a) {
		ok = ok && add_step(steps, json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:I, s:b}, s:b}",
						     "method", "POST", "object", "record:a", "data",
						     "name", name, "ipv4addr", next->a, "view",
						     view, "ttl", ttl, "use_ttl", 1, "discard", 1));
	}
	char *body = ok ? json_dumps(steps, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(steps);
	return body;
}

static void on_answer(http_request_t *req, int ret, void *arg);
static void finish(infoblox_t *ib, int ret, const df_detail_t *d);

static const char *const step_names[] = {
	[IB_IDLE] = "",
	[IB_TXT] = "GET record:txt",
	[IB_A] = "GET record:a",
	[IB_WRITE] = "POST request",
};

/* Starts the request of step. On error the operation is over (ret returned). */
static int start_step(infoblox_t *ib, enum ib_step step, df_detail_t *d)
{
	char path[IB_URL_MAX];
	char *body = NULL;
	const char *method = "GET";
	http_request_free(ib->op.req);
	ib->op.req = NULL;
	if (step == IB_TXT || step == IB_A) {
		search_path(ib, step == IB_TXT ? "txt" : "a", path, sizeof(path));
	} else {
		body = write_body(ib);
		if (body == NULL) {
			df_detail_set(d, "infoblox: cannot build the request for the new lease");
			return DF_ENOMEM;
		}
		snprintf(path, sizeof(path), "request");
		method = "POST";
	}
	int ret = make_request(ib, method, path, body, &ib->op.req, d);
	free(body);
	if (ret == DF_OK) {
		ret = provider_rest_begin(&ib->op, &ib->rest, step_names[step], on_answer, ib, d);
	}
	if (ret != DF_OK) {
		return ret;
	}
	ib->step = step;
	return DF_OK;
}

/* The version: "TXT_REF\nA_REF\nTEXT" (TEXT as stored, the next filter). */
static void version_set(lease_version_t *v, const infoblox_records_t *txt,
			const infoblox_records_t *a)
{
	int n = snprintf((char *)v->bytes, sizeof(v->bytes), "%s\n%s\n%s", txt->ref,
			 a->count > 0 ? a->ref : "", txt->value);
	v->len = n > 0 && (size_t)n < sizeof(v->bytes) ? (size_t)n : 0;
}

static bool version_get(const lease_version_t *v, infoblox_t *ib)
{
	char buf[LEASE_VERSION_MAX + 1];
	if (v->len == 0 || v->len >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, v->bytes, v->len);
	buf[v->len] = '\0';
	char *nl1 = strchr(buf, '\n');
	char *nl2 = nl1 != NULL ? strchr(nl1 + 1, '\n') : NULL;
	if (nl2 == NULL) {
		return false;
	}
	*nl1 = *nl2 = '\0';
	if (strlen(buf) >= sizeof(ib->exp_txt_ref) || strlen(nl1 + 1) >= sizeof(ib->exp_a_ref) ||
	    strlen(nl2 + 1) >= sizeof(ib->exp_text) || !ref_ok(buf, "record:txt") ||
	    (nl1[1] != '\0' && !ref_ok(nl1 + 1, "record:a"))) {
		return false;
	}
	snprintf(ib->exp_txt_ref, sizeof(ib->exp_txt_ref), "%s", buf);
	snprintf(ib->exp_a_ref, sizeof(ib->exp_a_ref), "%s", nl1 + 1);
	snprintf(ib->exp_text, sizeof(ib->exp_text), "%s", nl2 + 1);
	return true;
}

/* The lease from the two searches; DF_ENOTFOUND without a TXT. */
static int lease_from_read(const infoblox_t *ib, lease_t *l, df_detail_t *d)
{
	char text[LEASE_MAX_RDATA];
	memset(l, 0, sizeof(*l));
	snprintf(l->server, sizeof(l->server), "%.*s", (int)sizeof(l->server) - 1, ib->api);
	if (ib->txt.count > 1) {
		df_detail_set(d,
			      "infoblox: %zu TXT records at %s in view %s: the lease is one TXT "
			      "record; delete the extra ones",
			      ib->txt.count, ib->record_name, ib->base.cfg->infoblox.view);
		return DF_EMALFORMED;
	}
	for (const char *a = ib->a.list; *a != '\0';) {
		char one[64];
		size_t n = strcspn(a, ",");
		snprintf(one, sizeof(one), "%.*s", (int)n, a);
		provider_lease_add_a(l, one);
		a += n;
		while (*a == ',' || *a == ' ') {
			a++;
		}
	}
	l->a_count = ib->a.count;
	if (ib->a.count > 0) {
		snprintf(l->a, sizeof(l->a), "%.*s", (int)sizeof(l->a) - 1, ib->a.value);
	}
	version_set(&l->version, &ib->txt, &ib->a);
	if (ib->txt.count == 0) {
		df_detail_set(d, "no lease TXT record at %s in view %s on %s", ib->record_name,
			      ib->base.cfg->infoblox.view, ib->api);
		return DF_ENOTFOUND;
	}
	int dr = provider_txt_decode(ib->txt.value, strlen(ib->txt.value), text, sizeof(text));
	if (dr == DF_OK) {
		provider_lease_set_txt(l, text, strlen(text));
	} else {
		provider_lease_set_txt(l, ib->txt.value, strlen(ib->txt.value));
		l->txt_valid = false;
		snprintf(l->txt_error, sizeof(l->txt_error),
			 "TXT text is not quoted character-strings (%s)", df_strerror(dr));
	}
	return DF_OK;
}

/* After the read back: is the lease what we wrote? */
static int check_read_back(infoblox_t *ib, df_detail_t *d)
{
	lease_t *next = ib->out;
	char text[LEASE_MAX_RDATA], shown[LOG_ESCAPE_SIZE(64)];
	if (ib->txt.count != 1 ||
	    provider_txt_decode(ib->txt.value, strlen(ib->txt.value), text, sizeof(text)) !=
		    DF_OK ||
	    strcmp(text, next->txt) != 0) {
		df_detail_set(d,
			      "infoblox: read back after the write: %s now holds %s (someone else "
			      "wrote after us)",
			      ib->record_name,
			      ib->txt.count == 0 ? "no TXT"
						 : log_escape(shown, sizeof(shown), ib->txt.value,
							      strlen(ib->txt.value)));
		return DF_ECONFLICT;
	}
	if (next->has_a && (ib->a.count == 0 || strcmp(ib->a.value, next->a) != 0)) {
		df_detail_set(d,
			      "infoblox: read back after the write: the A record of %s holds %s, "
			      "not %s",
			      ib->record_name, ib->a.count == 0 ? "nothing" : ib->a.list, next->a);
		return DF_ECONFLICT;
	}
	version_set(&next->version, &ib->txt, &ib->a);
	return DF_OK;
}

/* Both searches are in: what the phase does with them. */
static int after_search(infoblox_t *ib, df_detail_t *d)
{
	char shown[LOG_ESCAPE_SIZE(64)];
	switch (ib->phase) {
	case PH_READ:
		return lease_from_read(ib, ib->out, d);
	case PH_PRE:
		if (ib->txt.count > 0) {
			df_detail_set(
				d,
				"infoblox: expected no lease at %s, found TXT \"%s\" (someone "
				"else wrote it)",
				ib->record_name,
				log_escape(shown, sizeof(shown), ib->txt.value,
					   strlen(ib->txt.value)));
			return DF_ECONFLICT;
		}
		snprintf(ib->exp_a_ref, sizeof(ib->exp_a_ref), "%s",
			 ib->a.count > 0 ? ib->a.ref : "");
		return start_step(ib, IB_WRITE, d);
	case PH_BACK:
	default:
		return check_read_back(ib, d);
	}
}

static void on_answer(http_request_t *req, int ret, void *arg)
{
	infoblox_t *ib = arg;
	df_detail_t d = {""};
	size_t len = 0;
	const char *body = http_request_body(req, &len);
	long status = http_request_status(req);
	enum ib_step was = ib->step;
	const char *view = ib->base.cfg->infoblox.view;
	if (ret != DF_OK) {
		ret = provider_rest_fail(req, ret, was == IB_WRITE);
		provider_rest_fail_detail(&ib->rest, req, step_names[was], ret, &d);
	} else if (was == IB_TXT || was == IB_A) {
		ret = infoblox_parse_records(body, len, status, was == IB_TXT ? "txt" : "a",
					     ib->record_name, view,
					     was == IB_TXT ? &ib->txt : &ib->a, &d);
		if (ret == DF_EUNKNOWN) {
			ret = DF_ENETWORK; /* a read applies nothing */
		}
		if (ret == DF_OK) {
			ret = was == IB_TXT ? start_step(ib, IB_A, &d) : after_search(ib, &d);
		}
	} else {
		ret = infoblox_parse_request(body, len, status, &d);
		if (ret == DF_EMALFORMED) {
			ret = DF_EUNKNOWN; /* a success we cannot read */
		}
		if (ret == DF_OK) {
			ib->phase = PH_BACK;
			ret = start_step(ib, IB_TXT, &d);
		}
	}
	if (ret != DF_OK && ib->phase == PH_BACK && was != IB_WRITE && ret != DF_ECONFLICT) {
		/* The request applied (its answer said so): only the check of
		 * what it left is missing. */
		log_warn("%s; the write itself applied", d.msg);
		d.msg[0] = '\0';
		ret = DF_OK;
	}
	if (ret != DF_OK || ib->step == was) {
		finish(ib, ret, &d);
	}
}

static void finish(infoblox_t *ib, int ret, const df_detail_t *d)
{
	ib->step = IB_IDLE;
	provider_rest_finish(&ib->op, &ib->base, ret, d);
}

static int op_begin(infoblox_t *ib, http_multi_t *m, lease_t *out, enum ib_phase phase,
		    provider_done_fn done, void *arg)
{
	df_detail_t d = {""};
	if (ib->step != IB_IDLE || m == NULL || out == NULL || done == NULL) {
		return DF_EINVAL;
	}
	ib->op.multi = m;
	ib->out = out;
	ib->phase = phase;
	ib->op.done = done;
	ib->op.arg = arg;
	int ret = start_step(ib, ib->swap && ib->has_expected ? IB_WRITE : IB_TXT, &d);
	if (ret != DF_OK) {
		ib->op.multi = NULL;
		ib->op.done = NULL;
		ib->step = IB_IDLE;
		if (d.msg[0] != '\0') {
			log_warn("%s", d.msg);
		}
	}
	return ret;
}

static int ib_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			 void *arg)
{
	infoblox_t *ib = ib_of(p);
	if (ib->step != IB_IDLE) {
		return DF_EINVAL;
	}
	ib->swap = false;
	return op_begin(ib, m, out, PH_READ, done, arg);
}

static int ib_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			 provider_done_fn done, void *arg)
{
	infoblox_t *ib = ib_of(p);
	if (next == NULL || lease_value_format(next) != DF_OK || ib->step != IB_IDLE) {
		return DF_EINVAL;
	}
	ib->exp_txt_ref[0] = ib->exp_a_ref[0] = ib->exp_text[0] = '\0';
	ib->has_expected = expected != NULL && expected->has_txt;
	if (ib->has_expected && !version_get(&expected->version, ib)) {
		log_warn("infoblox: the lease to replace carries no _ref; read it again");
		return DF_EINVAL;
	}
	ib->swap = true;
	next->version.len = 0;
	return op_begin(ib, m, next, PH_PRE, done, arg);
}

static void ib_cancel(provider_t *p)
{
	infoblox_t *x = (infoblox_t *)p;
	if (x->step != IB_IDLE) {
		provider_rest_cancel(&x->op);
		x->step = IB_IDLE;
	}
}

/* ---- check --------------------------------------------------------------- */

static int ib_check(provider_t *p, provider_report_fn fn, void *arg, df_detail_t *d)
{
	infoblox_t *ib = ib_of(p);
	const config_infoblox_t *c = &p->cfg->infoblox;
	df_detail_t sub = {""};
	char path[IB_URL_MAX];
	http_request_t *req = NULL;
	if (!c->verify_ssl) {
		provider_report(fn, arg, true,
				"WARNING: INFOBLOX_VERIFY_SSL=false: the grid master's certificate "
				"is not verified, so anyone on the path can read INFOBLOX_PASSWORD "
				"and forge the lease; set INFOBLOX_CA_FILE instead");
	}
	char *view = http_client_escape(c->view);
	snprintf(path, sizeof(path), "view?name=%s", view != NULL ? view : "");
	free(view);
	int ret = make_request(ib, "GET", path, NULL, &req, &sub);
	if (ret == DF_OK) {
		ret = http_client_perform(req, &sub);
		if (ret != DF_OK) {
			provider_rest_fail_detail(&ib->rest, req, "GET view", ret, &sub);
		} else {
			size_t len = 0;
			const char *body = http_request_body(req, &len);
			ret = infoblox_parse_view(body, len, http_request_status(req), c->view,
						  &sub);
		}
	}
	http_request_free(req);
	if (ret != DF_OK) {
		provider_report(fn, arg, false, "INFOBLOX_USERNAME %s and view %s on %s: %s",
				c->username, c->view, ib->api, sub.msg);
		df_detail_set(d, "%s", sub.msg);
		return ret;
	}
	provider_report(fn, arg, true,
			"INFOBLOX_USERNAME %s accepted by %s (WAPI %s); view %s exists",
			c->username, ib->api, c->wapi_version, c->view);
	return provider_rest_check_read(p, ib->record_name, fn, arg, d);
}

static void ib_free(provider_t *p)
{
	ib_cancel(p);
	free(p);
}

static const provider_ops_t infoblox_ops = {
	.id = "infoblox",
	.atomic_cas = false,
	.cas_note = "Infoblox has no conditional write: each write is one multi-object "
		    "request that finds the lease TXT by its exact old text and updates it "
		    "through the _ref found, so a writer holding a stale lease matches nothing "
		    "and fails; that the grid applies such a request all or nothing is not "
		    "documented by Infoblox (an assumption), and the first write (init) is "
		    "not conditional",
	.read_begin = ib_read_begin,
	.swap_begin = ib_swap_begin,
	.cancel = ib_cancel,
	.check = ib_check,
	.free = ib_free,
};

int provider_infoblox_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	const config_infoblox_t *c = &cfg->infoblox;
	if (c->host[0] == '\0' || c->username[0] == '\0' || c->password[0] == '\0') {
		df_detail_set(d, "DNS_PROVIDER=infoblox needs INFOBLOX_HOST, INFOBLOX_USERNAME "
				 "and INFOBLOX_PASSWORD");
		return DF_ECONFIG;
	}
	if (strpbrk(c->password, "\r\n") != NULL) {
		df_detail_set(d, "INFOBLOX_PASSWORD holds a line break");
		return DF_ECONFIG;
	}
	infoblox_t *ib = calloc(1, sizeof(*ib));
	if (ib == NULL) {
		return DF_ENOMEM;
	}
	ib->base.ops = &infoblox_ops;
	ib->base.cfg = cfg;
	snprintf(ib->api, sizeof(ib->api), "%s%s/wapi/%s",
		 strncmp(c->host, "https://", 8) == 0 ? "" : "https://", c->host, c->wapi_version);
	provider_name_bare(ib->record_name, sizeof(ib->record_name), cfg->record);
	ib->rest = (provider_rest_t){
		.name = "infoblox",
		.api = ib->api,
		.ca_file = c->ca_file,
		.ca_key = "INFOBLOX_CA_FILE",
		.proxy = cfg->https_proxy,
		.timeout_ms = (long)c->timeout * 1000,
		.tls_no_verify = !c->verify_ssl,
		.body_max = IB_BODY_MAX,
	};
	if (!c->verify_ssl) {
		log_warn("INFOBLOX_VERIFY_SSL=false: the certificate of %s is not verified; anyone "
			 "on the path can read INFOBLOX_PASSWORD and forge the lease (set "
			 "INFOBLOX_CA_FILE to the grid's CA instead)",
			 ib->api);
	}
	*out = &ib->base;
	return DF_OK;
}
