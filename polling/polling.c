/*
 * polling/polling.c — short polling: the client asks, the server answers at
 * once.
 *
 * What it demonstrates: the plain request → response web. The server cannot
 * speak first, so a client that wants fresh data asks again and again:
 *
 *   GET /poll?since=41  →  200 {"next":42,"events":[{"id":42,"data":"hi"}]}
 *   GET /poll?since=42  →  200 {"next":42,"events":[]}      (nothing new)
 *   GET /poll?since=42  →  200 {"next":42,"events":[]}      (nothing new)
 *
 * Every answer is immediate, most of them empty: the client pays a round
 * trip per poll, and an event waits on average half a poll interval before
 * anyone asks for it. The loadgen's `empty_answers` and the bench's latency
 * charts show both costs.
 *
 * Spec: RFC 9112 (HTTP/1.1 messages), RFC 9110 (semantics). The answer's
 * format and the `since` cursor are the contract in DESIGN.md; the answer
 * is made and sent by polling/poll_answer.c (its body by the pure encoder
 * in polling/poll_batch.c), which long polling links too.
 *
 * Its neighbour: longpoll/longpoll.c is this file plus one idea, parking a
 * request until there is something to say. `diff -u polling/polling.c
 * longpoll/longpoll.c` shows exactly that idea.
 *
 * Everything that is not the technique (sockets, the request parser,
 * keep-alive, /publish, /stats, static files) is in core/.
 */
#include <stdint.h>
#include <stdio.h>

#include "poll_answer.h"
#include "server.h"

/* ==== Constants ==== */

#define DEFAULT_PORT 8001

/* ==== The answer: every kept event after the cursor ==== */

/* Answer 200 with the events after `since` and end the request. */
static void answer(struct conn *c, uint64_t since)
{
    size_t count;
    struct chunk *body = poll_answer_build(&c->srv->feed, since, &count);
    poll_answer_send(c, body, count);
    chunk_unref(body);
}

/* ==== The technique's endpoint: GET /poll ==== */

/* GET /poll?since=N: answer now with every kept event after N, or with an
 * empty list. Returns 0 for any other path, so core answers it. */
static int on_request(struct conn *c, const struct http_request *req, const char *body)
{
    (void)body;
    if (!req_path_is(req, "/poll")) return 0;
    if (!req_method_is(req, "GET") && !req_method_is(req, "HEAD")) {
        conn_method_not_allowed(c, "GET, HEAD, OPTIONS");
        return 1;
    }
    uint64_t since = 0;                                /* absent: everything kept */
    /* Not a number, or ahead of the newest event (a client from before a
     * restart): core answers 400 with "newest", so the client starts over. */
    if (conn_read_since(c, req, &since) < 0) return 1;
    answer(c, since);                                  /* at once, even when empty */
    return 1;
}

/* ==== Publishing ==== */

/* A new event is in the feed. Short polling has nobody to deliver it to:
 * it waits there until a client asks. */
static void publish(struct server *s, struct feed_event *ev)
{
    (void)s;
    (void)ev;
}

/* ==== main ==== */

static const struct technique polling = {
    .name = "polling",
    .default_port = DEFAULT_PORT,
    .conn_size = sizeof(struct conn),                  /* nothing kept per client */
    .feed_json = 1,                                    /* every answer is made of it */
    .on_request = on_request,
    .publish = publish,
};

int main(int argc, char **argv)
{
    return server_main(&polling, argc, argv);
}
