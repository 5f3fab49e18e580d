/*
 * fake_infoblox: a stand-in for an Infoblox NIOS grid master's WAPI over
 * HTTPS, for the infoblox provider's system tests.
 *
 *   fake_infoblox -p PORT -k KEY.pem -C CERT.pem -u USER -w PASSWORD
 *                 [-v WAPI_VERSION] [-V VIEW] [-c CONTROL_FILE] [-P PIDFILE]
 *
 * Serves https://127.0.0.1:PORT/wapi/WAPI_VERSION (default v2.11) with the
 * contract of reference/rest-providers.md section 4:
 *   GET    record:a | record:txt ?name=&view=[&text=&ipv4addr=]  bare array, exact match
 *   GET    view?name=                                            the views (VIEW only)
 *   POST   record:a | record:txt                                 201, the new _ref (a string)
 *   PUT    <_ref>                                                the new _ref (it changes)
 *   DELETE <_ref>                                                the _ref
 *   POST   request                                               the multi-object request
 * Auth: HTTP Basic with USER:PASSWORD on every request (the ibapauth cookie
 * is not served); otherwise 401 with an HTML page, as the grid's web server
 * answers.
 * A _ref is record:<type>/<base64url key>:<name>/<view>, and the key embeds
 * the record's serial and its data, so it changes with every write; a PUT or
 * DELETE through a ref no longer current gives 404 Client.Ibap.Data.NotFound.
 * Errors have the body {"Error": "...", "code": "Client.Ibap....", "text": "..."}:
 *   another WAPI version in the URL   400 Client.Ibap.Proto
 *   a view other than VIEW            400 Client.Ibap.Data.NotFound [assumption]
 *   a bad field or body               400 Client.Ibap.Proto
 * The multi-object request: steps {"method", "object", "data", "assign_state",
 * "enable_substitution", "discard"}; a GET's first result fills the state
 * variables of assign_state; ##STATE:VAR:## in an object is replaced when
 * enable_substitution is true; STATE:DISPLAY shows the variables. The
 * answer lists the results of the steps not discarded. ASSUMPTION (not
 * documented by Infoblox): the request runs as a unit; a GET that matches
 * nothing fails it with 400 Client.Ibap.Data.NotFound and nothing applies.
 *
 * CONTROL_FILE (re-read on every request) holds one word: ok, hang (held 60 s
 * without an answer), error (500 with an HTML page), apply-500 (writes
 * apply, then 502).
 * Outside the WAPI, without credentials: GET /__fake/stats (connections,
 * requests, writes) and GET /__fake/records (every record).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tests/system/fake_https.h"

#define RECS_MAX 64

typedef struct rec {
	bool used, is_a;
	unsigned long serial;
	char name[256], view[64], value[4096];
	long ttl;
	bool use_ttl;
	char ref[8192];
} rec_t;

static struct {
	rec_t recs[RECS_MAX];
	const char *user, *password, *version, *view;
	unsigned long serial, writes;
} g;

/* ---- Records --------------------------------------------------------------- */

static void b64url(const char *in, char *out, size_t size)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(in), o = 0;
	for (size_t i = 0; i < n && o + 5 < size; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		v |= i + 1 < n ? (unsigned char)in[i + 1] << 8 : 0;
		v |= i + 2 < n ? (unsigned char)in[i + 2] : 0;
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
		if (i + 1 < n) {
			out[o++] = t[(v >> 6) & 63];
		}
		if (i + 2 < n) {
			out[o++] = t[v & 63];
		}
	}
	out[o] = '\0';
}

/* The ref from the data: "dns.bind_<type>$.<serial>._default.<name>.<value>". */
static void make_ref(rec_t *r)
{
	char key[4500], enc[6100];
	r->serial = ++g.serial;
	snprintf(key, sizeof(key), "dns.bind_%s$.%lu._default.%s.%s", r->is_a ? "a" : "txt",
		 r->serial, r->name, r->value);
	b64url(key, enc, sizeof(enc));
	snprintf(r->ref, sizeof(r->ref), "record:%s/%s:%s/%s", r->is_a ? "a" : "txt", enc, r->name,
		 r->view);
}

static json_t *rec_json(const rec_t *r)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "_ref", r->ref,
			 r->is_a ? "ipv4addr" : "text", r->value, "name", r->name, "view", r->view,
			 "ttl", (json_int_t)r->ttl, "use_ttl", r->use_ttl);
}

/* An error answer; the text goes to "text" and after the class to "Error". */
typedef struct werr {
	unsigned status;
	const char *code, *cls;
	char text[512];
} werr_t;

static void set_err(werr_t *e, unsigned status, const char *code, const char *cls, const char *fmt,
		    const char *arg)
{
	e->status = status;
	e->code = code;
	e->cls = cls;
	snprintf(e->text, sizeof(e->text), fmt, arg);
}

static MHD_RESULT send_err(struct MHD_Connection *c, const werr_t *e)
{
	char error[700];
	snprintf(error, sizeof(error), "%s: %s", e->cls, e->text);
	return fh_send_json(
		c, e->status,
		json_pack("{s:s, s:s, s:s}", "Error", error, "code", e->code, "text", e->text));
}

/* Parses "record:a" / "record:txt"; -1 for anything else. */
static int obj_type(const char *obj)
{
	return strcmp(obj, "record:a") == 0 ? 1 : strcmp(obj, "record:txt") == 0 ? 0 : -1;
}

/* The field a filter or a value names on a record of that type. */
static const char *field_of(const rec_t *r, const char *key)
{
	if (strcmp(key, "name") == 0) {
		return r->name;
	}
	if (strcmp(key, "view") == 0) {
		return r->view;
	}
	if (strcmp(key, r->is_a ? "ipv4addr" : "text") == 0) {
		return r->value;
	}
	return NULL;
}

/* The search: records of type matching every (key, value) of filter. */
static bool search(rec_t *recs, int is_a, json_t *filter, json_t *out, werr_t *e)
{
	const char *k;
	json_t *v;
	json_object_foreach(filter, k, v)
	{
		if (!json_is_string(v)) {
			set_err(e, 400, "Client.Ibap.Proto", "AdmConProtoError",
				"Invalid value for %s", k);
			return false;
		}
		if (strcmp(k, "view") == 0 && strcmp(json_string_value(v), g.view) != 0) {
			set_err(e, 400, "Client.Ibap.Data.NotFound", "AdmConDataNotFoundError",
				"View %s not found", json_string_value(v));
			return false;
		}
	}
	for (int i = 0; i < RECS_MAX; i++) {
		rec_t *r = &recs[i];
		bool match = r->used && r->is_a == (is_a == 1);
		json_object_foreach(filter, k, v)
		{
			if (!match || k[0] == '_') {
				continue;
			}
			const char *f = field_of(r, k);
			if (f == NULL) {
				set_err(e, 400, "Client.Ibap.Proto", "AdmConProtoError",
					"Unknown argument/field: '%s'", k);
				return false;
			}
			match = strcmp(k, "name") == 0 ? strcasecmp(f, json_string_value(v)) == 0
						       : strcmp(f, json_string_value(v)) == 0;
		}
		if (match) {
			json_array_append_new(out, rec_json(r));
		}
	}
	return true;
}

/* Sets r's fields from data; false (e set) when a field is unknown or bad. */
static bool rec_set(rec_t *r, json_t *data, werr_t *e)
{
	const char *k;
	json_t *v;
	if (!json_is_object(data)) {
		set_err(e, 400, "Client.Ibap.Proto", "AdmConProtoError", "%s",
			"Invalid or missing data");
		return false;
	}
	json_object_foreach(data, k, v)
	{
		if (strcmp(k, "ttl") == 0 && json_is_integer(v)) {
			r->ttl = (long)json_integer_value(v);
		} else if (strcmp(k, "use_ttl") == 0 && json_is_boolean(v)) {
			r->use_ttl = json_is_true(v);
		} else if (strcmp(k, "view") == 0 && json_is_string(v)) {
			if (strcmp(json_string_value(v), g.view) != 0) {
				set_err(e, 400, "Client.Ibap.Data.NotFound",
					"AdmConDataNotFoundError", "View %s not found",
					json_string_value(v));
				return false;
			}
			snprintf(r->view, sizeof(r->view), "%s", json_string_value(v));
		} else if (json_is_string(v) && field_of(r, k) != NULL &&
			   json_string_length(v) < sizeof(r->value)) {
			snprintf((char *)field_of(r, k),
				 strcmp(k, "name") == 0 ? sizeof(r->name) : sizeof(r->value), "%s",
				 json_string_value(v));
		} else {
			set_err(e, 400, "Client.Ibap.Proto", "AdmConProtoError",
				"Invalid value for field: '%s'", k);
			return false;
		}
	}
	if (r->is_a) {
		unsigned a, b, c, d;
		char extra;
		if (sscanf(r->value, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a > 255 ||
		    b > 255 || c > 255 || d > 255) {
			set_err(e, 400, "Client.Ibap.Proto", "AdmConProtoError",
				"Invalid value for ipv4addr: \"%.64s\"", r->value);
			return false;
		}
	}
	if (r->name[0] == '\0' || r->value[0] == '\0') {
		set_err(e, 400, "Client.Ibap.Proto", "AdmConProtoError", "%s",
			"Field is required: name and data");
		return false;
	}
	return true;
}

static rec_t *by_ref(rec_t *recs, const char *ref)
{
	for (int i = 0; i < RECS_MAX; i++) {
		if (recs[i].used && strcmp(recs[i].ref, ref) == 0) {
			return &recs[i];
		}
	}
	return NULL;
}

/* One write on recs: POST object (a type) or PUT / DELETE object (a ref). */
static json_t *do_write(rec_t *recs, const char *method, const char *object, json_t *data,
			werr_t *e)
{
	if (strcmp(method, "POST") == 0) {
		int t = obj_type(object);
		if (t < 0) {
			set_err(e, 400, "Client.Ibap.Proto", "AdmConProtoError",
				"Unknown object type: %s", object);
			return NULL;
		}
		for (int i = 0; i < RECS_MAX; i++) {
			if (!recs[i].used) {
				rec_t r = {.is_a = t == 1, .ttl = 0};
				snprintf(r.view, sizeof(r.view), "%s", g.view);
				if (!rec_set(&r, data, e)) {
					return NULL;
				}
				r.used = true;
				make_ref(&r);
				recs[i] = r;
				return json_string(recs[i].ref);
			}
		}
		set_err(e, 400, "Client.Ibap.Data", "AdmConDataError", "%s", "Too many records");
		return NULL;
	}
	rec_t *r = by_ref(recs, object);
	if (r == NULL) {
		set_err(e, 404, "Client.Ibap.Data.NotFound", "AdmConDataNotFoundError",
			"Reference %s not found", object);
		return NULL;
	}
	if (strcmp(method, "DELETE") == 0) {
		json_t *ref = json_string(r->ref);
		r->used = false;
		return ref;
	}
	rec_t n = *r;
	if (json_object_get(data, "name") != NULL || json_object_get(data, "view") != NULL) {
		set_err(e, 400, "Client.Ibap.Proto", "AdmConProtoError", "%s",
			"name and view cannot be changed here");
		return NULL;
	}
	if (!rec_set(&n, data, e)) {
		return NULL;
	}
	make_ref(&n);
	*r = n;
	return json_string(r->ref);
}

/* ##STATE:VAR:## in s, from state. */
static bool substitute(const char *s, json_t *state, char *out, size_t size, werr_t *e)
{
	const char *p = strstr(s, "##STATE:");
	if (p == NULL) {
		snprintf(out, size, "%s", s);
		return true;
	}
	const char *end = strstr(p + 8, ":##");
	char var[64];
	if (end == NULL || (size_t)(end - p - 8) >= sizeof(var)) {
		set_err(e, 400, "Client.Ibap.Proto", "AdmConProtoError", "Bad substitution in %s",
			s);
		return false;
	}
	snprintf(var, sizeof(var), "%.*s", (int)(end - p - 8), p + 8);
	json_t *v = json_object_get(state, var);
	if (!json_is_string(v)) {
		set_err(e, 400, "Client.Ibap.Proto", "AdmConProtoError",
			"State variable %s is not set", var);
		return false;
	}
	snprintf(out, size, "%.*s%s%s", (int)(p - s), s, json_string_value(v), end + 3);
	return true;
}

/* POST request: every step on a copy of the records; all or nothing. */
static MHD_RESULT do_request(struct MHD_Connection *c, json_t *steps, bool *wrote)
{
	static rec_t work[RECS_MAX]; /* under the fake's lock */
	werr_t e = {0};
	json_t *state = json_object(), *results = json_array();
	bool ok = json_is_array(steps) && json_array_size(steps) > 0;
	bool writes = false;
	memcpy(work, g.recs, sizeof(work));
	if (!ok) {
		set_err(&e, 400, "Client.Ibap.Proto", "AdmConProtoError", "%s",
			"The request must be a list of steps");
	}
	size_t i;
	json_t *st;
	json_array_foreach(steps, i, st)
	{
		if (!ok) {
			break;
		}
		const char *method = json_string_value(json_object_get(st, "method"));
		const char *object = json_string_value(json_object_get(st, "object"));
		json_t *data = json_object_get(st, "data");
		bool discard = json_is_true(json_object_get(st, "discard"));
		json_t *result = NULL;
		char obj[8192] = "";
		if (method != NULL && strcmp(method, "STATE:DISPLAY") == 0) {
			json_array_append(results, state);
			continue;
		}
		if (method == NULL || object == NULL) {
			set_err(&e, 400, "Client.Ibap.Proto", "AdmConProtoError",
				"Step %s has no method or object", "");
			ok = false;
			break;
		}
		if (json_is_true(json_object_get(st, "enable_substitution"))) {
			ok = substitute(object, state, obj, sizeof(obj), &e);
		} else {
			snprintf(obj, sizeof(obj), "%s", object);
		}
		if (ok && strcmp(method, "GET") == 0) {
			int t = obj_type(obj);
			result = json_array();
			ok = t >= 0 &&
			     search(work, t, json_is_object(data) ? data : NULL, result, &e);
			if (t < 0) {
				set_err(&e, 400, "Client.Ibap.Proto", "AdmConProtoError",
					"Unknown object type: %s", obj);
			}
			json_t *assign = json_object_get(st, "assign_state");
			if (ok && json_is_object(assign)) {
				json_t *first = json_array_get(result, 0);
				const char *var;
				json_t *field;
				if (first == NULL) {
					/* ASSUMPTION: an empty match fails the whole request. */
					set_err(&e, 400, "Client.Ibap.Data.NotFound",
						"AdmConDataNotFoundError",
						"No object of type %s matched the search", obj);
					ok = false;
				}
				json_object_foreach(assign, var, field)
				{
					if (ok) {
						json_object_set(
							state, var,
							json_object_get(first,
									json_string_value(field)));
					}
				}
			}
		} else if (ok) {
			result = do_write(work, method, obj, data, &e);
			ok = result != NULL;
			writes = true;
		}
		if (ok && !discard) {
			json_array_append(results, result);
		}
		json_decref(result);
	}
	json_decref(state);
	if (!ok) {
		json_decref(results);
		return send_err(c, &e);
	}
	memcpy(g.recs, work, sizeof(work));
	*wrote = writes;
	return fh_send_json(c, 200, results);
}

/* ---- Requests -------------------------------------------------------------- */

static bool authorized(struct MHD_Connection *c)
{
	char user[256], pass[256];
	return fh_basic(c, user, sizeof(user), pass, sizeof(pass)) && strcmp(user, g.user) == 0 &&
	       strcmp(pass, g.password) == 0;
}

static MHD_RESULT wapi(const fh_request_t *q, const char *path, bool *wrote)
{
	struct MHD_Connection *c = q->c;
	werr_t e = {0};
	json_t *body = NULL;
	if (q->len > 0) {
		body = json_loadb(q->body, q->len, JSON_DECODE_ANY, NULL);
		if (body == NULL) {
			set_err(&e, 400, "Client.Ibap.Proto", "AdmConProtoError", "%s",
				"Invalid JSON in the request body");
			return send_err(c, &e);
		}
	}
	MHD_RESULT ret;
	if (strcmp(q->method, "GET") == 0 && obj_type(path) >= 0) {
		json_t *filter = json_object(), *out = json_array();
		const char *keys[] = {"name", "view", "text", "ipv4addr"};
		for (size_t i = 0; i < 4; i++) {
			const char *v =
				MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, keys[i]);
			if (v != NULL) {
				json_object_set_new(filter, keys[i], json_string(v));
			}
		}
		ret = search(g.recs, obj_type(path), filter, out, &e) ? fh_send_json(c, 200, out)
								      : send_err(c, &e);
		if (e.status != 0) {
			json_decref(out);
		}
		json_decref(filter);
	} else if (strcmp(q->method, "GET") == 0 && strcmp(path, "view") == 0) {
		const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
		json_t *out = json_array();
		if (name == NULL || strcmp(name, g.view) == 0) {
			char ref[300];
			snprintf(ref, sizeof(ref), "view/ZG5zLnZpZXckLl9kZWZhdWx0:%s/true", g.view);
			json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "_ref", ref, "name",
							     g.view, "is_default", 1));
		}
		ret = fh_send_json(c, 200, out);
	} else if (strcmp(q->method, "POST") == 0 && strcmp(path, "request") == 0) {
		ret = do_request(c, body, wrote);
	} else if (strcmp(q->method, "POST") == 0 || strcmp(q->method, "PUT") == 0 ||
		   strcmp(q->method, "DELETE") == 0) {
		json_t *ref = do_write(g.recs, q->method, path, body, &e);
		*wrote = ref != NULL;
		ret = ref != NULL ? fh_send_json(c, q->method[1] == 'O' ? 201 : 200, ref)
				  : send_err(c, &e);
	} else {
		set_err(&e, 400, "Client.Ibap.Proto", "AdmConProtoError", "Unknown object: %s",
			path);
		ret = send_err(c, &e);
	}
	json_decref(body);
	return ret;
}

static MHD_RESULT handle(const fh_request_t *q)
{
	if (strcmp(q->url, "/__fake/records") == 0) {
		json_t *list = json_array();
		for (int i = 0; i < RECS_MAX; i++) {
			if (g.recs[i].used) {
				json_array_append_new(list, rec_json(&g.recs[i]));
			}
		}
		return fh_send_json(q->c, 200, list);
	}
	if (!authorized(q->c)) {
		return fh_send(q->c, 401, "text/html",
			       "<html><head><title>401 Authorization Required</title></head>"
			       "<body>Authorization Required</body></html>",
			       "WWW-Authenticate: Basic realm=\"InfoBlox ONE Platform\"");
	}
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "/wapi/%s/", g.version);
	if (strncmp(q->url, "/wapi/v", 7) == 0 && strncmp(q->url, prefix, strlen(prefix)) != 0) {
		werr_t e;
		char v[32];
		snprintf(v, sizeof(v), "%.*s", (int)strcspn(q->url + 6, "/"), q->url + 6);
		set_err(&e, 400, "Client.Ibap.Proto", "AdmConProtoError", "Unknown WAPI version %s",
			v);
		return send_err(q->c, &e);
	}
	if (strncmp(q->url, prefix, strlen(prefix)) != 0) {
		return fh_send(q->c, 404, "text/html", "<html><body>Not Found</body></html>", NULL);
	}
	bool wrote = false;
	/* apply-500: the write applies, its answer is lost behind a 502. */
	fh_lose_answer = strcmp(q->mode, "apply-500") == 0 && strcmp(q->method, "GET") != 0;
	MHD_RESULT ret = wapi(q, q->url + strlen(prefix), &wrote);
	fh_lose_answer = false;
	if (wrote) {
		g.writes++;
	}
	return ret;
}

static void stats(json_t *s)
{
	json_object_set_new(s, "writes", json_integer((json_int_t)g.writes));
}

int main(int argc, char **argv)
{
	int opt;
	fh_opts_t o = {0};
	g.version = "v2.11";
	g.view = "default";
	while ((opt = getopt(argc, argv, "p:k:C:u:w:v:V:c:P:")) != -1) {
		switch (opt) {
		case 'u':
			g.user = optarg;
			break;
		case 'w':
			g.password = optarg;
			break;
		case 'v':
			g.version = optarg;
			break;
		case 'V':
			g.view = optarg;
			break;
		default:
			if (fh_opt(&o, opt, optarg)) {
				break;
			}
			fprintf(stderr,
				"usage: fake_infoblox -p PORT -k KEY -C CERT -u USER -w "
				"PASSWORD [-v VERSION] [-V VIEW] [-c CONTROL] [-P PIDFILE]\n");
			return 2;
		}
	}
	if (o.port <= 0 || o.key == NULL || o.cert == NULL || g.user == NULL ||
	    g.password == NULL) {
		fprintf(stderr, "fake_infoblox: -p, -k, -C, -u and -w are required\n");
		return 2;
	}
	fprintf(stderr, "fake_infoblox: ASSUMPTION: a multi-object request runs all or nothing "
			"(not documented by Infoblox)\n");
	return fh_serve("fake_infoblox", o.port, o.key, o.cert, o.control, o.pidfile, handle,
			stats);
}
