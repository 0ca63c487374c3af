/*
 * bench/lg_client.c — loadgen's subscribers: the client state machine.
 *
 *   C_IDLE -> C_CONNECTING -> C_WAIT_HEAD -> C_STREAM          (SSE, WebSocket, baseline)
 *                                         -> C_SLEEP -> C_WAIT_HEAD ...   (short polling)
 *                                         -> C_WAIT_HEAD ...   (long polling: at once)
 *   any -> (connection lost) -> C_CONNECTING again from the cursor, at most
 *   MAX_RECONNECTS times; a client that never subscribed -> C_DEAD.
 *
 * What differs between techniques — the request, and the parser of the
 * answer — is one table row each in lg_technique.c. Everything else is
 * here and the same for all of them: connecting, writing, reading, timing
 * and counting deliveries, reconnecting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static void client_connect(struct loadgen *lg, struct client *c);
static void client_send_request(struct loadgen *lg, struct client *c);

/* ==== Deliveries ==== */

/* An event's data reached client c at `at`: time it, and count it once. */
void lg_client_deliver(struct loadgen *lg, struct client *c, const char *data, size_t len, uint64_t at)
{
    uint64_t seq, scheduled;
    if (!wire_payload_parse(data, len, &seq, &scheduled)) {
        lg->foreign++;                 /* not ours: a ticker event, another publisher */
        return;
    }
    if (seq == 0)
        return;                        /* the warm-up event */
    if (seq > lg->events_total) {
        lg->foreign++;
        return;
    }
    lg->deliveries++;
    uint64_t bit = seq - 1;
    if (c->seen[bit / 8] & (1u << (bit % 8))) {
        lg->duplicates++;
        return;
    }
    c->seen[bit / 8] |= (unsigned char)(1u << (bit % 8));
    lg->unique++;
    hist_record(&lg->latency, at > scheduled ? at - scheduled : 0);
}

/* The subscription is confirmed (first answer, stream head, 101, "OK"). */
void lg_client_subscribed(struct loadgen *lg, struct client *c, uint64_t at)
{
    if (c->subscribed)
        return;
    c->subscribed = 1;
    lg->connecting--;
    lg->subscribed_now++;
    hist_record(&lg->subscribe_cost, at - c->connect_start_ns);
}

/* Client i's share of the poll interval, in [0, 1): the fractional parts
 * of i times the golden ratio, which spread any number of clients evenly. */
static double poll_phase(int index)
{
    double x = index * 0.6180339887498949;
    return x - (double)(long)x;
}

/* A poll was answered: poll again at once (long polling, or -i 0), or after
 * the interval (short polling). The first wait after subscribing is only
 * the client's phase of the interval: clients that all subscribed together
 * would otherwise poll in step, and when the events come at the polling
 * period (10/s against -i 100) every event would wait the same offset, so
 * one run's p50 would be an accident of its start, not the interval's half. */
void lg_client_poll_again(struct loadgen *lg, struct client *c)
{
    if (lg->opt.technique == T_LONGPOLL || lg->opt.poll_ms == 0) {
        client_send_request(lg, c);
    } else {
        double share = c->phased ? 1.0 : poll_phase(c->index);
        c->phased = 1;
        c->state = C_SLEEP;
        ev_timer_set(&c->timer, share * lg->opt.poll_ms / 1000.0, 0);
        ev_timer_start(lg->loop, &c->timer);
    }
}

/* ==== Connections ==== */

static void client_on_io(struct ev_loop *loop, ev_io *w, int revents);

static void client_watch(struct loadgen *lg, struct client *c, int events)
{
    ev_io_stop(lg->loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(lg->loop, &c->io);
}

/* Write bytes to the client's socket; keep what it does not take. */
void lg_client_write(struct loadgen *lg, struct client *c, const char *p, size_t n)
{
    if (c->out_len == 0) {
        ssize_t w = write(c->fd, p, n);
        if (w > 0) {
            lg->bytes_out += (uint64_t)w;
            p += w;
            n -= (size_t)w;
        }
    }
    if (n == 0)
        return;
    char *more = realloc(c->out, c->out_len + n);
    if (!more)
        abort();
    memcpy(more + c->out_len, p, n);
    c->out = more;
    c->out_len += n;
    client_watch(lg, c, EV_READ | EV_WRITE);
}

static void client_flush(struct loadgen *lg, struct client *c)
{
    ssize_t w = write(c->fd, c->out, c->out_len);
    if (w <= 0)
        return;
    lg->bytes_out += (uint64_t)w;
    memmove(c->out, c->out + w, c->out_len - (size_t)w);
    c->out_len -= (size_t)w;
    if (c->out_len == 0) {
        free(c->out);
        c->out = NULL;
        client_watch(lg, c, EV_READ);
    }
}

void lg_client_close(struct loadgen *lg, struct client *c)
{
    ev_io_stop(lg->loop, &c->io);
    ev_timer_stop(lg->loop, &c->timer);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->kept);
    c->kept = NULL;
    c->kept_len = 0;
    free(c->out);
    c->out = NULL;
    c->out_len = 0;
}

/* The connection failed or the server closed it. Before the client was ever
 * subscribed that is a connect error; after, it reconnects like a browser
 * would (from its cursor), a few times at most. */
static void client_lost(struct loadgen *lg, struct client *c, int err)
{
    int was_connecting = !c->subscribed;
    lg_client_close(lg, c);
    if (err)
        lg->last_errno = err;
    if (was_connecting) {
        lg->connect_errors++;
        lg->connecting--;
        lg->dead++;
        c->state = C_DEAD;
        return;
    }
    lg->disconnects++;
    if (c->reconnects >= MAX_RECONNECTS || lg->phase >= PHASE_LAST_STATS) {
        c->state = C_DEAD;
        lg->subscribed_now--;
        lg->dead++;
        return;
    }
    c->reconnects++;
    lg->reconnects++;
    client_connect(lg, c);
}

/* The source address of client i: 127.10.x.y, a different one per client,
 * so the 28 000 local ports of one address never run out. */
static void source_address(int i, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    uint32_t a = (127u << 24) | (10u << 16) | ((uint32_t)(i / 250) % 256) << 8 | (uint32_t)(i % 250 + 1);
    sa->sin_addr.s_addr = htonl(a);
}

static void client_connect(struct loadgen *lg, struct client *c)
{
    c->connect_start_ns = lg_now_ns();
    c->state = C_CONNECTING;
    c->chunked = 0;
    memset(&c->dechunk, 0, sizeof c->dechunk);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        int e = errno;
        lg_warn(lg, "socket(): %s", strerror(e));
        client_lost(lg, c, e);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (lg->opt.spread) {
        struct sockaddr_in src;
        source_address(c->index, &src);
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) {
            client_lost(lg, c, errno);
            return;
        }
    }
    const struct target *t = lg_client_target(lg, c);
    if (connect(c->fd, (const struct sockaddr *)&t->addr, sizeof t->addr) < 0 && errno != EINPROGRESS) {
        client_lost(lg, c, errno);
        return;
    }
    ev_io_init(&c->io, client_on_io, c->fd, EV_WRITE);
    ev_io_start(lg->loop, &c->io);
}

static void client_send_request(struct loadgen *lg, struct client *c)
{
    char req[512];
    int n = lg_technique_wire(lg)->request(lg, c, req, sizeof req);
    lg->requests++;
    c->state = C_WAIT_HEAD;
    lg_client_write(lg, c, req, (size_t)n);
}

static void on_poll_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct client *c = (struct client *)((char *)w - offsetof(struct client, timer));
    if (c->state == C_SLEEP)
        client_send_request(ev_userdata(loop), c);
}

/* ==== Callbacks ==== */

static void client_on_connected(struct loadgen *lg, struct client *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        client_lost(lg, c, err);
        return;
    }
    if (!c->subscribed)
        hist_record(&lg->connect_cost, lg_now_ns() - c->connect_start_ns);
    client_watch(lg, c, EV_READ);
    client_send_request(lg, c);
}

/* Read what came, after what was kept from the last read, and hand it to
 * the technique's parser; keep what it did not use. */
static void client_on_readable(struct loadgen *lg, struct client *c)
{
    char *scratch = lg->scratch;
    size_t have = c->kept_len;
    if (have)
        memcpy(scratch, c->kept, have);
    ssize_t r = read(c->fd, scratch + have, SCRATCH_SIZE - have);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) {
        client_lost(lg, c, r < 0 ? errno : 0);
        return;
    }
    uint64_t at = lg_now_ns();
    lg->bytes_in += (uint64_t)r;
    size_t n = have + (size_t)r;
    long used = lg_technique_wire(lg)->parse(lg, c, scratch, &n, have, at);
    if (used < 0 || n - (size_t)used > MAX_KEPT) {
        client_lost(lg, c, 0);
        return;
    }
    free(c->kept);
    c->kept = NULL;
    c->kept_len = n - (size_t)used;
    if (c->kept_len) {
        c->kept = malloc(c->kept_len);
        if (!c->kept)
            abort();
        memcpy(c->kept, scratch + used, c->kept_len);
    }
}

static void client_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct loadgen *lg = ev_userdata(loop);
    struct client *c = (struct client *)w;
    if (c->state == C_CONNECTING) {
        if (revents & EV_WRITE)
            client_on_connected(lg, c);
        return;
    }
    if ((revents & EV_WRITE) && c->out_len)
        client_flush(lg, c);
    if (revents & EV_READ)
        client_on_readable(lg, c);
}

/* ==== Starting ==== */

const struct target *lg_client_target(const struct loadgen *lg, const struct client *c)
{
    return &lg->opt.servers[c->index % lg->opt.nservers];
}

void lg_client_init(struct loadgen *lg)
{
    size_t bitmap = (size_t)(lg->events_total + 7) / 8 + 1;
    for (int i = 0; i < lg->opt.clients; i++) {
        struct client *c = &lg->clients[i];
        c->index = i;
        c->fd = -1;
        c->seen = lg->seen_bits + (size_t)i * bitmap;
        /* Our polls start just before the warm-up event, so the first
         * answer carries it (that answer confirms the subscription); our
         * streams start after it. Nchan's start where its locations say. */
        if (lg->opt.dialect == D_RTLAB)
            c->cursor = lg->opt.technique <= T_LONGPOLL && lg->warmup_id > 0 ? lg->warmup_id - 1 : lg->warmup_id;
        ev_timer_init(&c->timer, on_poll_timer, 0, 0);
    }
}

void lg_clients_start_more(struct loadgen *lg)
{
    while (lg->started < lg->opt.clients && lg->connecting < MAX_INFLIGHT) {
        struct client *c = &lg->clients[lg->started++];
        lg->connecting++;
        client_connect(lg, c);
    }
}
