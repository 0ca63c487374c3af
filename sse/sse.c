/*
 * sse/sse.c — Server-Sent Events: the client asks once, and the server
 * never finishes answering.
 *
 * What it demonstrates: long polling (longpoll/longpoll.c) plus one idea.
 * The parked request is not answered and closed after one event; its
 * response stays open and every event is written into it as it happens, in
 * the text/event-stream format:
 *
 *   GET /events                      (Last-Event-ID: 41 after a reconnect)
 *                                 →  200, Content-Type: text/event-stream
 *   retry: 3000                      how long the browser waits to reconnect,
 *   id: 41                           and where this stream starts
 *
 *   id: 42                           each event: its id, then one data: line
 *   data: hello                      per line of data, then an empty line
 *
 *   : keep-alive                     a comment every 15 s on a quiet stream
 *
 * One request, one response, many events: no request per event, no moment
 * where the client is not listening. The browser's EventSource remembers
 * the last id it saw and, when the stream breaks, reconnects by itself and
 * sends it as the Last-Event-ID header; the server replays what it missed
 * from the feed, so nothing is lost and nothing arrives twice.
 *
 * The special problem of the slow reader: a subscriber is a cursor into the
 * feed, and its out queue a window of at most the cap (-o). deliver queues
 * the events after the cursor while core says there is room (conn_room)
 * and stops; on_drain continues as the socket drains. A burst of events, a
 * live stream and a replay after a reconnect are one and the same loop, so
 * a fast reader is never mistaken for a slow one, and a resume always makes
 * progress. A subscriber that stops reading is dropped by core after the
 * stall time (-S), holding at most its window; one that reads too slowly
 * for the feed is told what it missed (event: gap) and goes on.
 *
 * Spec: WHATWG HTML Standard §9.2 "Server-sent events": §9.2.3 the
 * processing model (reconnection), §9.2.4 the Last-Event-ID header, §9.2.5
 * the stream format (encoded by sse_encode.c), §9.2.7 authoring notes
 * (keep-alive comments, no caching). RFC 9112 §6.3: a response without
 * Content-Length or chunked coding lasts until the connection closes.
 *
 * Its neighbour: websocket/websocket.c keeps the connection open too, but
 * leaves HTTP for frames in both directions.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "server.h"
#include "sse_encode.h"

/* ==== Constants ==== */

#define DEFAULT_PORT 8003
#define DEFAULT_KEEPALIVE_MS 15000  /* §9.2.7: a comment every 15 s or so keeps proxies from timing out */
#define DEFAULT_RETRY_MS 3000       /* the browser's reconnection delay (retry:) */

/* Headers of the stream. no-cache: a cached stream is a stale one (§9.2.7);
 * X-Accel-Buffering: no asks a buffering reverse proxy (nginx) to pass each
 * event on at once instead of collecting a buffer-full first. */
#define STREAM_HEADERS "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"

static unsigned keepalive_ms = DEFAULT_KEEPALIVE_MS;  /* -K */
static unsigned retry_ms = DEFAULT_RETRY_MS;          /* -r */

/* ==== Connections ==== */

/* An SSE client: a connection, and while streaming, where it is in the feed. */
struct subscriber {
    struct conn conn;               /* first: core allocates and frees the whole struct */
    struct subscriber *prev, *next; /* in `streams` while streaming, else both NULL */
    uint64_t next_id;               /* its cursor: the first event not yet queued to it */
    unsigned char is_streaming;     /* on the streams list */
};

/* Every open stream, newest first. One list: a publish writes to them all. */
static struct subscriber *streams;

/* Bytes every stream shares, made once in on_start. */
static struct chunk *keepalive_line;  /* ": keep-alive\n" */
static ev_timer keepalive_timer;      /* one timer for all streams */

/* Add s to the streams list. */
static void subscribe(struct subscriber *s)
{
    s->prev = NULL;
    s->next = streams;
    if (streams) streams->prev = s;
    streams = s;
    s->is_streaming = 1;
    s->conn.srv->stats.subscribers++;
}

/* Take s off the streams list (it has gone away). */
static void unsubscribe(struct subscriber *s)
{
    if (!s->is_streaming) return;
    if (s->prev) s->prev->next = s->next; else streams = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
    s->is_streaming = 0;
    s->conn.srv->stats.subscribers--;
}

/* ==== The event stream ==== */

/* ev as an event block ("id: N\ndata: ...\n\n"), encoded the first time it
 * is asked for and kept in the feed (ev->wire) for every later subscriber
 * and replay. The returned chunk belongs to the feed: take a reference
 * (conn_send_chunk does) to keep it. */
static struct chunk *event_block(struct feed_event *ev)
{
    if (ev->wire) return ev->wire;
    char id[24];
    int id_len = snprintf(id, sizeof id, "%llu", (unsigned long long)ev->id);
    struct sse_event e = {id, (size_t)id_len, NULL, 0, ev->data->data, ev->data->len};
    long size = sse_event_size(&e);
    struct chunk *block = chunk_new((size_t)size);
    long n = sse_encode_event(block->data, block->cap, &e);
    assert(n == size);        /* a decimal id cannot be refused; size was exact */
    block->len = (size_t)n;
    ev->wire = block;
    return block;
}

/* Tell s that events first..last have left the feed before it got them:
 *   id: LAST / event: gap / data: {"from":FIRST,"to":LAST}
 * The id moves the browser's Last-Event-ID past the hole, so a reconnect
 * does not report the same gap twice. Returns conn_send's result. */
static int send_gap(struct subscriber *s, uint64_t first, uint64_t last)
{
    char id[24], data[64], block[160];
    int id_len = snprintf(id, sizeof id, "%llu", (unsigned long long)last);
    int data_len = snprintf(data, sizeof data, "{\"from\":%llu,\"to\":%llu}",
                            (unsigned long long)first, (unsigned long long)last);
    struct sse_event e = {id, (size_t)id_len, "gap", 3, data, (size_t)data_len};
    long n = sse_encode_event(block, sizeof block, &e);
    assert(n > 0);
    return conn_send(&s->conn, block, (size_t)n);
}

/* The first block of every stream: "retry: 3000\nid: C\n\n", where C is
 * the cursor the stream starts after. retry: sets the browser's
 * reconnection delay. The id with no data dispatches nothing (§9.2.6) but
 * sets the browser's Last-Event-ID, so a stream cut before its first event
 * still resumes after C, and a stale cursor (from before a restart) is
 * replaced at once. Returns conn_send's result. */
static int send_start(struct subscriber *s, uint64_t cursor)
{
    char id[24], block[64];
    int id_len = snprintf(id, sizeof id, "%llu", (unsigned long long)cursor);
    long n = sse_encode_retry(block, sizeof block, retry_ms);
    struct sse_event e = {id, (size_t)id_len, NULL, 0, NULL, 0};
    long m = sse_encode_event(block + n, sizeof block - (size_t)n, &e);
    assert(n > 0 && m > 0);
    return conn_send(&s->conn, block, (size_t)(n + m));
}

/* ==== The technique's endpoint: GET /events ==== */

static void deliver(struct subscriber *s);

/* A cursor the server can serve: a number no greater than the newest id. */
static int cursor_usable(struct server *srv, int found, uint64_t since)
{
    return found == 1 && since <= feed_newest(&srv->feed);
}

/* Where the client stands: the Last-Event-ID header of a reconnecting
 * browser (§9.2.4), else ?since=N (a page that keeps its own cursor, or
 * curl). Returns 1 and sets *since, or 0 for "no cursor: from now on".
 * A cursor the server cannot serve (not a number, or ahead of the newest
 * event: the client outlived a restart) counts as absent, never as an
 * error: an error status stops an EventSource for good (§9.2.3). */
static int stream_cursor(struct conn *c, const struct http_request *req, uint64_t *since)
{
    const struct http_header *h = http_header_get(req, "Last-Event-ID");
    if (h) {
        int found = http_parse_uint(h->value, h->value_len, since) == 0;
        if (cursor_usable(c->srv, found, *since)) {
            server_log(c->srv, "fd %d resumes after Last-Event-ID %llu", c->fd,
                       (unsigned long long)*since);
            return 1;
        }
        server_log(c->srv, "fd %d: Last-Event-ID '%.*s' is not an id we issued: ignored",
                   c->fd, (int)h->value_len, h->value);
    }
    int found = server_query_since(req, since);
    if (cursor_usable(c->srv, found, *since)) return 1;
    if (found != 0) server_log(c->srv, "fd %d: since is not an id we issued: ignored", c->fd);
    return 0;
}

/* GET /events: answer with the head of a response that never ends, then
 * replay what the client missed and keep it on the streams list. */
static void open_stream(struct conn *c, const struct http_request *req)
{
    struct subscriber *s = (struct subscriber *)c;
    uint64_t since;
    if (!stream_cursor(c, req, &since)) since = feed_newest(&c->srv->feed);
    c->keep_alive = 0;                 /* RFC 9112 §6.3: the body ends when the connection does */
    conn_respond_head(c, 200, "text/event-stream", -1, STREAM_HEADERS);
    if (c->head_only) {                /* HEAD: the same head, no stream */
        conn_finish(c);
        return;
    }
    conn_hold(c);                      /* core: no idle timeout now */
    if (send_start(s, since) < 0) return;
    /* Replay and subscribe in one callback, with no return to the loop in
     * between: no publish can slip past (longpoll's "lost wake-up"). */
    s->next_id = since + 1;
    subscribe(s);
    deliver(s);                        /* the replay, if the client missed any */
}

/* POST /events/drop: close every stream now, as a restart or a proxy would.
 * The demo's "drop" button and the browser test use it to watch EventSource
 * reconnect with Last-Event-ID. Answers {"dropped":N}. */
static void drop_streams(struct conn *c)
{
    unsigned long n = 0;
    while (streams) {
        conn_close(&streams->conn);    /* on_close takes it off the list */
        n++;
    }
    char body[48];
    int len = snprintf(body, sizeof body, "{\"dropped\":%lu}\n", n);
    conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", body, (size_t)len);
}

/* GET /events and POST /events/drop. Returns 0 for any other path. */
static int on_request(struct conn *c, const struct http_request *req, const char *body)
{
    (void)body;
    if (req_path_is(req, "/events/drop")) {
        if (req_method_is(req, "POST")) drop_streams(c);
        else conn_method_not_allowed(c, "POST, OPTIONS");
        return 1;
    }
    if (!req_path_is(req, "/events")) return 0;
    if (!req_method_is(req, "GET") && !req_method_is(req, "HEAD")) {
        conn_method_not_allowed(c, "GET, HEAD, OPTIONS");
        return 1;
    }
    open_stream(c, req);
    return 1;
}

/* ==== Publishing ==== */

/* Queue to s the events after its cursor, in order, each once, while its
 * window has room (conn_room: the cap rule lives in core); a gap block
 * first when some have already left the feed. What does not fit waits in
 * the feed, not in memory of this client's own: on_drain brings the next
 * ones as the socket drains. One event larger than the whole window still
 * goes, into an empty queue. */
static void deliver(struct subscriber *s)
{
    struct server *srv = s->conn.srv;
    while (s->next_id <= feed_newest(&srv->feed) && conn_room(&s->conn)) {
        uint64_t first;
        if (feed_since(&srv->feed, s->next_id - 1, &first) == FEED_GAP) {
            if (send_gap(s, s->next_id, first - 1) < 0) return;
            s->next_id = first;
            continue;
        }
        struct feed_event *ev = feed_get(&srv->feed, s->next_id);
        assert(ev);                    /* oldest <= next_id <= newest: it is kept */
        if (conn_deliver(&s->conn, event_block(ev), 1) < 0) return;
        s->next_id++;
    }
}

/* A new event is in the feed: encode it once, then queue the same bytes to
 * every stream: ten thousand subscribers, one encode, ten thousand
 * references. */
static void publish(struct server *srv, struct feed_event *ev)
{
    (void)srv;
    event_block(ev);
    struct subscriber *next;
    for (struct subscriber *s = streams; s; s = next) {
        next = s->next;
        deliver(s);
    }
}

/* ==== Keep-alive ==== */

/* Every -K ms: one shared comment line to every stream. The browser ignores
 * it (§9.2.5); proxies and NAT boxes see traffic and keep the connection,
 * and a peer that vanished is found when the write fails. */
static void on_keepalive(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)w; (void)revents;
    struct subscriber *next;
    for (struct subscriber *s = streams; s; s = next) {
        next = s->next;
        conn_send_chunk(&s->conn, keepalive_line);
    }
}

/* ==== Timeouts, disconnects, shutdown ==== */

/* Core wrote bytes and the window has room again: the next events. */
static void on_drain(struct conn *c)
{
    struct subscriber *s = (struct subscriber *)c;
    if (s->is_streaming) deliver(s);
}

/* The client went away (or was dropped): forget it at once. */
static void on_close(struct conn *c)
{
    unsubscribe((struct subscriber *)c);
}

/* SIGTERM: the stream leaves the list (no more events or keep-alives), a
 * last comment goes out (curl shows it; the browser ignores it), and core
 * closes the connection once what is queued is written. The browser
 * reconnects after retry: and resumes with Last-Event-ID. */
static void on_shutdown(struct conn *c)
{
    static const char goodbye[] = ": server shutting down\n";
    ev_timer_stop(c->srv->loop, &keepalive_timer);
    unsubscribe((struct subscriber *)c);          /* no more events after the goodbye */
    conn_send(c, goodbye, sizeof goodbye - 1);
}

/* ==== Flags and start ==== */

/* -K MS (keep-alive comment interval, 0 = none) and -r MS (retry:). */
static int on_flag(int flag, const char *value)
{
    uint64_t ms;
    if (http_parse_uint(value, strlen(value), &ms) < 0 || ms > 86400000) {
        fprintf(stderr, "-%c: '%s' is not a number of milliseconds\n", flag, value);
        return -1;
    }
    if (flag == 'K') keepalive_ms = (unsigned)ms;
    else retry_ms = (unsigned)ms;
    return 0;
}

/* Make the shared keep-alive line and start its timer. */
static void on_start(struct server *srv)
{
    char line[64];
    long n = sse_encode_comment(line, sizeof line, "keep-alive", 10);
    keepalive_line = chunk_from(line, (size_t)n);
    if (keepalive_ms > 0) {
        double every = keepalive_ms / 1000.0;
        ev_timer_init(&keepalive_timer, on_keepalive, every, every);
        ev_timer_start(srv->loop, &keepalive_timer);
    }
}

/* ==== main ==== */

static const struct technique sse = {
    .name = "sse",
    .default_port = DEFAULT_PORT,
    .conn_size = sizeof(struct subscriber),
    .extra_flags = "K:r:",
    .extra_usage = "[-K MS] [-r MS]\n"
                   "  -K MS     a keep-alive comment on every stream every MS ms; 0 = none (default 15000)\n"
                   "  -r MS     retry: the browser's reconnection delay (default 3000)",
    .on_flag = on_flag,
    .on_start = on_start,
    .on_request = on_request,
    .publish = publish,
    .on_drain = on_drain,
    .on_close = on_close,
    .on_shutdown = on_shutdown,
};

int main(int argc, char **argv)
{
    return server_main(&sse, argc, argv);
}
