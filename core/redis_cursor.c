/*
 * core/redis_cursor.c — stream ids, the catch-up start and the epoch
 * verdict; see redis_cursor.h.
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
    uint64_t from = newest + 1;
    if (capacity == 0) capacity = 1;
    /* Only the last `capacity` ids fit in the ring; written so that no
     * subtraction can wrap below zero. */
    if (stream_newest >= capacity && from < stream_newest - capacity + 1)
        from = stream_newest - capacity + 1;
    return from;
}

enum redis_epoch_verdict redis_cursor_epoch(const struct redis_known *known,
                                            const struct redis_stream_state *now)
{
    if (!known->epoch) return REDIS_EPOCH_FIRST;
    if (strcmp(known->epoch, now->epoch) == 0) return REDIS_EPOCH_SAME;
    if (known->newest <= now->floor) return REDIS_EPOCH_NEW;   /* its ids all lie above ours */
    return REDIS_EPOCH_CONFLICT;
}
