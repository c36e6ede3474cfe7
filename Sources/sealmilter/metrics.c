/*
 * metrics.c — the Prometheus metrics endpoint of the daemon: HTTP GET /metrics
 * on a loopback address (off unless --metrics or the policy's
 * milter.metrics_listen names one). The exposition text comes from the engine
 * (sealmilter_metrics_text); this file only serves it. One thread, one request
 * at a time, short timeouts: a scraper, not a web server.
 */
#include "sealmilter.h"
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int listen_fd = -1;

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 0;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

static void serve(int fd)
{
    struct timeval tv = { 2, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char req[2048];
    size_t have = 0;
    while (have < sizeof req - 1) {
        ssize_t k = recv(fd, req + have, sizeof req - 1 - have, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        have += (size_t)k;
        req[have] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
            break;
    }
    req[have] = '\0';
    char head[256];
    if (strncmp(req, "GET /metrics ", 13) == 0 || strncmp(req, "GET /metrics?", 13) == 0) {
        char *text = NULL;
        size_t len = 0;
        if (sealmilter_metrics_text(&text, &len) == SEALMILTER_OK) {
            int h = snprintf(head, sizeof head,
                             "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
            send_all(fd, head, (size_t)h);
            send_all(fd, text, len);
            sealmilter_free(text);
            return;
        }
        const char *e = "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        send_all(fd, e, strlen(e));
        return;
    }
    const char *nf = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n"
                     "Connection: close\r\n\r\nonly /metrics is here";
    send_all(fd, nf, strlen(nf));
}

static void *metrics_thread(void *arg)
{
    (void)arg;
    for (;;) {
        /* accept4, not accept: the daemon wraps accept() for milter connections. */
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
                continue;
            return NULL;
        }
        serve(fd);
        shutdown(fd, SHUT_RDWR);
        close(fd);
    }
}

int metrics_start(const char *spec, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || colon[1] == '\0') {
        snprintf(err, errlen, "metrics address %s: expected HOST:PORT, e.g. 127.0.0.1:9125", spec);
        return -1;
    }
    size_t hl = (size_t)(colon - spec);
    if (spec[0] == '[' && colon[-1] == ']') { /* [::1]:9125 */
        spec++;
        hl -= 2;
    }
    if (hl >= sizeof host) {
        snprintf(err, errlen, "metrics address %s: host too long", spec);
        return -1;
    }
    memcpy(host, spec, hl);
    host[hl] = '\0';
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "metrics address %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    if (!is_loopback(res->ai_addr)) {
        snprintf(err, errlen, "metrics address %s: not a loopback address (metrics are served on loopback only)", spec);
        freeaddrinfo(res);
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 16) != 0) {
        snprintf(err, errlen, "metrics address %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    listen_fd = fd;
    /* The thread takes no signals: SIGHUP/SIGTERM belong to the daemon's signal thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_t tid;
    int prc = pthread_create(&tid, NULL, metrics_thread, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        snprintf(err, errlen, "metrics: cannot start a thread");
        return -1;
    }
    pthread_detach(tid);
    return 0;
}
