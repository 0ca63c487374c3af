/*
 * lessons/06-websocket-handshake/ws_handshake.c — YOUR copy of
 * websocket/ws_handshake.c: the two values of the opening handshake
 * (RFC 6455 §4.1, §4.2.2; the contract is in websocket/ws_handshake.h).
 * Both functions are yours (look for TODO(student)); they use your SHA-1
 * and your base64 from this folder.
 */
#include "ws_handshake.h"

#include "base64.h"
#include "sha1.h"

int ws_key_valid(const char *key, size_t n)
{
    /* TODO(student): 1 when key[0..n) is a valid Sec-WebSocket-Key: 24
     * characters of canonical base64 that decode to exactly 16 bytes
     * (RFC 6455 §4.1); else 0. Decode into a buffer a little larger than
     * 16, so that a key of 17 or 18 bytes shows up as wrong, not as -2. */
    (void)key;
    (void)n;
    return 0;
}

void ws_accept_key(const char *key, size_t n, char out[WS_ACCEPT_LENGTH + 1])
{
    /* TODO(student): RFC 6455 §4.2.2:
     *   Sec-WebSocket-Accept = base64( SHA-1( key + WS_GUID ) )
     * Hash the key as sent (do not decode it) followed by the GUID, then
     * base64 the 20-byte digest: 28 characters, and a NUL after them. */
    (void)key;
    (void)n;
    out[0] = '\0';
}
