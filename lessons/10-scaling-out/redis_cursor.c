/*
 * lessons/10-scaling-out/redis_cursor.c — YOUR copy of core/redis_cursor.c,
 * the arithmetic of a feed kept in Redis and shared by many instances (the
 * contract is in core/redis_cursor.h: read it first).
 *
 * Yours: redis_cursor_catchup_from (where an instance that reconnects
 * starts reading the stream) and redis_cursor_epoch (is this still the
 * stream we knew?); look for TODO(student). The stream ids are given.
 * Pure: no allocation, no sockets, no globals.
 *
 *   make lesson N=10             what works, what does not, in plain words
 */
#include "redis_cursor.h"

#include <stdio.h>
#include <string.h>

int redis_cursor_format_id(char *out, size_t cap, uint64_t id)
{
    if (id == 0) return -1;
    int n = snprintf(out, cap, "%llu-0", (unsigned long long)id);
    return n > 0 && (size_t)n < cap ? n : -1;
}

long redis_cursor_parse_id(const char *s, size_t len, uint64_t *id)
{
    if (len < 3 || s[len - 2] != '-' || s[len - 1] != '0') return -1;
    size_t digits = len - 2;
    if (s[0] == '0') return -1;                 /* "0-0" is no entry; "05-0" is not ours */
    uint64_t v = 0;
    for (size_t i = 0; i < digits; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;   /* would overflow */
        v = v * 10 + d;
    }
    *id = v;
    return (long)len;
}

uint64_t redis_cursor_catchup_from(uint64_t newest, uint64_t stream_newest, size_t capacity)
{
    /* TODO(student): the first id to read from the stream (see
     * redis_cursor.h). Normally the one after our newest. But when more
     * than `capacity` events are missing, only the last `capacity` of the
     * stream fit in the ring: start at stream_newest - capacity + 1.
     * Watch the unsigned arithmetic: never subtract below zero (a stream
     * shorter than the ring), and a capacity of 0 counts as 1. */
    (void)newest;
    (void)stream_newest;
    (void)capacity;
    return 0;
}

enum redis_epoch_verdict redis_cursor_epoch(const struct redis_known *known,
                                            const struct redis_stream_state *now)
{
    /* TODO(student): compare what we knew with the stream now.
     *   no epoch known (known->epoch NULL)     -> REDIS_EPOCH_FIRST
     *   the same epoch (compare the strings)   -> REDIS_EPOCH_SAME
     *   another epoch, and all its ids lie above ours (our newest is at
     *   most its floor)                        -> REDIS_EPOCH_NEW
     *   another epoch that reuses ids we knew  -> REDIS_EPOCH_CONFLICT
     * The last case is the one that must never be resumed silently. */
    (void)known;
    (void)now;
    return REDIS_EPOCH_SAME;
}
