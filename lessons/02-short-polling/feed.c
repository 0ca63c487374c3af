/*
 * lessons/02-short-polling/feed.c — YOUR copy of core/feed.c, the numbered
 * events every server publishes (the contract is in core/feed.h).
 *
 * Yours: feed_oldest, feed_since (the cursor lookup every poll, every SSE
 * reconnect and every WebSocket ?since= goes through) and feed_get (look
 * for TODO(student)). The ring itself, publishing and the JSON form are the
 * project's.
 *
 *   make lesson N=02             what works, what does not, in plain words
 *   make lesson N=02 SERVER=1    bin/polling with your feed in it
 *
 * Event id sits in slot (id - 1) % capacity, so finding an event is one
 * division, and the ring needs no head index: `newest` says it all. The kept
 * events are the ids max(1, newest - capacity + 1, dropped + 1) .. newest:
 * the ring's count limit, and the byte budget, which drops the oldest ones
 * earlier when the events are large (feed_trim moves `dropped`).
 */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void feed_init(struct feed *f, size_t capacity)
{
    f->capacity = capacity ? capacity : 1;
    f->ring = calloc(f->capacity, sizeof *f->ring);
    if (!f->ring) {
        fprintf(stderr, "rtlab: out of memory for a feed of %zu events\n", f->capacity);
        abort();
    }
    f->newest = 0;
    f->dropped = 0;
    f->budget = 0;
    f->bytes = 0;
}

/* What one chunk costs: its bytes and its header. */
static size_t chunk_cost(const struct chunk *c)
{
    return c ? sizeof *c + c->cap : 0;
}

/* Release what one slot holds, and stop counting it. */
static void feed_clear_slot(struct feed *f, struct feed_event *ev)
{
    f->bytes -= ev->bytes;
    chunk_unref(ev->data);
    chunk_unref(ev->json);
    chunk_unref(ev->wire);
    chunk_unref(ev->wire_deflate);
    memset(ev, 0, sizeof *ev);
}

void feed_free(struct feed *f)
{
    for (size_t i = 0; i < f->capacity; i++) feed_clear_slot(f, &f->ring[i]);
    free(f->ring);
    f->ring = NULL;
}

void feed_account(struct feed *f, struct feed_event *ev)
{
    size_t now = chunk_cost(ev->data) + chunk_cost(ev->json) + chunk_cost(ev->wire) +
                 chunk_cost(ev->wire_deflate);
    f->bytes = f->bytes - ev->bytes + now;
    ev->bytes = now;
}

void feed_trim(struct feed *f)
{
    while (f->budget && f->bytes > f->budget && feed_oldest(f) < f->newest) {
        uint64_t id = feed_oldest(f);
        struct feed_event *ev = &f->ring[(id - 1) % f->capacity];
        if (ev->id != id) break;                      /* not kept there: nothing to give back */
        feed_clear_slot(f, ev);
        f->dropped = id;                              /* ids up to here read as gone */
    }
}

/* Build {"id":N,"data":"..."} for one event. */
static struct chunk *feed_make_json(uint64_t id, const char *data, size_t len)
{
    struct chunk *c = chunk_new(6 * len + 48);        /* json_escape needs at most 6n + 2 */
    int head = snprintf(c->data, c->cap, "{\"id\":%llu,\"data\":", (unsigned long long)id);
    long body = json_escape(c->data + head, c->cap - (size_t)head, data, len);
    c->len = (size_t)head + (size_t)body;
    c->data[c->len++] = '}';
    c = xrealloc(c, sizeof *c + c->len);              /* give back the worst-case room */
    c->cap = c->len;
    return c;
}

struct chunk *feed_json(struct feed *f, struct feed_event *ev)
{
    if (!ev->json) {
        ev->json = feed_make_json(ev->id, ev->data->data, ev->data->len);
        feed_account(f, ev);
    }
    return ev->json;
}

struct feed_event *feed_publish(struct feed *f, const char *data, size_t len)
{
    uint64_t id = f->newest + 1;
    struct feed_event *ev = &f->ring[(id - 1) % f->capacity];
    feed_clear_slot(f, ev);                           /* the oldest event leaves the ring */
    ev->id = id;
    ev->data = chunk_from(data, len);                 /* the JSON form waits for feed_json */
    f->newest = id;
    feed_account(f, ev);
    feed_trim(f);                                     /* over the budget: the oldest go */
    return ev;
}

uint64_t feed_oldest(const struct feed *f)
{
    /* TODO(student): the id of the oldest event still in the ring. The
     * ring keeps the newest f->capacity events; before it has wrapped
     * around, that is event 1. With no event at all, newest + 1 (= 1).
     * The byte budget may have taken more: every id up to f->dropped is
     * gone too (and a feed that mirrors Redis, lesson 10, never kept them),
     * so the oldest is the later of the two limits. */
    (void)f;
    return 0;
}

enum feed_cursor feed_since(const struct feed *f, uint64_t since, uint64_t *first)
{
    /* TODO(student): the cursor lookup (see feed.h). A client has seen
     * every id up to `since`. Set *first to the id it should get next and
     * answer:
     *   FEED_AHEAD  since > newest (a server restart): *first = newest + 1;
     *   FEED_GAP    since + 1 has already left the ring: *first = the oldest
     *               kept id, and the client must be told what it missed;
     *   FEED_OK     otherwise: *first = since + 1 (newest + 1: nothing new).
     * Watch the unsigned arithmetic: since + 1 < oldest, never
     * since < oldest - 1 written the other way round by accident. */
    (void)f;
    (void)since;
    *first = 0;
    return FEED_AHEAD;
}

struct feed_event *feed_get(const struct feed *f, uint64_t id)
{
    /* TODO(student): the kept event with this id, or NULL when the id is 0,
     * newer than the newest, or older than the oldest kept. Event `id`
     * lives in slot (id - 1) % capacity: no search, one division. */
    (void)f;
    (void)id;
    return NULL;
}

/* ==== A mirror of a feed kept elsewhere ==== */

/* A mirror (core/feed_redis.c) gets its ids from outside. Ids it jumps over
 * read as gone, like events the byte budget dropped: `dropped` says that
 * every id up to it has left (or never reached) this feed. */

void feed_skip_to(struct feed *f, uint64_t id)
{
    if (id <= f->newest) return;
    for (size_t i = 0; i < f->capacity; i++) feed_clear_slot(f, &f->ring[i]);
    f->newest = id;
    f->dropped = id;
}

struct feed_event *feed_publish_at(struct feed *f, uint64_t id, const char *data, size_t len)
{
    if (id <= f->newest) return NULL;                 /* already here */
    if (id > f->newest + 1) feed_skip_to(f, id - 1);  /* the ones in between are gone */
    return feed_publish(f, data, len);
}
