/*
 * The one rule for every file a secret comes from: a TSIG key file
 * (TSIG_KEYFILE), a GSS keytab (GSS_KEYTAB), a NAME_FILE secret
 * (TSIG_KEY_FILE) and a configuration file that holds a secret itself
 * (TSIG_KEY=...). Such a file must be a regular file, owned by root or by
 * the user running dnsfailover, with no access at all for group or others.
 * The check is made on the open descriptor (fstat), so the file checked is
 * the file read.
 */
#pragma once

#include "src/common/error.h"

struct stat;

/*
 * Applies the rule to st, what fstat() said of path. what names the kind
 * of file in d ("key file", "keytab", "secret file", "configuration
 * file"). Returns DF_OK; DF_EKEYFILE when it is not a regular file;
 * DF_EKEYPERM when it belongs to someone else or group or others have any
 * access: d then says which ("writable by group", "readable by group and
 * others", ...), shows the owner and mode and gives the chown or chmod that
 * fixes it. st, what and path are borrowed.
 */
int secret_file_check(const struct stat *st, const char *what, const char *path, df_detail_t *d);

/*
 * Opens path for reading (close-on-exec, non-blocking so that a FIFO does
 * not hang) and applies secret_file_check() to it. setting ("TSIG_KEYFILE")
 * is named when the file does not exist. On DF_OK *fd is open and the
 * caller closes it; otherwise *fd is -1 and d says why. Errors: DF_EINVAL,
 * the negated errno of open() or fstat(), or those of secret_file_check().
 */
int secret_file_open(const char *path, const char *what, const char *setting, int *fd,
		     df_detail_t *d);
