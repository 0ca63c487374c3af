/*
 * core/buf.c — growable buffers, shared chunks and out queues; see buf.h.
 */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "rtlab: out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "rtlab: out of memory (%zu bytes)\n", n);
        abort();
    }
    return q;
}

/* ==== struct buf ==== */

void buf_append(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n) cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {                 /* all used: an idle connection holds nothing */
        buf_free(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ==== Spare blocks ====
 *
 * Every answer to a request needs two small blocks for a moment: a private
 * chunk for its head (PRIVATE_CHUNK bytes) and, when the connection's queue
 * was empty, a ring of RING_SLOTS segments. Both are freed once the answer
 * is written, so an idle connection holds nothing. glibc keeps seven freed
 * blocks of a size at hand; fifty connections answered in one loop pass
 * need fifty, and past the seventh each one took malloc's slow path
 * (measured with callgrind: ~900 of the ~4 350 instructions a short poll
 * cost). So freed blocks of exactly these two sizes wait here, up to
 * SPARE_MAX of each (at most ~270 KiB in all), for the next answer.
 *
 * Under AddressSanitizer the spares are off: a block reused from here would
 * hide a use-after-free from it. */

#define RING_SLOTS 4
#define SPARE_MAX 256
#define PRIVATE_CHUNK (1024 - sizeof(struct chunk))  /* 1 KiB in all, header included */

#if defined(__SANITIZE_ADDRESS__)
#define SPARES_ON 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPARES_ON 0
#endif
#endif
#ifndef SPARES_ON
#define SPARES_ON 1
#endif

struct spare { struct spare *next; };
struct spares { struct spare *top; unsigned count; };
static struct spares spare_chunks, spare_rings;

/* A block from the spares, or NULL when there is none. */
static void *spare_take(struct spares *s)
{
    struct spare *b = s->top;
    if (!b) return NULL;
    s->top = b->next;
    s->count--;
    return b;
}

/* Keep p for later, or free it when enough are kept already. */
static void spare_give(struct spares *s, void *p)
{
    if (!SPARES_ON || s->count >= SPARE_MAX) {
        free(p);
        return;
    }
    struct spare *b = p;
    b->next = s->top;
    s->top = b;
    s->count++;
}

/* ==== struct chunk ==== */

struct chunk *chunk_new(size_t cap)
{
    struct chunk *c = cap == PRIVATE_CHUNK ? spare_take(&spare_chunks) : NULL;
    if (!c) c = xmalloc(sizeof *c + cap);
    c->refs = 1;
    c->len = 0;
    c->cap = cap;
    return c;
}

struct chunk *chunk_from(const void *p, size_t n)
{
    struct chunk *c = chunk_new(n);
    memcpy(c->data, p, n);
    c->len = n;
    return c;
}

struct chunk *chunk_ref(struct chunk *c)
{
    c->refs++;
    return c;
}

void chunk_unref(struct chunk *c)
{
    if (!c || --c->refs > 0) return;
    if (c->cap == PRIVATE_CHUNK) spare_give(&spare_chunks, c);
    else free(c);
}

/* ==== struct outq ==== */

/* Slot i (0 = oldest) of the ring. */
static struct outq_seg *outq_at(const struct outq *q, unsigned i)
{
    return &q->segs[(q->head + i) & (q->cap - 1)];
}

/* Make room for one more segment, doubling the ring (kept a power of two). */
static void outq_grow(struct outq *q)
{
    if (q->count < q->cap) return;
    unsigned cap = q->cap ? q->cap * 2 : RING_SLOTS;
    struct outq_seg *segs = cap == RING_SLOTS ? spare_take(&spare_rings) : NULL;
    if (!segs) segs = xmalloc(cap * sizeof *segs);
    for (unsigned i = 0; i < q->count; i++) segs[i] = *outq_at(q, i);
    if (q->cap == RING_SLOTS) spare_give(&spare_rings, q->segs);
    else free(q->segs);
    q->segs = segs;
    q->cap = cap;
    q->head = 0;
}

void outq_push(struct outq *q, struct chunk *c)
{
    if (c->len == 0) return;
    outq_grow(q);
    struct outq_seg *s = outq_at(q, q->count++);
    s->chunk = chunk_ref(c);
    s->off = 0;
    q->bytes += c->len;
}

/* Own bytes go at the end of the last chunk when this queue is its only
 * owner and it has room (a response head followed by its body, many small
 * pipelined answers); otherwise into a new private chunk of at least 1 KiB. */
void outq_copy(struct outq *q, const void *p, size_t n)
{
    if (n == 0) return;
    if (q->count > 0) {
        struct chunk *last = outq_at(q, q->count - 1)->chunk;
        if (last->refs == 1 && last->cap - last->len >= n) {
            memcpy(last->data + last->len, p, n);
            last->len += n;
            q->bytes += n;
            return;
        }
    }
    /* A head (~250 B) and a small body fit in one spare-sized chunk. */
    struct chunk *c = chunk_new(n < PRIVATE_CHUNK ? PRIVATE_CHUNK : n);
    memcpy(c->data, p, n);
    c->len = n;
    outq_push(q, c);
    chunk_unref(c);                    /* the queue holds the only reference now */
}

/* Release the oldest segment. */
static void outq_pop(struct outq *q)
{
    chunk_unref(outq_at(q, 0)->chunk);
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
}

ssize_t outq_write(struct outq *q, int fd)
{
    enum { MAX_IOV = 64 };
    size_t total = 0;
    while (q->count > 0) {
        struct iovec iov[MAX_IOV];
        unsigned n = q->count < MAX_IOV ? q->count : MAX_IOV;
        size_t offered = 0;
        for (unsigned i = 0; i < n; i++) {
            struct outq_seg *s = outq_at(q, i);
            iov[i].iov_base = s->chunk->data + s->off;
            iov[i].iov_len = s->chunk->len - s->off;
            offered += iov[i].iov_len;
        }
        ssize_t w = writev(fd, iov, (int)n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return -1;
        }
        total += (size_t)w;
        q->bytes -= (size_t)w;
        size_t left = (size_t)w;
        while (left > 0) {                 /* release what was written in full */
            struct outq_seg *s = outq_at(q, 0);
            size_t rest = s->chunk->len - s->off;
            if (left < rest) { s->off += left; break; }
            left -= rest;
            outq_pop(q);
        }
        if ((size_t)w < offered) break;    /* the socket took less: it is full */
    }
    if (q->count == 0) outq_clear(q);      /* drained: give the ring back */
    return (ssize_t)total;
}

void outq_clear(struct outq *q)
{
    while (q->count > 0) outq_pop(q);
    if (q->cap == RING_SLOTS) spare_give(&spare_rings, q->segs);
    else free(q->segs);
    q->segs = NULL;
    q->head = q->cap = 0;
    q->bytes = 0;
}
