/*
 * The VAULT_* keys: defaults, the checks of each value, what each login
 * method needs. Parsed with config_parse_text(), which runs no source, so
 * nothing here talks to a Vault.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "src/secrets/vault_conf.h"

#define BASE                                                            \
	"ROLE=primary\nDNS_PROVIDER=bind-tsig\nDNS_ZONE=example.test\n" \
	"DNS_RECORD=lease.example.test\nPRIMARY_IP=192.0.2.10\nDR_IP=192.0.2.20\n"

static const config_module_t *const mods[] = {&vault_config, NULL};
static config_t cfg;
static df_detail_t d;

static int parse(const char *extra)
{
	char text[2048];
	snprintf(text, sizeof(text), BASE "%s", extra);
	memset(&d, 0, sizeof(d));
	return config_parse_text(&cfg, mods, text, strlen(text), "v.env", &d);
}

static void expect_error(const char *extra, const char *needle)
{
	assert_int_equal(parse(extra), DF_ECONFIG);
	if (strstr(d.msg, needle) == NULL) {
		fail_msg("message \"%s\" lacks \"%s\"", d.msg, needle);
	}
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(""), DF_OK);
	assert_string_equal(cfg.vault.addr, "");
	assert_int_equal(cfg.vault.auth, CONFIG_VAULT_TOKEN);
	assert_string_equal(cfg.vault.mount, "secret");
	assert_string_equal(cfg.vault.key, "dns-failover");
	assert_string_equal(cfg.vault.k8s_jwt_path,
			    "/var/run/secrets/kubernetes.io/serviceaccount/token");
	/* The seed's example, as written. */
	assert_int_equal(parse("VAULT_ADDR=https://vault.example.com:8200\n"
			       "VAULT_AUTH_METHOD=approle\nVAULT_ROLE_ID=xxx\nVAULT_SECRET_ID=xxx\n"
			       "VAULT_MOUNT=secret\nVAULT_KEY=dns-failover\n"),
			 DF_OK);
	assert_string_equal(cfg.vault.role_id, "xxx");
	/* Any case for the method; nested mounts and keys. */
	assert_int_equal(parse("VAULT_ADDR=https://vault.example.com:8200\n"
			       "VAULT_AUTH_METHOD=AppRole\nVAULT_ROLE_ID=xxx\nVAULT_SECRET_ID=xxx\n"
			       "VAULT_MOUNT=kv/team\nVAULT_KEY=dns-failover/site.a\n"),
			 DF_OK);
	assert_int_equal(cfg.vault.auth, CONFIG_VAULT_APPROLE);
	assert_string_equal(cfg.vault.secret_id, "xxx");
	assert_string_equal(cfg.vault.mount, "kv/team");
}

static void test_checks(void **state)
{
	(void)state;
	expect_error("VAULT_ADDR=http://vault:8200\nVAULT_TOKEN=t\n",
		     "VAULT_ADDR=http://vault:8200 is not https");
	expect_error("VAULT_ADDR=vault:8200\n", "is not an http or https URL");
	expect_error("VAULT_MOUNT=secret//x\n", "VAULT_MOUNT=secret//x has an empty segment");
	expect_error("VAULT_KEY=/abs\n", "has an empty segment");
	expect_error("VAULT_KEY=a/../b\n", "VAULT_KEY=a/../b has a '.' or '..' segment");
	expect_error("VAULT_KEY=a b\n", "contains a character other than");
	expect_error("VAULT_KEY=a?x=1\n", "contains a character other than");
	expect_error("VAULT_AUTH_METHOD=ldap\n",
		     "VAULT_AUTH_METHOD=ldap is not a valid choice; expected one of token, "
		     "approle, kubernetes");
	expect_error("VAULT_TOKEN=hvs.a b\n", "VAULT_TOKEN contains a space (value not shown)");
	assert_null(strstr(d.msg, "hvs.a"));
	expect_error("VAULT_ROLE_ID=a b\n", "VAULT_ROLE_ID=a b contains a space");
}

static void test_methods_need(void **state)
{
	(void)state;
	expect_error("VAULT_ADDR=https://v:8200\n",
		     "VAULT_ADDR is set with VAULT_AUTH_METHOD=token but VAULT_TOKEN (or "
		     "VAULT_TOKEN_FILE) is not");
	expect_error("VAULT_ADDR=https://v:8200\nVAULT_AUTH_METHOD=approle\nVAULT_SECRET_ID=s\n",
		     "VAULT_AUTH_METHOD=approle needs VAULT_ROLE_ID and VAULT_SECRET_ID (or "
		     "VAULT_SECRET_ID_FILE); VAULT_ROLE_ID is not set");
	expect_error("VAULT_ADDR=https://v:8200\nVAULT_AUTH_METHOD=approle\nVAULT_ROLE_ID=r\n",
		     "VAULT_SECRET_ID is not set");
	expect_error("VAULT_ADDR=https://v:8200\nVAULT_AUTH_METHOD=kubernetes\n",
		     "VAULT_AUTH_METHOD=kubernetes needs VAULT_K8S_ROLE");
	assert_int_equal(parse("VAULT_ADDR=https://v:8200\nVAULT_AUTH_METHOD=kubernetes\n"
			       "VAULT_K8S_ROLE=dnsfailover\n"),
			 DF_OK);
	/* Without VAULT_ADDR the rest is not needed (a shell's VAULT_TOKEN alone). */
	assert_int_equal(parse("VAULT_AUTH_METHOD=approle\n"), DF_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_methods_need),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
