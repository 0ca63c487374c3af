/*
 * websocket/ws_deflate.h — permessage-deflate (RFC 7692): the one WebSocket
 * extension every browser offers. It compresses each data message's payload
 * with DEFLATE (RFC 1951, here zlib's) and marks a compressed message with
 * RSV1 in its first frame (§6).
 *
 * Two halves:
 *
 *   negotiation  the client offers the extension in its handshake,
 *                  Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits
 *                and the server accepts one offer by naming it in the 101
 *                (§5, §7.1), or declines them all by naming none: the
 *                handshake itself never fails over an extension.
 *   codec        compressing a server message (§7.2.1) and inflating a
 *                client message (§7.2.2).
 *
 * What this server agrees to, always: server_no_context_takeover (§7.1.1.1).
 * Each event is compressed once, by a fresh DEFLATE stream, into one frame
 * that is the same bytes for every subscriber — broadcast still encodes
 * once. A client may keep its own context across messages (it saves more),
 * unless it offers client_no_context_takeover; its window may be any size,
 * since we inflate with the largest (32 KiB). An offer of
 * server_max_window_bits below 15 is declined: the one shared frame is
 * compressed with a 32 KiB window, and a client that cannot hold one could
 * not inflate it.
 *
 * Interface:
 *   ws_deflate_negotiate     pick the first offer we can honour
 *   ws_deflate_answer        the header line that accepts it
 *   ws_deflate_message       compress one message's payload, tail removed
 *   ws_deflate_text_frame    ...as a whole text frame with RSV1 set
 *   ws_deflate_frame         ...as a chunk to queue, or the plain frame when not smaller
 *   ws_inflate               inflate a client message, piece by piece
 *   ws_inflater_free         release a connection's inflater
 *
 * Pure but for zlib's state: the compressor is one static zlib stream
 * (made on first use, reset for every message; single-threaded); an
 * inflater is allocated the first time a connection sends a compressed
 * message, so an idle subscriber costs no zlib memory.
 */
#ifndef RTLAB_WS_DEFLATE_H
#define RTLAB_WS_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"

/* What the handshake agreed, kept per connection (3 bytes). */
struct ws_deflate_terms {
    unsigned char on;                /* 1: permessage-deflate is in use */
    unsigned char client_no_context; /* client_no_context_takeover: reset after each message */
    unsigned char echo_window;       /* the offer named server_max_window_bits=15 (§7.1.2.1) */
};

/* Read every Sec-WebSocket-Extensions field of req (one list, §9.1 of
 * RFC 6455) and accept the first permessage-deflate offer whose parameters
 * are all known, valid, not repeated and within what we do (§7: an offer
 * that breaks any of these is declined, not the handshake). Returns 1 and
 * fills *terms, or 0 with terms->on = 0 when no offer can be accepted. */
int ws_deflate_negotiate(const struct http_request *req, struct ws_deflate_terms *terms);

/* Write the header line that accepts terms into out[0..cap), e.g.
 * "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n",
 * or "" when terms->on is 0. Returns its length (always < 160). */
int ws_deflate_answer(const struct ws_deflate_terms *terms, char *out, size_t cap);

/* Compress in[0..n) as one message with a fresh context (§7.2.1): DEFLATE
 * with a sync flush, which ends in an empty stored block 00 00 ff ff, and
 * those four bytes removed. Writes into out[0..cap); cap must hold the
 * four as well, before they are removed. Returns the length, -2 when cap
 * is too small, -1 when zlib cannot start (out of memory). */
long ws_deflate_message(const void *in, size_t n, unsigned char *out, size_t cap);

/* The same, as a whole server frame: FIN, RSV1 (compressed), opcode text,
 * the length, then the compressed payload. Returns the frame's length, or
 * -2 when it does not fit in cap with the four bytes of the tail (so a
 * cap of the plain frame's length asks "only if 4 bytes smaller"), -1 as
 * above. */
long ws_deflate_text_frame(const void *in, size_t n, unsigned char *out, size_t cap);

/* The compressed text frame of payload (a message's bytes, e.g. an
 * event's JSON) in a new chunk sized to fit, with one reference, the
 * caller's. When it would not be at least 4 bytes smaller than plain (the
 * same message as a plain frame), or zlib cannot start, it is a new
 * reference to plain instead: sent with RSV1 clear, which RFC 7692 allows
 * for any message (§6). */
struct chunk *ws_deflate_frame(const struct chunk *payload, struct chunk *plain);

enum ws_inflate_result {
    WS_INFLATE_OK = 0,
    WS_INFLATE_BAD = -1,       /* not DEFLATE, or a message that ends inside a block */
    WS_INFLATE_TOO_BIG = -3,   /* out would pass limit: a message (or a bomb) too big */
};

struct ws_inflater;            /* zlib's state for one connection's client messages */

/* Inflate the next compressed bytes in[0..n) of a client message,
 * appending the output to out, which may never exceed limit bytes. The
 * bytes are masked with mask (RFC 6455 §5.3), offset bytes into their
 * frame's payload; mask NULL: not masked. Call with last = 1 once the message's final frame is in (n may
 * be 0): the 00 00 ff ff the sender removed is put back (§7.2.2), and the
 * message must end on a block boundary. *zp is allocated on first use and
 * kept; the window carries over to the next message unless no_context
 * (client_no_context_takeover). A block with BFINAL set does not end the
 * stream (§7.2.3.4): more blocks may follow, and the window survives.
 * After WS_INFLATE_BAD or WS_INFLATE_TOO_BIG the connection must be closed. */
enum ws_inflate_result ws_inflate(struct ws_inflater **zp, int no_context, const unsigned char *in,
                                  size_t n, const unsigned char *mask, uint64_t offset, int last,
                                  struct buf *out, size_t limit);

/* Release an inflater (NULL is ignored). */
void ws_inflater_free(struct ws_inflater *z);

#endif
