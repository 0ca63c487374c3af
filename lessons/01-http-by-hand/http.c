/*
 * lessons/01-http-by-hand/http.c — YOUR copy of core/http.c, the HTTP/1.1
 * request parser all four servers use (RFC 9112; the contract and every
 * rule we chose are in core/http.h).
 *
 * Everything is here except the request line: parse_method, parse_target,
 * parse_version and split_target are yours (look for TODO(student)). The
 * field lines, the checks on the head as a whole and the response writer
 * are the project's, so once your four functions are right, this file is a
 * parser every server can run on.
 *
 *   make lesson N=01             what works, what does not, in plain words
 *   make lesson N=01 SERVER=1    bin/polling with your parser in it
 *
 * How the parser works. It is called again on the whole buffer each time
 * bytes arrive, and walks it strictly from left to right: the request line,
 * then one field line after another, then the empty line. Every rule about
 * a single byte or line is checked the moment that byte is seen, so
 *   - a proper prefix of a valid request always answers -2, and
 *   - a prefix that already breaks a rule answers that rule's status, and
 *     every longer input answers the same one.
 */
#include "http.h"

#include <string.h>

/* ==== Byte classes (RFC 9110 §5.6.2, §5.5) ==== */

/* tchar: the bytes of a token (a method, a field name). */
static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return 1;
    default:
        return 0;
    }
}

/* The bytes a field value may hold: VCHAR, obs-text, SP and HTAB. */
static int is_field_byte(unsigned char c)
{
    return (c >= 0x20 && c != 0x7F) || c == '\t';   /* the common case first */
}

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* 1 when a[0..n) equals the NUL-terminated b, ignoring ASCII case. */
static int ascii_equal_nocase(const char *a, size_t n, const char *b)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] == '\0' || ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return 0;
    return b[n] == '\0';
}

/* The loops where the parser spends its time: each returns the first byte
 * at or after p, before end, that is not of its class (or end). */
static const char *skip_tchars(const char *p, const char *end)
{
    while (p < end && is_tchar((unsigned char)*p)) p++;
    return p;
}

static const char *skip_field_bytes(const char *p, const char *end)
{
    while (p < end && is_field_byte((unsigned char)*p)) p++;
    return p;
}

static const char *skip_whitespace(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    return p;
}

/* Read the end of a line at *p: CRLF or a bare LF (RFC 9112 §2.2).
 * Returns 0 and moves *p past it, -1 when *p is no line end (or a CR not
 * followed by LF: a bare CR is refused), -2 when the bytes stop inside it. */
static int take_line_end(const char **p, const char *end)
{
    const char *s = *p;
    if (s == end) return -2;
    if (*s == '\n') { *p = s + 1; return 0; }
    if (*s != '\r') return -1;
    if (s + 1 == end) return -2;
    if (s[1] != '\n') return -1;
    *p = s + 2;
    return 0;
}

/* ==== The request line (RFC 9112 §3) ==== */

/* The parse state every step shares: where we are, where the window ends,
 * and the request being filled in. A step returns 0 (go on), -1 (rule
 * broken: req->error is set) or -2 (the bytes stopped). */
struct cursor {
    const char *p;
    const char *end;
    struct http_request *req;
};

static int fail(struct cursor *c, int status)
{
    c->req->error = status;
    return -1;
}

/* method SP — the method is a token (RFC 9112 §3.1). */
static int parse_method(struct cursor *c)
{
    /* TODO(student): read the method, a token (is_tchar), up to the one SP
     * after it. Set c->req->method and method_len (pointing into the
     * buffer), move c->p past the SP and return 0. Return -2 when the bytes
     * stop before the SP; fail(c, 400) on an empty method or on a byte that
     * is neither tchar nor SP. */
    (void)c;
    return -2;
}

/* request-target SP. Too long a target is refused with 414 as soon as
 * HTTP_MAX_TARGET + 1 of its bytes have arrived (RFC 9112 §3), so a client
 * cannot make us wait for the end of an endless one. */
static int parse_target(struct cursor *c)
{
    /* TODO(student): read the request target up to its SP: visible ASCII
     * only (0x21..0x7E). Set c->req->target and target_len, move past the
     * SP, return 0. -2 when the bytes stop inside it; fail(c, 400) for an
     * empty target or a byte that does not belong. And the special problem
     * of an endless target: as soon as HTTP_MAX_TARGET bytes have arrived
     * with no SP yet, fail(c, 414) -- do not wait for the end. */
    (void)c;
    return -2;
}

/* HTTP-version line-end. The name is case-sensitive "HTTP/", then one digit,
 * ".", one digit (RFC 9112 §2.3). Anything else is not HTTP at all (400);
 * a well-formed version we do not speak is 505 (RFC 9110 §15.6.6). The line
 * must end right after it: "HTTP/1.1x" is 400. http.h makes HTTP/1.2 a 505
 * too, which is stricter than RFC 9110 §2.5 (it would serve a higher minor
 * version as 1.1); no client sends 1.2, and a refusal is easy to see. */
static int parse_version(struct cursor *c)
{
    /* TODO(student): exactly "HTTP/", a digit, ".", a digit, then the end
     * of the line (take_line_end). Check each byte the moment it arrives:
     * -2 while the bytes stop early, fail(c, 400) for a byte that breaks the
     * shape, fail(c, 505) for a well-formed version other than 1.0 or 1.1.
     * Set c->req->version_minor and return 0. */
    (void)c;
    return -2;
}

/* Split the target into path and query. Origin-form "/p?q" is the common
 * case; absolute-form "scheme://authority/p?q" (RFC 9112 §3.2.2) gives its
 * path, or "/" when it has none (RFC 3986 §6.2.3); asterisk-form "*" is only
 * for OPTIONS (§3.2.4). Authority-form (CONNECT) is for proxies: 400. */
static int split_target(struct cursor *c)
{
    /* TODO(student): split c->req->target into path and query.
     *   "/poll?since=3"  -> path "/poll", query "since=3"
     *   "/poll"          -> path "/poll", query NULL and 0
     *   "*"              -> path "*", only for OPTIONS (else fail(c, 400))
     *   "http://h:1/p?q" -> path "/p", query "q" (absolute-form; no path
     *                       gives "/"; "http:///x" names no host: 400)
     * Anything else ("poll", "h:80") is fail(c, 400). Return 0. */
    return fail(c, 400);
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 §3). */
static int parse_request_line(struct cursor *c)
{
    int r;
    if ((r = parse_method(c)) != 0) return r;
    if ((r = parse_target(c)) != 0) return r;
    if ((r = parse_version(c)) != 0) return r;
    return split_target(c);
}

/* ==== Field lines (RFC 9112 §5) ==== */

/* field-value up to the line end, with the whitespace around it removed
 * (RFC 9110 §5.5). NUL, a bare CR, DEL or any other control byte is 400. */
static int parse_field_value(struct cursor *c, struct http_header *h)
{
    const char *start = skip_whitespace(c->p, c->end);
    const char *stop = skip_field_bytes(start, c->end);
    c->p = stop;
    int r = take_line_end(&c->p, c->end);
    if (r == -2) return -2;
    if (r == -1) return fail(c, 400);
    while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t')) stop--;
    h->value = start;
    h->value_len = (size_t)(stop - start);
    return 0;
}

/* field-line = field-name ":" OWS field-value OWS, at c->p which is not
 * the start of the empty line. A line that starts with whitespace is
 * obs-fold (§5.2), and whitespace before the colon is forbidden (§5.1):
 * both are 400. The 65th field is 431. */
static int parse_field_line(struct cursor *c)
{
    struct http_request *req = c->req;
    if (*c->p == ' ' || *c->p == '\t') return fail(c, 400);
    if (req->header_count == HTTP_MAX_HEADERS) return fail(c, 431);
    const char *start = c->p;
    c->p = skip_tchars(start, c->end);
    if (c->p == c->end) return -2;
    if (*c->p != ':' || c->p == start) return fail(c, 400);
    struct http_header *h = &req->headers[req->header_count];
    h->name = start;
    h->name_len = (size_t)(c->p - start);
    c->p++;
    int r = parse_field_value(c, h);
    if (r != 0) return r;
    req->header_count++;
    return 0;
}

/* Field lines until the empty line, which ends the head. */
static int parse_fields(struct cursor *c)
{
    for (;;) {
        if (c->p == c->end) return -2;
        int r = take_line_end(&c->p, c->end);
        if (r == 0) return 0;                 /* the empty line */
        if (r == -2) return -2;
        if (*c->p == '\r') return fail(c, 400);   /* CR then not LF */
        if ((r = parse_field_line(c)) != 0) return r;
    }
}

/* ==== The head as a whole ==== */

/* RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host; an HTTP/1.0 one
 * at most one. */
static int check_host(struct http_request *req)
{
    size_t hosts = 0;
    for (size_t i = 0; i < req->header_count; i++)
        if (ascii_equal_nocase(req->headers[i].name, req->headers[i].name_len, "host"))
            hosts++;
    if (hosts > 1 || (hosts == 0 && req->version_minor == 1)) {
        req->error = 400;
        return -1;
    }
    return 0;
}

/* 1 when the digit strings a and b name the same number ("5" and "005"). */
static int same_number(const struct http_header *a, const struct http_header *b)
{
    const char *x = a->value, *y = b->value;
    size_t m = a->value_len, n = b->value_len;
    while (m > 1 && *x == '0') { x++; m--; }
    while (n > 1 && *y == '0') { y++; n--; }
    return m == n && memcmp(x, y, m) == 0;
}

/* The body's framing (RFC 9112 §6). Content-Length must be digits only and,
 * when repeated, the same number (§6.3 item 5); beside Transfer-Encoding it
 * is a smuggling attempt (§6.3 item 3, §11.2): 400. Transfer-Encoding alone
 * would need a chunked decoder, which we do not have: 501. The number is
 * compared with the limit digit by digit, so thirty digits cannot overflow. */
static int check_framing(struct http_request *req)
{
    const struct http_header *length = NULL;
    int chunked = 0;
    req->error = 400;
    for (size_t i = 0; i < req->header_count; i++) {
        const struct http_header *h = &req->headers[i];
        if (ascii_equal_nocase(h->name, h->name_len, "transfer-encoding")) {
            chunked = 1;
            continue;
        }
        if (!ascii_equal_nocase(h->name, h->name_len, "content-length")) continue;
        if (h->value_len == 0) return -1;
        for (size_t k = 0; k < h->value_len; k++)
            if (h->value[k] < '0' || h->value[k] > '9') return -1;
        if (length && !same_number(length, h)) return -1;
        length = h;
    }
    if (chunked && length) return -1;
    if (chunked) { req->error = 501; return -1; }
    req->error = 0;
    if (!length) return 0;
    size_t n = 0;
    for (size_t k = 0; k < length->value_len; k++) {
        n = n * 10 + (size_t)(length->value[k] - '0');
        if (n > HTTP_MAX_BODY) { req->error = 413; return -1; }
    }
    req->content_length = n;
    return 0;
}

/* RFC 9112 §9.3: HTTP/1.1 stays open unless "close" is sent; HTTP/1.0 only
 * with "keep-alive" (RFC 9112 §C.2.2). */
static void decide_keep_alive(struct http_request *req)
{
    if (http_header_has_token(req, "connection", "close"))
        req->keep_alive = 0;
    else if (req->version_minor == 1)
        req->keep_alive = 1;
    else
        req->keep_alive = http_header_has_token(req, "connection", "keep-alive");
}

/* ==== The parser ==== */

/* Clear what a call fills in (not the headers array: header_count says how
 * much of it counts, and clearing 2 KiB per call would be wasted work). */
static void request_reset(struct http_request *req)
{
    req->method = req->target = req->path = req->query = NULL;
    req->method_len = req->target_len = req->path_len = req->query_len = 0;
    req->version_minor = 0;
    req->header_count = 0;
    req->content_length = 0;
    req->keep_alive = 0;
    req->error = 0;
}

/* RFC 9112 §2.2: skip empty lines before the request line. */
static int skip_empty_lines(struct cursor *c)
{
    for (;;) {
        if (c->p == c->end) return -2;
        if (*c->p != '\r' && *c->p != '\n') return 0;
        int r = take_line_end(&c->p, c->end);
        if (r == -2) return -2;
        if (r == -1) return fail(c, 400);     /* bare CR */
    }
}

int http_parse_request(const char *data, size_t len, struct http_request *req)
{
    request_reset(req);
    struct cursor c = { data, data + (len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD), req };
    int r = skip_empty_lines(&c);
    if (r == 0) r = parse_request_line(&c);
    if (r == 0) r = parse_fields(&c);
    if (r == -2 && len > HTTP_MAX_HEAD) {
        /* The window is full and the head has not ended: RFC 6585 §5. */
        req->error = 431;
        return -1;
    }
    if (r != 0) return r;
    if (check_host(req) != 0 || check_framing(req) != 0) return -1;
    decide_keep_alive(req);
    return (int)(c.p - data);
}

/* ==== Field and query helpers ==== */

const struct http_header *http_header_get(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (ascii_equal_nocase(req->headers[i].name, req->headers[i].name_len, name))
            return &req->headers[i];
    return NULL;
}

/* 1 when the list v[0..n) = #element (RFC 9110 §5.6.1) holds token. */
static int list_has_token(const char *v, size_t n, const char *token)
{
    const char *end = v + n;
    while (v < end) {
        const char *comma = memchr(v, ',', (size_t)(end - v));
        const char *stop = comma ? comma : end;
        const char *a = v, *b = stop;
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        if (ascii_equal_nocase(a, (size_t)(b - a), token)) return 1;
        v = comma ? comma + 1 : end;
    }
    return 0;
}

int http_header_has_token(const struct http_request *req, const char *name, const char *token)
{
    for (size_t i = 0; i < req->header_count; i++) {
        const struct http_header *h = &req->headers[i];
        if (ascii_equal_nocase(h->name, h->name_len, name)
            && list_has_token(h->value, h->value_len, token))
            return 1;
    }
    return 0;
}

int http_header_count(const struct http_request *req, const char *name,
                      const struct http_header **last)
{
    int count = 0;
    for (size_t i = 0; i < req->header_count; i++) {
        if (ascii_equal_nocase(req->headers[i].name, req->headers[i].name_len, name)) {
            count++;
            *last = &req->headers[i];
        }
    }
    return count;
}

/* The end of the element that starts at p: the next comma that is not
 * inside a quoted string (RFC 9110 §5.6.4: "\" escapes one byte there). */
static const char *element_end(const char *p, const char *end)
{
    int quoted = 0;
    for (; p < end; p++) {
        if (quoted && *p == '\\' && p + 1 < end) p++;
        else if (*p == '"') quoted = !quoted;
        else if (*p == ',' && !quoted) break;
    }
    return p;
}

int http_list_next(const char **p, const char *end, const char **elem, size_t *elem_len)
{
    while (*p < end) {
        const char *a = *p, *b = element_end(a, end);
        *p = b < end ? b + 1 : end;
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        if (a < b) {                      /* §5.6.1: empty elements do not count */
            *elem = a;
            *elem_len = (size_t)(b - a);
            return 1;
        }
    }
    return 0;
}

int http_query_get(const char *query, size_t query_len, const char *key,
                   const char **value, size_t *value_len)
{
    const char *p = query, *end = query ? query + query_len : NULL;
    size_t key_len = strlen(key);
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *name_end = eq ? eq : stop;
        if ((size_t)(name_end - p) == key_len && memcmp(p, key, key_len) == 0) {
            *value = eq ? eq + 1 : stop;
            *value_len = (size_t)(stop - *value);
            return 1;
        }
        p = amp ? amp + 1 : end;
    }
    return 0;
}

int http_parse_uint(const char *s, size_t len, uint64_t *out)
{
    uint64_t n = 0;
    if (len == 0) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned digit = (unsigned)(s[i] - '0');
        if (n > (UINT64_MAX - digit) / 10) return -1;   /* n * 10 + digit would wrap */
        n = n * 10 + digit;
    }
    *out = n;
    return 0;
}

/* ==== The response writer ==== */

/* An append-only view of out[0..cap) that remembers running out of room,
 * so the writer can put every piece and check once at the end. */
struct writer {
    char *out;
    size_t cap;
    size_t len;
    int full;
};

static void put(struct writer *w, const char *s, size_t n)
{
    if (w->full || n > w->cap - w->len) {
        w->full = 1;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

static void put_str(struct writer *w, const char *s)
{
    put(w, s, strlen(s));
}

/* A string literal: its length is known when compiling, no strlen. */
#define PUT_LITERAL(w, literal) put((w), (literal), sizeof(literal) - 1)

static void put_uint(struct writer *w, unsigned long long n)
{
    char digits[20];
    size_t i = sizeof digits;
    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    put(w, digits + i, sizeof digits - i);
}

int http_write_response_head(char *out, size_t cap, const struct http_response *r)
{
    struct writer w = { out, cap, 0, 0 };
    PUT_LITERAL(&w, "HTTP/1.1 ");
    put_uint(&w, (unsigned)r->status);
    PUT_LITERAL(&w, " ");
    put_str(&w, http_reason(r->status));
    PUT_LITERAL(&w, "\r\nServer: rtlab\r\n");
    if (r->date) {
        PUT_LITERAL(&w, "Date: ");
        put_str(&w, r->date);
        PUT_LITERAL(&w, "\r\n");
    }
    if (r->content_type) {
        PUT_LITERAL(&w, "Content-Type: ");
        put_str(&w, r->content_type);
        PUT_LITERAL(&w, "\r\n");
    }
    if (r->content_length >= 0) {
        PUT_LITERAL(&w, "Content-Length: ");
        put_uint(&w, (unsigned long long)r->content_length);
        PUT_LITERAL(&w, "\r\n");
    }
    /* The Connection field (RFC 9110 §7.6.1). (A 101 would name "Upgrade"
     * here; websocket/websocket.c writes its 101 head itself.) */
    PUT_LITERAL(&w, "Access-Control-Allow-Origin: *\r\nConnection: ");
    put_str(&w, r->keep_alive ? "keep-alive" : "close");
    PUT_LITERAL(&w, "\r\n");
    if (r->extra) put_str(&w, r->extra);
    PUT_LITERAL(&w, "\r\n");
    return w.full ? -2 : (int)w.len;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 421: return "Misdirected Request";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default:  return "Unknown";
    }
}
