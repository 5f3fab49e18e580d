/*
 * promote (on the DR) and failback (on the primary): a forced change of
 * owner, still written as a compare-and-swap against the value just read so
 * that two operators racing cannot both win. The running daemon of the
 * other site loses its next renewal and steps down; the daemon of this site
 * adopts the lease and starts acting RENEW_DEADLINE after it first sees it.
 */
#include <string.h>

#include "src/common/clock.h"
#include "src/failover/cmd.h"
#include "src/lease/lease.h"
#include "src/common/log.h"
#include "src/provider/provider.h"

int cmd_force(const config_t *cfg, const char *command)
{
	bool promote = strcmp(command, "promote") == 0;
	enum config_role needed = promote ? CONFIG_ROLE_DR : CONFIG_ROLE_PRIMARY;
	provider_t *p = NULL;
	df_detail_t d = {""};
	lease_t current, next;
	char why[512];
	int exit_code = CMD_EXIT_FAIL;

	if (cfg->role != needed) {
		log_err("%s runs on the %s site (this configuration has ROLE=%s)", command,
			config_role_name(needed), config_role_name(cfg->role));
		return CMD_EXIT_USAGE;
	}
	int ret = provider_new(&p, cfg, &d);
	if (ret != DF_OK) {
		log_err("%s: %s", command, d.msg);
		return ret == DF_ECONFIG ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
	}
	memset(&current, 0, sizeof(current));
	ret = provider_read(p, &current, &d);
	if (ret != DF_OK && ret != DF_ENOTFOUND) {
		log_err("%s: %s", command, d.msg);
		goto out;
	}
	bool found = current.has_txt;
	if (found && current.txt_valid &&
	    strcmp(current.lease.owner, config_role_name(cfg->role)) == 0 &&
	    current.lease.exp > clock_lease_wall()) {
		/* Only when the A points here too: a provider whose CAS
		 * covers the TXT alone may have written the TXT and lost
		 * the A, and this command is how an operator repairs it. */
		if (current.has_a && current.a_count <= 1 &&
		    strcmp(current.a, config_my_ip(cfg)) == 0) {
			log_info("%s: %s already holds the lease (epoch %llu): nothing to change",
				 command, current.lease.owner,
				 (unsigned long long)current.lease.epoch);
			exit_code = CMD_EXIT_OK;
			goto out;
		}
		log_warn("%s: %s holds the lease but %s has A %s, not %s: writing it again",
			 command, current.lease.owner, cfg->record,
			 current.has_a ? current.a_list[0] != '\0' ? current.a_list : current.a
				       : "(none)",
			 config_my_ip(cfg));
	}
	memset(&next, 0, sizeof(next));
	if (lease_plan_init(cfg->role, found ? &current : NULL, clock_lease_wall(), cfg->lease_ttl,
			    true, &next.lease, why, sizeof(why)) != LEASE_INIT_WRITE) {
		/* Forced, only an epoch that cannot grow is refused. */
		log_err("%s: %s", command, why);
		goto out;
	}
	next.has_a = true;
	strcpy(next.a, config_my_ip(cfg));
	if (lease_value_format(&next) != DF_OK) {
		log_err("%s: cannot format the lease for %s", command, next.lease.owner);
		goto out;
	}
	log_info("%s: %s", command, why);
	if (current.a_count > 1) {
		log_warn("%s: %s holds %zu A records (%s); a lease has one A record: this write "
			 "replaces them",
			 command, cfg->record, current.a_count, current.a_list);
	}
	ret = provider_swap(p, found ? &current : NULL, &next, &d);
	if (ret == DF_ECONFLICT) {
		log_err("%s: %s; nothing written: run '%s' again to decide on the new value",
			command, d.msg, command);
		goto out;
	}
	if (ret != DF_OK) {
		log_err("%s: %s", command, d.msg);
		if (!provider_outcome_unknown(ret) || !cmd_read_back(p, &next, command)) {
			goto out;
		}
	}
	if (promote) {
		log_info("FAILOVER: Promoted DR to active, A=%s", next.a);
	} else {
		log_info("FAILBACK: Restored primary as active, A=%s", next.a);
	}
	log_info("%s: lease owner=%s epoch=%llu; the other site steps down at its next renewal, "
		 "the daemon here acts from %us after it sees the change (break before make)",
		 command, next.lease.owner, (unsigned long long)next.lease.epoch,
		 cfg->renew_deadline);
	exit_code = CMD_EXIT_OK;
out:
	provider_free(p);
	return exit_code;
}
