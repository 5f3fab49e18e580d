/*
 * Running a program without a shell, bounded in time: the watcher's
 * command and systemd backends start and stop the collector this way, so
 * nothing from the configuration is ever interpreted by a shell.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "src/common/error.h"

#define PROC_MAX_ARGS 32

/* PATH of a command when ours is unset or empty. */
#define PROC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * Splits a command line into words: white space separates, single quotes
 * keep everything literally, double quotes keep spaces (\" and \\ inside),
 * no variables, globbing or redirections. argv points into buf (size
 * bytes); returns the word count, or a negative error for unbalanced quotes
 * or too many words (d says which).
 */
int proc_split(const char *line, char *buf, size_t size, char *argv[PROC_MAX_ARGS + 1],
	       df_detail_t *d);

/*
 * Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null, and
 * waits at most timeout_ms. The program gets a clean environment: PATH
 * (ours, or PROC_DEFAULT_PATH when ours is unset or empty), and LANG,
 * LC_ALL and TZ when they are set; nothing else, so neither a secret nor a
 * setting of ours. It gets no descriptor but 0 (/dev/null), 1 and 2 (the
 * pipe we read). On timeout its process group gets SIGTERM, then SIGKILL a
 * second later, and DF_ETIMEDOUT is returned. *status is the exit
 * code (128 + signal when killed). The first bytes of its stdout and
 * stderr go to output (NUL-terminated, may be NULL).
 */
int proc_run(char *const argv[], int timeout_ms, int *status, char *output, size_t output_size,
	     df_detail_t *d);

/*
 * Starts argv as proc_run() does and returns at once: *pid is the child,
 * the leader of a process group of its own, and *out_fd (close-on-exec,
 * non-blocking; the caller closes it) reads what it writes on stdout and
 * stderr. The caller waits for it (e.g. loop_child_watch()). A program that
 * cannot be executed exits 127 after writing "cannot execute PROGRAM: why".
 */
int proc_spawn(char *const argv[], pid_t *pid, int *out_fd, df_detail_t *d);

/*
 * proc_spawn() with env (NULL-terminated "NAME=value" entries, may be NULL)
 * added to the clean environment, and stderr on a pipe of its own: *out_fd
 * reads stdout, *err_fd (close-on-exec, non-blocking; the caller closes it)
 * stderr. The "cannot execute" line goes to stderr.
 */
int proc_spawn_env(char *const argv[], char *const env[], pid_t *pid, int *out_fd, int *err_fd,
		   df_detail_t *d);

/* Whether a program that exited with status after writing output (its
 * first bytes) could not be executed at all (not found, not executable). */
bool proc_exec_failed(int status, const char *output);

/* Appends n bytes of chunk to output (size bytes, *used so far), as much as
 * fits, keeping it NUL-terminated: the first bytes of what a program wrote.
 * output may be NULL (nothing kept). */
void proc_output_keep(char *output, size_t size, size_t *used, const char *chunk, size_t n);

/* Sends signo to the process group that proc_spawn() made for pid. */
void proc_kill_group(pid_t pid, int signo);
