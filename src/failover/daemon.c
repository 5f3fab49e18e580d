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
#include "src/health/health.h"
#include "src/lease/lease.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"
#include "src/metrics/metrics.h"
#include "src/metrics/metrics_http.h"
#include "src/common/log.h"
#include "src/provider/provider.h"
#include "src/watch/watcher.h"

typedef struct daemon {
	const daemon_opts_t *opts;
	config_t *cfg; /* owned; the provider and health check borrow it */
	provider_t *provider;
	health_t *health;	  /* NULL when this role checks nothing */
	watcher_t *watcher;	  /* NULL without WATCH_MODE */
	bool keep_on_dns_failure; /* WATCH_ON_DNS_FAILURE=keep */
	metrics_t *metrics;
	metrics_http_t *http;	  /* NULL without METRICS_LISTEN */
	watcher_counts_t counted; /* watcher actions already in metrics */
	lease_params_t params;
	lease_state_t state;
	bool active;		       /* as last reported */
	enum lease_health last_health; /* the last check's result */
	bool checking;		       /* a health check is in flight: its tick waits */
	bool operating;		       /* a provider read or swap is in flight */
	bool reload_pending;	       /* SIGHUP came during it: reload once it ends */
	/* The tick in flight: what was read, the decision, when the write went out. */
	lease_obs_t obs;
	lease_plan_t plan;
	char read_error[sizeof(((df_detail_t *)NULL)->msg)];
	size_t logged; /* events of plan already logged */
	int64_t sent;
	loop_t *loop;
	http_multi_t *multi;	    /* the health check's HTTP, on the loop */
	loop_timer_t *tick_timer;   /* every UPDATE_INTERVAL */
	loop_timer_t *change_timer; /* the next change that needs no tick */
	loop_io_t *http_io;	    /* metrics_http_fd(); NULL without METRICS_LISTEN */
	int pid_fd;
} daemon_t;

static void log_event(int level, const char *text)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		log_err("%s", text);
		break;
	case LOG_LEVEL_WARN:
		log_warn("%s", text);
		break;
	case LOG_LEVEL_DEBUG:
		log_debug("%s", text);
		break;
	default:
		log_info("%s", text);
		break;
	}
}

static void log_events(const lease_events_t *ev, size_t from)
{
	for (size_t i = from; i < ev->count; i++) {
		log_event(ev->e[i].level, ev->e[i].text);
	}
}

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
	dm->checking = false;
	provider_cancel(dm->provider); /* and a read or swap */
	dm->operating = false;
	provider_free(dm->provider);
	if (dm->cfg != NULL) {
		config_deinit(dm->cfg);
		free(dm->cfg);
	}
	dm->health = NULL;
	dm->provider = NULL;
	dm->cfg = NULL;
}

/* first_ms 0 disarms. */
static void arm(loop_timer_t *t, int64_t first_ms, int64_t interval_ms)
{
	if (first_ms > 0) {
		loop_timer_arm(t, first_ms, interval_ms);
	} else {
		loop_timer_cancel(t);
	}
}

/* Adds the watcher's new actions to the metrics. */
static void count_watcher(daemon_t *dm)
{
	watcher_counts_t now;
	watcher_get_counts(dm->watcher, &now);
	for (; dm->counted.start_ok < now.start_ok; dm->counted.start_ok++) {
		metrics_count_watcher_action(dm->metrics, "start", "ok");
	}
	for (; dm->counted.start_failed < now.start_failed; dm->counted.start_failed++) {
		metrics_count_watcher_action(dm->metrics, "start", "error");
	}
	for (; dm->counted.stop_ok < now.stop_ok; dm->counted.stop_ok++) {
		metrics_count_watcher_action(dm->metrics, "stop", "ok");
	}
	for (; dm->counted.stop_failed < now.stop_failed; dm->counted.stop_failed++) {
		metrics_count_watcher_action(dm->metrics, "stop", "error");
	}
}

/*
 * Reports a change of the site's activity, with the monotonic time so that
 * two daemons' logs on one host can be compared to the millisecond, and
 * arms the timer for the next change that needs no tick (step-down at the
 * renewal deadline, or the end of break-before-make).
 */
static void update_activity(daemon_t *dm, const char *why)
{
	int64_t now = clock_mono_ms();
	bool active = lease_active(&dm->params, &dm->state, now);
	if (active != dm->active) {
		dm->active = active;
		metrics_set_active(dm->metrics, active);
		if (active) {
			metrics_count_failover(dm->metrics);
		} else {
			const char *reason = why != NULL && strcmp(why, "shutting down") == 0
						     ? "shutdown"
					     : dm->state.holding ? "deadline"
								 : "lost";
			metrics_count_step_down(dm->metrics, reason);
		}
		if (active) {
			log_info("Site is now ACTIVE: owner=%s epoch=%llu, A=%s [t=%lld.%03lld]",
				 dm->state.written.lease.owner,
				 (unsigned long long)dm->state.written.lease.epoch,
				 dm->state.written.a, (long long)(now / 1000),
				 (long long)(now % 1000));
		} else {
			if (why == NULL) {
				why = dm->state.holding
					      ? "no successful renewal within RENEW_DEADLINE"
					      : "the lease is not ours";
			}
			log_warn("Site is now STANDBY: stepping down (%s) [t=%lld.%03lld]", why,
				 (long long)(now / 1000), (long long)(now % 1000));
		}
	}
	if (dm->watcher != NULL) {
		/* keep: a holder cut off from DNS leaves the collector running
		 * (no gap, but two may scrape if the other side takes over). */
		bool want = active || (dm->keep_on_dns_failure && dm->state.holding &&
				       now >= dm->state.act_after_ms);
		watcher_apply(dm->watcher, want, now);
		count_watcher(dm);
	}
	int64_t next = lease_next_change(&dm->params, &dm->state, now);
	arm(dm->change_timer, next == INT64_MAX ? 0 : (next - now > 0 ? next - now : 1), 0);
}

static void set_watch_policy(daemon_t *dm)
{
	dm->keep_on_dns_failure = dm->cfg->watch.on_dns_failure == CONFIG_DNS_FAILURE_KEEP;
}

/* The step-down instant of the holder, or 0. */
static int64_t step_down_at(const daemon_t *dm)
{
	return dm->state.holding ? dm->state.renewed_ms + dm->params.renew_deadline_ms : 0;
}

/* GSS-TSIG keys (ad-gss): how many contexts so far, how long the current one lasts. */
static void update_key_metrics(daemon_t *dm)
{
	uint64_t negotiations = 0;
	int64_t remaining = 0;
	if (dm->provider->ops->key_state != NULL) {
		dm->provider->ops->key_state(dm->provider, &negotiations, &remaining);
		metrics_set_gss(dm->metrics, negotiations, remaining);
	}
}

static void reload(daemon_t *dm);

/* The end of a tick, with or without a write. */
static void end_tick(daemon_t *dm)
{
	dm->operating = false;
	dm->provider->deadline_ms = 0;
	update_activity(dm, NULL);
	if (dm->reload_pending) {
		dm->reload_pending = false;
		reload(dm);
	}
}

/* The write of a tick is over: record its outcome. */
static void on_swapped(provider_t *p, int ret, const df_detail_t *d, void *arg)
{
	daemon_t *dm = arg;
	(void)p;
	metrics_set_update_latency(dm->metrics, (double)(clock_mono_ms() - dm->sent) / 1000.0);
	metrics_count_renewal(dm->metrics, ret == DF_OK		 ? "ok"
					   : ret == DF_ECONFLICT ? "conflict"
								 : "error");
	if (ret == DF_OK) {
		metrics_set_lease(dm->metrics, dm->plan.next.lease.exp, dm->plan.next.lease.epoch,
				  dm->plan.next.lease.owner);
	}
	lease_apply(&dm->params, &dm->state, &dm->plan, ret,
		    d->msg[0] != '\0' ? d->msg : df_strerror(ret), dm->sent, clock_mono_ms());
	update_key_metrics(dm);
	log_events(&dm->plan.events, dm->logged);
	end_tick(dm);
}

/* The read of a tick is over: decide, and write at most once. */
static void on_read(provider_t *p, int ret, const df_detail_t *d, void *arg)
{
	daemon_t *dm = arg;
	lease_obs_t *obs = &dm->obs;
	lease_plan_t *plan = &dm->plan;
	obs->read = ret;
	if (dm->state.holding && obs->read != DF_OK && obs->read != DF_ENOTFOUND) {
		/* Logged as "Failed to renew lease": a holder that cannot read
		 * the lease cannot renew it. */
		metrics_count_renewal(dm->metrics, "error");
	}
	if (obs->read == DF_OK && obs->lease.txt_valid) {
		metrics_set_lease(dm->metrics, obs->lease.lease.exp, obs->lease.lease.epoch,
				  obs->lease.lease.owner);
	}
	if (obs->lease.has_skew) {
		metrics_set_clock_skew(dm->metrics, obs->lease.clock_skew);
	}
	update_key_metrics(dm);
	snprintf(dm->read_error, sizeof(dm->read_error), "%s", d->msg);
	obs->read_error = dm->read_error;

	int64_t now_wall = clock_lease_wall();
	lease_decide(&dm->params, &dm->state, obs, now_wall, clock_mono_ms(), plan);
	log_events(&plan->events, 0);
	dm->logged = plan->events.count;
	if (plan->action == LEASE_ACT_NONE) {
		end_tick(dm);
		return;
	}
	dm->sent = clock_mono_ms();
	const lease_t *expected = plan->expected.has_txt ? &plan->expected : NULL;
	ret = provider_swap_begin(p, dm->multi, expected, &plan->next, on_swapped, dm);
	if (ret != DF_OK) {
		df_detail_t why = {""};
		df_detail_set(&why, "the write could not start: %s", df_strerror(ret));
		on_swapped(p, ret, &why, dm);
	}
}

/*
 * The second half of a tick, once the health check (if any) has answered:
 * read the lease, decide, write at most once. An HTTP provider's calls run
 * on the loop; a DNS provider's exchanges block, but never past the next
 * tick nor past the instant the holder must step down.
 */
static void finish_tick(daemon_t *dm, enum lease_health health)
{
	const config_t *cfg = dm->cfg;
	int64_t start = clock_mono_ms();

	int64_t deadline = start + (int64_t)cfg->update_interval * 1000;
	int64_t sd = step_down_at(dm);
	if (sd > start && sd < deadline) {
		deadline = sd;
	}
	dm->provider->deadline_ms = deadline;

	memset(&dm->obs, 0, sizeof(dm->obs));
	dm->obs.health = health;
	dm->operating = true;
	int ret = provider_read_begin(dm->provider, dm->multi, &dm->obs.lease, on_read, dm);
	if (ret != DF_OK) {
		df_detail_t why = {""};
		df_detail_set(&why, "the read could not start: %s", df_strerror(ret));
		on_read(dm->provider, ret, &why, dm);
	}
}

static void on_health(health_t *h, bool healthy, const char *why, void *arg)
{
	daemon_t *dm = arg;
	(void)h;
	(void)why; /* the check logged it */
	dm->checking = false;
	dm->last_health = healthy ? LEASE_HEALTH_OK : LEASE_HEALTH_FAILED;
	metrics_count_health(dm->metrics, healthy);
	finish_tick(dm, dm->last_health);
}

/*
 * The first half of a tick: the health check, on the loop. It blocks
 * nothing: renewals, the step-down timer, /metrics and the watcher go on
 * while a collector's page is slow to come or never comes.
 */
static void tick(daemon_t *dm)
{
	const config_t *cfg = dm->cfg;
	/* First what the clock says: a holder that was frozen (SIGSTOP, a
	 * paused VM) past its deadline steps down before it writes anything,
	 * whichever of the timers the loop runs first after the resume. */
	update_activity(dm, NULL);
	if (dm->operating) {
		log_debug("the last tick's %s call is still running: this tick waits for it",
			  dm->provider->ops->id);
		return;
	}
	if (dm->checking) {
		/* Still waiting for the last check (HEALTH_TIMEOUT is not below
		 * UPDATE_INTERVAL): that tick finishes when it answers. */
		log_debug("health check still running: this tick waits for it");
		return;
	}
	/* The DR checks the primary while it does not hold the lease. The
	 * primary checks its own collector; when our watcher runs that
	 * collector only while we are active, a check at any other time would
	 * find it stopped on purpose and keep us from ever taking the lease. */
	bool want_health = dm->health != NULL &&
			   (cfg->role == CONFIG_ROLE_PRIMARY ? (dm->watcher == NULL || dm->active)
							     : !dm->state.holding);
	if (!want_health) {
		enum lease_health health = LEASE_HEALTH_UNKNOWN;
		if (dm->health != NULL && cfg->role == CONFIG_ROLE_PRIMARY) {
			/* Not checked while the watcher keeps our collector
			 * stopped: a holder goes on from the last result (an
			 * unhealthy one must not renew), a site that holds
			 * nothing starts afresh. */
			if (!dm->state.holding) {
				dm->last_health = LEASE_HEALTH_UNKNOWN;
			}
			health = dm->last_health;
		}
		finish_tick(dm, health);
		return;
	}
	int ret = health_check_begin(dm->health, dm->multi, on_health, dm);
	if (ret != DF_OK) {
		log_warn("Health check could not start: %s", df_strerror(ret));
		dm->last_health = LEASE_HEALTH_FAILED;
		metrics_count_health(dm->metrics, false);
		finish_tick(dm, LEASE_HEALTH_FAILED);
		return;
	}
	dm->checking = true;
}

static void reload(daemon_t *dm)
{
	config_t *cfg = NULL;
	provider_t *p = NULL;
	health_t *h = NULL;
	watcher_t *w = NULL;
	df_detail_t d = {""};
	if (dm->operating) {
		/* A write cancelled now might still apply unseen: let it end. */
		log_info("Reloading the configuration (SIGHUP) once the %s call in flight ends",
			 dm->provider->ops->id);
		dm->reload_pending = true;
		return;
	}
	log_info("Reloading the configuration (SIGHUP)");
	if (load(dm->opts, &cfg, &p, &h, &w, &d) != DF_OK) {
		log_err("Reload failed, keeping the current configuration: %s", d.msg);
		return;
	}
	bool same_lease = cfg->role == dm->cfg->role && strcmp(cfg->record, dm->cfg->record) == 0 &&
			  strcmp(cfg->zone, dm->cfg->zone) == 0;
	unload(dm);
	dm->cfg = cfg;
	dm->provider = p;
	dm->health = h;
	dm->watcher = w;
	if (w != NULL) {
		watcher_set_loop(w, dm->loop);
	}
	memset(&dm->counted, 0, sizeof(dm->counted));
	set_watch_policy(dm);
	metrics_set_role(dm->metrics, config_role_name(cfg->role));
	lease_params_init(&dm->params, cfg);
	if (!same_lease) {
		/* Another role or record: what we held is not what we hold now. */
		lease_state_init(&dm->state);
		update_activity(dm, "the role or the lease record changed on reload");
	}
	arm(dm->tick_timer, 1, (int64_t)cfg->update_interval * 1000);
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

static void on_change(loop_timer_t *t, void *arg)
{
	(void)t;
	update_activity(arg, NULL);
}

/* Ticks missed while one ran long are not made up. */
static void on_tick(loop_timer_t *t, void *arg)
{
	(void)t;
	tick(arg);
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
		ret = loop_timer_new(dm->loop, &dm->tick_timer, on_tick, dm);
	}
	if (ret == DF_OK) {
		ret = loop_timer_new(dm->loop, &dm->change_timer, on_change, dm);
	}
	if (ret == DF_OK) {
		ret = http_multi_new(&dm->multi, dm->loop);
	}
	if (ret != DF_OK) {
		log_err("cannot set up the event loop: %s", df_strerror(ret));
		return -1;
	}
	return 0;
}

static void loop(daemon_t *dm)
{
	arm(dm->tick_timer, 1, (int64_t)dm->cfg->update_interval * 1000);
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
	set_watch_policy(&dm);
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
	lease_params_init(&dm.params, dm.cfg);
	lease_state_init(&dm.state);
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
	if (dm.watcher != NULL) {
		/* Not active yet: a collector left running here is stopped. */
		watcher_apply(dm.watcher, false, clock_mono_ms());
	}
	loop(&dm);
	if (dm.watcher != NULL) {
		/* The loop has stopped: what is in flight is killed and the
		 * stop below runs here, bounded by the backend's timeout. */
		watcher_set_loop(dm.watcher, NULL);
	}
	if (dm.active || dm.watcher != NULL) {
		dm.state.holding = false;
		dm.keep_on_dns_failure = false;
		update_activity(&dm, "shutting down");
	}
	code = CMD_EXIT_OK;
out:
	loop_io_free(dm.http_io);
	metrics_http_stop(dm.http);
	/* What is in flight on the loop goes before the loop does. */
	unload(&dm);
	http_multi_free(dm.multi);
	loop_free(dm.loop);
	metrics_free(dm.metrics);
	if (dm.pid_fd >= 0) {
		unlink(opts->pidfile);
		close(dm.pid_fd);
	}
	return code;
}
