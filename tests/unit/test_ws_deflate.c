/*
 * tests/unit/test_ws_deflate.c — permessage-deflate (RFC 7692) of
 * websocket/ws_deflate.h: the negotiation of the handshake, and the codec.
 *
 * The codec is held to RFC 7692 §7.2.3's own examples, byte for byte:
 * "Hello" compressed (§7.2.3.1), the same again with context takeover
 * (§7.2.3.2), a stored block (§7.2.3.3), a block with BFINAL set
 * (§7.2.3.4) and two blocks in one message (§7.2.3.5). Then round trips of
 * text that compresses and bytes that do not, cut into pieces, and what
 * must be refused: data that is not DEFLATE, a message cut inside a block,
 * and a bomb that would inflate past the limit.
 *
 * The negotiation is a table of offers as browsers and libraries send them
 * and as nobody should, with the answer each must get.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "ws_deflate.h"

/* ==== Helpers ==== */

static char *hex(const unsigned char *p, size_t n)
{
    static char out[512];
    size_t at = 0;
    for (size_t i = 0; i < n && at + 4 < sizeof out; i++)
        at += (size_t)snprintf(out + at, sizeof out - at, "%02x ", p[i]);
    out[at] = 0;
    return out;
}

/* Inflate one whole message with z; returns the result, output in *out. */
static int inflate_all(struct ws_inflater **z, int no_context, const unsigned char *in, size_t n,
                       struct buf *out, size_t limit)
{
    buf_free(out);
    return ws_inflate(z, no_context, in, n, NULL, 0, 1, out, limit);
}

static int holds(const struct buf *b, const void *p, size_t n)
{
    return b->len == n && (n == 0 || memcmp(b->data, p, n) == 0);
}

/* ==== RFC 7692 §7.2.3: the examples ==== */

static const unsigned char hello_1[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
static const unsigned char hello_again[] = {0xf2, 0x00, 0x11, 0x00, 0x00};

/* §7.2.3.1: "Hello" compressed with a fresh context is f2 48 cd c9 c9 07 00:
 * the sync flush's 00 00 ff ff is gone from the tail. */
START_TEST(rfc_hello_compressed)
{
    unsigned char out[64];
    long n = ws_deflate_message("Hello", 5, out, sizeof out);
    ck_assert_msg(n == sizeof hello_1 && memcmp(out, hello_1, sizeof hello_1) == 0,
                  "got %ld bytes: %s", n, hex(out, n > 0 ? (size_t)n : 0));
    /* Every message is compressed on its own (server_no_context_takeover):
     * the second "Hello" is the same bytes, not §7.2.3.2's back-reference. */
    n = ws_deflate_message("Hello", 5, out, sizeof out);
    ck_assert_msg(n == sizeof hello_1 && memcmp(out, hello_1, sizeof hello_1) == 0,
                  "second: %s", hex(out, n > 0 ? (size_t)n : 0));
}
END_TEST

/* The same as a server frame: c1 07 (FIN, RSV1, text; 7 bytes) and the
 * payload. The cap must also hold the 4 bytes of the tail before they are
 * removed: one byte less is -2, so "only when smaller" is a cap. */
START_TEST(rfc_hello_frame)
{
    unsigned char out[64];
    long n = ws_deflate_text_frame("Hello", 5, out, sizeof out);
    static const unsigned char want[] = {0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
    ck_assert_msg(n == sizeof want && memcmp(out, want, sizeof want) == 0, "got %s",
                  hex(out, n > 0 ? (size_t)n : 0));
    ck_assert_int_eq(ws_deflate_text_frame("Hello", 5, out, sizeof want + 4), (long)sizeof want);
    ck_assert_int_eq(ws_deflate_text_frame("Hello", 5, out, sizeof want + 3), -2);
    ck_assert_int_eq(ws_deflate_message("Hello", 5, out, sizeof hello_1 + 4), (long)sizeof hello_1);
    ck_assert_int_eq(ws_deflate_message("Hello", 5, out, sizeof hello_1 + 3), -2);
    ck_assert_int_eq(ws_deflate_text_frame("Hello", 5, out, 0), -2);
}
END_TEST

/* §7.2.3.1 and §7.2.3.2 inflated: with context takeover the second message
 * f2 00 11 00 00 refers back into the first and is "Hello" again; with
 * client_no_context_takeover the window is gone, and the same bytes are
 * refused (a distance too far back). */
START_TEST(rfc_hello_inflated)
{
    struct ws_inflater *z = NULL;
    struct buf out = {0};
    ck_assert_int_eq(inflate_all(&z, 0, hello_1, sizeof hello_1, &out, 100), WS_INFLATE_OK);
    ck_assert(holds(&out, "Hello", 5));
    ck_assert_int_eq(inflate_all(&z, 0, hello_again, sizeof hello_again, &out, 100), WS_INFLATE_OK);
    ck_assert(holds(&out, "Hello", 5));
    ws_inflater_free(z);

    z = NULL;
    ck_assert_int_eq(inflate_all(&z, 1, hello_1, sizeof hello_1, &out, 100), WS_INFLATE_OK);
    ck_assert_int_eq(inflate_all(&z, 1, hello_again, sizeof hello_again, &out, 100), WS_INFLATE_BAD);
    ws_inflater_free(z);
    buf_free(&out);
}
END_TEST

static const struct {
    const char *what;
    unsigned char bytes[16];
    size_t n;
} rfc_examples[] = {
    {"7.2.3.1 one compressed block", {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, 7},
    {"7.2.3.3 a stored block", {0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}, 11},
    {"7.2.3.4 a block with BFINAL set", {0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}, 8},
    {"7.2.3.5 two blocks", {0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07,
                            0x00}, 13},
};

/* Each §7.2.3 form of "Hello" inflates to "Hello", whole and cut at every
 * byte (a message arrives in frames and reads of any size); and after each,
 * the next message can still refer back (the window survives a BFINAL). */
START_TEST(rfc_examples_inflated)
{
    const unsigned char *in = rfc_examples[_i].bytes;
    size_t n = rfc_examples[_i].n;
    struct buf out = {0};
    for (size_t cut = 0; cut <= n; cut++) {
        struct ws_inflater *z = NULL;
        ck_assert_int_eq(ws_inflate(&z, 0, in, cut, NULL, 0, 0, &out, 100), WS_INFLATE_OK);
        ck_assert_int_eq(ws_inflate(&z, 0, in + cut, n - cut, NULL, 0, 1, &out, 100), WS_INFLATE_OK);
        ck_assert_msg(holds(&out, "Hello", 5), "%s cut at %zu: %.*s", rfc_examples[_i].what, cut,
                      (int)out.len, out.data);
        ck_assert_int_eq(inflate_all(&z, 0, hello_again, sizeof hello_again, &out, 100), WS_INFLATE_OK);
        ck_assert_msg(holds(&out, "Hello", 5), "%s: the next message lost the window",
                      rfc_examples[_i].what);
        ws_inflater_free(z);
        buf_free(&out);
    }
}
END_TEST

/* An empty message compresses to the one byte 00 (an empty stored block
 * with its tail removed), and that inflates to nothing. */
START_TEST(empty_message)
{
    unsigned char out[16];
    ck_assert_int_eq(ws_deflate_message("", 0, out, sizeof out), 1);
    ck_assert_int_eq(out[0], 0x00);
    struct ws_inflater *z = NULL;
    struct buf b = {0};
    ck_assert_int_eq(inflate_all(&z, 0, out, 1, &b, 10), WS_INFLATE_OK);
    ck_assert_int_eq(b.len, 0);
    ws_inflater_free(z);
}
END_TEST

/* A client's payload arrives masked (RFC 6455 §5.3) and in pieces: the
 * mask and each piece's offset into the frame are applied before
 * inflating, so §7.2.3.1's bytes masked with §5.7's key, cut anywhere,
 * are "Hello". */
START_TEST(masked_pieces)
{
    static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    unsigned char masked[sizeof hello_1];
    for (size_t i = 0; i < sizeof hello_1; i++) masked[i] = hello_1[i] ^ key[i % 4];
    for (size_t cut = 0; cut <= sizeof hello_1; cut++) {
        struct ws_inflater *z = NULL;
        struct buf out = {0};
        ck_assert_int_eq(ws_inflate(&z, 0, masked, cut, key, 0, 0, &out, 100), WS_INFLATE_OK);
        ck_assert_int_eq(ws_inflate(&z, 0, masked + cut, sizeof hello_1 - cut, key, cut, 1, &out, 100),
                         WS_INFLATE_OK);
        ck_assert_msg(holds(&out, "Hello", 5), "cut at %zu: %.*s", cut, (int)out.len, out.data);
        ws_inflater_free(z);
        buf_free(&out);
    }
}
END_TEST

/* ws_deflate_frame: a short message is not worth compressing, and comes
 * back as another reference to the plain frame; a long one is a new chunk
 * holding exactly the compressed frame (no spare room kept). The line is
 * 4 bytes: "Hello" is a 9-byte compressed frame, taken beside a plain
 * frame of 13 bytes, not beside one of 12. */
START_TEST(frame_chunks)
{
    struct chunk *hello = chunk_from("Hello", 5), *p13 = chunk_new(13), *p12 = chunk_new(12);
    p13->len = 13;
    p12->len = 12;
    struct chunk *c13 = ws_deflate_frame(hello, p13), *c12 = ws_deflate_frame(hello, p12);
    ck_assert_msg(c13 != p13 && c13->len == 9, "beside 13 bytes: %zu", c13->len);
    ck_assert_ptr_eq(c12, p12);
    chunk_unref(c13);
    chunk_unref(c12);
    chunk_unref(p13);
    chunk_unref(p12);
    chunk_unref(hello);

    struct chunk *json = chunk_from("{\"id\":1,\"data\":\"Hello\"}", 23);
    struct chunk *plain = chunk_from("\x81\x17{\"id\":1,\"data\":\"Hello\"}", 25);
    struct chunk *got = ws_deflate_frame(json, plain);
    ck_assert_ptr_eq(got, plain);
    ck_assert_uint_eq(plain->refs, 2);
    chunk_unref(got);
    chunk_unref(json);
    chunk_unref(plain);

    char text[2000];
    for (size_t i = 0; i < sizeof text; i++) text[i] = "abcdefgh"[i % 8];
    json = chunk_from(text, sizeof text);
    plain = chunk_new(4 + sizeof text);                   /* only its length matters */
    plain->len = 4 + sizeof text;
    got = ws_deflate_frame(json, plain);
    ck_assert_ptr_ne(got, plain);
    ck_assert_uint_eq(got->refs, 1);
    ck_assert_uint_eq(got->len, got->cap);
    ck_assert_msg(got->len < 100 && (unsigned char)got->data[0] == 0xc1, "%zu bytes, first %02x", got->len,
                  (unsigned char)got->data[0]);
    struct ws_inflater *z = NULL;
    struct buf out = {0};
    ck_assert_int_eq(inflate_all(&z, 0, (unsigned char *)got->data + 2, got->len - 2, &out, 4000),
                     WS_INFLATE_OK);
    ck_assert(holds(&out, text, sizeof text));
    ws_inflater_free(z);
    buf_free(&out);
    chunk_unref(got);
    chunk_unref(json);
    chunk_unref(plain);
}
END_TEST

/* ==== Round trips ==== */

/* Text that compresses (JSON events) or bytes that do not (random), of
 * sizes around zlib's block and window sizes. */
static unsigned char *sample(size_t n, int random)
{
    unsigned char *p = malloc(n + 1);
    unsigned seed = 12345;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = random ? (unsigned char)(seed >> 16) : (unsigned char)"{\"id\":1,\"data\":\"abc\"}"[i % 22];
    }
    return p;
}

static const size_t sizes[] = {1, 100, 16383, 16384, 32768, 65536, 200000};

/* Compress, then inflate in pieces of 1 and 7 and 4096 bytes: the same
 * bytes come back. The output room is n + n/1000 + 64: enough even for
 * bytes that do not compress. */
START_TEST(round_trip)
{
    size_t n = sizes[_i / 2];
    int random = _i % 2;
    unsigned char *in = sample(n, random);
    size_t cap = n + n / 1000 + 64;
    unsigned char *c = malloc(cap);
    long clen = ws_deflate_message(in, n, c, cap);
    ck_assert_msg(clen > 0, "%zu %s bytes: %ld", n, random ? "random" : "json", clen);
    if (!random) ck_assert_msg((size_t)clen < n / 4 + 16, "JSON of %zu bytes compressed to %ld", n, clen);
    static const size_t pieces[] = {1, 7, 4096};
    for (size_t k = 0; k < 3; k++) {
        if (pieces[k] == 1 && n > 20000) continue;      /* byte by byte: the small ones */
        struct ws_inflater *z = NULL;
        struct buf out = {0};
        for (long at = 0; at < clen; at += (long)pieces[k]) {
            size_t take = (size_t)(clen - at) < pieces[k] ? (size_t)(clen - at) : pieces[k];
            ck_assert_int_eq(ws_inflate(&z, 1, c + at, take, NULL, 0, 0, &out, n), WS_INFLATE_OK);
        }
        ck_assert_int_eq(ws_inflate(&z, 1, NULL, 0, NULL, 0, 1, &out, n), WS_INFLATE_OK);
        ck_assert_msg(holds(&out, in, n), "%zu bytes in pieces of %zu: %zu came back", n, pieces[k], out.len);
        ws_inflater_free(z);
        buf_free(&out);
    }
    free(c);
    free(in);
}
END_TEST

/* ==== What is refused ==== */

/* A bomb: 10 MB of zeros is about 10 kB compressed. With a limit of 1 MiB
 * inflating stops at the limit (WS_INFLATE_TOO_BIG) instead of making
 * 10 MB; a limit of exactly the size is enough, one byte less is not. */
START_TEST(bomb)
{
    size_t n = 10u << 20;
    unsigned char *zeros = calloc(1, n);
    unsigned char *c = malloc(n / 100);
    long clen = ws_deflate_message(zeros, n, c, n / 100);
    ck_assert_msg(clen > 0 && clen < 20000, "10 MB of zeros compressed to %ld bytes", clen);
    struct ws_inflater *z = NULL;
    struct buf out = {0};
    ck_assert_int_eq(inflate_all(&z, 0, c, (size_t)clen, &out, 1u << 20), WS_INFLATE_TOO_BIG);
    ck_assert_uint_le(out.len, 1u << 20);
    ws_inflater_free(z);
    z = NULL;
    ck_assert_int_eq(inflate_all(&z, 0, c, (size_t)clen, &out, n), WS_INFLATE_OK);
    ck_assert_uint_eq(out.len, n);
    ws_inflater_free(z);
    z = NULL;
    ck_assert_int_eq(inflate_all(&z, 0, c, (size_t)clen, &out, n - 1), WS_INFLATE_TOO_BIG);
    ws_inflater_free(z);
    buf_free(&out);
    free(c);
    free(zeros);
}
END_TEST

static const struct {
    const char *what;
    unsigned char bytes[8];
    size_t n;
} bad_data[] = {
    {"a reserved block type (BTYPE 11)", {0x07, 0x00}, 2},
    {"all ones", {0xff, 0xff, 0xff, 0xff}, 4},
    {"a stored block whose NLEN is not ~LEN", {0x00, 0x05, 0x00, 0x00, 0x00}, 5},
    {"\"Hello\" cut inside its block", {0xf2, 0x48, 0xcd}, 3},
    {"nothing at all (not even the empty block's 00)", {0}, 0},
};

/* Data that is not DEFLATE, or a message that ends inside a block, is
 * WS_INFLATE_BAD (the server closes with 1007). */
START_TEST(bad_compressed_data)
{
    struct ws_inflater *z = NULL;
    struct buf out = {0};
    int r = inflate_all(&z, 0, bad_data[_i].bytes, bad_data[_i].n, &out, 1000);
    ck_assert_msg(r == WS_INFLATE_BAD, "%s: got %d", bad_data[_i].what, r);
    ws_inflater_free(z);
    buf_free(&out);
}
END_TEST

/* A message may hold a few streams ended by BFINAL (each restart keeps
 * the window), but not many: 8 empty final blocks (03 00 each) then the
 * closing 00 are fine, 9 are refused (each costs up to 64 KiB of copying). */
START_TEST(stream_ends_bounded)
{
    unsigned char in[32];
    size_t n = 0;
    for (int i = 0; i < 8; i++) in[n++] = 0x03, in[n++] = 0x00;
    in[n++] = 0x00;
    struct ws_inflater *z = NULL;
    struct buf out = {0};
    ck_assert_int_eq(inflate_all(&z, 0, in, n, &out, 100), WS_INFLATE_OK);
    ck_assert_int_eq(inflate_all(&z, 0, in, n, &out, 100), WS_INFLATE_OK);   /* counted per message */
    ws_inflater_free(z);
    z = NULL;
    n = 0;
    for (int i = 0; i < 9; i++) in[n++] = 0x03, in[n++] = 0x00;
    in[n++] = 0x00;
    ck_assert_int_eq(inflate_all(&z, 0, in, n, &out, 100), WS_INFLATE_BAD);
    ws_inflater_free(z);
    buf_free(&out);
}
END_TEST

/* ==== Negotiation (§5, §7.1) ==== */

static const struct {
    const char *fields;      /* Sec-WebSocket-Extensions lines (or none) */
    const char *answer;      /* the header line we must answer, "" to decline */
} offers[] = {
    /* Chromium, and python websockets' default */
    {"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n",
     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"},
    {"Sec-WebSocket-Extensions: permessage-deflate\r\n",
     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"},
    {"", ""},
    {"Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n", ""},
    /* the client's own choices: accepted, and echoed where §7.1 says so */
    {"Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n",
     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"},
    {"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n",
     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"},
    {"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=15\r\n",
     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; server_max_window_bits=15\r\n"},
    {"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=\"12\"\r\n",
     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"},
    {"Sec-WebSocket-Extensions: PerMessage-Deflate ;Client_Max_Window_Bits\r\n",
     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"},
    /* what we cannot honour: a smaller server window. The next offer is taken. */
    {"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n", ""},
    {"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10, permessage-deflate\r\n",
     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"},
    {"Sec-WebSocket-Extensions: x-foo\r\nSec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n",
     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"},
    /* offers no server may accept (§7): declined, the handshake goes on */
    {"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=16\r\n", ""},
    {"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=7\r\n", ""},
    {"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=09\r\n", ""},
    {"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits\r\n", ""},
    {"Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover=1\r\n", ""},
    {"Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; client_no_context_takeover\r\n", ""},
    {"Sec-WebSocket-Extensions: permessage-deflate; x_unknown\r\n", ""},
    {"Sec-WebSocket-Extensions: permessage-deflate;\r\n", ""},
    {"Sec-WebSocket-Extensions: permessage-deflatex\r\n", ""},
};

/* Each offer gets its answer: accepted with server_no_context_takeover
 * (and what the client asked for), or declined with no header at all. */
START_TEST(negotiate)
{
    char input[1024], answer[160];
    int len = snprintf(input, sizeof input, "GET /ws HTTP/1.1\r\nHost: a\r\n%s\r\n", offers[_i].fields);
    struct http_request req;
    ck_assert_int_eq(http_parse_request(input, (size_t)len, &req), len);
    struct ws_deflate_terms terms;
    int on = ws_deflate_negotiate(&req, &terms);
    ck_assert_int_eq(on, terms.on);
    ck_assert_int_eq(on, offers[_i].answer[0] != 0);
    int n = ws_deflate_answer(&terms, answer, sizeof answer);
    ck_assert_int_eq(n, (int)strlen(answer));
    ck_assert_msg(strcmp(answer, offers[_i].answer) == 0, "offer %s\nanswered [%s]\nwant     [%s]",
                  offers[_i].fields, answer, offers[_i].answer);
}
END_TEST

/* ==== The suite ==== */

#define COUNT(a) ((int)(sizeof a / sizeof a[0]))

int main(void)
{
    Suite *s = suite_create("ws_deflate");
    TCase *rfc = tcase_create("rfc7692");
    tcase_add_test(rfc, rfc_hello_compressed);
    tcase_add_test(rfc, rfc_hello_frame);
    tcase_add_test(rfc, rfc_hello_inflated);
    tcase_add_loop_test(rfc, rfc_examples_inflated, 0, COUNT(rfc_examples));
    tcase_add_test(rfc, empty_message);
    tcase_add_test(rfc, masked_pieces);
    tcase_add_test(rfc, frame_chunks);
    suite_add_tcase(s, rfc);

    TCase *codec = tcase_create("codec");
    tcase_set_timeout(codec, 60);
    tcase_add_loop_test(codec, round_trip, 0, 2 * COUNT(sizes));
    tcase_add_test(codec, bomb);
    tcase_add_loop_test(codec, bad_compressed_data, 0, COUNT(bad_data));
    tcase_add_test(codec, stream_ends_bounded);
    suite_add_tcase(s, codec);

    TCase *neg = tcase_create("negotiation");
    tcase_add_loop_test(neg, negotiate, 0, COUNT(offers));
    suite_add_tcase(s, neg);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
