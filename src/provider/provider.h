/*
 * One interface for every DNS backend, so the lease logic never knows which
 * one it talks to (DESIGN section 4):
 *   read  -> DF_OK | DF_ENOTFOUND | error
 *   swap  -> DF_OK | DF_ECONFLICT | another error: the outcome is unknown,
 *            re-read before deciding
 * The lease carries a version that only the provider looks inside: read()
 * fills it, swap() makes its write conditional on the expected lease's
 * version and fills next's with the version its write gives the record.
 *   check -> proves credentials and reachability with no change
 *
 * A provider whose calls are DNS exchanges runs them blocking, bounded by
 * the caller's deadline (DESIGN section 8 allows it). A provider that talks
 * HTTP runs them on the event loop instead (read_begin, swap_begin): its
 * requests go through the caller's http_multi_t and its completion comes
 * back as a callback, so that the daemon's step-down timer, /metrics and
 * the watcher go on while an API is slow. Callers use provider_read(),
 * provider_swap() (blocking, for the commands) and provider_read_begin(),
 * provider_swap_begin() (the daemon), which work with either kind.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/conf/config.h"
#include "src/common/error.h"
#include "src/lease/lease_value.h"

typedef struct provider provider_t;
typedef struct http_multi http_multi_t;

/*
 * Called once when an operation begun with read_begin() / swap_begin()
 * ends: ret is what the blocking form would have returned, d (never NULL)
 * its detail; the lease handed to the begin call is filled by then. The
 * operation is over: the callback may begin another or free the provider.
 */
typedef void (*provider_done_fn)(provider_t *p, int ret, const df_detail_t *d, void *arg);

/* Called by check() for every step it proves or fails. */
typedef void (*provider_report_fn)(void *arg, bool ok, const char *what);

typedef struct provider_ops {
	const char *id;
	bool atomic_cas; /* swap() is a true compare-and-swap */
	/* Without atomic_cas: what the swap does instead and what that means
	 * for two writers, in words for `validate` and the start-up log. */
	const char *cas_note;
	int (*read)(provider_t *p, lease_t *out, df_detail_t *d);
	/* expected: the lease last read or written (its version), NULL or
	 * !has_txt when there was none. next: the A address and TXT value to
	 * write (has_a, a, lease); on return its version is the one the record
	 * has if the write applied (len 0 when the provider cannot know it
	 * before reading it back). */
	int (*swap)(provider_t *p, const lease_t *expected, lease_t *next, df_detail_t *d);
	int (*check)(provider_t *p, provider_report_fn report, void *arg, df_detail_t *d);
	/* The same operations on the loop, for providers that talk HTTP: the
	 * requests go through m (borrowed until done ran or cancel), done runs
	 * once from the loop, never inside the begin call. A provider has
	 * read and swap, or read_begin, swap_begin and cancel, or all five.
	 * The begin calls return DF_OK, or an error when nothing started (done
	 * never runs then). One operation at a time per provider. */
	int (*read_begin)(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			  void *arg);
	int (*swap_begin)(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			  provider_done_fn done, void *arg);
	/* Stops the operation in flight; its done never runs. Harmless when
	 * none is. What a cancelled swap sent may still apply: re-read. */
	void (*cancel)(provider_t *p);
	/* Negotiated keys (GSS-TSIG): contexts negotiated so far and seconds
	 * the current one remains valid. NULL for providers with fixed keys. */
	void (*key_state)(provider_t *p, uint64_t *negotiations, int64_t *remaining);
	void (*free)(provider_t *p);
} provider_ops_t;

struct provider {
	const provider_ops_t *ops;
	const config_t *cfg; /* borrowed, must outlive the provider */
	/* Monotonic instant (ms) by which every call must have returned; 0:
	 * only the configured timeouts. Set by the daemon before each tick. */
	int64_t deadline_ms;
};

/* Creates the provider named by cfg->provider. Caller frees with provider_free(). */
int provider_new(provider_t **out, const config_t *cfg, df_detail_t *d);
void provider_free(provider_t *p);

/* Constructors of each backend, called by provider_new(). */
int provider_bind_new(provider_t **out, const config_t *cfg, df_detail_t *d);
int provider_dryrun_new(provider_t **out, const config_t *cfg, df_detail_t *d);
int provider_adgss_new(provider_t **out, const config_t *cfg, df_detail_t *d); /* GSSAPI builds */
int provider_route53_new(provider_t **out, const config_t *cfg, df_detail_t *d);
int provider_cloudflare_new(provider_t **out, const config_t *cfg, df_detail_t *d);
int provider_gcp_new(provider_t **out, const config_t *cfg, df_detail_t *d);
int provider_azure_new(provider_t **out, const config_t *cfg, df_detail_t *d);
int provider_infoblox_new(provider_t **out, const config_t *cfg, df_detail_t *d);
int provider_f5_new(provider_t **out, const config_t *cfg, df_detail_t *d);
int provider_script_new(provider_t **out, const config_t *cfg, df_detail_t *d);

/*
 * The blocking forms, for the commands: a provider that runs on the loop
 * gets a private loop and multi for the call, bounded by p->deadline_ms
 * and its own timeouts.
 */
int provider_read(provider_t *p, lease_t *out, df_detail_t *d);
int provider_swap(provider_t *p, const lease_t *expected, lease_t *next, df_detail_t *d);

/*
 * The forms for the daemon's loop. A provider that runs on the loop starts
 * the operation on m and returns; a blocking provider makes its call now
 * (bounded by p->deadline_ms) and done runs before this returns. Either
 * way done runs exactly once when DF_OK is returned, never when an error
 * is (nothing started). provider_cancel() stops what is in flight.
 */
int provider_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			void *arg);
int provider_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			provider_done_fn done, void *arg);
void provider_cancel(provider_t *p);

/*
 * For providers: sets l's TXT to text (len bytes) as read, parsed into
 * l->lease when it is a lease value (txt_valid), else why not in
 * l->txt_error; a text too long for l->txt is cut and invalid.
 */
void provider_lease_set_txt(lease_t *l, const char *text, size_t len);

/*
 * A TXT record's text from its presentation (reference/rest-providers.md
 * section 1): quoted character-strings, each string's quotes stripped,
 * \DDD (decimal) and \X escapes undone, strings concatenated; a text that
 * does not start with a quote is taken as it is. DF_OK, DF_EINVAL (an
 * unterminated string or escape, text between strings, a NUL) or
 * DF_ENOSPACE (out, size bytes, always terminated).
 */
int provider_txt_decode(const char *content, size_t len, char *out, size_t size);

/*
 * text as TXT presentation: quoted character-strings of at most 255 bytes,
 * '"' and '\' escaped. DF_OK or DF_ENOSPACE (out is then "").
 */
int provider_txt_encode(const char *text, char *out, size_t size);

/*
 * For providers: adds one A address read to an address set kept as a
 * lease_t keeps it: a (the first), *count, and list (", "-separated, cut
 * with "..."). Starts from a zeroed set.
 */
void provider_add_a(char a[64], size_t *count, char list[LEASE_A_LIST_MAX], const char *addr);

/* For providers: adds one A address read to l (a, a_count, a_list, has_a). */
void provider_lease_add_a(lease_t *l, const char *addr);

/* For providers: adds every address of list (an a_list as provider_lease_add_a() makes it). */
void provider_lease_add_a_list(lease_t *l, const char *list);

/* For check(): one line through fn (may be NULL), formatted. */
void provider_report(provider_report_fn fn, void *arg, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* For providers: name (a DNS name) without its trailing dot, into buf. */
void provider_name_bare(char *buf, size_t size, const char *name);

/*
 * For providers: the milliseconds one request or program may take now,
 * configured_ms cut by p->deadline_ms (0 or less: no time is left).
 */
long provider_budget_ms(const provider_t *p, long configured_ms);

/* Lists the provider ids, for error messages. */
const char *provider_list(void);

/*
 * Whether a swap() that returned ret may have applied all the same: the
 * message went out and its answer was lost, unsigned or unverifiable, or a
 * resent copy met our own first one (DF_EUNKNOWN). Only then does reading
 * the lease back tell the outcome; any other error applied nothing.
 */
bool provider_outcome_unknown(int ret);
