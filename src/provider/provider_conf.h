/* The providers' keys (TSIG_*, GSS_*, DRYRUN_STATEFILE), declared for the
 * configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t provider_config;

/* true/false (also yes/no, 1/0, on/off) for a CONFIG_ENUM stored as 1 or 0:
 * the *_VERIFY_SSL keys. */
extern const config_choice_t provider_bool_choices[];
