/*
 * The f5-gtm provider: the lease in the internal string data-group
 * dns_failover_lease of F5_PARTITION on a BIG-IP, through iControl REST
 * (reference/rest-providers.md sections 1, 7 and 9), on the daemon's event
 * loop. The records are owner, exp, ip and epoch, the layout of the earlier
 * tool, so that a site of each shares the lease: the A is ip, the TXT is
 * "owner=... exp=... epoch=...".
 *
 * auth  A token from POST /mgmt/shared/authn/login, sent as X-F5-Auth-Token,
 *       extended (PATCH /mgmt/shared/authz/tokens/T) when less than a third
 *       of its life is left, a new login on a 401, revoked (DELETE) when the
 *       provider is freed. When the BIG-IP has no token service (the login
 *       answers 404), HTTP Basic on every request, for local users.
 * read  GET .../data-group/internal/~PART~dns_failover_lease. The version is
 *       its generation (logged; it proves nothing).
 * swap  iControl REST has no conditional write: read, compare with the
 *       expected lease, PATCH the whole records list (POST the data-group
 *       when there is none), read back; ops.atomic_cas is false. With
 *       F5_POOL_NAME, then the GTM pool's members: the one whose virtual
 *       server's address is the lease's is enabled, the others disabled.
 * check the login (or Basic), the partition, the pool, then a read.
 */
#include "src/provider/provider_f5.h"
#include "src/provider/provider.h"
#include "src/provider/provider_rest.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/clock.h"
#include "src/common/log.h"
#include "src/http/http_client.h"
#include "src/http/http_multi.h"
#include "src/provider/json_field.h"

#define F5_BODY_MAX	(1024 * 1024)
#define F5_URL_MAX	(CONFIG_STR_MAX + 1024)
#define F5_ERR_SHOWN	200
#define F5_TOKEN_EXTEND 3600 /* seconds asked for when extending the token */

enum f5_step {
	F5_IDLE,
	F5_LOGIN,
	F5_EXTEND,
	F5_READ,
	F5_WRITE,
	F5_BACK,
	F5_MEMBERS,
	F5_VS,
	F5_MEMBER_SET,
};

typedef struct f5 {
	provider_t base;
	char api[CONFIG_STR_MAX + 16]; /* https://HOST */
	char group_path[600];	       /* /mgmt/tm/ltm/data-group/internal/~P~dns_failover_lease */
	/* Auth. */
	bool basic;		  /* no token service: Basic on every request */
	char token[F5_TOKEN_MAX]; /* "" = none */
	int64_t token_expires_ms; /* monotonic */
	long token_life_s;
	/* The operation in flight. */
	enum f5_step step, resume; /* resume: the step to redo after a login */
	provider_rest_t rest;
	bool swap, relogged;
	provider_rest_op_t op;
	lease_t *out;
	bool has_expected;
	char exp_txt[LEASE_MAX_RDATA], exp_ip[64];
	bool group_exists;
	f5_group_t group;
	/* The pool. */
	f5_members_t members;
	char member_addr[F5_MEMBERS_MAX][64];
	size_t member_i;
	char pool_ip[64];   /* the address the pool was last set for ("" = not yet) */
	int64_t last_gen;   /* the data-group's generation after our last write (0: none) */
	df_detail_t result; /* the swap's outcome while the pool is set */
} f5_t;

/* ---- Answers ------------------------------------------------------------- */

int f5_check_answer(const char *body, size_t len, long status, const char *what, df_detail_t *d)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	int ret;
	if (status >= 200 && status < 300) {
		ret = json_is_object(root) ? DF_OK : DF_EMALFORMED;
		if (ret != DF_OK) {
			df_detail_set(d,
				      "f5-gtm: %s: HTTP %ld with a body that is not a JSON object",
				      what, status);
		}
		json_decref(root);
		return ret;
	}
	char msg[LOG_ESCAPE_SIZE(F5_ERR_SHOWN)], raw[F5_ERR_SHOWN + 1];
	if (json_is_object(root) && json_field_str(root, "message", raw, sizeof(raw))) {
		log_escape(msg, sizeof(msg), raw, strlen(raw));
	} else {
		http_client_message(body, len, msg, sizeof(msg));
	}
	json_decref(root);
	const char *advice;
	if (status == 401) {
		advice = "F5_USERNAME and F5_PASSWORD were refused: check them";
		ret = DF_EACCES;
	} else if (status == 403) {
		advice = "F5_USERNAME lacks the permission: it needs write access to the "
			 "data-group (and to the GTM pool with F5_POOL_NAME)";
		ret = DF_EACCES;
	} else if (status == 404) {
		advice = "not found";
		ret = DF_ENOTFOUND;
	} else if (status == 409) {
		advice = "it already exists: someone else wrote the lease";
		ret = DF_ECONFLICT;
	} else if (status == 429) {
		advice = "rate limited by the BIG-IP: raise UPDATE_INTERVAL or check what else "
			 "uses iControl REST";
		ret = DF_ERCODE;
	} else if (status >= 500) {
		advice = "server error: the outcome is unknown, read again";
		ret = DF_EUNKNOWN;
	} else {
		advice = "the BIG-IP refused the request";
		ret = DF_ERCODE;
	}
	df_detail_set(d, "f5-gtm: %s: HTTP %ld \"%s\": %s", what, status, msg, advice);
	return ret;
}

int f5_parse_login(const char *body, size_t len, long status, char token[F5_TOKEN_MAX],
		   long *timeout_s, df_detail_t *d)
{
	token[0] = '\0';
	*timeout_s = 0;
	int ret = f5_check_answer(body, len, status, "POST /mgmt/shared/authn/login", d);
	if (ret != DF_OK) {
		return ret;
	}
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *t = json_object_get(root, "token");
	json_t *to = json_object_get(t, "timeout");
	ret = DF_OK;
	if (!json_field_str(t, "token", token, F5_TOKEN_MAX) || token[0] == '\0' ||
	    strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    strlen(token)) {
		token[0] = '\0';
		df_detail_set(d, "f5-gtm: the login answer has no usable token.token");
		ret = DF_EMALFORMED;
	} else {
		*timeout_s = json_is_integer(to) && json_integer_value(to) > 0 &&
					     json_integer_value(to) < 86400 * 30
				     ? (long)json_integer_value(to)
				     : 1200; /* the documented default */
	}
	json_decref(root);
	return ret;
}

int f5_parse_group(const char *body, size_t len, long status, f5_group_t *out, df_detail_t *d)
{
	memset(out, 0, sizeof(*out));
	int ret = f5_check_answer(body, len, status, "GET data-group " F5_DATA_GROUP, d);
	if (ret != DF_OK) {
		return ret;
	}
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *gen = json_object_get(root, "generation");
	json_t *records = json_object_get(root, "records");
	char type[32] = "";
	out->generation = json_is_integer(gen) ? (int64_t)json_integer_value(gen) : -1;
	if (json_field_str(root, "type", type, sizeof(type)) && strcmp(type, "string") != 0) {
		df_detail_set(d,
			      "f5-gtm: data-group " F5_DATA_GROUP " is of type %s, not string: "
			      "it is not the lease (delete or rename it)",
			      strcmp(type, "integer") == 0 || strcmp(type, "ip") == 0 ? type
										      : "other");
		ret = DF_EMALFORMED;
	} else if (records != NULL && !json_is_array(records)) {
		df_detail_set(d, "f5-gtm: data-group " F5_DATA_GROUP ": records is not a list");
		ret = DF_EMALFORMED;
	}
	size_t i;
	json_t *r;
	json_array_foreach(records, i, r)
	{
		char name[64], data[64];
		if (ret != DF_OK) {
			break;
		}
		if (!json_field_str(r, "name", name, sizeof(name))) {
			out->others++;
			continue;
		}
		if (!json_field_str(r, "data", data, sizeof(data))) {
			data[0] = '\0'; /* data may be absent */
		}
		struct {
			const char *name;
			bool *has;
			char *buf;
			size_t size;
		} f[] = {
			{"owner", &out->has_owner, out->owner, sizeof(out->owner)},
			{"exp", &out->has_exp, out->exp, sizeof(out->exp)},
			{"ip", &out->has_ip, out->ip, sizeof(out->ip)},
			{"epoch", &out->has_epoch, out->epoch, sizeof(out->epoch)},
		};
		bool known = false;
		for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
			if (strcmp(name, f[k].name) == 0 && !*f[k].has) {
				*f[k].has = true;
				snprintf(f[k].buf, f[k].size, "%s", data);
				known = true;
			}
		}
		out->others += known ? 0 : 1;
	}
	json_decref(root);
	return ret;
}

int f5_parse_members(const char *body, size_t len, long status, f5_members_t *out, df_detail_t *d)
{
	memset(out, 0, sizeof(*out));
	int ret = f5_check_answer(body, len, status, "GET pool members", d);
	if (ret != DF_OK) {
		return ret;
	}
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *items = json_object_get(root, "items");
	size_t i;
	json_t *m;
	json_array_foreach(items, i, m)
	{
		char name[F5_MEMBER_NAME];
		if (!json_field_str(m, "fullPath", name, sizeof(name)) &&
		    !json_field_str(m, "name", name, sizeof(name))) {
			continue;
		}
		if (strchr(name, ':') == NULL ||
		    strspn(name,
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-:/") !=
			    strlen(name)) {
			continue; /* not /partition/server:virtual-server */
		}
		if (out->count == F5_MEMBERS_MAX) {
			df_detail_set(d, "f5-gtm: the pool has more than %d members",
				      F5_MEMBERS_MAX);
			ret = DF_EMALFORMED;
			break;
		}
		snprintf(out->name[out->count], F5_MEMBER_NAME, "%s", name);
		out->enabled[out->count] = !json_is_true(json_object_get(m, "disabled"));
		out->count++;
	}
	json_decref(root);
	return ret;
}

int f5_parse_vs(const char *body, size_t len, long status, char addr[64], df_detail_t *d)
{
	addr[0] = '\0';
	int ret = f5_check_answer(body, len, status, "GET virtual-server", d);
	if (ret != DF_OK) {
		return ret;
	}
	json_t *root = json_loadb(body, len, 0, NULL);
	char dest[128];
	struct in_addr in;
	ret = DF_EMALFORMED;
	if (json_field_str(root, "destination", dest, sizeof(dest))) {
		const char *a = strrchr(dest, '/') != NULL ? strrchr(dest, '/') + 1 : dest;
		size_t n = strcspn(a, ":");
		char ip[64];
		if (n < sizeof(ip)) {
			snprintf(ip, sizeof(ip), "%.*s", (int)n, a);
			if (inet_pton(AF_INET, ip, &in) == 1) {
				snprintf(addr, 64, "%s", ip);
				ret = DF_OK;
			}
		}
	}
	if (ret != DF_OK) {
		df_detail_set(d, "f5-gtm: the virtual server has no IPv4 destination");
	}
	json_decref(root);
	return ret;
}

/* ---- Requests ------------------------------------------------------------ */

static f5_t *f5_of(provider_t *p)
{
	return (f5_t *)p;
}

static int make_request(f5_t *f, const char *method, const char *path, const char *body,
			http_request_t **out, df_detail_t *d)
{
	const config_f5_t *c = &f->base.cfg->f5;
	char url[F5_URL_MAX];
	snprintf(url, sizeof(url), "%s%s", f->api, path);
	int ret = provider_rest_request(&f->rest, &f->base, method, url, body, out, d);
	if (ret != DF_OK || strcmp(path, "/mgmt/shared/authn/login") == 0) {
		return ret;
	}
	if (f->basic || f->token[0] == '\0') {
		ret = http_request_basic_auth(*out, c->username, c->password);
	} else {
		char hdr[F5_TOKEN_MAX + 32];
		snprintf(hdr, sizeof(hdr), "X-F5-Auth-Token: %s", f->token);
		ret = http_request_add_header(*out, hdr);
		explicit_bzero(hdr, sizeof(hdr));
	}
	if (ret != DF_OK) {
		http_request_free(*out);
		*out = NULL;
		df_detail_set(d, "f5-gtm: cannot build %s %s: %s", method, path, df_strerror(ret));
	}
	return ret;
}

/* "/Common/srv:vs" as a path segment, "~Common~srv:vs". */
static void tilde(char *buf, size_t size, const char *full)
{
	snprintf(buf, size, "%s", full);
	for (char *p = buf; *p != '\0'; p++) {
		*p = *p == '/' ? '~' : *p;
	}
}

/* The records of the lease to write, as the JSON list. */
static json_t *records_of(const lease_t *l)
{
	char exp[32], epoch[32];
	snprintf(exp, sizeof(exp), "%lld", (long long)l->lease.exp);
	snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)l->lease.epoch);
	return json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "name", "owner",
			 "data", l->lease.owner, "name", "exp", "data", exp, "name", "ip", "data",
			 l->has_a ? l->a : "", "name", "epoch", "data", epoch);
}

static const char *const step_names[] = {
	[F5_IDLE] = "",
	[F5_LOGIN] = "POST /mgmt/shared/authn/login",
	[F5_EXTEND] = "PATCH /mgmt/shared/authz/tokens",
	[F5_READ] = "GET data-group " F5_DATA_GROUP,
	[F5_WRITE] = "PATCH data-group " F5_DATA_GROUP,
	[F5_BACK] = "GET data-group " F5_DATA_GROUP " (read back)",
	[F5_MEMBERS] = "GET pool members",
	[F5_VS] = "GET virtual-server",
	[F5_MEMBER_SET] = "PATCH pool member",
};

static void on_answer(http_request_t *req, int ret, void *arg);
static void finish(f5_t *f, int ret, const df_detail_t *d);

static int start_step(f5_t *f, enum f5_step step, df_detail_t *d)
{
	const config_f5_t *c = &f->base.cfg->f5;
	char path[F5_URL_MAX], seg[F5_MEMBER_NAME + 8];
	char *body = NULL;
	const char *method = "GET";
	json_t *j = NULL;
	http_request_free(f->op.req);
	f->op.req = NULL;
	switch (step) {
	case F5_LOGIN:
		snprintf(path, sizeof(path), "/mgmt/shared/authn/login");
		method = "POST";
		j = json_pack("{s:s, s:s, s:s}", "username", c->username, "password", c->password,
			      "loginProviderName", "tmos");
		break;
	case F5_EXTEND:
		snprintf(path, sizeof(path), "/mgmt/shared/authz/tokens/%s", f->token);
		method = "PATCH";
		j = json_pack("{s:i}", "timeout", F5_TOKEN_EXTEND);
		break;
	case F5_READ:
	case F5_BACK:
		snprintf(path, sizeof(path), "%s", f->group_path);
		break;
	case F5_WRITE:
		if (f->group_exists) {
			snprintf(path, sizeof(path), "%s", f->group_path);
			method = "PATCH";
			j = json_pack("{s:o}", "records", records_of(f->out));
		} else {
			snprintf(path, sizeof(path), "/mgmt/tm/ltm/data-group/internal");
			method = "POST";
			j = json_pack("{s:s, s:s, s:s, s:o}", "name", F5_DATA_GROUP, "partition",
				      c->partition, "type", "string", "records",
				      records_of(f->out));
		}
		break;
	case F5_MEMBERS:
		snprintf(path, sizeof(path), "/mgmt/tm/gtm/pool/a/~%s~%s/members", c->partition,
			 c->pool_name);
		break;
	case F5_VS: {
		/* "/P/server:vs" -> /mgmt/tm/gtm/server/~P~server/virtual-servers/vs */
		const char *m = f->members.name[f->member_i];
		const char *colon = strrchr(m, ':');
		char server[F5_MEMBER_NAME];
		snprintf(server, sizeof(server), "%.*s", (int)(colon - m), m);
		tilde(seg, sizeof(seg), server);
		char *vs = http_client_escape(colon + 1);
		snprintf(path, sizeof(path), "/mgmt/tm/gtm/server/%s%s/virtual-servers/%s",
			 seg[0] == '~' ? "" : "~Common~", seg, vs != NULL ? vs : "");
		free(vs);
		break;
	}
	case F5_MEMBER_SET: {
		const char *m = f->members.name[f->member_i];
		tilde(seg, sizeof(seg), m);
		snprintf(path, sizeof(path), "/mgmt/tm/gtm/pool/a/~%s~%s/members/%s", c->partition,
			 c->pool_name, seg);
		method = "PATCH";
		bool on = strcmp(f->member_addr[f->member_i], f->out->a) == 0;
		j = on ? json_pack("{s:b}", "enabled", 1) : json_pack("{s:b}", "disabled", 1);
		break;
	}
	default:
		return DF_EINVAL;
	}
	if (j != NULL) {
		body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (body == NULL) {
			return DF_ENOMEM;
		}
	}
	int ret = make_request(f, method, path, body, &f->op.req, d);
	if (body != NULL) {
		explicit_bzero(body, strlen(body)); /* the login holds the password */
		free(body);
	}
	if (ret == DF_OK) {
		ret = provider_rest_begin(&f->op, &f->rest, step_names[step], on_answer, f, d);
	}
	if (ret != DF_OK) {
		return ret;
	}
	f->step = step;
	return DF_OK;
}

/* The first step of the operation proper, or the login / extension before it. */
static int start_op(f5_t *f, enum f5_step first, df_detail_t *d)
{
	if (!f->basic && f->token[0] == '\0') {
		f->resume = first;
		return start_step(f, F5_LOGIN, d);
	}
	if (!f->basic && f->token_expires_ms - clock_mono_ms() < f->token_life_s * 1000 / 3) {
		f->resume = first;
		return start_step(f, F5_EXTEND, d);
	}
	return start_step(f, first, d);
}

/* The lease from the data-group. DF_ENOTFOUND without an owner. */
static int lease_from_group(const f5_t *f, lease_t *l, df_detail_t *d)
{
	const f5_group_t *g = &f->group;
	char text[LEASE_MAX_RDATA];
	memset(l, 0, sizeof(*l));
	snprintf(l->server, sizeof(l->server), "%.*s", (int)sizeof(l->server) - 1, f->api);
	int n = snprintf((char *)l->version.bytes, sizeof(l->version.bytes), "generation=%lld",
			 (long long)g->generation);
	l->version.len = n > 0 ? (size_t)n : 0;
	if (g->has_ip && g->ip[0] != '\0') {
		provider_lease_add_a(l, g->ip);
	}
	if (!g->has_owner && !g->has_exp) {
		df_detail_set(d,
			      "no lease in data-group %s of partition %s on %s (no owner record)",
			      F5_DATA_GROUP, f->base.cfg->f5.partition, f->api);
		return DF_ENOTFOUND;
	}
	if (g->has_epoch) {
		snprintf(text, sizeof(text), "owner=%s exp=%s epoch=%s", g->owner, g->exp,
			 g->epoch);
	} else {
		snprintf(text, sizeof(text), "owner=%s exp=%s", g->owner, g->exp);
	}
	provider_lease_set_txt(l, text, strlen(text));
	return DF_OK;
}

/* The data-group was read before a write: is it what we expect? */
static int after_pre_read(f5_t *f, int ret, df_detail_t *d)
{
	lease_t *cur = calloc(1, sizeof(*cur));
	if (cur == NULL) {
		return DF_ENOMEM;
	}
	char shown[LOG_ESCAPE_SIZE(64)];
	f->group_exists = ret == DF_OK;
	if (f->group_exists && f->last_gen > 0 && f->group.generation != f->last_gen) {
		/* No conditional write exists: the generation only tells after the fact. */
		log_info("f5-gtm: data-group %s is at generation %lld, not %lld as our last write "
			 "left it: written since by someone else (or a config sync)",
			 F5_DATA_GROUP, (long long)f->group.generation, (long long)f->last_gen);
	}
	int lr = ret == DF_OK ? lease_from_group(f, cur, d) : DF_ENOTFOUND;
	d->msg[0] = '\0';
	if (f->has_expected && lr != DF_OK) {
		df_detail_set(d,
			      "f5-gtm: the lease in data-group %s is gone (someone else removed "
			      "it)",
			      F5_DATA_GROUP);
		ret = DF_ECONFLICT;
	} else if (f->has_expected &&
		   (strcmp(cur->txt, f->exp_txt) != 0 || strcmp(cur->a, f->exp_ip) != 0)) {
		df_detail_set(d, "f5-gtm: data-group %s now holds \"%s\" (someone else wrote it)",
			      F5_DATA_GROUP,
			      log_escape(shown, sizeof(shown), cur->txt, strlen(cur->txt)));
		ret = DF_ECONFLICT;
	} else if (!f->has_expected && lr == DF_OK) {
		df_detail_set(d, "f5-gtm: expected no lease, found \"%s\" in data-group %s",
			      log_escape(shown, sizeof(shown), cur->txt, strlen(cur->txt)),
			      F5_DATA_GROUP);
		ret = DF_ECONFLICT;
	} else {
		ret = start_step(f, F5_WRITE, d);
	}
	free(cur);
	return ret;
}

/* The next pool step from member_i on, or the end of the swap. */
static int pool_next(f5_t *f, df_detail_t *d)
{
	for (; f->member_i < f->members.count; f->member_i++) {
		if (f->member_addr[f->member_i][0] == '\0') {
			return start_step(f, F5_VS, d);
		}
		bool on = strcmp(f->member_addr[f->member_i], f->out->a) == 0;
		if (on != f->members.enabled[f->member_i]) {
			return start_step(f, F5_MEMBER_SET, d);
		}
	}
	bool any = false;
	for (size_t i = 0; i < f->members.count; i++) {
		any = any || strcmp(f->member_addr[i], f->out->a) == 0;
	}
	if (!any) {
		log_warn("f5-gtm: no member of GTM pool %s has the address %s: every member is "
			 "left as it was",
			 f->base.cfg->f5.pool_name, f->out->a);
	} else {
		log_info("f5-gtm: GTM pool %s: the member at %s enabled, the others disabled",
			 f->base.cfg->f5.pool_name, f->out->a);
	}
	snprintf(f->pool_ip, sizeof(f->pool_ip), "%s", f->out->a);
	finish(f, DF_OK, &f->result);
	return DF_OK;
}

/* The read back after the write. */
static int after_back(f5_t *f, df_detail_t *d)
{
	lease_t *cur = calloc(1, sizeof(*cur));
	if (cur == NULL) {
		return DF_ENOMEM;
	}
	lease_t *next = f->out;
	int ret = lease_from_group(f, cur, d);
	char shown[LOG_ESCAPE_SIZE(64)];
	if (ret != DF_OK || strcmp(cur->txt, next->txt) != 0 ||
	    (next->has_a && strcmp(cur->a, next->a) != 0)) {
		df_detail_set(d,
			      "f5-gtm: read back after the write: data-group %s holds \"%s\" "
			      "(someone else wrote after us)",
			      F5_DATA_GROUP,
			      log_escape(shown, sizeof(shown), cur->txt, strlen(cur->txt)));
		free(cur);
		return DF_ECONFLICT;
	}
	next->version = cur->version;
	free(cur);
	log_debug("f5-gtm: data-group %s written, generation %lld", F5_DATA_GROUP,
		  (long long)f->group.generation);
	f->last_gen = f->group.generation;
	const config_f5_t *c = &f->base.cfg->f5;
	if (c->pool_name[0] == '\0' || !next->has_a || strcmp(f->pool_ip, next->a) == 0) {
		return DF_OK;
	}
	f->result = *d;
	f->member_i = 0;
	return start_step(f, F5_MEMBERS, d);
}

/* A pool step failed: the lease write stands; the pool is tried at the next write. */
static void pool_failed(f5_t *f, const df_detail_t *d)
{
	log_warn("%s; GTM pool %s is not set for %s yet (tried again at the next write)", d->msg,
		 f->base.cfg->f5.pool_name, f->out->a);
	f->pool_ip[0] = '\0';
	finish(f, DF_OK, &f->result);
}

static void on_answer(http_request_t *req, int ret, void *arg)
{
	f5_t *f = arg;
	df_detail_t d = {""};
	size_t len = 0;
	const char *body = http_request_body(req, &len);
	long status = http_request_status(req);
	enum f5_step was = f->step;
	bool pool = was == F5_MEMBERS || was == F5_VS || was == F5_MEMBER_SET;
	if (ret != DF_OK) {
		ret = provider_rest_fail(req, ret, was == F5_WRITE);
		provider_rest_fail_detail(&f->rest, req, step_names[was], ret, &d);
		if (pool) {
			pool_failed(f, &d);
			return;
		}
		finish(f, ret, &d);
		return;
	}
	if (status == 401 && was != F5_LOGIN && !f->basic && !f->relogged) {
		/* The token expired or was revoked: log in again, redo the step. */
		log_info("f5-gtm: the BIG-IP refused the token (HTTP 401): logging in again");
		f->token[0] = '\0';
		f->relogged = true;
		f->resume = was == F5_EXTEND ? f->resume : was;
		ret = start_step(f, F5_LOGIN, &d);
		if (ret != DF_OK) {
			finish(f, ret, &d);
		}
		return;
	}
	switch (was) {
	case F5_LOGIN: {
		long life = 0;
		ret = f5_parse_login(body, len, status, f->token, &life, &d);
		if (ret == DF_ENOTFOUND) {
			/* No token service: Basic for local users. */
			log_warn("f5-gtm: %s has no token login (HTTP 404): using HTTP Basic "
				 "for F5_USERNAME",
				 f->api);
			f->basic = true;
			ret = start_step(f, f->resume, &d);
		} else if (ret == DF_OK) {
			f->token_life_s = life;
			f->token_expires_ms = clock_mono_ms() + life * 1000;
			log_debug("f5-gtm: logged in to %s, the token lasts %ld s", f->api, life);
			ret = start_op(f, f->resume, &d);
		} else if (ret == DF_EUNKNOWN) {
			ret = DF_ENETWORK;
		}
		break;
	}
	case F5_EXTEND:
		if (status >= 200 && status < 300) {
			f->token_life_s = F5_TOKEN_EXTEND;
			f->token_expires_ms = clock_mono_ms() + F5_TOKEN_EXTEND * 1000L;
			log_debug("f5-gtm: token extended by %d s", F5_TOKEN_EXTEND);
		} else {
			f->token[0] = '\0'; /* a new login next time */
		}
		ret = start_op(f, f->resume, &d);
		break;
	case F5_READ:
		ret = f5_parse_group(body, len, status, &f->group, &d);
		if (ret == DF_EUNKNOWN) {
			ret = DF_ENETWORK;
		}
		if (!f->swap) {
			if (ret == DF_OK) {
				ret = lease_from_group(f, f->out, &d);
			} else if (ret == DF_ENOTFOUND) {
				df_detail_set(
					&d,
					"no lease data-group %s in partition %s on %s (run init, "
					"or check F5_PARTITION)",
					F5_DATA_GROUP, f->base.cfg->f5.partition, f->api);
				memset(f->out, 0, sizeof(*f->out));
			}
		} else if (ret == DF_OK || ret == DF_ENOTFOUND) {
			ret = after_pre_read(f, ret, &d);
		}
		break;
	case F5_WRITE:
		ret = f5_check_answer(body, len, status, step_names[was], &d);
		if (ret == DF_EMALFORMED) {
			ret = DF_EUNKNOWN;
		}
		if (ret == DF_OK) {
			ret = start_step(f, F5_BACK, &d);
		}
		break;
	case F5_BACK:
		ret = f5_parse_group(body, len, status, &f->group, &d);
		if (ret == DF_OK) {
			ret = after_back(f, &d);
		} else {
			log_warn("%s; the write itself applied", d.msg);
			d.msg[0] = '\0';
			ret = DF_OK;
		}
		break;
	case F5_MEMBERS:
		ret = f5_parse_members(body, len, status, &f->members, &d);
		if (ret != DF_OK) {
			pool_failed(f, &d);
			return;
		}
		memset(f->member_addr, 0, sizeof(f->member_addr));
		if (pool_next(f, &d) != DF_OK) {
			pool_failed(f, &d);
		}
		return;
	case F5_VS:
		ret = f5_parse_vs(body, len, status, f->member_addr[f->member_i], &d);
		if (ret != DF_OK) {
			/* A member without an address is left alone. */
			snprintf(f->member_addr[f->member_i], 64, "-");
		}
		if (pool_next(f, &d) != DF_OK) {
			pool_failed(f, &d);
		}
		return;
	case F5_MEMBER_SET:
		ret = f5_check_answer(body, len, status, step_names[was], &d);
		if (ret != DF_OK) {
			pool_failed(f, &d);
			return;
		}
		f->members.enabled[f->member_i] = !f->members.enabled[f->member_i];
		f->member_i++;
		if (pool_next(f, &d) != DF_OK) {
			pool_failed(f, &d);
		}
		return;
	default:
		ret = DF_EINVAL;
		break;
	}
	if (ret != DF_OK || f->step == was) {
		finish(f, ret, &d);
	}
}

static void finish(f5_t *f, int ret, const df_detail_t *d)
{
	f->step = F5_IDLE;
	provider_rest_finish(&f->op, &f->base, ret, d);
}

static int op_begin(f5_t *f, http_multi_t *m, lease_t *out, bool swap, provider_done_fn done,
		    void *arg)
{
	df_detail_t d = {""};
	if (f->step != F5_IDLE || m == NULL || out == NULL || done == NULL) {
		return DF_EINVAL;
	}
	f->op.multi = m;
	f->out = out;
	f->swap = swap;
	f->op.done = done;
	f->op.arg = arg;
	f->relogged = false;
	int ret = start_op(f, F5_READ, &d);
	if (ret != DF_OK) {
		f->op.multi = NULL;
		f->op.done = NULL;
		f->step = F5_IDLE;
		if (d.msg[0] != '\0') {
			log_warn("%s", d.msg);
		}
	}
	return ret;
}

static int f5_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			 void *arg)
{
	return op_begin(f5_of(p), m, out, false, done, arg);
}

static int f5_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			 provider_done_fn done, void *arg)
{
	f5_t *f = f5_of(p);
	if (next == NULL || lease_value_format(next) != DF_OK || f->step != F5_IDLE) {
		return DF_EINVAL;
	}
	f->has_expected = expected != NULL && expected->has_txt;
	f->exp_txt[0] = f->exp_ip[0] = '\0';
	if (f->has_expected) {
		snprintf(f->exp_txt, sizeof(f->exp_txt), "%s", expected->txt);
		snprintf(f->exp_ip, sizeof(f->exp_ip), "%s", expected->has_a ? expected->a : "");
	}
	next->version.len = 0;
	return op_begin(f, m, next, true, done, arg);
}

static void f5_cancel(provider_t *p)
{
	f5_t *x = (f5_t *)p;
	if (x->step != F5_IDLE) {
		provider_rest_cancel(&x->op);
		x->step = F5_IDLE;
	}
}

/* ---- check --------------------------------------------------------------- */

/* One blocking GET for check(); the status and DF_OK, or the transfer error. */
static int check_get(f5_t *f, const char *path, const char *what, long *status, df_detail_t *d)
{
	http_request_t *req = NULL;
	int ret = make_request(f, "GET", path, NULL, &req, d);
	if (ret == DF_OK) {
		ret = http_client_perform(req, d);
		if (ret != DF_OK) {
			provider_rest_fail_detail(&f->rest, req, what, ret, d);
		} else {
			size_t len = 0;
			const char *body = http_request_body(req, &len);
			*status = http_request_status(req);
			ret = f5_check_answer(body, len, *status, what, d);
		}
	}
	http_request_free(req);
	return ret;
}

static int f5_check(provider_t *p, provider_report_fn fn, void *arg, df_detail_t *d)
{
	f5_t *f = f5_of(p);
	const config_f5_t *c = &p->cfg->f5;
	df_detail_t sub = {""};
	char path[F5_URL_MAX];
	long status = 0;
	if (!c->verify_ssl) {
		provider_report(
			fn, arg, true,
			"WARNING: F5_VERIFY_SSL=false: the BIG-IP's certificate is not "
			"verified, so anyone on the path can read F5_PASSWORD and forge the "
			"lease; set F5_CA_FILE instead");
	}
	/* The read first: it logs in (or falls back to Basic). */
	lease_t *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return DF_ENOMEM;
	}
	int ret = provider_read(p, l, &sub);
	free(l);
	if (ret != DF_OK && ret != DF_ENOTFOUND) {
		provider_report(fn, arg, false, "F5_USERNAME %s on %s: %s", c->username, f->api,
				sub.msg);
		df_detail_set(d, "%s", sub.msg);
		return ret;
	}
	provider_report(fn, arg, true, "F5_USERNAME %s accepted by %s (%s)", c->username, f->api,
			f->basic ? "HTTP Basic: no token service" : "token login");
	bool lease_missing = ret == DF_ENOTFOUND;
	sub.msg[0] = '\0';
	snprintf(path, sizeof(path), "/mgmt/tm/auth/partition/%s", c->partition);
	ret = check_get(f, path, "GET partition", &status, &sub);
	if (ret != DF_OK) {
		if (ret == DF_ENOTFOUND) {
			df_detail_set(&sub, "the BIG-IP has no partition %s (F5_PARTITION)",
				      c->partition);
			ret = DF_ECONFIG;
		}
		provider_report(fn, arg, false, "F5_PARTITION %s: %s", c->partition, sub.msg);
		df_detail_set(d, "%s", sub.msg);
		return ret;
	}
	provider_report(fn, arg, true, "partition %s exists; data-group %s %s", c->partition,
			F5_DATA_GROUP, lease_missing ? "not there yet (run init)" : "readable");
	if (c->pool_name[0] != '\0') {
		sub.msg[0] = '\0';
		snprintf(path, sizeof(path), "/mgmt/tm/gtm/pool/a/~%s~%s/members", c->partition,
			 c->pool_name);
		ret = check_get(f, path, "GET pool members", &status, &sub);
		if (ret != DF_OK) {
			if (ret == DF_ENOTFOUND) {
				df_detail_set(&sub,
					      "the BIG-IP has no GTM pool (type A) %s in partition "
					      "%s (F5_POOL_NAME)",
					      c->pool_name, c->partition);
				ret = DF_ECONFIG;
			}
			provider_report(fn, arg, false, "F5_POOL_NAME %s: %s", c->pool_name,
					sub.msg);
			df_detail_set(d, "%s", sub.msg);
			return ret;
		}
		provider_report(fn, arg, true, "GTM pool %s readable", c->pool_name);
	}
	return DF_OK;
}

/* Revokes the token, blocking and briefly. */
static void revoke(f5_t *f)
{
	char path[F5_URL_MAX];
	http_request_t *req = NULL;
	df_detail_t d = {""};
	if (f->basic || f->token[0] == '\0') {
		return;
	}
	snprintf(path, sizeof(path), "/mgmt/shared/authz/tokens/%s", f->token);
	f->base.deadline_ms = 0;
	if (make_request(f, "DELETE", path, NULL, &req, &d) == DF_OK) {
		http_request_set_timeouts(req, 2000, 2000);
		if (http_client_perform(req, &d) == DF_OK && http_request_status(req) < 300) {
			log_debug("f5-gtm: token revoked");
		}
	}
	http_request_free(req);
	explicit_bzero(f->token, sizeof(f->token));
}

static void f5_free(provider_t *p)
{
	f5_t *f = f5_of(p);
	f5_cancel(p);
	revoke(f);
	free(f);
}

static const provider_ops_t f5_ops = {
	.id = "f5-gtm",
	.atomic_cas = false,
	.cas_note = "iControl REST has no conditional write: each write reads the "
		    "dns_failover_lease data-group, compares it with the lease last seen, "
		    "PATCHes the whole records list and reads it back, so two writers between "
		    "the read and the PATCH can both apply (the later one wins, and the "
		    "earlier notices at its read back or next renewal)",
	.read_begin = f5_read_begin,
	.swap_begin = f5_swap_begin,
	.cancel = f5_cancel,
	.check = f5_check,
	.free = f5_free,
};

int provider_f5_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	const config_f5_t *c = &cfg->f5;
	if (c->host[0] == '\0' || c->username[0] == '\0' || c->password[0] == '\0') {
		df_detail_set(d, "DNS_PROVIDER=f5-gtm needs F5_HOST, F5_USERNAME and F5_PASSWORD");
		return DF_ECONFIG;
	}
	f5_t *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return DF_ENOMEM;
	}
	f->base.ops = &f5_ops;
	f->base.cfg = cfg;
	snprintf(f->api, sizeof(f->api), "%s%s",
		 strncmp(c->host, "https://", 8) == 0 ? "" : "https://", c->host);
	f->rest = (provider_rest_t){
		.name = "f5-gtm",
		.api = f->api,
		.ca_file = c->ca_file,
		.ca_key = "F5_CA_FILE",
		.proxy = cfg->https_proxy,
		.timeout_ms = (long)c->timeout * 1000,
		.tls_no_verify = !c->verify_ssl,
		.body_max = F5_BODY_MAX,
	};
	snprintf(f->group_path, sizeof(f->group_path),
		 "/mgmt/tm/ltm/data-group/internal/~%s~" F5_DATA_GROUP, c->partition);
	if (!c->verify_ssl) {
		log_warn(
			"F5_VERIFY_SSL=false: the certificate of %s is not verified; anyone on the "
			"path can read F5_PASSWORD and forge the lease (set F5_CA_FILE to the "
			"BIG-IP's CA instead)",
			f->api);
	}
	*out = &f->base;
	return DF_OK;
}
