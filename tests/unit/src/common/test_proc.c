/* Running programs without a shell: splitting, exit codes, output, time bounds. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/common/clock.h"
#include "src/common/proc.h"

static void split_words_and_quotes(void **state)
{
	(void)state;
	char buf[256];
	char *argv[PROC_MAX_ARGS + 1];
	assert_int_equal(proc_split("  /etc/init.d/otelcol   start ", buf, sizeof(buf), argv, NULL),
			 2);
	assert_string_equal(argv[0], "/etc/init.d/otelcol");
	assert_string_equal(argv[1], "start");
	assert_null(argv[2]);
	assert_int_equal(
		proc_split("a 'b c' \"d \\\"e\\\"\" f'g h'i", buf, sizeof(buf), argv, NULL), 4);
	assert_string_equal(argv[1], "b c");
	assert_string_equal(argv[2], "d \"e\"");
	assert_string_equal(argv[3], "fg hi");
	/* Shell syntax is just text: no expansion, no redirection. */
	assert_int_equal(proc_split("echo $HOME > /tmp/x; rm -rf /", buf, sizeof(buf), argv, NULL),
			 7);
	assert_string_equal(argv[1], "$HOME");
	assert_string_equal(argv[3], "/tmp/x;");
}

static void split_errors(void **state)
{
	(void)state;
	char buf[64];
	char *argv[PROC_MAX_ARGS + 1];
	df_detail_t d;
	assert_true(proc_split("a 'b", buf, sizeof(buf), argv, &d) < 0);
	assert_non_null(strstr(d.msg, "unbalanced ' quote"));
	assert_true(proc_split("   ", buf, sizeof(buf), argv, &d) < 0);
	assert_non_null(strstr(d.msg, "empty command"));
	char many[200] = "";
	for (int i = 0; i < 40; i++) {
		strcat(many, "x ");
	}
	char big[512];
	assert_true(proc_split(many, big, sizeof(big), argv, &d) < 0);
	assert_non_null(strstr(d.msg, "more than 32 words"));
	assert_true(
		proc_split("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   buf, sizeof(buf), argv, &d) < 0);
	assert_non_null(strstr(d.msg, "too long"));
}

static void exit_status_and_output(void **state)
{
	(void)state;
	char out[64];
	int status = -1;
	char *ok[] = {"sh", "-c", "echo hello; exit 3", NULL};
	assert_int_equal(proc_run(ok, 5000, &status, out, sizeof(out), NULL), DF_OK);
	assert_int_equal(status, 3);
	assert_string_equal(out, "hello\n");
	/* Output beyond the buffer is cut, not overrun. */
	char small[8];
	char *loud[] = {"sh", "-c", "printf 0123456789abcdef", NULL};
	assert_int_equal(proc_run(loud, 5000, &status, small, sizeof(small), NULL), DF_OK);
	assert_string_equal(small, "0123456");
}

static void missing_program(void **state)
{
	(void)state;
	char out[128];
	int status = 0;
	df_detail_t d;
	char *argv[] = {"/nonexistent/otelcol-init", "start", NULL};
	assert_int_equal(proc_run(argv, 5000, &status, out, sizeof(out), &d), DF_ENOENT);
	assert_non_null(strstr(d.msg, "cannot execute /nonexistent/otelcol-init"));
}

static void timeout_kills_the_group(void **state)
{
	(void)state;
	int status = 0;
	df_detail_t d;
	/* The child starts a grandchild; both must be gone after the timeout. */
	char *argv[] = {"sh", "-c", "sleep 30 & sleep 30", NULL};
	int64_t start = clock_mono_ms();
	assert_int_equal(proc_run(argv, 500, &status, NULL, 0, &d), DF_ETIMEDOUT);
	int64_t took = clock_mono_ms() - start;
	assert_true(took >= 500 && took < 3000);
	assert_non_null(strstr(d.msg, "did not finish within 0 s"));
	char *check[] = {"sh", "-c", "pgrep -f '^sleep 30$' >/dev/null && exit 1 || exit 0", NULL};
	assert_int_equal(proc_run(check, 5000, &status, NULL, 0, NULL), DF_OK);
	assert_int_equal(status, 0);
}

static void daemon_left_behind_does_not_hold_us(void **state)
{
	(void)state;
	int status = -1;
	char out[64];
	/* An init script's start: a daemon keeps our pipe open, the script exits. */
	char *argv[] = {"sh", "-c", "(sleep 3 &) ; echo started; exit 0", NULL};
	int64_t start = clock_mono_ms();
	assert_int_equal(proc_run(argv, 10000, &status, out, sizeof(out), NULL), DF_OK);
	assert_true(clock_mono_ms() - start < 2000);
	assert_int_equal(status, 0);
	assert_string_equal(out, "started\n");
}

/* The child side of clean_environment_and_descriptors: what it was given. */
static int report_child(void)
{
	extern char **environ;
	for (char **e = environ; *e != NULL; e++) {
		printf("env %s\n", *e);
	}
	DIR *dir = opendir("/proc/self/fd");
	if (dir == NULL) {
		printf("no /proc/self/fd\n");
		return 1;
	}
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(dir)) {
			printf("fd %s\n", de->d_name);
		}
	}
	closedir(dir);
	return 0;
}

/* Counts the lines of out that start with prefix. */
static int count_lines(const char *out, const char *prefix)
{
	int n = 0;
	size_t len = strlen(prefix);
	for (const char *p = out; *p != '\0';) {
		if (strncmp(p, prefix, len) == 0) {
			n++;
		}
		const char *nl = strchr(p, '\n');
		p = nl != NULL ? nl + 1 : p + strlen(p);
	}
	return n;
}

/*
 * A command gets no secret and none of our settings from the environment,
 * only PATH, LANG, LC_ALL and TZ, and no descriptor but 0, 1 and 2: not a
 * socket or file the daemon had open without close-on-exec.
 */
static void clean_environment_and_descriptors(void **state)
{
	(void)state;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_int_equal(setenv("TSIG_KEY", "hmac-sha256:k:c2VjcmV0c2VjcmV0", 1), 0);
	assert_int_equal(setenv("DNS_RECORD", "failover.example.com", 1), 0);
	assert_int_equal(setenv("HOME", "/root", 1), 0);
	assert_int_equal(setenv("LANG", "C.UTF-8", 1), 0);
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	unsetenv("LC_ALL");
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int file = open("/dev/null", O_RDONLY);
	assert_true(file >= 0);

	char out[4096];
	int status = -1;
	char *argv[] = {self, "--report-child", NULL};
	assert_int_equal(proc_run(argv, 5000, &status, out, sizeof(out), NULL), DF_OK);
	assert_int_equal(status, 0);
	close(sv[0]);
	close(sv[1]);
	close(file);
	if (count_lines(out, "env ") != 3 || count_lines(out, "fd ") != 3) {
		print_message("the command was given:\n%s", out);
	}

	assert_null(strstr(out, "TSIG_KEY"));
	assert_null(strstr(out, "c2VjcmV0c2VjcmV0"));
	assert_null(strstr(out, "DNS_RECORD"));
	assert_null(strstr(out, "HOME="));
	assert_non_null(strstr(out, "env PATH="));
	assert_non_null(strstr(out, "env LANG=C.UTF-8\n"));
	assert_non_null(strstr(out, "env TZ=UTC\n"));
	assert_int_equal(count_lines(out, "env "), 3);
	assert_non_null(strstr(out, "fd 0\n"));
	assert_non_null(strstr(out, "fd 1\n"));
	assert_non_null(strstr(out, "fd 2\n"));
	assert_int_equal(count_lines(out, "fd "), 3);
	unsetenv("TSIG_KEY");
	unsetenv("DNS_RECORD");
}

/* Without PATH in our environment, a command still gets a safe default. */
static void default_path(void **state)
{
	(void)state;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	char *saved = getenv("PATH") != NULL ? strdup(getenv("PATH")) : NULL;
	unsetenv("PATH");
	char out[4096];
	int status = -1;
	char *argv[] = {self, "--report-child", NULL};
	int ret = proc_run(argv, 5000, &status, out, sizeof(out), NULL);
	if (saved != NULL) {
		setenv("PATH", saved, 1);
		free(saved);
	}
	assert_int_equal(ret, DF_OK);
	assert_non_null(strstr(
		out, "env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"));
}

/* Reads fd to its end into buf (NUL-terminated). */
static void read_all(int fd, char *buf, size_t size)
{
	size_t used = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (used + 1 < size && poll(&p, 1, 5000) > 0) {
		ssize_t n = read(fd, buf + used, size - 1 - used);
		if (n <= 0) {
			break;
		}
		used += (size_t)n;
	}
	buf[used] = '\0';
}

/*
 * proc_spawn_env(): the variables given join the clean environment, stdout
 * and stderr come on pipes of their own, the program leads its own group.
 */
static void spawn_env_and_stderr(void **state)
{
	(void)state;
	char *argv[] = {"/bin/sh", "-c",
			"echo \"out $DNS_IP $DNS_TXT\"; echo \"err $HOME\" >&2; "
			"ps -o pgid= -p $$ | tr -d ' '",
			NULL};
	char *env[] = {"DNS_IP=192.0.2.20", "DNS_TXT=owner=dr exp=5 epoch=2", NULL};
	char out[512], err[512];
	pid_t pid;
	int out_fd, err_fd, status;
	df_detail_t d = {""};
	assert_int_equal(setenv("HOME", "/root", 1), 0);
	assert_int_equal(proc_spawn_env(argv, env, &pid, &out_fd, &err_fd, &d), DF_OK);
	read_all(out_fd, out, sizeof(out));
	read_all(err_fd, err, sizeof(err));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(out_fd);
	close(err_fd);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char want[128];
	snprintf(want, sizeof(want), "out 192.0.2.20 owner=dr exp=5 epoch=2\n%ld\n", (long)pid);
	assert_string_equal(out, want);
	assert_string_equal(err, "err \n"); /* HOME is not passed */
	assert_int_equal(proc_spawn_env(argv, env, &pid, &out_fd, NULL, &d), DF_EINVAL);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--report-child") == 0) {
		return report_child();
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_words_and_quotes),
		cmocka_unit_test(split_errors),
		cmocka_unit_test(exit_status_and_output),
		cmocka_unit_test(missing_program),
		cmocka_unit_test(timeout_kills_the_group),
		cmocka_unit_test(daemon_left_behind_does_not_hold_us),
		cmocka_unit_test(clean_environment_and_descriptors),
		cmocka_unit_test(default_path),
		cmocka_unit_test(spawn_env_and_stderr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
