/*
 * tests/adversarial/adv.h — what the adversarial-client tests share: clocks,
 * a look at the server process through /proc, many sockets at once, and a
 * way to say pass/fail/skip the way scripts/run-tests.sh expects.
 *
 * Each test is a plain program (no Check: they run one long scenario each
 * and print the figure it proves). They start servers through
 * tests/support/netclient.h, so $RTLAB_BIN picks the binaries.
 */
#ifndef RTLAB_ADV_H
#define RTLAB_ADV_H

#include <stddef.h>
#include <sys/types.h>

#include "../support/netclient.h"

/* Servers are started with server_start (netclient.h), which waits up to
 * $RTLAB_START_TIMEOUT_MS: the valgrind run raises it. */

/* How much slower than native the servers run: 1, or 4 for sanitized
 * builds ($RTLAB_BIN ends in "san"), or $RTLAB_SLOWDOWN when set (the
 * valgrind run sets 20). Time bounds are multiplied by it. */
int adv_slowdown(void);

/* Milliseconds on a monotonic clock. */
long long adv_now_ms(void);
/* Microseconds on a monotonic clock. */
long long adv_now_us(void);

/* The server's resident memory (VmRSS) in KiB, or -1. */
long adv_rss_kb(pid_t pid);
/* The server's CPU time so far (user + system), in milliseconds, or -1. */
long adv_cpu_ms(pid_t pid);
/* How many descriptors the server has open (entries of /proc/PID/fd), or -1. */
long adv_fd_count(pid_t pid);

/* Let this process open up to `want` descriptors (raises the soft limit). */
void adv_raise_fd_limit(long want);

/* A TCP connection to 127.0.0.1:port with a receive buffer of rcvbuf
 * bytes (0: the default), set before connecting so the window stays small.
 * Blocking; -1 on failure. */
int adv_connect(int port, int rcvbuf);
/* Make fd non-blocking. */
void adv_nonblock(int fd);
/* Close with a reset (SO_LINGER 0): the peer sees ECONNRESET, not EOF. */
void adv_close_reset(int fd);

/* 1 when $RTLAB_BIN/name exists. When it does not: under CI=true print a
 * failure line and return 0 with *must_fail set; else print a loud skip. */
int adv_have_server(const char *name, int *must_fail);
/* 1 when the binaries are sanitized builds ($RTLAB_BIN ends in "san"):
 * memory and time bounds are loosened there, and the test says so. */
int adv_sanitized(void);

/* Percentile p (0..100) of n values (sorts them). */
double adv_percentile(double *v, size_t n, double p);

/* Report a failed check: prints "FAIL: ..." and counts it. */
void adv_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define ADV_CHECK(cond, ...) do { if (!(cond)) adv_fail(__VA_ARGS__); } while (0)
/* Failures so far. */
int adv_failures(void);
/* The exit status: 1 on failures, 77 when servers were missing (locally),
 * else 0. */
int adv_exit(int missing);

/* A WebSocket client handshake on fd for target ("/ws?since=3"): send it,
 * read the 101. Returns 0, or -1. */
int adv_ws_handshake(int fd, const char *target);
/* An SSE request on fd: send "GET target" with extra header lines and read
 * the head (up to the empty line). Returns 0 when it is 200, or -1. */
int adv_sse_open(int fd, const char *target, const char *extra);

#endif
