#include "src/dns/dns_msg.h"

#include <stdlib.h>
#include <string.h>

#include "src/common/error.h"

ldns_pkt *dns_msg_query_new(const char *name, ldns_rr_type type)
{
	ldns_rdf *owner = ldns_dname_new_frm_str(name);
	if (owner == NULL) {
		return NULL;
	}
	/* ldns_pkt_query_new() takes ownership of owner, also on failure. */
	ldns_pkt *pkt = ldns_pkt_query_new(owner, type, LDNS_RR_CLASS_IN, 0);
	if (pkt != NULL) {
		ldns_pkt_set_rd(pkt, false);
	}
	return pkt;
}

ldns_pkt *dns_msg_update_new(const char *zone, const ldns_rr_list *prereq,
			     const ldns_rr_list *updates)
{
	ldns_rdf *zone_rdf = ldns_dname_new_frm_str(zone);
	ldns_rr_list *empty = NULL;
	if (zone_rdf == NULL) {
		return NULL;
	}
	if (updates == NULL) {
		empty = ldns_rr_list_new();
		updates = empty;
	}
	/* Takes ownership of zone_rdf; clones the lists. */
	ldns_pkt *pkt = ldns_update_pkt_new(zone_rdf, LDNS_RR_CLASS_IN, prereq, updates, NULL);
	ldns_rr_list_free(empty);
	if (pkt != NULL) {
		ldns_pkt_set_rd(pkt, false);
	}
	return pkt;
}

/*
 * Builds an RR from its parts by writing its wire form and letting ldns
 * parse it, so that every class/RDATA combination of RFC 2136 (empty RDATA
 * with class ANY or NONE) goes through the one path ldns uses for answers.
 */
static ldns_rr *rr_from_parts(const char *name, ldns_rr_type type, ldns_rr_class klass,
			      uint32_t ttl, const uint8_t *rdata, size_t len)
{
	ldns_rdf *owner = ldns_dname_new_frm_str(name);
	ldns_rr *rr = NULL;
	uint8_t *wire = NULL;
	if (owner == NULL || len > UINT16_MAX) {
		goto out;
	}
	size_t owner_len = ldns_rdf_size(owner);
	size_t wire_len = owner_len + 10 + len;
	wire = malloc(wire_len);
	if (wire == NULL) {
		goto out;
	}
	uint8_t *p = wire;
	memcpy(p, ldns_rdf_data(owner), owner_len);
	p += owner_len;
	*p++ = (uint8_t)(type >> 8);
	*p++ = (uint8_t)type;
	*p++ = (uint8_t)(klass >> 8);
	*p++ = (uint8_t)klass;
	*p++ = (uint8_t)(ttl >> 24);
	*p++ = (uint8_t)(ttl >> 16);
	*p++ = (uint8_t)(ttl >> 8);
	*p++ = (uint8_t)ttl;
	*p++ = (uint8_t)(len >> 8);
	*p++ = (uint8_t)len;
	if (len > 0) {
		memcpy(p, rdata, len);
	}
	size_t pos = 0;
	if (ldns_wire2rr(&rr, wire, wire_len, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK ||
	    pos != wire_len) {
		ldns_rr_free(rr);
		rr = NULL;
	}
out:
	free(wire);
	ldns_rdf_deep_free(owner);
	return rr;
}

ldns_rr *dns_rr_rrset_exists(const char *name, ldns_rr_type type)
{
	return rr_from_parts(name, type, LDNS_RR_CLASS_ANY, 0, NULL, 0);
}

ldns_rr *dns_rr_rrset_equals(const char *name, ldns_rr_type type, const uint8_t *rdata, size_t len)
{
	return rr_from_parts(name, type, LDNS_RR_CLASS_IN, 0, rdata, len);
}

ldns_rr *dns_rr_rrset_absent(const char *name, ldns_rr_type type)
{
	return rr_from_parts(name, type, LDNS_RR_CLASS_NONE, 0, NULL, 0);
}

ldns_rr *dns_rr_name_in_use(const char *name)
{
	return rr_from_parts(name, LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_ANY, 0, NULL, 0);
}

ldns_rr *dns_rr_name_unused(const char *name)
{
	return rr_from_parts(name, LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_NONE, 0, NULL, 0);
}

ldns_rr *dns_rr_add(const char *name, ldns_rr_type type, uint32_t ttl, const uint8_t *rdata,
		    size_t len)
{
	return rr_from_parts(name, type, LDNS_RR_CLASS_IN, ttl, rdata, len);
}

ldns_rr *dns_rr_delete_rrset(const char *name, ldns_rr_type type)
{
	return rr_from_parts(name, type, LDNS_RR_CLASS_ANY, 0, NULL, 0);
}

ldns_rr *dns_rr_delete_name(const char *name)
{
	return rr_from_parts(name, LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_ANY, 0, NULL, 0);
}

ldns_rr *dns_rr_delete_rr(const char *name, ldns_rr_type type, const uint8_t *rdata, size_t len)
{
	return rr_from_parts(name, type, LDNS_RR_CLASS_NONE, 0, rdata, len);
}

size_t dns_txt_rdata(const char *text, uint8_t *rdata, size_t cap)
{
	size_t len = strlen(text);
	size_t out = 0;
	do {
		size_t chunk = len > 255 ? 255 : len;
		if (out + 1 + chunk > cap) {
			return 0;
		}
		rdata[out++] = (uint8_t)chunk;
		memcpy(rdata + out, text, chunk);
		out += chunk;
		text += chunk;
		len -= chunk;
	} while (len > 0);
	return out;
}

int dns_txt_text(const uint8_t *rdata, size_t len, char *text, size_t cap)
{
	size_t pos = 0, out = 0;
	if (cap == 0) {
		return DF_ENOSPACE;
	}
	while (pos < len) {
		size_t chunk = rdata[pos++];
		if (pos + chunk > len) {
			return DF_EMALFORMED;
		}
		if (out + chunk >= cap) {
			return DF_ENOSPACE;
		}
		memcpy(text + out, rdata + pos, chunk);
		out += chunk;
		pos += chunk;
	}
	text[out] = '\0';
	return DF_OK;
}

size_t dns_rr_rdata(const ldns_rr *rr, uint8_t *buf, size_t cap)
{
	size_t out = 0;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
		size_t n = ldns_rdf_size(rdf);
		if (out + n > cap) {
			return 0;
		}
		memcpy(buf + out, ldns_rdf_data(rdf), n);
		out += n;
	}
	return out;
}

ldns_rr_list *dns_msg_answer_rrs(const ldns_pkt *pkt, const char *name, ldns_rr_type type)
{
	ldns_rdf *owner = ldns_dname_new_frm_str(name);
	if (owner == NULL) {
		return NULL;
	}
	/* Returns a list of clones, or NULL when none match. */
	ldns_rr_list *list =
		ldns_pkt_rr_list_by_name_and_type(pkt, owner, type, LDNS_SECTION_ANSWER);
	ldns_rdf_deep_free(owner);
	return list;
}

int dns_msg_render(const ldns_pkt *pkt, uint8_t **wire, size_t *len)
{
	if (ldns_pkt2wire(wire, pkt, len) != LDNS_STATUS_OK) {
		return DF_ENOMEM;
	}
	return DF_OK;
}
