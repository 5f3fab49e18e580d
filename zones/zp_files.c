/* Files and control programs of the file-based backends. */
#include "zones/zp_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/log.h"

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

int zp_tool_run(const zp_tool_t *t, const char *a1, const char *a2, char *out, size_t osize,
		df_detail_t *d)
{
	char *argv[PROC_MAX_ARGS + 3];
	int n = 0;
	for (int i = 0; i < t->argc; i++) {
		argv[n++] = t->argv[i];
	}
	argv[n++] = (char *)a1;
	if (a2 != NULL) {
		argv[n++] = (char *)a2;
	}
	argv[n] = NULL;
	int status = 0;
	char buf[ZP_TOOL_OUT_MAX] = "";
	int ret = proc_run(argv, t->timeout_ms, &status, buf, sizeof(buf), d);
	if (out != NULL && osize > 0) {
		snprintf(out, osize, "%s", buf);
	}
	if (ret != DF_OK) {
		df_detail_prefix(d, "%s %s%s%s", t->name, a1, a2 != NULL ? " " : "",
				 a2 != NULL ? a2 : "");
		return ret;
	}
	if (status != 0) {
		char esc[ZP_TOOL_OUT_MAX];
		buf[strcspn(buf, "\n")] = '\0';
		df_detail_set(d, "%s %s%s%s exited with status %d: %s", t->name, a1,
			      a2 != NULL ? " " : "", a2 != NULL ? a2 : "", status,
			      log_escape(esc, sizeof(esc), buf, strlen(buf)));
		return DF_ERCODE;
	}
	return DF_OK;
}
