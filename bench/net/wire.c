/*
 * bench/net/wire.c — an impaired network link in user space: two TUN
 * devices, and every IP packet that enters one leaves the other after a
 * delay, with jitter and random loss. bench/net/run.sh moves one device
 * into the server's network namespace and the other into the client's, so
 * the servers and loadgen talk real TCP across it.
 *
 * Why not `tc qdisc ... netem` on a veth pair: this machine's kernel is
 * built without sch_netem (and without sch_fq, which a BPF delay would
 * need), so the same impairments are applied here instead. The effect on
 * TCP is the same kind: every segment and every ACK waits DELAY ms each way,
 * and a lost segment is retransmitted by the sender's TCP.
 *
 *   wire -s SERVER_TUN -c CLIENT_TUN [-d DELAY_MS] [-j JITTER_MS] [-l LOSS_PCT]
 *        [-x EXEMPT_IPV4] [-S SEED] [-t MAX_SECONDS]
 *
 *   -d  one-way delay, each direction (RTT = 2 × DELAY)
 *   -j  jitter: each packet's delay is DELAY ± uniform(JITTER); packets of a
 *       direction still leave in order (a single path does not reorder)
 *   -l  loss, percent, each direction independently
 *   -x  packets to or from this address cross at once, unimpaired (the
 *       publisher: a backend that sits next to the server)
 *   -t  the wire stops by itself after this many seconds (default 3600)
 *
 * Prints "ready" on stdout once both devices exist; on SIGTERM/SIGINT (or
 * -t) prints per-direction counts on stderr and exits 0. Runs as root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* ==== Constants ==== */

enum {
    SLOTS = 1 << 15,               /* packets in flight per direction */
    PKT_MAX = 2048,                /* > MTU 1500 */
    BATCH = 64,                    /* packets read per device per round */
};

/* ==== A direction of the link: a FIFO of packets with due times ==== */

struct packet {
    uint64_t due_ns;
    uint16_t len;
    unsigned char data[PKT_MAX];
};

struct direction {
    const char *name;
    int in_fd, out_fd;             /* read from in, write to out */
    struct packet *slots;          /* ring of SLOTS */
    size_t head, count;
    uint64_t last_due;             /* keeps departures in order */
    uint64_t passed, lost, overflow, exempt;
};

static struct {
    uint64_t delay_ns, jitter_ns;
    double loss;                   /* 0..1 */
    uint32_t exempt;               /* network order; 0 = none */
    uint64_t rng;
} cfg = { .rng = 0x9e3779b97f4a7c15ULL };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: a uniform double in [0, 1). */
static double uniform(void)
{
    cfg.rng ^= cfg.rng >> 12;
    cfg.rng ^= cfg.rng << 25;
    cfg.rng ^= cfg.rng >> 27;
    return (double)((cfg.rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* An IPv4 packet from or to the exempt address. */
static int is_exempt(const unsigned char *p, size_t len)
{
    if (!cfg.exempt || len < 20 || (p[0] >> 4) != 4)
        return 0;
    return memcmp(p + 12, &cfg.exempt, 4) == 0 || memcmp(p + 16, &cfg.exempt, 4) == 0;
}

/* Read what the in-device has (up to BATCH packets) and queue each with its
 * due time, or drop it (loss), or pass it at once (exempt). */
static void direction_read(struct direction *d, uint64_t now)
{
    for (int i = 0; i < BATCH; i++) {
        struct packet *slot = &d->slots[(d->head + d->count) % SLOTS];
        ssize_t n = read(d->in_fd, slot->data, PKT_MAX);
        if (n <= 0)
            return;                /* EAGAIN: drained */
        if (is_exempt(slot->data, (size_t)n)) {
            d->exempt++;
            if (write(d->out_fd, slot->data, (size_t)n) < 0)
                d->overflow++;
            continue;
        }
        if (cfg.loss > 0 && uniform() < cfg.loss) {
            d->lost++;
            continue;
        }
        if (d->count == SLOTS) {
            d->overflow++;         /* a full queue drops, like a router's */
            continue;
        }
        /* jitter <= delay (checked in main), so due never precedes now. */
        int64_t jitter = cfg.jitter_ns ? (int64_t)((uniform() * 2 - 1) * (double)cfg.jitter_ns) : 0;
        uint64_t due = (uint64_t)((int64_t)(now + cfg.delay_ns) + jitter);
        if (due < d->last_due)
            due = d->last_due;
        d->last_due = due;
        slot->due_ns = due;
        slot->len = (uint16_t)n;
        d->count++;
    }
}

/* Send every queued packet that is due. */
static void direction_send(struct direction *d, uint64_t now)
{
    while (d->count && d->slots[d->head].due_ns <= now) {
        struct packet *p = &d->slots[d->head];
        if (write(d->out_fd, p->data, p->len) < 0)
            d->overflow++;         /* the receiving device's queue is full */
        else
            d->passed++;
        d->head = (d->head + 1) % SLOTS;
        d->count--;
    }
}

/* ==== TUN devices ==== */

/* Create (or attach to) the TUN device `name`, non-blocking; -1 on error. */
static int tun_open(const char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ==== main ==== */

int main(int argc, char **argv)
{
    const char *server_tun = NULL, *client_tun = NULL;
    double delay_ms = 0, jitter_ms = 0, loss_pct = 0, max_s = 3600;
    int o;
    while ((o = getopt(argc, argv, "s:c:d:j:l:x:S:t:")) != -1) {
        switch (o) {
        case 's': server_tun = optarg; break;
        case 'c': client_tun = optarg; break;
        case 'd': delay_ms = atof(optarg); break;
        case 'j': jitter_ms = atof(optarg); break;
        case 'l': loss_pct = atof(optarg); break;
        case 'x':
            if (inet_pton(AF_INET, optarg, &cfg.exempt) != 1) {
                fprintf(stderr, "wire: -x %s: not an IPv4 address\n", optarg);
                return 1;
            }
            break;
        case 'S': cfg.rng = strtoull(optarg, NULL, 10) | 1; break;
        case 't': max_s = atof(optarg); break;
        default:
            fprintf(stderr, "usage: wire -s SERVER_TUN -c CLIENT_TUN [-d DELAY_MS] [-j JITTER_MS] "
                            "[-l LOSS_PCT] [-x EXEMPT_IPV4] [-S SEED] [-t MAX_SECONDS]\n");
            return 1;
        }
    }
    if (!server_tun || !client_tun || delay_ms < 0 || jitter_ms < 0 || jitter_ms > delay_ms
        || loss_pct < 0 || loss_pct > 100) {
        fprintf(stderr, "wire: need -s and -c; 0 <= jitter <= delay; 0 <= loss <= 100\n");
        return 1;
    }
    cfg.delay_ns = (uint64_t)(delay_ms * 1e6);
    cfg.jitter_ns = (uint64_t)(jitter_ms * 1e6);
    cfg.loss = loss_pct / 100.0;

    int sfd = tun_open(server_tun), cfd = tun_open(client_tun);
    if (sfd < 0 || cfd < 0) {
        fprintf(stderr, "wire: cannot create TUN devices %s, %s: %s (root? /dev/net/tun?)\n",
                server_tun, client_tun, strerror(errno));
        return 1;
    }
    struct direction dirs[2] = {
        { .name = "client->server", .in_fd = cfd, .out_fd = sfd },
        { .name = "server->client", .in_fd = sfd, .out_fd = cfd },
    };
    for (int i = 0; i < 2; i++) {
        dirs[i].slots = malloc(sizeof(struct packet) * SLOTS);
        if (!dirs[i].slots) {
            fprintf(stderr, "wire: out of memory\n");
            return 1;
        }
        /* Touch every page now, so the first run does not pay the page
         * faults of the queue as latency. */
        memset(dirs[i].slots, 0, sizeof(struct packet) * SLOTS);
    }
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("ready\n");
    fflush(stdout);

    uint64_t end = now_ns() + (uint64_t)(max_s * 1e9);
    while (!stop) {
        uint64_t now = now_ns();
        if (now >= end)
            break;
        for (int i = 0; i < 2; i++)
            direction_send(&dirs[i], now);
        /* Sleep until a device is readable or the next packet is due. */
        uint64_t next = end;
        for (int i = 0; i < 2; i++)
            if (dirs[i].count && dirs[i].slots[dirs[i].head].due_ns < next)
                next = dirs[i].slots[dirs[i].head].due_ns;
        uint64_t wait = next > now ? next - now : 0;
        struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000ULL), .tv_nsec = (long)(wait % 1000000000ULL) };
        struct pollfd pfd[2] = { { .fd = cfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
        int r = ppoll(pfd, 2, &ts, NULL);
        if (r < 0 && errno != EINTR)
            break;
        now = now_ns();
        for (int i = 0; i < 2; i++)
            if (r > 0 && (pfd[i].revents & POLLIN))
                direction_read(&dirs[i], now);
    }
    for (int i = 0; i < 2; i++)
        fprintf(stderr, "wire: %s: %llu passed, %llu lost, %llu dropped (queue full), %llu exempt\n",
                dirs[i].name, (unsigned long long)dirs[i].passed, (unsigned long long)dirs[i].lost,
                (unsigned long long)dirs[i].overflow, (unsigned long long)dirs[i].exempt);
    close(sfd);
    close(cfd);
    free(dirs[0].slots);
    free(dirs[1].slots);
    return 0;
}
