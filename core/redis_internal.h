/*
 * core/redis_internal.h — what the four files of the Redis feed share
 * (feed_redis.h is the interface the rest of core sees). Compiled only
 * with hiredis (RTLAB_HIREDIS).
 *
 *   feed_redis.c     the interface: parse -R, start, stop, /stats
 *   redis_link.c     the two connections' life: connect, lose, back off,
 *                    heartbeat
 *   redis_mirror.c   the hello (HELLO_LUA), the catch-up (XRANGE), the live
 *                    read (XREAD BLOCK), each entry into the local feed
 *   redis_publish.c  the publish script (PUBLISH_LUA), publishes batched
 *                    per loop pass, the publishers waiting for their ids
 *
 * The life of the connection:
 *
 *   DOWN ──retry timer──▶ CONNECTING ──both connected──▶ SYNCING (hello,
 *     ▲                                                   XRANGE batches)
 *     │                                                        │
 *     └──── lost: a disconnect, an error, 2 s without an ◀── LIVE (XREAD
 *           answer, or the stream replaced under us             BLOCK loop)
 *
 * Two connections, because XREAD BLOCK occupies the one it is sent on:
 * `cmd` carries the hello, the catch-up, publishes and the heartbeat;
 * `reader` only ever waits for new entries. Losing either is losing Redis.
 *
 * Keys, all under the prefix of the URL (default "rtlab"):
 *   PREFIX:meta    hash: epoch (the stream's identity), floor (ids up to it
 *                  were never in this stream), seq (the last id given),
 *                  bytes (data bytes the stream holds)
 *   PREFIX:stream  the events: entry "N-0" has one field, d = the data
 *   PREFIX:settle  exists for SETTLE_MS after a new stream is made
 */
#ifndef RTLAB_REDIS_INTERNAL_H
#define RTLAB_REDIS_INTERNAL_H

#include <stdint.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "buf.h"
#include "feed_redis.h"
#include "server.h"

#define SETTLE_MS 2500         /* > the longest backoff: every running instance says hello first */
#define BACKOFF_FIRST 0.1      /* s before the first reconnect */
#define BACKOFF_MAX 2.0        /* s between reconnects, at most */
#define HEARTBEAT 0.5          /* s between liveness checks */
#define DEAD_AFTER 2.0         /* s without any answer: Redis is gone (or stopped) */
#define READ_BLOCK_MS 500      /* XREAD BLOCK: the reader hears from Redis this often */
#define BATCH 512              /* entries per XRANGE or XREAD answer */
#define PUBLISH_BATCH 256      /* events per publish script call, at most */
#define OWED_MAX 256           /* publishes one connection may have pipelined to Redis at once */

enum redis_state { R_DOWN, R_CONNECTING, R_SYNCING, R_LIVE };

/* One event handed to Redis, waiting for its id: a POST /publish (conn),
 * or the ticker's or a chat message (conn NULL; it only needs counting). */
struct pending {
    struct conn *conn;          /* NULL: nobody waits, or the connection has closed */
    struct pending *next;
};

struct redis_feed {
    struct server *srv;
    char url[128];              /* as given, for the log and /stats */
    char ip[64];                /* the host, resolved once at start */
    int port;
    char key_meta[96], key_stream[96], key_settle[96];
    redisAsyncContext *cmd;     /* hello, catch-up, publishes, heartbeat */
    redisAsyncContext *reader;  /* XREAD BLOCK only */
    enum redis_state state;
    int connected;              /* how many of the two have connected */
    char publish_sha[48];       /* SHA-1 of PUBLISH_LUA, from SCRIPT LOAD */
    char epoch[40];             /* the stream we mirror; "" before the first hello */
    uint64_t hello_seq;         /* the stream's last id when we said hello */
    uint64_t stream_newest;     /* the largest id we know Redis has given */
    double backoff;             /* s before the next reconnect */
    double cmd_heard, reader_heard;   /* ev_now of the last answer on each */
    double settle_until;        /* ev_now until which a new stream refuses publishes */
    int heartbeat_out;          /* a heartbeat is waiting for its answer */
    int accepting;              /* the first catch-up is done: the server accepts clients */
    /* Every event handed over, in the order their ids will come: first the
     * ones sent (answers owed by Redis), then the `unsent` of this pass. */
    struct pending *pending, *pending_tail;
    size_t unsent;              /* events of this loop pass not yet sent */
    struct buf batch;           /* their data, one after another */
    size_t batch_len[PUBLISH_BATCH];  /* each one's length in `batch` */
    ev_prepare send_batch;      /* sends the pass's events in one script call */
    ev_timer retry;             /* DOWN: connect again when it fires */
    ev_timer heartbeat;         /* every HEARTBEAT s while not DOWN */
    /* counters for /stats */
    uint64_t reconnects, epoch_changes, epoch_conflicts, refused, bad_entries;
};

static inline double feed_now(const struct redis_feed *r) { return ev_now(r->srv->loop); }

/* ==== redis_link.c ==== */

/* Open both connections; the hello (redis_mirror_hello) follows when both
 * are up. */
void redis_connect(struct redis_feed *r);
/* Redis is gone, or answered what we cannot live with: let both
 * connections go (every event handed over is refused: 503 to those
 * waiting), and connect again after the backoff. No-op when DOWN. */
void redis_lost(struct redis_feed *r, const char *why);
/* Send one command on ac; its answer goes to cb. Returns 0, or -1 (then
 * Redis was lost: the callback will never run). */
int redis_send(struct redis_feed *r, redisAsyncContext *ac, redisCallbackFn *cb, void *privdata,
               int argc, const char **argv, const size_t *lens);
/* 1 when reply says Redis failed us: none (the connection is gone), or an
 * error (logged, and Redis is lost). */
int redis_reply_failed(struct redis_feed *r, const redisReply *reply, const char *what);
/* Write what hiredis holds for ac now, not on the next loop pass. */
void redis_write_now(redisAsyncContext *ac);
/* Start and stop the heartbeat and retry timers. */
void redis_link_init(struct redis_feed *r);
void redis_link_stop(struct redis_feed *r);

/* ==== redis_mirror.c ==== */

/* Both connections are up: load the publish script, say hello, catch up,
 * then read live. */
void redis_mirror_hello(struct redis_feed *r);

/* ==== redis_publish.c ==== */

/* Send SCRIPT LOAD of PUBLISH_LUA on cmd (its SHA-1 lands in publish_sha).
 * Returns 0, or -1 (Redis lost). */
int redis_publish_load(struct redis_feed *r);
/* Answer 503 with why to a publisher waiting on c. */
void redis_answer_unavailable(struct conn *c, const char *why);
/* Refuse every event handed over and not yet answered, sent or not, in
 * order (503 to those waiting): Redis is lost. */
void redis_publish_refuse_all(struct redis_feed *r);
/* Start and stop the per-pass sender; stop frees what is left. */
void redis_publish_init(struct redis_feed *r);
void redis_publish_stop(struct redis_feed *r);

#endif
