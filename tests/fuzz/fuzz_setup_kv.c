/*
 * Fuzz target for the setup wizard's KEY=VALUE reader: any bytes. Nothing
 * may crash or read past len, and every pair read with a key of the config
 * key syntax, written back with kv_put_value(), reads back unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/error.h"
#include "src/failover/setup_kv.h"

static bool key_syntax(const char *k)
{
	return k[0] != '\0' && strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kv_list_t first, again;
	static bool quiet;
	if (!quiet) { /* the reader's messages are not under test here */
		quiet = freopen("/dev/null", "w", stderr) != NULL;
	}
	if (kv_parse(&first, (const char *)data, size, "fuzz") == DF_OK) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (f == NULL) {
			abort();
		}
		for (size_t i = 0; i < first.n; i++) {
			if (key_syntax(first.key[i])) {
				fprintf(f, "%s=", first.key[i]);
				kv_put_value(f, first.val[i]);
				fputc('\n', f);
			}
		}
		fclose(f);
		if (kv_parse(&again, text, len, "again") != DF_OK) {
			abort();
		}
		for (size_t i = 0; i < first.n; i++) {
			if (!key_syntax(first.key[i])) {
				continue;
			}
			const char *v = kv_get(&again, first.key[i]);
			if (v == NULL || strcmp(v, first.val[i]) != 0) {
				abort();
			}
		}
		free(text);
	}
	kv_wipe(&first);
	kv_wipe(&again);
	return 0;
}
