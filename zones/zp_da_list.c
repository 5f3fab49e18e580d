/* The DirectAdmin listing parsers. */
#include "zones/zp_da_list.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/zp_proto.h"

static bool add_checked(zp_names_t *out, const char *raw, size_t len, char *why, size_t wsize)
{
	char name[ZP_NAME_MAX], reason[160];
	if (!zp_name_normalize(raw, len, name, reason, sizeof(reason))) {
		snprintf(why, wsize, "listed domain is not a host name: %s", reason);
		return false;
	}
	if (!zp_names_add(out, name)) {
		snprintf(why, wsize, "out of memory");
		return false;
	}
	return true;
}

bool zp_da_parse_json(const char *body, size_t len, zp_names_t *out, int *total_pages, char *why,
		      size_t wsize)
{
	*total_pages = 1;
	size_t i = 0;
	while (i < len &&
	       (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
		i++;
	}
	if (i < len && body[i] == '<') {
		snprintf(why, wsize, "an HTML page, not the JSON listing (a login page?)");
		return false;
	}
	json_error_t err;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL || !json_is_object(root)) {
		snprintf(why, wsize, "not a JSON object (%s)",
			 root == NULL ? err.text : "wrong type");
		json_decref(root);
		return false;
	}
	bool ok = true;
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val)
	{
		if (!ok) {
			break;
		}
		if (strcmp(key, "info") == 0 && json_is_object(val)) {
			json_t *tp = json_object_get(val, "total_pages");
			long long pages = json_is_integer(tp)  ? json_integer_value(tp)
					  : json_is_string(tp) ? atoll(json_string_value(tp))
							       : 1;
			if (pages < 1 || pages > 100000) {
				snprintf(why, wsize, "info.total_pages out of range");
				ok = false;
			}
			*total_pages = (int)pages;
			continue;
		}
		bool digits = key[0] != '\0';
		for (const char *p = key; *p != '\0'; p++) {
			digits = digits && *p >= '0' && *p <= '9';
		}
		if (!digits) {
			continue;
		}
		json_t *dom = json_is_object(val) ? json_object_get(val, "domain") : NULL;
		if (!json_is_string(dom)) {
			snprintf(why, wsize, "entry %.20s has no \"domain\" string", key);
			ok = false;
			break;
		}
		ok = add_checked(out, json_string_value(dom), json_string_length(dom), why, wsize);
	}
	json_decref(root);
	return ok;
}

bool zp_da_parse_legacy(const char *body, size_t len, zp_names_t *out, char *why, size_t wsize)
{
	if (len > 0 && body[0] == '<') {
		snprintf(why, wsize, "an HTML page, not the legacy listing");
		return false;
	}
	size_t i = 0;
	while (i < len) {
		const char *pair = body + i;
		const char *amp = memchr(pair, '&', len - i);
		size_t plen = amp != NULL ? (size_t)(amp - pair) : len - i;
		while (plen > 0 && (pair[plen - 1] == '\n' || pair[plen - 1] == '\r')) {
			plen--;
		}
		const char *eq = memchr(pair, '=', plen);
		if (plen > 0) {
			char key[32];
			long kn = eq != NULL && (size_t)(eq - pair) < sizeof(key)
					  ? zp_form_decode(pair, (size_t)(eq - pair), key,
							   sizeof(key))
					  : -1;
			if (kn < 0 || strcmp(key, "list[]") != 0) {
				snprintf(why, wsize, "expected list[]=DOMAIN pairs");
				return false;
			}
			char val[512];
			long vn = zp_form_decode(eq + 1, plen - (size_t)(eq - pair) - 1, val,
						 sizeof(val));
			if (vn < 0 || !add_checked(out, val, (size_t)vn, why, wsize)) {
				if (vn < 0) {
					snprintf(why, wsize, "a listed domain cannot be decoded");
				}
				return false;
			}
		}
		i += (amp != NULL ? (size_t)(amp - pair) : len - i) + 1;
	}
	return true;
}
