/*
 * websocket/base64.h — base64 (RFC 4648 §4), the standard alphabet with
 * '=' padding.
 *
 * The WebSocket handshake carries binary values as base64 text: the client's
 * Sec-WebSocket-Key is 16 random bytes in base64 (RFC 6455 §4.1), and the
 * server's Sec-WebSocket-Accept is a 20-byte SHA-1 digest in base64 (§4.2.2).
 *
 * Interface: base64_encode, base64_decode, BASE64_ENCODED_SIZE.
 * Pure: no allocation, no globals.
 */
#ifndef RTLAB_BASE64_H
#define RTLAB_BASE64_H

#include <stddef.h>

/* Characters needed to encode n bytes (every 3 bytes become 4 characters;
 * a last group of 1 or 2 bytes is padded to 4). No NUL is counted. */
#define BASE64_ENCODED_SIZE(n) ((((n) + 2) / 3) * 4)

/* Encode in[0..n) into out[0..cap). Returns the characters written (no NUL
 * is added), or -2 when cap is smaller than BASE64_ENCODED_SIZE(n). */
long base64_encode(char *out, size_t cap, const void *in, size_t n);

/* Decode the base64 text in[0..n) into out[0..cap). Only the canonical
 * form is taken (RFC 4648 §3.5): a length that is a multiple of 4, no
 * whitespace, '=' only as the last one or two characters, and the unused
 * bits before the padding zero. Returns the bytes written, -1 when the text
 * is not canonical base64, or -2 when cap is too small. */
long base64_decode(void *out, size_t cap, const char *in, size_t n);

#endif
