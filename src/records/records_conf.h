/*
 * dnsrecordsd's configuration file: "key = value" lines, '#' comments, and
 * one "[zone NAME]" section per zone served. Every error names file:line,
 * the key and what would be valid. The keys and their defaults are listed
 * in rec_conf_keys[] (the man page documents each).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"
#include "src/records/records_valid.h"
#include "tsig/tsig_key.h"

#define REC_ZONES_MAX  64
#define REC_VERIFY_MAX 8
#define REC_PATH_MAX   512

typedef struct rec_server {
	char host[256];
	uint16_t port;
} rec_server_t;

typedef struct rec_zone_conf {
	char name[REC_NAME_MAX]; /* absolute, lower case */
	char server[256];	 /* primary: host or address */
	uint16_t port;		 /* = 53 */
	char key_file[REC_PATH_MAX];
	char key_name[256];
	char gss_keytab[REC_PATH_MAX]; /* GSS-TSIG instead of key_file */
	char gss_principal[256];
	char gss_service[256];		     /* "" : DNS/<server> */
	rec_server_t verify[REC_VERIFY_MAX]; /* verify_servers; none: the NS set */
	size_t nverify;
	int line; /* of the [zone] header, for messages */
	tsig_key_t key;
	bool has_key;
} rec_zone_conf_t;

typedef struct rec_conf {
	char listen[256]; /* = 127.0.0.1:8053 */
	char tls_cert[REC_PATH_MAX];
	char tls_key[REC_PATH_MAX];
	char webhook_listen[256]; /* = "" (off); 127.0.0.1:8888 in the template */
	char tokens_file[REC_PATH_MAX];
	char audit_log[REC_PATH_MAX];
	bool audit_syslog;	  /* = no */
	uint32_t rate;		  /* requests per second per token = 50 */
	uint32_t burst;		  /* = 100 */
	uint32_t max_concurrent;  /* = 256 */
	uint32_t request_timeout; /* ms, = 10000 */
	uint32_t dns_timeout;	  /* ms per attempt, = 2000 */
	uint32_t ttl_default;	  /* = 300 */
	uint32_t ttl_min;	  /* = 30 */
	uint32_t ttl_max;	  /* = 604800 */
	uint32_t batch_max;	  /* changes in one UPDATE = 1000 */
	uint32_t verify_timeout;  /* ms, the longest wait= = 60000 */
	bool log_debug;
	rec_zone_conf_t zones[REC_ZONES_MAX];
	size_t nzones;
	char source[REC_PATH_MAX];
} rec_conf_t;

typedef struct rec_conf_key {
	const char *name;
	const char *def;
	bool zone; /* inside a [zone] section */
	const char *help;
} rec_conf_key_t;

extern const rec_conf_key_t rec_conf_keys[];

/* Defaults, then text (len bytes) named label. Keys are not loaded. */
int rec_conf_parse(rec_conf_t *c, const char *text, size_t len, const char *label, df_detail_t *d);

/* Reads path, parses it and loads every zone's TSIG key file. */
int rec_conf_load(rec_conf_t *c, const char *path, df_detail_t *d);

/* Wipes the keys. */
void rec_conf_deinit(rec_conf_t *c);

/* The zone that holds name (longest suffix), or NULL. */
const rec_zone_conf_t *rec_conf_zone_for(const rec_conf_t *c, const char *name);

/* "example.com., example.net." into buf, for the 422 message. */
const char *rec_conf_zone_list(const rec_conf_t *c, char *buf, size_t size);
