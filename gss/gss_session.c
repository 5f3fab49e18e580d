/*
 * GSS-TSIG session: credentials plus a cached security context.
 *
 * Keytab credentials go through gss_acquire_cred_from() with a private
 * MEMORY ticket cache, so that the daemon never touches the user's cache
 * and MIT Kerberos renews the ticket from the keytab by itself when a
 * context is negotiated. Ticket-cache credentials are whatever KRB5CCNAME
 * holds, renewed by kinit, k5start or sssd; dnsfailover re-reads them every
 * CRED_RECHECK_MS and renegotiates when the ticket was renewed.
 */
#include "gss/gss_session.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h> /* gmtime_r, strftime: the clocks are clock.h's */
#include <unistd.h>

#include "gss/gss_ctx.h"
#include "gss/gss_status.h"
#include "gss/gss_tsig.h"
#include "src/common/clock.h"
#include "src/common/log.h"
#include "src/common/secret_file.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"

#define NAME_MAX_LEN 300
/* BIND keeps a TKEY key for an hour at most (lib/dns/tkey.c). */
#define KEY_LIFETIME_MAX 3600
static int64_t key_lifetime_max = KEY_LIFETIME_MAX;
/* Renegotiate this long before the key's hour is up: at most 5 minutes, at most a quarter. */
#define RENEW_MARGIN_MAX 300
#define CRED_WARN_MS	 300000
#define RENEW_RETRY_MS	 10000
#define CRED_RECHECK_MS	 10000

struct gss_session {
	char server_host[NAME_MAX_LEN];
	char service[NAME_MAX_LEN];
	char keytab[512];
	char principal[NAME_MAX_LEN]; /* as configured */
	char ccache[64];	      /* MEMORY cache of keytab credentials */
	bool spnego;
	const tsig_alg_t *alg;

	gss_cred_id_t cred;
	char cred_name[NAME_MAX_LEN]; /* as the credentials say */
	int64_t cred_expiry;	      /* wall clock end of the ticket */
	int64_t cred_checked_ms;      /* monotonic: last (re)acquisition attempt */
	int64_t cred_warned_ms;	      /* monotonic: last warning about it, 0: none */

	gss_ctx_t *ctx;
	int64_t ctx_born_ms;	 /* monotonic: when it was negotiated */
	int64_t ctx_renew_ms;	 /* monotonic: renegotiate from here */
	int64_t ctx_cred_expiry; /* cred_expiry when ctx was negotiated */
	unsigned negotiations;
};

/*
 * The private ticket cache of keytab credentials is named after the
 * principal and keytab: a MEMORY cache lives as long as the process, so a
 * reload with the same credentials finds its tickets again instead of
 * leaving a cache behind, and different credentials never share one.
 */
static void ccache_name(char *buf, size_t size, const char *principal, const char *keytab)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *p = principal; *p != '\0'; p++) {
		h = (h ^ (uint8_t)*p) * 16777619u;
	}
	h = (h ^ 0xff) * 16777619u;
	for (const char *p = keytab; *p != '\0'; p++) {
		h = (h ^ (uint8_t)*p) * 16777619u;
	}
	snprintf(buf, size, "MEMORY:dnsfailover-%ld-%08x", (long)getpid(), (unsigned)h);
}

int gss_session_new(gss_session_t **out, const gss_session_opts_t *o, df_detail_t *d)
{
	const tsig_alg_t *alg = gss_tsig_alg();

	if (out == NULL || o == NULL || o->server_host == NULL || o->server_host[0] == '\0') {
		df_detail_set(d, "GSS-TSIG needs the DNS server's host name");
		return DF_EINVAL;
	}
	*out = NULL;
	if (o->alg != NULL && o->alg[0] != '\0') {
		alg = gss_tsig_alg_by_name(o->alg);
		if (alg == NULL) {
			df_detail_set(d,
				      "GSS_TSIG_ALG=%s is not a GSS-TSIG algorithm: use gss-tsig "
				      "(RFC 3645) or gss.microsoft.com (Windows 2000 servers)",
				      o->alg);
			return DF_ECONFIG;
		}
	}
	bool have_keytab = o->keytab != NULL && o->keytab[0] != '\0';
	bool have_principal = o->principal != NULL && o->principal[0] != '\0';
	if (have_keytab && !have_principal) {
		df_detail_set(d,
			      "GSS_KEYTAB=%s needs GSS_PRINCIPAL, the principal whose key it "
			      "holds (klist -k -t %s lists them)",
			      o->keytab, o->keytab);
		return DF_ECONFIG;
	}
	if (have_keytab) {
		int fd = -1;
		int ret = secret_file_open(o->keytab, "keytab", "GSS_KEYTAB", &fd, d);
		if (ret != DF_OK) {
			return ret;
		}
		close(fd);
	}
	gss_session_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return DF_ENOMEM;
	}
	snprintf(s->server_host, sizeof(s->server_host), "%s", o->server_host);
	if (o->service != NULL && o->service[0] != '\0') {
		snprintf(s->service, sizeof(s->service), "%s", o->service);
	} else {
		size_t n = strlen(o->server_host);
		if (n > 0 && o->server_host[n - 1] == '.') {
			n--;
		}
		snprintf(s->service, sizeof(s->service), "DNS/%.*s", (int)n, o->server_host);
	}
	if (have_keytab) {
		snprintf(s->keytab, sizeof(s->keytab), "%s", o->keytab);
		ccache_name(s->ccache, sizeof(s->ccache), o->principal, o->keytab);
	}
	if (have_principal) {
		snprintf(s->principal, sizeof(s->principal), "%s", o->principal);
	}
	s->spnego = o->spnego;
	s->alg = alg;
	s->cred = GSS_C_NO_CREDENTIAL;
	*out = s;
	return DF_OK;
}

static void release_cred(gss_session_t *s)
{
	OM_uint32 minor;

	if (s->cred != GSS_C_NO_CREDENTIAL) {
		gss_release_cred(&minor, &s->cred);
	}
	s->cred = GSS_C_NO_CREDENTIAL;
}

static void drop_ctx(gss_session_t *s)
{
	gss_ctx_free(s->ctx);
	s->ctx = NULL;
}

void gss_session_free(gss_session_t *s)
{
	if (s == NULL) {
		return;
	}
	drop_ctx(s);
	release_cred(s);
	free(s);
}

/* "2026-11-22 19:00:00 UTC" */
static void format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		snprintf(buf, size, "%lld", (long long)t);
	}
}

/* Where the credentials come from, for messages. */
static void cred_source(const gss_session_t *s, char *buf, size_t size)
{
	if (s->keytab[0] != '\0') {
		snprintf(buf, size, "keytab %s (GSS_KEYTAB)", s->keytab);
	} else {
		const char *cc = getenv("KRB5CCNAME");
		snprintf(buf, size, "ticket cache %s", cc != NULL ? cc : "(default)");
	}
}

/* Acquires s->cred and makes sure it holds a usable ticket. */
static int acquire(gss_session_t *s, df_detail_t *d)
{
	OM_uint32 major, minor = 0, lifetime = 0;
	gss_name_t want = GSS_C_NO_NAME, have = GSS_C_NO_NAME;
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	char src[600], what[1000];
	const char *who = s->principal[0] != '\0' ? s->principal : "the default principal";
	int ret = DF_EACCES;

	cred_source(s, src, sizeof(src));
	if (s->principal[0] != '\0') {
		gss_buffer_desc nb = {strlen(s->principal), s->principal};
		major = gss_import_name(&minor, &nb, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &want);
		if (GSS_ERROR(major)) {
			snprintf(what, sizeof(what), "GSS_PRINCIPAL=%s is not a principal name",
				 s->principal);
			gss_status_explain(d, what, major, minor);
			return DF_ECONFIG;
		}
	}
	if (s->keytab[0] != '\0') {
		gss_key_value_element_desc el[] = {
			{"client_keytab", s->keytab},
			{"ccache", s->ccache},
		};
		gss_key_value_set_desc store = {2, el};
		major = gss_acquire_cred_from(&minor, want, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
					      GSS_C_INITIATE, &store, &cred, NULL, NULL);
	} else {
		major = gss_acquire_cred(&minor, want, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
					 GSS_C_INITIATE, &cred, NULL, NULL);
	}
	if (!GSS_ERROR(major)) {
		/* With a keytab the ticket is fetched here, on first use. The
		 * name is asked for only once that worked: MIT leaks it when
		 * the ticket has expired. */
		major = gss_inquire_cred(&minor, cred, NULL, &lifetime, NULL, NULL);
	}
	if (!GSS_ERROR(major) && lifetime > 0) {
		major = gss_inquire_cred(&minor, cred, &have, NULL, NULL, NULL);
	}
	if (GSS_ERROR(major)) {
		snprintf(what, sizeof(what), "cannot get a Kerberos ticket for %s from %s", who,
			 src);
		gss_status_explain(d, what, major, minor);
		if (s->keytab[0] != '\0' && gss_status_no_ticket(major, minor)) {
			/* MIT found no key to get a ticket with: not a ccache matter. */
			df_detail_set(d,
				      "cannot get a Kerberos ticket for %s from %s: the keytab "
				      "holds no key for that principal (klist -k -t %s lists "
				      "what it holds; check GSS_PRINCIPAL)",
				      who, src, s->keytab);
		}
		goto out;
	}
	if (lifetime == 0) {
		df_detail_set(d,
			      "the Kerberos ticket for %s in %s has expired: renew it (kinit), "
			      "or set GSS_KEYTAB and GSS_PRINCIPAL so that dnsfailover gets its "
			      "own",
			      who, src);
		goto out;
	}
	gss_buffer_desc nb = GSS_C_EMPTY_BUFFER;
	if (!GSS_ERROR(gss_display_name(&minor, have, &nb, NULL))) {
		snprintf(s->cred_name, sizeof(s->cred_name), "%.*s", (int)nb.length,
			 (const char *)nb.value);
		gss_release_buffer(&minor, &nb);
	}
	release_cred(s);
	s->cred = cred;
	cred = GSS_C_NO_CREDENTIAL;
	s->cred_expiry = lifetime == GSS_C_INDEFINITE ? INT64_MAX : clock_wall() + lifetime;
	s->cred_checked_ms = clock_mono_ms();
	ret = DF_OK;
out:
	if (cred != GSS_C_NO_CREDENTIAL) {
		gss_release_cred(&minor, &cred);
	}
	if (want != GSS_C_NO_NAME) {
		gss_release_name(&minor, &want);
	}
	if (have != GSS_C_NO_NAME) {
		gss_release_name(&minor, &have);
	}
	return ret;
}

int gss_session_credentials(gss_session_t *s, char *what, size_t size, df_detail_t *d)
{
	char src[600], until[64];
	int ret = acquire(s, d);

	if (ret != DF_OK) {
		return ret;
	}
	cred_source(s, src, sizeof(src));
	format_time(s->cred_expiry, until, sizeof(until));
	if (what != NULL && size > 0) {
		snprintf(what, size, "Kerberos ticket for %s from %s, valid until %s",
			 gss_session_principal(s), src, until);
	}
	return DF_OK;
}

/* Re-reads the credentials now and then; a renewed ticket (a later end)
 * retires the context built from the old one. Failure keeps the context:
 * it stays good until it expires, whatever the KDC does meanwhile. */
static void recheck_cred(gss_session_t *s)
{
	df_detail_t d = {""};

	int64_t now = clock_mono_ms();
	/* Keytab tickets are MIT's to refresh, at the next negotiation; a
	 * re-read here could wait for the KDC in the middle of a renewal. A
	 * ticket cache is a local file that someone else renews. */
	if (s->keytab[0] != '\0') {
		return;
	}
	if (s->cred_checked_ms != 0 && now - s->cred_checked_ms < CRED_RECHECK_MS) {
		return;
	}
	/* Also after a failure: a KDC that does not answer must not be asked
	 * on every exchange. */
	s->cred_checked_ms = now;
	if (acquire(s, &d) != DF_OK) {
		/* The context may well outlast this; say it every 5 minutes. */
		if (s->cred_warned_ms == 0 || now - s->cred_warned_ms >= CRED_WARN_MS) {
			log_warn("GSS-TSIG: %s", d.msg);
			s->cred_warned_ms = now;
		}
		return;
	}
	s->cred_warned_ms = 0;
	if (s->ctx != NULL && s->cred_expiry > s->ctx_cred_expiry + 1) {
		char until[64];
		format_time(s->cred_expiry, until, sizeof(until));
		log_info("GSS-TSIG: the Kerberos ticket of %s was renewed (valid until %s): "
			 "negotiating a new context",
			 gss_session_principal(s), until);
		drop_ctx(s);
	}
}

static int negotiate_ctx(gss_session_t *s, const char *peer, gss_session_negotiate_fn fn, void *arg,
			 df_detail_t *d)
{
	gss_ctx_t *ctx = NULL;
	gss_ctx_opts_t o = {
		.server_host = s->server_host,
		.service = s->service,
		.cred = s->cred,
		.spnego = s->spnego,
		.alg = s->alg,
		.peer = peer,
	};
	int ret = fn(arg, &o, &ctx, d);

	if (ret != DF_OK) {
		return ret;
	}
	/*
	 * A context lives as long as the service ticket it came from. When
	 * that is longer than the hour BIND keeps a key, a new context from
	 * the same ticket is worth having before the key goes: renegotiate
	 * min(5 min, a quarter) early. Otherwise a new context would reuse
	 * the same ticket and end at the same instant, so it is renegotiated
	 * when the ticket ends and Kerberos fetches a fresh one (an exchange
	 * caught in between gets BADKEY and is sent again, see provider).
	 */
	int64_t life = gss_ctx_remaining(ctx);
	int64_t renew_in = life + 1; /* just past the end: Kerberos then gets a new ticket */
	const char *why = "when its service ticket ends";
	if (life > key_lifetime_max) {
		int64_t quarter = key_lifetime_max / 4;
		renew_in = key_lifetime_max -
			   (quarter < RENEW_MARGIN_MAX ? quarter : RENEW_MARGIN_MAX);
		why = "before the server's key expires";
	}
	drop_ctx(s);
	s->ctx = ctx;
	s->ctx_born_ms = clock_mono_ms();
	s->ctx_renew_ms = s->ctx_born_ms + renew_in * 1000;
	s->ctx_cred_expiry = s->cred_expiry;
	s->negotiations++;
	log_info(
		"GSS-TSIG: negotiated key %s with %s as %s for %s (%s; renegotiated in %lld s, %s)",
		gss_ctx_key(ctx)->name, peer, gss_session_principal(s), s->service, s->alg->name,
		(long long)renew_in, why);
	return DF_OK;
}

int gss_session_key(gss_session_t *s, const char *peer, gss_session_negotiate_fn negotiate,
		    void *arg, const struct tsig_key **key, bool *negotiated, df_detail_t *d)
{
	if (negotiated != NULL) {
		*negotiated = false;
	}
	if (s == NULL || peer == NULL || negotiate == NULL || key == NULL) {
		return DF_EINVAL;
	}
	if (s->cred == GSS_C_NO_CREDENTIAL && s->ctx == NULL) {
		int ret = acquire(s, d);
		if (ret != DF_OK) {
			return ret;
		}
	} else {
		recheck_cred(s);
	}
	/* An expired context is replaced at once, unless it was negotiated
	 * less than a second ago: then its ticket ends this very second and a
	 * new context would get the same one. */
	int64_t now = clock_mono_ms();
	if (s->ctx != NULL && (now >= s->ctx_renew_ms ||
			       (gss_ctx_remaining(s->ctx) <= 0 && now - s->ctx_born_ms >= 1000))) {
		/* Due: try a new one, keep the old while it lasts. */
		df_detail_t why = {""};
		if (s->cred != GSS_C_NO_CREDENTIAL &&
		    negotiate_ctx(s, peer, negotiate, arg, &why) == DF_OK) {
			if (negotiated != NULL) {
				*negotiated = true;
			}
		} else if (gss_ctx_remaining(s->ctx) > 0) {
			log_warn("GSS-TSIG: cannot renew the context yet, the current one is good "
				 "for %lld s more: %s",
				 (long long)gss_ctx_remaining(s->ctx),
				 why.msg[0] != '\0' ? why.msg : "no usable credentials");
			/* Try again in a while, not on every exchange. */
			s->ctx_renew_ms = now + RENEW_RETRY_MS;
		} else {
			drop_ctx(s);
			df_detail_set(d, "%s",
				      why.msg[0] != '\0'
					      ? why.msg
					      : "the GSS-TSIG context expired and no Kerberos "
						"credentials are left to negotiate a new one");
			return DF_EACCES;
		}
	}
	if (s->ctx == NULL) {
		if (s->cred == GSS_C_NO_CREDENTIAL) {
			int ret = acquire(s, d);
			if (ret != DF_OK) {
				return ret;
			}
		}
		int ret = negotiate_ctx(s, peer, negotiate, arg, d);
		if (ret != DF_OK) {
			return ret;
		}
		if (negotiated != NULL) {
			*negotiated = true;
		}
	}
	*key = gss_ctx_key(s->ctx);
	return DF_OK;
}

void gss_session_drop(gss_session_t *s)
{
	if (s != NULL) {
		drop_ctx(s);
	}
}

const char *gss_session_principal(const gss_session_t *s)
{
	if (s->cred_name[0] != '\0') {
		return s->cred_name;
	}
	return s->principal[0] != '\0' ? s->principal : "the default principal";
}

const char *gss_session_service(const gss_session_t *s)
{
	return s->service;
}

int64_t gss_session_remaining(gss_session_t *s)
{
	return s != NULL ? gss_ctx_remaining(s->ctx) : 0;
}

void gss_session_set_key_lifetime(int64_t seconds)
{
	key_lifetime_max = seconds > 0 && seconds < KEY_LIFETIME_MAX ? seconds : KEY_LIFETIME_MAX;
}

unsigned gss_session_negotiations(const gss_session_t *s)
{
	return s != NULL ? s->negotiations : 0;
}
