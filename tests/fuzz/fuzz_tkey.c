/*
 * Fuzz target for the TKEY answer parser: any bytes as the answer to the
 * query with ID 0x1234 (the seed corpus uses it) for a fixed key name.
 * Nothing may crash, and a DF_OK must point the token into the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gss/tkey.h"
#include "src/common/error.h"

#define KEY "2925879720.sig-ns1.example.test."

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tkey_answer_t a;
	memset(&a, 0, sizeof(a));
	int ret = tkey_parse_answer(data, size, 0x1234, KEY, &a);
	if (ret == DF_OK) {
		if (a.token_len > 0 && (a.token < data || a.token + a.token_len > data + size)) {
			abort();
		}
		if (a.token_len == 0 && a.token != NULL) {
			abort();
		}
		if (a.rcode > 15) {
			abort();
		}
	}
	/* the key name taken from the input must not matter for memory safety */
	if (size > 1 && size < 300) {
		char name[300];
		memcpy(name, data + 1, size - 1);
		name[size - 1] = '\0';
		(void)tkey_parse_answer(data, size, 0x1234, name, &a);
		uint8_t buf[1024];
		size_t len;
		(void)tkey_build_query(buf, sizeof(buf), &len, 1, name, NULL, 0, data, size, 0);
		/* the algorithm name too */
		(void)tkey_build_query(buf, sizeof(buf), &len, 1, KEY, data, size, data, size, 0);
	}
	return 0;
}
