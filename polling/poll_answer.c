/*
 * polling/poll_answer.c — the answer to a poll: poll_answer.h says why it
 * is shared by short and long polling.
 */
#include "poll_answer.h"

#include <assert.h>

#include "poll_batch.h"

struct chunk *poll_answer_build(const struct feed *f, uint64_t since, size_t *count)
{
    struct chunk *body = chunk_new(poll_batch_size(f, since));
    long n = poll_batch_encode(body->data, body->cap, f, since, count);
    assert(n > 0);                                     /* sized just above */
    body->len = (size_t)n;
    return body;
}

void poll_answer_send(struct conn *c, struct chunk *body, size_t count)
{
    struct server *s = c->srv;
    if (count == 0) s->stats.empty_answers++;         /* the cost short polling teaches */
    conn_respond_head(c, 200, "application/json", (long long)body->len,
                      "Cache-Control: no-store\r\n");
    if (!c->head_only) conn_deliver(c, body, (unsigned)count);   /* counted once written */
    conn_finish(c);
}
