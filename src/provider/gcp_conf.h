/* The gcp-dns provider's keys (GCP_*), declared for the configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t gcp_config;
