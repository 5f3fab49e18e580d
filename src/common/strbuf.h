/*
 * A growing, NUL-terminated string for building request bodies and
 * canonical forms. After an allocation failure it stays failed (every add
 * is ignored) and the caller checks once at the end.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct strbuf {
	char *s; /* NUL-terminated when not NULL; owned */
	size_t len, cap;
	bool failed; /* an allocation failed: s is NULL */
} strbuf_t;

/* Appends n bytes of s. */
void strbuf_add(strbuf_t *b, const void *s, size_t n);

/* Appends the string s. */
void strbuf_str(strbuf_t *b, const char *s);

/*
 * The string built ("" when nothing was added), handed to the caller, who
 * frees it with free(); NULL when an allocation failed. b is empty again.
 */
char *strbuf_take(strbuf_t *b);

/* Frees what b holds; b is empty again. */
void strbuf_deinit(strbuf_t *b);
