/*
 * Picks the backend named by DNS_PROVIDER. The table below is the one list
 * of provider ids: error messages are built from it.
 */
#include <config.h> /* HAVE_GSSAPI; not src/config.h */

#include "src/provider/provider.h"

#include <stdio.h>
#include <string.h>

#include "src/common/clock.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"

typedef int (*provider_new_fn)(provider_t **out, const config_t *cfg, df_detail_t *d);

static const struct {
	const char *id;
	provider_new_fn create; /* NULL: known id, not in this version */
} backends[] = {
	{"dry-run", provider_dryrun_new},
	{"bind-tsig", provider_bind_new},
#ifdef HAVE_GSSAPI
	{"ad-gss", provider_adgss_new},
#else
	{"ad-gss", NULL}, /* built without MIT Kerberos GSSAPI (libkrb5-dev) */
#endif
	{"script", NULL},
	{"route53", provider_route53_new},
	{"cloudflare", NULL},
	{"infoblox", NULL},
	{"azure-dns", NULL},
	{"gcp-dns", NULL},
	{"f5-gtm", NULL},
};

#define BACKEND_COUNT (sizeof(backends) / sizeof(backends[0]))

/* Joins the ids ("dry-run, bind-tsig, ...") into buf, all or only the available ones. */
static void join_ids(char *buf, size_t size, bool available_only)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < BACKEND_COUNT; i++) {
		if (available_only && backends[i].create == NULL) {
			continue;
		}
		int n = snprintf(buf + used, size - used, "%s%s", used > 0 ? ", " : "",
				 backends[i].id);
		if (n < 0 || (size_t)n >= size - used) {
			break;
		}
		used += (size_t)n;
	}
}

const char *provider_list(void)
{
	/* Built once from the table; the daemon has no threads (STYLE 22). */
	static char list[256];
	if (list[0] == '\0') {
		join_ids(list, sizeof(list), false);
	}
	return list;
}

int provider_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	int ret = DF_ECONFIG;
	provider_t *p = NULL;
	char available[256];

	for (size_t i = 0; i < BACKEND_COUNT; i++) {
		if (strcmp(cfg->provider, backends[i].id) != 0) {
			continue;
		}
		if (backends[i].create == NULL) {
			join_ids(available, sizeof(available), true);
			df_detail_set(d,
				      "DNS_PROVIDER=%s is not available in this version "
				      "(available: %s)",
				      cfg->provider, available);
			ret = DF_ECONFIG;
			goto out;
		}
		ret = backends[i].create(&p, cfg, d);
		if (ret != DF_OK) {
			goto out;
		}
		*out = p;
		goto out;
	}
	df_detail_set(d, "unknown DNS_PROVIDER=%s (known: %s)", cfg->provider, provider_list());
	ret = DF_ECONFIG;
out:
	return ret;
}

bool provider_outcome_unknown(int ret)
{
	switch (ret) {
	case DF_EUNKNOWN:
	case DF_ETIMEDOUT:
	case DF_ENETWORK:
	case DF_EMALFORMED:
	case DF_EMISMATCH:
	case DF_ETSIG_MISSING:
	case DF_ETSIG_UNSIGNED:
	case DF_ETSIG_BADMAC:
	case DF_ETSIG_BADTIME:
	case DF_ETSIG_MISMATCH:
		return true;
	default:
		return false;
	}
}

void provider_free(provider_t *p)
{
	if (p == NULL) {
		return;
	}
	p->ops->free(p);
}

/* The outcome of one operation run on a private loop. */
typedef struct private_call {
	loop_t *loop;
	bool done;
	int ret;
	df_detail_t detail;
} private_call_t;

/* Past the deadline, or this long without one, a call has no outcome. */
#define PRIVATE_CALL_GRACE_MS 1000
#define PRIVATE_CALL_MAX_MS   (5 * 60 * 1000)

static void private_done(provider_t *p, int ret, const df_detail_t *d, void *arg)
{
	private_call_t *c = arg;
	(void)p;
	c->done = true;
	c->ret = ret;
	c->detail = *d;
	loop_stop(c->loop);
}

static void private_guard(loop_timer_t *t, void *arg)
{
	private_call_t *c = arg;
	(void)t;
	loop_stop(c->loop);
}

/*
 * Runs one operation of a provider that works on the loop to its end, on a
 * loop and multi of its own: the blocking form the commands call. Every
 * request of the operation is bounded by the provider's timeouts and
 * p->deadline_ms; a guard timer a little past the deadline makes sure the
 * call returns even if a provider forgot a bound.
 */
static int run_private(provider_t *p, const lease_t *expected, lease_t *out, bool swap,
		       df_detail_t *d)
{
	private_call_t c = {.ret = DF_EUNKNOWN};
	http_multi_t *m = NULL;
	loop_timer_t *guard = NULL;
	int ret = loop_new(&c.loop);
	if (ret == DF_OK) {
		ret = http_multi_new(&m, c.loop);
	}
	if (ret == DF_OK) {
		ret = loop_timer_new(c.loop, &guard, private_guard, &c);
	}
	if (ret != DF_OK) {
		df_detail_set(d, "cannot set up the %s call: %s", p->ops->id, df_strerror(ret));
		goto out;
	}
	int64_t left = PRIVATE_CALL_MAX_MS;
	if (p->deadline_ms > 0) {
		left = p->deadline_ms - clock_mono_ms();
		left = (left > 0 ? left : 0) + PRIVATE_CALL_GRACE_MS;
	}
	loop_timer_arm(guard, left, 0);
	ret = swap ? p->ops->swap_begin(p, m, expected, out, private_done, &c)
		   : p->ops->read_begin(p, m, out, private_done, &c);
	if (ret != DF_OK) {
		if (d != NULL && d->msg[0] == '\0') {
			df_detail_set(d, "the %s call could not start: %s", p->ops->id,
				      df_strerror(ret));
		}
		goto out;
	}
	ret = loop_run(c.loop);
	if (c.done) {
		ret = c.ret;
		if (d != NULL) {
			*d = c.detail;
		}
	} else {
		p->ops->cancel(p);
		/* What a cancelled swap sent may still apply: re-read. */
		ret = DF_EUNKNOWN;
		df_detail_set(d, "the %s call ended without an outcome", p->ops->id);
	}
out:
	loop_timer_free(guard);
	http_multi_free(m);
	loop_free(c.loop);
	return ret;
}

int provider_read(provider_t *p, lease_t *out, df_detail_t *d)
{
	if (p->ops->read != NULL) {
		return p->ops->read(p, out, d);
	}
	return run_private(p, NULL, out, false, d);
}

int provider_swap(provider_t *p, const lease_t *expected, lease_t *next, df_detail_t *d)
{
	if (p->ops->swap != NULL) {
		return p->ops->swap(p, expected, next, d);
	}
	return run_private(p, expected, next, true, d);
}

int provider_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			void *arg)
{
	if (p->ops->read_begin != NULL) {
		return p->ops->read_begin(p, m, out, done, arg);
	}
	df_detail_t d = {""};
	int ret = p->ops->read(p, out, &d);
	done(p, ret, &d, arg);
	return DF_OK;
}

int provider_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			provider_done_fn done, void *arg)
{
	if (p->ops->swap_begin != NULL) {
		return p->ops->swap_begin(p, m, expected, next, done, arg);
	}
	df_detail_t d = {""};
	int ret = p->ops->swap(p, expected, next, &d);
	done(p, ret, &d, arg);
	return DF_OK;
}

void provider_cancel(provider_t *p)
{
	if (p != NULL && p->ops->cancel != NULL) {
		p->ops->cancel(p);
	}
}
