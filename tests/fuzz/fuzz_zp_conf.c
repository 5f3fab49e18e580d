/*
 * zonepushd's configuration reader on any bytes: it accepts or names a
 * reason; an accepted configuration has a user, a password file and an
 * enabled backend with a type, and a sane retry schedule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/zp_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static zp_conf_t c;
	df_detail_t d = {{0}};
	int ret = zp_conf_parse(&c, (const char *)data, size, "fuzz.conf", &d);
	if (ret != DF_OK) {
		if (d.msg[0] == '\0') {
			abort();
		}
		return 0;
	}
	if (c.user[0] == '\0' || c.password_file[0] == '\0' || c.nbackends == 0 ||
	    c.nschedule == 0 || c.nschedule > ZP_QUEUE_SCHEDULE_MAX) {
		abort();
	}
	for (size_t i = 0; i < c.nbackends; i++) {
		if (c.backends[i].type[0] == '\0') {
			abort();
		}
		(void)zp_kv_check_unused(&c.backends[i], &d);
	}
	return 0;
}
