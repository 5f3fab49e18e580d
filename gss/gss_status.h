/*
 * GSSAPI and Kerberos failures in words an Active Directory or Kerberos
 * admin can act on. The mechanism's own text is kept (it is what a search
 * finds); the advice says which setting or account to look at.
 */
#pragma once

#include <gssapi/gssapi.h>
#include <stddef.h>

#include "src/common/error.h"

/* "minor text; major text" of a GSS status, into buf (size bytes). The
 * mechanism's words come first: they say what is wrong. */
void gss_status_text(char *buf, size_t size, OM_uint32 major, OM_uint32 minor);

/* Advice for a failed call (what to check or run), or NULL when the
 * status is not one we know. Static text. */
const char *gss_status_advice(OM_uint32 major, OM_uint32 minor);

/* Whether the failure means the credentials or the context ran out (so a
 * fresh ticket and a new negotiation may help). */
int gss_status_expired(OM_uint32 major, OM_uint32 minor);

/* Whether the failure means "no ticket to be found" (empty or missing cache). */
int gss_status_no_ticket(OM_uint32 major, OM_uint32 minor);

/* Sets d to "what (status text): advice" (no advice part when none is known). */
void gss_status_explain(df_detail_t *d, const char *what, OM_uint32 major, OM_uint32 minor);
