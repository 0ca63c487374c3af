/*
 * core/guard.c — who may do what: the checks route() makes before any
 * request reaches an answer (DESIGN.md "Who may do what").
 *
 * Three refusals, each a clear status:
 *
 *   421  Host is not a loopback name on a server bound to loopback. DNS
 *        rebinding: any page a student visits can point its own name at
 *        127.0.0.1 and then talk to the server as same-origin; its
 *        requests carry its own name in Host, and that is how we tell.
 *        421 Misdirected Request (RFC 9110 §15.5.20) says exactly this:
 *        the request was sent to a server that does not answer for that
 *        authority. (403 would read as "you, the user, may not", which is
 *        not the point.) Allowed: localhost and *.localhost (RFC 6761 §6.3),
 *        IP literals (a literal cannot be rebound), and single-label names
 *        (a rebinding attacker needs a name in public DNS, which has a dot;
 *        a single label resolves only through this machine's own hosts file
 *        or search domain). Behind a reverse proxy that passes its own
 *        public name on, name it with -A. A request without Host (HTTP/1.0), or with an
 *        empty one (RFC 9112 §3.2: a target with no authority), passes.
 *   403  a WebSocket upgrade whose Origin is not allowed. Browsers do not
 *        apply the same-origin policy to WebSocket, so without this any page
 *        could open ws://127.0.0.1:8004/ws in the visitor's browser and chat
 *        as them (cross-site WebSocket hijacking). Allowed by default: the
 *        server's own origin (Origin's host:port equal to Host), and loopback
 *        origins (the demo page on one port talks to all four); with -O,
 *        the listed origins instead of loopback ones. No Origin (a client
 *        that is not a browser) passes; "null" does not.
 *   401  POST /publish (and, after the upgrade, a WebSocket message)
 *        without the token, when -k is set: endpoint_publish answers it;
 *        here c->authorized is decided for it.
 */
#include "conn_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ==== Names ==== */

/* 1 when name[0..n) (a host without its port, IPv6 without brackets) is
 * an IP literal. */
static int is_ip_literal(const char *name, size_t n)
{
    char text[64];
    unsigned char addr[16];
    if (n == 0 || n >= sizeof text) return 0;
    memcpy(text, name, n);
    text[n] = '\0';
    return inet_pton(AF_INET, text, addr) == 1 || inet_pton(AF_INET6, text, addr) == 1;
}

/* 1 for a loopback address literal: 127.0.0.0/8 or ::1. */
static int is_loopback_literal(const char *name, size_t n)
{
    char text[64];
    unsigned char addr[16];
    if (n == 0 || n >= sizeof text) return 0;
    memcpy(text, name, n);
    text[n] = '\0';
    if (inet_pton(AF_INET, text, addr) == 1) return addr[0] == 127;
    static const unsigned char one[16] = {[15] = 1};
    return inet_pton(AF_INET6, text, addr) == 1 && memcmp(addr, one, 16) == 0;
}

/* 1 for "localhost" or a name under it (RFC 6761 §6.3). */
static int is_localhost(const char *name, size_t n)
{
    static const char lh[] = "localhost";
    size_t k = sizeof lh - 1;
    if (n == k) return strncasecmp(name, lh, k) == 0;
    return n > k && name[n - k - 1] == '.' && strncasecmp(name + n - k, lh, k) == 0;
}

/* Split an authority "host[:port]" or "[v6]:port" into its host (brackets
 * removed). */
static void authority_host(const char *a, size_t n, const char **host, size_t *host_len)
{
    if (n > 0 && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        *host = a + 1;
        *host_len = close ? (size_t)(close - a - 1) : n - 1;
        return;
    }
    const char *colon = memchr(a, ':', n);
    *host = a;
    *host_len = colon ? (size_t)(colon - a) : n;
}

/* 1 when the server listens on a loopback address only. */
static int bound_to_loopback(const struct server *s)
{
    const char *a = s->cfg.addr;
    return is_loopback_literal(a, strlen(a)) || is_localhost(a, strlen(a));
}

/* ==== The checks ==== */

/* The authority the request names: absolute-form's (RFC 9112 §3.2.2: it
 * wins over Host), else the Host header. 0 when there is none. */
static int request_authority(const struct http_request *req, const char **a, size_t *n)
{
    if (req->target_len > 7 && strncasecmp(req->target, "http://", 7) == 0) {
        *a = req->target + 7;
        const char *end = memchr(*a, '/', req->target_len - 7);
        *n = end ? (size_t)(end - *a) : req->target_len - 7;
        return 1;
    }
    const struct http_header *h = http_header_get(req, "Host");
    if (!h) return 0;
    *a = h->value;
    *n = h->value_len;
    return 1;
}

/* 1 when s[0..n) is one of the comma-separated list (case-insensitive). */
static int listed(const char *list, const char *s, size_t n)
{
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncasecmp(p, s, n) == 0) return 1;
        if (!comma) break;
        p = comma + 1;
    }
    return 0;
}

/* Host on a loopback-bound server: see the top of the file. -A names the
 * public names a reverse proxy in front passes on. */
static int host_allowed(const struct server *s, const struct http_request *req)
{
    const char *a, *host;
    size_t n, host_len;
    if (!bound_to_loopback(s) || !request_authority(req, &a, &n)) return 1;
    authority_host(a, n, &host, &host_len);
    return host_len == 0 || is_localhost(host, host_len) || is_ip_literal(host, host_len) ||
           !memchr(host, '.', host_len) || listed(s->cfg.hosts, host, host_len);
}

/* 1 when origin[0..n) is one of the comma-separated list. */
static int origin_listed(const char *list, const char *origin, size_t n)
{
    return listed(list, origin, n);
}

/* A WebSocket upgrade's Origin (RFC 6455 §10.2): see the top of the file. */
static int origin_allowed(const struct server *s, const struct http_request *req)
{
    const struct http_header *o = http_header_get(req, "Origin");
    if (!o) return 1;                                   /* not a browser */
    const char *v = o->value;
    size_t n = o->value_len;
    if (s->cfg.origins && origin_listed(s->cfg.origins, v, n)) return 1;
    const char *scheme_end = n > 3 ? strstr(v, "://") : NULL;
    if (!scheme_end || scheme_end >= v + n) return 0;  /* "null", or not an origin */
    const char *auth = scheme_end + 3;
    size_t auth_len = n - (size_t)(auth - v);
    const char *a;
    size_t an;
    if (request_authority(req, &a, &an) && an == auth_len && strncasecmp(a, auth, an) == 0)
        return 1;                                       /* the page this server served */
    if (s->cfg.origins) return 0;
    const char *host;
    size_t host_len;
    authority_host(auth, auth_len, &host, &host_len);
    return is_localhost(host, host_len) || is_loopback_literal(host, host_len);
}

/* 1 when the request carries the token: Authorization: Bearer TOKEN
 * (RFC 6750 §2.1), or ?token=TOKEN for a browser's WebSocket, which cannot
 * set headers. Compared in constant time. */
static int token_given(const struct server *s, const struct http_request *req)
{
    const char *want = s->cfg.token, *got = NULL;
    size_t want_len = strlen(want), got_len = 0;
    const struct http_header *h = http_header_get(req, "Authorization");
    if (h && h->value_len > 7 && strncasecmp(h->value, "Bearer ", 7) == 0) {
        got = h->value + 7;
        got_len = h->value_len - 7;
    } else if (!http_query_get(req->query, req->query_len, "token", &got, &got_len)) {
        return 0;
    }
    unsigned char diff = got_len != want_len;
    for (size_t i = 0; i < got_len && i < want_len; i++) diff |= (unsigned char)(got[i] ^ want[i]);
    return diff == 0;
}

/* guard_request's verdict on a publish, without answering: the Host and
 * the token, and no Upgrade (conn_internal.h). */
int guard_would_publish(const struct server *s, const struct http_request *req)
{
    return host_allowed(s, req) && !http_header_has_token(req, "Upgrade", "websocket") &&
           (!s->cfg.token || token_given(s, req));
}

int guard_request(struct conn *c, const struct http_request *req)
{
    struct server *s = c->srv;
    c->authorized = !s->cfg.token || token_given(s, req);
    if (!host_allowed(s, req)) {
        server_log(s, "fd %d: Host is not a loopback name (DNS rebinding?): 421", c->fd);
        conn_error(c, 421, "this server answers loopback names only (Host)", 0);
        return 1;
    }
    if (http_header_has_token(req, "Upgrade", "websocket") && !origin_allowed(s, req)) {
        server_log(s, "fd %d: WebSocket upgrade from a foreign Origin: 403", c->fd);
        conn_error(c, 403, "this Origin may not open a WebSocket here (-O)", 0);
        return 1;
    }
    return 0;
}
