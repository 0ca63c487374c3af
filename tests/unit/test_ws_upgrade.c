/*
 * tests/unit/test_ws_upgrade.c — the opening handshake as HTTP
 * (websocket/ws_upgrade.h): which requests are a valid upgrade (RFC 6455
 * §4.2.1) and the bytes of the 101 (§4.2.2).
 *
 * Each request is a real head, parsed by core/http.c first, so the header
 * lists are read the way the server reads them.
 *
 * What counts as failure: a request that breaks a rule let through, a
 * valid one (a browser's "keep-alive, Upgrade", any case) refused, 400 and
 * 426 mixed up, or a 101 head that differs from RFC 6455 §1.3's by a byte.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_upgrade.h"

#define KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define V13 "Sec-WebSocket-Version: 13\r\n"
#define UPGRADE "Upgrade: websocket\r\nConnection: Upgrade\r\n"

/* A request head, what ws_upgrade_check must answer, and a word its *why
 * must hold (NULL: none is expected). */
static const struct {
    const char *head;
    int status;
    const char *why;
} cases[] = {
    /* RFC 6455 §1.3's own request. */
    {"GET /chat HTTP/1.1\r\nHost: server.example.com\r\n" UPGRADE KEY
     "Origin: http://example.com\r\n" V13 "\r\n", 0, NULL},
    /* A browser's Connection list, and tokens in any case (RFC 9110 §7.6.1). */
    {"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\n"
     "Connection: keep-alive, upgrade\r\n" KEY V13 "\r\n", 0, NULL},
    {"POST /ws HTTP/1.1\r\nHost: h\r\n" UPGRADE KEY V13 "\r\n", 400, "GET"},
    {"GET /ws HTTP/1.0\r\n" UPGRADE KEY V13 "\r\n", 400, "HTTP/1.1"},
    {"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n" KEY V13 "\r\n", 400, "Upgrade:"},
    {"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n" KEY V13 "\r\n",
     400, "Upgrade:"},
    {"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n" KEY V13 "\r\n", 400, "Connection"},
    {"GET /ws HTTP/1.1\r\nHost: h\r\n" UPGRADE V13 "\r\n", 400, "Key"},
    {"GET /ws HTTP/1.1\r\nHost: h\r\n" UPGRADE KEY KEY V13 "\r\n", 400, "Key"},
    {"GET /ws HTTP/1.1\r\nHost: h\r\n" UPGRADE "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZUE=\r\n"
     V13 "\r\n", 400, "Key"},                            /* 17 bytes */
    {"GET /ws HTTP/1.1\r\nHost: h\r\n" UPGRADE KEY "\r\n", 400, "Version"},
    {"GET /ws HTTP/1.1\r\nHost: h\r\n" UPGRADE KEY V13 V13 "\r\n", 400, "Version"},
    {"GET /ws HTTP/1.1\r\nHost: h\r\n" UPGRADE KEY "Sec-WebSocket-Version: 8\r\n\r\n", 426, NULL},
    {"GET /ws HTTP/1.1\r\nHost: h\r\n" UPGRADE KEY "Sec-WebSocket-Version: 130\r\n\r\n", 426, NULL},
};
enum { CASES = sizeof cases / sizeof cases[0] };

/* Each case: the status, *why naming the broken rule, and on success *key
 * pointing at the request's key. */
START_TEST(test_check_cases)
{
    static struct http_request req;
    const struct http_header *key = NULL;
    const char *why = "unset";
    const char *head = cases[_i].head;
    ck_assert_int_eq(http_parse_request(head, strlen(head), &req), (int)strlen(head));
    int status = ws_upgrade_check(&req, &key, &why);
    ck_assert_msg(status == cases[_i].status, "case %d: %d, not %d, for:\n%s", _i, status,
                  cases[_i].status, head);
    if (cases[_i].why)
        ck_assert_msg(why && strstr(why, cases[_i].why), "case %d: why \"%s\" lacks \"%s\"", _i,
                      why ? why : "(null)", cases[_i].why);
    else
        ck_assert_ptr_null(why);
    if (status == 0)
        ck_assert(key && key->value_len == 24 && memcmp(key->value, "dGhlIHNhbXBsZSBub25jZQ==", 24) == 0);
}
END_TEST

/* RFC 6455 §1.3's answer, byte for byte, with no extension. */
START_TEST(test_head_rfc_example)
{
    char out[256];
    static const char want[] = "HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                               "\r\n";
    ck_assert_int_eq(ws_upgrade_head(out, sizeof out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", ""),
                     (int)sizeof want - 1);
    ck_assert_str_eq(out, want);
}
END_TEST

/* The extension line goes after the accept field, before the empty line;
 * every buffer too small for the head (and its NUL) answers -2. */
START_TEST(test_head_extension_and_short_buffers)
{
    char out[256];
    const char *ext = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n";
    int n = ws_upgrade_head(out, sizeof out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", ext);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq((int)strlen(out), n);
    ck_assert(strstr(out, "xOo=\r\nSec-WebSocket-Extensions: permessage-deflate;"));
    ck_assert(n > 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0);
    for (size_t cap = 0; cap <= (size_t)n; cap++)
        ck_assert_msg(ws_upgrade_head(out, cap, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", ext) == -2,
                      "cap %zu of %d", cap, n);
    ck_assert_int_eq(ws_upgrade_head(out, (size_t)n + 1, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", ext), n);
}
END_TEST

static Suite *ws_upgrade_suite(void)
{
    Suite *s = suite_create("ws_upgrade");
    TCase *check = tcase_create("check");
    tcase_add_loop_test(check, test_check_cases, 0, CASES);
    suite_add_tcase(s, check);
    TCase *head = tcase_create("head");
    tcase_add_test(head, test_head_rfc_example);
    tcase_add_test(head, test_head_extension_and_short_buffers);
    suite_add_tcase(s, head);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ws_upgrade_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
