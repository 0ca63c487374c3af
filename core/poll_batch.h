/*
 * core/poll_batch.h — the answer both polling servers give: "here is everything
 * newer than the id you named".
 *
 *   GET /poll?since=N  →  200 {"next":M,"events":[{"id":..,"data":".."},...]}
 *
 * `next` is the cursor to send next time: the id of the last event in the
 * answer, or N itself when there is none. "gap":true is added when events
 * after N have already left the feed, so the client knows it missed some.
 * An answer carries at most POLL_MAX_BYTES of events; the client gets the
 * rest by asking again with `next`.
 *
 * Short polling answers at once; long polling answers at once only when
 * there is something to say, and otherwise parks the request until a
 * publish or its timeout (longpoll/longpoll.c). Both answer with
 * poll_answer(), which is why it lives here and not in either file.
 *
 * Interface: poll_since, poll_has_news, poll_answer.
 */
#ifndef RTLAB_POLL_BATCH_H
#define RTLAB_POLL_BATCH_H

#include <stdint.h>

#include "server.h"

enum { POLL_MAX_BYTES = 256 * 1024 };

/* Read the request's cursor (?since=N; absent means 0: everything kept).
 * When it is not a number, or is ahead of the newest event (a client from
 * before a server restart), answer 400 (with "newest" in the body, so the
 * client can start over) and return -1. Else set *since and return 0. */
int poll_since(struct conn *c, const struct http_request *req, uint64_t *since);

/* 1 when an answer for cursor `since` would carry events (or a gap). */
int poll_has_news(const struct server *s, uint64_t since);

/* Answer 200 with the events after `since` and end the request. */
void poll_answer(struct conn *c, uint64_t since);

#endif
