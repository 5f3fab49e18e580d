/*
 * Unit tests for src/common/log.c: bytes from the network rendered for a log
 * line (log_escape), and the log line itself, which must stay one line
 * whatever a message holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/log.h"

static const char *esc(char *buf, size_t size, const char *s, size_t len)
{
	return log_escape(buf, size, s, len);
}

static void test_escape_bytes(void **state)
{
	(void)state;
	char buf[128];
	/* Printable ASCII is kept as it is. */
	assert_string_equal(esc(buf, sizeof(buf), "owner=dr exp=1 epoch=2", 22),
			    "owner=dr exp=1 epoch=2");
	/* CR, LF and ESC, the bytes that forge a line or drive a terminal. */
	assert_string_equal(esc(buf, sizeof(buf), "a\r\nb\x1b[2J", 8), "a\\x0d\\x0ab\\x1b[2J");
	/* Every other control byte, DEL, and bytes above ASCII. */
	assert_string_equal(esc(buf, sizeof(buf), "\x01\t\x7f\x80\xc3\xa9\xff", 7),
			    "\\x01\\x09\\x7f\\x80\\xc3\\xa9\\xff");
	/* A NUL inside the bytes is shown, not the end of them. */
	assert_string_equal(esc(buf, sizeof(buf), "a\0b", 3), "a\\x00b");
	/* A backslash is doubled, so that "\x0a" in the text cannot pass for an escape. */
	assert_string_equal(esc(buf, sizeof(buf), "\\x0a", 4), "\\\\x0a");
	/* len bounds the input. */
	assert_string_equal(esc(buf, sizeof(buf), "abcdef", 3), "abc");
	assert_string_equal(esc(buf, sizeof(buf), "", 0), "");
	assert_string_equal(esc(buf, sizeof(buf), NULL, 0), "");
	assert_string_equal(esc(buf, sizeof(buf), NULL, 5), "");
	/* The result is the buffer. */
	assert_ptr_equal(esc(buf, sizeof(buf), "x", 1), buf);
}

static void test_escape_bounded(void **state)
{
	(void)state;
	char buf[64];
	/* Exactly enough room. */
	assert_string_equal(esc(buf, 7, "abcdef", 6), "abcdef");
	assert_string_equal(esc(buf, 5, "\r", 1), "\\x0d");
	/* Too little: cut between whole bytes, marked with "...". */
	assert_string_equal(esc(buf, 8, "abcdefghij", 10), "abcd...");
	assert_string_equal(esc(buf, 11, "\r\r\r", 3), "\\x0d...");
	assert_string_equal(esc(buf, 8, "ab\\\\\\", 5), "ab\\\\...");
	assert_string_equal(esc(buf, 9, "ab\\\\\\", 5), "ab\\\\\\\\\\\\");
	/* Smaller than the marker: what fits, still terminated. */
	assert_string_equal(esc(buf, 3, "abcdef", 6), "ab");
	assert_string_equal(esc(buf, 3, "\r", 1), "");
	assert_string_equal(esc(buf, 1, "abc", 3), "");
	/* Nothing at all is written into no room. */
	buf[0] = 'z';
	assert_ptr_equal(esc(buf, 0, "abc", 3), buf);
	assert_int_equal(buf[0], 'z');
	/* LOG_ESCAPE_SIZE(n) always holds n bytes rendered. */
	char big[LOG_ESCAPE_SIZE(16)];
	char in[16];
	memset(in, '\n', sizeof(in));
	esc(big, sizeof(big), in, sizeof(in));
	assert_int_equal(strlen(big), 4 * sizeof(in));
	assert_null(strstr(big, "..."));
}

/* What the log wrote to stderr for one call. */
static void logged(char *out, size_t size, void (*fn)(const char *fmt, ...), const char *text)
{
	char path[] = "/tmp/test_log.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	fn("%s", text);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	ssize_t n = pread(fd, out, size - 1, 0);
	assert_true(n >= 0);
	out[n] = '\0';
	close(fd);
	unlink(path);
}

static void test_line_stays_one_line(void **state)
{
	(void)state;
	char out[1024];
	/* A message that slipped through with a raw line break or escape
	 * sequence still makes one line: the log cannot be forged. */
	logged(out, sizeof(out), log_info,
	       "x\r\n[2026-01-01 00:00:00] [INFO] FAILOVER: Promoted DR to active, "
	       "A=1.2.3.4\x1b[0m");
	char *nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');
	assert_null(strchr(out, '\r'));
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, "] [INFO] x\\x0d\\x0a[2026-01-01"));
	/* An ordinary message is written as it is. */
	logged(out, sizeof(out), log_warn, "Lease renewed, expires at 5 (50%, \\ \"q\")");
	assert_non_null(strstr(out, "] [WARN] Lease renewed, expires at 5 (50%, \\ \"q\")\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_bytes),
		cmocka_unit_test(test_escape_bounded),
		cmocka_unit_test(test_line_stays_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
