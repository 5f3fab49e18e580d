/*
 * The daemon: configuration, backends, workers, the listener, and the
 * answers to DA. A rawsave or delete is answered error=0 only after its
 * transaction is committed; an invalid request never reaches the queue.
 */
#include "zones/zonepushd.h"

#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/common/log.h"
#include "zones/zp_proto.h"
#include "zones/zp_zone.h"

#define DEFAULT_CONF "/etc/zonepushd/zonepushd.conf"
#define REPLY_MAX    1024
#define REALM	     "Basic realm=\"zonepushd\""

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void reply(http_response_t *resp, unsigned status, const char *text)
{
	http_response_text(resp, status, "text/plain", text);
}

static void reply_error(http_response_t *resp, unsigned status, const char *why)
{
	char buf[REPLY_MAX] = "";
	zp_reply_add(buf, sizeof(buf), "error", "1");
	zp_reply_add(buf, sizeof(buf), "text", why);
	reply(resp, status, buf);
}

static void do_exists(zp_daemon_t *zd, const zp_request_t *r, http_response_t *resp)
{
	zp_zone_info_t info;
	df_detail_t d = {{0}};
	char buf[REPLY_MAX] = "";
	const char *domain = r->domains[0];
	if (zp_queue_lookup(zd->q, domain, &info, &d) != DF_OK) {
		log_err("exists %s: %s", domain, d.msg);
		reply_error(resp, 500, "internal error reading the queue");
		return;
	}
	zp_reply_add(buf, sizeof(buf), "error", "0");
	if (info.exists) {
		char details[600];
		snprintf(details, sizeof(details), "Domain exists on %s", info.hostname);
		zp_reply_add(buf, sizeof(buf), "exists", "1");
		zp_reply_add(buf, sizeof(buf), "details", details);
		reply(resp, 200, buf);
		return;
	}
	const char *dot = strchr(domain, '.');
	if (r->check_parent && dot != NULL && strchr(dot + 1, '.') != NULL) {
		zp_zone_info_t parent;
		if (zp_queue_lookup(zd->q, dot + 1, &parent, &d) != DF_OK) {
			log_err("exists %s: %s", dot + 1, d.msg);
			reply_error(resp, 500, "internal error reading the queue");
			return;
		}
		if (parent.exists) {
			if (zd->conf.cluster_owner) {
				zp_reply_add(buf, sizeof(buf), "exists", "3");
				zp_reply_add(buf, sizeof(buf), "hostname", parent.hostname);
				zp_reply_add(buf, sizeof(buf), "username", parent.username);
			} else {
				char details[600];
				snprintf(details, sizeof(details), "Parent Domain exists on %s",
					 parent.hostname);
				zp_reply_add(buf, sizeof(buf), "exists", "2");
				zp_reply_add(buf, sizeof(buf), "details", details);
			}
			reply(resp, 200, buf);
			return;
		}
	}
	zp_reply_add(buf, sizeof(buf), "exists", "0");
	reply(resp, 200, buf);
}

static void do_rawsave(zp_daemon_t *zd, const zp_request_t *r, const char *peer, int64_t t0,
		       http_response_t *resp)
{
	const char *domain = r->domains[0];
	zp_zone_t z;
	char why[ZP_WHY_MAX];
	if (r->zone_len > zd->conf.max_body) {
		reply_error(resp, 400, "zone larger than max_zone_bytes");
		return;
	}
	if (!zp_zone_parse(domain, r->zone, r->zone_len, &z, why, sizeof(why))) {
		atomic_fetch_add(&zd->push_invalid, 1);
		char esc[ZP_WHY_MAX * 2];
		log_warn("rawsave %s from %s: invalid zone, refused: %s", domain, peer,
			 log_escape(esc, sizeof(esc), why, strlen(why)));
		char text[ZP_WHY_MAX + 64];
		snprintf(text, sizeof(text), "invalid zone %s: %s", domain, why);
		reply_error(resp, 400, text);
		return;
	}
	size_t records = zp_zone_count(&z);
	zp_zone_free(&z);
	enum zp_push_result res;
	df_detail_t d = {{0}};
	if (zp_queue_push(zd->q, domain, r->zone, r->zone_len, r->hostname, r->username,
			  (int64_t)time(NULL), &res, &d) != DF_OK) {
		log_err("rawsave %s: not queued: %s", domain, d.msg);
		reply_error(resp, 500, "the zone could not be queued (see the zonepushd log)");
		return;
	}
	int64_t us = mono_us() - t0;
	atomic_fetch_add(&zd->push_latency_us_sum, (uint64_t)us);
	atomic_fetch_add(&zd->push_latency_count, 1);
	if (res == ZP_PUSH_QUEUED) {
		atomic_fetch_add(&zd->push_queued, 1);
		zp_wake_all(&zd->wake, false);
		log_info("rawsave %s from %s (%s): %zu records queued", domain, peer,
			 r->hostname[0] != '\0' ? r->hostname : "no hostname", records);
	} else {
		atomic_fetch_add(&zd->push_unchanged, 1);
		log_debug("rawsave %s from %s: unchanged, nothing to write", domain, peer);
	}
	reply(resp, 200, "error=0");
}

static void do_delete(zp_daemon_t *zd, const zp_request_t *r, const char *peer,
		      http_response_t *resp)
{
	bool queued = false;
	for (size_t i = 0; i < r->ndomains; i++) {
		enum zp_delete_result res;
		df_detail_t d = {{0}};
		if (zp_queue_delete(zd->q, r->domains[i], r->hostname, (int64_t)time(NULL), &res,
				    &d) != DF_OK) {
			log_err("delete %s: not queued: %s", r->domains[i], d.msg);
			reply_error(resp, 500,
				    "the delete could not be queued (see the zonepushd log)");
			return;
		}
		if (res == ZP_DELETE_REFUSED) {
			zp_zone_info_t info;
			zp_queue_lookup(zd->q, r->domains[i], &info, &d);
			atomic_fetch_add(&zd->deletes_refused, 1);
			log_warn("delete %s from %s refused: the request's hostname \"%s\" is not "
				 "the zone's master %s",
				 r->domains[i], peer, r->hostname, info.hostname);
			char text[ZP_NAME_MAX * 3];
			snprintf(text, sizeof(text), "%s is mastered by %s, not %s", r->domains[i],
				 info.hostname, r->hostname[0] != '\0' ? r->hostname : "(none)");
			if (queued) {
				zp_wake_all(&zd->wake, false);
			}
			reply_error(resp, 403, text);
			return;
		}
		if (res == ZP_DELETE_QUEUED) {
			queued = true;
			atomic_fetch_add(&zd->deletes, 1);
			log_info("delete %s from %s: queued", r->domains[i], peer);
		} else {
			log_info("delete %s from %s: not stored, nothing to do", r->domains[i],
				 peer);
		}
	}
	if (queued) {
		zp_wake_all(&zd->wake, false);
	}
	reply(resp, 200, "error=0");
}

void zp_handle(void *arg, const http_sreq_t *req, http_response_t *resp)
{
	zp_daemon_t *zd = arg;
	const char *authorization = http_req_header(req, "Authorization");
	const char *peer = http_req_client(req);
	size_t body_len = 0;
	const uint8_t *body = (const uint8_t *)http_req_body(req, &body_len);
	int64_t t0 = mono_us();
	atomic_fetch_add(&zd->requests, 1);
	if (!zp_auth_ok(authorization, zd->conf.user, zd->conf.password)) {
		atomic_fetch_add(&zd->auth_failures, 1);
		log_warn("request from %s: %s credentials: 401", peer,
			 authorization == NULL ? "no" : "wrong");
		reply_error(resp, 401, "authentication required");
		http_response_header(resp, "WWW-Authenticate", REALM);
		return;
	}
	zp_request_t r;
	if (!zp_request_parse(http_req_method(req), http_req_target(req), body, body_len, &r)) {
		char esc[ZP_WHY_MAX * 2];
		log_warn("request from %s refused (%u): %s", peer, r.status,
			 log_escape(esc, sizeof(esc), r.why, strlen(r.why)));
		reply_error(resp, r.status, r.why);
		zp_request_free(&r);
		return;
	}
	switch (r.action) {
	case ZP_ACT_LOGIN_TEST:
		reply(resp, 200, "error=0&text=Login+OK");
		break;
	case ZP_ACT_NONE:
		reply(resp, 200, "error=0&text=OK");
		break;
	case ZP_ACT_EXISTS:
		do_exists(zd, &r, resp);
		break;
	case ZP_ACT_RAWSAVE:
		do_rawsave(zd, &r, peer, t0, resp);
		break;
	case ZP_ACT_DELETE:
		do_delete(zd, &r, peer, resp);
		break;
	case ZP_ACT_METRICS: {
		size_t len = 0;
		char *page = zp_metrics_render(zd, &len);
		if (page == NULL) {
			reply_error(resp, 500, "out of memory");
			break;
		}
		resp->status = 200;
		resp->body = page;
		resp->len = len;
		resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
		break;
	}
	}
	zp_request_free(&r);
}

/* Appends to a growing page. */
typedef struct page {
	char *buf;
	size_t len, cap;
} page_t;

__attribute__((format(printf, 2, 3))) static void put(page_t *p, const char *fmt, ...)
{
	for (;;) {
		if (p->buf == NULL && p->cap != 0) {
			return;
		}
		va_list ap;
		va_start(ap, fmt);
		int n = p->buf != NULL ? vsnprintf(p->buf + p->len, p->cap - p->len, fmt, ap) : -1;
		va_end(ap);
		if (n >= 0 && p->len + (size_t)n < p->cap) {
			p->len += (size_t)n;
			return;
		}
		size_t cap = p->cap != 0 ? p->cap * 2 : 8192;
		char *b = realloc(p->buf, cap);
		if (b == NULL) {
			free(p->buf);
			p->buf = NULL;
			p->cap = 1;
			return;
		}
		p->buf = b;
		p->cap = cap;
	}
}

char *zp_metrics_render(zp_daemon_t *zd, size_t *len)
{
	page_t p = {0};
	put(&p,
	    "# HELP zonepushd_zones Zones stored (last good text kept).\n"
	    "# TYPE zonepushd_zones gauge\nzonepushd_zones %lld\n",
	    (long long)zp_queue_zone_count(zd->q));
	put(&p, "# HELP zonepushd_pushes_total Zone pushes answered, by result.\n"
		"# TYPE zonepushd_pushes_total counter\n");
	put(&p, "zonepushd_pushes_total{result=\"queued\"} %llu\n",
	    (unsigned long long)atomic_load(&zd->push_queued));
	put(&p, "zonepushd_pushes_total{result=\"unchanged\"} %llu\n",
	    (unsigned long long)atomic_load(&zd->push_unchanged));
	put(&p, "zonepushd_pushes_total{result=\"invalid\"} %llu\n",
	    (unsigned long long)atomic_load(&zd->push_invalid));
	put(&p,
	    "# HELP zonepushd_deletes_total Deletes answered, by result.\n"
	    "# TYPE zonepushd_deletes_total counter\n"
	    "zonepushd_deletes_total{result=\"queued\"} %llu\n"
	    "zonepushd_deletes_total{result=\"refused\"} %llu\n",
	    (unsigned long long)atomic_load(&zd->deletes),
	    (unsigned long long)atomic_load(&zd->deletes_refused));
	put(&p,
	    "# HELP zonepushd_auth_failures_total Requests refused for their credentials.\n"
	    "# TYPE zonepushd_auth_failures_total counter\nzonepushd_auth_failures_total %llu\n",
	    (unsigned long long)atomic_load(&zd->auth_failures));
	put(&p,
	    "# HELP zonepushd_push_latency_seconds Time from request to committed queue item.\n"
	    "# TYPE zonepushd_push_latency_seconds summary\n"
	    "zonepushd_push_latency_seconds_sum %.6f\nzonepushd_push_latency_seconds_count %llu\n",
	    (double)atomic_load(&zd->push_latency_us_sum) / 1e6,
	    (unsigned long long)atomic_load(&zd->push_latency_count));
	put(&p,
	    "# HELP zonepushd_reconcile_passes_total Reconciler passes.\n"
	    "# TYPE zonepushd_reconcile_passes_total counter\nzonepushd_reconcile_passes_total "
	    "%llu\n"
	    "# HELP zonepushd_reconcile_listings_total DA listings, by result.\n"
	    "# TYPE zonepushd_reconcile_listings_total counter\n"
	    "zonepushd_reconcile_listings_total{result=\"ok\"} %llu\n"
	    "zonepushd_reconcile_listings_total{result=\"failed\"} %llu\n"
	    "# HELP zonepushd_reconcile_orphans_total Zones no master lists, by action.\n"
	    "# TYPE zonepushd_reconcile_orphans_total counter\n"
	    "zonepushd_reconcile_orphans_total{action=\"deleted\"} %llu\n"
	    "zonepushd_reconcile_orphans_total{action=\"dry_run\"} %llu\n",
	    (unsigned long long)atomic_load(&zd->rec.passes),
	    (unsigned long long)atomic_load(&zd->rec.listings_ok),
	    (unsigned long long)atomic_load(&zd->rec.listings_failed),
	    (unsigned long long)atomic_load(&zd->rec.orphans_queued),
	    (unsigned long long)atomic_load(&zd->rec.orphans_dry_run));
	static const char *const fams[][3] = {
		{"queue_depth", "gauge", "Operations waiting for the backend."},
		{"dead_letters", "gauge", "Operations that failed the whole retry schedule."},
		{"applied_total", "counter", "Operations the backend applied."},
		{"failed_total", "counter", "Attempts that failed on the backend."},
		{"dead_total", "counter", "Operations moved to the dead letters."},
		{"healed_total", "counter", "Operations queued again by the healing pass."},
		{"last_success_timestamp_seconds", "gauge", "When a batch last succeeded."},
	};
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		put(&p, "# HELP zonepushd_backend_%s %s\n# TYPE zonepushd_backend_%s %s\n",
		    fams[f][0], fams[f][2], fams[f][0], fams[f][1]);
		for (size_t i = 0; i < zd->nworkers; i++) {
			zp_worker_t *w = &zd->workers[i];
			zp_backend_stats_t st = {0};
			long long v = 0;
			if (f < 2) {
				zp_queue_stats(zd->q, w->be->name, &st);
				v = f == 0 ? st.pending : st.dead;
			} else if (f == 2) {
				v = (long long)atomic_load(&w->applied);
			} else if (f == 3) {
				v = (long long)atomic_load(&w->failed);
			} else if (f == 4) {
				v = (long long)atomic_load(&w->dead);
			} else if (f == 5) {
				v = (long long)atomic_load(&w->healed);
			} else {
				v = (long long)atomic_load(&w->last_ok);
			}
			put(&p, "zonepushd_backend_%s{backend=\"%s\",type=\"%s\"} %lld\n",
			    fams[f][0], w->be->name, w->be->ops->type, v);
		}
	}
	if (p.buf == NULL) {
		return NULL;
	}
	*len = p.len;
	return p.buf;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: zonepushd [-c FILE] [-n]        run (or -n: check the configuration)\n"
		   "       zonepushd [-c FILE] status      the queue, per backend, and the dead "
		   "letters\n"
		   "  -c FILE  configuration (default " DEFAULT_CONF ")\n");
}

static void set_log_level(const char *l)
{
	log_set_level(strcmp(l, "error") == 0	? LOG_LEVEL_ERROR
		      : strcmp(l, "warn") == 0	? LOG_LEVEL_WARN
		      : strcmp(l, "debug") == 0 ? LOG_LEVEL_DEBUG
						: LOG_LEVEL_INFO);
}

static void print_dead(void *arg, const char *backend, const char *zone, const char *op,
		       unsigned attempts, const char *error, int64_t at)
{
	(void)arg;
	char when[32];
	time_t t = (time_t)at;
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	printf("dead %s %s %s after %u attempts at %s: %s\n", backend, zone, op, attempts, when,
	       error);
}

static int cmd_status(zp_conf_t *c)
{
	const char *names[ZP_BACKENDS_MAX];
	size_t n = 0;
	for (size_t i = 0; i < c->nbackends; i++) {
		if (c->backends[i].enabled) {
			names[n++] = c->backends[i].name;
		}
	}
	zp_queue_t *q;
	df_detail_t d = {{0}};
	if (zp_queue_open(&q, c->state_db, names, n, &d) != DF_OK) {
		fprintf(stderr, "zonepushd status: %s\n", d.msg);
		return 1;
	}
	printf("zones %lld\n", (long long)zp_queue_zone_count(q));
	int64_t dead = 0;
	for (size_t i = 0; i < n; i++) {
		zp_backend_stats_t st;
		zp_queue_stats(q, names[i], &st);
		printf("backend %s pending %lld applied %lld dead %lld\n", names[i],
		       (long long)st.pending, (long long)st.applied, (long long)st.dead);
		dead += st.dead;
	}
	zp_queue_each_dead(q, print_dead, NULL);
	zp_queue_close(q);
	return dead > 0 ? 2 : 0;
}

static int make_backends(zp_daemon_t *zd, df_detail_t *d)
{
	for (size_t i = 0; i < zd->conf.nbackends; i++) {
		zp_backend_conf_t *bc = &zd->conf.backends[i];
		if (!bc->enabled) {
			continue;
		}
		zp_worker_t *w = &zd->workers[zd->nworkers];
		int ret = zp_backend_create(&w->be, bc, d);
		if (ret != DF_OK) {
			return ret;
		}
		w->bconf = bc;
		w->conf = &zd->conf;
		w->wake = &zd->wake;
		zd->nworkers++;
	}
	return DF_OK;
}

static void teardown(zp_daemon_t *zd)
{
	http_server_stop(zd->http);
	zd->http = NULL;
	zp_wake_all(&zd->wake, true);
	zp_reconciler_join(&zd->rec);
	zp_reconciler_deinit(&zd->rec);
	for (size_t i = 0; i < zd->nworkers; i++) {
		zp_worker_join(&zd->workers[i]);
		zp_backend_destroy(zd->workers[i].be);
	}
	zp_queue_close(zd->q);
	zp_wake_destroy(&zd->wake);
	zp_conf_deinit(&zd->conf);
}

int zonepushd_main(int argc, char **argv)
{
	const char *conf = DEFAULT_CONF;
	bool check = false;
	int opt;
	while ((opt = getopt(argc, argv, "c:nhV")) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("zonepushd " PACKAGE_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	bool status = false;
	if (optind < argc) {
		if (strcmp(argv[optind], "status") != 0 || optind + 1 != argc) {
			usage(stderr);
			return 64;
		}
		status = true;
	}
	static zp_daemon_t zd;
	df_detail_t d = {{0}};
	if (zp_conf_load(&zd.conf, conf, &d) != DF_OK) {
		fprintf(stderr, "zonepushd: %s\n", d.msg);
		return 78;
	}
	set_log_level(zd.conf.log_level);
	if (status) {
		int rc = cmd_status(&zd.conf);
		zp_conf_deinit(&zd.conf);
		return rc;
	}
	zp_wake_init(&zd.wake);
	int ret = make_backends(&zd, &d);
	if (ret == DF_OK) {
		ret = zp_reconciler_init(&zd.rec, &zd.conf, &d);
		zd.rec.wake = &zd.wake;
	}
	if (ret != DF_OK) {
		fprintf(stderr, "zonepushd: %s\n", d.msg);
		teardown(&zd);
		return 78;
	}
	if (check) {
		printf("zonepushd: %s is valid (%zu backend(s))\n", conf, zd.nworkers);
		teardown(&zd);
		return 0;
	}
	const char *names[ZP_BACKENDS_MAX];
	for (size_t i = 0; i < zd.nworkers; i++) {
		names[i] = zd.workers[i].be->name;
	}
	/* Signals are taken by sigwait() below, in no other thread. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = zp_queue_open(&zd.q, zd.conf.state_db, names, zd.nworkers, &d);
	for (size_t i = 0; ret == DF_OK && i < zd.nworkers; i++) {
		ret = zp_worker_start(&zd.workers[i], &d);
	}
	if (ret == DF_OK) {
		ret = zp_reconciler_start(&zd.rec, names, zd.nworkers, &d);
	}
	http_server_opts_t ho = {
		.listen = zd.conf.listen,
		.setting = "listen",
		.tls_cert = zd.conf.tls_cert,
		.tls_key = zd.conf.tls_key,
		.conn_max = 64,
		.timeout_s = 30,
		.body_max = zd.conf.max_body,
		.handler = zp_handle,
		.arg = &zd,
		/* The queue handle is the server thread's alone. */
		.serial = true,
		.too_large_type = "text/plain",
		.too_large_text = "error=1&text=request+body+too+large",
	};
	if (ret == DF_OK) {
		ret = http_server_start(&zd.http, &ho, &d);
	}
	if (ret != DF_OK) {
		log_err("zonepushd: %s", d.msg);
		teardown(&zd);
		return 1;
	}
	log_info("zonepushd: listening on %s (port %u, %s), %zu backend(s), queue %s",
		 zd.conf.listen, (unsigned)http_server_port(zd.http),
		 zd.conf.tls_cert[0] != '\0' ? "TLS" : "plain HTTP", zd.nworkers, zd.conf.state_db);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0) {
			continue;
		}
		if (sig == SIGHUP) {
			log_info("zonepushd: SIGHUP: every backend runs its healing pass now");
			zp_wake_heal(&zd.wake);
			continue;
		}
		log_info("zonepushd: signal %d, stopping", sig);
		break;
	}
	teardown(&zd);
	return 0;
}
