/*
 * bench/loadgen.h — the parts of bin/loadgen and the one context they share.
 *
 * loadgen is one process with one libev loop. Its state is one
 * `struct loadgen`, made in main() and reached from every callback through
 * ev_userdata(loop): no globals. The parts, one job each:
 *
 *   loadgen.c       main, the flags, and the phases of a run
 *   lg_client.c     the subscribers' state machine: connect, subscribe,
 *                   read, deliver, reconnect
 *   lg_technique.c  one table row per technique and dialect: the request
 *                   builder and the response parser
 *   lg_publisher.c  the warm-up, the open-loop schedule, the POSTs and the
 *                   server's /stats around them
 *   lg_proc.c       what /proc says about the server, loadgen and the machine
 *   lg_report.c     one table of report columns that writes the JSON line and
 *                   the CSV row, and the latency distribution
 *
 * Interface (between the parts):
 *   lg_client_init, lg_clients_start_more, lg_client_close,
 *   lg_client_deliver, lg_client_subscribed, lg_client_poll_again,
 *   lg_client_write, lg_client_target               (lg_client.c)
 *   lg_technique_name, lg_technique_parse, lg_dialect_name,
 *   lg_dialect_parse, lg_technique_supported, lg_technique_wire,
 *   lg_technique_init, lg_technique_free           (lg_technique.c)
 *   lg_pub_warmup, lg_pub_reopen, lg_pub_watch, lg_pub_start,
 *   lg_pub_ask_stats, lg_pub_keep_alive, lg_pub_server_deliveries,
 *   lg_pub_close                                    (lg_publisher.c)
 *   lg_proc_read, lg_proc_cpus, lg_proc_fd_limit, lg_machine_read,
 *   lg_machine_describe, lg_load_average   (lg_proc.c)
 *   lg_report_write, lg_report_warnings, lg_report_noisy (lg_report.c)
 *   lg_now_ns, lg_say, lg_warn, lg_start_drain   (loadgen.c)
 */
#ifndef RTLAB_LOADGEN_H
#define RTLAB_LOADGEN_H

#include <ev.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "histogram.h"
#include "wire.h"

/* ==== Constants ==== */

enum {
    MAX_INFLIGHT = 256,            /* clients connecting at the same time */
    SCRATCH_SIZE = 2 << 20,        /* one read's worth plus a kept partial message */
    MAX_KEPT = 1 << 20,            /* a partial message bigger than this is an error */
    MAX_RECONNECTS = 5,            /* per client, then it is given up */
    MAX_CLIENTS = 100000,
    MAX_SERVERS = 8,           /* -u given more than once: instances sharing one feed */
    PUB_IN_SIZE = 65536,           /* the publisher's answers being read */
};

enum technique { T_POLLING, T_LONGPOLL, T_SSE, T_WEBSOCKET, T_BASELINE, T_COUNT };

/* Whose wire format the server speaks: ours (the contract in DESIGN.md), or
 * Nchan's (bench/peers/README.md lists every difference). */
enum dialect { D_RTLAB, D_NCHAN, D_COUNT };

enum client_state {
    C_IDLE,        /* not started yet */
    C_CONNECTING,  /* connect() in progress */
    C_WAIT_HEAD,   /* request sent, waiting for the answer (or stream head) */
    C_STREAM,      /* SSE / WebSocket / baseline: events arrive as they happen */
    C_SLEEP,       /* short polling: waiting for the next poll */
    C_DEAD,        /* failed and given up */
};

/* The phases of a run, in order (on_phase in loadgen.c drives them). */
enum phase {
    PHASE_SUBSCRIBE,   /* clients connect and subscribe */
    PHASE_SETTLE,      /* 0.2 s of quiet before the /proc reading */
    PHASE_PUBLISH,     /* the schedule sends the events */
    PHASE_DRAIN,       /* waiting for late deliveries */
    PHASE_LAST_STATS,  /* waiting for the server's last /stats */
    PHASE_DONE,
};

/* The two GET /stats that bracket publishing, on the publisher's connection. */
enum stats_state {
    STATS_NONE,
    STATS_FIRST_ASKED,
    STATS_FIRST_ANSWERED,
    STATS_LAST_ASKED,
    STATS_LAST_ANSWERED,
};

/* ==== Options ==== */

struct options {
    enum technique technique;
    enum dialect dialect;
    const char *url;           /* the first -u: the publisher's server */
    struct target {
        struct sockaddr_in addr;   /* from the URL */
        char host[64];             /* its Host header */
    } servers[MAX_SERVERS];    /* client i subscribes to servers[i % nservers] */
    int nservers;
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
    double noise_limit;        /* -N: other programs' CPU share above which a run is noisy */
    int deflate;               /* -z: offer permessage-deflate (WebSocket, RFC 7692) */
    int json;                  /* -J: the payload is a JSON object, not filler */
    int quiet;
};

/* ==== Readings of /proc ==== */

/* A process at one moment. */
struct proc_sample {
    int ok;
    uint64_t cpu_ns;           /* user + system */
    uint64_t wait_ns;          /* runnable but waiting for a CPU (schedstat): machine noise */
    uint64_t utime_ticks, stime_ticks;
    uint64_t rss_bytes;
};

/* The whole machine at one moment: /proc/stat's "cpu" line, in ticks. */
struct machine_sample {
    int ok;
    uint64_t busy;             /* user + nice + system */
    uint64_t irq;              /* irq + softirq: the kernel's interrupt work */
    uint64_t steal;            /* taken by the hypervisor for other guests */
    uint64_t total;            /* every field: CPU-time that passed on all CPUs */
    uint64_t self_cpu_ns;      /* loadgen's own CPU time (/proc/self/schedstat) */
};

/* ==== One subscriber ==== */

struct client {
    ev_io io;                  /* its socket (first member: the callback gets the client back) */
    ev_timer timer;            /* short polling: the poll interval */
    int fd;
    int index;                 /* 0 .. clients-1; picks the source address */
    unsigned char state;       /* enum client_state */
    unsigned char subscribed;  /* confirmed at least once */
    unsigned char chunked;     /* SSE: the stream is chunked (Transfer-Encoding) */
    unsigned char reconnects;
    unsigned char deflate;     /* WebSocket: this connection's 101 agreed to permessage-deflate */
    unsigned char phased;      /* short polling: the first wait (its phase of -i) is done */
    struct wire_dechunk dechunk; /* SSE: the chunk decoder's state, when chunked */
    uint64_t cursor;           /* the last event id seen: the next `since` (Nchan: wire_nchan_id) */
    uint64_t connect_start_ns; /* when connect() was called */
    char *kept;                /* a partial message between reads (NULL when none) */
    size_t kept_len;
    char *out;                 /* request bytes the socket did not take yet (NULL when none) */
    size_t out_len;
    unsigned char *seen;       /* bitmap of sequence numbers received */
};

/* ==== The publisher's connection ==== */

struct publisher {
    int fd;
    ev_io io;
    int timer_fd;              /* the schedule: a timerfd armed for the next event, ns precise */
    ev_io schedule;
    char *out;                 /* requests not yet taken by the socket */
    size_t out_len, out_cap;
    char in[PUB_IN_SIZE];      /* answers being read */
    size_t in_len;
    int reopened;              /* times the connection was reopened mid-run */
    int closed;                /* the server closed it (an idle keep-alive) */
    int pings;                 /* keep-alive requests sent, not yet answered */
    enum stats_state stats;
    int64_t stats_first, stats_last; /* the server's "deliveries" counter in them, or -1 */
    double last_ping;          /* ev_now of the last one */
};

/* ==== The run: everything loadgen knows ==== */

struct z_stream_s;                 /* zlib's, for -z (lg_technique.c) */

struct loadgen {
    struct options opt;
    struct ev_loop *loop;
    ev_timer phase_timer;      /* drives the phases: every 10 ms */
    struct client *clients;
    unsigned char *seen_bits;  /* every client's bitmap, one allocation */
    char *scratch;             /* SCRATCH_SIZE bytes: one read plus what was kept */
    struct publisher pub;
    int started, connecting, subscribed_now, dead;
    uint64_t events_total;     /* rate × duration; fewer if the publisher was cut off */
    uint64_t events_planned;   /* rate × duration */
    uint64_t warmup_id;        /* id of the warm-up event (Nchan: wire_nchan_id) */
    uint64_t t0_ns;            /* scheduled time of event 1 */
    uint64_t period_ns;
    uint64_t sent, acked, publish_errors;
    enum phase phase;
    double phase_deadline;
    double hard_deadline;      /* the whole run stops by then, whatever happens */
    int subscribed_at_start;   /* subscribers when publishing began: each must get every event */
    /* counters, subscribers */
    uint64_t bytes_in, bytes_out, requests, empty_polls, http_errors;
    uint64_t deliveries, unique, duplicates, gaps, foreign, reconnects, disconnects;
    uint64_t connect_errors, connect_timeouts;
    int last_errno;
    /* counters, WebSocket messages (text frames), as they crossed and as read */
    uint64_t ws_messages, ws_compressed, ws_frame_bytes, ws_message_bytes, ws_bad_frames;
    uint64_t deflate_agreed, deflate_declined;   /* -z: 101s that agreed, that did not */
    struct z_stream_s *inflater;   /* -z: one raw inflater, reset for every message */
    char *inflated;                /* -z: MAX_KEPT bytes, the message inflated */
    /* counters, publisher */
    uint64_t pub_bytes_in, pub_bytes_out;
    struct histogram latency, connect_cost, subscribe_cost;
    struct proc_sample before, subscribed, after;
    struct machine_sample machine_subscribed, machine_after;
    double loadavg_before;
    struct rusage ru_start, ru_publish, ru_end;
    uint64_t requests_at_publish;  /* requests made before publishing began */
    uint64_t run_start_ns, publish_start_ns, publish_end_ns, end_ns;
    char warnings[1024];
};

/* ==== Between the parts ==== */

/* loadgen.c */
uint64_t lg_now_ns(void);
void lg_say(const struct loadgen *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lg_warn(struct loadgen *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lg_start_drain(struct loadgen *lg);

/* lg_technique.c */
struct technique_wire {
    /* The request that (re)subscribes client c, or polls, into out[0..cap);
     * returns its length. */
    int (*request)(const struct loadgen *lg, const struct client *c, char *out, size_t cap);
    /* What the server sent client c: p[0..*n), of which the bytes from
     * raw_from on are new from this read. Returns bytes used (the rest is
     * kept for the next read), or -1 to drop the connection (it
     * reconnects). Only the SSE parser changes *n (it decodes chunks in
     * place). */
    long (*parse)(struct loadgen *lg, struct client *c, char *p, size_t *n, size_t raw_from, uint64_t at);
};
/* The row of the run's technique and dialect. */
const struct technique_wire *lg_technique_wire(const struct loadgen *lg);
const char *lg_technique_name(enum technique t);
int lg_technique_parse(const char *name, enum technique *t);
int lg_dialect_parse(const char *name, enum dialect *d);
/* Does the table have a row for this technique in this dialect? */
int lg_technique_supported(enum technique t, enum dialect d);
/* What the run's wire needs beyond the table (-z: the inflater). Returns 0,
 * or -1 (said). lg_technique_free lets it go. */
int lg_technique_init(struct loadgen *lg);
void lg_technique_free(struct loadgen *lg);
const char *lg_dialect_name(enum dialect d);
/* lg_client.c */
/* An event's data reached client c at `at`: time it, count it once. */
void lg_client_deliver(struct loadgen *lg, struct client *c, const char *data, size_t len, uint64_t at);
/* The subscription is confirmed (first answer, stream head, 101, "OK"). */
void lg_client_subscribed(struct loadgen *lg, struct client *c, uint64_t at);
/* A poll was answered: poll again now (long poll, -i 0) or after -i. */
void lg_client_poll_again(struct loadgen *lg, struct client *c);
/* Write to the client's socket; what it does not take is kept and sent later. */
void lg_client_write(struct loadgen *lg, struct client *c, const char *p, size_t n);
/* The server client c subscribes to: one of the -u list, in turn. */
const struct target *lg_client_target(const struct loadgen *lg, const struct client *c);
/* Set up clients[0..clients) (fd -1, bitmap, starting cursor, timer). */
void lg_client_init(struct loadgen *lg);
/* Start clients until MAX_INFLIGHT are connecting or all have started. */
void lg_clients_start_more(struct loadgen *lg);
/* Stop the client's watchers, close its socket, free what it holds. */
void lg_client_close(struct loadgen *lg, struct client *c);

/* lg_publisher.c */
int lg_pub_warmup(struct loadgen *lg);
int lg_pub_reopen(struct loadgen *lg);
void lg_pub_watch(struct loadgen *lg);
int lg_pub_start(struct loadgen *lg);
void lg_pub_ask_stats(struct loadgen *lg);
void lg_pub_keep_alive(struct loadgen *lg, double now);
long long lg_pub_server_deliveries(const struct loadgen *lg);
void lg_pub_close(struct loadgen *lg);

/* lg_proc.c */
struct proc_sample lg_proc_read(pid_t pid);
void lg_proc_cpus(pid_t pid, char *out, size_t cap);
unsigned long lg_proc_fd_limit(pid_t pid);
struct machine_sample lg_machine_read(void);
double lg_load_average(void);
/* The CPU's model name and current MHz (of the first CPU listed). */
void lg_machine_describe(char *model, size_t cap, double *mhz);

/* lg_report.c */
/* Warn about what the run's counters show (loss, duplicates, ...). */
void lg_report_warnings(struct loadgen *lg);
/* The JSON line to stdout (and -o), the CSV row (-C), the distribution (-D). */
void lg_report_write(struct loadgen *lg);
/* Is this run noisy (other programs or the hypervisor took a share of the
 * CPUs above -N)? Needs the after-readings. */
int lg_report_noisy(const struct loadgen *lg);

#endif
