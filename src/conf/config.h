/*
 * Configuration: a KEY=VALUE file (env-file syntax) then the process
 * environment on top, with the existing tool's names and defaults.
 * Parsing fills a fresh struct; nothing is applied until all of it is valid,
 * so a reload can keep the old one when the new one is wrong.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#include "src/common/error.h"
#include "src/common/log.h"

#define CONFIG_STR_MAX 512
#define CONFIG_CMD_MAX 4096 /* a command line of the watcher */

enum config_role { CONFIG_ROLE_PRIMARY, CONFIG_ROLE_DR };
enum config_health_mode { CONFIG_HEALTH_TCP, CONFIG_HEALTH_METRICS };
enum config_log_target { CONFIG_LOG_STDERR, CONFIG_LOG_SYSLOG };
enum config_watch_mode {
	CONFIG_WATCH_NONE,
	CONFIG_WATCH_DOCKER,
	CONFIG_WATCH_KUBERNETES,
	CONFIG_WATCH_COMMAND,
	CONFIG_WATCH_SYSTEMD,
};
enum config_dns_failure { CONFIG_DNS_FAILURE_STOP, CONFIG_DNS_FAILURE_KEEP };
enum config_gss_mech { CONFIG_GSS_KRB5, CONFIG_GSS_SPNEGO };
enum config_gss_alg { CONFIG_GSS_TSIG, CONFIG_GSS_MICROSOFT };
enum config_vault_auth { CONFIG_VAULT_TOKEN, CONFIG_VAULT_APPROLE, CONFIG_VAULT_KUBERNETES };

/*
 * The options of each module, in the struct a reload copies whole. The keys
 * that fill them, their checks and their documentation are declared by the
 * module that owns them (config_module_t below); only the layout is here.
 */
typedef struct config_watch {
	char my_ip[64];				/* MY_IP (watch) */
	enum config_watch_mode mode;		/* WATCH_MODE (empty: none) */
	enum config_dns_failure on_dns_failure; /* WATCH_ON_DNS_FAILURE = stop */
	char container[256];			/* OTEL_CONTAINER */
	uint32_t check_interval_ms;		/* OTEL_CHECK_INTERVAL = 15 (seconds) */
	char k8s_namespace[64];			/* OTEL_NAMESPACE (at most 63) */
	char k8s_deployment[256];		/* OTEL_DEPLOYMENT */
	uint32_t replicas_active;		/* OTEL_REPLICAS_ACTIVE = 1 */
	uint32_t replicas_inactive;		/* OTEL_REPLICAS_INACTIVE = 0 */
	char docker_host[CONFIG_STR_MAX];	/* DOCKER_HOST = /var/run/docker.sock */
	char k8s_api_url[CONFIG_STR_MAX];	/* K8S_API_URL (default: in-cluster) */
	char k8s_token_file[CONFIG_STR_MAX];	/* K8S_TOKEN_FILE */
	char k8s_ca_file[CONFIG_STR_MAX];	/* K8S_CA_FILE */
	char start_cmd[CONFIG_CMD_MAX];		/* WATCH_START_CMD */
	char stop_cmd[CONFIG_CMD_MAX];		/* WATCH_STOP_CMD */
	char status_cmd[CONFIG_CMD_MAX];	/* WATCH_STATUS_CMD */
	uint32_t cmd_timeout;			/* WATCH_CMD_TIMEOUT = 30 (seconds) */
	char unit[256];				/* WATCH_UNIT */
} config_watch_t;

typedef struct config_gss {
	char keytab[CONFIG_STR_MAX]; /* GSS_KEYTAB */
	char principal[256];	     /* GSS_PRINCIPAL */
	char service[256];	     /* GSS_SERVICE */
	enum config_gss_mech mech;   /* GSS_MECH = krb5 */
	enum config_gss_alg alg;     /* GSS_TSIG_ALG = gss-tsig */
} config_gss_t;

/* The route53 provider's keys (src/provider/route53_conf.c). */
typedef struct config_route53 {
	char access_key_id[128];       /* AWS_ACCESS_KEY_ID */
	char secret_access_key[256];   /* AWS_SECRET_ACCESS_KEY (secret!) */
	char session_token[4096];      /* AWS_SESSION_TOKEN (secret!) */
	char region[64];	       /* AWS_REGION = us-east-1 */
	char zone_id[64];	       /* ROUTE53_ZONE_ID, bare (no /hostedzone/) */
	char endpoint[CONFIG_STR_MAX]; /* ROUTE53_ENDPOINT = https://route53.amazonaws.com */
	char ca_file[CONFIG_STR_MAX];  /* ROUTE53_CA_FILE */
} config_route53_t;

/* Secrets from HashiCorp Vault (src/secrets/vault_conf.c). */
typedef struct config_vault {
	char addr[CONFIG_STR_MAX];	   /* VAULT_ADDR (empty: no Vault) */
	enum config_vault_auth auth;	   /* VAULT_AUTH_METHOD = token */
	char token[CONFIG_STR_MAX];	   /* VAULT_TOKEN (secret) */
	char role_id[256];		   /* VAULT_ROLE_ID */
	char secret_id[256];		   /* VAULT_SECRET_ID (secret) */
	char k8s_role[256];		   /* VAULT_K8S_ROLE */
	char k8s_jwt_path[CONFIG_STR_MAX]; /* VAULT_K8S_JWT_PATH = the pod's token */
	char mount[256];		   /* VAULT_MOUNT = secret */
	char key[256];			   /* VAULT_KEY = dns-failover */
	char ca_file[CONFIG_STR_MAX];	   /* VAULT_CACERT */
	char ns[256];			   /* VAULT_NAMESPACE */
} config_vault_t;
/* The cloudflare provider's keys (src/provider/cloudflare_conf.c). */
typedef struct config_cloudflare {
	char api_token[CONFIG_STR_MAX]; /* CLOUDFLARE_API_TOKEN (secret!) */
	char zone_id[64];		/* CLOUDFLARE_ZONE_ID; "" = looked up by DNS_ZONE */
	char api_url[CONFIG_STR_MAX];	/* CLOUDFLARE_API_URL = https://api.cloudflare.com/client/v4
					 */
	char ca_file[CONFIG_STR_MAX];	/* CLOUDFLARE_CA_FILE; "" = the system store */
	char proxy[CONFIG_STR_MAX];	/* CLOUDFLARE_PROXY; "" = HTTPS_PROXY */
	uint32_t timeout;		/* CLOUDFLARE_TIMEOUT = 10 (seconds, per request) */
} config_cloudflare_t;

/* The gcp-dns provider's keys (src/provider/gcp_conf.c). */
typedef struct config_gcp {
	char project_id[256];		       /* GCP_PROJECT_ID; "" = the key file's project_id */
	char credentials_file[CONFIG_STR_MAX]; /* GCP_CREDENTIALS_FILE (a secret file) */
	char managed_zone[256];		       /* GCP_MANAGED_ZONE */
	char token_uri[CONFIG_STR_MAX];	       /* GCP_TOKEN_URI; "" = the key file's token_uri */
	char api_url[CONFIG_STR_MAX];	       /* GCP_API_URL = https://dns.googleapis.com/dns/v1 */
	char ca_file[CONFIG_STR_MAX];	       /* GCP_CA_FILE; "" = the system store */
	uint32_t timeout;		       /* GCP_TIMEOUT = 10 (seconds, per request) */
} config_gcp_t;

/* The azure-dns provider's keys (src/provider/azure_conf.c). */
typedef struct config_azure {
	char subscription_id[128];	/* AZURE_SUBSCRIPTION_ID */
	char resource_group[128];	/* AZURE_RESOURCE_GROUP */
	char tenant_id[128];		/* AZURE_TENANT_ID */
	char client_id[128];		/* AZURE_CLIENT_ID */
	char client_secret[1024];	/* AZURE_CLIENT_SECRET (secret!) */
	char login_url[CONFIG_STR_MAX]; /* AZURE_LOGIN_URL = https://login.microsoftonline.com */
	char management_url[CONFIG_STR_MAX]; /* AZURE_MANAGEMENT_URL = https://management.azure.com
					      */
	char ca_file[CONFIG_STR_MAX];	     /* AZURE_CA_FILE; "" = the system store */
	uint32_t timeout;		     /* AZURE_TIMEOUT = 10 (seconds, per request) */
} config_azure_t;
/* The infoblox provider's keys (src/provider/infoblox_conf.c). */
typedef struct config_infoblox {
	char host[CONFIG_STR_MAX];     /* INFOBLOX_HOST: grid master, host[:port] or https:// URL */
	char username[256];	       /* INFOBLOX_USERNAME */
	char password[CONFIG_STR_MAX]; /* INFOBLOX_PASSWORD (secret!) */
	char wapi_version[32];	       /* INFOBLOX_WAPI_VERSION = v2.11 */
	int verify_ssl;		       /* INFOBLOX_VERIFY_SSL = true (1; 0 = false) */
	char view[256];		       /* INFOBLOX_VIEW = default */
	char ca_file[CONFIG_STR_MAX];  /* INFOBLOX_CA_FILE; "" = the system store */
	uint32_t timeout;	       /* INFOBLOX_TIMEOUT = 10 (seconds, per request) */
} config_infoblox_t;

/* The f5-gtm provider's keys (src/provider/f5_conf.c). */
typedef struct config_f5 {
	char host[CONFIG_STR_MAX];     /* F5_HOST: BIG-IP, host[:port] or https:// URL */
	char username[256];	       /* F5_USERNAME */
	char password[CONFIG_STR_MAX]; /* F5_PASSWORD (secret!) */
	char partition[256];	       /* F5_PARTITION = Common */
	int verify_ssl;		       /* F5_VERIFY_SSL = true (1; 0 = false) */
	char pool_name[256];	       /* F5_POOL_NAME; "" = no GTM pool */
	char ca_file[CONFIG_STR_MAX];  /* F5_CA_FILE; "" = the system store */
	uint32_t timeout;	       /* F5_TIMEOUT = 10 (seconds, per request) */
} config_f5_t;

/* The script provider's keys (src/provider/script_conf.c). */
typedef struct config_script {
	char set_cmd[CONFIG_CMD_MAX]; /* SCRIPT_SET */
	char get_cmd[CONFIG_CMD_MAX]; /* SCRIPT_GET */
	uint32_t timeout;	      /* SCRIPT_TIMEOUT = 10 (seconds) */
} config_script_t;

typedef struct config {
	enum config_role role;		     /* ROLE (required) */
	char provider[64];		     /* DNS_PROVIDER (required) */
	char server[CONFIG_STR_MAX];	     /* DNS_SERVER; "" = SOA MNAME lookup */
	uint16_t port;			     /* DNS_PORT = 53 */
	char resolver[CONFIG_STR_MAX];	     /* DNS_RESOLVER; "" = /etc/resolv.conf */
	char zone[256];			     /* DNS_ZONE (required), absolute, lower case */
	char record[256];		     /* DNS_RECORD (required), absolute, lower case */
	uint32_t dns_ttl;		     /* DNS_TTL = 30 */
	char primary_ip[64];		     /* PRIMARY_IP (required) */
	char dr_ip[64];			     /* DR_IP (required) */
	uint32_t lease_ttl;		     /* LEASE_TTL = 60 */
	uint32_t update_interval;	     /* UPDATE_INTERVAL = 10 */
	uint32_t renew_deadline;	     /* RENEW_DEADLINE = 40 */
	uint32_t fail_threshold;	     /* FAIL_THRESHOLD = 3 */
	uint32_t dns_timeout_ms;	     /* DNS_TIMEOUT = 3 (seconds) */
	uint32_t dns_retries;		     /* DNS_RETRIES = 2 */
	enum config_health_mode health_mode; /* HEALTH_MODE = tcp */
	char health_host[256];		     /* HEALTH_HOST */
	uint16_t health_port;		     /* HEALTH_PORT = 4317 */
	uint32_t health_timeout;	     /* HEALTH_TIMEOUT = 2 */
	char health_url[CONFIG_STR_MAX];     /* HEALTH_URL */
	char health_metric[256]; /* HEALTH_METRIC = otelcol_receiver_accepted_metric_points_total */
	uint32_t health_stale_count;	       /* HEALTH_STALE_COUNT = 3 */
	char https_proxy[CONFIG_STR_MAX];      /* HTTPS_PROXY: the REST providers' ("" = none) */
	char tsig_keyfile[CONFIG_STR_MAX];     /* TSIG_KEYFILE */
	char tsig_keyname[256];		       /* TSIG_KEYNAME */
	char tsig_key[CONFIG_STR_MAX];	       /* TSIG_KEY = alg:name:secret (secret!) */
	char dryrun_statefile[CONFIG_STR_MAX]; /* DRYRUN_STATEFILE =
						  /var/lib/dnsfailover/dry-run.json */
	enum config_log_target log_target;     /* LOG_TARGET = stderr (stderr|syslog) */
	enum log_level log_level;	       /* LOG_LEVEL = info (error|warn|info|debug) */
	config_gss_t gss;		       /* GSS_* (ad-gss) */
	config_watch_t watch;		       /* the watcher's keys */
	config_route53_t route53;	       /* AWS_*, ROUTE53_* (route53) */
	config_cloudflare_t cloudflare;	       /* CLOUDFLARE_* */
	config_script_t script;		       /* SCRIPT_* */
	config_gcp_t gcp;		       /* GCP_* (gcp-dns) */
	config_azure_t azure;		       /* AZURE_* (azure-dns) */
	config_infoblox_t infoblox;	       /* INFOBLOX_* */
	config_f5_t f5;			       /* F5_* (f5-gtm) */
	char metrics_listen[256];	       /* METRICS_LISTEN (empty: off) */
	config_vault_t vault;		       /* VAULT_* */
	char source[CONFIG_STR_MAX]; /* file the config came from, "" = environment only */
} config_t;

/*
 * A key, declared by the module that owns it (DESIGN section 2). Values are
 * checked by type, then by the module's check when it has one, and stored
 * at off in config_t; size is the field's size (for text, the longest
 * value + 1).
 */
enum config_type {
	CONFIG_UINT,	/* decimal in [min, max], stored times scale in a uint32_t */
	CONFIG_PORT,	/* decimal 1-65535 in a uint16_t */
	CONFIG_ENUM,	/* one of choices, any case, in an int-sized enum */
	CONFIG_STR,	/* printable text (paths, ids, names) */
	CONFIG_IP,	/* IPv4 or IPv6 literal, stored in canonical form */
	CONFIG_HOST,	/* IP literal or host name */
	CONFIG_DNAME,	/* domain name, stored lower case and absolute */
	CONFIG_URL,	/* http:// or https:// URL */
	CONFIG_TSIGKEY, /* [alg:]name:secret, as for nsupdate -y */
};

#define CONFIG_REQUIRED 0x1u
#define CONFIG_SECRET	0x2u /* never shown; NAME_FILE=path reads it from a file */

typedef struct config_choice {
	const char *name;
	int value;
} config_choice_t;

typedef struct config_key {
	const char *name;
	const char *file_name; /* NAME_FILE form, secrets only */
	enum config_type type;
	unsigned flags;
	const char *def; /* default, parsed like a value from the file; NULL = none */
	size_t off;	 /* field in config_t */
	size_t size;
	uint32_t min, max, scale;
	const config_choice_t *choices; /* CONFIG_ENUM, ends with a NULL name */
	/* The owner's own check of a value that passed its type's: NULL, or why
	 * v is invalid with what would be valid written to expect. */
	const char *(*check)(const char *v, char *expect, size_t esize);
	const char *help;
} config_key_t;

#define CONFIG_FIELD(f)	       .off = offsetof(config_t, f), .size = sizeof(((config_t *)NULL)->f)
#define CONFIG_SECRET_NAME(n)  .name = n, .file_name = n "_FILE"
#define CONFIG_SECONDS(lo, hi) .type = CONFIG_UINT, .min = (lo), .max = (hi)

/* The loader, as a module's relate() sees it. */
typedef struct config_ctx config_ctx_t;

typedef struct config_module {
	const char *name; /* "health", "watch", ... */
	const config_key_t *keys;
	size_t count;
	/* Checks that span keys, run once every key of every module is stored
	 * (NULL: none). Returns DF_OK or DF_ECONFIG with d naming the keys and
	 * where they were set (config_where()). */
	int (*relate)(config_t *cfg, const config_ctx_t *ctx, df_detail_t *d);
	/* Values from outside the file and the environment (a secrets store),
	 * NULL: none. Runs once the file, the environment and the NAME_FILE
	 * secrets are read and this module's own keys are checked and stored
	 * in cfg, before any other key is checked; puts what it found with
	 * config_put(). Returns DF_OK, or an error with d saying why (the
	 * load then fails). Not run by config_parse_text(). */
	int (*source)(const config_t *cfg, config_ctx_t *ctx, df_detail_t *d);
} config_module_t;

/*
 * For source(): sets the key named name (any case: "tsig_key" is
 * TSIG_KEY; not a NAME_FILE form) to value, over what the file and the
 * environment said; the value then goes through the key's checks like any
 * other, and origin ("Vault secret/dns-failover") is where messages say it
 * came from. Returns DF_OK; DF_ENOENT when name is not a key of this load;
 * DF_EINVAL; DF_ENOMEM.
 */
int config_put(config_ctx_t *ctx, const char *name, const char *value, const char *origin);

/* For relate(): where key's value came from ("file:line", "environment",
 * "default"), into buf. */
const char *config_where(const config_ctx_t *ctx, const config_key_t *key, char *buf, size_t size);
/* For relate(): whether key was set (not defaulted). */
bool config_is_set(const config_ctx_t *ctx, const config_key_t *key);
/* For relate(): loading for the standalone watcher (config_load_watch()). */
bool config_watch_only(const config_ctx_t *ctx);
/* For relate(): a warning through the loader's warn callback. */
void config_warn(const config_ctx_t *ctx, const char *msg);

/*
 * modules: a NULL-terminated list of the modules whose keys are known
 * besides the core keys (ROLE, DNS_*, the timing, LOG_*), which are always
 * loaded first; NULL for the core keys only.
 *
 * Sets defaults, reads path (NULL: no file) then the environment (envp,
 * NULL-terminated "KEY=VALUE" strings; NULL means none) on top, and checks
 * every value and the relations between them (I < D < L, record inside
 * zone, IPs parse). An unknown key in the file is an error naming file:line
 * and the closest known name; an unknown variable in the environment that
 * carries one of our prefixes is a warning (warn is called, may be NULL).
 * The first error goes to d. cfg is written only on success.
 *
 * File syntax (env-file): KEY=VALUE, optional "export ", # comment lines,
 * 'literal' and "escaped" (\" \\ \n) values, " # comment" after unquoted
 * values, CRLF tolerated, no variable expansion. An empty value in the file
 * means "not set" (the default applies); an empty environment variable does
 * not override the file. For secret keys, NAME_FILE=path reads the value
 * from the first line of that file. That file, and the configuration file
 * when it sets a secret itself, must pass secret_file_check() (private to
 * root or us). Errors never show a secret's value.
 */
int config_load(config_t *cfg, const config_module_t *const *modules, const char *path,
		char *const *envp, void (*warn)(const char *msg), df_detail_t *d);

/*
 * Same as config_load() on a file whose contents are text (len bytes, need
 * not be NUL-terminated), named label in messages; no environment, no
 * warnings. NAME_FILE secrets are still read from their files. For the fuzz
 * target and for tests.
 */
int config_parse_text(config_t *cfg, const config_module_t *const *modules, const char *text,
		      size_t len, const char *label, df_detail_t *d);

/* Wipes cfg (it holds secrets: TSIG_KEY, provider passwords and tokens). */
void config_deinit(config_t *cfg);

/* One known key, for templates, `validate` output and tests. */
typedef struct config_key_info {
	const char *name;
	const char *def;  /* default as written in a file; NULL when none */
	const char *help; /* one line */
	bool required;
	bool secret; /* never printed; NAME_FILE=path reads it from a file */
} config_key_info_t;

/* Describes the i-th known key (from 0; the core keys, then each module's)
 * into out. Returns false past the last. */
bool config_key_at(const config_module_t *const *modules, size_t i, config_key_info_t *out);

/*
 * The same as config_load() for the standalone watcher (`dnsfailover
 * watch`), whose env files carry DNS_RECORD, MY_IP (or DR_IP), DNS_SERVER
 * and the watcher keys but not the daemon's ROLE, DNS_PROVIDER, DNS_ZONE or
 * site addresses: those are not required; MY_IP or DR_IP is.
 */
int config_load_watch(config_t *cfg, const config_module_t *const *modules, const char *path,
		      char *const *envp, void (*warn)(const char *msg), df_detail_t *d);

/*
 * Known key closest to name (edit distance with transpositions, ignoring
 * case), or NULL when none is close. Secret keys' NAME_FILE forms count.
 */
const char *config_closest_key(const config_module_t *const *modules, const char *name);

/* "primary" / "dr". */
const char *config_role_name(enum config_role role);

/* This site's IP (PRIMARY_IP or DR_IP by role) and the other site's. */
const char *config_my_ip(const config_t *cfg);
const char *config_peer_ip(const config_t *cfg);
