#include "src/common/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/common/clock.h"

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

static void keep(char *output, size_t size, size_t *used, const char *chunk, size_t n)
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
				keep(output, size, &used, chunk, (size_t)n);
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
				keep(output, size, &used, chunk, (size_t)got);
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

/*
 * Starts argv in a process group of its own, stdin from /dev/null, stdout
 * and stderr into a pipe whose read end (close-on-exec, non-blocking) goes to
 * *out_fd.
 */
static int spawn(char *const argv[], pid_t *out_pid, int *out_fd, df_detail_t *d)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		int err = errno;
		df_detail_set(d, "cannot run %s: %s", argv[0], strerror(err));
		return -err;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(pipefd[0]);
		close(pipefd[1]);
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
		dup2(pipefd[1], STDERR_FILENO);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot execute %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(pipefd[1]);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	*out_pid = pid;
	*out_fd = pipefd[0];
	return DF_OK;
}

int proc_spawn(char *const argv[], pid_t *pid, int *out_fd, df_detail_t *d)
{
	if (argv == NULL || argv[0] == NULL || pid == NULL || out_fd == NULL) {
		return DF_EINVAL;
	}
	return spawn(argv, pid, out_fd, d);
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
	int ret = spawn(argv, &pid, &fd, d);
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
	if (ret == DF_OK && *status == 127 && output != NULL &&
	    strncmp(output, "cannot execute", 14) == 0) {
		df_detail_set(d, "%s", output);
		return DF_ENOENT;
	}
	return ret;
}
