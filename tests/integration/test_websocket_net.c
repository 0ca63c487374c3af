/*
 * tests/integration/test_websocket_net.c — bin/websocket over raw sockets:
 * RFC 6455 conformance, case by case.
 *
 * Each test starts its own server on port 0 (netclient.h) and plays a
 * WebSocket client by hand, byte by byte, so it can also send what no real
 * client would: unmasked frames, reserved opcodes, fragmented pings, bad
 * UTF-8 cut mid-message. The cases follow the map of the Autobahn
 * testsuite: 1 framing, 2 pings and pongs, 3 reserved bits, 4 opcodes,
 * 5 fragmentation, 6 UTF-8, 7 closing, 9 limits, 10 misc — plus the
 * handshake (§4), permessage-deflate (RFC 7692; Autobahn 12 and 13 in
 * spirit: compressed messages both ways, and what must be refused), and
 * what this server adds (ids, replay, gaps, broadcast, slow subscribers,
 * server pings).
 *
 * A failure names the case and the bytes that went wrong. Every wait has a
 * deadline; nothing here can hang.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "../support/netclient.h"

static struct test_server srv;

/* The RFC's own example key and the answer it must get (RFC 6455 §1.3). */
#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* Start bin/websocket with the ticker off and these extra flags. */
static void start(const char *const extra[])
{
    const char *args[16] = {"-t", "0"};
    int n = 2;
    for (int i = 0; extra && extra[i] && n < 15; i++) args[n++] = extra[i];
    args[n] = NULL;
    ck_assert_msg(server_start(&srv, "websocket", args) == 0, "bin/websocket did not start");
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* ==== A WebSocket client by hand ==== */

struct client {
    int fd;
    unsigned char buf[1 << 18];   /* bytes read, not yet parsed */
    size_t len;
    int eof;                      /* the server closed the TCP connection */
    int deflate;                  /* the 101 agreed to permessage-deflate: RSV1 may come */
};

/* One frame from the server. */
struct frame {
    int fin;
    unsigned rsv;
    unsigned opcode;
    size_t length;
    unsigned char payload[1 << 17];
};

static struct client cl, cl2;
static struct frame fr;

/* Read more bytes, waiting at most until `deadline`. Returns 1 when bytes
 * came, 0 on EOF (or a reset), -1 when the deadline passed. */
static int fill(struct client *c, long long deadline)
{
    if (c->len == sizeof c->buf) return 1;         /* full: the caller parses first */
    for (;;) {
        long long left = deadline - now_ms();
        if (left < 0) return -1;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            c->eof = 1;
            return 0;
        }
        c->len += (size_t)n;
        return 1;
    }
}

static void drop(struct client *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* The handshake a well-behaved client sends, with extra header lines. */
static void handshake_request(char *out, size_t cap, const char *target, const char *extra)
{
    snprintf(out, cap,
             "GET %s HTTP/1.1\r\n"
             "Host: 127.0.0.1\r\n"
             "Upgrade: websocket\r\n"
             "Connection: Upgrade\r\n"
             "Sec-WebSocket-Key: " RFC_KEY "\r\n"
             "Sec-WebSocket-Version: 13\r\n"
             "%s\r\n", target, extra ? extra : "");
}

/* Connect and upgrade with `target` ("/ws", "/ws?since=3") and extra
 * header lines (an extension offer, or NULL); checks the 101 answer and its
 * accept key. Bytes after the head stay in c->buf. */
static void ws_open_with(struct client *c, const char *target, const char *extra)
{
    char req[1024];
    memset(c, 0, sizeof *c);
    c->fd = tcp_connect(srv.port);
    ck_assert_msg(c->fd >= 0, "cannot connect");
    handshake_request(req, sizeof req, target, extra);
    ck_assert_int_eq(send_all(c->fd, req, strlen(req)), 0);
    long long deadline = now_ms() + 3000;
    unsigned char *end = NULL;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
        ck_assert_msg(fill(c, deadline) > 0, "no complete 101 head for %s", target);
    size_t head = (size_t)(end - c->buf) + 4;
    char text[2048];
    snprintf(text, sizeof text, "%.*s", (int)head, (const char *)c->buf);
    ck_assert_msg(strncmp(text, "HTTP/1.1 101 ", 13) == 0, "%s answered: %s", target, text);
    ck_assert_msg(strcasestr(text, "\r\nSec-WebSocket-Accept: " RFC_ACCEPT "\r\n"),
                  "wrong accept key in: %s", text);
    c->deflate = strcasestr(text, "\r\nSec-WebSocket-Extensions: permessage-deflate") != NULL;
    drop(c, head);
}

static void ws_open(struct client *c, const char *target)
{
    ws_open_with(c, target, NULL);
}

/* Send one client frame. b0 is the whole first byte (FIN, RSV, opcode);
 * masked = 0 sends it unmasked (a protocol error, for the tests that want
 * one). The length is written in its shortest form. */
static void send_frame(struct client *c, unsigned b0, int masked, const void *payload, size_t n)
{
    static unsigned char out[(1 << 20) + 64];
    static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t at = 0;
    out[at++] = (unsigned char)b0;
    unsigned char m = masked ? 0x80 : 0;
    if (n < 126) {
        out[at++] = (unsigned char)(m | n);
    } else if (n <= 0xFFFF) {
        out[at++] = m | 126;
        out[at++] = (unsigned char)(n >> 8);
        out[at++] = (unsigned char)n;
    } else {
        out[at++] = m | 127;
        for (int i = 7; i >= 0; i--) out[at++] = (unsigned char)((uint64_t)n >> (8 * i));
    }
    ck_assert(at + 4 + n <= sizeof out);
    if (masked) {
        memcpy(out + at, key, 4);
        at += 4;
    }
    const unsigned char *p = payload;
    for (size_t i = 0; i < n; i++) out[at + i] = masked ? p[i] ^ key[i & 3] : p[i];
    ck_assert_int_eq(send_all(c->fd, out, at + n), 0);
}

#define FIN 0x80
#define OP_CONT 0x0
#define OP_TEXT 0x1
#define OP_BINARY 0x2
#define OP_CLOSE 0x8
#define OP_PING 0x9
#define OP_PONG 0xA

static void send_text(struct client *c, const char *text)
{
    send_frame(c, FIN | OP_TEXT, 1, text, strlen(text));
}

/* A close frame with a code (and a reason); code < 0 sends an empty close. */
static void send_close(struct client *c, int code, const char *reason)
{
    unsigned char p[125] = {0};
    size_t n = 0;
    if (code >= 0) {
        p[0] = (unsigned char)(code >> 8);
        p[1] = (unsigned char)code;
        n = 2;
        if (reason) {
            memcpy(p + 2, reason, strlen(reason));
            n += strlen(reason);
        }
    }
    send_frame(c, FIN | OP_CLOSE, 1, p, n);
}

/* Read the next server frame into fr within timeout_ms. Returns 1, or 0
 * when the connection ended first, or -1 on timeout. A server frame is
 * never masked (§5.1): a masked one fails the test. */
static int read_frame(struct client *c, struct frame *f, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (c->len >= 2) {
            size_t at = 2;
            uint64_t n = c->buf[1] & 0x7F;
            ck_assert_msg(!(c->buf[1] & 0x80), "the server sent a masked frame");
            if (n == 126 && c->len >= 4) {
                n = (uint64_t)c->buf[2] << 8 | c->buf[3];
                at = 4;
            } else if (n == 127 && c->len >= 10) {
                n = 0;
                for (int i = 0; i < 8; i++) n = n << 8 | c->buf[2 + i];
                at = 10;
            } else if (n >= 126) {
                at = 0;                                 /* header incomplete */
            }
            if (at && c->len >= at + n) {
                ck_assert_msg(n <= sizeof f->payload, "a frame of %llu bytes", (unsigned long long)n);
                f->fin = c->buf[0] >> 7;
                f->rsv = (c->buf[0] >> 4) & 7;
                f->opcode = c->buf[0] & 15;
                f->length = (size_t)n;
                memcpy(f->payload, c->buf + at, (size_t)n);
                f->payload[n < sizeof f->payload ? n : 0] = 0;
                drop(c, at + (size_t)n);
                ck_assert_msg(f->rsv == 0 || (f->rsv == 4 && c->deflate && f->opcode == OP_TEXT),
                              "the server set RSV bits %u (opcode %u)", f->rsv, f->opcode);
                return 1;
            }
        }
        int r = fill(c, deadline);
        if (r <= 0) return r;
    }
}

/* The next frame must be a text frame holding `want` (as a substring). */
static void expect_text(struct client *c, const char *want)
{
    int r = read_frame(c, &fr, 3000);
    ck_assert_msg(r == 1, "waiting for a text frame with %s: %s", want, r ? "timeout" : "closed");
    ck_assert_msg(fr.opcode == OP_TEXT, "want a text frame with %s, got opcode %u", want, fr.opcode);
    ck_assert_msg(fr.fin, "the server fragmented a message");
    ck_assert_msg(strstr((const char *)fr.payload, want), "got %s, want %s", fr.payload, want);
}

/* The next frame must be a close frame with this status code; returns it. */
static void expect_close(struct client *c, unsigned want, const char *what)
{
    int r;
    do {
        r = read_frame(c, &fr, 3000);
    } while (r == 1 && fr.opcode != OP_CLOSE && fr.opcode != OP_TEXT);
    ck_assert_msg(r == 1, "%s: no close frame (%s)", what, r ? "timeout" : "closed");
    ck_assert_msg(fr.opcode == OP_CLOSE, "%s: want close %u, got opcode %u: %s", what, want,
                  fr.opcode, fr.payload);
    ck_assert_msg(fr.length >= 2, "%s: a close without a code", what);
    unsigned code = (unsigned)fr.payload[0] << 8 | fr.payload[1];
    ck_assert_msg(code == want, "%s: close code %u, want %u (reason \"%.*s\")", what, code, want,
                  (int)fr.length - 2, fr.payload + 2);
    ck_assert_msg(code != 1005 && code != 1006, "%s: the server sent %u", what, code);
}

/* The server must end the TCP connection within timeout_ms. */
static void expect_eof(struct client *c, int timeout_ms, const char *what)
{
    long long deadline = now_ms() + timeout_ms;
    while (!c->eof) {
        c->len = 0;                                     /* anything still arriving is dropped */
        ck_assert_msg(fill(c, deadline) >= 0, "%s: the server kept the connection open", what);
    }
}

/* A protocol violation: the server closes with `code`; we answer its close
 * and it ends the TCP connection promptly. */
static void expect_failed(struct client *c, unsigned code, const char *what)
{
    expect_close(c, code, what);
    send_close(c, 1000, NULL);
    expect_eof(c, 1500, what);
    close(c->fd);
}

/* Round trip: a message sent now comes back as an event, so everything
 * before it has been handled. */
static void expect_alive(struct client *c, const char *what)
{
    send_text(c, "still here?");
    int r;
    do {
        r = read_frame(c, &fr, 3000);
    } while (r == 1 && (fr.opcode == OP_PONG || fr.opcode == OP_PING));
    ck_assert_msg(r == 1 && fr.opcode == OP_TEXT && strstr((const char *)fr.payload, "still here?"),
                  "%s: the connection is not usable any more", what);
}

/* Wait (at most 5 s) until /stats shows `want` subscribers. */
static void wait_subscribers(long want)
{
    ck_assert_int_eq(wait_stats_equal(srv.port, "subscribers", want, 5000), want);
}

/* ==== §4 The opening handshake ==== */

static struct http_reply reply;

/* RFC 6455 §1.3's example: the key "dGhlIHNhbXBsZSBub25jZQ==" gets 101 with
 * Upgrade, Connection and Sec-WebSocket-Accept "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
 * and Chromium's offer of permessage-deflate is taken with
 * server_no_context_takeover (RFC 7692 §7.1.1.1): nothing else. */
START_TEST(test_handshake_rfc_example)
{
    static const char *const args[] = {"-O", "http://example.com", NULL};   /* its Origin */
    start(args);
    int fd = tcp_connect(srv.port);
    char req[1024], head[2048];
    handshake_request(req, sizeof req, "/ws",
                      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                      "Origin: http://example.com\r\n");
    send_all(fd, req, strlen(req));
    recv_until(fd, head, sizeof head, "\r\n\r\n", 3000);
    ck_assert_msg(strncmp(head, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0, "got: %s", head);
    ck_assert_msg(strcasestr(head, "\r\nUpgrade: websocket\r\n"), "no Upgrade in: %s", head);
    ck_assert_msg(strcasestr(head, "\r\nConnection: Upgrade\r\n"), "no Connection in: %s", head);
    ck_assert_msg(strstr(head, "\r\nSec-WebSocket-Accept: " RFC_ACCEPT "\r\n"), "bad accept: %s", head);
    ck_assert_msg(strstr(head, "\r\nSec-WebSocket-Extensions: permessage-deflate; "
                               "server_no_context_takeover\r\n"), "no deflate agreed: %s", head);
    ck_assert_msg(!strcasestr(head, "Sec-WebSocket-Protocol"), "a subprotocol nobody offered: %s", head);
    ck_assert_msg(!strcasestr(head, "Content-Length"), "a 101 has no body: %s", head);
    close(fd);
    server_stop(&srv);
}
END_TEST

/* Header tokens are compared as the RFC says: case-insensitively, inside
 * comma-separated lists (a browser sends "Connection: keep-alive, Upgrade"). */
START_TEST(test_handshake_tokens)
{
    static const char *const variants[] = {
        "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n",
        "upgrade: WebSocket\r\nconnection: UPGRADE\r\n",
        "Upgrade: WEBSOCKET\r\nConnection: upgrade , keep-alive\r\n",
        "Upgrade: websocket\r\nConnection: keep-alive\r\nConnection: Upgrade\r\n",
    };
    start(NULL);
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        char req[1024];
        snprintf(req, sizeof req,
                 "GET /ws HTTP/1.1\r\nHost: x\r\n%sSec-WebSocket-Key: " RFC_KEY "\r\n"
                 "sec-websocket-version: 13\r\n\r\n", variants[i]);
        int fd = tcp_connect(srv.port);
        char head[2048];
        send_all(fd, req, strlen(req));
        recv_until(fd, head, sizeof head, "\r\n\r\n", 3000);
        ck_assert_msg(strncmp(head, "HTTP/1.1 101 ", 13) == 0, "%s\nanswered: %s", variants[i], head);
        close(fd);
    }
    server_stop(&srv);
}
END_TEST

static const struct {
    const char *what;
    const char *request;
    int status;
} bad_handshakes[] = {
    {"POST", "POST /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", 400},
    {"HTTP/1.0", "GET /ws HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
    {"no Upgrade", "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
    {"Upgrade: h2c", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
    {"no Connection: Upgrade", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n"
                               "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
    {"Connection: Upgraded (not the token)", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                               "Connection: Upgraded\r\nSec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
    {"no key", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n", 400},
    {"key not base64", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: not a key at all!!!!!!!\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
    {"key of 15 bytes", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
    {"two keys", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n", 400},
    {"no version", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: " RFC_KEY "\r\n\r\n", 400},
    {"since not a number", "GET /ws?since=abc HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
    {"since ahead of the feed", "GET /ws?since=99 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
    {"version 8", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 8\r\n\r\n", 426},
    {"version 14", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 14\r\n\r\n", 426},
};

/* §4.2.1: a handshake that is not one is refused — 400, or 426 with
 * "Sec-WebSocket-Version: 13" for a version we do not speak (§4.4). */
START_TEST(test_handshake_refused)
{
    start(NULL);
    int status = http_once(srv.port, bad_handshakes[_i].request, &reply);
    ck_assert_msg(status == bad_handshakes[_i].status, "%s: got %d, want %d", bad_handshakes[_i].what,
                  status, bad_handshakes[_i].status);
    char value[64];
    if (status == 426)
        ck_assert_msg(reply_header(&reply, "Sec-WebSocket-Version", value, sizeof value) &&
                      strcmp(value, "13") == 0, "426 without Sec-WebSocket-Version: 13");
    if (strstr(bad_handshakes[_i].what, "ahead"))
        ck_assert_msg(strstr(reply.body, "\"newest\":0"), "no newest id in: %s", reply.body);
    ck_assert_int_eq(stats_field(srv.port, "subscribers"), 0);
    server_stop(&srv);
}
END_TEST

/* ==== §5 Framing (Autobahn 1, 3, 4, 9) ==== */

/* Autobahn 1.1: text messages of 0, 125, 126, 127, 65535 and 65536 bytes
 * (every length form) come back as events with the same text. */
START_TEST(test_text_lengths)
{
    static const size_t lengths[] = {0, 1, 125, 126, 127, 65535, 65536};
    static char text[65537], want[65600];
    start(NULL);
    ws_open(&cl, "/ws");
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        memset(text, 'a' + (int)i, lengths[i]);
        send_frame(&cl, FIN | OP_TEXT, 1, text, lengths[i]);
        snprintf(want, sizeof want, "{\"id\":%zu,\"data\":\"%.*s\"}", i + 1, (int)lengths[i], text);
        ck_assert_int_eq(read_frame(&cl, &fr, 3000), 1);
        ck_assert_msg(fr.opcode == OP_TEXT && fr.length == strlen(want) &&
                      memcmp(fr.payload, want, fr.length) == 0,
                      "length %zu: got %zu bytes back", lengths[i], fr.length);
    }
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* A frame written one byte at a time is still one message. */
START_TEST(test_frame_byte_by_byte)
{
    start(NULL);
    ws_open(&cl, "/ws");
    static const unsigned char hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                          0x7f, 0x9f, 0x4d, 0x51, 0x58};  /* RFC 6455 §5.7 */
    for (size_t i = 0; i < sizeof hello; i++) {
        send_all(cl.fd, hello + i, 1);
        usleep(2000);
    }
    expect_text(&cl, "{\"id\":1,\"data\":\"Hello\"}");
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* §5.1: a client frame that is not masked fails the connection: 1002. */
START_TEST(test_unmasked_frame)
{
    start(NULL);
    ws_open(&cl, "/ws");
    send_frame(&cl, FIN | OP_TEXT, 0, "Hello", 5);
    expect_failed(&cl, 1002, "unmasked text frame");
    server_stop(&srv);
}
END_TEST

/* Autobahn 3.x: RSV1, RSV2 or RSV3 set with no extension: 1002. */
START_TEST(test_rsv_bits)
{
    start(NULL);
    unsigned rsv = (unsigned)(_i + 1) << 4;            /* 1..7: every combination */
    ws_open(&cl, "/ws");
    send_frame(&cl, FIN | rsv | OP_TEXT, 1, "Hello", 5);
    char what[32];
    snprintf(what, sizeof what, "RSV bits %u", (unsigned)_i + 1);
    expect_failed(&cl, 1002, what);
    server_stop(&srv);
}
END_TEST

/* Autobahn 4.x: the reserved opcodes 3-7 and 11-15: 1002. */
START_TEST(test_reserved_opcodes)
{
    static const unsigned ops[] = {3, 4, 5, 6, 7, 11, 12, 13, 14, 15};
    start(NULL);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        ws_open(&cl, "/ws");
        send_frame(&cl, FIN | ops[i], 1, "x", 1);
        char what[32];
        snprintf(what, sizeof what, "opcode %u", ops[i]);
        expect_failed(&cl, 1002, what);
    }
    server_stop(&srv);
}
END_TEST

/* §5.2: a 64-bit length with its most significant bit set: 1002. */
START_TEST(test_length_top_bit)
{
    static const unsigned char frame[] = {0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4};
    start(NULL);
    ws_open(&cl, "/ws");
    send_all(cl.fd, frame, sizeof frame);
    expect_close(&cl, 1002, "64-bit length with the top bit set");
    expect_eof(&cl, 4000, "after a framing error");
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* §5.5: a control frame that is fragmented, or longer than 125 bytes: 1002. */
START_TEST(test_bad_control_frames)
{
    static char big[126];
    start(NULL);
    ws_open(&cl, "/ws");
    send_frame(&cl, OP_PING, 1, "frag", 4);             /* FIN clear */
    expect_failed(&cl, 1002, "fragmented ping");
    ws_open(&cl, "/ws");
    memset(big, 'p', sizeof big);
    send_frame(&cl, FIN | OP_PING, 1, big, 126);
    expect_failed(&cl, 1002, "ping of 126 bytes");
    ws_open(&cl, "/ws");
    send_frame(&cl, FIN | OP_CLOSE, 1, big, 126);
    expect_failed(&cl, 1002, "close of 126 bytes");
    server_stop(&srv);
}
END_TEST

/* A binary message: this server takes text only, 1003 (§7.4.1). */
START_TEST(test_binary_refused)
{
    start(NULL);
    ws_open(&cl, "/ws");
    send_frame(&cl, FIN | OP_BINARY, 1, "\x00\x01", 2);
    expect_failed(&cl, 1003, "binary message");
    server_stop(&srv);
}
END_TEST

/* Autobahn 9: a message over -m bytes is refused with 1009, in one frame or
 * in fragments; a message of exactly -m bytes is fine. */
START_TEST(test_message_too_big)
{
    static const char *const args[] = {"-m", "1000", NULL};
    static char text[1001];
    start(args);
    memset(text, 'b', sizeof text);
    ws_open(&cl, "/ws");
    send_frame(&cl, FIN | OP_TEXT, 1, text, 1000);
    expect_text(&cl, "\"id\":1");
    send_frame(&cl, FIN | OP_TEXT, 1, text, 1001);
    expect_failed(&cl, 1009, "one frame of 1001 bytes");
    ws_open(&cl, "/ws");
    send_frame(&cl, OP_TEXT, 1, text, 600);
    send_frame(&cl, FIN | OP_CONT, 1, text, 401);
    expect_failed(&cl, 1009, "600 + 401 bytes in two frames");
    server_stop(&srv);
}
END_TEST

/* ==== §5.4 Fragmentation (Autobahn 5) ==== */

/* A message in many frames, some empty, is reassembled into one event. */
START_TEST(test_fragmented_message)
{
    start(NULL);
    ws_open(&cl, "/ws");
    send_frame(&cl, OP_TEXT, 1, "frag", 4);
    send_frame(&cl, OP_CONT, 1, "", 0);
    send_frame(&cl, OP_CONT, 1, "ment", 4);
    for (int i = 0; i < 20; i++) send_frame(&cl, OP_CONT, 1, "-", 1);
    send_frame(&cl, FIN | OP_CONT, 1, "ed", 2);
    expect_text(&cl, "{\"id\":1,\"data\":\"fragment--------------------ed\"}");
    send_frame(&cl, OP_TEXT, 1, "", 0);                 /* an empty message in two frames */
    send_frame(&cl, FIN | OP_CONT, 1, "", 0);
    expect_text(&cl, "{\"id\":2,\"data\":\"\"}");
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* Autobahn 5.6-5.8: a ping between fragments is answered at once with its
 * payload, and the message still completes. */
START_TEST(test_ping_between_fragments)
{
    start(NULL);
    ws_open(&cl, "/ws");
    send_frame(&cl, OP_TEXT, 1, "frag", 4);
    send_frame(&cl, FIN | OP_PING, 1, "in between", 10);
    ck_assert_int_eq(read_frame(&cl, &fr, 3000), 1);
    ck_assert_msg(fr.opcode == OP_PONG && fr.length == 10 && memcmp(fr.payload, "in between", 10) == 0,
                  "want pong \"in between\", got opcode %u \"%s\"", fr.opcode, fr.payload);
    send_frame(&cl, FIN | OP_PONG, 1, "unasked", 7);    /* an unsolicited pong, mid-message too */
    send_frame(&cl, FIN | OP_CONT, 1, "ment", 4);
    expect_text(&cl, "{\"id\":1,\"data\":\"fragment\"}");
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* Autobahn 5.1-5.5, 5.9-5.20: continuation with nothing to continue, or a
 * new message started inside a fragmented one: 1002. */
START_TEST(test_bad_fragmentation)
{
    start(NULL);
    ws_open(&cl, "/ws");
    send_frame(&cl, FIN | OP_CONT, 1, "orphan", 6);
    expect_failed(&cl, 1002, "continuation with nothing to continue");
    ws_open(&cl, "/ws");
    send_frame(&cl, OP_CONT, 1, "orphan", 6);
    expect_failed(&cl, 1002, "unfinished continuation with nothing to continue");
    ws_open(&cl, "/ws");
    send_frame(&cl, OP_TEXT, 1, "one", 3);
    send_frame(&cl, FIN | OP_TEXT, 1, "two", 3);
    expect_failed(&cl, 1002, "text frame inside a fragmented message");
    ws_open(&cl, "/ws");
    send_text(&cl, "done");
    expect_text(&cl, "\"data\":\"done\"");
    send_frame(&cl, FIN | OP_CONT, 1, "more", 4);       /* after a complete message */
    expect_failed(&cl, 1002, "continuation after a finished message");
    server_stop(&srv);
}
END_TEST

/* ==== §5.5.2 Pings and pongs (Autobahn 2) ==== */

/* A ping is answered with a pong carrying the same payload: empty, binary,
 * and the largest allowed (125 bytes). An unsolicited pong is ignored. */
START_TEST(test_ping_pong)
{
    static unsigned char payload[125];
    static const size_t sizes[] = {0, 1, 5, 125};
    start(NULL);
    ws_open(&cl, "/ws");
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (unsigned char)(255 - i);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        send_frame(&cl, FIN | OP_PING, 1, payload, sizes[i]);
        ck_assert_int_eq(read_frame(&cl, &fr, 3000), 1);
        ck_assert_msg(fr.opcode == OP_PONG, "ping of %zu: got opcode %u", sizes[i], fr.opcode);
        ck_assert_msg(fr.length == sizes[i] && memcmp(fr.payload, payload, sizes[i]) == 0,
                      "ping of %zu bytes: the pong carries other bytes", sizes[i]);
    }
    send_frame(&cl, FIN | OP_PONG, 1, "unsolicited", 11);
    expect_alive(&cl, "after an unsolicited pong");
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* ==== §8.1 UTF-8 (Autobahn 6) ==== */

/* Text that is not UTF-8 is refused with 1007 as soon as the bad byte
 * arrives: here the frame announces 100 bytes, but only 11 are sent, the
 * last one impossible (0xFF). The close must come without the other 89. */
START_TEST(test_utf8_fail_fast)
{
    static const unsigned char key[4] = {1, 2, 3, 4};
    unsigned char frame[2 + 4 + 11] = {FIN | OP_TEXT, 0x80 | 100, 1, 2, 3, 4};
    const char *good = "0123456789";
    for (int i = 0; i < 10; i++) frame[6 + i] = (unsigned char)(good[i] ^ key[i & 3]);
    frame[16] = 0xFF ^ key[10 & 3];
    start(NULL);
    ws_open(&cl, "/ws");
    send_all(cl.fd, frame, sizeof frame);
    expect_close(&cl, 1007, "0xFF after 10 good bytes of 100");
    /* The frame never ends, so the server cannot see a close from us: it
     * gives up waiting by itself. */
    expect_eof(&cl, 4000, "0xFF after 10 good bytes of 100");
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

static const struct {
    const char *what;
    const char *first, *second;   /* two fragments (second NULL: one frame) */
    int valid;
} utf8_messages[] = {
    {"κόσμε (Autobahn 6.2)", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", NULL, 1},
    {"a 4-byte character split across fragments", "a\xF0\x9F", "\x98\x80z", 1},
    {"U+10FFFF", "\xF4\x8F\xBF\xBF", NULL, 1},
    {"overlong '/'", "\xC0\xAF", NULL, 0},
    {"surrogate U+D800", "\xED\xA0\x80", NULL, 0},
    {"past U+10FFFF", "\xF4\x90\x80\x80", NULL, 0},
    {"truncated at the end of the message", "ok\xE2\x82", NULL, 0},
    {"truncated at the end of the last fragment", "ok", "\xE2\x82", 0},
    {"bad byte in the second fragment", "fine", "\xFF", 0},
};

/* Valid UTF-8 (also split inside a character across fragments) becomes an
 * event; invalid text, whole or cut short, is closed with 1007. */
START_TEST(test_utf8_messages)
{
    start(NULL);
    ws_open(&cl, "/ws");
    const char *first = utf8_messages[_i].first, *second = utf8_messages[_i].second;
    send_frame(&cl, (second ? 0 : FIN) | OP_TEXT, 1, first, strlen(first));
    if (second) send_frame(&cl, FIN | OP_CONT, 1, second, strlen(second));
    if (utf8_messages[_i].valid) {
        expect_text(&cl, "\"id\":1");
        ck_assert_msg(memmem(fr.payload, fr.length, first, strlen(first)),
                      "%s: the event does not carry the text", utf8_messages[_i].what);
        close(cl.fd);
    } else {
        expect_failed(&cl, 1007, utf8_messages[_i].what);
    }
    server_stop(&srv);
}
END_TEST

/* ==== §7 Closing (Autobahn 7) ==== */

/* A close with a valid code is echoed with that code, then the server shuts
 * the TCP connection (it closes first, §7.1.1); an empty close is answered
 * 1000 (never 1005). */
START_TEST(test_close_echo)
{
    static const int codes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
                                1013, 1014, 3000, 3999, 4000, 4999};
    start(NULL);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        ws_open(&cl, "/ws");
        send_close(&cl, codes[i], "bye");
        char what[32];
        snprintf(what, sizeof what, "close %d", codes[i]);
        expect_close(&cl, (unsigned)codes[i], what);
        expect_eof(&cl, 1500, what);
        close(cl.fd);
    }
    ws_open(&cl, "/ws");
    send_close(&cl, -1, NULL);
    expect_close(&cl, 1000, "empty close");
    expect_eof(&cl, 1500, "empty close");
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* A close payload of 1 byte, an invalid code, or a reason that is not
 * UTF-8 is a protocol error: 1002. */
START_TEST(test_close_invalid)
{
    static const int codes[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999,
                                5000, 65535};
    start(NULL);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        ws_open(&cl, "/ws");
        send_close(&cl, codes[i], NULL);
        char what[32];
        snprintf(what, sizeof what, "close code %d", codes[i]);
        expect_close(&cl, 1002, what);
        expect_eof(&cl, 1500, what);
        close(cl.fd);
    }
    ws_open(&cl, "/ws");
    send_frame(&cl, FIN | OP_CLOSE, 1, "\x03", 1);
    expect_close(&cl, 1002, "close payload of 1 byte");
    close(cl.fd);
    ws_open(&cl, "/ws");
    send_close(&cl, 1000, "bad \xFF reason");
    expect_close(&cl, 1002, "close reason not UTF-8");
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* After its own close the server waits for ours: answered, it shuts the
 * TCP connection at once; unanswered, after a short wait (a few seconds). */
START_TEST(test_close_wait)
{
    start(NULL);
    ws_open(&cl, "/ws");
    send_frame(&cl, FIN | OP_TEXT, 0, "x", 1);           /* provoke a close */
    expect_close(&cl, 1002, "unmasked");
    long long t0 = now_ms();
    expect_eof(&cl, 5000, "close never answered");
    long long waited = now_ms() - t0;
    ck_assert_msg(waited >= 1000, "closed after %lld ms: it did not wait for our close", waited);
    close(cl.fd);
    /* Data frames after the server's close are dropped, not answered. */
    ws_open(&cl, "/ws");
    send_frame(&cl, FIN | OP_TEXT, 0, "x", 1);
    expect_close(&cl, 1002, "unmasked");
    send_text(&cl, "ignored");
    send_frame(&cl, FIN | OP_PING, 1, "ignored", 7);
    send_close(&cl, 1000, NULL);
    t0 = now_ms();
    int r = read_frame(&cl, &fr, 3000);
    long long shut = now_ms() - t0;
    ck_assert_msg(r == 0, "after its close the server sent opcode %u", fr.opcode);
    /* At once means before CLOSE_WAIT (2 s), which an unanswered close waits. */
    printf("websocket: connection shut %lld ms after our close\n", shut);
    ck_assert_msg(shut < 1500, "our close did not end the connection at once (%lld ms)", shut);
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* SIGTERM: every client gets close 1001 (going away) and the server exits 0. */
START_TEST(test_shutdown_going_away)
{
    start(NULL);
    ws_open(&cl, "/ws");
    ws_open(&cl2, "/ws");
    wait_subscribers(2);
    kill(srv.pid, SIGTERM);
    expect_close(&cl, 1001, "shutdown, first client");
    expect_close(&cl2, 1001, "shutdown, second client");
    expect_eof(&cl, 3000, "shutdown");
    close(cl.fd);
    close(cl2.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* ==== Server pings and dead peers ==== */

/* With -i 0.2 a silent client is pinged; a client that answers stays. */
START_TEST(test_server_pings)
{
    static const char *const args[] = {"-i", "0.2", NULL};
    start(args);
    ws_open(&cl, "/ws");
    for (int i = 0; i < 4; i++) {                       /* answer four pings */
        ck_assert_int_eq(read_frame(&cl, &fr, 2000), 1);
        ck_assert_msg(fr.opcode == OP_PING, "want a ping, got opcode %u", fr.opcode);
        send_frame(&cl, FIN | OP_PONG, 1, fr.payload, fr.length);
    }
    ck_assert_int_eq(stats_field(srv.port, "subscribers"), 1);
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* A peer that never answers the ping is dead: dropped within a few
 * intervals, and no longer a subscriber. */
START_TEST(test_dead_peer)
{
    static const char *const args[] = {"-i", "0.2", NULL};
    start(args);
    ws_open(&cl, "/ws");
    long long t0 = now_ms();
    expect_eof(&cl, 3000, "a peer that never answers pings");
    ck_assert_msg(now_ms() - t0 < 2000, "dead peer found only after %lld ms", now_ms() - t0);
    wait_subscribers(0);
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* ==== What this server adds: events, replay, gaps, broadcast ==== */

/* A chat: a message from one client becomes an event that every client
 * gets (its sender too), as {"id":N,"data":"..."}, with JSON escaping; a
 * POST /publish reaches them the same way, in the same bytes. */
START_TEST(test_chat_broadcast)
{
    start(NULL);
    ws_open(&cl, "/ws");
    ws_open(&cl2, "/ws");
    wait_subscribers(2);
    send_text(&cl, "hi \"all\"\n");
    expect_text(&cl, "{\"id\":1,\"data\":\"hi \\\"all\\\"\\n\"}");
    expect_text(&cl2, "{\"id\":1,\"data\":\"hi \\\"all\\\"\\n\"}");
    ck_assert_int_eq(publish_event(srv.port, "from http"), 2);
    expect_text(&cl, "{\"id\":2,\"data\":\"from http\"}");
    expect_text(&cl2, "{\"id\":2,\"data\":\"from http\"}");
    ck_assert_int_eq(stats_field(srv.port, "events"), 2);
    ck_assert_int_eq(stats_field(srv.port, "deliveries"), 4);
    close(cl.fd);
    close(cl2.fd);
    server_stop(&srv);
}
END_TEST

/* ?since=N replays every kept event after N in order, then live events
 * follow; without ?since only live events come. */
START_TEST(test_replay_since)
{
    start(NULL);
    for (int i = 1; i <= 5; i++) {
        char data[32];
        snprintf(data, sizeof data, "event %d", i);
        ck_assert_int_eq(publish_event(srv.port, data), i);
    }
    ws_open(&cl, "/ws?since=2");
    expect_text(&cl, "{\"id\":3,\"data\":\"event 3\"}");
    expect_text(&cl, "{\"id\":4,\"data\":\"event 4\"}");
    expect_text(&cl, "{\"id\":5,\"data\":\"event 5\"}");
    ws_open(&cl2, "/ws");
    ck_assert_int_eq(read_frame(&cl2, &fr, 300), -1);  /* nothing replayed */
    ck_assert_int_eq(publish_event(srv.port, "live"), 6);
    expect_text(&cl, "{\"id\":6,\"data\":\"live\"}");
    expect_text(&cl2, "{\"id\":6,\"data\":\"live\"}");
    close(cl2.fd);
    ws_open(&cl2, "/ws?since=6");                       /* up to date: nothing */
    ck_assert_int_eq(read_frame(&cl2, &fr, 300), -1);
    close(cl.fd);
    close(cl2.fd);
    server_stop(&srv);
}
END_TEST

/* Events that have left the feed (-b 3) are announced as a gap frame
 * {"gap":true,"from":A,"to":B} before the kept ones. */
START_TEST(test_replay_gap)
{
    static const char *const args[] = {"-b", "3", NULL};
    start(args);
    for (int i = 1; i <= 6; i++) ck_assert_int_eq(publish_event(srv.port, "e"), i);
    ws_open(&cl, "/ws?since=1");
    expect_text(&cl, "{\"gap\":true,\"from\":2,\"to\":3}");
    expect_text(&cl, "{\"id\":4,");
    expect_text(&cl, "{\"id\":5,");
    expect_text(&cl, "{\"id\":6,");
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* A subscriber that never reads is cut off once it has held unsent bytes
 * and taken none for the stall time (-S), and counted in drops; the others
 * are not affected. Its window (-o) is all the server held for it. */
START_TEST(test_slow_subscriber)
{
    static const char *const args[] = {"-o", "65536", "-m", "100", "-S", "300", NULL};
    static char event[60000];
    start(args);
    ws_open(&cl, "/ws");                                 /* the slow one: never reads */
    ws_open(&cl2, "/ws");
    memset(event, 'x', sizeof event - 1);
    int published = 0;
    while (published < 400 && stats_field(srv.port, "drops") < 1) {
        ck_assert(publish_event(srv.port, event) > 0);
        published++;
        int r = read_frame(&cl2, &fr, 3000);            /* the fast one keeps up */
        ck_assert_msg(r == 1 && fr.opcode == OP_TEXT, "the fast subscriber missed event %d", published);
    }
    long long until = now_ms() + 5000;                  /* the stall time runs from its last byte */
    while (stats_field(srv.port, "drops") < 1 && now_ms() < until) usleep(10000);
    ck_assert_msg(stats_field(srv.port, "drops") == 1, "no drop after %d events of 60 kB", published);
    /* Now read the slow one: what reached its socket, then the end (no
     * close frame: it would have waited behind what it never read). */
    int events = 0, r;
    while ((r = read_frame(&cl, &fr, 3000)) == 1 && fr.opcode == OP_TEXT) events++;
    ck_assert_msg(r == 0, "after %d events: not closed (%d)", events, r);
    ck_assert_msg(events < published, "it got all %d events yet was dropped", published);
    close(cl.fd);
    expect_alive(&cl2, "the fast subscriber");
    close(cl2.fd);
    server_stop(&srv);
}
END_TEST

/* Pipelined: frames sent in the same packet as the handshake are read. */
START_TEST(test_frames_with_handshake)
{
    start(NULL);
    char req[1200];
    handshake_request(req, sizeof req, "/ws", NULL);
    size_t n = strlen(req);
    const unsigned char hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    memcpy(req + n, hello, sizeof hello);
    memset(&cl, 0, sizeof cl);
    cl.fd = tcp_connect(srv.port);
    send_all(cl.fd, req, n + sizeof hello);
    long long deadline = now_ms() + 3000;
    unsigned char *end;
    while (!(end = memmem(cl.buf, cl.len, "\r\n\r\n", 4))) ck_assert(fill(&cl, deadline) > 0);
    drop(&cl, (size_t)(end - cl.buf) + 4);
    expect_text(&cl, "{\"id\":1,\"data\":\"Hello\"}");
    close(cl.fd);
    server_stop(&srv);
}
END_TEST

/* ==== RFC 7692 permessage-deflate ==== */

#define OFFER "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
#define OFFER_NO_CONTEXT "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n"
#define RSV1 0x40
#define RSV2 0x20

/* RFC 7692 §7.2.3.1: "Hello" compressed, the 00 00 ff ff tail removed;
 * §7.2.3.2: the same again, referring back into the first message. */
static const unsigned char hello_deflated[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
static const unsigned char hello_again[] = {0xf2, 0x00, 0x11, 0x00, 0x00};

/* Compress one message as a client would (§7.2.1), with zlib itself, not
 * the server's code. Returns the payload's length. */
static size_t deflate_payload(const void *in, size_t n, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    ck_assert(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    ck_assert(deflate(&z, Z_SYNC_FLUSH) == Z_OK && z.avail_in == 0 && z.avail_out > 0);
    size_t len = cap - z.avail_out;
    deflateEnd(&z);
    ck_assert(len >= 4 && memcmp(out + len - 4, "\0\0\xff\xff", 4) == 0);
    return len - 4;
}

/* Inflate a server frame's payload (§7.2.2: the tail put back) into out,
 * NUL-terminated. Returns the length. */
static size_t inflate_payload(const unsigned char *in, size_t n, char *out, size_t cap)
{
    unsigned char *all = malloc(n + 4);
    memcpy(all, in, n);
    memcpy(all + n, "\0\0\xff\xff", 4);
    z_stream z;
    memset(&z, 0, sizeof z);
    ck_assert(inflateInit2(&z, -15) == Z_OK);
    z.next_in = all;
    z.avail_in = (uInt)(n + 4);
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)(cap - 1);
    int r = inflate(&z, Z_SYNC_FLUSH);
    ck_assert_msg(r == Z_OK && z.avail_in == 0, "the server's frame does not inflate: %d", r);
    size_t len = cap - 1 - z.avail_out;
    out[len] = 0;
    inflateEnd(&z);
    free(all);
    return len;
}

/* Broadcast with two forms: a compressed "Hello" (§7.2.3.1's bytes, RSV1)
 * is published as "Hello"; that short event comes back plain (compressing
 * would not make it smaller, and RFC 7692 lets each message choose); a long
 * event comes compressed (RSV1) to the client that agreed — and inflates
 * to the same bytes the plain client beside it gets with RSV1 clear. */
START_TEST(test_deflate_broadcast)
{
    static char big[3001], want[3100], got[4096];
    for (size_t i = 0; i < 3000; i++) big[i] = "the quick brown fox jumps "[i % 26];
    start(NULL);
    ws_open_with(&cl, "/ws", OFFER);
    ck_assert_msg(cl.deflate, "permessage-deflate was not agreed");
    ws_open(&cl2, "/ws");
    ck_assert(!cl2.deflate);
    wait_subscribers(2);
    send_frame(&cl, FIN | RSV1 | OP_TEXT, 1, hello_deflated, sizeof hello_deflated);
    expect_text(&cl, "{\"id\":1,\"data\":\"Hello\"}");
    ck_assert_msg(fr.rsv == 0, "a 23-byte event was sent compressed");
    expect_text(&cl2, "{\"id\":1,\"data\":\"Hello\"}");

    ck_assert_int_eq(publish_event(srv.port, big), 2);
    snprintf(want, sizeof want, "{\"id\":2,\"data\":\"%s\"}", big);
    ck_assert_int_eq(read_frame(&cl, &fr, 3000), 1);
    ck_assert_msg(fr.rsv == 4 && fr.opcode == OP_TEXT && fr.fin, "rsv %u opcode %u", fr.rsv, fr.opcode);
    ck_assert_msg(fr.length < 200, "3 kB of repeated text compressed to %zu bytes", fr.length);
    inflate_payload(fr.payload, fr.length, got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "inflated: %.80s...", got);
    ck_assert_int_eq(read_frame(&cl2, &fr, 3000), 1);
    ck_assert_msg(fr.rsv == 0 && strcmp((const char *)fr.payload, want) == 0, "the plain client's copy");
    ck_assert_int_eq(stats_field(srv.port, "deliveries"), 4);
    close(cl.fd);
    close(cl2.fd);
    server_stop(&srv);
}
END_TEST

/* §7.2.3.2: the client may keep its context across messages, so its second
 * "Hello", f2 00 11 00 00, refers back into the first. A client that
 * offered client_no_context_takeover has it echoed, and then the server's
 * window starts empty for each message: the same bytes refer to nothing,
 * 1007. And a compressed message in two frames, a ping between them, with
 * RSV1 on the first frame only (§6.1). */
START_TEST(test_deflate_context)
{
    start(NULL);
    ws_open_with(&cl, "/ws", OFFER);
    send_frame(&cl, FIN | RSV1 | OP_TEXT, 1, hello_deflated, sizeof hello_deflated);
    expect_text(&cl, "{\"id\":1,\"data\":\"Hello\"}");
    send_frame(&cl, FIN | RSV1 | OP_TEXT, 1, hello_again, sizeof hello_again);
    expect_text(&cl, "{\"id\":2,\"data\":\"Hello\"}");
    send_frame(&cl, RSV1 | OP_TEXT, 1, hello_deflated, 3);
    send_frame(&cl, FIN | OP_PING, 1, "p", 1);
    send_frame(&cl, FIN | OP_CONT, 1, hello_deflated + 3, sizeof hello_deflated - 3);
    ck_assert_int_eq(read_frame(&cl, &fr, 3000), 1);
    ck_assert_uint_eq(fr.opcode, OP_PONG);
    expect_text(&cl, "{\"id\":3,\"data\":\"Hello\"}");
    close(cl.fd);

    char head[2048], req[1024];
    int fd = tcp_connect(srv.port);
    handshake_request(req, sizeof req, "/ws", OFFER_NO_CONTEXT);
    send_all(fd, req, strlen(req));
    recv_until(fd, head, sizeof head, "\r\n\r\n", 3000);
    ck_assert_msg(strstr(head, "\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                               "client_no_context_takeover\r\n"), "not echoed: %s", head);
    close(fd);
    ws_open_with(&cl, "/ws", OFFER_NO_CONTEXT);
    send_frame(&cl, FIN | RSV1 | OP_TEXT, 1, hello_deflated, sizeof hello_deflated);
    expect_text(&cl, "{\"id\":4,\"data\":\"Hello\"}");
    send_frame(&cl, FIN | RSV1 | OP_TEXT, 1, hello_again, sizeof hello_again);
    expect_failed(&cl, 1007, "a back-reference after client_no_context_takeover");
    server_stop(&srv);
}
END_TEST

static const struct {
    const char *what;
    unsigned char bytes[8];
    size_t n;
} bad_deflate[] = {
    {"a reserved block type", {0x07, 0x00}, 2},
    {"all ones", {0xff, 0xff, 0xff, 0xff}, 4},
    {"\"Hello\" cut inside its block", {0xf2, 0x48, 0xcd}, 3},
};

/* Compressed data that does not inflate, or ends inside a block: 1007
 * (invalid data, as for text that is not UTF-8). */
START_TEST(test_deflate_invalid_data)
{
    start(NULL);
    ws_open_with(&cl, "/ws", OFFER);
    send_frame(&cl, FIN | RSV1 | OP_TEXT, 1, bad_deflate[_i].bytes, bad_deflate[_i].n);
    expect_failed(&cl, 1007, bad_deflate[_i].what);
    ck_assert_int_eq(stats_field(srv.port, "events"), 0);
    server_stop(&srv);
}
END_TEST

/* RFC 7692 §6.1: RSV1 marks the first frame of a compressed message, and
 * nothing else: on a ping, a close or a continuation it is 1002, and so is
 * RSV2 even with the extension agreed; without the extension RSV1 is 1002
 * too (test_rsv_bits). Each case on a fresh connection. */
START_TEST(test_deflate_rsv1_misplaced)
{
    start(NULL);
    ws_open_with(&cl, "/ws", OFFER);
    send_frame(&cl, FIN | RSV1 | OP_PING, 1, "p", 1);
    expect_failed(&cl, 1002, "RSV1 on a ping");
    ws_open_with(&cl, "/ws", OFFER);
    send_frame(&cl, FIN | RSV1 | OP_CLOSE, 1, "\x03\xe8", 2);
    expect_failed(&cl, 1002, "RSV1 on a close");
    ws_open_with(&cl, "/ws", OFFER);
    send_frame(&cl, RSV1 | OP_TEXT, 1, hello_deflated, 3);
    send_frame(&cl, FIN | RSV1 | OP_CONT, 1, hello_deflated + 3, sizeof hello_deflated - 3);
    expect_failed(&cl, 1002, "RSV1 on a continuation");
    ws_open_with(&cl, "/ws", OFFER);
    send_frame(&cl, FIN | RSV2 | OP_TEXT, 1, hello_deflated, sizeof hello_deflated);
    expect_failed(&cl, 1002, "RSV2 with permessage-deflate");
    ck_assert_int_eq(stats_field(srv.port, "events"), 0);
    server_stop(&srv);
}
END_TEST

/* A decompression bomb: with -m 65536, a 60 000-byte message sent
 * compressed (a few hundred bytes) is published; 1 MB of the same text,
 * under 2 kB compressed, passes every header check but is stopped at
 * 65 536 inflated bytes with 1009. */
START_TEST(test_deflate_bomb)
{
    static unsigned char text[1 << 20], packed[1 << 16];
    memset(text, 'a', sizeof text);
    const char *args[] = {"-m", "65536", NULL};
    start(args);
    ws_open_with(&cl, "/ws", OFFER);
    size_t n = deflate_payload(text, 60000, packed, sizeof packed);
    send_frame(&cl, FIN | RSV1 | OP_TEXT, 1, packed, n);
    ck_assert_int_eq(read_frame(&cl, &fr, 3000), 1);
    ck_assert_msg(fr.opcode == OP_TEXT && fr.rsv == 4, "the 60 000-byte event: opcode %u rsv %u",
                  fr.opcode, fr.rsv);
    ck_assert_int_eq(stats_field(srv.port, "events"), 1);
    n = deflate_payload(text, sizeof text, packed, sizeof packed);
    ck_assert_msg(n < 2048, "1 MB compressed to %zu bytes", n);
    send_frame(&cl, FIN | RSV1 | OP_TEXT, 1, packed, n);
    expect_failed(&cl, 1009, "a 1 MB bomb against -m 65536");
    ck_assert_int_eq(stats_field(srv.port, "events"), 1);
    server_stop(&srv);
}
END_TEST

static Suite *websocket_suite(void)
{
    Suite *s = suite_create("websocket");
    TCase *hs = tcase_create("handshake");
    tcase_set_timeout(hs, 30);
    tcase_add_test(hs, test_handshake_rfc_example);
    tcase_add_test(hs, test_handshake_tokens);
    tcase_add_loop_test(hs, test_handshake_refused, 0,
                        (int)(sizeof bad_handshakes / sizeof bad_handshakes[0]));
    suite_add_tcase(s, hs);

    TCase *frames = tcase_create("framing");
    tcase_set_timeout(frames, 30);
    tcase_add_test(frames, test_text_lengths);
    tcase_add_test(frames, test_frame_byte_by_byte);
    tcase_add_test(frames, test_frames_with_handshake);
    tcase_add_test(frames, test_unmasked_frame);
    tcase_add_loop_test(frames, test_rsv_bits, 0, 7);
    tcase_add_test(frames, test_reserved_opcodes);
    tcase_add_test(frames, test_length_top_bit);
    tcase_add_test(frames, test_bad_control_frames);
    tcase_add_test(frames, test_binary_refused);
    tcase_add_test(frames, test_message_too_big);
    suite_add_tcase(s, frames);

    TCase *frag = tcase_create("fragmentation");
    tcase_set_timeout(frag, 30);
    tcase_add_test(frag, test_fragmented_message);
    tcase_add_test(frag, test_ping_between_fragments);
    tcase_add_test(frag, test_bad_fragmentation);
    tcase_add_test(frag, test_ping_pong);
    suite_add_tcase(s, frag);

    TCase *utf8 = tcase_create("utf8");
    tcase_set_timeout(utf8, 30);
    tcase_add_test(utf8, test_utf8_fail_fast);
    tcase_add_loop_test(utf8, test_utf8_messages, 0,
                        (int)(sizeof utf8_messages / sizeof utf8_messages[0]));
    suite_add_tcase(s, utf8);

    TCase *closing = tcase_create("closing");
    tcase_set_timeout(closing, 30);
    tcase_add_test(closing, test_close_echo);
    tcase_add_test(closing, test_close_invalid);
    tcase_add_test(closing, test_close_wait);
    tcase_add_test(closing, test_shutdown_going_away);
    tcase_add_test(closing, test_server_pings);
    tcase_add_test(closing, test_dead_peer);
    suite_add_tcase(s, closing);

    TCase *deflate = tcase_create("permessage-deflate");
    tcase_set_timeout(deflate, 30);
    tcase_add_test(deflate, test_deflate_broadcast);
    tcase_add_test(deflate, test_deflate_context);
    tcase_add_loop_test(deflate, test_deflate_invalid_data, 0,
                        (int)(sizeof bad_deflate / sizeof bad_deflate[0]));
    tcase_add_test(deflate, test_deflate_rsv1_misplaced);
    tcase_add_test(deflate, test_deflate_bomb);
    suite_add_tcase(s, deflate);

    TCase *events = tcase_create("events");
    tcase_set_timeout(events, 60);
    tcase_add_test(events, test_chat_broadcast);
    tcase_add_test(events, test_replay_since);
    tcase_add_test(events, test_replay_gap);
    tcase_add_test(events, test_slow_subscriber);
    suite_add_tcase(s, events);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(websocket_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
