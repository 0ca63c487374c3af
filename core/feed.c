/*
 * core/feed.c — the numbered events, kept in a ring; see feed.h.
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
    uint64_t oldest = f->newest <= f->capacity ? 1 : f->newest - f->capacity + 1;
    return f->dropped >= oldest ? f->dropped + 1 : oldest;   /* the budget took more */
}

enum feed_cursor feed_since(const struct feed *f, uint64_t since, uint64_t *first)
{
    if (since > f->newest) {                          /* from a previous life of the server */
        *first = f->newest + 1;
        return FEED_AHEAD;
    }
    uint64_t oldest = feed_oldest(f);
    if (since + 1 < oldest) {                         /* since+1 .. oldest-1 have been dropped */
        *first = oldest;
        return FEED_GAP;
    }
    *first = since + 1;
    return FEED_OK;
}

struct feed_event *feed_get(const struct feed *f, uint64_t id)
{
    if (id == 0 || id > f->newest || id < feed_oldest(f)) return NULL;
    return &f->ring[(id - 1) % f->capacity];
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
