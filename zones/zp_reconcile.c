/* The reconciler. */
#include "zones/zp_reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/common/secret_file.h"
#include "src/http/http_client.h"
#include "zones/zp_proto.h"

#define LIST_BODY_MAX (32 * 1024 * 1024)
#define PAGES_MAX     10000

/* GET url with Basic auth, redirects not followed. Returns DF_OK with the
 * status and the body copied into *body (malloc()ed). */
typedef struct answer {
	long status;
	char *body;
	size_t len;
	char type[128];
	char cookie[512];
} answer_t;

/*
 * One request to the master, redirects not followed: a GET with Basic auth,
 * or with the session cookie when there is one; or, with form, the login
 * POST. On DF_OK a holds the answer (free a->body).
 */
static int ask(const zp_master_t *m, const char *url, const char *cookie, const char *form,
	       answer_t *a, df_detail_t *d)
{
	http_options_t o = {
		.user_agent = NULL,
		.ca_file = m->ca_file,
		.connect_timeout_ms = (long)m->timeout_s * 1000,
		.timeout_ms = (long)m->timeout_s * 1000 * 2,
		.body_max = LIST_BODY_MAX,
		.max_redirects = 0,
	};
	http_request_t *req = NULL;
	int ret = http_request_new(&req, form != NULL ? "POST" : "GET", url, &o, d);
	if (ret != DF_OK) {
		return ret;
	}
	char cred[400], enc[600], hdr[640];
	snprintf(cred, sizeof(cred), "%s:%s", m->user, m->password);
	zp_b64_encode(cred, enc, sizeof(enc));
	if (form != NULL) {
		ret = http_request_set_body(req, form, strlen(form));
		if (ret == DF_OK) {
			ret = http_request_add_header(
				req, "Content-Type: application/x-www-form-urlencoded");
		}
	} else if (cookie != NULL && cookie[0] != '\0') {
		snprintf(hdr, sizeof(hdr), "Cookie: %s", cookie);
		ret = http_request_add_header(req, hdr);
	} else {
		snprintf(hdr, sizeof(hdr), "Authorization: Basic %s", enc);
		ret = http_request_add_header(req, hdr);
	}
	explicit_bzero(cred, sizeof(cred));
	explicit_bzero(enc, sizeof(enc));
	explicit_bzero(hdr, sizeof(hdr));
	if (ret == DF_OK) {
		ret = http_client_perform(req, d);
		if (ret != DF_OK && http_request_fail(req) != HTTP_FAIL_NONE) {
			df_detail_set(d, "%s", http_request_reason(req));
		}
	}
	if (ret == DF_OK) {
		a->status = http_request_status(req);
		snprintf(a->type, sizeof(a->type), "%s", http_request_content_type(req));
		snprintf(a->cookie, sizeof(a->cookie), "%s", http_request_set_cookie(req));
		size_t n = 0;
		const char *b = http_request_body(req, &n);
		a->body = malloc(n + 1);
		if (a->body == NULL) {
			ret = DF_ENOMEM;
		} else {
			memcpy(a->body, b, n);
			a->body[n] = '\0';
			a->len = n;
		}
	}
	http_request_free(req);
	return ret;
}

static void answer_clear(answer_t *a)
{
	free(a->body);
	explicit_bzero(a->cookie, sizeof(a->cookie));
	memset(a, 0, sizeof(*a));
}

/* The Evolution skin refuses Basic auth with a redirect: log in with
 * POST /CMD_LOGIN and keep the session cookie it sets. */
static int login(const zp_master_t *m, char *cookie, size_t size, df_detail_t *d)
{
	char url[700];
	snprintf(url, sizeof(url), "%s/CMD_LOGIN", m->url);
	char *u = http_client_escape(m->user);
	char *p = http_client_escape(m->password);
	char *ref = http_client_escape("/CMD_DNS_ADMIN?json=yes&page=1&ipp=500");
	if (u == NULL || p == NULL || ref == NULL) {
		free(u);
		free(p);
		free(ref);
		return DF_ENOMEM;
	}
	size_t flen = strlen(u) + strlen(p) + strlen(ref) + 64;
	char *form = malloc(flen);
	if (form == NULL) {
		free(u);
		free(p);
		free(ref);
		return DF_ENOMEM;
	}
	snprintf(form, flen, "username=%s&password=%s&referer=%s", u, p, ref);
	explicit_bzero(p, strlen(p));
	free(u);
	free(p);
	free(ref);
	answer_t a = {0};
	int ret = ask(m, url, NULL, form, &a, d);
	explicit_bzero(form, flen);
	free(form);
	if (ret == DF_OK && a.cookie[0] == '\0') {
		df_detail_set(d,
			      "%s: HTTP %ld and no session cookie (check user and password_file)",
			      url, a.status);
		ret = DF_EACCES;
	}
	if (ret == DF_OK) {
		snprintf(cookie, size, "%s", a.cookie);
	}
	answer_clear(&a);
	return ret;
}

static bool is_html(const answer_t *a)
{
	return strncasecmp(a->type, "text/html", 9) == 0;
}

static int list_legacy(const zp_master_t *m, const char *cookie, zp_names_t *out, df_detail_t *d)
{
	char url[700];
	snprintf(url, sizeof(url), "%s/CMD_API_SHOW_ALL_DOMAINS", m->url);
	answer_t a = {0};
	int ret = ask(m, url, cookie, NULL, &a, d);
	if (ret != DF_OK) {
		return ret;
	}
	char why[256];
	if (a.status != 200) {
		df_detail_set(d, "%s: HTTP %ld", url, a.status);
		ret = DF_ERCODE;
	} else if (is_html(&a)) {
		df_detail_set(d, "%s: an HTML page, not the listing", url);
		ret = DF_EMALFORMED;
	} else if (!zp_da_parse_legacy(a.body, a.len, out, why, sizeof(why))) {
		df_detail_set(d, "%s: %s", url, why);
		ret = DF_EMALFORMED;
	}
	answer_clear(&a);
	return ret;
}

int zp_da_list(const zp_master_t *m, zp_names_t *out, df_detail_t *d)
{
	int pages = 1;
	char cookie[512] = "";
	bool logged_in = false;
	int ret = DF_OK;
	for (int page = 1; ret == DF_OK && page <= pages && page <= PAGES_MAX; page++) {
		char url[700];
		snprintf(url, sizeof(url), "%s/CMD_DNS_ADMIN?json=yes&page=%d&ipp=%u", m->url, page,
			 m->page_size);
		answer_t a = {0};
		ret = ask(m, url, cookie, NULL, &a, d);
		if (ret != DF_OK) {
			df_detail_prefix(d, "listing %s", m->hostname);
			break;
		}
		char why[256];
		if (a.status >= 300 && a.status < 400 && !logged_in) {
			/* Basic auth refused with a redirect: log in, ask again. */
			answer_clear(&a);
			ret = login(m, cookie, sizeof(cookie), d);
			if (ret != DF_OK) {
				df_detail_prefix(d,
						 "listing %s: Basic auth redirected, login failed",
						 m->hostname);
				break;
			}
			logged_in = true;
			page--;
			continue;
		}
		if (a.status == 404 && page == 1) {
			answer_clear(&a);
			ret = list_legacy(m, cookie, out, d);
			if (ret != DF_OK) {
				df_detail_prefix(d, "listing %s", m->hostname);
			}
			break;
		}
		if (a.status != 200) {
			df_detail_set(
				d, "listing %s: %s answered HTTP %ld%s", m->hostname, url, a.status,
				a.status >= 300 && a.status < 400 ? " even after the login" : "");
			ret = DF_ERCODE;
		} else if (is_html(&a)) {
			df_detail_set(d, "listing %s: %s: an HTML page, not the JSON listing",
				      m->hostname, url);
			ret = DF_EMALFORMED;
		} else if (!zp_da_parse_json(a.body, a.len, out, &pages, why, sizeof(why))) {
			df_detail_set(d, "listing %s: %s: %s", m->hostname, url, why);
			ret = DF_EMALFORMED;
		}
		answer_clear(&a);
	}
	explicit_bzero(cookie, sizeof(cookie));
	return ret;
}

typedef struct orphan_ctx {
	const zp_names_t *listed;
	zp_names_t orphans;
} orphan_ctx_t;

static void collect(void *arg, const char *zone)
{
	orphan_ctx_t *o = arg;
	if (!zp_names_has(o->listed, zone)) {
		zp_names_add(&o->orphans, zone);
	}
}

int zp_reconcile_pass(zp_reconciler_t *r, zp_queue_t *q, int64_t now)
{
	int total = 0;
	atomic_fetch_add(&r->passes, 1);
	for (size_t i = 0; i < r->nmasters; i++) {
		const zp_master_t *m = &r->masters[i];
		zp_names_t listed = {0};
		df_detail_t d = {{0}};
		if (zp_da_list(m, &listed, &d) != DF_OK) {
			atomic_fetch_add(&r->listings_failed, 1);
			log_warn("reconciler: %s is unknown for this pass, none of its zones is "
				 "touched: %s",
				 m->hostname, d.msg);
			zp_names_clear(&listed);
			continue;
		}
		atomic_fetch_add(&r->listings_ok, 1);
		zp_names_sort(&listed);
		orphan_ctx_t o = {.listed = &listed};
		zp_queue_each_zone(q, m->hostname, collect, &o);
		for (size_t k = 0; k < o.orphans.n; k++) {
			const char *zone = o.orphans.v[k];
			if (r->conf->reconcile_dry_run) {
				atomic_fetch_add(&r->orphans_dry_run, 1);
				log_info("reconciler (dry run): would delete %s: %s no longer "
					 "lists it",
					 zone, m->hostname);
				total++;
				continue;
			}
			enum zp_delete_result res;
			if (zp_queue_delete(q, zone, m->hostname, now, &res, &d) == DF_OK &&
			    res == ZP_DELETE_QUEUED) {
				atomic_fetch_add(&r->orphans_queued, 1);
				log_info("reconciler: %s queued for deletion: %s (%zu domains "
					 "listed) "
					 "no longer lists it",
					 zone, m->hostname, listed.n);
				total++;
			}
		}
		if (o.orphans.n > 0 && !r->conf->reconcile_dry_run) {
			zp_wake_all(r->wake, false);
		}
		zp_names_clear(&o.orphans);
		zp_names_clear(&listed);
	}
	return total;
}

static void *reconciler_main(void *arg)
{
	zp_reconciler_t *r = arg;
	for (;;) {
		zp_reconcile_pass(r, r->q, (int64_t)time(NULL));
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += r->conf->reconcile_interval;
		pthread_mutex_lock(&r->wake->mu);
		while (!r->wake->stop) {
			if (pthread_cond_timedwait(&r->wake->cv, &r->wake->mu, &ts) != 0) {
				break;
			}
		}
		bool stop = r->wake->stop;
		pthread_mutex_unlock(&r->wake->mu);
		if (stop) {
			break;
		}
	}
	return NULL;
}

static int master_from(zp_master_t *m, zp_backend_conf_t *c, df_detail_t *d)
{
	snprintf(m->hostname, sizeof(m->hostname), "%s", c->name);
	const char *url = zp_kv_get(c, "url", NULL);
	const char *user = zp_kv_get(c, "user", NULL);
	const char *pw = zp_kv_get(c, "password_file", NULL);
	const char *reason = NULL;
	if (url == NULL || user == NULL || pw == NULL) {
		df_detail_set(d, "%s:%d: master %s: url, user and password_file are required",
			      c->file, c->line, c->name);
		return DF_ECONFIG;
	}
	if (!http_client_url_usable(url, &reason) || strlen(url) >= sizeof(m->url)) {
		df_detail_set(d, "%s:%d: master %s: url: %s", c->file, c->line, c->name,
			      reason != NULL ? reason : "too long");
		return DF_ECONFIG;
	}
	snprintf(m->url, sizeof(m->url), "%s", url);
	size_t ul = strlen(m->url);
	while (ul > 0 && m->url[ul - 1] == '/') {
		m->url[--ul] = '\0';
	}
	snprintf(m->user, sizeof(m->user), "%s", user);
	snprintf(m->ca_file, sizeof(m->ca_file), "%s", zp_kv_get(c, "ca_file", ""));
	int ret = zp_kv_uint(c, "page_size", 1000, 1, 100000, &m->page_size, d);
	if (ret == DF_OK) {
		ret = zp_kv_uint(c, "timeout", 30, 1, 600, &m->timeout_s, d);
	}
	if (ret != DF_OK) {
		return ret;
	}
	int fd;
	ret = secret_file_open(pw, "password file", "password_file", &fd, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "%s:%d: master %s", c->file, c->line, c->name);
		return ret;
	}
	ssize_t n = read(fd, m->password, sizeof(m->password) - 1);
	close(fd);
	if (n <= 0) {
		df_detail_set(d, "%s:%d: master %s: password file %s is empty", c->file, c->line,
			      c->name, pw);
		return DF_ECONFIG;
	}
	m->password[n] = '\0';
	m->password[strcspn(m->password, "\r\n")] = '\0';
	for (size_t i = 0; i < c->nkv; i++) {
		if (!c->kv[i].used) {
			df_detail_set(d,
				      "%s:%d: unknown key \"%s\" for master %s (url, user, "
				      "password_file, page_size, timeout, ca_file)",
				      c->file, c->kv[i].line, c->kv[i].key, c->name);
			return DF_ECONFIG;
		}
	}
	return DF_OK;
}

int zp_reconciler_init(zp_reconciler_t *r, zp_conf_t *c, df_detail_t *d)
{
	memset(r, 0, sizeof(*r));
	r->conf = c;
	for (size_t i = 0; i < c->nmasters; i++) {
		int ret = master_from(&r->masters[i], &c->masters[i], d);
		if (ret != DF_OK) {
			zp_reconciler_deinit(r);
			return ret;
		}
		r->nmasters++;
	}
	if (c->reconcile_interval > 0 && r->nmasters == 0) {
		df_detail_set(d, "%s: reconcile_interval is set but no [master HOST] section",
			      c->path);
		return DF_ECONFIG;
	}
	return DF_OK;
}

int zp_reconciler_start(zp_reconciler_t *r, const char *const *backends, size_t n, df_detail_t *d)
{
	if (r->conf->reconcile_interval == 0 || r->nmasters == 0) {
		return DF_OK;
	}
	int ret = zp_queue_open(&r->q, r->conf->state_db, backends, n, d);
	if (ret != DF_OK) {
		return ret;
	}
	if (pthread_create(&r->thread, NULL, reconciler_main, r) != 0) {
		df_detail_set(d, "reconciler: cannot start its thread");
		return DF_ENOMEM;
	}
	r->started = true;
	return DF_OK;
}

void zp_reconciler_join(zp_reconciler_t *r)
{
	if (r->started) {
		pthread_join(r->thread, NULL);
		r->started = false;
	}
	zp_queue_close(r->q);
	r->q = NULL;
}

void zp_reconciler_deinit(zp_reconciler_t *r)
{
	for (size_t i = 0; i < r->nmasters; i++) {
		explicit_bzero(r->masters[i].password, sizeof(r->masters[i].password));
	}
}
