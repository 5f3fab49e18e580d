/*
 * The gcp-dns provider's readers (see gcp.h).
 */
#include "src/provider/gcp.h"
#include "src/provider/provider.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/common/log.h"
#include "src/provider/json_field.h"

void gcp_key_clear(gcp_key_t *k)
{
	if (k->private_key != NULL) {
		explicit_bzero(k->private_key, k->private_key_len);
		free(k->private_key);
	}
	memset(k, 0, sizeof(*k));
}

int gcp_parse_key_file(const char *text, size_t len, const char *path, gcp_key_t *out,
		       df_detail_t *d)
{
	char type[64] = "";
	memset(out, 0, sizeof(*out));
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	int ret = DF_EKEYFILE;
	if (!json_is_object(root)) {
		df_detail_set(d,
			      "GCP_CREDENTIALS_FILE=%s is not JSON: download the service "
			      "account's key (IAM > Service accounts > Keys > Add key > JSON)",
			      path);
		goto out;
	}
	if (!json_field_str(root, "type", type, sizeof(type)) ||
	    strcmp(type, "service_account") != 0) {
		df_detail_set(d,
			      "GCP_CREDENTIALS_FILE=%s is not a service-account key (\"type\" is "
			      "not \"service_account\"; user credentials and workload identity "
			      "files are not supported)",
			      path);
		goto out;
	}
	json_t *pk = json_object_get(root, "private_key");
	if (!json_field_str(root, "client_email", out->client_email, sizeof(out->client_email)) ||
	    strchr(out->client_email, '@') == NULL) {
		df_detail_set(d, "GCP_CREDENTIALS_FILE=%s has no usable \"client_email\"", path);
		goto out;
	}
	if (!json_is_string(pk) || json_string_length(pk) == 0 ||
	    memchr(json_string_value(pk), '\0', json_string_length(pk)) != NULL) {
		df_detail_set(d, "GCP_CREDENTIALS_FILE=%s has no \"private_key\"", path);
		goto out;
	}
	if (json_object_get(root, "private_key_id") != NULL &&
	    !json_field_str(root, "private_key_id", out->private_key_id,
			    sizeof(out->private_key_id))) {
		df_detail_set(d,
			      "GCP_CREDENTIALS_FILE=%s: \"private_key_id\" is not a short string",
			      path);
		goto out;
	}
	if (strpbrk(out->private_key_id, "\"\\") != NULL ||
	    strpbrk(out->client_email, "\"\\") != NULL) {
		df_detail_set(d, "GCP_CREDENTIALS_FILE=%s: a quote or backslash in an id", path);
		goto out;
	}
	json_field_str(root, "project_id", out->project_id, sizeof(out->project_id));
	json_field_str(root, "token_uri", out->token_uri, sizeof(out->token_uri));
	out->private_key_len = json_string_length(pk);
	out->private_key = malloc(out->private_key_len + 1);
	if (out->private_key == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	memcpy(out->private_key, json_string_value(pk), out->private_key_len + 1);
	ret = DF_OK;
out:
	if (root != NULL) {
		/* Wipe the key's copy in the parsed tree. */
		json_t *v = json_object_get(root, "private_key");
		if (json_is_string(v)) {
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
		}
	}
	json_decref(root);
	if (ret != DF_OK) {
		gcp_key_clear(out);
	}
	return ret;
}

int gcp_parse_error(const char *body, size_t len, long status, char *reason, size_t rsize,
		    char *msg, size_t msize)
{
	reason[0] = '\0';
	msg[0] = '\0';
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *err = json_object_get(root, "error");
	json_t *m = json_object_get(err, "message");
	json_t *errs = json_object_get(err, "errors");
	json_t *r = json_object_get(json_array_get(errs, 0), "reason");
	if (json_is_string(r)) {
		log_escape(reason, rsize, json_string_value(r), json_string_length(r));
	}
	if (json_is_string(m)) {
		log_escape(msg, msize, json_string_value(m), json_string_length(m));
	} else if (json_is_string(err)) {
		/* The token endpoint's {"error": "...", "error_description": ...}. */
		log_escape(reason, rsize, json_string_value(err), json_string_length(err));
		json_t *desc = json_object_get(root, "error_description");
		if (json_is_string(desc)) {
			log_escape(msg, msize, json_string_value(desc), json_string_length(desc));
		}
	} else if (len > 0) {
		/* Not the API's shape (a proxy's page): a short excerpt. */
		log_escape(msg, msize, body, len < 80 ? len : 80);
	}
	json_decref(root);
	if (strcmp(reason, "conditionNotMet") == 0 || status == 412) {
		return DF_ECONFLICT;
	}
	if (strcmp(reason, "alreadyExists") == 0 || status == 409) {
		return DF_ECONFLICT;
	}
	if (status == 404 && strstr(msg, "deletions") != NULL) {
		return DF_ECONFLICT; /* a deletion of a set that is gone [unconfirmed] */
	}
	if (status == 401 || status == 403) {
		return DF_EACCES;
	}
	if (status == 429 || strcmp(reason, "rateLimitExceeded") == 0) {
		return DF_ENETWORK;
	}
	if (status >= 500) {
		return DF_EUNKNOWN;
	}
	if (status == 404 || status == 400) {
		return DF_ECONFIG;
	}
	return DF_ERCODE;
}

/* {"name","type","ttl","rrdatas"} of set, compact, into buf. */
static bool set_text(json_t *set, char *buf, size_t size)
{
	json_t *copy =
		json_pack("{s:O, s:O, s:O, s:O}", "name", json_object_get(set, "name"), "type",
			  json_object_get(set, "type"), "ttl", json_object_get(set, "ttl"),
			  "rrdatas", json_object_get(set, "rrdatas"));
	if (copy == NULL) {
		return false;
	}
	size_t n = json_dumpb(copy, buf, size - 1, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(copy);
	if (n == 0 || n >= size - 1) {
		buf[0] = '\0';
		return false;
	}
	buf[n] = '\0';
	return true;
}

int gcp_parse_rrsets(const char *body, size_t len, const char *record, gcp_list_t *out,
		     df_detail_t *d)
{
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	int ret = DF_EMALFORMED;
	out->next_page[0] = '\0';
	if (!json_is_object(root)) {
		df_detail_set(d, "gcp-dns: the rrsets list is not a JSON object");
		goto out;
	}
	json_t *sets = json_object_get(root, "rrsets");
	json_t *next = json_object_get(root, "nextPageToken");
	if (sets != NULL && !json_is_array(sets)) {
		df_detail_set(d, "gcp-dns: \"rrsets\" is not a list");
		goto out;
	}
	if (next != NULL &&
	    (!json_field_str(root, "nextPageToken", out->next_page, sizeof(out->next_page)) ||
	     strpbrk(out->next_page, "\r\n") != NULL)) {
		df_detail_set(d, "gcp-dns: a bad nextPageToken");
		out->next_page[0] = '\0';
		goto out;
	}
	size_t i;
	json_t *s;
	json_array_foreach(sets, i, s)
	{
		char name[256], type[16];
		json_t *ttl = json_object_get(s, "ttl");
		json_t *rr = json_object_get(s, "rrdatas");
		if (!json_is_object(s) || !json_field_str(s, "name", name, sizeof(name)) ||
		    !json_field_str(s, "type", type, sizeof(type))) {
			df_detail_set(d, "gcp-dns: record set %zu has no name and type", i);
			goto out;
		}
		if (strcasecmp(name, record) != 0) {
			continue;
		}
		bool is_a = strcmp(type, "A") == 0, is_txt = strcmp(type, "TXT") == 0;
		if (!is_a && !is_txt) {
			continue;
		}
		if (json_object_get(s, "routingPolicy") != NULL) {
			df_detail_set(d,
				      "gcp-dns: the %s set at %s has a routing policy: it is not "
				      "the lease's, left alone; remove it or choose another "
				      "DNS_RECORD",
				      type, record);
			ret = DF_ECONFIG;
			goto out;
		}
		if (!json_is_integer(ttl) || !json_is_array(rr) || json_array_size(rr) == 0) {
			df_detail_set(d, "gcp-dns: the %s set at %s has no ttl or rrdatas", type,
				      record);
			goto out;
		}
		char *dst = is_a ? out->a_set : out->txt_set;
		if (dst[0] != '\0') {
			df_detail_set(d, "gcp-dns: two %s sets at %s in the listing", type, record);
			goto out;
		}
		if (!set_text(s, dst, GCP_SET_MAX)) {
			df_detail_set(d, "gcp-dns: the %s set at %s is too large", type, record);
			goto out;
		}
		size_t k;
		json_t *v;
		if (is_txt) {
			out->txt_count = json_array_size(rr);
			if (out->txt_count > 1) {
				df_detail_set(d,
					      "gcp-dns: the TXT set at %s holds %zu records: the "
					      "lease is one TXT record; left alone (delete the "
					      "others)",
					      record, out->txt_count);
				ret = DF_ECONFIG;
				goto out;
			}
			v = json_array_get(rr, 0);
			if (!json_is_string(v)) {
				df_detail_set(d, "gcp-dns: a TXT rrdata that is not a string");
				goto out;
			}
			int dr = provider_txt_decode(json_string_value(v), json_string_length(v),
						     out->txt, sizeof(out->txt));
			out->txt_decoded = dr == DF_OK;
			if (!out->txt_decoded) {
				log_escape(out->txt, sizeof(out->txt), json_string_value(v),
					   json_string_length(v));
				snprintf(out->txt_error, sizeof(out->txt_error),
					 "TXT rrdata is not RFC 1035 character-strings (%s)",
					 df_strerror(dr));
			}
			continue;
		}
		json_array_foreach(rr, k, v)
		{
			struct in_addr addr;
			if (!json_is_string(v) ||
			    inet_pton(AF_INET, json_string_value(v), &addr) != 1) {
				df_detail_set(d,
					      "gcp-dns: an A rrdata at %s is not an IPv4 address",
					      record);
				goto out;
			}
			provider_add_a(out->a, &out->a_count, out->a_list, json_string_value(v));
		}
	}
	ret = DF_OK;
out:
	json_decref(root);
	return ret;
}

int gcp_parse_change(const char *body, size_t len, char id[GCP_CHANGE_ID_MAX], bool *done,
		     df_detail_t *d)
{
	char status[32];
	json_t *root = json_loadb(body, len, 0, NULL);
	int ret = DF_EMALFORMED;
	*done = false;
	id[0] = '\0';
	if (!json_is_object(root) || !json_field_str(root, "id", id, GCP_CHANGE_ID_MAX) ||
	    id[0] == '\0' ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
		    strlen(id) ||
	    !json_field_str(root, "status", status, sizeof(status))) {
		df_detail_set(d, "gcp-dns: the answer is not a dns#change with an id and a status");
		id[0] = '\0';
		goto out;
	}
	if (strcmp(status, "done") != 0 && strcmp(status, "pending") != 0) {
		df_detail_set(d, "gcp-dns: change %s has an unknown status", id);
		goto out;
	}
	*done = strcmp(status, "done") == 0;
	ret = DF_OK;
out:
	json_decref(root);
	return ret;
}

int gcp_version_put(lease_version_t *v, const char *a_set, const char *txt_set)
{
	int n = snprintf((char *)v->bytes, sizeof(v->bytes), "%s\n%s", a_set, txt_set);
	if (n < 0 || (size_t)n >= sizeof(v->bytes)) {
		v->len = 0;
		return DF_ENOSPACE;
	}
	v->len = (size_t)n;
	return DF_OK;
}

bool gcp_version_get(const lease_version_t *v, char a_set[GCP_SET_MAX], char txt_set[GCP_SET_MAX])
{
	const char *nl = memchr(v->bytes, '\n', v->len);
	if (v->len == 0 || nl == NULL) {
		return false;
	}
	size_t alen = (size_t)(nl - (const char *)v->bytes), tlen = v->len - alen - 1;
	if (alen >= GCP_SET_MAX || tlen >= GCP_SET_MAX || tlen == 0) {
		return false;
	}
	memcpy(a_set, v->bytes, alen);
	a_set[alen] = '\0';
	memcpy(txt_set, nl + 1, tlen);
	txt_set[tlen] = '\0';
	return true;
}
