/*
 * Answers of the Cloudflare API: the envelope, the zone lookup, the record
 * list and the batch answer, under a few HTTP statuses, and the TXT content
 * reader, on any bytes. Every message they leave must be safe to log.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/provider/provider.h"
#include "src/provider/provider_cloudflare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const df_detail_t *d)
{
	for (const char *p = d->msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 400, 403, 404, 502};
	char *buf = malloc(size + 1);
	if (buf == NULL) {
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	cloudflare_list_t *l = malloc(sizeof(*l));
	if (l == NULL) {
		free(buf);
		return 0;
	}
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		df_detail_t d = {""};
		char id[CLOUDFLARE_ID_MAX], a_id[CLOUDFLARE_ID_MAX];
		cloudflare_check_envelope(buf, size, statuses[i], "GET /x", &d);
		check_message(&d);
		d.msg[0] = '\0';
		cloudflare_parse_zone(buf, size, statuses[i], "example.com", id, &d);
		check_message(&d);
		d.msg[0] = '\0';
		if (cloudflare_parse_list(buf, size, statuses[i], "lease.example.com", l, &d) ==
		    DF_OK) {
			/* What it kept fits its buffers, terminated. */
			if (strlen(l->txt) >= sizeof(l->txt) || strlen(l->a) >= sizeof(l->a)) {
				abort();
			}
		}
		check_message(&d);
		d.msg[0] = '\0';
		cloudflare_parse_batch(buf, size, statuses[i], id, a_id, &d);
		check_message(&d);
	}
	char txt[LEASE_MAX_RDATA], back[LEASE_MAX_RDATA * 2 + 16];
	if (provider_txt_decode(buf, size, txt, sizeof(txt)) == DF_OK &&
	    provider_txt_encode(txt, back, sizeof(back)) == DF_OK) {
		/* Quoting what was read and reading it again gives the same text. */
		char again[LEASE_MAX_RDATA];
		if (provider_txt_decode(back, strlen(back), again, sizeof(again)) != DF_OK ||
		    strcmp(again, txt) != 0) {
			abort();
		}
	}
	free(l);
	free(buf);
	return 0;
}
