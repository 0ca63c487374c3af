/*
 * websocket/ws_frame.c — frame header decoder and encoder; see ws_frame.h.
 */
#include "ws_frame.h"

int ws_frame_decode(const unsigned char *p, size_t n, struct ws_frame *f)
{
    if (n < 2) return -2;

    /* First byte: FIN, RSV1-3, opcode. Second byte: MASK, 7-bit length. */
    unsigned masked = p[1] >> 7;
    uint64_t length = p[1] & 0x7F;
    size_t at = 2;

    /* §5.2: 126 means "the next 2 bytes are the length", 127 "the next 8";
     * both in network byte order, and "the minimal number of bytes MUST be
     * used", so a 16-bit length under 126 or a 64-bit one under 65536 is
     * not a frame any conforming sender writes. */
    if (length == 126) {
        if (n < at + 2) return -2;
        length = (uint64_t)p[2] << 8 | p[3];
        at += 2;
        if (length < 126) return -1;
    } else if (length == 127) {
        if (n < at + 8) return -2;
        length = 0;
        for (int i = 0; i < 8; i++)
            length = length << 8 | p[2 + i];
        at += 8;
        if (length >> 63) return -1;       /* "the most significant bit MUST be 0" */
        if (length < 65536) return -1;
    }

    unsigned char mask[4] = {0, 0, 0, 0};
    if (masked) {
        if (n < at + 4) return -2;
        for (int i = 0; i < 4; i++)
            mask[i] = p[at + i];
        at += 4;
    }

    f->fin = p[0] >> 7;
    f->rsv = (p[0] >> 4) & 0x7;
    f->opcode = p[0] & 0x0F;
    f->masked = (unsigned char)masked;
    for (int i = 0; i < 4; i++)
        f->mask[i] = mask[i];
    f->length = length;
    return (int)at;
}

void ws_unmask(unsigned char *dst, const unsigned char *src, size_t n,
               const unsigned char mask[4], uint64_t offset)
{
    /* §5.3: transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4). */
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] ^ mask[(offset + i) & 3];
}

size_t ws_frame_header_size(uint64_t length)
{
    if (length < 126) return 2;
    if (length <= 0xFFFF) return 4;
    return 10;
}

int ws_frame_encode(unsigned char *out, size_t cap, int fin, unsigned opcode, uint64_t length)
{
    size_t size = ws_frame_header_size(length);
    if (cap < size) return -2;

    out[0] = (unsigned char)((fin ? 0x80 : 0) | (opcode & 0x0F));
    /* A server never masks (§5.1), so the MASK bit stays 0. */
    if (size == 2) {
        out[1] = (unsigned char)length;
    } else if (size == 4) {
        out[1] = 126;
        out[2] = (unsigned char)(length >> 8);
        out[3] = (unsigned char)length;
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (unsigned char)(length >> (56 - 8 * i));
    }
    return (int)size;
}
