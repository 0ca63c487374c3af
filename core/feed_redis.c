/*
 * core/feed_redis.c — the feed kept in a Redis Stream, mirrored into each
 * instance's own feed; see feed_redis.h for the idea, core/README.md for
 * the behaviour as a whole.
 *
 * Sections:
 *   The keys and the two Lua scripts
 *   State of the connection to Redis
 *   Mirroring stream entries into the local feed
 *   Connecting, the hello, catching up, reading live
 *   Losing Redis, and coming back (backoff, heartbeat)
 *   Publishing
 *   The interface
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
 */
#include "feed_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#ifndef RTLAB_HIREDIS

/* Built without hiredis: -R is refused with a clear reason. */
struct redis_feed *redis_feed_start(struct server *s, const char *url, char *why, size_t why_len)
{
    (void)s; (void)url;
    snprintf(why, why_len, "-R needs hiredis, and this build has none: install libhiredis-dev "
             "(scripts/deps.sh test) and run make clean all");
    return NULL;
}
int redis_feed_publish(struct redis_feed *r, const char *data, size_t len, struct conn *waiter)
{
    (void)r; (void)data; (void)len; (void)waiter;
    return -1;
}
void redis_feed_forget(struct redis_feed *r, struct conn *waiter) { (void)r; (void)waiter; }
int redis_feed_stats_json(const struct redis_feed *r, char *out, size_t cap)
{
    (void)r; (void)out; (void)cap;
    return 0;
}
void redis_feed_stop(struct redis_feed *r) { (void)r; }

#else

#include <netdb.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libev.h>

#include "feed.h"
#include "json.h"
#include "redis_cursor.h"
#include "utf8.h"

/* ==== The keys and the two Lua scripts ==== */

/* Keys, all under the prefix of the URL (default "rtlab"):
 *   PREFIX:meta    hash: epoch (the stream's identity), floor (ids up to it
 *                  were never in this stream), seq (the last id given),
 *                  bytes (data bytes the stream holds)
 *   PREFIX:stream  the events: entry "N-0" has one field, d = the data
 *   PREFIX:settle  exists for SETTLE_MS after a new stream is made */

#define SETTLE_MS 2500         /* > the longest backoff: every running instance says hello first */
#define BACKOFF_FIRST 0.1      /* s before the first reconnect */
#define BACKOFF_MAX 2.0        /* s between reconnects, at most */
#define HEARTBEAT 0.5          /* s between liveness checks */
#define DEAD_AFTER 2.0         /* s without any answer: Redis is gone (or stopped) */
#define READ_BLOCK_MS 500      /* XREAD BLOCK: the reader hears from Redis this often */
#define BATCH 512              /* entries per XRANGE or XREAD answer */

/* hello: run once per connection. Makes the stream's identity when there
 * is none (Redis new, or restarted empty): its ids start above the newest
 * id the caller knew, and for SETTLE_MS no event may be published, so that
 * every instance still running says hello and raises the floor to what it
 * knew. Answers {epoch, floor, seq, settle_ms_left}.
 * KEYS: meta, settle. ARGV: a fresh random epoch, the caller's newest id. */
static const char HELLO_LUA[] =
    "local epoch = redis.call('HGET', KEYS[1], 'epoch')\n"
    "if not epoch then\n"
    "  epoch = ARGV[1]\n"
    "  redis.call('HSET', KEYS[1], 'epoch', epoch, 'floor', ARGV[2], 'seq', ARGV[2], 'bytes', 0)\n"
    "  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])\n"
    "elseif redis.call('EXISTS', KEYS[2]) == 1 and\n"
    "       tonumber(redis.call('HGET', KEYS[1], 'floor')) < tonumber(ARGV[2]) then\n"
    "  redis.call('HSET', KEYS[1], 'floor', ARGV[2], 'seq', ARGV[2])\n"
    "end\n"
    "return {epoch, redis.call('HGET', KEYS[1], 'floor'), redis.call('HGET', KEYS[1], 'seq'),\n"
    "        redis.call('PTTL', KEYS[2])}\n";

/* publish: number the event and append it, then trim the oldest entries
 * while more than ARGV[3] are kept or (ARGV[4] > 0) their data exceeds
 * ARGV[4] bytes, never the new one. One script, so numbering, appending
 * and trimming are one atomic step: no two events share an id, and the
 * stream's entries are in id order. Answers the id, or an error: EPOCH
 * (the caller mirrors a stream that is gone), SETTLING (a new stream waits
 * for the instances' hellos).
 * KEYS: meta, stream, settle. ARGV: epoch, data, max events, max bytes. */
static const char PUBLISH_LUA[] =
    "if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then\n"
    "  return redis.error_reply('EPOCH the stream was replaced')\n"
    "end\n"
    "if redis.call('EXISTS', KEYS[3]) == 1 then\n"
    "  return redis.error_reply('SETTLING a new stream waits for every instance')\n"
    "end\n"
    "local id = redis.call('HINCRBY', KEYS[1], 'seq', 1)\n"
    "redis.call('XADD', KEYS[2], string.format('%d-0', id), 'd', ARGV[2])\n"
    "local bytes = redis.call('HINCRBY', KEYS[1], 'bytes', #ARGV[2])\n"
    "local n, maxn, maxb = redis.call('XLEN', KEYS[2]), tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local start, last, drop = '-', nil, 0\n"
    "while n - drop > 1 and (n - drop > maxn or (maxb > 0 and bytes > maxb)) do\n"
    "  local e = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', 1)[1]\n"
    "  bytes = bytes - #e[2][2]\n"
    "  drop = drop + 1\n"
    "  last = e[1]\n"
    "  start = '(' .. last\n"
    "end\n"
    "if last then\n"
    "  redis.call('XTRIM', KEYS[2], 'MINID', string.sub(last, 1, -3) .. '-1')\n"
    "  redis.call('HSET', KEYS[1], 'bytes', bytes)\n"
    "end\n"
    "return id\n";

/* ==== State of the connection to Redis ==== */

enum redis_state { R_DOWN, R_CONNECTING, R_SYNCING, R_LIVE };
static const char *const state_names[] = {"down", "connecting", "syncing", "live"};

/* A POST /publish waiting for the script's answer. */
struct pending {
    struct conn *conn;          /* NULL once the connection has closed */
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
    struct pending *pending, *pending_tail;   /* in the order their answers will come */
    ev_timer retry;             /* DOWN: connect again when it fires */
    ev_timer heartbeat;         /* every HEARTBEAT s while not DOWN */
    /* counters for /stats */
    uint64_t reconnects, epoch_changes, epoch_conflicts, refused, bad_entries;
};

static void redis_lost(struct redis_feed *r, const char *why);
static void read_live(struct redis_feed *r);
static void catch_up(struct redis_feed *r);

static double feed_now(struct redis_feed *r) { return ev_now(r->srv->loop); }

/* Send one command on ac; its answer goes to cb. hiredis refuses only a
 * context that is being let go: then Redis is lost (the callback would
 * never run). Returns 0, or -1. */
static int send_command(struct redis_feed *r, redisAsyncContext *ac, redisCallbackFn *cb,
                        void *privdata, int argc, const char **argv, const size_t *lens)
{
    if (ac && redisAsyncCommandArgv(ac, cb, privdata, argc, argv, lens) == REDIS_OK) return 0;
    redis_lost(r, "a command could not be sent");
    return -1;
}

/* ==== Mirroring stream entries into the local feed ==== */

/* Add one stream entry (an array: id, then field/value pairs) to the local
 * feed and hand it to the technique. Entries at or below our newest are
 * repeats (a catch-up overlapping a live read) and ignored; an entry that
 * is not ours (a foreign id, no `d` field, not UTF-8) is counted and
 * skipped: its id, if it has one, becomes a gap. */
static void mirror_entry(struct redis_feed *r, const redisReply *e)
{
    struct server *s = r->srv;
    uint64_t id;
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
        redis_cursor_parse_id(e->element[0]->str, e->element[0]->len, &id) < 0) {
        r->bad_entries++;
        return;
    }
    if (id > r->stream_newest) r->stream_newest = id;
    if (id <= feed_newest(&s->feed)) return;
    const redisReply *fields = e->element[1];
    const redisReply *data = NULL;
    if (fields->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < fields->elements; i += 2)
            if (fields->element[i]->type == REDIS_REPLY_STRING && fields->element[i]->len == 1 &&
                fields->element[i]->str[0] == 'd' && fields->element[i + 1]->type == REDIS_REPLY_STRING)
                data = fields->element[i + 1];
    if (!data || !utf8_valid(data->str, data->len)) {
        r->bad_entries++;
        feed_skip_to(&s->feed, id);
        return;
    }
    struct feed_event *ev = feed_publish_at(&s->feed, id, data->str, data->len);
    s->stats.events++;
    if (s->tech->feed_json) feed_json(&s->feed, ev);   /* the poll answers' form */
    if (s->tech->publish) s->tech->publish(s, ev);
    feed_account(&s->feed, ev);        /* its encodings count in the byte budget (-B) */
    feed_trim(&s->feed);
}

/* Mirror every entry of an XRANGE answer (an array of entries). Returns how
 * many it held, or -1 when the answer is not an array. */
static long mirror_entries(struct redis_feed *r, const redisReply *list)
{
    if (list->type != REDIS_REPLY_ARRAY) return -1;
    for (size_t i = 0; i < list->elements; i++) mirror_entry(r, list->element[i]);
    return (long)list->elements;
}

/* ==== Connecting, the hello, catching up, reading live ==== */

/* A reply that says Redis has failed us: none (the connection is gone) or
 * an error. Logs and loses the connection for an error. */
static int reply_failed(struct redis_feed *r, const redisReply *reply, const char *what)
{
    if (!reply) return 1;                    /* freed: whoever freed it knows why */
    if (reply->type != REDIS_REPLY_ERROR) return 0;
    char why[160];
    snprintf(why, sizeof why, "%s: %.100s", what, reply->str);
    redis_lost(r, why);
    return 1;
}

/* The answer to SCRIPT LOAD of PUBLISH_LUA: the SHA-1 to EVALSHA with. */
static void on_script_loaded(redisAsyncContext *ac, void *reply_, void *privdata)
{
    struct redis_feed *r = ac->data;
    redisReply *reply = reply_;
    (void)privdata;
    if (reply_failed(r, reply, "SCRIPT LOAD")) return;
    r->cmd_heard = feed_now(r);
    if (reply->type == REDIS_REPLY_STRING && reply->len < sizeof r->publish_sha)
        memcpy(r->publish_sha, reply->str, reply->len + 1);
}

/* A uint64 from a bulk string or integer reply; 0 for anything else. */
static uint64_t reply_u64(const redisReply *x)
{
    if (x->type == REDIS_REPLY_INTEGER) return x->integer > 0 ? (uint64_t)x->integer : 0;
    if (x->type == REDIS_REPLY_STRING) return strtoull(x->str, NULL, 10);
    return 0;
}

/* Close every held connection (streams, sockets, parked polls): after an
 * epoch conflict their cursors name other events in the new stream. They
 * reconnect, and a cursor ahead of the feed is answered as a reset. */
static void drop_subscribers(struct server *s)
{
    struct conn *next;
    for (struct conn *c = s->conns; c; c = next) {
        next = c->next;
        if (c->state == CONN_HELD || c->state == CONN_UPGRADED) conn_close(c);
    }
}

/* The hello's answer {epoch, floor, seq, settle_ms}: decide what the stream
 * is to us (redis_cursor_epoch), then catch up. */
static void on_hello(redisAsyncContext *ac, void *reply_, void *privdata)
{
    struct redis_feed *r = ac->data;
    struct server *s = r->srv;
    redisReply *reply = reply_;
    (void)privdata;
    if (reply_failed(r, reply, "hello script")) return;
    r->cmd_heard = feed_now(r);
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4 ||
        reply->element[0]->type != REDIS_REPLY_STRING || reply->element[0]->len >= sizeof r->epoch) {
        redis_lost(r, "hello script: an answer of the wrong shape");
        return;
    }
    struct redis_known known = {r->epoch[0] ? r->epoch : NULL, feed_newest(&s->feed)};
    struct redis_stream_state now = {reply->element[0]->str, reply_u64(reply->element[1])};
    r->hello_seq = reply_u64(reply->element[2]);
    if (r->hello_seq > r->stream_newest) r->stream_newest = r->hello_seq;
    long long settle_ms = reply->element[3]->type == REDIS_REPLY_INTEGER ? reply->element[3]->integer : 0;
    r->settle_until = settle_ms > 0 ? feed_now(r) + settle_ms / 1000.0 : 0;
    switch (redis_cursor_epoch(&known, &now)) {
    case REDIS_EPOCH_FIRST:
    case REDIS_EPOCH_SAME:
        break;
    case REDIS_EPOCH_NEW:
        r->epoch_changes++;
        fprintf(stderr, "[%s] redis: a new stream (epoch %s, was %s): ids after %llu up to %llu "
                "are gone; its own start above %llu\n", s->tech->name, now.epoch, r->epoch,
                (unsigned long long)known.newest, (unsigned long long)now.floor,
                (unsigned long long)now.floor);
        feed_skip_to(&s->feed, now.floor);
        break;
    case REDIS_EPOCH_CONFLICT:
        r->epoch_changes++;
        r->epoch_conflicts++;
        fprintf(stderr, "[%s] redis: a new stream (epoch %s) reuses ids %llu..%llu that we knew "
                "from the old one: emptying our feed and dropping our subscribers\n",
                s->tech->name, now.epoch, (unsigned long long)now.floor + 1,
                (unsigned long long)known.newest);
        drop_subscribers(s);
        feed_free(&s->feed);
        feed_init(&s->feed, s->cfg.feed_size);
        break;
    }
    memcpy(r->epoch, now.epoch, strlen(now.epoch) + 1);
    r->state = R_SYNCING;
    catch_up(r);
}

/* One XRANGE batch of the catch-up has come: mirror it, then ask for the
 * next, or go live when it was the last. */
static void on_catch_up(redisAsyncContext *ac, void *reply_, void *privdata)
{
    struct redis_feed *r = ac->data;
    struct server *s = r->srv;
    redisReply *reply = reply_;
    (void)privdata;
    if (reply_failed(r, reply, "XRANGE")) return;
    r->cmd_heard = feed_now(r);
    long n = mirror_entries(r, reply);
    if (n < 0) {
        redis_lost(r, "XRANGE: an answer of the wrong shape");
        return;
    }
    if (n == BATCH) {
        catch_up(r);
        return;
    }
    /* Ids the hello counted but the stream no longer holds (trimmed, or
     * a new stream's floor) are gone: a cursor below them is a gap. */
    if (r->hello_seq > feed_newest(&s->feed)) feed_skip_to(&s->feed, r->hello_seq);
    r->state = R_LIVE;
    r->backoff = BACKOFF_FIRST;
    server_log(s, "redis: live at id %llu (epoch %s)", (unsigned long long)feed_newest(&s->feed),
               r->epoch);
    if (!r->accepting) {
        r->accepting = 1;
        server_accept_start(s);
    }
    read_live(r);
}

/* Ask for the next entries after our newest, as many as the ring keeps. */
static void catch_up(struct redis_feed *r)
{
    struct server *s = r->srv;
    uint64_t from = redis_cursor_catchup_from(feed_newest(&s->feed), r->stream_newest, s->cfg.feed_size);
    char start[REDIS_CURSOR_ID_MAX], count[16];
    redis_cursor_format_id(start, sizeof start, from);
    snprintf(count, sizeof count, "%d", BATCH);
    const char *argv[] = {"XRANGE", r->key_stream, start, "+", "COUNT", count};
    send_command(r, r->cmd, on_catch_up, NULL, 6, argv, NULL);
}

/* The reader's answer: new entries (mirror them), or nil after
 * READ_BLOCK_MS without any; either way, wait again. */
static void on_read_live(redisAsyncContext *ac, void *reply_, void *privdata)
{
    struct redis_feed *r = ac->data;
    redisReply *reply = reply_;
    (void)privdata;
    if (reply_failed(r, reply, "XREAD")) return;
    r->reader_heard = feed_now(r);
    if (reply->type == REDIS_REPLY_ARRAY) {     /* [[stream, [entry, ...]]] */
        for (size_t i = 0; i < reply->elements; i++) {
            const redisReply *one = reply->element[i];
            if (one->type == REDIS_REPLY_ARRAY && one->elements == 2) mirror_entries(r, one->element[1]);
        }
    } else if (reply->type != REDIS_REPLY_NIL) {
        redis_lost(r, "XREAD: an answer of the wrong shape");
        return;
    }
    if (r->state == R_LIVE) read_live(r);
}

/* Wait (XREAD BLOCK) for entries after our newest. */
static void read_live(struct redis_feed *r)
{
    char after[REDIS_CURSOR_ID_MAX], block[16], count[16];
    uint64_t newest = feed_newest(&r->srv->feed);
    if (newest == 0) snprintf(after, sizeof after, "0-0");
    else redis_cursor_format_id(after, sizeof after, newest);
    snprintf(block, sizeof block, "%d", READ_BLOCK_MS);
    snprintf(count, sizeof count, "%d", BATCH);
    const char *argv[] = {"XREAD", "COUNT", count, "BLOCK", block, "STREAMS", r->key_stream, after};
    send_command(r, r->reader, on_read_live, NULL, 8, argv, NULL);
}

/* 16 random bytes as hex: a new stream's identity. */
static void random_epoch(char *out, size_t cap)
{
    unsigned char raw[16];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(raw, 1, sizeof raw, f) : 0;
    if (f) fclose(f);
    if (got != sizeof raw) {                     /* no urandom: time and pid will do */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(out, cap, "%lx%lx%x", (long)ts.tv_sec, ts.tv_nsec, (unsigned)getpid());
        return;
    }
    for (size_t i = 0; i < sizeof raw && 2 * i + 2 < cap; i++) snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* Both connections are up: load the publish script, then say hello. */
static void say_hello(struct redis_feed *r)
{
    char epoch[40], newest[24], settle[16];
    random_epoch(epoch, sizeof epoch);
    snprintf(newest, sizeof newest, "%llu", (unsigned long long)feed_newest(&r->srv->feed));
    snprintf(settle, sizeof settle, "%d", SETTLE_MS);
    const char *load[] = {"SCRIPT", "LOAD", PUBLISH_LUA};
    if (send_command(r, r->cmd, on_script_loaded, NULL, 3, load, NULL) < 0) return;
    const char *hello[] = {"EVAL", HELLO_LUA, "2", r->key_meta, r->key_settle, epoch, newest, settle};
    send_command(r, r->cmd, on_hello, NULL, 8, hello, NULL);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct redis_feed *r = ac->data;
    if (status != REDIS_OK) {                    /* hiredis frees this context itself */
        if (ac == r->cmd) r->cmd = NULL;
        if (ac == r->reader) r->reader = NULL;
        char why[160];
        snprintf(why, sizeof why, "cannot connect: %.100s", ac->errstr);
        redis_lost(r, why);
        return;
    }
    if (++r->connected == 2 && r->state == R_CONNECTING) say_hello(r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct redis_feed *r = ac->data;
    (void)status;
    if (ac != r->cmd && ac != r->reader) return;  /* one we let go of ourselves */
    if (ac == r->cmd) r->cmd = NULL;              /* hiredis frees it after this */
    if (ac == r->reader) r->reader = NULL;
    redis_lost(r, ac->errstr[0] ? ac->errstr : "the connection closed");
}

/* A new asynchronous connection on the server's loop, or NULL. */
static redisAsyncContext *open_one(struct redis_feed *r)
{
    redisAsyncContext *ac = redisAsyncConnect(r->ip, r->port);   /* numeric: no DNS here */
    if (!ac) return NULL;
    if (ac->err) {
        redisAsyncFree(ac);
        return NULL;
    }
    ac->data = r;
    redisLibevAttach(r->srv->loop, ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return ac;
}

/* Open both connections; the hello follows when both are up. */
static void redis_connect(struct redis_feed *r)
{
    r->state = R_CONNECTING;
    r->connected = 0;
    r->heartbeat_out = 0;
    r->cmd_heard = r->reader_heard = feed_now(r);
    r->cmd = open_one(r);
    r->reader = r->cmd ? open_one(r) : NULL;
    if (!r->reader) redis_lost(r, "cannot open a connection");
}

/* ==== Losing Redis, and coming back ==== */

/* Answer a waiting publisher 503: what went wrong, and when to try again. */
static void answer_unavailable(struct conn *c, const char *why)
{
    char body[256], quoted[160];
    long q = json_escape(quoted, sizeof quoted, why, strnlen(why, 120));
    int n = snprintf(body, sizeof body, "{\"error\":%.*s,\"status\":503}\n", (int)q, quoted);
    conn_respond(c, 503, "application/json", "Retry-After: 1\r\nCache-Control: no-store\r\n",
                 body, (size_t)n);
}

/* Redis is gone (or answered what we cannot live with): let both
 * connections go (waiting publishers get 503 from their callbacks), and
 * try again after the backoff, which doubles up to BACKOFF_MAX.
 * Subscribers stay connected: the local feed still serves what it has. */
static void redis_lost(struct redis_feed *r, const char *why)
{
    struct server *s = r->srv;
    if (r->state == R_DOWN) return;
    fprintf(stderr, "[%s] redis %s: %s; again in %.1f s\n", s->tech->name, r->url, why, r->backoff);
    r->state = R_DOWN;
    redisAsyncContext *cmd = r->cmd, *reader = r->reader;
    r->cmd = r->reader = NULL;                   /* first: their callbacks now see "gone" */
    if (cmd) redisAsyncFree(cmd);
    if (reader) redisAsyncFree(reader);
    ev_timer_set(&r->retry, r->backoff, 0);
    ev_timer_start(s->loop, &r->retry);
    r->backoff = r->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : r->backoff * 2;
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct redis_feed *r = (struct redis_feed *)((char *)w - offsetof(struct redis_feed, retry));
    (void)loop; (void)revents;
    r->reconnects++;
    redis_connect(r);
}

/* The heartbeat's answer: the epoch. Another one means the stream was
 * replaced while we stayed connected (FLUSHALL, a DEL): say hello again. */
static void on_heartbeat(redisAsyncContext *ac, void *reply_, void *privdata)
{
    struct redis_feed *r = ac->data;
    redisReply *reply = reply_;
    (void)privdata;
    if (reply_failed(r, reply, "heartbeat")) return;
    r->heartbeat_out = 0;
    r->cmd_heard = feed_now(r);
    if (reply->type != REDIS_REPLY_STRING || strcmp(reply->str, r->epoch) != 0)
        redis_lost(r, "the stream was replaced");
}

/* Every HEARTBEAT s: a Redis that stopped answering (a stopped process, a
 * cut network: the socket stays open) is found here, at most DEAD_AFTER
 * after its last answer. No busy loop: one timer, one small command. */
static void on_heartbeat_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct redis_feed *r = (struct redis_feed *)((char *)w - offsetof(struct redis_feed, heartbeat));
    (void)loop; (void)revents;
    if (r->state == R_DOWN) return;
    double now = feed_now(r);
    double heard = r->cmd_heard < r->reader_heard ? r->cmd_heard : r->reader_heard;
    if (now - heard > DEAD_AFTER) {
        redis_lost(r, "no answer for 2 s");
        return;
    }
    if (r->state == R_LIVE && !r->heartbeat_out) {
        const char *argv[] = {"HGET", r->key_meta, "epoch"};
        r->heartbeat_out = 1;
        send_command(r, r->cmd, on_heartbeat, NULL, 3, argv, NULL);
    }
}

/* ==== Publishing ==== */

/* Take the first waiting publisher off the list (answers come in order). */
static struct conn *pending_pop(struct redis_feed *r)
{
    struct pending *p = r->pending;
    if (!p) return NULL;
    r->pending = p->next;
    if (!r->pending) r->pending_tail = NULL;
    struct conn *c = p->conn;
    free(p);
    return c;
}

/* The publish script's answer: the id (200 to the publisher), or why not
 * (503). EPOCH means our stream is gone: say hello again. */
static void on_published(redisAsyncContext *ac, void *reply_, void *privdata)
{
    struct redis_feed *r = ac->data;
    redisReply *reply = reply_;
    struct conn *c = privdata ? pending_pop(r) : NULL;
    if (reply) r->cmd_heard = feed_now(r);
    if (reply && reply->type == REDIS_REPLY_INTEGER) {
        uint64_t id = (uint64_t)reply->integer;
        if (id > r->stream_newest) r->stream_newest = id;
        r->settle_until = 0;
        if (c) {
            char answer[64];
            int n = snprintf(answer, sizeof answer, "{\"id\":%llu}\n", (unsigned long long)id);
            conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", answer, (size_t)n);
        }
        return;
    }
    r->refused++;
    const char *why = "redis is unreachable: the event was not published";
    if (reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "SETTLING", 8) == 0)
        why = "a new stream was just made in Redis and waits 2.5 s for every instance: try again";
    else if (reply && reply->type == REDIS_REPLY_ERROR)
        why = "redis refused the event: it was not published";
    if (c) answer_unavailable(c, why);
    if (reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "SETTLING", 8) != 0)
        redis_lost(r, reply->str);               /* EPOCH, NOSCRIPT, ...: start over */
}

/* ==== The interface ==== */

int redis_feed_publish(struct redis_feed *r, const char *data, size_t len, struct conn *waiter)
{
    struct server *s = r->srv;
    if (r->state < R_SYNCING || !r->publish_sha[0]) {
        r->refused++;
        if (waiter) answer_unavailable(waiter, "redis is unreachable: the event was not published");
        return -1;
    }
    char maxn[24], maxb[24];
    snprintf(maxn, sizeof maxn, "%zu", s->cfg.feed_size);
    snprintf(maxb, sizeof maxb, "%d", 0);        /* no byte budget yet: the count trims */
    const char *argv[] = {"EVALSHA", r->publish_sha, "3", r->key_meta, r->key_stream, r->key_settle,
                          r->epoch, data, maxn, maxb};
    size_t lens[10];
    for (int i = 0; i < 10; i++)                 /* the data (7) is not NUL-ended: its own length */
        lens[i] = i == 7 ? len : strlen(argv[i]);
    struct pending *p = waiter ? calloc(1, sizeof *p) : NULL;
    if (waiter && !p) {
        answer_unavailable(waiter, "out of memory");
        return -1;
    }
    if (send_command(r, r->cmd, on_published, p, 10, argv, lens) < 0) {
        free(p);
        r->refused++;
        if (waiter) answer_unavailable(waiter, "redis is unreachable: the event was not published");
        return -1;
    }
    if (p) {                                     /* answers come in the order of the commands */
        p->conn = waiter;
        if (r->pending_tail) r->pending_tail->next = p; else r->pending = p;
        r->pending_tail = p;
        conn_wait(waiter);
    }
    return 0;
}

void redis_feed_forget(struct redis_feed *r, struct conn *waiter)
{
    for (struct pending *p = r->pending; p; p = p->next)
        if (p->conn == waiter) p->conn = NULL;
}

int redis_feed_stats_json(const struct redis_feed *r, char *out, size_t cap)
{
    uint64_t newest = feed_newest(&r->srv->feed);
    double now = ev_now(r->srv->loop);
    int n = snprintf(out, cap,
        "\"redis\":{\"url\":\"%s\",\"state\":\"%s\",\"settling\":%s,\"epoch\":\"%s\","
        "\"stream_newest\":%llu,\"behind\":%llu,\"reconnects\":%llu,\"epoch_changes\":%llu,"
        "\"epoch_conflicts\":%llu,\"publish_refused\":%llu,\"bad_entries\":%llu}",
        r->url, state_names[r->state], r->settle_until > now ? "true" : "false", r->epoch,
        (unsigned long long)r->stream_newest,
        (unsigned long long)(r->stream_newest > newest ? r->stream_newest - newest : 0),
        (unsigned long long)r->reconnects, (unsigned long long)r->epoch_changes,
        (unsigned long long)r->epoch_conflicts, (unsigned long long)r->refused,
        (unsigned long long)r->bad_entries);
    return n > 0 && (size_t)n < cap ? n : 0;
}

/* Parse redis://HOST:PORT[/PREFIX] (HOST a name, an IPv4 address or [IPv6]).
 * Returns 0, or -1 with why. */
static int parse_url(struct redis_feed *r, const char *url, char *host, size_t host_cap,
                     char *prefix, size_t prefix_cap, char *why, size_t why_len)
{
    const char *p = url;
    if (strncmp(p, "redis://", 8) != 0) {
        snprintf(why, why_len, "-R %s: not a redis://HOST:PORT[/PREFIX] URL", url);
        return -1;
    }
    p += 8;
    const char *host_end;
    if (*p == '[') {
        host_end = strchr(p, ']');
        if (!host_end) goto bad;
        p++;
    } else {
        host_end = p + strcspn(p, ":/");
    }
    size_t n = (size_t)(host_end - p);
    if (n == 0 || n >= host_cap) goto bad;
    memcpy(host, p, n);
    host[n] = '\0';
    p = host_end + (*host_end == ']');
    r->port = 6379;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535) goto bad;
        r->port = (int)port;
        p = end;
    }
    snprintf(prefix, prefix_cap, "rtlab");
    if (*p == '/' && p[1]) {
        if (strlen(p + 1) >= prefix_cap || strpbrk(p + 1, " \r\n/")) goto bad;
        snprintf(prefix, prefix_cap, "%s", p + 1);
    } else if (*p && strcmp(p, "/") != 0) {
        goto bad;
    }
    return 0;
bad:
    snprintf(why, why_len, "-R %s: not a redis://HOST:PORT[/PREFIX] URL", url);
    return -1;
}

/* The host's first address as a numeric string: hiredis would resolve a
 * name with a blocking call inside the loop; here, at start, blocking is
 * fine. Returns 0, or -1 with why. */
static int resolve(const char *host, char *ip, size_t ip_cap, char *why, size_t why_len)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    int err = getaddrinfo(host, NULL, &hints, &res);
    if (err) {
        snprintf(why, why_len, "-R: cannot resolve '%s': %s", host, gai_strerror(err));
        return -1;
    }
    const void *addr = res->ai_family == AF_INET6
        ? (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr
        : (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
    inet_ntop(res->ai_family, addr, ip, (socklen_t)ip_cap);
    freeaddrinfo(res);
    return 0;
}

struct redis_feed *redis_feed_start(struct server *s, const char *url, char *why, size_t why_len)
{
    struct redis_feed *r = calloc(1, sizeof *r);
    char host[64], prefix[64];
    if (!r) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    r->srv = s;
    snprintf(r->url, sizeof r->url, "%s", url);
    if (parse_url(r, url, host, sizeof host, prefix, sizeof prefix, why, why_len) < 0 ||
        resolve(host, r->ip, sizeof r->ip, why, why_len) < 0) {
        free(r);
        return NULL;
    }
    snprintf(r->key_meta, sizeof r->key_meta, "%s:meta", prefix);
    snprintf(r->key_stream, sizeof r->key_stream, "%s:stream", prefix);
    snprintf(r->key_settle, sizeof r->key_settle, "%s:settle", prefix);
    r->backoff = BACKOFF_FIRST;
    ev_init(&r->retry, on_retry);
    ev_timer_init(&r->heartbeat, on_heartbeat_timer, HEARTBEAT, HEARTBEAT);
    ev_timer_start(s->loop, &r->heartbeat);
    fprintf(stderr, "[%s] redis: feed in %s (%s:%d, keys %s:*); clients wait until it is read\n",
            s->tech->name, url, r->ip, r->port, prefix);
    redis_connect(r);
    return r;
}

void redis_feed_stop(struct redis_feed *r)
{
    if (!r) return;
    struct server *s = r->srv;
    ev_timer_stop(s->loop, &r->retry);
    ev_timer_stop(s->loop, &r->heartbeat);
    r->state = R_DOWN;
    redisAsyncContext *cmd = r->cmd, *reader = r->reader;
    r->cmd = r->reader = NULL;
    if (cmd) redisAsyncFree(cmd);
    if (reader) redisAsyncFree(reader);
    while (r->pending) pending_pop(r);
    free(r);
}

#endif
