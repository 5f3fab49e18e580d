#include <string.h>

#include "src/common/clock.h"
#include "src/failover/cmd.h"
#include "src/lease/lease.h"
#include "src/common/log.h"
#include "src/provider/provider.h"

int cmd_init(const config_t *cfg, bool force)
{
	provider_t *p = NULL;
	df_detail_t d = {""};
	lease_t current, next;
	char why[512];
	int exit_code = CMD_EXIT_FAIL;

	int ret = provider_new(&p, cfg, &d);
	if (ret != DF_OK) {
		log_err("init: %s", d.msg);
		return ret == DF_ECONFIG ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
	}
	memset(&current, 0, sizeof(current));
	ret = provider_read(p, &current, &d);
	if (ret != DF_OK && ret != DF_ENOTFOUND) {
		log_err("init: %s", d.msg);
		goto out;
	}
	bool found = ret == DF_OK || current.has_txt;
	memset(&next, 0, sizeof(next));
	enum lease_init_action action =
		lease_plan_init(cfg->role, found ? &current : NULL, clock_lease_wall(),
				cfg->lease_ttl, force, &next.lease, why, sizeof(why));
	if (action == LEASE_INIT_REFUSE_HELD) {
		log_err("init: %s", why);
		exit_code = CMD_EXIT_HELD;
		goto out;
	}
	if (action == LEASE_INIT_REFUSE_FOREIGN || action == LEASE_INIT_REFUSE_EPOCH) {
		log_err("init: %s", why);
		goto out;
	}
	log_info("init: %s", why);
	if (current.a_count > 1) {
		log_warn("init: %s holds %zu A records (%s); a lease has one A record: this write "
			 "replaces them",
			 cfg->record, current.a_count, current.a_list);
	}
	next.has_a = true;
	strcpy(next.a, config_my_ip(cfg));
	if (lease_value_format(&next) != DF_OK) {
		log_err("init: cannot format the lease for %s", next.lease.owner);
		goto out;
	}
	ret = provider_swap(p, found ? &current : NULL, &next, &d);
	if (ret == DF_ECONFLICT) {
		log_err("init: %s; nothing written, run init again to decide on the new value",
			d.msg);
		goto out;
	}
	if (ret != DF_OK) {
		log_err("init: %s", d.msg);
		if (!provider_outcome_unknown(ret) || !cmd_read_back(p, &next, "init")) {
			goto out;
		}
	}
	log_info("Lease initialized: owner=%s A=%s exp=%lld epoch=%llu", next.lease.owner, next.a,
		 (long long)next.lease.exp, (unsigned long long)next.lease.epoch);
	exit_code = CMD_EXIT_OK;
out:
	provider_free(p);
	return exit_code;
}
