#include "src/failover/config_modules.h"
#include "src/failover/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <config.h> /* the build's, for PACKAGE_VERSION */

#include "src/common/clock.h"
#include "src/failover/cmd.h"
#include "src/failover/site.h"
#include "src/health/health.h"
#include "src/lease/lease.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"
#include "src/metrics/metrics.h"
#include "src/metrics/metrics_http.h"
#include "src/common/log.h"
#include "src/provider/provider.h"
#include "src/secrets/vault.h"
#include "src/watch/watcher.h"

typedef struct daemon {
	const daemon_opts_t *opts;
	config_t *cfg; /* owned; the provider and health check borrow it */
	provider_t *provider;
	health_t *health;   /* NULL when this role checks nothing */
	watcher_t *watcher; /* NULL without WATCH_MODE */
	metrics_t *metrics;
	metrics_http_t *http; /* NULL without METRICS_LISTEN */
	site_env_t env;	      /* the site's seams, on the real loop and clocks */
	site_t *site;	      /* the lease, the ticks, the watcher coupling */
	loop_t *loop;
	http_multi_t *multi;   /* the health check's HTTP, on the loop */
	vault_keeper_t *vault; /* renews the Vault token of the configuration */
	loop_io_t *http_io;    /* metrics_http_fd(); NULL without METRICS_LISTEN */
	int pid_fd;
} daemon_t;

static void config_warning(const char *msg)
{
	log_warn("%s", msg);
}

static int load_watcher(const config_t *cfg, watcher_t **out, df_detail_t *d)
{
	watch_backend_t *b = NULL;
	char what[WATCH_WHAT_MAX + 16];
	*out = NULL;
	int ret = watch_backend_new(&b, cfg, d);
	if (ret != DF_OK || b == NULL) {
		return ret;
	}
	/* The backend says what the collector is. */
	snprintf(what, sizeof(what), "collector (%s)", b->what);
	ret = watcher_new(out, b, what);
	if (ret != DF_OK) {
		watch_backend_free(b);
	}
	return ret;
}

/* Builds everything that depends on the configuration, or nothing. */
static int load(const daemon_opts_t *opts, config_t **cfg_out, provider_t **p_out, health_t **h_out,
		watcher_t **w_out, df_detail_t *d)
{
	config_t *cfg = calloc(1, sizeof(*cfg));
	provider_t *p = NULL;
	health_t *h = NULL;
	watcher_t *w = NULL;
	int ret = cfg == NULL ? DF_ENOMEM
			      : config_load(cfg, failover_config_modules, opts->config_path,
					    opts->envp, config_warning, d);
	if (ret != DF_OK) {
		goto fail;
	}
	ret = provider_new(&p, cfg, d);
	if (ret != DF_OK) {
		goto fail;
	}
	ret = health_new_for_site(&h, cfg, NULL, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "health check");
		goto fail;
	}
	ret = load_watcher(cfg, &w, d);
	if (ret != DF_OK) {
		goto fail;
	}
	*cfg_out = cfg;
	*p_out = p;
	*h_out = h;
	*w_out = w;
	return DF_OK;
fail:
	health_free(h);
	provider_free(p);
	if (cfg != NULL) {
		config_deinit(cfg);
		free(cfg);
	}
	return ret;
}

static void unload(daemon_t *dm)
{
	watcher_free(dm->watcher);
	dm->watcher = NULL;
	health_free(dm->health); /* cancels a check in flight */
	provider_free(dm->provider);
	if (dm->cfg != NULL) {
		config_deinit(dm->cfg);
		free(dm->cfg);
	}
	dm->health = NULL;
	dm->provider = NULL;
	dm->cfg = NULL;
}

/* ---- The site's seams on the real loop and clocks ---------------------- */

struct site_timer {
	loop_timer_t *t;
	site_timer_cb cb;
	void *arg;
};

static void on_site_timer(loop_timer_t *t, void *arg)
{
	site_timer_t *st = arg;
	(void)t;
	st->cb(st->arg);
}

static site_timer_t *env_timer_new(void *arg, site_timer_cb cb, void *cb_arg)
{
	daemon_t *dm = arg;
	site_timer_t *st = calloc(1, sizeof(*st));
	if (st == NULL) {
		return NULL;
	}
	st->cb = cb;
	st->arg = cb_arg;
	if (loop_timer_new(dm->loop, &st->t, on_site_timer, st) != DF_OK) {
		free(st);
		return NULL;
	}
	return st;
}

static void env_timer_arm(site_timer_t *st, int64_t delay_ms, int64_t interval_ms)
{
	loop_timer_arm(st->t, delay_ms, interval_ms);
}

static void env_timer_cancel(site_timer_t *st)
{
	loop_timer_cancel(st->t);
}

static void env_timer_free(site_timer_t *st)
{
	loop_timer_free(st->t);
	free(st);
}

static int64_t env_mono_ms(void *arg)
{
	(void)arg;
	return clock_mono_ms();
}

static int64_t env_lease_wall(void *arg)
{
	(void)arg;
	return clock_lease_wall();
}

static int env_health_begin(void *arg, health_t *h, health_cb cb, void *cb_arg)
{
	daemon_t *dm = arg;
	return health_check_begin(h, dm->multi, cb, cb_arg);
}

static void env_health_cancel(void *arg, health_t *h)
{
	(void)arg;
	health_check_cancel(h);
}

static void set_env(daemon_t *dm)
{
	dm->env = (site_env_t){
		.arg = dm,
		.mono_ms = env_mono_ms,
		.lease_wall = env_lease_wall,
		.timer_new = env_timer_new,
		.timer_arm = env_timer_arm,
		.timer_cancel = env_timer_cancel,
		.timer_free = env_timer_free,
		.health_begin = env_health_begin,
		.health_cancel = env_health_cancel,
		.multi = dm->multi,
	};
}

static site_parts_t parts_of(const daemon_t *dm)
{
	return (site_parts_t){.cfg = dm->cfg,
			      .provider = dm->provider,
			      .health = dm->health,
			      .watcher = dm->watcher};
}
static void reload(daemon_t *dm)
{
	config_t *cfg = NULL;
	provider_t *p = NULL;
	health_t *h = NULL;
	watcher_t *w = NULL;
	df_detail_t d = {""};
	log_info("Reloading the configuration (SIGHUP)");
	if (load(dm->opts, &cfg, &p, &h, &w, &d) != DF_OK) {
		log_err("Reload failed, keeping the current configuration: %s", d.msg);
		return;
	}
	bool same_lease = cfg->role == dm->cfg->role && strcmp(cfg->record, dm->cfg->record) == 0 &&
			  strcmp(cfg->zone, dm->cfg->zone) == 0;
	if (w != NULL) {
		watcher_set_loop(w, dm->loop);
	}
	/* The site lets go of the old parts (what is in flight on them is
	 * cancelled) before they are freed. */
	site_parts_t parts = {.cfg = cfg, .provider = p, .health = h, .watcher = w};
	site_reload(dm->site, &parts, same_lease);
	unload(dm);
	dm->cfg = cfg;
	dm->provider = p;
	dm->health = h;
	dm->watcher = w;
	metrics_set_role(dm->metrics, config_role_name(cfg->role));
	log_info("Configuration reloaded: ROLE=%s, UPDATE_INTERVAL=%u, RENEW_DEADLINE=%u, "
		 "LEASE_TTL=%u",
		 config_role_name(cfg->role), cfg->update_interval, cfg->renew_deadline,
		 cfg->lease_ttl);
}

/* Creates and locks the pid file; a second daemon on the same file is refused. */
static int pidfile_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_err("cannot open pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char buf[32] = "";
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_err("another dnsfailover is running with pid file %s (pid %s)", path, buf);
		close(fd);
		return -1;
	}
	return fd;
}

static int pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		return -1;
	}
	return 0;
}

/* Detaches from the terminal; the parent exits once the child is set up. */
static int go_background(void)
{
	pid_t pid = fork();
	if (pid < 0) {
		return -1;
	}
	if (pid > 0) {
		_exit(0);
	}
	if (setsid() < 0) {
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		return -1;
	}
	if (pid > 0) {
		_exit(0);
	}
	if (chdir("/") != 0) {
		return -1;
	}
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO) {
			close(null);
		}
	}
	return 0;
}

static void on_signal(loop_t *l, int signo, void *arg)
{
	daemon_t *dm = arg;
	if (signo == SIGHUP) {
		reload(dm);
	} else {
		log_info("Received %s, shutting down", strsignal(signo));
		loop_stop(l);
	}
}

static void on_http(loop_io_t *io, int fd, unsigned events, void *arg)
{
	(void)io;
	(void)fd;
	(void)events;
	metrics_http_run(arg);
}

static int setup_loop(daemon_t *dm)
{
	/* Blocked and read from a signalfd inside the loop: no handler runs. */
	int ret = loop_new(&dm->loop);
	int signals[] = {SIGTERM, SIGINT, SIGHUP};
	for (size_t i = 0; ret == DF_OK && i < sizeof(signals) / sizeof(signals[0]); i++) {
		ret = loop_signal_add(dm->loop, signals[i], on_signal, dm);
	}
	if (ret == DF_OK) {
		ret = http_multi_new(&dm->multi, dm->loop);
	}
	if (ret == DF_OK) {
		ret = vault_keeper_new(&dm->vault, dm->multi);
	}
	if (ret != DF_OK) {
		log_err("cannot set up the event loop: %s", df_strerror(ret));
		return -1;
	}
	return 0;
}

static void run_loop(daemon_t *dm)
{
	site_start(dm->site);
	int ret = loop_run(dm->loop);
	if (ret != DF_OK) {
		log_err("event loop failed: %s", df_strerror(ret));
	}
}

int daemon_run(const daemon_opts_t *opts)
{
	daemon_t dm = {.opts = opts, .pid_fd = -1};
	df_detail_t d = {""};
	int code = CMD_EXIT_FAIL;

	if (load(opts, &dm.cfg, &dm.provider, &dm.health, &dm.watcher, &d) != DF_OK) {
		log_err("run: %s", d.msg);
		return CMD_EXIT_USAGE;
	}
	if (dm.cfg->log_level > log_get_level()) {
		log_set_level(dm.cfg->log_level); /* -d wins over a quieter LOG_LEVEL */
	}
	if (opts->pidfile != NULL && (dm.pid_fd = pidfile_open(opts->pidfile)) < 0) {
		goto out;
	}
	if (opts->daemonize) {
		/* Nobody reads stderr once detached. */
		log_to_syslog("dnsfailover");
		if (go_background() != 0) {
			log_err("cannot daemonize: %s", strerror(errno));
			goto out;
		}
	} else if (dm.cfg->log_target == CONFIG_LOG_SYSLOG) {
		log_to_syslog("dnsfailover");
	}
	if (dm.pid_fd >= 0 && pidfile_write(dm.pid_fd) != 0) {
		log_err("cannot write pid file %s: %s", opts->pidfile, strerror(errno));
		goto out;
	}
	if (setup_loop(&dm) != 0) {
		goto out;
	}
	if (dm.watcher != NULL) {
		watcher_set_loop(dm.watcher, dm.loop);
	}
	dm.metrics = metrics_new(config_role_name(dm.cfg->role));
	if (dm.metrics == NULL) {
		goto out;
	}
	const char *listen = dm.cfg->metrics_listen;
	if (listen[0] != '\0') {
		if (metrics_http_start(&dm.http, listen, dm.metrics, &d) != DF_OK) {
			log_err("run: %s", d.msg);
			goto out;
		}
		int ret = loop_io_new(dm.loop, &dm.http_io, metrics_http_fd(dm.http), LOOP_READ,
				      on_http, dm.http);
		if (ret != DF_OK) {
			log_err("cannot set up the event loop: %s", df_strerror(ret));
			goto out;
		}
		log_info("Serving /metrics and /healthz on http://%s",
			 metrics_http_address(dm.http));
	}
	set_env(&dm);
	site_parts_t parts = parts_of(&dm);
	if (site_new(&dm.site, &dm.env, &parts, dm.metrics) != DF_OK) {
		log_err("cannot set up the event loop: %s", df_strerror(DF_ENOMEM));
		goto out;
	}
	log_info("dnsfailover %s starting: ROLE=%s, record %s via %s, UPDATE_INTERVAL=%u, "
		 "RENEW_DEADLINE=%u, LEASE_TTL=%u, FAIL_THRESHOLD=%u",
		 PACKAGE_VERSION, config_role_name(dm.cfg->role), dm.cfg->record,
		 dm.provider->ops->id, dm.cfg->update_interval, dm.cfg->renew_deadline,
		 dm.cfg->lease_ttl, dm.cfg->fail_threshold);
	if (!dm.provider->ops->atomic_cas) {
		log_warn("provider %s has no atomic compare-and-swap: %s", dm.provider->ops->id,
			 dm.provider->ops->cas_note != NULL
				 ? dm.provider->ops->cas_note
				 : "it reads, compares, writes and reads back, so two writers can "
				   "race");
	}
	run_loop(&dm);
	if (dm.watcher != NULL) {
		/* The loop has stopped: what is in flight is killed and the
		 * stop below runs here, bounded by the backend's timeout. */
		watcher_set_loop(dm.watcher, NULL);
	}
	site_shutdown(dm.site);
	code = CMD_EXIT_OK;
out:
	loop_io_free(dm.http_io);
	metrics_http_stop(dm.http);
	/* What is in flight on the loop goes before the loop does. */
	site_free(dm.site);
	unload(&dm);
	vault_keeper_free(dm.vault);
	http_multi_free(dm.multi);
	loop_free(dm.loop);
	metrics_free(dm.metrics);
	if (dm.pid_fd >= 0) {
		unlink(opts->pidfile);
		close(dm.pid_fd);
	}
	return code;
}
