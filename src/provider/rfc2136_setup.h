/*
 * The RFC 2136 set-up that the bind-tsig and ad-gss providers and the
 * standalone watcher share: the TSIG key from TSIG_KEY or TSIG_KEYFILE, and
 * the client to DNS_SERVER or, without it, to the zone's primary found from
 * its SOA MNAME, as nsupdate does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "src/common/error.h"
#include "src/conf/config.h"
#include "src/dns/dns_client.h"
#include "tsig/tsig_key.h"

/*
 * Loads the key TSIG_KEY or TSIG_KEYFILE (with TSIG_KEYNAME) names into key
 * and sets *have; with neither, *have is false and key is left alone. The
 * caller wipes key with tsig_key_deinit(). Errors name the key or the file.
 */
int rfc2136_load_key(const config_t *cfg, tsig_key_t *key, bool *have, df_detail_t *d);

/*
 * Opens *out to DNS_SERVER, or to the primary of DNS_ZONE found from its SOA
 * MNAME (asking DNS_RESOLVER, or resolv.conf's nameserver) when DNS_SERVER
 * is empty; server (size bytes) gets the name or address talked to and
 * *from_mname (may be NULL) whether it came from the SOA. key (borrowed,
 * must outlive the client) signs every message; NULL for none. Caller frees
 * *out with dns_client_free().
 */
int rfc2136_client_new(dns_client_t **out, const config_t *cfg, const tsig_key_t *key,
		       bool tcp_only, char *server, size_t size, bool *from_mname, df_detail_t *d);
