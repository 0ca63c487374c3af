/*
 * bench/loadgen.c — one load generator for all four techniques and the raw
 * TCP baseline, so that every number in the charts is measured the same way.
 *
 *   loadgen -T polling|longpoll|sse|websocket|baseline -u URL -c CLIENTS
 *           -r EVENTS_PER_S -d SECONDS -s PAYLOAD_BYTES [-i POLL_MS]
 *           [-P SERVER_PID] [-o out.jsonl] [-C out.csv] [-D dist.dat] [-L LABEL]
 *
 * A run, in order:
 *   1. warm-up: one POST /publish (a baseline frame) that tells us the newest
 *      event id, so every subscriber can start right after it;
 *   2. subscribe CLIENTS clients, at most MAX_INFLIGHT connecting at once,
 *      each from its own 127.x.y.z source address (so 10 000 clients never run
 *      out of local ports); record for each the TCP connect time and the time
 *      to "subscribed": the first poll answer, the stream's head, the 101, or
 *      the baseline's "OK";
 *   3. publish RATE events/s for SECONDS over one keep-alive connection,
 *      open loop: event k is *scheduled* at t0 + k/RATE and sent then, whether
 *      or not the server has answered the ones before (requests pipeline).
 *      Its payload carries its sequence number and that scheduled time, in
 *      CLOCK_MONOTONIC nanoseconds: "seq=12 t=81234567890 pad=xxxx...";
 *   4. every delivery is timed from the scheduled time into a histogram, so a
 *      server that stalls cannot hide its stall by delaying our sends
 *      (coordinated omission); each client keeps a bitmap of the sequence
 *      numbers it got, which counts lost and duplicated deliveries exactly;
 *   5. drain: wait until every subscriber has every event, or a grace period;
 *   6. read the server's CPU time and resident memory from /proc/PID at the
 *      start, once all are subscribed, and at the end; print one JSON object.
 *
 * Bytes are counted at the socket (what read and write returned), requests as
 * HTTP requests sent by subscribers. bench/README.md documents every field.
 *
 * Everything is bounded: connects have a deadline, the drain has a deadline,
 * and the whole run stops by itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "histogram.h"
#include "wire.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* ==== Constants ==== */

enum {
    MAX_INFLIGHT = 256,            /* clients connecting at the same time */
    SCRATCH_SIZE = 2 << 20,        /* one read's worth plus a kept partial message */
    MAX_KEPT = 1 << 20,            /* a partial message bigger than this is an error */
    MAX_RECONNECTS = 5,            /* per client, then it is given up */
    MAX_CLIENTS = 100000,
};

enum technique { T_POLLING, T_LONGPOLL, T_SSE, T_WEBSOCKET, T_BASELINE };
static const char *const technique_names[] = { "polling", "longpoll", "sse", "websocket", "baseline" };

enum client_state {
    C_IDLE,        /* not started yet */
    C_CONNECTING,  /* connect() in progress */
    C_WAIT_HEAD,   /* request sent, waiting for the answer (or stream head) */
    C_STREAM,      /* SSE / WebSocket / baseline: events arrive as they happen */
    C_SLEEP,       /* short polling: waiting for the next poll */
    C_DEAD,        /* failed and given up */
};

/* One subscriber. */
struct client {
    ev_io io;                  /* its socket (first member: the callback gets the client back) */
    ev_timer timer;            /* short polling: the poll interval */
    int fd;
    int index;                 /* 0 .. clients-1; picks the source address */
    unsigned char state;       /* enum client_state */
    unsigned char subscribed;  /* confirmed at least once */
    unsigned char chunked;     /* SSE: the stream is chunked (Transfer-Encoding) */
    unsigned char reconnects;
    struct wire_dechunk dechunk; /* SSE: the chunk decoder's state, when chunked */
    uint64_t cursor;           /* the last event id seen: the next `since` */
    uint64_t connect_start_ns; /* when connect() was called */
    char *kept;                /* a partial message between reads (NULL when none) */
    size_t kept_len;
    char *out;                 /* request bytes the socket did not take yet (NULL when none) */
    size_t out_len;
    unsigned char *seen;       /* bitmap of sequence numbers received */
};

/* ==== Options and results ==== */

static struct {
    enum technique technique;
    const char *url;
    struct sockaddr_in server;  /* from the URL */
    char host[64];             /* Host header */
    int clients;
    double rate;               /* events per second */
    double duration;           /* seconds */
    int payload;               /* bytes per event */
    int poll_ms;               /* short polling interval */
    int longpoll_timeout;      /* seconds, the `timeout` of a long poll */
    pid_t server_pid;          /* -P, 0 = unknown */
    const char *out_path, *csv_path, *dist_path, *label;
    int spread;                /* spread source addresses over 127.0.0.0/8 */
    double grace;              /* seconds to wait for late deliveries */
    double connect_timeout;    /* seconds for the whole subscribe phase */
    int quiet;
} opt = {
    .clients = 1, .rate = 10, .duration = 5, .payload = 64, .poll_ms = 100,
    .longpoll_timeout = 30, .spread = 1, .grace = -1, .connect_timeout = 60,
};

/* /proc readings of the server at one moment. */
struct proc_sample {
    int ok;
    uint64_t cpu_ns;           /* user + system */
    uint64_t wait_ns;          /* runnable but waiting for a CPU (schedstat): machine noise */
    uint64_t utime_ticks, stime_ticks;
    uint64_t rss_bytes;
};

static struct {
    struct ev_loop *loop;
    struct client *clients;
    int started, connecting, subscribed_now, dead;
    uint64_t events_total;     /* rate × duration; fewer if the publisher was cut off */
    uint64_t events_planned;   /* rate × duration */
    uint64_t warmup_id;        /* id of the warm-up event */
    uint64_t t0_ns;            /* scheduled time of event 1 */
    uint64_t period_ns;
    uint64_t sent, acked, publish_errors;
    int phase;                 /* 0 subscribe, 1 settle, 2 publish, 3 drain, 5 last /stats, 4 done */
    double phase_deadline;
    double hard_deadline;      /* the whole run stops by then, whatever happens */
    int subscribed_at_start;   /* subscribers when publishing began: each must get every event */
    /* counters, subscribers */
    uint64_t bytes_in, bytes_out, requests, empty_polls, http_errors;
    uint64_t deliveries, unique, duplicates, gaps, foreign, reconnects, disconnects;
    uint64_t connect_errors, connect_timeouts;
    int last_errno;
    /* counters, publisher */
    uint64_t pub_bytes_in, pub_bytes_out;
    struct histogram latency, connect_cost, subscribe_cost;
    struct proc_sample before, subscribed, after;
    struct rusage ru_start, ru_publish, ru_end;
    uint64_t requests_at_publish;  /* requests made before publishing began */
    uint64_t run_start_ns, publish_start_ns, publish_end_ns, end_ns;
    char warnings[1024];
} run;

static char scratch[SCRATCH_SIZE];

/* ==== Small helpers ==== */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    if (opt.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A warning goes to stderr (always) and into the JSON's "warnings". */
static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "loadgen: WARNING: %s\n", line);
    size_t used = strlen(run.warnings);
    snprintf(run.warnings + used, sizeof run.warnings - used, "%s%s", used ? "; " : "", line);
}

/* ==== /proc readings of the server ==== */

static struct proc_sample proc_read(pid_t pid)
{
    struct proc_sample s = { 0 };
    if (pid <= 0)
        return s;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return s;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* Fields after the command name, which ends at the last ')': state is
     * field 3, utime 14 and stime 15. */
    char *p = strrchr(buf, ')');
    if (!p)
        return s;
    unsigned long long ut = 0, st = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return s;
    s.utime_ticks = ut;
    s.stime_ticks = st;
    long hz = sysconf(_SC_CLK_TCK);
    s.cpu_ns = (ut + st) * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
    /* schedstat's first field is the time on CPU in ns: far finer than ticks. */
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    if ((f = fopen(path, "r"))) {
        unsigned long long ns, wait;
        if (fscanf(f, "%llu %llu", &ns, &wait) == 2) {
            s.cpu_ns = ns;
            s.wait_ns = wait;
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    if ((f = fopen(path, "r"))) {
        unsigned long long size, resident;
        if (fscanf(f, "%llu %llu", &size, &resident) == 2)
            s.rss_bytes = resident * (uint64_t)sysconf(_SC_PAGESIZE);
        fclose(f);
    }
    s.ok = 1;
    return s;
}

/* The CPUs a process may run on, as /proc says ("1", "0-1"); "?" if unknown. */
static void proc_cpus(pid_t pid, char *out, size_t cap)
{
    snprintf(out, cap, "?");
    char path[64], line[256];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Cpus_allowed_list:", 18) == 0) {
            char *v = line + 18;
            while (*v == ' ' || *v == '\t')
                v++;
            v[strcspn(v, "\n")] = 0;
            snprintf(out, cap, "%.63s", v);
        }
    }
    fclose(f);
}

/* The server's open-file limit (soft), from /proc/PID/limits; 0 if unknown. */
static unsigned long proc_fd_limit(pid_t pid)
{
    char path[64], line[256];
    unsigned long soft = 0;
    snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Max open files", 14) == 0)
            soft = strtoul(line + 14, NULL, 10);
    fclose(f);
    return soft;
}

/* ==== Deliveries ==== */

/* An event's data reached client c at `at`: time it, and count it once. */
static void deliver(struct client *c, const char *data, size_t len, uint64_t at)
{
    uint64_t seq, scheduled;
    if (!wire_payload_parse(data, len, &seq, &scheduled)) {
        run.foreign++;                 /* not ours: a ticker event, another publisher */
        return;
    }
    if (seq == 0)
        return;                        /* the warm-up event */
    if (seq > run.events_total) {
        run.foreign++;
        return;
    }
    run.deliveries++;
    uint64_t bit = seq - 1;
    if (c->seen[bit / 8] & (1u << (bit % 8))) {
        run.duplicates++;
        return;
    }
    c->seen[bit / 8] |= (unsigned char)(1u << (bit % 8));
    run.unique++;
    hist_record(&run.latency, at > scheduled ? at - scheduled : 0);
}

/* A poll answer's body: {"next":M,["gap":true,]"events":[{"id":..,"data":".."},..]}. */
static void poll_body(struct client *c, const char *body, size_t len, uint64_t at)
{
    const char *end = body + len, *p = wire_find(body, len, "\"next\":");
    if (p)
        c->cursor = wire_parse_u64(p + 7, end, NULL);
    if (wire_find(body, len, "\"gap\":true"))
        run.gaps++;
    int events = 0;
    p = body;
    while ((p = wire_find(p, (size_t)(end - p), "\"data\":\""))) {
        p += 8;
        size_t n = wire_json_string_len(p, end);
        deliver(c, p, n, at);
        p += n;
        events++;
    }
    if (events == 0)
        run.empty_polls++;
}

/* A WebSocket text frame: {"id":N,"data":".."} (or a gap notice). */
static void ws_message(struct client *c, const char *msg, size_t len, uint64_t at)
{
    const char *end = msg + len, *p = wire_find(msg, len, "\"id\":");
    if (p)
        c->cursor = wire_parse_u64(p + 5, end, NULL);
    if (wire_find(msg, len, "\"gap\""))
        run.gaps++;
    if ((p = wire_find(msg, len, "\"data\":\""))) {
        p += 8;
        deliver(c, p, wire_json_string_len(p, end), at);
    }
}

/* ==== Client connections ==== */

static void client_on_io(struct ev_loop *loop, ev_io *w, int revents);
static void client_connect(struct client *c);
static void client_send_request(struct client *c);

static void client_watch(struct client *c, int events)
{
    ev_io_stop(run.loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(run.loop, &c->io);
}

/* Write bytes to the client's socket; keep what it does not take. */
static void client_write(struct client *c, const char *p, size_t n)
{
    if (c->out_len == 0) {
        ssize_t w = write(c->fd, p, n);
        if (w > 0) {
            run.bytes_out += (uint64_t)w;
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
    client_watch(c, EV_READ | EV_WRITE);
}

static void client_flush(struct client *c)
{
    ssize_t w = write(c->fd, c->out, c->out_len);
    if (w <= 0)
        return;
    run.bytes_out += (uint64_t)w;
    memmove(c->out, c->out + w, c->out_len - (size_t)w);
    c->out_len -= (size_t)w;
    if (c->out_len == 0) {
        free(c->out);
        c->out = NULL;
        client_watch(c, EV_READ);
    }
}

static void client_close_socket(struct client *c)
{
    ev_io_stop(run.loop, &c->io);
    ev_timer_stop(run.loop, &c->timer);
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
static void client_lost(struct client *c, int err)
{
    int was_connecting = !c->subscribed;
    client_close_socket(c);
    if (err)
        run.last_errno = err;
    if (was_connecting) {
        run.connect_errors++;
        run.connecting--;
        run.dead++;
        c->state = C_DEAD;
        return;
    }
    run.disconnects++;
    if (c->reconnects >= MAX_RECONNECTS || run.phase >= 4) {
        c->state = C_DEAD;
        run.subscribed_now--;
        run.dead++;
        return;
    }
    c->reconnects++;
    run.reconnects++;
    client_connect(c);
}

/* The subscription is confirmed (first answer, stream head, 101, "OK"). */
static void client_subscribed(struct client *c, uint64_t at)
{
    if (c->subscribed)
        return;
    c->subscribed = 1;
    run.connecting--;
    run.subscribed_now++;
    hist_record(&run.subscribe_cost, at - c->connect_start_ns);
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

static void client_connect(struct client *c)
{
    c->connect_start_ns = now_ns();
    c->state = C_CONNECTING;
    c->chunked = 0;
    memset(&c->dechunk, 0, sizeof c->dechunk);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        int e = errno;
        warn("socket(): %s", strerror(e));
        client_lost(c, e);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (opt.spread) {
        struct sockaddr_in src;
        source_address(c->index, &src);
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) {
            client_lost(c, errno);
            return;
        }
    }
    if (connect(c->fd, (struct sockaddr *)&opt.server, sizeof opt.server) < 0 && errno != EINPROGRESS) {
        client_lost(c, errno);
        return;
    }
    ev_io_init(&c->io, client_on_io, c->fd, EV_WRITE);
    ev_io_start(run.loop, &c->io);
}

/* The request that (re)subscribes or polls, by technique. */
static void client_send_request(struct client *c)
{
    char req[512];
    int n = 0;
    switch (opt.technique) {
    case T_POLLING:
        n = snprintf(req, sizeof req, "GET /poll?since=%" PRIu64 " HTTP/1.1\r\nHost: %s\r\n\r\n",
                     c->cursor, opt.host);
        break;
    case T_LONGPOLL:
        n = snprintf(req, sizeof req,
                     "GET /poll?since=%" PRIu64 "&timeout=%d HTTP/1.1\r\nHost: %s\r\n\r\n",
                     c->cursor, opt.longpoll_timeout, opt.host);
        break;
    case T_SSE:
        n = snprintf(req, sizeof req,
                     "GET /events?since=%" PRIu64 " HTTP/1.1\r\nHost: %s\r\n"
                     "Accept: text/event-stream\r\n\r\n", c->cursor, opt.host);
        break;
    case T_WEBSOCKET:
        n = snprintf(req, sizeof req,
                     "GET /ws?since=%" PRIu64 " HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n", c->cursor, opt.host);
        break;
    case T_BASELINE:
        memcpy(req, "\0\0\0\3SUB", 7);
        n = 7;
        break;
    }
    run.requests++;
    c->state = C_WAIT_HEAD;
    client_write(c, req, (size_t)n);
}

static void on_poll_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct client *c = (struct client *)((char *)w - offsetof(struct client, timer));
    if (c->state == C_SLEEP)
        client_send_request(c);
}

/* ==== Parsing what the server sends ==== */

/* Polling and long polling: complete answers in p[0..n). Returns bytes used,
 * or -1 to drop the connection. */
static long parse_poll(struct client *c, const char *p, size_t n, uint64_t at)
{
    size_t used = 0;
    while (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p + used, n - used, &h);
        if (head == WIRE_MORE)
            break;
        if (h.content_length < 0 || h.chunked)
            return -1;                      /* we need a Content-Length here */
        if (n - used - (size_t)head < (size_t)h.content_length)
            break;
        const char *body = p + used + head;
        used += (size_t)head + (size_t)h.content_length;
        if (h.status != 200) {
            run.http_errors++;
        } else {
            client_subscribed(c, at);
            poll_body(c, body, (size_t)h.content_length, at);
        }
        if (opt.technique == T_LONGPOLL || opt.poll_ms == 0) {
            client_send_request(c);         /* at once: the next long poll */
        } else {
            c->state = C_SLEEP;
            ev_timer_set(&c->timer, opt.poll_ms / 1000.0, 0);
            ev_timer_start(run.loop, &c->timer);
        }
    }
    return (long)used;
}

/* The SSE stream: its head, then events. p[0..*n) is decoded bytes up to
 * raw_from and, when the stream is chunked, raw chunked bytes after it:
 * those are decoded in place first (*n shrinks). Returns bytes used, or -1
 * to drop the connection. */
static long parse_sse(struct client *c, char *p, size_t *n, size_t raw_from, uint64_t at)
{
    size_t used = 0;
    if (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p, *n, &h);
        if (head == WIRE_MORE)
            return 0;
        if (h.status != 200) {
            run.http_errors++;
            return -1;
        }
        c->chunked = (unsigned char)h.chunked;
        c->state = C_STREAM;
        client_subscribed(c, at);
        used = (size_t)head;
        if (raw_from < used)
            raw_from = used;
    }
    if (c->chunked && raw_from < *n) {
        long d = wire_dechunk(&c->dechunk, p + raw_from, *n - raw_from);
        if (d < 0)
            return -1;
        *n = raw_from + (size_t)d;
    }
    for (int i = 0; i < 100000; i++) {      /* bounded: one read holds fewer events */
        struct wire_sse_event ev;
        long len = wire_sse_next(p + used, *n - used, &ev);
        if (len == WIRE_MORE)
            break;
        used += (size_t)len;
        if (ev.has_id)
            c->cursor = ev.id;
        if (ev.gap)
            run.gaps++;
        else if (ev.data)
            deliver(c, ev.data, ev.data_len, at);
    }
    return (long)used;
}

/* RFC 6455: the 101, then frames from the server. Returns bytes used, or -1
 * to drop the connection (reconnect). */
static long parse_ws(struct client *c, const char *p, size_t n, uint64_t at)
{
    size_t used = 0;
    if (c->state == C_WAIT_HEAD) {
        struct wire_head h;
        long head = wire_parse_head(p, n, &h);
        if (head == WIRE_MORE)
            return 0;
        if (h.status != 101) {
            run.http_errors++;
            return -1;
        }
        c->state = C_STREAM;
        client_subscribed(c, at);
        used = (size_t)head;
    }
    for (int i = 0; i < 100000; i++) {
        struct wire_ws_frame f;
        long len = wire_ws_frame(p + used, n - used, MAX_KEPT, &f);
        if (len == WIRE_MORE)
            break;
        if (len == WIRE_ERROR)
            return -1;
        if (f.opcode == 0x1) {
            ws_message(c, f.payload, (size_t)f.len, at);
        } else if (f.opcode == 0x9 && f.len <= 125) {
            /* §5.5.2: answer a ping with a pong; client frames are masked
             * (a zero key is a valid key and leaves the bytes as they are). */
            char pong[2 + 4 + 125];
            pong[0] = (char)0x8a;
            pong[1] = (char)(0x80 | f.len);
            memset(pong + 2, 0, 4);
            memcpy(pong + 6, f.payload, (size_t)f.len);
            client_write(c, pong, 6 + (size_t)f.len);
        } else if (f.opcode == 0x8) {
            return -1;                      /* the server closes: reconnect */
        }
        used += (size_t)len;
    }
    return (long)used;
}

/* The baseline's frames: "OK" once, then events. */
static long parse_baseline(struct client *c, const char *p, size_t n, uint64_t at)
{
    size_t used = 0;
    for (int i = 0; i < 100000; i++) {
        const char *payload;
        uint32_t len;
        long total = wire_baseline_frame(p + used, n - used, MAX_KEPT, &payload, &len);
        if (total == WIRE_MORE)
            break;
        if (total == WIRE_ERROR)
            return -1;
        if (c->state == C_WAIT_HEAD && len == 2 && memcmp(payload, "OK", 2) == 0) {
            c->state = C_STREAM;
            client_subscribed(c, at);
        } else {
            deliver(c, payload, len, at);
        }
        used += (size_t)total;
    }
    return (long)used;
}

/* ==== Client callbacks ==== */

static void client_on_connected(struct client *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        client_lost(c, err);
        return;
    }
    if (!c->subscribed)
        hist_record(&run.connect_cost, now_ns() - c->connect_start_ns);
    client_watch(c, EV_READ);
    client_send_request(c);
}

static void client_on_readable(struct client *c)
{
    size_t have = c->kept_len;
    if (have)
        memcpy(scratch, c->kept, have);
    ssize_t r = read(c->fd, scratch + have, sizeof scratch - have);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) {
        client_lost(c, r < 0 ? errno : 0);
        return;
    }
    uint64_t at = now_ns();
    run.bytes_in += (uint64_t)r;
    size_t n = have + (size_t)r;
    long used = -1;
    switch (opt.technique) {
    case T_POLLING:
    case T_LONGPOLL:  used = parse_poll(c, scratch, n, at); break;
    case T_SSE:       used = parse_sse(c, scratch, &n, have, at); break;
    case T_WEBSOCKET: used = parse_ws(c, scratch, n, at); break;
    case T_BASELINE:  used = parse_baseline(c, scratch, n, at); break;
    }
    if (used < 0 || n - (size_t)used > MAX_KEPT) {
        client_lost(c, 0);
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
    struct client *c = (struct client *)w;
    if (c->state == C_CONNECTING) {
        if (revents & EV_WRITE)
            client_on_connected(c);
        return;
    }
    if ((revents & EV_WRITE) && c->out_len)
        client_flush(c);
    if (revents & EV_READ)
        client_on_readable(c);
}

/* ==== The publisher ==== */

static struct {
    int fd;
    ev_io io;
    int timer_fd;              /* the schedule: a timerfd armed for the next event, ns precise */
    ev_io schedule;
    char *out;                 /* requests not yet taken by the socket */
    size_t out_len, out_cap;
    char in[65536];            /* answers being read */
    size_t in_len;
    int reopened;              /* times the connection was reopened mid-run */
    int closed;                /* the server closed it (an idle keep-alive) */
    int pings;                 /* GET /stats sent to keep it open, not yet answered */
    int stats;                 /* the /stats that bracket publishing: 0 none, 1 first asked,
                                * 2 first answered, 3 last asked, 4 last answered */
    int64_t stats_first, stats_last; /* the server's "deliveries" counter in them, or -1 */
    double last_ping;          /* ev_now of the last one */
} pub;

static void on_pub_io(struct ev_loop *loop, ev_io *w, int revents);
static int pub_reopen(void);

/* The bytes that publish one event: a POST, or a baseline frame. */
static size_t make_publish(char *out, size_t cap, uint64_t seq, uint64_t scheduled)
{
    char payload[65536];
    size_t plen = wire_make_payload(payload, sizeof payload, (size_t)opt.payload, seq, scheduled);
    if (opt.technique == T_BASELINE) {
        out[0] = (char)(plen >> 24);
        out[1] = (char)(plen >> 16);
        out[2] = (char)(plen >> 8);
        out[3] = (char)plen;
        memcpy(out + 4, payload, plen);
        return 4 + plen;
    }
    int n = snprintf(out, cap, "POST /publish HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n\r\n", opt.host, plen);
    memcpy(out + n, payload, plen);
    return (size_t)n + plen;
}

static void pub_flush(void)
{
    while (pub.out_len) {
        ssize_t w = write(pub.fd, pub.out, pub.out_len);
        if (w <= 0)
            break;
        run.pub_bytes_out += (uint64_t)w;
        memmove(pub.out, pub.out + w, pub.out_len - (size_t)w);
        pub.out_len -= (size_t)w;
    }
    ev_io_stop(run.loop, &pub.io);
    ev_io_set(&pub.io, pub.fd, pub.out_len ? EV_READ | EV_WRITE : EV_READ);
    ev_io_start(run.loop, &pub.io);
}

static void pub_queue(const char *p, size_t n)
{
    if (pub.out_len + n > pub.out_cap) {
        size_t cap = pub.out_cap ? pub.out_cap * 2 : 65536;
        while (cap < pub.out_len + n)
            cap *= 2;
        pub.out = realloc(pub.out, cap);
        if (!pub.out)
            abort();
        pub.out_cap = cap;
    }
    memcpy(pub.out + pub.out_len, p, n);
    pub.out_len += n;
}

static void start_drain(void);

/* The "deliveries" counter of a GET /stats answer, or -1. */
static int64_t stats_deliveries(const char *body, size_t len)
{
    const char *p = wire_find(body, len, "\"deliveries\":");
    return p ? (int64_t)wire_parse_u64(p + 13, body + len, NULL) : -1;
}

/* Ask the server for its /stats on the publisher's connection (our servers
 * count their deliveries: loadgen's count is checked against theirs). */
static void pub_ask_stats(void)
{
    char req[128];
    int n = snprintf(req, sizeof req, "GET /stats HTTP/1.1\r\nHost: %s\r\n\r\n", opt.host);
    pub_queue(req, (size_t)n);
    pub_flush();
}

/* Count the server's answers to our POSTs (each: a head and a small body). */
static void pub_read_answers(void)
{
    ssize_t r = read(pub.fd, pub.in + pub.in_len, sizeof pub.in - pub.in_len);
    if (r <= 0) {
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
            if (run.phase == 2 && run.sent < run.events_total && pub.reopened < 3) {
                warn("the server closed the publisher's connection after %" PRIu64 " events: reconnecting",
                     run.sent);
                pub.reopened++;
                if (pub_reopen() == 0)
                    return;
            }
            if (run.phase == 2 && run.sent < run.events_total)
                warn("the server closed the publisher's connection after %" PRIu64 " events", run.sent);
            if (run.phase < 2) {
                ev_io_stop(run.loop, &pub.io);   /* idle keep-alive closed: reopened to publish */
                pub.closed = 1;
                return;
            }
            ev_io_stop(run.loop, &pub.io);
            ev_io_stop(run.loop, &pub.schedule);
            run.events_total = run.sent;    /* what was sent is all that can arrive */
            if (run.phase == 2)
                start_drain();
        }
        return;
    }
    run.pub_bytes_in += (uint64_t)r;
    pub.in_len += (size_t)r;
    size_t used = 0;
    for (;;) {
        struct wire_head h;
        long head = wire_parse_head(pub.in + used, pub.in_len - used, &h);
        if (head == WIRE_MORE || h.content_length < 0
            || pub.in_len - used - (size_t)head < (size_t)h.content_length)
            break;
        const char *body = pub.in + used + head;
        if (pub.pings > 0)
            pub.pings--;                    /* answers come in order: the pings were first */
        else if (pub.stats == 1)
            pub.stats_first = stats_deliveries(body, (size_t)h.content_length), pub.stats = 2;
        else if (pub.stats == 3 && run.acked + run.publish_errors >= run.sent)
            pub.stats_last = stats_deliveries(body, (size_t)h.content_length), pub.stats = 4;
        else if (h.status == 200)
            run.acked++;
        else
            run.publish_errors++;
        used += (size_t)head + (size_t)h.content_length;
    }
    memmove(pub.in, pub.in + used, pub.in_len - used);
    pub.in_len -= used;
    if (pub.in_len == sizeof pub.in)
        pub.in_len = 0;                     /* an answer we cannot parse: drop it */
}

static void on_pub_io(struct ev_loop *loop, ev_io *w, int revents)
{
    if (revents & EV_WRITE)
        pub_flush();
    if (revents & EV_READ) {
        if (opt.technique == T_BASELINE) {
            char sink[4096];
            ssize_t r = read(pub.fd, sink, sizeof sink);
            if (r > 0)
                run.pub_bytes_in += (uint64_t)r;
            else if (r == 0)
                ev_io_stop(loop, w);
        } else {
            pub_read_answers();
        }
    }
}

/* Arm the schedule's timerfd for absolute CLOCK_MONOTONIC time `at` (ns).
 * A timerfd, not an ev_timer: libev's epoll backend sleeps in whole
 * milliseconds, and that slack would be counted as the server's latency. */
static void schedule_at(uint64_t at)
{
    struct itimerspec its = { 0 };
    its.it_value.tv_sec = (time_t)(at / 1000000000ULL);
    its.it_value.tv_nsec = (long)(at % 1000000000ULL);
    timerfd_settime(pub.timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Send every event whose scheduled time has come, then sleep until the next
 * one is due. Open loop: the schedule never waits for the server. */
static void on_schedule(struct ev_loop *loop, ev_io *w, int revents)
{
    uint64_t expirations;
    if (read(pub.timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        return;
    uint64_t now = now_ns();
    uint64_t due = now < run.t0_ns ? 0 : (now - run.t0_ns) / run.period_ns + 1;
    if (due > run.events_total)
        due = run.events_total;
    char msg[65536 + 512];
    while (run.sent < due) {
        uint64_t seq = run.sent + 1;
        size_t n = make_publish(msg, sizeof msg, seq, run.t0_ns + (seq - 1) * run.period_ns);
        pub_queue(msg, n);
        run.sent++;
        if (opt.technique == T_BASELINE)
            run.acked++;                    /* no answers in the baseline protocol */
    }
    pub_flush();
    if (run.sent >= run.events_total) {
        ev_io_stop(loop, w);
        run.publish_end_ns = now_ns();
        start_drain();
    } else {
        schedule_at(run.t0_ns + run.sent * run.period_ns);
    }
}

/* Open the publisher's connection (blocking, 5 s timeouts: only the warm-up
 * uses it blocking). Returns 0, or -1 with errno set. */
static int pub_connect(void)
{
    pub.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (pub.fd < 0)
        return -1;
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(pub.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(pub.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(pub.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(pub.fd, (struct sockaddr *)&opt.server, sizeof opt.server) < 0) {
        int e = errno;
        close(pub.fd);
        pub.fd = -1;
        errno = e;
        return -1;
    }
    return 0;
}

/* A fresh publisher connection for the events: the warm-up's may have been
 * closed as idle while the clients subscribed, or by the server mid-run.
 * Whatever was queued and not yet written is dropped (those events will
 * count as lost). Returns 0, or -1. */
static int pub_reopen(void)
{
    ev_io_stop(run.loop, &pub.io);
    if (pub.fd >= 0)
        close(pub.fd);
    if (pub.out_len)
        warn("%zu bytes of queued events dropped with the publisher's old connection", pub.out_len);
    pub.out_len = 0;
    pub.in_len = 0;
    pub.closed = 0;
    pub.pings = 0;
    if (pub_connect() < 0) {
        warn("cannot reconnect the publisher: %s", strerror(errno));
        return -1;
    }
    fcntl(pub.fd, F_SETFL, fcntl(pub.fd, F_GETFL) | O_NONBLOCK);
    ev_io_init(&pub.io, on_pub_io, pub.fd, EV_READ);
    ev_io_start(run.loop, &pub.io);
    return 0;
}

/* Blocking warm-up: publish "seq=0" and learn its id, so subscribers start
 * right after it. Returns 0, or -1 with a message. */
static int pub_warmup(void)
{
    if (pub_connect() < 0) {
        fprintf(stderr, "loadgen: cannot connect to %s: %s\n", opt.url, strerror(errno));
        return -1;
    }
    char msg[65536 + 512];
    size_t n = make_publish(msg, sizeof msg, 0, now_ns());
    if (write(pub.fd, msg, n) != (ssize_t)n) {
        fprintf(stderr, "loadgen: cannot publish to %s: %s\n", opt.url, strerror(errno));
        return -1;
    }
    run.pub_bytes_out += n;
    if (opt.technique != T_BASELINE) {
        /* Read until a complete answer: {"id":N}. */
        size_t have = 0;
        for (int tries = 0; tries < 100; tries++) {
            ssize_t r = read(pub.fd, pub.in + have, sizeof pub.in - 1 - have);
            if (r <= 0)
                break;
            have += (size_t)r;
            struct wire_head h;
            long head = wire_parse_head(pub.in, have, &h);
            if (head > 0 && h.content_length >= 0 && have >= (size_t)head + (size_t)h.content_length) {
                size_t cl = (size_t)h.content_length;
                run.pub_bytes_in += have;
                const char *id = wire_find(pub.in + head, cl, "\"id\":");
                if (h.status != 200 || !id) {
                    fprintf(stderr, "loadgen: POST /publish answered %d, not {\"id\":N}\n", h.status);
                    return -1;
                }
                run.warmup_id = wire_parse_u64(id + 5, pub.in + head + cl, NULL);
                pub.in_len = have - (size_t)head - cl;
                memmove(pub.in, pub.in + head + cl, pub.in_len);
                break;
            }
        }
        if (run.warmup_id == 0) {
            fprintf(stderr, "loadgen: no answer to POST /publish from %s\n", opt.url);
            return -1;
        }
    }
    fcntl(pub.fd, F_SETFL, fcntl(pub.fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

/* ==== Phases of a run ==== */

static ev_timer phase_timer;          /* drives the phases: every 10 ms */

/* Start clients until MAX_INFLIGHT are connecting or all have started. */
static void start_more_clients(void)
{
    while (run.started < opt.clients && run.connecting < MAX_INFLIGHT) {
        struct client *c = &run.clients[run.started++];
        run.connecting++;
        client_connect(c);
    }
}

static void start_publishing(void)
{
    run.subscribed = proc_read(opt.server_pid);
    run.subscribed_at_start = run.subscribed_now;
    run.requests_at_publish = run.requests;
    /* The warm-up's connection may have been closed as idle while the
     * clients subscribed: then open a new one. (Not always a new one: a
     * server out of file descriptors could not accept it.) */
    if (run.events_total > 0 && pub.closed && pub_reopen() < 0)
        run.events_total = 0;                /* nothing can be published: say so, end */
    pub.stats_first = pub.stats_last = -1;
    if (opt.technique != T_BASELINE && run.events_total > 0) {
        pub_ask_stats();                     /* answered before any POST: in order */
        pub.stats = 1;
    }
    getrusage(RUSAGE_SELF, &run.ru_publish);
    run.phase = 2;
    run.publish_start_ns = now_ns();
    run.t0_ns = run.publish_start_ns + 1000000;   /* event 1 is due in 1 ms */
    if (run.events_total == 0) {
        run.publish_end_ns = run.publish_start_ns + (uint64_t)(opt.duration * 1e9);
        run.phase = 3;
        run.phase_deadline = ev_now(run.loop) + opt.duration;   /* polling-only run */
        return;
    }
    say("publishing %" PRIu64 " events at %g/s to %d subscribers", run.events_total, opt.rate,
        run.subscribed_now);
    pub.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (pub.timer_fd < 0) {
        warn("timerfd_create: %s", strerror(errno));
        start_drain();
        return;
    }
    /* The kernel may delay a sleeping timer by its "slack" (50 µs by
     * default) to batch wake-ups; we want the send on time. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    ev_io_init(&pub.schedule, on_schedule, pub.timer_fd, EV_READ);
    ev_io_start(run.loop, &pub.schedule);
    schedule_at(run.t0_ns);
}

static void start_drain(void)
{
    run.phase = 3;
    run.phase_deadline = ev_now(run.loop) + opt.grace;
}

static void finish(void)
{
    run.phase = 4;
    run.end_ns = now_ns();
    run.after = proc_read(opt.server_pid);
    getrusage(RUSAGE_SELF, &run.ru_end);
    ev_break(run.loop, EVBREAK_ALL);
}

/* While the clients subscribe (10 000 may take a while), keep the
 * publisher's connection from being closed as idle: a GET /stats every 5 s
 * (core closes idle keep-alives after 30 s). */
static void pub_keep_alive(double now)
{
    if (opt.technique == T_BASELINE || pub.closed || now - pub.last_ping < 5)
        return;
    char req[128];
    int n = snprintf(req, sizeof req, "GET /stats HTTP/1.1\r\nHost: %s\r\n\r\n", opt.host);
    pub_queue(req, (size_t)n);
    pub_flush();
    pub.pings++;
    pub.last_ping = now;
}

static void on_phase(struct ev_loop *loop, ev_timer *w, int revents)
{
    double now = ev_now(loop);
    if (run.phase < 2)
        pub_keep_alive(now);
    if (now > run.hard_deadline) {
        warn("the run did not end in time (phase %d): stopped", run.phase);
        finish();
        return;
    }
    switch (run.phase) {
    case 0:                                  /* subscribing */
        start_more_clients();
        if (run.subscribed_now + run.dead >= opt.clients && run.connecting == 0) {
            say("%d of %d clients subscribed", run.subscribed_now, opt.clients);
            run.phase = 1;
            run.phase_deadline = now + 0.2;  /* settle */
        } else if (now > run.phase_deadline) {
            run.connect_timeouts = (uint64_t)run.connecting + (uint64_t)(opt.clients - run.started);
            warn("only %d of %d clients subscribed within %g s; going on with them",
                 run.subscribed_now, opt.clients, opt.connect_timeout);
            unsigned long server_fds = proc_fd_limit(opt.server_pid);
            if (server_fds > 0 && server_fds < (unsigned long)opt.clients + 16)
                warn("LIMIT: the server may open only %lu files (RLIMIT_NOFILE): it cannot hold %d clients",
                     server_fds, opt.clients);
            for (int i = 0; i < opt.clients; i++) {
                struct client *c = &run.clients[i];
                if (!c->subscribed && c->state != C_DEAD) {
                    client_close_socket(c);
                    c->state = C_DEAD;
                }
            }
            run.started = opt.clients;
            run.connecting = 0;
            run.phase = 1;
            run.phase_deadline = now + 0.2;
        }
        break;
    case 1:                                  /* settle */
        if (now > run.phase_deadline)
            start_publishing();
        break;
    case 2:                                  /* publishing: on_schedule does it */
        break;
    case 3:                                  /* draining */
        if ((run.events_total > 0 && run.unique >= run.events_total * (uint64_t)run.subscribed_at_start)
            || now > run.phase_deadline) {
            if (pub.stats == 2 && !pub.closed) {
                pub_ask_stats();             /* the server's own count, then finish */
                pub.stats = 3;
                run.phase = 5;
                run.phase_deadline = now + 1.0;
            } else {
                finish();
            }
        }
        break;
    case 5:                                  /* waiting for the last /stats */
        if (pub.stats == 4 || now > run.phase_deadline)
            finish();
        break;
    }
}

/* ==== Report ==== */

/* The server's own count of deliveries while we published, or -1. */
static long long server_deliveries(void)
{
    return pub.stats == 4 && pub.stats_first >= 0 && pub.stats_last >= 0
           ? (long long)(pub.stats_last - pub.stats_first) : -1LL;
}

static double per(double a, double b) { return b > 0 ? a / b : 0; }

/* The machine's 1-minute load average, 0 if unknown. */
static double load_average(void)
{
    double load = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1)
            load = 0;
        fclose(f);
    }
    return load;
}

/* CPU seconds (user + system) this process used between two getrusage calls. */
static double cpu_between(const struct rusage *a, const struct rusage *b)
{
    return (double)(b->ru_utime.tv_sec - a->ru_utime.tv_sec + b->ru_stime.tv_sec - a->ru_stime.tv_sec)
           + (double)(b->ru_utime.tv_usec - a->ru_utime.tv_usec + b->ru_stime.tv_usec - a->ru_stime.tv_usec) / 1e6;
}

/* How busy loadgen was from the start of publishing to the end: near 1.0
 * means it may have been the bottleneck. */
static double loadgen_busy(void)
{
    return per(cpu_between(&run.ru_publish, &run.ru_end), (double)(run.end_ns - run.publish_start_ns) / 1e9);
}
static double us(uint64_t ns) { return (double)ns / 1000.0; }

static void print_json(FILE *f)
{
    const struct histogram *h = &run.latency;
    uint64_t expected = run.events_total * (uint64_t)run.subscribed_at_start;
    uint64_t lost = expected > run.unique ? expected - run.unique : 0;
    double window_s = (double)(run.end_ns - run.publish_start_ns) / 1e9;
    double cpu_run_us = run.after.ok && run.subscribed.ok
                        ? (double)(run.after.cpu_ns - run.subscribed.cpu_ns) / 1000.0 : -1;
    double cpu_connect_us = run.subscribed.ok && run.before.ok
                        ? (double)(run.subscribed.cpu_ns - run.before.cpu_ns) / 1000.0 : -1;
    double mem_per_conn = run.subscribed.ok && run.subscribed_at_start > 0
                        ? ((double)run.subscribed.rss_bytes - (double)run.before.rss_bytes) / run.subscribed_at_start : -1;
    double lg_cpu = cpu_between(&run.ru_start, &run.ru_end);
    char lg_cpus[64], srv_cpus[64];
    proc_cpus(0, lg_cpus, sizeof lg_cpus);
    proc_cpus(opt.server_pid, srv_cpus, sizeof srv_cpus);
    if (opt.server_pid <= 0)
        snprintf(srv_cpus, sizeof srv_cpus, "?");

    fprintf(f, "{\"technique\":\"%s\",\"label\":\"%s\",\"url\":\"%s\"", technique_names[opt.technique],
            opt.label ? opt.label : "", opt.url);
    fprintf(f, ",\"clients\":%d,\"subscribed\":%d,\"rate\":%g,\"duration_s\":%g,\"payload_bytes\":%d",
            opt.clients, run.subscribed_at_start, opt.rate, opt.duration, opt.payload);
    fprintf(f, ",\"poll_interval_ms\":%d", opt.technique == T_POLLING ? opt.poll_ms : 0);
    fprintf(f, ",\"events_planned\":%" PRIu64, run.events_planned);
    fprintf(f, ",\"events_sent\":%" PRIu64 ",\"events_acked\":%" PRIu64 ",\"publish_errors\":%" PRIu64,
            run.sent, run.acked, run.publish_errors);
    fprintf(f, ",\"expected_deliveries\":%" PRIu64 ",\"deliveries\":%" PRIu64 ",\"unique_deliveries\":%" PRIu64
            ",\"lost\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"foreign\":%" PRIu64,
            expected, run.deliveries, run.unique, lost, run.duplicates, run.gaps, run.foreign);
    fprintf(f, ",\"latency_us\":{\"min\":%.1f,\"mean\":%.1f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
            "\"p999\":%.1f,\"max\":%.1f}",
            h->count ? us(h->min) : 0, hist_mean(h) / 1000.0, us(hist_percentile(h, 50)),
            us(hist_percentile(h, 90)), us(hist_percentile(h, 99)), us(hist_percentile(h, 99.9)),
            us(h->max));
    fprintf(f, ",\"server_deliveries\":%lld", server_deliveries());
    fprintf(f, ",\"connect_us\":{\"mean\":%.1f,\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f}",
            hist_mean(&run.connect_cost) / 1000.0, us(hist_percentile(&run.connect_cost, 50)),
            us(hist_percentile(&run.connect_cost, 99)), us(run.connect_cost.count ? run.connect_cost.max : 0));
    fprintf(f, ",\"subscribe_us\":{\"mean\":%.1f,\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f}",
            hist_mean(&run.subscribe_cost) / 1000.0, us(hist_percentile(&run.subscribe_cost, 50)),
            us(hist_percentile(&run.subscribe_cost, 99)),
            us(run.subscribe_cost.count ? run.subscribe_cost.max : 0));
    fprintf(f, ",\"connect_errors\":%" PRIu64 ",\"connect_timeouts\":%" PRIu64 ",\"disconnects\":%" PRIu64
            ",\"reconnects\":%" PRIu64, run.connect_errors, run.connect_timeouts, run.disconnects, run.reconnects);
    fprintf(f, ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64 ",\"publisher_bytes_in\":%" PRIu64
            ",\"publisher_bytes_out\":%" PRIu64, run.bytes_in, run.bytes_out, run.pub_bytes_in, run.pub_bytes_out);
    fprintf(f, ",\"requests\":%" PRIu64 ",\"empty_polls\":%" PRIu64 ",\"http_errors\":%" PRIu64,
            run.requests, run.empty_polls, run.http_errors);
    fprintf(f, ",\"requests_per_s\":%.1f", per((double)(run.requests - run.requests_at_publish), window_s));
    fprintf(f, ",\"bytes_per_delivery\":%.1f,\"requests_per_delivery\":%.4f",
            per((double)(run.bytes_in + run.bytes_out), (double)run.unique),
            per((double)run.requests, (double)run.unique));
    fprintf(f, ",\"server_pid\":%d,\"server_cpus\":\"%s\",\"loadgen_cpus\":\"%s\"", (int)opt.server_pid,
            srv_cpus, lg_cpus);
    fprintf(f, ",\"server_cpu_us_connect\":%.0f,\"server_cpu_us_run\":%.0f", cpu_connect_us, cpu_run_us);
    fprintf(f, ",\"server_wait_us_run\":%.0f", run.after.ok && run.subscribed.ok
            ? (double)(run.after.wait_ns - run.subscribed.wait_ns) / 1000.0 : -1);
    fprintf(f, ",\"server_cpu_us_per_delivery\":%.3f,\"deliveries_per_server_cpu_s\":%.0f",
            cpu_run_us >= 0 ? per(cpu_run_us, (double)run.unique) : -1,
            cpu_run_us > 0 ? (double)run.unique / (cpu_run_us / 1e6) : -1);
    fprintf(f, ",\"server_rss_before_kb\":%" PRIu64 ",\"server_rss_subscribed_kb\":%" PRIu64
            ",\"server_rss_after_kb\":%" PRIu64 ",\"server_mem_per_conn_bytes\":%.0f",
            run.before.rss_bytes / 1024, run.subscribed.rss_bytes / 1024, run.after.rss_bytes / 1024,
            mem_per_conn);
    fprintf(f, ",\"loadavg_1m\":%.2f", load_average());
    fprintf(f, ",\"loadgen_cpu_s\":%.3f,\"loadgen_busy\":%.3f,\"wall_s\":%.3f", lg_cpu, loadgen_busy(),
            (double)(run.end_ns - run.run_start_ns) / 1e9);
    fprintf(f, ",\"ok\":%s,\"warnings\":\"", lost == 0 && run.subscribed_at_start == opt.clients
            && run.duplicates == 0 && run.sent == run.events_planned ? "true" : "false");
    for (const char *w = run.warnings; *w; w++)
        fputc(*w == '"' || *w == '\\' ? '\'' : *w, f);
    fprintf(f, "\"}\n");
}

/* The CSV columns, the same as the flat JSON fields (see bench/README.md). */
static void print_csv(FILE *f, int header)
{
    const struct histogram *h = &run.latency;
    if (header)
        fprintf(f, "technique,label,clients,subscribed,rate,duration_s,payload_bytes,poll_interval_ms,"
                "events_sent,expected_deliveries,unique_deliveries,lost,duplicates,gaps,"
                "lat_p50_us,lat_p90_us,lat_p99_us,lat_p999_us,lat_max_us,lat_mean_us,"
                "connect_p50_us,connect_p99_us,subscribe_p50_us,subscribe_p99_us,connect_errors,"
                "bytes_in,bytes_out,requests,empty_polls,requests_per_s,bytes_per_delivery,requests_per_delivery,"
                "server_cpu_us_per_delivery,deliveries_per_server_cpu_s,server_mem_per_conn_bytes,"
                "server_rss_subscribed_kb,loadgen_busy,server_wait_us_run,server_cpu_us_run,loadavg_1m,"
                "deliveries,server_deliveries\n");
    uint64_t expected = run.events_total * (uint64_t)run.subscribed_at_start;
    double cpu_run_us = run.after.ok && run.subscribed.ok
                        ? (double)(run.after.cpu_ns - run.subscribed.cpu_ns) / 1000.0 : -1;
    double window_s = (double)(run.end_ns - run.publish_start_ns) / 1e9;
    fprintf(f, "%s,%s,%d,%d,%g,%g,%d,%d,", technique_names[opt.technique], opt.label ? opt.label : "",
            opt.clients, run.subscribed_at_start, opt.rate, opt.duration, opt.payload,
            opt.technique == T_POLLING ? opt.poll_ms : 0);
    fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", run.sent,
            expected, run.unique, expected > run.unique ? expected - run.unique : 0, run.duplicates, run.gaps);
    fprintf(f, "%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,", us(hist_percentile(h, 50)), us(hist_percentile(h, 90)),
            us(hist_percentile(h, 99)), us(hist_percentile(h, 99.9)), us(h->count ? h->max : 0),
            hist_mean(h) / 1000.0);
    fprintf(f, "%.1f,%.1f,%.1f,%.1f,%" PRIu64 ",", us(hist_percentile(&run.connect_cost, 50)),
            us(hist_percentile(&run.connect_cost, 99)), us(hist_percentile(&run.subscribe_cost, 50)),
            us(hist_percentile(&run.subscribe_cost, 99)), run.connect_errors + run.connect_timeouts);
    fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.1f,%.1f,%.4f,", run.bytes_in, run.bytes_out,
            run.requests, run.empty_polls, per((double)(run.requests - run.requests_at_publish), window_s),
            per((double)(run.bytes_in + run.bytes_out), (double)run.unique),
            per((double)run.requests, (double)run.unique));
    fprintf(f, "%.3f,%.0f,%.0f,%" PRIu64 ",%.3f",
            cpu_run_us >= 0 ? per(cpu_run_us, (double)run.unique) : -1,
            cpu_run_us > 0 ? (double)run.unique / (cpu_run_us / 1e6) : -1,
            run.subscribed.ok && run.subscribed_at_start > 0
                ? ((double)run.subscribed.rss_bytes - (double)run.before.rss_bytes) / run.subscribed_at_start : -1,
            run.subscribed.rss_bytes / 1024, loadgen_busy());
    /* Appended later, so the columns above keep their numbers. */
    fprintf(f, ",%.0f,%.0f,%.2f,%" PRIu64 ",%lld\n",
            run.after.ok && run.subscribed.ok ? (double)(run.after.wait_ns - run.subscribed.wait_ns) / 1000.0 : -1,
            cpu_run_us, load_average(), run.deliveries, server_deliveries());
}

/* The latency distribution: "percentile latency_us" lines, for the
 * percentile-spectrum chart (x = 1/(1 - p)). */
static void print_distribution(FILE *f)
{
    static const double ps[] = { 0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98,
                                 99, 99.5, 99.75, 99.9, 99.95, 99.99, 99.999, 100 };
    fprintf(f, "# %s clients=%d rate=%g: percentile latency_us\n", technique_names[opt.technique],
            opt.clients, opt.rate);
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        fprintf(f, "%g %.1f\n", ps[i], us(hist_percentile(&run.latency, ps[i])));
}

/* ==== main ==== */

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen -T polling|longpoll|sse|websocket|baseline -u URL -c CLIENTS\n"
            "               -r EVENTS_PER_S -d SECONDS -s PAYLOAD_BYTES [-i POLL_MS]\n"
            "               [-P SERVER_PID] [-o out.jsonl] [-C out.csv] [-D dist.dat]\n"
            "               [-L LABEL] [-g GRACE_S] [-t LONGPOLL_TIMEOUT_S] [-W SUBSCRIBE_S] [-S] [-q]\n"
            "  -S  do not spread client source addresses over 127.0.0.0/8\n");
}

/* "http://127.0.0.1:8001/" or "tcp://127.0.0.1:8005" → opt.server. */
static int parse_url(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    char host[64];
    size_t n = strcspn(p, ":/");
    if (n == 0 || n >= sizeof host)
        return -1;
    memcpy(host, p, n);
    host[n] = 0;
    int port = p[n] == ':' ? atoi(p + n + 1) : 80;
    memset(&opt.server, 0, sizeof opt.server);
    opt.server.sin_family = AF_INET;
    opt.server.sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &opt.server.sin_addr) != 1)
        return -1;
    if ((ntohl(opt.server.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "loadgen: %s is not on loopback: rtlab only loads 127.0.0.0/8\n", host);
        return -1;
    }
    snprintf(opt.host, sizeof opt.host, "%.40s:%d", host, port);
    return 0;
}

static int parse_args(int argc, char **argv)
{
    int o;
    while ((o = getopt(argc, argv, "T:u:c:r:d:s:i:P:o:C:D:L:g:t:W:Sq")) != -1) {
        switch (o) {
        case 'T': {
            int found = -1;
            for (int i = 0; i < 5; i++)
                if (strcmp(optarg, technique_names[i]) == 0)
                    found = i;
            if (found < 0) {
                fprintf(stderr, "loadgen: -T %s: not a technique\n", optarg);
                return -1;
            }
            opt.technique = (enum technique)found;
            break;
        }
        case 'u': opt.url = optarg; break;
        case 'c': opt.clients = atoi(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 's': opt.payload = atoi(optarg); break;
        case 'i': opt.poll_ms = atoi(optarg); break;
        case 'P': opt.server_pid = (pid_t)atoi(optarg); break;
        case 'o': opt.out_path = optarg; break;
        case 'C': opt.csv_path = optarg; break;
        case 'D': opt.dist_path = optarg; break;
        case 'L': opt.label = optarg; break;
        case 'g': opt.grace = atof(optarg); break;
        case 't': opt.longpoll_timeout = atoi(optarg); break;
        case 'W': opt.connect_timeout = atof(optarg); break;
        case 'S': opt.spread = 0; break;
        case 'q': opt.quiet = 1; break;
        default: usage(); return -1;
        }
    }
    if (!opt.url) {
        usage();
        return -1;
    }
    if (parse_url(opt.url) < 0) {
        fprintf(stderr, "loadgen: -u %s: want http://127.x.y.z:PORT/\n", opt.url);
        return -1;
    }
    if (opt.clients < 1 || opt.clients > MAX_CLIENTS || opt.rate < 0 || opt.rate > 1e6
        || opt.duration <= 0 || opt.duration > 3600 || opt.payload < 0 || opt.payload > 60000
        || opt.poll_ms < 0 || opt.connect_timeout <= 0 || opt.connect_timeout > 600) {
        fprintf(stderr, "loadgen: a value is out of range (1 <= -c <= %d, 0 <= -r <= 1e6, "
                "0 < -d <= 3600, 0 <= -s <= 60000)\n", MAX_CLIENTS);
        return -1;
    }
    if (opt.grace < 0)
        opt.grace = 2.0 + 3.0 * (opt.technique == T_POLLING ? opt.poll_ms / 1000.0 : 0);
    return 0;
}

/* Raise RLIMIT_NOFILE for the clients; say so plainly when the hard limit
 * is too low. Returns 0, or -1. */
static int raise_fd_limit(void)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)opt.clients + 64;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max < need) {
        fprintf(stderr, "loadgen: LIMIT: %d clients need %llu file descriptors but RLIMIT_NOFILE's "
                "hard limit is %llu; raise it (ulimit -Hn, /etc/security/limits.conf) or use fewer clients\n",
                opt.clients, (unsigned long long)need, (unsigned long long)rl.rlim_max);
        return -1;
    }
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        fprintf(stderr, "loadgen: LIMIT: setrlimit(RLIMIT_NOFILE, %llu): %s\n",
                (unsigned long long)need, strerror(errno));
        return -1;
    }
    return 0;
}

static void write_outputs(void)
{
    print_json(stdout);
    fflush(stdout);
    if (opt.out_path) {
        FILE *f = fopen(opt.out_path, "a");
        if (f) {
            print_json(f);
            fclose(f);
        } else {
            fprintf(stderr, "loadgen: cannot write %s: %s\n", opt.out_path, strerror(errno));
        }
    }
    if (opt.csv_path) {
        FILE *f = fopen(opt.csv_path, "a");
        if (f) {
            print_csv(f, ftell(f) == 0);
            fclose(f);
        }
    }
    if (opt.dist_path) {
        FILE *f = fopen(opt.dist_path, "w");
        if (f) {
            print_distribution(f);
            fclose(f);
        }
    }
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) < 0)
        return 1;
    if (raise_fd_limit() < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    run.loop = EV_DEFAULT;
    hist_init(&run.latency);
    hist_init(&run.connect_cost);
    hist_init(&run.subscribe_cost);
    run.events_total = (uint64_t)(opt.rate * opt.duration + 0.5);
    run.events_planned = run.events_total;
    run.period_ns = opt.rate > 0 ? (uint64_t)(1e9 / opt.rate) : 1;
    if ((double)run.events_total * opt.clients / 8 > 1e9) {
        fprintf(stderr, "loadgen: clients × events is too large to track (over 8e9)\n");
        return 1;
    }
    run.run_start_ns = now_ns();
    getrusage(RUSAGE_SELF, &run.ru_start);
    run.before = proc_read(opt.server_pid);
    if (opt.server_pid > 0 && !run.before.ok)
        warn("cannot read /proc/%d: no server CPU or memory figures", (int)opt.server_pid);
    if (pub_warmup() < 0)
        return 1;

    size_t bitmap = (size_t)(run.events_total + 7) / 8 + 1;
    run.clients = calloc((size_t)opt.clients, sizeof *run.clients);
    unsigned char *bits = calloc((size_t)opt.clients, bitmap);
    if (!run.clients || !bits) {
        fprintf(stderr, "loadgen: out of memory for %d clients\n", opt.clients);
        return 1;
    }
    for (int i = 0; i < opt.clients; i++) {
        struct client *c = &run.clients[i];
        c->index = i;
        c->fd = -1;
        c->seen = bits + (size_t)i * bitmap;
        /* Polling starts just before the warm-up event, so its first answer
         * carries it (that answer confirms the subscription); streams start
         * after it. */
        c->cursor = opt.technique <= T_LONGPOLL && run.warmup_id > 0 ? run.warmup_id - 1 : run.warmup_id;
        ev_timer_init(&c->timer, on_poll_timer, 0, 0);
    }

    ev_io_init(&pub.io, on_pub_io, pub.fd, EV_READ);
    ev_io_start(run.loop, &pub.io);
    pub.last_ping = ev_now(run.loop);
    ev_timer_init(&phase_timer, on_phase, 0.0, 0.01);
    ev_timer_start(run.loop, &phase_timer);
    run.phase_deadline = ev_now(run.loop) + opt.connect_timeout;
    say("%s: subscribing %d clients to %s", technique_names[opt.technique], opt.clients, opt.url);
    start_more_clients();

    run.hard_deadline = ev_now(run.loop) + opt.connect_timeout + 0.2 + opt.duration + opt.grace + 10;
    ev_run(run.loop, 0);

    if (run.connect_errors)
        warn("%" PRIu64 " clients could not subscribe (last error: %s)", run.connect_errors,
             run.last_errno ? strerror(run.last_errno) : "closed by the server");
    uint64_t expected = run.events_total * (uint64_t)run.subscribed_at_start;
    if (run.unique < expected)
        warn("LOST %" PRIu64 " of %" PRIu64 " deliveries", expected - run.unique, expected);
    if (run.duplicates)
        warn("%" PRIu64 " DUPLICATE deliveries", run.duplicates);
    if (run.sent < run.events_planned)
        warn("only %" PRIu64 " of %" PRIu64 " events could be published", run.sent, run.events_planned);
    if (server_deliveries() >= 0 && (uint64_t)server_deliveries() != run.deliveries)
        warn("the server counted %lld deliveries, loadgen received %" PRIu64,
             server_deliveries(), run.deliveries);
    if (run.acked < run.sent)
        warn("the server answered only %" PRIu64 " of %" PRIu64 " POST /publish", run.acked, run.sent);
    if (loadgen_busy() > 0.9)
        warn("loadgen was %.0f%% busy while publishing: it may be the bottleneck, not the server",
             loadgen_busy() * 100);
    write_outputs();
    for (int i = 0; i < opt.clients; i++)
        if (run.clients[i].fd >= 0)
            client_close_socket(&run.clients[i]);
    close(pub.fd);
    free(bits);
    free(run.clients);
    free(pub.out);
    return 0;
}
