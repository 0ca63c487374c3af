/*
 * tests/adversarial/half_close.c — a client that sends its request and
 * shuts its sending side (shutdown(SHUT_WR), what `nc` and many scripts do
 * after an HTTP/1.0 request) gets its whole answer, then a clean close
 * (issue 12, item 1; DESIGN.md "A half-closed client still gets everything
 * it was promised").
 *
 * EOF on a socket's reading side means "no more requests", never "stop
 * sending". On every server (a web root of our own with a BIG_BYTES file):
 *   - HTTP/1.0 GET of the big file, then SHUT_WR: every byte of it;
 *   - HTTP/1.1 keep-alive GET of the big file, then SHUT_WR: every byte,
 *     then the server closes (nothing more will be asked);
 *   - three pipelined requests in one write, then SHUT_WR: three answers;
 *   - GET /stats, then SHUT_WR: the answer;
 *   - polling and longpoll: 40 pipelined polls of ~240 KiB answers (10 MB
 *     that is not a file), then SHUT_WR: all 40 whole.
 * What counts as failure: a byte missing, a truncated body before the FIN,
 * or a connection still open DEADLINE_MS after its last answer. And the
 * decision for a request the server holds open (a parked long poll, an SSE
 * stream), which owes nothing yet when the FIN comes: it is let go at once
 * (see held_request).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adv.h"

enum {
    BIG_BYTES = 8 * 1024 * 1024,  /* more than the kernel buffers hold (tcp_wmem max 4 MiB) */
    DEADLINE_MS = 5000,
};

static const char *const names[] = {"polling", "longpoll", "sse", "websocket"};
static char root[] = "/tmp/rtlab-halfclose.XXXXXX";

/* The byte at offset i of the big file: a pattern, so a hole or a shift shows. */
static char pattern(size_t i)
{
    return (char)('a' + (i * 7 + i / 4093) % 26);
}

static void make_root(void)
{
    if (!mkdtemp(root)) { perror("mkdtemp"); exit(1); }
    char path[256];
    snprintf(path, sizeof path, "%s/big.bin", root);
    FILE *f = fopen(path, "w");
    for (size_t i = 0; i < BIG_BYTES; i++) fputc(pattern(i), f);
    fclose(f);
    snprintf(path, sizeof path, "%s/index.html", root);
    f = fopen(path, "w");
    fputs("<p>hello</p>\n", f);
    fclose(f);
}

static void remove_root(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/big.bin", root);
    unlink(path);
    snprintf(path, sizeof path, "%s/index.html", root);
    unlink(path);
    rmdir(root);
}

/* Read everything until EOF (or the deadline). Returns the bytes read into
 * a new buffer (*len), and sets *eof when the peer closed. */
static char *read_to_eof(int fd, size_t *len, int *eof, int deadline_ms)
{
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    *len = 0;
    *eof = 0;
    long long deadline = adv_now_ms() + deadline_ms * adv_slowdown();
    while (adv_now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        if (*len + 65536 > cap) buf = realloc(buf, cap *= 2);
        ssize_t n = recv(fd, buf + *len, 65536, 0);
        if (n > 0) { *len += (size_t)n; continue; }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        *eof = 1;
        break;
    }
    buf[*len < cap ? *len : cap - 1] = '\0';
    return buf;
}

/* Send request, SHUT_WR, read to EOF. The small receive window keeps most
 * of a big answer in the server's out queue when its EOF arrives. */
static char *half_closed_request(int port, const char *request, size_t *len, int *eof)
{
    int fd = adv_connect(port, 32768);      /* a small window: the answer cannot go in one write */
    if (fd < 0) return NULL;
    send_all(fd, request, strlen(request));
    shutdown(fd, SHUT_WR);
    char *got = read_to_eof(fd, len, eof, DEADLINE_MS);
    close(fd);
    return got;
}

/* The body after the head of one answer holds the big file exactly. */
static void check_big(const char *server, const char *what, const char *got, size_t len, int eof)
{
    const char *end = got ? strstr(got, "\r\n\r\n") : NULL;
    if (!end) { adv_fail("%s %s: no answer head (%zu bytes)", server, what, len); return; }
    size_t body = len - (size_t)(end + 4 - got);
    ADV_CHECK(strncmp(got, "HTTP/1.1 200", 12) == 0, "%s %s: not 200: %.40s", server, what, got);
    ADV_CHECK(body == BIG_BYTES, "%s %s: %zu of %d body bytes before the close", server, what,
              body, BIG_BYTES);
    for (size_t i = 0; i < body && i < BIG_BYTES; i++)
        if (end[4 + i] != pattern(i)) { adv_fail("%s %s: byte %zu is wrong", server, what, i); break; }
    ADV_CHECK(eof, "%s %s: not closed after the answer", server, what);
    printf("%-9s %-34s %zu body bytes, %s\n", server, what, body, eof ? "then closed" : "NOT closed");
}

/* How many answers start in got[0..len). */
static int count_answers(const char *got, size_t len)
{
    int n = 0;
    for (const char *p = got; p && p < got + len; p++) {
        p = strstr(p, "HTTP/1.1 ");
        if (!p) break;
        n++;
    }
    return n;
}

static void plain_answers(const char *server, int port)
{
    size_t len;
    int eof;
    char *got = half_closed_request(port, "GET /big.bin HTTP/1.0\r\n\r\n", &len, &eof);
    check_big(server, "HTTP/1.0 GET, SHUT_WR", got, len, eof);
    free(got);
    got = half_closed_request(port, "GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n", &len, &eof);
    check_big(server, "HTTP/1.1 keep-alive GET, SHUT_WR", got, len, eof);
    free(got);
    got = half_closed_request(port,
                              "GET /stats HTTP/1.1\r\nHost: localhost\r\n\r\n"
                              "GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
                              "GET /stats HTTP/1.1\r\nHost: localhost\r\n\r\n", &len, &eof);
    int n = got ? count_answers(got, len) : 0;
    ADV_CHECK(n == 3 && eof, "%s: 3 pipelined requests then SHUT_WR: %d answers%s", server, n,
              eof ? "" : ", not closed");
    printf("%-9s %-34s %d answers, %s\n", server, "3 pipelined, SHUT_WR", n, eof ? "then closed" : "NOT closed");
    free(got);
}

/* Answers that are not files (a file waits on EV_WRITE alone, so it would
 * hide an early EOF): POLLS pipelined GET /poll?since=0, each answer about
 * 240 KiB of events, then SHUT_WR. Every answer must arrive whole. */
static void pipelined_polls(const char *server, int port)
{
    enum { POLLS = 40 };
    static char data[60000];
    memset(data, 'p', sizeof data);
    data[sizeof data - 1] = '\0';
    for (int i = 0; i < 5; i++) publish_event(port, data);
    static char req[POLLS * 64];
    size_t n = 0;
    for (int i = 0; i < POLLS; i++)
        n += (size_t)snprintf(req + n, sizeof req - n, "GET /poll?since=0 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    size_t len;
    int eof;
    char *got = half_closed_request(port, req, &len, &eof);
    int whole = 0;
    size_t at = 0;
    while (got && at < len) {                     /* walk the answers by Content-Length */
        char *head_end = strstr(got + at, "\r\n\r\n");
        char *cl = strstr(got + at, "Content-Length: ");
        if (!head_end || !cl || cl > head_end) break;
        size_t body = (size_t)atol(cl + 16), end = (size_t)(head_end + 4 - got) + body;
        if (end > len) break;
        whole++;
        at = end;
    }
    ADV_CHECK(whole == POLLS && eof, "%s: %d pipelined polls then SHUT_WR: %d answers whole (%zu bytes)%s",
              server, POLLS, whole, len, eof ? "" : ", not closed");
    printf("%-9s %-34s %d answers whole, %zu bytes, %s\n", server, "40 pipelined 240 KiB polls, SHUT_WR",
           whole, len, eof ? "then closed" : "NOT closed");
    free(got);

    /* One HTTP/1.0 poll (240 KiB, under the pipelining pause) through a
     * 4 KiB window, read only after the server has seen the EOF: most of
     * the answer is still in its out queue then. */
    int fd = adv_connect(port, 4096);
    static const char one[] = "GET /poll?since=0 HTTP/1.0\r\n\r\n";
    send_all(fd, one, sizeof one - 1);
    shutdown(fd, SHUT_WR);
    usleep(300000);
    got = read_to_eof(fd, &len, &eof, DEADLINE_MS);
    close(fd);
    char *head_end = strstr(got, "\r\n\r\n"), *cl = strstr(got, "Content-Length: ");
    size_t want = head_end && cl ? (size_t)(head_end + 4 - got) + (size_t)atol(cl + 16) : 0;
    ADV_CHECK(want > 0 && len == want && eof, "%s: HTTP/1.0 poll through a 4 KiB window, SHUT_WR: "
              "%zu of %zu bytes%s", server, len, want, eof ? "" : ", not closed");
    printf("%-9s %-34s %zu of %zu bytes, %s\n", server, "HTTP/1.0 poll, 4 KiB window, SHUT_WR",
           len, want, eof ? "then closed" : "NOT closed");
    free(got);
}

/* A held request (a parked long poll, an SSE stream) whose client sends
 * its FIN: the server cannot tell a half-close from a client that left (a
 * browser never half-closes), and a parked request owes nothing yet, so it
 * is let go at once, as nginx ends such a request (499): closed, off the
 * subscribers, within DEADLINE_MS. A script that wants a long poll's answer
 * keeps its side open (curl does). */
static void held_request(const char *server, int port, const char *request)
{
    int fd = adv_connect(port, 0);
    send_all(fd, request, strlen(request));
    long long deadline = adv_now_ms() + DEADLINE_MS * adv_slowdown();
    while (stats_field(port, "subscribers") < 1 && adv_now_ms() < deadline) usleep(2000);
    ADV_CHECK(stats_field(port, "subscribers") == 1, "%s: the request was not held", server);
    shutdown(fd, SHUT_WR);
    while (stats_field(port, "subscribers") > 0 && adv_now_ms() < deadline) usleep(2000);
    long left = stats_field(port, "subscribers");
    ADV_CHECK(left == 0, "%s: a held request whose client sent FIN is still held", server);
    ADV_CHECK(wait_closed(fd, DEADLINE_MS), "%s: a held request whose client sent FIN was not closed", server);
    printf("%-9s %-34s %s\n", server, "held request, then SHUT_WR", left == 0 ? "let go at once" : "STILL HELD");
    close(fd);
}

int main(void)
{
    make_root();
    int missing = 0;
    const char *args[] = {"-t", "0", "-w", root, NULL};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!adv_have_server(names[i], &missing)) { missing = 1; continue; }
        struct test_server ts;
        if (server_start(&ts, names[i], args) != 0) { adv_fail("%s did not start", names[i]); continue; }
        plain_answers(names[i], ts.port);
        if (strcmp(names[i], "polling") == 0 || strcmp(names[i], "longpoll") == 0)
            pipelined_polls(names[i], ts.port);
        if (strcmp(names[i], "longpoll") == 0) {
            char poll[96];
            snprintf(poll, sizeof poll, "GET /poll?since=%ld&timeout=20 HTTP/1.0\r\n\r\n",
                     stats_field(ts.port, "newest_id"));
            held_request(names[i], ts.port, poll);
        }
        if (strcmp(names[i], "sse") == 0)
            held_request(names[i], ts.port, "GET /events HTTP/1.0\r\n\r\n");
        int rc = server_stop(&ts);
        ADV_CHECK(rc == 0, "%s exited %d", names[i], rc);
    }
    remove_root();
    printf("result: half-closed clients on every server, %d failures\n", adv_failures());
    return adv_exit(missing);
}
