/*
 * Link-time wrappers around libc calls made by the statically linked libmilter
 * (libmilter.a). Package.swift links the daemon with
 *   --wrap=accept --wrap=read --wrap=close --wrap=sigwait
 * so libmilter's calls land here and reach libc through __real_*.
 *
 * accept/read/close: libmilter never shows its sockets. Over TCP, Nagle's
 * algorithm and delayed ACKs stall each milter round trip by tens of
 * milliseconds (the MTA writes a macro packet and then the command; the second
 * waits for the ACK of the first). Every accepted TCP socket gets TCP_NODELAY
 * and TCP_QUICKACK; quick-ACK mode is not permanent (the kernel leaves it on its
 * own), so it is armed again around every read on such a socket.
 *
 * sigwait: libmilter's signal thread (started by smfi_main) sigwaits on SIGHUP,
 * SIGTERM and SIGINT and stops the milter on any of them. Sealmilter reloads its
 * policy on SIGHUP and drains on SIGINT in its own signal thread, so the set
 * libmilter waits on is reduced to SIGTERM (on which it stops, as smfi_stop()).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

int __real_accept(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t __real_read(int fd, void *buf, size_t count);
int __real_close(int fd);
int __real_sigwait(const sigset_t *set, int *sig);

int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t __wrap_read(int fd, void *buf, size_t count);
int __wrap_close(int fd);
int __wrap_sigwait(const sigset_t *set, int *sig);

/* 1 for file descriptors that are accepted TCP sockets. */
#define TRACKED_FDS 65536
static unsigned char tcp_fd[TRACKED_FDS];

static void quickack(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

static int is_tcp(int fd)
{
    return fd >= 0 && fd < TRACKED_FDS && __atomic_load_n(&tcp_fd[fd], __ATOMIC_RELAXED);
}

int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    int s = __real_accept(fd, addr, len);
    if (s < 0 || s >= TRACKED_FDS)
        return s;
    int saved = errno;
    int domain = 0;
    socklen_t dlen = sizeof domain;
    if (getsockopt(s, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 &&
        (domain == AF_INET || domain == AF_INET6)) {
        int one = 1;
        (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        quickack(s);
        __atomic_store_n(&tcp_fd[s], 1, __ATOMIC_RELAXED);
    } else {
        __atomic_store_n(&tcp_fd[s], 0, __ATOMIC_RELAXED);
    }
    errno = saved;
    return s;
}

ssize_t __wrap_read(int fd, void *buf, size_t count)
{
    if (!is_tcp(fd))
        return __real_read(fd, buf, count);
    quickack(fd);
    ssize_t n = __real_read(fd, buf, count);
    int saved = errno;
    if (n > 0)
        quickack(fd);
    errno = saved;
    return n;
}

int __wrap_close(int fd)
{
    if (fd >= 0 && fd < TRACKED_FDS)
        __atomic_store_n(&tcp_fd[fd], 0, __ATOMIC_RELAXED);
    return __real_close(fd);
}

int __wrap_sigwait(const sigset_t *set, int *sig)
{
    sigset_t only = *set;
    (void)sigdelset(&only, SIGHUP);
    (void)sigdelset(&only, SIGINT);
    return __real_sigwait(&only, sig);
}
