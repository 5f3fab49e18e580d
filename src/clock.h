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
 * Shifts clock_wall() by offset seconds. Tests use it (through
 * DNSFAILOVER_TEST_WALL_OFFSET, read once by main) to play a site whose
 * clock is wrong without touching the system clock.
 */
void clock_set_wall_offset(int64_t offset);
