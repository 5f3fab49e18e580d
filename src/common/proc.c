#include "src/common/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/common/clock.h"

/* What a child that could not execute its program writes before exiting 127. */
#define EXEC_FAILED "cannot execute"

int proc_split(const char *line, char *buf, size_t size, char *argv[PROC_MAX_ARGS + 1],
	       df_detail_t *d)
{
	size_t out = 0;
	int argc = 0;
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		if (argc == PROC_MAX_ARGS) {
			df_detail_set(d, "command '%s' has more than %d words", line,
				      PROC_MAX_ARGS);
			return DF_ERANGE;
		}
		argv[argc++] = buf + out;
		char quote = 0;
		while (*p != '\0' && (quote != 0 || (*p != ' ' && *p != '\t'))) {
			char c = *p++;
			if (quote == 0 && (c == '\'' || c == '"')) {
				quote = c;
				continue;
			}
			if (quote == c) {
				quote = 0;
				continue;
			}
			if (quote == '"' && c == '\\' && (*p == '"' || *p == '\\')) {
				c = *p++;
			}
			if (out + 2 > size) {
				df_detail_set(d, "command '%s' is too long", line);
				return DF_ENOSPACE;
			}
			buf[out++] = c;
		}
		if (quote != 0) {
			df_detail_set(d, "command '%s' has an unbalanced %c quote", line, quote);
			return DF_EINVAL;
		}
		buf[out++] = '\0';
	}
	argv[argc] = NULL;
	if (argc == 0) {
		df_detail_set(d, "empty command");
		return DF_EINVAL;
	}
	return argc;
}

void proc_output_keep(char *output, size_t size, size_t *used, const char *chunk, size_t n)
{
	if (output != NULL && *used + 1 < size) {
		size_t take = n < size - 1 - *used ? n : size - 1 - *used;
		memcpy(output + *used, chunk, take);
		*used += take;
		output[*used] = '\0';
	}
}

/*
 * Keeps the first bytes the child writes and waits for it to exit. Output is
 * not read to EOF: an init script that starts a daemon leaves our pipe open
 * in that daemon, so the child's exit is what ends the wait.
 */
static int wait_child(pid_t pid, int fd, char *output, size_t size, int64_t deadline, int *status)
{
	size_t used = 0;
	bool open_fd = true;
	for (;;) {
		int ws;
		pid_t r = waitpid(pid, &ws, WNOHANG);
		if (r == pid) {
			*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			/* Whatever it wrote before exiting is there to read now. */
			char chunk[512];
			ssize_t n;
			/* Bounded: a daemon it left behind may write on and on. */
			for (int i = 0;
			     open_fd && i < 64 && (n = read(fd, chunk, sizeof(chunk))) > 0; i++) {
				proc_output_keep(output, size, &used, chunk, (size_t)n);
			}
			return DF_OK;
		}
		if (r < 0 && errno != EINTR) {
			return -errno;
		}
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0) {
			return DF_ETIMEDOUT;
		}
		struct pollfd pfd = {.fd = open_fd ? fd : -1, .events = POLLIN};
		/* Short naps: no signal tells us the child exited. */
		int n = poll(&pfd, 1, left < 20 ? (int)left : 20);
		if (n > 0 && open_fd) {
			char chunk[512];
			ssize_t got = read(fd, chunk, sizeof(chunk));
			if (got > 0) {
				proc_output_keep(output, size, &used, chunk, (size_t)got);
			} else if (got == 0) {
				open_fd = false;
			}
		}
	}
}

static int reap(pid_t pid, int64_t deadline, int *status)
{
	for (;;) {
		int ws;
		pid_t r = waitpid(pid, &ws, WNOHANG);
		if (r == pid) {
			*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			return DF_OK;
		}
		if (r < 0 && errno != EINTR) {
			return -errno;
		}
		if (clock_mono_ms() >= deadline) {
			return DF_ETIMEDOUT;
		}
		usleep(10 * 1000);
	}
}

/* What a command finds in its environment: see proc.h. */
#define CHILD_ENV_MAX 5

/*
 * Fills env (CHILD_ENV_MAX slots) with the entries of our environment that a
 * command may see, pointing into environ: nothing is allocated, so the child
 * only has to assign it after fork().
 */
static void child_env(char *env[CHILD_ENV_MAX])
{
	static const char *const pass[] = {"LANG", "LC_ALL", "TZ"};
	static char default_path[] = "PATH=" PROC_DEFAULT_PATH;
	size_t n = 0;
	char *path = NULL;
	for (char **e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "PATH=", 5) == 0) {
			if (path == NULL && (*e)[5] != '\0') {
				path = *e;
			}
			continue;
		}
		for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
			size_t len = strlen(pass[i]);
			if (strncmp(*e, pass[i], len) == 0 && (*e)[len] == '=') {
				bool seen = false;
				for (size_t j = 0; j < n; j++) {
					seen = seen || strncmp(env[j], *e, len + 1) == 0;
				}
				if (!seen) {
					env[n++] = *e; /* the first wins, as with getenv() */
				}
			}
		}
	}
	env[n++] = path != NULL ? path : default_path;
	env[n] = NULL;
}

/* In the child: closes every descriptor above stderr. Async-signal-safe. */
static void close_from_3(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) {
		return;
	}
#endif
	/* Kernels before 5.9. */
	struct rlimit rl;
	int max = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		max = rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
	}
	for (int fd = 3; fd < max; fd++) {
		close(fd);
	}
}

/*
 * Starts argv in a process group of its own, stdin from /dev/null, stdout
 * and stderr into a pipe whose read end (close-on-exec, non-blocking) goes to
 * *out_fd.
 */
static int spawn(char *const argv[], char *const extra_env[], pid_t *out_pid, int *out_fd,
		 int *err_fd, df_detail_t *d)
{
	int pipefd[2], errpipe[2] = {-1, -1};
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		int err = errno;
		df_detail_set(d, "cannot run %s: %s", argv[0], strerror(err));
		return -err;
	}
	if (err_fd != NULL && pipe2(errpipe, O_CLOEXEC) != 0) {
		int err = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		df_detail_set(d, "cannot run %s: %s", argv[0], strerror(err));
		return -err;
	}
	size_t extra = 0;
	while (extra_env != NULL && extra_env[extra] != NULL) {
		extra++;
	}
	/* Allocated before fork(): the child only assigns it. */
	char **env = malloc((CHILD_ENV_MAX + extra) * sizeof(*env));
	if (env == NULL) {
		close(pipefd[0]);
		close(pipefd[1]);
		if (errpipe[0] >= 0) {
			close(errpipe[0]);
			close(errpipe[1]);
		}
		return DF_ENOMEM;
	}
	child_env(env);
	size_t n = 0;
	while (env[n] != NULL) {
		n++;
	}
	for (size_t i = 0; i < extra; i++) {
		env[n++] = extra_env[i];
	}
	env[n] = NULL;
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		free(env);
		close(pipefd[0]);
		close(pipefd[1]);
		if (errpipe[0] >= 0) {
			close(errpipe[0]);
			close(errpipe[1]);
		}
		df_detail_set(d, "cannot run %s: %s", argv[0], strerror(err));
		return -err;
	}
	if (pid == 0) {
		/* Its own process group, so a timeout ends whatever it started. */
		setpgid(0, 0);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
		}
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(errpipe[1] >= 0 ? errpipe[1] : pipefd[1], STDERR_FILENO);
		/* Only 0-2: no socket, lock or key file of ours, close-on-exec or not. */
		close_from_3();
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* execvp() looks argv[0] up in this PATH too. */
		environ = env; /* declared by <unistd.h> with _GNU_SOURCE */
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, EXEC_FAILED " %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	free(env);
	setpgid(pid, pid);
	close(pipefd[1]);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	if (errpipe[0] >= 0) {
		close(errpipe[1]);
		fcntl(errpipe[0], F_SETFL, O_NONBLOCK);
		*err_fd = errpipe[0];
	}
	*out_pid = pid;
	*out_fd = pipefd[0];
	return DF_OK;
}

bool proc_exec_failed(int status, const char *output)
{
	return status == 127 && strncmp(output, EXEC_FAILED, sizeof(EXEC_FAILED) - 1) == 0;
}

int proc_spawn(char *const argv[], pid_t *pid, int *out_fd, df_detail_t *d)
{
	if (argv == NULL || argv[0] == NULL || pid == NULL || out_fd == NULL) {
		return DF_EINVAL;
	}
	return spawn(argv, NULL, pid, out_fd, NULL, d);
}

int proc_spawn_env(char *const argv[], char *const env[], pid_t *pid, int *out_fd, int *err_fd,
		   df_detail_t *d)
{
	if (argv == NULL || argv[0] == NULL || pid == NULL || out_fd == NULL || err_fd == NULL) {
		return DF_EINVAL;
	}
	return spawn(argv, env, pid, out_fd, err_fd, d);
}

void proc_kill_group(pid_t pid, int signo)
{
	if (pid > 0) {
		kill(-pid, signo);
	}
}

int proc_run(char *const argv[], int timeout_ms, int *status, char *output, size_t output_size,
	     df_detail_t *d)
{
	pid_t pid;
	int fd;
	if (output != NULL && output_size > 0) {
		output[0] = '\0';
	}
	int64_t deadline = clock_mono_ms() + timeout_ms;
	int ret = spawn(argv, NULL, &pid, &fd, NULL, d);
	if (ret != DF_OK) {
		return ret;
	}
	ret = wait_child(pid, fd, output, output_size, deadline, status);
	close(fd);
	if (ret == DF_ETIMEDOUT) {
		kill(-pid, SIGTERM);
		if (reap(pid, clock_mono_ms() + 1000, status) != DF_OK) {
			kill(-pid, SIGKILL);
			reap(pid, clock_mono_ms() + 1000, status);
		}
		df_detail_set(d, "%s did not finish within %d s: stopped it", argv[0],
			      timeout_ms / 1000);
		return DF_ETIMEDOUT;
	}
	if (ret == DF_OK && output != NULL && proc_exec_failed(*status, output)) {
		df_detail_set(d, "%s", output);
		return DF_ENOENT;
	}
	return ret;
}
