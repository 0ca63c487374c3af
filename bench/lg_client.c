/*
 * bench/lg_client.c — loadgen's subscribers: the client state machine.
 *
 *   C_IDLE -> C_CONNECTING -> C_WAIT_HEAD -> C_STREAM          (SSE, WebSocket, baseline)
 *                                         -> C_SLEEP -> C_WAIT_HEAD ...   (short polling)
 *                                         -> C_WAIT_HEAD ...   (long polling: at once)
 *   any -> (connection lost) -> C_CONNECTING again from the cursor, at most
 *   MAX_RECONNECTS times; a client that never subscribed -> C_DEAD.
 *
 * What differs between techniques is two things only, and they sit in one
 * table (`wires`, below), one row per technique and dialect: the request
 * that subscribes (or polls), and the parser of what the server sends back.
 * Everything else — connecting, writing, reading, timing, counting — is
 * the same for all of them, so every technique is measured the same way.
 *
 * The "nchan" dialect speaks Nchan's subscriber protocols (interval poll,
 * long poll, EventSource, WebSocket) at the locations bench/peers/run.sh
 * configures; bench/peers/README.md lists how they differ from ours.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static const char *const technique_names[T_COUNT] = { "polling", "longpoll", "sse", "websocket", "baseline" };
static const char *const dialect_names[D_COUNT] = { "rtlab", "nchan" };

const char *lg_technique_name(enum technique t) { return technique_names[t]; }
const char *lg_dialect_name(enum dialect d) { return dialect_names[d]; }

int lg_technique_parse(const char *name, enum technique *t)
{
    for (int i = 0; i < T_COUNT; i++)
        if (strcmp(name, technique_names[i]) == 0) {
            *t = (enum technique)i;
            return 0;
        }
    return -1;
}

int lg_dialect_parse(const char *name, enum dialect *d)
{
    for (int i = 0; i < D_COUNT; i++)
        if (strcmp(name, dialect_names[i]) == 0) {
            *d = (enum dialect)i;
            return 0;
        }
    return -1;
}

static void client_connect(struct loadgen *lg, struct client *c);
static void client_send_request(struct loadgen *lg, struct client *c);
static void client_write(struct loadgen *lg, struct client *c, const char *p, size_t n);

/* ==== Deliveries ==== */

/* An event's data reached client c at `at`: time it, and count it once. */
static void deliver(struct loadgen *lg, struct client *c, const char *data, size_t len, uint64_t at)
{
    uint64_t seq, scheduled;
    if (!wire_payload_parse(data, len, &seq, &scheduled)) {
        lg->foreign++;                 /* not ours: a ticker event, another publisher */
        return;
    }
    if (seq == 0)
        return;                        /* the warm-up event */
    if (seq > lg->events_total) {
        lg->foreign++;
        return;
    }
    lg->deliveries++;
    uint64_t bit = seq - 1;
    if (c->seen[bit / 8] & (1u << (bit % 8))) {
        lg->duplicates++;
        return;
    }
    c->seen[bit / 8] |= (unsigned char)(1u << (bit % 8));
    lg->unique++;
    hist_record(&lg->latency, at > scheduled ? at - scheduled : 0);
}

/* The subscription is confirmed (first answer, stream head, 101, "OK"). */
static void client_subscribed(struct loadgen *lg, struct client *c, uint64_t at)
{
    if (c->subscribed)
        return;
    c->subscribed = 1;
    lg->connecting--;
    lg->subscribed_now++;
    hist_record(&lg->subscribe_cost, at - c->connect_start_ns);
}

/* A poll was answered: poll again at once (long polling, or -i 0), or after
 * the interval (short polling). */
static void client_poll_again(struct loadgen *lg, struct client *c)
{
    if (lg->opt.technique == T_LONGPOLL || lg->opt.poll_ms == 0) {
        client_send_request(lg, c);
    } else {
        c->state = C_SLEEP;
        ev_timer_set(&c->timer, lg->opt.poll_ms / 1000.0, 0);
        ev_timer_start(lg->loop, &c->timer);
    }
}

/* ==== Requests, by technique ==== */

/* Each builds the request that (re)subscribes client c, or polls, into
 * out[0..cap); returns its length. */

static int request_poll(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return snprintf(out, cap, "GET /poll?since=%" PRIu64 " HTTP/1.1\r\nHost: %s\r\n\r\n",
                    c->cursor, lg->opt.host);
}

static int request_longpoll(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return snprintf(out, cap, "GET /poll?since=%" PRIu64 "&timeout=%d HTTP/1.1\r\nHost: %s\r\n\r\n",
                    c->cursor, lg->opt.longpoll_timeout, lg->opt.host);
}

static int request_sse(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return snprintf(out, cap, "GET /events?since=%" PRIu64 " HTTP/1.1\r\nHost: %s\r\n"
                    "Accept: text/event-stream\r\n\r\n", c->cursor, lg->opt.host);
}

/* RFC 6455 §4.1; the key is §1.3's sample (a client may send any). */
#define WS_UPGRADE "Upgrade: websocket\r\nConnection: Upgrade\r\n" \
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

static int request_ws(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return snprintf(out, cap, "GET /ws?since=%" PRIu64 " HTTP/1.1\r\nHost: %s\r\n" WS_UPGRADE "\r\n",
                    c->cursor, lg->opt.host);
}

static int request_baseline(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    (void)lg;
    (void)c;
    if (cap < 7)
        return 0;
    memcpy(out, "\0\0\0\3SUB", 7);
    return 7;
}

/* Nchan's polls walk the channel's buffer with HTTP caching headers: the
 * previous answer's Last-Modified and Etag come back as If-Modified-Since
 * and If-None-Match. Without them, the location's first-message rule
 * decides (bench/peers/run.sh: the newest message, so the first poll
 * answers at once with the warm-up event). */
static int request_nchan_poll_at(const struct loadgen *lg, const struct client *c, const char *path,
                                 char *out, size_t cap)
{
    if (c->cursor == 0)
        return snprintf(out, cap, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, lg->opt.host);
    char date[64];
    wire_http_date(date, sizeof date, (int64_t)(c->cursor >> 24));
    return snprintf(out, cap, "GET %s HTTP/1.1\r\nHost: %s\r\nIf-Modified-Since: %s\r\n"
                    "If-None-Match: %" PRIu64 "\r\n\r\n", path, lg->opt.host, date, c->cursor & 0xffffff);
}

static int request_nchan_poll(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return request_nchan_poll_at(lg, c, "/sub/poll", out, cap);
}

static int request_nchan_longpoll(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return request_nchan_poll_at(lg, c, "/sub/longpoll", out, cap);
}

/* Nchan's EventSource resumes from Last-Event-ID, as a browser does. */
static int request_nchan_sse(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    char resume[64] = "";
    if (c->cursor)
        snprintf(resume, sizeof resume, "Last-Event-ID: %" PRIu64 ":%" PRIu64 "\r\n",
                 c->cursor >> 24, c->cursor & 0xffffff);
    return snprintf(out, cap, "GET /sub/events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n%s\r\n",
                    lg->opt.host, resume);
}

/* Nchan's WebSocket frames carry the message alone, no id: a reconnect
 * starts at the newest message (what was missed is counted as lost). */
static int request_nchan_ws(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    (void)c;
    return snprintf(out, cap, "GET /sub/ws HTTP/1.1\r\nHost: %s\r\n" WS_UPGRADE "\r\n", lg->opt.host);
}

/* ==== Parsers, by technique ==== */

/* Each parses what the server sent client c: p[0..*n), of which bytes from
 * raw_from on are new from this read. Returns bytes used (the rest is kept
 * for the next read), or -1 to drop the connection (it reconnects). Only
 * the SSE parser changes *n (it decodes chunks in place). */

/* A poll answer's body: {"next":M,["gap":true,]"events":[{"id":..,"data":".."},..]}. */
static void poll_body(struct loadgen *lg, struct client *c, const char *body, size_t len, uint64_t at)
{
    const char *end = body + len, *p = wire_find(body, len, "\"next\":");
    if (p)
        c->cursor = wire_parse_u64(p + 7, end, NULL);
    if (wire_find(body, len, "\"gap\":true"))
        lg->gaps++;
    int events = 0;
    p = body;
    while ((p = wire_find(p, (size_t)(end - p), "\"data\":\""))) {
        p += 8;
        size_t n = wire_json_string_len(p, end);
        deliver(lg, c, p, n, at);
        p += n;
        events++;
    }
    if (events == 0)
        lg->empty_polls++;
}

/* Polling and long polling: complete answers, each with a Content-Length. */
static long parse_poll(struct loadgen *lg, struct client *c, char *p, size_t *np, size_t raw_from, uint64_t at)
{
    (void)raw_from;
    size_t used = 0, n = *np;
    while (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p + used, n - used, &h);
        if (head == WIRE_MORE)
            break;
        if (h.content_length < 0 || h.chunked)
            return -1;                      /* we need a Content-Length here */
        if (n - used - (size_t)head < (size_t)h.content_length)
            break;
        const char *body = p + used + head;
        used += (size_t)head + (size_t)h.content_length;
        if (h.status != 200) {
            lg->http_errors++;
        } else {
            client_subscribed(lg, c, at);
            poll_body(lg, c, body, (size_t)h.content_length, at);
        }
        client_poll_again(lg, c);
    }
    return (long)used;
}

/* Nchan's poll answers: 200 with the message as the body (long poll: every
 * message there is, one per line: `nchan_longpoll_multipart_response raw`),
 * or 304 Not Modified when there is none yet (interval poll). The cursor
 * is the answer's Last-Modified and Etag. */
static long parse_nchan_poll(struct loadgen *lg, struct client *c, char *p, size_t *np, size_t raw_from,
                             uint64_t at)
{
    (void)raw_from;
    size_t used = 0, n = *np;
    while (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p + used, n - used, &h);
        if (head == WIRE_MORE)
            break;
        if (h.content_length < 0 || h.chunked)
            return -1;
        if (n - used - (size_t)head < (size_t)h.content_length)
            break;
        const char *start = p + used, *body = start + head;
        size_t len = (size_t)h.content_length;
        used += (size_t)head + len;
        if (h.status == 200) {
            client_subscribed(lg, c, at);
            size_t lm_len, etag_len;
            const char *lm = wire_header(start, (size_t)head, "Last-Modified", &lm_len);
            const char *etag = wire_header(start, (size_t)head, "Etag", &etag_len);
            int64_t t = lm ? wire_parse_http_date(lm, lm_len) : -1;
            if (t > 0 && etag)
                c->cursor = (uint64_t)t << 24 | (wire_parse_u64(etag, etag + etag_len, NULL) & 0xffffff);
            for (const char *line = body, *end = body + len; line < end;) {
                const char *nl = memchr(line, '\n', (size_t)(end - line));
                size_t l = nl ? (size_t)(nl - line) : (size_t)(end - line);
                if (l)
                    deliver(lg, c, line, l, at);
                line += l + 1;
            }
        } else if (h.status == 304) {
            client_subscribed(lg, c, at);
            lg->empty_polls++;
        } else {
            lg->http_errors++;
        }
        client_poll_again(lg, c);
    }
    return (long)used;
}

/* The SSE stream: its head, then events. Bytes after raw_from are, when the
 * stream is chunked, raw chunked bytes: they are decoded in place first. */
static long parse_sse(struct loadgen *lg, struct client *c, char *p, size_t *n, size_t raw_from, uint64_t at)
{
    size_t used = 0;
    if (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p, *n, &h);
        if (head == WIRE_MORE)
            return 0;
        if (h.status != 200) {
            lg->http_errors++;
            return -1;
        }
        c->chunked = (unsigned char)h.chunked;
        c->state = C_STREAM;
        client_subscribed(lg, c, at);
        used = (size_t)head;
        if (raw_from < used)
            raw_from = used;
    }
    if (c->chunked && raw_from < *n) {
        long d = wire_dechunk(&c->dechunk, p + raw_from, *n - raw_from);
        if (d < 0)
            return -1;
        *n = raw_from + (size_t)d;
    }
    for (int i = 0; i < 100000; i++) {      /* bounded: one read holds fewer events */
        struct wire_sse_event ev;
        long len = wire_sse_next(p + used, *n - used, &ev);
        if (len == WIRE_MORE)
            break;
        used += (size_t)len;
        if (ev.has_id)
            c->cursor = lg->opt.dialect == D_NCHAN ? wire_nchan_id(ev.id_text, ev.id_len) : ev.id;
        if (ev.gap)
            lg->gaps++;
        else if (ev.data)
            deliver(lg, c, ev.data, ev.data_len, at);
    }
    return (long)used;
}

/* A WebSocket text message. Ours: {"id":N,"data":".."} (or a gap notice);
 * Nchan's: the message itself. */
static void ws_message(struct loadgen *lg, struct client *c, const char *msg, size_t len, uint64_t at)
{
    if (lg->opt.dialect == D_NCHAN) {
        deliver(lg, c, msg, len, at);
        return;
    }
    const char *end = msg + len, *p = wire_find(msg, len, "\"id\":");
    if (p)
        c->cursor = wire_parse_u64(p + 5, end, NULL);
    if (wire_find(msg, len, "\"gap\""))
        lg->gaps++;
    if ((p = wire_find(msg, len, "\"data\":\""))) {
        p += 8;
        deliver(lg, c, p, wire_json_string_len(p, end), at);
    }
}

/* RFC 6455: the 101, then frames from the server. */
static long parse_ws(struct loadgen *lg, struct client *c, char *p, size_t *np, size_t raw_from, uint64_t at)
{
    (void)raw_from;
    size_t used = 0, n = *np;
    if (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p, n, &h);
        if (head == WIRE_MORE)
            return 0;
        if (h.status != 101) {
            lg->http_errors++;
            return -1;
        }
        c->state = C_STREAM;
        client_subscribed(lg, c, at);
        used = (size_t)head;
    }
    for (int i = 0; i < 100000; i++) {
        struct wire_ws_frame f;
        long len = wire_ws_frame(p + used, n - used, MAX_KEPT, &f);
        if (len == WIRE_MORE)
            break;
        if (len == WIRE_ERROR)
            return -1;
        if (f.opcode == 0x1) {
            ws_message(lg, c, f.payload, (size_t)f.len, at);
        } else if (f.opcode == 0x9 && f.len <= 125) {
            /* §5.5.2: answer a ping with a pong; client frames are masked
             * (a zero key is a valid key and leaves the bytes as they are). */
            char pong[2 + 4 + 125];
            pong[0] = (char)0x8a;
            pong[1] = (char)(0x80 | f.len);
            memset(pong + 2, 0, 4);
            memcpy(pong + 6, f.payload, (size_t)f.len);
            client_write(lg, c, pong, 6 + (size_t)f.len);
        } else if (f.opcode == 0x8) {
            return -1;                      /* the server closes: reconnect */
        }
        used += (size_t)len;
    }
    return (long)used;
}

/* The baseline's frames: "OK" once, then events. */
static long parse_baseline(struct loadgen *lg, struct client *c, char *p, size_t *np, size_t raw_from,
                           uint64_t at)
{
    (void)raw_from;
    size_t used = 0, n = *np;
    for (int i = 0; i < 100000; i++) {
        const char *payload;
        uint32_t len;
        long total = wire_baseline_frame(p + used, n - used, MAX_KEPT, &payload, &len);
        if (total == WIRE_MORE)
            break;
        if (total == WIRE_ERROR)
            return -1;
        if (c->state == C_WAIT_HEAD && len == 2 && memcmp(payload, "OK", 2) == 0) {
            c->state = C_STREAM;
            client_subscribed(lg, c, at);
        } else {
            deliver(lg, c, payload, len, at);
        }
        used += (size_t)total;
    }
    return (long)used;
}

/* ==== The table: what each technique sends and how it reads ==== */

struct technique_wire {
    int (*request)(const struct loadgen *lg, const struct client *c, char *out, size_t cap);
    long (*parse)(struct loadgen *lg, struct client *c, char *p, size_t *n, size_t raw_from, uint64_t at);
};

static const struct technique_wire wires[T_COUNT][D_COUNT] = {
    [T_POLLING]   = { [D_RTLAB] = { request_poll, parse_poll },
                      [D_NCHAN] = { request_nchan_poll, parse_nchan_poll } },
    [T_LONGPOLL]  = { [D_RTLAB] = { request_longpoll, parse_poll },
                      [D_NCHAN] = { request_nchan_longpoll, parse_nchan_poll } },
    [T_SSE]       = { [D_RTLAB] = { request_sse, parse_sse },
                      [D_NCHAN] = { request_nchan_sse, parse_sse } },
    [T_WEBSOCKET] = { [D_RTLAB] = { request_ws, parse_ws },
                      [D_NCHAN] = { request_nchan_ws, parse_ws } },
    [T_BASELINE]  = { [D_RTLAB] = { request_baseline, parse_baseline } },
};

static const struct technique_wire *wire_of(const struct loadgen *lg)
{
    return &wires[lg->opt.technique][lg->opt.dialect];
}

int lg_technique_supported(enum technique t, enum dialect d)
{
    return wires[t][d].request != NULL;
}

/* ==== Connections ==== */

static void client_on_io(struct ev_loop *loop, ev_io *w, int revents);

static void client_watch(struct loadgen *lg, struct client *c, int events)
{
    ev_io_stop(lg->loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(lg->loop, &c->io);
}

/* Write bytes to the client's socket; keep what it does not take. */
static void client_write(struct loadgen *lg, struct client *c, const char *p, size_t n)
{
    if (c->out_len == 0) {
        ssize_t w = write(c->fd, p, n);
        if (w > 0) {
            lg->bytes_out += (uint64_t)w;
            p += w;
            n -= (size_t)w;
        }
    }
    if (n == 0)
        return;
    char *more = realloc(c->out, c->out_len + n);
    if (!more)
        abort();
    memcpy(more + c->out_len, p, n);
    c->out = more;
    c->out_len += n;
    client_watch(lg, c, EV_READ | EV_WRITE);
}

static void client_flush(struct loadgen *lg, struct client *c)
{
    ssize_t w = write(c->fd, c->out, c->out_len);
    if (w <= 0)
        return;
    lg->bytes_out += (uint64_t)w;
    memmove(c->out, c->out + w, c->out_len - (size_t)w);
    c->out_len -= (size_t)w;
    if (c->out_len == 0) {
        free(c->out);
        c->out = NULL;
        client_watch(lg, c, EV_READ);
    }
}

void lg_client_close(struct loadgen *lg, struct client *c)
{
    ev_io_stop(lg->loop, &c->io);
    ev_timer_stop(lg->loop, &c->timer);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->kept);
    c->kept = NULL;
    c->kept_len = 0;
    free(c->out);
    c->out = NULL;
    c->out_len = 0;
}

/* The connection failed or the server closed it. Before the client was ever
 * subscribed that is a connect error; after, it reconnects like a browser
 * would (from its cursor), a few times at most. */
static void client_lost(struct loadgen *lg, struct client *c, int err)
{
    int was_connecting = !c->subscribed;
    lg_client_close(lg, c);
    if (err)
        lg->last_errno = err;
    if (was_connecting) {
        lg->connect_errors++;
        lg->connecting--;
        lg->dead++;
        c->state = C_DEAD;
        return;
    }
    lg->disconnects++;
    if (c->reconnects >= MAX_RECONNECTS || lg->phase >= PHASE_LAST_STATS) {
        c->state = C_DEAD;
        lg->subscribed_now--;
        lg->dead++;
        return;
    }
    c->reconnects++;
    lg->reconnects++;
    client_connect(lg, c);
}

/* The source address of client i: 127.10.x.y, a different one per client,
 * so the 28 000 local ports of one address never run out. */
static void source_address(int i, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    uint32_t a = (127u << 24) | (10u << 16) | ((uint32_t)(i / 250) % 256) << 8 | (uint32_t)(i % 250 + 1);
    sa->sin_addr.s_addr = htonl(a);
}

static void client_connect(struct loadgen *lg, struct client *c)
{
    c->connect_start_ns = lg_now_ns();
    c->state = C_CONNECTING;
    c->chunked = 0;
    memset(&c->dechunk, 0, sizeof c->dechunk);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        int e = errno;
        lg_warn(lg, "socket(): %s", strerror(e));
        client_lost(lg, c, e);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (lg->opt.spread) {
        struct sockaddr_in src;
        source_address(c->index, &src);
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) {
            client_lost(lg, c, errno);
            return;
        }
    }
    if (connect(c->fd, (struct sockaddr *)&lg->opt.server, sizeof lg->opt.server) < 0 && errno != EINPROGRESS) {
        client_lost(lg, c, errno);
        return;
    }
    ev_io_init(&c->io, client_on_io, c->fd, EV_WRITE);
    ev_io_start(lg->loop, &c->io);
}

static void client_send_request(struct loadgen *lg, struct client *c)
{
    char req[512];
    int n = wire_of(lg)->request(lg, c, req, sizeof req);
    lg->requests++;
    c->state = C_WAIT_HEAD;
    client_write(lg, c, req, (size_t)n);
}

static void on_poll_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct client *c = (struct client *)((char *)w - offsetof(struct client, timer));
    if (c->state == C_SLEEP)
        client_send_request(ev_userdata(loop), c);
}

/* ==== Callbacks ==== */

static void client_on_connected(struct loadgen *lg, struct client *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        client_lost(lg, c, err);
        return;
    }
    if (!c->subscribed)
        hist_record(&lg->connect_cost, lg_now_ns() - c->connect_start_ns);
    client_watch(lg, c, EV_READ);
    client_send_request(lg, c);
}

/* Read what came, after what was kept from the last read, and hand it to
 * the technique's parser; keep what it did not use. */
static void client_on_readable(struct loadgen *lg, struct client *c)
{
    char *scratch = lg->scratch;
    size_t have = c->kept_len;
    if (have)
        memcpy(scratch, c->kept, have);
    ssize_t r = read(c->fd, scratch + have, SCRATCH_SIZE - have);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) {
        client_lost(lg, c, r < 0 ? errno : 0);
        return;
    }
    uint64_t at = lg_now_ns();
    lg->bytes_in += (uint64_t)r;
    size_t n = have + (size_t)r;
    long used = wire_of(lg)->parse(lg, c, scratch, &n, have, at);
    if (used < 0 || n - (size_t)used > MAX_KEPT) {
        client_lost(lg, c, 0);
        return;
    }
    free(c->kept);
    c->kept = NULL;
    c->kept_len = n - (size_t)used;
    if (c->kept_len) {
        c->kept = malloc(c->kept_len);
        if (!c->kept)
            abort();
        memcpy(c->kept, scratch + used, c->kept_len);
    }
}

static void client_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct loadgen *lg = ev_userdata(loop);
    struct client *c = (struct client *)w;
    if (c->state == C_CONNECTING) {
        if (revents & EV_WRITE)
            client_on_connected(lg, c);
        return;
    }
    if ((revents & EV_WRITE) && c->out_len)
        client_flush(lg, c);
    if (revents & EV_READ)
        client_on_readable(lg, c);
}

/* ==== Starting ==== */

void lg_client_init(struct loadgen *lg)
{
    size_t bitmap = (size_t)(lg->events_total + 7) / 8 + 1;
    for (int i = 0; i < lg->opt.clients; i++) {
        struct client *c = &lg->clients[i];
        c->index = i;
        c->fd = -1;
        c->seen = lg->seen_bits + (size_t)i * bitmap;
        /* Our polls start just before the warm-up event, so the first
         * answer carries it (that answer confirms the subscription); our
         * streams start after it. Nchan's start where its locations say. */
        if (lg->opt.dialect == D_RTLAB)
            c->cursor = lg->opt.technique <= T_LONGPOLL && lg->warmup_id > 0 ? lg->warmup_id - 1 : lg->warmup_id;
        ev_timer_init(&c->timer, on_poll_timer, 0, 0);
    }
}

void lg_clients_start_more(struct loadgen *lg)
{
    while (lg->started < lg->opt.clients && lg->connecting < MAX_INFLIGHT) {
        struct client *c = &lg->clients[lg->started++];
        lg->connecting++;
        client_connect(lg, c);
    }
}
