/* Unit tests for src/common/strbuf.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "src/common/strbuf.h"

static void test_build(void **state)
{
	(void)state;
	strbuf_t b = {0};
	strbuf_str(&b, "abc");
	strbuf_add(&b, "defgh", 2);
	assert_string_equal(b.s, "abcde");
	assert_int_equal(b.len, 5);
	/* Past the first allocation. */
	for (int i = 0; i < 1000; i++) {
		strbuf_str(&b, "x");
	}
	assert_int_equal(b.len, 1005);
	assert_int_equal(strlen(b.s), 1005);
	char *s = strbuf_take(&b);
	assert_non_null(s);
	assert_int_equal(strncmp(s, "abcdexx", 7), 0);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
	free(s);
	/* Nothing added: an empty string, not NULL. */
	s = strbuf_take(&b);
	assert_string_equal(s, "");
	free(s);
	strbuf_str(&b, "gone");
	strbuf_deinit(&b);
	assert_null(b.s);
}

static void test_failed(void **state)
{
	(void)state;
	strbuf_t b = {.failed = true};
	strbuf_str(&b, "ignored");
	assert_null(b.s);
	assert_null(strbuf_take(&b));
	assert_false(b.failed); /* taken: empty again */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_failed),
	};
	return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
