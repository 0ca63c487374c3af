/*
 * core/conn_internal.h — what the four files of core's event loop share, and
 * nothing a technique may use (a technique includes server.h only).
 *
 * The loop is cut into files by job:
 *
 *   conn.c       a connection's life (new, close, linger, free), the flush
 *                that writes its out queue, and the send API a technique
 *                calls (conn_send*, conn_respond*, conn_error, conn_hold*)
 *   request.c    bytes in: read the socket, cut requests out of the bytes
 *                (pipelining, partial heads), route each to its answer
 *   endpoints.c  the answers every server gives: CORS preflight, /publish,
 *                /stats, static files
 *   guard.c      who may do what: Host (DNS rebinding), Origin (WebSocket
 *                hijacking), the publish token
 *   server.c     the libev callbacks (accept, io, timeouts, ticker,
 *                signals, the flush before the loop sleeps), the flags,
 *                server_main
 *
 * Interface (inside core only):
 *   conn_new, conn_free          a connection for an accepted socket; its memory
 *   conn_watch, conn_arm         its io watcher's events; its one timer
 *   conn_mark_dirty              flush it before the loop sleeps
 *   conn_flush                   write what is queued (and linger, once closing)
 *   conn_send_file               stream a static file after the out queue
 *   conn_read_done               the peer's EOF: answer what was asked, then close
 *   conn_check_stall             the stall rule (-S)
 *   conn_log_answer              the log line of an answer, with its request
 *   conn_read, conn_input        read the socket; use the bytes read
 *   conn_mirror_wake, conn_mirror_expired, conn_mirror_forget
 *                                requests waiting for the -R mirror (request.c)
 *   conn_on_io, conn_on_timeout  the libev callbacks of a connection's watchers
 *   endpoint_preflight, endpoint_publish, endpoint_stats, endpoint_static
 *                                the answers every server gives
 *   guard_request                Host, Origin and token checks (guard.c)
 */
#ifndef RTLAB_CONN_INTERNAL_H
#define RTLAB_CONN_INTERNAL_H

#include "server.h"

/* ==== Limits and timeouts ==== */

#define DEFAULT_HEAD_MS 5000     /* -H: ms from a head's first byte to its last (slowloris) */
#define DEFAULT_IDLE_MS 30000    /* -I: ms an idle keep-alive connection is kept */
#define DEFAULT_STALL_MS 10000   /* -S: ms a connection may hold unsent bytes and take none */
#define DEFAULT_FEED_BUDGET (64u << 20)  /* -B: bytes the kept events may hold */
#define FILE_SLICE (256 * 1024)  /* bytes of a static file sent per write attempt */
#define LINGER_TIMEOUT 2.0       /* s to wait for the peer's EOF after our last answer */
#define SHUTDOWN_GRACE 2.0       /* s to let goodbyes drain on SIGTERM */
#define ACCEPT_RETRY 0.1         /* s to pause accepting when out of descriptors */
#define PIPELINE_HIGH_WATER (256 * 1024)  /* stop reading requests past this much unsent */
#define HELD_INPUT_MAX (HTTP_MAX_HEAD + HTTP_MAX_BODY)  /* pipelined bytes kept behind a held request */
#define UPGRADED_INPUT_MAX (64u << 20)      /* safety net for an upgraded protocol's partial message */
#define DEFAULT_OUT_CAP (1u << 20)
#define READ_SIZE (64 * 1024)
#define MIRROR_WAIT 1.0          /* s a -R request waits for the mirror to reach its cursor */

/* ==== conn.c: a connection's life and its out queue ==== */

/* A static file on its way: sent from the descriptor after the out queue,
 * in slices as the socket drains, so no file byte is held in memory. */
struct conn_file {
    int fd;
    off_t off;                /* next byte to send */
    off_t end;                /* the file's size when the answer's head was made */
};

/* The server's seconds for a flag in milliseconds. */
static inline double conn_seconds(unsigned ms) { return ms / 1000.0; }

/* A new connection for an accepted socket, waiting for a request (CONN_HEAD,
 * idle timer running), on s->conns. NULL when out of memory: the caller
 * closes fd. */
struct conn *conn_new(struct server *s, int fd);
/* Release a closed connection's memory. Only on_flush calls it, once the
 * loop pass that closed c is over. */
void conn_free(struct conn *c);
/* Watch the socket for exactly these events (EV_READ, EV_WRITE, both, 0). */
void conn_watch(struct conn *c, int events);
/* (Re)start the connection's one timer to fire after `seconds`. */
void conn_arm(struct conn *c, double seconds);
/* Put c on the list of connections to flush before the loop sleeps. */
void conn_mark_dirty(struct conn *c);
/* Write what is queued; on a partial write EV_WRITE stays armed. May close c. */
void conn_flush(struct conn *c);
/* Send fd's bytes from 0 to size after what is queued (a static file's
 * body); takes the descriptor. Requests behind it wait until it is sent. */
void conn_send_file(struct conn *c, int fd, off_t size);
/* The peer sent its EOF: no more requests will come. What was accepted is
 * still answered and written; then the connection closes. */
void conn_read_done(struct conn *c);
/* The stall rule: drop c when it has bytes unsent and has taken none for
 * the stall time (-S). Returns 1 when it was dropped. */
int conn_check_stall(struct conn *c, double now);
/* The log line of one answer: "fd N METHOD TARGET -> STATUS". req is the
 * request answered, or NULL when there is none at hand (a held request
 * answered later, a request that never parsed). */
void conn_log_answer(const struct conn *c, const struct http_request *req, int status);

/* ==== request.c: bytes in, requests out ==== */

/* EV_READ: read what the socket has and use it. May close c. */
void conn_read(struct conn *c);
/* Use data[0..len): every complete request in it, or the technique's bytes
 * after an upgrade. Returns how many bytes were used; the caller keeps the
 * rest. May close c (then it returns len). */
size_t conn_input(struct conn *c, const char *data, size_t len);

/* With -R, a request whose cursor is ahead of this instance's mirror waits
 * (CONN_WAITING, its bytes kept unread in c->in) until the mirror holds the
 * cursor or MIRROR_WAIT passes; then it is routed again. */
struct mirror_wait {
    struct conn *conn;
    uint64_t id;              /* the request's cursor: wake when the mirror holds it */
};
/* Before the loop sleeps: route again every waiting request whose cursor
 * the mirror now holds. Cheap when none waits. */
void conn_mirror_wake(struct server *s);
/* The connection's timer fired while it waited: route it as it is now
 * (a cursor still ahead is answered as after a restart). */
void conn_mirror_expired(struct conn *c);
/* c is closing while it waits: forget it. */
void conn_mirror_forget(struct conn *c);

/* ==== server.c: the callbacks of a connection's watchers ==== */

void conn_on_io(struct ev_loop *loop, ev_io *w, int revents);
void conn_on_timeout(struct ev_loop *loop, ev_timer *w, int revents);

/* ==== guard.c: who may do what ==== */

/* Check the request before it is routed: Host on a loopback-bound server
 * (421), Origin of a WebSocket upgrade (403); sets c->authorized (the
 * publish token). Returns 1 when it answered the request (refused it). */
int guard_request(struct conn *c, const struct http_request *req);
/* 1 when guard_request would let req through, authorized to publish, and
 * no Upgrade is asked: nothing answered, nothing set. The request loop
 * asks it before routing a publish pipelined behind one Redis still owes
 * (endpoint_publish_pipelines). */
int guard_would_publish(const struct server *s, const struct http_request *req);

/* ==== endpoints.c: the answers every server gives ==== */

/* OPTIONS: the CORS preflight. */
void endpoint_preflight(struct conn *c);
/* POST /publish: body[0..req->content_length) becomes the next event. */
void endpoint_publish(struct conn *c, const struct http_request *req, const char *body);
/* 1 when req, pipelined behind a publish whose answer Redis still owes, is
 * one route() would surely hand to Redis too (a keep-alive POST /publish
 * that passes the guard, UTF-8, Redis able to take it): then it is sent at
 * once, and the answers still come back in order (Redis answers in order).
 * 0 for anything else: it waits until the answers owed are given. */
int endpoint_publish_pipelines(const struct conn *c, const struct http_request *req, const char *body);
/* GET/HEAD /stats: the counters as JSON. */
void endpoint_stats(struct conn *c);
/* Anything else: a file under the web root, or 404. */
void endpoint_static(struct conn *c, const struct http_request *req);

#endif
