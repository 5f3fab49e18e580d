/*
 * What a command says after a write whose outcome it does not know (a lost
 * or unsigned answer, a timeout after the message went out): it reads the
 * lease back and reports what is really there, rather than "nothing was
 * decided" while the zone may have changed.
 */
#include "src/failover/cmd.h"

#include <string.h>

#include "src/common/log.h"

bool cmd_read_back(provider_t *p, const lease_t *next, const char *command)
{
	df_detail_t d = {""};
	lease_t now;
	memset(&now, 0, sizeof(now));
	int ret = provider_read(p, &now, &d);
	if (ret != DF_OK && ret != DF_ENOTFOUND) {
		log_err("%s: the outcome of the update is unknown and the lease could not be read "
			"back (%s): run 'show' to see what the record holds",
			command, d.msg);
		return false;
	}
	bool ours = lease_value_same_txt(&now, next) && now.has_a && strcmp(now.a, next->a) == 0;
	if (ours) {
		log_info("%s: the answer to the update was lost, but the lease read back holds "
			 "what it wrote: the update applied",
			 command);
		return true;
	}
	char shown[LOG_ESCAPE_SIZE(LEASE_MAX_RDATA)];
	log_err("%s: the update did not apply: the lease read back holds %s%s%s (A %s); run "
		"'%s' again to decide on it",
		command, now.has_txt ? "\"" : "",
		now.has_txt ? log_escape(shown, sizeof(shown), now.txt, strlen(now.txt))
			    : "nothing",
		now.has_txt ? "\"" : "", now.has_a ? now.a : "none", command);
	return false;
}
