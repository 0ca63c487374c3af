/*
 * polling/poll_batch.c — the batch encoder of both polling servers; see
 * poll_batch.h.
 *
 * An answer is planned first (which events fit, is there a gap, what is
 * `next`), then sized or written from the plan, so poll_batch_size and
 * poll_batch_encode can never disagree.
 */
#include "poll_batch.h"

#include <stdio.h>
#include <string.h>

/* ==== Planning an answer ==== */

/* What one answer for a cursor carries. */
struct batch_plan {
    uint64_t first;       /* id of the first event in it */
    size_t count;         /* events in it: ids first .. first + count - 1 */
    uint64_t next;        /* the cursor to send next time */
    int gap;              /* events after the cursor are gone from the feed */
    size_t events_bytes;  /* the events' JSON, commas between them included */
};

/* Plan the answer for `since`: as many kept events after it as fit in
 * POLL_MAX_BYTES, but at least one when there is one. */
static void batch_plan(const struct feed *f, uint64_t since, struct batch_plan *p)
{
    uint64_t first;
    p->gap = feed_since(f, since, &first) == FEED_GAP;
    p->first = first;
    p->count = 0;
    p->events_bytes = 0;
    size_t bytes = 0;                               /* each event counted with one comma */
    for (uint64_t id = first; id <= feed_newest(f); id++) {
        size_t len = feed_get(f, id)->json->len + 1;
        if (bytes > 0 && bytes + len > POLL_MAX_BYTES) break;
        bytes += len;
        p->count++;
    }
    if (p->count > 0) p->events_bytes = bytes - 1; /* n events, n - 1 commas */
    p->next = p->count > 0 ? first + p->count - 1 : since;  /* nothing new: next stays */
}

/* ==== Sizing and writing ==== */

#define GAP_FIELD "\"gap\":true,"
#define EVENTS_FIELD "\"events\":["
#define ANSWER_END "]}\n"

/* The head "{"next":M," and its length; head holds at least 32 bytes. */
static size_t batch_head(char *head, uint64_t next)
{
    return (size_t)snprintf(head, 32, "{\"next\":%llu,", (unsigned long long)next);
}

static size_t plan_size(const struct batch_plan *p)
{
    char head[32];
    return batch_head(head, p->next) + (p->gap ? strlen(GAP_FIELD) : 0) +
           strlen(EVENTS_FIELD) + p->events_bytes + strlen(ANSWER_END);
}

size_t poll_batch_size(const struct feed *f, uint64_t since)
{
    struct batch_plan p;
    batch_plan(f, since, &p);
    return plan_size(&p);
}

/* Append s[0..n) at out + *at. The caller has checked the room. */
static void put(char *out, size_t *at, const char *s, size_t n)
{
    memcpy(out + *at, s, n);
    *at += n;
}

long poll_batch_encode(char *out, size_t cap, const struct feed *f, uint64_t since,
                       size_t *count)
{
    struct batch_plan p;
    batch_plan(f, since, &p);
    *count = 0;
    if (plan_size(&p) > cap) return -2;
    char head[32];
    size_t at = 0;
    put(out, &at, head, batch_head(head, p.next));
    if (p.gap) put(out, &at, GAP_FIELD, strlen(GAP_FIELD));
    put(out, &at, EVENTS_FIELD, strlen(EVENTS_FIELD));
    for (size_t i = 0; i < p.count; i++) {
        const struct chunk *json = feed_get(f, p.first + i)->json;
        if (i > 0) put(out, &at, ",", 1);
        put(out, &at, json->data, json->len);
    }
    put(out, &at, ANSWER_END, strlen(ANSWER_END));
    *count = p.count;
    return (long)at;
}

int poll_batch_has_news(const struct feed *f, uint64_t since)
{
    uint64_t first;
    enum feed_cursor r = feed_since(f, since, &first);
    return r == FEED_GAP || first <= feed_newest(f);
}
