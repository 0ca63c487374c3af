/*
 * tests/unit/test_poll_batch.c — the batch encoder of both polling servers
 * (polling/poll_batch.h), answer by answer.
 *
 * The promise: for a cursor `since`, the answer is
 * {"next":M,["gap":true,]"events":[...]} with every kept event after since,
 * in order, as the feed's JSON; `next` is the last id sent (since itself
 * when none); "gap" exactly when events after since are gone; at most
 * POLL_MAX_BYTES of events but never none when there is one; -2 and nothing
 * counted when the buffer is too small; poll_batch_size says exactly what
 * the encoder writes.
 *
 * Suites:
 *   answers  every event count and every cursor; a gap; escapes; an ahead cursor
 *   limit    POLL_MAX_BYTES splits a backlog; one huge event still goes alone
 *   room     every buffer one byte short gives -2; size agrees with the encoder
 *   news     poll_batch_has_news, the question long polling parks on
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poll_batch.h"   /* -Ipolling, see polling/module.mk */

static struct feed f;

/* Publish events "e1", "e2", ... up to id n (continuing the feed's ids). */
static void publish_upto(uint64_t n)
{
    char text[32];
    while (feed_newest(&f) < n) {
        int len = snprintf(text, sizeof text, "e%llu", (unsigned long long)feed_newest(&f) + 1);
        feed_json(&f, feed_publish(&f, text, (size_t)len));
    }
}

/* The answer we expect for events e<from> .. e<to> (none when to < from). */
static void expected(char *out, size_t cap, uint64_t next, int gap, uint64_t from, uint64_t to)
{
    size_t at = (size_t)snprintf(out, cap, "{\"next\":%llu,%s\"events\":[",
                                 (unsigned long long)next, gap ? "\"gap\":true," : "");
    for (uint64_t id = from; id <= to && to >= from; id++)
        at += (size_t)snprintf(out + at, cap - at, "%s{\"id\":%llu,\"data\":\"e%llu\"}",
                               id > from ? "," : "", (unsigned long long)id,
                               (unsigned long long)id);
    snprintf(out + at, cap - at, "]}\n");
}

/* Encode the answer for `since` into a roomy buffer, NUL-terminated; check
 * that poll_batch_size agrees with what was written. */
static long encode(uint64_t since, char *out, size_t cap, size_t *count)
{
    memset(out, 0, cap);
    long n = poll_batch_encode(out, cap - 1, &f, since, count);
    ck_assert_msg(n > 0, "since=%llu: %ld", (unsigned long long)since, n);
    ck_assert_msg((size_t)n == poll_batch_size(&f, since),
                  "since=%llu: wrote %ld, size says %zu", (unsigned long long)since, n,
                  poll_batch_size(&f, since));
    out[n] = '\0';
    return n;
}

/* ==== answers ==== */

/* For a feed holding 0, 1, ... 6 events (nothing wrapped yet), every cursor
 * from 0 to the newest gets exactly the events after it, and next is the
 * last one sent, or the cursor itself when there is nothing new. */
START_TEST(every_count_every_cursor)
{
    uint64_t n = (uint64_t)_i;
    feed_init(&f, 8);
    publish_upto(n);
    for (uint64_t since = 0; since <= n; since++) {
        char out[512], want[512];
        size_t count;
        encode(since, out, sizeof out, &count);
        expected(want, sizeof want, since < n ? n : since, 0, since + 1, n);
        ck_assert_msg(strcmp(out, want) == 0, "%llu events, since=%llu:\n got %s\nwant %s",
                      (unsigned long long)n, (unsigned long long)since, out, want);
        ck_assert_uint_eq(count, n - since);
    }
    feed_free(&f);
}
END_TEST

/* A ring of 3 holding events 3..5 (1 and 2 wrapped away): a cursor before
 * the oldest kept gets what is kept and "gap":true; one right before the
 * oldest kept has missed nothing. */
static const struct { uint64_t since; int gap; uint64_t from; } gap_cases[] = {
    {0, 1, 3},     /* 1 and 2 are gone */
    {1, 1, 3},     /* 2 is gone */
    {2, 0, 3},     /* exactly the oldest kept is next: no gap */
    {4, 0, 5},
    {5, 0, 6},     /* up to date: nothing, no gap */
};

START_TEST(gap_after_wraparound)
{
    feed_init(&f, 3);
    publish_upto(5);
    char out[512], want[512];
    size_t count;
    encode(gap_cases[_i].since, out, sizeof out, &count);
    uint64_t next = gap_cases[_i].from <= 5 ? 5 : gap_cases[_i].since;
    expected(want, sizeof want, next, gap_cases[_i].gap, gap_cases[_i].from, 5);
    ck_assert_msg(strcmp(out, want) == 0, "since=%llu:\n got %s\nwant %s",
                  (unsigned long long)gap_cases[_i].since, out, want);
    ck_assert_uint_eq(count, 6 - gap_cases[_i].from);
    feed_free(&f);
}
END_TEST

/* Event data is carried as the feed escaped it (RFC 8259 §7): quotes,
 * backslashes and control bytes escaped, UTF-8 untouched. The encoder adds
 * nothing and loses nothing. */
START_TEST(escapes_are_kept)
{
    feed_init(&f, 4);
    static const char tricky[] = "a\"b\\c\nd\t\001\000";  /* NUL included */
    feed_json(&f, feed_publish(&f, tricky, sizeof tricky - 1));
    feed_json(&f, feed_publish(&f, "\xc3\xa9t\xc3\xa9 </script>", 15));
    char out[512];
    size_t count;
    encode(0, out, sizeof out, &count);
    ck_assert_str_eq(out, "{\"next\":2,\"events\":["
                          "{\"id\":1,\"data\":\"a\\\"b\\\\c\\nd\\t\\u0001\\u0000\"},"
                          "{\"id\":2,\"data\":\"\xc3\xa9t\xc3\xa9 </script>\"}]}\n");
    ck_assert_uint_eq(count, 2);
    feed_free(&f);
}
END_TEST

/* A cursor past the newest event (the servers answer it 400 before asking
 * the encoder) still gets a well-formed empty answer that keeps the cursor. */
START_TEST(ahead_cursor_is_empty)
{
    feed_init(&f, 4);
    publish_upto(2);
    char out[128];
    size_t count = 99;
    encode(9, out, sizeof out, &count);
    ck_assert_str_eq(out, "{\"next\":9,\"events\":[]}\n");
    ck_assert_uint_eq(count, 0);
    feed_free(&f);
}
END_TEST

/* ==== limit ==== */

/* Publish an event of `len` bytes of 'x'. */
static void publish_big(size_t len)
{
    char *data = malloc(len);
    ck_assert_ptr_nonnull(data);
    memset(data, 'x', len);
    feed_json(&f, feed_publish(&f, data, len));
    free(data);
}

/* Three events of 100 KiB: two fit in POLL_MAX_BYTES (256 KiB), the third
 * waits for the next poll, which names next = 2 and gets it. */
START_TEST(limit_splits_a_backlog)
{
    feed_init(&f, 8);
    for (int i = 0; i < 3; i++) publish_big(100 * 1024);
    size_t cap = 2 * POLL_MAX_BYTES, count;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    long n = encode(0, out, cap, &count);
    ck_assert_uint_eq(count, 2);
    ck_assert_uint_le((size_t)n, POLL_MAX_BYTES + 64);
    ck_assert(strncmp(out, "{\"next\":2,\"events\":[", 20) == 0);
    encode(2, out, cap, &count);
    ck_assert_uint_eq(count, 1);
    ck_assert(strncmp(out, "{\"next\":3,\"events\":[{\"id\":3,", 28) == 0);
    free(out);
    feed_free(&f);
}
END_TEST

/* One event larger than POLL_MAX_BYTES is still sent, alone: a limit that
 * held it back would leave the client stuck behind it for ever. */
START_TEST(huge_event_goes_alone)
{
    feed_init(&f, 8);
    publish_big(POLL_MAX_BYTES + 1000);
    publish_upto(2);
    size_t cap = 2 * POLL_MAX_BYTES, count;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    long n = encode(0, out, cap, &count);
    ck_assert_uint_eq(count, 1);
    ck_assert_uint_gt((size_t)n, POLL_MAX_BYTES);
    ck_assert(strncmp(out, "{\"next\":1,", 10) == 0);
    free(out);
    feed_free(&f);
}
END_TEST

/* ==== room ==== */

/* For every event count and cursor (and a gap), a buffer of exactly
 * poll_batch_size bytes is enough, and one byte less gives -2 with nothing
 * counted; so does no buffer at all. */
START_TEST(one_byte_short)
{
    uint64_t n = (uint64_t)_i;
    feed_init(&f, 4);                               /* past 4 events: a gap */
    publish_upto(n);
    for (uint64_t since = 0; since <= n; since++) {
        size_t need = poll_batch_size(&f, since), count = 99;
        char *out = malloc(need);
        ck_assert_ptr_nonnull(out);
        ck_assert_int_eq(poll_batch_encode(out, need, &f, since, &count), (long)need);
        ck_assert_int_eq(poll_batch_encode(out, need - 1, &f, since, &count), -2);
        ck_assert_msg(count == 0, "%llu events, since=%llu: count %zu after -2",
                      (unsigned long long)n, (unsigned long long)since, count);
        ck_assert_int_eq(poll_batch_encode(NULL, 0, &f, since, &count), -2);
        free(out);
    }
    feed_free(&f);
}
END_TEST

/* ==== news ==== */

/* A ring of 3 holding 3..5: a cursor behind the newest has news (a gap is
 * news too); an up-to-date or ahead cursor has none, and long polling parks. */
static const struct { uint64_t since; int news; } news_cases[] = {
    {0, 1}, {2, 1}, {4, 1}, {5, 0}, {6, 0}, {1000, 0},
};

START_TEST(has_news)
{
    feed_init(&f, 3);
    publish_upto(5);
    ck_assert_msg(poll_batch_has_news(&f, news_cases[_i].since) == news_cases[_i].news,
                  "since=%llu", (unsigned long long)news_cases[_i].since);
    feed_free(&f);
}
END_TEST

/* An empty feed has no news for cursor 0. */
START_TEST(empty_feed_has_no_news)
{
    feed_init(&f, 3);
    ck_assert_int_eq(poll_batch_has_news(&f, 0), 0);
    char out[64];
    size_t count;
    encode(0, out, sizeof out, &count);
    ck_assert_str_eq(out, "{\"next\":0,\"events\":[]}\n");
    feed_free(&f);
}
END_TEST

static Suite *poll_batch_suite(void)
{
    Suite *s = suite_create("poll_batch");
    TCase *answers = tcase_create("answers");
    tcase_add_loop_test(answers, every_count_every_cursor, 0, 7);
    tcase_add_loop_test(answers, gap_after_wraparound, 0, sizeof gap_cases / sizeof gap_cases[0]);
    tcase_add_test(answers, escapes_are_kept);
    tcase_add_test(answers, ahead_cursor_is_empty);
    suite_add_tcase(s, answers);
    TCase *limit = tcase_create("limit");
    tcase_add_test(limit, limit_splits_a_backlog);
    tcase_add_test(limit, huge_event_goes_alone);
    suite_add_tcase(s, limit);
    TCase *room = tcase_create("room");
    tcase_add_loop_test(room, one_byte_short, 0, 8);
    suite_add_tcase(s, room);
    TCase *news = tcase_create("news");
    tcase_add_loop_test(news, has_news, 0, sizeof news_cases / sizeof news_cases[0]);
    tcase_add_test(news, empty_feed_has_no_news);
    suite_add_tcase(s, news);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(poll_batch_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
