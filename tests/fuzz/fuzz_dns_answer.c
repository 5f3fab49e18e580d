/*
 * The path an answer takes after its TSIG verified: ldns parses it, the
 * lease RRsets are pulled out, TXT RDATA is joined into text and parsed as
 * a lease. Any bytes must give a clean error, never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/dns/dns_msg.h"
#include "src/lease/lease_txt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, data, size) != LDNS_STATUS_OK) {
		return 0;
	}
	ldns_rr_list *txt = dns_msg_answer_rrs(pkt, "lease.example.test.", LDNS_RR_TYPE_TXT);
	for (size_t i = 0; txt != NULL && i < ldns_rr_list_rr_count(txt); i++) {
		uint8_t rdata[1024];
		char text[1024];
		lease_txt_t lease;
		size_t len = dns_rr_rdata(ldns_rr_list_rr(txt, i), rdata, sizeof(rdata));
		if (len > 0 && dns_txt_text(rdata, len, text, sizeof(text)) == DF_OK) {
			lease_txt_parse(&lease, text, strlen(text), NULL);
		}
	}
	ldns_rr_list_deep_free(txt);
	ldns_rr_list *a = dns_msg_answer_rrs(pkt, "lease.example.test.", LDNS_RR_TYPE_A);
	for (size_t i = 0; a != NULL && i < ldns_rr_list_rr_count(a); i++) {
		char *addr = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(a, i), 0));
		free(addr);
	}
	ldns_rr_list_deep_free(a);
	ldns_pkt_free(pkt);
	return 0;
}
