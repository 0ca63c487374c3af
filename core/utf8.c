/*
 * core/utf8.c — incremental UTF-8 validation; see utf8.h.
 *
 * The table of well-formed byte sequences is RFC 3629 §4 (the same as
 * Unicode's Table 3-7): after a lead byte, the *first* continuation byte has
 * a narrower range for four lead bytes, which is what excludes overlongs
 * (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
 */
#include "utf8.h"

void utf8_init(struct utf8_state *s)
{
    s->need = 0;
    s->lo = 0x80;
    s->hi = 0xBF;
}

/* Sets the state for lead byte b; returns -1 when b cannot start a character. */
static int utf8_lead(struct utf8_state *s, unsigned char b)
{
    s->lo = 0x80;
    s->hi = 0xBF;
    if (b < 0x80) { s->need = 0; return 0; }
    if (b < 0xC2) return -1;                       /* continuation, or overlong C0/C1 */
    if (b < 0xE0) { s->need = 1; return 0; }
    if (b < 0xF0) {
        s->need = 2;
        if (b == 0xE0) s->lo = 0xA0;               /* overlong three-byte form */
        if (b == 0xED) s->hi = 0x9F;               /* U+D800..U+DFFF are surrogates */
        return 0;
    }
    if (b < 0xF5) {
        s->need = 3;
        if (b == 0xF0) s->lo = 0x90;               /* overlong four-byte form */
        if (b == 0xF4) s->hi = 0x8F;               /* above U+10FFFF */
        return 0;
    }
    return -1;                                     /* F5..FF never appear */
}

int utf8_feed(struct utf8_state *s, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = p[i];
        if (s->need == 0) {
            if (b < 0x80) continue;                /* the common ASCII case */
            if (utf8_lead(s, b) < 0) return -1;
            continue;
        }
        if (b < s->lo || b > s->hi) return -1;
        s->lo = 0x80;                              /* only the first continuation is narrowed */
        s->hi = 0xBF;
        s->need--;
    }
    return 0;
}

int utf8_complete(const struct utf8_state *s)
{
    return s->need == 0;
}

int utf8_valid(const void *p, size_t n)
{
    struct utf8_state s;
    utf8_init(&s);
    return utf8_feed(&s, p, n) == 0 && utf8_complete(&s);
}
