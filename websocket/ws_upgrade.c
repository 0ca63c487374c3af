/*
 * websocket/ws_upgrade.c — the HTTP side of the opening handshake; see
 * ws_upgrade.h.
 */
#include "ws_upgrade.h"

#include <stdio.h>
#include <string.h>

#include "ws_handshake.h"

int ws_upgrade_check(const struct http_request *req, const struct http_header **key,
                     const char **why)
{
    const struct http_header *version;
    *why = NULL;
    if (req->method_len != 3 || memcmp(req->method, "GET", 3) != 0)
        *why = "the opening handshake is a GET (RFC 6455 4.1)";
    else if (req->version_minor < 1)
        *why = "the opening handshake needs HTTP/1.1 (RFC 6455 4.1)";
    /* Tokens, compared case-insensitively in comma-separated lists: a
     * browser sends "Connection: keep-alive, Upgrade" (RFC 9110 §7.6.1). */
    else if (!http_header_has_token(req, "Upgrade", "websocket"))
        *why = "Upgrade: websocket is missing";
    else if (!http_header_has_token(req, "Connection", "Upgrade"))
        *why = "Connection: Upgrade is missing";
    else if (http_header_count(req, "Sec-WebSocket-Key", key) != 1 ||
             !ws_key_valid((*key)->value, (*key)->value_len))
        *why = "Sec-WebSocket-Key must be one base64 value of 16 bytes";
    else if (http_header_count(req, "Sec-WebSocket-Version", &version) != 1)
        *why = "Sec-WebSocket-Version: 13 is missing";
    else if (version->value_len != 2 || memcmp(version->value, "13", 2) != 0)
        return 426;                     /* §4.4: say which version we speak */
    return *why ? 400 : 0;
}

int ws_upgrade_head(char *out, size_t cap, const char *accept, const char *extension)
{
    int n = snprintf(out, cap,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n"
                     "%s\r\n", accept, extension);
    return n < 0 || (size_t)n >= cap ? -2 : n;
}
