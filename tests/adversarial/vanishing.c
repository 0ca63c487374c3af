/*
 * tests/adversarial/vanishing.c — thousands of clients abandon their long
 * polls, streams and WebSockets mid-flight.
 *
 * Per server, CLIENTS connections each send their subscription (longpoll:
 * a poll that parks; sse: GET /events; websocket: the handshake; polling,
 * which holds nothing: half a request head) and are counted in /stats.
 * Then they vanish in three ways at once: half reset (RST, as a crashed
 * host or a killed browser tab), a quarter closed (FIN), and a quarter
 * reset only after an event was queued to them (the server is writing to
 * them when they go). What must hold:
 *   - while held, each client costs the server under PER_CLIENT_BOUND bytes
 *     of RSS: nothing but its struct conn is kept for it;
 *   - /stats connections_open and subscribers return to the baseline (the
 *     /stats request itself: 1 and 0), within SETTLE_BOUND_MS;
 *   - the server's descriptor count (/proc/PID/fd) returns to the baseline:
 *     no socket leaks;
 *   - the server still serves; and with HELD_AT_SHUTDOWN new clients held
 *     and never reading, SIGTERM still ends it with status 0 within its
 *     grace period (2 s) and a little.
 * Prints, per server: clients held, descriptors at the peak and after, and
 * how long the server took to forget them all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adv.h"

enum {
    CLIENTS = 2000,          /* per server */
    SETTLE_BOUND_MS = 5000,
    HELD_AT_SHUTDOWN = 500,  /* clients held when SIGTERM comes */
    PER_CLIENT_BOUND = 4096, /* RSS bytes per held client: a 4 KiB buffer each would break it */
};

struct kind {
    const char *server;
    const char *request;     /* what each client sends; "%ld" is the newest event id */
    const char *counter;     /* the /stats field that counts them while held */
};

static const struct kind kinds[] = {
    {"polling", "GET /poll?since=0 HTTP/1.1\r\nHost: t\r\nX-Never-", "connections_open"},
    {"longpoll", "GET /poll?since=%ld&timeout=60 HTTP/1.1\r\nHost: t\r\n\r\n", "subscribers"},
    {"sse", "GET /events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n", "subscribers"},
    {"websocket", "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
     "subscribers"},
};

static int fds[CLIENTS];

/* Wait (bounded) until /stats field is want; returns the last value seen. */
static long wait_field(int port, const char *field, long want, int ms)
{
    long long deadline = adv_now_ms() + ms;
    long v;
    while ((v = stats_field(port, field)) != want && adv_now_ms() < deadline) usleep(10000);
    return v;
}

/* The server's descriptors at rest: the fewest seen over 100 ms, once the
 * connections of earlier requests (publish, /stats) are gone. */
static long idle_fd_count(const struct test_server *ts)
{
    wait_field(ts->port, "connections_open", 1, 2000);
    long fewest = adv_fd_count(ts->pid);
    for (int i = 0; i < 10; i++) {
        usleep(10000);
        long n = adv_fd_count(ts->pid);
        if (n < fewest) fewest = n;
    }
    return fewest;
}

static void vanish(const struct kind *k)
{
    static const char *const args[] = {"-t", "0", NULL};
    struct test_server ts;
    if (server_start(&ts, k->server, args) != 0) {
        adv_fail("%s did not start", k->server);
        return;
    }
    long newest = publish_event(ts.port, "before");
    long fds0 = idle_fd_count(&ts);
    long rss0 = adv_rss_kb(ts.pid);
    char request[512];
    int n = snprintf(request, sizeof request, k->request, newest);

    int opened = 0;
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = adv_connect(ts.port, 4096);
        if (fds[i] < 0 || send_all(fds[i], request, (size_t)n) < 0) {
            adv_fail("%s: client %d could not connect", k->server, i);
            break;
        }
        opened++;
    }
    /* Held: polling counts open connections (ours + the /stats one). */
    long want = strcmp(k->counter, "connections_open") == 0 ? opened + 1 : opened;
    long held = wait_field(ts.port, k->counter, want, 10000 * adv_slowdown());
    long fds_peak = adv_fd_count(ts.pid);
    long per_client = opened ? (adv_rss_kb(ts.pid) - rss0) * 1024 / opened : 0;
    ADV_CHECK(held == want, "%s: %ld of %ld clients held", k->server, held, want);

    /* Vanish: half reset, a quarter closed; then an event for the last
     * quarter to be written, and they reset too. */
    int half = opened / 2, three_quarters = opened * 3 / 4;
    long long t0 = adv_now_ms();
    for (int i = 0; i < half; i++) adv_close_reset(fds[i]);
    for (int i = half; i < three_quarters; i++) close(fds[i]);
    publish_event(ts.port, "for the vanishing ones: a little text so the write has something to do");
    for (int i = three_quarters; i < opened; i++) adv_close_reset(fds[i]);

    long open_now = wait_field(ts.port, "connections_open", 1, SETTLE_BOUND_MS * adv_slowdown());
    long subs_now = wait_field(ts.port, "subscribers", 0, 1000);
    long fds_now = adv_fd_count(ts.pid);
    for (long long deadline = adv_now_ms() + 1000; fds_now > fds0 && adv_now_ms() < deadline; usleep(10000))
        fds_now = adv_fd_count(ts.pid);
    long long settled = adv_now_ms() - t0;
    printf("%-9s held clients cost %ld bytes of RSS each (bound %d: no buffer is kept for an idle one)\n",
           k->server, per_client, PER_CLIENT_BOUND * adv_slowdown());
    ADV_CHECK(per_client < PER_CLIENT_BOUND * adv_slowdown(), "%s: %ld bytes per held client", k->server,
              per_client);
    printf("%-9s %d clients held (%s %ld), vanished (%d reset, %d closed, %d reset with an event in flight); "
           "back to %ld open, %ld subscribers in %lld ms; fds %ld -> %ld -> %ld\n",
           k->server, opened, k->counter, held, half, three_quarters - half, opened - three_quarters,
           open_now, subs_now, settled, fds0, fds_peak, fds_now);
    ADV_CHECK(open_now == 1, "%s: %ld connections still open, want 1", k->server, open_now);
    ADV_CHECK(subs_now == 0, "%s: %ld subscribers left, want 0", k->server, subs_now);
    ADV_CHECK(fds_now <= fds0, "%s: %ld descriptors, %ld before: leaked", k->server, fds_now, fds0);
    ADV_CHECK(publish_event(ts.port, "after") > 0, "%s: no longer serving", k->server);

    /* SIGTERM while HELD_AT_SHUTDOWN clients are held and never read: the
     * server says goodbye, waits at most its grace period (2 s) for
     * goodbyes to drain, and exits 0. */
    newest = stats_field(ts.port, "newest_id");
    n = snprintf(request, sizeof request, k->request, newest);
    int held_at_stop = 0;
    for (int i = 0; i < HELD_AT_SHUTDOWN; i++)
        if ((fds[i] = adv_connect(ts.port, 4096)) >= 0 && send_all(fds[i], request, (size_t)n) == 0) held_at_stop++;
    want = strcmp(k->counter, "connections_open") == 0 ? held_at_stop + 1 : held_at_stop;
    wait_field(ts.port, k->counter, want, 10000 * adv_slowdown());
    long long s0 = adv_now_ms();
    int status = server_stop(&ts);
    long long stop_ms = adv_now_ms() - s0;
    printf("%-9s SIGTERM with %d clients held: exit status %d after %lld ms\n", k->server, held_at_stop, status,
           stop_ms);
    ADV_CHECK(status == 0, "%s exited with %d", k->server, status);
    ADV_CHECK(stop_ms < 3500LL * adv_slowdown(), "%s took %lld ms to stop", k->server, stop_ms);
    for (int i = 0; i < HELD_AT_SHUTDOWN; i++)
        if (fds[i] >= 0) close(fds[i]);
}

int main(void)
{
    adv_raise_fd_limit(CLIENTS + 256);
    int missing = 0, tried = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (!adv_have_server(kinds[i].server, &missing)) { missing = 1; continue; }
        vanish(&kinds[i]);
        tried++;
    }
    printf("result: %d clients vanished mid-flight on each of %d servers; %d failures "
           "(connections, subscribers or descriptors not back to baseline)\n", CLIENTS, tried, adv_failures());
    return adv_exit(missing);
}
