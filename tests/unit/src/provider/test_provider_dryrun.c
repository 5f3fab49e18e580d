/*
 * Unit tests of src/provider_dryrun.c and src/provider.c: reading the
 * state file in every shape, compare-and-swap, locking between processes,
 * check() and the choice of backend by id. Each case runs in its own
 * temporary directory.
 */
#include <config.h> /* HAVE_GSSAPI */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "src/provider/provider.h"

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RACERS 8

typedef struct fixture {
	char dir[64];
	char path[CONFIG_STR_MAX];
	char lock_path[CONFIG_STR_MAX + 8];
	config_t cfg;
	provider_t *p;
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/df-dryrun-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/state.json", f->dir);
	snprintf(f->lock_path, sizeof(f->lock_path), "%s.lock", f->path);
	/* By hand, so these tests do not depend on config_load(). */
	memset(&f->cfg, 0, sizeof(f->cfg));
	strcpy(f->cfg.provider, "dry-run");
	strcpy(f->cfg.record, "lease.example.test.");
	strcpy(f->cfg.dryrun_statefile, f->path);
	f->cfg.dns_ttl = 30;
	df_detail_t d = {{0}};
	assert_int_equal(provider_new(&f->p, &f->cfg, &d), DF_OK);
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	provider_free(f->p);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

/* Whole file, NUL-terminated; caller frees. NULL when it does not exist. */
static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		return NULL;
	}
	char *buf = calloc(1, 65536);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void make_next(lease_t *l, const char *a, const char *owner, int64_t exp, uint64_t epoch)
{
	memset(l, 0, sizeof(*l));
	l->has_a = true;
	snprintf(l->a, sizeof(l->a), "%s", a);
	snprintf(l->lease.owner, sizeof(l->lease.owner), "%s", owner);
	l->lease.exp = exp;
	l->lease.epoch = epoch;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Entries of the directory other than the state file and its lock file. */
static int stray_files(const fixture_t *f)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "test -z \"$(ls -A %s | grep -v -x -e state.json -e state.json.lock)\"", f->dir);
	return system(cmd) == 0 ? 0 : 1;
}

/* ---- read ---- */

static void test_read_missing(void **state)
{
	fixture_t *f = *state;
	lease_t l;
	df_detail_t d = {{0}};
	assert_int_equal(f->p->ops->read(f->p, &l, &d), DF_ENOTFOUND);
}

static void test_read_empty(void **state)
{
	fixture_t *f = *state;
	lease_t l;
	df_detail_t d = {{0}};
	write_file(f->path, "");
	assert_int_equal(f->p->ops->read(f->p, &l, &d), DF_ENOTFOUND);
	write_file(f->path, " \n");
	assert_int_equal(f->p->ops->read(f->p, &l, &d), DF_ENOTFOUND);
	/* An object with neither record is no lease either. */
	write_file(f->path, "{\"record\": \"lease.example.test.\", \"ttl\": 30}");
	assert_int_equal(f->p->ops->read(f->p, &l, &d), DF_ENOTFOUND);
}

static void test_read_minimal(void **state)
{
	fixture_t *f = *state;
	lease_t *l = calloc(1, sizeof(*l));
	df_detail_t d = {{0}};
	/* As the existing tool's script provider writes it. */
	write_file(f->path, "{\"A\": \"10.10.10.10\", \"TXT\": \"owner=primary exp=1699567890\"}");
	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_OK);
	assert_true(l->has_a);
	assert_string_equal(l->a, "10.10.10.10");
	assert_true(l->has_txt);
	assert_string_equal(l->txt, "owner=primary exp=1699567890");
	assert_true(l->txt_valid);
	assert_string_equal(l->lease.owner, "primary");
	assert_int_equal(l->lease.exp, 1699567890);
	assert_int_equal(l->lease.epoch, 0);
	/* The version of a state-file lease is its text. */
	assert_int_equal(l->version.len, strlen(l->txt));
	assert_memory_equal(l->version.bytes, l->txt, strlen(l->txt));
	assert_string_equal(l->server, f->path);
	assert_false(l->has_skew);
	free(l);
}

static void test_read_full(void **state)
{
	fixture_t *f = *state;
	lease_t *l = calloc(1, sizeof(*l));
	df_detail_t d = {{0}};
	write_file(f->path, "{\"record\": \"lease.example.test.\", \"A\": \"192.0.2.10\", "
			    "\"TXT\": \"owner=dr exp=1769571600 epoch=3\", \"ttl\": 30, "
			    "\"comment\": {\"unknown\": [1, 2]}}\n");
	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_OK);
	assert_string_equal(l->a, "192.0.2.10");
	assert_string_equal(l->txt, "owner=dr exp=1769571600 epoch=3");
	assert_true(l->txt_valid);
	assert_string_equal(l->lease.owner, "dr");
	assert_int_equal(l->lease.exp, 1769571600);
	assert_int_equal(l->lease.epoch, 3);
	free(l);
}

static void test_read_txt_unparsable(void **state)
{
	fixture_t *f = *state;
	lease_t *l = calloc(1, sizeof(*l));
	df_detail_t d = {{0}};
	/* Not a lease, but still returned: the lease logic decides. */
	write_file(f->path, "{\"A\": \"192.0.2.10\", \"TXT\": \"v=spf1 -all\"}");
	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_OK);
	assert_true(l->has_txt);
	assert_false(l->txt_valid);
	assert_string_equal(l->txt, "v=spf1 -all");
	assert_int_equal(l->version.len, strlen("v=spf1 -all"));
	/* Only A. */
	write_file(f->path, "{\"A\": \"192.0.2.10\"}");
	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_OK);
	assert_true(l->has_a);
	assert_false(l->has_txt);
	assert_int_equal(l->version.len, 0);
	free(l);
}

static void expect_malformed(fixture_t *f, const char *text, const char *needle)
{
	static lease_t l; /* static: fail_msg() does not return to free it */
	df_detail_t d = {{0}};
	write_file(f->path, text);
	assert_int_equal(f->p->ops->read(f->p, &l, &d), DF_EMALFORMED);
	assert_non_null(strstr(d.msg, f->path));
	if (strstr(d.msg, needle) == NULL) {
		fail_msg("\"%s\" not in \"%s\"", needle, d.msg);
	}
}

static void test_read_garbage(void **state)
{
	fixture_t *f = *state;
	expect_malformed(f, "not json {", "not valid JSON");
	expect_malformed(f, "{\"A\": \"192.0.2.10\", \"TXT\": ", "not valid JSON");
	expect_malformed(f, "[\"192.0.2.10\"]", "JSON object");
	expect_malformed(f, "\"owner=primary exp=1\"", "JSON object");
	expect_malformed(f, "null", "JSON object");
	expect_malformed(f, "{\"A\": \"192.0.2.10\", \"A\": \"192.0.2.11\"}", "not valid JSON");
	expect_malformed(f, "{\"TXT\": \"a\\u0000b\"}", "NUL");
}

static void test_read_wrong_types(void **state)
{
	fixture_t *f = *state;
	expect_malformed(f, "{\"A\": 5, \"TXT\": \"owner=primary exp=1\"}", "\"A\"");
	expect_malformed(f, "{\"A\": \"192.0.2.10\", \"TXT\": [\"owner=primary exp=1\"]}",
			 "\"TXT\"");
	expect_malformed(f, "{\"A\": \"192.0.2.10\", \"TXT\": \"x\", \"ttl\": \"30\"}", "\"ttl\"");
	expect_malformed(f, "{\"A\": \"192.0.2.10\", \"TXT\": \"x\", \"record\": 1}", "\"record\"");
	expect_malformed(f, "{\"A\": \"not-an-ip\", \"TXT\": \"x\"}", "IPv4");
	/* Longer than a TXT RDATA can be. */
	char *big = malloc(3000);
	assert_non_null(big);
	strcpy(big, "{\"TXT\": \"");
	memset(big + strlen(big), 'x', 2000);
	strcpy(big + 9 + 2000, "\"}");
	expect_malformed(f, big, "too long");
	free(big);
}

static void test_read_not_regular(void **state)
{
	fixture_t *f = *state;
	lease_t *l = calloc(1, sizeof(*l));
	df_detail_t d = {{0}};
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_EMALFORMED);
	assert_non_null(strstr(d.msg, "not a regular file"));
	assert_int_equal(rmdir(f->path), 0);
	/* A FIFO must not hang the reader. */
	assert_int_equal(mkfifo(f->path, 0600), 0);
	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_EMALFORMED);
	assert_non_null(strstr(d.msg, f->path));
	free(l);
}

/* ---- swap ---- */

static void test_swap_create(void **state)
{
	fixture_t *f = *state;
	lease_t next, *l = calloc(1, sizeof(*l));
	df_detail_t d = {{0}};
	make_next(&next, "192.0.2.10", "primary", 1769571600, 3);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_OK);

	char *text = slurp(f->path);
	assert_non_null(text);
	assert_string_equal(text,
			    "{\"record\": \"lease.example.test.\", \"A\": \"192.0.2.10\", "
			    "\"TXT\": \"owner=primary exp=1769571600 epoch=3\", \"ttl\": 30}\n");
	free(text);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(stat(f->lock_path, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0);
	assert_int_equal(stray_files(f), 0);

	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_OK);
	assert_string_equal(l->a, "192.0.2.10");
	assert_string_equal(l->txt, "owner=primary exp=1769571600 epoch=3");
	assert_true(l->txt_valid);
	assert_int_equal(l->lease.epoch, 3);
	free(l);
}

static void test_swap_create_over_empty(void **state)
{
	fixture_t *f = *state;
	lease_t next;
	df_detail_t d = {{0}};
	write_file(f->path, "");
	make_next(&next, "192.0.2.10", "primary", 100, 1);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_OK);
}

static void test_swap_expected(void **state)
{
	fixture_t *f = *state;
	lease_t next, *cur = calloc(1, sizeof(*cur));
	df_detail_t d = {{0}};
	/* The existing tool's file, taken over by the new one. */
	write_file(f->path, "{\"A\": \"10.10.10.10\", \"TXT\": \"owner=primary exp=1699567890\"}");
	assert_int_equal(f->p->ops->read(f->p, cur, &d), DF_OK);
	make_next(&next, "192.0.2.20", "dr", 1699568000, 1);
	assert_int_equal(f->p->ops->swap(f->p, cur, &next, &d), DF_OK);
	assert_int_equal(f->p->ops->read(f->p, cur, &d), DF_OK);
	assert_string_equal(cur->a, "192.0.2.20");
	assert_string_equal(cur->txt, "owner=dr exp=1699568000 epoch=1");
	/* And again from what we just read. */
	make_next(&next, "192.0.2.20", "dr", 1699568060, 1);
	assert_int_equal(f->p->ops->swap(f->p, cur, &next, &d), DF_OK);
	assert_int_equal(f->p->ops->read(f->p, cur, &d), DF_OK);
	assert_int_equal(cur->lease.exp, 1699568060);
	assert_int_equal(stray_files(f), 0);
	free(cur);
}

/* The compare-and-swap is made against the version read or written, which
 * swap() fills for the value it wrote: a renewal needs no read. */
static void test_swap_version(void **state)
{
	fixture_t *f = *state;
	lease_t next, *cur = calloc(1, sizeof(*cur)), *forged = calloc(1, sizeof(*forged));
	df_detail_t d = {{0}};
	make_next(&next, "192.0.2.10", "primary", 1000, 1);
	assert_int_equal(lease_value_format(&next), DF_OK);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_OK);
	assert_int_equal(next.version.len, strlen("owner=primary exp=1000 epoch=1"));
	assert_memory_equal(next.version.bytes, "owner=primary exp=1000 epoch=1", next.version.len);
	assert_int_equal(f->p->ops->read(f->p, cur, &d), DF_OK);
	assert_int_equal(cur->version.len, next.version.len);
	assert_memory_equal(cur->version.bytes, next.version.bytes, next.version.len);

	/* Renewing from what was written, as the daemon does. */
	*forged = next;
	make_next(&next, "192.0.2.10", "primary", 1001, 1);
	assert_int_equal(lease_value_format(&next), DF_OK);
	assert_int_equal(f->p->ops->swap(f->p, forged, &next, &d), DF_OK);

	/* The same text with another version is a stale expectation. */
	*forged = next;
	memcpy(forged->version.bytes, "owner=dr exp=9 epoch=9", 22);
	forged->version.len = 22;
	char *before = slurp(f->path);
	make_next(&next, "192.0.2.20", "dr", 2000, 2);
	assert_int_equal(f->p->ops->swap(f->p, forged, &next, &d), DF_ECONFLICT);
	char *after = slurp(f->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(cur);
	free(forged);
}

static void test_swap_stale(void **state)
{
	fixture_t *f = *state;
	lease_t next, *old = calloc(1, sizeof(*old)), *cur = calloc(1, sizeof(*cur));
	df_detail_t d = {{0}};
	make_next(&next, "192.0.2.10", "primary", 1000, 1);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_OK);
	assert_int_equal(f->p->ops->read(f->p, old, &d), DF_OK);
	make_next(&next, "192.0.2.20", "dr", 2000, 2);
	assert_int_equal(f->p->ops->swap(f->p, old, &next, &d), DF_OK);

	char *before = slurp(f->path);
	make_next(&next, "192.0.2.10", "primary", 3000, 2);
	assert_int_equal(f->p->ops->swap(f->p, old, &next, &d), DF_ECONFLICT);
	assert_non_null(strstr(d.msg, "owner=primary exp=1000 epoch=1")); /* expected */
	assert_non_null(strstr(d.msg, "owner=dr exp=2000 epoch=2"));	  /* found */
	char *after = slurp(f->path);
	assert_string_equal(before, after);
	assert_int_equal(stray_files(f), 0);

	/* A lease that vanished is a conflict too. */
	assert_int_equal(f->p->ops->read(f->p, cur, &d), DF_OK);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(f->p->ops->swap(f->p, cur, &next, &d), DF_ECONFLICT);
	assert_non_null(strstr(d.msg, "found no lease"));
	assert_int_equal(access(f->path, F_OK), -1);
	free(before);
	free(after);
	free(old);
	free(cur);
}

static void test_swap_null_when_exists(void **state)
{
	fixture_t *f = *state;
	lease_t next;
	df_detail_t d = {{0}};
	write_file(f->path, "{\"A\": \"10.10.10.10\", \"TXT\": \"owner=dr exp=1699567890\"}");
	char *before = slurp(f->path);
	make_next(&next, "192.0.2.10", "primary", 1769571600, 1);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_ECONFLICT);
	assert_non_null(strstr(d.msg, "expected no lease"));
	assert_non_null(strstr(d.msg, "owner=dr exp=1699567890"));
	char *after = slurp(f->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* The file's text is quoted escaped in messages: they are logged. */
static void test_messages_escape_the_file(void **state)
{
	fixture_t *f = *state;
	lease_t next;
	df_detail_t d = {{0}};
	write_file(f->path, "{\"A\": \"10.10.10.10\", \"TXT\": \"owner=dr exp=1 note=\\r\\n"
			    "[x] [INFO] FAILOVER\\u001b[2K\"}");
	make_next(&next, "192.0.2.10", "primary", 1769571600, 1);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_ECONFLICT);
	if (strstr(d.msg,
		   "found TXT \"owner=dr exp=1 note=\\x0d\\x0a[x] [INFO] FAILOVER\\x1b[2K\"") ==
	    NULL) {
		fail_msg("not escaped: %s", d.msg);
	}
	/* Not a lease: why, for show. */
	lease_t *l = calloc(1, sizeof(*l));
	write_file(
		f->path,
		"{\"A\": \"10.10.10.10\", \"TXT\": \"owner=dr exp=1 epoch=18446744073709551615\"}");
	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_OK);
	assert_false(l->txt_valid);
	assert_string_equal(l->txt_error, "lease TXT: epoch=18446744073709551615 is out of range "
					  "(0-9223372036854775807)");
	assert_int_equal(l->a_count, 1);
	free(l);
	expect_malformed(f, "{\"A\": \"1.2.3.4\\n[x] [INFO] forged\"}",
			 "\"1.2.3.4\\x0a[x] [INFO] forged\"");
}

static void test_swap_malformed_untouched(void **state)
{
	fixture_t *f = *state;
	lease_t next;
	df_detail_t d = {{0}};
	write_file(f->path, "{\"A\": 1}");
	make_next(&next, "192.0.2.10", "primary", 1769571600, 1);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_EMALFORMED);
	char *after = slurp(f->path);
	assert_string_equal(after, "{\"A\": 1}");
	free(after);
	/* A bad new value is refused before anything is touched. */
	unlink(f->path);
	make_next(&next, "not-an-ip", "primary", 1769571600, 1);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_EINVAL);
	assert_int_equal(access(f->path, F_OK), -1);
}

static void test_missing_dir(void **state)
{
	fixture_t *f = *state;
	config_t cfg = f->cfg;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/no-such-dir", f->dir);
	snprintf(cfg.dryrun_statefile, sizeof(cfg.dryrun_statefile), "%s/state.json", dir);
	provider_t *p = NULL;
	df_detail_t d = {{0}};
	assert_int_equal(provider_new(&p, &cfg, &d), DF_OK);

	lease_t next, *l = calloc(1, sizeof(*l));
	make_next(&next, "192.0.2.10", "primary", 1769571600, 1);
	assert_int_equal(p->ops->swap(p, NULL, &next, &d), DF_ENOENT);
	assert_non_null(strstr(d.msg, dir));
	assert_non_null(strstr(d.msg, "create it"));
	assert_int_equal(access(dir, F_OK), -1); /* not created for the operator */

	memset(&d, 0, sizeof(d));
	assert_int_equal(p->ops->read(p, l, &d), DF_ENOENT);
	assert_non_null(strstr(d.msg, dir));
	provider_free(p);
	free(l);
}

/* ---- locking between processes ---- */

/*
 * Forks a child that takes op on the lock file and holds it until the
 * returned descriptor is closed (or 20 s pass).
 */
static pid_t hold_lock(const char *lock_path, int op, int *release_fd)
{
	int ready[2], release[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(release[1]);
		int fd = open(lock_path, O_RDONLY | O_CREAT, 0600);
		if (fd < 0 || flock(fd, op) != 0) {
			_exit(2);
		}
		if (write(ready[1], "x", 1) != 1) {
			_exit(2);
		}
		struct pollfd pfd = {.fd = release[0], .events = POLLIN};
		poll(&pfd, 1, 20000);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*release_fd = release[1];
	return pid;
}

static void release_lock(pid_t pid, int release_fd)
{
	close(release_fd);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_lock_held(void **state)
{
	fixture_t *f = *state;
	lease_t next, *l = calloc(1, sizeof(*l));
	df_detail_t d = {{0}};
	make_next(&next, "192.0.2.10", "primary", 1000, 1);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_OK);
	char *before = slurp(f->path);

	int release_fd;
	pid_t pid = hold_lock(f->lock_path, LOCK_EX, &release_fd);

	double t0 = now_s();
	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_ELOCK);
	double waited = now_s() - t0;
	assert_true(waited >= 1.5 && waited < 6.0);
	assert_non_null(strstr(d.msg, f->path));
	assert_non_null(strstr(d.msg, "another process holds the lock"));

	memset(&d, 0, sizeof(d));
	make_next(&next, "192.0.2.20", "dr", 2000, 2);
	t0 = now_s();
	assert_int_equal(f->p->ops->swap(f->p, l, &next, &d), DF_ELOCK);
	waited = now_s() - t0;
	assert_true(waited >= 1.5 && waited < 6.0);
	assert_non_null(strstr(d.msg, "another process holds the lock"));
	char *after = slurp(f->path);
	assert_string_equal(before, after);

	release_lock(pid, release_fd);
	/* Free again: both work. */
	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_OK);
	assert_int_equal(f->p->ops->swap(f->p, l, &next, &d), DF_OK);
	free(before);
	free(after);
	free(l);
}

static void test_lock_shared(void **state)
{
	fixture_t *f = *state;
	lease_t next, *l = calloc(1, sizeof(*l));
	df_detail_t d = {{0}};
	make_next(&next, "192.0.2.10", "primary", 1000, 1);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_OK);

	/* Another reader does not block reads, but does block a swap. */
	int release_fd;
	pid_t pid = hold_lock(f->lock_path, LOCK_SH, &release_fd);
	assert_int_equal(f->p->ops->read(f->p, l, &d), DF_OK);
	make_next(&next, "192.0.2.20", "dr", 2000, 2);
	assert_int_equal(f->p->ops->swap(f->p, l, &next, &d), DF_ELOCK);
	release_lock(pid, release_fd);
	free(l);
}

/*
 * The core CAS property: RACERS processes swap from the same expected value
 * at once, each to its own next value. Exactly one wins, the others see a
 * conflict, and the file holds the winner's value.
 */
static void test_swap_race(void **state)
{
	fixture_t *f = *state;
	lease_t next, *cur = calloc(1, sizeof(*cur));
	df_detail_t d = {{0}};
	make_next(&next, "192.0.2.10", "primary", 1000, 1);
	assert_int_equal(f->p->ops->swap(f->p, NULL, &next, &d), DF_OK);
	assert_int_equal(f->p->ops->read(f->p, cur, &d), DF_OK);

	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pids[RACERS];
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(go[1]);
			char c;
			/* Wait for the start: EOF when the parent closes go[1]. */
			if (read(go[0], &c, 1) != 0) {
				_exit(3);
			}
			lease_t mine;
			df_detail_t cd = {{0}};
			make_next(&mine, "192.0.2.20", "dr", 2000 + i, 2);
			int rc = f->p->ops->swap(f->p, cur, &mine, &cd);
			_exit(rc == DF_OK ? 0 : rc == DF_ECONFLICT ? 1 : 2);
		}
	}
	close(go[0]);
	close(go[1]);

	int winners = 0, losers = 0, winner = -1;
	for (int i = 0; i < RACERS; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		switch (WEXITSTATUS(status)) {
		case 0:
			winners++;
			winner = i;
			break;
		case 1:
			losers++;
			break;
		default:
			fail_msg("racer %d exited with %d", i, WEXITSTATUS(status));
		}
	}
	assert_int_equal(winners, 1);
	assert_int_equal(losers, RACERS - 1);
	assert_int_equal(f->p->ops->read(f->p, cur, &d), DF_OK);
	assert_int_equal(cur->lease.exp, 2000 + winner);
	assert_string_equal(cur->lease.owner, "dr");
	assert_int_equal(stray_files(f), 0);
	free(cur);
}

/* ---- check ---- */

typedef struct reports {
	int count;
	bool ok[4];
	char what[4][2048];
} reports_t;

static void record_report(void *arg, bool ok, const char *what)
{
	reports_t *r = arg;
	if (r->count < 4) {
		r->ok[r->count] = ok;
		snprintf(r->what[r->count], sizeof(r->what[0]), "%s", what);
	}
	r->count++;
}

static void test_check(void **state)
{
	fixture_t *f = *state;
	reports_t r = {0};
	df_detail_t d = {{0}};
	/* Absent state file: fine. */
	assert_int_equal(f->p->ops->check(f->p, record_report, &r, &d), DF_OK);
	assert_int_equal(r.count, 2);
	assert_true(r.ok[0]);
	assert_non_null(strstr(r.what[0], "state file directory"));
	assert_non_null(strstr(r.what[0], "writable"));
	assert_true(r.ok[1]);
	assert_non_null(strstr(r.what[1], "readable/parsable"));
	assert_int_equal(access(f->path, F_OK), -1); /* no change */

	/* Garbage: the second step fails, nothing is written. */
	write_file(f->path, "garbage");
	memset(&r, 0, sizeof(r));
	assert_int_equal(f->p->ops->check(f->p, record_report, &r, &d), DF_EMALFORMED);
	assert_int_equal(r.count, 2);
	assert_true(r.ok[0]);
	assert_false(r.ok[1]);
	assert_non_null(strstr(d.msg, f->path));
	char *after = slurp(f->path);
	assert_string_equal(after, "garbage");
	free(after);

	/* Missing directory: the first step fails and names it. */
	config_t cfg = f->cfg;
	snprintf(cfg.dryrun_statefile, sizeof(cfg.dryrun_statefile), "%s/nope/state.json", f->dir);
	provider_t *p = NULL;
	assert_int_equal(provider_new(&p, &cfg, &d), DF_OK);
	memset(&r, 0, sizeof(r));
	assert_int_not_equal(p->ops->check(p, record_report, &r, &d), DF_OK);
	assert_false(r.ok[0]);
	assert_non_null(strstr(r.what[0], "nope"));
	assert_non_null(strstr(d.msg, "nope"));
	provider_free(p);
}

/* ---- provider_new ---- */

static void test_provider_new(void **state)
{
	fixture_t *f = *state;
	config_t cfg = f->cfg;
	provider_t *p = NULL;
	df_detail_t d = {{0}};

	assert_string_equal(f->p->ops->id, "dry-run");
	assert_true(f->p->ops->atomic_cas);
	assert_ptr_equal(f->p->cfg, &f->cfg);

	/* Every provider of the list is built: without its keys, each says
	 * which it needs, never that it is not available. */
	static const char *const rest[] = {"infoblox", "azure-dns", "gcp-dns", "f5-gtm"};
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		snprintf(cfg.provider, sizeof(cfg.provider), "%s", rest[i]);
		d.msg[0] = '\0';
		assert_int_equal(provider_new(&p, &cfg, &d), DF_ECONFIG);
		assert_null(p);
		assert_null(strstr(d.msg, "is not available in this version"));
		assert_non_null(strstr(d.msg, "needs"));
		assert_non_null(strstr(provider_list(), rest[i]));
	}

	strcpy(cfg.provider, "dryrun");
	assert_int_equal(provider_new(&p, &cfg, &d), DF_ECONFIG);
	assert_null(p);
	assert_string_equal(d.msg,
			    "unknown DNS_PROVIDER=dryrun (known: dry-run, bind-tsig, ad-gss, "
			    "script, route53, cloudflare, infoblox, azure-dns, gcp-dns, "
			    "f5-gtm)");

	strcpy(cfg.provider, "dry-run");
	cfg.dryrun_statefile[0] = '\0';
	assert_int_equal(provider_new(&p, &cfg, &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "DRYRUN_STATEFILE"));
	strcpy(cfg.dryrun_statefile, "/tmp/");
	assert_int_equal(provider_new(&p, &cfg, &d), DF_ECONFIG);
	assert_null(p);

	assert_int_equal(provider_new(NULL, &cfg, &d), DF_EINVAL);
	assert_int_equal(provider_new(&p, NULL, &d), DF_EINVAL);
	provider_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_minimal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_txt_unparsable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_wrong_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_create_over_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_expected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_null_when_exists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_malformed_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_escape_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provider_new, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
