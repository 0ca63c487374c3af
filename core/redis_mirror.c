/*
 * core/redis_mirror.c — the stream, read into this instance's own feed:
 * the hello that tells which stream Redis holds (a new one, the same, one
 * that conflicts with what we knew: redis_cursor_epoch), the catch-up
 * (XRANGE batches from our newest id), then the live read (XREAD BLOCK on
 * the reader connection), each entry mirrored in id order into the local
 * feed and handed to the technique as if published here.
 *
 * Sections:
 *   The hello script
 *   Mirroring stream entries into the local feed
 *   The hello, catching up, reading live
 *
 * Entries are mirrored strictly in id order and each once: one that is not
 * above our newest is a repeat and ignored; ids the stream no longer has
 * become a gap (feed_skip_to), never a silent hole. An XREAD answer carries
 * every entry Redis has after our newest (up to BATCH), so events that came
 * together are handed to the technique in one loop pass, and core's flush
 * writes them to each subscriber together.
 */
#include "redis_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feed.h"
#include "redis_cursor.h"
#include "utf8.h"

static void read_live(struct redis_feed *r);
static void catch_up(struct redis_feed *r);

/* ==== The hello script ==== */

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

/* ==== The hello, catching up, reading live ==== */

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
    if (redis_reply_failed(r, reply, "hello script")) return;
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
    if (redis_reply_failed(r, reply, "XRANGE")) return;
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
    redis_send(r, r->cmd, on_catch_up, NULL, 6, argv, NULL);
}

/* The reader's answer: new entries (mirror them), or nil after
 * READ_BLOCK_MS without any; either way, wait again. */
static void on_read_live(redisAsyncContext *ac, void *reply_, void *privdata)
{
    struct redis_feed *r = ac->data;
    redisReply *reply = reply_;
    (void)privdata;
    if (redis_reply_failed(r, reply, "XREAD")) return;
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
    redis_send(r, r->reader, on_read_live, NULL, 8, argv, NULL);
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
void redis_mirror_hello(struct redis_feed *r)
{
    char epoch[40], newest[24], settle[16];
    random_epoch(epoch, sizeof epoch);
    snprintf(newest, sizeof newest, "%llu", (unsigned long long)feed_newest(&r->srv->feed));
    snprintf(settle, sizeof settle, "%d", SETTLE_MS);
    if (redis_publish_load(r) < 0) return;
    const char *hello[] = {"EVAL", HELLO_LUA, "2", r->key_meta, r->key_settle, epoch, newest, settle};
    redis_send(r, r->cmd, on_hello, NULL, 8, hello, NULL);
}
