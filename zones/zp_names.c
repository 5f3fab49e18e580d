/* The name lists. */
#include "zones/zp_names.h"

#include <stdlib.h>
#include <string.h>

bool zp_names_add(zp_names_t *s, const char *name)
{
	if (s->n == s->cap) {
		size_t cap = s->cap != 0 ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof(char *));
		if (v == NULL) {
			return false;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(name);
	if (s->v[s->n] == NULL) {
		return false;
	}
	s->n++;
	return true;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void zp_names_sort(zp_names_t *s)
{
	if (s->n > 1) {
		qsort(s->v, s->n, sizeof(char *), cmp);
	}
}

bool zp_names_has(const zp_names_t *s, const char *name)
{
	return s->n > 0 && bsearch(&name, s->v, s->n, sizeof(char *), cmp) != NULL;
}

void zp_names_empty(zp_names_t *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i]);
	}
	s->n = 0;
}

void zp_names_clear(zp_names_t *s)
{
	zp_names_empty(s);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
