/*
 * fake_gcp: a stand-in for Google's OAuth 2.0 token endpoint and the Cloud
 * DNS v1 API over HTTPS, for the gcp-dns provider's system tests.
 *
 *   fake_gcp -p PORT -k KEY.pem -C CERT.pem -K SA_PUBLIC.pem -e SA_EMAIL
 *            -j PROJECT -z MANAGED_ZONE -d DNS_NAME [-E EXPIRES_IN] [-D PENDING_MS]
 *            [-c CONTROL] [-P PIDFILE]
 *
 * The contract of reference/rest-providers.md section 6:
 *   POST /token   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT.
 *                 The JWT's RS256 signature is verified with the service account's
 *                 public key (SA_PUBLIC.pem); iss must be SA_EMAIL, aud this URL
 *                 (https://127.0.0.1:PORT/token), scope ndev.clouddns.readwrite,
 *                 iat within 5 minutes of now and exp after now, at most an hour
 *                 after iat. Else 400 {"error":"invalid_grant"|"invalid_scope",
 *                 "error_description":...} with Google's wordings. A good one gets
 *                 {"access_token":"ya29.fake-N","expires_in":EXPIRES_IN (3599),
 *                 "token_type":"Bearer"}; the token stops working after EXPIRES_IN s.
 *   GET  /dns/v1/projects/P/managedZones/Z/rrsets?name=&type=&pageToken=
 *                 one record set per page (so every read pages), nextPageToken.
 *   POST /dns/v1/projects/P/managedZones/Z/changes  {"deletions":[..],"additions":[..]}
 *                 all or nothing: each deletion must match a set exactly (name,
 *                 type, ttl, rrdatas) else 412 conditionNotMet, or 404 notFound
 *                 when the set is absent [unconfirmed, the fake's choice]; an
 *                 addition over an existing set is 409 alreadyExists. The change
 *                 applies at once and answers "pending"; it reads "done" PENDING_MS (150) later
 *                 (0: "done" at once).
 *   GET  /dns/v1/projects/P/managedZones/Z/changes/ID
 *   Without a valid bearer token: 401 UNAUTHENTICATED (Google's error shape).
 *   Another project: 403 forbidden; another managed zone: 404 notFound.
 * The control file's own word: "forbidden" answers 403 to every API call.
 *   POST /__fake/expires?s=N, POST /__fake/revoke: see fake_https.h
 *   GET  /__fake/records   every record set
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "src/http/jwt.h"
#include "tests/system/fake_oauth.h"

#define API   "/dns/v1"
#define SCOPE "https://www.googleapis.com/auth/ndev.clouddns.readwrite"

static struct {
	char *pub;
	size_t pub_len;
	const char *email, *project, *zone, *dns_name;
	int port;
	json_t *sets; /* the record sets */
	json_t *changes;
	unsigned long change_serial;
	double pending_s; /* how long a change stays pending */
} g = {.pending_s = 0.15};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static MHD_RESULT gerr(const fh_request_t *r, unsigned code, const char *reason, const char *msg,
		       const char *status)
{
	json_t *e = json_pack("{s:{s:I, s:s, s:[{s:s, s:s, s:s}]}}", "error", "code",
			      (json_int_t)code, "message", msg, "errors", "message", msg, "domain",
			      "global", "reason", reason);
	if (status != NULL) {
		json_object_set_new(json_object_get(e, "error"), "status", json_string(status));
	}
	return fh_send_json(r->c, code, e);
}

static MHD_RESULT grant_err(const fh_request_t *r, const char *err, const char *desc)
{
	return fh_send_json(r->c, 400,
			    json_pack("{s:s, s:s}", "error", err, "error_description", desc));
}

/* ---- the token endpoint ---- */

static MHD_RESULT token(const fh_request_t *r)
{
	static char grant[256], assertion[16384];
	if (!fo_form_value(r->body, "grant_type", grant, sizeof(grant)) ||
	    strcmp(grant, "urn:ietf:params:oauth:grant-type:jwt-bearer") != 0) {
		return grant_err(r, "unsupported_grant_type", "Invalid grant_type: ");
	}
	if (!fo_form_value(r->body, "assertion", assertion, sizeof(assertion))) {
		return grant_err(r, "invalid_request", "Missing required parameter: assertion");
	}
	char *d1 = strchr(assertion, '.'), *d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
	if (d2 == NULL) {
		return grant_err(r, "invalid_grant",
				 "Invalid JWT: not a JWS compact serialization");
	}
	if (!jwt_verify_rs256(g.pub, g.pub_len, assertion, strlen(assertion))) {
		return grant_err(r, "invalid_grant", "Invalid JWT Signature.");
	}
	uint8_t hdr[1024], claims[4096];
	size_t hl = 0, cl = 0;
	if (jwt_b64url_decode(assertion, (size_t)(d1 - assertion), hdr, sizeof(hdr) - 1, &hl) !=
		    DF_OK ||
	    jwt_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), claims, sizeof(claims) - 1, &cl) !=
		    DF_OK) {
		return grant_err(r, "invalid_grant", "Invalid JWT: bad base64url");
	}
	json_t *h = json_loadb((char *)hdr, hl, 0, NULL),
	       *c = json_loadb((char *)claims, cl, 0, NULL);
	const char *alg = json_string_value(json_object_get(h, "alg"));
	const char *iss = json_string_value(json_object_get(c, "iss"));
	const char *aud = json_string_value(json_object_get(c, "aud"));
	const char *scope = json_string_value(json_object_get(c, "scope"));
	json_t *iat = json_object_get(c, "iat"), *exp = json_object_get(c, "exp");
	char want_aud[128];
	snprintf(want_aud, sizeof(want_aud), "https://127.0.0.1:%d/token", g.port);
	time_t now = time(NULL);
	MHD_RESULT ret;
	if (alg == NULL || strcmp(alg, "RS256") != 0) {
		ret = grant_err(r, "invalid_grant", "Invalid JWT: alg is not RS256");
	} else if (iss == NULL || strcmp(iss, g.email) != 0) {
		ret = grant_err(r, "invalid_grant", "Invalid JWT Signature.");
	} else if (aud == NULL || strcmp(aud, want_aud) != 0) {
		ret = grant_err(r, "invalid_grant", "Invalid JWT: Failed audience check.");
	} else if (scope == NULL || strstr(scope, SCOPE) == NULL) {
		ret = grant_err(r, "invalid_scope",
				"Invalid OAuth scope or ID token audience provided.");
	} else if (!json_is_integer(iat) || !json_is_integer(exp) ||
		   json_integer_value(iat) > now + 300 || json_integer_value(iat) < now - 300 ||
		   json_integer_value(exp) <= now ||
		   json_integer_value(exp) - json_integer_value(iat) > 3600) {
		ret = grant_err(
			r, "invalid_grant",
			"Invalid JWT: Token must be a short-lived token (60 minutes) and in "
			"a reasonable timeframe. Check your iat and exp values in the JWT "
			"claim.");
	} else {
		long life;
		const char *tok = fo_token_issue("ya29.fake", &life);
		ret = fh_send_json(r->c, 200,
				   json_pack("{s:s, s:I, s:s}", "access_token", tok, "expires_in",
					     (json_int_t)life, "token_type", "Bearer"));
	}
	json_decref(h);
	json_decref(c);
	return ret;
}

static bool authorized(const fh_request_t *r)
{
	return fo_token_check(r) == FO_TOKEN_OK;
}

/* ---- record sets ---- */

static json_t *find_set(json_t *sets, const char *name, const char *type, size_t *index)
{
	size_t i;
	json_t *s;
	json_array_foreach(sets, i, s)
	{
		if (strcasecmp(json_string_value(json_object_get(s, "name")), name) == 0 &&
		    strcmp(json_string_value(json_object_get(s, "type")), type) == 0) {
			if (index != NULL) {
				*index = i;
			}
			return s;
		}
	}
	return NULL;
}

static json_t *clean_set(json_t *s)
{
	return json_pack("{s:s, s:O, s:O, s:O, s:O}", "kind", "dns#resourceRecordSet", "name",
			 json_object_get(s, "name"), "type", json_object_get(s, "type"), "ttl",
			 json_object_get(s, "ttl"), "rrdatas", json_object_get(s, "rrdatas"));
}

static MHD_RESULT list(const fh_request_t *r)
{
	const char *name = fo_arg(r, "name"), *type = fo_arg(r, "type"),
		   *page = fo_arg(r, "pageToken");
	if (type != NULL && name == NULL) {
		return gerr(r, 400, "invalid",
			    "Invalid value for 'parameters.type': name is required", NULL);
	}
	size_t start = page != NULL ? strtoul(page, NULL, 10) : 0, i, n = 0;
	json_t *s, *out = json_array();
	char next[32] = "";
	json_array_foreach(g.sets, i, s)
	{
		if ((name != NULL &&
		     strcasecmp(json_string_value(json_object_get(s, "name")), name) != 0) ||
		    (type != NULL &&
		     strcmp(json_string_value(json_object_get(s, "type")), type) != 0)) {
			continue;
		}
		if (n++ < start) {
			continue;
		}
		if (json_array_size(out) == 1) {
			snprintf(next, sizeof(next), "%zu", start + 1);
			break;
		}
		json_array_append_new(out, clean_set(s));
	}
	json_t *body = json_pack("{s:s}", "kind", "dns#resourceRecordSetsListResponse");
	if (json_array_size(out) > 0) {
		json_object_set_new(body, "rrsets", out);
	} else {
		json_decref(out);
	}
	if (next[0] != '\0') {
		json_object_set_new(body, "nextPageToken", json_string(next));
	}
	return fh_send_json(r->c, 200, body);
}

static json_t *change_json(json_t *ch)
{
	json_t *out = json_deep_copy(ch);
	double at = json_real_value(json_object_get(out, "at"));
	json_object_del(out, "at");
	json_object_set_new(out, "status",
			    json_string(now_s() - at >= g.pending_s ? "done" : "pending"));
	return out;
}

static bool set_ok(json_t *s)
{
	const char *name = json_string_value(json_object_get(s, "name"));
	const char *type = json_string_value(json_object_get(s, "type"));
	json_t *rr = json_object_get(s, "rrdatas");
	size_t nl = name != NULL ? strlen(name) : 0, zl = strlen(g.dns_name);
	return name != NULL && type != NULL && json_is_integer(json_object_get(s, "ttl")) &&
	       json_is_array(rr) && json_array_size(rr) > 0 && nl >= zl &&
	       strcasecmp(name + nl - zl, g.dns_name) == 0 && name[nl - 1] == '.';
}

static MHD_RESULT change(const fh_request_t *r)
{
	json_t *body = json_loads(r->body, 0, NULL);
	json_t *del = json_object_get(body, "deletions"), *add = json_object_get(body, "additions");
	json_t *work = json_deep_copy(g.sets);
	char msg[512];
	size_t i;
	json_t *s;
	MHD_RESULT ret;
	if (!json_is_object(body) || (del != NULL && !json_is_array(del)) ||
	    (add != NULL && !json_is_array(add)) ||
	    json_array_size(del) + json_array_size(add) == 0) {
		ret = gerr(r, 400, "required",
			   "The 'entity.change' parameter is required but was missing.", NULL);
		goto out;
	}
	json_array_foreach(del, i, s)
	{
		size_t at;
		if (!set_ok(s)) {
			snprintf(msg, sizeof(msg),
				 "Invalid value for 'entity.change.deletions[%zu]'", i);
			ret = gerr(r, 400, "invalid", msg, NULL);
			goto out;
		}
		json_t *cur = find_set(work, json_string_value(json_object_get(s, "name")),
				       json_string_value(json_object_get(s, "type")), &at);
		if (cur == NULL) {
			snprintf(msg, sizeof(msg),
				 "The 'entity.change.deletions[%zu]' resource named '%s (%s)' does "
				 "not exist.",
				 i, json_string_value(json_object_get(s, "name")),
				 json_string_value(json_object_get(s, "type")));
			ret = gerr(r, 404, "notFound", msg, NULL);
			goto out;
		}
		if (!json_equal(json_object_get(cur, "ttl"), json_object_get(s, "ttl")) ||
		    !json_equal(json_object_get(cur, "rrdatas"), json_object_get(s, "rrdatas"))) {
			snprintf(msg, sizeof(msg),
				 "Precondition not met for 'entity.change.deletions[%zu]'", i);
			ret = gerr(r, 412, "conditionNotMet", msg, NULL);
			goto out;
		}
		json_array_remove(work, at);
	}
	json_array_foreach(add, i, s)
	{
		if (!set_ok(s)) {
			snprintf(msg, sizeof(msg),
				 "Invalid value for 'entity.change.additions[%zu]'", i);
			ret = gerr(r, 400, "invalid", msg, NULL);
			goto out;
		}
		if (find_set(work, json_string_value(json_object_get(s, "name")),
			     json_string_value(json_object_get(s, "type")), NULL) != NULL) {
			snprintf(msg, sizeof(msg),
				 "The resource 'entity.change.additions[%zu]' named '%s (%s)' "
				 "already exists",
				 i, json_string_value(json_object_get(s, "name")),
				 json_string_value(json_object_get(s, "type")));
			ret = gerr(r, 409, "alreadyExists", msg, NULL);
			goto out;
		}
		json_array_append_new(work, clean_set(s));
	}
	/* All checks passed: the change applies as a whole. */
	json_decref(g.sets);
	g.sets = work;
	work = NULL;
	char id[32];
	snprintf(id, sizeof(id), "%lu", ++g.change_serial);
	json_t *ch = json_pack("{s:s, s:s, s:s, s:O, s:O, s:f}", "kind", "dns#change", "id", id,
			       "startTime", "2026-01-15T12:02:00.123Z", "additions",
			       add != NULL ? add : json_array(), "deletions",
			       del != NULL ? del : json_array(), "at", now_s());
	json_array_append_new(g.changes, ch);
	ret = fo_send_written(r, 200, change_json(ch));
out:
	json_decref(work);
	json_decref(body);
	return ret;
}

static MHD_RESULT api(const fh_request_t *r)
{
	const char *url = r->url;
	MHD_RESULT page;
	if (fo_token_page(r, &page)) {
		return page;
	}
	if (strcmp(url, "/token") == 0 && strcmp(r->method, "POST") == 0) {
		return token(r);
	}
	if (strcmp(url, "/__fake/records") == 0) {
		return fh_send_json(r->c, 200, json_deep_copy(g.sets));
	}
	if (strncmp(url, API "/projects/", strlen(API "/projects/")) != 0) {
		return gerr(r, 404, "notFound", "Not Found", NULL);
	}
	if (!authorized(r)) {
		return gerr(r, 401, "authError",
			    "Request had invalid authentication credentials. Expected OAuth 2 "
			    "access token, login cookie or other valid authentication credential.",
			    "UNAUTHENTICATED");
	}
	if (strcmp(r->mode, "forbidden") == 0) {
		return gerr(r, 403, "forbidden", "Forbidden", "PERMISSION_DENIED");
	}
	const char *p = url + strlen(API "/projects/");
	size_t pl = strcspn(p, "/");
	if (pl != strlen(g.project) || strncmp(p, g.project, pl) != 0) {
		return gerr(r, 403, "forbidden", "Forbidden", "PERMISSION_DENIED");
	}
	p += pl;
	if (strncmp(p, "/managedZones/", 14) != 0) {
		return gerr(r, 404, "notFound", "Not Found", NULL);
	}
	p += 14;
	size_t zl = strcspn(p, "/");
	if (zl != strlen(g.zone) || strncmp(p, g.zone, zl) != 0) {
		char msg[300];
		snprintf(msg, sizeof(msg),
			 "The 'parameters.managedZone' resource named '%.*s' does not exist.",
			 (int)(zl < 64 ? zl : 64), p);
		return gerr(r, 404, "notFound", msg, NULL);
	}
	p += zl;
	if (strcmp(p, "/rrsets") == 0 && strcmp(r->method, "GET") == 0) {
		return list(r);
	}
	if (strcmp(p, "/changes") == 0 && strcmp(r->method, "POST") == 0) {
		return change(r);
	}
	if (strncmp(p, "/changes/", 9) == 0 && strcmp(r->method, "GET") == 0) {
		size_t i;
		json_t *ch;
		json_array_foreach(g.changes, i, ch)
		{
			if (strcmp(json_string_value(json_object_get(ch, "id")), p + 9) == 0) {
				return fh_send_json(r->c, 200, change_json(ch));
			}
		}
		char msg[200];
		snprintf(msg, sizeof(msg),
			 "The 'parameters.changeId' resource named '%.40s' does not exist.", p + 9);
		return gerr(r, 404, "notFound", msg, NULL);
	}
	return gerr(r, 404, "notFound", "Not Found", NULL);
}

int main(int argc, char **argv)
{
	fh_opts_t o = {0};
	const char *pub = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "p:k:C:K:e:j:z:d:E:D:c:P:")) != -1) {
		if (fh_opt(&o, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case 'K':
			pub = optarg;
			break;
		case 'e':
			g.email = optarg;
			break;
		case 'j':
			g.project = optarg;
			break;
		case 'z':
			g.zone = optarg;
			break;
		case 'd':
			g.dns_name = optarg;
			break;
		case 'E':
			fo_token_lifetime(atol(optarg));
			break;
		case 'D':
			g.pending_s = atof(optarg) / 1000;
			break;
		default:
			fprintf(stderr,
				"usage: fake_gcp -p PORT -k KEY -C CERT -K SA_PUB -e EMAIL -j "
				"PROJECT -z ZONE -d DNS_NAME [-E SECONDS] [-D PENDING_MS] [-c "
				"CONTROL] "
				"[-P PIDFILE]\n");
			return 2;
		}
	}
	if (pub == NULL || g.email == NULL || g.project == NULL || g.zone == NULL ||
	    g.dns_name == NULL) {
		fprintf(stderr, "fake_gcp: -K, -e, -j, -z and -d are required\n");
		return 2;
	}
	FILE *f = fopen(pub, "rb");
	g.pub = calloc(1, 16384);
	if (f == NULL || g.pub == NULL) {
		fprintf(stderr, "fake_gcp: cannot read %s\n", pub);
		return 2;
	}
	g.pub_len = fread(g.pub, 1, 16383, f);
	fclose(f);
	g.port = o.port;
	g.sets = json_array();
	g.changes = json_array();
	return fh_serve("fake_gcp", o.port, o.key, o.cert, o.control, o.pidfile, api,
			fo_token_stats);
}
