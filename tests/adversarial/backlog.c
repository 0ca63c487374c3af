/*
 * tests/adversarial/backlog.c — the out cap judges a reader that is not
 * keeping up, never a burst; a resume always makes progress; the counters
 * add up (issue 12, items 2, 3 and 6; DESIGN.md "Memory has a budget").
 *
 * On SSE and WebSocket, each scenario with a server of its own:
 *   burst     fast subscribers (reading as fast as loopback allows) while
 *             many publishers complete large events in the same instant:
 *             SSE, 16 publishes of 64 KiB against -o 64 KiB; WebSocket, four
 *             messages of the largest allowed size (-m 256 KiB of bytes that
 *             JSON escapes sixfold: 1.5 MiB frames) against -o 64 KiB.
 *             Nobody may be dropped, and everyone gets every event.
 *   stopped   one subscriber with a 4 KiB window that never reads, while
 *             400 events of 16000 bytes are published (more than the
 *             kernel's socket buffers take for it). It must be
 *             dropped within the stall time (-S 400 ms) plus slack, and
 *             while it lives the server must hold at most the cap plus one
 *             event plus STOPPED_SLACK for it (/stats "queued_bytes").
 *   resume    -o 1024 and 50 kept events of 2000 bytes (each one over the
 *             cap): a client that resumes from 0 gets all 50, and one that
 *             resumes behind a small feed (-b 10) gets a gap notice and the
 *             10 kept events; never a close before its first byte.
 *   counters  two readers and one stopped reader; once the stopped one has
 *             been dropped it reads what reached its socket. Then /stats
 *             "deliveries" must equal the events the clients received whole,
 *             and "bytes_out" every byte every client of the test received.
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
    MAX_SUBS = 64,
    STALL_MS = 400,
    STOPPED_EVENTS = 400,          /* 6.4 MB: more than the kernel's buffers (tcp_wmem max 4 MiB) */
    STOPPED_EVENT_BYTES = 16000,
    STOPPED_CAP = 65536,
    STOPPED_SLACK = 8192,          /* a gap notice, a head, a keep-alive line */
    SETTLE_MS = 5000,
};

/* ==== A subscriber that counts what it receives ==== */

struct sub {
    int fd;
    int ws;                        /* WebSocket frames, else an event stream */
    int open;
    int closed;                    /* EOF or reset seen */
    unsigned close_code;           /* a WebSocket close frame's code */
    long long bytes;               /* every byte received, the HTTP head included */
    long events, gaps, last_id, out_of_order;
    /* SSE */
    int in_head;
    char line[64];
    size_t line_len;
    long block_id;
    int block_data, block_gap;
    /* WebSocket */
    unsigned char fh[14];
    size_t fh_len, fh_need;
    unsigned long long left;
    unsigned opcode;
    char payload[32];
    size_t payload_len;
};

static struct sub subs[MAX_SUBS];
static int nsubs;

static void sub_event(struct sub *s, long id)
{
    if (s->last_id && id != s->last_id + 1) s->out_of_order++;
    s->last_id = id;
    s->events++;
}

static void sse_line(struct sub *s)
{
    s->line[s->line_len < sizeof s->line ? s->line_len : sizeof s->line - 1] = '\0';
    if (s->line_len == 0) {                         /* end of a block */
        if (s->block_gap) s->gaps++;
        else if (s->block_data) sub_event(s, s->block_id);
        s->block_data = s->block_gap = 0;
        s->block_id = -1;
    } else if (strncmp(s->line, "id: ", 4) == 0) {
        s->block_id = atol(s->line + 4);
    } else if (strncmp(s->line, "data:", 5) == 0) {
        s->block_data = 1;
    } else if (strncmp(s->line, "event: gap", 10) == 0) {
        s->block_gap = 1;
    }
    s->line_len = 0;
}

/* One byte of the HTTP head; returns 1 once the head has ended. */
static int head_byte(struct sub *s, char c)
{
    s->line[s->line_len++] = c;
    if (s->line_len == 4 && memcmp(s->line, "\r\n\r\n", 4) == 0) {
        s->in_head = 0;
        s->line_len = 0;
        return 1;
    }
    if (s->line_len == 4) { memmove(s->line, s->line + 1, 3); s->line_len = 3; }
    return 0;
}

static void sse_bytes(struct sub *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s->in_head) { head_byte(s, p[i]); continue; }
        if (p[i] == '\n') sse_line(s);
        else if (s->line_len < sizeof s->line - 1) s->line[s->line_len++] = p[i];
        else s->line_len++;
    }
}

static void ws_frame_done(struct sub *s)
{
    s->payload[s->payload_len] = '\0';
    if (s->opcode == 8) {
        s->close_code = s->payload_len >= 2 ? (unsigned char)s->payload[0] << 8 | (unsigned char)s->payload[1] : 1005;
    } else if (s->opcode == 1) {
        if (strncmp(s->payload, "{\"gap\"", 6) == 0) s->gaps++;
        else if (strncmp(s->payload, "{\"id\":", 6) == 0) sub_event(s, atol(s->payload + 6));
    }
    s->fh_len = s->fh_need = 0;
    s->payload_len = 0;
}

static void ws_bytes(struct sub *s, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s->in_head) { head_byte(s, (char)p[i]); continue; }   /* the 101 head */
        if (s->left == 0 && s->fh_need == 0) { s->fh_len = 0; s->fh_need = 2; }
        if (s->fh_len < s->fh_need) {
            s->fh[s->fh_len++] = p[i];
            if (s->fh_len == 2) {
                unsigned len7 = s->fh[1] & 0x7f;
                s->fh_need = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
            }
            if (s->fh_len < s->fh_need) continue;
            unsigned len7 = s->fh[1] & 0x7f;
            s->opcode = s->fh[0] & 0x0f;
            s->left = len7 < 126 ? len7 : 0;
            if (len7 == 126) s->left = (unsigned)s->fh[2] << 8 | s->fh[3];
            if (len7 == 127) for (int k = 2; k < 10; k++) s->left = s->left << 8 | s->fh[k];
            s->payload_len = 0;
            if (s->left == 0) ws_frame_done(s);
            continue;
        }
        if (s->payload_len < sizeof s->payload - 1) s->payload[s->payload_len++] = (char)p[i];
        if (--s->left == 0) ws_frame_done(s);
    }
}

/* Read what every open subscriber has, for up to ms. */
static void pump(int ms)
{
    long long until = adv_now_ms() + ms;
    do {
        struct pollfd p[MAX_SUBS];
        int map[MAX_SUBS], n = 0;
        for (int i = 0; i < nsubs; i++)
            if (subs[i].open && !subs[i].closed) { p[n].fd = subs[i].fd; p[n].events = POLLIN; map[n++] = i; }
        if (n == 0) return;
        if (poll(p, (nfds_t)n, 10) <= 0) continue;
        for (int k = 0; k < n; k++) {
            if (!p[k].revents) continue;
            struct sub *s = &subs[map[k]];
            for (;;) {
                static char buf[1 << 16];
                ssize_t r = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);
                if (r > 0) {
                    s->bytes += r;
                    if (s->ws) ws_bytes(s, (unsigned char *)buf, (size_t)r);
                    else sse_bytes(s, buf, (size_t)r);
                    continue;
                }
                if (r == 0 || (errno != EAGAIN && errno != EINTR)) s->closed = 1;
                break;
            }
        }
    } while (adv_now_ms() < until);
}

/* Open a subscriber (reads only when `reading`); target "/events..." or "/ws...". */
static struct sub *sub_open(int port, int ws, const char *target, const char *extra, int rcvbuf)
{
    struct sub *s = &subs[nsubs++];
    memset(s, 0, sizeof *s);
    s->ws = ws;
    s->block_id = -1;
    s->in_head = 1;
    s->fd = adv_connect(port, rcvbuf);
    char req[512];
    int n = ws ? snprintf(req, sizeof req,
                          "GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", target)
               : snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n", target, extra ? extra : "");
    send_all(s->fd, req, (size_t)n);
    s->open = 1;
    return s;
}

static void subs_close(void)
{
    for (int i = 0; i < nsubs; i++) if (subs[i].fd >= 0) close(subs[i].fd);
    nsubs = 0;
}

/* ==== A keep-alive HTTP connection that counts what it receives ==== */

struct http_conn { int fd; long long bytes; };

/* Send a request and read its one answer (Content-Length) whole. Returns
 * the status; body (NUL-terminated, at most cap) when asked. */
static int http_exchange(struct http_conn *h, const char *req, size_t req_len, char *body, size_t cap)
{
    send_all(h->fd, req, req_len);
    static char buf[1 << 16];
    size_t len = 0, need = 0, head_end = 0;
    long long deadline = adv_now_ms() + SETTLE_MS * adv_slowdown();
    while (adv_now_ms() < deadline) {
        struct pollfd p = {.fd = h->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        ssize_t r = recv(h->fd, buf + len, sizeof buf - 1 - len, 0);
        if (r <= 0) return -1;
        len += (size_t)r;
        h->bytes += r;
        buf[len] = '\0';
        char *e = strstr(buf, "\r\n\r\n");
        if (!e) continue;
        head_end = (size_t)(e + 4 - buf);
        char *cl = strstr(buf, "Content-Length: ");
        need = head_end + (cl ? (size_t)atol(cl + 16) : 0);
        if (len >= need) break;
    }
    if (len < need || !head_end) return -1;
    if (body) snprintf(body, cap, "%.*s", (int)(need - head_end), buf + head_end);
    return atoi(buf + 9);
}

static long json_field(const char *body, const char *field)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", field);
    const char *p = strstr(body, key);
    return p ? atol(p + strlen(key)) : -1;
}

static long http_stats(struct http_conn *h, const char *field)
{
    static const char req[] = "GET /stats HTTP/1.1\r\nHost: localhost\r\n\r\n";
    char body[2048];
    if (http_exchange(h, req, sizeof req - 1, body, sizeof body) != 200) return -1;
    return json_field(body, field);
}

static int http_publish(struct http_conn *h, const char *data, size_t n)
{
    char head[128];
    int k = snprintf(head, sizeof head, "POST /publish HTTP/1.1\r\nHost: localhost\r\nContent-Length: %zu\r\n\r\n", n);
    char *req = malloc((size_t)k + n);
    memcpy(req, head, (size_t)k);
    memcpy(req + k, data, n);
    int status = http_exchange(h, req, (size_t)k + n, NULL, 0);
    free(req);
    return status;
}

/* Wait (reading the subscribers meanwhile) until /stats field >= want. */
static long wait_stats(struct http_conn *h, const char *field, long want, int ms)
{
    long long deadline = adv_now_ms() + ms * adv_slowdown();
    long v;
    while ((v = http_stats(h, field)) < want && adv_now_ms() < deadline) pump(20);
    return v;
}

/* ==== The scenarios ==== */

/* A WebSocket client frame: FIN, opcode, masked with a zero key. */
static size_t ws_client_frame(unsigned char *out, unsigned opcode, const unsigned char *p, size_t n)
{
    size_t h = 0;
    out[h++] = (unsigned char)(0x80 | opcode);
    if (n < 126) out[h++] = (unsigned char)(0x80 | n);
    else if (n < 65536) { out[h++] = 0x80 | 126; out[h++] = (unsigned char)(n >> 8); out[h++] = (unsigned char)n; }
    else { out[h++] = 0x80 | 127; for (int k = 7; k >= 0; k--) out[h++] = (unsigned char)((unsigned long long)n >> (8 * k)); }
    memset(out + h, 0, 4);                           /* mask key 0: payload as is */
    h += 4;
    memcpy(out + h, p, n);
    return h + n;
}

/* Publishers that each send all of an event but its last byte, then all
 * the last bytes together, so the server completes them in one pass. */
static void burst(int port, int ws, int publishers, size_t size, unsigned char fill)
{
    int fds[32];
    unsigned char *msg = malloc(size + 256);
    size_t msg_len;
    unsigned char *payload = malloc(size);
    memset(payload, fill, size);
    if (ws) {
        msg_len = ws_client_frame(msg, 1, payload, size);
    } else {
        int k = snprintf((char *)msg, 128, "POST /publish HTTP/1.1\r\nHost: localhost\r\nContent-Length: %zu\r\n\r\n", size);
        memcpy(msg + k, payload, size);
        msg_len = (size_t)k + size;
    }
    for (int i = 0; i < publishers; i++) {
        fds[i] = adv_connect(port, 0);
        if (ws) {
            if (adv_ws_handshake(fds[i], "/ws") != 0) adv_fail("publisher %d: no 101", i);
            struct sub *s = &subs[nsubs++];           /* it receives events too: keep reading it */
            memset(s, 0, sizeof *s);
            s->fd = fds[i];
            s->ws = 1;
            s->open = 1;
        }
        send_all(fds[i], msg, msg_len - 1);
    }
    pump(300);                                        /* every partial event has arrived */
    for (int i = 0; i < publishers; i++) send_all(fds[i], msg + msg_len - 1, 1);
    if (!ws) {
        pump(2000);
        for (int i = 0; i < publishers; i++) close(fds[i]);
    }
    free(msg);
    free(payload);
}

static void scenario_burst(int ws)
{
    const char *name = ws ? "websocket" : "sse";
    const char *args_sse[] = {"-t", "0", "-o", "65536", NULL};
    const char *args_ws[] = {"-t", "0", "-o", "65536", "-m", "262144", NULL};
    struct test_server ts;
    if (server_start(&ts, name, ws ? args_ws : args_sse) != 0) { adv_fail("%s did not start", name); return; }
    struct http_conn h = {adv_connect(ts.port, 0), 0};
    int readers = ws ? 3 : 4, publishers = ws ? 4 : 16;
    for (int i = 0; i < readers; i++) sub_open(ts.port, ws, ws ? "/ws" : "/events", NULL, 0);
    wait_stats(&h, "subscribers", readers, SETTLE_MS);
    /* SSE: 64 KiB bodies (the largest publish); WebSocket: -m bytes of 0x01,
     * which JSON writes as \u0001: six bytes each. */
    burst(ts.port, ws, publishers, ws ? 262144 : 65536, ws ? 0x01 : 'x');
    long long deadline = adv_now_ms() + SETTLE_MS * adv_slowdown();
    int done = 0;
    while (!done && adv_now_ms() < deadline) {
        pump(20);
        done = 1;
        for (int i = 0; i < readers; i++) if (subs[i].events < publishers && !subs[i].closed) done = 0;
    }
    long drops = http_stats(&h, "drops");
    for (int i = 0; i < readers; i++)
        ADV_CHECK(subs[i].events == publishers && !subs[i].closed && subs[i].close_code == 0,
                  "%s burst: reader %d got %ld of %d events%s (close %u)", name, i, subs[i].events,
                  publishers, subs[i].closed ? ", then was closed" : "", subs[i].close_code);
    ADV_CHECK(drops == 0, "%s burst: %ld fast readers dropped", name, drops);
    printf("%-9s burst: %d publishers completed %zu-byte events at once, -o 65536: "
           "%d readers got %ld each, drops %ld\n", name, publishers, ws ? (size_t)262144 : (size_t)65536,
           readers, subs[0].events, drops);
    subs_close();
    close(h.fd);
    server_stop(&ts);
}

static void scenario_stopped(int ws)
{
    const char *name = ws ? "websocket" : "sse";
    const char *args[] = {"-t", "0", "-o", "65536", "-S", "400", NULL};
    struct test_server ts;
    if (server_start(&ts, name, args) != 0) { adv_fail("%s -S did not start", name); return; }
    struct http_conn h = {adv_connect(ts.port, 0), 0};
    struct sub *stopped = sub_open(ts.port, ws, ws ? "/ws" : "/events", NULL, 4096);
    stopped->open = 0;                                /* pump never reads it */
    wait_stats(&h, "subscribers", 1, SETTLE_MS);
    static char data[STOPPED_EVENT_BYTES];
    memset(data, 'y', sizeof data);
    long worst = 0;
    for (int i = 0; i < STOPPED_EVENTS; i++) {
        http_publish(&h, data, sizeof data);
        long q = http_stats(&h, "queued_bytes");
        if (q > worst || q < 0) worst = q;
        if (q < 0) break;
    }
    long long stopped_at = adv_now_ms();
    long drops = wait_stats(&h, "drops", 1, STALL_MS + 3000);
    long long took = adv_now_ms() - stopped_at;
    long bound = STOPPED_CAP + STOPPED_EVENT_BYTES + 64 + STOPPED_SLACK;
    ADV_CHECK(worst >= 0 && worst <= bound, "%s stopped: the server held %ld bytes for it (bound %ld)",
              name, worst, bound);
    ADV_CHECK(drops == 1, "%s stopped: drops %ld, want 1", name, drops);
    ADV_CHECK(took <= (STALL_MS + 1500) * adv_slowdown(), "%s stopped: dropped %lld ms after the last event",
              name, took);
    printf("%-9s stopped reader: held at most %ld bytes for it (bound %ld = cap + one event + slack), "
           "dropped %lld ms after the last event (-S %d)\n", name, worst, bound, took, STALL_MS);
    subs_close();
    close(h.fd);
    server_stop(&ts);
}

static void scenario_resume(int ws)
{
    const char *name = ws ? "websocket" : "sse";
    const char *big[] = {"-t", "0", "-o", "1024", "-m", "100", NULL};
    const char *small[] = {"-t", "0", "-o", "1024", "-m", "100", "-b", "10", NULL};
    for (int round = 0; round < 2; round++) {
        struct test_server ts;
        const char **args = round == 0 ? big : small;
        if (!ws) args[4] = NULL;                      /* -m is WebSocket's */
        if (!ws && round == 1) { args[4] = "-b"; args[5] = "10"; args[6] = NULL; }
        if (server_start(&ts, name, args) != 0) { adv_fail("%s did not start", name); continue; }
        struct http_conn h = {adv_connect(ts.port, 0), 0};
        static char data[2000];
        memset(data, 'r', sizeof data);
        for (int i = 0; i < 50; i++) http_publish(&h, data, sizeof data);
        const char *from = round == 0 ? "0" : "1";
        char target[64];
        snprintf(target, sizeof target, ws ? "/ws?since=%s" : "/events", from);
        char extra[64];
        snprintf(extra, sizeof extra, "Last-Event-ID: %s\r\n", from);
        struct sub *s = sub_open(ts.port, ws, target, ws ? NULL : extra, 0);
        long want = round == 0 ? 50 : 10;
        long long deadline = adv_now_ms() + SETTLE_MS * adv_slowdown();
        while (s->events < want && !s->closed && adv_now_ms() < deadline) pump(20);
        ADV_CHECK(s->events == want && !s->closed && s->out_of_order == 0,
                  "%s resume from %s at -o 1024: %ld of %ld events%s", name, from, s->events, want,
                  s->closed ? ", then closed" : "");
        ADV_CHECK(round == 0 ? s->gaps == 0 : s->gaps == 1, "%s resume from %s: %ld gap notices",
                  name, from, s->gaps);
        printf("%-9s resume from %s, 50 events of 2000 B, -o 1024%s: %ld events, %ld gap notice, %s\n", name,
               from, round ? ", -b 10" : "", s->events, s->gaps, s->closed ? "CLOSED" : "still open");
        subs_close();
        close(h.fd);
        server_stop(&ts);
    }
}

static void scenario_counters(int ws)
{
    const char *name = ws ? "websocket" : "sse";
    const char *args[] = {"-t", "0", "-o", "16384", "-S", "300", NULL};
    struct test_server ts;
    if (server_start(&ts, name, args) != 0) { adv_fail("%s -S did not start", name); return; }
    struct http_conn h = {adv_connect(ts.port, 0), 0};
    for (int i = 0; i < 2; i++) sub_open(ts.port, ws, ws ? "/ws" : "/events", NULL, 0);
    struct sub *stopped = sub_open(ts.port, ws, ws ? "/ws" : "/events", NULL, 4096);
    stopped->open = 0;
    wait_stats(&h, "subscribers", 3, SETTLE_MS);
    static char data[STOPPED_EVENT_BYTES];
    memset(data, 'c', sizeof data);
    for (int i = 0; i < STOPPED_EVENTS; i++) { http_publish(&h, data, sizeof data); pump(0); }
    long drops = wait_stats(&h, "drops", 1, STALL_MS + 3000);
    ADV_CHECK(drops == 1, "%s counters: the stopped reader was not dropped (%ld)", name, drops);
    stopped->open = 1;                                /* now read what reached its socket */
    long long deadline = adv_now_ms() + SETTLE_MS * adv_slowdown();
    while (!stopped->closed && adv_now_ms() < deadline) pump(20);
    pump(100);
    long events = 0;
    long long bytes = h.bytes;
    for (int i = 0; i < nsubs; i++) { events += subs[i].events; bytes += subs[i].bytes; }
    static const char req[] = "GET /stats HTTP/1.1\r\nHost: localhost\r\n\r\n";
    char body[2048];
    http_exchange(&h, req, sizeof req - 1, body, sizeof body);
    long deliveries = json_field(body, "deliveries"), bytes_out = json_field(body, "bytes_out");
    ADV_CHECK(deliveries == events, "%s counters: /stats deliveries %ld, the clients received %ld events",
              name, deliveries, events);
    ADV_CHECK(bytes_out == bytes, "%s counters: /stats bytes_out %ld, the clients received %lld bytes",
              name, bytes_out, bytes);
    printf("%-9s counters: deliveries %ld = %ld events received whole (the dropped one got %ld); "
           "bytes_out %ld = %lld bytes received\n", name, deliveries, events, stopped->events, bytes_out, bytes);
    subs_close();
    close(h.fd);
    server_stop(&ts);
}

int main(void)
{
    int missing = 0;
    for (int ws = 0; ws < 2; ws++) {
        if (!adv_have_server(ws ? "websocket" : "sse", &missing)) { missing = 1; continue; }
        scenario_burst(ws);
        scenario_stopped(ws);
        scenario_resume(ws);
        scenario_counters(ws);
    }
    printf("result: bursts, a stopped reader, resumes and counters on SSE and WebSocket, %d failures\n",
           adv_failures());
    return adv_exit(missing);
}
