/*
 * bench/lg_technique.c — what differs between the techniques, and nothing
 * else: for each technique and dialect, the request that subscribes (or
 * polls) and the parser of what the server sends back, in one table
 * (`wires`, at the end). lg_client.c's state machine calls them; every
 * delivery they find goes to lg_client_deliver, so every technique is
 * timed and counted the same way.
 *
 * The "nchan" dialect speaks Nchan's subscriber protocols (interval poll,
 * long poll, EventSource, WebSocket) at the locations
 * bench/peers/nchan_conf.sh configures; bench/peers/README.md lists how
 * they differ from ours.
 *
 * With -z the WebSocket upgrade offers permessage-deflate (RFC 7692) the
 * way Chromium does, and compressed messages are inflated before they are
 * read (ws_inflate).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "loadgen.h"

/* ==== Names ==== */

static const char *const technique_names[T_COUNT] = { "polling", "longpoll", "sse", "websocket", "baseline" };
static const char *const dialect_names[D_COUNT] = { "rtlab", "nchan" };

const char *lg_technique_name(enum technique t) { return technique_names[t]; }
const char *lg_dialect_name(enum dialect d) { return dialect_names[d]; }

int lg_technique_parse(const char *name, enum technique *t)
{
    for (int i = 0; i < T_COUNT; i++)
        if (strcmp(name, technique_names[i]) == 0) {
            *t = (enum technique)i;
            return 0;
        }
    return -1;
}

int lg_dialect_parse(const char *name, enum dialect *d)
{
    for (int i = 0; i < D_COUNT; i++)
        if (strcmp(name, dialect_names[i]) == 0) {
            *d = (enum dialect)i;
            return 0;
        }
    return -1;
}

/* ==== Requests, by technique ==== */

/* Each is a struct technique_wire's request: the bytes that (re)subscribe
 * client c, or poll, into out[0..cap); returns their length. */

static int request_poll(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return snprintf(out, cap, "GET /poll?since=%" PRIu64 " HTTP/1.1\r\nHost: %s\r\n\r\n",
                    c->cursor, lg_client_target(lg, c)->host);
}

static int request_longpoll(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return snprintf(out, cap, "GET /poll?since=%" PRIu64 "&timeout=%d HTTP/1.1\r\nHost: %s\r\n\r\n",
                    c->cursor, lg->opt.longpoll_timeout, lg_client_target(lg, c)->host);
}

static int request_sse(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return snprintf(out, cap, "GET /events?since=%" PRIu64 " HTTP/1.1\r\nHost: %s\r\n"
                    "Accept: text/event-stream\r\n\r\n", c->cursor, lg_client_target(lg, c)->host);
}

/* RFC 6455 §4.1; the key is §1.3's sample (a client may send any). */
#define WS_UPGRADE "Upgrade: websocket\r\nConnection: Upgrade\r\n" \
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

/* -z: Chromium's offer, word for word (RFC 7692 §7.1; websocket/README.md
 * shows the server's answer). */
static const char *ws_offer(const struct loadgen *lg)
{
    return lg->opt.deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "";
}

static int request_ws(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return snprintf(out, cap, "GET /ws?since=%" PRIu64 " HTTP/1.1\r\nHost: %s\r\n" WS_UPGRADE "%s\r\n",
                    c->cursor, lg_client_target(lg, c)->host, ws_offer(lg));
}

static int request_baseline(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    (void)lg;
    (void)c;
    if (cap < 7)
        return 0;
    memcpy(out, "\0\0\0\3SUB", 7);
    return 7;
}

/* Nchan's polls walk the channel's buffer with HTTP caching headers: the
 * previous answer's Last-Modified and Etag come back as If-Modified-Since
 * and If-None-Match. Without them, the location's first-message rule
 * decides (bench/peers/run.sh: the newest message, so the first poll
 * answers at once with the warm-up event). */
static int request_nchan_poll_at(const struct loadgen *lg, const struct client *c, const char *path,
                                 char *out, size_t cap)
{
    const char *host = lg_client_target(lg, c)->host;
    if (c->cursor == 0)
        return snprintf(out, cap, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host);
    char date[64];
    wire_http_date(date, sizeof date, (int64_t)(c->cursor >> 24));
    return snprintf(out, cap, "GET %s HTTP/1.1\r\nHost: %s\r\nIf-Modified-Since: %s\r\n"
                    "If-None-Match: %" PRIu64 "\r\n\r\n", path, host, date, c->cursor & 0xffffff);
}

static int request_nchan_poll(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return request_nchan_poll_at(lg, c, "/sub/poll", out, cap);
}

static int request_nchan_longpoll(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return request_nchan_poll_at(lg, c, "/sub/longpoll", out, cap);
}

/* Nchan's EventSource resumes from Last-Event-ID, as a browser does. */
static int request_nchan_sse(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    char resume[64] = "";
    if (c->cursor)
        snprintf(resume, sizeof resume, "Last-Event-ID: %" PRIu64 ":%" PRIu64 "\r\n",
                 c->cursor >> 24, c->cursor & 0xffffff);
    return snprintf(out, cap, "GET /sub/events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n%s\r\n",
                    lg_client_target(lg, c)->host, resume);
}

/* Nchan's WebSocket frames carry the message alone, no id: a reconnect
 * starts at the newest message (what was missed is counted as lost). */
static int request_nchan_ws(const struct loadgen *lg, const struct client *c, char *out, size_t cap)
{
    return snprintf(out, cap, "GET /sub/ws HTTP/1.1\r\nHost: %s\r\n" WS_UPGRADE "%s\r\n",
                    lg_client_target(lg, c)->host, ws_offer(lg));
}

/* ==== Parsers, by technique ==== */

/* Each is a struct technique_wire's parse (loadgen.h says what it gets and
 * returns). */

/* A poll answer's body: {"next":M,["gap":true,]"events":[{"id":..,"data":".."},..]}. */
static void poll_body(struct loadgen *lg, struct client *c, const char *body, size_t len, uint64_t at)
{
    const char *end = body + len, *p = wire_find(body, len, "\"next\":");
    if (p)
        c->cursor = wire_parse_u64(p + 7, end, NULL);
    if (wire_find(body, len, "\"gap\":true"))
        lg->gaps++;
    int events = 0;
    p = body;
    while ((p = wire_find(p, (size_t)(end - p), "\"data\":\""))) {
        p += 8;
        size_t n = wire_json_string_len(p, end);
        lg_client_deliver(lg, c, p, n, at);
        p += n;
        events++;
    }
    if (events == 0)
        lg->empty_polls++;
}

/* Polling and long polling: complete answers, each with a Content-Length. */
static long parse_poll(struct loadgen *lg, struct client *c, char *p, size_t *np, size_t raw_from, uint64_t at)
{
    (void)raw_from;
    size_t used = 0, n = *np;
    while (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p + used, n - used, &h);
        if (head == WIRE_MORE)
            break;
        if (h.content_length < 0 || h.chunked)
            return -1;                      /* we need a Content-Length here */
        if (n - used - (size_t)head < (size_t)h.content_length)
            break;
        const char *body = p + used + head;
        used += (size_t)head + (size_t)h.content_length;
        if (h.status != 200) {
            lg->http_errors++;
        } else {
            lg_client_subscribed(lg, c, at);
            poll_body(lg, c, body, (size_t)h.content_length, at);
        }
        lg_client_poll_again(lg, c);
    }
    return (long)used;
}

/* Nchan's poll answers: 200 with the message as the body (long poll: every
 * message there is, one per line: `nchan_longpoll_multipart_response raw`),
 * or 304 Not Modified when there is none yet (interval poll). The cursor
 * is the answer's Last-Modified and Etag. */
static long parse_nchan_poll(struct loadgen *lg, struct client *c, char *p, size_t *np, size_t raw_from,
                             uint64_t at)
{
    (void)raw_from;
    size_t used = 0, n = *np;
    while (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p + used, n - used, &h);
        if (head == WIRE_MORE)
            break;
        if (h.content_length < 0 || h.chunked)
            return -1;
        if (n - used - (size_t)head < (size_t)h.content_length)
            break;
        const char *start = p + used, *body = start + head;
        size_t len = (size_t)h.content_length;
        used += (size_t)head + len;
        if (h.status == 200) {
            lg_client_subscribed(lg, c, at);
            size_t lm_len, etag_len;
            const char *lm = wire_header(start, (size_t)head, "Last-Modified", &lm_len);
            const char *etag = wire_header(start, (size_t)head, "Etag", &etag_len);
            int64_t t = lm ? wire_parse_http_date(lm, lm_len) : -1;
            if (t > 0 && etag)
                c->cursor = (uint64_t)t << 24 | (wire_parse_u64(etag, etag + etag_len, NULL) & 0xffffff);
            for (const char *line = body, *end = body + len; line < end;) {
                const char *nl = memchr(line, '\n', (size_t)(end - line));
                size_t l = nl ? (size_t)(nl - line) : (size_t)(end - line);
                if (l)
                    lg_client_deliver(lg, c, line, l, at);
                line += l + 1;
            }
        } else if (h.status == 304) {
            lg_client_subscribed(lg, c, at);
            lg->empty_polls++;
        } else {
            lg->http_errors++;
        }
        lg_client_poll_again(lg, c);
    }
    return (long)used;
}

/* The SSE stream: its head, then events. Bytes after raw_from are, when the
 * stream is chunked, raw chunked bytes: they are decoded in place first.
 * A chunked stream can end while its connection stays open: a proxy with
 * keep-alive (nginx) ends the client's response with the last chunk when
 * the server behind it closes. That is the end of the stream, as a close
 * is: once its events are counted, -1 makes the client reconnect from its
 * cursor (the Last-Event-ID a browser would send). */
static long parse_sse(struct loadgen *lg, struct client *c, char *p, size_t *n, size_t raw_from, uint64_t at)
{
    size_t used = 0;
    if (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p, *n, &h);
        if (head == WIRE_MORE)
            return 0;
        if (h.status != 200) {
            lg->http_errors++;
            return -1;
        }
        c->chunked = (unsigned char)h.chunked;
        c->state = C_STREAM;
        lg_client_subscribed(lg, c, at);
        used = (size_t)head;
        if (raw_from < used)
            raw_from = used;
    }
    if (c->chunked && raw_from < *n) {
        long d = wire_dechunk(&c->dechunk, p + raw_from, *n - raw_from);
        if (d < 0)
            return -1;
        *n = raw_from + (size_t)d;
    }
    for (int i = 0; i < 100000; i++) {      /* bounded: one read holds fewer events */
        struct wire_sse_event ev;
        long len = wire_sse_next(p + used, *n - used, &ev);
        if (len == WIRE_MORE)
            break;
        used += (size_t)len;
        if (ev.has_id)
            c->cursor = lg->opt.dialect == D_NCHAN ? wire_nchan_id(ev.id_text, ev.id_len) : ev.id;
        if (ev.gap)
            lg->gaps++;
        else if (ev.data)
            lg_client_deliver(lg, c, ev.data, ev.data_len, at);
    }
    if (c->chunked && c->dechunk.done)
        return -1;
    return (long)used;
}

/* A WebSocket text message. Ours: {"id":N,"data":".."} (or a gap notice);
 * Nchan's: the message itself. */
static void ws_message(struct loadgen *lg, struct client *c, const char *msg, size_t len, uint64_t at)
{
    if (lg->opt.dialect == D_NCHAN) {
        lg_client_deliver(lg, c, msg, len, at);
        return;
    }
    const char *end = msg + len, *p = wire_find(msg, len, "\"id\":");
    if (p)
        c->cursor = wire_parse_u64(p + 5, end, NULL);
    if (wire_find(msg, len, "\"gap\""))
        lg->gaps++;
    if ((p = wire_find(msg, len, "\"data\":\""))) {
        p += 8;
        lg_client_deliver(lg, c, p, wire_json_string_len(p, end), at);
    }
}

/* -z: did this 101 (head[0..n)) agree to permessage-deflate? 1 yes, 0 no
 * (the connection runs plain, RFC 7692 §5), -1 it agreed with context
 * takeover, which ws_inflate cannot read (a fresh inflater per message). */
static int ws_agreed(const char *head, size_t n)
{
    size_t len;
    const char *ext = wire_header(head, n, "Sec-WebSocket-Extensions", &len);
    if (!ext || !wire_find(ext, len, "permessage-deflate"))
        return 0;
    return wire_find(ext, len, "server_no_context_takeover") ? 1 : -1;
}

/* A compressed message p[0..n) (RFC 7692 §7.2.2): append the 00 00 ff ff
 * the sender removed and inflate it raw, from a fresh context (the server
 * said server_no_context_takeover: each message stands alone), into
 * lg->inflated. Returns the inflated length, or -1 (not DEFLATE, or over
 * MAX_KEPT). */
static long ws_inflate(struct loadgen *lg, const char *p, size_t n)
{
    static const unsigned char tail[4] = { 0x00, 0x00, 0xff, 0xff };
    z_stream *z = lg->inflater;
    if (inflateReset(z) != Z_OK)
        return -1;
    z->next_out = (unsigned char *)lg->inflated;
    z->avail_out = MAX_KEPT;
    const unsigned char *in[2] = { (const unsigned char *)p, tail };
    size_t in_len[2] = { n, sizeof tail };
    for (int i = 0; i < 2; i++) {
        z->next_in = (unsigned char *)in[i];
        z->avail_in = (unsigned)in_len[i];
        int rc = inflate(z, Z_SYNC_FLUSH);
        if (rc == Z_STREAM_END)
            break;                          /* BFINAL: the tail is not needed */
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || z->avail_in > 0 || z->avail_out == 0)
            return -1;                      /* bad data, or a message over MAX_KEPT */
    }
    return (long)(MAX_KEPT - z->avail_out);
}

/* RFC 6455: the 101, then frames from the server. */
static long parse_ws(struct loadgen *lg, struct client *c, char *p, size_t *np, size_t raw_from, uint64_t at)
{
    (void)raw_from;
    size_t used = 0, n = *np;
    if (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p, n, &h);
        if (head == WIRE_MORE)
            return 0;
        if (h.status != 101) {
            lg->http_errors++;
            return -1;
        }
        c->deflate = 0;
        if (lg->opt.deflate) {
            int agreed = ws_agreed(p, (size_t)head);
            if (agreed < 0) {
                lg->http_errors++;          /* counted: report_warnings names it */
                lg->deflate_declined++;
                return -1;
            }
            c->deflate = (unsigned char)agreed;
            if (agreed)
                lg->deflate_agreed++;
            else
                lg->deflate_declined++;
        }
        c->state = C_STREAM;
        lg_client_subscribed(lg, c, at);
        used = (size_t)head;
    }
    for (int i = 0; i < 100000; i++) {
        struct wire_ws_frame f;
        long len = wire_ws_frame(p + used, n - used, MAX_KEPT, &f);
        if (len == WIRE_MORE)
            break;
        if (len == WIRE_ERROR)
            return -1;
        if (f.rsv1 && !(c->deflate && f.opcode == 0x1 && f.fin)) {
            lg->ws_bad_frames++;            /* RSV1 not agreed (§5.2), or where we do not read it */
            return -1;
        }
        if (f.opcode == 0x1) {
            const char *msg = f.payload;
            long msg_len = (long)f.len;
            if (f.rsv1 && (msg_len = ws_inflate(lg, f.payload, (size_t)f.len)) < 0) {
                lg->ws_bad_frames++;
                return -1;
            }
            if (f.rsv1) {
                msg = lg->inflated;
                lg->ws_compressed++;
            }
            lg->ws_messages++;
            lg->ws_frame_bytes += (uint64_t)len;
            lg->ws_message_bytes += (uint64_t)msg_len;
            ws_message(lg, c, msg, (size_t)msg_len, at);
        } else if (f.opcode == 0x9 && f.len <= 125) {
            /* §5.5.2: answer a ping with a pong; client frames are masked
             * (a zero key is a valid key and leaves the bytes as they are). */
            char pong[2 + 4 + 125];
            pong[0] = (char)0x8a;
            pong[1] = (char)(0x80 | f.len);
            memset(pong + 2, 0, 4);
            memcpy(pong + 6, f.payload, (size_t)f.len);
            lg_client_write(lg, c, pong, 6 + (size_t)f.len);
        } else if (f.opcode == 0x8) {
            return -1;                      /* the server closes: reconnect */
        }
        used += (size_t)len;
    }
    return (long)used;
}

/* The baseline's frames: "OK" once, then events. */
static long parse_baseline(struct loadgen *lg, struct client *c, char *p, size_t *np, size_t raw_from,
                           uint64_t at)
{
    (void)raw_from;
    size_t used = 0, n = *np;
    for (int i = 0; i < 100000; i++) {
        const char *payload;
        uint32_t len;
        long total = wire_baseline_frame(p + used, n - used, MAX_KEPT, &payload, &len);
        if (total == WIRE_MORE)
            break;
        if (total == WIRE_ERROR)
            return -1;
        if (c->state == C_WAIT_HEAD && len == 2 && memcmp(payload, "OK", 2) == 0) {
            c->state = C_STREAM;
            lg_client_subscribed(lg, c, at);
        } else {
            lg_client_deliver(lg, c, payload, len, at);
        }
        used += (size_t)total;
    }
    return (long)used;
}

/* ==== The table: what each technique sends and how it reads ==== */

static const struct technique_wire wires[T_COUNT][D_COUNT] = {
    [T_POLLING]   = { [D_RTLAB] = { request_poll, parse_poll },
                      [D_NCHAN] = { request_nchan_poll, parse_nchan_poll } },
    [T_LONGPOLL]  = { [D_RTLAB] = { request_longpoll, parse_poll },
                      [D_NCHAN] = { request_nchan_longpoll, parse_nchan_poll } },
    [T_SSE]       = { [D_RTLAB] = { request_sse, parse_sse },
                      [D_NCHAN] = { request_nchan_sse, parse_sse } },
    [T_WEBSOCKET] = { [D_RTLAB] = { request_ws, parse_ws },
                      [D_NCHAN] = { request_nchan_ws, parse_ws } },
    [T_BASELINE]  = { [D_RTLAB] = { request_baseline, parse_baseline } },
};

const struct technique_wire *lg_technique_wire(const struct loadgen *lg)
{
    return &wires[lg->opt.technique][lg->opt.dialect];
}

int lg_technique_supported(enum technique t, enum dialect d)
{
    return wires[t][d].request != NULL;
}


int lg_technique_init(struct loadgen *lg)
{
    if (!lg->opt.deflate)
        return 0;
    lg->inflater = calloc(1, sizeof *lg->inflater);
    lg->inflated = malloc(MAX_KEPT);
    /* Raw DEFLATE (negative window bits), a 32 KiB window: reads any the
     * server may use (RFC 7692 §7.1.2). */
    if (!lg->inflater || !lg->inflated || inflateInit2(lg->inflater, -15) != Z_OK) {
        fprintf(stderr, "loadgen: -z: cannot set up zlib's inflater\n");
        free(lg->inflater);
        lg->inflater = NULL;
        return -1;
    }
    return 0;
}

void lg_technique_free(struct loadgen *lg)
{
    if (lg->inflater) {
        inflateEnd(lg->inflater);
        free(lg->inflater);
        lg->inflater = NULL;
    }
    free(lg->inflated);
    lg->inflated = NULL;
}
