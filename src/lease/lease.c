#include "src/lease/lease.h"
#include "src/common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A TXT quoted in a message: escaped (it comes from the network) and cut
 * short enough that the rest of the message always fits. */
#define TXT_SHOWN 201

static const char *shown_txt(char *buf, const char *txt)
{
	return log_escape(buf, TXT_SHOWN, txt, strlen(txt));
}

enum lease_init_action lease_plan_init(enum config_role role, const lease_t *current, int64_t now,
				       uint32_t lease_ttl, bool force, lease_txt_t *next, char *why,
				       size_t why_size)
{
	const char *me = config_role_name(role);
	char shown[TXT_SHOWN];
	memset(next, 0, sizeof(*next));
	snprintf(next->owner, sizeof(next->owner), "%s", me);
	next->exp = now + (int64_t)lease_ttl;
	next->epoch = 1;

	if (current == NULL || !current->has_txt) {
		snprintf(why, why_size, "no lease yet: creating it for %s (epoch 1)", me);
		return LEASE_INIT_WRITE;
	}
	if (!current->txt_valid) {
		if (!force) {
			snprintf(why, why_size,
				 "the TXT record holds \"%s\", which is not a lease; not "
				 "overwriting it (use --force to replace it)",
				 shown_txt(shown, current->txt));
			return LEASE_INIT_REFUSE_FOREIGN;
		}
		snprintf(why, why_size, "replacing the unreadable TXT \"%s\" (--force)",
			 shown_txt(shown, current->txt));
		return LEASE_INIT_WRITE;
	}
	const lease_txt_t *cur = &current->lease;
	if (strcmp(cur->owner, me) == 0) {
		next->epoch = cur->epoch;
		snprintf(why, why_size, "%s already owns the lease: renewing it (epoch %llu)", me,
			 (unsigned long long)cur->epoch);
		return LEASE_INIT_WRITE;
	}
	if (cur->exp > now && !force) {
		snprintf(why, why_size,
			 "%s holds a valid lease for %llds more (exp=%lld); not taking it (use "
			 "--force to take it anyway)",
			 cur->owner, (long long)(cur->exp - now), (long long)cur->exp);
		return LEASE_INIT_REFUSE_HELD;
	}
	if (cur->epoch >= LEASE_TXT_EPOCH_MAX) {
		/* Raising it would wrap or leave the range readers accept. */
		snprintf(why, why_size,
			 "the lease epoch %llu is the largest a lease can carry and a change of "
			 "owner must raise it: nothing written (delete the lease records by hand "
			 "and run init to start again at epoch 1)",
			 (unsigned long long)cur->epoch);
		return LEASE_INIT_REFUSE_EPOCH;
	}
	next->epoch = cur->epoch + 1;
	snprintf(why, why_size, "%s lease of %s (exp=%lld): taking it for %s (epoch %llu)",
		 cur->exp > now ? "forcing over the valid" : "taking the expired", cur->owner,
		 (long long)cur->exp, me, (unsigned long long)next->epoch);
	return LEASE_INIT_WRITE;
}

/* ------------------------------------------------------------------------
 * The running daemon's decision.
 */

#define MS 1000

void lease_params_init(lease_params_t *p, const config_t *cfg)
{
	memset(p, 0, sizeof(*p));
	p->role = cfg->role;
	p->lease_ttl_ms = (int64_t)cfg->lease_ttl * MS;
	p->renew_deadline_ms = (int64_t)cfg->renew_deadline * MS;
	p->fail_threshold = cfg->fail_threshold;
	snprintf(p->my_ip, sizeof(p->my_ip), "%s", config_my_ip(cfg));
	p->self_check = cfg->role == CONFIG_ROLE_PRIMARY && cfg->health_url[0] != '\0';
}

void lease_state_init(lease_state_t *st)
{
	memset(st, 0, sizeof(*st));
}

static void event(lease_events_t *ev, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void event(lease_events_t *ev, int level, const char *fmt, ...)
{
	if (ev->count >= LEASE_MAX_EVENTS) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev->e[ev->count].text, sizeof(ev->e[ev->count].text), fmt, ap);
	va_end(ap);
	ev->e[ev->count].level = level;
	ev->count++;
}

/* Whole seconds left until ms on the monotonic clock, rounded up. */
static int64_t secs_until(int64_t deadline_ms, int64_t now_mono)
{
	int64_t left = deadline_ms - now_mono;
	return left > 0 ? (left + MS - 1) / MS : 0;
}

/* Remembers the value read and since when it has not changed. */
static void observe(lease_state_t *st, const lease_t *l, int64_t now_mono)
{
	bool absent = !l->has_txt;
	if (st->seen && st->seen_absent == absent &&
	    (absent || strcmp(st->seen_txt, l->txt) == 0)) {
		return;
	}
	st->seen = true;
	st->seen_absent = absent;
	snprintf(st->seen_txt, sizeof(st->seen_txt), "%s", absent ? "" : l->txt);
	st->seen_since_ms = now_mono;
}

/* Builds the value to write: this site's A, owner, exp = now + L. */
static void make_next(const lease_params_t *p, lease_plan_t *plan, uint64_t epoch, int64_t now_wall)
{
	memset(&plan->next, 0, sizeof(plan->next));
	plan->next.has_a = true;
	snprintf(plan->next.a, sizeof(plan->next.a), "%s", p->my_ip);
	snprintf(plan->next.lease.owner, sizeof(plan->next.lease.owner), "%s",
		 config_role_name(p->role));
	plan->next.lease.exp = now_wall + p->lease_ttl_ms / MS;
	plan->next.lease.epoch = epoch;
	/*
	 * exp is in whole seconds: two writes by the same owner within one
	 * wall second would carry the same TXT and look like one to the other
	 * side, whose unchanged-for-L count would then start before our last
	 * renewal. Every such write moves exp on by at least a second instead,
	 * so each write is a new value. Only our own role's exp is carried on:
	 * another site's clock may be off.
	 */
	const lease_t *prev = &plan->expected;
	if (prev->txt_valid && strcmp(prev->lease.owner, plan->next.lease.owner) == 0 &&
	    plan->next.lease.exp <= prev->lease.exp) {
		plan->next.lease.exp = prev->lease.exp + 1;
	}
	lease_value_format(&plan->next);
}

static void plan_take(const lease_params_t *p, const lease_state_t *st, const lease_obs_t *obs,
		      enum lease_take take, uint64_t epoch, int64_t now_wall, lease_plan_t *plan)
{
	plan->action = LEASE_ACT_TAKE;
	plan->take = take;
	plan->expected = obs->lease;
	make_next(p, plan, epoch, now_wall);
	/* Whoever wrote the value we replace has stopped acting by D after it
	 * was written, which was no later than when we first saw it. */
	plan->act_after_ms = st->seen_since_ms + LEASE_ACT_DELAY_MS(p->renew_deadline_ms);
}

/* The holder's tick: renew from what we wrote, or notice we lost it. */
static bool decide_holding(const lease_params_t *p, lease_state_t *st, const lease_obs_t *obs,
			   int64_t now_wall, int64_t now_mono, lease_plan_t *plan)
{
	if (st->pending && lease_value_same_txt(&obs->lease, &st->pending_value)) {
		/* The write whose answer we never got did apply; the read
		 * carries the version the provider will compare with. */
		st->written = obs->lease;
		st->renewed_ms = st->pending_sent_ms;
		st->pending = false;
	}
	if (!lease_value_same_txt(&obs->lease, &st->written)) {
		char shown[TXT_SHOWN];
		st->holding = false;
		st->pending = false;
		event(&plan->events, LOG_LEVEL_WARN,
		      "Lease lost: the record now holds \"%s\" (someone else wrote it) - stepping "
		      "down",
		      obs->lease.has_txt ? shown_txt(shown, obs->lease.txt) : "(nothing)");
		return false;
	}
	if (p->self_check && obs->health == LEASE_HEALTH_FAILED) {
		event(&plan->events, LOG_LEVEL_WARN,
		      "Own collector unhealthy - not renewing the lease (stepping down in %llds)",
		      (long long)secs_until(st->renewed_ms + p->renew_deadline_ms, now_mono));
		return true;
	}
	plan->action = LEASE_ACT_RENEW;
	plan->expected = st->written;
	make_next(p, plan, st->written.lease.epoch, now_wall);
	return true;
}

/* An owner change raises the epoch: false (and why, logged) when it cannot. */
static bool epoch_can_grow(const lease_txt_t *cur, lease_plan_t *plan)
{
	if (cur->epoch < LEASE_TXT_EPOCH_MAX) {
		return true;
	}
	event(&plan->events, LOG_LEVEL_ERROR,
	      "Lease epoch %llu is the largest a lease can carry and a change of owner must "
	      "raise it: not taking the lease (delete the lease records by hand and run 'init')",
	      (unsigned long long)cur->epoch);
	return false;
}

static void decide_primary(const lease_params_t *p, lease_state_t *st, const lease_obs_t *obs,
			   int64_t now_wall, int64_t now_mono, lease_plan_t *plan)
{
	const lease_t *l = &obs->lease;
	if (p->self_check && obs->health == LEASE_HEALTH_FAILED) {
		event(&plan->events, LOG_LEVEL_WARN,
		      "Own collector unhealthy - not taking the lease");
		return;
	}
	if (!l->has_txt) {
		plan_take(p, st, obs, LEASE_TAKE_CREATE, 1, now_wall, plan);
		return;
	}
	const lease_txt_t *cur = &l->lease;
	if (strcmp(cur->owner, "primary") == 0) {
		plan_take(p, st, obs, LEASE_TAKE_ADOPT, cur->epoch, now_wall, plan);
		return;
	}
	if (cur->exp > now_wall) {
		event(&plan->events, LOG_LEVEL_INFO,
		      "DR currently owns lease - not overwriting (run 'failback' to reclaim)");
		return;
	}
	int64_t stable_at = st->seen_since_ms + LEASE_STABLE_MS(p->lease_ttl_ms);
	if (now_mono < stable_at) {
		event(&plan->events, LOG_LEVEL_INFO,
		      "Waiting for DR lease to expire (%llds remaining)",
		      (long long)secs_until(stable_at, now_mono));
		return;
	}
	if (!epoch_can_grow(cur, plan)) {
		return;
	}
	event(&plan->events, LOG_LEVEL_WARN, "DR lease expired - reclaiming it for the primary");
	plan_take(p, st, obs, LEASE_TAKE_RECLAIM, cur->epoch + 1, now_wall, plan);
}

static void decide_dr(const lease_params_t *p, lease_state_t *st, const lease_obs_t *obs,
		      int64_t now_wall, int64_t now_mono, lease_plan_t *plan)
{
	const lease_t *l = &obs->lease;
	bool failed = st->health_failures >= p->fail_threshold;
	if (l->has_txt && strcmp(l->lease.owner, "dr") == 0) {
		plan_take(p, st, obs, LEASE_TAKE_ADOPT, l->lease.epoch, now_wall, plan);
		return;
	}
	if (!failed) {
		return;
	}
	/* Both expiry rules: exp in the past by our wall clock, and the value
	 * unchanged for L on our monotonic clock, whatever the clocks' offset. */
	int64_t stable_at = st->seen_since_ms + LEASE_STABLE_MS(p->lease_ttl_ms);
	int64_t wall_left = l->has_txt ? l->lease.exp - now_wall : 0;
	int64_t mono_left = secs_until(stable_at, now_mono);
	if (wall_left > 0 || mono_left > 0) {
		event(&plan->events, LOG_LEVEL_WARN,
		      "Waiting for primary lease to expire (%llds remaining)",
		      (long long)(wall_left > mono_left ? wall_left : mono_left));
		return;
	}
	if (l->has_txt && !epoch_can_grow(&l->lease, plan)) {
		return;
	}
	event(&plan->events, LOG_LEVEL_WARN, "Primary lease expired - initiating failover!");
	plan_take(p, st, obs, l->has_txt ? LEASE_TAKE_FAILOVER : LEASE_TAKE_CREATE,
		  l->has_txt ? l->lease.epoch + 1 : 1, now_wall, plan);
}

static void count_health(const lease_params_t *p, lease_state_t *st, const lease_obs_t *obs,
			 lease_plan_t *plan)
{
	if (p->role != CONFIG_ROLE_DR || obs->health == LEASE_HEALTH_UNKNOWN) {
		return;
	}
	if (obs->health == LEASE_HEALTH_OK) {
		st->health_failures = 0;
		event(&plan->events, LOG_LEVEL_INFO, "Primary healthy");
		return;
	}
	if (st->health_failures < UINT32_MAX) {
		st->health_failures++;
	}
	event(&plan->events, LOG_LEVEL_WARN, "Primary health check failed (%u/%u)",
	      st->health_failures < p->fail_threshold ? st->health_failures : p->fail_threshold,
	      p->fail_threshold);
}

void lease_decide(const lease_params_t *p, lease_state_t *st, const lease_obs_t *obs,
		  int64_t now_wall, int64_t now_mono, lease_plan_t *plan)
{
	memset(plan, 0, sizeof(*plan));
	if (!st->holding) {
		count_health(p, st, obs, plan);
	}
	if (obs->read != DF_OK && obs->read != DF_ENOTFOUND) {
		event(&plan->events, LOG_LEVEL_WARN, "%s: cannot read the lease: %s",
		      st->holding ? "Failed to renew lease" : "Lease check failed",
		      obs->read_error != NULL ? obs->read_error : df_strerror(obs->read));
		return;
	}
	observe(st, &obs->lease, now_mono);
	if (obs->lease.a_count > 1) {
		/* Every write replaces the whole A RRset: the next one mends it. */
		event(&plan->events, LOG_LEVEL_WARN,
		      "The lease has %zu A records (%s) where it should have one: the holder's "
		      "next write replaces them (or delete the extra ones by hand)",
		      obs->lease.a_count, obs->lease.a_list);
	}
	if (obs->lease.has_txt && !obs->lease.txt_valid) {
		char shown[TXT_SHOWN];
		event(&plan->events, LOG_LEVEL_ERROR,
		      "The TXT record holds \"%s\", which is not a lease: not touching it (fix it "
		      "by hand or run 'init --force')",
		      shown_txt(shown, obs->lease.txt));
		st->holding = false;
		return;
	}
	if (st->holding && decide_holding(p, st, obs, now_wall, now_mono, plan)) {
		return;
	}
	if (st->pending && lease_value_same_txt(&obs->lease, &st->pending_value)) {
		/* Our take applied although its answer was lost. */
		st->holding = true;
		st->written = obs->lease;
		st->renewed_ms = st->pending_sent_ms;
		st->act_after_ms = st->pending_act_after_ms;
		st->pending = false;
		decide_holding(p, st, obs, now_wall, now_mono, plan);
		return;
	}
	st->pending = false;
	if (p->role == CONFIG_ROLE_PRIMARY) {
		decide_primary(p, st, obs, now_wall, now_mono, plan);
	} else {
		decide_dr(p, st, obs, now_wall, now_mono, plan);
	}
}

void lease_apply(const lease_params_t *p, lease_state_t *st, lease_plan_t *plan, int result,
		 const char *reason, int64_t sent_mono, int64_t now_mono)
{
	lease_events_t *ev = &plan->events;
	if (plan->action == LEASE_ACT_NONE) {
		return;
	}
	if (result == DF_OK) {
		bool took = plan->action == LEASE_ACT_TAKE;
		st->holding = true;
		st->pending = false;
		st->renewed_ms = sent_mono;
		st->seen_since_ms = sent_mono;
		st->written = plan->next;
		if (took) {
			st->act_after_ms = plan->act_after_ms;
			/* No checks run while holding: a count from before
			 * would be stale by the time the lease is lost. */
			st->health_failures = 0;
		}
		st->seen = true;
		st->seen_absent = false;
		snprintf(st->seen_txt, sizeof(st->seen_txt), "%s", plan->next.txt);
		long long exp = (long long)plan->next.lease.exp;
		if (!took) {
			event(ev, LOG_LEVEL_INFO, "Lease renewed, expires at %lld", exp);
		} else if (plan->take == LEASE_TAKE_FAILOVER) {
			event(ev, LOG_LEVEL_INFO, "FAILOVER: Promoted DR to active, A=%s",
			      plan->next.a);
		} else if (plan->take == LEASE_TAKE_RECLAIM) {
			event(ev, LOG_LEVEL_INFO, "FAILBACK: Restored primary as active, A=%s",
			      plan->next.a);
		} else {
			event(ev, LOG_LEVEL_INFO, "Lease %s: owner=%s epoch=%llu, expires at %lld",
			      plan->take == LEASE_TAKE_CREATE ? "created" : "acquired",
			      plan->next.lease.owner, (unsigned long long)plan->next.lease.epoch,
			      exp);
		}
		if (took && st->act_after_ms > now_mono) {
			event(ev, LOG_LEVEL_INFO,
			      "Acting as active in %llds (break before make: the previous holder "
			      "stops by then)",
			      (long long)secs_until(st->act_after_ms, now_mono));
		}
		return;
	}
	if (result == DF_ECONFLICT) {
		/* A verified answer: someone else wrote first. Re-read next tick. */
		bool was_holding = plan->action == LEASE_ACT_RENEW;
		st->holding = false;
		st->pending = false;
		event(ev, LOG_LEVEL_WARN, "%s: %s",
		      was_holding ? "Lost the lease - stepping down" : "Could not take the lease",
		      reason != NULL ? reason : "someone else changed it first");
		return;
	}
	/* Unknown outcome: it may have applied. The next read tells. */
	st->pending = true;
	st->pending_value = plan->next;
	st->pending_sent_ms = sent_mono;
	st->pending_act_after_ms = plan->act_after_ms;
	event(ev, LOG_LEVEL_ERROR, "Failed to %s lease: %s",
	      plan->action == LEASE_ACT_RENEW ? "renew" : "take the",
	      reason != NULL ? reason : "unknown error");
	(void)p;
}

bool lease_active(const lease_params_t *p, const lease_state_t *st, int64_t now_mono)
{
	return st->holding && now_mono < st->renewed_ms + p->renew_deadline_ms &&
	       now_mono >= st->act_after_ms;
}

int64_t lease_next_change(const lease_params_t *p, const lease_state_t *st, int64_t now_mono)
{
	int64_t deadline = st->renewed_ms + p->renew_deadline_ms;
	if (!st->holding || now_mono >= deadline) {
		return INT64_MAX;
	}
	/* An act instant past the deadline changes nothing: only a renewal
	 * can make the site active then. */
	if (now_mono < st->act_after_ms) {
		return st->act_after_ms < deadline ? st->act_after_ms : INT64_MAX;
	}
	return deadline;
}
