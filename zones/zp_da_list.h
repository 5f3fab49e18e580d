/*
 * DirectAdmin's domain listings (reference directadmin.md section 4), for
 * the reconciler: the JSON of CMD_DNS_ADMIN?json=yes (every all-digit key
 * maps to an object with a "domain"; info.total_pages drives the paging)
 * and the legacy CMD_API_SHOW_ALL_DOMAINS form (list[]=a.com&list[]=b.com).
 * Pure parsers; every name is checked as a host name.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "zones/zp_names.h"

/*
 * One JSON page (len bytes) into out (appended). *total_pages receives
 * info.total_pages (1 when absent). Returns false with why when the body is
 * not such a page (HTML, no JSON object, a domain that is not a host name).
 */
bool zp_da_parse_json(const char *body, size_t len, zp_names_t *out, int *total_pages, char *why,
		      size_t wsize);

/* The legacy listing into out (appended); false with why when malformed. */
bool zp_da_parse_legacy(const char *body, size_t len, zp_names_t *out, char *why, size_t wsize);
