#include "src/failover/config_modules.h"
#include "src/health/health_conf.h"
#include "src/metrics/metrics_conf.h"
#include "src/provider/azure_conf.h"
#include "src/provider/cloudflare_conf.h"
#include "src/provider/gcp_conf.h"
#include "src/provider/f5_conf.h"
#include "src/provider/infoblox_conf.h"
#include "src/provider/provider_conf.h"
#include "src/provider/route53_conf.h"
#include "src/secrets/vault_conf.h"
#include "src/provider/script_conf.h"
#include "src/watch/watch_conf.h"

/* The order keys are listed in (config_key_at()), after the core keys. */
const config_module_t *const failover_config_modules[] = {
	&provider_config,
	&route53_config,
	&cloudflare_config,
	&gcp_config,
	&azure_config,
	&script_config,
	&infoblox_config,
	&f5_config,
	&health_config,
	&watch_config,
	&metrics_config,
	&vault_config,
	NULL,
};
