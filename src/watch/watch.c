/*
 * The watcher backend factory, and the two backends that run programs:
 * `command` (start/stop/status commands, as init scripts on appliance VMs
 * provide) and `systemd` (a unit through systemctl). Both run without a
 * shell (src/proc.c) and bounded by WATCH_CMD_TIMEOUT.
 */
#include "src/watch/watch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/common/proc.h"

#define CMD_LINE_MAX 1024

enum { CMD_START, CMD_STOP, CMD_STATUS };

/* A program running on the loop for begin(). */
typedef struct cmd_op {
	bool busy;
	int verb; /* CMD_* */
	pid_t pid;
	int fd; /* its output */
	loop_child_t *child;
	loop_io_t *io;
	loop_timer_t *timer; /* WATCH_CMD_TIMEOUT, then the second for SIGKILL */
	bool timed_out;
	char output[512];
	size_t used;
	watch_done_cb done;
	void *arg;
} cmd_op_t;

typedef struct cmd_backend {
	watch_backend_t base;
	int timeout_ms;
	/* start, stop and status, each split into argv once. */
	char buf[3][CMD_LINE_MAX];
	char *argv[3][PROC_MAX_ARGS + 1];
	cmd_op_t op;
} cmd_backend_t;

static const char *const cmd_verbs[] = {"start", "stop", "status"};

static cmd_backend_t *cb_of(watch_backend_t *b)
{
	return (cmd_backend_t *)b;
}

/* Runs one of the commands; its exit status goes to *status. */
/*
 * What a finished program means for verb: its exit status (LSB for status:
 * 0 running; 1, 2, 3 not running (dead with pid file, dead with lock file,
 * stopped); 4 and above: the state is unknown), with the program's own
 * words kept in the message: they say what went wrong.
 */
static int verb_result(const cmd_backend_t *cb, int verb, int status, char *output, bool *running,
		       df_detail_t *d)
{
	output[strcspn(output, "\n")] = '\0';
	if (status != 0) {
		df_detail_set(d, "watcher %s: %s exited %d%s%s", cmd_verbs[verb], cb->argv[verb][0],
			      status, output[0] != '\0' ? ": " : "", output);
	}
	if (verb != CMD_STATUS) {
		return status == 0 ? DF_OK : DF_ERANGE;
	}
	if (status == 0 || (status >= 1 && status <= 3)) {
		*running = status == 0;
		return DF_OK;
	}
	return DF_ERANGE;
}

static int run_verb(cmd_backend_t *cb, int verb, bool *running, df_detail_t *d)
{
	char output[512];
	int status = 0;
	int ret = proc_run(cb->argv[verb], cb->timeout_ms, &status, output, sizeof(output), d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "watcher %s (%s)", cmd_verbs[verb], cb->argv[verb][0]);
		return ret;
	}
	return verb_result(cb, verb, status, output, running, d);
}

static int cmd_status(watch_backend_t *b, bool *running, df_detail_t *d)
{
	return run_verb(cb_of(b), CMD_STATUS, running, d);
}

static int cmd_act(watch_backend_t *b, int verb, df_detail_t *d)
{
	bool unused = false;
	return run_verb(cb_of(b), verb, &unused, d);
}

static int cmd_start(watch_backend_t *b, df_detail_t *d)
{
	return cmd_act(b, CMD_START, d);
}

static int cmd_stop(watch_backend_t *b, df_detail_t *d)
{
	return cmd_act(b, CMD_STOP, d);
}

/* ---- The same programs on the loop ---- */

static void op_close(cmd_op_t *op)
{
	loop_io_free(op->io);
	op->io = NULL;
	loop_timer_free(op->timer);
	op->timer = NULL;
	if (op->fd >= 0) {
		close(op->fd);
		op->fd = -1;
	}
	op->busy = false;
}

/* Keeps the first bytes of the program's output; EOF stops the watch. */
static void op_read(cmd_op_t *op)
{
	char chunk[512];
	for (int i = 0; i < 64; i++) {
		ssize_t n = read(op->fd, chunk, sizeof(chunk));
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				loop_io_free(op->io);
				op->io = NULL;
			}
			return;
		}
		proc_output_keep(op->output, sizeof(op->output), &op->used, chunk, (size_t)n);
	}
}

static void on_output(loop_io_t *io, int fd, unsigned events, void *arg)
{
	(void)io;
	(void)fd;
	(void)events;
	op_read(arg);
}

static const enum watch_verb to_watch_verb[] = {
	[CMD_START] = WATCH_START,
	[CMD_STOP] = WATCH_STOP,
	[CMD_STATUS] = WATCH_STATUS,
};

static void on_child_exit(loop_child_t *c, pid_t pid, int status, void *arg)
{
	(void)c;
	(void)pid;
	cmd_backend_t *cb = arg;
	cmd_op_t *op = &cb->op;
	df_detail_t d = {""};
	bool running = false;
	int ret;
	op->child = NULL;
	if (op->fd >= 0) {
		op_read(op); /* what it wrote before exiting */
	}
	if (op->timed_out) {
		df_detail_set(&d, "watcher %s (%s): %s did not finish within %d s: stopped it",
			      cmd_verbs[op->verb], cb->argv[op->verb][0], cb->argv[op->verb][0],
			      cb->timeout_ms / 1000);
		ret = DF_ETIMEDOUT;
	} else if (proc_exec_failed(status, op->output)) {
		df_detail_set(&d, "watcher %s (%s): %s", cmd_verbs[op->verb], cb->argv[op->verb][0],
			      op->output);
		ret = DF_ENOENT;
	} else {
		ret = verb_result(cb, op->verb, status, op->output, &running, &d);
	}
	int verb = op->verb;
	watch_done_cb done = op->done;
	void *done_arg = op->arg;
	op_close(op);
	done(done_arg, to_watch_verb[verb], ret, running, d.msg);
}

/* WATCH_CMD_TIMEOUT passed: SIGTERM to its group, SIGKILL a second later. */
static void on_timeout(loop_timer_t *t, void *arg)
{
	cmd_op_t *op = &((cmd_backend_t *)arg)->op;
	proc_kill_group(op->pid, op->timed_out ? SIGKILL : SIGTERM);
	if (!op->timed_out) {
		op->timed_out = true;
		loop_timer_arm(t, 1000, 0);
	}
}

static int cmd_begin(watch_backend_t *b, loop_t *loop, enum watch_verb verb, watch_done_cb done,
		     void *arg, df_detail_t *d)
{
	cmd_backend_t *cb = cb_of(b);
	cmd_op_t *op = &cb->op;
	int v = verb == WATCH_START ? CMD_START : verb == WATCH_STOP ? CMD_STOP : CMD_STATUS;
	if (op->busy) {
		df_detail_set(d, "watcher %s: another command is still running", cmd_verbs[v]);
		return DF_EINVAL;
	}
	memset(op, 0, sizeof(*op));
	op->fd = -1;
	int ret = proc_spawn(cb->argv[v], &op->pid, &op->fd, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "watcher %s (%s)", cmd_verbs[v], cb->argv[v][0]);
		return ret;
	}
	op->busy = true;
	op->verb = v;
	op->done = done;
	op->arg = arg;
	ret = loop_io_new(loop, &op->io, op->fd, LOOP_READ, on_output, op);
	if (ret == DF_OK) {
		ret = loop_timer_new(loop, &op->timer, on_timeout, cb);
	}
	if (ret == DF_OK) {
		ret = loop_child_watch(loop, &op->child, op->pid, on_child_exit, cb);
	}
	if (ret != DF_OK) {
		proc_kill_group(op->pid, SIGKILL);
		waitpid(op->pid, NULL, 0);
		op_close(op);
		df_detail_set(d, "watcher %s: cannot watch %s: %s", cmd_verbs[v], cb->argv[v][0],
			      df_strerror(ret));
		return ret;
	}
	loop_timer_arm(op->timer, cb->timeout_ms, 0);
	return DF_OK;
}

static void cmd_cancel(watch_backend_t *b)
{
	cmd_op_t *op = &cb_of(b)->op;
	if (!op->busy) {
		return;
	}
	/* Killed with all it started; reaped here (a killed group goes at once). */
	proc_kill_group(op->pid, SIGKILL);
	loop_child_cancel(op->child);
	op->child = NULL;
	waitpid(op->pid, NULL, 0);
	op_close(op);
}

static void cmd_free(watch_backend_t *b)
{
	cmd_cancel(b);
	free(b);
}

/* The two program backends differ only in their name and their commands. */
#define CMD_BACKEND_OPS(backend_name)                                                             \
	{                                                                                         \
		.name = backend_name, .status = cmd_status, .start = cmd_start, .stop = cmd_stop, \
		.begin = cmd_begin, .cancel = cmd_cancel, .free = cmd_free,                       \
	}

static const watch_backend_ops_t command_ops = CMD_BACKEND_OPS("command");
static const watch_backend_ops_t systemd_ops = CMD_BACKEND_OPS("systemd");

static int timeout_of(const config_t *cfg)
{
	uint32_t s = cfg->watch.cmd_timeout;
	return (int)(s > 0 ? s : 30) * 1000;
}

static int cmd_backend_new(watch_backend_t **out, const config_t *cfg,
			   const watch_backend_ops_t *ops, const char *const lines[3],
			   const char *const keys[3], df_detail_t *d)
{
	cmd_backend_t *cb = calloc(1, sizeof(*cb));
	if (cb == NULL) {
		return DF_ENOMEM;
	}
	cb->base.ops = ops;
	cb->base.cfg = cfg;
	cb->timeout_ms = timeout_of(cfg);
	for (int i = 0; i < 3; i++) {
		if (lines[i] == NULL || lines[i][0] == '\0') {
			df_detail_set(d, "WATCH_MODE=%s needs %s", ops->name, keys[i]);
			free(cb);
			return DF_ECONFIG;
		}
		int n = proc_split(lines[i], cb->buf[i], sizeof(cb->buf[i]), cb->argv[i], d);
		if (n < 0) {
			df_detail_prefix(d, "%s", keys[i]);
			free(cb);
			return DF_ECONFIG;
		}
	}
	*out = &cb->base;
	return DF_OK;
}

int watch_command_new(watch_backend_t **out, const config_t *cfg, df_detail_t *d)
{
	const char *const keys[3] = {"WATCH_START_CMD", "WATCH_STOP_CMD", "WATCH_STATUS_CMD"};
	const char *const lines[3] = {cfg->watch.start_cmd, cfg->watch.stop_cmd,
				      cfg->watch.status_cmd};
	int ret = cmd_backend_new(out, cfg, &command_ops, lines, keys, d);
	if (ret == DF_OK) {
		cmd_backend_t *cb = cb_of(*out);
		snprintf(cb->base.what, sizeof(cb->base.what), "commands of %s",
			 cb->argv[CMD_START][0]);
	}
	return ret;
}

int watch_systemd_new(watch_backend_t **out, const config_t *cfg, df_detail_t *d)
{
	const char *unit = cfg->watch.unit;
	const char *const keys[3] = {"WATCH_UNIT", "WATCH_UNIT", "WATCH_UNIT"};
	if (unit[0] == '\0' || strpbrk(unit, " \t'\"\\") != NULL) {
		df_detail_set(d, "WATCH_MODE=systemd needs WATCH_UNIT, a unit name such as "
				 "otelcol.service");
		return DF_ECONFIG;
	}
	char lines[3][300];
	snprintf(lines[0], sizeof(lines[0]), "systemctl start %s", unit);
	snprintf(lines[1], sizeof(lines[1]), "systemctl stop %s", unit);
	/* is-active exits 0 when active and 3 when inactive, as LSB status. */
	snprintf(lines[2], sizeof(lines[2]), "systemctl is-active --quiet %s", unit);
	const char *const ptrs[3] = {lines[0], lines[1], lines[2]};
	int ret = cmd_backend_new(out, cfg, &systemd_ops, ptrs, keys, d);
	if (ret == DF_OK) {
		snprintf((*out)->what, sizeof((*out)->what), "systemd unit %s", unit);
	}
	return ret;
}

/* The backends by WATCH_MODE: the one place a new backend is added. */
static const struct {
	enum config_watch_mode mode;
	int (*create)(watch_backend_t **out, const config_t *cfg, df_detail_t *d);
} backends[] = {
	{CONFIG_WATCH_DOCKER, watch_docker_new},
	{CONFIG_WATCH_KUBERNETES, watch_k8s_new},
	{CONFIG_WATCH_COMMAND, watch_command_new},
	{CONFIG_WATCH_SYSTEMD, watch_systemd_new},
};

int watch_backend_new(watch_backend_t **out, const config_t *cfg, df_detail_t *d)
{
	*out = NULL;
	if (cfg->watch.mode == CONFIG_WATCH_NONE) {
		return DF_OK;
	}
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (backends[i].mode == cfg->watch.mode) {
			return backends[i].create(out, cfg, d);
		}
	}
	df_detail_set(d, "WATCH_MODE %d has no backend in this build", (int)cfg->watch.mode);
	return DF_ECONFIG;
}

void watch_backend_free(watch_backend_t *b)
{
	if (b != NULL) {
		b->ops->free(b);
	}
}
