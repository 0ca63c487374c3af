/*
 * tests/adversarial/memory.c — a server's memory has a budget, and the
 * written bound holds (issue 12, items 4 and 5; core/README.md "The
 * worst-case memory of a server").
 *
 *   feed      SSE and WebSocket, -B 8 MiB, -b 100000 (the count alone would
 *             keep everything), -o 256 KiB: STOPPED subscribers that never
 *             read, then a flood of FLOOD publishes of 64 KiB of bytes that
 *             JSON writes sixfold (each event holds ~0.8 MiB: its data, its
 *             JSON form and its frame; 160 MiB in all without a budget).
 *             /stats feed_bytes never passes feed_budget, old events leave
 *             (oldest_id moves), each kept event holds its data and the one
 *             encoding its server sends (JSON is made only when needed), and the server's RSS grows by less than
 *             the bound of core/README.md: the budget, plus each connection's
 *             window and one event, plus SLACK_MB for the allocator.
 *   static    a web root with an 8 MiB and a 32 MiB file. A reader gets the
 *             32 MiB file whole (any size is served); 20 clients with 4 KiB
 *             windows ask for the 8 MiB one and never read: RSS grows by
 *             less than STATIC_BOUND_MB (a file is streamed from its
 *             descriptor, never held); HEAD of the 8 MiB file reads less than
 *             64 KiB of files (/proc/PID/io rchar: HEAD does not read it).
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
    BUDGET = 8 << 20,
    CAP = 256 << 10,
    EVENT = 65536,
    FLOOD = 200,
    STOPPED = 20,
    SLACK_MB = 16,
    STATIC_CLIENTS = 20,
    STATIC_BOUND_MB = 8,
    SAN_FACTOR = 8,            /* ASan's quarantine, valgrind's own memory */
};

static long rchar(pid_t pid)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %ld", &v) == 1) break;
    fclose(f);
    return v;
}

/* POST body as an event on the keep-alive connection fd; 0 when answered 200. */
static int publish_on(int fd, const char *body, size_t n)
{
    char head[128];
    int k = snprintf(head, sizeof head, "POST /publish HTTP/1.1\r\nHost: localhost\r\nContent-Length: %zu\r\n\r\n", n);
    if (send_all(fd, head, (size_t)k) < 0 || send_all(fd, body, n) < 0) return -1;
    static struct http_reply r;
    return read_reply(fd, &r, 5000 * adv_slowdown()) == 200 ? 0 : -1;
}

static void feed_budget(const char *name, int ws)
{
    char budget[32], cap[32];
    snprintf(budget, sizeof budget, "%d", BUDGET);
    snprintf(cap, sizeof cap, "%d", CAP);
    const char *args[] = {"-t", "0", "-B", budget, "-b", "100000", "-o", cap, NULL};
    struct test_server ts;
    if (server_start(&ts, name, args) != 0) { adv_fail("%s -B did not start", name); return; }
    int stopped[STOPPED];
    for (int i = 0; i < STOPPED; i++) {
        stopped[i] = adv_connect(ts.port, 4096);
        if (ws) adv_ws_handshake(stopped[i], "/ws");
        else adv_sse_open(stopped[i], "/events", NULL);
    }
    long rss0 = adv_rss_kb(ts.pid), peak = rss0, worst_feed = 0;
    long budget_seen = stats_field(ts.port, "feed_budget");
    static char body[EVENT];
    memset(body, 0x01, sizeof body);                 /* \u0001 in JSON: six bytes each */
    int pub = adv_connect(ts.port, 0);
    for (int i = 0; i < FLOOD; i++) {
        if (publish_on(pub, body, sizeof body) < 0) { adv_fail("%s: publish %d failed", name, i); break; }
        if (i % 10 == 9) {
            long fb = stats_field(ts.port, "feed_bytes"), rss = adv_rss_kb(ts.pid);
            if (fb > worst_feed || fb < 0) worst_feed = fb;
            if (rss > peak) peak = rss;
        }
    }
    long oldest = stats_field(ts.port, "oldest_id");
    long kept = stats_field(ts.port, "newest_id") - oldest + 1;
    long per_event = kept > 0 ? stats_field(ts.port, "feed_bytes") / kept : -1;
    /* Held once: the data and the one encoding this server sends (SSE: the
     * block, about the data again; WebSocket: the frame, six times it), never
     * data + JSON + frame (thirteen times). */
    long once = ws ? 7L * EVENT + 512 : 2L * EVENT + 512;
    /* core/README.md: budget + connections x (window + one event) + their state. */
    long event_kb = (EVENT + 6L * EVENT + 6L * EVENT + 256) / 1024;
    long bound_mb = (BUDGET >> 20) + (STOPPED * (CAP / 1024 + event_kb)) / 1024 + SLACK_MB;
    if (adv_sanitized() || adv_slowdown() >= 10) bound_mb *= SAN_FACTOR;   /* ASan, valgrind */
    double grew_mb = (double)(peak - rss0) / 1024;
    printf("%-9s feed: %d events of %d bytes (%.0f MiB held without a budget), %d stopped readers: "
           "feed_bytes at most %ld (budget %ld), oldest kept %ld, %ld bytes an event, RSS grew %.1f MB (bound %ld MB)\n",
           name, FLOOD, EVENT, FLOOD * 13.0 * EVENT / (1 << 20), STOPPED, worst_feed, budget_seen, oldest,
           per_event, grew_mb, bound_mb);
    ADV_CHECK(budget_seen == BUDGET, "%s: /stats feed_budget %ld, want %d", name, budget_seen, BUDGET);
    ADV_CHECK(worst_feed > 0 && worst_feed <= BUDGET, "%s: feed_bytes %ld over the budget %d", name,
              worst_feed, BUDGET);
    ADV_CHECK(oldest > 1, "%s: nothing left the feed (oldest %ld)", name, oldest);
    ADV_CHECK(per_event > 0 && per_event <= once, "%s: each kept event holds %ld bytes (its bytes once: <= %ld)",
              name, per_event, once);
    ADV_CHECK(grew_mb < bound_mb, "%s: RSS grew %.1f MB, bound %ld MB", name, grew_mb, bound_mb);
    close(pub);
    for (int i = 0; i < STOPPED; i++) close(stopped[i]);
    ADV_CHECK(server_stop(&ts) == 0, "%s did not exit 0", name);
}

static char root[] = "/tmp/rtlab-memory.XXXXXX";

static void make_file(const char *name, size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, name);
    FILE *f = fopen(path, "w");
    for (size_t i = 0; i < size; i++) fputc('a' + (int)(i % 23), f);
    fclose(f);
}

static void remove_file(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, name);
    unlink(path);
}

/* GET (or HEAD) target and read the whole answer; returns the body bytes
 * (Content-Length honoured), -1 when it is not 200. */
static long long fetch(int port, const char *method, const char *target)
{
    int fd = adv_connect(port, 0);
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                     method, target);
    send_all(fd, req, (size_t)n);
    static char buf[1 << 16];
    long long total = 0, head = -1;
    long long deadline = adv_now_ms() + 20000 * adv_slowdown();
    char first[16] = "";
    while (adv_now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t r = recv(fd, buf, sizeof buf - 1, 0);
        if (r <= 0) break;
        if (head < 0) {
            buf[r] = '\0';
            memcpy(first, buf, 12);
            char *e = strstr(buf, "\r\n\r\n");
            if (e) head = (e + 4 - buf);
        }
        total += r;
    }
    close(fd);
    if (strncmp(first, "HTTP/1.1 200", 12) != 0) return -1;
    return total - (head < 0 ? 0 : head);
}

static void static_files(void)
{
    if (!mkdtemp(root)) { adv_fail("mkdtemp"); return; }
    make_file("eight.bin", 8u << 20);
    make_file("big.bin", 32u << 20);
    const char *args[] = {"-t", "0", "-w", root, NULL};
    struct test_server ts;
    if (server_start(&ts, "sse", args) != 0) { adv_fail("sse -w did not start"); goto out; }
    long long got = fetch(ts.port, "GET", "/big.bin");
    ADV_CHECK(got == 32LL << 20, "static: GET of a 32 MiB file gave %lld body bytes", got);

    long rss0 = adv_rss_kb(ts.pid), peak = rss0;
    int fds[STATIC_CLIENTS];
    static const char req[] = "GET /eight.bin HTTP/1.1\r\nHost: localhost\r\n\r\n";
    for (int i = 0; i < STATIC_CLIENTS; i++) {
        fds[i] = adv_connect(ts.port, 4096);
        send_all(fds[i], req, sizeof req - 1);
    }
    for (int k = 0; k < 20; k++) {                   /* a second for every answer to start */
        usleep(50000);
        long rss = adv_rss_kb(ts.pid);
        if (rss > peak) peak = rss;
    }
    double grew = (double)(peak - rss0) / 1024;
    long bound = adv_sanitized() || adv_slowdown() >= 10 ? STATIC_BOUND_MB * SAN_FACTOR : STATIC_BOUND_MB;
    ADV_CHECK(grew < bound, "static: %d clients not reading an 8 MiB file: RSS grew %.1f MB (bound %ld)",
              STATIC_CLIENTS, grew, bound);
    for (int i = 0; i < STATIC_CLIENTS; i++) close(fds[i]);

    long r0 = rchar(ts.pid);
    long long head_body = fetch(ts.port, "HEAD", "/eight.bin");
    long read_bytes = rchar(ts.pid) - r0;
    ADV_CHECK(head_body == 0, "static: HEAD gave %lld body bytes", head_body);
    ADV_CHECK(r0 >= 0 && read_bytes < 65536, "static: HEAD of an 8 MiB file read %ld bytes", read_bytes);
    printf("static    GET of 32 MiB: %lld bytes; %d clients not reading 8 MiB: RSS grew %.1f MB (bound %ld); "
           "HEAD read %ld bytes\n", got, STATIC_CLIENTS, grew, bound, read_bytes);
    ADV_CHECK(server_stop(&ts) == 0, "sse did not exit 0");
out:
    remove_file("eight.bin");
    remove_file("big.bin");
    rmdir(root);
}

int main(void)
{
    int missing = 0;
    if (adv_have_server("sse", &missing)) {
        feed_budget("sse", 0);
        static_files();
    }
    if (adv_have_server("websocket", &missing)) feed_budget("websocket", 1);
    printf("result: the feed budget and streamed files hold the memory bound, %d failures\n", adv_failures());
    return adv_exit(missing);
}
