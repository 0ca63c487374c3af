/*
 * tests/adversarial/slow_readers.c — subscribers that never read, on the
 * two servers that push: SSE and WebSocket (DESIGN.md: "a
 * slow reader never makes the server's memory grow without bound").
 *
 * Per server (-o OUT_CAP, -b FEED, -S 500): two fast subscribers read everything.
 * Phase A publishes BASE_EVENTS events of EVENT_BYTES alone, timing how
 * long each takes to reach both fast subscribers. Phase B opens SLOW
 * subscribers with tiny receive windows that never read a byte, then
 * publishes SLOW_EVENTS more: megabytes the slow ones are owed but never
 * take. What must hold:
 *   - the server's resident memory (VmRSS) grows by less than RSS_BOUND_MB
 *     over phase B, although the slow subscribers are owed SLOW x SLOW_EVENTS
 *     x EVENT_BYTES bytes: each holds at most its window (the out cap), and
 *     once it has taken nothing for the stall time it is dropped (and
 *     counted in /stats drops);
 *   - the fast subscribers get every event, in order, and their median
 *     latency in phase B stays near phase A's (at most 3x + 5 ms), the worst
 *     under a second: nobody waits for the slow ones.
 * Prints, per server: the memory bound and what was used, drops, and the
 * fast subscribers' latency with and without the slow ones. Then the same
 * for plain answers (pipelining_reader, on bin/polling).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adv.h"

enum {
    FAST = 2,
    SLOW = 50,
    EVENT_BYTES = 32 * 1024,
    BASE_EVENTS = 50,
    SLOW_EVENTS = 200,
    OUT_CAP = 256 * 1024,
    FEED = 64,
    RSS_BOUND_MB = 32,
    SAN_RSS_BOUND_MB = 256,  /* ASan keeps freed memory in quarantine */
};

/* ==== Reading a stream as it comes, without keeping it ==== */

/* The last complete event seen on one subscriber's stream. SSE: a block
 * with an "id: N" line ends at its empty line. WebSocket: a text frame
 * whose payload starts {"id":N ends with its last payload byte. */
struct reader {
    int fd;
    int websocket;
    long last_id;
    int out_of_order;
    /* SSE state */
    size_t line_len;
    char line[32];            /* the first bytes of the current line */
    long block_id;            /* the id line of the current block, or -1 */
    int block_has_data;       /* a data line: the block is an event (an id alone is not) */
    /* WebSocket state */
    unsigned char head[10];
    size_t head_len, head_need;
    unsigned long long payload_left;
    char prefix[32];
    size_t prefix_len;
};

static void got_event(struct reader *r, long id)
{
    if (id != r->last_id + 1) r->out_of_order++;
    r->last_id = id;
}

static void sse_byte(struct reader *r, char b)
{
    if (b != '\n') {
        if (r->line_len < sizeof r->line - 1) r->line[r->line_len] = b;
        r->line_len++;
        return;
    }
    if (r->line_len == 0) {                      /* the empty line: the block ends */
        if (r->block_id >= 0 && r->block_has_data) got_event(r, r->block_id);
        r->block_id = -1;
        r->block_has_data = 0;
        return;
    }
    r->line[r->line_len < sizeof r->line - 1 ? r->line_len : sizeof r->line - 1] = '\0';
    if (strncmp(r->line, "id: ", 4) == 0) r->block_id = atol(r->line + 4);
    if (strncmp(r->line, "data:", 5) == 0) r->block_has_data = 1;
    r->line_len = 0;
}

static void ws_bytes(struct reader *r, const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (r->payload_left == 0 && r->head_need == 0) { r->head_len = 0; r->head_need = 2; }
        if (r->head_len < r->head_need) {        /* the header, byte by byte */
            r->head[r->head_len++] = p[i++];
            if (r->head_len == 2) {
                unsigned len7 = r->head[1] & 0x7f;
                r->head_need = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
            }
            if (r->head_len == r->head_need) {
                unsigned len7 = r->head[1] & 0x7f;
                unsigned long long len = len7;
                if (len7 == 126) len = (unsigned long long)r->head[2] << 8 | r->head[3];
                if (len7 == 127) {
                    len = 0;
                    for (int k = 2; k < 10; k++) len = len << 8 | r->head[k];
                }
                r->payload_left = len;
                r->prefix_len = 0;
                r->head_need = 0;
                if (len == 0) continue;
            }
            continue;
        }
        size_t take = n - i < r->payload_left ? n - i : (size_t)r->payload_left;
        for (size_t k = 0; k < take && r->prefix_len < sizeof r->prefix - 1; k++)
            r->prefix[r->prefix_len++] = (char)p[i + k];
        i += take;
        r->payload_left -= take;
        if (r->payload_left == 0) {              /* the frame is complete */
            r->prefix[r->prefix_len] = '\0';
            if ((r->head[0] & 0x0f) == 1 && strncmp(r->prefix, "{\"id\":", 6) == 0)
                got_event(r, atol(r->prefix + 6));
        }
    }
}

/* Read what has arrived on r (non-blocking). */
static void reader_pump(struct reader *r)
{
    static unsigned char buf[65536];
    for (;;) {
        ssize_t n = recv(r->fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        if (r->websocket) ws_bytes(r, buf, (size_t)n);
        else for (ssize_t k = 0; k < n; k++) sse_byte(r, (char)buf[k]);
    }
}

/* Open a subscriber: SSE GET /events or the WebSocket handshake. */
static int subscribe(int port, int websocket, int rcvbuf)
{
    int fd = adv_connect(port, rcvbuf);
    if (fd < 0) return -1;
    int ok = websocket ? adv_ws_handshake(fd, "/ws") : adv_sse_open(fd, "/events", NULL);
    if (ok != 0) { close(fd); return -1; }
    return fd;
}

/* ==== The scenario ==== */

static char payload[EVENT_BYTES];

/* Publish one event on the keep-alive connection pub and wait until every
 * fast reader has it. Returns the milliseconds that took, or -1. */
static double publish_and_wait(int pub, long id, struct reader *fast)
{
    static char request[EVENT_BYTES + 256];
    static struct http_reply reply;
    int n = snprintf(request, sizeof request, "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n",
                     EVENT_BYTES);
    memcpy(request + n, payload, EVENT_BYTES);
    long long t0 = adv_now_us();
    if (send_all(pub, request, (size_t)n + EVENT_BYTES) < 0 || read_reply(pub, &reply, 5000) != 200) return -1;
    long long deadline = adv_now_ms() + 5000;
    for (;;) {
        int all = 1;
        struct pollfd p[FAST];
        for (int i = 0; i < FAST; i++) {
            reader_pump(&fast[i]);
            if (fast[i].last_id < id) all = 0;
            p[i] = (struct pollfd){.fd = fast[i].fd, .events = POLLIN};
        }
        if (all) return (double)(adv_now_us() - t0) / 1000.0;
        if (adv_now_ms() > deadline) return -1;
        poll(p, FAST, 50);
    }
}

static void run(const char *name, int websocket)
{
    char cap[32], feed[32];
    snprintf(cap, sizeof cap, "%d", OUT_CAP);
    snprintf(feed, sizeof feed, "%d", FEED);
    /* -S 500: a subscriber that takes no byte for half a second is dropped. */
    const char *args[] = {"-t", "0", "-o", cap, "-b", feed, "-S", "500", NULL};
    struct test_server ts;
    if (server_start(&ts, name, args) != 0) {
        adv_fail("%s did not start", name);
        return;
    }
    struct reader fast[FAST];
    memset(fast, 0, sizeof fast);
    for (int i = 0; i < FAST; i++) {
        fast[i].fd = subscribe(ts.port, websocket, 0);
        fast[i].websocket = websocket;
        fast[i].block_id = -1;
        if (fast[i].fd < 0) { adv_fail("%s: fast subscriber could not subscribe", name); goto stop; }
        adv_nonblock(fast[i].fd);
    }
    int pub = tcp_connect(ts.port);
    static double base_ms[BASE_EVENTS], slow_ms[SLOW_EVENTS];
    long id = 0;
    for (int i = 0; i < BASE_EVENTS; i++) {
        base_ms[i] = publish_and_wait(pub, ++id, fast);
        if (base_ms[i] < 0) { adv_fail("%s: event %ld never reached the fast subscribers", name, id); goto stop; }
    }

    int slow[SLOW], slow_open = 0;
    for (int i = 0; i < SLOW; i++)
        if ((slow[i] = subscribe(ts.port, websocket, 4096)) >= 0) slow_open++;
    ADV_CHECK(slow_open == SLOW, "%s: only %d slow subscribers subscribed", name, slow_open);
    long rss0 = adv_rss_kb(ts.pid), rss_peak = rss0;
    for (int i = 0; i < SLOW_EVENTS; i++) {
        slow_ms[i] = publish_and_wait(pub, ++id, fast);
        if (slow_ms[i] < 0) { adv_fail("%s: event %ld never reached the fast subscribers", name, id); goto stop; }
        long rss = adv_rss_kb(ts.pid);
        if (rss > rss_peak) rss_peak = rss;
    }
    long long until = adv_now_ms() + 5000 * adv_slowdown();   /* the stall time runs out */
    while (stats_field(ts.port, "drops") < SLOW && adv_now_ms() < until) usleep(20000);
    long drops = stats_field(ts.port, "drops");
    double a50 = adv_percentile(base_ms, BASE_EVENTS, 50), a_max = adv_percentile(base_ms, BASE_EVENTS, 100);
    double b50 = adv_percentile(slow_ms, SLOW_EVENTS, 50), b99 = adv_percentile(slow_ms, SLOW_EVENTS, 99);
    double b_max = adv_percentile(slow_ms, SLOW_EVENTS, 100);
    long bound_mb = adv_sanitized() ? SAN_RSS_BOUND_MB : RSS_BOUND_MB;
    double owed_mb = (double)SLOW * SLOW_EVENTS * EVENT_BYTES / (1 << 20);
    double grew_mb = (double)(rss_peak - rss0) / 1024;
    printf("%-9s %d slow subscribers never read while %.1f MB were published (%.0f MB owed to them): "
           "RSS %.1f -> %.1f MB (grew %.1f MB, bound %ld MB), %ld dropped\n",
           name, slow_open, (double)SLOW_EVENTS * EVENT_BYTES / (1 << 20), owed_mb, rss0 / 1024.0,
           rss_peak / 1024.0, grew_mb, bound_mb, drops);
    printf("%-9s fast subscribers: every event in order; latency alone p50 %.2f ms max %.2f ms; "
           "beside the slow ones p50 %.2f ms p99 %.2f ms max %.2f ms\n", name, a50, a_max, b50, b99, b_max);
    ADV_CHECK(grew_mb < bound_mb, "%s: RSS grew by %.1f MB, bound %ld MB", name, grew_mb, bound_mb);
    ADV_CHECK(drops == SLOW, "%s: %ld of %d slow subscribers dropped", name, drops, SLOW);
    ADV_CHECK(b50 <= 3 * a50 + 5 * adv_slowdown(), "%s: fast subscribers slowed down: p50 %.2f ms, alone %.2f ms", name, b50, a50);
    ADV_CHECK(b_max < 1000 * adv_slowdown(), "%s: a fast subscriber waited %.0f ms for an event", name, b_max);
    for (int i = 0; i < FAST; i++)
        ADV_CHECK(fast[i].out_of_order == 0 && fast[i].last_id == id,
                  "%s: fast subscriber %d saw %d events out of order, last %ld of %ld", name, i,
                  fast[i].out_of_order, fast[i].last_id, id);
    for (int i = 0; i < SLOW; i++)
        if (slow[i] >= 0) adv_close_reset(slow[i]);
    close(pub);
stop:
    for (int i = 0; i < FAST; i++)
        if (fast[i].fd > 0) close(fast[i].fd);
    int status = server_stop(&ts);
    ADV_CHECK(status == 0, "%s exited with %d", name, status);
}

/* The same problem with plain HTTP answers: a client that pipelines
 * request after request and never reads the answers. Core stops reading
 * its requests while its unsent answers pass PIPELINE_HIGH_WATER, so the
 * server's memory stays bounded however long it keeps sending, and others
 * are served meanwhile. */
static void pipelining_reader(const char *name)
{
    static const char *const args[] = {"-t", "0", NULL};
    struct test_server ts;
    if (server_start(&ts, name, args) != 0) {
        adv_fail("%s did not start", name);
        return;
    }
    static char requests[32 * 1024];
    const char one[] = "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n";
    size_t n = 0;
    while (n + sizeof one - 1 <= sizeof requests) {
        memcpy(requests + n, one, sizeof one - 1);
        n += sizeof one - 1;
    }
    long rss0 = adv_rss_kb(ts.pid), rss_peak = rss0;
    int fd = adv_connect(ts.port, 4096);
    adv_nonblock(fd);
    long long sent = 0, t0 = adv_now_ms();
    double worst = 0;
    while (adv_now_ms() - t0 < 2000) {
        ssize_t w = send(fd, requests, n, MSG_NOSIGNAL);
        if (w > 0) sent += w;
        else usleep(5000);                       /* the server stopped reading: good */
        long rss = adv_rss_kb(ts.pid);
        if (rss > rss_peak) rss_peak = rss;
        long long a = adv_now_us();
        ADV_CHECK(stats_field(ts.port, "requests") > 0, "%s: a normal client was not served", name);
        double ms = (double)(adv_now_us() - a) / 1000.0;
        if (ms > worst) worst = ms;
    }
    long bound_mb = adv_sanitized() ? SAN_RSS_BOUND_MB : 16;
    double grew_mb = (double)(rss_peak - rss0) / 1024;
    printf("%-9s a client pipelined %.1f MB of requests in 2 s and read no answer: RSS grew %.1f MB "
           "(bound %ld MB); other clients served meanwhile, slowest in %.2f ms\n", name,
           (double)sent / (1 << 20), grew_mb, bound_mb, worst);
    ADV_CHECK(grew_mb < bound_mb, "%s: RSS grew by %.1f MB under a pipelining non-reader", name, grew_mb);
    ADV_CHECK(worst < 1000 * adv_slowdown(), "%s: a normal request took %.0f ms", name, worst);
    adv_close_reset(fd);
    int status = server_stop(&ts);
    ADV_CHECK(status == 0, "%s exited with %d", name, status);
}

int main(void)
{
    adv_raise_fd_limit(1024);
    memset(payload, 'x', sizeof payload);
    int missing = 0, tried = 0;
    if (adv_have_server("sse", &missing)) { run("sse", 0); tried++; } else missing = 1;
    if (adv_have_server("websocket", &missing)) { run("websocket", 1); tried++; } else missing = 1;
    if (adv_have_server("polling", &missing)) pipelining_reader("polling"); else missing = 1;
    printf("result: %d servers, %d slow subscribers each never reading %.1f MB; memory bound %d MB%s; "
           "%d failures\n", tried, SLOW, (double)SLOW_EVENTS * EVENT_BYTES / (1 << 20),
           adv_sanitized() ? SAN_RSS_BOUND_MB : RSS_BOUND_MB, adv_sanitized() ? " (sanitized build)" : "",
           adv_failures());
    return adv_exit(missing);
}
