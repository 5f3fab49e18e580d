#include "src/metrics/metrics_conf.h"

static const config_key_t keys[] = {
	{.name = "METRICS_LISTEN",
	 .type = CONFIG_STR,
	 CONFIG_FIELD(metrics_listen),
	 .help = "host:port of the /metrics and /healthz endpoint (empty: off)"},
};

const config_module_t metrics_config = {
	.name = "metrics",
	.keys = keys,
	.count = sizeof(keys) / sizeof(keys[0]),
	.relate = NULL,
};
