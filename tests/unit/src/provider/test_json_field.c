/* json_field_str(): a string member is taken only when it is one and fits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "src/provider/json_field.h"

static json_t *load(const char *text)
{
	json_t *o = json_loads(text, JSON_ALLOW_NUL, NULL);
	assert_non_null(o);
	return o;
}

static void test_fits(void **state)
{
	(void)state;
	json_t *o = load("{\"id\": \"abcd\"}");
	char buf[5];
	assert_true(json_field_str(o, "id", buf, sizeof(buf)));
	assert_string_equal(buf, "abcd");
	json_decref(o);
}

static void test_refused_unchanged(void **state)
{
	(void)state;
	json_t *o = load("{\"long\": \"abcde\", \"nul\": \"a\\u0000b\", \"num\": 7, "
			 "\"null\": null, \"obj\": {}}");
	const char *keys[] = {"long", "nul", "num", "null", "obj", "missing"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char buf[5] = "keep";
		assert_false(json_field_str(o, keys[i], buf, sizeof(buf)));
		assert_string_equal(buf, "keep");
	}
	json_decref(o);
}

static void test_not_an_object(void **state)
{
	(void)state;
	json_t *a = load("[\"x\"]");
	char buf[8] = "keep";
	assert_false(json_field_str(a, "x", buf, sizeof(buf)));
	assert_false(json_field_str(NULL, "x", buf, sizeof(buf)));
	assert_string_equal(buf, "keep");
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_refused_unchanged),
		cmocka_unit_test(test_not_an_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
