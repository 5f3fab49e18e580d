/*
 * KEY=VALUE lists for `dnsfailover setup`: its answer files and the env file
 * it reads defaults from and writes. Read as the config file reader reads
 * them (optional "export ", # comments, 'literal' and "escaped" values, a
 * " # comment" after an unquoted value, CRLF); kv_put_value() writes a value
 * so that both read it back unchanged.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define KV_MAX 256

/* Pairs in the order first seen; values may hold secrets. */
typedef struct kv_list {
	size_t n;
	char *key[KV_MAX];
	char *val[KV_MAX];
} kv_list_t;

/* Wipes the values and frees everything; l is empty afterwards. */
void kv_wipe(kv_list_t *l);

/* The value of key, or NULL. */
const char *kv_get(const kv_list_t *l, const char *key);

/* Sets key (replacing its value, keeping its place). DF_ERANGE past KV_MAX. */
int kv_set(kv_list_t *l, const char *key, const char *val);

/*
 * Adds the lines of text (len bytes, need not be NUL-terminated; a NUL ends
 * its line) to l. On a line that is not KEY=VALUE, or past KV_MAX, returns
 * an error and prints "label:line: ..." to stderr.
 */
int kv_parse(kv_list_t *l, const char *text, size_t len, const char *label);

/* kv_parse() of the file at path; a missing file is no error when optional. */
int kv_read(kv_list_t *l, const char *path, bool optional);

/* Writes v quoted as needed. */
void kv_put_value(FILE *f, const char *v);
