/*
 * The watcher backend factory, and the two backends that run programs:
 * `command` (start/stop/status commands, as init scripts on appliance VMs
 * provide) and `systemd` (a unit through systemctl). Both run without a
 * shell (src/proc.c) and bounded by WATCH_CMD_TIMEOUT.
 */
#include "src/watch/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/log.h"
#include "src/common/proc.h"

#define CMD_LINE_MAX 1024

typedef struct cmd_backend {
	watch_backend_t base;
	int timeout_ms;
	/* start, stop and status, each split into argv once. */
	char buf[3][CMD_LINE_MAX];
	char *argv[3][PROC_MAX_ARGS + 1];
} cmd_backend_t;

enum { CMD_START, CMD_STOP, CMD_STATUS };

static const char *const cmd_verbs[] = {"start", "stop", "status"};

static cmd_backend_t *cb_of(watch_backend_t *b)
{
	return (cmd_backend_t *)b;
}

/* Runs one of the commands; its exit status goes to *status. */
static int run_verb(cmd_backend_t *cb, int verb, int *status, df_detail_t *d)
{
	char output[512];
	int ret = proc_run(cb->argv[verb], cb->timeout_ms, status, output, sizeof(output), d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "watcher %s (%s)", cmd_verbs[verb], cb->argv[verb][0]);
		return ret;
	}
	/* Keep the program's own words for the log: they say what went wrong. */
	output[strcspn(output, "\n")] = '\0';
	if (*status != 0) {
		df_detail_set(d, "watcher %s: %s exited %d%s%s", cmd_verbs[verb], cb->argv[verb][0],
			      *status, output[0] != '\0' ? ": " : "", output);
	}
	return DF_OK;
}

static int cmd_status(watch_backend_t *b, bool *running, df_detail_t *d)
{
	int status = 0;
	int ret = run_verb(cb_of(b), CMD_STATUS, &status, d);
	if (ret != DF_OK) {
		return ret;
	}
	/* LSB: 0 running; 1, 2, 3 not running (dead with pid file, dead with
	 * lock file, stopped); 4 and above: the state is unknown. */
	if (status == 0 || (status >= 1 && status <= 3)) {
		*running = status == 0;
		return DF_OK;
	}
	return DF_ERANGE;
}

static int cmd_act(watch_backend_t *b, int verb, df_detail_t *d)
{
	int status = 0;
	int ret = run_verb(cb_of(b), verb, &status, d);
	if (ret != DF_OK) {
		return ret;
	}
	return status == 0 ? DF_OK : DF_ERANGE;
}

static int cmd_start(watch_backend_t *b, df_detail_t *d)
{
	return cmd_act(b, CMD_START, d);
}

static int cmd_stop(watch_backend_t *b, df_detail_t *d)
{
	return cmd_act(b, CMD_STOP, d);
}

static void cmd_free(watch_backend_t *b)
{
	free(b);
}

static const watch_backend_ops_t command_ops = {
	.name = "command",
	.status = cmd_status,
	.start = cmd_start,
	.stop = cmd_stop,
	.free = cmd_free,
};

static const watch_backend_ops_t systemd_ops = {
	.name = "systemd",
	.status = cmd_status,
	.start = cmd_start,
	.stop = cmd_stop,
	.free = cmd_free,
};

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
