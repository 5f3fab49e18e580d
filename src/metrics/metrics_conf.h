/* The metrics listener's key (METRICS_LISTEN), declared for the configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t metrics_config;
