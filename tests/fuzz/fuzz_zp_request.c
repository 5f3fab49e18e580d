/*
 * DirectAdmin requests on any bytes: the first line is the target, the rest
 * the body; parsed as GET and as POST; every domain accepted must be a
 * valid host name; the Basic check reads the same bytes as a header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/zp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl != NULL ? (size_t)(nl - data) : size;
	char *target = malloc(tlen + 1);
	if (target == NULL) {
		return 0;
	}
	memcpy(target, data, tlen);
	target[tlen] = '\0';
	const uint8_t *body = nl != NULL ? nl + 1 : data + size;
	size_t blen = (size_t)(data + size - body);
	static const char *const methods[] = {"GET", "POST"};
	for (int m = 0; m < 2; m++) {
		zp_request_t r;
		if (zp_request_parse(methods[m], target, body, blen, &r)) {
			for (size_t i = 0; i < r.ndomains; i++) {
				char again[ZP_NAME_MAX], why[128];
				if (!zp_name_normalize(r.domains[i], strlen(r.domains[i]), again,
						       why, sizeof(why)) ||
				    strcmp(again, r.domains[i]) != 0 ||
				    strstr(again, "..") != NULL || strchr(again, '/') != NULL) {
					abort();
				}
			}
		} else if (r.why[0] == '\0' ||
			   (r.status != 400 && r.status != 404 && r.status != 500)) {
			abort();
		}
		zp_request_free(&r);
	}
	char reply[128] = "";
	zp_reply_add(reply, sizeof(reply), "text", target);
	for (const char *p = reply; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			abort();
		}
	}
	(void)zp_auth_ok(target, "da", "secret");
	free(target);
	return 0;
}
