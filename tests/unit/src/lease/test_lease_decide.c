/*
 * Unit tests of the running daemon's lease decision (DESIGN section 3):
 * lease_decide, lease_apply, lease_active and lease_next_change, one test
 * per branch. The event wording is part of the contract (operators alert on
 * it), so every test asserts the exact lines.
 *
 * Timings throughout: I = 10 s, D = 40 s, L = 60 s, FAIL_THRESHOLD = 3.
 * Wall time W, monotonic times in milliseconds. The taking side waits
 * LEASE_STABLE_MS(L) = L = 60000 ms of an unchanged value before it takes,
 * and acts LEASE_ACT_DELAY_MS(D) = D + D/500 = 40080 ms after it first saw
 * the value it replaced (lease.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "src/lease/lease.h"
#include "src/common/log.h"

#define W	     INT64_C(1800000000)
#define L_MS	     INT64_C(60000)
#define D_MS	     INT64_C(40000)
#define PRIMARY_IP   "192.0.2.10"
#define DR_IP	     "198.51.100.20"
#define MAX_TXT_TEXT 128

static lease_params_t params(enum config_role role, bool self_check)
{
	lease_params_t p;
	memset(&p, 0, sizeof(p));
	p.role = role;
	p.lease_ttl_ms = L_MS;
	p.renew_deadline_ms = D_MS;
	p.fail_threshold = 3;
	snprintf(p.my_ip, sizeof(p.my_ip), "%s", role == CONFIG_ROLE_PRIMARY ? PRIMARY_IP : DR_IP);
	p.self_check = self_check;
	return p;
}

/* A lease as a reader would return it. */
static lease_t lease_of(const char *owner, int64_t exp, uint64_t epoch)
{
	lease_t l;
	memset(&l, 0, sizeof(l));
	l.has_a = true;
	snprintf(l.a, sizeof(l.a), "%s", strcmp(owner, "dr") == 0 ? DR_IP : PRIMARY_IP);
	snprintf(l.lease.owner, sizeof(l.lease.owner), "%s", owner);
	l.lease.exp = exp;
	l.lease.epoch = epoch;
	assert_int_equal(lease_value_format(&l), DF_OK);
	return l;
}

static lease_t foreign(const char *txt)
{
	lease_t l;
	memset(&l, 0, sizeof(l));
	l.has_txt = true;
	l.txt_valid = false;
	snprintf(l.txt, sizeof(l.txt), "%s", txt);
	return l;
}

static lease_obs_t obs_read(const lease_t *l, enum lease_health health)
{
	lease_obs_t o;
	memset(&o, 0, sizeof(o));
	o.read = DF_OK;
	o.lease = *l;
	o.health = health;
	return o;
}

static lease_obs_t obs_absent(enum lease_health health)
{
	lease_obs_t o;
	memset(&o, 0, sizeof(o));
	o.read = DF_ENOTFOUND;
	o.health = health;
	return o;
}

static lease_obs_t obs_error(int err, const char *why, enum lease_health health)
{
	lease_obs_t o;
	memset(&o, 0, sizeof(o));
	o.read = err;
	o.read_error = why;
	o.health = health;
	return o;
}

static void print_events(const lease_plan_t *plan)
{
	for (size_t i = 0; i < plan->events.count; i++) {
		print_message("  event %zu [%d] %s\n", i, plan->events.e[i].level,
			      plan->events.e[i].text);
	}
}

/* The plan's events are exactly these (level, text) pairs, in order. */
static void expect_events(const lease_plan_t *plan, size_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	bool ok = plan->events.count == n;
	for (size_t i = 0; i < n; i++) {
		int level = va_arg(ap, int);
		const char *text = va_arg(ap, const char *);
		if (i < plan->events.count && (plan->events.e[i].level != level ||
					       strcmp(plan->events.e[i].text, text) != 0)) {
			print_message("expected event %zu [%d] %s\n", i, level, text);
			ok = false;
		}
	}
	va_end(ap);
	if (!ok) {
		print_events(plan);
		fail_msg("events differ (expected %zu, got %zu)", n, plan->events.count);
	}
}

static char *fmt(char *buf, size_t size, const char *f, long long v)
{
	snprintf(buf, size, f, v);
	return buf;
}

static void decide(const lease_params_t *p, lease_state_t *st, const lease_obs_t *o, int64_t wall,
		   int64_t mono, lease_plan_t *plan)
{
	lease_decide(p, st, o, wall, mono, plan);
}

/*
 * Brings st to holding a lease of p's role through ADOPT (tick at mono
 * 1000, wall W) and one renewal (mono 41000, wall W + 40). Afterwards:
 * renewed 41000, act_after 1000 + LEASE_ACT_DELAY_MS(D) = 41080, active on
 * [41080, 81000), written exp W + 100, epoch 7.
 */
static void hold(const lease_params_t *p, lease_state_t *st)
{
	lease_plan_t plan;
	lease_state_init(st);
	lease_t own = lease_of(config_role_name(p->role), W + 30, 7);
	lease_obs_t o = obs_read(&own, LEASE_HEALTH_UNKNOWN);
	decide(p, st, &o, W, 1000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_int_equal(plan.take, LEASE_TAKE_ADOPT);
	lease_apply(p, st, &plan, DF_OK, NULL, 1000, 1010);
	o = obs_read(&st->written, LEASE_HEALTH_UNKNOWN);
	decide(p, st, &o, W + 40, 41000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	lease_apply(p, st, &plan, DF_OK, NULL, 41000, 41010);
	assert_true(st->holding);
	assert_int_equal(st->written.lease.exp, W + 100);
	assert_false(lease_active(p, st, 1000 + LEASE_ACT_DELAY_MS(D_MS) - 1));
	assert_true(lease_active(p, st, 1000 + LEASE_ACT_DELAY_MS(D_MS)));
	assert_true(lease_active(p, st, 80999));
	assert_false(lease_active(p, st, 81000));
}

/* ---------------------------------------------------------------- primary */

static void primary_absent_creates_epoch_1_after_break_before_make(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	char buf[MAX_TXT_TEXT];
	lease_state_init(&st);

	lease_obs_t o = obs_absent(LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W, 1000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_int_equal(plan.take, LEASE_TAKE_CREATE);
	assert_false(plan.expected.has_txt);
	assert_true(plan.next.has_a);
	assert_string_equal(plan.next.a, PRIMARY_IP);
	assert_string_equal(plan.next.lease.owner, "primary");
	assert_int_equal(plan.next.lease.exp, W + 60);
	assert_int_equal(plan.next.lease.epoch, 1);
	assert_string_equal(plan.next.txt, fmt(buf, sizeof(buf), "owner=primary exp=%lld epoch=1",
					       (long long)(W + 60)));
	assert_int_equal(plan.act_after_ms, 1000 + LEASE_ACT_DELAY_MS(D_MS));
	expect_events(&plan, 0);
	assert_false(lease_active(&p, &st, 1000));

	lease_apply(&p, &st, &plan, DF_OK, NULL, 1000, 1020);
	/* act_after 1000 + 40080 = 41080: 40060 ms after 1020, rounded up. */
	char created[128];
	snprintf(created, sizeof(created), "Lease created: owner=primary epoch=1, expires at %lld",
		 (long long)(W + 60));
	expect_events(&plan, 2, LOG_LEVEL_INFO, created, LOG_LEVEL_INFO,
		      "Acting as active in 41s (break before make: the previous holder stops by "
		      "then)");
	assert_true(st.holding);
	assert_false(lease_active(&p, &st, 1020));
	/* act_after (41080) lies past this write's deadline (41000): nothing
	 * changes on its own until the next renewal moves the deadline. */
	assert_int_equal(lease_next_change(&p, &st, 1020), INT64_MAX);

	/* The renewal at the next tick keeps the epoch; exp = now + L. */
	o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 10, 11000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	assert_string_equal(plan.expected.txt, st.written.txt);
	assert_int_equal(plan.next.lease.epoch, 1);
	assert_int_equal(plan.next.lease.exp, W + 70);
	assert_string_equal(plan.next.a, PRIMARY_IP);
	expect_events(&plan, 0);
	lease_apply(&p, &st, &plan, DF_OK, NULL, 11000, 11030);
	expect_events(&plan, 1, LOG_LEVEL_INFO,
		      fmt(buf, sizeof(buf), "Lease renewed, expires at %lld", (long long)(W + 70)));
	/* Active on [act_after, renewed + D) = [41080, 51000). */
	assert_false(lease_active(&p, &st, 1000 + LEASE_ACT_DELAY_MS(D_MS) - 1));
	assert_true(lease_active(&p, &st, 1000 + LEASE_ACT_DELAY_MS(D_MS)));
	assert_true(lease_active(&p, &st, 11000 + D_MS - 1));
	assert_false(lease_active(&p, &st, 11000 + D_MS));
	assert_int_equal(lease_next_change(&p, &st, 20000), 1000 + LEASE_ACT_DELAY_MS(D_MS));
	assert_int_equal(lease_next_change(&p, &st, 1000 + LEASE_ACT_DELAY_MS(D_MS) - 1),
			 1000 + LEASE_ACT_DELAY_MS(D_MS));
	assert_int_equal(lease_next_change(&p, &st, 1000 + LEASE_ACT_DELAY_MS(D_MS)), 51000);
	assert_int_equal(lease_next_change(&p, &st, 51000), INT64_MAX);
}

static void primary_holding_renews_same_epoch(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	char buf[MAX_TXT_TEXT];
	hold(&p, &st);
	/* A failed health result is ignored without self_check. */
	lease_obs_t o = obs_read(&st.written, LEASE_HEALTH_FAILED);
	decide(&p, &st, &o, W + 50, 51000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	assert_string_equal(
		plan.expected.txt,
		fmt(buf, sizeof(buf), "owner=primary exp=%lld epoch=7", (long long)(W + 100)));
	assert_string_equal(plan.next.txt, fmt(buf, sizeof(buf), "owner=primary exp=%lld epoch=7",
					       (long long)(W + 110)));
	lease_apply(&p, &st, &plan, DF_OK, NULL, 51000, 51200);
	expect_events(
		&plan, 1, LOG_LEVEL_INFO,
		fmt(buf, sizeof(buf), "Lease renewed, expires at %lld", (long long)(W + 110)));
	/* Measured from when the renewal was sent, not answered. */
	assert_true(lease_active(&p, &st, 90999));
	assert_false(lease_active(&p, &st, 91000));
	assert_int_equal(lease_next_change(&p, &st, 60000), 91000);
}

/* Two renewals in one wall second must still write different values, or
 * the other side would count the second one as unchanged from the first. */
static void same_second_renewal_still_changes_the_value(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	char buf[MAX_TXT_TEXT];
	hold(&p, &st); /* renewed at 41000 with exp W + 100, i.e. at wall W + 40 */
	lease_obs_t o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 40, 41900, &plan);
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	assert_int_equal(plan.next.lease.exp, W + 101);
	assert_string_equal(plan.next.txt, fmt(buf, sizeof(buf), "owner=primary exp=%lld epoch=7",
					       (long long)(W + 101)));
	lease_apply(&p, &st, &plan, DF_OK, NULL, 41900, 41950);
	assert_int_equal(st.renewed_ms, 41900);
	assert_int_equal(st.seen_since_ms, 41900);
	/* A clock that stepped back a whole second: exp still moves on. */
	o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 39, 42900, &plan);
	assert_int_equal(plan.next.lease.exp, W + 102);
	/* The next second's renewal is simply now + L again. */
	lease_apply(&p, &st, &plan, DF_OK, NULL, 42900, 42950);
	o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 50, 51000, &plan);
	assert_int_equal(plan.next.lease.exp, W + 110);
}

/* Adopting a lease of our own role carries its exp on too (a skewed exp
 * of our own site is kept monotonic); a takeover writes now + L. Through
 * lease_decide() another owner's value is only ever replaced once its exp
 * has passed, so make_next()'s owner check is a safeguard no decision path
 * reaches: this test covers the paths, not that check. */
static void carried_exp_only_from_own_role(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_state_init(&st);
	/* A DR lease written 10 minutes ahead by a skewed clock, adopted. */
	lease_t own = lease_of("dr", W + 600, 4);
	lease_obs_t o = obs_read(&own, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W, 1000, &plan);
	assert_int_equal(plan.take, LEASE_TAKE_ADOPT);
	assert_int_equal(plan.next.lease.exp, W + 601);
	/* An expired primary lease, taken over: exp = now + L. */
	lease_state_init(&st);
	st.health_failures = p.fail_threshold;
	lease_t prim = lease_of("primary", W - 5, 4);
	o = obs_read(&prim, LEASE_HEALTH_FAILED);
	decide(&p, &st, &o, W, 1000, &plan);
	decide(&p, &st, &o, W, 1000 + LEASE_STABLE_MS(L_MS), &plan);
	assert_int_equal(plan.take, LEASE_TAKE_FAILOVER);
	assert_int_equal(plan.next.lease.exp, W + 60);
}

static void holder_sees_other_value_loses_lease(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	char lost[256];
	hold(&p, &st);
	lease_t dr = lease_of("dr", W + 200, 8);
	lease_obs_t o = obs_read(&dr, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 50, 51000, &plan);
	snprintf(lost, sizeof(lost),
		 "Lease lost: the record now holds \"owner=dr exp=%lld epoch=8\" (someone else "
		 "wrote it) - stepping down",
		 (long long)(W + 200));
	expect_events(&plan, 2, LOG_LEVEL_WARN, lost, LOG_LEVEL_INFO,
		      "DR currently owns lease - not overwriting (run 'failback' to reclaim)");
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	assert_false(st.holding);
	assert_false(lease_active(&p, &st, 51000));
	assert_int_equal(lease_next_change(&p, &st, 51000), INT64_MAX);

	/* The DR holder after a failback: loses it, does not take it back. */
	lease_params_t d = params(CONFIG_ROLE_DR, false);
	hold(&d, &st);
	lease_t pr = lease_of("primary", W + 200, 8);
	o = obs_read(&pr, LEASE_HEALTH_UNKNOWN);
	decide(&d, &st, &o, W + 50, 51000, &plan);
	snprintf(lost, sizeof(lost),
		 "Lease lost: the record now holds \"owner=primary exp=%lld epoch=8\" (someone "
		 "else wrote it) - stepping down",
		 (long long)(W + 200));
	expect_events(&plan, 1, LOG_LEVEL_WARN, lost);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	assert_false(lease_active(&d, &st, 51000));

	/* The record deleted under the holder: lost, then re-created. */
	hold(&p, &st);
	o = obs_absent(LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 50, 51000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_WARN,
		      "Lease lost: the record now holds \"(nothing)\" (someone else wrote it) - "
		      "stepping down");
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_int_equal(plan.take, LEASE_TAKE_CREATE);
	assert_int_equal(plan.act_after_ms, 51000 + LEASE_ACT_DELAY_MS(D_MS));
	assert_false(lease_active(&p, &st, 51000));
}

static void renewal_conflict_steps_down_at_once(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	hold(&p, &st);
	lease_obs_t o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 50, 51000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	lease_apply(&p, &st, &plan, DF_ECONFLICT, "prerequisite failed (NXRRSET)", 51000, 51100);
	expect_events(&plan, 1, LOG_LEVEL_WARN,
		      "Lost the lease - stepping down: prerequisite failed (NXRRSET)");
	assert_false(st.holding);
	assert_false(st.pending);
	assert_false(lease_active(&p, &st, 51100));
	assert_int_equal(lease_next_change(&p, &st, 51100), INT64_MAX);

	/* Without a reason. */
	hold(&p, &st);
	o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 50, 51000, &plan);
	lease_apply(&p, &st, &plan, DF_ECONFLICT, NULL, 51000, 51100);
	expect_events(&plan, 1, LOG_LEVEL_WARN,
		      "Lost the lease - stepping down: someone else changed it first");
}

static void renewal_error_stays_active_until_deadline(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	hold(&p, &st);
	lease_t before = st.written;
	lease_obs_t o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 50, 51000, &plan);
	lease_apply(&p, &st, &plan, DF_ETIMEDOUT, "no answer from 127.0.0.1#53 after 3 tries",
		    51000, 60000);
	expect_events(&plan, 1, LOG_LEVEL_ERROR,
		      "Failed to renew lease: no answer from 127.0.0.1#53 after 3 tries");
	assert_true(st.holding);
	assert_true(st.pending);
	/* Still measured from the last successful renewal (41000). */
	assert_true(lease_active(&p, &st, 80999));
	assert_false(lease_active(&p, &st, 81000));
	assert_int_equal(lease_next_change(&p, &st, 60000), 81000);

	/* The write did not apply: renew again from what we wrote before. */
	o = obs_read(&before, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 61, 61000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	assert_string_equal(plan.expected.txt, before.txt);
	expect_events(&plan, 0);
	lease_apply(&p, &st, &plan, DF_ENETWORK, NULL, 61000, 62000);
	expect_events(&plan, 1, LOG_LEVEL_ERROR, "Failed to renew lease: unknown error");

	/* DNS cannot even be read: no action, step down at the deadline. */
	o = obs_error(DF_ETIMEDOUT, "timed out", LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 71, 71000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	expect_events(&plan, 1, LOG_LEVEL_WARN,
		      "Failed to renew lease: cannot read the lease: timed out");
	assert_true(lease_active(&p, &st, 80999));
	assert_false(lease_active(&p, &st, 81000));
	assert_int_equal(lease_next_change(&p, &st, 81000), INT64_MAX);
}

static void pending_renewal_that_applied_is_recognised(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	char buf[MAX_TXT_TEXT];
	hold(&p, &st);
	lease_obs_t o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 50, 51000, &plan);
	lease_t applied = plan.next;
	lease_apply(&p, &st, &plan, DF_ETIMEDOUT, "timed out", 51000, 54000);
	assert_false(lease_active(&p, &st, 81000));

	/* The next read shows the value whose answer was lost. */
	o = obs_read(&applied, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 61, 61000, &plan);
	expect_events(&plan, 0);
	assert_false(st.pending);
	assert_string_equal(st.written.txt, applied.txt);
	assert_int_equal(st.renewed_ms, 51000); /* the pending send time */
	assert_true(lease_active(&p, &st, 90999));
	assert_false(lease_active(&p, &st, 91000));
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	assert_string_equal(plan.expected.txt, applied.txt);
	lease_apply(&p, &st, &plan, DF_OK, NULL, 61000, 61010);
	expect_events(
		&plan, 1, LOG_LEVEL_INFO,
		fmt(buf, sizeof(buf), "Lease renewed, expires at %lld", (long long)(W + 121)));
	assert_true(lease_active(&p, &st, 100999));
}

static void self_check_unhealthy_primary_stops_renewing(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, true);
	lease_state_t st;
	lease_plan_t plan;
	hold(&p, &st);
	lease_obs_t o = obs_read(&st.written, LEASE_HEALTH_FAILED);
	decide(&p, &st, &o, W + 50, 51000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	expect_events(&plan, 1, LOG_LEVEL_WARN,
		      "Own collector unhealthy - not renewing the lease (stepping down in 30s)");
	assert_true(lease_active(&p, &st, 80999));
	assert_false(lease_active(&p, &st, 81000));
	/* Past the deadline it says 0s and still holds nothing it acts on. */
	decide(&p, &st, &o, W + 90, 91000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_WARN,
		      "Own collector unhealthy - not renewing the lease (stepping down in 0s)");
	assert_false(lease_active(&p, &st, 91000));

	/* Healthy again (or not checked this tick): renews. */
	o = obs_read(&st.written, LEASE_HEALTH_OK);
	decide(&p, &st, &o, W + 100, 101000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 100, 101000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_RENEW);

	/* Not holding: does not take any lease while unhealthy. */
	lease_state_init(&st);
	o = obs_absent(LEASE_HEALTH_FAILED);
	decide(&p, &st, &o, W, 1000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	expect_events(&plan, 1, LOG_LEVEL_WARN, "Own collector unhealthy - not taking the lease");
	lease_t own = lease_of("primary", W + 30, 3);
	o = obs_read(&own, LEASE_HEALTH_FAILED);
	decide(&p, &st, &o, W + 10, 11000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	expect_events(&plan, 1, LOG_LEVEL_WARN, "Own collector unhealthy - not taking the lease");
}

static void primary_adopts_own_role_lease_it_did_not_write(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_state_init(&st);
	lease_t own = lease_of("primary", W + 30, 7);
	lease_obs_t o = obs_read(&own, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W, 1000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_int_equal(plan.take, LEASE_TAKE_ADOPT);
	assert_string_equal(plan.expected.txt, own.txt);
	assert_int_equal(plan.next.lease.epoch, 7);
	assert_int_equal(plan.next.lease.exp, W + 60);
	assert_int_equal(plan.act_after_ms, 1000 + LEASE_ACT_DELAY_MS(D_MS));
	expect_events(&plan, 0);
	lease_apply(&p, &st, &plan, DF_ECONFLICT, NULL, 1000, 1100);
	expect_events(&plan, 1, LOG_LEVEL_WARN,
		      "Could not take the lease: someone else changed it first");
	assert_false(st.holding);

	/* Same value at the next tick: act_after still counts from first seen. */
	decide(&p, &st, &o, W + 10, 11000, &plan);
	assert_int_equal(plan.take, LEASE_TAKE_ADOPT);
	assert_int_equal(plan.act_after_ms, 1000 + LEASE_ACT_DELAY_MS(D_MS));
	lease_apply(&p, &st, &plan, DF_OK, NULL, 11000, 11100);
	/* act_after 1000 + 40080 = 41080: 29980 ms after 11100, rounded up. */
	char acquired[128];
	snprintf(acquired, sizeof(acquired),
		 "Lease acquired: owner=primary epoch=7, expires at %lld", (long long)(W + 70));
	expect_events(&plan, 2, LOG_LEVEL_INFO, acquired, LOG_LEVEL_INFO,
		      "Acting as active in 30s (break before make: the previous holder stops by "
		      "then)");
	assert_false(lease_active(&p, &st, 1000 + LEASE_ACT_DELAY_MS(D_MS) - 1));
	assert_true(lease_active(&p, &st, 1000 + LEASE_ACT_DELAY_MS(D_MS)));
	assert_int_equal(lease_next_change(&p, &st, 11100), 1000 + LEASE_ACT_DELAY_MS(D_MS));
}

static void primary_leaves_valid_dr_lease(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_state_init(&st);
	lease_t dr = lease_of("dr", W + 1, 4);
	lease_obs_t o = obs_read(&dr, LEASE_HEALTH_OK);
	/* However long it has been unchanged. */
	decide(&p, &st, &o, W, 1000, &plan);
	decide(&p, &st, &o, W, 1000 + 10 * L_MS, &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	expect_events(&plan, 1, LOG_LEVEL_INFO,
		      "DR currently owns lease - not overwriting (run 'failback' to reclaim)");
}

static void primary_reclaims_dr_lease_expired_both_ways(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_state_init(&st);
	lease_t dr = lease_of("dr", W - 10, 4);
	lease_obs_t o = obs_read(&dr, LEASE_HEALTH_UNKNOWN);
	/* Stable at 1000 + LEASE_STABLE_MS(L) = 61000: 60000 ms after 1000. */
	decide(&p, &st, &o, W, 1000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	expect_events(&plan, 1, LOG_LEVEL_INFO, "Waiting for DR lease to expire (60s remaining)");
	decide(&p, &st, &o, W + 30, 31000, &plan); /* 61000 - 31000 = 30000 ms */
	expect_events(&plan, 1, LOG_LEVEL_INFO, "Waiting for DR lease to expire (30s remaining)");
	/* 500 ms left, rounded up. */
	decide(&p, &st, &o, W + 59, 1000 + LEASE_STABLE_MS(L_MS) - 500, &plan);
	expect_events(&plan, 1, LOG_LEVEL_INFO, "Waiting for DR lease to expire (1s remaining)");
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	decide(&p, &st, &o, W + 59, 1000 + LEASE_STABLE_MS(L_MS) - 1, &plan);
	expect_events(&plan, 1, LOG_LEVEL_INFO, "Waiting for DR lease to expire (1s remaining)");
	assert_int_equal(plan.action, LEASE_ACT_NONE);

	/* A changed DR value restarts the wait, even if already expired. */
	lease_t dr2 = lease_of("dr", W - 5, 4);
	lease_obs_t o2 = obs_read(&dr2, LEASE_HEALTH_UNKNOWN);
	lease_state_t st2;
	lease_state_init(&st2);
	decide(&p, &st2, &o, W, 1000, &plan);
	decide(&p, &st2, &o2, W + 50, 51000, &plan);
	/* 51000 + LEASE_STABLE_MS(L) - 51000 = 60000 ms. */
	expect_events(&plan, 1, LOG_LEVEL_INFO, "Waiting for DR lease to expire (60s remaining)");

	/* Stable at 61000, i.e. wall W + 60. */
	decide(&p, &st, &o, W + 60, 1000 + LEASE_STABLE_MS(L_MS), &plan);
	expect_events(&plan, 1, LOG_LEVEL_WARN, "DR lease expired - reclaiming it for the primary");
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_int_equal(plan.take, LEASE_TAKE_RECLAIM);
	assert_string_equal(plan.expected.txt, dr.txt);
	assert_string_equal(plan.next.lease.owner, "primary");
	assert_int_equal(plan.next.lease.epoch, 5);
	assert_int_equal(plan.next.lease.exp, W + 120); /* W + 60 + L */
	assert_string_equal(plan.next.a, PRIMARY_IP);
	assert_int_equal(plan.act_after_ms, 1000 + LEASE_ACT_DELAY_MS(D_MS));
	/* act_after (41080) is already past: no "Acting as active in" line.
	 * Sent at 61000, the decision's instant. */
	lease_apply(&p, &st, &plan, DF_OK, NULL, 61000, 61050);
	expect_events(&plan, 2, LOG_LEVEL_WARN, "DR lease expired - reclaiming it for the primary",
		      LOG_LEVEL_INFO, "FAILBACK: Restored primary as active, A=" PRIMARY_IP);
	assert_true(lease_active(&p, &st, 61050));
	assert_true(lease_active(&p, &st, 61000 + D_MS - 1));
	assert_false(lease_active(&p, &st, 61000 + D_MS));
}

/* --------------------------------------------------------------------- DR */

static void dr_counts_health_checks(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_state_init(&st);
	lease_t pr = lease_of("primary", W + 60, 7);
	lease_obs_t ok = obs_read(&pr, LEASE_HEALTH_OK);
	lease_obs_t bad = obs_read(&pr, LEASE_HEALTH_FAILED);
	lease_obs_t unk = obs_read(&pr, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &ok, W, 1000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_INFO, "Primary healthy");
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	decide(&p, &st, &bad, W + 10, 11000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_WARN, "Primary health check failed (1/3)");
	decide(&p, &st, &bad, W + 20, 21000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_WARN, "Primary health check failed (2/3)");
	assert_int_equal(st.health_failures, 2);
	/* Not checked this tick: no line, the count stays. */
	decide(&p, &st, &unk, W + 25, 25000, &plan);
	expect_events(&plan, 0);
	assert_int_equal(st.health_failures, 2);
	decide(&p, &st, &ok, W + 30, 31000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_INFO, "Primary healthy");
	assert_int_equal(st.health_failures, 0);
	decide(&p, &st, &bad, W + 40, 41000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_WARN, "Primary health check failed (1/3)");
	/* A read error does not stop the count. */
	lease_obs_t err = obs_error(DF_ETIMEDOUT, "timed out", LEASE_HEALTH_FAILED);
	decide(&p, &st, &err, W + 50, 51000, &plan);
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (2/3)", LOG_LEVEL_WARN,
		      "Lease check failed: cannot read the lease: timed out");
	assert_int_equal(plan.action, LEASE_ACT_NONE);
}

static void dr_below_threshold_never_acts(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_state_init(&st);
	/* Expired by both rules, and absent: still nothing below the threshold. */
	lease_t pr = lease_of("primary", W - 1000, 7);
	lease_obs_t bad = obs_read(&pr, LEASE_HEALTH_FAILED);
	decide(&p, &st, &bad, W, 1000, &plan);
	decide(&p, &st, &bad, W + 500, 501000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_WARN, "Primary health check failed (2/3)");
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	lease_state_init(&st);
	lease_obs_t none = obs_absent(LEASE_HEALTH_OK);
	decide(&p, &st, &none, W, 1000, &plan);
	decide(&p, &st, &none, W + 500, 501000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	expect_events(&plan, 1, LOG_LEVEL_INFO, "Primary healthy");
}

static void dr_at_threshold_waits_for_both_rules(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_plan_t plan;
	/* exp further away than LEASE_STABLE_MS(L) since first seen: the wall
	 * time counts. */
	lease_state_init(&st);
	lease_t pr = lease_of("primary", W + 70, 7);
	lease_obs_t bad = obs_read(&pr, LEASE_HEALTH_FAILED);
	decide(&p, &st, &bad, W, 1000, &plan);
	decide(&p, &st, &bad, W + 10, 11000, &plan);
	decide(&p, &st, &bad, W + 20, 21000, &plan);
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Waiting for primary lease to expire (50s remaining)");
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	/* The count is shown capped. */
	decide(&p, &st, &bad, W + 30, 31000, &plan);
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Waiting for primary lease to expire (40s remaining)");
	assert_int_equal(st.health_failures, 4);

	/* exp close (the primary's clock is behind): the monotonic rule counts. */
	lease_state_init(&st);
	pr = lease_of("primary", W + 25, 7);
	bad = obs_read(&pr, LEASE_HEALTH_FAILED);
	decide(&p, &st, &bad, W, 1000, &plan);
	decide(&p, &st, &bad, W + 10, 11000, &plan);
	decide(&p, &st, &bad, W + 20, 21000, &plan);
	/* Stable at 1000 + LEASE_STABLE_MS(L) = 61000: 40 s after 21000, more
	 * than the 5 s exp is away. */
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Waiting for primary lease to expire (40s remaining)");
	/* exp long past by our clock (ours is ahead): still L unchanged, so
	 * 61000 - 51000 = 10 s. */
	decide(&p, &st, &bad, W + 3600, 51000, &plan);
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Waiting for primary lease to expire (10s remaining)");
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	/* A renewal by the primary restarts the monotonic wait. */
	lease_t pr2 = lease_of("primary", W + 26, 7);
	lease_obs_t bad2 = obs_read(&pr2, LEASE_HEALTH_FAILED);
	decide(&p, &st, &bad2, W + 3600, 52000, &plan);
	/* 52000 + LEASE_STABLE_MS(L) - 52000 = 60000 ms. */
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Waiting for primary lease to expire (60s remaining)");
	assert_int_equal(plan.action, LEASE_ACT_NONE);
}

/* Brings a DR to the failover plan at mono 61000 = 1000 + LEASE_STABLE_MS(L)
 * (first seen at 1000), wall W + 61: exp W + 121. */
static void dr_to_failover(const lease_params_t *p, lease_state_t *st, lease_plan_t *plan,
			   lease_t *pr)
{
	lease_state_init(st);
	*pr = lease_of("primary", W + 50, 7);
	lease_obs_t bad = obs_read(pr, LEASE_HEALTH_FAILED);
	decide(p, st, &bad, W, 1000, plan);
	decide(p, st, &bad, W + 10, 11000, plan);
	decide(p, st, &bad, W + 20, 21000, plan);
	decide(p, st, &bad, W + 60, 1000 + LEASE_STABLE_MS(L_MS) - 1, plan);
	expect_events(plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Waiting for primary lease to expire (1s remaining)");
	decide(p, st, &bad, W + 61, 1000 + LEASE_STABLE_MS(L_MS), plan);
	expect_events(plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Primary lease expired - initiating failover!");
	assert_int_equal(plan->action, LEASE_ACT_TAKE);
	assert_int_equal(plan->take, LEASE_TAKE_FAILOVER);
	assert_string_equal(plan->expected.txt, pr->txt);
	assert_string_equal(plan->next.lease.owner, "dr");
	assert_int_equal(plan->next.lease.epoch, 8);
	assert_int_equal(plan->next.lease.exp, W + 121);
	assert_string_equal(plan->next.a, DR_IP);
	assert_int_equal(plan->act_after_ms, 1000 + LEASE_ACT_DELAY_MS(D_MS));
}

static void dr_fails_over_when_both_rules_hold(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_t pr;
	char buf[MAX_TXT_TEXT];
	dr_to_failover(&p, &st, &plan, &pr);
	/* The exact second exp names is not yet past. */
	lease_state_t st2 = st;
	lease_plan_t plan2;
	lease_obs_t bad = obs_read(&pr, LEASE_HEALTH_FAILED);
	decide(&p, &st2, &bad, W + 50, 70000, &plan2);
	expect_events(&plan2, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)",
		      LOG_LEVEL_WARN, "Primary lease expired - initiating failover!");
	decide(&p, &st2, &bad, W + 49, 70000, &plan2);
	expect_events(&plan2, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)",
		      LOG_LEVEL_WARN, "Waiting for primary lease to expire (1s remaining)");

	/* act_after (41080) is already past: no "Acting as active in" line.
	 * Sent at 61000, the decision's instant. */
	lease_apply(&p, &st, &plan, DF_OK, NULL, 61000, 61100);
	expect_events(&plan, 3, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Primary lease expired - initiating failover!", LOG_LEVEL_INFO,
		      "FAILOVER: Promoted DR to active, A=" DR_IP);
	assert_true(st.holding);
	assert_true(lease_active(&p, &st, 61100));
	assert_int_equal(lease_next_change(&p, &st, 61100), 61000 + D_MS);

	/* Holding: renews whatever the primary's health, no health lines. */
	uint32_t failures = st.health_failures;
	enum lease_health hs[] = {LEASE_HEALTH_OK, LEASE_HEALTH_FAILED, LEASE_HEALTH_UNKNOWN};
	for (size_t i = 0; i < 3; i++) {
		lease_obs_t o = obs_read(&st.written, hs[i]);
		int64_t t = 71000 + (int64_t)i * 10000;
		decide(&p, &st, &o, W + 71 + (int64_t)i * 10, t, &plan);
		expect_events(&plan, 0);
		assert_int_equal(plan.action, LEASE_ACT_RENEW);
		assert_int_equal(plan.next.lease.epoch, 8);
		lease_apply(&p, &st, &plan, DF_OK, NULL, t, t + 10);
		expect_events(&plan, 1, LOG_LEVEL_INFO,
			      fmt(buf, sizeof(buf), "Lease renewed, expires at %lld",
				  (long long)(W + 131 + (int64_t)i * 10)));
		assert_int_equal(st.health_failures, failures);
	}
}

/* After a failback the DR must not act on failures counted before it
 * took over: it ran no checks while holding. */
static void dr_after_failback_starts_counting_afresh(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_t pr;
	char lost[256];
	dr_to_failover(&p, &st, &plan, &pr);
	lease_apply(&p, &st, &plan, DF_OK, NULL, 61000, 61100);
	assert_int_equal(st.health_failures, 0);
	lease_t back = lease_of("primary", W + 200, 9);
	lease_obs_t o = obs_read(&back, LEASE_HEALTH_UNKNOWN); /* holding: not checked */
	decide(&p, &st, &o, W + 71, 71000, &plan);
	snprintf(lost, sizeof(lost),
		 "Lease lost: the record now holds \"owner=primary exp=%lld epoch=9\" (someone "
		 "else wrote it) - stepping down",
		 (long long)(W + 200));
	expect_events(&plan, 1, LOG_LEVEL_WARN, lost);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	o.health = LEASE_HEALTH_FAILED;
	decide(&p, &st, &o, W + 81, 81000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_WARN, "Primary health check failed (1/3)");
}

static void dr_creates_absent_lease_after_l(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_plan_t plan;
	char buf[128];
	lease_state_init(&st);
	lease_obs_t none = obs_absent(LEASE_HEALTH_FAILED);
	decide(&p, &st, &none, W, 1000, &plan);
	decide(&p, &st, &none, W + 10, 11000, &plan);
	decide(&p, &st, &none, W + 20, 21000, &plan);
	/* Stable at 1000 + LEASE_STABLE_MS(L) = 61000: 40 s after 21000. */
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Waiting for primary lease to expire (40s remaining)");
	decide(&p, &st, &none, W + 60, 1000 + LEASE_STABLE_MS(L_MS) - 1, &plan);
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Waiting for primary lease to expire (1s remaining)");
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	decide(&p, &st, &none, W + 61, 1000 + LEASE_STABLE_MS(L_MS), &plan);
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Primary lease expired - initiating failover!");
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_int_equal(plan.take, LEASE_TAKE_CREATE);
	assert_false(plan.expected.has_txt);
	assert_int_equal(plan.next.lease.epoch, 1);
	lease_apply(&p, &st, &plan, DF_OK, NULL, 61000, 61100);
	assert_int_equal(plan.events.count, 3);
	assert_string_equal(plan.events.e[2].text,
			    fmt(buf, sizeof(buf),
				"Lease created: owner=dr epoch=1, expires at %lld",
				(long long)(W + 121))); /* W + 61 + L */
	assert_true(lease_active(&p, &st, 61100));
}

static void dr_adopts_dr_lease_it_did_not_write(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_state_init(&st);
	lease_t dr = lease_of("dr", W + 20, 9);
	lease_obs_t o = obs_read(&dr, LEASE_HEALTH_OK);
	decide(&p, &st, &o, W, 5000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_INFO, "Primary healthy");
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_int_equal(plan.take, LEASE_TAKE_ADOPT);
	assert_string_equal(plan.expected.txt, dr.txt);
	assert_int_equal(plan.next.lease.epoch, 9);
	assert_string_equal(plan.next.lease.owner, "dr");
	assert_int_equal(plan.act_after_ms, 5000 + LEASE_ACT_DELAY_MS(D_MS));
	lease_apply(&p, &st, &plan, DF_OK, NULL, 5000, 5100);
	/* act_after 5000 + 40080 = 45080 is past the deadline renewed 5000 + D
	 * = 45000: not active until the next renewal, and no instant before
	 * it at which activity changes on its own. */
	assert_false(lease_active(&p, &st, 5100));
	assert_false(lease_active(&p, &st, 45000));
	assert_false(lease_active(&p, &st, 5000 + LEASE_ACT_DELAY_MS(D_MS)));
	assert_int_equal(lease_next_change(&p, &st, 5100), INT64_MAX);
	assert_int_equal(lease_next_change(&p, &st, 5000 + LEASE_ACT_DELAY_MS(D_MS)), INT64_MAX);
}

static void take_with_unknown_outcome(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_t pr;
	dr_to_failover(&p, &st, &plan, &pr);
	lease_t next = plan.next;
	lease_state_t before = st;
	lease_apply(&p, &st, &plan, DF_ETIMEDOUT, "timed out", 61000, 70000);
	assert_int_equal(plan.events.count, 3);
	assert_string_equal(plan.events.e[2].text, "Failed to take the lease: timed out");
	assert_int_equal(plan.events.e[2].level, LOG_LEVEL_ERROR);
	assert_false(st.holding);
	assert_false(lease_active(&p, &st, 70000));
	assert_int_equal(lease_next_change(&p, &st, 70000), INT64_MAX);

	/* It did apply: the next read makes us the holder, from the send time. */
	lease_state_t applied = st;
	lease_obs_t o = obs_read(&next, LEASE_HEALTH_FAILED);
	decide(&p, &applied, &o, W + 71, 71000, &plan);
	assert_true(applied.holding);
	assert_false(applied.pending);
	assert_int_equal(applied.renewed_ms, 61000);
	assert_int_equal(applied.act_after_ms, 1000 + LEASE_ACT_DELAY_MS(D_MS));
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	assert_string_equal(plan.expected.txt, next.txt);
	assert_true(lease_active(&p, &applied, 71000));
	assert_true(lease_active(&p, &applied, 61000 + D_MS - 1));
	assert_false(lease_active(&p, &applied, 61000 + D_MS));

	/* It did not apply: decides again, the wait still counts from 1000. */
	lease_state_t lost = st;
	o = obs_read(&pr, LEASE_HEALTH_FAILED);
	decide(&p, &lost, &o, W + 71, 71000, &plan);
	assert_false(lost.pending);
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_int_equal(plan.take, LEASE_TAKE_FAILOVER);
	assert_int_equal(plan.act_after_ms, before.seen_since_ms + LEASE_ACT_DELAY_MS(D_MS));

	/* Someone else wrote first: not holding, re-read next tick. */
	lease_state_t conflict = before;
	dr_to_failover(&p, &conflict, &plan, &pr);
	lease_apply(&p, &conflict, &plan, DF_ECONFLICT, "prerequisite failed (NXRRSET)", 61000,
		    61100);
	assert_string_equal(plan.events.e[2].text,
			    "Could not take the lease: prerequisite failed (NXRRSET)");
	assert_false(conflict.holding);
	assert_false(lease_active(&p, &conflict, 61100));
}

/* ------------------------------------------------------------------- both */

static void foreign_txt_is_not_touched(void **state)
{
	(void)state;
	const char *msg = "The TXT record holds \"v=spf1 -all\", which is not a lease: not "
			  "touching it (fix it by hand or run 'init --force')";
	lease_t f = foreign("v=spf1 -all");
	for (int role = CONFIG_ROLE_PRIMARY; role <= CONFIG_ROLE_DR; role++) {
		lease_params_t p = params((enum config_role)role, false);
		lease_state_t st;
		lease_plan_t plan;
		lease_state_init(&st);
		lease_obs_t o = obs_read(&f, LEASE_HEALTH_UNKNOWN);
		decide(&p, &st, &o, W, 1000, &plan);
		decide(&p, &st, &o, W + 100, 101000, &plan);
		assert_int_equal(plan.action, LEASE_ACT_NONE);
		expect_events(&plan, 1, LOG_LEVEL_ERROR, msg);
		/* A holder steps down at once. */
		hold(&p, &st);
		decide(&p, &st, &o, W + 50, 51000, &plan);
		assert_int_equal(plan.action, LEASE_ACT_NONE);
		expect_events(&plan, 1, LOG_LEVEL_ERROR, msg);
		assert_false(st.holding);
		assert_false(lease_active(&p, &st, 51000));
	}
}

static void read_error_takes_no_action(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_state_init(&st);
	lease_obs_t err = obs_error(DF_ECONNREFUSED, NULL, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &err, W, 1000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	char buf[256];
	snprintf(buf, sizeof(buf), "Lease check failed: cannot read the lease: %s",
		 df_strerror(DF_ECONNREFUSED));
	expect_events(&plan, 1, LOG_LEVEL_WARN, buf);
	assert_false(st.seen);

	/* Holder: keeps acting until renewed + D, then not. */
	hold(&p, &st);
	lease_obs_t err2 = obs_error(DF_ETIMEDOUT, "timed out", LEASE_HEALTH_UNKNOWN);
	for (int64_t t = 51000; t <= 91000; t += 10000) {
		decide(&p, &st, &err2, W + t / 1000, t, &plan);
		assert_int_equal(plan.action, LEASE_ACT_NONE);
		expect_events(&plan, 1, LOG_LEVEL_WARN,
			      "Failed to renew lease: cannot read the lease: timed out");
		assert_true(st.holding);
		assert_int_equal(lease_active(&p, &st, t), t < 81000);
	}
	/* Reads come back: it renews from what it wrote and acts again. */
	lease_obs_t o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 95, 95000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	assert_false(lease_active(&p, &st, 95000));
	lease_apply(&p, &st, &plan, DF_OK, NULL, 95000, 95010);
	assert_true(lease_active(&p, &st, 95010));

	/* The DR's wait is not reset by read errors. */
	lease_params_t d = params(CONFIG_ROLE_DR, false);
	lease_state_init(&st);
	lease_t pr = lease_of("primary", W, 3);
	lease_obs_t bad = obs_read(&pr, LEASE_HEALTH_FAILED);
	lease_obs_t bad_err = obs_error(DF_ETIMEDOUT, "timed out", LEASE_HEALTH_FAILED);
	decide(&d, &st, &bad, W, 1000, &plan);
	decide(&d, &st, &bad_err, W + 10, 11000, &plan);
	decide(&d, &st, &bad_err, W + 20, 21000, &plan);
	decide(&d, &st, &bad, W + 60, 1000 + LEASE_STABLE_MS(L_MS) - 1, &plan);
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)", LOG_LEVEL_WARN,
		      "Waiting for primary lease to expire (1s remaining)");
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	decide(&d, &st, &bad, W + 61, 1000 + LEASE_STABLE_MS(L_MS), &plan);
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_int_equal(plan.take, LEASE_TAKE_FAILOVER);
}

static void next_change_when_not_holding(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_state_init(&st);
	assert_false(lease_active(&p, &st, 0));
	assert_false(lease_active(&p, &st, 1000000));
	assert_int_equal(lease_next_change(&p, &st, 0), INT64_MAX);
}

/* No event holds a raw control byte. */
static void expect_printable(const lease_plan_t *plan)
{
	for (size_t i = 0; i < plan->events.count; i++) {
		for (const char *c = plan->events.e[i].text; *c != '\0'; c++) {
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
				print_events(plan);
				fail_msg("event %zu holds the raw byte 0x%02x", i,
					 (unsigned char)*c);
			}
		}
	}
}

#define FORGE "\r\n[2026-01-01 00:00:00] [INFO] FAILOVER: Promoted DR to active, A=6.6.6.6\x1b[2K"
#define FORGE_SHOWN                                                                         \
	"\\x0d\\x0a[2026-01-01 00:00:00] [INFO] FAILOVER: Promoted DR to active, A=6.6.6.6" \
	"\\x1b[2K"

/*
 * The TXT comes from the network: whatever bytes it holds, the events quote
 * it escaped, so it cannot forge a log line or drive a terminal. The value
 * itself is kept as read (the CAS compares it byte for byte).
 */
static void network_text_is_escaped_in_events(void **state)
{
	(void)state;
	/* Not a lease: refused, quoted escaped. */
	lease_t f = foreign("v=1 note=x" FORGE);
	for (int role = CONFIG_ROLE_PRIMARY; role <= CONFIG_ROLE_DR; role++) {
		lease_params_t p = params((enum config_role)role, false);
		lease_state_t st;
		lease_plan_t plan;
		lease_state_init(&st);
		lease_obs_t o = obs_read(&f, LEASE_HEALTH_UNKNOWN);
		decide(&p, &st, &o, W, 1000, &plan);
		expect_events(&plan, 1, LOG_LEVEL_ERROR,
			      "The TXT record holds \"v=1 note=x" FORGE_SHOWN
			      "\", which is not a lease: not touching it (fix it by hand or run "
			      "'init --force')");
		expect_printable(&plan);
		assert_string_equal(st.seen_txt, "v=1 note=x" FORGE);
	}

	/* A valid lease whose unknown word holds the bytes: the holder that
	 * loses it quotes it escaped. */
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	char lost[320];
	hold(&p, &st);
	lease_t dr = lease_of("dr", W + 200, 8);
	snprintf(dr.txt, sizeof(dr.txt), "owner=dr exp=%lld epoch=8 note=x" FORGE,
		 (long long)(W + 200));
	lease_obs_t o = obs_read(&dr, LEASE_HEALTH_UNKNOWN);
	decide(&p, &st, &o, W + 50, 51000, &plan);
	snprintf(lost, sizeof(lost),
		 "Lease lost: the record now holds \"owner=dr exp=%lld epoch=8 note=x" FORGE_SHOWN
		 "\" (someone else wrote it) - stepping down",
		 (long long)(W + 200));
	expect_events(&plan, 2, LOG_LEVEL_WARN, lost, LOG_LEVEL_INFO,
		      "DR currently owns lease - not overwriting (run 'failback' to reclaim)");
	expect_printable(&plan);
	/* Kept as read: the next CAS compares these bytes. */
	assert_non_null(strstr(st.seen_txt, FORGE));
}

/*
 * The epoch grows by one on every change of owner and is never larger than
 * INT64_MAX: a lease at the largest epoch is not taken (the epoch would
 * wrap or leave the range readers accept), and the daemon says why.
 */
static void epoch_at_its_largest_is_not_taken(void **state)
{
	(void)state;
	const char *msg = "Lease epoch 9223372036854775807 is the largest a lease can carry and a "
			  "change of owner must raise it: not taking the lease (delete the lease "
			  "records by hand and run 'init')";
	/* The DR, with the primary failed and its lease expired both ways. */
	lease_params_t p = params(CONFIG_ROLE_DR, false);
	lease_state_t st;
	lease_plan_t plan;
	lease_state_init(&st);
	lease_t pr = lease_of("primary", W - 100, (uint64_t)INT64_MAX);
	lease_obs_t bad = obs_read(&pr, LEASE_HEALTH_FAILED);
	decide(&p, &st, &bad, W, 1000, &plan);
	decide(&p, &st, &bad, W + 10, 11000, &plan);
	decide(&p, &st, &bad, W + 20, 21000, &plan);
	decide(&p, &st, &bad, W + 61, 1000 + LEASE_STABLE_MS(L_MS), &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	expect_events(&plan, 2, LOG_LEVEL_WARN, "Primary health check failed (3/3)",
		      LOG_LEVEL_ERROR, msg);
	/* One below: taken with the largest. */
	lease_state_init(&st);
	pr = lease_of("primary", W - 100, (uint64_t)INT64_MAX - 1);
	bad = obs_read(&pr, LEASE_HEALTH_FAILED);
	decide(&p, &st, &bad, W, 1000, &plan);
	decide(&p, &st, &bad, W + 10, 11000, &plan);
	decide(&p, &st, &bad, W + 20, 21000, &plan);
	decide(&p, &st, &bad, W + 61, 1000 + LEASE_STABLE_MS(L_MS), &plan);
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_true(plan.next.lease.epoch == (uint64_t)INT64_MAX);

	/* The primary, reclaiming an expired DR lease. */
	lease_params_t q = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_init(&st);
	lease_t dr = lease_of("dr", W - 100, (uint64_t)INT64_MAX);
	lease_obs_t o = obs_read(&dr, LEASE_HEALTH_UNKNOWN);
	decide(&q, &st, &o, W, 1000, &plan);
	decide(&q, &st, &o, W + 60, 1000 + LEASE_STABLE_MS(L_MS), &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);
	expect_events(&plan, 1, LOG_LEVEL_ERROR, msg);
	/* Beyond INT64_MAX (no reader returns it): never wrapped to 0. */
	lease_state_init(&st);
	dr.lease.epoch = UINT64_MAX;
	o = obs_read(&dr, LEASE_HEALTH_UNKNOWN);
	decide(&q, &st, &o, W, 1000, &plan);
	decide(&q, &st, &o, W + 60, 1000 + LEASE_STABLE_MS(L_MS), &plan);
	assert_int_equal(plan.action, LEASE_ACT_NONE);

	/* A lease of our own role keeps its epoch, the largest included. */
	lease_state_init(&st);
	lease_t own = lease_of("primary", W - 100, (uint64_t)INT64_MAX);
	o = obs_read(&own, LEASE_HEALTH_UNKNOWN);
	decide(&q, &st, &o, W, 1000, &plan);
	assert_int_equal(plan.action, LEASE_ACT_TAKE);
	assert_int_equal(plan.take, LEASE_TAKE_ADOPT);
	assert_true(plan.next.lease.epoch == (uint64_t)INT64_MAX);
}

/*
 * A lease has one A record. Several are reported each tick, naming them;
 * the decision goes on (the next write replaces the whole A RRset).
 */
static void several_a_records_are_reported(void **state)
{
	(void)state;
	lease_params_t p = params(CONFIG_ROLE_PRIMARY, false);
	lease_state_t st;
	lease_plan_t plan;
	hold(&p, &st);
	lease_obs_t o = obs_read(&st.written, LEASE_HEALTH_UNKNOWN);
	o.lease.a_count = 2;
	snprintf(o.lease.a_list, sizeof(o.lease.a_list), "%s", PRIMARY_IP ", 192.0.2.99");
	decide(&p, &st, &o, W + 50, 51000, &plan);
	expect_events(&plan, 1, LOG_LEVEL_WARN,
		      "The lease has 2 A records (" PRIMARY_IP ", 192.0.2.99) where it should "
		      "have one: the holder's next write replaces them (or delete the extra ones "
		      "by hand)");
	assert_int_equal(plan.action, LEASE_ACT_RENEW);
	/* One A record: no word. */
	o.lease.a_count = 1;
	decide(&p, &st, &o, W + 60, 61000, &plan);
	expect_events(&plan, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(primary_absent_creates_epoch_1_after_break_before_make),
		cmocka_unit_test(primary_holding_renews_same_epoch),
		cmocka_unit_test(same_second_renewal_still_changes_the_value),
		cmocka_unit_test(carried_exp_only_from_own_role),
		cmocka_unit_test(holder_sees_other_value_loses_lease),
		cmocka_unit_test(renewal_conflict_steps_down_at_once),
		cmocka_unit_test(renewal_error_stays_active_until_deadline),
		cmocka_unit_test(pending_renewal_that_applied_is_recognised),
		cmocka_unit_test(self_check_unhealthy_primary_stops_renewing),
		cmocka_unit_test(primary_adopts_own_role_lease_it_did_not_write),
		cmocka_unit_test(primary_leaves_valid_dr_lease),
		cmocka_unit_test(primary_reclaims_dr_lease_expired_both_ways),
		cmocka_unit_test(dr_counts_health_checks),
		cmocka_unit_test(dr_below_threshold_never_acts),
		cmocka_unit_test(dr_at_threshold_waits_for_both_rules),
		cmocka_unit_test(dr_fails_over_when_both_rules_hold),
		cmocka_unit_test(dr_after_failback_starts_counting_afresh),
		cmocka_unit_test(dr_creates_absent_lease_after_l),
		cmocka_unit_test(dr_adopts_dr_lease_it_did_not_write),
		cmocka_unit_test(take_with_unknown_outcome),
		cmocka_unit_test(foreign_txt_is_not_touched),
		cmocka_unit_test(network_text_is_escaped_in_events),
		cmocka_unit_test(epoch_at_its_largest_is_not_taken),
		cmocka_unit_test(several_a_records_are_reported),
		cmocka_unit_test(read_error_takes_no_action),
		cmocka_unit_test(next_change_when_not_holding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
