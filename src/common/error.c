#include "src/common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const messages[] = {
	[-(DF_ECONFIG - DF_ERR_BASE)] = "invalid configuration",
	[-(DF_EKEYFILE - DF_ERR_BASE)] = "unusable TSIG key file",
	[-(DF_EKEYPERM - DF_ERR_BASE)] = "key file is readable by group or others",
	[-(DF_EALG - DF_ERR_BASE)] = "unknown TSIG algorithm",
	[-(DF_EMALFORMED - DF_ERR_BASE)] = "malformed DNS message",
	[-(DF_ETSIG_MISSING - DF_ERR_BASE)] = "answer is not signed",
	[-(DF_ETSIG_UNSIGNED - DF_ERR_BASE)] = "answer is an unsigned TSIG error",
	[-(DF_ETSIG_BADMAC - DF_ERR_BASE)] = "answer signature does not verify",
	[-(DF_ETSIG_BADTIME - DF_ERR_BASE)] = "answer signed outside the time window",
	[-(DF_ETSIG_MISMATCH - DF_ERR_BASE)] = "answer signed with another key",
	[-(DF_EMISMATCH - DF_ERR_BASE)] = "answer does not match the query",
	[-(DF_ERCODE - DF_ERR_BASE)] = "server answered with an error",
	[-(DF_ENOTFOUND - DF_ERR_BASE)] = "lease records not found",
	[-(DF_ECONFLICT - DF_ERR_BASE)] = "lease changed by someone else",
	[-(DF_ENOSPACE - DF_ERR_BASE)] = "message too large",
	[-(DF_ENOTAUTH - DF_ERR_BASE)] = "answer is not authoritative",
	[-(DF_ELOCK - DF_ERR_BASE)] = "could not lock the state file",
	[-(DF_ENETWORK - DF_ERR_BASE)] = "network error",
	[-(DF_EHELD - DF_ERR_BASE)] = "the other site holds a valid lease",
	[-(DF_EUNKNOWN - DF_ERR_BASE)] = "the outcome of the update is unknown",
};

const char *df_strerror(int err)
{
	if (err == DF_OK) {
		return "success";
	}
	if (err <= DF_ERR_BASE && err > DF_ERR_LAST) {
		const char *m = messages[-(err - DF_ERR_BASE)];
		return m != NULL ? m : "unknown error";
	}
	return strerror(-err);
}

void df_detail_set(df_detail_t *d, const char *fmt, ...)
{
	if (d == NULL) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

void df_detail_prefix(df_detail_t *d, const char *fmt, ...)
{
	if (d == NULL) {
		return;
	}
	char old[sizeof(d->msg)];
	memcpy(old, d->msg, sizeof(old));
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	size_t used = n < 0 ? 0 : (size_t)n < sizeof(d->msg) ? (size_t)n : sizeof(d->msg) - 1;
	d->msg[used] = '\0';
	if (old[0] != '\0' && used + 2 < sizeof(d->msg)) {
		/* "prefix: old", cut to the buffer when it has to be. */
		size_t room = sizeof(d->msg) - used - 3;
		size_t len = strnlen(old, room);
		memcpy(d->msg + used, ": ", 2);
		memcpy(d->msg + used + 2, old, len);
		d->msg[used + 2 + len] = '\0';
	}
}
