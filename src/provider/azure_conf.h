/* The azure-dns provider's keys (AZURE_*), declared for the configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t azure_config;
