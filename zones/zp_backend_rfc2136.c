/*
 * The RFC 2136 backend: any primary that takes signed UPDATEs (BIND, Knot,
 * Windows DNS) without file access, with a TSIG key or GSS-TSIG. A write
 * reads the zone's current content with a signed AXFR over TCP through the
 * project's DNS client (which verifies the answer's signature), and sends
 * the difference: the records to delete and the records to add (a TTL
 * change is an add). The SOA is sent when its RDATA differs; the server
 * keeps the higher serial.
 * RFC 2136 cannot create or remove a zone: the zone must exist on the
 * primary, and a delete empties it down to its SOA and apex NS.
 *
 * The AXFR must fit one message (64 KiB, a few hundred records: every
 * DirectAdmin zone); a longer one is refused with a message saying so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/log.h"
#include "src/dns/dns_client.h"
#include "src/dns/dns_msg.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"
#include "zones/zp_backend.h"
#ifdef HAVE_GSSAPI
#include "gss/gss_session.h"
#include "src/dns/dns_tkey.h"
#endif

#define RDATA_MAX  65535
#define UPDATE_RRS 200 /* records per UPDATE message */

typedef struct r_be {
	char server[256];
	uint16_t port;
	tsig_key_t key;
	bool have_key;
	char who[300];
	dns_client_t *client;
	int timeout_ms;
#ifdef HAVE_GSSAPI
	struct gss_session *gss; /* GSS-TSIG: negotiated keys; NULL with a TSIG key */
#endif
} r_be_t;

/*
 * One signed exchange. With GSS-TSIG the session's key is negotiated (TKEY)
 * when there is none or it expired; an unsigned BADKEY means the server lost
 * our context, so the message goes once more under a new one.
 */
static int exchange(r_be_t *be, const ldns_pkt *q, dns_answer_t *ans, df_detail_t *d)
{
	int ret = DF_EINVAL;
	for (int round = 0; round < 2; round++) {
#ifdef HAVE_GSSAPI
		if (be->gss != NULL) {
			const tsig_key_t *key = NULL;
			ret = dns_tkey_session_key(be->gss, dns_client_endpoint(be->client),
						   be->timeout_ms, &key, NULL, d);
			if (ret != DF_OK) {
				return ret;
			}
			dns_client_set_key(be->client, key);
		}
#endif
		ret = dns_client_exchange(be->client, q, ans, d);
#ifdef HAVE_GSSAPI
		if (be->gss != NULL && round == 0 && ret == DF_ETSIG_UNSIGNED &&
		    ans->tsig_error == TSIG_BADKEY) {
			log_info("GSS-TSIG: %s no longer knows our key (BADKEY): negotiating a new "
				 "context",
				 dns_client_server(be->client));
			gss_session_drop(be->gss);
			dns_answer_deinit(ans);
			continue;
		}
#endif
		break;
	}
	return ret;
}

/* The zone's records on the server (the closing SOA left out). */
static int axfr(r_be_t *be, const char *zone, ldns_rr_list **out, df_detail_t *d)
{
	char abs[260];
	snprintf(abs, sizeof(abs), "%s.", zone);
	ldns_pkt *q = dns_msg_query_new(abs, LDNS_RR_TYPE_AXFR);
	if (q == NULL) {
		return DF_ENOMEM;
	}
	dns_answer_t ans = {0};
	int ret = exchange(be, q, &ans, d);
	ldns_pkt_free(q);
	if (ret != DF_OK) {
		df_detail_prefix(d, "AXFR %s from %s", zone, dns_client_server(be->client));
		return ret;
	}
	if (ans.rcode != LDNS_RCODE_NOERROR) {
		df_detail_set(d,
			      "AXFR %s from %s: answered rcode %d (the zone must exist on the "
			      "primary, and allow-transfer must allow %s)",
			      zone, dns_client_server(be->client), ans.rcode, be->who);
		dns_answer_deinit(&ans);
		return DF_ERCODE;
	}
	ldns_rr_list *an = ldns_pkt_answer(ans.pkt);
	size_t n = an != NULL ? ldns_rr_list_rr_count(an) : 0;
	if (n < 2 || ldns_rr_get_type(ldns_rr_list_rr(an, 0)) != LDNS_RR_TYPE_SOA) {
		df_detail_set(d, "AXFR %s from %s: no zone in the answer", zone,
			      dns_client_server(be->client));
		dns_answer_deinit(&ans);
		return DF_EMALFORMED;
	}
	if (ldns_rr_get_type(ldns_rr_list_rr(an, n - 1)) != LDNS_RR_TYPE_SOA) {
		df_detail_set(d,
			      "AXFR %s from %s: the zone takes more than one message; this "
			      "backend handles zones of up to 64 KiB",
			      zone, dns_client_server(be->client));
		dns_answer_deinit(&ans);
		return DF_ENOSPACE;
	}
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; l != NULL && i + 1 < n; i++) {
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(an, i));
		if (rr == NULL || !ldns_rr_list_push_rr(l, rr)) {
			ldns_rr_free(rr);
			ldns_rr_list_deep_free(l);
			l = NULL;
		} else {
			ldns_dname2canonical(ldns_rr_owner(rr));
		}
	}
	dns_answer_deinit(&ans);
	if (l == NULL) {
		return DF_ENOMEM;
	}
	*out = l;
	return DF_OK;
}

/* Whether list holds rr (same owner, type, RDATA; and TTL when ttl). */
static bool holds(const ldns_rr_list *list, const ldns_rr *rr, bool ttl)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *x = ldns_rr_list_rr(list, i);
		if (ldns_rr_compare(x, rr) == 0 && (!ttl || ldns_rr_ttl(x) == ldns_rr_ttl(rr))) {
			return true;
		}
	}
	return false;
}

/* Records a signing primary maintains itself. */
static bool is_dnssec(ldns_rr_type t)
{
	return t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3 ||
	       t == LDNS_RR_TYPE_NSEC3PARAM || t == LDNS_RR_TYPE_DNSKEY || t == LDNS_RR_TYPE_CDS ||
	       t == LDNS_RR_TYPE_CDNSKEY;
}

static bool is_apex_ns(const ldns_rr *rr, const ldns_rdf *apex)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
	       ldns_dname_compare(ldns_rr_owner(rr), apex) == 0;
}

/* One UPDATE RR: an add (IN, ttl) or a delete of one RR (NONE). */
static ldns_rr *update_rr(const ldns_rr *rr, bool add)
{
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	uint8_t *rdata = malloc(RDATA_MAX);
	ldns_rr *u = NULL;
	size_t len = rdata != NULL ? dns_rr_rdata(rr, rdata, RDATA_MAX) : 0;
	if (owner != NULL && (len > 0 || ldns_rr_rd_count(rr) == 0)) {
		u = add ? dns_rr_add(owner, ldns_rr_get_type(rr), ldns_rr_ttl(rr), rdata, len)
			: dns_rr_delete_rr(owner, ldns_rr_get_type(rr), rdata, len);
	}
	free(owner);
	free(rdata);
	return u;
}

/* Sends ups (owned, freed here) in UPDATE messages of at most UPDATE_RRS. */
static int send_updates(r_be_t *be, const char *zone, ldns_rr_list *ups, df_detail_t *d)
{
	char abs[260];
	snprintf(abs, sizeof(abs), "%s.", zone);
	size_t n = ldns_rr_list_rr_count(ups);
	int ret = DF_OK;
	for (size_t at = 0; ret == DF_OK && at < n; at += UPDATE_RRS) {
		ldns_rr_list *part = ldns_rr_list_new();
		for (size_t i = at; part != NULL && i < n && i < at + UPDATE_RRS; i++) {
			ldns_rr_list_push_rr(part, ldns_rr_list_rr(ups, i));
		}
		ldns_pkt *pkt = part != NULL ? dns_msg_update_new(abs, NULL, part) : NULL;
		ldns_rr_list_free(part); /* the RRs stay in ups */
		if (pkt == NULL) {
			ret = DF_ENOMEM;
			break;
		}
		dns_answer_t ans = {0};
		ret = exchange(be, pkt, &ans, d);
		ldns_pkt_free(pkt);
		if (ret != DF_OK) {
			df_detail_prefix(d, "UPDATE %s at %s", zone, dns_client_server(be->client));
		} else if (ans.rcode != LDNS_RCODE_NOERROR) {
			dns_explain_update_rcode(d, ans.rcode, dns_client_server(be->client),
						 be->who, zone, zone);
			ret = DF_ERCODE;
		}
		dns_answer_deinit(&ans);
	}
	ldns_rr_list_deep_free(ups);
	return ret;
}

static int r_write(zp_backend_t *b, const zp_zone_t *z, df_detail_t *d)
{
	r_be_t *be = b->priv;
	ldns_rr_list *cur = NULL;
	int ret = axfr(be, z->name, &cur, d);
	if (ret != DF_OK) {
		return ret;
	}
	ldns_rr_list *ups = ldns_rr_list_new();
	bool ok = ups != NULL;
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(cur); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(cur, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (t == LDNS_RR_TYPE_SOA || is_dnssec(t) || holds(z->rrs, rr, false)) {
			continue;
		}
		ldns_rr *u = update_rr(rr, false);
		ok = u != NULL && ldns_rr_list_push_rr(ups, u);
	}
	for (size_t i = 0; ok && i < zp_zone_count(z); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		if (holds(cur, rr, true)) {
			continue;
		}
		ldns_rr *u = update_rr(rr, true);
		ok = u != NULL && ldns_rr_list_push_rr(ups, u);
	}
	ldns_rr_list_deep_free(cur);
	if (!ok) {
		ldns_rr_list_deep_free(ups);
		return DF_ENOMEM;
	}
	return send_updates(be, z->name, ups, d);
}

static int r_delete(zp_backend_t *b, const char *zone, df_detail_t *d)
{
	r_be_t *be = b->priv;
	ldns_rr_list *cur = NULL;
	int ret = axfr(be, zone, &cur, d);
	if (ret == DF_ERCODE) {
		return DF_OK; /* no such zone there: nothing to delete */
	}
	if (ret != DF_OK) {
		return ret;
	}
	char abs[260];
	snprintf(abs, sizeof(abs), "%s.", zone);
	ldns_rdf *apex = ldns_dname_new_frm_str(abs);
	ldns_rr_list *ups = ldns_rr_list_new();
	bool ok = ups != NULL && apex != NULL;
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(cur); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(cur, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA || is_dnssec(ldns_rr_get_type(rr)) ||
		    is_apex_ns(rr, apex)) {
			continue;
		}
		ldns_rr *u = update_rr(rr, false);
		ok = u != NULL && ldns_rr_list_push_rr(ups, u);
	}
	ldns_rr_list_deep_free(cur);
	ldns_rdf_deep_free(apex);
	if (!ok) {
		ldns_rr_list_deep_free(ups);
		return DF_ENOMEM;
	}
	return send_updates(be, zone, ups, d);
}

static int r_count(zp_backend_t *b, const char *zone, size_t *n, df_detail_t *d)
{
	r_be_t *be = b->priv;
	ldns_rr_list *cur = NULL;
	int ret = axfr(be, zone, &cur, d);
	if (ret == DF_OK) {
		/* What a signing primary adds is not ours to count. */
		*n = 0;
		for (size_t i = 0; i < ldns_rr_list_rr_count(cur); i++) {
			*n += !is_dnssec(ldns_rr_get_type(ldns_rr_list_rr(cur, i)));
		}
		ldns_rr_list_deep_free(cur);
	}
	return ret;
}

static void r_destroy(zp_backend_t *b)
{
	r_be_t *be = b->priv;
	if (be == NULL) {
		return;
	}
	dns_client_free(be->client);
	tsig_key_deinit(&be->key);
#ifdef HAVE_GSSAPI
	gss_session_free(be->gss);
#endif
	free(be);
}

static const zp_backend_ops_t RFC2136_OPS = {
	.type = "rfc2136",
	.write_zone = r_write,
	.delete_zone = r_delete,
	.commit = NULL,
	.list_zones = NULL,
	.count_records = r_count,
	.destroy = r_destroy,
};

int zp_backend_rfc2136_create(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d)
{
	r_be_t *be = calloc(1, sizeof(*be));
	if (be == NULL) {
		return DF_ENOMEM;
	}
	b->priv = be;
	b->ops = &RFC2136_OPS;
	const char *server = zp_kv_get(c, "server", NULL);
	if (server == NULL || server[0] == '\0') {
		df_detail_set(d, "%s:%d: backend %s: server is required (the primary's address)",
			      c->file, c->line, c->name);
		return DF_ECONFIG;
	}
	snprintf(be->server, sizeof(be->server), "%s", server);
	unsigned port, timeout, retries;
	int ret = zp_kv_uint(c, "port", 53, 1, 65535, &port, d);
	if (ret == DF_OK) {
		ret = zp_kv_uint(c, "timeout", 5, 1, 120, &timeout, d);
	}
	if (ret == DF_OK) {
		ret = zp_kv_uint(c, "retries", 1, 0, 10, &retries, d);
	}
	if (ret != DF_OK) {
		return ret;
	}
	be->port = (uint16_t)port;
	const char *keyfile = zp_kv_get(c, "key_file", NULL);
	const char *keyname = zp_kv_get(c, "key_name", NULL);
	snprintf(be->who, sizeof(be->who), "no key");
	if (keyfile != NULL && keyfile[0] != '\0') {
		ret = tsig_keyfile_load(&be->key, keyfile, keyname, d);
		if (ret != DF_OK) {
			df_detail_prefix(d, "%s:%d: backend %s: key_file", c->file, c->line,
					 c->name);
			return ret;
		}
		be->have_key = true;
		snprintf(be->who, sizeof(be->who), "key %s", be->key.name);
	}
	const char *keytab = zp_kv_get(c, "gss_keytab", NULL);
	const char *principal = zp_kv_get(c, "gss_principal", NULL);
	const char *service = zp_kv_get(c, "gss_service", NULL);
	const char *mech = zp_kv_get(c, "gss_mech", "krb5");
	bool gss = (keytab != NULL && keytab[0] != '\0') || (service != NULL && service[0] != '\0');
	(void)principal; /* used only in a build with GSSAPI */
	if (gss && be->have_key) {
		df_detail_set(d, "%s:%d: backend %s: key_file or GSS-TSIG (gss_*), not both",
			      c->file, c->line, c->name);
		return DF_ECONFIG;
	}
	if (strcmp(mech, "krb5") != 0 && strcmp(mech, "spnego") != 0) {
		df_detail_set(d, "%s:%d: backend %s: gss_mech is krb5 or spnego", c->file, c->line,
			      c->name);
		return DF_ECONFIG;
	}
	be->timeout_ms = (int)timeout * 1000;
	if (gss) {
#ifdef HAVE_GSSAPI
		/* The key names and the default SPN use the server's host name:
		 * the host part of gss_service ("DNS/host@REALM"), else server. */
		char host[256];
		const char *start = service != NULL ? strchr(service, '/') : NULL;
		start = start != NULL ? start + 1 : (service != NULL ? service : be->server);
		snprintf(host, sizeof(host), "%.*s", (int)strcspn(start, "@"), start);
		gss_session_opts_t go = {
			.server_host = host,
			.service = service,
			.keytab = keytab,
			.principal = principal,
			.spnego = strcmp(mech, "spnego") == 0,
			.alg = "gss-tsig",
		};
		ret = gss_session_new(&be->gss, &go, d);
		if (ret != DF_OK) {
			df_detail_prefix(d, "%s:%d: backend %s", c->file, c->line, c->name);
			return ret;
		}
		snprintf(be->who, sizeof(be->who), "principal %s", gss_session_principal(be->gss));
#else
		df_detail_set(d,
			      "%s:%d: backend %s: GSS-TSIG needs a build with MIT Kerberos "
			      "(configure --with-gssapi)",
			      c->file, c->line, c->name);
		return DF_ECONFIG;
#endif
	}
	dns_client_opts_t opts = {
		.server = be->server,
		.port = be->port,
		.timeout_ms = (int)timeout * 1000,
		.retries = (int)retries,
		.key = be->have_key ? &be->key : NULL,
		.tcp_only = true,
	};
	ret = dns_client_new(&be->client, &opts, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "%s:%d: backend %s: server", c->file, c->line, c->name);
	}
	return ret;
}
