/*
 * websocket/ws_message.c — a client's message from its frames' payload;
 * see ws_message.h.
 */
#include "ws_message.h"

#include "ws_frame.h"

void ws_message_start(struct ws_message *m, unsigned opcode, int compressed)
{
    m->opcode = (unsigned char)opcode;
    m->compressed = compressed != 0;
    utf8_init(&m->utf8);
}

/* The text grew from `at` bytes: check what is new as UTF-8, or say what
 * went wrong inflating it. */
static unsigned check(struct ws_message *m, size_t at, enum ws_inflate_result r, const char **why)
{
    if (r == WS_INFLATE_TOO_BIG)
        return *why = "message too big once inflated (RFC 7692)", 1009;
    if (r != WS_INFLATE_OK)
        return *why = "not valid compressed data (RFC 7692 7.2.2)", 1007;
    if (m->text.len > at &&
        utf8_feed(&m->utf8, (const unsigned char *)m->text.data + at, m->text.len - at) < 0)
        return *why = "text is not valid UTF-8 (8.1)", 1007;
    return 0;
}

unsigned ws_message_add(struct ws_message *m, const unsigned char *p, size_t n,
                        const unsigned char mask[4], uint64_t offset, size_t limit,
                        const char **why)
{
    size_t at = m->text.len;
    if (m->compressed)
        return check(m, at, ws_inflate(&m->inflater, m->no_context, p, n, mask, offset, 0,
                                       &m->text, limit), why);
    if (n == 0) return 0;
    buf_append(&m->text, p, n);                /* then unmasked where it lies */
    unsigned char *piece = (unsigned char *)m->text.data + at;
    ws_unmask(piece, piece, n, mask, offset);
    return check(m, at, WS_INFLATE_OK, why);
}

unsigned ws_message_end(struct ws_message *m, size_t limit, const char **why)
{
    if (m->compressed) {
        size_t at = m->text.len;
        unsigned status = check(m, at, ws_inflate(&m->inflater, m->no_context, NULL, 0, NULL, 0,
                                                  1, &m->text, limit), why);
        if (status) return status;
    }
    if (!utf8_complete(&m->utf8))              /* a character cut off at the end */
        return *why = "text is not valid UTF-8 (8.1)", 1007;
    return 0;
}

void ws_message_clear(struct ws_message *m)
{
    buf_free(&m->text);
    m->opcode = 0;
}

void ws_message_free(struct ws_message *m)
{
    ws_message_clear(m);
    ws_inflater_free(m->inflater);
    m->inflater = NULL;
}
