#include "src/dns/dns_axfr.h"

#include <stdlib.h>
#include <string.h>

#include "src/common/clock.h"
#include "src/dns/dns_msg.h"
#include "src/dns/dns_transport.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"

typedef struct axfr {
	const struct tsig_key *key;
	tsig_stream_t stream;
	uint16_t id;
	unsigned soas;
	uint32_t serial;
	dns_axfr_fn each;
	void *arg;
	const char *zone;
	const char *server;
	df_detail_t *d;
} axfr_t;

static int on_message(void *arg, const uint8_t *msg, size_t len, bool *more)
{
	axfr_t *x = arg;
	if (len < 12 || (uint16_t)(msg[0] << 8 | msg[1]) != x->id) {
		df_detail_set(x->d, "AXFR of %s from %s: an answer with another message ID",
			      x->zone, x->server);
		return DF_EMISMATCH;
	}
	size_t plain_len = len;
	if (x->key != NULL) {
		tsig_result_t res;
		int ret = tsig_stream_verify(&x->stream, msg, len, (uint64_t)clock_wall(), &res);
		if (ret != DF_OK) {
			df_detail_set(x->d,
				      "AXFR of %s from %s: message %u does not verify with key "
				      "%s (%s)",
				      x->zone, x->server, x->stream.messages, x->key->name,
				      df_strerror(ret));
			return ret;
		}
		if (x->stream.unsigned_run == 0) {
			plain_len = res.unsigned_len;
		}
	}
	ldns_pkt *pkt = NULL;
	/* Parse without the TSIG RR (ARCOUNT lowered on a copy). */
	uint8_t *copy = malloc(plain_len);
	if (copy == NULL) {
		return DF_ENOMEM;
	}
	memcpy(copy, msg, plain_len);
	if (plain_len != len) {
		uint16_t ar = (uint16_t)(copy[10] << 8 | copy[11]);
		ar--;
		copy[10] = (uint8_t)(ar >> 8);
		copy[11] = (uint8_t)ar;
	}
	ldns_status st = ldns_wire2pkt(&pkt, copy, plain_len);
	free(copy);
	if (st != LDNS_STATUS_OK) {
		df_detail_set(x->d, "AXFR of %s from %s: malformed message (%s)", x->zone,
			      x->server, ldns_get_errorstr_by_id(st));
		return DF_EMALFORMED;
	}
	int ret = DF_OK;
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR) {
		ldns_lookup_table *lt =
			ldns_lookup_by_id(ldns_rcodes, (int)ldns_pkt_get_rcode(pkt));
		df_detail_set(x->d,
			      "AXFR of %s from %s: %s (allow the transfer to key %s: "
			      "allow-transfer { key %s; } in named.conf)",
			      x->zone, x->server, lt != NULL ? lt->name : "error",
			      x->key != NULL ? x->key->name : "(none)",
			      x->key != NULL ? x->key->name : "NAME");
		ldns_pkt_free(pkt);
		return DF_ERCODE;
	}
	ldns_rr_list *an = ldns_pkt_answer(pkt);
	for (size_t i = 0; ret == DF_OK && *more && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
			if (x->soas++ == 0) {
				x->serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
			} else {
				*more = false;
				break;
			}
		} else if (x->soas == 0) {
			df_detail_set(x->d, "AXFR of %s from %s: does not start with the SOA",
				      x->zone, x->server);
			ret = DF_EMALFORMED;
			break;
		}
		ret = x->each(x->arg, rr);
	}
	ldns_pkt_free(pkt);
	if (ret == DF_OK && !*more && x->key != NULL && !tsig_stream_complete(&x->stream)) {
		df_detail_set(x->d, "AXFR of %s from %s: the last message is not signed", x->zone,
			      x->server);
		ret = DF_ETSIG_MISSING;
	}
	return ret;
}

int dns_axfr(const char *server, uint16_t port, const struct tsig_key *key, const char *zone,
	     int timeout_ms, dns_axfr_fn each, void *arg, uint32_t *serial, df_detail_t *d)
{
	dns_endpoint_t ep;
	int ret = dns_endpoint_init(&ep, server, port, d);
	if (ret != DF_OK) {
		return ret;
	}
	ldns_pkt *q = dns_msg_query_new(zone, LDNS_RR_TYPE_AXFR);
	if (q == NULL) {
		return DF_EINVAL;
	}
	axfr_t x = {.key = key, .each = each, .arg = arg, .zone = zone, .server = ep.label, .d = d};
	x.id = dns_random_id();
	ldns_pkt_set_id(q, x.id);
	uint8_t *wire = NULL;
	size_t len = 0;
	ret = dns_msg_render(q, &wire, &len);
	ldns_pkt_free(q);
	if (ret != DF_OK) {
		return ret;
	}
	uint8_t *buf = malloc(len + 512);
	if (buf == NULL) {
		free(wire);
		return DF_ENOMEM;
	}
	memcpy(buf, wire, len);
	free(wire);
	tsig_request_t req;
	if (key != NULL) {
		ret = tsig_sign_request(key, buf, &len, len + 512, (uint64_t)clock_wall(),
					TSIG_FUDGE_DEFAULT, &req);
		if (ret != DF_OK) {
			free(buf);
			return ret;
		}
		tsig_stream_init(&x.stream, key, &req);
	}
	ret = dns_transport_tcp_stream(&ep, buf, len, timeout_ms, on_message, &x, d);
	free(buf);
	if (key != NULL) {
		tsig_stream_deinit(&x.stream);
	}
	if (ret == DF_OK && x.soas < 2) {
		df_detail_set(d, "AXFR of %s from %s ended before the closing SOA", zone, ep.label);
		ret = DF_EMALFORMED;
	}
	if (ret == DF_OK) {
		*serial = x.serial;
	}
	return ret;
}
