/*
 * bind-tsig: the lease in DNS, read by TSIG-signed direct queries to the
 * zone's primary and written as one TSIG-signed RFC 2136 UPDATE whose
 * prerequisite is the TXT value last read: a compare-and-swap.
 *
 * ad-gss is the same provider with GSS-TSIG keys (gss/gss_session.h): a
 * context negotiated with the server from Kerberos credentials, kept across
 * exchanges, and every exchange over TCP as nsupdate -g does.
 */
#include <config.h> /* HAVE_GSSAPI; not src/config.h */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "src/common/clock.h"
#include "src/dns/dns_client.h"
#include "src/dns/dns_msg.h"
#include "src/common/log.h"
#include "src/provider/provider.h"
#include "src/provider/rfc2136_setup.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"
#ifdef HAVE_GSSAPI
#include "gss/gss_session.h"
#include "src/dns/dns_tkey.h"
#endif

typedef struct bind_provider {
	provider_t base;
	tsig_key_t key;		 /* bind-tsig: from TSIG_KEYFILE / TSIG_KEY */
	struct gss_session *gss; /* ad-gss: negotiated keys; NULL for bind-tsig */
	char who[400];		 /* "key lease-key." / "principal P@REALM" */
	dns_client_t *client;
	char server[CONFIG_STR_MAX]; /* what we talk to, before resolution */
	bool from_mname;	     /* found from the SOA MNAME */
} bind_provider_t;

static bind_provider_t *bp_of(provider_t *p)
{
	return (bind_provider_t *)p;
}

static const char *server_of(bind_provider_t *bp)
{
	return dns_client_server(bp->client);
}

/* Who signs: "key lease-key." or "principal lease-dr@EXAMPLE.TEST". */
static const char *who(bind_provider_t *bp)
{
#ifdef HAVE_GSSAPI
	if (bp->gss != NULL) {
		snprintf(bp->who, sizeof(bp->who), "principal %s", gss_session_principal(bp->gss));
		return bp->who;
	}
#endif
	snprintf(bp->who, sizeof(bp->who), "key %s", bp->key.name);
	return bp->who;
}

static const char *alg_name(bind_provider_t *bp)
{
	return bp->gss != NULL ? "GSS-TSIG" : bp->key.alg->name;
}

#ifdef HAVE_GSSAPI
/* Hands the client the session's current key, negotiating one if needed,
 * each TKEY round bounded like a DNS attempt (the deadline included). */
static int use_gss_key(bind_provider_t *bp, const tsig_key_t **out, df_detail_t *d)
{
	const tsig_key_t *key = NULL;
	dns_client_set_deadline(bp->client, bp->base.deadline_ms);
	int timeout = dns_client_attempt_timeout(bp->client);
	if (timeout <= 0) {
		df_detail_set(d, "no time left before the deadline to negotiate with %s",
			      server_of(bp));
		return DF_ETIMEDOUT;
	}
	int ret = dns_tkey_session_key(bp->gss, dns_client_endpoint(bp->client), timeout, &key,
				       NULL, d);
	if (ret == DF_OK) {
		dns_client_set_key(bp->client, key);
		*out = key;
	}
	return ret;
}
#endif

/*
 * One signed exchange within the provider's deadline. With GSS-TSIG, an
 * unsigned BADKEY means the server lost our context (restart, expiry): the
 * update was not applied, so it is sent once more under a new context.
 */
static int exchange(bind_provider_t *bp, const ldns_pkt *q, dns_answer_t *ans, df_detail_t *d)
{
	int ret = DF_EINVAL;
	int earlier = 0; /* copies sent before this exchange */
	for (int round = 0; round < 2; round++) {
#ifdef HAVE_GSSAPI
		if (bp->gss != NULL) {
			const tsig_key_t *key;
			ret = use_gss_key(bp, &key, d);
			if (ret != DF_OK) {
				return ret;
			}
		}
#endif
		dns_client_set_deadline(bp->client, bp->base.deadline_ms);
		ret = dns_client_exchange(bp->client, q, ans, d);
#ifdef HAVE_GSSAPI
		if (bp->gss != NULL && round == 0 && ret == DF_ETSIG_UNSIGNED &&
		    ans->tsig_error == TSIG_BADKEY) {
			log_info("GSS-TSIG: %s no longer knows our key (BADKEY): negotiating a "
				 "new context",
				 server_of(bp));
			gss_session_drop(bp->gss);
			dns_answer_deinit(ans);
			/* An unsigned BADKEY proves nothing: count the copy as sent. */
			earlier = 1;
			continue;
		}
#endif
		break;
	}
	if (ret == DF_OK) {
		ans->attempts += earlier;
	}
	return ret;
}

/* Checks the RCODE of a query answer and that it is authoritative. */
static int check_query_answer(bind_provider_t *bp, const dns_answer_t *ans, const char *name,
			      const char *type, df_detail_t *d)
{
	const config_t *cfg = bp->base.cfg;
	if (ans->rcode != LDNS_RCODE_NOERROR && ans->rcode != LDNS_RCODE_NXDOMAIN) {
		if (ans->rcode == LDNS_RCODE_REFUSED) {
			df_detail_set(
				d,
				"DNS server %s REFUSED the query for %s %s: it does not serve "
				"zone %s to us (check DNS_SERVER, DNS_ZONE and allow-query)",
				server_of(bp), name, type, cfg->zone);
		} else {
			ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, ans->rcode);
			df_detail_set(d, "DNS server %s answered %s to the query for %s %s",
				      server_of(bp), lt != NULL ? lt->name : "an error", name,
				      type);
		}
		return DF_ERCODE;
	}
	if (!ldns_pkt_aa(ans->pkt)) {
		df_detail_set(d,
			      "DNS server %s is not authoritative for %s (no AA bit): DNS_SERVER "
			      "must be the primary of zone %s, not a resolver",
			      server_of(bp), name, cfg->zone);
		return DF_ENOTAUTH;
	}
	return DF_OK;
}

/* Signed query for the record's RRset of type; *rrs is NULL when it is absent. */
static int query_rrset(bind_provider_t *bp, ldns_rr_type type, ldns_rr_list **rrs, lease_t *lease,
		       df_detail_t *d)
{
	const config_t *cfg = bp->base.cfg;
	const char *type_name = type == LDNS_RR_TYPE_TXT ? "TXT" : "A";
	dns_answer_t ans = {0};
	ldns_pkt *q = dns_msg_query_new(cfg->record, type);
	if (q == NULL) {
		return DF_ENOMEM;
	}
	int ret = exchange(bp, q, &ans, d);
	ldns_pkt_free(q);
	if (ans.has_server_time) {
		lease->has_skew = true;
		lease->clock_skew = ans.clock_skew;
	}
	if (ret != DF_OK) {
		df_detail_prefix(d, "reading %s %s", cfg->record, type_name);
		goto out;
	}
	ret = check_query_answer(bp, &ans, cfg->record, type_name, d);
	if (ret != DF_OK) {
		goto out;
	}
	*rrs = dns_msg_answer_rrs(ans.pkt, cfg->record, type);
out:
	dns_answer_deinit(&ans);
	return ret;
}

/* A lease has one TXT record; a few more are read so that the CAS can
 * replace them all, and the error can say how many there are. */
#define TXT_RRS_MAX 4

/*
 * The version of an RFC 2136 lease is every TXT RDATA of the set as read,
 * each behind its length in two bytes, so that the prerequisite of the next
 * UPDATE repeats them byte for byte (RFC 2136 section 3.2.3).
 */
static bool version_add(lease_version_t *v, const uint8_t *rdata, size_t len)
{
	if (len > UINT16_MAX || len + 2 > sizeof(v->bytes) - v->len) {
		return false;
	}
	v->bytes[v->len] = (uint8_t)(len >> 8);
	v->bytes[v->len + 1] = (uint8_t)len;
	memcpy(v->bytes + v->len + 2, rdata, len);
	v->len += 2 + len;
	return true;
}

/* The RDATA at *pos of v, moving *pos past it. False at the end or when v
 * was not made by version_add(). */
static bool version_next(const lease_version_t *v, size_t *pos, const uint8_t **rdata, size_t *len)
{
	if (*pos + 2 > v->len) {
		return false;
	}
	size_t n = (size_t)v->bytes[*pos] << 8 | v->bytes[*pos + 1];
	if (n > v->len - *pos - 2) {
		return false;
	}
	*rdata = v->bytes + *pos + 2;
	*len = n;
	*pos += 2 + n;
	return true;
}

static int fill_txt(bind_provider_t *bp, const ldns_rr_list *rrs, lease_t *out, df_detail_t *d)
{
	size_t count = ldns_rr_list_rr_count(rrs);
	uint8_t rdata[LEASE_MAX_RDATA];
	if (count > TXT_RRS_MAX) {
		df_detail_set(d,
			      "%s holds %zu TXT records; a lease has one: remove the extra ones "
			      "by hand",
			      bp->base.cfg->record, count);
		return DF_EMALFORMED;
	}
	out->version.len = 0;
	for (size_t i = 0; i < count; i++) {
		size_t len = dns_rr_rdata(ldns_rr_list_rr(rrs, i), rdata, sizeof(rdata));
		if (len == 0 || !version_add(&out->version, rdata, len)) {
			df_detail_set(d, "TXT record at %s is too large for a lease",
				      bp->base.cfg->record);
			return DF_EMALFORMED;
		}
		if (i == 0) {
			int ret = dns_txt_text(rdata, len, out->txt, sizeof(out->txt));
			if (ret != DF_OK) {
				df_detail_set(d, "TXT record at %s does not parse",
					      bp->base.cfg->record);
				return ret;
			}
		}
	}
	out->has_txt = true;
	if (count > 1) {
		out->txt_valid = false;
		snprintf(out->txt_error, sizeof(out->txt_error),
			 "%zu TXT records at the name; a lease has one", count);
		return DF_OK;
	}
	df_detail_t why = {""};
	out->txt_valid = lease_txt_parse(&out->lease, out->txt, strlen(out->txt), &why) == DF_OK;
	if (!out->txt_valid) {
		snprintf(out->txt_error, sizeof(out->txt_error), "%s", why.msg);
	}
	return DF_OK;
}

/*
 * The A RRset: a lease has one A record, the first is the lease's address.
 * More are counted and listed for the caller to report; the next write
 * replaces the whole RRset (add_replacement()).
 */
static int fill_a(const ldns_rr_list *rrs, lease_t *out)
{
	size_t count = ldns_rr_list_rr_count(rrs);
	size_t used = 0;
	bool cut = false;
	for (size_t i = 0; i < count; i++) {
		char *addr = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(rrs, i), 0));
		if (addr == NULL) {
			return DF_ENOMEM;
		}
		if (i == 0) {
			snprintf(out->a, sizeof(out->a), "%s", addr);
		}
		/* Room for ", " + addr + "..." + NUL, or the list is cut. */
		size_t need = (i > 0 ? 2 : 0) + strlen(addr);
		if (!cut && used + need + 4 <= sizeof(out->a_list)) {
			used += (size_t)snprintf(out->a_list + used, sizeof(out->a_list) - used,
						 "%s%s", i > 0 ? ", " : "", addr);
		} else if (!cut) {
			snprintf(out->a_list + used, sizeof(out->a_list) - used, "...");
			cut = true;
		}
		free(addr);
	}
	out->has_a = count > 0;
	out->a_count = count;
	return DF_OK;
}

static int bind_read(provider_t *p, lease_t *out, df_detail_t *d)
{
	bind_provider_t *bp = bp_of(p);
	lease_t lease;
	ldns_rr_list *txt = NULL, *a = NULL;
	memset(&lease, 0, sizeof(lease));
	int ret = query_rrset(bp, LDNS_RR_TYPE_TXT, &txt, &lease, d);
	if (ret == DF_OK) {
		ret = query_rrset(bp, LDNS_RR_TYPE_A, &a, &lease, d);
	}
	if (ret != DF_OK) {
		goto out;
	}
	snprintf(lease.server, sizeof(lease.server), "%s", server_of(bp));
	if (a != NULL) {
		ret = fill_a(a, &lease);
		if (ret != DF_OK) {
			goto out;
		}
	}
	if (txt != NULL) {
		ret = fill_txt(bp, txt, &lease, d);
		if (ret != DF_OK) {
			goto out;
		}
	}
	*out = lease;
	ret = lease.has_txt ? DF_OK : DF_ENOTFOUND;
	if (ret == DF_ENOTFOUND) {
		df_detail_set(d, "no lease TXT record at %s on %s", p->cfg->record, server_of(bp));
	}
out:
	ldns_rr_list_deep_free(txt);
	ldns_rr_list_deep_free(a);
	return ret;
}

static bool push(ldns_rr_list *list, ldns_rr *rr)
{
	if (rr == NULL) {
		return false;
	}
	/* The list owns rr from here. */
	if (!ldns_rr_list_push_rr(list, rr)) {
		ldns_rr_free(rr);
		return false;
	}
	return true;
}

/* Adds the updates that replace the TXT and A RRsets with next's values,
 * and sets next's version to the TXT written. */
static int add_replacement(const config_t *cfg, lease_t *next, ldns_rr_list *up, df_detail_t *d)
{
	char text[128];
	uint8_t txt[256];
	struct in_addr addr;
	if (lease_txt_format(&next->lease, text, sizeof(text)) != DF_OK) {
		return DF_EINVAL;
	}
	size_t txt_len = dns_txt_rdata(text, txt, sizeof(txt));
	next->version.len = 0;
	if (txt_len == 0 || !version_add(&next->version, txt, txt_len)) {
		return DF_EINVAL;
	}
	if (inet_pton(AF_INET, next->a, &addr) != 1) {
		df_detail_set(d, "the lease A record needs an IPv4 address, not '%s'", next->a);
		return DF_EINVAL;
	}
	if (!push(up, dns_rr_delete_rrset(cfg->record, LDNS_RR_TYPE_TXT)) ||
	    !push(up, dns_rr_delete_rrset(cfg->record, LDNS_RR_TYPE_A)) ||
	    !push(up, dns_rr_add(cfg->record, LDNS_RR_TYPE_TXT, cfg->dns_ttl, txt, txt_len)) ||
	    !push(up, dns_rr_add(cfg->record, LDNS_RR_TYPE_A, cfg->dns_ttl, (const uint8_t *)&addr,
				 sizeof(addr)))) {
		return DF_ENOMEM;
	}
	return DF_OK;
}

/* Sends an UPDATE and returns its verified RCODE in *rcode, and in
 * *attempts how many copies went out. */
static int send_update(bind_provider_t *bp, const ldns_rr_list *pre, const ldns_rr_list *up,
		       int *rcode, int *attempts, df_detail_t *d)
{
	dns_answer_t ans = {0};
	ldns_pkt *pkt = dns_msg_update_new(bp->base.cfg->zone, pre, up);
	if (pkt == NULL) {
		return DF_ENOMEM;
	}
	int ret = exchange(bp, pkt, &ans, d);
	ldns_pkt_free(pkt);
	if (ret == DF_OK) {
		*rcode = ans.rcode;
		*attempts = ans.attempts;
	}
	dns_answer_deinit(&ans);
	return ret;
}

static int bind_swap(provider_t *p, const lease_t *expected, lease_t *next, df_detail_t *d)
{
	bind_provider_t *bp = bp_of(p);
	const config_t *cfg = p->cfg;
	ldns_rr_list *pre = ldns_rr_list_new();
	ldns_rr_list *up = ldns_rr_list_new();
	int rcode = 0, attempts = 0;
	int ret = DF_ENOMEM;
	if (pre == NULL || up == NULL) {
		goto out;
	}
	if (expected == NULL || !expected->has_txt) {
		if (!push(pre, dns_rr_rrset_absent(cfg->record, LDNS_RR_TYPE_TXT))) {
			goto out;
		}
	} else {
		/* The whole set as read, byte for byte (RFC 2136 3.2.3). */
		size_t pos = 0, len = 0;
		const uint8_t *rdata = NULL;
		if (expected->version.len == 0) {
			df_detail_set(d,
				      "the expected lease of %s carries no version to update from",
				      cfg->record);
			ret = DF_EINVAL;
			goto out;
		}
		while (version_next(&expected->version, &pos, &rdata, &len)) {
			if (!push(pre,
				  dns_rr_rrset_equals(cfg->record, LDNS_RR_TYPE_TXT, rdata, len))) {
				goto out;
			}
		}
		if (pos != expected->version.len) {
			df_detail_set(
				d, "the expected lease of %s carries a version of another provider",
				cfg->record);
			ret = DF_EINVAL;
			goto out;
		}
	}
	ret = add_replacement(cfg, next, up, d);
	if (ret != DF_OK) {
		goto out;
	}
	ret = send_update(bp, pre, up, &rcode, &attempts, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "updating %s", cfg->record);
		goto out;
	}
	switch (rcode) {
	case LDNS_RCODE_NOERROR:
		ret = DF_OK;
		break;
	case LDNS_RCODE_NXRRSET:
	case LDNS_RCODE_YXRRSET:
		if (attempts > 1) {
			/* An earlier copy may have applied and changed the TXT
			 * this one's prerequisite names: not proof of a rival. */
			df_detail_set(d,
				      "the update of %s was sent %d times (answers lost) and a "
				      "later copy found the lease changed: it may be our own "
				      "earlier copy; outcome unknown, the lease is read again",
				      cfg->record, attempts);
			ret = DF_EUNKNOWN;
			break;
		}
		df_detail_set(d,
			      "the lease at %s changed since it was read (server %s answered %s): "
			      "someone else wrote first",
			      cfg->record, server_of(bp),
			      rcode == LDNS_RCODE_NXRRSET ? "NXRRSET" : "YXRRSET");
		ret = DF_ECONFLICT;
		break;
	default:
		dns_explain_update_rcode(d, rcode, server_of(bp), who(bp), cfg->zone, cfg->record);
		ret = DF_ERCODE;
		break;
	}
out:
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return ret;
}

/*
 * Proves the key may update the record without changing anything: the
 * UPDATE adds the lease records but its prerequisites say a random name both
 * exists and does not exist, which can never hold. BIND checks update-policy
 * on the updates before the prerequisites, so REFUSED means the policy
 * denies us; a signed NXDOMAIN (or YXDOMAIN) proves key and policy.
 */
static int prove_update(bind_provider_t *bp, provider_report_fn fn, void *arg, df_detail_t *d)
{
	const config_t *cfg = bp->base.cfg;
	char probe[300];
	uint64_t nonce = 0;
	ldns_rr_list *pre = ldns_rr_list_new();
	ldns_rr_list *up = ldns_rr_list_new();
	int rcode = 0, attempts = 0, ret = DF_ENOMEM;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce)) {
		nonce = (uint64_t)clock_mono_ms();
	}
	snprintf(probe, sizeof(probe), "dnsfailover-check-%016llx.%s", (unsigned long long)nonce,
		 cfg->zone);
	lease_t next = {.has_a = true};
	snprintf(next.a, sizeof(next.a), "%s", config_my_ip(cfg));
	snprintf(next.lease.owner, sizeof(next.lease.owner), "%s", config_role_name(cfg->role));
	if (pre == NULL || up == NULL || !push(pre, dns_rr_name_in_use(probe)) ||
	    !push(pre, dns_rr_name_unused(probe))) {
		goto out;
	}
	ret = add_replacement(cfg, &next, up, d);
	if (ret == DF_OK) {
		ret = send_update(bp, pre, up, &rcode, &attempts, d);
	}
	if (ret != DF_OK) {
		provider_report(fn, arg, false, "update as %s: %s", who(bp),
				d != NULL ? d->msg : df_strerror(ret));
		goto out;
	}
	if (rcode == LDNS_RCODE_NXDOMAIN || rcode == LDNS_RCODE_YXDOMAIN) {
		provider_report(
			fn, arg, true,
			"%s may update %s A and TXT (signed answer verified, no change made)",
			who(bp), cfg->record);
		ret = DF_OK;
	} else {
		dns_explain_update_rcode(d, rcode, server_of(bp), who(bp), cfg->zone, cfg->record);
		provider_report(fn, arg, false, "%s", d != NULL ? d->msg : "update refused");
		ret = DF_ERCODE;
	}
out:
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return ret;
}

static int bind_check(provider_t *p, provider_report_fn fn, void *arg, df_detail_t *d)
{
	bind_provider_t *bp = bp_of(p);
	const config_t *cfg = p->cfg;
	dns_answer_t ans = {0};
	ldns_rr_list *soa = NULL;
	int64_t start = clock_mono_ms();
	ldns_pkt *q = dns_msg_query_new(cfg->zone, LDNS_RR_TYPE_SOA);
	if (q == NULL) {
		return DF_ENOMEM;
	}
	int ret = exchange(bp, q, &ans, d);
	ldns_pkt_free(q);
	if (ret == DF_ETIMEDOUT || ret == DF_ECONNREFUSED || ret == DF_ENETWORK) {
		provider_report(fn, arg, false, "DNS server %s reachable: %s", server_of(bp),
				d->msg);
		goto out;
	}
	provider_report(fn, arg, true, "DNS server %s%s reachable (answered in %lld ms)",
			server_of(bp), bp->from_mname ? " (primary from the SOA MNAME)" : "",
			(long long)(clock_mono_ms() - start));
	if (ret != DF_OK) {
		provider_report(fn, arg, false, "%s (%s) accepted: %s", who(bp), alg_name(bp),
				d->msg);
		goto out;
	}
	ret = check_query_answer(bp, &ans, cfg->zone, "SOA", d);
	soa = ret == DF_OK ? dns_msg_answer_rrs(ans.pkt, cfg->zone, LDNS_RR_TYPE_SOA) : NULL;
	if (soa == NULL) {
		if (ret == DF_OK) {
			df_detail_set(d,
				      "DNS server %s has no SOA for %s: it does not serve zone %s",
				      server_of(bp), cfg->zone, cfg->zone);
			ret = DF_ENOENT;
		}
		provider_report(fn, arg, false, "zone %s served: %s", cfg->zone, d->msg);
		goto out;
	}
	provider_report(fn, arg, true, "zone %s served by %s (authoritative)", cfg->zone,
			server_of(bp));
	provider_report(fn, arg, true, "%s (%s) accepted for queries (signed answer verified)",
			who(bp), alg_name(bp));
	if (ans.has_server_time) {
		provider_report(fn, arg, llabs(ans.clock_skew) < 60,
				"clock skew against %s: %+lld s (TSIG allows 300 s)", server_of(bp),
				(long long)ans.clock_skew);
	}
	ret = prove_update(bp, fn, arg, d);
out:
	ldns_rr_list_deep_free(soa);
	dns_answer_deinit(&ans);
	return ret;
}

static void bind_free(provider_t *p)
{
	bind_provider_t *bp = bp_of(p);
	dns_client_free(bp->client);
	tsig_key_deinit(&bp->key);
#ifdef HAVE_GSSAPI
	gss_session_free(bp->gss);
#endif
	free(bp);
}

static const provider_ops_t bind_ops = {
	.id = "bind-tsig",
	.atomic_cas = true,
	.read = bind_read,
	.swap = bind_swap,
	.check = bind_check,
	.free = bind_free,
};

static int load_key(tsig_key_t *key, const config_t *cfg, df_detail_t *d)
{
	bool have = false;
	int ret = rfc2136_load_key(cfg, key, &have, d);
	if (ret != DF_OK || have) {
		return ret;
	}
	df_detail_set(d,
		      "DNS_PROVIDER=bind-tsig needs a TSIG key: set TSIG_KEYFILE to a key file "
		      "written by tsig-keygen (as for nsupdate -k), or TSIG_KEY=alg:name:secret");
	return DF_ECONFIG;
}

/* Finds the server (DNS_SERVER, or the zone's SOA MNAME) and opens the client. */
static int bind_connect(bind_provider_t *bp, const tsig_key_t *key, bool tcp_only, df_detail_t *d)
{
	return rfc2136_client_new(&bp->client, bp->base.cfg, key, tcp_only, bp->server,
				  sizeof(bp->server), &bp->from_mname, d);
}

static int bind_new(provider_t **out, const config_t *cfg, const provider_ops_t *ops,
		    int (*setup)(bind_provider_t *bp, df_detail_t *d), df_detail_t *d)
{
	bind_provider_t *bp = calloc(1, sizeof(*bp));
	if (bp == NULL) {
		return DF_ENOMEM;
	}
	bp->base.ops = ops;
	bp->base.cfg = cfg;
	int ret = setup(bp, d);
	if (ret != DF_OK) {
		bind_free(&bp->base);
		return ret;
	}
	*out = &bp->base;
	return DF_OK;
}

static int bind_setup(bind_provider_t *bp, df_detail_t *d)
{
	int ret = load_key(&bp->key, bp->base.cfg, d);
	return ret == DF_OK ? bind_connect(bp, &bp->key, false, d) : ret;
}

int provider_bind_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	return bind_new(out, cfg, &bind_ops, bind_setup, d);
}

#ifdef HAVE_GSSAPI
/*
 * validate for ad-gss: the Kerberos ticket, the context, then everything
 * bind-tsig proves (queries verified, the update allowed with no change).
 */
static int adgss_check(provider_t *p, provider_report_fn fn, void *arg, df_detail_t *d)
{
	bind_provider_t *bp = bp_of(p);
	char what[700];
	const tsig_key_t *key = NULL;
	int ret = gss_session_credentials(bp->gss, what, sizeof(what), d);
	if (ret != DF_OK) {
		provider_report(fn, arg, false, "Kerberos ticket acquired: %s", d->msg);
		return ret;
	}
	provider_report(fn, arg, true, "%s", what);
	ret = use_gss_key(bp, &key, d);
	if (ret != DF_OK) {
		provider_report(fn, arg, false, "GSS-TSIG context with %s for %s established: %s",
				server_of(bp), gss_session_service(bp->gss), d->msg);
		return ret;
	}
	provider_report(fn, arg, true,
			"GSS-TSIG context established with %s for %s (key %s, valid for %lld s)",
			server_of(bp), gss_session_service(bp->gss), key->name,
			(long long)gss_session_remaining(bp->gss));
	return bind_check(p, fn, arg, d);
}

static void adgss_key_state(provider_t *p, uint64_t *negotiations, int64_t *remaining)
{
	bind_provider_t *bp = bp_of(p);
	*negotiations = gss_session_negotiations(bp->gss);
	*remaining = gss_session_remaining(bp->gss);
}

static const provider_ops_t adgss_ops = {
	.id = "ad-gss",
	.atomic_cas = true,
	.read = bind_read,
	.swap = bind_swap,
	.check = adgss_check,
	.key_state = adgss_key_state,
	.free = bind_free,
};

/* The host part of a service principal: "DNS/ns1.example.com@R" -> ns1.example.com. */
static void service_host(const char *service, char *host, size_t size)
{
	const char *slash = strchr(service, '/');
	const char *start = slash != NULL ? slash + 1 : service;
	size_t n = strcspn(start, "@");
	snprintf(host, size, "%.*s", (int)n, start);
}

static int adgss_setup(bind_provider_t *bp, df_detail_t *d)
{
	const config_t *cfg = bp->base.cfg;
	const char *service = cfg->gss.service;
	char host[CONFIG_STR_MAX];
	struct in6_addr addr;

	if (cfg->tsig_keyfile[0] != '\0' || cfg->tsig_key[0] != '\0') {
		df_detail_set(d, "DNS_PROVIDER=ad-gss signs with Kerberos (GSS-TSIG): remove "
				 "TSIG_KEYFILE/TSIG_KEY, or use DNS_PROVIDER=bind-tsig");
		return DF_ECONFIG;
	}
	bool have_service = service[0] != '\0';
	if (!have_service && cfg->server[0] != '\0' &&
	    (inet_pton(AF_INET, cfg->server, &addr) == 1 ||
	     inet_pton(AF_INET6, cfg->server, &addr) == 1)) {
		df_detail_set(d,
			      "DNS_SERVER=%s is an address: Kerberos needs the server's host "
			      "name; set DNS_SERVER to the domain controller's name, or "
			      "GSS_SERVICE=DNS/<its host name> (never taken from reverse DNS)",
			      cfg->server);
		return DF_ECONFIG;
	}
	int ret = bind_connect(bp, NULL, true, d);
	if (ret != DF_OK) {
		return ret;
	}
	if (have_service) {
		service_host(service, host, sizeof(host));
	} else {
		snprintf(host, sizeof(host), "%s", bp->server);
	}
	gss_session_opts_t o = {
		.server_host = host,
		.service = service,
		.keytab = cfg->gss.keytab,
		.principal = cfg->gss.principal,
		.spnego = cfg->gss.mech == CONFIG_GSS_SPNEGO,
		.alg = cfg->gss.alg == CONFIG_GSS_MICROSOFT ? "gss.microsoft.com" : "gss-tsig",
	};
	return gss_session_new(&bp->gss, &o, d);
}

int provider_adgss_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	return bind_new(out, cfg, &adgss_ops, adgss_setup, d);
}
#endif
