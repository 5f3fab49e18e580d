/* The VAULT_* keys, and the keys of the Vault secret over the file and the environment. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t vault_config;
