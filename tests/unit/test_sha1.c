/*
 * tests/unit/test_sha1.c — SHA-1 (websocket/sha1.c) against RFC 3174's own
 * test vectors, the padding boundaries, and input fed in pieces.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha1.h"

/* The digest as 40 lowercase hex digits. */
static void hex(const unsigned char d[SHA1_DIGEST_SIZE], char out[41])
{
    for (int i = 0; i < SHA1_DIGEST_SIZE; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

/* Hash `text` repeated `times` times, fed one repetition per update, as
 * RFC 3174 §7.3's test driver does. */
static void hash_repeated(const char *text, long times, char out[41])
{
    struct sha1 h;
    unsigned char d[SHA1_DIGEST_SIZE];
    sha1_init(&h);
    for (long i = 0; i < times; i++)
        sha1_update(&h, text, strlen(text));
    sha1_final(&h, d);
    hex(d, out);
}

static const struct {
    const char *text;
    long times;
    const char *digest;
} rfc3174[] = {
    /* RFC 3174 §7.3, TEST1 .. TEST4 */
    {"abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    {"a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
    {"0123456701234567012345670123456701234567012345670123456701234567", 10,
     "dea356a2cddd90c7a7ecedc5ebb563934f460452"},
};

/* RFC 3174's four test vectors give the digests the RFC prints. */
START_TEST(test_rfc3174_vectors)
{
    char got[41];
    hash_repeated(rfc3174[_i].text, rfc3174[_i].times, got);
    ck_assert_msg(strcmp(got, rfc3174[_i].digest) == 0,
                  "TEST%d (\"%.20s...\" x %ld): got %s, want %s", _i + 1,
                  rfc3174[_i].text, rfc3174[_i].times, got, rfc3174[_i].digest);
}
END_TEST

/* The empty message and a well-known sentence. */
START_TEST(test_short_messages)
{
    unsigned char d[SHA1_DIGEST_SIZE];
    char got[41];
    sha1("", 0, d);
    hex(d, got);
    ck_assert_str_eq(got, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const char *fox = "The quick brown fox jumps over the lazy dog";
    sha1(fox, strlen(fox), d);
    hex(d, got);
    ck_assert_str_eq(got, "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
}
END_TEST

static const struct {
    size_t length;           /* of a message of 'a's */
    const char *digest;
} boundaries[] = {
    /* 55 bytes: the padding and length still fit in one block; 56: they do
     * not, a second block is needed; 63, 64, 65 around a whole block. */
    {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
    {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
    {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
    {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
    {65, "11655326c708d70319be2610e8a57d9a5b959d3b"},
    {119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"},
    {120, "f34c1488385346a55709ba056ddd08280dd4c6d6"},
};

/* Messages whose length sits at the padding boundaries (RFC 3174 §4). */
START_TEST(test_padding_boundaries)
{
    char text[128];
    unsigned char d[SHA1_DIGEST_SIZE];
    char got[41];
    memset(text, 'a', sizeof text);
    sha1(text, boundaries[_i].length, d);
    hex(d, got);
    ck_assert_msg(strcmp(got, boundaries[_i].digest) == 0,
                  "%zu x 'a': got %s, want %s", boundaries[_i].length, got, boundaries[_i].digest);
}
END_TEST

/* Feeding a message in two pieces, cut at every byte, gives the same digest
 * as feeding it whole, for every length up to three blocks. */
START_TEST(test_split_at_every_byte)
{
    unsigned char text[200];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (unsigned char)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof text; len++) {
        unsigned char whole[SHA1_DIGEST_SIZE];
        sha1(text, len, whole);
        for (size_t cut = 0; cut <= len; cut++) {
            struct sha1 h;
            unsigned char pieces[SHA1_DIGEST_SIZE];
            sha1_init(&h);
            sha1_update(&h, text, cut);
            sha1_update(&h, text + cut, len - cut);
            sha1_final(&h, pieces);
            if (memcmp(whole, pieces, SHA1_DIGEST_SIZE) != 0)
                ck_abort_msg("length %zu cut at %zu differs from the one-shot digest", len, cut);
        }
    }
}
END_TEST

/* Feeding one byte at a time gives RFC 3174's TEST2 digest. */
START_TEST(test_byte_by_byte)
{
    const char *text = rfc3174[1].text;
    struct sha1 h;
    unsigned char d[SHA1_DIGEST_SIZE];
    char got[41];
    sha1_init(&h);
    for (size_t i = 0; text[i]; i++)
        sha1_update(&h, text + i, 1);
    sha1_final(&h, d);
    hex(d, got);
    ck_assert_str_eq(got, rfc3174[1].digest);
}
END_TEST

static Suite *sha1_suite(void)
{
    Suite *s = suite_create("sha1");
    TCase *tc = tcase_create("rfc3174");
    tcase_set_timeout(tc, 60);              /* a million 'a's, under the sanitizers too */
    tcase_add_loop_test(tc, test_rfc3174_vectors, 0, (int)(sizeof rfc3174 / sizeof rfc3174[0]));
    tcase_add_test(tc, test_short_messages);
    tcase_add_loop_test(tc, test_padding_boundaries, 0, (int)(sizeof boundaries / sizeof boundaries[0]));
    suite_add_tcase(s, tc);
    TCase *pieces = tcase_create("pieces");
    tcase_set_timeout(pieces, 60);
    tcase_add_test(pieces, test_split_at_every_byte);
    tcase_add_test(pieces, test_byte_by_byte);
    suite_add_tcase(s, pieces);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sha1_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
