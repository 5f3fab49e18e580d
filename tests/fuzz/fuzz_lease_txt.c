/*
 * Fuzz target for the lease TXT reader. Whatever parses must format, and
 * the formatted value must parse back to the same lease (the CAS compares
 * what we wrote with what we read). Errors come with a printable message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/lease/lease_txt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lease_txt_t lease, again;
	df_detail_t d;
	char buf[LEASE_TXT_MAX];

	memset(&d, 0, sizeof(d));
	int ret = lease_txt_parse(&lease, (const char *)data, size, &d);
	if (ret != DF_OK) {
		if (ret != DF_EINVAL && ret != DF_ERANGE) {
			abort();
		}
		size_t len = strnlen(d.msg, sizeof(d.msg));
		if (len == 0 || len == sizeof(d.msg)) {
			abort();
		}
		for (size_t i = 0; i < len; i++) {
			if ((unsigned char)d.msg[i] < 0x20 || d.msg[i] == 0x7f) {
				abort();
			}
		}
		return 0;
	}
	if (lease_txt_format(&lease, buf, sizeof(buf)) != DF_OK) {
		abort();
	}
	if (lease_txt_parse(&again, buf, strlen(buf), NULL) != DF_OK ||
	    strcmp(again.owner, lease.owner) != 0 || again.exp != lease.exp ||
	    again.epoch != lease.epoch) {
		abort();
	}
	return 0;
}
