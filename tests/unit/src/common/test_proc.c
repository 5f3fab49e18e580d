/* Running programs without a shell: splitting, exit codes, output, time bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "src/common/clock.h"
#include "src/common/proc.h"

static void split_words_and_quotes(void **state)
{
	(void)state;
	char buf[256];
	char *argv[PROC_MAX_ARGS + 1];
	assert_int_equal(proc_split("  /etc/init.d/otelcol   start ", buf, sizeof(buf), argv, NULL),
			 2);
	assert_string_equal(argv[0], "/etc/init.d/otelcol");
	assert_string_equal(argv[1], "start");
	assert_null(argv[2]);
	assert_int_equal(
		proc_split("a 'b c' \"d \\\"e\\\"\" f'g h'i", buf, sizeof(buf), argv, NULL), 4);
	assert_string_equal(argv[1], "b c");
	assert_string_equal(argv[2], "d \"e\"");
	assert_string_equal(argv[3], "fg hi");
	/* Shell syntax is just text: no expansion, no redirection. */
	assert_int_equal(proc_split("echo $HOME > /tmp/x; rm -rf /", buf, sizeof(buf), argv, NULL),
			 7);
	assert_string_equal(argv[1], "$HOME");
	assert_string_equal(argv[3], "/tmp/x;");
}

static void split_errors(void **state)
{
	(void)state;
	char buf[64];
	char *argv[PROC_MAX_ARGS + 1];
	df_detail_t d;
	assert_true(proc_split("a 'b", buf, sizeof(buf), argv, &d) < 0);
	assert_non_null(strstr(d.msg, "unbalanced ' quote"));
	assert_true(proc_split("   ", buf, sizeof(buf), argv, &d) < 0);
	assert_non_null(strstr(d.msg, "empty command"));
	char many[200] = "";
	for (int i = 0; i < 40; i++) {
		strcat(many, "x ");
	}
	char big[512];
	assert_true(proc_split(many, big, sizeof(big), argv, &d) < 0);
	assert_non_null(strstr(d.msg, "more than 32 words"));
	assert_true(
		proc_split("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   buf, sizeof(buf), argv, &d) < 0);
	assert_non_null(strstr(d.msg, "too long"));
}

static void exit_status_and_output(void **state)
{
	(void)state;
	char out[64];
	int status = -1;
	char *ok[] = {"sh", "-c", "echo hello; exit 3", NULL};
	assert_int_equal(proc_run(ok, 5000, &status, out, sizeof(out), NULL), DF_OK);
	assert_int_equal(status, 3);
	assert_string_equal(out, "hello\n");
	/* Output beyond the buffer is cut, not overrun. */
	char small[8];
	char *loud[] = {"sh", "-c", "printf 0123456789abcdef", NULL};
	assert_int_equal(proc_run(loud, 5000, &status, small, sizeof(small), NULL), DF_OK);
	assert_string_equal(small, "0123456");
}

static void missing_program(void **state)
{
	(void)state;
	char out[128];
	int status = 0;
	df_detail_t d;
	char *argv[] = {"/nonexistent/otelcol-init", "start", NULL};
	assert_int_equal(proc_run(argv, 5000, &status, out, sizeof(out), &d), DF_ENOENT);
	assert_non_null(strstr(d.msg, "cannot execute /nonexistent/otelcol-init"));
}

static void timeout_kills_the_group(void **state)
{
	(void)state;
	int status = 0;
	df_detail_t d;
	/* The child starts a grandchild; both must be gone after the timeout. */
	char *argv[] = {"sh", "-c", "sleep 30 & sleep 30", NULL};
	int64_t start = clock_mono_ms();
	assert_int_equal(proc_run(argv, 500, &status, NULL, 0, &d), DF_ETIMEDOUT);
	int64_t took = clock_mono_ms() - start;
	assert_true(took >= 500 && took < 3000);
	assert_non_null(strstr(d.msg, "did not finish within 0 s"));
	char *check[] = {"sh", "-c", "pgrep -f '^sleep 30$' >/dev/null && exit 1 || exit 0", NULL};
	assert_int_equal(proc_run(check, 5000, &status, NULL, 0, NULL), DF_OK);
	assert_int_equal(status, 0);
}

static void daemon_left_behind_does_not_hold_us(void **state)
{
	(void)state;
	int status = -1;
	char out[64];
	/* An init script's start: a daemon keeps our pipe open, the script exits. */
	char *argv[] = {"sh", "-c", "(sleep 3 &) ; echo started; exit 0", NULL};
	int64_t start = clock_mono_ms();
	assert_int_equal(proc_run(argv, 10000, &status, out, sizeof(out), NULL), DF_OK);
	assert_true(clock_mono_ms() - start < 2000);
	assert_int_equal(status, 0);
	assert_string_equal(out, "started\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_words_and_quotes),
		cmocka_unit_test(split_errors),
		cmocka_unit_test(exit_status_and_output),
		cmocka_unit_test(missing_program),
		cmocka_unit_test(timeout_kills_the_group),
		cmocka_unit_test(daemon_left_behind_does_not_hold_us),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
