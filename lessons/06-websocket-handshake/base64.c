/*
 * lessons/06-websocket-handshake/base64.c — YOUR copy of
 * websocket/base64.c: base64 encoding and strict decoding (RFC 4648 §4; the
 * contract is in websocket/base64.h). Both functions are yours (look for
 * TODO(student)).
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
    /* TODO(student): every 3 input bytes (24 bits) become 4 characters,
     * each the alphabet[] entry of 6 of those bits, highest bits first. A
     * last group of 1 byte gives 2 characters and "==", of 2 bytes 3
     * characters and "=". -2 when cap < BASE64_ENCODED_SIZE(n); no NUL is
     * written. Returns the characters written. */
    (void)out;
    (void)cap;
    (void)in;
    (void)n;
    (void)alphabet;            /* delete once you use it */
    return -1;
}

long base64_decode(void *out, size_t cap, const char *in, size_t n)
{
    /* TODO(student): the strict reverse (RFC 4648 §3.5), see base64.h:
     * the length a multiple of 4, only alphabet characters, '=' only as
     * the last one or two, and the bits the padding leaves unused zero
     * ("QR==" is not canonical: "QQ==" is). -1 for anything else, -2 when
     * cap is too small, else the bytes written. */
    (void)out;
    (void)cap;
    (void)in;
    (void)n;
    return -1;
}
