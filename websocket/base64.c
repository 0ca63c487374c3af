/*
 * websocket/base64.c — base64 encoding and strict decoding; see base64.h.
 *
 * Base64 reads the input 24 bits (3 bytes) at a time and writes them as four
 * 6-bit digits from a 64-character alphabet (RFC 4648 §4, Table 1). A last
 * group of one byte becomes two digits and "==", a group of two bytes three
 * digits and "=".
 */
#include "base64.h"

static const char alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

long base64_encode(char *out, size_t cap, const void *in, size_t n)
{
    const unsigned char *p = in;
    size_t need = BASE64_ENCODED_SIZE(n);
    if (cap < need) return -2;

    char *o = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {                       /* whole groups of 3 bytes */
        unsigned long v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = alphabet[v >> 6 & 63];
        *o++ = alphabet[v & 63];
    }
    if (n - i == 1) {                                  /* 8 bits left: 2 digits + "==" */
        unsigned long v = (unsigned long)p[i] << 16;
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (n - i == 2) {                           /* 16 bits left: 3 digits + "=" */
        unsigned long v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = alphabet[v >> 6 & 63];
        *o++ = '=';
    }
    return (long)(o - out);
}

/* The 6-bit value of one base64 digit, or -1 for any other character. */
static int digit_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

long base64_decode(void *out, size_t cap, const char *in, size_t n)
{
    unsigned char *o = out;
    if (n % 4 != 0) return -1;

    size_t pad = 0;                                    /* '=' at the very end: 0, 1 or 2 */
    if (n >= 1 && in[n - 1] == '=') pad++;
    if (n >= 2 && in[n - 2] == '=') pad++;
    size_t bytes = n / 4 * 3 - pad;
    if (bytes > cap) return -2;

    for (size_t i = 0; i < n; i += 4) {
        int last = (i + 4 == n);
        unsigned long v = 0;
        for (size_t j = 0; j < 4; j++) {
            int d;
            if (last && j >= 4 - pad)
                d = 0;                                 /* a pad character stands for zero bits */
            else if ((d = digit_value(in[i + j])) < 0)
                return -1;                             /* '=' in the middle, or not base64 */
            v = v << 6 | (unsigned long)d;
        }
        size_t group = last ? 3 - pad : 3;
        /* §3.5: the bits that the padding leaves unused must be zero. */
        if (group == 1 && (v & 0xFFFF) != 0) return -1;
        if (group == 2 && (v & 0xFF) != 0) return -1;
        *o++ = (unsigned char)(v >> 16);
        if (group >= 2) *o++ = (unsigned char)(v >> 8);
        if (group == 3) *o++ = (unsigned char)v;
    }
    return (long)bytes;
}
