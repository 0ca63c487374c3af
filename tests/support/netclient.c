/*
 * tests/support/netclient.c — drive a real server from a test; see
 * netclient.h. Blocking sockets with poll() deadlines: simple to read, and a
 * server that never answers fails the test instead of hanging it.
 */
#include "netclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Milliseconds on a monotonic clock. */
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait until fd is readable or the deadline passes; 1 readable, 0 not. */
static int wait_readable(int fd, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left < 0) left = 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r > 0) return 1;
        if (r == 0) return 0;
        if (errno != EINTR) return 0;
    }
}

int server_start(struct test_server *ts, const char *name, const char *const extra_args[])
{
    const char *bin = getenv("RTLAB_BIN");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", bin && *bin ? bin : "bin", name);
    int out[2];
    if (pipe(out) < 0) return -1;
    const char *argv[64] = {path, "-p", "0", "-q"};
    int argc = 4;
    for (int i = 0; extra_args && extra_args[i] && argc < 62; i++) argv[argc++] = extra_args[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);   /* a failed test never leaves its server behind */
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execv(path, (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    ts->pid = pid;
    ts->stdout_fd = out[0];
    ts->port = -1;
    char line[256];
    size_t len = 0;
    /* 5 s, or RTLAB_START_TIMEOUT_MS for slow runs (valgrind on a busy machine). */
    const char *wait = getenv("RTLAB_START_TIMEOUT_MS");
    long long deadline = now_ms() + (wait && atoi(wait) > 0 ? atoi(wait) : 5000);
    while (len < sizeof line - 1 && wait_readable(out[0], deadline)) {
        ssize_t n = read(out[0], line + len, 1);        /* byte by byte: stop at the newline */
        if (n <= 0) break;
        if (line[len++] == '\n') break;
    }
    line[len] = '\0';
    const char *colon = strrchr(line, ':');
    if (strncmp(line, "listening on http://", 20) != 0 || !colon) {
        fprintf(stderr, "%s did not say where it listens (got \"%s\")\n", path, line);
        server_stop(ts);
        return -1;
    }
    ts->port = atoi(colon + 1);
    return 0;
}

int server_stop(struct test_server *ts)
{
    int status = 0;
    if (ts->pid <= 0) return -1;
    kill(ts->pid, SIGTERM);
    long long deadline = now_ms() + 5000;
    pid_t r;
    while ((r = waitpid(ts->pid, &status, WNOHANG)) == 0 && now_ms() < deadline) usleep(10000);
    if (r == 0) {
        fprintf(stderr, "server %d ignored SIGTERM for 5 s; killing it\n", (int)ts->pid);
        kill(ts->pid, SIGKILL);
        waitpid(ts->pid, &status, 0);
    }
    if (ts->stdout_fd >= 0) close(ts->stdout_fd);
    ts->stdout_fd = -1;
    ts->pid = 0;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int send_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Bytes read past one response, kept per fd for the next read_reply. */
static struct {
    int fd;
    char data[1 << 17];
    size_t len;
} spill = {.fd = -1};

/* Take up to cap bytes left over for fd by an earlier read_reply. */
static size_t spill_take(int fd, char *buf, size_t cap)
{
    if (spill.fd != fd || spill.len == 0) return 0;
    size_t n = spill.len < cap ? spill.len : cap;
    memcpy(buf, spill.data, n);
    memmove(spill.data, spill.data + n, spill.len - n);
    spill.len -= n;
    return n;
}

size_t recv_until(int fd, char *buf, size_t cap, const char *needle, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    size_t len = spill_take(fd, buf, cap - 1);
    buf[len] = '\0';
    while (len < cap - 1) {
        if (needle && memmem(buf, len, needle, strlen(needle))) break;
        if (!wait_readable(fd, deadline)) break;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0) break;
        len += (size_t)n;
        buf[len] = '\0';
    }
    return len;
}

int wait_closed(int fd, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    char junk[4096];
    while (wait_readable(fd, deadline)) {
        ssize_t n = recv(fd, junk, sizeof junk, 0);
        if (n == 0) return 1;
        if (n < 0) return errno == ECONNRESET || errno == EPIPE;
    }
    return 0;
}

int read_reply(int fd, struct http_reply *r, int timeout_ms)
{
    static char raw[sizeof r->head + sizeof r->body];
    long long deadline = now_ms() + timeout_ms;
    r->status = -1;
    r->head[0] = r->body[0] = '\0';
    r->body_len = 0;
    size_t len = spill_take(fd, raw, sizeof raw);
    char *end = NULL;
    size_t head_len = 0, body_len = 0;
    for (;;) {
        if (!end && (end = memmem(raw, len, "\r\n\r\n", 4))) {
            head_len = (size_t)(end - raw) + 4;
            if (head_len >= sizeof r->head) return -1;
            memcpy(r->head, raw, head_len);
            r->head[head_len] = '\0';
            char value[32];
            body_len = reply_header(r, "Content-Length", value, sizeof value) ? strtoul(value, NULL, 10) : 0;
            if (body_len >= sizeof r->body) return -1;
        }
        if (end && len >= head_len + body_len) break;
        if (len == sizeof raw || !wait_readable(fd, deadline)) return -1;
        ssize_t n = recv(fd, raw + len, sizeof raw - len, 0);
        if (n <= 0) return -1;
        len += (size_t)n;
    }
    memcpy(r->body, raw + head_len, body_len);
    r->body[body_len] = '\0';
    r->body_len = body_len;
    size_t rest = len - head_len - body_len;              /* the next response, begun */
    if (rest > 0) {
        if (spill.fd != fd) spill.len = 0;
        spill.fd = fd;
        memmove(spill.data + rest, spill.data, spill.len);
        memcpy(spill.data, raw + head_len + body_len, rest);
        spill.len += rest;
    }
    if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) r->status = -1;
    return r->status;
}

const char *reply_header(const struct http_reply *r, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ' || *v == '\t') v++;
            const char *e = strstr(v, "\r\n");
            size_t len = e ? (size_t)(e - v) : strlen(v);
            if (len >= cap) len = cap - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return out;
        }
    }
    return NULL;
}

int http_once(int port, const char *request, struct http_reply *r)
{
    int fd = tcp_connect(port);
    if (fd < 0) return -1;
    int status = -1;
    if (send_all(fd, request, strlen(request)) == 0) status = read_reply(fd, r, 5000);
    close(fd);
    return status;
}

long publish_event(int port, const char *data)
{
    static struct http_reply r;
    char req[1 << 16];
    snprintf(req, sizeof req,
             "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(data), data);
    if (http_once(port, req, &r) != 200) return -1;
    const char *id = strstr(r.body, "\"id\":");
    return id ? atol(id + 5) : -1;
}

long stats_field(int port, const char *field)
{
    static struct http_reply r;
    if (http_once(port, "GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r) != 200)
        return -1;
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", field);
    const char *p = strstr(r.body, key);
    return p ? atol(p + strlen(key)) : -1;
}

/* ==== Slow readers ==== */

int net_connect_slow_reader(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

long wait_writes_stall(int port, long base, long total, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    long last = stats_field(port, "bytes_out");
    while (now_ms() < deadline) {
        usleep(30000);
        long now = stats_field(port, "bytes_out");
        if (now < 0) return -1;
        if (now - base >= total) return -1;            /* it all went: nothing partial */
        if (now - last < 2048) return now - base;      /* only /stats answers moved */
        last = now;
    }
    return -1;
}

int read_big_reply(int fd, char **body, size_t *len, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    size_t cap = 1 << 16, have = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return -1;
    long head_end = -1, want = -1;
    int status = -1;
    for (;;) {
        if (head_end < 0) {
            buf[have] = '\0';
            char *e = strstr(buf, "\r\n\r\n");
            if (e) {
                head_end = e + 4 - buf;
                char *cl = strcasestr(buf, "\r\nContent-Length:");
                if (!cl || cl > e || sscanf(buf, "HTTP/1.1 %d", &status) != 1) break;
                want = head_end + atol(cl + 17);
            }
        }
        if (want >= 0 && have >= (size_t)want) {
            memmove(buf, buf + head_end, have - (size_t)head_end);
            *len = have - (size_t)head_end;
            buf[*len] = '\0';
            *body = buf;
            return status;
        }
        if (have == cap) {
            char *bigger = realloc(buf, 2 * cap + 1);
            if (!bigger) break;
            buf = bigger;
            cap *= 2;
        }
        size_t room = cap - have;
        if (want >= 0 && (size_t)want - have < room) room = (size_t)want - have;   /* never past it */
        if (!wait_readable(fd, deadline)) break;
        ssize_t n = read(fd, buf + have, room);
        if (n <= 0) break;
        have += (size_t)n;
    }
    free(buf);
    return -1;
}
