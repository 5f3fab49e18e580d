/*
 * Vault answers on any bytes: the login and renew-self reader, the
 * lookup-self reader, the KV v2 and v1 walks and the error envelope.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/secrets/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *arg, const char *key, const char *value)
{
	size_t *n = arg;
	/* Keys and values are C strings of the sizes the parser promises. */
	if (key == NULL || (value != NULL && strlen(value) >= VAULT_VALUE_MAX)) {
		abort();
	}
	(*n)++;
	return DF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vault_auth_t auth;
	df_detail_t d;
	char msg[256];
	size_t n = 0;
	/* NUL-terminated, as http_request_body() leaves a body. */
	char *buf = malloc(size + 1);
	if (buf == NULL) {
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (vault_parse_auth(buf, size, &auth, &d) == DF_OK) {
		/* A token goes into a header line: no space nor control byte. */
		if (auth.token[0] == '\0' || strpbrk(auth.token, " \r\n\t") != NULL) {
			abort();
		}
	}
	vault_parse_lookup(buf, size, &auth, &d);
	vault_parse_kv(buf, size, 2, count, &n, &d);
	vault_parse_kv(buf, size, 1, count, &n, &d);
	vault_parse_errors(buf, size, msg, sizeof(msg));
	/* The error text goes to messages: printable ASCII only. */
	for (const char *p = msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			abort();
		}
	}
	(void)vault_is_sealed(503, buf, size);
	free(buf);
	return 0;
}
