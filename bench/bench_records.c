/*
 * Load driver for bench/records.sh: registers N A records through an HTTP
 * API with C concurrent clients (one thread and one kept-alive connection
 * each), through src/http/http_client.h, and prints what it measured:
 *   requests=N errors=E seconds=S
 * Modes:
 *   -m records   POST {"name","type":"A","value"} to URL (dnsrecordsd),
 *                Authorization: Bearer KEY; 201 is success.
 *   -m pdns      PATCH URL (a PowerDNS zone) with one rrset REPLACE per
 *                record, X-API-Key: KEY; 204 is success.
 * Record i is PREFIX-i.ZONE A 10.x.y.z.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/http/http_client.h"

typedef struct worker {
	pthread_t th;
	http_request_t *req;
	int first, step, n;
	int errors;
	char first_error[1200];
} worker_t;

static const char *mode = "records", *url, *key, *prefix = "b", *zone;

static void *run(void *arg)
{
	worker_t *w = arg;
	char body[512];
	for (int i = w->first; i < w->n; i += w->step) {
		char name[300];
		snprintf(name, sizeof(name), "%s-%d.%s", prefix, i, zone);
		unsigned ip = 0x0a000000u + (unsigned)i + 1;
		char addr[32];
		snprintf(addr, sizeof(addr), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
			 (ip >> 8) & 255, ip & 255);
		if (strcmp(mode, "pdns") == 0) {
			snprintf(body, sizeof(body),
				 "{\"rrsets\":[{\"name\":\"%s.\",\"type\":\"A\",\"ttl\":300,"
				 "\"changetype\":\"REPLACE\",\"records\":[{\"content\":\"%s\","
				 "\"disabled\":false}]}]}",
				 name, addr);
		} else {
			snprintf(body, sizeof(body),
				 "{\"name\":\"%s\",\"type\":\"A\",\"value\":\"%s\",\"ttl\":300}",
				 name, addr);
		}
		df_detail_t d = {{0}};
		long want = strcmp(mode, "pdns") == 0 ? 204 : 201;
		if (http_request_set_body(w->req, body, strlen(body)) != DF_OK ||
		    http_client_perform(w->req, &d) != DF_OK ||
		    http_request_status(w->req) != want) {
			if (w->errors++ == 0) {
				if (d.msg[0] == '\0') {
					http_request_message(w->req, d.msg, sizeof(d.msg));
				}
				snprintf(w->first_error, sizeof(w->first_error), "%s: HTTP %ld %s",
					 name, http_request_status(w->req), d.msg);
			}
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int clients = 1, n = 1000, opt;
	while ((opt = getopt(argc, argv, "m:u:k:c:n:p:z:")) != -1) {
		switch (opt) {
		case 'm':
			mode = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'c':
			clients = atoi(optarg);
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'z':
			zone = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: bench_records -m records|pdns -u URL -k KEY -c C -n N "
				"-p PREFIX -z ZONE\n");
			return 2;
		}
	}
	if (url == NULL || key == NULL || zone == NULL || clients < 1 || n < 1) {
		fprintf(stderr, "bench_records: -u, -k and -z are required\n");
		return 2;
	}
	worker_t *ws = calloc((size_t)clients, sizeof(*ws));
	http_options_t o = {.connect_timeout_ms = 5000, .timeout_ms = 60000, .body_max = 1 << 20};
	char hdr[600];
	bool pdns = strcmp(mode, "pdns") == 0;
	snprintf(hdr, sizeof(hdr), pdns ? "X-API-Key: %s" : "Authorization: Bearer %s", key);
	for (int i = 0; i < clients; i++) {
		df_detail_t d = {{0}};
		if (http_request_new(&ws[i].req, pdns ? "PATCH" : "POST", url, &o, &d) != DF_OK) {
			fprintf(stderr, "bench_records: %s\n", d.msg);
			return 1;
		}
		http_request_add_header(ws[i].req, hdr);
		http_request_add_header(ws[i].req, "Content-Type: application/json");
		ws[i].first = i;
		ws[i].step = clients;
		ws[i].n = n;
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < clients; i++) {
		pthread_create(&ws[i].th, NULL, run, &ws[i]);
	}
	int errors = 0;
	for (int i = 0; i < clients; i++) {
		pthread_join(ws[i].th, NULL);
		if (ws[i].errors > 0) {
			fprintf(stderr, "bench_records: client %d: %d errors, first: %s\n", i,
				ws[i].errors, ws[i].first_error);
		}
		errors += ws[i].errors;
		http_request_free(ws[i].req);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("requests=%d errors=%d seconds=%.3f\n", n, errors, s);
	free(ws);
	return 0;
}
