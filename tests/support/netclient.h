/*
 * tests/support/netclient.h — what the integration tests need to drive a real
 * server: start the binary on port 0, find out where it listens, talk raw
 * bytes to it over loopback, and stop it. Every wait has a deadline, so a
 * broken server fails a test instead of hanging it.
 *
 * Binaries are found in $RTLAB_BIN (set by `make test`; "bin" by default).
 */
#ifndef RTLAB_NETCLIENT_H
#define RTLAB_NETCLIENT_H

#include <stddef.h>
#include <sys/types.h>

struct test_server {
    pid_t pid;          /* the server process */
    int port;           /* where it listens on 127.0.0.1 */
    int stdout_fd;      /* the rest of its stdout, or -1 */
};

/* Start $RTLAB_BIN/<name> with "-p 0 -q" and the NULL-terminated extra
 * arguments, and wait (at most 5 s, or $RTLAB_START_TIMEOUT_MS) for its
 * "listening on" line.
 * Returns 0, or -1 with a message on stderr. */
int server_start(struct test_server *ts, const char *name, const char *const extra_args[]);
/* SIGTERM, then wait up to 5 s (SIGKILL after). Returns the exit status
 * (0..255), 128 + signal when it died of a signal, or -1. */
int server_stop(struct test_server *ts);

/* A blocking TCP connection to 127.0.0.1:port, or -1. */
int tcp_connect(int port);
/* Write all n bytes (blocking). Returns 0 or -1. */
int send_all(int fd, const void *p, size_t n);
/* Read into buf until `needle` has been seen (NULL: until cap bytes or EOF),
 * EOF, or timeout_ms passes. buf is NUL-terminated (it holds at most cap - 1
 * bytes). Returns the bytes read. */
size_t recv_until(int fd, char *buf, size_t cap, const char *needle, int timeout_ms);
/* 1 when the peer has closed (EOF or reset) within timeout_ms, 0 if not. */
int wait_closed(int fd, int timeout_ms);

/* One HTTP response, read whole (Content-Length bodies only). */
struct http_reply {
    int status;           /* 200; -1 when none arrived in time or it was malformed */
    char head[8192];      /* status line and headers, NUL-terminated */
    char body[1 << 16];   /* NUL-terminated */
    size_t body_len;
};
/* Read exactly one response from fd, waiting at most timeout_ms. Bytes past
 * the response are kept for the next call on the same fd. Returns status. */
int read_reply(int fd, struct http_reply *r, int timeout_ms);
/* The value of header `name` in r->head (case-insensitive) copied into out,
 * or NULL. */
const char *reply_header(const struct http_reply *r, const char *name, char *out, size_t cap);

/* Connect, send `request` as is, read one reply, close. Returns its status. */
int http_once(int port, const char *request, struct http_reply *r);
/* POST data as an event to /publish; returns the new event id, or -1. */
long publish_event(int port, const char *data);
/* GET /stats and the value of one numeric field in it, or -1. */
long stats_field(int port, const char *field);

/* ==== Slow readers: make the server's writes come back partial ==== */

/* Connect with a receive buffer of rcvbuf bytes, set before connect so the
 * window is small from the first byte: a client that reads nothing for a
 * while fills the server's socket, and its writes come back partial, then
 * EAGAIN. -1 on failure. */
int net_connect_slow_reader(int port, int rcvbuf);
/* Wait (at most timeout_ms) until the server's bytes_out stops growing
 * while fewer than `total` bytes since `base` have gone: its socket to a
 * slow reader is full. Returns the bytes written so far (since base), or -1
 * when everything went at once (nothing was ever partial). */
long wait_writes_stall(int port, long base, long total, int timeout_ms);
/* Read one answer whose body may be of any size into a malloc'd buffer the
 * caller frees (*body, NUL-terminated; *len its length). Returns the status,
 * or -1 when it did not arrive whole within timeout_ms. */
int read_big_reply(int fd, char **body, size_t *len, int timeout_ms);

#endif
