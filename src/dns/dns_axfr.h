/*
 * A zone transfer (AXFR over TCP, RFC 5936) signed with TSIG: every
 * message's signature is verified (RFC 8945 section 5.3.1) before any of
 * its records is handed on; the transfer ends at the second SOA.
 */
#pragma once

#include <ldns/ldns.h>
#include <stdint.h>

#include "src/common/error.h"

struct tsig_key;

/* Called for every RR of the zone except the closing SOA; DF_OK to go on. */
typedef int (*dns_axfr_fn)(void *arg, const ldns_rr *rr);

/*
 * Transfers zone from server:port with key (NULL: unsigned, for tests),
 * all of it within timeout_ms. *serial receives the SOA serial. Records are
 * handed on message by message, so a caller that must not see half a zone
 * keeps them aside until DF_OK. Errors: those of the transport, DF_ERCODE
 * (REFUSED, NOTAUTH: d names the server, zone and key), the TSIG ones,
 * DF_EMALFORMED.
 */
int dns_axfr(const char *server, uint16_t port, const struct tsig_key *key, const char *zone,
	     int timeout_ms, dns_axfr_fn each, void *arg, uint32_t *serial, df_detail_t *d);
