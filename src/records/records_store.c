#include "src/records/records_store.h"

#include <config.h> /* the build's: HAVE_GSSAPI */

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/common/clock.h"
#include "src/common/log.h"
#include "src/dns/dns_axfr.h"
#include "src/dns/dns_client.h"
#include "src/dns/dns_msg.h"
#include "tsig/tsig_sign.h"
#ifdef HAVE_GSSAPI
#include "gss/gss_session.h"
#include "src/dns/dns_tkey.h"
#endif

#define BACKOFF_FIRST_MS   100
#define BACKOFF_MAX_MS	   2000
#define REC_LINGER_US	   2000 /* longest wait for a batch to fill */
#define REC_LINGER_STEP_US 150	/* ... while changes keep coming this often */

typedef struct zone_rt {
	const rec_zone_conf_t *z;
	struct rec_store *s;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	rec_change_t *queue;
	size_t qlen;	      /* changes in queue */
	size_t last_batch;    /* changes in the last UPDATE taken */
	bool busy;	      /* a request's thread is sending an UPDATE for the zone */
	dns_client_t *client; /* used by the thread that sends (busy) */
	/* GSS-TSIG zones: the session, and a lock held across each signed
	 * exchange (a renegotiation replaces the key the others sign with). */
	struct gss_session *gss;
	pthread_mutex_t gss_mu;
	pthread_mutex_t cache_mu;
	bool cached;
	uint32_t serial;
	rec_rrset_t *sets;
	size_t nsets, cap;
} zone_rt_t;

struct rec_store {
	const rec_conf_t *c;
	rec_metrics_t *m;
	zone_rt_t zones[REC_ZONES_MAX];
	size_t n;
};

static zone_rt_t *rt_of(rec_store_t *s, const rec_zone_conf_t *z)
{
	return &s->zones[z - s->c->zones];
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static bool transient(int err)
{
	return err == DF_ETIMEDOUT || err == DF_ECONNREFUSED || err == DF_ENETWORK ||
	       err == DF_EMALFORMED;
}

/*
 * One exchange with the zone's primary, signed with the zone's TSIG key, or
 * with its GSS-TSIG session's current key (negotiated when due; a new one
 * after an unsigned BADKEY, the message then sent once more).
 */
static int zexchange(struct zone_rt *zr, dns_client_t *c, const ldns_pkt *q, dns_answer_t *ans,
		     df_detail_t *d)
{
#ifdef HAVE_GSSAPI
	if (zr != NULL && zr->gss != NULL) {
		int ret = DF_EINVAL;
		pthread_mutex_lock(&zr->gss_mu);
		for (int round = 0; round < 2; round++) {
			const tsig_key_t *key = NULL;
			int timeout = dns_client_attempt_timeout(c);
			ret = dns_tkey_session_key(zr->gss, dns_client_endpoint(c),
						   timeout > 0 ? timeout : 1, &key, NULL, d);
			if (ret != DF_OK) {
				df_detail_prefix(d, "zone %s: GSS-TSIG", zr->z->name);
				break;
			}
			dns_client_set_key(c, key);
			ret = dns_client_exchange(c, q, ans, d);
			if (round == 0 && ret == DF_ETSIG_UNSIGNED &&
			    ans->tsig_error == TSIG_BADKEY) {
				log_info("GSS-TSIG: %s no longer knows our key (BADKEY): "
					 "negotiating "
					 "a new context",
					 dns_client_server(c));
				gss_session_drop(zr->gss);
				dns_answer_deinit(ans);
				continue;
			}
			break;
		}
		dns_client_set_key(c, NULL);
		pthread_mutex_unlock(&zr->gss_mu);
		return ret;
	}
#endif
	(void)zr;
	return dns_client_exchange(c, q, ans, d);
}

/* Sends the UPDATE for list, retrying transport failures until the latest deadline. */
static void exchange(zone_rt_t *zr, rec_change_t *list, size_t n, int *err, int *rcode,
		     int *attempts, char *msg, size_t msize)
{
	int64_t deadline = 0;
	for (rec_change_t *ch = list; ch != NULL; ch = ch->next) {
		if (ch->deadline_ms > deadline) {
			deadline = ch->deadline_ms;
		}
	}
	*attempts = 0;
	*rcode = -1;
	msg[0] = '\0';
	ldns_pkt *pkt = rec_batch_update(zr->z->name, list);
	if (pkt == NULL) {
		*err = DF_ENOMEM;
		snprintf(msg, msize, "cannot build the UPDATE");
		return;
	}
	int64_t backoff = BACKOFF_FIRST_MS;
	for (;;) {
		dns_answer_t ans = {0};
		df_detail_t d = {{0}};
		int64_t t0 = clock_mono_ms();
		dns_client_set_deadline(zr->client, deadline);
		*err = zexchange(zr, zr->client, pkt, &ans, &d);
		*attempts += ans.attempts > 0 ? ans.attempts : 1;
		if (*err == DF_OK) {
			*rcode = ans.rcode;
			rec_metrics_update(zr->s->m, (double)(clock_mono_ms() - t0) / 1000.0, n,
					   ans.rcode);
			if (ans.rcode != LDNS_RCODE_NOERROR) {
				df_detail_t e = {{0}};
				char who[300];
				if (zr->z->has_key) {
					snprintf(who, sizeof(who), "key %s", zr->z->key.name);
				} else {
					snprintf(who, sizeof(who), "principal %s",
						 zr->z->gss_principal);
				}
				if (ans.rcode == LDNS_RCODE_REFUSED && n == 1) {
					/* The lease's explanation names its A and TXT;
					 * here the record is any name and type. */
					snprintf(msg, msize,
						 "DNS server %.64s REFUSED the update of %.200s %s "
						 "in zone %.150s: its update-policy (or "
						 "allow-update) must grant %.150s that name and "
						 "type",
						 dns_client_server(zr->client), list->name,
						 list->type != 0 ? rec_type_name(list->type)
								 : "(every type)",
						 zr->z->name, who);
				} else {
					dns_explain_update_rcode(
						&e, ans.rcode, dns_client_server(zr->client), who,
						zr->z->name, n == 1 ? list->name : "(several)");
					snprintf(msg, msize, "%s", e.msg);
				}
			}
			dns_answer_deinit(&ans);
			break;
		}
		dns_answer_deinit(&ans);
		snprintf(msg, msize, "%s", d.msg[0] != '\0' ? d.msg : df_strerror(*err));
		int64_t now = clock_mono_ms();
		if (!transient(*err) || now + backoff >= deadline) {
			break;
		}
		log_info("zone %s: UPDATE to %s failed (%s); retrying in %lld ms", zr->z->name,
			 dns_client_server(zr->client), df_strerror(*err), (long long)backoff);
		sleep_ms(backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	ldns_pkt_free(pkt);
}

static void finish(zone_rt_t *zr, rec_change_t *list, size_t n, int err, int rcode, int attempts,
		   const char *msg)
{
	pthread_mutex_lock(&zr->mu);
	for (rec_change_t *ch = list, *next; ch != NULL; ch = next) {
		next = ch->next;
		ch->err = err;
		ch->rcode = rcode;
		ch->attempts = attempts;
		ch->batch = n;
		snprintf(ch->msg, sizeof(ch->msg), "%s", msg);
		ch->done = true;
		pthread_cond_signal(&ch->cond);
	}
	pthread_mutex_unlock(&zr->mu);
}

static void send_batch(zone_rt_t *zr, rec_change_t *list, size_t n)
{
	int err, rcode, attempts;
	char msg[768];
	exchange(zr, list, n, &err, &rcode, &attempts, msg, sizeof(msg));
	if (err == DF_OK && rcode != LDNS_RCODE_NOERROR && n > 1) {
		/* One change's prerequisite (or the policy for one name) failed
		 * the whole UPDATE, and the answer does not say which: halves,
		 * until each change has its own answer. Conflicts are rare, so
		 * this costs about 2 log2(n) messages per conflicting change. */
		log_debug("zone %s: an UPDATE of %zu changes failed (rcode %d); splitting it",
			  zr->z->name, n, rcode);
		rec_change_t *second = list;
		size_t half = n / 2;
		for (size_t i = 1; i < half; i++) {
			second = second->next;
		}
		rec_change_t *rest = second->next;
		second->next = NULL;
		send_batch(zr, list, half);
		send_batch(zr, rest, n - half);
		return;
	}
	finish(zr, list, n, err, rcode, attempts, msg);
}

/* Absolute CLOCK_REALTIME time ms from now, for pthread_cond_timedwait(). */
static struct timespec in_ms(int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	ts.tv_sec += (time_t)(ms / 1000) + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

static struct timespec in_us(long us)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += us * 1000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

static dns_client_t *client_for(const rec_store_t *s, const rec_zone_conf_t *z, const char *host,
				uint16_t port, bool sign, df_detail_t *d)
{
	dns_client_t *c = NULL;
	dns_client_opts_t o = {.server = host,
			       .port = port,
			       .timeout_ms = (int)s->c->dns_timeout,
			       .retries = 0,
			       .key = sign && z->has_key ? &z->key : NULL,
			       /* GSS-TSIG over TCP only, as nsupdate -g */
			       .tcp_only = sign && z->gss_keytab[0] != '\0'};
	if (dns_client_new(&c, &o, d) != DF_OK) {
		return NULL;
	}
	return c;
}

int rec_store_new(rec_store_t **out, const rec_conf_t *c, rec_metrics_t *m, df_detail_t *d)
{
	rec_store_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return DF_ENOMEM;
	}
	s->c = c;
	s->m = m;
	for (size_t i = 0; i < c->nzones; i++) {
		zone_rt_t *zr = &s->zones[i];
		zr->z = &c->zones[i];
		zr->s = s;
		pthread_mutex_init(&zr->mu, NULL);
		pthread_cond_init(&zr->cond, NULL);
		pthread_mutex_init(&zr->cache_mu, NULL);
		pthread_mutex_init(&zr->gss_mu, NULL);
		s->n++;
		if (zr->z->gss_keytab[0] != '\0') {
#ifdef HAVE_GSSAPI
			gss_session_opts_t go = {.server_host = zr->z->server,
						 .service = zr->z->gss_service,
						 .keytab = zr->z->gss_keytab,
						 .principal = zr->z->gss_principal};
			if (gss_session_new(&zr->gss, &go, d) != DF_OK) {
				df_detail_prefix(d, "[zone %s] gss_keytab", zr->z->name);
				rec_store_free(s);
				return DF_EINVAL;
			}
#else
			df_detail_set(d,
				      "[zone %s] gss_keytab: this build has no GSS-TSIG "
				      "(configure found no MIT Kerberos GSSAPI)",
				      zr->z->name);
			rec_store_free(s);
			return DF_EINVAL;
#endif
		}
		zr->client = client_for(s, zr->z, zr->z->server, zr->z->port, true, d);
		if (zr->client == NULL) {
			df_detail_prefix(d, "[zone %s] server", zr->z->name);
			rec_store_free(s);
			return DF_EINVAL;
		}
	}
	*out = s;
	return DF_OK;
}

void rec_store_free(rec_store_t *s)
{
	if (s == NULL) {
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		zone_rt_t *zr = &s->zones[i];
		dns_client_free(zr->client);
#ifdef HAVE_GSSAPI
		gss_session_free(zr->gss);
#endif
		pthread_mutex_destroy(&zr->gss_mu);
		for (size_t k = 0; k < zr->nsets; k++) {
			rec_rrset_clear(&zr->sets[k]);
		}
		free(zr->sets);
		pthread_mutex_destroy(&zr->mu);
		pthread_cond_destroy(&zr->cond);
		pthread_mutex_destroy(&zr->cache_mu);
	}
	free(s);
}

void rec_store_submit(rec_store_t *s, const rec_zone_conf_t *z, rec_change_t *ch)
{
	zone_rt_t *zr = rt_of(s, z);
	ch->done = false;
	ch->next = NULL;
	pthread_cond_init(&ch->cond, NULL);
	pthread_mutex_lock(&zr->mu);
	rec_change_t **pp = &zr->queue;
	while (*pp != NULL) {
		pp = &(*pp)->next;
	}
	*pp = ch;
	zr->qlen++;
	pthread_cond_signal(&zr->cond); /* a lingering sender */
	pthread_mutex_unlock(&zr->mu);
}

/*
 * Called with zr->mu held by the thread that became the sender: waits for
 * more changes under concurrency, takes a batch and sends it (unlocked).
 */
static void lead(zone_rt_t *zr)
{
	/*
	 * Under concurrency (the last UPDATE carried several changes), the
	 * clients it answered are about to send their next ones: while changes
	 * keep arriving (one at least every REC_LINGER_STEP_US), wait for them,
	 * at most REC_LINGER_US, so that UPDATEs grow instead of each carrying
	 * whoever happened to be queued. A lone client (batches of one) never
	 * waits.
	 */
	if (zr->last_batch > 1) {
		int64_t end = clock_mono_ms() * 1000 + REC_LINGER_US;
		for (;;) {
			size_t before = zr->qlen;
			struct timespec step = in_us(REC_LINGER_STEP_US);
			while (zr->qlen == before &&
			       pthread_cond_timedwait(&zr->cond, &zr->mu, &step) == 0) {
			}
			if (zr->qlen == before || zr->qlen >= zr->s->c->batch_max ||
			    clock_mono_ms() * 1000 >= end) {
				break;
			}
		}
	}
	size_t n = 0;
	rec_change_t *list = rec_batch_take(&zr->queue, zr->s->c->batch_max, REC_BATCH_BYTES, &n);
	zr->qlen -= n;
	zr->last_batch = n;
	pthread_mutex_unlock(&zr->mu);
	send_batch(zr, list, n);
	pthread_mutex_lock(&zr->mu);
	zr->busy = false;
	/* The next queued change's thread sends the next UPDATE. */
	if (zr->queue != NULL) {
		pthread_cond_signal(&zr->queue->cond);
	}
}

void rec_store_wait(rec_store_t *s, const rec_zone_conf_t *z, rec_change_t *ch)
{
	zone_rt_t *zr = rt_of(s, z);
	pthread_mutex_lock(&zr->mu);
	/*
	 * No writer thread: whichever waiting request finds no UPDATE in
	 * flight sends the next one, for every change queued by then, its own
	 * among them (a lone client's change goes out from its own thread).
	 * A change taken by another sender is decided by it (its exchange is
	 * bounded by the deadlines); one still queued at its deadline is
	 * withdrawn.
	 */
	while (!ch->done) {
		if (!zr->busy && zr->queue != NULL) {
			zr->busy = true;
			lead(zr);
			continue;
		}
		struct timespec ts = in_ms(200);
		pthread_cond_timedwait(&ch->cond, &zr->mu, &ts);
		if (!ch->done && clock_mono_ms() >= ch->deadline_ms) {
			rec_change_t **pp;
			for (pp = &zr->queue; *pp != NULL && *pp != ch; pp = &(*pp)->next) {
			}
			if (*pp == ch) {
				*pp = ch->next;
				zr->qlen--;
				ch->done = true;
				ch->err = DF_ETIMEDOUT;
				snprintf(
					ch->msg, sizeof(ch->msg),
					"the change waited past its deadline for the UPDATE before "
					"it to zone %s",
					z->name);
			}
		}
	}
	pthread_mutex_unlock(&zr->mu);
	pthread_cond_destroy(&ch->cond);
}

void rec_store_write(rec_store_t *s, const rec_zone_conf_t *z, rec_change_t *ch)
{
	rec_store_submit(s, z, ch);
	rec_store_wait(s, z, ch);
}

/* Fills set from the answer's RRs of set->type at set->name. */
static int fill_from(const ldns_pkt *pkt, rec_rrset_t *set, bool *found)
{
	ldns_rr_list *rrs = dns_msg_answer_rrs(pkt, set->name, (ldns_rr_type)set->type);
	*found = false;
	int ret = DF_OK;
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs) && ret == DF_OK; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		uint8_t rd[REC_RDATA_MAX];
		size_t len = dns_rr_rdata(rr, rd, sizeof(rd));
		if (i == 0) {
			set->ttl = ldns_rr_ttl(rr);
		}
		ret = len > 0 || set->type == REC_TXT ? rec_value_add_rdata(set, rd, len)
						      : DF_EMALFORMED;
		*found = true;
	}
	ldns_rr_list_deep_free(rrs);
	rec_rrset_sort(set);
	return ret;
}

/* zr: the zone whose key signs the query (NULL: unsigned). */
static int query(struct zone_rt *zr, dns_client_t *c, const char *name, uint16_t type,
		 dns_answer_t *ans, df_detail_t *d)
{
	ldns_pkt *q = dns_msg_query_new(name, (ldns_rr_type)type);
	if (q == NULL) {
		return DF_EINVAL;
	}
	dns_client_set_deadline(c, 0);
	int ret = zexchange(zr, c, q, ans, d);
	ldns_pkt_free(q);
	if (ret == DF_OK && ans->rcode != LDNS_RCODE_NOERROR && ans->rcode != LDNS_RCODE_NXDOMAIN) {
		ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, ans->rcode);
		df_detail_set(d, "DNS server %s answered %s for %s %s", dns_client_server(c),
			      lt != NULL ? lt->name : "an error", name, rec_type_name(type));
		dns_answer_deinit(ans);
		ret = DF_ERCODE;
	}
	return ret;
}

int rec_store_read(rec_store_t *s, const rec_zone_conf_t *z, const char *name, uint16_t type,
		   rec_rrset_t *set, bool *found, df_detail_t *d)
{
	rec_rrset_init(set, name, type, 0);
	*found = false;
	dns_client_t *c = client_for(s, z, z->server, z->port, true, d);
	if (c == NULL) {
		return DF_EINVAL;
	}
	int ret = DF_ETIMEDOUT;
	dns_answer_t ans = {0};
	for (int attempt = 0; attempt < 2 && transient(ret); attempt++) {
		ret = query(rt_of(s, z), c, name, type, &ans, d);
	}
	if (ret == DF_OK) {
		ret = fill_from(ans.pkt, set, found);
		dns_answer_deinit(&ans);
	}
	dns_client_free(c);
	return ret;
}

typedef struct collect {
	zone_rt_t *zr;
	rec_rrset_t *sets;
	size_t n, cap;
	int err;
} collect_t;

static bool ours(ldns_rr_type t)
{
	return t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA || t == LDNS_RR_TYPE_CNAME ||
	       t == LDNS_RR_TYPE_TXT || t == LDNS_RR_TYPE_SRV;
}

static int on_rr(void *arg, const ldns_rr *rr)
{
	collect_t *col = arg;
	ldns_rr_type t = ldns_rr_get_type(rr);
	if (!ours(t)) {
		return DF_OK;
	}
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	if (owner == NULL) {
		return DF_ENOMEM;
	}
	for (char *p = owner; *p != '\0'; p++) {
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	}
	rec_rrset_t *set = NULL;
	for (size_t i = col->n; i > 0 && set == NULL; i--) {
		rec_rrset_t *c = &col->sets[i - 1];
		if (c->type == t && strcmp(c->name, owner) == 0) {
			set = c;
		}
		if (col->n - i > 8) {
			break; /* AXFR keeps an RRset together; a short look back is enough */
		}
	}
	if (set == NULL) {
		if (col->n == col->cap) {
			size_t cap = col->cap * 2 + 64;
			rec_rrset_t *ns = realloc(col->sets, cap * sizeof(*ns));
			if (ns == NULL) {
				free(owner);
				return DF_ENOMEM;
			}
			col->sets = ns;
			col->cap = cap;
		}
		set = &col->sets[col->n++];
		rec_rrset_init(set, owner, (uint16_t)t, ldns_rr_ttl(rr));
	}
	free(owner);
	uint8_t rd[REC_RDATA_MAX];
	size_t len = dns_rr_rdata(rr, rd, sizeof(rd));
	if (rec_value_add_rdata(set, rd, len) != DF_OK) {
		log_debug("zone %s: skipping a %s at %s that the API cannot show", col->zr->z->name,
			  rec_type_name((uint16_t)t), set->name);
	}
	return DF_OK;
}

static int cmp_set(const void *a, const void *b)
{
	const rec_rrset_t *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c != 0 ? c : (int)x->type - (int)y->type;
}

static int soa_serial(rec_store_t *s, const rec_zone_conf_t *z, uint32_t *serial, df_detail_t *d)
{
	dns_client_t *c = client_for(s, z, z->server, z->port, true, d);
	if (c == NULL) {
		return DF_EINVAL;
	}
	dns_answer_t ans = {0};
	int ret = query(rt_of(s, z), c, z->name, LDNS_RR_TYPE_SOA, &ans, d);
	if (ret == DF_OK) {
		ldns_rr_list *l = dns_msg_answer_rrs(ans.pkt, z->name, LDNS_RR_TYPE_SOA);
		if (l != NULL && ldns_rr_list_rr_count(l) == 1) {
			*serial = ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(l, 0), 2));
		} else {
			df_detail_set(d, "%s has no SOA for zone %s: is it the zone's primary?",
				      dns_client_server(c), z->name);
			ret = DF_ENOTAUTH;
		}
		ldns_rr_list_deep_free(l);
		dns_answer_deinit(&ans);
	}
	dns_client_free(c);
	return ret;
}

/* The zone by AXFR signed with its key (GSS-TSIG: the session's, under its lock). */
static int zone_axfr(rec_store_t *s, zone_rt_t *zr, dns_axfr_fn each, void *arg, uint32_t *serial,
		     df_detail_t *d)
{
	const rec_zone_conf_t *z = zr->z;
#ifdef HAVE_GSSAPI
	if (zr->gss != NULL) {
		dns_endpoint_t ep;
		const tsig_key_t *key = NULL;
		int ret = dns_endpoint_init(&ep, z->server, z->port, d);
		if (ret != DF_OK) {
			return ret;
		}
		pthread_mutex_lock(&zr->gss_mu);
		ret = dns_tkey_session_key(zr->gss, &ep, (int)s->c->dns_timeout, &key, NULL, d);
		if (ret == DF_OK) {
			ret = dns_axfr(z->server, z->port, key, z->name, (int)s->c->request_timeout,
				       each, arg, serial, d);
		}
		pthread_mutex_unlock(&zr->gss_mu);
		return ret;
	}
#endif
	return dns_axfr(z->server, z->port, &z->key, z->name, (int)s->c->request_timeout, each, arg,
			serial, d);
}

int rec_store_list(rec_store_t *s, const rec_zone_conf_t *z, rec_list_fn cb, void *arg, bool *hit,
		   df_detail_t *d)
{
	zone_rt_t *zr = rt_of(s, z);
	uint32_t serial = 0;
	int ret = soa_serial(s, z, &serial, d);
	if (ret != DF_OK) {
		return ret;
	}
	pthread_mutex_lock(&zr->cache_mu);
	*hit = zr->cached && zr->serial == serial;
	if (!*hit) {
		collect_t col = {.zr = zr};
		uint32_t axfr_serial = 0;
		ret = zone_axfr(s, zr, on_rr, &col, &axfr_serial, d);
		if (ret == DF_OK) {
			for (size_t i = 0; i < col.n; i++) {
				rec_rrset_sort(&col.sets[i]);
			}
			if (col.n > 0) {
				qsort(col.sets, col.n, sizeof(col.sets[0]), cmp_set);
			}
			for (size_t k = 0; k < zr->nsets; k++) {
				rec_rrset_clear(&zr->sets[k]);
			}
			free(zr->sets);
			zr->sets = col.sets;
			zr->nsets = col.n;
			zr->cap = col.cap;
			zr->serial = axfr_serial;
			zr->cached = true;
		} else {
			for (size_t k = 0; k < col.n; k++) {
				rec_rrset_clear(&col.sets[k]);
			}
			free(col.sets);
		}
	}
	rec_metrics_axfr(s->m, *hit);
	for (size_t i = 0; ret == DF_OK && i < zr->nsets; i++) {
		cb(arg, &zr->sets[i]);
	}
	pthread_mutex_unlock(&zr->cache_mu);
	return ret;
}

/* The servers verify asks: configured, or the NS set with its addresses. */
static size_t verify_servers(rec_store_t *s, const rec_zone_conf_t *z, rec_server_t *out,
			     size_t max, df_detail_t *d)
{
	size_t n = 0;
	for (size_t i = 0; i < z->nverify && n < max; i++) {
		out[n++] = z->verify[i];
	}
	if (n > 0) {
		return n;
	}
	dns_client_t *c = client_for(s, z, z->server, z->port, true, d);
	dns_answer_t ans = {0};
	if (c == NULL || query(rt_of(s, z), c, z->name, LDNS_RR_TYPE_NS, &ans, d) != DF_OK) {
		dns_client_free(c);
		return 0;
	}
	ldns_rr_list *ns = dns_msg_answer_rrs(ans.pkt, z->name, LDNS_RR_TYPE_NS);
	for (size_t i = 0; ns != NULL && i < ldns_rr_list_rr_count(ns) && n < max; i++) {
		char *host = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0));
		if (host == NULL) {
			continue;
		}
		/* A server inside a zone served here: its address from that
		 * zone's primary; others: the resolver. */
		dns_answer_t a = {0};
		bool got = false;
		const rec_zone_conf_t *hz = rec_conf_zone_for(s->c, host);
		dns_client_t *hc = hz == NULL ? NULL
				   : hz == z  ? c
					      : client_for(s, hz, hz->server, hz->port, true, NULL);
		if (hc != NULL && query(rt_of(s, hz), hc, host, LDNS_RR_TYPE_A, &a, d) == DF_OK) {
			ldns_rr_list *al = dns_msg_answer_rrs(a.pkt, host, LDNS_RR_TYPE_A);
			for (size_t k = 0; al != NULL && k < ldns_rr_list_rr_count(al) && n < max;
			     k++) {
				char *ip = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(al, k), 0));
				if (ip != NULL) {
					snprintf(out[n].host, sizeof(out[n].host), "%s", ip);
					out[n++].port = z->port;
					got = true;
				}
				free(ip);
			}
			ldns_rr_list_deep_free(al);
			dns_answer_deinit(&a);
		}
		if (hc != c) {
			dns_client_free(hc);
		}
		if (!got) {
			snprintf(out[n].host, sizeof(out[n].host), "%s", host);
			out[n++].port = z->port;
		}
		free(host);
	}
	ldns_rr_list_deep_free(ns);
	dns_answer_deinit(&ans);
	dns_client_free(c);
	return n;
}

int rec_store_verify(rec_store_t *s, const rec_zone_conf_t *z, const rec_rrset_t *want,
		     rec_verify_t *out, df_detail_t *d)
{
	rec_server_t servers[REC_VERIFY_SERVERS_MAX];
	memset(out, 0, sizeof(*out));
	size_t n = verify_servers(s, z, servers, REC_VERIFY_SERVERS_MAX, d);
	if (n == 0) {
		if (d != NULL && d->msg[0] == '\0') {
			df_detail_set(d,
				      "zone %s: no authoritative server found (no NS, no "
				      "verify_servers)",
				      z->name);
		}
		return DF_ENOENT;
	}
	for (size_t i = 0; i < n; i++) {
		df_detail_t e = {{0}};
		out->r[i].rcode = -1;
		dns_client_t *c = client_for(s, z, servers[i].host, servers[i].port, false, &e);
		snprintf(out->r[i].server, sizeof(out->r[i].server), "%.255s",
			 c != NULL ? dns_client_server(c) : servers[i].host);
		dns_answer_t ans = {0};
		int ret = c != NULL ? query(NULL, c, want->name, want->type, &ans, &e) : DF_EINVAL;
		if (ret == DF_OK) {
			rec_rrset_t got;
			bool found;
			rec_rrset_init(&got, want->name, want->type, 0);
			out->r[i].rcode = ans.rcode;
			if (!ldns_pkt_aa(ans.pkt)) {
				snprintf(out->r[i].got, sizeof(out->r[i].got),
					 "not authoritative for %s", z->name);
			} else if (fill_from(ans.pkt, &got, &found) == DF_OK) {
				out->r[i].ok = rec_rrset_equal(&got, want, true) ||
					       (want->n == 0 && !found);
				size_t o = 0;
				for (size_t k = 0; k < got.n && o < sizeof(out->r[i].got); k++) {
					int w = snprintf(out->r[i].got + o,
							 sizeof(out->r[i].got) - o, "%s%s",
							 k > 0 ? " | " : "", got.v[k].text);
					o += w > 0 ? (size_t)w : 0;
				}
				if (found && o < sizeof(out->r[i].got)) {
					snprintf(out->r[i].got + o, sizeof(out->r[i].got) - o,
						 " (ttl %u)", got.ttl);
				}
			}
			rec_rrset_clear(&got);
			dns_answer_deinit(&ans);
		} else {
			snprintf(out->r[i].got, sizeof(out->r[i].got), "%s",
				 e.msg[0] != '\0' ? e.msg : df_strerror(ret));
		}
		dns_client_free(c);
		out->n++;
	}
	return DF_OK;
}
