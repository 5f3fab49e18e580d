/*
 * zonepushd: the DirectAdmin Extra-DNS endpoint (DESIGN section 10). The
 * request handler answers DA from the queue; the workers replicate.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "src/http/http_server.h"
#include "zones/zp_conf.h"
#include "zones/zp_queue.h"
#include "zones/zp_reconcile.h"
#include "zones/zp_worker.h"

typedef struct zp_daemon {
	zp_conf_t conf;
	zp_queue_t *q; /* the endpoint's connection (the server thread's) */
	zp_worker_t workers[ZP_BACKENDS_MAX];
	size_t nworkers;
	zp_wake_t wake;
	http_server_t *http;
	zp_reconciler_t rec;
	_Atomic uint64_t push_queued, push_unchanged, push_invalid, deletes, deletes_refused,
		auth_failures, requests;
	_Atomic uint64_t push_latency_us_sum, push_latency_count;
} zp_daemon_t;

/* The request handler (http_handler_fn). arg is a zp_daemon_t. */
void zp_handle(void *arg, const http_sreq_t *req, http_response_t *resp);

/* The Prometheus page; malloc()ed. */
char *zp_metrics_render(zp_daemon_t *zd, size_t *len);

/* The program: `zonepushd [-c FILE] [-n]`, `zonepushd [-c FILE] status`. */
int zonepushd_main(int argc, char **argv);
