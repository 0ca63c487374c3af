/*
 * tests/unit/test_histogram.c — the latency histogram of bench/histogram.h.
 *
 * The promise under test: from 1 µs to 60 s every percentile is within 1% of
 * the exact value (the design says 0.4%: half of a 1/128 bucket), min, max,
 * count and mean are exact, and out-of-range values are clamped and counted
 * instead of lost.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "histogram.h"

/* The stated error: 1% (buckets are 1/128 of an octave, midpoint reported). */
static const double max_error = 0.01;

static void assert_close(uint64_t got, uint64_t want, const char *what)
{
    double err = fabs((double)got - (double)want) / (double)want;
    ck_assert_msg(err <= max_error, "%s: got %llu ns, want %llu ns (error %.3f%%)",
                  what, (unsigned long long)got, (unsigned long long)want, err * 100);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The exact percentile as hist_percentile defines it: the value of rank
 * ceil(p% of n) in sorted order. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p)
{
    double want = p / 100.0 * (double)n;
    size_t rank = (size_t)want;
    if ((double)rank < want)
        rank++;
    if (rank == 0)
        rank = 1;
    return sorted[rank - 1];
}

/* Every value from 1 µs to 60 s lands in a bucket whose bounds hold it, and
 * no bucket is wider than 1/128 of its smallest value. */
START_TEST(buckets_hold_their_values)
{
    for (uint64_t v = HIST_MIN_NS; v <= HIST_MAX_NS; v = v + v / 37 + 1) {
        int b = hist_bucket_of(v);
        ck_assert_int_ge(b, 0);
        ck_assert_int_lt(b, HIST_BUCKETS);
        ck_assert_msg(hist_bucket_low(b) <= v && v <= hist_bucket_high(b),
                      "%llu not in bucket %d [%llu, %llu]", (unsigned long long)v, b,
                      (unsigned long long)hist_bucket_low(b),
                      (unsigned long long)hist_bucket_high(b));
        uint64_t width = hist_bucket_high(b) - hist_bucket_low(b) + 1;
        ck_assert_msg((double)width / (double)hist_bucket_low(b) <= 1.0 / 128 + 1e-12,
                      "bucket %d too wide", b);
    }
    /* Consecutive buckets tile the range with no hole. */
    for (int b = 0; b + 1 < HIST_BUCKETS; b++)
        ck_assert_uint_eq(hist_bucket_high(b) + 1, hist_bucket_low(b + 1));
}
END_TEST

/* A single value: every percentile is that value, exactly (clamped to min/max). */
START_TEST(single_value_is_exact)
{
    static const uint64_t values[] = { 1000, 12345, 999999, 200000000, 59000000000ULL };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        struct histogram h;
        hist_init(&h);
        hist_record(&h, values[i]);
        ck_assert_uint_eq(hist_percentile(&h, 50), values[i]);
        ck_assert_uint_eq(hist_percentile(&h, 99.9), values[i]);
        ck_assert_uint_eq(hist_percentile(&h, 100), values[i]);
        ck_assert_uint_eq(h.count, 1);
    }
}
END_TEST

/* 1..100 ms, one sample each: p50 = 50 ms, p90 = 90 ms, p99 = 99 ms within 1%. */
START_TEST(uniform_known_percentiles)
{
    struct histogram h;
    hist_init(&h);
    for (uint64_t ms = 1; ms <= 100; ms++)
        hist_record(&h, ms * 1000000);
    assert_close(hist_percentile(&h, 50), 50000000, "p50");
    assert_close(hist_percentile(&h, 90), 90000000, "p90");
    assert_close(hist_percentile(&h, 99), 99000000, "p99");
    ck_assert_uint_eq(hist_percentile(&h, 100), 100000000);
    ck_assert_uint_eq(hist_percentile(&h, 0), 1000000);
    ck_assert(fabs(hist_mean(&h) - 50.5e6) < 1.0);
}
END_TEST

/* Random samples spread log-uniformly over 1 µs..60 s: every percentile we
 * report is within 1% of the exact one computed by sorting. */
START_TEST(random_samples_within_error)
{
    enum { N = 100000 };
    uint64_t *v = malloc(N * sizeof *v);
    ck_assert_ptr_nonnull(v);
    struct histogram h;
    hist_init(&h);
    srand(42);
    for (size_t i = 0; i < N; i++) {
        double u = (double)rand() / RAND_MAX;                  /* 0..1 */
        v[i] = (uint64_t)(1000.0 * pow(6e7, u));               /* 1 µs..60 s */
        hist_record(&h, v[i]);
    }
    qsort(v, N, sizeof *v, compare_u64);
    static const double ps[] = { 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99 };
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        char what[32];
        snprintf(what, sizeof what, "p%g", ps[i]);
        assert_close(hist_percentile(&h, ps[i]), exact_percentile(v, N, ps[i]), what);
    }
    ck_assert_uint_eq(h.min, v[0]);
    ck_assert_uint_eq(h.max, v[N - 1]);
    ck_assert_uint_eq(h.count, N);
    free(v);
}
END_TEST

/* A coordinated-omission shaped sample: 990 fast deliveries and 10 stalled
 * ones: p99 must still see the fast ones, p99.9 and max the stall. */
START_TEST(tail_is_not_hidden)
{
    struct histogram h;
    hist_init(&h);
    for (int i = 0; i < 990; i++)
        hist_record(&h, 20000);               /* 20 µs */
    for (int i = 0; i < 10; i++)
        hist_record(&h, 200000000);           /* 200 ms */
    assert_close(hist_percentile(&h, 99), 20000, "p99");
    assert_close(hist_percentile(&h, 99.9), 200000000, "p99.9");
    ck_assert_uint_eq(hist_percentile(&h, 100), 200000000);
}
END_TEST

/* Out of range: counted as under/over, clamped into the end buckets, and
 * min/max stay exact. */
START_TEST(out_of_range_is_counted)
{
    struct histogram h;
    hist_init(&h);
    hist_record(&h, 10);
    hist_record(&h, 120000000000ULL);
    ck_assert_uint_eq(h.under, 1);
    ck_assert_uint_eq(h.over, 1);
    ck_assert_uint_eq(h.count, 2);
    ck_assert_uint_eq(h.min, 10);
    ck_assert_uint_eq(hist_percentile(&h, 100), 120000000000ULL);
    ck_assert_uint_eq(hist_percentile(&h, 0), 10);
}
END_TEST

/* The edges of the range belong to it: exactly HIST_MIN_NS is not under,
 * exactly HIST_MAX_NS is not over; one nanosecond beyond either is. */
START_TEST(range_edges_are_inside)
{
    struct histogram h;
    hist_init(&h);
    hist_record(&h, HIST_MIN_NS);
    hist_record(&h, HIST_MAX_NS);
    ck_assert_uint_eq(h.under, 0);
    ck_assert_uint_eq(h.over, 0);
    hist_record(&h, HIST_MIN_NS - 1);
    hist_record(&h, HIST_MAX_NS + 1);
    ck_assert_uint_eq(h.under, 1);
    ck_assert_uint_eq(h.over, 1);
}
END_TEST

/* The rank of a percentile is rounded up, never down: of 1, 10 and 100 ms,
 * p34 and p50 are the second value (rank ceil(1.02) = ceil(1.5) = 2), p67
 * the third (ceil(2.01) = 3), p33 the first (ceil(0.99) = 1). */
START_TEST(rank_is_rounded_up)
{
    struct histogram h;
    hist_init(&h);
    hist_record(&h, 1000000);
    hist_record(&h, 10000000);
    hist_record(&h, 100000000);
    assert_close(hist_percentile(&h, 33), 1000000, "p33");
    assert_close(hist_percentile(&h, 34), 10000000, "p34");
    assert_close(hist_percentile(&h, 50), 10000000, "p50");
    assert_close(hist_percentile(&h, 67), 100000000, "p67");
}
END_TEST

/* Merging two histograms equals recording everything into one. */
START_TEST(merge_equals_one_histogram)
{
    static struct histogram a, b, all;
    hist_init(&a);
    hist_init(&b);
    hist_init(&all);
    for (uint64_t v = 1000; v < 100000000; v = v * 3 / 2) {
        hist_record(v % 2 ? &a : &b, v);
        hist_record(&all, v);
    }
    hist_merge(&a, &b);
    ck_assert_uint_eq(a.count, all.count);
    ck_assert_uint_eq(a.min, all.min);
    ck_assert_uint_eq(a.max, all.max);
    for (double p = 0; p <= 100; p += 12.5)
        ck_assert_uint_eq(hist_percentile(&a, p), hist_percentile(&all, p));
}
END_TEST

/* An empty histogram answers 0 everywhere. */
START_TEST(empty_answers_zero)
{
    struct histogram h;
    hist_init(&h);
    ck_assert_uint_eq(hist_percentile(&h, 50), 0);
    ck_assert(hist_mean(&h) == 0.0);
}
END_TEST

static Suite *histogram_suite(void)
{
    Suite *s = suite_create("histogram");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, buckets_hold_their_values);
    tcase_add_test(tc, single_value_is_exact);
    tcase_add_test(tc, uniform_known_percentiles);
    tcase_add_test(tc, random_samples_within_error);
    tcase_add_test(tc, tail_is_not_hidden);
    tcase_add_test(tc, range_edges_are_inside);
    tcase_add_test(tc, rank_is_rounded_up);
    tcase_add_test(tc, out_of_range_is_counted);
    tcase_add_test(tc, merge_equals_one_histogram);
    tcase_add_test(tc, empty_answers_zero);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(histogram_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
