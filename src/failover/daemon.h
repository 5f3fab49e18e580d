/*
 * `dnsfailover run`: the lease-holding loop of both roles. One event loop
 * (epoll over a tick timerfd, a step-down timerfd and a signalfd); every
 * tick reads the lease, health-checks the primary when that matters, and
 * writes at most one compare-and-swap, all bounded so that the site steps
 * down on time even when DNS does not answer.
 */
#pragma once

#include <stdbool.h>

typedef struct daemon_opts {
	const char *config_path; /* NULL: environment only */
	char *const *envp;
	bool daemonize;	     /* fork into the background (init scripts) */
	const char *pidfile; /* written once running; NULL: none */
} daemon_opts_t;

/* Runs until SIGTERM or SIGINT; returns the process exit code. */
int daemon_run(const daemon_opts_t *opts);
