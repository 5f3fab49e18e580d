/*
 * DirectAdmin's listings on any bytes: the JSON page and the legacy form.
 * Every name either parser returns is a valid host name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/zp_da_list.h"
#include "zones/zp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const zp_names_t *s)
{
	for (size_t i = 0; i < s->n; i++) {
		char again[ZP_NAME_MAX], why[64];
		if (!zp_name_normalize(s->v[i], strlen(s->v[i]), again, why, sizeof(why)) ||
		    strcmp(again, s->v[i]) != 0) {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	zp_names_t a = {0}, b = {0};
	char why[256];
	int pages = 0;
	if (zp_da_parse_json((const char *)data, size, &a, &pages, why, sizeof(why))) {
		if (pages < 1) {
			abort();
		}
		check(&a);
		zp_names_sort(&a);
		for (size_t i = 0; i < a.n; i++) {
			if (!zp_names_has(&a, a.v[i])) {
				abort();
			}
		}
	}
	if (zp_da_parse_legacy((const char *)data, size, &b, why, sizeof(why))) {
		check(&b);
	}
	zp_names_clear(&a);
	zp_names_clear(&b);
	return 0;
}
