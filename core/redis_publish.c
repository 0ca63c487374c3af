/*
 * core/redis_publish.c — publishing through Redis: the script that numbers
 * and appends events, the events of one loop pass sent together, and the
 * publishers waiting for their ids.
 *
 * Sections:
 *   The publish script
 *   The events handed over, in the order of their ids
 *   Sending a loop pass's events in one call
 *   The answer
 *   The interface
 *
 * Why batched. Events published in one loop pass (a publisher's pipelined
 * POSTs, several publishers, a chat burst) go to Redis in ONE script call
 * just before the loop sleeps, not one call each: Redis runs the script
 * once, and wakes the instances' XREAD once, with all of them, so every
 * instance hands them to its technique in one pass and core writes them to
 * each subscriber in one write. One call each would wake XREAD after the
 * first, and the rest would follow in another pass and another write per
 * subscriber. A publish never waits for the one before: a publisher's
 * pipelined POSTs are all sent (request.c asks endpoint_publish_pipelines)
 * and answered in order, because Redis answers one connection's commands
 * in order and the ids of one call are consecutive.
 */
#include "redis_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ==== The publish script ==== */

/* Number the events ARGV[4..] (consecutive ids, one counter for every
 * instance) and append them, then trim the oldest entries while more than
 * ARGV[2] are kept or (ARGV[3] > 0) their data exceeds ARGV[3] bytes,
 * never the newest. One script, so numbering, appending and trimming are
 * one atomic step: no two events share an id, and the stream's entries are
 * in id order. The count's excess is read in one XRANGE, not one per
 * entry. Answers the first id, or an error: EPOCH (the caller mirrors a
 * stream that is gone), SETTLING (a new stream waits for the instances'
 * hellos).
 * KEYS: meta, stream, settle. ARGV: epoch, max events, max bytes, data... */
static const char PUBLISH_LUA[] =
    "if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then\n"
    "  return redis.error_reply('EPOCH the stream was replaced')\n"
    "end\n"
    "if redis.call('EXISTS', KEYS[3]) == 1 then\n"
    "  return redis.error_reply('SETTLING a new stream waits for every instance')\n"
    "end\n"
    "local count, added = #ARGV - 3, 0\n"
    "local first = redis.call('HINCRBY', KEYS[1], 'seq', count) - count + 1\n"
    "for i = 4, #ARGV do\n"
    "  redis.call('XADD', KEYS[2], string.format('%d-0', first + i - 4), 'd', ARGV[i])\n"
    "  added = added + #ARGV[i]\n"
    "end\n"
    "local bytes = redis.call('HINCRBY', KEYS[1], 'bytes', added)\n"
    "local n, maxn, maxb = redis.call('XLEN', KEYS[2]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local last, drop = nil, 0\n"
    "if n > maxn and n > 1 then\n"
    "  local old = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', math.min(n - maxn, n - 1))\n"
    "  for _, e in ipairs(old) do bytes = bytes - #e[2][2] end\n"
    "  drop = #old\n"
    "  last = old[drop][1]\n"
    "end\n"
    "while maxb > 0 and bytes > maxb and n - drop > 1 do\n"
    "  local e = redis.call('XRANGE', KEYS[2], last and ('(' .. last) or '-', '+', 'COUNT', 1)[1]\n"
    "  bytes = bytes - #e[2][2]\n"
    "  drop = drop + 1\n"
    "  last = e[1]\n"
    "end\n"
    "if last then\n"
    "  redis.call('XTRIM', KEYS[2], 'MINID', string.sub(last, 1, -3) .. '-1')\n"
    "  redis.call('HSET', KEYS[1], 'bytes', bytes)\n"
    "end\n"
    "return first\n";

/* The answer to SCRIPT LOAD of PUBLISH_LUA: the SHA-1 to EVALSHA with. */
static void on_script_loaded(redisAsyncContext *ac, void *reply_, void *privdata)
{
    struct redis_feed *r = ac->data;
    redisReply *reply = reply_;
    (void)privdata;
    if (redis_reply_failed(r, reply, "SCRIPT LOAD")) return;
    r->cmd_heard = feed_now(r);
    if (reply->type == REDIS_REPLY_STRING && reply->len < sizeof r->publish_sha)
        memcpy(r->publish_sha, reply->str, reply->len + 1);
}

int redis_publish_load(struct redis_feed *r)
{
    const char *load[] = {"SCRIPT", "LOAD", PUBLISH_LUA};
    return redis_send(r, r->cmd, on_script_loaded, NULL, 3, load, NULL);
}

/* ==== The events handed over, in the order of their ids ==== */

/* Take the first event off the list: answers come in order. Returns the
 * connection waiting for it, or NULL. */
static struct conn *pending_pop(struct redis_feed *r)
{
    struct pending *p = r->pending;
    if (!p) return NULL;
    r->pending = p->next;
    if (!r->pending) r->pending_tail = NULL;
    struct conn *c = p->conn;
    free(p);
    if (c) c->redis_owed--;                      /* before its answer: conn_finish counts the rest */
    return c;
}

void redis_answer_unavailable(struct conn *c, const char *why)
{
    char body[256], quoted[160];
    long q = json_escape(quoted, sizeof quoted, why, strnlen(why, 120));
    int n = snprintf(body, sizeof body, "{\"error\":%.*s,\"status\":503}\n", (int)q, quoted);
    conn_respond(c, 503, "application/json", "Retry-After: 1\r\nCache-Control: no-store\r\n",
                 body, (size_t)n);
}

/* Refuse the first n events of the list: 503 with why to those waiting. */
static void refuse(struct redis_feed *r, size_t n, const char *why)
{
    for (size_t i = 0; i < n && r->pending; i++) {
        struct conn *c = pending_pop(r);
        r->refused++;
        if (c) redis_answer_unavailable(c, why);
    }
}

void redis_publish_refuse_all(struct redis_feed *r)
{
    refuse(r, SIZE_MAX, "redis is unreachable: the event was not published");
    r->unsent = 0;
    r->batch.len = 0;                            /* kept allocated for the next pass */
}

/* ==== The answer ==== */

/* The script's answer for the n events of one call (privdata): the first
 * id (200 to each publisher, ids consecutive), or why not (503). EPOCH
 * means our stream is gone: say hello again. No reply: the context is
 * gone, and redis_lost has refused every event already. */
static void on_published(redisAsyncContext *ac, void *reply_, void *privdata)
{
    struct redis_feed *r = ac->data;
    redisReply *reply = reply_;
    size_t n = (size_t)(uintptr_t)privdata;
    if (!reply) return;
    r->cmd_heard = feed_now(r);
    if (reply->type == REDIS_REPLY_INTEGER && reply->integer > 0) {
        uint64_t first = (uint64_t)reply->integer;
        if (first + n - 1 > r->stream_newest) r->stream_newest = first + n - 1;
        r->settle_until = 0;
        for (size_t i = 0; i < n; i++) {
            struct conn *c = pending_pop(r);
            if (!c) continue;
            char answer[64];
            int len = snprintf(answer, sizeof answer, "{\"id\":%llu}\n", (unsigned long long)(first + i));
            conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", answer, (size_t)len);
        }
        return;
    }
    int settling = reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "SETTLING", 8) == 0;
    refuse(r, n, settling ? "a new stream was just made in Redis and waits 2.5 s for every instance: try again"
                          : "redis refused the event: it was not published");
    if (!settling) redis_lost(r, reply->type == REDIS_REPLY_ERROR ? reply->str : "publish: a wrong answer");
}

/* ==== Sending a loop pass's events in one call ==== */

/* EVALSHA the publish script with every event not yet sent. */
static void send_batch(struct redis_feed *r)
{
    struct server *s = r->srv;
    size_t n = r->unsent;
    if (n == 0) return;
    char maxn[24], maxb[24];
    snprintf(maxn, sizeof maxn, "%zu", s->cfg.feed_size);
    snprintf(maxb, sizeof maxb, "%d", 0);        /* no byte budget yet: the count trims */
    const char *argv[7 + PUBLISH_BATCH];
    size_t lens[7 + PUBLISH_BATCH];
    const char *head[] = {"EVALSHA", r->publish_sha, "3", r->key_meta, r->key_stream, r->key_settle,
                          r->epoch, maxn, maxb};
    size_t k = 0, at = 0;
    for (; k < sizeof head / sizeof head[0]; k++) {
        argv[k] = head[k];
        lens[k] = strlen(head[k]);
    }
    for (size_t i = 0; i < n; i++, k++) {        /* the data are not NUL-ended: their own lengths */
        argv[k] = r->batch.data + at;
        lens[k] = r->batch_len[i];
        at += r->batch_len[i];
    }
    r->unsent = 0;                               /* now owed by Redis (or refused, if it is lost) */
    if (redis_send(r, r->cmd, on_published, (void *)(uintptr_t)n, (int)k, argv, lens) == 0)
        r->batch.len = 0;                        /* hiredis has copied them; kept allocated */
}

/* Just before the loop sleeps: send this pass's events, and write what
 * hiredis holds on both connections now rather than a pass later. */
static void on_send_batch(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct redis_feed *r = (struct redis_feed *)((char *)w - offsetof(struct redis_feed, send_batch));
    (void)loop; (void)revents;
    send_batch(r);
    if (r->state >= R_SYNCING) {
        redis_write_now(r->cmd);
        redis_write_now(r->reader);
    }
}

/* The sender runs before core's flush (a higher priority; both are
 * prepare watchers): the events go to Redis first, and Redis numbers them
 * while this instance writes the pass's deliveries, not after. */
void redis_publish_init(struct redis_feed *r)
{
    ev_prepare_init(&r->send_batch, on_send_batch);
    ev_set_priority(&r->send_batch, EV_MAXPRI);
    ev_prepare_start(r->srv->loop, &r->send_batch);
}

void redis_publish_stop(struct redis_feed *r)
{
    ev_prepare_stop(r->srv->loop, &r->send_batch);
    while (r->pending) pending_pop(r);           /* shutting down: nobody is answered */
    buf_free(&r->batch);
}

/* ==== The interface ==== */

/* Connected, the script loaded: a publish can be sent. */
static int can_send(const struct redis_feed *r)
{
    return r->state >= R_SYNCING && r->publish_sha[0] && r->cmd;
}

int redis_feed_publish(struct redis_feed *r, const char *data, size_t len, struct conn *waiter)
{
    if (!can_send(r)) {
        r->refused++;
        if (waiter) redis_answer_unavailable(waiter, "redis is unreachable: the event was not published");
        return -1;
    }
    struct pending *p = calloc(1, sizeof *p);
    if (!p) {
        r->refused++;
        if (waiter) redis_answer_unavailable(waiter, "out of memory");
        return -1;
    }
    p->conn = waiter;                            /* answers come in the order of the events */
    if (r->pending_tail) r->pending_tail->next = p; else r->pending = p;
    r->pending_tail = p;
    buf_append(&r->batch, data, len);
    r->batch_len[r->unsent++] = len;
    if (waiter) {
        waiter->redis_owed++;
        conn_wait(waiter);
    }
    if (r->unsent == PUBLISH_BATCH) send_batch(r);
    return 0;
}

int redis_feed_can_take(const struct redis_feed *r, const struct conn *c)
{
    return can_send(r) && c->redis_owed < OWED_MAX;
}

void redis_feed_forget(struct redis_feed *r, struct conn *waiter)
{
    for (struct pending *p = r->pending; p; p = p->next)
        if (p->conn == waiter) p->conn = NULL;
}
