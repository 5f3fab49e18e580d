/*
 * HTTP answer bodies the watcher reads from the Docker Engine API and the
 * Kubernetes API: the inspect and Scale parsers and the error-message
 * reader, on any bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/http/http_reply.h"
#include "src/watch/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[160], msg[256];
	bool running, paused;
	long long replicas;
	/* The reply buffer is NUL-terminated as http_reply_collect() leaves it. */
	http_reply_t r = {.status = 500, .buf = malloc(size + 1), .len = size};
	if (r.buf == NULL) {
		return 0;
	}
	memcpy(r.buf, data, size);
	r.buf[size] = '\0';
	watch_docker_parse_inspect(r.buf, r.len, &running, &paused, why, sizeof(why));
	watch_k8s_parse_scale(r.buf, r.len, &replicas, why, sizeof(why));
	http_reply_message(&r, msg, sizeof(msg));
	free(r.buf);
	return 0;
}
