/*
 * core/net.h — the listening socket, and the socket options every
 * connection needs.
 *
 * Interface: net_listen, net_accept.
 */
#ifndef RTLAB_NET_H
#define RTLAB_NET_H

#include <stddef.h>

/* A non-blocking listening TCP socket on addr (an IPv4 or IPv6 literal, or
 * "localhost") and port (0: the kernel picks a free one; *bound_port then
 * says which). SO_REUSEADDR is set so a restarted server can listen at once.
 * Returns the fd, or -1 with a one-line reason in why[0..why_cap). */
int net_listen(const char *addr, int port, int *bound_port, char *why, size_t why_cap);

/* Accept one pending connection: a non-blocking, close-on-exec socket with
 * TCP_NODELAY set. Returns the fd, or -1 with errno as accept() sets it
 * (EAGAIN: none pending; EMFILE, ENFILE: out of descriptors). */
int net_accept(int listen_fd);

#endif
