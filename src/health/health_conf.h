/* The health check's keys (HEALTH_*), declared for the configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t health_config;
