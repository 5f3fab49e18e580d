/* The modules whose keys dnsfailover knows, besides the core keys. */
#pragma once

#include "src/conf/config.h"

/* NULL-terminated, for config_load() and the other config_* calls. */
extern const config_module_t *const failover_config_modules[];
