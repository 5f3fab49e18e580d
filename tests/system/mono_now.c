/* Prints CLOCK_MONOTONIC as seconds.milliseconds: the clock the daemons
 * stamp their ACTIVE/STANDBY lines with, so tests can place a kill on it.
 *
 *   mono_now       MONO
 *   mono_now -w    MONO WALL SPAN: WALL is CLOCK_REALTIME read halfway between two
 *                  reads that bracket the monotonic one, SPAN the distance between
 *                  them (all seconds with microseconds); WALL - MONO maps wall-clock
 *                  log stamps (named's) onto the daemons' clock within SPAN / 2. */
#include <stdio.h>
#include <string.h>
#include <time.h>

static double secs(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct timespec ts, w1, w2;
	if (argc > 1 && strcmp(argv[1], "-w") == 0) {
		clock_gettime(CLOCK_REALTIME, &w1);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		clock_gettime(CLOCK_REALTIME, &w2);
		printf("%.6f %.6f %.6f\n", secs(&ts), (secs(&w1) + secs(&w2)) / 2,
		       secs(&w2) - secs(&w1));
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%lld.%03ld\n", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	return 0;
}
