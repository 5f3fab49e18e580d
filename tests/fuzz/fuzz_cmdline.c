/* WATCH_*_CMD lines split into argv without a shell, on any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[2048], buf[1024];
	char *argv[PROC_MAX_ARGS + 1];
	if (size >= sizeof(line)) {
		size = sizeof(line) - 1;
	}
	memcpy(line, data, size);
	line[size] = '\0';
	int n = proc_split(line, buf, sizeof(buf), argv, NULL);
	/* Every word must lie inside buf and be terminated. */
	for (int i = 0; i < n; i++) {
		if (argv[i] < buf || argv[i] >= buf + sizeof(buf) ||
		    memchr(argv[i], '\0', (size_t)(buf + sizeof(buf) - argv[i])) == NULL) {
			abort();
		}
	}
	if (n >= 0 && argv[n] != NULL) {
		abort();
	}
	return 0;
}
