/*
 * tests/unit/test_presence.c — lesson 11's presence unit: who is in the
 * chat room, who is typing, and that news as an SSE event block and as a
 * WebSocket text frame (lessons/11-final-presence/presence.h).
 *
 * Time is the caller's: every test says what now_ms is, so "typing ends
 * 3 s after the last keystroke" is checked to the millisecond.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "presence.h"

#define NAME(s) s, sizeof(s) - 1

static struct presence room;
static char text[8192];
static unsigned char frame[8192];

/* The room's JSON at now_ms, as a C string. */
static const char *json_at(int64_t now_ms)
{
    long n = presence_json(&room, now_ms, text, sizeof text - 1);
    ck_assert_int_ge(n, 0);
    text[n] = '\0';
    return text;
}

/* Joining: a new name enters once, in order; a repeated join changes
 * nothing; an empty room answers with two empty lists. */
START_TEST(join_in_order_once)
{
    presence_init(&room);
    ck_assert_str_eq(json_at(0), "{\"online\":[],\"typing\":[]}");
    ck_assert_int_eq(presence_join(&room, NAME("ann")), 1);
    ck_assert_int_eq(presence_join(&room, NAME("bob")), 1);
    ck_assert_int_eq(presence_join(&room, NAME("ann")), 0);
    ck_assert_int_eq(presence_join(&room, NAME("an")), 1);       /* a prefix is another name */
    ck_assert_str_eq(json_at(0), "{\"online\":[\"ann\",\"bob\",\"an\"],\"typing\":[]}");
}
END_TEST

/* A name is 1 to PRESENCE_NAME_MAX bytes of [A-Za-z0-9_-]: anything else
 * is refused (so it needs no escaping and cannot inject an SSE field). */
START_TEST(names_are_checked)
{
    presence_init(&room);
    char longest[PRESENCE_NAME_MAX + 1];
    memset(longest, 'x', sizeof longest);
    ck_assert_int_eq(presence_join(&room, longest, PRESENCE_NAME_MAX), 1);
    ck_assert_int_eq(presence_join(&room, longest, PRESENCE_NAME_MAX + 1), -1);
    ck_assert_int_eq(presence_join(&room, "", 0), -1);
    ck_assert_int_eq(presence_join(&room, NAME("A_z-9")), 1);
    static const char *const bad[] = {"a b", "a\"b", "a\nb", "a\rid: 9", "\xc3\xa9", "a:b", "a/b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(presence_join(&room, bad[i], strlen(bad[i])) == -1, "name %zu was accepted", i);
    ck_assert_int_eq(presence_join(&room, "a\0b", 3), -1);
    ck_assert_uint_eq(room.count, 2);
}
END_TEST

/* The room holds PRESENCE_MAX members; one more is refused, and a place
 * freed by a leave can be taken again. */
START_TEST(room_is_bounded)
{
    presence_init(&room);
    char name[8];
    for (int i = 0; i < PRESENCE_MAX; i++) {
        int n = snprintf(name, sizeof name, "u%d", i);
        ck_assert_int_eq(presence_join(&room, name, (size_t)n), 1);
    }
    ck_assert_int_eq(presence_join(&room, NAME("late")), -1);
    ck_assert_int_eq(presence_leave(&room, NAME("u7")), 1);
    ck_assert_int_eq(presence_join(&room, NAME("late")), 1);
    ck_assert_uint_eq(room.count, PRESENCE_MAX);
}
END_TEST

/* Leaving: the first, a middle and the last member leave; the others keep
 * their order; leaving twice or a stranger leaving changes nothing. */
START_TEST(leave_keeps_order)
{
    presence_init(&room);
    static const char *const names[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++) presence_join(&room, names[i], 1);
    ck_assert_int_eq(presence_leave(&room, NAME("c")), 1);
    ck_assert_int_eq(presence_leave(&room, NAME("a")), 1);
    ck_assert_int_eq(presence_leave(&room, NAME("e")), 1);
    ck_assert_int_eq(presence_leave(&room, NAME("e")), 0);
    ck_assert_int_eq(presence_leave(&room, NAME("zed")), 0);
    ck_assert_str_eq(json_at(0), "{\"online\":[\"b\",\"d\"],\"typing\":[]}");
    presence_join(&room, NAME("a"));
    ck_assert_str_eq(json_at(0), "{\"online\":[\"b\",\"d\",\"a\"],\"typing\":[]}");
}
END_TEST

/* Typing lasts PRESENCE_TYPING_MS after the last keystroke, to the
 * millisecond: typing at t + 2999, not at t + 3000. A keystroke while
 * typing moves the end on and is no news (0); a stranger's is -1. */
START_TEST(typing_lasts_exactly)
{
    presence_init(&room);
    presence_join(&room, NAME("ann"));
    presence_join(&room, NAME("bob"));
    ck_assert_int_eq(presence_typing(&room, NAME("bob"), 1000), 1);
    ck_assert_str_eq(json_at(1000), "{\"online\":[\"ann\",\"bob\"],\"typing\":[\"bob\"]}");
    ck_assert_str_eq(json_at(3999), "{\"online\":[\"ann\",\"bob\"],\"typing\":[\"bob\"]}");
    ck_assert_str_eq(json_at(4000), "{\"online\":[\"ann\",\"bob\"],\"typing\":[]}");
    ck_assert_int_eq(presence_typing(&room, NAME("bob"), 3000), 0);     /* still typing: no news */
    ck_assert_str_eq(json_at(5999), "{\"online\":[\"ann\",\"bob\"],\"typing\":[\"bob\"]}");
    ck_assert_int_eq(presence_typing(&room, NAME("bob"), 6000), 1);     /* it had stopped */
    ck_assert_int_eq(presence_typing(&room, NAME("eve"), 6000), -1);
}
END_TEST

/* presence_expire ends typing that is over, at or before now, and says how
 * many stopped: 0 when nothing changed (so the server sends no news). */
START_TEST(expire_counts_who_stopped)
{
    presence_init(&room);
    presence_join(&room, NAME("ann"));
    presence_join(&room, NAME("bob"));
    presence_typing(&room, NAME("ann"), 0);
    presence_typing(&room, NAME("bob"), 1000);
    ck_assert_int_eq(presence_expire(&room, 2999), 0);
    ck_assert_int_eq(presence_expire(&room, 3000), 1);                  /* ann's 3 s are over */
    ck_assert_int_eq(presence_expire(&room, 3000), 0);
    ck_assert_int_eq(presence_expire(&room, 10000), 1);
    ck_assert_str_eq(json_at(10000), "{\"online\":[\"ann\",\"bob\"],\"typing\":[]}");
    ck_assert_int_eq(presence_typing(&room, NAME("ann"), 10000), 1);    /* typing again is news */
}
END_TEST

/* A member who leaves while typing is no longer typing, and comes back
 * not typing. */
START_TEST(leave_ends_typing)
{
    presence_init(&room);
    presence_join(&room, NAME("ann"));
    presence_typing(&room, NAME("ann"), 0);
    presence_leave(&room, NAME("ann"));
    presence_join(&room, NAME("ann"));
    ck_assert_str_eq(json_at(1), "{\"online\":[\"ann\"],\"typing\":[]}");
}
END_TEST

/* Every cap below the JSON's length gives -2 and writes nothing past cap;
 * the exact length is enough. */
START_TEST(json_capacity)
{
    presence_init(&room);
    presence_join(&room, NAME("ann"));
    presence_join(&room, NAME("bob"));
    presence_typing(&room, NAME("bob"), 0);
    long need = presence_json(&room, 0, text, sizeof text);
    ck_assert_int_eq(need, (long)strlen("{\"online\":[\"ann\",\"bob\"],\"typing\":[\"bob\"]}"));
    for (long cap = 0; cap < need; cap++) {
        memset(text, '#', sizeof text);
        ck_assert_int_eq(presence_json(&room, 0, text, (size_t)cap), -2);
        ck_assert_msg(text[cap] == '#', "cap %ld: a byte written past cap", cap);
    }
    ck_assert_int_eq(presence_json(&room, 0, text, (size_t)need), need);
}
END_TEST

/* The SSE fallback: one event block "id: N", "event: presence", one data
 * line with the JSON, the empty line; -2 when it does not fit. */
START_TEST(sse_event_block)
{
    presence_init(&room);
    presence_join(&room, NAME("ann"));
    presence_typing(&room, NAME("ann"), 0);
    long n = presence_sse(&room, 0, 42, text, sizeof text - 1);
    ck_assert_int_gt(n, 0);
    text[n] = '\0';
    ck_assert_str_eq(text, "id: 42\nevent: presence\ndata: {\"online\":[\"ann\"],\"typing\":[\"ann\"]}\n\n");
    for (long cap = 0; cap < n; cap++)
        ck_assert_int_eq(presence_sse(&room, 0, 42, text, (size_t)cap), -2);
}
END_TEST

/* The WebSocket frame: FIN + text, never masked, the length in its
 * shortest form (7 bits up to 125, 16 bits beyond), then the JSON. */
START_TEST(ws_text_frame)
{
    presence_init(&room);
    presence_join(&room, NAME("ann"));
    long n = presence_ws(&room, 0, frame, sizeof frame);
    const char *json = "{\"online\":[\"ann\"],\"typing\":[]}";
    ck_assert_int_eq(n, 2 + (long)strlen(json));
    ck_assert_uint_eq(frame[0], 0x81);
    ck_assert_uint_eq(frame[1], strlen(json));                          /* MASK bit 0 */
    ck_assert(memcmp(frame + 2, json, strlen(json)) == 0);
    for (long cap = 0; cap < n; cap++)
        ck_assert_int_eq(presence_ws(&room, 0, frame, (size_t)cap), -2);
    /* a room whose JSON is over 125 bytes: the 16-bit length form */
    char name[8];
    for (int i = 0; i < 20; i++) {
        int k = snprintf(name, sizeof name, "user%d", i);
        presence_join(&room, name, (size_t)k);
    }
    long len = presence_json(&room, 0, text, sizeof text);
    ck_assert_int_gt(len, 125);
    n = presence_ws(&room, 0, frame, sizeof frame);
    ck_assert_int_eq(n, 4 + len);
    ck_assert_uint_eq(frame[1], 126);
    ck_assert_uint_eq((unsigned)frame[2] << 8 | frame[3], (unsigned)len);
    ck_assert(memcmp(frame + 4, text, (size_t)len) == 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("presence");
    TCase *t = tcase_create("presence");
    tcase_add_test(t, join_in_order_once);
    tcase_add_test(t, names_are_checked);
    tcase_add_test(t, room_is_bounded);
    tcase_add_test(t, leave_keeps_order);
    tcase_add_test(t, typing_lasts_exactly);
    tcase_add_test(t, expire_counts_who_stopped);
    tcase_add_test(t, leave_ends_typing);
    tcase_add_test(t, json_capacity);
    tcase_add_test(t, sse_event_block);
    tcase_add_test(t, ws_text_frame);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
