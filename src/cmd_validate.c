#include <stdio.h>
#include <string.h>

#include "src/cmd.h"
#include "src/provider.h"

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
}

int cmd_validate(const char *path, char *const *envp)
{
	config_t cfg;
	df_detail_t d = {""};
	tally_t t = {0, 0};
	provider_t *p = NULL;

	int ret = config_load(&cfg, path, envp, config_warning, &d);
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
	if (!p->ops->atomic_cas) {
		printf("[WARN] provider %s has no atomic compare-and-swap: two writers can race\n",
		       p->ops->id);
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
