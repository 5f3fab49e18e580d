#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "src/common/clock.h"
#include "src/failover/cmd.h"
#include "src/common/log.h"
#include "src/provider/provider.h"

/* The record as the existing tool prints it: no trailing dot. */
static json_t *record_name(const char *record)
{
	size_t len = strlen(record);
	if (len > 1 && record[len - 1] == '.') {
		len--;
	}
	return json_stringn(record, len);
}

static json_t *show_json(const config_t *cfg, const lease_t *l, bool found)
{
	json_t *o = json_object();
	char exp[32];
	json_object_set_new(o, "record", record_name(cfg->record));
	json_object_set_new(o, "A", l->has_a ? json_string(l->a) : json_null());
	if (found && l->txt_valid) {
		int64_t left = l->lease.exp - clock_lease_wall();
		snprintf(exp, sizeof(exp), "%lld", (long long)l->lease.exp);
		json_object_set_new(o, "owner", json_string(l->lease.owner));
		json_object_set_new(o, "expires_at", json_string(exp));
		json_object_set_new(o, "time_remaining", json_integer(left > 0 ? left : 0));
		/* At most LEASE_TXT_EPOCH_MAX: the reader refuses more. */
		json_object_set_new(o, "epoch", json_integer((json_int_t)l->lease.epoch));
	} else {
		json_object_set_new(o, "owner", json_null());
		json_object_set_new(o, "expires_at", json_null());
		json_object_set_new(o, "time_remaining", json_null());
		json_object_set_new(o, "epoch", json_null());
	}
	if (found && !l->txt_valid) {
		json_object_set_new(o, "txt", json_string(l->txt));
	}
	json_object_set_new(o, "server", json_string(l->server));
	json_object_set_new(o, "clock_skew",
			    l->has_skew ? json_integer(l->clock_skew) : json_null());
	return o;
}

int cmd_show(const config_t *cfg)
{
	provider_t *p = NULL;
	df_detail_t d = {""};
	lease_t lease;
	int exit_code = CMD_EXIT_FAIL;

	int ret = provider_new(&p, cfg, &d);
	if (ret != DF_OK) {
		log_err("show: %s", d.msg);
		return ret == DF_ECONFIG ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
	}
	memset(&lease, 0, sizeof(lease));
	ret = provider_read(p, &lease, &d);
	if (ret != DF_OK && ret != DF_ENOTFOUND) {
		log_err("show: %s", d.msg);
		goto out;
	}
	json_t *o = show_json(cfg, &lease, ret == DF_OK);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(o);
	if (ret == DF_ENOTFOUND) {
		log_err("show: %s (run 'dnsfailover init' on the primary)", d.msg);
		exit_code = CMD_EXIT_NOTFOUND;
	} else if (!lease.txt_valid) {
		char shown[LOG_ESCAPE_SIZE(sizeof(lease.txt))];
		log_escape(shown, sizeof(shown), lease.txt, strlen(lease.txt));
		if (lease.txt_error[0] != '\0') {
			log_err("show: the TXT record at %s is not a lease: \"%s\" (%s)",
				cfg->record, shown, lease.txt_error);
		} else {
			log_err("show: the TXT record at %s is not a lease: \"%s\"", cfg->record,
				shown);
		}
		exit_code = CMD_EXIT_FAIL;
	} else if (lease.a_count > 1) {
		log_err("show: %s holds %zu A records (%s); a lease has one A record, the active "
			"site's address: delete the extra ones by hand (nsupdate: update delete "
			"%s A <address>) or let the holder's next renewal replace them",
			cfg->record, lease.a_count, lease.a_list, cfg->record);
		exit_code = CMD_EXIT_FAIL;
	} else {
		if (lease.has_skew && (lease.clock_skew > 30 || lease.clock_skew < -30)) {
			log_warn("clock differs from DNS server %s by %+llds: check NTP",
				 lease.server, (long long)lease.clock_skew);
		}
		exit_code = CMD_EXIT_OK;
	}
out:
	provider_free(p);
	return exit_code;
}
