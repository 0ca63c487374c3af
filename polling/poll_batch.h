/*
 * polling/poll_batch.h — the batch encoder: the body of every answer to a
 * poll, "here is everything newer than the id you named".
 *
 *   GET /poll?since=N  →  200 {"next":M,"events":[{"id":..,"data":".."},...]}
 *
 * `next` is the cursor to send next time: the id of the last event in the
 * answer, or N itself when there is none. "gap":true is added when events
 * after N have already left the feed, so the client knows it missed some.
 * An answer carries at most POLL_MAX_BYTES of events (but always the first
 * one, however large); the client gets the rest by asking again with `next`.
 *
 * Short polling (polling/polling.c) answers every poll at once with it; long
 * polling (longpoll/longpoll.c) links this file too and answers with it
 * once there is news, the way websocket links core/utf8.c.
 *
 * Every function here is pure: no allocation, no sockets, no globals; it
 * only reads the feed, whose kept events must have their JSON form (the
 * polling servers set .feed_json, so it is made as each is published). The encoder writes into out[0..cap) and returns
 *   > 0  bytes written;
 *   -2   out is too small: nothing useful was written, call again with more
 *        (poll_batch_size says exactly how much).
 *
 * Interface: POLL_MAX_BYTES, poll_batch_size, poll_batch_encode,
 *            poll_batch_has_news.
 */
#ifndef RTLAB_POLL_BATCH_H
#define RTLAB_POLL_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "feed.h"

enum { POLL_MAX_BYTES = 256 * 1024 };

/* Bytes poll_batch_encode writes for cursor `since` on feed f: lets a caller
 * allocate exactly what the answer needs. */
size_t poll_batch_size(const struct feed *f, uint64_t since);

/* Write the answer for cursor `since` into out[0..cap) and set *count to
 * the events in it. A cursor ahead of the newest event gets an empty list
 * (the caller refuses such a cursor before; see read_since in
 * polling/polling.c). Returns bytes written, or -2 when cap is too small
 * (then *count is 0). */
long poll_batch_encode(char *out, size_t cap, const struct feed *f, uint64_t since,
                       size_t *count);

/* 1 when an answer for cursor `since` would carry events (or a gap), 0 when
 * it would be empty: the moment long polling parks instead. */
int poll_batch_has_news(const struct feed *f, uint64_t since);

#endif
