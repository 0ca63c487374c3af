/*
 * lessons/04-long-polling/longpoll.c — YOUR copy of longpoll/longpoll.c,
 * the long-polling server.
 *
 * Yours: park and unpark (the list of waiting requests), publish (wake them
 * all), and the moment in on_request where a request with nothing new is
 * parked instead of answered. Look for TODO(student). Until then this file
 * is a short-polling server: every poll is answered at once.
 *
 *   make lesson N=04             the project's long-polling tests, run
 *                                against bin/longpoll built from this file
 *   make lesson N=04 SERVER=1    that server, for curl and the browser
 *
 * The special problem of the lost wake-up: a request must check the feed
 * and park in one step, or an event published between the two would find
 * nobody parked and the request would sleep through it until its timeout.
 * Here both happen in on_request without returning to the event loop in
 * between, and the loop runs one callback at a time, so no publish can come
 * between them.
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
    /* TODO(student): put p at the front of the `parked` list (a doubly
     * linked list: prev, next), mark it parked, and count it in
     * p->conn.srv->stats.subscribers (/stats shows it). */
    (void)p;
}

/* Take p off the parked list (it is being answered or has gone away). */
static void unpark(struct poller *p)
{
    /* TODO(student): take p off the `parked` list, wherever it is in it
     * (first, middle, last), if it is on it at all; clear prev/next and
     * is_parked, and count it out of stats.subscribers. Calling it twice
     * must be harmless: on_close calls it for pollers that were answered
     * long ago. */
    (void)p;
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
    /* TODO(student): check, then park, with no return to the loop in
     * between (see "the lost wake-up" at the top). When there is news
     * (poll_batch_has_news) or the client asked for timeout=0, answer now
     * with answer(). Otherwise park the request: remember its cursor in the
     * poller ((struct poller *)c), tell core not to time it out as idle
     * (conn_hold), arm its own timeout (conn_hold_timeout: on_timeout runs
     * after that many seconds) and park() it. */
    (void)park;                /* delete this line once you call park() */
    answer(c, since);          /* for now: always answer at once, like a short poll */
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
    /* TODO(student): a new event is in the feed: answer every parked
     * poller (deliver() unparks it and answers with everything after its
     * cursor). Careful: deliver() takes the poller off the very list you
     * are walking. (The (void) lines only keep the compiler quiet about
     * names not used yet: delete them as you use the names.) */
    (void)s;
    (void)ev;
    (void)parked;
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
