/*
 * websocket/ws_deflate.c — permessage-deflate (RFC 7692) with zlib; see
 * ws_deflate.h for what is agreed and why.
 *
 * zlib speaks "raw" DEFLATE (no zlib header, no checksum) when windowBits
 * is negative: -15 is a 32 KiB window, what RFC 7692 calls 15 window bits.
 */
#include "ws_deflate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "ws_frame.h"

#define WINDOW_BITS 15            /* 32 KiB, the most DEFLATE allows (§7.1.2) */
#define PIECE 16384               /* inflate output is taken this many bytes at a time */
#define MAX_STREAM_ENDS 8         /* BFINAL blocks one message may hold (see restart) */

/* §7.2.1: a sync flush ends in an empty stored block: BFINAL 0, BTYPE 00,
 * padding, then LEN 0000 and NLEN ffff. The sender removes these bytes;
 * the receiver puts them back (§7.2.2). */
static const unsigned char flush_tail[4] = {0x00, 0x00, 0xff, 0xff};

/* ==== Negotiation (§5, §7.1) ==== */

/* The next ';'-separated piece of an offer in [*p, end), trimmed; a ';'
 * inside a quoted value does not end it. *p becomes NULL after the last
 * piece. Returns 0 when none is left. */
static int next_piece(const char **p, const char *end, const char **s, size_t *n)
{
    if (!*p) return 0;
    const char *a = *p, *b = a;
    int quoted = 0;
    for (; b < end && (quoted || *b != ';'); b++)
        if (*b == '"') quoted = !quoted;
    *p = b < end ? b + 1 : NULL;
    while (a < b && (*a == ' ' || *a == '\t')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
    *s = a;
    *n = (size_t)(b - a);
    return 1;
}

static int same_word(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/* A window-bits value: "8" to "15", as a token or a quoted string
 * (§7.1.2.1: the value, unquoted, is 1*DIGIT with no leading zero).
 * Returns the number, or -1. */
static int window_bits(const char *v, size_t n)
{
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
    }
    if (n == 1 && v[0] >= '8' && v[0] <= '9') return v[0] - '0';
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + v[1] - '0';
    return -1;
}

/* One parameter "name" or "name=value" of a permessage-deflate offer.
 * *seen has one bit per known name (§7: a repeated one declines the
 * offer). Returns 0 when we can honour it, -1 to decline the offer. */
static int take_param(const char *s, size_t n, unsigned *seen, struct ws_deflate_terms *t)
{
    static const char *const names[] = {"server_no_context_takeover", "client_no_context_takeover",
                                        "server_max_window_bits", "client_max_window_bits"};
    const char *eq = memchr(s, '=', n), *v = NULL;
    size_t name_len = eq ? (size_t)(eq - s) : n, v_len = 0;
    while (name_len > 0 && (s[name_len - 1] == ' ' || s[name_len - 1] == '\t')) name_len--;
    if (eq) {
        v = eq + 1;
        v_len = n - (size_t)(v - s);
        while (v_len > 0 && (*v == ' ' || *v == '\t')) v++, v_len--;
    }
    unsigned which = 0;
    while (which < 4 && !same_word(s, name_len, names[which])) which++;
    if (which == 4 || (*seen & 1u << which)) return -1;   /* unknown, or repeated */
    *seen |= 1u << which;
    switch (which) {
    case 0:                           /* we never keep context: agreed already */
        return eq ? -1 : 0;
    case 1:
        t->client_no_context = 1;
        return eq ? -1 : 0;
    case 2:                           /* the shared frame has a 32 KiB window */
        t->echo_window = 1;
        return window_bits(v, v_len) == WINDOW_BITS ? 0 : -1;
    default:                          /* a hint, or a limit on the client's own window */
        return !eq || window_bits(v, v_len) > 0 ? 0 : -1;
    }
}

/* One element of the extension list: 1 when it is a permessage-deflate
 * offer we accept (terms filled), else 0. */
static int take_offer(const char *s, size_t n, struct ws_deflate_terms *t)
{
    const char *p = s, *end = s + n, *piece;
    size_t len;
    unsigned seen = 0;
    memset(t, 0, sizeof *t);
    if (!next_piece(&p, end, &piece, &len) || !same_word(piece, len, "permessage-deflate"))
        return 0;
    while (next_piece(&p, end, &piece, &len))
        if (take_param(piece, len, &seen, t) != 0) return 0;
    t->on = 1;
    return 1;
}

int ws_deflate_negotiate(const struct http_request *req, struct ws_deflate_terms *terms)
{
    for (size_t i = 0; i < req->header_count; i++) {
        const struct http_header *h = &req->headers[i];
        if (!same_word(h->name, h->name_len, "Sec-WebSocket-Extensions")) continue;
        const char *p = h->value, *end = h->value + h->value_len, *offer;
        size_t len;
        while (http_list_next(&p, end, &offer, &len))
            if (take_offer(offer, len, terms)) return 1;
    }
    memset(terms, 0, sizeof *terms);
    return 0;
}

int ws_deflate_answer(const struct ws_deflate_terms *terms, char *out, size_t cap)
{
    if (!terms->on) return snprintf(out, cap, "%s", "");
    return snprintf(out, cap, "Sec-WebSocket-Extensions: permessage-deflate; "
                    "server_no_context_takeover%s%s\r\n",
                    terms->client_no_context ? "; client_no_context_takeover" : "",
                    terms->echo_window ? "; server_max_window_bits=15" : "");
}

/* ==== Compressing a server message (§7.2.1) ==== */

static z_stream deflater;         /* one for the process, reset for every message */
static int deflater_ready;

long ws_deflate_message(const void *in, size_t n, unsigned char *out, size_t cap)
{
    if (!deflater_ready) {
        if (deflateInit2(&deflater, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -WINDOW_BITS, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) return -1;
        deflater_ready = 1;
    }
    if (n > UINT_MAX / 2 || cap > UINT_MAX / 2) return -2;   /* zlib counts in unsigned int */
    deflateReset(&deflater);          /* server_no_context_takeover: a fresh stream */
    deflater.next_in = (Bytef *)(uintptr_t)in;
    deflater.avail_in = (uInt)n;
    deflater.next_out = out;
    deflater.avail_out = (uInt)cap;
    int r = deflate(&deflater, Z_SYNC_FLUSH);
    unsigned pending = 0;
    int bits = 0;
    if (r == Z_OK && deflater.avail_out == 0) deflatePending(&deflater, &pending, &bits);
    if (r != Z_OK || deflater.avail_in != 0 || pending || bits) return -2;   /* out is full */
    size_t len = cap - deflater.avail_out;
    if (len < 4 || memcmp(out + len - 4, flush_tail, 4) != 0) return -1;  /* not zlib as we know it */
    return (long)(len - 4);
}

long ws_deflate_text_frame(const void *in, size_t n, unsigned char *out, size_t cap)
{
    /* Compress behind room for the longest header the frame can need, then
     * move the payload up to the header it turns out to need. */
    size_t room = ws_frame_header_size(cap);
    if (cap <= room) return -2;
    long body = ws_deflate_message(in, n, out + room, cap - room);
    if (body < 0) return body;
    int head = ws_frame_encode(out, room, 1, WS_TEXT, (uint64_t)body);
    memmove(out + head, out + room, (size_t)body);
    out[0] |= 0x40;                   /* RSV1: this message is compressed (§6) */
    return head + body;
}

struct chunk *ws_deflate_frame(const struct chunk *payload, struct chunk *plain)
{
    struct chunk *frame = chunk_new(plain->len);
    long n = ws_deflate_text_frame(payload->data, payload->len, (unsigned char *)frame->data,
                                   frame->cap);
    if (n < 0) {
        chunk_unref(frame);
        return chunk_ref(plain);
    }
    frame->len = frame->cap = (size_t)n;
    return xrealloc(frame, sizeof *frame + frame->len);       /* give back the room */
}

/* ==== Inflating a client message (§7.2.2) ==== */

struct ws_inflater {
    z_stream z;
    int ended;      /* the last bytes given ended a stream (BFINAL): no block is open */
    unsigned ends;  /* streams ended in this message so far */
};

/* A block with BFINAL set ended zlib's stream, but a message may go on
 * with more blocks (§7.2.3.4), and a later message may still refer back:
 * start a new stream that keeps the window as its dictionary. That copies
 * up to 32 KiB twice, and an empty final block is 2 bytes, so a hostile
 * message of nothing but them would cost 32 KiB of copying per 2 bytes
 * sent: a message may end at most MAX_STREAM_ENDS streams (a real sender
 * ends one, at the end), more is refused as bad data. */
static int restart(struct ws_inflater *zi)
{
    if (++zi->ends > MAX_STREAM_ENDS) return -1;
    unsigned char window[1u << WINDOW_BITS];
    uInt len = sizeof window;
    if (inflateGetDictionary(&zi->z, window, &len) != Z_OK || inflateReset(&zi->z) != Z_OK)
        return -1;
    return len == 0 || inflateSetDictionary(&zi->z, window, len) == Z_OK ? 0 : -1;
}

/* Inflate in[0..n) into out, at most limit bytes in all. */
static enum ws_inflate_result inflate_bytes(struct ws_inflater *zi, const unsigned char *in,
                                            size_t n, struct buf *out, size_t limit)
{
    unsigned char piece[PIECE];
    zi->z.next_in = (Bytef *)(uintptr_t)in;
    zi->z.avail_in = (uInt)n;
    if (n > 0) zi->ended = 0;
    do {
        zi->z.next_out = piece;
        zi->z.avail_out = sizeof piece;
        int r = inflate(&zi->z, Z_SYNC_FLUSH);
        size_t got = sizeof piece - zi->z.avail_out;
        if (got > limit - out->len) return WS_INFLATE_TOO_BIG;   /* stop a bomb at the limit */
        if (got) buf_append(out, piece, got);
        if (r == Z_STREAM_END) {
            zi->ended = zi->z.avail_in == 0;
            if (restart(zi) != 0) return WS_INFLATE_BAD;
        } else if (r == Z_BUF_ERROR) {
            break;                        /* no progress: everything given is used */
        } else if (r != Z_OK) {
            return WS_INFLATE_BAD;        /* a reserved block type, a distance too far back, ... */
        }
    } while (zi->z.avail_in > 0 || zi->z.avail_out == 0);
    return WS_INFLATE_OK;
}

enum ws_inflate_result ws_inflate(struct ws_inflater **zp, int no_context, const unsigned char *in,
                                  size_t n, const unsigned char *mask, uint64_t offset, int last,
                                  struct buf *out, size_t limit)
{
    struct ws_inflater *zi = *zp;
    if (!zi) {
        zi = *zp = xmalloc(sizeof *zi);
        memset(zi, 0, sizeof *zi);
        if (inflateInit2(&zi->z, -WINDOW_BITS) != Z_OK) {
            free(zi);
            *zp = NULL;
            return WS_INFLATE_BAD;
        }
    }
    if (out->len > limit) return WS_INFLATE_TOO_BIG;
    enum ws_inflate_result r = WS_INFLATE_OK;
    unsigned char plain[4096];
    for (size_t done = 0, take; r == WS_INFLATE_OK && done < n; done += take) {
        take = n - done < sizeof plain ? n - done : sizeof plain;
        if (mask) ws_unmask(plain, in + done, take, mask, offset + done);
        r = inflate_bytes(zi, mask ? plain : in + done, take, out, limit);
    }
    if (r != WS_INFLATE_OK || !last) return r;
    if (!zi->ended) {                     /* put the tail back; a stream that just ended needs none */
        r = inflate_bytes(zi, flush_tail, sizeof flush_tail, out, limit);
        /* zlib's data_type has 128 set when it stopped between two blocks:
         * anything else is a message cut inside a block. */
        if (r == WS_INFLATE_OK && !(zi->z.data_type & 128)) r = WS_INFLATE_BAD;
    }
    if (r == WS_INFLATE_OK && no_context && inflateReset(&zi->z) != Z_OK) r = WS_INFLATE_BAD;
    zi->ended = 0;
    zi->ends = 0;
    return r;
}

void ws_inflater_free(struct ws_inflater *zi)
{
    if (!zi) return;
    inflateEnd(&zi->z);
    free(zi);
}
