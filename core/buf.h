/*
 * core/buf.h — bytes a connection holds: input not yet parsed, and output not
 * yet written.
 *
 * Three types, from the simplest up:
 *
 *   struct buf    a growable byte array; the bytes of a request that has not
 *                 fully arrived wait here. An empty buf holds no memory.
 *   struct chunk  immutable bytes with a reference count, shared by everyone
 *                 who must send them: one SSE event block or one WebSocket
 *                 frame is encoded once and queued to ten thousand
 *                 subscribers as ten thousand references, not copies.
 *   struct outq   a connection's out queue: a list of (chunk, offset)
 *                 segments sent with one writev. Bytes of the connection's own
 *                 (a response head) go into a private chunk at the tail, so
 *                 small writes coalesce. An empty outq holds no memory.
 *
 * Interface:
 *   buf_append, buf_consume, buf_free
 *   chunk_new, chunk_from, chunk_ref, chunk_unref
 *   outq_push, outq_copy, outq_write, outq_bytes, outq_clear
 *
 * Memory: allocation failure aborts with a message (xmalloc). A server that
 * has run out of memory cannot answer anyone honestly.
 */
#ifndef RTLAB_BUF_H
#define RTLAB_BUF_H

#include <stddef.h>
#include <sys/types.h>

/* malloc/realloc that abort with a clear message instead of returning NULL. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);

/* ==== struct buf: growable bytes ==== */

struct buf {
    char *data;     /* NULL while empty: an idle connection holds nothing */
    size_t len;     /* bytes held */
    size_t cap;     /* bytes allocated */
};

/* Append n bytes. Pointers into data are invalid after the call. */
void buf_append(struct buf *b, const void *p, size_t n);
/* Drop the first n bytes (n <= len); frees the storage when none remain. */
void buf_consume(struct buf *b, size_t n);
/* Free the storage; the buf is empty and reusable afterwards. */
void buf_free(struct buf *b);

/* ==== struct chunk: shared, reference-counted bytes ==== */

struct chunk {
    unsigned refs;  /* owners: the feed, every out queue that holds it */
    size_t len;     /* bytes used */
    size_t cap;     /* bytes allocated in data[] */
    char data[];
};

/* A new chunk with room for cap bytes, len 0, one reference (the caller's). */
struct chunk *chunk_new(size_t cap);
/* A new chunk holding a copy of p[0..n), one reference (the caller's). */
struct chunk *chunk_from(const void *p, size_t n);
/* Take another reference; returns c. */
struct chunk *chunk_ref(struct chunk *c);
/* Drop a reference; the last one frees the chunk. NULL is ignored. */
void chunk_unref(struct chunk *c);

/* ==== struct outq: what a connection still has to send ==== */

struct outq_seg {
    struct chunk *chunk;  /* a reference held by this queue */
    size_t off;           /* bytes of chunk->data already written */
};

struct outq {
    struct outq_seg *segs;  /* ring of segments; NULL while empty */
    unsigned head;          /* index of the oldest segment */
    unsigned count;         /* segments queued */
    unsigned cap;           /* slots allocated (a power of two) */
    size_t bytes;           /* bytes still to write, over all segments */
};

/* Queue a reference to c (the queue takes its own reference). */
void outq_push(struct outq *q, struct chunk *c);
/* Queue a copy of p[0..n) as the connection's own bytes. */
void outq_copy(struct outq *q, const void *p, size_t n);
/* Write as much as the socket takes, up to 64 segments per writev.
 * Returns bytes written (0 when the socket is full), or -1 on a socket
 * error (errno says which). Segments written out are released. */
ssize_t outq_write(struct outq *q, int fd);
/* Bytes still queued. */
static inline size_t outq_bytes(const struct outq *q) { return q->bytes; }
/* Release every segment and the ring itself. */
void outq_clear(struct outq *q);

#endif
