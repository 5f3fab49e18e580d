#include "src/provider/script_conf.h"

#include <stdio.h>
#include <string.h>

#include "src/common/proc.h"

enum { SK_SET, SK_GET, SK_TIMEOUT, SK_COUNT };

/* clang-format off */
static const config_key_t keys[SK_COUNT] = {
	[SK_SET] = {.name = "SCRIPT_SET", .type = CONFIG_STR, CONFIG_FIELD(script.set_cmd),
		.help = "script: program that writes the lease, called as PROGRAM record ip "
			"owner expiry ttl zone (run without a shell)"},
	[SK_GET] = {.name = "SCRIPT_GET", .type = CONFIG_STR, CONFIG_FIELD(script.get_cmd),
		.help = "script: program that prints the lease as {\"A\": ..., \"TXT\": ...}, "
			"called as PROGRAM record zone"},
	[SK_TIMEOUT] = {.name = "SCRIPT_TIMEOUT", CONFIG_SECONDS(1, 3600), .def = "10",
		CONFIG_FIELD(script.timeout),
		.help = "script: seconds SCRIPT_SET or SCRIPT_GET may run before it is killed"},
};
/* clang-format on */

/* The command of key: set, and split into words the way it will be run. */
static int check_cmd(const config_ctx_t *ctx, const config_key_t *key, const char *cmd,
		     df_detail_t *d)
{
	char buf[CONFIG_CMD_MAX], where[640];
	char *argv[PROC_MAX_ARGS + 1];
	df_detail_t why = {""};
	if (cmd[0] == '\0') {
		df_detail_set(d,
			      "DNS_PROVIDER=script needs %s, the program that %s (run without a "
			      "shell, e.g. %s=/usr/local/bin/%s)",
			      key->name,
			      key == &keys[SK_SET]
				      ? "writes the lease A and TXT"
				      : "prints the lease as {\"A\": ..., \"TXT\": ...}",
			      key->name, key == &keys[SK_SET] ? "set_dns.sh" : "get_dns.sh");
		return DF_ECONFIG;
	}
	if (proc_split(cmd, buf, sizeof(buf), argv, &why) <= 0) {
		df_detail_set(d, "%s (%s): %s", key->name,
			      config_where(ctx, key, where, sizeof(where)),
			      why.msg[0] != '\0' ? why.msg : "no program named");
		return DF_ECONFIG;
	}
	return DF_OK;
}

static int relate(config_t *c, const config_ctx_t *ctx, df_detail_t *d)
{
	if (strcmp(c->provider, "script") != 0) {
		return DF_OK;
	}
	int ret = check_cmd(ctx, &keys[SK_SET], c->script.set_cmd, d);
	if (ret == DF_OK) {
		ret = check_cmd(ctx, &keys[SK_GET], c->script.get_cmd, d);
	}
	return ret;
}

const config_module_t script_config = {
	.name = "script",
	.keys = keys,
	.count = SK_COUNT,
	.relate = relate,
};
