/*
 * tests/integration/test_sse_net.c — bin/sse over real sockets.
 *
 * What an EventSource relies on: the stream's head says text/event-stream
 * and forbids caching and proxy buffering; retry: and the starting id come
 * first; each event
 * arrives as soon as it is published, byte for byte in the event-stream
 * format; a reconnect with Last-Event-ID (or ?since=N) replays every kept
 * event after it once and in order, with event: gap when some are gone; a
 * cursor the server never issued is ignored, never an error; a quiet stream
 * carries keep-alive comments; every subscriber gets every event once and
 * in order; one that stops reading is cut off without hurting the others,
 * and comes back losing nothing still in the feed.
 *
 * Suites: stream (head and format), resume (cursors, replay, gap),
 * fan-out (many subscribers, the slow one).
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../support/netclient.h"

static struct test_server srv;

/* Start bin/sse with the ticker off and these extra flags. */
static void start(const char *const extra[])
{
    const char *args[16] = {"-t", "0"};
    int n = 2;
    for (int i = 0; extra && extra[i] && n < 15; i++) args[n++] = extra[i];
    args[n] = NULL;
    ck_assert_msg(server_start(&srv, "sse", args) == 0, "bin/sse did not start");
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Wait (at most 5 s) until /stats shows `want` streaming subscribers. */
static void wait_subscribers(long want)
{
    ck_assert_int_eq(wait_stats_equal(srv.port, "subscribers", want, 5000), want);
}

/* Publish n events "<prefix> <i>" and check they got ids first, first+1... */
static void publish_n(long first, int n, const char *prefix)
{
    for (int i = 0; i < n; i++) {
        char data[64];
        snprintf(data, sizeof data, "%s %ld", prefix, first + i);
        ck_assert_int_eq(publish_event(srv.port, data), first + i);
    }
}

/* ==== A small EventSource: open a stream, read its events ==== */

/* One stream as a test client sees it. The parser follows WHATWG HTML
 * §9.2.5/§9.2.6 for what this server writes: LF-ended lines; "id", "event"
 * and "data" fields; comments; an empty line dispatches the block. */
struct stream {
    int fd;
    char head[4096];        /* the response head, NUL-terminated */
    char buf[1 << 16];      /* bytes of the body not yet parsed (a partial line) */
    size_t len;
    int eof;                /* the server closed the stream */
    /* the block being read */
    char event[32];         /* event type, "" for "message" */
    char data[256];         /* data lines joined with LF (truncated) */
    size_t data_len;
    int has_data;
    uint64_t block_id;      /* last event ID before this block */
    /* what was dispatched */
    long events;            /* blocks dispatched as "message" */
    long gaps;              /* blocks dispatched as "gap" */
    long disorder;          /* message ids that were not the previous id + 1 */
    long keepalives;        /* ": keep-alive" comment lines */
    uint64_t last_id;       /* the last event ID: what a browser would send back */
    uint64_t first_id;      /* the first message id, 0 before */
    long retry;             /* the last retry: value, -1 before */
    long blocks;            /* empty lines seen: blocks ended */
    uint64_t start_id;      /* the last event ID once the first block ended */
    char last_data[256];    /* data of the last message */
    char gap_data[256];     /* data of the last gap */
};

/* The empty line: dispatch the block (§9.2.6), then start a new one. */
static void stream_dispatch(struct stream *st)
{
    if (st->blocks++ == 0) st->start_id = st->last_id;
    if (st->has_data && strcmp(st->event, "gap") == 0) {
        st->gaps++;
        snprintf(st->gap_data, sizeof st->gap_data, "%s", st->data);
    } else if (st->has_data) {
        if (st->first_id == 0) st->first_id = st->last_id;
        else if (st->last_id != st->block_id + 1) st->disorder++;
        st->events++;
        snprintf(st->last_data, sizeof st->last_data, "%s", st->data);
    }                                       /* no data: nothing dispatched */
    st->event[0] = st->data[0] = '\0';
    st->data_len = 0;
    st->has_data = 0;
    st->block_id = st->last_id;
}

/* One line (NUL-terminated, without its LF). */
static void stream_line(struct stream *st, char *line)
{
    if (line[0] == '\0') {
        stream_dispatch(st);
        return;
    }
    if (line[0] == ':') {
        if (strcmp(line, ": keep-alive") == 0) st->keepalives++;
        return;
    }
    char *value = strchr(line, ':');
    if (!value) return;
    *value++ = '\0';
    if (*value == ' ') value++;
    if (strcmp(line, "id") == 0) {
        st->last_id = strtoull(value, NULL, 10);
    } else if (strcmp(line, "retry") == 0) {
        st->retry = strtol(value, NULL, 10);
    } else if (strcmp(line, "event") == 0) {
        snprintf(st->event, sizeof st->event, "%s", value);
    } else if (strcmp(line, "data") == 0) {
        size_t room = sizeof st->data - st->data_len;
        int n = snprintf(st->data + st->data_len, room, "%s%s", st->has_data ? "\n" : "", value);
        st->data_len += (size_t)n < room ? (size_t)n : room - 1;
        st->has_data = 1;
    }
}

/* Parse every complete line in st->buf; keep a partial one. */
static void stream_parse(struct stream *st)
{
    size_t at = 0;
    char *end;
    while ((end = memchr(st->buf + at, '\n', st->len - at))) {
        *end = '\0';
        stream_line(st, st->buf + at);
        at = (size_t)(end - st->buf) + 1;
    }
    memmove(st->buf, st->buf + at, st->len - at);
    st->len -= at;
}

/* Read what has arrived, waiting at most timeout_ms for more, and stop early
 * once the last event ID reaches until_id (0: read until the timeout). */
static void stream_read(struct stream *st, uint64_t until_id, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    while (!st->eof && (until_id == 0 || st->last_id < until_id)) {
        long long left = deadline - now_ms();
        if (left <= 0) break;
        struct pollfd p = {.fd = st->fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0) break;
        ssize_t n = recv(st->fd, st->buf + st->len, sizeof st->buf - st->len - 1, 0);
        if (n <= 0) {
            st->eof = 1;
            break;
        }
        st->len += (size_t)n;
        stream_parse(st);
    }
}

/* Like tcp_connect, with a receive buffer of `rcvbuf` bytes: set before
 * connect, so the window the kernel offers is small from the start. */
static int tcp_connect_small(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Open a stream: GET target with extra header lines ("Name: value\r\n"...),
 * read the head (it must be 200) and whatever body came with it. */
static void stream_open(struct stream *st, const char *target, const char *headers, int rcvbuf)
{
    memset(st, 0, sizeof *st);
    st->retry = -1;
    st->fd = rcvbuf ? tcp_connect_small(srv.port, rcvbuf) : tcp_connect(srv.port);
    ck_assert_int_ge(st->fd, 0);
    char req[1024];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n%s\r\n",
             target, headers ? headers : "");
    ck_assert_int_eq(send_all(st->fd, req, strlen(req)), 0);
    char raw[8192];
    size_t n = recv_until(st->fd, raw, sizeof raw, "\r\n\r\n", 3000);
    char *end = strstr(raw, "\r\n\r\n");
    ck_assert_msg(end != NULL, "no response head (got %zu bytes)", n);
    size_t head_len = (size_t)(end - raw) + 4;
    ck_assert_uint_lt(head_len, sizeof st->head);
    memcpy(st->head, raw, head_len);
    ck_assert_msg(strncmp(st->head, "HTTP/1.1 200 ", 13) == 0, "not 200: %s", st->head);
    memcpy(st->buf, raw + head_len, n - head_len);
    st->len = n - head_len;
    stream_parse(st);
}

/* ==== stream: the head and the format ==== */

/* The head an EventSource and proxies need: 200, text/event-stream,
 * no-cache, X-Accel-Buffering: no, no Content-Length (the body lasts as
 * long as the connection: Connection: close), CORS for the demo page; the
 * body begins with one block: retry: and the id the stream starts after
 * (0 on an empty feed). */
START_TEST(stream_head_and_retry)
{
    start(NULL);
    int fd = tcp_connect(srv.port);
    const char *req = "GET /events HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(send_all(fd, req, strlen(req)), 0);
    char got[4096];
    recv_until(fd, got, sizeof got, "retry: 3000\nid: 0\n\n", 3000);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0, "status line: %s", got);
    ck_assert_ptr_nonnull(strstr(got, "\r\nContent-Type: text/event-stream\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nCache-Control: no-cache\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nX-Accel-Buffering: no\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nConnection: close\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nAccess-Control-Allow-Origin: *\r\n"));
    ck_assert_ptr_null(strcasestr(got, "Content-Length"));
    char *body = strstr(got, "\r\n\r\n") + 4;
    ck_assert_str_eq(body, "retry: 3000\nid: 0\n\n");
    wait_subscribers(1);
    close(fd);
    wait_subscribers(0);                     /* a vanished reader is forgotten */
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* -r sets the retry: the browser waits that long before reconnecting. */
START_TEST(retry_flag)
{
    static const char *const args[] = {"-r", "250", NULL};
    start(args);
    struct stream st;
    stream_open(&st, "/events", NULL, 0);
    for (int i = 0; i < 100 && st.blocks == 0 && !st.eof; i++) stream_read(&st, 0, 20);
    ck_assert_int_eq(st.retry, 250);
    close(st.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* Each event arrives as soon as it is published, exactly as the format
 * says: id, one data: line per line of data (LF, CR and CRLF alike), the
 * empty line. */
START_TEST(events_byte_for_byte)
{
    start(NULL);
    int fd = tcp_connect(srv.port);
    const char *req = "GET /events HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(send_all(fd, req, strlen(req)), 0);
    char got[4096];
    recv_until(fd, got, sizeof got, "retry: 3000\nid: 0\n\n", 3000);
    wait_subscribers(1);
    long long t0 = now_ms();
    ck_assert_int_eq(publish_event(srv.port, "hello"), 1);
    recv_until(fd, got, sizeof got, "\n\n", 3000);
    long long ms = now_ms() - t0;
    ck_assert_str_eq(got, "id: 1\ndata: hello\n\n");
    /* Typically 1 ms; the bound is loose because the machine may be busy
     * (with the ticker off, nothing else would ever send it). */
    printf("sse: event arrived %lld ms after the publish\n", ms);
    ck_assert_msg(ms < 1000, "event arrived %lld ms after the publish", ms);
    ck_assert_int_eq(publish_event(srv.port, "one\ntwo\r\nthree\rfour"), 2);
    recv_until(fd, got, sizeof got, "four\n\n", 3000);
    ck_assert_str_eq(got, "id: 2\ndata: one\ndata: two\ndata: three\ndata: four\n\n");
    ck_assert_int_eq(publish_event(srv.port, "x\n\nid: 99\nevent: evil"), 3);
    recv_until(fd, got, sizeof got, "evil\n\n", 3000);
    ck_assert_str_eq(got, "id: 3\ndata: x\ndata: \ndata: id: 99\ndata: event: evil\n\n");
    close(fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* HEAD /events: the same head, no stream; other methods are 405. */
START_TEST(head_and_wrong_method)
{
    start(NULL);
    struct http_reply *r = malloc(sizeof *r);
    int fd = tcp_connect(srv.port);
    const char *req = "HEAD /events HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(send_all(fd, req, strlen(req)), 0);
    char got[2048];
    recv_until(fd, got, sizeof got, "\r\n\r\n", 3000);
    ck_assert_ptr_nonnull(strstr(got, "Content-Type: text/event-stream\r\n"));
    ck_assert_int_eq(wait_closed(fd, 3000), 1);
    close(fd);
    ck_assert_int_eq(http_once(srv.port, "POST /events HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", r), 405);
    char allow[64];
    ck_assert_str_eq(reply_header(r, "Allow", allow, sizeof allow), "GET, HEAD, OPTIONS");
    free(r);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* -K sets the keep-alive interval: a quiet stream gets ": keep-alive"
 * comments (which the browser ignores) at that pace; events still flow. */
START_TEST(keepalive_comment)
{
    static const char *const args[] = {"-K", "100", NULL};
    start(args);
    struct stream st;
    stream_open(&st, "/events", NULL, 0);
    stream_read(&st, 0, 550);
    ck_assert_msg(st.keepalives >= 3 && st.keepalives <= 7, "%ld keep-alives in 550 ms at -K 100",
                  st.keepalives);
    ck_assert_int_eq(st.events, 0);
    ck_assert_int_eq(publish_event(srv.port, "still here"), 1);
    stream_read(&st, 1, 2000);
    ck_assert_int_eq(st.events, 1);
    ck_assert_str_eq(st.last_data, "still here");
    close(st.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* By default (15 s) a short quiet spell carries no keep-alive; -K 0 none. */
START_TEST(keepalive_default_and_off)
{
    static const char *const off[] = {"-K", "0", NULL};
    start(NULL);
    struct stream st;
    stream_open(&st, "/events", NULL, 0);
    stream_read(&st, 0, 300);
    ck_assert_int_eq(st.keepalives, 0);
    close(st.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
    start(off);
    stream_open(&st, "/events", NULL, 0);
    stream_read(&st, 0, 300);
    ck_assert_int_eq(st.keepalives, 0);
    close(st.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* ==== resume: cursors, replay, gap ==== */

/* A reconnecting browser sends Last-Event-ID: the stream replays every
 * kept event after it, once, in order, then carries on live. */
START_TEST(replay_after_last_event_id)
{
    start(NULL);
    publish_n(1, 5, "e");
    int fd = tcp_connect(srv.port);
    const char *req = "GET /events HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 2\r\n\r\n";
    ck_assert_int_eq(send_all(fd, req, strlen(req)), 0);
    char got[4096];
    recv_until(fd, got, sizeof got, "e 5\n\n", 3000);
    char *body = strstr(got, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    ck_assert_str_eq(body + 4, "retry: 3000\nid: 2\n\nid: 3\ndata: e 3\n\nid: 4\ndata: e 4\n\n"
                               "id: 5\ndata: e 5\n\n");
    ck_assert_int_eq(publish_event(srv.port, "e 6"), 6);
    recv_until(fd, got, sizeof got, "\n\n", 3000);
    ck_assert_str_eq(got, "id: 6\ndata: e 6\n\n");
    close(fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* ?since=N works the same for a page or curl that keeps its own cursor;
 * when both are there, Last-Event-ID wins: a browser reconnects to the same
 * URL, and the header is the newer news. */
START_TEST(since_and_precedence)
{
    start(NULL);
    publish_n(1, 6, "e");
    struct stream a, b;
    stream_open(&a, "/events?since=3", NULL, 0);
    stream_read(&a, 6, 3000);
    ck_assert_int_eq(a.first_id, 4);
    ck_assert_int_eq(a.events, 3);
    stream_open(&b, "/events?since=1", "Last-Event-ID: 4\r\n", 0);
    stream_read(&b, 6, 3000);
    ck_assert_int_eq(b.first_id, 5);
    ck_assert_int_eq(b.events, 2);
    ck_assert_int_eq(a.disorder + b.disorder, 0);
    close(a.fd);
    close(b.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* A Last-Event-ID the server never issued (not a number, negative, empty,
 * ahead of the newest after a restart) is answered 200 as if absent: no
 * replay, live events from now on. An error status would make the browser
 * give up for good. A bad header falls back to ?since, like no header. */
START_TEST(unknown_cursor_is_ignored)
{
    static const char *const bad[] = {
        "Last-Event-ID: abc\r\n", "Last-Event-ID: -1\r\n", "Last-Event-ID: \r\n",
        "Last-Event-ID: 999\r\n", "Last-Event-ID: 2x\r\n",
        "Last-Event-ID: 99999999999999999999999\r\n",
    };
    start(NULL);
    publish_n(1, 3, "old");
    long next = 4;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct stream st;
        stream_open(&st, "/events", bad[i], 0);
        wait_subscribers(1);
        ck_assert_int_eq(publish_event(srv.port, "new"), next);
        stream_read(&st, (uint64_t)next, 3000);
        ck_assert_msg(st.events == 1 && st.first_id == (uint64_t)next,
                      "%s: %ld events from %llu", bad[i], st.events, (unsigned long long)st.first_id);
        next++;
        close(st.fd);
        wait_subscribers(0);
    }
    struct stream st;                       /* ?since=N ahead, or not a number: the same */
    stream_open(&st, "/events?since=12345", NULL, 0);
    close(st.fd);
    stream_open(&st, "/events?since=soon", NULL, 0);
    close(st.fd);
    stream_open(&st, "/events?since=2", "Last-Event-ID: nope\r\n", 0);
    stream_read(&st, (uint64_t)next - 1, 3000);
    ck_assert_int_eq(st.first_id, 3);
    ck_assert_int_eq(st.disorder, 0);
    close(st.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* With a feed of 3 (-b 3) and 7 events, a client at id 1 has lost 2..4:
 * it is told so with one gap event (its id moves Last-Event-ID past the
 * hole), then gets 5..7. Reconnecting after the gap reports nothing twice. */
START_TEST(gap_when_events_are_gone)
{
    static const char *const args[] = {"-b", "3", NULL};
    start(args);
    publish_n(1, 7, "e");
    int fd = tcp_connect(srv.port);
    const char *req = "GET /events HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 1\r\n\r\n";
    ck_assert_int_eq(send_all(fd, req, strlen(req)), 0);
    char got[4096];
    recv_until(fd, got, sizeof got, "e 7\n\n", 3000);
    ck_assert_str_eq(strstr(got, "\r\n\r\n") + 4,
                     "retry: 3000\nid: 1\n\n"
                     "id: 4\nevent: gap\ndata: {\"from\":2,\"to\":4}\n\n"
                     "id: 5\ndata: e 5\n\nid: 6\ndata: e 6\n\nid: 7\ndata: e 7\n\n");
    close(fd);
    struct stream st;
    stream_open(&st, "/events", "Last-Event-ID: 4\r\n", 0);
    stream_read(&st, 7, 3000);
    ck_assert_int_eq(st.gaps, 0);
    ck_assert_int_eq(st.events, 3);
    close(st.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* A stream that begins with the cursor 0 on an empty feed waits quietly,
 * and a client already at the newest event gets no replay. */
START_TEST(nothing_to_replay)
{
    start(NULL);
    struct stream a, b;
    stream_open(&a, "/events?since=0", NULL, 0);
    publish_n(1, 2, "e");
    stream_read(&a, 2, 3000);
    stream_open(&b, "/events", "Last-Event-ID: 2\r\n", 0);
    stream_read(&b, 0, 200);
    ck_assert_int_eq(a.events, 2);
    ck_assert_int_eq(b.events, 0);
    close(a.fd);
    close(b.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* The first block names the cursor the stream starts after ("id: C" with no
 * data: nothing is dispatched, but the browser takes it as its
 * Last-Event-ID). So a fresh client, or one whose stale cursor was
 * ignored, resumes from the right place even if its stream is cut before
 * any event arrives. */
START_TEST(first_block_names_the_cursor)
{
    static const struct { const char *header; uint64_t want; } cases[] = {
        {NULL, 3},                          /* no cursor: from now on, after 3 */
        {"Last-Event-ID: 999\r\n", 3},      /* from before a restart: replaced */
        {"Last-Event-ID: x\r\n", 3},
        {"Last-Event-ID: 1\r\n", 1},        /* a real cursor: kept, then 2 and 3 */
    };
    start(NULL);
    publish_n(1, 3, "e");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct stream st;
        stream_open(&st, "/events", cases[i].header, 0);
        for (int n = 0; n < 100 && st.blocks == 0 && !st.eof; n++) stream_read(&st, 0, 20);
        ck_assert_int_eq(st.retry, 3000);
        ck_assert_msg(st.start_id == cases[i].want, "case %zu: starts after %llu, want %llu", i,
                      (unsigned long long)st.start_id, (unsigned long long)cases[i].want);
        stream_read(&st, 3, 1000);
        ck_assert_int_eq(st.events, (long)(3 - cases[i].want));
        close(st.fd);
    }
    /* Cut before its first event, the fresh client comes back with the id
     * it was given and gets what was published meanwhile. */
    struct stream st;
    stream_open(&st, "/events", NULL, 0);
    stream_read(&st, 3, 1000);
    ck_assert_int_eq(st.last_id, 3);
    close(st.fd);
    publish_n(4, 2, "while away");
    stream_open(&st, "/events", "Last-Event-ID: 3\r\n", 0);
    stream_read(&st, 5, 3000);
    ck_assert_int_eq(st.first_id, 4);
    ck_assert_int_eq(st.events, 2);
    close(st.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* ==== fan-out: many subscribers, the slow one ==== */

enum { MANY = 50, MANY_EVENTS = 200 };

/* Fifty subscribers, two hundred events (some of them multi-line): each
 * subscriber gets every event exactly once and in order; the server counts
 * one delivery per subscriber per event. */
START_TEST(many_subscribers_every_event_once)
{
    start(NULL);
    static struct stream subs[MANY];
    for (int i = 0; i < MANY; i++) stream_open(&subs[i], "/events", NULL, 0);
    wait_subscribers(MANY);
    for (long id = 1; id <= MANY_EVENTS; id++) {
        char data[64];
        snprintf(data, sizeof data, id % 10 ? "event %ld" : "event %ld\nsecond line", id);
        ck_assert_int_eq(publish_event(srv.port, data), id);
        if (id % 20 == 0)
            for (int i = 0; i < MANY; i++) stream_read(&subs[i], 0, 0);   /* keep them drained */
    }
    for (int i = 0; i < MANY; i++) {
        stream_read(&subs[i], MANY_EVENTS, 3000);
        ck_assert_msg(subs[i].events == MANY_EVENTS && subs[i].first_id == 1 && subs[i].disorder == 0,
                      "subscriber %d: %ld events from %llu, %ld out of order", i, subs[i].events,
                      (unsigned long long)subs[i].first_id, subs[i].disorder);
        ck_assert_str_eq(subs[i].last_data, "event 200\nsecond line");
    }
    ck_assert_int_eq(stats_field(srv.port, "deliveries"), MANY * MANY_EVENTS);
    ck_assert_int_eq(stats_field(srv.port, "drops"), 0);
    for (int i = 0; i < MANY; i++) close(subs[i].fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* POST to /publish n times on one keep-alive connection, pipelined in
 * batches, with bodies of `size` bytes. */
static void publish_pipelined(int fd, int n, size_t size)
{
    static char body[8192];
    memset(body, 'x', size);
    char head[128];
    int head_len = snprintf(head, sizeof head, "POST /publish HTTP/1.1\r\nHost: t\r\n"
                                               "Content-Length: %zu\r\n\r\n", size);
    static struct http_reply r;
    for (int done = 0; done < n;) {
        int batch = n - done < 16 ? n - done : 16;
        for (int i = 0; i < batch; i++) {
            ck_assert_int_eq(send_all(fd, head, (size_t)head_len), 0);
            ck_assert_int_eq(send_all(fd, body, size), 0);
        }
        for (int i = 0; i < batch; i++) ck_assert_int_eq(read_reply(fd, &r, 3000), 200);
        done += batch;
    }
}

/* A subscriber that stops reading is cut off once it has held unsent bytes
 * and taken none for the stall time (-S), and counted in drops; the others, reading, get every event. The
 * dropped one reconnects with the Last-Event-ID of the last event that
 * reached it whole, and loses nothing still in the feed. */
START_TEST(slow_subscriber_dropped_then_resumes)
{
    static const char *const args[] = {"-o", "65536", "-b", "100000", "-S", "300", NULL};
    start(args);
    /* FILL events (4 MB) are more than the slow socket's buffers take; from
     * there on only the stall clock matters, so the publisher slows down
     * and the event count cannot race it (at full speed 300 ms is ~4000
     * events). LIMIT bounds memory, the deadline the time. */
    enum { FAST = 3, SIZE = 4000, FILL = 1000, LIMIT = 20000 };
    static struct stream fast[FAST], slow;
    for (int i = 0; i < FAST; i++) stream_open(&fast[i], "/events?since=0", NULL, 0);
    stream_open(&slow, "/events?since=0", NULL, 4096);      /* small window, never read */
    wait_subscribers(FAST + 1);
    int pub = tcp_connect(srv.port);
    ck_assert_int_ge(pub, 0);
    long published = 0;
    long long deadline = now_ms() + 20000;
    while (stats_field(srv.port, "drops") < 1) {
        ck_assert_msg(published < LIMIT && now_ms() < deadline,
                      "the slow subscriber was never dropped (%ld events)", published);
        publish_pipelined(pub, 32, SIZE);
        published += 32;
        for (int i = 0; i < FAST; i++) stream_read(&fast[i], (uint64_t)published, 3000);
        if (published >= FILL) usleep(50 * 1000);
    }
    printf("slow subscriber dropped after %ld events of %d bytes\n", published, SIZE);
    ck_assert_int_eq(stats_field(srv.port, "drops"), 1);
    publish_pipelined(pub, 10, SIZE);                       /* life goes on for the others */
    published += 10;
    for (int i = 0; i < FAST; i++) {
        stream_read(&fast[i], (uint64_t)published, 3000);
        ck_assert_msg(fast[i].events == published && fast[i].disorder == 0 && !fast[i].eof,
                      "fast %d: %ld of %ld events, %ld out of order", i, fast[i].events, published,
                      fast[i].disorder);
    }
    /* The slow one now reads what reached it before the cut, then EOF. */
    stream_read(&slow, 0, 5000);
    ck_assert_int_eq(slow.eof, 1);
    ck_assert_int_eq(slow.disorder, 0);
    ck_assert_uint_lt(slow.last_id, (uint64_t)published);
    uint64_t resume = slow.last_id;
    close(slow.fd);
    char header[64];
    snprintf(header, sizeof header, "Last-Event-ID: %llu\r\n", (unsigned long long)resume);
    stream_open(&slow, "/events", header, 0);
    stream_read(&slow, (uint64_t)published, 5000);
    ck_assert_msg(slow.first_id == resume + 1 && slow.last_id == (uint64_t)published &&
                  slow.disorder == 0 && slow.gaps == 0,
                  "resumed after %llu: events %llu..%llu, %ld out of order",
                  (unsigned long long)resume, (unsigned long long)slow.first_id,
                  (unsigned long long)slow.last_id, slow.disorder);
    ck_assert_int_eq(stats_field(srv.port, "drops"), 1);   /* the paced replay is not cut */
    close(slow.fd);
    close(pub);
    for (int i = 0; i < FAST; i++) close(fast[i].fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* POST /events/drop cuts every stream (what the demo's button and the
 * browser test use); each reconnects with its Last-Event-ID and misses
 * nothing published meanwhile. */
START_TEST(drop_and_resume)
{
    start(NULL);
    struct stream a, b;
    stream_open(&a, "/events?since=0", NULL, 0);
    stream_open(&b, "/events?since=0", NULL, 0);
    wait_subscribers(2);
    publish_n(1, 3, "before");
    stream_read(&a, 3, 3000);
    stream_read(&b, 3, 3000);
    static struct http_reply r;
    ck_assert_int_eq(http_once(srv.port, "POST /events/drop HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r), 200);
    ck_assert_str_eq(r.body, "{\"dropped\":2}\n");
    stream_read(&a, 0, 3000);
    ck_assert_int_eq(a.eof, 1);
    publish_n(4, 3, "while away");
    uint64_t last = a.last_id;
    close(a.fd);
    close(b.fd);
    char header[64];
    snprintf(header, sizeof header, "Last-Event-ID: %llu\r\n", (unsigned long long)last);
    stream_open(&a, "/events?since=0", header, 0);
    stream_read(&a, 6, 3000);
    ck_assert_int_eq(a.first_id, 4);
    ck_assert_int_eq(a.events, 3);
    ck_assert_str_eq(a.last_data, "while away 6");
    close(a.fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* SIGTERM with a stream open: it gets a last comment, then the server
 * closes it and exits 0; the browser would reconnect after retry:. */
START_TEST(shutdown_closes_streams)
{
    start(NULL);
    int fd = tcp_connect(srv.port);
    const char *req = "GET /events HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(send_all(fd, req, strlen(req)), 0);
    char got[4096];
    recv_until(fd, got, sizeof got, "retry: 3000\nid: 0\n\n", 3000);
    wait_subscribers(1);
    ck_assert_int_eq(server_stop(&srv), 0);
    recv_until(fd, got, sizeof got, NULL, 3000);        /* until EOF */
    ck_assert_str_eq(got, ": server shutting down\n");
    close(fd);
}
END_TEST

static Suite *sse_suite(void)
{
    Suite *s = suite_create("sse_net");
    TCase *stream = tcase_create("stream");
    tcase_set_timeout(stream, 20);
    tcase_add_test(stream, stream_head_and_retry);
    tcase_add_test(stream, retry_flag);
    tcase_add_test(stream, events_byte_for_byte);
    tcase_add_test(stream, head_and_wrong_method);
    tcase_add_test(stream, keepalive_comment);
    tcase_add_test(stream, keepalive_default_and_off);
    suite_add_tcase(s, stream);
    TCase *resume = tcase_create("resume");
    tcase_set_timeout(resume, 20);
    tcase_add_test(resume, replay_after_last_event_id);
    tcase_add_test(resume, since_and_precedence);
    tcase_add_test(resume, unknown_cursor_is_ignored);
    tcase_add_test(resume, gap_when_events_are_gone);
    tcase_add_test(resume, nothing_to_replay);
    tcase_add_test(resume, first_block_names_the_cursor);
    suite_add_tcase(s, resume);
    TCase *fanout = tcase_create("fan-out");
    tcase_set_timeout(fanout, 60);
    tcase_add_test(fanout, many_subscribers_every_event_once);
    tcase_add_test(fanout, slow_subscriber_dropped_then_resumes);
    tcase_add_test(fanout, drop_and_resume);
    tcase_add_test(fanout, shutdown_closes_streams);
    suite_add_tcase(s, fanout);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
