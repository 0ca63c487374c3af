/*
 * bench/histogram.c — the log-linear histogram of histogram.h.
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
    if (ns < (1ULL << HIST_FIRST_OCTAVE))
        return 0;
    int octave = top_bit(ns);
    if (octave > HIST_LAST_OCTAVE)
        return HIST_BUCKETS - 1;
    int sub = (int)(ns >> (octave - HIST_SUB_BITS)) - HIST_SUB;
    return (octave - HIST_FIRST_OCTAVE) * HIST_SUB + sub;
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
    if (ns < HIST_MIN_NS)
        h->under++;
    if (ns > HIST_MAX_NS)
        h->over++;
    h->buckets[hist_bucket_of(ns)]++;
    h->count++;
    h->sum += (double)ns;
    if (ns < h->min)
        h->min = ns;
    if (ns > h->max)
        h->max = ns;
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
    if (h->count == 0)
        return 0;
    if (p >= 100.0)
        return h->max;
    if (p <= 0.0)
        return h->min;
    /* The rank of the value we want: ceil(p% of count), at least 1. */
    double want = p / 100.0 * (double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t mid = hist_bucket_low(i) / 2 + hist_bucket_high(i) / 2;
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}

double hist_mean(const struct histogram *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
