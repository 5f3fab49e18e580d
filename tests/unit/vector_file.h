/*
 * For the unit tests: one sample of tests/vectors/ (found through
 * VECTORS_DIR, which make check sets), read whole.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

/* tests/vectors/DIR/NAME, NUL-terminated, *len bytes; the caller frees it.
 * Fails the test when it cannot be read. */
static inline char *vector_file(const char *dir, const char *name, size_t *len)
{
	const char *top = getenv("VECTORS_DIR");
	char path[4096];
	if (top == NULL) {
		fail_msg("VECTORS_DIR is not set: run through 'make check'");
	}
	snprintf(path, sizeof(path), "%s/%s/%s", top, dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fail_msg("cannot open %s", path);
	}
	char *buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}
