/* TCP sockets, the same on every platform: the few calls the socket://
 * and rfc2217:// clients (port_tcp.c, port_rfc2217.c) and espemu's server
 * make beyond what BSD sockets and Winsock spell alike (getaddrinfo, bind,
 * listen, getsockname).  Implemented in port_posix.c and port_win32.c.
 *
 * A socket is an int everywhere (a Winsock SOCKET fits one: Windows keeps
 * handle values far below 2^31).  Failures return -1 with errno set, on
 * Windows mapped from WSAGetLastError() (EAGAIN for a non-blocking call
 * that would block, ECONNREFUSED, ...), so err_sys() says what happened. */
#ifndef MPI_PORT_SOCK_H
#define MPI_PORT_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#endif

/* Before the first getaddrinfo: Winsock must be started (once; 0 or -1
 * with errno).  Nothing to do on POSIX. */
int sock_startup(void);
/* A new socket (not inherited by child processes) for the address. */
int sock_open(const struct addrinfo *ai);
/* An accepted connection, non-blocking, Nagle off; -1 (EAGAIN: none waiting). */
int sock_accept(int lfd);
int sock_close(int fd);
int sock_set_nonblock(int fd);
/* Small request/response packets: never wait for Nagle. */
void sock_set_nodelay(int fd);
/* A listening socket for the address (the port reusable at once after a
 * restart), non-blocking: accept() must not block a server's loop. */
int sock_listen(const struct addrinfo *ai, int backlog);
/* Acknowledge what was read at once, where the system can (Linux's
 * TCP_QUICKACK); elsewhere nothing. */
void sock_quickack(int fd);

/* connect() on a non-blocking socket: 0 connected, 1 under way (wait for
 * POLLOUT, then sock_error), -1 failed. */
int sock_connect(int fd, const struct sockaddr *sa, size_t len);
/* The error a non-blocking connect ended with (SO_ERROR), as an errno. */
int sock_error(int fd);

/* poll(2) over sockets (WSAPoll on Windows).  On POSIX any descriptor. */
int sock_poll(struct pollfd *p, unsigned n, int timeout_ms);
/* read/write a socket (on POSIX any descriptor: espemu's pty too). */
ssize_t sock_read(int fd, void *buf, size_t len);
ssize_t sock_write(int fd, const void *buf, size_t len);

#endif
