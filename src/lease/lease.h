/*
 * Lease decisions as pure functions of what was read, so every branch is
 * tested without DNS.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "src/conf/config.h"
#include "src/lease/lease_value.h"

enum lease_init_action {
	LEASE_INIT_WRITE,	   /* write next as a CAS against what was read */
	LEASE_INIT_REFUSE_HELD,	   /* the other side holds a valid lease */
	LEASE_INIT_REFUSE_FOREIGN, /* the TXT is not a lease we can read */
	LEASE_INIT_REFUSE_EPOCH,   /* the epoch is at LEASE_TXT_EPOCH_MAX: it cannot grow */
};

/*
 * current: the lease read, or NULL when there was none. Fills next (TXT
 * values) and why (what was decided, for the log; bytes of the TXT in it
 * are escaped). The epoch grows by one whenever the owner changes, even
 * with force, and is refused when it cannot (LEASE_INIT_REFUSE_EPOCH); a
 * lease we already own keeps its epoch.
 */
enum lease_init_action lease_plan_init(enum config_role role, const lease_t *current, int64_t now,
				       uint32_t lease_ttl, bool force, lease_txt_t *next, char *why,
				       size_t why_size);

/*
 * The running daemon's decision (DESIGN section 3, normative). Each tick the
 * daemon reads the lease (and, on the DR, health-checks the primary), asks
 * lease_decide() what to do, performs at most one compare-and-swap, and
 * folds its outcome back with lease_apply(). Whether the site acts as
 * active at any instant is lease_active(). All times are passed in: wall
 * seconds (what exp is compared with) and monotonic milliseconds (what
 * every safety rule is measured on).
 */

typedef struct lease_params {
	enum config_role role;
	int64_t lease_ttl_ms;	   /* L */
	int64_t renew_deadline_ms; /* D */
	uint32_t fail_threshold;
	char my_ip[64];
	bool self_check; /* the primary checks its own collector */
} lease_params_t;

/*
 * The other side takes a lease once its value has been unchanged this long
 * (every write changes the value: see make_next() in lease.c).
 */
#define LEASE_STABLE_MS(l_ms) (l_ms)

/*
 * Break before make: a site that takes a lease written by someone else acts
 * only this long after it first saw the replaced value: RENEW_DEADLINE, the
 * longest the previous holder can act, plus an allowance for the two hosts'
 * monotonic clocks running at rates up to 0.1 % apart each (2 x 0.1 % of D).
 */
#define LEASE_ACT_DELAY_MS(d_ms) ((d_ms) + (d_ms) / 500)

/* Fills p from cfg (self_check: ROLE=primary with HEALTH_URL set). */
void lease_params_init(lease_params_t *p, const config_t *cfg);

enum lease_health {
	LEASE_HEALTH_UNKNOWN, /* not checked this tick */
	LEASE_HEALTH_OK,
	LEASE_HEALTH_FAILED,
};

typedef struct lease_obs {
	int read;		  /* DF_OK, DF_ENOTFOUND, or the read's error */
	const char *read_error;	  /* reason when read failed (borrowed) */
	lease_t lease;		  /* what was read, when read is DF_OK or DF_ENOTFOUND */
	enum lease_health health; /* DR: the primary's check; primary: its self-check */
} lease_obs_t;

typedef struct lease_state {
	bool holding;	      /* we wrote the current value and nobody replaced it */
	lease_t written;      /* that value: the expected value of the next renewal */
	int64_t renewed_ms;   /* when the last successful write was sent */
	int64_t act_after_ms; /* break before make: not active before this */
	/* A write whose outcome is unknown (timeout, unsigned error). */
	bool pending;
	lease_t pending_value;
	int64_t pending_sent_ms;
	int64_t pending_act_after_ms;
	/* The value last observed and since when it has been unchanged. */
	bool seen;
	bool seen_absent;
	char seen_txt[LEASE_MAX_RDATA];
	int64_t seen_since_ms;
	uint32_t health_failures; /* consecutive */
} lease_state_t;

enum lease_action {
	LEASE_ACT_NONE,
	LEASE_ACT_RENEW, /* CAS from our own written value */
	LEASE_ACT_TAKE,	 /* CAS from the value just read */
};

enum lease_take {
	LEASE_TAKE_CREATE,   /* no lease existed */
	LEASE_TAKE_ADOPT,    /* a lease of our role we did not write (restart, promote, failback) */
	LEASE_TAKE_FAILOVER, /* DR takes the expired lease of a failed primary */
	LEASE_TAKE_RECLAIM,  /* primary takes back an expired DR lease */
};

#define LEASE_MAX_EVENTS 6

/* Log lines the decision produced, in the existing tool's wording. */
typedef struct lease_events {
	size_t count;
	struct {
		int level; /* enum log_level */
		char text[320];
	} e[LEASE_MAX_EVENTS];
} lease_events_t;

typedef struct lease_plan {
	enum lease_action action;
	enum lease_take take;
	lease_t expected;     /* CAS prerequisite; has_txt false: must not exist */
	lease_t next;	      /* what to write (A and TXT) */
	int64_t act_after_ms; /* TAKE: when we may act once the write succeeds */
	lease_events_t events;
} lease_plan_t;

void lease_state_init(lease_state_t *st);

/* Decides this tick's action from what was observed; updates the
 * observation bookkeeping in st (seen value, health count, lost lease). */
void lease_decide(const lease_params_t *p, lease_state_t *st, const lease_obs_t *obs,
		  int64_t now_wall, int64_t now_mono, lease_plan_t *plan);

/* Folds the outcome of the plan's swap into st. result is DF_OK,
 * DF_ECONFLICT (verified: someone wrote first) or any other error (the
 * outcome is unknown). sent_mono is when the write was sent. */
void lease_apply(const lease_params_t *p, lease_state_t *st, lease_plan_t *plan, int result,
		 const char *reason, int64_t sent_mono, int64_t now_mono);

/* True while this site may act as active. */
bool lease_active(const lease_params_t *p, const lease_state_t *st, int64_t now_mono);

/* The monotonic instant at which lease_active() next changes on its own
 * (step-down deadline or break-before-make start), or INT64_MAX. */
int64_t lease_next_change(const lease_params_t *p, const lease_state_t *st, int64_t now_mono);
