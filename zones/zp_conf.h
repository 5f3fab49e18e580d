/*
 * zonepushd's configuration file: "key = value" lines, # comments, and one
 * "[backend NAME]" section per backend with its own keys. Every error names
 * file:line and the key. The DA password never sits in this file: it is
 * read from password_file, which must be private (src/common/secret_file).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "src/common/error.h"
#include "zones/zp_queue.h"

#define ZP_BACKENDS_MAX 16
#define ZP_KV_MAX	32

typedef struct zp_kv {
	char key[64];
	char value[1024];
	int line;
	bool used;
} zp_kv_t;

typedef struct zp_backend_conf {
	char name[256]; /* a backend's name, or a DA master's host name */
	char type[32];
	bool enabled;
	bool master; /* a [master HOST] section: every key is its own */
	int line;
	zp_kv_t kv[ZP_KV_MAX];
	size_t nkv;
	const char *file; /* the configuration file, for messages */
} zp_backend_conf_t;

typedef struct zp_conf {
	char path[512];
	char listen[256];			  /* listen = 127.0.0.1:2222 */
	char tls_cert[512];			  /* tls_cert (empty: plain HTTP) */
	char tls_key[512];			  /* tls_key */
	char user[65];				  /* user (required) */
	char password_file[512];		  /* password_file (required) */
	char password[256];			  /* read from password_file */
	char state_db[512];			  /* state_db = /var/lib/zonepushd/queue.db */
	unsigned schedule[ZP_QUEUE_SCHEDULE_MAX]; /* retry_schedule = 30,120,300,900,1800 */
	size_t nschedule;
	unsigned heal_interval; /* heal_interval = 900 (seconds) */
	bool cluster_owner;	/* cluster_owner = yes (exists=3 for a parent) */
	unsigned batch;		/* batch = 200 (operations one worker applies at once) */
	unsigned max_body;	/* max_zone_bytes = 4194304 */
	char log_level[16];	/* log_level = info */
	zp_backend_conf_t backends[ZP_BACKENDS_MAX];
	size_t nbackends;
	/* [master HOSTNAME]: the DA servers the reconciler lists (url, user,
	 * password_file, page_size); HOSTNAME as DA sends it in hostname=. */
	zp_backend_conf_t masters[ZP_BACKENDS_MAX];
	size_t nmasters;
	unsigned reconcile_interval; /* reconcile_interval = 0 (seconds; 0: off) */
	bool reconcile_dry_run;	     /* reconcile_dry_run = no */
} zp_conf_t;

/* Reads path into c (defaults first), then the password file. */
int zp_conf_load(zp_conf_t *c, const char *path, df_detail_t *d);

/* Same on text (len bytes) named label; no password file is read. */
int zp_conf_parse(zp_conf_t *c, const char *text, size_t len, const char *label, df_detail_t *d);

/* Wipes the password. */
void zp_conf_deinit(zp_conf_t *c);

/* A backend's value of key (marked used), or def when absent. */
const char *zp_kv_get(zp_backend_conf_t *b, const char *key, const char *def);

/* A backend's key as seconds/count in [lo, hi]; def when absent. */
int zp_kv_uint(zp_backend_conf_t *b, const char *key, unsigned def, unsigned lo, unsigned hi,
	       unsigned *out, df_detail_t *d);

/* After a backend read its keys: DF_ECONFIG naming file:line of the first
 * key it did not use. */
int zp_kv_check_unused(const zp_backend_conf_t *b, df_detail_t *d);
