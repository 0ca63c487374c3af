/*
 * sse/sse_encode.h — the event-stream encoder: what a Server-Sent Events
 * server writes into its one long response (WHATWG HTML Standard,
 * "Server-sent events", §9.2.5 "Parsing an event stream" and §9.2.6
 * "Interpreting an event stream").
 *
 * The stream is UTF-8 text made of lines. A line is "field: value", or
 * ": comment" (ignored by the browser, so good for keep-alive), and an empty
 * line ends an event block and makes the browser dispatch it:
 *
 *   id: 42                 the browser remembers it and sends it back as
 *   event: gap             Last-Event-ID when it reconnects; event names
 *   data: first line       the type ("message" when absent); each data:
 *   data: second line      line adds one line of data
 *                          <- empty line: dispatch
 *
 * The rules this encoder keeps, and why:
 *   - a line may end in CRLF, LF or CR (§9.2.5), so data holding any of
 *     them is split into one "data:" line per line of data; CRLF counts as
 *     one line break, not two. The browser joins the lines again with LF;
 *   - an id or event name holding CR or LF would end its line early and let
 *     whoever chose it write fields of their own (an injected event): it is
 *     refused, as is NUL in an id (§9.2.6 ignores such an id, so the browser
 *     would silently keep an older one) and, to keep one rule, in a name;
 *   - a comment holding CR or LF is refused for the same reason;
 *   - the value always follows ": " (colon and one space): the parser drops
 *     exactly one space after the colon, so data that itself begins with a
 *     space keeps it.
 *
 * Every function here is pure: no allocation, no sockets, no globals. An
 * encoder writes into out[0..cap) and returns
 *   > 0  bytes written;
 *   -1   the input can never be encoded safely (checked before the room, so
 *        the answer does not depend on cap);
 *   -2   out is too small: nothing useful was written, call again with more.
 *
 * Interface:
 *   struct sse_event     the fields of one event block
 *   sse_event_size       exact bytes sse_encode_event will need
 *   sse_encode_event     one event block, ending in the empty line
 *   sse_encode_retry     "retry: MS\n"
 *   sse_encode_comment   ": text\n"
 */
#ifndef RTLAB_SSE_ENCODE_H
#define RTLAB_SSE_ENCODE_H

#include <stddef.h>

/* One event block. A NULL pointer leaves its line out. */
struct sse_event {
    const char *id;     size_t id_len;     /* "id: ..." — NULL: none */
    const char *event;  size_t event_len;  /* "event: ..." — NULL: the browser's "message" */
    const char *data;   size_t data_len;   /* "data: ..." lines — NULL: none */
};

/* Bytes sse_encode_event writes for ev, or -1 when it refuses ev. Lets a
 * caller allocate exactly what an event needs. */
long sse_event_size(const struct sse_event *ev);

/* Write ev as one event block, empty line included, into out[0..cap).
 * Data with no line break gives one data: line; empty data (data_len 0, data
 * not NULL) gives one empty "data: " line, which the browser dispatches as
 * an event with empty data. Without data the browser dispatches nothing
 * (§9.2.6: an empty data buffer ends the block silently), but still takes
 * the id. Returns bytes written, -1 (an id or name holding CR, LF or NUL) or
 * -2 (cap too small). */
long sse_encode_event(char *out, size_t cap, const struct sse_event *ev);

/* "retry: MS\n": the browser waits ms milliseconds before reconnecting
 * (§9.2.6). Returns bytes written or -2. */
long sse_encode_retry(char *out, size_t cap, unsigned long ms);

/* ": text\n", a comment line the browser ignores; text may be empty. Returns
 * bytes written, -1 (text holds CR or LF) or -2. */
long sse_encode_comment(char *out, size_t cap, const char *text, size_t len);

#endif
