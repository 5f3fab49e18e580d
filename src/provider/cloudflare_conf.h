/* The cloudflare provider's keys (CLOUDFLARE_*), declared for the configuration. */
#pragma once

#include "src/conf/config.h"

/* Cloudflare's smallest TTL, and the value that means "automatic". */
#define CLOUDFLARE_TTL_MIN  60
#define CLOUDFLARE_TTL_AUTO 1

extern const config_module_t cloudflare_config;
