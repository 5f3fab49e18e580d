/*
 * The BIND backend (reference directadmin.md 5.1), and the Knot backend,
 * which works the same way with knotc (`knotc zone-reload ZONE`, `knotc
 * reload`) and an include file of zone: entries: <zones_dir>/<zone>.db
 * and one include file with a line per zone, each written to a temporary
 * file, fsynced, renamed over the old one, and the directory fsynced. A
 * changed zone gets `rndc reload ZONE`; a batch that adds or removes zones
 * rewrites the include file once and runs one `rndc reconfig`, which loads
 * the new zones without reloading the others. rndc runs without a shell,
 * bounded in time, and a non-zero exit fails the batch.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/common/log.h"
#include "zones/zp_backend.h"
#include "zones/zp_files.h"
#include "zones/zp_names.h"

/* What differs between BIND and Knot: both read zones from files named in an
 * include file, reload one zone, and load the added and removed zones with
 * one configuration reload. */
typedef struct flavor {
	const char *type;
	const char *tool, *tool_args, *tool_timeout; /* keys, and the tool's default */
	const char *reconfig;			     /* loads added and removed zones */
	const char *reload;			     /* reloads one zone */
	const char *header;			     /* the include file's first lines */
	const char *section;			     /* before the first zone ("" none) */
	const char *line;			     /* zone name, type, path */
	const char *scan;			     /* sscanf() of a zone name in a line */
} flavor_t;

static const flavor_t BIND = {
	.type = "bind",
	.tool = "rndc",
	.tool_args = "rndc_args",
	.tool_timeout = "rndc_timeout",
	.reconfig = "reconfig",
	.reload = "reload",
	.header = "// Written by zonepushd: one line per zone. Do not edit.\n",
	.section = "",
	.line = "zone \"%s\" { type %s; file \"%s\"; };\n",
	.scan = " zone \"%255[^\"]\"",
};

static const flavor_t KNOT = {
	.type = "knot",
	.tool = "knotc",
	.tool_args = "knotc_args",
	.tool_timeout = "knotc_timeout",
	.reconfig = "reload",
	.reload = "zone-reload",
	.header = "# Written by zonepushd: two lines per zone. Do not edit.\n",
	.section = "zone:\n",
	.line = "  - domain: \"%s\"%.0s\n    file: \"%s\"\n",
	.scan = "  - domain: \"%255[^\"]\"",
};

typedef struct bind_be {
	const flavor_t *f;
	char zones_dir[512];
	char include_file[512];
	char zone_type[16];
	zp_tool_t rndc;
	unsigned parallel; /* reload_parallel: reloads run at once */
	zp_names_t zones;  /* the zones of the include file, sorted */
	bool include_dirty;
	bool need_reconfig; /* a reconfig failed: the next commit retries it */
	zp_names_t reload;  /* changed zones of this batch */
	zp_names_t gone;    /* files to remove once the server no longer has the zone */
	bool dir_dirty;
} bind_be_t;

static int find(const bind_be_t *be, const char *zone, bool *found)
{
	size_t lo = 0, hi = be->zones.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(be->zones.v[mid], zone);
		if (c == 0) {
			*found = true;
			return (int)mid;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	*found = false;
	return (int)lo;
}

static int add_zone(bind_be_t *be, const char *zone)
{
	bool found;
	int at = find(be, zone, &found);
	if (found) {
		return DF_OK;
	}
	size_t n = be->zones.n;
	if (!zp_names_add(&be->zones, zone)) {
		return DF_ENOMEM;
	}
	char *s = be->zones.v[n];
	memmove(&be->zones.v[at + 1], &be->zones.v[at], (n - (size_t)at) * sizeof(char *));
	be->zones.v[at] = s;
	return DF_OK;
}

static void remove_zone(bind_be_t *be, const char *zone)
{
	bool found;
	int at = find(be, zone, &found);
	if (!found) {
		return;
	}
	free(be->zones.v[at]);
	memmove(&be->zones.v[at], &be->zones.v[at + 1],
		(be->zones.n - (size_t)at - 1) * sizeof(char *));
	be->zones.n--;
}

static void zone_path(const bind_be_t *be, const char *zone, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.db", be->zones_dir, zone);
}

static int write_include(bind_be_t *be, df_detail_t *d)
{
	size_t cap = 256 + be->zones.n * (2 * 256 + sizeof(be->zones_dir) + 64);
	char *buf = malloc(cap);
	if (buf == NULL) {
		return DF_ENOMEM;
	}
	size_t used = (size_t)snprintf(buf, cap, "%s%s", be->f->header,
				       be->zones.n > 0 ? be->f->section : "");
	for (size_t i = 0; i < be->zones.n; i++) {
		char path[800];
		zone_path(be, be->zones.v[i], path, sizeof(path));
		used += (size_t)snprintf(buf + used, cap - used, be->f->line, be->zones.v[i],
					 be->zone_type, path);
	}
	int ret = zp_write_atomic(be->include_file, buf, used, d);
	free(buf);
	if (ret == DF_OK) {
		char dir[512];
		zp_dirname(be->include_file, dir, sizeof(dir));
		ret = zp_fsync_dir(dir, d);
	}
	return ret;
}

static int bind_write(zp_backend_t *b, const zp_zone_t *z, df_detail_t *d)
{
	bind_be_t *be = b->priv;
	int ret = zp_write_zone_file(be->zones_dir, z, d);
	if (ret != DF_OK) {
		return ret;
	}
	be->dir_dirty = true;
	bool found;
	find(be, z->name, &found);
	if (found) {
		return zp_names_add(&be->reload, z->name) ? DF_OK : DF_ENOMEM;
	}
	be->include_dirty = true;
	return add_zone(be, z->name);
}

static int bind_delete(zp_backend_t *b, const char *zone, df_detail_t *d)
{
	bind_be_t *be = b->priv;
	(void)d;
	bool found;
	find(be, zone, &found);
	if (found) {
		remove_zone(be, zone);
		be->include_dirty = true;
	}
	/* Removed after the reconfig: named must not lose a file it serves. */
	return zp_names_add(&be->gone, zone) ? DF_OK : DF_ENOMEM;
}

static int bind_commit(zp_backend_t *b, df_detail_t *d)
{
	bind_be_t *be = b->priv;
	int ret = DF_OK;
	if (be->dir_dirty) {
		ret = zp_fsync_dir(be->zones_dir, d);
		if (ret != DF_OK) {
			goto out;
		}
		be->dir_dirty = false;
	}
	if (be->include_dirty || be->need_reconfig) {
		ret = write_include(be, d);
		if (ret == DF_OK) {
			be->include_dirty = false;
			ret = zp_tool_run(&be->rndc, be->f->reconfig, NULL, NULL, 0, d);
		}
		be->need_reconfig = ret != DF_OK;
		if (ret != DF_OK) {
			goto out;
		}
	}
	for (size_t i = 0; i < be->gone.n; i++) {
		bool found;
		find(be, be->gone.v[i], &found);
		if (found) {
			continue; /* saved again in the same batch */
		}
		char path[800];
		zone_path(be, be->gone.v[i], path, sizeof(path));
		if (unlink(path) != 0 && errno != ENOENT) {
			log_warn("backend %s: cannot remove %s: %s", b->name, path,
				 strerror(errno));
		}
		char jnl[820];
		snprintf(jnl, sizeof(jnl), "%s.jnl", path);
		unlink(jnl);
	}
	/* Several at a time: each is a round trip the server answers at once. */
	if (be->reload.n > 0) {
		ret = zp_tool_run_each(&be->rndc, be->f->reload, be->reload.v, be->reload.n,
				       be->parallel, d);
		if (ret != DF_OK) {
			/* named may not know the zone (a reconfig that never ran):
			 * the retry reconfigures first. */
			be->need_reconfig = true;
			goto out;
		}
	}
out:
	zp_names_empty(&be->reload);
	zp_names_empty(&be->gone);
	return ret;
}

static int bind_list(zp_backend_t *b, char ***names, size_t *n, df_detail_t *d)
{
	bind_be_t *be = b->priv;
	(void)d;
	char **v = calloc(be->zones.n + 1, sizeof(char *));
	if (v == NULL) {
		return DF_ENOMEM;
	}
	for (size_t i = 0; i < be->zones.n; i++) {
		char path[800];
		struct stat st;
		zone_path(be, be->zones.v[i], path, sizeof(path));
		/* A zone whose file went missing is not there. */
		if (stat(path, &st) != 0) {
			continue;
		}
		v[(*n)] = strdup(be->zones.v[i]);
		if (v[*n] == NULL) {
			zp_names_free(v, *n);
			return DF_ENOMEM;
		}
		(*n)++;
	}
	*names = v;
	return DF_OK;
}

static int bind_count(zp_backend_t *b, const char *zone, size_t *n, df_detail_t *d)
{
	bind_be_t *be = b->priv;
	return zp_count_zone_file(be->zones_dir, zone, n, d);
}

static void bind_destroy(zp_backend_t *b)
{
	bind_be_t *be = b->priv;
	if (be == NULL) {
		return;
	}
	zp_names_clear(&be->zones);
	zp_names_clear(&be->reload);
	zp_names_clear(&be->gone);
	free(be);
}

static const zp_backend_ops_t BIND_OPS = {
	.type = "bind",
	.write_zone = bind_write,
	.delete_zone = bind_delete,
	.commit = bind_commit,
	.list_zones = bind_list,
	.count_records = bind_count,
	.destroy = bind_destroy,
};

/* The zones the include file names (our own format, or any
 * `zone "NAME" {` line). */
static int read_include(bind_be_t *be, df_detail_t *d)
{
	FILE *f = fopen(be->include_file, "re");
	if (f == NULL) {
		if (errno == ENOENT) {
			be->include_dirty = true;
			return DF_OK;
		}
		int ret = -errno;
		df_detail_set(d, "include file %s: %s", be->include_file, strerror(errno));
		return ret;
	}
	char line[2048];
	int ret = DF_OK;
	while (ret == DF_OK && fgets(line, sizeof(line), f) != NULL) {
		char name[256];
		if (sscanf(line, be->f->scan, name) == 1) {
			ret = add_zone(be, name);
		}
	}
	fclose(f);
	return ret;
}

static const zp_backend_ops_t KNOT_OPS = {
	.type = "knot",
	.write_zone = bind_write,
	.delete_zone = bind_delete,
	.commit = bind_commit,
	.list_zones = bind_list,
	.count_records = bind_count,
	.destroy = bind_destroy,
};

static int create(zp_backend_t *b, zp_backend_conf_t *c, const flavor_t *f, df_detail_t *d)
{
	bind_be_t *be = calloc(1, sizeof(*be));
	if (be == NULL) {
		return DF_ENOMEM;
	}
	b->priv = be;
	b->ops = f == &KNOT ? &KNOT_OPS : &BIND_OPS;
	be->f = f;
	const char *dir = zp_kv_get(c, "zones_dir", NULL);
	const char *inc = zp_kv_get(c, "include_file", NULL);
	if (dir == NULL || inc == NULL || dir[0] != '/' || inc[0] != '/') {
		df_detail_set(d,
			      "%s:%d: backend %s: zones_dir and include_file are required, as "
			      "absolute paths (e.g. /etc/named/zones and /etc/named.conf.local)",
			      c->file, c->line, c->name);
		return DF_ECONFIG;
	}
	snprintf(be->zones_dir, sizeof(be->zones_dir), "%s", dir);
	snprintf(be->include_file, sizeof(be->include_file), "%s", inc);
	const char *type = f == &BIND ? zp_kv_get(c, "zone_type", "master") : "master";
	if (strcmp(type, "master") != 0 && strcmp(type, "primary") != 0) {
		df_detail_set(d, "%s:%d: backend %s: zone_type is master or primary", c->file,
			      c->line, c->name);
		return DF_ECONFIG;
	}
	snprintf(be->zone_type, sizeof(be->zone_type), "%s", type);
	int ret = zp_tool_init(&be->rndc, c, f->tool, f->tool, f->tool_args, f->tool_timeout, d);
	if (ret == DF_OK) {
		ret = zp_kv_uint(c, "reload_parallel", 4, 1, 16, &be->parallel, d);
	}
	if (ret != DF_OK) {
		return ret;
	}
	struct stat st;
	if (stat(be->zones_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		df_detail_set(d, "%s:%d: backend %s: zones_dir %s is not a directory", c->file,
			      c->line, c->name, be->zones_dir);
		return DF_ECONFIG;
	}
	/* What the include file names may never have reached named (a reconfig
	 * that failed, or did not run before a crash): the first commit
	 * reconfigures. */
	be->need_reconfig = true;
	return read_include(be, d);
}

int zp_backend_bind_create(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d)
{
	return create(b, c, &BIND, d);
}

int zp_backend_knot_create(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d)
{
	return create(b, c, &KNOT, d);
}
