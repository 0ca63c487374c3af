/*
 * tests/fuzz/fuzz_utf8.c — libFuzzer harness for the incremental UTF-8
 * validator (core/utf8.c, RFC 3629 §3 and §4).
 *
 * WebSocket must fail a text message at the first byte that cannot be
 * UTF-8 (RFC 6455 §8.1), and messages arrive in pieces. So, beside any
 * crash or sanitizer report, a failure is:
 *   - utf8_valid disagreeing with a second validator written here from the
 *     RFC 3629 table of well-formed byte sequences;
 *   - byte-by-byte feeding refusing at another byte than the first one the
 *     table says is impossible (fail-fast, not fail-late nor fail-early);
 *   - feeding in pieces (cut points chosen by the input) giving another
 *     answer than feeding it whole;
 *   - utf8_complete disagreeing with "ends on a character boundary".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz_utf8: " __VA_ARGS__); \
                                 fputc('\n', stderr); abort(); } } while (0)

/* RFC 3629 §4, read as a table: for a lead byte, how many continuation
 * bytes follow and the range of the first one. Returns -1 for a byte that
 * can never lead. */
static int lead_info(uint8_t b, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80, *hi = 0xBF;
    if (b <= 0x7F) return 0;
    if (b >= 0xC2 && b <= 0xDF) return 1;
    if (b == 0xE0) { *lo = 0xA0; return 2; }
    if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return 2;
    if (b == 0xED) { *hi = 0x9F; return 2; }
    if (b == 0xF0) { *lo = 0x90; return 3; }
    if (b >= 0xF1 && b <= 0xF3) return 3;
    if (b == 0xF4) { *hi = 0x8F; return 3; }
    return -1;
}

/* The index of the first impossible byte, or -1 when there is none; sets
 * *complete when the input ends on a character boundary. */
static long first_bad_byte(const uint8_t *p, size_t n, int *complete)
{
    size_t i = 0;
    *complete = 1;
    while (i < n) {
        uint8_t lo, hi;
        int more = lead_info(p[i], &lo, &hi);
        if (more < 0) return (long)i;
        for (int k = 1; k <= more; k++) {
            if (i + (size_t)k >= n) { *complete = 0; return -1; }
            uint8_t c = p[i + (size_t)k];
            if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return (long)(i + (size_t)k);
        }
        i += (size_t)more + 1;
    }
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);           /* exact size: ASan sees overreads */
    memcpy(p, data, size);
    int complete;
    long bad = first_bad_byte(p, size, &complete);
    int valid = bad < 0 && complete;
    REQUIRE(utf8_valid(p, size) == valid, "utf8_valid says %d, RFC 3629 says %d", !valid, valid);

    /* Byte by byte: refused exactly at the first impossible byte. */
    struct utf8_state s;
    utf8_init(&s);
    long refused = -1;
    for (size_t i = 0; i < size; i++)
        if (utf8_feed(&s, p + i, 1) < 0) { refused = (long)i; break; }
    REQUIRE(refused == bad, "refused at byte %ld, the first impossible one is %ld", refused, bad);
    if (bad < 0) REQUIRE(utf8_complete(&s) == complete, "utf8_complete says %d", !complete);

    /* In three pieces cut where the input says: the same answer as whole. */
    size_t a = size ? p[0] % (size + 1) : 0, b = size ? p[size - 1] % (size + 1) : 0;
    if (a > b) { size_t t = a; a = b; b = t; }
    utf8_init(&s);
    int r = utf8_feed(&s, p, a);
    if (r == 0) r = utf8_feed(&s, p + a, b - a);
    if (r == 0) r = utf8_feed(&s, p + b, size - b);
    REQUIRE((r == 0) == (bad < 0), "in pieces %zu/%zu: answered %d, whole says bad at %ld", a, b, r, bad);
    if (r == 0) REQUIRE(utf8_complete(&s) == complete, "in pieces: utf8_complete wrong");
    free(p);
    return 0;
}
