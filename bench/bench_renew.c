/*
 * bench_renew -c CONFIG -n N: N sequential lease renewals through the
 * provider's compare-and-swap, each against the value the previous one
 * wrote, exactly as the daemon renews. Prints "renewals=N seconds=S".
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "src/failover/config_modules.h"
#include "src/common/clock.h"
#include "src/conf/config.h"
#include "src/lease/lease_value.h"
#include "src/provider/provider.h"

extern char **environ;

int main(int argc, char **argv)
{
	const char *path = NULL;
	long n = 1000;
	int c;
	while ((c = getopt(argc, argv, "c:n:")) != -1) {
		if (c == 'c') {
			path = optarg;
		} else if (c == 'n') {
			n = strtol(optarg, NULL, 10);
		} else {
			return 2;
		}
	}
	config_t cfg;
	df_detail_t d = {""};
	provider_t *p = NULL;
	lease_t cur, next;
	if (config_load(&cfg, failover_config_modules, path, environ, NULL, &d) != DF_OK ||
	    provider_new(&p, &cfg, &d) != DF_OK || p->ops->read(p, &cur, &d) != DF_OK) {
		fprintf(stderr, "bench_renew: %s\n", d.msg);
		return 1;
	}
	/* Round 0 warms up (first connection, page faults) and is not timed. */
	int64_t start = 0;
	for (long i = 0; i <= n; i++) {
		if (i == 1) {
			start = clock_mono_ms();
		}
		next = cur;
		next.lease.exp = cur.lease.exp + 1;
		if (lease_value_format(&next) != DF_OK) {
			return 1;
		}
		if (p->ops->swap(p, &cur, &next, &d) != DF_OK) {
			fprintf(stderr, "bench_renew: renewal %ld: %s\n", i, d.msg);
			return 1;
		}
		/* What was written (its version filled by swap) becomes the
		 * expected value, as in the daemon: a renewal is one UPDATE, no
		 * read. */
		cur = next;
	}
	int64_t ms = clock_mono_ms() - start;
	printf("renewals=%ld seconds=%.3f\n", n, (double)ms / 1000.0);
	provider_free(p);
	return 0;
}
