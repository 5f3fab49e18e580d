/*
 * What the gcp-dns provider reads from the network and from its key file:
 * the token answer, the rrsets listing, a change, an error body, the key
 * file, on any bytes. Every message they leave must be safe to log.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/http/oauth.h"
#include "src/provider/gcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 400, 401, 404, 409, 412, 502};
	const char *buf = (const char *)data;
	gcp_list_t *l = calloc(1, sizeof(*l));
	oauth_answer_t *a = calloc(1, sizeof(*a));
	if (l == NULL || a == NULL) {
		free(l);
		free(a);
		return 0;
	}
	df_detail_t d = {""};
	if (gcp_parse_rrsets(buf, size, "lease.example.com.", l, &d) == DF_OK) {
		if (strlen(l->txt) >= sizeof(l->txt) || strlen(l->a_set) >= sizeof(l->a_set)) {
			abort();
		}
		lease_version_t v;
		char sa[GCP_SET_MAX], st[GCP_SET_MAX];
		if (gcp_version_put(&v, l->a_set, l->txt_set) == DF_OK && l->txt_set[0] != '\0' &&
		    (!gcp_version_get(&v, sa, st) || strcmp(sa, l->a_set) != 0 ||
		     strcmp(st, l->txt_set) != 0)) {
			abort(); /* the version gives back the sets as read */
		}
	}
	check_text(d.msg);
	d.msg[0] = '\0';
	char id[GCP_CHANGE_ID_MAX];
	bool done;
	gcp_parse_change(buf, size, id, &done, &d);
	check_text(d.msg);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		char reason[64], msg[200];
		gcp_parse_error(buf, size, statuses[i], reason, sizeof(reason), msg, sizeof(msg));
		check_text(reason);
		check_text(msg);
		oauth_parse_token(buf, size, statuses[i], a);
		check_text(a->error);
		check_text(a->description);
	}
	gcp_key_t k;
	d.msg[0] = '\0';
	if (gcp_parse_key_file(buf, size, "/k.json", &k, &d) == DF_OK) {
		gcp_key_clear(&k);
	}
	check_text(d.msg);
	free(l);
	free(a);
	return 0;
}
