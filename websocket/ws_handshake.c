/*
 * websocket/ws_handshake.c — Sec-WebSocket-Key and Sec-WebSocket-Accept;
 * see ws_handshake.h.
 */
#include "ws_handshake.h"

#include "base64.h"
#include "sha1.h"

int ws_key_valid(const char *key, size_t n)
{
    unsigned char raw[18];                 /* room for 18, so 17 or 18 bytes show up as wrong */
    if (n != WS_KEY_LENGTH) return 0;
    return base64_decode(raw, sizeof raw, key, n) == 16;
}

void ws_accept_key(const char *key, size_t n, char out[WS_ACCEPT_LENGTH + 1])
{
    struct sha1 h;
    unsigned char digest[SHA1_DIGEST_SIZE];

    sha1_init(&h);
    sha1_update(&h, key, n);
    sha1_update(&h, WS_GUID, sizeof WS_GUID - 1);
    sha1_final(&h, digest);

    long len = base64_encode(out, WS_ACCEPT_LENGTH, digest, sizeof digest);
    out[len < 0 ? 0 : len] = '\0';
}
