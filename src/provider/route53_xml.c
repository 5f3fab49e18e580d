/*
 * The Route 53 wire formats (rest-providers.md section 2): TXT values,
 * names, the listing and error bodies, the change batch and the version.
 * Pure functions: the requests themselves are in provider_route53.c.
 */
#include "src/provider/route53.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/strbuf.h"
#include "src/http/xml_read.h"

#define NS "https://route53.amazonaws.com/doc/2013-04-01/"

int route53_txt_decode(const char *value, char *out, size_t size)
{
	size_t n = 0;
	const char *p = value;
	if (size == 0) {
		return DF_ENOSPACE;
	}
	while (*p != '\0') {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		bool quoted = *p == '"';
		if (quoted) {
			p++;
		}
		for (;;) {
			char c = *p;
			if (c == '\0') {
				if (quoted) {
					return DF_EMALFORMED; /* unterminated string */
				}
				break;
			}
			if (quoted && c == '"') {
				p++;
				break;
			}
			if (!quoted && (c == ' ' || c == '\t')) {
				break;
			}
			if (!quoted && c == '"') {
				return DF_EMALFORMED;
			}
			if (c == '\\') {
				p++;
				if (p[0] >= '0' && p[0] <= '7' && p[1] >= '0' && p[1] <= '7' &&
				    p[2] >= '0' && p[2] <= '7') {
					/* Route 53's \DDD is octal. */
					int v = (p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0');
					if (v > 255) {
						return DF_EMALFORMED;
					}
					c = (char)v;
					p += 3;
				} else if (*p == '\0' || isdigit((unsigned char)*p)) {
					return DF_EMALFORMED;
				} else {
					c = *p++;
				}
			} else {
				p++;
			}
			if (n + 1 >= size) {
				return DF_ENOSPACE;
			}
			out[n++] = c;
		}
	}
	out[n] = '\0';
	return DF_OK;
}

int route53_txt_encode(const char *text, size_t len, char *out, size_t size)
{
	size_t n = 0;
	size_t in_string = 0;
#define PUT(s, l)                           \
	do {                                \
		if (n + (l) + 1 > size) {   \
			return DF_ENOSPACE; \
		}                           \
		memcpy(out + n, (s), (l));  \
		n += (l);                   \
	} while (0)
	PUT("\"", 1);
	for (size_t i = 0; i < len; i++) {
		if (in_string == 255) {
			PUT("\" \"", 3);
			in_string = 0;
		}
		unsigned char c = (unsigned char)text[i];
		char esc[5];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			PUT(esc, 2);
		} else if (c < 0x20 || c > 0x7e) {
			snprintf(esc, sizeof(esc), "\\%03o", c);
			PUT(esc, 4);
		} else {
			PUT((const char *)&c, 1);
		}
		in_string++;
	}
	PUT("\"", 1);
#undef PUT
	out[n] = '\0';
	return DF_OK;
}

int route53_name_decode(const char *name, char *out, size_t size)
{
	size_t n = 0;
	for (const char *p = name; *p != '\0';) {
		char c = *p++;
		if (c == '\\') {
			if (p[0] >= '0' && p[0] <= '7' && p[1] >= '0' && p[1] <= '7' &&
			    p[2] >= '0' && p[2] <= '7') {
				int v = (p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0');
				if (v > 255 || v == 0) {
					return DF_EMALFORMED;
				}
				c = (char)v;
				p += 3;
			} else if (*p != '\0') {
				c = *p++;
			} else {
				return DF_EMALFORMED;
			}
		}
		if (n + 1 >= size) {
			return DF_ENOSPACE;
		}
		out[n++] = (char)tolower((unsigned char)c);
	}
	if (size == 0) {
		return DF_ENOSPACE;
	}
	out[n] = '\0';
	return DF_OK;
}

static bool parse_ttl(const char *s, uint32_t *out)
{
	if (s == NULL || *s == '\0' || strlen(s) > 10) {
		return false;
	}
	uint64_t v = 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p)) {
			return false;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > UINT32_MAX) {
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* The first routing-policy or alias element of set, NULL when it is a plain set. */
static const char *foreign_mark(const xml_node_t *set)
{
	static const char *const marks[] = {
		"AliasTarget",
		"SetIdentifier",
		"Weight",
		"Failover",
		"Region",
		"GeoLocation",
		"MultiValueAnswer",
		"CidrRoutingConfig",
		"GeoProximityLocation",
		"TrafficPolicyInstanceId",
	};
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (xml_child(set, marks[i]) != NULL) {
			return marks[i];
		}
	}
	return NULL;
}

static int fail(char *why, size_t size, const char *msg)
{
	if (why != NULL && size > 0) {
		snprintf(why, size, "%s", msg);
	}
	return DF_EMALFORMED;
}

int route53_parse_listing(const char *body, size_t len, const char *record, route53_page_t *page,
			  char *why, size_t size)
{
	xml_doc_t *doc = NULL;
	int ret = xml_parse(&doc, body, len, why, size);
	if (ret != DF_OK) {
		return ret;
	}
	const xml_node_t *root = xml_root(doc);
	const xml_node_t *sets = xml_child(root, "ResourceRecordSets");
	const char *trunc = xml_child_text(root, "IsTruncated");
	ret = DF_EMALFORMED;
	if (strcmp(xml_name(root), "ListResourceRecordSetsResponse") != 0 || sets == NULL ||
	    trunc == NULL || (strcmp(trunc, "true") != 0 && strcmp(trunc, "false") != 0)) {
		fail(why, size, "not a ListResourceRecordSetsResponse");
		goto out;
	}
	page->truncated = strcmp(trunc, "true") == 0;
	page->next_name[0] = page->next_type[0] = page->next_id[0] = '\0';
	if (page->truncated) {
		const char *nn = xml_child_text(root, "NextRecordName");
		const char *nt = xml_child_text(root, "NextRecordType");
		const char *ni = xml_child_text(root, "NextRecordIdentifier");
		if (nn == NULL ||
		    route53_name_decode(nn, page->next_name, sizeof(page->next_name)) != DF_OK ||
		    (nt != NULL && strlen(nt) >= sizeof(page->next_type)) ||
		    (ni != NULL && strlen(ni) >= sizeof(page->next_id))) {
			fail(why, size, "a truncated listing without a usable NextRecordName");
			goto out;
		}
		snprintf(page->next_type, sizeof(page->next_type), "%s", nt != NULL ? nt : "");
		snprintf(page->next_id, sizeof(page->next_id), "%s", ni != NULL ? ni : "");
	}
	for (const xml_node_t *s = xml_child(sets, "ResourceRecordSet"); s != NULL;
	     s = xml_next(s, "ResourceRecordSet")) {
		const char *name = xml_child_text(s, "Name");
		const char *type = xml_child_text(s, "Type");
		char dname[256];
		if (name == NULL || type == NULL) {
			fail(why, size, "a ResourceRecordSet without Name or Type");
			goto out;
		}
		if (route53_name_decode(name, dname, sizeof(dname)) != DF_OK) {
			fail(why, size, "a ResourceRecordSet with a bad Name");
			goto out;
		}
		if (strcmp(dname, record) != 0) {
			continue;
		}
		bool is_a = strcmp(type, "A") == 0, is_txt = strcmp(type, "TXT") == 0;
		if (!is_a && !is_txt) {
			continue;
		}
		const char *mark = foreign_mark(s);
		if (mark != NULL) {
			if (page->foreign_count++ == 0) {
				snprintf(page->foreign, sizeof(page->foreign), "%s %s (it has %s)",
					 record, type, mark);
			}
			continue;
		}
		route53_set_t *set = is_a ? &page->a : &page->txt;
		if (set->present) {
			fail(why, size, "the same record set listed twice");
			goto out;
		}
		if (!parse_ttl(xml_child_text(s, "TTL"), &set->ttl)) {
			fail(why, size, "a ResourceRecordSet without a valid TTL");
			goto out;
		}
		set->present = true;
		set->count = 0;
		for (const xml_node_t *rr =
			     xml_child(xml_child(s, "ResourceRecords"), "ResourceRecord");
		     rr != NULL; rr = xml_next(rr, "ResourceRecord")) {
			const char *v = xml_child_text(rr, "Value");
			if (v == NULL || strlen(v) >= ROUTE53_VALUE_MAX) {
				fail(why, size,
				     "a ResourceRecord without a Value, or one too long");
				goto out;
			}
			if (set->count == ROUTE53_VALUES_MAX) {
				fail(why, size, "more values in one record set than a lease keeps");
				goto out;
			}
			snprintf(set->values[set->count++], ROUTE53_VALUE_MAX, "%s", v);
		}
		if (set->count == 0) {
			fail(why, size, "a record set with no value");
			goto out;
		}
	}
	ret = DF_OK;
out:
	xml_free(doc);
	return ret;
}

bool route53_conflict_message(const char *msg)
{
	static const char *const del_ends[] = {
		"] but it was not found",
		"] but the values provided do not match the current values",
	};
	size_t len = strlen(msg);
	/* Several problems come as one bracketed list. */
	if (len >= 2 && msg[0] == '[' && msg[len - 1] == ']') {
		msg++;
		len -= 2;
	}
	if (len == 0) {
		return false;
	}
	size_t start = 0;
	int depth = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && msg[i] == '[') {
			depth++;
		} else if (i < len && msg[i] == ']') {
			depth--;
		}
		if (i < len && (msg[i] != ',' || depth != 0)) {
			continue;
		}
		const char *item = msg + start;
		size_t n = i - start;
		while (n > 0 && *item == ' ') {
			item++;
			n--;
		}
		while (n > 0 && item[n - 1] == ' ') {
			n--;
		}
		bool ok = false;
		static const char del[] = "Tried to delete resource record set [";
		static const char cre[] = "Tried to create resource record set [";
		static const char exists[] = "] but it already exists";
		if (n > sizeof(del) && memcmp(item, del, sizeof(del) - 1) == 0) {
			for (size_t k = 0; k < 2; k++) {
				size_t el = strlen(del_ends[k]);
				ok = ok || (n > el && memcmp(item + n - el, del_ends[k], el) == 0);
			}
		} else if (n > sizeof(cre) && memcmp(item, cre, sizeof(cre) - 1) == 0) {
			size_t el = sizeof(exists) - 1;
			ok = n > el && memcmp(item + n - el, exists, el) == 0;
		}
		if (!ok) {
			return false;
		}
		start = i + 1;
	}
	return true;
}

static void join(char *msg, size_t msize, const char *text)
{
	size_t used = strlen(msg);
	if (used + 1 < msize) {
		snprintf(msg + used, msize - used, "%s%s", used > 0 ? "; " : "", text);
	}
}

route53_error_kind_t route53_parse_error(long status, const char *body, size_t len, char *code,
					 size_t csize, char *msg, size_t msize)
{
	xml_doc_t *doc = NULL;
	route53_error_kind_t kind = ROUTE53_ERR_SERVER;
	bool all_conflict = true;
	code[0] = '\0';
	msg[0] = '\0';
	if (xml_parse(&doc, body, len, NULL, 0) == DF_OK) {
		const xml_node_t *root = xml_root(doc);
		if (strcmp(xml_name(root), "InvalidChangeBatch") == 0) {
			snprintf(code, csize, "InvalidChangeBatch");
			for (const xml_node_t *m =
				     xml_child(xml_child(root, "Messages"), "Message");
			     m != NULL; m = xml_next(m, "Message")) {
				join(msg, msize, xml_text(m));
				all_conflict =
					all_conflict && route53_conflict_message(xml_text(m));
			}
			if (msg[0] == '\0') {
				all_conflict = false;
			}
		} else if (strcmp(xml_name(root), "ErrorResponse") == 0) {
			const xml_node_t *e = xml_child(root, "Error");
			const char *c = xml_child_text(e, "Code");
			const char *m = xml_child_text(e, "Message");
			snprintf(code, csize, "%s", c != NULL ? c : "");
			join(msg, msize, m != NULL ? m : "");
			all_conflict = m != NULL && route53_conflict_message(m);
		}
	}
	xml_free(doc);
	if (strcmp(code, "InvalidChangeBatch") == 0) {
		kind = all_conflict ? ROUTE53_ERR_CONFLICT : ROUTE53_ERR_BATCH;
	} else if (strcmp(code, "PriorRequestNotComplete") == 0 ||
		   strcmp(code, "Throttling") == 0 || strcmp(code, "ThrottlingException") == 0 ||
		   strcmp(code, "RequestLimitExceeded") == 0) {
		kind = ROUTE53_ERR_RETRY;
	} else if (strcmp(code, "SignatureDoesNotMatch") == 0 ||
		   strcmp(code, "InvalidClientTokenId") == 0 || strcmp(code, "AccessDenied") == 0 ||
		   strcmp(code, "AccessDeniedException") == 0 ||
		   strcmp(code, "IncompleteSignature") == 0 ||
		   strcmp(code, "MissingAuthenticationToken") == 0 ||
		   strcmp(code, "ExpiredToken") == 0 ||
		   strcmp(code, "InvalidSignatureException") == 0 ||
		   (code[0] == '\0' && status == 403)) {
		kind = ROUTE53_ERR_AUTH;
	} else if (status >= 500 || code[0] == '\0') {
		kind = ROUTE53_ERR_SERVER;
	} else {
		kind = ROUTE53_ERR_CONFIG;
	}
	if (status == 429 && kind != ROUTE53_ERR_AUTH) {
		kind = ROUTE53_ERR_RETRY;
	}
	return kind;
}

/* The version: "<TYPE> <ttl> <count>\n" then "<len>:<value>\n" per value, per set. */
static bool put_set(lease_version_t *v, const char *type, const route53_set_t *s)
{
	char head[64];
	if (s == NULL || !s->present) {
		return true;
	}
	int n = snprintf(head, sizeof(head), "%s %" PRIu32 " %zu\n", type, s->ttl, s->count);
	if (n < 0 || v->len + (size_t)n > sizeof(v->bytes)) {
		return false;
	}
	memcpy(v->bytes + v->len, head, (size_t)n);
	v->len += (size_t)n;
	for (size_t i = 0; i < s->count; i++) {
		size_t vl = strlen(s->values[i]);
		n = snprintf(head, sizeof(head), "%zu:", vl);
		if (v->len + (size_t)n + vl + 1 > sizeof(v->bytes)) {
			return false;
		}
		memcpy(v->bytes + v->len, head, (size_t)n);
		v->len += (size_t)n;
		memcpy(v->bytes + v->len, s->values[i], vl);
		v->len += vl;
		v->bytes[v->len++] = '\n';
	}
	return true;
}

int route53_version_put(lease_version_t *v, const route53_set_t *a, const route53_set_t *txt)
{
	v->len = 0;
	if (!put_set(v, "A", a) || !put_set(v, "TXT", txt)) {
		v->len = 0;
		return DF_ENOSPACE;
	}
	return DF_OK;
}

int route53_version_get(const lease_version_t *v, route53_set_t *a, route53_set_t *txt)
{
	size_t pos = 0;
	a->present = txt->present = false;
	a->count = txt->count = 0;
	while (pos < v->len) {
		char head[64];
		size_t i = 0;
		while (pos < v->len && v->bytes[pos] != '\n' && i + 1 < sizeof(head)) {
			head[i++] = (char)v->bytes[pos++];
		}
		head[i] = '\0';
		if (pos >= v->len || v->bytes[pos] != '\n') {
			return DF_EMALFORMED;
		}
		pos++;
		char type[8];
		uint32_t ttl;
		size_t count;
		if (sscanf(head, "%7s %" SCNu32 " %zu", type, &ttl, &count) != 3 || count == 0 ||
		    count > ROUTE53_VALUES_MAX) {
			return DF_EMALFORMED;
		}
		route53_set_t *s = strcmp(type, "A") == 0     ? a
				   : strcmp(type, "TXT") == 0 ? txt
							      : NULL;
		if (s == NULL || s->present) {
			return DF_EMALFORMED;
		}
		s->present = true;
		s->ttl = ttl;
		s->count = count;
		for (size_t k = 0; k < count; k++) {
			size_t vl = 0, digits = 0;
			while (pos < v->len && isdigit(v->bytes[pos]) && digits < 5) {
				vl = vl * 10 + (size_t)(v->bytes[pos++] - '0');
				digits++;
			}
			if (digits == 0 || pos >= v->len || v->bytes[pos] != ':' ||
			    vl >= ROUTE53_VALUE_MAX || pos + 1 + vl + 1 > v->len ||
			    v->bytes[pos + 1 + vl] != '\n') {
				return DF_EMALFORMED;
			}
			memcpy(s->values[k], v->bytes + pos + 1, vl);
			s->values[k][vl] = '\0';
			pos += vl + 2;
		}
	}
	return DF_OK;
}

static void add_change(strbuf_t *b, const char *action, const char *record, const char *type,
		       const route53_set_t *s, char *what, size_t size)
{
	char num[16];
	strbuf_str(b, "<Change><Action>");
	strbuf_str(b, action);
	strbuf_str(b, "</Action><ResourceRecordSet><Name>");
	strbuf_str(b, record);
	strbuf_str(b, "</Name><Type>");
	strbuf_str(b, type);
	strbuf_str(b, "</Type><TTL>");
	snprintf(num, sizeof(num), "%" PRIu32, s->ttl);
	strbuf_str(b, num);
	strbuf_str(b, "</TTL><ResourceRecords>");
	for (size_t i = 0; i < s->count; i++) {
		char *e = xml_escape(s->values[i]);
		if (e == NULL) {
			strbuf_deinit(b);
			b->failed = true;
			return;
		}
		strbuf_str(b, "<ResourceRecord><Value>");
		strbuf_str(b, e);
		strbuf_str(b, "</Value></ResourceRecord>");
		free(e);
	}
	strbuf_str(b, "</ResourceRecords></ResourceRecordSet></Change>");
	size_t used = strlen(what);
	snprintf(what + used, size - used, "%s%s %s", used > 0 ? ", " : "", action, type);
}

int route53_change_batch(const char *record, uint32_t ttl, const route53_set_t *old_a,
			 const route53_set_t *old_txt, const lease_t *next, route53_set_t *new_a,
			 route53_set_t *new_txt, char **out, char *what, size_t size)
{
	char text[LEASE_TXT_MAX];
	if (lease_txt_format(&next->lease, text, sizeof(text)) != DF_OK || !next->has_a ||
	    strlen(next->a) == 0 || strchr(next->a, ':') != NULL) {
		return DF_EINVAL;
	}
	memset(new_txt, 0, sizeof(*new_txt));
	new_txt->present = true;
	new_txt->ttl = ttl;
	new_txt->count = 1;
	int ret = route53_txt_encode(text, strlen(text), new_txt->values[0], ROUTE53_VALUE_MAX);
	if (ret != DF_OK) {
		return ret;
	}
	memset(new_a, 0, sizeof(*new_a));
	new_a->present = true;
	new_a->ttl = ttl;
	new_a->count = 1;
	snprintf(new_a->values[0], ROUTE53_VALUE_MAX, "%s", next->a);
	bool keep_a = old_a != NULL && old_a->present && old_a->count == 1 && old_a->ttl == ttl &&
		      strcmp(old_a->values[0], next->a) == 0;

	strbuf_t b = {0};
	what[0] = '\0';
	strbuf_str(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<ChangeResourceRecordSetsRequest xmlns=\"" NS "\"><ChangeBatch>"
		       "<Comment>dnsfailover lease</Comment><Changes>");
	if (old_txt != NULL && old_txt->present) {
		add_change(&b, "DELETE", record, "TXT", old_txt, what, size);
	}
	if (!keep_a && old_a != NULL && old_a->present) {
		add_change(&b, "DELETE", record, "A", old_a, what, size);
	}
	add_change(&b, "CREATE", record, "TXT", new_txt, what, size);
	if (!keep_a) {
		add_change(&b, "CREATE", record, "A", new_a, what, size);
	}
	strbuf_str(&b, "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>");
	char *batch = strbuf_take(&b);
	if (batch == NULL) {
		return DF_ENOMEM;
	}
	*out = batch;
	return DF_OK;
}
