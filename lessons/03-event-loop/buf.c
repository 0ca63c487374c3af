/*
 * lessons/03-event-loop/buf.c — YOUR copy of core/buf.c: the bytes a
 * connection holds between two turns of the event loop (see core/buf.h).
 *
 * Yours: buf_append and buf_consume (a request that arrives in pieces waits
 * here until it is whole) and outq_write (a write the socket takes only in
 * part: the rest waits for the next EV_WRITE). Look for TODO(student). The
 * shared chunks and the queue's ring are the project's.
 *
 *   make lesson N=03             what works, what does not, in plain words
 *   make lesson N=03 SERVER=1    bin/polling with your buffers in it
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
    /* TODO(student): append p[0..n) at the end of b, growing the storage
     * when it is full. Grow by doubling (start at 512 bytes), not by n: a
     * request trickling in byte by byte must not cost one realloc per byte.
     * Use xrealloc (it never returns NULL). b->data may be NULL (an empty
     * buf holds no memory). */
    (void)b;
    (void)p;
    (void)n;
}

void buf_consume(struct buf *b, size_t n)
{
    /* TODO(student): drop the first n bytes (a request the server has just
     * answered): move what follows to the front. When nothing is left,
     * give the storage back (buf_free), so that an idle connection holds
     * no memory at all. */
    (void)b;
    (void)n;
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
    /* TODO(student): the partial write. Send what q holds with writev
     * (outq_at(q, i) is the i-th oldest segment; its unsent bytes are
     * chunk->data + off .. chunk->len), at most 64 segments per call, and
     * loop while the socket takes everything you offer.
     *   - EINTR: try again;
     *   - EAGAIN / EWOULDBLOCK: the socket is full: stop, and keep the rest
     *     queued (the caller arms EV_WRITE and calls again later);
     *   - any other error: return -1 (errno says which).
     * Account for what writev took: q->bytes goes down; a segment written
     * in full is released (outq_pop), one written in part keeps its new
     * offset. When the queue is empty, give its memory back (outq_clear).
     * Return the bytes written (0 when the socket was already full). */
    (void)q;
    (void)fd;
    errno = ENOSYS;
    return -1;
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
