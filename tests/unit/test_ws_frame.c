/*
 * tests/unit/test_ws_frame.c — the frame header codec
 * (websocket/ws_frame.c) and the handshake values
 * (websocket/ws_handshake.c): RFC 6455's own examples (§1.3, §5.7), every
 * length form at its edges, input cut at every byte, and the headers no
 * valid frame has.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"
#include "ws_handshake.h"

/* ==== Decoding ==== */

/* RFC 6455 §5.7: a single-frame unmasked text message "Hello". */
START_TEST(test_decode_rfc_unmasked_hello)
{
    const unsigned char wire[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    struct ws_frame f;
    ck_assert_int_eq(ws_frame_decode(wire, sizeof wire, &f), 2);
    ck_assert_uint_eq(f.fin, 1);
    ck_assert_uint_eq(f.rsv, 0);
    ck_assert_uint_eq(f.opcode, WS_TEXT);
    ck_assert_uint_eq(f.masked, 0);
    ck_assert_uint_eq(f.length, 5);
    ck_assert(memcmp(wire + 2, "Hello", 5) == 0);
}
END_TEST

/* RFC 6455 §5.7: the same message masked, as a client sends it; unmasking
 * gives "Hello". */
START_TEST(test_decode_rfc_masked_hello)
{
    const unsigned char wire[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                  0x7f, 0x9f, 0x4d, 0x51, 0x58};
    struct ws_frame f;
    ck_assert_int_eq(ws_frame_decode(wire, sizeof wire, &f), 6);
    ck_assert_uint_eq(f.masked, 1);
    ck_assert_uint_eq(f.length, 5);
    const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    ck_assert(memcmp(f.mask, key, 4) == 0);
    unsigned char text[5];
    ws_unmask(text, wire + 6, 5, f.mask, 0);
    ck_assert(memcmp(text, "Hello", 5) == 0);
}
END_TEST

/* RFC 6455 §5.7: a fragmented text message, "Hel" then "lo"; and a ping. */
START_TEST(test_decode_rfc_fragments_and_ping)
{
    const unsigned char first[] = {0x01, 0x03, 0x48, 0x65, 0x6c};
    const unsigned char last[] = {0x80, 0x02, 0x6c, 0x6f};
    const unsigned char ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    struct ws_frame f;
    ck_assert_int_eq(ws_frame_decode(first, sizeof first, &f), 2);
    ck_assert_uint_eq(f.fin, 0);
    ck_assert_uint_eq(f.opcode, WS_TEXT);
    ck_assert_int_eq(ws_frame_decode(last, sizeof last, &f), 2);
    ck_assert_uint_eq(f.fin, 1);
    ck_assert_uint_eq(f.opcode, WS_CONTINUATION);
    ck_assert_int_eq(ws_frame_decode(ping, sizeof ping, &f), 2);
    ck_assert_uint_eq(f.opcode, WS_PING);
    ck_assert(ws_is_control(f.opcode));
    ck_assert(!ws_is_control(WS_TEXT));
}
END_TEST

/* RFC 6455 §5.7: 256 bytes take the 16-bit form, 65536 the 64-bit form. */
START_TEST(test_decode_rfc_long_forms)
{
    const unsigned char w16[] = {0x82, 0x7E, 0x01, 0x00};
    const unsigned char w64[] = {0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00};
    struct ws_frame f;
    ck_assert_int_eq(ws_frame_decode(w16, sizeof w16, &f), 4);
    ck_assert_uint_eq(f.opcode, WS_BINARY);
    ck_assert_uint_eq(f.length, 256);
    ck_assert_int_eq(ws_frame_decode(w64, sizeof w64, &f), 10);
    ck_assert_uint_eq(f.length, 65536);
}
END_TEST

/* The lengths at the edges of the three forms. */
static const struct {
    uint64_t length;
    size_t header;       /* a server's (unmasked) header size */
} edges[] = {
    {0, 2}, {1, 2}, {125, 2},             /* 7-bit form */
    {126, 4}, {127, 4}, {65535, 4},       /* 16-bit form */
    {65536, 10}, {0x7FFFFFFFFFFFFFFFull, 10}, /* 64-bit form, up to the largest allowed */
};
enum { EDGES = sizeof edges / sizeof edges[0] };

/* A header with each edge length, masked or not, decodes to that length
 * only once complete: every shorter prefix (a cut at every byte) is -2. */
START_TEST(test_decode_every_prefix)
{
    for (int masked = 0; masked <= 1; masked++) {
        unsigned char wire[WS_MAX_HEADER];
        int n = ws_frame_encode(wire, sizeof wire, 1, WS_BINARY, edges[_i].length);
        ck_assert_int_eq(n, (int)edges[_i].header);
        if (masked) {                        /* turn it into a client header */
            wire[1] |= 0x80;
            memcpy(wire + n, "\x01\x02\x03\x04", 4);
            n += 4;
        }
        for (int cut = 0; cut < n; cut++) {
            struct ws_frame f;
            ck_assert_msg(ws_frame_decode(wire, (size_t)cut, &f) == -2,
                          "length %llu masked %d: %d of %d bytes should need more",
                          (unsigned long long)edges[_i].length, masked, cut, n);
        }
        struct ws_frame f;
        ck_assert_int_eq(ws_frame_decode(wire, (size_t)n, &f), n);
        ck_assert_uint_eq(f.length, edges[_i].length);
        ck_assert_uint_eq(f.masked, (unsigned)masked);
        if (masked) ck_assert(memcmp(f.mask, "\x01\x02\x03\x04", 4) == 0);
    }
}
END_TEST

/* §5.2: a 64-bit length with its most significant bit set is refused. */
START_TEST(test_decode_refuses_top_bit)
{
    const unsigned char wire[] = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    const unsigned char all[] = {0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    struct ws_frame f;
    ck_assert_int_eq(ws_frame_decode(wire, sizeof wire, &f), -1);
    ck_assert_int_eq(ws_frame_decode(all, sizeof all, &f), -1);
}
END_TEST

/* §5.2: a length not in its shortest form is refused: 5 in the 16-bit form,
 * 125 in the 16-bit form, 65535 in the 64-bit form. */
START_TEST(test_decode_refuses_long_forms_of_short_lengths)
{
    const unsigned char five16[] = {0x81, 0x7E, 0x00, 0x05};
    const unsigned char edge16[] = {0x81, 0x7E, 0x00, 0x7D};
    const unsigned char edge64[] = {0x81, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    struct ws_frame f;
    ck_assert_int_eq(ws_frame_decode(five16, sizeof five16, &f), -1);
    ck_assert_int_eq(ws_frame_decode(edge16, sizeof edge16, &f), -1);
    ck_assert_int_eq(ws_frame_decode(edge64, sizeof edge64, &f), -1);
}
END_TEST

/* The decoder reports RSV bits and reserved opcodes as they are: refusing
 * them is the server's rule, not the codec's. */
START_TEST(test_decode_reports_rsv_and_opcode)
{
    for (unsigned b0 = 0; b0 < 256; b0++) {
        const unsigned char wire[] = {(unsigned char)b0, 0x80, 9, 9, 9, 9};
        struct ws_frame f;
        ck_assert_int_eq(ws_frame_decode(wire, sizeof wire, &f), 6);
        ck_assert_uint_eq(f.fin, b0 >> 7);
        ck_assert_uint_eq(f.rsv, (b0 >> 4) & 7);
        ck_assert_uint_eq(f.opcode, b0 & 15);
    }
}
END_TEST

/* ==== Masking ==== */

/* Unmasking in pieces, with the right offset, equals unmasking at once; and
 * masking twice gives back the original (XOR is its own inverse). */
START_TEST(test_unmask_in_pieces)
{
    const unsigned char key[4] = {0xA1, 0x02, 0xF3, 0x44};
    unsigned char plain[37], masked[37], once[37], pieces[37];
    for (size_t i = 0; i < sizeof plain; i++) plain[i] = (unsigned char)('a' + i % 26);
    ws_unmask(masked, plain, sizeof plain, key, 0);
    ws_unmask(once, masked, sizeof masked, key, 0);
    ck_assert(memcmp(once, plain, sizeof plain) == 0);
    for (size_t cut = 0; cut <= sizeof plain; cut++) {
        memcpy(pieces, masked, sizeof masked);
        ws_unmask(pieces, pieces, cut, key, 0);                      /* in place */
        ws_unmask(pieces + cut, pieces + cut, sizeof plain - cut, key, cut);
        ck_assert_msg(memcmp(pieces, plain, sizeof plain) == 0, "cut at %zu", cut);
    }
}
END_TEST

/* ==== Encoding ==== */

/* The server's "Hello" is RFC 6455 §5.7's unmasked example byte for byte. */
START_TEST(test_encode_rfc_hello)
{
    unsigned char out[WS_MAX_HEADER];
    ck_assert_int_eq(ws_frame_encode(out, sizeof out, 1, WS_TEXT, 5), 2);
    ck_assert_uint_eq(out[0], 0x81);
    ck_assert_uint_eq(out[1], 0x05);
    ck_assert_int_eq(ws_frame_encode(out, sizeof out, 1, WS_BINARY, 256), 4);
    ck_assert(memcmp(out, "\x82\x7E\x01\x00", 4) == 0);
    ck_assert_int_eq(ws_frame_encode(out, sizeof out, 1, WS_BINARY, 65536), 10);
    ck_assert(memcmp(out, "\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10) == 0);
    ck_assert_int_eq(ws_frame_encode(out, sizeof out, 0, WS_CONTINUATION, 0), 2);
    ck_assert_uint_eq(out[0], 0x00);
}
END_TEST

/* Every edge length encodes in the shortest form, never masked, and
 * decodes back to the same frame; too small a buffer is -2. */
START_TEST(test_encode_edges_round_trip)
{
    unsigned char out[WS_MAX_HEADER];
    uint64_t len = edges[_i].length;
    ck_assert_uint_eq(ws_frame_header_size(len), edges[_i].header);
    ck_assert_int_eq(ws_frame_encode(out, edges[_i].header - 1, 1, WS_TEXT, len), -2);
    int n = ws_frame_encode(out, sizeof out, 1, WS_TEXT, len);
    ck_assert_int_eq(n, (int)edges[_i].header);
    ck_assert_uint_eq(out[1] & 0x80, 0);                    /* MASK bit clear */
    struct ws_frame f;
    ck_assert_int_eq(ws_frame_decode(out, (size_t)n, &f), n);
    ck_assert_uint_eq(f.fin, 1);
    ck_assert_uint_eq(f.rsv, 0);
    ck_assert_uint_eq(f.opcode, WS_TEXT);
    ck_assert_uint_eq(f.masked, 0);
    ck_assert_uint_eq(f.length, len);
}
END_TEST

/* ==== The handshake values ==== */

/* RFC 6455 §1.3 (and §4.2.2): the key "dGhlIHNhbXBsZSBub25jZQ==" is answered
 * with "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=". */
START_TEST(test_accept_key_rfc_example)
{
    const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
    char accept[WS_ACCEPT_LENGTH + 1];
    ws_accept_key(key, strlen(key), accept);
    ck_assert_str_eq(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
END_TEST

/* A key is base64 of exactly 16 bytes: anything else is refused. */
START_TEST(test_key_valid)
{
    ck_assert_int_eq(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ==", 24), 1);
    ck_assert_int_eq(ws_key_valid("AAAAAAAAAAAAAAAAAAAAAA==", 24), 1);
    ck_assert_int_eq(ws_key_valid("", 0), 0);
    ck_assert_int_eq(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=", 23), 0);  /* truncated */
    ck_assert_int_eq(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ", 22), 0);   /* unpadded */
    ck_assert_int_eq(ws_key_valid("dGhlIHNhbXBsZSBub25jZUE=", 24), 0); /* 17 bytes */
    ck_assert_int_eq(ws_key_valid("dGhlIHNhbXBsZSBub25jZUFB", 24), 0); /* 18 bytes */
    ck_assert_int_eq(ws_key_valid("dGhlIHNhbXBsZSBub25j!Q==", 24), 0); /* not base64 */
    ck_assert_int_eq(ws_key_valid("dGhlIHNhbXBsZSBub25jZR==", 24), 0); /* not canonical */
}
END_TEST

static Suite *ws_frame_suite(void)
{
    Suite *s = suite_create("ws_frame");
    TCase *dec = tcase_create("decode");
    tcase_add_test(dec, test_decode_rfc_unmasked_hello);
    tcase_add_test(dec, test_decode_rfc_masked_hello);
    tcase_add_test(dec, test_decode_rfc_fragments_and_ping);
    tcase_add_test(dec, test_decode_rfc_long_forms);
    tcase_add_loop_test(dec, test_decode_every_prefix, 0, EDGES);
    tcase_add_test(dec, test_decode_refuses_top_bit);
    tcase_add_test(dec, test_decode_refuses_long_forms_of_short_lengths);
    tcase_add_test(dec, test_decode_reports_rsv_and_opcode);
    suite_add_tcase(s, dec);
    TCase *mask = tcase_create("mask");
    tcase_add_test(mask, test_unmask_in_pieces);
    suite_add_tcase(s, mask);
    TCase *enc = tcase_create("encode");
    tcase_add_test(enc, test_encode_rfc_hello);
    tcase_add_loop_test(enc, test_encode_edges_round_trip, 0, EDGES);
    suite_add_tcase(s, enc);
    TCase *hs = tcase_create("handshake");
    tcase_add_test(hs, test_accept_key_rfc_example);
    tcase_add_test(hs, test_key_valid);
    suite_add_tcase(s, hs);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ws_frame_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
