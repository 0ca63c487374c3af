/*
 * core/utf8.h — incremental UTF-8 validation (RFC 3629).
 *
 * The validator keeps a tiny state between calls, so a message can be checked
 * as its bytes arrive and refused at the first byte that cannot be UTF-8:
 * WebSocket (RFC 6455 §8.1) must fail a text message as soon as it is
 * invalid, not once it is complete. Refused: overlong forms, UTF-16
 * surrogates (U+D800..U+DFFF), code points above U+10FFFF, stray
 * continuation bytes, and 0xC0, 0xC1, 0xF5..0xFF anywhere.
 *
 * Interface: utf8_init, utf8_feed, utf8_complete, utf8_valid.
 * Pure: no allocation, no globals.
 */
#ifndef RTLAB_UTF8_H
#define RTLAB_UTF8_H

#include <stddef.h>

struct utf8_state {
    unsigned need;      /* continuation bytes still expected for this character */
    unsigned char lo;   /* smallest allowed value of the next continuation byte */
    unsigned char hi;   /* largest allowed value of the next continuation byte */
};

/* Start a new text. */
void utf8_init(struct utf8_state *s);
/* Check n more bytes. Returns 0 while the text so far can still be valid
 * UTF-8, or -1 at the first impossible byte (the state is then undefined). */
int utf8_feed(struct utf8_state *s, const unsigned char *p, size_t n);
/* 1 when the text fed so far ends on a character boundary, else 0. */
int utf8_complete(const struct utf8_state *s);
/* One-shot: 1 when p[0..n) is complete, valid UTF-8, else 0. */
int utf8_valid(const void *p, size_t n);

#endif
