/*
 * Secrets from HashiCorp Vault (reference/rest-providers.md section 8): a
 * token (VAULT_TOKEN, an AppRole login or a Kubernetes login), then the
 * secret at VAULT_MOUNT/VAULT_KEY, read as KV version 2 and, when that
 * fails, as version 1. Its keys are configuration keys in lower case
 * ("tsig_key"), put over the file and the environment at load time
 * (vault_conf.c).
 *
 * The process keeps one Vault login (the session): a reload reuses its
 * token while it is valid, and `run` renews it before its lease ends
 * (vault_keeper_t). Nothing read from Vault, and no token, reaches a log or
 * a message: errors name VAULT_ADDR, the path, the status and Vault's own
 * error text.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"
#include "src/conf/config.h"

typedef struct http_multi http_multi_t;

/* Longest token accepted (service tokens are about 100 bytes, batch tokens more). */
#define VAULT_TOKEN_MAX 4096
/* Longest value of one key of the secret. */
#define VAULT_VALUE_MAX 8192

/* A token and its lease, from a login or renew-self ("auth") or lookup-self ("data"). */
typedef struct vault_auth {
	char token[VAULT_TOKEN_MAX]; /* "" from lookup-self */
	uint32_t lease_s;	     /* 0: no expiry (a root token) */
	bool renewable;
} vault_auth_t;

/*
 * The "auth" object of a login or renew-self answer: auth.client_token,
 * auth.lease_duration, auth.renewable. DF_OK, or DF_EMALFORMED with d
 * saying what is missing (never the token).
 */
int vault_parse_auth(const char *body, size_t len, vault_auth_t *out, df_detail_t *d);

/* The "data" of lookup-self: data.ttl and data.renewable (token left ""). */
int vault_parse_lookup(const char *body, size_t len, vault_auth_t *out, df_detail_t *d);

/*
 * One key of the secret: value is its text (a JSON string as is, an
 * integer in decimal, true or false), or NULL when it is none of those (an
 * object, an array, null, a fraction, a string too long or with a NUL).
 * Returns DF_OK to go on, or an error that stops the walk.
 */
typedef int (*vault_kv_cb)(void *arg, const char *key, const char *value);

/*
 * Walks the secret of a KV read answer: data.data for version 2, data for
 * version 1. DF_OK, DF_EMALFORMED (not JSON, or no such object) with d
 * set, or what cb returned.
 */
int vault_parse_kv(const char *body, size_t len, int version, vault_kv_cb cb, void *arg,
		   df_detail_t *d);

/*
 * Vault's error envelope {"errors":["..."]} as one line for a message:
 * the strings joined with "; ", control characters and non-ASCII bytes
 * replaced, cut to size. "no error text" when there is none; the start of
 * the body (sanitized) when it is not that envelope.
 */
void vault_parse_errors(const char *body, size_t len, char *out, size_t size);

/*
 * Makes jansson wipe every block it frees, for the whole process (the
 * readers above and the login's request body call it). Idempotent.
 */
void vault_json_wipe_on_free(void);

/* Whether an answer says the Vault is sealed (503, "sealed" in its errors). */
bool vault_is_sealed(long status, const char *body, size_t len);

/*
 * Logs in (or reuses the session's token) as v says, reads the secret and
 * calls cb for each of its keys. origin (size bytes) receives where the
 * secret was found ("Vault secret/dns-failover (KV v2)") for messages.
 * Blocking: all its requests end within 10 s (5 s at most to connect).
 * DF_OK; DF_ECONFIG (refused credentials, no such secret, sealed, ...),
 * DF_ECONNREFUSED, DF_ETIMEDOUT or DF_ENETWORK (Vault not reachable) with d
 * naming VAULT_ADDR, the path and what to check.
 */
int vault_read_secret(const config_vault_t *v, vault_kv_cb cb, void *arg, char *origin, size_t size,
		      df_detail_t *d);

/* Forgets the session's token (wiped). */
void vault_session_clear(void);

/*
 * Renews the session's token from the loop of m (renew-self at two thirds
 * of its lease, retried on failure), as long as it is renewable; follows
 * the session when a reload logs in again. Does nothing while there is no
 * session. *out is freed with vault_keeper_free() before m.
 */
typedef struct vault_keeper vault_keeper_t;
int vault_keeper_new(vault_keeper_t **out, http_multi_t *m);
void vault_keeper_free(vault_keeper_t *k);
