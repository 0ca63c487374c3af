/*
 * websocket/sha1.c — SHA-1 as RFC 3174 describes it; see sha1.h.
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
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 80; t++)
        w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    uint32_t a = h->h[0], b = h->h[1], c = h->h[2], d = h->h[3], e = h->h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d);            /* "choose": b picks c or d */
            k = 0x5A827999;
        } else if (t < 40) {
            f = b ^ c ^ d;                     /* parity */
            k = 0x6ED9EBA1;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);   /* majority */
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;                     /* parity again */
            k = 0xCA62C1D6;
        }
        uint32_t temp = rotl(a, 5) + f + e + w[t] + k;
        e = d;
        d = c;
        c = rotl(b, 30);
        b = a;
        a = temp;
    }
    h->h[0] += a;
    h->h[1] += b;
    h->h[2] += c;
    h->h[3] += d;
    h->h[4] += e;
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
    const unsigned char *in = p;
    h->length += n;
    while (n > 0) {
        if (h->used == 0 && n >= SHA1_BLOCK_SIZE) {   /* whole blocks: no copy */
            sha1_block(h, in);
            in += SHA1_BLOCK_SIZE;
            n -= SHA1_BLOCK_SIZE;
            continue;
        }
        size_t take = SHA1_BLOCK_SIZE - h->used;
        if (take > n) take = n;
        memcpy(h->block + h->used, in, take);
        h->used += take;
        in += take;
        n -= take;
        if (h->used == SHA1_BLOCK_SIZE) {
            sha1_block(h, h->block);
            h->used = 0;
        }
    }
}

void sha1_final(struct sha1 *h, unsigned char digest[SHA1_DIGEST_SIZE])
{
    uint64_t bits = h->length * 8;

    /* RFC 3174 §4: a 1 bit, then zeros until 8 bytes short of a block end. */
    h->block[h->used++] = 0x80;
    if (h->used > SHA1_BLOCK_SIZE - 8) {               /* no room for the length */
        memset(h->block + h->used, 0, SHA1_BLOCK_SIZE - h->used);
        sha1_block(h, h->block);
        h->used = 0;
    }
    memset(h->block + h->used, 0, SHA1_BLOCK_SIZE - 8 - h->used);
    store_be32(h->block + 56, (uint32_t)(bits >> 32));
    store_be32(h->block + 60, (uint32_t)bits);
    sha1_block(h, h->block);

    for (int i = 0; i < 5; i++)
        store_be32(digest + 4 * i, h->h[i]);
}

void sha1(const void *p, size_t n, unsigned char digest[SHA1_DIGEST_SIZE])
{
    struct sha1 h;
    sha1_init(&h);
    sha1_update(&h, p, n);
    sha1_final(&h, digest);
}
