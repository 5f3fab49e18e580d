/*
 * Picks the backend named by DNS_PROVIDER. The table below is the one list
 * of provider ids: error messages are built from it.
 */
#include <config.h> /* HAVE_GSSAPI; not src/config.h */

#include "src/provider/provider.h"

#include <stdarg.h>
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
	{"script", provider_script_new},
	{"route53", provider_route53_new},
	{"cloudflare", provider_cloudflare_new},
	{"infoblox", provider_infoblox_new},
	{"azure-dns", provider_azure_new},
	{"gcp-dns", provider_gcp_new},
	{"f5-gtm", provider_f5_new},
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

/* The longest TXT character-string. */
#define TXT_STRING_MAX 255

int provider_txt_decode(const char *content, size_t len, char *out, size_t size)
{
	size_t used = 0, i = 0;
	if (size == 0) {
		return DF_ENOSPACE;
	}
	out[0] = '\0';
	while (i < len && (content[i] == ' ' || content[i] == '\t')) {
		i++;
	}
	if (i < len && content[i] != '"') {
		/* Stored without quotes (written by hand or another tool). */
		size_t n = len - i;
		if (memchr(content + i, '\0', n) != NULL) {
			return DF_EINVAL;
		}
		if (n >= size) {
			return DF_ENOSPACE;
		}
		memcpy(out, content + i, n);
		out[n] = '\0';
		return DF_OK;
	}
	while (i < len) {
		if (content[i] == ' ' || content[i] == '\t') {
			i++;
			continue;
		}
		if (content[i] != '"') {
			return DF_EINVAL; /* text between strings */
		}
		i++;
		bool closed = false;
		while (i < len) {
			unsigned char c = (unsigned char)content[i++];
			if (c == '"') {
				closed = true;
				break;
			}
			if (c == '\\') {
				if (i >= len) {
					return DF_EINVAL;
				}
				if (content[i] >= '0' && content[i] <= '9') {
					/* \DDD, decimal (RFC 1035 section 5.1) */
					if (i + 3 > len) {
						return DF_EINVAL;
					}
					int v = 0;
					for (int k = 0; k < 3; k++) {
						char dc = content[i + k];
						if (dc < '0' || dc > '9') {
							return DF_EINVAL;
						}
						v = v * 10 + (dc - '0');
					}
					if (v > 255) {
						return DF_EINVAL;
					}
					c = (unsigned char)v;
					i += 3;
				} else {
					c = (unsigned char)content[i++];
				}
			}
			if (c == '\0') {
				return DF_EINVAL;
			}
			if (used + 1 >= size) {
				return DF_ENOSPACE;
			}
			out[used++] = (char)c;
		}
		if (!closed) {
			return DF_EINVAL;
		}
	}
	out[used] = '\0';
	return DF_OK;
}

int provider_txt_encode(const char *text, char *out, size_t size)
{
	size_t used = 0, in_string = 0;
	size_t len = strlen(text);
	/* An empty text is one empty string. */
	for (size_t i = 0; i <= len; i++) {
		bool open = in_string == 0 && (i < len || i == 0);
		if (open) {
			if (used + 1 >= size) {
				goto nospace;
			}
			if (used > 0) {
				out[used - 1] = '"';
				if (used + 2 >= size) {
					goto nospace;
				}
				out[used++] = ' ';
			}
			out[used++] = '"';
		}
		if (i == len) {
			break;
		}
		char c = text[i];
		size_t need = (c == '"' || c == '\\') ? 2 : 1;
		if (used + need + 2 > size) {
			goto nospace;
		}
		if (need == 2) {
			out[used++] = '\\';
		}
		out[used++] = c;
		/* Escapes count once: the limit is on the string's bytes. */
		if (++in_string == TXT_STRING_MAX) {
			in_string = 0;
			out[used++] = '"';
		}
	}
	if (in_string > 0 || len == 0) {
		if (used + 2 > size) {
			goto nospace;
		}
		out[used++] = '"';
	}
	out[used] = '\0';
	return DF_OK;
nospace:
	out[0] = '\0';
	return DF_ENOSPACE;
}

void provider_lease_set_txt(lease_t *l, const char *text, size_t len)
{
	lease_txt_t lt;
	df_detail_t why = {""};
	l->has_txt = true;
	l->txt_error[0] = '\0';
	if (len >= sizeof(l->txt)) {
		memcpy(l->txt, text, sizeof(l->txt) - 1);
		l->txt[sizeof(l->txt) - 1] = '\0';
		l->txt_valid = false;
		snprintf(l->txt_error, sizeof(l->txt_error), "TXT of %zu bytes is too long", len);
		return;
	}
	memcpy(l->txt, text, len);
	l->txt[len] = '\0';
	/* An unparsable TXT is still a lease record: the lease logic decides. */
	l->txt_valid = lease_txt_parse(&lt, text, len, &why) == DF_OK;
	if (l->txt_valid) {
		l->lease = lt;
	} else {
		snprintf(l->txt_error, sizeof(l->txt_error), "%s", why.msg);
	}
}

void provider_add_a(char a[64], size_t *count, char list[LEASE_A_LIST_MAX], const char *addr)
{
	size_t used = strlen(list);
	if (*count == 0) {
		snprintf(a, 64, "%s", addr);
	}
	/* Room for ", " + addr + "..." + NUL, or the list is cut. */
	size_t need = (*count > 0 ? 2 : 0) + strlen(addr);
	if (used + need + 4 <= LEASE_A_LIST_MAX) {
		snprintf(list + used, LEASE_A_LIST_MAX - used, "%s%s", *count > 0 ? ", " : "",
			 addr);
	} else if (used < 3 || strcmp(list + used - 3, "...") != 0) {
		snprintf(list + used, LEASE_A_LIST_MAX - used, "...");
	}
	(*count)++;
}

void provider_lease_add_a(lease_t *l, const char *addr)
{
	l->has_a = true;
	provider_add_a(l->a, &l->a_count, l->a_list, addr);
}

void provider_lease_add_a_list(lease_t *l, const char *list)
{
	for (const char *a = list; *a != '\0';) {
		char one[64];
		size_t n = strcspn(a, ",");
		snprintf(one, sizeof(one), "%.*s", (int)n, a);
		provider_lease_add_a(l, one);
		a += n;
		while (*a == ',' || *a == ' ') {
			a++;
		}
		if (strcmp(a, "...") == 0) {
			break;
		}
	}
}

void provider_report(provider_report_fn fn, void *arg, bool ok, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (fn != NULL) {
		fn(arg, ok, line);
	}
}

void provider_name_bare(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s", name);
	size_t len = strlen(buf);
	if (len > 1 && buf[len - 1] == '.') {
		buf[len - 1] = '\0';
	}
}

long provider_budget_ms(const provider_t *p, long configured_ms)
{
	long ms = configured_ms;
	if (p->deadline_ms > 0) {
		int64_t left = p->deadline_ms - clock_mono_ms();
		if (left < ms) {
			ms = left > 0 ? (long)left : 0;
		}
	}
	return ms;
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
