/*
 * websocket/ws_close.c — a close frame's payload; see ws_close.h.
 */
#include "ws_close.h"

#include <string.h>

#include "utf8.h"

/* §7.4: may a close frame carry this code? */
static int code_valid(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

size_t ws_close_payload(unsigned char out[WS_MAX_CONTROL], unsigned code, const char *reason)
{
    size_t n = strlen(reason);
    if (n > WS_MAX_CONTROL - 2) n = WS_MAX_CONTROL - 2;
    out[0] = (unsigned char)(code >> 8);        /* the code, in network byte order */
    out[1] = (unsigned char)code;
    memcpy(out + 2, reason, n);
    return 2 + n;
}

int ws_close_parse(const unsigned char *p, size_t n, unsigned *code, const char **why)
{
    *code = n >= 2 ? (unsigned)p[0] << 8 | p[1] : WS_NO_STATUS;
    *why = NULL;
    if (n == 1)
        *why = "a close payload of 1 byte (5.5.1)";
    else if (n >= 2 && !code_valid(*code))
        *why = "invalid close code (7.4)";
    else if (n > 2 && !utf8_valid(p + 2, n - 2))
        *why = "close reason is not UTF-8 (5.5.1)";
    return *why ? -1 : 0;
}
