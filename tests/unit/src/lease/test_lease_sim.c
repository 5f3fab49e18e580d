/*
 * Randomized, deterministic simulation of the two sites and one DNS server,
 * each site running the real lease_decide / lease_apply / lease_active
 * (DESIGN section 3) on its own clocks. Exits non-zero on any violation.
 *
 *   test_lease_sim [COUNT [SEED]]    or env SIM_SCHEDULES, SIM_SEED
 *   SIM_VERBOSE=1  trace every decision of every schedule (for a replay:
 *                  SIM_SEED=<seed printed> SIM_SCHEDULES=1 SIM_VERBOSE=1)
 *   SIM_BREAK=1    "expected to break" sanity mode: monotonic clock rates
 *                  off by up to 40 % (far beyond what L - D covers). Passes
 *                  (exit 0) only if the checker reports at least one safety
 *                  violation, proving it can.
 *
 * Built with -DSIM_SELF_CHECK=1 (test_lease_sim_break, run by make check),
 * SIM_BREAK is the default and the run stops at the first unsafe schedule
 * caught, trying at most SELF_CHECK_MAX schedules: a checker that cannot
 * catch broken clocks makes the suite fail, not only bench/sim.sh.
 *
 * Schedule i runs with seed SIM_SEED + i; every failing schedule prints its
 * seed, and that seed replays it alone.
 *
 * The model, per schedule
 * -----------------------
 * Timings: I in 1..10 s, D in I+1..4I s, L in D+I..D+3I s (so I < D < L and
 * L - D >= I), FAIL_THRESHOLD and HEALTH_STALE_COUNT in 1..3, per site a DNS
 * exchange timeout T (all retries included) of 50 ms..1.5 I (so a slow tick
 * can overrun the next one) and a health check timeout H of
 * 10 ms..min(I, D - I)/2.
 *
 * Clocks: each site has a monotonic clock running at rate 1 + r with
 * |r| <= RHO (below) from an arbitrary origin, and a wall clock (true time
 * + a constant offset: 40 % of schedules up to +/-3600 s per site, 30 % up
 * to +/-2L, 30 % none). The lease functions get mono in ms, wall in s.
 *
 * Each site's loop: a tick every I on its own monotonic clock (a tick that
 * overran runs at once when it ends, like a periodic timer), a processing
 * delay of up to 20 ms, then: read the lease (request and answer each lost,
 * delayed, or dropped by a partition between the site and DNS; no answer
 * within T -> read error); then a health check when the site is the DR and
 * not holding, or the primary with self_check (takes up to H); then
 * lease_decide(); then at most one CAS: compared and applied at DNS when the
 * request arrives (send + delay, delay < T); its answer (DF_OK /
 * DF_ECONFLICT) may be lost or late -> after T an unknown-outcome error, or
 * DF_ECONFLICT when the update had applied and a retry then found its own
 * value (the DNS client's retries); lease_apply() with the send time.
 *
 * The DR's health check sees the primary as bad when the primary is
 * crashed, its collector is broken, or the sites are partitioned; it
 * reports FAILED once HEALTH_STALE_COUNT checks in a row saw it bad (the
 * metrics mode's stale count; failed fetches count the same). The primary
 * with self_check sees its own collector.
 *
 * Crashes: a crashed site is inactive at once (its collector stops), takes
 * no more ticks, but a CAS it already sent still lands at DNS; it may
 * restart with a fresh lease_state_t.
 *
 * Each schedule has a chaos phase [0, t0) with random partitions (each site
 * to DNS, and between the sites), message loss, long delays, crashes and
 * broken-collector windows, then from t0 one site S is "good": up, healthy,
 * connected to DNS with no loss and delays of at most CALM_DELAY; the other
 * site O is then crashed, cut off from DNS, up and connected but with a
 * broken collector (primary only), good as well, or still flaky (liveness
 * not checked). When S is the DR and O is up, the DR's health checks of
 * the primary fail from t0 (broken collector or a partition between the
 * sites): a DR that sees a healthy primary never takes over, by design.
 *
 * Invariants
 * ----------
 * Activity of site X at real time t: X is up and lease_active(X, mono_X(t)).
 * It only changes when X's state changes (an event of X) or at
 * lease_next_change(); the checker evaluates both sites after every batch
 * of events with the same timestamp and at every lease_next_change instant
 * (mapped back to real time), so it sees every interval of activity.
 *   (a) SAFETY: never both sites active at the same instant.
 *   (b) LIVENESS (when O is not flaky): from t0 + bound to the end of the
 *       schedule (bound + 3L + 3I after t0) some site is active at every
 *       instant. (Not from the first activity after t0: O may still hold a
 *       valid lease at t0 and step down later, and a renewal sent before t0
 *       may still be lost to the chaos.)
 * bound = (HEALTH_STALE_COUNT + FAIL_THRESHOLD - 1) x P + L x K   [the design's
 *         bound, with the tick period P for I]
 *       + max(0, wall_O - wall_S) + 1 s   [S's wall clock behind O's: it waits
 *                                          that much longer for exp]
 *       + D x K                            [break before make on ADOPT/CREATE]
 *       + 2 P                              [tick phase, one more tick]
 *       + 2 T_max + H_max + 40 ms          [the tick in progress at t0 and a
 *                                          CAS O sent before t0]
 * where K = (1 + RHO) / (1 - RHO) converts durations on one site's clock to
 * the other's and P = I x K + H_max + 2 CALM_DELAY + 40 ms is the longest
 * tick period of a good site.
 *
 * Drift bound RHO = 0.1 % (1000 ppm): the holder stops D after sending its
 * last successful write, on its clock; the taker waits L after first seeing
 * that value (which is after it was sent), on its clock; safety needs
 * D / (1 - RHO) < L / (1 + RHO), i.e. RHO < (L - D) / (L + D). The
 * generated timings have (L - D) / (L + D) >= 1/9 (I = 1, D = 4, L = 5), two
 * orders of magnitude above 0.001, and 0.1 % is twice the largest rate
 * correction the kernel's NTP discipline applies to CLOCK_MONOTONIC
 * (500 ppm) and ten times a common crystal's tolerance. SIM_BREAK uses 40 %.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/lease/lease.h"
#include "tests/sim/sim_rng.h"

#define SEC	   INT64_C(1000000) /* real time is in microseconds */
#define MSEC	   INT64_C(1000)
#define NEVER	   INT64_MAX
#define WALL0	   (INT64_C(1800000000) * SEC)
#define RHO_PPM	   1000
#define BREAK_PPM  400000
#define CALM_DELAY (50 * MSEC)
#define PROC_MAX   (20 * MSEC)
#define PRIMARY_IP "192.0.2.10"
#define DR_IP	   "198.51.100.20"

#ifndef SIM_SELF_CHECK
#define SIM_SELF_CHECK 0
#endif
#define SELF_CHECK_MAX 50000

enum { SP, SD }; /* site index: primary, DR */

/* ------------------------------------------------------------------ PRNG */

/* True with probability permille / 1000. */
static bool rng_chance(rng_t *r, int permille)
{
	return (int)(rng_next(r) % 1000) < permille;
}

/* --------------------------------------------------------------- windows */

#define MAX_WIN 12

typedef struct windows {
	int n;
	struct {
		int64_t from, to; /* [from, to) real time */
	} w[MAX_WIN];
} windows_t;

static bool in_windows(const windows_t *ws, int64_t t)
{
	for (int i = 0; i < ws->n; i++) {
		if (t >= ws->w[i].from && t < ws->w[i].to) {
			return true;
		}
	}
	return false;
}

/* Up to max disjoint random windows inside [0, horizon), each up to len. */
static void windows_random(rng_t *r, windows_t *ws, int max, int64_t horizon, int64_t len)
{
	ws->n = 0;
	int n = (int)rng_range(r, 0, max);
	int64_t cursor = 0;
	for (int i = 0; i < n && ws->n < MAX_WIN - 1; i++) {
		int64_t from = cursor + rng_range(r, 0, horizon / (n + 1));
		int64_t to = from + rng_range(r, 100 * MSEC, len);
		if (from >= horizon) {
			break;
		}
		ws->w[ws->n].from = from;
		ws->w[ws->n].to = to;
		ws->n++;
		cursor = to;
	}
}

static void windows_add(windows_t *ws, int64_t from, int64_t to)
{
	if (ws->n < MAX_WIN - 1) {
		ws->w[ws->n].from = from;
		ws->w[ws->n].to = to;
		ws->n++;
	}
}

/* Cuts every window at t (nothing in effect from t on). */
static void windows_clip(windows_t *ws, int64_t t)
{
	int k = 0;
	for (int i = 0; i < ws->n; i++) {
		if (ws->w[i].from >= t) {
			continue;
		}
		ws->w[k].from = ws->w[i].from;
		ws->w[k].to = ws->w[i].to < t ? ws->w[i].to : t;
		k++;
	}
	ws->n = k;
}

/* In effect from t on, for good (after clipping at t). */
static void windows_forever_from(windows_t *ws, int64_t t)
{
	windows_clip(ws, t);
	if (ws->n > 0 && ws->w[ws->n - 1].to == t) {
		ws->w[ws->n - 1].to = NEVER;
		return;
	}
	ws->w[ws->n].from = t;
	ws->w[ws->n].to = NEVER;
	ws->n++;
}

/* ---------------------------------------------------------------- events */

enum ev_type {
	EV_TICK,
	EV_READ_AT_DNS,
	EV_READ_DONE,
	EV_HEALTH_DONE,
	EV_CAS_AT_DNS,
	EV_CAS_DONE,
	EV_CRASH,
	EV_RESTART,
	EV_CHECK,
};

typedef struct event {
	int64_t t;
	uint64_t seq;
	uint8_t type;
	uint8_t site;
	uint32_t gen;
	int msg;     /* EV_CAS_*: index in world.msgs */
	int lost;    /* EV_READ_AT_DNS: answer lost */
	int64_t due; /* EV_READ_AT_DNS: when the answer arrives (or NEVER) */
} event_t;

#define MAX_EVENTS 1024
#define MAX_MSGS   32

/* A compare-and-swap in flight. */
typedef struct cas_msg {
	bool used;
	int site;
	uint32_t gen;
	bool expect_absent;
	char expected[LEASE_TXT_MAX + 1];
	char next[LEASE_TXT_MAX + 1];
	char next_a[64];
	int64_t sent;
	int64_t answer_at; /* NEVER: lost or late, the site times out */
	int64_t timeout_at;
	bool applied;
	bool retry_conflict; /* lost answer after apply: a retry reports CONFLICT */
} cas_msg_t;

/* ------------------------------------------------------------------ world */

enum fate { F_CRASHED, F_DNS_CUT, F_UNHEALTHY, F_GOOD, F_FLAKY, F_COUNT };
static const char *fate_name[F_COUNT] = {"crashed", "cut off from DNS",
					 "up with a broken collector", "good", "flaky"};

typedef struct site {
	lease_params_t prm;
	lease_state_t st;
	bool up;
	uint32_t gen;
	int64_t mono_base_us;
	int64_t ppm;
	int64_t wall_off_us;
	int64_t timeout;	/* T: one DNS exchange, retries included */
	int64_t health_timeout; /* H */
	int loss_permille;	/* chaos-phase loss, each message */
	windows_t dns_cut;	/* partitioned from DNS */
	windows_t down;		/* crashed */
	bool calm_clean;	/* from t0: no loss, short delays */
	int64_t last_slot_ms;
	/* The tick in progress. */
	lease_obs_t obs;
	lease_plan_t plan;
	int64_t sent_mono;
	uint32_t bad_streak; /* DR: consecutive checks that saw the primary bad */
	int64_t scheduled_check;
} site_t;

typedef struct stats {
	uint64_t schedules, ticks, decisions, writes, takes, liveness_checked;
	uint64_t take_kind[4]; /* by enum lease_take, applied */
	uint64_t safety, liveness;
	double worst_ratio; /* (first active - t0) / bound */
	double sum_ratio;
	uint64_t worst_seed;
	double worst_design; /* (stable from - t0) / design bound + offset */
} stats_t;

typedef struct world {
	rng_t rng;
	uint64_t seed;
	bool verbose;
	int64_t i_ms, d_ms, l_ms;
	uint32_t ft, stale;
	site_t s[2];
	windows_t collector_broken, sites_cut;
	/* DNS */
	bool has_txt;
	char txt[LEASE_TXT_MAX + 1];
	char a[64];
	/* events */
	event_t heap[MAX_EVENTS];
	int nheap;
	uint64_t seq;
	cas_msg_t msgs[MAX_MSGS];
	/* the schedule */
	int64_t t0, bound, end;
	int good, fate;
	bool check_liveness;
	int64_t stable_from; /* since when someone has been active at every instant */
	int64_t design;	     /* (STALE + FT - 1) x I + L + the offset S waits for */
	bool failed;
	char why[256];
	stats_t *stats;
} world_t;

static void trace(world_t *w, int64_t t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void trace(world_t *w, int64_t t, const char *fmt, ...)
{
	if (!w->verbose) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	printf("%10.3f ", (double)t / SEC);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static const char *sname(int s)
{
	return s == SP ? "P " : "DR";
}

static void push(world_t *w, event_t e)
{
	if (w->nheap >= MAX_EVENTS) {
		fprintf(stderr, "seed %llu: event queue full\n", (unsigned long long)w->seed);
		exit(2);
	}
	e.seq = w->seq++;
	int i = w->nheap++;
	while (i > 0) {
		int parent = (i - 1) / 2;
		event_t *p = &w->heap[parent];
		if (p->t < e.t || (p->t == e.t && p->seq < e.seq)) {
			break;
		}
		w->heap[i] = *p;
		i = parent;
	}
	w->heap[i] = e;
}

static event_t pop(world_t *w)
{
	event_t top = w->heap[0];
	event_t last = w->heap[--w->nheap];
	int i = 0;
	for (;;) {
		int c = 2 * i + 1;
		if (c >= w->nheap) {
			break;
		}
		if (c + 1 < w->nheap &&
		    (w->heap[c + 1].t < w->heap[c].t ||
		     (w->heap[c + 1].t == w->heap[c].t && w->heap[c + 1].seq < w->heap[c].seq))) {
			c++;
		}
		if (last.t < w->heap[c].t ||
		    (last.t == w->heap[c].t && last.seq < w->heap[c].seq)) {
			break;
		}
		w->heap[i] = w->heap[c];
		i = c;
	}
	w->heap[i] = last;
	return top;
}

static void schedule(world_t *w, int64_t t, int type, int site)
{
	event_t e;
	memset(&e, 0, sizeof(e));
	e.t = t;
	e.type = (uint8_t)type;
	e.site = (uint8_t)site;
	e.gen = w->s[site].gen;
	push(w, e);
}

/* ----------------------------------------------------------------- clocks */

static int64_t mono_us(const site_t *s, int64_t t)
{
	return s->mono_base_us + t + t * s->ppm / SEC;
}

static int64_t mono_ms(const site_t *s, int64_t t)
{
	return mono_us(s, t) / MSEC;
}

static int64_t wall_s(const site_t *s, int64_t t)
{
	return (WALL0 + t + s->wall_off_us) / SEC;
}

/* The first real instant at which the site's monotonic clock reads >= m ms. */
static int64_t real_at_mono(const site_t *s, int64_t m)
{
	int64_t target = m * MSEC;
	double guess = (double)(target - s->mono_base_us) * (double)SEC / (double)(SEC + s->ppm);
	int64_t t = guess < 0 ? 0 : (int64_t)guess;
	while (mono_us(s, t) < target) {
		t++;
	}
	while (t > 0 && mono_us(s, t - 1) >= target) {
		t--;
	}
	return t;
}

/* ------------------------------------------------------------- the model */

static bool site_active(const world_t *w, int i, int64_t t)
{
	const site_t *s = &w->s[i];
	return s->up && lease_active(&s->prm, &s->st, mono_ms(s, t));
}

static bool primary_bad(const world_t *w, int64_t t)
{
	return !w->s[SP].up || in_windows(&w->collector_broken, t) || in_windows(&w->sites_cut, t);
}

static bool clean(const world_t *w, int i, int64_t t)
{
	return t >= w->t0 && w->s[i].calm_clean;
}

/* Whether a message sent by/to site i at t is dropped. */
static bool dropped(world_t *w, int i, int64_t t)
{
	if (in_windows(&w->s[i].dns_cut, t)) {
		return true;
	}
	return !clean(w, i, t) && rng_chance(&w->rng, w->s[i].loss_permille);
}

/* One-way delay of a message sent at t. */
static int64_t delay(world_t *w, int i, int64_t t)
{
	int64_t shortest = w->s[i].timeout / 2 - 1; /* both ways within T */
	if (clean(w, i, t)) {
		return rng_range(&w->rng, 100, shortest < CALM_DELAY ? shortest : CALM_DELAY);
	}
	if (rng_chance(&w->rng, 800)) {
		return rng_range(&w->rng, 100, CALM_DELAY);
	}
	return rng_range(&w->rng, 100, w->s[i].timeout);
}

/* After any change of site i's state: the next instant its activity may
 * change on its own gets a check. */
static void schedule_check(world_t *w, int i, int64_t now)
{
	site_t *s = &w->s[i];
	if (!s->up) {
		return;
	}
	int64_t m = lease_next_change(&s->prm, &s->st, mono_ms(s, now));
	if (m == INT64_MAX) {
		return;
	}
	int64_t t = real_at_mono(s, m);
	if (t < now) {
		t = now;
	}
	if (t == s->scheduled_check) {
		return;
	}
	s->scheduled_check = t;
	schedule(w, t, EV_CHECK, i);
}

static void next_tick(world_t *w, int i, int64_t now)
{
	site_t *s = &w->s[i];
	int64_t m = mono_ms(s, now);
	int64_t next = s->last_slot_ms + w->i_ms;
	if (m >= next) {
		/* Overran: the timer already fired; run at once. */
		s->last_slot_ms = next + (m - next) / w->i_ms * w->i_ms;
		schedule(w, now + rng_range(&w->rng, 0, PROC_MAX), EV_TICK, i);
		return;
	}
	s->last_slot_ms = next;
	schedule(w, real_at_mono(s, next) + rng_range(&w->rng, 0, PROC_MAX), EV_TICK, i);
}

static void on_tick(world_t *w, int i, int64_t now)
{
	site_t *s = &w->s[i];
	w->stats->ticks++;
	/* The read request. */
	event_t e;
	memset(&e, 0, sizeof(e));
	e.site = (uint8_t)i;
	e.gen = s->gen;
	if (dropped(w, i, now)) {
		e.type = EV_READ_DONE;
		e.t = now + s->timeout;
		e.lost = 1;
		push(w, e);
		return;
	}
	int64_t d1 = delay(w, i, now);
	e.type = EV_READ_AT_DNS;
	e.t = now + d1;
	e.due = now + s->timeout; /* timeout instant; the answer may come earlier */
	push(w, e);
}

static void build_obs(world_t *w, site_t *s)
{
	memset(&s->obs, 0, sizeof(s->obs));
	if (!w->has_txt) {
		s->obs.read = DF_ENOTFOUND;
		return;
	}
	lease_t *l = &s->obs.lease;
	s->obs.read = DF_OK;
	l->has_a = true;
	snprintf(l->a, sizeof(l->a), "%s", w->a);
	l->has_txt = true;
	snprintf(l->txt, sizeof(l->txt), "%s", w->txt);
	l->txt_valid = lease_txt_parse(&l->lease, w->txt, strlen(w->txt), NULL) == DF_OK;
}

static void on_read_at_dns(world_t *w, const event_t *e)
{
	site_t *s = &w->s[e->site];
	if (!s->up || e->gen != s->gen) {
		return;
	}
	event_t d = *e;
	d.type = EV_READ_DONE;
	int64_t d2 = delay(w, e->site, e->t);
	if (dropped(w, e->site, e->t) || e->t + d2 >= e->due) {
		d.t = e->due;
		d.lost = 1;
	} else {
		build_obs(w, s);
		d.t = e->t + d2;
		d.lost = 0;
	}
	push(w, d);
}

static void decide(world_t *w, int i, int64_t now);

static void on_read_done(world_t *w, const event_t *e)
{
	int i = e->site;
	site_t *s = &w->s[i];
	if (e->lost) {
		memset(&s->obs, 0, sizeof(s->obs));
		s->obs.read = DF_ETIMEDOUT;
		s->obs.read_error = "timed out";
	}
	s->obs.health = LEASE_HEALTH_UNKNOWN;
	bool check = i == SD ? !s->st.holding : s->prm.self_check;
	if (!check) {
		decide(w, i, e->t);
		return;
	}
	/* The check looks at the primary now and answers within H. */
	if (i == SD) {
		if (primary_bad(w, e->t)) {
			s->bad_streak++;
		} else {
			s->bad_streak = 0;
		}
		s->obs.health = s->bad_streak >= w->stale ? LEASE_HEALTH_FAILED : LEASE_HEALTH_OK;
	} else {
		s->obs.health = in_windows(&w->collector_broken, e->t) ? LEASE_HEALTH_FAILED
								       : LEASE_HEALTH_OK;
	}
	schedule(w, e->t + rng_range(&w->rng, MSEC, s->health_timeout), EV_HEALTH_DONE, i);
}

static const char *action_name(const lease_plan_t *plan)
{
	static const char *takes[] = {"CREATE", "ADOPT", "FAILOVER", "RECLAIM"};
	if (plan->action == LEASE_ACT_NONE) {
		return "none";
	}
	return plan->action == LEASE_ACT_RENEW ? "RENEW" : takes[plan->take];
}

static void trace_events(world_t *w, int i, int64_t now, const lease_plan_t *plan, size_t from)
{
	for (size_t k = from; k < plan->events.count; k++) {
		trace(w, now, "%s   | %s", sname(i), plan->events.e[k].text);
	}
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int alloc_msg(world_t *w)
{
	for (int k = 0; k < MAX_MSGS; k++) {
		if (!w->msgs[k].used) {
			memset(&w->msgs[k], 0, sizeof(w->msgs[k]));
			w->msgs[k].used = true;
			return k;
		}
	}
	fprintf(stderr, "seed %llu: too many messages in flight\n", (unsigned long long)w->seed);
	exit(2);
}

static void decide(world_t *w, int i, int64_t now)
{
	site_t *s = &w->s[i];
	w->stats->decisions++;
	int64_t m = mono_ms(s, now);
	lease_decide(&s->prm, &s->st, &s->obs, wall_s(s, now), m, &s->plan);
	trace(w, now, "%s decide mono=%lld wall=%lld read=%s health=%d -> %s", sname(i),
	      (long long)m, (long long)wall_s(s, now),
	      s->obs.read == DF_OK ? s->obs.lease.txt
				   : (s->obs.read == DF_ENOTFOUND ? "(absent)" : "(error)"),
	      (int)s->obs.health, action_name(&s->plan));
	trace_events(w, i, now, &s->plan, 0);
	schedule_check(w, i, now);
	if (s->plan.action == LEASE_ACT_NONE) {
		next_tick(w, i, now);
		return;
	}
	w->stats->writes++;
	s->sent_mono = m;
	int k = alloc_msg(w);
	cas_msg_t *c = &w->msgs[k];
	c->site = i;
	c->gen = s->gen;
	c->sent = now;
	c->expect_absent = !s->plan.expected.has_txt;
	copy_str(c->expected, sizeof(c->expected), s->plan.expected.txt);
	copy_str(c->next, sizeof(c->next), s->plan.next.txt);
	copy_str(c->next_a, sizeof(c->next_a), s->plan.next.a);
	c->timeout_at = now + s->timeout;
	event_t e;
	memset(&e, 0, sizeof(e));
	e.site = (uint8_t)i;
	e.gen = s->gen;
	e.msg = k;
	if (dropped(w, i, now)) {
		e.type = EV_CAS_DONE;
		e.t = c->timeout_at;
		c->answer_at = NEVER;
		push(w, e);
		return;
	}
	e.type = EV_CAS_AT_DNS;
	e.t = now + delay(w, i, now);
	if (e.t >= c->timeout_at) {
		e.t = c->timeout_at - 1; /* applies before the site gives up */
	}
	push(w, e);
}

static void on_cas_at_dns(world_t *w, const event_t *e)
{
	cas_msg_t *c = &w->msgs[e->msg];
	bool match =
		c->expect_absent ? !w->has_txt : w->has_txt && strcmp(w->txt, c->expected) == 0;
	if (match) {
		w->has_txt = true;
		snprintf(w->txt, sizeof(w->txt), "%s", c->next);
		snprintf(w->a, sizeof(w->a), "%s", c->next_a);
		c->applied = true;
		trace(w, e->t, "DNS    %s wrote %s", sname(c->site), c->next);
	} else {
		trace(w, e->t, "DNS    %s CAS failed (holds %s)", sname(c->site),
		      w->has_txt ? w->txt : "(nothing)");
	}
	event_t d = *e;
	d.type = EV_CAS_DONE;
	int64_t d2 = delay(w, c->site, e->t);
	if (dropped(w, c->site, e->t) || e->t + d2 >= c->timeout_at) {
		c->answer_at = NEVER;
		c->retry_conflict = c->applied && rng_chance(&w->rng, 300);
		d.t = c->timeout_at;
	} else {
		c->answer_at = e->t + d2;
		d.t = c->answer_at;
	}
	push(w, d);
}

static void on_cas_done(world_t *w, const event_t *e)
{
	cas_msg_t *c = &w->msgs[e->msg];
	int i = e->site;
	site_t *s = &w->s[i];
	bool mine = s->up && e->gen == s->gen;
	int result;
	const char *reason = NULL;
	if (c->answer_at != NEVER) {
		result = c->applied ? DF_OK : DF_ECONFLICT;
	} else if (c->retry_conflict) {
		result = DF_ECONFLICT;
		reason = "retry: prerequisite failed";
	} else {
		result = DF_ETIMEDOUT;
		reason = "timed out";
	}
	c->used = false;
	if (!mine) {
		return;
	}
	size_t before = s->plan.events.count;
	lease_apply(&s->prm, &s->st, &s->plan, result, reason, s->sent_mono, mono_ms(s, e->t));
	if (result == DF_OK && s->plan.action == LEASE_ACT_TAKE) {
		w->stats->takes++;
		w->stats->take_kind[s->plan.take]++;
	}
	trace(w, e->t, "%s apply %s -> holding=%d renewed=%lld act_after=%lld", sname(i),
	      result == DF_OK ? "OK" : (result == DF_ECONFLICT ? "CONFLICT" : "UNKNOWN"),
	      (int)s->st.holding, (long long)s->st.renewed_ms, (long long)s->st.act_after_ms);
	trace_events(w, i, e->t, &s->plan, before);
	schedule_check(w, i, e->t);
	next_tick(w, i, e->t);
}

static void on_crash(world_t *w, int i, int64_t now)
{
	site_t *s = &w->s[i];
	s->up = false;
	s->gen++;
	trace(w, now, "%s CRASH", sname(i));
}

static void on_restart(world_t *w, int i, int64_t now)
{
	site_t *s = &w->s[i];
	s->up = true;
	s->gen++;
	lease_state_init(&s->st);
	s->bad_streak = 0;
	s->scheduled_check = -1;
	int64_t start = now + rng_range(&w->rng, 0, w->i_ms * MSEC);
	s->last_slot_ms = mono_ms(s, start);
	schedule(w, start, EV_TICK, i);
	trace(w, now, "%s RESTART", sname(i));
}

/* ------------------------------------------------------------ invariants */

static void violation(world_t *w, uint64_t *counter, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first violation of the schedule (counted once). */
static void violation(world_t *w, uint64_t *counter, const char *fmt, ...)
{
	if (w->failed) {
		return;
	}
	w->failed = true;
	(*counter)++;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
}

static void check(world_t *w, int64_t t)
{
	bool a = site_active(w, SP, t), b = site_active(w, SD, t);
	if (a && b) {
		violation(w, &w->stats->safety, "SAFETY: both sites active at t=%.6f s",
			  (double)t / SEC);
	}
	if (!w->check_liveness || t < w->t0) {
		return;
	}
	/* Someone active at every instant since stable_from. */
	if (!(a || b)) {
		w->stable_from = -1;
	} else if (w->stable_from < 0) {
		w->stable_from = t;
	}
}

/* ------------------------------------------------------------ schedules */

static void site_init(world_t *w, int i, bool brk)
{
	site_t *s = &w->s[i];
	rng_t *r = &w->rng;
	memset(&s->prm, 0, sizeof(s->prm));
	s->prm.role = i == SP ? CONFIG_ROLE_PRIMARY : CONFIG_ROLE_DR;
	s->prm.lease_ttl_ms = w->l_ms;
	s->prm.renew_deadline_ms = w->d_ms;
	s->prm.fail_threshold = w->ft;
	snprintf(s->prm.my_ip, sizeof(s->prm.my_ip), "%s", i == SP ? PRIMARY_IP : DR_IP);
	s->prm.self_check = i == SP && rng_chance(r, 500);
	lease_state_init(&s->st);
	s->up = true;
	s->gen = 0;
	s->mono_base_us = rng_range(r, 0, INT64_C(1000000) * SEC);
	int64_t ppm = brk ? BREAK_PPM : RHO_PPM;
	s->ppm = rng_range(r, -ppm, ppm);
	s->timeout = rng_range(r, 50 * MSEC, w->i_ms * MSEC * 3 / 2);
	int64_t hmax = (w->i_ms < w->d_ms - w->i_ms ? w->i_ms : w->d_ms - w->i_ms) * MSEC / 2;
	s->health_timeout = rng_range(r, 10 * MSEC, hmax);
	s->loss_permille = (int)rng_range(r, 0, 300);
	s->calm_clean = false;
	s->scheduled_check = -1;
	s->bad_streak = 0;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* Runs one schedule; returns true when every invariant held. */
static bool run_schedule(uint64_t seed, bool verbose, bool brk, stats_t *stats)
{
	static world_t world;
	world_t *w = &world;
	memset(w, 0, sizeof(*w));
	w->seed = seed;
	w->verbose = verbose;
	w->stats = stats;
	rng_seed(&w->rng, seed);
	rng_t *r = &w->rng;

	int64_t i_s = rng_range(r, 1, 10);
	int64_t d_s = i_s + rng_range(r, 1, 3 * i_s);
	int64_t l_s = d_s + i_s + rng_range(r, 0, 2 * i_s);
	w->i_ms = i_s * 1000;
	w->d_ms = d_s * 1000;
	w->l_ms = l_s * 1000;
	w->ft = (uint32_t)rng_range(r, 1, 3);
	w->stale = (uint32_t)rng_range(r, 1, 3);
	site_init(w, SP, brk);
	site_init(w, SD, brk);
	int off_kind = (int)rng_range(r, 0, 9);
	for (int i = 0; i < 2; i++) {
		int64_t span = off_kind < 4 ? 3600 * SEC : (off_kind < 7 ? 2 * l_s * SEC : 0);
		w->s[i].wall_off_us = rng_range(r, -span, span);
	}

	/* Chaos, then from t0 one good site. */
	int64_t L = l_s * SEC, I = i_s * SEC, D = d_s * SEC;
	w->t0 = rng_range(r, 0, 10 * L);
	w->good = (int)rng_range(r, 0, 1);
	int o = 1 - w->good;
	do {
		w->fate = (int)rng_range(r, 0, F_COUNT - 1);
	} while (w->fate == F_UNHEALTHY && o != SP);
	w->check_liveness = w->fate != F_FLAKY;

	/* The bound (see the header comment). */
	double k = (double)(SEC + (brk ? BREAK_PPM : RHO_PPM)) /
		   (double)(SEC - (brk ? BREAK_PPM : RHO_PPM));
	int64_t tmax = max64(w->s[SP].timeout, w->s[SD].timeout);
	int64_t hmax = max64(w->s[SP].health_timeout, w->s[SD].health_timeout);
	int64_t period = (int64_t)((double)I * k) + hmax + 2 * CALM_DELAY + 2 * PROC_MAX;
	int64_t offset = max64(0, w->s[o].wall_off_us - w->s[w->good].wall_off_us) + SEC;
	w->bound = (int64_t)(w->stale + w->ft - 1) * period + (int64_t)((double)L * k) + offset +
		   (int64_t)((double)D * k) + 2 * period + 2 * tmax + hmax + 2 * PROC_MAX;
	w->design = (int64_t)(w->stale + w->ft - 1) * I + L + offset;
	w->end = w->t0 + w->bound + 3 * L + 3 * I;
	int64_t horizon = w->fate == F_FLAKY ? w->end : max64(w->t0, 1);

	for (int i = 0; i < 2; i++) {
		site_t *s = &w->s[i];
		windows_random(r, &s->dns_cut, 3, horizon, 2 * L);
		windows_random(r, &s->down, 2, horizon, 3 * L);
	}
	windows_random(r, &w->collector_broken, 3, horizon, 3 * L);
	windows_random(r, &w->sites_cut, 2, horizon, 3 * L);
	/* Isolation: a site cut from DNS and from the other site at once, the
	 * split-brain case the lease exists for. */
	for (int i = 0; i < 2; i++) {
		windows_t iso;
		windows_random(r, &iso, 3, horizon, 3 * L);
		for (int j = 0; j < iso.n; j++) {
			windows_add(&w->s[i].dns_cut, iso.w[j].from, iso.w[j].to);
			windows_add(&w->sites_cut, iso.w[j].from, iso.w[j].to);
		}
	}

	site_t *g = &w->s[w->good], *os = &w->s[o];
	windows_clip(&g->dns_cut, w->t0);
	windows_clip(&g->down, w->t0);
	g->calm_clean = true;
	if (w->fate != F_FLAKY) {
		windows_clip(&w->collector_broken, w->t0);
		windows_clip(&w->sites_cut, w->t0);
		windows_clip(&os->dns_cut, w->t0);
		windows_clip(&os->down, w->t0);
	}
	switch (w->fate) {
	case F_CRASHED:
		windows_forever_from(&os->down, w->t0);
		break;
	case F_DNS_CUT:
		windows_forever_from(&os->dns_cut, w->t0);
		if (o == SP) {
			/* The DR must see the primary fail. */
			windows_forever_from(
				rng_chance(r, 500) ? &w->collector_broken : &w->sites_cut, w->t0);
		}
		break;
	case F_UNHEALTHY:
		os->calm_clean = true;
		windows_forever_from(&w->collector_broken, w->t0);
		break;
	case F_GOOD:
		os->calm_clean = true;
		break;
	default:
		break;
	}

	if (verbose) {
		printf("seed %llu: I=%llds D=%llds L=%llds FAIL_THRESHOLD=%u STALE=%u "
		       "self_check=%d\n",
		       (unsigned long long)seed, (long long)i_s, (long long)d_s, (long long)l_s,
		       w->ft, w->stale, (int)w->s[SP].prm.self_check);
		for (int i = 0; i < 2; i++) {
			site_t *s = &w->s[i];
			printf("  %s: rate %+lld ppm, wall offset %+.3f s, T=%.3f s, H=%.3f s, "
			       "loss %d/1000\n",
			       sname(i), (long long)s->ppm, (double)s->wall_off_us / SEC,
			       (double)s->timeout / SEC, (double)s->health_timeout / SEC,
			       s->loss_permille);
			for (int j = 0; j < s->dns_cut.n; j++) {
				printf("    cut from DNS [%.3f, %.3f)\n",
				       (double)s->dns_cut.w[j].from / SEC,
				       (double)s->dns_cut.w[j].to / SEC);
			}
			for (int j = 0; j < s->down.n; j++) {
				printf("    crashed [%.3f, %.3f)\n",
				       (double)s->down.w[j].from / SEC,
				       (double)s->down.w[j].to / SEC);
			}
		}
		for (int j = 0; j < w->collector_broken.n; j++) {
			printf("  collector broken [%.3f, %.3f)\n",
			       (double)w->collector_broken.w[j].from / SEC,
			       (double)w->collector_broken.w[j].to / SEC);
		}
		for (int j = 0; j < w->sites_cut.n; j++) {
			printf("  sites partitioned [%.3f, %.3f)\n",
			       (double)w->sites_cut.w[j].from / SEC,
			       (double)w->sites_cut.w[j].to / SEC);
		}
		printf("  t0=%.3f s: good site %s, other %s; bound %.3f s; end %.3f s\n",
		       (double)w->t0 / SEC, sname(w->good), fate_name[w->fate],
		       (double)w->bound / SEC, (double)w->end / SEC);
	}

	/* Start: both up (unless crashed at 0), first ticks at random phases. */
	for (int i = 0; i < 2; i++) {
		site_t *s = &w->s[i];
		for (int j = 0; j < s->down.n; j++) {
			schedule(w, s->down.w[j].from, EV_CRASH, i);
			if (s->down.w[j].to != NEVER) {
				schedule(w, s->down.w[j].to, EV_RESTART, i);
			}
		}
		int64_t start = rng_range(r, 0, I);
		s->last_slot_ms = mono_ms(s, start);
		schedule(w, start, EV_TICK, i);
	}
	schedule(w, w->t0, EV_CHECK, SP);
	schedule(w, w->t0 + w->bound, EV_CHECK, SP);
	w->stable_from = -1;

	while (w->nheap > 0 && w->heap[0].t <= w->end) {
		int64_t t = w->heap[0].t;
		while (w->nheap > 0 && w->heap[0].t == t) {
			event_t e = pop(w);
			site_t *s = &w->s[e.site];
			bool live = s->up && e.gen == s->gen;
			switch (e.type) {
			case EV_TICK:
				if (live) {
					on_tick(w, e.site, t);
				}
				break;
			case EV_READ_AT_DNS:
				on_read_at_dns(w, &e);
				break;
			case EV_READ_DONE:
				if (live) {
					on_read_done(w, &e);
				}
				break;
			case EV_HEALTH_DONE:
				if (live) {
					decide(w, e.site, t);
				}
				break;
			case EV_CAS_AT_DNS:
				on_cas_at_dns(w, &e);
				break;
			case EV_CAS_DONE:
				on_cas_done(w, &e);
				break;
			case EV_CRASH:
				on_crash(w, e.site, t);
				break;
			case EV_RESTART:
				on_restart(w, e.site, t);
				break;
			default:
				if (e.t == s->scheduled_check) {
					s->scheduled_check = -1;
				}
				break;
			}
		}
		check(w, t);
		if (w->failed && !verbose) {
			break;
		}
	}
	if (w->check_liveness && !w->failed) {
		stats->liveness_checked++;
		if (w->stable_from < 0 || w->stable_from > w->t0 + w->bound) {
			violation(w, &stats->liveness,
				  "LIVENESS: not continuously active from t0 + bound (t0=%.3f s, "
				  "bound %.3f s, someone active at every instant since %.3f s)",
				  (double)w->t0 / SEC, (double)w->bound / SEC,
				  w->stable_from < 0 ? -1.0 : (double)w->stable_from / SEC);
		} else {
			int64_t took = w->stable_from - w->t0;
			double ratio = (double)took / (double)w->bound;
			double dratio = (double)took / (double)w->design;
			stats->sum_ratio += ratio;
			if (ratio > stats->worst_ratio) {
				stats->worst_ratio = ratio;
				stats->worst_seed = w->seed;
			}
			if (dratio > stats->worst_design) {
				stats->worst_design = dratio;
			}
		}
	}
	stats->schedules++;
	if (w->failed) {
		/* Under SIM_BREAK a violation is what the run looks for. */
		printf("%s seed %llu: %s (I=%llds D=%llds L=%llds; replay: SIM_SEED=%llu "
		       "SIM_SCHEDULES=1 SIM_VERBOSE=1 %s)\n",
		       brk ? "caught" : "FAIL", (unsigned long long)seed, w->why, (long long)i_s,
		       (long long)d_s, (long long)l_s, (unsigned long long)seed,
		       brk ? "SIM_BREAK=1 " : "");
	}
	return !w->failed;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	return v != NULL && *v != '\0' ? strtoull(v, NULL, 0) : def;
}

int main(int argc, char **argv)
{
	uint64_t count = env_u64("SIM_SCHEDULES", SIM_SELF_CHECK ? SELF_CHECK_MAX : 10000);
	uint64_t seed = env_u64("SIM_SEED", 20240601);
	bool verbose = env_u64("SIM_VERBOSE", 0) != 0;
	bool brk = env_u64("SIM_BREAK", SIM_SELF_CHECK) != 0;
	/* The self-check needs one caught schedule, not a count of them. */
	bool until_caught = SIM_SELF_CHECK && brk;
	if (argc > 1) {
		count = strtoull(argv[1], NULL, 0);
	}
	if (argc > 2) {
		seed = strtoull(argv[2], NULL, 0);
	}
	stats_t stats;
	memset(&stats, 0, sizeof(stats));
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t failed = 0;
	for (uint64_t i = 0; i < count; i++) {
		if (!run_schedule(seed + i, verbose, brk, &stats)) {
			failed++;
		}
		if (until_caught && stats.safety > 0) {
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("lease simulation%s: %llu schedules (seeds %llu..%llu) in %.2f s (%.0f/s), "
	       "%llu ticks, %llu decisions, %llu writes, %llu takes (%llu create, %llu adopt, "
	       "%llu failover, %llu reclaim)\n",
	       brk ? " [SIM_BREAK: clock rates off by up to 40 %]" : "",
	       (unsigned long long)stats.schedules, (unsigned long long)seed,
	       (unsigned long long)(seed + stats.schedules - 1), secs,
	       secs > 0 ? (double)stats.schedules / secs : 0.0, (unsigned long long)stats.ticks,
	       (unsigned long long)stats.decisions, (unsigned long long)stats.writes,
	       (unsigned long long)stats.takes, (unsigned long long)stats.take_kind[0],
	       (unsigned long long)stats.take_kind[1], (unsigned long long)stats.take_kind[2],
	       (unsigned long long)stats.take_kind[3]);
	printf("  safety violations: %llu schedules; liveness checked in %llu: %llu violations; "
	       "someone continuously active from t0 + %.2f x bound on average, %.2f at worst "
	       "(seed %llu; %.2f x the design's (STALE + FT - 1) x I + L + offset at worst)\n",
	       (unsigned long long)stats.safety, (unsigned long long)stats.liveness_checked,
	       (unsigned long long)stats.liveness,
	       stats.liveness_checked > stats.liveness
		       ? stats.sum_ratio / (double)(stats.liveness_checked - stats.liveness)
		       : 0.0,
	       stats.worst_ratio, (unsigned long long)stats.worst_seed, stats.worst_design);
	if (brk) {
		if (stats.safety == 0) {
			printf("SIM_BREAK: the checker found no violation in %llu schedules - it "
			       "cannot be trusted\n",
			       (unsigned long long)stats.schedules);
			return 1;
		}
		printf("SIM_BREAK: the checker caught %llu unsafe schedules in %llu, as it "
		       "should\n",
		       (unsigned long long)stats.safety, (unsigned long long)stats.schedules);
		return 0;
	}
	printf("%s\n", failed == 0 ? "PASS" : "FAIL");
	return failed == 0 ? 0 : 1;
}
