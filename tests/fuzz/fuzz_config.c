/*
 * Fuzz target for the configuration parser: the input is the text of a
 * config file (no environment). Beyond "no crash, no leak, no UB" it checks
 * what callers rely on: a config that loads satisfies every relation, and
 * an error always comes with a message that is safe to log (printable, so
 * a value cannot inject fake log lines).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/failover/config_modules.h"
#include "src/conf/config.h"

static void check_printable(const char *s, size_t size)
{
	size_t len = strnlen(s, size);
	if (len == size || len == 0) {
		abort(); /* unterminated or empty message */
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			abort();
		}
	}
}

static void check_name(const char *name, size_t size)
{
	size_t len = strnlen(name, size);
	if (len < 2 || len == size || name[len - 1] != '.') {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static config_t cfg;
	df_detail_t d;
	memset(&d, 0, sizeof(d));

	int ret = config_parse_text(&cfg, failover_config_modules, (const char *)data, size,
				    "fuzz.env", &d);
	if (ret != DF_OK) {
		if (ret != DF_ECONFIG && ret != DF_ENOMEM) {
			abort();
		}
		if (ret == DF_ECONFIG) {
			check_printable(d.msg, sizeof(d.msg));
		}
		return 0;
	}
	if (!(cfg.update_interval < cfg.renew_deadline && cfg.renew_deadline < cfg.lease_ttl)) {
		abort();
	}
	check_name(cfg.zone, sizeof(cfg.zone));
	check_name(cfg.record, sizeof(cfg.record));
	size_t rl = strlen(cfg.record), zl = strlen(cfg.zone);
	if (rl < zl || strcmp(cfg.record + rl - zl, cfg.zone) != 0) {
		abort();
	}
	if (strcmp(cfg.primary_ip, cfg.dr_ip) == 0 || cfg.primary_ip[0] == '\0' ||
	    cfg.health_host[0] == '\0' || cfg.port == 0 || cfg.dns_timeout_ms < 1000) {
		abort();
	}
	if (cfg.tsig_key[0] != '\0' && cfg.tsig_keyfile[0] != '\0') {
		abort();
	}
	if (config_my_ip(&cfg) == NULL || config_peer_ip(&cfg) == NULL) {
		abort();
	}
	if ((unsigned)cfg.watch.mode > CONFIG_WATCH_SYSTEMD || cfg.watch.check_interval_ms < 1000 ||
	    cfg.watch.cmd_timeout == 0) {
		abort();
	}
	config_deinit(&cfg);
	return 0;
}
