/*
 * core/server.h — what all four servers share: the listening socket, the
 * connections, the HTTP/1.1 request loop, the feed and the common endpoints.
 *
 * A technique's file (polling/polling.c, longpoll/longpoll.c, sse/sse.c,
 * websocket/websocket.c) fills in a `struct technique` and calls
 * server_main(). Core then owns the plumbing every server needs and no
 * technique is about, in four files named by job:
 *
 *   conn.c       a connection's life (new, close, linger, free), the flush
 *                of its out queue (EV_WRITE armed only while something is
 *                left), and the send API below
 *   request.c    read what the socket has; parse every complete request in
 *                it (pipelining), keep a partial one for the next read; route
 *                each: OPTIONS (CORS preflight), then the technique's
 *                endpoint, then the common ones, else 404/405/501
 *   endpoints.c  POST /publish, GET /stats, static files, CORS preflight
 *   server.c     the libev callbacks: accept (EMFILE/ENFILE: pause, no
 *                spin), io, timeouts (header deadline against slowloris,
 *                idle keep-alive, or the technique's own timer), the ticker,
 *                signals; the flags; server_main
 *
 * The technique's own story stays in its file: what its endpoint answers,
 * how it holds a connection open, and `publish`, which delivers a new event
 * to the clients waiting for it.
 *
 * Life of a connection (enum conn_state):
 *
 *   CONN_HEAD ──request──▶ answered at once ──keep-alive──▶ CONN_HEAD
 *       │                        └──close──▶ CONN_CLOSING ──written, peer's EOF──▶ CONN_CLOSED
 *       ├──▶ conn_hold() ──▶ CONN_HELD (parked poll, event stream)
 *       │         └──conn_respond()──▶ back to CONN_HEAD (or CLOSING)
 *       └──▶ conn_upgrade() ──▶ CONN_UPGRADED (WebSocket: every byte to on_data)
 *
 *   From any state, conn_close() (the peer left, an error, a drop past the
 *   out cap) ──▶ CONN_CLOSED: the socket is closed at once, on_close has
 *   run, and the memory is freed once the current loop pass ends.
 *
 * Writes never happen inside a callback that queued them: queued bytes mark
 * the connection dirty and every dirty connection is flushed once, just
 * before the loop sleeps (an ev_prepare watcher). So ten events published in
 * one loop iteration reach each subscriber in one writev, and a connection
 * closed halfway through a broadcast is only freed once the broadcast is
 * over.
 *
 * Interface (for the technique files):
 *   struct technique          the callbacks and settings of one technique
 *   struct conn, struct server  a connection; the server (feed, stats, config)
 *   server_main               parse the common flags, listen, run the loop
 *   conn_respond              a whole answer with a body
 *   conn_respond_head         only the head; the body follows via conn_send*
 *   conn_finish               end a request whose body was queued by hand
 *   conn_error                an error answer {"error":...}, maybe closing
 *   conn_method_not_allowed   405 with its Allow field
 *   conn_send, conn_send_chunk  queue bytes (own copy, or a shared reference);
 *                             never a drop: the cap judges after a write
 *   conn_deliver              queue an event (or a poll answer): counted once written
 *   conn_room                 the cap: 1 while the out queue is under -o
 *   conn_hold, conn_hold_timeout  hold a request open; its own timer
 *   conn_upgrade              leave HTTP: every later byte to on_data
 *   conn_close, conn_close_after_write  close now; close once written
 *   server_publish            add an event to the feed and deliver it
 *   server_log                a line on stderr, unless -q
 *   server_flag_number        a whole-number flag value, checked against its range
 *   req_path_is, req_method_is  compare a request's path, method
 *   server_query_since        the `since` cursor of a query string
 *   conn_read_since           ...or a 400 answered when it cannot be served
 */
#ifndef RTLAB_SERVER_H
#define RTLAB_SERVER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "feed.h"
#include "http.h"

enum conn_state {
    CONN_HEAD,      /* waiting for (the rest of) a request */
    CONN_HELD,      /* the technique holds the request open (parked, streaming) */
    CONN_UPGRADED,  /* no longer HTTP: bytes go to technique->on_data */
    CONN_WAITING,   /* core holds the request while its answer is computed elsewhere
                       (POST /publish waiting for Redis: conn_wait), or until the
                       -R mirror reaches the request's cursor */
    CONN_CLOSING,   /* the last answer is queued; close once it is written */
    CONN_CLOSED,    /* socket closed; freed once the current loop pass ends */
};

struct server;
struct conn_file;
struct redis_feed;
struct mirror_wait;

/* One client connection. A technique that keeps more per connection declares
 * its own struct with a `struct conn` as its first member and sets
 * technique.conn_size; core allocates that size, zero-filled. */
struct conn {
    ev_io io;                 /* the socket's readiness; EV_WRITE only while out is non-empty */
    ev_timer timer;           /* header deadline, idle timeout or the technique's timer */
    struct server *srv;       /* the server this connection belongs to */
    int fd;                   /* the socket */
    unsigned char state;      /* enum conn_state */
    unsigned char keep_alive; /* the current request allows another after it */
    unsigned char dirty;      /* on the server's flush list */
    unsigned char paused;     /* reading stopped until the out queue drains */
    unsigned char head_started; /* bytes of a new request head have arrived: deadline running */
    unsigned char head_only;  /* the current request is HEAD: answers carry no body */
    unsigned char lingering;  /* closing: our side is shut, waiting for the peer's EOF */
    unsigned char pending_input; /* requests wait in `in` until the current answer is done */
    unsigned char read_done;  /* the peer sent its EOF: no more requests, but answers still go */
    unsigned char authorized; /* the request (or upgrade) carried the publish token, or none is set */
    unsigned char routing;    /* route() is answering a request: it logs the answer's status */
    unsigned char mirror_wait; /* -R: its request waits for the mirror to reach its cursor
                                * (CONN_WAITING, core/request.c:/Waiting for the mirror/) */
    unsigned short status;    /* while routing: the status of the head queued, 0 = none yet */
    unsigned short redis_owed; /* -R: publishes sent to Redis, not yet answered (pipelined) */
    struct buf in;            /* bytes read but not yet used (a partial request) */
    struct outq out;          /* bytes still to send */
    struct conn_file *file;   /* a static file being streamed after `out`, or NULL */
    double progress_at;       /* when the peer last took bytes (or the queue began): the stall clock */
    uint64_t sent;            /* bytes written to this socket so far */
    struct buf marks;         /* deliveries queued and not yet written: where each ends in `sent` */
    struct conn *prev, *next; /* in the server's list of all connections */
    struct conn *dirty_next;  /* in the flush list while dirty */
};

/* What a technique tells core. Callbacks left NULL are not needed by it. */
struct technique {
    const char *name;          /* "polling": the log, /stats */
    int default_port;          /* 8001 ... 8004 */
    size_t conn_size;          /* sizeof its connection struct (>= sizeof(struct conn)) */
    const char *extra_flags;   /* getopt letters of its own flags, e.g. "k:", or NULL */
    const char *extra_usage;   /* one usage line for them, or NULL */
    unsigned char feed_json;   /* 1: make each event's JSON form as it is published
                                * (what its answers carry); else only on demand */

    /* A flag of extra_flags was given; return -1 to refuse its value. */
    int (*on_flag)(int flag, const char *value);
    /* Called once the server is listening, before the loop runs. */
    void (*on_start)(struct server *s);
    /* Answer the technique's own endpoint. Return 1 when this request was
     * the technique's (answered or held), 0 to let core route it. body has
     * req->content_length bytes. */
    int (*on_request)(struct conn *c, const struct http_request *req, const char *body);
    /* Deliver a new event (already in the feed) to the waiting clients. */
    void (*publish)(struct server *s, struct feed_event *ev);
    /* CONN_UPGRADED (or CONN_HELD with on_data set): bytes arrived. Return how
     * many were used; the rest is kept and offered again with more bytes. */
    size_t (*on_data)(struct conn *c, const char *data, size_t len);
    /* The timer set by conn_hold_timeout expired. */
    void (*on_timeout)(struct conn *c);
    /* A held or upgraded connection's socket took bytes and its out queue
     * is under the cap again (conn_room): the moment to queue the next
     * events of its cursor. */
    void (*on_drain)(struct conn *c);
    /* The connection is closing: unlink it from the technique's lists. */
    void (*on_close)(struct conn *c);
    /* SIGINT/SIGTERM: say goodbye to a held connection (WebSocket: close
     * 1001). Core closes it once what is queued has been written. */
    void (*on_shutdown)(struct conn *c);
};

/* Counters served as JSON by GET /stats. */
struct server_stats {
    uint64_t connections_open;
    uint64_t connections_total;
    uint64_t requests;          /* HTTP requests parsed (WebSocket: + messages received) */
    uint64_t bytes_in;
    uint64_t bytes_out;
    uint64_t events;            /* events published */
    uint64_t deliveries;        /* events written whole to a client's socket (a poll answer: all it carries) */
    uint64_t drops;             /* connections dropped for taking no bytes for the stall time (-S) */
    uint64_t subscribers;       /* clients currently waiting for events (parked, streaming) */
    uint64_t errors;            /* requests refused with 4xx/5xx, connections closed by errors */
    uint64_t empty_answers;     /* poll answers that carried no event: wasted round trips */
};

/* The common flags, after parsing. */
struct server_config {
    const char *addr;          /* -a */
    const char *redis_url;     /* -R redis://HOST:PORT[/PREFIX], or NULL: the feed in memory */
    int port;                  /* -p */
    const char *web_root;      /* -w */
    unsigned tick_ms;          /* -t, 0 = off */
    size_t feed_size;          /* -b */
    size_t out_cap;            /* -o: a subscriber's window: events are queued while under it */
    size_t feed_budget;        /* -B: most bytes the kept events may hold */
    unsigned head_ms;          /* -H: a request head must be complete this long after its first byte */
    unsigned idle_ms;          /* -I: an idle keep-alive connection is closed after this long */
    unsigned stall_ms;         /* -S: a connection with bytes unsent that takes none this long is dropped */
    const char *token;         /* -k: POST /publish (and WebSocket messages) need it, or NULL */
    const char *origins;       /* -O: comma-separated Origins a WebSocket upgrade may come from, or NULL */
    const char *hosts;         /* -A: more Host names a loopback-bound server answers (a proxy's), or NULL */
    int quiet;                 /* -q */
};

struct server {
    struct ev_loop *loop;
    const struct technique *tech;
    struct server_config cfg;
    struct feed feed;           /* with -R: a mirror of the stream in Redis */
    struct redis_feed *redis;   /* -R: the feed kept in Redis (core/feed_redis.h), else NULL */
    struct server_stats stats;
    struct conn *conns;         /* every open connection */
    struct conn *dirty;         /* connections to flush before the loop sleeps */
    struct conn *closed;        /* closed connections to free before the loop sleeps */
    int shutting_down;
    /* watchers: see server.c's callbacks */
    ev_io listen_io;
    ev_timer accept_retry;
    ev_timer tick;
    ev_timer shutdown_timer;
    ev_timer stall_check;       /* drops connections that stopped reading (-S) */
    ev_prepare flush;
    ev_signal sigint, sigterm;
    struct mirror_wait *mirror_waits;   /* -R: requests whose cursor the mirror has not reached */
    size_t mirror_waiting, mirror_waits_cap;
    int listen_fd;
    char date[32];              /* the Date header value, refreshed each second */
    double date_at;             /* when date was formatted */
    double started_at;          /* ev_now() when the server started, for uptime */
};

/* Parse the common flags (-p -a -w -t -b -o -q) plus tech->extra_flags, start
 * listening, print "listening on http://ADDR:PORT/" and run until SIGINT or
 * SIGTERM. Returns the process exit status. Call it from main(). */
int server_main(const struct technique *tech, int argc, char **argv);

/* The value of -flag as a whole number in [min, max]; or -1, after one
 * line on stderr that says the range (min must be >= 0). For on_flag. */
long long server_flag_number(int flag, const char *value, long long min, long long max);

/* Queue a complete answer: head and body. Ends the current request: the
 * connection goes back to reading requests (keep-alive) or closes once the
 * answer is written. extra: more header lines ending in "\r\n", or NULL. */
void conn_respond(struct conn *c, int status, const char *content_type,
                  const char *extra, const void *body, size_t len);
/* Queue only a head; the technique sends the body with conn_send* and ends
 * the request with conn_finish(), or holds the connection for a stream
 * (content_length -1). */
void conn_respond_head(struct conn *c, int status, const char *content_type,
                       long long content_length, const char *extra);
/* End the current request after a head and body queued by hand. */
void conn_finish(struct conn *c);
/* Queue an error answer with a short JSON body {"error":"..."} and close
 * the connection after it when close_after is set. */
void conn_error(struct conn *c, int status, const char *message, int close_after);

/* Queue a copy of p[0..n). Returns 0, or -1 when the connection is closed.
 * Queuing never drops anyone: the cap judges what stays unsent after a
 * write was tried (see conn_room and the stall rule in conn.c). */
int conn_send(struct conn *c, const void *p, size_t n);
/* Queue a reference to shared bytes; same result as conn_send. */
int conn_send_chunk(struct conn *c, struct chunk *ch);
/* Queue a delivery: shared bytes holding `events` events (an event block or
 * frame: 1; a poll answer: how many it carries). /stats deliveries counts
 * them once they are written whole, never when they are thrown away unsent
 * with a dropped connection. Returns 0, or -1 when the connection is closed. */
int conn_deliver(struct conn *c, struct chunk *ch, unsigned events);
/* The one cap rule of every streaming technique: 1 while c's out queue is
 * under the out cap (-o), so it may take the next event. A subscriber's
 * deliver queues events while there is room and stops; on_drain brings it
 * back when the socket has taken bytes. So one event larger than the cap
 * still goes (into an empty queue), a burst waits in the feed instead of
 * the queue, and a replay or a live stream is one and the same loop. */
int conn_room(const struct conn *c);

/* Hold the current request open (CONN_HELD): core stops its header and idle
 * timers. Input that arrives meanwhile goes to technique->on_data when it
 * has one, else is kept (bounded) for after the answer: pipelining. */
void conn_hold(struct conn *c);
/* (Re)arm the connection's timer: technique->on_timeout runs after `seconds`
 * unless armed again first. 0 stops it. */
void conn_hold_timeout(struct conn *c, double seconds);
/* The connection leaves HTTP (WebSocket after 101): every later byte goes to
 * technique->on_data, including any that arrived with the upgrade request. */
void conn_upgrade(struct conn *c);
/* Close now: on_close runs, the socket is closed, whatever is queued is
 * dropped. Safe inside a broadcast loop: the memory lives until the loop
 * pass ends. */
void conn_close(struct conn *c);
/* Close once everything queued has been written (and no more input is read). */
void conn_close_after_write(struct conn *c);
/* Core itself holds the current request (CONN_WAITING) until an answer
 * computed elsewhere is ready (conn_respond ends it): no timer runs, the
 * technique's callbacks never see it, pipelined input waits. */
void conn_wait(struct conn *c);
/* Start accepting clients (server_main does, unless -R: then the Redis feed
 * does, once it has read the stream). */
void server_accept_start(struct server *s);

/* Publish data[0..len) as the next event: into the feed, then to the
 * technique's publish. Returns the new event. With -R the event goes to
 * Redis instead and comes back, numbered, through the stream: this returns
 * NULL (and a refusal while Redis is away is only counted). */
struct feed_event *server_publish(struct server *s, const char *data, size_t len);

/* printf-style line on stderr, prefixed with the technique's name, unless -q. */
void server_log(struct server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 1 when the request's path (method) is exactly this string. */
int req_path_is(const struct http_request *req, const char *path);
int req_method_is(const struct http_request *req, const char *method);
/* Answer 405 with "Allow: <allow>" (RFC 9110 §15.5.6). */
void conn_method_not_allowed(struct conn *c, const char *allow);

/* Parse a `since` cursor from a request's query string. Returns 1 and sets
 * *since when present and a number; 0 when absent; -1 when malformed. */
int server_query_since(const struct http_request *req, uint64_t *since);
/* The same cursor, checked against the feed: 1 with *since set, 0 when
 * absent (*since untouched), or -1 when a 400 is queued already, because
 * it is not a number or is ahead of the newest event (a client from before
 * a restart: the body carries "newest", so it can start over). */
int conn_read_since(struct conn *c, const struct http_request *req, uint64_t *since);

#endif
