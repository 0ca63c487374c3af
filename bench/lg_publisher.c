/*
 * bench/lg_publisher.c — loadgen's publisher: one keep-alive connection that
 * publishes the warm-up event (blocking) and then RATE events/s, open loop:
 * event k is *scheduled* at t0 + (k-1)/RATE and sent then, whether or not
 * the server answered the ones before (the POSTs pipeline). A timerfd wakes
 * it on time. Our servers are also asked for their /stats just before the
 * first event and after the drain, on the same connection, so that their
 * own count of deliveries can be checked against loadgen's.
 *
 * Dialects: ours POSTs to /publish and reads {"id":N}; Nchan's publisher
 * location is /pub, answers 201 or 202 with the channel's info (JSON when
 * asked with Accept: text/json, carrying "last_message_id") and has no
 * delivery counter; the baseline sends length-prefixed frames and gets no
 * answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

static void on_pub_io(struct ev_loop *loop, ev_io *w, int revents);

static int is_baseline(const struct loadgen *lg) { return lg->opt.technique == T_BASELINE; }
static int is_nchan(const struct loadgen *lg) { return lg->opt.dialect == D_NCHAN; }

/* ==== What goes out ==== */

/* The bytes that publish one event: a POST, or a baseline frame. */
static size_t make_publish(const struct loadgen *lg, char *out, size_t cap, uint64_t seq, uint64_t scheduled)
{
    char payload[65536];
    size_t plen = lg->opt.json
        ? wire_make_json_payload(payload, sizeof payload, (size_t)lg->opt.payload, seq, scheduled)
        : wire_make_payload(payload, sizeof payload, (size_t)lg->opt.payload, seq, scheduled);
    if (is_baseline(lg)) {
        out[0] = (char)(plen >> 24);
        out[1] = (char)(plen >> 16);
        out[2] = (char)(plen >> 8);
        out[3] = (char)plen;
        memcpy(out + 4, payload, plen);
        return 4 + plen;
    }
    int n = is_nchan(lg)
        ? snprintf(out, cap, "POST /pub HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\n"
                   "Accept: text/json\r\nContent-Length: %zu\r\n\r\n", lg->opt.servers[0].host, plen)
        : snprintf(out, cap, "POST /publish HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\n"
                   "Content-Length: %zu\r\n\r\n", lg->opt.servers[0].host, plen);
    memcpy(out + n, payload, plen);
    return (size_t)n + plen;
}

/* Did the server take the event? Ours: 200. Nchan: 201 Created (someone
 * was subscribed) or 202 Accepted (no one was). */
static int publish_accepted(const struct loadgen *lg, int status)
{
    return is_nchan(lg) ? status == 201 || status == 202 : status == 200;
}

static void pub_flush(struct loadgen *lg)
{
    struct publisher *pub = &lg->pub;
    while (pub->out_len) {
        ssize_t w = write(pub->fd, pub->out, pub->out_len);
        if (w <= 0)
            break;
        lg->pub_bytes_out += (uint64_t)w;
        memmove(pub->out, pub->out + w, pub->out_len - (size_t)w);
        pub->out_len -= (size_t)w;
    }
    ev_io_stop(lg->loop, &pub->io);
    ev_io_set(&pub->io, pub->fd, pub->out_len ? EV_READ | EV_WRITE : EV_READ);
    ev_io_start(lg->loop, &pub->io);
}

static void pub_queue(struct loadgen *lg, const char *p, size_t n)
{
    struct publisher *pub = &lg->pub;
    if (pub->out_len + n > pub->out_cap) {
        size_t cap = pub->out_cap ? pub->out_cap * 2 : 65536;
        while (cap < pub->out_len + n)
            cap *= 2;
        pub->out = realloc(pub->out, cap);
        if (!pub->out)
            abort();
        pub->out_cap = cap;
    }
    memcpy(pub->out + pub->out_len, p, n);
    pub->out_len += n;
}

void lg_pub_ask_stats(struct loadgen *lg)
{
    char req[128];
    int n = snprintf(req, sizeof req, "GET /stats HTTP/1.1\r\nHost: %s\r\n\r\n", lg->opt.servers[0].host);
    pub_queue(lg, req, (size_t)n);
    pub_flush(lg);
}

/* While the clients subscribe (10 000 may take a while), keep the
 * publisher's connection from being closed as idle: a GET every 5 s (core
 * closes idle keep-alives after 30 s). Ours: /stats; Nchan: GET /pub, the
 * channel's info. */
void lg_pub_keep_alive(struct loadgen *lg, double now)
{
    struct publisher *pub = &lg->pub;
    if (is_baseline(lg) || pub->closed || now - pub->last_ping < 5)
        return;
    char req[128];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
                     is_nchan(lg) ? "/pub" : "/stats", lg->opt.servers[0].host);
    pub_queue(lg, req, (size_t)n);
    pub_flush(lg);
    pub->pings++;
    pub->last_ping = now;
}

/* ==== What comes back ==== */

/* The "deliveries" counter of a GET /stats answer, or -1. */
static int64_t stats_deliveries(const char *body, size_t len)
{
    const char *p = wire_find(body, len, "\"deliveries\":");
    return p ? (int64_t)wire_parse_u64(p + 13, body + len, NULL) : -1;
}

/* Unknown (-1) with several -u: only the first instance's /stats is read. */
long long lg_pub_server_deliveries(const struct loadgen *lg)
{
    const struct publisher *pub = &lg->pub;
    return lg->opt.nservers == 1 && pub->stats == STATS_LAST_ANSWERED && pub->stats_first >= 0 && pub->stats_last >= 0
           ? (long long)(pub->stats_last - pub->stats_first) : -1LL;
}

/* The server closed the publisher's connection (or it failed). */
static void pub_lost(struct loadgen *lg)
{
    struct publisher *pub = &lg->pub;
    int publishing = lg->phase == PHASE_PUBLISH && lg->sent < lg->events_total;
    if (publishing && pub->reopened < 3) {
        lg_warn(lg, "the server closed the publisher's connection after %" PRIu64 " events: reconnecting",
                lg->sent);
        pub->reopened++;
        if (lg_pub_reopen(lg) == 0)
            return;
    }
    if (publishing)
        lg_warn(lg, "the server closed the publisher's connection after %" PRIu64 " events", lg->sent);
    if (lg->phase < PHASE_PUBLISH) {
        ev_io_stop(lg->loop, &pub->io);   /* idle keep-alive closed: reopened to publish */
        pub->closed = 1;
        return;
    }
    ev_io_stop(lg->loop, &pub->io);
    ev_io_stop(lg->loop, &pub->schedule);
    lg->events_total = lg->sent;           /* what was sent is all that can arrive */
    if (lg->phase == PHASE_PUBLISH)
        lg_start_drain(lg);
}

/* Count the server's answers (each: a head and a small body). They come in
 * the order asked: keep-alive pings first, then the first /stats, the
 * POSTs, and the last /stats. */
static void pub_read_answers(struct loadgen *lg)
{
    struct publisher *pub = &lg->pub;
    ssize_t r = read(pub->fd, pub->in + pub->in_len, sizeof pub->in - pub->in_len);
    if (r <= 0) {
        if (r == 0 || (errno != EAGAIN && errno != EINTR))
            pub_lost(lg);
        return;
    }
    lg->pub_bytes_in += (uint64_t)r;
    pub->in_len += (size_t)r;
    size_t used = 0;
    for (;;) {
        struct wire_head h;
        long head = wire_parse_head(pub->in + used, pub->in_len - used, &h);
        if (head == WIRE_MORE || h.content_length < 0
            || pub->in_len - used - (size_t)head < (size_t)h.content_length)
            break;
        const char *body = pub->in + used + head;
        size_t len = (size_t)h.content_length;
        if (pub->pings > 0) {
            pub->pings--;
        } else if (pub->stats == STATS_FIRST_ASKED) {
            pub->stats_first = stats_deliveries(body, len);
            pub->stats = STATS_FIRST_ANSWERED;
        } else if (pub->stats == STATS_LAST_ASKED && lg->acked + lg->publish_errors >= lg->sent) {
            pub->stats_last = stats_deliveries(body, len);
            pub->stats = STATS_LAST_ANSWERED;
        } else if (publish_accepted(lg, h.status)) {
            lg->acked++;
        } else {
            lg->publish_errors++;
        }
        used += (size_t)head + len;
    }
    memmove(pub->in, pub->in + used, pub->in_len - used);
    pub->in_len -= used;
    if (pub->in_len == sizeof pub->in)
        pub->in_len = 0;                     /* an answer we cannot parse: drop it */
}

static void on_pub_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct loadgen *lg = ev_userdata(loop);
    if (revents & EV_WRITE)
        pub_flush(lg);
    if (!(revents & EV_READ))
        return;
    if (!is_baseline(lg)) {
        pub_read_answers(lg);
        return;
    }
    char sink[4096];
    ssize_t r = read(lg->pub.fd, sink, sizeof sink);
    if (r > 0)
        lg->pub_bytes_in += (uint64_t)r;
    else if (r == 0)
        ev_io_stop(loop, w);
}

/* ==== The schedule ==== */

/* Arm the schedule's timerfd for absolute CLOCK_MONOTONIC time `at` (ns).
 * A timerfd, not an ev_timer: libev's epoll backend sleeps in whole
 * milliseconds, and that slack would be counted as the server's latency. */
static void schedule_at(struct loadgen *lg, uint64_t at)
{
    struct itimerspec its = { 0 };
    its.it_value.tv_sec = (time_t)(at / 1000000000ULL);
    its.it_value.tv_nsec = (long)(at % 1000000000ULL);
    timerfd_settime(lg->pub.timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Send every event whose scheduled time has come, then sleep until the next
 * one is due. Open loop: the schedule never waits for the server. */
static void on_schedule(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct loadgen *lg = ev_userdata(loop);
    uint64_t expirations;
    if (read(lg->pub.timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        return;
    uint64_t now = lg_now_ns();
    uint64_t due = now < lg->t0_ns ? 0 : (now - lg->t0_ns) / lg->period_ns + 1;
    if (due > lg->events_total)
        due = lg->events_total;
    char msg[65536 + 512];
    while (lg->sent < due) {
        uint64_t seq = lg->sent + 1;
        size_t n = make_publish(lg, msg, sizeof msg, seq, lg->t0_ns + (seq - 1) * lg->period_ns);
        pub_queue(lg, msg, n);
        lg->sent++;
        if (is_baseline(lg))
            lg->acked++;                    /* no answers in the baseline protocol */
    }
    pub_flush(lg);
    if (lg->sent >= lg->events_total) {
        ev_io_stop(loop, w);
        lg->publish_end_ns = lg_now_ns();
        lg_start_drain(lg);
    } else {
        schedule_at(lg, lg->t0_ns + lg->sent * lg->period_ns);
    }
}

/* Start the schedule: event 1 is due in 1 ms. Returns 0, or -1 (warned). */
int lg_pub_start(struct loadgen *lg)
{
    struct publisher *pub = &lg->pub;
    lg->t0_ns = lg->publish_start_ns + 1000000;
    pub->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (pub->timer_fd < 0) {
        lg_warn(lg, "timerfd_create: %s", strerror(errno));
        return -1;
    }
    /* The kernel may delay a sleeping timer by its "slack" (50 µs by
     * default) to batch wake-ups; we want the send on time. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    ev_io_init(&pub->schedule, on_schedule, pub->timer_fd, EV_READ);
    ev_io_start(lg->loop, &pub->schedule);
    schedule_at(lg, lg->t0_ns);
    return 0;
}

/* ==== The connection ==== */

/* Open the publisher's connection (blocking, 5 s timeouts: only the warm-up
 * uses it blocking). Returns 0, or -1 with errno set. */
static int pub_connect(struct loadgen *lg)
{
    struct publisher *pub = &lg->pub;
    pub->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (pub->fd < 0)
        return -1;
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(pub->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(pub->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(pub->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(pub->fd, (const struct sockaddr *)&lg->opt.servers[0].addr, sizeof lg->opt.servers[0].addr) < 0) {
        int e = errno;
        close(pub->fd);
        pub->fd = -1;
        errno = e;
        return -1;
    }
    return 0;
}

void lg_pub_watch(struct loadgen *lg)
{
    ev_io_init(&lg->pub.io, on_pub_io, lg->pub.fd, EV_READ);
    ev_io_start(lg->loop, &lg->pub.io);
}

int lg_pub_reopen(struct loadgen *lg)
{
    struct publisher *pub = &lg->pub;
    ev_io_stop(lg->loop, &pub->io);
    if (pub->fd >= 0)
        close(pub->fd);
    if (pub->out_len)
        lg_warn(lg, "%zu bytes of queued events dropped with the publisher's old connection", pub->out_len);
    pub->out_len = 0;
    pub->in_len = 0;
    pub->closed = 0;
    pub->pings = 0;
    if (pub_connect(lg) < 0) {
        lg_warn(lg, "cannot reconnect the publisher: %s", strerror(errno));
        return -1;
    }
    fcntl(pub->fd, F_SETFL, fcntl(pub->fd, F_GETFL) | O_NONBLOCK);
    lg_pub_watch(lg);
    return 0;
}

/* The warm-up answer's body: where the feed is. Ours: {"id":N}; Nchan's:
 * {"messages": .., "last_message_id": "T:G"}. Returns 0, or -1. */
static int warmup_id(struct loadgen *lg, const char *body, size_t len)
{
    const char *end = body + len;
    if (is_nchan(lg)) {
        const char *p = wire_find(body, len, "\"last_message_id\": \"");
        if (!p)
            return -1;
        p += 20;
        lg->warmup_id = wire_nchan_id(p, wire_json_string_len(p, end));
        return lg->warmup_id ? 0 : -1;
    }
    const char *id = wire_find(body, len, "\"id\":");
    if (!id)
        return -1;
    lg->warmup_id = wire_parse_u64(id + 5, end, NULL);
    return 0;
}

int lg_pub_warmup(struct loadgen *lg)
{
    struct publisher *pub = &lg->pub;
    if (pub_connect(lg) < 0) {
        fprintf(stderr, "loadgen: cannot connect to %s: %s\n", lg->opt.url, strerror(errno));
        return -1;
    }
    char msg[65536 + 512];
    size_t n = make_publish(lg, msg, sizeof msg, 0, lg_now_ns());
    if (write(pub->fd, msg, n) != (ssize_t)n) {
        fprintf(stderr, "loadgen: cannot publish to %s: %s\n", lg->opt.url, strerror(errno));
        return -1;
    }
    lg->pub_bytes_out += n;
    if (!is_baseline(lg)) {
        /* Read until a complete answer. */
        size_t have = 0;
        for (int tries = 0; tries < 100; tries++) {
            ssize_t r = read(pub->fd, pub->in + have, sizeof pub->in - 1 - have);
            if (r <= 0)
                break;
            have += (size_t)r;
            struct wire_head h;
            long head = wire_parse_head(pub->in, have, &h);
            if (head > 0 && h.content_length >= 0 && have >= (size_t)head + (size_t)h.content_length) {
                size_t cl = (size_t)h.content_length;
                lg->pub_bytes_in += have;
                if (!publish_accepted(lg, h.status) || warmup_id(lg, pub->in + head, cl) < 0) {
                    fprintf(stderr, "loadgen: the publisher answered %d, not %s\n", h.status,
                            is_nchan(lg) ? "Nchan's channel info" : "{\"id\":N}");
                    return -1;
                }
                pub->in_len = have - (size_t)head - cl;
                memmove(pub->in, pub->in + head + cl, pub->in_len);
                break;
            }
        }
        if (lg->warmup_id == 0) {
            fprintf(stderr, "loadgen: no answer to the warm-up publish from %s\n", lg->opt.url);
            return -1;
        }
    }
    fcntl(pub->fd, F_SETFL, fcntl(pub->fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

void lg_pub_close(struct loadgen *lg)
{
    if (lg->pub.fd >= 0)
        close(lg->pub.fd);
    lg->pub.fd = -1;
    free(lg->pub.out);
    lg->pub.out = NULL;
}
