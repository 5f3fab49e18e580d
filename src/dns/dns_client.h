/*
 * The one path for talking to the DNS server: render a message, sign it
 * with TSIG, send it over UDP (TCP when it is too big or the answer comes
 * back truncated), check that the answer matches, verify its TSIG, retry on
 * silence with a fresh signature. The DNS outcome (RCODE) is not an error:
 * a verified NXRRSET answer is a successful exchange.
 */
#pragma once

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stdint.h>

#include "src/dns/dns_transport.h"
#include "src/common/error.h"

struct tsig_key;

typedef struct dns_client dns_client_t;

typedef struct dns_client_opts {
	const char *server; /* host or IP of the server to talk to */
	uint16_t port;
	int timeout_ms;		    /* per attempt */
	int retries;		    /* attempts after the first */
	const struct tsig_key *key; /* borrowed, must outlive the client; NULL: unsigned */
	bool tcp_only;		    /* every exchange over TCP (GSS-TSIG, as nsupdate -g) */
} dns_client_opts_t;

typedef struct dns_answer {
	ldns_pkt *pkt; /* parsed answer without its TSIG; owned */
	int rcode;
	bool verified;	      /* its TSIG verified with our key */
	bool has_server_time; /* time signed by the server (TSIG) */
	int64_t clock_skew;   /* server time - our wall clock, seconds */
	bool used_tcp;
	uint16_t tsig_error; /* TSIG error of the last answer seen (BADKEY ...), also on failure */
	int attempts;	     /* copies of the query sent; > 1: an earlier one may have applied */
} dns_answer_t;

/* Caller frees with dns_client_free(). d names the server when it cannot be resolved. */
int dns_client_new(dns_client_t **out, const dns_client_opts_t *opts, df_detail_t *d);
void dns_client_free(dns_client_t *c);

/* "127.0.0.1#53": the server as messages name it. */
const char *dns_client_server(const dns_client_t *c);

/* The resolved server address (for a TKEY negotiation with the same server). */
const dns_endpoint_t *dns_client_endpoint(const dns_client_t *c);

/* Signs later exchanges with key (borrowed; NULL: unsigned). A GSS-TSIG
 * session hands in a new key whenever it renegotiates. */
void dns_client_set_key(dns_client_t *c, const struct tsig_key *key);

/*
 * Sends query (its ID is replaced for every attempt) and fills ans on DF_OK.
 * Errors: DF_ETIMEDOUT (no answer after every retry, or no time left before
 * the deadline: d then says how many attempts went out), DF_ECONNREFUSED,
 * DF_ETSIG_UNSIGNED (an unsigned BADKEY/BADSIG answer: never trusted),
 * DF_ETSIG_MISSING (unsigned answer to a signed query), DF_ETSIG_BADMAC,
 * DF_ETSIG_BADTIME (signed BADTIME from the server, or an answer outside
 * our window), DF_EMALFORMED. d tells the operator what happened and what
 * to do. ans->clock_skew is set whenever a signed time was seen, also on
 * DF_ETSIG_BADTIME.
 */
int dns_client_exchange(dns_client_t *c, const ldns_pkt *query, dns_answer_t *ans, df_detail_t *d);

void dns_answer_deinit(dns_answer_t *ans);

/*
 * Bounds every later exchange by deadline_ms on the monotonic clock (0: no
 * bound beyond timeout x attempts). The daemon uses it so that a renewal
 * never runs past the instant it must step down.
 */
void dns_client_set_deadline(dns_client_t *c, int64_t deadline_ms);

/* The time the next attempt may take: the per-attempt timeout, cut to what
 * is left before the deadline (0: none left). */
int dns_client_attempt_timeout(const dns_client_t *c);

/*
 * Explains an error RCODE of an UPDATE in the operator's terms, naming the
 * signer (who: "key lease-key." or "principal lease-dr@EXAMPLE.COM"), zone
 * and record (REFUSED: check allow-update / update-policy ...).
 */
void dns_explain_update_rcode(df_detail_t *d, int rcode, const char *server, const char *who,
			      const char *zone, const char *record);

/*
 * Finds the primary server of zone as nsupdate does: asks resolver (host, or
 * NULL for the first nameserver of /etc/resolv.conf) for the zone's SOA and
 * returns its MNAME in primary (absolute name).
 */
int dns_find_primary(const char *zone, const char *resolver, uint16_t port, int timeout_ms,
		     char *primary, size_t size, df_detail_t *d);
