/*
 * Replays a fuzz target's seed corpus without libFuzzer, so that 'make check'
 * runs every target on its corpus under the sanitizers. With no arguments it
 * reads $top_srcdir/tests/fuzz/corpus/<program name>/; otherwise each
 * argument is a file or a directory of files.
 */
#include <dirent.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *bigger = realloc(buf, cap * 2);
			if (bigger == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf == NULL) {
		return 1;
	}
	/* Exact-size copy so ASan catches reads past the input. */
	uint8_t *exact = malloc(len > 0 ? len : 1);
	memcpy(exact, buf, len);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	free(buf);
	return 0;
}

static int run_path(const char *path, int *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "no such corpus: %s\n", path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	DIR *dir = opendir(path);
	if (dir == NULL) {
		return 1;
	}
	int ret = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		char child[4096];
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		ret |= run_path(child, count);
	}
	closedir(dir);
	return ret;
}

int main(int argc, char **argv)
{
	int ret = 0, count = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			ret |= run_path(argv[i], &count);
		}
	} else {
		const char *top = getenv("top_srcdir");
		char corpus[4096];
		snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus/%s", top != NULL ? top : ".",
			 basename(argv[0]));
		ret = run_path(corpus, &count);
	}
	if (count == 0) {
		fprintf(stderr, "no corpus inputs found\n");
		return 1;
	}
	printf("%d inputs replayed\n", count);
	return ret;
}
