/*
 * websocket/websocket.c — WebSocket (RFC 6455): one TCP connection, upgraded
 * from HTTP, on which both sides send messages whenever they like.
 *
 * What it demonstrates: full duplex. The client asks once, over HTTP, to
 * switch protocols (the opening handshake, §4); the server answers
 * 101 Switching Protocols; from then on the bytes are WebSocket frames
 * (§5), and either side speaks first:
 *
 *   client: GET /ws?since=41 ... Upgrade: websocket ... Sec-WebSocket-Key: ...
 *   server: HTTP/1.1 101 Switching Protocols ... Sec-WebSocket-Accept: ...
 *   server: [text frame] {"id":42,"data":"hello"}       (replay, then live)
 *   client: [text frame, masked] "hi all"               (published as event 43)
 *   server: [text frame] {"id":43,"data":"hi all"}      (to every client)
 *   server: [ping] ... client: [pong]                   (is the peer alive?)
 *   client: [close 1000] ... server: [close 1000]       (the closing handshake)
 *
 * The server is an echo-free chat: every text message a client sends becomes
 * the next event of the feed, and every event goes to every client (its
 * sender too, which so learns the event's id) as one text frame
 * {"id":N,"data":"..."}. WebSocket itself has no ids and no replay, so the
 * server adds them: `GET /ws?since=N` first sends every kept event after N,
 * and {"gap":true,"from":A,"to":B} when events A..B have already left the
 * feed (DESIGN.md: nothing is lost without the client knowing).
 *
 * Spec: RFC 6455 — §4 the handshake, §5 framing, §5.5 control frames,
 * §7 closing, §7.4 status codes, §8.1 UTF-8; RFC 7692 permessage-deflate.
 * The pure units it uses each sit in a file of their own: sha1.c
 * (RFC 3174), base64.c (RFC 4648), ws_handshake.c (the accept key),
 * ws_upgrade.c (the upgrade request's rules, the 101's head), ws_frame.c
 * (the frame header), ws_close.c (a close frame's payload), ws_message.c
 * (payload to message: unmasked, inflated, UTF-8 checked by core/utf8.c)
 * and ws_deflate.c (the extension's negotiation and codec, with zlib).
 *
 * Its neighbour: sse/sse.c also keeps a connection open and pushes events
 * down it, but only one way and in plain HTTP. What this file adds is
 * everything that comes with a real protocol of its own: a handshake,
 * frames, masking, control frames and a closing handshake.
 *
 * Everything that is not the technique (sockets, the request parser,
 * /publish, /stats, static files, the out queues) is in core/.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "ws_close.h"
#include "ws_deflate.h"
#include "ws_frame.h"
#include "ws_handshake.h"
#include "ws_message.h"
#include "ws_upgrade.h"

/* ==== Constants ==== */

#define DEFAULT_PORT 8004
#define DEFAULT_MAX_MESSAGE (1u << 20)   /* -m: largest message a client may send */
#define DEFAULT_PING_INTERVAL 30.0       /* -i: seconds of silence before we ping */
#define CLOSE_WAIT 2.0                   /* s to wait for the peer's close after ours */

/* Status codes of a close frame (RFC 6455 §7.4.1). 1005 and 1006 exist only
 * to be reported locally: they are never sent (§7.4.1). */
enum ws_status {
    WS_NORMAL = 1000,          /* the purpose of the connection is fulfilled */
    WS_GOING_AWAY = 1001,      /* the server is shutting down */
    WS_PROTOCOL_ERROR = 1002,  /* a frame broke the rules of §5 */
    WS_UNSUPPORTED = 1003,     /* a binary message: this server takes text */
    WS_INVALID_DATA = 1007,    /* text that is not UTF-8 (§8.1) */
    WS_POLICY = 1008,          /* a message from a client without the publish token (-k) */
    WS_TOO_BIG = 1009,         /* a message over -m bytes */
};

static size_t max_message = DEFAULT_MAX_MESSAGE;
static double ping_interval = DEFAULT_PING_INTERVAL;

/* ==== struct ws_conn ==== */

enum ws_state {
    WS_OPEN,        /* messages flow both ways */
    WS_CLOSING,     /* our close frame is queued: waiting for the peer's (§7.1.2) */
};

struct ws_conn {
    struct conn base;            /* first: core allocates and drives this part */
    struct ws_conn *prev, *next; /* in `subscribers` while subscribed */
    unsigned char subscribed;    /* 1 while events are delivered to this client */
    unsigned char state;         /* enum ws_state */
    unsigned char in_frame;      /* a data frame's header is read; its payload is arriving */
    unsigned char skipping;      /* ...and that payload is to be thrown away */
    unsigned char framing_lost;  /* a header that could not be decoded: input is noise now */
    unsigned char heard;         /* bytes arrived since the last ping tick */
    unsigned char pong_due;      /* we pinged, and have heard nothing since */
    struct ws_deflate_terms deflate;  /* what the handshake agreed on permessage-deflate */
    struct ws_frame frame;       /* the header of the frame whose payload is arriving */
    uint64_t frame_done;         /* payload bytes of that frame used so far */
    struct ws_message msg;       /* the message arriving: unmasked, inflated, UTF-8 checked */
    uint64_t next_id;            /* its cursor: the first event not yet queued to it */
};

/* Every client in WS_OPEN: the list a publish walks. */
static struct ws_conn *subscribers;

static void subscribe(struct ws_conn *wc)
{
    wc->subscribed = 1;
    wc->prev = NULL;
    wc->next = subscribers;
    if (subscribers) subscribers->prev = wc;
    subscribers = wc;
    wc->base.srv->stats.subscribers++;
}

static void unsubscribe(struct ws_conn *wc)
{
    if (!wc->subscribed) return;
    if (wc->prev) wc->prev->next = wc->next; else subscribers = wc->next;
    if (wc->next) wc->next->prev = wc->prev;
    wc->subscribed = 0;
    wc->base.srv->stats.subscribers--;
}

/* ==== Sending frames ==== */

/* Queue one control frame (close, ping, pong) with payload p[0..n), n <= 125
 * (§5.5). Server frames are never masked (§5.1). */
static void send_control(struct ws_conn *wc, unsigned opcode, const void *p, size_t n)
{
    unsigned char frame[2 + WS_MAX_CONTROL];
    int head = ws_frame_encode(frame, sizeof frame, 1, opcode, n);
    memcpy(frame + head, p, n);
    conn_send(&wc->base, frame, (size_t)head + n);
}

/* Queue a text frame with our own bytes (a gap notice). */
static void send_text(struct ws_conn *wc, const char *text, size_t n)
{
    unsigned char head[WS_MAX_HEADER];
    int h = ws_frame_encode(head, sizeof head, 1, WS_TEXT, n);
    if (conn_send(&wc->base, head, (size_t)h) == 0)
        conn_send(&wc->base, text, n);
}

/* Start the closing handshake (§7.1.2): send a close frame with `status`
 * and a short reason, stop delivering events, and wait CLOSE_WAIT seconds
 * for the peer's close frame (on_timeout gives up after that). Once our
 * close is sent we send no more data frames (§5.5.1). */
static void ws_close(struct ws_conn *wc, unsigned status, const char *reason)
{
    if (wc->state == WS_CLOSING) return;
    struct server *s = wc->base.srv;
    unsigned char payload[WS_MAX_CONTROL];
    size_t n = ws_close_payload(payload, status, reason);
    if (status >= WS_PROTOCOL_ERROR) s->stats.errors++;
    server_log(s, "fd %d: close %u (%s)", wc->base.fd, status, reason);

    wc->state = WS_CLOSING;
    unsubscribe(wc);
    ws_message_clear(&wc->msg);
    send_control(wc, WS_CLOSE, payload, n);
    conn_hold_timeout(&wc->base, CLOSE_WAIT);
}

/* The closing handshake is over (or abandoned): let core write what is
 * queued, shut the TCP connection — the server closes it first (§7.1.1) —
 * and free it. The timer is a safety net for a peer that never reads. */
static void ws_finish(struct ws_conn *wc)
{
    conn_close_after_write(&wc->base);
    conn_hold_timeout(&wc->base, CLOSE_WAIT);
}

/* ==== Publishing ==== */

/* The event as a WebSocket text frame: header + {"id":N,"data":"..."}.
 * Built once, on first use, and kept in ev->wire, which the feed frees with
 * the event: a broadcast to ten thousand clients and every later replay
 * reuse these same bytes. Returns a borrowed reference. */
static struct chunk *event_frame(struct feed *f, struct feed_event *ev)
{
    if (ev->wire) return ev->wire;
    const struct chunk *json = feed_json(f, ev);
    struct chunk *frame = chunk_new(ws_frame_header_size(json->len) + json->len);
    int head = ws_frame_encode((unsigned char *)frame->data, frame->cap, 1, WS_TEXT, json->len);
    memcpy(frame->data + head, json->data, json->len);
    frame->len = (size_t)head + json->len;
    ev->wire = frame;
    chunk_unref(ev->json);               /* the frame holds the JSON: keep its bytes once */
    ev->json = NULL;
    feed_account(f, ev);
    return frame;
}

/* The frame of ev that this client takes. One that agreed to
 * permessage-deflate gets the JSON compressed with a fresh context
 * (RFC 7692 §7.2.1), RSV1 set — or the plain frame when that would save
 * under 4 bytes — made once and kept in ev->wire_deflate, like ev->wire.
 * The JSON is made again for it and released once compressed: the plain
 * frame holds it already, and each event holds its bytes once. */
static struct chunk *frame_for(const struct ws_conn *wc, struct feed_event *ev)
{
    struct feed *f = &wc->base.srv->feed;
    struct chunk *plain = event_frame(f, ev);
    if (!wc->deflate.on) return plain;
    if (!ev->wire_deflate) {
        ev->wire_deflate = ws_deflate_frame(feed_json(f, ev), plain);
        chunk_unref(ev->json);
        ev->json = NULL;
        feed_account(f, ev);
    }
    return ev->wire_deflate;
}

/* Queue to wc the events after its cursor, in order, each once, while its
 * window has room (conn_room: the cap rule lives in core); a gap notice
 * {"gap":true,"from":A,"to":B} first when events A..B have already left
 * the feed. A live event, a burst and the replay of ?since=N are one and
 * the same loop: what does not fit waits in the feed, and on_drain brings
 * it as the socket drains, so neither a burst nor a long replay looks like
 * a slow reader. One frame larger than the window still goes, into an
 * empty queue. The frames are references to bytes the feed already holds. */
static void deliver(struct ws_conn *wc)
{
    struct conn *c = &wc->base;
    struct server *s = c->srv;
    while (wc->next_id <= feed_newest(&s->feed) && conn_room(c)) {
        uint64_t first;
        if (feed_since(&s->feed, wc->next_id - 1, &first) == FEED_GAP) {
            char gap[96];
            int n = snprintf(gap, sizeof gap, "{\"gap\":true,\"from\":%llu,\"to\":%llu}",
                             (unsigned long long)wc->next_id, (unsigned long long)first - 1);
            send_text(wc, gap, (size_t)n);
            wc->next_id = first;
            continue;
        }
        if (conn_deliver(c, frame_for(wc, feed_get(&s->feed, wc->next_id)), 1) < 0) return;
        wc->next_id++;
    }
}

/* A new event is in the feed: encode it once, then every subscriber's
 * deliver queues the same bytes. */
static void publish(struct server *s, struct feed_event *ev)
{
    event_frame(&s->feed, ev);
    struct ws_conn *next;
    for (struct ws_conn *wc = subscribers; wc; wc = next) {
        next = wc->next;
        deliver(wc);
    }
}

/* Core wrote bytes and the window has room again: the next events. */
static void on_drain(struct conn *c)
{
    struct ws_conn *wc = (struct ws_conn *)c;
    if (wc->subscribed) deliver(wc);
}

/* ==== The opening handshake (RFC 6455 §4.2) ==== */

/* Answer 101 and become a WebSocket connection (§4.2.2): the accept key
 * proves we read this client's key, and the extension line names the
 * permessage-deflate offer we took, if any (RFC 7692 §5); after the empty
 * line of ws_upgrade_head, frames. */
static void accept_upgrade(struct ws_conn *wc, const struct http_request *req,
                           const struct http_header *key, int has_since, uint64_t since)
{
    struct conn *c = &wc->base;
    char accept[WS_ACCEPT_LENGTH + 1], extension[160], head[384];
    ws_accept_key(key->value, key->value_len, accept);
    ws_deflate_negotiate(req, &wc->deflate);
    wc->msg.no_context = wc->deflate.client_no_context;
    ws_deflate_answer(&wc->deflate, extension, sizeof extension);
    int n = ws_upgrade_head(head, sizeof head, accept, extension);
    assert(n > 0);                        /* 160 bytes of extension at most: it fits */
    conn_send(c, head, (size_t)n);
    conn_upgrade(c);                      /* every later byte goes to on_data */
    server_log(c->srv, "fd %d GET /ws -> 101%s", c->fd, wc->deflate.on ? ", deflate" : "");
    wc->state = WS_OPEN;
    subscribe(wc);
    /* Without ?since: live events only. Set and delivered in one callback,
     * so no publish can slip past. */
    wc->next_id = (has_since ? since : feed_newest(&c->srv->feed)) + 1;
    deliver(wc);
    conn_hold_timeout(c, ping_interval);
}

/* GET /ws: check the handshake against every rule of §4.2.1
 * (ws_upgrade_check) and upgrade, or refuse it. Returns 0 for any other
 * path, so core answers it. */
static int on_request(struct conn *c, const struct http_request *req, const char *body)
{
    (void)body;
    if (!req_path_is(req, "/ws")) return 0;

    const struct http_header *key = NULL;
    const char *why;
    static const char v13[] = "{\"error\":\"this server speaks WebSocket version 13\","
                              "\"status\":426}\n";
    int status = ws_upgrade_check(req, &key, &why);
    if (status == 426)                    /* §4.4: the answer names the version we speak */
        conn_respond(c, 426, "application/json", "Sec-WebSocket-Version: 13\r\n", v13,
                     sizeof v13 - 1);
    else if (status)
        conn_error(c, status, why, 0);
    if (status) return 1;

    uint64_t since = 0;
    int has_since = conn_read_since(c, req, &since);   /* a bad or future cursor: 400 */
    if (has_since < 0) return 1;
    accept_upgrade((struct ws_conn *)c, req, key, has_since, since);
    return 1;
}

/* ==== Receiving frames ==== */

/* The rules a frame header must follow here (RFC 6455 §5). Returns 0, or
 * the status to close with (*why says which rule was broken). */
static unsigned frame_violation(const struct ws_conn *wc, const struct ws_frame *f,
                                const char **why)
{
    if (!f->masked)
        return *why = "client frames must be masked (5.1)", WS_PROTOCOL_ERROR;
    if (f->rsv & ~(wc->deflate.on ? 4u : 0u))   /* RSV1 is permessage-deflate's, if agreed */
        return *why = "an RSV bit no negotiated extension uses (5.2)", WS_PROTOCOL_ERROR;
    if (f->rsv && (ws_is_control(f->opcode) || f->opcode == WS_CONTINUATION))
        return *why = "RSV1 on a control frame or a continuation (RFC 7692 6.1)", WS_PROTOCOL_ERROR;
    if ((f->opcode >= 3 && f->opcode <= 7) || f->opcode >= 11)
        return *why = "reserved opcode (5.2)", WS_PROTOCOL_ERROR;
    if (ws_is_control(f->opcode)) {
        if (!f->fin)
            return *why = "a control frame cannot be fragmented (5.5)", WS_PROTOCOL_ERROR;
        if (f->length > WS_MAX_CONTROL)
            return *why = "a control frame carries at most 125 bytes (5.5)", WS_PROTOCOL_ERROR;
        return 0;
    }
    if (f->opcode == WS_CONTINUATION && !wc->msg.opcode)
        return *why = "a continuation with no message to continue (5.4)", WS_PROTOCOL_ERROR;
    if (f->opcode != WS_CONTINUATION && wc->msg.opcode)
        return *why = "a new message inside a fragmented one (5.4)", WS_PROTOCOL_ERROR;
    if (f->opcode == WS_BINARY)
        return *why = "this server takes text messages only", WS_UNSUPPORTED;
    if (wc->msg.text.len + f->length > max_message)
        return *why = "message too big", WS_TOO_BIG;
    return 0;
}

/* A close frame arrived with payload p[0..n), unmasked. */
static void on_close_frame(struct ws_conn *wc, const unsigned char *p, size_t n)
{
    if (wc->state == WS_CLOSING) {          /* the answer to ours: handshake complete */
        ws_finish(wc);
        return;
    }
    unsigned code;
    const char *why;
    if (ws_close_parse(p, n, &code, &why) < 0) {   /* 1 byte, a bad code, a reason not UTF-8 */
        ws_close(wc, WS_PROTOCOL_ERROR, why);
    } else {
        /* §5.5.1: answer with a close of our own, echoing the code; an empty
         * close (no code, which reports as 1005) is answered 1000. */
        unsigned char echo[WS_MAX_CONTROL];
        wc->state = WS_CLOSING;
        unsubscribe(wc);
        size_t len = ws_close_payload(echo, code == WS_NO_STATUS ? WS_NORMAL : code, "");
        send_control(wc, WS_CLOSE, echo, len);
    }
    ws_finish(wc);
}

/* A whole control frame is here: header f, masked payload p[0..f->length). */
static void on_control(struct ws_conn *wc, const struct ws_frame *f, const unsigned char *p)
{
    unsigned char payload[WS_MAX_CONTROL];
    size_t n = (size_t)f->length;
    ws_unmask(payload, p, n, f->mask, 0);
    switch (f->opcode) {
    case WS_PING:                           /* §5.5.2: pong with the same payload */
        /* A peer that pings but does not read gets no pongs past its window
         * (§5.5.3: answering only the latest ping is allowed). */
        if (wc->state == WS_OPEN && conn_room(&wc->base)) send_control(wc, WS_PONG, payload, n);
        break;
    case WS_PONG:                           /* §5.5.3: unsolicited pongs are fine; ignore */
        break;
    case WS_CLOSE:
        on_close_frame(wc, payload, n);
        break;
    }
}

/* A message is complete: validate its end and publish it. */
static void on_message(struct ws_conn *wc)
{
    struct server *s = wc->base.srv;
    const char *why;
    unsigned status = ws_message_end(&wc->msg, max_message, &why);
    if (status) {                           /* a character cut off, or bad DEFLATE at the end */
        ws_close(wc, status, why);
        return;
    }
    s->stats.requests++;
    if (!wc->base.authorized) {             /* -k: the upgrade did not carry the token */
        ws_close(wc, WS_POLICY, "publishing needs the token (-k)");
        return;
    }
    server_publish(s, wc->msg.text.data ? wc->msg.text.data : "", wc->msg.text.len);
    ws_message_clear(&wc->msg);             /* the feed has copied it */
}

/* The current data frame's payload is all here. */
static void end_frame(struct ws_conn *wc)
{
    wc->in_frame = 0;
    if (wc->skipping) {
        wc->skipping = 0;
        return;
    }
    if (wc->frame.fin) on_message(wc);
}

/* Throw away the payload of the frame whose header (n bytes) was just read. */
static size_t skip_frame(struct ws_conn *wc, const struct ws_frame *f, int n)
{
    if (f->length > 0) {
        wc->frame = *f;
        wc->frame_done = 0;
        wc->in_frame = 1;
        wc->skipping = 1;
    }
    return (size_t)n;
}

/* A frame header may start at p[0..len). Returns the bytes used: 0 when
 * more are needed. A control frame is taken only once all of it is here
 * (125 bytes at most); a data frame's payload is taken as it arrives. */
static size_t read_header(struct ws_conn *wc, const unsigned char *p, size_t len)
{
    struct ws_frame f;
    const char *why;
    int n = ws_frame_decode(p, len, &f);
    if (n == -2) return 0;
    if (n == -1) {                          /* no frame boundary can be trusted after this */
        wc->framing_lost = 1;
        ws_close(wc, WS_PROTOCOL_ERROR, "bad payload length (5.2)");
        return len;
    }
    if (wc->state == WS_CLOSING) {          /* only the peer's close matters now */
        if (f.opcode != WS_CLOSE || f.length > WS_MAX_CONTROL) return skip_frame(wc, &f, n);
    } else {
        unsigned status = frame_violation(wc, &f, &why);
        if (status) {
            ws_close(wc, status, why);
            return skip_frame(wc, &f, n);
        }
    }
    if (ws_is_control(f.opcode)) {
        if (len - (size_t)n < f.length) return 0;
        on_control(wc, &f, p + n);
        return (size_t)n + (size_t)f.length;
    }
    if (f.opcode == WS_TEXT)                /* the first frame of a message; RSV1: compressed */
        ws_message_start(&wc->msg, WS_TEXT, f.rsv != 0);
    wc->frame = f;
    wc->frame_done = 0;
    wc->in_frame = 1;
    if (f.length == 0) end_frame(wc);
    return (size_t)n;
}

/* Payload bytes of the current data frame at p[0..len). Each piece is
 * added to the message as it comes — unmasked, inflated, checked as UTF-8
 * (ws_message.c) — so bad text is refused at its first bad byte, not when
 * the message ends (§8.1), and a bomb at the -m'th inflated byte. */
static size_t read_payload(struct ws_conn *wc, const unsigned char *p, size_t len)
{
    uint64_t left = wc->frame.length - wc->frame_done;
    size_t take = left < len ? (size_t)left : len;
    const char *why;
    if (!wc->skipping) {
        unsigned status = ws_message_add(&wc->msg, p, take, wc->frame.mask, wc->frame_done,
                                         max_message, &why);
        if (status) {
            ws_close(wc, status, why);
            wc->skipping = 1;               /* the rest of this frame is dropped */
        }
    }
    wc->frame_done += take;
    if (wc->frame_done == wc->frame.length) end_frame(wc);
    return take;
}

/* Bytes arrived on the upgraded connection (core calls this until it
 * returns 0 or everything is used). */
static size_t on_data(struct conn *c, const char *data, size_t len)
{
    struct ws_conn *wc = (struct ws_conn *)c;
    wc->heard = 1;                          /* any byte proves the peer is alive */
    wc->pong_due = 0;
    if (wc->framing_lost) return len;       /* waiting for EOF or the timer */
    if (wc->in_frame) return read_payload(wc, (const unsigned char *)data, len);
    return read_header(wc, (const unsigned char *)data, len);
}

/* ==== Timers, closing, shutdown ==== */

/* The connection's timer. While open: the ping interval — a client we have
 * not heard from gets a ping, and one that stays silent for another
 * interval is dead (a peer that vanished without a FIN never tells us, so
 * only asking finds out). While closing: the peer's close never came. */
static void on_timeout(struct conn *c)
{
    struct ws_conn *wc = (struct ws_conn *)c;
    if (c->state != CONN_UPGRADED || wc->state == WS_CLOSING) {
        if (outq_bytes(&c->out) > 0) conn_close(c);  /* it does not even read our close */
        else ws_finish(wc);
        return;
    }
    if (wc->heard) {                        /* alive: nothing to ask */
        wc->heard = 0;
    } else if (wc->pong_due) {
        server_log(c->srv, "fd %d: no answer to our ping: dead peer", c->fd);
        c->srv->stats.errors++;
        conn_close(c);
        return;
    } else {
        send_control(wc, WS_PING, "rtlab", 5);
        wc->pong_due = 1;
    }
    conn_hold_timeout(c, ping_interval);
}

/* Core is closing the connection: forget it. */
static void on_close(struct conn *c)
{
    struct ws_conn *wc = (struct ws_conn *)c;
    unsubscribe(wc);
    ws_message_free(&wc->msg);
}

/* SIGINT/SIGTERM: 1001, going away (§7.4.1). Core closes the connection
 * once it is written. */
static void on_shutdown(struct conn *c)
{
    struct ws_conn *wc = (struct ws_conn *)c;
    if (c->state == CONN_UPGRADED && wc->state == WS_OPEN)
        ws_close(wc, WS_GOING_AWAY, "server shutting down");
}

/* ==== Flags and start-up ==== */

/* -m BYTES: the largest message; -i SECONDS: the ping interval. */
static int on_flag(int flag, const char *value)
{
    if (flag == 'm') {
        long long v = server_flag_number('m', value, 1, 1LL << 30);
        if (v < 0) return -1;
        max_message = (size_t)v;
        return 0;
    }
    if (flag == 'i') {
        char *end;
        double v = strtod(value, &end);
        if (end == value || *end || !(v >= 0.01 && v <= 86400)) {
            fprintf(stderr, "-i: '%s' is not a number of seconds from 0.01 to 86400\n", value);
            return -1;
        }
        ping_interval = v;
        return 0;
    }
    return -1;
}

/* ==== main ==== */

static const struct technique websocket = {
    .name = "websocket",
    .default_port = DEFAULT_PORT,
    .conn_size = sizeof(struct ws_conn),
    .extra_flags = "m:i:",
    .extra_usage = "[-m MAX_MESSAGE_BYTES] [-i PING_SECONDS]",
    .on_flag = on_flag,
    .on_request = on_request,
    .publish = publish,
    .on_data = on_data,
    .on_timeout = on_timeout,
    .on_drain = on_drain,
    .on_close = on_close,
    .on_shutdown = on_shutdown,
};

int main(int argc, char **argv)
{
    return server_main(&websocket, argc, argv);
}
