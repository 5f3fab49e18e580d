#include "src/lease.h"
#include "src/dns_msg.h"

#include <stdio.h>
#include <string.h>

enum lease_init_action lease_plan_init(enum config_role role, const lease_t *current, int64_t now,
				       uint32_t lease_ttl, bool force, lease_txt_t *next, char *why,
				       size_t why_size)
{
	const char *me = config_role_name(role);
	memset(next, 0, sizeof(*next));
	snprintf(next->owner, sizeof(next->owner), "%s", me);
	next->exp = now + (int64_t)lease_ttl;
	next->epoch = 1;

	if (current == NULL || !current->has_txt) {
		snprintf(why, why_size, "no lease yet: creating it for %s (epoch 1)", me);
		return LEASE_INIT_WRITE;
	}
	if (!current->txt_valid) {
		if (!force) {
			snprintf(why, why_size,
				 "the TXT record holds \"%s\", which is not a lease; not "
				 "overwriting it (use --force to replace it)",
				 current->txt);
			return LEASE_INIT_REFUSE_FOREIGN;
		}
		snprintf(why, why_size, "replacing the unreadable TXT \"%s\" (--force)",
			 current->txt);
		return LEASE_INIT_WRITE;
	}
	const lease_txt_t *cur = &current->lease;
	if (strcmp(cur->owner, me) == 0) {
		next->epoch = cur->epoch;
		snprintf(why, why_size, "%s already owns the lease: renewing it (epoch %llu)", me,
			 (unsigned long long)cur->epoch);
		return LEASE_INIT_WRITE;
	}
	next->epoch = cur->epoch + 1;
	if (cur->exp > now && !force) {
		snprintf(why, why_size,
			 "%s holds a valid lease for %llds more (exp=%lld); not taking it (use "
			 "--force to take it anyway)",
			 cur->owner, (long long)(cur->exp - now), (long long)cur->exp);
		return LEASE_INIT_REFUSE_HELD;
	}
	snprintf(why, why_size, "%s lease of %s (exp=%lld): taking it for %s (epoch %llu)",
		 cur->exp > now ? "forcing over the valid" : "taking the expired", cur->owner,
		 (long long)cur->exp, me, (unsigned long long)next->epoch);
	return LEASE_INIT_WRITE;
}

int lease_set_written(lease_t *l)
{
	int ret = lease_txt_format(&l->lease, l->txt, sizeof(l->txt));
	if (ret != DF_OK) {
		return ret;
	}
	size_t len = dns_txt_rdata(l->txt, l->txt_rdata[0], sizeof(l->txt_rdata[0]));
	if (len == 0) {
		return DF_ENOSPACE;
	}
	l->txt_rdata_len[0] = len;
	l->txt_count = 1;
	l->has_txt = true;
	l->txt_valid = true;
	return DF_OK;
}
