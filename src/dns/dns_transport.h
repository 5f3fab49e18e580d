/*
 * Sending one DNS message and receiving its answer over UDP or TCP, with a
 * deadline. This is the only module that opens DNS sockets.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "src/common/error.h"

typedef struct dns_endpoint {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char label[128]; /* "127.0.0.1#5353", for messages */
} dns_endpoint_t;

/*
 * Resolves host (an IP literal, or a name looked up with getaddrinfo, as
 * nsupdate does for its server) and port into ep.
 */
int dns_endpoint_init(dns_endpoint_t *ep, const char *host, uint16_t port, df_detail_t *d);

/*
 * Called for every datagram or TCP message received; returns true when it
 * is the answer (the exchange ends), false to keep waiting (a stray or
 * forged datagram on UDP).
 */
typedef bool (*dns_accept_fn)(void *arg, const uint8_t *msg, size_t len);

/* A dns_accept_fn taking the message whose ID is *(const uint16_t *)arg. */
bool dns_accept_id(void *arg, const uint8_t *msg, size_t len);

/* A fresh random message ID (getrandom; the monotonic clock if that fails). */
uint16_t dns_random_id(void);

/*
 * Sends query over UDP and waits until accept() takes an answer or
 * timeout_ms passes. The accepted answer is left in ans[0..*ans_len).
 * Returns DF_OK, DF_ETIMEDOUT, DF_ECONNREFUSED (ICMP port unreachable) or
 * DF_ENETWORK.
 */
int dns_transport_udp(const dns_endpoint_t *ep, const uint8_t *query, size_t query_len,
		      uint8_t *ans, size_t ans_cap, size_t *ans_len, int timeout_ms,
		      dns_accept_fn accept, void *arg, df_detail_t *d);

/* Same over TCP (two-byte length prefix); the first message is the answer
 * unless accept() refuses it, which ends the exchange with DF_EMISMATCH. */
int dns_transport_tcp(const dns_endpoint_t *ep, const uint8_t *query, size_t query_len,
		      uint8_t *ans, size_t ans_cap, size_t *ans_len, int timeout_ms,
		      dns_accept_fn accept, void *arg, df_detail_t *d);

/*
 * Called for each message of a multi-message TCP answer (AXFR); sets *more
 * to false after the last one. A return other than DF_OK ends the stream
 * with that error.
 */
typedef int (*dns_stream_fn)(void *arg, const uint8_t *msg, size_t len, bool *more);

/* Sends query over TCP and hands each message of the answer to each(),
 * all of it within timeout_ms. */
int dns_transport_tcp_stream(const dns_endpoint_t *ep, const uint8_t *query, size_t query_len,
			     int timeout_ms, dns_stream_fn each, void *arg, df_detail_t *d);
