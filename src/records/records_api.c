#include "src/records/records_api.h"

#include <ctype.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "src/common/clock.h"
#include "src/common/log.h"

#define PREFIX	     "/api/v1/dns/records"
#define LIMIT_DEF    100
#define LIMIT_MAX    1000
#define WAIT_STEP_MS 250

static const uint16_t all_types[] = {REC_A, REC_AAAA, REC_CNAME, REC_TXT, REC_SRV};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

typedef struct ctx {
	rec_api_t *api;
	const http_sreq_t *req;
	http_response_t *resp;
	const rec_token_t *tok; /* &tok_copy once authenticated */
	rec_token_t tok_copy;	/* the tokens may be replaced during the request */
	char rid[64];
	const char *route;
} ctx_t;

/* ---- JSON helpers ------------------------------------------------------ */

static void send_json(ctx_t *x, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL) {
		http_response_text(x->resp, 500, NULL, "{\"success\":false}");
		return;
	}
	free(x->resp->body);
	x->resp->status = status;
	x->resp->content_type = "application/json";
	x->resp->body = s;
	x->resp->len = strlen(s);
}

static void ok(ctx_t *x, unsigned status, json_t *data)
{
	send_json(x, status, json_pack("{s:b,s:o}", "success", 1, "data", data));
}

static void error_x(ctx_t *x, unsigned status, const char *code, const char *msg, json_t *extra)
{
	json_t *err = json_pack("{s:s,s:s}", "code", code, "message", msg);
	if (extra != NULL) {
		json_object_update(err, extra);
		json_decref(extra);
	}
	send_json(x, status, json_pack("{s:b,s:o}", "success", 0, "error", err));
}

static void error(ctx_t *x, unsigned status, const char *code, const char *msg)
{
	error_x(x, status, code, msg, NULL);
}

static void invalid(ctx_t *x, unsigned status, const rec_error_t *e)
{
	error_x(x, status, status == 422 ? "unprocessable" : "invalid", e->msg,
		json_pack("{s:s}", "field", e->field));
}

/* "web.example.com." -> "web.example.com" */
static json_t *name_json(const char *name)
{
	size_t n = strlen(name);
	return json_stringn(name, n > 1 && name[n - 1] == '.' ? n - 1 : n);
}

static json_t *set_json(const rec_rrset_t *s, const char *zone)
{
	json_t *vals = json_array();
	for (size_t i = 0; i < s->n; i++) {
		json_array_append_new(vals, json_string(s->v[i].text));
	}
	char etag[32];
	rec_rrset_etag(s, etag, sizeof(etag));
	json_t *o =
		json_pack("{s:o,s:s,s:s,s:o,s:i,s:s}", "name", name_json(s->name), "record_type",
			  rec_type_name(s->type), "value", s->n > 0 ? s->v[0].text : "", "values",
			  vals, "ttl", (json_int_t)s->ttl, "etag", etag);
	if (zone != NULL) {
		json_object_set_new(o, "zone", name_json(zone));
	}
	return o;
}

/* ---- body -------------------------------------------------------------- */

bool rec_api_parse_body(const rec_conf_t *c, const char *body, size_t len, const char *path_name,
			rec_rrset_t *set, const rec_zone_conf_t **zone, rec_error_t *e,
			unsigned *status)
{
	json_error_t je;
	char name[REC_NAME_MAX];
	uint16_t type = 0;
	*status = 400;
	rec_rrset_init(set, "", 0, c->ttl_default);
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	bool ret = false;
	if (j == NULL || !json_is_object(j)) {
		snprintf(e->field, sizeof(e->field), "body");
		snprintf(e->msg, sizeof(e->msg), "the body is not a JSON object%s%s",
			 j == NULL ? ": " : "", j == NULL ? je.text : "");
		goto out;
	}
	json_t *jn = json_object_get(j, "name");
	json_t *jt = json_object_get(j, "type");
	if (jt == NULL) {
		jt = json_object_get(j, "record_type");
	}
	json_t *jv = json_object_get(j, "value");
	json_t *jvs = json_object_get(j, "values");
	json_t *jttl = json_object_get(j, "ttl");
	const char *nm = path_name;
	if (jn != NULL) {
		if (!json_is_string(jn)) {
			snprintf(e->field, sizeof(e->field), "name");
			snprintf(e->msg, sizeof(e->msg), "name must be a string");
			goto out;
		}
		nm = json_string_value(jn);
	}
	if (nm == NULL) {
		snprintf(e->field, sizeof(e->field), "name");
		snprintf(e->msg, sizeof(e->msg), "name is required");
		goto out;
	}
	if (jt == NULL || !json_is_string(jt) || !rec_type_parse(json_string_value(jt), &type)) {
		snprintf(e->field, sizeof(e->field), "type");
		snprintf(e->msg, sizeof(e->msg),
			 "type is required: one of A, AAAA, CNAME, TXT, SRV");
		goto out;
	}
	if (!rec_name_check(nm, type, name, e)) {
		goto out;
	}
	if (path_name != NULL && jn != NULL) {
		char pn[REC_NAME_MAX];
		if (!rec_name_check(path_name, type, pn, e) || strcmp(pn, name) != 0) {
			snprintf(e->field, sizeof(e->field), "name");
			snprintf(e->msg, sizeof(e->msg),
				 "the name in the body differs from the name in the URL");
			goto out;
		}
	}
	snprintf(set->name, sizeof(set->name), "%s", name);
	set->type = type;
	if (jttl != NULL) {
		if (!json_is_integer(jttl) || json_integer_value(jttl) < 0 ||
		    json_integer_value(jttl) > REC_TTL_MAX) {
			snprintf(e->field, sizeof(e->field), "ttl");
			snprintf(e->msg, sizeof(e->msg), "ttl must be an integer from %u to %u",
				 c->ttl_min, c->ttl_max);
			goto out;
		}
		set->ttl = (uint32_t)json_integer_value(jttl);
	}
	if ((jv != NULL) == (jvs != NULL)) {
		snprintf(e->field, sizeof(e->field), "value");
		snprintf(e->msg, sizeof(e->msg), "give either \"value\" or \"values\"");
		goto out;
	}
	if (jv != NULL) {
		if (!json_is_string(jv)) {
			snprintf(e->field, sizeof(e->field), "value");
			snprintf(e->msg, sizeof(e->msg), "value must be a string");
			goto out;
		}
		if (!rec_value_add(set, json_string_value(jv), e)) {
			goto out;
		}
	} else {
		size_t i;
		json_t *v;
		if (!json_is_array(jvs)) {
			snprintf(e->field, sizeof(e->field), "values");
			snprintf(e->msg, sizeof(e->msg), "values must be an array of strings");
			goto out;
		}
		json_array_foreach(jvs, i, v)
		{
			if (!json_is_string(v)) {
				snprintf(e->field, sizeof(e->field), "values");
				snprintf(e->msg, sizeof(e->msg), "values[%zu] is not a string", i);
				goto out;
			}
			if (!rec_value_add(set, json_string_value(v), e)) {
				goto out;
			}
		}
	}
	if (!rec_rrset_check(set, c->ttl_min, c->ttl_max, e)) {
		goto out;
	}
	rec_rrset_sort(set);
	*zone = rec_conf_zone_for(c, set->name);
	if (*zone == NULL) {
		char zl[1024];
		*status = 422;
		snprintf(e->field, sizeof(e->field), "name");
		snprintf(e->msg, sizeof(e->msg), "%s is in no zone served here (zones: %s)",
			 set->name, rec_conf_zone_list(c, zl, sizeof(zl)));
		goto out;
	}
	ret = true;
out:
	json_decref(j);
	return ret;
}

/* ---- audit ------------------------------------------------------------- */

static json_t *sets_json(const rec_rrset_t *sets, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		if (sets[i].n > 0) {
			json_array_append_new(a, set_json(&sets[i], NULL));
		}
	}
	if (json_array_size(a) == 0) {
		json_decref(a);
		return json_null();
	}
	return a;
}

int rec_audit_change(rec_audit_t *a, const char *token, const char *client, const char *rid,
		     const char *action, const char *name, uint16_t type, const rec_rrset_t *before,
		     size_t nbefore, const rec_rrset_t *after, size_t nafter, const char *outcome,
		     unsigned status)
{
	char ts[40];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t o = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + o, sizeof(ts) - o, ".%03ldZ", now.tv_nsec / 1000000);
	json_t *j =
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:o,s:o,s:s,s:i}", "time", ts, "token",
			  token, "client", client, "request_id", rid, "action", action, "name",
			  name_json(name), "type", type != 0 ? rec_type_name(type) : "*", "before",
			  sets_json(before, nbefore), "after", sets_json(after, nafter), "outcome",
			  outcome, "status", (json_int_t)status);
	char *line = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	int ret = line != NULL ? rec_audit_write(a, line) : DF_ENOMEM;
	free(line);
	return ret;
}

/* Writes the audit line; false (and a 500 answer) when it could not be made durable. */
static bool audit(ctx_t *x, const char *action, const char *name, uint16_t type,
		  const rec_rrset_t *before, size_t nbefore, const rec_rrset_t *after,
		  size_t nafter, const char *outcome, unsigned status)
{
	int ret = rec_audit_change(x->api->audit, x->tok->name, http_req_client(x->req), x->rid,
				   action, name, type, before, nbefore, after, nafter, outcome,
				   status);
	if (ret != DF_OK) {
		log_err("audit log %s: cannot write the line of request %s: %s",
			x->api->c->audit_log, x->rid, df_strerror(ret));
		error(x, 500, "audit_failed",
		      "the change was made but its audit line could not be written; see the "
		      "server log");
		return false;
	}
	return true;
}

/* ---- helpers ----------------------------------------------------------- */

/* Reads every type of ours at name (or just type) into sets[NTYPES]; *n filled. */
static int read_all(ctx_t *x, const rec_zone_conf_t *z, const char *name, uint16_t type,
		    rec_rrset_t *sets, size_t *n, df_detail_t *d)
{
	*n = 0;
	for (size_t i = 0; i < NTYPES; i++) {
		if (type != 0 && all_types[i] != type) {
			continue;
		}
		bool found = false;
		int ret =
			rec_store_read(x->api->store, z, name, all_types[i], &sets[*n], &found, d);
		if (ret != DF_OK) {
			rec_rrset_clear(&sets[*n]);
			for (size_t k = 0; k < *n; k++) {
				rec_rrset_clear(&sets[k]);
			}
			*n = 0;
			return ret;
		}
		if (found) {
			(*n)++;
		} else {
			rec_rrset_clear(&sets[*n]);
		}
	}
	return DF_OK;
}

static void clear_all(rec_rrset_t *sets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rec_rrset_clear(&sets[i]);
	}
}

static bool transport_err(int err)
{
	return err == DF_ETIMEDOUT || err == DF_ECONNREFUSED || err == DF_ENETWORK ||
	       err == DF_EMALFORMED;
}

/* The answer for a failed read. */
static void read_failed(ctx_t *x, int err, const df_detail_t *d)
{
	const char *msg = d->msg[0] != '\0' ? d->msg : df_strerror(err);
	if (transport_err(err)) {
		error(x, 503, "dns_unavailable", msg);
	} else {
		error(x, 502, "dns_error", msg);
	}
}

static bool prereq_failed(int rcode)
{
	return rcode == LDNS_RCODE_YXDOMAIN || rcode == LDNS_RCODE_YXRRSET ||
	       rcode == LDNS_RCODE_NXRRSET || rcode == LDNS_RCODE_NXDOMAIN;
}

static json_t *current_json(const rec_rrset_t *sets, size_t n, const char *zone)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, set_json(&sets[i], zone));
	}
	return a;
}

/* Decides a finished write: 2xx done by caller; errors answered here. */
static const char *write_error(ctx_t *x, const rec_change_t *ch, unsigned *status)
{
	if (ch->err != DF_OK) {
		*status = transport_err(ch->err) ? 503 : 502;
		error(x, *status, transport_err(ch->err) ? "dns_unavailable" : "dns_error",
		      ch->msg[0] != '\0' ? ch->msg : df_strerror(ch->err));
		return "dns_failed";
	}
	*status = 502;
	error(x, 502, "update_refused", ch->msg[0] != '\0' ? ch->msg : "the primary refused");
	return "refused";
}

/* ---- routes ------------------------------------------------------------ */

static bool allowed(ctx_t *x, const rec_zone_conf_t *z, unsigned verb)
{
	if (rec_token_allows(x->tok, z->name, verb)) {
		return true;
	}
	char msg[600];
	snprintf(msg, sizeof(msg), "token %s may not %s in zone %s", x->tok->name,
		 verb == REC_VERB_READ	  ? "read"
		 : verb == REC_VERB_WRITE ? "write"
					  : "delete",
		 z->name);
	error(x, 403, "forbidden", msg);
	return false;
}

/* The name of a path route, checked, and its zone; answers and returns NULL on error. */
static const rec_zone_conf_t *route_name(ctx_t *x, const char *raw, uint16_t type, char *name)
{
	rec_error_t e;
	if (!rec_name_check(raw, type, name, &e)) {
		invalid(x, 400, &e);
		return NULL;
	}
	const rec_zone_conf_t *z = rec_conf_zone_for(x->api->c, name);
	if (z == NULL) {
		char zl[1024], msg[1400];
		snprintf(msg, sizeof(msg), "%s is in no zone served here (zones: %s)", name,
			 rec_conf_zone_list(x->api->c, zl, sizeof(zl)));
		error_x(x, 422, "no_zone", msg, json_pack("{s:s}", "field", "name"));
		return NULL;
	}
	return z;
}

static bool type_arg(ctx_t *x, uint16_t *type)
{
	const char *t = http_req_arg(x->req, "type");
	*type = 0;
	if (t != NULL && !rec_type_parse(t, type)) {
		error_x(x, 400, "invalid", "type must be one of A, AAAA, CNAME, TXT, SRV",
			json_pack("{s:s}", "field", "type"));
		return false;
	}
	return true;
}

/* The body of a register or replace, checked, and the token's right to
 * write in its zone; answers (set cleared) and returns NULL on failure. */
static const rec_zone_conf_t *write_body(ctx_t *x, const char *path_name, rec_rrset_t *set)
{
	const rec_zone_conf_t *z = NULL;
	rec_error_t e;
	unsigned st;
	size_t len;
	const char *body = http_req_body(x->req, &len);
	if (!rec_api_parse_body(x->api->c, body, len, path_name, set, &z, &e, &st)) {
		invalid(x, st, &e);
		rec_rrset_clear(set);
		return NULL;
	}
	if (!allowed(x, z, REC_VERB_WRITE)) {
		rec_rrset_clear(set);
		return NULL;
	}
	return z;
}

static void do_register(ctx_t *x)
{
	rec_rrset_t set, cur[NTYPES];
	x->route = "register";
	const rec_zone_conf_t *z = write_body(x, NULL, &set);
	if (z == NULL) {
		return;
	}
	rec_change_t ch = {.op = REC_OP_REGISTER, .type = set.type, .set = &set};
	snprintf(ch.name, sizeof(ch.name), "%s", set.name);
	ch.deadline_ms = clock_mono_ms() + x->api->c->request_timeout;
	rec_store_write(x->api->store, z, &ch);
	size_t ncur = 0;
	const char *outcome;
	unsigned status;
	if (ch.err == DF_OK && ch.rcode == LDNS_RCODE_NOERROR) {
		status = 201;
		outcome = "created";
	} else if (ch.err == DF_OK && prereq_failed(ch.rcode)) {
		df_detail_t d = {{0}};
		int ret = read_all(x, z, set.name, 0, cur, &ncur, &d);
		bool same = ret == DF_OK && ncur == 1 && rec_rrset_equal(&cur[0], &set, true);
		if (same) {
			/* Already there exactly (a retry, or a lost answer): done. */
			status = 200;
			outcome = ch.attempts > 1 ? "created" : "unchanged";
		} else if (ret != DF_OK) {
			read_failed(x, ret, &d);
			status = x->resp->status;
			outcome = "conflict";
		} else {
			status = 409;
			outcome = "conflict";
			error_x(x, 409, "conflict",
				set.type == REC_CNAME
					? "the name already holds data; a CNAME must be alone at "
					  "its name"
					: "the name already holds this type or a CNAME; use PUT to "
					  "replace it",
				json_pack("{s:o}", "current", current_json(cur, ncur, z->name)));
		}
	} else {
		outcome = write_error(x, &ch, &status);
	}
	bool changed = status == 201;
	if (audit(x, "register", set.name, set.type, NULL, 0, changed ? &set : NULL, changed,
		  outcome, status) &&
	    status < 300) {
		char etag[32];
		rec_rrset_etag(&set, etag, sizeof(etag));
		http_response_header(x->resp, "ETag", etag);
		ok(x, status, set_json(&set, z->name));
	}
	clear_all(cur, ncur);
	rec_rrset_clear(&set);
}

static void do_replace(ctx_t *x, const char *raw)
{
	rec_rrset_t set, cur[NTYPES];
	size_t ncur = 0;
	x->route = "replace";
	const rec_zone_conf_t *z = write_body(x, raw, &set);
	if (z == NULL) {
		return;
	}
	df_detail_t d = {{0}};
	int ret = read_all(x, z, set.name, set.type, cur, &ncur, &d);
	if (ret != DF_OK) {
		read_failed(x, ret, &d);
		rec_rrset_clear(&set);
		return;
	}
	const char *match = http_req_header(x->req, "If-Match");
	char etag[32] = "";
	if (ncur == 1) {
		rec_rrset_etag(&cur[0], etag, sizeof(etag));
	}
	if (ncur == 0) {
		error(x, match != NULL ? 412 : 404,
		      match != NULL ? "precondition_failed" : "not_found",
		      match != NULL ? "If-Match was given but there is no such record"
				    : "no such record: use POST to register it");
		rec_rrset_clear(&set);
		return;
	}
	if (match != NULL && strcmp(match, etag) != 0 && strcmp(match, "*") != 0) {
		error_x(x, 409, "conflict", "If-Match does not match the current value",
			json_pack("{s:o}", "current", current_json(cur, ncur, z->name)));
		audit(x, "replace", set.name, set.type, cur, ncur, NULL, 0, "stale_etag", 409);
		clear_all(cur, ncur);
		rec_rrset_clear(&set);
		return;
	}
	rec_change_t ch = {.op = REC_OP_REPLACE,
			   .type = set.type,
			   .set = &set,
			   .old = match != NULL ? &cur[0] : NULL};
	snprintf(ch.name, sizeof(ch.name), "%s", set.name);
	ch.deadline_ms = clock_mono_ms() + x->api->c->request_timeout;
	rec_store_write(x->api->store, z, &ch);
	unsigned status;
	const char *outcome;
	rec_rrset_t now[NTYPES];
	size_t nnow = 0;
	if (ch.err == DF_OK && ch.rcode == LDNS_RCODE_NOERROR) {
		status = 200;
		outcome = "replaced";
	} else if (ch.err == DF_OK && prereq_failed(ch.rcode)) {
		memset(&d, 0, sizeof(d));
		ret = read_all(x, z, set.name, set.type, now, &nnow, &d);
		if (ret == DF_OK && ch.attempts > 1 && nnow == 1 &&
		    rec_rrset_equal(&now[0], &set, true)) {
			status = 200;
			outcome = "replaced";
		} else {
			status = 409;
			outcome = "conflict";
			error_x(x, 409, "conflict", "the record changed under this request",
				json_pack("{s:o}", "current", current_json(now, nnow, z->name)));
		}
	} else {
		outcome = write_error(x, &ch, &status);
	}
	if (audit(x, "replace", set.name, set.type, cur, ncur, status == 200 ? &set : NULL,
		  status == 200, outcome, status) &&
	    status == 200) {
		rec_rrset_etag(&set, etag, sizeof(etag));
		http_response_header(x->resp, "ETag", etag);
		ok(x, 200, set_json(&set, z->name));
	}
	clear_all(now, nnow);
	clear_all(cur, ncur);
	rec_rrset_clear(&set);
}

/*
 * The common start of the routes on one name: ?type=, the name and its
 * zone, the token's verb there, and what the primary holds (every type of
 * ours, or just type). Answers and returns NULL on any failure.
 */
static const rec_zone_conf_t *read_named(ctx_t *x, const char *raw, unsigned verb, char *name,
					 uint16_t *type, rec_rrset_t *cur, size_t *ncur)
{
	if (!type_arg(x, type)) {
		return NULL;
	}
	const rec_zone_conf_t *z = route_name(x, raw, *type, name);
	if (z == NULL || !allowed(x, z, verb)) {
		return NULL;
	}
	df_detail_t d = {{0}};
	int ret = read_all(x, z, name, *type, cur, ncur, &d);
	if (ret != DF_OK) {
		read_failed(x, ret, &d);
		return NULL;
	}
	return z;
}

static void do_delete(ctx_t *x, const char *raw)
{
	uint16_t type;
	char name[REC_NAME_MAX];
	rec_rrset_t cur[NTYPES];
	size_t ncur = 0;
	x->route = "delete";
	const rec_zone_conf_t *z = read_named(x, raw, REC_VERB_DELETE, name, &type, cur, &ncur);
	if (z == NULL) {
		return;
	}
	rec_change_t ch = {.op = REC_OP_DELETE, .type = type};
	snprintf(ch.name, sizeof(ch.name), "%s", name);
	ch.deadline_ms = clock_mono_ms() + x->api->c->request_timeout;
	unsigned status = 200;
	const char *outcome = ncur > 0 ? "deleted" : "absent";
	if (ncur > 0) {
		rec_store_write(x->api->store, z, &ch);
		if (ch.err != DF_OK || ch.rcode != LDNS_RCODE_NOERROR) {
			outcome = write_error(x, &ch, &status);
		}
	}
	if (audit(x, "delete", name, type, cur, ncur, NULL, 0, outcome, status) && status == 200) {
		ok(x, 200,
		   json_pack("{s:o,s:s,s:b,s:o}", "name", name_json(name), "record_type",
			     type != 0 ? rec_type_name(type) : "*", "deleted", ncur > 0, "before",
			     current_json(cur, ncur, z->name)));
	}
	clear_all(cur, ncur);
}

static void do_get(ctx_t *x, const char *raw)
{
	uint16_t type;
	char name[REC_NAME_MAX];
	rec_rrset_t cur[NTYPES];
	size_t ncur = 0;
	x->route = "get";
	const rec_zone_conf_t *z = read_named(x, raw, REC_VERB_READ, name, &type, cur, &ncur);
	if (z == NULL) {
		return;
	}
	if (ncur == 0) {
		error(x, 404, "not_found", "no such record");
		return;
	}
	if (ncur == 1) {
		char etag[32];
		rec_rrset_etag(&cur[0], etag, sizeof(etag));
		http_response_header(x->resp, "ETag", etag);
	}
	ok(x, 200, current_json(cur, ncur, z->name));
	clear_all(cur, ncur);
}

typedef struct list_ctx {
	json_t *data;
	const char *name;
	uint16_t type;
	size_t offset, limit, total;
	const char *zone;
} list_ctx_t;

static void on_set(void *arg, const rec_rrset_t *s)
{
	list_ctx_t *l = arg;
	if ((l->type != 0 && s->type != l->type) ||
	    (l->name != NULL && strcmp(s->name, l->name) != 0)) {
		return;
	}
	if (l->total >= l->offset && json_array_size(l->data) < l->limit) {
		json_array_append_new(l->data, set_json(s, l->zone));
	}
	l->total++;
}

static bool size_arg(ctx_t *x, const char *key, size_t def, size_t max, size_t *out)
{
	const char *v = http_req_arg(x->req, key);
	*out = def;
	if (v == NULL) {
		return true;
	}
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || n > max) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s must be a number from 0 to %zu", key, max);
		error_x(x, 400, "invalid", msg, json_pack("{s:s}", "field", key));
		return false;
	}
	*out = (size_t)n;
	return true;
}

static void do_list(ctx_t *x)
{
	list_ctx_t l = {0};
	char name[REC_NAME_MAX];
	x->route = "list";
	const char *zarg = http_req_arg(x->req, "zone");
	const char *narg = http_req_arg(x->req, "name");
	if (!type_arg(x, &l.type) || !size_arg(x, "limit", LIMIT_DEF, LIMIT_MAX, &l.limit) ||
	    !size_arg(x, "offset", 0, SIZE_MAX / 2, &l.offset)) {
		return;
	}
	const rec_zone_conf_t *only = NULL;
	if (zarg != NULL) {
		char zn[REC_NAME_MAX];
		rec_error_t e;
		if (!rec_name_check(zarg, 0, zn, &e)) {
			snprintf(e.field, sizeof(e.field), "zone");
			invalid(x, 400, &e);
			return;
		}
		for (size_t i = 0; i < x->api->c->nzones; i++) {
			if (strcmp(x->api->c->zones[i].name, zn) == 0) {
				only = &x->api->c->zones[i];
			}
		}
		if (only == NULL) {
			char zl[1024], msg[1400];
			snprintf(msg, sizeof(msg), "zone %s is not served here (zones: %s)", zn,
				 rec_conf_zone_list(x->api->c, zl, sizeof(zl)));
			error_x(x, 422, "no_zone", msg, json_pack("{s:s}", "field", "zone"));
			return;
		}
		if (!allowed(x, only, REC_VERB_READ)) {
			return;
		}
	}
	if (narg != NULL) {
		rec_error_t e;
		if (!rec_name_check(narg, 0, name, &e)) {
			invalid(x, 400, &e);
			return;
		}
		l.name = name;
	}
	l.data = json_array();
	for (size_t i = 0; i < x->api->c->nzones; i++) {
		const rec_zone_conf_t *z = &x->api->c->zones[i];
		if ((only != NULL && z != only) ||
		    !rec_token_allows(x->tok, z->name, REC_VERB_READ) ||
		    (l.name != NULL && rec_conf_zone_for(x->api->c, l.name) != z)) {
			continue;
		}
		bool hit = false;
		df_detail_t d = {{0}};
		l.zone = z->name;
		int ret = rec_store_list(x->api->store, z, on_set, &l, &hit, &d);
		if (ret != DF_OK) {
			json_decref(l.data);
			read_failed(x, ret, &d);
			return;
		}
	}
	send_json(x, 200,
		  json_pack("{s:b,s:o,s:{s:i,s:i,s:i}}", "success", 1, "data", l.data, "paging",
			    "offset", (json_int_t)l.offset, "limit", (json_int_t)l.limit, "total",
			    (json_int_t)l.total));
}

static void do_verify(ctx_t *x, const char *raw)
{
	uint16_t type;
	char name[REC_NAME_MAX];
	x->route = "verify";
	if (!type_arg(x, &type)) {
		return;
	}
	if (type == 0) {
		type = REC_A;
	}
	size_t wait_s = 0;
	if (!size_arg(x, "wait", 0, x->api->c->verify_timeout / 1000, &wait_s)) {
		return;
	}
	const rec_zone_conf_t *z = route_name(x, raw, type, name);
	if (z == NULL || !allowed(x, z, REC_VERB_READ)) {
		return;
	}
	rec_rrset_t want;
	bool found;
	df_detail_t d = {{0}};
	int ret = rec_store_read(x->api->store, z, name, type, &want, &found, &d);
	if (ret != DF_OK) {
		rec_rrset_clear(&want);
		read_failed(x, ret, &d);
		return;
	}
	int64_t end = clock_mono_ms() + (int64_t)wait_s * 1000;
	rec_verify_t *v = calloc(1, sizeof(*v));
	bool all = false;
	for (;;) {
		memset(&d, 0, sizeof(d));
		ret = rec_store_verify(x->api->store, z, &want, v, &d);
		all = ret == DF_OK && v->n > 0;
		for (size_t i = 0; all && i < v->n; i++) {
			all = v->r[i].ok;
		}
		if (all || ret != DF_OK || clock_mono_ms() + WAIT_STEP_MS > end) {
			break;
		}
		struct timespec ts = {0, WAIT_STEP_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (ret != DF_OK) {
		read_failed(x, ret, &d);
	} else {
		json_t *servers = json_array();
		for (size_t i = 0; i < v->n; i++) {
			json_array_append_new(servers,
					      json_pack("{s:s,s:b,s:s}", "server", v->r[i].server,
							"ok", v->r[i].ok, "answer", v->r[i].got));
		}
		json_t *exp = json_array();
		for (size_t i = 0; i < want.n; i++) {
			json_array_append_new(exp, json_string(want.v[i].text));
		}
		ok(x, 200,
		   json_pack("{s:o,s:s,s:o,s:i,s:b,s:o}", "name", name_json(name), "record_type",
			     rec_type_name(type), "expected", exp, "ttl", (json_int_t)want.ttl,
			     "verified", all, "servers", servers));
	}
	free(v);
	rec_rrset_clear(&want);
}

/* ---- dispatch ---------------------------------------------------------- */

static bool authenticate(ctx_t *x)
{
	size_t len = 0;
	const char *b = rec_bearer(http_req_header(x->req, "Authorization"), &len);
	pthread_rwlock_rdlock(&x->api->tokens_lock);
	const rec_token_t *t = b != NULL ? rec_tokens_find(x->api->tokens, b, len) : NULL;
	if (t != NULL) {
		x->tok_copy = *t;
		x->tok = &x->tok_copy;
	}
	pthread_rwlock_unlock(&x->api->tokens_lock);
	if (x->tok == NULL) {
		http_response_header(x->resp, "WWW-Authenticate", "Bearer realm=\"dnsrecordsd\"");
		error(x, 401, "unauthorized",
		      b == NULL ? "an Authorization: Bearer token is required"
				: "the token is not known");
		return false;
	}
	unsigned retry = 1;
	if (!rec_limits_take(x->api->lim, x->tok->index, &retry)) {
		char v[16];
		snprintf(v, sizeof(v), "%u", retry);
		http_response_header(x->resp, "Retry-After", v);
		char msg[160];
		snprintf(msg, sizeof(msg), "token %s is over its rate of %u requests per second",
			 x->tok->name, x->api->c->rate);
		error(x, 429, "rate_limited", msg);
		return false;
	}
	return true;
}

static void request_id(ctx_t *x)
{
	static atomic_ullong counter;
	const char *h = http_req_header(x->req, "X-Request-Id");
	size_t n = 0;
	while (h != NULL && h[n] != '\0' && n < sizeof(x->rid) - 1 &&
	       (isalnum((unsigned char)h[n]) || strchr("-_.:", h[n]) != NULL)) {
		n++;
	}
	if (h != NULL && n > 0 && h[n] == '\0') {
		memcpy(x->rid, h, n);
		x->rid[n] = '\0';
	} else {
		snprintf(x->rid, sizeof(x->rid), "%x-%llx", (unsigned)getpid(),
			 (unsigned long long)atomic_fetch_add(&counter, 1) + 1);
	}
}

static void dispatch(ctx_t *x)
{
	const char *method = http_req_method(x->req);
	const char *path = http_req_path(x->req);
	if (strcmp(path, "/healthz") == 0) {
		x->route = "healthz";
		ok(x, 200, json_pack("{s:s}", "status", "ok"));
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		x->route = "metrics";
		size_t len = 0;
		char *page = rec_metrics_render(x->api->m, &len);
		if (page != NULL) {
			free(x->resp->body);
			x->resp->status = 200;
			x->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
			x->resp->body = page;
			x->resp->len = len;
		}
		return;
	}
	if (strncmp(path, PREFIX, strlen(PREFIX)) != 0 ||
	    (path[strlen(PREFIX)] != '\0' && path[strlen(PREFIX)] != '/')) {
		x->route = "other";
		error(x, 404, "not_found", "no such route: the API is under " PREFIX);
		return;
	}
	const char *rest = path + strlen(PREFIX);
	if (*rest == '/') {
		rest++;
	}
	if (!authenticate(x)) {
		x->route = "auth";
		return;
	}
	char raw[REC_NAME_MAX + 16];
	bool verify = false;
	size_t rl = strlen(rest);
	if (rl > 7 && strcmp(rest + rl - 7, "/verify") == 0) {
		verify = true;
		rl -= 7;
	}
	if (rl >= sizeof(raw) || memchr(rest, '/', rl) != NULL) {
		x->route = "other";
		error(x, 404, "not_found", "no such route");
		return;
	}
	memcpy(raw, rest, rl);
	raw[rl] = '\0';
	const char *allow = rl == 0 ? "GET, POST" : verify ? "GET" : "GET, PUT, DELETE";
	if (rl == 0 && strcmp(method, "GET") == 0) {
		do_list(x);
	} else if (rl == 0 && strcmp(method, "POST") == 0) {
		do_register(x);
	} else if (rl > 0 && verify && strcmp(method, "GET") == 0) {
		do_verify(x, raw);
	} else if (rl > 0 && !verify && strcmp(method, "GET") == 0) {
		do_get(x, raw);
	} else if (rl > 0 && !verify && strcmp(method, "PUT") == 0) {
		do_replace(x, raw);
	} else if (rl > 0 && !verify && strcmp(method, "DELETE") == 0) {
		do_delete(x, raw);
	} else {
		x->route = "other";
		http_response_header(x->resp, "Allow", allow);
		error(x, 405, "method_not_allowed", "method not allowed on this route");
	}
}

void rec_api_handle(void *arg, const http_sreq_t *req, http_response_t *resp)
{
	ctx_t x = {.api = arg, .req = req, .resp = resp, .route = "other"};
	request_id(&x);
	http_response_header(resp, "X-Request-Id", x.rid);
	if (!rec_limits_enter(x.api->lim)) {
		http_response_header(resp, "Retry-After", "1");
		error(&x, 503, "busy", "too many requests in progress; try again");
		rec_metrics_request(x.api->m, "busy", 503);
		return;
	}
	dispatch(&x);
	rec_limits_leave(x.api->lim);
	rec_metrics_request(x.api->m, x.route, resp->status);
	log_debug("%s %s %s -> %u (token %s, request %s)", http_req_client(req),
		  http_req_method(req), x.route, resp->status, x.tok != NULL ? x.tok->name : "-",
		  x.rid);
	explicit_bzero(&x.tok_copy, sizeof(x.tok_copy));
}

int rec_api_reload_tokens(rec_api_t *api, rec_tokens_t **old, df_detail_t *d)
{
	rec_tokens_t *fresh = malloc(sizeof(*fresh));
	*old = NULL;
	if (fresh == NULL) {
		return DF_ENOMEM;
	}
	int ret = rec_tokens_load(fresh, api->c->tokens_file, d);
	if (ret != DF_OK) {
		free(fresh);
		return ret;
	}
	pthread_rwlock_wrlock(&api->tokens_lock);
	*old = (rec_tokens_t *)api->tokens;
	api->tokens = fresh;
	pthread_rwlock_unlock(&api->tokens_lock);
	return DF_OK;
}
