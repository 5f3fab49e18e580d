/*
 * The lease TXT value: "owner=primary exp=1769571600 epoch=7".
 * Readers strip quotes, split on white space and ignore unknown keys, as
 * the existing tool does; a missing epoch reads as 0. Writers write owner,
 * exp, epoch in that order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/common/error.h"

typedef struct lease_txt {
	char owner[16]; /* "primary" or "dr" */
	int64_t exp;	/* unix seconds */
	uint64_t epoch; /* 0..LEASE_TXT_EPOCH_MAX */
} lease_txt_t;

/*
 * Largest exp accepted (9999-12-31T23:59:59Z): keeps exp + LEASE_TTL and
 * exp - now far from int64_t overflow in the lease logic.
 */
#define LEASE_TXT_EXP_MAX INT64_C(253402300799)

/*
 * Largest epoch accepted and written: the epoch is a fencing token that only
 * grows, and whoever reads it (show's JSON, metrics, scripts) may hold it in
 * a signed 64-bit integer. A lease at this epoch cannot change owner.
 */
#define LEASE_TXT_EPOCH_MAX ((uint64_t)INT64_MAX)

/* Longest formatted value: "owner=primary exp=<12 digits> epoch=<19 digits>". */
#define LEASE_TXT_MAX 64

/*
 * Parses text (len bytes, need not be NUL-terminated; surrounding double
 * quotes allowed, as printed by dig) into out. Requires owner (primary|dr)
 * and exp (decimal). out is written only on success.
 * Words are split on spaces and tabs; words without '=' and unknown keys
 * are ignored; a repeated owner, exp or epoch is an error.
 * Returns DF_EINVAL when malformed, DF_ERANGE when exp or epoch is too large
 * (above LEASE_TXT_EXP_MAX or LEASE_TXT_EPOCH_MAX).
 */
int lease_txt_parse(lease_txt_t *out, const char *text, size_t len, df_detail_t *d);

/*
 * Writes "owner=X exp=N epoch=E" into buf. Returns DF_ENOSPACE if too small
 * (buf then holds ""), DF_EINVAL when owner is not primary|dr, exp is
 * outside 0..LEASE_TXT_EXP_MAX or epoch above LEASE_TXT_EPOCH_MAX.
 */
int lease_txt_format(const lease_txt_t *lease, char *buf, size_t size);
