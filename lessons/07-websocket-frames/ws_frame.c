/*
 * lessons/07-websocket-frames/ws_frame.c — YOUR copy of
 * websocket/ws_frame.c: the frame header decoder and encoder (RFC 6455
 * §5.2; the contract and the picture of a header are in
 * websocket/ws_frame.h). All four functions are yours (look for
 * TODO(student)). Pure: no allocation, no sockets, no globals.
 *
 *   make lesson N=07             what works, what does not, in plain words
 *   make lesson N=07 SERVER=1    bin/websocket with your frames in it
 */
#include "ws_frame.h"

int ws_frame_decode(const unsigned char *p, size_t n, struct ws_frame *f)
{
    /* TODO(student): decode the header at p[0..n) (RFC 6455 §5.2, the
     * picture in ws_frame.h):
     *   byte 0: FIN (top bit), RSV1-3 (the next three), opcode (low four);
     *   byte 1: MASK (top bit), a 7-bit length: 0..125 is the length,
     *           126 means "the next 2 bytes are it", 127 "the next 8"
     *           (network byte order: most significant byte first);
     *   then the 4-byte masking key when MASK is set.
     * -2 whenever the bytes stop before the header does (check before
     * every read!); -1 for a 64-bit length with its top bit set, or a
     * length not in its shortest form (126 saying 100, 127 saying 300).
     * Fill *f only on success; return the header's length (2..14). */
    (void)p;
    (void)n;
    (void)f;
    return -1;
}

void ws_unmask(unsigned char *dst, const unsigned char *src, size_t n,
               const unsigned char mask[4], uint64_t offset)
{
    /* TODO(student): §5.3: payload byte i is XORed with mask[i % 4]. This
     * piece starts `offset` bytes into the payload, so its byte i is
     * payload byte offset + i. dst may be the same buffer as src. */
    (void)dst;
    (void)src;
    (void)n;
    (void)mask;
    (void)offset;
}

size_t ws_frame_header_size(uint64_t length)
{
    /* TODO(student): 2 for lengths up to 125, 4 up to 65535, else 10 (a
     * server frame carries no masking key). */
    (void)length;
    return 0;
}

int ws_frame_encode(unsigned char *out, size_t cap, int fin, unsigned opcode, uint64_t length)
{
    /* TODO(student): the header of a server frame: FIN as given, RSV 0,
     * the opcode; MASK 0 (a server never masks, §5.1, which is why one
     * encoded frame can go to every subscriber); the length in its
     * shortest form. -2 when cap is too small. Returns the header's
     * length. */
    (void)out;
    (void)cap;
    (void)fin;
    (void)opcode;
    (void)length;
    return -2;
}
