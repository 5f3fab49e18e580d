/* A growing list of names (zones, domains), sortable and searchable. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct zp_names {
	char **v;
	size_t n, cap;
} zp_names_t;

/* Appends a copy of name; false when out of memory. */
bool zp_names_add(zp_names_t *s, const char *name);
bool zp_names_has(const zp_names_t *s, const char *name); /* after zp_names_sort() */
void zp_names_sort(zp_names_t *s);
/* Frees the names, keeps the array for reuse. */
void zp_names_empty(zp_names_t *s);
/* Frees everything. */
void zp_names_clear(zp_names_t *s);
