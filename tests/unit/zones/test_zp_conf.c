/* zonepushd's configuration: defaults, sections, and errors naming file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "zones/zp_conf.h"

static int parse(const char *text, zp_conf_t *c, df_detail_t *d)
{
	return zp_conf_parse(c, text, strlen(text), "zp.conf", d);
}

static void good(void **state)
{
	(void)state;
	static zp_conf_t c;
	df_detail_t d;
	const char *t = "# comment\n"
			"user = da\n"
			"password_file = /etc/zonepushd/password\n"
			"retry_schedule = 1, 2,3\n"
			"\n"
			"[backend ns-1]\n"
			"type = bind\n"
			"zones_dir = \"/etc/named/zones\"\n"
			"[backend off]\n"
			"type = rfc2136\n"
			"enabled = no\n";
	assert_int_equal(parse(t, &c, &d), DF_OK);
	assert_string_equal(c.listen, "127.0.0.1:2222");
	assert_string_equal(c.state_db, "/var/lib/zonepushd/queue.db");
	assert_int_equal(c.nschedule, 3);
	assert_int_equal(c.schedule[2], 3);
	assert_int_equal(c.heal_interval, 900);
	assert_true(c.cluster_owner);
	assert_int_equal(c.nbackends, 2);
	assert_string_equal(c.backends[0].name, "ns-1");
	assert_string_equal(zp_kv_get(&c.backends[0], "zones_dir", NULL), "/etc/named/zones");
	assert_false(c.backends[1].enabled);
	assert_int_equal(zp_kv_check_unused(&c.backends[0], &d), DF_OK);
	/* the default schedule */
	assert_int_equal(parse("user=a\npassword_file=/p\n[backend x]\ntype=bind\n", &c, &d),
			 DF_OK);
	assert_int_equal(c.nschedule, 5);
	assert_int_equal(c.schedule[4], 1800);
}

static void expect(const char *text, const char *msg)
{
	static zp_conf_t c;
	df_detail_t d = {{0}};
	assert_int_equal(parse(text, &c, &d), DF_ECONFIG);
	if (strstr(d.msg, msg) == NULL) {
		fail_msg("\"%s\" lacks \"%s\"", d.msg, msg);
	}
}

static void errors_name_the_line(void **state)
{
	(void)state;
	expect("user = a\nlisten_on = x\n", "zp.conf:2: unknown key \"listen_on\"");
	expect("user = a\npassword = hunter2\n", "zp.conf:2: password: the password is not kept");
	expect("user = a\npassword_file = /p\nretry_schedule = 30,x\n",
	       "zp.conf:3: retry_schedule");
	expect("user = a\npassword_file = /p\n[backend a]\ntype=bind\n[backend a]\n",
	       "zp.conf:5: section a defined twice");
	expect("user = a\npassword_file = /p\n[backend a]\n", "zp.conf:3: backend a has no type");
	expect("user = a\npassword_file = /p\n", "no enabled backend");
	expect("password_file = /p\n[backend a]\ntype=bind\n", "user is required");
	expect("user = a:b\n", "zp.conf:1: user");
	expect("user = a\n[oops]\n", "zp.conf:2: expected a section");
	expect("user = a\njust words\n", "zp.conf:2: expected key = value");
	expect("user = a\npassword_file = /p\ntls_cert = /c\n[backend a]\ntype=bind\n",
	       "tls_cert and tls_key go together");
	expect("user = a\npassword_file = /p\n[master bad_host]\n",
	       "zp.conf:3: expected a section");
	expect("user = a\npassword_file = /p\nreconcile_interval = x\n",
	       "zp.conf:3: reconcile_interval");
	static zp_conf_t c;
	df_detail_t d = {{0}};
	/* a master section: its keys, type and enabled included, are its own */
	assert_int_equal(
		parse("user=a\npassword_file=/p\nreconcile_interval=60\n[master DA1.Example.NET]\n"
		      "url=https://da1.example.net:2222\ntype=x\n[backend b]\ntype=bind\n",
		      &c, &d),
		DF_OK);
	assert_int_equal(c.nmasters, 1);
	assert_string_equal(c.masters[0].name, "da1.example.net");
	assert_true(c.masters[0].master);
	assert_string_equal(zp_kv_get(&c.masters[0], "type", NULL), "x");
	assert_int_equal(c.reconcile_interval, 60);
	assert_int_equal(parse("user=a\npassword_file=/p\n[backend a]\ntype=bind\nfoo=1\n", &c, &d),
			 DF_OK);
	assert_int_equal(zp_kv_check_unused(&c.backends[0], &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "zp.conf:5: unknown key \"foo\" for backend a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good),
		cmocka_unit_test(errors_name_the_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
