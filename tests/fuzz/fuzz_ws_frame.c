/*
 * tests/fuzz/fuzz_ws_frame.c — libFuzzer harness for the WebSocket frame
 * header codec (websocket/ws_frame.c, RFC 6455 §5.2).
 *
 * The input is read as a client's byte stream: frame after frame, each
 * header decoded and its payload skipped (and unmasked, whole and in two
 * pieces), as the server does. What counts as a failure, beside any crash
 * or sanitizer report:
 *   - the decoder disagreeing with a second decoder written here from §5.2
 *     (same answer, same fields);
 *   - a proper prefix of a header answering anything but -2;
 *   - encode → decode not giving back fin, opcode and length, unmasked, in
 *     ws_frame_header_size bytes; or an encoding that is not the shortest;
 *   - unmasking in two pieces (with the offset) differing from one piece, or
 *     unmasking twice not giving back the original.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz_ws_frame: " __VA_ARGS__); \
                                 fputc('\n', stderr); abort(); } } while (0)

/* §5.2 read again, independently: the answer ws_frame_decode must give. */
static int reference_decode(const uint8_t *p, size_t n, struct ws_frame *f)
{
    if (n < 2) return -2;
    size_t at = 2;
    uint64_t length = p[1] & 0x7f;
    if (length == 126) {
        if (n < 4) return -2;
        length = (uint64_t)p[2] << 8 | p[3];
        if (length < 126) return -1;               /* not the shortest form */
        at = 4;
    } else if (length == 127) {
        if (n < 10) return -2;
        length = 0;
        for (int i = 0; i < 8; i++) length = length << 8 | p[2 + i];
        if (length & (1ull << 63)) return -1;      /* the top bit must be 0 */
        if (length <= 0xffff) return -1;           /* not the shortest form */
        at = 10;
    }
    memset(f, 0, sizeof *f);
    f->masked = p[1] >> 7;
    if (f->masked) {
        if (n < at + 4) return -2;
        memcpy(f->mask, p + at, 4);
        at += 4;
    }
    f->fin = p[0] >> 7;
    f->rsv = (p[0] >> 4) & 7;
    f->opcode = p[0] & 0xf;
    f->length = length;
    return (int)at;
}

static void check_header(const uint8_t *p, size_t n)
{
    struct ws_frame f, g;
    memset(&f, 0, sizeof f);
    int r = ws_frame_decode(p, n, &f);
    int want = reference_decode(p, n, &g);
    REQUIRE(r == want, "decode answered %d, §5.2 says %d", r, want);
    if (r <= 0) return;
    REQUIRE(r >= 2 && r <= WS_MAX_HEADER, "header of %d bytes", r);
    REQUIRE(f.fin == g.fin && f.rsv == g.rsv && f.opcode == g.opcode && f.masked == g.masked &&
            f.length == g.length && memcmp(f.mask, g.mask, 4) == 0, "decoded fields differ");
    for (int k = 0; k < r; k++) {
        struct ws_frame h;
        int q = ws_frame_decode(p, (size_t)k, &h);
        REQUIRE(q == -2, "prefix %d of a %d-byte header answered %d", k, r, q);
    }
    /* Encode what was decoded: a server header for the same frame. */
    unsigned char out[WS_MAX_HEADER];
    int e = ws_frame_encode(out, sizeof out, (int)f.fin, f.opcode, f.length);
    REQUIRE(e > 0 && (size_t)e == ws_frame_header_size(f.length), "encode answered %d", e);
    REQUIRE(ws_frame_encode(out, (size_t)e - 1, (int)f.fin, f.opcode, f.length) == -2,
            "encode into too small a buffer did not answer -2");
    struct ws_frame back;
    REQUIRE(ws_frame_decode(out, (size_t)e, &back) == e, "our own header does not decode");
    REQUIRE(back.fin == f.fin && back.opcode == f.opcode && back.length == f.length &&
            back.masked == 0 && back.rsv == 0, "encode/decode round trip changed the frame");
}

/* Unmask the payload whole and in two pieces: the same bytes; twice: the original. */
static void check_unmask(const uint8_t *payload, size_t n, const unsigned char mask[4], size_t cut)
{
    unsigned char *whole = malloc(n + 1), *pieces = malloc(n + 1);
    ws_unmask(whole, payload, n, mask, 0);
    if (cut > n) cut = n;
    ws_unmask(pieces, payload, cut, mask, 0);
    ws_unmask(pieces + cut, payload + cut, n - cut, mask, cut);
    REQUIRE(memcmp(whole, pieces, n) == 0, "unmasking in pieces differs at cut %zu", cut);
    ws_unmask(whole, whole, n, mask, 0);               /* in place, and back */
    REQUIRE(memcmp(whole, payload, n) == 0, "unmasking twice is not the original");
    free(whole);
    free(pieces);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t at = 0;
    for (int frames = 0; frames < 64 && at < size; frames++) {
        /* a copy of exactly the rest, so ASan sees a read past its end */
        size_t left = size - at;
        uint8_t *rest = malloc(left);
        memcpy(rest, data + at, left);
        check_header(rest, left);
        struct ws_frame f;
        int r = ws_frame_decode(rest, left, &f);
        if (r > 0) {
            size_t have = left - (size_t)r;
            size_t n = f.length < have ? (size_t)f.length : have;
            check_unmask(rest + r, n, f.mask, n ? rest[r] % (n + 1) : 0);
            at += (size_t)r + n;
        }
        free(rest);
        if (r <= 0) break;
    }
    return 0;
}
