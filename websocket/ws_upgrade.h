/*
 * websocket/ws_upgrade.h — the opening handshake as HTTP (RFC 6455 §4.2):
 * is this request a valid upgrade, and the head of the 101 that accepts it.
 *
 *   client: GET /ws HTTP/1.1            server: HTTP/1.1 101 Switching Protocols
 *           Host: ...                           Upgrade: websocket
 *           Upgrade: websocket                  Connection: Upgrade
 *           Connection: Upgrade                 Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
 *           Sec-WebSocket-Key: dGhl...==        [Sec-WebSocket-Extensions: ...]
 *           Sec-WebSocket-Version: 13
 *
 * websocket.c decides what to do with the answer (refuse, or negotiate
 * permessage-deflate, send the head and switch the connection to frames);
 * this file only reads a parsed request and writes bytes. The accept value
 * itself is ws_handshake.c's (lesson 06).
 *
 * Interface:
 *   ws_upgrade_check   §4.2.1's rules: 0, or the status to refuse with
 *   ws_upgrade_head    the 101 head, up to and including its empty line
 *
 * Pure: no allocation, no globals, no sockets.
 */
#ifndef RTLAB_WS_UPGRADE_H
#define RTLAB_WS_UPGRADE_H

#include <stddef.h>

#include "http.h"

/* Check the client's opening handshake against §4.2.1: a GET over
 * HTTP/1.1, "Upgrade: websocket" and "Connection: Upgrade" (tokens in
 * comma-separated lists, any case), exactly one valid Sec-WebSocket-Key,
 * exactly one Sec-WebSocket-Version. Returns 0 when all hold, with *key set
 * to the key's field (it points into req's buffer); 400 with *why saying
 * which rule is broken; or 426 for a version other than 13 (§4.4: the
 * answer names the version we speak), with *why NULL. */
int ws_upgrade_check(const struct http_request *req, const struct http_header **key,
                     const char **why);

/* Write the 101 Switching Protocols head into out[0..cap) (§4.2.2):
 * the Upgrade and Connection fields, Sec-WebSocket-Accept: accept (from
 * ws_accept_key), the `extension` lines as given (each ending in CRLF, or
 * "" for none), and the empty line. Returns its length, or -2 when cap is
 * too small (nothing useful is in out then). */
int ws_upgrade_head(char *out, size_t cap, const char *accept, const char *extension);

#endif
