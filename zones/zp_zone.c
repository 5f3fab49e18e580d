/*
 * Zone text in, checked records out. ldns reads the text from memory
 * (fmemopen) with origin = the domain, as DirectDNSOnly does when it
 * prepends $ORIGIN: DA never sends one.
 */
#include "zones/zp_zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool fail(char *why, size_t wsize, const char *fmt, const char *a, int b)
{
	snprintf(why, wsize, fmt, a, b);
	return false;
}

void zp_zone_free(zp_zone_t *z)
{
	if (z != NULL && z->rrs != NULL) {
		ldns_rr_list_deep_free(z->rrs);
		z->rrs = NULL;
	}
}

size_t zp_zone_count(const zp_zone_t *z)
{
	return z != NULL && z->rrs != NULL ? ldns_rr_list_rr_count(z->rrs) : 0;
}

static int cmp_owner_type(const void *a, const void *b)
{
	const ldns_rr *x = *(ldns_rr *const *)a;
	const ldns_rr *y = *(ldns_rr *const *)b;
	int c = ldns_dname_compare(ldns_rr_owner(x), ldns_rr_owner(y));
	if (c != 0) {
		return c;
	}
	return (int)ldns_rr_get_type(x) - (int)ldns_rr_get_type(y);
}

/* Owner text for messages, relative to the zone. */
static void owner_text(const ldns_rr *rr, char *buf, size_t size)
{
	char *s = ldns_rdf2str(ldns_rr_owner(rr));
	snprintf(buf, size, "%s", s != NULL ? s : "?");
	free(s);
	for (char *p = buf; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			*p = '?';
		}
	}
}

static bool check(const zp_zone_t *z, const ldns_rdf *origin, char *why, size_t wsize)
{
	size_t n = ldns_rr_list_rr_count(z->rrs);
	char owner[300];
	/* Sorted copy: CNAME neighbours are adjacent. */
	ldns_rr **v = malloc((n > 0 ? n : 1) * sizeof(*v));
	if (v == NULL) {
		return fail(why, wsize, "out of memory%s", "", 0);
	}
	for (size_t i = 0; i < n; i++) {
		v[i] = ldns_rr_list_rr(z->rrs, i);
		const ldns_rdf *o = ldns_rr_owner(v[i]);
		if (ldns_dname_compare(o, origin) != 0 && !ldns_dname_is_subdomain(o, origin)) {
			owner_text(v[i], owner, sizeof(owner));
			free(v);
			snprintf(why, wsize, "record owner %s is outside the zone %s.", owner,
				 z->name);
			return false;
		}
		if (ldns_rr_get_class(v[i]) != LDNS_RR_CLASS_IN) {
			owner_text(v[i], owner, sizeof(owner));
			free(v);
			return fail(why, wsize, "record %s: only class IN is accepted", owner, 0);
		}
	}
	qsort(v, n, sizeof(*v), cmp_owner_type);
	bool ok = true;
	for (size_t i = 0; ok && i < n;) {
		size_t j = i;
		size_t cnames = 0, others = 0;
		while (j < n && ldns_dname_compare(ldns_rr_owner(v[i]), ldns_rr_owner(v[j])) == 0) {
			ldns_rr_type t = ldns_rr_get_type(v[j]);
			if (t == LDNS_RR_TYPE_CNAME) {
				cnames++;
			} else if (t != LDNS_RR_TYPE_RRSIG && t != LDNS_RR_TYPE_NSEC) {
				others++;
			}
			j++;
		}
		if (cnames > 1 || (cnames == 1 && others > 0)) {
			owner_text(v[i], owner, sizeof(owner));
			snprintf(why, wsize,
				 cnames > 1 ? "%s has more than one CNAME"
					    : "%s has a CNAME beside other data",
				 owner);
			ok = false;
		}
		i = j;
	}
	free(v);
	return ok;
}

bool zp_zone_parse(const char *domain, const char *text, size_t len, zp_zone_t *z, char *why,
		   size_t wsize)
{
	memset(z, 0, sizeof(*z));
	if (len > ZP_ZONE_MAX_BYTES) {
		return fail(why, wsize, "zone larger than %s%d bytes", "", ZP_ZONE_MAX_BYTES);
	}
	if (memchr(text, '\0', len) != NULL) {
		return fail(why, wsize, "zone text contains a NUL byte%s", "", 0);
	}
	/* No file of ours may be read into a zone, whatever ldns supports. */
	for (size_t i = 0; i < len; i++) {
		if ((i == 0 || text[i - 1] == '\n') && len - i >= 8 &&
		    strncasecmp(text + i, "$INCLUDE", 8) == 0) {
			return fail(why, wsize, "$INCLUDE is not accepted in a pushed zone%s", "",
				    0);
		}
	}
	snprintf(z->name, sizeof(z->name), "%s", domain);
	char abs[260];
	snprintf(abs, sizeof(abs), "%s.", domain);
	ldns_rdf *origin = ldns_dname_new_frm_str(abs);
	if (origin == NULL) {
		return fail(why, wsize, "invalid domain %s", domain, 0);
	}
	/* fmemopen() of zero bytes fails: a blank zone reads as one newline. */
	FILE *fp = len > 0 ? fmemopen((void *)text, len, "r") : fmemopen((void *)"\n", 1, "r");
	if (fp == NULL) {
		ldns_rdf_deep_free(origin);
		return fail(why, wsize, "out of memory%s", "", 0);
	}
	/* Record by record, as ldns_zone_new_frm_fp_l() reads, so that we see
	 * every SOA and every directive. */
	uint32_t ttl = ZP_ZONE_DEFAULT_TTL;
	ldns_rdf *cur = ldns_rdf_clone(origin);
	ldns_rdf *prev = NULL;
	int line = 0;
	size_t soas = 0;
	bool ok = true;
	z->rrs = ldns_rr_list_new();
	ldns_rr *soa = NULL;
	if (z->rrs == NULL || cur == NULL) {
		ok = fail(why, wsize, "out of memory%s", "", 0);
	}
	while (ok && !feof(fp)) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &cur, &prev, &line);
		switch (st) {
		case LDNS_STATUS_OK:
			if (ldns_rr_list_rr_count(z->rrs) + 1 > ZP_ZONE_MAX_RRS) {
				ldns_rr_free(rr);
				ok = fail(why, wsize, "more than %s%d records", "",
					  ZP_ZONE_MAX_RRS);
			} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && soas++ > 0) {
				ldns_rr_free(rr);
				snprintf(why, wsize, "zone line %d: more than one SOA record",
					 line);
				ok = false;
			} else if (!ldns_rr_list_push_rr(z->rrs, rr)) {
				ldns_rr_free(rr);
				ok = fail(why, wsize, "out of memory%s", "", 0);
			} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
				soa = rr;
			}
			break;
		case LDNS_STATUS_SYNTAX_EMPTY:
		case LDNS_STATUS_SYNTAX_TTL:
		case LDNS_STATUS_SYNTAX_ORIGIN:
			break;
		default:
			snprintf(why, wsize, "zone line %d: %s", line, ldns_get_errorstr_by_id(st));
			ok = false;
			break;
		}
	}
	fclose(fp);
	ldns_rdf_deep_free(cur);
	ldns_rdf_deep_free(prev);
	if (ok && soa == NULL) {
		ok = fail(why, wsize, "no SOA record%s", "", 0);
	}
	if (ok && ldns_dname_compare(ldns_rr_owner(soa), origin) != 0) {
		ok = fail(why, wsize, "the SOA record is not at the apex %s.", domain, 0);
	}
	if (!ok) {
		ldns_rdf_deep_free(origin);
		zp_zone_free(z);
		return false;
	}
	/* The SOA first. */
	for (size_t i = 0; ldns_rr_list_rr(z->rrs, 0) != soa; i++) {
		if (ldns_rr_list_rr(z->rrs, i) == soa) {
			ldns_rr_list_set_rr(z->rrs, ldns_rr_list_rr(z->rrs, 0), i);
			ldns_rr_list_set_rr(z->rrs, soa, 0);
		}
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		ldns_dname2canonical(ldns_rr_owner(ldns_rr_list_rr(z->rrs, i)));
	}
	ok = check(z, origin, why, wsize);
	ldns_rdf_deep_free(origin);
	if (!ok) {
		zp_zone_free(z);
	}
	return ok;
}

char *zp_zone_render(const zp_zone_t *z, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap);
	if (buf == NULL) {
		return NULL;
	}
	used = (size_t)snprintf(buf, cap, "$ORIGIN %s.\n", z->name);
	for (size_t i = 0; i < zp_zone_count(z); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(z->rrs, i));
		if (s == NULL) {
			free(buf);
			return NULL;
		}
		size_t n = strlen(s);
		if (used + n + 2 > cap) {
			while (used + n + 2 > cap) {
				cap *= 2;
			}
			char *b = realloc(buf, cap);
			if (b == NULL) {
				free(s);
				free(buf);
				return NULL;
			}
			buf = b;
		}
		memcpy(buf + used, s, n);
		used += n;
		if (n == 0 || s[n - 1] != '\n') {
			buf[used++] = '\n';
		}
		free(s);
	}
	buf[used] = '\0';
	if (len != NULL) {
		*len = used;
	}
	return buf;
}
