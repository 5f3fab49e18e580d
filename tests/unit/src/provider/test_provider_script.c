/*
 * Unit tests of the script provider: the reader of what SCRIPT_GET prints,
 * and read and swap through the blocking forms provider_read() and
 * provider_swap() (a private loop each) with small shell scripts written to
 * a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/common/clock.h"
#include "src/provider/provider.h"
#include "src/provider/provider_script.h"

static void test_parse(void **state)
{
	(void)state;
	script_output_t o;
	char why[256];
	const char *seed = "{\"A\": \"10.10.10.10\", \"TXT\": \"owner=primary exp=1699567890\"}\n";
	assert_int_equal(script_parse_output(seed, strlen(seed), &o, why, sizeof(why)), DF_OK);
	assert_true(o.has_a);
	assert_string_equal(o.a, "10.10.10.10");
	assert_true(o.has_txt);
	assert_string_equal(o.txt, "owner=primary exp=1699567890");
	/* Quoted as dig prints it: the same text. */
	const char *quoted = "{\"A\": \"192.0.2.1\", \"TXT\": \"\\\"owner=dr exp=5 epoch=2\\\"\"}";
	assert_int_equal(script_parse_output(quoted, strlen(quoted), &o, why, sizeof(why)), DF_OK);
	assert_string_equal(o.txt, "owner=dr exp=5 epoch=2");
	static const char *const absent[] = {"{}", "{\"A\": null, \"TXT\": null}",
					     "{\"A\": \"\", \"TXT\": \"\"}", " {\"x\": 1} "};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		assert_int_equal(
			script_parse_output(absent[i], strlen(absent[i]), &o, why, sizeof(why)),
			DF_OK);
		assert_false(o.has_a);
		assert_false(o.has_txt);
	}
	static const struct {
		const char *in;
		const char *says;
	} bad[] = {
		{"", "not JSON"},
		{"{\"A\": \"192.0.2.1\", \"TXT\": ", "not JSON"},
		{"[\"192.0.2.1\"]", "not a JSON object"},
		{"{\"A\": 17}", "\"A\" is not a string"},
		{"{\"A\": \"::1\"}", "\"A\" is not an IPv4 address: \"::1\""},
		{"{\"A\": \"192.0.2.1\\u0000\"}", "NUL"},
		{"{\"TXT\": \"\\\"open\"}", "\"TXT\" is not a TXT value"},
		{"{\"A\": \"192.0.2.1\", \"A\": \"192.0.2.2\"}", "not JSON"},
		{"{\"A\": \"\\u001b[31m\"}", "\\x1b"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = script_parse_output(bad[i].in, strlen(bad[i].in), &o, why, sizeof(why));
		if (ret != DF_EMALFORMED || strstr(why, bad[i].says) == NULL) {
			fail_msg("case %zu (%s): %d \"%s\"", i, bad[i].in, ret, why);
		}
		assert_false(o.has_a);
	}
}

typedef struct fixture {
	char dir[64];
	config_t cfg;
	provider_t *p;
} fixture_t;

static void write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	char path[200];
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_script.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* The lease in DIR/a and DIR/txt, as the seed's protocol passes it. */
	snprintf(path, sizeof(path), "%s/set", f->dir);
	write_script(path, "d=$1; shift\n"
			   "[ -e \"$d/set-fails\" ] && { echo 'no write for you' >&2; exit 3; }\n"
			   "echo \"$*|$DNS_TXT\" >>\"$d/set-log\"\n"
			   "echo \"$2\" >\"$d/a\"; echo \"$DNS_TXT\" >\"$d/txt\"\n");
	snprintf(path, sizeof(path), "%s/get", f->dir);
	write_script(path, "d=$1\n"
			   "printf '{\"A\": \"%s\", \"TXT\": \"%s\"}' \"$(cat $d/a 2>/dev/null)\" "
			   "\"$(cat $d/txt 2>/dev/null)\"\n");
	strcpy(f->cfg.provider, "script");
	strcpy(f->cfg.record, "lease.example.com.");
	strcpy(f->cfg.zone, "example.com.");
	f->cfg.dns_ttl = 60;
	f->cfg.script.timeout = 2;
	snprintf(f->cfg.script.set_cmd, sizeof(f->cfg.script.set_cmd), "%s/set %s", f->dir, f->dir);
	snprintf(f->cfg.script.get_cmd, sizeof(f->cfg.script.get_cmd), "%s/get %s", f->dir, f->dir);
	df_detail_t d = {""};
	assert_int_equal(provider_new(&f->p, &f->cfg, &d), DF_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	char cmd[128];
	provider_free(f->p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void next_value(lease_t *next, const char *owner, const char *a, uint64_t epoch)
{
	memset(next, 0, sizeof(*next));
	next->has_a = true;
	strcpy(next->a, a);
	strcpy(next->lease.owner, owner);
	next->lease.exp = 1768478520;
	next->lease.epoch = epoch;
	assert_int_equal(lease_value_format(next), DF_OK);
}

static void test_read_swap(void **state)
{
	fixture_t *f = *state;
	lease_t cur, next, stale;
	df_detail_t d = {""};
	assert_false(f->p->ops->atomic_cas);
	assert_non_null(f->p->ops->cas_note);
	assert_int_equal(provider_read(f->p, &cur, &d), DF_ENOTFOUND);

	next_value(&next, "primary", "192.0.2.10", 1);
	assert_int_equal(provider_swap(f->p, NULL, &next, &d), DF_OK);
	assert_int_equal(provider_read(f->p, &cur, &d), DF_OK);
	assert_true(cur.txt_valid);
	assert_string_equal(cur.a, "192.0.2.10");
	assert_string_equal(cur.txt, "owner=primary exp=1768478520 epoch=1");
	assert_memory_equal(cur.version.bytes, next.version.bytes, next.version.len);
	stale = cur;

	/* A write from the value just read, then one from the stale value. */
	next_value(&next, "dr", "192.0.2.20", 2);
	assert_int_equal(provider_swap(f->p, &cur, &next, &d), DF_OK);
	next_value(&next, "primary", "192.0.2.10", 3);
	assert_int_equal(provider_swap(f->p, &stale, &next, &d), DF_ECONFLICT);
	assert_non_null(strstr(d.msg, "the lease changed since it was read"));
	assert_int_equal(provider_read(f->p, &cur, &d), DF_OK);
	assert_string_equal(cur.lease.owner, "dr");

	/* A set script that fails: an unknown outcome, quoted. */
	char path[128];
	snprintf(path, sizeof(path), "%s/set-fails", f->dir);
	FILE *mark = fopen(path, "w");
	assert_non_null(mark);
	fclose(mark);
	next_value(&next, "dr", "192.0.2.20", 2);
	assert_int_equal(provider_swap(f->p, &cur, &next, &d), DF_EUNKNOWN);
	assert_non_null(strstr(d.msg, "exited with status 3"));
	assert_non_null(strstr(d.msg, "stderr: \"no write for you\""));
	unlink(path);
}

/* What SCRIPT_GET prints is capped; what it writes on stderr is quoted escaped. */
static void test_output_caps(void **state)
{
	fixture_t *f = *state;
	lease_t cur;
	df_detail_t d = {""};
	char path[128];
	snprintf(path, sizeof(path), "%s/get", f->dir);
	write_script(path, "head -c 100000 /dev/zero | tr '\\0' a\n");
	assert_int_equal(provider_read(f->p, &cur, &d), DF_ERCODE);
	assert_non_null(strstr(d.msg, "printed more than 65536 bytes"));
	write_script(path, "printf 'bad\\033[31m\\n' >&2; echo '{}'; exit 7\n");
	assert_int_equal(provider_read(f->p, &cur, &d), DF_ERCODE);
	assert_non_null(strstr(d.msg, "exited with status 7"));
	assert_non_null(strstr(d.msg, "stderr: \"bad\\x1b[31m\""));
	snprintf(path, sizeof(path), "%s/missing", f->dir);
	snprintf(f->cfg.script.get_cmd, sizeof(f->cfg.script.get_cmd), "%s", path);
	assert_int_equal(provider_read(f->p, &cur, &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "cannot be run: check the path"));
}

static void test_deadline(void **state)
{
	fixture_t *f = *state;
	lease_t cur;
	df_detail_t d = {""};
	char path[128];
	snprintf(path, sizeof(path), "%s/get", f->dir);
	write_script(path, "sleep 30\n");
	int64_t start = clock_mono_ms();
	f->p->deadline_ms = start + 300;
	assert_int_equal(provider_read(f->p, &cur, &d), DF_ETIMEDOUT);
	int64_t took = clock_mono_ms() - start;
	assert_true(took >= 300 && took < 2500);
	assert_non_null(strstr(d.msg, "killed it and its process group"));
	f->p->deadline_ms = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_read_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_caps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
