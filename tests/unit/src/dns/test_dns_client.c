/*
 * What the operator reads when an UPDATE fails: every RCODE names the key,
 * zone or record at fault and what to do. NOTZONE and NOTAUTH cannot be
 * provoked through the CLI (config keeps the record inside the zone, and a
 * zone the server does not serve fails on the read first), so their
 * wording is checked here.
 *
 * Then the exchange itself against a server on loopback (a child process
 * that notes each message it receives): which transport a message takes,
 * how many copies go out, and what is said when the deadline leaves no time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/common/clock.h"
#include "src/dns/dns_client.h"
#include "src/dns/dns_msg.h"

static const char *explain(int rcode)
{
	static df_detail_t d;
	dns_explain_update_rcode(&d, rcode, "192.0.2.53#53", "key lease-key.", "example.test.",
				 "lease.example.test.");
	return d.msg;
}

static void refused_names_key_zone_and_record(void **state)
{
	(void)state;
	const char *m = explain(LDNS_RCODE_REFUSED);
	assert_non_null(strstr(m, "192.0.2.53#53 REFUSED the update"));
	assert_non_null(strstr(m, "allow-update / update-policy for key lease-key. on zone "
				  "example.test."));
	assert_non_null(strstr(m, "grant lease.example.test. A and TXT"));
}

static void notzone_names_record_and_zone(void **state)
{
	(void)state;
	const char *m = explain(LDNS_RCODE_NOTZONE);
	assert_non_null(strstr(m, "record lease.example.test. is not inside zone example.test."));
	assert_non_null(strstr(m, "check DNS_RECORD and DNS_ZONE"));
}

static void notauth_points_at_the_primary(void **state)
{
	(void)state;
	const char *m = explain(LDNS_RCODE_NOTAUTH);
	assert_non_null(strstr(m, "not authoritative for zone example.test."));
	assert_non_null(strstr(m, "DNS_SERVER is the zone's primary"));
}

static void other_codes_say_what_they_mean(void **state)
{
	(void)state;
	assert_non_null(strstr(explain(LDNS_RCODE_FORMERR), "a bug in dnsfailover"));
	assert_non_null(strstr(explain(LDNS_RCODE_SERVFAIL), "outcome is unknown"));
	assert_non_null(strstr(explain(LDNS_RCODE_NOTIMPL), "does not implement dynamic updates"));
	assert_non_null(strstr(explain(LDNS_RCODE_YXDOMAIN), "YXDOMAIN"));
}

static void no_key_is_said_plainly(void **state)
{
	(void)state;
	df_detail_t d;
	dns_explain_update_rcode(&d, LDNS_RCODE_REFUSED, "s", NULL, "z.", "r.z.");
	assert_non_null(strstr(d.msg, "update-policy for no key on"));
	dns_explain_update_rcode(&d, LDNS_RCODE_REFUSED, "s", "principal intruder@EXAMPLE.TEST",
				 "z.", "r.z.");
	assert_non_null(
		strstr(d.msg, "update-policy for principal intruder@EXAMPLE.TEST on zone z."));
}

/*
 * A server on 127.0.0.1: UDP and TCP on one port. For every message it
 * writes 'U' or 'T' to a pipe, then (when answering) sends the message back
 * with QR set, which matches the query as an answer does.
 */
typedef struct fake_server {
	pid_t pid;
	uint16_t port;
	int events; /* read end of the pipe */
	int udp;    /* kept open in the parent when silent: datagrams queue there */
} fake_server_t;

static void serve(int udp, int tcp, int events, bool answer)
{
	uint8_t buf[65535 + 2];
	for (;;) {
		struct pollfd pfd[2] = {{.fd = udp, .events = POLLIN},
					{.fd = tcp, .events = POLLIN}};
		if (poll(pfd, 2, 10000) <= 0) {
			_exit(0);
		}
		if (pfd[0].revents & POLLIN) {
			struct sockaddr_storage from;
			socklen_t from_len = sizeof(from);
			ssize_t n = recvfrom(udp, buf, sizeof(buf), 0, (struct sockaddr *)&from,
					     &from_len);
			if (n >= 12) {
				(void)!write(events, "U", 1);
				if (answer) {
					buf[2] |= 0x80;
					sendto(udp, buf, (size_t)n, 0, (struct sockaddr *)&from,
					       from_len);
				}
			}
		}
		if (pfd[1].revents & POLLIN) {
			int fd = accept(tcp, NULL, NULL);
			if (fd < 0) {
				continue;
			}
			size_t got = 0, want = 2;
			while (got < want) {
				ssize_t n = recv(fd, buf + got, want - got, 0);
				if (n <= 0) {
					break;
				}
				got += (size_t)n;
				if (got == 2) {
					want = 2 + ((size_t)buf[0] << 8 | buf[1]);
				}
			}
			if (got == want && got > 2 + 12) {
				(void)!write(events, "T", 1);
				if (answer) {
					buf[2 + 2] |= 0x80;
					(void)!send(fd, buf, got, MSG_NOSIGNAL);
				}
			}
			close(fd);
		}
	}
}

static void fake_start(fake_server_t *f, bool answer)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	int udp = -1, tcp = -1;
	f->port = 0;
	for (int i = 0; i < 20 && tcp < 0; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET};
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t len = sizeof(sa);
		udp = socket(AF_INET, SOCK_DGRAM, 0);
		assert_true(udp >= 0);
		assert_int_equal(bind(udp, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(getsockname(udp, (struct sockaddr *)&sa, &len), 0);
		tcp = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(tcp >= 0);
		if (bind(tcp, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(tcp, 4) != 0) {
			close(tcp);
			close(udp);
			tcp = -1;
			continue;
		}
		f->port = ntohs(sa.sin_port);
	}
	assert_true(tcp >= 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		close(p[0]);
		serve(udp, tcp, p[1], answer);
		_exit(0);
	}
	close(p[1]);
	close(tcp);
	close(udp);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	f->events = p[0];
	f->udp = -1;
}

/* A server that never answers: the parent holds its UDP socket and counts
 * the datagrams that queued there. */
static void silent_start(fake_server_t *f)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sa);
	f->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(f->udp >= 0);
	assert_int_equal(bind(f->udp, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(f->udp, (struct sockaddr *)&sa, &len), 0);
	f->port = ntohs(sa.sin_port);
	f->pid = -1;
	f->events = -1;
}

static int silent_datagrams(const fake_server_t *f)
{
	uint8_t buf[65535];
	int n = 0;
	while (recv(f->udp, buf, sizeof(buf), 0) > 0) {
		n++;
	}
	return n;
}

/* "UT": what the server received, in order. Waits briefly for the last note. */
static const char *fake_stop(fake_server_t *f)
{
	static char seen[64];
	size_t n = 0;
	usleep(50 * 1000);
	ssize_t r;
	while (n < sizeof(seen) - 1 && (r = read(f->events, seen + n, sizeof(seen) - 1 - n)) > 0) {
		n += (size_t)r;
	}
	seen[n] = '\0';
	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	close(f->events);
	return seen;
}

static dns_client_t *client_for(uint16_t port, int timeout_ms, int retries)
{
	dns_client_t *c = NULL;
	dns_client_opts_t opts = {
		.server = "127.0.0.1", .port = port, .timeout_ms = timeout_ms, .retries = retries};
	assert_int_equal(dns_client_new(&c, &opts, NULL), DF_OK);
	return c;
}

/* An UPDATE adding a TXT of text_len bytes: its wire size grows with it. */
static ldns_pkt *update_of(size_t text_len)
{
	char text[2048];
	uint8_t rdata[2100];
	assert_true(text_len < sizeof(text));
	memset(text, 'x', text_len);
	text[text_len] = '\0';
	size_t len = dns_txt_rdata(text, rdata, sizeof(rdata));
	assert_true(len > 0);
	ldns_rr_list *updates = ldns_rr_list_new();
	ldns_rr_list_push_rr(updates,
			     dns_rr_add("lease.example.test.", LDNS_RR_TYPE_TXT, 30, rdata, len));
	ldns_pkt *pkt = dns_msg_update_new("example.test.", NULL, updates);
	ldns_rr_list_deep_free(updates);
	assert_non_null(pkt);
	return pkt;
}

static size_t wire_size(const ldns_pkt *pkt)
{
	uint8_t *wire = NULL;
	size_t len = 0;
	assert_int_equal(dns_msg_render(pkt, &wire, &len), DF_OK);
	free(wire);
	return len;
}

/* What one exchange of query sent, as the server saw it. */
static const char *sent_by(const ldns_pkt *query, bool *used_tcp)
{
	fake_server_t f;
	fake_start(&f, true);
	dns_client_t *c = client_for(f.port, 2000, 0);
	dns_answer_t ans = {0};
	df_detail_t d = {""};
	int ret = dns_client_exchange(c, query, &ans, &d);
	const char *seen = fake_stop(&f);
	assert_int_equal(ret, DF_OK);
	assert_int_equal(ans.attempts, 1);
	*used_tcp = ans.used_tcp;
	dns_answer_deinit(&ans);
	dns_client_free(c);
	return seen;
}

static void small_message_goes_over_udp(void **state)
{
	(void)state;
	ldns_pkt *q = update_of(100);
	assert_true(wire_size(q) <= 512);
	bool tcp = true;
	assert_string_equal(sent_by(q, &tcp), "U");
	assert_false(tcp);
	ldns_pkt_free(q);
}

/* Over 512 bytes (no EDNS): over TCP only, never a UDP copy first, which
 * the server would apply as well. */
static void large_message_goes_over_tcp_once(void **state)
{
	(void)state;
	ldns_pkt *q = update_of(600);
	assert_true(wire_size(q) > 512);
	bool tcp = false;
	assert_string_equal(sent_by(q, &tcp), "T");
	assert_true(tcp);
	ldns_pkt_free(q);
}

/* 512 bytes exactly still fits a datagram. */
static void message_of_512_bytes_goes_over_udp(void **state)
{
	(void)state;
	ldns_pkt *q = NULL;
	for (size_t text = 100; text < 512 && q == NULL; text++) {
		q = update_of(text);
		if (wire_size(q) != 512) {
			ldns_pkt_free(q);
			q = NULL;
		}
	}
	assert_non_null(q);
	bool tcp = true;
	assert_string_equal(sent_by(q, &tcp), "U");
	assert_false(tcp);
	ldns_pkt_free(q);
}

/* A query that advertises a larger EDNS payload may be that large on UDP. */
static void edns_size_raises_the_udp_limit(void **state)
{
	(void)state;
	ldns_pkt *q = update_of(600);
	ldns_pkt_set_edns_udp_size(q, 1232);
	size_t len = wire_size(q);
	assert_true(len > 512 && len <= 1232);
	bool tcp = true;
	assert_string_equal(sent_by(q, &tcp), "U");
	assert_false(tcp);
	ldns_pkt_free(q);
	q = update_of(1300);
	ldns_pkt_set_edns_udp_size(q, 1232);
	assert_true(wire_size(q) > 1232);
	assert_string_equal(sent_by(q, &tcp), "T");
	assert_true(tcp);
	ldns_pkt_free(q);
}

/* The deadline has passed before the exchange: nothing is sent, and the
 * message says so instead of blaming the server. */
static void no_time_left_sends_nothing_and_says_so(void **state)
{
	(void)state;
	fake_server_t f;
	silent_start(&f);
	dns_client_t *c = client_for(f.port, 1000, 2);
	dns_client_set_deadline(c, clock_mono_ms() - 1);
	ldns_pkt *q = dns_msg_query_new("lease.example.test.", LDNS_RR_TYPE_TXT);
	dns_answer_t ans = {0};
	df_detail_t d = {""};
	assert_int_equal(dns_client_exchange(c, q, &ans, &d), DF_ETIMEDOUT);
	assert_int_equal(silent_datagrams(&f), 0);
	assert_null(strstr(d.msg, "did not answer within"));
	assert_non_null(strstr(d.msg, "127.0.0.1#"));
	assert_non_null(strstr(d.msg, "no time was left before the deadline"));
	assert_non_null(strstr(d.msg, "0 of 3 attempts sent"));
	ldns_pkt_free(q);
	dns_client_free(c);
	close(f.udp);
}

/* The deadline cuts the first attempt short and leaves none for the
 * others: one attempt was sent, and not for the configured 1000 ms. */
static void deadline_during_the_first_attempt_is_said(void **state)
{
	(void)state;
	fake_server_t f;
	silent_start(&f);
	dns_client_t *c = client_for(f.port, 1000, 2);
	int64_t start = clock_mono_ms();
	dns_client_set_deadline(c, start + 200);
	ldns_pkt *q = dns_msg_query_new("lease.example.test.", LDNS_RR_TYPE_TXT);
	dns_answer_t ans = {0};
	df_detail_t d = {""};
	assert_int_equal(dns_client_exchange(c, q, &ans, &d), DF_ETIMEDOUT);
	assert_true(clock_mono_ms() - start < 900);
	assert_int_equal(silent_datagrams(&f), 1);
	assert_null(strstr(d.msg, "within 1000 ms x 3 attempts"));
	assert_non_null(strstr(d.msg, "did not answer before the deadline"));
	assert_non_null(strstr(d.msg, "1 of 3 attempts sent"));
	ldns_pkt_free(q);
	dns_client_free(c);
	close(f.udp);
}

/* Without a deadline the message stays as it was. */
static void silence_without_deadline_keeps_its_message(void **state)
{
	(void)state;
	fake_server_t f;
	silent_start(&f);
	dns_client_t *c = client_for(f.port, 100, 1);
	ldns_pkt *q = dns_msg_query_new("lease.example.test.", LDNS_RR_TYPE_TXT);
	dns_answer_t ans = {0};
	df_detail_t d = {""};
	assert_int_equal(dns_client_exchange(c, q, &ans, &d), DF_ETIMEDOUT);
	assert_int_equal(silent_datagrams(&f), 2);
	assert_non_null(strstr(d.msg, "did not answer within 100 ms x 2 attempts (is it running "
				      "and reachable? check DNS_SERVER and DNS_PORT)"));
	ldns_pkt_free(q);
	dns_client_free(c);
	close(f.udp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused_names_key_zone_and_record),
		cmocka_unit_test(notzone_names_record_and_zone),
		cmocka_unit_test(notauth_points_at_the_primary),
		cmocka_unit_test(other_codes_say_what_they_mean),
		cmocka_unit_test(no_key_is_said_plainly),
		cmocka_unit_test(small_message_goes_over_udp),
		cmocka_unit_test(large_message_goes_over_tcp_once),
		cmocka_unit_test(message_of_512_bytes_goes_over_udp),
		cmocka_unit_test(edns_size_raises_the_udp_limit),
		cmocka_unit_test(no_time_left_sends_nothing_and_says_so),
		cmocka_unit_test(deadline_during_the_first_attempt_is_said),
		cmocka_unit_test(silence_without_deadline_keeps_its_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
