/*
 * bench/baseline.c — the floor every bench chart is read against: the same
 * fan-out as the four servers (one publisher, many subscribers, every event
 * to every subscriber) over plain TCP, with a 4-byte length prefix and no
 * HTTP at all.
 *
 * Whatever a technique costs above this line is the price of its protocol
 * (HTTP heads, polling, framing); this line itself is the kernel's loopback
 * TCP and one write per subscriber per event.
 *
 * The protocol (both directions): a frame is a 4-byte big-endian length,
 * then that many bytes.
 *   client → "SUB"          become a subscriber; the server answers "OK"
 *   client → anything else  an event: sent as it is, as one frame, to every
 *                           subscriber
 *
 * Flags, as the servers': -p PORT (0 = pick one; default 8005), -a ADDR,
 * -o OUTCAP (bytes one subscriber may have queued before it is dropped),
 * -q quiet; -t, -b, -w are accepted and ignored so a script can start it
 * like any server. The first stdout line is "listening on tcp://ADDR:PORT/".
 *
 * Two faults on purpose, to test that loadgen counts what goes wrong
 * (tests/e2e/bench_loss.sh): -L N loses every Nth event (sends it to no
 * one), -D N sends every Nth event twice.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ==== Constants and state ==== */

enum {
    DEFAULT_PORT = 8005,
    MAX_FRAME = 65536,                 /* largest frame a client may send */
    DEFAULT_OUT_CAP = 4 * 1024 * 1024,
};

struct conn {
    ev_io io;                 /* the socket; EV_WRITE only while `out` holds bytes */
    int fd;
    int subscribed;           /* sent "SUB": gets every event */
    char *in;                 /* a partial frame kept between reads (NULL when none) */
    size_t in_len;
    char *out;                /* bytes queued, not yet written (NULL when none) */
    size_t out_len, out_cap;
    int dirty;                /* on the flush list */
    struct conn *prev, *next; /* every connection, for the broadcast */
    struct conn *dirty_next;  /* the flush list */
};

static struct {
    struct ev_loop *loop;
    struct conn *conns;
    struct conn *dirty;       /* connections with bytes to write before the loop sleeps */
    ev_prepare flush;
    char *batch;              /* frames published since the last flush: sent to all at once */
    size_t batch_len, batch_cap, batch_events;
    size_t out_limit;         /* -o */
    unsigned lose_every;      /* -L: every Nth event is sent to no one (0 = never) */
    unsigned dup_every;       /* -D: every Nth event is sent twice (0 = never) */
    int quiet;
    uint64_t events, deliveries, drops, connections_total;
} srv;

/* ==== Connections ==== */

static void on_io(struct ev_loop *loop, ev_io *w, int revents);

static struct conn *conn_new(int fd)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    ev_io_init(&c->io, on_io, fd, EV_READ);
    ev_io_start(srv.loop, &c->io);
    c->next = srv.conns;
    if (srv.conns)
        srv.conns->prev = c;
    srv.conns = c;
    srv.connections_total++;
    return c;
}

static void conn_free(struct conn *c)
{
    if (c->dirty) {           /* unlink from the flush list */
        struct conn **p = &srv.dirty;
        while (*p != c)
            p = &(*p)->dirty_next;
        *p = c->dirty_next;
    }
    ev_io_stop(srv.loop, &c->io);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv.conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->in);
    free(c->out);
    free(c);
}

/* Keep p[0..n) to send later. Returns -1 when that would pass the cap. */
static int conn_keep(struct conn *c, const char *p, size_t n)
{
    if (c->out_len + n > srv.out_limit)
        return -1;
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n)
            cap *= 2;
        char *bigger = realloc(c->out, cap);
        if (!bigger)
            return -1;
        c->out = bigger;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 0;
}

/* Queue p[0..n) and put the connection on the flush list: it is written
 * just before the loop sleeps, so events that arrive together leave in one
 * write. Returns -1 when the connection must be dropped (over the cap). */
static int conn_send(struct conn *c, const char *p, size_t n)
{
    if (conn_keep(c, p, n) < 0)
        return -1;
    if (!c->dirty) {
        c->dirty = 1;
        c->dirty_next = srv.dirty;
        srv.dirty = c;
    }
    return 0;
}

/* Write what is queued; release the buffer once drained, else wait for
 * EV_WRITE. Returns -1 when the connection is broken. */
static int conn_flush(struct conn *c)
{
    ssize_t w = write(c->fd, c->out, c->out_len);
    if (w < 0 && errno != EAGAIN && errno != EINTR)
        return -1;
    if (w > 0) {
        memmove(c->out, c->out + w, c->out_len - (size_t)w);
        c->out_len -= (size_t)w;
    }
    ev_io_stop(srv.loop, &c->io);
    if (c->out_len == 0) {
        free(c->out);            /* an idle connection holds no buffer */
        c->out = NULL;
        c->out_cap = 0;
        ev_io_set(&c->io, c->fd, EV_READ);
    } else {
        ev_io_set(&c->io, c->fd, EV_READ | EV_WRITE);
    }
    ev_io_start(srv.loop, &c->io);
    return 0;
}

/* Send the batch to every subscriber: one write each, straight from the
 * shared bytes. Only what a socket does not take is copied (kept). */
static void broadcast_batch(void)
{
    struct conn *c, *next;
    for (c = srv.conns; c; c = next) {
        next = c->next;
        if (!c->subscribed)
            continue;
        if (c->out_len > 0 || c->dirty) {
            if (conn_keep(c, srv.batch, srv.batch_len) < 0)
                goto drop;
        } else {
            ssize_t w = write(c->fd, srv.batch, srv.batch_len);
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                goto drop;
            if (w < 0)
                w = 0;
            if ((size_t)w < srv.batch_len) {
                if (conn_keep(c, srv.batch + w, srv.batch_len - (size_t)w) < 0)
                    goto drop;
                ev_io_stop(srv.loop, &c->io);
                ev_io_set(&c->io, c->fd, EV_READ | EV_WRITE);
                ev_io_start(srv.loop, &c->io);
            }
        }
        srv.deliveries += srv.batch_events;
        continue;
    drop:
        srv.drops++;
        conn_free(c);
    }
    srv.batch_len = 0;
    srv.batch_events = 0;
}

/* ev_prepare: the loop is about to sleep; send what was published, then
 * write every connection with bytes of its own queued. */
static void on_flush(struct ev_loop *loop, ev_prepare *w, int revents)
{
    if (srv.batch_len)
        broadcast_batch();
    while (srv.dirty) {
        struct conn *c = srv.dirty;
        srv.dirty = c->dirty_next;
        c->dirty = 0;
        if (conn_flush(c) < 0)
            conn_free(c);
    }
}

/* ==== The protocol ==== */

/* A frame's bytes: the 4-byte big-endian length, then the payload. */
static void put_len(char *p, uint32_t n)
{
    p[0] = (char)(n >> 24);
    p[1] = (char)(n >> 16);
    p[2] = (char)(n >> 8);
    p[3] = (char)n;
}

/* Publish one event: add its frame to the batch that on_flush sends to
 * every subscriber before the loop sleeps. Encoded once; events that arrive
 * together leave together, in one write per subscriber. Returns -1 when out
 * of memory. */
static int publish(const char *frame, size_t len)
{
    srv.events++;
    if (srv.lose_every && srv.events % srv.lose_every == 0)
        return 0;                             /* -L: lost on purpose */
    int copies = srv.dup_every && srv.events % srv.dup_every == 0 ? 2 : 1;
    for (int i = 0; i < copies; i++) {
        if (srv.batch_len + len > srv.batch_cap) {
            size_t cap = srv.batch_cap ? srv.batch_cap : 65536;
            while (cap < srv.batch_len + len)
                cap *= 2;
            char *bigger = realloc(srv.batch, cap);
            if (!bigger)
                return -1;
            srv.batch = bigger;
            srv.batch_cap = cap;
        }
        memcpy(srv.batch + srv.batch_len, frame, len);
        srv.batch_len += len;
        srv.batch_events++;
    }
    return 0;
}

/* Use every complete frame in data[0..len). Returns bytes used, or -1 when
 * the connection is to be closed (a frame over MAX_FRAME). */
static long handle_frames(struct conn *c, char *data, size_t len)
{
    size_t used = 0;
    while (len - used >= 4) {
        const unsigned char *p = (const unsigned char *)data + used;
        uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (n > MAX_FRAME)
            return -1;
        if (len - used - 4 < n)
            break;
        if (n == 3 && memcmp(p + 4, "SUB", 3) == 0) {
            char ok[6];
            put_len(ok, 2);
            memcpy(ok + 4, "OK", 2);
            c->subscribed = 1;
            if (conn_send(c, ok, sizeof ok) < 0)
                return -1;
        } else {
            if (publish((const char *)p, 4 + n) < 0)   /* the frame as it came */
                return -1;
        }
        used += 4 + n;
    }
    return (long)used;
}

/* ==== libev callbacks ==== */

static void on_read(struct conn *c)
{
    static char buf[MAX_FRAME + 4 + 65536];
    size_t have = c->in_len;
    if (have)
        memcpy(buf, c->in, have);
    ssize_t r = read(c->fd, buf + have, sizeof buf - have);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) {
        conn_free(c);
        return;
    }
    have += (size_t)r;
    long used = handle_frames(c, buf, have);
    if (used < 0) {
        conn_free(c);
        return;
    }
    /* Keep the partial frame, if any, in a buffer of its own. */
    free(c->in);
    c->in = NULL;
    c->in_len = have - (size_t)used;
    if (c->in_len) {
        c->in = malloc(c->in_len);
        if (!c->in) {
            conn_free(c);
            return;
        }
        memcpy(c->in, buf + used, c->in_len);
    }
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *c = (struct conn *)w;   /* the watcher is the first member */
    if ((revents & EV_WRITE) && !c->dirty) {
        if (conn_flush(c) < 0) {
            conn_free(c);
            return;
        }
    }
    if (revents & EV_READ)
        on_read(c);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    for (int i = 0; i < 256; i++) {     /* bounded: let other sockets run too */
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;                     /* EAGAIN, or EMFILE: try on the next event */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!conn_new(fd))
            close(fd);
    }
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

/* ==== main ==== */

static int listen_on(const char *addr, int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "baseline: -a %s: not an IPv4 address\n", addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0) {
        fprintf(stderr, "baseline: cannot listen on %s:%d: %s\n", addr, port, strerror(errno));
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1";
    int port = DEFAULT_PORT, opt;
    srv.out_limit = DEFAULT_OUT_CAP;
    while ((opt = getopt(argc, argv, "p:a:o:qt:b:w:L:D:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'a': addr = optarg; break;
        case 'o': srv.out_limit = strtoull(optarg, NULL, 10); break;
        case 'q': srv.quiet = 1; break;
        case 'L': srv.lose_every = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'D': srv.dup_every = (unsigned)strtoul(optarg, NULL, 10); break;
        case 't': case 'b': case 'w': break;   /* the servers' flags: nothing to do here */
        default:
            fprintf(stderr, "usage: baseline [-p PORT] [-a ADDR] [-o OUTCAP] [-q] [-L LOSE_EVERY] [-D DUP_EVERY]\n");
            return 1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    int lfd = listen_on(addr, port);
    if (lfd < 0)
        return 1;
    struct sockaddr_in bound;
    socklen_t blen = sizeof bound;
    getsockname(lfd, (struct sockaddr *)&bound, &blen);
    printf("listening on tcp://%s:%d/\n", addr, ntohs(bound.sin_port));
    fflush(stdout);

    srv.loop = EV_DEFAULT;
    ev_io accept_io;
    ev_signal sigint, sigterm;
    ev_io_init(&accept_io, on_accept, lfd, EV_READ);
    ev_io_start(srv.loop, &accept_io);
    ev_signal_init(&sigint, on_signal, SIGINT);
    ev_signal_init(&sigterm, on_signal, SIGTERM);
    ev_signal_start(srv.loop, &sigint);
    ev_signal_start(srv.loop, &sigterm);
    ev_prepare_init(&srv.flush, on_flush);
    ev_prepare_start(srv.loop, &srv.flush);
    ev_run(srv.loop, 0);

    while (srv.conns)
        conn_free(srv.conns);
    free(srv.batch);
    close(lfd);
    if (!srv.quiet)
        fprintf(stderr, "baseline: %llu connections, %llu events, %llu deliveries, %llu drops\n",
                (unsigned long long)srv.connections_total, (unsigned long long)srv.events,
                (unsigned long long)srv.deliveries, (unsigned long long)srv.drops);
    return 0;
}
