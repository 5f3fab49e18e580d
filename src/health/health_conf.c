#include "src/health/health_conf.h"
#include "src/health/prom.h"

#include <stdio.h>

enum { HK_MODE, HK_HOST, HK_PORT, HK_TIMEOUT, HK_URL, HK_METRIC, HK_STALE_COUNT, HK_COUNT };

static const config_choice_t health_modes[] = {
	{"tcp", CONFIG_HEALTH_TCP},
	{"metrics", CONFIG_HEALTH_METRICS},
	{NULL, 0},
};

/* A metric name, optionally with a label selector: the parser the check
 * uses decides, so the configuration and the check never disagree. */
static const char *metric_check(const char *v, char *expect, size_t esize)
{
	prom_selector_t sel;
	if (prom_selector_parse(&sel, v, NULL) == DF_OK) {
		return NULL;
	}
	snprintf(expect, esize,
		 "a Prometheus metric name, [a-zA-Z_:][a-zA-Z0-9_:]*, optionally with labels: "
		 "name{label=\"value\"}");
	return "is not a metric name or selector";
}

/* clang-format off */
static const config_key_t keys[HK_COUNT] = {
	[HK_MODE] = {.name = "HEALTH_MODE", .type = CONFIG_ENUM, .def = "tcp",
		CONFIG_FIELD(health_mode), .choices = health_modes,
		.help = "tcp (connect) or metrics (Prometheus counter grows)"},
	[HK_HOST] = {.name = "HEALTH_HOST", .type = CONFIG_HOST, CONFIG_FIELD(health_host),
		.help = "host for tcp checks (default: PRIMARY_IP)"},
	[HK_PORT] = {.name = "HEALTH_PORT", .type = CONFIG_PORT, .def = "4317",
		CONFIG_FIELD(health_port), .min = 1, .max = 65535, .help = "port for tcp checks"},
	[HK_TIMEOUT] = {.name = "HEALTH_TIMEOUT", CONFIG_SECONDS(1, 300), .def = "2",
		CONFIG_FIELD(health_timeout), .help = "health check timeout, seconds"},
	[HK_URL] = {.name = "HEALTH_URL", .type = CONFIG_URL, CONFIG_FIELD(health_url),
		.help = "metrics URL (HEALTH_MODE=metrics)"},
	[HK_METRIC] = {.name = "HEALTH_METRIC", .type = CONFIG_STR,
		.def = "otelcol_receiver_accepted_metric_points_total",
		CONFIG_FIELD(health_metric), .check = metric_check,
		.help = "counter that must keep growing"},
	[HK_STALE_COUNT] = {.name = "HEALTH_STALE_COUNT", .type = CONFIG_UINT, .def = "3",
		CONFIG_FIELD(health_stale_count), .min = 1, .max = 1000,
		.help = "flat readings before the metric counts as failed"},
};
/* clang-format on */

static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	char at[640];
	if (c->role == CONFIG_ROLE_DR && c->health_mode == CONFIG_HEALTH_METRICS &&
	    c->health_url[0] == '\0' && !config_watch_only(ctx)) {
		df_detail_set(d,
			      "HEALTH_MODE=metrics (%s) on ROLE=dr needs HEALTH_URL, e.g. "
			      "http://%s:8888/metrics",
			      config_where(ctx, &keys[HK_MODE], at, sizeof(at)), c->primary_ip);
		return DF_ECONFIG;
	}
	/* HEALTH_HOST defaults to PRIMARY_IP, the address the DR site watches. */
	if (c->health_host[0] == '\0') {
		snprintf(c->health_host, sizeof(c->health_host), "%s", c->primary_ip);
	}
	return DF_OK;
}

const config_module_t health_config = {
	.name = "health",
	.keys = keys,
	.count = HK_COUNT,
	.relate = relate,
};
