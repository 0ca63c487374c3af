/*
 * bench/peers/lws_peer.c — a libwebsockets server that speaks rtlab's
 * contract for the endpoints the bench uses, so bin/loadgen can measure it
 * beside our own servers in the same run.
 *
 * This is a PEER for measurement, not rtlab's code path: the point is to
 * see what a widely deployed C library costs for the same fan-out, written
 * the way its own minimal examples write it (one lws_write per WRITEABLE
 * callback, lws_callback_on_writable to ask for the next one).
 *
 *   lws_peer [-p PORT] [-a ADDR]
 *
 *   POST /publish          body → the next event; 200 {"id":N}
 *   GET  /events?since=N   SSE: "id: N" and "data: ..." per event
 *   GET  /ws?since=N       WebSocket: one text frame {"id":N,"data":".."} per event
 *
 * One thing is not lws: POST /publish. loadgen's publisher pipelines its
 * POSTs (open loop), and lws 4.1.6 stalls on pipelined POST bodies: with
 * more than one buffered behind a body it calls HTTP_BODY_COMPLETION for
 * the same request again and again and never reads the rest (measured with
 * bench/peers/README.md's reproducer). So this file owns the listening
 * socket: it accepts, peeks at the first bytes, and hands a GET (an SSE or
 * WebSocket subscriber) to lws as an HTTP connection, while a POST
 * connection stays with a small publisher parser below, inside the same
 * lws event loop. Everything a subscriber sees is lws.
 *
 * Differences from rtlab's servers, on purpose: no static files, no /stats,
 * no gap notices (the ring is big enough for a bench run), no chat (client
 * frames are ignored). Each event is encoded once, in both framings, when it
 * is published; every subscriber then writes the same bytes.
 *
 * The first line on stdout is "listening on http://ADDR:PORT/", like ours.
 */
#include <libwebsockets.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ==== Constants ==== */

enum {
    RING_SIZE = 8192,              /* events kept; a subscriber further behind is dropped */
    MAX_BODY = 64 * 1024,          /* POST /publish body limit, like ours */
    MAX_PUB_IN = MAX_BODY + 8192,  /* a publisher's unparsed input */
};

enum kind { K_HTTP, K_SSE, K_WS };

/* ==== The feed ==== */

/* One published event, encoded once for each framing. Each buffer keeps
 * LWS_PRE bytes in front, which lws_write needs for its own headers. */
struct event {
    uint64_t id;
    unsigned char *ws;             /* LWS_PRE + {"id":N,"data":".."} */
    size_t ws_len;
    unsigned char *sse;            /* LWS_PRE + "id: N\ndata: ...\n\n" */
    size_t sse_len;
};

static struct event ring[RING_SIZE];
static uint64_t newest;            /* id of the last event published; 0 = none */

/* The event with this id, or NULL when it has left the ring or is not yet. */
static struct event *feed_get(uint64_t id)
{
    if (id == 0 || id > newest || newest - id >= RING_SIZE)
        return NULL;
    return &ring[id % RING_SIZE];
}

/* JSON-escape src into dst (room for 6 × len); returns the length. */
static size_t json_escape(char *dst, const char *src, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)sprintf(dst + o, "\\u%04x", c);
        } else {
            dst[o++] = (char)c;
        }
    }
    return o;
}

/* SSE data: one "data: " line per line of the payload (CR, LF or CRLF). */
static size_t sse_data_lines(char *dst, const char *src, size_t len)
{
    size_t o = 0, i = 0;
    for (;;) {
        size_t start = i;
        while (i < len && src[i] != '\n' && src[i] != '\r')
            i++;
        memcpy(dst + o, "data: ", 6);
        o += 6;
        memcpy(dst + o, src + start, i - start);
        o += i - start;
        dst[o++] = '\n';
        if (i >= len)
            return o;
        if (src[i] == '\r' && i + 1 < len && src[i + 1] == '\n')
            i++;
        i++;
    }
}

/* Append an event to the feed, encoding it once in both framings.
 * Returns its id, or 0 when out of memory. */
static uint64_t feed_publish(const char *data, size_t len)
{
    uint64_t id = newest + 1;
    struct event *e = &ring[id % RING_SIZE];
    free(e->ws);
    free(e->sse);
    e->ws = malloc(LWS_PRE + 48 + 6 * len);
    e->sse = malloc(LWS_PRE + 32 + 8 * len + 16);
    if (!e->ws || !e->sse)
        return 0;
    char *w = (char *)e->ws + LWS_PRE;
    size_t n = (size_t)sprintf(w, "{\"id\":%" PRIu64 ",\"data\":\"", id);
    n += json_escape(w + n, data, len);
    memcpy(w + n, "\"}", 2);
    e->ws_len = n + 2;
    char *s = (char *)e->sse + LWS_PRE;
    n = (size_t)sprintf(s, "id: %" PRIu64 "\n", id);
    n += sse_data_lines(s + n, data, len);
    s[n++] = '\n';
    e->sse_len = n;
    e->id = id;
    newest = id;
    return id;
}

/* ==== Connections ==== */

/* Per-connection data; lws allocates it (per_session_data_size) and zeroes it. */
struct session {
    struct lws *wsi;
    struct session *prev, *next;   /* the subscriber list (SSE and WebSocket) */
    uint64_t next_id;              /* the next event this subscriber needs */
    enum kind kind;
};

static struct session *subscribers;
static struct lws_context *context;

static void subscriber_add(struct session *s, struct lws *wsi, enum kind kind)
{
    s->wsi = wsi;
    s->kind = kind;
    s->next = subscribers;
    s->prev = NULL;
    if (subscribers)
        subscribers->prev = s;
    subscribers = s;
}

static void subscriber_remove(struct session *s)
{
    if (s->kind == K_HTTP)
        return;
    if (s->prev)
        s->prev->next = s->next;
    else if (subscribers == s)
        subscribers = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    s->kind = K_HTTP;
}

/* The `since` query argument, or the newest id when absent. */
static uint64_t since_arg(struct lws *wsi)
{
    char buf[64];
    const char *v = lws_get_urlarg_by_name(wsi, "since=", buf, sizeof buf);
    return v ? strtoull(v, NULL, 10) : newest;
}

/* Write the next event this subscriber needs (lws allows one write per
 * WRITEABLE callback), and ask for another callback if more wait.
 * Returns -1 to close the connection. */
static int subscriber_write_one(struct session *s)
{
    if (s->next_id > newest)
        return 0;
    struct event *e = feed_get(s->next_id);
    if (!e)
        return -1;                 /* fell out of the ring: too slow */
    int n = s->kind == K_WS
        ? lws_write(s->wsi, e->ws + LWS_PRE, e->ws_len, LWS_WRITE_TEXT)
        : lws_write(s->wsi, e->sse + LWS_PRE, e->sse_len, LWS_WRITE_HTTP);
    if (n < 0)
        return -1;
    s->next_id++;
    if (s->next_id <= newest)
        lws_callback_on_writable(s->wsi);
    return 0;
}

/* Wake every subscriber after a publish. */
static void wake_subscribers(void)
{
    for (struct session *sub = subscribers; sub; sub = sub->next)
        lws_callback_on_writable(sub->wsi);
}

/* GET /events: the stream's head at once (that confirms the subscription),
 * then events from WRITEABLE callbacks. */
static int sse_start(struct lws *wsi, struct session *s)
{
    unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/event-stream",
                                    LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end)
        || lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                        (const unsigned char *)"no-cache", 8, &p, end)
        || lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    s->next_id = since_arg(wsi) + 1;
    subscriber_add(s, wsi, K_SSE);
    /* No idle timeout on this stream (lws_http_mark_sse only does that for
     * HTTP/2 streams; on HTTP/1.1 it logs an error and does nothing). */
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    if (s->next_id <= newest)
        lws_callback_on_writable(wsi);
    return 0;
}

/* ==== The one protocol: HTTP and WebSocket both land here ==== */

static int on_event(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct session *s = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        const char *path = in;
        if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0 && strcmp(path, "/events") == 0)
            return sse_start(wsi, s);
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return s->kind == K_SSE ? subscriber_write_one(s) : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
        subscriber_remove(s);
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        s->next_id = since_arg(wsi) + 1;
        subscriber_add(s, wsi, K_WS);
        if (s->next_id <= newest)
            lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return subscriber_write_one(s);
    case LWS_CALLBACK_CLOSED:
        subscriber_remove(s);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}


/* ==== Accepting, and the publisher (not lws: see the top of the file) ==== */

/* A raw connection's state: the listening socket, a connection not yet
 * sniffed, or a publisher. lws allocates it for the "rtlab-raw" protocol. */
struct raw {
    enum { R_LISTENER = 1, R_SNIFF, R_PUBLISHER } kind;
    char *in;                      /* publisher input not yet parsed; NULL when none */
    size_t in_len;
};

static struct lws_vhost *vhost;
static int listen_fd = -1;

/* One complete request in p[0..n) on the publisher's connection: its
 * length, 0 when incomplete, -1 when malformed. *is_publish says whether it
 * is POST /publish; *body and *body_len point into p. (loadgen also sends
 * GET /stats there, to keep the connection open and read our counters.) */
static long request_parse(const char *p, size_t n, int *is_publish, const char **body, size_t *body_len)
{
    const char *end = memmem(p, n, "\r\n\r\n", 4);
    if (!end)
        return n > 8192 ? -1 : 0;
    size_t head = (size_t)(end - p) + 4;
    long long cl = 0;
    for (const char *line = memchr(p, '\n', head); line && line < end; line = memchr(line, '\n', (size_t)(end - line))) {
        line++;
        if (strncasecmp(line, "content-length:", 15) == 0)
            cl = strtoll(line + 15, NULL, 10);
    }
    if (cl < 0 || cl > MAX_BODY)
        return -1;
    if (n - head < (size_t)cl)
        return 0;
    *is_publish = strncmp(p, "POST /publish ", 14) == 0;
    *body = p + head;
    *body_len = (size_t)cl;
    return (long)(head + (size_t)cl);
}

/* Read from a publisher, publish every complete POST /publish and answer
 * each with 200 {"id":N}; answer anything else 404. Returns -1 to close. */
static int publisher_read(int fd, struct raw *r)
{
    char buf[65536];
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (got <= 0 || r->in_len + (size_t)got > MAX_PUB_IN)
        return -1;
    char *more = realloc(r->in, r->in_len + (size_t)got);
    if (!more)
        return -1;
    memcpy(more + r->in_len, buf, (size_t)got);
    r->in = more;
    r->in_len += (size_t)got;
    size_t used = 0;
    char out[8192];
    size_t out_len = 0;
    for (;;) {
        const char *body;
        size_t body_len;
        int is_publish;
        long n = request_parse(r->in + used, r->in_len - used, &is_publish, &body, &body_len);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        used += (size_t)n;
        if (out_len + 160 > sizeof out)
            return -1;             /* more than ~50 requests in one read: not a bench publisher */
        if (!is_publish) {
            out_len += (size_t)snprintf(out + out_len, sizeof out - out_len,
                                        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                                        "Content-Length: 2\r\n\r\n{}");
            continue;
        }
        uint64_t id = feed_publish(body, body_len);
        if (id == 0)
            return -1;
        char json[40];
        int jl = snprintf(json, sizeof json, "{\"id\":%" PRIu64 "}", id);
        out_len += (size_t)snprintf(out + out_len, sizeof out - out_len,
                                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                    "Content-Length: %d\r\n\r\n%s", jl, json);
    }
    memmove(r->in, r->in + used, r->in_len - used);
    r->in_len -= used;
    if (out_len) {
        wake_subscribers();
        /* A few hundred bytes into an empty socket buffer: a short write
         * would mean a publisher that does not read its answers. */
        if (write(fd, out, out_len) != (ssize_t)out_len)
            return -1;
    }
    return 0;
}

/* A new connection's first bytes decide who serves it: "POST" stays here,
 * anything else goes to lws as HTTP (MSG_PEEK left the bytes in the socket).
 * Returns -1 to close this raw wsi (the socket lives on in lws's dup). */
static int sniff(int fd, struct raw *r)
{
    char first[4];
    ssize_t got = recv(fd, first, sizeof first, MSG_PEEK);
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (got <= 0)
        return -1;
    if (got < 4)
        return 0;                  /* wait for the method */
    if (memcmp(first, "POST", 4) == 0) {   /* loadgen's publisher opens with a POST */
        r->kind = R_PUBLISHER;
        return publisher_read(fd, r);
    }
    lws_sock_file_fd_type sock = { .sockfd = dup(fd) };
    if (sock.sockfd < 0 || !lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP, sock, NULL, NULL))
        return -1;
    return -1;                     /* this wsi (and fd) goes; lws owns the dup */
}

/* accept() every waiting connection and watch each, raw, until sniffed. */
static void accept_all(void)
{
    for (int i = 0; i < 256; i++) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;                /* EAGAIN, or EMFILE: the next POLLIN retries */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        lws_sock_file_fd_type f = { .filefd = fd };
        struct lws *w = lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, f, "rtlab-raw", NULL);
        if (!w)
            continue;              /* lws closed fd */
        struct raw *r = lws_wsi_user(w);
        if (r)
            r->kind = R_SNIFF;
    }
}

static int on_raw(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)in;
    (void)len;
    struct raw *r = user;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE: {
        int fd = lws_get_socket_fd(wsi);
        if (r->kind == R_LISTENER) {
            accept_all();
            return 0;
        }
        return r->kind == R_SNIFF ? sniff(fd, r) : publisher_read(fd, r);
    }
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        free(r->in);
        r->in = NULL;
        return 0;
    default:
        return 0;
    }
}

/* Listen on addr:port (0: any free port); returns the fd, or -1. */
static int listen_on(const char *addr, int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static const struct lws_protocols protocols[] = {
    { "rtlab", on_event, sizeof(struct session), 0, 0, NULL, 0 },
    { "rtlab-raw", on_raw, sizeof(struct raw), 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ==== main ==== */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
    if (context)
        lws_cancel_service(context);
}

int main(int argc, char **argv)
{
    int port = 0, o;
    const char *addr = "127.0.0.1";
    while ((o = getopt(argc, argv, "p:a:qt:")) != -1) {
        switch (o) {
        case 'p': port = atoi(optarg); break;
        case 'a': addr = optarg; break;
        case 'q': case 't': break;     /* accepted for symmetry with our servers */
        default:
            fprintf(stderr, "usage: lws_peer [-p PORT] [-a ADDR]\n");
            return 1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    lws_set_log_level(LLL_ERR, NULL);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
    context = lws_create_context(&info);
    if (!context) {
        fprintf(stderr, "lws_peer: lws_create_context failed\n");
        return 1;
    }
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    info.protocols = protocols;
    info.vhost_name = "rtlab";
    vhost = lws_create_vhost(context, &info);
    listen_fd = listen_on(addr, port);
    if (!vhost || listen_fd < 0) {
        fprintf(stderr, "lws_peer: cannot listen on %s:%d\n", addr, port);
        lws_context_destroy(context);
        return 1;
    }
    lws_sock_file_fd_type lf = { .filefd = listen_fd };
    struct lws *lw = lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, lf, "rtlab-raw", NULL);
    if (!lw) {
        fprintf(stderr, "lws_peer: cannot watch the listening socket\n");
        lws_context_destroy(context);
        return 1;
    }
    ((struct raw *)lws_wsi_user(lw))->kind = R_LISTENER;
    struct sockaddr_in bound;
    socklen_t bl = sizeof bound;
    getsockname(listen_fd, (struct sockaddr *)&bound, &bl);
    printf("listening on http://%s:%d/\n", addr, ntohs(bound.sin_port));
    fflush(stdout);
    while (!interrupted && lws_service(context, 0) >= 0)
        ;
    lws_context_destroy(context);
    for (size_t i = 0; i < RING_SIZE; i++) {
        free(ring[i].ws);
        free(ring[i].sse);
    }
    return 0;
}
