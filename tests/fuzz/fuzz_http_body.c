/*
 * HTTP answer bodies the watcher reads from the Docker Engine API and the
 * Kubernetes API: the inspect and Scale parsers and the error-message
 * reader, on any bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/http/http_client.h"
#include "src/watch/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[160], msg[256];
	bool running, paused;
	long long replicas;
	/* NUL-terminated, as http_request_body() leaves a body. */
	char *buf = malloc(size + 1);
	if (buf == NULL) {
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	watch_docker_parse_inspect(buf, size, &running, &paused, why, sizeof(why));
	watch_k8s_parse_scale(buf, size, &replicas, why, sizeof(why));
	http_client_message(buf, size, msg, sizeof(msg));
	/* The message goes to logs: no control byte may be left in it. */
	for (const char *p = msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			abort();
		}
	}
	free(buf);
	return 0;
}
