/*
 * Fills a metrics registry with non-trivial values and prints its page to
 * stdout, for `promtool check metrics` (tests/system/test_metrics_promtool.sh).
 *
 *   metrics_dump          prints metrics_render()
 *   metrics_dump --http   serves the registry on 127.0.0.1 (a free port),
 *                         scrapes /metrics with libcurl from a child process
 *                         while this process runs the listener's loop, and
 *                         prints the body the scrape received
 *
 * Exits 0 on success, 1 with a message on stderr otherwise.
 */
#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "src/metrics/metrics.h"
#include "src/metrics/metrics_http.h"

#define SCRAPE_DEADLINE_MS 10000

static void fill(metrics_t *m)
{
	metrics_set_active(m, true);
	metrics_set_lease(m, 1769571600, 7, "dr");
	for (int i = 0; i < 42; i++) {
		metrics_count_renewal(m, "ok");
	}
	metrics_count_renewal(m, "conflict");
	metrics_count_renewal(m, "error");
	metrics_count_renewal(m, "error");
	for (int i = 0; i < 100; i++) {
		metrics_count_health(m, true);
	}
	metrics_count_health(m, false);
	metrics_count_failover(m);
	metrics_count_step_down(m, "deadline");
	metrics_count_step_down(m, "shutdown");
	metrics_set_clock_skew(m, -2);
	metrics_set_update_latency(m, 0.0421);
	metrics_count_watcher_action(m, "start", "ok");
	metrics_count_watcher_action(m, "stop", "error");
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child: GET url, body to stdout. */
static int scrape(const char *url)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "metrics_dump: curl_global_init failed\n");
		return 1;
	}
	CURL *c = curl_easy_init();
	int code = 1;
	if (c == NULL) {
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	char *type = NULL;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
	if (rc != CURLE_OK) {
		fprintf(stderr, "metrics_dump: GET %s: %s\n", url, curl_easy_strerror(rc));
	} else if (status != 200) {
		fprintf(stderr, "metrics_dump: GET %s: HTTP %ld\n", url, status);
	} else if (type == NULL || strcmp(type, "text/plain; version=0.0.4; charset=utf-8") != 0) {
		fprintf(stderr, "metrics_dump: GET %s: Content-Type %s\n", url,
			type != NULL ? type : "(none)");
	} else {
		code = 0;
	}
	curl_easy_cleanup(c);
out:
	curl_global_cleanup();
	fflush(stdout);
	return code;
}

static int serve_and_scrape(const metrics_t *m)
{
	metrics_http_t *h = NULL;
	df_detail_t d = {""};
	int ret = metrics_http_start(&h, "127.0.0.1:0", m, &d);
	if (ret != DF_OK) {
		fprintf(stderr, "metrics_dump: %s\n", d.msg);
		return 1;
	}
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", (unsigned)metrics_http_port(h));
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("metrics_dump: fork");
		metrics_http_stop(h);
		return 1;
	}
	if (pid == 0) {
		_exit(scrape(url));
	}
	int code = 1;
	int64_t deadline = now_ms() + SCRAPE_DEADLINE_MS;
	for (;;) {
		int status;
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
			break;
		}
		if (now_ms() > deadline) {
			fprintf(stderr, "metrics_dump: the scrape took more than %d ms\n",
				SCRAPE_DEADLINE_MS);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		struct pollfd pfd = {.fd = metrics_http_fd(h), .events = POLLIN};
		if (poll(&pfd, 1, 50) > 0) {
			metrics_http_run(h);
		}
	}
	metrics_http_stop(h);
	return code;
}

int main(int argc, char **argv)
{
	bool http = argc == 2 && strcmp(argv[1], "--http") == 0;
	if (argc > 2 || (argc == 2 && !http)) {
		fprintf(stderr, "usage: metrics_dump [--http]\n");
		return 1;
	}
	metrics_t *m = metrics_new("dr");
	if (m == NULL) {
		fprintf(stderr, "metrics_dump: out of memory\n");
		return 1;
	}
	fill(m);
	int code = 1;
	if (http) {
		code = serve_and_scrape(m);
	} else {
		size_t len = 0;
		char *page = metrics_render_alloc(m, &len);
		if (page != NULL && fwrite(page, 1, len, stdout) == len && fflush(stdout) == 0) {
			code = 0;
		} else {
			fprintf(stderr, "metrics_dump: cannot render or write the page\n");
		}
		free(page);
	}
	metrics_free(m);
	return code;
}
