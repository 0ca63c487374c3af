/*
 * core/redis_cursor.h — the arithmetic of a feed kept in Redis, with no
 * Redis in it: what to ask the stream for, and whether the stream is still
 * the one we knew (lesson 10's unit).
 *
 * With `-R redis://...` every instance mirrors one Redis Stream into its
 * own in-memory feed (core/feed_redis.c). Entry N of the stream has the
 * stream id "N-0", so an event's id and its stream id are the same number
 * and a client's cursor (`since`, `Last-Event-ID`) is a stream position on
 * every instance alike.
 *
 * Two questions come up each time an instance (re)connects:
 *
 *   1. From which id must it read the stream to catch up? From the one
 *      after the newest it has, but never more than its ring can keep:
 *      older entries would only be read to be thrown away.
 *
 *   2. Is the stream the one it knew? A Redis that restarted empty lost the
 *      stream; the stream's identity (its epoch, a random string made when
 *      the stream was created) then differs. The new stream's ids start
 *      above a `floor` (the largest id any instance knew while the new
 *      stream was settling), so an old cursor stays meaningful: everything
 *      up to the floor is gone (a gap), everything above it is new. Only an
 *      instance that knew ids above the floor (it came back too late) finds
 *      the two streams' ids overlapping: a conflict.
 *
 * Pure functions: no sockets, no allocation, no globals.
 *
 * Interface: redis_cursor_format_id, redis_cursor_parse_id,
 *            redis_cursor_catchup_from, redis_cursor_epoch.
 */
#ifndef RTLAB_REDIS_CURSOR_H
#define RTLAB_REDIS_CURSOR_H

#include <stddef.h>
#include <stdint.h>

/* Longest stream id we write: 20 digits, "-0", NUL. */
#define REDIS_CURSOR_ID_MAX 24

/* Write the stream id of event `id` ("N-0") into out[0..cap), NUL-ended.
 * Returns its length, or -1 when it does not fit (or id is 0: "0-0" is
 * not a valid stream entry id). */
int redis_cursor_format_id(char *out, size_t cap, uint64_t id);

/* Parse a stream entry id written by redis_cursor_format_id: decimal digits
 * (no sign, no leading zero, no overflow), then exactly "-0". Returns the
 * number of bytes used (= len) and sets *id, or -1 for anything else (an
 * id another program wrote, "5-1", "05-0", ""). */
long redis_cursor_parse_id(const char *s, size_t len, uint64_t *id);

/* The first id to read from the stream (XRANGE start) for an instance whose
 * feed's newest id is `newest`, whose ring keeps `capacity` events, when the
 * stream's newest id is `stream_newest`. That is newest + 1, except when
 * more than `capacity` events are missing: then only the last `capacity`
 * of them (the rest would leave the ring at once; clients that needed
 * them are told of a gap). Never 0. */
uint64_t redis_cursor_catchup_from(uint64_t newest, uint64_t stream_newest, size_t capacity);

/* What an instance knew before it (re)connected. */
struct redis_known {
    const char *epoch;        /* the stream identity it mirrored, or NULL: none yet */
    uint64_t newest;          /* its feed's newest id */
};

/* What the stream says now (the hello script's answer). */
struct redis_stream_state {
    const char *epoch;        /* the current stream identity */
    uint64_t floor;           /* ids up to floor were never in this stream */
};

enum redis_epoch_verdict {
    REDIS_EPOCH_FIRST,        /* we knew no stream: adopt this one */
    REDIS_EPOCH_SAME,         /* the stream we knew: catch up after our newest */
    REDIS_EPOCH_NEW,          /* a new stream whose ids start above ours: the ids after
                                 our newest up to its floor are gone (a gap), the rest is new */
    REDIS_EPOCH_CONFLICT,     /* a new stream whose ids overlap ids we knew: our cursors
                                 above its floor name other events there */
};

/* Compare what we knew with the stream now. Epochs are compared as strings
 * (both NUL-ended). */
enum redis_epoch_verdict redis_cursor_epoch(const struct redis_known *known,
                                            const struct redis_stream_state *now);

#endif
