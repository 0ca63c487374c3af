/*
 * core/net.c — listening sockets; see net.h.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
