/*
 * websocket/ws_handshake.h — the two values of the opening handshake
 * (RFC 6455 §4.1, §4.2.2): checking the client's Sec-WebSocket-Key and
 * computing the server's Sec-WebSocket-Accept.
 *
 *   Sec-WebSocket-Accept = base64( SHA-1( key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" ) )
 *
 * The GUID is fixed by the RFC. Only a server that knows WebSocket can
 * compute the answer, so a client never mistakes a plain HTTP server (or a
 * cache replaying an old answer) for a WebSocket peer.
 *
 * Interface: ws_key_valid, ws_accept_key. Pure: no allocation, no globals.
 */
#ifndef RTLAB_WS_HANDSHAKE_H
#define RTLAB_WS_HANDSHAKE_H

#include <stddef.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum {
    WS_KEY_LENGTH = 24,     /* base64 of 16 bytes */
    WS_ACCEPT_LENGTH = 28,  /* base64 of a 20-byte SHA-1 digest */
};

/* 1 when key[0..n) is a valid Sec-WebSocket-Key: base64 that decodes to
 * exactly 16 bytes (§4.1, §11.3.1), else 0. */
int ws_key_valid(const char *key, size_t n);

/* Write the Sec-WebSocket-Accept value for key[0..n) into out, 28
 * characters and a NUL. The key is used as sent (it is not decoded). */
void ws_accept_key(const char *key, size_t n, char out[WS_ACCEPT_LENGTH + 1]);

#endif
