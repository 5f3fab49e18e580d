/*
 * Members of the JSON answers the REST providers read (jansson), taken only
 * when they have the expected type and fit the caller's buffer.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The string member key of o copied into buf (NUL-terminated) when it is a
 * string that fits in size bytes and holds no NUL; false otherwise, buf
 * unchanged.
 */
bool json_field_str(json_t *o, const char *key, char *buf, size_t size);
