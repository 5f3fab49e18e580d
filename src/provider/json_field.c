#include "src/provider/json_field.h"

#include <string.h>

bool json_field_str(json_t *o, const char *key, char *buf, size_t size)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v)) {
		return false;
	}
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (len >= size || memchr(s, '\0', len) != NULL) {
		return false;
	}
	memcpy(buf, s, len + 1);
	return true;
}
