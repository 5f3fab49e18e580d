/*
 * bench_renew -c CONFIG -n N: N sequential lease renewals through the
 * provider's compare-and-swap, each against the value the previous one
 * wrote, exactly as the daemon renews. Prints "renewals=N seconds=S
 * cpu_ms=C" (C: user + system CPU of this process for the N renewals).
 * A provider that runs on the event loop (the REST providers) gets one loop
 * and one HTTP multi for the whole run, as in the daemon, so that its
 * connections are kept alive between renewals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "src/failover/config_modules.h"
#include "src/common/clock.h"
#include "src/conf/config.h"
#include "src/http/http_multi.h"
#include "src/lease/lease_value.h"
#include "src/loop/loop.h"
#include "src/provider/provider.h"

extern char **environ;

/* One operation on the loop: its outcome. */
typedef struct call {
	loop_t *loop;
	int ret;
	df_detail_t d;
} call_t;

static void on_done(provider_t *p, int ret, const df_detail_t *d, void *arg)
{
	call_t *c = arg;
	(void)p;
	c->ret = ret;
	c->d = *d;
	loop_stop(c->loop);
}

/* A swap as the daemon makes it: on its loop and multi, or blocking. */
static int swap(provider_t *p, call_t *c, http_multi_t *m, const lease_t *cur, lease_t *next,
		df_detail_t *d)
{
	if (m == NULL) {
		return provider_swap(p, cur, next, d);
	}
	c->ret = DF_EUNKNOWN;
	int ret = provider_swap_begin(p, m, cur, next, on_done, c);
	if (ret == DF_OK) {
		loop_run(c->loop);
		ret = c->ret;
		*d = c->d;
	}
	return ret;
}

static int64_t cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

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
	call_t call = {NULL, DF_OK, {""}};
	http_multi_t *m = NULL;
	if (config_load(&cfg, failover_config_modules, path, environ, NULL, &d) != DF_OK ||
	    provider_new(&p, &cfg, &d) != DF_OK || provider_read(p, &cur, &d) != DF_OK) {
		fprintf(stderr, "bench_renew: %s\n", d.msg);
		return 1;
	}
	if (p->ops->swap_begin != NULL &&
	    (loop_new(&call.loop) != DF_OK || http_multi_new(&m, call.loop) != DF_OK)) {
		fprintf(stderr, "bench_renew: cannot set up the event loop\n");
		return 1;
	}
	/* Round 0 warms up (first connection, page faults) and is not timed. */
	int64_t start = 0, cpu_start = 0;
	for (long i = 0; i <= n; i++) {
		if (i == 1) {
			start = clock_mono_ms();
			cpu_start = cpu_ms();
		}
		next = cur;
		next.lease.exp = cur.lease.exp + 1;
		if (lease_value_format(&next) != DF_OK) {
			return 1;
		}
		if (swap(p, &call, m, &cur, &next, &d) != DF_OK) {
			fprintf(stderr, "bench_renew: renewal %ld: %s\n", i, d.msg);
			return 1;
		}
		/* What was written (its version filled by swap) becomes the
		 * expected value, as in the daemon: a renewal is one UPDATE, no
		 * read. */
		cur = next;
	}
	int64_t ms = clock_mono_ms() - start;
	printf("renewals=%ld seconds=%.3f cpu_ms=%lld\n", n, (double)ms / 1000.0,
	       (long long)(cpu_ms() - cpu_start));
	provider_free(p);
	http_multi_free(m);
	loop_free(call.loop);
	return 0;
}
