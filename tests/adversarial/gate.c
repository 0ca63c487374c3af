/*
 * tests/adversarial/gate.c — no one let in where they don't belong, and
 * the timeouts set by flags (issue 12, items 7 and 8; core/guard.c).
 *
 * On every server, started with -k TOKEN -H 300 -I 400:
 *   - POST /publish without Authorization, or with a wrong token: 401 with
 *     WWW-Authenticate: Bearer; with "Authorization: Bearer TOKEN": 200;
 *   - Host: a name in public DNS (DNS rebinding: evil.example, also in
 *     absolute form) on the loopback-bound server: 421; localhost:PORT,
 *     127.0.0.1:PORT, [::1], a single label: served;
 *   - a head begun and never finished: 408 and closed 300 ms after its first
 *     byte (-H), not 5 s;
 *   - an idle keep-alive connection: closed 400 ms after its answer (-I).
 * On WebSocket: an upgrade from Origin http://evil.example is 403; from a
 * loopback origin (the demo page on another port), its own origin, or with
 * no Origin: 101. With -O http://good.example: that one passes, a loopback
 * origin does not, its own origin still does. With -k, a text message from
 * a client whose upgrade had no token is closed 1008, one with ?token=
 * is published. On SSE: -K 100 sends a keep-alive comment every 100 ms.
 * Behind a reverse proxy, -A NAME lets that one name in, and no other.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adv.h"

#define TOKEN "s3cret-token"

static const char *const names[] = {"polling", "longpoll", "sse", "websocket"};

/* Send request on a fresh connection, read one answer; status, head in r. */
static int ask(int port, const char *request, struct http_reply *r)
{
    return http_once(port, request, r);
}

static void publish_token(const char *name, int port)
{
    static struct http_reply r;
    char hdr[64];
    int s = ask(port, "POST /publish HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi", &r);
    ADV_CHECK(s == 401, "%s: publish without a token: %d, want 401", name, s);
    ADV_CHECK(reply_header(&r, "WWW-Authenticate", hdr, sizeof hdr) && strncmp(hdr, "Bearer", 6) == 0,
              "%s: 401 without WWW-Authenticate: Bearer", name);
    s = ask(port, "POST /publish HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer wrong\r\n"
                  "Content-Length: 2\r\n\r\nhi", &r);
    ADV_CHECK(s == 401, "%s: publish with a wrong token: %d, want 401", name, s);
    s = ask(port, "POST /publish HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " TOKEN "\r\n"
                  "Content-Length: 2\r\n\r\nhi", &r);
    ADV_CHECK(s == 200, "%s: publish with the token: %d, want 200", name, s);
    ADV_CHECK(stats_field(port, "events") == 1, "%s: %ld events published, want 1", name,
              stats_field(port, "events"));
}

static void host_check(const char *name, int port)
{
    static struct http_reply r;
    char req[512];
    static const char *const refused[] = {"evil.example", "evil.example:8001", "attacker.example.com"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        snprintf(req, sizeof req, "GET /stats HTTP/1.1\r\nHost: %s\r\n\r\n", refused[i]);
        int s = ask(port, req, &r);
        ADV_CHECK(s == 421, "%s: Host %s: %d, want 421", name, refused[i], s);
    }
    int s = ask(port, "GET http://evil.example/stats HTTP/1.1\r\nHost: localhost\r\n\r\n", &r);
    ADV_CHECK(s == 421, "%s: absolute-form http://evil.example/: %d, want 421", name, s);
    char allowed[4][64];
    snprintf(allowed[0], 64, "localhost:%d", port);
    snprintf(allowed[1], 64, "127.0.0.1:%d", port);
    snprintf(allowed[2], 64, "[::1]:%d", port);
    snprintf(allowed[3], 64, "myhost");
    for (int i = 0; i < 4; i++) {
        snprintf(req, sizeof req, "GET /stats HTTP/1.1\r\nHost: %s\r\n\r\n", allowed[i]);
        s = ask(port, req, &r);
        ADV_CHECK(s == 200, "%s: Host %s: %d, want 200", name, allowed[i], s);
    }
}

/* A head never finished: 408 and closed after -H. */
static void head_deadline(const char *name, int port, int head_ms)
{
    int fd = adv_connect(port, 0);
    static const char part[] = "GET /stats HTTP/1.1\r\nHost: local";
    long long t0 = adv_now_ms();
    send_all(fd, part, sizeof part - 1);
    char buf[512];
    recv_until(fd, buf, sizeof buf, "\r\n\r\n", 5000 * adv_slowdown());
    long long took = adv_now_ms() - t0;
    ADV_CHECK(strncmp(buf, "HTTP/1.1 408", 12) == 0, "%s: unfinished head: %.20s, want 408", name, buf);
    ADV_CHECK(took >= head_ms - 20 && took <= head_ms + 700 * adv_slowdown(),
              "%s: 408 after %lld ms at -H %d", name, took, head_ms);
    printf("%-9s -H %d: an unfinished head answered 408 after %lld ms\n", name, head_ms, took);
    close(fd);
}

/* An idle keep-alive connection: closed after -I. */
static void idle_timeout(const char *name, int port, int idle_ms)
{
    int fd = adv_connect(port, 0);
    static const char req[] = "GET /stats HTTP/1.1\r\nHost: localhost\r\n\r\n";
    send_all(fd, req, sizeof req - 1);
    static struct http_reply r;
    ADV_CHECK(read_reply(fd, &r, 3000) == 200, "%s: /stats not answered", name);
    long long t0 = adv_now_ms();
    int closed = wait_closed(fd, 5000 * adv_slowdown());
    long long took = adv_now_ms() - t0;
    ADV_CHECK(closed && took >= idle_ms - 20 && took <= idle_ms + 700 * adv_slowdown(),
              "%s: idle keep-alive %s after %lld ms at -I %d", name, closed ? "closed" : "NOT closed", took, idle_ms);
    printf("%-9s -I %d: an idle keep-alive connection closed after %lld ms\n", name, idle_ms, took);
    close(fd);
}

/* A WebSocket upgrade with this Origin line (or none); returns the status. */
static int upgrade(int port, const char *target, const char *origin, int *fd_out)
{
    int fd = adv_connect(port, 0);
    char req[512], head[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: localhost:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                     target, port, origin ? "Origin: " : "", origin ? origin : "", origin ? "\r\n" : "");
    send_all(fd, req, (size_t)n);
    recv_until(fd, head, sizeof head, "\r\n\r\n", 3000 * adv_slowdown());
    if (fd_out) *fd_out = fd;
    else close(fd);
    return strncmp(head, "HTTP/1.1 ", 9) == 0 ? atoi(head + 9) : -1;
}

static void origin_check(int port, int listed)
{
    char own[64], loop[64];
    snprintf(own, sizeof own, "http://localhost:%d", port);
    snprintf(loop, sizeof loop, "http://127.0.0.1:%d", port == 8001 ? 8002 : 8001);
    struct { const char *origin; int want; } cases[] = {
        {"http://evil.example", 403},
        {"null", 403},
        {own, 101},
        {loop, listed ? 403 : 101},
        {NULL, 101},
        {"http://good.example", listed ? 101 : 403},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int s = upgrade(port, "/ws", cases[i].origin, NULL);
        ADV_CHECK(s == cases[i].want, "websocket%s: Origin %s: %d, want %d", listed ? " -O" : "",
                  cases[i].origin ? cases[i].origin : "(none)", s, cases[i].want);
    }
    printf("websocket Origin%s: a foreign origin 403, %s\n", listed ? " with -O http://good.example" : "",
           listed ? "the listed one and its own 101, loopback 403" : "its own, loopback and none 101");
}

/* A masked text frame (zero mask key). */
static void send_text(int fd, const char *text)
{
    unsigned char f[256];
    size_t n = strlen(text);
    f[0] = 0x81;
    f[1] = (unsigned char)(0x80 | n);
    memset(f + 2, 0, 4);
    memcpy(f + 6, text, n);
    send_all(fd, f, 6 + n);
}

static void ws_token(int port)
{
    int fd;
    ADV_CHECK(upgrade(port, "/ws", NULL, &fd) == 101, "websocket -k: upgrade refused");
    long before = stats_field(port, "events");
    send_text(fd, "no token");
    unsigned char buf[256];
    size_t n = recv_until(fd, (char *)buf, sizeof buf, NULL, 2000 * adv_slowdown());
    unsigned code = 0;
    for (size_t i = 0; i + 3 < n; i++)
        if (buf[i] == 0x88) { code = (unsigned)buf[i + 2] << 8 | buf[i + 3]; break; }
    ADV_CHECK(code == 1008, "websocket -k: a message without the token: close %u, want 1008", code);
    ADV_CHECK(stats_field(port, "events") == before, "websocket -k: a message without the token was published");
    close(fd);
    ADV_CHECK(upgrade(port, "/ws?token=" TOKEN, NULL, &fd) == 101, "websocket -k: upgrade with ?token refused");
    send_text(fd, "with token");
    long long deadline = adv_now_ms() + 2000 * adv_slowdown();
    while (stats_field(port, "events") == before && adv_now_ms() < deadline) usleep(5000);
    ADV_CHECK(stats_field(port, "events") == before + 1, "websocket -k: a message with ?token= was not published");
    close(fd);
}

static void sse_keepalive(void)
{
    const char *args[] = {"-t", "0", "-K", "100", NULL};
    struct test_server ts;
    if (server_start(&ts, "sse", args) != 0) { adv_fail("sse -K did not start"); return; }
    int fd = adv_connect(ts.port, 0);
    adv_sse_open(fd, "/events", NULL);
    char buf[4096];
    size_t n = recv_until(fd, buf, sizeof buf, NULL, 550);
    int count = 0;
    for (const char *p = buf; (p = strstr(p, ": keep-alive")); p++) count++;
    ADV_CHECK(count >= 3 && count <= 7, "sse -K 100: %d keep-alive comments in 550 ms (%zu bytes)", count, n);
    printf("sse       -K 100: %d keep-alive comments in 550 ms\n", count);
    close(fd);
    server_stop(&ts);
}

int main(void)
{
    int missing = 0;
    const char *args[] = {"-t", "0", "-k", TOKEN, "-H", "300", "-I", "400", NULL};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!adv_have_server(names[i], &missing)) { missing = 1; continue; }
        struct test_server ts;
        if (server_start(&ts, names[i], args) != 0) { adv_fail("%s -k -H -I did not start", names[i]); continue; }
        publish_token(names[i], ts.port);
        host_check(names[i], ts.port);
        head_deadline(names[i], ts.port, 300);
        idle_timeout(names[i], ts.port, 400);
        if (strcmp(names[i], "websocket") == 0) {
            origin_check(ts.port, 0);
            ws_token(ts.port);
        }
        ADV_CHECK(server_stop(&ts) == 0, "%s did not exit 0", names[i]);
    }
    if (adv_have_server("websocket", &missing)) {
        const char *listed[] = {"-t", "0", "-O", "http://good.example,http://other.example", NULL};
        struct test_server ts;
        if (server_start(&ts, "websocket", listed) == 0) {
            origin_check(ts.port, 1);
            server_stop(&ts);
        } else {
            adv_fail("websocket -O did not start");
        }
    }
    if (adv_have_server("polling", &missing)) {       /* behind a reverse proxy: -A its name */
        const char *proxied[] = {"-t", "0", "-A", "rtlab.example,other.example", NULL};
        struct test_server ts;
        if (server_start(&ts, "polling", proxied) == 0) {
            static struct http_reply r;
            int s1 = ask(ts.port, "GET /stats HTTP/1.1\r\nHost: rtlab.example\r\n\r\n", &r);
            int s2 = ask(ts.port, "GET /stats HTTP/1.1\r\nHost: evil.example\r\n\r\n", &r);
            ADV_CHECK(s1 == 200 && s2 == 421, "polling -A rtlab.example: Host rtlab.example %d (want 200), "
                      "evil.example %d (want 421)", s1, s2);
            server_stop(&ts);
        } else {
            adv_fail("polling -A did not start");
        }
    }
    if (adv_have_server("sse", &missing)) sse_keepalive();
    printf("result: token, Host, Origin and the timeout flags on every server, %d failures\n", adv_failures());
    return adv_exit(missing);
}
