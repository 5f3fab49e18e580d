/*
 * What the azure-dns provider reads from the network: record sets of both
 * types, error bodies under a few statuses, and the advice for a token
 * refusal, on any bytes. Every message they leave must be safe to log.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/provider/azure.h"

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
	static const long statuses[] = {200, 400, 401, 403, 404, 412, 429, 503};
	const char *buf = (const char *)data;
	azure_set_t *s = malloc(sizeof(*s));
	oauth_answer_t *a = malloc(sizeof(*a));
	if (s == NULL || a == NULL) {
		free(s);
		free(a);
		return 0;
	}
	static const char *const types[] = {"A", "TXT"};
	for (int t = 0; t < 2; t++) {
		df_detail_t d = {""};
		if (azure_parse_set(buf, size, types[t], s, &d) == DF_OK) {
			lease_version_t v;
			char te[AZURE_ETAG_MAX], ae[AZURE_ETAG_MAX];
			check_text(s->etag);
			if (strlen(s->txt) >= sizeof(s->txt) ||
			    azure_version_put(&v, s->etag, s->etag) != DF_OK ||
			    !azure_version_get(&v, te, ae) || strcmp(te, s->etag) != 0) {
				abort(); /* the version gives back the etags */
			}
		}
		check_text(d.msg);
	}
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		char code[64], msg[200];
		azure_parse_error(buf, size, statuses[i], code, sizeof(code), msg, sizeof(msg));
		check_text(code);
		check_text(msg);
		oauth_parse_token(buf, size, statuses[i], a);
		check_text(azure_token_advice(a));
	}
	free(s);
	free(a);
	return 0;
}
