/*
 * gss_probe -s SERVER -p PORT -n SPN_HOST -z ZONE [-t TIMEOUT_MS]
 *
 * Negotiates a GSS-TSIG context with the server (dns_tkey_negotiate, default
 * credentials from KRB5CCNAME), then sends a gss-tsig signed SOA query for
 * ZONE over TCP and verifies the signed answer. Prints "negotiated KEYNAME"
 * and "signed SOA query verified"; exits 0, or 1 with the error on stderr.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gss/gss_ctx.h"
#include "gss/tkey.h"
#include "src/dns/dns_tkey.h"
#include "src/dns/dns_transport.h"
#include "src/common/error.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"

static void usage(void)
{
	fprintf(stderr, "usage: gss_probe -s SERVER -p PORT -n SPN_HOST -z ZONE [-t TIMEOUT_MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *server = NULL, *spn_host = NULL, *zone = NULL;
	long port = 53, timeout_ms = 5000;
	int opt, rc;
	df_detail_t d = {{0}};
	dns_endpoint_t ep;
	gss_ctx_t *ctx = NULL;

	while ((opt = getopt(argc, argv, "s:p:n:z:t:")) != -1) {
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 'p':
			port = strtol(optarg, NULL, 10);
			break;
		case 'n':
			spn_host = optarg;
			break;
		case 'z':
			zone = optarg;
			break;
		case 't':
			timeout_ms = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (server == NULL || spn_host == NULL || zone == NULL || port <= 0 || port > 65535 ||
	    timeout_ms <= 0 || optind != argc) {
		usage();
	}

	rc = dns_endpoint_init(&ep, server, (uint16_t)port, &d);
	if (rc != DF_OK) {
		fprintf(stderr, "gss_probe: %s: %s\n", df_strerror(rc), d.msg);
		return 1;
	}
	gss_ctx_opts_t o = {.server_host = spn_host};
	rc = dns_tkey_negotiate(&ctx, &ep, &o, (int)timeout_ms, &d);
	if (rc != DF_OK) {
		fprintf(stderr, "gss_probe: %s (%s)\n", d.msg, df_strerror(rc));
		return 1;
	}
	const tsig_key_t *key = gss_ctx_key(ctx);
	printf("negotiated %s\n", key->name);
	fflush(stdout);

	/* SOA query for the zone: header, question (QCLASS IN), RD clear. */
	uint8_t q[1024], a[65535];
	size_t qlen = 12, nlen = 0, alen = 0;
	uint16_t id = dns_random_id();
	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[5] = 1; /* QDCOUNT */
	if (tkey_name_to_wire(zone, q + qlen, &nlen) != DF_OK) {
		fprintf(stderr, "gss_probe: bad zone name %s\n", zone);
		gss_ctx_free(ctx);
		return 1;
	}
	qlen += nlen;
	q[qlen++] = 0, q[qlen++] = 6; /* SOA */
	q[qlen++] = 0, q[qlen++] = 1; /* IN */

	tsig_request_t req;
	rc = tsig_sign_request(key, q, &qlen, sizeof q, (uint64_t)time(NULL), TSIG_FUDGE_DEFAULT,
			       &req);
	if (rc != DF_OK) {
		fprintf(stderr, "gss_probe: cannot sign the SOA query: %s\n", df_strerror(rc));
		gss_ctx_free(ctx);
		return 1;
	}
	rc = dns_transport_tcp(&ep, q, qlen, a, sizeof a, &alen, (int)timeout_ms, dns_accept_id,
			       &id, &d);
	if (rc != DF_OK) {
		fprintf(stderr, "gss_probe: SOA query to %s: %s (%s)\n", ep.label, d.msg,
			df_strerror(rc));
		gss_ctx_free(ctx);
		return 1;
	}
	tsig_result_t res = {0};
	rc = tsig_verify_answer(key, a, alen, &req, (uint64_t)time(NULL), &res);
	if (rc != DF_OK || res.error != 0) {
		fprintf(stderr, "gss_probe: the SOA answer from %s does not verify: %s (TSIG %s)\n",
			ep.label, df_strerror(rc), tsig_rcode_name(res.error));
		gss_ctx_free(ctx);
		return 1;
	}
	unsigned rcode = a[3] & 0x0f;
	unsigned ancount = (unsigned)((a[6] << 8) | a[7]);
	if (rcode != 0 || ancount == 0) {
		fprintf(stderr, "gss_probe: SOA answer from %s: rcode %u, %u answers\n", ep.label,
			rcode, ancount);
		gss_ctx_free(ctx);
		return 1;
	}
	printf("signed SOA query verified\n");
	gss_ctx_free(ctx);
	return 0;
}
