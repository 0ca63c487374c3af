/*
 * tests/integration/test_hostile_net.c — hostile HTTP against all four
 * servers.
 *
 * Every server runs core's request loop, but each one routes requests
 * through its own technique first, so every case here is tried on every
 * binary that exists: bin/polling, bin/longpoll, bin/sse, bin/websocket.
 * Under CI=true a missing binary is a failure; locally it is skipped with a
 * loud line (exit 77 when nothing else failed).
 *
 * Each case is one request (bytes, NULs included) with the status it must
 * get and whether the server must close the connection after it: wherever
 * the framing can no longer be trusted, it closes, and nothing that followed
 * in the same bytes is answered (the smuggling payloads carry a hidden
 * second request, which must never produce a second response). Where the
 * connection stays open, a GET /stats on it must still work.
 *
 * Each case is sent twice: whole, and dribbled in small pieces with pauses,
 * so core's "keep the partial head, parse again" path sees it too.
 *
 * The rules (core/http.h lists them): a bare LF ends a line like CRLF; a
 * bare CR anywhere is 400; whitespace before a colon and obs-fold are 400;
 * NUL/CR/LF/controls in a value are 400; HTTP/1.1 needs exactly one Host;
 * Content-Length is digits only, repeats must agree, huge ones are 413;
 * CL with TE is 400, TE alone 501; a target over 4096 bytes is 414; a head
 * over 8 KiB or over 64 fields is 431; empty lines before the request line
 * are skipped.
 *
 * The test prints "result: N requests tried on M servers" at the end.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../adversarial/adv.h"
#include "../support/netclient.h"

/* ==== The cases ==== */

/* A literal with its length: the cases may hold NUL bytes. */
#define BYTES(s) s, sizeof(s) - 1

struct hostile_case {
    const char *name;
    const char *request;
    size_t len;
    int status;      /* the one answer it must get */
    int closes;      /* 1: the connection must be closed after it, and nothing more answered */
};

#define H "Host: t\r\n"

static const struct hostile_case cases[] = {
    /* line endings: LF alone is a line end; CR alone never is */
    {"bare CR ends the request line", BYTES("GET /stats HTTP/1.1\r" H "\r\n"), 400, 1},
    {"bare CR inside a value", BYTES("GET /stats HTTP/1.1\r\n" H "X-A: a\rb\r\n\r\n"), 400, 1},
    {"CR CR LF after a field", BYTES("GET /stats HTTP/1.1\r\n" H "X-A: a\r\r\n\r\n"), 400, 1},
    {"CR CR LF as the empty line", BYTES("GET /stats HTTP/1.1\r\n" H "\r\r\n"), 400, 1},
    {"bare CR before the request line", BYTES("\rGET /stats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"LF-only lines", BYTES("GET /stats HTTP/1.1\nHost: t\n\n"), 200, 0},
    {"LF and CRLF mixed", BYTES("GET /stats HTTP/1.1\r\nHost: t\n\r\n"), 200, 0},
    {"empty lines before the request line", BYTES("\r\n\r\nGET /stats HTTP/1.1\r\n" H "\r\n"), 200, 0},
    {"LF-only empty lines before it", BYTES("\n\n\nGET /stats HTTP/1.1\r\n" H "\r\n"), 200, 0},

    /* field syntax */
    {"space before the colon", BYTES("GET /stats HTTP/1.1\r\nHost : t\r\n\r\n"), 400, 1},
    {"tab before the colon", BYTES("GET /stats HTTP/1.1\r\n" H "X-A\t: b\r\n\r\n"), 400, 1},
    {"obs-fold with SP", BYTES("GET /stats HTTP/1.1\r\n" H "X-A: b\r\n c\r\n\r\n"), 400, 1},
    {"obs-fold with HTAB", BYTES("GET /stats HTTP/1.1\r\n" H "X-A: b\r\n\tc\r\n\r\n"), 400, 1},
    {"fold as the first field line", BYTES("GET /stats HTTP/1.1\r\n " H "\r\n"), 400, 1},
    {"NUL in a value", BYTES("GET /stats HTTP/1.1\r\n" H "X-A: a\0b\r\n\r\n"), 400, 1},
    {"NUL in a name", BYTES("GET /stats HTTP/1.1\r\n" H "X\0A: b\r\n\r\n"), 400, 1},
    {"LF inside a value (splits the line)", BYTES("GET /stats HTTP/1.1\r\n" H "X-A: a\nb\r\n\r\n"), 400, 1},
    {"control byte in a value", BYTES("GET /stats HTTP/1.1\r\n" H "X-A: a\x01" "b\r\n\r\n"), 400, 1},
    {"DEL in a value", BYTES("GET /stats HTTP/1.1\r\n" H "X-A: a\x7f" "b\r\n\r\n"), 400, 1},
    {"obs-text in a value is allowed", BYTES("GET /stats HTTP/1.1\r\n" H "X-A: caf\xc3\xa9 \xff\r\n\r\n"), 200, 0},
    {"empty field name", BYTES("GET /stats HTTP/1.1\r\n" H ": b\r\n\r\n"), 400, 1},
    {"field line without colon", BYTES("GET /stats HTTP/1.1\r\n" H "X-A b\r\n\r\n"), 400, 1},

    /* Host (RFC 9112 §3.2) */
    {"HTTP/1.1 without Host", BYTES("GET /stats HTTP/1.1\r\nX-A: b\r\n\r\n"), 400, 1},
    {"two Host fields", BYTES("GET /stats HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400, 1},
    {"two identical Host fields", BYTES("GET /stats HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400, 1},
    {"empty Host is a Host", BYTES("GET /stats HTTP/1.1\r\nHost:\r\n\r\n"), 200, 0},
    {"HTTP/1.0 without Host (then closed)", BYTES("GET /stats HTTP/1.0\r\n\r\n"), 200, 1},
    {"HTTP/1.0 keep-alive stays open", BYTES("GET /stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 200, 0},

    /* Content-Length */
    {"CL not a number", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: abc\r\n\r\nabc"), 400, 1},
    {"CL negative", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n"), 400, 1},
    {"CL with a plus sign", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: +3\r\n\r\nabc"), 400, 1},
    {"CL in hex", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: 0x3\r\n\r\nabc"), 400, 1},
    {"CL with inner space", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: 1 2\r\n\r\n"), 400, 1},
    {"CL empty", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length:\r\n\r\n"), 400, 1},
    {"CL as a list", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: 3, 3\r\n\r\nabc"), 400, 1},
    {"CL twice, differing", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: 3\r\n"
                                  "Content-Length: 4\r\n\r\nabcd"), 400, 1},
    {"CL twice, the same number", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: 3\r\n"
                                        "Content-Length: 003\r\n\r\nabc"), 200, 0},
    {"CL that overflows 64 bits", BYTES("POST /publish HTTP/1.1\r\n" H
                                        "Content-Length: 18446744073709551616\r\n\r\n"), 413, 1},
    {"CL of 40 digits", BYTES("POST /publish HTTP/1.1\r\n" H
                              "Content-Length: 9999999999999999999999999999999999999999\r\n\r\n"), 413, 1},
    {"CL of zeros", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: 0000000000000000000000000003\r\n\r\nabc"), 200, 0},

    /* Transfer-Encoding: never beside Content-Length; alone not supported */
    {"CL then TE", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: 5\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400, 1},
    {"TE then CL", BYTES("POST /publish HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n"
                         "Content-Length: 5\r\n\r\n0\r\n\r\n"), 400, 1},
    {"TE identity with CL", BYTES("POST /publish HTTP/1.1\r\n" H "Transfer-Encoding: identity\r\n"
                                  "Content-Length: 1\r\n\r\nx"), 400, 1},
    {"TE in lower case with CL", BYTES("POST /publish HTTP/1.1\r\n" H "transfer-encoding: chunked\r\n"
                                       "content-length: 1\r\n\r\nx"), 400, 1},
    {"TE alone", BYTES("POST /publish HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n"
                       "1\r\na\r\n0\r\n\r\n"), 501, 1},
    {"TE obfuscated, alone", BYTES("POST /publish HTTP/1.1\r\n" H "Transfer-Encoding: xchunked\r\n\r\n"), 501, 1},
    {"TE with space before colon", BYTES("POST /publish HTTP/1.1\r\n" H "Transfer-Encoding : chunked\r\n"
                                         "Content-Length: 1\r\n\r\nx"), 400, 1},

    /* the classic smuggling payloads, each hiding a second request */
    {"smuggle CL.TE", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: 44\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                            "GET /stats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"smuggle TE.CL", BYTES("POST /publish HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n"
                            "Content-Length: 3\r\n\r\n31\r\nPOST /publish HTTP/1.1\r\n"
                            "Content-Length: 1\r\n\r\n0\r\n\r\nx"), 400, 1},
    {"smuggle CL.CL", BYTES("POST /publish HTTP/1.1\r\n" H "Content-Length: 0\r\n"
                            "Content-Length: 31\r\n\r\nGET /stats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"smuggle in a bad first line", BYTES("GET /stats HTTP/1.1 junk\r\n" H "\r\n"
                                          "GET /stats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"smuggle behind a bare CR", BYTES("GET /stats HTTP/1.1\r\n" H "X-A: 1\rGET /stats HTTP/1.1\r\n" H "\r\n"), 400, 1},

    /* the request line */
    {"target of exactly 4096 bytes", NULL, 4096, 404, 0},
    {"target of 4097 bytes", NULL, 4097, 414, 1},
    {"two spaces after the method", BYTES("GET  /stats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"tab as separator", BYTES("GET\t/stats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"no target", BYTES("GET HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"empty method", BYTES(" /stats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"method not a token", BYTES("GE(T /stats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"lower-case method is another method", BYTES("get /stats HTTP/1.1\r\n" H "\r\n"), 501, 0},
    {"space inside the target", BYTES("GET /st ats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"NUL in the target", BYTES("GET /st\0ats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"non-ASCII in the target", BYTES("GET /st\xc3\xa4ts HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"version in lower case", BYTES("GET /stats http/1.1\r\n" H "\r\n"), 400, 1},
    {"version with trailing space", BYTES("GET /stats HTTP/1.1 \r\n" H "\r\n"), 400, 1},
    {"version HTTP/1.2", BYTES("GET /stats HTTP/1.2\r\n" H "\r\n"), 505, 1},
    {"version HTTP/0.9", BYTES("GET /stats HTTP/0.9\r\n" H "\r\n"), 505, 1},
    {"version HTTP/11.1", BYTES("GET /stats HTTP/11.1\r\n" H "\r\n"), 400, 1},
    {"version missing (HTTP/0.9 style)", BYTES("GET /stats\r\n\r\n"), 400, 1},
    {"absolute-form target", BYTES("GET http://t/stats HTTP/1.1\r\n" H "\r\n"), 200, 0},
    {"absolute-form without a host", BYTES("GET http:///stats HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"authority-form", BYTES("CONNECT t:80 HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"asterisk with GET", BYTES("GET * HTTP/1.1\r\n" H "\r\n"), 400, 1},
    {"asterisk with OPTIONS", BYTES("OPTIONS * HTTP/1.1\r\n" H "\r\n"), 204, 0},

    /* sizes of the head */
    {"64 fields", NULL, 64, 200, 0},
    {"65 fields", NULL, 65, 431, 1},
    {"head over 8 KiB", NULL, 9000, 431, 1},
    {"8 KiB of empty lines", NULL, 8200, 431, 1},

    /* Connection */
    {"Connection: close", BYTES("GET /stats HTTP/1.1\r\n" H "Connection: close\r\n\r\n"), 200, 1},
    {"close among other tokens", BYTES("GET /stats HTTP/1.1\r\n" H "Connection: keep-alive, CLOSE\r\n\r\n"), 200, 1},
    {"close with a pipelined request behind it", BYTES("GET /stats HTTP/1.1\r\n" H "Connection: close\r\n\r\n"
                                                       "GET /stats HTTP/1.1\r\n" H "\r\n"), 200, 1},
};

/* Some cases are too long to write out: build them here. */
static size_t build_case(const struct hostile_case *hc, char *out, size_t cap)
{
    if (hc->request) {
        memcpy(out, hc->request, hc->len);
        return hc->len;
    }
    size_t n = 0;
    if (strstr(hc->name, "target")) {            /* GET /aaaa...: hc->len bytes of target */
        n = (size_t)snprintf(out, cap, "GET /");
        memset(out + n, 'a', hc->len - 1);
        n += hc->len - 1;
        n += (size_t)snprintf(out + n, cap - n, " HTTP/1.1\r\n" H "\r\n");
    } else if (strstr(hc->name, "fields")) {     /* Host plus hc->len - 1 other fields */
        n = (size_t)snprintf(out, cap, "GET /stats HTTP/1.1\r\n" H);
        for (size_t i = 1; i < hc->len; i++) n += (size_t)snprintf(out + n, cap - n, "X-%zu: v\r\n", i);
        n += (size_t)snprintf(out + n, cap - n, "\r\n");
    } else if (strstr(hc->name, "empty lines")) {
        for (; n < hc->len; n += 2) memcpy(out + n, "\r\n", 2);
        n += (size_t)snprintf(out + n, cap - n, "GET /stats HTTP/1.1\r\n" H "\r\n");
    } else {                                     /* a head of hc->len bytes that never ends */
        n = (size_t)snprintf(out, cap, "GET /stats HTTP/1.1\r\n" H "X-Filler: ");
        memset(out + n, 'a', hc->len - n);
        n = hc->len;
    }
    return n;
}

/* ==== Helpers ==== */

static const char *const servers[] = {"polling", "longpoll", "sse", "websocket"};
enum { SERVER_COUNT = sizeof servers / sizeof servers[0] };
enum { CASE_COUNT = sizeof cases / sizeof cases[0] };

static struct test_server srv;        /* the server of the suite now running */
static const char *server_name;
static struct http_reply reply;

/* Send n bytes whole (dribble 0), or in pieces of a few bytes with a short
 * pause after each. A server that closes early may refuse the rest: that
 * is allowed, the answer is what counts. */
static void send_request(int fd, const char *p, size_t n, int dribble)
{
    if (!dribble) {
        send_all(fd, p, n);
        return;
    }
    size_t piece = n / 24 > 3 ? n / 24 : 3;
    for (size_t at = 0; at < n; at += piece) {
        size_t k = n - at < piece ? n - at : piece;
        if (send_all(fd, p + at, k) < 0) return;
        usleep(1000);
    }
}

/* After an answer that closes: no more bytes (no second response) and EOF. */
static void assert_nothing_more(int fd, const char *what)
{
    char rest[4096];
    size_t n = recv_until(fd, rest, sizeof rest, NULL, 3000);   /* until EOF or 3 s */
    ck_assert_msg(n == 0, "%s on %s: %zu more bytes after the answer (\"%.40s\")",
                  what, server_name, n, rest);
    ck_assert_msg(wait_closed(fd, 500), "%s on %s: connection left open", what, server_name);
}

/* ==== Tests ==== */

/* One case, whole (mode 0) or dribbled (mode 1): its status, then either
 * the close with nothing more, or a connection that still serves. Loop
 * index = case * 2 + mode. */
START_TEST(hostile_request)
{
    const struct hostile_case *hc = &cases[_i / 2];
    int dribble = _i % 2;
    static char request[16384];
    size_t n = build_case(hc, request, sizeof request);
    long events_before = stats_field(srv.port, "events");
    int fd = tcp_connect(srv.port);
    ck_assert_int_ge(fd, 0);
    send_request(fd, request, n, dribble);
    int status = read_reply(fd, &reply, 5000);
    ck_assert_msg(status == hc->status, "%s (%s) on %s: got %d, want %d", hc->name,
                  dribble ? "dribbled" : "whole", server_name, status, hc->status);
    char value[64];
    ck_assert_msg(reply_header(&reply, "Access-Control-Allow-Origin", value, sizeof value),
                  "%s on %s: no CORS header", hc->name, server_name);
    if (hc->closes) {
        assert_nothing_more(fd, hc->name);
    } else {
        const char *next = "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n";
        send_all(fd, next, strlen(next));
        ck_assert_msg(read_reply(fd, &reply, 3000) == 200, "%s on %s: connection unusable after",
                      hc->name, server_name);
    }
    close(fd);
    /* a refused POST /publish must not have published anything */
    if (hc->status >= 400 && strncmp(request, "POST", 4) == 0)
        ck_assert_msg(stats_field(srv.port, "events") == events_before,
                      "%s on %s: a refused request published an event", hc->name, server_name);
}
END_TEST

/* Five requests in one write: answered in order, each with its own status,
 * on one connection that stays open. */
START_TEST(pipelined_in_order)
{
    const char *five = "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n"
                       "GET /no-such-file HTTP/1.1\r\nHost: t\r\n\r\n"
                       "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n\r\npipelined"
                       "DELETE /stats HTTP/1.1\r\nHost: t\r\n\r\n"
                       "OPTIONS /publish HTTP/1.1\r\nHost: t\r\n\r\n";
    static const int want[] = {200, 404, 200, 405, 204};
    int fd = tcp_connect(srv.port);
    send_all(fd, five, strlen(five));
    for (int i = 0; i < 5; i++) {
        int status = read_reply(fd, &reply, 3000);
        ck_assert_msg(status == want[i], "answer %d on %s: got %d, want %d", i + 1, server_name,
                      status, want[i]);
        if (i == 2) ck_assert_ptr_nonnull(strstr(reply.body, "\"id\":"));
    }
    const char *after = "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n";
    send_all(fd, after, strlen(after));
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    close(fd);
}
END_TEST

/* A malformed request in the middle of a pipeline: the ones before it are
 * answered, it gets 400, and the ones after it are never answered. */
START_TEST(pipeline_stops_at_the_bad_request)
{
    const char *three = "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n"
                        "GET /stats HTTP/1.1\r\nHost : t\r\n\r\n"
                        "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx";
    long events_before = stats_field(srv.port, "events");
    int fd = tcp_connect(srv.port);
    send_all(fd, three, strlen(three));
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
    ck_assert_int_eq(read_reply(fd, &reply, 3000), 400);
    assert_nothing_more(fd, "pipeline after a bad request");
    close(fd);
    ck_assert_int_eq(stats_field(srv.port, "events"), events_before);
}
END_TEST

/* A pipeline of a hundred requests sent in one go, byte for byte the same:
 * a hundred answers in order (the ids count up), none lost or doubled. */
START_TEST(long_pipeline_every_answer_once)
{
    static char many[100 * 96];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(many + n, sizeof many - n,
                              "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\n%03d", i);
    int fd = tcp_connect(srv.port);
    send_all(fd, many, n);
    long first = -1;
    for (int i = 0; i < 100; i++) {
        ck_assert_int_eq(read_reply(fd, &reply, 3000), 200);
        const char *id = strstr(reply.body, "\"id\":");
        ck_assert_ptr_nonnull(id);
        long v = atol(id + 5);
        if (first < 0) first = v;
        ck_assert_msg(v == first + i, "answer %d on %s has id %ld, want %ld", i, server_name, v, first + i);
    }
    close(fd);
}
END_TEST

static Suite *hostile_suite(const char *name)
{
    Suite *s = suite_create(name);
    TCase *t = tcase_create("hostile");
    tcase_set_timeout(t, 30);
    tcase_add_loop_test(t, hostile_request, 0, CASE_COUNT * 2);
    tcase_add_test(t, pipelined_in_order);
    tcase_add_test(t, pipeline_stops_at_the_bad_request);
    tcase_add_test(t, long_pipeline_every_answer_once);
    suite_add_tcase(s, t);
    return s;
}

/* 1 when $RTLAB_BIN/name is an executable file. */
static int binary_exists(const char *name)
{
    const char *bin = getenv("RTLAB_BIN");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", bin && *bin ? bin : "bin", name);
    return access(path, X_OK) == 0;
}

/* One server at a time: start it, run every case against it, stop it and
 * insist it exits 0 — a crash or a sanitizer report is a failure too. */
int main(void)
{
    int ci = getenv("CI") && strcmp(getenv("CI"), "true") == 0;
    int failed = 0, missing = 0, tried_servers = 0;
    static const char *const args[] = {"-t", "0", NULL};
    for (int i = 0; i < SERVER_COUNT; i++) {
        server_name = servers[i];
        if (!binary_exists(server_name)) {
            printf("SKIP %s: binary not built%s\n", server_name, ci ? " (a failure under CI=true)" : "");
            missing++;
            continue;
        }
        if (server_start(&srv, server_name, args) != 0) {   /* patient under valgrind */
            printf("FAIL %s: did not start\n", server_name);
            failed++;
            continue;
        }
        SRunner *sr = srunner_create(hostile_suite(server_name));
        /* No fork per test: 660 forks of a sanitized process take minutes.
         * A failed check still ends only its own test (Check longjmps). */
        srunner_set_fork_status(sr, CK_NOFORK);
        srunner_run_all(sr, CK_NORMAL);
        failed += srunner_ntests_failed(sr);
        srunner_free(sr);
        int status = server_stop(&srv);
        if (status != 0) {
            printf("FAIL %s: exited with status %d after the hostile requests\n", server_name, status);
            failed++;
        }
        tried_servers++;
    }
    printf("result: %d requests tried (%d hostile cases, whole and dribbled, + 3 pipelines) "
           "on %d servers, %d failures, %d servers missing\n", (CASE_COUNT * 2 + 3) * tried_servers,
           CASE_COUNT, tried_servers, failed, missing);
    if (failed) return 1;
    if (missing) return ci ? 1 : 77;
    return 0;
}
