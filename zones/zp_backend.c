/* The backend table. */
#include "config.h"

#include "zones/zp_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *type;
	int (*create)(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d);
} TYPES[] = {
	{"bind", zp_backend_bind_create},
	{"rfc2136", zp_backend_rfc2136_create},
	{"nsd", zp_backend_nsd_create},
	{"knot", zp_backend_knot_create},
#ifdef HAVE_MARIADB
	{"coredns_mysql", zp_backend_coredns_mysql_create},
#endif
};

int zp_backend_create(zp_backend_t **out, zp_backend_conf_t *c, df_detail_t *d)
{
	for (size_t i = 0; i < sizeof(TYPES) / sizeof(TYPES[0]); i++) {
		if (strcmp(TYPES[i].type, c->type) != 0) {
			continue;
		}
		zp_backend_t *b = calloc(1, sizeof(*b));
		if (b == NULL) {
			return DF_ENOMEM;
		}
		snprintf(b->name, sizeof(b->name), "%.63s", c->name);
		int ret = TYPES[i].create(b, c, d);
		if (ret == DF_OK) {
			ret = zp_kv_check_unused(c, d);
		}
		if (ret != DF_OK) {
			zp_backend_destroy(b);
			return ret;
		}
		*out = b;
		return DF_OK;
	}
	df_detail_set(d, "%s:%d: backend %s: unknown type \"%s\" (bind, knot, nsd, rfc2136%s)",
		      c->file, c->line, c->name, c->type,
#ifdef HAVE_MARIADB
		      " or coredns_mysql"
#else
		      "; coredns_mysql needs a build with libmariadb"
#endif
	);
	return DF_ECONFIG;
}

void zp_backend_destroy(zp_backend_t *b)
{
	if (b == NULL) {
		return;
	}
	if (b->ops != NULL && b->ops->destroy != NULL) {
		b->ops->destroy(b);
	}
	free(b);
}

void zp_names_free(char **names, size_t n)
{
	for (size_t i = 0; names != NULL && i < n; i++) {
		free(names[i]);
	}
	free(names);
}
