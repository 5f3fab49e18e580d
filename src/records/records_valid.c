#include "src/records/records_valid.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/common/log.h"
#include "src/dns/dns_msg.h"

static const struct {
	const char *name;
	uint16_t type;
} types[] = {
	{"A", REC_A}, {"AAAA", REC_AAAA}, {"CNAME", REC_CNAME}, {"TXT", REC_TXT}, {"SRV", REC_SRV},
};

static void fail(rec_error_t *e, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(rec_error_t *e, const char *field, const char *fmt, ...)
{
	if (e == NULL) {
		return;
	}
	snprintf(e->field, sizeof(e->field), "%s", field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

bool rec_type_parse(const char *text, uint16_t *type)
{
	for (size_t i = 0; text != NULL && i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcasecmp(text, types[i].name) == 0) {
			*type = types[i].type;
			return true;
		}
	}
	return false;
}

const char *rec_type_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (types[i].type == type) {
			return types[i].name;
		}
	}
	return "?";
}

/* LDH check of a whole name; underscore labels when allowed. */
static bool name_ok(const char *name, bool underscore, const char *field, char *out, rec_error_t *e)
{
	char esc[LOG_ESCAPE_SIZE(64)];
	size_t len = name != NULL ? strlen(name) : 0;
	if (len == 0) {
		fail(e, field, "%s is empty", field);
		return false;
	}
	if (len > 1 && name[len - 1] == '.') {
		len--;
	}
	if (len > 253) {
		fail(e, field, "%s is %zu bytes long; a name has at most 253", field, len);
		return false;
	}
	size_t label = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? name[i] : '.';
		if (c == '.') {
			if (label == 0) {
				fail(e, field, "%s \"%s\" has an empty label", field,
				     log_escape(esc, sizeof(esc), name, strlen(name)));
				return false;
			}
			if (name[i - 1] == '-') {
				fail(e, field, "%s \"%s\": a label may not end with '-'", field,
				     log_escape(esc, sizeof(esc), name, strlen(name)));
				return false;
			}
			label = 0;
			out[i] = '.';
			continue;
		}
		bool first = label == 0;
		label++;
		if (label > 63) {
			fail(e, field, "%s: a label is longer than 63 bytes", field);
			return false;
		}
		bool ok = isalnum((unsigned char)c) || (c == '-' && !first) ||
			  (c == '_' && first && underscore);
		if (!ok) {
			fail(e, field,
			     "%s \"%s\": '%c' is not allowed here (letters, digits and inner "
			     "hyphens%s)",
			     field, log_escape(esc, sizeof(esc), name, strlen(name)),
			     isprint((unsigned char)c) ? c : '?',
			     underscore ? "; a label may start with '_'" : "");
			return false;
		}
		out[i] = (char)tolower((unsigned char)c);
	}
	out[len + 1] = '\0';
	return true;
}

bool rec_name_check(const char *name, uint16_t type, char *out, rec_error_t *e)
{
	if (name != NULL && strcmp(name, ".") == 0) {
		fail(e, "name", "name \".\" is the root, not a record name");
		return false;
	}
	return name_ok(name, type == 0 || type == REC_TXT || type == REC_SRV, "name", out, e);
}

bool rec_host_check(const char *name, const char *field, char *out, rec_error_t *e)
{
	return name_ok(name, false, field, out, e);
}

/* Absolute LDH name to uncompressed wire form. */
static size_t name_wire(const char *name, uint8_t *out)
{
	size_t n = 0;
	const char *p = name;
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t l = (size_t)(dot - p);
		out[n++] = (uint8_t)l;
		memcpy(out + n, p, l);
		n += l;
		p = dot + 1;
	}
	out[n++] = 0;
	return n;
}

/* Wire name at rdata[*pos] (uncompressed) to text; false when malformed. */
static bool wire_name(const uint8_t *rd, size_t len, size_t *pos, char *out, size_t size)
{
	size_t o = 0;
	while (*pos < len) {
		uint8_t l = rd[(*pos)++];
		if (l == 0) {
			if (o == 0) {
				out[o++] = '.';
			}
			out[o] = '\0';
			return true;
		}
		if (l > 63 || *pos + l > len || o + l + 2 > size) {
			return false;
		}
		for (size_t i = 0; i < l; i++) {
			uint8_t c = rd[*pos + i];
			out[o++] = (char)(isalnum(c) || c == '-' || c == '_' ? tolower(c) : '?');
		}
		out[o++] = '.';
		*pos += l;
	}
	return false;
}

static bool push(rec_rrset_t *set, const char *text, const uint8_t *rdata, size_t rdlen)
{
	if (set->n >= REC_VALUES_MAX) {
		return false;
	}
	rec_value_t *v = &set->v[set->n];
	v->text = strdup(text);
	v->rdata = malloc(rdlen > 0 ? rdlen : 1);
	if (v->text == NULL || v->rdata == NULL) {
		free(v->text);
		free(v->rdata);
		v->text = NULL;
		v->rdata = NULL;
		return false;
	}
	memcpy(v->rdata, rdata, rdlen);
	v->rdlen = rdlen;
	set->n++;
	return true;
}

static bool parse_u16(const char **p, uint16_t *out)
{
	char *end;
	while (**p == ' ') {
		(*p)++;
	}
	if (!isdigit((unsigned char)**p)) {
		return false;
	}
	unsigned long v = strtoul(*p, &end, 10);
	if (v > 65535 || (*end != ' ' && *end != '\0')) {
		return false;
	}
	*p = end;
	*out = (uint16_t)v;
	return true;
}

bool rec_value_add(rec_rrset_t *set, const char *text, rec_error_t *e)
{
	uint8_t rd[REC_RDATA_MAX];
	char canon[REC_VALUE_MAX + 8];
	char esc[LOG_ESCAPE_SIZE(64)];
	size_t rdlen = 0;
	size_t tlen = text != NULL ? strlen(text) : 0;
	if (text == NULL) {
		fail(e, "value", "value is missing");
		return false;
	}
	if (set->n >= REC_VALUES_MAX) {
		fail(e, "values", "more than %d values", REC_VALUES_MAX);
		return false;
	}
	switch (set->type) {
	case REC_A:
	case REC_AAAA: {
		int af = set->type == REC_A ? AF_INET : AF_INET6;
		if (inet_pton(af, text, rd) != 1) {
			fail(e, "value", "value \"%s\" is not an %s address",
			     log_escape(esc, sizeof(esc), text, tlen),
			     af == AF_INET ? "IPv4" : "IPv6");
			return false;
		}
		rdlen = af == AF_INET ? 4 : 16;
		inet_ntop(af, rd, canon, sizeof(canon));
		break;
	}
	case REC_CNAME: {
		if (!rec_host_check(text, "value", canon, e)) {
			return false;
		}
		rdlen = name_wire(canon, rd);
		break;
	}
	case REC_TXT: {
		if (tlen == 0 || tlen >= REC_VALUE_MAX) {
			fail(e, "value", "a TXT value holds 1 to %d bytes, this one %zu",
			     REC_VALUE_MAX - 1, tlen);
			return false;
		}
		for (size_t i = 0; i < tlen; i++) {
			if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
				fail(e, "value",
				     "a TXT value may not hold control characters "
				     "(byte %zu)",
				     i);
				return false;
			}
		}
		rdlen = dns_txt_rdata(text, rd, sizeof(rd));
		snprintf(canon, sizeof(canon), "%s", text);
		break;
	}
	case REC_SRV: {
		uint16_t pr, w, port;
		const char *p = text;
		char target[REC_NAME_MAX];
		if (!parse_u16(&p, &pr) || !parse_u16(&p, &w) || !parse_u16(&p, &port)) {
			fail(e, "value",
			     "SRV value \"%s\": expected \"priority weight port target\", "
			     "numbers 0-65535",
			     log_escape(esc, sizeof(esc), text, tlen));
			return false;
		}
		while (*p == ' ') {
			p++;
		}
		if (strcmp(p, ".") == 0) {
			snprintf(target, sizeof(target), ".");
		} else if (!rec_host_check(p, "value", target, e)) {
			return false;
		}
		rd[0] = (uint8_t)(pr >> 8);
		rd[1] = (uint8_t)pr;
		rd[2] = (uint8_t)(w >> 8);
		rd[3] = (uint8_t)w;
		rd[4] = (uint8_t)(port >> 8);
		rd[5] = (uint8_t)port;
		rdlen = 6 + (strcmp(target, ".") == 0 ? (rd[6] = 0, 1) : name_wire(target, rd + 6));
		snprintf(canon, sizeof(canon), "%u %u %u %s", pr, w, port, target);
		break;
	}
	default:
		fail(e, "type", "unsupported type");
		return false;
	}
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->v[i].text, canon) == 0) {
			fail(e, "values", "value \"%s\" is given twice",
			     log_escape(esc, sizeof(esc), canon, strlen(canon)));
			return false;
		}
	}
	if (!push(set, canon, rd, rdlen)) {
		fail(e, "values", "out of memory");
		return false;
	}
	return true;
}

int rec_value_add_rdata(rec_rrset_t *set, const uint8_t *rd, size_t len)
{
	char text[REC_VALUE_MAX + 8];
	size_t pos = 0;
	switch (set->type) {
	case REC_A:
	case REC_AAAA: {
		int af = set->type == REC_A ? AF_INET : AF_INET6;
		if (len != (af == AF_INET ? 4u : 16u)) {
			return DF_EMALFORMED;
		}
		inet_ntop(af, rd, text, sizeof(text));
		break;
	}
	case REC_CNAME:
		if (!wire_name(rd, len, &pos, text, sizeof(text)) || pos != len) {
			return DF_EMALFORMED;
		}
		break;
	case REC_TXT: {
		char raw[REC_VALUE_MAX];
		int ret = dns_txt_text(rd, len, raw, sizeof(raw));
		if (ret != DF_OK) {
			return ret;
		}
		/* What the server holds may be any bytes: shown escaped. */
		log_escape(text, sizeof(text), raw, strlen(raw));
		break;
	}
	case REC_SRV: {
		char target[REC_NAME_MAX];
		pos = 6;
		if (len < 7 || !wire_name(rd, len, &pos, target, sizeof(target)) || pos != len) {
			return DF_EMALFORMED;
		}
		snprintf(text, sizeof(text), "%u %u %u %s", (unsigned)(rd[0] << 8 | rd[1]),
			 (unsigned)(rd[2] << 8 | rd[3]), (unsigned)(rd[4] << 8 | rd[5]), target);
		break;
	}
	default:
		return DF_EINVAL;
	}
	return push(set, text, rd, len) ? DF_OK : DF_ENOSPACE;
}

bool rec_rrset_check(const rec_rrset_t *set, uint32_t ttl_min, uint32_t ttl_max, rec_error_t *e)
{
	if (set->n == 0) {
		fail(e, "value", "no value given (\"value\" or \"values\")");
		return false;
	}
	if (set->type == REC_CNAME && set->n > 1) {
		fail(e, "values", "a CNAME has exactly one value, %zu given", set->n);
		return false;
	}
	if (set->ttl < ttl_min || set->ttl > ttl_max) {
		fail(e, "ttl", "ttl %u is outside %u..%u", set->ttl, ttl_min, ttl_max);
		return false;
	}
	size_t total = 0;
	for (size_t i = 0; i < set->n; i++) {
		total += set->v[i].rdlen + strlen(set->name) + 12;
	}
	if (total > REC_RRSET_WIRE_MAX) {
		fail(e, "values", "the values take %zu bytes in DNS; at most %d fit one request",
		     total, REC_RRSET_WIRE_MAX);
		return false;
	}
	return true;
}

static int cmp_value(const void *a, const void *b)
{
	return strcmp(((const rec_value_t *)a)->text, ((const rec_value_t *)b)->text);
}

void rec_rrset_sort(rec_rrset_t *set)
{
	qsort(set->v, set->n, sizeof(set->v[0]), cmp_value);
}

bool rec_rrset_equal(const rec_rrset_t *a, const rec_rrset_t *b, bool with_ttl)
{
	if (a->type != b->type || a->n != b->n || strcmp(a->name, b->name) != 0 ||
	    (with_ttl && a->ttl != b->ttl)) {
		return false;
	}
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].rdlen != b->v[i].rdlen ||
		    memcmp(a->v[i].rdata, b->v[i].rdata, a->v[i].rdlen) != 0) {
			return false;
		}
	}
	return true;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void rec_rrset_etag(const rec_rrset_t *set, char *out, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint8_t hdr[6] = {(uint8_t)(set->type >> 8), (uint8_t)set->type,
			  (uint8_t)(set->ttl >> 24), (uint8_t)(set->ttl >> 16),
			  (uint8_t)(set->ttl >> 8),  (uint8_t)set->ttl};
	h = fnv(h, hdr, sizeof(hdr));
	for (size_t i = 0; i < set->n; i++) {
		uint8_t l[2] = {(uint8_t)(set->v[i].rdlen >> 8), (uint8_t)set->v[i].rdlen};
		h = fnv(h, l, 2);
		h = fnv(h, set->v[i].rdata, set->v[i].rdlen);
	}
	snprintf(out, size, "\"%016llx\"", (unsigned long long)h);
}

void rec_rrset_init(rec_rrset_t *set, const char *name, uint16_t type, uint32_t ttl)
{
	memset(set, 0, sizeof(*set));
	snprintf(set->name, sizeof(set->name), "%s", name);
	set->type = type;
	set->ttl = ttl;
}

void rec_rrset_clear(rec_rrset_t *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].text);
		free(set->v[i].rdata);
		set->v[i].text = NULL;
		set->v[i].rdata = NULL;
	}
	set->n = 0;
}

bool rec_name_in_zone(const char *name, const char *zone)
{
	size_t nl = strlen(name), zl = strlen(zone);
	if (strcmp(zone, ".") == 0) {
		return true;
	}
	if (nl < zl || strcmp(name + nl - zl, zone) != 0) {
		return false;
	}
	return nl == zl || name[nl - zl - 1] == '.';
}
