#include "src/watch/watch_conf.h"

#include <stdbool.h>
#include <stdio.h>

static const config_choice_t modes[] = {
	{"docker", CONFIG_WATCH_DOCKER},
	{"kubernetes", CONFIG_WATCH_KUBERNETES},
	{"command", CONFIG_WATCH_COMMAND},
	{"systemd", CONFIG_WATCH_SYSTEMD},
	{NULL, 0},
};
static const config_choice_t dns_failure[] = {
	{"stop", CONFIG_DNS_FAILURE_STOP},
	{"keep", CONFIG_DNS_FAILURE_KEEP},
	{NULL, 0},
};

/* clang-format off */
static const config_key_t keys[] = {
	{.name = "MY_IP", .type = CONFIG_IP, CONFIG_FIELD(watch.my_ip),
		.help = "watcher: this site's address"},
	{.name = "OTEL_CONTAINER", .type = CONFIG_STR, CONFIG_FIELD(watch.container),
		.help = "watcher: Docker container to start and stop"},
	{.name = "OTEL_CHECK_INTERVAL", CONFIG_SECONDS(1, 86400), .scale = 1000, .def = "15",
		CONFIG_FIELD(watch.check_interval_ms), .help = "watcher: seconds between DNS checks"},
	{.name = "OTEL_NAMESPACE", .type = CONFIG_STR, CONFIG_FIELD(watch.k8s_namespace),
		.help = "watcher: Kubernetes namespace"},
	{.name = "OTEL_DEPLOYMENT", .type = CONFIG_STR, CONFIG_FIELD(watch.k8s_deployment),
		.help = "watcher: Kubernetes deployment"},
	{.name = "OTEL_REPLICAS_ACTIVE", .type = CONFIG_UINT, .def = "1",
		CONFIG_FIELD(watch.replicas_active), .min = 0, .max = 1000,
		.help = "watcher: replicas where this site is active"},
	{.name = "OTEL_REPLICAS_INACTIVE", .type = CONFIG_UINT, .def = "0",
		CONFIG_FIELD(watch.replicas_inactive), .min = 0, .max = 1000,
		.help = "watcher: replicas where it is not"},
	{.name = "WATCH_MODE", .type = CONFIG_ENUM, CONFIG_FIELD(watch.mode), .choices = modes,
		.help = "watcher backend: docker, kubernetes, command or systemd (empty: none)"},
	{.name = "WATCH_ON_DNS_FAILURE", .type = CONFIG_ENUM, .def = "stop",
		CONFIG_FIELD(watch.on_dns_failure), .choices = dns_failure,
		.help = "watcher: stop or keep the collector when DNS cannot be read"},
	{.name = "DOCKER_HOST", .type = CONFIG_STR, .def = "/var/run/docker.sock",
		CONFIG_FIELD(watch.docker_host),
		.help = "watcher: Docker Engine API unix socket (path or unix://path)"},
	{.name = "K8S_API_URL", .type = CONFIG_URL, CONFIG_FIELD(watch.k8s_api_url),
		.help = "watcher: Kubernetes API server (default: in-cluster)"},
	{.name = "K8S_TOKEN_FILE", .type = CONFIG_STR,
		.def = "/var/run/secrets/kubernetes.io/serviceaccount/token",
		CONFIG_FIELD(watch.k8s_token_file),
		.help = "watcher: bearer token file for the Kubernetes API"},
	{.name = "K8S_CA_FILE", .type = CONFIG_STR,
		.def = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
		CONFIG_FIELD(watch.k8s_ca_file),
		.help = "watcher: CA bundle of the Kubernetes API server"},
	{.name = "WATCH_START_CMD", .type = CONFIG_STR, CONFIG_FIELD(watch.start_cmd),
		.help = "watcher: command that starts the collector (run without a shell)"},
	{.name = "WATCH_STOP_CMD", .type = CONFIG_STR, CONFIG_FIELD(watch.stop_cmd),
		.help = "watcher: command that stops the collector"},
	{.name = "WATCH_STATUS_CMD", .type = CONFIG_STR, CONFIG_FIELD(watch.status_cmd),
		.help = "watcher: command that exits 0 while the collector runs"},
	{.name = "WATCH_CMD_TIMEOUT", CONFIG_SECONDS(1, 3600), .def = "30",
		CONFIG_FIELD(watch.cmd_timeout),
		.help = "watcher: seconds a start/stop/status command may take"},
	{.name = "WATCH_UNIT", .type = CONFIG_STR, CONFIG_FIELD(watch.unit),
		.help = "watcher: systemd unit of the collector"},
};
/* clang-format on */

static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	/* The standalone watcher reads the A record and compares it with MY_IP;
	 * the existing watcher took DR_IP in its place. */
	if (config_watch_only(ctx) && c->watch.my_ip[0] == '\0') {
		if (c->dr_ip[0] == '\0') {
			df_detail_set(d, "watch needs MY_IP, this site's address (the A record is "
					 "compared with it); DR_IP is accepted in its place");
			return DF_ECONFIG;
		}
		snprintf(c->watch.my_ip, sizeof(c->watch.my_ip), "%s", c->dr_ip);
	}
	/* The existing watcher had no WATCH_MODE: OTEL_CONTAINER meant Docker,
	 * OTEL_DEPLOYMENT Kubernetes. `run` keeps requiring WATCH_MODE. */
	if (config_watch_only(ctx) && c->watch.mode == CONFIG_WATCH_NONE) {
		bool docker = c->watch.container[0] != '\0';
		bool k8s = c->watch.k8s_deployment[0] != '\0';
		if (docker && k8s) {
			df_detail_set(d, "both OTEL_CONTAINER and OTEL_DEPLOYMENT are set and "
					 "WATCH_MODE is not: set WATCH_MODE=docker or "
					 "WATCH_MODE=kubernetes");
			return DF_ECONFIG;
		}
		if (docker) {
			c->watch.mode = CONFIG_WATCH_DOCKER;
		} else if (k8s) {
			c->watch.mode = CONFIG_WATCH_KUBERNETES;
		}
	}
	return DF_OK;
}

const config_module_t watch_config = {
	.name = "watch",
	.keys = keys,
	.count = sizeof(keys) / sizeof(keys[0]),
	.relate = relate,
};
