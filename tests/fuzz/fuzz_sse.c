/*
 * tests/fuzz/fuzz_sse.c — libFuzzer harness for the event-stream encoder
 * (sse/sse_encode.c): whatever an event holds, what the browser reads back
 * is what was sent.
 *
 * The input is cut into an id, an event name and data (byte 0 says which
 * are present, bytes 1 and 2 how long the id and the name are). The event
 * is encoded, and the bytes are read back by a small event-stream parser
 * written here from the WHATWG HTML Standard, §9.2.5 "Parsing an event
 * stream" and §9.2.6 "Interpreting an event stream" (lines end in CRLF, LF
 * or CR; "field: value" with one optional space dropped; data lines joined
 * with LF; the empty line dispatches; an id holding NUL is ignored). A
 * failure, beside any crash or sanitizer report, is:
 *   - an event refused (-1) although its id and name hold no CR, LF or NUL,
 *     or accepted although they do;
 *   - sse_event_size differing from the bytes written, or too small a
 *     buffer answering anything but -2;
 *   - the parser reading back another number of events than one (none when
 *     there is no data), other data than the data sent with its line breaks
 *     made LF, another type, or another last event id;
 *   - a comment or retry line that the parser does not read as exactly that.
 * The parser works on bytes: the server only publishes valid UTF-8, so the
 * browser's UTF-8 decoding changes nothing there.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse_encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz_sse: " __VA_ARGS__); \
                                 fputc('\n', stderr); abort(); } } while (0)

/* ==== A WHATWG event-stream parser, for bytes ==== */

struct reader {
    char *data; size_t data_len;         /* the data buffer */
    char *type; size_t type_len;         /* the event type buffer */
    char *last_id; size_t last_id_len;   /* the last event ID buffer */
    int dispatched;                      /* events dispatched */
    char *got_data; size_t got_data_len; /* the last dispatched event */
    char *got_type; size_t got_type_len;
    long retry;                          /* the reconnection time, -1 if never set */
    int comments;                        /* comment lines seen */
    size_t cap;                          /* every buffer has this room */
};

static void reader_init(struct reader *r, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->cap = cap;
    r->data = malloc(cap); r->type = malloc(cap); r->last_id = malloc(cap);
    r->got_data = malloc(cap); r->got_type = malloc(cap);
    r->retry = -1;
}

static void reader_free(struct reader *r)
{
    free(r->data); free(r->type); free(r->last_id); free(r->got_data); free(r->got_type);
}

/* §9.2.6: the empty line. */
static void dispatch(struct reader *r)
{
    if (r->data_len == 0) {           /* nothing to dispatch: reset and return */
        r->type_len = 0;
        return;
    }
    r->data_len--;                    /* drop the last LF */
    r->dispatched++;
    memcpy(r->got_data, r->data, r->data_len);
    r->got_data_len = r->data_len;
    if (r->type_len) {
        memcpy(r->got_type, r->type, r->type_len);
        r->got_type_len = r->type_len;
    } else {
        memcpy(r->got_type, "message", 7);
        r->got_type_len = 7;
    }
    r->data_len = r->type_len = 0;
}

/* §9.2.6: one field. */
static void field(struct reader *r, const char *name, size_t name_len, const char *v, size_t n)
{
    if (name_len == 5 && memcmp(name, "event", 5) == 0) {
        memcpy(r->type, v, n);
        r->type_len = n;
    } else if (name_len == 4 && memcmp(name, "data", 4) == 0) {
        memcpy(r->data + r->data_len, v, n);
        r->data_len += n;
        r->data[r->data_len++] = '\n';
    } else if (name_len == 2 && memcmp(name, "id", 2) == 0) {
        if (!memchr(v, '\0', n)) {
            memcpy(r->last_id, v, n);
            r->last_id_len = n;
        }
    } else if (name_len == 5 && memcmp(name, "retry", 5) == 0) {
        long ms = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i] < '0' || v[i] > '9') return;
            ms = ms * 10 + (v[i] - '0');
        }
        if (n) r->retry = ms;
    }
}

/* §9.2.5/§9.2.6: one line, without its end. */
static void line(struct reader *r, const char *p, size_t n)
{
    if (n == 0) { dispatch(r); return; }
    if (p[0] == ':') { r->comments++; return; }
    const char *colon = memchr(p, ':', n);
    if (!colon) { field(r, p, n, "", 0); return; }
    const char *v = colon + 1;
    size_t vn = n - (size_t)(v - p);
    if (vn && *v == ' ') { v++; vn--; }
    field(r, p, (size_t)(colon - p), v, vn);
}

/* Feed a whole stream: split it into lines at CRLF, LF or CR. */
static void read_stream(struct reader *r, const char *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\r' && p[i] != '\n') continue;
        line(r, p + start, i - start);
        if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') i++;
        start = i + 1;
    }
    REQUIRE(start == n, "the stream ends inside a line");
}

/* ==== The round trip ==== */

static int has_break(const char *p, size_t n, int nul_too)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\r' || p[i] == '\n' || (nul_too && p[i] == '\0')) return 1;
    return 0;
}

/* data with CRLF and CR made LF: what the browser hands to the page. */
static size_t normalize(char *out, const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r') {
            out[k++] = '\n';
            if (i + 1 < n && p[i + 1] == '\n') i++;
        } else {
            out[k++] = p[i];
        }
    }
    return k;
}

static void check_event(const struct sse_event *ev, size_t in_size)
{
    int refuse = (ev->id && has_break(ev->id, ev->id_len, 1)) ||
                 (ev->event && has_break(ev->event, ev->event_len, 1));
    long need = sse_event_size(ev);
    size_t cap = 64 + 8 * in_size;               /* "data: " per line at worst */
    char *out = malloc(cap);
    long n = sse_encode_event(out, cap, ev);
    if (refuse) {
        REQUIRE(need == -1 && n == -1, "an id or name with CR, LF or NUL was encoded");
        REQUIRE(sse_encode_event(out, 0, ev) == -1, "the refusal depends on the room");
        free(out);
        return;
    }
    REQUIRE(n > 0 && n == need, "encoded %ld bytes, sse_event_size said %ld", n, need);
    REQUIRE(sse_encode_event(out, (size_t)n - 1, ev) == -2, "one byte short did not answer -2");

    struct reader r;
    reader_init(&r, cap);
    memcpy(r.last_id, "before", 6);
    r.last_id_len = 6;
    read_stream(&r, out, (size_t)n);
    if (ev->data) {
        REQUIRE(r.dispatched == 1, "%d events read back, want 1", r.dispatched);
        char *want = malloc(ev->data_len + 1);
        size_t wn = normalize(want, ev->data, ev->data_len);
        REQUIRE(r.got_data_len == wn && memcmp(r.got_data, want, wn) == 0,
                "data read back differs (%zu bytes, want %zu)", r.got_data_len, wn);
        free(want);
        const char *type = ev->event && ev->event_len ? ev->event : "message";
        size_t type_len = ev->event && ev->event_len ? ev->event_len : 7;
        REQUIRE(r.got_type_len == type_len && memcmp(r.got_type, type, type_len) == 0,
                "event type read back differs");
    } else {
        REQUIRE(r.dispatched == 0, "an event without data was dispatched");
    }
    if (ev->id)
        REQUIRE(r.last_id_len == ev->id_len && memcmp(r.last_id, ev->id, ev->id_len) == 0,
                "last event id read back differs");
    else
        REQUIRE(r.last_id_len == 6, "the last event id changed without an id line");
    REQUIRE(r.comments == 0 && r.retry == -1, "stray comment or retry line");
    reader_free(&r);
    free(out);
}

/* A comment is refused when it holds CR or LF; else it reads back as one
 * comment and nothing else. retry: MS reads back as MS. */
static void check_comment_and_retry(const uint8_t *p, size_t n)
{
    char *out = malloc(n + 8);
    long w = sse_encode_comment(out, n + 8, (const char *)p, n);
    if (has_break((const char *)p, n, 0)) {
        REQUIRE(w == -1, "a comment with a line break was encoded");
    } else {
        REQUIRE(w == (long)n + 3, "comment of %zu bytes encoded in %ld", n, w);
        REQUIRE(sse_encode_comment(out, (size_t)w - 1, (const char *)p, n) == -2, "comment: room");
        struct reader r;
        reader_init(&r, n + 8);
        read_stream(&r, out, (size_t)w);
        REQUIRE(r.comments == 1 && r.dispatched == 0 && r.data_len == 0, "comment read back wrong");
        reader_free(&r);
    }
    free(out);
    unsigned long ms = 0;
    for (size_t i = 0; i < n && i < 4; i++) ms = ms << 8 | p[i];
    char line_buf[40];
    w = sse_encode_retry(line_buf, sizeof line_buf, ms);
    REQUIRE(w > 0, "retry: %ld", w);
    struct reader r;
    reader_init(&r, sizeof line_buf);
    read_stream(&r, line_buf, (size_t)w);
    REQUIRE(r.retry == (long)ms, "retry read back as %ld, sent %lu", r.retry, ms);
    reader_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    unsigned flags = data[0];
    size_t id_len = data[1], name_len = data[2];
    size_t rest = size - 3;
    if (id_len > rest) id_len = rest;
    if (name_len > rest - id_len) name_len = rest - id_len;
    /* copies of exactly the right size, so ASan sees any overread */
    char *copy = malloc(rest ? rest : 1);
    memcpy(copy, data + 3, rest);
    struct sse_event ev = {0};
    if (flags & 1) { ev.id = copy; ev.id_len = id_len; }
    if (flags & 2) { ev.event = copy + id_len; ev.event_len = name_len; }
    if (flags & 4) { ev.data = copy + id_len + name_len; ev.data_len = rest - id_len - name_len; }
    check_event(&ev, size);
    check_comment_and_retry(data + 3, rest);
    free(copy);
    return 0;
}
