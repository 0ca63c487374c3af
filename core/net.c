/*
 * core/net.c — listening and accepted sockets; see net.h.
 *
 * Every socket the servers hold is non-blocking (the event loop must never
 * wait in a read or write) and close-on-exec. Linux sets both flags in the
 * call that makes the socket (SOCK_NONBLOCK | SOCK_CLOEXEC to socket() and
 * accept4()); POSIX has neither, so elsewhere, and in `make PORTABLE=1`,
 * they are set right after with fcntl. The gap between the two calls only
 * matters to a program that forks and runs another meanwhile, which the
 * servers never do.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ==== Non-blocking, close-on-exec: the Linux shortcut or POSIX fcntl ==== */

#if defined(__linux__) && !defined(PORTABLE)
#define NET_ATOMIC_FLAGS 1      /* socket() and accept4() take SOCK_NONBLOCK | SOCK_CLOEXEC */
#endif

#ifndef NET_ATOMIC_FLAGS
/* Make fd non-blocking and close-on-exec (POSIX fcntl). Returns 0 or -1. */
static int net_set_flags(int fd)
{
    int status = fcntl(fd, F_GETFL, 0);
    if (status < 0 || fcntl(fd, F_SETFL, status | O_NONBLOCK) < 0) return -1;
    int descriptor = fcntl(fd, F_GETFD, 0);
    if (descriptor < 0 || fcntl(fd, F_SETFD, descriptor | FD_CLOEXEC) < 0) return -1;
    return 0;
}
#endif

/* A non-blocking, close-on-exec TCP socket of this address family, or -1. */
static int net_stream_socket(int family)
{
#ifdef NET_ATOMIC_FLAGS
    return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd >= 0 && net_set_flags(fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
#endif
}

int net_accept(int listen_fd)
{
#ifdef NET_ATOMIC_FLAGS
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    int fd = accept(listen_fd, NULL, NULL);
    if (fd >= 0 && net_set_flags(fd) < 0) {
        close(fd);
        errno = ECONNABORTED;                 /* this one is lost; the next may do */
        return -1;
    }
#endif
    if (fd < 0) return -1;
    int one = 1;                              /* small event writes must not wait (Nagle) */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* ==== Listening ==== */

/* The port a bound socket got. */
static int net_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int net_listen(const char *addr, int port, int *bound_port, char *why, size_t why_cap)
{
    struct addrinfo hints = {0}, *res = NULL;
    char service[16];
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(addr, service, &hints, &res);
    if (rc != 0) {
        snprintf(why, why_cap, "cannot use address %s: %s", addr, gai_strerror(rc));
        return -1;
    }
    int fd = net_stream_socket(res->ai_family);
    if (fd < 0) {
        snprintf(why, why_cap, "socket: %s", strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
        snprintf(why, why_cap, "cannot listen on %s port %d: %s", addr, port, strerror(errno));
        goto fail;
    }
    /* A deep backlog: a load test opens thousands of connections at once. */
    if (listen(fd, 4096) < 0) {
        snprintf(why, why_cap, "listen: %s", strerror(errno));
        goto fail;
    }
    freeaddrinfo(res);
    *bound_port = net_local_port(fd);
    return fd;
fail:
    close(fd);
    freeaddrinfo(res);
    return -1;
}
