/*
 * longpoll/longpoll.c — long polling: the client asks, and the server waits
 * to answer until it has something to say.
 *
 * What it demonstrates: short polling (polling/polling.c) plus one idea.
 * When there is nothing new, the request is not answered empty; it is
 * *parked*: kept open on the server until an event arrives or its timeout
 * passes. The client asks again as soon as it has its answer:
 *
 *   GET /poll?since=42&timeout=25   ... (held open, 3.1 s) ...
 *                                   →  200 {"next":43,"events":[{"id":43,...}]}
 *   GET /poll?since=43&timeout=25   ... (held open, 25 s, nothing) ...
 *                                   →  200 {"next":43,"events":[]}
 *
 * An event now reaches a waiting client at once, and empty answers happen
 * only once per timeout. What it still costs: a full request and response
 * per event (or per burst), and for the moment between an answer and the
 * next request the client is not listening: events published then wait for
 * it in the feed, which is why the cursor `since` matters.
 *
 * The special problem of the lost wake-up: a request must check the feed
 * and park in one step, or an event published between the two would find
 * nobody parked and the request would sleep through it. Here both happen in
 * on_request without returning to the event loop in between, and the loop
 * runs one callback at a time, so no publish can come between them.
 *
 * Spec: RFC 9112 / RFC 9110, plus the contract in DESIGN.md. RFC 6202 ("Known
 * Issues and Best Practices for the Use of Long Polling and Streaming in
 * Bidirectional HTTP") describes the technique and its costs.
 *
 * Its neighbour: sse/sse.c keeps the response open for *many* events
 * instead of one. `diff -u longpoll/longpoll.c sse/sse.c` shows that step.
 */
#include <stdint.h>
#include <stdio.h>

#include "poll_answer.h"
#include "poll_batch.h"
#include "server.h"

/* ==== Constants ==== */

#define DEFAULT_PORT 8002
#define DEFAULT_TIMEOUT 25      /* s a poll is held when the client names none */
#define MAX_TIMEOUT 60          /* s at most: proxies often cut idle requests near 60 s */

/* ==== The answer: every kept event after the cursor ==== */

/* The last answer built, and the cursor and feed position it was built
 * for. When a publish wakes a thousand parked polls that all named the same
 * cursor, the answer is built once and shared by all of them: every out
 * queue holds a reference to the one chunk. */
static struct {
    struct chunk *body;         /* the answer; this reference is the memo's own */
    uint64_t since, newest;     /* the cursor it answers, the newest event then */
    size_t count;               /* events in it */
} memo;

/* Answer 200 with the events after `since` and end the request: with the
 * memo when it was built for this cursor and this feed, else with a new
 * answer that becomes the memo. */
static void answer(struct conn *c, uint64_t since)
{
    const struct feed *f = &c->srv->feed;
    if (!memo.body || memo.since != since || memo.newest != feed_newest(f)) {
        chunk_unref(memo.body);
        memo.body = poll_answer_build(f, since, &memo.count);
        memo.since = since;
        memo.newest = feed_newest(f);
    }
    poll_answer_send(c, memo.body, memo.count);
}

/* ==== Connections ==== */

/* A long-poll client: a connection, and while parked, what it waits for. */
struct poller {
    struct conn conn;           /* first: core allocates and frees the whole struct */
    struct poller *prev, *next; /* in `parked` while waiting, else both NULL */
    uint64_t since;             /* the last id the client has: it waits for since + 1 */
    int is_parked;              /* on the parked list */
};

/* Every parked poller, newest first. One list: a publish wakes them all. */
static struct poller *parked;

/* Add p to the parked list. */
static void park(struct poller *p)
{
    p->prev = NULL;
    p->next = parked;
    if (parked) parked->prev = p;
    parked = p;
    p->is_parked = 1;
    p->conn.srv->stats.subscribers++;
}

/* Take p off the parked list (it is being answered or has gone away). */
static void unpark(struct poller *p)
{
    if (!p->is_parked) return;
    if (p->prev) p->prev->next = p->next; else parked = p->next;
    if (p->next) p->next->prev = p->prev;
    p->prev = p->next = NULL;
    p->is_parked = 0;
    p->conn.srv->stats.subscribers--;
}

/* ==== The technique's endpoint: GET /poll ==== */

/* Read ?timeout=S (seconds, default 25, at most 60). Returns -1 when it is
 * not a number. */
static int poll_timeout(const struct http_request *req, double *seconds)
{
    const char *value;
    size_t len;
    uint64_t t = DEFAULT_TIMEOUT;
    if (http_query_get(req->query, req->query_len, "timeout", &value, &len) &&
        http_parse_uint(value, len, &t) < 0)
        return -1;
    *seconds = t > MAX_TIMEOUT ? MAX_TIMEOUT : (double)t;
    return 0;
}

/* GET /poll?since=N&timeout=S: answer now if there is news, else park the
 * request until a publish or S seconds. Returns 0 for any other path. */
static int on_request(struct conn *c, const struct http_request *req, const char *body)
{
    (void)body;
    if (!req_path_is(req, "/poll")) return 0;
    if (!req_method_is(req, "GET") && !req_method_is(req, "HEAD")) {
        conn_method_not_allowed(c, "GET, HEAD, OPTIONS");
        return 1;
    }
    uint64_t since = 0;                                /* absent: everything kept */
    double timeout;
    /* Not a number, or ahead of the newest event (a client from before a
     * restart): core answers 400 with "newest", so the client starts over. */
    if (conn_read_since(c, req, &since) < 0) return 1;
    if (poll_timeout(req, &timeout) < 0) {
        conn_error(c, 400, "timeout must be a number of seconds", 0);
        return 1;
    }
    /* Check, then park, with no return to the loop in between: no publish
     * can slip past (see "the lost wake-up" above). */
    if (poll_batch_has_news(&c->srv->feed, since) || timeout == 0) {
        answer(c, since);
        return 1;
    }
    struct poller *p = (struct poller *)c;
    p->since = since;
    conn_hold(c);                                      /* core: no idle timeout now */
    conn_hold_timeout(c, timeout);                     /* ours: on_timeout after S s */
    park(p);
    return 1;
}

/* ==== Publishing ==== */

/* Answer one parked poller with everything after its cursor. */
static void deliver(struct poller *p)
{
    unpark(p);
    answer(&p->conn, p->since);                        /* ends the request: keep-alive again */
}

/* A new event is in the feed: wake every parked poller, in one pass. Each
 * gets the event (and anything else it missed); they all named the same
 * cursor, so answer() builds the answer once and shares it (the memo). */
static void publish(struct server *s, struct feed_event *ev)
{
    (void)s;
    (void)ev;
    while (parked) deliver(parked);
}

/* ==== Timeouts, disconnects, shutdown ==== */

/* Nothing happened for S seconds: answer with an empty batch, so the client
 * knows the server is alive and asks again. */
static void on_timeout(struct conn *c)
{
    deliver((struct poller *)c);
}

/* The client went away while parked: forget it at once. */
static void on_close(struct conn *c)
{
    unpark((struct poller *)c);
}

/* SIGTERM: answer parked polls (empty) rather than cut them off. */
static void on_shutdown(struct conn *c)
{
    struct poller *p = (struct poller *)c;
    if (p->is_parked) deliver(p);
}

/* ==== main ==== */

static const struct technique longpoll = {
    .name = "longpoll",
    .default_port = DEFAULT_PORT,
    .conn_size = sizeof(struct poller),
    .feed_json = 1,                                    /* every answer is made of it */
    .on_request = on_request,
    .publish = publish,
    .on_timeout = on_timeout,
    .on_close = on_close,
    .on_shutdown = on_shutdown,
};

int main(int argc, char **argv)
{
    return server_main(&longpoll, argc, argv);
}
