/*
 * tests/unit/test_base64.c — base64 (websocket/base64.c): RFC 4648 §10's
 * test vectors both ways, the handshake's own sizes, and what the strict
 * decoder refuses.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

static const struct {
    const char *raw;
    const char *encoded;
} rfc4648[] = {
    /* RFC 4648 §10 */
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};
enum { VECTORS = sizeof rfc4648 / sizeof rfc4648[0] };

/* Each RFC 4648 vector encodes to the RFC's text. */
START_TEST(test_encode_rfc4648)
{
    char out[16];
    const char *raw = rfc4648[_i].raw;
    long n = base64_encode(out, sizeof out, raw, strlen(raw));
    ck_assert_msg(n == (long)strlen(rfc4648[_i].encoded), "\"%s\": length %ld", raw, n);
    out[n] = '\0';
    ck_assert_msg(strcmp(out, rfc4648[_i].encoded) == 0,
                  "\"%s\" encoded as \"%s\", want \"%s\"", raw, out, rfc4648[_i].encoded);
}
END_TEST

/* Each RFC 4648 vector decodes back to its bytes. */
START_TEST(test_decode_rfc4648)
{
    char out[16];
    const char *text = rfc4648[_i].encoded;
    long n = base64_decode(out, sizeof out, text, strlen(text));
    ck_assert_msg(n == (long)strlen(rfc4648[_i].raw), "\"%s\": decoded length %ld", text, n);
    ck_assert_msg(memcmp(out, rfc4648[_i].raw, (size_t)n) == 0, "\"%s\" decoded wrong", text);
}
END_TEST

/* Every byte value survives encode then decode, at every length 0..64. */
START_TEST(test_round_trip_all_bytes)
{
    unsigned char raw[256], back[256];
    char text[BASE64_ENCODED_SIZE(256)];
    for (int i = 0; i < 256; i++) raw[i] = (unsigned char)(255 - i);
    for (size_t len = 0; len <= 256; len += (len < 64 ? 1 : 64)) {
        long n = base64_encode(text, sizeof text, raw, len);
        ck_assert_int_eq(n, (long)BASE64_ENCODED_SIZE(len));
        long m = base64_decode(back, sizeof back, text, (size_t)n);
        ck_assert_msg(m == (long)len, "length %zu came back as %ld", len, m);
        ck_assert_msg(memcmp(raw, back, len) == 0, "length %zu came back changed", len);
    }
}
END_TEST

/* A 16-byte WebSocket key is 24 characters; a 20-byte digest 28. */
START_TEST(test_handshake_sizes)
{
    ck_assert_int_eq(BASE64_ENCODED_SIZE(16), 24);
    ck_assert_int_eq(BASE64_ENCODED_SIZE(20), 28);
    /* RFC 6455 §4.1's example key decodes to "the sample nonce". */
    char out[32];
    long n = base64_decode(out, sizeof out, "dGhlIHNhbXBsZSBub25jZQ==", 24);
    ck_assert_int_eq(n, 16);
    ck_assert(memcmp(out, "the sample nonce", 16) == 0);
}
END_TEST

/* Too small an output buffer is -2, never an overflow. */
START_TEST(test_small_buffers)
{
    char out[8];
    ck_assert_int_eq(base64_encode(out, 3, "f", 1), -2);
    ck_assert_int_eq(base64_encode(out, 4, "f", 1), 4);
    ck_assert_int_eq(base64_encode(out, 7, "foob", 4), -2);
    ck_assert_int_eq(base64_decode(out, 5, "Zm9vYmFy", 8), -2);
    ck_assert_int_eq(base64_decode(out, 6, "Zm9vYmFy", 8), 6);
}
END_TEST

static const char *const not_canonical[] = {
    "Zg=",          /* length not a multiple of 4 */
    "Zg",
    "Z===",         /* three pads */
    "====",
    "Zg==Zg==",     /* padding in the middle */
    "Z=g=",
    "Zm9v\n",       /* whitespace */
    "Zm 9",
    "Zm9-",         /* base64url's alphabet, not base64's */
    "Zm9_",
    "Zh==",         /* unused bits not zero: 'h' leaves bits set under the pad */
    "Zm9=",         /* ... and for a two-byte group: '9' = 111101 */
};

/* The strict decoder refuses text that is not canonical base64. */
START_TEST(test_decode_refuses)
{
    char out[16];
    const char *text = not_canonical[_i];
    ck_assert_msg(base64_decode(out, sizeof out, text, strlen(text)) == -1,
                  "\"%s\" should be refused", text);
}
END_TEST

static Suite *base64_suite(void)
{
    Suite *s = suite_create("base64");
    TCase *tc = tcase_create("rfc4648");
    tcase_add_loop_test(tc, test_encode_rfc4648, 0, VECTORS);
    tcase_add_loop_test(tc, test_decode_rfc4648, 0, VECTORS);
    tcase_add_test(tc, test_round_trip_all_bytes);
    tcase_add_test(tc, test_handshake_sizes);
    tcase_add_test(tc, test_small_buffers);
    tcase_add_loop_test(tc, test_decode_refuses, 0,
                        (int)(sizeof not_canonical / sizeof not_canonical[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(base64_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
