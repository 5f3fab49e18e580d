/*
 * fake_cloudflare: a stand-in for the Cloudflare v4 API over HTTPS, for the
 * cloudflare provider's system tests and benchmark.
 *
 *   fake_cloudflare -p PORT -k KEY.pem -C CERT.pem -t TOKEN -z ZONE -i ZONE_ID
 *                   [-r READ_TOKEN] [-c CONTROL_FILE] [-P PIDFILE]
 *
 * Serves https://127.0.0.1:PORT/client/v4 with the contract of
 * reference/rest-providers.md section 3:
 *   GET    /zones?name=ZONE                     the zone list (result[0].id)
 *   GET    /zones/{zid}                         one zone
 *   GET    /zones/{zid}/dns_records[?name=&type=] records, exact name
 *   POST   /zones/{zid}/dns_records             create
 *   PATCH  /zones/{zid}/dns_records/{id}        partial update (content, ttl)
 *   PUT    /zones/{zid}/dns_records/{id}        replace
 *   DELETE /zones/{zid}/dns_records/{id}        delete -> {"result":{"id":...}}
 *   POST   /zones/{zid}/dns_records/batch       deletes, patches, puts, posts in that
 *                                               order, all or nothing
 * Every answer is the envelope {"success","errors":[{"code","message"}],"messages",
 * "result"[,"result_info"]}. Records get 32-hex-digit ids, new ones on every create.
 * Errors (codes as the API documents them; where the reference marks the case
 * [unconfirmed], the fake's choice is said here):
 *   no Authorization header       400, 9106 "Missing X-Auth-Key, X-Auth-Email or
 *                                 Authorization headers"
 *   not "Bearer <token>"          400, 6003 "Invalid request headers" (chain 6111)
 *   another token                 403, 9109 "Invalid access token" [unconfirmed wording]
 *   READ_TOKEN on a write         403, 10000 "Authentication error" (a token without
 *                                 Zone:DNS:Edit; reads are served)
 *   an unknown zone id            400, 7003 "Could not route to ..., perhaps your
 *                                 object identifier is invalid?"
 *   an unknown record id          404, 81044 "Record does not exist." (also inside a
 *                                 batch, which then applies nothing: [unconfirmed])
 *   TTL not 1 and below 60        400, 1004 "DNS Validation Error" (chain 9021)
 *   A content not IPv4            400, 9005 "Content for A record must be a valid
 *                                 IPv4 address."
 *   an identical record           400, 81058 "An identical record already exists."
 *
 * CONTROL_FILE (re-read on every request; missing means "ok") holds one word:
 *   ok           normal
 *   hang         requests are held 60 s without an answer
 *   error        every request answers 500 with an HTML page
 *   apply-500    writes apply, then answer 502 (an unknown outcome); reads are normal
 *
 * Two endpoints outside the API, without a token, for the tests:
 *   GET /__fake/stats    {"connections": N, "requests": N, "writes": N}: N TLS
 *                        connections accepted (one handshake each)
 *   GET /__fake/records  every record
 *
 * One line per request on stderr. The pid goes to PIDFILE once the port is bound.
 * SIGTERM ends it with status 0.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tests/system/fake_https.h"

#define BASE "/client/v4"

typedef struct rec {
	char id[33];
	char type[16];
	char name[256];
	char content[4096];
	long ttl;
	bool proxied;
	bool used;
} rec_t;

#define RECS_MAX 64

static struct {
	rec_t recs[RECS_MAX];
	const char *token, *read_token, *zone, *zone_id;
	unsigned long writes, serial;
} g;

static void new_id(char id[33])
{
	unsigned char r[12];
	FILE *f = fopen("/dev/urandom", "rb");
	if (f == NULL || fread(r, 1, sizeof(r), f) != sizeof(r)) {
		memset(r, 0x5a, sizeof(r));
	}
	if (f != NULL) {
		fclose(f);
	}
	/* A serial in front: ids never repeat within a run. */
	snprintf(id, 33, "%08lx", ++g.serial);
	for (int i = 0; i < 12; i++) {
		snprintf(id + 8 + 2 * i, 3, "%02x", r[i]);
	}
}

/* ---- Answers --------------------------------------------------------------- */

static MHD_RESULT send_json(struct MHD_Connection *c, unsigned status, json_t *body)
{
	return fh_send_json(c, status, body);
}

static MHD_RESULT send_ok(struct MHD_Connection *c, json_t *result, json_t *info)
{
	json_t *env = json_pack("{s:b, s:[], s:[], s:o}", "success", 1, "errors", "messages",
				"result", result);
	if (info != NULL) {
		json_object_set_new(env, "result_info", info);
	}
	return send_json(c, 200, env);
}

/* An error envelope; chain_code 0 for none. */
static MHD_RESULT send_err(struct MHD_Connection *c, unsigned status, long code, const char *msg,
			   long chain_code, const char *chain_msg)
{
	json_t *e = json_pack("{s:I, s:s}", "code", (json_int_t)code, "message", msg);
	if (chain_code != 0) {
		json_object_set_new(e, "error_chain",
				    json_pack("[{s:I, s:s}]", "code", (json_int_t)chain_code,
					      "message", chain_msg));
	}
	json_t *env = json_pack("{s:b, s:[o], s:[], s:n}", "success", 0, "errors", e, "messages",
				"result");
	return send_json(c, status, env);
}

static json_t *rec_json(const rec_t *r)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:{}, s:{}, s:[], s:s, "
			 "s:s}",
			 "id", r->id, "zone_id", g.zone_id, "zone_name", g.zone, "name", r->name,
			 "type", r->type, "content", r->content, "ttl", (json_int_t)r->ttl,
			 "proxied", r->proxied, "proxiable", strcmp(r->type, "A") == 0, "settings",
			 "meta", "tags", "created_on", "2026-01-15T12:00:00.000000Z", "modified_on",
			 "2026-01-15T12:00:00.000000Z");
}

/* ---- Records --------------------------------------------------------------- */

/* Why a record is refused, with its code; NULL when it is fine. */
static const char *rec_invalid(const rec_t *r, long *code, long *chain, const char **chain_msg)
{
	*chain = 0;
	*chain_msg = NULL;
	if (r->ttl != 1 && (r->ttl < 60 || r->ttl > 86400)) {
		*code = 1004;
		*chain = 9021;
		*chain_msg = "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for "
			     "Automatic.";
		return "DNS Validation Error";
	}
	if (strcmp(r->type, "A") == 0) {
		unsigned a, b, cc, dd;
		char extra;
		if (sscanf(r->content, "%u.%u.%u.%u%c", &a, &b, &cc, &dd, &extra) != 4 || a > 255 ||
		    b > 255 || cc > 255 || dd > 255) {
			*code = 9005;
			return "Content for A record must be a valid IPv4 address.";
		}
	} else if (strcmp(r->type, "TXT") != 0) {
		*code = 1004;
		return "DNS Validation Error";
	}
	if (r->name[0] == '\0') {
		*code = 1004;
		return "DNS Validation Error";
	}
	return NULL;
}

static rec_t *find(rec_t *recs, const char *id)
{
	for (int i = 0; i < RECS_MAX; i++) {
		if (recs[i].used && strcmp(recs[i].id, id) == 0) {
			return &recs[i];
		}
	}
	return NULL;
}

/* Fills r from a JSON object (type, name, content, ttl, proxied); partial keeps the rest. */
static bool rec_from(rec_t *r, json_t *o, bool partial)
{
	const char *keys[] = {"type", "name", "content"};
	char *dst[] = {r->type, r->name, r->content};
	size_t sizes[] = {sizeof(r->type), sizeof(r->name), sizeof(r->content)};
	if (!json_is_object(o)) {
		return false;
	}
	for (int i = 0; i < 3; i++) {
		json_t *v = json_object_get(o, keys[i]);
		if (v == NULL && partial) {
			continue;
		}
		if (!json_is_string(v) || json_string_length(v) >= sizes[i]) {
			return false;
		}
		memcpy(dst[i], json_string_value(v), json_string_length(v) + 1);
	}
	json_t *ttl = json_object_get(o, "ttl");
	if (json_is_integer(ttl)) {
		r->ttl = (long)json_integer_value(ttl);
	} else if (!partial) {
		r->ttl = 1;
	}
	json_t *px = json_object_get(o, "proxied");
	if (json_is_boolean(px)) {
		r->proxied = json_is_true(px);
	}
	return true;
}

static bool identical(rec_t *recs, const rec_t *r)
{
	for (int i = 0; i < RECS_MAX; i++) {
		if (recs[i].used && &recs[i] != r && strcasecmp(recs[i].name, r->name) == 0 &&
		    strcmp(recs[i].type, r->type) == 0 &&
		    strcmp(recs[i].content, r->content) == 0) {
			return true;
		}
	}
	return false;
}

/* One write on recs; on error *status/code/msg say why and recs may be half-changed. */
typedef struct werr {
	unsigned status;
	long code, chain;
	const char *msg, *chain_msg;
} werr_t;

static rec_t *do_create(rec_t *recs, json_t *o, werr_t *e)
{
	rec_t r = {0};
	if (!rec_from(&r, o, false)) {
		*e = (werr_t){400, 1004, 0, "DNS Validation Error", NULL};
		return NULL;
	}
	if ((e->msg = rec_invalid(&r, &e->code, &e->chain, &e->chain_msg)) != NULL) {
		e->status = 400;
		return NULL;
	}
	if (identical(recs, &r)) {
		*e = (werr_t){400, 81058, 0, "An identical record already exists.", NULL};
		return NULL;
	}
	for (int i = 0; i < RECS_MAX; i++) {
		if (!recs[i].used) {
			new_id(r.id);
			r.used = true;
			recs[i] = r;
			return &recs[i];
		}
	}
	*e = (werr_t){400, 81045, 0, "Record quota exceeded.", NULL};
	return NULL;
}

static rec_t *do_update(rec_t *recs, const char *id, json_t *o, bool partial, werr_t *e)
{
	rec_t *r = find(recs, id);
	if (r == NULL) {
		*e = (werr_t){404, 81044, 0, "Record does not exist.", NULL};
		return NULL;
	}
	rec_t n = *r;
	if (!rec_from(&n, o, partial)) {
		*e = (werr_t){400, 1004, 0, "DNS Validation Error", NULL};
		return NULL;
	}
	if ((e->msg = rec_invalid(&n, &e->code, &e->chain, &e->chain_msg)) != NULL) {
		e->status = 400;
		return NULL;
	}
	*r = n;
	return r;
}

static bool do_delete(rec_t *recs, const char *id, json_t **deleted, werr_t *e)
{
	rec_t *r = find(recs, id);
	if (r == NULL) {
		*e = (werr_t){404, 81044, 0, "Record does not exist.", NULL};
		return false;
	}
	if (deleted != NULL) {
		*deleted = rec_json(r);
	}
	r->used = false;
	return true;
}

/* The batch, on a copy of the records: all or nothing. */
static MHD_RESULT do_batch(struct MHD_Connection *c, json_t *body, bool *applied)
{
	static rec_t work[RECS_MAX]; /* under g.lock */
	werr_t e = {0};
	memcpy(work, g.recs, sizeof(work));
	json_t *res = json_pack("{s:[], s:[], s:[], s:[]}", "deletes", "patches", "puts", "posts");
	const char *parts[] = {"deletes", "patches", "puts", "posts"};
	bool ok = json_is_object(body);
	for (int k = 0; ok && k < 4; k++) {
		json_t *list = json_object_get(body, parts[k]);
		size_t i;
		json_t *item;
		if (list == NULL) {
			continue;
		}
		if (!json_is_array(list)) {
			e = (werr_t){400, 1004, 0, "DNS Validation Error", NULL};
			ok = false;
			break;
		}
		json_array_foreach(list, i, item)
		{
			json_t *idv = json_object_get(item, "id");
			const char *id = json_is_string(idv) ? json_string_value(idv) : "";
			rec_t *r = NULL;
			json_t *out = NULL;
			if (k == 0) {
				ok = do_delete(work, id, &out, &e);
			} else if (k == 3) {
				ok = (r = do_create(work, item, &e)) != NULL;
			} else {
				ok = (r = do_update(work, id, item, k == 1, &e)) != NULL;
			}
			if (!ok) {
				break;
			}
			json_array_append_new(json_object_get(res, parts[k]),
					      out != NULL ? out : rec_json(r));
		}
	}
	if (!ok) {
		json_decref(res);
		return send_err(c, e.status, e.code, e.msg, e.chain, e.chain_msg);
	}
	memcpy(g.recs, work, sizeof(work));
	*applied = true;
	return send_ok(c, res, NULL);
}

/* ---- Requests -------------------------------------------------------------- */

static MHD_RESULT list_records(struct MHD_Connection *c)
{
	const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
	const char *type = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "type");
	json_t *list = json_array();
	for (int i = 0; i < RECS_MAX; i++) {
		const rec_t *r = &g.recs[i];
		if (!r->used || (name != NULL && strcasecmp(r->name, name) != 0) ||
		    (type != NULL && strcmp(r->type, type) != 0)) {
			continue;
		}
		json_array_append_new(list, rec_json(r));
	}
	size_t n = json_array_size(list);
	return send_ok(c, list,
		       json_pack("{s:i, s:i, s:I, s:I, s:i}", "page", 1, "per_page", 100, "count",
				 (json_int_t)n, "total_count", (json_int_t)n, "total_pages", 1));
}

static json_t *zone_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:b}", "id", g.zone_id, "name", g.zone, "status",
			 "active", "paused", 0);
}

/* The API proper (fake_https runs one request at a time). */
static MHD_RESULT api(struct MHD_Connection *c, const char *method, const char *path,
		      const fh_request_t *up, bool *wrote)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (auth == NULL) {
		return send_err(c, 400, 9106,
				"Missing X-Auth-Key, X-Auth-Email or Authorization headers", 0,
				NULL);
	}
	if (strncmp(auth, "Bearer ", 7) != 0) {
		return send_err(c, 400, 6003, "Invalid request headers", 6111,
				"Invalid format for Authorization header");
	}
	bool reader = g.read_token != NULL && strcmp(auth + 7, g.read_token) == 0;
	if (strcmp(auth + 7, g.token) != 0 && !reader) {
		return send_err(c, 403, 9109, "Invalid access token", 0, NULL);
	}
	if (reader && strcmp(method, "GET") != 0) {
		return send_err(c, 403, 10000, "Authentication error", 0, NULL);
	}
	if (strcmp(path, "/zones") == 0 && strcmp(method, "GET") == 0) {
		const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
		json_t *list = json_array();
		if (name == NULL || strcasecmp(name, g.zone) == 0) {
			json_array_append_new(list, zone_json());
		}
		size_t n = json_array_size(list);
		return send_ok(c, list,
			       json_pack("{s:i, s:i, s:I, s:I}", "page", 1, "per_page", 20, "count",
					 (json_int_t)n, "total_count", (json_int_t)n));
	}
	if (strncmp(path, "/zones/", 7) != 0) {
		return send_err(c, 400, 7000, "No route for that URI", 0, NULL);
	}
	const char *zid = path + 7;
	size_t zlen = strcspn(zid, "/");
	if (zlen != strlen(g.zone_id) || strncmp(zid, g.zone_id, zlen) != 0) {
		char msg[600];
		snprintf(msg, sizeof(msg),
			 "Could not route to %s, perhaps your object identifier is invalid?", path);
		return send_err(c, 400, 7003, msg, 0, NULL);
	}
	const char *rest = zid + zlen;
	if (*rest == '\0' && strcmp(method, "GET") == 0) {
		return send_ok(c, zone_json(), NULL);
	}
	json_t *body = NULL;
	if (up->len > 0) {
		body = json_loadb(up->body, up->len, 0, NULL);
		if (body == NULL) {
			return send_err(c, 400, 9207, "Request body is invalid.", 0, NULL);
		}
	}
	MHD_RESULT ret;
	werr_t e = {0};
	if (strcmp(rest, "/dns_records") == 0 && strcmp(method, "GET") == 0) {
		ret = list_records(c);
	} else if (strcmp(rest, "/dns_records") == 0 && strcmp(method, "POST") == 0) {
		rec_t *r = do_create(g.recs, body, &e);
		*wrote = r != NULL;
		ret = r != NULL ? send_ok(c, rec_json(r), NULL)
				: send_err(c, e.status, e.code, e.msg, e.chain, e.chain_msg);
	} else if (strcmp(rest, "/dns_records/batch") == 0 && strcmp(method, "POST") == 0) {
		ret = do_batch(c, body, wrote);
	} else if (strncmp(rest, "/dns_records/", 13) == 0 && strchr(rest + 13, '/') == NULL) {
		const char *id = rest + 13;
		if (strcmp(method, "DELETE") == 0) {
			*wrote = do_delete(g.recs, id, NULL, &e);
			ret = *wrote ? send_ok(c, json_pack("{s:s}", "id", id), NULL)
				     : send_err(c, e.status, e.code, e.msg, 0, NULL);
		} else if (strcmp(method, "PATCH") == 0 || strcmp(method, "PUT") == 0) {
			rec_t *r = do_update(g.recs, id, body, method[1] == 'A', &e);
			*wrote = r != NULL;
			ret = r != NULL
				      ? send_ok(c, rec_json(r), NULL)
				      : send_err(c, e.status, e.code, e.msg, e.chain, e.chain_msg);
		} else if (strcmp(method, "GET") == 0) {
			rec_t *r = find(g.recs, id);
			ret = r != NULL
				      ? send_ok(c, rec_json(r), NULL)
				      : send_err(c, 404, 81044, "Record does not exist.", 0, NULL);
		} else {
			ret = send_err(c, 405, 10405, "Method not allowed", 0, NULL);
		}
	} else {
		ret = send_err(c, 400, 7000, "No route for that URI", 0, NULL);
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
		return send_json(q->c, 200, list);
	}
	if (strncmp(q->url, BASE, strlen(BASE)) != 0) {
		return send_err(q->c, 404, 7000, "No route for that URI", 0, NULL);
	}
	bool wrote = false;
	/* apply-500: the write applies, its answer is lost behind a server error. */
	fh_lose_answer = strcmp(q->mode, "apply-500") == 0 && strcmp(q->method, "GET") != 0;
	MHD_RESULT ret = api(q->c, q->method, q->url + strlen(BASE), q, &wrote);
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
	while ((opt = getopt(argc, argv, "p:k:C:t:r:z:i:c:P:")) != -1) {
		switch (opt) {
		case 't':
			g.token = optarg;
			break;
		case 'r':
			g.read_token = optarg;
			break;
		case 'z':
			g.zone = optarg;
			break;
		case 'i':
			g.zone_id = optarg;
			break;
		default:
			if (fh_opt(&o, opt, optarg)) {
				break;
			}
			fprintf(stderr, "usage: fake_cloudflare -p PORT -k KEY -C CERT -t TOKEN -z "
					"ZONE -i ZONE_ID [-c CONTROL] [-P PIDFILE]\n");
			return 2;
		}
	}
	if (o.port <= 0 || o.key == NULL || o.cert == NULL || g.token == NULL || g.zone == NULL ||
	    g.zone_id == NULL) {
		fprintf(stderr, "fake_cloudflare: -p, -k, -C, -t, -z and -i are required\n");
		return 2;
	}
	fprintf(stderr, "fake_cloudflare: zone %s (%s) under %s\n", g.zone, g.zone_id, BASE);
	return fh_serve("fake_cloudflare", o.port, o.key, o.cert, o.control, o.pidfile, handle,
			stats);
}
