/*
 * Fuzz target for the BIND key file parser: any bytes, parsed once for the
 * only key and once for "lease-key". Nothing may crash or read past len
 * (the input is not NUL-terminated), and a failed parse must leave the key
 * wiped.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/error.h"
#include "tsig/tsig_key.h"

static void check_wiped(const tsig_key_t *key)
{
	const uint8_t *p = (const uint8_t *)key;
	for (size_t i = 0; i < sizeof(*key); i++) {
		if (p[i] != 0) {
			abort();
		}
	}
}

static void parse(const char *text, size_t len, const char *want)
{
	tsig_key_t key;
	df_detail_t d;
	memset(&d, 0, sizeof(d));
	int ret = tsig_keyfile_parse(&key, text, len, want, "fuzz.key", &d);
	if (ret == DF_OK) {
		/* A key that parsed is usable: name absolute, secret non-empty. */
		if (key.alg == NULL || key.secret_len == 0 || key.wire_len == 0 ||
		    key.name[strlen(key.name) - 1] != '.') {
			abort();
		}
		tsig_key_deinit(&key);
	} else {
		check_wiped(&key);
		if (d.msg[0] == '\0') {
			abort(); /* every failure explains itself */
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse((const char *)data, size, NULL);
	parse((const char *)data, size, "lease-key");
	return 0;
}
