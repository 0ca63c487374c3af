/*
 * bench/test_wire.c — loadgen's parsers (bench/wire.h), byte by byte.
 *
 * If one of these miscounted, every chart would be wrong without a sound:
 * a delivery missed by the SSE parser looks like a lost event, one parsed
 * twice like a duplicate. So each parser is fed whole messages, messages cut
 * at every byte (must answer "need more", never a wrong result), and hostile
 * bytes (must answer "error", never read past the end).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* ==== Payloads ==== */

/* A payload has exactly the asked size (or its header's, if longer), pads
 * with 'x' only, and parses back to the same seq and scheduled time. */
START_TEST(payload_round_trip)
{
    static const size_t sizes[] = { 0, 10, 40, 64, 1000, 4096 };
    static const uint64_t seqs[] = { 0, 1, 12345, UINT64_MAX };
    char buf[8192];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t j = 0; j < sizeof seqs / sizeof seqs[0]; j++) {
            uint64_t t = 81234567890123ULL + j;
            size_t len = wire_make_payload(buf, sizeof buf, sizes[i], seqs[j], t);
            char header[64];
            size_t hlen = (size_t)snprintf(header, sizeof header, "seq=%llu t=%llu pad=",
                                           (unsigned long long)seqs[j], (unsigned long long)t);
            ck_assert_uint_eq(len, sizes[i] > hlen ? sizes[i] : hlen);
            ck_assert_uint_eq(strlen(buf), len);
            ck_assert(memcmp(buf, header, hlen) == 0);
            for (size_t k = hlen; k < len; k++)
                ck_assert_int_eq(buf[k], 'x');
            uint64_t seq = 7, sched = 7;
            ck_assert_int_eq(wire_payload_parse(buf, len, &seq, &sched), 1);
            ck_assert_uint_eq(seq, seqs[j]);
            ck_assert_uint_eq(sched, t);
        }
    }
}
END_TEST

/* A payload never overflows a small buffer: it is cut, NUL-terminated. */
START_TEST(payload_respects_capacity)
{
    char buf[16];
    memset(buf, '#', sizeof buf);
    size_t len = wire_make_payload(buf, sizeof buf, 1000, 1, 2);
    ck_assert_uint_lt(len, sizeof buf);
    ck_assert_int_eq(buf[len], 0);
}
END_TEST

/* Data that is not a loadgen payload (a ticker's clock, a chat line, a
 * header cut short) is refused, so it is counted as foreign, not timed. */
START_TEST(payload_rejects_foreign_data)
{
    static const char *const foreign[] = {
        "", "hello", "seq=", "seq=abc t=1", "seq=5", "seq=5 t=", "seq=5 x=9", "SEQ=5 t=9",
        "2026-11-24T09:00:00Z",
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        uint64_t seq, t;
        ck_assert_msg(wire_payload_parse(foreign[i], strlen(foreign[i]), &seq, &t) == 0,
                      "accepted \"%s\"", foreign[i]);
    }
}
END_TEST

/* The JSON payload has exactly the asked size (when it is above its head),
 * is one object of items, and parses back, as published and escaped inside
 * a JSON string (how our poll answers and WebSocket frames carry it). */
START_TEST(json_payload_round_trip)
{
    static const size_t sizes[] = { 0, 16, 64, 200, 2048, 8000 };
    static const uint64_t seqs[] = { 1, 12345, UINT64_MAX };
    char buf[8192], esc[16384];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t j = 0; j < sizeof seqs / sizeof seqs[0]; j++) {
            uint64_t t = 81234567890123ULL + j;
            size_t len = wire_make_json_payload(buf, sizeof buf, sizes[i], seqs[j], t);
            char head[128];
            int hlen = snprintf(head, sizeof head, "{\"seq\":%llu,\"t\":%llu,\"type\":\"quotes\",\"items\":[",
                                (unsigned long long)seqs[j], (unsigned long long)t);
            ck_assert_uint_eq(strlen(buf), len);
            ck_assert(memcmp(buf, head, (size_t)hlen) == 0);
            ck_assert_uint_eq(len, sizes[i] > (size_t)hlen + 2 ? sizes[i] : (size_t)hlen + 2);
            ck_assert_int_eq(buf[len - 1], '}');
            if (sizes[i] >= 2048)
                ck_assert(strstr(buf, "\"venue\":\"") != NULL);
            uint64_t seq = 7, sched = 7;
            ck_assert_int_eq(wire_payload_parse(buf, len, &seq, &sched), 1);
            ck_assert_uint_eq(seq, seqs[j]);
            ck_assert_uint_eq(sched, t);
            size_t e = 0;
            for (size_t k = 0; k < len; k++) {
                if (buf[k] == '"')
                    esc[e++] = '\\';
                esc[e++] = buf[k];
            }
            seq = sched = 7;
            ck_assert_int_eq(wire_payload_parse(esc, e, &seq, &sched), 1);
            ck_assert_uint_eq(seq, seqs[j]);
            ck_assert_uint_eq(sched, t);
        }
    }
    /* cut short, or not ours */
    static const char *const foreign[] = { "{", "{\"seq\":", "{\"seq\":5", "{\"seq\":5,\"t\":",
                                           "{\"seq\":5,\"x\":9}", "{\\\"seq\\\":5,\\\"t\\\":}", "{\"id\":1}" };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        uint64_t seq, t;
        ck_assert_msg(wire_payload_parse(foreign[i], strlen(foreign[i]), &seq, &t) == 0,
                      "accepted \"%s\"", foreign[i]);
    }
    char small[40];
    size_t len = wire_make_json_payload(small, sizeof small, 2048, 1, 2);
    ck_assert_uint_lt(len, sizeof small);
    ck_assert_int_eq(small[len], 0);
}
END_TEST

/* A JSON string's body ends at the first unescaped quote. */
START_TEST(json_string_skips_escapes)
{
    static const struct { const char *in; size_t want; } cases[] = {
        { "abc\"rest", 3 },
        { "a\\\"b\"rest", 4 },          /* a \" b */
        { "a\\\\\"rest", 3 },           /* a \\ then the closing quote */
        { "no end", 6 },
        { "\"", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = cases[i].in;
        ck_assert_uint_eq(wire_json_string_len(p, p + strlen(p)), cases[i].want);
    }
}
END_TEST

/* ==== HTTP heads ==== */

static const char head_200[] =
    "HTTP/1.1 200 OK\r\nServer: rtlab\r\ncontent-LENGTH:  42\r\nConnection: keep-alive\r\n\r\nBODY";

/* A complete head: its length, the status, Content-Length in any case. */
START_TEST(head_is_parsed)
{
    struct wire_head h;
    long n = wire_parse_head(head_200, sizeof head_200 - 1, &h);
    ck_assert_int_eq(n, (long)(sizeof head_200 - 1 - 4));
    ck_assert_int_eq(h.status, 200);
    ck_assert_int_eq(h.content_length, 42);
    ck_assert_int_eq(h.chunked, 0);

    static const char upgrade[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    ck_assert_int_eq(wire_parse_head(upgrade, sizeof upgrade - 1, &h), (long)sizeof upgrade - 1);
    ck_assert_int_eq(h.status, 101);
    ck_assert_int_eq(h.content_length, -1);

    static const char stream[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    ck_assert_int_eq(wire_parse_head(stream, sizeof stream - 1, &h), (long)sizeof stream - 1);
    ck_assert_int_eq(h.chunked, 1);
}
END_TEST

/* A head cut anywhere before its empty line needs more bytes. */
START_TEST(head_cut_anywhere_needs_more)
{
    size_t full = sizeof head_200 - 1 - 4;     /* without "BODY" */
    for (size_t cut = 0; cut < full; cut++) {
        struct wire_head h;
        ck_assert_msg(wire_parse_head(head_200, cut, &h) == WIRE_MORE, "cut at %zu", cut);
    }
}
END_TEST

/* ==== Chunked transfer coding ==== */

static const char chunked[] = "5\r\nhello\r\n6;name=value\r\n world\r\nA\r\n and more!\r\n0\r\n\r\n";
static const char unchunked[] = "hello world and more!";

/* Decode `in` given in pieces cut at the offsets of `cuts` (then the rest). */
static void decode_in_pieces(const size_t *cuts, size_t ncuts, char *out, size_t *out_len)
{
    struct wire_dechunk d = { 0 };
    char buf[sizeof chunked];
    size_t from = 0;
    *out_len = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : sizeof chunked - 1;
        memcpy(buf, chunked + from, to - from);
        long n = wire_dechunk(&d, buf, to - from);
        ck_assert_msg(n >= 0, "error on piece %zu..%zu", from, to);
        memcpy(out + *out_len, buf, (size_t)n);
        *out_len += (size_t)n;
        from = to;
    }
}

/* The whole stream decodes to its payload, in one piece, cut at any one
 * byte, and one byte at a time. */
START_TEST(dechunk_every_split)
{
    char out[sizeof chunked];
    size_t len;
    decode_in_pieces(NULL, 0, out, &len);
    ck_assert_uint_eq(len, strlen(unchunked));
    ck_assert(memcmp(out, unchunked, len) == 0);
    for (size_t cut = 0; cut <= sizeof chunked - 1; cut++) {
        decode_in_pieces(&cut, 1, out, &len);
        ck_assert_msg(len == strlen(unchunked) && memcmp(out, unchunked, len) == 0, "cut at %zu", cut);
    }
    size_t every[sizeof chunked];
    for (size_t i = 0; i < sizeof chunked - 1; i++)
        every[i] = i;
    decode_in_pieces(every, sizeof chunked - 1, out, &len);
    ck_assert(len == strlen(unchunked) && memcmp(out, unchunked, len) == 0);
}
END_TEST

/* The end of the body is reported (d.done) once the last chunk and the
 * empty line after it are in, and not one byte before: cut anywhere, and
 * with trailer fields between them. A proxy that keeps the connection
 * open after a stream ends sends exactly this, and nothing after it; a
 * client that missed it would wait on a stream that is over. */
START_TEST(dechunk_reports_the_end)
{
    static const char *const streams[] = {
        chunked,
        "3\r\nabc\r\n0\r\n\r\n",
        "3\nabc\n0\n\n",                         /* bare LFs */
        "3\r\nabc\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n",
    };
    for (size_t s = 0; s < sizeof streams / sizeof streams[0]; s++) {
        size_t len = strlen(streams[s]);
        for (size_t cut = 0; cut <= len; cut++) {
            struct wire_dechunk d = { 0 };
            char buf[sizeof chunked];
            memcpy(buf, streams[s], len);
            ck_assert(wire_dechunk(&d, buf, cut) >= 0);
            ck_assert_msg(d.done == (cut == len), "stream %zu cut at %zu: done %d", s, cut, d.done);
            ck_assert(wire_dechunk(&d, buf + cut, len - cut) >= 0);
            ck_assert_msg(d.done, "stream %zu cut at %zu: the end not seen", s, cut);
        }
    }
    struct wire_dechunk d = { 0 };
    char open_chunk[] = "5\r\nhello\r\n";              /* a stream still going */
    ck_assert_int_eq(wire_dechunk(&d, open_chunk, sizeof open_chunk - 1), 5);
    ck_assert_int_eq(d.done, 0);
}
END_TEST

/* Malformed chunk framing is an error, not garbage passed on. */
START_TEST(dechunk_refuses_bad_framing)
{
    static const char *const bad[] = {
        "zz\r\nhello\r\n",             /* not hex */
        "5\r\nhelloXX",                 /* no CRLF after the data */
        "5\rX",                         /* CR not followed by LF */
        "0\r\n\r\nmore",                /* bytes after the last chunk */
        "FFFFFFFFFFFFFFFFFF\r\n",       /* a size that overflows */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct wire_dechunk d = { 0 };
        char buf[64];
        size_t n = strlen(bad[i]);
        memcpy(buf, bad[i], n);
        ck_assert_msg(wire_dechunk(&d, buf, n) == WIRE_ERROR, "accepted \"%s\"", bad[i]);
    }
}
END_TEST

/* ==== Server-Sent Events ==== */

/* What a server sends: retry first, a comment, events with ids, a gap. */
static const char sse_stream[] =
    "retry: 3000\n\n"
    ": keep-alive\n\n"
    "id: 7\ndata: seq=1 t=2 pad=x\n\n"
    "id: 8\r\ndata: seq=2 t=3 pad=\r\n\r\n"
    "event: gap\nid: 20\ndata: {\"missed\":12}\n\n"
    "id:21\ndata:seq=3 t=4\n\n";

/* Parse every event of p[0..n); fill ids/data/gaps; return how many and
 * the bytes consumed. */
static int sse_all(const char *p, size_t n, size_t *used, uint64_t ids[], char data[][32], int gaps[])
{
    int count = 0;
    *used = 0;
    for (int guard = 0; guard < 100; guard++) {
        struct wire_sse_event ev;
        long len = wire_sse_next(p + *used, n - *used, &ev);
        if (len == WIRE_MORE)
            break;
        ck_assert_int_gt(len, 0);
        *used += (size_t)len;
        ids[count] = ev.has_id ? ev.id : 0;
        gaps[count] = ev.gap;
        snprintf(data[count], 32, "%.*s", ev.data ? (int)ev.data_len : 4, ev.data ? ev.data : "NULL");
        count++;
    }
    return count;
}

/* Every event in order: ids, data (the space after the colon dropped, CRLF
 * lines too), the gap flagged; retry and comments are events with no data. */
START_TEST(sse_events_in_order)
{
    uint64_t ids[16];
    char data[16][32];
    int gaps[16];
    size_t used;
    int n = sse_all(sse_stream, sizeof sse_stream - 1, &used, ids, data, gaps);
    ck_assert_int_eq(n, 6);
    ck_assert_uint_eq(used, sizeof sse_stream - 1);
    ck_assert_str_eq(data[0], "NULL");
    ck_assert_str_eq(data[1], "NULL");
    ck_assert_uint_eq(ids[2], 7);
    ck_assert_str_eq(data[2], "seq=1 t=2 pad=x");
    ck_assert_uint_eq(ids[3], 8);
    ck_assert_str_eq(data[3], "seq=2 t=3 pad=");
    ck_assert_int_eq(gaps[4], 1);
    ck_assert_uint_eq(ids[4], 20);
    ck_assert_int_eq(gaps[5], 0);
    ck_assert_uint_eq(ids[5], 21);
    ck_assert_str_eq(data[5], "seq=3 t=4");
}
END_TEST

/* Cut anywhere, the stream yields only the events wholly before the cut:
 * never a half event, never one twice. */
START_TEST(sse_cut_anywhere)
{
    uint64_t ids[16];
    char data[16][32];
    int gaps[16];
    size_t all_used;
    int all = sse_all(sse_stream, sizeof sse_stream - 1, &all_used, ids, data, gaps);
    for (size_t cut = 0; cut < sizeof sse_stream - 1; cut++) {
        size_t used;
        int n = sse_all(sse_stream, cut, &used, ids, data, gaps);
        ck_assert_int_lt(n, all);
        ck_assert_uint_le(used, cut);
        /* the rest, from where it stopped, gives the remaining events */
        size_t used2;
        int m = sse_all(sse_stream + used, sizeof sse_stream - 1 - used, &used2, ids, data, gaps);
        ck_assert_msg(n + m == all, "cut at %zu: %d + %d events, want %d", cut, n, m, all);
    }
}
END_TEST

/* ==== WebSocket frames ==== */

/* Text frames with a 7-bit, a 16-bit and a 64-bit length (RFC 6455 §5.2),
 * and a ping. */
START_TEST(ws_frames_of_every_length)
{
    static const size_t lens[] = { 0, 5, 125, 126, 200, 65535, 65536, 70000 };
    static char frame[70000 + 10];
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t len = lens[i], head;
        frame[0] = (char)0x81;
        if (len < 126) {
            frame[1] = (char)len;
            head = 2;
        } else if (len < 65536) {
            frame[1] = 126;
            frame[2] = (char)(len >> 8);
            frame[3] = (char)len;
            head = 4;
        } else {
            frame[1] = 127;
            for (int k = 0; k < 8; k++)
                frame[2 + k] = (char)((uint64_t)len >> (56 - 8 * k));
            head = 10;
        }
        memset(frame + head, 'a', len);
        struct wire_ws_frame f;
        ck_assert_int_eq(wire_ws_frame(frame, head + len, 1 << 20, &f), (long)(head + len));
        ck_assert_int_eq(f.opcode, 1);
        ck_assert_int_eq(f.fin, 1);
        ck_assert_int_eq(f.rsv1, 0);
        ck_assert_uint_eq(f.len, len);
        ck_assert_ptr_eq(f.payload, frame + head);
        /* cut anywhere: need more */
        for (size_t cut = 0; cut < head + len; cut += (len > 300 ? 997 : 1))
            ck_assert_int_eq(wire_ws_frame(frame, cut, 1 << 20, &f), WIRE_MORE);
    }
    static const char ping[] = "\x89\x04ping";
    struct wire_ws_frame f;
    ck_assert_int_eq(wire_ws_frame(ping, 6, 125, &f), 6);
    ck_assert_int_eq(f.opcode, 9);
    /* RFC 7692 §7.2.3.1's compressed "Hello": RSV1 set, text. */
    static const char hello[] = "\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00";
    ck_assert_int_eq(wire_ws_frame(hello, sizeof hello - 1, 125, &f), 9);
    ck_assert_int_eq(f.rsv1, 1);
    ck_assert_int_eq(f.opcode, 1);
    ck_assert_int_eq(f.fin, 1);
}
END_TEST

/* A masked frame from a server (§5.1) or one over the limit is an error. */
START_TEST(ws_refuses_masked_and_oversized)
{
    static const char masked[] = "\x81\x85\x01\x02\x03\x04hello";
    struct wire_ws_frame f;
    ck_assert_int_eq(wire_ws_frame(masked, sizeof masked - 1, 1000, &f), WIRE_ERROR);
    static const char big[] = "\x81\x7f\x00\x00\x00\x01\x00\x00\x00\x00";
    ck_assert_int_eq(wire_ws_frame(big, sizeof big - 1, 1 << 20, &f), WIRE_ERROR);
}
END_TEST

/* ==== Baseline frames ==== */

/* Length-prefixed frames: whole, cut, and over the limit. */
START_TEST(baseline_frames)
{
    static const char two[] = "\0\0\0\2OK\0\0\0\5hello";
    const char *payload;
    uint32_t len;
    ck_assert_int_eq(wire_baseline_frame(two, sizeof two - 1, 100, &payload, &len), 6);
    ck_assert_uint_eq(len, 2);
    ck_assert(memcmp(payload, "OK", 2) == 0);
    ck_assert_int_eq(wire_baseline_frame(two + 6, sizeof two - 1 - 6, 100, &payload, &len), 9);
    ck_assert(memcmp(payload, "hello", 5) == 0);
    for (size_t cut = 0; cut < 6; cut++)
        ck_assert_int_eq(wire_baseline_frame(two, cut, 100, &payload, &len), WIRE_MORE);
    static const char huge[] = "\x7f\0\0\0";
    ck_assert_int_eq(wire_baseline_frame(huge, 4, 1 << 20, &payload, &len), WIRE_ERROR);
}
END_TEST

/* ==== Nchan's wire: headers, dates, message ids ==== */

/* A header is found whatever its case, with blanks and CR trimmed; a name
 * that is only a prefix of another header's name is not a match. */
START_TEST(header_values)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nLast-Modified-X: no\r\nlast-modified:  "
                               "Tue, 01 Dec 2026 18:38:50 GMT \r\nEtag: 17\r\n\r\n";
    size_t len = 0;
    const char *v = wire_header(head, sizeof head - 1, "Last-Modified", &len);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(len, 29);
    ck_assert(memcmp(v, "Tue, 01 Dec 2026 18:38:50 GMT", 29) == 0);
    v = wire_header(head, sizeof head - 1, "ETAG", &len);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(len, 2);
    ck_assert(memcmp(v, "17", 2) == 0);
    ck_assert_ptr_null(wire_header(head, sizeof head - 1, "Content-Length", &len));
}
END_TEST

/* IMF-fixdate (RFC 9110 §5.6.7) both ways: known instants, and a round
 * trip over many seconds across years, leap days and month ends. */
START_TEST(http_dates)
{
    char buf[64];
    ck_assert_int_eq(wire_parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT", 29), 0);
    ck_assert_int_eq(wire_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", 29), 784111777);
    ck_assert_int_eq(wire_parse_http_date("Tue, 01 Dec 2026 18:38:50 GMT", 29), 1796150330);
    ck_assert_int_eq(wire_parse_http_date("Tue, 01 Foo 2026 18:38:50 GMT", 29), -1);
    ck_assert_int_eq(wire_parse_http_date("yesterday", 9), -1);
    wire_http_date(buf, sizeof buf, 784111777);
    ck_assert_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
    for (int64_t t = 0; t < 4102444800LL; t += 86400 * 37 + 3607) {
        wire_http_date(buf, sizeof buf, t);
        ck_assert_int_eq(wire_parse_http_date(buf, strlen(buf)), t);
    }
}
END_TEST

/* "TIME:TAG" becomes TIME << 24 | TAG; anything else is 0. */
START_TEST(nchan_ids)
{
    ck_assert_uint_eq(wire_nchan_id("1796150315:0", 12), 1796150315ULL << 24);
    ck_assert_uint_eq(wire_nchan_id("1796150315:17", 13), 1796150315ULL << 24 | 17);
    ck_assert_uint_eq(wire_nchan_id("1796150315", 10), 0);
    ck_assert_uint_eq(wire_nchan_id("1796150315:", 11), 0);
    ck_assert_uint_eq(wire_nchan_id(":5", 2), 0);
    ck_assert_uint_eq(wire_nchan_id("1:2:3", 5), 0);
    ck_assert_uint_eq(wire_nchan_id("1:99999999", 10), 0);  /* a tag over 24 bits */
}
END_TEST

/* An SSE id comes back as it was sent too, for ids that are not numbers. */
START_TEST(sse_id_text)
{
    static const char ev[] = ": hi\n\nid: 1796150315:1\ndata: x\n\n";
    struct wire_sse_event e;
    long n = wire_sse_next(ev, sizeof ev - 1, &e);
    ck_assert_int_eq(n, 6);                 /* the comment alone */
    n = wire_sse_next(ev + 6, sizeof ev - 1 - 6, &e);
    ck_assert_int_eq(n, (long)(sizeof ev - 1 - 6));
    ck_assert_int_eq(e.has_id, 1);
    ck_assert_uint_eq(e.id_len, 12);
    ck_assert(memcmp(e.id_text, "1796150315:1", 12) == 0);
    ck_assert_uint_eq(wire_nchan_id(e.id_text, e.id_len), 1796150315ULL << 24 | 1);
}
END_TEST

static Suite *wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *payload = tcase_create("payload");
    tcase_add_test(payload, payload_round_trip);
    tcase_add_test(payload, payload_respects_capacity);
    tcase_add_test(payload, payload_rejects_foreign_data);
    tcase_add_test(payload, json_string_skips_escapes);
    tcase_add_test(payload, json_payload_round_trip);
    suite_add_tcase(s, payload);
    TCase *http = tcase_create("http");
    tcase_add_test(http, head_is_parsed);
    tcase_add_test(http, head_cut_anywhere_needs_more);
    tcase_add_test(http, dechunk_every_split);
    tcase_add_test(http, dechunk_refuses_bad_framing);
    tcase_add_test(http, dechunk_reports_the_end);
    suite_add_tcase(s, http);
    TCase *sse = tcase_create("sse");
    tcase_add_test(sse, sse_events_in_order);
    tcase_add_test(sse, sse_cut_anywhere);
    suite_add_tcase(s, sse);
    TCase *frames = tcase_create("frames");
    tcase_add_test(frames, ws_frames_of_every_length);
    tcase_add_test(frames, ws_refuses_masked_and_oversized);
    tcase_add_test(frames, baseline_frames);
    TCase *nchan = tcase_create("nchan");
    tcase_add_test(nchan, header_values);
    tcase_add_test(nchan, http_dates);
    tcase_add_test(nchan, nchan_ids);
    tcase_add_test(nchan, sse_id_text);
    suite_add_tcase(s, nchan);
    suite_add_tcase(s, frames);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(wire_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
