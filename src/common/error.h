/*
 * One error space for the whole program: 0 is success, errno values are
 * negated (DF_ENOMEM == -ENOMEM), project codes start at DF_ERR_BASE.
 * The DNS outcome of an exchange (RCODE, TSIG error) is not an error: it is
 * reported through out-parameters, and a verified NXRRSET is a success.
 *
 * This header sits below every module, tsig/ included: it is the one thing
 * they all share.
 */
#pragma once

#include <errno.h>
#include <stddef.h>

enum df_error {
	DF_OK = 0,
	DF_ENOMEM = -ENOMEM,
	DF_EINVAL = -EINVAL,
	DF_ENOENT = -ENOENT,
	DF_EACCES = -EACCES,
	DF_ERANGE = -ERANGE,
	DF_ETIMEDOUT = -ETIMEDOUT,
	DF_ECONNREFUSED = -ECONNREFUSED,

	DF_ERR_BASE = -1000,
	DF_ECONFIG = DF_ERR_BASE,  /* configuration is invalid */
	DF_EKEYFILE = -1001,	   /* key file unusable (syntax, permissions) */
	DF_EKEYPERM = -1002,	   /* key file readable by group or others */
	DF_EALG = -1003,	   /* unknown or unsupported TSIG algorithm */
	DF_EMALFORMED = -1004,	   /* a DNS message could not be parsed */
	DF_ETSIG_MISSING = -1005,  /* answer carries no TSIG though we signed */
	DF_ETSIG_UNSIGNED = -1006, /* answer has a TSIG with no MAC (BADKEY, BADSIG) */
	DF_ETSIG_BADMAC = -1007,   /* the answer's MAC does not verify */
	DF_ETSIG_BADTIME = -1008,  /* signed time outside the fudge window */
	DF_ETSIG_MISMATCH = -1009, /* answer signed with another key or algorithm */
	DF_EMISMATCH = -1010,	   /* answer ID or question does not match */
	DF_ERCODE = -1011,	   /* the server answered with an error RCODE */
	DF_ENOTFOUND = -1012,	   /* the lease records do not exist */
	DF_ECONFLICT = -1013,	   /* compare-and-swap lost: someone wrote first */
	DF_ENOSPACE = -1014,	   /* message does not fit its buffer */
	DF_ENOTAUTH = -1015,	   /* answer is not authoritative */
	DF_ELOCK = -1016,	   /* could not lock a state file */
	DF_ENETWORK = -1017,	   /* send or receive failed */
	DF_EHELD = -1018,	   /* the other side holds a valid lease */
	DF_EUNKNOWN = -1019,	   /* a write may or may not have applied: read again */
	DF_ERR_LAST = -1020,
};

/* Returns a static string; falls back to strerror() for errno values. */
const char *df_strerror(int err);

/*
 * An operator-facing explanation that travels with an error code: which key,
 * file, server or record is at fault and what to do. Functions that can fail
 * for reasons an operator must act on take a df_detail_t * (may be NULL).
 */
typedef struct df_detail {
	char msg[768];
} df_detail_t;

/* Replaces the text of d (no-op when d is NULL). */
void df_detail_set(df_detail_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " style context to an existing detail. */
void df_detail_prefix(df_detail_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
