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
 *   - a burst is not a slow reader: the cap (-o) is a subscriber's window,
 *     which its deliver fills from the feed while conn_room says so, and
 *     the judgment comes after a write was tried: a connection that holds
 *     unsent bytes and takes none for the stall time (-S) is dropped and
 *     counted (conn_check_stall);
 *   - a half-closed client (its EOF arrived) still gets every answer it
 *     asked for before the close (conn_read_done);
 *   - a static file streamed from its descriptor in slices (conn_send_file),
 *     never held in memory;
 *   - deliveries counted when written, not when queued (conn_deliver's
 *     marks);
 *   - closing without losing the answer (conn_flush lingers: shut our side,
 *     read until the peer's EOF, so unread input does not turn into a reset
 *     that destroys the answer in flight);
 *   - a connection closed halfway through a broadcast (conn_close only
 *     unlinks it; its memory is freed once the loop pass ends).
 */
#include "conn_internal.h"

#include <assert.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
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
    if (c->read_done) events &= ~EV_READ;    /* EOF stays readable: never watch it again */
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
    conn_arm(c, conn_seconds(s->cfg.idle_ms));
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
    if (was == CONN_WAITING && c->mirror_wait) conn_mirror_forget(c);   /* waited for the mirror */
    else if (was == CONN_WAITING && s->redis) redis_feed_forget(s->redis, c);   /* its answer goes nowhere */
    ev_io_stop(s->loop, &c->io);
    ev_timer_stop(s->loop, &c->timer);
    close(c->fd);
    c->fd = -1;
    if (c->file) {                           /* the rest of a static file: not owed now */
        close(c->file->fd);
        free(c->file);
        c->file = NULL;
    }
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
    buf_free(&c->marks);
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

/* Where a delivery ends in c->sent, and how many events it carries. */
struct delivery_mark {
    uint64_t end;
    uint64_t events;
};

/* Count the deliveries whose last byte has now been written. */
static void conn_count_written(struct conn *c)
{
    size_t done = 0;
    while (done + sizeof(struct delivery_mark) <= c->marks.len) {
        struct delivery_mark m;
        memcpy(&m, c->marks.data + done, sizeof m);
        if (m.end > c->sent) break;
        c->srv->stats.deliveries += m.events;
        done += sizeof m;
    }
    if (done) buf_consume(&c->marks, done);
}

/* Send the next slices of the static file being streamed, as much as the
 * socket takes now. Returns bytes sent, or -1 when the peer is gone. */
static ssize_t conn_write_file(struct conn *c)
{
    struct conn_file *f = c->file;
    ssize_t total = 0;
    while (f->off < f->end && total < 4 * FILE_SLICE) {
        size_t want = f->end - f->off < FILE_SLICE ? (size_t)(f->end - f->off) : FILE_SLICE;
        ssize_t n = sendfile(c->fd, f->fd, &f->off, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0) return -1;
        if (n == 0) {                        /* the file shrank: the answer cannot be whole */
            f->end = f->off;
            c->keep_alive = 0;
            c->state = CONN_CLOSING;
            break;
        }
        total += n;
    }
    if (f->off >= f->end) {
        close(f->fd);
        free(f);
        c->file = NULL;
    }
    return total;
}

/* Write what is queued (then the file being streamed, if any). Past a
 * partial write, EV_WRITE stays armed and on_io calls this again when the
 * socket has room. */
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
    if (w >= 0 && outq_bytes(&c->out) == 0 && c->file) {
        ssize_t f = conn_write_file(c);
        w = f < 0 ? -1 : w + f;
    }
    if (w < 0) {                             /* the peer is gone (EPIPE, ECONNRESET) */
        conn_close(c);
        return;
    }
    if (w > 0) {
        s->stats.bytes_out += (uint64_t)w;
        c->sent += (uint64_t)w;
        c->progress_at = ev_now(s->loop);    /* it reads: the stall clock starts again */
        if (c->marks.len) conn_count_written(c);
    }
    if ((c->state == CONN_HELD || c->state == CONN_UPGRADED) && s->tech->on_drain &&
        outq_bytes(&c->out) < s->cfg.out_cap) {
        s->tech->on_drain(c);                /* room again: the next events of its cursor */
        if (c->state == CONN_CLOSED) return;
        if (c->dirty) return;                /* it queued more: flushed again this pass */
    }
    if (outq_bytes(&c->out) > 0 || c->file) {
        conn_watch(c, c->paused || c->file ? EV_WRITE : EV_READ | EV_WRITE);
        return;
    }
    if (c->state == CONN_CLOSING) {
        if (c->read_done) conn_close(c);     /* the peer has finished too: nothing to wait for */
        else if (!c->lingering) conn_linger(c);
        return;
    }
    if (c->paused) {                         /* drained: read the pipelined rest */
        c->paused = 0;
        c->pending_input = c->in.len > 0;
        if (c->pending_input) conn_mark_dirty(c);
    }
    if (c->read_done && c->state == CONN_HEAD && !c->pending_input) {
        conn_close(c);                       /* every answer it asked for is written */
        return;
    }
    conn_watch(c, EV_READ);
}

void conn_read_done(struct conn *c)
{
    c->read_done = 1;
    conn_watch(c, outq_bytes(&c->out) > 0 || c->file ? EV_WRITE : 0);
    switch (c->state) {
    case CONN_HEAD:                          /* answer what was asked, then close */
        conn_mark_dirty(c);
        break;
    case CONN_UPGRADED:                      /* RFC 6455 §7.1.1: the peer closed TCP; finish ours */
        conn_close_after_write(c);
        break;
    case CONN_CLOSING:
        if (c->lingering) conn_close(c);     /* the EOF the lingering close waited for */
        else conn_mark_dirty(c);
        break;
    default:
        /* CONN_HELD, a parked poll or a stream: a FIN there is a client
         * that left (a browser never half-closes; a FIN and a half-close
         * look the same), so it goes now, as nginx ends such a request
         * (499). Only what is already answered is still written out. */
        conn_close(c);
        break;
    }
}

int conn_check_stall(struct conn *c, double now)
{
    struct server *s = c->srv;
    if (outq_bytes(&c->out) == 0 && !c->file) return 0;
    if (now - c->progress_at < conn_seconds(s->cfg.stall_ms)) return 0;
    s->stats.drops++;
    server_log(s, "fd %d dropped: %zu bytes unsent and none taken for %u ms", c->fd,
               outq_bytes(&c->out), s->cfg.stall_ms);
    conn_close(c);
    return 1;
}

/* ==== Sending: queue bytes, heads, whole answers, errors ==== */

/* Bytes are about to join c's out queue: an empty queue starts the stall
 * clock now, so a quiet connection is not judged by an old timestamp. */
static void conn_queue_begins(struct conn *c)
{
    if (outq_bytes(&c->out) == 0 && !c->file) c->progress_at = ev_now(c->srv->loop);
}

int conn_room(const struct conn *c)
{
    return outq_bytes(&c->out) < c->srv->cfg.out_cap;
}

int conn_send(struct conn *c, const void *p, size_t n)
{
    if (c->state == CONN_CLOSED) return -1;
    conn_queue_begins(c);
    outq_copy(&c->out, p, n);
    conn_mark_dirty(c);
    return 0;
}

int conn_send_chunk(struct conn *c, struct chunk *ch)
{
    if (c->state == CONN_CLOSED) return -1;
    conn_queue_begins(c);
    outq_push(&c->out, ch);
    conn_mark_dirty(c);
    return 0;
}

int conn_deliver(struct conn *c, struct chunk *ch, unsigned events)
{
    if (conn_send_chunk(c, ch) < 0) return -1;
    struct delivery_mark m = {c->sent + outq_bytes(&c->out), events};
    buf_append(&c->marks, &m, sizeof m);
    return 0;
}

void conn_send_file(struct conn *c, int fd, off_t size)
{
    if (c->state == CONN_CLOSED || size == 0) {
        close(fd);
        return;
    }
    conn_queue_begins(c);
    c->file = xmalloc(sizeof *c->file);
    *c->file = (struct conn_file){.fd = fd, .off = 0, .end = size};
    c->paused = 1;                            /* requests behind it wait for its last byte */
    conn_watch(c, EV_WRITE);
    conn_mark_dirty(c);
}

void conn_respond_head(struct conn *c, int status, const char *content_type,
                       long long content_length, const char *extra)
{
    struct server *s = c->srv;
    char head[2048];
    /* A programming error: every status we send has its RFC 9110 §15 reason
     * phrase in http_reason, never "Unknown" on the wire. */
    assert(strcmp(http_reason(status), "Unknown") != 0);
    if (s->shutting_down && !c->redis_owed) c->keep_alive = 0;   /* the last answer owed says so */
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
    conn_queue_begins(c);
    outq_copy(&c->out, head, (size_t)n);
    conn_mark_dirty(c);
}

void conn_finish(struct conn *c)
{
    if (c->state == CONN_CLOSED) return;
    if (c->redis_owed) {                      /* pipelined publishes: their answers follow, in order */
        conn_wait(c);
        return;
    }
    if (!c->keep_alive || (c->read_done && c->in.len == 0)) {   /* no more requests */
        conn_close_after_write(c);
        return;
    }
    c->state = CONN_HEAD;
    c->head_started = 0;
    conn_arm(c, conn_seconds(c->srv->cfg.idle_ms));
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

