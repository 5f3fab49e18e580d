/*
 * DNS_PROVIDER=route53: the lease in an AWS Route 53 hosted zone
 * (rest-providers.md section 2), every request signed with SigV4.
 *
 * read   ListResourceRecordSets from the lease name, paged; the version is
 *        the exact A and TXT record sets read.
 * swap   one ChangeBatch: DELETE exactly what was read, CREATE the new sets
 *        (never UPSERT), so the batch is an atomic compare-and-swap; then
 *        GetChange until INSYNC. Without a TXT to compare against, the
 *        sets are read first and the batch CREATEs the TXT, which fails if
 *        one appeared meanwhile.
 * check  GetHostedZone (credentials and zone id, the zone's name against
 *        DNS_ZONE), then the read; nothing changes.
 *
 * Every operation is a little state machine over one request object (one
 * kept-alive connection). It runs on the caller's loop through http_multi
 * (read_begin, swap_begin), or blocking through http_client_perform() for
 * read/swap/check: the same steps either way.
 */
#include "src/provider/provider.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/common/clock.h"
#include "src/common/log.h"
#include "src/http/http_client.h"
#include "src/http/http_multi.h"
#include "src/http/sigv4.h"
#include "src/http/xml_read.h"
#include "src/loop/loop.h"
#include "src/provider/route53.h"
#include "src/provider/route53_conf.h"

#define API	       "/2013-04-01"
#define PAGE_ITEMS     "10"
#define PAGES_MAX      50
#define BODY_MAX       (1024 * 1024)
#define BACKOFF_FIRST  200   /* ms, doubled per retry of a throttled batch */
#define BACKOFF_MAX    3000  /* ms */
#define POLL_FIRST     100   /* ms, first GetChange after a PENDING answer */
#define POLL_MAX       1000  /* ms */
#define OP_DEFAULT_MAX 30000 /* ms an operation may take without a caller's deadline */

enum op_kind { OP_NONE, OP_READ, OP_SWAP, OP_CHECK };
enum step { ST_ZONE, ST_LIST, ST_CHANGE, ST_POLL };

typedef struct r53 {
	provider_t base;
	char host[256]; /* the endpoint's authority, as the Host header */
	char base_url[CONFIG_STR_MAX];
	sigv4_key_t key;
	const char *token; /* "" when none */
	http_options_t opt;
	http_request_t *req;

	/* The operation in flight. */
	enum op_kind kind;
	enum step step;
	bool async;
	http_multi_t *m;
	loop_timer_t *timer;
	provider_done_fn done;
	void *arg;
	provider_report_fn report;
	void *report_arg;
	lease_t *out;		 /* read: the lease read; swap: next */
	const lease_t *expected; /* swap: as given */
	int64_t deadline;
	unsigned pages, retries, polls;
	route53_page_t page; /* the sets found so far */
	bool list_for_swap;  /* the listing is the read before a swap */
	char *batch;	     /* the ChangeBatch body */
	char what[160];	     /* its changes, for messages */
	route53_set_t new_a, new_txt;
	char change_id[128];
	int ret;
	df_detail_t d;
} r53_t;

static r53_t *r_of(provider_t *p)
{
	return (r53_t *)p;
}

static void esc(char *buf, size_t size, const char *s)
{
	log_escape(buf, size, s, strlen(s));
}

/* ---- building one request ---- */

static int sign_and_add(r53_t *r, const char *method, const char *path, const char *query,
			const char *body)
{
	char date[SIGV4_DATE_SIZE];
	char line[4352];
	int ret = sigv4_date(clock_wall(), date);
	if (ret != DF_OK) {
		return ret;
	}
	sigv4_header_t h[4] = {{"Host", r->host}, {"X-Amz-Date", date}};
	size_t nh = 2;
	if (body != NULL) {
		h[nh++] = (sigv4_header_t){"Content-Type", "text/xml"};
	}
	if (r->token[0] != '\0') {
		h[nh++] = (sigv4_header_t){"X-Amz-Security-Token", r->token};
	}
	sigv4_request_t sr = {
		.method = method,
		.path = path,
		.query = query,
		.headers = h,
		.header_count = nh,
		.body = body,
		.body_len = body != NULL ? strlen(body) : 0,
	};
	char authz[1024];
	ret = sigv4_authorization(&r->key, date, &sr, authz, sizeof(authz));
	for (size_t i = 0; ret == DF_OK && i < nh; i++) {
		snprintf(line, sizeof(line), "%s: %s", h[i].name, h[i].value);
		ret = http_request_add_header(r->req, line);
	}
	if (ret == DF_OK) {
		snprintf(line, sizeof(line), "Authorization: %s", authz);
		ret = http_request_add_header(r->req, line);
	}
	if (ret == DF_OK) {
		/* No 100-continue round trip before the batch. */
		ret = http_request_add_header(r->req, "Expect:");
	}
	if (ret == DF_OK && body != NULL) {
		ret = http_request_set_body(r->req, body, strlen(body));
	}
	explicit_bzero(line, sizeof(line));
	return ret;
}

/* The request of the current step, on the one request object. */
static int build(r53_t *r)
{
	char path[512], query[1024], url[CONFIG_STR_MAX + 1600];
	const char *method = "GET";
	const char *body = NULL;
	query[0] = '\0';
	const config_t *cfg = r->base.cfg;
	switch (r->step) {
	case ST_ZONE:
		snprintf(path, sizeof(path), API "/hostedzone/%s", cfg->route53.zone_id);
		break;
	case ST_LIST: {
		const char *name = r->pages == 0 ? cfg->record : r->page.next_name;
		const char *type = r->pages == 0 ? "A" : r->page.next_type;
		char *en = http_client_escape(name);
		char *et = http_client_escape(type);
		char *ei = http_client_escape(r->page.next_id);
		if (en == NULL || et == NULL || ei == NULL) {
			free(en);
			free(et);
			free(ei);
			return DF_ENOMEM;
		}
		snprintf(path, sizeof(path), API "/hostedzone/%s/rrset", cfg->route53.zone_id);
		snprintf(query, sizeof(query), "name=%s%s%s%s%s&maxitems=%s", en,
			 et[0] != '\0' ? "&type=" : "", et,
			 r->pages > 0 && ei[0] != '\0' ? "&identifier=" : "",
			 r->pages > 0 ? ei : "", PAGE_ITEMS);
		free(en);
		free(et);
		free(ei);
		break;
	}
	case ST_CHANGE:
		method = "POST";
		body = r->batch;
		snprintf(path, sizeof(path), API "/hostedzone/%s/rrset/", cfg->route53.zone_id);
		break;
	case ST_POLL:
		snprintf(path, sizeof(path), API "/change/%s", r->change_id);
		break;
	}
	snprintf(url, sizeof(url), "%s%s%s%s", r->base_url, path, query[0] != '\0' ? "?" : "",
		 query);
	int64_t left = r->deadline - clock_mono_ms();
	if (left < 1) {
		return DF_ETIMEDOUT;
	}
	/* Each request is bounded by DNS_TIMEOUT and what is left of the deadline. */
	long timeout = left < (long)cfg->dns_timeout_ms ? (long)left : (long)cfg->dns_timeout_ms;
	int ret = DF_OK;
	if (r->req == NULL) {
		df_detail_t d = {""};
		ret = http_request_new(&r->req, method, url, &r->opt, &d);
	} else {
		ret = http_request_retarget(r->req, method, url);
	}
	if (ret == DF_OK) {
		/* One request object for every call: its connection is kept. */
		ret = http_request_set_timeouts(r->req, timeout, timeout);
	}
	if (ret == DF_OK) {
		ret = sign_and_add(r, method, path, query[0] != '\0' ? query : NULL, body);
	}
	return ret;
}

/* ---- reading the answers ---- */

static void finish(r53_t *r, int ret)
{
	r->ret = ret;
}

/* What an error answer means, as an error code with r->d set. */
static int answer_error(r53_t *r, const char *doing)
{
	const config_t *cfg = r->base.cfg;
	size_t len;
	const char *body = http_request_body(r->req, &len);
	long status = http_request_status(r->req);
	char code[64], msg[512], ecode[LOG_ESCAPE_SIZE(64)], emsg[LOG_ESCAPE_SIZE(200)];
	route53_error_kind_t kind =
		route53_parse_error(status, body, len, code, sizeof(code), msg, sizeof(msg));
	esc(ecode, sizeof(ecode), code);
	log_escape(emsg, sizeof(emsg), msg, strlen(msg) < 200 ? strlen(msg) : 200);
	switch (kind) {
	case ROUTE53_ERR_CONFLICT:
		df_detail_set(&r->d,
			      "Route 53 refused the change of %s (%s): someone else wrote first "
			      "(%s: %s)",
			      cfg->record, r->what, ecode, emsg);
		return DF_ECONFLICT;
	case ROUTE53_ERR_BATCH:
		df_detail_set(&r->d,
			      "Route 53 refused the change of %s in zone %s (%s) as invalid (%s: "
			      "%s): check DNS_RECORD, DNS_ZONE, DNS_TTL and ROUTE53_ZONE_ID",
			      cfg->record, cfg->route53.zone_id, r->what, ecode, emsg);
		return DF_ECONFIG;
	case ROUTE53_ERR_AUTH:
		if (strcmp(code, "SignatureDoesNotMatch") == 0) {
			df_detail_set(
				&r->d,
				"Route 53 %s: the signature does not match (%s: %s): check "
				"AWS_SECRET_ACCESS_KEY for AWS_ACCESS_KEY_ID=%s and the system "
				"clock",
				doing, ecode, emsg, cfg->route53.access_key_id);
		} else if (strcmp(code, "InvalidClientTokenId") == 0 ||
			   strcmp(code, "ExpiredToken") == 0) {
			df_detail_set(
				&r->d,
				"Route 53 %s: AWS does not know the credentials (%s: %s): check "
				"AWS_ACCESS_KEY_ID=%s%s",
				doing, ecode, emsg, cfg->route53.access_key_id,
				r->token[0] != '\0'
					? " and AWS_SESSION_TOKEN (expired?)"
					: "; temporary credentials also need AWS_SESSION_TOKEN");
		} else {
			df_detail_set(
				&r->d,
				"Route 53 %s: access denied (%s: %s): AWS_ACCESS_KEY_ID=%s needs "
				"route53:ListResourceRecordSets, ChangeResourceRecordSets, "
				"GetChange and GetHostedZone on ROUTE53_ZONE_ID=%s",
				doing, ecode, emsg, cfg->route53.access_key_id,
				cfg->route53.zone_id);
		}
		return DF_EACCES;
	case ROUTE53_ERR_CONFIG:
		if (strcmp(code, "NoSuchHostedZone") == 0) {
			df_detail_set(&r->d,
				      "Route 53 %s: no hosted zone ROUTE53_ZONE_ID=%s (%s: %s): "
				      "check the id of DNS_ZONE=%s in the Route 53 console",
				      doing, cfg->route53.zone_id, ecode, emsg, cfg->zone);
		} else {
			df_detail_set(&r->d,
				      "Route 53 %s: HTTP %ld %s: %s (check ROUTE53_ZONE_ID=%s and "
				      "DNS_RECORD=%s)",
				      doing, status, ecode, emsg, cfg->route53.zone_id,
				      cfg->record);
		}
		return DF_ECONFIG;
	case ROUTE53_ERR_RETRY:
		df_detail_set(&r->d, "Route 53 %s: %s: %s", doing, ecode, emsg);
		return DF_ERCODE;
	case ROUTE53_ERR_SERVER:
	default: {
		char m[256];
		http_request_message(r->req, m, sizeof(m));
		df_detail_set(&r->d, "Route 53 %s at %s: HTTP %ld%s%s: %s", doing,
			      cfg->route53.endpoint, status, code[0] != '\0' ? " " : "", ecode,
			      code[0] != '\0' ? emsg : m);
		return DF_ERCODE;
	}
	}
}

static int64_t backoff(unsigned n, int64_t first, int64_t max)
{
	int64_t d = first;
	for (unsigned i = 0; i < n && d < max; i++) {
		d *= 2;
	}
	return d < max ? d : max;
}

/* Fills r->out from the sets found; the read's result. */
static int read_done(r53_t *r, lease_t *out)
{
	const config_t *cfg = r->base.cfg;
	route53_page_t *pg = &r->page;
	lease_t l;
	memset(&l, 0, sizeof(l));
	snprintf(l.server, sizeof(l.server), "%.127s", cfg->route53.endpoint);
	if (pg->foreign_count > 0 && !pg->a.present && !pg->txt.present) {
		df_detail_set(&r->d,
			      "the lease name holds a routing-policy or alias record set, left "
			      "alone: %s; choose another DNS_RECORD or remove it",
			      pg->foreign);
		return DF_ECONFIG;
	}
	if (pg->foreign_count > 0) {
		log_warn("route53: %zu foreign record set(s) at %s left alone: %s",
			 pg->foreign_count, cfg->record, pg->foreign);
	}
	if (pg->a.present) {
		l.has_a = true;
		l.a_count = pg->a.count;
		snprintf(l.a, sizeof(l.a), "%.63s", pg->a.values[0]);
		size_t used = 0;
		for (size_t i = 0; i < pg->a.count && used + 4 < sizeof(l.a_list); i++) {
			int n = snprintf(l.a_list + used, sizeof(l.a_list) - used, "%s%s",
					 i > 0 ? ", " : "", pg->a.values[i]);
			if (n < 0 || (size_t)n >= sizeof(l.a_list) - used) {
				snprintf(l.a_list + (used < sizeof(l.a_list) - 4
							     ? used
							     : sizeof(l.a_list) - 4),
					 4, "...");
				break;
			}
			used += (size_t)n;
		}
	}
	if (pg->txt.present) {
		l.has_txt = true;
		char ev[LOG_ESCAPE_SIZE(80)];
		int ret = route53_txt_decode(pg->txt.values[0], l.txt, sizeof(l.txt));
		if (ret != DF_OK) {
			log_escape(ev, sizeof(ev), pg->txt.values[0],
				   strlen(pg->txt.values[0]) < 80 ? strlen(pg->txt.values[0]) : 80);
			df_detail_set(&r->d, "the TXT value at %s is not a valid Route 53 TXT (%s)",
				      cfg->record, ev);
			return DF_EMALFORMED;
		}
		df_detail_t why = {""};
		if (lease_txt_parse(&l.lease, l.txt, strlen(l.txt), &why) == DF_OK) {
			l.txt_valid = true;
		} else {
			snprintf(l.txt_error, sizeof(l.txt_error), "%s", why.msg);
		}
	}
	if (route53_version_put(&l.version, &pg->a, &pg->txt) != DF_OK) {
		df_detail_set(&r->d, "the record sets at %s are too large to compare and swap",
			      cfg->record);
		return DF_ENOSPACE;
	}
	*out = l;
	if (!l.has_txt) {
		df_detail_set(&r->d, "no lease TXT record at %s in hosted zone %s", cfg->record,
			      cfg->route53.zone_id);
		return DF_ENOTFOUND;
	}
	return DF_OK;
}

/* Starts the batch from the sets in old_a / old_txt. */
static int batch_begin(r53_t *r, const route53_set_t *old_a, const route53_set_t *old_txt)
{
	const config_t *cfg = r->base.cfg;
	free(r->batch);
	r->batch = NULL;
	int ret = route53_change_batch(cfg->record, cfg->dns_ttl, old_a, old_txt, r->out, &r->new_a,
				       &r->new_txt, &r->batch, r->what, sizeof(r->what));
	if (ret != DF_OK) {
		df_detail_set(&r->d, "cannot build the change of %s (A=%s)", cfg->record,
			      r->out->a);
		return ret;
	}
	r->step = ST_CHANGE;
	r->retries = 0;
	return DF_OK;
}

/*
 * Reads the answer to the current step. Returns true when the operation is
 * over (finish() called), else false with the next step set and *delay the
 * wait before it.
 */
static bool advance(r53_t *r, int http_ret, int64_t *delay)
{
	const config_t *cfg = r->base.cfg;
	*delay = 0;
	long status = http_request_status(r->req);
	size_t len;
	const char *body = http_request_body(r->req, &len);
	char why[200];
	static const char *const doing_of[] = {
		[ST_ZONE] = "GetHostedZone",
		[ST_LIST] = "ListResourceRecordSets",
		[ST_CHANGE] = "ChangeResourceRecordSets",
		[ST_POLL] = "GetChange",
	};
	const char *doing = doing_of[r->step];

	if (http_ret != DF_OK) {
		df_detail_set(&r->d, "Route 53 %s at %s: %s", doing, cfg->route53.endpoint,
			      http_request_reason(r->req));
		if (http_request_fail(r->req) == HTTP_FAIL_CA_FILE) {
			df_detail_prefix(&r->d, "ROUTE53_CA_FILE=%s", cfg->route53.ca_file);
		} else if (http_request_fail(r->req) == HTTP_FAIL_TLS) {
			df_detail_prefix(
				&r->d,
				"the certificate of ROUTE53_ENDPOINT=%s does not verify against "
				"%s%s",
				cfg->route53.endpoint,
				cfg->route53.ca_file[0] != '\0' ? "ROUTE53_CA_FILE="
								: "the system CA store",
				cfg->route53.ca_file);
		}
		/* A batch sent and not answered may have applied, and so
		 * may one accepted and not yet seen in sync. */
		bool maybe = (r->step == ST_CHANGE && http_ret != DF_ECONNREFUSED &&
			      http_request_fail(r->req) != HTTP_FAIL_TLS &&
			      http_request_fail(r->req) != HTTP_FAIL_CA_FILE) ||
			     r->step == ST_POLL;
		if (maybe) {
			df_detail_prefix(&r->d, "the outcome of the change of %s (%s) is unknown",
					 cfg->record, r->what);
		}
		finish(r, maybe ? DF_EUNKNOWN : http_ret);
		return true;
	}
	if (status != 200) {
		char code[64], msg[64];
		route53_error_kind_t kind = route53_parse_error(status, body, len, code,
								sizeof(code), msg, sizeof(msg));
		int ret = answer_error(r, doing);
		if (kind == ROUTE53_ERR_RETRY) {
			/* PriorRequestNotComplete, Throttling: nothing applied. */
			int64_t wait = backoff(r->retries++, BACKOFF_FIRST, BACKOFF_MAX);
			if (clock_mono_ms() + wait < r->deadline) {
				*delay = wait;
				return false;
			}
			df_detail_prefix(&r->d, "still refused at the deadline after %u attempts",
					 r->retries);
		} else if (r->step == ST_CHANGE && kind == ROUTE53_ERR_SERVER) {
			df_detail_prefix(&r->d, "the outcome of the change of %s (%s) is unknown",
					 cfg->record, r->what);
			ret = DF_EUNKNOWN;
		}
		if (r->step == ST_POLL) {
			/* The batch was accepted: it applies whatever GetChange says. */
			df_detail_prefix(&r->d, "change %s accepted but not seen INSYNC",
					 r->change_id);
			ret = DF_EUNKNOWN;
		}
		finish(r, ret);
		return true;
	}

	switch (r->step) {
	case ST_ZONE: {
		xml_doc_t *doc = NULL;
		if (xml_parse(&doc, body, len, why, sizeof(why)) != DF_OK) {
			df_detail_set(&r->d, "Route 53 GetHostedZone: %s", why);
			finish(r, DF_EMALFORMED);
			return true;
		}
		const char *name = xml_text(xml_path(xml_root(doc), "HostedZone/Name"));
		char dname[256], ename[LOG_ESCAPE_SIZE(100)];
		bool ok = route53_name_decode(name, dname, sizeof(dname)) == DF_OK;
		log_escape(ename, sizeof(ename), name, strlen(name) < 100 ? strlen(name) : 100);
		if (!ok || strcmp(dname, cfg->zone) != 0) {
			df_detail_set(&r->d,
				      "hosted zone ROUTE53_ZONE_ID=%s is '%s', not DNS_ZONE=%s: "
				      "check both",
				      cfg->route53.zone_id, ename, cfg->zone);
			xml_free(doc);
			if (r->report != NULL) {
				r->report(r->report_arg, false, r->d.msg);
			}
			finish(r, DF_ECONFIG);
			return true;
		}
		xml_free(doc);
		if (r->report != NULL) {
			char line[1200];
			snprintf(line, sizeof(line),
				 "Route 53 accepts AWS_ACCESS_KEY_ID=%s%s: hosted zone %s is %s",
				 cfg->route53.access_key_id,
				 r->token[0] != '\0' ? " with AWS_SESSION_TOKEN" : "",
				 cfg->route53.zone_id, cfg->zone);
			r->report(r->report_arg, true, line);
		}
		r->step = ST_LIST;
		return false;
	}
	case ST_LIST: {
		if (route53_parse_listing(body, len, cfg->record, &r->page, why, sizeof(why)) !=
		    DF_OK) {
			df_detail_set(&r->d, "Route 53 ListResourceRecordSets: %s", why);
			finish(r, DF_EMALFORMED);
			return true;
		}
		r->pages++;
		if (r->page.truncated && strcmp(r->page.next_name, cfg->record) == 0) {
			if (r->pages >= PAGES_MAX) {
				df_detail_set(&r->d, "more than %d pages of record sets at %s",
					      PAGES_MAX, cfg->record);
				finish(r, DF_ERANGE);
				return true;
			}
			return false;
		}
		if (r->kind == OP_SWAP) {
			/* The read before a swap without a TXT to compare. */
			lease_t now;
			int ret = read_done(r, &now);
			if (ret == DF_OK) {
				df_detail_set(&r->d,
					      "a lease TXT appeared at %s meanwhile: someone else "
					      "wrote first",
					      cfg->record);
				finish(r, DF_ECONFLICT);
				return true;
			}
			if (ret != DF_ENOTFOUND) {
				finish(r, ret);
				return true;
			}
			r->d.msg[0] = '\0';
			ret = batch_begin(r, &r->page.a, NULL);
			if (ret != DF_OK) {
				finish(r, ret);
				return true;
			}
			return false;
		}
		lease_t tmp;
		int ret = read_done(r, r->kind == OP_READ ? r->out : &tmp);
		if (r->kind == OP_CHECK && r->report != NULL) {
			char line[1200];
			snprintf(line, sizeof(line), "read %s in hosted zone %s: %s", cfg->record,
				 cfg->route53.zone_id,
				 ret == DF_OK	       ? "A and TXT found"
				 : ret == DF_ENOTFOUND ? "no lease yet (run init)"
						       : r->d.msg);
			r->report(r->report_arg, ret == DF_OK || ret == DF_ENOTFOUND, line);
			if (ret == DF_ENOTFOUND) {
				ret = DF_OK;
			}
		}
		finish(r, ret);
		return true;
	}
	case ST_CHANGE:
	case ST_POLL: {
		xml_doc_t *doc = NULL;
		if (xml_parse(&doc, body, len, why, sizeof(why)) != DF_OK) {
			df_detail_set(&r->d, "Route 53 %s: %s; the change may have applied", doing,
				      why);
			finish(r, DF_EUNKNOWN);
			return true;
		}
		const xml_node_t *info = xml_child(xml_root(doc), "ChangeInfo");
		const char *id = xml_child_text(info, "Id");
		const char *st = xml_child_text(info, "Status");
		if (id == NULL || st == NULL) {
			xml_free(doc);
			df_detail_set(&r->d,
				      "Route 53 %s: no ChangeInfo in the answer; the change "
				      "may have applied",
				      doing);
			finish(r, DF_EUNKNOWN);
			return true;
		}
		if (strncmp(id, "/change/", 8) == 0) {
			id += 8;
		}
		bool id_ok = strlen(id) > 0 && strlen(id) < sizeof(r->change_id) &&
			     strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == strlen(id);
		if (r->step == ST_CHANGE && id_ok) {
			snprintf(r->change_id, sizeof(r->change_id), "%s", id);
		}
		bool insync = strcmp(st, "INSYNC") == 0;
		xml_free(doc);
		if (!id_ok) {
			df_detail_set(&r->d,
				      "Route 53 %s: a bad change id; the change may have "
				      "applied",
				      doing);
			finish(r, DF_EUNKNOWN);
			return true;
		}
		if (insync) {
			r->out->version.len = 0;
			if (route53_version_put(&r->out->version, &r->new_a, &r->new_txt) !=
			    DF_OK) {
				finish(r, DF_ENOSPACE);
				return true;
			}
			finish(r, DF_OK);
			return true;
		}
		int64_t wait = backoff(r->polls++, POLL_FIRST, POLL_MAX);
		if (clock_mono_ms() + wait >= r->deadline) {
			df_detail_set(&r->d,
				      "Route 53 accepted change %s (%s of %s) but it was still %s "
				      "at the deadline",
				      r->change_id, r->what, cfg->record, "PENDING");
			finish(r, DF_EUNKNOWN);
			return true;
		}
		r->step = ST_POLL;
		r->retries = 0;
		*delay = wait;
		return false;
	}
	}
	finish(r, DF_EINVAL);
	return true;
}

/* ---- the two drivers ---- */

static int setup(r53_t *r, enum op_kind kind, lease_t *out, const lease_t *expected)
{
	int64_t now = clock_mono_ms();
	r->kind = kind;
	r->out = out;
	r->expected = expected;
	/* Without the daemon's deadline (the commands), an operation takes at
	 * most one UPDATE_INTERVAL, as a tick of the daemon would. */
	int64_t bound = r->base.cfg->update_interval > 0
				? (int64_t)r->base.cfg->update_interval * 1000
				: OP_DEFAULT_MAX;
	r->deadline = r->base.deadline_ms > 0 ? r->base.deadline_ms : now + bound;
	r->pages = r->retries = r->polls = 0;
	r->change_id[0] = '\0';
	r->what[0] = '\0';
	r->ret = DF_OK;
	r->d.msg[0] = '\0';
	memset(&r->page, 0, sizeof(r->page));
	if (r->deadline <= now) {
		df_detail_set(&r->d, "no time left before the deadline");
		return DF_ETIMEDOUT;
	}
	switch (kind) {
	case OP_CHECK:
		r->step = ST_ZONE;
		return DF_OK;
	case OP_READ:
		r->step = ST_LIST;
		return DF_OK;
	case OP_SWAP:
		break;
	default:
		return DF_EINVAL;
	}
	if (expected == NULL || !expected->has_txt || expected->version.len == 0) {
		/* Nothing to compare: read what is there first. */
		r->step = ST_LIST;
		return DF_OK;
	}
	route53_set_t *old_a = malloc(sizeof(*old_a)), *old_txt = malloc(sizeof(*old_txt));
	int ret = DF_ENOMEM;
	if (old_a != NULL && old_txt != NULL) {
		ret = route53_version_get(&expected->version, old_a, old_txt);
		if (ret != DF_OK) {
			df_detail_set(&r->d,
				      "the lease to compare against was not read from Route 53");
			ret = DF_EINVAL;
		} else {
			ret = batch_begin(r, old_a, old_txt);
		}
	}
	free(old_a);
	free(old_txt);
	return ret;
}

static int run_blocking(r53_t *r)
{
	for (;;) {
		int ret = build(r);
		if (ret != DF_OK) {
			if (r->d.msg[0] == '\0') {
				df_detail_set(&r->d, "Route 53: cannot make the request (%s)",
					      df_strerror(ret));
			}
			return ret == DF_ETIMEDOUT && r->step == ST_POLL ? DF_EUNKNOWN : ret;
		}
		df_detail_t d = {""};
		ret = http_client_perform(r->req, &d);
		int64_t delay = 0;
		if (advance(r, ret, &delay)) {
			return r->ret;
		}
		if (delay > 0) {
			struct timespec ts = {.tv_sec = delay / 1000,
					      .tv_nsec = (delay % 1000) * 1000000};
			nanosleep(&ts, NULL);
		}
	}
}

static void end_op(r53_t *r)
{
	free(r->batch);
	r->batch = NULL;
	r->kind = OP_NONE;
}

/* One operation to its end, blocking: the form the commands and validate use. */
static int run_op(r53_t *r, enum op_kind kind, lease_t *out, const lease_t *expected,
		  df_detail_t *d)
{
	int ret = setup(r, kind, out, expected);
	if (ret == DF_OK) {
		ret = run_blocking(r);
	}
	if (d != NULL) {
		*d = r->d;
	}
	end_op(r);
	return ret;
}

static int r53_read(provider_t *p, lease_t *out, df_detail_t *d)
{
	return run_op(r_of(p), OP_READ, out, NULL, d);
}

static int r53_swap(provider_t *p, const lease_t *expected, lease_t *next, df_detail_t *d)
{
	return run_op(r_of(p), OP_SWAP, next, expected, d);
}

static int r53_check(provider_t *p, provider_report_fn report, void *arg, df_detail_t *d)
{
	r53_t *r = r_of(p);
	lease_t tmp;
	r->report = report;
	r->report_arg = arg;
	int ret = run_op(r, OP_CHECK, &tmp, NULL, d);
	/* The listing step reports itself; an earlier failure is said here. */
	if (ret != DF_OK && report != NULL && r->d.msg[0] != '\0' && r->step != ST_LIST) {
		report(arg, false, r->d.msg);
	}
	r->report = NULL;
	return ret;
}

static void on_http(http_request_t *req, int ret, void *arg);

/* Starts the current step on the loop; false (finish() called) when it cannot. */
static bool kick(r53_t *r)
{
	int ret = build(r);
	if (ret == DF_OK) {
		ret = http_request_begin(r->m, r->req, on_http, r);
	}
	if (ret != DF_OK) {
		if (r->d.msg[0] == '\0') {
			df_detail_set(&r->d, "Route 53: cannot start the request (%s)",
				      df_strerror(ret));
		}
		finish(r, ret == DF_ETIMEDOUT && r->step == ST_POLL ? DF_EUNKNOWN : ret);
		return false;
	}
	return true;
}

static void complete(r53_t *r)
{
	provider_done_fn done = r->done;
	void *arg = r->arg;
	df_detail_t d = r->d;
	int ret = r->ret;
	loop_timer_free(r->timer);
	r->timer = NULL;
	r->m = NULL;
	end_op(r);
	/* The operation is over before done runs: it may begin another. */
	done(&r->base, ret, &d, arg);
}

static void on_timer(loop_timer_t *t, void *arg)
{
	r53_t *r = arg;
	(void)t;
	if (!kick(r)) {
		complete(r);
	}
}

static void on_http(http_request_t *req, int ret, void *arg)
{
	r53_t *r = arg;
	(void)req;
	int64_t delay = 0;
	if (advance(r, ret, &delay)) {
		complete(r);
		return;
	}
	if (delay > 0) {
		loop_timer_arm(r->timer, delay, 0);
		return;
	}
	if (!kick(r)) {
		complete(r);
	}
}

static int begin_async(r53_t *r, http_multi_t *m, provider_done_fn done, void *arg)
{
	r->async = true;
	r->m = m;
	r->done = done;
	r->arg = arg;
	int ret = loop_timer_new(http_multi_loop(m), &r->timer, on_timer, r);
	if (ret == DF_OK) {
		/* The first request starts from the loop, so that done never
		 * runs inside the begin call. */
		loop_timer_arm(r->timer, 0, 0);
		return DF_OK;
	}
	end_op(r);
	r->m = NULL;
	return ret;
}

static int r53_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			  void *arg)
{
	r53_t *r = r_of(p);
	if (m == NULL || out == NULL || done == NULL || r->kind != OP_NONE) {
		return DF_EINVAL;
	}
	int ret = setup(r, OP_READ, out, NULL);
	if (ret != DF_OK) {
		end_op(r);
		return ret;
	}
	return begin_async(r, m, done, arg);
}

static int r53_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			  provider_done_fn done, void *arg)
{
	r53_t *r = r_of(p);
	if (m == NULL || next == NULL || done == NULL || r->kind != OP_NONE) {
		return DF_EINVAL;
	}
	int ret = setup(r, OP_SWAP, next, expected);
	if (ret != DF_OK) {
		end_op(r);
		return ret;
	}
	return begin_async(r, m, done, arg);
}

static void r53_cancel(provider_t *p)
{
	r53_t *r = r_of(p);
	if (r->kind == OP_NONE || !r->async) {
		return;
	}
	if (r->m != NULL && r->req != NULL) {
		http_request_cancel(r->m, r->req);
	}
	loop_timer_free(r->timer);
	r->timer = NULL;
	r->m = NULL;
	end_op(r);
}

static void r53_free(provider_t *p)
{
	r53_t *r = r_of(p);
	r53_cancel(p);
	http_request_free(r->req);
	free(r->batch);
	explicit_bzero(r, sizeof(*r));
	free(r);
}

static const provider_ops_t route53_ops = {
	.id = "route53",
	.atomic_cas = true,
	.read = r53_read,
	.swap = r53_swap,
	.check = r53_check,
	.read_begin = r53_read_begin,
	.swap_begin = r53_swap_begin,
	.cancel = r53_cancel,
	.free = r53_free,
};

int provider_route53_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	const config_route53_t *c = &cfg->route53;
	const char *why = NULL;
	if (!http_client_url_usable(c->endpoint, &why)) {
		df_detail_set(d, "ROUTE53_ENDPOINT=%s: %s", c->endpoint, why);
		return DF_ECONFIG;
	}
	if (c->access_key_id[0] == '\0' || c->secret_access_key[0] == '\0' ||
	    c->zone_id[0] == '\0') {
		df_detail_set(d, "DNS_PROVIDER=route53 needs AWS_ACCESS_KEY_ID, "
				 "AWS_SECRET_ACCESS_KEY and ROUTE53_ZONE_ID");
		return DF_ECONFIG;
	}
	r53_t *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return DF_ENOMEM;
	}
	r->base.ops = &route53_ops;
	r->base.cfg = cfg;
	/* https://host[:port][/prefix]: the authority is the Host header. */
	const char *auth = strstr(c->endpoint, "://") + 3;
	size_t alen = strcspn(auth, "/");
	snprintf(r->host, sizeof(r->host), "%.*s", (int)alen, auth);
	snprintf(r->base_url, sizeof(r->base_url), "%s", c->endpoint);
	size_t bl = strlen(r->base_url);
	if (bl > 0 && r->base_url[bl - 1] == '/') {
		r->base_url[bl - 1] = '\0';
	}
	r->key = (sigv4_key_t){
		.access_key_id = c->access_key_id,
		.secret_access_key = c->secret_access_key,
		.region = route53_signing_region(c),
		.service = "route53",
	};
	r->token = c->session_token;
	r->opt = (http_options_t){
		.ca_file = c->ca_file,
		.proxy = cfg->https_proxy,
		.connect_timeout_ms = cfg->dns_timeout_ms,
		.timeout_ms = cfg->dns_timeout_ms,
		.body_max = BODY_MAX,
	};
	*out = &r->base;
	return DF_OK;
}
