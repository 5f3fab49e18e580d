/*
 * What the file-based backends (bind, nsd) share: writing a file so that a
 * reader sees the old one or the new one, never a part (temp file, fsync,
 * rename; the caller syncs the directory once per batch), and running their
 * control program (rndc, nsd-control) without a shell, bounded in time,
 * its exit status checked.
 */
#pragma once

#include <stddef.h>

#include "src/common/error.h"
#include "src/common/proc.h"
#include "zones/zp_conf.h"
#include "zones/zp_zone.h"

#define ZP_TOOL_OUT_MAX 1024

typedef struct zp_tool {
	char name[32]; /* "rndc", for messages */
	char buf[2048];
	char *argv[PROC_MAX_ARGS + 1];
	int argc;
	int timeout_ms;
} zp_tool_t;

/* path.tmp, fsync, rename over path. */
int zp_write_atomic(const char *path, const char *data, size_t len, df_detail_t *d);

/* fsync of a directory (after renames in it). */
int zp_fsync_dir(const char *dir, df_detail_t *d);

/* The directory part of path ("/" for "/x", "." for "x"), into buf. */
void zp_dirname(const char *path, char *buf, size_t size);

/* <dir>/<zone>.db, rendered from z's records. */
int zp_write_zone_file(const char *dir, const zp_zone_t *z, df_detail_t *d);

/* The records of <dir>/<zone>.db, parsed as a pushed zone is. */
int zp_count_zone_file(const char *dir, const char *zone, size_t *n, df_detail_t *d);

/* The zones with a <zone>.db file in dir (names that are valid host names). */
int zp_list_zone_files(const char *dir, char ***names, size_t *n, df_detail_t *d);

/*
 * The control program of backend c: key prog_key (default def) and
 * args_key (words, split without a shell), timeout_key seconds (default
 * 30). Errors name file:line.
 */
int zp_tool_init(zp_tool_t *t, zp_backend_conf_t *c, const char *prog_key, const char *def,
		 const char *args_key, const char *timeout_key, df_detail_t *d);

/* Runs the tool with up to two more words. A non-zero exit is DF_ERCODE
 * with its first output line (escaped) in d; out (may be NULL) receives
 * what it printed. */
int zp_tool_run(const zp_tool_t *t, const char *a1, const char *a2, char *out, size_t osize,
		df_detail_t *d);
/*
 * Runs "tool word NAME" for each of the n names, up to parallel at a time
 * (each call is a process that mostly waits for the server). Returns DF_OK
 * when every run succeeded, else the first failure with d set.
 */
int zp_tool_run_each(const zp_tool_t *t, const char *word, char *const *names, size_t n,
		     unsigned parallel, df_detail_t *d);

/* The same with a NULL-terminated list of words. */
int zp_tool_runv(const zp_tool_t *t, const char *const *words, char *out, size_t osize,
		 df_detail_t *d);
