/*
 * What a SCRIPT_GET program prints: the reader of {"A": ..., "TXT": ...} on
 * any bytes. Its reason must be safe to log and what it keeps must be an
 * address and a terminated text.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/provider/provider_script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	script_output_t *o = malloc(sizeof(*o));
	char why[256];
	struct in_addr addr;
	if (o == NULL) {
		return 0;
	}
	if (script_parse_output((const char *)data, size, o, why, sizeof(why)) == DF_OK) {
		if (o->has_a && inet_pton(AF_INET, o->a, &addr) != 1) {
			abort();
		}
		if (strlen(o->txt) >= sizeof(o->txt)) {
			abort();
		}
	} else {
		for (const char *p = why; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				abort();
			}
		}
	}
	free(o);
	return 0;
}
