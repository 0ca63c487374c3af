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
 *   wire_make_json_payload  the same two numbers in a JSON object of a given
 *                        size, realistic and compressible (loadgen -J)
 *   wire_payload_parse   ... and back (either form): is it ours, which seq,
 *                        scheduled when
 *   wire_json_string_len the length of a JSON string's body (escapes skipped)
 *   wire_parse_head      an HTTP/1.1 response head: status, length, chunked
 *   wire_dechunk         HTTP/1.1 chunked coding, decoded in place, resumable
 *   wire_sse_next        one Server-Sent Event (HTML §9.2.6 field lines)
 *   wire_ws_frame        one RFC 6455 frame from a server (never masked)
 *   wire_baseline_frame  one 4-byte-length frame of bench/baseline.c
 *   wire_header          one header's value in a response head
 *   wire_parse_http_date an IMF-fixdate (RFC 9110 §5.6.7) to seconds since 1970
 *   wire_http_date       ... and back
 *   wire_nchan_id        an Nchan message id "TIME:TAG" as one number
 *   wire_find, wire_parse_u64  a needle in bytes; a decimal number
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
/* The same event as a JSON object of `size` bytes (longer when size is too
 * small for its head), NUL-terminated, for measuring compression:
 *   {"seq":12,"t":81234567890,"type":"quotes","items":[{"symbol":"SYM007",
 *    "bid":101.25,"ask":101.31,"size":300,"venue":"XNAS"},...]   }
 * Items are added while they fit; blanks before the last brace make up the
 * rest. Prices and sizes vary with seq and the item, so the text repeats the
 * way real JSON does (keys, similar values), not the way filler does.
 * Returns its length (< cap). */
size_t wire_make_json_payload(char *out, size_t cap, size_t size, uint64_t seq, uint64_t scheduled);
/* Is data[0..len) a loadgen payload, of either form? The JSON form may come
 * as it was published or escaped inside a JSON string (`{\"seq\":12,...`:
 * our poll answers and WebSocket frames carry it so). 1 with *seq and
 * *scheduled set, or 0. */
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
    int done;                   /* the last chunk, trailers and empty line are in: the body is over */
};
/* Decode chunked bytes p[0..n) in place: the payload bytes are moved to the
 * front. Returns how many there are (>= 0), or WIRE_ERROR on a malformed
 * chunk header or bytes after the last chunk. A chunk may be cut anywhere
 * between calls. Once the last chunk (size 0), any trailer fields and the
 * empty line have been read, d->done is 1: a stream that ends so has
 * ended, even though the connection stays open for another request (a
 * proxy's keep-alive). */
long wire_dechunk(struct wire_dechunk *d, char *p, size_t n);

struct wire_sse_event {
    const char *data;           /* the (last) data field's value, or NULL; points into p */
    size_t data_len;
    uint64_t id;                /* the id field as a number (its leading digits), when has_id */
    const char *id_text;        /* ... and as it came (points into p) */
    size_t id_len;
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
    int rsv1;                   /* RFC 7692 §6: set on a compressed message's first frame */
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

/* The value of header `name` (matched case-insensitively, leading blanks
 * skipped) in the response head p[0..n): points into p, *len set; NULL
 * when absent. */
const char *wire_header(const char *p, size_t n, const char *name, size_t *len);

/* "Tue, 01 Dec 2026 18:38:50 GMT" → seconds since 1970 (UTC), or -1. */
int64_t wire_parse_http_date(const char *p, size_t n);
/* Seconds since 1970 → "Tue, 01 Dec 2026 18:38:50 GMT" in out (cap >= 30). */
void wire_http_date(char *out, size_t cap, int64_t t);

/* Nchan's message id "TIME:TAG" (TIME in seconds, TAG the message's number
 * within that second) as TIME << 24 | TAG, so that a client's cursor stays
 * one number; 0 when malformed. */
uint64_t wire_nchan_id(const char *p, size_t n);

/* Find needle in p[0..n); NULL when absent. */
const char *wire_find(const char *p, size_t n, const char *needle);
/* The decimal number at p (digits before end; 0 when there are none).
 * *after, when not NULL, is set just past its last digit. */
uint64_t wire_parse_u64(const char *p, const char *end, const char **after);

#endif
