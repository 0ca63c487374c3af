/*
 * core/server.c — the plumbing all four servers share; see server.h for the
 * life of a connection and the interface a technique uses.
 *
 * Sections, lowest layer first:
 *   Constants and small helpers
 *   Connections: create, close, free, flush
 *   Sending: queue bytes, heads, whole answers, errors
 *   The request loop: parse what arrived, request after request
 *   Routing and the common endpoints (/publish, /stats, static files, CORS)
 *   libev callbacks: accept, read/write, timeouts, ticker, signals, flush
 *   server_main
 *
 * The special problems handled here, each where it happens:
 *   - a request in many pieces, or many requests in one read (on_read,
 *     conn_input);
 *   - a partial write (conn_flush keeps the rest, EV_WRITE stays armed);
 *   - a client that pipelines faster than it reads (reading pauses while the
 *     out queue is over PIPELINE_HIGH_WATER);
 *   - a subscriber that never reads (conn_send: past the out cap it is
 *     dropped and counted);
 *   - slowloris and idle keep-alive connections (on_timeout);
 *   - EMFILE on accept (on_accept pauses accepting instead of spinning);
 *   - SIGPIPE (ignored: a write to a closed socket is an error we handle);
 *   - closing without losing the answer (conn_flush lingers: shut our side,
 *     read until the peer's EOF, so unread input does not turn into a reset
 *     that destroys the answer in flight).
 */
#include "server.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "net.h"
#include "static.h"
#include "utf8.h"

/* ==== Constants and small helpers ==== */

#define HEAD_DEADLINE 5.0        /* s from a head's first byte to its last (slowloris) */
#define IDLE_TIMEOUT 30.0        /* s an idle keep-alive connection is kept */
#define LINGER_TIMEOUT 2.0       /* s to wait for the peer's EOF after our last answer */
#define SHUTDOWN_GRACE 2.0       /* s to let goodbyes drain on SIGTERM */
#define ACCEPT_RETRY 0.1         /* s to pause accepting when out of descriptors */
#define PIPELINE_HIGH_WATER (256 * 1024)  /* stop reading requests past this much unsent */
#define HELD_INPUT_MAX (HTTP_MAX_HEAD + HTTP_MAX_BODY)  /* pipelined bytes kept behind a held request */
#define UPGRADED_INPUT_MAX (64u << 20)      /* safety net for an upgraded protocol's partial message */
#define DEFAULT_OUT_CAP (1u << 20)
#define READ_SIZE (64 * 1024)

/* Every read lands here first; only an incomplete request is copied into the
 * connection's own buffer, so idle connections hold no input memory. */
static char read_buf[READ_SIZE];

/* The request being routed right now, for the log line of its answer. */
static const struct http_request *current_request;

void server_log(struct server *s, const char *fmt, ...)
{
    if (s->cfg.quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%s] ", s->tech->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The Date header value (RFC 9110 §5.6.7 IMF-fixdate), formatted once a second. */
static const char *server_date(struct server *s)
{
    double now = ev_now(s->loop);
    if (now - s->date_at >= 1.0 || s->date[0] == '\0') {
        time_t t = (time_t)now;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        s->date_at = (double)t;
    }
    return s->date;
}

/* Watch fd for exactly these events (libev needs the watcher stopped to
 * change them). ev_io_set keeps an internal flag in `events`, so compare
 * only the EV_READ and EV_WRITE bits. */
static void conn_watch(struct conn *c, int events)
{
    if ((c->io.events & (EV_READ | EV_WRITE)) == events && ev_is_active(&c->io)) return;
    ev_io_stop(c->srv->loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    if (events) ev_io_start(c->srv->loop, &c->io);
}

/* (Re)start the connection's one timer to fire after `seconds`. */
static void conn_arm(struct conn *c, double seconds)
{
    c->timer.repeat = seconds;
    ev_timer_again(c->srv->loop, &c->timer);
}

/* ==== Connections: create, close, free, flush ==== */

static void on_io(struct ev_loop *loop, ev_io *w, int revents);
static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents);
static size_t conn_input(struct conn *c, const char *data, size_t len);

/* A new connection for an accepted socket; it waits for a request. */
static struct conn *conn_new(struct server *s, int fd)
{
    struct conn *c = calloc(1, s->tech->conn_size);
    if (!c) return NULL;
    c->srv = s;
    c->fd = fd;
    c->state = CONN_HEAD;
    ev_io_init(&c->io, on_io, fd, EV_READ);
    ev_init(&c->timer, on_timeout);
    ev_io_start(s->loop, &c->io);
    conn_arm(c, IDLE_TIMEOUT);
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->stats.connections_open++;
    s->stats.connections_total++;
    return c;
}

/* Put c on the list of connections to flush before the loop sleeps. */
static void conn_mark_dirty(struct conn *c)
{
    if (c->dirty || c->state == CONN_CLOSED) return;
    c->dirty = 1;
    c->dirty_next = c->srv->dirty;
    c->srv->dirty = c;
}

void conn_close(struct conn *c)
{
    struct server *s = c->srv;
    if (c->state == CONN_CLOSED) return;
    int was = c->state;
    c->state = CONN_CLOSED;                  /* first, so on_close cannot recurse */
    if (s->tech->on_close && (was == CONN_HELD || was == CONN_UPGRADED || was == CONN_CLOSING))
        s->tech->on_close(c);
    ev_io_stop(s->loop, &c->io);
    ev_timer_stop(s->loop, &c->timer);
    close(c->fd);
    c->fd = -1;
    if (c->prev) c->prev->next = c->next; else s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->stats.connections_open--;
    c->next = s->closed;                     /* freed once the loop pass is over */
    s->closed = c;
}

void conn_close_after_write(struct conn *c)
{
    if (c->state == CONN_CLOSED) return;
    c->state = CONN_CLOSING;
    c->keep_alive = 0;
    conn_mark_dirty(c);
}

/* Release a closed connection's memory. */
static void conn_free(struct conn *c)
{
    buf_free(&c->in);
    outq_clear(&c->out);
    free(c);
}

/* Start the lingering close: shut our sending side so the peer sees the end
 * of our answer, then read (and drop) until its EOF or LINGER_TIMEOUT. */
static void conn_linger(struct conn *c)
{
    c->lingering = 1;
    shutdown(c->fd, SHUT_WR);
    conn_watch(c, EV_READ);
    conn_arm(c, LINGER_TIMEOUT);
}

/* Write what is queued. Past a partial write, EV_WRITE stays armed and
 * on_io calls this again when the socket has room. */
static void conn_flush(struct conn *c)
{
    struct server *s = c->srv;
    if (c->state == CONN_CLOSED) return;
    if (c->pending_input && c->state == CONN_HEAD) {   /* pipelined requests were waiting */
        c->pending_input = 0;
        size_t used = conn_input(c, c->in.data, c->in.len);
        if (c->state == CONN_CLOSED) return;
        buf_consume(&c->in, used);
    }
    ssize_t w = outq_write(&c->out, c->fd);
    if (w < 0) {                             /* the peer is gone (EPIPE, ECONNRESET) */
        conn_close(c);
        return;
    }
    s->stats.bytes_out += (uint64_t)w;
    if (outq_bytes(&c->out) > 0) {
        conn_watch(c, c->paused ? EV_WRITE : EV_READ | EV_WRITE);
        return;
    }
    if (c->state == CONN_CLOSING) {
        if (!c->lingering) conn_linger(c);
        return;
    }
    if ((c->state == CONN_HELD || c->state == CONN_UPGRADED) && s->tech->on_drain) {
        s->tech->on_drain(c);                 /* may queue more: then c is dirty again */
        if (c->state == CONN_CLOSED) return;
    }
    if (c->paused) {                         /* drained: read the pipelined rest */
        c->paused = 0;
        c->pending_input = c->in.len > 0;
        if (c->pending_input) conn_mark_dirty(c);
    }
    conn_watch(c, EV_READ);
}

/* ==== Sending: queue bytes, heads, whole answers, errors ==== */

/* Would n more bytes put a subscriber over the cap? Then drop it. Answers to
 * ordinary requests are not capped here: pipelining is bounded by pausing. */
static int conn_over_cap(struct conn *c, size_t n)
{
    struct server *s = c->srv;
    if (c->state != CONN_HELD && c->state != CONN_UPGRADED) return 0;
    if (outq_bytes(&c->out) == 0) return 0;       /* one big event is not a backlog */
    if (outq_bytes(&c->out) + n <= s->cfg.out_cap) return 0;
    s->stats.drops++;
    server_log(s, "fd %d dropped: %zu bytes unsent, over the cap of %zu", c->fd,
               outq_bytes(&c->out), s->cfg.out_cap);
    conn_close(c);
    return 1;
}

int conn_send(struct conn *c, const void *p, size_t n)
{
    if (c->state == CONN_CLOSED) return -1;
    if (conn_over_cap(c, n)) return -1;
    outq_copy(&c->out, p, n);
    conn_mark_dirty(c);
    return 0;
}

int conn_send_chunk(struct conn *c, struct chunk *ch)
{
    if (c->state == CONN_CLOSED) return -1;
    if (conn_over_cap(c, ch->len)) return -1;
    outq_push(&c->out, ch);
    conn_mark_dirty(c);
    return 0;
}

void conn_queue_chunk(struct conn *c, struct chunk *ch)
{
    if (c->state == CONN_CLOSED) return;
    outq_push(&c->out, ch);
    conn_mark_dirty(c);
}

void conn_respond_head(struct conn *c, int status, const char *content_type,
                       long long content_length, const char *extra)
{
    struct server *s = c->srv;
    char head[2048];
    if (s->shutting_down) c->keep_alive = 0;
    struct http_response r = {
        .status = status, .content_type = content_type, .content_length = content_length,
        .keep_alive = c->keep_alive, .date = server_date(s), .extra = extra,
    };
    int n = http_write_response_head(head, sizeof head, &r);
    if (n < 0) {                              /* a programming error: extra is too long */
        fprintf(stderr, "rtlab: response head over %zu bytes\n", sizeof head);
        abort();
    }
    if (status >= 400) s->stats.errors++;
    if (current_request)
        server_log(s, "fd %d %.*s %.*s -> %d", c->fd, (int)current_request->method_len,
                   current_request->method, (int)current_request->target_len,
                   current_request->target, status);
    else
        server_log(s, "fd %d (held request) -> %d", c->fd, status);
    outq_copy(&c->out, head, (size_t)n);
    conn_mark_dirty(c);
}

void conn_finish(struct conn *c)
{
    if (c->state == CONN_CLOSED) return;
    if (!c->keep_alive) {
        conn_close_after_write(c);
        return;
    }
    c->state = CONN_HEAD;
    c->head_started = 0;
    conn_arm(c, IDLE_TIMEOUT);
    if (c->in.len > 0) {                      /* a pipelined request waits behind this one */
        c->pending_input = 1;
        conn_mark_dirty(c);
    }
}

void conn_respond(struct conn *c, int status, const char *content_type,
                  const char *extra, const void *body, size_t len)
{
    if (c->state == CONN_CLOSED) return;
    conn_respond_head(c, status, content_type, (long long)len, extra);
    if (!c->head_only) outq_copy(&c->out, body, len);   /* HEAD: same head, no body */
    conn_finish(c);
}

void conn_error(struct conn *c, int status, const char *message, int close_after)
{
    char body[512];
    char quoted[400];
    long q = json_escape(quoted, sizeof quoted, message, strnlen(message, 60));
    int n = snprintf(body, sizeof body, "{\"error\":%.*s,\"status\":%d}\n", (int)q, quoted, status);
    if (close_after) c->keep_alive = 0;
    conn_respond(c, status, "application/json", "Cache-Control: no-store\r\n", body, (size_t)n);
}

void conn_hold(struct conn *c)
{
    c->state = CONN_HELD;
    c->head_started = 0;
    ev_timer_stop(c->srv->loop, &c->timer);
}

void conn_hold_timeout(struct conn *c, double seconds)
{
    if (c->state == CONN_CLOSED) return;
    if (seconds > 0) conn_arm(c, seconds);
    else ev_timer_stop(c->srv->loop, &c->timer);
}

void conn_upgrade(struct conn *c)
{
    c->state = CONN_UPGRADED;
    c->keep_alive = 0;
    ev_timer_stop(c->srv->loop, &c->timer);
}

/* ==== The request loop ==== */

static void route(struct conn *c, const struct http_request *req, const char *body);

/* Use the bytes data[0..len): every complete request in them, in order, or
 * the technique's own protocol after an upgrade. Returns how many bytes were
 * used; the caller keeps the rest for when more arrive. */
static size_t conn_input(struct conn *c, const char *data, size_t len)
{
    struct server *s = c->srv;
    const struct technique *t = s->tech;
    size_t used = 0;
    while (used < len) {
        if (c->state == CONN_CLOSED) return len;
        if (c->state == CONN_CLOSING) return len;          /* nothing more will be answered */
        if (c->state == CONN_UPGRADED || (c->state == CONN_HELD && t->on_data)) {
            size_t n = t->on_data(c, data + used, len - used);
            if (n == 0) return used;
            used += n;
            continue;
        }
        if (c->state == CONN_HELD) return used;            /* pipelined: waits for the answer */
        if (c->paused) return used;
        struct http_request req;
        int head = http_parse_request(data + used, len - used, &req);
        if (head == -2) break;
        if (head < 0) {
            s->stats.requests++;
            conn_error(c, req.error, http_reason(req.error), 1);
            return len;
        }
        if (len - used - (size_t)head < req.content_length) break;   /* body still coming */
        s->stats.requests++;
        c->head_started = 0;
        route(c, &req, data + used + head);
        used += (size_t)head + req.content_length;
        if (c->state == CONN_HEAD && outq_bytes(&c->out) > PIPELINE_HIGH_WATER) {
            c->paused = 1;                                /* the client reads slower than it asks */
            conn_watch(c, EV_WRITE);
        }
    }
    if (c->state == CONN_HEAD && used < len && !c->head_started) {
        c->head_started = 1;                              /* a head has begun: its deadline runs */
        conn_arm(c, HEAD_DEADLINE);
    }
    return used;
}

/* ==== Routing and the common endpoints ==== */

int req_path_is(const struct http_request *req, const char *path)
{
    size_t n = strlen(path);
    return req->path_len == n && memcmp(req->path, path, n) == 0;
}

int req_method_is(const struct http_request *req, const char *method)
{
    size_t n = strlen(method);
    return req->method_len == n && memcmp(req->method, method, n) == 0;
}

/* RFC 9110 §9: the methods HTTP defines. Any other is answered 501. */
static int method_known(const struct http_request *req)
{
    static const char *const known[] = {
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (req_method_is(req, known[i])) return 1;
    return 0;
}

void conn_method_not_allowed(struct conn *c, const char *allow)
{
    char extra[128];
    snprintf(extra, sizeof extra, "Allow: %s\r\n", allow);
    static const char body[] = "{\"error\":\"Method Not Allowed\",\"status\":405}\n";
    conn_respond(c, 405, "application/json", extra, body, sizeof body - 1);
}

/* CORS preflight: the demo page on one port calls the servers on the others. */
static void respond_preflight(struct conn *c)
{
    conn_respond(c, 204, NULL,
                 "Access-Control-Allow-Methods: GET, HEAD, POST, OPTIONS\r\n"
                 "Access-Control-Allow-Headers: Content-Type, Last-Event-ID\r\n"
                 "Access-Control-Max-Age: 600\r\n",
                 "", 0);
}

/* POST /publish: the body, UTF-8 text of at most 64 KiB, becomes an event. */
static void respond_publish(struct conn *c, const struct http_request *req, const char *body)
{
    if (!utf8_valid(body, req->content_length)) {
        conn_error(c, 400, "the event must be UTF-8 text", 0);
        return;
    }
    struct feed_event *ev = server_publish(c->srv, body, req->content_length);
    char answer[64];
    int n = snprintf(answer, sizeof answer, "{\"id\":%llu}\n", (unsigned long long)ev->id);
    conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", answer, (size_t)n);
}

/* GET /stats: the counters, as one JSON object. */
static void respond_stats(struct conn *c)
{
    struct server *s = c->srv;
    const struct server_stats *st = &s->stats;
    char body[1024];
    int n = snprintf(body, sizeof body,
        "{\"server\":\"%s\",\"connections_open\":%llu,\"connections_total\":%llu,"
        "\"requests\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,\"events\":%llu,"
        "\"newest_id\":%llu,\"oldest_id\":%llu,\"deliveries\":%llu,\"drops\":%llu,"
        "\"subscribers\":%llu,\"errors\":%llu,\"empty_answers\":%llu,\"uptime_s\":%.3f}\n",
        s->tech->name, (unsigned long long)st->connections_open,
        (unsigned long long)st->connections_total, (unsigned long long)st->requests,
        (unsigned long long)st->bytes_in, (unsigned long long)st->bytes_out,
        (unsigned long long)st->events, (unsigned long long)feed_newest(&s->feed),
        (unsigned long long)feed_oldest(&s->feed), (unsigned long long)st->deliveries,
        (unsigned long long)st->drops, (unsigned long long)st->subscribers,
        (unsigned long long)st->errors, (unsigned long long)st->empty_answers, ev_now(s->loop) - s->started_at);
    conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", body, (size_t)n);
}

/* GET/HEAD of a file under the web root; 404 for anything that is not one. */
static void respond_static(struct conn *c, const struct http_request *req)
{
    char relative[STATIC_MAX_PATH];
    struct chunk *file = NULL;
    if (static_resolve(req->path, req->path_len, relative, sizeof relative) >= 0)
        file = static_load(c->srv->cfg.web_root, relative);
    if (!file) {
        conn_error(c, 404, "Not Found", 0);
        return;
    }
    if (!req_method_is(req, "GET") && !req_method_is(req, "HEAD")) {
        chunk_unref(file);
        conn_method_not_allowed(c, "GET, HEAD, OPTIONS");
        return;
    }
    conn_respond_head(c, 200, static_content_type(relative), (long long)file->len,
                      "Cache-Control: no-cache\r\n");
    if (!c->head_only) outq_push(&c->out, file);
    chunk_unref(file);
    conn_finish(c);
}

/* Answer one complete request: CORS preflight, the technique's endpoint,
 * then the endpoints every server has. */
static void route(struct conn *c, const struct http_request *req, const char *body)
{
    struct server *s = c->srv;
    c->keep_alive = req->keep_alive && !s->shutting_down;
    c->head_only = req_method_is(req, "HEAD");
    current_request = req;
    if (!method_known(req))
        conn_error(c, 501, "Not Implemented", 0);
    else if (req_method_is(req, "OPTIONS"))
        respond_preflight(c);
    else if (s->tech->on_request && s->tech->on_request(c, req, body))
        ;                                                /* the technique's own endpoint */
    else if (req_path_is(req, "/publish"))
        req_method_is(req, "POST") ? respond_publish(c, req, body)
                               : conn_method_not_allowed(c, "POST, OPTIONS");
    else if (req_path_is(req, "/stats"))
        req_method_is(req, "GET") || c->head_only ? respond_stats(c)
                                              : conn_method_not_allowed(c, "GET, HEAD, OPTIONS");
    else
        respond_static(c, req);
    current_request = NULL;
}

struct feed_event *server_publish(struct server *s, const char *data, size_t len)
{
    struct feed_event *ev = feed_publish(&s->feed, data, len);
    s->stats.events++;
    if (s->tech->publish) s->tech->publish(s, ev);
    return ev;
}

int server_query_since(const struct http_request *req, uint64_t *since)
{
    const char *value;
    size_t value_len;
    if (!http_query_get(req->query, req->query_len, "since", &value, &value_len)) return 0;
    return http_parse_uint(value, value_len, since) == 0 ? 1 : -1;
}

/* ==== libev callbacks ==== */

/* Read what the socket has and use it. */
static void on_read(struct conn *c)
{
    struct server *s = c->srv;
    ssize_t n = read(c->fd, read_buf, sizeof read_buf);
    if (n == 0) {                                 /* the peer closed its side */
        conn_close(c);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) conn_close(c);
        return;
    }
    s->stats.bytes_in += (uint64_t)n;
    if (c->lingering || c->state == CONN_CLOSING) return;    /* dropped: we are leaving */
    if (c->in.len == 0) {                         /* the common case: use the bytes in place */
        size_t used = conn_input(c, read_buf, (size_t)n);
        if (c->state != CONN_CLOSED && used < (size_t)n)
            buf_append(&c->in, read_buf + used, (size_t)n - used);
    } else {                                      /* the rest of a request that began earlier */
        buf_append(&c->in, read_buf, (size_t)n);
        size_t used = conn_input(c, c->in.data, c->in.len);
        if (c->state != CONN_CLOSED) buf_consume(&c->in, used);
    }
    if (c->state == CONN_HELD && c->in.len > HELD_INPUT_MAX) conn_close(c);
    if (c->state == CONN_UPGRADED && c->in.len > UPGRADED_INPUT_MAX) conn_close(c);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, io));
    if (revents & EV_READ) on_read(c);
    if ((revents & EV_WRITE) && c->state != CONN_CLOSED) conn_flush(c);
    (void)loop;
}

/* The connection's timer: what it means depends on the state. */
static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, timer));
    struct server *s = c->srv;
    (void)loop; (void)revents;
    ev_timer_stop(s->loop, &c->timer);
    switch (c->state) {
    case CONN_HEAD:
        if (c->head_started) {                    /* slowloris: the head took too long */
            server_log(s, "fd %d: request head not complete in %.0f s", c->fd, HEAD_DEADLINE);
            current_request = NULL;
            conn_error(c, 408, "Request Timeout", 1);
        } else {
            conn_close(c);                        /* idle keep-alive: quietly */
        }
        break;
    case CONN_HELD:
    case CONN_UPGRADED:
        if (s->tech->on_timeout) s->tech->on_timeout(c);
        break;
    default:                                      /* lingering close: enough waiting */
        conn_close(c);
    }
}

static void on_accept_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, accept_retry));
    (void)revents;
    if (!s->shutting_down) ev_io_start(loop, &s->listen_io);
}

/* Accept every pending connection. Out of descriptors (EMFILE, ENFILE), the
 * pending one cannot be taken and the listening socket stays readable: a
 * loop that kept watching it would spin at 100% CPU. So stop watching it for
 * ACCEPT_RETRY seconds instead (libev manual, "the special problem of
 * accept()ing when you can't"). */
static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, listen_io));
    (void)revents;
    for (int i = 0; i < 256; i++) {                /* bounded: let other work run too */
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                server_log(s, "accept: %s; pausing accepts for %.0f ms", strerror(errno),
                           ACCEPT_RETRY * 1000);
                ev_io_stop(loop, &s->listen_io);
                ev_timer_set(&s->accept_retry, ACCEPT_RETRY, 0);
                ev_timer_start(loop, &s->accept_retry);
            }
            return;                               /* EAGAIN: none left */
        }
        int one = 1;                              /* small event writes must not wait (Nagle) */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!conn_new(s, fd)) close(fd);
    }
}

/* Just before the loop sleeps: write what every dirty connection has queued,
 * then free the connections closed during this pass. */
static void on_flush(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, flush));
    (void)revents;
    while (s->dirty) {
        struct conn *c = s->dirty;
        s->dirty = c->dirty_next;
        c->dirty = 0;
        conn_flush(c);
    }
    while (s->closed) {
        struct conn *c = s->closed;
        s->closed = c->next;
        conn_free(c);
    }
    if (s->shutting_down && !s->conns) ev_break(loop, EVBREAK_ALL);
}

/* The built-in ticker: a clock event every -t milliseconds. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, tick));
    (void)loop; (void)revents;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char text[64];
    int n = snprintf(text, sizeof text, "clock %02d:%02d:%02d.%03ld UTC", tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000);
    server_publish(s, text, (size_t)n);
}

/* Past the grace period, whoever has not finished is cut off. */
static void on_shutdown_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, shutdown_timer));
    (void)revents;
    while (s->conns) conn_close(s->conns);
    ev_break(loop, EVBREAK_ALL);
}

/* SIGINT/SIGTERM: stop accepting, let held connections say goodbye, close
 * the rest, and leave once everything queued is written (or the grace
 * period ends). */
static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct server *s = w->data;
    (void)revents;
    if (s->shutting_down) return;
    s->shutting_down = 1;
    server_log(s, "signal %d: shutting down", w->signum);
    ev_io_stop(loop, &s->listen_io);
    ev_timer_stop(loop, &s->accept_retry);
    ev_timer_stop(loop, &s->tick);
    close(s->listen_fd);
    struct conn *next;
    for (struct conn *c = s->conns; c; c = next) {
        next = c->next;
        if (c->state == CONN_HELD || c->state == CONN_UPGRADED) {
            if (s->tech->on_shutdown) s->tech->on_shutdown(c);
            conn_close_after_write(c);
        } else if (c->state == CONN_HEAD && outq_bytes(&c->out) == 0) {
            conn_close(c);                        /* idle, or mid-head: nothing owed */
        } else {
            conn_close_after_write(c);            /* an answer is on its way: finish it */
        }
    }
    ev_timer_set(&s->shutdown_timer, SHUTDOWN_GRACE, 0);
    ev_timer_start(loop, &s->shutdown_timer);
    ev_prepare_start(loop, &s->flush);
}

/* ==== server_main ==== */

static void usage(const struct technique *t)
{
    fprintf(stderr,
            "usage: %s [-p PORT] [-a ADDR] [-w DIR] [-t MS] [-b N] [-o BYTES] [-q]%s%s\n"
            "  -p PORT   port to listen on; 0 picks a free one (default %d)\n"
            "  -a ADDR   address to bind (default 127.0.0.1)\n"
            "  -w DIR    web root for static files (default: the repo's web/)\n"
            "  -t MS     publish a clock event every MS ms; 0 = off (default 1000)\n"
            "  -b N      events kept in the feed (default 1024)\n"
            "  -o BYTES  most bytes a subscriber may have unsent before it is dropped (default 1048576)\n"
            "  -q        quiet: no per-request log\n",
            t->name, t->extra_usage ? " " : "", t->extra_usage ? t->extra_usage : "",
            t->default_port);
}

/* A number flag in [min, max], or -1 with a message. */
static long long flag_number(char flag, const char *value, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        fprintf(stderr, "-%c: '%s' is not a number from %lld to %lld\n", flag, value, min, max);
        return -1;
    }
    return v;
}

/* The web root next to the binary (bin/polling → ../web), so a server started
 * from any directory still finds the demo page. */
static const char *default_web_root(void)
{
    static char path[PATH_MAX];
    char self[PATH_MAX - 16];   /* room left for "/web" */
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return "web";
    self[n] = '\0';
    for (int up = 0; up < 3; up++) {             /* bin/x, bin/san/x */
        char *slash = strrchr(self, '/');
        if (!slash) break;
        *slash = '\0';
        snprintf(path, sizeof path, "%s/web", self);
        if (access(path, R_OK) == 0) return path;
    }
    return "web";
}

/* Parse the common flags and the technique's own. Returns 0, or -1. */
static int parse_flags(struct server *s, const struct technique *t, int argc, char **argv)
{
    char optstring[64];
    snprintf(optstring, sizeof optstring, "p:a:w:t:b:o:qh%s", t->extra_flags ? t->extra_flags : "");
    int opt;
    long long v;
    while ((opt = getopt(argc, argv, optstring)) != -1) {
        switch (opt) {
        case 'p': if ((v = flag_number('p', optarg, 0, 65535)) < 0) return -1; s->cfg.port = (int)v; break;
        case 'a': s->cfg.addr = optarg; break;
        case 'w': s->cfg.web_root = optarg; break;
        case 't': if ((v = flag_number('t', optarg, 0, 86400000)) < 0) return -1; s->cfg.tick_ms = (unsigned)v; break;
        case 'b': if ((v = flag_number('b', optarg, 1, 10000000)) < 0) return -1; s->cfg.feed_size = (size_t)v; break;
        case 'o': if ((v = flag_number('o', optarg, 1024, 1LL << 40)) < 0) return -1; s->cfg.out_cap = (size_t)v; break;
        case 'q': s->cfg.quiet = 1; break;
        case 'h': usage(t); exit(0);
        case '?': usage(t); return -1;
        default:
            if (!t->on_flag || t->on_flag(opt, optarg) < 0) { usage(t); return -1; }
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", t->name, argv[optind]);
        usage(t);
        return -1;
    }
    return 0;
}

/* Let the process hold as many connections as it is allowed to. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int server_main(const struct technique *tech, int argc, char **argv)
{
    static struct server srv;
    struct server *s = &srv;
    char why[256];
    s->tech = tech;
    s->cfg = (struct server_config){
        .addr = "127.0.0.1", .port = tech->default_port, .web_root = NULL,
        .tick_ms = 1000, .feed_size = 1024, .out_cap = DEFAULT_OUT_CAP,
    };
    if (parse_flags(s, tech, argc, argv) < 0) return 1;
    if (!s->cfg.web_root) s->cfg.web_root = default_web_root();
    signal(SIGPIPE, SIG_IGN);             /* a write to a closed socket returns EPIPE instead */
    raise_fd_limit();

    s->listen_fd = net_listen(s->cfg.addr, s->cfg.port, &s->cfg.port, why, sizeof why);
    if (s->listen_fd < 0) {
        fprintf(stderr, "%s: %s\n", tech->name, why);
        return 1;
    }
    s->loop = ev_default_loop(EVFLAG_AUTO);
    feed_init(&s->feed, s->cfg.feed_size);
    s->started_at = ev_now(s->loop);

    ev_io_init(&s->listen_io, on_accept, s->listen_fd, EV_READ);
    ev_io_start(s->loop, &s->listen_io);
    ev_init(&s->accept_retry, on_accept_retry);
    ev_prepare_init(&s->flush, on_flush);
    ev_prepare_start(s->loop, &s->flush);
    ev_init(&s->shutdown_timer, on_shutdown_timer);
    ev_signal_init(&s->sigint, on_signal, SIGINT);
    ev_signal_init(&s->sigterm, on_signal, SIGTERM);
    s->sigint.data = s->sigterm.data = s;
    ev_signal_start(s->loop, &s->sigint);
    ev_signal_start(s->loop, &s->sigterm);
    if (s->cfg.tick_ms > 0) {
        double every = s->cfg.tick_ms / 1000.0;
        ev_timer_init(&s->tick, on_tick, every, every);
        ev_timer_start(s->loop, &s->tick);
    }
    if (tech->on_start) tech->on_start(s);

    const char *host = s->cfg.addr;
    int v6 = strchr(host, ':') != NULL;
    printf("listening on http://%s%s%s:%d/\n", v6 ? "[" : "", host, v6 ? "]" : "", s->cfg.port);
    fflush(stdout);

    ev_run(s->loop, 0);

    feed_free(&s->feed);
    server_log(s, "stopped");
    return 0;
}
