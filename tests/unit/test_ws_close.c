/*
 * tests/unit/test_ws_close.c — a close frame's payload
 * (websocket/ws_close.h): the codes §7.4 allows a peer to send, the 1-byte
 * and non-UTF-8 payloads §5.5.1 forbids, and ours cut to 125 bytes.
 *
 * What counts as failure: a code outside §7.4's table accepted, an allowed
 * one refused, a bad payload let through, or our payload over 125 bytes or
 * with the code in the wrong byte order.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ws_close.h"

/* Every code around the edges of §7.4's table, sent with no reason. */
START_TEST(test_parse_codes)
{
    static const struct { unsigned code; int ok; } table[] = {
        {0, 0},    {999, 0},  {1000, 1}, {1001, 1}, {1002, 1}, {1003, 1}, {1004, 0},
        {1005, 0}, {1006, 0}, {1007, 1}, {1011, 1}, {1014, 1}, {1015, 0}, {1016, 0},
        {2999, 0}, {3000, 1}, {4000, 1}, {4999, 1}, {5000, 0}, {65535, 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        unsigned char p[2] = {(unsigned char)(table[i].code >> 8), (unsigned char)table[i].code};
        unsigned code = 0;
        const char *why = NULL;
        int r = ws_close_parse(p, 2, &code, &why);
        ck_assert_msg(r == (table[i].ok ? 0 : -1), "code %u: %d", table[i].code, r);
        ck_assert_uint_eq(code, table[i].code);
        if (!table[i].ok) ck_assert_ptr_nonnull(strstr(why, "7.4"));
    }
}
END_TEST

/* Empty is allowed (it reports as 1005); 1 byte is not; the reason must be
 * UTF-8, and may be empty or up to 123 bytes. */
START_TEST(test_parse_payloads)
{
    unsigned code;
    const char *why;
    ck_assert_int_eq(ws_close_parse((const unsigned char *)"", 0, &code, &why), 0);
    ck_assert_uint_eq(code, WS_NO_STATUS);
    ck_assert_int_eq(ws_close_parse((const unsigned char *)"\x03", 1, &code, &why), -1);
    ck_assert_ptr_nonnull(strstr(why, "1 byte"));
    ck_assert_int_eq(ws_close_parse((const unsigned char *)"\x03\xe8" "bye \xc3\xa9", 8, &code, &why), 0);
    ck_assert_uint_eq(code, 1000);
    ck_assert_int_eq(ws_close_parse((const unsigned char *)"\x03\xe8" "bye \xc3", 7, &code, &why), -1);
    ck_assert_ptr_nonnull(strstr(why, "UTF-8"));
    ck_assert_int_eq(ws_close_parse((const unsigned char *)"\x03\xe8\xff", 3, &code, &why), -1);
}
END_TEST

/* Ours: the code big-endian, then the reason; a reason too long is cut so
 * the whole payload is 125 bytes, and what we write parses back. */
START_TEST(test_payload)
{
    unsigned char out[WS_MAX_CONTROL];
    unsigned code;
    const char *why;
    ck_assert_uint_eq(ws_close_payload(out, 1000, ""), 2);
    ck_assert(out[0] == 0x03 && out[1] == 0xe8);
    ck_assert_uint_eq(ws_close_payload(out, 1009, "message too big"), 17);
    ck_assert(out[0] == 0x03 && out[1] == 0xf1 && memcmp(out + 2, "message too big", 15) == 0);
    ck_assert_int_eq(ws_close_parse(out, 17, &code, &why), 0);
    ck_assert_uint_eq(code, 1009);
    char reason[300];
    memset(reason, 'x', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    ck_assert_uint_eq(ws_close_payload(out, 1002, reason), WS_MAX_CONTROL);
    ck_assert(out[WS_MAX_CONTROL - 1] == 'x');
}
END_TEST

static Suite *ws_close_suite(void)
{
    Suite *s = suite_create("ws_close");
    TCase *parse = tcase_create("parse");
    tcase_add_test(parse, test_parse_codes);
    tcase_add_test(parse, test_parse_payloads);
    suite_add_tcase(s, parse);
    TCase *write = tcase_create("payload");
    tcase_add_test(write, test_payload);
    suite_add_tcase(s, write);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ws_close_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
