/*
 * websocket/ws_frame.h — the WebSocket frame header (RFC 6455 §5.2): decode
 * what a client sends, encode what the server sends.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     Extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               |Masking-key, if MASK set to 1  |
 *   +-------------------------------+-------------------------------+
 *   | Masking-key (continued)       |          Payload Data         |
 *   +-------------------------------- - - - - - - - - - - - - - - - +
 *
 * The decoder reads only the header: the payload may be megabytes, and the
 * server handles it as it arrives. It checks what the header alone can get
 * wrong in its *encoding* (a 64-bit length with the top bit set, a length not
 * written in its shortest form); the protocol rules about which frames are
 * allowed when (RSV bits, opcodes, masking, control frames) are the
 * server's, and live in websocket.c where a student reads the protocol.
 *
 * Interface: ws_frame_decode, ws_unmask, ws_frame_encode, ws_frame_header_size.
 * Pure: no allocation, no globals.
 */
#ifndef RTLAB_WS_FRAME_H
#define RTLAB_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Opcodes (RFC 6455 §5.2, §11.8). 3-7 and 11-15 are reserved. */
enum ws_opcode {
    WS_CONTINUATION = 0x0,
    WS_TEXT = 0x1,
    WS_BINARY = 0x2,
    WS_CLOSE = 0x8,
    WS_PING = 0x9,
    WS_PONG = 0xA,
};

enum {
    WS_MAX_HEADER = 14,        /* 2 + 8 (64-bit length) + 4 (masking key) */
    WS_MAX_CONTROL = 125,      /* §5.5: control frame payloads are at most 125 bytes */
};

/* Small on purpose: a server keeps one per connection (16 bytes). */
struct ws_frame {
    unsigned char fin;         /* 1: the last frame of its message */
    unsigned char rsv;         /* RSV1 RSV2 RSV3 as a 3-bit number (4, 2, 1); 0 without extensions */
    unsigned char opcode;      /* enum ws_opcode, or a reserved value the caller must refuse */
    unsigned char masked;      /* 1 when a masking key follows the length */
    unsigned char mask[4];     /* the masking key (zeros when not masked) */
    uint64_t length;           /* payload bytes that follow the header */
};

/* 1 for close, ping and pong (and the reserved control opcodes 0xB..0xF). */
static inline int ws_is_control(unsigned opcode) { return (opcode & 0x8) != 0; }

/* Decode the frame header at p[0..n). Returns
 *   > 0  the header's length (2 to 14 bytes); the payload starts there;
 *   -1   a header no valid frame has: a 64-bit length with its most
 *        significant bit set, or a length not in its shortest form (§5.2);
 *   -2   the header is not complete yet.
 * *f is filled only on success. */
int ws_frame_decode(const unsigned char *p, size_t n, struct ws_frame *f);

/* Unmask n payload bytes from src into dst (dst may equal src): byte i of
 * the payload is XORed with mask[i % 4] (§5.3). `offset` is how many bytes
 * of this payload came before src, so a payload can be unmasked in pieces. */
void ws_unmask(unsigned char *dst, const unsigned char *src, size_t n,
               const unsigned char mask[4], uint64_t offset);

/* Header bytes a server frame with this payload length needs: 2, 4 or 10. */
size_t ws_frame_header_size(uint64_t length);

/* Write the header of an unmasked (server) frame into out[0..cap): FIN as
 * given, RSV bits 0, the opcode, and the length in its shortest form.
 * Returns the header's length, or -2 when cap is too small. The payload is
 * the caller's to append. */
int ws_frame_encode(unsigned char *out, size_t cap, int fin, unsigned opcode, uint64_t length);

#endif
