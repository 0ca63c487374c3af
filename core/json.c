/*
 * core/json.c — writing a JSON string literal; see json.h.
 *
 * RFC 8259 §7: inside quotes, '"', '\\' and the control bytes U+0000..U+001F
 * must be escaped; everything else may appear as it is. Bytes of UTF-8 are
 * therefore copied untouched: checking that the text is valid UTF-8 is the
 * publisher's job (POST /publish), not the encoder's.
 */
#include "json.h"

/* The escape for byte c, written into esc; returns its length (1 when the
 * byte needs none, and then esc holds the byte itself). */
static size_t escape_byte(unsigned char c, char esc[6])
{
    static const char hex[] = "0123456789abcdef";
    char named = 0;
    switch (c) {
    case '"':  named = '"'; break;
    case '\\': named = '\\'; break;
    case '\b': named = 'b'; break;
    case '\f': named = 'f'; break;
    case '\n': named = 'n'; break;
    case '\r': named = 'r'; break;
    case '\t': named = 't'; break;
    default:
        if (c >= 0x20) {
            esc[0] = (char)c;
            return 1;
        }
        /* other control bytes have no short form: \u00XX */
        esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        return 6;
    }
    esc[0] = '\\';
    esc[1] = named;
    return 2;
}

long json_escape(char *out, size_t cap, const char *p, size_t n)
{
    size_t len = 0;
    if (cap < 2) return -2;
    out[len++] = '"';
    for (size_t i = 0; i < n; i++) {
        char esc[6];
        size_t k = escape_byte((unsigned char)p[i], esc);
        if (k > cap - 1 - len) return -2;         /* keep room for the closing quote */
        for (size_t j = 0; j < k; j++) out[len++] = esc[j];
    }
    out[len++] = '"';
    return (long)len;
}
