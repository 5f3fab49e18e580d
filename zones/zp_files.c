/* Files and control programs of the file-based backends. */
#include "zones/zp_files.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/log.h"
#include "zones/zp_backend.h"
#include "zones/zp_proto.h"

int zp_fsync_dir(const char *dir, df_detail_t *d)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		int ret = -errno;
		df_detail_set(d, "directory %s: cannot sync: %s", dir, strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return ret;
	}
	close(fd);
	return DF_OK;
}

void zp_dirname(const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "%s", path);
	char *slash = strrchr(buf, '/');
	if (slash == buf) {
		slash[1] = '\0';
	} else if (slash != NULL) {
		*slash = '\0';
	} else {
		snprintf(buf, size, ".");
	}
}

int zp_write_atomic(const char *path, const char *data, size_t len, df_detail_t *d)
{
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int ret = -errno;
		df_detail_set(d, "cannot create %s: %s", tmp, strerror(errno));
		return ret;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			int ret = n < 0 ? -errno : DF_ENOSPACE;
			df_detail_set(d, "cannot write %s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return ret;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		int ret = -errno;
		df_detail_set(d, "cannot sync %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return ret;
	}
	if (rename(tmp, path) != 0) {
		int ret = -errno;
		df_detail_set(d, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return ret;
	}
	return DF_OK;
}

int zp_write_zone_file(const char *dir, const zp_zone_t *z, df_detail_t *d)
{
	size_t len;
	char *text = zp_zone_render(z, &len);
	if (text == NULL) {
		return DF_ENOMEM;
	}
	char path[800];
	snprintf(path, sizeof(path), "%s/%s.db", dir, z->name);
	int ret = zp_write_atomic(path, text, len, d);
	free(text);
	return ret;
}

int zp_tool_init(zp_tool_t *t, zp_backend_conf_t *c, const char *prog_key, const char *def,
		 const char *args_key, const char *timeout_key, df_detail_t *d)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", def);
	char line[2048];
	snprintf(line, sizeof(line), "%s %s", zp_kv_get(c, prog_key, def),
		 zp_kv_get(c, args_key, ""));
	t->argc = proc_split(line, t->buf, sizeof(t->buf), t->argv, d);
	if (t->argc <= 0 || t->argc > PROC_MAX_ARGS - 2) {
		df_detail_prefix(d, "%s:%d: backend %s: %s / %s", c->file, c->line, c->name,
				 prog_key, args_key);
		return DF_ECONFIG;
	}
	unsigned s;
	int ret = zp_kv_uint(c, timeout_key, 30, 1, 600, &s, d);
	t->timeout_ms = (int)s * 1000;
	return ret;
}

int zp_tool_runv(const zp_tool_t *t, const char *const *words, char *out, size_t osize,
		 df_detail_t *d)
{
	char *argv[PROC_MAX_ARGS + 1];
	int n = 0;
	char shown[512] = "";
	size_t sl = 0;
	for (int i = 0; i < t->argc; i++) {
		argv[n++] = t->argv[i];
	}
	for (size_t i = 0; words[i] != NULL && n < PROC_MAX_ARGS; i++) {
		argv[n++] = (char *)words[i];
		int w = snprintf(shown + sl, sizeof(shown) - sl, " %s", words[i]);
		if (w > 0 && sl + (size_t)w < sizeof(shown)) {
			sl += (size_t)w;
		}
	}
	argv[n] = NULL;
	int status = 0;
	char buf[ZP_TOOL_OUT_MAX] = "";
	int ret = proc_run(argv, t->timeout_ms, &status, buf, sizeof(buf), d);
	if (out != NULL && osize > 0) {
		snprintf(out, osize, "%s", buf);
	}
	if (ret != DF_OK) {
		df_detail_prefix(d, "%s%s", t->name, shown);
		return ret;
	}
	if (status != 0) {
		char esc[ZP_TOOL_OUT_MAX];
		buf[strcspn(buf, "\n")] = '\0';
		df_detail_set(d, "%s%s exited with status %d: %s", t->name, shown, status,
			      log_escape(esc, sizeof(esc), buf, strlen(buf)));
		return DF_ERCODE;
	}
	return DF_OK;
}

int zp_tool_run(const zp_tool_t *t, const char *a1, const char *a2, char *out, size_t osize,
		df_detail_t *d)
{
	const char *words[] = {a1, a2, NULL};
	return zp_tool_runv(t, words, out, osize, d);
}

int zp_count_zone_file(const char *dir, const char *zone, size_t *n, df_detail_t *d)
{
	char path[800];
	snprintf(path, sizeof(path), "%s/%s.db", dir, zone);
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		int ret = -errno;
		df_detail_set(d, "zone file %s: %s", path, strerror(errno));
		return ret;
	}
	size_t cap = 1 << 16, len = 0, got;
	char *buf = malloc(cap);
	while (buf != NULL && (got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			char *nb = cap < ZP_ZONE_MAX_BYTES * 2 ? realloc(buf, cap * 2) : NULL;
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf == NULL) {
		return DF_ENOMEM;
	}
	zp_zone_t z;
	char why[256];
	bool ok = zp_zone_parse(zone, buf, len, &z, why, sizeof(why));
	free(buf);
	if (!ok) {
		df_detail_set(d, "zone file %s: %s", path, why);
		return DF_EMALFORMED;
	}
	*n = zp_zone_count(&z);
	zp_zone_free(&z);
	return DF_OK;
}

int zp_list_zone_files(const char *dir, char ***names, size_t *n, df_detail_t *d)
{
	DIR *dp = opendir(dir);
	if (dp == NULL) {
		int ret = -errno;
		df_detail_set(d, "zones directory %s: %s", dir, strerror(errno));
		return ret;
	}
	size_t cap = 64;
	char **v = malloc(cap * sizeof(char *));
	*n = 0;
	struct dirent *e;
	while (v != NULL && (e = readdir(dp)) != NULL) {
		size_t len = strlen(e->d_name);
		char name[ZP_NAME_MAX], why[64];
		if (len < 4 || strcmp(e->d_name + len - 3, ".db") != 0 ||
		    !zp_name_normalize(e->d_name, len - 3, name, why, sizeof(why))) {
			continue;
		}
		if (*n == cap) {
			char **nv = realloc(v, cap * 2 * sizeof(char *));
			if (nv == NULL) {
				zp_names_free(v, *n);
				v = NULL;
				break;
			}
			v = nv;
			cap *= 2;
		}
		v[*n] = strdup(name);
		if (v[*n] == NULL) {
			zp_names_free(v, *n);
			v = NULL;
			break;
		}
		(*n)++;
	}
	closedir(dp);
	if (v == NULL) {
		*n = 0;
		return DF_ENOMEM;
	}
	*names = v;
	return DF_OK;
}

typedef struct each {
	const zp_tool_t *t;
	const char *word;
	char *const *names;
	size_t n;
	atomic_size_t next;
	pthread_mutex_t mu;
	int ret;
	df_detail_t d;
} each_t;

static void *each_main(void *arg)
{
	each_t *e = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&e->next, 1);
		if (i >= e->n) {
			return NULL;
		}
		df_detail_t d = {{0}};
		int ret = zp_tool_run(e->t, e->word, e->names[i], NULL, 0, &d);
		if (ret != DF_OK) {
			pthread_mutex_lock(&e->mu);
			if (e->ret == DF_OK) {
				e->ret = ret;
				e->d = d;
			}
			pthread_mutex_unlock(&e->mu);
		}
	}
}

int zp_tool_run_each(const zp_tool_t *t, const char *word, char *const *names, size_t n,
		     unsigned parallel, df_detail_t *d)
{
	each_t e = {.t = t, .word = word, .names = names, .n = n, .ret = DF_OK};
	pthread_mutex_init(&e.mu, NULL);
	pthread_t th[16];
	unsigned k = 0;
	if (parallel > 16) {
		parallel = 16;
	}
	/* The calling thread is one of the runners. */
	for (; n > 1 && k + 1 < parallel && k + 1 < n; k++) {
		if (pthread_create(&th[k], NULL, each_main, &e) != 0) {
			break;
		}
	}
	each_main(&e);
	for (unsigned i = 0; i < k; i++) {
		pthread_join(th[i], NULL);
	}
	pthread_mutex_destroy(&e.mu);
	if (e.ret != DF_OK && d != NULL) {
		*d = e.d;
	}
	return e.ret;
}
