#include "src/records/records_webhook.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/clock.h"
#include "src/common/log.h"

#define CHANGES_MAX 4096

int rec_webhook_init(rec_webhook_t *w, rec_api_t *api)
{
	w->api = api;
	w->extras = json_object();
	pthread_mutex_init(&w->mu, NULL);
	return w->extras != NULL ? DF_OK : DF_ENOMEM;
}

void rec_webhook_deinit(rec_webhook_t *w)
{
	json_decref(w->extras);
	pthread_mutex_destroy(&w->mu);
}

static void reply(http_response_t *resp, unsigned status, json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	free(resp->body);
	resp->status = status;
	resp->content_type = REC_WEBHOOK_MEDIA;
	resp->body = s;
	resp->len = s != NULL ? strlen(s) : 0;
	if (s == NULL && status < 300) {
		resp->status = 500;
	}
}

/* A small text error body: external-dns logs it. */
static void fail(http_response_t *resp, unsigned status, const char *msg)
{
	http_response_text(resp, status, "text/plain; charset=utf-8", msg);
}

static void set_err(rec_error_t *e, const char *field, const char *msg)
{
	snprintf(e->field, sizeof(e->field), "%s", field);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

bool rec_webhook_endpoint(const rec_conf_t *c, const void *ep, rec_rrset_t *set,
			  const rec_zone_conf_t **zone, rec_error_t *e)
{
	const json_t *j = ep;
	char name[REC_NAME_MAX];
	uint16_t type = 0;
	rec_rrset_init(set, "", 0, c->ttl_default);
	if (!json_is_object(j)) {
		set_err(e, "endpoint", "an endpoint is not a JSON object");
		return false;
	}
	json_t *dn = json_object_get(j, "dnsName");
	json_t *rt = json_object_get(j, "recordType");
	json_t *tg = json_object_get(j, "targets");
	json_t *ttl = json_object_get(j, "recordTTL");
	json_t *sid = json_object_get(j, "setIdentifier");
	if (!json_is_string(dn) || !rec_name_check(json_string_value(dn), REC_TXT, name, e)) {
		if (!json_is_string(dn)) {
			set_err(e, "dnsName", "dnsName must be a string");
		}
		return false;
	}
	if (!json_is_string(rt) || !rec_type_parse(json_string_value(rt), &type)) {
		set_err(e, "recordType", "recordType must be one of A, AAAA, CNAME, TXT, SRV");
		return false;
	}
	if (type != REC_TXT && type != REC_SRV && !rec_name_check(name, type, name, e)) {
		return false;
	}
	if (sid != NULL && !(json_is_string(sid) && json_string_length(sid) == 0)) {
		set_err(e, "setIdentifier",
			"setIdentifier (weighted or routed records) is not "
			"supported");
		return false;
	}
	snprintf(set->name, sizeof(set->name), "%s", name);
	set->type = type;
	if (ttl != NULL) {
		if (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
		    json_integer_value(ttl) > REC_TTL_MAX) {
			set_err(e, "recordTTL", "recordTTL must be a non-negative integer");
			return false;
		}
		if (json_integer_value(ttl) > 0) {
			set->ttl = (uint32_t)json_integer_value(ttl);
		}
	}
	if (!json_is_array(tg)) {
		set_err(e, "targets", "targets must be an array of strings");
		return false;
	}
	size_t i;
	json_t *t;
	json_array_foreach(tg, i, t)
	{
		if (!json_is_string(t)) {
			set_err(e, "targets", "targets must be an array of strings");
			return false;
		}
		const char *v = json_string_value(t);
		size_t n = json_string_length(t);
		char buf[REC_VALUE_MAX + 2];
		/* external-dns quotes its TXT targets: the quotes are not data. */
		if (type == REC_TXT && n >= 2 && v[0] == '"' && v[n - 1] == '"' &&
		    n - 2 < sizeof(buf)) {
			memcpy(buf, v + 1, n - 2);
			buf[n - 2] = '\0';
			v = buf;
		}
		if (!rec_value_add(set, v, e)) {
			return false;
		}
	}
	if (!rec_rrset_check(set, c->ttl_min, c->ttl_max, e)) {
		return false;
	}
	rec_rrset_sort(set);
	*zone = rec_conf_zone_for(c, set->name);
	if (*zone == NULL) {
		char zl[1024];
		snprintf(e->field, sizeof(e->field), "dnsName");
		snprintf(e->msg, sizeof(e->msg), "%s is in no zone served here (zones: %s)",
			 set->name, rec_conf_zone_list(c, zl, sizeof(zl)));
		return false;
	}
	return true;
}

static void extras_key(const rec_rrset_t *s, char *key, size_t size)
{
	snprintf(key, size, "%s/%s", s->name, rec_type_name(s->type));
}

static json_t *endpoint_json(rec_webhook_t *w, const rec_rrset_t *s)
{
	json_t *targets = json_array();
	for (size_t i = 0; i < s->n; i++) {
		const char *v = s->v[i].text;
		size_t n = strlen(v);
		if (s->type == REC_TXT) {
			char *q = malloc(n + 3);
			if (q != NULL) {
				q[0] = '"';
				memcpy(q + 1, v, n);
				q[n + 1] = '"';
				q[n + 2] = '\0';
				json_array_append_new(targets, json_string(q));
				free(q);
			}
		} else if (s->type == REC_CNAME && n > 1 && v[n - 1] == '.') {
			json_array_append_new(targets, json_stringn(v, n - 1));
		} else {
			json_array_append_new(targets, json_string(v));
		}
	}
	size_t nl = strlen(s->name);
	json_t *o = json_pack("{s:s%,s:o,s:s,s:i}", "dnsName", s->name, nl > 1 ? nl - 1 : nl,
			      "targets", targets, "recordType", rec_type_name(s->type), "recordTTL",
			      (json_int_t)s->ttl);
	char key[REC_NAME_MAX + 16];
	extras_key(s, key, sizeof(key));
	pthread_mutex_lock(&w->mu);
	json_t *x = json_object_get(w->extras, key);
	if (x != NULL) {
		json_object_update(o, x);
	}
	pthread_mutex_unlock(&w->mu);
	return o;
}

typedef struct list_ctx {
	rec_webhook_t *w;
	json_t *out;
} list_ctx_t;

static void on_set(void *arg, const rec_rrset_t *s)
{
	list_ctx_t *l = arg;
	json_array_append_new(l->out, endpoint_json(l->w, s));
}

static void get_records(rec_webhook_t *w, http_response_t *resp)
{
	list_ctx_t l = {.w = w, .out = json_array()};
	for (size_t i = 0; i < w->api->c->nzones; i++) {
		bool hit;
		df_detail_t d = {{0}};
		int ret = rec_store_list(w->api->store, &w->api->c->zones[i], on_set, &l, &hit, &d);
		if (ret != DF_OK) {
			json_decref(l.out);
			fail(resp, 503, d.msg[0] != '\0' ? d.msg : df_strerror(ret));
			return;
		}
	}
	reply(resp, 200, l.out);
}

typedef struct item {
	rec_change_t ch;
	rec_rrset_t set, old;
	bool has_set, has_old;
	const rec_zone_conf_t *z;
	const json_t *ep; /* the endpoint (new) for its extras */
	const char *action;
} item_t;

static bool transient(int err)
{
	return err == DF_ETIMEDOUT || err == DF_ECONNREFUSED || err == DF_ENETWORK ||
	       err == DF_EMALFORMED;
}

static bool add_items(rec_webhook_t *w, json_t *list, const char *action, rec_op_t op, json_t *olds,
		      item_t *items, size_t *n, char *err, size_t esize)
{
	size_t i;
	json_t *ep;
	if (list == NULL) {
		return true;
	}
	if (!json_is_array(list)) {
		snprintf(err, esize, "%s must be an array of endpoints", action);
		return false;
	}
	if (olds != NULL &&
	    (!json_is_array(olds) || json_array_size(olds) != json_array_size(list))) {
		snprintf(err, esize, "updateOld and updateNew must be arrays of the same length");
		return false;
	}
	json_array_foreach(list, i, ep)
	{
		rec_error_t e;
		if (*n >= CHANGES_MAX) {
			snprintf(err, esize, "more than %d changes in one request", CHANGES_MAX);
			return false;
		}
		item_t *it = &items[*n];
		memset(it, 0, sizeof(*it));
		it->action = action;
		it->ep = ep;
		const rec_zone_conf_t *z = NULL;
		bool ok = rec_webhook_endpoint(w->api->c, ep, &it->set, &z, &e);
		it->has_set = true;
		(*n)++;
		if (ok && olds != NULL) {
			const rec_zone_conf_t *oz = NULL;
			ok = rec_webhook_endpoint(w->api->c, json_array_get(olds, i), &it->old, &oz,
						  &e);
			it->has_old = true;
			if (ok && (oz != z || strcmp(it->old.name, it->set.name) != 0 ||
				   it->old.type != it->set.type)) {
				ok = false;
				snprintf(e.msg, sizeof(e.msg),
					 "updateOld[%zu] and updateNew[%zu] name different records",
					 i, i);
			}
		}
		if (!ok) {
			snprintf(err, esize, "%s[%zu]: %s", action, i, e.msg);
			return false;
		}
		it->z = z;
		it->ch.op = op;
		it->ch.type = it->set.type;
		snprintf(it->ch.name, sizeof(it->ch.name), "%s", it->set.name);
		it->ch.set = op == REC_OP_DELETE ? NULL : &it->set;
		it->ch.old = it->has_old ? &it->old : NULL;
	}
	return true;
}

/* After a failed prerequisite: is the server already as asked? */
static bool already(rec_webhook_t *w, item_t *it)
{
	rec_rrset_t cur;
	bool found = false;
	df_detail_t d = {{0}};
	bool same = rec_store_read(w->api->store, it->z, it->set.name, it->set.type, &cur, &found,
				   &d) == DF_OK &&
		    found && rec_rrset_equal(&cur, &it->set, false);
	rec_rrset_clear(&cur);
	return same;
}

static void remember(rec_webhook_t *w, const item_t *it)
{
	char key[REC_NAME_MAX + 16];
	extras_key(&it->set, key, sizeof(key));
	pthread_mutex_lock(&w->mu);
	if (it->ch.op == REC_OP_DELETE) {
		json_object_del(w->extras, key);
	} else {
		json_t *x = json_object();
		json_t *labels = json_object_get(it->ep, "labels");
		json_t *ps = json_object_get(it->ep, "providerSpecific");
		if (labels != NULL && json_object_size(labels) > 0) {
			json_object_set(x, "labels", labels);
		}
		if (ps != NULL && json_array_size(ps) > 0) {
			json_object_set(x, "providerSpecific", ps);
		}
		if (json_object_size(x) > 0) {
			json_object_set_new(w->extras, key, x);
		} else {
			json_decref(x);
			json_object_del(w->extras, key);
		}
	}
	pthread_mutex_unlock(&w->mu);
}

static json_t *field(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	return v != NULL ? v : json_object_get(o, b);
}

static void apply(rec_webhook_t *w, const http_sreq_t *req, const char *rid, http_response_t *resp)
{
	size_t len;
	const char *body = http_req_body(req, &len);
	json_error_t je;
	json_t *j = json_loadb(body, len, 0, &je);
	if (!json_is_object(j)) {
		char msg[256];
		snprintf(msg, sizeof(msg), "the body is not a Changes object%s%s",
			 j == NULL ? ": " : "", j == NULL ? je.text : "");
		json_decref(j);
		fail(resp, 400, msg);
		return;
	}
	item_t *items = calloc(CHANGES_MAX, sizeof(*items));
	size_t n = 0;
	char err[700] = "";
	bool ok = items != NULL;
	/* Deletes first, so that a name whose type changes (delete A, create
	 * CNAME) is free by the time it is created. */
	ok = ok && add_items(w, field(j, "delete", "Delete"), "delete", REC_OP_DELETE, NULL, items,
			     &n, err, sizeof(err));
	ok = ok && add_items(w, field(j, "updateNew", "UpdateNew"), "updateNew", REC_OP_REPLACE,
			     field(j, "updateOld", "UpdateOld"), items, &n, err, sizeof(err));
	ok = ok && add_items(w, field(j, "create", "Create"), "create", REC_OP_REGISTER, NULL,
			     items, &n, err, sizeof(err));
	if (!ok) {
		fail(resp, items == NULL ? 500 : 400, items == NULL ? "out of memory" : err);
		goto out;
	}
	/* Two changes to one name and type in one request cannot both be decided. */
	for (size_t a = 0; a < n; a++) {
		for (size_t b = a + 1; b < n; b++) {
			if (items[a].set.type == items[b].set.type &&
			    strcmp(items[a].set.name, items[b].set.name) == 0 &&
			    !(items[a].ch.op == REC_OP_DELETE &&
			      items[b].ch.op == REC_OP_REGISTER)) {
				snprintf(err, sizeof(err), "%s %s is changed twice in one request",
					 items[a].set.name, rec_type_name(items[a].set.type));
				fail(resp, 400, err);
				goto out;
			}
		}
	}
	int64_t deadline = clock_mono_ms() + w->api->c->request_timeout;
	/* A delete must be decided before a create of the same name is sent. */
	for (int phase = 0; phase < 2; phase++) {
		for (size_t i = 0; i < n; i++) {
			if ((phase == 0) == (items[i].ch.op == REC_OP_DELETE)) {
				items[i].ch.deadline_ms = deadline;
				rec_store_submit(w->api->store, items[i].z, &items[i].ch);
			}
		}
		for (size_t i = 0; i < n; i++) {
			if ((phase == 0) == (items[i].ch.op == REC_OP_DELETE)) {
				rec_store_wait(w->api->store, items[i].z, &items[i].ch);
			}
		}
	}
	unsigned status = 204;
	for (size_t i = 0; i < n; i++) {
		item_t *it = &items[i];
		const char *outcome = "applied";
		unsigned st = 204;
		if (it->ch.err != DF_OK) {
			st = transient(it->ch.err) ? 503 : 502;
			outcome = "dns_failed";
		} else if (it->ch.rcode != 0) {
			bool prereq = it->ch.rcode == 6 || it->ch.rcode == 7 || it->ch.rcode == 8 ||
				      it->ch.rcode == 3;
			if (prereq && already(w, it)) {
				outcome = "unchanged";
			} else {
				st = prereq ? 409 : 502;
				outcome = prereq ? "conflict" : "refused";
			}
		}
		if (st == 204) {
			remember(w, it);
		} else if (status == 204 || (st >= 500 && status < 500)) {
			status = st;
			snprintf(err, sizeof(err), "%s %s %s: %s", it->action, it->set.name,
				 rec_type_name(it->set.type),
				 it->ch.msg[0] != '\0' ? it->ch.msg
						       : "the records there differ from updateOld");
		}
		bool changed = st == 204;
		const rec_rrset_t *before = it->has_old ? &it->old : NULL;
		if (it->ch.op == REC_OP_DELETE) {
			before = &it->set;
		}
		if (rec_audit_change(w->api->audit, REC_WEBHOOK_TOKEN, http_req_client(req), rid,
				     it->action, it->set.name, it->set.type, before, before != NULL,
				     changed && it->ch.op != REC_OP_DELETE ? &it->set : NULL,
				     changed && it->ch.op != REC_OP_DELETE, outcome, st) != DF_OK) {
			log_err("audit log %s: cannot write a line of webhook request %s",
				w->api->c->audit_log, rid);
			status = 500;
			snprintf(err, sizeof(err), "the audit log could not be written");
		}
	}
	if (status == 204) {
		resp->status = 204;
		free(resp->body);
		resp->body = NULL;
		resp->len = 0;
	} else {
		fail(resp, status, err);
	}
out:
	for (size_t i = 0; items != NULL && i < n; i++) {
		rec_rrset_clear(&items[i].set);
		rec_rrset_clear(&items[i].old);
	}
	free(items);
	json_decref(j);
}

static void adjust(const http_sreq_t *req, http_response_t *resp)
{
	size_t len;
	const char *body = http_req_body(req, &len);
	json_t *j = json_loadb(body, len, 0, NULL);
	if (!json_is_array(j)) {
		json_decref(j);
		fail(resp, 400, "the body is not an array of endpoints");
		return;
	}
	reply(resp, 200, j);
}

void rec_webhook_handle(void *arg, const http_sreq_t *req, http_response_t *resp)
{
	rec_webhook_t *w = arg;
	static atomic_ullong counter;
	char rid[48];
	snprintf(rid, sizeof(rid), "wh-%x-%llx", (unsigned)getpid(),
		 (unsigned long long)atomic_fetch_add(&counter, 1) + 1);
	const char *m = http_req_method(req);
	const char *p = http_req_path(req);
	bool get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
	const char *route = "webhook_other";
	if (strcmp(p, "/") == 0 && get) {
		route = "webhook_negotiate";
		json_t *inc = json_array();
		for (size_t i = 0; i < w->api->c->nzones; i++) {
			const char *z = w->api->c->zones[i].name;
			size_t zl = strlen(z);
			json_array_append_new(inc, json_stringn(z, zl > 1 ? zl - 1 : zl));
		}
		reply(resp, 200, json_pack("{s:o}", "include", inc));
	} else if (strcmp(p, "/records") == 0 && get) {
		route = "webhook_records";
		get_records(w, resp);
	} else if (strcmp(p, "/records") == 0 && post) {
		route = "webhook_apply";
		apply(w, req, rid, resp);
	} else if (strcmp(p, "/adjustendpoints") == 0 && post) {
		route = "webhook_adjust";
		adjust(req, resp);
	} else if (strcmp(p, "/healthz") == 0 && get) {
		route = "webhook_healthz";
		http_response_text(resp, 200, "text/plain; charset=utf-8", "ok");
	} else {
		fail(resp, 404, "no such route (/, /records, /adjustendpoints, /healthz)");
	}
	rec_metrics_request(w->api->m, route, resp->status);
	log_debug("webhook %s %s %s -> %u (request %s)", http_req_client(req), m, route,
		  resp->status, rid);
}
