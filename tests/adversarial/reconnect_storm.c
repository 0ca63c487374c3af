/*
 * tests/adversarial/reconnect_storm.c — every subscriber loses its stream
 * at the same moment and reconnects at once with its cursor, while events
 * keep coming (DESIGN.md "The feed": every newer event, in
 * order, exactly once).
 *
 * SSE: SUBSCRIBERS streams, each read by a small EventSource that follows
 * the WHATWG rules the browser uses (§9.2.6: the id line sets the last event
 * ID, which is sent back as Last-Event-ID on reconnect). The publisher
 * posts EVENTS events, one per loop pass, without pausing for anyone. Two
 * storms hit in the middle of it:
 *   1. at event EVENTS/3 the server drops every stream at once
 *      (POST /events/drop, as a restart or a proxy would);
 *   2. at event 2*EVENTS/3 every client drops its own stream with a reset
 *      (an outage on the clients' side: the server learns of it only by
 *      the reset) and stays away while OUTAGE_EVENTS more are published.
 * WebSocket: the same with GET /ws?since=N, the cursor a WebSocket client
 * keeps itself; storm 1 is a client reset too (there is no drop endpoint).
 * The clients reconnect all together, and the publisher does not wait for
 * them: events published meanwhile must come through the replay. Events
 * carry EVENT_BYTES and the out cap is OUT_CAP, so after the outage every
 * replay is several times the cap: the server must pace it (sse.c
 * "catching_up") rather than drop the client for it, or lose nothing if it
 * does. What must hold: every client ends with every event 1..EVENTS,
 * each exactly once, in order, with the right data, with no gap notice (the
 * feed keeps them all). Prints the deliveries checked, events lost (0) and
 * doubled (0), and how long each storm took to settle (every client back on
 * a stream).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adv.h"

enum {
    SUBSCRIBERS = 300,
    EVENTS = 300,
    FEED = 4096,              /* -b: keeps every event, so no gap is allowed */
    SETTLE_BOUND_MS = 10000,
    OUTAGE_EVENTS = 80,       /* published while every client is away (storm 2) */
    EVENT_BYTES = 1000,       /* "event N|" and padding */
    OUT_CAP = 16384,          /* -o: an 80-event replay is 5x this */
};

/* One EventSource, or one WebSocket client. */
struct client {
    int fd;
    int websocket;            /* 1: frames after the 101, not an event stream */
    unsigned char frame_head[10];
    size_t frame_head_len, frame_head_need;
    unsigned long long payload_left;
    unsigned opcode;
    int in_head;              /* still reading the HTTP head of the stream */
    size_t head_seen;         /* bytes of "\r\n\r\n" matched so far */
    char line[256];
    size_t line_len;
    long id_buffer;           /* §9.2.6 last event ID buffer (-1: empty) */
    long last_event_id;       /* what a reconnect sends */
    int has_data;             /* the current block has data */
    char data[64];            /* its first data line */
    unsigned char seen[EVENTS + 1];
    long last_dispatched;     /* for the order check */
    int out_of_order, wrong_data, gaps, reconnects;
};

static struct client clients[SUBSCRIBERS];
static int port;
static long total_checked, total_lost, total_doubled;   /* over every server */

/* Open (or reopen) c's stream: SSE with Last-Event-ID once it has one,
 * WebSocket with ?since=N. */
static int client_connect(struct client *c)
{
    c->fd = adv_connect(port, 0);
    if (c->fd < 0) return -1;
    char req[512];
    int n;
    if (c->websocket) {
        char since[32] = "";
        if (c->last_dispatched > 0) snprintf(since, sizeof since, "?since=%ld", c->last_dispatched);
        n = snprintf(req, sizeof req, "GET /ws%s HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
                                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                      "Sec-WebSocket-Version: 13\r\n\r\n", since);
    } else if (c->last_event_id >= 0) {
        n = snprintf(req, sizeof req, "GET /events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n"
                                      "Last-Event-ID: %ld\r\n\r\n", c->last_event_id);
    } else {
        n = snprintf(req, sizeof req, "GET /events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n");
    }
    if (send_all(c->fd, req, (size_t)n) < 0) return -1;
    adv_nonblock(c->fd);
    c->in_head = 1;
    c->head_seen = 0;
    c->line_len = 0;
    c->has_data = 0;
    c->frame_head_len = c->frame_head_need = 0;
    c->payload_left = 0;
    return 0;
}

/* One event arrived: count it, check its order and its data. */
static void client_event(struct client *c, long id, const char *data)
{
    if (id < 1 || id > EVENTS) { c->out_of_order++; return; }
    if (c->seen[id] < 255) c->seen[id]++;
    if (id != c->last_dispatched + 1) c->out_of_order++;
    c->last_dispatched = id;
    char want[32];
    int n = snprintf(want, sizeof want, "event %ld|", id);
    if (strncmp(data, want, (size_t)n) != 0) c->wrong_data++;
}

/* A whole WebSocket frame's first bytes (c->line): an event
 * {"id":N,"data":"event N"}, or a gap notice. */
static void client_frame(struct client *c)
{
    c->line[c->line_len] = '\0';
    if (c->opcode != 1) return;                  /* pings and pongs: nothing to count */
    if (strstr(c->line, "\"gap\"")) { c->gaps++; return; }
    const char *data = strstr(c->line, "\"data\":\"");
    char text[64] = "";
    if (data) {
        snprintf(text, sizeof text, "%s", data + 8);
        char *quote = strchr(text, '"');
        if (quote) *quote = '\0';
    }
    if (strncmp(c->line, "{\"id\":", 6) == 0) client_event(c, atol(c->line + 6), text);
}

/* One byte of WebSocket frames (RFC 6455 §5.2; server frames are never
 * masked): gather the header, then the payload's first bytes. */
static void client_ws_byte(struct client *c, unsigned char b)
{
    if (c->payload_left == 0 && c->frame_head_need == 0) {
        c->frame_head_len = 0;
        c->frame_head_need = 2;
    }
    if (c->frame_head_len < c->frame_head_need) {
        c->frame_head[c->frame_head_len++] = b;
        if (c->frame_head_len == 2) {
            unsigned len7 = c->frame_head[1] & 0x7f;
            c->frame_head_need = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
        }
        if (c->frame_head_len < c->frame_head_need) return;
        unsigned len7 = c->frame_head[1] & 0x7f;
        unsigned long long len = len7;
        if (len7 == 126) len = (unsigned long long)c->frame_head[2] << 8 | c->frame_head[3];
        if (len7 == 127) {
            len = 0;
            for (int i = 2; i < 10; i++) len = len << 8 | c->frame_head[i];
        }
        c->opcode = c->frame_head[0] & 0x0f;
        c->payload_left = len;
        c->frame_head_need = 0;
        c->line_len = 0;
        if (len == 0) client_frame(c);
        return;
    }
    if (c->line_len < sizeof c->line - 1) c->line[c->line_len++] = (char)b;
    if (--c->payload_left == 0) client_frame(c);
}

/* §9.2.6: an empty line dispatches the block. */
static void client_dispatch(struct client *c)
{
    c->last_event_id = c->id_buffer;
    if (!c->has_data) return;
    c->has_data = 0;
    client_event(c, c->id_buffer, c->data);
}

static void client_line(struct client *c)
{
    c->line[c->line_len] = '\0';
    if (c->line_len == 0) client_dispatch(c);
    else if (strncmp(c->line, "id: ", 4) == 0) c->id_buffer = atol(c->line + 4);
    else if (strncmp(c->line, "data: ", 6) == 0) {
        if (!c->has_data) snprintf(c->data, sizeof c->data, "%s", c->line + 6);
        c->has_data = 1;
    } else if (strncmp(c->line, "event: gap", 10) == 0) c->gaps++;
    c->line_len = 0;
}

/* Read what c's stream has. Returns 0, or -1 when the stream ended. */
static int client_pump(struct client *c)
{
    char buf[8192];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return -1;
        if (n < 0) return 0;
        for (ssize_t i = 0; i < n; i++) {
            char b = buf[i];
            if (c->in_head) {                    /* skip the head: up to the empty line */
                c->head_seen = b == "\r\n\r\n"[c->head_seen] ? c->head_seen + 1 : (b == '\r');
                if (c->head_seen == 4) c->in_head = 0;
                continue;
            }
            if (c->websocket) client_ws_byte(c, (unsigned char)b);
            else if (b == '\n') client_line(c);
            else if (c->line_len < sizeof c->line - 1) c->line[c->line_len++] = b;
        }
    }
}

/* Pump every client once (waiting up to wait_ms for something to read);
 * a client whose stream ended reconnects at once. Returns how many are on
 * a stream whose head has arrived. */
static int pump_all(int wait_ms)
{
    static struct pollfd p[SUBSCRIBERS];
    for (int i = 0; i < SUBSCRIBERS; i++) p[i] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
    poll(p, SUBSCRIBERS, wait_ms);
    int streaming = 0;
    for (int i = 0; i < SUBSCRIBERS; i++) {
        struct client *c = &clients[i];
        if (c->fd >= 0 && p[i].revents && client_pump(c) < 0) {
            close(c->fd);
            c->reconnects++;
            if (client_connect(c) < 0) adv_fail("client %d could not reconnect", i);
        }
        if (c->fd >= 0 && !c->in_head) streaming++;
    }
    return streaming;
}

/* Until every client is back on a stream (bounded). Returns the ms it took. */
static long long settle(long long since)
{
    while (pump_all(5) < SUBSCRIBERS && adv_now_ms() - since < SETTLE_BOUND_MS * adv_slowdown()) {}
    return adv_now_ms() - since;
}

/* One server, two storms. */
static void run_storm(const char *server, int websocket)
{
    char feed[16];
    snprintf(feed, sizeof feed, "%d", FEED);
    char cap[16];
    snprintf(cap, sizeof cap, "%d", OUT_CAP);
    /* websocket raises its cap to fit one largest client message (-m): keep
     * that small, so -o holds for it too. */
    const char *args[] = {"-t", "0", "-b", feed, "-o", cap, websocket ? "-m" : NULL, "2048", NULL};
    struct test_server ts;
    if (server_start(&ts, server, args) != 0) {
        adv_fail("%s did not start", server);
        return;
    }
    port = ts.port;
    memset(clients, 0, sizeof clients);
    for (int i = 0; i < SUBSCRIBERS; i++) {
        clients[i].websocket = websocket;
        clients[i].id_buffer = clients[i].last_event_id = -1;
        if (client_connect(&clients[i]) < 0) adv_fail("client %d could not connect", i);
    }
    settle(adv_now_ms());

    int pub = tcp_connect(port);
    static struct http_reply reply;
    long long storm_ms[2] = {-1, -1}, storm_start = 0;
    int storm = -1;                              /* the storm settling now, or -1 */
    int away = 0;                                /* storm 2: the clients are gone for now */
    static char body[EVENT_BYTES + 1], req[EVENT_BYTES + 256];
    memset(body, 'p', EVENT_BYTES);
    for (int id = 1; id <= EVENTS; id++) {
        int k = snprintf(body, sizeof body, "event %d|", id);
        body[k] = 'p';                           /* padding after the label */
        int n = snprintf(req, sizeof req, "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%.*s",
                         EVENT_BYTES, EVENT_BYTES, body);
        if (send_all(pub, req, (size_t)n) < 0 || read_reply(pub, &reply, 5000) != 200) {
            adv_fail("%s: publishing event %d failed", server, id);
            break;
        }
        if (id == EVENTS / 3) {                  /* storm 1 */
            storm = 0;
            storm_start = adv_now_ms();
            if (!websocket) {                    /* SSE: the server drops everyone */
                int status = http_once(port, "POST /events/drop HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
                                       &reply);
                ADV_CHECK(status == 200, "POST /events/drop answered %d", status);
            } else {                             /* WebSocket: every client resets and comes back */
                for (int i = 0; i < SUBSCRIBERS; i++) {
                    adv_close_reset(clients[i].fd);
                    clients[i].reconnects++;
                    if (client_connect(&clients[i]) < 0) adv_fail("client %d could not reconnect", i);
                }
            }
        } else if (id == 2 * EVENTS / 3) {       /* storm 2: every client resets and stays away */
            for (int i = 0; i < SUBSCRIBERS; i++) {
                adv_close_reset(clients[i].fd);
                clients[i].fd = -1;
                clients[i].reconnects++;
            }
            away = 1;
        } else if (id == 2 * EVENTS / 3 + OUTAGE_EVENTS) {   /* ... and all come back at once */
            storm = 1;
            storm_start = adv_now_ms();
            away = 0;
            for (int i = 0; i < SUBSCRIBERS; i++)
                if (client_connect(&clients[i]) < 0) adv_fail("client %d could not reconnect", i);
        }
        if (away) continue;
        /* Events keep coming while the clients reconnect: no pause here. */
        int streaming = pump_all(0);
        if (storm >= 0 && streaming == SUBSCRIBERS && adv_now_ms() > storm_start) {
            storm_ms[storm] = adv_now_ms() - storm_start;
            storm = -1;
        }
    }
    if (storm >= 0) storm_ms[storm] = settle(storm_start);
    /* Let the last events arrive. */
    long long deadline = adv_now_ms() + SETTLE_BOUND_MS * adv_slowdown();
    for (;;) {
        int done = 1;
        for (int i = 0; i < SUBSCRIBERS && done; i++) done = clients[i].last_dispatched == EVENTS;
        if (done || adv_now_ms() > deadline) break;
        pump_all(10);
    }

    long lost = 0, doubled = 0, disorder = 0, wrong = 0, gaps = 0, reconnects = 0;
    for (int i = 0; i < SUBSCRIBERS; i++) {
        struct client *c = &clients[i];
        for (int id = 1; id <= EVENTS; id++) {
            if (c->seen[id] == 0) lost++;
            if (c->seen[id] > 1) doubled += c->seen[id] - 1;
        }
        disorder += c->out_of_order;
        wrong += c->wrong_data;
        gaps += c->gaps;
        reconnects += c->reconnects;
        if (c->fd >= 0) close(c->fd);
    }
    close(pub);
    ADV_CHECK(lost == 0, "%s: %ld events lost", server, lost);
    ADV_CHECK(doubled == 0, "%s: %ld events delivered twice", server, doubled);
    ADV_CHECK(disorder == 0, "%s: %ld events out of order", server, disorder);
    ADV_CHECK(wrong == 0, "%s: %ld events with the wrong data", server, wrong);
    ADV_CHECK(gaps == 0, "%s: %ld gap notices, with a feed that kept every event", server, gaps);
    /* Both servers pace a replay (sse.c "catching_up", websocket.c
     * replay_more), so nobody is dropped for the replay they asked for:
     * exactly two reconnections per client, one per storm. */
    long extra = reconnects - 2 * SUBSCRIBERS;
    ADV_CHECK(extra == 0, "%s: %ld reconnections, want %d (two storms)", server, reconnects, 2 * SUBSCRIBERS);
    long long bound = SETTLE_BOUND_MS * adv_slowdown();
    ADV_CHECK(storm_ms[0] >= 0 && storm_ms[0] < bound && storm_ms[1] >= 0 && storm_ms[1] < bound,
              "%s: a storm did not settle within %lld ms", server, bound);
    int status = server_stop(&ts);
    ADV_CHECK(status == 0, "%s exited with %d", server, status);
    printf("%-9s storm 1 (%s): all %d back on a stream in %lld ms; storm 2 (all reset, away for %d events "
           "of %d bytes, then back at once: replays %dx the out cap): in %lld ms\n", server,
           websocket ? "all clients reset" : "the server dropped every stream", SUBSCRIBERS, storm_ms[0],
           OUTAGE_EVENTS, EVENT_BYTES, OUTAGE_EVENTS * EVENT_BYTES / OUT_CAP, storm_ms[1]);
    printf("%-9s %d subscribers x %d events = %d deliveries checked through %ld reconnections: "
           "lost %ld, doubled %ld, out of order %ld, gaps %ld\n", server, SUBSCRIBERS, EVENTS,
           SUBSCRIBERS * EVENTS, reconnects, lost, doubled, disorder, gaps);
    total_checked += SUBSCRIBERS * EVENTS;
    total_lost += lost;
    total_doubled += doubled;
}

int main(void)
{
    adv_raise_fd_limit(SUBSCRIBERS + 256);
    int missing = 0, tried = 0;
    if (adv_have_server("sse", &missing)) { run_storm("sse", 0); tried++; } else missing = 1;
    if (adv_have_server("websocket", &missing)) { run_storm("websocket", 1); tried++; } else missing = 1;
    printf("result: %ld deliveries checked on %d servers through two reconnection storms each: "
           "lost %ld, doubled %ld; %d failures\n", total_checked, tried, total_lost, total_doubled, adv_failures());
    return adv_exit(missing);
}
