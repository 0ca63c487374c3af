/*
 * websocket/ws_close.h — the payload of a close frame (RFC 6455 §5.5.1):
 * empty, or a 2-byte status code in network byte order followed by a
 * reason in UTF-8, 125 bytes in all (a control frame's limit, §5.5).
 *
 * Which codes a peer may send is §7.4's table: 1000-1003 and 1007-1014
 * are defined (1004 is reserved, 1005 and 1006 are only ever reported
 * locally, 1015 belongs to TLS); 3000-4999 are for libraries and
 * applications. A close frame that breaks these rules is a protocol error.
 *
 * websocket.c runs the closing handshake (who closes, and when); this file
 * only reads and writes the bytes.
 *
 * Interface:
 *   ws_close_payload   ours: a code and a reason cut to fit
 *   ws_close_parse     the peer's: its code, or the rule it breaks
 *
 * Pure: no allocation, no globals, no sockets.
 */
#ifndef RTLAB_WS_CLOSE_H
#define RTLAB_WS_CLOSE_H

#include <stddef.h>

#include "ws_frame.h"

enum { WS_NO_STATUS = 1005 };   /* §7.4.1: a close without a code reports as 1005 */

/* Write a close payload for code and reason into out: the code, then as
 * much of reason (a NUL-terminated string) as fits in 125 bytes. Returns
 * the payload's length, 2 to 125. */
size_t ws_close_payload(unsigned char out[WS_MAX_CONTROL], unsigned code, const char *reason);

/* Read the unmasked close payload p[0..n). Returns 0 with *code set (the
 * peer's code, or WS_NO_STATUS when the payload is empty), or -1 with *why
 * naming the broken rule: a 1-byte payload, a code §7.4 does not allow,
 * or a reason that is not UTF-8 (§5.5.1). */
int ws_close_parse(const unsigned char *p, size_t n, unsigned *code, const char **why);

#endif
