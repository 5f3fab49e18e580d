/* The infoblox provider's keys (INFOBLOX_*), declared for the configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t infoblox_config;
