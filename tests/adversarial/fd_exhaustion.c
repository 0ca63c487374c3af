/*
 * tests/adversarial/fd_exhaustion.c — each server, its descriptor limit
 * cut to FD_LIMIT, is flooded with far more connections than it can take
 * (DESIGN.md: "accept failing with EMFILE/ENFILE does not
 * spin the loop").
 *
 * Out of descriptors, accept() fails with EMFILE and the listening socket
 * stays readable: a naive loop would wake at once, fail again, and burn a
 * whole core. Core pauses accepting for a moment instead
 * (core/server.c:/^static void on_accept/). What must hold, per server:
 *   - while the flood holds every descriptor, the server's CPU time (from
 *     /proc/PID/stat) grows by less than CPU_BOUND_MS over HOLD_MS: it
 *     sleeps, it does not spin;
 *   - once the flood lets go, a normal request is served again, within
 *     RECOVER_BOUND_MS;
 *   - /stats connections_open and the descriptor count in /proc/PID/fd
 *     return to where they were before.
 * The limit is lowered on the running server with prlimit(2), both soft
 * and hard, like `ulimit -n` before exec (the server raises its soft limit
 * to the hard one at start, so a soft limit alone would not hold).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "adv.h"

enum {
    FD_LIMIT = 64,
    FLOOD = 300,             /* connections, per server */
    HOLD_MS = 1500,          /* how long the flood holds the server out of descriptors */
    CPU_BOUND_MS = 150,      /* 10% of HOLD_MS: a spinning loop would use nearly all of it */
    RECOVER_BOUND_MS = 2000,
};

static const char *const names[] = {"polling", "longpoll", "sse", "websocket"};

/* Wait (bounded) until the server is back at `open` connections and `fds`
 * descriptors. Returns 1 when it is. */
static int wait_baseline(struct test_server *ts, long open, long fds, long *open_now, long *fds_now)
{
    long long deadline = adv_now_ms() + 5000;
    do {
        *open_now = stats_field(ts->port, "connections_open");
        *fds_now = adv_fd_count(ts->pid);
        if (*open_now == open && *fds_now == fds) return 1;
        usleep(20000);
    } while (adv_now_ms() < deadline);
    return 0;
}

static void flood_one(const char *name)
{
    static const char *const args[] = {"-t", "0", NULL};
    struct test_server ts;
    if (server_start(&ts, name, args) != 0) {
        adv_fail("%s did not start", name);
        return;
    }
    struct rlimit rl = {.rlim_cur = FD_LIMIT, .rlim_max = FD_LIMIT};
    if (prlimit(ts.pid, RLIMIT_NOFILE, &rl, NULL) != 0) {
        adv_fail("%s: prlimit failed", name);
        server_stop(&ts);
        return;
    }
    long open0 = stats_field(ts.port, "connections_open");   /* 1: the /stats request itself */
    long fds0 = adv_fd_count(ts.pid);

    int flood[FLOOD];
    int opened = 0;
    for (int i = 0; i < FLOOD; i++)
        if ((flood[i] = adv_connect(ts.port, 0)) >= 0) opened++;
    long held = adv_fd_count(ts.pid);                      /* let it take what it can */
    for (long long until = adv_now_ms() + 3000; held < FD_LIMIT - 2 && adv_now_ms() < until; usleep(20000))
        held = adv_fd_count(ts.pid);
    usleep(100 * 1000);                                     /* it has hit EMFILE by now */
    long cpu0 = adv_cpu_ms(ts.pid);
    usleep(HOLD_MS * 1000);
    long cpu = adv_cpu_ms(ts.pid) - cpu0;

    for (int i = 0; i < FLOOD; i++)
        if (flood[i] >= 0) close(flood[i]);
    long long t0 = adv_now_ms();
    static struct http_reply r;
    int status = -1;
    while (status != 200 && adv_now_ms() - t0 < RECOVER_BOUND_MS * adv_slowdown() + 3000)
        status = http_once(ts.port, "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    long long recovered = adv_now_ms() - t0;
    long open_now, fds_now;
    int back = wait_baseline(&ts, open0, fds0, &open_now, &fds_now);

    printf("%-9s limit %d fds, %d connections flooded, server held %ld fds; CPU %ld ms during %d ms "
           "out of descriptors; served again %lld ms after the flood left; back to %ld open, %ld fds\n",
           name, FD_LIMIT, opened, held, cpu, HOLD_MS, recovered, open_now, fds_now);
    ADV_CHECK(held >= FD_LIMIT - 2, "%s: only %ld fds in use: the flood did not exhaust them", name, held);
    ADV_CHECK(cpu < CPU_BOUND_MS, "%s: %ld ms of CPU in %d ms out of descriptors: the loop spins", name, cpu,
              HOLD_MS);
    ADV_CHECK(status == 200 && recovered < RECOVER_BOUND_MS * adv_slowdown(), "%s: not serving again (%d after %lld ms)", name,
              status, recovered);
    ADV_CHECK(back, "%s: %ld connections open and %ld fds, want %ld and %ld", name, open_now, fds_now, open0,
              fds0);
    int exit_status = server_stop(&ts);
    ADV_CHECK(exit_status == 0, "%s exited with %d", name, exit_status);
}

int main(void)
{
    adv_raise_fd_limit(4096);
    int missing = 0, tried = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!adv_have_server(names[i], &missing)) { missing = 1; continue; }
        flood_one(names[i]);
        tried++;
    }
    printf("result: %d servers flooded with %d connections under a limit of %d fds: %d failures "
           "(spinning, not recovering, or leaking)\n", tried, FLOOD, FD_LIMIT, adv_failures());
    return adv_exit(missing);
}
