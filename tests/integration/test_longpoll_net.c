/*
 * tests/integration/test_longpoll_net.c — bin/longpoll over real sockets.
 *
 * What a long-poll client relies on: a request with nothing to answer is
 * held, and is answered within milliseconds of the publish that satisfies
 * it; a held request that sees nothing is answered empty at its timeout; a
 * client that vanishes while parked is forgotten at once; requests
 * pipelined behind a parked one are answered in order.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../support/netclient.h"

static struct test_server srv;
static struct http_reply reply;

static void start(void)
{
    static const char *const args[] = {"-t", "0", NULL};
    ck_assert_msg(server_start(&srv, "longpoll", args) == 0, "bin/longpoll did not start");
}

static long long ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000LL + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* Open a connection and send one request without reading the answer. */
static int send_request(const char *req)
{
    int fd = tcp_connect(srv.port);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(send_all(fd, req, strlen(req)), 0);
    return fd;
}

/* Wait (bounded) until /stats shows `want` parked subscribers. */
static void wait_subscribers(long want)
{
    for (int i = 0; i < 200 && stats_field(srv.port, "subscribers") != want; i++) usleep(5000);
    ck_assert_int_eq(stats_field(srv.port, "subscribers"), want);
}

/* With news already there, a long poll answers at once, like a short one. */
START_TEST(news_answers_at_once)
{
    start();
    publish_event(srv.port, "ready");
    ck_assert_int_eq(http_once(srv.port, "GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n", &reply), 200);
    ck_assert_str_eq(reply.body, "{\"next\":1,\"events\":[{\"id\":1,\"data\":\"ready\"}]}\n");
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* A parked poll is woken by a publish from another connection, and
 * answered within a few milliseconds of it. */
START_TEST(parked_poll_woken_by_publish)
{
    start();
    int fd = send_request("GET /poll?since=0&timeout=30 HTTP/1.1\r\nHost: t\r\n\r\n");
    wait_subscribers(1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(publish_event(srv.port, "wake up"), 1);
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    long long ms = ms_since(&t0);
    ck_assert_str_eq(reply.body, "{\"next\":1,\"events\":[{\"id\":1,\"data\":\"wake up\"}]}\n");
    ck_assert_msg(ms < 100, "answered %lld ms after the publish", ms);
    printf("long poll answered %lld ms after the publish\n", ms);
    wait_subscribers(0);
    close(fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* One publish wakes every parked poller, each with the event. */
START_TEST(one_publish_wakes_all)
{
    enum { N = 50 };
    int fds[N];
    start();
    for (int i = 0; i < N; i++) fds[i] = send_request("GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n");
    wait_subscribers(N);
    publish_event(srv.port, "all");
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(read_reply(fds[i], &reply, 3000), 200);
        ck_assert_str_eq(reply.body, "{\"next\":1,\"events\":[{\"id\":1,\"data\":\"all\"}]}\n");
        close(fds[i]);
    }
    ck_assert_int_eq(stats_field(srv.port, "deliveries"), N);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* The same bytes as a fast reader's, or a message saying where they part. */
static void same_answer(const char *got, size_t len, const char *want, size_t want_len, int i)
{
    size_t at = 0;
    while (at < len && at < want_len && got[at] == want[at]) at++;
    ck_assert_msg(len == want_len && at == len,
                  "answer %d to the slow reader differs from byte %zu on (%zu bytes, want %zu)",
                  i, at, len, want_len);
}

/* A slow reader parked beside a fast one: both are woken by one publish;
 * then 23 more polls pipelined behind (each with news, so answered at once,
 * ~6 MB in all) fill the server's socket to the slow reader, which reads
 * nothing until the writes stall, then everything. Every answer arrives
 * whole and in order, the fast poller never waits for the slow one. */
START_TEST(slow_reader_parked_and_pipelined)
{
    static const char *const args[] = {"-t", "0", "-b", "64", NULL};
    ck_assert_msg(server_start(&srv, "longpoll", args) == 0, "bin/longpoll did not start");
    enum { EVENTS = 16, SIZE = 32000, ANSWERS = 24 };
    char *data = malloc(SIZE + 1);
    ck_assert_ptr_nonnull(data);
    for (int e = 0; e < EVENTS - 1; e++) {
        memset(data, 'a' + e, SIZE);
        data[SIZE] = '\0';
        ck_assert_int_eq(publish_event(srv.port, data), e + 1);
    }
    static const char park_req[] = "GET /poll?since=15&timeout=20 HTTP/1.1\r\nHost: t\r\n\r\n";
    static const char all_req[] = "GET /poll?since=0&timeout=20 HTTP/1.1\r\nHost: t\r\n\r\n";
    int slow = net_connect_slow_reader(srv.port, 4096);
    ck_assert_int_ge(slow, 0);
    ck_assert_int_eq(send_all(slow, park_req, strlen(park_req)), 0);
    for (int i = 1; i < ANSWERS; i++) ck_assert_int_eq(send_all(slow, all_req, strlen(all_req)), 0);
    int fast = send_request(park_req);
    wait_subscribers(2);
    long base = stats_field(srv.port, "bytes_out");
    memset(data, 'p', SIZE);
    ck_assert_int_eq(publish_event(srv.port, data), EVENTS);
    free(data);
    char *first, *all;
    size_t first_len, all_len;
    ck_assert_int_eq(read_big_reply(fast, &first, &first_len, 3000), 200);   /* woken at once */
    close(fast);
    int again = send_request(all_req);
    ck_assert_int_eq(read_big_reply(again, &all, &all_len, 3000), 200);
    close(again);
    long sent = wait_writes_stall(srv.port, base, (long)((ANSWERS - 1) * all_len + first_len), 5000);
    ck_assert_msg(sent > 0, "the server's socket to the slow reader never filled: no partial write to test");
    for (int i = 0; i < ANSWERS; i++) {
        char *got;
        size_t len;
        ck_assert_msg(read_big_reply(slow, &got, &len, 5000) == 200,
                      "answer %d of %d to the slow reader did not arrive whole", i + 1, ANSWERS);
        if (i == 0) same_answer(got, len, first, first_len, i + 1);
        else same_answer(got, len, all, all_len, i + 1);
        free(got);
    }
    free(first);
    free(all);
    close(slow);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* Pollers leaving the parked list from its far end and its middle: the
 * rest are still on it, and one publish wakes every one of them. */
START_TEST(pollers_leave_in_any_order)
{
    enum { N = 5 };
    int fds[N];
    start();
    for (int i = 0; i < N; i++) {
        fds[i] = send_request("GET /poll?since=0&timeout=20 HTTP/1.1\r\nHost: t\r\n\r\n");
        wait_subscribers(i + 1);                   /* parked in this order */
    }
    close(fds[0]);                                 /* the first parked */
    wait_subscribers(N - 1);
    close(fds[2]);                                 /* one in the middle */
    wait_subscribers(N - 2);
    close(fds[N - 1]);                             /* the last parked */
    wait_subscribers(N - 3);
    publish_event(srv.port, "left");
    for (int i = 1; i < N - 1; i++) {
        if (i == 2) continue;
        ck_assert_msg(read_reply(fds[i], &reply, 3000) == 200, "poller %d was not woken", i);
        ck_assert_str_eq(reply.body, "{\"next\":1,\"events\":[{\"id\":1,\"data\":\"left\"}]}\n");
        close(fds[i]);
    }
    wait_subscribers(0);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* Nothing published: the poll is answered empty at its timeout, not before. */
START_TEST(timeout_answers_empty)
{
    start();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int fd = send_request("GET /poll?since=0&timeout=1 HTTP/1.1\r\nHost: t\r\n\r\n");
    ck_assert_int_eq(read_reply(fd, &reply, 5000), 200);
    long long ms = ms_since(&t0);
    ck_assert_str_eq(reply.body, "{\"next\":0,\"events\":[]}\n");
    ck_assert_msg(ms >= 900 && ms < 2000, "answered after %lld ms, want about 1000", ms);
    /* The connection is kept alive and usable. */
    const char *again = "GET /poll?since=0&timeout=0 HTTP/1.1\r\nHost: t\r\n\r\n";
    send_all(fd, again, strlen(again));
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    close(fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* A client that disconnects while parked is freed at once: /stats shows
 * no subscriber and no open connection left. */
START_TEST(disconnect_while_parked_is_freed)
{
    start();
    int fd = send_request("GET /poll?since=0&timeout=60 HTTP/1.1\r\nHost: t\r\n\r\n");
    wait_subscribers(1);
    close(fd);
    wait_subscribers(0);
    /* the /stats request itself is the one open connection */
    ck_assert_int_eq(stats_field(srv.port, "connections_open"), 1);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* Two polls pipelined on one connection are answered in order: the first
 * at once (it has news), the second once it is satisfied. */
START_TEST(pipelined_polls_in_order)
{
    start();
    publish_event(srv.port, "one");
    int fd = send_request("GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n"
                          "GET /poll?since=1 HTTP/1.1\r\nHost: t\r\n\r\n");
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    ck_assert_str_eq(reply.body, "{\"next\":1,\"events\":[{\"id\":1,\"data\":\"one\"}]}\n");
    wait_subscribers(1);
    publish_event(srv.port, "two");
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    ck_assert_str_eq(reply.body, "{\"next\":2,\"events\":[{\"id\":2,\"data\":\"two\"}]}\n");
    close(fd);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* Bad parameters are 400, never a parked request. */
START_TEST(bad_parameters_are_400)
{
    start();
    ck_assert_int_eq(http_once(srv.port, "GET /poll?since=0&timeout=soon HTTP/1.1\r\nHost: t\r\n\r\n", &reply), 400);
    ck_assert_int_eq(http_once(srv.port, "GET /poll?since=x HTTP/1.1\r\nHost: t\r\n\r\n", &reply), 400);
    ck_assert_int_eq(http_once(srv.port, "GET /poll?since=5 HTTP/1.1\r\nHost: t\r\n\r\n", &reply), 400);
    ck_assert_ptr_nonnull(strstr(reply.body, "\"newest\":0"));
    ck_assert_int_eq(stats_field(srv.port, "subscribers"), 0);
    ck_assert_int_eq(server_stop(&srv), 0);
}
END_TEST

/* SIGTERM answers parked polls (empty, Connection: close) and exits 0. */
START_TEST(shutdown_answers_parked)
{
    start();
    int fd = send_request("GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n");
    wait_subscribers(1);
    ck_assert_int_eq(server_stop(&srv), 0);
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    ck_assert_str_eq(reply.body, "{\"next\":0,\"events\":[]}\n");
    char v[16];
    ck_assert_str_eq(reply_header(&reply, "Connection", v, sizeof v), "close");
    close(fd);
}
END_TEST

static Suite *longpoll_suite(void)
{
    Suite *s = suite_create("longpoll over sockets");
    TCase *t = tcase_create("parking");
    tcase_set_timeout(t, 20);
    tcase_add_test(t, news_answers_at_once);
    tcase_add_test(t, parked_poll_woken_by_publish);
    tcase_add_test(t, one_publish_wakes_all);
    tcase_add_test(t, timeout_answers_empty);
    tcase_add_test(t, disconnect_while_parked_is_freed);
    tcase_add_test(t, pollers_leave_in_any_order);
    tcase_add_test(t, slow_reader_parked_and_pipelined);
    tcase_add_test(t, pipelined_polls_in_order);
    tcase_add_test(t, bad_parameters_are_400);
    tcase_add_test(t, shutdown_answers_parked);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(longpoll_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
