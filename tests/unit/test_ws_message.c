/*
 * tests/unit/test_ws_message.c — a client's message from its frames'
 * payload (websocket/ws_message.h): unmasking, inflating, and UTF-8 checked
 * as the message grows.
 *
 * What counts as failure: a message that comes out different from what was
 * sent, bad text refused later than at its first bad byte, or the wrong
 * close status (1007 for text or DEFLATE that is not valid, 1009 over the
 * limit).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ws_message.h"

static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};   /* RFC 6455 §5.7's */

static void mask(unsigned char *out, const void *in, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = ((const unsigned char *)in)[i] ^ key[i % 4];
}

/* RFC 6455 §5.7's masked "Hello", added in two pieces at every cut: the
 * offset keeps the key in step, and the message is "Hello". */
START_TEST(plain_in_pieces)
{
    static const unsigned char hello[] = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
    for (size_t cut = 0; cut <= 5; cut++) {
        struct ws_message m = {0};
        const char *why;
        ws_message_start(&m, 1, 0);
        ck_assert_uint_eq(ws_message_add(&m, hello, cut, key, 0, 100, &why), 0);
        ck_assert_uint_eq(ws_message_add(&m, hello + cut, 5 - cut, key, cut, 100, &why), 0);
        ck_assert_uint_eq(ws_message_end(&m, 100, &why), 0);
        ck_assert(m.text.len == 5 && memcmp(m.text.data, "Hello", 5) == 0);
        ws_message_free(&m);
    }
}
END_TEST

/* Bad UTF-8 is refused by the add that brings its first bad byte (§8.1):
 * "ab" is fine, "\xff" is 1007 at once; a character cut off at the end is
 * 1007 only at ws_message_end. */
START_TEST(utf8_fails_fast)
{
    unsigned char buf[8];
    struct ws_message m = {0};
    const char *why = NULL;
    ws_message_start(&m, 1, 0);
    mask(buf, "ab\xff", 3);
    ck_assert_uint_eq(ws_message_add(&m, buf, 2, key, 0, 100, &why), 0);
    ck_assert_uint_eq(ws_message_add(&m, buf + 2, 1, key, 2, 100, &why), 1007);
    ck_assert_ptr_nonnull(why);
    ws_message_free(&m);

    ws_message_start(&m, 1, 0);
    mask(buf, "a\xc3", 2);                            /* the first byte of "é" */
    ck_assert_uint_eq(ws_message_add(&m, buf, 2, key, 0, 100, &why), 0);
    ck_assert_uint_eq(ws_message_end(&m, 100, &why), 1007);
    ws_message_free(&m);
}
END_TEST

/* A compressed message (RFC 7692 §7.2.3.1's "Hello", masked) in pieces is
 * "Hello"; compressed bytes that inflate to bad UTF-8 are 1007; a message
 * that inflates past the limit is 1009; DEFLATE that is not is 1007. */
START_TEST(compressed)
{
    static const unsigned char hello[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
    /* a stored block holding the byte 0xff: not UTF-8 */
    static const unsigned char ff[] = {0x00, 0x01, 0x00, 0xfe, 0xff, 0xff, 0x00};
    unsigned char buf[16];
    struct ws_message m = {0};
    const char *why;

    mask(buf, hello, sizeof hello);
    ws_message_start(&m, 1, 1);
    ck_assert_uint_eq(ws_message_add(&m, buf, 3, key, 0, 100, &why), 0);
    ck_assert_uint_eq(ws_message_add(&m, buf + 3, sizeof hello - 3, key, 3, 100, &why), 0);
    ck_assert_uint_eq(ws_message_end(&m, 100, &why), 0);
    ck_assert(m.text.len == 5 && memcmp(m.text.data, "Hello", 5) == 0);
    ws_message_clear(&m);

    ws_message_start(&m, 1, 1);                       /* the same inflater, kept */
    ck_assert_uint_eq(ws_message_add(&m, buf, sizeof hello, key, 0, 4, &why), 1009);
    ws_message_free(&m);

    mask(buf, ff, sizeof ff);
    ws_message_start(&m, 1, 1);
    ck_assert_uint_eq(ws_message_add(&m, buf, sizeof ff, key, 0, 100, &why), 1007);
    ws_message_free(&m);

    mask(buf, "\xff\xff\xff\xff", 4);
    ws_message_start(&m, 1, 1);
    ck_assert_uint_eq(ws_message_add(&m, buf, 4, key, 0, 100, &why), 1007);
    ws_message_free(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ws_message");
    TCase *tc = tcase_create("message");
    tcase_add_test(tc, plain_in_pieces);
    tcase_add_test(tc, utf8_fails_fast);
    tcase_add_test(tc, compressed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
