/*
 * core/endpoints.c — the answers every server gives, whatever its technique:
 * the CORS preflight, POST /publish, GET /stats and the static files of the
 * demo page; and the small request helpers a technique's endpoint uses
 * (req_path_is, req_method_is, server_query_since, conn_read_since,
 * conn_method_not_allowed).
 *
 * route() in request.c picks one of these once the technique's on_request
 * has declined the request.
 */
#include "conn_internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "feed_redis.h"
#include "static.h"
#include "utf8.h"

/* ==== Request helpers ==== */

int req_path_is(const struct http_request *req, const char *path)
{
    size_t n = strlen(path);
    return req->path_len == n && memcmp(req->path, path, n) == 0;
}

int req_method_is(const struct http_request *req, const char *method)
{
    size_t n = strlen(method);
    return req->method_len == n && memcmp(req->method, method, n) == 0;
}

int server_query_since(const struct http_request *req, uint64_t *since)
{
    const char *value;
    size_t value_len;
    if (!http_query_get(req->query, req->query_len, "since", &value, &value_len)) return 0;
    return http_parse_uint(value, value_len, since) == 0 ? 1 : -1;
}

int conn_read_since(struct conn *c, const struct http_request *req, uint64_t *since)
{
    uint64_t first;
    int has = server_query_since(req, since);
    if (has < 0) {
        conn_error(c, 400, "since must be a number: the id of the last event you have", 0);
        return -1;
    }
    if (has && feed_since(&c->srv->feed, *since, &first) == FEED_AHEAD) {
        char body[160];                  /* a client from before a restart: start over */
        int n = snprintf(body, sizeof body,
                         "{\"error\":\"since is ahead of the newest event\",\"status\":400,"
                         "\"newest\":%llu}\n", (unsigned long long)feed_newest(&c->srv->feed));
        conn_respond(c, 400, "application/json", "Cache-Control: no-store\r\n", body, (size_t)n);
        return -1;
    }
    return has;
}

void conn_method_not_allowed(struct conn *c, const char *allow)
{
    char extra[128];
    snprintf(extra, sizeof extra, "Allow: %s\r\n", allow);
    static const char body[] = "{\"error\":\"Method Not Allowed\",\"status\":405}\n";
    conn_respond(c, 405, "application/json", extra, body, sizeof body - 1);
}

/* ==== Publishing ==== */

struct feed_event *server_publish(struct server *s, const char *data, size_t len)
{
    if (s->redis) {                    /* numbered by Redis; back to us through the stream */
        redis_feed_publish(s->redis, data, len, NULL);
        return NULL;
    }
    struct feed_event *ev = feed_publish(&s->feed, data, len);
    s->stats.events++;
    if (s->tech->feed_json) feed_json(&s->feed, ev);   /* the poll answers' form */
    if (s->tech->publish) s->tech->publish(s, ev);
    /* The technique encoded it (ev->wire): count those bytes too, and give
     * back the oldest events the budget no longer holds. Done after the
     * broadcast, so no event leaves the feed under a deliver loop. */
    feed_account(&s->feed, ev);
    feed_trim(&s->feed);
    return ev;
}

/* POST /publish: the body, UTF-8 text of at most 64 KiB, becomes an event.
 * With -k, only a request that carried the token may publish: 401 with
 * WWW-Authenticate otherwise (RFC 9110 §11.6.1, RFC 6750 §3). */
void endpoint_publish(struct conn *c, const struct http_request *req, const char *body)
{
    if (!c->authorized) {
        static const char answer[] = "{\"error\":\"publishing needs the token: "
                                     "Authorization: Bearer TOKEN\",\"status\":401}\n";
        conn_respond(c, 401, "application/json",
                     "WWW-Authenticate: Bearer realm=\"rtlab\"\r\nCache-Control: no-store\r\n",
                     answer, sizeof answer - 1);
        return;
    }
    if (!utf8_valid(body, req->content_length)) {
        conn_error(c, 400, "the event must be UTF-8 text", 0);
        return;
    }
    if (c->srv->redis) {               /* answered when Redis has numbered it, or 503 */
        redis_feed_publish(c->srv->redis, body, req->content_length, c);
        return;
    }
    struct feed_event *ev = server_publish(c->srv, body, req->content_length);
    char answer[64];
    int n = snprintf(answer, sizeof answer, "{\"id\":%llu}\n", (unsigned long long)ev->id);
    conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", answer, (size_t)n);
}

/* A publish pipelined behind one that Redis still owes an answer: sent at
 * once only when nothing in route() could answer it sooner than Redis
 * answers the ones before (a 401, 400, 421 or 503 now would jump the
 * queue), and when it keeps the connection open (its Connection: close
 * would end the answers owed before it). Techniques claim no /publish. */
int endpoint_publish_pipelines(const struct conn *c, const struct http_request *req, const char *body)
{
    const struct server *s = c->srv;
    return s->redis && !s->shutting_down && req->keep_alive && req_method_is(req, "POST") &&
           req_path_is(req, "/publish") && guard_would_publish(s, req) &&
           utf8_valid(body, req->content_length) && redis_feed_can_take(s->redis, c);
}

/* ==== CORS, /stats, static files ==== */

/* CORS preflight: the demo page on one port calls the servers on the others. */
void endpoint_preflight(struct conn *c)
{
    conn_respond(c, 204, NULL,
                 "Access-Control-Allow-Methods: GET, HEAD, POST, OPTIONS\r\n"
                 "Access-Control-Allow-Headers: Content-Type, Last-Event-ID, Authorization\r\n"
                 "Access-Control-Max-Age: 600\r\n",
                 "", 0);
}

/* GET /stats: the counters, as one JSON object. */
void endpoint_stats(struct conn *c)
{
    struct server *s = c->srv;
    const struct server_stats *st = &s->stats;
    size_t queued = 0;                         /* bytes every out queue holds now */
    for (const struct conn *q = s->conns; q; q = q->next) queued += outq_bytes(&q->out);
    char body[1792], redis[512] = "";
    if (s->redis) {                    /* ,"redis":{...}: the connection, the stream */
        redis[0] = ',';
        if (redis_feed_stats_json(s->redis, redis + 1, sizeof redis - 1) == 0) redis[0] = '\0';
    }
    int n = snprintf(body, sizeof body,
        "{\"server\":\"%s\",\"connections_open\":%llu,\"connections_total\":%llu,"
        "\"requests\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,\"events\":%llu,"
        "\"newest_id\":%llu,\"oldest_id\":%llu,\"deliveries\":%llu,\"drops\":%llu,"
        "\"subscribers\":%llu,\"errors\":%llu,\"empty_answers\":%llu,\"feed_bytes\":%zu,"
        "\"feed_budget\":%zu,\"queued_bytes\":%zu,\"mirror_waiting\":%zu,\"uptime_s\":%.3f%s}\n",
        s->tech->name, (unsigned long long)st->connections_open,
        (unsigned long long)st->connections_total, (unsigned long long)st->requests,
        (unsigned long long)st->bytes_in, (unsigned long long)st->bytes_out,
        (unsigned long long)st->events, (unsigned long long)feed_newest(&s->feed),
        (unsigned long long)feed_oldest(&s->feed), (unsigned long long)st->deliveries,
        (unsigned long long)st->drops, (unsigned long long)st->subscribers,
        (unsigned long long)st->errors, (unsigned long long)st->empty_answers, s->feed.bytes,
        s->feed.budget, queued, s->mirror_waiting, ev_now(s->loop) - s->started_at, redis);
    conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", body, (size_t)n);
}

/* GET/HEAD of a file under the web root; 404 for anything that is not one.
 * The file is opened, never read here: its bytes go from the descriptor to
 * the socket as the socket drains (conn_send_file), so a client that reads
 * slowly costs no memory whatever the file's size, and HEAD reads nothing. */
void endpoint_static(struct conn *c, const struct http_request *req)
{
    char relative[STATIC_MAX_PATH];
    off_t size = 0;
    int fd = -1;
    if (static_resolve(req->path, req->path_len, relative, sizeof relative) >= 0)
        fd = static_open(c->srv->cfg.web_root, relative, &size);
    if (fd < 0) {
        conn_error(c, 404, "Not Found", 0);
        return;
    }
    if (!req_method_is(req, "GET") && !req_method_is(req, "HEAD")) {
        close(fd);
        conn_method_not_allowed(c, "GET, HEAD, OPTIONS");
        return;
    }
    conn_respond_head(c, 200, static_content_type(relative), (long long)size,
                      "Cache-Control: no-cache\r\n");
    if (c->head_only) close(fd);
    else conn_send_file(c, fd, size);
    conn_finish(c);
}
