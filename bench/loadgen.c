/*
 * bench/loadgen.c — one load generator for all four techniques and the raw
 * TCP baseline, so that every number in the charts is measured the same way.
 * This file holds main, the flags and the phases of a run; bench/loadgen.h
 * names the other parts.
 *
 *   loadgen -T polling|longpoll|sse|websocket|baseline -u URL -c CLIENTS
 *           -r EVENTS_PER_S -d SECONDS -s PAYLOAD_BYTES [-i POLL_MS]
 *           [-P SERVER_PID] [-o out.jsonl] [-C out.csv] [-D dist.dat] [-L LABEL]
 *           [-w rtlab|nchan] [-N NOISE_LIMIT] [-z] [-J]
 *
 * -u may be given up to MAX_SERVERS times, for instances that share one feed
 * (-R): the subscribers are dealt out over them in turn and the publisher
 * publishes to the first, so every delivery still crosses the broker.
 *
 * A run, in order (enum phase):
 *   1. warm-up: one publish (a baseline frame) that tells us the newest
 *      event id, so every subscriber can start right after it;
 *   2. PHASE_SUBSCRIBE: CLIENTS clients, at most MAX_INFLIGHT connecting at
 *      once, each from its own 127.x.y.z source address (so 10 000 clients
 *      never run out of local ports); record for each the TCP connect time
 *      and the time to "subscribed": the first poll answer, the stream's
 *      head, the 101, or the baseline's "OK";
 *   3. PHASE_SETTLE: 0.2 s, then read /proc (server, machine);
 *   4. PHASE_PUBLISH: RATE events/s for SECONDS over one keep-alive
 *      connection, open loop: event k is *scheduled* at t0 + k/RATE and sent
 *      then, whether or not the server has answered the ones before. Its
 *      payload carries its sequence number and that scheduled time, in
 *      CLOCK_MONOTONIC nanoseconds: "seq=12 t=81234567890 pad=xxxx...";
 *      every delivery is timed from the scheduled time into a histogram, so
 *      a server that stalls cannot hide its stall by delaying our sends
 *      (coordinated omission); each client keeps a bitmap of the sequence
 *      numbers it got, which counts lost and duplicated deliveries exactly;
 *   5. PHASE_DRAIN: wait until every subscriber has every event, or a grace
 *      period; PHASE_LAST_STATS: the server's own count;
 *   6. PHASE_DONE: read /proc again, print one JSON object (and CSV row).
 *
 * Bytes are counted at the socket (what read and write returned), requests as
 * HTTP requests sent by subscribers. bench/README.md documents every field.
 *
 * Everything is bounded: connects have a deadline, the drain has a deadline,
 * and the whole run stops by itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

/* ==== Small helpers ==== */

uint64_t lg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void lg_say(const struct loadgen *lg, const char *fmt, ...)
{
    if (lg->opt.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A warning goes to stderr (always) and into the JSON's "warnings". */
void lg_warn(struct loadgen *lg, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "loadgen: WARNING: %s\n", line);
    size_t used = strlen(lg->warnings);
    snprintf(lg->warnings + used, sizeof lg->warnings - used, "%s%s", used ? "; " : "", line);
}

/* ==== Phases of a run ==== */

static void start_publishing(struct loadgen *lg)
{
    lg->subscribed = lg_proc_read(lg->opt.server_pid);
    lg->machine_subscribed = lg_machine_read();
    lg->subscribed_at_start = lg->subscribed_now;
    lg->requests_at_publish = lg->requests;
    /* The warm-up's connection may have been closed as idle while the
     * clients subscribed: then open a new one. (Not always a new one: a
     * server out of file descriptors could not accept it.) */
    if (lg->events_total > 0 && lg->pub.closed && lg_pub_reopen(lg) < 0)
        lg->events_total = 0;                /* nothing can be published: say so, end */
    lg->pub.stats_first = lg->pub.stats_last = -1;
    /* Only our servers count their deliveries. */
    if (lg->opt.technique != T_BASELINE && lg->opt.dialect == D_RTLAB && lg->events_total > 0) {
        lg_pub_ask_stats(lg);                /* answered before any POST: in order */
        lg->pub.stats = STATS_FIRST_ASKED;
    }
    getrusage(RUSAGE_SELF, &lg->ru_publish);
    lg->phase = PHASE_PUBLISH;
    lg->publish_start_ns = lg_now_ns();
    if (lg->events_total == 0) {
        lg->publish_end_ns = lg->publish_start_ns + (uint64_t)(lg->opt.duration * 1e9);
        lg->phase = PHASE_DRAIN;
        lg->phase_deadline = ev_now(lg->loop) + lg->opt.duration;   /* polling-only run */
        return;
    }
    lg_say(lg, "publishing %" PRIu64 " events at %g/s to %d subscribers", lg->events_total, lg->opt.rate,
           lg->subscribed_now);
    if (lg_pub_start(lg) < 0)
        lg_start_drain(lg);
}

void lg_start_drain(struct loadgen *lg)
{
    lg->phase = PHASE_DRAIN;
    lg->phase_deadline = ev_now(lg->loop) + lg->opt.grace;
}

static void finish(struct loadgen *lg)
{
    lg->phase = PHASE_DONE;
    lg->end_ns = lg_now_ns();
    lg->after = lg_proc_read(lg->opt.server_pid);
    lg->machine_after = lg_machine_read();
    getrusage(RUSAGE_SELF, &lg->ru_end);
    ev_break(lg->loop, EVBREAK_ALL);
}

/* The subscribe phase ran out of time: go on with those subscribed, and
 * say why the others may have failed. */
static void subscribe_timed_out(struct loadgen *lg)
{
    const struct options *o = &lg->opt;
    lg->connect_timeouts = (uint64_t)lg->connecting + (uint64_t)(o->clients - lg->started);
    lg_warn(lg, "only %d of %d clients subscribed within %g s; going on with them",
            lg->subscribed_now, o->clients, o->connect_timeout);
    unsigned long server_fds = lg_proc_fd_limit(o->server_pid);
    if (server_fds > 0 && server_fds < (unsigned long)o->clients + 16)
        lg_warn(lg, "LIMIT: the server may open only %lu files (RLIMIT_NOFILE): it cannot hold %d clients",
                server_fds, o->clients);
    for (int i = 0; i < o->clients; i++) {
        struct client *c = &lg->clients[i];
        if (!c->subscribed && c->state != C_DEAD) {
            lg_client_close(lg, c);
            c->state = C_DEAD;
        }
    }
    lg->started = o->clients;
    lg->connecting = 0;
}

/* Every 10 ms: move the run on to its next phase when it is time. */
static void on_phase(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    struct loadgen *lg = ev_userdata(loop);
    double now = ev_now(loop);
    if (lg->phase < PHASE_PUBLISH)
        lg_pub_keep_alive(lg, now);
    if (now > lg->hard_deadline) {
        lg_warn(lg, "the run did not end in time (phase %d): stopped", (int)lg->phase);
        finish(lg);
        return;
    }
    switch (lg->phase) {
    case PHASE_SUBSCRIBE:
        lg_clients_start_more(lg);
        if (lg->subscribed_now + lg->dead >= lg->opt.clients && lg->connecting == 0) {
            lg_say(lg, "%d of %d clients subscribed", lg->subscribed_now, lg->opt.clients);
            lg->phase = PHASE_SETTLE;
            lg->phase_deadline = now + 0.2;
        } else if (now > lg->phase_deadline) {
            subscribe_timed_out(lg);
            lg->phase = PHASE_SETTLE;
            lg->phase_deadline = now + 0.2;
        }
        break;
    case PHASE_SETTLE:
        if (now > lg->phase_deadline)
            start_publishing(lg);
        break;
    case PHASE_PUBLISH:                      /* the schedule's timerfd does it */
        break;
    case PHASE_DRAIN:
        if ((lg->events_total > 0 && lg->unique >= lg->events_total * (uint64_t)lg->subscribed_at_start)
            || now > lg->phase_deadline) {
            if (lg->pub.stats == STATS_FIRST_ANSWERED && !lg->pub.closed) {
                lg_pub_ask_stats(lg);        /* the server's own count, then finish */
                lg->pub.stats = STATS_LAST_ASKED;
                lg->phase = PHASE_LAST_STATS;
                lg->phase_deadline = now + 1.0;
            } else {
                finish(lg);
            }
        }
        break;
    case PHASE_LAST_STATS:
        if (lg->pub.stats == STATS_LAST_ANSWERED || now > lg->phase_deadline)
            finish(lg);
        break;
    case PHASE_DONE:
        break;
    }
}

/* ==== Flags ==== */

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen -T polling|longpoll|sse|websocket|baseline -u URL -c CLIENTS\n"
            "               -r EVENTS_PER_S -d SECONDS -s PAYLOAD_BYTES [-i POLL_MS]\n"
            "               [-P SERVER_PID] [-o out.jsonl] [-C out.csv] [-D dist.dat]\n"
            "               [-L LABEL] [-g GRACE_S] [-t LONGPOLL_TIMEOUT_S] [-W SUBSCRIBE_S] [-S] [-q]\n"
            "               [-w rtlab|nchan] [-N NOISE_LIMIT] [-z] [-J]\n"
            "  -u  again: more instances on one shared feed (-R); client i subscribes to\n"
            "      the (i mod n)-th, the publisher publishes to the first\n"
            "  -S  do not spread client source addresses over 127.0.0.0/8\n"
            "  -w  the server's wire format: ours (rtlab), or Nchan's (bench/peers/README.md)\n"
            "  -N  a run is noisy when other programs took this share of a CPU or more (0.25;\n"
            "      0 marks every run noisy, for tests)\n"
            "  -z  websocket: offer permessage-deflate (RFC 7692) as Chromium does, inflate\n"
            "      compressed messages\n"
            "  -J  the payload is a JSON object of -s bytes (compressible), not filler\n");
}

/* "http://127.0.0.1:8001/" or "tcp://127.0.0.1:8005" → *t. */
static int parse_url(struct target *t, const char *url)
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
    memset(&t->addr, 0, sizeof t->addr);
    t->addr.sin_family = AF_INET;
    t->addr.sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &t->addr.sin_addr) != 1)
        return -1;
    if ((ntohl(t->addr.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "loadgen: %s is not on loopback: rtlab only loads 127.0.0.0/8\n", host);
        return -1;
    }
    snprintf(t->host, sizeof t->host, "%.40s:%d", host, port);
    return 0;
}

static int parse_args(struct options *o, int argc, char **argv)
{
    int c;
    while ((c = getopt(argc, argv, "T:u:c:r:d:s:i:P:o:C:D:L:g:t:W:w:N:SqzJ")) != -1) {
        switch (c) {
        case 'T':
            if (lg_technique_parse(optarg, &o->technique) < 0) {
                fprintf(stderr, "loadgen: -T %s: not a technique\n", optarg);
                return -1;
            }
            break;
        case 'w':
            if (lg_dialect_parse(optarg, &o->dialect) < 0) {
                fprintf(stderr, "loadgen: -w %s: want rtlab or nchan\n", optarg);
                return -1;
            }
            break;
        case 'u':
            if (o->nservers == MAX_SERVERS) {
                fprintf(stderr, "loadgen: at most %d -u\n", MAX_SERVERS);
                return -1;
            }
            if (parse_url(&o->servers[o->nservers], optarg) < 0) {
                fprintf(stderr, "loadgen: -u %s: want http://127.x.y.z:PORT/\n", optarg);
                return -1;
            }
            if (o->nservers++ == 0)
                o->url = optarg;
            break;
        case 'c': o->clients = atoi(optarg); break;
        case 'r': o->rate = atof(optarg); break;
        case 'd': o->duration = atof(optarg); break;
        case 's': o->payload = atoi(optarg); break;
        case 'i': o->poll_ms = atoi(optarg); break;
        case 'P': o->server_pid = (pid_t)atoi(optarg); break;
        case 'o': o->out_path = optarg; break;
        case 'C': o->csv_path = optarg; break;
        case 'D': o->dist_path = optarg; break;
        case 'L': o->label = optarg; break;
        case 'g': o->grace = atof(optarg); break;
        case 't': o->longpoll_timeout = atoi(optarg); break;
        case 'W': o->connect_timeout = atof(optarg); break;
        case 'N': o->noise_limit = atof(optarg); break;
        case 'S': o->spread = 0; break;
        case 'q': o->quiet = 1; break;
        case 'z': o->deflate = 1; break;
        case 'J': o->json = 1; break;
        default: usage(); return -1;
        }
    }
    if (o->nservers == 0) {
        usage();
        return -1;
    }
    if (!lg_technique_supported(o->technique, o->dialect)) {
        fprintf(stderr, "loadgen: -T %s has no %s dialect\n", lg_technique_name(o->technique),
                lg_dialect_name(o->dialect));
        return -1;
    }
    if (o->clients < 1 || o->clients > MAX_CLIENTS || o->rate < 0 || o->rate > 1e6
        || o->duration <= 0 || o->duration > 3600 || o->payload < 0 || o->payload > 60000
        || o->poll_ms < 0 || o->connect_timeout <= 0 || o->connect_timeout > 600 || o->noise_limit < 0) {
        fprintf(stderr, "loadgen: a value is out of range (1 <= -c <= %d, 0 <= -r <= 1e6, "
                "0 < -d <= 3600, 0 <= -s <= 60000, -N >= 0)\n", MAX_CLIENTS);
        return -1;
    }
    if (o->deflate && o->technique != T_WEBSOCKET) {
        fprintf(stderr, "loadgen: -z (permessage-deflate) is for -T websocket only\n");
        return -1;
    }
    if (o->grace < 0)
        o->grace = 2.0 + 3.0 * (o->technique == T_POLLING ? o->poll_ms / 1000.0 : 0);
    return 0;
}

/* Raise RLIMIT_NOFILE for the clients; say so plainly when the hard limit
 * is too low. Returns 0, or -1. */
static int raise_fd_limit(int clients)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)clients + 64;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max < need) {
        fprintf(stderr, "loadgen: LIMIT: %d clients need %llu file descriptors but RLIMIT_NOFILE's "
                "hard limit is %llu; raise it (ulimit -Hn, /etc/security/limits.conf) or use fewer clients\n",
                clients, (unsigned long long)need, (unsigned long long)rl.rlim_max);
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

/* ==== main ==== */

/* Everything a run needs before the loop starts. Returns 0, or 1 (said). */
static int setup(struct loadgen *lg)
{
    const struct options *o = &lg->opt;
    hist_init(&lg->latency);
    hist_init(&lg->connect_cost);
    hist_init(&lg->subscribe_cost);
    lg->pub.fd = -1;
    lg->events_total = (uint64_t)(o->rate * o->duration + 0.5);
    lg->events_planned = lg->events_total;
    lg->period_ns = o->rate > 0 ? (uint64_t)(1e9 / o->rate) : 1;
    if ((double)lg->events_total * o->clients / 8 > 1e9) {
        fprintf(stderr, "loadgen: clients × events is too large to track (over 8e9)\n");
        return 1;
    }
    lg->run_start_ns = lg_now_ns();
    lg->loadavg_before = lg_load_average();
    getrusage(RUSAGE_SELF, &lg->ru_start);
    lg->before = lg_proc_read(o->server_pid);
    if (o->server_pid > 0 && !lg->before.ok)
        lg_warn(lg, "cannot read /proc/%d: no server CPU or memory figures", (int)o->server_pid);
    if (lg_pub_warmup(lg) < 0)
        return 1;
    size_t bitmap = (size_t)(lg->events_total + 7) / 8 + 1;
    lg->clients = calloc((size_t)o->clients, sizeof *lg->clients);
    lg->seen_bits = calloc((size_t)o->clients, bitmap);
    lg->scratch = malloc(SCRATCH_SIZE);
    if (!lg->clients || !lg->seen_bits || !lg->scratch) {
        fprintf(stderr, "loadgen: out of memory for %d clients\n", o->clients);
        return 1;
    }
    if (lg_technique_init(lg) < 0)
        return 1;
    lg_client_init(lg);
    return 0;
}

static void teardown(struct loadgen *lg)
{
    for (int i = 0; i < lg->opt.clients; i++)
        if (lg->clients[i].fd >= 0)
            lg_client_close(lg, &lg->clients[i]);
    lg_pub_close(lg);
    free(lg->seen_bits);
    free(lg->clients);
    free(lg->scratch);
    lg_technique_free(lg);
}

/* The defaults of every flag. */
static void options_default(struct options *o)
{
    *o = (struct options){ .clients = 1, .rate = 10, .duration = 5, .payload = 64, .poll_ms = 100,
                           .longpoll_timeout = 30, .spread = 1, .grace = -1, .connect_timeout = 60,
                           .noise_limit = 0.25 };
}

int main(int argc, char **argv)
{
    /* The run's one context, on the heap (it holds the publisher's 64 KiB
     * input buffer), handed to every part and reached from every callback
     * through ev_userdata. */
    struct loadgen *lg = calloc(1, sizeof *lg);
    if (!lg) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 1;
    }
    options_default(&lg->opt);
    if (parse_args(&lg->opt, argc, argv) < 0 || raise_fd_limit(lg->opt.clients) < 0) {
        free(lg);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    lg->loop = EV_DEFAULT;
    ev_set_userdata(lg->loop, lg);
    if (setup(lg) != 0)
        return 1;

    lg_pub_watch(lg);
    lg->pub.last_ping = ev_now(lg->loop);
    ev_timer_init(&lg->phase_timer, on_phase, 0.0, 0.01);
    ev_timer_start(lg->loop, &lg->phase_timer);
    lg->phase = PHASE_SUBSCRIBE;
    lg->phase_deadline = ev_now(lg->loop) + lg->opt.connect_timeout;
    lg_say(lg, "%s: subscribing %d clients to %s", lg_technique_name(lg->opt.technique), lg->opt.clients,
           lg->opt.url);
    lg_clients_start_more(lg);

    lg->hard_deadline = ev_now(lg->loop) + lg->opt.connect_timeout + 0.2 + lg->opt.duration + lg->opt.grace + 10;
    ev_run(lg->loop, 0);

    lg_report_warnings(lg);
    lg_report_write(lg);
    teardown(lg);
    free(lg);
    return 0;
}
