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
 *     partial message (closed past HELD_INPUT_MAX, UPGRADED_INPUT_MAX).
 *   - with -R, publishes pipelined behind one whose answer Redis owes: each
 *     is sent at once when nothing could answer it sooner
 *     (endpoint_publish_pipelines), so a publisher's POSTs are not served
 *     one Redis round trip each; any other request waits its turn.
 */
#include "conn_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Every read lands here first; only an incomplete request is copied into the
 * connection's own buffer, so idle connections hold no input memory. */
static char read_buf[READ_SIZE];

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
 * then the endpoints every server has. */
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
