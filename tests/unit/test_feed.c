/*
 * tests/unit/test_feed.c — the feed: numbering, the ring, and the cursor.
 *
 * The promise to clients: events are numbered 1, 2, 3, ...; a client that
 * names the last id it saw gets every newer event still kept, in order,
 * exactly once; when some are gone it is told (FEED_GAP); a cursor from the
 * future is recognised (FEED_AHEAD).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "feed.h"

static struct feed f;

static void publish_n(int n)
{
    char text[32];
    for (int i = 0; i < n; i++) {
        int len = snprintf(text, sizeof text, "event %llu", (unsigned long long)f.newest + 1);
        feed_publish(&f, text, (size_t)len);
    }
}

/* Ids count up from 1 and each event keeps its data and its JSON form. */
START_TEST(numbering_and_json)
{
    feed_init(&f, 4);
    ck_assert_uint_eq(feed_newest(&f), 0);
    struct feed_event *ev = feed_publish(&f, "say \"hi\"\n", 9);
    ck_assert_uint_eq(ev->id, 1);
    ck_assert_uint_eq(ev->data->len, 9);
    const char *want = "{\"id\":1,\"data\":\"say \\\"hi\\\"\\n\"}";
    ck_assert_ptr_null(ev->json);                     /* made on first use only */
    ck_assert_uint_eq(feed_json(&f, ev)->len, strlen(want));
    ck_assert(memcmp(ev->json->data, want, strlen(want)) == 0);
    ck_assert_uint_eq(feed_publish(&f, "", 0)->id, 2);
    feed_free(&f);
}
END_TEST

/* Cursor table: for a ring of 4 holding events 3..6 (two wrapped away),
 * what each `since` gets. */
static const struct { uint64_t since; enum feed_cursor want; uint64_t first; } cursor_cases[] = {
    {0, FEED_GAP, 3},      /* 1 and 2 are gone */
    {1, FEED_GAP, 3},      /* 2 is gone */
    {2, FEED_OK, 3},       /* exactly the oldest kept is next */
    {4, FEED_OK, 5},
    {6, FEED_OK, 7},       /* up to date: nothing new */
    {7, FEED_AHEAD, 7},    /* from a previous life of the server */
    {1000, FEED_AHEAD, 7},
};

START_TEST(cursor_after_wraparound)
{
    feed_init(&f, 4);
    publish_n(6);
    ck_assert_uint_eq(feed_oldest(&f), 3);
    uint64_t first;
    enum feed_cursor got = feed_since(&f, cursor_cases[_i].since, &first);
    ck_assert_msg(got == cursor_cases[_i].want && first == cursor_cases[_i].first,
                  "since=%llu: got %d first=%llu, want %d first=%llu",
                  (unsigned long long)cursor_cases[_i].since, got, (unsigned long long)first,
                  cursor_cases[_i].want, (unsigned long long)cursor_cases[_i].first);
    feed_free(&f);
}
END_TEST

/* feed_get finds exactly the kept events, each with its own data, across
 * many wrap-arounds. */
START_TEST(get_across_many_wraps)
{
    feed_init(&f, 5);
    publish_n(103);
    ck_assert_ptr_null(feed_get(&f, 0));
    ck_assert_ptr_null(feed_get(&f, 98));
    ck_assert_ptr_null(feed_get(&f, 104));
    for (uint64_t id = 99; id <= 103; id++) {
        struct feed_event *ev = feed_get(&f, id);
        ck_assert_ptr_nonnull(ev);
        ck_assert_uint_eq(ev->id, id);
        char want[32];
        int n = snprintf(want, sizeof want, "event %llu", (unsigned long long)id);
        ck_assert_uint_eq(ev->data->len, (size_t)n);
        ck_assert(memcmp(ev->data->data, want, (size_t)n) == 0);
    }
    feed_free(&f);
}
END_TEST

/* An empty feed: since=0 is up to date, anything else is ahead. */
START_TEST(empty_feed)
{
    feed_init(&f, 3);
    uint64_t first;
    ck_assert_int_eq(feed_since(&f, 0, &first), FEED_OK);
    ck_assert_uint_eq(first, 1);
    ck_assert_int_eq(feed_since(&f, 1, &first), FEED_AHEAD);
    feed_free(&f);
}
END_TEST

/* The wire slot is released with its event when the ring drops it. */
START_TEST(wire_released_with_event)
{
    feed_init(&f, 1);
    struct feed_event *ev = feed_publish(&f, "a", 1);
    struct chunk *wire = chunk_from("encoded", 7);
    ev->wire = chunk_ref(wire);
    ck_assert_uint_eq(wire->refs, 2);
    feed_publish(&f, "b", 1);                       /* drops event 1 */
    ck_assert_uint_eq(wire->refs, 1);
    chunk_unref(wire);
    feed_free(&f);
}
END_TEST

/* The byte budget: large events push the oldest out before the ring is
 * full; the kept ones read as a gap from the cursor's side; the newest is
 * kept even when it alone is over the budget; bytes count every chunk an
 * event holds (its wire encoding too, once accounted) and go back to zero. */
START_TEST(budget_drops_oldest_by_bytes)
{
    static char big[4000];
    memset(big, 'x', sizeof big);
    feed_init(&f, 100);
    f.budget = 3 * (sizeof big + 100);                /* the data of about 3 events */
    for (int i = 0; i < 10; i++) feed_publish(&f, big, sizeof big);
    ck_assert_uint_eq(feed_newest(&f), 10);
    ck_assert_uint_le(f.bytes, f.budget);
    ck_assert_uint_ge(feed_oldest(&f), 8);            /* at most 3 kept, not 10 */
    ck_assert_ptr_null(feed_get(&f, feed_oldest(&f) - 1));
    ck_assert_ptr_nonnull(feed_get(&f, feed_oldest(&f)));
    uint64_t first;
    ck_assert_int_eq(feed_since(&f, 2, &first), FEED_GAP);
    ck_assert_uint_eq(first, feed_oldest(&f));

    struct feed_event *ev = feed_get(&f, 10);         /* an encoding counts too */
    size_t before = f.bytes;
    ck_assert_uint_eq(feed_json(&f, ev)->len, 6 + 2 + 9 + sizeof big + 2);   /* {"id":10,"data":"x..."} */
    ck_assert_uint_eq(f.bytes, before + sizeof(struct chunk) + ev->json->cap);
    feed_trim(&f);
    ck_assert_uint_le(f.bytes, f.budget);
    ck_assert_ptr_nonnull(feed_get(&f, 10));          /* the newest stays */
    before = f.bytes;
    ev->wire = chunk_new(sizeof big);
    ev->wire->len = sizeof big;
    feed_account(&f, ev);
    ck_assert_uint_eq(f.bytes, before + sizeof(struct chunk) + sizeof big);
    feed_trim(&f);
    ck_assert_uint_le(f.bytes, f.budget);

    f.budget = 10;                                    /* smaller than any event */
    feed_publish(&f, big, sizeof big);
    ck_assert_uint_eq(feed_oldest(&f), 11);           /* only the newest is left */
    ck_assert_ptr_nonnull(feed_get(&f, 11));
    feed_free(&f);
    ck_assert_uint_eq(f.bytes, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("feed");
    TCase *t = tcase_create("ring and cursor");
    tcase_add_test(t, numbering_and_json);
    tcase_add_loop_test(t, cursor_after_wraparound, 0, (int)(sizeof cursor_cases / sizeof cursor_cases[0]));
    tcase_add_test(t, get_across_many_wraps);
    tcase_add_test(t, empty_feed);
    tcase_add_test(t, wire_released_with_event);
    tcase_add_test(t, budget_drops_oldest_by_bytes);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
