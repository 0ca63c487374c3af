/*
 * bench/wire.h — what loadgen reads from and writes to the wire, as pure
 * functions: no sockets, no allocation, no globals. So that bench/test_wire.c
 * can check every parser byte by byte, and a miscounted delivery is a failed
 * unit test rather than a wrong chart.
 *
 * Parsers follow the project's convention: > 0 bytes consumed, -1 protocol
 * error, -2 need more bytes.
 *
 * Interface:
 *   wire_make_payload    "seq=N t=NS pad=xxx..." of a given size
 *   wire_payload_parse   ... and back: is it ours, which seq, scheduled when
 *   wire_json_string_len the length of a JSON string's body (escapes skipped)
 *   wire_parse_head      an HTTP/1.1 response head: status, length, chunked
 *   wire_dechunk         HTTP/1.1 chunked coding, decoded in place, resumable
 *   wire_sse_next        one Server-Sent Event (HTML §9.2.6 field lines)
 *   wire_ws_frame        one RFC 6455 frame from a server (never masked)
 *   wire_baseline_frame  one 4-byte-length frame of bench/baseline.c
 */
#ifndef RTLAB_WIRE_H
#define RTLAB_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum { WIRE_ERROR = -1, WIRE_MORE = -2 };

/* Write the payload of event `seq` scheduled at `scheduled` ns into out:
 * "seq=<seq> t=<scheduled> pad=" then 'x' up to `size` bytes (longer when
 * size is too small for the header), NUL-terminated. Needs no escaping in
 * JSON, SSE or WebSocket. Returns its length (< cap). */
size_t wire_make_payload(char *out, size_t cap, size_t size, uint64_t seq, uint64_t scheduled);
/* Is data[0..len) a loadgen payload? 1 with *seq and *scheduled set, or 0. */
int wire_payload_parse(const char *data, size_t len, uint64_t *seq, uint64_t *scheduled);

/* p points just after a JSON string's opening quote: the length of its body,
 * up to the closing quote (backslash escapes skipped) or end. */
size_t wire_json_string_len(const char *p, const char *end);

struct wire_head {
    int status;                 /* 200, 101, ... (0 when the status line is not HTTP/1.x) */
    long long content_length;   /* -1 when absent */
    int chunked;                /* Transfer-Encoding: chunked */
};
/* A response head at p[0..n): its length through the empty line (CRLF
 * CRLF), or WIRE_MORE. Header names are matched case-insensitively. */
long wire_parse_head(const char *p, size_t n, struct wire_head *h);

/* The chunk decoder's state between calls; zero it to start. */
struct wire_dechunk {
    int state;
    uint64_t left;              /* bytes left in the chunk, or its size being read */
};
/* Decode chunked bytes p[0..n) in place: the payload bytes are moved to the
 * front. Returns how many there are (>= 0), or WIRE_ERROR on a malformed
 * chunk header or bytes after the last chunk. A chunk may be cut anywhere
 * between calls. */
long wire_dechunk(struct wire_dechunk *d, char *p, size_t n);

struct wire_sse_event {
    const char *data;           /* the (last) data field's value, or NULL; points into p */
    size_t data_len;
    uint64_t id;                /* the id field, when has_id */
    int has_id;
    int gap;                    /* "event: gap" */
};
/* The first complete event (ended by an empty line) in p[0..n): bytes
 * consumed, with *ev filled, or WIRE_MORE. Comments (": keep-alive"),
 * retry: and unknown fields are consumed and ignored; an "event" that is
 * only comments comes back with data NULL. Lines end in LF or CRLF. */
long wire_sse_next(const char *p, size_t n, struct wire_sse_event *ev);

struct wire_ws_frame {
    int fin;
    int opcode;                 /* 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong, 0x0 continuation */
    const char *payload;        /* points into p */
    uint64_t len;
};
/* One server frame at p[0..n): its total length, WIRE_MORE, or WIRE_ERROR
 * (a masked frame: RFC 6455 §5.1 forbids it from a server; or a payload
 * over max_len). */
long wire_ws_frame(const char *p, size_t n, uint64_t max_len, struct wire_ws_frame *f);

/* One baseline frame at p[0..n): its total length (4 + payload), WIRE_MORE,
 * or WIRE_ERROR (over max_len); *payload and *len set. */
long wire_baseline_frame(const char *p, size_t n, uint32_t max_len, const char **payload, uint32_t *len);

/* Find needle in p[0..n); NULL when absent. */
const char *wire_find(const char *p, size_t n, const char *needle);
/* The decimal number at p (digits before end; 0 when there are none).
 * *after, when not NULL, is set just past its last digit. */
uint64_t wire_parse_u64(const char *p, const char *end, const char **after);

#endif
