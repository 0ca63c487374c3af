/*
 * tests/adversarial/chaos.c — random bytes over real sockets: mutated HTTP
 * requests against all four servers, and random WebSocket frames after a
 * good handshake (where libFuzzer cannot reach: the
 * request loop in core/request.c and the frame state machine in
 * websocket/websocket.c).
 *
 * HTTP: REQUESTS per server, each a seed request (GET /stats, a publish, a
 * poll, a stream, a handshake, ...) with one to four random mutations
 * (a byte changed, a CR/LF/NUL/SP/colon/digit inserted, a byte deleted, a
 * line doubled, the end cut off), sent in one to four pieces, BATCH
 * connections at a time. WebSocket: FRAME_CLIENTS connections shake hands
 * properly, then send one to six random frames (any FIN/RSV/opcode, masked
 * or not, lengths around every boundary, payloads of random bytes, UTF-8
 * text or close codes good and bad).
 *
 * What must hold: every answer that comes is a well-formed status line with
 * a status the servers can give; every close frame carries a code a server
 * may send (RFC 6455 §7.4: never 1005, 1006 or 1015, never below 1000);
 * every text frame is valid UTF-8; every server is alive at the end, back to
 * no connections but ours, and exits 0 on SIGTERM (under SAN=1: with no
 * sanitizer report; under valgrind: with no error). The seed of the random
 * generator is printed, and RTLAB_SEED=N repeats a run exactly.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "adv.h"
#include "utf8.h"

enum {
    REQUESTS = 400,           /* mutated requests per server */
    FRAME_CLIENTS = 300,      /* WebSocket connections sending random frames */
    BATCH = 100,              /* connections in flight at once */
    IDLE_MS = 300,            /* a connection quiet this long is done */
    MAX_SEND = 4096,
    MAX_GOT = 4096,
};

/* ==== A small, repeatable random generator (xorshift64*) ==== */

static unsigned long long rng_state;

/* Under valgrind (RTLAB_SLOWDOWN set) half as many, to stay within time. */
static int requests_per_server = REQUESTS, frame_clients = FRAME_CLIENTS;

static unsigned long long rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static unsigned pick(unsigned n) { return (unsigned)(rng() % n); }

/* ==== Seeds and mutations ==== */

static const char *const seeds[] = {
    "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n",
    "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    "GET /poll?since=1&timeout=1 HTTP/1.1\r\nHost: t\r\n\r\n",
    "GET /events HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 1\r\nAccept: text/event-stream\r\n\r\n",
    "GET /ws?since=0 HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    "OPTIONS /publish HTTP/1.1\r\nHost: t\r\nOrigin: http://x\r\nAccess-Control-Request-Method: POST\r\n\r\n",
    "HEAD /stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: t\r\n\r\n",
    /* requests pipelined behind one the technique holds */
    "GET /events HTTP/1.1\r\nHost: t\r\n\r\nGET /stats HTTP/1.1\r\nHost: t\r\n\r\n",
    "GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\nGET /poll?since=1&timeout=0 HTTP/1.1\r\nHost: t\r\n\r\n"
    "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi",
};
enum { SEED_COUNT = sizeof seeds / sizeof seeds[0] };

static const char interesting[] = "\r\n\0 \t:0123456789\x7f\xff/?&=%,;";

/* One random mutation of r[0..*n) in place (room for MAX_SEND bytes). */
static void mutate(char *r, size_t *n)
{
    size_t at = *n ? pick((unsigned)*n) : 0;
    switch (pick(6)) {
    case 0:                                          /* change a byte */
        if (*n) r[at] = (char)pick(256);
        break;
    case 1:                                          /* insert an interesting byte */
        if (*n + 1 < MAX_SEND) {
            memmove(r + at + 1, r + at, *n - at);
            r[at] = interesting[pick(sizeof interesting - 1)];
            (*n)++;
        }
        break;
    case 2:                                          /* delete a byte */
        if (*n) {
            memmove(r + at, r + at + 1, *n - at - 1);
            (*n)--;
        }
        break;
    case 3: {                                        /* double the line around at */
        size_t start = at, end = at;
        while (start > 0 && r[start - 1] != '\n') start--;
        while (end < *n && r[end] != '\n') end++;
        if (end < *n) end++;
        size_t len = end - start;
        if (*n + len < MAX_SEND) {
            memmove(r + end + len, r + end, *n - end);
            memcpy(r + end, r + start, len);
            *n += len;
        }
        break;
    }
    case 4:                                          /* cut the end off */
        *n = at;
        break;
    default:                                         /* a run of one byte (a long value) */
        if (*n + 600 < MAX_SEND) {
            size_t len = 1 + pick(600);
            memmove(r + at + len, r + at, *n - at);
            memset(r + at, "a \r\n0:"[pick(6)], len);
            *n += len;
        }
    }
}

/* ==== Connections in flight ==== */

struct client {
    int fd;
    long long last_ms;        /* when it last sent or received */
    char got[MAX_GOT];        /* the first bytes it received */
    size_t got_len;
    int closed;
};

static struct client clients[BATCH];

/* Read whatever each client has until all are closed or quiet. Under
 * valgrind (RTLAB_SLOWDOWN set) a server answers slower: wait longer, or
 * fewer answers would be checked. Sanitized builds are quick enough. */
static void drain_batch(int count)
{
    long long idle_ms = getenv("RTLAB_SLOWDOWN") ? 5 * IDLE_MS : IDLE_MS;
    for (;;) {
        struct pollfd p[BATCH];
        int open = 0;
        long long now = adv_now_ms();
        for (int i = 0; i < count; i++) {
            p[i] = (struct pollfd){.fd = -1};
            if (clients[i].closed) continue;
            if (now - clients[i].last_ms > idle_ms) {   /* quiet: done */
                close(clients[i].fd);
                clients[i].closed = 1;
                continue;
            }
            p[i] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
            open++;
        }
        if (!open) return;
        poll(p, (nfds_t)count, 20);
        for (int i = 0; i < count; i++) {
            if (p[i].fd < 0 || !p[i].revents) continue;
            struct client *c = &clients[i];
            char buf[4096];
            ssize_t n = recv(c->fd, buf, sizeof buf, 0);
            if (n > 0) {
                size_t k = (size_t)n < MAX_GOT - c->got_len ? (size_t)n : MAX_GOT - c->got_len;
                memcpy(c->got + c->got_len, buf, k);
                c->got_len += k;
                c->last_ms = adv_now_ms();
            } else if (n == 0 || errno != EAGAIN) {
                close(c->fd);
                c->closed = 1;
            }
        }
    }
}

/* Send r[0..n) in one to four pieces. */
static void send_pieces(int fd, const char *r, size_t n)
{
    unsigned pieces = 1 + pick(4);
    size_t at = 0;
    for (unsigned i = 1; i <= pieces && at < n; i++) {
        size_t k = i == pieces ? n - at : pick((unsigned)(n - at) + 1);
        if (k && send(fd, r + at, k, MSG_NOSIGNAL) < 0) return;
        at += k;
    }
}

/* ==== Checking answers ==== */

static const int statuses[] = {101, 200, 204, 400, 401, 403, 404, 405, 408, 413, 414, 421, 426, 431, 501, 503, 505};
static long status_seen[600];

/* The first answer in c->got (if any) must be a known status line. */
static void check_http_answer(const char *server, const struct client *c, const char *request, size_t len)
{
    if (c->got_len == 0) return;              /* nothing yet (a cut request, a parked poll) */
    int status = -1;
    if (c->got_len >= 13 && memcmp(c->got, "HTTP/1.1 ", 9) == 0 && c->got[12] == ' ')
        status = atoi(c->got + 9);
    int known = 0;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) known |= statuses[i] == status;
    if (!known) {
        adv_fail("%s answered \"%.40s\" to a %zu-byte request starting \"%.40s\"", server, c->got, len, request);
        return;
    }
    status_seen[status]++;
}

/* ==== Random WebSocket frames ==== */

static size_t random_frame(unsigned char *f, size_t cap)
{
    static const unsigned opcodes[] = {0, 1, 1, 1, 2, 8, 8, 9, 10, 3, 11, 15};
    static const unsigned long long lengths[] = {0, 1, 2, 5, 125, 126, 127, 200, 65535, 65536, 70000,
                                                 1u << 20, (1u << 20) + 1, 1ull << 40};
    unsigned opcode = opcodes[pick(sizeof opcodes / sizeof opcodes[0])];
    unsigned long long len = pick(3) ? pick(40) : lengths[pick(sizeof lengths / sizeof lengths[0])];
    int masked = pick(10) != 0;
    size_t at = 0;
    f[at++] = (unsigned char)((pick(4) ? 0x80 : 0) | (pick(10) ? 0 : pick(8) << 4) | opcode);
    if (len < 126 && pick(20)) {
        f[at++] = (unsigned char)((masked ? 0x80 : 0) | len);
    } else if (len < 65536 && pick(20)) {
        f[at++] = (unsigned char)((masked ? 0x80 : 0) | 126);
        f[at++] = (unsigned char)(len >> 8);
        f[at++] = (unsigned char)len;
    } else {
        f[at++] = (unsigned char)((masked ? 0x80 : 0) | 127);
        for (int i = 7; i >= 0; i--) f[at++] = (unsigned char)(len >> (8 * i));
        if (!pick(20)) f[at - 8] |= 0x80;         /* the forbidden top bit */
    }
    unsigned char mask[4] = {0, 0, 0, 0};
    if (masked)
        for (int i = 0; i < 4; i++) f[at++] = mask[i] = (unsigned char)pick(256);
    size_t body = len < cap - at ? (size_t)len : cap - at;   /* a long one stays unfinished */
    size_t start = at;
    unsigned kind = pick(3);
    for (size_t i = 0; i < body; i++) {
        unsigned char b;
        if (kind == 0) b = (unsigned char)pick(256);                    /* random bytes */
        else if (kind == 1) b = (unsigned char)("hello \xc3\xa9 \xe2\x82\xac!"[i % 14]);  /* UTF-8 text */
        else b = (unsigned char)(i == 0 ? 0x03 : i == 1 ? "\xe8\xe9\xed\xee\xef\x0f\xa0\x88"[pick(8)] : 'r');
        f[start + i] = b ^ mask[i % 4];
    }
    return start + body;
}

static long close_codes[5000];

/* Check the frames the server sent after its 101: text frames valid UTF-8,
 * a close frame's code one a server may send. */
static void check_ws_answer(const struct client *c)
{
    const unsigned char *p = (const unsigned char *)c->got;
    const unsigned char *end = p + c->got_len;
    const unsigned char *head_end = memmem(p, c->got_len, "\r\n\r\n", 4);
    if (!head_end || memcmp(p, "HTTP/1.1 101 ", 13) != 0) {
        adv_fail("websocket: the handshake was not answered 101 (\"%.30s\")", c->got);
        return;
    }
    p = head_end + 4;
    while (end - p >= 2) {
        unsigned opcode = p[0] & 0x0f, len7 = p[1] & 0x7f;
        if (p[1] & 0x80) { adv_fail("websocket: a server frame is masked"); return; }
        size_t hl = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
        if ((size_t)(end - p) < hl) return;
        unsigned long long len = len7;
        if (len7 == 126) len = (unsigned long long)p[2] << 8 | p[3];
        if (len7 == 127) { len = 0; for (int i = 2; i < 10; i++) len = len << 8 | p[i]; }
        if ((unsigned long long)(end - p) < hl + len) return;   /* cut off by our buffer */
        const unsigned char *payload = p + hl;
        if (opcode == 1 && !utf8_valid(payload, (size_t)len))
            adv_fail("websocket: a text frame that is not UTF-8");
        if (opcode == 8) {
            int code = len >= 2 ? payload[0] << 8 | payload[1] : -1;
            if (len == 1 || (len >= 2 && (code < 1000 || code == 1004 || code == 1005 || code == 1006 ||
                                          code == 1015 || (code > 1014 && code < 3000) || code > 4999)))
                adv_fail("websocket: close frame with code %d (length %llu)", code, len);
            if (code >= 1000 && code < 5000) close_codes[code]++;
            return;
        }
        p += hl + len;
    }
}

/* ==== The runs ==== */

/* Open a client; 0, or -1 when the server refused the connection. */
static int client_open(struct client *c, int port)
{
    memset(c, 0, sizeof *c);
    c->fd = adv_connect(port, 0);
    if (c->fd < 0) return -1;
    c->last_ms = adv_now_ms();
    return 0;
}

static void http_chaos(const char *server, int port)
{
    static char requests[BATCH][MAX_SEND];
    static size_t lengths[BATCH];
    for (int done = 0; done < requests_per_server; done += BATCH) {
        for (int i = 0; i < BATCH; i++) {
            const char *seed = seeds[pick(SEED_COUNT)];
            size_t n = strlen(seed);
            memcpy(requests[i], seed, n);
            for (unsigned m = 1 + pick(4); m > 0; m--) mutate(requests[i], &n);
            lengths[i] = n;
            if (client_open(&clients[i], port) < 0) {
                adv_fail("%s refused a connection", server);
                clients[i].closed = 1;
                continue;
            }
            adv_nonblock(clients[i].fd);
            send_pieces(clients[i].fd, requests[i], n);
        }
        drain_batch(BATCH);
        for (int i = 0; i < BATCH; i++) check_http_answer(server, &clients[i], requests[i], lengths[i]);
    }
}

static void frame_chaos(int port)
{
    static unsigned char frames[MAX_SEND];
    for (int done = 0; done < frame_clients; done += BATCH) {
        for (int i = 0; i < BATCH; i++) {
            struct client *c = &clients[i];
            if (client_open(c, port) < 0) { adv_fail("websocket refused a connection"); c->closed = 1; continue; }
            size_t n = (size_t)snprintf((char *)frames, sizeof frames, "%s", seeds[4]);
            for (unsigned k = 1 + pick(6); k > 0 && n < sizeof frames - 64; k--)
                n += random_frame(frames + n, sizeof frames - n);
            adv_nonblock(c->fd);
            send_pieces(c->fd, (const char *)frames, n);
        }
        drain_batch(BATCH);
        for (int i = 0; i < BATCH; i++) check_ws_answer(&clients[i]);
    }
}

/* After the storm: the server is alive, holds nothing but our /stats
 * request, and exits 0. */
static void check_after(const char *server, struct test_server *ts)
{
    long long deadline = adv_now_ms() + 5000LL * adv_slowdown();
    long open;
    while ((open = stats_field(ts->port, "connections_open")) != 1 && adv_now_ms() < deadline) usleep(20000);
    ADV_CHECK(open == 1, "%s: %ld connections open after the chaos, want 1", server, open);
    long subs = stats_field(ts->port, "subscribers");
    ADV_CHECK(subs == 0, "%s: %ld subscribers left", server, subs);
    int status = server_stop(ts);
    ADV_CHECK(status == 0, "%s exited with %d after the chaos", server, status);
}

int main(void)
{
    adv_raise_fd_limit(1024);
    const char *env = getenv("RTLAB_SEED");
    unsigned long long seed = env && *env ? strtoull(env, NULL, 10) : (unsigned long long)time(NULL);
    rng_state = seed ? seed : 1;
    if (getenv("RTLAB_SLOWDOWN")) {
        requests_per_server = REQUESTS / 2;
        frame_clients = FRAME_CLIENTS * 2 / 3;
    }
    printf("seed %llu (RTLAB_SEED=%llu repeats this run)\n", seed, seed);
    static const char *const names[] = {"polling", "longpoll", "sse", "websocket"};
    static const char *const args[] = {"-t", "0", NULL};
    int missing = 0, tried = 0, frames_tried = 0;
    for (size_t s = 0; s < sizeof names / sizeof names[0]; s++) {
        if (!adv_have_server(names[s], &missing)) { missing = 1; continue; }
        struct test_server ts;
        if (server_start(&ts, names[s], args) != 0) { adv_fail("%s did not start", names[s]); continue; }
        publish_event(ts.port, "one event, so that polls with since=0 answer at once");
        http_chaos(names[s], ts.port);
        if (strcmp(names[s], "websocket") == 0) {
            frame_chaos(ts.port);
            frames_tried = frame_clients;
        }
        check_after(names[s], &ts);
        tried++;
    }
    printf("statuses answered:");
    for (int i = 0; i < 600; i++)
        if (status_seen[i]) printf(" %d x%ld", i, status_seen[i]);
    printf("\nclose codes sent:");
    for (int i = 0; i < 5000; i++)
        if (close_codes[i]) printf(" %d x%ld", i, close_codes[i]);
    printf("\nresult: %d mutated requests on each of %d servers and %d WebSocket connections of random frames "
           "(seed %llu): %d failures\n", requests_per_server, tried, frames_tried, seed, adv_failures());
    return adv_exit(missing);
}
