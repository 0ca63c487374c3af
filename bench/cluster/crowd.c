/*
 * bench/cluster/crowd.c — a crowd of idle SSE subscribers that times ONE event.
 *
 *   crowd -u http://127.0.0.1:PORT/ -c CLIENTS -n NET [-W SECONDS] [-H SECONDS]
 *
 * loadgen publishes its own events and times only those, so several loadgen
 * processes on one shared feed would count each other's events as repeats.
 * A crowd publishes nothing. It opens CLIENTS streams (GET /events) to one
 * server, from source addresses 127.NET.x.y (one per 250 clients, so several
 * crowds never share an address and no address runs out of ports), prints
 * "subscribed N" once all are open, then waits for the first event whose
 * data carries "t=NANOSECONDS" (CLOCK_MONOTONIC, as loadgen's payloads do:
 * the same clock in every process of the machine) and records, for each
 * subscriber, when that event reached it. Then one JSON line:
 *
 *   {"clients":N,"subscribed":N,"received":N,"p50_ms":..,"p99_ms":..,
 *    "max_ms":..,"first_ms":..}
 *
 * where the times are arrival minus the t= in the event: max_ms is when the
 * last subscriber of this crowd had it. bench/cluster/run.sh starts one
 * crowd per server instance and publishes the event once every crowd is
 * subscribed. With -H, the crowd then holds its streams open for up to
 * that many seconds (or until SIGTERM), so that the servers' CPU can be read
 * for the fan-out alone, before 100 000 closes add their own. Everything
 * is bounded: connects (-W, default 60 s), the wait for the event (30 s
 * after "subscribed") and the hold.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* ==== Constants and state ==== */

enum { MAX_CLIENTS = 100000, IN_FLIGHT = 256, CARRY = 256 };

enum { S_CONNECTING, S_HEAD, S_STREAM, S_DONE, S_DEAD };

struct sub {
    int fd;
    unsigned char state;
    unsigned short carry_len;     /* bytes of a partial line kept from the last read */
    char carry[CARRY];
};

static struct sub *subs;
static int clients, net_octet = 20, epfd;
static struct sockaddr_in server;
static char host[64];
static int connecting, subscribed, received, dead, started;
static double *latency_ms;       /* one per subscriber that got the event */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ==== Connections ==== */

/* Open subscriber i from 127.NET.(i / 250).(i % 250 + 1). */
static void sub_connect(int i)
{
    struct sub *s = &subs[i];
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) { s->state = S_DEAD; dead++; return; }
    int one = 1;
    setsockopt(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in src = { .sin_family = AF_INET };
    src.sin_addr.s_addr = htonl((127u << 24) | ((uint32_t)net_octet << 16)
                                | ((uint32_t)(i / 250) % 256) << 8 | (uint32_t)(i % 250 + 1));
    if (bind(s->fd, (struct sockaddr *)&src, sizeof src) < 0
        || (connect(s->fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS)) {
        close(s->fd); s->fd = -1; s->state = S_DEAD; dead++; return;
    }
    s->state = S_CONNECTING;
    connecting++;
    struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i };
    epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev);
}

static void sub_fail(struct sub *s)
{
    if (s->state == S_CONNECTING || s->state == S_HEAD) connecting--;
    if (s->state == S_STREAM) subscribed--;
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    s->state = S_DEAD;
    dead++;
}

/* The connect finished: send the request, wait for the head. */
static void sub_send(struct sub *s)
{
    char req[256];
    int n = snprintf(req, sizeof req, "GET /events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", host);
    if (write(s->fd, req, (size_t)n) != n) { sub_fail(s); return; }
    s->state = S_HEAD;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)(s - subs) };
    epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

/* Look for "t=DIGITS" on a "data:" line in p[0..n); returns the ns or 0. */
static uint64_t event_time(const char *p, size_t n)
{
    for (size_t i = 0; i + 7 < n; i++) {
        if ((i == 0 || p[i - 1] == '\n') && memcmp(p + i, "data:", 5) == 0) {
            const char *line = p + i, *end = memchr(line, '\n', n - i);
            if (!end) return 0;                       /* the line is not complete yet */
            for (const char *q = line; q + 2 < end; q++)
                if (q[0] == 't' && q[1] == '=' && q[2] >= '0' && q[2] <= '9')
                    return strtoull(q + 2, NULL, 10);
        }
    }
    return 0;
}

/* Bytes arrived on a subscriber's stream. */
static void sub_read(struct sub *s, uint64_t at)
{
    char buf[4096 + CARRY];
    memcpy(buf, s->carry, s->carry_len);
    ssize_t r = read(s->fd, buf + s->carry_len, 4096);
    if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
        sub_fail(s);
        return;
    }
    size_t n = s->carry_len + (size_t)r;
    if (s->state == S_HEAD) {
        if (n < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0) { sub_fail(s); return; }
        s->state = S_STREAM;
        connecting--;
        subscribed++;
    }
    if (s->state == S_STREAM) {
        uint64_t t = event_time(buf, n);
        if (t) {
            latency_ms[received++] = at > t ? (double)(at - t) / 1e6 : 0;
            s->state = S_DONE;
            return;
        }
    }
    /* Keep the tail of the last (maybe partial) line for the next read. */
    const char *nl = NULL;
    for (size_t i = n; i > 0; i--) if (buf[i - 1] == '\n') { nl = buf + i; break; }
    size_t keep = nl ? (size_t)(buf + n - nl) : n;
    if (keep > CARRY) keep = 0;                       /* a line this long is not ours */
    memmove(s->carry, buf + n - keep, keep);
    s->carry_len = (unsigned short)keep;
}

/* ==== main ==== */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int parse_args(int argc, char **argv, double *connect_s, unsigned *hold_s)
{
    const char *url = NULL;
    int o;
    while ((o = getopt(argc, argv, "u:c:n:W:H:")) != -1) {
        switch (o) {
        case 'u': url = optarg; break;
        case 'c': clients = atoi(optarg); break;
        case 'n': net_octet = atoi(optarg); break;
        case 'W': *connect_s = atof(optarg); break;
        case 'H': *hold_s = (unsigned)atoi(optarg); break;
        default: return -1;
        }
    }
    int port = 0;
    if (!url || sscanf(url, "http://%63[0-9.]:%d", host, &port) != 2 || port <= 0 || port > 65535
        || clients < 1 || clients > MAX_CLIENTS || net_octet < 1 || net_octet > 254 || *hold_s > 600) {
        fprintf(stderr, "usage: crowd -u http://127.0.0.1:PORT/ -c CLIENTS(1..%d) -n NET(1..254) [-W SECONDS]"
                " [-H SECONDS(0..600)]\n", MAX_CLIENTS);
        return -1;
    }
    server.sin_family = AF_INET;
    server.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &server.sin_addr) != 1) return -1;
    return 0;
}

int main(int argc, char **argv)
{
    double connect_s = 60;
    unsigned hold_s = 0;
    if (parse_args(argc, argv, &connect_s, &hold_s) < 0) return 2;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)clients + 16) {
        fprintf(stderr, "crowd: LIMIT: %d clients need %d descriptors; RLIMIT_NOFILE allows %llu\n",
                clients, clients + 16, (unsigned long long)rl.rlim_cur);
        return 1;
    }
    subs = calloc((size_t)clients, sizeof *subs);
    latency_ms = calloc((size_t)clients, sizeof *latency_ms);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!subs || !latency_ms || epfd < 0) return 1;

    uint64_t start = now_ns(), deadline = start + (uint64_t)(connect_s * 1e9), said_at = 0;
    struct epoll_event evs[512];
    for (;;) {
        while (started < clients && connecting < IN_FLIGHT) sub_connect(started++);
        int n = epoll_wait(epfd, evs, 512, 20);
        uint64_t at = now_ns();
        for (int k = 0; k < n; k++) {
            struct sub *s = &subs[evs[k].data.u32];
            if (s->state == S_CONNECTING) {
                if (evs[k].events & (EPOLLERR | EPOLLHUP)) sub_fail(s);
                else sub_send(s);
            } else if (s->state == S_HEAD || s->state == S_STREAM) {
                sub_read(s, at);
            }
        }
        if (!said_at && started == clients && connecting == 0) {
            printf("subscribed %d\n", subscribed);
            fflush(stdout);
            said_at = at;
        }
        if (!said_at && at > deadline) {
            printf("subscribed %d\n", subscribed);   /* go on with those we have */
            fflush(stdout);
            said_at = at;
        }
        if (said_at && (received >= subscribed || at > said_at + 30000000000ull)) break;
    }
    qsort(latency_ms, (size_t)received, sizeof *latency_ms, cmp_double);
    double p50 = received ? latency_ms[received / 2] : 0;
    double p99 = received ? latency_ms[(size_t)((received - 1) * 0.99)] : 0;
    printf("{\"clients\":%d,\"subscribed\":%d,\"received\":%d,\"dead\":%d,\"first_ms\":%.3f,"
           "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
           clients, subscribed, received, dead, received ? latency_ms[0] : 0, p50, p99,
           received ? latency_ms[received - 1] : 0);
    fflush(stdout);
    if (hold_s) {              /* keep every stream open; SIGTERM or the alarm ends it */
        alarm(hold_s);
        for (;;) pause();
    }
    return received == clients ? 0 : 1;
}
