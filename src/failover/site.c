#include "src/failover/site.h"

#include <stdlib.h>
#include <string.h>

#include "src/common/log.h"

enum site_step {
	SITE_IDLE,
	SITE_CHECKING, /* the health check is in flight */
	SITE_READING,  /* the provider reads the lease */
	SITE_WRITING,  /* the provider writes the plan's compare-and-swap */
};

struct site {
	site_env_t env;
	site_parts_t parts;
	metrics_t *metrics;
	bool keep_on_dns_failure; /* WATCH_ON_DNS_FAILURE=keep */
	watcher_counts_t counted; /* watcher actions already in metrics */
	lease_params_t params;
	lease_state_t state;
	bool active;		       /* as last reported */
	enum lease_health last_health; /* the last check's result */
	enum site_step step;
	site_timer_t *tick_timer;   /* every UPDATE_INTERVAL */
	site_timer_t *change_timer; /* the next change that needs no tick */
	/* The tick in progress, from the read on. */
	lease_obs_t obs;
	char read_error[sizeof(((df_detail_t *)0)->msg)];
	lease_plan_t plan;
	size_t logged;	   /* plan events logged so far */
	int64_t sent_ms;   /* when the write was sent */
	bool reading_back; /* the read after a write of unknown outcome */
};

static int64_t now_ms(const site_t *s)
{
	return s->env.mono_ms(s->env.arg);
}

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

static void log_events(site_t *s)
{
	const lease_events_t *ev = &s->plan.events;
	for (size_t i = s->logged; i < ev->count; i++) {
		log_event(ev->e[i].level, ev->e[i].text);
	}
	s->logged = ev->count;
}

/* first_ms 0 disarms. */
static void arm(const site_t *s, site_timer_t *t, int64_t first_ms, int64_t interval_ms)
{
	if (first_ms > 0) {
		s->env.timer_arm(t, first_ms, interval_ms);
	} else {
		s->env.timer_cancel(t);
	}
}

/* Adds the watcher's new actions to the metrics. */
static void count_watcher(site_t *s)
{
	watcher_counts_t now;
	watcher_get_counts(s->parts.watcher, &now);
	for (; s->counted.start_ok < now.start_ok; s->counted.start_ok++) {
		metrics_count_watcher_action(s->metrics, "start", "ok");
	}
	for (; s->counted.start_failed < now.start_failed; s->counted.start_failed++) {
		metrics_count_watcher_action(s->metrics, "start", "error");
	}
	for (; s->counted.stop_ok < now.stop_ok; s->counted.stop_ok++) {
		metrics_count_watcher_action(s->metrics, "stop", "ok");
	}
	for (; s->counted.stop_failed < now.stop_failed; s->counted.stop_failed++) {
		metrics_count_watcher_action(s->metrics, "stop", "error");
	}
}

/*
 * Reports a change of the site's activity, with the monotonic time so that
 * two daemons' logs on one host can be compared to the millisecond, and
 * arms the timer for the next change that needs no tick (step-down at the
 * renewal deadline, or the end of break-before-make).
 */
static void update_activity(site_t *s, const char *why)
{
	int64_t now = now_ms(s);
	bool active = lease_active(&s->params, &s->state, now);
	if (active != s->active) {
		s->active = active;
		metrics_set_active(s->metrics, active);
		if (active) {
			metrics_count_failover(s->metrics);
		} else {
			const char *reason = why != NULL && strcmp(why, "shutting down") == 0
						     ? "shutdown"
					     : s->state.holding ? "deadline"
								: "lost";
			metrics_count_step_down(s->metrics, reason);
		}
		if (active) {
			log_info("Site is now ACTIVE: owner=%s epoch=%llu, A=%s [t=%lld.%03lld]",
				 s->state.written.lease.owner,
				 (unsigned long long)s->state.written.lease.epoch,
				 s->state.written.a, (long long)(now / 1000),
				 (long long)(now % 1000));
		} else {
			if (why == NULL) {
				why = s->state.holding
					      ? "no successful renewal within RENEW_DEADLINE"
					      : "the lease is not ours";
			}
			log_warn("Site is now STANDBY: stepping down (%s) [t=%lld.%03lld]", why,
				 (long long)(now / 1000), (long long)(now % 1000));
		}
	}
	if (s->parts.watcher != NULL) {
		/* keep: a holder cut off from DNS leaves the collector running
		 * (no gap, but two may scrape if the other side takes over). */
		bool want = active || (s->keep_on_dns_failure && s->state.holding &&
				       now >= s->state.act_after_ms);
		watcher_apply(s->parts.watcher, want, now);
		count_watcher(s);
	}
	int64_t next = lease_next_change(&s->params, &s->state, now);
	arm(s, s->change_timer, next == INT64_MAX ? 0 : (next - now > 0 ? next - now : 1), 0);
}

/* The step-down instant of the holder, or 0. */
static int64_t step_down_at(const site_t *s)
{
	return s->state.holding ? s->state.renewed_ms + s->params.renew_deadline_ms : 0;
}

/* GSS-TSIG keys (ad-gss): how many contexts so far, how long the current one lasts. */
static void update_key_metrics(site_t *s)
{
	provider_t *p = s->parts.provider;
	uint64_t negotiations = 0;
	int64_t remaining = 0;
	if (p->ops->key_state != NULL) {
		p->ops->key_state(p, &negotiations, &remaining);
		metrics_set_gss(s->metrics, negotiations, remaining);
	}
}

/* The tick is over: what it changed is reported, the next one may run. */
static void end_tick(site_t *s)
{
	s->parts.provider->deadline_ms = 0;
	s->step = SITE_IDLE;
	update_activity(s, NULL);
}

static void read_back(site_t *s);

static void on_swapped(provider_t *p, int ret, const df_detail_t *d, void *arg)
{
	site_t *s = arg;
	int64_t now = now_ms(s);
	metrics_set_update_latency(s->metrics, (double)(now - s->sent_ms) / 1000.0);
	metrics_count_renewal(s->metrics, ret == DF_OK		? "ok"
					  : ret == DF_ECONFLICT ? "conflict"
								: "error");
	if (ret == DF_OK) {
		metrics_set_lease(s->metrics, s->plan.next.lease.exp, s->plan.next.lease.epoch,
				  s->plan.next.lease.owner);
	}
	lease_apply(&s->params, &s->state, &s->plan, ret,
		    d->msg[0] != '\0' ? d->msg : df_strerror(ret), s->sent_ms, now);
	update_key_metrics(s);
	log_events(s);
	if (provider_outcome_unknown(ret) && s->state.pending && now < p->deadline_ms) {
		/* The write may have applied (its answer was lost, or a resent
		 * copy met our first one): read the lease back now rather than
		 * a tick later, so that a holder whose every answer is lost
		 * still confirms its renewals within RENEW_DEADLINE. */
		read_back(s);
		return;
	}
	end_tick(s);
}

static void on_read(provider_t *p, int ret, const df_detail_t *d, void *arg)
{
	site_t *s = arg;
	lease_obs_t *obs = &s->obs;
	obs->read = ret;
	if (s->state.holding && ret != DF_OK && ret != DF_ENOTFOUND) {
		/* Logged as "Failed to renew lease": a holder that cannot read
		 * the lease cannot renew it. */
		metrics_count_renewal(s->metrics, "error");
	}
	if (ret == DF_OK && obs->lease.txt_valid) {
		metrics_set_lease(s->metrics, obs->lease.lease.exp, obs->lease.lease.epoch,
				  obs->lease.lease.owner);
	}
	if (obs->lease.has_skew) {
		metrics_set_clock_skew(s->metrics, obs->lease.clock_skew);
	}
	update_key_metrics(s);
	memcpy(s->read_error, d->msg, sizeof(s->read_error));
	obs->read_error = s->read_error;

	lease_decide(&s->params, &s->state, obs, s->env.lease_wall(s->env.arg), now_ms(s),
		     &s->plan);
	s->logged = 0;
	log_events(s);
	if (s->reading_back) {
		/* What was read settled the write of unknown outcome; this
		 * tick has written once and writes no more. */
		s->reading_back = false;
		end_tick(s);
		return;
	}
	if (s->plan.action == LEASE_ACT_NONE) {
		end_tick(s);
		return;
	}
	s->step = SITE_WRITING;
	s->sent_ms = now_ms(s);
	const lease_t *expected = s->plan.expected.has_txt ? &s->plan.expected : NULL;
	ret = provider_swap_begin(p, s->env.multi, expected, &s->plan.next, on_swapped, s);
	if (ret != DF_OK) {
		/* Nothing was sent. */
		df_detail_t why = {""};
		df_detail_set(&why, "the write could not start: %s", df_strerror(ret));
		on_swapped(p, ret, &why, s);
	}
}

/* Begins the read of the lease; on_read() goes on from there. */
static void start_read(site_t *s, enum lease_health health)
{
	provider_t *p = s->parts.provider;
	memset(&s->obs, 0, sizeof(s->obs));
	s->obs.health = health;
	s->step = SITE_READING;
	int ret = provider_read_begin(p, s->env.multi, &s->obs.lease, on_read, s);
	if (ret != DF_OK) {
		df_detail_t why = {""};
		df_detail_set(&why, "the read could not start: %s", df_strerror(ret));
		on_read(p, ret, &why, s);
	}
}

/* The read after a write of unknown outcome, within the same tick and
 * deadline; the health was counted once this tick already. */
static void read_back(site_t *s)
{
	s->reading_back = true;
	log_debug("reading the lease back to learn whether the write applied");
	start_read(s, LEASE_HEALTH_UNKNOWN);
}

/*
 * The second part of a tick, once the health check (if any) has answered:
 * read the lease, decide, write at most once. Neither call runs past the
 * next tick nor past the instant the holder must step down.
 */
static void read_lease(site_t *s, enum lease_health health)
{
	int64_t start = now_ms(s);
	int64_t deadline = start + (int64_t)s->parts.cfg->update_interval * 1000;
	int64_t sd = step_down_at(s);
	if (s->active && sd > 0 && start >= sd) {
		/* The step-down instant came after the tick's first look at
		 * the clock (the same millisecond, or during the health
		 * check): step down now, before a call that may block. Left
		 * to the change timer, a blocking read bounded by the next
		 * tick (the instant is past, so it no longer bounds the call)
		 * would hold the step-down for up to UPDATE_INTERVAL: the
		 * chaos runs measured 1 s late. */
		update_activity(s, NULL);
	}
	if (sd > start && sd < deadline) {
		deadline = sd;
	}
	s->parts.provider->deadline_ms = deadline;
	start_read(s, health);
}

static void on_health(health_t *h, bool healthy, const char *why, void *arg)
{
	site_t *s = arg;
	(void)h;
	(void)why; /* the check logged it */
	s->last_health = healthy ? LEASE_HEALTH_OK : LEASE_HEALTH_FAILED;
	metrics_count_health(s->metrics, healthy);
	read_lease(s, s->last_health);
}

/*
 * A primary whose watcher stopped its collector after the collector
 * failed its check, and that has been standing down since: whether to try
 * again (renew, which starts the collector, whose next check decides).
 * Without this the primary would reuse the failed result for ever, and
 * with the DR down or cut off from DNS nobody would be active. The wait
 * lets a DR that can take over do it first: FAIL_THRESHOLD failed checks
 * of the stopped collector plus a tick, and the lease unchanged for
 * LEASE_TTL after our last write.
 */
static bool retry_after_failure(site_t *s)
{
	const config_t *cfg = s->parts.cfg;
	if (s->last_health != LEASE_HEALTH_FAILED || s->active || !s->state.holding) {
		return false;
	}
	int64_t wait = s->params.lease_ttl_ms +
		       ((int64_t)cfg->fail_threshold + 1) * (int64_t)cfg->update_interval * 1000;
	if (now_ms(s) < step_down_at(s) + wait) {
		return false;
	}
	log_info("Own collector failed its last check %llds ago and is stopped: renewing the "
		 "lease to start it and check it again",
		 (long long)((now_ms(s) - step_down_at(s)) / 1000));
	return true;
}

/*
 * The first part of a tick: the health check, on the loop. It blocks
 * nothing: renewals, the step-down timer, /metrics and the watcher go on
 * while a collector's page is slow to come or never comes.
 */
void site_tick(site_t *s)
{
	const config_t *cfg = s->parts.cfg;
	/* First what the clock says: a holder that was frozen (SIGSTOP, a
	 * paused VM) past its deadline steps down before it writes anything,
	 * whichever of the timers the loop runs first after the resume. */
	update_activity(s, NULL);
	if (s->step != SITE_IDLE) {
		/* Still waiting for the last check or provider call (each is
		 * bounded, HEALTH_TIMEOUT is not below UPDATE_INTERVAL): that
		 * tick finishes when it answers. */
		log_debug("the last tick is still running: this tick waits for it");
		return;
	}
	/* The DR checks the primary while it does not hold the lease. The
	 * primary checks its own collector; when our watcher runs that
	 * collector only while we are active, a check at any other time would
	 * find it stopped on purpose and keep us from ever taking the lease. */
	health_t *h = s->parts.health;
	bool want_health = h != NULL && (cfg->role == CONFIG_ROLE_PRIMARY
						 ? (s->parts.watcher == NULL || s->active)
						 : !s->state.holding);
	if (!want_health) {
		enum lease_health health = LEASE_HEALTH_UNKNOWN;
		if (h != NULL && cfg->role == CONFIG_ROLE_PRIMARY) {
			/* Not checked while the watcher keeps our collector
			 * stopped: a holder goes on from the last result (an
			 * unhealthy one must not renew), a site that holds
			 * nothing starts afresh, and so does a holder that
			 * stepped down for that result long enough ago for
			 * the DR to have taken over if it could: nobody else
			 * will start our collector to check it again. */
			if (!s->state.holding || retry_after_failure(s)) {
				s->last_health = LEASE_HEALTH_UNKNOWN;
			}
			health = s->last_health;
		}
		read_lease(s, health);
		return;
	}
	s->step = SITE_CHECKING;
	int ret = s->env.health_begin(s->env.arg, h, on_health, s);
	if (ret != DF_OK) {
		log_warn("Health check could not start: %s", df_strerror(ret));
		s->last_health = LEASE_HEALTH_FAILED;
		metrics_count_health(s->metrics, false);
		read_lease(s, LEASE_HEALTH_FAILED);
	}
}

static void on_tick(void *arg)
{
	site_tick(arg);
}

static void on_change(void *arg)
{
	update_activity(arg, NULL);
}

/* Ends what is in flight; a write that was sent is folded in as unknown. */
static void cancel_step(site_t *s)
{
	switch (s->step) {
	case SITE_CHECKING:
		s->env.health_cancel(s->env.arg, s->parts.health);
		break;
	case SITE_READING:
		provider_cancel(s->parts.provider);
		break;
	case SITE_WRITING:
		provider_cancel(s->parts.provider);
		lease_apply(&s->params, &s->state, &s->plan, DF_EUNKNOWN,
			    "the write was cancelled: it may still apply", s->sent_ms, now_ms(s));
		log_events(s);
		break;
	case SITE_IDLE:
		break;
	}
	s->parts.provider->deadline_ms = 0;
	s->step = SITE_IDLE;
	s->reading_back = false;
}

static void take_parts(site_t *s, const site_parts_t *parts)
{
	s->parts = *parts;
	s->keep_on_dns_failure = parts->cfg->watch.on_dns_failure == CONFIG_DNS_FAILURE_KEEP;
	memset(&s->counted, 0, sizeof(s->counted));
	lease_params_init(&s->params, parts->cfg);
}

int site_new(site_t **out, const site_env_t *env, const site_parts_t *parts, metrics_t *metrics)
{
	site_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return DF_ENOMEM;
	}
	s->env = *env;
	s->metrics = metrics;
	take_parts(s, parts);
	lease_state_init(&s->state);
	s->tick_timer = env->timer_new(env->arg, on_tick, s);
	s->change_timer = env->timer_new(env->arg, on_change, s);
	if (s->tick_timer == NULL || s->change_timer == NULL) {
		site_free(s);
		return DF_ENOMEM;
	}
	*out = s;
	return DF_OK;
}

void site_free(site_t *s)
{
	if (s == NULL) {
		return;
	}
	if (s->step != SITE_IDLE) {
		cancel_step(s);
	}
	if (s->tick_timer != NULL) {
		s->env.timer_free(s->tick_timer);
	}
	if (s->change_timer != NULL) {
		s->env.timer_free(s->change_timer);
	}
	free(s);
}

void site_start(site_t *s)
{
	if (s->parts.watcher != NULL) {
		/* Not active yet: a collector left running here is stopped. */
		watcher_apply(s->parts.watcher, false, now_ms(s));
		count_watcher(s);
	}
	arm(s, s->tick_timer, 1, (int64_t)s->parts.cfg->update_interval * 1000);
}

void site_reload(site_t *s, const site_parts_t *parts, bool same_lease)
{
	cancel_step(s);
	take_parts(s, parts);
	if (!same_lease) {
		/* Another role or record: what we held is not what we hold now. */
		lease_state_init(&s->state);
		update_activity(s, "the role or the lease record changed on reload");
	}
	arm(s, s->tick_timer, 1, (int64_t)parts->cfg->update_interval * 1000);
}

void site_shutdown(site_t *s)
{
	cancel_step(s);
	s->env.timer_cancel(s->tick_timer);
	if (s->active || s->parts.watcher != NULL) {
		s->state.holding = false;
		s->keep_on_dns_failure = false;
		update_activity(s, "shutting down");
	}
	s->env.timer_cancel(s->change_timer);
}

bool site_active(const site_t *s)
{
	return s->active;
}

const lease_state_t *site_lease_state(const site_t *s)
{
	return &s->state;
}
