#include "src/common/clock.h"

#include <time.h>

static int64_t wall_offset;
static int64_t lease_offset;

int64_t clock_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec + wall_offset;
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_set_wall_offset(int64_t offset)
{
	wall_offset = offset;
}

int64_t clock_lease_wall(void)
{
	return clock_wall() + lease_offset;
}

void clock_set_lease_offset(int64_t offset)
{
	lease_offset = offset;
}
