/*
 * core/http.h — our own HTTP/1.1 request parser and response writer
 * (RFC 9112 message syntax, RFC 9110 semantics).
 *
 * The parser is pure, in the style of picohttpparser: it allocates nothing,
 * keeps no state between calls and points into the caller's bytes. Call it
 * again on the whole buffer each time more bytes arrive; it answers
 *   > 0  the length of a complete request head (request line, header fields
 *        and the empty line); the body, req->content_length bytes, follows;
 *   -1   the bytes can never become a valid request: req->error holds the
 *        status to answer (400, 413, 414, 431, 501 or 505) before closing;
 *   -2   not complete yet: read more and call again.
 *
 * The rules we chose, everywhere the RFC leaves a choice:
 *   - empty lines before the request line are skipped (RFC 9112 §2.2);
 *   - a line may end in CRLF or in a bare LF (§2.2 allows recognising LF);
 *     a bare CR anywhere is refused with 400;
 *   - whitespace between a field name and its colon → 400 (§5.1);
 *   - obs-fold (a header line starting with SP or HTAB) → 400 (§5.2);
 *   - a field value may hold VCHAR, obs-text, SP and HTAB only: NUL, CR, LF
 *     or any other control byte → 400 (RFC 9110 §5.5);
 *   - HTTP/1.1 without Host, or more than one Host → 400 (RFC 9112 §3.2);
 *   - Content-Length: digits only (else 400); several that differ → 400;
 *     identical repeats are one; a value over HTTP_MAX_BODY → 413 (never
 *     overflows however many digits it has);
 *   - Transfer-Encoding with Content-Length → 400 (a smuggling attempt,
 *     §6.3); Transfer-Encoding alone → 501 (we do not take chunked bodies);
 *   - request target over HTTP_MAX_TARGET bytes → 414, as soon as that many
 *     bytes have arrived without the end of the target;
 *   - head (request line + fields) over HTTP_MAX_HEAD bytes, or more than
 *     HTTP_MAX_HEADERS fields → 431;
 *   - a version other than HTTP/1.0 or HTTP/1.1 → 505 when it is HTTP/x.y,
 *     else 400; a method that is not a token → 400;
 *   - the target is origin-form ("/path?query"), absolute-form
 *     ("http://host/path", §3.2.2: the path is taken from it) or "*".
 *
 * Interface:
 *   http_parse_request       the parser above
 *   http_header_get          first value of a field, by case-insensitive name
 *   http_header_has_token    does a comma-separated field list a token
 *   http_header_count        how many fields have this name (one that must be unique)
 *   http_list_next           the next element of a comma-separated list
 *   http_query_get           one parameter of a query string
 *   http_parse_uint          a decimal number with overflow checking
 *   http_write_response_head the status line and header fields of an answer
 *   http_reason              "Not Found" for 404, ...
 */
#ifndef RTLAB_HTTP_H
#define RTLAB_HTTP_H

#include <stddef.h>
#include <stdint.h>

enum {
    HTTP_MAX_HEAD = 8192,      /* request line + header fields, bytes */
    HTTP_MAX_TARGET = 4096,    /* request target, bytes */
    HTTP_MAX_BODY = 65536,     /* request body, bytes */
    HTTP_MAX_HEADERS = 64,     /* header fields */
};

struct http_header {
    const char *name;          /* points into the caller's buffer */
    size_t name_len;
    const char *value;         /* leading and trailing whitespace removed */
    size_t value_len;
};

struct http_request {
    const char *method;  size_t method_len;   /* "GET" */
    const char *target;  size_t target_len;   /* as sent: "/poll?since=3" */
    const char *path;    size_t path_len;     /* "/poll" (from absolute-form too) */
    const char *query;   size_t query_len;    /* "since=3", or NULL and 0 */
    int version_minor;                        /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    struct http_header headers[HTTP_MAX_HEADERS];
    size_t header_count;
    size_t content_length;                    /* 0 when absent */
    int keep_alive;    /* 1.1: unless "Connection: close"; 1.0: only with "keep-alive" */
    int error;         /* after -1: the status to answer */
};

/* Parse the head at data[0..len). See the top of this file for the
 * contract. All pointers in *req point into data and stay valid as long as
 * those bytes do not move. */
int http_parse_request(const char *data, size_t len, struct http_request *req);

/* The first header named name (case-insensitive), or NULL. */
const struct http_header *http_header_get(const struct http_request *req, const char *name);

/* 1 when some header named name holds token in its comma-separated list
 * (case-insensitive, optional whitespace around elements), else 0.
 * "Connection: keep-alive, Upgrade" has the token "upgrade". */
int http_header_has_token(const struct http_request *req, const char *name, const char *token);

/* How many header fields are named name (case-insensitive). *last is set
 * to the last of them, and left alone when there is none. A field that
 * must appear exactly once (Sec-WebSocket-Key) is one with a count of 1. */
int http_header_count(const struct http_request *req, const char *name,
                      const struct http_header **last);

/* The next element of a comma-separated list (#element, RFC 9110 §5.6.1)
 * in [*p, end): optional whitespace around it is trimmed, empty elements
 * are skipped, and a comma inside a quoted string does not end one.
 * Returns 1 with *elem and *elem_len set (pointing into the list) and *p
 * moved past the element, or 0 when no element is left. Call it on each
 * field of a repeated header in turn: "A, B" and two fields "A" and "B"
 * are the same list (RFC 9110 §5.3). */
int http_list_next(const char **p, const char *end, const char **elem, size_t *elem_len);

/* Find key in a query string "a=1&b=2". Returns 1 and sets *value and
 * *value_len (not percent-decoded) when present (a bare "a" gives an empty
 * value), 0 when absent. */
int http_query_get(const char *query, size_t query_len, const char *key,
                   const char **value, size_t *value_len);

/* Parse s[0..len) as a decimal number: at least one digit, digits only, no
 * sign, at most UINT64_MAX. Returns 0 and sets *out, or -1. */
int http_parse_uint(const char *s, size_t len, uint64_t *out);

/* What an answer says about itself. */
struct http_response {
    int status;                  /* 200 */
    const char *content_type;    /* NULL: no Content-Type */
    long long content_length;    /* -1: none (a stream that lasts as long as the connection) */
    int keep_alive;              /* Connection: keep-alive or close */
    const char *date;            /* an IMF-fixdate for the Date field, or NULL for none */
    const char *extra;           /* more header lines, each ending in "\r\n", or NULL */
};

/* Write the status line, the header fields and the empty line into
 * out[0..cap). Every answer carries "Access-Control-Allow-Origin: *".
 * Returns the length written, or -2 when cap is too small. Pure. */
int http_write_response_head(char *out, size_t cap, const struct http_response *r);

/* The reason phrase of a status code ("Unknown" for one we never send). */
const char *http_reason(int status);

#endif
