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
 * written into, even when it has room: another queue (or the feed) holds
 * the same bytes, and appending would change what every owner sends. The
 * shared chunk here has room to spare on purpose, so that only the owner
 * check in outq_copy keeps "tail" out of it. */
START_TEST(copies_coalesce_shared_untouched)
{
    struct outq q = {0}, other = {0};
    outq_copy(&q, "HTTP/1.1 200 OK\r\n", 17);
    outq_copy(&q, "\r\n", 2);
    ck_assert_uint_eq(q.count, 1);
    struct chunk *shared = chunk_new(64);
    memcpy(shared->data, "data", 4);
    shared->len = 4;
    outq_push(&q, shared);
    outq_push(&other, shared);
    outq_copy(&q, "tail", 4);
    ck_assert_uint_eq(q.count, 3);
    ck_assert_uint_eq(shared->len, 4);
    ck_assert_uint_eq(outq_bytes(&q), 17 + 2 + 4 + 4);
    ck_assert_uint_eq(outq_bytes(&other), 4);        /* the other owner still sends "data" */
    chunk_unref(shared);
    outq_clear(&q);
    outq_clear(&other);
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
    char *got = malloc(N * SIZE);
    size_t have = 0;
    while (outq_bytes(&q) > 0 || have < (size_t)(N * SIZE)) {
        ssize_t r = read(sv[1], got + have, N * SIZE - have);
        ck_assert_int_gt(r, 0);
        have += (size_t)r;
        ck_assert_int_ge(outq_write(&q, sv[0]), 0);
    }
    for (int i = 0; i < N; i++) ck_assert_int_eq(got[i * SIZE + SIZE - 1], 'a' + i % 26);
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
