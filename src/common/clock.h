/*
 * The two clocks, behind one seam. Wall time is what TSIG signs and what the
 * lease's exp is compared with; monotonic time measures timeouts and, later,
 * how long a lease value has been seen unchanged.
 */
#pragma once

#include <stdint.h>

/* Unix seconds. */
int64_t clock_wall(void);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t clock_mono_ms(void);

/*
 * The wall time the lease is judged by (exp written and compared). It is
 * clock_wall() unless a test shifts it alone.
 */
int64_t clock_lease_wall(void);

/*
 * Test hooks, read once by main, to play a site whose clock is wrong
 * without touching the system clock: DNSFAILOVER_TEST_WALL_OFFSET shifts the
 * whole wall clock (TSIG signing too, so the server answers BADTIME beyond
 * its fudge); DNSFAILOVER_TEST_LEASE_OFFSET shifts only the lease's view
 * (exp values wrong by that much, signatures still valid).
 */
void clock_set_wall_offset(int64_t offset);
void clock_set_lease_offset(int64_t offset);
