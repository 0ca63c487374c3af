/*
 * tests/fuzz/fuzz_static.c — libFuzzer harness for the web root's path
 * check (core/static.c static_resolve): no URL path, however encoded, may
 * name a file outside the root (DESIGN.md: "no path escapes the root").
 *
 * The input is a URL path as it comes in the request line (arbitrary
 * bytes, percent-escapes and all). A failure, beside any crash or
 * sanitizer report, is an accepted path whose result
 *   - is longer than reported, not NUL-terminated where reported, or does
 *     not fit the room it was given;
 *   - is absolute, holds a NUL or a backslash, or has an empty, "." or ".."
 *     segment (the ways out of a directory);
 *   - differs from what a second, slower decoder written here from
 *     RFC 3986 §2.1 makes of the same path (percent-decoding, repeated
 *     slashes collapsed, "index.html" after a final slash);
 * or a path refused with a smaller room being accepted with less.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "static.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz_static: " __VA_ARGS__); \
                                 fputc('\n', stderr); abort(); } } while (0)

static int hex(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decode p[0..n) into out (room n + 1): the decoded length, or -1
 * for a bad escape. */
static long decode(const uint8_t *p, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '%') { out[k++] = (char)p[i]; continue; }
        if (i + 2 >= n) return -1;
        int a = hex(p[i + 1]), b = hex(p[i + 2]);
        if (a < 0 || b < 0) return -1;
        out[k++] = (char)(a * 16 + b);
        i += 2;
    }
    return (long)k;
}

/* What the resolved path must be for the decoded path d[0..n), or NULL-ish
 * (-1) when it must be refused. Writes into want (room n + 16). */
static long expected(const char *d, size_t n, char *want)
{
    if (n == 0 || d[0] != '/') return -1;
    if (memchr(d, '\0', n) || memchr(d, '\\', n)) return -1;
    size_t k = 0, i = 0;
    while (i < n) {
        while (i < n && d[i] == '/') i++;           /* collapse repeated slashes */
        size_t start = i;
        while (i < n && d[i] != '/') i++;
        size_t len = i - start;
        if (len == 0) break;
        if ((len == 1 && d[start] == '.') || (len == 2 && d[start] == '.' && d[start + 1] == '.')) return -1;
        if (k) want[k++] = '/';
        memcpy(want + k, d + start, len);
        k += len;
    }
    if (d[n - 1] == '/') {                           /* a directory: its index */
        if (k) want[k++] = '/';
        memcpy(want + k, "index.html", 10);
        k += 10;
    }
    return (long)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *path = malloc(size ? size : 1);             /* exact size: ASan sees overreads */
    memcpy(path, data, size);
    char out[STATIC_MAX_PATH];
    memset(out, 'Z', sizeof out);
    int r = static_resolve(path, size, out, sizeof out);
    if (r >= 0) {
        REQUIRE((size_t)r < sizeof out && out[r] == '\0' && strlen(out) == (size_t)r,
                "result of %d bytes is not NUL-terminated there", r);
        REQUIRE(r > 0 && out[0] != '/', "an absolute or empty result: \"%s\"", out);
        REQUIRE(!strchr(out, '\\'), "a backslash in \"%s\"", out);
        for (const char *seg = out; *seg;) {             /* every segment: not empty, not . or .. */
            const char *end = strchr(seg, '/');
            size_t len = end ? (size_t)(end - seg) : strlen(seg);
            REQUIRE(len > 0, "an empty segment in \"%s\"", out);
            REQUIRE(!(len == 1 && seg[0] == '.') && !(len == 2 && seg[0] == '.' && seg[1] == '.'),
                    "a dot segment in \"%s\"", out);
            seg += len + (end ? 1 : 0);
        }
        /* The same answer with exactly the room it needs, and -1 with less. */
        char tight[STATIC_MAX_PATH];
        REQUIRE(static_resolve(path, size, tight, (size_t)r + 1) == r && strcmp(tight, out) == 0,
                "the answer changed with exactly enough room");
        REQUIRE(static_resolve(path, size, tight, (size_t)r) == -1, "accepted without room for the NUL");
    }
    /* Compare with the slow decoder (when the result fits the room). */
    char *decoded = malloc(size + 1), *want = malloc(size + 32);
    long dn = decode(data, size, decoded);
    /* The path must start with '/' as sent (a "%2F" there is refused). */
    long wn = dn < 0 || size == 0 || data[0] != '/' ? -1 : expected(decoded, (size_t)dn, want);
    if (wn >= 0 && (size_t)wn < sizeof out) {
        REQUIRE(r == wn && memcmp(out, want, (size_t)wn) == 0,
                "resolved to %d bytes, RFC 3986 decoding gives %ld (\"%.*s\")", r, wn, (int)wn, want);
    } else if (wn < 0) {
        REQUIRE(r == -1, "accepted \"%s\", which must be refused", out);
    }
    free(decoded);
    free(want);
    free(path);
    return 0;
}
