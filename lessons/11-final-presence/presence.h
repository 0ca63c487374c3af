/*
 * lessons/11-final-presence/presence.h — who is in the chat room and who is
 * typing, and that news as an SSE event and as a WebSocket frame. The
 * contract of lesson 11 (the final project); lessons/11-final-presence/
 * README.md is its spec.
 *
 * Pure functions on a fixed-size room: no allocation, no sockets, no clock
 * of their own (the caller passes now_ms, so tests decide what time it is).
 * Encoders return the bytes written, or -2 when cap is too small (nothing
 * useful written then); they reuse lesson 05's sse_encode_event and lesson
 * 07's ws_frame_encode.
 *
 * Interface: presence_init, presence_join, presence_leave, presence_typing,
 * presence_expire, presence_json, presence_sse, presence_ws.
 */
#ifndef RTLAB_PRESENCE_H
#define RTLAB_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

#define PRESENCE_MAX 64            /* people in one room */
#define PRESENCE_NAME_MAX 32       /* bytes of a name: [A-Za-z0-9_-], 1..32 */
#define PRESENCE_TYPING_MS 3000    /* "is typing" lasts this long after a keystroke */

struct presence_member {
    char name[PRESENCE_NAME_MAX + 1];  /* NUL-terminated */
    size_t len;
    int64_t typing_until;              /* typing while now_ms < this; 0: not typing */
};

struct presence {
    struct presence_member members[PRESENCE_MAX];   /* in the order they joined */
    size_t count;
};

/* An empty room. */
void presence_init(struct presence *p);

/* name[0..len) enters the room. 1: it did; 0: it was there already;
 * -1: refused (the name is empty, too long or holds a byte outside
 * [A-Za-z0-9_-], or the room is full). */
int presence_join(struct presence *p, const char *name, size_t len);

/* name leaves: 1 it did, 0 it was not there. The others keep their order. */
int presence_leave(struct presence *p, const char *name, size_t len);

/* A keystroke from name at now_ms: it is typing until now_ms +
 * PRESENCE_TYPING_MS. 1: it started typing (it was not, at now_ms);
 * 0: it was typing already (the deadline moves on); -1: no such member. */
int presence_typing(struct presence *p, const char *name, size_t len, int64_t now_ms);

/* Members whose typing ended at or before now_ms stop typing. Returns how
 * many stopped (0: nothing changed, no news to send). */
int presence_expire(struct presence *p, int64_t now_ms);

/* {"online":["ann","bob"],"typing":["bob"]}: every member in join order,
 * and those typing at now_ms. Returns its length, or -2. */
long presence_json(const struct presence *p, int64_t now_ms, char *out, size_t cap);

/* The same JSON as one SSE event block (the fallback for browsers behind a
 * proxy that drops WebSocket): "event: presence", "id: ID" (the caller's
 * event number) and one data line. Returns its length, or -2. */
long presence_sse(const struct presence *p, int64_t now_ms, uint64_t id, char *out, size_t cap);

/* The same JSON as one WebSocket text frame from the server (FIN, never
 * masked; header in its shortest form). Returns its length, or -2. */
long presence_ws(const struct presence *p, int64_t now_ms, unsigned char *out, size_t cap);

#endif
