/*
 * tests/unit/test_sse_encode.c — the event-stream encoder, rule by rule
 * (sse/sse_encode.h; WHATWG HTML §9.2.5 and §9.2.6).
 *
 * Suites:
 *   fields     id:, event:, data:, retry:, comments, the empty line
 *   lines      data holding LF, CR or CRLF becomes several data: lines
 *   injection  an id, event name or comment that would end its line early
 *   room       every cap too small gives -2; size agrees with the encoder
 *   roundtrip  a small spec parser reads back what was encoded
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse_encode.h"   /* -Isse, see sse/module.mk */

/* A literal as (pointer, length), NUL bytes included. */
#define S(lit) lit, sizeof(lit) - 1

/* Encode ev into a roomy buffer; returns the result, out NUL-terminated. */
static long encode(const struct sse_event *ev, char *out, size_t cap)
{
    memset(out, 0, cap);
    long n = sse_encode_event(out, cap - 1, ev);
    if (n > 0) out[n] = '\0';
    return n;
}

/* ==== fields ==== */

/* An event with an id, a name and one line of data is written field by
 * field in that order, each as "name: value", then the empty line. */
START_TEST(test_all_fields)
{
    struct sse_event ev = {S("42"), S("tick"), S("hello")};
    char out[256];
    long n = encode(&ev, out, sizeof out);
    ck_assert_str_eq(out, "id: 42\nevent: tick\ndata: hello\n\n");
    ck_assert_int_eq(n, (long)strlen(out));
}
END_TEST

/* Fields left NULL are left out: data alone is the common case. */
START_TEST(test_data_only)
{
    struct sse_event ev = {NULL, 0, NULL, 0, S("x")};
    char out[64];
    encode(&ev, out, sizeof out);
    ck_assert_str_eq(out, "data: x\n\n");
}
END_TEST

/* Empty data is one empty data: line, so the browser still dispatches an
 * event (with data ""); no data at all is only the empty line. */
START_TEST(test_empty_and_absent_data)
{
    struct sse_event empty = {S("7"), NULL, 0, "", 0};
    struct sse_event none = {S("7"), NULL, 0, NULL, 0};
    char out[64];
    encode(&empty, out, sizeof out);
    ck_assert_str_eq(out, "id: 7\ndata: \n\n");
    encode(&none, out, sizeof out);
    ck_assert_str_eq(out, "id: 7\n\n");
}
END_TEST

/* Data beginning with a space keeps it: the parser drops exactly one space
 * after the colon, and the encoder always writes that one. */
START_TEST(test_leading_space_kept)
{
    struct sse_event ev = {NULL, 0, NULL, 0, S("  two spaces")};
    char out[64];
    encode(&ev, out, sizeof out);
    ck_assert_str_eq(out, "data:   two spaces\n\n");
}
END_TEST

/* A colon inside data is just a byte of the value. */
START_TEST(test_colon_in_data)
{
    struct sse_event ev = {NULL, 0, NULL, 0, S("id: 99")};
    char out[64];
    encode(&ev, out, sizeof out);
    ck_assert_str_eq(out, "data: id: 99\n\n");
}
END_TEST

/* retry: carries the reconnection delay in decimal milliseconds. */
START_TEST(test_retry)
{
    static const struct { unsigned long ms; const char *want; } cases[] = {
        {0, "retry: 0\n"},
        {2000, "retry: 2000\n"},
        {4294967295UL, "retry: 4294967295\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64] = {0};
        long n = sse_encode_retry(out, sizeof out - 1, cases[i].ms);
        ck_assert_msg(n == (long)strlen(cases[i].want) && strcmp(out, cases[i].want) == 0,
                      "retry %lu: got %ld \"%s\"", cases[i].ms, n, out);
    }
}
END_TEST

/* A comment is ": text\n"; the keep-alive is one. Empty text is allowed. */
START_TEST(test_comment)
{
    char out[64] = {0};
    ck_assert_int_eq(sse_encode_comment(out, sizeof out - 1, S("keep-alive")), 13);
    ck_assert_str_eq(out, ": keep-alive\n");
    memset(out, 0, sizeof out);
    ck_assert_int_eq(sse_encode_comment(out, sizeof out - 1, "", 0), 3);
    ck_assert_str_eq(out, ": \n");
}
END_TEST

/* ==== lines ==== */

/* §9.2.5: a line ends in CRLF, LF or CR. Each line of data becomes its own
 * data: line; CRLF is one break, not two; a break at the end of the data
 * gives a last, empty data: line (the browser keeps that final LF). */
START_TEST(test_line_breaks)
{
    static const struct { const char *data; size_t len; const char *want; } cases[] = {
        {S("a\nb"), "data: a\ndata: b\n\n"},
        {S("a\rb"), "data: a\ndata: b\n\n"},
        {S("a\r\nb"), "data: a\ndata: b\n\n"},
        {S("a\n\rb"), "data: a\ndata: \ndata: b\n\n"},       /* LF then CR: two breaks */
        {S("a\r\rb"), "data: a\ndata: \ndata: b\n\n"},
        {S("a\n\nb"), "data: a\ndata: \ndata: b\n\n"},
        {S("a\n"), "data: a\ndata: \n\n"},
        {S("\n"), "data: \ndata: \n\n"},
        {S("\r\n"), "data: \ndata: \n\n"},
        {S("\r"), "data: \ndata: \n\n"},
        {S("one\r\ntwo\rthree\nfour"), "data: one\ndata: two\ndata: three\ndata: four\n\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sse_event ev = {NULL, 0, NULL, 0, cases[i].data, cases[i].len};
        char out[256];
        long n = encode(&ev, out, sizeof out);
        ck_assert_msg(n == (long)strlen(cases[i].want) && strcmp(out, cases[i].want) == 0,
                      "case %zu: got %ld \"%s\", want \"%s\"", i, n, out, cases[i].want);
    }
}
END_TEST

/* A data line that looks like a field stays data: a publisher cannot start
 * an event of its own by putting "\n\nevent: x" in its text. */
START_TEST(test_data_cannot_inject)
{
    struct sse_event ev = {S("1"), NULL, 0, S("hi\n\nid: 999\nevent: evil\ndata: x")};
    char out[256];
    encode(&ev, out, sizeof out);
    ck_assert_str_eq(out, "id: 1\ndata: hi\ndata: \ndata: id: 999\ndata: event: evil\ndata: data: x\n\n");
}
END_TEST

/* ==== injection ==== */

/* An id or event name holding CR, LF or NUL is refused with -1, whatever
 * the room: written out, it would end its line and start fields (or a whole
 * event) chosen by whoever chose the name. */
START_TEST(test_refused_names)
{
    static const struct { const char *s; size_t len; } bad[] = {
        {S("1\n")}, {S("1\r")}, {S("1\r\n")}, {S("\nevent: evil")}, {S("a\0b")},
        {S("\0")}, {S("1\n\ndata: injected")},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sse_event as_id = {bad[i].s, bad[i].len, NULL, 0, S("d")};
        struct sse_event as_name = {NULL, 0, bad[i].s, bad[i].len, S("d")};
        char out[256];
        ck_assert_msg(sse_encode_event(out, sizeof out, &as_id) == -1, "id case %zu accepted", i);
        ck_assert_msg(sse_encode_event(out, sizeof out, &as_name) == -1, "event case %zu accepted", i);
        ck_assert_msg(sse_encode_event(out, 0, &as_id) == -1, "id case %zu: -1 must not depend on room", i);
        ck_assert_int_eq(sse_event_size(&as_id), -1);
        ck_assert_int_eq(sse_event_size(&as_name), -1);
    }
}
END_TEST

/* Names made of anything else are fine, colons and spaces included (only
 * the first colon of a line separates name from value). */
START_TEST(test_allowed_names)
{
    struct sse_event ev = {S("a: b c"), S("x:y z"), S("d")};
    char out[128];
    encode(&ev, out, sizeof out);
    ck_assert_str_eq(out, "id: a: b c\nevent: x:y z\ndata: d\n\n");
}
END_TEST

/* A comment holding CR or LF would end the comment early and turn the rest
 * into fields: refused. */
START_TEST(test_refused_comment)
{
    char out[64];
    ck_assert_int_eq(sse_encode_comment(out, sizeof out, S("a\ndata: x")), -1);
    ck_assert_int_eq(sse_encode_comment(out, sizeof out, S("a\r")), -1);
    ck_assert_int_eq(sse_encode_comment(out, 0, S("\n")), -1);
}
END_TEST

/* ==== room ==== */

/* For each event, every cap below the needed size gives -2 and touches
 * nothing past cap; the exact size gives the block; sse_event_size tells
 * that size in advance. */
START_TEST(test_every_short_cap)
{
    static const struct sse_event events[] = {
        {S("1"), NULL, 0, S("x")},
        {S("123"), S("gap"), S("{\"from\":1,\"to\":3}")},
        {NULL, 0, NULL, 0, S("a\r\nb\rc\nd\n")},
        {S("9"), NULL, 0, "", 0},
        {S("9"), NULL, 0, NULL, 0},
    };
    for (size_t e = 0; e < sizeof events / sizeof events[0]; e++) {
        long need = sse_event_size(&events[e]);
        ck_assert_int_gt(need, 0);
        char out[256];
        for (long cap = 0; cap < need; cap++) {
            memset(out, '#', sizeof out);
            ck_assert_msg(sse_encode_event(out, (size_t)cap, &events[e]) == -2,
                          "event %zu cap %ld: want -2", e, cap);
            ck_assert_msg(out[cap] == '#', "event %zu cap %ld: wrote past cap", e, cap);
        }
        memset(out, '#', sizeof out);
        ck_assert_int_eq(sse_encode_event(out, (size_t)need, &events[e]), need);
        ck_assert_int_eq(out[need], '#');
    }
}
END_TEST

/* retry and comment answer -2 below their size, and fit exactly. */
START_TEST(test_short_cap_retry_comment)
{
    char out[32];
    for (size_t cap = 0; cap < 11; cap++)   /* "retry: 100\n" is 11 bytes */
        ck_assert_int_eq(sse_encode_retry(out, cap, 100), -2);
    ck_assert_int_eq(sse_encode_retry(out, 11, 100), 11);
    for (size_t cap = 0; cap < 13; cap++)   /* ": keep-alive\n" is 13 bytes */
        ck_assert_int_eq(sse_encode_comment(out, cap, S("keep-alive")), -2);
    ck_assert_int_eq(sse_encode_comment(out, 13, S("keep-alive")), 13);
}
END_TEST

/* ==== roundtrip ==== */

/* A small event-stream parser after §9.2.5/§9.2.6, just enough to read back
 * one block: lines end in CRLF, CR or LF; "name: value" loses one space;
 * data lines join with LF. Returns 1 when the block was dispatched. */
struct parsed { char id[64]; char event[64]; char data[512]; size_t data_len; int has_id; };

static int parse_block(const char *p, size_t n, struct parsed *out)
{
    memset(out, 0, sizeof *out);
    size_t at = 0;
    int data_seen = 0;
    while (at < n) {
        size_t end = at;
        while (end < n && p[end] != '\r' && p[end] != '\n') end++;
        if (end == n) return 0;                             /* unterminated line */
        size_t next = end + ((p[end] == '\r' && end + 1 < n && p[end + 1] == '\n') ? 2 : 1);
        if (end == at) return data_seen;                    /* empty line: dispatch */
        const char *colon = memchr(p + at, ':', end - at);
        size_t name_len = colon ? (size_t)(colon - (p + at)) : end - at;
        const char *v = colon ? colon + 1 : p + end;
        if (v < p + end && *v == ' ') v++;
        size_t vlen = (size_t)(p + end - v);
        if (name_len == 4 && memcmp(p + at, "data", 4) == 0) {
            memcpy(out->data + out->data_len, v, vlen);
            out->data_len += vlen;
            out->data[out->data_len++] = '\n';
            data_seen = 1;
        } else if (name_len == 2 && memcmp(p + at, "id", 2) == 0) {
            memcpy(out->id, v, vlen);
            out->has_id = 1;
        } else if (name_len == 5 && memcmp(p + at, "event", 5) == 0) {
            memcpy(out->event, v, vlen);
        }
        at = next;
    }
    return 0;
}

/* What the browser reads back is what was published, with every kind of
 * line break turned into LF (the one loss the format has). */
START_TEST(test_roundtrip)
{
    static const struct { const char *in; size_t len; const char *back; } cases[] = {
        {S("plain"), "plain"},
        {S("a\nb"), "a\nb"},
        {S("a\r\nb\rc"), "a\nb\nc"},
        {S("trailing\n"), "trailing\n"},
        {S(" lead"), " lead"},
        {S(""), ""},
        {S("\xc3\xa9t\xc3\xa9 \xe2\x82\xac"), "\xc3\xa9t\xc3\xa9 \xe2\x82\xac"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sse_event ev = {S("5"), S("msg"), cases[i].in, cases[i].len};
        char out[256];
        long n = encode(&ev, out, sizeof out);
        struct parsed got;
        ck_assert_msg(parse_block(out, (size_t)n, &got), "case %zu not dispatched", i);
        ck_assert_uint_gt(got.data_len, 0);
        got.data[--got.data_len] = '\0';    /* §9.2.6: drop the last LF */
        ck_assert_msg(strcmp(got.data, cases[i].back) == 0, "case %zu: read back \"%s\"", i, got.data);
        ck_assert_str_eq(got.id, "5");
        ck_assert_str_eq(got.event, "msg");
    }
}
END_TEST

static Suite *sse_encode_suite(void)
{
    Suite *s = suite_create("sse_encode");
    TCase *fields = tcase_create("fields");
    tcase_add_test(fields, test_all_fields);
    tcase_add_test(fields, test_data_only);
    tcase_add_test(fields, test_empty_and_absent_data);
    tcase_add_test(fields, test_leading_space_kept);
    tcase_add_test(fields, test_colon_in_data);
    tcase_add_test(fields, test_retry);
    tcase_add_test(fields, test_comment);
    suite_add_tcase(s, fields);
    TCase *lines = tcase_create("lines");
    tcase_add_test(lines, test_line_breaks);
    tcase_add_test(lines, test_data_cannot_inject);
    suite_add_tcase(s, lines);
    TCase *injection = tcase_create("injection");
    tcase_add_test(injection, test_refused_names);
    tcase_add_test(injection, test_allowed_names);
    tcase_add_test(injection, test_refused_comment);
    suite_add_tcase(s, injection);
    TCase *room = tcase_create("room");
    tcase_add_test(room, test_every_short_cap);
    tcase_add_test(room, test_short_cap_retry_comment);
    suite_add_tcase(s, room);
    TCase *roundtrip = tcase_create("roundtrip");
    tcase_add_test(roundtrip, test_roundtrip);
    suite_add_tcase(s, roundtrip);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sse_encode_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
