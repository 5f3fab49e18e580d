#include "src/provider/rfc2136_setup.h"

#include <stdio.h>

int rfc2136_load_key(const config_t *cfg, tsig_key_t *key, bool *have, df_detail_t *d)
{
	*have = false;
	if (cfg->tsig_key[0] != '\0') {
		int ret = tsig_key_from_string(key, cfg->tsig_key, d);
		if (ret != DF_OK) {
			df_detail_prefix(d, "TSIG_KEY");
			return ret;
		}
		*have = true;
		return DF_OK;
	}
	if (cfg->tsig_keyfile[0] != '\0') {
		int ret = tsig_keyfile_load(key, cfg->tsig_keyfile,
					    cfg->tsig_keyname[0] != '\0' ? cfg->tsig_keyname : NULL,
					    d);
		*have = ret == DF_OK;
		return ret;
	}
	return DF_OK;
}

int rfc2136_client_new(dns_client_t **out, const config_t *cfg, const tsig_key_t *key,
		       bool tcp_only, char *server, size_t size, bool *from_mname, df_detail_t *d)
{
	bool mname = false;
	if (cfg->server[0] != '\0') {
		snprintf(server, size, "%s", cfg->server);
	} else {
		/* An explicit DNS_RESOLVER is asked on DNS_PORT (a test or a lab
		 * setup); resolv.conf's nameserver on port 53. */
		int ret = dns_find_primary(cfg->zone, cfg->resolver, cfg->port,
					   (int)cfg->dns_timeout_ms, server, size, d);
		if (ret != DF_OK) {
			return ret;
		}
		mname = true;
	}
	if (from_mname != NULL) {
		*from_mname = mname;
	}
	dns_client_opts_t opts = {
		.server = server,
		.port = cfg->port,
		.timeout_ms = (int)cfg->dns_timeout_ms,
		.retries = (int)cfg->dns_retries,
		.key = key,
		.tcp_only = tcp_only,
	};
	return dns_client_new(out, &opts, d);
}
