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

/*
 * Keys kept as text rather than typed fields: provider credentials (Route 53,
 * Cloudflare, Infoblox, Azure, GCP, F5, script), the watcher's keys (MY_IP,
 * OTEL_*) and Vault's. Existing env files carry them, so they are known keys;
 * the modules that need them read them with config_get_extra(). The values
 * live in one pool inside config_t so that the struct stays a plain value a
 * reload can copy.
 */
#define CONFIG_EXTRA_MAX       64
#define CONFIG_EXTRA_VALUE_MAX 4096 /* longest value (AWS session tokens are long) */
#define CONFIG_EXTRA_POOL      16384

enum config_role { CONFIG_ROLE_PRIMARY, CONFIG_ROLE_DR };
enum config_health_mode { CONFIG_HEALTH_TCP, CONFIG_HEALTH_METRICS };
enum config_log_target { CONFIG_LOG_STDERR, CONFIG_LOG_SYSLOG };

typedef struct config_extra {
	const char *name; /* static key name from the key table */
	uint16_t off;	  /* value: NUL-terminated string at extra_pool + off */
} config_extra_t;

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
	char tsig_keyfile[CONFIG_STR_MAX];     /* TSIG_KEYFILE */
	char tsig_keyname[256];		       /* TSIG_KEYNAME */
	char tsig_key[CONFIG_STR_MAX];	       /* TSIG_KEY = alg:name:secret (secret!) */
	char dryrun_statefile[CONFIG_STR_MAX]; /* DRYRUN_STATEFILE =
						  /var/lib/dnsfailover/dry-run.json */
	enum config_log_target log_target;     /* LOG_TARGET = stderr (stderr|syslog) */
	enum log_level log_level;	       /* LOG_LEVEL = info (error|warn|info|debug) */
	char source[CONFIG_STR_MAX]; /* file the config came from, "" = environment only */
	size_t extra_count;	     /* extra keys set or defaulted, in key-table order */
	config_extra_t extra[CONFIG_EXTRA_MAX];
	char extra_pool[CONFIG_EXTRA_POOL];
} config_t;

/*
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
 * from the first line of that file. Errors never show a secret's value.
 */
int config_load(config_t *cfg, const char *path, char *const *envp, void (*warn)(const char *msg),
		df_detail_t *d);

/*
 * Same as config_load() on a file whose contents are text (len bytes, need
 * not be NUL-terminated), named label in messages; no environment, no
 * warnings. NAME_FILE secrets are still read from their files. For the fuzz
 * target and for tests.
 */
int config_parse_text(config_t *cfg, const char *text, size_t len, const char *label,
		      df_detail_t *d);

/* Wipes cfg (it holds secrets: TSIG_KEY, provider passwords and tokens). */
void config_deinit(config_t *cfg);

/*
 * Value of a key kept as text (see CONFIG_EXTRA_MAX), or NULL when it was
 * neither set nor has a default. Borrowed from cfg.
 */
const char *config_get_extra(const config_t *cfg, const char *name);

/* One known key, for templates, `validate` output and tests. */
typedef struct config_key_info {
	const char *name;
	const char *def;  /* default as written in a file; NULL when none */
	const char *help; /* one line */
	bool required;
	bool secret; /* never printed; NAME_FILE=path reads it from a file */
} config_key_info_t;

/* Describes the i-th known key (from 0) into out. Returns false past the last. */
bool config_key_at(size_t i, config_key_info_t *out);

/*
 * The same as config_load() for the standalone watcher (`dnsfailover
 * watch`), whose env files carry DNS_RECORD, MY_IP (or DR_IP), DNS_SERVER
 * and the watcher keys but not the daemon's ROLE, DNS_PROVIDER, DNS_ZONE or
 * site addresses: those are not required; MY_IP or DR_IP is.
 */
int config_load_watch(config_t *cfg, const char *path, char *const *envp,
		      void (*warn)(const char *msg), df_detail_t *d);

/*
 * Known key closest to name (edit distance with transpositions, ignoring
 * case), or NULL when none is close. Secret keys' NAME_FILE forms count.
 */
const char *config_closest_key(const char *name);

/* "primary" / "dr". */
const char *config_role_name(enum config_role role);

/* This site's IP (PRIMARY_IP or DR_IP by role) and the other site's. */
const char *config_my_ip(const config_t *cfg);
const char *config_peer_ip(const config_t *cfg);
