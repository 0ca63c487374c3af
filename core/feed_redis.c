/*
 * core/feed_redis.c — the feed kept in a Redis Stream, mirrored into each
 * instance's own feed: the interface (feed_redis.h). Here: -R parsed and
 * its host resolved, start and stop, the /stats object, and the build
 * without hiredis. The work is in three files by job (redis_internal.h
 * draws the states and lists them): redis_link.c (the connections' life),
 * redis_mirror.c (hello, catch-up, live read), redis_publish.c (the
 * publish script, batched per loop pass). core/README.md tells the
 * behaviour as a whole.
 *
 * Sections:
 *   Built without hiredis
 *   /stats
 *   Parsing -R, resolving its host
 *   Start and stop
 */
#include "feed_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* ==== Built without hiredis ==== */

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
int redis_feed_can_take(const struct redis_feed *r, const struct conn *c) { (void)r; (void)c; return 0; }
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

#include "feed.h"
#include "redis_internal.h"

static const char *const state_names[] = {"down", "connecting", "syncing", "live"};

/* ==== /stats ==== */

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

/* ==== Parsing -R, resolving its host ==== */

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

/* ==== Start and stop ==== */

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
    redis_link_init(r);
    redis_publish_init(r);
    fprintf(stderr, "[%s] redis: feed in %s (%s:%d, keys %s:*); clients wait until it is read\n",
            s->tech->name, url, r->ip, r->port, prefix);
    redis_connect(r);
    return r;
}

void redis_feed_stop(struct redis_feed *r)
{
    if (!r) return;
    redis_link_stop(r);
    redis_publish_stop(r);
    free(r);
}

#endif
