#include "src/dns/dns_client.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/clock.h"
#include "src/dns/dns_msg.h"
#include "src/dns/dns_transport.h"
#include "src/common/log.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"
#include "tsig/tsig_sign.h"

#define DNS_MAX_MSG   65535
#define UDP_SAFE_SIZE 512 /* no EDNS: a longer query may not go over UDP */
#define HDR	      12

struct dns_client {
	dns_endpoint_t ep;
	int timeout_ms;
	int retries;
	int64_t deadline_ms;
	const tsig_key_t *key;
	bool tcp_only;
	uint8_t buf[DNS_MAX_MSG];
	uint8_t ans[DNS_MAX_MSG];
};

int dns_client_new(dns_client_t **out, const dns_client_opts_t *opts, df_detail_t *d)
{
	if (out == NULL || opts == NULL || opts->server == NULL) {
		return DF_EINVAL;
	}
	dns_client_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return DF_ENOMEM;
	}
	int ret = dns_endpoint_init(&c->ep, opts->server, opts->port, d);
	if (ret != DF_OK) {
		free(c);
		return ret;
	}
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 3000;
	c->retries = opts->retries >= 0 ? opts->retries : 0;
	c->key = opts->key;
	c->tcp_only = opts->tcp_only;
	*out = c;
	return DF_OK;
}

void dns_client_free(dns_client_t *c)
{
	free(c);
}

void dns_client_set_deadline(dns_client_t *c, int64_t deadline_ms)
{
	c->deadline_ms = deadline_ms;
}

const dns_endpoint_t *dns_client_endpoint(const dns_client_t *c)
{
	return &c->ep;
}

void dns_client_set_key(dns_client_t *c, const tsig_key_t *key)
{
	c->key = key;
}

/* This attempt's timeout: the configured one, cut to the deadline. */
int dns_client_attempt_timeout(const dns_client_t *c)
{
	if (c->deadline_ms <= 0) {
		return c->timeout_ms;
	}
	int64_t left = c->deadline_ms - clock_mono_ms();
	if (left <= 0) {
		return 0;
	}
	return left < c->timeout_ms ? (int)left : c->timeout_ms;
}

const char *dns_client_server(const dns_client_t *c)
{
	return c->ep.label;
}

void dns_answer_deinit(dns_answer_t *ans)
{
	if (ans != NULL) {
		ldns_pkt_free(ans->pkt);
		memset(ans, 0, sizeof(*ans));
	}
}

/* Length of the question section of a message (the zone section of an UPDATE). */
static size_t question_len(const uint8_t *msg, size_t len)
{
	uint16_t qdcount = (uint16_t)(msg[4] << 8 | msg[5]);
	size_t pos = HDR;
	for (uint16_t i = 0; i < qdcount; i++) {
		while (pos < len && msg[pos] != 0) {
			if ((msg[pos] & 0xc0) != 0) {
				return 0; /* our own queries never compress the question */
			}
			pos += 1 + msg[pos];
		}
		pos += 1 + 4;
		if (pos > len) {
			return 0;
		}
	}
	return pos - HDR;
}

/* One attempt's view of what came back. */
typedef struct attempt {
	const dns_client_t *c;
	const uint8_t *query;
	size_t query_len;
	size_t qsection_len;
	tsig_request_t req;
	bool tcp;
	int timeout_ms; /* what this attempt waited; 0: not sent, no time was left */
	/* Outcome of the accepted message. */
	int status;
	bool truncated;
	tsig_result_t tsig;
	/* Messages ignored while waiting (stray, forged or broken). */
	int ignored;
	char ignored_why[160];
} attempt_t;

static void ignore(attempt_t *a, const char *why)
{
	a->ignored++;
	snprintf(a->ignored_why, sizeof(a->ignored_why), "%s", why);
	log_debug("DNS: ignored a message from %s (%s)", a->c->ep.label, why);
}

/*
 * Decides whether msg answers our query. Anything that does not match (short,
 * wrong ID, wrong question, bad signature) is ignored and we keep listening,
 * so a stray or forged datagram cannot end the exchange; an answer that
 * matches but is an unsigned error ends it with that status.
 */
static bool accept_answer(void *arg, const uint8_t *msg, size_t len)
{
	attempt_t *a = arg;
	if (len < HDR) {
		ignore(a, "shorter than a DNS header");
		return false;
	}
	if (msg[0] != a->query[0] || msg[1] != a->query[1]) {
		ignore(a, "wrong message ID");
		return false;
	}
	if ((msg[2] & 0x80) == 0 || (msg[2] & 0x78) != (a->query[2] & 0x78)) {
		ignore(a, "not a response to our opcode");
		return false;
	}
	if (len < HDR + a->qsection_len || msg[4] != a->query[4] || msg[5] != a->query[5]) {
		ignore(a, "question section does not match");
		return false;
	}
	for (size_t i = 0; i < a->qsection_len; i++) {
		if (tolower(msg[HDR + i]) != tolower(a->query[HDR + i])) {
			ignore(a, "question section does not match");
			return false;
		}
	}
	if (!a->tcp && (msg[2] & 0x02) != 0) {
		/* Truncated: the caller retries over TCP with a new signature. */
		a->truncated = true;
		a->status = DF_OK;
		return true;
	}
	if (a->c->key == NULL) {
		a->status = DF_OK;
		a->tsig.unsigned_len = len;
		return true;
	}
	int ret = tsig_verify_answer(a->c->key, msg, len, &a->req, clock_wall(), &a->tsig);
	switch (ret) {
	case DF_OK:
	case DF_ETSIG_UNSIGNED:
	case DF_ETSIG_MISSING:
	case DF_ETSIG_BADTIME:
		/* What a real server sends: take it, the caller explains it. */
		a->status = ret;
		return true;
	default:
		ignore(a, df_strerror(ret));
		a->status = ret;
		return false;
	}
}

/* Renders query with a new ID and signs it; a->query points into c->buf. */
static int prepare(dns_client_t *c, const ldns_pkt *query, attempt_t *a)
{
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt *copy = ldns_pkt_clone(query);
	if (copy == NULL) {
		return DF_ENOMEM;
	}
	ldns_pkt_set_id(copy, dns_random_id());
	int ret = dns_msg_render(copy, &wire, &len);
	ldns_pkt_free(copy);
	if (ret != DF_OK) {
		return ret;
	}
	if (len > sizeof(c->buf)) {
		free(wire);
		return DF_ENOSPACE;
	}
	memcpy(c->buf, wire, len);
	free(wire);
	if (c->key != NULL) {
		ret = tsig_sign_request(c->key, c->buf, &len, sizeof(c->buf),
					(uint64_t)clock_wall(), TSIG_FUDGE_DEFAULT, &a->req);
		if (ret != DF_OK) {
			return ret;
		}
	}
	a->c = c;
	a->query = c->buf;
	a->query_len = len;
	a->qsection_len = question_len(c->buf, len);
	return DF_OK;
}

/*
 * The largest message we send over UDP: 512 bytes (RFC 1035 section 4.2.1),
 * or the payload size the query advertises in EDNS (RFC 6891 section 6.2.5).
 */
static size_t udp_limit(const ldns_pkt *query)
{
	size_t edns = ldns_pkt_edns(query) ? ldns_pkt_edns_udp_size(query) : 0;
	return edns > UDP_SAFE_SIZE ? edns : UDP_SAFE_SIZE;
}

/*
 * One attempt over one transport. A message that does not fit a datagram
 * goes over TCP only: sent over UDP as well, it would reach the server
 * twice, and an UPDATE applied by the first copy fails its prerequisite in
 * the second.
 */
static int attempt_once(dns_client_t *c, const ldns_pkt *query, bool tcp, attempt_t *a,
			size_t *ans_len, df_detail_t *d)
{
	memset(a, 0, sizeof(*a));
	int ret = prepare(c, query, a);
	if (ret != DF_OK) {
		return ret;
	}
	if (!tcp && a->query_len > udp_limit(query)) {
		log_debug("DNS: %zu-byte message to %s does not fit a UDP datagram, sending it "
			  "over TCP",
			  a->query_len, c->ep.label);
		tcp = true;
	}
	a->tcp = tcp;
	a->status = DF_ETIMEDOUT;
	int timeout_ms = dns_client_attempt_timeout(c);
	if (timeout_ms <= 0) {
		return DF_ETIMEDOUT;
	}
	a->timeout_ms = timeout_ms;
	if (tcp) {
		ret = dns_transport_tcp(&c->ep, a->query, a->query_len, c->ans, sizeof(c->ans),
					ans_len, timeout_ms, accept_answer, a, d);
		if (ret == DF_EMISMATCH) {
			/* TCP has no strays: what came back is the answer, and it is bad. */
			ret = a->status != DF_ETIMEDOUT && a->status != DF_OK ? a->status
									      : DF_EMALFORMED;
		}
	} else {
		ret = dns_transport_udp(&c->ep, a->query, a->query_len, c->ans, sizeof(c->ans),
					ans_len, timeout_ms, accept_answer, a, d);
	}
	if (ret != DF_OK) {
		return ret;
	}
	return a->status;
}

static const char *alg_name(const dns_client_t *c)
{
	return c->key != NULL && c->key->alg != NULL ? c->key->alg->name : "none";
}

/* How the attempts of one exchange went out. */
typedef struct tries {
	int sent;      /* attempts that sent the query */
	bool deadline; /* the deadline cut an attempt short or left no time for one */
} tries_t;

/* Says what a failed attempt means and what to do about it. */
static void explain(dns_client_t *c, int ret, const attempt_t *a, const tries_t *t,
		    const char *rcode_name, df_detail_t *d)
{
	const char *server = c->ep.label;
	const char *key = c->key != NULL ? c->key->name : "";
	switch (ret) {
	case DF_ETIMEDOUT:
		if (t->sent == 0) {
			df_detail_set(d,
				      "no query was sent to DNS server %s: no time was left before "
				      "the deadline (0 of %d attempts sent)",
				      server, c->retries + 1);
		} else if (t->deadline && a->ignored > 0) {
			df_detail_set(
				d,
				"no valid answer from DNS server %s before the deadline (%d of "
				"%d attempts sent, timeout %d ms cut to the time left; ignored "
				"%d message(s), last: %s)",
				server, t->sent, c->retries + 1, c->timeout_ms, a->ignored,
				a->ignored_why);
		} else if (t->deadline) {
			df_detail_set(d,
				      "DNS server %s did not answer before the deadline (%d of %d "
				      "attempts sent, timeout %d ms cut to the time left)",
				      server, t->sent, c->retries + 1, c->timeout_ms);
		} else if (a->ignored > 0) {
			df_detail_set(
				d,
				"no valid answer from DNS server %s within %d ms x %d attempts "
				"(ignored %d message(s), last: %s)",
				server, c->timeout_ms, c->retries + 1, a->ignored, a->ignored_why);
		} else {
			df_detail_set(
				d,
				"DNS server %s did not answer within %d ms x %d attempts "
				"(is it running and reachable? check DNS_SERVER and DNS_PORT)",
				server, c->timeout_ms, c->retries + 1);
		}
		break;
	case DF_ECONNREFUSED:
		df_detail_set(d,
			      "DNS server %s refused the connection: nothing listens there "
			      "(check DNS_SERVER and DNS_PORT, and that named is running)",
			      server);
		break;
	case DF_ETSIG_UNSIGNED:
		if (a->tsig.error == TSIG_BADKEY && c->key != NULL && c->key->alg->negotiated) {
			df_detail_set(d,
				      "DNS server %s answered %s/BADKEY: it does not know the "
				      "GSS-TSIG key '%s' (the server restarted or dropped the "
				      "context); the answer was unsigned, so nothing was changed",
				      server, rcode_name, key);
		} else if (a->tsig.error == TSIG_BADKEY) {
			df_detail_set(d,
				      "DNS server %s answered %s/BADKEY: it does not know key '%s' "
				      "with algorithm %s (compare the key statement in named.conf "
				      "with TSIG_KEYFILE/TSIG_KEY); the answer was unsigned, so "
				      "nothing was changed or decided",
				      server, rcode_name, key, alg_name(c));
		} else if (a->tsig.error == TSIG_BADSIG) {
			df_detail_set(d,
				      "DNS server %s answered %s/BADSIG: it could not verify our "
				      "signature with key '%s' (%s): the secret differs from the "
				      "server's; the answer was unsigned, so nothing was decided",
				      server, rcode_name, key, alg_name(c));
		} else {
			df_detail_set(d,
				      "DNS server %s answered %s with TSIG error %s and no "
				      "signature: it cannot be trusted, nothing was decided",
				      server, rcode_name, tsig_rcode_name(a->tsig.error));
		}
		break;
	case DF_ETSIG_MISSING:
		df_detail_set(d,
			      "DNS server %s answered %s without a TSIG signature to a query "
			      "signed with key '%s': the answer cannot be trusted (is the key "
			      "configured on that server?)",
			      server, rcode_name, key);
		break;
	case DF_ETSIG_BADTIME:
		if (a->tsig.error == TSIG_BADTIME) {
			int64_t skew = (int64_t)a->tsig.server_time - (int64_t)a->req.time_signed;
			df_detail_set(
				d,
				"DNS server %s rejected our signature as BADTIME: its clock "
				"reads %llu, ours %llu (skew %+lld s, fudge %u s): fix NTP on "
				"this host or the server",
				server, (unsigned long long)a->tsig.server_time,
				(unsigned long long)a->req.time_signed, (long long)skew,
				a->tsig.fudge);
		} else {
			df_detail_set(d,
				      "answer from DNS server %s was signed at %llu, outside %u s "
				      "of our clock (%lld): fix NTP on this host or the server",
				      server, (unsigned long long)a->tsig.time_signed,
				      a->tsig.fudge, (long long)clock_wall());
		}
		break;
	case DF_ETSIG_BADMAC:
	case DF_ETSIG_MISMATCH:
		df_detail_set(d,
			      "the answer from DNS server %s failed TSIG verification with key "
			      "'%s' (%s): %s; it was ignored",
			      server, key, alg_name(c), df_strerror(ret));
		break;
	case DF_EMALFORMED:
		if (d != NULL && d->msg[0] == '\0') {
			df_detail_set(d, "DNS server %s sent a malformed answer", server);
		}
		break;
	default:
		if (d != NULL && d->msg[0] == '\0') {
			df_detail_set(d, "exchange with DNS server %s failed: %s", server,
				      df_strerror(ret));
		}
		break;
	}
}

/* Parses the accepted answer, without its TSIG RR, into ans. */
static int parse_answer(dns_client_t *c, const attempt_t *a, size_t len, dns_answer_t *ans,
			df_detail_t *d)
{
	size_t plain = c->key != NULL ? a->tsig.unsigned_len : len;
	if (plain < HDR || plain > len) {
		return DF_EMALFORMED;
	}
	if (c->key != NULL) {
		/* The TSIG RR is gone from the bytes; ARCOUNT must say so too. */
		uint16_t arcount = (uint16_t)(c->ans[10] << 8 | c->ans[11]);
		if (arcount == 0) {
			return DF_EMALFORMED;
		}
		arcount--;
		c->ans[10] = (uint8_t)(arcount >> 8);
		c->ans[11] = (uint8_t)arcount;
	}
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, c->ans, plain) != LDNS_STATUS_OK) {
		df_detail_set(d, "DNS server %s sent an answer that does not parse", c->ep.label);
		return DF_EMALFORMED;
	}
	ans->pkt = pkt;
	ans->rcode = ldns_pkt_get_rcode(pkt);
	ans->used_tcp = a->tcp;
	return DF_OK;
}

static const char *rcode_name_of(uint8_t rcode)
{
	ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);
	return lt != NULL ? lt->name : "RCODE?";
}

int dns_client_exchange(dns_client_t *c, const ldns_pkt *query, dns_answer_t *ans, df_detail_t *d)
{
	if (c == NULL || query == NULL || ans == NULL) {
		return DF_EINVAL;
	}
	memset(ans, 0, sizeof(*ans));
	attempt_t a = {0};
	tries_t t = {0};
	size_t len = 0;
	int ret = DF_ETIMEDOUT;
	int attempts = 0;
	for (int i = 0; i <= c->retries; i++) {
		attempts = i + 1;
		if (d != NULL) {
			d->msg[0] = '\0';
		}
		/* Signed queries never get cut: one that may not fit a plain
		 * UDP datagram goes over TCP straight away (RFC 8945 5.1). */
		ret = attempt_once(c, query, c->tcp_only, &a, &len, d);
		bool sent = a.timeout_ms > 0;
		t.deadline |= a.timeout_ms < c->timeout_ms;
		if (ret == DF_OK && a.truncated) {
			log_debug("DNS: answer from %s truncated, retrying over TCP", c->ep.label);
			ret = attempt_once(c, query, true, &a, &len, d);
			t.deadline |= a.timeout_ms < c->timeout_ms;
		}
		t.sent += sent;
		if (ret == DF_ETIMEDOUT && a.timeout_ms == 0) {
			break; /* no time left for this attempt, nor for the next */
		}
		if (a.tsig.mac_len > 0 || a.tsig.has_server_time) {
			uint64_t server =
				a.tsig.has_server_time ? a.tsig.server_time : a.tsig.time_signed;
			ans->has_server_time = true;
			ans->clock_skew = (int64_t)server - clock_wall();
		}
		if (ret == DF_OK && a.tsig.error == TSIG_BADTIME) {
			ret = DF_ETSIG_BADTIME;
		}
		/* Silence and lost packets are worth another try, each signed
		 * afresh; an answer the server really sent is not. */
		if (ret != DF_ETIMEDOUT && ret != DF_ENETWORK && ret != DF_ETSIG_BADMAC &&
		    ret != DF_ETSIG_MISMATCH && ret != DF_ECONNREFUSED) {
			break;
		}
		log_debug("DNS: attempt %d/%d to %s failed: %s", i + 1, c->retries + 1, c->ep.label,
			  df_strerror(ret));
	}
	if (ret == DF_OK) {
		ans->verified = c->key != NULL;
		ans->attempts = attempts;
		ans->tsig_error = a.tsig.error;
		return parse_answer(c, &a, len, ans, d);
	}
	uint8_t rcode = len >= HDR ? (c->ans[3] & 0x0f) : 0;
	ans->tsig_error = a.tsig.error;
	explain(c, ret, &a, &t, rcode_name_of(rcode), d);
	return ret;
}

void dns_explain_update_rcode(df_detail_t *d, int rcode, const char *server, const char *who,
			      const char *zone, const char *record)
{
	const char *key = who != NULL && who[0] != '\0' ? who : "no key";
	switch (rcode) {
	case LDNS_RCODE_REFUSED:
		df_detail_set(d,
			      "DNS server %s REFUSED the update: check allow-update / "
			      "update-policy for %s on zone %s (it must grant %s A and TXT)",
			      server, key, zone, record);
		break;
	case LDNS_RCODE_NOTZONE:
		df_detail_set(d,
			      "DNS server %s answered NOTZONE: record %s is not inside zone %s "
			      "(check DNS_RECORD and DNS_ZONE)",
			      server, record, zone);
		break;
	case LDNS_RCODE_NOTAUTH:
		df_detail_set(d,
			      "DNS server %s answered NOTAUTH: it is not authoritative for zone %s "
			      "(check DNS_ZONE, and that DNS_SERVER is the zone's primary)",
			      server, zone);
		break;
	case LDNS_RCODE_FORMERR:
		df_detail_set(d,
			      "DNS server %s answered FORMERR to our update of %s: the message was "
			      "malformed (a bug in dnsfailover: please report it with the log)",
			      server, record);
		break;
	case LDNS_RCODE_SERVFAIL:
		df_detail_set(
			d,
			"DNS server %s answered SERVFAIL for zone %s: the outcome is unknown; "
			"the lease will be read again before any decision (check the server's "
			"log)",
			server, zone);
		break;
	case LDNS_RCODE_NOTIMPL:
		df_detail_set(d, "DNS server %s does not implement dynamic updates (NOTIMP)",
			      server);
		break;
	default:
		df_detail_set(d, "DNS server %s answered %s to the update of %s in zone %s", server,
			      rcode_name_of((uint8_t)rcode), record, zone);
		break;
	}
}

int dns_find_primary(const char *zone, const char *resolver, uint16_t port, int timeout_ms,
		     char *primary, size_t size, df_detail_t *d)
{
	char host[128];
	dns_client_t *c = NULL;
	ldns_pkt *q = NULL;
	dns_answer_t ans = {0};
	ldns_rr_list *soa = NULL;
	int ret;

	if (resolver == NULL || resolver[0] == '\0') {
		ldns_resolver *res = NULL;
		if (ldns_resolver_new_frm_file(&res, NULL) != LDNS_STATUS_OK ||
		    ldns_resolver_nameserver_count(res) == 0) {
			ldns_resolver_deep_free(res);
			df_detail_set(d,
				      "DNS_SERVER is not set and /etc/resolv.conf names no "
				      "nameserver to find the primary of zone %s: set DNS_SERVER",
				      zone);
			return DF_ECONFIG;
		}
		char *ns = ldns_rdf2str(ldns_resolver_nameservers(res)[0]);
		snprintf(host, sizeof(host), "%s", ns != NULL ? ns : "");
		free(ns);
		ldns_resolver_deep_free(res);
		resolver = host;
		port = 53;
	}
	dns_client_opts_t opts = {
		.server = resolver, .port = port, .timeout_ms = timeout_ms, .retries = 1};
	ret = dns_client_new(&c, &opts, d);
	if (ret != DF_OK) {
		goto out;
	}
	q = dns_msg_query_new(zone, LDNS_RR_TYPE_SOA);
	if (q == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	/* The resolver may need to recurse to find the zone. */
	ldns_pkt_set_rd(q, true);
	ret = dns_client_exchange(c, q, &ans, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "finding the primary of zone %s through %s", zone, resolver);
		goto out;
	}
	soa = dns_msg_answer_rrs(ans.pkt, zone, LDNS_RR_TYPE_SOA);
	if (soa == NULL || ldns_rr_rd_count(ldns_rr_list_rr(soa, 0)) < 1) {
		df_detail_set(d,
			      "no SOA for zone %s from %s (%s): is DNS_ZONE right? set DNS_SERVER "
			      "to the zone's primary",
			      zone, resolver, rcode_name_of((uint8_t)ans.rcode));
		ret = DF_ENOENT;
		goto out;
	}
	char *mname = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(soa, 0), 0));
	if (mname == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	snprintf(primary, size, "%s", mname);
	free(mname);
	/* Ask the same server for the MNAME's address; when it has none, the
	 * name is left for getaddrinfo(), as nsupdate does. */
	ldns_pkt_free(q);
	dns_answer_deinit(&ans);
	ldns_rr_list_deep_free(soa);
	soa = NULL;
	q = dns_msg_query_new(primary, LDNS_RR_TYPE_A);
	if (q == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	ldns_pkt_set_rd(q, true);
	if (dns_client_exchange(c, q, &ans, NULL) == DF_OK) {
		soa = dns_msg_answer_rrs(ans.pkt, primary, LDNS_RR_TYPE_A);
		if (soa != NULL && ldns_rr_rd_count(ldns_rr_list_rr(soa, 0)) == 1) {
			char *ip = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(soa, 0), 0));
			if (ip != NULL) {
				log_debug("DNS: primary of %s is %s (%s)", zone, primary, ip);
				snprintf(primary, size, "%s", ip);
				free(ip);
			}
		}
	}
	ret = DF_OK;
out:
	ldns_rr_list_deep_free(soa);
	dns_answer_deinit(&ans);
	ldns_pkt_free(q);
	dns_client_free(c);
	return ret;
}
