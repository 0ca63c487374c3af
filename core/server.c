/*
 * core/server.c — the event loop itself: the libev watchers of the server and
 * of each connection, the common flags, and server_main. See server.h for
 * the life of a connection and the interface a technique uses; the other
 * files of the loop are listed in conn_internal.h.
 *
 * Sections:
 *   libev callbacks: a connection's io and timer, accept, the flush before
 *     the loop sleeps, the ticker, signals
 *   server_main: flags, the default web root, start-up
 *
 * The special problems handled here:
 *   - slowloris and idle keep-alive connections (conn_on_timeout);
 *   - a reader that stopped reading (on_stall_check, every quarter of -S);
 *   - EMFILE on accept (on_accept pauses accepting instead of spinning);
 *   - SIGPIPE (ignored: a write to a closed socket is an error we handle);
 *   - writes batched per loop pass, and frees deferred until the pass ends
 *     (on_flush, an ev_prepare watcher).
 */
#include "conn_internal.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>                 /* getopt, as POSIX has it */

#include "feed_redis.h"
#include "net.h"

/* ==== libev callbacks ==== */

/* A connection's socket is readable or writable. */
void conn_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, io));
    if (revents & EV_READ) conn_read(c);
    if ((revents & EV_WRITE) && c->state != CONN_CLOSED) conn_flush(c);
    (void)loop;
}

/* The connection's timer: what it means depends on the state. */
void conn_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, timer));
    struct server *s = c->srv;
    (void)loop; (void)revents;
    ev_timer_stop(s->loop, &c->timer);
    switch (c->state) {
    case CONN_HEAD:
        if (c->head_started) {                    /* slowloris: the head took too long */
            server_log(s, "fd %d: request head not complete in %u ms", c->fd, s->cfg.head_ms);
            conn_error(c, 408, "Request Timeout", 1);
        } else if (outq_bytes(&c->out) > 0 || c->file) {
            conn_arm(c, conn_seconds(s->cfg.idle_ms));   /* not idle: an answer is on its way */
        } else {
            conn_close(c);                        /* idle keep-alive: quietly */
        }
        break;
    case CONN_HELD:
    case CONN_UPGRADED:
        if (s->tech->on_timeout) s->tech->on_timeout(c);
        break;
    case CONN_WAITING:                            /* -R: the mirror did not reach its cursor */
        if (c->mirror_wait) conn_mirror_expired(c);
        else conn_close(c);
        break;
    default:                                      /* lingering close: enough waiting */
        conn_close(c);
    }
}

static void on_accept_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, accept_retry));
    (void)revents;
    if (!s->shutting_down) ev_io_start(loop, &s->listen_io);
}

/* Accept every pending connection. Out of descriptors (EMFILE, ENFILE), the
 * pending one cannot be taken and the listening socket stays readable: a
 * loop that kept watching it would spin at 100% CPU. So stop watching it for
 * ACCEPT_RETRY seconds instead (libev manual, "the special problem of
 * accept()ing when you can't"). */
static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, listen_io));
    (void)revents;
    for (int i = 0; i < 256; i++) {                /* bounded: let other work run too */
        int fd = net_accept(s->listen_fd);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                server_log(s, "accept: %s; pausing accepts for %.0f ms", strerror(errno),
                           ACCEPT_RETRY * 1000);
                ev_io_stop(loop, &s->listen_io);
                ev_timer_set(&s->accept_retry, ACCEPT_RETRY, 0);
                ev_timer_start(loop, &s->accept_retry);
            }
            return;                               /* EAGAIN: none left */
        }
        if (!conn_new(s, fd)) close(fd);
    }
}

/* Every quarter of the stall time: drop each connection that has held
 * unsent bytes and taken none for the whole of it (conn_check_stall). A
 * reader that stops is so dropped within 1.25 x -S of its last byte taken,
 * holding at most its window: the out cap plus one event (its deliver
 * stops at the cap) plus the few bytes of its own (a gap notice, a
 * keep-alive line, a pong). */
static void on_stall_check(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, stall_check));
    (void)revents;
    double now = ev_now(loop);
    struct conn *next;
    for (struct conn *c = s->conns; c; c = next) {
        next = c->next;
        conn_check_stall(c, now);
    }
}

/* Just before the loop sleeps: write what every dirty connection has queued,
 * then free the connections closed during this pass. */
static void on_flush(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, flush));
    (void)revents;
    if (s->mirror_waiting) conn_mirror_wake(s);  /* the mirror moved: their cursors now? */
    while (s->dirty) {
        struct conn *c = s->dirty;
        s->dirty = c->dirty_next;
        c->dirty = 0;
        conn_flush(c);
    }
    while (s->closed) {
        struct conn *c = s->closed;
        s->closed = c->next;
        conn_free(c);
    }
    if (s->shutting_down && !s->conns) ev_break(loop, EVBREAK_ALL);
}

/* The built-in ticker: a clock event every -t milliseconds. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, tick));
    (void)loop; (void)revents;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char text[64];
    int n = snprintf(text, sizeof text, "clock %02d:%02d:%02d.%03ld UTC", tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000);
    server_publish(s, text, (size_t)n);
}

/* Past the grace period, whoever has not finished is cut off. */
static void on_shutdown_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct server *s = (struct server *)((char *)w - offsetof(struct server, shutdown_timer));
    (void)revents;
    while (s->conns) conn_close(s->conns);
    ev_break(loop, EVBREAK_ALL);
}

/* SIGINT/SIGTERM: stop accepting, let held connections say goodbye, close
 * the rest, and leave once everything queued is written (or the grace
 * period ends). */
static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct server *s = w->data;
    (void)revents;
    if (s->shutting_down) return;
    s->shutting_down = 1;
    server_log(s, "signal %d: shutting down", w->signum);
    ev_io_stop(loop, &s->listen_io);
    ev_timer_stop(loop, &s->accept_retry);
    ev_timer_stop(loop, &s->tick);
    close(s->listen_fd);
    struct conn *next;
    for (struct conn *c = s->conns; c; c = next) {
        next = c->next;
        if (c->state == CONN_HELD || c->state == CONN_UPGRADED) {
            if (s->tech->on_shutdown) s->tech->on_shutdown(c);
            conn_close_after_write(c);
        } else if (c->state == CONN_WAITING) {
            ;                                     /* its answer comes from Redis, or the grace ends */
        } else if (c->state == CONN_HEAD && outq_bytes(&c->out) == 0) {
            conn_close(c);                        /* idle, or mid-head: nothing owed */
        } else {
            conn_close_after_write(c);            /* an answer is on its way: finish it */
        }
    }
    ev_timer_set(&s->shutdown_timer, SHUTDOWN_GRACE, 0);
    ev_timer_start(loop, &s->shutdown_timer);
    ev_prepare_start(loop, &s->flush);
}

/* ==== server_main ==== */

static void usage(const struct technique *t)
{
    fprintf(stderr,
            "usage: %s [-p PORT] [-a ADDR] [-w DIR] [-t MS] [-b N] [-B BYTES] [-o BYTES] [-S MS]\n"
            "       [-H MS] [-I MS] [-k TOKEN] [-O ORIGINS] [-A HOSTS] [-q] [-R URL]%s%s\n"
            "  -p PORT   port to listen on; 0 picks a free one (default %d)\n"
            "  -a ADDR   address to bind (default 127.0.0.1)\n"
            "  -w DIR    web root for static files (default: the repo's web/)\n"
            "  -t MS     publish a clock event every MS ms; 0 = off (default 1000)\n"
            "  -b N      events kept in the feed (default 1024)\n"
            "  -B BYTES  most bytes the kept events may hold, encodings included (default 67108864)\n"
            "  -o BYTES  a subscriber's window: events are queued while fewer are unsent (default 1048576)\n"
            "  -S MS     drop a connection that holds unsent bytes and takes none for MS (default 10000)\n"
            "  -H MS     a request head must be complete MS after its first byte, else 408 (default 5000)\n"
            "  -I MS     close a keep-alive connection idle for MS (default 30000)\n"
            "  -k TOKEN  POST /publish (and WebSocket messages) need Authorization: Bearer TOKEN\n"
            "  -O LIST   comma-separated Origins a WebSocket upgrade may come from\n"
            "            (default: the page's own origin and loopback origins)\n"
            "  -A LIST   more Host names to answer when bound to loopback (a reverse proxy's);\n"
            "            other names that are not loopback ones get 421 (DNS rebinding)\n"
            "  -q        quiet: no per-request log\n"
            "  -R URL    keep the feed in Redis, shared by every instance: redis://HOST:PORT[/PREFIX]\n",
            t->name, t->extra_usage ? " " : "", t->extra_usage ? t->extra_usage : "",
            t->default_port);
}

long long server_flag_number(int flag, const char *value, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        fprintf(stderr, "-%c: '%s' is not a number from %lld to %lld\n", (char)flag, value, min, max);
        return -1;
    }
    return v;
}

/* The path of the running binary into self[0..cap). Linux says it in
 * /proc/self/exe. POSIX has no such thing, so elsewhere (and with PORTABLE)
 * argv[0] is used when it holds a slash ("bin/polling", "./polling", an
 * absolute path), resolved by realpath; a server started through $PATH has
 * none. Returns 0, or -1 when the path is unknown. */
static int self_path(const char *argv0, char *self, size_t cap)
{
#if defined(__linux__) && !defined(PORTABLE)
    ssize_t n = readlink("/proc/self/exe", self, cap - 1);
    if (n > 0) {
        self[n] = '\0';
        return 0;
    }
#endif
    char resolved[PATH_MAX];
    if (!argv0 || !strchr(argv0, '/') || !realpath(argv0, resolved)) return -1;
    if (strlen(resolved) >= cap) return -1;
    memcpy(self, resolved, strlen(resolved) + 1);
    return 0;
}

/* The web root next to the binary (bin/polling → ../web), so a server started
 * from any directory still finds the demo page; "web" (in the current
 * directory) when the binary's path is unknown. */
static const char *default_web_root(const char *argv0)
{
    static char path[PATH_MAX];
    char self[PATH_MAX - 16];   /* room left for "/web" */
    if (self_path(argv0, self, sizeof self) < 0) return "web";
    for (int up = 0; up < 4; up++) {             /* bin/x, bin/san/x, bin/lesson-04/student/x */
        char *slash = strrchr(self, '/');
        if (!slash) break;
        *slash = '\0';
        snprintf(path, sizeof path, "%s/web", self);
        if (access(path, R_OK) == 0) return path;
    }
    return "web";
}

/* Parse the common flags and the technique's own. Returns 0, or -1. */
static int parse_flags(struct server *s, const struct technique *t, int argc, char **argv)
{
    char optstring[96];
    snprintf(optstring, sizeof optstring, "p:a:w:t:b:B:o:S:H:I:k:O:A:qR:h%s", t->extra_flags ? t->extra_flags : "");
    int opt;
    long long v;
    while ((opt = getopt(argc, argv, optstring)) != -1) {
        switch (opt) {
        case 'p': if ((v = server_flag_number('p', optarg, 0, 65535)) < 0) return -1; s->cfg.port = (int)v; break;
        case 'a': s->cfg.addr = optarg; break;
        case 'w': s->cfg.web_root = optarg; break;
        case 't': if ((v = server_flag_number('t', optarg, 0, 86400000)) < 0) return -1; s->cfg.tick_ms = (unsigned)v; break;
        case 'b': if ((v = server_flag_number('b', optarg, 1, 10000000)) < 0) return -1; s->cfg.feed_size = (size_t)v; break;
        case 'o': if ((v = server_flag_number('o', optarg, 1024, 1LL << 40)) < 0) return -1; s->cfg.out_cap = (size_t)v; break;
        case 'B': if ((v = server_flag_number('B', optarg, 1024, 1LL << 40)) < 0) return -1; s->cfg.feed_budget = (size_t)v; break;
        case 'S': if ((v = server_flag_number('S', optarg, 10, 86400000)) < 0) return -1; s->cfg.stall_ms = (unsigned)v; break;
        case 'H': if ((v = server_flag_number('H', optarg, 10, 86400000)) < 0) return -1; s->cfg.head_ms = (unsigned)v; break;
        case 'I': if ((v = server_flag_number('I', optarg, 10, 86400000)) < 0) return -1; s->cfg.idle_ms = (unsigned)v; break;
        case 'k': s->cfg.token = optarg; break;
        case 'O': s->cfg.origins = optarg; break;
        case 'A': s->cfg.hosts = optarg; break;
        case 'q': s->cfg.quiet = 1; break;
        case 'R': s->cfg.redis_url = optarg; break;
        case 'h': usage(t); exit(0);
        case '?': usage(t); return -1;
        default:
            if (!t->on_flag || t->on_flag(opt, optarg) < 0) { usage(t); return -1; }
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", t->name, argv[optind]);
        usage(t);
        return -1;
    }
    return 0;
}

/* Let the process hold as many connections as it is allowed to. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
#ifdef OPEN_MAX
        /* macOS refuses an unlimited rlim_max here: OPEN_MAX is its ceiling. */
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0) return;
        rl.rlim_cur = OPEN_MAX < rl.rlim_max ? OPEN_MAX : rl.rlim_max;
#endif
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void server_accept_start(struct server *s)
{
    if (!s->shutting_down) ev_io_start(s->loop, &s->listen_io);
}

int server_main(const struct technique *tech, int argc, char **argv)
{
    static struct server srv;
    struct server *s = &srv;
    char why[256];
    s->tech = tech;
    s->cfg = (struct server_config){
        .addr = "127.0.0.1", .port = tech->default_port, .web_root = NULL,
        .tick_ms = 1000, .feed_size = 1024, .out_cap = DEFAULT_OUT_CAP,
        .feed_budget = DEFAULT_FEED_BUDGET, .head_ms = DEFAULT_HEAD_MS, .idle_ms = DEFAULT_IDLE_MS,
        .stall_ms = DEFAULT_STALL_MS,
    };
    if (parse_flags(s, tech, argc, argv) < 0) return 1;
    if (!s->cfg.web_root) s->cfg.web_root = default_web_root(argv[0]);
    signal(SIGPIPE, SIG_IGN);             /* a write to a closed socket returns EPIPE instead */
    raise_fd_limit();

    s->listen_fd = net_listen(s->cfg.addr, s->cfg.port, &s->cfg.port, why, sizeof why);
    if (s->listen_fd < 0) {
        fprintf(stderr, "%s: %s\n", tech->name, why);
        return 1;
    }
    s->loop = ev_default_loop(EVFLAG_AUTO);
    feed_init(&s->feed, s->cfg.feed_size);
    s->feed.budget = s->cfg.feed_budget;
    s->started_at = ev_now(s->loop);

    ev_io_init(&s->listen_io, on_accept, s->listen_fd, EV_READ);
    if (s->cfg.redis_url) {                /* accepting starts once the stream is read */
        s->redis = redis_feed_start(s, s->cfg.redis_url, why, sizeof why);
        if (!s->redis) {
            fprintf(stderr, "%s: %s\n", tech->name, why);
            return 1;
        }
    } else {
        server_accept_start(s);
    }
    ev_init(&s->accept_retry, on_accept_retry);
    ev_prepare_init(&s->flush, on_flush);
    ev_prepare_start(s->loop, &s->flush);
    ev_init(&s->shutdown_timer, on_shutdown_timer);
    double stall_every = conn_seconds(s->cfg.stall_ms) / 4;
    ev_timer_init(&s->stall_check, on_stall_check, stall_every, stall_every);
    ev_timer_start(s->loop, &s->stall_check);
    ev_signal_init(&s->sigint, on_signal, SIGINT);
    ev_signal_init(&s->sigterm, on_signal, SIGTERM);
    s->sigint.data = s->sigterm.data = s;
    ev_signal_start(s->loop, &s->sigint);
    ev_signal_start(s->loop, &s->sigterm);
    if (s->cfg.tick_ms > 0) {
        double every = s->cfg.tick_ms / 1000.0;
        ev_timer_init(&s->tick, on_tick, every, every);
        ev_timer_start(s->loop, &s->tick);
    }
    if (tech->on_start) tech->on_start(s);

    const char *host = s->cfg.addr;
    int v6 = strchr(host, ':') != NULL;
    printf("listening on http://%s%s%s:%d/\n", v6 ? "[" : "", host, v6 ? "]" : "", s->cfg.port);
    fflush(stdout);

    ev_run(s->loop, 0);

    redis_feed_stop(s->redis);
    feed_free(&s->feed);
    free(s->mirror_waits);
    server_log(s, "stopped");
    return 0;
}
