/*
 * DNS_PROVIDER=gcp-dns: the lease in a Google Cloud DNS managed zone
 * (reference/rest-providers.md sections 1, 6 and 9), on the daemon's loop.
 *
 * token  a JWT assertion for the service account of GCP_CREDENTIALS_FILE,
 *        signed RS256 (src/http/jwt.c), exchanged at the token endpoint
 *        (urn:ietf:params:oauth:grant-type:jwt-bearer) for an access token
 *        that is kept until shortly before it expires; a 401 drops it and
 *        the step is tried once more with a new one.
 * read   GET .../rrsets?name=RECORD (paged): the A and TXT sets. The
 *        version is the two sets exactly as listed.
 * swap   one changes.create: "deletions" the sets as read, "additions" the
 *        new TXT (and A): Cloud DNS applies it atomically and only when
 *        every deletion matches the current data exactly, so it is an
 *        atomic compare-and-swap over A and TXT (412 conditionNotMet, 409
 *        alreadyExists: CONFLICT). A "pending" change is polled until
 *        "done" within the deadline. Without a lease to compare against,
 *        the sets are listed first and the TXT is only added, which fails
 *        (409) when one appeared meanwhile.
 * check  the token, then the read.
 */
#include "src/provider/provider.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/clock.h"
#include "src/common/log.h"
#include "src/common/secret_file.h"
#include "src/http/http_client.h"
#include "src/http/jwt.h"
#include "src/http/oauth.h"
#include "src/provider/gcp.h"
#include "src/provider/rest_op.h"

#define GCP_SCOPE	  "https://www.googleapis.com/auth/ndev.clouddns.readwrite"
#define GCP_DEFAULT_TOKEN "https://oauth2.googleapis.com/token"
#define GCP_BODY_MAX	  (1024 * 1024)
#define GCP_KEY_FILE_MAX  (64 * 1024)
#define GCP_PAGES_MAX	  20
#define GCP_POLL_FIRST	  100  /* ms */
#define GCP_POLL_MAX	  1000 /* ms */
#define GCP_URL_MAX	  (CONFIG_STR_MAX + 2048)
#define GCP_JWT_LIFE	  3600

enum gstep { G_TOKEN, G_LIST, G_CHANGE, G_POLL };
enum gkind { GK_NONE, GK_READ, GK_SWAP };

typedef struct gcp {
	provider_t base; /* first */
	rest_op_t op;
	gcp_key_t key;
	jwt_key_t *jwt;
	char token_uri[CONFIG_STR_MAX];
	char api[CONFIG_STR_MAX];
	char project[256];
	char zone_path[1200]; /* /projects/P/managedZones/Z */
	oauth_token_t token;
	http_options_t opt;
	/* The operation in flight. */
	enum gkind kind;
	enum gstep step, after_token;
	lease_t *out;
	int64_t deadline;
	long budget_ms; /* the time the request in flight was given */
	unsigned polls, pages;
	bool retried_auth;
	gcp_list_t list;
	char old_a[GCP_SET_MAX], old_txt[GCP_SET_MAX];
	char new_a[GCP_SET_MAX], new_txt[GCP_SET_MAX];
	char *body;
	char change_id[GCP_CHANGE_ID_MAX];
} gcp_t;

static const char *const step_name[] = {
	[G_TOKEN] = "token request",
	[G_LIST] = "rrsets.list",
	[G_CHANGE] = "changes.create",
	[G_POLL] = "changes.get",
};

static gcp_t *g_of(provider_t *p)
{
	return (gcp_t *)p;
}

/* ---- the token ---- */

/* The signed assertion for the token request, malloc'd (wipe and free it). */
static int make_assertion(gcp_t *g, char **out, df_detail_t *d)
{
	char header[256], claims[2048];
	int64_t now = clock_wall();
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
		 g->key.private_key_id);
	if (g->key.private_key_id[0] == '\0') {
		snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
	}
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", g->key.client_email, "scope",
			      GCP_SCOPE, "aud", g->token_uri, "iat", (json_int_t)now, "exp",
			      (json_int_t)(now + GCP_JWT_LIFE));
	size_t n = c != NULL ? json_dumpb(c, claims, sizeof(claims) - 1,
					  JSON_COMPACT | JSON_PRESERVE_ORDER)
			     : 0;
	json_decref(c);
	if (n == 0 || n >= sizeof(claims) - 1) {
		return DF_ENOMEM;
	}
	claims[n] = '\0';
	return jwt_sign_rs256(g->jwt, header, strlen(header), claims, n, out, d);
}

/* ---- requests ---- */

static long budget(const gcp_t *g)
{
	return rest_budget(&g->base, (long)g->base.cfg->gcp.timeout * 1000, g->deadline);
}

static char *change_body(const gcp_t *g)
{
	json_t *del = json_array(), *add = json_array();
	json_t *root = json_pack("{s:o, s:o}", "deletions", del, "additions", add);
	const char *dels[] = {g->old_txt, g->old_a}, *adds[] = {g->new_txt, g->new_a};
	bool ok = root != NULL;
	for (int i = 0; ok && i < 2; i++) {
		if (dels[i][0] != '\0') {
			json_t *s = json_loads(dels[i], 0, NULL);
			ok = s != NULL && json_array_append_new(del, s) == 0;
		}
		if (ok && adds[i][0] != '\0') {
			json_t *s = json_loads(adds[i], 0, NULL);
			ok = s != NULL && json_array_append_new(add, s) == 0;
		}
	}
	char *body = ok ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	return body;
}

static int g_build(void *ctx, http_request_t **req, df_detail_t *d)
{
	gcp_t *g = ctx;
	char url[GCP_URL_MAX];
	const char *method = "GET";
	if (g->step != G_TOKEN && !oauth_token_usable(&g->token, clock_mono_ms())) {
		g->after_token = g->step;
		g->step = G_TOKEN;
	}
	switch (g->step) {
	case G_TOKEN:
		snprintf(url, sizeof(url), "%s", g->token_uri);
		method = "POST";
		break;
	case G_LIST: {
		char *name = http_client_escape(g->base.cfg->record);
		char *page =
			g->list.next_page[0] != '\0' ? http_client_escape(g->list.next_page) : NULL;
		snprintf(url, sizeof(url), "%s%s/rrsets?name=%s%s%s", g->api, g->zone_path,
			 name != NULL ? name : "", page != NULL ? "&pageToken=" : "",
			 page != NULL ? page : "");
		free(name);
		free(page);
		break;
	}
	case G_CHANGE:
		snprintf(url, sizeof(url), "%s%s/changes", g->api, g->zone_path);
		method = "POST";
		break;
	case G_POLL:
		snprintf(url, sizeof(url), "%s%s/changes/%s", g->api, g->zone_path, g->change_id);
		break;
	}
	g->budget_ms = budget(g);
	int ret = rest_request(req, method, url, &g->opt, g->budget_ms, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "gcp-dns %s", step_name[g->step]);
		return g->step == G_POLL && ret == DF_ETIMEDOUT ? DF_EUNKNOWN : ret;
	}
	ret = http_request_add_header(*req, "Accept: application/json");
	if (g->step == G_TOKEN) {
		char *jws = NULL;
		static char form[16384];
		form[0] = '\0';
		if (ret == DF_OK) {
			ret = make_assertion(g, &jws, d);
		}
		if (ret == DF_OK) {
			ret = oauth_form_add(form, sizeof(form), "grant_type",
					     "urn:ietf:params:oauth:grant-type:jwt-bearer");
		}
		if (ret == DF_OK) {
			ret = oauth_form_add(form, sizeof(form), "assertion", jws);
		}
		if (ret == DF_OK) {
			ret = http_request_add_header(
				*req, "Content-Type: application/x-www-form-urlencoded");
		}
		if (ret == DF_OK) {
			ret = http_request_set_body(*req, form, strlen(form));
		}
		if (jws != NULL) {
			explicit_bzero(jws, strlen(jws));
			free(jws);
		}
		explicit_bzero(form, sizeof(form));
		return ret;
	}
	if (ret == DF_OK) {
		ret = rest_add_bearer(*req, &g->token);
	}
	if (ret == DF_OK && g->step == G_CHANGE) {
		ret = http_request_add_header(*req, "Content-Type: application/json");
		if (ret == DF_OK) {
			ret = http_request_set_body(*req, g->body, strlen(g->body));
		}
	}
	return ret;
}

/* ---- answers ---- */

static void end_op(gcp_t *g)
{
	free(g->body);
	g->body = NULL;
	g->kind = GK_NONE;
}

/* Fills l from the sets listed. DF_ENOTFOUND without a TXT. */
static int lease_from_list(gcp_t *g, lease_t *l, df_detail_t *d)
{
	const gcp_list_t *li = &g->list;
	const config_t *cfg = g->base.cfg;
	memset(l, 0, sizeof(*l));
	snprintf(l->server, sizeof(l->server), "%.*s", (int)sizeof(l->server) - 1, g->api);
	if (li->a_count > 0) {
		provider_lease_add_a_list(l, li->a_list);
	}
	l->a_count = li->a_count;
	if (li->a_count > 0) {
		snprintf(l->a, sizeof(l->a), "%s", li->a);
	}
	if (li->txt_set[0] != '\0') {
		provider_lease_set_txt(l, li->txt, strlen(li->txt));
		if (!li->txt_decoded) {
			l->txt_valid = false;
			snprintf(l->txt_error, sizeof(l->txt_error), "%s", li->txt_error);
		}
	}
	if (gcp_version_put(&l->version, li->a_set, li->txt_set) != DF_OK) {
		df_detail_set(d, "gcp-dns: the record sets at %s are too large", cfg->record);
		return DF_ENOSPACE;
	}
	if (li->txt_set[0] == '\0') {
		df_detail_set(d, "no lease TXT record at %s in managed zone %s (project %s)",
			      cfg->record, cfg->gcp.managed_zone, g->project);
		return DF_ENOTFOUND;
	}
	return DF_OK;
}

/* The additions for next: the TXT always, the A when it changes or is missing. */
static int plan_change(gcp_t *g, df_detail_t *d)
{
	const config_t *cfg = g->base.cfg;
	const lease_t *next = g->out;
	char content[LEASE_MAX_RDATA + 16];
	if (provider_txt_encode(next->txt, content, sizeof(content)) != DF_OK) {
		df_detail_set(d, "gcp-dns: the new TXT does not fit a record");
		return DF_ENOSPACE;
	}
	json_t *txt = json_pack("{s:s, s:s, s:I, s:[s]}", "name", cfg->record, "type", "TXT", "ttl",
				(json_int_t)cfg->dns_ttl, "rrdatas", content);
	g->new_a[0] = '\0';
	size_t n = txt != NULL ? json_dumpb(txt, g->new_txt, GCP_SET_MAX - 1,
					    JSON_COMPACT | JSON_PRESERVE_ORDER)
			       : 0;
	json_decref(txt);
	if (n == 0 || n >= GCP_SET_MAX - 1) {
		return DF_ENOMEM;
	}
	g->new_txt[n] = '\0';
	if (next->has_a) {
		json_t *a = json_pack("{s:s, s:s, s:I, s:[s]}", "name", cfg->record, "type", "A",
				      "ttl", (json_int_t)cfg->dns_ttl, "rrdatas", next->a);
		n = a != NULL ? json_dumpb(a, g->new_a, GCP_SET_MAX - 1,
					   JSON_COMPACT | JSON_PRESERVE_ORDER)
			      : 0;
		json_decref(a);
		if (n == 0 || n >= GCP_SET_MAX - 1) {
			return DF_ENOMEM;
		}
		g->new_a[n] = '\0';
		if (strcmp(g->new_a, g->old_a) == 0) {
			g->new_a[0] = '\0'; /* unchanged: neither deleted nor added */
		}
	}
	/* An A that stays (the same, or none given) is neither deleted nor
	 * added: the body leaves it alone and the version keeps it as read. */
	char kept_a[GCP_SET_MAX];
	bool keep = g->new_a[0] == '\0';
	snprintf(kept_a, sizeof(kept_a), "%s", g->old_a);
	if (keep) {
		g->old_a[0] = '\0';
	}
	free(g->body);
	g->body = change_body(g);
	if (keep) {
		snprintf(g->new_a, sizeof(g->new_a), "%s", kept_a);
		snprintf(g->old_a, sizeof(g->old_a), "%s", kept_a);
	}
	if (g->body == NULL) {
		return DF_ENOMEM;
	}
	g->step = G_CHANGE;
	g->polls = 0;
	return DF_OK;
}

/* An answer other than 200, in operator terms. */
static int answer_error(gcp_t *g, long status, const char *body, size_t len, df_detail_t *d)
{
	const config_t *cfg = g->base.cfg;
	char reason[64], msg[300];
	int ret = gcp_parse_error(body, len, status, reason, sizeof(reason), msg, sizeof(msg));
	const char *what = step_name[g->step];
	switch (ret) {
	case DF_ECONFLICT:
		df_detail_set(d,
			      "gcp-dns %s: HTTP %ld %s (%s): the lease at %s changed since it "
			      "was read (someone else wrote first)",
			      what, status, reason, msg, cfg->record);
		break;
	case DF_EACCES:
		df_detail_set(d,
			      "gcp-dns %s: HTTP %ld %s (%s): service account %s of "
			      "GCP_CREDENTIALS_FILE=%s is not allowed: it needs the DNS "
			      "Administrator role (roles/dns.admin) on project %s",
			      what, status, reason, msg, g->key.client_email,
			      cfg->gcp.credentials_file, g->project);
		break;
	case DF_ECONFIG:
		if (status == 404) {
			df_detail_set(d,
				      "gcp-dns %s: HTTP 404 %s (%s): check GCP_MANAGED_ZONE=%s and "
				      "GCP_PROJECT_ID=%s",
				      what, reason, msg, cfg->gcp.managed_zone, g->project);
		} else {
			df_detail_set(d,
				      "gcp-dns %s: HTTP %ld %s (%s): the API refused the request",
				      what, status, reason, msg);
		}
		break;
	case DF_ENETWORK:
		df_detail_set(d,
			      "gcp-dns %s: HTTP %ld %s (%s): rate limited; nothing applied, try "
			      "again later",
			      what, status, reason, msg);
		break;
	case DF_EUNKNOWN:
		df_detail_set(d, "gcp-dns %s: HTTP %ld (%s): server error", what, status, msg);
		break;
	default:
		df_detail_set(d, "gcp-dns %s: HTTP %ld %s (%s)", what, status, reason, msg);
		break;
	}
	if (g->step == G_CHANGE && ret == DF_EUNKNOWN) {
		df_detail_prefix(d, "the outcome of the change of %s is unknown (read again)",
				 cfg->record);
	} else if (g->step == G_POLL) {
		df_detail_prefix(d, "change %s accepted but not seen done", g->change_id);
		ret = DF_EUNKNOWN;
	} else if (ret == DF_EUNKNOWN) {
		ret = DF_ENETWORK; /* a read or a token request applies nothing */
	}
	return ret;
}

/* The token endpoint refused the service account's signed assertion. */
static void g_refused(void *ctx, const oauth_answer_t *a, long status, df_detail_t *d)
{
	const gcp_t *g = ctx;
	df_detail_set(
		d,
		"gcp-dns: the token endpoint %s refused service account %s of "
		"GCP_CREDENTIALS_FILE=%s: HTTP %ld %s (%s): check that the key is not deleted "
		"or disabled and that this host's clock is right",
		g->token_uri, g->key.client_email, g->base.cfg->gcp.credentials_file, status,
		a->error, a->description);
}

static bool g_advance(void *ctx, http_request_t *req, int http_ret, int *ret, int64_t *delay,
		      df_detail_t *d)
{
	gcp_t *g = ctx;
	const config_t *cfg = g->base.cfg;
	size_t len = 0;
	const char *body = http_request_body(req, &len);
	long status = http_request_status(req);
	*delay = 0;
	if (http_ret != DF_OK) {
		char who[64];
		snprintf(who, sizeof(who), "gcp-dns %s", step_name[g->step]);
		bool sent =
			rest_transfer_detail(req, who, g->step == G_TOKEN ? g->token_uri : g->api,
					     g->budget_ms, "GCP_CA_FILE", d);
		if ((g->step == G_CHANGE && sent) || g->step == G_POLL) {
			df_detail_prefix(d,
					 "the outcome of the change of %s is unknown (read again)",
					 cfg->record);
			*ret = DF_EUNKNOWN;
		} else {
			*ret = http_ret;
		}
		goto over;
	}
	if (g->step == G_TOKEN) {
		*ret = rest_token_answer(&g->token, req, "gcp-dns", g->token_uri, g_refused, g, d);
		if (*ret == DF_OK) {
			g->step = g->after_token;
			return false;
		}
		goto over;
	}
	char who401[64];
	snprintf(who401, sizeof(who401), "gcp-dns: %s", step_name[g->step]);
	if (rest_retry_401(&g->token, status, &g->retried_auth, who401)) {
		return false;
	}
	if (status != 200) {
		*ret = answer_error(g, status, body, len, d);
		goto over;
	}
	switch (g->step) {
	case G_LIST: {
		int r = gcp_parse_rrsets(body, len, cfg->record, &g->list, d);
		if (r != DF_OK) {
			*ret = r;
			goto over;
		}
		if (g->list.next_page[0] != '\0') {
			if (++g->pages >= GCP_PAGES_MAX) {
				df_detail_set(d, "gcp-dns: more than %d pages of record sets at %s",
					      GCP_PAGES_MAX, cfg->record);
				*ret = DF_ERANGE;
				goto over;
			}
			return false;
		}
		if (g->kind == GK_READ) {
			*ret = lease_from_list(g, g->out, d);
			goto over;
		}
		/* The read before a first write: no TXT may be there. */
		if (g->list.txt_set[0] != '\0') {
			df_detail_set(d,
				      "gcp-dns: expected no lease at %s, found a TXT set (someone "
				      "else wrote it)",
				      cfg->record);
			*ret = DF_ECONFLICT;
			goto over;
		}
		snprintf(g->old_a, sizeof(g->old_a), "%s", g->list.a_set);
		g->old_txt[0] = '\0';
		*ret = plan_change(g, d);
		if (*ret != DF_OK) {
			goto over;
		}
		return false;
	}
	case G_CHANGE:
	case G_POLL: {
		bool done = false;
		char id[GCP_CHANGE_ID_MAX];
		if (gcp_parse_change(body, len, id, &done, d) != DF_OK) {
			df_detail_prefix(d,
					 "the outcome of the change of %s is unknown (read again)",
					 cfg->record);
			*ret = DF_EUNKNOWN;
			goto over;
		}
		if (g->step == G_CHANGE) {
			snprintf(g->change_id, sizeof(g->change_id), "%s", id);
		}
		if (done) {
			*ret = gcp_version_put(&g->out->version, g->new_a, g->new_txt);
			goto over;
		}
		int64_t wait = rest_backoff(g->polls++, GCP_POLL_FIRST, GCP_POLL_MAX);
		if (clock_mono_ms() + wait >= g->deadline) {
			df_detail_set(d,
				      "gcp-dns: change %s of %s was accepted but still pending at "
				      "the deadline: its outcome is unknown (read again)",
				      g->change_id, cfg->record);
			*ret = DF_EUNKNOWN;
			goto over;
		}
		g->step = G_POLL;
		*delay = wait;
		return false;
	}
	default:
		*ret = DF_EINVAL;
		goto over;
	}
over:
	end_op(g);
	return true;
}

/* ---- operations ---- */

static int setup(gcp_t *g, enum gkind kind, lease_t *out)
{
	if (g->op.busy) { /* kind may be left over from an operation a failed build ended */
		return DF_EINVAL;
	}
	if (rest_op_deadline(&g->base, &g->deadline) != DF_OK) {
		return DF_ETIMEDOUT;
	}
	g->kind = kind;
	g->out = out;
	g->pages = g->polls = 0;
	g->retried_auth = false;
	g->change_id[0] = '\0';
	memset(&g->list, 0, sizeof(g->list));
	g->step = G_LIST;
	return DF_OK;
}

static int g_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			void *arg)
{
	gcp_t *g = g_of(p);
	if (out == NULL) {
		return DF_EINVAL;
	}
	int ret = setup(g, GK_READ, out);
	if (ret == DF_OK) {
		ret = rest_op_begin(&g->op, m, done, arg);
		if (ret != DF_OK) {
			end_op(g);
		}
	}
	return ret;
}

static int g_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			provider_done_fn done, void *arg)
{
	gcp_t *g = g_of(p);
	df_detail_t d = {""};
	if (next == NULL || lease_value_format(next) != DF_OK) {
		return DF_EINVAL;
	}
	int ret = setup(g, GK_SWAP, next);
	if (ret != DF_OK) {
		return ret;
	}
	g->old_a[0] = g->old_txt[0] = '\0';
	if (expected != NULL && expected->has_txt) {
		if (!gcp_version_get(&expected->version, g->old_a, g->old_txt)) {
			log_warn("gcp-dns: the lease to replace was not read from Cloud DNS; read "
				 "it again");
			end_op(g);
			return DF_EINVAL;
		}
		ret = plan_change(g, &d);
		if (ret != DF_OK) {
			log_warn("%s", d.msg);
			end_op(g);
			return ret;
		}
	}
	next->version.len = 0;
	ret = rest_op_begin(&g->op, m, done, arg);
	if (ret != DF_OK) {
		end_op(g);
	}
	return ret;
}

static void g_cancel(provider_t *p)
{
	gcp_t *g = g_of(p);
	rest_op_cancel(&g->op);
	end_op(g);
}

static int g_check(provider_t *p, provider_report_fn fn, void *arg, df_detail_t *d)
{
	gcp_t *g = g_of(p);
	const config_t *cfg = p->cfg;
	char token_ok[CONFIG_STR_MAX + 64], read_ok[1024];
	provider_report(fn, arg, true,
			"GCP_CREDENTIALS_FILE=%s: service account %s, key %s, private to this "
			"user",
			cfg->gcp.credentials_file, g->key.client_email,
			g->key.private_key_id[0] != '\0' ? g->key.private_key_id : "(no id)");
	snprintf(token_ok, sizeof(token_ok), "the token endpoint %s issued an access token",
		 g->token_uri);
	snprintf(read_ok, sizeof(read_ok),
		 "managed zone %s of project %s readable (the right to change it shows at the "
		 "first write); lease at %s",
		 cfg->gcp.managed_zone, g->project, cfg->record);
	return rest_check(p, &g->token, fn, arg, token_ok, read_ok, d);
}

static void g_free(provider_t *p)
{
	gcp_t *g = g_of(p);
	g_cancel(p);
	rest_op_free(&g->op);
	jwt_key_free(g->jwt);
	gcp_key_clear(&g->key);
	explicit_bzero(&g->token, sizeof(g->token));
	free(g);
}

static const provider_ops_t gcp_ops = {
	.id = "gcp-dns",
	.atomic_cas = true,
	.read_begin = g_read_begin,
	.swap_begin = g_swap_begin,
	.cancel = g_cancel,
	.check = g_check,
	.free = g_free,
};

/* The key file, read under the secret-file rule. */
static int load_key(gcp_t *g, const char *path, df_detail_t *d)
{
	int fd = -1;
	int ret = secret_file_open(path, "key file", "GCP_CREDENTIALS_FILE", &fd, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "GCP_CREDENTIALS_FILE");
		return ret;
	}
	char *buf = malloc(GCP_KEY_FILE_MAX);
	size_t len = 0;
	ssize_t n = 0;
	if (buf == NULL) {
		close(fd);
		return DF_ENOMEM;
	}
	while (len < GCP_KEY_FILE_MAX && (n = read(fd, buf + len, GCP_KEY_FILE_MAX - len)) > 0) {
		len += (size_t)n;
	}
	close(fd);
	if (n < 0 || len >= GCP_KEY_FILE_MAX) {
		df_detail_set(d, "GCP_CREDENTIALS_FILE=%s: %s", path,
			      n < 0 ? "cannot be read" : "larger than a key file");
		ret = DF_EKEYFILE;
	} else {
		ret = gcp_parse_key_file(buf, len, path, &g->key, d);
	}
	explicit_bzero(buf, GCP_KEY_FILE_MAX);
	free(buf);
	if (ret == DF_OK) {
		ret = jwt_key_load(&g->jwt, g->key.private_key, g->key.private_key_len, d);
		if (ret != DF_OK) {
			df_detail_prefix(d, "GCP_CREDENTIALS_FILE=%s: \"private_key\"", path);
			ret = DF_EKEYFILE;
		}
	}
	return ret;
}

int provider_gcp_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	const config_gcp_t *c = &cfg->gcp;
	const char *why = NULL;
	if (c->credentials_file[0] == '\0' || c->managed_zone[0] == '\0') {
		df_detail_set(d, "DNS_PROVIDER=gcp-dns needs GCP_CREDENTIALS_FILE and "
				 "GCP_MANAGED_ZONE");
		return DF_ECONFIG;
	}
	gcp_t *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		return DF_ENOMEM;
	}
	g->base.ops = &gcp_ops;
	g->base.cfg = cfg;
	g->op = (rest_op_t){.p = &g->base, .build = g_build, .advance = g_advance, .ctx = g};
	int ret = load_key(g, c->credentials_file, d);
	if (ret != DF_OK) {
		goto fail;
	}
	snprintf(g->token_uri, sizeof(g->token_uri), "%s",
		 c->token_uri[0] != '\0'       ? c->token_uri
		 : g->key.token_uri[0] != '\0' ? g->key.token_uri
					       : GCP_DEFAULT_TOKEN);
	if (!http_client_url_usable(g->token_uri, &why)) {
		df_detail_set(d, "the token URI %s (GCP_TOKEN_URI or the key file's token_uri): %s",
			      g->token_uri, why);
		ret = DF_ECONFIG;
		goto fail;
	}
	snprintf(g->project, sizeof(g->project), "%s",
		 c->project_id[0] != '\0' ? c->project_id : g->key.project_id);
	if (g->project[0] == '\0' ||
	    strspn(g->project, "abcdefghijklmnopqrstuvwxyz0123456789-.:") != strlen(g->project)) {
		df_detail_set(d, "gcp-dns needs GCP_PROJECT_ID (the key file names no usable "
				 "project_id)");
		ret = DF_ECONFIG;
		goto fail;
	}
	snprintf(g->api, sizeof(g->api), "%s", c->api_url);
	size_t len = strlen(g->api);
	while (len > 0 && g->api[len - 1] == '/') {
		g->api[--len] = '\0';
	}
	snprintf(g->zone_path, sizeof(g->zone_path), "/projects/%s/managedZones/%s", g->project,
		 c->managed_zone);
	g->opt = (http_options_t){
		.ca_file = c->ca_file,
		.proxy = cfg->https_proxy,
		.connect_timeout_ms = (long)c->timeout * 1000,
		.timeout_ms = (long)c->timeout * 1000,
		.body_max = GCP_BODY_MAX,
	};
	*out = &g->base;
	return DF_OK;
fail:
	jwt_key_free(g->jwt);
	gcp_key_clear(&g->key);
	free(g);
	return ret;
}
