/* The providers' keys (TSIG_*, GSS_*, DRYRUN_STATEFILE), declared for the
 * configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t provider_config;
