/*
 * The VAULT_* keys (the existing tool's names and defaults) and the source
 * that puts the keys of the Vault secret over the file and the environment.
 */
#include "src/secrets/vault_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/common/log.h"
#include "src/secrets/vault.h"

enum {
	VK_ADDR,
	VK_AUTH_METHOD,
	VK_TOKEN,
	VK_ROLE_ID,
	VK_SECRET_ID,
	VK_K8S_ROLE,
	VK_K8S_JWT_PATH,
	VK_MOUNT,
	VK_KEY,
	VK_CACERT,
	VK_NAMESPACE,
	VK_COUNT
};

static const config_choice_t auth_methods[] = {
	{"token", CONFIG_VAULT_TOKEN},
	{"approle", CONFIG_VAULT_APPROLE},
	{"kubernetes", CONFIG_VAULT_KUBERNETES},
	{NULL, 0},
};

/* A KV path: segments of letters, digits, '-', '_', '.' and '@', no empty or dot-only one. */
static const char *check_path(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize,
		 "a Vault path: segments of letters, digits, '-', '_', '.' or '@' separated "
		 "by '/'");
	size_t seg = 0;
	bool dots = true;
	for (const char *p = v;; p++) {
		if (*p == '/' || *p == '\0') {
			if (seg == 0) {
				return "has an empty segment (a leading, trailing or double '/')";
			}
			if (dots) {
				return "has a '.' or '..' segment";
			}
			if (*p == '\0') {
				return NULL;
			}
			seg = 0;
			dots = true;
			continue;
		}
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '@';
		if (!ok) {
			return "contains a character other than letters, digits, '-', '_', '.', "
			       "'@' "
			       "and '/'";
		}
		dots = dots && c == '.';
		seg++;
	}
}

/* A token or an id travels in a header or JSON: printable, no spaces. */
static const char *check_token(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize, "printable characters without spaces");
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == ' ') {
			return "contains a space";
		}
	}
	return NULL;
}

static const char *check_https(const char *v, char *expect, size_t esize)
{
	snprintf(expect, esize, "an https:// URL such as https://vault.example.com:8200");
	if (strncasecmp(v, "https://", 8) != 0) {
		return "is not https: Vault carries tokens and secrets, so only https is used";
	}
	return NULL;
}

/* clang-format off */
static const config_key_t keys[VK_COUNT] = {
	[VK_ADDR] = {.name = "VAULT_ADDR", .type = CONFIG_URL, CONFIG_FIELD(vault.addr),
		.check = check_https,
		.help = "Vault server, e.g. https://vault.example.com:8200; empty: no Vault"},
	[VK_AUTH_METHOD] = {.name = "VAULT_AUTH_METHOD", .type = CONFIG_ENUM, .def = "token",
		CONFIG_FIELD(vault.auth), .choices = auth_methods,
		.help = "how to log in to Vault: token, approle or kubernetes"},
	[VK_TOKEN] = {CONFIG_SECRET_NAME("VAULT_TOKEN"), .type = CONFIG_STR, .flags = CONFIG_SECRET,
		CONFIG_FIELD(vault.token), .check = check_token,
		.help = "Vault token (VAULT_AUTH_METHOD=token)"},
	[VK_ROLE_ID] = {.name = "VAULT_ROLE_ID", .type = CONFIG_STR, CONFIG_FIELD(vault.role_id),
		.check = check_token, .help = "AppRole role ID (VAULT_AUTH_METHOD=approle)"},
	[VK_SECRET_ID] = {CONFIG_SECRET_NAME("VAULT_SECRET_ID"), .type = CONFIG_STR,
		.flags = CONFIG_SECRET, CONFIG_FIELD(vault.secret_id), .check = check_token,
		.help = "AppRole secret ID (VAULT_AUTH_METHOD=approle)"},
	[VK_K8S_ROLE] = {.name = "VAULT_K8S_ROLE", .type = CONFIG_STR, CONFIG_FIELD(vault.k8s_role),
		.check = check_token,
		.help = "Vault role of the Kubernetes auth method (VAULT_AUTH_METHOD=kubernetes)"},
	[VK_K8S_JWT_PATH] = {.name = "VAULT_K8S_JWT_PATH", .type = CONFIG_STR,
		.def = "/var/run/secrets/kubernetes.io/serviceaccount/token",
		CONFIG_FIELD(vault.k8s_jwt_path),
		.help = "the pod's service account token (VAULT_AUTH_METHOD=kubernetes)"},
	[VK_MOUNT] = {.name = "VAULT_MOUNT", .type = CONFIG_STR, .def = "secret",
		CONFIG_FIELD(vault.mount), .check = check_path,
		.help = "mount of the KV secrets engine (version 2, else 1)"},
	[VK_KEY] = {.name = "VAULT_KEY", .type = CONFIG_STR, .def = "dns-failover",
		CONFIG_FIELD(vault.key), .check = check_path,
		.help = "path of the secret under VAULT_MOUNT"},
	[VK_CACERT] = {.name = "VAULT_CACERT", .type = CONFIG_STR, CONFIG_FIELD(vault.ca_file),
		.help = "PEM file of the CA that signed Vault's certificate (default: the system's)"},
	[VK_NAMESPACE] = {.name = "VAULT_NAMESPACE", .type = CONFIG_STR, CONFIG_FIELD(vault.ns),
		.check = check_token, .help = "Vault Enterprise or HCP namespace (empty: none)"},
};
/* clang-format on */

/* What each method needs, named with where the other keys came from. */
static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	const config_vault_t *v = &c->vault;
	if (v->addr[0] == '\0') {
		return DF_OK;
	}
	switch (v->auth) {
	case CONFIG_VAULT_TOKEN:
		if (v->token[0] == '\0') {
			df_detail_set(d,
				      "VAULT_ADDR is set with VAULT_AUTH_METHOD=token but "
				      "VAULT_TOKEN (or VAULT_TOKEN_FILE) is not: set the token, or "
				      "choose approle or kubernetes");
			return DF_ECONFIG;
		}
		break;
	case CONFIG_VAULT_APPROLE:
		if (v->role_id[0] == '\0' || v->secret_id[0] == '\0') {
			df_detail_set(d,
				      "VAULT_AUTH_METHOD=approle needs VAULT_ROLE_ID and "
				      "VAULT_SECRET_ID (or VAULT_SECRET_ID_FILE); %s is not set",
				      v->role_id[0] == '\0' ? "VAULT_ROLE_ID" : "VAULT_SECRET_ID");
			return DF_ECONFIG;
		}
		break;
	case CONFIG_VAULT_KUBERNETES:
		if (v->k8s_role[0] == '\0') {
			df_detail_set(d, "VAULT_AUTH_METHOD=kubernetes needs VAULT_K8S_ROLE, the "
					 "Vault role bound to this pod's service account");
			return DF_ECONFIG;
		}
		break;
	}
	(void)ctx;
	return DF_OK;
}

struct put_ctx {
	config_ctx_t *ctx;
	const char *origin;
	size_t put;
	char names[512]; /* the keys put, for the log line */
};

static void warn_key(struct put_ctx *pc, const char *key, const char *why)
{
	char msg[512], shown[72];
	size_t n = 0;
	for (const char *p = key; *p != '\0' && n + 4 < sizeof(shown); p++) {
		unsigned char ch = (unsigned char)*p;
		shown[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	shown[n] = '\0';
	snprintf(msg, sizeof(msg), "%s: key %s %s; ignored", pc->origin, shown, why);
	config_warn(pc->ctx, msg);
}

static int put_one(void *arg, const char *key, const char *value)
{
	struct put_ctx *pc = arg;
	if (strncasecmp(key, "vault_", 6) == 0) {
		warn_key(pc, key, "would change how Vault itself is reached");
		return DF_OK;
	}
	if (value == NULL) {
		warn_key(pc, key, "is not a string, a number or a boolean");
		return DF_OK;
	}
	int ret = config_put(pc->ctx, key, value, pc->origin);
	if (ret == DF_ENOENT) {
		warn_key(pc, key, "is not a dnsfailover key");
		return DF_OK;
	}
	if (ret == DF_OK) {
		size_t n = strlen(pc->names);
		snprintf(pc->names + n, sizeof(pc->names) - n, "%s%s", pc->put == 0 ? "" : ", ",
			 key);
		pc->put++;
	}
	return ret;
}

/* The secret's keys collected first: origin is known only once the read succeeded. */
struct pending {
	char *key[128];
	char *value[128];
	size_t n;
};

static int collect(void *arg, const char *key, const char *value)
{
	struct pending *p = arg;
	if (p->n == sizeof(p->key) / sizeof(p->key[0])) {
		return DF_ERANGE;
	}
	p->key[p->n] = strdup(key);
	p->value[p->n] = value != NULL ? strdup(value) : NULL;
	if (p->key[p->n] == NULL || (value != NULL && p->value[p->n] == NULL)) {
		free(p->key[p->n]);
		free(p->value[p->n]);
		return DF_ENOMEM;
	}
	p->n++;
	return DF_OK;
}

static void pending_free(struct pending *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->key[i]);
		if (p->value[i] != NULL) {
			explicit_bzero(p->value[i], strlen(p->value[i]));
			free(p->value[i]);
		}
	}
	p->n = 0;
}

static int source(const config_t *cfg, config_ctx_t *ctx, df_detail_t *d)
{
	char origin[600];
	struct pending p = {.n = 0};
	struct put_ctx pc = {.ctx = ctx, .origin = origin};

	if (cfg->vault.addr[0] == '\0') {
		vault_session_clear(); /* a reload that drops Vault stops renewing its token */
		return DF_OK;
	}
	int ret = relate((config_t *)cfg, ctx, d);
	if (ret != DF_OK) {
		return ret;
	}
	ret = vault_read_secret(&cfg->vault, collect, &p, origin, sizeof(origin), d);
	if (ret == DF_ERANGE) {
		df_detail_set(d, "Vault %s/%s: the secret has more than %zu keys", cfg->vault.mount,
			      cfg->vault.key, sizeof(p.key) / sizeof(p.key[0]));
	}
	for (size_t i = 0; ret == DF_OK && i < p.n; i++) {
		ret = put_one(&pc, p.key[i], p.value[i]);
	}
	pending_free(&p);
	if (ret == DF_OK) {
		log_info("Vault: read %zu key%s from %s at %s%s%s", pc.put, pc.put == 1 ? "" : "s",
			 origin, cfg->vault.addr, pc.put > 0 ? ": " : "", pc.names);
	} else if (ret == DF_ENOMEM && d->msg[0] == '\0') {
		df_detail_set(d, "Vault: out of memory");
	}
	return ret;
}

const config_module_t vault_config = {
	.name = "vault",
	.keys = keys,
	.count = VK_COUNT,
	.relate = relate,
	.source = source,
};
