/*
 * lessons/06-websocket-handshake/sha1.c — YOUR copy of websocket/sha1.c:
 * SHA-1 as RFC 3174 describes it (the contract is in websocket/sha1.h).
 *
 * Yours: sha1_block (the 80 rounds), sha1_update (cutting the input into
 * 64-byte blocks, whatever pieces it comes in) and sha1_final (the
 * padding). Look for TODO(student). The helpers and the initial values are
 * given.
 *
 * The message is cut into 64-byte blocks. Each block is expanded into 80
 * 32-bit words and mixed into five running words H0..H4 by 80 rounds, in four
 * groups of 20 that differ only in their function f and constant K
 * (RFC 3174 §5). The last block is padded with a 1 bit, zeros, and the
 * message length in bits as a big-endian 64-bit number (§4).
 */
#include "sha1.h"

#include <string.h>

/* S^n(X): rotate X left by n bits (RFC 3174 §3). */
static uint32_t rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static uint32_t load_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(unsigned char *p, uint32_t x)
{
    p[0] = (unsigned char)(x >> 24);
    p[1] = (unsigned char)(x >> 16);
    p[2] = (unsigned char)(x >> 8);
    p[3] = (unsigned char)x;
}

/* Mix one 64-byte block into h->h (RFC 3174 §6.1, method 1). */
static void sha1_block(struct sha1 *h, const unsigned char *block)
{
    /* TODO(student): mix one 64-byte block into h->h (RFC 3174 §6.1):
     *   1. w[0..15]: the block as 16 big-endian 32-bit words (load_be32);
     *      w[16..79]: rotl(w[t-3] ^ w[t-8] ^ w[t-14] ^ w[t-16], 1);
     *   2. a..e = h->h[0..4]; 80 rounds: temp = rotl(a, 5) + f + e + w[t] + K,
     *      then e = d, d = c, c = rotl(b, 30), b = a, a = temp, where f and K
     *      change every 20 rounds (§5: choose, parity, majority, parity;
     *      K = 5A827999, 6ED9EBA1, 8F1BBCDC, CA62C1D6);
     *   3. add a..e into h->h[0..4].
     * All arithmetic is modulo 2^32: uint32_t does that for you. */
    (void)h;
    (void)block;
    (void)rotl;                /* the (void) lines keep the compiler quiet */
    (void)load_be32;           /* until you use these: delete them then */
}

void sha1_init(struct sha1 *h)
{
    /* The initial H0..H4 of RFC 3174 §6.1. */
    h->h[0] = 0x67452301;
    h->h[1] = 0xEFCDAB89;
    h->h[2] = 0x98BADCFE;
    h->h[3] = 0x10325476;
    h->h[4] = 0xC3D2E1F0;
    h->length = 0;
    h->used = 0;
}

void sha1_update(struct sha1 *h, const void *p, size_t n)
{
    /* TODO(student): hash n more bytes. Count them in h->length. Collect
     * bytes in h->block (h->used of them are waiting there); each time it
     * holds 64, call sha1_block and start it again. The input may come in
     * any pieces: "abc" in one call or in three must give the same hash. */
    (void)h;
    (void)p;
    (void)n;
    (void)sha1_block;          /* delete once you call it */
}

void sha1_final(struct sha1 *h, unsigned char digest[SHA1_DIGEST_SIZE])
{
    /* TODO(student): the padding (RFC 3174 §4): append the byte 0x80, then
     * zeros until the block has 8 bytes left (if it has fewer than 8 left,
     * zero-fill it, hash it, and start a fresh one), then the message
     * length in BITS as a big-endian 64-bit number; hash that last block.
     * The digest is h->h[0..4], each written big-endian (store_be32). */
    (void)h;
    (void)store_be32;
    memset(digest, 0, SHA1_DIGEST_SIZE);
}

void sha1(const void *p, size_t n, unsigned char digest[SHA1_DIGEST_SIZE])
{
    struct sha1 h;
    sha1_init(&h);
    sha1_update(&h, p, n);
    sha1_final(&h, digest);
}
