/*
 * core/redis_link.c — the life of the two connections to Redis: connect,
 * notice a loss (a close, an error, a Redis that stopped answering), let
 * go, and connect again after a backoff. No busy loop: one retry timer, one
 * heartbeat timer. What is said on the connections once they are up is
 * redis_mirror.c's and redis_publish.c's; the states are drawn in
 * redis_internal.h.
 *
 * Sections:
 *   Sending, and judging answers
 *   Connecting
 *   Losing Redis, and coming back
 *   The heartbeat
 */
#include "redis_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <hiredis/adapters/libev.h>

/* ==== Sending, and judging answers ==== */

/* hiredis refuses only a context that is being let go: then Redis is lost
 * (the callback would never run). */
int redis_send(struct redis_feed *r, redisAsyncContext *ac, redisCallbackFn *cb, void *privdata,
               int argc, const char **argv, const size_t *lens)
{
    if (ac && redisAsyncCommandArgv(ac, cb, privdata, argc, argv, lens) == REDIS_OK) return 0;
    redis_lost(r, "a command could not be sent");
    return -1;
}

int redis_reply_failed(struct redis_feed *r, const redisReply *reply, const char *what)
{
    if (!reply) return 1;                    /* freed: whoever freed it knows why */
    if (reply->type != REDIS_REPLY_ERROR) return 0;
    char why[160];
    snprintf(why, sizeof why, "%s: %.100s", what, reply->str);
    redis_lost(r, why);
    return 1;
}

/* hiredis only queues a command and arms EV_WRITE, so it would go out on
 * the loop's next pass, one epoll_wait later. Called just before the loop
 * sleeps, this writes it now (and re-arms EV_WRITE itself if the socket
 * took only part). Only for a connected context. */
void redis_write_now(redisAsyncContext *ac)
{
    if (ac && (ac->c.flags & REDIS_CONNECTED)) redisAsyncHandleWrite(ac);
}

/* ==== Connecting ==== */

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
    if (++r->connected == 2 && r->state == R_CONNECTING) redis_mirror_hello(r);
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

void redis_connect(struct redis_feed *r)
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

/* Every event handed over and not yet answered is refused, here and in
 * order, before the contexts go: hiredis would call the publish callbacks
 * with no reply only later when the loss is found inside a callback, after
 * the events of this pass not yet sent, and a connection's answers must
 * keep their order. Subscribers stay connected: the local feed still
 * serves what it has. The backoff doubles up to BACKOFF_MAX. */
void redis_lost(struct redis_feed *r, const char *why)
{
    struct server *s = r->srv;
    if (r->state == R_DOWN) return;
    fprintf(stderr, "[%s] redis %s: %s; again in %.1f s\n", s->tech->name, r->url, why, r->backoff);
    r->state = R_DOWN;
    redis_publish_refuse_all(r);
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

/* ==== The heartbeat ==== */

/* The heartbeat's answer: the epoch. Another one means the stream was
 * replaced while we stayed connected (FLUSHALL, a DEL): say hello again. */
static void on_heartbeat(redisAsyncContext *ac, void *reply_, void *privdata)
{
    struct redis_feed *r = ac->data;
    redisReply *reply = reply_;
    (void)privdata;
    if (redis_reply_failed(r, reply, "heartbeat")) return;
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
        redis_send(r, r->cmd, on_heartbeat, NULL, 3, argv, NULL);
    }
}

void redis_link_init(struct redis_feed *r)
{
    r->backoff = BACKOFF_FIRST;
    ev_init(&r->retry, on_retry);
    ev_timer_init(&r->heartbeat, on_heartbeat_timer, HEARTBEAT, HEARTBEAT);
    ev_timer_start(r->srv->loop, &r->heartbeat);
}

/* Stop the timers and let both connections go. The publish callbacks
 * hiredis then calls with no reply answer nobody (on_published). */
void redis_link_stop(struct redis_feed *r)
{
    struct server *s = r->srv;
    ev_timer_stop(s->loop, &r->retry);
    ev_timer_stop(s->loop, &r->heartbeat);
    r->state = R_DOWN;
    redisAsyncContext *cmd = r->cmd, *reader = r->reader;
    r->cmd = r->reader = NULL;
    if (cmd) redisAsyncFree(cmd);
    if (reader) redisAsyncFree(reader);
}
