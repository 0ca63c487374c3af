/*
 * websocket/sha1.h — SHA-1 (RFC 3174, FIPS 180-4).
 *
 * The WebSocket handshake (RFC 6455 §4.2.2) proves that the server read the
 * client's key by hashing it with SHA-1. SHA-1 is broken for signatures, but
 * here it is no security device at all: it only shows that the server
 * speaks WebSocket and is not some HTTP server that happened to answer.
 *
 * The hash is incremental, so a long input can be fed in pieces:
 *
 *     struct sha1 h;
 *     sha1_init(&h);
 *     sha1_update(&h, "ab", 2);
 *     sha1_update(&h, "c", 1);
 *     sha1_final(&h, digest);     // digest of "abc"
 *
 * Interface: sha1_init, sha1_update, sha1_final, sha1 (one shot).
 * Pure: no allocation, no globals.
 */
#ifndef RTLAB_SHA1_H
#define RTLAB_SHA1_H

#include <stddef.h>
#include <stdint.h>

enum { SHA1_DIGEST_SIZE = 20, SHA1_BLOCK_SIZE = 64 };

struct sha1 {
    uint32_t h[5];                       /* the running hash H0..H4 */
    uint64_t length;                     /* bytes hashed so far */
    unsigned char block[SHA1_BLOCK_SIZE]; /* a block not yet full */
    size_t used;                         /* bytes waiting in block */
};

/* Start a new hash. */
void sha1_init(struct sha1 *h);
/* Hash n more bytes of p. */
void sha1_update(struct sha1 *h, const void *p, size_t n);
/* Pad, finish and write the 20-byte digest. The state is spent afterwards:
 * call sha1_init before hashing again. */
void sha1_final(struct sha1 *h, unsigned char digest[SHA1_DIGEST_SIZE]);
/* The digest of p[0..n) in one call. */
void sha1(const void *p, size_t n, unsigned char digest[SHA1_DIGEST_SIZE]);

#endif
