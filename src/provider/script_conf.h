/* The script provider's keys (SCRIPT_*), declared for the configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t script_config;
