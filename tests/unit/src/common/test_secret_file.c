/* The rule for files that hold a secret: kind, owner and each access bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/common/secret_file.h"

static char tmpdir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_secret_file.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		return -1;
	}
	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "s3cret\n", 7) != 7) {
		return -1;
	}
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

/* Opens path through the rule; returns what secret_file_open() did. */
static int try_open(df_detail_t *d)
{
	int fd = 12345;
	memset(d, 0, sizeof(*d));
	int ret = secret_file_open(path, "secret file", "TSIG_KEY_FILE", &fd, d);
	if (ret == DF_OK) {
		assert_true(fd >= 0);
		assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
		close(fd);
	} else {
		assert_int_equal(fd, -1);
	}
	return ret;
}

static void owner_only_modes_pass(void **state)
{
	(void)state;
	static const mode_t ok[] = {0600, 0400, 0200, 0700, 0000};
	df_detail_t d;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(chmod(path, ok[i]), 0);
		if (ok[i] == 0000 || ok[i] == 0200) {
			/* Only root opens these; the check alone passes them. */
			struct stat st;
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(secret_file_check(&st, "secret file", path, &d), DF_OK);
			continue;
		}
		assert_int_equal(try_open(&d), DF_OK);
	}
}

/* Each access of group or others is named as it is. */
static void each_access_is_named(void **state)
{
	(void)state;
	static const struct {
		mode_t mode;
		const char *what;
	} refused[] = {
		{0640, "readable by group"},
		{0620, "writable by group"},
		{0610, "executable by group"},
		{0604, "readable by others"},
		{0602, "writable by others"},
		{0601, "executable by others"},
		{0644, "readable by group and others"},
		{0666, "readable and writable by group and others"},
		{0660, "readable and writable by group"},
		{0677, "readable, writable and executable by group and others"},
		{0642, "readable by group and writable by others"},
		{0604 | S_ISGID, "readable by others"},
	};
	df_detail_t d;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char expect[3 * sizeof(path) + 100];
		assert_int_equal(chmod(path, refused[i].mode), 0);
		assert_int_equal(try_open(&d), DF_EKEYPERM);
		snprintf(expect, sizeof(expect),
			 "secret file %s is %s (mode %04o, owner uid %u): run 'chmod 600 %s'", path,
			 refused[i].what, (unsigned)refused[i].mode, (unsigned)geteuid(), path);
		assert_string_equal(d.msg, expect);
	}
	assert_int_equal(chmod(path, 0600), 0);
}

/* Owned by someone else: only root can make such a file, as nobody's. */
static void foreign_owner(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip();
	}
	df_detail_t d;
	char expect[3 * sizeof(path) + 200];
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(try_open(&d), DF_EKEYPERM);
	snprintf(expect, sizeof(expect),
		 "secret file %s is owned by uid 65534, neither root nor the user running "
		 "dnsfailover (uid 0): run 'chown 0 %s'",
		 path, path);
	assert_string_equal(d.msg, expect);
	/* Both wrong: both named, both fixes given. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(try_open(&d), DF_EKEYPERM);
	snprintf(expect, sizeof(expect),
		 "secret file %s is owned by uid 65534, neither root nor the user running "
		 "dnsfailover (uid 0), and readable by group and others (mode 0644): run 'chown "
		 "0 %s' and 'chmod 600 %s'",
		 path, path, path);
	assert_string_equal(d.msg, expect);
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(try_open(&d), DF_OK);
}

static void not_a_file_or_missing(void **state)
{
	(void)state;
	df_detail_t d;
	int fd = 12345;
	char expect[2 * sizeof(tmpdir) + 100];
	assert_int_equal(secret_file_open(tmpdir, "keytab", "GSS_KEYTAB", &fd, &d), DF_EKEYFILE);
	assert_int_equal(fd, -1);
	snprintf(expect, sizeof(expect), "keytab %s is not a regular file", tmpdir);
	assert_string_equal(d.msg, expect);

	/* A FIFO neither hangs open() nor passes. */
	char fifo[sizeof(tmpdir) + 8];
	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(secret_file_open(fifo, "key file", "TSIG_KEYFILE", &fd, &d), DF_EKEYFILE);
	unlink(fifo);

	char missing[sizeof(tmpdir) + 16];
	snprintf(missing, sizeof(missing), "%s/missing", tmpdir);
	assert_int_equal(secret_file_open(missing, "key file", "TSIG_KEYFILE", &fd, &d), DF_ENOENT);
	snprintf(expect, sizeof(expect), "key file %s does not exist: check TSIG_KEYFILE", missing);
	assert_string_equal(d.msg, expect);
	assert_int_equal(secret_file_open(NULL, "key file", "TSIG_KEYFILE", &fd, &d), DF_EINVAL);
	assert_int_equal(secret_file_check(NULL, "key file", path, &d), DF_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(owner_only_modes_pass),
		cmocka_unit_test(each_access_is_named),
		cmocka_unit_test(foreign_owner),
		cmocka_unit_test(not_a_file_or_missing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
