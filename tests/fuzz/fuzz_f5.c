/*
 * Answers of iControl REST: the login, the data-group, the GTM pool's
 * members, a virtual server and the error body, under a few HTTP statuses,
 * on any bytes. Every message they leave must be safe to log.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/provider/provider.h"
#include "src/provider/provider_f5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(df_detail_t *d)
{
	for (const char *p = d->msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			abort();
		}
	}
	d->msg[0] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 401, 404, 409, 502};
	char *buf = malloc(size + 1);
	f5_members_t *m = malloc(sizeof(*m));
	if (buf == NULL || m == NULL) {
		free(buf);
		free(m);
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		df_detail_t d = {""};
		char token[F5_TOKEN_MAX], addr[64];
		long life;
		f5_group_t g;
		if (f5_parse_login(buf, size, statuses[i], token, &life, &d) == DF_OK &&
		    (token[0] == '\0' || life <= 0)) {
			abort();
		}
		check_message(&d);
		if (f5_parse_group(buf, size, statuses[i], &g, &d) == DF_OK &&
		    (strlen(g.owner) >= sizeof(g.owner) || strlen(g.ip) >= sizeof(g.ip))) {
			abort();
		}
		check_message(&d);
		if (f5_parse_members(buf, size, statuses[i], m, &d) == DF_OK &&
		    m->count > F5_MEMBERS_MAX) {
			abort();
		}
		check_message(&d);
		f5_parse_vs(buf, size, statuses[i], addr, &d);
		check_message(&d);
	}
	free(m);
	free(buf);
	return 0;
}
