/*
 * tests/fuzz/fuzz_http.c — libFuzzer harness for the HTTP request parser
 * (core/http.c).
 *
 * What counts as a failure, beside any crash, leak or sanitizer report:
 *   - an answer other than > 0, -1 or -2, or a head longer than the input
 *     or than HTTP_MAX_HEAD;
 *   - -1 with a status the contract does not list (400 413 414 431 501 505);
 *   - a parsed request whose pointers leave the head, or whose counts break
 *     the limits (header_count <= 64, content_length <= 64 KiB);
 *   - the parser's promise about prefixes (http.c, "How the parser works"):
 *     a proper prefix of a complete head answers -2; once a prefix has
 *     broken a rule, every longer input answers the same status; and bytes
 *     after a complete head change nothing.
 * The helpers that read a parsed request (http_header_get,
 * http_header_has_token, http_query_get, http_parse_uint) run on every
 * parsed request, and the response writer on fields taken from the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stop the run with a message; libFuzzer saves the input as a crash. */
#define REQUIRE(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz_http: " __VA_ARGS__); \
                                 fputc('\n', stderr); abort(); } } while (0)

static int inside(const char *p, size_t n, const char *base, size_t len)
{
    return p >= base && p + n <= base + len;
}

static int listed_status(int status)
{
    return status == 400 || status == 413 || status == 414 || status == 431 || status == 501 ||
           status == 505;
}

/* Everything a parsed request promises about itself. */
static void check_request(const char *d, int head, const struct http_request *req)
{
    size_t n = (size_t)head;
    REQUIRE(inside(req->method, req->method_len, d, n) && req->method_len > 0, "method outside the head");
    REQUIRE(inside(req->target, req->target_len, d, n) && req->target_len > 0, "target outside the head");
    REQUIRE(req->target_len <= HTTP_MAX_TARGET, "target over the limit: %zu", req->target_len);
    REQUIRE(req->path_len > 0 && (inside(req->path, req->path_len, d, n) ||
                                  (req->path_len == 1 && req->path[0] == '/')), "path outside the head");
    REQUIRE(req->query == NULL || inside(req->query, req->query_len, d, n), "query outside the head");
    REQUIRE(req->version_minor == 0 || req->version_minor == 1, "version 1.%d", req->version_minor);
    REQUIRE(req->header_count <= HTTP_MAX_HEADERS, "%zu headers", req->header_count);
    REQUIRE(req->content_length <= HTTP_MAX_BODY, "content_length %zu", req->content_length);
    REQUIRE(req->keep_alive == 0 || req->keep_alive == 1, "keep_alive %d", req->keep_alive);
    for (size_t i = 0; i < req->header_count; i++) {
        const struct http_header *h = &req->headers[i];
        REQUIRE(inside(h->name, h->name_len, d, n) && h->name_len > 0, "header name outside the head");
        REQUIRE(h->value_len == 0 || inside(h->value, h->value_len, d, n), "header value outside the head");
        for (size_t k = 0; k < h->value_len; k++) {
            unsigned char b = (unsigned char)h->value[k];
            REQUIRE(b == '\t' || (b >= 0x20 && b != 0x7f), "control byte 0x%02x in a value", b);
        }
        if (h->value_len) {
            REQUIRE(h->value[0] != ' ' && h->value[0] != '\t', "value keeps leading whitespace");
            REQUIRE(h->value[h->value_len - 1] != ' ' && h->value[h->value_len - 1] != '\t',
                    "value keeps trailing whitespace");
        }
    }
    /* The readers of a parsed request must stay inside it too. */
    const struct http_header *host = http_header_get(req, "host");
    REQUIRE(req->version_minor == 0 || host != NULL, "HTTP/1.1 request without Host accepted");
    REQUIRE(!(http_header_get(req, "transfer-encoding")), "Transfer-Encoding accepted");
    (void)http_header_has_token(req, "connection", "close");
    const char *value;
    size_t value_len;
    if (http_query_get(req->query, req->query_len, "since", &value, &value_len)) {
        REQUIRE(inside(value, value_len, d, n), "query value outside the head");
        uint64_t v;
        (void)http_parse_uint(value, value_len, &v);
    }
}

/* Parse a copy of the first len bytes of data, so ASan sees any read past
 * them. Returns the copy, which *req points into: the caller frees it. */
static char *parse_prefix(const uint8_t *data, size_t len, struct http_request *req, int *answer)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    *answer = http_parse_request(copy, len, req);
    return copy;
}

/* The response writer on a status, length and room taken from the input. */
static void check_writer(const uint8_t *data, size_t size)
{
    if (size < 2) return;
    struct http_response r = {
        .status = 100 + (data[0] << 8 | data[1]) % 500, .content_type = "text/plain",
        .content_length = (long long)size - 1, .keep_alive = data[0] & 1,
        .date = "Sun, 06 Nov 1994 08:49:37 GMT", .extra = NULL,
    };
    char out[512];
    size_t cap = 1 + data[1] % sizeof out;
    int w = http_write_response_head(out, cap, &r);
    REQUIRE(w == -2 || (w > 0 && (size_t)w <= cap), "writer returned %d for cap %zu", w, cap);
    if (w > 0) REQUIRE(memcmp(out, "HTTP/1.1 ", 9) == 0 && memcmp(out + w - 4, "\r\n\r\n", 4) == 0,
                       "writer's head is not a head");
    (void)http_reason(r.status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct http_request req, part;
    int r;
    char *whole = parse_prefix(data, size, &req, &r);
    REQUIRE(r == -1 || r == -2 || (r > 0 && (size_t)r <= size && r <= HTTP_MAX_HEAD),
            "answer %d for %zu bytes", r, size);
    if (r == -1) REQUIRE(listed_status(req.error), "-1 with status %d", req.error);
    if (r > 0) check_request(whole, r, &req);
    if (r == -2) REQUIRE(size <= HTTP_MAX_HEAD, "-2 for %zu bytes: the window was full", size);

    /* Prefixes: a few cut points chosen by the input itself. */
    size_t cuts[4] = {size / 2, size ? size - 1 : 0, size ? data[0] % size : 0,
                      size > 1 ? (size_t)(data[size - 1] * 37u) % size : 0};
    for (int i = 0; i < 4; i++) {
        size_t k = cuts[i];
        int q;
        free(parse_prefix(data, k, &part, &q));
        if (r > 0 && k < (size_t)r)
            REQUIRE(q == -2, "prefix %zu of a %d-byte head answered %d", k, r, q);
        if (r > 0 && k >= (size_t)r)
            REQUIRE(q == r, "bytes after the head changed the answer: %d then %d", r, q);
        if (q == -1)
            REQUIRE(r == -1 && part.error == req.error,
                    "prefix %zu refused with %d, the whole input answered %d (status %d)", k,
                    part.error, r, req.error);
    }
    check_writer(data, size);
    free(whole);
    return 0;
}
