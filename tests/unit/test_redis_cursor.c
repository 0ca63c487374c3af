/*
 * tests/unit/test_redis_cursor.c — the cursor arithmetic of the feed kept
 * in Redis (lesson 10's unit, core/redis_cursor.c), and the two feed
 * functions a mirror uses (feed_publish_at, feed_skip_to).
 *
 * The promise: event N is stream entry "N-0" and nothing else parses as
 * ours; a catch-up asks for exactly what the ring can keep after what we
 * have; a stream we knew is resumed, a new one whose ids start above ours
 * is a gap, one that reuses our ids is a conflict — never a silent resume.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "feed.h"
#include "redis_cursor.h"

/* Event ids and stream ids are the same number: "N-0". */
START_TEST(format_id)
{
    char out[REDIS_CURSOR_ID_MAX];
    ck_assert_int_eq(redis_cursor_format_id(out, sizeof out, 1), 3);
    ck_assert_str_eq(out, "1-0");
    ck_assert_int_eq(redis_cursor_format_id(out, sizeof out, 18446744073709551615ull), 22);
    ck_assert_str_eq(out, "18446744073709551615-0");
    ck_assert_int_eq(redis_cursor_format_id(out, sizeof out, 0), -1);   /* 0-0 is no entry */
    ck_assert_int_eq(redis_cursor_format_id(out, 4, 1234), -1);        /* does not fit */
}
END_TEST

/* Parse table: what is ours, and what is not (echoed on failure). */
static const struct { const char *in; long want; uint64_t id; } parse_cases[] = {
    {"1-0", 3, 1},
    {"42-0", 4, 42},
    {"18446744073709551615-0", 22, 18446744073709551615ull},
    {"18446744073709551616-0", -1, 0},     /* overflow */
    {"0-0", -1, 0},                        /* not an entry */
    {"05-0", -1, 0},                       /* not how we write it */
    {"5-1", -1, 0},                        /* another writer's sequence part */
    {"1700000000000-0x", -1, 0},
    {"-0", -1, 0},
    {"", -1, 0},
    {"12", -1, 0},
    {"a-0", -1, 0},
};

START_TEST(parse_id)
{
    uint64_t id = 0;
    const char *in = parse_cases[_i].in;
    long got = redis_cursor_parse_id(in, strlen(in), &id);
    ck_assert_msg(got == parse_cases[_i].want, "parse \"%s\": %ld, wanted %ld", in, got,
                  parse_cases[_i].want);
    if (got > 0) ck_assert_msg(id == parse_cases[_i].id, "parse \"%s\": id %llu", in,
                               (unsigned long long)id);
}
END_TEST

/* Catch-up table: newest we have, stream's newest, ring size -> first to read. */
static const struct { uint64_t newest, stream, capacity, want; } catchup_cases[] = {
    {0, 0, 8, 1},          /* nothing anywhere: from the start */
    {0, 5, 8, 1},          /* all 5 fit */
    {0, 100, 8, 93},       /* a fresh instance: only the last 8 */
    {50, 100, 8, 93},      /* far behind: the ring keeps the last 8 only */
    {95, 100, 8, 96},      /* a little behind: right after ours */
    {100, 100, 8, 101},    /* up to date */
    {120, 100, 8, 121},    /* ahead of the stream (a new epoch's floor): after ours */
    {0, 3, 0, 3},          /* capacity 0 counts as 1 */
    {7, 7, 1, 8},
};

START_TEST(catchup_from)
{
    uint64_t got = redis_cursor_catchup_from(catchup_cases[_i].newest, catchup_cases[_i].stream,
                                             (size_t)catchup_cases[_i].capacity);
    ck_assert_msg(got == catchup_cases[_i].want, "newest %llu, stream %llu, capacity %llu: %llu, wanted %llu",
                  (unsigned long long)catchup_cases[_i].newest, (unsigned long long)catchup_cases[_i].stream,
                  (unsigned long long)catchup_cases[_i].capacity, (unsigned long long)got,
                  (unsigned long long)catchup_cases[_i].want);
}
END_TEST

/* Epoch table: what we knew, what the stream is now -> the verdict. */
static const struct {
    const char *known_epoch; uint64_t known_newest; const char *epoch; uint64_t floor;
    enum redis_epoch_verdict want;
} epoch_cases[] = {
    {NULL, 0, "aa", 0, REDIS_EPOCH_FIRST},            /* a fresh instance */
    {NULL, 0, "aa", 500, REDIS_EPOCH_FIRST},          /* fresh, joining a stream that had a floor */
    {"aa", 500, "aa", 0, REDIS_EPOCH_SAME},           /* reconnected to the stream we knew */
    {"aa", 500, "aa", 900, REDIS_EPOCH_SAME},         /* same epoch: the floor does not matter */
    {"aa", 500, "bb", 500, REDIS_EPOCH_NEW},          /* restarted empty, ids start above ours */
    {"aa", 500, "bb", 800, REDIS_EPOCH_NEW},          /* someone knew more: 501..800 are gone */
    {"aa", 500, "bb", 499, REDIS_EPOCH_CONFLICT},     /* 500 names another event now */
    {"aa", 500, "bb", 0, REDIS_EPOCH_CONFLICT},       /* a new stream from 1: every id reused */
    {"aa", 500, "aab", 500, REDIS_EPOCH_NEW},         /* a prefix is another epoch */
};

START_TEST(epoch_verdict)
{
    struct redis_known known = {epoch_cases[_i].known_epoch, epoch_cases[_i].known_newest};
    struct redis_stream_state now = {epoch_cases[_i].epoch, epoch_cases[_i].floor};
    enum redis_epoch_verdict got = redis_cursor_epoch(&known, &now);
    ck_assert_msg(got == epoch_cases[_i].want, "knew %s at %llu, stream %s floor %llu: verdict %d, wanted %d",
                  known.epoch ? known.epoch : "(none)", (unsigned long long)known.newest, now.epoch,
                  (unsigned long long)now.floor, got, epoch_cases[_i].want);
}
END_TEST

/* A mirror adds events with the stream's ids; a jump is a gap, never a
 * hole: ids jumped over are reported gone, the ring holds no stale slot. */
START_TEST(mirror_jump_is_a_gap)
{
    struct feed f;
    uint64_t first;
    feed_init(&f, 4);
    ck_assert_ptr_nonnull(feed_publish_at(&f, 10, "ten", 3));        /* a fresh mirror joins at 10 */
    ck_assert_uint_eq(feed_newest(&f), 10);
    ck_assert_uint_eq(feed_oldest(&f), 10);
    ck_assert_int_eq(feed_since(&f, 3, &first), FEED_GAP);            /* 4..9 never came here */
    ck_assert_uint_eq(first, 10);
    ck_assert_int_eq(feed_since(&f, 9, &first), FEED_OK);
    ck_assert_ptr_null(feed_get(&f, 9));
    ck_assert_ptr_null(feed_publish_at(&f, 10, "again", 5));         /* a repeat is ignored */
    ck_assert_ptr_nonnull(feed_publish_at(&f, 11, "eleven", 6));
    ck_assert_ptr_nonnull(feed_publish_at(&f, 14, "fourteen", 8));    /* 12, 13 trimmed away */
    ck_assert_uint_eq(feed_oldest(&f), 14);
    ck_assert_ptr_null(feed_get(&f, 11));
    ck_assert_int_eq(feed_since(&f, 11, &first), FEED_GAP);
    ck_assert_uint_eq(first, 14);
    struct feed_event *ev = feed_get(&f, 14);
    ck_assert_ptr_nonnull(ev);
    ck_assert_uint_eq(ev->id, 14);
    ck_assert(memcmp(feed_json(&f, ev)->data, "{\"id\":14,", 9) == 0);
    feed_free(&f);
}
END_TEST

/* feed_skip_to: a new stream's floor with no event yet. Cursors up to the
 * floor are a gap (below it) or up to date (at it); above it, ahead. */
START_TEST(mirror_skip_to_floor)
{
    struct feed f;
    uint64_t first;
    feed_init(&f, 8);
    feed_publish_at(&f, 1, "a", 1);
    feed_publish_at(&f, 2, "b", 1);
    feed_skip_to(&f, 1);                                              /* below newest: nothing */
    ck_assert_uint_eq(feed_newest(&f), 2);
    ck_assert_ptr_nonnull(feed_get(&f, 1));
    feed_skip_to(&f, 20);
    ck_assert_uint_eq(feed_newest(&f), 20);
    ck_assert_uint_eq(feed_oldest(&f), 21);                           /* nothing kept */
    ck_assert_int_eq(feed_since(&f, 2, &first), FEED_GAP);
    ck_assert_uint_eq(first, 21);
    ck_assert_int_eq(feed_since(&f, 20, &first), FEED_OK);
    ck_assert_int_eq(feed_since(&f, 21, &first), FEED_AHEAD);
    ck_assert_uint_eq(feed_publish_at(&f, 21, "c", 1)->id, 21);
    ck_assert_uint_eq(feed_publish(&f, "d", 1)->id, 22);              /* and on by one */
    ck_assert_uint_eq(feed_oldest(&f), 21);
    feed_free(&f);
}
END_TEST

static Suite *redis_cursor_suite(void)
{
    Suite *s = suite_create("redis_cursor");
    TCase *ids = tcase_create("stream ids");
    tcase_add_test(ids, format_id);
    tcase_add_loop_test(ids, parse_id, 0, sizeof parse_cases / sizeof parse_cases[0]);
    suite_add_tcase(s, ids);
    TCase *cursor = tcase_create("catch-up and epoch");
    tcase_add_loop_test(cursor, catchup_from, 0, sizeof catchup_cases / sizeof catchup_cases[0]);
    tcase_add_loop_test(cursor, epoch_verdict, 0, sizeof epoch_cases / sizeof epoch_cases[0]);
    suite_add_tcase(s, cursor);
    return s;
}

static Suite *feed_mirror_suite(void)
{
    Suite *s = suite_create("feed mirror");
    TCase *t = tcase_create("ids from outside");
    tcase_add_test(t, mirror_jump_is_a_gap);
    tcase_add_test(t, mirror_skip_to_floor);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(redis_cursor_suite());
    srunner_add_suite(sr, feed_mirror_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
