/*
 * The lease TXT value, "owner=primary exp=1769571600 epoch=7" (DESIGN
 * section 3). The reader is deliberately tolerant in the same ways as the
 * existing Python tool (quotes, extra white space, unknown words), so both
 * can share one record during a migration, and strict about the three keys
 * it relies on: a lease that cannot be read exactly must not be acted on.
 */
#include "src/lease/lease_txt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Copies up to 32 bytes of s for a message, non-printable bytes as '?'. */
static void show(char *buf, size_t size, const char *s, size_t len)
{
	size_t max = 32, n = 0;
	for (size_t i = 0; i < len && i < max && n + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	buf[n] = '\0';
	if (len > max && n + 4 < size) {
		memcpy(buf + n, "...", 4);
	}
}

/*
 * Decimal digits only: no sign, no blanks, no "0x", no "1_000", which
 * strtoul() or Python's int() would let through in one form or another.
 */
static int parse_decimal(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	if (len == 0) {
		return DF_EINVAL;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return DF_EINVAL;
		}
		unsigned digit = (unsigned)(s[i] - '0');
		if (v > (max - digit) / 10) {
			return DF_ERANGE;
		}
		v = v * 10 + digit;
	}
	*out = v;
	return DF_OK;
}

int lease_txt_parse(lease_txt_t *out, const char *text, size_t len, df_detail_t *d)
{
	if (out == NULL || (text == NULL && len > 0)) {
		return DF_EINVAL;
	}
	if (text == NULL) {
		text = ""; /* NULL + 0 is undefined */
	}
	const char *p = text;
	const char *end = text + len;
	while (p < end && is_blank(*p)) {
		p++;
	}
	while (end > p && is_blank(end[-1])) {
		end--;
	}
	/* dig and the REST APIs hand the value back in one pair of quotes. */
	if (end - p >= 2 && p[0] == '"' && end[-1] == '"') {
		p++;
		end--;
	}

	lease_txt_t lease = {.exp = 0, .epoch = 0};
	bool have_owner = false, have_exp = false, have_epoch = false;
	char shown[40];

	while (p < end) {
		while (p < end && is_blank(*p)) {
			p++;
		}
		const char *word = p;
		while (p < end && !is_blank(*p)) {
			p++;
		}
		size_t wlen = (size_t)(p - word);
		if (wlen == 0) {
			break;
		}
		const char *eq = memchr(word, '=', wlen);
		if (eq == NULL) {
			continue; /* not a key=value word: ignored like unknown keys */
		}
		size_t klen = (size_t)(eq - word);
		const char *val = eq + 1;
		size_t vlen = wlen - klen - 1;
		int ret;
		uint64_t n;

		if (klen == 5 && memcmp(word, "owner", 5) == 0) {
			if (have_owner) {
				df_detail_set(d, "lease TXT: owner given twice");
				return DF_EINVAL;
			}
			if ((vlen == 7 && memcmp(val, "primary", 7) == 0) ||
			    (vlen == 2 && memcmp(val, "dr", 2) == 0)) {
				memcpy(lease.owner, val, vlen);
				lease.owner[vlen] = '\0';
			} else {
				show(shown, sizeof(shown), val, vlen);
				df_detail_set(d, "lease TXT: owner=%s is not primary or dr", shown);
				return DF_EINVAL;
			}
			have_owner = true;
		} else if (klen == 3 && memcmp(word, "exp", 3) == 0) {
			if (have_exp) {
				df_detail_set(d, "lease TXT: exp given twice");
				return DF_EINVAL;
			}
			ret = parse_decimal(val, vlen, (uint64_t)LEASE_TXT_EXP_MAX, &n);
			if (ret != DF_OK) {
				show(shown, sizeof(shown), val, vlen);
				df_detail_set(d, "lease TXT: exp=%s is %s", shown,
					      ret == DF_ERANGE ? "out of range (0-253402300799)"
							       : "not a decimal unix time");
				return ret;
			}
			lease.exp = (int64_t)n;
			have_exp = true;
		} else if (klen == 5 && memcmp(word, "epoch", 5) == 0) {
			if (have_epoch) {
				df_detail_set(d, "lease TXT: epoch given twice");
				return DF_EINVAL;
			}
			ret = parse_decimal(val, vlen, LEASE_TXT_EPOCH_MAX, &n);
			if (ret != DF_OK) {
				show(shown, sizeof(shown), val, vlen);
				df_detail_set(d, "lease TXT: epoch=%s is %s", shown,
					      ret == DF_ERANGE
						      ? "out of range (0-9223372036854775807)"
						      : "not a decimal integer");
				return ret;
			}
			lease.epoch = n;
			have_epoch = true;
		}
		/* Any other key is someone else's: ignored, as the seed's reader does. */
	}

	if (!have_owner || !have_exp) {
		df_detail_set(d, "lease TXT: missing %s", !have_owner ? "owner" : "exp");
		return DF_EINVAL;
	}
	*out = lease;
	return DF_OK;
}

int lease_txt_format(const lease_txt_t *lease, char *buf, size_t size)
{
	if (lease == NULL || buf == NULL) {
		return DF_EINVAL;
	}
	if (size > 0) {
		buf[0] = '\0';
	}
	if (memchr(lease->owner, '\0', sizeof(lease->owner)) == NULL ||
	    (strcmp(lease->owner, "primary") != 0 && strcmp(lease->owner, "dr") != 0) ||
	    lease->exp < 0 || lease->exp > LEASE_TXT_EXP_MAX ||
	    lease->epoch > LEASE_TXT_EPOCH_MAX) {
		return DF_EINVAL;
	}
	char tmp[LEASE_TXT_MAX];
	int n = snprintf(tmp, sizeof(tmp), "owner=%s exp=%" PRId64 " epoch=%" PRIu64, lease->owner,
			 lease->exp, lease->epoch);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		return DF_EINVAL; /* cannot happen with the checks above */
	}
	if ((size_t)n >= size) {
		return DF_ENOSPACE;
	}
	memcpy(buf, tmp, (size_t)n + 1);
	return DF_OK;
}
