#include <stdio.h>
#include <string.h>

#include "src/failover/config_modules.h"
#include "src/failover/cmd.h"
#include "src/health/health.h"
#include "src/provider/provider.h"
#include "src/watch/watch.h"

typedef struct tally {
	int ok;
	int failed;
} tally_t;

static void line(void *arg, bool ok, const char *what)
{
	tally_t *t = arg;
	printf("[%s] %s\n", ok ? " OK " : "FAIL", what);
	fflush(stdout);
	if (ok) {
		t->ok++;
	} else {
		t->failed++;
	}
}

static void config_warning(const char *msg)
{
	printf("[WARN] %s\n", msg);
}

/* Prints the static checks config_load() has passed, one line each. */
static void report_config(const config_t *cfg, tally_t *t)
{
	char buf[768];
	snprintf(buf, sizeof(buf), "configuration %s: ROLE=%s DNS_PROVIDER=%s",
		 cfg->source[0] != '\0' ? cfg->source : "(environment)",
		 config_role_name(cfg->role), cfg->provider);
	line(t, true, buf);
	snprintf(buf, sizeof(buf),
		 "timing: UPDATE_INTERVAL %u < RENEW_DEADLINE %u < LEASE_TTL %u; "
		 "FAIL_THRESHOLD %u",
		 cfg->update_interval, cfg->renew_deadline, cfg->lease_ttl, cfg->fail_threshold);
	line(t, true, buf);
	snprintf(buf, sizeof(buf), "PRIMARY_IP %s and DR_IP %s parse; this site (%s) is %s",
		 cfg->primary_ip, cfg->dr_ip, config_role_name(cfg->role), config_my_ip(cfg));
	line(t, true, buf);
	snprintf(buf, sizeof(buf), "DNS_RECORD %s is inside DNS_ZONE %s", cfg->record, cfg->zone);
	line(t, true, buf);
	if (cfg->vault.addr[0] != '\0') {
		char vbuf[sizeof(cfg->vault.addr) + sizeof(cfg->vault.mount) +
			  sizeof(cfg->vault.key) + 80];
		snprintf(vbuf, sizeof(vbuf),
			 "Vault %s: logged in and read %s/%s; its keys override the file and the "
			 "environment",
			 cfg->vault.addr, cfg->vault.mount, cfg->vault.key);
		line(t, true, vbuf);
	}
}

/* On the DR (or a primary with HEALTH_URL): one health check, as run does. */
static void check_health(const config_t *cfg, tally_t *t)
{
	health_t *h = NULL;
	df_detail_t d = {""};
	char why[512] = "", buf[768];
	bool own = false;
	if (health_new_for_site(&h, cfg, &own, &d) != DF_OK) {
		snprintf(buf, sizeof(buf), "health check: %s", d.msg);
		line(t, false, buf);
	} else if (h != NULL) {
		bool ok = health_check(h, why, sizeof(why));
		bool metrics = own || cfg->health_mode == CONFIG_HEALTH_METRICS;
		snprintf(buf, sizeof(buf), "%s %s reachable%s%s",
			 own ? "this site's collector" : "the primary's collector",
			 metrics ? cfg->health_url : "(tcp)", ok ? "" : ": ", ok ? "" : why);
		if (ok || !own) {
			line(t, ok, buf);
		} else {
			/* The primary's own collector may be stopped on purpose
			 * by the watcher while this site is not active. */
			printf("[WARN] %s (normal while a watcher keeps it stopped on a standby "
			       "site)\n",
			       buf);
		}
	}
	health_free(h);
}

/* With WATCH_MODE: the backend answers and says whether the collector runs. */
static void check_watcher(const config_t *cfg, tally_t *t)
{
	watch_backend_t *b = NULL;
	df_detail_t d = {""};
	char buf[768];
	if (watch_backend_new(&b, cfg, &d) != DF_OK) {
		snprintf(buf, sizeof(buf), "watcher: %s", d.msg);
		line(t, false, buf);
		return;
	}
	if (b == NULL) {
		return;
	}
	bool running = false;
	if (b->ops->status(b, &running, &d) != DF_OK) {
		snprintf(buf, sizeof(buf), "watcher (%s) can read the collector's state: %s",
			 b->ops->name, d.msg);
		line(t, false, buf);
	} else {
		snprintf(buf, sizeof(buf), "watcher (%s) reads the collector's state: %s",
			 b->ops->name, running ? "running" : "stopped");
		line(t, true, buf);
	}
	watch_backend_free(b);
}

int cmd_validate(const char *path, char *const *envp)
{
	config_t cfg;
	df_detail_t d = {""};
	tally_t t = {0, 0};
	provider_t *p = NULL;

	int ret = config_load(&cfg, failover_config_modules, path, envp, config_warning, &d);
	if (ret != DF_OK) {
		line(&t, false, d.msg);
		goto verdict;
	}
	report_config(&cfg, &t);
	ret = provider_new(&p, &cfg, &d);
	if (ret != DF_OK) {
		line(&t, false, d.msg);
		goto verdict;
	}
	ret = p->ops->check(p, line, &t, &d);
	if (ret != DF_OK && t.failed == 0) {
		/* A provider that failed must have said so in a line. */
		line(&t, false, d.msg[0] != '\0' ? d.msg : df_strerror(ret));
	}
	check_health(&cfg, &t);
	check_watcher(&cfg, &t);
	if (!p->ops->atomic_cas) {
		printf("[WARN] provider %s has no atomic compare-and-swap: %s; keep one writer "
		       "per site and never edit the lease records by hand while the daemons run\n",
		       p->ops->id,
		       p->ops->cas_note != NULL ? p->ops->cas_note
						: "it reads, compares, writes and reads back, so "
						  "two writers can race");
	}
verdict:
	provider_free(p);
	config_deinit(&cfg);
	if (t.failed == 0) {
		printf("configuration OK (%d checks passed)\n", t.ok);
		return CMD_EXIT_OK;
	}
	printf("validation FAILED: %d of %d checks failed\n", t.failed, t.ok + t.failed);
	return CMD_EXIT_FAIL;
}
