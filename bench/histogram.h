/*
 * bench/histogram.h — a log-linear latency histogram: 1 µs to 60 s, under 1%
 * error, fixed memory, O(1) record.
 *
 * Why log-linear: latencies span seven decades (a loopback push takes ~10 µs,
 * a stalled server 200 ms, a long poll 25 s). Linear buckets would need
 * billions; pure powers of two would be up to 100% wrong. So each power of
 * two ("octave") is cut into HIST_SUB equal buckets: a bucket is never wider
 * than 1/HIST_SUB of the values in it, and reporting its midpoint is off by at
 * most half of that, 1/256 = 0.39%. (The same idea as HdrHistogram's.)
 *
 * Values are nanoseconds. Values under HIST_MIN_NS are counted in the first
 * bucket, values over HIST_MAX_NS in the last, and both are counted apart
 * (under, over) so a report can say so; min, max and the mean stay exact.
 *
 * Interface:
 *   hist_init, hist_record, hist_merge
 *   hist_percentile   the value at a percentile (0..100)
 *   hist_mean         the exact mean (the count is the field h->count)
 *   struct histogram
 */
#ifndef RTLAB_HISTOGRAM_H
#define RTLAB_HISTOGRAM_H

#include <stdint.h>

enum {
    HIST_SUB_BITS = 7,                          /* 128 buckets per octave */
    HIST_SUB = 1 << HIST_SUB_BITS,
    HIST_FIRST_OCTAVE = 9,                      /* 2^9 ns = 512 ns <= 1 µs */
    HIST_LAST_OCTAVE = 35,                      /* 2^35 ns = 34 s; 60 s < 2^36 */
    HIST_BUCKETS = (HIST_LAST_OCTAVE - HIST_FIRST_OCTAVE + 1) * HIST_SUB,
};

#define HIST_MIN_NS 1000ULL                     /* 1 µs */
#define HIST_MAX_NS 60000000000ULL              /* 60 s */

struct histogram {
    uint64_t count;            /* values recorded */
    uint64_t under, over;      /* how many were below HIST_MIN_NS / above HIST_MAX_NS */
    uint64_t min, max;         /* exact, ns (min is UINT64_MAX while empty) */
    double sum;                /* exact sum, ns, for the mean */
    uint64_t buckets[HIST_BUCKETS];
};

/* Empty the histogram. */
void hist_init(struct histogram *h);
/* Count one value (ns). Never fails: out-of-range values are clamped. */
void hist_record(struct histogram *h, uint64_t ns);
/* Add every value of `from` into `into`. */
void hist_merge(struct histogram *into, const struct histogram *from);
/* The value (ns) at percentile p in [0, 100]: the smallest recorded value v
 * such that at least p% of values are <= v, to within 0.4% (bucket
 * midpoint, kept inside [min, max]). 0 when empty. p = 100 gives max. */
uint64_t hist_percentile(const struct histogram *h, double p);
/* The exact mean (ns), 0 when empty. */
double hist_mean(const struct histogram *h);

/* Bucket arithmetic, exposed for the unit test. */
int hist_bucket_of(uint64_t ns);
uint64_t hist_bucket_low(int bucket);   /* smallest value in the bucket */
uint64_t hist_bucket_high(int bucket);  /* largest value in the bucket */

#endif
