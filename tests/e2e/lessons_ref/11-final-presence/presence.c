/*
 * lessons/11-final-presence/presence.c — who is in the chat room and who is
 * typing, and that news over SSE and WebSocket; see presence.h.
 *
 * The reference for lesson 11 (the final project): it lives with the
 * lessons' reference answers, since no server of the project runs it yet.
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
    if (!name_valid(name, len)) return -1;
    if (find(p, name, len)) return 0;
    if (p->count == PRESENCE_MAX) return -1;
    struct presence_member *m = &p->members[p->count++];
    memcpy(m->name, name, len);
    m->name[len] = '\0';
    m->len = len;
    m->typing_until = 0;
    return 1;
}

int presence_leave(struct presence *p, const char *name, size_t len)
{
    struct presence_member *m = find(p, name, len);
    if (!m) return 0;
    size_t i = (size_t)(m - p->members);
    memmove(m, m + 1, (p->count - i - 1) * sizeof *m);    /* the others keep their order */
    p->count--;
    return 1;
}

int presence_typing(struct presence *p, const char *name, size_t len, int64_t now_ms)
{
    struct presence_member *m = find(p, name, len);
    if (!m) return -1;
    int started = !is_typing(m, now_ms);
    m->typing_until = now_ms + PRESENCE_TYPING_MS;
    return started;
}

int presence_expire(struct presence *p, int64_t now_ms)
{
    int stopped = 0;
    for (size_t i = 0; i < p->count; i++) {
        struct presence_member *m = &p->members[i];
        if (m->typing_until != 0 && m->typing_until <= now_ms) {
            m->typing_until = 0;
            stopped++;
        }
    }
    return stopped;
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

/* "name","name" of the members (only those typing when typing_only). */
static int put_names(const struct presence *p, int64_t now_ms, int typing_only,
                     char *out, size_t cap, size_t *at)
{
    int first = 1;
    for (size_t i = 0; i < p->count; i++) {
        const struct presence_member *m = &p->members[i];
        if (typing_only && !is_typing(m, now_ms)) continue;
        if ((!first && put(out, cap, at, ",", 1) < 0) || put(out, cap, at, "\"", 1) < 0 ||
            put(out, cap, at, m->name, m->len) < 0 || put(out, cap, at, "\"", 1) < 0)
            return -2;
        first = 0;
    }
    return 0;
}

long presence_json(const struct presence *p, int64_t now_ms, char *out, size_t cap)
{
    size_t at = 0;
    if (put(out, cap, &at, "{\"online\":[", 11) < 0 || put_names(p, now_ms, 0, out, cap, &at) < 0 ||
        put(out, cap, &at, "],\"typing\":[", 12) < 0 || put_names(p, now_ms, 1, out, cap, &at) < 0 ||
        put(out, cap, &at, "]}", 2) < 0)
        return -2;
    return (long)at;
}

long presence_sse(const struct presence *p, int64_t now_ms, uint64_t id, char *out, size_t cap)
{
    char json[PRESENCE_JSON_MAX], digits[24];
    long n = presence_json(p, now_ms, json, sizeof json);
    if (n < 0) return -2;
    int d = snprintf(digits, sizeof digits, "%llu", (unsigned long long)id);
    struct sse_event ev = {
        .id = digits, .id_len = (size_t)d,
        .event = "presence", .event_len = 8,
        .data = json, .data_len = (size_t)n,
    };
    long w = sse_encode_event(out, cap, &ev);
    return w < 0 ? -2 : w;
}

long presence_ws(const struct presence *p, int64_t now_ms, unsigned char *out, size_t cap)
{
    char json[PRESENCE_JSON_MAX];
    long n = presence_json(p, now_ms, json, sizeof json);
    if (n < 0) return -2;
    int head = ws_frame_encode(out, cap, 1, WS_TEXT, (uint64_t)n);
    if (head < 0 || cap - (size_t)head < (size_t)n) return -2;
    memcpy(out + head, json, (size_t)n);
    return head + n;
}
