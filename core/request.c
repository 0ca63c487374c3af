/*
 * core/request.c — bytes in, requests out: the request loop of every server.
 *
 * One read may hold half a request, one, or one and a half (pipelining,
 * RFC 9112 §9.3). conn_read reads into one static buffer and lets
 * conn_input use what it can; only the incomplete rest is copied into the
 * connection's own buffer, so an idle connection holds no input memory.
 * conn_input cuts complete requests out of the bytes, in order, and route
 * gives each its answer: the technique's endpoint, or one of the common
 * ones in endpoints.c.
 *
 * The special problems handled here:
 *   - a request in many pieces, or many requests in one read (conn_read,
 *     conn_input);
 *   - a client that pipelines faster than it reads (reading pauses while the
 *     out queue is over PIPELINE_HIGH_WATER);
 *   - slowloris: a head that has begun must end within -H ms
 *     (conn_input arms it; conn_on_timeout in server.c answers 408);
 *   - a half-closed client: EOF means no more requests; what was asked is
 *     still answered (conn_read hands it to conn_read_done);
 *   - input piling up behind a held request or an upgraded protocol's
 *     partial message (closed past HELD_INPUT_MAX, UPGRADED_INPUT_MAX);
 *   - with -R, publishes pipelined behind one whose answer Redis owes: each
 *     is sent at once when nothing could answer it sooner
 *     (endpoint_publish_pipelines), so a publisher's POSTs are not served
 *     one Redis round trip each; any other request waits its turn;
 *   - with -R, a cursor fresh from another instance, ahead of this one's
 *     mirror of the stream by the read lag: the request waits for the
 *     mirror (mirror_defer), instead of being answered as a client from
 *     before a restart (which would make it start over, or repeat events).
 */
#include "conn_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every read lands here first; only an incomplete request is copied into the
 * connection's own buffer, so idle connections hold no input memory. */
static char read_buf[READ_SIZE];

/* ==== Waiting for the mirror (-R) ==== */

/* With -R every instance mirrors the one stream in Redis, each a little
 * behind it: by the time the XREAD answer takes to arrive and be read. A
 * client that moves from instance A to B (A stopped, a proxy's next try)
 * brings a cursor A's mirror held, and B's may not hold it yet. Judged now,
 * that cursor is "ahead of the newest event", the sign of a server restart:
 * polls would answer 400 and the client start over, SSE would stream from
 * B's newest and repeat events. It is not a restart: the ids come from one
 * counter, and B's mirror reaches the cursor a moment later. So the request
 * waits here, unrouted (its bytes stay in c->in), until the mirror holds
 * the cursor or MIRROR_WAIT passes; only a cursor still ahead then (ahead
 * of the stream itself: an id this stream never gave) is answered as
 * before. Every technique's cursor is ?since=N or SSE's Last-Event-ID
 * (WHATWG HTML §9.2.4), so this one check, before any technique sees the
 * request, covers all four. */

/* The cursor a GET/HEAD request carries, as the techniques read it:
 * Last-Event-ID first, else ?since=N. Returns 1 and sets *id, or 0. */
static int request_cursor(const struct http_request *req, uint64_t *id)
{
    if (!req_method_is(req, "GET") && !req_method_is(req, "HEAD")) return 0;
    const struct http_header *h = http_header_get(req, "Last-Event-ID");
    if (h && http_parse_uint(h->value, h->value_len, id) == 0) return 1;
    return server_query_since(req, id) == 1;
}

/* Wait for the mirror when req's cursor is ahead of it (see above): c goes
 * to CONN_WAITING with its timer at MIRROR_WAIT. Returns 1 when it waits
 * (nothing answered: the caller must keep the request's bytes), else 0. */
static int mirror_defer(struct conn *c, const struct http_request *req)
{
    struct server *s = c->srv;
    uint64_t id;
    if (!s->redis || c->mirror_wait == 2) return 0;   /* 2: waited already, judge it now */
    if (!request_cursor(req, &id) || id <= feed_newest(&s->feed)) return 0;
    if (s->mirror_waiting == s->mirror_waits_cap) {
        size_t cap = s->mirror_waits_cap ? 2 * s->mirror_waits_cap : 16;
        struct mirror_wait *w = realloc(s->mirror_waits, cap * sizeof *w);
        if (!w) return 0;                             /* no memory: judged now, as before */
        s->mirror_waits = w;
        s->mirror_waits_cap = cap;
    }
    s->mirror_waits[s->mirror_waiting++] = (struct mirror_wait){c, id};
    conn_wait(c);
    c->mirror_wait = 1;
    conn_arm(c, MIRROR_WAIT);
    return 1;
}

/* Take c off the waiting list and route its request again, this pass. */
static void mirror_resume(struct conn *c, int expired)
{
    conn_mirror_forget(c);
    c->state = CONN_HEAD;
    c->mirror_wait = expired ? 2 : 0;
    ev_timer_stop(c->srv->loop, &c->timer);
    c->pending_input = 1;                             /* conn_flush routes it */
    conn_mark_dirty(c);
}

void conn_mirror_forget(struct conn *c)
{
    struct server *s = c->srv;
    for (size_t i = 0; i < s->mirror_waiting; i++)
        if (s->mirror_waits[i].conn == c) {
            s->mirror_waits[i] = s->mirror_waits[--s->mirror_waiting];
            return;
        }
}

void conn_mirror_wake(struct server *s)
{
    uint64_t newest = feed_newest(&s->feed);
    for (size_t i = 0; i < s->mirror_waiting;) {
        struct conn *c = s->mirror_waits[i].conn;
        if (s->mirror_waits[i].id <= newest) mirror_resume(c, 0);   /* replaces entry i */
        else i++;
    }
}

void conn_mirror_expired(struct conn *c) { mirror_resume(c, 1); }

/* ==== Routing: one complete request to its answer ==== */

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

/* Answer one complete request: CORS preflight, the technique's endpoint,
 * then the endpoints every server has. (A request that must wait for the
 * mirror never gets here until it has: conn_input asks mirror_defer first.) */
static void route(struct conn *c, const struct http_request *req, const char *body)
{
    struct server *s = c->srv;
    c->keep_alive = req->keep_alive && !s->shutting_down;
    c->head_only = req_method_is(req, "HEAD");
    c->routing = 1;
    c->status = 0;
    if (guard_request(c, req))
        ;                                                /* refused: 421 or 403 */
    else if (!method_known(req))
        conn_error(c, 501, "Not Implemented", 0);
    else if (req_method_is(req, "OPTIONS"))
        endpoint_preflight(c);
    else if (s->tech->on_request && s->tech->on_request(c, req, body))
        ;                                                /* the technique's own endpoint */
    else if (req_path_is(req, "/publish"))
        req_method_is(req, "POST") ? endpoint_publish(c, req, body)
                               : conn_method_not_allowed(c, "POST, OPTIONS");
    else if (req_path_is(req, "/stats"))
        req_method_is(req, "GET") || c->head_only ? endpoint_stats(c)
                                              : conn_method_not_allowed(c, "GET, HEAD, OPTIONS");
    else
        endpoint_static(c, req);
    c->routing = 0;
    c->mirror_wait = 0;
    if (c->status) conn_log_answer(c, req, c->status);   /* a held request logs later */
}

/* ==== The request loop ==== */

/* Use the bytes data[0..len): every complete request in them, in order, or
 * the technique's own protocol after an upgrade. Returns how many bytes were
 * used; the caller keeps the rest for when more arrive. */
size_t conn_input(struct conn *c, const char *data, size_t len)
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
        if (c->state == CONN_HELD) return used;           /* pipelined: waits for the answer */
        if (c->paused) return used;
        struct http_request req;
        int head = http_parse_request(data + used, len - used, &req);
        if (head == -2) break;
        if (c->state == CONN_WAITING &&                   /* behind a publish Redis owes: */
            (head < 0 || len - used - (size_t)head < req.content_length ||
             !endpoint_publish_pipelines(c, &req, data + used + head)))
            return used;                                  /* only another publish goes on */
        if (head < 0) {
            s->stats.requests++;
            conn_error(c, req.error, http_reason(req.error), 1);
            return len;
        }
        if (len - used - (size_t)head < req.content_length) break;   /* body still coming */
        c->head_started = 0;
        if (mirror_defer(c, &req)) break;                 /* waits for the mirror: kept */
        s->stats.requests++;                              /* once, even if it waited */
        route(c, &req, data + used + head);
        used += (size_t)head + req.content_length;
        if (c->state == CONN_HEAD && outq_bytes(&c->out) > PIPELINE_HIGH_WATER) {
            c->paused = 1;                                /* the client reads slower than it asks */
            conn_watch(c, EV_WRITE);
        }
    }
    if (c->state == CONN_HEAD && used < len && !c->head_started) {
        c->head_started = 1;                              /* a head has begun: its deadline runs */
        conn_arm(c, conn_seconds(s->cfg.head_ms));
    }
    return used;
}

/* ==== Reading ==== */

/* Read what the socket has and use it. */
void conn_read(struct conn *c)
{
    struct server *s = c->srv;
    ssize_t n = read(c->fd, read_buf, sizeof read_buf);
    if (n == 0) {                 /* the peer's EOF: no more requests, not "stop sending" */
        conn_read_done(c);
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
    if ((c->state == CONN_HELD || c->state == CONN_WAITING) && c->in.len > HELD_INPUT_MAX) conn_close(c);
    if (c->state == CONN_UPGRADED && c->in.len > UPGRADED_INPUT_MAX) conn_close(c);
}
