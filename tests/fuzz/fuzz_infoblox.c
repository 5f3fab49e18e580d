/*
 * Answers of the Infoblox WAPI: the record searches, the view lookup, the
 * multi-object request's answer and the error body, under a few HTTP
 * statuses, on any bytes. Every message they leave must be safe to log.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/provider/provider.h"
#include "src/provider/provider_infoblox.h"

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
	static const long statuses[] = {200, 201, 400, 401, 404, 502};
	char *buf = malloc(size + 1);
	infoblox_records_t *r = malloc(sizeof(*r));
	if (buf == NULL || r == NULL) {
		free(buf);
		free(r);
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		for (int t = 0; t < 2; t++) {
			df_detail_t d = {""};
			if (infoblox_parse_records(buf, size, statuses[i], t ? "a" : "txt",
						   "lease.example.com", "default", r,
						   &d) == DF_OK) {
				if (strlen(r->ref) >= sizeof(r->ref) ||
				    strlen(r->value) >= sizeof(r->value) ||
				    strlen(r->list) >= sizeof(r->list) ||
				    (r->count > 0 && strncmp(r->ref, "record:", 7) != 0)) {
					abort();
				}
			}
			check_message(&d);
		}
		df_detail_t d = {""};
		infoblox_parse_view(buf, size, statuses[i], "default", &d);
		check_message(&d);
		d.msg[0] = '\0';
		infoblox_parse_request(buf, size, statuses[i], &d);
		check_message(&d);
	}
	free(r);
	free(buf);
	return 0;
}
