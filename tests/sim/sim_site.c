/*
 * The simulation of `dnsfailover run`: two real sites (src/failover/site.c,
 * the code the daemon runs: tick, health-check coupling, lease decision
 * and transitions, step-down timer, watcher coupling, metrics) with their
 * real watchers (src/watch/watcher.c), real lease logic (src/lease/) and
 * real health stale-count logic (health_observe() of src/health/health.c),
 * driven on virtual time against one simulated DNS server. Exits non-zero
 * on any violation.
 *
 *   sim_site [COUNT [SEED]]   or env SIM_SCHEDULES (default 10000),
 *                             SIM_SEED (default 1)
 *   SIM_TRACE=1               print the whole trace of every schedule (for
 *                             a replay: SIM_SEED=<seed> SIM_SCHEDULES=1)
 *   SIM_REGRESSIONS=0         skip the regression seeds run first
 *   SIM_MAX_FAILURES=N        stop after N failing schedules (default 20)
 *   SIM_BREAK=1               monotonic clock rates off by up to 40 %, which
 *                             the lease cannot be safe against: the run is
 *                             expected to report SAFETY violations, proving
 *                             the check can (tests/sim/test_sim_catches.sh);
 *                             liveness is not checked then
 *   SIM_DEFECT2=1             the fake provider classifies a resent copy's
 *                             failed prerequisite as a plain conflict, as
 *                             the provider did before the fix of issue 10
 *                             defect 2 (the run is then expected to fail)
 *
 * Schedule i runs with seed SEED + i; a failing schedule prints its seed,
 * the violation, and the last lines of its trace (the schedule run again
 * with tracing on: everything is deterministic).
 *
 * The seams
 * ---------
 * - The site gets everything through site_env_t (src/failover/site.h):
 *   clocks, timers, the health check's begin/cancel. Here they are virtual:
 *   each site has a monotonic clock with its own origin and rate, and a
 *   wall clock with its own offset; timers are events on the queue below.
 * - The provider is a provider_ops_t with read_begin/swap_begin/cancel
 *   (fake_provider below), the watcher's backend a watch_backend_ops_t with
 *   begin/cancel (fake_backend below): the site and watcher call them
 *   exactly as they call the real ones.
 * - The watcher has no timers of its own (its backends own them) but reads
 *   clock_mono_ms() when an operation ends. It is linked unchanged against
 *   the clock functions defined at the end of this file, which answer with
 *   the virtual clock of the site whose event is running: a link-time seam
 *   (this file's definitions of src/common/clock.h take the place of
 *   src/common/clock.o, which the linker then never pulls from the
 *   library; a duplicate would fail the link). Chosen over a clock
 *   argument in the watcher's API because watcher.c runs byte for byte as
 *   in production and nothing else of its interface changes. Nothing of
 *   src/loop/ runs here: the backends are handed a dummy loop they never
 *   touch.
 * - Logging goes to log_set_sink(): the trace, stamped with virtual time.
 *
 * One schedule
 * ------------
 * Timings: 30 % the defaults (I=10, D=40, L=60, FAIL_THRESHOLD=3,
 * HEALTH_TIMEOUT=2, HEALTH_STALE_COUNT=3), else I in 2..15 s, D in
 * I+1..4I, L in D+1..D+2I, FAIL_THRESHOLD 1..5, HEALTH_STALE_COUNT 1..4,
 * HEALTH_TIMEOUT 1..I-1; loaded through the real config_load(), so every
 * check of the configuration applies. Per site: a DNS attempt timeout of
 * 200..1500 ms, 3 attempts, bounded by the site's deadline
 * (provider->deadline_ms) as the real provider is.
 *
 * Clocks: monotonic rate 1 + r, |r| <= 1000 ppm (lease.h's
 * LEASE_ACT_DELAY_MS allows 0.1 % per host; DESIGN section 3: safety needs
 * the drift well inside (L - D) / (L + D), which is >= 1/121 here), an
 * arbitrary origin; wall clock offset 0 (20 %), within +/-2 s (NTP, 48 %)
 * or up to +/-L/2 s. The offset bears on liveness only (exp is compared
 * with the taker's wall clock); a primary that stepped down for its own
 * collector tries again L + (FAIL_THRESHOLD + 1) I later, which lets the
 * DR take over first when its wall clock is less than
 * D + (FAIL_THRESHOLD + 1) I behind the primary's.
 *
 * Providers: 20 % of schedules give the primary, 20 % the DR a blocking
 * provider (its calls run to their end inside read() and swap(), bounded
 * by the deadline, as the RFC 2136 provider's do): while it blocks, the
 * other site, the DNS server and the collectors go on, and the site's own
 * timers, health answers, watcher callbacks and crash wait for the call to
 * return. The others run on the loop (read_begin, swap_begin, cancel).
 *
 * DNS: one server holding the A and TXT; a write applies only when its
 * prerequisite (the expected TXT value, or "no TXT") holds, as an RFC 2136
 * UPDATE does. Per message: loss, delay (1..30 ms, in the chaos also up to
 * 3 s), duplication (the first copy applies and its answer is dropped, the
 * second copy's failed prerequisite is what the sender gets; 10 % of sites
 * do this to every UPDATE, as an UPDATE sent over UDP and again over TCP
 * did), server down windows, partitions of each site from DNS. A copy that
 * was sent lands even when its sender crashed, timed out or cancelled.
 * Answers to an earlier attempt are ignored (new message ID); after the
 * last attempt or the deadline the call ends with DF_ETIMEDOUT. A failed
 * prerequisite after more than one copy went out is DF_EUNKNOWN, as the
 * RFC 2136 provider reports it (src/provider/provider_bind.c), else
 * DF_ECONFLICT.
 *
 * Collectors: one per site, a process that runs or not. With a watcher
 * (70 % of sites) only the watcher starts and stops it, through the fake
 * backend: status 1..50 ms; start 10..500 ms, in the chaos failing (the
 * collector does not run) or hanging (it may start running, the call never
 * ends until cancelled); stop 10..300 ms, always succeeds. Without one it
 * runs whenever its host is up. Health: the DR checks the primary's
 * collector over the link between the sites (fails when the primary is
 * down, its collector stopped, the link cut, or in an outage window), the
 * primary with HEALTH_URL (50 %) its own; an outage is an HTTP error (fails
 * at once), a page that never comes (fails at HEALTH_TIMEOUT) or a counter
 * that stops growing (stale: fails after HEALTH_STALE_COUNT readings, by
 * the real health_observe()). Answers take 2..100 ms.
 *
 * Crashes: a site crashes (its daemon and its collector stop at once) and
 * restarts later with a fresh site_t, watcher and health state. SIGHUP: up
 * to two per site in the chaos, with the same configuration, through
 * site_reload() as daemon.c does it (what is in flight is cancelled: a
 * write that was sent may still land).
 *
 * Phases: chaos on [0, t0) (t0 in 0..3L) with all the faults above; from
 * t0 one site S is good (up, healthy collector, DNS reachable with no loss
 * and delays of 1..30 ms) and the other O is crashed, cut off from DNS, up
 * with a broken collector (the primary), good too, or still flaky. When S
 * is the DR and O the primary is up and not good, the DR's checks of it
 * fail from t0 (the link is cut): a DR that sees a healthy primary never
 * takes over, by design.
 *
 * Checks, after every event
 * -------------------------
 * SAFETY: never two sites acting at once. A site with a watcher acts while
 * its collector runs (the backend's own state, not what the site thinks);
 * one without acts while lease_active() says so on its clock. The watcher
 * policy is the default, WATCH_ON_DNS_FAILURE=stop.
 *
 * LIVENESS (O not flaky): from t0 + B to the end (t0 + B + 2L + 2I) some
 * site is active (site_active()) at every event. The bound, in real
 * seconds, with K = (1 + r_max) / (1 - r_max) and P = I K + HEALTH_TIMEOUT
 * + 3 attempt timeouts (the longest tick period of a good site: a tick
 * that overran runs at once when it ends):
 *   (HEALTH_STALE_COUNT + FAIL_THRESHOLD - 1) P   the DR's checks: stale
 *                                                 readings, then failures
 *                                                 (the design's bound)
 *   + L K                                        the value unchanged for L
 *   + max(0, wall_O - wall_S) + 1                exp past on S's wall clock
 *   + D K                                        break before make (a
 *                                                 CREATE or ADOPT)
 *   + 4 P                                        tick phase, the tick in
 *                                                 flight at t0, one read
 *                                                 to settle an unknown
 *                                                 write, one more tick
 *   + 3 s + 3 attempt timeouts of O              a write of O sent before
 *                                                 t0 landing late
 * and, when S is a primary with a watcher and a self-check,
 *   + HEALTH_STALE_COUNT P + D K                 a stale count from the
 *                                                 chaos still failing it,
 *                                                 then its step-down
 *   + L K + (FAIL_THRESHOLD + 2) P               its wait before it tries
 *                                                 again (site.c)
 * A primary without a watcher checks its own collector at every tick, so
 * a failed check ends with the outage (issue 10 defect 1).
 *
 * What is not modelled: a collector that cannot be stopped or whose state
 * cannot be read (no lease can make that safe; the watcher retries with
 * backoff), status failures of the watcher backend, a hung stop, a start
 * that lands after it was cancelled; WATCH_ON_DNS_FAILURE=keep; reloads
 * that change the configuration, and the metrics listener; the
 * DNS wire format, TSIG, the transports and their own retry rules (the
 * fake provider stands for src/provider/provider_bind.c and src/dns/,
 * mirroring its classification of a failed prerequisite); the HTTP of the
 * health check (its stale-count logic is real) and the tcp mode; a
 * frozen process (SIGSTOP: test_daemon_resume.sh) and clock steps (the
 * monotonic clock never steps; the wall clock only has a fixed offset); a
 * crash in the middle of a blocking call happens when the call returns;
 * operators' commands (init, promote, failback); more than one DNS
 * server or a server that loses what it applied.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/clock.h"
#include "src/common/log.h"
#include "src/conf/config.h"
#include "src/failover/config_modules.h"
#include "src/failover/site.h"
#include "src/health/health.h"
#include "src/lease/lease_txt.h"
#include "src/metrics/metrics.h"
#include "src/provider/provider.h"
#include "src/watch/watch.h"
#include "src/watch/watcher.h"
#include "tests/sim/sim_rng.h"

#define MS	   INT64_C(1000) /* virtual time is in microseconds */
#define SEC	   INT64_C(1000000)
#define NEVER	   INT64_MAX
#define WALL0	   INT64_C(1800000000)
#define RHO_PPM	   1000
#define BREAK_PPM  400000 /* SIM_BREAK: far beyond what L - D covers */
#define ATTEMPTS   3
#define MAX_WIN	   8
#define TRACE_KEEP 400

enum { SP, SD }; /* primary, DR */

/* ------------------------------------------------------------------ PRNG */

/* True with probability pct %. */
static bool chance(rng_t *r, int pct)
{
	return (int)(rng_next(r) % 100) < pct;
}

/* Copies src into dst (size bytes), cut short when it does not fit. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = 0;
	for (; n + 1 < size && src[n] != '\0'; n++) {
		dst[n] = src[n];
	}
	dst[n] = '\0';
}

/* ---------------------------------------------------------------- events */

enum ev_kind {
	EV_TIMER,	/* a site timer */
	EV_DNS_SEND,	/* the provider sends its next attempt */
	EV_DNS_ARRIVE,	/* a copy reaches the server */
	EV_DNS_ANSWER,	/* an answer reaches the site */
	EV_DNS_TIMEOUT, /* the provider call ends without an answer */
	EV_HEALTH,	/* a health check ends */
	EV_WATCH,	/* a backend operation ends */
	EV_COLL_UP,	/* a hung start gets the collector running */
	EV_CRASH,
	EV_RESTART,
	EV_T0,	   /* the faults end */
	EV_RELOAD, /* SIGHUP */
};

typedef struct msg {
	bool swap;
	bool exp_has;
	char exp_txt[LEASE_TXT_MAX + 1];
	char next_txt[LEASE_TXT_MAX + 1];
	char next_a[64];
	bool answer_dropped; /* the first of two copies */
	/* The answer. */
	bool has;
	char txt[LEASE_TXT_MAX + 1];
	char a[64];
	bool applied;
} msg_t;

typedef struct event {
	int64_t t;
	enum ev_kind kind;
	int site;
	uint32_t inc;	  /* the site's incarnation the event belongs to */
	uint64_t gen;	  /* the operation or timer generation */
	int slot;	  /* timer slot; attempt number */
	bool effect_done; /* EV_WATCH: what it did to the collector is done */
	bool running;	  /* EV_WATCH: the state a status found */
	msg_t msg;
} event_t;

/* A binary heap of small keys over a pool of events (with a free list),
 * so that sifting moves 24 bytes, not a message. */
typedef struct qkey {
	int64_t t;
	uint64_t seq;
	uint32_t slot;
} qkey_t;

typedef struct queue {
	qkey_t *k;
	event_t *pool;
	uint32_t *free;
	size_t n, cap, nfree;
	uint64_t seq;
} queue_t;

static bool key_before(const qkey_t *a, const qkey_t *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void q_push(queue_t *q, const event_t *ev)
{
	if (q->nfree == 0) {
		size_t cap = q->cap == 0 ? 256 : q->cap * 2;
		q->k = realloc(q->k, cap * sizeof(*q->k));
		q->pool = realloc(q->pool, cap * sizeof(*q->pool));
		q->free = realloc(q->free, cap * sizeof(*q->free));
		if (q->k == NULL || q->pool == NULL || q->free == NULL) {
			abort();
		}
		for (size_t i = cap; i > q->cap; i--) {
			q->free[q->nfree++] = (uint32_t)(i - 1);
		}
		q->cap = cap;
	}
	uint32_t slot = q->free[--q->nfree];
	q->pool[slot] = *ev;
	qkey_t key = {ev->t, q->seq++, slot};
	size_t i = q->n++;
	while (i > 0 && key_before(&key, &q->k[(i - 1) / 2])) {
		q->k[i] = q->k[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	q->k[i] = key;
}

static void q_pop(queue_t *q, event_t *out)
{
	uint32_t slot = q->k[0].slot;
	*out = q->pool[slot];
	q->free[q->nfree++] = slot;
	qkey_t last = q->k[--q->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->n) {
			break;
		}
		if (c + 1 < q->n && key_before(&q->k[c + 1], &q->k[c])) {
			c++;
		}
		if (!key_before(&q->k[c], &last)) {
			break;
		}
		q->k[i] = q->k[c];
		i = c;
	}
	if (q->n > 0) {
		q->k[i] = last;
	}
}

static void q_free(queue_t *q)
{
	free(q->k);
	free(q->pool);
	free(q->free);
}

/* ------------------------------------------------------- the world model */

typedef struct window {
	int64_t from, to;
	int kind; /* outages: OUT_* */
} window_t;

typedef struct windows {
	int n;
	window_t w[MAX_WIN];
} windows_t;

enum { OUT_ERROR, OUT_HANG, OUT_STALE };

static void win_add(windows_t *ws, int64_t from, int64_t to, int kind)
{
	if (ws->n < MAX_WIN && to > from) {
		ws->w[ws->n++] = (window_t){from, to, kind};
	}
}

/* The window t is in, or NULL. */
static const window_t *win_at(const windows_t *ws, int64_t t)
{
	for (int i = 0; i < ws->n; i++) {
		if (t >= ws->w[i].from && t < ws->w[i].to) {
			return &ws->w[i];
		}
	}
	return NULL;
}

typedef struct vsite vsite_t;
typedef struct sim sim_t;

/* The loop the watcher hands its backend: the fake backends never touch it
 * (nothing of src/loop/ runs in the simulation). */
struct loop {
	int unused;
};
static loop_t no_loop;

struct site_timer {
	vsite_t *vs;
	bool used;
	bool armed;
	uint64_t gen;
	int64_t deadline; /* on the site's monotonic clock, ms */
	int64_t interval;
	site_timer_cb cb;
	void *arg;
};

typedef struct fake_provider {
	provider_t p; /* first: the site's provider_t * points here */
	vsite_t *vs;
	bool busy;
	bool swap;
	uint64_t gen;
	int attempt; /* copies sent so far for this call */
	int64_t end; /* real time the call ends without an answer */
	lease_t *out;
	msg_t req;
	provider_done_fn done;
	void *arg;
} fake_provider_t;

typedef struct fake_backend {
	watch_backend_t b; /* first */
	vsite_t *vs;
	bool busy;
	uint64_t gen;
	enum watch_verb verb;
	watch_done_cb done;
	void *arg;
} fake_backend_t;

typedef struct fake_health {
	bool busy;
	uint64_t gen;
	bool hang;
	health_t *h;
	health_cb cb;
	void *arg;
} fake_health_t;

struct vsite {
	sim_t *sim;
	int idx;
	const char *name;
	config_t cfg;
	lease_params_t params;
	bool has_watcher;
	bool self_check;
	/* Clocks. */
	int64_t origin_ms;
	int64_t ppm;
	int64_t wall_offset;
	/* DNS behaviour. */
	int64_t attempt_ms;
	bool dup_all;  /* every UPDATE reaches the server twice */
	bool blocking; /* its provider blocks the loop (one site at most) */
	/* The daemon, one incarnation. */
	bool up;
	uint32_t inc;
	site_env_t env;
	site_t *site;
	metrics_t *metrics;
	health_t *health;
	watcher_t *watcher;
	fake_provider_t prov;
	fake_backend_t back;
	fake_health_t hc;
	struct site_timer timers[4];
	/* The collector, as the world has it. */
	bool coll_running;
	double counter;
	/* Faults. */
	windows_t cut;	  /* from DNS */
	windows_t outage; /* of its collector's page */
	int loss_pct;	  /* per message, while in the chaos */
	int dup_pct;
	int start_fail_pct, start_hang_pct;
	bool flaky; /* stays chaotic after t0 */
};

struct sim {
	uint64_t seed;
	rng_t rng;
	queue_t q;
	int64_t now;
	int64_t t0, end, live_from;
	bool check_live;
	vsite_t s[2];
	vsite_t *cur; /* whose event runs: the clock functions answer for it */
	windows_t dns_down;
	windows_t link_cut; /* between the sites */
	/* The DNS server. */
	bool has;
	char txt[LEASE_TXT_MAX + 1];
	char a[64];
	/* Outcome. */
	bool failed;
	char why[512];
	uint64_t events;
	/* Trace. */
	bool trace;	 /* keep a trace */
	bool trace_live; /* print it as it goes */
	char (*ring)[200];
	size_t ring_n;
	int good;  /* S */
	int other; /* enum other, for O */
	/* Options. */
	bool defect2;
	int64_t rho_ppm; /* the clock rate bound */
	/* Figures over a run. */
	uint64_t takeovers;
};

static sim_t *g_sim; /* for the log sink and the clock functions */

/* What a run exercised, over all its schedules. */
static struct {
	uint64_t owner_changes; /* writes that changed the lease's owner */
	uint64_t unknown;	/* writes whose outcome the site could not know */
	uint64_t cancels;	/* watcher operations cancelled (a hung start) */
	uint64_t crashes;
	uint64_t live_checked; /* schedules with the liveness check */
} stats;

/* ------------------------------------------------------------- the trace */

static void trace(sim_t *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace(sim_t *sim, const char *fmt, ...)
{
	if (!sim->trace) {
		return;
	}
	char line[200];
	int n = snprintf(line, sizeof(line), "%9.3f %s ", (double)sim->now / SEC,
			 sim->cur != NULL ? sim->cur->name : "  ");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (sim->trace_live) {
		printf("%s\n", line);
		return;
	}
	memcpy(sim->ring[sim->ring_n++ % TRACE_KEEP], line, sizeof(line));
}

static void on_log(enum log_level level, const char *line, void *arg)
{
	static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	sim_t *sim = arg;
	trace(sim, "[%s] %s", names[level], line);
}

/* ---------------------------------------------------------------- clocks */

static int64_t mono_at(const vsite_t *vs, int64_t t)
{
	return vs->origin_ms + (t + t * vs->ppm / 1000000) / MS;
}

/* The first real instant at or after now when vs's monotonic clock reads m. */
static int64_t real_of_mono(const vsite_t *vs, int64_t m)
{
	int64_t now = vs->sim->now;
	if (mono_at(vs, now) >= m) {
		return now;
	}
	double guess = (double)(m - vs->origin_ms) * MS * 1e6 / (1e6 + (double)vs->ppm);
	int64_t t = (int64_t)guess - 2;
	if (t <= now) {
		t = now + 1;
	}
	while (mono_at(vs, t) < m) {
		t++;
	}
	while (t - 1 > now && mono_at(vs, t - 1) >= m) {
		t--;
	}
	return t;
}

static int64_t env_mono(void *arg)
{
	vsite_t *vs = arg;
	return mono_at(vs, vs->sim->now);
}

static int64_t env_wall(void *arg)
{
	vsite_t *vs = arg;
	int64_t t = vs->sim->now;
	return WALL0 + (t + t * vs->ppm / 1000000) / SEC + vs->wall_offset;
}

/* ---------------------------------------------------------------- timers */

static void push(sim_t *sim, int64_t t, enum ev_kind kind, const vsite_t *vs, uint64_t gen,
		 int slot, const msg_t *m)
{
	event_t ev = {
		.t = t, .kind = kind, .site = vs->idx, .inc = vs->inc, .gen = gen, .slot = slot};
	if (m != NULL) {
		ev.msg = *m;
	}
	q_push(&sim->q, &ev);
}

static site_timer_t *env_timer_new(void *arg, site_timer_cb cb, void *cb_arg)
{
	vsite_t *vs = arg;
	for (size_t i = 0; i < sizeof(vs->timers) / sizeof(vs->timers[0]); i++) {
		site_timer_t *t = &vs->timers[i];
		if (!t->used) {
			t->vs = vs;
			t->used = true;
			t->armed = false;
			t->gen++;
			t->cb = cb;
			t->arg = cb_arg;
			return t;
		}
	}
	return NULL;
}

static void timer_schedule(site_timer_t *t)
{
	vsite_t *vs = t->vs;
	push(vs->sim, real_of_mono(vs, t->deadline), EV_TIMER, vs, t->gen, (int)(t - vs->timers),
	     NULL);
}

static void env_timer_arm(site_timer_t *t, int64_t delay_ms, int64_t interval_ms)
{
	int64_t deadline = env_mono(t->vs) + delay_ms;
	if (t->armed && t->deadline == deadline && t->interval == interval_ms) {
		return; /* the event already queued is the one this asks for */
	}
	t->gen++;
	t->armed = true;
	t->deadline = env_mono(t->vs) + delay_ms;
	t->interval = interval_ms;
	timer_schedule(t);
}

static void env_timer_cancel(site_timer_t *t)
{
	t->gen++;
	t->armed = false;
}

static void env_timer_free(site_timer_t *t)
{
	t->gen++;
	t->armed = false;
	t->used = false;
}

static void timer_fire(vsite_t *vs, const event_t *ev)
{
	site_timer_t *t = &vs->timers[ev->slot];
	if (!t->used || !t->armed || t->gen != ev->gen) {
		return;
	}
	if (t->interval > 0) {
		/* Like a periodic timerfd: missed expiries are not made up. */
		int64_t now = env_mono(vs);
		while (t->deadline <= now) {
			t->deadline += t->interval;
		}
		timer_schedule(t);
	} else {
		t->armed = false;
	}
	t->cb(t->arg);
}

/* --------------------------------------------------------- the collectors */

static bool link_ok(const sim_t *sim)
{
	return win_at(&sim->link_cut, sim->now) == NULL;
}

static bool dns_path_ok(const vsite_t *vs)
{
	return win_at(&vs->cut, vs->sim->now) == NULL;
}

static void collector_set(vsite_t *vs, bool running)
{
	if (vs->coll_running != running) {
		trace(vs->sim, "collector %s", running ? "RUNS" : "stopped");
		if (running) {
			vs->counter = 0; /* a new process counts from zero */
		}
	}
	vs->coll_running = running;
}

/* ---------------------------------------------------- fake watch backend */

static int fb_status(watch_backend_t *b, bool *running, df_detail_t *d)
{
	fake_backend_t *fb = (fake_backend_t *)b;
	(void)d;
	*running = fb->vs->coll_running;
	return DF_OK;
}

static int fb_start(watch_backend_t *b, df_detail_t *d)
{
	fake_backend_t *fb = (fake_backend_t *)b;
	(void)d;
	collector_set(fb->vs, true);
	return DF_OK;
}

static int fb_stop(watch_backend_t *b, df_detail_t *d)
{
	fake_backend_t *fb = (fake_backend_t *)b;
	(void)d;
	collector_set(fb->vs, false);
	return DF_OK;
}

static int fb_begin(watch_backend_t *b, loop_t *loop, enum watch_verb verb, watch_done_cb done,
		    void *arg, df_detail_t *d)
{
	fake_backend_t *fb = (fake_backend_t *)b;
	vsite_t *vs = fb->vs;
	sim_t *sim = vs->sim;
	(void)loop;
	(void)d;
	fb->busy = true;
	fb->gen++;
	fb->verb = verb;
	fb->done = done;
	fb->arg = arg;
	static const char *const verbs[] = {"status", "start", "stop"};
	int64_t lat = verb == WATCH_STATUS  ? rng_range(&sim->rng, 1, 50) * MS
		      : verb == WATCH_START ? rng_range(&sim->rng, 10, 500) * MS
					    : rng_range(&sim->rng, 10, 300) * MS;
	int slot = 0; /* 0 ok, 1 fails */
	bool chaos = sim->now < sim->t0 || vs->flaky;
	if (verb == WATCH_START && chaos && chance(&sim->rng, vs->start_hang_pct)) {
		trace(sim, "watch %s begins: it will hang", verbs[verb]);
		if (chance(&sim->rng, 50)) {
			push(sim, sim->now + lat, EV_COLL_UP, vs, fb->gen, 0, NULL);
		}
		return DF_OK; /* never ends */
	}
	if (verb == WATCH_START && chaos && chance(&sim->rng, vs->start_fail_pct)) {
		slot = 1;
	}
	trace(sim, "watch %s begins%s", verbs[verb], slot ? ": it will fail" : "");
	push(sim, sim->now + lat, EV_WATCH, vs, fb->gen, slot, NULL);
	return DF_OK;
}

static void fb_cancel(watch_backend_t *b)
{
	fake_backend_t *fb = (fake_backend_t *)b;
	if (fb->busy) {
		trace(fb->vs->sim, "watch operation cancelled");
		stats.cancels++;
	}
	fb->busy = false;
	fb->gen++;
}

static void fb_free(watch_backend_t *b)
{
	fb_cancel(b);
}

static const watch_backend_ops_t fake_backend_ops = {
	.name = "sim",
	.status = fb_status,
	.start = fb_start,
	.stop = fb_stop,
	.begin = fb_begin,
	.cancel = fb_cancel,
	.free = fb_free,
};

/* What a backend operation does to the collector, at the instant it ends
 * (also while the site's loop is blocked and its callback waits). */
static void watch_effect(vsite_t *vs, event_t *ev)
{
	fake_backend_t *fb = &vs->back;
	if (ev->effect_done || !fb->busy || fb->gen != ev->gen) {
		return;
	}
	ev->effect_done = true;
	ev->running = vs->coll_running;
	if (ev->slot != 1 && fb->verb != WATCH_STATUS) {
		collector_set(vs, fb->verb == WATCH_START);
	}
}

static void watch_done(vsite_t *vs, event_t *ev)
{
	fake_backend_t *fb = &vs->back;
	watch_effect(vs, ev);
	if (!fb->busy || fb->gen != ev->gen) {
		return;
	}
	fb->busy = false;
	fb->gen++;
	int ret = ev->slot == 1 ? DF_ERCODE : DF_OK;
	fb->done(fb->arg, fb->verb, ret, fb->verb == WATCH_STATUS ? ev->running : vs->coll_running,
		 ev->slot == 1 ? "the start failed (simulated)" : "");
}

/* -------------------------------------------------------- fake health */

static int env_health_begin(void *arg, health_t *h, health_cb cb, void *cb_arg)
{
	vsite_t *vs = arg;
	sim_t *sim = vs->sim;
	fake_health_t *hc = &vs->hc;
	vsite_t *target = &sim->s[SP];
	hc->busy = true;
	hc->gen++;
	hc->h = h;
	hc->cb = cb;
	hc->arg = cb_arg;
	const window_t *out = win_at(&target->outage, sim->now);
	hc->hang = (out != NULL && out->kind == OUT_HANG) ||
		   (vs->idx == SD && (!link_ok(sim) || !target->up));
	int64_t lat = hc->hang ? (int64_t)vs->cfg.health_timeout * SEC
			       : rng_range(&sim->rng, 2, 100) * MS;
	push(sim, sim->now + lat, EV_HEALTH, vs, hc->gen, 0, NULL);
	return DF_OK;
}

static void env_health_cancel(void *arg, health_t *h)
{
	vsite_t *vs = arg;
	(void)h;
	vs->hc.busy = false;
	vs->hc.gen++;
}

static void health_done(vsite_t *vs, const event_t *ev)
{
	sim_t *sim = vs->sim;
	fake_health_t *hc = &vs->hc;
	if (!hc->busy || hc->gen != ev->gen) {
		return;
	}
	hc->busy = false;
	hc->gen++;
	vsite_t *target = &sim->s[SP];
	const window_t *out = win_at(&target->outage, sim->now);
	char why[160] = "";
	bool healthy = false;
	if (hc->hang) {
		snprintf(why, sizeof(why), "no answer within HEALTH_TIMEOUT");
	} else if (!target->up || !target->coll_running) {
		snprintf(why, sizeof(why), "connection refused");
	} else if (out != NULL && out->kind == OUT_ERROR) {
		snprintf(why, sizeof(why), "answered HTTP 500");
	} else {
		if (out == NULL) {
			target->counter += 1 + (double)rng_range(&sim->rng, 0, 100);
		}
		healthy = health_observe(hc->h, target->counter, why, sizeof(why));
	}
	trace(sim, "health check of %s: %s%s%s", target == vs ? "own collector" : "primary",
	      healthy ? "healthy" : "UNHEALTHY", healthy ? "" : ": ", why);
	hc->cb(hc->h, healthy, why, hc->arg);
}

/* ------------------------------------------------------ fake provider */

static bool in_chaos(const vsite_t *vs)
{
	return vs->sim->now < vs->sim->t0 || vs->flaky;
}

static int64_t msg_delay(vsite_t *vs)
{
	sim_t *sim = vs->sim;
	if (in_chaos(vs) && chance(&sim->rng, 10)) {
		return rng_range(&sim->rng, 30, 3000) * MS;
	}
	return rng_range(&sim->rng, 1, 30) * MS;
}

static bool msg_lost(vsite_t *vs)
{
	return !dns_path_ok(vs) || (in_chaos(vs) && chance(&vs->sim->rng, vs->loss_pct));
}

/* Sends the call's next copy (an attempt), as the DNS client does. */
static void send_attempt(vsite_t *vs)
{
	sim_t *sim = vs->sim;
	fake_provider_t *fp = &vs->prov;
	fp->attempt++;
	if (fp->attempt < ATTEMPTS && sim->now + vs->attempt_ms * MS < fp->end) {
		push(sim, sim->now + vs->attempt_ms * MS, EV_DNS_SEND, vs, fp->gen, 0, NULL);
	}
	bool dup = fp->swap && (vs->dup_all || (in_chaos(vs) && chance(&sim->rng, vs->dup_pct)));
	if (msg_lost(vs)) {
		trace(sim, "dns %s attempt %d: request lost", fp->swap ? "update" : "query",
		      fp->attempt);
		return;
	}
	msg_t m = fp->req;
	int64_t at = sim->now + msg_delay(vs);
	if (dup) {
		/* Two copies: the first applies, its answer is dropped; the
		 * second's is what the sender gets. */
		m.answer_dropped = true;
		push(sim, at, EV_DNS_ARRIVE, vs, fp->gen, fp->attempt, &m);
		m.answer_dropped = false;
		fp->attempt++; /* two copies went out */
		at += rng_range(&sim->rng, 1, 20) * MS;
	}
	push(sim, at, EV_DNS_ARRIVE, vs, fp->gen, fp->attempt, &m);
}

static void provider_begin(fake_provider_t *fp, bool swap, provider_done_fn done, void *arg)
{
	vsite_t *vs = fp->vs;
	sim_t *sim = vs->sim;
	fp->busy = true;
	fp->swap = swap;
	fp->gen++;
	fp->attempt = 0;
	fp->done = done;
	fp->arg = arg;
	fp->end = sim->now + ATTEMPTS * vs->attempt_ms * MS;
	if (fp->p.deadline_ms > 0) {
		int64_t dl = real_of_mono(vs, fp->p.deadline_ms);
		if (dl < fp->end) {
			fp->end = dl;
		}
	}
	push(sim, fp->end, EV_DNS_TIMEOUT, vs, fp->gen, 0, NULL);
	if (fp->end > sim->now) {
		send_attempt(vs);
	}
}

static int fp_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			 void *arg)
{
	fake_provider_t *fp = (fake_provider_t *)p;
	(void)m;
	memset(&fp->req, 0, sizeof(fp->req));
	fp->out = out;
	provider_begin(fp, false, done, arg);
	return DF_OK;
}

static int fp_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			 provider_done_fn done, void *arg)
{
	fake_provider_t *fp = (fake_provider_t *)p;
	(void)m;
	memset(&fp->req, 0, sizeof(fp->req));
	fp->req.swap = true;
	fp->req.exp_has = expected != NULL && expected->has_txt;
	if (fp->req.exp_has) {
		snprintf(fp->req.exp_txt, sizeof(fp->req.exp_txt), "%.*s", LEASE_TXT_MAX,
			 expected->txt);
	}
	copy_str(fp->req.next_txt, sizeof(fp->req.next_txt), next->txt);
	copy_str(fp->req.next_a, sizeof(fp->req.next_a), next->a);
	fp->out = next;
	provider_begin(fp, true, done, arg);
	return DF_OK;
}

static void fp_cancel(provider_t *p)
{
	fake_provider_t *fp = (fake_provider_t *)p;
	if (fp->busy) {
		trace(fp->vs->sim, "provider call cancelled");
	}
	fp->busy = false;
	fp->gen++;
}

static void fp_free(provider_t *p)
{
	fp_cancel(p);
}

static void run_blocked(vsite_t *vs, const bool *done);

/* The same provider as a blocking one (its calls run to their end inside
 * read() and swap(), as the RFC 2136 provider's do). */
typedef struct blocking_call {
	bool done;
	int ret;
	df_detail_t d;
} blocking_call_t;

static void blocking_done(provider_t *p, int ret, const df_detail_t *d, void *arg)
{
	blocking_call_t *c = arg;
	(void)p;
	c->done = true;
	c->ret = ret;
	c->d = *d;
}

static int fpb_read(provider_t *p, lease_t *out, df_detail_t *d)
{
	blocking_call_t c = {.done = false};
	fp_read_begin(p, NULL, out, blocking_done, &c);
	run_blocked(((fake_provider_t *)p)->vs, &c.done);
	if (d != NULL) {
		*d = c.d;
	}
	return c.ret;
}

static int fpb_swap(provider_t *p, const lease_t *expected, lease_t *next, df_detail_t *d)
{
	blocking_call_t c = {.done = false};
	fp_swap_begin(p, NULL, expected, next, blocking_done, &c);
	run_blocked(((fake_provider_t *)p)->vs, &c.done);
	if (d != NULL) {
		*d = c.d;
	}
	return c.ret;
}

static const provider_ops_t fake_blocking_ops = {
	.id = "sim-blocking",
	.atomic_cas = true,
	.read = fpb_read,
	.swap = fpb_swap,
	.free = fp_free,
};

static const provider_ops_t fake_provider_ops = {
	.id = "sim",
	.atomic_cas = true,
	.read_begin = fp_read_begin,
	.swap_begin = fp_swap_begin,
	.cancel = fp_cancel,
	.free = fp_free,
};

/* A copy reaches the server: applied whole or not at all. */
static void dns_arrive(sim_t *sim, vsite_t *vs, const event_t *ev)
{
	msg_t m = ev->msg;
	if (win_at(&sim->dns_down, sim->now) != NULL) {
		trace(sim, "dns server down: %s from %s dropped", m.swap ? "update" : "query",
		      vs->name);
		return;
	}
	if (m.swap) {
		bool ok = m.exp_has ? sim->has && strcmp(sim->txt, m.exp_txt) == 0 : !sim->has;
		if (ok) {
			if (!sim->has || strncmp(sim->txt, m.next_txt, 10) != 0) {
				stats.owner_changes++;
			}
			sim->has = true;
			copy_str(sim->txt, sizeof(sim->txt), m.next_txt);
			copy_str(sim->a, sizeof(sim->a), m.next_a);
		}
		m.applied = ok;
		trace(sim, "dns server: update from %s %s: \"%s\" -> \"%s\"", vs->name,
		      ok ? "APPLIED" : "prerequisite failed", m.exp_has ? m.exp_txt : "(none)",
		      m.next_txt);
	}
	m.has = sim->has;
	copy_str(m.txt, sizeof(m.txt), sim->txt);
	copy_str(m.a, sizeof(m.a), sim->a);
	if (m.answer_dropped || msg_lost(vs)) {
		trace(sim, "dns server: answer to %s lost", vs->name);
		return;
	}
	push(sim, sim->now + msg_delay(vs), EV_DNS_ANSWER, vs, ev->gen, ev->slot, &m);
}

static void provider_end(vsite_t *vs, int ret, const char *why)
{
	fake_provider_t *fp = &vs->prov;
	df_detail_t d = {""};
	copy_str(d.msg, sizeof(d.msg), why);
	fp->busy = false;
	fp->gen++;
	if (fp->swap && ret != DF_OK && ret != DF_ECONFLICT) {
		stats.unknown++;
	}
	trace(vs->sim, "provider %s ends: %s%s%s", fp->swap ? "swap" : "read", df_strerror(ret),
	      why[0] != '\0' ? ": " : "", why);
	fp->done(&fp->p, ret, &d, fp->arg);
}

static void dns_answer(vsite_t *vs, const event_t *ev)
{
	fake_provider_t *fp = &vs->prov;
	const msg_t *m = &ev->msg;
	if (!fp->busy || fp->gen != ev->gen || ev->slot != fp->attempt) {
		return; /* an answer to another call or an earlier attempt */
	}
	if (!fp->swap) {
		lease_t *l = fp->out;
		memset(l, 0, sizeof(*l));
		if (!m->has) {
			provider_end(vs, DF_ENOTFOUND, "");
			return;
		}
		l->has_a = true;
		copy_str(l->a, sizeof(l->a), m->a);
		l->a_count = 1;
		l->has_txt = true;
		copy_str(l->txt, sizeof(l->txt), m->txt);
		l->txt_valid = lease_txt_parse(&l->lease, m->txt, strlen(m->txt), NULL) == DF_OK;
		l->version.len = strlen(m->txt);
		memcpy(l->version.bytes, m->txt, l->version.len);
		provider_end(vs, DF_OK, "");
		return;
	}
	if (m->applied) {
		fp->out->version.len = strlen(m->next_txt);
		memcpy(fp->out->version.bytes, m->next_txt, fp->out->version.len);
		provider_end(vs, DF_OK, "");
		return;
	}
	/* As src/provider/provider_bind.c classifies a failed prerequisite. */
	if (fp->attempt > 1 && !vs->sim->defect2) {
		provider_end(vs, DF_EUNKNOWN, "a later copy found the lease changed");
		return;
	}
	provider_end(vs, DF_ECONFLICT, "someone else wrote first");
}

/* ------------------------------------------------------------ the sites */

static void site_up(vsite_t *vs)
{
	sim_t *sim = vs->sim;
	df_detail_t d = {""};
	vs->inc++;
	vs->up = true;
	memset(vs->timers, 0, sizeof(vs->timers));
	vs->metrics = metrics_new(vs->idx == SP ? "primary" : "dr");
	vs->health = NULL;
	if (vs->idx == SD || vs->self_check) {
		if (health_new_for_site(&vs->health, &vs->cfg, NULL, &d) != DF_OK) {
			fprintf(stderr, "sim: health_new_for_site: %s\n", d.msg);
			abort();
		}
	}
	memset(&vs->prov, 0, sizeof(vs->prov));
	vs->prov.p.ops = vs->blocking ? &fake_blocking_ops : &fake_provider_ops;
	vs->prov.p.cfg = &vs->cfg;
	vs->prov.vs = vs;
	memset(&vs->hc, 0, sizeof(vs->hc));
	vs->watcher = NULL;
	if (vs->has_watcher) {
		memset(&vs->back, 0, sizeof(vs->back));
		vs->back.b.ops = &fake_backend_ops;
		vs->back.b.cfg = &vs->cfg;
		snprintf(vs->back.b.what, sizeof(vs->back.b.what), "simulated collector");
		vs->back.vs = vs;
		if (watcher_new(&vs->watcher, &vs->back.b, "collector (sim)") != DF_OK) {
			abort();
		}
		watcher_set_loop(vs->watcher, &no_loop);
	} else {
		collector_set(vs, true); /* run by the host, not by us */
	}
	vs->env = (site_env_t){
		.arg = vs,
		.mono_ms = env_mono,
		.lease_wall = env_wall,
		.timer_new = env_timer_new,
		.timer_arm = env_timer_arm,
		.timer_cancel = env_timer_cancel,
		.timer_free = env_timer_free,
		.health_begin = env_health_begin,
		.health_cancel = env_health_cancel,
	};
	site_parts_t parts = {.cfg = &vs->cfg,
			      .provider = &vs->prov.p,
			      .health = vs->health,
			      .watcher = vs->watcher};
	if (vs->metrics == NULL || site_new(&vs->site, &vs->env, &parts, vs->metrics) != DF_OK) {
		abort();
	}
	trace(sim, "site starts (incarnation %u)", vs->inc);
	site_start(vs->site);
}

static void site_down(vsite_t *vs)
{
	trace(vs->sim, "site CRASHES");
	site_free(vs->site);
	vs->site = NULL;
	watcher_free(vs->watcher); /* frees the fake backend: cancels it */
	vs->watcher = NULL;
	health_free(vs->health);
	vs->health = NULL;
	metrics_free(vs->metrics);
	vs->metrics = NULL;
	vs->up = false;
	vs->inc++; /* what was in flight for it is dropped */
	collector_set(vs, false);
}

/*
 * SIGHUP with the same configuration, as daemon.c's reload() does it: new
 * health state and watcher (on the same backend), site_reload() cancels
 * what is in flight on the old ones, then they are freed.
 */
static void site_sighup(vsite_t *vs)
{
	df_detail_t d = {""};
	health_t *h = NULL;
	watcher_t *w = NULL;
	if ((vs->idx == SD || vs->self_check) &&
	    health_new_for_site(&h, &vs->cfg, NULL, &d) != DF_OK) {
		abort();
	}
	if (vs->has_watcher) {
		if (watcher_new(&w, &vs->back.b, "collector (sim)") != DF_OK) {
			abort();
		}
		watcher_set_loop(w, &no_loop);
	}
	trace(vs->sim, "SIGHUP: reloading");
	site_parts_t parts = {.cfg = &vs->cfg, .provider = &vs->prov.p, .health = h, .watcher = w};
	site_reload(vs->site, &parts, true);
	watcher_free(vs->watcher); /* cancels its operation in flight */
	health_free(vs->health);
	vs->watcher = w;
	vs->health = h;
}

/* ------------------------------------------------------------ the checks */

static void fail(sim_t *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(sim_t *sim, const char *fmt, ...)
{
	if (sim->failed) {
		return;
	}
	sim->failed = true;
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(sim->why, sizeof(sim->why), "t=%.3f s: ", (double)sim->now / SEC);
	vsnprintf(sim->why + n, sizeof(sim->why) - (size_t)n, fmt, ap);
	va_end(ap);
	trace(sim, "VIOLATION: %s", sim->why);
}

static bool lease_active_now(const vsite_t *vs)
{
	if (!vs->up) {
		return false;
	}
	return lease_active(&vs->params, site_lease_state(vs->site), mono_at(vs, vs->sim->now));
}

/* What the other side would see: the collector, or the lease's own word. */
static bool acting(const vsite_t *vs)
{
	return vs->has_watcher ? vs->coll_running : lease_active_now(vs);
}

static void check(sim_t *sim)
{
	if (acting(&sim->s[SP]) && acting(&sim->s[SD])) {
		fail(sim, "SAFETY: both sites act (primary %s, DR %s)",
		     sim->s[SP].has_watcher ? "collector runs" : "lease active",
		     sim->s[SD].has_watcher ? "collector runs" : "lease active");
	}
	if (sim->check_live && sim->now >= sim->live_from &&
	    !(sim->s[SP].up && site_active(sim->s[SP].site)) &&
	    !(sim->s[SD].up && site_active(sim->s[SD].site))) {
		fail(sim,
		     "LIVENESS: no site active %.1f s after the faults ended (bound %.1f s); "
		     "DNS holds \"%s\"",
		     (double)(sim->now - sim->t0) / SEC, (double)(sim->live_from - sim->t0) / SEC,
		     sim->has ? sim->txt : "(nothing)");
	}
}

/* ------------------------------------------------------- the schedule */

static void no_warning(const char *msg)
{
	(void)msg;
}

static void gen_config(sim_t *sim, vsite_t *vs, uint32_t I, uint32_t D, uint32_t L, uint32_t F,
		       uint32_t H, uint32_t HSC)
{
	rng_t *r = &sim->rng;
	char env[16][160];
	int n = 0;
	snprintf(env[n++], sizeof(env[0]), "ROLE=%s", vs->idx == SP ? "primary" : "dr");
	snprintf(env[n++], sizeof(env[0]), "DNS_PROVIDER=dry-run");
	snprintf(env[n++], sizeof(env[0]), "DNS_ZONE=example.com");
	snprintf(env[n++], sizeof(env[0]), "DNS_RECORD=failover.example.com");
	snprintf(env[n++], sizeof(env[0]), "PRIMARY_IP=192.0.2.10");
	snprintf(env[n++], sizeof(env[0]), "DR_IP=198.51.100.20");
	snprintf(env[n++], sizeof(env[0]), "UPDATE_INTERVAL=%u", I);
	snprintf(env[n++], sizeof(env[0]), "RENEW_DEADLINE=%u", D);
	snprintf(env[n++], sizeof(env[0]), "LEASE_TTL=%u", L);
	snprintf(env[n++], sizeof(env[0]), "FAIL_THRESHOLD=%u", F);
	snprintf(env[n++], sizeof(env[0]), "HEALTH_TIMEOUT=%u", H);
	snprintf(env[n++], sizeof(env[0]), "HEALTH_STALE_COUNT=%u", HSC);
	snprintf(env[n++], sizeof(env[0]), "HEALTH_MODE=metrics");
	vs->self_check = vs->idx == SP && chance(r, 50);
	if (vs->idx == SD || vs->self_check) {
		snprintf(env[n++], sizeof(env[0]), "HEALTH_URL=http://192.0.2.10:8888/metrics");
	}
	char *envp[17];
	for (int i = 0; i < n; i++) {
		envp[i] = env[i];
	}
	envp[n] = NULL;
	df_detail_t d = {""};
	if (config_load(&vs->cfg, failover_config_modules, NULL, envp, no_warning, &d) != DF_OK) {
		fprintf(stderr, "sim: seed %llu: config refused: %s\n",
			(unsigned long long)sim->seed, d.msg);
		abort();
	}
	lease_params_init(&vs->params, &vs->cfg);
}

static void gen_windows(rng_t *r, windows_t *ws, int64_t until, int max, int64_t max_len, int kinds)
{
	int n = (int)rng_range(r, 0, max);
	for (int i = 0; i < n; i++) {
		int64_t from = rng_range(r, 0, until);
		int64_t to = from + rng_range(r, SEC, max_len);
		if (to > until) {
			to = until;
		}
		win_add(ws, from, to, kinds > 0 ? (int)rng_range(r, 0, kinds - 1) : 0);
	}
}

enum other { O_CRASHED, O_CUT, O_BROKEN, O_GOOD, O_FLAKY };

static vsite_t *vS_of(sim_t *sim, int i)
{
	return &sim->s[i];
}

/* The faults end: S is up, O up too unless it stays crashed (or is flaky). */
static void at_t0(sim_t *sim)
{
	for (int i = 0; i < 2; i++) {
		vsite_t *vs = &sim->s[i];
		sim->cur = vs;
		bool want_up = i == sim->good || sim->other != O_CRASHED;
		if (i != sim->good && sim->other == O_FLAKY) {
			continue;
		}
		if (want_up && !vs->up) {
			site_up(vs);
		} else if (!want_up && vs->up) {
			site_down(vs);
		}
	}
}

static void gen_schedule(sim_t *sim)
{
	rng_t *r = &sim->rng;
	uint32_t I = 10, D = 40, L = 60, F = 3, H = 2, HSC = 3;
	if (!chance(r, 30)) {
		I = (uint32_t)rng_range(r, 2, 15);
		D = (uint32_t)rng_range(r, I + 1, 4 * I);
		L = (uint32_t)rng_range(r, D + 1, D + 2 * I);
		F = (uint32_t)rng_range(r, 1, 5);
		HSC = (uint32_t)rng_range(r, 1, 4);
		H = (uint32_t)rng_range(r, 1, I - 1);
	}
	int64_t Ls = L * SEC;
	sim->t0 = rng_range(r, 0, 3 * Ls);
	/* From a stream of its own, so that adding it left the other draws
	 * (and the regression seeds) as they were. */
	uint64_t x = sim->seed ^ UINT64_C(0x626c6f636b696e67);
	uint64_t b = splitmix64(&x) % 10;
	sim->s[SP].blocking = b < 2;
	sim->s[SD].blocking = b >= 2 && b < 4;
	for (int i = 0; i < 2; i++) {
		vsite_t *vs = &sim->s[i];
		vs->sim = sim;
		vs->idx = i;
		vs->name = i == SP ? "P " : "DR";
		gen_config(sim, vs, I, D, L, F, H, HSC);
		vs->has_watcher = chance(r, 70);
		vs->origin_ms = rng_range(r, 0, INT64_C(1) << 40);
		vs->ppm = rng_range(r, -sim->rho_ppm, sim->rho_ppm);
		vs->wall_offset = chance(r, 20)	  ? 0
				  : chance(r, 60) ? rng_range(r, -2, 2)
						  : rng_range(r, -(int64_t)L / 2, L / 2);
		vs->attempt_ms = rng_range(r, 200, 1500);
		vs->dup_all = chance(r, 10);
		vs->loss_pct = (int)rng_range(r, 0, 30);
		vs->dup_pct = (int)rng_range(r, 0, 10);
		vs->start_fail_pct = (int)rng_range(r, 0, 30);
		vs->start_hang_pct = (int)rng_range(r, 0, 15);
		gen_windows(r, &vs->cut, sim->t0, 3, 2 * Ls, 0);
		gen_windows(r, &vs->outage, sim->t0, 3, 2 * Ls, 3);
	}
	/* SIGHUPs in the chaos, from that stream too. */
	for (int i = 0; i < 2; i++) {
		int n = (int)(splitmix64(&x) % 3);
		for (int k = 0; k < n && sim->t0 > 0; k++) {
			int64_t at = 1 + (int64_t)(splitmix64(&x) % (uint64_t)sim->t0);
			push(sim, at, EV_RELOAD, &sim->s[i], 0, 0, NULL);
		}
	}
	gen_windows(r, &sim->dns_down, sim->t0, 2, Ls, 0);
	gen_windows(r, &sim->link_cut, sim->t0, 2, 2 * Ls, 0);

	/* Crashes in the chaos: each site may crash and come back. */
	for (int i = 0; i < 2; i++) {
		int n = (int)rng_range(r, 0, 2);
		for (int k = 0; k < n && sim->t0 > 0; k++) {
			int64_t at = rng_range(r, 0, sim->t0);
			push(sim, at, EV_CRASH, &sim->s[i], 0, 0, NULL);
			push(sim, at + rng_range(r, SEC, 2 * Ls), EV_RESTART, &sim->s[i], 0, 0,
			     NULL);
		}
	}

	/* From t0: S good, O as drawn. */
	int S = (int)rng_range(r, 0, 1), O = 1 - S;
	vsite_t *so = &sim->s[O];
	enum other other = (enum other)rng_range(r, 0, 4);
	if (other == O_BROKEN && O != SP) {
		other = O_GOOD; /* only the primary's collector is checked */
	}
	int64_t far = INT64_MAX / 4;
	switch (other) {
	case O_CRASHED: /* at t0 */
		break;
	case O_CUT:
		win_add(&so->cut, sim->t0, far, 0);
		break;
	case O_BROKEN:
		win_add(&so->outage, sim->t0, far, (int)rng_range(r, 0, 2));
		break;
	case O_GOOD:
		break;
	case O_FLAKY:
		so->flaky = true;
		gen_windows(r, &so->cut, far / 2, 3, 2 * Ls, 0);
		break;
	}
	sim->good = S;
	sim->other = (int)other;
	push(sim, sim->t0, EV_T0, vS_of(sim, S), 0, 0, NULL);
	/* The bound holds for clock rates within RHO only. */
	sim->check_live = other != O_FLAKY && sim->rho_ppm == RHO_PPM;
	stats.live_checked += sim->check_live;
	if (S == SD && O == SP && (other == O_CUT || other == O_BROKEN)) {
		/* The DR takes over only from a primary it sees failing. */
		win_add(&sim->link_cut, sim->t0, far, 0);
	}
	const vsite_t *vS = &sim->s[S];
	double K = (1e6 + (double)sim->rho_ppm) / (1e6 - (double)sim->rho_ppm);
	double P = I * K + H + 3.0 * (double)vS->attempt_ms / 1000.0;
	double wall_gap = (double)(so->wall_offset - vS->wall_offset);
	double bound = (HSC + F - 1) * P + L * K + (wall_gap > 0 ? wall_gap : 0) + 1 + D * K +
		       4 * P + 3 + 3.0 * (double)so->attempt_ms / 1000.0;
	if (S == SP && vS->self_check && vS->has_watcher) {
		/* Its collector may still read stale for HEALTH_STALE_COUNT
		 * checks after t0: it steps down D later and tries again
		 * L + (FAIL_THRESHOLD + 1) I after that (site.c). */
		bound += HSC * P + D * K + L * K + (F + 2) * P;
	}
	sim->live_from = sim->t0 + (int64_t)(bound * SEC);
	sim->end = sim->live_from + 2 * Ls + 2 * (int64_t)I * SEC;
	trace(sim,
	      "schedule: I=%u D=%u L=%u FAIL_THRESHOLD=%u HEALTH_TIMEOUT=%u "
	      "HEALTH_STALE_COUNT=%u; t0=%.1f, good site %s, other %s; liveness from %.1f",
	      I, D, L, F, H, HSC, (double)sim->t0 / SEC, vS->name,
	      (const char *[]){"crashed", "cut from DNS", "broken collector", "good",
			       "flaky"}[other],
	      (double)sim->live_from / SEC);
	for (int i = 0; i < 2; i++) {
		const vsite_t *vs = &sim->s[i];
		trace(sim,
		      "%s: watcher %s, self-check %s, rate %+lld ppm, wall %+lld s, attempt "
		      "%lld ms, every UPDATE twice %s, loss %d %%, provider %s",
		      vs->name, vs->has_watcher ? "yes" : "no", vs->self_check ? "yes" : "no",
		      (long long)vs->ppm, (long long)vs->wall_offset, (long long)vs->attempt_ms,
		      vs->dup_all ? "yes" : "no", vs->loss_pct,
		      vs->blocking ? "blocking" : "on the loop");
	}
}

/* Runs ev, which is due now. */
static void dispatch(sim_t *sim, event_t *ev)
{
	vsite_t *vs = &sim->s[ev->site];
	sim->cur = vs;
	switch (ev->kind) {
	case EV_CRASH:
		if (vs->up) {
			stats.crashes++;
			site_down(vs);
		}
		break;
	case EV_RESTART:
		/* After t0 only a flaky site comes and goes. */
		if (!vs->up && (sim->now < sim->t0 || vs->flaky)) {
			site_up(vs);
		}
		break;
	case EV_T0:
		at_t0(sim);
		break;
	case EV_RELOAD: /* whichever incarnation runs then */
		if (vs->up) {
			site_sighup(vs);
		}
		break;
	case EV_DNS_ARRIVE:
		dns_arrive(sim, vs, ev); /* lands whether its sender lives or not */
		break;
	default:
		if (!vs->up || ev->inc != vs->inc) {
			break;
		}
		switch (ev->kind) {
		case EV_TIMER:
			timer_fire(vs, ev);
			break;
		case EV_DNS_SEND:
			if (vs->prov.busy && vs->prov.gen == ev->gen) {
				send_attempt(vs);
			}
			break;
		case EV_DNS_ANSWER:
			dns_answer(vs, ev);
			break;
		case EV_DNS_TIMEOUT:
			if (vs->prov.busy && vs->prov.gen == ev->gen) {
				provider_end(vs, DF_ETIMEDOUT, "no answer");
			}
			break;
		case EV_HEALTH:
			health_done(vs, ev);
			break;
		case EV_WATCH:
			watch_done(vs, ev);
			break;
		case EV_COLL_UP:
			if (vs->back.busy && vs->back.gen == ev->gen) {
				collector_set(vs, true);
			}
			break;
		default:
			break;
		}
	}
}

/* Runs one event; false at the end of the schedule. */
static bool step(sim_t *sim)
{
	event_t ev;
	if (sim->q.n == 0) {
		return false;
	}
	q_pop(&sim->q, &ev);
	if (ev.t > sim->end) {
		return false;
	}
	sim->now = ev.t;
	sim->events++;
	dispatch(sim, &ev);
	sim->cur = NULL;
	check(sim);
	return !sim->failed;
}

/*
 * A blocking provider call of vs (DNS exchanges bounded by the deadline,
 * as provider_bind.c makes them): the world goes on while vs's loop is
 * held. Its DNS messages are exchanged, the other site runs, collectors
 * start and stop when their commands end; vs's timers, health answers,
 * watcher callbacks and its crash wait until the call returns, as they
 * would in a loop that is not running (then they run in their order).
 */
static void run_blocked(vsite_t *vs, const bool *done)
{
	sim_t *sim = vs->sim;
	event_t *later = NULL;
	size_t n = 0, cap = 0;
	while (!*done) {
		event_t ev;
		if (sim->q.n == 0) {
			abort(); /* the call's timeout is always queued */
		}
		q_pop(&sim->q, &ev);
		sim->now = ev.t;
		sim->events++;
		bool mine = ev.site == vs->idx;
		bool runs = ev.kind == EV_DNS_ARRIVE ||
			    (mine ? ev.kind == EV_DNS_SEND || ev.kind == EV_DNS_ANSWER ||
					     ev.kind == EV_DNS_TIMEOUT || ev.kind == EV_COLL_UP
				  : ev.kind != EV_T0); /* t0 may crash vs */
		if (runs) {
			dispatch(sim, &ev);
		} else {
			if (mine && ev.kind == EV_WATCH && vs->up && ev.inc == vs->inc) {
				sim->cur = vs;
				watch_effect(vs, &ev);
			}
			if (n == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				later = realloc(later, cap * sizeof(*later));
				if (later == NULL) {
					abort();
				}
			}
			later[n++] = ev;
		}
		sim->cur = vs;
		check(sim);
	}
	for (size_t i = 0; i < n; i++) {
		later[i].t = sim->now;
		q_push(&sim->q, &later[i]);
	}
	free(later);
}

static void sim_free(sim_t *sim)
{
	for (int i = 0; i < 2; i++) {
		vsite_t *vs = &sim->s[i];
		sim->cur = vs;
		if (vs->up) {
			site_down(vs);
		}
		config_deinit(&vs->cfg);
	}
	sim->cur = NULL;
	q_free(&sim->q);
}

/* Runs schedule seed; true when it passed. */
static bool opt_break; /* SIM_BREAK */

static bool run_one(uint64_t seed, bool trace_on, bool trace_live, bool defect2, char *why,
		    size_t why_size, uint64_t *events)
{
	static char ring[TRACE_KEEP][200];
	sim_t *sim = calloc(1, sizeof(*sim));
	if (sim == NULL) {
		abort();
	}
	sim->seed = seed;
	sim->trace = trace_on;
	sim->trace_live = trace_live;
	sim->ring = ring;
	sim->defect2 = defect2;
	sim->rho_ppm = opt_break ? BREAK_PPM : RHO_PPM;
	g_sim = sim;
	log_set_sink(on_log, sim);
	log_set_level(trace_on ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	rng_seed(&sim->rng, seed);
	gen_schedule(sim);
	for (int i = 0; i < 2; i++) {
		sim->cur = &sim->s[i];
		site_up(&sim->s[i]);
	}
	sim->cur = NULL;
	while (step(sim)) {
	}
	bool ok = !sim->failed;
	if (!ok) {
		snprintf(why, why_size, "%s", sim->why);
	}
	if (events != NULL) {
		*events = sim->events;
	}
	if (!ok && trace_on && !trace_live) {
		size_t first = sim->ring_n > TRACE_KEEP ? sim->ring_n - TRACE_KEEP : 0;
		printf("--- last %zu lines of the trace of seed %llu ---\n", sim->ring_n - first,
		       (unsigned long long)seed);
		for (size_t i = first; i < sim->ring_n; i++) {
			printf("%s\n", ring[i % TRACE_KEEP]);
		}
		printf("--- end of trace ---\n");
	}
	sim_free(sim);
	g_sim = NULL;
	free(sim);
	return ok;
}

/*
 * Schedules that failed before the fixes of issue 10, kept as regression
 * cases (they pass on the fixed code). Each found by a run of this program
 * on the code with the defect put back (see the note at each).
 */
static const struct {
	uint64_t seed;
	const char *what;
} regressions[] = {
	/* Defect 1 (a primary whose own collector failed past the step-down
	 * instant never checked again): tick() skipping the check when
	 * now + HEALTH_TIMEOUT >= the step-down instant and reusing the old
	 * result. With it put back, 140 of the 10000 schedules from seed 1
	 * fail; the first, 183, is the form with a watcher (also fixed by the
	 * retry of site.c), 450 the first without: the primary logs
	 * "stepping down in 0s" every tick while the DR sees it healthy. */
	{183, "defect 1, primary with a watcher, DR cut off from DNS"},
	{450, "defect 1, primary without a watcher, DR sees it healthy"},
	{551, "defect 1, primary without a watcher"},
	{573, "defect 1, primary without a watcher, DR sees it healthy"},
	{800, "defect 1, primary good, DR good"},
	/* Defect 2 (an UPDATE that reached the server twice: the second copy
	 * fails its prerequisite and was reported as a conflict): SIM_DEFECT2=1.
	 * 818 of the 10000 schedules from seed 1 fail, the first at schedule
	 * 13: "Could not take the lease" every tick. */
	{13, "defect 2, primary's every UPDATE twice"},
	{22, "defect 2"},
	{49, "defect 2, DR"},
	/* Found by this simulation before their fixes in site.c. With every
	 * answer ambiguous a holder settled its writes a tick late and, with
	 * RENEW_DEADLINE below 2 x UPDATE_INTERVAL, stepped down every tick
	 * (fixed by the read-back; without it the first failing schedule
	 * from seed 1 is 50). A primary stopped by its watcher after its
	 * collector failed never tried again (fixed by the retry; without it
	 * 20 of the first 3987 schedules fail, the first 183, above). */
	{50, "read-back after an unknown outcome: DR, every UPDATE twice, D < 2I"},
	{173, "read-back after an unknown outcome"},
	{3987, "retry after the own collector's failure"},
	{0, NULL},
};

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	return v != NULL && v[0] != '\0' ? strtoull(v, NULL, 10) : def;
}

int main(int argc, char **argv)
{
	uint64_t count = env_u64("SIM_SCHEDULES", 10000);
	uint64_t seed0 = env_u64("SIM_SEED", 1);
	bool trace_live = env_u64("SIM_TRACE", 0) != 0;
	bool defect2 = env_u64("SIM_DEFECT2", 0) != 0;
	bool regress = env_u64("SIM_REGRESSIONS", 1) != 0;
	opt_break = env_u64("SIM_BREAK", 0) != 0;
	uint64_t max_failures = env_u64("SIM_MAX_FAILURES", 20);
	if (argc > 1) {
		count = strtoull(argv[1], NULL, 10);
	}
	if (argc > 2) {
		seed0 = strtoull(argv[2], NULL, 10);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	char why[512];
	uint64_t failures = 0, events = 0, ev;
	for (size_t i = 0; regress && regressions[i].what != NULL; i++) {
		if (!run_one(regressions[i].seed, trace_live, trace_live, defect2, why, sizeof(why),
			     NULL)) {
			printf("FAIL regression seed %llu (%s): %s\n",
			       (unsigned long long)regressions[i].seed, regressions[i].what, why);
			failures++;
		}
	}
	for (uint64_t i = 0; i < count; i++) {
		uint64_t seed = seed0 + i;
		if (run_one(seed, trace_live, trace_live, defect2, why, sizeof(why), &ev)) {
			events += ev;
			continue;
		}
		events += ev;
		failures++;
		printf("FAIL seed %llu (schedule %llu): %s\n", (unsigned long long)seed,
		       (unsigned long long)i + 1, why);
		printf("  replay: SIM_SEED=%llu SIM_SCHEDULES=1 SIM_REGRESSIONS=0 SIM_TRACE=1 %s\n",
		       (unsigned long long)seed, argv[0]);
		if (failures == 1 && !trace_live) {
			run_one(seed, true, false, defect2, why, sizeof(why), NULL);
		}
		if (failures >= max_failures) {
			break;
		}
	}
	printf("exercised: %llu writes that created the lease or changed its owner, %llu writes of "
	       "unknown outcome, %llu watcher "
	       "operations cancelled, %llu crashes, liveness checked in %llu schedules\n",
	       (unsigned long long)stats.owner_changes, (unsigned long long)stats.unknown,
	       (unsigned long long)stats.cancels, (unsigned long long)stats.crashes,
	       (unsigned long long)stats.live_checked);
	printf("%llu schedules from seed %llu, %llu events: %llu failed\n",
	       (unsigned long long)count, (unsigned long long)seed0, (unsigned long long)events,
	       (unsigned long long)failures);
	return failures == 0 ? 0 : 1;
}

/* ---------------------------------------------- the link-time clock seam */

/*
 * src/common/clock.h for everything linked into this program (the watcher
 * reads clock_mono_ms() when an operation ends): the virtual clocks of the
 * site whose event runs. Outside an event nothing may read them.
 */
static const vsite_t *clock_site(void)
{
	if (g_sim == NULL || g_sim->cur == NULL) {
		fprintf(stderr, "sim: a clock was read outside a site's event\n");
		abort();
	}
	return g_sim->cur;
}

int64_t clock_mono_ms(void)
{
	return env_mono((void *)clock_site());
}

int64_t clock_lease_wall(void)
{
	return env_wall((void *)clock_site());
}

int64_t clock_wall(void)
{
	return clock_lease_wall();
}

void clock_set_wall_offset(int64_t offset)
{
	(void)offset;
}

void clock_set_lease_offset(int64_t offset)
{
	(void)offset;
}
