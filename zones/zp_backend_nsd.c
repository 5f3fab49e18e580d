/*
 * The NSD backend: <zones_dir>/<zone>.db written through a temp file,
 * fsync, rename and a directory fsync, then `nsd-control reload ZONE`; a
 * zone NSD does not have yet is added with `nsd-control addzone ZONE
 * PATTERN`, whose pattern names the file ("zonefile: <zones_dir>/%s.db"),
 * and removed with `nsd-control delzone ZONE`. No other zone is reloaded.
 * nsd-control runs without a shell, bounded in time, its status checked.
 * Listing reads the zone files present (a lost file is healed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/common/log.h"
#include "zones/zp_backend.h"
#include "zones/zp_files.h"
#include "zones/zp_names.h"

typedef struct nsd_be {
	char zones_dir[512];
	char pattern[128];
	zp_tool_t ctl;
	zp_names_t changed; /* written in this batch */
	zp_names_t gone;    /* deleted in this batch */
	bool dir_dirty;
} nsd_be_t;

static int nsd_write(zp_backend_t *b, const zp_zone_t *z, df_detail_t *d)
{
	nsd_be_t *be = b->priv;
	int ret = zp_write_zone_file(be->zones_dir, z, d);
	if (ret == DF_OK) {
		be->dir_dirty = true;
		ret = zp_names_add(&be->changed, z->name) ? DF_OK : DF_ENOMEM;
	}
	return ret;
}

static int nsd_delete(zp_backend_t *b, const char *zone, df_detail_t *d)
{
	nsd_be_t *be = b->priv;
	(void)d;
	return zp_names_add(&be->gone, zone) ? DF_OK : DF_ENOMEM;
}

static int nsd_commit(zp_backend_t *b, df_detail_t *d)
{
	nsd_be_t *be = b->priv;
	int ret = DF_OK;
	char out[ZP_TOOL_OUT_MAX];
	if (be->dir_dirty) {
		ret = zp_fsync_dir(be->zones_dir, d);
		if (ret != DF_OK) {
			goto out;
		}
		be->dir_dirty = false;
	}
	for (size_t i = 0; i < be->changed.n; i++) {
		ret = zp_tool_run(&be->ctl, "reload", be->changed.v[i], out, sizeof(out), d);
		if (ret == DF_ERCODE && strstr(out, "not configured") != NULL) {
			/* a new zone: addzone loads its file */
			const char *words[] = {"addzone", be->changed.v[i], be->pattern, NULL};
			ret = zp_tool_runv(&be->ctl, words, NULL, 0, d);
		}
		if (ret != DF_OK) {
			goto out;
		}
	}
	for (size_t i = 0; i < be->gone.n; i++) {
		ret = zp_tool_run(&be->ctl, "delzone", be->gone.v[i], NULL, 0, d);
		if (ret != DF_OK) {
			goto out;
		}
		char path[800];
		snprintf(path, sizeof(path), "%s/%s.db", be->zones_dir, be->gone.v[i]);
		if (unlink(path) != 0 && errno != ENOENT) {
			log_warn("backend %s: cannot remove %s: %s", b->name, path,
				 strerror(errno));
		}
	}
out:
	zp_names_empty(&be->changed);
	zp_names_empty(&be->gone);
	return ret;
}

static int nsd_list(zp_backend_t *b, char ***names, size_t *n, df_detail_t *d)
{
	nsd_be_t *be = b->priv;
	return zp_list_zone_files(be->zones_dir, names, n, d);
}

static int nsd_count(zp_backend_t *b, const char *zone, size_t *n, df_detail_t *d)
{
	nsd_be_t *be = b->priv;
	return zp_count_zone_file(be->zones_dir, zone, n, d);
}

static void nsd_destroy(zp_backend_t *b)
{
	nsd_be_t *be = b->priv;
	if (be == NULL) {
		return;
	}
	zp_names_clear(&be->changed);
	zp_names_clear(&be->gone);
	free(be);
}

static const zp_backend_ops_t NSD_OPS = {
	.type = "nsd",
	.write_zone = nsd_write,
	.delete_zone = nsd_delete,
	.commit = nsd_commit,
	.list_zones = nsd_list,
	.count_records = nsd_count,
	.destroy = nsd_destroy,
};

int zp_backend_nsd_create(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d)
{
	nsd_be_t *be = calloc(1, sizeof(*be));
	if (be == NULL) {
		return DF_ENOMEM;
	}
	b->priv = be;
	b->ops = &NSD_OPS;
	const char *dir = zp_kv_get(c, "zones_dir", NULL);
	if (dir == NULL || dir[0] != '/') {
		df_detail_set(d,
			      "%s:%d: backend %s: zones_dir is required, as an absolute path (the "
			      "directory of the pattern's zonefile)",
			      c->file, c->line, c->name);
		return DF_ECONFIG;
	}
	snprintf(be->zones_dir, sizeof(be->zones_dir), "%s", dir);
	const char *pattern = zp_kv_get(c, "pattern", "zonepushd");
	for (const char *p = pattern; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.') ||
		    strlen(pattern) >= sizeof(be->pattern)) {
			df_detail_set(d,
				      "%s:%d: backend %s: pattern: letters, digits, '-', '_', '.'",
				      c->file, c->line, c->name);
			return DF_ECONFIG;
		}
	}
	snprintf(be->pattern, sizeof(be->pattern), "%s", pattern);
	int ret = zp_tool_init(&be->ctl, c, "nsd_control", "nsd-control", "nsd_control_args",
			       "nsd_control_timeout", d);
	if (ret != DF_OK) {
		return ret;
	}
	struct stat st;
	if (stat(be->zones_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		df_detail_set(d, "%s:%d: backend %s: zones_dir %s is not a directory", c->file,
			      c->line, c->name, be->zones_dir);
		return DF_ECONFIG;
	}
	return DF_OK;
}
