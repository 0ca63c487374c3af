/*
 * websocket/ws_message.h — a client's message, put together as its frames
 * arrive (RFC 6455 §5.4): each piece of payload is unmasked (§5.3),
 * inflated when the message is compressed (RFC 7692 §7.2.2), and checked as
 * UTF-8 the moment it is added (§8.1), so a frame announcing 100 bytes
 * whose 11th is 0xFF is refused at that byte, not when the message ends.
 *
 * The frame rules (which frame may come when) stay in websocket.c; this
 * file only turns payload bytes into text. It has no sockets: bytes in,
 * and either the message or the status to close with out (1007 for text
 * or compressed data that is not valid, 1009 for a message over the limit
 * once inflated — a decompression bomb stops at the limit).
 *
 * Interface: ws_message_start, ws_message_add, ws_message_end,
 *            ws_message_clear, ws_message_free.
 */
#ifndef RTLAB_WS_MESSAGE_H
#define RTLAB_WS_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "utf8.h"
#include "ws_deflate.h"

struct ws_message {
    struct buf text;              /* the message so far, unmasked and inflated */
    struct utf8_state utf8;       /* the validator, fed as text grows */
    unsigned char opcode;         /* the message's opcode while one is open, else 0 */
    unsigned char compressed;     /* its first frame had RSV1 (RFC 7692 §6) */
    unsigned char no_context;     /* client_no_context_takeover was agreed */
    struct ws_inflater *inflater; /* zlib's state, made on the first compressed message */
};

/* Open a message: its first frame's opcode, and RSV1. */
void ws_message_start(struct ws_message *m, unsigned opcode, int compressed);

/* Add n payload bytes at p, masked with mask and starting offset bytes
 * into their frame's payload. The text may hold at most limit bytes.
 * Returns 0, or the close status (1007, 1009) with *why saying what. */
unsigned ws_message_add(struct ws_message *m, const unsigned char *p, size_t n,
                        const unsigned char mask[4], uint64_t offset, size_t limit,
                        const char **why);

/* The message's last frame is in: a compressed message gets its DEFLATE
 * tail back, and the text must end on a character boundary. Returns 0
 * (m->text holds the message until ws_message_clear), or 1007 / 1009. */
unsigned ws_message_end(struct ws_message *m, size_t limit, const char **why);

/* Forget the message (between messages, or when the connection closes):
 * the text is freed, the inflater and its window are kept. */
void ws_message_clear(struct ws_message *m);

/* Free everything, the inflater too. */
void ws_message_free(struct ws_message *m);

#endif
