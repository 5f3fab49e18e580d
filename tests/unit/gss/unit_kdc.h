/*
 * The throwaway MIT KDC of the gss/ unit tests, and the DNS server's side of
 * a GSS negotiation in the same process (gss_accept_sec_context with the
 * server's keytab), so that contexts are negotiated with tokens in memory
 * and no DNS server.
 *
 * Realm EXAMPLE.TEST, principals DNS/ns1.example.test (keytab
 * <dir>/dns.keytab, KRB5_KTNAME, for the acceptor) and lease-primary
 * (keytab <dir>/client.keytab, a ticket in KRB5CCNAME=FILE:<dir>/cc).
 */
#pragma once

#include <gssapi/gssapi.h>
#include <stddef.h>
#include <stdint.h>

/* Starts the KDC under a fresh /tmp/<tag>.XXXXXX and gets the ticket.
 * Returns 0 when it runs, 1 when krb5kdc is not installed (skip), -1 on
 * failure (its log is printed on stderr). */
int unit_kdc_start(const char *tag);

/* Stops the KDC and removes its directory. */
void unit_kdc_stop(void);

/* The KDC's directory ("" when none). */
const char *unit_kdc_dir(void);

/* kinit lease-primary from its keytab into KRB5CCNAME again, with extra
 * kinit options (NULL: none, e.g. "-l 20m"). Returns 0 on success. */
int unit_kdc_kinit(const char *opts);

/*
 * One step of the DNS server: accepts in[0..in_len) into *actx (start with
 * GSS_C_NO_CONTEXT) and leaves its answer token in *out (caller releases it
 * with gss_release_buffer()). Returns the GSS major status.
 */
OM_uint32 unit_kdc_accept(gss_ctx_id_t *actx, const uint8_t *in, size_t in_len,
			  gss_buffer_desc *out);
