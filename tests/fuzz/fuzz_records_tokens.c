/*
 * Fuzz target for the bearer-token file parser: any bytes as the file. A
 * file that parses holds 1..REC_TOKENS_MAX tokens, each findable by its own
 * secret, with zones and verbs; an error message never quotes a secret.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/records/records_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rec_tokens_t ts;
	df_detail_t d = {{0}};
	if (rec_tokens_parse(&ts, (const char *)data, size, "fuzz", &d) == DF_OK) {
		if (ts.n == 0 || ts.n > REC_TOKENS_MAX) {
			abort();
		}
		for (size_t i = 0; i < ts.n; i++) {
			const rec_token_t *t =
				rec_tokens_find(&ts, ts.t[i].secret, ts.t[i].secret_len);
			if (t == NULL || strcmp(t->secret, ts.t[i].secret) != 0 ||
			    ts.t[i].verbs == 0 || ts.t[i].nzones == 0) {
				abort();
			}
		}
		rec_tokens_deinit(&ts);
	} else if (d.msg[0] == '\0') {
		abort();
	}
	size_t len = 0;
	char *s = malloc(size + 1);
	if (s != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
		const char *b = rec_bearer(s, &len);
		if (b != NULL && (len == 0 || b + len > s + size)) {
			abort();
		}
		free(s);
	}
	return 0;
}
