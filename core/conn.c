/*
 * core/conn.c — a connection's life and everything a technique calls to
 * answer on it; see server.h for the life of a connection.
 *
 * Sections:
 *   The log and the Date header
 *   A connection's life: new, close, linger, free
 *   Writing: the flush before the loop sleeps
 *   Sending: queue bytes, heads, whole answers, errors
 *   Holding: parked polls, streams, upgrades
 *
 * The special problems handled here:
 *   - a partial write (conn_flush keeps the rest, EV_WRITE stays armed);
 *   - a subscriber that never reads (conn_send: past the out cap it is
 *     dropped and counted);
 *   - closing without losing the answer (conn_flush lingers: shut our side,
 *     read until the peer's EOF, so unread input does not turn into a reset
 *     that destroys the answer in flight);
 *   - a connection closed halfway through a broadcast (conn_close only
 *     unlinks it; its memory is freed once the loop pass ends).
 */
#include "conn_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "feed_redis.h"
#include "json.h"

/* ==== The log and the Date header ==== */

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


void conn_log_answer(const struct conn *c, const struct http_request *req, int status)
{
    struct server *s = c->srv;
    if (req)
        server_log(s, "fd %d %.*s %.*s -> %d", c->fd, (int)req->method_len, req->method,
                   (int)req->target_len, req->target, status);
    else if (c->state == CONN_HELD || c->state == CONN_UPGRADED || c->state == CONN_WAITING)
        server_log(s, "fd %d (held request) -> %d", c->fd, status);
    else
        server_log(s, "fd %d (no complete request) -> %d", c->fd, status);
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

/* ==== A connection's life: new, close, linger, free ==== */

/* Watch fd for exactly these events (libev needs the watcher stopped to
 * change them). ev_io_set keeps an internal flag in `events`, so compare
 * only the EV_READ and EV_WRITE bits. */
void conn_watch(struct conn *c, int events)
{
    if ((c->io.events & (EV_READ | EV_WRITE)) == events && ev_is_active(&c->io)) return;
    ev_io_stop(c->srv->loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    if (events) ev_io_start(c->srv->loop, &c->io);
}

/* (Re)start the connection's one timer to fire after `seconds`. */
void conn_arm(struct conn *c, double seconds)
{
    c->timer.repeat = seconds;
    ev_timer_again(c->srv->loop, &c->timer);
}

/* A new connection for an accepted socket; it waits for a request. */
struct conn *conn_new(struct server *s, int fd)
{
    struct conn *c = calloc(1, s->tech->conn_size);
    if (!c) return NULL;
    c->srv = s;
    c->fd = fd;
    c->state = CONN_HEAD;
    ev_io_init(&c->io, conn_on_io, fd, EV_READ);
    ev_init(&c->timer, conn_on_timeout);
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
void conn_mark_dirty(struct conn *c)
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
    if (was == CONN_WAITING && s->redis) redis_feed_forget(s->redis, c);   /* its answer goes nowhere */
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
void conn_free(struct conn *c)
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

/* ==== Writing: the flush before the loop sleeps ==== */

/* Write what is queued. Past a partial write, EV_WRITE stays armed and
 * on_io calls this again when the socket has room. */
void conn_flush(struct conn *c)
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
    if (c->routing) c->status = status;       /* route() logs it with the request line */
    else conn_log_answer(c, NULL, status);
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

/* ==== Holding: parked polls, streams, upgrades ==== */

void conn_hold(struct conn *c)
{
    c->state = CONN_HELD;
    c->head_started = 0;
    ev_timer_stop(c->srv->loop, &c->timer);
}

void conn_wait(struct conn *c)
{
    c->state = CONN_WAITING;
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

