/* The f5-gtm provider's keys (F5_*), declared for the configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t f5_config;
