/*
 * lessons/08-measuring/histogram.c — YOUR copy of bench/histogram.c, the
 * log-linear latency histogram every loadgen delivery is timed into (the
 * contract and why it is built this way are in bench/histogram.h).
 *
 * Yours: hist_bucket_of, hist_record and hist_percentile (look for
 * TODO(student)). The bucket edges, merge and mean are given.
 *
 *   make lesson N=08             what works, what does not, in plain words
 *   make lesson N=08 SERVER=1    bin/loadgen with your histogram, measuring
 *                                bin/sse for a few seconds
 *
 * A value v in octave e (2^e <= v < 2^(e+1)) keeps its top HIST_SUB_BITS
 * bits after the leading one: that is its bucket inside the octave. Every
 * bucket of octave e is 2^(e - HIST_SUB_BITS) wide, at most 1/128 of v.
 */
#include "histogram.h"

#include <string.h>

void hist_init(struct histogram *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

/* Index of the highest set bit of v (v > 0). */
static int top_bit(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

int hist_bucket_of(uint64_t ns)
{
    /* TODO(student): the bucket of a value, in O(1), no loop:
     *   - under 2^HIST_FIRST_OCTAVE: bucket 0;
     *   - its octave e is the index of its highest set bit (top_bit);
     *     over HIST_LAST_OCTAVE: the last bucket, HIST_BUCKETS - 1;
     *   - inside the octave, the HIST_SUB_BITS bits after the leading one
     *     say which of the HIST_SUB buckets: (ns >> (e - HIST_SUB_BITS)) - HIST_SUB;
     *   - octaves are laid out one after the other, HIST_SUB buckets each.
     * It must agree with hist_bucket_low/high below: low <= ns <= high. */
    (void)ns;
    (void)top_bit;             /* delete once you use it */
    return 0;
}

uint64_t hist_bucket_low(int bucket)
{
    int octave = HIST_FIRST_OCTAVE + bucket / HIST_SUB;
    uint64_t sub = (uint64_t)(bucket % HIST_SUB);
    return (HIST_SUB + sub) << (octave - HIST_SUB_BITS);
}

uint64_t hist_bucket_high(int bucket)
{
    int octave = HIST_FIRST_OCTAVE + bucket / HIST_SUB;
    return hist_bucket_low(bucket) + (1ULL << (octave - HIST_SUB_BITS)) - 1;
}

void hist_record(struct histogram *h, uint64_t ns)
{
    /* TODO(student): count one value: its bucket, count, sum (for the
     * exact mean), min and max; and, apart, whether it was under
     * HIST_MIN_NS or over HIST_MAX_NS (a report must say when values fell
     * off the scale instead of hiding them in the end buckets). */
    (void)h;
    (void)ns;
}

void hist_merge(struct histogram *into, const struct histogram *from)
{
    for (int i = 0; i < HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
    into->count += from->count;
    into->under += from->under;
    into->over += from->over;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t hist_percentile(const struct histogram *h, double p)
{
    /* TODO(student): the value at percentile p (see histogram.h): 0 when
     * empty; p <= 0 gives min, p >= 100 max. Otherwise the rank you want
     * is ceil(p/100 * count) (at least 1): walk the buckets adding up
     * counts until you reach that rank, and answer that bucket's midpoint,
     * kept inside [min, max]. The special problem of the tail: p99 of 100
     * values is the 99th smallest, and p99.9 of them is the largest: never
     * round a rank down, or a stall hides. */
    (void)h;
    (void)p;
    return 0;
}

double hist_mean(const struct histogram *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
