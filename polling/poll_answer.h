/*
 * polling/poll_answer.h — the answer to a poll, made and sent: what short
 * polling does at once and long polling does when there is news.
 *
 * Both servers answer a poll the same way; only *when* differs. So the
 * answer lives here, once, and `diff -u polling/polling.c
 * longpoll/longpoll.c` shows only that difference: parking a request.
 * The body comes from the pure encoder (poll_batch.h); this file is the
 * part that touches a connection.
 *
 * Interface: poll_answer_build, poll_answer_send.
 */
#ifndef RTLAB_POLL_ANSWER_H
#define RTLAB_POLL_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

/* The answer's body for `since`, in a new chunk of exactly its size (one
 * reference, the caller's); *count is set to the events in it. */
struct chunk *poll_answer_build(const struct feed *f, uint64_t since, size_t *count);

/* Queue the answer `body`, holding `count` events, and end the request.
 * The connection takes its own reference; the caller keeps its own. */
void poll_answer_send(struct conn *c, struct chunk *body, size_t count);

#endif
