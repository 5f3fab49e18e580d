/*
 * The dry-run provider: the lease lives in a local JSON file
 * (DRYRUN_STATEFILE) instead of DNS, for tests and rehearsals.
 *
 *   {"record": "lease.example.test.", "A": "192.0.2.10",
 *    "TXT": "owner=primary exp=1769571600 epoch=3", "ttl": 30}
 *
 * Reading also accepts the existing tool's minimal {"A": ..., "TXT": ...};
 * unknown members are ignored; a missing or empty file is "no lease".
 *
 * swap() is a true compare-and-swap: under an exclusive lock it re-reads the
 * file, compares the TXT text byte for byte with the expected one and only
 * then replaces the file (temp file, fsync, rename, fsync of the directory),
 * so readers see the old state or the new one, never a half-written file.
 */
#include "src/provider/provider.h"
#include "src/common/log.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long read() and swap() wait for another process's lock. */
#define DRYRUN_LOCK_WAIT_MS 2000
/* A state file is a few hundred bytes; anything bigger is not ours. */
#define DRYRUN_MAX_FILE (64 * 1024)
#define DRYRUN_PATH_MAX (CONFIG_STR_MAX + 32)

typedef struct dryrun {
	provider_t base;		 /* first: provider_t * and dryrun_t * convert */
	char path[DRYRUN_PATH_MAX];	 /* the state file */
	char lock_path[DRYRUN_PATH_MAX]; /* <statefile>.lock */
	char dir[DRYRUN_PATH_MAX];	 /* directory holding both */
} dryrun_t;

/* The state file as parsed: which records exist and their text. */
typedef struct state {
	bool has_a;
	char a[64];
	bool has_txt;
	char txt[LEASE_MAX_RDATA];
} state_t;

/* Copies src into dst, keeping the tail ("...name.json") when it is too long. */
static void copy_tail(char *dst, size_t size, const char *src)
{
	assert(size > 4);
	size_t len = strlen(src);
	if (len < size) {
		memcpy(dst, src, len + 1);
		return;
	}
	size_t keep = size - 4;
	memcpy(dst, "...", 3);
	memcpy(dst + 3, src + len - keep, keep + 1);
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static int dir_missing(const dryrun_t *dr, df_detail_t *d)
{
	df_detail_set(d,
		      "dry-run: directory %s of DRYRUN_STATEFILE does not exist; create it "
		      "(mkdir -p %s) or point DRYRUN_STATEFILE elsewhere",
		      dr->dir, dr->dir);
	return DF_ENOENT;
}

/*
 * Opens the lock file and takes op (LOCK_SH or LOCK_EX) on it, retrying a
 * non-blocking flock() for up to DRYRUN_LOCK_WAIT_MS: the daemon must not
 * hang forever behind a stuck process. On success *fd_out holds the lock
 * until it is closed.
 *
 * The lock is taken on <statefile>.lock, never on the state file itself:
 * swap() replaces the state file by rename(), so its inode changes. A
 * process that opened the old inode and waits for its lock would get it
 * after the rename, while a process opening the path now locks the new
 * inode: both would hold an "exclusive" lock at once and the CAS would
 * break. The lock file is never renamed, so every process locks the same
 * inode.
 */
static int lock_take(const dryrun_t *dr, int op, int *fd_out, df_detail_t *d)
{
	int ret = DF_OK;
	/* O_NOFOLLOW: the default state file is in /tmp, where anyone could plant
	 * a symlink named like our lock file. */
	int fd = open(dr->lock_path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int err = errno;
		struct stat st;
		if (err == ENOENT && stat(dr->dir, &st) != 0) {
			ret = dir_missing(dr, d);
		} else {
			df_detail_set(d, "dry-run: cannot open lock file %s (%s)", dr->lock_path,
				      strerror(err));
			ret = -err;
		}
		goto out;
	}

	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long delay_ms = 1;
	for (;;) {
		if (flock(fd, op | LOCK_NB) == 0) {
			break;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno != EWOULDBLOCK) {
			int err = errno;
			df_detail_set(d, "dry-run: cannot lock %s (%s)", dr->lock_path,
				      strerror(err));
			ret = -err;
			goto out;
		}
		if (elapsed_ms(&start) >= DRYRUN_LOCK_WAIT_MS) {
			df_detail_set(d,
				      "dry-run: state file %s is locked: another process holds "
				      "the lock on %s (waited %d ms)",
				      dr->path, dr->lock_path, DRYRUN_LOCK_WAIT_MS);
			ret = DF_ELOCK;
			goto out;
		}
		struct timespec ts = {.tv_sec = 0, .tv_nsec = delay_ms * 1000000};
		nanosleep(&ts, NULL);
		if (delay_ms < 32) {
			delay_ms *= 2;
		}
	}
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0) {
		close(fd);
	}
	return ret;
}

/* Reads a string member; absent or null leaves *present false. */
static int get_string(json_t *root, const char *key, char *buf, size_t size, bool *present,
		      const char *path, df_detail_t *d)
{
	int ret = DF_OK;
	json_t *v = json_object_get(root, key);
	*present = false;
	if (v == NULL || json_is_null(v)) {
		goto out;
	}
	if (!json_is_string(v)) {
		df_detail_set(d, "dry-run: state file %s: member \"%s\" must be a string", path,
			      key);
		ret = DF_EMALFORMED;
		goto out;
	}
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (memchr(s, '\0', len) != NULL) {
		df_detail_set(d, "dry-run: state file %s: member \"%s\" contains a NUL byte", path,
			      key);
		ret = DF_EMALFORMED;
		goto out;
	}
	if (len >= size) {
		df_detail_set(d,
			      "dry-run: state file %s: member \"%s\" is too long (%zu bytes, "
			      "at most %zu)",
			      path, key, len, size - 1);
		ret = DF_EMALFORMED;
		goto out;
	}
	memcpy(buf, s, len + 1);
	*present = true;
out:
	return ret;
}

/* Parses the JSON text of a state file. DF_ENOTFOUND when it holds no record. */
static int state_parse(state_t *out, const char *buf, size_t len, const char *path, df_detail_t *d)
{
	int ret = DF_OK;
	state_t st = {0};
	json_error_t jerr;
	char shown[LOG_ESCAPE_SIZE(64)];
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (root == NULL) {
		/* jansson quotes the bytes near the error. */
		df_detail_set(d, "dry-run: state file %s is not valid JSON (line %d column %d: %s)",
			      path, jerr.line, jerr.column,
			      log_escape(shown, sizeof(shown), jerr.text, strlen(jerr.text)));
		ret = DF_EMALFORMED;
		goto out;
	}
	if (!json_is_object(root)) {
		df_detail_set(d, "dry-run: state file %s must hold a JSON object", path);
		ret = DF_EMALFORMED;
		goto out;
	}
	ret = get_string(root, "A", st.a, sizeof(st.a), &st.has_a, path, d);
	if (ret != DF_OK) {
		goto out;
	}
	struct in_addr addr;
	if (st.has_a && inet_pton(AF_INET, st.a, &addr) != 1) {
		df_detail_set(d, "dry-run: state file %s: \"A\" is not an IPv4 address: \"%s\"",
			      path, log_escape(shown, sizeof(shown), st.a, strlen(st.a)));
		ret = DF_EMALFORMED;
		goto out;
	}
	ret = get_string(root, "TXT", st.txt, sizeof(st.txt), &st.has_txt, path, d);
	if (ret != DF_OK) {
		goto out;
	}
	/* record and ttl are informational, but a wrong type means the file is
	 * not what we think it is. */
	json_t *v = json_object_get(root, "record");
	if (v != NULL && !json_is_string(v) && !json_is_null(v)) {
		df_detail_set(d, "dry-run: state file %s: member \"record\" must be a string",
			      path);
		ret = DF_EMALFORMED;
		goto out;
	}
	v = json_object_get(root, "ttl");
	if (v != NULL && !json_is_integer(v) && !json_is_null(v)) {
		df_detail_set(d, "dry-run: state file %s: member \"ttl\" must be an integer", path);
		ret = DF_EMALFORMED;
		goto out;
	}
	if (!st.has_a && !st.has_txt) {
		ret = DF_ENOTFOUND;
		goto out;
	}
	*out = st;
out:
	json_decref(root);
	return ret;
}

/*
 * Reads and parses the state file; the caller holds the lock.
 * DF_ENOTFOUND when the file is missing, empty or holds no record.
 */
static int state_read(const dryrun_t *dr, state_t *out, df_detail_t *d)
{
	int ret = DF_OK;
	char *buf = NULL;
	/* O_NONBLOCK: opening a FIFO planted at the path must not hang us. */
	int fd = open(dr->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int err = errno;
		if (err == ENOENT) {
			ret = DF_ENOTFOUND;
		} else {
			df_detail_set(d, "dry-run: cannot open state file %s (%s)", dr->path,
				      strerror(err));
			ret = -err;
		}
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int err = errno;
		df_detail_set(d, "dry-run: cannot stat state file %s (%s)", dr->path,
			      strerror(err));
		ret = -err;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		df_detail_set(d, "dry-run: state file %s is not a regular file", dr->path);
		ret = DF_EMALFORMED;
		goto out;
	}
	if (st.st_size > DRYRUN_MAX_FILE) {
		df_detail_set(d, "dry-run: state file %s is too large (%lld bytes, at most %d)",
			      dr->path, (long long)st.st_size, DRYRUN_MAX_FILE);
		ret = DF_EMALFORMED;
		goto out;
	}
	/* Read up to one byte more than the limit, in case it grew since fstat. */
	buf = malloc(DRYRUN_MAX_FILE + 1);
	if (buf == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	size_t len = 0;
	while (len < DRYRUN_MAX_FILE + 1) {
		ssize_t n = read(fd, buf + len, DRYRUN_MAX_FILE + 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			int err = errno;
			df_detail_set(d, "dry-run: cannot read state file %s (%s)", dr->path,
				      strerror(err));
			ret = -err;
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	if (len > DRYRUN_MAX_FILE) {
		df_detail_set(d, "dry-run: state file %s is too large (more than %d bytes)",
			      dr->path, DRYRUN_MAX_FILE);
		ret = DF_EMALFORMED;
		goto out;
	}
	/* Empty (or only white space) is "no lease", as the existing tool left it. */
	size_t i = 0;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r')) {
		i++;
	}
	if (i == len) {
		ret = DF_ENOTFOUND;
		goto out;
	}
	ret = state_parse(out, buf, len, dr->path, d);
out:
	free(buf);
	if (fd >= 0) {
		close(fd);
	}
	return ret;
}

static int dryrun_read(provider_t *p, lease_t *out, df_detail_t *d)
{
	if (p == NULL || out == NULL) {
		return DF_EINVAL;
	}
	const dryrun_t *dr = (const dryrun_t *)p;
	int ret = DF_OK;
	int lock_fd = -1;
	state_t st;
	lease_t *l = calloc(1, sizeof(*l)); /* ~5 KiB: not on the stack */
	if (l == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}

	ret = lock_take(dr, LOCK_SH, &lock_fd, d);
	if (ret != DF_OK) {
		goto out;
	}
	ret = state_read(dr, &st, d);
	if (ret != DF_OK) {
		goto out;
	}

	l->has_a = st.has_a;
	l->a_count = st.has_a ? 1 : 0;
	memcpy(l->a, st.a, sizeof(l->a));
	l->has_txt = st.has_txt;
	if (st.has_txt) {
		size_t len = strlen(st.txt);
		memcpy(l->txt, st.txt, len + 1);
		/* An unparsable TXT is still a lease record: the lease logic decides. */
		lease_txt_t lt;
		df_detail_t why = {""};
		l->txt_valid = lease_txt_parse(&lt, st.txt, len, &why) == DF_OK;
		if (l->txt_valid) {
			l->lease = lt;
		} else {
			snprintf(l->txt_error, sizeof(l->txt_error), "%s", why.msg);
		}
		/* The version of a state-file lease is its TXT text. */
		memcpy(l->version.bytes, st.txt, len);
		l->version.len = len;
	}
	copy_tail(l->server, sizeof(l->server), dr->path);
	l->has_skew = false;
	*out = *l;
out:
	if (lock_fd >= 0) {
		close(lock_fd);
	}
	free(l);
	return ret;
}

/* Writes all of buf to fd. Returns 0 or -1 with errno set. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Renders the new state as one line of JSON. Caller frees with free(). */
static int state_render(const dryrun_t *dr, const lease_t *next, const char *txt, char **out)
{
	int ret = DF_ENOMEM;
	char *text = NULL;
	json_t *root = json_object();
	if (root == NULL) {
		goto out;
	}
	/* json_object_set_new() takes the value, also on failure. */
	if (json_object_set_new(root, "record", json_string(dr->base.cfg->record)) != 0) {
		goto out;
	}
	if (next->has_a && json_object_set_new(root, "A", json_string(next->a)) != 0) {
		goto out;
	}
	if (json_object_set_new(root, "TXT", json_string(txt)) != 0 ||
	    json_object_set_new(root, "ttl", json_integer(dr->base.cfg->dns_ttl)) != 0) {
		goto out;
	}
	char *dumped = json_dumps(root, JSON_PRESERVE_ORDER);
	if (dumped == NULL) {
		goto out;
	}
	size_t len = strlen(dumped);
	text = malloc(len + 2);
	if (text == NULL) {
		free(dumped);
		goto out;
	}
	memcpy(text, dumped, len);
	memcpy(text + len, "\n", 2);
	free(dumped);
	*out = text;
	text = NULL;
	ret = DF_OK;
out:
	free(text);
	json_decref(root);
	return ret;
}

/* Replaces the state file with text: temp file, fsync, rename, fsync dir. */
static int state_write(const dryrun_t *dr, const char *text, df_detail_t *d)
{
	int ret = DF_OK;
	char tmp[DRYRUN_PATH_MAX + 16];
	bool tmp_exists = false;
	int dir_fd = -1;

	/* Same directory, so rename() is atomic; mkostemp() creates with O_EXCL. */
	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", dr->path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		struct stat st;
		if (err == ENOENT && stat(dr->dir, &st) != 0) {
			ret = dir_missing(dr, d);
		} else {
			df_detail_set(d, "dry-run: cannot create a temporary file in %s (%s)",
				      dr->dir, strerror(err));
			ret = -err;
		}
		goto out;
	}
	tmp_exists = true;
	/* No secrets in here: let other users (monitoring, tests) read it. */
	if (fchmod(fd, 0644) != 0 || write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
		int err = errno;
		df_detail_set(d, "dry-run: cannot write %s (%s)", tmp, strerror(err));
		ret = -err;
		goto out;
	}
	int rc = close(fd);
	fd = -1;
	if (rc != 0) {
		int err = errno;
		df_detail_set(d, "dry-run: cannot write %s (%s)", tmp, strerror(err));
		ret = -err;
		goto out;
	}
	if (rename(tmp, dr->path) != 0) {
		int err = errno;
		df_detail_set(d, "dry-run: cannot rename %s to %s (%s)", tmp, dr->path,
			      strerror(err));
		ret = -err;
		goto out;
	}
	tmp_exists = false;
	/* The rename is done and visible to every reader: the swap happened.
	 * A failed directory fsync only weakens durability across a crash, so
	 * it is a warning, not a failed swap the lease logic would misread. */
	dir_fd = open(dr->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0 || fsync(dir_fd) != 0) {
		log_warn("dry-run, cannot fsync directory %s (%s)", dr->dir, strerror(errno));
	}
out:
	if (fd >= 0) {
		close(fd);
	}
	if (tmp_exists) {
		unlink(tmp);
	}
	if (dir_fd >= 0) {
		close(dir_fd);
	}
	return ret;
}

static int dryrun_swap(provider_t *p, const lease_t *expected, lease_t *next, df_detail_t *d)
{
	if (p == NULL || next == NULL) {
		return DF_EINVAL;
	}
	const dryrun_t *dr = (const dryrun_t *)p;
	int ret = DF_OK;
	int lock_fd = -1;
	char *text = NULL;
	char txt[LEASE_MAX_RDATA];
	/* The TXT texts quoted in a conflict: escaped, cut to fit the message. */
	char cur_shown[LOG_ESCAPE_SIZE(48)], exp_shown[LOG_ESCAPE_SIZE(48)];
	state_t cur = {0};
	struct in_addr addr;

	if (next->has_a && inet_pton(AF_INET, next->a, &addr) != 1) {
		df_detail_set(d, "dry-run: new A value is not an IPv4 address");
		ret = DF_EINVAL;
		goto out;
	}
	ret = lease_txt_format(&next->lease, txt, sizeof(txt));
	if (ret != DF_OK) {
		df_detail_set(d, "dry-run: cannot format the new lease TXT (%s)", df_strerror(ret));
		goto out;
	}
	ret = state_render(dr, next, txt, &text);
	if (ret != DF_OK) {
		goto out;
	}

	ret = lock_take(dr, LOCK_EX, &lock_fd, d);
	if (ret != DF_OK) {
		goto out;
	}
	/* Compare under the lock with what is there now, not what we read before. */
	ret = state_read(dr, &cur, d);
	if (ret == DF_ENOTFOUND) {
		cur.has_txt = false;
		ret = DF_OK;
	}
	if (ret != DF_OK) {
		/* A file we cannot parse is left alone for the operator to inspect. */
		goto out;
	}
	if (expected == NULL || !expected->has_txt) {
		if (cur.has_txt) {
			df_detail_set(
				d,
				"dry-run: state file %s changed: expected no lease, found "
				"TXT \"%s\"",
				dr->path,
				log_escape(cur_shown, sizeof(cur_shown), cur.txt, strlen(cur.txt)));
			ret = DF_ECONFLICT;
			goto out;
		}
	} else {
		size_t elen = strnlen(expected->txt, sizeof(expected->txt));
		log_escape(exp_shown, sizeof(exp_shown), expected->txt, elen);
		if (!cur.has_txt) {
			df_detail_set(d,
				      "dry-run: state file %s changed: expected TXT \"%s\", "
				      "found no lease",
				      dr->path, exp_shown);
			ret = DF_ECONFLICT;
			goto out;
		}
		const lease_version_t *v = &expected->version;
		if (strlen(cur.txt) != v->len || memcmp(cur.txt, v->bytes, v->len) != 0) {
			df_detail_set(
				d,
				"dry-run: state file %s changed: expected TXT \"%s\", "
				"found \"%s\"",
				dr->path, exp_shown,
				log_escape(cur_shown, sizeof(cur_shown), cur.txt, strlen(cur.txt)));
			ret = DF_ECONFLICT;
			goto out;
		}
	}
	/* What the state file holds if the write applied, whatever the outcome. */
	next->version.len = strlen(txt);
	memcpy(next->version.bytes, txt, next->version.len);
	ret = state_write(dr, text, d);
out:
	if (lock_fd >= 0) {
		close(lock_fd);
	}
	free(text);
	return ret;
}

static int dryrun_check(provider_t *p, provider_report_fn report, void *arg, df_detail_t *d)
{
	if (p == NULL) {
		return DF_EINVAL;
	}
	const dryrun_t *dr = (const dryrun_t *)p;
	int ret = DF_OK;
	char what[sizeof(df_detail_t) + DRYRUN_PATH_MAX + 64];
	lease_t *l = NULL;
	df_detail_t sub = {{0}};

	/* 1. The directory must exist and take new files (temp and lock file). */
	struct stat st;
	if (stat(dr->dir, &st) != 0) {
		int err = errno;
		if (err == ENOENT) {
			ret = dir_missing(dr, &sub);
		} else {
			df_detail_set(&sub, "dry-run: cannot stat directory %s (%s)", dr->dir,
				      strerror(err));
			ret = -err;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		df_detail_set(&sub,
			      "dry-run: %s (directory of DRYRUN_STATEFILE) is not a directory",
			      dr->dir);
		ret = DF_ENOENT;
	} else if (faccessat(AT_FDCWD, dr->dir, W_OK | X_OK, AT_EACCESS) != 0) {
		df_detail_set(&sub, "dry-run: directory %s is not writable (%s)", dr->dir,
			      strerror(errno));
		ret = DF_EACCES;
	}
	if (ret == DF_OK) {
		snprintf(what, sizeof(what), "state file directory %s writable", dr->dir);
	} else {
		snprintf(what, sizeof(what), "state file directory %s writable: %s", dr->dir,
			 sub.msg);
		df_detail_set(d, "%s", sub.msg);
	}
	if (report != NULL) {
		report(arg, ret == DF_OK, what);
	}

	/* 2. The state file, if any, must be readable and parse. */
	l = malloc(sizeof(*l));
	if (l == NULL) {
		ret = ret != DF_OK ? ret : DF_ENOMEM;
		goto out;
	}
	sub.msg[0] = '\0';
	int rr = dryrun_read(p, l, &sub);
	bool ok = rr == DF_OK || rr == DF_ENOTFOUND;
	if (rr == DF_OK) {
		snprintf(what, sizeof(what), "state file %s readable/parsable", dr->path);
	} else if (rr == DF_ENOTFOUND) {
		snprintf(what, sizeof(what), "state file %s readable/parsable (absent: no lease)",
			 dr->path);
	} else {
		snprintf(what, sizeof(what), "state file %s readable/parsable: %s", dr->path,
			 sub.msg[0] != '\0' ? sub.msg : df_strerror(rr));
	}
	if (report != NULL) {
		report(arg, ok, what);
	}
	if (!ok && ret == DF_OK) {
		df_detail_set(d, "%s", sub.msg[0] != '\0' ? sub.msg : df_strerror(rr));
		ret = rr;
	}
out:
	free(l);
	return ret;
}

static void dryrun_free(provider_t *p)
{
	free(p);
}

static const provider_ops_t dryrun_ops = {
	.id = "dry-run",
	.atomic_cas = true,
	.read = dryrun_read,
	.swap = dryrun_swap,
	.check = dryrun_check,
	.free = dryrun_free,
};

int provider_dryrun_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	int ret = DF_OK;
	dryrun_t *dr = NULL;
	const char *path = cfg->dryrun_statefile;
	size_t len = strnlen(path, sizeof(cfg->dryrun_statefile));

	if (len == 0 || len == sizeof(cfg->dryrun_statefile)) {
		df_detail_set(d, "DNS_PROVIDER=dry-run needs DRYRUN_STATEFILE, the path of its "
				 "state file");
		ret = DF_ECONFIG;
		goto out;
	}
	if (path[len - 1] == '/') {
		df_detail_set(d, "DRYRUN_STATEFILE=%s names a directory; give a file path", path);
		ret = DF_ECONFIG;
		goto out;
	}
	dr = calloc(1, sizeof(*dr));
	if (dr == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	dr->base.ops = &dryrun_ops;
	dr->base.cfg = cfg;
	memcpy(dr->path, path, len + 1);
	snprintf(dr->lock_path, sizeof(dr->lock_path), "%s.lock", path);
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		memcpy(dr->dir, ".", 2);
	} else if (slash == path) {
		memcpy(dr->dir, "/", 2);
	} else {
		memcpy(dr->dir, path, (size_t)(slash - path));
		dr->dir[slash - path] = '\0';
	}
	*out = &dr->base;
	dr = NULL;
out:
	free(dr);
	return ret;
}
