/*
 * tests/fuzz/fuzz_ws_deflate.c — libFuzzer harness for permessage-deflate
 * (websocket/ws_deflate.c, RFC 7692): the offer a hostile client writes, and
 * the compressed bytes it sends.
 *
 * The first byte picks the half. Even: the rest is the value of a
 * Sec-WebSocket-Extensions field; when core's parser takes the request,
 * ws_deflate_negotiate must answer, and its answer must be either nothing or
 * a line that starts with "permessage-deflate; server_no_context_takeover"
 * and ends in CRLF. Odd: the rest is a client message's payload, masked
 * with the next four bytes and cut where the byte after them says;
 * ws_inflate must answer OK, BAD or TOO_BIG, never write past its 64 KiB
 * limit, and what it inflates must survive a round trip through
 * ws_deflate_message. Beside those, any crash or sanitizer report fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "ws_deflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz_ws_deflate: " __VA_ARGS__); \
                                 fputc('\n', stderr); abort(); } } while (0)

#define LIMIT 65536

static void negotiate(const uint8_t *p, size_t n)
{
    static char req[8192];
    static const char head[] = "GET /ws HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Extensions: ";
    if (n > sizeof req - sizeof head - 8) return;
    size_t len = sizeof head - 1;
    memcpy(req, head, len);
    memcpy(req + len, p, n);
    len += n;
    memcpy(req + len, "\r\n\r\n", 4);
    struct http_request r;
    if (http_parse_request(req, len + 4, &r) <= 0) return;
    struct ws_deflate_terms t;
    char answer[160];
    int on = ws_deflate_negotiate(&r, &t);
    int a = ws_deflate_answer(&t, answer, sizeof answer);
    REQUIRE(on == t.on, "the result and terms.on disagree");
    REQUIRE(a >= 0 && (size_t)a < sizeof answer, "answer length %d", a);
    if (!on) {
        REQUIRE(a == 0, "declined, but answered %s", answer);
        return;
    }
    static const char start[] = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover";
    REQUIRE(strncmp(answer, start, sizeof start - 1) == 0 && strcmp(answer + a - 2, "\r\n") == 0,
            "a strange answer: %s", answer);
}

static void inflate_message(const uint8_t *p, size_t n)
{
    if (n < 5) return;
    const unsigned char *mask = p;
    size_t cut = p[4], len = n - 5;
    const unsigned char *in = p + 5;
    if (cut > len) cut = len;
    struct ws_inflater *z = NULL;
    struct buf out = {0};
    enum ws_inflate_result r = ws_inflate(&z, 0, in, cut, mask, 0, 0, &out, LIMIT);
    if (r == WS_INFLATE_OK) r = ws_inflate(&z, 0, in + cut, len - cut, mask, cut, 1, &out, LIMIT);
    REQUIRE(r == WS_INFLATE_OK || r == WS_INFLATE_BAD || r == WS_INFLATE_TOO_BIG, "result %d", r);
    REQUIRE(out.len <= LIMIT, "%zu bytes past a limit of %d", out.len, LIMIT);
    ws_inflater_free(z);
    if (r == WS_INFLATE_OK) {
        static unsigned char packed[LIMIT + LIMIT / 100 + 64];
        long c = ws_deflate_message(out.data, out.len, packed, sizeof packed);
        REQUIRE(c >= 0, "cannot compress %zu bytes back: %ld", out.len, c);
        struct ws_inflater *z2 = NULL;
        struct buf again = {0};
        REQUIRE(ws_inflate(&z2, 1, packed, (size_t)c, NULL, 0, 1, &again, LIMIT) == WS_INFLATE_OK,
                "our own compression does not inflate");
        REQUIRE(again.len == out.len && (out.len == 0 || memcmp(again.data, out.data, out.len) == 0),
                "the round trip changed the message");
        ws_inflater_free(z2);
        buf_free(&again);
    }
    buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if (data[0] & 1) inflate_message(data + 1, size - 1);
    else negotiate(data + 1, size - 1);
    return 0;
}
