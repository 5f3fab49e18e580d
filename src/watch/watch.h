/*
 * Watcher backends: the few verbs the watcher needs to run the collector
 * where this site is active and stop it where it is not. Each backend
 * reports the real state first, so the watcher acts only on a change and
 * never restarts a collector someone started by hand.
 *
 * Every call is bounded in time (the backend's own timeout) and explains a
 * failure in df_detail_t: which container, deployment, unit or command,
 * what the API or program said, and what to do.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "src/conf/config.h"
#include "src/common/error.h"
#include "src/loop/loop.h"

typedef struct watch_backend watch_backend_t;

enum watch_verb { WATCH_STATUS, WATCH_START, WATCH_STOP };

/*
 * The end of an operation begun with begin(): ret is DF_OK or the error, msg
 * says why (borrowed for the call), running is the state found (status).
 */
typedef void (*watch_done_cb)(void *arg, enum watch_verb verb, int ret, bool running,
			      const char *msg);

typedef struct watch_backend_ops {
	const char *name; /* "docker", "kubernetes", "command", "systemd" */
	/* *running: the collector runs (Docker: State.Running; Kubernetes:
	 * spec.replicas == OTEL_REPLICAS_ACTIVE; command: status exits 0). */
	int (*status)(watch_backend_t *b, bool *running, df_detail_t *d);
	int (*start)(watch_backend_t *b, df_detail_t *d);
	int (*stop)(watch_backend_t *b, df_detail_t *d);
	/*
	 * The same verbs without blocking the loop: begins verb and returns
	 * at once; done runs later, in loop, exactly once, unless cancel()
	 * ends the operation first. One operation at a time. DF_OK, or an
	 * error (d says why) when it could not begin; done is then not
	 * called. NULL for a backend that only has the blocking calls, which
	 * are bounded by the backend's own timeouts.
	 */
	int (*begin)(watch_backend_t *b, loop_t *loop, enum watch_verb verb, watch_done_cb done,
		     void *arg, df_detail_t *d);
	/* Ends the operation in flight at once (a program is killed with its
	 * process group); its done is not called. Harmless when none is. */
	void (*cancel)(watch_backend_t *b);
	/* Cancels what is in flight, then frees b. */
	void (*free)(watch_backend_t *b);
} watch_backend_ops_t;

#define WATCH_WHAT_MAX 400

struct watch_backend {
	const watch_backend_ops_t *ops;
	const config_t *cfg; /* borrowed, must outlive the backend */
	/* What the collector is, in the log's words, set by the constructor:
	 * "docker container otel-collector", "deployment otel/collector",
	 * "systemd unit otelcol.service", "commands of /etc/init.d/otelcol". */
	char what[WATCH_WHAT_MAX];
	/*
	 * 0 (as the constructors leave it): every call of the Docker and
	 * Kubernetes backends has the backend's own bounds. Otherwise the
	 * connect and the whole of every call are bounded by this many
	 * milliseconds, so that a test of a silent server is quick.
	 */
	long timeout_ms;
};

/* The backend named by WATCH_MODE; *out is NULL (and DF_OK) when it is empty. */
int watch_backend_new(watch_backend_t **out, const config_t *cfg, df_detail_t *d);
void watch_backend_free(watch_backend_t *b);

/*
 * The backends' answer parsers, pure so they can be fuzzed: the Docker
 * inspect body's State.Running and State.Paused, and a Kubernetes Scale
 * object's spec.replicas (absent = 0, as autoscaling/v1 omits a zero).
 * DF_OK, or DF_EMALFORMED with why filled.
 */
int watch_docker_parse_inspect(const char *body, size_t len, bool *running, bool *paused, char *why,
			       size_t why_size);
int watch_k8s_parse_scale(const char *body, size_t len, long long *replicas, char *why,
			  size_t why_size);

/* Constructors, called by watch_backend_new(). They validate their keys. */
int watch_docker_new(watch_backend_t **out, const config_t *cfg, df_detail_t *d);
int watch_k8s_new(watch_backend_t **out, const config_t *cfg, df_detail_t *d);
int watch_command_new(watch_backend_t **out, const config_t *cfg, df_detail_t *d);
int watch_systemd_new(watch_backend_t **out, const config_t *cfg, df_detail_t *d);
