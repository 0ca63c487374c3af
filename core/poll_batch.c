/*
 * core/poll_batch.c — the batch answer of both polling servers; see poll_batch.h.
 */
#include "poll_batch.h"

#include <stdio.h>
#include <string.h>

int poll_since(struct conn *c, const struct http_request *req, uint64_t *since)
{
    const struct feed *f = &c->srv->feed;
    uint64_t first;
    *since = 0;
    int found = server_query_since(req, since);
    if (found < 0) {
        conn_error(c, 400, "since must be a number: the id of the last event you have", 0);
        return -1;
    }
    if (feed_since(f, *since, &first) == FEED_AHEAD) {
        char body[160];
        int n = snprintf(body, sizeof body,
                         "{\"error\":\"since is ahead of the newest event\",\"status\":400,"
                         "\"newest\":%llu}\n", (unsigned long long)feed_newest(f));
        conn_respond(c, 400, "application/json", "Cache-Control: no-store\r\n", body, (size_t)n);
        return -1;
    }
    return 0;
}

int poll_has_news(const struct server *s, uint64_t since)
{
    uint64_t first;
    enum feed_cursor r = feed_since(&s->feed, since, &first);
    return r == FEED_GAP || first <= feed_newest(&s->feed);
}

/* Build the batch for `since`: a new chunk (one reference, the caller's),
 * with *count set to the events in it. */
static struct chunk *poll_build(struct feed *f, uint64_t since, size_t *count)
{
    uint64_t first;
    int gap = feed_since(f, since, &first) == FEED_GAP;
    uint64_t last = first - 1;
    size_t bytes = 0;
    while (last < feed_newest(f)) {              /* how many fit in one answer */
        size_t len = feed_json(f, feed_get(f, last + 1))->len + 1;
        if (bytes > 0 && bytes + len > POLL_MAX_BYTES) break;
        bytes += len;
        last++;
    }
    if (last < first) last = since;              /* nothing new: next stays where it was */
    struct chunk *out = chunk_new(bytes + 80);
    out->len = (size_t)snprintf(out->data, out->cap, "{\"next\":%llu,%s\"events\":[",
                                (unsigned long long)last, gap ? "\"gap\":true," : "");
    *count = 0;
    for (uint64_t id = first; id <= last && id > since; id++) {
        const struct chunk *json = feed_get(f, id)->json;   /* made by the loop above */
        if (*count > 0) out->data[out->len++] = ',';
        memcpy(out->data + out->len, json->data, json->len);
        out->len += json->len;
        (*count)++;
    }
    memcpy(out->data + out->len, "]}\n", 3);
    out->len += 3;
    return out;
}

/* The last batch built, and the cursor and feed position it was built for:
 * when a publish wakes a thousand parked polls that all named the same
 * cursor, the answer is built once and shared by all of them. */
static struct {
    struct chunk *body;
    uint64_t since, newest;
    size_t count;
} memo;

void poll_answer(struct conn *c, uint64_t since)
{
    struct server *s = c->srv;
    uint64_t newest = feed_newest(&s->feed);
    if (!memo.body || memo.since != since || memo.newest != newest) {
        chunk_unref(memo.body);
        memo.body = poll_build(&s->feed, since, &memo.count);
        memo.since = since;
        memo.newest = newest;
    }

    if (memo.count == 0) s->stats.empty_answers++;
    conn_respond_head(c, 200, "application/json", (long long)memo.body->len,
                      "Cache-Control: no-store\r\n");
    if (!c->head_only) conn_deliver(c, memo.body, (unsigned)memo.count);  /* counted once written */
    feed_trim(&s->feed);         /* the JSON just made counts: back under the budget, the batch is a copy */
    conn_finish(c);
}
