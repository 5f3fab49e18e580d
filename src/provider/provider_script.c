/* placeholder */
#include "src/provider/provider.h"
int provider_script_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	(void)out;
	(void)cfg;
	df_detail_set(d, "script: not yet");
	return DF_ECONFIG;
}
