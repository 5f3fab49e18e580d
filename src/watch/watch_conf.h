/* The watcher's keys (MY_IP, OTEL_*, WATCH_*, DOCKER_HOST, K8S_*), declared
 * for the configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t watch_config;
