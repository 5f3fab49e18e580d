/*
 * The audit log: one JSON line per change (time, token name, client
 * address, request id, name, type, before, after, outcome), written and
 * fsynced before the request is answered; optionally to syslog as well.
 * Reads are not audited. Tokens never appear, only their names.
 */
#pragma once

#include <stdbool.h>

#include "src/common/error.h"

typedef struct rec_audit rec_audit_t;

int rec_audit_open(rec_audit_t **out, const char *path, bool syslog, df_detail_t *d);
void rec_audit_close(rec_audit_t *a);
/* line: one JSON object without its newline. Returns DF_OK once it is on disk. */
int rec_audit_write(rec_audit_t *a, const char *line);
