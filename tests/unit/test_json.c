/*
 * tests/unit/test_json.c — json_escape of core/json.h.
 *
 * The promise under test (RFC 8259 §7): the output is one JSON string
 * literal whose decoded value is exactly the input bytes; '"', '\\' and every
 * control byte are escaped, the short forms used where JSON has them; all
 * other bytes, UTF-8 included, pass untouched; a too-small buffer answers
 * -2 and is never written past; 6 * n + 2 bytes are always enough.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* A string literal and its length, NUL bytes inside included. */
#define BYTES(s) s, sizeof(s) - 1

struct escape_case {
    const char *input;
    size_t len;
    const char *want;    /* the literal, quotes included */
};

static const struct escape_case escape_cases[] = {
    /* empty, and plain text copied as it is */
    { BYTES(""), "\"\"" },
    { BYTES("hello, world"), "\"hello, world\"" },
    /* the two that must be escaped because of the syntax itself */
    { BYTES("say \"hi\""), "\"say \\\"hi\\\"\"" },
    { BYTES("C:\\path"), "\"C:\\\\path\"" },
    /* control bytes with a short form (RFC 8259 §7) */
    { BYTES("a\nb\rc\td\be\ff"), "\"a\\nb\\rc\\td\\be\\ff\"" },
    /* the other control bytes as \u00XX, NUL included */
    { BYTES("\0"), "\"\\u0000\"" },
    { BYTES("\x01\x1f"), "\"\\u0001\\u001f\"" },
    { BYTES("\x1b[0m"), "\"\\u001b[0m\"" },
    /* not control bytes: DEL and '/' need no escape */
    { BYTES("\x7f/"), "\"\x7f/\"" },
    /* UTF-8 passes untouched, multi-byte sequences whole */
    { BYTES("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
    /* what a chat message or an event may well hold */
    { BYTES("{\"id\":1}\n</script>"), "\"{\\\"id\\\":1}\\n</script>\"" },
};

/* Each input gives exactly its JSON literal, and its length. */
START_TEST(escapes)
{
    const struct escape_case *tc = &escape_cases[_i];
    char out[256];
    long n = json_escape(out, sizeof out, tc->input, tc->len);
    ck_assert_msg(n == (long)strlen(tc->want) && memcmp(out, tc->want, (size_t)n) == 0,
                  "case %d: got \"%.*s\" (%ld), want \"%s\"", _i, (int)(n > 0 ? n : 0), out, n, tc->want);
}
END_TEST

/* Every capacity short of the literal's length is -2 and writes nothing at
 * or past it; the exact length is enough. */
START_TEST(capacity)
{
    static const char input[] = "a\"b\\c\nd\x01" "e\xc3\xa9";
    size_t n = sizeof input - 1;
    char full[64];
    long need = json_escape(full, sizeof full, input, n);
    ck_assert_int_gt(need, 0);
    for (long cap = 0; cap <= need; cap++) {
        char out[64];
        memset(out, '#', sizeof out);
        long r = json_escape(out, (size_t)cap, input, n);
        ck_assert_msg(r == (cap < need ? -2 : need), "cap %ld: got %ld", cap, r);
        ck_assert_msg(out[cap] == '#', "cap %ld: wrote past it", cap);
    }
}
END_TEST

/* The bound json.h promises: 6 * n + 2 bytes hold the literal of any n
 * bytes, even the worst case where every byte needs \u00XX. */
START_TEST(worst_case_bound)
{
    char input[32];
    for (size_t i = 0; i < sizeof input; i++) input[i] = (char)(i % 0x20);
    input[7] = 0x1f;
    char out[6 * sizeof input + 2];
    ck_assert_int_gt(json_escape(out, sizeof out, input, sizeof input), 0);
}
END_TEST

/* Decode a literal written by json_escape (only the escapes it writes) into
 * out; returns the length. Enough to check the round trip. */
static size_t decode(const char *lit, size_t n, char *out)
{
    size_t len = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (lit[i] != '\\') { out[len++] = lit[i]; continue; }
        char e = lit[++i];
        switch (e) {
        case 'n': out[len++] = '\n'; break;
        case 'r': out[len++] = '\r'; break;
        case 't': out[len++] = '\t'; break;
        case 'b': out[len++] = '\b'; break;
        case 'f': out[len++] = '\f'; break;
        case 'u': out[len++] = (char)strtol((char[]){ lit[i + 3], lit[i + 4], 0 }, NULL, 16); i += 4; break;
        default:  out[len++] = e; break;
        }
    }
    return len;
}

/* Every byte value, alone and all 256 together, decodes back to itself,
 * and no raw control byte, lone quote or lone backslash is ever written. */
START_TEST(every_byte_round_trips)
{
    char input[256], out[6 * 256 + 2], back[256];
    for (int b = 0; b < 256; b++) input[b] = (char)b;
    for (int b = 0; b <= 256; b++) {
        const char *p = b < 256 ? input + b : input;
        size_t n = b < 256 ? 1 : 256;
        long len = json_escape(out, sizeof out, p, n);
        ck_assert_int_gt(len, 1);
        ck_assert(out[0] == '"' && out[len - 1] == '"');
        for (long i = 1; i < len - 1; i++) {
            ck_assert_msg((unsigned char)out[i] >= 0x20, "byte %d: raw control byte written", b);
            if (out[i] == '\\') { i++; continue; }
            ck_assert_msg(out[i] != '"', "byte %d: unescaped quote", b);
        }
        ck_assert_uint_eq(decode(out, (size_t)len, back), n);
        ck_assert_msg(memcmp(back, p, n) == 0, "byte %d does not round-trip", b);
    }
}
END_TEST

#define COUNT(a) ((int)(sizeof a / sizeof a[0]))

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("escape");
    tcase_add_loop_test(tc, escapes, 0, COUNT(escape_cases));
    tcase_add_test(tc, capacity);
    tcase_add_test(tc, worst_case_bound);
    tcase_add_test(tc, every_byte_round_trips);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(json_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
