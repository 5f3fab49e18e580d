/* Prints CLOCK_MONOTONIC as seconds.milliseconds: the clock the daemons
 * stamp their ACTIVE/STANDBY lines with, so tests can place a kill on it. */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%lld.%03ld\n", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	return 0;
}
