/*
 * Link-time wrappers around libc calls made by the statically linked libmilter
 * (libmilter.a). Package.swift links the daemon with
 *   --wrap=accept --wrap=read --wrap=close --wrap=sigwait
 * so libmilter's calls land here and reach libc through __real_*.
 *
 * accept/close also count the open milter connections and, once
 * sealmilter_refuse_connections() was called (stopping), close new ones at once:
 * libmilter's smfi_stop() would also stop serving the open connections (its
 * worker pool stops with the listener), so the daemon first refuses new
 * connections, waits for the open ones to end, and only then calls smfi_stop().
 *
 * accept/read/close: libmilter never shows its sockets. Over TCP, Nagle's
 * algorithm and delayed ACKs stall each milter round trip by tens of
 * milliseconds (the MTA writes a macro packet and then the command; the second
 * waits for the ACK of the first). Every accepted TCP socket gets TCP_NODELAY
 * and TCP_QUICKACK; quick-ACK mode is not permanent (the kernel leaves it on its
 * own), so it is armed again after every read on such a socket (arming it before
 * the read as well cost ~40-60 us of CPU per message, one system call per read,
 * for no gain in the Postfix benchmark: docs/e2e.md).
 *
 * sigwait: libmilter's signal thread (started by smfi_main) sigwaits on SIGHUP,
 * SIGTERM and SIGINT and stops the milter on any of them. Sealmilter handles all
 * three in its own signal thread (reload; drain then stop), so the set libmilter
 * waits on loses them: its thread then waits for nothing, for ever.
 */
#include <errno.h>
#include <stdatomic.h>
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

void sealmilter_refuse_connections(void);
long sealmilter_open_connections(void);

/* Per file descriptor: bit 1 an accepted connection, bit 2 a TCP one. */
#define TRACKED_FDS 65536
#define FD_CONN 1
#define FD_TCP 2
static unsigned char fd_kind[TRACKED_FDS];
static atomic_long open_connections;
static atomic_int refusing;

void sealmilter_refuse_connections(void)
{
    atomic_store(&refusing, 1);
}

/* Accepted connections not closed yet (those on descriptors >= 65536 are not counted). */
long sealmilter_open_connections(void)
{
    return atomic_load(&open_connections);
}

static void quickack(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

static int is_tcp(int fd)
{
    return fd >= 0 && fd < TRACKED_FDS && (__atomic_load_n(&fd_kind[fd], __ATOMIC_RELAXED) & FD_TCP);
}

int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    int s = __real_accept(fd, addr, len);
    if (s < 0)
        return s;
    if (atomic_load(&refusing)) {
        /* Stopping: the MTA sees the connection closed (and applies its
         * milter_default_action); libmilter takes EINTR as "try again". */
        (void)__real_close(s);
        errno = EINTR;
        return -1;
    }
    if (s >= TRACKED_FDS)
        return s;
    int saved = errno;
    unsigned char kind = FD_CONN;
    int domain = 0;
    socklen_t dlen = sizeof domain;
    if (getsockopt(s, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 &&
        (domain == AF_INET || domain == AF_INET6)) {
        int one = 1;
        (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        quickack(s);
        kind |= FD_TCP;
    }
    __atomic_store_n(&fd_kind[s], kind, __ATOMIC_RELAXED);
    atomic_fetch_add(&open_connections, 1);
    errno = saved;
    return s;
}

ssize_t __wrap_read(int fd, void *buf, size_t count)
{
    if (!is_tcp(fd))
        return __real_read(fd, buf, count);
    ssize_t n = __real_read(fd, buf, count);
    int saved = errno;
    if (n > 0)
        quickack(fd);
    errno = saved;
    return n;
}

int __wrap_close(int fd)
{
    if (fd >= 0 && fd < TRACKED_FDS && (__atomic_exchange_n(&fd_kind[fd], 0, __ATOMIC_RELAXED) & FD_CONN))
        atomic_fetch_sub(&open_connections, 1);
    return __real_close(fd);
}

int __wrap_sigwait(const sigset_t *set, int *sig)
{
    sigset_t rest = *set;
    (void)sigdelset(&rest, SIGHUP);
    (void)sigdelset(&rest, SIGINT);
    (void)sigdelset(&rest, SIGTERM);
    return __real_sigwait(&rest, sig);
}
