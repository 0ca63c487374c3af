/*
 * core/feed.h — the stream of numbered events every server publishes.
 *
 * Events are numbered 1, 2, 3, ... for the life of the server. The feed keeps
 * the newest `capacity` of them in a ring. A client names the last id it has
 * seen (its cursor: `since`, `Last-Event-ID`) and is owed every newer event
 * still kept, in order, exactly once. Three answers are possible:
 *
 *   FEED_OK    the events after the cursor are all still here;
 *   FEED_GAP   some of them have already left the ring: the client gets
 *              what is kept, and must be told that it missed some;
 *   FEED_AHEAD the cursor is past the newest event (a client that outlived a
 *              server restart): it cannot be served and must start over.
 *
 * Cursors are sequence numbers, never timestamps: two events can share a
 * millisecond, but never an id.
 *
 * Each event keeps its data; the data as one JSON object
 * {"id":N,"data":"..."} (what polling answers and WebSocket frames carry),
 * made on first use by feed_json, since a JSON escape can be six times the
 * data and SSE never needs it; and a slot, `wire`, where a server keeps the event already encoded for its
 * own protocol (an SSE block, a WebSocket frame), so a replay reuses the
 * bytes made at publish time instead of encoding again; WebSocket keeps a
 * second form beside it, `wire_deflate`, for clients that agreed to
 * permessage-deflate.
 *
 * A feed can also mirror a feed kept elsewhere (the Redis Stream of
 * core/feed_redis.c): there the ids come from outside, feed_publish_at adds
 * an event with a given id, and ids it jumps over count as gone (`dropped`).
 *
 * Memory has a budget, not just a count: the feed also keeps the bytes its
 * events hold (every chunk, encodings included: `bytes`) within `budget`,
 * and drops the oldest events, by count or by bytes, whichever limit is hit
 * first. The newest event is always kept, even one larger than the budget.
 * A server that attaches an encoding to an event (wire, wire_deflate) calls
 * feed_account so that its bytes are counted, and feed_trim to give back
 * what is over (server_publish does both after a broadcast).
 *
 * Interface: feed_init, feed_free, feed_publish, feed_newest, feed_oldest,
 *            feed_since, feed_get, feed_json, feed_account, feed_trim,
 *            feed_publish_at, feed_skip_to.
 */
#ifndef RTLAB_FEED_H
#define RTLAB_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct feed_event {
    uint64_t id;            /* 1, 2, 3, ... */
    struct chunk *data;     /* the event's text as published */
    struct chunk *json;     /* {"id":N,"data":"..."}, or NULL until feed_json builds it */
    struct chunk *wire;     /* the server's own encoding, or NULL; freed with the event */
    struct chunk *wire_deflate; /* WebSocket: the frame compressed (RFC 7692), or NULL; likewise */
    size_t bytes;           /* what its chunks hold, as counted in feed.bytes */
};

struct feed {
    struct feed_event *ring; /* capacity slots; event id sits at (id - 1) % capacity */
    size_t capacity;         /* events kept */
    uint64_t newest;         /* id of the newest event, 0 before the first */
    uint64_t dropped;        /* every id up to this one has left the feed by bytes */
    size_t budget;           /* most bytes the kept events may hold; 0 = no limit */
    size_t bytes;            /* bytes the kept events hold now (chunks and their headers) */
};

enum feed_cursor { FEED_OK = 0, FEED_GAP = 1, FEED_AHEAD = 2 };

/* A feed that keeps the newest capacity events (capacity >= 1), with no
 * byte budget; set f->budget to give it one. */
void feed_init(struct feed *f, size_t capacity);
/* Free every kept event and the ring. */
void feed_free(struct feed *f);

/* Add an event holding a copy of data[0..len). The oldest kept events are
 * dropped when the ring is full or their bytes are over the budget. Returns
 * the new event, which stays valid until the next feed_publish or
 * feed_trim (a later one may drop it). */
struct feed_event *feed_publish(struct feed *f, const char *data, size_t len);

/* ev as {"id":N,"data":"..."}: made the first time it is asked for, kept
 * in ev->json and counted in f->bytes (given back by the next feed_trim if
 * over the budget; a server that needs the JSON only to build its wire form
 * may release it after). The chunk belongs to the event. */
struct chunk *feed_json(struct feed *f, struct feed_event *ev);

/* Count the chunks ev holds now (after a server attached ev->wire or
 * ev->wire_deflate) in f->bytes. Drops nothing: every event stays valid. */
void feed_account(struct feed *f, struct feed_event *ev);
/* Drop the oldest events while the kept bytes are over the budget, always
 * keeping the newest. Events dropped here read as gone (FEED_GAP) from then
 * on; their chunks live on in any out queue that holds a reference. */
void feed_trim(struct feed *f);

/* Id of the newest event, 0 when none was published. */
static inline uint64_t feed_newest(const struct feed *f) { return f->newest; }
/* Id of the oldest event still kept, newest + 1 when none is kept. */
uint64_t feed_oldest(const struct feed *f);

/* The cursor lookup. For a client whose last seen id is `since`, set *first
 * to the id of the first event it should get now (newest + 1 when there is
 * nothing new) and answer FEED_OK, FEED_GAP (events since+1 .. *first-1 are
 * gone) or FEED_AHEAD (since > newest; *first is then newest + 1). */
enum feed_cursor feed_since(const struct feed *f, uint64_t since, uint64_t *first);

/* The kept event with this id, or NULL when it is not (or no longer) kept. */
struct feed_event *feed_get(const struct feed *f, uint64_t id);

/* For a mirror: the ids after the newest up to `id` will never come here
 * (they left the source first, or never existed): drop every kept event
 * and make `id` the newest, with nothing kept. A cursor below it is then
 * a gap, `id` itself is up to date. No effect when id <= newest. */
void feed_skip_to(struct feed *f, uint64_t id);

/* For a mirror: add the event `id` (> newest), holding a copy of
 * data[0..len). When id > newest + 1 the ids in between are gone
 * (feed_skip_to). Returns the new event, or NULL when id <= newest (a
 * repeat: ignored). */
struct feed_event *feed_publish_at(struct feed *f, uint64_t id, const char *data, size_t len);

#endif
