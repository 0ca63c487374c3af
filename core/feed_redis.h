/*
 * core/feed_redis.h — the feed kept in Redis, for many instances at once
 * (`-R redis://HOST:PORT[/PREFIX]`).
 *
 * One process keeps its events in memory (core/feed.h) and numbers them
 * itself. A second process would number its own 1, 2, 3 and never see the
 * first one's events. With -R every instance hands each new event to Redis
 * instead:
 *
 *   publish   a Lua script numbers the event (one counter for everyone) and
 *             appends it to a Redis Stream as entry "N-0", trimmed like the
 *             ring (-b events) in the same atomic step;
 *   receive   every instance reads the stream on a second connection (XREAD
 *             BLOCK) and adds each entry, in id order, to its own in-memory
 *             feed, then calls the technique's publish hook: the local feed
 *             becomes a mirror of the stream's window, and sse.c,
 *             websocket.c and longpoll.c work unchanged, encoding once;
 *   resume    a cursor means the same on every instance, so a client that
 *             moves from one to another resumes exactly;
 *   identity  the stream has an epoch (a random string made with it); a
 *             Redis that restarted empty has a new one, whose ids start
 *             above every id the instances knew (see core/redis_cursor.h).
 *
 * Never a blocking call: hiredis's asynchronous API on the server's own
 * libev loop (hiredis/adapters/libev.h). While Redis is unreachable,
 * publishing answers 503 and subscribers stay connected; the instance
 * reconnects with backoff (0.1 s doubling to 2 s) and catches up from the
 * stream. core/README.md tells the whole behaviour, start to failure.
 *
 * Built only when hiredis is installed (the Makefile asks pkg-config); a
 * server built without it refuses -R at start.
 *
 * Interface: redis_feed_start, redis_feed_publish, redis_feed_forget,
 *            redis_feed_can_take, redis_feed_stats_json, redis_feed_stop.
 */
#ifndef RTLAB_FEED_REDIS_H
#define RTLAB_FEED_REDIS_H

#include <stddef.h>

struct server;
struct conn;
struct redis_feed;

/* Parse url, resolve its host (once, here: the only blocking step, before
 * the loop runs) and start connecting. The server must not accept clients
 * until the first catch-up is done: this calls server_accept_start(s) then.
 * Returns the feed, or NULL with a one-line reason in why[0..why_len). */
struct redis_feed *redis_feed_start(struct server *s, const char *url, char *why, size_t why_len);

/* Publish data[0..len) (valid UTF-8) through Redis. With a waiter (a POST
 * /publish connection) the answer goes to it: now, 503, when Redis is not
 * reachable; or later, when the script has answered: 200 {"id":N}, or 503.
 * Meanwhile the connection waits (conn_wait). Without a waiter (the ticker,
 * a WebSocket chat message) a refusal is only counted. The event reaches
 * this instance's subscribers through the stream, like anyone else's.
 * Returns 0 when sent to Redis, -1 when refused at once. */
int redis_feed_publish(struct redis_feed *r, const char *data, size_t len, struct conn *waiter);

/* 1 when one more publish from c would be sent to Redis now (connected,
 * the script loaded, c owes fewer than a few hundred answers): then a
 * publish pipelined behind c's unanswered ones may go at once (the answers
 * come back in the order sent: one connection, Redis answers in order). */
int redis_feed_can_take(const struct redis_feed *r, const struct conn *c);

/* A waiting publisher's connection is closing: its answer, when it comes,
 * goes nowhere. */
void redis_feed_forget(struct redis_feed *r, struct conn *waiter);

/* Write `"redis":{...}` (state, reconnects, epoch, how far behind) into
 * out[0..cap). Returns its length (0 when it does not fit). */
int redis_feed_stats_json(const struct redis_feed *r, char *out, size_t cap);

/* Close the connections (pending publishers get 503) and free everything. */
void redis_feed_stop(struct redis_feed *r);

#endif
