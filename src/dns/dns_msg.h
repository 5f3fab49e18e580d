/*
 * Building DNS queries and RFC 2136 UPDATE messages with ldns, and reading
 * RRsets out of answers. Every RR is built from wire-form RDATA, so a
 * prerequisite repeats byte for byte what was read (RFC 2136 section 3.2.3).
 */
#pragma once

#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>

/* Direct query for name/type, class IN, RD=0. Caller frees with ldns_pkt_free(). */
ldns_pkt *dns_msg_query_new(const char *name, ldns_rr_type type);

/*
 * UPDATE for zone with the given prerequisite and update RRs. The lists are
 * copied (ldns_update_pkt_new() clones them), so the caller still frees its
 * own with ldns_rr_list_deep_free(). prereq may be NULL. RD is cleared: in an
 * UPDATE that bit belongs to the Z field, which must be zero.
 */
ldns_pkt *dns_msg_update_new(const char *zone, const ldns_rr_list *prereq,
			     const ldns_rr_list *updates);

/*
 * RRs for every prerequisite and update form of RFC 2136 sections 2.4 and
 * 2.5. Each returns a new RR (caller frees with ldns_rr_free(), or a list
 * that owns it) or NULL on a bad name or no memory.
 */
ldns_rr *dns_rr_rrset_exists(const char *name, ldns_rr_type type); /* ANY type */
ldns_rr *dns_rr_rrset_equals(const char *name, ldns_rr_type type, const uint8_t *rdata,
			     size_t len);			   /* IN type rdata */
ldns_rr *dns_rr_rrset_absent(const char *name, ldns_rr_type type); /* NONE type */
ldns_rr *dns_rr_name_in_use(const char *name);			   /* ANY ANY */
ldns_rr *dns_rr_name_unused(const char *name);			   /* NONE ANY */
ldns_rr *dns_rr_add(const char *name, ldns_rr_type type, uint32_t ttl, const uint8_t *rdata,
		    size_t len);				   /* IN ttl rdata */
ldns_rr *dns_rr_delete_rrset(const char *name, ldns_rr_type type); /* ANY type, ttl 0 */
ldns_rr *dns_rr_delete_name(const char *name);			   /* ANY ANY */
ldns_rr *dns_rr_delete_rr(const char *name, ldns_rr_type type, const uint8_t *rdata,
			  size_t len); /* NONE type rdata */

/*
 * TXT RDATA for one string of text (split into character-strings of at most
 * 255 bytes). Returns the RDATA length, or 0 when cap is too small.
 */
size_t dns_txt_rdata(const char *text, uint8_t *rdata, size_t cap);

/*
 * Joins the character-strings of TXT RDATA into text (NUL-terminated).
 * Returns DF_OK, or DF_EMALFORMED / DF_ENOSPACE.
 */
int dns_txt_text(const uint8_t *rdata, size_t len, char *text, size_t cap);

/* Wire-form RDATA of rr into buf; returns its length, 0 when it does not fit. */
size_t dns_rr_rdata(const ldns_rr *rr, uint8_t *buf, size_t cap);

/*
 * RRs of type at name in the answer section, or NULL when there are none.
 * Caller frees with ldns_rr_list_deep_free().
 */
ldns_rr_list *dns_msg_answer_rrs(const ldns_pkt *pkt, const char *name, ldns_rr_type type);

/* Wire form of pkt, without TSIG. Caller frees *wire with free(). */
int dns_msg_render(const ldns_pkt *pkt, uint8_t **wire, size_t *len);
