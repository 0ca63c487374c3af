/*
 * tests/unit/test_utf8.c — the incremental UTF-8 validator (core/utf8.c)
 * against RFC 3629: the edge code points of every sequence length,
 * overlong forms, surrogates, code points past U+10FFFF, truncations, and
 * every input fed whole, byte by byte and cut at every byte.
 *
 * The incremental part matters for WebSocket (RFC 6455 §8.1): a text
 * message must be refused at its first impossible byte, so for each invalid
 * case the table also says at which byte the validator must say so.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

struct utf8_case {
    const char *name;
    const char *bytes;
    size_t len;
    int valid;          /* 1: complete, valid UTF-8 */
    int fail_at;        /* invalid: index of the first byte that must be refused;
                           -1 when every byte is acceptable but the text is cut off */
};

#define CASE(name, s, valid, fail_at) {name, s, sizeof s - 1, valid, fail_at}

static const struct utf8_case cases[] = {
    /* Valid: the first and last code point of each length (RFC 3629 §4). */
    CASE("empty", "", 1, 0),
    CASE("U+0000", "\x00", 1, 0),
    CASE("U+007F", "\x7F", 1, 0),
    CASE("U+0080", "\xC2\x80", 1, 0),
    CASE("U+07FF", "\xDF\xBF", 1, 0),
    CASE("U+0800", "\xE0\xA0\x80", 1, 0),
    CASE("U+D7FF, just below the surrogates", "\xED\x9F\xBF", 1, 0),
    CASE("U+E000, just above the surrogates", "\xEE\x80\x80", 1, 0),
    CASE("U+FFFD", "\xEF\xBF\xBD", 1, 0),
    CASE("U+FFFF", "\xEF\xBF\xBF", 1, 0),
    CASE("U+10000", "\xF0\x90\x80\x80", 1, 0),
    CASE("U+10FFFF", "\xF4\x8F\xBF\xBF", 1, 0),
    CASE("mixed text", "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z", 1, 0),
    CASE("Hello-\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 (Autobahn 6.2)",
         "Hello-\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 1, 0),

    /* Overlong forms: a code point written with more bytes than it needs. */
    CASE("overlong '/' in 2 bytes", "\xC0\xAF", 0, 0),
    CASE("overlong U+007F in 2 bytes", "\xC1\xBF", 0, 0),
    CASE("overlong '/' in 3 bytes", "\xE0\x80\xAF", 0, 1),
    CASE("overlong U+07FF in 3 bytes", "\xE0\x9F\xBF", 0, 1),
    CASE("overlong '/' in 4 bytes", "\xF0\x80\x80\xAF", 0, 1),
    CASE("overlong U+FFFF in 4 bytes", "\xF0\x8F\xBF\xBF", 0, 1),
    CASE("overlong NUL in 2 bytes", "\xC0\x80", 0, 0),

    /* UTF-16 surrogates are not characters (U+D800..U+DFFF). */
    CASE("U+D800", "\xED\xA0\x80", 0, 1),
    CASE("U+DBFF", "\xED\xAF\xBF", 0, 1),
    CASE("U+DC00", "\xED\xB0\x80", 0, 1),
    CASE("U+DFFF", "\xED\xBF\xBF", 0, 1),
    CASE("a surrogate pair, CESU-8 style", "\xED\xA0\x80\xED\xB0\x80", 0, 1),

    /* Past U+10FFFF, and bytes that never appear. */
    CASE("U+110000", "\xF4\x90\x80\x80", 0, 1),
    CASE("U+1FFFFF", "\xF7\xBF\xBF\xBF", 0, 0),
    CASE("byte F5", "\xF5", 0, 0),
    CASE("byte FE", "a\xFE", 0, 1),
    CASE("byte FF", "\xFF", 0, 0),
    CASE("5-byte form", "\xF8\x88\x80\x80\x80", 0, 0),

    /* Continuation bytes where a character must start. */
    CASE("lone continuation 80", "\x80", 0, 0),
    CASE("lone continuation BF", "abc\xBF", 0, 3),
    CASE("one continuation too many", "\xC3\xA9\xA9", 0, 2),

    /* A character interrupted by another lead byte or by ASCII. */
    CASE("2-byte lead then ASCII", "\xC3" "a", 0, 1),
    CASE("3-byte lead, one continuation, then ASCII", "\xE2\x82" "a", 0, 2),
    CASE("4-byte lead then a new lead", "\xF0\x9F\xC3\xA9", 0, 2),

    /* Truncations: every byte acceptable, but the text ends mid-character. */
    CASE("2-byte character cut after 1", "\xC3", 0, -1),
    CASE("3-byte character cut after 2", "\xE2\x82", 0, -1),
    CASE("4-byte character cut after 1", "\xF0", 0, -1),
    CASE("4-byte character cut after 3", "\xF0\x9F\x98", 0, -1),
    CASE("text then a cut character", "hello \xF4\x8F\xBF", 0, -1),
};
enum { CASES = sizeof cases / sizeof cases[0] };

/* utf8_valid, in one call, accepts exactly the valid cases. */
START_TEST(test_one_shot)
{
    const struct utf8_case *t = &cases[_i];
    ck_assert_msg(utf8_valid(t->bytes, t->len) == t->valid, "%s: utf8_valid should say %d",
                  t->name, t->valid);
}
END_TEST

/* Fed one byte at a time, the validator accepts every byte before
 * fail_at and refuses the byte at fail_at — not later; a truncated text is
 * accepted byte by byte but is not complete at the end. */
START_TEST(test_byte_by_byte)
{
    const struct utf8_case *t = &cases[_i];
    struct utf8_state s;
    utf8_init(&s);
    for (size_t i = 0; i < t->len; i++) {
        int r = utf8_feed(&s, (const unsigned char *)t->bytes + i, 1);
        if (!t->valid && t->fail_at >= 0 && (int)i == t->fail_at) {
            ck_assert_msg(r == -1, "%s: byte %zu should be refused", t->name, i);
            return;
        }
        ck_assert_msg(r == 0, "%s: byte %zu refused, but it can still be valid", t->name, i);
    }
    ck_assert_msg(utf8_complete(&s) == t->valid, "%s: complete should be %d at the end",
                  t->name, t->valid);
}
END_TEST

/* Cut in two at every byte, the answer is the same as fed whole: a piece
 * boundary inside a character changes nothing. */
START_TEST(test_split_at_every_byte)
{
    const struct utf8_case *t = &cases[_i];
    const unsigned char *p = (const unsigned char *)t->bytes;
    for (size_t cut = 0; cut <= t->len; cut++) {
        struct utf8_state s;
        utf8_init(&s);
        int ok = utf8_feed(&s, p, cut) == 0 && utf8_feed(&s, p + cut, t->len - cut) == 0 &&
                 utf8_complete(&s);
        ck_assert_msg(ok == t->valid, "%s: cut at %zu gives %d, want %d", t->name, cut, ok,
                      t->valid);
    }
}
END_TEST

/* Every code point U+0000..U+10FFFF, encoded by hand, is valid exactly when
 * it is not a surrogate — each fed byte by byte after a prefix of text. */
START_TEST(test_every_code_point)
{
    for (unsigned long cp = 0; cp <= 0x10FFFF; cp++) {
        unsigned char b[4];
        size_t n;
        if (cp < 0x80) { b[0] = (unsigned char)cp; n = 1; }
        else if (cp < 0x800) { b[0] = (unsigned char)(0xC0 | cp >> 6); b[1] = (unsigned char)(0x80 | (cp & 0x3F)); n = 2; }
        else if (cp < 0x10000) {
            b[0] = (unsigned char)(0xE0 | cp >> 12);
            b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
            b[2] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 3;
        } else {
            b[0] = (unsigned char)(0xF0 | cp >> 18);
            b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
            b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
            b[3] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 4;
        }
        int want = !(cp >= 0xD800 && cp <= 0xDFFF);
        struct utf8_state s;
        utf8_init(&s);
        int ok = utf8_feed(&s, (const unsigned char *)"ok", 2) == 0;
        for (size_t i = 0; i < n && ok; i++)
            ok = utf8_feed(&s, b + i, 1) == 0;
        ok = ok && utf8_complete(&s);
        if (ok != want)          /* (ck_assert marks a point per call: too slow a million times) */
            ck_abort_msg("U+%04lX: got %d, want %d", cp, ok, want);
    }
}
END_TEST

/* After a complete character the validator takes ASCII again, and a long
 * valid text stays valid across many calls. */
START_TEST(test_long_text_in_pieces)
{
    static const char piece[] = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 ";
    struct utf8_state s;
    utf8_init(&s);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(utf8_feed(&s, (const unsigned char *)piece, sizeof piece - 1), 0);
    ck_assert(utf8_complete(&s));
}
END_TEST

static Suite *utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("rfc3629");
    tcase_set_timeout(tc, 60);              /* every code point, under the sanitizers too */
    tcase_add_loop_test(tc, test_one_shot, 0, CASES);
    tcase_add_loop_test(tc, test_byte_by_byte, 0, CASES);
    tcase_add_loop_test(tc, test_split_at_every_byte, 0, CASES);
    tcase_add_test(tc, test_every_code_point);
    tcase_add_test(tc, test_long_text_in_pieces);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(utf8_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
