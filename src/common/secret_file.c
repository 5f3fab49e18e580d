#include "src/common/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* "readable", "readable and writable", "readable, writable and executable". */
static void describe_bits(unsigned rwx, char *buf, size_t size)
{
	static const char *const word[] = {"readable", "writable", "executable"};
	static const unsigned bit[] = {4, 2, 1};
	const char *set[3] = {"", "", ""};
	int n = 0;
	for (int i = 0; i < 3; i++) {
		if ((rwx & bit[i]) != 0) {
			set[n++] = word[i];
		}
	}
	if (n <= 1) {
		snprintf(buf, size, "%s", set[0]);
	} else if (n == 2) {
		snprintf(buf, size, "%s and %s", set[0], set[1]);
	} else {
		snprintf(buf, size, "%s, %s and %s", set[0], set[1], set[2]);
	}
}

/* What group and others may do: "writable by group", "readable by group and
 * others", "readable by group and writable by others". mode & 077 != 0. */
static void describe_access(mode_t mode, char *buf, size_t size)
{
	unsigned group = (unsigned)(mode >> 3) & 7u;
	unsigned other = (unsigned)mode & 7u;
	char g[48], o[48];
	describe_bits(group, g, sizeof(g));
	describe_bits(other, o, sizeof(o));
	if (group == other) {
		snprintf(buf, size, "%s by group and others", g);
	} else if (other == 0) {
		snprintf(buf, size, "%s by group", g);
	} else if (group == 0) {
		snprintf(buf, size, "%s by others", o);
	} else {
		snprintf(buf, size, "%s by group and %s by others", g, o);
	}
}

int secret_file_check(const struct stat *st, const char *what, const char *path, df_detail_t *d)
{
	if (st == NULL || what == NULL || path == NULL) {
		return DF_EINVAL;
	}
	if (!S_ISREG(st->st_mode)) {
		df_detail_set(d, "%s %s is not a regular file", what, path);
		return DF_EKEYFILE;
	}
	unsigned me = (unsigned)geteuid();
	unsigned mode = (unsigned)(st->st_mode & 07777);
	bool foreign = st->st_uid != 0 && st->st_uid != geteuid();
	bool open_access = (st->st_mode & 077) != 0;
	char access[128];
	if (open_access) {
		describe_access(st->st_mode, access, sizeof(access));
	}
	if (foreign && open_access) {
		df_detail_set(d,
			      "%s %s is owned by uid %u, neither root nor the user running "
			      "dnsfailover (uid %u), and %s (mode %04o): run 'chown %u %s' and "
			      "'chmod 600 %s'",
			      what, path, (unsigned)st->st_uid, me, access, mode, me, path, path);
		return DF_EKEYPERM;
	}
	if (foreign) {
		df_detail_set(d,
			      "%s %s is owned by uid %u, neither root nor the user running "
			      "dnsfailover (uid %u): run 'chown %u %s'",
			      what, path, (unsigned)st->st_uid, me, me, path);
		return DF_EKEYPERM;
	}
	if (open_access) {
		df_detail_set(d, "%s %s is %s (mode %04o, owner uid %u): run 'chmod 600 %s'", what,
			      path, access, mode, (unsigned)st->st_uid, path);
		return DF_EKEYPERM;
	}
	return DF_OK;
}

int secret_file_open(const char *path, const char *what, const char *setting, int *fd_out,
		     df_detail_t *d)
{
	struct stat st;
	int ret;
	int fd;

	if (fd_out == NULL) {
		return DF_EINVAL;
	}
	*fd_out = -1;
	if (path == NULL || what == NULL || setting == NULL) {
		return DF_EINVAL;
	}
	/* O_NONBLOCK: a FIFO in place of the file must not hang open(); the
	 * check below refuses it. Symlinks are followed: /etc/bind setups use them. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		if (ret == DF_ENOENT) {
			df_detail_set(d, "%s %s does not exist: check %s", what, path, setting);
		} else if (ret == DF_EACCES) {
			df_detail_set(d,
				      "cannot open %s %s (permission denied): run as its "
				      "owner or root",
				      what, path);
		} else {
			df_detail_set(d, "cannot open %s %s (%s)", what, path, df_strerror(ret));
		}
		return ret;
	}
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		df_detail_set(d, "cannot stat %s %s (%s)", what, path, df_strerror(ret));
		goto fail;
	}
	ret = secret_file_check(&st, what, path, d);
	if (ret != DF_OK) {
		goto fail;
	}
	*fd_out = fd;
	return DF_OK;
fail:
	close(fd);
	return ret;
}
