/*
 * fake_route53: a stand-in for the AWS Route 53 API over HTTPS, enforcing
 * the contract of rest-providers.md section 2 for the system tests and the
 * benchmark.
 *
 *   fake_route53 -p PORT -C CERT -K KEY -a ACCESS_KEY_ID -s SECRET_FILE -z ZONE_ID
 *                -n ZONE_NAME [-t TOKEN_FILE] [-r REGION] [-c CONTROL_FILE]
 *                [-i SEED_FILE] [-S STATE_FILE] [-P PIDFILE]
 *
 * Serves https://127.0.0.1:PORT with the certificate CERT (PEM, key KEY):
 *   GET  /2013-04-01/hostedzone/ZONE_ID               GetHostedZone
 *   GET  /2013-04-01/hostedzone/ZONE_ID/rrset         ListResourceRecordSets
 *        (name, type, identifier, maxitems; order by reversed labels, then type)
 *   POST /2013-04-01/hostedzone/ZONE_ID/rrset/        ChangeResourceRecordSets
 *   GET  /2013-04-01/change/ID                        GetChange
 * Every request must carry a valid SigV4 Authorization for ACCESS_KEY_ID
 * with the secret in SECRET_FILE, service route53, region REGION (default
 * us-east-1), an X-Amz-Date within 5 minutes, and with -t the session
 * token, signed: otherwise 403 SignatureDoesNotMatch, InvalidClientTokenId
 * or IncompleteSignature. Another zone id is 404 NoSuchHostedZone.
 *
 * A batch applies all or nothing: a DELETE must give exactly the TTL and
 * values the set holds ("... but the values provided do not match the
 * current values", "... but it was not found"), a CREATE of an existing set
 * fails ("... but it already exists"); TXT values must be quoted; names
 * must be in the zone. Errors are InvalidChangeBatch in the ErrorResponse
 * envelope (a bracketed list for several) or, with "envelope=batch" in the
 * control file, the <InvalidChangeBatch> one. A change is PENDING for
 * insync_ms (default 200) then INSYNC.
 *
 * CONTROL_FILE, re-read whenever it changes, holds "key=value" lines:
 *   throttle=N  the next N batches answer 400 Throttling (Rate exceeded)
 *   prior=N     the next N batches answer 400 PriorRequestNotComplete
 *   fail500=N   the next N batches answer 500 without applying
 *   deny=N      the next N batches answer 403 AccessDenied (a policy without
 *               route53:ChangeResourceRecordSets)
 *   envelope=errorresponse|batch
 *   insync_ms=MS
 *   maxitems=N  cap on a listing page (default 100)
 *   hang_ms=MS  every request waits MS before it is read (a stalled API; the
 *               fake serves one request at a time, so all of them stall)
 *   lose=N      the next N batches are applied, then answered only after
 *               lose_ms (default 1500): the client's timeout loses the answer
 * SEED_FILE lines: "NAME TYPE TTL VALUE [VALUE...]" (a value with spaces in
 * double quotes as Route 53 writes TXT), or "NAME TYPE weighted ID" for a
 * foreign weighted set. STATE_FILE is rewritten after every applied batch:
 * one "NAME TYPE TTL VALUE|VALUE" line per set. Each request and each new
 * TLS connection is one line on stderr ("conn", "GET /path 200 Code").
 * SIGTERM ends it with status 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "src/http/http_client.h"
#include "src/http/sigv4.h"
#include "src/http/xml_read.h"

#define NS	   "https://route53.amazonaws.com/doc/2013-04-01/"
#define SETS_MAX   256
#define VALUES_MAX 16
#define VALUE_MAX  1100
#define BODY_MAX   (256 * 1024)

typedef struct rset {
	char name[256]; /* absolute, lower case */
	char type[16];
	uint32_t ttl;
	char set_id[64]; /* weighted: a foreign set */
	size_t count;
	char values[VALUES_MAX][VALUE_MAX];
} rset_t;

typedef struct change {
	char id[32];
	int64_t at_ms;
} change_t;

static rset_t sets[SETS_MAX];
static size_t nsets;
static change_t changes[1024];
static size_t nchanges;
static unsigned change_seq;

static const char *access_key, *zone_id, *zone_name, *region = "us-east-1";
static char secret[256], token[4096];
static const char *control_path, *state_path;
static char control_text[1024];
static int throttle_n, prior_n, fail500_n, insync_ms = 200, maxitems_cap = 100, hang_ms;
static int lose_n, lose_ms = 1500, deny_n;
static bool envelope_batch;
static volatile sig_atomic_t stop;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return NULL;
	}
	char *buf = malloc(65536);
	size_t n = buf != NULL ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (buf != NULL) {
		buf[n] = '\0';
	}
	return buf;
}

static void read_line_file(const char *path, char *out, size_t size)
{
	char *s = slurp(path);
	if (s == NULL) {
		fprintf(stderr, "fake_route53: cannot read %s\n", path);
		exit(2);
	}
	s[strcspn(s, "\r\n")] = '\0';
	snprintf(out, size, "%s", s);
	free(s);
}

static void reload_control(void)
{
	if (control_path == NULL) {
		return;
	}
	char *s = slurp(control_path);
	if (s == NULL) {
		s = strdup("");
	}
	if (s == NULL || strncmp(s, control_text, sizeof(control_text) - 1) == 0) {
		free(s);
		return;
	}
	snprintf(control_text, sizeof(control_text), "%s", s);
	throttle_n = prior_n = fail500_n = hang_ms = lose_n = deny_n = 0;
	lose_ms = 1500;
	envelope_batch = false;
	for (char *line = strtok(s, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		int v;
		char w[32];
		if (sscanf(line, "throttle=%d", &v) == 1) {
			throttle_n = v;
		} else if (sscanf(line, "prior=%d", &v) == 1) {
			prior_n = v;
		} else if (sscanf(line, "fail500=%d", &v) == 1) {
			fail500_n = v;
		} else if (sscanf(line, "insync_ms=%d", &v) == 1) {
			insync_ms = v;
		} else if (sscanf(line, "deny=%d", &v) == 1) {
			deny_n = v;
		} else if (sscanf(line, "lose=%d", &v) == 1) {
			lose_n = v;
		} else if (sscanf(line, "lose_ms=%d", &v) == 1) {
			lose_ms = v;
		} else if (sscanf(line, "hang_ms=%d", &v) == 1) {
			hang_ms = v;
		} else if (sscanf(line, "maxitems=%d", &v) == 1) {
			maxitems_cap = v;
		} else if (sscanf(line, "envelope=%31s", w) == 1) {
			envelope_batch = strcmp(w, "batch") == 0;
		}
	}
	fprintf(stderr, "control: throttle=%d prior=%d fail500=%d insync_ms=%d maxitems=%d %s\n",
		throttle_n, prior_n, fail500_n, insync_ms, maxitems_cap,
		envelope_batch ? "batch" : "errorresponse");
	free(s);
}

/* ---- record sets ---- */

/* The sort key: labels reversed ("com.example.lease"), then the type. */
static void sort_key(const char *name, char *out, size_t size)
{
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s", name);
	size_t n = strlen(tmp);
	if (n > 0 && tmp[n - 1] == '.') {
		tmp[--n] = '\0';
	}
	out[0] = '\0';
	size_t used = 0;
	while (n > 0) {
		char *dot = strrchr(tmp, '.');
		const char *label = dot != NULL ? dot + 1 : tmp;
		used += (size_t)snprintf(out + used, size - used, "%s%s", used > 0 ? "." : "",
					 label);
		if (dot == NULL) {
			break;
		}
		*dot = '\0';
		n = strlen(tmp);
	}
}

static int set_cmp(const void *a, const void *b)
{
	const rset_t *x = a, *y = b;
	char kx[300], ky[300];
	sort_key(x->name, kx, sizeof(kx));
	sort_key(y->name, ky, sizeof(ky));
	int c = strcmp(kx, ky);
	if (c != 0) {
		return c;
	}
	c = strcmp(x->type, y->type);
	return c != 0 ? c : strcmp(x->set_id, y->set_id);
}

static rset_t *find(rset_t *list, size_t n, const char *name, const char *type)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) == 0 && strcmp(list[i].type, type) == 0 &&
		    list[i].set_id[0] == '\0') {
			return &list[i];
		}
	}
	return NULL;
}

static void save_state(void)
{
	if (state_path == NULL) {
		return;
	}
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", state_path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		return;
	}
	for (size_t i = 0; i < nsets; i++) {
		fprintf(f, "%s %s %" PRIu32 " ", sets[i].name, sets[i].type, sets[i].ttl);
		for (size_t k = 0; k < sets[i].count; k++) {
			fprintf(f, "%s%s", k > 0 ? "|" : "", sets[i].values[k]);
		}
		fprintf(f, "%s%s\n", sets[i].set_id[0] != '\0' ? " weighted=" : "", sets[i].set_id);
	}
	fclose(f);
	rename(tmp, state_path);
}

static void load_seed(const char *path)
{
	char *s = slurp(path);
	if (s == NULL) {
		fprintf(stderr, "fake_route53: cannot read %s\n", path);
		exit(2);
	}
	for (char *line = strtok(s, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (line[0] == '#' || line[0] == '\0' || nsets == SETS_MAX) {
			continue;
		}
		rset_t *r = &sets[nsets];
		memset(r, 0, sizeof(*r));
		int off = 0;
		char ttl[32];
		if (sscanf(line, "%255s %15s %31s %n", r->name, r->type, ttl, &off) < 3) {
			continue;
		}
		char *rest = line + off;
		if (strcmp(ttl, "weighted") == 0) {
			snprintf(r->set_id, sizeof(r->set_id), "%s", rest);
			r->ttl = 60;
			r->count = 1;
			snprintf(r->values[0], VALUE_MAX, "192.0.2.99");
			nsets++;
			continue;
		}
		r->ttl = (uint32_t)strtoul(ttl, NULL, 10);
		/* Values separated by spaces; a "..." TXT value kept whole. */
		while (*rest != '\0' && r->count < VALUES_MAX) {
			while (*rest == ' ') {
				rest++;
			}
			if (*rest == '\0') {
				break;
			}
			char *end = rest;
			if (*rest == '"') {
				end = strchr(rest + 1, '"');
				end = end != NULL ? end + 1 : rest + strlen(rest);
			} else {
				end = rest + strcspn(rest, " ");
			}
			snprintf(r->values[r->count++], VALUE_MAX, "%.*s", (int)(end - rest), rest);
			rest = end;
		}
		nsets++;
	}
	free(s);
	qsort(sets, nsets, sizeof(sets[0]), set_cmp);
}

/* ---- answers ---- */

typedef struct req_ctx {
	char *body;
	size_t len;
	bool too_big;
} req_ctx_t;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *body,
			      const char *method, const char *url, const char *code)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL) {
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/xml");
	MHD_add_response_header(r, "x-amzn-RequestId", "00000000-0000-4000-8000-000000000000");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	fprintf(stderr, "%s %s %u %s\n", method, url, status, code);
	return ret;
}

static enum MHD_Result error(struct MHD_Connection *c, unsigned status, const char *type,
			     const char *code, const char *msg, const char *method, const char *url)
{
	char body[8192];
	char *em = xml_escape(msg);
	snprintf(body, sizeof(body),
		 "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"" NS "\"><Error><Type>%s</Type>"
		 "<Code>%s</Code><Message>%s</Message></Error>"
		 "<RequestId>00000000-0000-4000-8000-000000000001</RequestId></ErrorResponse>",
		 type, code, em != NULL ? em : "");
	free(em);
	return answer(c, status, body, method, url, code);
}

typedef struct kv {
	char name[64];
	char value[1024];
} kv_t;

typedef struct args {
	kv_t a[16];
	size_t n;
} args_t;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	args_t *a = cls;
	(void)kind;
	if (a->n < 16) {
		snprintf(a->a[a->n].name, sizeof(a->a[a->n].name), "%s", key);
		snprintf(a->a[a->n].value, sizeof(a->a[a->n].value), "%s",
			 value != NULL ? value : "");
		a->n++;
	}
	return MHD_YES;
}

static const char *arg(const args_t *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->a[i].name, name) == 0) {
			return a->a[i].value;
		}
	}
	return NULL;
}

/* Checks the request's signature: NULL when good, else the error code (msg filled). */
static const char *check_signature(struct MHD_Connection *c, const char *method, const char *url,
				   const args_t *q, const req_ctx_t *ctx, char *msg, size_t msize)
{
	const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *date = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Date");
	if (authz == NULL || date == NULL) {
		snprintf(msg, msize, "Authorization header and X-Amz-Date are required");
		return "MissingAuthenticationToken";
	}
	char akid[128], scope_date[16], sregion[64], service[64], signed_h[512], sig[128];
	if (sscanf(authz,
		   "AWS4-HMAC-SHA256 Credential=%127[^/]/%15[^/]/%63[^/]/%63[^/]/aws4_request, "
		   "SignedHeaders=%511[^,], Signature=%127s",
		   akid, scope_date, sregion, service, signed_h, sig) != 6) {
		snprintf(msg, msize,
			 "Authorization header requires Credential, SignedHeaders, Signature");
		return "IncompleteSignature";
	}
	if (strcmp(akid, access_key) != 0) {
		snprintf(msg, msize, "The security token included in the request is invalid.");
		return "InvalidClientTokenId";
	}
	if (strcmp(sregion, region) != 0 || strcmp(service, "route53") != 0 ||
	    strncmp(date, scope_date, 8) != 0) {
		snprintf(msg, msize,
			 "Credential should be scoped to a valid region, service and date.");
		return "SignatureDoesNotMatch";
	}
	struct tm tm = {0};
	if (strptime(date, "%Y%m%dT%H%M%SZ", &tm) == NULL) {
		snprintf(msg, msize, "X-Amz-Date is not in ISO8601 basic format");
		return "IncompleteSignature";
	}
	time_t t = timegm(&tm);
	if (llabs((long long)(t - time(NULL))) > 300) {
		snprintf(msg, msize, "Signature expired: %s is now earlier or later than 5 min",
			 date);
		return "SignatureDoesNotMatch";
	}
	sigv4_header_t h[16];
	size_t nh = 0;
	bool has_host = false, has_date = false, has_token = false;
	char names[512];
	snprintf(names, sizeof(names), "%s", signed_h);
	for (char *n = strtok(names, ";"); n != NULL && nh < 16; n = strtok(NULL, ";")) {
		const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, n);
		if (v == NULL) {
			snprintf(msg, msize, "signed header %s is missing", n);
			return "SignatureDoesNotMatch";
		}
		has_host = has_host || strcmp(n, "host") == 0;
		has_date = has_date || strcmp(n, "x-amz-date") == 0;
		if (strcmp(n, "x-amz-security-token") == 0) {
			has_token = true;
		}
		h[nh++] = (sigv4_header_t){n, v};
	}
	if (!has_host || !has_date) {
		snprintf(msg, msize, "host and x-amz-date must be signed");
		return "SignatureDoesNotMatch";
	}
	const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Security-Token");
	if (token[0] != '\0' && (!has_token || tok == NULL || strcmp(tok, token) != 0)) {
		snprintf(msg, msize, "The security token included in the request is invalid.");
		return "InvalidClientTokenId";
	}
	if (token[0] == '\0' && tok != NULL) {
		snprintf(msg, msize, "The security token included in the request is invalid.");
		return "InvalidClientTokenId";
	}
	/* The query as the client sent it, rebuilt from its decoded pairs. */
	char query[2048];
	size_t used = 0;
	query[0] = '\0';
	for (size_t i = 0; i < q->n; i++) {
		char *en = http_client_escape(q->a[i].name);
		char *ev = http_client_escape(q->a[i].value);
		if (en != NULL && ev != NULL) {
			used += (size_t)snprintf(query + used, sizeof(query) - used, "%s%s=%s",
						 used > 0 ? "&" : "", en, ev);
		}
		free(en);
		free(ev);
	}
	sigv4_request_t sr = {
		.method = method,
		.path = url,
		.query = query,
		.headers = h,
		.header_count = nh,
		.body = ctx->body,
		.body_len = ctx->len,
	};
	sigv4_key_t key = {access_key, secret, region, "route53"};
	char want[1024];
	if (sigv4_authorization(&key, date, &sr, want, sizeof(want)) != DF_OK) {
		snprintf(msg, msize, "cannot compute the signature");
		return "SignatureDoesNotMatch";
	}
	const char *ws = strstr(want, "Signature=");
	if (ws == NULL || strcmp(ws + 10, sig) != 0) {
		snprintf(msg, msize,
			 "The request signature we calculated does not match the signature you "
			 "provided. Check your AWS Secret Access Key and signing method.");
		return "SignatureDoesNotMatch";
	}
	return NULL;
}

static void xml_add(char **buf, size_t *used, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	if (*used + n + 1 > *cap) {
		*cap = (*used + n + 1) * 2;
		*buf = realloc(*buf, *cap);
	}
	memcpy(*buf + *used, s, n + 1);
	*used += n;
}

static void add_set_xml(char **buf, size_t *used, size_t *cap, const rset_t *s)
{
	char tmp[512];
	xml_add(buf, used, cap, "<ResourceRecordSet><Name>");
	xml_add(buf, used, cap, s->name);
	snprintf(tmp, sizeof(tmp), "</Name><Type>%s</Type>", s->type);
	xml_add(buf, used, cap, tmp);
	if (s->set_id[0] != '\0') {
		snprintf(tmp, sizeof(tmp), "<SetIdentifier>%s</SetIdentifier><Weight>10</Weight>",
			 s->set_id);
		xml_add(buf, used, cap, tmp);
	}
	snprintf(tmp, sizeof(tmp), "<TTL>%" PRIu32 "</TTL><ResourceRecords>", s->ttl);
	xml_add(buf, used, cap, tmp);
	for (size_t k = 0; k < s->count; k++) {
		char *e = xml_escape(s->values[k]);
		xml_add(buf, used, cap, "<ResourceRecord><Value>");
		xml_add(buf, used, cap, e != NULL ? e : "");
		xml_add(buf, used, cap, "</Value></ResourceRecord>");
		free(e);
	}
	xml_add(buf, used, cap, "</ResourceRecords></ResourceRecordSet>");
}

static enum MHD_Result list_sets(struct MHD_Connection *c, const args_t *q, const char *method,
				 const char *url)
{
	const char *name = arg(q, "name");
	const char *type = arg(q, "type");
	const char *ident = arg(q, "identifier");
	const char *mi = arg(q, "maxitems");
	if (type != NULL && name == NULL) {
		return error(c, 400, "Sender", "InvalidInput",
			     "The input is not valid: type requires name", method, url);
	}
	int max = mi != NULL ? atoi(mi) : 100;
	if (max < 1 || max > 300) {
		max = 100;
	}
	if (max > maxitems_cap) {
		max = maxitems_cap;
	}
	rset_t start = {0};
	if (name != NULL) {
		snprintf(start.name, sizeof(start.name), "%s", name);
		for (char *p = start.name; *p != '\0'; p++) {
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		}
		snprintf(start.type, sizeof(start.type), "%s", type != NULL ? type : "");
		snprintf(start.set_id, sizeof(start.set_id), "%s", ident != NULL ? ident : "");
	}
	char *buf = NULL;
	size_t used = 0, cap = 0;
	xml_add(&buf, &used, &cap,
		"<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse xmlns=\"" NS "\">"
		"<ResourceRecordSets>");
	int n = 0;
	size_t i = 0;
	while (i < nsets && name != NULL && set_cmp(&sets[i], &start) < 0) {
		i++;
	}
	for (; i < nsets && n < max; i++, n++) {
		add_set_xml(&buf, &used, &cap, &sets[i]);
	}
	xml_add(&buf, &used, &cap, "</ResourceRecordSets>");
	char tmp[700];
	if (i < nsets) {
		snprintf(tmp, sizeof(tmp),
			 "<IsTruncated>true</IsTruncated><NextRecordName>%s</NextRecordName>"
			 "<NextRecordType>%s</NextRecordType>%s%s%s",
			 sets[i].name, sets[i].type,
			 sets[i].set_id[0] != '\0' ? "<NextRecordIdentifier>" : "", sets[i].set_id,
			 sets[i].set_id[0] != '\0' ? "</NextRecordIdentifier>" : "");
	} else {
		snprintf(tmp, sizeof(tmp), "<IsTruncated>false</IsTruncated>");
	}
	xml_add(&buf, &used, &cap, tmp);
	snprintf(tmp, sizeof(tmp), "<MaxItems>%d</MaxItems></ListResourceRecordSetsResponse>", max);
	xml_add(&buf, &used, &cap, tmp);
	enum MHD_Result r = answer(c, 200, buf, method, url, "OK");
	free(buf);
	return r;
}

static bool same_values(const rset_t *a, const rset_t *b)
{
	if (a->count != b->count || a->ttl != b->ttl) {
		return false;
	}
	for (size_t i = 0; i < a->count; i++) {
		bool found = false;
		for (size_t k = 0; k < b->count && !found; k++) {
			found = strcmp(a->values[i], b->values[k]) == 0;
		}
		if (!found) {
			return false;
		}
	}
	return true;
}

static bool in_zone(const char *name)
{
	size_t n = strlen(name), z = strlen(zone_name);
	return n >= z && strcmp(name + n - z, zone_name) == 0 && (n == z || name[n - z - 1] == '.');
}

static enum MHD_Result change_sets(struct MHD_Connection *c, const req_ctx_t *ctx,
				   const char *method, const char *url)
{
	if (throttle_n > 0) {
		throttle_n--;
		return error(c, 400, "Sender", "Throttling", "Rate exceeded", method, url);
	}
	if (prior_n > 0) {
		prior_n--;
		return error(c, 400, "Sender", "PriorRequestNotComplete",
			     "The request was rejected because Route 53 was still processing a "
			     "prior request.",
			     method, url);
	}
	if (deny_n > 0) {
		char m[300];
		deny_n--;
		snprintf(m, sizeof(m),
			 "User: arn:aws:iam::123456789012:user/dnsfailover is not authorized to "
			 "perform: route53:ChangeResourceRecordSets on resource: "
			 "arn:aws:route53:::hostedzone/%s",
			 zone_id);
		return error(c, 403, "Sender", "AccessDenied", m, method, url);
	}
	if (fail500_n > 0) {
		fail500_n--;
		return error(c, 500, "Receiver", "InternalFailure",
			     "We encountered an internal error.", method, url);
	}
	xml_doc_t *doc = NULL;
	char why[200];
	if (xml_parse(&doc, ctx->body, ctx->len, why, sizeof(why)) != DF_OK) {
		return error(c, 400, "Sender", "MalformedInput", why, method, url);
	}
	const xml_node_t *root = xml_root(doc);
	const xml_node_t *changes_n = xml_path(root, "ChangeBatch/Changes");
	if (strcmp(xml_name(root), "ChangeResourceRecordSetsRequest") != 0 || changes_n == NULL) {
		xml_free(doc);
		return error(c, 400, "Sender", "MalformedInput",
			     "not a ChangeResourceRecordSetsRequest", method, url);
	}
	/* Applied to a copy: all or nothing. */
	static rset_t work[SETS_MAX];
	size_t nwork = nsets;
	memcpy(work, sets, sizeof(sets[0]) * nsets);
	char msgs[8][600];
	size_t nmsg = 0;
	size_t nchange = 0;
	for (const xml_node_t *ch = xml_child(changes_n, "Change"); ch != NULL;
	     ch = xml_next(ch, "Change")) {
		nchange++;
		const char *action = xml_child_text(ch, "Action");
		const xml_node_t *rs = xml_child(ch, "ResourceRecordSet");
		rset_t in = {0};
		const char *nm = xml_child_text(rs, "Name");
		const char *ty = xml_child_text(rs, "Type");
		const char *ttl = xml_child_text(rs, "TTL");
		if (action == NULL || nm == NULL || ty == NULL || ttl == NULL) {
			snprintf(msgs[nmsg < 8 ? nmsg++ : 7], 600,
				 "Invalid request: a Change lacks "
				 "Action, Name, Type or TTL");
			continue;
		}
		snprintf(in.name, sizeof(in.name), "%s", nm);
		for (char *p = in.name; *p != '\0'; p++) {
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		}
		if (in.name[0] != '\0' && in.name[strlen(in.name) - 1] != '.') {
			strncat(in.name, ".", sizeof(in.name) - strlen(in.name) - 1);
		}
		snprintf(in.type, sizeof(in.type), "%s", ty);
		in.ttl = (uint32_t)strtoul(ttl, NULL, 10);
		for (const xml_node_t *rr =
			     xml_child(xml_child(rs, "ResourceRecords"), "ResourceRecord");
		     rr != NULL && in.count < VALUES_MAX; rr = xml_next(rr, "ResourceRecord")) {
			snprintf(in.values[in.count++], VALUE_MAX, "%s",
				 xml_child_text(rr, "Value"));
		}
		char id[400];
		snprintf(id, sizeof(id), "[name='%s', type='%s']", in.name, in.type);
		if (!in_zone(in.name)) {
			snprintf(msgs[nmsg < 8 ? nmsg++ : 7], 600,
				 "RRSet with DNS name %s is not permitted in zone %s", in.name,
				 zone_name);
			continue;
		}
		bool bad_txt = false;
		for (size_t k = 0; strcmp(in.type, "TXT") == 0 && k < in.count; k++) {
			bad_txt = bad_txt || in.values[k][0] != '"';
		}
		if (bad_txt || in.count == 0) {
			snprintf(msgs[nmsg < 8 ? nmsg++ : 7], 600,
				 "Invalid Resource Record: FATAL problem: InvalidCharacterString "
				 "(Value should be enclosed in quotation marks) encountered with "
				 "'%.200s'",
				 in.count > 0 ? in.values[0] : "");
			continue;
		}
		rset_t *cur = find(work, nwork, in.name, in.type);
		if (strcmp(action, "DELETE") == 0) {
			if (cur == NULL) {
				snprintf(msgs[nmsg < 8 ? nmsg++ : 7], 600,
					 "Tried to delete resource record set %s but it was not "
					 "found",
					 id);
			} else if (!same_values(cur, &in)) {
				snprintf(msgs[nmsg < 8 ? nmsg++ : 7], 600,
					 "Tried to delete resource record set %s but the values "
					 "provided "
					 "do not match the current values",
					 id);
			} else {
				*cur = work[--nwork];
			}
		} else if (strcmp(action, "CREATE") == 0) {
			if (cur != NULL) {
				snprintf(msgs[nmsg < 8 ? nmsg++ : 7], 600,
					 "Tried to create resource record set %s but it already "
					 "exists",
					 id);
			} else if (nwork < SETS_MAX) {
				work[nwork++] = in;
			}
		} else if (strcmp(action, "UPSERT") == 0) {
			if (cur != NULL) {
				*cur = in;
			} else if (nwork < SETS_MAX) {
				work[nwork++] = in;
			}
		} else {
			snprintf(msgs[nmsg < 8 ? nmsg++ : 7], 600, "Invalid Action %s", action);
		}
	}
	xml_free(doc);
	if (nchange == 0 && nmsg == 0) {
		snprintf(msgs[nmsg++], 600, "Invalid request: no Change in the batch");
	}
	if (nmsg > 0) {
		char body[8192];
		size_t used = 0;
		if (envelope_batch) {
			used += (size_t)snprintf(body, sizeof(body),
						 "<?xml version=\"1.0\"?>\n<InvalidChangeBatch "
						 "xmlns=\"" NS "\"><Messages>");
			for (size_t i = 0; i < nmsg; i++) {
				char *e = xml_escape(msgs[i]);
				used += (size_t)snprintf(body + used, sizeof(body) - used,
							 "<Message>%s</Message>",
							 e != NULL ? e : "");
				free(e);
			}
			snprintf(body + used, sizeof(body) - used,
				 "</Messages><RequestId>00000000-0000-4000-8000-000000000002"
				 "</RequestId></InvalidChangeBatch>");
			return answer(c, 400, body, method, url, "InvalidChangeBatch");
		}
		char all[5000];
		size_t n = 0;
		if (nmsg > 1) {
			all[n++] = '[';
		}
		for (size_t i = 0; i < nmsg; i++) {
			n += (size_t)snprintf(all + n, sizeof(all) - n, "%s%s", i > 0 ? ", " : "",
					      msgs[i]);
		}
		if (nmsg > 1 && n + 2 < sizeof(all)) {
			all[n++] = ']';
			all[n] = '\0';
		}
		return error(c, 400, "Sender", "InvalidChangeBatch", all, method, url);
	}
	memcpy(sets, work, sizeof(sets[0]) * nwork);
	nsets = nwork;
	qsort(sets, nsets, sizeof(sets[0]), set_cmp);
	save_state();
	if (lose_n > 0) {
		/* Applied; the answer comes too late for the client. */
		lose_n--;
		struct timespec ts = {.tv_sec = lose_ms / 1000,
				      .tv_nsec = (lose_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	change_t *chg = &changes[nchanges++ % (sizeof(changes) / sizeof(changes[0]))];
	snprintf(chg->id, sizeof(chg->id), "C%08u", ++change_seq);
	chg->at_ms = now_ms();
	char body[1024];
	snprintf(body, sizeof(body),
		 "<?xml version=\"1.0\"?>\n<ChangeResourceRecordSetsResponse xmlns=\"" NS "\">"
		 "<ChangeInfo><Id>/change/%s</Id><Status>%s</Status>"
		 "<SubmittedAt>2026-01-15T12:00:00.000Z</SubmittedAt></ChangeInfo>"
		 "</ChangeResourceRecordSetsResponse>",
		 chg->id, insync_ms <= 0 ? "INSYNC" : "PENDING");
	return answer(c, 200, body, method, url, "OK");
}

static enum MHD_Result get_change(struct MHD_Connection *c, const char *id, const char *method,
				  const char *url)
{
	size_t n = nchanges < 1024 ? nchanges : 1024;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(changes[i].id, id) == 0) {
			char body[1024];
			bool insync = now_ms() - changes[i].at_ms >= insync_ms;
			snprintf(body, sizeof(body),
				 "<?xml version=\"1.0\"?>\n<GetChangeResponse xmlns=\"" NS "\">"
				 "<ChangeInfo><Id>/change/%s</Id><Status>%s</Status>"
				 "<SubmittedAt>2026-01-15T12:00:00.000Z</SubmittedAt></ChangeInfo>"
				 "</GetChangeResponse>",
				 id, insync ? "INSYNC" : "PENDING");
			return answer(c, 200, body, method, url, insync ? "INSYNC" : "PENDING");
		}
	}
	char msg[200];
	snprintf(msg, sizeof(msg), "A change with the specified change ID does not exist: %s", id);
	return error(c, 404, "Sender", "NoSuchChange", msg, method, url);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	(void)cls;
	(void)version;
	req_ctx_t *ctx = *con_cls;
	if (ctx == NULL) {
		ctx = calloc(1, sizeof(*ctx));
		if (ctx == NULL) {
			return MHD_NO;
		}
		*con_cls = ctx;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (ctx->len + *upload_size > BODY_MAX) {
			ctx->too_big = true;
		} else {
			char *nb = realloc(ctx->body, ctx->len + *upload_size + 1);
			if (nb == NULL) {
				return MHD_NO;
			}
			ctx->body = nb;
			memcpy(ctx->body + ctx->len, upload, *upload_size);
			ctx->len += *upload_size;
			ctx->body[ctx->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	reload_control();
	if (hang_ms > 0) {
		struct timespec ts = {.tv_sec = hang_ms / 1000,
				      .tv_nsec = (hang_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	args_t q = {.n = 0};
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
	char msg[300];
	const char *code = check_signature(c, method, url, &q, ctx, msg, sizeof(msg));
	if (code != NULL) {
		return error(c, 403, "Sender", code, msg, method, url);
	}
	char zpath[300], rpath[300];
	snprintf(zpath, sizeof(zpath), "/2013-04-01/hostedzone/%s", zone_id);
	snprintf(rpath, sizeof(rpath), "/2013-04-01/hostedzone/%s/rrset", zone_id);
	if (strncmp(url, "/2013-04-01/change/", 19) == 0 && strcmp(method, "GET") == 0) {
		return get_change(c, url + 19, method, url);
	}
	if (strncmp(url, "/2013-04-01/hostedzone/", 23) == 0 &&
	    strncmp(url, zpath, strlen(zpath)) != 0) {
		char m[400];
		snprintf(m, sizeof(m), "No hosted zone found with ID: %.64s", url + 23);
		return error(c, 404, "Sender", "NoSuchHostedZone", m, method, url);
	}
	if (strcmp(url, zpath) == 0 && strcmp(method, "GET") == 0) {
		char body[1024];
		snprintf(body, sizeof(body),
			 "<?xml version=\"1.0\"?>\n<GetHostedZoneResponse xmlns=\"" NS "\">"
			 "<HostedZone><Id>/hostedzone/%s</Id><Name>%s</Name>"
			 "<CallerReference>fake</CallerReference><ResourceRecordSetCount>%zu"
			 "</ResourceRecordSetCount></HostedZone></GetHostedZoneResponse>",
			 zone_id, zone_name, nsets);
		return answer(c, 200, body, method, url, "OK");
	}
	if (strcmp(url, rpath) == 0 && strcmp(method, "GET") == 0) {
		return list_sets(c, &q, method, url);
	}
	if (strlen(url) == strlen(rpath) + 1 && strncmp(url, rpath, strlen(rpath)) == 0 &&
	    url[strlen(rpath)] == '/' && strcmp(method, "POST") == 0) {
		if (ctx->too_big) {
			return error(c, 400, "Sender", "MalformedInput", "request too large",
				     method, url);
		}
		return change_sets(c, ctx, method, url);
	}
	return error(c, 404, "Sender", "UnknownOperation", "no such operation", method, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	req_ctx_t *ctx = *con_cls;
	if (ctx != NULL) {
		free(ctx->body);
		free(ctx);
		*con_cls = NULL;
	}
}

static void notify(void *cls, struct MHD_Connection *c, void **socket_context,
		   enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)c;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		fprintf(stderr, "conn\n");
	}
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	int opt;
	unsigned port = 0;
	const char *cert = NULL, *keyf = NULL, *secret_file = NULL, *token_file = NULL;
	const char *seed = NULL, *pidfile = NULL;
	while ((opt = getopt(argc, argv, "p:C:K:a:s:t:z:n:r:c:i:S:P:")) != -1) {
		switch (opt) {
		case 'p':
			port = (unsigned)atoi(optarg);
			break;
		case 'C':
			cert = optarg;
			break;
		case 'K':
			keyf = optarg;
			break;
		case 'a':
			access_key = optarg;
			break;
		case 's':
			secret_file = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 'z':
			zone_id = optarg;
			break;
		case 'n':
			zone_name = optarg;
			break;
		case 'r':
			region = optarg;
			break;
		case 'c':
			control_path = optarg;
			break;
		case 'i':
			seed = optarg;
			break;
		case 'S':
			state_path = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			return 2;
		}
	}
	if (port == 0 || cert == NULL || keyf == NULL || access_key == NULL ||
	    secret_file == NULL || zone_id == NULL || zone_name == NULL) {
		fprintf(stderr, "usage: fake_route53 -p PORT -C CERT -K KEY -a AKID -s SECRET_FILE "
				"-z ZONE_ID -n ZONE_NAME [-t TOKEN_FILE] [-r REGION] [-c CONTROL] "
				"[-i SEED] [-S STATE] [-P PIDFILE]\n");
		return 2;
	}
	read_line_file(secret_file, secret, sizeof(secret));
	if (token_file != NULL) {
		read_line_file(token_file, token, sizeof(token));
	}
	if (seed != NULL) {
		load_seed(seed);
	}
	save_state();
	char *cert_pem = slurp(cert), *key_pem = slurp(keyf);
	if (cert_pem == NULL || key_pem == NULL) {
		fprintf(stderr, "fake_route53: cannot read %s or %s\n", cert, keyf);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	/* One internal thread: requests are served one at a time, so a
	 * batch is applied whole before the next request is read. */
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port,
		NULL, NULL, handle, NULL, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, notify, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)30, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "fake_route53: cannot listen on 127.0.0.1:%u\n", port);
		return 2;
	}
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");
		if (f != NULL) {
			fprintf(f, "%ld\n", (long)getpid());
			fclose(f);
		}
	}
	while (!stop) {
		pause();
	}
	MHD_stop_daemon(d);
	free(cert_pem);
	free(key_pem);
	return 0;
}
