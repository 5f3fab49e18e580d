/*
 * TSIG keys: BIND key files as written by tsig-keygen / ddns-confgen and
 * `nsupdate -y` strings.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

struct tsig_alg;

#define TSIG_NAME_MAX	255
#define TSIG_SECRET_MAX 512

typedef struct tsig_key {
	char name[TSIG_NAME_MAX + 2]; /* lower case, absolute ("lease-key.") */
	uint8_t wire[TSIG_NAME_MAX];  /* name in uncompressed wire form */
	size_t wire_len;
	const struct tsig_alg *alg;	 /* static table entry */
	uint8_t secret[TSIG_SECRET_MAX]; /* decoded; wiped by tsig_key_deinit() */
	size_t secret_len;
	void *alg_ctx; /* borrowed state for non-HMAC algorithms (GSS) */
} tsig_key_t;

/*
 * Every function that fills a key from text logs a warning (log_warn) when
 * the secret is shorter than half the algorithm's MAC output (under 16 bytes
 * for hmac-sha256, 32 for hmac-sha512), naming the key, the length and the
 * size tsig-keygen makes (the whole output). The key is still filled.
 */

/*
 * Fills key from name, algorithm name and base64 secret. Leaves key wiped on
 * failure. d (may be NULL) says what is wrong, never quoting the secret.
 */
int tsig_key_init(tsig_key_t *key, const char *name, const char *alg_name, const char *secret_b64,
		  df_detail_t *d);

/* Wipes the secret. Safe on a zeroed or already deinitialised key. */
void tsig_key_deinit(tsig_key_t *key);

/*
 * Parses "[alg:]name:secret" as `nsupdate -y` takes it. Unlike nsupdate, a
 * missing algorithm is an error (nsupdate silently falls back to hmac-md5).
 */
int tsig_key_from_string(tsig_key_t *key, const char *spec, df_detail_t *d);

/*
 * Parses the text of a BIND key file (several `key "name" { algorithm A;
 * secret "S"; };` statements, with //, # and block comments) and picks the
 * key called want (NULL: the file must hold exactly one key). label names
 * the source in messages ("file:line: ..."). text need not be NUL-terminated.
 */
int tsig_keyfile_parse(tsig_key_t *key, const char *text, size_t len, const char *want,
		       const char *label, df_detail_t *d);

/*
 * Opens path, refuses it unless it passes secret_file_open() (a regular
 * file owned by root or the current user, no access for group or others,
 * checked with fstat on the open descriptor), then parses it with
 * tsig_keyfile_parse(). The file contents are wiped after use.
 */
int tsig_keyfile_load(tsig_key_t *key, const char *path, const char *want, df_detail_t *d);

/*
 * Writes into out (size bytes) a new key statement for name as tsig-keygen
 * prints it: hmac-sha256, a 32-byte secret from getrandom(2), base64.
 * The caller wipes out after use.
 */
int tsig_keyfile_generate(const char *name, char *out, size_t size, df_detail_t *d);
