/*
 * tests/unit/test_http.c — the HTTP/1.1 request parser and response writer
 * of core/http.h.
 *
 * The promise under test is the contract at the top of http.h. Every request
 * in the tables below is fed three ways, because a socket may deliver it in
 * any number of pieces:
 *   - whole;
 *   - one byte at a time, calling the parser after each byte, as a server
 *     does when a client trickles its request in;
 *   - split in two at every position.
 * A valid request must answer -2 for every proper prefix and its head
 * length once complete. A bad one must answer -2 until the byte that breaks
 * a rule arrives, and from then on -1 with the same status, however many
 * more bytes follow. Every piece is parsed from a private copy of exactly
 * its length, so AddressSanitizer (make SAN=1) catches a read past the end.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* A string literal and its length, NUL bytes inside included. */
#define BYTES(s) s, sizeof(s) - 1

/* ==== Helpers ==== */

/* The input as a C literal for failure messages: escapes shown, long inputs
 * cut to their first bytes and their length. Returns a static buffer. */
static const char *show(const char *p, size_t n)
{
    static char out[400];
    size_t len = 0, shown = n < 80 ? n : 80;
    for (size_t i = 0; i < shown && len + 8 < sizeof out; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\r') len += (size_t)snprintf(out + len, sizeof out - len, "\\r");
        else if (c == '\n') len += (size_t)snprintf(out + len, sizeof out - len, "\\n");
        else if (c == '\t') len += (size_t)snprintf(out + len, sizeof out - len, "\\t");
        else if (c == '"' || c == '\\') len += (size_t)snprintf(out + len, sizeof out - len, "\\%c", c);
        else if (c < 0x20 || c >= 0x7F) len += (size_t)snprintf(out + len, sizeof out - len, "\\x%02x", c);
        else out[len++] = (char)c;
    }
    snprintf(out + len, sizeof out - len, "%s (%zu bytes)", shown < n ? "..." : "", n);
    return out;
}

/* Parse a private copy of exactly data[0..len) so that a read past len is
 * caught by ASan. Returns the answer; *error gets req.error. */
static int parse_copy(const char *data, size_t len, int *error)
{
    struct http_request req;
    char *copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, data, len);
    int r = http_parse_request(copy, len, &req);
    *error = req.error;
    free(copy);
    return r;
}

/* The whole input at once gives want (and, for -1, the status want_error). */
static void feed_whole(const char *data, size_t len, int want, int want_error)
{
    int error;
    int r = parse_copy(data, len, &error);
    ck_assert_msg(r == want && (want != -1 || error == want_error),
                  "whole: got %d (status %d), want %d (status %d) for \"%s\"",
                  r, error, want, want_error, show(data, len));
}

/* One byte at a time: -2 until the answer, which for a valid request comes
 * exactly when its head is complete; after that, more bytes never change
 * the answer. */
static void feed_bytewise(const char *data, size_t len, int want, int want_error)
{
    int answered = 0;
    for (size_t k = 0; k <= len; k++) {
        int error;
        int r = parse_copy(data, k, &error);
        if (!answered && r == -2) {
            ck_assert_msg(want <= 0 || k < (size_t)want,
                          "bytewise: still -2 after the %zu head bytes of \"%s\"", k, show(data, len));
            continue;
        }
        answered = 1;
        ck_assert_msg(r == want && (want != -1 || error == want_error),
                      "bytewise: after %zu bytes got %d (status %d), want %d (status %d) for \"%s\"",
                      k, r, error, want, want_error, show(data, len));
    }
    ck_assert_msg(answered, "bytewise: no answer for \"%s\"", show(data, len));
}

/* Two reads, cut at every position: the first answer is -2 or already the
 * final one, and the second is the final one. */
static void feed_split_everywhere(const char *data, size_t len, int want, int want_error)
{
    for (size_t k = 0; k < len; k++) {
        int error;
        int first = parse_copy(data, k, &error);
        if (first != -2)
            ck_assert_msg(first == want && (want != -1 || error == want_error),
                          "split at %zu: first read got %d (status %d), want -2 or %d for \"%s\"",
                          k, first, error, want, show(data, len));
        if (want > 0 && k < (size_t)want)
            ck_assert_msg(first == -2, "split at %zu: a proper prefix got %d for \"%s\"",
                          k, first, show(data, len));
        int second = parse_copy(data, len, &error);
        ck_assert_msg(second == want && (want != -1 || error == want_error),
                      "split at %zu: second read got %d (status %d), want %d for \"%s\"",
                      k, second, error, want, show(data, len));
    }
}

/* All three ways. want > 0: a valid head of that length; want == -1: the
 * status want_error. */
static void feed_all_ways(const char *data, size_t len, int want, int want_error)
{
    feed_whole(data, len, want, want_error);
    feed_bytewise(data, len, want, want_error);
    feed_split_everywhere(data, len, want, want_error);
}

/* 1 when p[0..n) equals the NUL-terminated s. */
static int same(const char *p, size_t n, const char *s)
{
    return p != NULL && strlen(s) == n && memcmp(p, s, n) == 0;
}

/* A fresh, NUL-terminated buffer of n bytes for the caller to fill and
 * free: the size-limit tests build their requests in it. */
static char *make_bytes(size_t n)
{
    char *p = malloc(n + 1);
    ck_assert_ptr_nonnull(p);
    p[n] = '\0';
    return p;
}

/* ==== Valid requests ==== */

struct valid_case {
    const char *input;
    const char *method, *path, *query;   /* query NULL: none */
    int version_minor;
    size_t header_count;
    size_t content_length;
    int keep_alive;
};

static const struct valid_case valid_cases[] = {
    /* the plainest request */
    { "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/", NULL, 1, 1, 0, 1 },
    /* RFC 9112 §2.2: a bare LF ends a line too, and endings may be mixed */
    { "GET /x HTTP/1.1\nHost: a\n\n", "GET", "/x", NULL, 1, 1, 0, 1 },
    { "GET /x HTTP/1.1\r\nHost: a\n\r\n", "GET", "/x", NULL, 1, 1, 0, 1 },
    /* RFC 9112 §2.2: empty lines before the request line are skipped */
    { "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/", NULL, 1, 1, 0, 1 },
    { "\n\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/", NULL, 1, 1, 0, 1 },
    /* the query string is split off the path */
    { "GET /poll?since=3 HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/poll", "since=3", 1, 1, 0, 1 },
    { "GET /poll? HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/poll", "", 1, 1, 0, 1 },
    { "GET /a?b?c HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/a", "b?c", 1, 1, 0, 1 },
    /* RFC 9112 §3.2.2: absolute-form; the path comes from the URI, "/" if none */
    { "GET http://example.com:8001/poll?since=3 HTTP/1.1\r\nHost: example.com\r\n\r\n",
      "GET", "/poll", "since=3", 1, 1, 0, 1 },
    { "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET", "/", NULL, 1, 1, 0, 1 },
    { "GET HTTPS://h?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", "GET", "/", "x=1", 1, 1, 0, 1 },
    /* RFC 9112 §3.2.4: asterisk-form, for OPTIONS */
    { "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", "*", NULL, 1, 1, 0, 1 },
    /* the parser frames any token method; choosing which to serve is the router's job */
    { "M-SEARCH /x HTTP/1.1\r\nHost: a\r\n\r\n", "M-SEARCH", "/x", NULL, 1, 1, 0, 1 },
    /* HTTP/1.0 needs no Host and closes unless it asks for keep-alive */
    { "GET / HTTP/1.0\r\n\r\n", "GET", "/", NULL, 0, 0, 0, 0 },
    { "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET", "/", NULL, 0, 1, 0, 1 },
    { "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "GET", "/", NULL, 0, 1, 0, 1 },
    { "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", "GET", "/", NULL, 0, 1, 0, 0 },
    { "GET / HTTP/1.0\r\nHost: a\r\n\r\n", "GET", "/", NULL, 0, 1, 0, 0 },
    /* HTTP/1.1 stays open unless "close" is one of the Connection tokens */
    { "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET", "/", NULL, 1, 2, 0, 0 },
    { "GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", "GET", "/", NULL, 1, 2, 0, 0 },
    { "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade ,close\r\n\r\n", "GET", "/", NULL, 1, 2, 0, 0 },
    { "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nConnection: close\r\n\r\n",
      "GET", "/", NULL, 1, 3, 0, 0 },
    { "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", "GET", "/", NULL, 1, 2, 0, 1 },
    { "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n\r\n", "GET", "/", NULL, 1, 2, 0, 1 },
    /* Content-Length: the body's length; identical repeats count once */
    { "POST /publish HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", "POST", "/publish", NULL, 1, 2, 5, 1 },
    { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "POST", "/", NULL, 1, 2, 0, 1 },
    { "POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 5\r\nContent-Length: 5\r\n\r\n", "POST", "/", NULL, 1, 3, 5, 1 },
    { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 005\r\n\r\n", "POST", "/", NULL, 1, 3, 5, 1 },
    { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65536\r\n\r\n", "POST", "/", NULL, 1, 2, 65536, 1 },
    { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:    42   \r\n\r\n", "POST", "/", NULL, 1, 2, 42, 1 },
    /* thirty digits are not 413 when they say 1: the value counts, not its length */
    { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 000000000000000000000000000001\r\n\r\n",
      "POST", "/", NULL, 1, 2, 1, 1 },
    /* field names ignore case; values may hold obs-text, HTAB, and be empty */
    { "GET / HTTP/1.1\r\nHOST: a\r\n\r\n", "GET", "/", NULL, 1, 1, 0, 1 },
    { "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9\tand more\r\nX-Empty:\r\n\r\n", "GET", "/", NULL, 1, 3, 0, 1 },
    { "GET / HTTP/1.1\r\nHost:\r\n\r\n", "GET", "/", NULL, 1, 1, 0, 1 },
};

/* Each valid request is accepted whole, byte by byte and split anywhere,
 * and its head is parsed into the right method, path, query, version,
 * fields, body length and keep-alive. */
START_TEST(valid_requests)
{
    const struct valid_case *tc = &valid_cases[_i];
    size_t len = strlen(tc->input);
    feed_all_ways(tc->input, len, (int)len, 0);

    struct http_request req;
    ck_assert_int_eq(http_parse_request(tc->input, len, &req), (int)len);
    const char *in = show(tc->input, len);
    ck_assert_msg(same(req.method, req.method_len, tc->method), "method of \"%s\"", in);
    ck_assert_msg(same(req.path, req.path_len, tc->path), "path of \"%s\"", in);
    if (tc->query)
        ck_assert_msg(same(req.query, req.query_len, tc->query), "query of \"%s\"", in);
    else
        ck_assert_msg(req.query == NULL && req.query_len == 0, "no query in \"%s\"", in);
    ck_assert_msg(req.version_minor == tc->version_minor, "version of \"%s\"", in);
    ck_assert_msg(req.header_count == tc->header_count, "%zu fields in \"%s\"", req.header_count, in);
    ck_assert_msg(req.content_length == tc->content_length, "Content-Length of \"%s\"", in);
    ck_assert_msg(req.keep_alive == tc->keep_alive, "keep-alive %d for \"%s\"", req.keep_alive, in);
    ck_assert_msg(req.error == 0, "error %d set for \"%s\"", req.error, in);
}
END_TEST

/* The target is kept as sent, and field names and values point into the
 * caller's bytes with the whitespace around values removed. */
START_TEST(fields_point_into_the_buffer)
{
    static const char input[] =
        "GET /a?b=1 HTTP/1.1\r\nHost:example.com\r\nX-Spaces: \t value with  spaces \t \r\n"
        "X-Empty:   \r\nhost-like: x\r\n\r\n";
    struct http_request req;
    ck_assert_int_eq(http_parse_request(input, sizeof input - 1, &req), (int)sizeof input - 1);
    ck_assert(same(req.target, req.target_len, "/a?b=1"));
    ck_assert_uint_eq(req.header_count, 4);
    ck_assert(same(req.headers[0].name, req.headers[0].name_len, "Host"));
    ck_assert(same(req.headers[0].value, req.headers[0].value_len, "example.com"));
    ck_assert(same(req.headers[1].value, req.headers[1].value_len, "value with  spaces"));
    ck_assert(same(req.headers[2].name, req.headers[2].name_len, "X-Empty"));
    ck_assert_uint_eq(req.headers[2].value_len, 0);
    for (size_t i = 0; i < req.header_count; i++) {
        ck_assert(req.headers[i].name >= input && req.headers[i].name < input + sizeof input);
        ck_assert(req.headers[i].value >= input && req.headers[i].value <= input + sizeof input);
    }
}
END_TEST

/* ==== Bad requests: one table, every status rule of http.h ==== */

struct bad_case {
    const char *input;
    size_t len;
    int status;
};

static const struct bad_case bad_cases[] = {
    /* a bare CR anywhere: 400 (RFC 9112 §2.2) */
    { BYTES("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400 },
    { BYTES("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\n\rX"), 400 },
    /* whitespace between a field name and its colon (RFC 9112 §5.1) */
    { BYTES("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), 400 },
    /* obs-fold, and whitespace before the first field (RFC 9112 §5.2, §2.2) */
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400 },
    /* bytes a field value may not hold (RFC 9110 §5.5) */
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x1b[31m\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nX-A: \x7f\r\n\r\n"), 400 },
    /* a field line that is not name ":" value */
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nc\r\n\r\n"), 400 },
    /* Host: exactly one in HTTP/1.1, at most one in 1.0 (RFC 9112 §3.2) */
    { BYTES("GET / HTTP/1.1\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400 },
    /* Content-Length: digits only; repeats must agree (RFC 9112 §6.3) */
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n"), 400 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n"), 400 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n"), 400 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n"), 400 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n"), 400 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), 400 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n"), 400 },
    /* a body over HTTP_MAX_BODY, however many digits say so: 413 */
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n"), 413 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n"), 413 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 123456789012345678901234567890\r\n\r\n"), 413 },
    /* Transfer-Encoding with Content-Length, in either order: smuggling, 400;
     * alone: we take no chunked bodies, 501 (RFC 9112 §6.1, §6.3) */
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), 400 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 400 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 501 },
    { BYTES("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: gzip, chunked\r\n\r\n"), 501 },
    /* versions: HTTP/x.y we do not speak is 505, anything else 400 (RFC 9112 §2.3) */
    { BYTES("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505 },
    { BYTES("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505 },
    { BYTES("GET / HTTP/0.9\r\n\r\n"), 505 },
    { BYTES("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET / http/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET / HTTP/11.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET / HTTPS/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET /\r\n\r\n"), 400 },
    /* garbage: a TLS ClientHello sent to the plain port, a stray binary */
    { BYTES("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 400 },
    { BYTES("\0\0\0\0"), 400 },
    /* the request line: a method that is not a token, wrong spacing */
    { BYTES("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES(" / HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    /* targets: bytes outside visible ASCII, and forms we do not serve */
    { BYTES("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET foo HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n"), 400 },
    { BYTES("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
    { BYTES("GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
};

/* Each bad request gets its status, and gets it the same way whole, byte by
 * byte and split anywhere. */
START_TEST(bad_requests)
{
    const struct bad_case *tc = &bad_cases[_i];
    feed_all_ways(tc->input, tc->len, -1, tc->status);
}
END_TEST

/* ==== Refused at once ==== */

/* Request lines that break a rule at their very last byte: the parser must
 * refuse each as soon as that byte arrives, not wait for more (a server
 * that waits lets a broken client hold the connection). */
static const struct bad_case refused_at_once_cases[] = {
    { BYTES(" "), 400 },                         /* an empty method */
    { BYTES("GE\x01"), 400 },                    /* a byte no method holds */
    { BYTES("GET\t"), 400 },
    { BYTES("GET  "), 400 },                     /* an empty target */
    { BYTES("GET /a\x7f"), 400 },                /* a byte no target holds */
    { BYTES("GET /\x01"), 400 },
    { BYTES("GET / X"), 400 },                   /* the version, at its first byte */
    { BYTES("GET / h"), 400 },                   /* "HTTP" is case-sensitive */
    { BYTES("GET / HTTP-"), 400 },
    { BYTES("GET / HTTP/x"), 400 },
    { BYTES("GET / HTTP/1,"), 400 },
    { BYTES("GET / HTTP/1.x"), 400 },
    { BYTES("GET / HTTP/1.1x"), 400 },           /* the line must end right there */
    { BYTES("GET / HTTP/1.1 "), 400 },
    { BYTES("GET / HTTP/1.2\n"), 505 },          /* well-formed, not ours */
    { BYTES("GET / HTTP/2.0\r\n"), 505 },
};

/* Each request line that breaks a rule at its last byte is refused the
 * moment that byte arrives: every byte is judged as it comes, whole, byte
 * by byte and split anywhere. */
START_TEST(refused_at_once)
{
    const struct bad_case *tc = &refused_at_once_cases[_i];
    feed_all_ways(tc->input, tc->len, -1, tc->status);
}
END_TEST

/* ==== Size limits ==== */

/* A target of exactly HTTP_MAX_TARGET bytes is served; one byte more is 414. */
START_TEST(target_limit)
{
    static const char head[] = "GET /", tail[] = " HTTP/1.1\r\nHost: a\r\n\r\n";
    for (size_t target = HTTP_MAX_TARGET; target <= HTTP_MAX_TARGET + 1; target++) {
        size_t len = strlen(head) - 1 + target + strlen(tail);
        char *p = make_bytes(len);
        memcpy(p, head, strlen(head));
        memset(p + strlen(head), 'a', target - 1);
        memcpy(p + strlen(head) - 1 + target, tail, strlen(tail));
        if (target == HTTP_MAX_TARGET)
            feed_whole(p, len, (int)len, 0);
        else
            feed_all_ways(p, len, -1, 414);
        free(p);
    }
}
END_TEST

/* 414 comes as soon as HTTP_MAX_TARGET + 1 target bytes have arrived, before
 * the request line ends: the server need not wait for an endless target. */
START_TEST(target_limit_before_the_line_ends)
{
    size_t len = 4 + HTTP_MAX_TARGET + 1;       /* "GET " and the target so far */
    char *p = make_bytes(len);
    memcpy(p, "GET /", 5);
    memset(p + 5, 'a', len - 5);
    int error;
    ck_assert_int_eq(parse_copy(p, len - 1, &error), -2);
    ck_assert_int_eq(parse_copy(p, len, &error), -1);
    ck_assert_int_eq(error, 414);
    free(p);
}
END_TEST

/* A head of exactly HTTP_MAX_HEAD bytes (everything up to and including the
 * empty line) is served; one byte more is 431, and so is a head that has
 * not ended after HTTP_MAX_HEAD bytes. */
START_TEST(head_limit)
{
    static const char start[] = "GET / HTTP/1.1\r\nHost: a\r\nX-Fill: ", end[] = "\r\n\r\n";
    for (size_t len = HTTP_MAX_HEAD; len <= HTTP_MAX_HEAD + 1; len++) {
        char *p = make_bytes(len);
        memcpy(p, start, strlen(start));
        memset(p + strlen(start), 'v', len - strlen(start) - strlen(end));
        memcpy(p + len - strlen(end), end, strlen(end));
        if (len == HTTP_MAX_HEAD)
            feed_all_ways(p, len, (int)len, 0);
        else
            feed_all_ways(p, len, -1, 431);
        free(p);
    }
    /* never ends: 431 once the buffer holds more than HTTP_MAX_HEAD bytes */
    size_t len = HTTP_MAX_HEAD + 100;
    char *p = make_bytes(len);
    memcpy(p, start, strlen(start));
    memset(p + strlen(start), 'v', len - strlen(start));
    int error;
    ck_assert_int_eq(parse_copy(p, HTTP_MAX_HEAD, &error), -2);
    ck_assert_int_eq(parse_copy(p, HTTP_MAX_HEAD + 1, &error), -1);
    ck_assert_int_eq(error, 431);
    free(p);
}
END_TEST

/* HTTP_MAX_HEADERS fields are served; one more is 431. */
START_TEST(field_count_limit)
{
    for (int fields = HTTP_MAX_HEADERS; fields <= HTTP_MAX_HEADERS + 1; fields++) {
        char *p = make_bytes(HTTP_MAX_HEAD);
        int len = snprintf(p, HTTP_MAX_HEAD, "GET / HTTP/1.1\r\nHost: a\r\n");
        for (int i = 1; i < fields; i++)
            len += snprintf(p + len, (size_t)(HTTP_MAX_HEAD - len), "X-%d: %d\r\n", i, i);
        len += snprintf(p + len, (size_t)(HTTP_MAX_HEAD - len), "\r\n");
        if (fields == HTTP_MAX_HEADERS) {
            feed_all_ways(p, (size_t)len, len, 0);
            struct http_request req;
            ck_assert_int_eq(http_parse_request(p, (size_t)len, &req), len);
            ck_assert_uint_eq(req.header_count, HTTP_MAX_HEADERS);
        } else {
            feed_all_ways(p, (size_t)len, -1, 431);
        }
        free(p);
    }
}
END_TEST

/* ==== Pipelining ==== */

/* Two requests in one buffer: the first parse answers the first head's
 * length; the body follows; parsing what is left gives the second. */
START_TEST(pipelined_requests)
{
    static const char input[] =
        "POST /publish HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        "GET /poll?since=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    size_t len = sizeof input - 1;
    struct http_request req;
    int first = http_parse_request(input, len, &req);
    ck_assert_int_eq(first, (int)(strstr(input, "hello") - input));
    ck_assert(same(req.path, req.path_len, "/publish"));
    ck_assert_uint_eq(req.content_length, 5);
    ck_assert_int_eq(req.keep_alive, 1);

    size_t used = (size_t)first + req.content_length;
    int second = http_parse_request(input + used, len - used, &req);
    ck_assert_int_eq(second, (int)(len - used));
    ck_assert(same(req.path, req.path_len, "/poll"));
    ck_assert(same(req.query, req.query_len, "since=1"));
    ck_assert_int_eq(req.keep_alive, 0);
}
END_TEST

/* A connection that receives the same two requests in two reads, cut at
 * every position, and consumes each request as soon as it is complete,
 * sees exactly the two requests, in order. */
START_TEST(pipelined_requests_split_anywhere)
{
    static const char input[] =
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
        "GET /b HTTP/1.1\nHost: a\n\n";
    size_t len = sizeof input - 1;
    for (size_t cut = 0; cut <= len; cut++) {
        const char *seen[2];
        int count = 0;
        size_t used = 0;
        for (int read = 0; read < 2; read++) {
            size_t have = read == 0 ? cut : len;
            struct http_request req;
            int r;
            while (used < have && (r = http_parse_request(input + used, have - used, &req)) > 0) {
                ck_assert_int_lt(count, 2);
                seen[count++] = req.path + 1;
                used += (size_t)r;
            }
        }
        ck_assert_msg(count == 2 && *seen[0] == 'a' && *seen[1] == 'b', "cut at %zu", cut);
        ck_assert_uint_eq(used, len);
    }
}
END_TEST

/* ==== Field and query helpers ==== */

/* http_header_get finds the first field by name, ignoring case. */
START_TEST(header_get)
{
    static const char input[] = "GET / HTTP/1.1\r\nHost: a\r\nX-Dup: one\r\nx-dup: two\r\n\r\n";
    struct http_request req;
    ck_assert_int_gt(http_parse_request(input, sizeof input - 1, &req), 0);
    const struct http_header *h = http_header_get(&req, "X-DUP");
    ck_assert_ptr_nonnull(h);
    ck_assert(same(h->value, h->value_len, "one"));
    ck_assert_ptr_nonnull(http_header_get(&req, "host"));
    ck_assert_ptr_null(http_header_get(&req, "X-Du"));
    ck_assert_ptr_null(http_header_get(&req, "X-Dupe"));
    ck_assert_ptr_null(http_header_get(&req, "Upgrade"));
}
END_TEST

/* http_header_count counts every field with the name, ignoring case, and
 * points at the last; with none it leaves *last alone. */
START_TEST(header_count)
{
    static const char input[] = "GET / HTTP/1.1\r\nHost: a\r\nX-Dup: one\r\nx-dup: two\r\n"
                                "X-Dupe: three\r\n\r\n";
    struct http_request req;
    ck_assert_int_gt(http_parse_request(input, sizeof input - 1, &req), 0);
    const struct http_header *last = NULL;
    ck_assert_int_eq(http_header_count(&req, "X-DUP", &last), 2);
    ck_assert_ptr_nonnull(last);
    ck_assert(same(last->value, last->value_len, "two"));
    ck_assert_int_eq(http_header_count(&req, "host", &last), 1);
    ck_assert(same(last->value, last->value_len, "a"));
    ck_assert_int_eq(http_header_count(&req, "X-Du", &last), 0);
    ck_assert(same(last->value, last->value_len, "a"));     /* untouched */
}
END_TEST

struct list_case {
    const char *list;     /* a field value */
    const char *want;     /* its elements, each followed by "|" */
};

static const struct list_case list_cases[] = {
    { "a", "a|" },
    { "a, b", "a|b|" },
    { " a ,\tb\t, c ", "a|b|c|" },
    { ",, a ,, ,b,", "a|b|" },                              /* empty elements skipped */
    { "", "" },
    { " , ,", "" },
    { "permessage-deflate; client_max_window_bits, x-webkit-deflate-frame",
      "permessage-deflate; client_max_window_bits|x-webkit-deflate-frame|" },
    { "a; q=\"1, 2\", b", "a; q=\"1, 2\"|b|" },               /* a comma inside quotes */
    { "a; q=\"x\\\", y\", b", "a; q=\"x\\\", y\"|b|" },     /* an escaped quote stays inside */
    { "a; q=\"open, b", "a; q=\"open, b|" },                 /* an unclosed quote runs to the end */
};

/* http_list_next walks a comma-separated list (RFC 9110 §5.6.1): trimmed
 * elements, empty ones skipped, quoted strings kept whole. */
START_TEST(list_next)
{
    const struct list_case *tc = &list_cases[_i];
    const char *p = tc->list, *end = p + strlen(p), *elem;
    size_t n;
    char got[256] = "";
    int count = 0;
    while (http_list_next(&p, end, &elem, &n) && count++ < 10)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%.*s|", (int)n, elem);
    ck_assert_msg(strcmp(got, tc->want) == 0, "list [%s]: got [%s], want [%s]", tc->list, got, tc->want);
    ck_assert_int_eq(http_list_next(&p, end, &elem, &n), 0);  /* stays at the end */
}
END_TEST

struct token_case {
    const char *fields;   /* field lines after Host */
    const char *name, *token;
    int want;
};

static const struct token_case token_cases[] = {
    { "Connection: keep-alive, Upgrade\r\n", "Connection", "upgrade", 1 },
    { "Connection: keep-alive, Upgrade\r\n", "connection", "KEEP-ALIVE", 1 },
    { "Connection: keep-alive,Upgrade\r\n", "Connection", "upgrade", 1 },
    { "Connection: keep-alive , \tUpgrade \t\r\n", "Connection", "upgrade", 1 },
    { "Connection: keep-alive\r\nConnection: Upgrade\r\n", "Connection", "upgrade", 1 },
    { "Connection: Upgraded\r\n", "Connection", "upgrade", 0 },
    { "Connection: pgrade\r\n", "Connection", "upgrade", 0 },
    { "Connection: up grade\r\n", "Connection", "upgrade", 0 },
    { "Connection: ,,\r\n", "Connection", "upgrade", 0 },
    { "Upgrade: websocket\r\n", "Connection", "websocket", 0 },
    { "Upgrade: WebSocket\r\n", "Upgrade", "websocket", 1 },
};

/* http_header_has_token reads comma-separated lists (RFC 9110 §5.6.1),
 * across repeated fields, ignoring case and whitespace around elements. */
START_TEST(header_has_token)
{
    const struct token_case *tc = &token_cases[_i];
    char input[256];
    int len = snprintf(input, sizeof input, "GET / HTTP/1.1\r\nHost: a\r\n%s\r\n", tc->fields);
    struct http_request req;
    ck_assert_int_eq(http_parse_request(input, (size_t)len, &req), len);
    ck_assert_msg(http_header_has_token(&req, tc->name, tc->token) == tc->want,
                  "%s / %s in \"%s\": want %d", tc->name, tc->token, show(tc->fields, strlen(tc->fields)), tc->want);
}
END_TEST

struct query_case {
    const char *query, *key;
    const char *want;     /* NULL: absent */
};

static const struct query_case query_cases[] = {
    { "since=3", "since", "3" },
    { "a=1&since=42&b=2", "since", "42" },
    { "since=1&since=2", "since", "1" },
    { "since", "since", "" },
    { "since=", "since", "" },
    { "a&since&b", "since", "" },
    { "sinc=1", "since", NULL },
    { "since2=1", "since", NULL },
    { "xsince=1", "since", NULL },
    { "a=since", "since", NULL },
    { "", "since", NULL },
    { "timeout=%32", "timeout", "%32" },
    { "&&since=5&&", "since", "5" },
};

/* http_query_get finds a parameter by exact name; a bare name is an empty
 * value; the value is not decoded. */
START_TEST(query_get)
{
    const struct query_case *tc = &query_cases[_i];
    const char *value = NULL;
    size_t value_len = 0;
    int found = http_query_get(tc->query, strlen(tc->query), tc->key, &value, &value_len);
    ck_assert_msg(found == (tc->want != NULL), "\"%s\" in \"%s\"", tc->key, tc->query);
    if (tc->want)
        ck_assert_msg(same(value, value_len, tc->want), "\"%s\" in \"%s\": want \"%s\"",
                      tc->key, tc->query, tc->want);
}
END_TEST

/* A request with no query at all: http_query_get on (NULL, 0) is absent. */
START_TEST(query_get_without_query)
{
    const char *value;
    size_t value_len;
    ck_assert_int_eq(http_query_get(NULL, 0, "since", &value, &value_len), 0);
}
END_TEST

struct uint_case {
    const char *text;
    int ok;
    uint64_t want;
};

static const struct uint_case uint_cases[] = {
    { "0", 1, 0 },
    { "7", 1, 7 },
    { "007", 1, 7 },
    { "1024", 1, 1024 },
    { "18446744073709551615", 1, UINT64_MAX },
    { "18446744073709551616", 0, 0 },
    { "99999999999999999999", 0, 0 },
    { "123456789012345678901234567890", 0, 0 },
    { "", 0, 0 },
    { "-1", 0, 0 },
    { "+1", 0, 0 },
    { " 1", 0, 0 },
    { "1 ", 0, 0 },
    { "1a", 0, 0 },
    { "0x10", 0, 0 },
};

/* http_parse_uint: digits only, at least one, never wrapping past UINT64_MAX. */
START_TEST(parse_uint)
{
    const struct uint_case *tc = &uint_cases[_i];
    uint64_t out = 12345;
    int r = http_parse_uint(tc->text, strlen(tc->text), &out);
    ck_assert_msg(r == (tc->ok ? 0 : -1), "\"%s\": got %d", tc->text, r);
    if (tc->ok)
        ck_assert_msg(out == tc->want, "\"%s\": got %llu", tc->text, (unsigned long long)out);
    else
        ck_assert_msg(out == 12345, "\"%s\": *out changed on failure", tc->text);
}
END_TEST

/* ==== The response writer ==== */

/* A full answer: status line, Server, Date, Content-Type, Content-Length,
 * the CORS field, Connection, the extra lines, the empty line. */
START_TEST(response_head_full)
{
    struct http_response r = {
        .status = 200, .content_type = "application/json", .content_length = 12,
        .keep_alive = 1, .date = "Tue, 24 Nov 2026 09:00:00 GMT", .extra = "Cache-Control: no-cache\r\n",
    };
    static const char want[] =
        "HTTP/1.1 200 OK\r\n"
        "Server: rtlab\r\n"
        "Date: Tue, 24 Nov 2026 09:00:00 GMT\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: 12\r\n"
        "Access-Control-Allow-Origin: *\r\n"
        "Connection: keep-alive\r\n"
        "Cache-Control: no-cache\r\n"
        "\r\n";
    char out[512];
    int n = http_write_response_head(out, sizeof out, &r);
    ck_assert_int_eq(n, (int)sizeof want - 1);
    ck_assert_msg(memcmp(out, want, sizeof want - 1) == 0, "got \"%s\"", show(out, (size_t)n));
}
END_TEST

/* The smallest answer: no Date, type or length (a stream), and close. */
START_TEST(response_head_minimal)
{
    struct http_response r = { .status = 404, .content_length = -1, .keep_alive = 0 };
    static const char want[] =
        "HTTP/1.1 404 Not Found\r\n"
        "Server: rtlab\r\n"
        "Access-Control-Allow-Origin: *\r\n"
        "Connection: close\r\n"
        "\r\n";
    char out[512];
    int n = http_write_response_head(out, sizeof out, &r);
    ck_assert_int_eq(n, (int)sizeof want - 1);
    ck_assert_msg(memcmp(out, want, sizeof want - 1) == 0, "got \"%s\"", show(out, (size_t)n));
}
END_TEST

/* A zero length is written (Content-Length: 0), unlike -1, which means
 * "no length: the body lasts as long as the connection". */
START_TEST(response_head_zero_length)
{
    char out[512];
    int n;
    struct http_response empty = { .status = 204, .content_length = 0, .keep_alive = 1 };
    n = http_write_response_head(out, sizeof out, &empty);
    out[n] = '\0';
    ck_assert_ptr_nonnull(strstr(out, "\r\nContent-Length: 0\r\n"));
}
END_TEST

/* Every capacity short of the answer's length is -2 and writes nothing past
 * it; the exact length is enough. */
START_TEST(response_head_capacity)
{
    struct http_response r = { .status = 200, .content_type = "text/plain", .content_length = 65536,
                               .keep_alive = 1, .date = "Tue, 24 Nov 2026 09:00:00 GMT",
                               .extra = "X-A: b\r\n" };
    char full[512];
    int need = http_write_response_head(full, sizeof full, &r);
    ck_assert_int_gt(need, 0);
    for (int cap = 0; cap <= need; cap++) {
        char out[512];
        memset(out, '#', sizeof out);
        int n = http_write_response_head(out, (size_t)cap, &r);
        ck_assert_int_eq(n, cap < need ? -2 : need);
        ck_assert_msg(out[cap] == '#', "wrote past cap %d", cap);
    }
}
END_TEST

struct reason_case {
    int status;
    const char *reason;
};

static const struct reason_case reason_cases[] = {
    { 200, "OK" }, { 204, "No Content" }, { 400, "Bad Request" },
    { 401, "Unauthorized" }, { 403, "Forbidden" }, { 421, "Misdirected Request" },
    { 503, "Service Unavailable" }, { 404, "Not Found" }, { 405, "Method Not Allowed" }, { 408, "Request Timeout" },
    { 413, "Content Too Large" }, { 414, "URI Too Long" }, { 426, "Upgrade Required" },
    { 431, "Request Header Fields Too Large" }, { 501, "Not Implemented" },
    { 505, "HTTP Version Not Supported" },
    /* never sent by http_write_response_head (websocket writes its own 101) */
    { 101, "Unknown" }, { 418, "Unknown" }, { 0, "Unknown" }, { 999, "Unknown" },
};

/* Every status we send has its RFC 9110 §15 reason phrase. */
START_TEST(reason_phrases)
{
    const struct reason_case *tc = &reason_cases[_i];
    ck_assert_str_eq(http_reason(tc->status), tc->reason);
}
END_TEST

/* ==== The suite ==== */

#define COUNT(a) ((int)(sizeof a / sizeof a[0]))

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");

    TCase *parse = tcase_create("parse");
    tcase_set_timeout(parse, 120);  /* every split of 8 KiB heads takes ~20 s under ASan */
    tcase_add_loop_test(parse, valid_requests, 0, COUNT(valid_cases));
    tcase_add_test(parse, fields_point_into_the_buffer);
    tcase_add_loop_test(parse, bad_requests, 0, COUNT(bad_cases));
    tcase_add_loop_test(parse, refused_at_once, 0, COUNT(refused_at_once_cases));
    tcase_add_test(parse, target_limit);
    tcase_add_test(parse, target_limit_before_the_line_ends);
    tcase_add_test(parse, head_limit);
    tcase_add_test(parse, field_count_limit);
    tcase_add_test(parse, pipelined_requests);
    tcase_add_test(parse, pipelined_requests_split_anywhere);
    suite_add_tcase(s, parse);

    TCase *helpers = tcase_create("helpers");
    tcase_add_test(helpers, header_get);
    tcase_add_loop_test(helpers, header_has_token, 0, COUNT(token_cases));
    tcase_add_test(helpers, header_count);
    tcase_add_loop_test(helpers, list_next, 0, COUNT(list_cases));
    tcase_add_loop_test(helpers, query_get, 0, COUNT(query_cases));
    tcase_add_test(helpers, query_get_without_query);
    tcase_add_loop_test(helpers, parse_uint, 0, COUNT(uint_cases));
    suite_add_tcase(s, helpers);

    TCase *respond = tcase_create("respond");
    tcase_add_test(respond, response_head_full);
    tcase_add_test(respond, response_head_minimal);
    tcase_add_test(respond, response_head_zero_length);
    tcase_add_test(respond, response_head_capacity);
    tcase_add_loop_test(respond, reason_phrases, 0, COUNT(reason_cases));
    suite_add_tcase(s, respond);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(http_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
