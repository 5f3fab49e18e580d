/*
 * The azure-dns provider's readers (see azure.h).
 */
#include "src/provider/azure.h"
#include "src/provider/provider.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/log.h"

static bool etag_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			return false;
		}
	}
	return true;
}

int azure_parse_set(const char *body, size_t len, const char *type, azure_set_t *out,
		    df_detail_t *d)
{
	memset(out, 0, sizeof(*out));
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *etag = json_object_get(root, "etag");
	json_t *props = json_object_get(root, "properties");
	json_t *ttl = json_object_get(props, "TTL");
	int ret = DF_EMALFORMED;
	if (!json_is_object(root) || !json_is_object(props)) {
		df_detail_set(d,
			      "azure-dns: the %s record set is not a JSON object with "
			      "\"properties\"",
			      type);
		goto out;
	}
	if (!json_is_string(etag) || json_string_length(etag) == 0 ||
	    json_string_length(etag) >= sizeof(out->etag) || !etag_ok(json_string_value(etag))) {
		df_detail_set(d, "azure-dns: the %s record set has no usable etag", type);
		goto out;
	}
	memcpy(out->etag, json_string_value(etag), json_string_length(etag) + 1);
	out->ttl = json_is_integer(ttl) && json_integer_value(ttl) >= 0
			   ? (unsigned long)json_integer_value(ttl)
			   : 0;
	if (json_object_get(props, "targetResource") != NULL &&
	    json_object_get(json_object_get(props, "targetResource"), "id") != NULL) {
		df_detail_set(d,
			      "azure-dns: the %s record set is an alias (targetResource): not the "
			      "lease's, left alone; remove it or choose another DNS_RECORD",
			      type);
		ret = DF_ECONFIG;
		goto out;
	}
	size_t i;
	json_t *r;
	if (strcmp(type, "TXT") == 0) {
		json_t *recs = json_object_get(props, "TXTRecords");
		if (recs == NULL || (json_is_array(recs) && json_array_size(recs) == 0)) {
			ret = DF_OK; /* an empty set */
			goto out;
		}
		if (!json_is_array(recs)) {
			df_detail_set(d, "azure-dns: \"TXTRecords\" is not a list");
			goto out;
		}
		if (json_array_size(recs) > 1) {
			df_detail_set(d,
				      "azure-dns: the TXT record set holds %zu records: the lease "
				      "is one TXT record; left alone (delete the others)",
				      json_array_size(recs));
			ret = DF_ECONFIG;
			goto out;
		}
		json_t *value = json_object_get(json_array_get(recs, 0), "value");
		if (!json_is_array(value)) {
			df_detail_set(d, "azure-dns: the TXT record has no \"value\" list");
			goto out;
		}
		size_t used = 0;
		json_array_foreach(value, i, r)
		{
			size_t n = json_is_string(r) ? json_string_length(r) : 0;
			if (!json_is_string(r) || n > 255 ||
			    memchr(json_string_value(r), '\0', n) != NULL ||
			    used + n >= sizeof(out->txt)) {
				df_detail_set(d,
					      "azure-dns: a TXT value string is not usable text");
				goto out;
			}
			memcpy(out->txt + used, json_string_value(r), n);
			used += n;
		}
		out->txt[used] = '\0';
		ret = DF_OK;
		goto out;
	}
	json_t *recs = json_object_get(props, "ARecords");
	if (recs != NULL && !json_is_array(recs)) {
		df_detail_set(d, "azure-dns: \"ARecords\" is not a list");
		goto out;
	}
	json_array_foreach(recs, i, r)
	{
		json_t *ip = json_object_get(r, "ipv4Address");
		struct in_addr addr;
		if (!json_is_string(ip) || inet_pton(AF_INET, json_string_value(ip), &addr) != 1) {
			df_detail_set(d, "azure-dns: an A record's ipv4Address is not an address");
			goto out;
		}
		provider_add_a(out->a, &out->a_count, out->a_list, json_string_value(ip));
	}
	ret = DF_OK;
out:
	json_decref(root);
	return ret;
}

azure_err_t azure_parse_error(const char *body, size_t len, long status, char *code, size_t csize,
			      char *msg, size_t msize)
{
	code[0] = '\0';
	msg[0] = '\0';
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *err = json_object_get(root, "error");
	json_t *c = json_object_get(err, "code"), *m = json_object_get(err, "message");
	if (json_is_string(c)) {
		log_escape(code, csize, json_string_value(c), json_string_length(c));
	}
	if (json_is_string(m)) {
		log_escape(msg, msize, json_string_value(m), json_string_length(m));
	} else if (root == NULL && len > 0) {
		log_escape(msg, msize, body, len < 80 ? len : 80);
	}
	json_decref(root);
	if (status == 412 || strcmp(code, "PreconditionFailed") == 0) {
		return AZURE_ERR_CONFLICT;
	}
	if (status == 401) {
		return AZURE_ERR_AUTH;
	}
	if (status == 403) {
		return AZURE_ERR_FORBIDDEN;
	}
	if (status == 404) {
		static const char *const zone_codes[] = {
			"ParentResourceNotFound", "ResourceGroupNotFound", "SubscriptionNotFound",
			"ResourceNotFound"};
		for (size_t i = 0; i < sizeof(zone_codes) / sizeof(zone_codes[0]); i++) {
			if (strcmp(code, zone_codes[i]) == 0) {
				return AZURE_ERR_ZONE;
			}
		}
		return AZURE_ERR_ABSENT;
	}
	if (status == 429) {
		return AZURE_ERR_THROTTLED;
	}
	if (status >= 500) {
		return AZURE_ERR_SERVER;
	}
	return AZURE_ERR_OTHER;
}

const char *azure_token_advice(const oauth_answer_t *a)
{
	static const struct {
		const char *code, *advice;
	} map[] = {
		{"AADSTS7000215", "AZURE_CLIENT_SECRET was refused: use the secret's value (not "
				  "its id) from the app registration's Certificates & secrets"},
		{"AADSTS7000222", "AZURE_CLIENT_SECRET has expired: create a new client secret"},
		{"AADSTS700016", "AZURE_CLIENT_ID is not an application in AZURE_TENANT_ID"},
		{"AADSTS90002", "AZURE_TENANT_ID names no tenant"},
		{"AADSTS900023", "AZURE_TENANT_ID is not a tenant id or domain"},
		{"AADSTS70011", "the scope was refused (https://management.azure.com/.default)"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t n = strlen(map[i].code);
		if (strncmp(a->description, map[i].code, n) == 0 && a->description[n] == ':') {
			return map[i].advice;
		}
	}
	if (strcmp(a->error, "invalid_client") == 0) {
		return "AZURE_CLIENT_ID or AZURE_CLIENT_SECRET was refused";
	}
	if (strcmp(a->error, "unauthorized_client") == 0) {
		return "AZURE_CLIENT_ID is not allowed to sign in to AZURE_TENANT_ID";
	}
	return "check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET";
}

int azure_version_put(lease_version_t *v, const char *txt_etag, const char *a_etag)
{
	int n = snprintf((char *)v->bytes, sizeof(v->bytes), "%s\n%s", txt_etag, a_etag);
	if (n < 0 || (size_t)n >= sizeof(v->bytes)) {
		v->len = 0;
		return DF_ENOSPACE;
	}
	v->len = (size_t)n;
	return DF_OK;
}

bool azure_version_get(const lease_version_t *v, char txt_etag[AZURE_ETAG_MAX],
		       char a_etag[AZURE_ETAG_MAX])
{
	const char *nl = v->len > 0 ? memchr(v->bytes, '\n', v->len) : NULL;
	if (nl == NULL) {
		return false;
	}
	size_t tl = (size_t)(nl - (const char *)v->bytes), al = v->len - tl - 1;
	if (tl == 0 || tl >= AZURE_ETAG_MAX || al >= AZURE_ETAG_MAX) {
		return false;
	}
	memcpy(txt_etag, v->bytes, tl);
	txt_etag[tl] = '\0';
	memcpy(a_etag, nl + 1, al);
	a_etag[al] = '\0';
	return etag_ok(txt_etag) && etag_ok(a_etag) && memchr(a_etag, '\n', al) == NULL;
}
