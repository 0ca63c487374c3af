/*
 * lessons/11-final-presence/presence.c — who is in the chat room and who is
 * typing, and that news over SSE and WebSocket; see presence.h.
 *
 * YOUR copy, lesson 11 (the final project): everything with a
 * TODO(student) is yours; the helpers above them are the project's.
 *
 *   make lesson N=11             what works, what does not, in plain words
 */
#include "presence.h"

#include <stdio.h>
#include <string.h>

#include "sse_encode.h"
#include "ws_frame.h"

/* The longest JSON a room can give: every name twice, quoted, with commas. */
#define PRESENCE_JSON_MAX (2 * PRESENCE_MAX * (PRESENCE_NAME_MAX + 3) + 32)

/* ==== Members ==== */

/* 1 when name[0..len) may be a member's name: [A-Za-z0-9_-], 1..32 bytes,
 * so it needs no escaping in JSON and can inject nothing into SSE. */
static int name_valid(const char *name, size_t len)
{
    if (len == 0 || len > PRESENCE_NAME_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* The member called name, or NULL. */
static struct presence_member *find(struct presence *p, const char *name, size_t len)
{
    for (size_t i = 0; i < p->count; i++)
        if (p->members[i].len == len && memcmp(p->members[i].name, name, len) == 0)
            return &p->members[i];
    return NULL;
}

static int is_typing(const struct presence_member *m, int64_t now_ms)
{
    return m->typing_until != 0 && now_ms < m->typing_until;
}

void presence_init(struct presence *p)
{
    p->count = 0;
}

int presence_join(struct presence *p, const char *name, size_t len)
{
    /* TODO(student): check the name (name_valid), answer 0 when it is
     * there already (find), -1 when the room is full; else add it at the
     * end (join order), NUL-terminated, not typing, and answer 1. */
    (void)name_valid;
    (void)find;
    (void)p;
    (void)name;
    (void)len;
    return -1;
}

int presence_leave(struct presence *p, const char *name, size_t len)
{
    /* TODO(student): take the member out and close the gap so that the
     * others keep their join order (memmove, not "swap with the last").
     * 1 when it left, 0 when there was no such member. */
    (void)p;
    (void)name;
    (void)len;
    return 0;
}

int presence_typing(struct presence *p, const char *name, size_t len, int64_t now_ms)
{
    /* TODO(student): a keystroke: typing_until = now_ms +
     * PRESENCE_TYPING_MS. Answer 1 when it was not typing at now_ms
     * (is_typing), 0 when it was, -1 when there is no such member. */
    (void)is_typing;
    (void)p;
    (void)name;
    (void)len;
    (void)now_ms;
    return -1;
}

int presence_expire(struct presence *p, int64_t now_ms)
{
    /* TODO(student): every member whose typing_until is set and at or
     * before now_ms stops typing (typing_until = 0); answer how many. */
    (void)p;
    (void)now_ms;
    return 0;
}

/* ==== Encoding ==== */

/* Append s[0..n) at out[*at..cap); 0, or -2 when it does not fit. */
static int put(char *out, size_t cap, size_t *at, const char *s, size_t n)
{
    if (cap - *at < n) return -2;
    memcpy(out + *at, s, n);
    *at += n;
    return 0;
}

long presence_json(const struct presence *p, int64_t now_ms, char *out, size_t cap)
{
    /* TODO(student): {"online":["ann","bob"],"typing":["bob"]}, members in
     * join order, typing ones at now_ms; names need no escaping (see
     * name_valid). Use put(); -2 as soon as something does not fit. */
    (void)put;
    (void)p;
    (void)now_ms;
    (void)out;
    (void)cap;
    return -2;
}

long presence_sse(const struct presence *p, int64_t now_ms, uint64_t id, char *out, size_t cap)
{
    /* TODO(student): the JSON (into a local buffer of PRESENCE_JSON_MAX
     * bytes) as one event block of lesson 05's encoder: id = the decimal
     * id, event "presence", data = the JSON. -2 when it does not fit. */
    (void)p;
    (void)now_ms;
    (void)id;
    (void)out;
    (void)cap;
    return -2;
}

long presence_ws(const struct presence *p, int64_t now_ms, unsigned char *out, size_t cap)
{
    /* TODO(student): the JSON as one text frame: lesson 07's
     * ws_frame_encode (FIN, WS_TEXT) writes the header, the JSON follows.
     * -2 when header and JSON do not both fit. */
    (void)p;
    (void)now_ms;
    (void)out;
    (void)cap;
    return -2;
}
