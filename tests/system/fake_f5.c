/*
 * fake_f5: a stand-in for a BIG-IP's iControl REST over HTTPS, for the
 * f5-gtm provider's system tests.
 *
 *   fake_f5 -p PORT -k KEY.pem -C CERT.pem -u USER -w PASSWORD [-T TOKEN_TIMEOUT]
 *           [-B] [-n PARTITION] [-o POOL] [-m SERVER:VS=ADDRESS ...] [-c CONTROL] [-P PIDFILE]
 *
 * Serves https://127.0.0.1:PORT/mgmt with the contract of
 * reference/rest-providers.md section 7:
 *   POST   /mgmt/shared/authn/login               {"username","password","loginProviderName"}
 *                                                 -> {"token":{"token","timeout"}} (404 with -B)
 *   PATCH  /mgmt/shared/authz/tokens/T            {"timeout": N}: extends the token
 *   DELETE /mgmt/shared/authz/tokens/T            revokes it
 *   GET    /mgmt/tm/auth/partition/P              the partition (only PARTITION exists)
 *   GET    /mgmt/tm/ltm/data-group/internal/~P~N  the data-group; 404 01020036:3 when absent
 *   PATCH  the same                               "records" replaced whole; generation + 1
 *   POST   /mgmt/tm/ltm/data-group/internal       create; 409 01020066:3 when it exists
 *   GET    /mgmt/tm/gtm/pool/a/~P~POOL/members {"items":[{"name","fullPath","enabled"|"disabled"}]}
 *   PATCH  /mgmt/tm/gtm/pool/a/~P~POOL/members/~P~SERVER:VS  {"enabled":true} | {"disabled":true}
 *   GET    /mgmt/tm/gtm/server/~P~SERVER/virtual-servers/VS  {"destination":"ADDRESS:80"}
 * Every /mgmt/tm request needs a live X-F5-Auth-Token (TOKEN_TIMEOUT seconds,
 * default 1200, from its login or last extension) or HTTP Basic; a token past
 * its time gives 401 "X-F5-Auth-Token has expired.". Errors have the body
 * {"code": N, "message": "...", "errorStack": []}.
 *
 * CONTROL_FILE: ok, hang, error, apply-500 (see fake_https.h).
 * Outside the API, without credentials: GET /__fake/stats (connections,
 * requests, writes, logins, extensions, revocations, live tokens) and
 * GET /__fake/state ({"group": the data-group or null, "members": {...}}), and
 * GET /__fake/expire (every token expires now).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/system/fake_https.h"

#define TOKENS_MAX  64
#define MEMBERS_MAX 8

static struct {
	const char *user, *password, *partition, *pool;
	long token_timeout;
	bool no_tokens;
	struct {
		char token[32];
		double expires;
		bool live;
	} tokens[TOKENS_MAX];
	struct {
		char server[64], vs[64], addr[64];
		bool enabled;
	} members[MEMBERS_MAX];
	int member_count;
	json_t *group; /* NULL: none */
	long generation;
	unsigned long writes, logins, extends, revokes;
} g;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static MHD_RESULT send_err(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return fh_send_json(
		c, status,
		json_pack("{s:i, s:s, s:[]}", "code", (int)status, "message", msg, "errorStack"));
}

static void new_token(char *out, size_t size)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char r[26];
	FILE *f = fopen("/dev/urandom", "rb");
	if (f == NULL || fread(r, 1, sizeof(r), f) != sizeof(r)) {
		memset(r, 7, sizeof(r));
	}
	if (f != NULL) {
		fclose(f);
	}
	size_t i;
	for (i = 0; i < sizeof(r) && i + 1 < size; i++) {
		out[i] = alpha[r[i] % 32];
	}
	out[i] = '\0';
}

/* The token slot of t, live or not; NULL when unknown. */
static int token_slot(const char *t)
{
	for (int i = 0; i < TOKENS_MAX; i++) {
		if (g.tokens[i].token[0] != '\0' && strcmp(g.tokens[i].token, t) == 0) {
			return i;
		}
	}
	return -1;
}

static MHD_RESULT login(const fh_request_t *q)
{
	if (g.no_tokens) {
		return send_err(q->c, 404, "Public URI path not registered: /shared/authn/login");
	}
	json_t *body = json_loadb(q->body, q->len, 0, NULL);
	const char *u = json_string_value(json_object_get(body, "username"));
	const char *p = json_string_value(json_object_get(body, "password"));
	bool ok = u != NULL && p != NULL && strcmp(u, g.user) == 0 && strcmp(p, g.password) == 0;
	json_decref(body);
	if (!ok) {
		return send_err(q->c, 401, "Authentication failed.");
	}
	int slot = -1;
	for (int i = 0; i < TOKENS_MAX && slot < 0; i++) {
		if (!g.tokens[i].live) {
			slot = i;
		}
	}
	if (slot < 0) {
		return send_err(q->c, 400, "maximum active login tokens");
	}
	new_token(g.tokens[slot].token, sizeof(g.tokens[slot].token));
	g.tokens[slot].expires = now() + (double)g.token_timeout;
	g.tokens[slot].live = true;
	g.logins++;
	return fh_send_json(q->c, 200,
			    json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:I, s:i}}", "username", g.user,
				      "loginProviderName", "tmos", "token", "token",
				      g.tokens[slot].token, "name", g.tokens[slot].token,
				      "userName", g.user, "timeout", (json_int_t)g.token_timeout,
				      "generation", 1));
}

/* The request's credentials: NULL when good, else the 401's message. */
static const char *refused(const fh_request_t *q)
{
	const char *t = MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, "X-F5-Auth-Token");
	char user[256], pass[256];
	if (t != NULL) {
		int s = token_slot(t);
		if (s < 0 || !g.tokens[s].live) {
			return "X-F5-Auth-Token does not exist.";
		}
		if (now() > g.tokens[s].expires) {
			g.tokens[s].live = false;
			return "X-F5-Auth-Token has expired.";
		}
		return NULL;
	}
	if (fh_basic(q->c, user, sizeof(user), pass, sizeof(pass))) {
		return strcmp(user, g.user) == 0 && strcmp(pass, g.password) == 0
			       ? NULL
			       : "Authentication failed.";
	}
	return "Authorization failed: no user authentication header or token detected.";
}

static MHD_RESULT token_op(const fh_request_t *q, const char *t)
{
	int s = token_slot(t);
	if (s < 0 || !g.tokens[s].live || now() > g.tokens[s].expires) {
		return send_err(q->c, 401, "X-F5-Auth-Token does not exist.");
	}
	if (strcmp(q->method, "DELETE") == 0) {
		g.tokens[s].live = false;
		g.revokes++;
		return fh_send_json(q->c, 200, json_pack("{s:s}", "token", t));
	}
	json_t *body = json_loadb(q->body, q->len, 0, NULL);
	json_t *to = json_object_get(body, "timeout");
	if (strcmp(q->method, "PATCH") != 0 || !json_is_integer(to) ||
	    json_integer_value(to) > 36000 || json_integer_value(to) < 1) {
		json_decref(body);
		return send_err(q->c, 400, "invalid timeout (at most 36000)");
	}
	g.tokens[s].expires = now() + (double)json_integer_value(to);
	g.extends++;
	json_decref(body);
	return fh_send_json(
		q->c, 200,
		json_pack("{s:s, s:I}", "token", t, "timeout", (json_int_t)json_integer_value(to)));
}

static json_t *group_json(void)
{
	json_t *o = json_deep_copy(g.group);
	char path[300];
	snprintf(path, sizeof(path), "/%s/dns_failover_lease", g.partition);
	json_object_set_new(o, "kind", json_string("tm:ltm:data-group:internal:internalstate"));
	json_object_set_new(o, "fullPath", json_string(path));
	json_object_set_new(o, "generation", json_integer(g.generation));
	if (json_array_size(json_object_get(o, "records")) == 0) {
		json_object_del(o, "records"); /* absent when empty */
	}
	return o;
}

/* A records list as the BIG-IP takes it: [{"name": s[, "data": s]}], names unique. */
static bool records_ok(json_t *r)
{
	size_t i, j;
	json_t *e;
	if (!json_is_array(r)) {
		return false;
	}
	json_array_foreach(r, i, e)
	{
		json_t *n = json_object_get(e, "name"), *d = json_object_get(e, "data");
		if (!json_is_string(n) || (d != NULL && !json_is_string(d))) {
			return false;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(json_string_value(json_object_get(json_array_get(r, j), "name")),
				   json_string_value(n)) == 0) {
				return false;
			}
		}
	}
	return true;
}

static MHD_RESULT datagroup(const fh_request_t *q, const char *rest, bool *wrote)
{
	char mine[300], msg[400];
	snprintf(mine, sizeof(mine), "~%s~dns_failover_lease", g.partition);
	json_t *body = q->len > 0 ? json_loadb(q->body, q->len, 0, NULL) : NULL;
	MHD_RESULT ret;
	if (*rest == '\0' && strcmp(q->method, "POST") == 0) {
		const char *name = json_string_value(json_object_get(body, "name"));
		const char *part = json_string_value(json_object_get(body, "partition"));
		json_t *records = json_object_get(body, "records");
		if (name == NULL || strcmp(name, "dns_failover_lease") != 0 || part == NULL ||
		    strcmp(part, g.partition) != 0 || (records != NULL && !records_ok(records))) {
			ret = send_err(q->c, 400,
				       "01070734:3: Configuration error: bad data-group");
		} else if (g.group != NULL) {
			snprintf(msg, sizeof(msg),
				 "01020066:3: The requested value list (/%s/%s) already exists in "
				 "partition %s.",
				 part, name, part);
			ret = send_err(q->c, 409, msg);
		} else {
			g.group = json_pack("{s:s, s:s, s:s, s:O}", "name", name, "partition", part,
					    "type", "string", "records",
					    records != NULL ? records : json_array());
			g.generation++;
			*wrote = true;
			ret = fh_send_json(q->c, 200, group_json());
		}
	} else if (*rest == '/' && strcmp(rest + 1, mine) == 0 && g.group != NULL &&
		   strcmp(q->method, "GET") == 0) {
		ret = fh_send_json(q->c, 200, group_json());
	} else if (*rest == '/' && strcmp(rest + 1, mine) == 0 && g.group != NULL &&
		   strcmp(q->method, "PATCH") == 0) {
		json_t *records = json_object_get(body, "records");
		if (!records_ok(records)) {
			ret = send_err(q->c, 400, "01070734:3: Configuration error: bad records");
		} else {
			json_object_set(g.group, "records", records);
			g.generation++;
			*wrote = true;
			ret = fh_send_json(q->c, 200, group_json());
		}
	} else {
		char shown[300];
		snprintf(shown, sizeof(shown), "%s", *rest == '/' ? rest + 1 : rest);
		for (char *p = shown; *p != '\0'; p++) {
			*p = *p == '~' ? '/' : *p;
		}
		snprintf(msg, sizeof(msg),
			 "01020036:3: The requested value list (%s) was not found.", shown);
		ret = send_err(q->c, 404, msg);
	}
	json_decref(body);
	return ret;
}

static json_t *members_json(void)
{
	json_t *items = json_array();
	for (int i = 0; i < g.member_count; i++) {
		char name[200], full[300];
		snprintf(name, sizeof(name), "%s:%s", g.members[i].server, g.members[i].vs);
		snprintf(full, sizeof(full), "/%s/%s", g.partition, name);
		json_array_append_new(items,
				      json_pack("{s:s, s:s, s:s, s:b}", "name", name, "partition",
						g.partition, "fullPath", full,
						g.members[i].enabled ? "enabled" : "disabled", 1));
	}
	return json_pack("{s:s, s:o}", "kind", "tm:gtm:pool:a:members:memberscollectionstate",
			 "items", items);
}

static MHD_RESULT gtm(const fh_request_t *q, const char *path, bool *wrote)
{
	char pool[300], server[300];
	snprintf(pool, sizeof(pool), "pool/a/~%s~%s/members", g.partition,
		 g.pool != NULL ? g.pool : "");
	size_t pl = strlen(pool);
	if (g.pool != NULL && strcmp(path, pool) == 0 && strcmp(q->method, "GET") == 0) {
		return fh_send_json(q->c, 200, members_json());
	}
	for (int i = 0; i < g.member_count; i++) {
		char m[300], vs[300];
		snprintf(m, sizeof(m), "/~%s~%s:%s", g.partition, g.members[i].server,
			 g.members[i].vs);
		if (g.pool != NULL && strncmp(path, pool, pl) == 0 && strcmp(path + pl, m) == 0 &&
		    strcmp(q->method, "PATCH") == 0) {
			json_t *b = json_loadb(q->body, q->len, 0, NULL);
			bool on = json_is_true(json_object_get(b, "enabled"));
			bool off = json_is_true(json_object_get(b, "disabled"));
			json_decref(b);
			if (on == off) {
				return send_err(q->c, 400, "give enabled or disabled");
			}
			g.members[i].enabled = on;
			*wrote = true;
			return fh_send_json(q->c, 200,
					    json_pack("{s:b}", on ? "enabled" : "disabled", 1));
		}
		snprintf(server, sizeof(server), "server/~%s~%s/virtual-servers/", g.partition,
			 g.members[i].server);
		snprintf(vs, sizeof(vs), "%s%s", server, g.members[i].vs);
		if (strcmp(path, vs) == 0 && strcmp(q->method, "GET") == 0) {
			char dest[100];
			snprintf(dest, sizeof(dest), "%s:4317", g.members[i].addr);
			return fh_send_json(q->c, 200,
					    json_pack("{s:s, s:s}", "name", g.members[i].vs,
						      "destination", dest));
		}
	}
	char msg[400];
	snprintf(msg, sizeof(msg), "01020036:3: The requested object (%s) was not found.", path);
	return send_err(q->c, 404, msg);
}

static MHD_RESULT handle(const fh_request_t *q)
{
	if (strcmp(q->url, "/__fake/state") == 0) {
		json_t *m = json_object();
		for (int i = 0; i < g.member_count; i++) {
			json_object_set_new(m, g.members[i].addr,
					    json_boolean(g.members[i].enabled));
		}
		return fh_send_json(q->c, 200,
				    json_pack("{s:o, s:o}", "group",
					      g.group != NULL ? group_json() : json_null(),
					      "members", m));
	}
	if (strcmp(q->url, "/__fake/expire") == 0) {
		for (int i = 0; i < TOKENS_MAX; i++) {
			g.tokens[i].expires = 0;
		}
		return fh_send_json(q->c, 200, json_true());
	}
	if (strcmp(q->url, "/mgmt/shared/authn/login") == 0 && strcmp(q->method, "POST") == 0) {
		return login(q);
	}
	if (strncmp(q->url, "/mgmt/shared/authz/tokens/", 26) == 0) {
		return token_op(q, q->url + 26);
	}
	if (strncmp(q->url, "/mgmt/tm/", 9) != 0) {
		return send_err(q->c, 404, "Public URI path not registered");
	}
	const char *why = refused(q);
	if (why != NULL) {
		return send_err(q->c, 401, why);
	}
	bool wrote = false;
	const char *path = q->url + 9;
	char part[300];
	snprintf(part, sizeof(part), "auth/partition/%s", g.partition);
	fh_lose_answer = strcmp(q->mode, "apply-500") == 0 && strcmp(q->method, "GET") != 0;
	MHD_RESULT ret;
	if (strncmp(path, "ltm/data-group/internal", 23) == 0) {
		ret = datagroup(q, path + 23, &wrote);
	} else if (strncmp(path, "gtm/", 4) == 0) {
		ret = gtm(q, path + 4, &wrote);
	} else if (strncmp(path, "auth/partition/", 15) == 0 && strcmp(path, part) == 0) {
		ret = fh_send_json(
			q->c, 200,
			json_pack("{s:s, s:s}", "name", g.partition, "fullPath", g.partition));
	} else {
		char msg[400];
		snprintf(msg, sizeof(msg), "01020036:3: The requested object (%s) was not found.",
			 path);
		ret = send_err(q->c, 404, msg);
	}
	fh_lose_answer = false;
	if (wrote) {
		g.writes++;
	}
	return ret;
}

static void stats(json_t *s)
{
	int live = 0;
	double t = now();
	for (int i = 0; i < TOKENS_MAX; i++) {
		live += g.tokens[i].live && t <= g.tokens[i].expires;
	}
	json_object_set_new(s, "writes", json_integer((json_int_t)g.writes));
	json_object_set_new(s, "logins", json_integer((json_int_t)g.logins));
	json_object_set_new(s, "extensions", json_integer((json_int_t)g.extends));
	json_object_set_new(s, "revocations", json_integer((json_int_t)g.revokes));
	json_object_set_new(s, "live_tokens", json_integer(live));
}

int main(int argc, char **argv)
{
	int opt;
	fh_opts_t o = {0};
	g.partition = "Common";
	g.token_timeout = 1200;
	while ((opt = getopt(argc, argv, "p:k:C:u:w:T:Bn:o:m:c:P:")) != -1) {
		switch (opt) {
		case 'u':
			g.user = optarg;
			break;
		case 'w':
			g.password = optarg;
			break;
		case 'T':
			g.token_timeout = atol(optarg);
			break;
		case 'B':
			g.no_tokens = true;
			break;
		case 'n':
			g.partition = optarg;
			break;
		case 'o':
			g.pool = optarg;
			break;
		case 'm': {
			/* SERVER:VS=ADDRESS */
			int i = g.member_count;
			if (i == MEMBERS_MAX ||
			    sscanf(optarg, "%63[^:]:%63[^=]=%63s", g.members[i].server,
				   g.members[i].vs, g.members[i].addr) != 3) {
				fprintf(stderr, "fake_f5: bad -m %s\n", optarg);
				return 2;
			}
			g.members[i].enabled = true;
			g.member_count++;
			break;
		}
		default:
			if (fh_opt(&o, opt, optarg)) {
				break;
			}
			fprintf(stderr,
				"usage: fake_f5 -p PORT -k KEY -C CERT -u USER -w PASSWORD "
				"[-T SECONDS] [-B] [-n PARTITION] [-o POOL] [-m SRV:VS=ADDR] "
				"[-c CONTROL] [-P PIDFILE]\n");
			return 2;
		}
	}
	if (o.port <= 0 || o.key == NULL || o.cert == NULL || g.user == NULL ||
	    g.password == NULL) {
		fprintf(stderr, "fake_f5: -p, -k, -C, -u and -w are required\n");
		return 2;
	}
	int ret = fh_serve("fake_f5", o.port, o.key, o.cert, o.control, o.pidfile, handle, stats);
	json_decref(g.group);
	return ret;
}
