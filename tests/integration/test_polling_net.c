/*
 * tests/integration/test_polling_net.c — bin/polling over real sockets.
 *
 * Each test starts its own server on port 0 (netclient.h), speaks raw bytes
 * to it over loopback, and checks the answer a client relies on: the
 * contract of DESIGN.md, and every clear-error rule of the foundation issue
 * (400, 404, 405, 413, 431, 501, smuggling attempts). Core's request loop is
 * shared by all four servers, so these tests stand for them all.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../support/netclient.h"

static struct test_server srv;
static struct http_reply reply;

static void start(const char *const args[])
{
    ck_assert_msg(server_start(&srv, "polling", args) == 0, "bin/polling did not start");
}

static void start_default(void)
{
    static const char *const args[] = {"-t", "0", NULL};
    start(args);
}

static void stop(void)
{
    ck_assert_int_eq(server_stop(&srv), 0);
}

/* Send raw bytes on a new connection and read one reply. */
static int ask(const char *request)
{
    return http_once(srv.port, request, &reply);
}

/* Publishing returns the new id; a poll from 0 returns the event with its id
 * and data, and `next` is the id to ask from next time. */
START_TEST(publish_then_poll)
{
    start_default();
    ck_assert_int_eq(publish_event(srv.port, "hello"), 1);
    ck_assert_int_eq(publish_event(srv.port, "line \"two\""), 2);
    ck_assert_int_eq(ask("GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_str_eq(reply.body, "{\"next\":2,\"events\":[{\"id\":1,\"data\":\"hello\"},"
                                 "{\"id\":2,\"data\":\"line \\\"two\\\"\"}]}\n");
    ck_assert_int_eq(ask("GET /poll?since=1 HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_str_eq(reply.body, "{\"next\":2,\"events\":[{\"id\":2,\"data\":\"line \\\"two\\\"\"}]}\n");
    stop();
}
END_TEST

/* Short polling answers at once, even with nothing new; `next` stays put
 * and the wasted answer is counted in /stats. */
START_TEST(empty_poll_answers_at_once)
{
    start_default();
    publish_event(srv.port, "x");
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ck_assert_int_eq(ask("GET /poll?since=1 HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    clock_gettime(CLOCK_MONOTONIC, &b);
    ck_assert_str_eq(reply.body, "{\"next\":1,\"events\":[]}\n");
    ck_assert_int_lt((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000, 500);
    ck_assert_int_eq(stats_field(srv.port, "empty_answers"), 1);
    stop();
}
END_TEST

/* A cursor whose events have left the ring gets what is kept and
 * "gap":true, never a silent hole. */
START_TEST(gap_is_signalled)
{
    static const char *const args[] = {"-t", "0", "-b", "2", NULL};
    start(args);
    for (int i = 0; i < 4; i++) publish_event(srv.port, "e");
    ck_assert_int_eq(ask("GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_str_eq(reply.body, "{\"next\":4,\"gap\":true,\"events\":[{\"id\":3,\"data\":\"e\"},"
                                 "{\"id\":4,\"data\":\"e\"}]}\n");
    stop();
}
END_TEST

/* A since that is not a number, or is ahead of the newest event (a client
 * from before a restart), is answered 400; the latter names `newest`. */
START_TEST(bad_and_future_since_are_400)
{
    start_default();
    publish_event(srv.port, "x");
    ck_assert_int_eq(ask("GET /poll?since=abc HTTP/1.1\r\nHost: t\r\n\r\n"), 400);
    ck_assert_int_eq(ask("GET /poll?since=-1 HTTP/1.1\r\nHost: t\r\n\r\n"), 400);
    ck_assert_int_eq(ask("GET /poll?since=7 HTTP/1.1\r\nHost: t\r\n\r\n"), 400);
    ck_assert_ptr_nonnull(strstr(reply.body, "\"newest\":1"));
    stop();
}
END_TEST

/* Two requests in one write (pipelining) are answered in order on the
 * same connection; a third after them still works (keep-alive). */
START_TEST(pipelined_polls_in_order)
{
    start_default();
    publish_event(srv.port, "a");
    publish_event(srv.port, "b");
    int fd = tcp_connect(srv.port);
    const char *two = "GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /poll?since=1 HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(send_all(fd, two, strlen(two)), 0);
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    ck_assert_ptr_nonnull(strstr(reply.body, "\"next\":2,\"events\":[{\"id\":1,"));
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    ck_assert_str_eq(reply.body, "{\"next\":2,\"events\":[{\"id\":2,\"data\":\"b\"}]}\n");
    const char *third = "GET /poll?since=2 HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(send_all(fd, third, strlen(third)), 0);
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    close(fd);
    stop();
}
END_TEST

/* A request cut into single bytes, sent with pauses, is still one request. */
START_TEST(request_in_pieces)
{
    start_default();
    int fd = tcp_connect(srv.port);
    const char *req = "GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n";
    for (size_t i = 0; req[i]; i++) {
        ck_assert_int_eq(send_all(fd, req + i, 1), 0);
        if (i % 8 == 0) usleep(2000);
    }
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    close(fd);
    stop();
}
END_TEST

/* The table of clear answers: each request, the status it must get, and
 * whether the server must close the connection after it (the framing can
 * no longer be trusted). */
struct bad_case {
    const char *name;
    const char *request;
    int status;
    int closes;
};

static const struct bad_case bad_cases[] = {
    {"garbage request line", "HELLO\r\n\r\n", 400, 1},
    {"bad header line", "GET / HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n", 400, 1},
    {"space before colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400, 1},
    {"missing Host in 1.1", "GET /poll HTTP/1.1\r\n\r\n", 400, 1},
    {"CL and TE (smuggling)", "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 1},
    {"TE alone", "POST /publish HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "1\r\na\r\n0\r\n\r\n", 501, 1},
    {"body over 64 KiB", "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 65537\r\n\r\n", 413, 1},
    {"unknown path", "GET /nothing-here HTTP/1.1\r\nHost: t\r\n\r\n", 404, 0},
    {"wrong method on /poll", "DELETE /poll HTTP/1.1\r\nHost: t\r\n\r\n", 405, 0},
    {"wrong method on /publish", "GET /publish HTTP/1.1\r\nHost: t\r\n\r\n", 405, 0},
    {"unknown method", "BREW /poll HTTP/1.1\r\nHost: t\r\n\r\n", 501, 0},
    {"path escaping the root", "GET /../Makefile HTTP/1.1\r\nHost: t\r\n\r\n", 404, 0},
    {"encoded escape", "GET /%2e%2e/Makefile HTTP/1.1\r\nHost: t\r\n\r\n", 404, 0},
    {"HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505, 1},
    {"publish not UTF-8", "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n\xc3\x28", 400, 0},
};

/* Every bad request gets its status, with a JSON error body; where the
 * framing is broken the connection is closed after the answer, elsewhere
 * it stays open for the next request. */
START_TEST(bad_requests_get_clear_answers)
{
    const struct bad_case *bc = &bad_cases[_i];
    start_default();
    int fd = tcp_connect(srv.port);
    ck_assert_int_eq(send_all(fd, bc->request, strlen(bc->request)), 0);
    int status = read_reply(fd, &reply, 3000);
    ck_assert_msg(status == bc->status, "%s: got %d, want %d", bc->name, status, bc->status);
    ck_assert_msg(strstr(reply.body, "\"error\""), "%s: no error body", bc->name);
    char value[64];
    ck_assert_msg(reply_header(&reply, "Access-Control-Allow-Origin", value, sizeof value),
                  "%s: no CORS header", bc->name);
    if (bc->closes) {
        ck_assert_msg(wait_closed(fd, 3000), "%s: connection left open", bc->name);
    } else {
        const char *next = "GET /poll HTTP/1.1\r\nHost: t\r\n\r\n";
        send_all(fd, next, strlen(next));
        ck_assert_msg(read_reply(fd, &reply, 3000) == 200, "%s: connection unusable after", bc->name);
    }
    close(fd);
    stop();
}
END_TEST

/* A head over 8 KiB is refused with 431 before it ends. */
START_TEST(head_over_8k_is_431)
{
    start_default();
    int fd = tcp_connect(srv.port);
    char big[10000];
    int n = snprintf(big, sizeof big, "GET /poll HTTP/1.1\r\nHost: t\r\nX-Filler: ");
    memset(big + n, 'a', sizeof big - (size_t)n);
    ck_assert_int_eq(send_all(fd, big, sizeof big), 0);
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 431);
    ck_assert(wait_closed(fd, 3000));
    close(fd);
    stop();
}
END_TEST

/* The classic smuggling payload: a second request hidden in a body framed
 * two ways must not produce a second response. */
START_TEST(smuggled_request_gets_no_answer)
{
    start_default();
    int fd = tcp_connect(srv.port);
    const char *attack = "POST /publish HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                         "Content-Length: 4\r\n\r\n0\r\n\r\nGET /stats HTTP/1.1\r\nHost: t\r\n\r\n";
    ck_assert_int_eq(send_all(fd, attack, strlen(attack)), 0);
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 400);
    ck_assert_int_eq(read_reply(fd, &reply, 1000), -1);     /* nothing more, and closed */
    close(fd);
    ck_assert_int_eq(stats_field(srv.port, "events"), 0);
    stop();
}
END_TEST

/* OPTIONS is the CORS preflight: 204 with the methods and headers the demo
 * page uses; every other answer carries Access-Control-Allow-Origin too. */
START_TEST(cors_preflight)
{
    start_default();
    ck_assert_int_eq(ask("OPTIONS /publish HTTP/1.1\r\nHost: t\r\nOrigin: http://x\r\n"
                         "Access-Control-Request-Method: POST\r\n\r\n"), 204);
    char v[128];
    ck_assert_str_eq(reply_header(&reply, "Access-Control-Allow-Origin", v, sizeof v), "*");
    ck_assert_ptr_nonnull(strstr(reply_header(&reply, "Access-Control-Allow-Methods", v, sizeof v), "POST"));
    ck_assert_int_eq(ask("GET /poll HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_str_eq(reply_header(&reply, "Access-Control-Allow-Origin", v, sizeof v), "*");
    stop();
}
END_TEST

/* Static files come from the web root with their type; HEAD has the same
 * head and no body; nothing outside the root is served. */
START_TEST(static_files)
{
    char root[] = "/tmp/rtlab-web-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(root));
    char path[256];
    snprintf(path, sizeof path, "%s/index.html", root);
    FILE *f = fopen(path, "w");
    fputs("<h1>rtlab</h1>\n", f);
    fclose(f);
    const char *args[] = {"-t", "0", "-w", root, NULL};
    start(args);
    ck_assert_int_eq(ask("GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_str_eq(reply.body, "<h1>rtlab</h1>\n");
    char v[64];
    ck_assert_ptr_nonnull(strstr(reply_header(&reply, "Content-Type", v, sizeof v), "text/html"));
    /* HEAD: read raw bytes, since the head announces 15 body bytes that never come. */
    int fd = tcp_connect(srv.port);
    const char *head = "HEAD /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    send_all(fd, head, strlen(head));
    char raw[2048];
    size_t n = recv_until(fd, raw, sizeof raw, NULL, 2000);    /* until the server closes */
    close(fd);
    ck_assert_ptr_nonnull(strstr(raw, "HTTP/1.1 200 OK\r\n"));
    ck_assert_ptr_nonnull(strstr(raw, "Content-Length: 15\r\n"));
    ck_assert_msg(n > 4 && strcmp(raw + n - 4, "\r\n\r\n") == 0, "HEAD answer carried a body");
    ck_assert_int_eq(ask("POST /index.html HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"), 405);
    ck_assert_str_eq(reply_header(&reply, "Allow", v, sizeof v), "GET, HEAD, OPTIONS");
    ck_assert_int_eq(ask("GET /../../../../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n"), 404);
    stop();
    unlink(path);
    rmdir(root);
}
END_TEST

/* /stats is JSON with the counters a dashboard needs. */
START_TEST(stats_counts)
{
    start_default();
    publish_event(srv.port, "a");
    ask("GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n");
    ck_assert_int_eq(stats_field(srv.port, "events"), 1);
    ck_assert_int_eq(stats_field(srv.port, "deliveries"), 1);
    ck_assert_int_ge(stats_field(srv.port, "requests"), 3);
    ck_assert_int_ge(stats_field(srv.port, "connections_total"), 3);
    ck_assert_int_ge(stats_field(srv.port, "bytes_out"), 100);
    stop();
}
END_TEST

/* The built-in ticker publishes clock events on its own. */
START_TEST(ticker_publishes)
{
    static const char *const args[] = {"-t", "20", NULL};
    start(args);
    usleep(200 * 1000);
    ck_assert_int_ge(stats_field(srv.port, "events"), 3);
    ck_assert_int_eq(ask("GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_ptr_nonnull(strstr(reply.body, "\"data\":\"clock "));
    stop();
}
END_TEST

/* A client that sends half a head and stalls (slowloris) delays nobody,
 * and is closed with 408 at the header deadline. */
START_TEST(slow_client_delays_nobody)
{
    start_default();
    int slow = tcp_connect(srv.port);
    send_all(slow, "GET /poll HTTP/1.1\r\nHo", 22);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ck_assert_int_eq(ask("GET /poll HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    clock_gettime(CLOCK_MONOTONIC, &b);
    ck_assert_int_lt((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000, 200);
    ck_assert_int_eq(read_reply(slow, &reply, 8000), 408);
    ck_assert(wait_closed(slow, 3000));
    close(slow);
    stop();
}
END_TEST

/* A slow reader: 24 big answers pipelined to a client that reads nothing
 * until the server's socket to it is full (its writes came back partial,
 * then EAGAIN), then reads everything. Each answer arrives whole, once and
 * in order, byte for byte the answer a fast reader gets, and a client
 * beside it is answered at once meanwhile. */
START_TEST(slow_reader_gets_every_byte)
{
    static const char *const args[] = {"-t", "0", "-b", "64", NULL};
    start(args);
    enum { EVENTS = 16, SIZE = 32000, ANSWERS = 24 };  /* ~6 MB: more than loopback buffers hold */
    char *data = malloc(SIZE + 1);
    ck_assert_ptr_nonnull(data);
    for (int e = 0; e < EVENTS; e++) {
        memset(data, 'a' + e, SIZE);
        data[SIZE] = '\0';
        ck_assert_int_eq(publish_event(srv.port, data), e + 1);
    }
    free(data);
    static const char poll[] = "GET /poll?since=0 HTTP/1.1\r\nHost: t\r\n\r\n";
    /* the answer, as a fast reader gets it */
    int fast = tcp_connect(srv.port);
    ck_assert_int_eq(send_all(fast, poll, strlen(poll)), 0);
    char *want;
    size_t want_len;
    ck_assert_int_eq(read_big_reply(fast, &want, &want_len, 5000), 200);
    close(fast);
    ck_assert_uint_gt(want_len, 100000);             /* a big answer (a batch may be capped) */

    long base = stats_field(srv.port, "bytes_out");
    int slow = net_connect_slow_reader(srv.port, 4096);
    ck_assert_int_ge(slow, 0);
    for (int i = 0; i < ANSWERS; i++) ck_assert_int_eq(send_all(slow, poll, strlen(poll)), 0);
    long sent = wait_writes_stall(srv.port, base, (long)(ANSWERS * want_len), 5000);
    ck_assert_msg(sent > 0, "the server's socket to the slow reader never filled: no partial write to test");
    ck_assert_int_eq(ask("GET /poll?since=16 HTTP/1.1\r\nHost: t\r\n\r\n"), 200);   /* nobody waits */
    for (int i = 0; i < ANSWERS; i++) {
        char *got;
        size_t len;
        ck_assert_msg(read_big_reply(slow, &got, &len, 5000) == 200,
                      "answer %d of %d to the slow reader did not arrive whole (the connection closed, or bytes are missing)",
                      i + 1, ANSWERS);
        size_t at = 0;
        while (at < len && at < want_len && got[at] == want[at]) at++;
        ck_assert_msg(len == want_len && at == len,
                      "answer %d to the slow reader differs from byte %zu on (%zu bytes, want %zu): bytes sent twice or lost after a partial write",
                      i + 1, at, len, want_len);
        free(got);
    }
    free(want);
    close(slow);
    stop();
}
END_TEST

/* SIGTERM ends the server with status 0 even with clients connected. */
START_TEST(sigterm_exits_cleanly)
{
    start_default();
    int fd = tcp_connect(srv.port);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(server_stop(&srv), 0);
    ck_assert(wait_closed(fd, 1000));
    close(fd);
}
END_TEST

/* "Connection: close" is honoured: the answer, then the end. */
START_TEST(connection_close_honoured)
{
    start_default();
    int fd = tcp_connect(srv.port);
    const char *req = "GET /poll HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    send_all(fd, req, strlen(req));
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    char v[32];
    ck_assert_str_eq(reply_header(&reply, "Connection", v, sizeof v), "close");
    ck_assert(wait_closed(fd, 3000));
    close(fd);
    stop();
}
END_TEST

/* Without -w, the server finds the demo page (web/ beside bin/) from any
 * working directory, here "/": through /proc/self/exe on Linux, through
 * argv[0] elsewhere. */
START_TEST(default_web_root_from_any_directory)
{
    char bin[PATH_MAX];
    const char *rel = getenv("RTLAB_BIN");
    ck_assert_ptr_nonnull(realpath(rel && *rel ? rel : "bin", bin));
    setenv("RTLAB_BIN", bin, 1);              /* this test runs in its own process */
    ck_assert_int_eq(chdir("/"), 0);
    start_default();
    ck_assert_int_eq(ask("GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_ptr_nonnull(strstr(reply.body, "<!doctype html>"));
    stop();
}
END_TEST

static Suite *polling_suite(void)
{
    Suite *s = suite_create("polling over sockets");
    TCase *t = tcase_create("contract");
    tcase_set_timeout(t, 20);
    tcase_add_test(t, publish_then_poll);
    tcase_add_test(t, empty_poll_answers_at_once);
    tcase_add_test(t, gap_is_signalled);
    tcase_add_test(t, bad_and_future_since_are_400);
    tcase_add_test(t, pipelined_polls_in_order);
    tcase_add_test(t, request_in_pieces);
    tcase_add_loop_test(t, bad_requests_get_clear_answers, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(t, head_over_8k_is_431);
    tcase_add_test(t, smuggled_request_gets_no_answer);
    tcase_add_test(t, cors_preflight);
    tcase_add_test(t, static_files);
    tcase_add_test(t, stats_counts);
    tcase_add_test(t, ticker_publishes);
    tcase_add_test(t, slow_client_delays_nobody);
    tcase_add_test(t, slow_reader_gets_every_byte);
    tcase_add_test(t, sigterm_exits_cleanly);
    tcase_add_test(t, connection_close_honoured);
    tcase_add_test(t, default_web_root_from_any_directory);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(polling_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
