/*
 * tests/unit/test_buf.c — buffers, shared chunks and the out queue.
 *
 * What the servers rely on: an empty buffer or queue holds no memory (idle
 * connections are cheap); a chunk queued to many connections is shared, not
 * copied, and freed by its last owner; a partial write leaves exactly the
 * unwritten bytes queued, in order.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"

/* Consuming everything gives the storage back. */
START_TEST(buf_empty_holds_nothing)
{
    struct buf b = {0};
    buf_append(&b, "hello ", 6);
    buf_append(&b, "world", 5);
    ck_assert_uint_eq(b.len, 11);
    ck_assert(memcmp(b.data, "hello world", 11) == 0);
    buf_consume(&b, 6);
    ck_assert(memcmp(b.data, "world", 5) == 0);
    buf_consume(&b, 5);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.cap, 0);
}
END_TEST

/* A buffer grows by doubling, starting at 512 bytes: 100 000 bytes appended
 * one at a time (a request trickling in) cost at most a dozen distinct
 * sizes, not one realloc per byte. */
START_TEST(buf_grows_by_doubling)
{
    struct buf b = {0};
    buf_append(&b, "x", 1);
    ck_assert_uint_ge(b.cap, 512);
    size_t last = b.cap;
    int sizes = 1;
    for (int i = 1; i < 100000; i++) {
        buf_append(&b, "x", 1);
        if (b.cap != last) {
            ck_assert_msg(b.cap >= 2 * last, "grew from %zu to %zu bytes: not doubling", last, b.cap);
            last = b.cap;
            sizes++;
        }
    }
    ck_assert_uint_eq(b.len, 100000);
    ck_assert_int_le(sizes, 12);
    buf_free(&b);
}
END_TEST

/* One append far larger than the storage grows it until everything fits
 * (ASan checks nothing is written past the end), and keeps what was there. */
START_TEST(buf_big_append_fits)
{
    struct buf b = {0};
    buf_append(&b, "head:", 5);
    enum { BIG = 20000 };
    char *big = malloc(BIG);
    ck_assert_ptr_nonnull(big);
    for (int i = 0; i < BIG; i++) big[i] = (char)('a' + i % 26);
    buf_append(&b, big, BIG);
    ck_assert_uint_eq(b.len, 5 + BIG);
    ck_assert_uint_ge(b.cap, b.len);
    ck_assert(memcmp(b.data, "head:", 5) == 0);
    ck_assert(memcmp(b.data + 5, big, BIG) == 0);
    free(big);
    buf_free(&b);
}
END_TEST

/* Consuming the front of a full buffer moves exactly what is left, and
 * reads nothing past it (ASan checks: the storage ends right there). */
START_TEST(buf_consume_from_a_full_buffer)
{
    struct buf b = {0};
    char block[512];
    for (int i = 0; i < 512; i++) block[i] = (char)('A' + i % 26);
    buf_append(&b, block, sizeof block);
    while (b.len < b.cap) buf_append(&b, "z", 1);     /* full to the last byte */
    size_t len = b.len;
    buf_consume(&b, 100);
    ck_assert_uint_eq(b.len, len - 100);
    ck_assert(memcmp(b.data, block + 100, 412) == 0);
    buf_consume(&b, 1);
    ck_assert_uint_eq(b.len, len - 101);
    ck_assert_int_eq(b.data[0], block[101]);
    buf_free(&b);
}
END_TEST

/* One chunk queued on two queues is one allocation with three owners, and
 * lives until the last of them lets go. */
START_TEST(chunk_is_shared_not_copied)
{
    struct chunk *c = chunk_from("event", 5);
    struct outq a = {0}, b = {0};
    outq_push(&a, c);
    outq_push(&b, c);
    ck_assert_uint_eq(c->refs, 3);
    ck_assert_ptr_eq(a.segs[a.head].chunk, b.segs[b.head].chunk);
    outq_clear(&a);
    ck_assert_uint_eq(c->refs, 2);
    chunk_unref(c);
    ck_assert_uint_eq(c->refs, 1);
    outq_clear(&b);                      /* the last owner frees it (ASan checks) */
    ck_assert_ptr_null(b.segs);
}
END_TEST

/* Small copies coalesce into one private chunk; a shared chunk is never
 * written into. */
START_TEST(copies_coalesce_shared_untouched)
{
    struct outq q = {0};
    outq_copy(&q, "HTTP/1.1 200 OK\r\n", 17);
    outq_copy(&q, "\r\n", 2);
    ck_assert_uint_eq(q.count, 1);
    struct chunk *shared = chunk_from("data", 4);
    outq_push(&q, shared);
    outq_copy(&q, "tail", 4);
    ck_assert_uint_eq(q.count, 3);
    ck_assert_uint_eq(shared->len, 4);
    ck_assert_uint_eq(outq_bytes(&q), 17 + 2 + 4 + 4);
    chunk_unref(shared);
    outq_clear(&q);
}
END_TEST

/* Writing to a socket whose buffer fills: what was not written stays
 * queued, and reading everything back gives the bytes in order. */
START_TEST(partial_write_keeps_the_rest)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    struct outq q = {0};
    enum { N = 200, SIZE = 1000 };
    char block[SIZE];
    for (int i = 0; i < N; i++) {
        memset(block, 'a' + i % 26, SIZE);
        struct chunk *c = chunk_from(block, SIZE);
        outq_push(&q, c);
        chunk_unref(c);
    }
    ssize_t w = outq_write(&q, sv[0]);
    ck_assert_int_gt(w, 0);
    ck_assert_int_lt(w, N * SIZE);                   /* the socket took only part */
    ck_assert_uint_eq(outq_bytes(&q), (size_t)(N * SIZE - w));
    /* The socket is full now: writing again meets EAGAIN, which is no
     * error (0 bytes, or the few the socket found room for), never -1. */
    for (int again = 0; again < 3; again++) {
        ssize_t more = outq_write(&q, sv[0]);
        ck_assert_msg(more >= 0, "outq_write on a full socket gave %zd: EAGAIN is no error", more);
        w += more;
        ck_assert_uint_eq(outq_bytes(&q), (size_t)(N * SIZE - w));
    }
    char *got = malloc(N * SIZE);
    size_t have = 0;
    while (outq_bytes(&q) > 0 || have < (size_t)(N * SIZE)) {
        ssize_t r = read(sv[1], got + have, N * SIZE - have);
        ck_assert_int_gt(r, 0);
        have += (size_t)r;
        ck_assert_int_ge(outq_write(&q, sv[0]), 0);
    }
    ck_assert_uint_eq(have, (size_t)(N * SIZE));
    for (int i = 0; i < N * SIZE; i++)              /* every byte once, in order */
        ck_assert_msg(got[i] == 'a' + i / SIZE % 26, "byte %d is '%c', want '%c'",
                      i, got[i], 'a' + i / SIZE % 26);
    ck_assert_ptr_null(q.segs);                      /* drained: nothing held */
    free(got);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* A write to a closed peer is an error (-1), not a crash (SIGPIPE is the
 * server's business: it ignores it). */
START_TEST(write_to_closed_peer_fails)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    signal(SIGPIPE, SIG_IGN);
    struct outq q = {0};
    outq_copy(&q, "x", 1);
    ck_assert_int_eq(outq_write(&q, sv[0]), -1);
    outq_clear(&q);
    close(sv[0]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("buf");
    TCase *t = tcase_create("buffers and queues");
    tcase_add_test(t, buf_empty_holds_nothing);
    tcase_add_test(t, buf_grows_by_doubling);
    tcase_add_test(t, buf_big_append_fits);
    tcase_add_test(t, buf_consume_from_a_full_buffer);
    tcase_add_test(t, chunk_is_shared_not_copied);
    tcase_add_test(t, copies_coalesce_shared_untouched);
    tcase_add_test(t, partial_write_keeps_the_rest);
    tcase_add_test(t, write_to_closed_peer_fails);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
