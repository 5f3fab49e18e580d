/*
 * cas_race -c CONFIG -n N: reads the lease once, then N processes swap from
 * that same value at the same instant, each writing its own exp. Prints one
 * line per writer ("writer I: won exp=E" / "writer I: conflict") and exits 0
 * only when exactly one won and the others lost with a conflict.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/failover/config_modules.h"
#include "src/common/clock.h"
#include "src/conf/config.h"
#include "src/provider/provider.h"

extern char **environ;

static int writer(const config_t *cfg, const lease_t *seen, int index, int gate)
{
	provider_t *p = NULL;
	df_detail_t d = {""};
	char go;
	if (provider_new(&p, cfg, &d) != DF_OK) {
		fprintf(stderr, "writer %d: %s\n", index, d.msg);
		return 2;
	}
	lease_t next = *seen;
	next.lease.exp = seen->lease.exp + 1000 + index;
	/* Everyone blocks here until the parent closes the pipe. */
	if (read(gate, &go, 1) < 0) {
		return 2;
	}
	int ret = provider_swap(p, seen, &next, &d);
	provider_free(p);
	if (ret == DF_OK) {
		printf("writer %d: won exp=%lld\n", index, (long long)next.lease.exp);
		return 0;
	}
	printf("writer %d: %s (%s)\n", index, ret == DF_ECONFLICT ? "conflict" : "error", d.msg);
	return ret == DF_ECONFLICT ? 1 : 2;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int n = 2, c;
	while ((c = getopt(argc, argv, "c:n:")) != -1) {
		if (c == 'c') {
			path = optarg;
		} else if (c == 'n') {
			n = atoi(optarg);
		} else {
			return 2;
		}
	}
	config_t cfg;
	df_detail_t d = {""};
	provider_t *p = NULL;
	lease_t seen;
	if (config_load(&cfg, failover_config_modules, path, environ, NULL, &d) != DF_OK ||
	    provider_new(&p, &cfg, &d) != DF_OK || provider_read(p, &seen, &d) != DF_OK) {
		fprintf(stderr, "cas_race: %s\n", d.msg);
		return 2;
	}
	provider_free(p);
	setvbuf(stdout, NULL, _IONBF, 0);
	int gate[2];
	if (pipe(gate) != 0) {
		return 2;
	}
	pid_t pids[64];
	n = n < 1 ? 1 : n > 64 ? 64 : n;
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(gate[1]);
			_exit(writer(&cfg, &seen, i, gate[0]));
		}
	}
	close(gate[0]);
	/* Let every writer get to its read() before releasing them together. */
	usleep(300 * 1000);
	close(gate[1]);
	int won = 0, lost = 0, errors = 0;
	for (int i = 0; i < n; i++) {
		int status = 0;
		waitpid(pids[i], &status, 0);
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
		won += code == 0;
		lost += code == 1;
		errors += code == 2;
	}
	printf("%d won, %d conflict, %d error\n", won, lost, errors);
	return won == 1 && lost == n - 1 ? 0 : 1;
}
