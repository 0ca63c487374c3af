/*
 * tests/unit/test_static.c — serving files from the web root, and nothing
 * else (core/static.h).
 *
 * The promise under test has two walls. static_resolve, pure: whatever the
 * URL path, the answer is -1 or a relative path with no "." or ".." segment,
 * no NUL and no backslash, even after percent-decoding. static_load: only a
 * regular file whose real path (links resolved) is inside the root's real
 * path is ever read, so a symbolic link that points out of the root gives
 * NULL even when the name that reaches it looks innocent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* nftw, mkdtemp, mkfifo (the Makefile sets it too) */
#endif
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static.h"

/* A string literal and its length, NUL bytes inside included. */
#define BYTES(s) s, sizeof(s) - 1

/* ==== static_resolve ==== */

struct resolve_case {
    const char *path;
    size_t len;
    const char *want;    /* NULL: refused (-1) */
};

static const struct resolve_case resolve_cases[] = {
    /* a path ending in '/' names the directory's index.html */
    { BYTES("/"), "index.html" },
    { BYTES("/dir/"), "dir/index.html" },
    { BYTES("/dir//"), "dir/index.html" },
    /* plain files, without the leading '/' */
    { BYTES("/index.html"), "index.html" },
    { BYTES("/css/site.css"), "css/site.css" },
    /* runs of '/' are one: "//etc/passwd" must stay relative to the root */
    { BYTES("//etc/passwd"), "etc/passwd" },
    { BYTES("///a//b"), "a/b" },
    /* percent-decoding (RFC 3986 §2.1), either case of hex digit */
    { BYTES("/hello%20world.txt"), "hello world.txt" },
    { BYTES("/%41%62c"), "Abc" },
    { BYTES("/caf%c3%A9.txt"), "caf\xc3\xa9.txt" },
    { BYTES("/a%2Fb"), "a/b" },
    /* names with dots are fine as long as the segment is not "." or ".." */
    { BYTES("/.well-known/x"), ".well-known/x" },
    { BYTES("/a..b"), "a..b" },
    { BYTES("/..."), "..." },
    { BYTES("/v1.2/app.min.js"), "v1.2/app.min.js" },
    /* climbing out, plainly or encoded: refused */
    { BYTES("/../etc/passwd"), NULL },
    { BYTES("/.."), NULL },
    { BYTES("/../"), NULL },
    { BYTES("/a/../../b"), NULL },
    { BYTES("/a/.."), NULL },
    { BYTES("/%2e%2e/x"), NULL },
    { BYTES("/%2E%2e/x"), NULL },
    { BYTES("/.%2e/x"), NULL },
    { BYTES("/a/%2E%2E/%2e%2E/b"), NULL },
    { BYTES("/a%2F..%2Fb"), NULL },
    { BYTES("/a%2f%2e%2e"), NULL },
    /* "." segments too: nothing a path needs, and they hide ".." tricks */
    { BYTES("/."), NULL },
    { BYTES("/./a"), NULL },
    { BYTES("/a/./b"), NULL },
    { BYTES("/%2e/a"), NULL },
    /* NUL (it would cut the name short) and backslash (a separator on Windows) */
    { BYTES("/a%00b"), NULL },
    { BYTES("/a\0b"), NULL },
    { BYTES("/a\\b"), NULL },
    { BYTES("/a%5cb"), NULL },
    { BYTES("/..%5c..%5cwindows"), NULL },
    /* bad escapes */
    { BYTES("/%"), NULL },
    { BYTES("/a%2"), NULL },
    { BYTES("/%zz"), NULL },
    { BYTES("/%g0"), NULL },
    { BYTES("/%+1"), NULL },
    /* not a path at all */
    { BYTES(""), NULL },
    { BYTES("index.html"), NULL },
    { BYTES("*"), NULL },
    { BYTES("http://example.com/"), NULL },
};

/* 1 when s[0..n) has a "." or ".." segment, or starts with '/'. */
static int could_climb(const char *s, size_t n)
{
    if (n > 0 && s[0] == '/') return 1;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j] != '/') j++;
        if ((j - i == 1 && s[i] == '.') || (j - i == 2 && s[i] == '.' && s[i + 1] == '.')) return 1;
        i = j + 1;
    }
    return 0;
}

/* Each path resolves to exactly its expected relative name, or is refused;
 * whatever is accepted is NUL-terminated, relative, and cannot climb. */
START_TEST(resolve)
{
    const struct resolve_case *tc = &resolve_cases[_i];
    char out[STATIC_MAX_PATH];
    memset(out, '#', sizeof out);
    int n = static_resolve(tc->path, tc->len, out, sizeof out);
    if (!tc->want) {
        ck_assert_msg(n == -1, "\"%.*s\" should be refused, got \"%.*s\"",
                      (int)tc->len, tc->path, n > 0 ? n : 0, out);
        return;
    }
    ck_assert_msg(n == (int)strlen(tc->want) && memcmp(out, tc->want, (size_t)n) == 0,
                  "\"%s\": got %d \"%.*s\", want \"%s\"", tc->path, n, n > 0 ? n : 0, out, tc->want);
    ck_assert_msg(out[n] == '\0', "\"%s\": not NUL-terminated", tc->path);
    ck_assert_msg(memchr(out, '\\', (size_t)n) == NULL && !could_climb(out, (size_t)n),
                  "\"%s\" resolved to \"%s\", which could climb", tc->path, out);
}
END_TEST

/* The answer and its NUL must fit in cap: one byte less is -1, and nothing
 * is written at or past cap. */
START_TEST(resolve_capacity)
{
    static const char *paths[] = { "/", "/abc", "/dir/", "/a%20b", "//x//y" };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char out[64];
        int need = static_resolve(paths[i], strlen(paths[i]), out, sizeof out);
        ck_assert_int_gt(need, 0);
        for (int cap = 0; cap <= need + 1; cap++) {
            memset(out, '#', sizeof out);
            int n = static_resolve(paths[i], strlen(paths[i]), out, (size_t)cap);
            ck_assert_msg(n == (cap <= need ? -1 : need), "\"%s\" cap %d: got %d", paths[i], cap, n);
            ck_assert_msg(out[cap] == '#', "\"%s\" cap %d: wrote past it", paths[i], cap);
        }
    }
}
END_TEST

/* A path longer than STATIC_MAX_PATH is refused however big out is. */
START_TEST(resolve_too_long)
{
    size_t len = STATIC_MAX_PATH + 10;
    char *path = malloc(len), *out = malloc(2 * len);
    ck_assert(path && out);
    path[0] = '/';
    memset(path + 1, 'a', len - 1);
    ck_assert_int_eq(static_resolve(path, len, out, 2 * len), -1);
    ck_assert_int_eq(static_resolve(path, STATIC_MAX_PATH - 1, out, 2 * len), STATIC_MAX_PATH - 2);
    free(path);
    free(out);
}
END_TEST

/* ==== static_content_type ==== */

struct type_case {
    const char *name, *want;
};

static const struct type_case type_cases[] = {
    { "index.html", "text/html; charset=utf-8" },
    { "dir/INDEX.HTML", "text/html; charset=utf-8" },
    { "site.css", "text/css; charset=utf-8" },
    { "app.js", "text/javascript; charset=utf-8" },
    { "app.mjs", "text/javascript; charset=utf-8" },
    { "data.json", "application/json" },
    { "logo.svg", "image/svg+xml" },
    { "a.png", "image/png" },
    { "a.jpg", "image/jpeg" },
    { "a.JPEG", "image/jpeg" },
    { "a.gif", "image/gif" },
    { "favicon.ico", "image/x-icon" },
    { "notes.txt", "text/plain; charset=utf-8" },
    { "README.md", "text/markdown; charset=utf-8" },
    { "mod.wasm", "application/wasm" },
    { "font.woff2", "font/woff2" },
    /* unknown, none, or a dot only in a directory name */
    { "archive.tar.gz", "application/octet-stream" },
    { "Makefile", "application/octet-stream" },
    { "v1.2/Makefile", "application/octet-stream" },
    { "a.", "application/octet-stream" },
    { "a.htmlx", "application/octet-stream" },
    { "a.htm", "text/html; charset=utf-8" },
};

/* Each file name gets the Content-Type of its extension, ignoring case. */
START_TEST(content_type)
{
    const struct type_case *tc = &type_cases[_i];
    ck_assert_msg(strcmp(static_content_type(tc->name), tc->want) == 0,
                  "\"%s\": got \"%s\", want \"%s\"", tc->name, static_content_type(tc->name), tc->want);
}
END_TEST

/* ==== static_load, on a real directory tree ==== */

/* The tree every static_load test uses, under a fresh temporary directory:
 *   base/web/index.html          "hello"
 *   base/web/empty.txt           ""
 *   base/web/sub/a.txt           "inside"
 *   base/web/link-in             -> index.html        (a link that stays inside)
 *   base/web/link-out            -> ../secret.txt     (a link that leads out)
 *   base/web/link-abs            -> /etc/passwd
 *   base/web/link-sibling        -> ../web2/secret.txt (outside, though "web2" starts with "web")
 *   base/web/sub-out             -> ..               (a directory link out)
 *   base/web/fifo                a FIFO (opening it must not block)
 *   base/secret.txt, base/web2/secret.txt  "secret"  */
static char base[64], root[96];

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

static void in_root(const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", root, name);
}

static void make_tree(void)
{
    char path[256], web2[96];
    snprintf(base, sizeof base, "/tmp/rtlab-static-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(base));
    snprintf(root, sizeof root, "%s/web", base);
    snprintf(web2, sizeof web2, "%s/web2", base);
    ck_assert_int_eq(mkdir(root, 0700), 0);
    ck_assert_int_eq(mkdir(web2, 0700), 0);
    in_root("sub", path, sizeof path);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    write_file(root, "index.html", "hello");
    write_file(root, "empty.txt", "");
    write_file(root, "sub/a.txt", "inside");
    write_file(base, "secret.txt", "secret");
    write_file(web2, "secret.txt", "secret");
    static const char *links[][2] = {
        { "index.html", "link-in" }, { "../secret.txt", "link-out" },
        { "/etc/passwd", "link-abs" }, { "../web2/secret.txt", "link-sibling" }, { "..", "sub-out" },
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        in_root(links[i][1], path, sizeof path);
        ck_assert_int_eq(symlink(links[i][0], path), 0);
    }
    in_root("fifo", path, sizeof path);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void remove_tree(void)
{
    nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* 1 when c holds exactly text; also drops the caller's reference. */
static int holds(struct chunk *c, const char *text)
{
    int ok = c != NULL && c->refs == 1 && c->len == strlen(text) && memcmp(c->data, text, c->len) == 0;
    chunk_unref(c);
    return ok;
}

/* Regular files inside the root are read whole into a chunk with one
 * reference; a link that stays inside the root is followed. */
START_TEST(load_inside)
{
    ck_assert(holds(static_load(root, "index.html"), "hello"));
    ck_assert(holds(static_load(root, "sub/a.txt"), "inside"));
    ck_assert(holds(static_load(root, "empty.txt"), ""));
    ck_assert(holds(static_load(root, "link-in"), "hello"));
    char slashed[128];
    snprintf(slashed, sizeof slashed, "%s/", root);      /* a root given with a trailing '/' */
    ck_assert(holds(static_load(slashed, "index.html"), "hello"));
}
END_TEST

/* Nothing outside the root is read, whatever leads there: a link to a file
 * or a directory outside, an absolute link, a sibling directory whose name
 * merely starts like the root's, or ".." handed straight to static_load. */
START_TEST(load_refuses_outside)
{
    static const char *names[] = {
        "link-out", "link-abs", "link-sibling", "sub-out/secret.txt", "sub-out/web2/secret.txt",
        "../secret.txt", "../web2/secret.txt", "sub/../../secret.txt",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct chunk *c = static_load(root, names[i]);
        ck_assert_msg(c == NULL, "\"%s\" was read from outside the root", names[i]);
    }
}
END_TEST

/* Only regular files: not a directory, not a FIFO (which must not block
 * the server either), not a name that does not exist. */
START_TEST(load_refuses_non_files)
{
    static const char *names[] = { "", "sub", "sub/", "fifo", "missing.html", "sub/missing" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(static_load(root, names[i]) == NULL, "\"%s\" was loaded", names[i]);
    ck_assert_ptr_null(static_load("/nonexistent-rtlab-root", "index.html"));
}
END_TEST

/* STATIC_MAX_FILE bytes are served; one byte more is refused. */
START_TEST(load_size_limit)
{
    for (off_t size = STATIC_MAX_FILE; size <= STATIC_MAX_FILE + 1; size++) {
        char path[256];
        in_root("big.bin", path, sizeof path);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ftruncate(fd, size), 0);   /* sparse: reads back as zeros */
        close(fd);
        struct chunk *c = static_load(root, "big.bin");
        if (size == STATIC_MAX_FILE) {
            ck_assert_ptr_nonnull(c);
            ck_assert_uint_eq(c->len, (size_t)size);
            ck_assert(c->data[0] == 0 && c->data[size - 1] == 0);
            chunk_unref(c);
        } else {
            ck_assert_ptr_null(c);
        }
    }
}
END_TEST

/* The two walls together, as a server uses them: a URL path is resolved,
 * then loaded; traversal attempts never reach a file outside. */
START_TEST(resolve_then_load)
{
    static const struct { const char *url, *want; } cases[] = {
        { "/", "hello" }, { "/sub/a.txt", "inside" }, { "//index.html", "hello" },
        { "/%69ndex.html", "hello" }, { "/../secret.txt", NULL }, { "/%2e%2e/secret.txt", NULL },
        { "/link-out", NULL }, { "/sub-out/secret.txt", NULL }, { "/sub/", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[STATIC_MAX_PATH];
        struct chunk *c = NULL;
        if (static_resolve(cases[i].url, strlen(cases[i].url), rel, sizeof rel) >= 0)
            c = static_load(root, rel);
        if (cases[i].want)
            ck_assert_msg(holds(c, cases[i].want), "\"%s\" did not load", cases[i].url);
        else
            ck_assert_msg(c == NULL, "\"%s\" loaded something", cases[i].url);
    }
}
END_TEST

/* ==== The suite ==== */

#define COUNT(a) ((int)(sizeof a / sizeof a[0]))

static Suite *static_suite(void)
{
    Suite *s = suite_create("static");

    TCase *pure = tcase_create("resolve");
    tcase_add_loop_test(pure, resolve, 0, COUNT(resolve_cases));
    tcase_add_test(pure, resolve_capacity);
    tcase_add_test(pure, resolve_too_long);
    tcase_add_loop_test(pure, content_type, 0, COUNT(type_cases));
    suite_add_tcase(s, pure);

    TCase *files = tcase_create("load");
    tcase_add_checked_fixture(files, make_tree, remove_tree);
    tcase_add_test(files, load_inside);
    tcase_add_test(files, load_refuses_outside);
    tcase_add_test(files, load_refuses_non_files);
    tcase_add_test(files, load_size_limit);
    tcase_add_test(files, resolve_then_load);
    suite_add_tcase(s, files);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(static_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
